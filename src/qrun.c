/* qrun.c - sending what is queued (see qrun.h). */
#include "qrun.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "credential.h"
#include "interrupt.h"
#include "log.h"
#include "maillog.h"
#include "secret.h"

static uint32_t jitter(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	return r;
}

void qrun_envelope(const struct qenv *env, struct envelope *out)
{
	memset(out, 0, sizeof(*out));
	strvec_init(&out->rcpts);
	out->from = env->sender;
	out->size = env->bytes + env->lines;
	out->eightbit = env->eightbit;
	out->dsn_notify = env->notify;
	out->dsn_ret = env->ret;
	out->dsn_envid = env->envid;
	for (size_t i = 0; i < env->nrcpt; i++)
		if (env->rcpt[i].state == QRCPT_PENDING)
			strvec_push(&out->rcpts, env->rcpt[i].addr);
}

/* A failure that waits for the person rather than for the server. */
static enum queue_hold hold_for(const struct error *err, enum qrun_stage stage)
{
	switch (err->cls) {
	case ERR_AUTH:
		return QHOLD_AUTH;
	case ERR_TLS:
		return QHOLD_TLS;
	case ERR_CONFIG:
	case ERR_USAGE:
	case ERR_OS:
	case ERR_INTERNAL:
		return QHOLD_CONFIG;
	case ERR_UNAVAILABLE:
		/* a 5xx before any message (a refused greeting or EHLO):
		 * this server will not serve us until something changes */
		return stage == QRUN_STAGE_SESSION && err->smtp_code / 100 == 5 ? QHOLD_CONFIG : QHOLD_NONE;
	default:
		return QHOLD_NONE;
	}
}

/* A failure of the message itself, for every recipient still pending: a
 * 5xx to MAIL, DATA or the end of the data, or a message the server will
 * never take (SIZE). */
static int message_refused(const struct error *err, enum qrun_stage stage)
{
	if (stage != QRUN_STAGE_MESSAGE)
		return 0;
	return err->cls == ERR_DATA || (err->cls == ERR_UNAVAILABLE && err->smtp_code / 100 == 5);
}

/* A queue_lifetime as a person wrote it: "5 days", "1 minute", "90 seconds". */
static void say_duration(unsigned s, char *out, size_t n)
{
	static const struct { unsigned secs; const char *name; } units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s >= units[i].secs && s % units[i].secs == 0) {
			snprintf(out, n, "%u %s%s", s / units[i].secs, units[i].name,
				 s / units[i].secs == 1 ? "" : "s");
			return;
		}
	snprintf(out, n, "%u seconds", s);
}

/* The last error of a message that the recipients still pending took,
 * while others had refused it for good in an earlier attempt: it ends in
 * the failed messages for those, and says so. */
static void say_refused(struct qenv *env)
{
	struct buf b = BUF_INIT;
	size_t n = 0;

	buf_adds(&b, "sent to the other recipients; refused for good earlier by");
	for (size_t i = 0; i < env->nrcpt; i++)
		if (env->rcpt[i].state == QRCPT_FAILED)
			buf_addf(&b, "%s <%s> (%s)", n++ ? "," : "", env->rcpt[i].addr,
				 *env->rcpt[i].reply ? env->rcpt[i].reply : "no reply kept");
	qenv_set(&env->last_error, b.data);
	buf_release(&b);
}

