/* test_msmtprc.c - msmtp's configuration language (msmtprc.c: comments,
 * quotes, defaults, inheritance by msmtp's mask, errors with file:line)
 * and its conversion to postern's INI (cmd_import.c): every key's result
 * pinned exactly, and every output read back with config_parse_string()
 * to show that postern takes it with the same effective values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_import.h"
#include "config.h"
#include "error.h"
#include "msmtprc.h"
#include "tap.h"
#include "util.h"

#define HEADER "; converted from an msmtp configuration by postern import-msmtprc\n"

/* Parse text; on success m holds it.  Returns msmtprc_parse()'s result and
 * its message in err. */
static int parse(struct msmtprc *m, const char *text, char *err, size_t errsz)
{
	struct error e;
	int r;

	msmtprc_init(m);
	error_clear(&e);
	r = msmtprc_parse(m, "rc", text, strlen(text), &e);
	snprintf(err, errsz, "%s", r ? e.msg : "");
	return r;
}

static const struct msmtprc_account *acc(const struct msmtprc *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->acc[i].name, name))
			return &m->acc[i];
	return NULL;
}

static const char *v(const struct msmtprc *m, const char *name, enum msmtprc_key k)
{
	const struct msmtprc_account *a = acc(m, name);

	return a && a->val[k].v ? a->val[k].v : "(unset)";
}

/* Convert text: the INI, the warnings (or the error), and the number of
 * accounts written (-1: error, -2: the text did not parse). */
static int convert(const char *text, struct buf *ini, struct buf *warn)
{
	struct msmtprc m;
	struct error e;
	char err[ERROR_MSG_MAX];
	int n;

	if (parse(&m, text, err, sizeof(err))) {
		buf_adds(warn, err);
		msmtprc_release(&m);
		return -2;
	}
	n = import_convert(&m, "rc", "/home/ann", ini, warn, &e);
	if (n < 0)
		buf_adds(warn, e.msg);
	msmtprc_release(&m);
	return n;
}

/* One account "a" with host h.example and the lines given: its section
 * body (after [a] and host) and the warnings, both exact. */
static void one(const char *lines, const char *want_body, const char *want_warn, const char *name)
{
	struct buf text = BUF_INIT, ini = BUF_INIT, warn = BUF_INIT, want = BUF_INIT;
	char label[256];

	buf_addf(&text, "account a\nhost h.example\n%s", lines);
	buf_addf(&want, HEADER "\n[a]\nhost = h.example\n%s", want_body);
	convert(text.data, &ini, &warn);
	snprintf(label, sizeof(label), "%s: INI", name);
	is_str(ini.data, want.data, label);
	snprintf(label, sizeof(label), "%s: warnings", name);
	is_str(warn.data, want_warn, label);
	if (ini.len) {
		struct config c;
		struct error e;

		config_init(&c);
		snprintf(label, sizeof(label), "%s: postern reads the result", name);
		if (!ok(config_parse_string(&c, "out", ini.data, &e) == 0, "%s", label))
			printf("#   %s\n", e.msg);
		config_release(&c);
	}
	buf_release(&text);
	buf_release(&ini);
	buf_release(&warn);
	buf_release(&want);
}

