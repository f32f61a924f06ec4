/* session.h - the only glue: drives one SMTP engine over one connection
 * (conn, tls) and streams the spooled message through dotstuff. */
#ifndef POSTERN_SESSION_H
#define POSTERN_SESSION_H

#include <stdint.h>

#include <openssl/x509.h>

#include "config.h"
#include "conn.h"
#include "error.h"
#include "input.h"
#include "smtp.h"
#include "util.h"

/* Reaching the account's server: its fixed port, or the race of port =
 * auto, directly or through its proxy.  Also for `postern doctor`:
 * session_dial_init(), then session_dial_next() for a connection (again
 * for the next one of a race, when the last did not work), then
 * session_dial_worked() once one did, then session_dial_release(). */
struct tls_ctx;

struct session_dial {
	const struct account *a;	/* borrowed */
	struct conn_race race;
	int started;			/* a connection was asked for */
	unsigned remembered;		/* port = auto: the port that worked last time */
	unsigned port;			/* of the connection handed out last */
	enum account_tls tls;		/* what that port speaks */
	long long connected_at;		/* now_ms() once TCP (or the proxy) was
					 * through, before any TLS: doctor's timings */
	struct error first;		/* port = auto: the first port's failure */
};

/* A dial for the account a (borrowed until _release); connects nothing. */
void session_dial_init(struct session_dial *d, const struct account *a);

/* Connect c (conn_init'ed or closed) to the account's server, and on an
 * implicit-TLS port run the handshake with tls (a context for the
 * account); d->port and d->tls then say what c is.  A fixed port is tried
 * once.  With port = auto the race hands out its connections one by one:
 * a failed handshake moves to the next port by itself, a later failure
 * (greeting, STARTTLS) is the caller's to report with
 * session_dial_failed() before asking for the next.  Errors: those of
 * conn_connect(), proxy_connect(), tls_start(); with port = auto, when no
 * port is left, the first failure with each port's cause. */
int session_dial_next(struct session_dial *d, struct tls_ctx *tls, struct conn *c,
		      struct error *e);

/* The connection handed out last did not work (e says why): kept for the
 * message if no other port works. */
void session_dial_failed(struct session_dial *d, const struct error *e);

/* It worked: with port = auto, close the connections of the race that are
 * not needed and remember the port for next time. */
void session_dial_worked(struct session_dial *d);

/* Close the race's connections that were not handed out; free. */
void session_dial_release(struct session_dial *d);

struct envelope {
	const char *from;		/* "" for the null sender */
	struct strvec rcpts;
	uint64_t size;			/* wire octets, for SIZE= */
	int eightbit;
	int utf8_headers;		/* SMTPUTF8 when offered (smtp.h) */
	const char *dsn_notify;		/* -N, -R, -V as cli.c validated them; */
	const char *dsn_ret;		/* NULL = not asked */
	const char *dsn_envid;
};

/* One envelope recipient's RCPT reply in a transaction. */
struct session_rcpt {
	int code;			/* 0 = no reply that counts: the transaction
					 * ended before (a refused MAIL, a lost
					 * connection); then the error's class is
					 * the recipient's fate */
	char *reply;			/* "550 5.1.1 text", escaped, owned; NULL
					 * when code is 0 */
};

/* Outcome of one transaction, for the caller's report and for a queue
 * that retries only the recipients that got a 4xx.  A 2xx code means the
 * server took the recipient; the message reached it only if delivered. */
struct session_report {
	int delivered;			/* the server took the message (for some) */
	struct strvec refused;		/* "rcpt: 550 5.1.1 reply" per refused one */
	struct session_rcpt *rcpt;	/* one per envelope recipient, in order */
	size_t nrcpts;
	char *reply;			/* the reply that accepted the message
					 * (escaped, owned), NULL if none */
	int dsn_ignored;		/* DSN was asked, the server has none */
};

/* A report holds nothing after _init; a session call that fills it
 * releases what it held first, so one report may serve many messages. */
void session_report_init(struct session_report *r);
void session_report_release(struct session_report *r);

/* The name to give in EHLO: the account's ehlo_name, this machine's fully
 * qualified name, or "localhost".  Caller frees. */
