#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tls.h"
#include "proxy.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* inih as packaged by Debian silently truncates longer lines; refuse them. */
#define CONFIG_LINE_MAX 199
#define CONFIG_FILE_MAX (256 * 1024)

enum key_type { K_STR, K_SECRET, K_PORT, K_TLS, K_AUTH, K_BOOL, K_TIMEOUT, K_QUEUE, K_LIFETIME,
		K_LOG, K_PIN, K_TLS_VERSION, K_CIPHERS, K_PROXY, K_FROM, K_DOMAIN, K_REWRITE,
		K_OAUTH2, K_URL };

struct key {
	const char *name;
	enum key_type type;
	size_t off;
};

#define KEY(n, t, field) { n, t, offsetof(struct account, field) }
static const struct key keys[] = {
	KEY("host", K_STR, host),
	KEY("port", K_PORT, port),
	KEY("tls", K_TLS, tls),
	KEY("auth", K_AUTH, auth),
	KEY("auth_without_tls", K_BOOL, auth_without_tls),
	KEY("user", K_STR, user),
	KEY("password", K_SECRET, password),
	KEY("password_command", K_STR, password_command),
	KEY("from", K_FROM, from),
	KEY("tls_ca_file", K_STR, tls_ca_file),
	KEY("timeout", K_TIMEOUT, timeout),
	KEY("ehlo_name", K_STR, ehlo_name),
	KEY("queue", K_QUEUE, queue),
	KEY("queue_lifetime", K_LIFETIME, queue_lifetime),
	KEY("log", K_LOG, log),
	KEY("tls_fingerprint", K_PIN, tls_fingerprint),
	KEY("tls_cert_file", K_STR, tls_cert_file),
	KEY("tls_key_file", K_STR, tls_key_file),
	KEY("tls_min_version", K_TLS_VERSION, tls_min_version),
	KEY("tls_ciphers", K_CIPHERS, tls_ciphers),
	KEY("proxy", K_PROXY, proxy),
	KEY("aliases", K_STR, aliases),
	KEY("default_domain", K_DOMAIN, default_domain),
	KEY("rewrite_from", K_REWRITE, rewrite_from),
	KEY("allow_from_override", K_BOOL, allow_from_override),
	KEY("oauth2", K_OAUTH2, oauth2),
	KEY("oauth2_client_id", K_STR, oauth2_client_id),
	KEY("oauth2_client_secret", K_SECRET, oauth2_client_secret),
	KEY("oauth2_client_secret_command", K_STR, oauth2_client_secret_command),
	KEY("oauth2_tenant", K_DOMAIN, oauth2_tenant),
	KEY("oauth2_token_endpoint", K_URL, oauth2_token_endpoint),
	KEY("oauth2_authorize_endpoint", K_URL, oauth2_authorize_endpoint),
	KEY("oauth2_device_endpoint", K_URL, oauth2_device_endpoint),
	KEY("oauth2_scope", K_STR, oauth2_scope),
	KEY("oauth2_ca_file", K_STR, oauth2_ca_file),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Parser state handed to the inih callback. */
struct parse {
	struct config *c;
	const char *label;
	struct account *cur;	/* section being read; NULL before any */
	int in_defaults;
	int line;		/* current line, counted by ourselves */
	unsigned char seen[NKEYS];	/* keys set in the current section */
	unsigned seen_choice;		/* choice_keys set, one bit each */
	struct error err;	/* first error */
};

static void account_init(struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->auth_without_tls = -1;
	a->allow_from_override = -1;
}

static void account_release(struct account *a)
{
	free(a->name);
	free(a->host);
	free(a->user);
	if (a->password) {
		OPENSSL_cleanse(a->password, strlen(a->password));
		free(a->password);
	}
	free(a->password_command);
	free(a->from);
	strvec_release(&a->from_list);
	free(a->tls_ca_file);
	free(a->ehlo_name);
	free(a->log);
	free(a->tls_fingerprint);
	free(a->tls_cert_file);
	free(a->tls_key_file);
	free(a->tls_ciphers);
	free(a->proxy);
	free(a->aliases);
	free(a->default_domain);
	if (a->oauth2_client_secret) {
		OPENSSL_cleanse(a->oauth2_client_secret, strlen(a->oauth2_client_secret));
		free(a->oauth2_client_secret);
	}
	free(a->oauth2_client_id);
	free(a->oauth2_client_secret_command);
	free(a->oauth2_tenant);
	free(a->oauth2_token_endpoint);
	free(a->oauth2_authorize_endpoint);
	free(a->oauth2_device_endpoint);
	free(a->oauth2_scope);
	free(a->oauth2_ca_file);
	account_init(a);
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	account_init(&c->defaults);
	c->background_retry = 1;
}

void config_release(struct config *c)
{
	for (size_t i = 0; i < c->n; i++)
		account_release(&c->acc[i]);
	free(c->acc);
	account_release(&c->defaults);
	free(c->default_account);
	free(c->queue_dir);
	free(c->path);
	config_init(c);
}

const char *config_oauth2_name(enum account_oauth2 o)
{
	switch (o) {
	case ACCOUNT_OAUTH2_GOOGLE: return "google";
	case ACCOUNT_OAUTH2_MICROSOFT: return "microsoft";
	case ACCOUNT_OAUTH2_CUSTOM: return "custom";
	case ACCOUNT_OAUTH2_NONE: break;
	}
	return "none";
}

const char *config_tls_name(enum account_tls t)
{
	switch (t) {
	case ACCOUNT_TLS_OFF: return "off";
	case ACCOUNT_TLS_STARTTLS: return "starttls";
	case ACCOUNT_TLS_IMPLICIT: return "implicit";
	}
	return "?";
}

static int perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the first error at the current line; returns 0 (inih's "failed"). */
static int perr(struct parse *p, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX - 64];
	va_list ap;

	if (p->err.cls != ERR_NONE)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(&p->err, ERR_CONFIG, "%s:%d: %s", p->label, p->line, msg);
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(v, no[i]))
			return *out = 0, 0;
	}
	return -1;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* "90", "90s", "15m", "12h", "5d" into seconds within [min, max]. */