static void test_syntax(void)
{
	struct msmtprc m;
	char err[ERROR_MSG_MAX];

	is_int(parse(&m, "# comment\n\n   # indented comment\naccount  a \t\n"
		     "\thost   smtp.example.org  \r\nfrom \"  x@example.org \"\n"
		     "user alice # not a comment\npassword \"\"\n", err, sizeof(err)), 0,
	       "syntax: blanks, CRLF, quotes, comments");
	is_str(v(&m, "a", MSMTPRC_HOST), "smtp.example.org", "syntax: blanks around the argument dropped");
	is_str(v(&m, "a", MSMTPRC_FROM), "  x@example.org ", "syntax: quotes keep inner blanks");
	is_str(v(&m, "a", MSMTPRC_USER), "alice # not a comment", "syntax: '#' after a value is text");
	is_str(v(&m, "a", MSMTPRC_PASSWORD), "", "syntax: \"\" is an empty argument");
	is_int(acc(&m, "a")->val[MSMTPRC_HOST].line, 5, "syntax: the host's line");
	msmtprc_release(&m);

	is_int(parse(&m, "host h\ntls\ntls_starttls off\nauth PLAIN\nsyslog\n", err, sizeof(err)), 0,
	       "syntax: commands before any account");
	is_int((long long)m.n, 1, "syntax: they make an account");
	is_str(m.n ? m.acc[0].name : "", "default", "syntax: named default (msmtp 1.2's files)");
	is_str(v(&m, "default", MSMTPRC_TLS), "on", "syntax: an empty argument is on");
	is_str(v(&m, "default", MSMTPRC_TLS_STARTTLS), "off", "syntax: off");
	is_str(v(&m, "default", MSMTPRC_AUTH), "plain", "syntax: auth methods in lower case");
	is_str(v(&m, "default", MSMTPRC_SYSLOG), "on", "syntax: syslog without argument is on");
	msmtprc_release(&m);

	is_int(parse(&m, "account a\nhost h\ntls_nocertcheck\ntls_nostarttls\nkeepbcc on\n"
		     "add_missing_from_header off\nadd_missing_date_header on\nconnect_timeout 9\n"
		     "eval echo host x\nfrobnicate 1\n", err, sizeof(err)), 0,
	       "syntax: obsolete commands, eval, unknown");
	is_str(v(&m, "a", MSMTPRC_TLS_CERTCHECK), "off", "obsolete: tls_nocertcheck is tls_certcheck off");
	is_str(acc(&m, "a")->val[MSMTPRC_TLS_CERTCHECK].cmd, "tls_nocertcheck",
	       "obsolete: the command is named as written");
	is_str(v(&m, "a", MSMTPRC_TLS_STARTTLS), "off", "obsolete: tls_nostarttls");
	is_str(v(&m, "a", MSMTPRC_REMOVE_BCC_HEADERS), "off", "obsolete: keepbcc on keeps Bcc");
	is_str(v(&m, "a", MSMTPRC_SET_FROM_HEADER), "off", "obsolete: add_missing_from_header off");
	is_str(v(&m, "a", MSMTPRC_SET_DATE_HEADER), "auto", "obsolete: add_missing_date_header on is auto");
	is_str(v(&m, "a", MSMTPRC_TIMEOUT), "9", "obsolete: connect_timeout");
	is_int((long long)m.nother, 2, "eval and the unknown command are kept aside");
	is_str(m.nother ? m.other[0].cmd : "", "eval", "eval first");
	is_int(m.nother ? m.other[0].line : 0, 9, "eval's line");
	is_str(m.nother > 1 ? m.other[1].cmd : "", "frobnicate", "then the unknown command");
	msmtprc_release(&m);
}

