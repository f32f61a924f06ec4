/* smtp.c - the SMTP submission protocol engine.
 *
 * One state per phase of the conversation and one handler per reply.  The
 * commands whose replies are awaited sit in a FIFO: with PIPELINING the whole
 * MAIL/RCPT.../DATA group goes out in one flight (RFC 2920), without it the
 * window is one command.  With CHUNKING as well, "BDAT n LAST" takes DATA's
 * place and the body follows in the same flight (RFC 3030), so the replies
 * to MAIL, RCPT... and BDAT are read only after the whole message is out.
 * With keep_open a connection carries many transactions: each ends in
 * txn_end() (READY, or QUIT), each after the first starts with RSET in its
 * group, and everything that describes "the last transaction" is reset in
 * txn_reset() when the next message arrives.
 * Server bytes are untrusted; what may arrive when is checked here, so that
 * the caller cannot get it wrong. */
#include "smtp.h"

#include "addr.h"
#include "base64.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

static const char *const strstate[] = {
	[SMTP_ST_GREETING] = "GREETING",
	[SMTP_ST_EHLO] = "EHLO",
	[SMTP_ST_HELO] = "HELO",
	[SMTP_ST_STARTTLS] = "STARTTLS",
	[SMTP_ST_TLS] = "TLS",
	[SMTP_ST_AUTH] = "AUTH",
	[SMTP_ST_TRANSACTION] = "TRANSACTION",
	[SMTP_ST_BODY] = "BODY",
	[SMTP_ST_DOT] = "DOT",
	[SMTP_ST_BDAT] = "BDAT",
	[SMTP_ST_READY] = "READY",
	[SMTP_ST_QUIT] = "QUIT",
	[SMTP_ST_CLOSED] = "CLOSED",
};

/* What a FIFO entry awaits the reply to.  Outside a transaction the phase
 * already says which command a reply answers (the FIFO then only counts,
 * and a mismatch is a bug); inside one, with pipelining, only the FIFO
 * knows. */
enum cmd {
	CMD_GREETING,
	CMD_EHLO,
	CMD_HELO,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_RSET,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_DOT,
	CMD_DOT_EMPTY,	/* end of data after a 354 we did not want */
	CMD_BDAT,	/* BDAT n LAST and the whole message */
	CMD_QUIT,
};

/* Per recipient: the RCPT reply. */
struct smtp_rcpt {
	int code;		/* 0 = no reply yet */
	char *reply;		/* "550 5.1.1 text" (owned, escaped), NULL if none */
};

struct smtp {
	struct smtp_params p;	/* borrowed pointers; p.msg unused (see msg) */
	enum smtp_state state;	/* changed only by set_state() */
	int tls_active;
	struct smtp_caps caps;
	struct reply_parser rp;
	struct reply reply;	/* the reply being handled */
	unsigned long replies;	/* replies handled */
	struct buf out;		/* bytes to send: a secret buffer (AUTH) */
	/* FIFO of commands whose replies are awaited (pipelining): the
	 * first fifo_sent of them have been written */
	enum cmd *fifo;
	size_t fifo_cap, fifo_head, fifo_len, fifo_sent;
	/* the current (or last) transaction; txn_reset() starts one */
	struct smtp_message msg;	/* borrowed pointers */
	int have_msg;		/* msg holds a message */
	unsigned long txns;	/* transactions that went on the wire */
	int rset;		/* RSET still to go in front of MAIL */
	int rset_refused;	/* QUIT after this transaction */
	size_t txn_next;	/* 0 MAIL, 1..nrcpts RCPT, nrcpts+1 DATA/BDAT */
	int bdat;		/* this transaction uses BDAT n LAST */
	int mail_failed;	/* MAIL refused: drain the group, then end the
				 * transaction */
	struct smtp_rcpt *rcpt;	/* msg.nrcpts entries */
	size_t rcpt_replied;	/* RCPT replies seen so far */
	size_t accepted;	/* recipients accepted */
	struct sasl sasl;
	int auth_cancelled;	/* "*" sent: the next reply ends AUTH */
	struct error err;	/* the failure, if any */
	int failed;
	int ok;			/* success decided (delivered or verified) */
	int delivered;		/* the final 250 after the body arrived */
	char *final_reply;	/* that 250, quoted (owned) */
	smtp_trace_fn trace;
	void *trace_ctx;
};

/* RFC 4954 4: a command line, CRLF included, is at most 512 octets. */
#define AUTH_LINE_MAX 512

/* Refused recipients named in the error message; the rest are counted
 * (each is in s->rcpt[] anyway). */
#define RCPT_LISTED_MAX 6

/* Room for a quoted server reply inside an error message. */
#define QUOTE_MAX 400

static const char injection_msg[] =
	"server sent data after 220 to STARTTLS (command injection attempt); refusing";

const char *smtp_state_name(enum smtp_state st)
{
	if ((size_t)st >= sizeof(strstate) / sizeof(strstate[0]))
		return "?";
	return strstate[st];
}

static void trace_line(struct smtp *s, char dir, const char *line, size_t len);

/* The one place the state changes: traced, so that -v -v and the transcript
 * tests see every step. */
static void set_state(struct smtp *s, enum smtp_state st)
{
	char line[64];

	if (st == s->state)
		return;
	snprintf(line, sizeof(line), "%s -> %s", smtp_state_name(s->state), smtp_state_name(st));
	s->state = st;
	trace_line(s, '=', line, strlen(line));
}

/* ---- FIFO of awaited replies ---- */

static void fifo_push(struct smtp *s, enum cmd cmd)
{
	if (s->fifo_head + s->fifo_len == s->fifo_cap) {
		if (s->fifo_head > 0) {
			memmove(s->fifo, s->fifo + s->fifo_head, s->fifo_len * sizeof(*s->fifo));
			s->fifo_head = 0;
		} else {
			s->fifo_cap = s->fifo_cap ? 2 * s->fifo_cap : 16;
			s->fifo = xrealloc(s->fifo, s->fifo_cap * sizeof(*s->fifo));
		}
	}
	s->fifo[s->fifo_head + s->fifo_len++] = cmd;
}

/* Only called with fifo_sent > 0. */
static enum cmd fifo_pop(struct smtp *s)
{
	enum cmd cmd = s->fifo[s->fifo_head];

	s->fifo_head++;
	s->fifo_len--;
	s->fifo_sent--;
	if (s->fifo_len == 0)
		s->fifo_head = 0;
	return cmd;
}

/* ---- output and traces ---- */

static void trace_line(struct smtp *s, char dir, const char *line, size_t len)
{
	if (s->trace)
		s->trace(s->trace_ctx, dir, line, len);
}

/* Queue a command line awaiting a reply of kind cmd.  fmt must not carry
 * secrets (it is traced as is). */
