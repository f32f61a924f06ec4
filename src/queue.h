/* queue.h - the crash-safe spool of messages waiting to be sent: storage,
 * the retry schedule and expiry.  No sending and no command line here.
 *
 * On disk, under the queue directory Q (default $XDG_STATE_HOME/postern/
 * queue, that is ~/.local/state/postern/queue; every directory 0700 and
 * the user's own, every file 0600):
 *
 *   Q/tmp/ID.msg     a message being written (flock'ed by its writer)
 *   Q/tmp/ID.env     an envelope being written (flock'ed by its writer)
 *   Q/msg/ID         the text of a message: exactly what struct spool holds
 *                    (LF line ends), never changed once committed
 *   Q/env/ID         its envelope (struct qenv, text format below)
 *   Q/failed/ID.msg  a message given up on, and
 *   Q/failed/ID.env  its envelope, whose last-error says why
 *
 * A message is queued ("committed") if and only if env/ID exists, and it
 * has failed if and only if failed/ID.env exists; at no moment do both
 * exist.  ID is 16 lowercase hex digits: 8 of the creation time in epoch
 * seconds, 8 random, so that sorting IDs sorts messages oldest first.
 *
 * Mutual exclusion is flock(LOCK_EX) on the text's open file, and nothing
 * else: whoever holds it owns the message (writes, sends, updates,
 * removes or fails it); everyone else skips it.  The kernel drops the lock
 * with the last descriptor, so a process that dies, however it dies,
 * leaves no lock behind.  (A child forked while a lock is held shares it
 * until it exits or execs: the descriptors are O_CLOEXEC.)
 *
 * Crash safety: each step, what a crash (SIGKILL, or power loss where
 * fsync matters) right after it leaves, and why that is never taken for a
 * message nor loses one that was reported queued:
 *
 * queue_new, then the caller writes the text:
 *   tmp/ID.msg exists, locked.  Not committed (no env/ID): nothing reads
 *   tmp/.  Its writer never reported it queued.  queue_sweep removes it
 *   once its lock is free.
 * queue_commit:
 *   1. fsync the text; write tmp/ID.env, fsync it.  Crash: tmp/ debris,
 *      as above.
 *   2. rename tmp/ID.msg -> msg/ID, fsync msg/ and tmp/.  Crash: msg/ID
 *      without env/ID: not committed (a flusher works from env/), and
 *      removed by queue_sweep once unlocked.  The text is durable before
 *      the next step, so an envelope never names a missing or partial
 *      text.
 *   3. rename tmp/ID.env -> env/ID, fsync env/: the commit point.  From
 *      here the message is queued, with a complete text (fsync'd in 1, its
 *      size recorded in the envelope and checked by queue_lock) and a
 *      complete envelope (renamed whole, never written in place).  Only
 *      now does queue_commit return 0: the caller may report "queued"
 *      (exit 75) or start sending.
 * queue_update: tmp/ID.env written and fsync'd, renamed over env/ID,
 *   env/ fsync'd.  Crash: env/ID is the old envelope or the new one, whole;
 *   tmp/ debris is swept.
 * queue_remove: unlink env/ID, fsync env/ (from here it is not queued: it
 *   can never be sent twice by a restart), then unlink msg/ID.  Crash
 *   between: msg/ID without env/ID, swept.  (A crash after the server
 *   accepted a recipient and before queue_update or queue_remove recorded
 *   it sends to it again: no client can close that window alone; the
 *   caller keeps it to one update.)
 * queue_fail (see queue.c for the argument):
 *   1. queue_update with the final envelope.  Crash: still queued, with
 *      its recipients' states up to date; the next flush finds no
 *      recipient pending and fails it again.
 *   2. rename msg/ID -> failed/ID.msg, fsync.  Crash: env/ID without
 *      msg/ID: queue_lock refuses it (nothing to send); queue_sweep
 *      finishes the move.
 *   3. rename env/ID -> failed/ID.env, fsync: failed.  One rename takes it
 *      from queued to failed, so it is never both, nor neither.
 *
 * The envelope's text format: UTF-8 lines ending in LF, "key value" with
 * one space, the keys in exactly this order (those in [] only when set):
 *
 *   postern-queue 1                 version marker, first line
 *   id 6650a1f2c3d4e5f6             must match the file's name
 *   account work                    no spaces or control characters
 *   [config /home/u/.config/postern/config]   absolute; absent: default search
 *   sender <alice@example.org>      "<>" is the null sender
 *   created 1716560370              epoch seconds
 *   bytes 4096                      the text's size (SIZE=, BDAT)
 *   lines 80                        line ends in the text (CRLF adds one each)
 *   eightbit 0                      0 or 1 (8BITMIME)
 *   [notify SUCCESS,FAILURE]        DSN -N, as given
 *   [ret HDRS]                      DSN -R, as given
 *   [envid QQ314159]                DSN -V, as given
 *   attempts 0
 *   next-attempt 1716560370         0: as soon as possible
 *   last-attempt 0                  0: never
 *   hold none                       none, auth, tls or config
 *   [last-error 451 4.3.0 try again later]
 *   rcpt pending <bob@example.org>  pending, done or failed; one or more
 *   [reply 250 2.1.5 Ok]            the last reply for the rcpt line above
 *
 * Numbers are decimal without sign or leading zeros.  Free text (last-error,
 * reply) is stored escaped (buf_add_escaped: one line, safe to show) and at
 * most QENV_TEXT_MAX octets.  Anything else is an error, never a guess:
 * an unknown, missing, repeated or misplaced key, a malformed value, an
 * address that addr_check_envelope refuses, a CR, a NUL, a missing last
 * line end.  qenv_parse accepts exactly what qenv_format writes. */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "spool.h"
