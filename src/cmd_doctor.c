/* cmd_doctor.c - `postern doctor`: the steps (network, TLS, the session)
 * and doctor_decide(), the verdict they lead to. */
#include "cmd_doctor.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "autoport.h"
#include "credential.h"
#include "discover.h"
#include "log.h"
#include "secret.h"
#include "session.h"
#include "tls.h"

/* The ports a client may submit on (RFC 8314: 465 implicit TLS first;
 * 587 STARTTLS; 2525, the usual way around a network that blocks both)
 * and 25, the relay port, to tell a blocked network from a closed server. */
static const unsigned standard_ports[] = { 465, 587, 2525, 25 };
/* The TCP step's wait for a connection and its greeting: short, since the
 * doctor is run by a person waiting; a smaller account timeout wins. */
#define PROBE_WINDOW_MS 3000
#define PROBE_MAX_ADDRS 4
#define MAX_PORTS 16

/* ------------------------------------------------------------ decision */

void doctor_verdict_init(struct doctor_verdict *v)
{
	v->kind = DOCTOR_WORKS;
	v->exit_code = EX_OK;
	v->port = 0;
	v->tls = ACCOUNT_TLS_OFF;
	buf_init(&v->why);
	buf_init(&v->fix);
}

void doctor_verdict_release(struct doctor_verdict *v)
{
	buf_release(&v->why);
	buf_release(&v->fix);
}

const char *doctor_verdict_name(enum doctor_verdict_kind k)
{
	switch (k) {
	case DOCTOR_WORKS: return "works";
	case DOCTOR_WRONG_PORT: return "wrong port";
	case DOCTOR_NETWORK: return "network blocks submission ports";
	case DOCTOR_AUTH: return "authentication refused";
	case DOCTOR_CERT: return "certificate problem";
	case DOCTOR_CONFIG: return "configuration error";
	}
	return "?";
}

static void add_esc(struct buf *b, const char *s)
{
	buf_add_escaped(b, s, strlen(s));
}

static void verdict(struct doctor_verdict *v, enum doctor_verdict_kind k, int code)
{
	v->kind = k;
	v->exit_code = code;
}

/* A wrong port: the setting that answers, and how it fared when tried. */
static void wrong_port(const struct doctor_facts *f, struct doctor_verdict *v, unsigned port,
		       enum account_tls tls)
{
	verdict(v, DOCTOR_WRONG_PORT, error_exit_code(ERR_CONFIG));
	v->port = port;
	v->tls = tls;
	if (!f->suggested_ran)
		return;
	buf_addf(&v->why, "tried with port %u and tls = %s: ", port, config_tls_name(tls));
	if (f->suggested_cls == ERR_NONE) {
		buf_adds(&v->why, "TLS and the login work there\n");
	} else {
		buf_adds(&v->why, "that fails too: ");
		add_esc(&v->why, f->suggested_msg ? f->suggested_msg : "");
		buf_adds(&v->why, "\n");
	}
}

static int is_open(enum doctor_port_state st)
{
	return st >= DOCTOR_PORT_OTHER;
}

static const char *port_words(enum doctor_port_state st)
{
	switch (st) {
	case DOCTOR_PORT_SMTP: return "open, SMTP greeting (STARTTLS)";
	case DOCTOR_PORT_SILENT: return "open, no greeting: TLS at once (implicit TLS)";
	case DOCTOR_PORT_OTHER: return "open, but no SMTP greeting";
	case DOCTOR_PORT_REFUSED: return "refused (nothing listens)";
	case DOCTOR_PORT_UNREACHABLE: return "no route to the host";
	case DOCTOR_PORT_DROPPED: return "no answer (silently dropped)";
	case DOCTOR_PORT_ERROR: break;
	}
	return "not tried (no socket)";
}

/* The mode a port's answer implies. */
static enum account_tls port_mode(enum doctor_port_state st)
{
	return st == DOCTOR_PORT_SILENT ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS;
}

/* "[account] in FILE" (joiner "in") or "[account] of FILE". */
static void section(struct buf *b, const struct doctor_facts *f, const char *joiner)
{
	buf_adds(b, "[");
	add_esc(b, f->account);
	buf_addf(b, "] %s ", joiner);
	add_esc(b, f->path);
}

/* "check `host = h` in [account] of FILE" and tail. */
static void fix_check_host(struct doctor_verdict *v, const struct doctor_facts *f, const char *tail)
{
	buf_adds(&v->fix, "check `host = ");
	add_esc(&v->fix, f->host);
	buf_adds(&v->fix, "` in ");
	section(&v->fix, f, "of");
	buf_adds(&v->fix, tail);
}

