#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "interrupt.h"
#include "util.h"

void conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static const char *port_hint(unsigned port)
{
	switch (port) {
	case 25:
		return "; port 25 is for mail between servers and is blocked on most networks: "
		       "use port = 587 (tls = starttls) or port = 465 (tls = implicit)";
	case 587:
		return "; if your network blocks port 587, try port = 465 with tls = implicit";
	case 465:
		return "; if your network blocks port 465, try port = 587 with tls = starttls";
	default:
		return "; submission servers listen on 587 (tls = starttls) or 465 (tls = implicit)";
	}
}

/* Wait for events on fd for at most timeout_ms; a terminating signal ends
 * the wait at once (errno EINTR). */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0	/* SIGPIPE is ignored in main anyway */
#endif

static int wait_fd(int fd, short events, unsigned timeout_ms)
{
	int r = interrupt_poll(fd, events, (int)timeout_ms);

	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int try_addr(struct conn *c, const struct addrinfo *ai, unsigned timeout_s, int *err)
{
	int fd, one = 1, soerr = 0;
	socklen_t len = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return *err = errno, -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		if (wait_fd(fd, POLLOUT, timeout_s * 1000) < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	c->fd = fd;
	return 0;
fail:
	*err = errno;
	close(fd);
	return -1;
}

int conn_connect(struct conn *c, const char *host, unsigned port, unsigned timeout_s,
		 struct error *e)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int rc, err = 0;

	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	snprintf(portstr, sizeof(portstr), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides loopback-only hosts on machines without
		 * an external address; ask again without it. */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, portstr, &hints, &res);
	}
	if (rc != 0) {
		if (rc == EAI_NONAME)
			return error_set(e, ERR_TEMP,
					 "cannot find host %s: no such name in DNS; check host = in your configuration "
					 "(or your network's DNS)", host);
		return error_set(e, ERR_TEMP, "cannot look up host %s: %s; check your network and DNS",
				 host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, c->addr, sizeof(c->addr), NULL, 0,
				NI_NUMERICHOST) != 0)
			snprintf(c->addr, sizeof(c->addr), "?");
		if (try_addr(c, ai, timeout_s, &err) == 0)
			break;
		if (interrupt_signal())
			break;
	}
	freeaddrinfo(res);
	if (c->fd >= 0)
		return 0;
	if (interrupt_signal())
		return error_set(e, ERR_INTERRUPTED, "interrupted by a signal while connecting to %s port %u", host, port);
	switch (err) {
	case ECONNREFUSED:
		return error_set(e, ERR_TEMP,
				 "connection to %s port %u (%s) refused: no server listens there%s",
				 host, port, c->addr, port_hint(port));
	case ETIMEDOUT:
		return error_set(e, ERR_TEMP,
				 "connection to %s port %u (%s) timed out after %u s: the server is down or a "
				 "firewall drops the traffic%s", host, port, c->addr, timeout_s, port_hint(port));
	case ENETUNREACH:
	case EHOSTUNREACH:
		return error_set(e, ERR_TEMP, "cannot reach %s port %u (%s): %s; are you online?",
				 host, port, c->addr, strerror(err));
	default:
		return error_set(e, ERR_TEMP, "cannot connect to %s port %u (%s): %s%s",
				 host, port, c->addr, strerror(err), port_hint(port));
	}
}

static int tls_fail(struct conn *c, const char *what, struct error *e)
{
	unsigned long code = ERR_get_error();
	char buf[256];

	if (code) {
		ERR_error_string_n(code, buf, sizeof(buf));
		ERR_clear_error();
		return error_set(e, ERR_TLS, "TLS %s with %s failed: %s", what, c->host, buf);
	}
	return error_set(e, ERR_TEMP, "TLS %s with %s failed: %s", what, c->host,
			 errno ? strerror(errno) : "connection closed");
}

static int io_fail(struct conn *c, const char *what, struct error *e)
{
	c->timed_out = errno == ETIMEDOUT;
	if (errno == ETIMEDOUT)
		return error_set(e, ERR_TEMP, "%s %s port %u timed out: the server stopped answering",
				 what, c->host, c->port);
	if (errno == EINTR && interrupt_signal())
		return error_set(e, ERR_INTERRUPTED, "interrupted by a signal while talking to %s", c->host);
	return error_set(e, ERR_TEMP, "%s %s port %u failed: %s", what, c->host, c->port, strerror(errno));
}

ssize_t conn_read(struct conn *c, char *buf, size_t len, long long deadline, struct error *e)
{
	c->timed_out = 0;
	for (;;) {
		long long left = deadline - now_ms();
		short ev = POLLIN;

		if (left < 0)
			left = 0;
		if (!c->ssl) {
			ssize_t n = recv(c->fd, buf, len, 0);
			if (n >= 0)
				return n;
			if (errno == EINTR && !interrupt_signal())
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return io_fail(c, "reading from", e);
		} else {
			size_t got = 0;
			int r;

			ERR_clear_error();
			errno = 0;
			r = SSL_read_ex(c->ssl, buf, len, &got);
			if (r == 1)
				return (ssize_t)got;
			switch (SSL_get_error(c->ssl, r)) {
			case SSL_ERROR_ZERO_RETURN:
				return 0;
			case SSL_ERROR_WANT_READ:
				break;
			case SSL_ERROR_WANT_WRITE:
				ev = POLLOUT;
				break;
			case SSL_ERROR_SYSCALL:
				if (errno == 0)
					return 0;	/* EOF without close_notify */
				return io_fail(c, "reading from", e);
			default:
				return tls_fail(c, "read", e);
			}
		}
		if (wait_fd(c->fd, ev, (unsigned)left) < 0)
			return io_fail(c, "waiting for", e);
	}
}

int conn_write(struct conn *c, const char *buf, size_t len, long long deadline, struct error *e)
{
	c->timed_out = 0;
	while (len) {
		short ev = POLLOUT;
		long long left = deadline - now_ms();

		if (!c->ssl) {
			ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (n > 0) {
				buf += n;
				len -= (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR && !interrupt_signal())
				continue;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return io_fail(c, "writing to", e);
		} else {
			size_t done = 0;
			int r;

			ERR_clear_error();
			errno = 0;
			r = SSL_write_ex(c->ssl, buf, len, &done);
			if (r == 1) {
				buf += done;
				len -= done;
				continue;
			}
			switch (SSL_get_error(c->ssl, r)) {
			case SSL_ERROR_WANT_WRITE:
				break;
			case SSL_ERROR_WANT_READ:
				ev = POLLIN;
				break;
			case SSL_ERROR_SYSCALL:
				if (errno == 0)
					errno = EPIPE;
				return io_fail(c, "writing to", e);
			default:
				return tls_fail(c, "write", e);
			}
		}
		if (wait_fd(c->fd, ev, left > 0 ? (unsigned)left : 0) < 0)
			return io_fail(c, "writing to", e);
	}
	return 0;
}

void conn_quickack(struct conn *c)
{
#ifdef TCP_QUICKACK
	int one = 1;

	if (c->fd >= 0)
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
}

void conn_close(struct conn *c)
{
	if (c->ssl) {
		/* Send close_notify but do not wait for the peer's. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
