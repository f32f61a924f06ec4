#include "proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "util.h"

#define SOCKS_VERSION 5
#define SOCKS_CMD_CONNECT 1
#define SOCKS_ATYP_IPV4 1
#define SOCKS_ATYP_NAME 3
#define SOCKS_ATYP_IPV6 4
#define SOCKS_NO_AUTH 0
#define SOCKS_NO_METHOD 0xff

int proxy_parse(const char *url, struct proxy *p, struct error *e)
{
	const char *rest, *colon, *end;
	size_t hlen;
	int bracketed = 0;
	char *stop;
	unsigned long port;

	memset(p, 0, sizeof(*p));
	if (!strncasecmp(url, "socks5h://", 10)) {
		p->remote_dns = 1;
		rest = url + 10;
	} else if (!strncasecmp(url, "socks5://", 9)) {
		rest = url + 9;
	} else {
		return error_set(e, ERR_CONFIG, "proxy = %s: only socks5://HOST:PORT and "
				 "socks5h://HOST:PORT (the proxy looks the server's name up) are supported",
				 url);
	}
	/* the part before @ may hold a password: not repeated */
	if (strchr(rest, '@'))
		return error_set(e, ERR_CONFIG, "proxy = ...@...: a user name and password for the "
				 "proxy are not supported; use a proxy without authentication (ssh -D binds "
				 "to localhost)");
	if (*rest == '[') {
		bracketed = 1;
		end = strchr(rest, ']');
		if (!end || end[1] != ':')
			return error_set(e, ERR_CONFIG, "proxy = %s: an IPv6 address goes in brackets "
					 "followed by :PORT, as socks5://[::1]:1080", url);
		rest++;
		hlen = (size_t)(end - rest);
		colon = end + 1;
	} else {
		colon = strrchr(rest, ':');
		if (!colon)
			return error_set(e, ERR_CONFIG, "proxy = %s has no port; write it as "
					 "socks5h://HOST:PORT (ssh -D PORT listens on localhost:PORT)", url);
		hlen = (size_t)(colon - rest);
	}
	if (!bracketed && memchr(rest, ':', hlen))
		return error_set(e, ERR_CONFIG, "proxy = %s: an IPv6 address goes in brackets, as "
				 "socks5://[::1]:1080", url);
	if (hlen == 0 || hlen >= sizeof(p->host) || memchr(rest, '/', hlen))
		return error_set(e, ERR_CONFIG, "proxy = %s: the host is empty, too long or not a "
				 "host name", url);
	if (colon[1] < '0' || colon[1] > '9')
		return error_set(e, ERR_CONFIG, "proxy = %s: the port is not a number", url);
	port = strtoul(colon + 1, &stop, 10);
	if (*stop == '/' && stop[1] == '\0')
		stop++;
	if (*stop || port < 1 || port > 65535)
		return error_set(e, ERR_CONFIG, "proxy = %s: the port is not a number between 1 and "
				 "65535 (nothing may follow it)", url);
	memcpy(p->host, rest, hlen);
	p->host[hlen] = '\0';
	p->port = (unsigned)port;
	return 0;
}

size_t proxy_request(const char *host, unsigned port, unsigned char *out, size_t cap)
{
	unsigned char a[16];
	size_t n = 0, alen, hlen = strlen(host);

	if (cap < 4 + 1 + 255 + 2 && cap < 4 + 16 + 2)
		return 0;
	out[n++] = SOCKS_VERSION;
	out[n++] = SOCKS_CMD_CONNECT;
	out[n++] = 0;
	if (inet_pton(AF_INET, host, a) == 1) {
		out[n++] = SOCKS_ATYP_IPV4;
		alen = 4;
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		out[n++] = SOCKS_ATYP_IPV6;
		alen = 16;
	} else {
		if (hlen == 0 || hlen > 255 || cap < 4 + 1 + hlen + 2)
			return 0;
		out[n++] = SOCKS_ATYP_NAME;
		out[n++] = (unsigned char)hlen;
		memcpy(out + n, host, hlen);
		n += hlen;
		alen = 0;
	}
	if (cap < n + alen + 2)
		return 0;
	memcpy(out + n, a, alen);
	n += alen;
	out[n++] = (unsigned char)(port >> 8);
	out[n++] = (unsigned char)(port & 0xff);
	return n;
}

