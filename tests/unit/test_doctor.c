/* test_doctor.c - doctor_decide(): which verdict, exit code and fix line
 * come from which step results (no network), and doctor_parse_srv() on
 * good and hostile DNS answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd_doctor.h"
#include "tap.h"
#include "util.h"

#define PATH "/home/u/.config/postern/config.ini"

/* A STARTTLS account on 587 whose port = is on line 4 and tls = unset. */
static struct doctor_facts base(struct doctor_port *ports, size_t n)
{
	struct doctor_facts f;

	memset(&f, 0, sizeof(f));
	f.path = PATH;
	f.account = "work";
	f.host = "smtp.example.org";
	f.port = 587;
	f.tls = ACCOUNT_TLS_STARTTLS;
	f.port_line = 4;
	f.ports = ports;
	f.nports = n;
	return f;
}

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void decide(const struct doctor_facts *f, struct doctor_verdict *v)
{
	doctor_verdict_release(v);
	doctor_verdict_init(v);
	doctor_decide(f, v);
}

static void test_works_and_auth(void)
{
	struct doctor_port p[] = { { 587, DOCTOR_PORT_SMTP }, { 465, DOCTOR_PORT_SILENT } };
	struct doctor_facts f = base(p, 2);
	struct doctor_verdict v;

	doctor_verdict_init(&v);
	f.session_ran = 1;
	f.session_cls = ERR_NONE;
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "works", "session ok: works");
	is_int(v.exit_code, 0, "works: exit 0");
	is_str(v.fix.data, "", "works: nothing to fix");

	f.session_cls = ERR_AUTH;
	f.session_msg = "smtp.example.org port 587: 535 5.7.8 Error: authentication failed\x1b[2J";
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "authentication refused", "535: authentication refused");
	is_int(v.exit_code, EX_NOPERM, "authentication refused: exit 77");
	ok(strstr(v.why.data, "the server said: smtp.example.org port 587: 535 5.7.8 Error: "
		  "authentication failed\\x1b[2J\n") != NULL, "the server's words, escaped");
	ok(strstr(v.why.data, "app password") && strstr(v.why.data, "postern oauth2 authorize ACCOUNT"),
	   "names app passwords and the OAuth2 command");
	doctor_verdict_release(&v);
}

static void test_closed_port(void)
{
	struct doctor_port p[] = { { 465, DOCTOR_PORT_REFUSED }, { 587, DOCTOR_PORT_SMTP },
				   { 2525, DOCTOR_PORT_REFUSED }, { 25, DOCTOR_PORT_SMTP } };
	struct doctor_facts f = base(p, 4);
	struct doctor_verdict v;

	doctor_verdict_init(&v);
	f.port = 465;
	f.tls = ACCOUNT_TLS_IMPLICIT;	/* the default for 465 */
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "wrong port", "465 refused, 587 open: wrong port");
	is_int(v.exit_code, EX_CONFIG, "wrong port: exit 78");
	is_str(v.why.data, "port 465: refused (nothing listens); port 587 answers (open, SMTP "
	       "greeting (STARTTLS))\n", "says which is closed and which answers");
	/* tls = unset: 587's default (starttls) is right, no tls line */
	is_str(v.fix.data, "change `port = 465` to `port = 587` on line 4 of " PATH "\n",
	       "the exact port line");
	is_int(v.port, 587, "the setting to try: port 587");
	is_int(v.tls, ACCOUNT_TLS_STARTTLS, "the setting to try: starttls");

	/* tried: it works, or fails with its own reason; still wrong port */
	f.suggested_ran = 1;
	f.suggested_cls = ERR_NONE;
	decide(&f, &v);
	is_str(v.why.data, "port 465: refused (nothing listens); port 587 answers (open, SMTP "
	       "greeting (STARTTLS))\ntried with port 587 and tls = starttls: TLS and the login "
	       "work there\n", "says the suggested setting works");
	f.suggested_cls = ERR_AUTH;
	f.suggested_msg = "535 5.7.8 no\r\n";
	decide(&f, &v);
	ok(strstr(v.why.data, "\ntried with port 587 and tls = starttls: that fails too: "
		  "535 5.7.8 no\\x0d\\x0a\n") != NULL, "says it fails too, escaped");
	is_str(doctor_verdict_name(v.kind), "wrong port", "still wrong port");
	is_int(v.exit_code, EX_CONFIG, "still exit 78");
	f.suggested_ran = 0;

	/* tls = implicit set on line 5: it must change too */
	f.tls_set = 1;
	f.tls_line = 5;
	decide(&f, &v);
	is_str(v.fix.data, "change `port = 465` to `port = 587` on line 4 of " PATH "\n"
	       "change `tls = implicit` to `tls = starttls` on line 5 of " PATH "\n",
	       "port and tls lines");

	/* port = not in the file (the default): add it; never suggest 25 */
	p[1].state = DOCTOR_PORT_DROPPED;
	f.port_line = 0;
	f.tls_set = 0;
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "network blocks submission ports",
	       "465 refused, 587 dropped, only 25 answers: never 25, the network");
	ok(strstr(v.why.data, "no answer at all on port 587: ") &&
	   strstr(v.why.data, "the ports that answer are not for submission"), "says 25 is no way out");
	doctor_verdict_release(&v);
}

