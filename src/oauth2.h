/* oauth2.h - OAuth2 for SMTP (RFC 6749, RFC 8628, RFC 7628): the provider's
 * endpoints (presets for Google and Microsoft, or custom ones), the token
 * endpoint and the device endpoint over HTTPS, where the refresh token is
 * kept, and a valid access token for each send.
 *
 * The HTTP and JSON libraries (libcurl, jansson) are loaded with dlopen the
 * first time OAuth2 is used (http.h, json.h): a send that does not use it
 * pays nothing.
 *
 * Everything the identity provider says is untrusted: it is size-capped,
 * tokens are checked against RFC 6750's b64token set (so no CR/LF can reach
 * SMTP), and text shown from it is escaped.  Tokens live only in secret
 * buffers; they never go into argv, logs or error messages. */
#ifndef POSTERN_OAUTH2_H
#define POSTERN_OAUTH2_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "secret.h"
#include "util.h"

/* The provider's endpoints and the scope to ask for.  All owned; device is
 * NULL when the provider has none (Google refuses the mail scope with the
 * device flow). */
struct oauth2_endpoints {
	char *authorize, *token, *device, *scope;
};

/* The account's endpoints: the preset of oauth2 = google | microsoft (with
 * oauth2_tenant, default "common"), each overridable by the oauth2_*_endpoint
 * and oauth2_scope keys; oauth2 = custom takes them from those keys alone.
 * Returns 0 with out filled (release it), or -1 with ERR_CONFIG naming the
 * missing key (out then holds nothing). */
int oauth2_endpoints_get(const struct account *a, struct oauth2_endpoints *out, struct error *e);
void oauth2_endpoints_release(struct oauth2_endpoints *ep);

/* A token endpoint's answer. */
struct oauth2_grant {
	struct buf access, refresh;	/* BUF_INIT_SECRET; refresh empty when none came */
	long long expires_at;		/* unix seconds, 0 unknown */
	char *scope;			/* granted scope, NULL when not said */
	char *error;			/* the provider's "error" (authorization_pending,
					 * slow_down, invalid_grant...), NULL on success */
	char *error_description;	/* its "error_description", NULL when none */
	long interval;			/* device flow: seconds between polls, 0 not said */
};

void oauth2_grant_init(struct oauth2_grant *g);
/* Wipes the tokens and frees everything; g is then as after init. */
void oauth2_grant_release(struct oauth2_grant *g);

/* Append name=value to form (application/x-www-form-urlencoded), value
 * percent-encoded (everything but RFC 3986's unreserved characters), with
 * '&' before it unless form is empty.  name is a literal (not encoded). */
void oauth2_form_add(struct buf *form, const char *name, const char *value);

/* Whether p[0..n) is an RFC 6750 b64token: ALPHA DIGIT - . _ ~ + / then
 * '=' padding only; nothing else (no CR, LF, space or NUL) may reach SMTP. */
int oauth2_token_valid(const char *p, size_t n);

/* Parse a token endpoint's response (body[0..len), untrusted; status, the
 * HTTP code; host for messages) into g as oauth2_token_post() does.  g is
 * released on failure. */
int oauth2_grant_parse(const char *body, size_t len, long status, const char *host,
		       struct oauth2_grant *g, struct error *e);

/* The access token cache file's text: "postern-oauth2-access 1", then the
 * lines "expires UNIX", "scope TEXT", "token TOKEN", each ended by LF.
 * format appends g's to out (a secret buffer); parse fills g (initialised,
 * empty) and returns 0, or -1 when text is not exactly that (g empty). */
int oauth2_cache_format(const struct oauth2_grant *g, struct buf *out);
int oauth2_cache_parse(const char *text, size_t len, struct oauth2_grant *g);