const char *proxy_reply_name(unsigned code)
{
	static const char *const names[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by the proxy's rules",
		"network unreachable",
		"host unreachable (or its name not found)",
		"connection refused: nothing listens there",
		"TTL expired (timed out)",
		"command not supported",
		"address type not supported",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "unknown error code";
}

long proxy_reply_check(const unsigned char *buf, size_t len, const char *target,
		       struct error *e)
{
	size_t want = 5;	/* VER REP RSV ATYP and the first address octet */

	if (len >= 1 && buf[0] != SOCKS_VERSION)
		return error_set(e, ERR_PROTOCOL, "the proxy does not speak SOCKS5 (its reply starts "
				 "with 0x%02x); is proxy = the right host and port?", buf[0]);
	if (len >= 2 && buf[1] != 0)
		return error_set(e, ERR_TEMP, "the SOCKS5 proxy could not connect to %s: %s "
				 "(SOCKS reply %u)", target, proxy_reply_name(buf[1]), buf[1]);
	if (len >= 4) {
		switch (buf[3]) {
		case SOCKS_ATYP_IPV4: want = 4 + 4 + 2; break;
		case SOCKS_ATYP_IPV6: want = 4 + 16 + 2; break;
		case SOCKS_ATYP_NAME:
			if (len >= 5)
				want = 4 + 1 + (size_t)buf[4] + 2;
			break;
		default:
			return error_set(e, ERR_PROTOCOL, "the SOCKS5 proxy's reply has an unknown "
					 "address type %u", buf[3]);
		}
	}
	return len >= want ? 0 : (long)(want - len);
}

/* Read exactly n octets: what follows the proxy's reply is the server's. */
static int read_exact(struct conn *c, unsigned char *buf, size_t n, long long deadline,
		      const char *what, struct error *e)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = conn_read(c, (char *)buf + got, n - got, deadline, e);

		if (r < 0)
			return error_prefix(e, "the SOCKS5 proxy %s port %u, %s", c->host, c->port, what);
		if (r == 0)
			return error_set(e, ERR_TEMP, "the SOCKS5 proxy %s port %u closed the connection "
					 "%s", c->host, c->port, what);
		got += (size_t)r;
	}
	return 0;
}

/* The server's first address as the proxy is to be asked (socks5: looked
 * up here). */
static int local_lookup(const char *host, unsigned port, char *out, size_t len, struct error *e)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return error_set(e, ERR_TEMP, "DNS failure: cannot find host %s (port %u) here: %s; "
				 "with proxy = socks5h://... the proxy looks it up instead", host, port,
				 rc == EAI_NONAME || rc == EAI_NODATA ? "no such name in DNS" :
				 gai_strerror(rc));
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0)
		return error_set(e, ERR_TEMP, "cannot use the address of %s: %s", host, gai_strerror(rc));
	return 0;
}

int proxy_connect(struct conn *c, const struct proxy *p, const char *host, unsigned port,
		  unsigned timeout_s, struct error *e)
{
	unsigned char req[4 + 1 + 255 + 2], rep[4 + 1 + 255 + 2];
	char target[320], name[64];
	const char *ask = host;
	long long deadline;
	size_t n, have;
	long more;

	snprintf(target, sizeof(target), "%s port %u", host, port);
	if (!p->remote_dns) {
		if (local_lookup(host, port, name, sizeof(name), e))
			return -1;
		ask = name;
	}
	n = proxy_request(ask, port, req, sizeof(req));
	if (!n)
		return error_set(e, ERR_CONFIG, "host %s is too long for a SOCKS5 request", host);
	log_info("connecting to %s through the SOCKS5 proxy %s port %u%s", target, p->host, p->port,
		 p->remote_dns ? " (the proxy looks the name up)" : "");
	if (conn_connect_role(c, p->host, p->port, timeout_s * 1000, "SOCKS5 proxy", e))
		return -1;
	deadline = now_ms() + (long long)timeout_s * 1000;
	/* one method offered: no authentication */
	if (conn_write(c, "\x05\x01\x00", 3, deadline, e))
		return error_prefix(e, "the SOCKS5 proxy %s port %u", p->host, p->port);
	if (read_exact(c, rep, 2, deadline, "before choosing a method", e))
		return -1;
	if (rep[0] != SOCKS_VERSION)
		return error_set(e, ERR_PROTOCOL, "%s port %u does not speak SOCKS5 (its reply starts "
				 "with 0x%02x); is proxy = the right host and port?", p->host, p->port, rep[0]);
	if (rep[1] != SOCKS_NO_AUTH)
		return error_set(e, ERR_TEMP, "the SOCKS5 proxy %s port %u wants authentication%s; "
				 "postern supports only proxies without it (as ssh -D)", p->host, p->port,
				 rep[1] == SOCKS_NO_METHOD ? "" : " of a kind postern did not offer");
	if (conn_write(c, (const char *)req, n, deadline, e))
		return error_prefix(e, "the SOCKS5 proxy %s port %u", p->host, p->port);
	have = 0;
	while ((more = proxy_reply_check(rep, have, target, e)) > 0) {
		if (read_exact(c, rep + have, (size_t)more, deadline, "before its reply", e))
			return -1;
		have += (size_t)more;
	}
	if (more < 0)
		return error_prefix(e, "proxy %s port %u", p->host, p->port);
	/* from here on the tunnel is the server's connection */
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	/* the proxy's numeric address, as conn_connect_role() left it */
	{
		char via[40];

		snprintf(via, sizeof(via), "%.39s", c->addr);
		snprintf(c->addr, sizeof(c->addr), "via socks5%s proxy %s:%u",
			 p->remote_dns ? "h" : "", via, p->port);
	}
	return 0;
}