static void test_closed_port_add(void)
{
	struct doctor_port p[] = { { 10587, DOCTOR_PORT_REFUSED }, { 10465, DOCTOR_PORT_SILENT } };
	struct doctor_facts f = base(p, 2);
	struct doctor_verdict v;

	doctor_verdict_init(&v);
	f.port = 10587;
	f.port_line = 0;
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "wrong port", "an implicit-TLS port answers");
	is_str(v.fix.data, "add `port = 10465` to [work] in " PATH "\n"
	       "add `tls = implicit` to [work] in " PATH "\n",
	       "add port and tls when not in the file");
	doctor_verdict_release(&v);
}

static void test_network(void)
{
	struct doctor_port p[] = { { 587, DOCTOR_PORT_DROPPED }, { 465, DOCTOR_PORT_DROPPED },
				   { 2525, DOCTOR_PORT_REFUSED }, { 25, DOCTOR_PORT_DROPPED } };
	struct doctor_facts f = base(p, 4);
	struct doctor_verdict v;

	doctor_verdict_init(&v);
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "network blocks submission ports", "all dropped: network");
	is_int(v.exit_code, EX_UNAVAILABLE, "network: exit 69");
	ok(starts(v.why.data, "no answer at all on ports 587, 465, 25: "), "names the dropped ports");
	ok(strstr(v.why.data, "ssh -D") && strstr(v.why.data, "proxy = socks5://") &&
	   strstr(v.why.data, "2525"), "what to try: 2525, ssh -D, proxy");
	is_str(v.fix.data, "", "no config line: the network is the problem");

	/* all refused: nothing listens there: the host is wrong */
	for (size_t i = 0; i < 4; i++)
		p[i].state = DOCTOR_PORT_REFUSED;
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "configuration error", "all refused: configuration");
	is_int(v.exit_code, EX_CONFIG, "all refused: exit 78");
	ok(starts(v.fix.data, "check `host = smtp.example.org` in [work] of " PATH " against"),
	   "points at host =");
	doctor_verdict_release(&v);
}

static void test_mode_mismatch(void)
{
	struct doctor_port p[] = { { 10587, DOCTOR_PORT_SMTP } };
	struct doctor_facts f = base(p, 1);
	struct doctor_verdict v;

	doctor_verdict_init(&v);
	f.port = 10587;
	f.tls = ACCOUNT_TLS_IMPLICIT;
	f.tls_set = 1;
	f.tls_line = 7;
	f.session_ran = 1;
	f.session_cls = ERR_TLS;
	f.session_msg = "TLS handshake failed: wrong version number";
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "wrong port", "implicit on a STARTTLS port: wrong port");
	is_str(v.fix.data, "change `tls = implicit` to `tls = starttls` on line 7 of " PATH "\n",
	       "the tls line");

	p[0].state = DOCTOR_PORT_SILENT;
	f.tls = ACCOUNT_TLS_STARTTLS;
	f.tls_set = 0;
	f.session_cls = ERR_TEMP;
	f.session_msg = "sent no greeting";
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "wrong port", "STARTTLS on an implicit port: wrong port");
	is_str(v.fix.data, "add `tls = implicit` to [work] in " PATH "\n", "adds tls = implicit");
	is_int(v.exit_code, EX_CONFIG, "exit 78");
	doctor_verdict_release(&v);
}

