/* cmd_queue.c - `postern queue ...`: what is queued, and sending it. */
#include "cmd_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#ifdef HAVE_SYS_INOTIFY_H
#include <sys/inotify.h>
#endif
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "interrupt.h"
#include "log.h"
#include "qrun.h"
#include "queue.h"
#include "util.h"

static const char usage[] =
	"usage: postern queue list [--failed] [-C FILE]      what is queued (also: mailq, postern -bp)\n"
	"       postern queue run [--all] [-C FILE] [-v]     send what is due (also: postern -q);\n"
	"                                                   --all: everything, now\n"
	"       postern queue show ID [-C FILE]              one message: its envelope and text\n"
	"       postern queue drop ID [-C FILE]              delete a queued or failed message\n"
	"       postern queue retry [ID] [-C FILE] [-v]      send held and waiting messages now\n";

/* The queue directory of the configuration (or the default one when there
 * is no configuration: mailq must work on a machine without one). */
static char *queue_dir_of(const char *config, struct config *cfg, struct error *e)
{
	char *path = config_find(config, e);
	char *dir = NULL;

	if (path && config_load(cfg, path, e) == 0)
		dir = cfg->queue_dir ? xstrdup(cfg->queue_dir) : queue_default_dir();
	else if (!config)
		dir = queue_default_dir();	/* no configuration: the default place */
	free(path);
	if (!dir && e->cls == ERR_NONE)
		error_set(e, ERR_OS, "no home directory, so no queue directory; set queue_dir");
	return dir;
}

/* Open the queue for a command that only looks: a missing directory is an
 * empty queue (nothing is created).  Returns 1 open, 0 no queue, -1. */
static int open_existing(struct queue *q, const char *dir, struct error *e)
{
	struct stat st;

	if (stat(dir, &st) < 0 && errno == ENOENT)
		return 0;
	return queue_open(q, dir, e) ? -1 : 1;
}

static void fmt_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static void fmt_age(time_t secs, char *out, size_t n)
{
	if (secs < 0)
		secs = 0;
	if (secs < 3600)
		snprintf(out, n, "%ldm", (long)(secs / 60));
	else if (secs < 86400)
		snprintf(out, n, "%ldh", (long)(secs / 3600));
	else
		snprintf(out, n, "%ldd", (long)(secs / 86400));
}

static void fmt_size(uint64_t b, char *out, size_t n)
{
	if (b < 10 * 1024)
		snprintf(out, n, "%llu", (unsigned long long)b);
	else if (b < 10 * 1024 * 1024)
		snprintf(out, n, "%lluK", (unsigned long long)(b / 1024));
	else
		snprintf(out, n, "%lluM", (unsigned long long)(b / (1024 * 1024)));
}

/* One message of the listing: a line with ID, age, size, sender and the
 * recipients still to do, then what happened so far. */
static void list_one(const struct qenv *env, int failed, time_t now, struct buf *out)
{
	char age[32], size[32], when[32];
	size_t done = 0, bad = 0, shown = 0;

	fmt_age(now - env->created, age, sizeof(age));
	fmt_size(env->bytes + env->lines, size, sizeof(size));
	buf_addf(out, "%-16s %4s %6s  %s ->", env->id, age, size, *env->sender ? env->sender : "<>");
	for (size_t i = 0; i < env->nrcpt; i++) {
		const struct qrcpt *r = &env->rcpt[i];

		if (r->state == QRCPT_DONE) {
			done++;
			continue;
		}
		if (r->state == QRCPT_FAILED)
			bad++;
		if (r->state == QRCPT_PENDING || failed)
			buf_addf(out, "%s %s", shown++ ? "," : "", r->addr);
	}
	buf_adds(out, "\n");
	buf_addf(out, "    account %s; attempts %u", env->account, env->attempts);
	if (done)
		buf_addf(out, "; already sent to %zu", done);
	if (bad && !failed)
		buf_addf(out, "; refused for good by %zu", bad);
	if (!failed) {
		if (env->next_attempt <= now)
			buf_adds(out, "; next attempt: now (at the next queue run)");
		else {
			fmt_time(env->next_attempt, when, sizeof(when));
			buf_addf(out, "; next attempt %s", when);
		}
	}
	buf_adds(out, "\n");
	if (env->hold != QHOLD_NONE)
		buf_addf(out, "    HELD (%s): fix the cause, then: postern queue retry %s\n",
			 queue_hold_name(env->hold), env->id);
	if (*env->last_error)
		buf_addf(out, "    %s %s\n", failed ? "failed:" : "last error:", env->last_error);
}