int qrun_record(struct queue *q, struct qenv *env, int rc, const struct error *err,
		enum qrun_stage stage, const struct session_report *r, unsigned lifetime,
		int *newly_failed, struct error *e)
{
	time_t now = time(NULL);
	size_t k = 0, failed = 0;
	int fresh = 0;

	env->attempts++;
	env->last_attempt = now;
	for (size_t i = 0; i < env->nrcpt; i++) {
		struct qrcpt *rc_i = &env->rcpt[i];
		int code = 0;

		if (rc_i->state != QRCPT_PENDING) {
			failed += rc_i->state == QRCPT_FAILED;
			continue;
		}
		if (r && stage == QRUN_STAGE_MESSAGE && k < r->nrcpts) {
			code = r->rcpt[k].code;
			if (r->rcpt[k].reply)
				qenv_set(&rc_i->reply, r->rcpt[k].reply);
		}
		k++;
		if (rc == 0 || (code / 100 == 2 && r && r->delivered)) {
			rc_i->state = QRCPT_DONE;
		} else if (code / 100 == 5 || (code / 100 != 4 && message_refused(err, stage))) {
			rc_i->state = QRCPT_FAILED;
			if (!*rc_i->reply)
				qenv_set(&rc_i->reply, err->msg);
			failed++;
			fresh = 1;
		}
	}
	if (newly_failed)
		*newly_failed = fresh;
	if (rc)
		qenv_set(&env->last_error, err->msg);
	else if (failed)
		say_refused(env);
	else
		qenv_set(&env->last_error, "");
	env->hold = rc ? hold_for(err, stage) : QHOLD_NONE;
	if (!qenv_pending(env)) {
		if (failed) {
			if (queue_fail(q, env, e))
				return -1;
			return QRUN_FAILED;
		}
		if (queue_remove(q, env->id, e))
			return -1;
		return QRUN_SENT;
	}
	if (queue_expired(env, now, lifetime)) {
		char why[ERROR_MSG_MAX], life[64];

		say_duration(lifetime, life, sizeof(life));
		snprintf(why, sizeof(why), "given up after %s in the queue (queue_lifetime); the last attempt: %s",
			 life, *env->last_error ? env->last_error : "none");
		qenv_set(&env->last_error, why);
		for (size_t i = 0; i < env->nrcpt; i++)
			if (env->rcpt[i].state == QRCPT_PENDING)
				env->rcpt[i].state = QRCPT_FAILED;
		if (newly_failed)
			*newly_failed = 1;
		if (queue_fail(q, env, e))
			return -1;
		return QRUN_FAILED;
	}
	env->next_attempt = queue_next_attempt(now, env->attempts, env->hold, jitter());
	if (queue_update(q, env, e))
		return -1;
	return env->hold != QHOLD_NONE ? QRUN_HELD : QRUN_RETRY;
}

/* ------------------------------------------------------------------ runs */

/* The due messages of one account of one configuration. */
struct group {
	char *config;		/* "" the default search */
	char *account;
	struct strvec ids;
};

struct run {
	struct queue *q;
	const struct qrun_opts *o;
	struct qrun_stats *st;
	struct group *g;
	size_t ng;
};

static struct group *group_for(struct run *run, const char *config, const char *account)
{
	struct group *g;

	for (size_t i = 0; i < run->ng; i++)
		if (!strcmp(run->g[i].config, config) && !strcmp(run->g[i].account, account))
			return &run->g[i];
	run->g = xrealloc(run->g, (run->ng + 1) * sizeof(*run->g));
	g = &run->g[run->ng++];
	g->config = xstrdup(config);
	g->account = xstrdup(account);
	strvec_init(&g->ids);
	return g;
}

static void worse(struct qrun_stats *st, int status)
{
	/* a permanent failure outranks "still queued", which outranks 0 */
	if (status != EX_OK && status != EX_TEMPFAIL)
		st->status = status;
	else if (status == EX_TEMPFAIL && st->status == EX_OK)
		st->status = EX_TEMPFAIL;
}

static void note_outcome(struct run *run, const struct qenv *env, int outcome,
			 const struct error *err)
{
	struct qrun_stats *st = run->st;

	switch (outcome) {
	case QRUN_SENT:
		st->sent++;
		log_info("%s: sent (%s)", env->id, env->account);
		return;
	case QRUN_RETRY:
	case QRUN_HELD:
		if (outcome == QRUN_HELD)
			st->held++;
		else
			st->retry++;
		if (!st->next_due || env->next_attempt < st->next_due)
			st->next_due = env->next_attempt;
		worse(st, EX_TEMPFAIL);
		log_err("%s: %s: %s", env->id, outcome == QRUN_HELD ? "held for you" : "still queued",
			env->last_error);
		return;
	case QRUN_FAILED:
		st->failed++;
		if (err->cls == ERR_NONE) {
			/* this attempt went through; recipients refused before */
			worse(st, EX_NOUSER);
			log_err("%s: kept in the failed messages (postern queue show %s): %s",
				env->id, env->id, env->last_error);
			return;
		}
		worse(st, error_exit_code(err->cls));
		log_err("%s: failed for good and moved to the failed messages (postern queue show %s): %s",
			env->id, env->id, env->last_error);
		return;
	}
}

/* The mail log's line for an attempt on env (recipients: el's, those of
 * the attempt); nothing when the account is not known (its log = says
 * where the line goes). */
static void mail_log(const struct account *a, const struct qenv *env, const struct envelope *el,
		     int outcome, const struct error *err, const struct session_report *r)
{
	struct maillog_entry m = {
		.id = env->id,
		.sender = env->sender,
		.rcpts = (const char *const *)el->rcpts.v,
		.nrcpts = el->rcpts.n,
		.size = env->bytes + env->lines,
		.dsn_ignored = r && r->dsn_ignored,
	};

	if (!a)
		return;
	m.account = a->name;
	m.host = a->host;
	m.port = a->port;
	switch (outcome) {
	case QRUN_SENT: m.status = MAILLOG_SENT; break;
	case QRUN_HELD: m.status = MAILLOG_HELD; break;
	case QRUN_FAILED: m.status = MAILLOG_FAILED; break;
	default: m.status = MAILLOG_DEFERRED; break;
	}
	if (m.status == MAILLOG_SENT)
		m.text = r ? r->reply : NULL;
	else
		m.text = *env->last_error ? env->last_error : err->msg;
	maillog_write(a->log, &m);
}

