#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "dotstuff.h"
#include "log.h"
#include "smtp.h"
#include "tls.h"

#define BODY_CHUNK (64 * 1024)
/* RFC 5321 4.5.3.2.6: wait at least 10 minutes for the reply to the final dot. */
#define FINAL_DOT_WAIT_MS (600LL * 1000)
/* However a server behaves, a connection ends within this long, plus one
 * second per SESSION_MIN_RATE octets of message: a server that trickles
 * one byte a second stays inside every per-reply deadline, not this one. */
#define SESSION_BASE_MS (20LL * 60 * 1000)
#define SESSION_MIN_RATE (8 * 1024)

void session_report_init(struct session_report *r)
{
	r->delivered = 0;
	strvec_init(&r->refused);
}

void session_report_release(struct session_report *r)
{
	strvec_release(&r->refused);
}

/* The clocks of one connection: `timeout` for each reply (and for each
 * write), never past the ceiling of the whole session. */
struct clock {
	long long timeout_ms;	/* the account's timeout */
	long long ceiling;	/* now_ms() deadline of the whole connection */
	long long ceiling_ms;	/* its length, for messages */
};

static void clock_start(struct clock *k, unsigned timeout_s, uint64_t message_size)
{
	long long base = 3LL * timeout_s * 1000;

	k->timeout_ms = (long long)timeout_s * 1000;
	if (base < SESSION_BASE_MS)
		base = SESSION_BASE_MS;
	k->ceiling_ms = base + (long long)(message_size / SESSION_MIN_RATE) * 1000;
	k->ceiling = now_ms() + k->ceiling_ms;
}

/* A deadline wait_ms from now, cut at the ceiling. */
static long long clock_deadline(const struct clock *k, long long wait_ms)
{
	long long d = now_ms() + wait_ms;

	return d < k->ceiling ? d : k->ceiling;
}

