/* discover.h - from an email address to its submission server, for
 * `postern setup`: the SRV records of RFC 6186/8314, the Thunderbird
 * autoconfig document (autoconfig.h), the domain's MX host looked up in a
 * table of large providers, then probing smtp.DOMAIN and mail.DOMAIN.
 *
 * Everything here that comes from the network (DNS answers, autoconfig
 * documents, greetings, certificates) is untrusted: names are checked to
 * be plain host names before they are used, and escaped when shown.  Each
 * network step has its own deadline, so that discovery never hangs. */
#ifndef POSTERN_DISCOVER_H
#define POSTERN_DISCOVER_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "error.h"

#define DISCOVER_HOST_MAX 254	/* 253 octets of a host name and the NUL */

/* A large provider that setup knows by its MX hosts (or its submission
 * host), with what it wants for a login. */
struct provider {
	const char *name;		/* "Google (Gmail / Google Workspace)" */
	const char *mx[4];		/* MX host suffixes, NULL-terminated */
	const char *hosts[3];		/* its submission hosts, NULL-terminated */
	const char *host;		/* where to submit */
	unsigned port;
	enum account_tls tls;
	enum account_oauth2 oauth2;	/* ACCOUNT_OAUTH2_NONE: no OAuth2 preset */
	const char *app_password;	/* where to make an app password, or NULL */
	const char *note;		/* one more sentence for the person, or NULL */
};

/* The provider whose MX suffix matches mx (the whole name, or a label
 * boundary before the suffix; case-insensitively), or NULL.  mx is
 * untrusted (from DNS); nothing is kept. */
const struct provider *provider_by_mx(const char *mx);

/* The provider whose submission host is host (case-insensitively), or NULL:
 * a server found another way (or given with --host) still gets the
 * provider's hints. */
const struct provider *provider_by_host(const char *host);

/* A found server. */
struct discover_result {
	char host[DISCOVER_HOST_MAX];
	unsigned port;
	enum account_tls tls;
	char source[320];		/* "the SRV record _submissions._tcp.example.org", ... */
	char user[256];			/* autoconfig's <username>, substituted; "" if none */
	const struct provider *provider;	/* by MX or by host; NULL if unknown */
};

/* One resource record of a DNS answer, as discover needs it: SRV (prio,
 * weight, port, target) or MX (prio = preference, target = exchange).
 * target is "" for the root ("."); it is the answer's text, untrusted. */
struct dns_rr {
	unsigned prio, weight, port;
	char target[1025];
};

/* The records of type (33 SRV or 15 MX) in the answer section of a DNS
 * message msg[0..len) (untrusted: bounded by len, compression loops refused
 * by dn_expand), at most max of them into out.  Returns how many were
 * stored, or -1 when the message is malformed. */
int dns_parse_answer(const unsigned char *msg, size_t len, unsigned type, struct dns_rr *out,
		     size_t max);

/* The record RFC 2782 says to use first: lowest priority, then highest
 * weight (the first of equals).  Records whose target is "." (service
 * decidedly not available) or not a plain host name are passed over.
 * Returns its index, or -1 when there is none. */
int dns_pick(const struct dns_rr *rr, size_t n);

/* Whether s is a plain host name postern will connect to and write into a
 * configuration: 1-253 octets, labels of 1-63 letters, digits and '-'
 * separated by single dots.  s is untrusted. */
int discover_host_ok(const char *s);

/* The domain of an address local@domain (the last '@'), when the address
 * is fit to become an account name and from = line (printable ASCII, no
 * space, at most 254 octets) and the domain a host name.  Returns a
 * pointer into address, or NULL. */
const char *discover_address_domain(const char *address);

/* The probe order: smtp.DOMAIN then mail.DOMAIN, each on 465 (implicit
 * TLS), 587 and 2525 (STARTTLS).  Fills out (DISCOVER_PROBES entries) with
 * host, port, tls and source; returns DISCOVER_PROBES. */
#define DISCOVER_PROBES 6
size_t discover_probe_list(const char *domain, struct discover_result *out);

/* Find the submission server of the address's domain: SRV, autoconfig,
 * MX, probing, in that order; each step says what it tried on out, one
 * line each starting with two spaces (escaped: the lines quote DNS
 * answers, URLs and servers' replies).  Returns 1 with *r filled when one
 * answered (r->provider set when the MX or the host is a known
 * provider's), 0 when none did (nothing in e), -1 with e: ERR_USAGE for an
 * address without a usable domain, ERR_INTERRUPTED on a signal. */
int discover_run(const char *address, FILE *out, struct discover_result *r, struct error *e);

#endif
