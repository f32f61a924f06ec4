/* test_bsmtp.c - the -bs server engine, fed lines and bytes directly:
 * dialogues, pipelining, sequence errors, addresses, dot-unstuffing across
 * any split, line limits, EOF in DATA, and the replies to submission
 * outcomes. */
#include <stdlib.h>
#include <string.h>

#include "bsmtp.h"
#include "tap.h"

/* The whole session's output and message text so far. */
struct run {
	struct bsmtp b;
	struct buf out;
	struct buf data;
	int messages;
	int quit;
	const struct error *result;	/* outcome given for each message */
	int partial;
};

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	bsmtp_init(&r->b, "mx.test", NULL, NULL);
	buf_init(&r->out);
	buf_init(&r->data);
}

static void run_release(struct run *r)
{
	bsmtp_release(&r->b);
	buf_release(&r->out);
	buf_release(&r->data);
}

static void drain(struct run *r)
{
	size_t len;
	const char *p = bsmtp_output(&r->b, &len);

	buf_add(&r->out, p, len);
	bsmtp_output_done(&r->b);
	p = bsmtp_data(&r->b, &len);
	buf_add(&r->data, p, len);
	bsmtp_data_done(&r->b);
}

/* Feed s in pieces of at most step octets (0: all at once), as the
 * driver does, answering each message with r->result. */
static void feed(struct run *r, const char *s, size_t step)
{
	size_t n = strlen(s), off = 0;

	while (off < n && !r->quit) {
		size_t len = step && n - off > step ? step : n - off, used, k = 0;

		while (k < len && !r->quit) {
			enum bsmtp_event ev = bsmtp_input(&r->b, s + off + k, len - k, &used);

			k += used;
			drain(r);
			if (ev == BSMTP_EV_MESSAGE) {
				r->messages++;
				bsmtp_message_done(&r->b, r->result, r->partial);
				drain(r);
			} else if (ev == BSMTP_EV_QUIT) {
				r->quit = 1;
			}
		}
		off += len;
	}
}

static const char *out_of(struct run *r)
{
	return r->out.data ? r->out.data : "";
}

static int has(struct run *r, const char *s)
{
	return strstr(out_of(r), s) != NULL;
}

/* The codes of the replies, in order, "220 250 250 354 250 221". */
static char *codes(struct run *r)
{
	struct buf b = BUF_INIT;
	const char *p = out_of(r);

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		if (!eol)
			break;
		if (p[3] == ' ')
			buf_addf(&b, "%s%.3s", b.len ? " " : "", p);
		p = eol + 2;
	}
	buf_add(&b, "", 0);
	return buf_detach(&b);
}

#define is_codes(r, want, name) do { char *c_ = codes(r); is_str(c_, want, name); free(c_); } while (0)

static const char dialogue[] =
	"EHLO client.test\r\n"
	"MAIL FROM:<alice@example.org> SIZE=120 BODY=8BITMIME\r\n"
	"RCPT TO:<bob@example.org>\r\n"
	"RCPT TO:<carol@example.org>\r\n"
	"DATA\r\n"
	"Subject: hi\r\n"
	"\r\n"
	"..leading dot\r\n"
	"body\r\n"
	".\r\n"
	"QUIT\r\n";

