/* bsmtp_session.c - `postern -bs`: moves bytes between the caller's pipes
 * and the bsmtp engine, spools each message's text, and submits it with
 * submit_message() when its "." arrives. */
#include "bsmtp_session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bsmtp.h"
#include "interrupt.h"
#include "log.h"
#include "spool.h"
#include "util.h"

#define BSMTP_READ_CHUNK (64 * 1024)

/* Write every pending reply to out.  Returns 0, or -1 with errno. */
static int bsmtp_flush(struct bsmtp *b, int out)
{
	size_t len;
	const char *p = bsmtp_output(b, &len);

	if (write_all(out, p, len))
		return -1;
	bsmtp_output_done(b);
	return 0;
}

/* The message text of the current DATA, unstuffed, waiting in a private
 * spool until the "." (nothing is submitted before the message is whole). */
struct bsmtp_raw {
	struct spool sp;
	int open;
	int failed;
	struct error e;
};

static void raw_put(struct bsmtp_raw *r, struct bsmtp *b)
{
	const char *tmp = getenv("TMPDIR");
	size_t len;
	const char *p = bsmtp_data(b, &len);

	if (!r->open && !r->failed) {
		error_clear(&r->e);
		if (spool_create(&r->sp, tmp && *tmp == '/' ? tmp : "/tmp", &r->e) == 0)
			r->open = 1;
		else
			r->failed = 1;
	}
	if (r->open && !r->failed && spool_write(&r->sp, p, len, &r->e))
		r->failed = 1;
	bsmtp_data_done(b);
}

static void raw_release(struct bsmtp_raw *r)
{
	if (r->open)
		spool_release(&r->sp);
	r->open = r->failed = 0;
}

/* The "." arrived: the same pipeline as a message on standard input, with
 * the dialogue's envelope; then the reply.  Returns the sysexits code. */
static int bsmtp_submit(const struct submit_request *rq, struct bsmtp *b, struct bsmtp_raw *raw)
{
	struct submit_request r = *rq;
	struct error e;
	int status, delivered = 0;

	error_clear(&e);
	raw_put(raw, b);	/* creates the spool for an empty message too */
	if (raw->failed || spool_rewind(&raw->sp, &raw->e)) {
		log_err("%s; the message was NOT sent", raw->e.msg);
		bsmtp_message_done(b, &raw->e, 0);
		raw_release(raw);
		return error_exit_code(raw->e.cls);
	}
	r.from = b->from;
	r.rcpts = &b->rcpts;
	r.read_recipients = 0;
	r.dot_ends = 0;		/* the "." was the dialogue's; what is left is text */
	r.allow_prompt = 0;	/* standard input is the SMTP channel */
	status = submit_message(&r, raw->sp.fd, &e, &delivered);
	/* queued (75, or 0 for queue = always) is taken: 250 with its ID */
	if ((status == EX_OK || status == EX_TEMPFAIL) && e.cls == ERR_NONE) {
		bsmtp_message_done(b, &e, 0);
		status = EX_OK;
	} else {
		bsmtp_message_done(b, status == EX_OK ? NULL : &e, status != EX_OK && delivered);
	}
	raw_release(raw);
	return status;
}


/* A terminating signal arrived: say goodbye to the client (421), and
 * about a message it was sending, that it still has it. */
static void stop(struct bsmtp *b, int out)
{
	char why[80];

	if (b->state == BSMTP_ST_DATA)
		log_err("interrupted by %s: the message being received was not taken (the "
			"client got no reply to it and still has it)", interrupt_name(interrupt_signal()));
	snprintf(why, sizeof(why), "postern was interrupted by %s; closing",
		 interrupt_name(interrupt_signal()));
	bsmtp_shutdown(b, why);
	if (bsmtp_flush(b, out))
		log_err("writing SMTP replies to standard output: %s", strerror(errno));
}

int bsmtp_session_run(const struct submit_request *rq, int in, int out)
{
	struct bsmtp b;
	struct bsmtp_raw raw;
	char *host = host_name(0);
	char *chunk = xmalloc(BSMTP_READ_CHUNK);
	int status = EX_OK, st;

	memset(&raw, 0, sizeof(raw));
	bsmtp_init(&b, host, log_trace, NULL);
	for (;;) {
		ssize_t n;
		size_t off = 0, used;
		enum bsmtp_event ev = BSMTP_EV_NONE;

		/* one flush per reply group: before waiting for the client */
		if (bsmtp_flush(&b, out)) {
			log_err("writing SMTP replies to standard output: %s; the session ends",
				strerror(errno));
			if (b.state == BSMTP_ST_DATA)
				log_err("the message being received was NOT sent");
			status = EX_IOERR;
			break;
		}
		if (b.state == BSMTP_ST_CLOSED)
			break;
		if (interrupt_signal() || (interrupt_poll(in, POLLIN, -1) < 0 && interrupt_signal())) {
			stop(&b, out);
			status = error_exit_code(ERR_INTERRUPTED);
			break;
		}
		n = read(in, chunk, BSMTP_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				log_err("reading SMTP commands from standard input: %s", strerror(errno));
				status = EX_IOERR;
			}
			if (bsmtp_eof(&b)) {
				log_err("standard input ended in the middle of a message (no \".\" line): "
					"that message was NOT sent");
				status = error_exit_code(ERR_PROTOCOL);
			}
			break;
		}
		while (off < (size_t)n && ev != BSMTP_EV_QUIT) {
			ev = bsmtp_input(&b, chunk + off, (size_t)n - off, &used);
			off += used;
			if (b.state == BSMTP_ST_DATA)
				raw_put(&raw, &b);
			if (ev == BSMTP_EV_MESSAGE) {
				/* the provider may take a while: the client has
				 * every reply before the message's own */
				if (bsmtp_flush(&b, out)) {
					log_err("writing SMTP replies to standard output: %s; "
						"the session ends and the message was NOT sent",
						strerror(errno));
					status = EX_IOERR;
					goto done;
				}
				st = bsmtp_submit(rq, &b, &raw);
				if (st != EX_OK)
					status = st;
				if (interrupt_signal()) {
					/* the message's own reply first, then goodbye */
					stop(&b, out);
					goto done;
				}
			}
		}
	}
done:
	raw_release(&raw);
	bsmtp_release(&b);
	free(chunk);
	free(host);
	return status;
}