/* Try (or count as tried) one message of group g, over ss (NULL when the
 * session could not be opened: serr says why); a is the group's account,
 * NULL when it could not be loaded. */
static void one_message(struct run *run, const char *id, const struct account *a,
			struct session *ss, const struct error *serr, unsigned lifetime)
{
	struct spool sp;
	struct qenv env;
	struct envelope el;
	struct session_report rep;
	struct error e, err;
	int got, outcome, rc;

	error_clear(&e);
	error_clear(&err);
	session_report_init(&rep);
	memset(&el, 0, sizeof(el));
	strvec_init(&el.rcpts);
	got = queue_lock(run->q, id, &sp, &env, &e);	/* fills env, whatever it returns */
	if (got == 0) {
		/* someone else has it now (a sender about to let go, another
		 * run): the retrier comes back for it (cmd_queue.c) */
		run->st->busy++;
		goto out;
	}
	if (got < 0) {
		log_err("%s: %s", id, e.msg);
		worse(run->st, EX_SOFTWARE);
		goto out;
	}
	if (interrupt_signal() || (!ss && serr->cls == ERR_INTERRUPTED)) {
		/* not an attempt: the message stays as it was, due */
		spool_release(&sp);
		goto out;
	}
	qrun_envelope(&env, &el);	/* this attempt's recipients */
	if (!qenv_pending(&env)) {
		/* a crash after its last attempt was recorded: finish it
		 * (no attempt now, so no line in the mail log) */
		outcome = qrun_record(run->q, &env, 0, &err, QRUN_STAGE_MESSAGE, NULL, lifetime, NULL, &e);
	} else if (!ss) {
		outcome = qrun_record(run->q, &env, -1, serr, QRUN_STAGE_SESSION, NULL, lifetime, NULL, &e);
		err = *serr;
		mail_log(a, &env, &el, outcome, &err, NULL);
	} else if (!session_usable(ss)) {
		error_set(&err, ERR_TEMP, "the connection was lost with an earlier message");
		outcome = qrun_record(run->q, &env, -1, &err, QRUN_STAGE_SESSION, NULL, lifetime, NULL, &e);
		mail_log(a, &env, &el, outcome, &err, NULL);
	} else {
		rc = session_deliver(ss, &el, &sp, &rep, &err);
		if (rc && err.cls == ERR_INTERRUPTED) {
			spool_release(&sp);
			goto out;
		}
		outcome = qrun_record(run->q, &env, rc, &err, QRUN_STAGE_MESSAGE, &rep, lifetime, NULL, &e);
		/* a queue that could not record it: as it was before, queued */
		mail_log(a, &env, &el, outcome < 0 ? (rc ? QRUN_RETRY : QRUN_SENT) : outcome, &err,
			 &rep);
	}
	if (outcome < 0) {
		log_err("%s: %s", id, e.msg);
		worse(run->st, EX_IOERR);
	} else {
		note_outcome(run, &env, outcome, &err);
	}
	spool_release(&sp);
out:
	strvec_release(&el.rcpts);
	session_report_release(&rep);
	qenv_release(&env);
}

/* One account: load its configuration, find its password, open one
 * connection, send each due message over it. */
static void one_group(struct run *run, struct group *g)
{
	const struct qrun_opts *o = run->o;
	struct config cfg;
	const struct account *a = NULL;
	struct session *ss = o->ss;
	struct secret pw;
	struct error serr;
	char *path = NULL, *helo = NULL;
	unsigned lifetime = QUEUE_LIFETIME_DEFAULT;

	config_init(&cfg);
	secret_init(&pw);
	error_clear(&serr);
	if (ss) {
		a = o->acct;
		lifetime = a->queue_lifetime;
		goto send;
	}
	path = config_find(*g->config ? g->config : NULL, &serr);
	if (!path || config_load(&cfg, path, &serr))
		goto send;
	a = config_select(&cfg, g->account, NULL, NULL, &serr);
	if (!a) {
		error_prefix(&serr, "account [%s] of the queued message", g->account);
		goto send;
	}
	lifetime = a->queue_lifetime;
	if (sasl_mode_needs_password(a->auth)) {
		struct credential_opts co = { .allow_prompt = 0 };

		if (credential_lookup(a, &co, &pw, &serr))
			goto send;
	}
	helo = session_ehlo_name(a);
	if (session_open(&ss, a, pw.value, helo, &serr))
		ss = NULL;
	secret_release(&pw);
send:
	for (size_t i = 0; i < g->ids.n; i++) {
		if (interrupt_signal())
			break;
		one_message(run, g->ids.v[i], a, ss, &serr, lifetime);
	}
	if (ss && ss != o->ss)
		session_close(ss);
	secret_release(&pw);
	free(helo);
	free(path);
	config_release(&cfg);
}

