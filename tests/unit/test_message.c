/* test_message.c - header parsing, -t recipients, edits, Date, Message-ID. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"
#include "tap.h"

/* Heap in use, to check what a message costs: ASan's own count when built
 * with it (glibc's statistics then see nothing), else glibc's mallinfo2(),
 * mmap'ed blocks included. */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_BY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_BY_ASAN 1
#endif
#endif
#if defined(HEAP_BY_ASAN)
size_t __sanitizer_get_current_allocated_bytes(void);
#define HEAP_KNOWN 1
static size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define HEAP_KNOWN 1
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
#endif

/* Push a text of "\n"-separated lines; returns the last push result, and
 * the index of the line that ended the section in *end_at (-1 if none). */
static int push_text(struct message *m, const char *text, int *end_at)
{
	struct error e;
	int r = MESSAGE_MORE, i = 0;
	const char *p = text, *nl;

	*end_at = -1;
	while (*p) {
		nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		r = message_push_line(m, p, len, &e);
		if (r != MESSAGE_MORE) {
			*end_at = i;
			return r;
		}
		i++;
		p += len + (nl ? 1 : 0);
	}
	return r;
}

/* Field i's raw text, and its name, as C strings (for the checks only; valid
 * until the next call). */
static const char *fraw(const struct message *m, size_t i)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_add(&b, m->raw.data + m->h[i].off, m->h[i].len);
	return b.data;
}

static const char *fname(const struct message *m, size_t i)
{
	static struct buf b = BUF_INIT;
	const char *raw = m->raw.data + m->h[i].off;

	buf_reset(&b);
	buf_add(&b, raw, strcspn(raw, ": \t"));
	return b.data;
}

static char *written(const struct message *m)
{
	struct buf b = BUF_INIT;

	message_write(m, &b);
	return buf_detach(&b);
}

static char *recips(const struct message *m, int *rc)
{
	struct strvec sv = STRVEC_INIT;
	struct buf b = BUF_INIT;
	struct error e;

	error_clear(&e);
	*rc = message_recipients(m, &sv, &e);
	if (*rc < 0)
		buf_addf(&b, "ERROR %s: %s", error_class_name(e.cls), e.msg);
	for (size_t i = 0; i < sv.n; i++)
		buf_addf(&b, "%s%s", i ? "|" : "", sv.v[i]);
	strvec_release(&sv);
	return buf_detach(&b);
}

static void recips_is(const char *text, const char *want, const char *name)
{
	struct message m;
	int end, rc;
	char *got;

	message_init(&m);
	push_text(&m, text, &end);
	got = recips(&m, &rc);
	is_str(got, want, name);
	free(got);
	message_release(&m);
}

static int max_line(const char *s)
{
	int max = 0, cur = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			if (cur > max)
				max = cur;
			cur = 0;
		} else {
			cur++;
		}
	}
	return cur > max ? cur : max;
}

/* Unfold a raw field: drop every "\n" (RFC 5322 2.2.3). */
static char *unfold(const char *raw)
{
	struct buf b = BUF_INIT;

	for (; *raw; raw++)
		if (*raw != '\n')
			buf_add(&b, raw, 1);
	return buf_detach(&b);
}