static int parse_duration(const char *v, unsigned min, unsigned max, unsigned *out)
{
	static const struct { char unit; unsigned secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[16];
	size_t n = strspn(v, "0123456789");
	unsigned mult = 1, val;

	if (n == 0 || n >= sizeof(num))
		return -1;
	if (v[n]) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]) && units[i].unit != v[n]; i++)
			;
		if (i == sizeof(units) / sizeof(units[0]) || v[n + 1])
			return -1;
		mult = units[i].secs;
	}
	memcpy(num, v, n);
	num[n] = '\0';
	if (parse_uint(num, 1, max, &val) || val > max / mult || val * mult < min)
		return -1;
	*out = val * mult;
	return 0;
}

/* from = address, *@domain, ...: the list into a->from_list, and its first
 * address (not a wildcard) into a->from, the sender used by default. */
static int set_from(struct parse *p, struct account *a, const char *v)
{
	const char *s = v, *end;

	do {
		const char *b, *t;

		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		for (b = s; b < end && (*b == ' ' || *b == '\t'); b++)
			;
		for (t = end; t > b && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		if (t == b)
			return perr(p, "from has an empty entry; list addresses separated by commas");
		for (const char *c = b; c < t; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f || strchr("<>\"()", *c))
				return perr(p, "from = %s: an entry is a bare address (you@example.org) "
					    "or a wildcard (*@example.org), nothing else", v);
		if (!memchr(b, '@', (size_t)(t - b)))
			return perr(p, "from = %s: \"%.*s\" has no @domain; write you@example.org", v,
				    (int)(t - b), b);
		strvec_push_take(&a->from_list, xstrndup(b, (size_t)(t - b)));
		if (!a->from && !memchr(b, '*', (size_t)(t - b)))
			a->from = xstrndup(b, (size_t)(t - b));
		s = end + 1;
	} while (*end);
	return 1;
}

/* A domain name: letters, digits, '-', and dots between labels. */
static int valid_domain(const char *v)
{
	if (!*v || *v == '.' || *v == '-' || v[strlen(v) - 1] == '.' || strstr(v, ".."))
		return 0;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == strlen(v);
}

static int set_key(struct parse *p, struct account *a, const struct key *k, const char *v)
{
	char *field = (char *)a + k->off;

	switch (k->type) {
	case K_STR:
	case K_SECRET:
		if (!*v && k->type == K_STR)
			return perr(p, "%s is empty; give a value or remove the line", k->name);
		for (const char *s = v; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				return perr(p, "%s contains a control character", k->name);
		if (k->off == offsetof(struct account, aliases) && *v != '/' && strcmp(v, "none"))
			return perr(p, "aliases = %s is not an absolute path (or none)", v);
		*(char **)field = xstrdup(v);
		if (k->off == offsetof(struct account, password))
			a->password_line = p->line;
		else if (k->off == offsetof(struct account, password_command))
			a->password_command_line = p->line;
		return 1;
	case K_PORT:
		a->port_line = p->line;
		if (!strcasecmp(v, "auto"))
			return a->port_auto = 1, 1;
		if (parse_uint(v, 1, 65535, (unsigned *)field))
			return perr(p, "port = %s is not a port number (1-65535) or auto; use 587 (STARTTLS), "
				    "465 (implicit TLS), or auto to find out", v);
		return 1;
	case K_PROXY: {
		struct proxy px;
		struct error pe;

		if (proxy_parse(v, &px, &pe))
			return perr(p, "%s", pe.msg);
		*(char **)field = xstrdup(v);
		return 1;
	}
	case K_TIMEOUT:
		if (parse_uint(v, 1, 3600, (unsigned *)field))
			return perr(p, "timeout = %s is not a number of seconds between 1 and 3600", v);
		return 1;
	case K_BOOL:
		if (parse_bool(v, (int *)field))
			return perr(p, "%s = %s is not yes or no", k->name, v);
		return 1;
	case K_TLS:
		if (!strcasecmp(v, "starttls"))
			a->tls = ACCOUNT_TLS_STARTTLS;
		else if (!strcasecmp(v, "implicit") || !strcasecmp(v, "on"))
			a->tls = ACCOUNT_TLS_IMPLICIT;
		else if (!strcasecmp(v, "off"))
			a->tls = ACCOUNT_TLS_OFF;
		else
			return perr(p, "tls = %s is not one of starttls, implicit, off", v);
		a->tls_set = 1;
		a->tls_line = p->line;
		return 1;
	case K_QUEUE:
		if (!strcasecmp(v, "auto"))
			a->queue = ACCOUNT_QUEUE_AUTO;
		else if (!strcasecmp(v, "always"))
			a->queue = ACCOUNT_QUEUE_ALWAYS;
		else if (!strcasecmp(v, "never"))
			a->queue = ACCOUNT_QUEUE_NEVER;
		else
			return perr(p, "queue = %s is not one of auto, always, never", v);
		a->queue_set = 1;
		return 1;
	case K_LIFETIME:
		if (parse_duration(v, 60, 60u * 86400, (unsigned *)field))
			return perr(p, "queue_lifetime = %s is not a duration between 1 minute and 60 days "
				    "(a number with s, m, h or d, e.g. 5d)", v);
		return 1;
	case K_LOG:
		/* a file by absolute name only: the log must not move with
		 * the directory a cron job or a web app runs in */
		if (strcmp(v, "syslog") && strcmp(v, "none") && v[0] != '/')
			return perr(p, "log = %s is not syslog, none or an absolute file name (/var/log/postern.log)", v);
		for (const char *c = v; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return perr(p, "log contains a control character");
		a->log = xstrdup(v);
		return 1;
	case K_PIN: {
		char pin[TLS_FINGERPRINT_SIZE];
		const char *why;

		if (tls_pin_parse(v, pin, &why))
			return perr(p, "tls_fingerprint = %.120s: %s", v, why);
		*(char **)field = xstrdup(pin);
		return 1;
	}
	case K_TLS_VERSION:
		if (!strcmp(v, "1.2") || !strcmp(v, "1.3"))
			*(unsigned *)field = v[2] == '3' ? 13 : 12;
		else
			return perr(p, "tls_min_version = %s is not 1.2 or 1.3", v);
		return 1;
	case K_CIPHERS: {
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		int bad = !ctx || !*v || tls_ciphers_set(ctx, v);

		SSL_CTX_free(ctx);
		if (bad)
			return perr(p, "OpenSSL refuses tls_ciphers = %.120s; give OpenSSL cipher names "
				    "(openssl ciphers -v 'LIST' shows what a list means), TLS 1.3 "
				    "suites as TLS_AES_256_GCM_SHA384", v);
		*(char **)field = xstrdup(v);
		return 1;
	}
	case K_FROM:
		return set_from(p, a, v);
	case K_DOMAIN:
		if (!valid_domain(v))
			return perr(p, "%s = %s is not a domain name (e.g. example.org)", k->name, v);
		*(char **)field = xstrdup(v);
		return 1;
	case K_OAUTH2:
		if (!strcasecmp(v, "google"))
			a->oauth2 = ACCOUNT_OAUTH2_GOOGLE;
		else if (!strcasecmp(v, "microsoft"))
			a->oauth2 = ACCOUNT_OAUTH2_MICROSOFT;
		else if (!strcasecmp(v, "custom"))
			a->oauth2 = ACCOUNT_OAUTH2_CUSTOM;
		else
			return perr(p, "oauth2 = %s is not one of google, microsoft, custom", v);
		return 1;
	case K_URL:
		/* Tokens go to these: HTTPS only, and nothing a URL could
		 * smuggle into a request line. */
		if (strncasecmp(v, "https://", 8) || !v[8] || v[8] == '/')
			return perr(p, "%s = %s is not an https:// URL", k->name, v);
		for (const char *s = v; *s; s++)
			if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
				return perr(p, "%s contains a space, a control or a non-ASCII character; "
					    "percent-encode it", k->name);
		*(char **)field = xstrdup(v);
		return 1;
	case K_REWRITE:
		if (!strcasecmp(v, "auto"))
			a->rewrite_from = ACCOUNT_REWRITE_AUTO;
		else if (!strcasecmp(v, "always"))
			a->rewrite_from = ACCOUNT_REWRITE_ALWAYS;
		else if (!strcasecmp(v, "never"))
			a->rewrite_from = ACCOUNT_REWRITE_NEVER;
		else
			return perr(p, "rewrite_from = %s is not one of auto, always, never", v);
		a->rewrite_from_set = 1;
		return 1;
	case K_AUTH:
		if (sasl_mode_parse(v, &a->auth))
			return perr(p, "auth = %s is not one of " SASL_MODE_LIST, v);
		a->auth_set = 1;
		return 1;
	}
	return perr(p, "internal error on key %s", k->name);
}

/* The keys about choosing an account, and about the queue all accounts
 * share, rather than about one account: [defaults] only, each once. */
enum { CHOICE_DEFAULT_ACCOUNT, CHOICE_BY_FROM, CHOICE_QUEUE_DIR, CHOICE_BACKGROUND_RETRY, NCHOICE };
static const char *const choice_keys[NCHOICE] = {
	"default_account", "account_by_from", "queue_dir", "background_retry",
};

static int set_choice_key(struct parse *p, size_t i, const char *v)
{
	int yes;

	if (!p->in_defaults)
		return perr(p, "%s belongs in [defaults], not in an account", choice_keys[i]);
	if (p->seen_choice & (1u << i))
		return perr(p, "%s is set twice", choice_keys[i]);
	p->seen_choice |= 1u << i;
	if (i == CHOICE_DEFAULT_ACCOUNT) {
		p->c->default_account = xstrdup(v);
		return 1;
	}
	if (i == CHOICE_QUEUE_DIR) {
		if (*v != '/')
			return perr(p, "queue_dir = %s is not an absolute path", v);
		for (const char *s = v; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				return perr(p, "queue_dir contains a control character");
		p->c->queue_dir = xstrdup(v);
		return 1;
	}
	if (i == CHOICE_BACKGROUND_RETRY) {
		if (parse_bool(v, &p->c->background_retry))
			return perr(p, "background_retry = %s is not yes or no", v);
		return 1;
	}
	if (!strcasecmp(v, "envelope"))
		p->c->by_from = CONFIG_BY_FROM_ENVELOPE;
	else if (!parse_bool(v, &yes))
		p->c->by_from = yes ? CONFIG_BY_FROM_YES : CONFIG_BY_FROM_NO;
	else
		return perr(p, "account_by_from = %s is not one of yes, envelope, no", v);
	return 1;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t i;

	(void)section;
	if (p->err.cls != ERR_NONE)
		return 0;
	if (!p->cur)
		return perr(p, "%s = ... comes before any [section]; put it under [defaults] or an account", name);
	for (i = 0; i < NCHOICE; i++)
		if (!strcasecmp(name, choice_keys[i]))
			return set_choice_key(p, i, value);
	for (i = 0; i < NKEYS; i++)
		if (!strcasecmp(name, keys[i].name))
			break;
	if (i == NKEYS)
		return perr(p, "unknown key \"%s\"; see postern.ini(5) for the keys", name);
	if (p->seen[i])
		return perr(p, "%s is set twice in this section (an indented line continues the one before it)", name);
	p->seen[i] = 1;
	return set_key(p, p->cur, &keys[i], value);
}

static int valid_section_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Called by our line splitter when a "[name]" line is seen, before inih. */
static int on_section(struct parse *p, const char *name)
{
	struct config *c = p->c;

	memset(p->seen, 0, sizeof(p->seen));
	if (!strcasecmp(name, "defaults")) {
		if (p->in_defaults || c->defaults.name)
			return perr(p, "[defaults] appears twice");
		p->in_defaults = 1;
		c->defaults.name = xstrdup("defaults");
		c->defaults.line = p->line;
		p->cur = &c->defaults;
		return 1;
	}
	p->in_defaults = 0;
	if (!valid_section_name(name))
		return perr(p, "[%s] is not a valid account name (no spaces or control characters)", name);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->acc[i].name, name))
			return perr(p, "account [%s] is defined twice", name);
	c->acc = xrealloc(c->acc, (c->n + 1) * sizeof(*c->acc));
	p->cur = &c->acc[c->n++];
	account_init(p->cur);
	p->cur->name = xstrdup(name);
	p->cur->line = p->line;
	return 1;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Fill what an account leaves unset from [defaults], then built-in defaults,
 * then check that the result makes sense. */
static int finish_account(struct parse *p, struct account *a)
{
	const struct account *d = &p->c->defaults;
	char where[PATH_MAX + 64];

	snprintf(where, sizeof(where), "%s:%d: account [%s]", p->label, a->line, a->name);
	if (!a->host) a->host = dup_or_null(d->host);
	if (!a->port && !a->port_auto)
		a->port = d->port, a->port_auto = d->port_auto, a->port_line = d->port_line;
	if (!a->proxy) a->proxy = dup_or_null(d->proxy);
	if (!a->tls_set && d->tls_set) a->tls = d->tls, a->tls_set = 1, a->tls_line = d->tls_line;
	if (!a->auth_set && d->auth_set) a->auth = d->auth, a->auth_set = 1;
	if (a->auth_without_tls < 0) a->auth_without_tls = d->auth_without_tls;
	if (!a->user) a->user = dup_or_null(d->user);
	if (!a->password && d->password) {
		a->password = xstrdup(d->password);
		a->password_line = d->password_line;
	}
	if (!a->password_command) a->password_command = dup_or_null(d->password_command);
	if (!a->from_list.n) {
		a->from = dup_or_null(d->from);
		for (size_t i = 0; i < d->from_list.n; i++)
			strvec_push(&a->from_list, d->from_list.v[i]);
	}
	if (!a->tls_ca_file) a->tls_ca_file = dup_or_null(d->tls_ca_file);
	if (!a->timeout) a->timeout = d->timeout;
	if (!a->ehlo_name) a->ehlo_name = dup_or_null(d->ehlo_name);
	if (!a->queue_set && d->queue_set) a->queue = d->queue, a->queue_set = 1;
	if (!a->queue_lifetime) a->queue_lifetime = d->queue_lifetime;
	if (!a->log) a->log = dup_or_null(d->log);
	if (!a->tls_fingerprint) a->tls_fingerprint = dup_or_null(d->tls_fingerprint);
	if (!a->tls_cert_file) a->tls_cert_file = dup_or_null(d->tls_cert_file);
	if (!a->tls_key_file) a->tls_key_file = dup_or_null(d->tls_key_file);
	if (!a->tls_min_version) a->tls_min_version = d->tls_min_version;
	if (!a->tls_ciphers) a->tls_ciphers = dup_or_null(d->tls_ciphers);
	if (!a->aliases) a->aliases = dup_or_null(d->aliases);
	if (!a->default_domain) a->default_domain = dup_or_null(d->default_domain);
	if (!a->rewrite_from_set) a->rewrite_from = d->rewrite_from;
	if (a->allow_from_override < 0) a->allow_from_override = d->allow_from_override;
	if (!a->oauth2) a->oauth2 = d->oauth2;
	if (!a->oauth2_client_id) a->oauth2_client_id = dup_or_null(d->oauth2_client_id);
	if (!a->oauth2_client_secret) a->oauth2_client_secret = dup_or_null(d->oauth2_client_secret);
	if (!a->oauth2_client_secret_command)
		a->oauth2_client_secret_command = dup_or_null(d->oauth2_client_secret_command);
	if (!a->oauth2_tenant) a->oauth2_tenant = dup_or_null(d->oauth2_tenant);
	if (!a->oauth2_token_endpoint) a->oauth2_token_endpoint = dup_or_null(d->oauth2_token_endpoint);
	if (!a->oauth2_authorize_endpoint)
		a->oauth2_authorize_endpoint = dup_or_null(d->oauth2_authorize_endpoint);
	if (!a->oauth2_device_endpoint) a->oauth2_device_endpoint = dup_or_null(d->oauth2_device_endpoint);
	if (!a->oauth2_scope) a->oauth2_scope = dup_or_null(d->oauth2_scope);
	if (!a->oauth2_ca_file) a->oauth2_ca_file = dup_or_null(d->oauth2_ca_file);

	if (a->auth_without_tls < 0)
		a->auth_without_tls = 0;
	if (a->allow_from_override < 0)
		a->allow_from_override = 1;
	if (!a->timeout)
		a->timeout = 60;
	if (!a->queue_lifetime)
		a->queue_lifetime = 5 * 86400;	/* as Postfix's maximal_queue_lifetime */
	if (!a->tls_set)
		a->tls = a->port == 465 ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS;
	if (a->port_auto && a->tls_set)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: port = auto chooses tls itself (implicit on 465, starttls on 587 and "
				 "2525); remove tls =, or set a port", where);
	if (a->port_auto && a->proxy)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: port = auto does not work through a proxy; set port = 587 or 465 with "
				 "proxy =", where);
	if (!a->port && !a->port_auto)
		a->port = a->tls == ACCOUNT_TLS_IMPLICIT ? 465 : 587;
	if (!a->auth_set)
		a->auth = a->user ? AUTH_ON : AUTH_OFF;
	if (!a->tls_min_version)
		a->tls_min_version = 12;

	if (!a->host)
		return error_set(&p->err, ERR_CONFIG,
				 "%s has no host; add host = your provider's submission server (e.g. smtp.example.org)",
				 where);
	if (!a->tls_cert_file != !a->tls_key_file)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: %s is set but %s is not; a client certificate needs both "
				 "(PEM files)", where, a->tls_cert_file ? "tls_cert_file" : "tls_key_file",
				 a->tls_cert_file ? "tls_key_file" : "tls_cert_file");
	if (a->auth == AUTH_EXTERNAL && !a->tls_cert_file)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: auth = external logs in with a client certificate; add "
				 "tls_cert_file and tls_key_file", where);
	if (a->tls == ACCOUNT_TLS_OFF && (a->tls_fingerprint || a->tls_cert_file ||
					  a->tls_ciphers || a->tls_min_version == 13))
		return error_set(&p->err, ERR_CONFIG,
				 "%s: tls = off, yet TLS keys (tls_fingerprint, tls_cert_file, "
				 "tls_ciphers, tls_min_version) are set; use tls = starttls or implicit",
				 where);
	if (a->auth != AUTH_OFF && a->auth != AUTH_EXTERNAL && !a->user)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: auth is on but user is not set; add user = your login, or auth = off",
				 where);
	if (a->tls == ACCOUNT_TLS_OFF && a->auth != AUTH_OFF && !a->auth_without_tls)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: tls = off with auth would send your password in cleartext; "
				 "use tls = starttls (port 587) or tls = implicit (port 465), "
				 "or, only on a network you trust, add auth_without_tls = yes",
				 where);
	if (!a->from && (!a->allow_from_override || a->rewrite_from == ACCOUNT_REWRITE_ALWAYS))
		return error_set(&p->err, ERR_CONFIG,
				 "%s: %s needs the address to send as: add from = you@example.org "
				 "(its first address that is not a wildcard)", where,
				 a->allow_from_override ? "rewrite_from = always" : "allow_from_override = no");
	if (a->oauth2 && a->auth != AUTH_XOAUTH2 && a->auth != AUTH_OAUTHBEARER)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: oauth2 = %s gets an access token, which only auth = xoauth2 or "
				 "auth = oauthbearer can use; set one of them", where,
				 config_oauth2_name(a->oauth2));
	if (a->oauth2 && !a->oauth2_client_id)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: oauth2 = %s needs oauth2_client_id, the id of the client you "
				 "registered with the provider (postern(1), OAUTH2)", where,
				 config_oauth2_name(a->oauth2));
	if (a->oauth2_client_secret && a->oauth2_client_secret_command)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: both oauth2_client_secret and oauth2_client_secret_command are "
				 "set; keep one", where);
	if (a->oauth2 == ACCOUNT_OAUTH2_CUSTOM &&
	    (!a->oauth2_token_endpoint || !a->oauth2_authorize_endpoint || !a->oauth2_scope))
		return error_set(&p->err, ERR_CONFIG,
				 "%s: oauth2 = custom needs oauth2_token_endpoint, "
				 "oauth2_authorize_endpoint and oauth2_scope", where);
	if (a->tls == ACCOUNT_TLS_IMPLICIT && a->port == 587)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: tls = implicit on port 587; port 587 speaks STARTTLS: use tls = starttls, or port = 465",
				 where);
	if (a->tls == ACCOUNT_TLS_STARTTLS && a->port == 465)
		return error_set(&p->err, ERR_CONFIG,
				 "%s: tls = starttls on port 465; port 465 is implicit TLS: use tls = implicit, or port = 587",
				 where);
	return 0;
}

