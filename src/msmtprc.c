#include "msmtprc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* How a command's argument is checked and kept: msmtp refuses a bad one
 * with "invalid argument", and so does this reader (the file is then
 * malformed).  Values are kept as written otherwise. */
enum arg_kind {
	A_ANY,		/* any text; "" is kept (it unsets, or means something) */
	A_NONEMPTY,	/* host */
	A_PORT,		/* 1-65535, required */
	A_PORT_OPT,	/* proxy_port: 1-65535 or "" */
	A_POSINT_OPT,	/* tls_min_dh_prime_bits: > 0 or "" */
	A_ONOFF,	/* on, off; "" is on */
	A_TIMEOUT,	/* off or seconds > 0 */
	A_PROTOCOL,	/* smtp, lmtp */
	A_AUTH,		/* on, off, "" (on) or a method */
	A_AUTO_ON_OFF,	/* set_from_header: auto, on, off; "" is on */
	A_AUTO_OFF,	/* set_date_header, set_msgid_header: auto, off; "" is auto */
	A_SYSLOG,	/* on, off, "" (on), LOG_USER, LOG_MAIL, LOG_LOCAL0-7 */
	A_DSN_NOTIFY,	/* off, never, or failure,delay,success */
	A_DSN_RETURN,	/* off, headers, full */
	A_FORCE_OFF,	/* tls_nocertcheck, tls_nostarttls: no argument; the key becomes off */
	A_INVERT,	/* keepbcc: on/off, kept as the opposite (remove_bcc_headers) */
	A_COMPAT_HDR,	/* add_missing_*_header: on is auto, off is off */
};

static const struct command {
	const char *name;
	enum msmtprc_key key;
	enum arg_kind kind;
} commands[] = {
	{ "host", MSMTPRC_HOST, A_NONEMPTY },
	{ "port", MSMTPRC_PORT, A_PORT },
	{ "source_ip", MSMTPRC_SOURCE_IP, A_ANY },
	{ "proxy_host", MSMTPRC_PROXY_HOST, A_ANY },
	{ "proxy_port", MSMTPRC_PROXY_PORT, A_PORT_OPT },
	{ "socket", MSMTPRC_SOCKET, A_ANY },
	{ "timeout", MSMTPRC_TIMEOUT, A_TIMEOUT },
	{ "connect_timeout", MSMTPRC_TIMEOUT, A_TIMEOUT },	/* <= 1.4.1 */
	{ "protocol", MSMTPRC_PROTOCOL, A_PROTOCOL },
	{ "domain", MSMTPRC_DOMAIN, A_ANY },
	{ "auth", MSMTPRC_AUTH, A_AUTH },
	{ "user", MSMTPRC_USER, A_ANY },
	{ "password", MSMTPRC_PASSWORD, A_ANY },
	{ "passwordeval", MSMTPRC_PASSWORDEVAL, A_ANY },
	{ "ntlmdomain", MSMTPRC_NTLMDOMAIN, A_ANY },
	{ "tls", MSMTPRC_TLS, A_ONOFF },
	{ "tls_starttls", MSMTPRC_TLS_STARTTLS, A_ONOFF },
	{ "tls_nostarttls", MSMTPRC_TLS_STARTTLS, A_FORCE_OFF },	/* obsolete */
	{ "tls_trust_file", MSMTPRC_TLS_TRUST_FILE, A_ANY },
	{ "tls_crl_file", MSMTPRC_TLS_CRL_FILE, A_ANY },
	{ "tls_fingerprint", MSMTPRC_TLS_FINGERPRINT, A_ANY },
	{ "tls_key_file", MSMTPRC_TLS_KEY_FILE, A_ANY },
	{ "tls_cert_file", MSMTPRC_TLS_CERT_FILE, A_ANY },
	{ "tls_certcheck", MSMTPRC_TLS_CERTCHECK, A_ONOFF },
	{ "tls_nocertcheck", MSMTPRC_TLS_CERTCHECK, A_FORCE_OFF },	/* obsolete */
	{ "tls_priorities", MSMTPRC_TLS_PRIORITIES, A_ANY },
	{ "tls_host_override", MSMTPRC_TLS_HOST_OVERRIDE, A_ANY },
	{ "tls_min_dh_prime_bits", MSMTPRC_TLS_MIN_DH_PRIME_BITS, A_POSINT_OPT },
	{ "tls_force_sslv3", MSMTPRC_TLS_FORCE_SSLV3, A_ONOFF },	/* obsolete */
	{ "from", MSMTPRC_FROM, A_ANY },
	{ "from_full_name", MSMTPRC_FROM_FULL_NAME, A_ANY },	/* msmtp >= 1.8.25 */
	{ "allow_from_override", MSMTPRC_ALLOW_FROM_OVERRIDE, A_ONOFF },
	{ "dsn_notify", MSMTPRC_DSN_NOTIFY, A_DSN_NOTIFY },
	{ "dsn_return", MSMTPRC_DSN_RETURN, A_DSN_RETURN },
	{ "set_from_header", MSMTPRC_SET_FROM_HEADER, A_AUTO_ON_OFF },
	{ "add_missing_from_header", MSMTPRC_SET_FROM_HEADER, A_COMPAT_HDR },
	{ "set_date_header", MSMTPRC_SET_DATE_HEADER, A_AUTO_OFF },
	{ "add_missing_date_header", MSMTPRC_SET_DATE_HEADER, A_COMPAT_HDR },
	{ "set_msgid_header", MSMTPRC_SET_MSGID_HEADER, A_AUTO_OFF },
	{ "remove_bcc_headers", MSMTPRC_REMOVE_BCC_HEADERS, A_ONOFF },
	{ "keepbcc", MSMTPRC_REMOVE_BCC_HEADERS, A_INVERT },	/* obsolete */
	{ "undisclosed_recipients", MSMTPRC_UNDISCLOSED_RECIPIENTS, A_ONOFF },
	{ "logfile", MSMTPRC_LOGFILE, A_ANY },
	{ "logfile_time_format", MSMTPRC_LOGFILE_TIME_FORMAT, A_ANY },
	{ "syslog", MSMTPRC_SYSLOG, A_SYSLOG },
	{ "aliases", MSMTPRC_ALIASES, A_ANY },
	{ "auto_from", MSMTPRC_AUTO_FROM, A_ONOFF },
	{ "maildomain", MSMTPRC_MAILDOMAIN, A_ANY },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *msmtprc_key_name(enum msmtprc_key k)
{
	/* the first command of the table for each key is its current name */
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].key == k)
			return commands[i].name;
	return "?";
}