static void test_parse(void)
{
	struct message m;
	struct error e;
	int end, r;
	char *w;

	message_init(&m);
	r = push_text(&m, "From: a@x\nto: b@y\nSubject:   hello  world  \n\nbody\n", &end);
	is_int(r, MESSAGE_END_BLANK, "blank line ends the section");
	is_int(end, 3, "at the 4th line");
	is_int(m.n, 3, "three fields");
	is_str(message_get(&m, "TO"), "b@y", "get is case-insensitive");
	is_str(fname(&m, 1), "to", "name kept as written");
	is_str(message_get(&m, "subject"), "hello  world", "value trimmed, inner runs kept");
	ok(message_get(&m, "Cc") == NULL, "absent field is NULL");
	ok(m.ended, "ended is set");
	is_int(message_push_line(&m, "X: y", 4, &e), MESSAGE_END_BODY, "after the end every line is body");
	is_int(m.n, 3, "and is not taken");
	w = written(&m);
	is_str(w, "From: a@x\nto: b@y\nSubject:   hello  world  \n\n", "write keeps raw lines exactly, adds the blank line");
	free(w);
	message_release(&m);

	/* Folding. */
	message_init(&m);
	push_text(&m, "Subject: a\n\t b  \n  c\nX-Empty:\nX-Blank:   \n   \n\nbody", &end);
	is_str(message_get(&m, "Subject"), "a\t b    c", "unfolded: line ends removed, runs kept as is");
	is_str(fraw(&m, 0), "Subject: a\n\t b  \n  c\n", "raw keeps the folded lines");
	is_str(message_get(&m, "X-Empty"), "", "empty value is \"\"");
	is_str(message_get(&m, "X-Blank"), "", "blank-only folded value is \"\"");
	is_str(fraw(&m, 2), "X-Blank:   \n   \n", "blank continuation line kept in raw");
	message_release(&m);

	message_init(&m);
	push_text(&m, "Subject:\n  first\n  \n\t\n second  \n", &end);
	is_str(message_get(&m, "Subject"), "first  \t second", "blank-only lines between words unfold exactly");
	message_release(&m);

	/* What ends the section. */
	message_init(&m);
	r = push_text(&m, "Subject: x\nThis is not a header\nTo: a@b", &end);
	is_int(r, MESSAGE_END_BODY, "non-header line: END_BODY");
	is_int(end, 1, "at that line");
	message_release(&m);

	message_init(&m);
	r = push_text(&m, " continued first line\nTo: a@b", &end);
	is_int(r, MESSAGE_END_BODY, "continuation as the first line is body");
	is_int(m.n, 0, "no field taken");
	message_release(&m);

	message_init(&m);
	r = push_text(&m, "\nTo: a@b", &end);
	is_int(r, MESSAGE_END_BLANK, "empty first line: no header at all");
	message_release(&m);

	{
		static const char *const bodies[] = {
			"Bad Name: x", ": no name", "\x80x: y", "Nocolon", "From a@b Mon Jan 1",
			"na\x7fme: x", "tab\tname: x",
		};

		for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
			message_init(&m);
			r = message_push_line(&m, bodies[i], strlen(bodies[i]), &e);
			ok(r == MESSAGE_END_BODY && m.n == 0, "not a field: [%s]", bodies[i]);
			message_release(&m);
		}
	}
	{
		static const char *const fields[] = {
			"X:", "a:b", "!#$%&'*+-/=?^_`{|}~;<>\"[].,@\\:v", "Subject : obsolete", "Subject\t: x",
		};

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			message_init(&m);
			r = message_push_line(&m, fields[i], strlen(fields[i]), &e);
			ok(r == MESSAGE_MORE && m.n == 1, "a field: [%s]", fields[i]);
			message_release(&m);
		}
	}
	message_init(&m);
	message_push_line(&m, "Subject : obsolete", 18, &e);
	is_str(fname(&m, 0), "Subject", "blanks before the colon are not part of the name");
	is_str(message_get(&m, "subject"), "obsolete", "obsolete form's value");
	message_release(&m);

	/* Octets a header may hold. */
	message_init(&m);
	r = message_push_line(&m, "X: a\0b\xff", 7, &e);
	ok(r == MESSAGE_MORE && m.h[0].len == 8 && !memcmp(fraw(&m, 0), "X: a\0b\xff\n", 8),
	   "NUL and 8-bit octets kept in raw");
	message_release(&m);
}