#include "util.h"

#define QUEUE_ID_LEN 16
#define QUEUE_ID_SIZE (QUEUE_ID_LEN + 1)

/* Free text longer than this many octets (escaped) is cut, with "...". */
#define QENV_TEXT_MAX 2000
/* An envelope file larger than this is refused as corrupt. */
#define QENV_FILE_MAX (16u << 20)

/* The retry schedule, in seconds: the first retry about QUEUE_RETRY_FIRST
 * after the first attempt, doubling up to QUEUE_RETRY_MAX; each ±20%. */
#define QUEUE_RETRY_FIRST (3 * 60)
#define QUEUE_RETRY_MAX (4 * 60 * 60)
/* queue_lifetime's default: 5 days. */
#define QUEUE_LIFETIME_DEFAULT (5 * 24 * 60 * 60)
/* queue_sweep leaves debris younger than this alone (see queue_sweep). */
#define QUEUE_SWEEP_GRACE 60

enum qrcpt_state {
	QRCPT_PENDING,		/* not accepted yet: the next attempt sends to it */
	QRCPT_DONE,		/* accepted by the server: never sent to again */
	QRCPT_FAILED,		/* refused for good */
};

/* Why a message waits for the person rather than for the server: retried
 * only at the slow end of the schedule, and mailq says why. */
enum queue_hold {
	QHOLD_NONE,
	QHOLD_AUTH,		/* authentication failed */
	QHOLD_TLS,		/* the certificate or TLS failed */
	QHOLD_CONFIG,		/* the configuration is wrong */
};

struct qrcpt {
	char *addr;		/* bare addr-spec, never "" */
	enum qrcpt_state state;
	char *reply;		/* the server's last reply to it; "" none */
};

/* A message's envelope.  Every char * is owned and, except the DSN
 * parameters, never NULL ("" when empty). */
struct qenv {
	char id[QUEUE_ID_SIZE];
	char *account;		/* the account's name */
	char *config;		/* the configuration file used, absolute; "" the default search */
	char *sender;		/* envelope sender; "" the null sender */
	struct qrcpt *rcpt;
	size_t nrcpt, rcpt_cap;
	time_t created;
	unsigned attempts;
	time_t next_attempt;	/* 0: as soon as possible */
	time_t last_attempt;	/* 0: never */
	char *last_error;	/* why the last attempt failed, one line; "" none */
	enum queue_hold hold;
	uint64_t bytes;		/* the spool's counts, for SIZE=, BDAT, 8BITMIME */
	uint64_t lines;
	int eightbit;
	char *notify;		/* DSN as given: -N, -R, -V; NULL when absent */
	char *ret;
	char *envid;
};