static void test_inheritance(void)
{
	struct msmtprc m;
	char err[ERROR_MSG_MAX];
	const char *rc =
		"defaults\nport 587\ntls on\n"
		"account base\nhost base.example\nuser u\n"
		"defaults\nport 2525\nauth on\n"
		"account child : base\nfrom c@example.org\n"
		"account grandchild : child\n"
		"account other\nhost other.example\nuser o\n"
		"account both : base, other\n"
		"account default : child\n";

	is_int(parse(&m, rc, err, sizeof(err)), 0, "inheritance: parses");
	is_str(v(&m, "base", MSMTPRC_PORT), "587", "defaults: as they were when the account began");
	is_str(v(&m, "base", MSMTPRC_AUTH), "(unset)", "defaults: later ones do not reach back");
	is_str(v(&m, "child", MSMTPRC_PORT), "2525", "child: the defaults of its own time");
	is_str(v(&m, "child", MSMTPRC_AUTH), "on", "child: the later defaults");
	is_str(v(&m, "child", MSMTPRC_HOST), "base.example", "child: host from base (its mask)");
	is_str(v(&m, "child", MSMTPRC_USER), "u", "child: user from base");
	is_str(v(&m, "grandchild", MSMTPRC_HOST), "base.example", "grandchild: what child inherited passes on");
	is_str(v(&m, "grandchild", MSMTPRC_FROM), "c@example.org", "grandchild: child's own value");
	is_str(v(&m, "both", MSMTPRC_HOST), "other.example", "two parents: the later one wins");
	is_str(v(&m, "both", MSMTPRC_USER), "o", "two parents: for every key it set");
	is_str(acc(&m, "default")->parent, "child", "account default : child names its parent");
	is_int(acc(&m, "default")->own_lines, 0, "and sets nothing itself");
	is_int(acc(&m, "child")->val[MSMTPRC_HOST].line, 5, "an inherited value keeps its line");
	msmtprc_release(&m);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *want, *name;
	} cases[] = {
		{ "account a\nhost h\nport 99999\n", "rc:3: invalid argument 99999 for command port", "port" },
		{ "account a\nport\n", "rc:2: command port needs an argument", "port empty" },
		{ "account a\nhost\n", "rc:2: command host needs an argument", "host empty" },
		{ "account a : b\n", "rc:1: account b not (yet) defined", "parent undefined" },
		{ "account a\naccount a\n", "rc:2: account a was already defined", "twice" },
		{ "account a :\n", "rc:1: missing account name", "empty parent" },
		{ "account\n", "rc:1: missing account name", "no name" },
		{ "account a,b\n", "rc:1: an account name must not contain colons or commas", "comma" },
		{ "defaults x\n", "rc:1: command defaults does not take an argument", "defaults arg" },
		{ "account a\ntls maybe\n", "rc:2: invalid argument maybe for command tls", "tls" },
		{ "account a\nauth md4\n", "rc:2: invalid argument md4 for command auth", "auth" },
		{ "account a\ntimeout 0\n", "rc:2: invalid argument 0 for command timeout", "timeout" },
		{ "account a\nprotocol smtps\n", "rc:2: invalid argument smtps for command protocol", "protocol" },
		{ "account a\nsyslog LOG_KERN\n", "rc:2: invalid argument LOG_KERN for command syslog", "syslog" },
		{ "account a\ndsn_notify success,never\n",
		  "rc:2: invalid argument success,never for command dsn_notify", "dsn_notify" },
		{ "account a\ndsn_return all\n", "rc:2: invalid argument all for command dsn_return", "dsn_return" },
		{ "account a\nset_from_header sometimes\n",
		  "rc:2: invalid argument sometimes for command set_from_header", "set_from_header" },
		{ "account a\nset_date_header on\n", "rc:2: invalid argument on for command set_date_header",
		  "set_date_header on" },
		{ "account a\ntls_nocertcheck off\n", "rc:2: command tls_nocertcheck does not take an argument",
		  "tls_nocertcheck arg" },
		{ "account a\nproxy_port 0\n", "rc:2: invalid argument 0 for command proxy_port", "proxy_port" },
	};
	struct msmtprc m;
	char err[ERROR_MSG_MAX], name[128];
	struct buf text = BUF_INIT;
	struct error e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "error: %s", cases[i].name);
		parse(&m, cases[i].text, err, sizeof(err));
		is_str(err, cases[i].want, name);
		msmtprc_release(&m);
	}
	buf_adds(&text, "account a\nhost ");
	for (int i = 0; i < 494; i++)
		buf_adds(&text, "h");
	parse(&m, text.data, err, sizeof(err));
	is_str(err, "", "a line of 499 octets is fine");
	msmtprc_release(&m);
	buf_adds(&text, "h\n");
	parse(&m, text.data, err, sizeof(err));
	is_str(err, "rc:2: line longer than 499 characters", "a line of 500 is refused, as msmtp does");
	msmtprc_release(&m);

	msmtprc_init(&m);
	is_int(msmtprc_parse(&m, "rc", "account a\0\nhost h\n", 18, &e), -1, "a NUL: refused");
	is_str(e.msg, "rc contains a NUL byte; is it a text file?", "a NUL: the message");
	msmtprc_release(&m);

	buf_reset(&text);
	for (int i = 0; i <= MSMTPRC_ACCOUNTS_MAX; i++)
		buf_addf(&text, "account a%d\n", i);
	parse(&m, text.data, err, sizeof(err));
	is_str(err, "rc:1001: more than 1000 accounts; is this an msmtp configuration?", "too many accounts");
	msmtprc_release(&m);
	buf_release(&text);
}