static void test_cap(void)
{
	struct message m;
	struct error e;
	char line[1000];
	size_t pushed = 0;
	int r = MESSAGE_MORE;

	memset(line, 'x', sizeof(line));
	memcpy(line, "X-Fill: ", 8);
	message_init(&m);
	while (r == MESSAGE_MORE && pushed < 2 * MESSAGE_HEADER_MAX) {
		error_clear(&e);
		r = message_push_line(&m, line, sizeof(line), &e);
		pushed += sizeof(line) + 1;
	}
	is_int(r, -1, "header cap enforced");
	is_int(e.cls, ERR_DATA, "as ERR_DATA");
	ok(strstr(e.msg, "header section") != NULL, "message says why: %s", e.msg);
	ok(m.bytes <= MESSAGE_HEADER_MAX, "bytes stay within the cap");
	is_int(m.n, MESSAGE_HEADER_MAX / 1001, "the refused line was not taken");
	ok(!m.ended, "not marked ended");
	message_release(&m);

	/* Linear time with very many continuation lines (a 1 MiB field of
	 * two-octet lines, and of blank-only lines). */
	{
		clock_t t0 = clock();

		message_init(&m);
		message_push_line(&m, "Subject: x", 10, &e);
		for (int i = 0; i < 300000; i++)
			message_push_line(&m, i % 2 ? " y" : "  ", 2, &e);
		ok(strlen(message_get(&m, "Subject")) > 400000, "long folded field unfolded");
		ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "in linear time");
		message_release(&m);
	}
}

/* The field cap: a clear error, nothing taken, continuation lines still
 * taken, postern's own additions not refused. */
static void test_fields_cap(void)
{
	struct message m;
	struct error e;
	int r = MESSAGE_MORE, n_more = 0;
	struct buf w = BUF_INIT;

	message_init(&m);
	for (int i = 0; i < MESSAGE_FIELDS_MAX && r == MESSAGE_MORE; i++) {
		r = message_push_line(&m, "a:b", 3, &e);
		n_more += r == MESSAGE_MORE;
	}
	is_int(n_more, MESSAGE_FIELDS_MAX, "MESSAGE_FIELDS_MAX fields are taken");
	error_clear(&e);
	is_int(message_push_line(&m, "To: x@y", 7, &e), -1, "one more field is refused");
	is_int(e.cls, ERR_DATA, "as ERR_DATA");
	is_str(e.msg, "the header section has more than 10000 fields; is the input really a mail message?",
	       "the message says why");
	is_int(m.n, MESSAGE_FIELDS_MAX, "the refused field was not taken");
	is_int(m.bytes, 4 * MESSAGE_FIELDS_MAX, "nor its octets");
	ok(!m.ended, "not marked ended");
	ok(message_get(&m, "To") == NULL, "the refused field is not there");
	is_int(message_push_line(&m, " more", 5, &e), MESSAGE_MORE, "a continuation line is still taken");
	is_str(fraw(&m, MESSAGE_FIELDS_MAX - 1), "a:b\n more\n", "by the last field");
	message_add(&m, "Date", "Mon, 23 Nov 2026 12:46:09 +0100");
	is_int(m.n, MESSAGE_FIELDS_MAX + 1, "message_add is not capped");
	is_str(message_get(&m, "date"), "Mon, 23 Nov 2026 12:46:09 +0100", "and its field reads back");
	message_write(&m, &w);
	ok(w.len == 4 * MESSAGE_FIELDS_MAX + 6 + 38 + 1 &&
	   !strcmp(w.data + w.len - 49, "a:b\n more\nDate: Mon, 23 Nov 2026 12:46:09 +0100\n\n"),
	   "all of it is written");
	buf_release(&w);
	message_release(&m);
}

#ifdef HEAP_KNOWN
/* Push lines of len octets (a field each) until the section refuses one or
 * holds about total octets; check the heap the message holds against a
 * small constant factor of its octets S and fields N. */
static void memory_is_small(const char *what, size_t len, size_t total)
{
	struct message m;
	struct error e;
	char *line = xmalloc(len);
	size_t before, held, S, N, bound;
	int r = MESSAGE_MORE;

	memset(line, 'v', len);
	memcpy(line, "X-F: ", len < 5 ? len : 5);
	if (len == 3)
		memcpy(line, "a:b", 3);
	before = heap_in_use();
	message_init(&m);
	while (r == MESSAGE_MORE && m.bytes + len + 1 <= total)
		r = message_push_line(&m, line, len, &e);
	/* Held while measuring. */
	held = heap_in_use() - before;
	S = m.bytes;
	N = m.n;
	bound = 3 * S + 64 * N;
	if (!ok(held <= bound, "%s: %zu fields of %zu octets hold %zu octets of heap (at most 3*S + 64*N = %zu)",
		what, N, S, held, bound))
		printf("#   %.1f octets per field\n", (double)held / (double)N);
	message_release(&m);
	free(line);
}
#endif

