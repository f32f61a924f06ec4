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
	char *pin;		/* owned: tls_fingerprint, as tls_pin_parse() gives it */
	int min_version;	/* TLS1_2_VERSION or TLS1_3_VERSION */
	X509 *peer;		/* owned: see tls_peer_cert() */
	int peer_error;
};

/* What an account asks of TLS beyond the defaults (strings borrowed;
 * NULL or 0 = unset). */
struct tls_opts {
	const char *ca_file;	/* tls_ca_file: replaces the system store */
	const char *pin;	/* tls_fingerprint, parsed by tls_pin_parse() */
	const char *cert_file;	/* tls_cert_file: PEM client certificate (chain) */
	const char *key_file;	/* tls_key_file: PEM private key, unencrypted */
	unsigned min_version;	/* tls_min_version: 12 or 13; 0 = 12 */
	const char *ciphers;	/* tls_ciphers, see tls_ciphers_set() */
};

/* Build a client context.  ca_file (may be NULL) replaces the system store;
 * without it the store is chosen by tls_trust_decide() from SSL_CERT_FILE,
 * SSL_CERT_DIR, OpenSSL's defaults and the distributions' bundle files.
 * Errors: ERR_CONFIG when ca_file or $SSL_CERT_FILE cannot be loaded,
 * ERR_TLS when no system store is found or it cannot be loaded.  On failure
 * t holds nothing. */
int tls_ctx_init(struct tls_ctx *t, const char *ca_file, struct error *e);

/* The same with an account's TLS options.  With o->pin the server is
 * accepted when its certificate's or its public key's SHA-256 equals the
 * pin, whatever its chain and names; refused (ERR_TLS) otherwise, with both
 * fingerprints seen.  The client certificate and key are loaded now: a
 * missing or unreadable file, a key file others may read or that is not
 * the user's (or root's), an encrypted key, a key that does not match the
 * certificate, or a cipher list OpenSSL refuses is ERR_CONFIG naming the
 * key and the fix.  On failure t holds nothing. */
int tls_ctx_init_opts(struct tls_ctx *t, const struct tls_opts *o, struct error *e);
void tls_ctx_release(struct tls_ctx *t);

/* tls_fingerprint = TEXT: "sha256:" and 32 hex bytes separated by colons,
 * or the 32 bytes alone (msmtp's form), any case.  Writes the canonical
 * form (as tls_fingerprint() prints it) into out (TLS_FINGERPRINT_SIZE
 * octets).  Returns 0, or -1 with *why saying what is wrong (a static
 * string): a SHA-1 or MD5 fingerprint is refused, those digests are broken
 * for this use.  text is from the configuration (untrusted for this). */
int tls_pin_parse(const char *text, char *out, const char **why);

/* tls_ciphers = LIST applied to ctx: the colon-separated names that start
 * with "TLS_" are TLS 1.3 suites (SSL_CTX_set_ciphersuites), the rest is
 * the TLS 1.2 cipher list, both passed to OpenSSL as written
 * (SSL_CTX_set_cipher_list).  A part left out keeps OpenSSL's defaults for
 * that version.  Returns 0, or -1 when OpenSSL refuses a part (its error
 * queue is cleared). */
int tls_ciphers_set(SSL_CTX *ctx, const char *list);

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
