/* conn.h - one TCP connection to the submission server: connect to every
 * address of the host in turn with a timeout, then read and write with
 * timeouts (poll), through TLS once tls.c has put an SSL object on it.
 * Errors name the host, port and address, and the likely fix. */
#ifndef POSTERN_CONN_H
#define POSTERN_CONN_H

#include <stddef.h>
#include <netdb.h>
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

/* The same with the attempt's bound in milliseconds, for a server (role
 * NULL) or for something else that errors name instead ("SOCKS5 proxy"),
 * with a hint that fits it. */
int conn_connect_role(struct conn *c, const char *host, unsigned port, unsigned timeout_ms,
		      const char *role, struct error *e);

/* The message for a connect to host:port (addr, numeric) that failed with
 * errno err, into e (ERR_TEMP): the cause in words (refused: nothing
 * listens; timed out after timeout_ms: a firewall drops it; no route) and
 * what to try.  role as for conn_connect_role. */
void conn_connect_error(struct error *e, const char *role, const char *host, unsigned port,
			const char *addr, int err, unsigned timeout_ms);

/* ------------------------------------------------------------------ race
 * Happy eyeballs over ports (port = auto): one lane per port, started in
 * order, each stagger_ms after the one before it (at once when that one
 * has failed); each lane tries the host's addresses in turn, each attempt
 * bounded by timeout_ms.  conn_race_next() hands out the connections in
 * the order they are made, so that a caller whose TLS or greeting fails
 * on one goes on with the next; lanes still connecting go on meanwhile. */
#define CONN_RACE_MAX 3

struct conn_race_lane {
	unsigned port;
	int state;
	int fd;
	int err;			/* errno of the last failed attempt */
	int tried;			/* next is meaningful */
	const struct addrinfo *next;	/* next address to try */
	long long deadline;		/* of the attempt under way */
	char addr[64];			/* numeric, of the last attempt */
};

struct conn_race {
	struct addrinfo *res;		/* owned */
	char host[256];
	size_t n;
	unsigned stagger_ms, timeout_ms;
	long long gate;			/* now_ms() when the next lane may start */
	struct conn_race_lane lane[CONN_RACE_MAX];
};

/* A race that holds nothing (conn_race_release() is then a no-op). */
void conn_race_init(struct conn_race *r);

/* Look host up (once, for all lanes) and set the race up for ports (n at
 * most CONN_RACE_MAX; more are ignored) in that order.  Nothing is
 * connected yet.  Errors: ERR_TEMP for a DNS failure, in words. */
int conn_race_start(struct conn_race *r, const char *host, const unsigned *ports, size_t n,
		    unsigned stagger_ms, unsigned timeout_ms, struct error *e);

/* The next connection of the race into c (cleartext; c->port says which
 * port).  Returns 0, or -1 when every lane has failed or been handed out:
 * ERR_TEMP naming each port with its cause; ERR_INTERRUPTED on a signal. */
int conn_race_next(struct conn_race *r, struct conn *c, struct error *e);

/* Close what was not handed out and free.  Safe on an _init'ed race. */
void conn_race_release(struct conn_race *r);

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
