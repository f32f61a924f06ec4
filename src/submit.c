/* submit.c - one message through the whole pipeline, for the command line
 * and for each message of -bs (bsmtp_session.c). */
#include "submit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "config.h"
#include "deadletter.h"
#include "input.h"
#include "log.h"
#include "maillog.h"
#include "message.h"
#include "credential.h"
#include "qrun.h"
#include "queue.h"
#include "session.h"

/* Everything known about the message being sent. */
struct job {
	const struct submit_request *rq;
	struct config cfg;
	int cfg_ok;
	const struct account *acct;
	char *sender;			/* envelope sender */
	struct strvec hdr_rcpts;	/* from -t */
	struct aliases aliases;		/* read when a bare name needs it */
	int aliases_read;
	int spool_in_queue;		/* the spool is the queue's, not yet committed */
	int utf8_headers;		/* the header section has UTF-8 (SMTPUTF8) */
};

/* The mail log's line for this message's outcome (maillog.h); nothing
 * before an account is chosen, as the account says where the log goes. */
static void mail_log(const struct job *j, const struct envelope *env, const char *id,
		     enum maillog_status st, const char *text, const struct session_report *r)
{
	struct maillog_entry m = {
		.id = id && *id ? id : NULL,
		.sender = j->sender ? j->sender : "",
		.rcpts = (const char *const *)env->rcpts.v,
		.nrcpts = env->rcpts.n,
		.size = env->size,
		.status = st,
		.text = text,
		.dsn_ignored = r && r->dsn_ignored,
	};

	if (!j->acct)
		return;
	m.account = j->acct->name;
	m.host = j->acct->host;
	m.port = j->acct->port;
	maillog_write(j->acct->log, &m);
}

/* Whether the header section (as it will be sent) has an octet >= 0x80:
 * then the message is internationalized (RFC 6531 3.4) and SMTPUTF8 is
 * declared where the server offers it. */
static int header_has_8bit(const struct message *m)
{
	struct buf b = BUF_INIT;
	int r = 0;

	message_write(m, &b);
	for (size_t i = 0; i < b.len && !r; i++)
		r = (unsigned char)b.data[i] >= 0x80;
	buf_release(&b);
	return r;
}

static char *first_address(const char *list)
{
	struct strvec v = STRVEC_INIT;
	char *s = NULL;

	if (list && addr_parse_list(list, &v, NULL) == 0 && v.n)
		s = xstrdup(v.v[0]);
	strvec_release(&v);
	return s;
}

static char *domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	if (at && at[1])
		return xstrdup(at + 1);
	return host_name(1);
}

/* A display name for From, quoted as RFC 5322 needs it. */
static char *from_value(const char *fullname, const char *addr)
{
	struct buf b = BUF_INIT;

	if (!fullname || !*fullname)
		return xstrdup(addr);
	addr_add_quoted(&b, fullname, strlen(fullname));
	buf_addf(&b, " <%s>", addr);
	return buf_detach(&b);
}

#define SYSTEM_ALIASES "/etc/aliases"

/* The envelope sender: -f when the account lets it choose (else its
 * from), then, as rewrite_from says, the account's from in place of a bare
 * name or an address it cannot send as; a bare name left gets
 * default_domain.  NULL with the error when there is none. */
static char *decide_sender(const struct job *j, const char *arg_from, const char *hdr_from,
			   struct error *e)
{
	const struct account *a = j->acct;
	const char *s = a->from ? a->from : hdr_from;
	char *q;

	if (arg_from && (a->allow_from_override || !a->from))
		s = arg_from;
	if (!s) {
		error_set(e, ERR_CONFIG,
			  "no sender address: add from = you@example.org to [%s] in %s, or pass -f ADDRESS",
			  a->name, j->cfg.path);
		return NULL;
	}
	if (!*s)
		return xstrdup(s);	/* the null sender: nobody to rewrite */
	if (a->from && (a->rewrite_from == ACCOUNT_REWRITE_ALWAYS ||
			(a->rewrite_from == ACCOUNT_REWRITE_AUTO &&
			 (!strchr(s, '@') || !account_may_send_as(a, s)))))
		return xstrdup(a->from);
	if (strchr(s, '@'))
		return xstrdup(s);
	if (a->default_domain)
		return xasprintf("%s@%s", s, a->default_domain);
	q = xstrdup(s);
	error_set(e, ERR_CONFIG,
		  "the envelope sender %s is a local name with no domain: add from = you@example.org "
		  "or default_domain = example.org to [%s] in %s", q, a->name, j->cfg.path);
	free(q);
	return NULL;
}