static void test_memory(void)
{
#ifdef HEAP_KNOWN
	/* Stopped by the field cap after 10000 fields (40 KB). */
	memory_is_small("1 MiB of \"a:b\" lines", 3, MESSAGE_HEADER_MAX);
	memory_is_small("1 MiB of 100-octet fields", 100, MESSAGE_HEADER_MAX);
	memory_is_small("64 KiB of 30-octet fields", 30, 64 * 1024);
#else
	tap_n++;
	printf("ok %d # SKIP no heap statistics without glibc 2.33 or ASan\n", tap_n);
#endif
}

/* Values are computed when asked for and cached: a later change must not
 * show a stale one, and removal must keep the others right. */
static void test_values(void)
{
	struct message m;
	struct error e;
	int end;
	char *w;

	message_init(&m);
	push_text(&m, "Subject: a\nBcc: x@y\nTo: t@x\nbcc: z@z\nCc:  c@x \n", &end);
	is_str(message_get(&m, "Subject"), "a", "value before a continuation");
	is_str(message_get(&m, "cc"), "c@x", "last field");
	message_push_line(&m, "  b ", 4, &e);
	is_str(message_get(&m, "cc"), "c@x   b", "a continuation line updates a value already read");
	is_str(message_get(&m, "to"), "t@x", "To before removal");
	message_remove(&m, "BCC");
	is_int(m.n, 3, "Bcc removed");
	is_str(message_get(&m, "to"), "t@x", "To after removal");
	is_str(message_get(&m, "Cc"), "c@x   b", "Cc after removal (moved in the arena)");
	is_str(fraw(&m, 2), "Cc:  c@x \n  b \n", "its raw text moved whole");
	ok(message_get(&m, "Bcc") == NULL, "no Bcc left");
	message_add(&m, "Message-ID", "<1@x>");
	is_str(message_get(&m, "message-id"), "<1@x>", "added field after removal");
	w = written(&m);
	is_str(w, "Subject: a\nTo: t@x\nCc:  c@x \n  b \nMessage-ID: <1@x>\n\n", "written after all that");
	free(w);
	message_remove(&m, "Subject");
	w = written(&m);
	is_str(w, "To: t@x\nCc:  c@x \n  b \nMessage-ID: <1@x>\n\n", "the first field removed");
	free(w);
	ok(message_get(&m, "Sub") == NULL && message_get(&m, "To:") == NULL && message_get(&m, "T") == NULL,
	   "only whole names match");
	message_release(&m);

	message_init(&m);
	push_text(&m, "Subject : spaced\nX-Y\t:\ttab\n", &end);
	is_str(message_get(&m, "subject"), "spaced", "name before blanks (obsolete syntax)");
	is_str(message_get(&m, "x-y"), "tab", "name before a tab");
	message_release(&m);
}