/* Each key of msmtp's manual, alone in an account, and what it becomes. */
static void test_keys(void)
{
	ok(import_rules_complete(), "the conversion table has every msmtp key, in order");

	/* msmtp's defaults written out where postern's differ */
	one("", "port = 25\ntls = off\n", "", "no keys: msmtp's port 25 and no TLS");
	one("tls on\n", "port = 25\ntls = starttls\n", "", "tls on: STARTTLS on msmtp's port 25");
	one("tls on\ntls_starttls off\n", "port = 465\ntls = implicit\n", "",
	    "tls_starttls off: implicit TLS on 465");
	one("port 587\ntls on\ntls_starttls on\n", "port = 587\ntls = starttls\n", "", "port 587");
	one("port 465\ntls on\n", "port = 465\ntls = implicit\n",
	    "rc:4: tls: not converted: STARTTLS on port 465 cannot work (465 speaks TLS from the first "
	    "byte); written as tls = implicit (account a)\n", "STARTTLS on 465 becomes implicit");
	one("port 587\ntls on\ntls_starttls off\n", "port = 587\ntls = starttls\n",
	    "rc:5: tls_starttls: not converted: TLS from the first byte on port 587 cannot work (587 "
	    "speaks STARTTLS); written as tls = starttls (account a)\n", "implicit on 587 becomes STARTTLS");
	one("tls off\n", "port = 25\ntls = off\n", "", "tls off");
	one("source_ip 192.0.2.1\n", "port = 25\ntls = off\n",
	    "rc:3: source_ip: not converted: postern lets the system choose the source address\n", "source_ip");
	one("source_ip\n", "port = 25\ntls = off\n", "", "source_ip empty: msmtp's default");
	one("proxy_host 127.0.0.1\n", "port = 25\ntls = off\nproxy = socks5h://127.0.0.1:1080\n", "",
	    "proxy_host: socks5h (the proxy resolves), port 1080");
	one("proxy_host ::1\nproxy_port 9050\n", "port = 25\ntls = off\nproxy = socks5h://[::1]:9050\n", "",
	    "proxy_host IPv6 and proxy_port");
	one("proxy_port 9050\n", "port = 25\ntls = off\n",
	    "rc:3: proxy_port: not converted: there is no proxy_host, so msmtp used no proxy (account a)\n",
	    "proxy_port alone");
	one("socket /run/s\n", "port = 25\ntls = off\n",
	    "rc:3: socket: not converted: postern connects over TCP to host and port only; msmtp used this "
	    "socket instead\n", "socket");
	one("timeout 30\n", "port = 25\ntls = off\ntimeout = 30\n", "", "timeout");
	one("timeout 7200\n", "port = 25\ntls = off\ntimeout = 3600\n",
	    "rc:3: timeout: not converted: 7200 seconds is more than postern's maximum; written as "
	    "timeout = 3600\n", "timeout above postern's maximum");
	one("timeout off\n", "port = 25\ntls = off\n",
	    "rc:3: timeout: not converted: postern always has a timeout (60 seconds unless timeout = says "
	    "otherwise, at most 3600)\n", "timeout off");
	one("protocol smtp\n", "port = 25\ntls = off\n", "", "protocol smtp");
	one("protocol lmtp\n", "port = 2003\ntls = off\n",
	    "rc:3: protocol: not converted: postern speaks SMTP only, not LMTP\n", "protocol lmtp");
	one("domain client.example\n", "port = 25\ntls = off\nehlo_name = client.example\n", "", "domain");
	one("domain %H\n", "port = 25\ntls = off\n",
	    "rc:3: domain: not converted: postern does not expand %H, %C or %M; without ehlo_name it gives "
	    "this machine's fully qualified name\n", "domain with a pattern");
	one("tls on\nauth on\nuser u\n", "port = 25\ntls = starttls\nuser = u\nauth = on\n", "", "auth on");
	one("tls on\nauth\nuser u\n", "port = 25\ntls = starttls\nuser = u\nauth = on\n", "", "auth empty is on");
	one("user u\n", "port = 25\ntls = off\nuser = u\nauth = off\n", "",
	    "user without auth: msmtp does not log in, so auth = off");
	one("tls on\nauth login\nuser u\n", "port = 25\ntls = starttls\nuser = u\nauth = login\n", "",
	    "auth login");
	one("tls on\nauth cram-md5\nuser u\n", "port = 25\ntls = starttls\nuser = u\nauth = cram-md5\n", "",
	    "auth cram-md5");
	one("tls on\nauth xoauth2\nuser u\n", "port = 25\ntls = starttls\nuser = u\nauth = xoauth2\n", "",
	    "auth xoauth2");
	one("tls on\nauth gssapi\nuser u\n", "port = 25\ntls = starttls\nuser = u\n",
	    "rc:4: auth: not converted: postern has no gssapi; without auth = it chooses the best method "
	    "the server offers (SCRAM, PLAIN, LOGIN)\n", "auth gssapi");
	one("auth on\nuser u\n", "port = 25\ntls = off\nuser = u\nauth = scram-sha-256\nauth_without_tls = yes\n",
	    "", "auth on without TLS: only a method that keeps the password off the wire");
	one("auth plain\nuser u\n", "port = 25\ntls = off\nuser = u\nauth = plain\nauth_without_tls = yes\n",
	    "", "auth plain without TLS, as msmtp was told");
	one("tls on\nauth on\nuser u\npassword p w\n",
	    "port = 25\ntls = starttls\nuser = u\nauth = on\npassword = p w\n", "", "password");
	one("tls on\nauth on\nuser u\npassword \"x ;y\"\n", "port = 25\ntls = starttls\nuser = u\nauth = on\n",
	    "rc:6: password: not converted: the value holds a blank followed by ';', which starts a comment "
	    "in postern's configuration; store it in the keyring with postern password set a\n",
	    "a password postern's INI cannot hold");
	one("tls on\nauth on\nuser u\npassword \" pw\"\n", "port = 25\ntls = starttls\nuser = u\nauth = on\n",
	    "rc:6: password: not converted: the value starts or ends with a blank, which postern's "
	    "configuration drops; store it in the keyring with postern password set a\n",
	    "a password with a leading blank");
	one("tls on\nauth on\nuser u\npasswordeval pass show mail | head -1\n",
	    "port = 25\ntls = starttls\nuser = u\nauth = on\npassword_command = pass show mail | head -1\n", "",
	    "passwordeval: a shell command in both");
	one("ntlmdomain DOM\n", "port = 25\ntls = off\n",
	    "rc:3: ntlmdomain: not converted: postern has no NTLM authentication\n", "ntlmdomain");
	one("tls on\ntls_trust_file ~/ca.pem\n", "port = 25\ntls = starttls\ntls_ca_file = /home/ann/ca.pem\n",
	    "", "tls_trust_file with ~");
	one("tls on\ntls_trust_file system\n", "port = 25\ntls = starttls\n", "", "tls_trust_file system");
	one("tls on\ntls_trust_file\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_trust_file: not converted: an empty tls_trust_file trusts no CA; postern checks against "
	    "the system's CAs unless tls_ca_file or tls_fingerprint says otherwise (account a)\n",
	    "tls_trust_file empty");
	one("tls on\ntls_crl_file /c.crl\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_crl_file: not converted: postern reads no CRL files\n", "tls_crl_file");
	one("tls on\ntls_fingerprint ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
	    "ab:cd:ef:01:23:45:67:89\n",
	    "port = 25\ntls = starttls\ntls_fingerprint = sha256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
	    "89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\n", "", "tls_fingerprint SHA-256");
	one("tls on\ntls_fingerprint 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33\n",
	    "port = 25\ntls = starttls\n",
	    "rc:4: tls_fingerprint: not converted: SHA-1 and MD5 fingerprints are refused: both digests "
	    "are broken, a forged certificate can match them; give the SHA-256 one (openssl x509 -noout "
	    "-fingerprint -sha256 -in CERT)\n", "tls_fingerprint SHA-1");
	one("tls on\ntls_cert_file ~/c.pem\ntls_key_file ~/c.key\n",
	    "port = 25\ntls = starttls\ntls_cert_file = /home/ann/c.pem\ntls_key_file = /home/ann/c.key\n", "",
	    "tls_cert_file and tls_key_file");
	one("tls on\ntls_cert_file /c.pem\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_cert_file: not converted: a client certificate needs both tls_cert_file and "
	    "tls_key_file (account a)\n", "tls_cert_file alone");
	one("tls on\ntls_cert_file pkcs11:token=x\ntls_key_file pkcs11:token=x\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_cert_file: not converted: postern reads the client certificate and key from PEM "
	    "files, not from a PKCS #11 device\n", "a PKCS #11 URI");
	one("tls on\ntls_certcheck off\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_certcheck: not converted: postern always checks the server's certificate; to trust "
	    "this one server's certificate whatever its issuer, set tls_fingerprint (postern doctor prints "
	    "it)\n", "tls_certcheck off");
	one("tls on\ntls_certcheck on\n", "port = 25\ntls = starttls\n", "", "tls_certcheck on");
	one("tls on\ntls_priorities NORMAL\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_priorities: not converted: a GnuTLS priority string; postern takes OpenSSL cipher "
	    "names in tls_ciphers and the lowest version in tls_min_version (1.2 or 1.3)\n", "tls_priorities");
	one("tls on\ntls_host_override x.example\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_host_override: not converted: postern checks the certificate against host; set host "
	    "to the name in the certificate, or pin it with tls_fingerprint\n", "tls_host_override");
	one("tls on\ntls_min_dh_prime_bits 512\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_min_dh_prime_bits: not converted: OpenSSL chooses the Diffie-Hellman parameters; "
	    "postern has no setting for it\n", "tls_min_dh_prime_bits");
	one("tls on\ntls_force_sslv3 on\n", "port = 25\ntls = starttls\n",
	    "rc:4: tls_force_sslv3: not converted: postern speaks TLS 1.2 or newer only\n", "tls_force_sslv3");
	one("tls_fingerprint ab\ntls_trust_file /ca\ntls_certcheck off\n", "port = 25\ntls = off\n",
	    "rc:3: tls_fingerprint: not converted: tls is off, so msmtp did not use it (account a)\n"
	    "rc:4: tls_trust_file: not converted: tls is off, so msmtp did not use it (account a)\n"
	    "rc:5: tls_certcheck: not converted: tls is off, so msmtp did not use it (account a)\n",
	    "TLS keys with tls off");
	one("from a@example.org\n", "port = 25\ntls = off\nfrom = a@example.org\nrewrite_from = never\n", "",
	    "from (and msmtp's way with a From field it does not match)");
	one("from *@example.org\n", "port = 25\ntls = off\nfrom = *@example.org\n", "", "from with *");
	one("from a?@example.org\n", "port = 25\ntls = off\n",
	    "rc:3: from: not converted: postern's from takes * as its only wildcard (*@example.org), not ? "
	    "or [...]\n", "from with ?");
	one("from %U@example.org\n", "port = 25\ntls = off\n",
	    "rc:3: from: not converted: postern does not expand %U, %H, %C or %M; write the address itself\n",
	    "from with %U");
	one("from alice\n", "port = 25\ntls = off\n",
	    "rc:3: from: not converted: alice has no @domain; postern's from needs a full address\n",
	    "from without a domain");
	one("from_full_name Ann\n", "port = 25\ntls = off\n",
	    "rc:3: from_full_name: not converted: postern takes the name from -F or from the message's From "
	    "field\n", "from_full_name");
	one("from a@example.org\nallow_from_override off\n",
	    "port = 25\ntls = off\nfrom = a@example.org\nallow_from_override = no\nrewrite_from = never\n", "",
	    "allow_from_override off");
	one("allow_from_override off\n", "port = 25\ntls = off\n",
	    "rc:3: allow_from_override: not converted: postern needs the account's own address in from for "
	    "it (account a)\n", "allow_from_override off without from");
	one("allow_from_override on\n", "port = 25\ntls = off\n", "", "allow_from_override on");
	one("dsn_notify success,failure\n", "port = 25\ntls = off\n",
	    "rc:3: dsn_notify: not converted: postern asks for delivery status notifications only when the "
	    "command line says so (-N success,failure)\n", "dsn_notify");
	one("dsn_notify off\ndsn_return off\n", "port = 25\ntls = off\n", "", "dsn_* off");
	one("dsn_return full\n", "port = 25\ntls = off\n",
	    "rc:3: dsn_return: not converted: postern asks for delivery status notifications only when the "
	    "command line says so (-R full)\n", "dsn_return");
	one("from a@example.org\nset_from_header auto\n",
	    "port = 25\ntls = off\nfrom = a@example.org\nrewrite_from = never\n", "", "set_from_header auto");
	one("from a@example.org\nset_from_header on\n",
	    "port = 25\ntls = off\nfrom = a@example.org\nrewrite_from = always\n", "", "set_from_header on");
	one("set_from_header auto\n", "port = 25\ntls = off\n", "", "set_from_header auto");
	one("set_from_header off\n", "port = 25\ntls = off\n",
	    "rc:3: set_from_header: not converted: postern always adds a From field to a message that has "
	    "none\n", "set_from_header off");
	one("set_date_header off\n", "port = 25\ntls = off\n",
	    "rc:3: set_date_header: not converted: postern always adds a Date field to a message that has "
	    "none\n", "set_date_header off");
	one("set_msgid_header off\nset_date_header auto\n", "port = 25\ntls = off\n",
	    "rc:3: set_msgid_header: not converted: postern always adds a Message-ID field to a message that "
	    "has none\n", "set_msgid_header off");
	one("remove_bcc_headers off\n", "port = 25\ntls = off\n",
	    "rc:3: remove_bcc_headers: not converted: postern always removes the Bcc field before sending\n",
	    "remove_bcc_headers off");
	one("remove_bcc_headers on\nundisclosed_recipients off\n", "port = 25\ntls = off\n", "",
	    "remove_bcc_headers on, undisclosed_recipients off");
	one("undisclosed_recipients on\n", "port = 25\ntls = off\n",
	    "rc:3: undisclosed_recipients: not converted: postern sends the To and Cc fields as the message "
	    "has them\n", "undisclosed_recipients on");
	one("logfile ~/msmtp.log\n", "port = 25\ntls = off\nlog = /home/ann/msmtp.log\n", "", "logfile");
	one("logfile msmtp.log\n", "port = 25\ntls = off\n",
	    "rc:3: logfile: not converted: msmtp.log is not an absolute file name, which postern's log "
	    "needs\n", "logfile relative");
	one("logfile -\n", "port = 25\ntls = off\n",
	    "rc:3: logfile: not converted: postern writes its log to a file or syslog, not to standard "
	    "output\n", "logfile -");
	one("logfile_time_format %s\n", "port = 25\ntls = off\n",
	    "rc:3: logfile_time_format: not converted: postern's log lines have a fixed time format\n",
	    "logfile_time_format");
	one("syslog on\n", "port = 25\ntls = off\nlog = syslog\n", "", "syslog on");
	one("syslog LOG_MAIL\n", "port = 25\ntls = off\nlog = syslog\n", "", "syslog LOG_MAIL");
	one("syslog LOG_LOCAL2\n", "port = 25\ntls = off\nlog = syslog\n",
	    "rc:3: syslog: not converted: the facility LOG_LOCAL2: postern logs to facility mail (log = "
	    "syslog is written)\n", "syslog LOG_LOCAL2");
	one("syslog off\n", "port = 25\ntls = off\n", "", "syslog off");
	one("logfile /l\nsyslog\n", "port = 25\ntls = off\nlog = /l\n",
	    "rc:4: syslog: not converted: postern logs to one place, and the logfile was written as log = "
	    "(account a)\n", "logfile and syslog");
	one("aliases ~/aliases\n", "port = 25\ntls = off\naliases = /home/ann/aliases\n", "", "aliases");
	one("aliases\n", "port = 25\ntls = off\naliases = none\n", "", "aliases empty: none");
	one("auto_from on\nmaildomain example.org\n", "port = 25\ntls = off\n",
	    "rc:3: auto_from: not converted: postern does not make the sender from the login name; write it "
	    "in from (you@example.org)\n"
	    "rc:4: maildomain: not converted: msmtp uses it only with auto_from; write the sender's address "
	    "in from\n", "auto_from, maildomain");
	one("auto_from off\n", "port = 25\ntls = off\n", "", "auto_from off");
	one("eval echo host x\nfoo bar\n", "port = 25\ntls = off\n",
	    "rc:3: eval: not converted: it runs a command while msmtp reads the file, and postern runs none "
	    "from its configuration but password_command; write the value itself\n"
	    "rc:4: foo: not converted: no msmtp command that postern knows\n", "eval, an unknown command");
}