/* The From field, as rewrite_from and default_domain say: the account's
 * from in place of a bare name or an address it cannot send as, with the
 * display name kept ("root (Cron Daemon)" gives "Cron Daemon"
 * <from>), or -F's name when the field had none; the old value in
 * X-Original-From when it named a real address.  hdr_from: its address
 * (NULL when it has none or does not parse). */
static void rewrite_from(const struct job *j, struct message *m, const char *hdr_from)
{
	const struct account *a = j->acct;
	const char *fv = message_get(m, "From");
	char *orig, *name, *v;
	int swap;

	if (!fv)
		return;
	switch (a->rewrite_from) {
	case ACCOUNT_REWRITE_ALWAYS:
		swap = !hdr_from || strcasecmp(hdr_from, a->from);
		break;
	case ACCOUNT_REWRITE_AUTO:
		swap = a->from && hdr_from && *hdr_from &&
		       (!strchr(hdr_from, '@') || !account_may_send_as(a, hdr_from));
		break;
	default:
		swap = 0;
		break;
	}
	if (!swap) {
		if (a->default_domain && addr_qualify_list(fv, a->default_domain, &v)) {
			message_replace(m, "From", v);
			free(v);
		}
		return;
	}
	orig = xstrdup(fv);
	name = addr_display_name(orig);
	if (name)
		v = xasprintf("%s <%s>", name, a->from);
	else
		v = from_value(j->rq->fullname, a->from);
	message_replace(m, "From", v);
	if (hdr_from && strchr(hdr_from, '@'))
		message_replace(m, "X-Original-From", orig);
	log_info("From: %s rewritten as %s (rewrite_from)", orig, v);
	free(v);
	free(name);
	free(orig);
}

/* Bare names in To and Cc get default_domain; the envelope is not
 * changed here (see resolve_local). */
static void qualify_headers(const struct job *j, struct message *m)
{
	static const char *const fields[] = { "To", "Cc" };

	if (!j->acct->default_domain)
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *fv = message_get(m, fields[i]);
		char *v;

		if (fv && addr_qualify_list(fv, j->acct->default_domain, &v)) {
			message_replace(m, fields[i], v);
			free(v);
		}
	}
}

/* Fields that describe a kept copy or a delivery, never a submission. */
static const char *const kept_fields[] = {
	"Return-Path", "X-Postern-Envelope-To", "X-Postern-Not-Sent", "X-Postern-Incomplete",
};

/* Runs once the header section is read, before it is spooled: collect -t
 * recipients, choose the account and sender, then edit the headers. */
static int on_headers(void *ctx, struct message *m, struct error *e)
{
	struct job *j = ctx;
	const struct submit_request *rq = j->rq;
	char *hdr_from = first_address(message_get(m, "From"));
	char *arg_from = NULL, *v;
	int rc = -1;

	/* Trace fields of a kept copy (deadletter.h) and of a delivery: a
	 * submission carries none (RFC 5321 4.4), and a message that brings
	 * its own X-Postern-Envelope-To must not choose who gets it when a
	 * kept copy is sent again.  First, so that no copy ever keeps them. */
	for (size_t i = 0; i < sizeof(kept_fields) / sizeof(kept_fields[0]); i++)
		message_remove(m, kept_fields[i]);
	if (rq->read_recipients && message_recipients(m, &j->hdr_rcpts, e))
		goto out;
	if (rq->from && addr_parse_mailbox(rq->from, &arg_from, e)) {
		error_prefix(e, "-f %s", rq->from);
		e->cls = ERR_USAGE;
		goto out;
	}
	if (!j->cfg_ok)
		goto out;	/* keep the message as it came; main reports */
	j->acct = config_select(&j->cfg, rq->account, arg_from, hdr_from, e);
	if (!j->acct)
		goto out;
	j->sender = decide_sender(j, arg_from, hdr_from, e);
	if (!j->sender)
		goto out;
	rewrite_from(j, m, hdr_from);
	qualify_headers(j, m);

	message_remove(m, "Bcc");
	message_remove(m, "Resent-Bcc");
	if (!message_get(m, "From") && *j->sender) {
		v = from_value(rq->fullname, j->sender);
		message_add(m, "From", v);
		free(v);
	}
	if (!message_get(m, "Date")) {
		v = message_date_now();
		message_add(m, "Date", v);
		free(v);
	}
	if (!message_get(m, "Message-ID")) {
		char *dom = domain_of(j->sender);
		v = message_id_new(dom);
		message_add(m, "Message-ID", v);
		free(v);
		free(dom);
	}
	j->utf8_headers = header_has_8bit(m);
	rc = 0;
out:
	free(hdr_from);
	free(arg_from);
	return rc;
}

