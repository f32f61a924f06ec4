/* discover.c - see discover.h. */
#include "discover.h"

#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "autoconfig.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "util.h"

/* Each network step's own deadline, in seconds: an unreachable resolver,
 * web server or SMTP port costs at most this much each. */
#define DNS_RETRANS_S 2
#define HTTP_TIMEOUT_S 8
#define PROBE_TIMEOUT_S 5

/* ------------------------------------------------------------ providers */

static const struct provider providers[] = {
	{ "Google (Gmail / Google Workspace)", { "google.com", "googlemail.com", NULL },
	  { "smtp.gmail.com", "smtp.googlemail.com", NULL }, "smtp.gmail.com", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_GOOGLE, "https://myaccount.google.com/apppasswords",
	  "with 2-Step Verification on, Google takes an app password instead of your own" },
	/* outlook.com-hosted personal mail has its own MX and host; it must
	 * come before the Microsoft 365 entry, whose suffix also matches it */
	{ "Outlook.com (Microsoft personal)", { "olc.protection.outlook.com", "hotmail.com", NULL },
	  { "smtp-mail.outlook.com", NULL }, "smtp-mail.outlook.com", 587,
	  ACCOUNT_TLS_STARTTLS, ACCOUNT_OAUTH2_MICROSOFT, NULL,
	  "Microsoft turns password logins off; OAuth2 is what keeps working" },
	{ "Microsoft 365", { "mail.protection.outlook.com", "protection.outlook.com", NULL },
	  { "smtp.office365.com", NULL }, "smtp.office365.com", 587,
	  ACCOUNT_TLS_STARTTLS, ACCOUNT_OAUTH2_MICROSOFT, NULL,
	  "Microsoft 365 allows password logins (SMTP AUTH) only where the administrator "
	  "turned them on; OAuth2 is what keeps working" },
	{ "Fastmail", { "messagingengine.com", NULL },
	  { "smtp.fastmail.com", NULL }, "smtp.fastmail.com", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE,
	  "https://app.fastmail.com/settings/security/apps", NULL },
	{ "iCloud Mail", { "mail.icloud.com", "me.com", NULL },
	  { "smtp.mail.me.com", NULL }, "smtp.mail.me.com", 587,
	  ACCOUNT_TLS_STARTTLS, ACCOUNT_OAUTH2_NONE, "https://account.apple.com/account/manage",
	  "iCloud takes an app-specific password (Sign-In and Security), not your Apple ID password" },
	{ "Yahoo Mail", { "yahoodns.net", NULL },
	  { "smtp.mail.yahoo.com", NULL }, "smtp.mail.yahoo.com", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE, "https://login.yahoo.com/account/security", NULL },
	{ "GMX", { "gmx.net", "gmx.de", NULL },
	  { "mail.gmx.net", NULL }, "mail.gmx.net", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE, NULL,
	  "turn on POP3/IMAP access in GMX's web mail settings first (E-Mail, POP3 & IMAP)" },
	{ "GMX (gmx.com)", { "gmx.com", NULL },
	  { "mail.gmx.com", NULL }, "mail.gmx.com", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE, NULL,
	  "turn on POP3/IMAP access in GMX's web mail settings first" },
	{ "mailbox.org", { "mailbox.org", NULL },
	  { "smtp.mailbox.org", NULL }, "smtp.mailbox.org", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE, NULL, NULL },
	{ "Zoho Mail", { "zoho.com", "zohomail.com", NULL },
	  { "smtp.zoho.com", NULL }, "smtp.zoho.com", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE,
	  "https://accounts.zoho.com/home#security/app_password",
	  "with two-factor authentication on, Zoho takes an app password" },
	{ "Zoho Mail (EU)", { "zoho.eu", NULL },
	  { "smtp.zoho.eu", NULL }, "smtp.zoho.eu", 465,
	  ACCOUNT_TLS_IMPLICIT, ACCOUNT_OAUTH2_NONE,
	  "https://accounts.zoho.eu/home#security/app_password",
	  "with two-factor authentication on, Zoho takes an app password" },
	{ "Proton Mail (through Proton Mail Bridge)", { "protonmail.ch", "proton.me", NULL },
	  { NULL }, "127.0.0.1", 1025,
	  ACCOUNT_TLS_STARTTLS, ACCOUNT_OAUTH2_NONE, NULL,
	  "Proton Mail Bridge must run on this machine; give the password the Bridge shows, "
	  "and trust its certificate with tls_fingerprint (postern doctor shows it)" },
};

