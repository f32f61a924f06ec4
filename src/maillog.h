/* maillog.h - the mail log: one line per message outcome, what a host's
 * administrator greps for when a customer says mail did not arrive (as
 * Postfix's "status=sent" lines).  Written by the direct send (submit.c)
 * and by queue runs (qrun.c), to the account's log = target: syslog
 * (facility mail, priority info), a file, or nothing.  No secret ever
 * reaches it: the fields are the envelope, the size, the server's reply
 * or postern's error message, and IDs. */
#ifndef POSTERN_MAILLOG_H
#define POSTERN_MAILLOG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum maillog_status {
	MAILLOG_SENT,		/* every recipient took it */
	MAILLOG_DEFERRED,	/* in the queue after a temporary failure */
	MAILLOG_HELD,		/* in the queue, waiting for the person (auth, TLS, config) */
	MAILLOG_FAILED,		/* not sent (to all): failed messages or dead.letter */
};

/* One outcome.  Every pointer is borrowed; the text ones are untrusted
 * (a sender from -f, a server's reply) and escaped when formatted. */
struct maillog_entry {
	const char *id;			/* postern's queue ID, NULL when not queued */
	const char *account;
	const char *host;
	unsigned port;
	const char *sender;		/* "" for the null sender */
	const char *const *rcpts;	/* the recipients of this attempt */
	size_t nrcpts;
	uint64_t size;			/* octets of the message */
	enum maillog_status status;
	const char *text;		/* the server's reply or the error; NULL none */
	int dsn_ignored;		/* -N/-R/-V asked, the server has no DSN */
};

/* Recipients named in a line; the rest are counted ("+N more"). */
#define MAILLOG_RCPTS_MAX 20

/* Append the line for m to out, without time, program name or line end:
 *   [id=ID, ]account=A, relay=HOST:PORT, from=<S>, to=<R1>,<R2>, nrcpt=N,
 *   size=N, status=sent|deferred|held|failed[ (TEXT)][, dsn=ignored]
 * Each field is escaped (buf_add_escaped): one line whatever the input. */
void maillog_format(struct buf *out, const struct maillog_entry *m);

/* Write m's line to target, an account's log = value: "none" writes
 * nothing; "syslog" sends it to syslog (opened on first use, ident
 * "postern", facility mail, priority info); a name starting with '/'
 * appends "2026-11-29T12:34:56+0000 postern[PID]: LINE\n" to that file in
 * one write(2) (O_APPEND, so that concurrent processes do not interleave;
 * O_NOFOLLOW; created 0600).  NULL means the default: syslog, unless
 * standard error is a terminal (a person at the keyboard sees the outcome
 * there; cron, web apps and the background retrier get syslog).  A file
 * that cannot be written is said on stderr; the outcome itself is not
 * changed by a log that fails. */
void maillog_write(const char *target, const struct maillog_entry *m);

#endif
