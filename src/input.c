/* input.c - stdin to spool file: line ends normalised, long lines broken,
 * the header section parsed and edited, the body streamed through.
 *
 * Memory stays bounded: the body is never held, and even one line is
 * buffered at most INPUT_LINE_MAX octets at a time (a longer line leaves in
 * pieces).  Only the header section (capped by MESSAGE_HEADER_MAX) is kept
 * in memory, in struct message. */
#include "input.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interrupt.h"

#define READ_CHUNK (64 * 1024)
#define WRITE_CHUNK (64 * 1024)

enum phase {
	PH_FIRST,	/* nothing seen yet: an mbox "From " line may come */
	PH_HEADER,	/* lines go to struct message */
	PH_BODY,	/* lines go to the spool */
	PH_RAW,		/* the header section overflowed: everything to the spool */
};

struct reader {
	const struct input_opts *o;
	struct message *m;
	input_headers_fn cb;
	void *ctx;
	struct spool *sp;
	struct error *e;

	enum phase phase;
	struct buf cur;		/* the output line being assembled, <= INPUT_LINE_MAX */
	uint64_t pieces;	/* pieces of the current input line already given out */
	int skip;		/* dropping the current input line (mbox "From ") */
	int pending_cr;		/* a CR ended the last line; an LF next belongs to it */
	int done;		/* the lone dot was seen */
	int failed;		/* I/O failed: r->e is set and everything stops */
	int overflow;		/* the header section was too large: ov_err */
	int cb_failed;		/* cb failed: cb_err */
	struct error ov_err, cb_err;
	struct buf out;		/* spool writes are batched */
};

static void flush(struct reader *r)
{
	if (!r->failed && spool_write(r->sp, r->out.data, r->out.len, r->e))
		r->failed = 1;
	buf_reset(&r->out);
}

/* Append to the spool, keeping the counts the sender needs (SIZE=, 8BITMIME). */
static void put(struct reader *r, const char *p, size_t n)
{
	struct spool *sp = r->sp;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			sp->lines++;
		else if (c == '\0')
			sp->has_nul = 1;
		else if (c >= 0x80)
			sp->eightbit = 1;
	}
	sp->bytes += n;
	buf_add(&r->out, p, n);
	if (r->out.len >= WRITE_CHUNK)
		flush(r);
}

static void put_line(struct reader *r, const char *p, size_t n)
{
	put(r, p, n);
	put(r, "\n", 1);
}

/* The header section is complete: let cb edit it, then spool it. */
static void end_headers(struct reader *r)
{
	struct buf hdr = BUF_INIT;

	r->m->ended = 1;
	r->phase = PH_BODY;
	if (r->cb && r->cb(r->ctx, r->m, &r->cb_err) < 0)
		r->cb_failed = 1;
	message_write(r->m, &hdr);
	put(r, hdr.data, hdr.len);
	buf_release(&hdr);
}

/* The header section is too large (octets or fields) to parse: spool what
 * was parsed as it was read, and from now on everything unparsed, so
 * nothing is lost. */
static void overflow(struct reader *r)
{
	r->overflow = 1;
	r->phase = PH_RAW;
	put(r, r->m->raw.data, r->m->raw.len);
}

/* One output line (at most INPUT_LINE_MAX octets, no line end); last says
 * whether it ends its input line. */
static void out_line(struct reader *r, const char *p, size_t n, int last)
{
	int rc;

	if (r->phase == PH_FIRST) {
		r->phase = PH_HEADER;
		r->skip = n >= 5 && !memcmp(p, "From ", 5);
	}
	if (r->skip) {
		r->skip = !last;
		return;
	}
	if (r->phase != PH_HEADER) {
		put_line(r, p, n);
		return;
	}
	rc = message_push_line(r->m, p, n, &r->ov_err);
	if (rc < 0) {
		overflow(r);
		put_line(r, p, n);
	} else if (rc == MESSAGE_END_BLANK) {
		end_headers(r);
	} else if (rc == MESSAGE_END_BODY) {
		end_headers(r);
		put_line(r, p, n);
	}
}

