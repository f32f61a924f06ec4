/* conn.h - one TCP connection to the submission server: connect to every
 * address of the host in turn with a timeout, then read and write with
 * timeouts (poll), through TLS once tls.c has put an SSL object on it.
 * Errors name the host, port and address, and the likely fix. */
#ifndef POSTERN_CONN_H
#define POSTERN_CONN_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "error.h"

struct conn {
	int fd;
	SSL *ssl;		/* owned once TLS is up; NULL in cleartext */
	char host[256];		/* as configured, for messages */
	unsigned port;
	char addr[64];		/* numeric address connected to */
	int timed_out;		/* the last failed read or write timed out */
};

void conn_init(struct conn *c);

/* Connect to host:port (every address getaddrinfo gives, in order), each
 * attempt bounded by timeout_s.  Sets TCP_NODELAY.  Errors: ERR_TEMP for
 * refused / unreachable / timed out / DNS failure, with a hint about ports. */
int conn_connect(struct conn *c, const char *host, unsigned port, unsigned timeout_s,
		 struct error *e);

/* Read what is available, waiting until deadline at the latest (now_ms()
 * clock).  Returns the number of bytes (> 0), 0 when the server closed the
 * connection, or -1 with ERR_TEMP (timeout: c->timed_out is set; reset),
 * ERR_TLS, or ERR_INTERRUPTED (a terminating signal, interrupt.h). */
ssize_t conn_read(struct conn *c, char *buf, size_t len, long long deadline, struct error *e);

/* Write all of buf (each flight in as few system calls as possible), done
 * by deadline at the latest however slowly the server takes it.  Errors as
 * for conn_read. */
int conn_write(struct conn *c, const char *buf, size_t len, long long deadline, struct error *e);

/* Ask the kernel to ACK at once: the server's small writes after the TLS
 * handshake otherwise wait for our delayed ACK (~40 ms on Linux). */
void conn_quickack(struct conn *c);

/* Shut down TLS (without waiting) and close.  Safe to call twice. */
void conn_close(struct conn *c);

#endif