/* A bare local name (root, www-data) as the addresses it stands for:
 * through the aliases file (aliases = FILE, else /etc/aliases when it can
 * be read), then default_domain for a name left bare.  Refused before
 * anything is sent when it stays bare: no provider delivers to "root". */
static int resolve_local(struct job *j, const char *name, struct strvec *out, struct error *e)
{
	const struct account *a = j->acct;
	const char *path = a->aliases ? a->aliases : SYSTEM_ALIASES;
	struct strvec got = STRVEC_INIT;
	int rc = -1, r = 0;

	if (strcmp(path, "none") && !j->aliases_read &&
	    (a->aliases || access(SYSTEM_ALIASES, R_OK) == 0)) {
		struct buf warn = BUF_INIT;

		j->aliases_read = 1;
		r = aliases_load(&j->aliases, path, &warn, e);
		for (char *l = warn.data, *nl; *l; l = nl + 1) {
			nl = strchr(l, '\n');
			*nl = '\0';
			log_err("warning: %s", l);
		}
		buf_release(&warn);
		if (r)
			goto out;
	}
	if ((r = aliases_expand(&j->aliases, name, &got, e)) < 0)
		goto out;
	if (r == 0)
		strvec_push(&got, name);
	for (size_t i = 0; i < got.n; i++) {
		if (strchr(got.v[i], '@')) {
			strvec_push(out, got.v[i]);
		} else if (a->default_domain) {
			strvec_push_take(out, xasprintf("%s@%s", got.v[i], a->default_domain));
		} else {
			error_set(e, ERR_CONFIG,
				  "recipient %s is a local name with no domain%s%s, and [%s] has no "
				  "default_domain: add \"%s: you@example.org\" to %s, or "
				  "default_domain = example.org to [%s] in %s", got.v[i],
				  strcmp(got.v[i], name) ? " (an alias of " : "",
				  strcmp(got.v[i], name) ? name : "", a->name, got.v[i],
				  a->aliases && strcmp(a->aliases, "none") ? a->aliases :
				  "the aliases file (aliases = FILE)", a->name, j->cfg.path);
			goto out;
		}
	}
	if (r == 1)
		log_info("%s: an alias for %zu address(es)", name, got.n);
	rc = 0;
out:
	strvec_release(&got);
	return rc;
}

/* Recipients from the command line (each word may be a list) and from -t,
 * bare local names resolved, without duplicates, each checked before it
 * can reach RCPT TO. */
static int collect_recipients(struct job *j, struct strvec *out, struct error *e)
{
	struct strvec all = STRVEC_INIT;
	int rc = -1;

	for (size_t i = 0; j->rq->rcpts && i < j->rq->rcpts->n; i++)
		if (addr_parse_list(j->rq->rcpts->v[i], &all, e)) {
			e->cls = ERR_USAGE;
			error_prefix(e, "recipient %s", j->rq->rcpts->v[i]);
			goto out;
		}
	for (size_t i = 0; i < j->hdr_rcpts.n; i++)
		strvec_push(&all, j->hdr_rcpts.v[i]);
	for (size_t i = 0, n = all.n; i < n; i++) {
		if (strchr(all.v[i], '@'))
			continue;
		/* a name from the command line is refused as it is ("-oQ...")
		 * before any file is asked about it */
		if (addr_check_envelope(all.v[i], "recipient", e) || resolve_local(j, all.v[i], &all, e))
			goto out;
		free(all.v[i]);
		all.v[i] = NULL;
	}
	for (size_t i = 0; i < all.n; i++) {
		if (!all.v[i])
			continue;	/* a local name, resolved */
		if (addr_check_envelope(all.v[i], "recipient", e))
			goto out;
		if (strvec_find_icase(out, all.v[i]) < 0)
			strvec_push(out, all.v[i]);
	}
	if (!out->n) {
		error_set(e, ERR_USAGE, j->rq->read_recipients
			  ? "no recipients: the message has no To, Cc or Bcc and none were given as arguments"
			  : "no recipients: give them as arguments, or use -t to read them from the message");
		goto out;
	}
	rc = 0;
out:
	strvec_release(&all);
	return rc;
}


