#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "autoport.h"
#include "conn.h"
#include "dotstuff.h"
#include "log.h"
#include "oauth2.h"
#include "proxy.h"
#include "smtp.h"
#include "tls.h"

#define BODY_CHUNK (64 * 1024)
/* RFC 5321 4.5.3.2.6: wait at least 10 minutes for the reply to the final dot. */
#define FINAL_DOT_WAIT_MS (600LL * 1000)
/* However a server behaves, a step ends within this long, plus one second
 * per SESSION_MIN_RATE octets of message: a server that trickles one byte
 * a second stays inside every per-reply deadline, not this one.  A step is
 * the whole connection of session_send(), or the opening or one message
 * of a session that carries several (see session.h). */
#define SESSION_BASE_MS (20LL * 60 * 1000)
#define SESSION_MIN_RATE (8 * 1024)
/* port = auto: the next port starts when the one before has not connected
 * within this long (happy eyeballs, RFC 8305's 250 ms); each attempt ends
 * after at most AUTO_CONNECT_MS (or the account's timeout if shorter). */
#define AUTO_STAGGER_MS 250
#define AUTO_CONNECT_MS 5000

void session_report_init(struct session_report *r)
{
	r->delivered = 0;
	strvec_init(&r->refused);
	r->rcpt = NULL;
	r->nrcpts = 0;
	r->reply = NULL;
	r->dsn_ignored = 0;
}

void session_report_release(struct session_report *r)
{
	strvec_release(&r->refused);
	for (size_t i = 0; i < r->nrcpts; i++)
		free(r->rcpt[i].reply);
	free(r->rcpt);
	free(r->reply);
	r->rcpt = NULL;
	r->nrcpts = 0;
	r->reply = NULL;
	r->dsn_ignored = 0;
}

/* The clocks of one connection: `timeout` for each reply (and for each
 * write), never past the ceiling of the step under way (the whole
 * connection of session_send; the opening or one message of a session
 * that carries several). */
struct clock {
	long long timeout_ms;	/* the account's timeout */
	long long ceiling;	/* now_ms() deadline of the step */
	long long ceiling_ms;	/* its length, for messages */
	const char *span;	/* what the ceiling bounds, for messages */
};

static void clock_start(struct clock *k, unsigned timeout_s, uint64_t message_size,
			const char *span)
{
	long long base = 3LL * timeout_s * 1000;

	k->timeout_ms = (long long)timeout_s * 1000;
	if (base < SESSION_BASE_MS)
		base = SESSION_BASE_MS;
	k->ceiling_ms = base + (long long)(message_size / SESSION_MIN_RATE) * 1000;
	k->ceiling = now_ms() + k->ceiling_ms;
	k->span = span;
}

/* A deadline wait_ms from now, cut at the ceiling. */
static long long clock_deadline(const struct clock *k, long long wait_ms)
{
	long long d = now_ms() + wait_ms;

	return d < k->ceiling ? d : k->ceiling;
}

/* A read or write timed out: say which limit it was. */
static void clock_explain(const struct clock *k, const struct conn *c, const char *what,
			  long long wait_ms, struct error *e)
{
	if (now_ms() >= k->ceiling)
		error_set(e, ERR_TEMP, "%s port %u: gave up after %lld minutes, the longest "
			  "postern lets %s: the server is far too slow (it sends or takes data a "
			  "trickle at a time)", c->host, c->port, k->ceiling_ms / 60000, k->span);
	else
		error_set(e, ERR_TEMP, "%s port %u %s: timed out after %lld s; the server stopped "
			  "answering or is far too slow", c->host, c->port, what, wait_ms / 1000);
}

/* Where send_body is: what it must send and what it has. */
struct body_out {
	struct buf out;		/* bytes to write: head, then body */
	size_t head_left;	/* of out, the command flight not yet written */
	int raw;		/* BDAT: exactly wire_size body octets */
	uint64_t wire_size;
	uint64_t body;		/* body octets written */
	const struct clock *clock;
};

