/* oauth2.c - see oauth2.h.
 *
 * Where things are kept, in state_dir()/oauth2/ (0700):
 *   NAME          the refresh token, when no keyring answers (0600)
 *   NAME.access   the access token cache: a short-lived token (an hour or
 *                 so) with its expiry and scope (0600).  A file rather than
 *                 the keyring: cron and web apps, the senders that need a
 *                 token most, have no session bus, and the keyring may be
 *                 locked; the token is worth an hour at most, and the file
 *                 has the protection of ~/.netrc.
 *   NAME.lock     flock()ed around a refresh
 * NAME is the section name with anything but [A-Za-z0-9_-] and a leading
 * dot percent-encoded, so that no name can leave the directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "http.h"
#include "json.h"
#include "keyring.h"
#include "log.h"
#include "oauth2.h"
#include "password_command.h"

#define CACHE_MAGIC "postern-oauth2-access 1"
/* A cached token this close to its expiry is refreshed first: a send can
 * take a while, and clocks disagree. */
#define EXPIRY_MARGIN 60

/* ------------------------------------------------------------- endpoints */

static char *pick(const char *key, const char *preset)
{
	return key ? xstrdup(key) : preset ? xstrdup(preset) : NULL;
}

int oauth2_endpoints_get(const struct account *a, struct oauth2_endpoints *out, struct error *e)
{
	char *ms_authorize = NULL, *ms_token = NULL, *ms_device = NULL;
	const char *authorize = NULL, *token = NULL, *device = NULL, *scope = NULL;
	const char *tenant = a->oauth2_tenant ? a->oauth2_tenant : "common";

	memset(out, 0, sizeof(*out));
	switch (a->oauth2) {
	case ACCOUNT_OAUTH2_NONE:
		return error_set(e, ERR_CONFIG, "account [%s] does not use OAuth2; set oauth2 = google, "
				 "microsoft or custom (postern.ini(5))", a->name);
	case ACCOUNT_OAUTH2_GOOGLE:
		authorize = "https://accounts.google.com/o/oauth2/auth";
		token = "https://oauth2.googleapis.com/token";
		scope = "https://mail.google.com/";
		break;
	case ACCOUNT_OAUTH2_MICROSOFT:
		ms_authorize = xasprintf("https://login.microsoftonline.com/%s/oauth2/v2.0/authorize", tenant);
		ms_token = xasprintf("https://login.microsoftonline.com/%s/oauth2/v2.0/token", tenant);
		ms_device = xasprintf("https://login.microsoftonline.com/%s/oauth2/v2.0/devicecode", tenant);
		authorize = ms_authorize, token = ms_token, device = ms_device;
		scope = "https://outlook.office.com/SMTP.Send offline_access";
		break;
	case ACCOUNT_OAUTH2_CUSTOM:
		break;
	}
	out->authorize = pick(a->oauth2_authorize_endpoint, authorize);
	out->token = pick(a->oauth2_token_endpoint, token);
	out->device = pick(a->oauth2_device_endpoint, device);
	out->scope = pick(a->oauth2_scope, scope);
	free(ms_authorize);
	free(ms_token);
	free(ms_device);
	if (!out->authorize || !out->token || !out->scope) {
		oauth2_endpoints_release(out);
		return error_set(e, ERR_CONFIG, "account [%s]: oauth2 = custom needs oauth2_token_endpoint, "
				 "oauth2_authorize_endpoint and oauth2_scope", a->name);
	}
	return 0;
}

void oauth2_endpoints_release(struct oauth2_endpoints *ep)
{
	free(ep->authorize);
	free(ep->token);
	free(ep->device);
	free(ep->scope);
	memset(ep, 0, sizeof(*ep));
}

/* ------------------------------------------------------------ the grant */

void oauth2_grant_init(struct oauth2_grant *g)
{
	memset(g, 0, sizeof(*g));
	buf_init_secret(&g->access);
	buf_init_secret(&g->refresh);
}

void oauth2_grant_release(struct oauth2_grant *g)
{
	buf_release(&g->access);
	buf_release(&g->refresh);
	free(g->scope);
	free(g->error);
	free(g->error_description);
	oauth2_grant_init(g);
}