/* The recipients as far as they are known when collect_recipients() did
 * not get to finish: each command-line word parsed as a list where it
 * parses, and -t's.  deadletter.c writes only the valid ones. */
static void known_recipients(const struct job *j, struct strvec *out)
{
	for (size_t i = 0; j->rq->rcpts && i < j->rq->rcpts->n; i++)
		if (addr_parse_list(j->rq->rcpts->v[i], out, NULL))
			strvec_push(out, j->rq->rcpts->v[i]);
	for (size_t i = 0; i < j->hdr_rcpts.n; i++)
		strvec_push(out, j->hdr_rcpts.v[i]);
}

/* The message could not be sent (or not to everyone): keep it, with its
 * envelope, where the person will find it, and say where.  rcpts: the
 * envelope recipients, or NULL when they were not all collected;
 * incomplete: NULL, or why only part of the message is there. */
static void keep_message(const struct job *j, struct spool *sp, const struct strvec *rcpts,
			 const struct error *why, const char *incomplete, int delivered)
{
	struct strvec known = STRVEC_INIT;
	struct buf note = BUF_INIT;
	struct kept k = {
		.sender = j->sender ? j->sender : j->rq->from,
		.rcpts = rcpts,
		.reason = why->msg,
		.incomplete = incomplete,
	};
	struct error e;
	char *where = NULL;

	if (!rcpts) {
		known_recipients(j, &known);
		k.rcpts = &known;
	}
	error_clear(&e);
	if (deadletter_keep(sp, &k, &where, &note, &e) == 0) {
		if (note.len)
			log_err("not using ~/dead.letter: %s", note.data);
		if (incomplete)
			log_err("an INCOMPLETE copy (%s) is kept in %s", incomplete, where);
		else
			log_err(delivered ? "a copy of the message is kept in %s"
				: "the message was not sent; it is kept in %s", where);
		goto out;
	}
	log_err("could not keep the message in a dead.letter: %s", e.msg);
	if (sp->path && j->spool_in_queue) {
		/* An uncommitted file in the queue is debris that queue_sweep
		 * removes: it must not be named as the kept copy.
		 * spool_release removes it now. */
		log_err("the message was not sent, and it could not be kept: send it again");
		goto out;
	}
	if (sp->path) {
		log_err("the message was not sent; %sit is kept in %s (without its envelope: sender "
			"%s, %zu recipient(s) starting with %s)", incomplete ? "an incomplete copy of " : "",
			sp->path, k.sender ? k.sender : "unknown", k.rcpts->n,
			k.rcpts->n ? k.rcpts->v[0] : "none");
		free(sp->path);
		sp->path = NULL;	/* spool_release must not unlink it */
	}
out:
	free(where);
	buf_release(&note);
	strvec_release(&known);
}

/* Whether any account may queue: then the message is read straight into
 * the queue (the account is only known once its header is read). */
static int may_queue(const struct job *j)
{
	if (!j->cfg_ok)
		return 0;
	if (j->rq->delivery != SUBMIT_CONFIG)
		return 1;
	for (size_t i = 0; i < j->cfg.n; i++)
		if (j->cfg.acc[i].queue != ACCOUNT_QUEUE_NEVER)
			return 1;
	return 0;
}

/* The message's queue mode, from the command line and the account. */
static enum account_queue mode_of(const struct job *j)
{
	switch (j->rq->delivery) {
	case SUBMIT_BACKGROUND:
		return ACCOUNT_QUEUE_ALWAYS;
	case SUBMIT_QUEUE_ONLY:
		return ACCOUNT_QUEUE_ALWAYS;
	case SUBMIT_CONFIG:
		break;
	}
	return j->acct->queue;
}