static void send_cmd(struct smtp *s, enum cmd cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void send_cmd(struct smtp *s, enum cmd cmd, const char *fmt, ...)
{
	size_t start = s->out.len;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&s->out, fmt, ap);
	va_end(ap);
	trace_line(s, '>', s->out.data + start, s->out.len - start);
	buf_add(&s->out, "\r\n", 2);
	fifo_push(s, cmd);
}

/* Queue a line carrying AUTH data: the trace shows shown instead. */
static void send_cmd_secret(struct smtp *s, const char *shown, const char *prefix,
			 const struct buf *data)
{
	trace_line(s, '>', shown, strlen(shown));
	buf_adds(&s->out, prefix);
	buf_add(&s->out, data->data, data->len);
	buf_add(&s->out, "\r\n", 2);
	fifo_push(s, CMD_AUTH);
}

/* "550 5.1.1 text" with the lines of a multi-line reply joined by spaces,
 * escaped (it ends up on a terminal, in -bs replies, in kept files) and cut
 * to size. */
static void quote_reply(const struct reply *r, char *dst, size_t size)
{
	struct buf text = BUF_INIT;
	int n = snprintf(dst, size, "%d", r->code);

	buf_add(&text, " ", 1);
	buf_add(&text, r->text.data, r->text.len);
	for (size_t i = 0; i < text.len; i++)
		if (text.data[i] == '\n')
			text.data[i] = ' ';
	if (r->text.len && n > 0 && (size_t)n + 1 < size)
		str_escape(dst + n, size - (size_t)n, text.data, text.len);
	buf_release(&text);
}

/* ---- ending ---- */

/* Record the first failure; a later one is a consequence of it, and none
 * may undo a success already decided. */
static void fail(struct smtp *s, enum error_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct smtp *s, enum error_class cls, const char *fmt, ...)
{
	va_list ap;

	if (s->failed || s->ok)
		return;
	error_clear(&s->err);
	s->err.cls = cls;
	va_start(ap, fmt);
	vsnprintf(s->err.msg, sizeof(s->err.msg), fmt, ap);
	va_end(ap);
	s->failed = 1;
}

/* Attach the reply's codes to the failure just recorded. */
static void fail_codes(struct smtp *s, const struct reply *r)
{
	if (!s->failed || s->err.smtp_code)
		return;
	s->err.smtp_code = r->code;
	snprintf(s->err.enhanced, sizeof(s->err.enhanced), "%s", r->enhanced);
}

static void hang_up(struct smtp *s)
{
	buf_reset(&s->out);	/* a secret buffer: wiped */
	set_state(s, SMTP_ST_CLOSED);
}

static void send_quit(struct smtp *s)
{
	send_cmd(s, CMD_QUIT, "QUIT");
	set_state(s, SMTP_ST_QUIT);
}

/* The transaction is over (done or refused) and the dialogue still in
 * step: wait for the caller's next message, or say goodbye. */
static void txn_end(struct smtp *s)
{
	if (s->p.keep_open && !s->rset_refused)
		set_state(s, SMTP_ST_READY);
	else
		send_quit(s);
}

/* A reply of a kind the command cannot get: the server is broken or
 * hostile, so stop talking to it. */
static void unexpected(struct smtp *s, const char *what, const struct reply *r)
{
	char q[QUOTE_MAX];

	quote_reply(r, q, sizeof(q));
	fail(s, ERR_PROTOCOL, "unexpected reply to %s: %s", what, q);
	fail_codes(s, r);
	hang_up(s);
}

/* What follows a refusal. */
enum then {
	THEN_DONE,	/* the transaction is over, the dialogue sane */
	THEN_QUIT,	/* the dialogue is sane: say goodbye */
	THEN_CLOSE,	/* the stream is out of step: just close */
	THEN_DRAIN,	/* replies to pipelined commands are still due */
};

/* The server said no (4xx or 5xx): the one refusal pattern.  4xx is
 * temporary, 5xx permanent; the message names what was refused and quotes
 * the reply. */
static void refused(struct smtp *s, const struct reply *r, enum then then, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void refused(struct smtp *s, const struct reply *r, enum then then, const char *fmt, ...)
{
	char what[256], q[QUOTE_MAX];
	int temp = r->code / 100 == 4;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	quote_reply(r, q, sizeof(q));
	fail(s, temp ? ERR_TEMP : ERR_UNAVAILABLE, "%s: %s%s", what, q,
	     temp ? "; try again later" : "");
	fail_codes(s, r);
	if (then == THEN_DONE)
		txn_end(s);
	else if (then == THEN_QUIT)
		send_quit(s);
	else if (then == THEN_CLOSE)
		hang_up(s);
}

/* ---- the conversation ---- */

static void send_ehlo(struct smtp *s)
{
	send_cmd(s, CMD_EHLO, "EHLO %s", s->p.ehlo_name);
	set_state(s, SMTP_ST_EHLO);
}

/* Copy an RFC 4422 mechanism name (1-20 of A-Z 0-9 - _) upper-cased into
 * tok[21]; 0 if p[0..n) is not one. */
static int mech_name(const char *p, size_t n, char *tok)
{
	if (n == 0 || n > 20)
		return 0;
	for (size_t k = 0; k < n; k++) {
		char c = p[k] >= 'a' && p[k] <= 'z' ? (char)(p[k] - 'a' + 'A') : p[k];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		tok[k] = c;
	}
	tok[n] = '\0';
	return 1;
}

/* Whether the space-separated list holds the word w. */
static int listed(const char *list, const char *w)
{
	size_t n = strlen(w);

	while (*list) {
		size_t m = strcspn(list, " ");

		if (m == n && !memcmp(list, w, n))
			return 1;
		list += m + (list[m] == ' ');
	}
	return 0;
}

/* Add the mechanism names in p[0..len) to caps.auth: valid names only,
 * upper-cased, each once, as many as fit. */
static void add_auth(struct smtp_caps *c, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start, have = strlen(c->auth);
		char tok[21];

		while (i < len && p[i] == ' ')
			i++;
		for (start = i; i < len && p[i] != ' '; i++)
			;
		if (!mech_name(p + start, i - start, tok) || listed(c->auth, tok) ||
		    have + 1 + strlen(tok) + 1 > sizeof(c->auth))
			continue;
		if (have)
			c->auth[have++] = ' ';
		memcpy(c->auth + have, tok, strlen(tok) + 1);
	}
}

/* SIZE's parameter: decimal octets, 0 or absent = no limit stated. */
static uint64_t size_param(const char *p, size_t len)
{
	uint64_t v = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v;
}

/* The EHLO reply: the first line greets, each further line is a keyword
 * and its parameters (RFC 5321 4.1.1.1), matched case-insensitively. */
