/* qrun_record: what one attempt does to a queued message, for every kind
 * of outcome: all accepted (removed), a mix of 250/451/550 (the 250 one
 * done for good, the 451 one pending, the 550 one failed, newly_failed
 * set), a failure before the message (connection: all pending, retried;
 * authentication and certificate: held at the slow end; a 5xx greeting:
 * held), a 5xx to the message (every pending recipient failed: moved to
 * failed/), and a message whose lifetime is over (failed, "given up").
 * Runs as any user in a directory of its own under $TMPDIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qrun.h"
#include "queue.h"
#include "tap.h"
#include "util.h"

static struct queue q;

/* A committed message to addrs (NULL-terminated), in id. */
static void make(struct qenv *env, const char *const *addrs)
{
	struct spool sp;
	struct error e;
	char id[QUEUE_ID_SIZE];

	error_clear(&e);
	qenv_init(env);
	if (queue_new(&q, &sp, id, &e) || spool_write(&sp, "Subject: t\n\nbody\n", 17, &e)) {
		printf("# %s\n", e.msg);
		return;
	}
	sp.bytes = 17;
	sp.lines = 3;
	memcpy(env->id, id, sizeof(env->id));
	qenv_set(&env->account, "a");
	qenv_set(&env->sender, "me@example.org");
	for (size_t i = 0; addrs[i]; i++)
		qenv_add_rcpt(env, addrs[i]);
	env->created = time(NULL);
	if (queue_commit(&q, &sp, env, &e))
		printf("# commit: %s\n", e.msg);
	spool_release(&sp);
}

static int is_in(const char *sub, const char *id)
{
	char *p = !strcmp(sub, "failed") ? xasprintf("%s/failed/%s.env", q.dir, id) :
		  xasprintf("%s/%s/%s", q.dir, sub, id);
	struct stat st;
	int r = stat(p, &st) == 0;

	free(p);
	return r;
}

