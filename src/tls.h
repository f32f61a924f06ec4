/* tls.h - OpenSSL for the submission connection: TLS >= 1.2, SNI, the chain
 * verified against the system store (or tls_ca_file alone), and the
 * configured host name checked with OpenSSL's host/IP matching, which
 * follows RFC 6125/7817 (a wildcard only as the whole leftmost label).
 * Verification failures are explained: which host, which names the
 * certificate has, who issued it, and what to change. */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "conn.h"
#include "error.h"

struct tls_ctx {
	SSL_CTX *ctx;
	char *ca_file;		/* owned copy, for messages; NULL = system store */
};

/* Build a client context.  ca_file (may be NULL) replaces the system store.
 * Errors: ERR_CONFIG when ca_file cannot be loaded, ERR_TLS otherwise. */
int tls_ctx_init(struct tls_ctx *t, const char *ca_file, struct error *e);
void tls_ctx_release(struct tls_ctx *t);

/* Run the client handshake on c (connected, cleartext) and verify the
 * server for host.  On success c->ssl is set.  Errors: ERR_TLS with the
 * reason (name mismatch, untrusted issuer, expired, protocol version),
 * ERR_TEMP when the connection broke or timed out. */
int tls_start(struct tls_ctx *t, struct conn *c, const char *host, unsigned timeout_ms,
	      struct error *e);

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

#endif