#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* name ends with suffix at a label boundary (or is it). */
static int suffix_match(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n && name[n - 1] == '.')
		n--;
	if (n < k || strncasecmp(name + n - k, suffix, k))
		return 0;
	return n == k || name[n - k - 1] == '.';
}

const struct provider *provider_by_mx(const char *mx)
{
	for (size_t i = 0; i < NPROVIDERS; i++)
		for (size_t j = 0; providers[i].mx[j]; j++)
			if (suffix_match(mx, providers[i].mx[j]))
				return &providers[i];
	return NULL;
}

const struct provider *provider_by_host(const char *host)
{
	for (size_t i = 0; i < NPROVIDERS; i++)
		for (size_t j = 0; providers[i].hosts[j]; j++)
			if (!strcasecmp(host, providers[i].hosts[j]))
				return &providers[i];
	return NULL;
}

/* ------------------------------------------------------------ names */

int discover_host_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!(isalnum(ch) && ch < 0x80) && ch != '-')
			return 0;
		if (ch == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

const char *discover_address_domain(const char *address)
{
	const char *at = strrchr(address, '@');
	size_t n = strlen(address);

	if (!at || at == address || n > 254)
		return NULL;
	for (const char *p = address; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("[];\"\\", *p))
			return NULL;
	return discover_host_ok(at + 1) && strchr(at + 1, '.') ? at + 1 : NULL;
}

/* ------------------------------------------------------------ DNS */

int dns_parse_answer(const unsigned char *msg, size_t len, unsigned type, struct dns_rr *out,
		     size_t max)
{
	const unsigned char *p = msg, *eom = msg + len;
	unsigned qd, an;
	char name[NS_MAXDNAME];
	int n;
	size_t got = 0;

	if (len < 12 || len > 65535)
		return -1;
	qd = (unsigned)msg[4] << 8 | msg[5];
	an = (unsigned)msg[6] << 8 | msg[7];
	p += 12;
	for (unsigned i = 0; i < qd; i++) {
		n = dn_expand(msg, eom, p, name, sizeof(name));
		if (n < 0 || eom - (p + n) < 4)
			return -1;
		p += n + 4;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned rtype, rdlen, fixed = type == ns_t_srv ? 6 : 2;

		n = dn_expand(msg, eom, p, name, sizeof(name));
		if (n < 0 || eom - (p + n) < 10)
			return -1;
		p += n;
		rtype = (unsigned)p[0] << 8 | p[1];
		rdlen = (unsigned)p[8] << 8 | p[9];
		p += 10;
		if ((size_t)(eom - p) < rdlen)
			return -1;
		if (rtype == type && (type == ns_t_srv || type == ns_t_mx)) {
			struct dns_rr rr;

			if (rdlen < fixed + 1)
				return -1;
			memset(&rr, 0, sizeof(rr));
			rr.prio = (unsigned)p[0] << 8 | p[1];
			if (type == ns_t_srv) {
				rr.weight = (unsigned)p[2] << 8 | p[3];
				rr.port = (unsigned)p[4] << 8 | p[5];
			}
			n = dn_expand(msg, eom, p + fixed, rr.target, sizeof(rr.target));
			if (n < 0 || fixed + (unsigned)n > rdlen)
				return -1;
			if (got < max)
				out[got++] = rr;
		}
		p += rdlen;
	}
	return (int)got;
}

int dns_pick(const struct dns_rr *rr, size_t n)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if (!rr[i].target[0] || !discover_host_ok(rr[i].target))
			continue;
		if (best < 0 || rr[i].prio < rr[best].prio ||
		    (rr[i].prio == rr[best].prio && rr[i].weight > rr[best].weight))
			best = (int)i;
	}
	return best;
}

#define DNS_RR_MAX 16

/* The records of type for name into rr (DNS_RR_MAX); the count, 0 when
 * there are none (or the name does not exist), -1 when the lookup failed
 * otherwise, with a sentence in why. */