static void test_recipients(void)
{
	recips_is("To: a@x\nCc: b@y\nBcc: c@z\nFrom: f@f\n\n", "a@x|b@y|c@z", "To, Cc, Bcc");
	recips_is("To: a@x\nTo: b@y, A@X\ncc: B@y\nbcc: c@z, a@x\n\n", "a@x|b@y|c@z",
		  "all occurrences, deduplicated case-insensitively, first kept");
	recips_is("To: Alice <a@x>,\n Bob <b@y>\n\n", "a@x|b@y", "folded To");
	recips_is("To: team: a@x, b@y;, c@z\n\n", "a@x|b@y|c@z", "group syntax");
	recips_is("To: undisclosed-recipients:;\nBcc: hidden@x\n\n", "hidden@x", "empty group plus Bcc");
	recips_is("To: a@x (Alice), \"b, c\" <bc@y> (comma in quotes)\n\n", "a@x|bc@y", "comments and quotes");
	recips_is("To: root\n\n", "root", "bare local name");
	recips_is("Subject: none\n\n", "", "no recipient fields");
	recips_is("To: a@x\nResent-To: r@x\nResent-Cc: s@y\nResent-Bcc: t@z\nCc: b@y\n\n",
		  "r@x|s@y|t@z", "Resent-* replace To/Cc/Bcc");
	recips_is("To: a@x\nResent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n\n", "",
		  "any Resent- field switches to Resent-To/Cc/Bcc");
	recips_is("To: a@x\nRESENT-TO: r@x\nresent-to: R@X, q@x\n\n", "r@x|q@x",
		  "Resent- matched case-insensitively, all occurrences");
	recips_is("X-Resent-To: nope@x\nTo: a@x\n\n", "a@x", "X-Resent-To is not a resent field");
	recips_is("Too: a@x\nTo-: b@x\nTo: c@x\n\n", "c@x", "only exact field names");
	{
		struct message m;
		int end, rc;
		char *got;

		message_init(&m);
		push_text(&m, "To: a@x\nCc: <broken@x\n\n", &end);
		got = recips(&m, &rc);
		is_int(rc, -1, "malformed list fails");
		ok(strncmp(got, "ERROR data: Cc: ", 16) == 0, "error names the field: %s", got);
		ok(strchr(got, '|') == NULL && !strstr(got, "a@x|"), "nothing appended on error");
		free(got);
		message_release(&m);
	}
	{
		struct message m;
		struct strvec sv = STRVEC_INIT;
		struct error e;
		int end;

		message_init(&m);
		push_text(&m, "To: cmd@x, new@y\n\n", &end);
		strvec_push(&sv, "CMD@x");
		ok(message_recipients(&m, &sv, &e) == 0 && sv.n == 2 && !strcmp(sv.v[1], "new@y"),
		   "appends after, and deduplicates against, what out holds");
		strvec_release(&sv);
		message_release(&m);
	}
	{
		/* Many distinct recipients: no quadratic blow-up. */
		struct message m;
		struct strvec sv = STRVEC_INIT;
		struct buf line = BUF_INIT;
		struct error e;
		clock_t t0 = clock();

		message_init(&m);
		buf_adds(&line, "To: ");
		for (int i = 0; i < 100000; i++)
			buf_addf(&line, "u%d@x,", i % 50000);
		message_push_line(&m, line.data, line.len, &e);
		ok(message_recipients(&m, &sv, &e) == 0 && sv.n == 50000, "50000 distinct of 100000");
		ok(!strcmp(sv.v[49999], "u49999@x"), "order kept");
		ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "quickly");
		strvec_release(&sv);
		buf_release(&line);
		message_release(&m);
	}
}

