#include "cmd_import.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "config_write.h"
#include "log.h"
#include "proxy.h"
#include "tls.h"

/* postern's INI lines (config.c): longer ones are refused there. */
#define INI_LINE_MAX 199

/* One "not converted" warning before sorting. */
struct warning {
	int line;
	const char *key;	/* static, or the msmtprc's own command (owned by it) */
	char *why;
	struct strvec accounts;	/* where the reason holds, when it depends on the account */
};

struct warnings {
	struct warning *w;
	size_t n;
};

/* A warning about key at line; account names the account when the reason
 * holds for it alone (NULL: for every account). */
static void warn_add(struct warnings *ws, int line, const char *key, const char *account,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void warn_add(struct warnings *ws, int line, const char *key, const char *account,
		     const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct warning *w = NULL;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* the same value inherited by several accounts: one warning, naming
	 * the accounts where it depends on them */
	for (size_t i = 0; i < ws->n && !w; i++)
		if (ws->w[i].line == line && !strcmp(ws->w[i].key, key) && !strcmp(ws->w[i].why, b.data))
			w = &ws->w[i];
	if (!w) {
		ws->w = xrealloc(ws->w, (ws->n + 1) * sizeof(*ws->w));
		w = &ws->w[ws->n++];
		w->line = line;
		w->key = key;
		w->why = buf_detach(&b);
		strvec_init(&w->accounts);
	}
	if (account && strvec_find_icase(&w->accounts, account) < 0)
		strvec_push(&w->accounts, account);
	buf_release(&b);
}

/* One account being written. */
struct out {
	const struct msmtprc_account *a;
	struct warnings *ws;
	const char *home;
	struct buf text;	/* secret: may hold the password */
};

static const char *val(const struct out *o, enum msmtprc_key k)
{
	return o->a->val[k].v;
}

/* Set to something other than "" (msmtp's "unset"). */
static const char *nonempty(const struct out *o, enum msmtprc_key k)
{
	const char *v = o->a->val[k].v;

	return v && *v ? v : NULL;
}

static int is(const struct out *o, enum msmtprc_key k, const char *v)
{
	return o->a->val[k].v && !strcmp(o->a->val[k].v, v);
}

static void warn_key(struct out *o, enum msmtprc_key k, int here, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void warn_key(struct out *o, enum msmtprc_key k, int here, const char *fmt, va_list ap)
{
	const struct msmtprc_value *v = &o->a->val[k];
	struct buf b = BUF_INIT;

	buf_vaddf(&b, fmt, ap);
	warn_add(o->ws, v->line, v->cmd ? v->cmd : msmtprc_key_name(k), here ? o->a->name : NULL,
		 "%s", b.data);
	buf_release(&b);
}

/* The value of k is not converted, for a reason that holds wherever it
 * is inherited. */
static void not_converted(struct out *o, enum msmtprc_key k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void not_converted(struct out *o, enum msmtprc_key k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_key(o, k, 0, fmt, ap);
	va_end(ap);
}

/* The same for a reason that depends on the account's other values: the
 * warning names the accounts. */
static void not_converted_here(struct out *o, enum msmtprc_key k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void not_converted_here(struct out *o, enum msmtprc_key k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_key(o, k, 1, fmt, ap);
	va_end(ap);
}

/* Why postern's INI cannot hold value on a "key = value" line, or NULL. */
static const char *unwritable(const char *key, const char *value)
{
	size_t n = strlen(value);

	if (!n)
		return "the value is empty";
	for (const char *s = value; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "the value holds a control character, which postern's configuration refuses";
		if ((*s == ' ' || *s == '\t') && s[1] == ';')
			return "the value holds a blank followed by ';', which starts a comment in postern's "
			       "configuration";
	}
	if (value[0] == ' ' || value[0] == '\t' || value[n - 1] == ' ' || value[n - 1] == '\t')
		return "the value starts or ends with a blank, which postern's configuration drops";
	if (strlen(key) + 3 + n > INI_LINE_MAX)
		return "the line would be longer than the 199 characters postern's configuration allows";
	return NULL;
}

/* Write "key = value" for msmtp's key k, or warn that it cannot be. */
static int put(struct out *o, enum msmtprc_key k, const char *key, const char *value)
{
	const char *why = unwritable(key, value);

	if (why) {
		if (k == MSMTPRC_PASSWORD)
			not_converted(o, k, "%s; store it in the keyring with postern password set %s",
				      why, o->a->name);
		else
			not_converted(o, k, "%s", why);
		return -1;
	}
	buf_addf(&o->text, "%s = %s\n", key, value);
	return 0;
}

/* msmtp replaces a leading ~ of a file name with $HOME. */
static char *expand_home(const struct out *o, const char *v)
{
	if (o->home && v[0] == '~' && (v[1] == '/' || !v[1]))
		return xasprintf("%s%s", o->home, v + 1);
	return xstrdup(v);
}

/* A file name key: ~ expanded; an absolute name required where postern
 * requires one (log, aliases). */
static void put_file(struct out *o, enum msmtprc_key k, const char *key, int absolute)
{
	char *path = expand_home(o, val(o, k));

	if (absolute && path[0] != '/')
		not_converted(o, k, "%s is not an absolute file name, which postern's %s needs", path, key);
	else
		put(o, k, key, path);
	free(path);
}

/* The tls, port, tls_starttls trio.  Returns the postern tls mode. */
static enum account_tls put_transport(struct out *o, unsigned *portp)
{
	int tls = is(o, MSMTPRC_TLS, "on");
	int starttls = !is(o, MSMTPRC_TLS_STARTTLS, "off");
	enum account_tls mode = !tls ? ACCOUNT_TLS_OFF : starttls ? ACCOUNT_TLS_STARTTLS
					   : ACCOUNT_TLS_IMPLICIT;
	unsigned port;

	/* msmtp's default port: 25, or 465 for TLS from the first byte;
	 * postern's is 587, so it is always written out */
	if (val(o, MSMTPRC_PORT))
		port = (unsigned)atoi(val(o, MSMTPRC_PORT));
	else if (is(o, MSMTPRC_PROTOCOL, "lmtp"))
		port = 2003;
	else
		port = mode == ACCOUNT_TLS_IMPLICIT ? 465 : 25;
	if (mode == ACCOUNT_TLS_STARTTLS && port == 465) {
		not_converted_here(o, val(o, MSMTPRC_TLS_STARTTLS) ? MSMTPRC_TLS_STARTTLS : MSMTPRC_TLS,
			      "STARTTLS on port 465 cannot work (465 speaks TLS from the first byte); "
			      "written as tls = implicit");
		mode = ACCOUNT_TLS_IMPLICIT;
	} else if (mode == ACCOUNT_TLS_IMPLICIT && port == 587) {
		not_converted_here(o, MSMTPRC_TLS_STARTTLS,
			      "TLS from the first byte on port 587 cannot work (587 speaks STARTTLS); "
			      "written as tls = starttls");
		mode = ACCOUNT_TLS_STARTTLS;
	}
	buf_addf(&o->text, "port = %u\n", port);
	buf_addf(&o->text, "tls = %s\n", config_tls_name(mode));
	*portp = port;
	return mode;
}

static void put_proxy(struct out *o)
{
	const char *host = nonempty(o, MSMTPRC_PROXY_HOST);
	const char *port = nonempty(o, MSMTPRC_PROXY_PORT);
	struct proxy px;
	struct error pe;
	char *url;

	if (!host) {
		if (port)
			not_converted_here(o, MSMTPRC_PROXY_PORT, "there is no proxy_host, so msmtp used no proxy");
		return;
	}
	/* msmtp has the proxy look the name up: socks5h */
	url = xasprintf(strchr(host, ':') ? "socks5h://[%s]:%s" : "socks5h://%s:%s", host,
			port ? port : "1080");
	if (proxy_parse(url, &px, &pe))
		not_converted(o, MSMTPRC_PROXY_HOST, "%s", pe.msg);
	else
		put(o, MSMTPRC_PROXY_HOST, "proxy", url);
	free(url);
}

/* auth, user, passwords.  tls is the mode written. */
static void put_auth(struct out *o, enum account_tls tls)
{
	static const char *const same[] = {
		"plain", "login", "scram-sha-1", "scram-sha-256", "cram-md5", "xoauth2", "oauthbearer",
		"external", NULL
	};
	const char *auth = val(o, MSMTPRC_AUTH);
	const char *mode = NULL;

	if (nonempty(o, MSMTPRC_USER))
		put(o, MSMTPRC_USER, "user", val(o, MSMTPRC_USER));
	if (!auth || !strcmp(auth, "off")) {
		/* msmtp does not log in without auth; postern would, with a user */
		if (nonempty(o, MSMTPRC_USER))
			buf_adds(&o->text, "auth = off\n");
		mode = "off";
	} else if (!strcmp(auth, "on")) {
		/* Without TLS msmtp's automatic choice takes only methods that
		 * keep the password off the wire; postern's would take PLAIN. */
		mode = tls == ACCOUNT_TLS_OFF ? "scram-sha-256" : "on";
		buf_addf(&o->text, "auth = %s\n", mode);
	} else {
		for (size_t i = 0; same[i]; i++)
			if (!strcmp(auth, same[i]))
				mode = same[i];
		if (mode)
			buf_addf(&o->text, "auth = %s\n", mode);
		else
			not_converted(o, MSMTPRC_AUTH, "postern has no %s; without auth = it chooses the "
				      "best method the server offers (SCRAM, PLAIN, LOGIN)", auth);
	}
	if (tls == ACCOUNT_TLS_OFF && mode && strcmp(mode, "off") && strcmp(mode, "external"))
		/* msmtp logs in without TLS when told to; postern needs it said */
		buf_adds(&o->text, "auth_without_tls = yes\n");
	if (nonempty(o, MSMTPRC_PASSWORD))
		put(o, MSMTPRC_PASSWORD, "password", val(o, MSMTPRC_PASSWORD));
	if (nonempty(o, MSMTPRC_PASSWORDEVAL))
		/* both run "/bin/sh -c CMD" with the first line of output as
		 * the password */
		put(o, MSMTPRC_PASSWORDEVAL, "password_command", val(o, MSMTPRC_PASSWORDEVAL));
}

/* What becomes of each msmtp key: one entry per key, in enum order (the
 * unit test checks that none is missing).  A key with a converter is
 * written by the put_*() function named; a key without one is never
 * written, and warned about when its value is `refused` ("" = any value
 * but empty; "~tls" = any value but empty or "system", only named when
 * tls is off); any other value means msmtp's default, which is postern's
 * too, or no effect. */
enum rule_kind {
	R_CONVERTED,		/* written by a put_*() function */
	R_REFUSED,		/* warned when the value is `refused` */
	R_TLS,			/* converted with tls on; with tls off warned: msmtp ignored it */
	R_TLS_REFUSED,		/* refused with tls on, and as R_TLS with tls off */
};

static const struct rule {
	enum msmtprc_key key;
	enum rule_kind kind;
	const char *refused;	/* "" = any non-empty value */
	const char *why;
} rules[MSMTPRC_NKEYS] = {
	{ MSMTPRC_HOST, R_CONVERTED, NULL, "host" },
	{ MSMTPRC_PORT, R_CONVERTED, NULL, "put_transport" },
	{ MSMTPRC_SOURCE_IP, R_REFUSED, "", "postern lets the system choose the source address" },
	{ MSMTPRC_PROXY_HOST, R_CONVERTED, NULL, "put_proxy" },
	{ MSMTPRC_PROXY_PORT, R_CONVERTED, NULL, "put_proxy" },
	{ MSMTPRC_SOCKET, R_REFUSED, "", "postern connects over TCP to host and port only; msmtp "
	  "used this socket instead" },
	{ MSMTPRC_TIMEOUT, R_CONVERTED, NULL, "put_timeout" },
	{ MSMTPRC_PROTOCOL, R_REFUSED, "lmtp", "postern speaks SMTP only, not LMTP" },
	{ MSMTPRC_DOMAIN, R_CONVERTED, NULL, "put_ehlo" },
	{ MSMTPRC_AUTH, R_CONVERTED, NULL, "put_auth" },
	{ MSMTPRC_USER, R_CONVERTED, NULL, "put_auth" },
	{ MSMTPRC_PASSWORD, R_CONVERTED, NULL, "put_auth" },
	{ MSMTPRC_PASSWORDEVAL, R_CONVERTED, NULL, "put_auth" },
	{ MSMTPRC_NTLMDOMAIN, R_REFUSED, "", "postern has no NTLM authentication" },
	{ MSMTPRC_TLS, R_CONVERTED, NULL, "put_transport" },
	{ MSMTPRC_TLS_STARTTLS, R_CONVERTED, NULL, "put_transport" },
	{ MSMTPRC_TLS_TRUST_FILE, R_TLS, NULL, "put_tls" },
	{ MSMTPRC_TLS_CRL_FILE, R_TLS_REFUSED, "", "postern reads no CRL files" },
	{ MSMTPRC_TLS_FINGERPRINT, R_TLS, NULL, "put_tls" },
	{ MSMTPRC_TLS_KEY_FILE, R_TLS, NULL, "put_tls" },
	{ MSMTPRC_TLS_CERT_FILE, R_TLS, NULL, "put_tls" },
	{ MSMTPRC_TLS_CERTCHECK, R_TLS_REFUSED, "off", "postern always checks the server's "
	  "certificate; to trust this one server's certificate whatever its issuer, set "
	  "tls_fingerprint (postern doctor prints it)" },
	{ MSMTPRC_TLS_PRIORITIES, R_TLS_REFUSED, "", "a GnuTLS priority string; postern takes "
	  "OpenSSL cipher names in tls_ciphers and the lowest version in tls_min_version (1.2 or 1.3)" },
	{ MSMTPRC_TLS_HOST_OVERRIDE, R_TLS_REFUSED, "", "postern checks the certificate against "
	  "host; set host to the name in the certificate, or pin it with tls_fingerprint" },
	{ MSMTPRC_TLS_MIN_DH_PRIME_BITS, R_TLS_REFUSED, "", "OpenSSL chooses the Diffie-Hellman "
	  "parameters; postern has no setting for it" },
	{ MSMTPRC_TLS_FORCE_SSLV3, R_TLS_REFUSED, "on", "postern speaks TLS 1.2 or newer only" },
	{ MSMTPRC_FROM, R_CONVERTED, NULL, "put_from" },
	{ MSMTPRC_FROM_FULL_NAME, R_REFUSED, "", "postern takes the name from -F or from the "
	  "message's From field" },
	{ MSMTPRC_ALLOW_FROM_OVERRIDE, R_CONVERTED, NULL, "put_from_keys" },
	{ MSMTPRC_DSN_NOTIFY, R_CONVERTED, NULL, "put_dsn" },
	{ MSMTPRC_DSN_RETURN, R_CONVERTED, NULL, "put_dsn" },
	{ MSMTPRC_SET_FROM_HEADER, R_CONVERTED, NULL, "put_from_keys" },
	{ MSMTPRC_SET_DATE_HEADER, R_REFUSED, "off", "postern always adds a Date field to a message "
	  "that has none" },
	{ MSMTPRC_SET_MSGID_HEADER, R_REFUSED, "off", "postern always adds a Message-ID field to a "
	  "message that has none" },
	{ MSMTPRC_REMOVE_BCC_HEADERS, R_REFUSED, "off", "postern always removes the Bcc field before "
	  "sending" },
	{ MSMTPRC_UNDISCLOSED_RECIPIENTS, R_REFUSED, "on", "postern sends the To and Cc fields as the "
	  "message has them" },
	{ MSMTPRC_LOGFILE, R_CONVERTED, NULL, "put_log" },
	{ MSMTPRC_LOGFILE_TIME_FORMAT, R_REFUSED, "", "postern's log lines have a fixed time format" },
	{ MSMTPRC_SYSLOG, R_CONVERTED, NULL, "put_log" },
	{ MSMTPRC_ALIASES, R_CONVERTED, NULL, "put_log" },
	{ MSMTPRC_AUTO_FROM, R_REFUSED, "on", "postern does not make the sender from the login "
	  "name; write it in from (you@example.org)" },
	{ MSMTPRC_MAILDOMAIN, R_REFUSED, "", "msmtp uses it only with auto_from; write the sender's "
	  "address in from" },
};

int import_rules_complete(void)
{
	for (size_t k = 0; k < MSMTPRC_NKEYS; k++)
		if (rules[k].key != (enum msmtprc_key)k || !rules[k].why)
			return 0;
	return 1;
}

/* Warn about every value the rules refuse, for an account with tls on or
 * off. */
static void refuse(struct out *o, int tls_on)
{
	for (size_t k = 0; k < MSMTPRC_NKEYS; k++) {
		const struct rule *r = &rules[k];
		const char *v = val(o, r->key);

		if (!v || !*v)
			continue;
		if (!tls_on && (r->kind == R_TLS || r->kind == R_TLS_REFUSED)) {
			if (r->refused ? (!*r->refused || !strcmp(v, r->refused))
				       : strcmp(v, "system"))
				not_converted_here(o, r->key, "tls is off, so msmtp did not use it");
			continue;
		}
		if ((r->kind == R_REFUSED || r->kind == R_TLS_REFUSED) &&
		    (!*r->refused || !strcmp(v, r->refused)))
			not_converted(o, r->key, "%s", r->why);
	}
}

/* The TLS keys postern has, with tls on. */
static void put_tls(struct out *o)
{
	const char *trust = val(o, MSMTPRC_TLS_TRUST_FILE);
	const char *pin = nonempty(o, MSMTPRC_TLS_FINGERPRINT);
	const char *cert = nonempty(o, MSMTPRC_TLS_CERT_FILE), *key = nonempty(o, MSMTPRC_TLS_KEY_FILE);

	if (trust && *trust && strcmp(trust, "system"))
		put_file(o, MSMTPRC_TLS_TRUST_FILE, "tls_ca_file", 0);
	else if (trust && !*trust && !pin)
		not_converted_here(o, MSMTPRC_TLS_TRUST_FILE,
			      "an empty tls_trust_file trusts no CA; postern checks against the system's "
			      "CAs unless tls_ca_file or tls_fingerprint says otherwise");
	if (pin) {
		char canon[TLS_FINGERPRINT_SIZE];
		const char *why;

		if (tls_pin_parse(pin, canon, &why))
			not_converted(o, MSMTPRC_TLS_FINGERPRINT, "%s", why);
		else
			put(o, MSMTPRC_TLS_FINGERPRINT, "tls_fingerprint", canon);
	}
	if ((cert && !strncmp(cert, "pkcs11:", 7)) || (key && !strncmp(key, "pkcs11:", 7))) {
		not_converted(o, cert && !strncmp(cert, "pkcs11:", 7) ? MSMTPRC_TLS_CERT_FILE
			      : MSMTPRC_TLS_KEY_FILE,
			      "postern reads the client certificate and key from PEM files, not from "
			      "a PKCS #11 device");
	} else if (cert && key) {
		put_file(o, MSMTPRC_TLS_CERT_FILE, "tls_cert_file", 0);
		put_file(o, MSMTPRC_TLS_KEY_FILE, "tls_key_file", 0);
	} else if (cert || key) {
		not_converted_here(o, cert ? MSMTPRC_TLS_CERT_FILE : MSMTPRC_TLS_KEY_FILE,
			      "a client certificate needs both tls_cert_file and tls_key_file");
	}
}

/* from: postern takes addresses and * wildcards, not msmtp's patterns.
 * Returns whether a plain address was written. */
static int put_from(struct out *o)
{
	const char *from = nonempty(o, MSMTPRC_FROM);

	if (!from)
		return 0;
	if (strchr(from, '%')) {
		not_converted(o, MSMTPRC_FROM, "postern does not expand %%U, %%H, %%C or %%M; "
			      "write the address itself");
		return 0;
	}
	if (strpbrk(from, "?[")) {
		not_converted(o, MSMTPRC_FROM, "postern's from takes * as its only wildcard "
			      "(*@example.org), not ? or [...]");
		return 0;
	}
	for (const char *s = from; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || strchr("<>\"(),", *s)) {
			not_converted(o, MSMTPRC_FROM, "postern's from takes a bare address "
				      "(you@example.org)");
			return 0;
		}
	if (!strchr(from, '@')) {
		not_converted(o, MSMTPRC_FROM, "%s has no @domain; postern's from needs a full address", from);
		return 0;
	}
	return put(o, MSMTPRC_FROM, "from", from) == 0 && !strchr(from, '*');
}

/* allow_from_override and set_from_header, which need a plain from. */
static void put_from_keys(struct out *o, int has_from)
{
	if (is(o, MSMTPRC_ALLOW_FROM_OVERRIDE, "off")) {
		if (has_from)
			buf_adds(&o->text, "allow_from_override = no\n");
		else
			not_converted_here(o, MSMTPRC_ALLOW_FROM_OVERRIDE,
				      "postern needs the account's own address in from for it");
	}
	if (is(o, MSMTPRC_SET_FROM_HEADER, "on")) {
		if (has_from)
			buf_adds(&o->text, "rewrite_from = always\n");
		else
			not_converted_here(o, MSMTPRC_SET_FROM_HEADER,
				      "postern's rewrite_from = always needs a plain address in from");
	} else {
		/* msmtp leaves a From field that is there alone (auto, its
		 * default, and off); postern's rewrite_from = auto would
		 * replace one the account's from does not match */
		if (has_from)
			buf_adds(&o->text, "rewrite_from = never\n");
		if (is(o, MSMTPRC_SET_FROM_HEADER, "off"))
			not_converted(o, MSMTPRC_SET_FROM_HEADER,
				      "postern always adds a From field to a message that has none");
	}
}

/* DSN requests: postern's come from the command line only. */
static void put_dsn(struct out *o)
{
	const char *v;

	if ((v = val(o, MSMTPRC_DSN_NOTIFY)) && strcmp(v, "off"))
		not_converted(o, MSMTPRC_DSN_NOTIFY, "postern asks for delivery status notifications "
			      "only when the command line says so (-N %s)", v);
	if ((v = val(o, MSMTPRC_DSN_RETURN)) && strcmp(v, "off"))
		not_converted(o, MSMTPRC_DSN_RETURN, "postern asks for delivery status notifications "
			      "only when the command line says so (-R %s)",
			      strcmp(v, "headers") ? "full" : "hdrs");
}

/* logfile, syslog (one log = in postern) and aliases. */
static void put_log(struct out *o)
{
	const char *v;
	int logged = 0;

	if ((v = nonempty(o, MSMTPRC_LOGFILE))) {
		if (!strcmp(v, "-")) {
			not_converted(o, MSMTPRC_LOGFILE, "postern writes its log to a file or syslog, "
				      "not to standard output");
		} else {
			size_t before = o->text.len;

			put_file(o, MSMTPRC_LOGFILE, "log", 1);
			logged = o->text.len != before;
		}
	}
	if ((v = val(o, MSMTPRC_SYSLOG)) && strcmp(v, "off")) {
		if (logged) {
			not_converted_here(o, MSMTPRC_SYSLOG, "postern logs to one place, and the logfile "
				      "was written as log =");
		} else {
			buf_adds(&o->text, "log = syslog\n");
			if (strcmp(v, "on") && strcmp(v, "LOG_MAIL"))
				not_converted(o, MSMTPRC_SYSLOG, "the facility %s: postern logs to "
					      "facility mail (log = syslog is written)", v);
		}
	}
	if ((v = val(o, MSMTPRC_ALIASES))) {
		if (*v)
			put_file(o, MSMTPRC_ALIASES, "aliases", 1);
		else
			buf_adds(&o->text, "aliases = none\n");
	}
}

static void put_timeout(struct out *o)
{
	const char *v = val(o, MSMTPRC_TIMEOUT);

	if (!v)
		return;
	if (!strcmp(v, "off")) {
		not_converted(o, MSMTPRC_TIMEOUT, "postern always has a timeout (60 seconds unless "
			      "timeout = says otherwise, at most 3600)");
	} else if (atol(v) > 3600) {
		not_converted(o, MSMTPRC_TIMEOUT, "%s seconds is more than postern's maximum; "
			      "written as timeout = 3600", v);
		buf_adds(&o->text, "timeout = 3600\n");
	} else {
		buf_addf(&o->text, "timeout = %s\n", v);
	}
}

static void put_ehlo(struct out *o)
{
	const char *v = nonempty(o, MSMTPRC_DOMAIN);

	if (!v)
		return;
	if (strchr(v, '%'))
		not_converted(o, MSMTPRC_DOMAIN, "postern does not expand %%H, %%C or %%M; "
			      "without ehlo_name it gives this machine's fully qualified name");
	else
		put(o, MSMTPRC_DOMAIN, "ehlo_name", v);
}

/* A section name postern takes (config.c): no blanks or control
 * characters, no ']' (it would end the header), not [defaults]. */
static char *section_name(const char *name)
{
	char *s = xstrdup(name);

	for (char *c = s; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == ']' || *c == '[')
			*c = '_';
	if (!strcasecmp(s, "defaults")) {
		free(s);
		s = xstrdup("defaults_");
	}
	return s;
}

/* Whether two accounts have the same values (for "account default : X"). */
static int same_values(const struct msmtprc_account *a, const struct msmtprc_account *b)
{
	for (size_t k = 0; k < MSMTPRC_NKEYS; k++) {
		const char *x = a->val[k].v, *y = b->val[k].v;

		if (!x != !y || (x && strcmp(x, y)))
			return 0;
	}
	return 1;
}

/* Convert one account into o->text.  Returns 0, or -1 when it is left out
 * (with a warning). */
static int convert_account(struct out *o, const char *section)
{
	enum account_tls tls;
	unsigned port;
	int has_from;

	if (!nonempty(o, MSMTPRC_HOST)) {
		const struct msmtprc_account *a = o->a;

		warn_add(o->ws, a->line, "account", NULL,
			 nonempty(o, MSMTPRC_SOCKET)
			 ? "%s connects through a socket (socket %s) and has no host; postern connects "
			   "over TCP only"
			 : "%s has no host: msmtp uses it only to pass settings on to accounts that name "
			   "it%s, which have them in postern", a->name,
			 nonempty(o, MSMTPRC_SOCKET) ? val(o, MSMTPRC_SOCKET) : "");
		return -1;
	}
	buf_addf(&o->text, "\n[%s]\n", section);
	if (put(o, MSMTPRC_HOST, "host", val(o, MSMTPRC_HOST)))
		return -1;
	tls = put_transport(o, &port);
	put_proxy(o);
	put_timeout(o);
	put_ehlo(o);
	put_auth(o, tls);
	if (tls != ACCOUNT_TLS_OFF)
		put_tls(o);
	has_from = put_from(o);
	put_from_keys(o, has_from);
	put_dsn(o);
	put_log(o);
	refuse(o, tls != ACCOUNT_TLS_OFF);
	return 0;
}

static int cmp_warning(const void *x, const void *y)
{
	const struct warning *a = x, *b = y;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Check one account's INI as postern will read it. */
static int check_section(const char *text, const char *label, struct error *e)
{
	struct config c;
	int rc;

	config_init(&c);
	rc = config_parse_string(&c, label, text, e);
	config_release(&c);
	return rc;
}

int import_convert(const struct msmtprc *m, const char *label, const char *home,
		   struct buf *ini, struct buf *warnings, struct error *e)
{
	struct warnings ws = { NULL, 0 };
	struct strvec names = STRVEC_INIT;	/* section names written */
	struct strvec from_acc = STRVEC_INIT;	/* their msmtp names, in the same order */
	struct buf body = BUF_INIT_SECRET;
	const char *def = NULL;
	int n = 0, rc = -1;

	for (size_t i = 0; i < m->nother; i++) {
		const char *cmd = m->other[i].cmd;

		if (!strcmp(cmd, "eval"))
			warn_add(&ws, m->other[i].line, cmd, NULL,
				 "it runs a command while msmtp reads the file, and postern runs none "
				 "from its configuration but password_command; write the value itself");
		else
			warn_add(&ws, m->other[i].line, cmd, NULL, "no msmtp command that postern knows");
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct msmtprc_account *a = &m->acc[i];
		struct out o = { a, &ws, home, BUF_INIT_SECRET };
		char *section;
		struct error ce;

		/* "account default : work" alone names msmtp's default account */
		if (!strcmp(a->name, "default") && !a->own_lines && a->parent) {
			const struct msmtprc_account *p = NULL;

			for (size_t j = 0; j < i; j++)
				if (!strcmp(m->acc[j].name, a->parent))
					p = &m->acc[j];
			if (p && same_values(a, p)) {
				def = a->parent;
				continue;
			}
		}
		section = section_name(a->name);
		if (strcmp(section, a->name))
			warn_add(&ws, a->line, "account", NULL,
				 "the name \"%s\" has a character postern's section names cannot hold; "
				 "written as [%s] (use -a %s)", a->name, section, section);
		if (strvec_find_icase(&names, section) >= 0) {
			warn_add(&ws, a->line, "account", NULL, "[%s] is written already; this account is left out",
				 section);
			free(section);
			continue;
		}
		if (convert_account(&o, section) == 0) {
			if (check_section(o.text.data, label, &ce) == 0) {
				buf_add(&body, o.text.data, o.text.len);
				strvec_push(&names, section);
				strvec_push(&from_acc, a->name);
				n++;
			} else {
				/* config.c's "LABEL:LINE: account [NAME]: " names lines of
				 * the INI, not of the msmtprc: the reason alone */
				const char *why = strstr(ce.msg, "account [");

				why = why && strchr(why, ']') ? strchr(why, ']') + 1 : ce.msg;
				why += strspn(why, ": ");
				warn_add(&ws, a->line, "account", NULL, "postern would refuse the result: %s; "
					 "this account is left out", why);
			}
		}
		buf_release(&o.text);
		free(section);
	}
	if (n == 0) {
		error_set(e, ERR_CONFIG, "%s: no account that postern can use (each needs at least host)",
			  label);
		goto out;
	}
	/* msmtp's default account: "default" (or the one it only copies) */
	if (!def) {
		long i = strvec_find_icase(&from_acc, "default");

		if (i >= 0 && !strcmp(from_acc.v[i], "default"))
			def = names.v[i];
	} else {
		long i = -1;

		for (size_t j = 0; j < from_acc.n; j++)
			if (!strcmp(from_acc.v[j], def))
				i = (long)j;
		def = i >= 0 ? names.v[i] : NULL;
	}
	buf_adds(ini, "; converted from an msmtp configuration by postern import-msmtprc\n");
	if (def)
		buf_addf(ini, "\n[defaults]\ndefault_account = %s\n", def);
	buf_add(ini, body.data, body.len);
	rc = n;
out:
	if (ws.n)	/* qsort() wants an array, even of none */
		qsort(ws.w, ws.n, sizeof(*ws.w), cmp_warning);
	for (size_t i = 0; i < ws.n; i++) {
		const struct strvec *acc = &ws.w[i].accounts;

		buf_addf(warnings, "%s:%d: %s: not converted: %s", label, ws.w[i].line, ws.w[i].key,
			 ws.w[i].why);
		for (size_t j = 0; j < acc->n; j++)
			buf_addf(warnings, "%s%s", j ? ", " : acc->n > 1 ? " (accounts " : " (account ",
				 acc->v[j]);
		buf_adds(warnings, acc->n ? ")\n" : "\n");
		free(ws.w[i].why);
		strvec_release(&ws.w[i].accounts);
	}
	free(ws.w);
	strvec_release(&names);
	strvec_release(&from_acc);
	buf_release(&body);
	return rc;
}

/* ---------------------------------------------------------------- files */

static const char usage[] =
	"usage: postern import-msmtprc [-C FILE] [--dry-run] [MSMTPRC]\n"
	"  reads MSMTPRC, else $MSMTPRC, else ~/.msmtprc, else $XDG_CONFIG_HOME/msmtp/config;\n"
	"  writes a new FILE (default ~/.config/postern/config.ini), or prints it with --dry-run\n";

/* The msmtprc to read as msmtp finds it: the argument, $MSMTPRC,
 * ~/.msmtprc, $XDG_CONFIG_HOME/msmtp/config.  Returns 1 with *path (the
 * caller's) and text, 0 when none exists (tried says which were
 * tried), -1 with e. */
static int find_msmtprc(const char *arg, char **path, struct buf *text, struct buf *tried,
			struct error *e)
{
	const char *env = getenv("MSMTPRC"), *xdg = getenv("XDG_CONFIG_HOME");
	char *home = home_dir(), *cand[2] = { NULL, NULL };
	int rc = 0;

	if (arg || (env && *env)) {
		const char *p = arg ? arg : env;

		rc = file_read_bounded(p, MSMTPRC_FILE_MAX, text, NULL, e);
		if (rc == 1)
			*path = xstrdup(p);
		else if (rc == 0)
			buf_addf(tried, "%s%s", p, arg ? "" : " ($MSMTPRC)");
		goto out;
	}
	if (home)
		cand[0] = xasprintf("%s/.msmtprc", home);
	if (xdg && *xdg == '/')
		cand[1] = xasprintf("%s/msmtp/config", xdg);
	else if (home)
		cand[1] = xasprintf("%s/.config/msmtp/config", home);
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		if (!cand[i])
			continue;
		rc = file_read_bounded(cand[i], MSMTPRC_FILE_MAX, text, NULL, e);
		if (rc == 1)
			*path = xstrdup(cand[i]);
		else if (rc == 0)
			buf_addf(tried, "%s%s", tried->len ? " and " : "", cand[i]);
	}
out:
	free(cand[0]);
	free(cand[1]);
	free(home);
	return rc;
}

static void print_warnings(const struct buf *w)
{
	for (const char *s = w->data; *s;) {
		const char *nl = strchr(s, '\n');
		int n = (int)(nl ? nl - s : (long)strlen(s));

		log_err("%.*s", n, s);
		s += n + (nl ? 1 : 0);
	}
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *target_arg = NULL;
	char *path = NULL, *target = NULL;
	struct buf text = BUF_INIT_SECRET, ini = BUF_INIT_SECRET, warnings = BUF_INIT, tried = BUF_INIT;
	struct msmtprc m;
	struct error e;
	int dry = 0, c, status = EX_SOFTWARE, n, r;

	msmtprc_init(&m);
	error_clear(&e);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			target_arg = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			status = EX_OK;
			goto out;
		default:
			log_err("import-msmtprc: unknown option %s", argv[optind - 1]);
			fputs(usage, stderr);
			status = EX_USAGE;
			goto out;
		}
	}
	if (argc - optind > 1) {
		log_err("import-msmtprc takes one msmtprc, not %d", argc - optind);
		fputs(usage, stderr);
		status = EX_USAGE;
		goto out;
	}
	target = target_arg ? xstrdup(target_arg) : config_user_path();
	if (!dry && !target) {
		log_err("no home directory to write the configuration in; name a file with -C");
		status = EX_CANTCREAT;
		goto out;
	}
	if (!dry && access(target, F_OK) == 0) {
		log_err("%s exists; write elsewhere with -C, or see the result with --dry-run", target);
		status = EX_CANTCREAT;
		goto out;
	}
	r = find_msmtprc(optind < argc ? argv[optind] : NULL, &path, &text, &tried, &e);
	if (r < 0) {
		log_err("%s", e.msg);
		status = EX_NOINPUT;
		goto out;
	}
	if (r == 0) {
		log_err("no msmtp configuration found (tried %s); name it: postern import-msmtprc FILE",
			tried.data);
		status = EX_NOINPUT;
		goto out;
	}
	if (msmtprc_parse(&m, path, text.data, text.len, &e)) {
		log_err("%s", e.msg);
		status = EX_CONFIG;
		goto out;
	}
	{
		char *home = home_dir();

		n = import_convert(&m, path, home, &ini, &warnings, &e);
		free(home);
	}
	print_warnings(&warnings);
	if (n < 0) {
		log_err("%s", e.msg);
		status = EX_CONFIG;
		goto out;
	}
	if (dry) {
		fwrite(ini.data, 1, ini.len, stdout);
		status = fflush(stdout) ? EX_IOERR : EX_OK;
		goto out;
	}
	r = config_create_file(target, ini.data, ini.len, &e);
	if (r == 1) {
		log_err("%s exists; write elsewhere with -C, or see the result with --dry-run", target);
		status = EX_CANTCREAT;
	} else if (r < 0) {
		log_err("%s", e.msg);
		status = EX_CANTCREAT;
	} else {
		struct buf shown = BUF_INIT;

		/* the name came from the command line: shown escaped */
		buf_add_escaped(&shown, target, strlen(target));
		printf("wrote %d accounts to %s\n", n, shown.data);
		buf_release(&shown);
		status = EX_OK;
	}
out:
	msmtprc_release(&m);
	buf_release(&text);
	buf_release(&ini);
	buf_release(&warnings);
	buf_release(&tried);
	free(path);
	free(target);
	return status;
}
