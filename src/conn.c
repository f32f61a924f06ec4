#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "interrupt.h"
#include "log.h"
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
		return "; if your network blocks port 587, try port = 465 (tls = implicit), "
		       "port = 2525 or port = auto";
	case 465:
		return "; if your network blocks port 465, try port = 587 (tls = starttls), "
		       "port = 2525 or port = auto";
	default:
		return "; submission servers listen on 587 (tls = starttls) or 465 (tls = implicit), "
		       "some on 2525 too";
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

/* Start a non-blocking connect: 0 connected, 1 in progress, -1 failed
 * (*err set).  *fdp is the socket unless it failed. */
static int start_connect(const struct addrinfo *ai, int *fdp, int *err)
{
	int fd, one = 1;

	*fdp = -1;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return *err = errno, -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return *fdp = fd, 0;
	if (errno == EINPROGRESS) {
		*fdp = fd;
		return 1;
	}
	*err = errno;
	close(fd);
	return -1;
}

/* The outcome of a connect that was in progress: 0, or -1 with *err. */
static int finish_connect(int fd, int *err)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return *err = errno, -1;
	if (soerr)
		return *err = soerr, -1;
	return 0;
}

static int try_addr(struct conn *c, const struct addrinfo *ai, unsigned timeout_ms, int *err)
{
	int fd, r = start_connect(ai, &fd, err);

	if (r == 1 && (wait_fd(fd, POLLOUT, timeout_ms) < 0 || finish_connect(fd, err) < 0)) {
		if (errno == ETIMEDOUT || errno == EINTR)
			*err = errno;
		close(fd);
		return -1;
	}
	if (r < 0)
		return -1;
	c->fd = fd;
	return 0;
}

/* Look host up for port: every address, IPv4 and IPv6. */
static int resolve(const char *host, unsigned port, const char *role, struct addrinfo **res,
		   struct error *e)
{
	struct addrinfo hints;
	char portstr[16];
	int rc;

	snprintf(portstr, sizeof(portstr), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, portstr, &hints, res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides loopback-only hosts on machines without
		 * an external address; ask again without it. */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, portstr, &hints, res);
	}
	if (rc == 0)
		return 0;
	*res = NULL;
	if (rc == EAI_NONAME || rc == EAI_NODATA)
		return error_set(e, ERR_TEMP,
				 "DNS failure: cannot find %s %s (port %u): no such name in DNS; check %s "
				 "in your configuration (or your network's DNS)", role ? role : "host",
				 host, port, role ? "proxy =" : "host =");
	return error_set(e, ERR_TEMP, "DNS failure: cannot look up %s %s (port %u): %s; check your "
			 "network and DNS", role ? role : "host", host, port,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
}

/* "2 s" for whole seconds, else "250 ms". */
static const char *duration(unsigned ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u ms", ms);
	return buf;
}

void conn_connect_error(struct error *e, const char *role, const char *host, unsigned port,
			const char *addr, int err, unsigned timeout_ms)
{
	const char *what = role ? role : "server";
	const char *hint = role ? "; is the proxy running (e.g. ssh -D)?" : port_hint(port);
	char dur[32];

	switch (err) {
	case ECONNREFUSED:
		error_set(e, ERR_TEMP, "connection to %s %s port %u (%s) refused: nothing listens "
			  "there%s", what, host, port, addr, hint);
		break;
	case ETIMEDOUT:
		error_set(e, ERR_TEMP, "connection to %s %s port %u (%s) timed out after %s: the "
			  "host is down or a firewall drops the traffic%s", what, host, port, addr,
			  duration(timeout_ms, dur, sizeof(dur)), role ? hint :
			  "; try port 465, 587 or 2525 (or port = auto), or another network");
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
		error_set(e, ERR_TEMP, "connection to %s %s port %u (%s) failed: no route to that "
			  "address (%s); are you online?", what, host, port, addr, strerror(err));
		break;
	default:
		error_set(e, ERR_TEMP, "connection to %s %s port %u (%s) failed: %s%s",
			  what, host, port, addr, strerror(err), hint);
		break;
	}
}