/* Content octets (no line end) of the current input line. */
static void content(struct reader *r, const char *p, size_t n)
{
	size_t limit, take;

	while (n && !r->failed) {
		/* A line starting with '.' gains one octet from dot-stuffing;
		 * a continuation starts with the inserted blank. */
		limit = (r->cur.len ? r->cur.data[0] : p[0]) == '.' ?
			INPUT_LINE_MAX - 1 : INPUT_LINE_MAX;
		if (r->cur.len >= limit) {
			/* Full, and more follows: break here, as Postfix does. */
			out_line(r, r->cur.data, r->cur.len, 0);
			if (r->pieces++ == 0)
				r->sp->broken_lines++;
			buf_reset(&r->cur);
			buf_add(&r->cur, " ", 1);
			continue;
		}
		take = limit - r->cur.len < n ? limit - r->cur.len : n;
		buf_add(&r->cur, p, take);
		p += take;
		n -= take;
	}
}

static void eol(struct reader *r)
{
	/* sendmail's rule: only a line that is exactly "." ends the input;
	 * the input is not dot-stuffed, so ".." is data. */
	if (r->o && r->o->dot_ends && r->pieces == 0 && r->cur.len == 1 &&
	    r->cur.data[0] == '.') {
		r->done = 1;
		return;
	}
	out_line(r, r->cur.data, r->cur.len, 1);
	r->pieces = 0;
	buf_reset(&r->cur);
}

static void feed(struct reader *r, const char *p, size_t n)
{
	size_t i = 0, j;

	while (i < n && !r->done && !r->failed) {
		if (r->pending_cr) {
			r->pending_cr = 0;
			if (p[i] == '\n') {
				i++;
				continue;
			}
		}
		if (p[i] == '\r' || p[i] == '\n') {
			r->pending_cr = p[i] == '\r';
			i++;
			eol(r);
			continue;
		}
		for (j = i; j < n && p[j] != '\r' && p[j] != '\n'; j++)
			;
		content(r, p + i, j - i);
		i = j;
	}
}

int input_read(int fd, const struct input_opts *o, struct message *m,
	       input_headers_fn cb, void *ctx, struct spool *sp, struct error *e)
{
	struct reader r;
	struct error read_err;
	char *chunk = xmalloc(READ_CHUNK);
	ssize_t n;
	int ret = -1, stopped = 0;

	memset(&r, 0, sizeof(r));
	buf_init(&r.cur);
	buf_init(&r.out);
	error_clear(&read_err);
	r.o = o;
	r.m = m;
	r.cb = cb;
	r.ctx = ctx;
	r.sp = sp;
	r.e = e;
	r.phase = PH_FIRST;
	error_clear(&r.ov_err);
	error_clear(&r.cb_err);
	while (!r.done && !r.failed) {
		/* poll first: a signal that comes just before read() must
		 * still end the wait (interrupt.h) */
		if (interrupt_poll(fd, POLLIN, -1) < 0 && errno != EINTR)
			(void)0;	/* read() below says what is wrong */
		n = interrupt_signal() ? -1 : read(fd, chunk, READ_CHUNK);
		if (n < 0 && (interrupt_signal() || errno != EINTR)) {
			/* Stop, but spool what was read: the caller keeps it,
			 * marked incomplete. */
			if (interrupt_signal())
				error_set(&read_err, ERR_INTERRUPTED, "interrupted by %s while reading "
					  "the message", interrupt_name(interrupt_signal()));
			else
				error_set(&read_err, ERR_IO, "reading the message: %s", strerror(errno));
			stopped = 1;
			break;
		}
		if (n <= 0) {
			if (n == 0)
				break;
			continue;
		}
		feed(&r, chunk, (size_t)n);
	}
	/* A last line without a line end is still a line. */
	if (!r.done && !r.failed && (r.cur.len || r.pieces))
		eol(&r);
	/* No blank line before the end: the whole input was header. */
	if (!r.failed && (r.phase == PH_FIRST || r.phase == PH_HEADER))
		end_headers(&r);
	if (!r.failed)
		flush(&r);
	if (r.failed)
		goto out;
	if (stopped) {
		if (e)
			*e = read_err;
		goto out;
	}
	if (r.overflow || r.cb_failed) {
		if (e)
			*e = r.overflow ? r.ov_err : r.cb_err;
		goto out;
	}
	ret = 0;
out:
	free(chunk);
	buf_release(&r.cur);
	buf_release(&r.out);
	return ret;
}