static void test_accounts(void)
{
	struct buf ini = BUF_INIT, warn = BUF_INIT;
	struct config c;
	struct error e;
	const struct account *a;

	/* a template without host, inheritance, account default : NAME */
	is_int(convert("defaults\ntls on\nport 587\naccount common\nauth on\nuser u\n"
		       "account work : common\nhost w.example\nfrom u@w.example\n"
		       "account default : work\n", &ini, &warn), 1, "template: one account written");
	is_str(ini.data, HEADER "\n[defaults]\ndefault_account = work\n\n[work]\nhost = w.example\n"
	       "port = 587\ntls = starttls\nuser = u\nauth = on\nfrom = u@w.example\nrewrite_from = never\n",
	       "template: inherited values flattened, default_account");
	is_str(warn.data, "rc:4: account: not converted: common has no host: msmtp uses it only to pass "
	       "settings on to accounts that name it, which have them in postern\n", "template: warned");
	buf_reset(&ini);
	buf_reset(&warn);

	/* an account default with values of its own stays an account */
	is_int(convert("account work\nhost w.example\naccount default : work\nport 2525\n", &ini, &warn), 2,
	       "default with its own values: two accounts");
	is_str(ini.data, HEADER "\n[defaults]\ndefault_account = default\n\n[work]\nhost = w.example\n"
	       "port = 25\ntls = off\n\n[default]\nhost = w.example\nport = 2525\ntls = off\n",
	       "default with its own values: written, and the default");
	buf_reset(&ini);
	buf_reset(&warn);

	/* names postern's sections cannot hold */
	is_int(convert("account \"my work\"\nhost w.example\naccount defaults\nhost d.example\n", &ini, &warn),
	       2, "names: both written");
	is_str(ini.data, HEADER "\n[my_work]\nhost = w.example\nport = 25\ntls = off\n\n[defaults_]\n"
	       "host = d.example\nport = 25\ntls = off\n", "names: renamed");
	is_str(warn.data, "rc:1: account: not converted: the name \"my work\" has a character postern's "
	       "section names cannot hold; written as [my_work] (use -a my_work)\n"
	       "rc:3: account: not converted: the name \"defaults\" has a character postern's section names "
	       "cannot hold; written as [defaults_] (use -a defaults_)\n", "names: warned");
	buf_reset(&ini);
	buf_reset(&warn);

	/* a value inherited by several accounts is warned once, naming them */
	convert("defaults\ntls_certcheck off\naccount a\nhost a.example\naccount b\nhost b.example\n",
		&ini, &warn);
	is_str(warn.data, "rc:2: tls_certcheck: not converted: tls is off, so msmtp did not use it "
	       "(accounts a, b)\n", "one warning for an inherited value");
	buf_reset(&ini);
	buf_reset(&warn);

	/* what postern itself would refuse is left out, with its reason */
	is_int(convert("account a\nhost h\ntls on\nauth on\naccount b\nhost h2\n", &ini, &warn), 1,
	       "refused by postern: the other account written");
	is_str(warn.data, "rc:1: account: not converted: postern would refuse the result: auth is on but "
	       "user is not set; add user = your login, or auth = off; this account is left out\n",
	       "refused by postern: the reason, without the INI's line");
	buf_reset(&ini);
	buf_reset(&warn);

	is_int(convert("# nothing\n", &ini, &warn), -1, "no account: an error");
	is_str(warn.data, "rc: no account that postern can use (each needs at least host)", "no account: why");
	is_str(ini.data, "", "no account: nothing written");
	buf_reset(&warn);

	/* read back: the effective values per account */
	is_int(convert("defaults\nport 587\ntls on\ntls_starttls on\nauth on\n"
		       "account a\nhost a.example\nuser ua\npassword pa\nfrom a@example.org\n"
		       "account b : a\nhost b.example\nport 465\ntls_starttls off\nuser ub\n"
		       "passwordeval echo pb\n", &ini, &warn), 2, "read back: two accounts");
	config_init(&c);
	is_int(config_parse_string(&c, "out", ini.data, &e), 0, "read back: postern takes it");
	a = config_select(&c, "a", NULL, NULL, &e);
	ok(a && !strcmp(a->host, "a.example") && a->port == 587 && a->tls == ACCOUNT_TLS_STARTTLS &&
	   a->auth == AUTH_ON && !strcmp(a->user, "ua") && !strcmp(a->password, "pa") &&
	   !strcmp(a->from, "a@example.org"), "read back: [a] as in msmtp");
	a = config_select(&c, "b", NULL, NULL, &e);
	ok(a && !strcmp(a->host, "b.example") && a->port == 465 && a->tls == ACCOUNT_TLS_IMPLICIT &&
	   !strcmp(a->user, "ub") && !strcmp(a->password, "pa") && !strcmp(a->password_command, "echo pb") &&
	   !strcmp(a->from, "a@example.org"), "read back: [b] with a's password, from, and its own values");
	config_release(&c);
	buf_release(&ini);
	buf_release(&warn);
}