/* "change `key = old` to `key = new` on line N of FILE", or "add ...". */
static void fix_line(struct doctor_verdict *v, const struct doctor_facts *f, const char *key,
		     const char *old, const char *new_value, int line)
{
	if (line > 0) {
		buf_addf(&v->fix, "change `%s = %s` to `%s = %s` on line %d of ", key, old, key,
			 new_value, line);
		add_esc(&v->fix, f->path);
	} else {
		buf_addf(&v->fix, "add `%s = %s` to ", key, new_value);
		section(&v->fix, f, "in");
	}
	buf_adds(&v->fix, "\n");
}

/* The tls = line for a move to port with mode, when the file's (or the
 * default for that port) differs. */
static void fix_tls(struct doctor_verdict *v, const struct doctor_facts *f, unsigned port,
		    enum account_tls mode)
{
	enum account_tls now = f->tls_set ? f->tls :
			       port == 465 ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS;

	if (now != mode)
		fix_line(v, f, "tls", config_tls_name(f->tls), config_tls_name(mode),
			 f->tls_set ? f->tls_line : 0);
}

static void decide_cert(const struct doctor_facts *f, struct doctor_verdict *v)
{
	static const char *const what[] = {
		[DOCTOR_CERT_OK] = "the certificate was refused",
		[DOCTOR_CERT_NAME] = "the certificate is for another name",
		[DOCTOR_CERT_UNKNOWN_CA] = "the certificate is signed by a CA this machine does not trust",
		[DOCTOR_CERT_SELF_SIGNED] = "the certificate is self-signed",
		[DOCTOR_CERT_EXPIRED] = "the certificate has expired",
		[DOCTOR_CERT_NOT_YET_VALID] = "the certificate is not valid yet (check this machine's clock)",
		[DOCTOR_CERT_OTHER] = "the certificate was refused",
	};

	verdict(v, DOCTOR_CERT, error_exit_code(ERR_TLS));
	buf_adds(&v->why, what[f->cert]);
	buf_adds(&v->why, ": ");
	add_esc(&v->why, f->session_msg ? f->session_msg : "");
	buf_adds(&v->why, "\n");
	if (f->cert == DOCTOR_CERT_NAME && f->cert_name) {
		/* host = is a required key: never "add" */
		buf_adds(&v->fix, "change `host = ");
		add_esc(&v->fix, f->host);
		buf_adds(&v->fix, "` to `host = ");
		add_esc(&v->fix, f->cert_name);
		buf_adds(&v->fix, "` in ");
		section(&v->fix, f, "of");
		buf_adds(&v->fix, " (if that name is your provider's server)\n");
	} else if (f->cert == DOCTOR_CERT_UNKNOWN_CA || f->cert == DOCTOR_CERT_SELF_SIGNED) {
		buf_adds(&v->fix, "add `tls_ca_file = /path/to/the-ca.pem` to ");
		section(&v->fix, f, "in");
		buf_adds(&v->fix, f->cert == DOCTOR_CERT_SELF_SIGNED ?
			 " (the server's own certificate, from its operator)\n" :
			 " (the CA certificate that signed it, from the server's operator)\n");
	} else if (f->cert == DOCTOR_CERT_EXPIRED) {
		buf_adds(&v->why, "the server's operator must renew it; no setting makes it valid\n");
	}
	if (f->fingerprint && *f->fingerprint && f->cert != DOCTOR_CERT_NOT_YET_VALID) {
		buf_adds(&v->fix, v->fix.len ? "or pin" : "pin");
		buf_adds(&v->fix, " this very certificate, once its fingerprint is confirmed by the "
			 "provider: add `tls_fingerprint = ");
		add_esc(&v->fix, f->fingerprint);
		buf_adds(&v->fix, "` to ");
		section(&v->fix, f, "in");
		buf_adds(&v->fix, "\n");
	}
}

/* The configured port does not answer: another one, or the network. */
static void decide_closed(const struct doctor_facts *f, const struct doctor_port *mine,
			  struct doctor_verdict *v)
{
	const struct doctor_port *alt = NULL;
	struct buf dropped = BUF_INIT;
	int any_open = 0;
	char old[16], new_value[16];

	/* the first open port in the order tried (465 first, as RFC 8314
	 * prefers), never 25: a client is not meant to submit there */
	for (size_t i = 0; i < f->nports; i++) {
		const struct doctor_port *p = &f->ports[i];

		if (p == mine)
			continue;
		if (is_open(p->state))
			any_open = 1;
		if (!alt && p->port != 25 &&
		    (p->state == DOCTOR_PORT_SMTP || p->state == DOCTOR_PORT_SILENT))
			alt = p;
	}
	for (size_t i = 0; i < f->nports; i++)
		if (f->ports[i].state == DOCTOR_PORT_DROPPED ||
		    f->ports[i].state == DOCTOR_PORT_UNREACHABLE)
			buf_addf(&dropped, "%s%u", dropped.len ? ", " : "", f->ports[i].port);

