/* auth.h - SASL mechanisms as step functions: a challenge in, a response
 * out.  No I/O, no base64 on the wire (the SMTP engine does that), and
 * the password is borrowed, never copied except into a response buffer that
 * the caller wipes. */
#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include <stddef.h>

#include "error.h"
#include "util.h"

enum sasl_mech {
	SASL_NONE = 0,
	SASL_PLAIN,
	SASL_LOGIN,
};

/* What the configuration asks for (`auth = ...`). */
enum auth_mode {
	AUTH_OFF = 0,
	AUTH_ON,	/* the best mechanism the server offers */
	AUTH_PLAIN,
	AUTH_LOGIN,
};

/* "PLAIN", "LOGIN", ... */
const char *sasl_mech_name(enum sasl_mech m);

/* Choose the mechanism for mode from the server's AUTH keyword list
 * (space-separated, untrusted).  AUTH_ON prefers PLAIN, then LOGIN.
 * Returns 0, or -1 with ERR_AUTH naming what was wanted and what was
 * offered. */
int sasl_choose(enum auth_mode mode, const char *offered, enum sasl_mech *out,
		struct error *e);

struct sasl {
	enum sasl_mech mech;
	const char *user;	/* borrowed */
	const char *pass;	/* borrowed */
	int step;
};

void sasl_init(struct sasl *s, enum sasl_mech mech, const char *user, const char *pass);

/* The initial response, raw (not base64).  Returns 1 and fills out if the
 * mechanism has one (PLAIN: "\0user\0pass"), 0 if it has none (LOGIN). */
int sasl_initial(struct sasl *s, struct buf *out);

/* Answer a decoded 334 challenge (untrusted) with a raw response in out.
 * Returns 0, or -1 with ERR_AUTH/ERR_PROTOCOL for an unexpected challenge. */
int sasl_step(struct sasl *s, const unsigned char *chal, size_t len, struct buf *out,
	      struct error *e);

/* Base64 (RFC 4648, no line breaks) with OpenSSL.  decode returns -1 for
 * malformed input.  Results appended to out. */
void b64_encode(const void *in, size_t len, struct buf *out);
int b64_decode(const char *in, size_t len, struct buf *out);

#endif