/* POST form (application/x-www-form-urlencoded, already encoded; a secret
 * buffer) to url over HTTPS with the account's oauth2 trust (oauth2_ca_file,
 * else the system store as tls.c chooses it), adding client_id and
 * client_secret (oauth2_client_secret or the output of
 * oauth2_client_secret_command), and parse the JSON token response into g
 * (which must be freshly initialised).  An OAuth error response (HTTP 400 or
 * 401 with "error") fills g->error and returns 0.  Returns -1 with
 * ERR_TEMP for a transport failure, an HTTP 5xx, or a body that is not a
 * JSON object; ERR_PROTOCOL for a token with a character outside RFC 6750's
 * b64token set; ERR_CONFIG for a bad configuration (no client id, a failing
 * secret command).  The whole response is untrusted. */
int oauth2_token_post(const struct account *a, const char *url, const struct buf *form,
		      struct oauth2_grant *g, struct error *e);

/* The device authorization response (RFC 8628 3.2). */
struct oauth2_device {
	struct buf device_code;		/* BUF_INIT_SECRET */
	char *user_code, *verification_uri, *verification_uri_complete;	/* owned; _complete may be NULL */
	long interval, expires_in;	/* seconds; interval defaults to 5 */
};

/* POST client_id and scope to the account's device endpoint and fill d
 * (zeroed by this function).  Returns 0, or -1 with ERR_CONFIG (no device
 * endpoint for this provider), ERR_TEMP (transport, 5xx, bad JSON) or
 * ERR_AUTH (the provider's error, quoted, escaped).  The response is
 * untrusted: user_code and the URIs are checked for control characters. */
int oauth2_device_start(const struct account *a, struct oauth2_device *d, struct error *e);
void oauth2_device_release(struct oauth2_device *d);

/* Store a fresh grant for the account: the refresh token in the keyring
 * (Secret Service, attributes service = "postern-oauth2", account, user) or,
 * when no keyring answers, in a 0600 file state_dir()/oauth2/ACCOUNT (with a
 * warning on stderr that says so, once); the access token and its expiry in
 * the cache file state_dir()/oauth2/ACCOUNT.access (0600).  *where gets
 * "keyring" or the file's path (caller frees).  Returns 0, or -1 with
 * ERR_IO / ERR_CONFIG saying why. */
int oauth2_store_grant(const struct account *a, const struct oauth2_grant *g, char **where,
		       struct error *e);

/* For a send: a valid access token into out (which must be empty; source
 * SECRET_KEYRING or SECRET_CONFIG as stored), from the cache while it is
 * valid for more than 60 s and force_refresh is 0; else refreshed with the
 * refresh token under a per-account lock (flock on
 * state_dir()/oauth2/ACCOUNT.lock; whoever gets the lock second re-reads
 * the cache first), a rotated refresh token stored before the new access
 * token is used.  Errors: ERR_AUTH (no refresh token, or the provider said
 * invalid_grant: the message names `postern oauth2 authorize ACCOUNT` and
 * quotes the provider's error_description, escaped), ERR_TEMP (the token
 * endpoint unreachable or 5xx), ERR_PROTOCOL (a bad token). */
int oauth2_access_token(const struct account *a, int force_refresh, struct secret *out,
			struct error *e);

/* After the server refused the access token refused: a fresh one into out
 * (empty), under the account's lock: the cached one when another process
 * replaced refused meanwhile, else refreshed.  Errors as
 * oauth2_access_token(). */
int oauth2_access_token_replacing(const struct account *a, const char *refused, struct secret *out,
				  struct error *e);

/* Drop the cached access token (after the server refused it), so that the
 * next oauth2_access_token() refreshes.  Best effort. */
void oauth2_drop_cached(const struct account *a);

/* `postern oauth2 status ACCOUNT`: on out, whether a refresh token is
 * stored and where, the cached access token's expiry and scopes; never a
 * token.  Returns 0, or -1 with e (ERR_CONFIG: oauth2 not configured). */
int oauth2_cmd_status(const struct account *a, FILE *out, struct error *e);

/* `postern oauth2 forget ACCOUNT`: remove the refresh token (keyring entry
 * or file) and the cache, saying on out what was removed.  Returns 0, or -1
 * with e. */
int oauth2_cmd_forget(const struct account *a, FILE *out, struct error *e);

#endif