	if (alt) {
		buf_addf(&v->why, "port %u: %s; port %u answers (%s)\n", mine->port,
			 port_words(mine->state), alt->port, port_words(alt->state));
		wrong_port(f, v, alt->port, port_mode(alt->state));
		snprintf(old, sizeof(old), "%u", f->port);
		snprintf(new_value, sizeof(new_value), "%u", alt->port);
		fix_line(v, f, "port", old, new_value, f->port_line);
		fix_tls(v, f, alt->port, port_mode(alt->state));
	} else if (dropped.len) {
		verdict(v, DOCTOR_NETWORK, error_exit_code(ERR_TEMP));
		buf_addf(&v->why, "no answer at all on port%s %s: a firewall on this network (or the "
			 "provider's) drops them silently%s\n", strchr(dropped.data, ',') ? "s" : "",
			 dropped.data, any_open ? "; the ports that answer are not for submission" : "");
		buf_adds(&v->why, "try: port 2525 if the provider offers it; another network (a phone's "
			 "hotspot) to confirm; or a tunnel: `ssh -D 1080 a-host-you-can-reach` and "
			 "`proxy = socks5://127.0.0.1:1080`\n");
	} else {
		verdict(v, DOCTOR_CONFIG, error_exit_code(ERR_CONFIG));
		buf_adds(&v->why, "nothing listens at ");
		add_esc(&v->why, f->host);
		buf_addf(&v->why, " on port %u nor on any other submission port: is it the "
			 "provider's submission server?\n", mine->port);
		fix_check_host(v, f, " against the provider's documentation\n");
	}
	buf_release(&dropped);
}

void doctor_decide(const struct doctor_facts *f, struct doctor_verdict *v)
{
	const struct doctor_port *mine = NULL;

	buf_reset(&v->why);
	buf_reset(&v->fix);
	verdict(v, DOCTOR_WORKS, EX_OK);
	v->port = 0;
	v->tls = ACCOUNT_TLS_OFF;
	if (f->config_msg) {
		verdict(v, DOCTOR_CONFIG, error_exit_code(ERR_CONFIG));
		add_esc(&v->why, f->config_msg);
		buf_adds(&v->why, "\n");
		return;
	}
	if (f->dns_msg) {
		verdict(v, DOCTOR_CONFIG, error_exit_code(ERR_CONFIG));
		add_esc(&v->why, f->dns_msg);
		buf_adds(&v->why, "\n");
		fix_check_host(v, f, "\n");
		return;
	}
	for (size_t i = 0; i < f->nports; i++)
		if (f->ports[i].port == f->port) {
			mine = &f->ports[i];
			break;
		}
	if (f->session_ran && f->session_cls == ERR_NONE) {
		buf_adds(&v->why, "the server took the connection, TLS and the login: this account "
			 "can send\n");
		return;
	}
	if (f->session_ran && f->session_cls == ERR_AUTH) {
		verdict(v, DOCTOR_AUTH, error_exit_code(ERR_AUTH));
		buf_adds(&v->why, "the server said: ");
		add_esc(&v->why, f->session_msg ? f->session_msg : "(nothing)");
		buf_adds(&v->why, "\ncheck user = and the password; providers with two-factor "
			 "login want an app password, some only OAuth2 (auth = xoauth2 and "
			 "oauth2 = google or microsoft, then `postern oauth2 authorize ACCOUNT`)\n");
		return;
	}
	if (f->session_ran && f->session_cls == ERR_TLS && f->cert != DOCTOR_CERT_OK) {
		decide_cert(f, v);
		return;
	}
	if (mine && !is_open(mine->state)) {
		decide_closed(f, mine, v);
		return;
	}
	/* The port answers but the session failed: the wrong kind of TLS for
	 * what the port speaks? */
	if (mine && f->tls == ACCOUNT_TLS_IMPLICIT && mine->state == DOCTOR_PORT_SMTP) {
		buf_addf(&v->why, "port %u speaks SMTP first and offers STARTTLS, but the account "
			 "expects TLS at once (tls = implicit)\n", f->port);
		wrong_port(f, v, f->port, ACCOUNT_TLS_STARTTLS);
		fix_tls(v, f, f->port, ACCOUNT_TLS_STARTTLS);
		return;
	}
	if (mine && f->tls != ACCOUNT_TLS_IMPLICIT && mine->state == DOCTOR_PORT_SILENT) {
		buf_addf(&v->why, "port %u waits for TLS at once (implicit TLS), but the account "
			 "waits for an SMTP greeting (tls = %s)\n", f->port, config_tls_name(f->tls));
		wrong_port(f, v, f->port, ACCOUNT_TLS_IMPLICIT);
		fix_tls(v, f, f->port, ACCOUNT_TLS_IMPLICIT);
		return;
	}
	/* Anything else: the server or the setup broke the session off. */
	verdict(v, DOCTOR_CONFIG, f->session_ran ? error_exit_code(f->session_cls) :
				  error_exit_code(ERR_INTERNAL));
	buf_adds(&v->why, "the session did not complete: ");
	add_esc(&v->why, f->session_msg ? f->session_msg : "not tried");
	buf_adds(&v->why, "\n");
}