/* inih copies each line we hand it into a line buffer on its own stack and
 * calls on_entry() with pointers into it; it never clears it.  Debian's
 * libinih (r55, built with INI_USE_STACK and run-time options) keeps
 * ini_max_line = INI_MAX_LINE = 200 bytes there, in ini_parse_stream()'s
 * frame of about 460 bytes below ini_parse_string()'s 64 (measured with
 * objdump).  So a password line would stay in dead stack after inih
 * returns, for a later bug that reads uninitialised memory, or a core dump,
 * to show.  inih's buffer is out of our reach, but the stack it used is
 * not: a function called from the frame that called ini_parse_string()
 * gets its frame at the same place, and clearing a local array larger than
 * inih's frames clears them (as libgcrypt's _gcry_burn_stack does).
 * noinline gives the array a frame of its own below the caller's, and
 * OPENSSL_cleanse, unlike memset, is not optimised away.  16 KiB is far
 * more than inih needs and costs about a microsecond, once per file. */
#define INIH_STACK_BURN (16 * 1024)
_Static_assert(INI_MAX_LINE + 2048 <= INIH_STACK_BURN, "burn more stack than inih's line buffer");

static __attribute__((noinline)) void burn_inih_stack(void)
{
	unsigned char junk[INIH_STACK_BURN];

	OPENSSL_cleanse(junk, sizeof(junk));
}