/* A report of codes (0 = none) and replies for n recipients. */
static void report(struct session_report *r, int delivered, const int *codes, size_t n)
{
	session_report_init(r);
	r->delivered = delivered;
	r->rcpt = xcalloc(n, sizeof(*r->rcpt));
	r->nrcpts = n;
	for (size_t i = 0; i < n; i++) {
		r->rcpt[i].code = codes[i];
		r->rcpt[i].reply = codes[i] ? xasprintf("%d x", codes[i]) : NULL;
	}
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/postern-test-qrun.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	static const char *const three[] = { "ok@x.org", "later@x.org", "never@x.org", NULL };
	static const char *const one[] = { "b@x.org", NULL };
	struct qenv env;
	struct session_report r;
	struct error e, err;
	int fresh, out;

	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot make a temporary directory\n");
		return 0;
	}
	error_clear(&e);
	if (queue_open(&q, dir, &e)) {
		ok(0, "queue_open: %s", e.msg);
		return tap_done();
	}

	/* everyone took it: removed */
	make(&env, three);
	error_clear(&err);
	out = qrun_record(&q, &env, 0, &err, QRUN_STAGE_MESSAGE, NULL, 86400, &fresh, &e);
	is_int(out, QRUN_SENT, "all accepted: sent");
	ok(!is_in("env", env.id) && !is_in("msg", env.id), "sent: gone from the queue");
	qenv_release(&env);

	/* 250, 451, 550: one done, one pending, one failed */
	make(&env, three);
	{
		static const int codes[] = { 250, 451, 550 };

		report(&r, 1, codes, 3);
	}
	error_set(&err, ERR_NOUSER, "message delivered to 1 of 3 recipients");
	out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_MESSAGE, &r, 86400, &fresh, &e);
	is_int(out, QRUN_RETRY, "mixed: still queued");
	ok(fresh, "mixed: a recipient was refused for good in this attempt");
	ok(env.rcpt[0].state == QRCPT_DONE && env.rcpt[1].state == QRCPT_PENDING &&
	   env.rcpt[2].state == QRCPT_FAILED, "mixed: done, pending, failed");
	is_str(env.rcpt[2].reply, "550 x", "mixed: the refusal's reply is kept");
	ok(env.attempts == 1 && env.next_attempt > time(NULL) + 100 &&
	   env.next_attempt < time(NULL) + 5 * 60, "mixed: next attempt in about 3 minutes");
	ok(is_in("env", env.id), "mixed: still in the queue");
	session_report_release(&r);
	/* the retry: only the pending one is in the next envelope */
	{
		struct envelope el;
		static const int codes[] = { 250 };

		qrun_envelope(&env, &el);
		ok(el.rcpts.n == 1 && !strcmp(el.rcpts.v[0], "later@x.org"),
		   "the next attempt goes to the pending recipient only");
		strvec_release(&el.rcpts);
		report(&r, 1, codes, 1);
		out = qrun_record(&q, &env, 0, &err, QRUN_STAGE_MESSAGE, &r, 86400, &fresh, &e);
		is_int(out, QRUN_FAILED, "then accepted: done, but one recipient failed: to failed/");
		ok(!fresh, "nothing newly failed in the second attempt");
		ok(is_in("failed", env.id) && !is_in("env", env.id) && !is_in("msg", env.id),
		   "failed: in failed/, out of the live queue");
		session_report_release(&r);
	}
	qenv_release(&env);

	/* before the message: a connection failure retries everyone */
	make(&env, one);
	error_set(&err, ERR_TEMP, "connection refused");
	out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_SESSION, NULL, 86400, &fresh, &e);
	is_int(out, QRUN_RETRY, "connection refused: retried");
	ok(env.rcpt[0].state == QRCPT_PENDING && env.hold == QHOLD_NONE, "connection: pending, not held");
	is_str(env.last_error, "connection refused", "the cause is the last error");
	/* then authentication: held at the slow end */
	error_set(&err, ERR_AUTH, "535 5.7.8 bad credentials");
	out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_SESSION, NULL, 86400, &fresh, &e);
	is_int(out, QRUN_HELD, "authentication failed: held");
	ok(env.hold == QHOLD_AUTH && env.next_attempt > time(NULL) + 3 * 3600,
	   "held: auth, next attempt hours away");
	error_set(&err, ERR_TLS, "certificate name mismatch");
	out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_SESSION, NULL, 86400, &fresh, &e);
	ok(out == QRUN_HELD && env.hold == QHOLD_TLS, "certificate failure: held (tls)");
	error_set(&err, ERR_UNAVAILABLE, "server refused the connection: 554 go away");
	err.smtp_code = 554;
	out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_SESSION, NULL, 86400, &fresh, &e);
	ok(out == QRUN_HELD && env.hold == QHOLD_CONFIG, "a 5xx greeting: held, not failed");
	/* a 5xx to the message itself: failed for everyone pending */
	{
		static const int codes[] = { 250 };

		report(&r, 0, codes, 1);
		error_set(&err, ERR_UNAVAILABLE, "server rejected the message: 554 5.6.0 no");
		err.smtp_code = 554;
		out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_MESSAGE, &r, 86400, &fresh, &e);
		ok(out == QRUN_FAILED && env.rcpt[0].state == QRCPT_FAILED && fresh,
		   "554 at the end of the data: failed");
		ok(is_in("failed", env.id) && !is_in("env", env.id), "554: in failed/, out of the live queue");
		session_report_release(&r);
	}
	qenv_release(&env);

	/* a message too old: given up */
	make(&env, one);
	env.created = time(NULL) - 2 * 86400;
	error_set(&err, ERR_TEMP, "421 try later");
	out = qrun_record(&q, &env, -1, &err, QRUN_STAGE_SESSION, NULL, 86400, &fresh, &e);
	ok(out == QRUN_FAILED && is_in("failed", env.id), "past its lifetime: failed");
	ok(strstr(env.last_error, "given up after 1 day in the queue (queue_lifetime)") && strstr(env.last_error, "421 try later"),
	   "the reason says so, with the last error (%s)", env.last_error);
	qenv_release(&env);

	queue_close(&q);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	free(dir);
	return tap_done();
}