static void test_full_dialogue(void)
{
	struct run r;

	run_init(&r);
	feed(&r, "", 0);
	drain(&r);
	is_str(out_of(&r), "220 mx.test ESMTP postern\r\n", "greeting");
	feed(&r, "EHLO client.test\r\n", 0);
	ok(has(&r, "250-mx.test\r\n250-PIPELINING\r\n250-SIZE\r\n250-8BITMIME\r\n"
	       "250 ENHANCEDSTATUSCODES\r\n"), "EHLO lists what is honoured");
	feed(&r, "MAIL FROM:<alice@example.org> SIZE=120 BODY=8BITMIME\r\n", 0);
	ok(has(&r, "250 2.1.0 Ok\r\n"), "MAIL with SIZE and BODY accepted");
	is_str(r.b.from, "alice@example.org", "envelope sender");
	feed(&r, "RCPT TO:<bob@example.org>\r\nRCPT TO: <carol@example.org>\r\n", 0);
	is_int(r.b.rcpts.n, 2, "two recipients");
	is_str(r.b.rcpts.v[1], "carol@example.org", "space after the colon tolerated");
	feed(&r, "DATA\r\n", 0);
	ok(has(&r, "354 "), "354 after DATA");
	is_int(r.b.state, BSMTP_ST_DATA, "in DATA");
	feed(&r, "Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n", 0);
	is_int(r.messages, 1, "the lone dot completes the message");
	is_str(r.data.data, "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n", "message unstuffed");
	ok(has(&r, "250 2.0.0 Ok: sent\r\n"), "250 after a successful submission");
	is_int(r.b.state, BSMTP_ST_READY, "transaction over");
	ok(r.b.from == NULL && r.b.rcpts.n == 0, "envelope cleared");
	feed(&r, "QUIT\r\n", 0);
	ok(r.quit && has(&r, "221 2.0.0 Bye\r\n"), "QUIT: 221 and the end");
	is_int(bsmtp_eof(&r.b), 0, "EOF after QUIT cuts nothing");
	run_release(&r);
}

static void test_pipelined(void)
{
	struct run r;

	/* Everything in one write, as a pipelining client may (RFC 2920
	 * lets it send the message only after 354, but a pipe does not care). */
	run_init(&r);
	feed(&r, dialogue, 0);
	is_codes(&r, "220 250 250 250 250 354 250 221", "pipelined: every reply, in order");
	is_int(r.messages, 1, "pipelined: one message");
	is_str(r.data.data, "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n", "pipelined: text");
	run_release(&r);

	/* The input stops at the message so the reply can come before the
	 * commands behind it are handled. */
	run_init(&r);
	{
		size_t used;
		enum bsmtp_event ev;
		const char *s = "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n";

		ev = bsmtp_input(&r.b, s, strlen(s), &used);
		is_int(ev, BSMTP_EV_MESSAGE, "event: message");
		is_int(used, strlen(s) - strlen("NOOP\r\n"), "input used up to the end of the dot line");
		is_str(r.b.from, "", "MAIL FROM:<> is the null sender");
		ev = bsmtp_input(&r.b, s + used, strlen(s) - used, &used);
		is_int(ev, BSMTP_EV_MESSAGE, "until it is answered, the message event again");
		is_int(used, 0, "and nothing used");
		bsmtp_message_done(&r.b, NULL, 0);
		ev = bsmtp_input(&r.b, "NOOP\r\n", 6, &used);
		is_int(ev, BSMTP_EV_NONE, "then the rest is read");
		drain(&r);
		is_codes(&r, "220 250 250 250 354 250 250", "HELO dialogue replies");
	}
	run_release(&r);
}

static void test_rset_and_more_messages(void)
{
	struct run r;

	run_init(&r);
	feed(&r, "EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nRSET\r\n"
	     "RCPT TO:<b@x.org>\r\n"
	     "MAIL FROM:<a2@x.org>\r\nRCPT TO:<c@x.org>\r\nDATA\r\none\r\n.\r\n"
	     "MAIL FROM:<a3@x.org>\r\nRCPT TO:<d@x.org>\r\nRCPT TO:<D@X.ORG>\r\nDATA\r\ntwo\r\n.\r\n"
	     "NOOP\r\nVRFY bob\r\nHELP\r\nQUIT\r\n", 0);
	is_codes(&r, "220 250 250 250 250 503 250 250 354 250 250 250 250 354 250 250 252 214 221",
		 "RSET ends the transaction; two messages in one session");
	is_int(r.messages, 2, "two messages");
	is_str(r.data.data, "one\r\ntwo\r\n", "both texts");
	is_int(r.b.messages, 2, "engine counts them");
	run_release(&r);

	/* EHLO in the middle of a transaction resets it. */
	run_init(&r);
	feed(&r, "MAIL FROM:<a@x.org>\r\nEHLO c\r\nRCPT TO:<b@x.org>\r\n", 0);
	ok(has(&r, "503 5.5.1 Error: need MAIL command"), "EHLO resets the transaction");
	run_release(&r);
}

