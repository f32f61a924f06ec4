/* qrun.h - sending what is queued: the due messages, grouped by account,
 * one connection per account (RSET between messages, session.h), and what
 * each attempt does to a message: removed once every recipient took it,
 * tried again later on a temporary failure (only the recipients that got
 * a 4xx or no answer), held for the person after an authentication, TLS or
 * configuration failure (tried again only at the slow end of the schedule),
 * moved to the failed messages on a permanent one or when its lifetime is
 * over.  Used by `postern queue run` (-q), by the background retrier, and
 * by a send that takes its account's due messages along on its own
 * connection.  Concurrency is the queue's per-message lock: a message
 * someone else holds is skipped. */
#ifndef POSTERN_QRUN_H
#define POSTERN_QRUN_H

#include <time.h>

#include "config.h"
#include "error.h"
#include "queue.h"
#include "session.h"

/* What an attempt did to a message. */
enum qrun_outcome {
	QRUN_SENT,		/* every recipient took it: removed */
	QRUN_RETRY,		/* still queued, tried again at its next attempt */
	QRUN_HELD,		/* still queued, waiting for the person (auth, TLS, config) */
	QRUN_FAILED,		/* given up: in the failed messages */
};

/* Where a failure happened: at the message, or before it (connecting,
 * TLS, AUTH, the configuration, the password). */
enum qrun_stage {
	QRUN_STAGE_MESSAGE,
	QRUN_STAGE_SESSION,
};

/* Record one attempt in env (the caller holds its lock): rc and err from
 * session_deliver() (stage MESSAGE, r its report for the envelope made of
 * env's pending recipients in order) or from what failed before it (stage
 * SESSION, r NULL); then remove, update, hold or fail the message in q.
 * lifetime: the account's queue_lifetime.  *newly_failed (may be NULL) is
 * set when a recipient was refused for good in this attempt.  Returns the
 * outcome, or -1 with e when the queue could not be written (the message
 * is then as it was before the attempt: still queued). */
int qrun_record(struct queue *q, struct qenv *env, int rc, const struct error *err,
		enum qrun_stage stage, const struct session_report *r, unsigned lifetime,
		int *newly_failed, struct error *e);

/* The envelope to send for env: its sender and its pending recipients,
 * in order (what qrun_record's report is about).  out is initialised
 * here; the caller releases its rcpts. */
void qrun_envelope(const struct qenv *env, struct envelope *out);

struct qrun_opts {
	int all;		/* ignore the schedule and the holds */
	const char *id;		/* only this message; NULL all */
	/* Take-along mode: the messages of this account of this
	 * configuration, every one of them, due or not and held or not
	 * (a message just went through this connection: the server is up
	 * and takes this account's password and TLS), over ss (open,
	 * borrowed).  All NULL otherwise. */
	struct session *ss;
	const struct account *acct;
	const char *config;	/* the configuration file the account comes from */
};

struct qrun_stats {
	unsigned sent, retry, held, failed, busy;
	time_t next_due;	/* the earliest next attempt still queued, 0 none */
	int status;		/* sysexits: 0 nothing left to do, 75 something
				 * stays queued, else a permanent failure's code */
};

/* Send the due messages of q (see opts).  Says on stderr what failed and
 * why; with -v what was sent.  Returns 0 (st filled), or -1 with e when
 * the queue cannot be read, or ERR_INTERRUPTED when a terminating signal
 * stopped it (what was done is recorded). */
int qrun(struct queue *q, const struct qrun_opts *o, struct qrun_stats *st, struct error *e);

/* Leave one process in the background that runs the queue of config_path
 * (`postern queue run --until-empty -C config_path`): detached from the
 * caller (its own session, no inherited descriptors, so that a web page
 * or cron job waiting for postern's output is not held), at most one per
 * queue (it takes the queue's retrier lock and ends at once if another
 * holds it, waking that one to look at the queue again).  Errors are only
 * logged with -v: the message is queued either way. */
void qrun_background(const char *config_path);

#endif