void msmtprc_init(struct msmtprc *m)
{
	memset(m, 0, sizeof(*m));
}

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void account_clear(struct msmtprc_account *a)
{
	for (size_t k = 0; k < MSMTPRC_NKEYS; k++)
		wipe_free(a->val[k].v);
	free(a->name);
	free(a->parent);
	memset(a, 0, sizeof(*a));
}

void msmtprc_release(struct msmtprc *m)
{
	for (size_t i = 0; i < m->n; i++)
		account_clear(&m->acc[i]);
	free(m->acc);
	for (size_t i = 0; i < m->nother; i++)
		free(m->other[i].cmd);
	free(m->other);
	msmtprc_init(m);
}

static void set_value(struct msmtprc_value *dst, const struct msmtprc_value *src)
{
	wipe_free(dst->v);
	dst->v = src->v ? xstrdup(src->v) : NULL;
	dst->line = src->line;
	dst->cmd = src->cmd;
}

/* An account that starts as a copy of defaults, mask empty (as msmtp's
 * account_copy() then mask = 0). */
static void account_from(struct msmtprc_account *a, const struct msmtprc_account *defaults)
{
	memset(a, 0, sizeof(*a));
	for (size_t k = 0; k < MSMTPRC_NKEYS; k++)
		if (defaults->val[k].v)
			set_value(&a->val[k], &defaults->val[k]);
}

/* msmtp's override_account(): the values in src's mask, and the mask. */
static void account_override(struct msmtprc_account *a, const struct msmtprc_account *src)
{
	for (size_t k = 0; k < MSMTPRC_NKEYS; k++)
		if (src->mask[k]) {
			set_value(&a->val[k], &src->val[k]);
			a->mask[k] = 1;
		}
}

struct reader {
	struct msmtprc *m;
	const char *label;
	int line;
	struct msmtprc_account defaults;
	struct msmtprc_account *cur;	/* NULL before any command; &defaults there */
	struct error *e;
};