static void test_bad_sequence(void)
{
	struct run r;

	run_init(&r);
	feed(&r, "RCPT TO:<b@x.org>\r\n", 0);
	ok(has(&r, "503 5.5.1"), "RCPT before MAIL: 503");
	feed(&r, "DATA\r\n", 0);
	is_codes(&r, "220 503 503", "DATA before MAIL: 503");
	feed(&r, "MAIL FROM:<a@x.org>\r\nMAIL FROM:<a@x.org>\r\n", 0);
	ok(has(&r, "503 5.5.1 Error: nested MAIL command"), "nested MAIL: 503");
	feed(&r, "DATA\r\n", 0);
	ok(has(&r, "554 5.5.1 Error: no valid recipients"), "DATA without RCPT: 554");
	is_int(r.b.state, BSMTP_ST_MAIL, "still in the transaction");
	feed(&r, "FROB\r\n\r\nSTARTTLS\r\nAUTH PLAIN\r\nEHLO\r\n", 0);
	is_codes(&r, "220 503 503 250 503 554 500 500 502 502 501",
		 "unknown 500, unimplemented 502, EHLO without a name 501");
	run_release(&r);

	/* Too many errors: 421 and the end. */
	run_init(&r);
	for (int i = 0; i < BSMTP_ERRORS_MAX + 5 && !r.quit; i++)
		feed(&r, "BOGUS\r\n", 0);
	ok(r.quit && has(&r, "421 4.7.0"), "too many errors: 421 and the session ends");
	{
		size_t used;
		is_int(bsmtp_input(&r.b, "NOOP\r\n", 6, &used), BSMTP_EV_QUIT, "nothing is read after 421");
	}
	run_release(&r);
}

static void test_addresses(void)
{
	struct run r;

	run_init(&r);
	feed(&r, "MAIL FROM:alice@example.org\r\n", 0);
	ok(has(&r, "250 2.1.0"), "bare MAIL FROM address taken");
	feed(&r, "RCPT TO:<-oQ/tmp/x@x.org>\r\n", 0);
	ok(has(&r, "553 5.1.3 <-oQ/tmp/x@x.org>: Recipient address rejected"), "leading '-': 553");
	feed(&r, "RCPT TO:<a@x.org, b@x.org>\r\n", 0);
	ok(has(&r, "553 5.1.3 <a@x.org, b@x.org>"), "a list is not one recipient: 553");
	feed(&r, "RCPT TO:<>\r\n", 0);
	ok(has(&r, "501 5.1.3"), "empty recipient: 501");
	feed(&r, "RCPT TO:<b@x.org\r\n", 0);
	ok(has(&r, "501 5.5.4 Syntax: RCPT TO:<address>"), "missing '>': 501");
	feed(&r, "RCPT TO:<b@x.org> NOTIFY=NEVER\r\n", 0);
	ok(has(&r, "555 5.5.4 Unsupported option: NOTIFY=NEVER"), "RCPT parameter not offered: 555");
	feed(&r, "RCPT TO:<@relay.x,@r2.x:b@x.org>\r\n", 0);
	is_int(r.b.rcpts.n, 1, "source route dropped, recipient taken");
	is_str(r.b.rcpts.v[0], "b@x.org", "the address after the route");
	feed(&r, "RCPT TO:<\"odd name\"@x.org>\r\n", 0);
	is_str(r.b.rcpts.n == 2 ? r.b.rcpts.v[1] : "", "\"odd name\"@x.org", "quoted local part with a space");
	feed(&r, "RCPT TO:<\"odd>\"@x.org>\r\n", 0);
	ok(has(&r, "553 5.1.3 <\"odd>\"@x.org>"), "'>' in quotes is parsed, then refused for the envelope");
	run_release(&r);

	run_init(&r);
	feed(&r, "MAIL FROM:<a@x.org> AUTH=<>\r\n", 0);
	ok(has(&r, "555 5.5.4 Unsupported option: AUTH=<>"), "MAIL parameter not offered: 555");
	feed(&r, "MAIL FROM:<a@x.org> SIZE=12x\r\n", 0);
	ok(has(&r, "555 5.5.4 Unsupported option: SIZE=12x"), "bad SIZE: 555");
	feed(&r, "MAIL FROM:<bad address@x.org>\r\n", 0);
	ok(has(&r, "553 5.1.7"), "bad sender: 553");
	is_int(r.b.state, BSMTP_ST_READY, "no transaction after refused MAILs");
	feed(&r, "mail from:<a@x.org> body=7bit\r\n", 0);
	ok(has(&r, "250 2.1.0"), "lower-case command and BODY=7BIT");
	run_release(&r);
}