/* Write what is buffered: each write done within `timeout` (RFC 5321's
 * data block timeout, as a whole, however slowly the server reads).  Under
 * BDAT the server counts octets: one more or one fewer than announced and
 * it reads our next command as message data (or the message as commands),
 * so a miscount is refused before it reaches the wire. */
static int body_flush(struct conn *c, struct body_out *b, struct error *e)
{
	uint64_t add = b->out.len - b->head_left;

	if (b->raw && b->body + add > b->wire_size)
		return error_set(e, ERR_INTERNAL, "the message came out longer than the %"
				 PRIu64 " octets announced in BDAT (a bug); not sent", b->wire_size);
	if (conn_write(c, b->out.data, b->out.len, clock_deadline(b->clock, b->clock->timeout_ms), e))
		return -1;
	b->body += add;
	b->head_left = 0;
	buf_reset(&b->out);
	return 0;
}

/* Stream the spool file to the server, flushing every ~64 KiB.  DOT mode:
 * dot-stuffed, the terminator riding in the last write.  RAW mode (after
 * BDAT n LAST): line ends only, exactly wire_size octets.  head (the BDAT
 * command flight held back by the caller; may be empty) goes out in front,
 * in the same write, so a small message costs one write in all. */
static int send_body(struct conn *c, struct spool *sp, enum smtp_body_mode mode,
		     uint64_t wire_size, const struct buf *head, const struct clock *k,
		     struct error *e)
{
	struct body_out b = { .out = BUF_INIT, .raw = mode == SMTP_BODY_RAW,
			      .wire_size = wire_size, .clock = k };
	struct dotstuff ds;
	char chunk[BODY_CHUNK];
	ssize_t n;
	int rc = -1;

	if (spool_rewind(sp, e))
		goto out;
	if (b.raw)
		dotstuff_init_raw(&ds);
	else
		dotstuff_init(&ds);
	buf_add(&b.out, head->data, head->len);
	b.head_left = head->len;
	while ((n = spool_read(sp, chunk, sizeof(chunk), e)) != 0) {
		if (n < 0)
			goto out;
		dotstuff_feed(&ds, chunk, (size_t)n, &b.out);
		if (b.out.len >= BODY_CHUNK && body_flush(c, &b, e))
			goto out;
	}
	dotstuff_finish(&ds, &b.out);
	if (body_flush(c, &b, e))
		goto out;
	if (b.raw && b.body != wire_size) {
		/* the server still waits for the rest: only closing helps */
		error_set(e, ERR_INTERNAL, "the message came out as %" PRIu64 " octets, not the %"
			  PRIu64 " announced in BDAT (a bug); not sent", b.body, wire_size);
		goto out;
	}
	rc = 0;
out:
	buf_release(&b.out);
	return rc;
}

/* One connection: the engine, what it runs on, and its clock. */
struct session {
	const struct account *a;	/* borrowed */
	struct conn c;
	struct tls_ctx tls;
	int have_tls;
	struct session_dial dial;
	int trusted;			/* the engine got past greeting and TLS */
	struct smtp *s;
	struct clock k;
	struct session_probe *probe;	/* NULL unless session_check() */
	long long mark;			/* now_ms() when the probe's step began */
};

void session_probe_init(struct session_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->connect_ms = p->tls_ms = p->ehlo_ms = p->auth_ms = -1;
}

void session_probe_release(struct session_probe *p)
{
	X509_free(p->cert);
	session_probe_init(p);
}

/* The step under way when the session ended took until now: a refused
 * handshake or login has its time too. */
static void probe_finish(struct session *ss)
{
	struct session_probe *p = ss->probe;
	long long t = now_ms() - ss->mark;

	if (p->connect_ms < 0)
		return;
	if (ss->a->tls != ACCOUNT_TLS_OFF && !p->tls_up) {
		if (p->tls_ms < 0)
			p->tls_ms = t;
	} else if (p->ehlo_ms < 0) {
		p->ehlo_ms = t;
	} else if (p->auth_ms < 0 && ss->a->auth != AUTH_OFF) {
		p->auth_ms = t;
	}
}

