/* test_discover.c - what discovery decides without a network: DNS answers
 * built here in wire format (SRV and MX, the choice among several records,
 * "." targets, truncated and looping messages), the provider table by MX
 * and by host, host-name and address checks, and the probe order. */
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "tap.h"

struct msg {
	unsigned char b[4096];
	size_t n;
};

static void put16(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)(v >> 8);
	m->b[m->n++] = (unsigned char)v;
}

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t k = dot ? (size_t)(dot - name) : strlen(name);

		m->b[m->n++] = (unsigned char)k;
		memcpy(m->b + m->n, name, k);
		m->n += k;
		name += k + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

/* A response with the question (name, type) and no answers yet. */
static void start(struct msg *m, const char *qname, unsigned type)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, 0);	/* answers, counted by add_rr */
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, type);
	put16(m, 1);
}

/* An answer record pointing at the question's name; port < 0: MX. */
static void add_rr(struct msg *m, unsigned type, unsigned prio, unsigned weight, int port,
		   const char *target)
{
	size_t rdlen_at;
	unsigned an = (unsigned)m->b[6] << 8 | m->b[7];

	an++;
	m->b[6] = (unsigned char)(an >> 8);
	m->b[7] = (unsigned char)an;
	put16(m, 0xc00c);
	put16(m, type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	rdlen_at = m->n;
	put16(m, 0);
	put16(m, prio);
	if (port >= 0) {
		put16(m, weight);
		put16(m, (unsigned)port);
	}
	put_name(m, target);
	m->b[rdlen_at] = (unsigned char)((m->n - rdlen_at - 2) >> 8);
	m->b[rdlen_at + 1] = (unsigned char)(m->n - rdlen_at - 2);
}

static void test_srv(void)
{
	struct msg m;
	struct dns_rr rr[16];
	int n;

	start(&m, "_submissions._tcp.example.org", ns_t_srv);
	add_rr(&m, ns_t_srv, 20, 100, 465, "backup.example.org");
	add_rr(&m, ns_t_srv, 10, 5, 465, "light.example.org");
	add_rr(&m, ns_t_srv, 10, 60, 4650, "heavy.example.org");
	add_rr(&m, ns_t_srv, 10, 60, 465, "second-heavy.example.org");
	n = dns_parse_answer(m.b, m.n, ns_t_srv, rr, 16);
	is_int(n, 4, "four SRV records");
	is_int(rr[1].prio, 10, "priority read");
	is_int(rr[1].weight, 5, "weight read");
	is_int(rr[2].port, 4650, "port read");
	is_str(rr[0].target, "backup.example.org", "target read");
	is_int(dns_pick(rr, (size_t)n), 2, "lowest priority, then highest weight, the first of equals");
	is_int(dns_parse_answer(m.b, m.n, ns_t_mx, rr, 16), 0, "no MX among SRV records");

	/* "." : no service here */
	start(&m, "_submission._tcp.example.org", ns_t_srv);
	add_rr(&m, ns_t_srv, 0, 0, 0, "");
	n = dns_parse_answer(m.b, m.n, ns_t_srv, rr, 16);
	is_int(n, 1, "the \".\" record is read");
	is_str(rr[0].target, "", "its target is empty");
	is_int(dns_pick(rr, (size_t)n), -1, "\".\" is no server");

	/* a target that is no host name is passed over */
	start(&m, "_submissions._tcp.example.org", ns_t_srv);
	add_rr(&m, ns_t_srv, 1, 0, 465, "bad name.example.org");
	add_rr(&m, ns_t_srv, 5, 0, 465, "good.example.org");
	n = dns_parse_answer(m.b, m.n, ns_t_srv, rr, 16);
	is_int(n, 2, "two records");
	ok(strchr(rr[0].target, ' ') == NULL, "dn_expand escapes the blank (%s)", rr[0].target);
	is_int(dns_pick(rr, (size_t)n), 1, "the record with a bad name is passed over");

	/* more records than room: the first max are kept */
	start(&m, "_submissions._tcp.example.org", ns_t_srv);
	for (int i = 0; i < 20; i++)
		add_rr(&m, ns_t_srv, (unsigned)(20 - i), 0, 465, "many.example.org");
	is_int(dns_parse_answer(m.b, m.n, ns_t_srv, rr, 16), 16, "20 records, 16 kept");

	/* every truncation of a good answer is refused, never read past */
	start(&m, "_submissions._tcp.example.org", ns_t_srv);
	add_rr(&m, ns_t_srv, 10, 5, 465, "mail.example.org");
	{
		int refused = 1;

		for (size_t cut = 0; cut < m.n; cut++) {
			unsigned char *copy = malloc(cut ? cut : 1);

			memcpy(copy, m.b, cut);
			if (dns_parse_answer(copy, cut, ns_t_srv, rr, 16) >= 0)
				refused = 0;
			free(copy);
		}
		ok(refused, "every truncated answer is refused");
	}
	/* a compression pointer to itself */
	start(&m, "x.example.org", ns_t_srv);
	m.b[7] = 1;
	m.b[m.n] = 0xc0;
	m.b[m.n + 1] = (unsigned char)m.n;
	m.n += 2;
	memset(m.b + m.n, 0, 12);
	m.n += 12;
	is_int(dns_parse_answer(m.b, m.n, ns_t_srv, rr, 16), -1, "a name pointing at itself is refused");
	/* an rdata too short for an SRV record */
	start(&m, "x.example.org", ns_t_srv);
	m.b[7] = 1;
	put16(&m, 0xc00c); put16(&m, ns_t_srv); put16(&m, 1); put16(&m, 0); put16(&m, 1);
	put16(&m, 4); put16(&m, 1); put16(&m, 2);
	is_int(dns_parse_answer(m.b, m.n, ns_t_srv, rr, 16), -1, "a 4-octet SRV rdata is refused");
}

static void test_mx(void)
{
	struct msg m;
	struct dns_rr rr[16];
	int n;

	start(&m, "example.org", ns_t_mx);
	add_rr(&m, ns_t_mx, 10, 0, -1, "alt1.aspmx.l.google.com");
	add_rr(&m, ns_t_mx, 1, 0, -1, "aspmx.l.google.com");
	add_rr(&m, ns_t_mx, 5, 0, -1, "alt2.aspmx.l.google.com");
	n = dns_parse_answer(m.b, m.n, ns_t_mx, rr, 16);
	is_int(n, 3, "three MX records");
	is_int(dns_pick(rr, (size_t)n), 1, "the lowest preference");
	is_str(rr[1].target, "aspmx.l.google.com", "its exchange");
	is_str(provider_by_mx(rr[1].target)->name, "Google (Gmail / Google Workspace)", "Google by MX");
}

static void test_providers(void)
{
	static const struct { const char *mx, *name, *host; unsigned port; enum account_tls tls; } t[] = {
		{ "aspmx.l.google.com.", "Google (Gmail / Google Workspace)", "smtp.gmail.com", 465, ACCOUNT_TLS_IMPLICIT },
		{ "ALT4.ASPMX.L.GOOGLE.COM", "Google (Gmail / Google Workspace)", "smtp.gmail.com", 465, ACCOUNT_TLS_IMPLICIT },
		{ "example-org.mail.protection.outlook.com", "Microsoft 365", "smtp.office365.com", 587, ACCOUNT_TLS_STARTTLS },
		{ "outlook-com.olc.protection.outlook.com", "Outlook.com (Microsoft personal)", "smtp-mail.outlook.com", 587, ACCOUNT_TLS_STARTTLS },
		{ "in1-smtp.messagingengine.com", "Fastmail", "smtp.fastmail.com", 465, ACCOUNT_TLS_IMPLICIT },
		{ "mx01.mail.icloud.com", "iCloud Mail", "smtp.mail.me.com", 587, ACCOUNT_TLS_STARTTLS },
		{ "mta5.am0.yahoodns.net", "Yahoo Mail", "smtp.mail.yahoo.com", 465, ACCOUNT_TLS_IMPLICIT },
		{ "mx00.gmx.net", "GMX", "mail.gmx.net", 465, ACCOUNT_TLS_IMPLICIT },
		{ "mxext1.mailbox.org", "mailbox.org", "smtp.mailbox.org", 465, ACCOUNT_TLS_IMPLICIT },
		{ "mx.zoho.com", "Zoho Mail", "smtp.zoho.com", 465, ACCOUNT_TLS_IMPLICIT },
		{ "mail.protonmail.ch", "Proton Mail (through Proton Mail Bridge)", "127.0.0.1", 1025, ACCOUNT_TLS_STARTTLS },
	};
	const struct provider *p;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = provider_by_mx(t[i].mx);
		ok(p && !strcmp(p->name, t[i].name) && !strcmp(p->host, t[i].host) &&
		   p->port == t[i].port && p->tls == t[i].tls, "MX %s: %s, %s port %u", t[i].mx,
		   t[i].name, t[i].host, t[i].port);
	}
	is_int(provider_by_mx("notgoogle.com") == NULL, 1, "a suffix only at a label boundary");
	is_int(provider_by_mx("google.com.evil.example") == NULL, 1, "a suffix at the end only");
	is_int(provider_by_mx("mx.example.org") == NULL, 1, "an unknown MX");
	is_int(provider_by_mx("") == NULL, 1, "an empty name");
	p = provider_by_mx("aspmx.l.google.com");
	is_int(p->oauth2, ACCOUNT_OAUTH2_GOOGLE, "Google: OAuth2 preset");
	ok(p->app_password && strstr(p->app_password, "https://") == p->app_password, "Google: an app password URL");
	p = provider_by_mx("x.mail.protection.outlook.com");
	is_int(p->oauth2, ACCOUNT_OAUTH2_MICROSOFT, "Microsoft: OAuth2 preset");
	ok(provider_by_mx("mx01.mail.icloud.com")->app_password != NULL, "iCloud: app password");
	ok(provider_by_mx("mta5.am0.yahoodns.net")->app_password != NULL, "Yahoo: app password");
	is_int(provider_by_mx("in1-smtp.messagingengine.com")->oauth2, ACCOUNT_OAUTH2_NONE, "Fastmail: no OAuth2 preset");

	p = provider_by_host("SMTP.Gmail.com");
	ok(p && p->oauth2 == ACCOUNT_OAUTH2_GOOGLE, "smtp.gmail.com is Google's, any case");
	ok(provider_by_host("smtp.office365.com") != NULL, "smtp.office365.com is Microsoft's");
	is_int(provider_by_host("smtp.example.org") == NULL, 1, "an unknown host");
	is_int(provider_by_host("127.0.0.1") == NULL, 1, "the Bridge's address is nobody's host");
}