static void numeric_addr(const struct addrinfo *ai, char *out, size_t len)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)len, NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(out, len, "?");
}

int conn_connect_role(struct conn *c, const char *host, unsigned port, unsigned timeout_ms,
		      const char *role, struct error *e)
{
	struct addrinfo *res = NULL, *ai;
	int err = 0;

	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	if (resolve(host, port, role, &res, e))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		numeric_addr(ai, c->addr, sizeof(c->addr));
		if (try_addr(c, ai, timeout_ms, &err) == 0)
			break;
		if (interrupt_signal())
			break;
	}
	freeaddrinfo(res);
	if (c->fd >= 0)
		return 0;
	if (interrupt_signal())
		return error_set(e, ERR_INTERRUPTED, "interrupted by a signal while connecting to %s port %u", host, port);
	conn_connect_error(e, role, host, port, c->addr, err, timeout_ms);
	return -1;
}

int conn_connect(struct conn *c, const char *host, unsigned port, unsigned timeout_s,
		 struct error *e)
{
	return conn_connect_role(c, host, port, timeout_s * 1000, NULL, e);
}

/* ------------------------------------------------------------------ race */

enum { LANE_IDLE = 0, LANE_CONNECTING, LANE_READY, LANE_TAKEN, LANE_FAILED };

void conn_race_init(struct conn_race *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < CONN_RACE_MAX; i++)
		r->lane[i].fd = -1;
}

int conn_race_start(struct conn_race *r, const char *host, const unsigned *ports, size_t n,
		    unsigned stagger_ms, unsigned timeout_ms, struct error *e)
{
	conn_race_init(r);
	if (n > CONN_RACE_MAX)
		n = CONN_RACE_MAX;
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->n = n;
	r->stagger_ms = stagger_ms;
	r->timeout_ms = timeout_ms;
	for (size_t i = 0; i < n; i++)
		r->lane[i].port = ports[i];
	/* the port in the answer does not matter: each lane sets its own */
	if (resolve(host, ports[0], NULL, &r->res, e))
		return -1;
	r->gate = now_ms();
	return 0;
}