static int dns_lookup(const char *name, int type, struct dns_rr *rr, char *why, size_t whylen)
{
	struct __res_state rs;
	unsigned char ans[8192];
	int n;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0) {
		snprintf(why, whylen, "cannot read the resolver configuration");
		return -1;
	}
	/* glibc's default is 5 s, twice, per server */
	rs.retrans = DNS_RETRANS_S;
	rs.retry = 1;
	n = res_nquery(&rs, name, ns_c_in, type, ans, sizeof(ans));
	if (n < 0) {
		int h = rs.res_h_errno;

		res_nclose(&rs);
		if (h == HOST_NOT_FOUND || h == NO_DATA)
			return 0;
		snprintf(why, whylen, "%s", h == TRY_AGAIN ? "no answer from the resolver" :
			 "the lookup failed");
		return -1;
	}
	res_nclose(&rs);
	if (n > (int)sizeof(ans))
		n = (int)sizeof(ans);
	n = dns_parse_answer(ans, (size_t)n, (unsigned)type, rr, DNS_RR_MAX);
	if (n < 0)
		snprintf(why, whylen, "a malformed answer");
	return n;
}

static void show(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of what was tried: it quotes DNS answers, URLs and servers'
 * replies, so the whole line is escaped on its way out. */
static void show(FILE *out, const char *fmt, ...)
{
	struct buf raw = BUF_INIT, line = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	buf_adds(&line, "  ");
	buf_add_escaped(&line, raw.data, raw.len);
	buf_adds(&line, "\n");
	fputs(line.data, out);
	fflush(out);
	buf_release(&raw);
	buf_release(&line);
}

static int try_srv(const char *domain, int implicit, FILE *out, struct discover_result *r)
{
	struct dns_rr rr[DNS_RR_MAX];
	char name[300], why[128], shown[128];
	int n, best;

	snprintf(name, sizeof(name), "_%s._tcp.%s", implicit ? "submissions" : "submission", domain);
	n = dns_lookup(name, ns_t_srv, rr, why, sizeof(why));
	if (n < 0) {
		show(out, "SRV %s: %s", name, why);
		return 0;
	}
	best = dns_pick(rr, (size_t)n);
	if (best < 0 || rr[best].port == 0) {
		if (n > 0 && best < 0 && !rr[0].target[0])
			show(out, "SRV %s: \".\", no service here", name);
		else if (n > 0) {
			str_escape(shown, sizeof(shown), rr[0].target, strlen(rr[0].target));
			show(out, "SRV %s: no usable record (%s port %u)", name, shown, rr[0].port);
		} else
			show(out, "SRV %s: no record", name);
		return 0;
	}
	show(out, "SRV %s: %s port %u", name, rr[best].target, rr[best].port);
	snprintf(r->host, sizeof(r->host), "%s", rr[best].target);
	r->port = rr[best].port;
	r->tls = implicit ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS;
	snprintf(r->source, sizeof(r->source), "the SRV record %s", name);
	return 1;
}

/* ------------------------------------------------------------ autoconfig */

static int try_autoconfig(const char *address, const char *domain, int well_known, FILE *out,
			  struct discover_result *r, struct error *e)
{
	struct http_response resp;
	struct autoconfig ac;
	struct error he;
	char *url;
	int rc = 0;

	url = well_known ? xasprintf("https://%s/.well-known/autoconfig/mail/config-v1.1.xml", domain)
			 : xasprintf("https://autoconfig.%s/mail/config-v1.1.xml", domain);
	http_response_init(&resp);
	error_clear(&he);
	if (http_get(url, NULL, HTTP_TIMEOUT_S, &resp, &he)) {
		if (he.cls == ERR_INTERRUPTED) {
			*e = he;
			rc = -1;
			goto out;
		}
		show(out, "autoconfig %s: %s", url, he.msg);
		goto out;
	}
	if (resp.status != 200) {
		show(out, "autoconfig %s: HTTP status %ld", url, resp.status);
		goto out;
	}
	if (autoconfig_parse(resp.body.data, resp.body.len, address, &ac, &he)) {
		show(out, "autoconfig %s: %s", url, he.msg);
		goto out;
	}
	show(out, "autoconfig %s: %s port %u", url, ac.host, ac.port);
	snprintf(r->host, sizeof(r->host), "%s", ac.host);
	r->port = ac.port;
	r->tls = ac.tls;
	snprintf(r->user, sizeof(r->user), "%s", ac.user);
	snprintf(r->source, sizeof(r->source), "autoconfig %s", url);
	rc = 1;
out:
	http_response_release(&resp);
	free(url);
	return rc;
}

/* ------------------------------------------------------------ MX */

static int try_mx(const char *domain, FILE *out, struct discover_result *r)
{
	struct dns_rr rr[DNS_RR_MAX];
	const struct provider *p;
	char why[128];
	int n, best;

	n = dns_lookup(domain, ns_t_mx, rr, why, sizeof(why));
	if (n < 0) {
		show(out, "MX %s: %s", domain, why);
		return 0;
	}
	best = dns_pick(rr, (size_t)n);
	if (best < 0) {
		show(out, "MX %s: no record", domain);
		return 0;
	}
	p = provider_by_mx(rr[best].target);
	if (!p) {
		show(out, "MX %s: %s, not a provider postern knows", domain, rr[best].target);
		return 0;
	}
	show(out, "MX %s: %s, %s", domain, rr[best].target, p->name);
	snprintf(r->host, sizeof(r->host), "%s", p->host);
	r->port = p->port;
	r->tls = p->tls;
	r->provider = p;
	snprintf(r->source, sizeof(r->source), "the MX host %s: %s", rr[best].target, p->name);
	return 1;
}

/* ------------------------------------------------------------ probing */

size_t discover_probe_list(const char *domain, struct discover_result *out)
{
	static const char *const prefix[] = { "smtp", "mail" };
	static const unsigned ports[] = { 465, 587, 2525 };
	size_t k = 0;

	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 3; j++, k++) {
			memset(&out[k], 0, sizeof(out[k]));
			snprintf(out[k].host, sizeof(out[k].host), "%s.%s", prefix[i], domain);
			out[k].port = ports[j];
			out[k].tls = ports[j] == 465 ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS;
			snprintf(out[k].source, sizeof(out[k].source), "probing %s", out[k].host);
		}
	return k;
}

