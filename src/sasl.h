/* sasl.h - SASL mechanisms as step functions: a challenge in, a response
 * out.  No I/O, no base64 on the wire (the SMTP engine does that), and
 * the password is borrowed, never copied except into a response buffer that
 * the caller wipes, or (SCRAM) into state that sasl_release() wipes. */
#ifndef POSTERN_SASL_H
#define POSTERN_SASL_H

#include <stddef.h>

#include "error.h"
#include "util.h"

enum sasl_mech {
	SASL_NONE = 0,
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_CRAM_MD5,
	SASL_SCRAM_SHA_1,
	SASL_SCRAM_SHA_256,
	SASL_XOAUTH2,
	SASL_OAUTHBEARER,
	SASL_EXTERNAL,		/* RFC 4422 appendix A: the TLS client certificate */
};

/* What the configuration asks for (`auth = ...`). */
enum auth_mode {
	AUTH_OFF = 0,
	AUTH_ON,	/* the best mechanism the server offers */
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,		/* only when named: MD5, and the server keeps the password */
	AUTH_SCRAM_SHA_1,
	AUTH_SCRAM_SHA_256,
	AUTH_XOAUTH2,		/* the password is an OAuth 2 access token */
	AUTH_OAUTHBEARER,	/* RFC 7628; the password is the access token */
	AUTH_EXTERNAL,		/* the TLS client certificate (tls_cert_file); no password */
};

/* "PLAIN", "SCRAM-SHA-256", ... (as on the wire) */
const char *sasl_mech_name(enum sasl_mech m);

/* The configuration's names of the modes ("off", "on", "plain", ...,
 * "scram-sha-256", "oauthbearer"): the one table of mechanism names. */
const char *sasl_mode_name(enum auth_mode m);
/* auth = NAME (case-insensitive) into *out.  Returns 0, or -1 if NAME is
 * no mode. */
int sasl_mode_parse(const char *name, enum auth_mode *out);
/* Every mode's name, comma-separated, for messages. */
#define SASL_MODE_LIST "on, off, plain, login, scram-sha-256, scram-sha-1, cram-md5, " \
	"xoauth2, oauthbearer, external"

/* Whether mode sends a password (or token): every mode but off and
 * external, whose credential is the TLS client certificate.  Where this
 * is 0 no password source is asked (no keyring, no prompt). */
int sasl_mode_needs_password(enum auth_mode m);

/* Choose the mechanism for mode from the server's AUTH keyword list
 * (space-separated, untrusted).  AUTH_ON prefers SCRAM-SHA-256, then
 * SCRAM-SHA-1, PLAIN, LOGIN; it never picks CRAM-MD5 or the OAuth ones,
 * which must be named.  Returns 0, or -1 with ERR_AUTH naming what was
 * wanted and what was offered (and which auth = setting would work). */
int sasl_choose(enum auth_mode mode, const char *offered, enum sasl_mech *out,
		struct error *e);

/* SCRAM: the most PBKDF2 iterations a server may ask for.  A hostile
 * server could otherwise make us burn CPU for minutes. */
#define SASL_SCRAM_ITER_MAX 100000

/* Client nonce length in characters (printable base64 of random bytes). */
#define SASL_SCRAM_NONCE_LEN 32

struct sasl {
	enum sasl_mech mech;
	const char *user;	/* borrowed */
	const char *pass;	/* borrowed */
	int step;
	int done;		/* SCRAM: server signature verified */
	/* SCRAM: the client nonce, and while the exchange runs the
	 * client-first-bare message, then the AuthMessage */
	char nonce[SASL_SCRAM_NONCE_LEN + 1];
	int fixed_nonce;	/* nonce set by sasl_set_nonce() */
	struct buf msg;
	char *prep_pass;	/* SASLprep'd password (wiped, freed) */
	unsigned char server_sig[64];	/* expected ServerSignature (wiped) */
	size_t server_sig_len;
	/* OAuth: what the error continuation said, "" if none */
	char oauth_status[64];
};

/* Start an exchange.  s needs no prior initialisation; sasl_release()
 * frees what the exchange allocated (SCRAM state) and wipes it. */
void sasl_init(struct sasl *s, enum sasl_mech mech, const char *user, const char *pass);
void sasl_release(struct sasl *s);

/* Tests only: use nonce (printable, no ',', at most SASL_SCRAM_NONCE_LEN
 * characters) as the SCRAM client nonce instead of a random one.  Call
 * after sasl_init(). */
void sasl_set_nonce(struct sasl *s, const char *nonce);

/* The initial response, raw (not base64).  Returns 1 and fills out if the
 * mechanism has one (PLAIN: "\0user\0pass"; EXTERNAL: the authorization
 * identity, user, or nothing, which goes out as "="), 0 if it has none (LOGIN,
 * CRAM-MD5), -1 with ERR_CONFIG when user or password cannot be used
 * (SASLprep refuses them, control characters in an OAuth token), or
 * ERR_INTERNAL when no random nonce can be had.  If the caller does not
 * send it inline, it calls sasl_release() and sasl_init() again and the
 * response goes out as the answer to the server's empty 334. */
int sasl_initial(struct sasl *s, struct buf *out, struct error *e);

/* Answer a decoded 334 challenge (untrusted) with a raw response in out.
 * Returns 0, or -1 with ERR_AUTH/ERR_PROTOCOL for an unexpected or
 * malformed challenge (SCRAM: nonce not ours, bad salt, iteration count
 * out of range, unknown mandatory extension, wrong server signature).
 * An OAuth error continuation (JSON) is answered as RFC 7628 says and
 * remembered for sasl_error_detail(). */
int sasl_step(struct sasl *s, const unsigned char *chal, size_t len, struct buf *out,
	      struct error *e);

/* The server said 235.  data/len: additional data with success decoded
 * from the reply (untrusted), or NULL if there was none.  Returns 0 when
 * the exchange may count as a success: always for mechanisms that do not
 * authenticate the server; for SCRAM only when the server signature was
 * verified (in a 334 before, or in data).  Otherwise -1 with ERR_AUTH
 * ("server signature wrong: possible impostor"). */
int sasl_finish(struct sasl *s, const unsigned char *data, size_t len, struct error *e);

/* What an OAuth error continuation said ("status 401", "invalid_token"),
 * or NULL if there was none. */
const char *sasl_error_detail(const struct sasl *s);

#endif