static void parse_caps(struct smtp *s, const struct reply *r)
{
	struct smtp_caps *c = &s->caps;
	const char *line = r->text.data;
	int first = 1;

	memset(c, 0, sizeof(*c));
	c->esmtp = 1;
	while (*line) {
		size_t llen = strcspn(line, "\n"), kw;
		const char *next = line + llen + (line[llen] == '\n');

		if (first) {
			first = 0;
			line = next;
			continue;
		}
		kw = strcspn(line, " =");
		if (kw > llen)
			kw = llen;
#define KW(name) (kw == sizeof(name) - 1 && !strncasecmp(line, name, kw))
		if (KW("AUTH")) {
			/* "AUTH PLAIN LOGIN" and the old "AUTH=PLAIN LOGIN" */
			if (kw < llen)
				add_auth(c, line + kw + 1, llen - kw - 1);
		} else if (line[kw] == '=') {
			/* some other old-style keyword: ignore */
		} else if (KW("STARTTLS")) {
			c->starttls = 1;
		} else if (KW("PIPELINING")) {
			c->pipelining = 1;
		} else if (KW("8BITMIME")) {
			c->eightbitmime = 1;
		} else if (KW("SMTPUTF8")) {
			c->smtputf8 = 1;
		} else if (KW("CHUNKING")) {
			c->chunking = 1;
		} else if (KW("DSN")) {
			c->dsn = 1;
		} else if (KW("SIZE")) {
			c->size = 1;
			c->size_max = kw < llen ? size_param(line + kw + 1, llen - kw - 1) : 0;
		}
#undef KW
		line = next;
	}
}

static void txn_start(struct smtp *s);
static void auth_start(struct smtp *s);

/* EHLO, TLS and AUTH are over: send the message, or with none report the
 * session ready (QUIT unless keep_open). */
static void ready(struct smtp *s)
{
	/* never needed again; the caller may wipe the password now */
	s->p.ehlo_name = NULL;
	s->p.user = NULL;
	s->p.password = NULL;
	if (s->have_msg) {
		txn_start(s);
		return;
	}
	s->ok = 1;
	txn_end(s);
}

/* EHLO or HELO done: STARTTLS first when it is required, then AUTH, then
 * the message. */
static void after_hello(struct smtp *s)
{
	if (s->p.tls == SMTP_TLS_STARTTLS && !s->tls_active) {
		if (!s->caps.starttls) {
			fail(s, ERR_TLS,
			       "server does not offer STARTTLS (possible downgrade attack, "
			       "or the wrong port); refusing to send in cleartext; if the "
			       "server speaks TLS from the start, use port 465 with "
			       "tls = implicit");
			send_quit(s);
			return;
		}
		send_cmd(s, CMD_STARTTLS, "STARTTLS");
		set_state(s, SMTP_ST_STARTTLS);
		return;
	}
	if (s->p.auth != AUTH_OFF) {
		auth_start(s);
		return;
	}
	ready(s);
}

static void on_greeting(struct smtp *s, const struct reply *r)
{
	if (r->code == 220) {
		send_ehlo(s);
		return;
	}
	if (r->code / 100 != 4 && r->code / 100 != 5) {
		unexpected(s, "the connection (greeting)", r);
		return;
	}
	/* RFC 5321 3.1: after a 554 greeting the client should QUIT */
	refused(s, r, THEN_QUIT, "server refused the connection");
}

static void on_ehlo(struct smtp *s, const struct reply *r)
{
	char q[QUOTE_MAX];

	switch (r->code / 100) {
	case 2:
		parse_caps(s, r);
		after_hello(s);
		return;
	case 5:
		/* An old server: HELO is only good enough when nothing
		 * that needs an extension (STARTTLS, AUTH) was asked for. */
		if (s->p.tls == SMTP_TLS_OFF && s->p.auth == AUTH_OFF) {
			send_cmd(s, CMD_HELO, "HELO %s", s->p.ehlo_name);
			set_state(s, SMTP_ST_HELO);
			return;
		}
		quote_reply(r, q, sizeof(q));
		fail(s, ERR_PROTOCOL,
		       "server does not speak ESMTP (EHLO answered %s); TLS/AUTH impossible", q);
		fail_codes(s, r);
		send_quit(s);
		return;
	case 4:
		refused(s, r, THEN_QUIT, "server refused EHLO");
		return;
	}
	unexpected(s, "EHLO", r);
}

static void on_helo(struct smtp *s, const struct reply *r)
{
	if (r->code / 100 == 2) {
		memset(&s->caps, 0, sizeof(s->caps));
		after_hello(s);
	} else if (r->code / 100 == 4 || r->code / 100 == 5) {
		refused(s, r, THEN_QUIT, "server refused HELO");
	} else {
		unexpected(s, "HELO", r);
	}
}

static void on_starttls(struct smtp *s, const struct reply *r)
{
	char q[QUOTE_MAX];

	if (r->code == 220) {
		/* smtp_input checks that nothing follows the 220 */
		set_state(s, SMTP_ST_TLS);
		return;
	}
	quote_reply(r, q, sizeof(q));
	fail(s, ERR_TLS, "server refused STARTTLS: %s; refusing to send in cleartext", q);
	fail_codes(s, r);
	/* 4xx/5xx leave the dialogue sane; anything else (354, 250) does not */
	if (r->code / 100 == 4 || r->code / 100 == 5)
		send_quit(s);
	else
		hang_up(s);
}

/* A fresh SASL exchange with mech (the old one's state wiped). */
static void sasl_start(struct smtp *s, enum sasl_mech mech)
{
	sasl_release(&s->sasl);
	sasl_init(&s->sasl, mech, s->p.user, s->p.password);
	if (s->p.sasl_nonce)
		sasl_set_nonce(&s->sasl, s->p.sasl_nonce);
}