int config_parse_string(struct config *c, const char *label, const char *text,
			struct error *e)
{
	struct parse p;
	struct buf line = BUF_INIT_SECRET;
	const char *s = text, *nl;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.label = label;
	error_clear(&p.err);
	if (!c->path)
		c->path = xstrdup(label);
	/* Room for the longest line and its "\n" from the start, so that the
	 * buffer holding a password line is never moved. */
	buf_grow(&line, CONFIG_LINE_MAX + 1);

	/* Feed inih one line at a time: we count lines ourselves (Debian's inih
	 * has no line numbers in the callback), see section headers first, and
	 * refuse lines it would silently truncate. */
	for (; *s && p.err.cls == ERR_NONE; s = nl ? nl + 1 : s + strlen(s)) {
		const char *b, *end;
		size_t n;

		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		p.line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (n > CONFIG_LINE_MAX) {
			perr(&p, "line is longer than 199 characters; shorten it");
			break;
		}
		for (b = s; b < s + n && (*b == ' ' || *b == '\t'); b++)
			;
		if (b == s + n || *b == ';' || *b == '#')
			continue;
		if (b != s) {
			perr(&p, "line starts with blanks; continuation lines are not supported, remove the indentation");
			break;
		}
		if (*b == '[') {
			end = memchr(b, ']', n - (size_t)(b - s));
			if (!end) {
				perr(&p, "section header has no closing ']'");
				break;
			}
			buf_reset(&line);
			buf_add(&line, b + 1, (size_t)(end - b - 1));
			on_section(&p, line.data);
			continue;
		}
		if (!memchr(s, '=', n)) {
			perr(&p, "expected key = value");
			break;
		}
		buf_reset(&line);
		buf_add(&line, s, n);
		buf_adds(&line, "\n");
		if (ini_parse_string(line.data, on_entry, &p) != 0 && p.err.cls == ERR_NONE)
			perr(&p, "cannot parse this line; expected key = value");
	}
	burn_inih_stack();
	buf_release(&line);
	if (p.err.cls != ERR_NONE)
		goto out;
	if (c->n == 0) {
		error_set(&p.err, ERR_CONFIG,
			  "%s: no account; add a section such as [work] with host = ...", label);
		goto out;
	}
	for (size_t i = 0; i < c->n; i++)
		if (finish_account(&p, &c->acc[i]))
			goto out;
	if (c->default_account) {
		size_t i;
		for (i = 0; i < c->n; i++)
			if (!strcmp(c->acc[i].name, c->default_account))
				break;
		if (i == c->n) {
			error_set(&p.err, ERR_CONFIG,
				  "%s: default_account = %s, but there is no section [%s]",
				  label, c->default_account, c->default_account);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc && e)
		*e = p.err;
	return rc;
}

static int account_holds(const struct account *a, int secret)
{
	if (secret)
		return a->password || a->oauth2_client_secret;
	return a->password_command || a->oauth2_client_secret_command;
}

/* Whether any section sets a password (secret = 1) or a password_command
 * (and the same for OAuth2's client secret). */
static int config_holds(const struct config *c, int secret)
{
	if (account_holds(&c->defaults, secret))
		return 1;
	for (size_t i = 0; i < c->n; i++)
		if (account_holds(&c->acc[i], secret))
			return 1;
	return 0;
}

static void too_large(const char *path, struct error *e)
{
	error_set(e, ERR_CONFIG, "%s is larger than 256 KiB; is it the right file?", path);
}

int config_load(struct config *c, const char *path, struct error *e)
{
	struct buf text = BUF_INIT_SECRET;
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		error_set(e, ERR_CONFIG, "cannot read the configuration %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set(e, ERR_CONFIG, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		too_large(path, e);
		goto out;
	}
	/* The file may hold passwords: read it straight into a secret buffer
	 * (no bounce buffer on the stack) sized from the file, with room for
	 * the read that sees the end, so that it does not grow; if the file
	 * grows meanwhile, a secret buffer wipes the block it leaves. */
	buf_grow(&text, (size_t)st.st_size + 1);
	for (;;) {
		buf_grow(&text, 1);
		n = read(fd, text.data + text.len, text.cap - text.len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(e, ERR_CONFIG, "reading %s: %s", path, strerror(errno));
			goto out;
		}
		text.len += (size_t)n;
		text.data[text.len] = '\0';
		if (text.len > CONFIG_FILE_MAX) {
			too_large(path, e);
			goto out;
		}
	}
	if (memchr(text.data, '\0', text.len)) {
		error_set(e, ERR_CONFIG, "%s contains a NUL byte; is it a text file?", path);
		goto out;
	}
	free(c->path);
	c->path = xstrdup(path);
	if (config_parse_string(c, path, text.data, e))
		goto out;
	/* A password in a file others can read is a leak waiting to happen, and
	 * a command in a file others can write runs as whoever reads it. */
	if (config_holds(c, 1) || config_holds(c, 0)) {
		int own = st.st_uid == geteuid();
		int sys = st.st_uid == 0;

		if (!own && !sys) {
			error_set(e, ERR_CONFIG,
				  "%s holds a password or password_command but belongs to another user "
				  "(uid %u); keep it in your own file (chown it to yourself, chmod 600)",
				  path, (unsigned)st.st_uid);
			goto out;
		}
		if (st.st_mode & 022) {
			error_set(e, ERR_CONFIG,
				  "%s holds a password or password_command but others can change it "
				  "(mode %04o); run: chmod %s %s",
				  path, (unsigned)(st.st_mode & 07777), own ? "600" : "640", path);
			goto out;
		}
		if (config_holds(c, 1) && (own ? (st.st_mode & 077) : (st.st_mode & 007))) {
			error_set(e, ERR_CONFIG,
				  "%s holds a password but %s can read it (mode %04o); run: chmod %s %s%s",
				  path, own ? "others" : "everyone", (unsigned)(st.st_mode & 07777),
				  own ? "600" : "640", path,
				  own ? "" : " (a system file may be readable by its group, e.g. www-data)");
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&text);
	return rc;
}

char *config_user_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *home = NULL, *p = NULL;

	if (xdg && *xdg == '/')
		p = xasprintf("%s/postern/config.ini", xdg);
	else if ((home = home_dir()) != NULL)
		p = xasprintf("%s/.config/postern/config.ini", home);
	free(home);
	return p;
}

char *config_find(const char *explicit_path, struct error *e)
{
	char *p;

	if (explicit_path)
		return xstrdup(explicit_path);
	p = config_user_path();
	if (p && access(p, F_OK) == 0)
		return p;
	free(p);
	if (access(SYSCONFDIR "/postern.ini", F_OK) == 0)
		return xstrdup(SYSCONFDIR "/postern.ini");
	error_set(e, ERR_CONFIG,
		  "no configuration found: create ~/.config/postern/config.ini "
		  "(or " SYSCONFDIR "/postern.ini, or name one with -C FILE); see postern.ini(5)");
	return NULL;
}

/* Whether pattern, where '*' stands for any run of characters, matches s
 * (case-insensitively).  Backtracks only to the last '*': linear for the
 * patterns from = allows. */
static int glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = ++pat;
			resume = s;
		} else if (tolower((unsigned char)*pat) == tolower((unsigned char)*s)) {
			pat++, s++;
		} else if (star) {
			pat = star;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

int account_may_send_as(const struct account *a, const char *addr)
{
	if (!addr || !*addr)
		return 0;
	for (size_t i = 0; i < a->from_list.n; i++)
		if (glob_match(a->from_list.v[i], addr))
			return 1;
	return 0;
}

static const struct account *by_name(const struct config *c, const char *name, struct error *e)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->acc[i].name, name))
			return &c->acc[i];
	error_set(e, ERR_CONFIG, "no account [%s] in %s", name, c->path ? c->path : "the configuration");
	return NULL;
}