static void test_cert(void)
{
	struct doctor_port p[] = { { 587, DOCTOR_PORT_SMTP } };
	struct doctor_facts f = base(p, 1);
	struct doctor_verdict v;
	const char *fpr = "sha256:AB:CD";

	doctor_verdict_init(&v);
	f.session_ran = 1;
	f.session_cls = ERR_TLS;
	f.session_msg = "certificate name mismatch";
	f.cert = DOCTOR_CERT_NAME;
	f.cert_name = "mail.example.net";
	f.fingerprint = fpr;
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "certificate problem", "name mismatch: certificate problem");
	is_int(v.exit_code, EX_UNAVAILABLE, "certificate problem: exit 69");
	is_str(v.fix.data,
	       "change `host = smtp.example.org` to `host = mail.example.net` in [work] of " PATH
	       " (if that name is your provider's server)\n"
	       "or pin this very certificate, once its fingerprint is confirmed by the provider: "
	       "add `tls_fingerprint = sha256:AB:CD` to [work] in " PATH "\n", "host line, or the pin");

	f.cert = DOCTOR_CERT_UNKNOWN_CA;
	decide(&f, &v);
	ok(starts(v.fix.data, "add `tls_ca_file = /path/to/the-ca.pem` to [work] in " PATH " (the CA"),
	   "unknown CA: tls_ca_file");
	ok(strstr(v.fix.data, "\nor pin this very certificate") != NULL, "or the pin");

	f.cert = DOCTOR_CERT_EXPIRED;
	decide(&f, &v);
	ok(strstr(v.why.data, "has expired") && strstr(v.why.data, "must renew"), "expired: renew");

	/* a TLS failure that is no certificate problem is not one */
	f.cert = DOCTOR_CERT_OK;
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "configuration error", "TLS without a cert problem");
	is_int(v.exit_code, EX_UNAVAILABLE, "exit of the class (69)");
	doctor_verdict_release(&v);
}

static void test_config_dns(void)
{
	struct doctor_facts f = base(NULL, 0);
	struct doctor_verdict v;

	doctor_verdict_init(&v);
	f.config_msg = "/x.ini:3: tls = maybe is not one of starttls, implicit, off";
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "configuration error", "config: configuration error");
	is_int(v.exit_code, EX_CONFIG, "config: exit 78");
	is_str(v.why.data, "/x.ini:3: tls = maybe is not one of starttls, implicit, off\n", "the message");

	f.config_msg = NULL;
	f.dns_msg = "the host smtp.example.org does not resolve: Name or service not known";
	decide(&f, &v);
	is_str(doctor_verdict_name(v.kind), "configuration error", "DNS: configuration error");
	is_str(v.fix.data, "check `host = smtp.example.org` in [work] of " PATH "\n", "check host =");
	doctor_verdict_release(&v);
}

/* A DNS answer: header, the question, then records (built by hand). */
static size_t put_name(unsigned char *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = (unsigned char)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static void test_srv(void)
{
	unsigned char m[512];
	size_t n = 0, rd;
	struct strvec out = STRVEC_INIT;
	static const unsigned char hdr[12] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0 };

	memcpy(m, hdr, 12);
	n = 12;
	n += put_name(m + n, "_submissions._tcp.example.org");
	m[n++] = 0; m[n++] = 33; m[n++] = 0; m[n++] = 1;
	for (int r = 0; r < 2; r++) {
		m[n++] = 0xc0; m[n++] = 12;	/* pointer to the question's name */
		m[n++] = 0; m[n++] = 33; m[n++] = 0; m[n++] = 1;
		m[n++] = 0; m[n++] = 0; m[n++] = 1; m[n++] = 0;
		rd = n;
		n += 2;
		m[n++] = 0; m[n++] = (unsigned char)(r ? 10 : 0);
		m[n++] = 0; m[n++] = 1;
		m[n++] = 465 >> 8; m[n++] = 465 & 0xff;
		n += put_name(m + n, r ? "" : "mail.example.org");
		m[rd] = (unsigned char)((n - rd - 2) >> 8);
		m[rd + 1] = (unsigned char)((n - rd - 2) & 0xff);
	}
	is_int(doctor_parse_srv(m, n, &out), 2, "two SRV records");
	is_str(out.n > 0 ? out.v[0] : NULL, "0 1 465 mail.example.org", "the first record");
	is_str(out.n > 1 ? out.v[1] : NULL, "10 1 465 .", "the root target is shown as .");
	strvec_release(&out);
	strvec_init(&out);
	/* every truncation of it is refused, never overread (ASan watches:
	 * each copy is exactly as long as it claims) */
	{
		size_t accepted = 0;

		for (size_t cut = 0; cut < n; cut++) {
			unsigned char *copy = xmalloc(cut ? cut : 1);

			memcpy(copy, m, cut);
			if (doctor_parse_srv(copy, cut, &out) >= 0)
				accepted++;
			free(copy);
		}
		is_int(accepted, 0, "every truncated answer is refused");
	}
	strvec_release(&out);
	/* a compression loop */
	strvec_init(&out);
	memcpy(m, hdr, 12);
	m[12] = 0xc0; m[13] = 12;
	is_int(doctor_parse_srv(m, 14, &out), -1, "a name pointing at itself is refused");
	strvec_release(&out);
}

int main(void)
{
	test_works_and_auth();
	test_closed_port();
	test_closed_port_add();
	test_network();
	test_mode_mismatch();
	test_cert();
	test_config_dns();
	test_srv();
	return tap_done();
}
