/* http.c - see http.h.  libcurl is resolved with dlsym as keyring.c does
 * libsecret: only its header is used at build time, so that postern's
 * start-up does not load libcurl and everything it links (nghttp2, ssh,
 * ldap, kerberos). */
/* The type-checking wrappers of curl.h are macros named like the
 * functions; they would expand on lib->curl_easy_setopt(...). */
#define CURL_DISABLE_TYPECHECK 1

#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"
#include "tls.h"

/* The soname, not libcurl.so: that link exists only with the -dev package.
 * Overridable at build time for a test of a missing library. */
#ifndef HTTP_LIBRARY
#define HTTP_LIBRARY "libcurl.so.4"
#endif

#define CURL_FUNCTIONS(X) \
	X(curl_easy_init) \
	X(curl_easy_setopt) \
	X(curl_easy_perform) \
	X(curl_easy_getinfo) \
	X(curl_easy_cleanup) \
	X(curl_easy_strerror) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

#define CURL_POINTER(f) __typeof__(f) *f;
struct libcurl {
	CURL_FUNCTIONS(CURL_POINTER)
};

/* Loaded once, never unloaded (libcurl's OpenSSL state outlives a
 * dlclose).  A failure is not remembered. */
static const struct libcurl *libcurl_load(struct error *e)
{
	static struct libcurl lib;
	static int loaded;
	const char *missing = NULL;
	void *h;

	if (loaded)
		return &lib;
	h = dlopen(HTTP_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_info("cannot load %s: %s", HTTP_LIBRARY, dlerror());
		error_set(e, ERR_CONFIG, "HTTPS (OAuth2, autoconfig) needs libcurl (%s), which is not installed: "
			  "apt-get install libcurl4", HTTP_LIBRARY);
		return NULL;
	}
#define CURL_RESOLVE(f) \
	if (!missing && !(lib.f = (__typeof__(lib.f))dlsym(h, #f))) \
		missing = #f;
	CURL_FUNCTIONS(CURL_RESOLVE)
#undef CURL_RESOLVE
	if (missing) {
		error_set(e, ERR_CONFIG, "%s has no function %s (too old?); update libcurl4",
			  HTTP_LIBRARY, missing);
		return NULL;
	}
	loaded = 1;
	return &lib;
}

void http_response_init(struct http_response *r)
{
	r->status = 0;
	buf_init_secret(&r->body);
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	http_response_init(r);
}

void http_url_host(const char *url, char *out, size_t size)
{
	const char *h = url, *end;

	if (!strncasecmp(h, "https://", 8))
		h += 8;
	end = h + strcspn(h, "/?#");
	/* userinfo is no host, and may be a secret */
	for (const char *at = h; at < end; at++)
		if (*at == '@')
			h = at + 1;
	str_escape(out, size, h, (size_t)(end - h));
}

struct sink {
	struct buf *body;
	int too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	n *= size;
	if (s->body->len + n > HTTP_BODY_MAX) {
		s->too_large = 1;
		return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
	}
	buf_add(s->body, p, n);
	return n;
}

static enum error_class curl_class(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
		return ERR_TLS;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return ERR_CONFIG;
	default:
		return ERR_TEMP;
	}
}

/* One request: a POST of form, or a GET when form is NULL. */
static int http_request(const char *url, const struct buf *form, const char *accept,
			const char *ca_file, unsigned timeout, struct http_response *r,
			struct error *e)
{
	const struct libcurl *lib;
	struct tls_trust_facts f = {
		.ca_file = ca_file,
		.env_file = getenv(X509_get_default_cert_file_env()),
		.env_dir = getenv(X509_get_default_cert_dir_env()),
		.default_dir = X509_get_default_cert_dir(),
		.default_file = X509_get_default_cert_file(),
		.has_hash_links = tls_dir_has_hash_links,
		.is_file = tls_is_file,
	};
	struct tls_trust tr;
	struct sink sink = { &r->body, 0 };
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", host[256];
	long ms = (long)(timeout ? timeout : 60) * 1000;
	CURL *c = NULL;
	CURLcode rc;
	int ret = -1;

	http_url_host(url, host, sizeof(host));
	if (strncasecmp(url, "https://", 8))
		return error_set(e, ERR_CONFIG, "%s: only https:// URLs are used", host);
	if (tls_trust_decide(&f, &tr, e))
		return -1;
	if (!(lib = libcurl_load(e)))
		return -1;
	if (!(c = lib->curl_easy_init())) {
		error_set(e, ERR_OS, "libcurl could not start a transfer (out of memory?)");
		goto out;
	}
	hdr = lib->curl_slist_append(NULL, accept);
	/* Every option is one a libcurl of bookworm's age knows; a refusal
	 * means a broken library, and a request without these settings must
	 * not go out. */
	rc = CURLE_OK;
#define SET(opt, val) if (rc == CURLE_OK) rc = lib->curl_easy_setopt(c, opt, val)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	if (form) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, form->data);
		SET(CURLOPT_POSTFIELDSIZE, (long)form->len);
	}
	SET(CURLOPT_HTTPHEADER, hdr);
	SET(CURLOPT_USERAGENT, "postern/" PACKAGE_VERSION);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CAINFO, tr.file);
	SET(CURLOPT_CAPATH, tr.dir);
	SET(CURLOPT_CONNECTTIMEOUT_MS, ms);
	SET(CURLOPT_TIMEOUT_MS, ms);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &sink);
#undef SET
	if (rc != CURLE_OK) {
		error_set(e, ERR_CONFIG, "libcurl refuses an option: %s; update libcurl4",
			  lib->curl_easy_strerror(rc));
		goto out;
	}
	rc = lib->curl_easy_perform(c);
	if (sink.too_large) {
		error_set(e, ERR_TEMP, "%s answered with more than %d KiB; that is not what was asked for",
			  host, HTTP_BODY_MAX / 1024);
		goto out;
	}
	if (rc != CURLE_OK) {
		char why[CURL_ERROR_SIZE + 8];

		str_escape(why, sizeof(why), errbuf[0] ? errbuf : lib->curl_easy_strerror(rc),
			   strlen(errbuf[0] ? errbuf : lib->curl_easy_strerror(rc)));
		error_set(e, curl_class(rc), "cannot reach %s: %s%s", host, why,
			  curl_class(rc) == ERR_TLS && ca_file ? " (trust comes from oauth2_ca_file)" : "");
		goto out;
	}
	lib->curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	ret = 0;
out:
	if (c)
		lib->curl_easy_cleanup(c);
	if (hdr)
		lib->curl_slist_free_all(hdr);
	return ret;
}

int http_post_form(const char *url, const struct buf *form, const char *ca_file, unsigned timeout,
		   struct http_response *r, struct error *e)
{
	return http_request(url, form, "Accept: application/json", ca_file, timeout, r, e);
}

int http_get(const char *url, const char *ca_file, unsigned timeout, struct http_response *r,
	     struct error *e)
{
	return http_request(url, NULL, "Accept: application/xml, text/xml", ca_file, timeout, r, e);
}