static void test_unstuffing_splits(void)
{
	const char *text = "Subject: dots\n\n..\n...\n....x\n.x\nmid.dle\n. x\n.\n";
	const char *want = "Subject: dots\n\n.\n..\n...x\nx\nmid.dle\n x\n";
	int all = 1;

	/* ".\n" ends the message (bare LF, as PHP sends).  Every split
	 * point and one octet at a time give the same text. */
	for (size_t step = 0; step <= 7; step++) {
		struct run r;

		run_init(&r);
		feed(&r, "MAIL FROM:<a@x.org>\nRCPT TO:<b@x.org>\nDATA\n", 0);
		feed(&r, text, step);
		if (!(r.messages == 1 && r.data.data && !strcmp(r.data.data, want)))
			all = 0;
		if (step == 1) {
			is_str(r.data.data, want, "one octet at a time: unstuffed, ends at the bare-LF dot");
			feed(&r, "QUIT\n", 0);
			ok(has(&r, "221 "), "commands with bare LF");
		}
		run_release(&r);
	}
	ok(all, "every read size gives the same text and one message");

	/* "." then CR then not LF: not the end. */
	{
		struct run r;

		run_init(&r);
		feed(&r, "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n.\rx\r\n", 0);
		is_int(r.messages, 0, "\".\\rx\" does not end the message");
		feed(&r, ".", 0);
		feed(&r, "\r", 0);
		is_int(r.messages, 0, "\".\\r\" alone is not the end yet");
		feed(&r, "\n", 0);
		is_int(r.messages, 1, "\".\\r\" + \"\\n\" across reads ends it");
		is_str(r.data.data, "\rx\r\n", "the stuffing dot went, the CR stayed");
		run_release(&r);
	}
}

static void test_line_limits(void)
{
	struct run r;
	struct buf big = BUF_INIT;

	run_init(&r);
	buf_adds(&big, "NOOP ");
	while (big.len < BSMTP_LINE_MAX - 2)
		buf_add(&big, "x", 1);
	buf_adds(&big, "\r\n");		/* exactly 512 with CRLF */
	feed(&r, big.data, 100);
	ok(has(&r, "250 2.0.0 Ok"), "a 512-octet command line is fine");
	buf_reset(&big);
	buf_adds(&big, "MAIL FROM:<");
	while (big.len < 5000)
		buf_add(&big, "x", 1);
	buf_adds(&big, "@x.org>\r\nNOOP\r\n");
	feed(&r, big.data, 333);
	is_codes(&r, "220 250 500 250", "an overlong line: 500, and the next line is read again");
	ok(has(&r, "500 5.5.2 Error: line too long"), "says the line is too long");
	is_int(r.b.state, BSMTP_ST_READY, "the overlong MAIL did nothing");

	/* A long message line streams through whole (input_read breaks it). */
	feed(&r, "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n", 0);
	buf_reset(&big);
	while (big.len < 100000)
		buf_add(&big, "y", 1);
	buf_adds(&big, "\r\n.\r\n");
	feed(&r, big.data, 4096);
	is_int(r.messages, 1, "long message line: message complete");
	is_int(r.data.len, 100002, "all of the long line arrives");
	buf_release(&big);
	run_release(&r);
}