/* The probe's view of the engine's progress: a step ends when the engine
 * leaves the state that waits for its reply. */
static void probe_note(struct session *ss)
{
	struct session_probe *p = ss->probe;
	enum smtp_state st = smtp_get_state(ss->s);
	int after_tls = ss->a->tls == ACCOUNT_TLS_OFF || p->tls_up;

	if (st != SMTP_ST_GREETING)
		p->greeted = 1;
	if (after_tls && p->ehlo_ms < 0 && st != SMTP_ST_GREETING && st != SMTP_ST_EHLO &&
	    st != SMTP_ST_HELO && st != SMTP_ST_STARTTLS && st != SMTP_ST_TLS &&
	    st != SMTP_ST_CLOSED) {
		p->ehlo_ms = now_ms() - ss->mark;
		p->caps = *smtp_get_caps(ss->s);
		p->have_caps = 1;
		ss->mark = now_ms();
	}
	if (p->ehlo_ms >= 0 && p->auth_ms < 0 && st != SMTP_ST_AUTH && ss->a->auth != AUTH_OFF &&
	    st != SMTP_ST_CLOSED)
		p->auth_ms = now_ms() - ss->mark;
}

/* Drive the engine over the connection until it closes, has written QUIT,
 * or waits for the next message.  Every awaited reply has one deadline
 * however it trickles in (`timeout`, ten minutes for the final dot), every
 * write too, and the step under way the clock's ceiling.  sp is the
 * message of the transaction under way (NULL when there is none). */
static void run_engine(struct session *ss, struct spool *sp)
{
	struct smtp *s = ss->s;
	struct conn *c = &ss->c;
	const struct account *a = ss->a;
	const struct clock *k = &ss->k;
	char in[16384];
	int body_sent = 0;
	struct buf head = BUF_INIT;	/* the BDAT flight, held for the body */
	long long reply_deadline = 0, reply_wait = 0;
	unsigned long replies = 0;
	struct error e;

	error_clear(&e);
	for (;;) {
		const char *out;
		size_t len;
		ssize_t n;
		enum smtp_want want = smtp_next(s);
		enum smtp_state st = smtp_get_state(s);

		if (st == SMTP_ST_AUTH || st == SMTP_ST_TRANSACTION || st == SMTP_ST_READY)
			ss->trusted = 1;

		if (ss->probe)
			probe_note(ss);
		switch (want) {
		case SMTP_WANT_WRITE:
			out = smtp_output(s, &len);
			if (smtp_body_follows(s)) {
				/* MAIL, RCPT..., BDAT: no reply is read before the
				 * body, so send them with its first bytes */
				buf_add(&head, out, len);
				smtp_output_done(s);
				break;
			}
			if (conn_write(c, out, len, clock_deadline(k, k->timeout_ms), &e)) {
				if (c->timed_out)
					clock_explain(k, c, "did not take our command", k->timeout_ms, &e);
				smtp_abort(s, &e);
				break;
			}
			smtp_output_done(s);
			reply_deadline = 0;	/* the replies to it start now */
			if (smtp_quit_sent(s))
				goto out;
			break;
		case SMTP_WANT_READ:
			if (!reply_deadline || smtp_reply_count(s) != replies) {
				replies = smtp_reply_count(s);
				reply_wait = body_sent && k->timeout_ms < FINAL_DOT_WAIT_MS ?
					     FINAL_DOT_WAIT_MS : k->timeout_ms;
				reply_deadline = clock_deadline(k, reply_wait);
			}
			conn_quickack(c);
			n = conn_read(c, in, sizeof(in), reply_deadline, &e);
			if (n < 0) {
				if (c->timed_out) {
					clock_explain(k, c, smtp_awaiting_greeting(s) ?
						      "sent no greeting" : "sent no complete reply",
						      reply_wait, &e);
					/* A silent server on a STARTTLS account is usually an
					 * implicit-TLS port waiting for our TLS hello. */
					if (ss->dial.tls != ACCOUNT_TLS_IMPLICIT && smtp_awaiting_greeting(s))
						snprintf(e.msg + strlen(e.msg), sizeof(e.msg) - strlen(e.msg),
							 "; if this port expects TLS at once (like 465), set "
							 "tls = implicit");
				}
				smtp_abort(s, &e);
			} else if (n == 0) {
				error_set(&e, ERR_TEMP, "%s port %u closed the connection unexpectedly (during %s)",
					  c->host, c->port, smtp_state_name(smtp_get_state(s)));
				smtp_abort(s, &e);
			} else {
				smtp_input(s, in, (size_t)n);
			}
			break;
		case SMTP_WANT_TLS: {
			long long left = clock_deadline(k, k->timeout_ms) - now_ms();

			if (tls_start(&ss->tls, c, a->host, left > 0 ? (unsigned)left : 0, &e)) {
				smtp_abort(s, &e);
			} else {
				smtp_tls_done(s);
				if (ss->probe) {
					ss->probe->tls_up = 1;
					ss->probe->tls_ms = now_ms() - ss->mark;
					ss->mark = now_ms();
				}
			}
			reply_deadline = 0;
			break;
		}
		case SMTP_WANT_BODY:
			if (send_body(c, sp, smtp_body_mode(s), smtp_wire_size(s), &head, k, &e)) {
				if (c->timed_out)
					clock_explain(k, c, "did not take the message", k->timeout_ms, &e);
				smtp_abort(s, &e);
				break;
			}
			buf_reset(&head);
			body_sent = 1;
			reply_deadline = 0;
			smtp_body_done(s);
			break;
		case SMTP_WANT_NEXT:
		case SMTP_WANT_CLOSE:
			goto out;
		}
	}
out:
	buf_release(&head);
}

