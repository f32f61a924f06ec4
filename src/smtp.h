/* smtp.h - the SMTP submission protocol engine (RFC 5321, 3207, 4954, 2920,
 * 1870, 6152, 3030).  Bytes in, bytes out, events: no sockets, no files, no argv,
 * no idea where the password came from.  session.c drives it; the transcript
 * tests feed it server replies directly.
 *
 * The caller loops on smtp_next():
 *   SMTP_WANT_WRITE  write all of smtp_output() in one write, then
 *                    smtp_output_done()
 *   SMTP_WANT_READ   read server bytes and pass them to smtp_input()
 *   SMTP_WANT_TLS    run the TLS handshake on the connection, then
 *                    smtp_tls_done()
 *   SMTP_WANT_BODY   send the message in the form smtp_body_mode() names,
 *                    then smtp_body_done()
 *   SMTP_WANT_NEXT   (keep_open only) the connection is ready and idle:
 *                    give the next message with smtp_next_message(), or
 *                    end with smtp_quit(); smtp_result() says how the last
 *                    transaction went
 *   SMTP_WANT_CLOSE  finished; smtp_result() says how it went
 *
 * One connection, one or many messages.  Without keep_open the engine
 * sends the message of the params (if any) and QUITs.  With keep_open it
 * stops at SMTP_WANT_NEXT after AUTH when no message was given, and after
 * every transaction that ended with the dialogue still in step: a message
 * refused at MAIL, at every RCPT, at DATA or at the end of the data (or
 * too large for SIZE) is that transaction's failure, and the next message
 * may follow.  A failure of the connection itself (421, a protocol error,
 * an injection, smtp_abort(), a server that answered in the middle of the
 * body) ends in SMTP_WANT_CLOSE.  So, driven on after a transaction, the
 * engine reaches SMTP_WANT_NEXT ("usable") or SMTP_WANT_CLOSE ("gone").
 * Every message after the first on a connection starts with RSET, in the
 * same flight as MAIL, RCPT... and DATA when the server pipelines (RFC
 * 2920 3.1 lets RSET sit anywhere in a group); a server that refuses RSET
 * has that message judged by the replies behind it, then gets QUIT.
 *
 * Policy lives here, not in the caller: STARTTLS required when asked for
 * (missing or refused means stop, never continue in cleartext); bytes
 * buffered after the 220 to STARTTLS are an injection attack; capabilities
 * learned before TLS are discarded and EHLO is sent again; no AUTH and no
 * message in cleartext unless the params say so.
 *
 * The message goes out one of two ways.  DATA: MAIL, RCPT... and DATA (one
 * flight with PIPELINING), the 354, then the dot-stuffed body and ".\r\n".
 * BDAT (RFC 3030), when the server offers CHUNKING and PIPELINING and the
 * exact wire size is known: MAIL, RCPT... and "BDAT n LAST" in one flight,
 * the n octets of the message right behind it with no reply in between,
 * then the replies to all of them; this saves the 354 round trip.  Then
 * SMTP_WANT_BODY follows the SMTP_WANT_WRITE of that flight at once, and
 * smtp_body_follows() says so before the flight is written, so the caller
 * may send both in one write. */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "sasl.h"
#include "error.h"
#include "reply.h"
#include "util.h"

enum smtp_tls {
	SMTP_TLS_OFF = 0,	/* cleartext: only with explicit configuration */
	SMTP_TLS_STARTTLS,	/* RFC 3207, required */
	SMTP_TLS_IMPLICIT,	/* RFC 8314: the connection is TLS from the start */
};

/* One message's envelope and sizes.  The pointers are borrowed until the
 * transaction carrying the message has ended (the next SMTP_WANT_NEXT or
 * SMTP_WANT_CLOSE); the engine copies the struct itself. */
struct smtp_message {
	const char *from;		/* envelope sender, "" for <> */
	const char *const *rcpts;	/* envelope recipients */
	size_t nrcpts;
	uint64_t size;			/* octets of the message on the wire (SIZE=) */
	uint64_t wire_size;		/* exact octets of the message with CRLF line
					 * ends, not dot-stuffed (BDAT); 0 = not
					 * known: DATA only */
	int eightbit;			/* declare BODY=8BITMIME when offered */
	int utf8_headers;		/* the header has UTF-8: declare SMTPUTF8
					 * when offered (RFC 6531 3.4).  UTF-8 in
					 * an address needs it: a server without
					 * it fails the transaction before MAIL
					 * (ERR_DATA), as SIZE does */
	/* DSN (RFC 3461), sent only when the server offers DSN; NULL = not
	 * asked.  notify: "NEVER" or a comma list of SUCCESS, FAILURE,
	 * DELAY (NOTIFY= on each RCPT); ret: "FULL" or "HDRS"; envid: up
	 * to 100 printable ASCII characters, xtext-encoded here (ENVID=). */
	const char *dsn_notify;
	const char *dsn_ret;
	const char *dsn_envid;
};