static void auth_start(struct smtp *s)
{
	struct error e;
	enum sasl_mech mech;
	struct buf raw = BUF_INIT, enc = BUF_INIT;
	char prefix[32], shown[64];
	int rc;

	if (!s->caps.auth[0]) {
		fail(s, ERR_AUTH,
		       "server offers no authentication (AUTH)%s; check the port (587 or 465) "
		       "or set auth = off if the server needs none",
		       s->tls_active ? "" : " on this unencrypted connection");
		send_quit(s);
		return;
	}
	error_clear(&e);
	if (sasl_choose(s->p.auth, s->caps.auth, &mech, &e) < 0) {
		fail(s, e.cls, "%s", e.msg);
		send_quit(s);
		return;
	}
	sasl_start(s, mech);
	set_state(s, SMTP_ST_AUTH);
	rc = sasl_initial(&s->sasl, &raw, &e);
	if (rc < 0) {
		/* nothing sent yet: the user name or password cannot be used */
		fail(s, e.cls, "%s", e.msg);
		send_quit(s);
	} else if (rc == 1) {
		b64_encode(raw.data, raw.len, &enc);
		if (enc.len == 0)
			buf_adds(&enc, "=");	/* RFC 4954 4: empty initial response */
		snprintf(prefix, sizeof(prefix), "AUTH %s ", sasl_mech_name(mech));
		if (strlen(prefix) + enc.len + 2 > AUTH_LINE_MAX) {
			/* too long to go inline (long OAuth tokens): wait for
			 * the server's 334 and answer it */
			sasl_start(s, mech);
			send_cmd(s, CMD_AUTH, "AUTH %s", sasl_mech_name(mech));
		} else {
			snprintf(shown, sizeof(shown), "AUTH %s <redacted>", sasl_mech_name(mech));
			send_cmd_secret(s, shown, prefix, &enc);
		}
	} else {
		send_cmd(s, CMD_AUTH, "AUTH %s", sasl_mech_name(mech));
	}
	buf_wipe_release(&raw);
	buf_wipe_release(&enc);
}

/* Cancel the exchange (RFC 4954 4: "*"); the server answers 501, and the
 * failure recorded before stands. */
static void auth_cancel(struct smtp *s)
{
	send_cmd(s, CMD_AUTH, "*");
	s->auth_cancelled = 1;
}

static void on_334(struct smtp *s, const struct reply *r)
{
	struct buf chal = BUF_INIT, resp = BUF_INIT, enc = BUF_INIT;
	struct error e;

	if (r->nlines != 1 || b64_decode(r->text.data, r->text.len, &chal) < 0) {
		fail(s, ERR_PROTOCOL, "server sent a malformed AUTH challenge (not base64)");
		auth_cancel(s);
		goto out;
	}
	error_clear(&e);
	if (sasl_step(&s->sasl, (const unsigned char *)chal.data, chal.len, &resp, &e) < 0) {
		fail(s, e.cls, "%s", e.msg);
		auth_cancel(s);
		goto out;
	}
	b64_encode(resp.data, resp.len, &enc);
	send_cmd_secret(s, "<redacted>", "", &enc);
out:
	buf_wipe_release(&chal);
	buf_wipe_release(&resp);
	buf_wipe_release(&enc);
}

/* Additional data with success (RFC 4954 4, RFC 4422 5): a 235 whose text
 * (after the enhanced code) is one base64 word.  Decoded into data;
 * 0 if there is none. */
static int success_data(const struct reply *r, struct buf *data)
{
	const char *t = r->text.data;
	size_t n;

	if (r->nlines != 1)
		return 0;
	if (r->enhanced[0] && !strncmp(t, r->enhanced, strlen(r->enhanced)))
		t += strlen(r->enhanced) + (t[strlen(r->enhanced)] == ' ');
	n = strlen(t);
	if (n == 0 || strchr(t, ' ') || b64_decode(t, n, data) < 0 || data->len == 0)
		return 0;
	return 1;
}

/* AUTH succeeded as far as the server is concerned: does it as far as
 * we are (SCRAM: the server proved it knows the password)? */
static void on_auth_ok(struct smtp *s, const struct reply *r)
{
	struct buf data = BUF_INIT;
	struct error e;
	int have = success_data(r, &data);

	error_clear(&e);
	if (sasl_finish(&s->sasl, have ? (const unsigned char *)data.data : NULL,
			have ? data.len : 0, &e) < 0) {
		buf_release(&data);
		sasl_release(&s->sasl);
		fail(s, e.cls, "%s", e.msg);
		send_quit(s);
		return;
	}
	buf_release(&data);
	sasl_release(&s->sasl);
	ready(s);
}

static void on_auth(struct smtp *s, const struct reply *r)
{
	char q[QUOTE_MAX], more[160] = "";
	const char *user = s->p.user ? s->p.user : "";
	const char *detail = sasl_error_detail(&s->sasl);
	int oauth = s->sasl.mech == SASL_XOAUTH2 || s->sasl.mech == SASL_OAUTHBEARER;

	if (s->auth_cancelled) {
		send_quit(s);
		return;
	}
	if (detail)
		snprintf(more, sizeof(more), "; the OAuth error said %s: the access token "
			 "was refused (expired, or without the mail scope?)", detail);
	switch (r->code / 100) {
	case 2:
		on_auth_ok(s, r);
		return;
	case 3:
		if (r->code == 334) {
			on_334(s, r);
			return;
		}
		break;
	case 4:
		quote_reply(r, q, sizeof(q));
		fail(s, ERR_TEMP, "authentication failed temporarily for %.100s: %s%s; "
		       "try again later", user, q, more);
		fail_codes(s, r);
		send_quit(s);
		return;
	case 5:
		quote_reply(r, q, sizeof(q));
		fail(s, ERR_AUTH, "authentication failed for %.100s: %s%s; %s",
		       s->sasl.mech == SASL_EXTERNAL && !*user ? "the client certificate" : user, q, more,
		       oauth ? "check the user and get a fresh access token (password_command)" :
		       s->sasl.mech == SASL_EXTERNAL ? "check that the server knows the certificate "
		       "of tls_cert_file (and user, when set, is a name it may act as)" :
		       "check user and password");
		fail_codes(s, r);
		send_quit(s);
		return;
	}
	unexpected(s, "AUTH", r);
}

/* RFC 3461 4: xtext, for ENVID.  '+', '=' and octets outside '!'..'~'
 * become "+XX"; the caller allows printable ASCII only, so this is about
 * '+' and '=' in practice, but the rule is applied whole. */
static void add_xtext(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < '!' || c > '~' || c == '+' || c == '=')
			buf_addf(b, "+%02X", c);
		else
			buf_add(b, s, 1);
	}
}

static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Whether m needs SMTPUTF8 (RFC 6531 3.4): an address with UTF-8 does,
 * and, if header_too, so does a header with UTF-8 (only the former makes
 * a server without it unusable: such a header still goes as 8BITMIME, as
 * it did before SMTPUTF8 existed).  Returns 1, or 0. */
static int needs_smtputf8(const struct smtp_message *m, int header_too)
{
	if (header_too && m->utf8_headers)
		return 1;
	if (has_8bit(m->from))
		return 1;
	for (size_t i = 0; i < m->nrcpts; i++)
		if (has_8bit(m->rcpts[i]))
			return 1;
	return 0;
}

/* Queue transaction commands while the window allows: everything with
 * PIPELINING, one at a time without. */