static void set_port(struct sockaddr *sa, unsigned port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port = htons((uint16_t)port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons((uint16_t)port);
}

/* Start the lane's next address (from the first when none was tried);
 * moves it to CONNECTING, READY or, out of addresses, FAILED. */
static void lane_try(struct conn_race *r, struct conn_race_lane *l, long long now)
{
	struct sockaddr_storage ss;
	struct addrinfo ai;

	for (;;) {
		const struct addrinfo *cur = l->tried ? l->next : r->res;
		int rc;

		if (!cur) {
			l->state = LANE_FAILED;
			r->gate = now;	/* the next port need not wait */
			return;
		}
		l->tried = 1;
		l->next = cur->ai_next;
		ai = *cur;
		memcpy(&ss, cur->ai_addr, cur->ai_addrlen);
		set_port((struct sockaddr *)&ss, l->port);
		ai.ai_addr = (struct sockaddr *)&ss;
		numeric_addr(&ai, l->addr, sizeof(l->addr));
		log_info("trying %s port %u (%s)", r->host, l->port, l->addr);
		rc = start_connect(&ai, &l->fd, &l->err);
		if (rc == 0) {
			l->state = LANE_READY;
			return;
		}
		if (rc == 1) {
			l->state = LANE_CONNECTING;
			l->deadline = now + r->timeout_ms;
			return;
		}
	}
}

static int lane_take(struct conn_race *r, struct conn_race_lane *l, struct conn *c)
{
	conn_init(c);
	c->fd = l->fd;
	c->port = l->port;
	snprintf(c->host, sizeof(c->host), "%s", r->host);
	snprintf(c->addr, sizeof(c->addr), "%s", l->addr);
	l->fd = -1;
	l->state = LANE_TAKEN;
	return 0;
}

/* Every lane failed: one message naming each port and its cause. */
static int race_lost(const struct conn_race *r, struct error *e)
{
	struct buf b = BUF_INIT;
	size_t i;
	int any_timeout = 0;

	for (i = 0; i < r->n; i++) {
		const struct conn_race_lane *l = &r->lane[i];

		if (l->state != LANE_FAILED)
			continue;
		buf_addf(&b, "%s%u (%s): ", b.len ? "; " : "", l->port, l->addr);
		switch (l->err) {
		case ECONNREFUSED: buf_adds(&b, "refused, nothing listens"); break;
		case ETIMEDOUT: {
			char dur[32];

			buf_addf(&b, "timed out after %s", duration(r->timeout_ms, dur, sizeof(dur)));
			any_timeout = 1;
			break;
		}
		case ENETUNREACH: case EHOSTUNREACH: buf_adds(&b, "no route"); break;
		default: buf_adds(&b, strerror(l->err)); break;
		}
	}
	if (!b.len) {
		buf_release(&b);
		return error_set(e, ERR_TEMP, "no other port of %s is left to try", r->host);
	}
	error_set(e, ERR_TEMP, "cannot connect to %s on any submission port: %s%s", r->host,
		  b.data, any_timeout ? "; a firewall may drop the traffic: try another network, "
		  "or a proxy (proxy = socks5h://...)" : "; is host = right?");
	buf_release(&b);
	return -1;
}

int conn_race_next(struct conn_race *r, struct conn *c, struct error *e)
{
	for (;;) {
		struct pollfd pfd[CONN_RACE_MAX + 1];
		size_t idx[CONN_RACE_MAX];
		long long now = now_ms(), wait = -1;
		size_t i, np = 0, live = 0;
		int n;

		if (interrupt_signal())
			return error_set(e, ERR_INTERRUPTED, "interrupted by a signal while connecting to %s",
					 r->host);
		for (i = 0; i < r->n; i++) {
			struct conn_race_lane *l = &r->lane[i];

			if (l->state == LANE_IDLE && r->gate <= now) {
				lane_try(r, l, now);
				if (l->state != LANE_FAILED)
					r->gate = now + r->stagger_ms;
			}
			if (l->state == LANE_READY)
				return lane_take(r, l, c);
		}
		for (i = 0; i < r->n; i++) {
			struct conn_race_lane *l = &r->lane[i];

			if (l->state == LANE_IDLE) {
				live++;
				if (wait < 0 || r->gate - now < wait)
					wait = r->gate > now ? r->gate - now : 0;
			} else if (l->state == LANE_CONNECTING) {
				long long left = l->deadline > now ? l->deadline - now : 0;

				live++;
				if (wait < 0 || left < wait)
					wait = left;
				idx[np] = i;
				pfd[np].fd = l->fd;
				pfd[np].events = POLLOUT;
				pfd[np++].revents = 0;
			}
		}
		if (!live)
			return race_lost(r, e);
		pfd[np].fd = interrupt_fd();
		pfd[np].events = POLLIN;
		pfd[np].revents = 0;
		n = poll(pfd, np + (pfd[np].fd >= 0), (int)wait);
		if (n < 0 && errno != EINTR)
			return error_set(e, ERR_OS, "poll: %s", strerror(errno));
		now = now_ms();
		for (i = 0; i < np; i++) {
			struct conn_race_lane *l = &r->lane[idx[i]];

			if (pfd[i].revents) {
				if (finish_connect(l->fd, &l->err) == 0) {
					l->state = LANE_READY;
					continue;
				}
			} else if (now < l->deadline) {
				continue;
			} else {
				l->err = ETIMEDOUT;
			}
			close(l->fd);
			l->fd = -1;
			lane_try(r, l, now);
		}
		/* the lane that connected first goes first */
		for (i = 0; i < np; i++)
			if (r->lane[idx[i]].state == LANE_READY)
				return lane_take(r, &r->lane[idx[i]], c);
	}
}

void conn_race_release(struct conn_race *r)
{
	for (size_t i = 0; i < CONN_RACE_MAX; i++)
		if (r->lane[i].fd >= 0)
			close(r->lane[i].fd);
	if (r->res)
		freeaddrinfo(r->res);
	conn_race_init(r);
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
