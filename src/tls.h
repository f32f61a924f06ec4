/* tls.h - OpenSSL for the submission connection: TLS >= 1.2, SNI, the chain
 * verified against the system store (or tls_ca_file alone), and the
 * configured host name checked with OpenSSL's host/IP matching, which
 * follows RFC 6125/7817 (a wildcard only as the whole leftmost label).
 * Verification failures are explained: which host, which names the
 * certificate has, who issued it, which store it was checked against, and
 * what to change. */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "conn.h"
#include "error.h"

struct tls_ctx {
	SSL_CTX *ctx;
	char *store;		/* owned: the trust store as messages name it */
	X509 *peer;		/* owned: see tls_peer_cert() */
	int peer_error;
};

/* Build a client context.  ca_file (may be NULL) replaces the system store;
 * without it the store is chosen by tls_trust_decide() from SSL_CERT_FILE,
 * SSL_CERT_DIR, OpenSSL's defaults and the distributions' bundle files.
 * Errors: ERR_CONFIG when ca_file or $SSL_CERT_FILE cannot be loaded,
 * ERR_TLS when no system store is found or it cannot be loaded.  On failure
 * t holds nothing. */
int tls_ctx_init(struct tls_ctx *t, const char *ca_file, struct error *e);
void tls_ctx_release(struct tls_ctx *t);

/* Run the client handshake on c (connected, cleartext) and verify the
 * server for host.  On success c->ssl is set.  Errors: ERR_TLS with the
 * reason (name mismatch, untrusted issuer, expired, protocol version),
 * ERR_TEMP when the connection broke or timed out. */
int tls_start(struct tls_ctx *t, struct conn *c, const char *host, unsigned timeout_ms,
	      struct error *e);

/* The server's own certificate as the last tls_start() on t saw it, even
 * when verification refused it (NULL when none arrived), and the first
 * verification error (an X509_V_ERR_ code; 0 when it was verified or never
 * checked) in *verify_error (may be NULL).  The certificate is the peer's,
 * untrusted; it stays t's (until the next tls_start or tls_ctx_release):
 * X509_up_ref() it to keep it. */
X509 *tls_peer_cert(const struct tls_ctx *t, int *verify_error);

/* ------------------------------------------------------------ trust store */

enum tls_trust_source {
	TLS_TRUST_NONE = 0,	/* nothing loadable was found */
	TLS_TRUST_CA_FILE,	/* tls_ca_file, alone */
	TLS_TRUST_ENV,		/* $SSL_CERT_FILE and/or $SSL_CERT_DIR */
	TLS_TRUST_DEFAULT_DIR,	/* OpenSSL's directory, which has hash links */
	TLS_TRUST_BUNDLE,	/* OpenSSL's default file or a distribution's bundle */
};

/* What the choice of trust store depends on.  Strings are borrowed; NULL
 * or "" means unset.  The probes look at the file system and are asked
 * only when their answer matters (a unit test passes fakes). */
struct tls_trust_facts {
	const char *ca_file;		/* tls_ca_file */
	const char *env_file;		/* $SSL_CERT_FILE */
	const char *env_dir;		/* $SSL_CERT_DIR (OpenSSL takes a ':' list) */
	const char *default_dir;	/* X509_get_default_cert_dir() */
	const char *default_file;	/* X509_get_default_cert_file() */
	int (*has_hash_links)(const char *dir);	/* an entry named like 1a2b3c4d.0 */
	int (*is_file)(const char *path);	/* exists (after symlinks), regular */
};

/* The decision: a PEM file to load whole and/or a hashed directory that
 * OpenSSL searches lazily.  Pointers are borrowed from the facts or from
 * the built-in list of bundle locations (static). */
struct tls_trust {
	enum tls_trust_source source;
	const char *file;
	const char *dir;
};

/* Decide where trusted CA certificates come from: tls_ca_file alone when
 * set; else $SSL_CERT_FILE and/or $SSL_CERT_DIR when set; else OpenSSL's
 * directory when it has hash links (the fast path: certificates are read
 * one by one as needed); else the first bundle file that exists among
 * OpenSSL's default file and the distributions' well-known bundles.  Loads
 * nothing.  Returns 0, or -1 with out->source = TLS_TRUST_NONE and an
 * ERR_TLS message saying what was tried and how to fix it. */
int tls_trust_decide(const struct tls_trust_facts *f, struct tls_trust *out, struct error *e);

/* The file-system probes tls_ctx_init passes to tls_trust_decide. */
int tls_dir_has_hash_links(const char *dir);
int tls_is_file(const char *path);

/* ------------------------------------------------------- certificate text */

/* The certificate's subjectAltNames as "DNS:a, IP:b" (or "no
 * subjectAltName") into out (len > 0 octets, NUL-terminated), escaped as
 * str_escape does (the names are the peer's, untrusted: control bytes,
 * NULs inside a name, C1 controls and bidi characters become \xNN or
 * \u{NNNN}) and cut with "..." when they do not fit. */
void tls_describe_names(X509 *cert, char *out, size_t len);

/* A distinguished name (subject, issuer) on one line, "CN = x, O = y",
 * escaped and bounded the same way. */
void tls_describe_dn(const X509_NAME *name, char *out, size_t len);

/* "sha256:AB:CD:..." (95 chars + NUL) of the DER certificate (of_key = 0)
 * or of its SubjectPublicKeyInfo (of_key = 1) into out.  The 95 are the 32
 * hex pairs and their colons; with "sha256:" the text is 102 characters:
 * size out with TLS_FINGERPRINT_SIZE.  Upper-case hex, as `openssl x509
 * -fingerprint -sha256` prints it.  out (len > 0) is cut to fit and always
 * NUL-terminated; "" when the digest fails.  cert is the peer's, untrusted,
 * but its digest is plain hex: nothing to escape. */
#define TLS_FINGERPRINT_SIZE (sizeof("sha256:") + 3 * 32)	/* 103: text and NUL */
void tls_fingerprint(X509 *cert, int of_key, char *out, size_t len);

#endif