/* How the connection is set up, and its first message.  Three uses:
 *   msg, !keep_open    one message, then QUIT (sendmail)
 *   !msg, !keep_open   connect, TLS, AUTH, then QUIT: whether the account
 *                      works (postern password check)
 *   keep_open          as many messages as the caller gives, starting with
 *                      msg if any (a queue run) */
struct smtp_params {
	const char *ehlo_name;		/* validated by the caller */
	enum smtp_tls tls;
	enum auth_mode auth;
	int auth_without_tls;		/* config allowed AUTH over cleartext */
	const char *user;		/* borrowed */
	const char *password;		/* borrowed; the engine wipes its copies */
	const struct smtp_message *msg;	/* the first message; NULL = none */
	int keep_open;			/* SMTP_WANT_NEXT instead of QUIT after a
					 * transaction, or after AUTH without msg */
	const char *sasl_nonce;		/* tests only: fixed SCRAM client nonce; NULL = random */
};

enum smtp_want {
	SMTP_WANT_READ,
	SMTP_WANT_WRITE,
	SMTP_WANT_TLS,
	SMTP_WANT_BODY,
	SMTP_WANT_CLOSE,
	SMTP_WANT_NEXT,
};

/* How SMTP_WANT_BODY wants the message sent. */
enum smtp_body_mode {
	SMTP_BODY_DOT,	/* after DATA: CRLF line ends, dot-stuffed, then ".\r\n" */
	SMTP_BODY_RAW,	/* after BDAT: CRLF line ends, exactly wire_size octets,
			 * no dot-stuffing, no terminator */
};

/* What the server offered in its (last) EHLO reply. */
struct smtp_caps {
	int esmtp;		/* EHLO worked (else HELO) */
	int starttls;
	int pipelining;
	int eightbitmime;
	int smtputf8;
	int chunking;
	int dsn;
	int size;		/* SIZE offered */
	uint64_t size_max;	/* 0 = no limit stated */
	char auth[256];		/* AUTH mechanisms, space-separated, "" if none */
};

/* The phases of the conversation.  Each reply is handled by the phase it
 * arrives in (in TRANSACTION, BODY and BDAT by the pipelined command it
 * answers); every change is traced as "OLD -> NEW". */
enum smtp_state {
	SMTP_ST_GREETING,	/* waiting for the server's 220 */
	SMTP_ST_EHLO,
	SMTP_ST_HELO,		/* EHLO refused and nothing needs an extension */
	SMTP_ST_STARTTLS,
	SMTP_ST_TLS,		/* the caller runs the handshake; no byte may arrive */
	SMTP_ST_AUTH,		/* AUTH sent, 334 challenges until 235 */
	SMTP_ST_TRANSACTION,	/* MAIL, RCPT..., DATA */
	SMTP_ST_BODY,		/* the caller sends the message */
	SMTP_ST_DOT,		/* waiting for the reply to the final dot */
	SMTP_ST_BDAT,		/* message sent after BDAT: replies to the flight */
	SMTP_ST_READY,		/* keep_open: idle between messages */
	SMTP_ST_QUIT,		/* QUIT queued or sent: the outcome is decided */
	SMTP_ST_CLOSED,		/* nothing more to say or read */
};

/* Called for every protocol line: dir '<' from the server, '>' to it, '='
 * a change of state ("EHLO -> STARTTLS").  AUTH payloads are already
 * replaced by "<redacted>"; the line has no line end. */
typedef void (*smtp_trace_fn)(void *ctx, char dir, const char *line, size_t len);

/* The engine for one connection; opaque: the caller asks it questions. */
struct smtp;

/* Start an engine for one connection.  p itself is copied; ehlo_name,
 * user and password are borrowed until EHLO and AUTH are over (the engine
 * forgets them when its first transaction starts or at the first
 * SMTP_WANT_NEXT; should it close before, until it closes); p->msg's
 * pointers as smtp_message says.
 * trace may be NULL.  Invalid params (a sender or recipient that could
 * break the dialogue, AUTH without a password, AUTH in cleartext not
 * allowed) make an engine that is closed at once, its result the reason.
 * smtp_free(NULL) does nothing. */
struct smtp *smtp_new(const struct smtp_params *p, smtp_trace_fn trace, void *ctx);
void smtp_free(struct smtp *s);

enum smtp_want smtp_next(struct smtp *s);

/* Bytes to write now (valid until the next call into the engine). */
const char *smtp_output(const struct smtp *s, size_t *len);
void smtp_output_done(struct smtp *s);