static int do_list(struct queue *q, int failed)
{
	struct strvec ids = STRVEC_INIT;
	struct buf out = BUF_INIT;
	struct error e;
	time_t now = time(NULL);
	size_t held = 0, n = 0;
	int status = EX_OK;

	error_clear(&e);
	if (queue_list(q, &ids, failed, &e)) {
		log_err("%s", e.msg);
		return error_exit_code(e.cls);
	}
	for (size_t i = 0; i < ids.n; i++) {
		/* zero, not qenv_init: queue_read_env initialises it, and
		 * whatever it held would leak (zero is safe to release) */
		struct qenv env = { 0 };

		if (queue_read_env(q, ids.v[i], failed, &env, &e) == 1) {
			if (!n++)
				buf_addf(&out, "%-16s %4s %6s  %s\n", "ID", "AGE", "SIZE",
					 "SENDER -> RECIPIENTS");
			list_one(&env, failed, now, &out);
			held += env.hold != QHOLD_NONE;
		} else if (e.cls != ERR_NONE) {
			log_err("%s: %s", ids.v[i], e.msg);
			status = EX_DATAERR;
			error_clear(&e);
		}
		qenv_release(&env);
	}
	if (!n)
		buf_addf(&out, failed ? "No failed messages\n" : "Mail queue is empty\n");
	else
		buf_addf(&out, "-- %zu %s message%s%s\n", n, failed ? "failed" : "queued", n == 1 ? "" : "s",
			 held ? " (some held: see HELD)" : "");
	if (!failed) {
		struct strvec f = STRVEC_INIT;

		if (queue_list(q, &f, 1, &e) == 0 && f.n)
			buf_addf(&out, "-- %zu failed message%s: postern queue list --failed\n", f.n,
				 f.n == 1 ? "" : "s");
		strvec_release(&f);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	strvec_release(&ids);
	return status;
}

static int do_show(struct queue *q, const char *id)
{
	struct qenv env;
	struct error e;
	struct buf out = BUF_INIT;
	char *path = NULL, chunk[65536];
	int failed = 0, r, fd = -1, status = EX_OK;
	ssize_t n;

	error_clear(&e);
	memset(&env, 0, sizeof(env));	/* as in do_list */
	if (!queue_id_valid(id)) {
		log_err("queue show: %s is not a message ID (16 hex digits; see postern queue list)", id);
		status = EX_USAGE;
		goto out;
	}
	/* each queue_read_env initialises env anew: released before the next */
	r = queue_read_env(q, id, 0, &env, &e);
	if (r == 0) {
		failed = 1;
		qenv_release(&env);
		r = queue_read_env(q, id, 1, &env, &e);
	}
	if (r <= 0) {
		if (r < 0)
			log_err("%s: %s", id, e.msg);
		else
			log_err("no message %s in the queue (postern queue list)", id);
		status = r < 0 ? error_exit_code(e.cls) : EX_NOINPUT;
		goto out;
	}
	list_one(&env, failed, time(NULL), &out);
	for (size_t i = 0; i < env.nrcpt; i++)
		buf_addf(&out, "    recipient %s: %s%s%s\n", env.rcpt[i].addr,
			 qrcpt_state_name(env.rcpt[i].state), *env.rcpt[i].reply ? ", " : "",
			 env.rcpt[i].reply);
	buf_adds(&out, "\n");
	fwrite(out.data, 1, out.len, stdout);
	path = failed ? xasprintf("%s/failed/%s.msg", q->dir, id) : xasprintf("%s/msg/%s", q->dir, id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_err("cannot read %s: %s", path, strerror(errno));
		status = EX_NOINPUT;
		goto out;
	}
	fflush(stdout);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (write_all(STDOUT_FILENO, chunk, (size_t)n))
			break;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	buf_release(&out);
	qenv_release(&env);
	return status;
}

static int do_drop(struct queue *q, const char *id)
{
	struct spool sp;
	struct qenv env;
	struct error e;
	int r, status = EX_OK;

	error_clear(&e);
	memset(&env, 0, sizeof(env));	/* as in do_list */
	if (!queue_id_valid(id)) {
		log_err("queue drop: %s is not a message ID (16 hex digits; see postern queue list)", id);
		return EX_USAGE;
	}
	/* queue_lock and queue_read_env initialise env (each anew: it is
	 * released before the next) */
	r = queue_lock(q, id, &sp, &env, &e);
	if (r == 1) {
		if (queue_remove(q, id, &e)) {
			log_err("%s: %s", id, e.msg);
			status = error_exit_code(e.cls);
		} else {
			printf("dropped %s (it was not sent to: %zu recipient(s))\n", id, qenv_pending(&env));
		}
		spool_release(&sp);
		goto out;
	}
	if (r < 0) {
		log_err("%s: %s", id, e.msg);
		status = error_exit_code(e.cls);
		goto out;
	}
	/* not a live message we could lock: a failed one, or one being sent
	 * (queue_read_env and queue_lock fill env afresh: release it first) */
	qenv_release(&env);
	r = queue_read_env(q, id, 1, &env, &e);
	if (r != 1) {
		qenv_release(&env);
		r = queue_read_env(q, id, 0, &env, &e) == 1 ? 2 : 0;
	}
	if (r == 1) {
		char *m = xasprintf("%s/failed/%s.msg", q->dir, id);
		char *en = xasprintf("%s/failed/%s.env", q->dir, id);

		if (unlink(en) < 0 || (unlink(m) < 0 && errno != ENOENT)) {
			log_err("cannot drop the failed message %s: %s", id, strerror(errno));
			status = EX_IOERR;
		} else {
			printf("dropped the failed message %s\n", id);
		}
		free(m);
		free(en);
	} else if (r == 2) {
		log_err("%s is being sent right now; try again in a moment", id);
		status = EX_TEMPFAIL;
	} else {
		qenv_release(&env);
		if (queue_read_env(q, id, 0, &env, &e) == 1) {
			log_err("%s is being sent right now; try again in a moment", id);
			status = EX_TEMPFAIL;
		} else {
			log_err("no message %s in the queue (postern queue list)", id);
			status = EX_NOINPUT;
		}
	}
out:
	qenv_release(&env);
	return status;
}

/* Send what is due (all: everything, now; id: that one).  Returns the run's
 * sysexits code. */
static int do_run(struct queue *q, int all, const char *id)
{
	struct qrun_opts o = { .all = all, .id = id };
	struct qrun_stats st;
	struct error e;

	error_clear(&e);
	if (qrun(q, &o, &st, &e)) {
		log_err("%s", e.msg);
		return error_exit_code(e.cls);
	}
	log_info("queue run: %u sent, %u still queued, %u held, %u failed, %u busy elsewhere",
		 st.sent, st.retry, st.held, st.failed, st.busy);
	if (id && !st.sent && !st.retry && !st.held && !st.failed) {
		if (st.busy) {
			log_err("%s is being sent right now", id);
			return EX_TEMPFAIL;
		}
		log_err("no message %s in the queue (postern queue list)", id);
		return EX_NOINPUT;
	}
	return st.status;
}

/* How many rounds in a row the retrier comes back for messages that
 * someone else held (1, 2, 4 ... seconds later) before it leaves them to
 * their holder: a send that has not yet let go of the message it queued,
 * or a queue run.  Bounded, as a text missing after a crash looks held
 * too. */
#define RETRIER_BUSY_ROUNDS 5

/* Without a way to watch the queue, the retrier looks at it at least this
 * often (seconds), for messages queued after it went to sleep. */
#define RETRIER_RESCAN 60

/* A descriptor that becomes readable when an envelope is written into
 * env/ (a message queued or updated by another postern, or edited by
 * hand), so that the retrier, asleep until the message it knows is due,
 * does not sleep past one due sooner; -1 where the system cannot tell. */
static int watch_envelopes(const struct queue *q)
{
#ifdef HAVE_SYS_INOTIFY_H
	char *dir = xasprintf("%s/env", q->dir);
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(fd);
		fd = -1;
	}
	free(dir);
	return fd;
#else
	(void)q;
	return -1;
#endif
}