const struct account *config_open_account(struct config *c, const char *explicit_path,
					  const char *name, char **path, struct error *e)
{
	*path = config_find(explicit_path, e);
	if (!*path || config_load(c, *path, e))
		return NULL;
	return config_select(c, name, NULL, NULL, e);
}

const struct account *config_select(const struct config *c, const char *name,
				    const char *envelope_from, const char *header_from,
				    struct error *e)
{
	const char *addr = NULL;

	if (name)
		return by_name(c, name, e);
	/* An -f that matches no account does not let the From field pick one:
	 * the caller has spoken. */
	if (c->by_from != CONFIG_BY_FROM_NO)
		addr = envelope_from;
	if (!addr && c->by_from == CONFIG_BY_FROM_YES)
		addr = header_from;
	if (addr && *addr) {
		for (size_t i = 0; i < c->n; i++)
			if (strvec_find_icase(&c->acc[i].from_list, addr) >= 0)
				return &c->acc[i];
		for (size_t i = 0; i < c->n; i++)
			if (account_may_send_as(&c->acc[i], addr))
				return &c->acc[i];
	}
	if (c->default_account)
		return by_name(c, c->default_account, e);
	if (c->n == 1)
		return &c->acc[0];
	error_set(e, ERR_CONFIG,
		  "%s has several accounts and none was chosen: pass -a ACCOUNT, or set default_account = NAME in [defaults]",
		  c->path ? c->path : "the configuration");
	return NULL;
}
