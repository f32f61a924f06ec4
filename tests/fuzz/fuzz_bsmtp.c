/* fuzz_bsmtp.c - libFuzzer harness for the -bs engine (bsmtp.h): whatever a
 * caller writes on postern's standard input.
 *
 * The first three bytes steer, the rest is the client's input: bytes 0 and 1
 * cut it into three pieces at two points, byte 2 picks a chunk size within
 * each piece (1 to 8 octets, or the whole piece) and where the rotation of
 * submission outcomes starts.  Each chunk is fed in a buffer of exactly its
 * size (ASan catches reads past it), again after each BSMTP_EV_MESSAGE with
 * the rest, as bsmtp_session.c does; every message is answered with
 * bsmtp_message_done() and the next outcome: sent, partial, temporary,
 * refused, authentication, a bad message, an error text with line ends.
 *
 * Invariants checked: the engine uses what it says and all of it unless it
 * stops for an event; replies are whole CRLF lines of at most 512 octets
 * that start with a code, with no other CR or LF; traced lines hold no line
 * end; a message has a sender and 1 to BSMTP_RCPT_MAX recipients with no
 * CR, LF or NUL; the message text never outgrows the input; the command
 * line buffer stays under its limit; after QUIT or 421 nothing more is
 * read; bsmtp_eof() says "cut off" exactly when DATA was open. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void trace_cb(void *ctx, char dir, const char *line, size_t len)
{
	(void)ctx;
	if (memchr(line, '\n', len))
		abort();
	if (dir == '>' && (memchr(line, '\r', len) || len > BSMTP_LINE_MAX - 2))
		abort();
}

/* Every reply: "ddd" then ' ', '-' or nothing, CRLF-terminated, <= 512
 * octets with the CRLF, no CR or LF inside.  Returns the number of lines. */
static size_t check_replies(const char *p, size_t len)
{
	size_t lines = 0;

	while (len) {
		const char *lf = memchr(p, '\n', len);
		size_t n;

		if (!lf)
			abort();
		n = (size_t)(lf - p) + 1;
		if (n < 5 || n > BSMTP_LINE_MAX || p[n - 2] != '\r' ||
		    memchr(p, '\r', n - 2))
			abort();
		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
			abort();
		if (n > 5 && p[3] != ' ' && p[3] != '-')
			abort();
		p += n;
		len -= n;
		lines++;
	}
	return lines;
}