/* A read or write timed out: say which limit it was. */
static void clock_explain(const struct clock *k, const struct account *a, const char *what,
			  long long wait_ms, struct error *e)
{
	if (now_ms() >= k->ceiling)
		error_set(e, ERR_TEMP, "%s port %u: gave up after %lld minutes, the longest "
			  "postern lets one connection last for this message: the server is far "
			  "too slow (it sends or takes data a trickle at a time)", a->host, a->port,
			  k->ceiling_ms / 60000);
	else
		error_set(e, ERR_TEMP, "%s port %u %s: timed out after %lld s; the server stopped "
			  "answering or is far too slow", a->host, a->port, what, wait_ms / 1000);
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

/* Drive the engine over the connection until it closes.  Every awaited
 * reply has one deadline however it trickles in (`timeout`, ten minutes
 * for the final dot), every write too, and the whole connection the
 * clock's ceiling. */
static void run_engine(struct smtp *s, struct conn *c, struct tls_ctx *tls,
		       const struct account *a, struct spool *sp, const struct clock *k)
{
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

		switch (smtp_next(s)) {
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
					clock_explain(k, a, "did not take our command", k->timeout_ms, &e);
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
					clock_explain(k, a, smtp_awaiting_greeting(s) ?
						      "sent no greeting" : "sent no complete reply",
						      reply_wait, &e);
					/* A silent server on a STARTTLS account is usually an
					 * implicit-TLS port waiting for our TLS hello. */
					if (a->tls != ACCOUNT_TLS_IMPLICIT && smtp_awaiting_greeting(s))
						snprintf(e.msg + strlen(e.msg), sizeof(e.msg) - strlen(e.msg),
							 "; if this port expects TLS at once (like 465), set "
							 "tls = implicit");
				}
				smtp_abort(s, &e);
			} else if (n == 0) {
				error_set(&e, ERR_TEMP, "%s port %u closed the connection unexpectedly (during %s)",
					  a->host, a->port, smtp_state_name(smtp_get_state(s)));
				smtp_abort(s, &e);
			} else {
				smtp_input(s, in, (size_t)n);
			}
			break;
		case SMTP_WANT_TLS: {
			long long left = clock_deadline(k, k->timeout_ms) - now_ms();

			if (tls_start(tls, c, a->host, left > 0 ? (unsigned)left : 0, &e))
				smtp_abort(s, &e);
			else
				smtp_tls_done(s);
			reply_deadline = 0;
			break;
		}
		case SMTP_WANT_BODY:
			if (send_body(c, sp, smtp_body_mode(s), smtp_wire_size(s), &head, k, &e)) {
				if (c->timed_out)
					clock_explain(k, a, "did not take the message", k->timeout_ms, &e);
				smtp_abort(s, &e);
				break;
			}
			buf_reset(&head);
			body_sent = 1;
			reply_deadline = 0;
			smtp_body_done(s);
			break;
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

/* One connection: a whole submission, or (env == NULL) just EHLO, TLS and
 * AUTH, for `postern password check`. */
static int session_run(const struct account *a, const char *password, const char *ehlo_name,
		       const struct envelope *env, struct spool *sp, struct session_report *r,
		       struct error *e)
{
	struct tls_ctx tls;
	struct conn c;
	struct smtp *s = NULL;
	struct smtp_params p;
	struct clock k;
	int have_tls = 0, rc = -1;

	conn_init(&c);
	memset(&tls, 0, sizeof(tls));
	clock_start(&k, a->timeout, env ? env->size : 0);
	if (a->tls != ACCOUNT_TLS_OFF) {
		if (tls_ctx_init(&tls, a->tls_ca_file, e))
			goto out;
		have_tls = 1;
	}
	log_info("connecting to %s port %u (%s)", a->host, a->port, config_tls_name(a->tls));
	if (conn_connect(&c, a->host, a->port, a->timeout, e))
		goto out;
	if (a->tls == ACCOUNT_TLS_IMPLICIT &&
	    tls_start(&tls, &c, a->host, (unsigned)k.timeout_ms, e))
		goto out;

	memset(&p, 0, sizeof(p));
	p.ehlo_name = ehlo_name;
	p.tls = a->tls == ACCOUNT_TLS_IMPLICIT ? SMTP_TLS_IMPLICIT :
		a->tls == ACCOUNT_TLS_STARTTLS ? SMTP_TLS_STARTTLS : SMTP_TLS_OFF;
	p.auth = a->auth;
	p.auth_without_tls = a->auth_without_tls;
	p.user = a->user;
	p.password = password;
	if (env) {
		p.from = env->from;
		p.rcpts = (const char *const *)env->rcpts.v;
		p.nrcpts = env->rcpts.n;
		p.size = env->size;
		/* the spool has LF line ends only, each line ending in one */
		p.wire_size = sp->bytes + sp->lines;
		p.eightbit = env->eightbit;
	} else {
		p.verify_only = 1;
	}
	s = smtp_new(&p, log_trace, NULL);
	run_engine(s, &c, &tls, a, sp, &k);

	if (r)
		r->delivered = smtp_delivered(s);
	for (size_t i = 0; env && r && i < env->rcpts.n; i++)
		if (smtp_rcpt_code(s, i) >= 400)
			strvec_push_take(&r->refused, xasprintf("%s: %s", env->rcpts.v[i],
								smtp_rcpt_reply(s, i) ? smtp_rcpt_reply(s, i) : "refused"));
	rc = smtp_result(s, e);
	if (rc && e && !strstr(e->msg, a->host))
		error_prefix(e, "%s port %u", a->host, a->port);
out:
	smtp_free(s);
	conn_close(&c);
	if (have_tls)
		tls_ctx_release(&tls);
	return rc;
}

int session_send(const struct account *a, const char *password, const char *ehlo_name,
		 const struct envelope *env, struct spool *sp, struct session_report *r,
		 struct error *e)
{
	return session_run(a, password, ehlo_name, env, sp, r, e);
}

int session_verify(const struct account *a, const char *password, const char *ehlo_name,
		   struct error *e)
{
	return session_run(a, password, ehlo_name, NULL, NULL, NULL, e);
}