char *session_ehlo_name(const struct account *a);

/* Submit the message in sp to the account's server over a connection of
 * its own, then QUIT.  password is borrowed (may be NULL when auth is
 * off).  Returns 0 when the server accepted it for every recipient; -1
 * with e filled otherwise (r says whether it was delivered to some, and
 * what each recipient got). */
int session_send(const struct account *a, const char *password, const char *ehlo_name,
		 const struct envelope *env, struct spool *sp, struct session_report *r,
		 struct error *e);

/* Connect, EHLO, TLS and AUTH as for a message, then QUIT: whether the
 * account's server and password work.  Returns 0, or -1 with e. */
int session_verify(const struct account *a, const char *password, const char *ehlo_name,
		   struct error *e);

/* What session_check() saw, step by step, however far it got: for
 * `postern doctor`.  Times are milliseconds, -1 for a step not reached. */
struct session_probe {
	long long connect_ms;		/* TCP connect */
	long long tls_ms;		/* the handshake; with STARTTLS from the
					 * connection to the end of the handshake
					 * (greeting, EHLO, STARTTLS included) */
	long long ehlo_ms;		/* the EHLO after TLS (or the only one) */
	long long auth_ms;		/* AUTH, to its final reply */
	int greeted;			/* the server's 220 greeting arrived */
	int tls_up;			/* the handshake completed and verified */
	int have_caps;			/* caps is the reply to that EHLO */
	struct smtp_caps caps;
	X509 *cert;			/* owned: the server's certificate, even when
					 * verification refused it; NULL if none came
					 * (untrusted text inside) */
	int cert_error;			/* X509_V_ERR_ code of the refusal, 0 if none */
};

void session_probe_init(struct session_probe *p);
void session_probe_release(struct session_probe *p);

/* session_verify(), filling p (released first) with what each step saw:
 * connect, TLS and the certificate, EHLO's capabilities, AUTH.  No mail
 * is sent.  Returns 0 when the account's server and password work, or -1
 * with e as session_verify() fills it. */
int session_check(const struct account *a, const char *password, const char *ehlo_name,
		  struct session_probe *p, struct error *e);

/* A connection that carries many messages (a queue run): session_open(),
 * then session_deliver() for each message while session_usable(), then
 * session_close().  Each message after the first goes out after RSET.
 *
 * Deadlines: every reply and every write has the account's timeout (ten
 * minutes at least for the reply to the end of the data); on top, each
 * step (the opening, each message) must be over within its own ceiling of
 * max(20 min, 3 x timeout), plus one second per 8 KiB of that message.
 * The ceiling is per message, not for the whole connection, so that a long
 * queue run on a slow but live server is not cut off in the middle; the
 * caller bounds the run as a whole if it needs to. */
struct session;

/* Connect to the account's server, TLS, EHLO and AUTH: on success *out is
 * a session ready for session_deliver() (the caller's, for
 * session_close()).  Fails (-1 with e, *out NULL) with the errors and
 * messages session_send() gives for those steps.  password and ehlo_name
 * are borrowed for this call only: AUTH is over when it returns.  a is
 * borrowed until session_close(). */
int session_open(struct session **out, const struct account *a, const char *password,
		 const char *ehlo_name, struct error *e);

/* One transaction on the session: the message in sp with the envelope env
 * (both borrowed for this call).  Returns 0 when the server accepted it
 * for every recipient; -1 with e filled otherwise, r saying whether it was
 * delivered to some and what each recipient got (r may be NULL).  After
 * a failure, session_usable() says whether the connection can still carry
 * a message: a refused message leaves it usable, a 421, a timeout or a
 * broken dialogue does not.  On a session that is not usable it fails at
 * once (ERR_TEMP) without sending anything. */
int session_deliver(struct session *ss, const struct envelope *env, struct spool *sp,
		    struct session_report *r, struct error *e);

/* 1 when another message may be sent on ss, 0 when the connection is gone
 * (NULL is not usable). */
int session_usable(const struct session *ss);

/* QUIT if the connection is usable (without waiting for the 221), close,
 * free.  NULL is a no-op. */
void session_close(struct session *ss);

#endif