static void test_names(void)
{
	static const char *const good[] = { "a", "smtp.example.org", "x-1.example.org", "127.0.0.1",
					    "EXAMPLE.ORG" };
	static const char *const bad[] = { "", ".", "a..b", ".a", "a.", "-a.org", "a-.org",
					   "a_b.org", "a b.org", "a\n.org", "caf\xc3\xa9.org",
					   "[::1]", "a;b" };
	char long_label[80], long_name[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(discover_host_ok(good[i]), 1, good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char label[64];

		str_escape(label, sizeof(label), bad[i], strlen(bad[i]));
		is_int(discover_host_ok(bad[i]), 0, label);
	}
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	is_int(discover_host_ok(long_label), 0, "a 64-octet label");
	long_label[63] = '\0';
	is_int(discover_host_ok(long_label), 1, "a 63-octet label");
	memset(long_name, 'a', sizeof(long_name));
	for (int i = 1; i < 300; i += 2)
		long_name[i] = '.';
	long_name[253] = '\0';
	is_int(discover_host_ok(long_name), 1, "253 octets");
	long_name[253] = 'a';
	long_name[254] = '\0';
	long_name[255] = '\0';
	is_int(discover_host_ok(long_name), 0, "254 octets");

	is_str(discover_address_domain("alice@example.org"), "example.org", "the domain");
	is_str(discover_address_domain("a@b@example.org"), "example.org", "the last @");
	is_int(discover_address_domain("alice@localhost") == NULL, 1, "a domain without a dot");
	is_int(discover_address_domain("@example.org") == NULL, 1, "no local part");
	is_int(discover_address_domain("alice") == NULL, 1, "no @");
	is_int(discover_address_domain("al ice@example.org") == NULL, 1, "a blank");
	is_int(discover_address_domain("alice@example.org\n[x]") == NULL, 1, "a line break");
	is_int(discover_address_domain("al;ice@example.org") == NULL, 1, "a semicolon (INI comment)");
	is_int(discover_address_domain("alice@exa_mple.org") == NULL, 1, "a domain that is no host name");
}

static void test_probe_order(void)
{
	struct discover_result c[DISCOVER_PROBES];
	static const char *const want[] = {
		"smtp.example.org 465 implicit probing smtp.example.org",
		"smtp.example.org 587 starttls probing smtp.example.org",
		"smtp.example.org 2525 starttls probing smtp.example.org",
		"mail.example.org 465 implicit probing mail.example.org",
		"mail.example.org 587 starttls probing mail.example.org",
		"mail.example.org 2525 starttls probing mail.example.org",
	};

	is_int(discover_probe_list("example.org", c), DISCOVER_PROBES, "six candidates");
	for (size_t i = 0; i < DISCOVER_PROBES; i++) {
		struct buf got = BUF_INIT;

		buf_addf(&got, "%s %u %s %s", c[i].host, c[i].port, config_tls_name(c[i].tls),
			 c[i].source);
		ok(!strcmp(got.data, want[i]), "probe %zu: %s", i + 1, got.data);
		buf_release(&got);
	}
}

int main(void)
{
	test_srv();
	test_mx();
	test_providers();
	test_names();
	test_probe_order();
	return tap_done();
}
