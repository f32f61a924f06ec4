/* test_reply.c - the SMTP reply parser: line ends, multi-line replies,
 * enhanced codes, bounds, and the one-reply-per-call contract. */
#include <string.h>

#include "reply.h"
#include "tap.h"

/* Parse all of s as exactly one reply. */
static int parse1(const char *s, struct reply *r, struct error *e)
{
	struct reply_parser p;
	size_t used;
	int rc;

	reply_parser_init(&p);
	rc = reply_parse(&p, s, strlen(s), &used, r, e);
	if (rc == 1 && used != strlen(s))
		rc = 2;
	reply_parser_release(&p);
	return rc;
}

static void test_single(void)
{
	struct reply r;
	struct error e;

	reply_init(&r);
	is_int(parse1("250 2.1.0 Ok\r\n", &r, &e), 1, "single line parses");
	is_int(r.code, 250, "code");
	is_str(r.enhanced, "2.1.0", "enhanced code");
	is_str(r.text.data, "2.1.0 Ok", "text keeps everything after the separator");
	is_int(r.nlines, 1, "one line");

	is_int(parse1("220 mx ready\n", &r, &e), 1, "bare LF ends a line");
	is_str(r.text.data, "mx ready", "bare LF text");
	is_str(r.enhanced, "", "no enhanced code");

	is_int(parse1("250\r\n", &r, &e), 1, "code alone is a valid last line");
	is_int(r.code, 250, "code alone: code");
	is_str(r.text.data, "", "code alone: empty text");

	is_int(parse1("334 \r\n", &r, &e), 1, "334 with empty text");
	is_str(r.text.data, "", "334 empty text");

	is_int(parse1("550 4.1.1 mismatch\r\n", &r, &e), 1, "class mismatch parses");
	is_str(r.enhanced, "", "enhanced code with another class is only text");
	is_int(parse1("550 5.1.10000 x\r\n", &r, &e), 1, "long detail parses");
	is_str(r.enhanced, "", "enhanced detail over 3 digits rejected");
	is_int(parse1("550 5.1.1\r\n", &r, &e), 1, "enhanced code at end of line");
	is_str(r.enhanced, "5.1.1", "enhanced code alone");
	is_int(parse1("550 5.123.456 x\r\n", &r, &e), 1, "widest enhanced code");
	is_str(r.enhanced, "5.123.456", "widest enhanced code kept");
	is_int(parse1("550 5.1.1x text\r\n", &r, &e), 1, "enhanced glued to text");
	is_str(r.enhanced, "", "enhanced glued to text is not one");
	reply_release(&r);
}

static void test_multi(void)
{
	struct reply r;
	struct error e;

	reply_init(&r);
	is_int(parse1("250-mx.example\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n", &r, &e), 1,
	       "multi-line parses");
	is_int(r.nlines, 3, "three lines");
	is_str(r.text.data, "mx.example\nPIPELINING\nAUTH PLAIN", "lines joined by LF");
	is_int(parse1("250-a\n250-\n250 c\n", &r, &e), 1, "empty middle line");
	is_str(r.text.data, "a\n\nc", "empty middle line kept");
	is_int(parse1("250-a\r\n251 b\r\n", &r, &e), -1, "codes must agree");
	is_int(e.cls, ERR_PROTOCOL, "disagreeing codes: protocol error");
	reply_release(&r);
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"25 short\r\n", "150 one-hundred\r\n", "650 too big\r\n", "2x0 nope\r\n",
		"250x\r\n", "250_text\r\n", "\r\n", "abc\r\n", "250 a\0b\r\n",
	};
	struct reply r;
	struct error e;
	struct reply_parser p;
	size_t used;

	reply_init(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == 8 ? 9 : strlen(bad[i]);

		reply_parser_init(&p);
		error_clear(&e);
		ok(reply_parse(&p, bad[i], len, &used, &r, &e) == -1 && e.cls == ERR_PROTOCOL,
		   "bad line %zu rejected", i);
		reply_parser_release(&p);
	}
	reply_release(&r);
}

