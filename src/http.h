/* http.h - one HTTPS POST of a form, for OAuth2's token and device
 * endpoints, or one GET, for setup's autoconfig document, through libcurl loaded with dlopen the first time it is needed
 * (a send that does not use OAuth2 never loads it).
 *
 * HTTPS only, the certificate verified against the trust store tls.c would
 * choose (tls_trust_decide(): ca_file, else SSL_CERT_FILE/SSL_CERT_DIR,
 * else the system's), no redirects followed, the response capped at
 * HTTP_BODY_MAX.  The request body is never logged. */
#ifndef POSTERN_HTTP_H
#define POSTERN_HTTP_H

#include "error.h"
#include "util.h"

#define HTTP_BODY_MAX (64 * 1024)

struct http_response {
	long status;		/* the HTTP status code, 0 before a response */
	struct buf body;	/* BUF_INIT_SECRET: it may carry tokens; untrusted */
};

void http_response_init(struct http_response *r);
/* Wipes the body; r is then as after init. */
void http_response_release(struct http_response *r);

/* POST form (application/x-www-form-urlencoded, already encoded) to url
 * (https://...), with "Accept: application/json", trusting ca_file (NULL:
 * the system store), giving up after timeout seconds (also for the
 * connection).  r must be freshly initialised; on success it holds the
 * status (any status: the caller judges 4xx and 5xx) and the body.
 * Returns 0, or -1 with ERR_TEMP (cannot connect, timed out, the response
 * larger than HTTP_BODY_MAX), ERR_TLS (the certificate refused), ERR_CONFIG
 * (not an https URL, ca_file unreadable, libcurl not installed), each
 * message naming the URL's host. */
int http_post_form(const char *url, const struct buf *form, const char *ca_file, unsigned timeout,
		   struct http_response *r, struct error *e);

/* GET url (https://...) with "Accept: application/xml, text/xml", under
 * the same rules and with the same errors as http_post_form(). */
int http_get(const char *url, const char *ca_file, unsigned timeout, struct http_response *r,
	     struct error *e);

/* The host (and port) part of an https URL into out (escaped, at most
 * size-1 octets): for messages. */
void http_url_host(const char *url, char *out, size_t size);

#endif