static int rerr(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int rerr(struct reader *r, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX - 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(r->e, ERR_CONFIG, "%s:%d: %s", r->label, r->line, msg);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The argument as msmtp's trim_string() makes it: blanks around removed,
 * then one pair of enclosing double quotes. */
static char *trim_arg(const char *s, size_t n)
{
	while (n && is_blank(*s))
		s++, n--;
	while (n && is_blank(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return xstrndup(s + 1, n - 2);
	return xstrndup(s, n);
}

static struct msmtprc_account *find_account(struct msmtprc *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->acc[i].name, name))
			return &m->acc[i];
	return NULL;
}

static struct msmtprc_account *new_account(struct reader *r, char *name)
{
	struct msmtprc *m = r->m;
	struct msmtprc_account *a;

	if (m->n == MSMTPRC_ACCOUNTS_MAX) {
		free(name);
		rerr(r, "more than %d accounts; is this an msmtp configuration?", MSMTPRC_ACCOUNTS_MAX);
		return NULL;
	}
	m->acc = xrealloc(m->acc, (m->n + 1) * sizeof(*m->acc));
	a = &m->acc[m->n++];
	account_from(a, &r->defaults);
	a->name = name;
	a->line = r->line;
	return a;
}

/* "account NAME [: A[,B...]]" (arg already trimmed). */
static int do_account(struct reader *r, char *arg)
{
	struct msmtprc *m = r->m;
	char *colon = strchr(arg, ':'), *name;
	size_t parents[MSMTPRC_LINE_MAX], np = 0;
	struct msmtprc_account *a;

	if (colon) {
		char *s = colon + 1;

		for (;;) {
			char *comma = strchr(s, ','), *id;
			struct msmtprc_account *p;

			id = trim_arg(s, comma ? (size_t)(comma - s) : strlen(s));
			if (!*id) {
				free(id);
				return rerr(r, "missing account name");
			}
			p = find_account(m, id);
			if (!p) {
				rerr(r, "account %s not (yet) defined", id);
				free(id);
				return -1;
			}
			free(id);
			parents[np++] = (size_t)(p - m->acc);
			if (!comma)
				break;
			s = comma + 1;
		}
		name = trim_arg(arg, (size_t)(colon - arg));
	} else {
		name = xstrdup(arg);
	}
	if (!*name) {
		free(name);
		return rerr(r, "missing account name");
	}
	if (strchr(name, ',')) {
		free(name);
		return rerr(r, "an account name must not contain colons or commas");
	}
	if (find_account(m, name)) {
		rerr(r, "account %s was already defined", name);
		free(name);
		return -1;
	}
	a = new_account(r, name);
	if (!a)
		return -1;
	for (size_t i = 0; i < np; i++)
		account_override(a, &m->acc[parents[i]]);
	if (np == 1)
		a->parent = xstrdup(m->acc[parents[0]].name);
	r->cur = a;
	return 0;
}

static int parse_posint(const char *s, long max)
{
	long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > max)
			return -1;
	}
	return n > 0 ? (int)n : -1;
}

static int one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return 1;
	return 0;
}

/* Check the argument as msmtp does and put the value to keep in *val (a
 * new string).  Returns 0, or -1 with the error set. */
static int check_arg(struct reader *r, const struct command *c, char *arg, char **val)
{
	static const char *const onoff[] = { "on", "off", NULL };
	static const char *const aon[] = { "auto", "on", "off", NULL };
	static const char *const methods[] = {
		"plain", "cram-md5", "digest-md5", "scram-sha-1", "scram-sha-256", "gssapi",
		"external", "login", "ntlm", "oauthbearer", "xoauth2", NULL
	};
	static const char *const facilities[] = {
		"LOG_USER", "LOG_MAIL", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2", "LOG_LOCAL3",
		"LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7", NULL
	};
	const char *v = arg;

	switch (c->kind) {
	case A_ANY:
		break;
	case A_NONEMPTY:
		if (!*arg)
			return rerr(r, "command %s needs an argument", c->name);
		break;
	case A_PORT:
		if (!*arg)
			return rerr(r, "command %s needs an argument", c->name);
		/* fall through */
	case A_PORT_OPT:
		if (*arg && parse_posint(arg, 65535) < 0)
			goto invalid;
		break;
	case A_POSINT_OPT:
		if (*arg && parse_posint(arg, 1000000) < 0)
			goto invalid;
		break;
	case A_ONOFF:
		if (!*arg)
			v = "on";
		else if (!one_of(arg, onoff))
			goto invalid;
		break;
	case A_TIMEOUT:
		if (!*arg)
			return rerr(r, "command %s needs an argument", c->name);
		if (strcmp(arg, "off") && parse_posint(arg, 1000000000) < 0)
			goto invalid;
		break;
	case A_PROTOCOL:
		if (!*arg)
			return rerr(r, "command %s needs an argument", c->name);
		if (strcmp(arg, "smtp") && strcmp(arg, "lmtp"))
			goto invalid;
		break;
	case A_AUTH:
		for (char *s = arg; *s; s++)
			*s = (char)tolower((unsigned char)*s);
		if (!*arg)
			v = "on";
		else if (!one_of(arg, onoff) && !one_of(arg, methods))
			goto invalid;
		break;
	case A_AUTO_ON_OFF:
		if (!*arg)
			v = "on";
		else if (!one_of(arg, aon))
			goto invalid;
		break;
	case A_AUTO_OFF:
		if (!*arg)
			v = "auto";
		else if (strcmp(arg, "auto") && strcmp(arg, "off"))
			goto invalid;
		break;
	case A_SYSLOG:
		if (!*arg)
			v = "on";
		else if (!one_of(arg, onoff) && !one_of(arg, facilities))
			goto invalid;
		break;
	case A_DSN_NOTIFY:
		if (!*arg)
			return rerr(r, "command %s needs an argument", c->name);
		if (strcmp(arg, "off") && strcmp(arg, "never")) {
			/* a comma-separated list of failure, delay, success */
			for (const char *s = arg;;) {
				size_t n = strcspn(s, ",");

				if (!((n == 7 && !strncmp(s, "failure", 7)) ||
				      (n == 5 && !strncmp(s, "delay", 5)) ||
				      (n == 7 && !strncmp(s, "success", 7))))
					goto invalid;
				if (!s[n])
					break;
				s += n + 1;
			}
		}
		break;
	case A_DSN_RETURN:
		if (!*arg)
			return rerr(r, "command %s needs an argument", c->name);
		if (strcmp(arg, "off") && strcmp(arg, "headers") && strcmp(arg, "full"))
			goto invalid;
		break;
	case A_FORCE_OFF:
		if (*arg)
			return rerr(r, "command %s does not take an argument", c->name);
		v = "off";
		break;
	case A_INVERT:
		if (!*arg || !strcmp(arg, "on"))
			v = "off";
		else if (!strcmp(arg, "off"))
			v = "on";
		else
			goto invalid;
		break;
	case A_COMPAT_HDR:
		if (!*arg || !strcmp(arg, "on"))
			v = "auto";
		else if (!strcmp(arg, "off"))
			v = "off";
		else
			goto invalid;
		break;
	}
	*val = xstrdup(v);
	return 0;
invalid:
	return rerr(r, "invalid argument %s for command %s", arg, c->name);
}