static int clean(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

/* What the "submission" of each message answers, in turn. */
static void message_done(struct bsmtp *b, unsigned k)
{
	struct error e;

	error_clear(&e);
	switch (k % 7) {
	case 0:
		bsmtp_message_done(b, NULL, 0);
		return;
	case 1:
		error_set(&e, ERR_NOUSER, "<x@example.org>: 550 5.1.1 no such user");
		bsmtp_message_done(b, &e, 1);
		return;
	case 2:
		error_set(&e, ERR_TEMP, "smtp.example.org port 587: timed out");
		break;
	case 3:
		error_set(&e, ERR_UNAVAILABLE, "the server refused the message: 554 5.7.1 spam");
		e.smtp_code = 554;
		memcpy(e.enhanced, "5.7.1", 6);
		break;
	case 4:
		error_set(&e, ERR_AUTH, "authentication failed: 535 5.7.8");
		e.smtp_code = 535;
		memcpy(e.enhanced, "5.7.8", 6);
		break;
	case 5:
		error_set(&e, ERR_DATA, "the message holds a NUL");
		break;
	default:
		/* a server's text may hold anything: the reply stays one line */
		error_set(&e, ERR_PROTOCOL, "bad\r\n250 2.0.0 Ok: sent\r\nreply\x7f");
		break;
	}
	bsmtp_message_done(b, &e, 0);
}

struct run {
	struct bsmtp b;
	unsigned outcome;	/* the next message's outcome */
	size_t used_total;	/* octets the engine took */
	size_t data_total;	/* message text it gave back */
	int over;		/* QUIT or 421 seen */
};

/* Feed one chunk (a buffer of exactly n octets) until all is used or the
 * session is over. */
static void feed(struct run *r, const char *p, size_t n)
{
	size_t off = 0;

	while (!r->over) {
		size_t used = (size_t)-1, len, lfs = 0;
		const char *out;
		enum bsmtp_event ev = bsmtp_input(&r->b, p + off, n - off, &used);

		if (used > n - off)
			abort();
		if (ev == BSMTP_EV_NONE && used != n - off)
			abort();	/* "all used" is the promise of EV_NONE */
		for (size_t i = off; i < off + used; i++)
			lfs += p[i] == '\n';
		off += used;
		r->used_total += used;

		/* At most 5 reply lines (EHLO) per command line, the 421
		 * after too many errors and the greeting: bounded by the
		 * input, never growing by itself. */
		out = bsmtp_output(&r->b, &len);
		if (check_replies(out, len) > 5 * lfs + 2)
			abort();
		bsmtp_output_done(&r->b);
		(void)bsmtp_data(&r->b, &len);
		r->data_total += len;
		bsmtp_data_done(&r->b);
		/* unstuffing only removes, but a ".\r" whose CR turns out to be
		 * text gives its CR back one call later */
		if (r->data_total > r->used_total)
			abort();
		if (r->b.line.len > BSMTP_LINE_MAX - 1 || r->b.rcpts.n > BSMTP_RCPT_MAX)
			abort();

		switch (ev) {
		case BSMTP_EV_MESSAGE:
			if (r->b.state != BSMTP_ST_SUBMIT || !r->b.rcpts.n || !clean(r->b.from))
				abort();
			for (size_t i = 0; i < r->b.rcpts.n; i++)
				if (!clean(r->b.rcpts.v[i]) || !*r->b.rcpts.v[i])
					abort();
			/* a second call before the outcome takes nothing */
			if (bsmtp_input(&r->b, p + off, n - off, &used) != BSMTP_EV_MESSAGE || used)
				abort();
			message_done(&r->b, r->outcome++);
			if (r->b.state != BSMTP_ST_READY || r->b.from || r->b.rcpts.n)
				abort();
			out = bsmtp_output(&r->b, &len);
			if (check_replies(out, len) != 1)
				abort();
			bsmtp_output_done(&r->b);
			break;
		case BSMTP_EV_QUIT:
			if (r->b.state != BSMTP_ST_CLOSED)
				abort();
			r->over = 1;
			break;
		case BSMTP_EV_NONE:
			return;
		}
	}
}

/* Feed data[0..n) in chunks of `chunk` octets (0: all at once). */
static void feed_piece(struct run *r, const uint8_t *data, size_t n, size_t chunk)
{
	size_t off = 0;

	while (off < n && !r->over) {
		size_t len = chunk && n - off > chunk ? chunk : n - off;
		char *copy = malloc(len);

		if (!copy)
			abort();
		memcpy(copy, data + off, len);
		feed(r, copy, len);
		free(copy);
		off += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	size_t n, cut1, cut2, chunk, used = 1, len;
	const char *out;
	int was_data;

	if (size < 3)
		return 0;
	n = size - 3;
	cut1 = n * data[0] / 255;
	cut2 = n * data[1] / 255;
	if (cut2 < cut1) {
		size_t t = cut1;
		cut1 = cut2;
		cut2 = t;
	}
	chunk = data[2] & 8 ? 0 : (size_t)(data[2] & 7) + 1;

	memset(&r, 0, sizeof(r));
	r.outcome = data[2] >> 4;
	bsmtp_init(&r.b, data[2] & 0x80 ? NULL : "fuzz.example", trace_cb, NULL);
	out = bsmtp_output(&r.b, &len);	/* the greeting */
	if (check_replies(out, len) != 1)
		abort();
	bsmtp_output_done(&r.b);

	feed_piece(&r, data + 3, cut1, chunk);
	feed_piece(&r, data + 3 + cut1, cut2 - cut1, chunk);
	feed_piece(&r, data + 3 + cut2, n - cut2, chunk);

	was_data = r.b.state == BSMTP_ST_DATA;
	if (bsmtp_eof(&r.b) != was_data)
		abort();
	if (bsmtp_input(&r.b, "QUIT\r\n", 6, &used) != BSMTP_EV_QUIT || used)
		abort();	/* closed: nothing more is read */
	bsmtp_release(&r.b);
	return 0;
}