/* Whether a queued message is due now and free (nobody holds it). */
static int due_and_free(struct queue *q)
{
	struct strvec ids = STRVEC_INIT;
	struct error e;
	time_t now = time(NULL);
	int found = 0;

	error_clear(&e);
	if (queue_list(q, &ids, 0, &e) == 0) {
		for (size_t i = 0; i < ids.n && !found; i++) {
			struct spool sp;
			struct qenv env;

			if (queue_lock(q, ids.v[i], &sp, &env, &e) == 1) {
				found = env.next_attempt <= now;
				spool_release(&sp);
			}
			qenv_release(&env);
			error_clear(&e);
		}
	}
	strvec_release(&ids);
	return found;
}

/* The background retrier: run the queue, sleep until the next message is
 * due (or an envelope is written: a message queued or changed meanwhile),
 * again, until nothing is queued (held messages are tried again at the
 * slow end too).  One per queue: the lock on Q/retrier.lock; a second one
 * ends at once, leaving the queue to the first, which sees the second's
 * message arrive in env/. */
static int do_until_empty(struct queue *q)
{
	char *lock = xasprintf("%s/retrier.lock", q->dir);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	int status = EX_OK, watch = -1, looked_again = 0;
	unsigned busy_rounds = 0;

	free(lock);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_info("another retrier runs this queue");
		if (fd >= 0)
			close(fd);
		return EX_OK;
	}
	watch = watch_envelopes(q);
	for (;;) {
		struct qrun_opts o = { 0 };
		struct qrun_stats st;
		struct error e;
		time_t now;

		error_clear(&e);
		if (qrun(q, &o, &st, &e)) {
			status = error_exit_code(e.cls);
			break;
		}
		now = time(NULL);
		if (st.busy && busy_rounds < RETRIER_BUSY_ROUNDS) {
			time_t back = now + ((time_t)1 << busy_rounds++);

			if (!st.next_due || st.next_due > back)
				st.next_due = back;
		} else if (!st.busy) {
			busy_rounds = 0;
		}
		if (!st.next_due) {
			/* Nothing to wait for: let the lock go, then look once
			 * more.  A sender that queued a message while this run
			 * went on started a retrier that found the lock taken
			 * and ended: that message is still due.  Take the lock
			 * back and run again; not when another retrier took it
			 * (it runs them), nor after a second look that did
			 * nothing (a message this run cannot record would make
			 * it go round for ever). */
			int did = st.sent + st.retry + st.held + st.failed > 0;

			flock(fd, LOCK_UN);
			if ((looked_again && !did) || !due_and_free(q) ||
			    flock(fd, LOCK_EX | LOCK_NB) < 0)
				break;
			looked_again = 1;
			continue;
		}
		looked_again = 0;
		if (st.next_due > now) {
			long long ms = (long long)(st.next_due - now) * 1000;
			char ev[4096];

			if (watch < 0 && ms > RETRIER_RESCAN * 1000)
				ms = RETRIER_RESCAN * 1000;
			/* until due, or an envelope changed, or a terminating
			 * signal (interrupt.h), which ends the retrier */
			if (interrupt_poll(watch >= 0 ? watch : interrupt_fd(), POLLIN,
					   ms > 0x7fffffff ? 0x7fffffff : (int)ms) < 0)
				break;
			while (watch >= 0 && read(watch, ev, sizeof(ev)) > 0)
				;	/* which envelope does not matter: look again */
		}
	}
	if (watch >= 0)
		close(watch);
	close(fd);
	return status;
}