static void test_bounds(void)
{
	struct reply_parser p;
	struct reply r;
	struct error e;
	char line[REPLY_LINE_MAX + 16];
	size_t used;
	int rc = 0;

	reply_init(&r);
	/* a line of exactly REPLY_LINE_MAX octets plus CRLF is fine */
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + REPLY_LINE_MAX, "\r\n", 2);
	reply_parser_init(&p);
	is_int(reply_parse(&p, line, REPLY_LINE_MAX + 2, &used, &r, &e), 1, "longest line ok");
	is_int(r.text.len, REPLY_LINE_MAX - 4, "longest line text");
	reply_parser_release(&p);

	/* one more octet is too long, also fed in pieces */
	memcpy(line + REPLY_LINE_MAX, "x\r\n", 3);
	reply_parser_init(&p);
	is_int(reply_parse(&p, line, REPLY_LINE_MAX + 3, &used, &r, &e), -1, "long line refused");
	reply_parser_release(&p);
	reply_parser_init(&p);
	for (size_t i = 0; i < REPLY_LINE_MAX + 3 && rc == 0; i++)
		rc = reply_parse(&p, line + i, 1, &used, &r, &e);
	is_int(rc, -1, "long line refused when fed bytewise");
	reply_parser_release(&p);

	/* an endless line without LF is stopped early */
	reply_parser_init(&p);
	memset(line, 'y', sizeof(line));
	rc = 0;
	for (int i = 0; i < 4 && rc == 0; i++)
		rc = reply_parse(&p, line, sizeof(line) / 2, &used, &r, &e);
	is_int(rc, -1, "unterminated line bounded");
	reply_parser_release(&p);

	/* too many lines */
	reply_parser_init(&p);
	rc = 0;
	for (int i = 0; i <= REPLY_LINES_MAX && rc == 0; i++)
		rc = reply_parse(&p, "250-x\r\n", 7, &used, &r, &e);
	is_int(rc, -1, "more than REPLY_LINES_MAX lines refused");
	reply_parser_release(&p);

	/* exactly REPLY_LINES_MAX is fine */
	reply_parser_init(&p);
	rc = 0;
	for (int i = 0; i < REPLY_LINES_MAX - 1 && rc == 0; i++)
		rc = reply_parse(&p, "250-x\r\n", 7, &used, &r, &e);
	if (rc == 0)
		rc = reply_parse(&p, "250 x\r\n", 7, &used, &r, &e);
	is_int(rc, 1, "REPLY_LINES_MAX lines accepted");
	is_int(r.nlines, REPLY_LINES_MAX, "line count");
	reply_parser_release(&p);
	reply_release(&r);
}

static void test_stream(void)
{
	const char *in = "250 first\r\n354-a\r\n354 b\r\n2";
	struct reply_parser p;
	struct reply r;
	struct error e;
	size_t used, off = 0, len = strlen(in);

	reply_init(&r);
	reply_parser_init(&p);
	is_int(reply_parse(&p, in, len, &used, &r, &e), 1, "first reply");
	is_int(used, 11, "stops right after the first reply");
	is_int(reply_parser_pending(&p), 0, "nothing pending after a whole reply");
	off += used;
	is_int(reply_parse(&p, in + off, len - off, &used, &r, &e), 1, "second reply");
	is_int(r.code, 354, "second code");
	is_str(r.text.data, "a\nb", "second text");
	off += used;
	is_int(reply_parse(&p, in + off, len - off, &used, &r, &e), 0, "partial third");
	is_int(used, 1, "partial consumed");
	is_int(reply_parser_pending(&p), 1, "partial line pending");
	is_int(reply_parse(&p, "50-x\r\n", 6, &used, &r, &e), 0, "first line of third");
	is_int(reply_parser_pending(&p), 1, "partial reply pending");
	is_int(reply_parse(&p, "250 y\r", 6, &used, &r, &e), 0, "CR without LF");
	is_int(reply_parse(&p, "\n", 1, &used, &r, &e), 1, "LF completes the CRLF");
	is_str(r.text.data, "x\ny", "split CRLF text");
	reply_parser_release(&p);

	/* one byte at a time gives the same as whole */
	reply_parser_init(&p);
	{
		const char *m = "220-mx ESMTP\r\n220 2.0.0 ready\r\n";
		int rc = 0;

		for (size_t i = 0; m[i] && rc == 0; i++)
			rc = reply_parse(&p, m + i, 1, &used, &r, &e);
		is_int(rc, 1, "bytewise reply");
		is_str(r.enhanced, "", "enhanced only from the first line");
		is_str(r.text.data, "mx ESMTP\n2.0.0 ready", "bytewise text");
	}
	reply_parser_release(&p);
	reply_release(&r);
}

int main(void)
{
	test_single();
	test_multi();
	test_bad();
	test_bounds();
	test_stream();
	return tap_done();
}