char *session_ehlo_name(const struct account *a)
{
	/* Servers may check the EHLO name; a bare host name or one with odd
	 * characters is worse than the conventional "localhost". */
	return a->ehlo_name ? xstrdup(a->ehlo_name) : host_name(1);
}

/* ---------------------------------------------------------------- dial */

void session_dial_init(struct session_dial *d, const struct account *a)
{
	memset(d, 0, sizeof(*d));
	d->a = a;
	conn_race_init(&d->race);
	error_clear(&d->first);
}

void session_dial_release(struct session_dial *d)
{
	conn_race_release(&d->race);
	error_clear(&d->first);
}

void session_dial_failed(struct session_dial *d, const struct error *e)
{
	if (d->first.cls == ERR_NONE && e)
		d->first = *e;
	log_info("%s port %u did not work: %s", d->a->host, d->port, e ? e->msg : "?");
}

void session_dial_worked(struct session_dial *d)
{
	struct error e;

	if (!d->a->port_auto)
		return;
	/* lanes still connecting, or connected and not taken, are not needed */
	conn_race_release(&d->race);
	if (d->port == d->remembered)
		return;
	if (autoport_save(d->a, d->port, &e))
		log_info("could not remember port %u for next time: %s", d->port, e.msg);
	else
		d->remembered = d->port;
}

/* A fixed port, once: directly or through the proxy. */
static int dial_fixed(struct session_dial *d, struct tls_ctx *tls, struct conn *c,
		      struct error *e)
{
	const struct account *a = d->a;
	struct proxy px;
	static int warned_25;