/* 0 when someone holds message id right now (or it is gone), else 1 (also
 * on errors, which one_message reports).  Only a hint: it may be taken a
 * moment later, and one_message then counts it busy. */
static int free_now(struct queue *q, const char *id)
{
	struct spool sp;
	struct qenv env;
	struct error e;
	int r;

	memset(&env, 0, sizeof(env));	/* as in one_message */
	error_clear(&e);
	r = queue_lock(q, id, &sp, &env, &e);
	if (r == 1)
		spool_release(&sp);
	qenv_release(&env);
	return r != 0;
}

int qrun(struct queue *q, const struct qrun_opts *o, struct qrun_stats *st, struct error *e)
{
	struct run run = { .q = q, .o = o, .st = st };
	struct queue_sweep_stats sw;
	struct strvec ids = STRVEC_INIT;
	time_t now = time(NULL);
	int rc = -1;

	memset(st, 0, sizeof(*st));
	memset(&sw, 0, sizeof(sw));
	if (!o->ss)
		queue_sweep(q, QUEUE_SWEEP_GRACE, &sw, NULL);
	if (sw.orphans)
		log_err("%u envelope(s) in %s/env have no message text left: they were kept for you to "
			"look at (postern queue list)", sw.orphans, q->dir);
	if (queue_list(q, &ids, 0, e))
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		struct qenv env;
		struct error re;
		int r;

		if (o->id && strcmp(ids.v[i], o->id))
			continue;
		error_clear(&re);
		r = queue_read_env(q, ids.v[i], 0, &env, &re);	/* fills env */
		if (r < 0)
			log_err("%s: %s", ids.v[i], re.msg);
		if (r <= 0)
			goto next;
		if (o->ss && (strcmp(env.account, o->acct->name) || strcmp(env.config, o->config)))
			goto next;
		/* take-along sends them all, due or not: the connection that
		 * just worked is their best chance (qrun.h) */
		if (!o->all && !o->id && !o->ss && env.next_attempt > now) {
			/* not due: not this run's business (its status says
			 * what this run did), but the retrier's next wake-up */
			if (!st->next_due || env.next_attempt < st->next_due)
				st->next_due = env.next_attempt;
			goto next;
		}
		if (!o->ss && !free_now(q, ids.v[i])) {
			/* someone else sends it: no connection for it */
			st->busy++;
			goto next;
		}
		strvec_push(&group_for(&run, env.config, env.account)->ids, ids.v[i]);
next:
		qenv_release(&env);
	}
	for (size_t i = 0; i < run.ng && !interrupt_signal(); i++)
		one_group(&run, &run.g[i]);
	if (interrupt_signal()) {
		error_set(e, ERR_INTERRUPTED, "interrupted by %s while running the queue",
			  interrupt_name(interrupt_signal()));
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < run.ng; i++) {
		free(run.g[i].config);
		free(run.g[i].account);
		strvec_release(&run.g[i].ids);
	}
	free(run.g);
	strvec_release(&ids);
	return rc;
}

/* ------------------------------------------------------------ background */

void qrun_background(const char *config_path)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;
	int status;

	if (n <= 0) {
		log_info("cannot start the background retrier: /proc/self/exe: %s", strerror(errno));
		return;
	}
	self[n] = '\0';
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_info("cannot start the background retrier: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* Child: detach, then fork again so that nobody waits for the
		 * retrier and it is never a zombie of the caller's. */
		struct sigaction sa;
		long maxfd = sysconf(_SC_OPEN_MAX);
		int fd;

		setsid();
		if (fork() != 0)
			_exit(0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (maxfd < 0 || maxfd > 4096)
			maxfd = 4096;
		for (long i = 3; i < maxfd; i++)
			close((int)i);
		if (chdir("/") < 0)
			_exit(0);
		if (config_path)
			execl(self, "postern", "queue", "run", "--until-empty", "-C", config_path,
			      (char *)NULL);
		else
			execl(self, "postern", "queue", "run", "--until-empty", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}