static void txn_fill(struct smtp *s)
{
	size_t window = s->caps.pipelining ? (size_t)-1 : 1;
	size_t n = s->msg.nrcpts;

	if (s->rset && s->fifo_len < window) {
		/* RFC 2920 3.1: RSET may appear anywhere in a group */
		send_cmd(s, CMD_RSET, "RSET");
		s->rset = 0;
	}
	while (s->txn_next <= n + 1 && s->fifo_len < window) {
		if (s->txn_next == 0) {
			char size[32] = "";

			struct buf dsn = BUF_INIT;

			if (s->caps.size && s->msg.size > 0)
				snprintf(size, sizeof(size), " SIZE=%" PRIu64, s->msg.size);
			if (s->caps.dsn && s->msg.dsn_ret)
				buf_addf(&dsn, " RET=%s", s->msg.dsn_ret);
			if (s->caps.dsn && s->msg.dsn_envid) {
				buf_adds(&dsn, " ENVID=");
				add_xtext(&dsn, s->msg.dsn_envid);
			}
			send_cmd(s, CMD_MAIL, "MAIL FROM:<%s>%s%s%s%s", s->msg.from, size,
			      s->msg.eightbit && s->caps.eightbitmime ? " BODY=8BITMIME" : "",
			      s->caps.smtputf8 && needs_smtputf8(&s->msg, 1) ? " SMTPUTF8" : "",
			      dsn.data);
			buf_release(&dsn);
		} else if (s->txn_next <= n) {
			send_cmd(s, CMD_RCPT, "RCPT TO:<%s>%s%s", s->msg.rcpts[s->txn_next - 1],
				 s->caps.dsn && s->msg.dsn_notify ? " NOTIFY=" : "",
				 s->caps.dsn && s->msg.dsn_notify ? s->msg.dsn_notify : "");
		} else if (s->bdat) {
			/* the body goes right behind it, before any reply */
			send_cmd(s, CMD_BDAT, "BDAT %" PRIu64 " LAST", s->msg.wire_size);
			set_state(s, SMTP_ST_BODY);
		} else {
			send_cmd(s, CMD_DATA, "DATA");
		}
		s->txn_next++;
	}
}

static void txn_start(struct smtp *s)
{
	if (s->caps.size && s->caps.size_max && s->msg.size > s->caps.size_max) {
		fail(s, ERR_DATA, "message is %" PRIu64 " bytes, server accepts at most %"
		       PRIu64, s->msg.size, s->caps.size_max);
		txn_end(s);
		return;
	}
	if (!s->caps.smtputf8 && needs_smtputf8(&s->msg, 0)) {
		fail(s, ERR_DATA, "an address of this message has non-ASCII characters, which "
		     "needs SMTPUTF8 (RFC 6531), and the server does not offer it; write the "
		     "address in ASCII (its domain as xn--...), or use a server that has SMTPUTF8");
		txn_end(s);
		return;
	}
	set_state(s, SMTP_ST_TRANSACTION);
	s->txn_next = 0;
	/* a transaction before this one on the connection, even a refused
	 * one, may have left state behind in the server */
	s->rset = s->txns++ > 0;
	/* One BDAT chunk only pays off inside a pipelined group: without
	 * PIPELINING it costs the same round trip as DATA's 354. */
	s->bdat = s->caps.chunking && s->caps.pipelining && s->msg.wire_size > 0;
	txn_fill(s);
}

/* The enhanced code in a stored "550 5.1.1 text", for the error. */
static void enhanced_of(const char *reply, char *dst, size_t size)
{
	const char *t = strchr(reply, ' ');
	size_t n;

	dst[0] = '\0';
	if (!t)
		return;
	t++;
	n = strspn(t, "0123456789.");
	if (n >= 5 && n < size && t[1] == '.' && (t[n] == ' ' || !t[n]))
		memcpy(dst, t, n), dst[n] = '\0';
}

/* Judge the RCPT replies.  delivered: the message went to the accepted
 * ones.  Sets ok, or the failure listing every refused recipient. */
static void rcpt_verdict(struct smtp *s, int delivered)
{
	size_t n4 = 0, n5 = 0, i, listed, first = (size_t)-1;
	struct buf m = BUF_INIT;
	enum error_class cls;

	for (i = 0; i < s->msg.nrcpts; i++) {
		int c = s->rcpt[i].code / 100;

		if (c == 4)
			n4++;
		else if (c == 5)
			n5++;
		else
			continue;
		/* the code in the error: a permanent one if there is any */
		if (first == (size_t)-1 || (c == 5 && s->rcpt[first].code / 100 != 5))
			first = i;
	}
	if (n4 + n5 == 0) {
		if (delivered)
			s->ok = 1;
		return;
	}
	/* Delivered: the 5xx ones are lost for good (NOUSER); only 4xx ones
	 * may get through on a retry (TEMP).  Nothing delivered: any 4xx
	 * makes a retry worth it. */
	if (delivered)
		cls = n5 ? ERR_NOUSER : ERR_TEMP;
	else
		cls = n4 ? ERR_TEMP : ERR_NOUSER;
	if (delivered)
		buf_addf(&m, "message delivered to %zu of %zu recipients; not delivered to ",
			 s->accepted, s->msg.nrcpts);
	else if (s->msg.nrcpts == 1)
		buf_adds(&m, "recipient refused: ");
	else
		buf_addf(&m, "all %zu recipients refused: ", s->msg.nrcpts);
	for (i = 0, listed = 0; i < s->msg.nrcpts; i++) {
		if (s->rcpt[i].code / 100 != 4 && s->rcpt[i].code / 100 != 5)
			continue;
		if (listed++ == RCPT_LISTED_MAX) {
			buf_addf(&m, " and %zu more", n4 + n5 - RCPT_LISTED_MAX);
			break;
		}
		buf_addf(&m, "%s<%s> (%s)", listed > 1 ? ", " : "", s->msg.rcpts[i],
			 s->rcpt[i].reply);
	}
	if (n4)
		buf_adds(&m, n5 ? "; the 4xx ones are temporary" : "; temporary, try again later");
	fail(s, cls, "%s", m.data);
	if (s->failed && !s->err.smtp_code) {
		s->err.smtp_code = s->rcpt[first].code;
		enhanced_of(s->rcpt[first].reply, s->err.enhanced, sizeof(s->err.enhanced));
	}
	buf_release(&m);
}

/* After an RSET, MAIL or RCPT reply: wait for the rest of a pipelined
 * group, else decide how to go on. */
static void txn_next(struct smtp *s)
{
	if (s->state != SMTP_ST_TRANSACTION || s->fifo_len > 0)
		return;
	if (s->mail_failed) {
		txn_end(s);
		return;
	}
	if (s->txn_next == s->msg.nrcpts + 1 && s->accepted == 0) {
		rcpt_verdict(s, 0);
		txn_end(s);
		return;
	}
	txn_fill(s);
}