	if (d->started)
		return error_set(e, ERR_INTERNAL, "no other port to try (a bug)");
	d->started = 1;
	d->port = a->port;
	d->tls = a->tls;
	/* Once per process, not per message of a queue run. */
	if (a->port == 25 && a->auth != AUTH_OFF && !warned_25) {
		warned_25 = 1;
		log_err("warning: account [%s] uses port 25 with a password: port 25 is the relay "
			"port between mail servers, often blocked for clients; port 587 (STARTTLS) or "
			"465 (implicit TLS) is meant for sending", a->name);
	}
	log_info("connecting to %s port %u (%s)", a->host, a->port, config_tls_name(a->tls));
	if (a->proxy) {
		if (proxy_parse(a->proxy, &px, e) ||
		    proxy_connect(c, &px, a->host, a->port, a->timeout, e))
			return -1;
	} else if (conn_connect(c, a->host, a->port, a->timeout, e)) {
		return -1;
	}
	d->connected_at = now_ms();
	if (a->tls == ACCOUNT_TLS_IMPLICIT && tls_start(tls, c, a->host, a->timeout * 1000, e))
		return -1;
	return 0;
}

int session_dial_next(struct session_dial *d, struct tls_ctx *tls, struct conn *c,
		      struct error *e)
{
	const struct account *a = d->a;
	unsigned ports[AUTOPORT_N];
	unsigned connect_ms = a->timeout * 1000 < AUTO_CONNECT_MS ? a->timeout * 1000 : AUTO_CONNECT_MS;

	if (!a->port_auto)
		return dial_fixed(d, tls, c, e);
	if (!d->started) {
		d->started = 1;
		d->remembered = autoport_load(a);
		autoport_order(d->remembered, ports);
		log_info("port = auto: trying %s on ports %u, %u, %u%s", a->host, ports[0], ports[1],
			 ports[2], d->remembered ? " (the first worked last time)" : "");
		if (conn_race_start(&d->race, a->host, ports, AUTOPORT_N, AUTO_STAGGER_MS, connect_ms, e))
			return -1;
	}
	for (;;) {
		if (conn_race_next(&d->race, c, e)) {
			if (e->cls == ERR_INTERRUPTED || d->first.cls == ERR_NONE)
				return -1;
			/* the first failure says most; the others follow it */
			{
				struct error rest = *e;

				*e = d->first;
				snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
					 "; and no other port worked: %s", rest.msg);
			}
			return -1;
		}
		d->port = c->port;
		d->tls = autoport_tls(c->port);
		d->connected_at = now_ms();
		log_info("connected to %s port %u (%s)", c->host, c->port, config_tls_name(d->tls));
		if (d->tls != ACCOUNT_TLS_IMPLICIT || !tls_start(tls, c, a->host, a->timeout * 1000, e))
			return 0;
		if (e->cls == ERR_INTERRUPTED)
			return -1;
		session_dial_failed(d, e);
		conn_close(c);
	}
}

/* Connect (with implicit TLS, the handshake too) and start the engine on
 * the connection; run_engine() does the rest.  first is the first
 * message (NULL: none); keep_open as in smtp_params.  The clock must be
 * started, the dial and the TLS context set up.  On failure the caller
 * still tears ss down. */
static int session_attach(struct session *ss, const char *password, const char *ehlo_name,
			  const struct smtp_message *first, int keep_open, struct error *e)
{
	const struct account *a = ss->a;
	struct smtp_params p;

	conn_init(&ss->c);
	ss->trusted = 0;
	ss->mark = now_ms();
	if (session_dial_next(&ss->dial, &ss->tls, &ss->c, e))
		return -1;
	if (ss->probe) {
		ss->probe->connect_ms = ss->dial.connected_at - ss->mark;
		ss->mark = ss->dial.connected_at;
		if (ss->dial.tls == ACCOUNT_TLS_IMPLICIT) {
			ss->probe->tls_up = 1;
			ss->probe->tls_ms = now_ms() - ss->mark;
			ss->mark = now_ms();
		}
	}

	memset(&p, 0, sizeof(p));
	p.ehlo_name = ehlo_name;
	p.tls = ss->dial.tls == ACCOUNT_TLS_IMPLICIT ? SMTP_TLS_IMPLICIT :
		ss->dial.tls == ACCOUNT_TLS_STARTTLS ? SMTP_TLS_STARTTLS : SMTP_TLS_OFF;
	p.auth = a->auth;
	p.auth_without_tls = a->auth_without_tls;
	p.user = a->user;
	p.password = password;
	p.msg = first;
	p.keep_open = keep_open;
	ss->s = smtp_new(&p, log_trace, NULL);
	return 0;
}