/* Feed bytes read from the server (untrusted).  The engine consumes all of
 * them; bytes that arrive when none may (after the 220 to STARTTLS, or
 * before a reply is awaited) make it fail with ERR_PROTOCOL. */
void smtp_input(struct smtp *s, const char *buf, size_t len);

/* The TLS handshake after STARTTLS succeeded. */
void smtp_tls_done(struct smtp *s);

/* In which form SMTP_WANT_BODY wants the message (see the enum). */
enum smtp_body_mode smtp_body_mode(const struct smtp *s);

/* 1 when the output now pending (SMTP_WANT_WRITE) is the BDAT flight, to
 * be followed directly by the body with no read in between: the caller may
 * hold the output back and send it together with the start of the body
 * (one write, one TCP segment for a small message).  0 otherwise. */
int smtp_body_follows(const struct smtp *s);

/* The caller has written the whole body (and, in DOT mode, its terminator). */
void smtp_body_done(struct smtp *s);

/* The connection failed or timed out underneath the engine: record it
 * (cls/msg describe the cause); smtp_next() then returns SMTP_WANT_CLOSE. */
void smtp_abort(struct smtp *s, const struct error *cause);

/* After SMTP_WANT_NEXT: start a transaction for m (see smtp_message for
 * its lifetime); the first one on a connection goes without RSET, every
 * later one with.  A message the engine refuses before sending anything (a
 * sender or recipient that could break the dialogue, too large for the
 * server's SIZE) fails at once: smtp_next() says SMTP_WANT_NEXT again and
 * smtp_result() has why.  Called in any other state (a bug of the caller),
 * the transaction fails with ERR_INTERNAL and the engine closes. */
void smtp_next_message(struct smtp *s, const struct smtp_message *m);

/* End the connection: after SMTP_WANT_NEXT, QUIT (smtp_result() keeps
 * describing the last transaction); in the middle of anything else, just
 * close (SMTP_WANT_CLOSE; nothing can be said cleanly).  Does nothing once
 * QUIT is queued or the engine is closed. */
void smtp_quit(struct smtp *s);

/* The outcome of the last transaction, or, before any message was given,
 * of the session's start (connect, TLS, AUTH).  Once SMTP_WANT_NEXT or
 * SMTP_WANT_CLOSE is reached: 0 when the message was accepted for every
 * recipient (with no message: the session got ready, e.g. authentication
 * succeeded); otherwise -1 with e filled.  A failure of the connection
 * after a transaction succeeded does not undo that success.  If some
 * recipients were refused and others accepted, the message was delivered
 * to those (smtp_delivered() is true) and the class is ERR_NOUSER, or
 * ERR_TEMP when every refusal was a 4xx; each refusal is in
 * smtp_rcpt_code().  With nothing delivered, all recipients refused is
 * ERR_NOUSER, or ERR_TEMP if any refusal was a 4xx.  smtp_delivered():
 * the last transaction's message reached some recipient. */
int smtp_result(const struct smtp *s, struct error *e);
int smtp_delivered(const struct smtp *s);

/* Questions the caller may ask. */

/* The current phase, and a name for it ("GREETING", "TRANSACTION"...) for
 * messages and traces: decisions are made on the enum, never the name. */
enum smtp_state smtp_get_state(const struct smtp *s);
const char *smtp_state_name(enum smtp_state st);

/* 1 once QUIT has been written: the outcome is decided, and waiting for
 * the 221 would cost a round trip and tell nothing. */
int smtp_quit_sent(const struct smtp *s);

/* 1 while the server's greeting is awaited. */
int smtp_awaiting_greeting(const struct smtp *s);

/* Replies handled so far: a caller's per-reply deadline starts again when
 * this grows. */
unsigned long smtp_reply_count(const struct smtp *s);

/* The exact octets the body must have in SMTP_BODY_RAW mode (BDAT). */
uint64_t smtp_wire_size(const struct smtp *s);

/* In the last transaction, recipient i's RCPT reply: its code (0 = no
 * reply that counts: none yet, or one after a refused MAIL, which says
 * nothing about the recipient) and the reply quoted for messages
 * ("550 5.1.1 text", escaped; NULL if none). */
int smtp_rcpt_code(const struct smtp *s, size_t i);
const char *smtp_rcpt_reply(const struct smtp *s, size_t i);

/* The reply that accepted the last transaction's message ("250 2.0.0 Ok:
 * queued as X", escaped, as smtp_rcpt_reply), or NULL when it was not
 * accepted. */
const char *smtp_final_reply(const struct smtp *s);

/* 1 when the last transaction asked for DSN (notify, ret or envid) and
 * the server does not offer it: the request was left out. */
int smtp_dsn_ignored(const struct smtp *s);

/* What the server offered in its last EHLO reply. */
const struct smtp_caps *smtp_get_caps(const struct smtp *s);

#endif