static void test_edits(void)
{
	struct message m;
	int end;
	char *w;

	message_init(&m);
	push_text(&m, "From: f@x\nBcc: secret@x,\n other@y\nTo: t@x\nbcc: more@z\nBCC:\nSubject: s\n\n", &end);
	message_remove(&m, "Bcc");
	w = written(&m);
	is_str(w, "From: f@x\nTo: t@x\nSubject: s\n\n", "every Bcc removed, folded lines too");
	free(w);
	message_remove(&m, "X-Absent");
	is_int(m.n, 3, "removing an absent field changes nothing");
	message_add(&m, "Date", "Mon, 23 Nov 2026 12:46:09 +0100");
	w = written(&m);
	is_str(w, "From: f@x\nTo: t@x\nSubject: s\nDate: Mon, 23 Nov 2026 12:46:09 +0100\n\n",
	       "add appends at the end");
	free(w);
	is_str(message_get(&m, "date"), "Mon, 23 Nov 2026 12:46:09 +0100", "added value readable");
	message_remove(&m, "from");
	message_remove(&m, "TO");
	message_remove(&m, "subject");
	message_remove(&m, "Date");
	is_int(m.n, 0, "all removed");
	w = written(&m);
	is_str(w, "\n", "empty section writes the blank line only");
	free(w);
	message_release(&m);

	/* Folding long values. */
	{
		struct buf v = BUF_INIT;
		char *uf;

		for (int i = 0; i < 60; i++)
			buf_addf(&v, "word%d ", i);
		buf_adds(&v, "  two  blanks\tand tab");
		message_init(&m);
		message_add(&m, "X-Long", v.data);
		const char *f = fraw(&m, 0);
		ok(max_line(f) <= 78, "folded to 78 (longest %d)", max_line(f));
		ok(strchr(f, '\n') < f + strlen(f) - 1, "really folded");
		uf = unfold(f);
		ok(!strncmp(uf, "X-Long: ", 8) && !strcmp(uf + 8, message_get(&m, "X-Long")),
		   "unfolding gives back the value");
		is_str(message_get(&m, "X-Long"), v.data, "value kept as given");
		free(uf);
		message_release(&m);
		buf_release(&v);
	}
	{
		struct buf v = BUF_INIT;

		for (int i = 0; i < 2500; i++)
			buf_add(&v, "a", 1);
		buf_adds(&v, " short ");
		for (int i = 0; i < 100; i++)
			buf_add(&v, "b", 1);
		message_init(&m);
		message_add(&m, "References", v.data);
		const char *f = fraw(&m, 0);
		ok(max_line(f) <= 998, "an unbreakable word is still cut at 998 (longest %d)", max_line(f));
		ok(f[strlen(f) - 1] == '\n', "ends with a line end");
		{
			int cont_ok = 1;

			for (const char *p = strchr(f, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
				if (p[1] != ' ' && p[1] != '\t')
					cont_ok = 0;
			ok(cont_ok, "every further line is a continuation");
		}
		message_release(&m);
		buf_release(&v);
	}
	message_init(&m);
	message_add(&m, "X-Inject", "a\r\nBcc: evil@x\nmore");
	w = written(&m);
	is_str(w, "X-Inject: a  Bcc: evil@x more\n\n", "CR/LF in an added value cannot start a field");
	free(w);
	message_add(&m, "X-Empty", "");
	is_str(fraw(&m, 1), "X-Empty:\n", "empty added value");
	is_str(message_get(&m, "X-Empty"), "", "empty added value reads as \"\"");
	message_add(&m, "X-Short", "  padded  ");
	is_str(fraw(&m, 2), "X-Short: padded\n", "added value trimmed");
	message_release(&m);
	message_init(&m);
	message_add(&m, "Subject", "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 012");
	is_str(fraw(&m, 0),
	       "Subject: 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 012\n",
	       "exactly 78 octets: not folded");
	message_release(&m);
	message_init(&m);
	message_add(&m, "Subject", "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123");
	is_str(fraw(&m, 0),
	       "Subject: 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789\n 0123\n",
	       "79 octets: folded before the last word");
	message_release(&m);
}

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Parse our own Date format back to a time_t (UTC); -1 if malformed. */
static long long parse_date(const char *s, int *zone)
{
	char wd[8], mon[8], sign;
	int d, y, hh, mm, ss, zh, zm, n = 0, mi = -1, wi = -1;
	long long days;

	if (sscanf(s, "%3s, %d %3s %d %d:%d:%d %c%2d%2d%n", wd, &d, mon, &y, &hh, &mm, &ss,
		   &sign, &zh, &zm, &n) != 10 || s[n] || (sign != '+' && sign != '-'))
		return -1;
	if (strlen(s) < 31 || s[3] != ',')
		return -1;
	for (int i = 0; i < 12; i++)
		if (!strcmp(mon, mons[i]))
			mi = i;
	for (int i = 0; i < 7; i++)
		if (!strcmp(wd, wdays[i]))
			wi = i;
	if (mi < 0 || wi < 0)
		return -1;
	/* days from civil (Howard Hinnant) */
	{
		int yy = y - (mi + 1 <= 2);
		int era = (yy >= 0 ? yy : yy - 399) / 400;
		int yoe = yy - era * 400;
		int mp = (mi + 1 + 9) % 12;
		int doy = (153 * mp + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = (long long)era * 146097 + doe - 719468;
	}
	if ((days % 7 + 11) % 7 != wi)	/* 1970-01-01 was a Thursday */
		return -1;
	*zone = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
	return days * 86400 + hh * 3600 + mm * 60 + ss - *zone * 60LL;
}

static void date_in(const char *tz, int want_zone)
{
	char *d;
	int zone = 9999;
	long long t;

	setenv("TZ", tz, 1);
	tzset();
	d = message_date_now();
	t = parse_date(d, &zone);
	ok(t != -1, "TZ=%s: well-formed date [%s]", tz, d);
	is_int(zone, want_zone, "zone offset in minutes");
	ok(t != -1 && llabs(t - (long long)time(NULL)) <= 5, "date is now");
	free(d);
}

static void test_date_id(void)
{
	char *d, *id, *id2;
	struct strvec seen = STRVEC_INIT;
	int dup = 0, fmt = 1;

	/* Whatever LC_TIME says, the names are English. */
	setlocale(LC_ALL, "");
	if (!setlocale(LC_TIME, "de_DE.UTF-8") && !setlocale(LC_TIME, "fr_FR.UTF-8"))
		tap_diag("no German or French locale installed; LC_TIME check is weaker");
	date_in("UTC0", 0);
	date_in("EST5", -300);
	date_in("<+0530>-5:30", 330);
	date_in("<-0930>9:30", -570);
	setlocale(LC_ALL, "C");
	unsetenv("TZ");
	tzset();
	d = message_date_now();
	ok(strlen(d) >= 30 && strlen(d) <= 31, "length of [%s]", d);
	free(d);

	id = message_id_new("example.org");
	id2 = message_id_new(NULL);
	ok(id[0] == '<' && strlen(id) > 40, "Message-ID shape [%s]", id);
	ok(strspn(id + 1, "abcdefghijklmnopqrstuvwxyz234567") == 24 && id[25] == '.',
	   "24 base32 characters then a dot");
	ok(strspn(id + 26, "0123456789") >= 10 && !strcmp(id + 26 + strspn(id + 26, "0123456789"), "@example.org>"),
	   "then the time and @domain>");
	ok(strstr(id2, "@localhost>") != NULL, "NULL domain gives localhost: %s", id2);
	free(id);
	free(id2);
	for (int i = 0; i < 2000; i++) {
		id = message_id_new("x");
		if (strlen(id) < 30 || id[0] != '<')
			fmt = 0;
		if (strvec_find_icase(&seen, id) >= 0)
			dup = 1;
		strvec_push_take(&seen, id);
	}
	ok(fmt && !dup, "2000 Message-IDs, all distinct");
	strvec_release(&seen);
}

static void test_replace(void)
{
	struct message m;
	int end;
	char *w;

	message_init(&m);
	push_text(&m, "Received: r\nFrom: root (Cron Daemon)\nTo: root\nfrom: again\nSubject: s\n\n", &end);
	is_str(message_get(&m, "From"), "root (Cron Daemon)", "From read before the replace");
	message_replace(&m, "From", "\"Cron Daemon\" <alice@example.org>");
	w = written(&m);
	is_str(w, "Received: r\nFrom: \"Cron Daemon\" <alice@example.org>\nTo: root\nfrom: again\nSubject: s\n\n",
	       "replace: the first one, in its place; the rest untouched");
	free(w);
	is_str(message_get(&m, "from"), "\"Cron Daemon\" <alice@example.org>", "replace: the new value is read");
	is_str(message_get(&m, "subject"), "s", "replace: later fields still found");
	message_replace(&m, "To", "root@example.org");
	message_replace(&m, "X-Original-From", "a@b");
	w = written(&m);
	is_str(w, "Received: r\nFrom: \"Cron Daemon\" <alice@example.org>\nTo: root@example.org\n"
	       "from: again\nSubject: s\nX-Original-From: a@b\n\n", "replace: the last field in place; a new one at the end");
	free(w);
	message_release(&m);
}

int main(void)
{
	test_replace();
	test_parse();
	test_cap();
	test_fields_cap();
	test_memory();
	test_values();
	test_recipients();
	test_edits();
	test_date_id();
	return tap_done();
}
