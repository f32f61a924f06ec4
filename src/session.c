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
#define FINAL_DOT_WAIT_MS (600u * 1000u)

void session_report_init(struct session_report *r)
{
	r->delivered = 0;
	strvec_init(&r->refused);
}

void session_report_release(struct session_report *r)
{
	strvec_release(&r->refused);
}

/* Where send_body is: what it must send and what it has. */
struct body_out {
	struct buf out;		/* bytes to write: head, then body */
	size_t head_left;	/* of out, the command flight not yet written */
	int raw;		/* BDAT: exactly wire_size body octets */
	uint64_t wire_size;
	uint64_t body;		/* body octets written */
};

/* Write what is buffered.  Under BDAT the server counts octets: one more or
 * one fewer than announced and it reads our next command as message data
 * (or the message as commands), so a miscount is refused before it reaches
 * the wire. */
static int body_flush(struct conn *c, struct body_out *b, struct error *e)
{
	uint64_t add = b->out.len - b->head_left;

	if (b->raw && b->body + add > b->wire_size)
		return error_set(e, ERR_INTERNAL, "the message came out longer than the %"
				 PRIu64 " octets announced in BDAT (a bug); not sent", b->wire_size);
	if (conn_write(c, b->out.data, b->out.len, e))
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
		     uint64_t wire_size, const struct buf *head, struct error *e)
{
	struct body_out b = { .out = BUF_INIT, .raw = mode == SMTP_BODY_RAW,
			      .wire_size = wire_size };
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

static int run_engine(struct smtp *s, struct conn *c, struct tls_ctx *tls,
		      const struct account *a, struct spool *sp)
{
	char in[16384];
	unsigned timeout_ms = a->timeout * 1000;
	int body_sent = 0;
	struct buf head = BUF_INIT;	/* the BDAT flight, held for the body */
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
			if (conn_write(c, out, len, &e)) {
				smtp_abort(s, &e);
				break;
			}
			smtp_output_done(s);
			/* Once QUIT is on its way the outcome is known; waiting for
			 * the 221 would cost a round trip and tell nothing. */
			if (!strcmp(smtp_state_name(s), "QUIT"))
				goto out;
			break;
		case SMTP_WANT_READ:
			conn_quickack(c);
			n = conn_read(c, in, sizeof(in),
				      body_sent && timeout_ms < FINAL_DOT_WAIT_MS ? FINAL_DOT_WAIT_MS : timeout_ms,
				      &e);
			if (n < 0) {
				/* A silent server on a STARTTLS account is usually an
				 * implicit-TLS port waiting for our TLS hello. */
				if (c->timed_out && a->tls != ACCOUNT_TLS_IMPLICIT &&
				    !strcmp(smtp_state_name(s), "GREETING"))
					snprintf(e.msg + strlen(e.msg), sizeof(e.msg) - strlen(e.msg),
						 "; it sent no greeting: if this port expects TLS at once "
						 "(like 465), set tls = implicit");
				smtp_abort(s, &e);
			} else if (n == 0) {
				error_set(&e, ERR_TEMP, "%s port %u closed the connection unexpectedly (during %s)",
					  a->host, a->port, smtp_state_name(s));
				smtp_abort(s, &e);
			} else {
				smtp_input(s, in, (size_t)n);
			}
			break;
		case SMTP_WANT_TLS:
			if (tls_start(tls, c, a->host, timeout_ms, &e))
				smtp_abort(s, &e);
			else
				smtp_tls_done(s);
			break;
		case SMTP_WANT_BODY:
			if (send_body(c, sp, smtp_body_mode(s), s->p.wire_size, &head, &e)) {
				smtp_abort(s, &e);
				break;
			}
			buf_reset(&head);
			body_sent = 1;
			smtp_body_done(s);
			break;
		case SMTP_WANT_CLOSE:
			goto out;
		}
	}
out:
	buf_release(&head);
	return 0;
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
	struct smtp s;
	struct smtp_params p;
	int have_tls = 0, have_engine = 0, rc = -1;

	conn_init(&c);
	memset(&tls, 0, sizeof(tls));
	if (a->tls != ACCOUNT_TLS_OFF) {
		if (tls_ctx_init(&tls, a->tls_ca_file, e))
			goto out;
		have_tls = 1;
	}
	log_info("connecting to %s port %u (%s)", a->host, a->port, config_tls_name(a->tls));
	if (conn_connect(&c, a->host, a->port, a->timeout, e))
		goto out;
	c.timeout_ms = a->timeout * 1000;
	if (a->tls == ACCOUNT_TLS_IMPLICIT && tls_start(&tls, &c, a->host, c.timeout_ms, e))
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
	smtp_init(&s, &p, log_trace, NULL);
	have_engine = 1;
	run_engine(&s, &c, &tls, a, sp);

	if (r)
		r->delivered = smtp_delivered(&s);
	for (size_t i = 0; env && r && i < env->rcpts.n; i++)
		if (s.rcpt[i].code >= 400)
			strvec_push_take(&r->refused, xasprintf("%s: %s", env->rcpts.v[i],
								s.rcpt[i].reply ? s.rcpt[i].reply : "refused"));
	rc = smtp_result(&s, e);
	if (rc && e && !strstr(e->msg, a->host))
		error_prefix(e, "%s port %u", a->host, a->port);
out:
	if (have_engine)
		smtp_release(&s);
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