/* ---------------------------------------------------------------- DNS */

int doctor_parse_srv(const unsigned char *msg, size_t len, struct strvec *out)
{
	enum { MAX_SHOWN = 32 };
	struct dns_rr *rr = xcalloc(MAX_SHOWN, sizeof(*rr));
	int n = dns_parse_answer(msg, len, ns_t_srv, rr, MAX_SHOWN);

	for (int i = 0; i < n; i++) {
		struct buf b = BUF_INIT;

		buf_addf(&b, "%u %u %u ", rr[i].prio, rr[i].weight, rr[i].port);
		if (rr[i].target[0])
			add_esc(&b, rr[i].target);
		else
			buf_adds(&b, ".");
		strvec_push_take(out, buf_detach(&b));
	}
	free(rr);
	return n;
}

/* The SRV records of one name, as lines into out; "" when there are none. */
static void srv_lookup(const char *name, struct buf *out)
{
	unsigned char ans[4096];
	struct strvec recs = STRVEC_INIT;
	int n;

	/* The records only inform: a resolver that does not answer must not
	 * hold the doctor for glibc's default 5 s x 2 tries per server. */
	if (!(_res.options & RES_INIT) && res_init() != 0)
		return;
	_res.retrans = 1;
	_res.retry = 1;
	n = res_query(name, C_IN, 33 /* SRV */, ans, sizeof(ans));

	if (n > 0 && doctor_parse_srv(ans, (size_t)(n < (int)sizeof(ans) ? n : (int)sizeof(ans)),
				      &recs) > 0) {
		for (size_t i = 0; i < recs.n; i++) {
			buf_adds(out, "   SRV ");
			add_esc(out, name);
			buf_addf(out, ": %s\n", recs.v[i]);
		}
	}
	strvec_release(&recs);
}

/* ---------------------------------------------------------------- TCP */

struct probe {
	int fd;
	size_t port;		/* index into the ports */
	int greeting;		/* connected: waiting for the greeting */
};

/* The answer on one address ranks by how open it is: the port's state is
 * the best over the host's addresses (::1 refused, 127.0.0.1 open: open). */
static void port_seen(struct doctor_port *p, enum doctor_port_state st)
{
	if (st > p->state)
		p->state = st;
}

static enum doctor_port_state connect_errno(int err)
{
	switch (err) {
	case ECONNREFUSED: return DOCTOR_PORT_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH: return DOCTOR_PORT_UNREACHABLE;
	case ETIMEDOUT: return DOCTOR_PORT_DROPPED;
	default: return DOCTOR_PORT_ERROR;
	}
}

/* Connect to every port at every address (up to PROBE_MAX_ADDRS) at once,
 * then wait for greetings, all within window_ms. */