/* One non-comment line: cmd (n octets) and the rest. */
static int do_line(struct reader *r, const char *cmd, size_t n, const char *rest, size_t restlen)
{
	struct msmtprc *m = r->m;
	char *arg = trim_arg(rest, restlen);
	int rc = -1;
	size_t i;

	if (n == 8 && !memcmp(cmd, "defaults", 8)) {
		if (*arg) {
			rerr(r, "command defaults does not take an argument");
			goto out;
		}
		r->cur = &r->defaults;
		rc = 0;
		goto out;
	}
	if (n == 7 && !memcmp(cmd, "account", 7)) {
		rc = do_account(r, arg);
		goto out;
	}
	/* msmtp 1.2's files have no account command: the first account is
	 * then "default". */
	if (!r->cur) {
		r->cur = new_account(r, xstrdup("default"));
		if (!r->cur)
			goto out;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strlen(commands[i].name) == n && !memcmp(commands[i].name, cmd, n))
			break;
	if (i == NCOMMANDS) {
		/* eval and what this reader does not know: the converter warns */
		m->other = xrealloc(m->other, (m->nother + 1) * sizeof(*m->other));
		m->other[m->nother].line = r->line;
		m->other[m->nother].cmd = xstrndup(cmd, n);
		m->nother++;
		rc = 0;
		goto out;
	} else {
		struct msmtprc_value *dst = &r->cur->val[commands[i].key];
		char *v = NULL;

		if (check_arg(r, &commands[i], arg, &v))
			goto out;
		wipe_free(dst->v);
		dst->v = v;
		dst->line = r->line;
		dst->cmd = commands[i].name;
		r->cur->mask[commands[i].key] = 1;
		r->cur->own_lines++;
	}
	rc = 0;
out:
	wipe_free(arg);
	return rc;
}

int msmtprc_parse(struct msmtprc *m, const char *label, const char *text, size_t len,
		  struct error *e)
{
	struct reader r;
	size_t pos = 0;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.label = label;
	r.e = e;
	if (len > MSMTPRC_FILE_MAX)
		return error_set(e, ERR_CONFIG, "%s is larger than %d KiB; is it an msmtp configuration?",
				 label, MSMTPRC_FILE_MAX / 1024);
	if (memchr(text, '\0', len))
		return error_set(e, ERR_CONFIG, "%s contains a NUL byte; is it a text file?", label);
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		size_t i = 0, c;

		pos += n + (nl ? 1 : 0);
		r.line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (n > MSMTPRC_LINE_MAX) {
			rerr(&r, "line longer than %d characters", MSMTPRC_LINE_MAX);
			goto out;
		}
		while (i < n && is_blank(s[i]))
			i++;
		if (i == n || s[i] == '#')
			continue;
		for (c = i; c < n && !is_blank(s[c]); c++)
			;
		if (do_line(&r, s + i, c - i, s + c, n - c))
			goto out;
	}
	rc = 0;
out:
	account_clear(&r.defaults);
	return rc;
}