/* "queued as ID, next attempt at T" into e (class ERR_NONE): what the
 * caller and -bs say about a message that is safe in the queue. */
static void say_queued(struct error *e, const struct qenv *env, const char *why)
{
	char when[64] = "";
	struct tm tm;

	if (env->next_attempt > time(NULL)) {
		localtime_r(&env->next_attempt, &tm);
		strftime(when, sizeof(when), ", next attempt at %Y-%m-%d %H:%M:%S", &tm);
	}
	error_clear(e);
	snprintf(e->msg, sizeof(e->msg), "queued as %s%s%s%s", env->id, when, why ? ": " : "",
		 why ? why : "");
}

int submit_message(const struct submit_request *rq, int fd, struct error *err, int *delivered)
{
	struct job j;
	struct spool sp;
	struct message m;
	struct input_opts io = { .dot_ends = rq->dot_ends };
	struct envelope env;
	struct session_report rep;
	struct secret pw;
	struct error e, cfg_err, qerr, token_err;
	struct queue q;
	struct qenv qe;
	struct session *ss = NULL;
	const char *tmp = getenv("TMPDIR");
	char *cfg_path = NULL, *helo = NULL, *qdir = NULL;
	char id[QUEUE_ID_SIZE] = "";
	int rc, status = EX_SOFTWARE, queued = 0, have_queue = 0, outcome, newly_failed = 0;
	int token_failed = 0;
	enum account_queue mode = ACCOUNT_QUEUE_NEVER;

	memset(&j, 0, sizeof(j));
	memset(&q, 0, sizeof(q));
	j.rq = rq;
	config_init(&j.cfg);
	strvec_init(&j.hdr_rcpts);
	aliases_init(&j.aliases);
	message_init(&m);
	memset(&env, 0, sizeof(env));
	strvec_init(&env.rcpts);
	session_report_init(&rep);
	secret_init(&pw);
	qenv_init(&qe);
	error_clear(&e);
	error_clear(&cfg_err);
	error_clear(&token_err);
	error_clear(&qerr);

	/* A broken configuration must not lose the message: read it anyway and
	 * keep it, then report the configuration error. */
	cfg_path = config_find(rq->config, &cfg_err);
	if (cfg_path && config_load(&j.cfg, cfg_path, &cfg_err) == 0)
		j.cfg_ok = 1;

	/* Into the queue from the first byte when this message may be
	 * queued; a queue that cannot be used is said loudly, and the
	 * message is sent without one. */
	if (may_queue(&j)) {
		qdir = j.cfg.queue_dir ? xstrdup(j.cfg.queue_dir) : queue_default_dir();
		if (!qdir)
			error_set(&qerr, ERR_OS, "no home directory for the queue; set queue_dir");
		else if (queue_open(&q, qdir, &qerr) == 0)
			have_queue = 1;
		if (!have_queue)
			log_err("cannot use the queue (%s); sending without it", qerr.msg);
	}
	if (have_queue ? queue_new(&q, &sp, id, &e) :
	    spool_create(&sp, tmp && *tmp == '/' ? tmp : "/tmp", &e)) {
		log_err("%s; the message was not read", e.msg);
		status = error_exit_code(e.cls);
		goto out;
	}
	j.spool_in_queue = have_queue;
	rc = input_read(fd, &io, &m, on_headers, &j, &sp, &e);
	if (rc && (e.cls == ERR_IO || e.cls == ERR_INTERRUPTED)) {
		/* only part of the message is in the spool: say so, keep
		 * that part, never send it (nor queue it) */
		log_err("%s; the message was NOT sent", e.msg);
		status = error_exit_code(e.cls);
		keep_message(&j, &sp, NULL, &e, e.cls == ERR_IO ?
			     "writing or reading it failed part of the way (a full disk?)" :
			     "the input was interrupted part of the way", 0);
		goto out;
	}
	if (!j.cfg_ok) {
		e = cfg_err;
		rc = -1;
	}
	if (rc == 0 && sp.has_nul) {
		rc = error_set(&e, ERR_DATA,
			       "the message contains NUL bytes, which SMTP cannot carry; "
			       "send binary data as a MIME attachment (base64)");
	}
	if (rc == 0 && collect_recipients(&j, &env.rcpts, &e))
		rc = -1;
	if (rc == 0 && addr_check_envelope(j.sender, "envelope sender", &e))
		rc = -1;
	if (rc == 0)
		mode = have_queue ? mode_of(&j) : ACCOUNT_QUEUE_NEVER;
	/* the password now, unless a process in the background sends it */
	if (rc == 0 && mode != ACCOUNT_QUEUE_ALWAYS && sasl_mode_needs_password(j.acct->auth)) {
		struct credential_opts so = { .allow_prompt = rq->allow_prompt };
		if (credential_lookup(j.acct, &so, &pw, &e)) {
			/* An identity provider that is down is a temporary
			 * failure like a server that is: queued, exit 75. */
			if (j.acct->oauth2 && e.cls == ERR_TEMP && mode == ACCOUNT_QUEUE_AUTO)
				token_err = e, token_failed = 1;
			else
				rc = -1;
		} else {
			log_info("password from %s", pw.desc);
		}
	}
	env.size = sp.bytes + sp.lines;
	if (rc) {
		log_err("%s", e.msg);
		status = error_exit_code(e.cls);
		mail_log(&j, &env, NULL, MAILLOG_FAILED, e.msg, NULL);
		keep_message(&j, &sp, env.rcpts.n ? &env.rcpts : NULL, &e, NULL, 0);
		goto out;
	}
	if (sp.broken_lines)
		log_info("%llu line(s) longer than 998 octets were broken, as SMTP requires",
			 (unsigned long long)sp.broken_lines);

	env.from = j.sender;
	env.eightbit = sp.eightbit;
	env.utf8_headers = j.utf8_headers;
	env.dsn_notify = rq->dsn_notify;
	env.dsn_ret = rq->dsn_ret;
	env.dsn_envid = rq->dsn_envid;

	if (mode != ACCOUNT_QUEUE_NEVER) {
		char *abs = realpath(cfg_path, NULL);

		/* In the queue before the first byte goes to the server: from
		 * here a SIGKILL leaves it sent or queued, never lost. */
		memcpy(qe.id, id, sizeof(qe.id));
		qenv_set(&qe.account, j.acct->name);
		qenv_set(&qe.config, abs ? abs : cfg_path);
		free(abs);
		qenv_set(&qe.sender, j.sender);
		for (size_t i = 0; i < env.rcpts.n; i++)
			qenv_add_rcpt(&qe, env.rcpts.v[i]);
		qe.created = time(NULL);
		qe.next_attempt = 0;
		qenv_set(&qe.notify, rq->dsn_notify);
		qenv_set(&qe.ret, rq->dsn_ret);
		qenv_set(&qe.envid, rq->dsn_envid);
		if (queue_commit(&q, &sp, &qe, &e)) {
			log_err("cannot queue the message: %s", e.msg);
			status = error_exit_code(e.cls == ERR_IO ? ERR_IO : e.cls);
			mail_log(&j, &env, NULL, MAILLOG_FAILED, e.msg, NULL);
			keep_message(&j, &sp, &env.rcpts, &e, NULL, 0);
			goto out;
		}
		queued = 1;
		if (mode == ACCOUNT_QUEUE_ALWAYS) {
			say_queued(&e, &qe, rq->delivery == SUBMIT_QUEUE_ONLY ?
				   "sent by the next queue run" : "sending in the background");
			log_info("%s", e.msg);
			if (rq->delivery != SUBMIT_QUEUE_ONLY) {
				/* let go of it first: a retrier that runs now
				 * must find it free (see do_until_empty) */
				spool_release(&sp);
				qrun_background(qe.config);
			}
			status = EX_OK;
			goto out;
		}
	}

	helo = session_ehlo_name(j.acct);
	if (!queued) {
		/* queue = never: the one attempt is all there is */
		rc = session_send(j.acct, pw.value, helo, &env, &sp, &rep, &e);
		secret_release(&pw);
		if (rc == 0) {
			log_info("delivered to %zu recipient(s) via %s port %u", env.rcpts.n,
				 j.acct->host, j.acct->port);
			mail_log(&j, &env, NULL, MAILLOG_SENT, rep.reply, &rep);
			status = EX_OK;
			goto out;
		}
		log_err("%s", e.msg);
		mail_log(&j, &env, NULL, MAILLOG_FAILED, e.msg, &rep);
		status = error_exit_code(e.cls);
		keep_message(&j, &sp, &env.rcpts, &e, NULL, rep.delivered);
		goto out;
	}

	/* queue = auto: the first attempt, recorded in the queue like any */
	if (token_failed)
		rc = -1, e = token_err;
	else
		rc = session_open(&ss, j.acct, pw.value, helo, &e);
	secret_release(&pw);
	if (rc == 0)
		rc = session_deliver(ss, &env, &sp, &rep, &e);
	if (rc && e.cls == ERR_INTERRUPTED) {
		/* not an attempt: it stays queued and due */
		log_err("%s; the message stays queued as %s", e.msg, id);
		status = error_exit_code(e.cls);
		goto out;
	}
	outcome = qrun_record(&q, &qe, rc, &e, ss ? QRUN_STAGE_MESSAGE : QRUN_STAGE_SESSION,
			      ss ? &rep : NULL, j.acct->queue_lifetime, &newly_failed, &qerr);
	if (outcome < 0) {
		/* the queue could not record it: it is still queued as it was */
		log_err("%s; %s", rc ? e.msg : "sent", qerr.msg);
		mail_log(&j, &env, id, rc ? MAILLOG_DEFERRED : MAILLOG_SENT, rc ? e.msg : rep.reply,
			 &rep);
		status = rc ? EX_TEMPFAIL : EX_IOERR;
		goto out;
	}
	switch (outcome) {
	case QRUN_SENT:
		log_info("delivered to %zu recipient(s) via %s port %u", env.rcpts.n,
			 j.acct->host, j.acct->port);
		mail_log(&j, &env, id, MAILLOG_SENT, rep.reply, &rep);
		status = EX_OK;
		/* the account's due messages go along on this connection */
		if (session_usable(ss)) {
			struct qrun_opts o = { .ss = ss, .acct = j.acct, .config = qe.config };
			struct qrun_stats st;
			struct error re;

			error_clear(&re);
			if (qrun(&q, &o, &st, &re) == 0 && st.sent)
				log_info("and %u queued message(s) along with it", st.sent);
		}
		break;
	case QRUN_RETRY:
	case QRUN_HELD: {
		char held[128];

		/* one line: queued, until when, why (-bs gets the first part) */
		snprintf(held, sizeof(held), "HELD until you fix the cause (then: postern queue retry %s)",
			 id);
		say_queued(&qerr, &qe, outcome == QRUN_HELD ? held : NULL);
		log_err("%s: %s", qerr.msg, e.msg);
		mail_log(&j, &env, id, outcome == QRUN_HELD ? MAILLOG_HELD : MAILLOG_DEFERRED,
			 *qe.last_error ? qe.last_error : e.msg, &rep);
		status = newly_failed ? EX_NOUSER : EX_TEMPFAIL;
		spool_release(&sp);	/* unlocked, for the retrier */
		if (j.cfg.background_retry)
			qrun_background(qe.config);
		e.cls = newly_failed ? ERR_NOUSER : ERR_NONE;
		if (!newly_failed)
			e = qerr;
		break;
	}
	case QRUN_FAILED:
		log_err("%s", e.msg);
		mail_log(&j, &env, id, MAILLOG_FAILED, *qe.last_error ? qe.last_error : e.msg, &rep);
		log_err("the message was not sent; it is kept in the failed messages as %s "
			"(postern queue show %s)", id, id);
		status = error_exit_code(e.cls);
		break;
	}
out:
	if (err && (status != EX_OK || queued))
		*err = e;
	if (status != EX_OK && delivered)
		*delivered = rep.delivered;
	session_close(ss);
	free(helo);
	secret_release(&pw);
	session_report_release(&rep);
	strvec_release(&env.rcpts);
	message_release(&m);
	spool_release(&sp);
	if (have_queue)
		queue_close(&q);
	qenv_release(&qe);
	free(qdir);
	free(cfg_path);
	strvec_release(&j.hdr_rcpts);
	aliases_release(&j.aliases);
	free(j.sender);
	config_release(&j.cfg);
	return status;
}