static int session_start(struct session *ss, const struct account *a, const char *password,
			 const char *ehlo_name, const struct smtp_message *first, int keep_open,
			 struct error *e)
{
	ss->a = a;
	conn_init(&ss->c);
	session_dial_init(&ss->dial, a);
	if (a->tls != ACCOUNT_TLS_OFF) {
		struct tls_opts o = {
			.ca_file = a->tls_ca_file, .pin = a->tls_fingerprint,
			.cert_file = a->tls_cert_file, .key_file = a->tls_key_file,
			.min_version = a->tls_min_version, .ciphers = a->tls_ciphers,
		};

		if (tls_ctx_init_opts(&ss->tls, &o, e))
			return -1;
		ss->have_tls = 1;
	}
	return session_attach(ss, password, ehlo_name, first, keep_open, e);
}

static void session_teardown(struct session *ss)
{
	smtp_free(ss->s);
	ss->s = NULL;
	conn_close(&ss->c);
	session_dial_release(&ss->dial);
	if (ss->have_tls)
		tls_ctx_release(&ss->tls);
	ss->have_tls = 0;
}

/* The engine's message for env, whose body is in sp. */
static void envelope_message(const struct envelope *env, const struct spool *sp,
			     struct smtp_message *m)
{
	memset(m, 0, sizeof(*m));
	m->from = env->from;
	m->rcpts = (const char *const *)env->rcpts.v;
	m->nrcpts = env->rcpts.n;
	m->size = env->size;
	/* the spool has LF line ends only, each line ending in one */
	m->wire_size = sp->bytes + sp->lines;
	m->eightbit = env->eightbit;
	m->utf8_headers = env->utf8_headers;
	m->dsn_notify = env->dsn_notify;
	m->dsn_ret = env->dsn_ret;
	m->dsn_envid = env->dsn_envid;
}

/* What the last transaction did for each recipient of env. */
static void report_fill(const struct smtp *s, const struct envelope *env,
			struct session_report *r)
{
	r->delivered = smtp_delivered(s);
	r->reply = smtp_final_reply(s) ? xstrdup(smtp_final_reply(s)) : NULL;
	r->dsn_ignored = smtp_dsn_ignored(s);
	if (r->dsn_ignored)
		log_info("the server does not offer DSN: -N, -R and -V were left out");
	r->nrcpts = env->rcpts.n;
	r->rcpt = xcalloc(r->nrcpts ? r->nrcpts : 1, sizeof(*r->rcpt));
	for (size_t i = 0; i < env->rcpts.n; i++) {
		int code = smtp_rcpt_code(s, i);
		const char *reply = smtp_rcpt_reply(s, i);

		r->rcpt[i].code = code;
		r->rcpt[i].reply = code && reply ? xstrdup(reply) : NULL;
		if (code >= 400)
			strvec_push_take(&r->refused, xasprintf("%s: %s", env->rcpts.v[i],
								reply ? reply : "refused"));
	}
}

/* The engine's verdict on the last step, the server named in the error. */
static int session_result(const struct session *ss, struct error *e)
{
	int rc = smtp_result(ss->s, e);

	if (rc && e && !strstr(e->msg, ss->a->host))
		error_prefix(e, "%s port %u", ss->a->host, ss->c.port);
	return rc;
}

/* Run the engine for the opening (and with session_send, the message);
 * with port = auto, a failure before the server was trusted (greeting,
 * EHLO, STARTTLS, the handshake) moves to the next port of the race.
 * Returns session_result(). */