static void probe_ports(const struct addrinfo *ai, struct doctor_port *ports, size_t nports,
			long long window_ms)
{
	struct probe pr[PROBE_MAX_ADDRS * MAX_PORTS];
	struct pollfd pfd[PROBE_MAX_ADDRS * MAX_PORTS];
	size_t n = 0, naddr = 0;
	long long deadline = now_ms() + window_ms;

	for (; ai && naddr < PROBE_MAX_ADDRS; ai = ai->ai_next, naddr++) {
		for (size_t i = 0; i < nports; i++) {
			struct sockaddr_storage ss;
			int fd;

			memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)ports[i].port);
			else
				((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)ports[i].port);
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			pr[n].fd = fd;
			pr[n].port = i;
			pr[n].greeting = 0;
			if (connect(fd, (struct sockaddr *)&ss, ai->ai_addrlen) == 0) {
				pr[n].greeting = 1;
			} else if (errno != EINPROGRESS) {
				port_seen(&ports[i], connect_errno(errno));
				close(fd);
				continue;
			}
			n++;
		}
	}
	for (;;) {
		size_t live = 0;
		long long left = deadline - now_ms();
		int r;

		for (size_t i = 0; i < n; i++) {
			pfd[i].fd = pr[i].fd;
			pfd[i].events = pr[i].greeting ? POLLIN : POLLOUT;
			pfd[i].revents = 0;
			if (pr[i].fd >= 0)
				live++;
		}
		if (!live || left <= 0)
			break;
		r = poll(pfd, n, (int)left);
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; r > 0 && i < n; i++) {
			struct doctor_port *p = &ports[pr[i].port];
			char got[64];
			ssize_t m;
			int err = 0;
			socklen_t el = sizeof(err);

			if (pr[i].fd < 0 || !pfd[i].revents)
				continue;
			if (!pr[i].greeting) {
				if (getsockopt(pr[i].fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
					err = errno;
				if (!err) {
					pr[i].greeting = 1;
					continue;
				}
				port_seen(p, connect_errno(err));
			} else {
				m = recv(pr[i].fd, got, sizeof(got), 0);
				if (m < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				/* "220" or the start of it: a plain SMTP server */
				port_seen(p, m > 0 && !strncmp(got, "220", (size_t)m < 3 ? (size_t)m : 3) ?
					  DOCTOR_PORT_SMTP : DOCTOR_PORT_OTHER);
			}
			close(pr[i].fd);
			pr[i].fd = -1;
		}
	}
	/* what is still pending at the end of the window */
	for (size_t i = 0; i < n; i++) {
		if (pr[i].fd < 0)
			continue;
		port_seen(&ports[pr[i].port], pr[i].greeting ? DOCTOR_PORT_SILENT : DOCTOR_PORT_DROPPED);
		close(pr[i].fd);
	}
}

/* --------------------------------------------------------- the command */

static const char usage[] =
	"usage: postern doctor [-C FILE] [-v] [--ports LIST] [ACCOUNT]\n"
	"Checks the account step by step (configuration, DNS, TCP ports, TLS, EHLO, AUTH; no mail\n"
	"is sent) and says in plain words why it cannot send, and which line to change.\n"
	"  --ports LIST  the ports to try besides the configured one (default 465,587,2525,25)\n";

struct doctor {
	const struct account *a;
	struct account fixed;		/* port = auto: the account with the
					 * port it would take (strings shared) */
	const char *path;
	struct doctor_port ports[MAX_PORTS];
	size_t nports;
	long long t0;			/* start of the step under way */
};

static void step(struct doctor *d, int n, const char *name, const char *status)
{
	printf("%d. %s: %s (%lld ms)\n", n, name, status, now_ms() - d->t0);
	d->t0 = now_ms();
}

static void add_port(struct doctor *d, unsigned port)
{
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].port == port)
			return;
	if (d->nports < MAX_PORTS) {
		d->ports[d->nports].port = port;
		d->ports[d->nports].state = DOCTOR_PORT_ERROR;
		d->nports++;
	}
}

static int parse_ports(struct doctor *d, const char *list)
{
	const char *p = list;

	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || v < 1 || v > 65535 || (*end && *end != ','))
			return -1;
		add_port(d, (unsigned)v);
		p = *end ? end + 1 : end;
	}
	return 0;
}

static enum doctor_cert cert_problem(int err)
{
	switch (err) {
	case 0: return DOCTOR_CERT_OK;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH: return DOCTOR_CERT_NAME;
	case X509_V_ERR_CERT_HAS_EXPIRED: return DOCTOR_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID: return DOCTOR_CERT_NOT_YET_VALID;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return DOCTOR_CERT_SELF_SIGNED;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return DOCTOR_CERT_UNKNOWN_CA;
	default: return DOCTOR_CERT_OTHER;
	}
}

/* The first DNS name of the certificate (escaped), for the host = fix. */
static char *cert_dns_name(X509 *cert)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	char *out = NULL;

	for (int i = 0; gens && !out && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *s;
		int n;

		if (g->type != GEN_DNS)
			continue;
		s = ASN1_STRING_get0_data(g->d.dNSName);
		n = ASN1_STRING_length(g->d.dNSName);
		if (n > 0 && (size_t)n == strnlen((const char *)s, (size_t)n)) {
			char shown[256];

			str_escape(shown, sizeof(shown), (const char *)s, (size_t)n);
			out = xstrdup(shown);
		}
	}
	GENERAL_NAMES_free(gens);
	return out;
}

static void show_cert(X509 *cert, const char *host, char *fp, size_t fplen)
{
	char text[512];
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	unsigned char ip[16];
	int days = 0, secs = 0, match;
	struct tm tm;

	tls_describe_dn(X509_get_subject_name(cert), text, sizeof(text));
	printf("   subject: %s\n", text);
	tls_describe_names(cert, text, sizeof(text));
	printf("   names: %s\n", text);
	tls_describe_dn(X509_get_issuer_name(cert), text, sizeof(text));
	printf("   issuer: %s\n", text);
	if (na && ASN1_TIME_to_tm(na, &tm) && ASN1_TIME_diff(&days, &secs, NULL, na)) {
		strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &tm);
		if (days < 0 || secs < 0)
			printf("   expires: %s (expired %d days ago)\n", text, -days);
		else
			printf("   expires: %s (%d days left)\n", text, days);
	}
	tls_fingerprint(cert, 0, fp, fplen);
	printf("   fingerprint: %s\n", fp);
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
		match = X509_check_ip_asc(cert, host, 0) == 1;
	else
		match = X509_check_host(cert, host, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	printf("   matches the host %s: %s\n", host, match ? "yes" : "no");
}

