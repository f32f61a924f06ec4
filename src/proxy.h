/* proxy.h - the client side of SOCKS5 (RFC 1928), no authentication
 * method, CONNECT only: for networks that block the submission ports, the
 * usual way out is `ssh -D PORT somewhere` and proxy = socks5h://... .
 *
 * The encoding and the reply parser are pure functions (unit-tested);
 * proxy_connect() runs them over a struct conn with its deadlines and
 * interrupt handling. */
#ifndef POSTERN_PROXY_H
#define POSTERN_PROXY_H

#include <stddef.h>

#include "conn.h"
#include "error.h"

struct proxy {
	int remote_dns;		/* socks5h: the proxy resolves the server's name */
	char host[256];		/* the proxy's host */
	unsigned port;
};

/* Parse "socks5://host:port" or "socks5h://host:port" (host may be an
 * IPv6 address in brackets).  Returns 0, or -1 with ERR_CONFIG and a
 * message that says what is wrong (user:password@ is refused: not
 * supported).  url is from the configuration. */
int proxy_parse(const char *url, struct proxy *p, struct error *e);

/* The CONNECT request for host:port into out (cap octets): with an
 * address type by what host is (a numeric IPv4 or IPv6 address, else a
 * domain name of at most 255 octets).  Returns its length, or 0 when the
 * name is too long or out too small. */
size_t proxy_request(const char *host, unsigned port, unsigned char *out, size_t cap);

/* How much of the proxy's CONNECT reply buf (len octets, from the proxy:
 * untrusted) is still missing: returns > 0 (read that many more octets),
 * 0 when it is complete and says "succeeded", or -1 with ERR_TEMP (or
 * ERR_PROTOCOL for a reply that is not SOCKS5) and the reply code in words,
 * naming target (the server, "host port N") in the message. */
long proxy_reply_check(const unsigned char *buf, size_t len, const char *target,
		       struct error *e);

/* The words for a SOCKS5 reply code (RFC 1928 section 6). */
const char *proxy_reply_name(unsigned code);

/* Connect c to host:port through the proxy: TCP to the proxy (each
 * attempt bounded by timeout_s), the no-authentication method, then
 * CONNECT with the name (socks5h) or the address this machine resolves
 * (socks5).  The whole exchange ends by timeout_s.  On success c carries
 * the tunnel, with host and port set to the server's and addr saying
 * "via socks5 proxy HOST:PORT".  Errors: ERR_TEMP naming the proxy when it
 * cannot be reached or the server through it, with the cause in words;
 * ERR_PROTOCOL when the proxy does not speak SOCKS5; ERR_INTERRUPTED. */
int proxy_connect(struct conn *c, const struct proxy *p, const char *host, unsigned port,
		  unsigned timeout_s, struct error *e);

#endif