/* The files of tests/data/msmtprc: each converts, and postern reads the
 * result. */
static void test_files(void)
{
	static const struct {
		const char *file;
		int accounts;
		const char *default_account;
	} files[] = {
		{ "user.msmtprc", 3, "freemail" },
		{ "system.msmtprc", 1, "default" },
		{ "every-key.msmtprc", 3, NULL },
	};
	const char *src = getenv("top_srcdir");

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = xasprintf("%s/tests/data/msmtprc/%s", src ? src : "..", files[i].file);
		struct buf text = BUF_INIT, ini = BUF_INIT, warn = BUF_INIT;
		size_t n = 0;
		char *data = tap_slurp(path, &n);
		struct config c;
		struct error e;

		if (!ok(data != NULL, "%s: opened", files[i].file)) {
			free(path);
			continue;
		}
		buf_add(&text, data, n);
		free(data);
		if (!strcmp(files[i].file, "every-key.msmtprc")) {
			struct msmtprc m;
			char err[ERROR_MSG_MAX];
			size_t missing = 0;

			parse(&m, text.data, err, sizeof(err));
			/* every key set somewhere (defaults count through the accounts) */
			for (size_t k = 0; k < MSMTPRC_NKEYS; k++) {
				size_t j;

				for (j = 0; j < m.n && !m.acc[j].val[k].v; j++)
					;
				if (j == m.n) {
					printf("# not in %s: %s\n", files[i].file, msmtprc_key_name((enum msmtprc_key)k));
					missing++;
				}
			}
			is_int((long long)missing, 0, "every-key.msmtprc sets every msmtp key");
			msmtprc_release(&m);
		}
		is_int(convert(text.data, &ini, &warn), files[i].accounts, files[i].file);
		config_init(&c);
		is_int(config_parse_string(&c, "out", ini.data, &e), 0, "postern reads the result");
		is_int((long long)c.n, files[i].accounts, "with every account");
		is_str(c.default_account, files[i].default_account, "and msmtp's default account");
		config_release(&c);
		buf_release(&text);
		buf_release(&ini);
		buf_release(&warn);
		free(path);
	}
}

int main(void)
{
	test_syntax();
	test_inheritance();
	test_errors();
	test_keys();
	test_accounts();
	test_files();
	return tap_done();
}