/* RSET must succeed (RFC 5321 4.1.1.5), yet a refusal says nothing about
 * the message: the MAIL reply behind it tells whether the server started a
 * fresh transaction (a lingering one gets 503), so the transaction goes on
 * and is judged as ever.  Closing here instead could lose track of a
 * message the server took (BDAT sends it in the same flight).  A server
 * this odd gets no further message on the connection. */
static void on_rset(struct smtp *s, const struct reply *r)
{
	if (r->code / 100 == 4 || r->code / 100 == 5)
		s->rset_refused = 1;
	else if (r->code / 100 != 2) {
		unexpected(s, "RSET", r);
		return;
	}
	txn_next(s);
}

static void on_mail(struct smtp *s, const struct reply *r)
{
	char q[QUOTE_MAX];

	switch (r->code / 100) {
	case 2:
		break;
	case 4:
	case 5:
		if (s->rset_refused) {
			/* likely the last transaction lingering ("nested MAIL
			 * command"): the connection's fault, not the message's */
			quote_reply(r, q, sizeof(q));
			fail(s, ERR_TEMP, "server refused RSET, then the sender <%.200s> (%s); "
			     "the connection was out of step, try again later", s->msg.from, q);
			fail_codes(s, r);
		} else if (r->code == 530 ||
			   (r->code / 100 == 5 && !strcmp(r->enhanced, "5.7.0"))) {
			quote_reply(r, q, sizeof(q));
			fail(s, ERR_UNAVAILABLE, "authentication required: the server refused "
			     "the sender (%s); %s", q, s->p.auth == AUTH_OFF ?
			     "set auth = on with user and password" :
			     "check that this account may send as this sender");
			fail_codes(s, r);
		} else {
			refused(s, r, THEN_DRAIN, "server refused the sender <%.200s>", s->msg.from);
		}
		s->mail_failed = 1;
		break;
	default:
		unexpected(s, "MAIL FROM", r);
		return;
	}
	txn_next(s);
}

static void on_rcpt(struct smtp *s, const struct reply *r)
{
	struct smtp_rcpt *rc;
	char q[QUOTE_MAX];

	if (r->code / 100 == 3 || s->rcpt_replied >= s->msg.nrcpts) {
		unexpected(s, "RCPT TO", r);
		return;
	}
	rc = &s->rcpt[s->rcpt_replied++];
	/* after a refused MAIL the RCPT replies (503) say nothing about the
	 * recipient: leave its code 0, "no reply that counts" */
	if (!s->mail_failed) {
		quote_reply(r, q, sizeof(q));
		rc->code = r->code;
		free(rc->reply);
		rc->reply = xstrdup(q);
		if (r->code / 100 == 2)
			s->accepted++;
	}
	txn_next(s);
}

static void on_data(struct smtp *s, const struct reply *r)
{
	if (r->code == 354) {
		if (s->mail_failed || s->accepted == 0) {
			/* Pipelined DATA was accepted although nothing
			 * may be sent: RFC 2920 3.1 wants the end of
			 * data right away, an empty message. */
			if (!s->mail_failed)
				rcpt_verdict(s, 0);
			send_cmd(s, CMD_DOT_EMPTY, ".");
			set_state(s, SMTP_ST_DOT);
			return;
		}
		set_state(s, SMTP_ST_BODY);
		/* a reply may come early (a server giving up mid-body) */
		fifo_push(s, CMD_DOT);
		s->fifo_sent++;
		return;
	}
	if (r->code / 100 != 4 && r->code / 100 != 5) {
		unexpected(s, "DATA", r);
		return;
	}
	if (!s->mail_failed && s->accepted == 0) {
		rcpt_verdict(s, 0);
		txn_end(s);
		return;
	}
	refused(s, r, THEN_DONE, "server refused DATA");
}

static void on_dot(struct smtp *s, const struct reply *r)
{
	int c = r->code / 100;

	if (c != 2 && c != 4 && c != 5) {
		unexpected(s, "the end of the message", r);
		return;
	}
	if (s->state == SMTP_ST_BODY) {
		if (c == 2) {
			unexpected(s, "a message not yet sent", r);
			return;
		}
		/* The server gave up while the body is still going out:
		 * the stream is out of step, so no QUIT, just close. */
		refused(s, r, THEN_CLOSE, "server rejected the message while it was being sent");
		return;
	}
	if (c == 2) {
		char q[QUOTE_MAX];

		s->delivered = 1;
		quote_reply(r, q, sizeof(q));
		free(s->final_reply);
		s->final_reply = xstrdup(q);
		rcpt_verdict(s, 1);
		txn_end(s);
		return;
	}
	refused(s, r, THEN_DONE, "server %s the message", c == 4 ? "did not accept" : "rejected");
}

/* The reply to BDAT n LAST: the last one of the flight, so the MAIL and
 * RCPT replies are in.  A refused MAIL or no accepted recipient makes the
 * server refuse the BDAT too; what counts then is why. */
static void on_bdat(struct smtp *s, const struct reply *r)
{
	int c = r->code / 100;

	if (c != 2 && c != 4 && c != 5) {
		unexpected(s, "BDAT", r);
		return;
	}
	if (s->state == SMTP_ST_BDAT) {
		if (s->mail_failed) {
			txn_end(s);
			return;
		}
		if (s->accepted == 0) {
			rcpt_verdict(s, 0);
			txn_end(s);
			return;
		}
	}
	/* otherwise as the final dot: delivered, refused, or a reply that
	 * came while the body was still going out */
	on_dot(s, r);
}

static void trace_reply(struct smtp *s, const struct reply *r)
{
	const char *t = r->text.data;
	struct buf l = BUF_INIT;
	size_t i;

	if (!s->trace)
		return;
	for (i = 0; i < r->nlines; i++) {
		size_t n = strcspn(t, "\n");

		buf_reset(&l);
		buf_addf(&l, "%03d", r->code);
		if (n || i + 1 < r->nlines)
			buf_add(&l, i + 1 < r->nlines ? "-" : " ", 1);
		buf_add(&l, t, n);
		trace_line(s, '<', l.data, l.len);
		t += n + (t[n] == '\n');
	}
	buf_release(&l);
}

/* The command each single-command phase awaits the reply to. */
static const enum cmd phase_cmd[] = {
	[SMTP_ST_GREETING] = CMD_GREETING,
	[SMTP_ST_EHLO] = CMD_EHLO,
	[SMTP_ST_HELO] = CMD_HELO,
	[SMTP_ST_STARTTLS] = CMD_STARTTLS,
	[SMTP_ST_AUTH] = CMD_AUTH,
	[SMTP_ST_QUIT] = CMD_QUIT,
};

/* One complete reply: the phase decides who handles it; inside a
 * transaction, the pipelined command it answers does. */