/* An empty envelope (no recipient, strings "", DSN NULL). */
void qenv_init(struct qenv *env);
/* Free everything; env is then all zero (NULL strings): qenv_init it
 * before using it again.  Releasing twice is harmless. */
void qenv_release(struct qenv *env);
/* Add a pending recipient (addr copied); its reply is "". */
void qenv_add_rcpt(struct qenv *env, const char *addr);
/* Replace *field (one of env's owned strings) by a copy of s; s NULL
 * gives NULL (for the DSN fields) and s may be *field itself. */
void qenv_set(char **field, const char *s);
/* Recipients still in state PENDING. */
size_t qenv_pending(const struct qenv *env);

/* The envelope in the text format above, appended to out.  Free text is
 * escaped and cut at QENV_TEXT_MAX here, so a server's reply may be stored
 * as received.  Returns 0, or -1 when a field cannot be stored faithfully
 * (an address addr_check_envelope refuses, with its class; a malformed id,
 * account, config path or DSN value, ERR_INTERNAL): out is then
 * unchanged. */
int qenv_format(const struct qenv *env, struct buf *out, struct error *e);

/* Parse len octets of text (need not be NUL-terminated; untrusted: a file
 * anyone with the user's rights may have changed) into env, which is
 * initialised here (whatever it held is not freed).  Free text comes back
 * in its stored, escaped form.  Returns 0, or -1 with ERR_DATA ("line N:
 * what is wrong") and env initialised and empty; either way the caller
 * releases env. */
int qenv_parse(const char *text, size_t len, struct qenv *env, struct error *e);

/* An open queue directory. */
struct queue {
	char *dir;		/* owned */
	int tmp, msg, env, failed;	/* directory descriptors */
};

/* The default queue directory, $XDG_STATE_HOME/postern/queue or
 * ~/.local/state/postern/queue; NULL when there is no home.  Caller
 * frees. */
char *queue_default_dir(void);

/* Open (creating what is missing, mode 0700) the queue directory dir,
 * which must be absolute, and its tmp/, msg/, env/ and failed/.  Refuses
 * (ERR_CONFIG) a directory that is not the user's own, that group or
 * others may write, or that is a symbolic link; other failures ERR_IO.
 * Returns 0, or -1 with q closed. */
int queue_open(struct queue *q, const char *dir, struct error *e);
/* Close q's descriptors and free it; a no-op on a closed queue. */
void queue_close(struct queue *q);

/* True when id is 16 lowercase hex digits.  id is untrusted. */
int queue_id_valid(const char *id);

/* Start a new message: a fresh ID into id, and tmp/ID.msg created
 * (O_EXCL, 0600), locked and open read/write as *sp, for the caller to
 * fill (spool_write, input_read).  Until queue_commit succeeds it is not
 * queued: spool_release unlinks it.  Returns 0, or -1 with ERR_IO (or
 * ERR_INTERNAL when no randomness) and *sp closed. */
int queue_new(struct queue *q, struct spool *sp, char id[QUEUE_ID_SIZE], struct error *e);

/* Queue the message that queue_new began: env->id must be the ID it gave,
 * env->bytes, lines and eightbit are set here from sp, the rest of env is
 * the caller's (at least one recipient).  See the steps above.  On success
 * sp still holds the lock, now on msg/ID (sp->path), and sp->keep is set:
 * releasing it closes without unlinking.  Returns 0, or -1 (ERR_IO, or
 * qenv_format's error) with the message NOT queued and still the caller's
 * (sp is left as it was or names the uncommitted msg/ID, so that
 * spool_release still removes it). */
int queue_commit(struct queue *q, struct spool *sp, struct qenv *env, struct error *e);