static void show_caps(const struct smtp_caps *c)
{
	struct buf b = BUF_INIT;

	if (c->size)
		c->size_max ? buf_addf(&b, " SIZE %llu,", (unsigned long long)c->size_max)
			    : buf_adds(&b, " SIZE,");
	if (c->auth[0]) {
		buf_adds(&b, " AUTH ");
		add_esc(&b, c->auth);
		buf_adds(&b, ",");
	}
	if (c->pipelining) buf_adds(&b, " PIPELINING,");
	if (c->chunking) buf_adds(&b, " CHUNKING,");
	if (c->smtputf8) buf_adds(&b, " SMTPUTF8,");
	if (c->dsn) buf_adds(&b, " DSN,");
	if (c->eightbitmime) buf_adds(&b, " 8BITMIME,");
	if (b.len)
		b.data[--b.len] = '\0';
	printf("  %s\n", b.len ? b.data : " (no extensions)");
	if (!c->auth[0])
		printf("   no AUTH offered%s\n", c->esmtp ? "" : " (the server refused EHLO)");
	buf_release(&b);
}

/* A probe's time, 0 for a step it could not time (the connection failed). */
static long long ms(long long t)
{
	return t < 0 ? 0 : t;
}

/* before, then msg (a server's words: escaped) indented, then after. */
static void print_error(const char *before, const char *msg, const char *after)
{
	struct buf b = BUF_INIT;

	add_esc(&b, msg);
	printf("%s   %s\n%s", before, b.data, after);
	buf_release(&b);
}

/* Steps 2 to 6; facts filled as they go.  Returns nothing: the verdict says. */
/* port = auto: go on with the port a send would take (the one remembered,
 * then 465, 587, 2525, the first that answers; 465 when none does), as if
 * it were configured. */
static const struct account *pick_auto_port(struct doctor *d, struct doctor_facts *f)
{
	unsigned order[AUTOPORT_N], pick = 0;

	autoport_order(autoport_load(d->a), order);
	for (size_t k = 0; k < AUTOPORT_N && !pick; k++)
		for (size_t i = 0; i < d->nports; i++)
			if (d->ports[i].port == order[k] && is_open(d->ports[i].state))
				pick = order[k];
	d->fixed = *d->a;
	d->fixed.port_auto = 0;
	d->fixed.port = pick ? pick : order[0];
	d->fixed.tls = autoport_tls(d->fixed.port);
	d->a = &d->fixed;
	f->port = d->fixed.port;
	f->tls = d->fixed.tls;
	if (pick)
		printf("   port = auto: a message would go to port %u (%s)\n", pick,
		       config_tls_name(d->fixed.tls));
	return d->a;
}