static void handle(struct smtp *s, const struct reply *r)
{
	enum cmd cmd = fifo_pop(s);

	s->replies++;
	trace_reply(s, r);
	switch (s->state) {
	case SMTP_ST_GREETING:
	case SMTP_ST_EHLO:
	case SMTP_ST_HELO:
	case SMTP_ST_STARTTLS:
	case SMTP_ST_AUTH:
	case SMTP_ST_QUIT:
		if (cmd != phase_cmd[s->state]) {
			fail(s, ERR_INTERNAL, "reply in %s to command %d (a bug)",
			     smtp_state_name(s->state), (int)cmd);
			hang_up(s);
			return;
		}
		break;
	default:
		break;
	}
	if (s->state == SMTP_ST_QUIT) {
		/* whatever it says, we are done */
		hang_up(s);
		return;
	}
	if (r->code == 421) {
		/* RFC 5321 3.8: the server is going away; no QUIT */
		refused(s, r, THEN_CLOSE, "server closing connection");
		return;
	}
	switch (s->state) {
	case SMTP_ST_GREETING:
		on_greeting(s, r);
		return;
	case SMTP_ST_EHLO:
		on_ehlo(s, r);
		return;
	case SMTP_ST_HELO:
		on_helo(s, r);
		return;
	case SMTP_ST_STARTTLS:
		on_starttls(s, r);
		return;
	case SMTP_ST_AUTH:
		on_auth(s, r);
		return;
	case SMTP_ST_DOT:
		if (cmd == CMD_DOT_EMPTY)
			txn_end(s);
		else
			on_dot(s, r);
		return;
	case SMTP_ST_TRANSACTION:
	case SMTP_ST_BODY:
	case SMTP_ST_BDAT:
		switch (cmd) {
		case CMD_RSET:
			on_rset(s, r);
			return;
		case CMD_MAIL:
			on_mail(s, r);
			return;
		case CMD_RCPT:
			on_rcpt(s, r);
			return;
		case CMD_DATA:
			on_data(s, r);
			return;
		case CMD_DOT:
			on_dot(s, r);
			return;
		case CMD_BDAT:
			on_bdat(s, r);
			return;
		default:
			break;
		}
		break;
	case SMTP_ST_TLS:
	case SMTP_ST_READY:
	case SMTP_ST_QUIT:
	case SMTP_ST_CLOSED:
		break;
	}
	fail(s, ERR_INTERNAL, "reply in %s to command %d (a bug)", smtp_state_name(s->state), (int)cmd);
	hang_up(s);
}

/* ---- public interface ---- */

/* Whether s holds a control character (a CR or LF would let the EHLO
 * name smuggle commands into the dialogue). */
static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

#define DSN_WORD "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* The caller validated the message; the engine checks again what would
 * break the dialogue (addresses carrying CRLF). */
static int check_message(struct smtp *s)
{
	const struct smtp_message *m = &s->msg;

	if (!m->from || addr_check_envelope(m->from, "envelope sender", &s->err) < 0)
		return m->from ? -1 : error_set(&s->err, ERR_INTERNAL, "no envelope sender");
	if (m->nrcpts == 0 || !m->rcpts)
		return error_set(&s->err, ERR_USAGE, "no recipients");
	for (size_t i = 0; i < m->nrcpts; i++)
		if (!m->rcpts[i] || addr_check_envelope(m->rcpts[i], "recipient", &s->err) < 0)
			return m->rcpts[i] ? -1 : error_set(&s->err, ERR_INTERNAL, "NULL recipient");
	/* the caller validated them (cli.c); these would break the line */
	if ((m->dsn_notify && (!*m->dsn_notify || strspn(m->dsn_notify, DSN_WORD ",") !=
			       strlen(m->dsn_notify))) ||
	    (m->dsn_ret && (!*m->dsn_ret || strspn(m->dsn_ret, DSN_WORD) != strlen(m->dsn_ret))) ||
	    (m->dsn_envid && (!*m->dsn_envid || strlen(m->dsn_envid) > 100)))
		return error_set(&s->err, ERR_INTERNAL, "invalid DSN parameter");
	return 0;
}

/* The same for the connection: what would break the dialogue or leak the
 * password. */
static int check_params(struct smtp *s)
{
	const struct smtp_params *p = &s->p;

	if (!p->ehlo_name || !*p->ehlo_name || has_ctl(p->ehlo_name))
		return error_set(&s->err, ERR_INTERNAL, "invalid EHLO name");
	if (p->auth == AUTH_EXTERNAL && p->tls == SMTP_TLS_OFF)
		return error_set(&s->err, ERR_CONFIG,
				 "auth = external logs in by the TLS client certificate: "
				 "it needs tls = starttls or implicit");
	if (sasl_mode_needs_password(p->auth)) {
		if (!p->user || !p->password)
			return error_set(&s->err, ERR_CONFIG,
					 "authentication needs a user and a password");
		if (p->tls == SMTP_TLS_OFF && !p->auth_without_tls)
			return error_set(&s->err, ERR_AUTH,
					 "refusing to send the password over an unencrypted "
					 "connection; set tls = starttls or implicit (or "
					 "auth_without_tls = yes)");
	}
	return 0;
}

/* Forget the last transaction and take m (NULL: none) as the current
 * one: everything smtp_result() and smtp_rcpt_*() describe starts afresh. */
static void txn_reset(struct smtp *s, const struct smtp_message *m)
{
	for (size_t i = 0; i < s->msg.nrcpts; i++)
		free(s->rcpt[i].reply);
	memset(&s->msg, 0, sizeof(s->msg));
	s->have_msg = m != NULL;
	if (m)
		s->msg = *m;
	free(s->rcpt);
	s->rcpt = xcalloc(s->msg.nrcpts ? s->msg.nrcpts : 1, sizeof(*s->rcpt));
	s->txn_next = 0;
	s->rset = 0;
	s->bdat = 0;
	s->mail_failed = 0;
	s->rcpt_replied = 0;
	s->accepted = 0;
	error_clear(&s->err);
	s->failed = 0;
	s->ok = 0;
	s->delivered = 0;
	free(s->final_reply);
	s->final_reply = NULL;
}

struct smtp *smtp_new(const struct smtp_params *p, smtp_trace_fn trace, void *ctx)
{
	struct smtp *s = xcalloc(1, sizeof(*s));

	s->p = *p;
	s->p.msg = NULL;	/* copied into s->msg: the caller's struct may go */
	s->state = SMTP_ST_GREETING;
	reply_parser_init(&s->rp);
	reply_init(&s->reply);
	buf_init_secret(&s->out);
	s->trace = trace;
	s->trace_ctx = ctx;
	txn_reset(s, p->msg);
	s->tls_active = p->tls == SMTP_TLS_IMPLICIT;
	if (check_params(s) < 0 || (s->have_msg && check_message(s) < 0)) {
		/* refuse before a single byte is exchanged */
		s->failed = 1;
		set_state(s, SMTP_ST_CLOSED);
		return s;
	}
	fifo_push(s, CMD_GREETING);
	s->fifo_sent = 1;	/* the server speaks first */
	return s;
}