/* Take the message id for this process: open msg/ID, flock it without
 * waiting, then check that it is still queued (msg/ID still that file,
 * env/ID present).  Returns 1 with *sp (read-only, keep set, counts from
 * the envelope) and *env filled: the caller owns the message until it
 * releases sp; 0 when someone else holds it or it is gone (sent, failed)
 * or only half there (a crash: queue_sweep's business): skip it; -1 on
 * errors (ERR_IO; ERR_DATA for a corrupt envelope or a text whose size is
 * not the envelope's bytes).  id is untrusted (checked here).  env is
 * initialised here, whatever the result (what it held is not freed): the
 * caller releases it. */
int queue_lock(struct queue *q, const char *id, struct spool *sp, struct qenv *env,
	       struct error *e);

/* Replace env/ID by env, atomically.  The caller holds the lock.
 * Returns 0, or -1 (ERR_IO, qenv_format's error) with env/ID unchanged. */
int queue_update(struct queue *q, const struct qenv *env, struct error *e);

/* Delivered to everyone: remove the message.  The caller holds the lock
 * (and releases its spool afterwards).  Returns 0, or -1 with ERR_IO
 * (when env/ID is gone the message is no longer queued even so). */
int queue_remove(struct queue *q, const char *id, struct error *e);

/* Give up on the message: env (with the reason in last_error and the
 * recipients' final states: those given up on FAILED, none PENDING)
 * becomes failed/ID.env and the text failed/ID.msg.  The caller holds the lock and releases its spool
 * afterwards.  Returns 0, or -1 with ERR_IO: the message is then still
 * queued or half-moved (which queue_sweep completes). */
int queue_fail(struct queue *q, const struct qenv *env, struct error *e);

/* The IDs of the queued messages (failed set: of the failed ones), oldest
 * first, appended to ids.  Names that are not IDs are ignored.  Returns 0,
 * or -1 with ERR_IO. */
int queue_list(struct queue *q, struct strvec *ids, int failed, struct error *e);

/* Read env/ID (failed set: failed/ID.env) without locking, for listing:
 * it may be replaced or gone a moment later.  Returns 1 with *env filled,
 * 0 when there is no such envelope (env empty), -1 on errors (ERR_IO;
 * ERR_DATA for a corrupt file or an id that is not its name's).  id is
 * untrusted.  env is initialised here, whatever the result (what it held
 * is not freed): the caller releases it. */
int queue_read_env(struct queue *q, const char *id, int failed, struct qenv *env,
		   struct error *e);

/* What queue_sweep did and found. */
struct queue_sweep_stats {
	unsigned tmp_removed;		/* tmp/ files of writers that died */
	unsigned msg_removed;		/* texts never committed, or half-removed */
	unsigned fails_completed;	/* half-done queue_fail finished */
	unsigned orphans;		/* env/ID with no text anywhere: left
					 * alone (never deleted silently); the
					 * caller should say so */
};

/* Clean up after crashes: remove tmp/ files and msg/ID without env/ID
 * whose lock is free and that were last written at least grace_s seconds
 * ago, and finish the fails that stopped after moving the text.  Never
 * touches a file someone holds locked.  grace_s covers the instant between
 * a writer's open and its flock: use QUEUE_SWEEP_GRACE, unless no writer
 * can be running (a test).  st may be NULL.  Returns 0, or -1 with ERR_IO
 * when a directory cannot be read (what could be done is done). */
int queue_sweep(struct queue *q, unsigned grace_s, struct queue_sweep_stats *st,
		struct error *e);

/* When to try again after attempts attempts (0: now), with jitter a random
 * number (RAND_bytes) spreading the delay over ±20%: about 3 minutes after
 * the first, doubling, at most about 4 hours; a held message always at
 * the slow end.  Pure. */
time_t queue_next_attempt(time_t now, unsigned attempts, enum queue_hold hold, uint32_t jitter);

/* 1 when the message has been queued for lifetime_s seconds or more (it is
 * then failed rather than tried again), else 0.  Pure. */
int queue_expired(const struct qenv *env, time_t now, unsigned lifetime_s);

/* Names for a recipient state and a hold ("pending", "auth", ...). */
const char *qrcpt_state_name(enum qrcpt_state s);
const char *queue_hold_name(enum queue_hold h);

#endif