static void test_eof(void)
{
	struct run r;

	run_init(&r);
	feed(&r, "EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nSubject: cut\r\n\r\nhalf", 0);
	is_int(r.messages, 0, "no message before the dot");
	is_int(bsmtp_eof(&r.b), 1, "EOF in DATA: the message was cut off");
	is_int(r.b.state, BSMTP_ST_CLOSED, "closed");
	run_release(&r);

	run_init(&r);
	feed(&r, "EHLO c\r\nMAIL FROM:<a@x.org>\r\n", 0);
	is_int(bsmtp_eof(&r.b), 0, "EOF outside DATA cuts no message");
	run_release(&r);

	/* "." without its line end is not the end either. */
	run_init(&r);
	feed(&r, "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nx\r\n.", 0);
	is_int(bsmtp_eof(&r.b), 1, "EOF after a dot with no line end: cut off");
	run_release(&r);
}

static void test_outcomes(void)
{
	struct error e;
	struct run r;
	const char *dlg = "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nx\r\n.\r\n";

	is_int(bsmtp_reply_code(NULL, 0), 250, "no error: 250");

	error_set(&e, ERR_AUTH, "localhost port 587: authentication failed: 535 5.7.8 bad\nsecond line");
	e.smtp_code = 535;
	snprintf(e.enhanced, sizeof(e.enhanced), "5.7.8");
	run_init(&r);
	r.result = &e;
	feed(&r, dlg, 0);
	ok(has(&r, "451 4.7.0 localhost port 587: authentication failed: 535 5.7.8 bad\\x0asecond line\r\n"),
	   "auth failure: 451 4.7.0, one line");
	run_release(&r);

	error_set(&e, ERR_TEMP, "greylisted");
	e.smtp_code = 450;
	snprintf(e.enhanced, sizeof(e.enhanced), "4.7.1");
	is_int(bsmtp_reply_code(&e, 0), 451, "temporary: 451");
	run_init(&r);
	r.result = &e;
	feed(&r, dlg, 0);
	ok(has(&r, "451 4.7.1 greylisted\r\n"), "the server's 4.x.x code is kept");
	run_release(&r);

	error_set(&e, ERR_NOUSER, "recipient refused: <b@x.org> (550 5.1.1 no such user)");
	e.smtp_code = 550;
	snprintf(e.enhanced, sizeof(e.enhanced), "5.1.1");
	run_init(&r);
	r.result = &e;
	feed(&r, dlg, 0);
	ok(has(&r, "554 5.1.1 recipient refused"), "permanent: 554 with the server's code");
	run_release(&r);

	error_set(&e, ERR_UNAVAILABLE, "message refused: 552 5.3.4 too big");
	e.smtp_code = 552;
	snprintf(e.enhanced, sizeof(e.enhanced), "5.3.4");
	is_int(bsmtp_reply_code(&e, 0), 554, "5xx from the provider: 554");
	error_set(&e, ERR_CONFIG, "no configuration");
	is_int(bsmtp_reply_code(&e, 0), 451, "configuration: 451");
	error_set(&e, ERR_DATA, "NUL bytes");
	is_int(bsmtp_reply_code(&e, 0), 554, "bad message: 554");

	error_set(&e, ERR_NOUSER, "message delivered to 1 of 2 recipients; not delivered to <c@x.org>");
	run_init(&r);
	r.result = &e;
	r.partial = 1;
	feed(&r, dlg, 0);
	ok(has(&r, "250 2.0.0 Ok: sent, but not to every recipient: message delivered to 1 of 2"),
	   "partial: 250 naming the refusal");
	run_release(&r);

	/* A reply never exceeds the line limit, however long the reason. */
	{
		char longmsg[2000];
		memset(longmsg, 'z', sizeof(longmsg) - 1);
		longmsg[sizeof(longmsg) - 1] = '\0';
		error_set(&e, ERR_TEMP, "%s", longmsg);
		run_init(&r);
		r.result = &e;
		feed(&r, dlg, 0);
		const char *p = strstr(out_of(&r), "451 ");
		ok(p && strstr(p, "\r\n") - p <= BSMTP_LINE_MAX - 2, "long reason cut to the line limit");
		run_release(&r);
	}
}

int main(void)
{
	test_full_dialogue();
	test_pipelined();
	test_rset_and_more_messages();
	test_bad_sequence();
	test_addresses();
	test_unstuffing_splits();
	test_line_limits();
	test_eof();
	test_outcomes();
	return tap_done();
}