void smtp_free(struct smtp *s)
{
	if (!s)
		return;
	reply_parser_release(&s->rp);
	reply_release(&s->reply);
	buf_release(&s->out);
	sasl_release(&s->sasl);
	free(s->fifo);
	for (size_t i = 0; i < s->msg.nrcpts; i++)
		free(s->rcpt[i].reply);
	free(s->rcpt);
	free(s->final_reply);
	free(s);
}

enum smtp_want smtp_next(struct smtp *s)
{
	if (s->state == SMTP_ST_CLOSED)
		return SMTP_WANT_CLOSE;
	if (s->out.len > 0)
		return SMTP_WANT_WRITE;
	if (s->state == SMTP_ST_TLS)
		return SMTP_WANT_TLS;
	if (s->state == SMTP_ST_BODY)
		return SMTP_WANT_BODY;
	if (s->state == SMTP_ST_READY)
		return SMTP_WANT_NEXT;
	return SMTP_WANT_READ;
}

const char *smtp_output(const struct smtp *s, size_t *len)
{
	*len = s->out.len;
	return s->out.data;
}

void smtp_output_done(struct smtp *s)
{
	buf_reset(&s->out);	/* a secret buffer: an AUTH response is wiped */
	s->fifo_sent = s->fifo_len;
}

void smtp_input(struct smtp *s, const char *buf, size_t len)
{
	struct error e;

	error_clear(&e);
	while (len > 0 && s->state != SMTP_ST_CLOSED) {
		size_t used = 0;
		int rc;

		if (s->state == SMTP_ST_TLS) {
			fail(s, ERR_PROTOCOL, "%s", injection_msg);
			hang_up(s);
			return;
		}
		if (s->fifo_sent == 0) {
			fail(s, ERR_PROTOCOL, "server sent data while no reply was awaited "
			       "(in state %s)", smtp_state_name(s->state));
			hang_up(s);
			return;
		}
		rc = reply_parse(&s->rp, buf, len, &used, &s->reply, &e);
		if (rc < 0) {
			fail(s, ERR_PROTOCOL, "%s", e.msg);
			hang_up(s);
			return;
		}
		buf += used;
		len -= used;
		if (rc == 0)
			break;
		handle(s, &s->reply);
		/* RFC 3207 5: nothing may follow the 220 before the
		 * handshake; whatever does was injected in cleartext */
		if (s->state == SMTP_ST_TLS && (len > 0 || reply_parser_pending(&s->rp))) {
			fail(s, ERR_PROTOCOL, "%s", injection_msg);
			hang_up(s);
			return;
		}
	}
}

void smtp_tls_done(struct smtp *s)
{
	if (s->state != SMTP_ST_TLS)
		return;
	s->tls_active = 1;
	/* RFC 3207 4.2: forget everything learned in cleartext */
	memset(&s->caps, 0, sizeof(s->caps));
	reply_parser_release(&s->rp);
	reply_parser_init(&s->rp);
	send_ehlo(s);
}

enum smtp_body_mode smtp_body_mode(const struct smtp *s)
{
	return s->bdat ? SMTP_BODY_RAW : SMTP_BODY_DOT;
}

int smtp_body_follows(const struct smtp *s)
{
	return s->state == SMTP_ST_BODY && s->bdat && s->out.len > 0;
}

void smtp_body_done(struct smtp *s)
{
	if (s->state == SMTP_ST_BODY)
		set_state(s, s->bdat ? SMTP_ST_BDAT : SMTP_ST_DOT);
}

void smtp_abort(struct smtp *s, const struct error *cause)
{
	if (!s->failed && !s->ok) {
		s->err = *cause;
		if (s->err.cls == ERR_NONE)
			s->err.cls = ERR_TEMP;
		s->failed = 1;
	}
	hang_up(s);
}

void smtp_next_message(struct smtp *s, const struct smtp_message *m)
{
	enum smtp_state was = s->state;

	txn_reset(s, m);
	if (was != SMTP_ST_READY || !m) {
		fail(s, ERR_INTERNAL, was == SMTP_ST_CLOSED || was == SMTP_ST_QUIT ?
		     "the connection is closed (it failed or ended earlier); no message can "
		     "be sent on it" : "no message can be sent now (in state %s; a bug)",
		     smtp_state_name(was));
		hang_up(s);
		return;
	}
	if (check_message(s) < 0) {
		/* nothing sent: the connection stays ready */
		s->failed = 1;
		return;
	}
	txn_start(s);
}

void smtp_quit(struct smtp *s)
{
	if (s->state == SMTP_ST_READY)
		send_quit(s);
	else if (s->state != SMTP_ST_QUIT && s->state != SMTP_ST_CLOSED)
		hang_up(s);
}

int smtp_result(const struct smtp *s, struct error *e)
{
	if (s->failed) {
		if (e)
			*e = s->err;
		return -1;
	}
	if (s->ok)
		return 0;
	return error_set(e, ERR_PROTOCOL, "the SMTP session ended early (in state %s)",
			 smtp_state_name(s->state));
}

int smtp_delivered(const struct smtp *s)
{
	return s->delivered;
}

const char *smtp_final_reply(const struct smtp *s)
{
	return s->final_reply;
}

int smtp_dsn_ignored(const struct smtp *s)
{
	const struct smtp_message *m = &s->msg;

	return s->have_msg && !s->caps.dsn && (m->dsn_notify || m->dsn_ret || m->dsn_envid);
}

enum smtp_state smtp_get_state(const struct smtp *s)
{
	return s->state;
}

int smtp_quit_sent(const struct smtp *s)
{
	return s->state == SMTP_ST_QUIT && s->out.len == 0;
}

int smtp_awaiting_greeting(const struct smtp *s)
{
	return s->state == SMTP_ST_GREETING;
}

unsigned long smtp_reply_count(const struct smtp *s)
{
	return s->replies;
}

uint64_t smtp_wire_size(const struct smtp *s)
{
	return s->msg.wire_size;
}

int smtp_rcpt_code(const struct smtp *s, size_t i)
{
	return i < s->msg.nrcpts ? s->rcpt[i].code : 0;
}

const char *smtp_rcpt_reply(const struct smtp *s, size_t i)
{
	return i < s->msg.nrcpts ? s->rcpt[i].reply : NULL;
}

const struct smtp_caps *smtp_get_caps(const struct smtp *s)
{
	return &s->caps;
}