static int session_run(struct session *ss, const char *password, const char *ehlo_name,
		       const struct smtp_message *first, int keep_open, struct spool *sp,
		       struct error *e)
{
	for (;;) {
		run_engine(ss, sp);
		if (smtp_result(ss->s, e) == 0 || ss->trusted) {
			if (ss->trusted)
				session_dial_worked(&ss->dial);
			break;
		}
		if (!ss->a->port_auto || e->cls == ERR_INTERRUPTED)
			break;
		session_dial_failed(&ss->dial, e);
		smtp_free(ss->s);
		ss->s = NULL;
		conn_close(&ss->c);
		if (session_attach(ss, password, ehlo_name, first, keep_open, e))
			return -1;
	}
	return session_result(ss, e);
}

/* oauth2 = ...: the server refused the access token postern got itself
 * (revoked, or the cache outlived it).  Whether to drop the cached token,
 * refresh once and try again: only for a refusal the server spoke (an
 * AUTH reply), which comes before MAIL FROM, so nothing was sent. */
static int oauth2_retry_wanted(const struct account *a, const struct error *e)
{
	return a->oauth2 && e->cls == ERR_AUTH && e->smtp_code >= 500;
}

/* A fresh token into fresh; on failure e says both what the server said
 * and why refreshing failed (the refresh's class: ERR_TEMP for an identity
 * provider that is down, so the message stays queued). */
static int oauth2_fresh_token(const struct account *a, const char *refused, struct secret *fresh,
			      struct error *e)
{
	struct error re;

	log_info("%s; getting a fresh access token once", e->msg);
	error_clear(&re);
	if (oauth2_access_token_replacing(a, refused ? refused : "", fresh, &re)) {
		error_prefix(&re, "the server refused the access token, and refreshing it failed");
		*e = re;
		return -1;
	}
	return 0;
}

/* The second refusal: the fix is a new authorization (or an admin's). */
static void oauth2_refused_twice(const struct account *a, struct error *e)
{
	char *old = xstrdup(e->msg), *cut = strstr(old, "; check the user and get a fresh access token");

	if (cut)
		*cut = '\0';
	error_set(e, ERR_AUTH, "%s; a freshly refreshed OAuth2 token was refused too: run postern oauth2 "
		  "authorize %s (and check that the provider allows SMTP AUTH for this mailbox)",
		  old, a->name);
	free(old);
}

/* A connection of its own: a whole submission, or (env == NULL) just
 * EHLO, TLS and AUTH, for `postern password check`.  The engine QUITs by
 * itself, so the dialogue is the one-message dialogue exactly. */
static int session_once(const struct account *a, const char *password, const char *ehlo_name,
			const struct envelope *env, struct spool *sp, struct session_report *r,
			struct session_probe *probe, struct error *e)
{
	struct session ss;
	struct smtp_message m;
	int rc = -1;

	memset(&ss, 0, sizeof(ss));
	ss.probe = probe;
	if (r) {
		session_report_release(r);
		session_report_init(r);
	}
	clock_start(&ss.k, a->timeout, env ? env->size : 0,
		    "one connection last for this message");
	if (env)
		envelope_message(env, sp, &m);
	if (session_start(&ss, a, password, ehlo_name, env ? &m : NULL, 0, e))
		goto out;
	rc = session_run(&ss, password, ehlo_name, env ? &m : NULL, 0, sp, e);
	if (env && r && ss.s)
		report_fill(ss.s, env, r);
out:
	if (probe)
		probe_finish(&ss);
	if (probe && ss.have_tls) {
		X509 *cert = tls_peer_cert(&ss.tls, &probe->cert_error);

		if (cert && X509_up_ref(cert) == 1)
			probe->cert = cert;
	}
	session_teardown(&ss);
	return rc;
}

/* session_once, again with a refreshed token when an OAuth2 one was
 * refused. */
static int session_once_oauth2(const struct account *a, const char *password, const char *ehlo_name,
			       const struct envelope *env, struct spool *sp,
			       struct session_report *r, struct error *e)
{
	struct secret fresh;
	int rc = session_once(a, password, ehlo_name, env, sp, r, NULL, e);