/* Whether host has an address at all: a name that does not exist is
 * said once, not once per port. */
static int resolvable(const char *host)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (res)
		freeaddrinfo(res);
	return rc == 0;
}

/* Greet, and complete TLS verified for the name: the same session as a
 * login, without one (auth = off, no message). */
static int probe_one(const struct discover_result *c, struct error *e)
{
	struct config cfg;
	char *text, *helo = NULL;
	int rc = -1;

	config_init(&cfg);
	text = xasprintf("[probe]\nhost = %s\nport = %u\ntls = %s\nauth = off\ntimeout = %u\n",
			 c->host, c->port, config_tls_name(c->tls), PROBE_TIMEOUT_S);
	if (config_parse_string(&cfg, "probe", text, e))
		goto out;
	helo = session_ehlo_name(&cfg.acc[0]);
	rc = session_verify(&cfg.acc[0], NULL, helo, e);
out:
	free(helo);
	free(text);
	config_release(&cfg);
	return rc;
}

static int try_probe(const char *domain, FILE *out, struct discover_result *r, struct error *e)
{
	struct discover_result c[DISCOVER_PROBES];
	size_t n = discover_probe_list(domain, c);

	for (size_t i = 0; i < n; i++) {
		struct error pe;

		if (i % 3 == 0 && !resolvable(c[i].host)) {
			show(out, "probing %s: no such host", c[i].host);
			i += 2;
			continue;
		}
		error_clear(&pe);
		if (probe_one(&c[i], &pe)) {
			if (pe.cls == ERR_INTERRUPTED) {
				*e = pe;
				return -1;
			}
			show(out, "probing %s port %u (%s): %s", c[i].host, c[i].port,
			     c[i].tls == ACCOUNT_TLS_IMPLICIT ? "implicit TLS" : "STARTTLS", pe.msg);
			continue;
		}
		show(out, "probing %s port %u (%s): answers", c[i].host, c[i].port,
		     c[i].tls == ACCOUNT_TLS_IMPLICIT ? "implicit TLS" : "STARTTLS");
		*r = c[i];
		return 1;
	}
	return 0;
}

int discover_run(const char *address, FILE *out, struct discover_result *r, struct error *e)
{
	const char *domain = discover_address_domain(address);
	int rc;

	memset(r, 0, sizeof(*r));
	if (!domain)
		return error_set(e, ERR_USAGE, "not an address postern can set up (local@domain)");
	if (try_srv(domain, 1, out, r) || try_srv(domain, 0, out, r))
		goto found;
	if ((rc = try_autoconfig(address, domain, 0, out, r, e)) != 0 ||
	    (rc = try_autoconfig(address, domain, 1, out, r, e)) != 0) {
		if (rc < 0)
			return -1;
		goto found;
	}
	if (try_mx(domain, out, r))
		goto found;
	if ((rc = try_probe(domain, out, r, e)) != 0) {
		if (rc < 0)
			return -1;
		goto found;
	}
	return 0;
found:
	if (!r->provider)
		r->provider = provider_by_host(r->host);
	return 1;
}
