/* bsmtp.h - the server side of SMTP for `postern -bs` (RFC 5321, 2920,
 * 1870, 6152, 2034): the caller (Symfony Mailer, Laravel, swaks --pipe)
 * speaks SMTP on our standard input and reads the replies on our standard
 * output.  Bytes in, replies out, events: no files, no descriptors, no
 * submission.  The caller loops:
 *
 *   write bsmtp_output() (then bsmtp_output_done()) before blocking
 *   ev = bsmtp_input(b, bytes, n, &used): feed what was read, again with
 *        the rest after `used` until all is used or the session ended
 *   after each call, move bsmtp_data() (unstuffed message text) to a spool
 *   BSMTP_EV_MESSAGE  the lone "." arrived: submit what was spooled with
 *                     b->from and b->rcpts, then bsmtp_message_done()
 *   BSMTP_EV_QUIT     the session is over (QUIT, or too many errors)
 *   at the end of input, bsmtp_eof() says whether a message was cut off
 *
 * Everything fed in is untrusted.  Command lines are limited to
 * BSMTP_LINE_MAX octets; message lines are not limited here (they stream
 * through, and the input pipeline breaks lines longer than SMTP allows).
 * A bare LF ends a line like CRLF, in commands and in the message, because
 * PHP libraries send LF; the lone "." must be a whole line (".\r\n" or
 * ".\n").  Message text leaves with the dots unstuffed, line ends as they
 * came (the input pipeline normalises them). */
#ifndef POSTERN_BSMTP_H
#define POSTERN_BSMTP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "util.h"

/* Longest command line, CRLF included (RFC 5321 4.5.3.1.4). */
#define BSMTP_LINE_MAX 512
/* Recipients in one transaction (RFC 5321 4.5.3.1.8 asks for >= 100). */
#define BSMTP_RCPT_MAX 1000
/* Bad commands before the session is closed with 421. */
#define BSMTP_ERRORS_MAX 20

enum bsmtp_event {
	BSMTP_EV_NONE = 0,	/* all input used; feed more */
	BSMTP_EV_MESSAGE,	/* a message is complete: submit it */
	BSMTP_EV_QUIT,		/* the session is over; stop reading */
};

enum bsmtp_state {
	BSMTP_ST_READY,		/* no transaction (before or after EHLO) */
	BSMTP_ST_MAIL,		/* MAIL accepted, RCPT may follow */
	BSMTP_ST_DATA,		/* after 354: message text until "." */
	BSMTP_ST_SUBMIT,	/* "." seen: waiting for bsmtp_message_done() */
	BSMTP_ST_CLOSED,	/* QUIT or 421: nothing more is read */
};

/* Trace hook for -v: dir '<' for a line from the client, '>' for a reply;
 * the same signature as log_trace. */
typedef void (*bsmtp_trace_fn)(void *ctx, char dir, const char *line, size_t len);

struct bsmtp {
	enum bsmtp_state state;
	char *hostname;			/* for the greeting and EHLO reply */
	char *from;			/* MAIL FROM, "" for <> (valid in ST_MAIL..ST_SUBMIT) */
	struct strvec rcpts;		/* RCPT TO, accepted and distinct */
	unsigned messages;		/* messages completed in this session */

	/* private */
	struct buf out;			/* replies not yet written */
	struct buf data;		/* unstuffed message text not yet taken */
	struct buf line;		/* the command line being read */
	int line_too_long;		/* dropping the rest of an overlong line */
	int bol;			/* DATA: at the start of a line */
	int dot;			/* DATA: a '.' began this line */
	int dot_cr;			/* DATA: "." then CR: LF would end the message */
	unsigned errors;		/* bad commands so far */
	bsmtp_trace_fn trace;
	void *trace_ctx;
};

/* Start a session: the 220 greeting is queued in the output.  hostname is
 * copied (NULL: "localhost"); trace may be NULL. */
void bsmtp_init(struct bsmtp *b, const char *hostname, bsmtp_trace_fn trace, void *ctx);
void bsmtp_release(struct bsmtp *b);

/* Feed n octets from the client.  Returns the event that stopped the
 * feeding and sets *used to the octets consumed (all of them for
 * BSMTP_EV_NONE; up to the end of the "." line for BSMTP_EV_MESSAGE, the
 * rest being commands pipelined behind the message, to be fed after
 * bsmtp_message_done()).  In ST_SUBMIT nothing is used and the event is
 * BSMTP_EV_MESSAGE again; in ST_CLOSED, BSMTP_EV_QUIT. */
enum bsmtp_event bsmtp_input(struct bsmtp *b, const char *p, size_t n, size_t *used);

/* Replies waiting to be written (CRLF line ends), and "written". */
const char *bsmtp_output(const struct bsmtp *b, size_t *len);
void bsmtp_output_done(struct bsmtp *b);

/* Message text produced by the last bsmtp_input() calls (dots unstuffed);
 * the caller writes it out and calls bsmtp_data_done(). */
const char *bsmtp_data(const struct bsmtp *b, size_t *len);
void bsmtp_data_done(struct bsmtp *b);

/* The outcome of submitting the message of BSMTP_EV_MESSAGE; queues the
 * reply and ends the transaction.  e NULL or ERR_NONE: accepted for every
 * recipient, 250 (with e's text when it has one: "queued as ID ...").  partial: the provider took it for some recipients only;
 * still 250 (the message went out, and a 4xx/5xx would make the caller
 * send it again to those who already have it), with the refusal in the
 * text.  Otherwise 451 for failures that may pass (temporary, TLS, local,
 * configuration, authentication) or 554 for those that will not (the
 * message or the recipients refused), with the server's enhanced code
 * when it has the right class, and e->msg on one line. */
void bsmtp_message_done(struct bsmtp *b, const struct error *e, int partial);

/* End the session from our side (a terminating signal): queue "421 4.3.2
 * <hostname> <why>" and close; a message being received is dropped (its
 * client got no 250, so it still has it).  why is one line of ours. */
void bsmtp_shutdown(struct bsmtp *b, const char *why);

/* The client's input ended.  Returns 1 when a message was cut off in DATA
 * (it must not be sent), else 0.  The session is closed either way. */
int bsmtp_eof(struct bsmtp *b);

/* The SMTP reply code bsmtp_message_done() gives for e (250, 451, 554). */
int bsmtp_reply_code(const struct error *e, int partial);

#endif