static void run_steps(struct doctor *d, const char *password, struct doctor_facts *f,
		      struct session_probe *probe, struct error *se, char **cert_name, char *fp,
		      size_t fplen, char *dns_msg, size_t dns_len)
{
	const struct account *a = d->a;
	struct addrinfo hints, *res = NULL;
	struct buf srv = BUF_INIT;
	char portstr[16], addr[INET6_ADDRSTRLEN];
	int r, mine_open = 0;
	long long window = PROBE_WINDOW_MS;

	/* 2. DNS */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", a->port);
	r = getaddrinfo(a->host, portstr, &hints, &res);
	if (a->from && strchr(a->from, '@')) {
		const char *dom = strrchr(a->from, '@') + 1;

		/* a dotless domain (localhost) has no SRV records worth a wait */
		if (strchr(dom, '.')) {
			char *q = xasprintf("_submissions._tcp.%s", dom);

			srv_lookup(q, &srv);
			free(q);
			q = xasprintf("_submission._tcp.%s", dom);
			srv_lookup(q, &srv);
			free(q);
		}
	}
	if (r) {
		snprintf(dns_msg, dns_len, "the host %s does not resolve: %s", a->host, gai_strerror(r));
		step(d, 2, "DNS", "failed");
		printf("   %s\n", dns_msg);
		f->dns_msg = dns_msg;
		goto out;
	}
	step(d, 2, "DNS", "ok");
	printf("   %s:", a->host);
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const void *sa = ai->ai_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		if (inet_ntop(ai->ai_family, sa, addr, sizeof(addr)))
			printf(" %s", addr);
	}
	printf("\n%s", srv.len ? srv.data : "   no SRV records for the from-address's domain\n");

	/* 3. TCP */
	if (a->timeout && a->timeout * 1000LL < window)
		window = a->timeout * 1000LL;
	probe_ports(res, d->ports, d->nports, window);
	if (a->port_auto)
		a = pick_auto_port(d, f);
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].port == a->port)
			mine_open = is_open(d->ports[i].state);
	step(d, 3, "TCP", mine_open ? "ok" : "the configured port does not answer");
	for (size_t i = 0; i < d->nports; i++)
		printf("   port %u: %s%s\n", d->ports[i].port, port_words(d->ports[i].state),
		       d->ports[i].port != a->port ? "" : a == &d->fixed ? " (port = auto)" :
		       " (configured)");
	if (!mine_open) {
		printf("4. TLS: skipped\n5. EHLO: skipped\n6. AUTH: skipped\n");
		goto out;
	}

	/* 4-6: one real session, as for a message, without one */
	{
		char *helo = session_ehlo_name(a);

		f->session_ran = 1;
		if (session_check(a, password, helo, probe, se))
			f->session_cls = se->cls;
		else
			f->session_cls = ERR_NONE;
		f->session_msg = se->msg;
		free(helo);
	}
	if (a->tls == ACCOUNT_TLS_OFF) {
		printf("4. TLS: off (tls = off): the password and the mail go in cleartext\n");
	} else {
		const char *st = probe->tls_up ? "ok" : probe->cert ? "certificate refused" : "failed";

		printf("4. TLS (%s): %s (%lld ms)\n", config_tls_name(a->tls), st, ms(probe->tls_ms));
		if (probe->cert) {
			show_cert(probe->cert, a->host, fp, fplen);
			f->fingerprint = fp;
			*cert_name = cert_dns_name(probe->cert);
			f->cert_name = *cert_name;
		}
		f->cert = f->session_cls == ERR_TLS ? cert_problem(probe->cert_error) : DOCTOR_CERT_OK;
		if (!probe->tls_up) {
			print_error("", se->msg, "5. EHLO: skipped\n6. AUTH: skipped\n");
			goto out;
		}
	}
	if (!probe->have_caps) {
		printf("5. EHLO: failed (%lld ms)\n", ms(probe->ehlo_ms));
		print_error("", se->msg, "6. AUTH: skipped\n");
		goto out;
	}
	printf("5. EHLO: ok (%lld ms)\n", ms(probe->ehlo_ms));
	show_caps(&probe->caps);
	if (a->auth == AUTH_OFF) {
		printf("6. AUTH: off (auth = off)%s\n", f->session_cls == ERR_NONE ? "" : ": failed");
	} else if (f->session_cls == ERR_NONE) {
		printf("6. AUTH: ok (%lld ms)\n   %s logged in (no mail sent)\n", ms(probe->auth_ms),
		       a->user ? a->user : "");
	} else {
		printf("6. AUTH: %s (%lld ms)\n", se->cls == ERR_AUTH ? "refused" : "failed",
		       ms(probe->auth_ms));
		print_error("", se->msg, "");
	}
out:
	if (res)
		freeaddrinfo(res);
	buf_release(&srv);
}

/* Step 1: the account, and where its password comes from (never itself). */
static int step_config(struct doctor *d, struct config *c, const char *cfg_opt,
		       const char *acct_name, struct secret *pw, char **path, struct buf *out,
		       struct error *e)
{
	struct credential_opts so = { .allow_prompt = isatty(STDIN_FILENO) };
	const struct account *a;
	char port[16];

	a = config_open_account(c, cfg_opt, acct_name, path, e);
	d->path = *path;
	if (!a)
		return -1;
	d->a = a;
	if (!a->host)
		return error_set(e, ERR_CONFIG, "account [%s] in %s has no host = (the provider's "
				 "submission server)", a->name, *path);
	snprintf(port, sizeof(port), "%u", a->port);
	buf_addf(out, "   %s [%s]: host %s, port %s, tls %s, auth %s%s%s\n", *path, a->name, a->host,
	       a->port_auto ? "auto" : port, a->port_auto ? "by port" : config_tls_name(a->tls), a->auth == AUTH_OFF ? "off" :
	       a->auth == AUTH_ON ? "on" : sasl_mode_name(a->auth),
	       a->user ? ", user " : "", a->user ? a->user : "");
	if (a->auth == AUTH_OFF)
		return 0;
	if (credential_lookup(a, &so, pw, e))
		return -1;
	buf_addf(out, "   password from %s\n", pw->desc);
	return 0;
}

/* Step 7: the port and tls a wrong-port verdict suggests, in one more
 * session (the account copied with them: it is read-only, its strings
 * shared). */
static void try_suggested(struct doctor *d, const char *password, const struct doctor_verdict *v,
			  struct doctor_facts *f, struct error *se)
{
	struct account alt = *d->a;
	struct session_probe probe;
	char *helo = session_ehlo_name(d->a);