static int with_queue(const char *config, int create, int (*fn)(struct queue *, void *), void *arg)
{
	struct config cfg;
	struct queue q;
	struct error e;
	char *dir;
	int r, status;

	config_init(&cfg);
	error_clear(&e);
	memset(&q, 0, sizeof(q));
	dir = queue_dir_of(config, &cfg, &e);
	if (!dir) {
		log_err("%s", e.msg);
		config_release(&cfg);
		return error_exit_code(e.cls);
	}
	r = create ? (queue_open(&q, dir, &e) ? -1 : 1) : open_existing(&q, dir, &e);
	if (r < 0) {
		log_err("%s", e.msg);
		status = error_exit_code(e.cls);
	} else {
		status = fn(r ? &q : NULL, arg);
	}
	if (r > 0)
		queue_close(&q);
	free(dir);
	config_release(&cfg);
	return status;
}

struct args {
	const char *sub, *id;
	int all, failed, until_empty;
};

static int run_cmd(struct queue *q, void *p)
{
	const struct args *a = p;

	if (!strcmp(a->sub, "list")) {
		if (!q) {
			printf(a->failed ? "No failed messages\n" : "Mail queue is empty\n");
			return EX_OK;
		}
		return do_list(q, a->failed);
	}
	if (!q) {
		if (a->id) {
			log_err("no message %s in the queue (postern queue list)", a->id);
			return EX_NOINPUT;
		}
		return EX_OK;	/* run, retry: nothing queued */
	}
	if (!strcmp(a->sub, "show"))
		return do_show(q, a->id);
	if (!strcmp(a->sub, "drop"))
		return do_drop(q, a->id);
	if (!strcmp(a->sub, "retry"))
		return do_run(q, 1, a->id);
	if (a->until_empty)
		return do_until_empty(q);
	return do_run(q, a->all, NULL);
}