	if (!rc || !oauth2_retry_wanted(a, e))
		return rc;
	secret_init(&fresh);
	if (oauth2_fresh_token(a, password, &fresh, e) == 0) {
		rc = session_once(a, fresh.value, ehlo_name, env, sp, r, NULL, e);
		if (rc && oauth2_retry_wanted(a, e))
			oauth2_refused_twice(a, e);
	}
	secret_release(&fresh);
	return rc ? -1 : 0;
}

int session_send(const struct account *a, const char *password, const char *ehlo_name,
		 const struct envelope *env, struct spool *sp, struct session_report *r,
		 struct error *e)
{
	return session_once_oauth2(a, password, ehlo_name, env, sp, r, e);
}

int session_verify(const struct account *a, const char *password, const char *ehlo_name,
		   struct error *e)
{
	return session_once_oauth2(a, password, ehlo_name, NULL, NULL, NULL, e);
}

int session_check(const struct account *a, const char *password, const char *ehlo_name,
		  struct session_probe *p, struct error *e)
{
	session_probe_release(p);
	return session_once(a, password, ehlo_name, NULL, NULL, NULL, p, e);
}

static int session_open_once(struct session **out, const struct account *a, const char *password,
			     const char *ehlo_name, struct error *e);

int session_open(struct session **out, const struct account *a, const char *password,
		 const char *ehlo_name, struct error *e)
{
	struct secret fresh;
	int rc = session_open_once(out, a, password, ehlo_name, e);

	if (!rc || !oauth2_retry_wanted(a, e))
		return rc;
	secret_init(&fresh);
	if (oauth2_fresh_token(a, password, &fresh, e) == 0) {
		rc = session_open_once(out, a, fresh.value, ehlo_name, e);
		if (rc && oauth2_retry_wanted(a, e))
			oauth2_refused_twice(a, e);
	}
	secret_release(&fresh);
	return rc ? -1 : 0;
}

static int session_open_once(struct session **out, const struct account *a, const char *password,
			     const char *ehlo_name, struct error *e)
{
	struct session *ss = xcalloc(1, sizeof(*ss));

	*out = NULL;
	clock_start(&ss->k, a->timeout, 0, "a connection take to get ready");
	if (session_start(ss, a, password, ehlo_name, NULL, 1, e))
		goto fail;
	if (session_run(ss, password, ehlo_name, NULL, 1, NULL, e))
		goto fail;
	if (!session_usable(ss)) {
		error_set(e, ERR_INTERNAL, "%s port %u: the session ended before it was ready "
			  "(a bug)", a->host, ss->c.port);
		goto fail;
	}
	*out = ss;
	return 0;
fail:
	session_teardown(ss);
	free(ss);
	return -1;
}

int session_deliver(struct session *ss, const struct envelope *env, struct spool *sp,
		    struct session_report *r, struct error *e)
{
	struct smtp_message m;

	if (r) {
		session_report_release(r);
		session_report_init(r);
	}
	if (!ss)
		return error_set(e, ERR_INTERNAL, "no session to send the message on (a bug)");
	if (!session_usable(ss))
		return error_set(e, ERR_TEMP, "%s port %u: the connection can carry no more "
				 "messages (it failed earlier); the message was not sent",
				 ss->a->host, ss->c.port);
	clock_start(&ss->k, ss->a->timeout, env->size,
		    "one message take on a connection that carries several");
	envelope_message(env, sp, &m);
	smtp_next_message(ss->s, &m);
	run_engine(ss, sp);
	if (r)
		report_fill(ss->s, env, r);
	return session_result(ss, e);
}

int session_usable(const struct session *ss)
{
	return ss && ss->s && smtp_get_state(ss->s) == SMTP_ST_READY;
}

void session_close(struct session *ss)
{
	if (!ss)
		return;
	if (session_usable(ss)) {
		/* only the QUIT: its write has the account's timeout */
		clock_start(&ss->k, ss->a->timeout, 0, "a connection take to close");
		smtp_quit(ss->s);
		run_engine(ss, NULL);
	}
	session_teardown(ss);
	free(ss);
}
