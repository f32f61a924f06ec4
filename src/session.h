/* session.h - the only glue: drives one SMTP engine over one connection
 * (conn, tls) and streams the spooled message through dotstuff. */
#ifndef POSTERN_SESSION_H
#define POSTERN_SESSION_H

#include <stdint.h>

#include "config.h"
#include "error.h"
#include "input.h"
#include "util.h"

struct envelope {
	const char *from;		/* "" for the null sender */
	struct strvec rcpts;
	uint64_t size;			/* wire octets, for SIZE= */
	int eightbit;
};

/* Outcome per recipient, for the caller's report. */
struct session_report {
	int delivered;			/* the server took the message (for some) */
	struct strvec refused;		/* "rcpt: 550 5.1.1 reply" per refused one */
};

void session_report_init(struct session_report *r);
void session_report_release(struct session_report *r);

/* The name to give in EHLO: the account's ehlo_name, this machine's fully
 * qualified name, or "localhost".  Caller frees. */
char *session_ehlo_name(const struct account *a);

/* Submit the message in sp to the account's server.  password is borrowed
 * (may be NULL when auth is off).  Returns 0 when the server accepted it
 * for every recipient; -1 with e filled otherwise (r says whether it was
 * delivered to some). */
int session_send(const struct account *a, const char *password, const char *ehlo_name,
		 const struct envelope *env, struct spool *sp, struct session_report *r,
		 struct error *e);

/* Connect, EHLO, TLS and AUTH as for a message, then QUIT: whether the
 * account's server and password work.  Returns 0, or -1 with e. */
int session_verify(const struct account *a, const char *password, const char *ehlo_name,
		   struct error *e);

#endif