int cmd_queue_list(const char *config)
{
	struct args a = { .sub = "list" };

	return with_queue(config, 0, run_cmd, &a);
}

int cmd_queue_run(const char *config)
{
	struct args a = { .sub = "run" };

	return with_queue(config, 0, run_cmd, &a);
}

int cmd_queue(int argc, char **argv)
{
	struct args a = { 0 };
	const char *config = NULL;
	int i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	a.sub = argv[1];
	if (strcmp(a.sub, "list") && strcmp(a.sub, "run") && strcmp(a.sub, "show") &&
	    strcmp(a.sub, "drop") && strcmp(a.sub, "retry")) {
		log_err("queue: unknown command %s", a.sub);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	for (i = 2; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "-v")) {
			log_verbose++;
		} else if (!strcmp(arg, "--all") && !strcmp(a.sub, "run")) {
			a.all = 1;
		} else if (!strcmp(arg, "--until-empty") && !strcmp(a.sub, "run")) {
			a.until_empty = 1;
		} else if (!strcmp(arg, "--failed") && !strcmp(a.sub, "list")) {
			a.failed = 1;
		} else if (!strncmp(arg, "-C", 2)) {
			config = arg[2] ? arg + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!config) {
				log_err("queue %s: -C needs a value", a.sub);
				return EX_USAGE;
			}
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return EX_OK;
		} else if (arg[0] != '-' && !a.id &&
			   (!strcmp(a.sub, "show") || !strcmp(a.sub, "drop") || !strcmp(a.sub, "retry"))) {
			a.id = arg;
		} else {
			log_err("queue %s: unexpected %s", a.sub, arg);
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if ((!strcmp(a.sub, "show") || !strcmp(a.sub, "drop")) && !a.id) {
		log_err("queue %s: which message? (an ID from postern queue list)", a.sub);
		return EX_USAGE;
	}
	return with_queue(config, 0, run_cmd, &a);
}
