/* oauth2_flow.h - the pure parts of `postern oauth2 authorize` (no sockets,
 * no files): PKCE (RFC 7636, S256), the authorization URL of the loopback
 * redirect (RFC 8252), reading the redirect the browser brings back (an
 * HTTP request line, or the URL a person pastes), and comparing state.
 *
 * Everything that comes back from the browser or the terminal is
 * untrusted: it is size-bounded, percent-decoded strictly, and the code
 * lands only in a secret buffer. */
#ifndef POSTERN_OAUTH2_FLOW_H
#define POSTERN_OAUTH2_FLOW_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/* Longest request target or pasted URL taken (the request itself is read
 * up to 8 KiB by the listener). */
#define OAUTH2_REDIRECT_MAX 8192

/* base64url without padding of 32 bytes (RFC 7636 4.1, 4.2): both the
 * verifier and the challenge are 43 characters. */
#define OAUTH2_PKCE_LEN 43

/* The S256 challenge of a verifier: BASE64URL(SHA256(verifier)) into out
 * (OAUTH2_PKCE_LEN + 1 bytes, NUL-terminated). */
void oauth2_pkce_challenge(const char *verifier, size_t len, char out[OAUTH2_PKCE_LEN + 1]);

/* A fresh verifier from 32 random bytes into v (a secret buffer, reset
 * first), and its challenge into challenge.  Returns 0, or -1 with
 * ERR_OS when the random generator fails. */
int oauth2_pkce_new(struct buf *v, char challenge[OAUTH2_PKCE_LEN + 1], struct error *e);

/* A fresh state value (16 random bytes, base64url) into out (23 bytes).
 * Returns 0, or -1 with ERR_OS. */
int oauth2_state_new(char out[23], struct error *e);

/* What the authorization URL carries. */
struct oauth2_auth_request {
	const char *endpoint;		/* the authorize endpoint (may hold a query already) */
	const char *client_id;
	const char *redirect_uri;	/* http://127.0.0.1:PORT/ */
	const char *scope;		/* NULL: none */
	const char *state;
	const char *challenge;		/* S256 */
	int offline;			/* Google: access_type=offline&prompt=consent */
};

/* The authorization URL (response_type=code plus the fields of r, each
 * percent-encoded as oauth2_form_add() does).  Caller frees.  It holds no secret: the challenge is
 * public by design. */
char *oauth2_auth_url(const struct oauth2_auth_request *r);

/* What came back on the redirect URI. */
struct oauth2_redirect {
	struct buf code;		/* BUF_INIT_SECRET; empty when none came */
	char *state;			/* owned; NULL when none came */
	char *error;			/* owned; the provider's error (access_denied...) or NULL */
	char *error_description;	/* owned or NULL */
	int has_query;			/* the target had a query with any of the above */
};

void oauth2_redirect_init(struct oauth2_redirect *r);
/* Wipes the code and frees the rest; r is then as after init. */
void oauth2_redirect_release(struct oauth2_redirect *r);

/* Parse the query of a request target ("/?code=...&state=...") or of a
 * whole URL ("http://127.0.0.1:PORT/?code=..."; a fragment is ignored)
 * into r (freshly initialised).  Parameters other than code, state, error
 * and error_description are ignored; one of those given twice, a bad
 * percent escape, %00, a raw control character (NUL included), or more
 * than OAUTH2_REDIRECT_MAX bytes is refused.
 * s is untrusted.  Returns 0 (r->has_query says whether anything of the
 * four came), or -1 with ERR_PROTOCOL. */
int oauth2_redirect_parse(const char *s, size_t len, struct oauth2_redirect *r, struct error *e);

/* The request target of an HTTP request's first line ("GET TARGET
 * HTTP/1.x", the line ending with CRLF or LF; the request may go on after
 * it).  Returns the target's length with *target pointing into req, or -1
 * when req holds no complete request line yet (with complete set to 0),
 * or is not a GET request line (complete set to 1).  req is untrusted. */
long oauth2_request_target(const char *req, size_t len, const char **target, int *complete);

/* 1 when a and b are equal strings, in time that depends only on their
 * lengths (the state must not be guessable byte by byte). */
int oauth2_state_equal(const char *a, const char *b);

#endif
