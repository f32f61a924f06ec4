/* test_input.c - input_read: line ends, long lines, the lone dot, the mbox
 * line, the header section and its cap, errors; every case read from a file
 * in 64 KiB chunks and again from a pipe one byte per read(2). */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

enum feed { FEED_FILE, FEED_PIPE_BYTES, FEED_MAX };
static const char *const feed_name[] = { "file", "pipe, 1 byte per read" };

struct cbstate {
	int calls;
	int fail;		/* return -1 */
	int edit;		/* remove Bcc, add X-Added */
	size_t n_seen;		/* fields when called */
	int ended_seen;
};

static int cb(void *ctx, struct message *m, struct error *e)
{
	struct cbstate *st = ctx;

	st->calls++;
	st->n_seen = m->n;
	st->ended_seen = m->ended;
	if (st->edit) {
		message_remove(m, "Bcc");
		message_add(m, "X-Added", "yes");
	}
	if (st->fail)
		return error_set(e, ERR_CONFIG, "the callback says no");
	return 0;
}

struct result {
	int rc;
	struct error e;
	struct buf out;		/* the spool file's contents */
	struct message m;
	struct spool sp;
};

static char tmpdir[] = "/tmp/postern-test-input.XXXXXX";

static int input_fd(const char *in, size_t len, enum feed how, pid_t *child)
{
	int p[2];
	char path[64];
	int fd;

	*child = -1;
	if (how == FEED_FILE) {
		snprintf(path, sizeof(path), "%s/in.XXXXXX", tmpdir);
		fd = mkstemp(path);
		if (fd < 0)
			return -1;
		unlink(path);
		if (write(fd, in, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
			return -1;
		return fd;
	}
	if (pipe(p) < 0)
		return -1;
	*child = fork();
	if (*child == 0) {
		close(p[0]);
		/* One byte, then wait until the reader has taken it, so that
		 * every read(2) returns exactly one byte. */
		for (size_t i = 0; i < len; i++) {
			int avail = 1;

			if (write(p[1], in + i, 1) != 1)
				_exit(1);
			while (ioctl(p[1], FIONREAD, &avail) == 0 && avail > 0)
				usleep(20);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void slurp(int fd, struct buf *out)
{
	char b[65536];
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0)
		buf_add(out, b, (size_t)n);
}

static void run(const char *in, size_t len, int dot_ends, enum feed how,
		struct cbstate *st, struct result *r)
{
	struct input_opts o = { dot_ends };
	struct error e;
	pid_t child;
	int fd, status;

	memset(r, 0, sizeof(*r));
	message_init(&r->m);
	buf_init(&r->out);
	if (spool_create(&r->sp, tmpdir, &e) < 0) {
		printf("# spool_create: %s\n", e.msg);
		exit(1);
	}
	fd = input_fd(in, len, how, &child);
	if (fd < 0) {
		perror("# input_fd");
		exit(1);
	}
	error_clear(&r->e);
	r->rc = input_read(fd, &o, &r->m, st ? cb : NULL, st, &r->sp, &r->e);
	close(fd);
	/* The writer may still wait for bytes input_read never took (after
	 * the lone dot): it has served its purpose. */
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	spool_rewind(&r->sp, &e);
	slurp(r->sp.fd, &r->out);
	if (!r->out.data)
		buf_add(&r->out, "", 0);
}

static void result_release(struct result *r)
{
	buf_release(&r->out);
	message_release(&r->m);
	spool_release(&r->sp);
}

static void show(const char *label, const char *s, size_t n)
{
	printf("#   %s [", label);
	for (size_t i = 0; i < n && i < 300; i++) {
		if (s[i] == '\n')
			printf("\\n");
		else if (s[i] == '\r')
			printf("\\r");
		else if ((unsigned char)s[i] < 32)
			printf("\\x%02x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	}
	printf("%s]\n", n > 300 ? "..." : "");
}

static uint64_t count_nl(const struct buf *b)
{
	uint64_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* Run in every feed mode; expect rc 0 and exactly want in the spool. */
static void spool_is(const char *name, const char *in, size_t len, int dot_ends, const char *want)
{
	for (enum feed how = 0; how < FEED_MAX; how++) {
		struct result r;

		run(in, len, dot_ends, how, NULL, &r);
		if (!ok(r.rc == 0 && r.out.len == strlen(want) && !memcmp(r.out.data, want, r.out.len) &&
			r.sp.bytes == r.out.len && r.sp.lines == count_nl(&r.out),
			"%s (%s)", name, feed_name[how])) {
			printf("#   rc %d %s; bytes %llu lines %llu\n", r.rc, r.e.msg,
			       (unsigned long long)r.sp.bytes, (unsigned long long)r.sp.lines);
			show("got ", r.out.data, r.out.len);
			show("want", want, strlen(want));
		}
		result_release(&r);
	}
}

#define S(lit) lit, sizeof(lit) - 1

static void test_line_ends(void)
{
	spool_is("LF", S("Subject: x\n\nbody\n"), 1, "Subject: x\n\nbody\n");
	spool_is("CRLF", S("Subject: x\r\n\r\nbody\r\nline2\r\n"), 1, "Subject: x\n\nbody\nline2\n");
	spool_is("bare CR", S("Subject: x\r\rbody\rline2"), 1, "Subject: x\n\nbody\nline2\n");
	spool_is("mixed", S("a: b\r\n\rc\n\r\nd\re\n"), 1, "a: b\n\nc\n\nd\ne\n");
	spool_is("CR CRLF is two line ends", S("x: y\r\r\nbody\r\r\n"), 1, "x: y\n\nbody\n\n");
	spool_is("LF CR is two line ends", S("x: y\n\rbody\n\r"), 1, "x: y\n\nbody\n\n");
	spool_is("EOF without a line end", S("Subject: x\n\nbody"), 1, "Subject: x\n\nbody\n");
	spool_is("EOF after a CR", S("Subject: x\n\nbody\r"), 1, "Subject: x\n\nbody\n");
	spool_is("empty body lines kept", S("S: x\n\n\n\na\n\n"), 1, "S: x\n\n\n\na\n\n");
}

static void test_dot(void)
{
	spool_is("lone dot ends input", S("Subject: x\n\nbody\n.\nafter\n"), 1, "Subject: x\n\nbody\n");
	spool_is("lone dot is data with -i", S("Subject: x\n\nbody\n.\nafter\n"), 0,
		 "Subject: x\n\nbody\n.\nafter\n");
	spool_is("CRLF lone dot", S("S: x\r\n\r\nb\r\n.\r\nafter\r\n"), 1, "S: x\n\nb\n");
	spool_is("CR lone dot", S("S: x\r\rb\r.\rafter"), 1, "S: x\n\nb\n");
	spool_is("dot at EOF", S("S: x\n\nb\n."), 1, "S: x\n\nb\n");
	spool_is("\"..\" is not the end and stays \"..\"", S("S: x\n\n..\nz\n"), 1, "S: x\n\n..\nz\n");
	spool_is("\". \" is data", S("S: x\n\n. \n.x\nz\n"), 1, "S: x\n\n. \n.x\nz\n");
	spool_is("dot inside a line", S("S: x\n\na.\n"), 1, "S: x\n\na.\n");
	spool_is("dot in the header section ends it", S("Subject: x\n.\nbody\n"), 1, "Subject: x\n\n");
	spool_is("dot as the first line", S(".\nSubject: x\n\n"), 1, "\n");
	spool_is("dot as the first line with -i: body", S(".\nSubject: x\n\n"), 0, "\n.\nSubject: x\n\n");
}

static void test_mbox_and_sections(void)
{
	spool_is("mbox From line dropped", S("From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nb\n"), 1,
		 "Subject: x\n\nb\n");
	spool_is("only one From line dropped", S("From a@b\nFrom c@d\nS: x\n\n"), 1, "\nFrom c@d\nS: x\n\n");
	spool_is("From line in the body kept", S("S: x\n\nFrom me\n"), 1, "S: x\n\nFrom me\n");
	spool_is("From: is a field, not the mbox line", S("From: a@b\n\nx\n"), 1, "From: a@b\n\nx\n");
	spool_is("From without a blank kept", S("Fromage: oui\n\n"), 1, "Fromage: oui\n\n");
	spool_is("EOF in the header section", S("Subject: x\nTo: a@b"), 1, "Subject: x\nTo: a@b\n\n");
	spool_is("empty input", S(""), 1, "\n");
	spool_is("no header at all", S("just text\nmore\n"), 1, "\njust text\nmore\n");
	spool_is("blank first line", S("\nbody\n"), 1, "\nbody\n");
	spool_is("folded header kept", S("Subject: a\n b\n\tc\nTo: x@y\n\nbody\n"), 1,
		 "Subject: a\n b\n\tc\nTo: x@y\n\nbody\n");
	spool_is("header ended by a non-field line", S("Subject: a\nnot a field\nmore\n"), 1,
		 "Subject: a\n\nnot a field\nmore\n");

	/* The parsed section. */
	{
		struct cbstate st = { 0 };
		struct result r;

		run(S("From x\nSubject: a\n b\nTo: t@x\nBcc: hidden@x\n\nbody\n"), 1, FEED_FILE, &st, &r);
		is_int(r.rc, 0, "with a callback: ok");
		is_int(st.calls, 1, "callback called once");
		is_int(st.n_seen, 3, "with the whole section");
		ok(st.ended_seen, "marked ended");
		is_str(message_get(&r.m, "subject"), "a b", "message holds the unfolded value");
		result_release(&r);
	}
	{
		struct cbstate st = { 0 };
		struct result r;

		st.edit = 1;
		run(S("Subject: a\nBcc: hidden@x\nTo: t@x\n\nbody\n"), 1, FEED_PIPE_BYTES, &st, &r);
		is_str(r.out.data, "Subject: a\nTo: t@x\nX-Added: yes\n\nbody\n", "callback's edits are spooled");
		result_release(&r);
	}
	{
		struct cbstate st = { 0 };
		struct result r;

		st.edit = 1;
		run(S("Subject: a\nBcc: b@x"), 1, FEED_FILE, &st, &r);
		is_int(st.calls, 1, "callback called at EOF in the section");
		is_str(r.out.data, "Subject: a\nX-Added: yes\n\n", "and its edits spooled");
		result_release(&r);
		memset(&st, 0, sizeof(st));
		run(S(""), 1, FEED_FILE, &st, &r);
		is_int(st.calls, 1, "callback called for empty input");
		result_release(&r);
		memset(&st, 0, sizeof(st));
		run(S("S: x\n.\n"), 1, FEED_FILE, &st, &r);
		is_int(st.calls, 1, "callback called when the dot ends the section");
		result_release(&r);
	}
	{
		struct cbstate st = { 0 };
		struct result r;

		st.fail = 1;
		run(S("Subject: a\n\nline 1\nline 2\n"), 1, FEED_PIPE_BYTES, &st, &r);
		is_int(r.rc, -1, "callback failure returned");
		is_int(r.e.cls, ERR_CONFIG, "with the callback's class");
		is_str(r.e.msg, "the callback says no", "and message");
		is_str(r.out.data, "Subject: a\n\nline 1\nline 2\n", "the whole input still spooled");
		result_release(&r);
	}
}

static void test_octets(void)
{
	struct result r;

	run(S("S: x\n\na\0b\n"), 1, FEED_FILE, NULL, &r);
	ok(r.rc == 0 && r.sp.has_nul && !r.sp.eightbit, "NUL noticed, not 8-bit");
	ok(r.out.len == 10 && !memcmp(r.out.data, "S: x\n\na\0b\n", 10), "NUL spooled as is");
	result_release(&r);
	run(S("S: caf\xc3\xa9\n\n\xff\n"), 1, FEED_PIPE_BYTES, NULL, &r);
	ok(r.rc == 0 && r.sp.eightbit && !r.sp.has_nul, "8-bit noticed");
	is_str(r.out.data, "S: caf\xc3\xa9\n\n\xff\n", "8-bit spooled as is");
	result_release(&r);
	run(S("S: x\n\nplain ascii\n"), 1, FEED_FILE, NULL, &r);
	ok(!r.sp.eightbit && !r.sp.has_nul && r.sp.broken_lines == 0, "plain text: no flags");
	is_int(r.sp.bytes, 18, "bytes counted");
	is_int(r.sp.lines, 3, "lines counted");
	result_release(&r);
}

/* Check the long-line rules on a spool: every line <= 998, a line starting
 * with '.' <= 997, and removing each inserted "\n " gives back orig. */
static int lines_ok(const struct buf *out, size_t from, const char *orig, size_t olen, size_t *nlines)
{
	struct buf joined = BUF_INIT;
	size_t start = from, i;
	int good = 1;

	*nlines = 0;
	for (i = from; i < out->len; i++) {
		if (out->data[i] != '\n')
			continue;
		size_t n = i - start;

		(*nlines)++;
		if (n > 998 || (n > 997 && out->data[start] == '.'))
			good = 0;
		if (start != from) {
			if (out->data[start] != ' ') {
				good = 0;
				break;
			}
			start++;
		}
		buf_add(&joined, out->data + start, i - start);
		start = i + 1;
	}
	if (start != out->len || joined.len != olen || memcmp(joined.data, orig, olen))
		good = 0;
	buf_release(&joined);
	return good;
}

static void long_line(size_t n, char first, size_t want_lines)
{
	static const char hdr[] = "S: x\n\n";
	struct buf in = BUF_INIT;
	size_t nlines = 0;

	buf_adds(&in, hdr);
	for (size_t i = 0; i < n; i++)
		buf_add(&in, i ? "x" : &first, 1);
	buf_add(&in, "\n", 1);
	for (enum feed how = 0; how < FEED_MAX; how++) {
		struct result r;

		if (how == FEED_PIPE_BYTES && n > 3000)
			continue;
		run(in.data, in.len, 1, how, NULL, &r);
		ok(r.rc == 0 && lines_ok(&r.out, sizeof(hdr) - 1, in.data + sizeof(hdr) - 1, n, &nlines) &&
		   nlines == want_lines && r.sp.broken_lines == (want_lines > 1),
		   "a %zu-octet line starting with '%c' gives %zu line(s) (%s)", n, first, want_lines,
		   feed_name[how]);
		if (nlines != want_lines)
			printf("#   got %zu lines, broken_lines %llu\n", nlines,
			       (unsigned long long)r.sp.broken_lines);
		result_release(&r);
	}
	buf_release(&in);
}

static void test_long_lines(void)
{
	long_line(997, 'x', 1);
	long_line(998, 'x', 1);
	long_line(999, 'x', 2);
	long_line(998 + 997, 'x', 2);
	long_line(998 + 997 + 1, 'x', 3);
	long_line(997, '.', 1);
	long_line(998, '.', 2);
	long_line(997 + 997, '.', 2);
	long_line(997 + 997 + 1, '.', 3);
	long_line(2500, ' ', 3);

	/* Exactly where the breaks go. */
	{
		struct buf in = BUF_INIT, want = BUF_INIT;
		struct result r;

		buf_adds(&in, "S: x\n\n");
		buf_adds(&want, "S: x\n\n");
		for (int i = 0; i < 999; i++)
			buf_add(&in, "a", 1);
		buf_adds(&in, "\r\nnext\n");
		for (int i = 0; i < 998; i++)
			buf_add(&want, "a", 1);
		buf_adds(&want, "\n a\nnext\n");
		run(in.data, in.len, 1, FEED_FILE, NULL, &r);
		is_str(r.out.data, want.data, "999 octets: 998, then a blank and the last octet");
		result_release(&r);
		buf_release(&in);
		buf_release(&want);
	}

	/* A lone dot cannot be forged by breaking: pieces after the first
	 * start with a blank. */
	{
		struct buf in = BUF_INIT;
		struct result r;

		buf_adds(&in, "S: x\n\n");
		for (int i = 0; i < 998; i++)
			buf_add(&in, "a", 1);
		buf_adds(&in, ".\nafter\n");
		run(in.data, in.len, 1, FEED_FILE, NULL, &r);
		ok(r.rc == 0 && strstr(r.out.data, "\n .\nafter\n") != NULL, "a trailing '.' piece is \" .\", not the end");
		result_release(&r);
		buf_release(&in);
	}

	/* A long header line becomes a folded field. */
	{
		struct buf in = BUF_INIT;
		struct result r;
		size_t nlines = 0;
		const char *v;

		buf_adds(&in, "Subject: ");
		for (int i = 0; i < 3000; i++)
			buf_add(&in, "s", 1);
		buf_adds(&in, "\nTo: a@b\n\nbody\n");
		run(in.data, in.len, 1, FEED_PIPE_BYTES, NULL, &r);
		is_int(r.m.n, 2, "long header line: still two fields");
		v = message_get(&r.m, "Subject");
		ok(v && strlen(v) == 3000 + 3 && v[989] == ' ', "its value is unfolded with the inserted blanks");
		{
			struct buf sub = BUF_INIT;

			buf_add(&sub, r.out.data, strstr(r.out.data, "\nTo:") + 1 - r.out.data);
			ok(lines_ok(&sub, 0, in.data, 3009, &nlines) && nlines == 4,
			   "spooled as 4 lines of at most 998");
			buf_release(&sub);
		}
		is_int(r.sp.broken_lines, 1, "counted as one broken line");
		ok(strstr(r.out.data, "\nTo: a@b\n\nbody\n") != NULL, "rest follows");
		result_release(&r);
		buf_release(&in);
	}

	/* A 5 MB single line, from a file. */
	{
		size_t n = 5 * 1024 * 1024, nlines = 0;
		char *big = xmalloc(n + 16);
		struct result r;

		memcpy(big, "S: x\n\n", 6);
		for (size_t i = 6; i < n + 6; i++)
			big[i] = (char)('a' + i % 26);
		run(big, n + 6, 1, FEED_FILE, NULL, &r);
		ok(r.rc == 0 && lines_ok(&r.out, 6, big + 6, n, &nlines), "5 MB single line broken correctly");
		is_int(nlines, 1 + (n - 998 + 996) / 997, "into the expected number of lines");
		is_int(r.sp.broken_lines, 1, "one broken line");
		is_int(r.sp.bytes, r.out.len, "bytes match the file");
		is_int(r.sp.lines, nlines + 2, "lines match the file");
		result_release(&r);
		free(big);
	}
}

static void test_header_cap(void)
{
	struct buf in = BUF_INIT;
	struct cbstate st = { 0 };
	char line[991];

	memset(line, 'h', sizeof(line));
	memcpy(line, "X-Fill: ", 8);
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 1100; i++)
		buf_add(&in, line, sizeof(line));
	buf_adds(&in, "\nbody 1\n\nbody 2\n");
	for (enum feed how = 0; how < FEED_MAX; how++) {
		struct result r;

		memset(&st, 0, sizeof(st));
		if (how == FEED_PIPE_BYTES)
			continue;	/* 1 MB one byte at a time is too slow */
		run(in.data, in.len, 1, how, &st, &r);
		is_int(r.rc, -1, "oversized header section fails");
		is_int(r.e.cls, ERR_DATA, "with ERR_DATA");
		ok(r.out.len == in.len && !memcmp(r.out.data, in.data, in.len), "and all of it is spooled raw");
		is_int(st.calls, 0, "the callback is not called");
		is_int(r.sp.bytes, in.len, "bytes counted");
		result_release(&r);
	}
	/* Over the cap by a single long line: it is broken, then spooled. */
	buf_reset(&in);
	buf_adds(&in, "Subject: ");
	for (int i = 0; i < MESSAGE_HEADER_MAX; i++)
		buf_add(&in, "z", 1);
	buf_adds(&in, "\n\nbody\n");
	{
		struct result r;
		size_t nlines = 0;

		run(in.data, in.len, 1, FEED_FILE, NULL, &r);
		is_int(r.rc, -1, "one huge header line fails too");
		{
			struct buf sub = BUF_INIT;

			buf_add(&sub, r.out.data, r.out.len - 6);
			ok(lines_ok(&sub, 0, in.data, in.len - 7, &nlines), "and is spooled, broken");
			buf_release(&sub);
		}
		ok(r.out.len > in.len && !strcmp(r.out.data + r.out.len - 7, "\n\nbody\n"), "up to the end");
		result_release(&r);
	}
	buf_release(&in);

	/* Too many fields, though small: the same, with its own message. */
	for (int i = 0; i < MESSAGE_FIELDS_MAX + 5; i++)
		buf_adds(&in, i == MESSAGE_FIELDS_MAX + 1 ? " folded\n" : "a:b\n");
	buf_adds(&in, "\nbody 1\n\nbody 2\n");
	for (enum feed how = 0; how < FEED_MAX; how++) {
		struct result r;

		memset(&st, 0, sizeof(st));
		run(in.data, in.len, 1, how, &st, &r);
		is_int(r.rc, -1, "too many header fields fail");
		is_int(r.e.cls, ERR_DATA, "with ERR_DATA");
		is_str(r.e.msg, "the header section has more than 10000 fields; is the input really a mail message?",
		       "saying why");
		ok(r.out.len == in.len && !memcmp(r.out.data, in.data, in.len), "and all of it is spooled raw (%s)",
		   feed_name[how]);
		is_int(st.calls, 0, "the callback is not called");
		is_int(r.sp.bytes, in.len, "bytes counted");
		is_int(r.sp.lines, count_nl(&in), "lines counted");
		result_release(&r);
	}
	buf_release(&in);
}

static void test_errors(void)
{
	struct spool sp;
	struct message m;
	struct error e;
	struct input_opts o = { 1 };
	struct stat stt;
	int fd, dfd;
	char *path;

	ok(spool_create(&sp, tmpdir, &e) == 0, "spool created");
	ok(fstat(sp.fd, &stt) == 0 && (stt.st_mode & 0777) == 0600, "mode 0600");
	ok(strncmp(sp.path, tmpdir, strlen(tmpdir)) == 0 && strstr(sp.path, "/postern.") != NULL,
	   "named %s", sp.path);
	ok(sp.bytes == 0 && sp.lines == 0 && !sp.eightbit && !sp.has_nul && !sp.broken_lines, "counts zero");
	path = xstrdup(sp.path);
	spool_release(&sp);
	ok(access(path, F_OK) < 0 && errno == ENOENT, "release unlinks");
	ok(sp.fd == -1 && sp.path == NULL, "and clears");
	/* A second release must touch nothing: not the descriptor number the
	 * first one closed (now another file's), not the path it unlinked
	 * (now another file). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	spool_release(&sp);
	ok(fd >= 0 && fcntl(fd, F_GETFD) != -1, "release twice: a reused descriptor stays open");
	ok(access(path, F_OK) == 0, "release twice: a new file at the old path stays");
	ok(sp.fd == -1 && sp.path == NULL, "release twice: still cleared");
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(path);
	ok(spool_create(&sp, "/nonexistent/dir", &e) == -1 && e.cls == ERR_IO &&
	   strstr(e.msg, "/nonexistent/dir"), "bad dir: %s", e.msg);
	spool_release(&sp);

	/* Disk full. */
	dfd = open("/dev/full", O_WRONLY);
	if (dfd >= 0 && spool_create(&sp, tmpdir, &e) == 0) {
		fd = input_fd(S("Subject: x\n\nbody\n"), FEED_FILE, &(pid_t){ 0 });
		close(sp.fd);
		sp.fd = dfd;
		message_init(&m);
		error_clear(&e);
		is_int(input_read(fd, &o, &m, NULL, NULL, &sp, &e), -1, "disk full fails");
		is_int(e.cls, ERR_IO, "as ERR_IO");
		ok(strstr(e.msg, "writing the spool file ") && strstr(e.msg, sp.path) &&
		   strstr(e.msg, ": No space left on device"), "%s", e.msg);
		message_release(&m);
		spool_release(&sp);
		close(fd);
	} else {
		ok(0, "cannot open /dev/full");
	}

	/* Read error. */
	ok(spool_create(&sp, tmpdir, &e) == 0, "spool for the read error");
	fd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	message_init(&m);
	error_clear(&e);
	is_int(input_read(fd, &o, &m, NULL, NULL, &sp, &e), -1, "read error fails");
	ok(e.cls == ERR_IO && strstr(e.msg, "reading the message"), "as ERR_IO: %s", e.msg);
	close(fd);
	message_release(&m);
	spool_release(&sp);

	/* Rewind. */
	ok(spool_create(&sp, tmpdir, &e) == 0, "spool for rewind");
	ok(write(sp.fd, "abc", 3) == 3 && spool_rewind(&sp, &e) == 0, "rewind");
	{
		char b[4] = { 0 };

		ok(read(sp.fd, b, 3) == 3 && !strcmp(b, "abc"), "reads from the start");
	}
	close(sp.fd);
	sp.fd = -1;
	sp.fd = open("/dev/null", O_RDONLY);
	close(sp.fd);
	ok(spool_rewind(&sp, &e) == -1 && e.cls == ERR_IO, "rewind of a closed fd fails: %s", e.msg);
	sp.fd = -1;
	spool_release(&sp);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_line_ends();
	test_dot();
	test_mbox_and_sections();
	test_octets();
	test_long_lines();
	test_header_cap();
	test_errors();
	rmdir(tmpdir);
	ok(access(tmpdir, F_OK) < 0, "no spool file left behind");
	return tap_done();
}