void oauth2_form_add(struct buf *form, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	if (form->len)
		buf_add(form, "&", 1);
	buf_adds(form, name);
	buf_add(form, "=", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_add(form, p, 1);
		} else {
			char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			buf_add(form, enc, 3);
		}
	}
}

int oauth2_token_valid(const char *p, size_t n)
{
	size_t i = 0;

	/* RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~"
	 * / "+" / "/" ) *"=" */
	while (i < n && (strchr("-._~+/", p[i]) || (p[i] >= 'A' && p[i] <= 'Z') ||
			 (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')) && p[i])
		i++;
	if (i == 0)
		return 0;
	while (i < n && p[i] == '=')
		i++;
	return i == n;
}

/* A refresh token is opaque, but it goes into a form (encoded), a file
 * line and the keyring: printable ASCII without spaces. */
static int refresh_token_valid(const char *p, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 0;
	return 1;
}

/* A string member copied and checked for control characters (shown to
 * the user, or kept); NULL when absent or not clean. */
static char *clean_member(const struct json *j, const char *key)
{
	size_t n;
	const char *s = json_string_member(j, key, &n);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return xstrndup(s, n);
}

/* A member shown escaped (the provider's error text may hold anything). */
static char *shown_member(const struct json *j, const char *key)
{
	struct buf b = BUF_INIT;
	size_t n;
	const char *s = json_string_member(j, key, &n);

	if (!s)
		return NULL;
	buf_add_escaped(&b, s, n > 600 ? 600 : n);
	return buf_detach(&b);
}

int oauth2_grant_parse(const char *body, size_t len, long status, const char *host,
		       struct oauth2_grant *g, struct error *e)
{
	struct json *j;
	const char *tok;
	long long n;
	size_t tlen;
	int rc = -1;

	if (status >= 500)
		return error_set(e, ERR_TEMP, "the token endpoint %s answered HTTP %ld; try again later",
				 host, status);
	if (!(j = json_parse(body, len, e)))
		return error_prefix(e, "the token endpoint %s (HTTP %ld)", host, status);
	if (json_string_member(j, "error", NULL)) {
		g->error = shown_member(j, "error");
		g->error_description = shown_member(j, "error_description");
		rc = 0;
		goto out;
	}
	if (status != 200) {
		error_set(e, ERR_TEMP, "the token endpoint %s answered HTTP %ld without an OAuth error",
			  host, status);
		goto out;
	}
	tok = json_string_member(j, "access_token", &tlen);
	if (!tok) {
		error_set(e, ERR_PROTOCOL, "the token endpoint %s sent no access_token", host);
		goto out;
	}
	if (!oauth2_token_valid(tok, tlen)) {
		error_set(e, ERR_PROTOCOL, "the token endpoint %s sent an access token with characters "
			  "outside RFC 6750's set; refusing to send it to the SMTP server", host);
		goto out;
	}
	buf_add(&g->access, tok, tlen);
	if ((tok = json_string_member(j, "refresh_token", &tlen))) {
		if (!refresh_token_valid(tok, tlen)) {
			error_set(e, ERR_PROTOCOL, "the token endpoint %s sent a refresh token with "
				  "spaces or control characters", host);
			goto out;
		}
		buf_add(&g->refresh, tok, tlen);
	}
	if (!json_integer_member(j, "expires_in", &n) && n < 10LL * 365 * 86400)
		g->expires_at = (long long)time(NULL) + n;
	g->scope = clean_member(j, "scope");
	if (!json_integer_member(j, "interval", &n) && n < 3600)
		g->interval = (long)n;
	rc = 0;
out:
	if (rc)
		oauth2_grant_release(g);
	json_free(j);
	return rc;
}

/* The client secret, from the config or its command; NULL when none (a
 * public client).  Returns 0 or -1 with e. */
static int client_secret(const struct account *a, struct secret *s, struct error *e)
{
	struct account tmp;

	if (a->oauth2_client_secret) {
		secret_set(s, a->oauth2_client_secret, strlen(a->oauth2_client_secret), SECRET_CONFIG);
		return 0;
	}
	if (!a->oauth2_client_secret_command)
		return 0;
	/* password_command_run() runs a->password_command: a shallow copy
	 * with that one field swapped, the account itself stays read-only. */
	tmp = *a;
	tmp.password_command = a->oauth2_client_secret_command;
	tmp.password_command_line = 0;
	if (password_command_run(&tmp, 30, 1, s, e))
		return error_prefix(e, "oauth2_client_secret_command");
	return 0;
}

/* POST form plus the client's credentials to url: the response in r. */
static int post(const struct account *a, const char *url, const struct buf *form,
		struct http_response *r, struct error *e)
{
	struct buf full = BUF_INIT_SECRET;
	struct secret cs;
	int rc = -1;

	secret_init(&cs);
	if (client_secret(a, &cs, e))
		goto out;
	buf_add(&full, form->data, form->len);
	oauth2_form_add(&full, "client_id", a->oauth2_client_id ? a->oauth2_client_id : "");
	if (cs.value)
		oauth2_form_add(&full, "client_secret", cs.value);
	rc = http_post_form(url, &full, a->oauth2_ca_file, a->timeout, r, e);
out:
	secret_release(&cs);
	buf_release(&full);
	return rc;
}

int oauth2_token_post(const struct account *a, const char *url, const struct buf *form,
		      struct oauth2_grant *g, struct error *e)
{
	struct http_response r;
	char host[256];
	int rc;

	http_url_host(url, host, sizeof(host));
	http_response_init(&r);
	rc = post(a, url, form, &r, e);
	if (!rc)
		rc = oauth2_grant_parse(r.body.data, r.body.len, r.status, host, g, e);
	http_response_release(&r);
	return rc;
}

/* ------------------------------------------------------------ device flow */

int oauth2_device_start(const struct account *a, struct oauth2_device *d, struct error *e)
{
	struct oauth2_endpoints ep;
	struct http_response r;
	struct buf form = BUF_INIT_SECRET;
	struct json *j = NULL;
	const char *code;
	char host[256];
	long long n;
	size_t len;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	buf_init_secret(&d->device_code);
	http_response_init(&r);
	if (oauth2_endpoints_get(a, &ep, e))
		return -1;
	if (!ep.device) {
		error_set(e, ERR_CONFIG, "account [%s]: this provider has no device flow (set "
			  "oauth2_device_endpoint, or use the browser or --paste)", a->name);
		goto out;
	}
	http_url_host(ep.device, host, sizeof(host));
	oauth2_form_add(&form, "scope", ep.scope);
	if (post(a, ep.device, &form, &r, e))
		goto out;
	if (r.status >= 500) {
		error_set(e, ERR_TEMP, "the device endpoint %s answered HTTP %ld; try again later", host,
			  r.status);
		goto out;
	}
	if (!(j = json_parse(r.body.data, r.body.len, e))) {
		error_prefix(e, "the device endpoint %s (HTTP %ld)", host, r.status);
		goto out;
	}
	if (json_string_member(j, "error", NULL) || r.status != 200) {
		char *err = shown_member(j, "error"), *desc = shown_member(j, "error_description");

		error_set(e, ERR_AUTH, "the device endpoint %s refused: %s%s%s", host,
			  err ? err : "no error given", desc ? ": " : "", desc ? desc : "");
		free(err);
		free(desc);
		goto out;
	}
	code = json_string_member(j, "device_code", &len);
	d->user_code = clean_member(j, "user_code");
	d->verification_uri = clean_member(j, "verification_uri");
	if (!d->verification_uri)	/* Google's older name */
		d->verification_uri = clean_member(j, "verification_url");
	d->verification_uri_complete = clean_member(j, "verification_uri_complete");
	if (!code || !refresh_token_valid(code, len) || !d->user_code || !d->verification_uri) {
		error_set(e, ERR_PROTOCOL, "the device endpoint %s sent no usable device_code, "
			  "user_code and verification_uri", host);
		goto out;
	}
	buf_add(&d->device_code, code, len);
	d->interval = 5;
	if (!json_integer_member(j, "interval", &n) && n > 0 && n < 3600)
		d->interval = (long)n;
	d->expires_in = 900;
	if (!json_integer_member(j, "expires_in", &n) && n > 0 && n < 86400)
		d->expires_in = (long)n;
	rc = 0;
out:
	if (rc)
		oauth2_device_release(d);
	json_free(j);
	buf_release(&form);
	http_response_release(&r);
	oauth2_endpoints_release(&ep);
	return rc;
}

void oauth2_device_release(struct oauth2_device *d)
{
	buf_release(&d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
	buf_init_secret(&d->device_code);
}

/* ---------------------------------------------------------------- storage */

/* state_dir()/oauth2/NAME + suffix; NULL when there is no home. */
static char *store_path(const struct account *a, const char *suffix)
{
	char *dir = state_dir(), *p;
	struct buf b = BUF_INIT;

	if (!dir)
		return NULL;
	buf_addf(&b, "%s/oauth2/", dir);
	for (const unsigned char *c = (const unsigned char *)a->name; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '_' || *c == '-' || (*c == '.' && c != (const unsigned char *)a->name))
			buf_add(&b, c, 1);
		else
			buf_addf(&b, "%%%02X", *c);
	}
	buf_adds(&b, suffix);
	p = buf_detach(&b);
	free(dir);
	return p;
}

static int store_dir(struct error *e)
{
	char *dir = state_dir(), *sub;
	struct buf why = BUF_INIT;
	int rc = 0;

	if (!dir)
		return error_set(e, ERR_CONFIG, "no home directory: nowhere to keep OAuth2 tokens");
	sub = xasprintf("%s/oauth2", dir);
	if (mkdir_private(sub, &why))
		rc = error_set(e, ERR_IO, "%s", why.data);
	buf_release(&why);
	free(sub);
	free(dir);
	return rc;
}

/* Replace path with text, 0600, through a temporary file and rename(), so
 * that a reader sees the old or the new content, never half. */
static int write_private(const char *path, const char *text, size_t len, struct error *e)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		error_set(e, ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, len) || fsync(fd)) {
		error_set(e, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		error_set(e, ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/* Read a small private file into a secret buffer: 1 read, 0 missing, -1
 * with e (not ours, open to others, too large). */
static int read_private(const char *path, struct buf *out, struct error *e)
{
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return error_set(e, ERR_IO, "cannot read %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
		error_set(e, ERR_CONFIG, "%s is not a regular file of yours with mode 0600; "
			  "remove it and run postern oauth2 authorize again", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_add(out, chunk, (size_t)n);
		if (out->len > HTTP_BODY_MAX) {
			error_set(e, ERR_CONFIG, "%s is too large to hold a token", path);
			goto out;
		}
	}
	if (n < 0) {
		error_set(e, ERR_IO, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 1;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int oauth2_cache_format(const struct oauth2_grant *g, struct buf *out)
{
	buf_addf(out, CACHE_MAGIC "\nexpires %lld\nscope %s\ntoken ", g->expires_at,
		 g->scope ? g->scope : "");
	buf_add(out, g->access.data, g->access.len);
	buf_add(out, "\n", 1);
	return 0;
}

/* The next line of text at *p (without its LF) when it starts with key
 * and a space; NULL otherwise. */
static const char *field(const char **p, const char *end, const char *key, size_t *len)
{
	size_t k = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p)), *v;

	if (!nl || (size_t)(nl - *p) < k + 1 || memcmp(*p, key, k) || (*p)[k] != ' ')
		return NULL;
	v = *p + k + 1;
	*len = (size_t)(nl - v);
	*p = nl + 1;
	return v;
}

int oauth2_cache_parse(const char *text, size_t len, struct oauth2_grant *g)
{
	const char *p = text, *end = text + len, *v;
	size_t n, m = strlen(CACHE_MAGIC);
	long long at = 0;

	if (len < m + 1 || memcmp(p, CACHE_MAGIC "\n", m + 1))
		return -1;
	p += m + 1;
	if (!(v = field(&p, end, "expires", &n)) || !n || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		at = at * 10 + (v[i] - '0');
	}
	if (!(v = field(&p, end, "scope", &n)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	g->scope = n ? xstrndup(v, n) : NULL;
	if (!(v = field(&p, end, "token", &n)) || p != end || !oauth2_token_valid(v, n)) {
		free(g->scope);
		g->scope = NULL;
		return -1;
	}
	buf_add(&g->access, v, n);
	g->expires_at = at;
	return 0;
}

/* The cached grant: 1 with g filled, 0 none (or unreadable: a refresh
 * replaces it), -1 with e when the file is not private. */
static int cache_read(const struct account *a, struct oauth2_grant *g, struct error *e)
{
	char *path = store_path(a, ".access");
	struct buf text = BUF_INIT_SECRET;
	int rc = 0;

	if (!path)
		return 0;
	rc = read_private(path, &text, e);
	if (rc == 1 && oauth2_cache_parse(text.data, text.len, g)) {
		log_info("%s: not a token cache; it will be replaced", path);
		rc = 0;
	}
	buf_release(&text);
	free(path);
	return rc;
}

static int cache_write(const struct account *a, const struct oauth2_grant *g, struct error *e)
{
	char *path = store_path(a, ".access");
	struct buf text = BUF_INIT_SECRET;
	int rc;

	if (!path)
		return error_set(e, ERR_CONFIG, "no home directory: nowhere to keep OAuth2 tokens");
	oauth2_cache_format(g, &text);
	rc = write_private(path, text.data, text.len, e);
	buf_release(&text);
	free(path);
	return rc;
}

void oauth2_drop_cached(const struct account *a)
{
	char *path = store_path(a, ".access");

	if (path && unlink(path) && errno != ENOENT)
		log_info("cannot remove %s: %s", path, strerror(errno));
	free(path);
}

/* The refresh token: 1 found (in s; *where "keyring" or the file), 0 none
 * (why says where postern looked), -1 with e. */
static int refresh_read(const struct account *a, struct secret *s, struct buf *why, struct error *e)
{
	char *path;
	struct buf text = BUF_INIT_SECRET;
	int rc;

	if (keyring_oauth2_lookup(a, s, why))
		return 1;
	if (!(path = store_path(a, "")))
		return 0;
	rc = read_private(path, &text, e);
	if (rc == 1) {
		if (secret_set_first_line(s, text.data, text.len, SECRET_CONFIG) ||
		    !refresh_token_valid(s->value, s->len)) {
			secret_release(s);
			rc = error_set(e, ERR_AUTH, "%s holds no usable refresh token; run postern oauth2 "
				       "authorize %s", path, a->name);
		} else {
			snprintf(s->desc, sizeof(s->desc), "%s", path);
		}
	} else if (rc == 0) {
		buf_addf(why, "%sno file %s", why->len ? "; " : "", path);
	}
	buf_release(&text);
	free(path);
	return rc;
}

/* Store token: in the keyring when keyring_first is set and one answers
 * (a rotated token goes back where the old one came from), else in the
 * file; *where says which ("keyring" or the path; caller frees). */
static int refresh_write(const struct account *a, const char *token, int keyring_first, char **where,
			 struct error *e)
{
	struct error ke;
	char *path;
	struct buf text = BUF_INIT_SECRET;
	int rc;

	*where = NULL;
	if (keyring_first && keyring_bus_present()) {
		if (!keyring_oauth2_store(a, token, &ke)) {
			*where = xstrdup("keyring");
			path = store_path(a, "");
			if (path)
				unlink(path);	/* an older file copy would outlive forget */
			free(path);
			return 0;
		}
		log_err("warning: %s; keeping the refresh token in a file instead", ke.msg);
	}
	if (!(path = store_path(a, "")))
		return error_set(e, ERR_CONFIG, "no home directory: nowhere to keep OAuth2 tokens");
	if (keyring_first) {
		static int warned;

		if (!warned++)
			log_err("warning: no keyring answers; the OAuth2 refresh token of account [%s] "
				"goes to %s (mode 0600)", a->name, path);
	}
	buf_adds(&text, token);
	buf_add(&text, "\n", 1);
	rc = write_private(path, text.data, text.len, e);
	buf_release(&text);
	if (rc)
		free(path);
	else
		*where = path;
	return rc;
}

int oauth2_store_grant(const struct account *a, const struct oauth2_grant *g, char **where,
		       struct error *e)
{
	*where = NULL;
	if (store_dir(e))
		return -1;
	if (!g->refresh.len)
		return error_set(e, ERR_AUTH, "the identity provider sent no refresh token; for "
				 "Microsoft the scope needs offline_access, for Google access_type=offline");
	if (refresh_write(a, g->refresh.data, 1, where, e))
		return -1;
	if (g->access.len && cache_write(a, g, e)) {
		free(*where);
		*where = NULL;
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- every send */

static int still_valid(const struct oauth2_grant *g)
{
	return g->access.len && g->expires_at > (long long)time(NULL) + EXPIRY_MARGIN;
}

static void hand_out(const struct oauth2_grant *g, struct secret *out)
{
	secret_set(out, g->access.data, g->access.len, SECRET_OAUTH2);
	snprintf(out->desc, sizeof(out->desc), "an OAuth2 access token");
}

/* Refresh with the stored refresh token; the lock is held. */
static int refresh(const struct account *a, struct oauth2_grant *g, struct error *e)
{
	struct oauth2_endpoints ep;
	struct secret rt;
	struct buf why = BUF_INIT, form = BUF_INIT_SECRET;
	char *where = NULL;
	int found, rc = -1;

	secret_init(&rt);
	if (oauth2_endpoints_get(a, &ep, e))
		return -1;
	found = refresh_read(a, &rt, &why, e);
	if (found < 0)
		goto out;
	if (!found) {
		error_set(e, ERR_AUTH, "no OAuth2 refresh token for account [%s] (%s); run: postern "
			  "oauth2 authorize %s", a->name, why.data, a->name);
		goto out;
	}
	oauth2_form_add(&form, "grant_type", "refresh_token");
	oauth2_form_add(&form, "refresh_token", rt.value);
	if (oauth2_token_post(a, ep.token, &form, g, e))
		goto out;
	if (g->error) {
		if (!strcmp(g->error, "temporarily_unavailable") || !strcmp(g->error, "server_error"))
			error_set(e, ERR_TEMP, "the identity provider cannot refresh the token now (%s%s%s); "
				  "try again later", g->error, g->error_description ? ": " : "",
				  g->error_description ? g->error_description : "");
		else
			error_set(e, ERR_AUTH, "the identity provider refused the refresh token of account "
				  "[%s] (%s%s%s); run: postern oauth2 authorize %s", a->name, g->error,
				  g->error_description ? ": " : "",
				  g->error_description ? g->error_description : "", a->name);
		goto out;
	}
	/* A rotated refresh token (Microsoft rotates on every use) is stored
	 * before the access token is used: the old one may be dead already,
	 * and a send that failed later would otherwise lose both. */
	if (g->refresh.len && (g->refresh.len != rt.len || memcmp(g->refresh.data, rt.value, rt.len))) {
		if (refresh_write(a, g->refresh.data, rt.source == SECRET_KEYRING, &where, e)) {
			error_prefix(e, "storing the rotated refresh token");
			goto out;
		}
		log_info("account [%s]: rotated refresh token stored in %s", a->name, where);
	}
	if (!g->expires_at)	/* unknown: assume the usual hour, minus a margin */
		g->expires_at = (long long)time(NULL) + 3000;
	if (cache_write(a, g, e))
		goto out;
	rc = 0;
out:
	free(where);
	buf_release(&form);
	buf_release(&why);
	secret_release(&rt);
	oauth2_endpoints_release(&ep);
	return rc;
}

/* Whether the cached grant may be handed out: valid for a while yet, and
 * not the token the server just refused. */
static int usable(const struct oauth2_grant *g, const char *refused)
{
	return still_valid(g) && !(refused && g->access.len == strlen(refused) &&
				   !memcmp(g->access.data, refused, g->access.len));
}

/* oauth2_access_token and oauth2_access_token_replacing: with force, the
 * cache is looked at only under the lock, and only for a token other than
 * refused (one another process got meanwhile); refused NULL with force:
 * always refresh. */
static int access_token(const struct account *a, int force, const char *refused,
			struct secret *out, struct error *e)
{
	struct oauth2_grant g;
	char *lock = NULL;
	int fd = -1, rc = -1;

	oauth2_grant_init(&g);
	if (!force && cache_read(a, &g, e) < 0)
		goto out;
	if (!force && usable(&g, NULL)) {
		hand_out(&g, out);
		rc = 0;
		goto out;
	}
	oauth2_grant_release(&g);
	if (store_dir(e))
		goto out;
	lock = store_path(a, ".lock");
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		error_set(e, ERR_IO, "cannot open %s: %s", lock, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			error_set(e, ERR_IO, "cannot lock %s: %s", lock, strerror(errno));
			goto out;
		}
	}
	/* Whoever held the lock may have refreshed already: twenty sends after
	 * expiry (or twenty refused by the server) make one request, not
	 * twenty; with rotation, nineteen of them would present a dead
	 * refresh token. */
	if ((!force || refused) && cache_read(a, &g, e) < 0)
		goto out;
	if (!usable(&g, force ? refused : NULL) || (force && !refused)) {
		oauth2_grant_release(&g);
		if (refresh(a, &g, e))
			goto out;
	}
	hand_out(&g, out);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);	/* releases the lock */
	free(lock);
	oauth2_grant_release(&g);
	return rc;
}

int oauth2_access_token(const struct account *a, int force_refresh, struct secret *out,
			struct error *e)
{
	return access_token(a, force_refresh, NULL, out, e);
}

int oauth2_access_token_replacing(const struct account *a, const char *refused, struct secret *out,
				  struct error *e)
{
	return access_token(a, 1, refused, out, e);
}

/* --------------------------------------------------------- status, forget */

int oauth2_cmd_status(const struct account *a, FILE *out, struct error *e)
{
	struct oauth2_endpoints ep;
	struct oauth2_grant g;
	struct secret rt;
	struct buf why = BUF_INIT;
	char host[256];
	int found, rc = -1;

	secret_init(&rt);
	oauth2_grant_init(&g);
	if (oauth2_endpoints_get(a, &ep, e))
		return -1;
	http_url_host(ep.token, host, sizeof(host));
	fprintf(out, "account [%s]: oauth2 = %s, token endpoint %s\n", a->name,
		config_oauth2_name(a->oauth2), host);
	found = refresh_read(a, &rt, &why, e);
	if (found < 0)
		goto out;
	if (found)
		fprintf(out, "refresh token: stored in %s\n", rt.source == SECRET_KEYRING ? "keyring" : rt.desc);
	else
		fprintf(out, "refresh token: none (%s); run: postern oauth2 authorize %s\n", why.data,
			a->name);
	if (cache_read(a, &g, e) < 0)
		goto out;
	if (!g.access.len) {
		fprintf(out, "access token: none cached\n");
	} else {
		long long left = g.expires_at - (long long)time(NULL);
		char when[64] = "";
		time_t t = (time_t)g.expires_at;
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		if (left > 0)
			fprintf(out, "access token: cached, expires %s (in %lld min)\n", when, left / 60);
		else
			fprintf(out, "access token: cached, expired %s (the next send refreshes it)\n", when);
	}
	fprintf(out, "scopes: %s\n", g.scope ? g.scope : ep.scope);
	rc = 0;
out:
	buf_release(&why);
	secret_release(&rt);
	oauth2_grant_release(&g);
	oauth2_endpoints_release(&ep);
	return rc;
}

int oauth2_cmd_forget(const struct account *a, FILE *out, struct error *e)
{
	const char *suffix[] = { "", ".access", ".lock" };
	int removed = 0, k = 0;

	if (keyring_bus_present()) {
		struct error ke;

		k = keyring_oauth2_forget(a, &ke);
		if (k < 0)
			log_err("warning: %s", ke.msg);
		else if (k)
			fprintf(out, "removed the refresh token from the keyring\n"), removed++;
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char *path = store_path(a, suffix[i]);

		if (path && !unlink(path)) {
			if (i < 2)
				fprintf(out, "removed %s\n", path), removed++;
		} else if (path && errno != ENOENT) {
			error_set(e, ERR_IO, "cannot remove %s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	if (!removed)
		fprintf(out, "nothing stored for account [%s]\n", a->name);
	return k < 0 ? error_set(e, ERR_CONFIG, "the keyring entry could not be removed") : 0;
}