	alt.port = v->port;
	alt.tls = v->tls;
	session_probe_init(&probe);
	d->t0 = now_ms();
	f->suggested_ran = 1;
	f->suggested_cls = session_check(&alt, password, helo, &probe, se) ? se->cls : ERR_NONE;
	f->suggested_msg = se->msg;
	printf("7. port %u with tls = %s: %s (%lld ms)\n", alt.port, config_tls_name(alt.tls),
	       f->suggested_cls == ERR_NONE ? "works" : "fails too", now_ms() - d->t0);
	session_probe_release(&probe);
	free(helo);
}

/* Each line of text (lines end in '\n') after prefix. */
static void print_lines(const char *prefix, const char *text)
{
	for (const char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		printf("%s%.*s\n", prefix, (int)(nl ? nl - line : (long)strlen(line)), line);
		if (!nl)
			break;
	}
}

int cmd_doctor(int argc, char **argv)
{
	const char *cfg_opt = NULL, *acct_name = NULL, *ports_opt = NULL;
	struct doctor d;
	struct config c;
	struct secret pw;
	struct session_probe probe;
	struct doctor_facts f;
	struct doctor_verdict v;
	struct error e, se, se2;
	struct buf detail = BUF_INIT;
	char *path = NULL, *cert_name = NULL;
	char fp[TLS_FINGERPRINT_SIZE] = "", dns_msg[512];
	int opt, status;
	static const struct option longopts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	/* "+": options before ACCOUNT only, as the other subcommands */
	opterr = 0;
	optind = 0;	/* glibc: start afresh, whatever ran getopt before */
	while ((opt = getopt_long(argc, argv, "+C:a:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C': cfg_opt = optarg; break;
		case 'a': acct_name = optarg; break;
		case 'p': ports_opt = optarg; break;
		case 'v': log_verbose++; break;
		case 'h':
			fputs(usage, stdout);
			return EX_OK;
		default:
			if (optopt)
				log_err("doctor: -%c %s", optopt, strchr("Ca", optopt) ? "needs a value" :
					"is no option of doctor");
			else
				log_err("doctor: %s is no option of doctor (or needs a value)",
					argv[optind - 1]);
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		if (acct_name || optind + 1 < argc) {
			log_err("doctor: give one ACCOUNT (got %s%s)", acct_name ? "-a and " : "",
				argv[optind]);
			return EX_USAGE;
		}
		acct_name = argv[optind];
	}

	memset(&d, 0, sizeof(d));
	memset(&f, 0, sizeof(f));
	config_init(&c);
	secret_init(&pw);
	session_probe_init(&probe);
	doctor_verdict_init(&v);
	error_clear(&e);
	error_clear(&se);
	error_clear(&se2);
	d.t0 = now_ms();

	printf("postern doctor: no mail is sent\n");
	if (step_config(&d, &c, cfg_opt, acct_name, &pw, &path, &detail, &e)) {
		step(&d, 1, "configuration", "failed");
		fputs(detail.data, stdout);
		f.config_msg = e.msg;
		f.path = path ? path : "(no file)";
		f.account = acct_name ? acct_name : "?";
		goto decide;
	}
	step(&d, 1, "configuration", "ok");
	fputs(detail.data, stdout);
	/* the configured port first, then the others */
	if (!d.a->port_auto)
		add_port(&d, d.a->port);
	if (ports_opt) {
		if (parse_ports(&d, ports_opt)) {
			log_err("doctor: --ports %s is not a list of port numbers (like 465,587)", ports_opt);
			status = EX_USAGE;
			goto out;
		}
	} else {
		for (size_t k = 0; k < sizeof(standard_ports) / sizeof(standard_ports[0]); k++)
			add_port(&d, standard_ports[k]);
	}
	f.path = path;
	f.account = d.a->name;
	f.host = d.a->host;
	f.port = d.a->port;
	f.tls = d.a->tls;
	f.tls_set = d.a->tls_set;
	f.port_line = d.a->port_line;
	f.tls_line = d.a->tls_line;
	f.ports = d.ports;
	f.nports = d.nports;
	fflush(stdout);
	run_steps(&d, pw.value, &f, &probe, &se, &cert_name, fp, sizeof(fp), dns_msg,
		  sizeof(dns_msg));
	doctor_decide(&f, &v);
	if (v.kind == DOCTOR_WRONG_PORT)
		try_suggested(&d, pw.value, &v, &f, &se2);
decide:
	doctor_decide(&f, &v);
	printf("verdict: %s\n", doctor_verdict_name(v.kind));
	print_lines("   ", v.why.data);
	print_lines("fix: ", v.fix.data);
	status = v.exit_code;
out:
	fflush(stdout);
	buf_release(&detail);
	free(cert_name);
	free(path);
	doctor_verdict_release(&v);
	session_probe_release(&probe);
	secret_release(&pw);
	config_release(&c);
	return status;
}
