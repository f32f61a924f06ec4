/* test_oauth2.c - OAuth2 without a network: the presets and the config
 * keys, form encoding, RFC 6750's token set, token responses (hostile ones
 * included), the access token cache file, and the send path's answers when
 * there is no refresh token, a valid cache, or an identity provider that
 * cannot be reached.  No session bus: tokens go to files under a temporary
 * XDG_STATE_HOME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "credential.h"
#include "error.h"
#include "oauth2.h"
#include "secret.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test_oauth2.XXXXXX";

static int load(struct config *c, const char *text, struct error *e)
{
	config_init(c);
	error_clear(e);
	return config_parse_string(c, "t.ini", text, e);
}

#define ACCOUNT_HEAD "[a]\nhost = smtp.example.org\nuser = me@example.org\nauth = xoauth2\n"

static void test_presets(void)
{
	struct config c;
	struct error e;
	struct oauth2_endpoints ep;

	ok(load(&c, ACCOUNT_HEAD "oauth2 = microsoft\noauth2_client_id = cid\n", &e) == 0,
	   "microsoft preset parses");
	ok(oauth2_endpoints_get(&c.acc[0], &ep, &e) == 0, "microsoft endpoints");
	is_str(ep.authorize, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
	       "microsoft authorize, tenant common by default");
	is_str(ep.token, "https://login.microsoftonline.com/common/oauth2/v2.0/token", "microsoft token");
	is_str(ep.device, "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	       "microsoft device");
	is_str(ep.scope, "https://outlook.office.com/SMTP.Send offline_access", "microsoft scope");
	oauth2_endpoints_release(&ep);
	config_release(&c);

	ok(load(&c, "[defaults]\noauth2 = microsoft\noauth2_tenant = contoso.onmicrosoft.com\n"
		 "oauth2_client_id = cid\n" ACCOUNT_HEAD, &e) == 0, "inherited from [defaults]");
	ok(oauth2_endpoints_get(&c.acc[0], &ep, &e) == 0, "tenant endpoints");
	is_str(ep.token, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
	       "microsoft token with the tenant");
	oauth2_endpoints_release(&ep);
	config_release(&c);

	ok(load(&c, ACCOUNT_HEAD "oauth2 = google\noauth2_client_id = cid\n"
		"oauth2_scope = https://mail.google.com/ openid\n", &e) == 0, "google parses");
	ok(oauth2_endpoints_get(&c.acc[0], &ep, &e) == 0, "google endpoints");
	is_str(ep.authorize, "https://accounts.google.com/o/oauth2/auth", "google authorize");
	is_str(ep.token, "https://oauth2.googleapis.com/token", "google token");
	ok(ep.device == NULL, "google: no device endpoint");
	is_str(ep.scope, "https://mail.google.com/ openid", "oauth2_scope overrides the preset");
	oauth2_endpoints_release(&ep);
	config_release(&c);

	ok(load(&c, ACCOUNT_HEAD "oauth2 = custom\noauth2_client_id = cid\n"
		"oauth2_token_endpoint = https://idp.example/token\n", &e) == -1 && e.cls == ERR_CONFIG,
	   "custom without all endpoints is refused");
	is_str(e.msg, "t.ini:1: account [a]: oauth2 = custom needs oauth2_token_endpoint, "
	       "oauth2_authorize_endpoint and oauth2_scope", "and the message names the keys");
	config_release(&c);

	ok(load(&c, "[a]\nhost = h\nuser = u\nauth = plain\noauth2 = google\noauth2_client_id = c\n", &e)
	   == -1, "oauth2 with auth = plain is refused");
	ok(strstr(e.msg, "only auth = xoauth2 or auth = oauthbearer") != NULL, "saying which auth");
	config_release(&c);

	ok(load(&c, ACCOUNT_HEAD "oauth2 = google\n", &e) == -1 && strstr(e.msg, "needs oauth2_client_id"),
	   "oauth2 without a client id is refused");
	config_release(&c);

	ok(load(&c, ACCOUNT_HEAD "oauth2 = custom\noauth2_client_id = c\n"
		"oauth2_token_endpoint = http://idp.example/token\n", &e) == -1, "http:// endpoint refused");
	is_str(e.msg, "t.ini:7: oauth2_token_endpoint = http://idp.example/token is not an https:// URL",
	       "an https URL is asked for");
	config_release(&c);

	ok(load(&c, ACCOUNT_HEAD "oauth2 = yahoo\n", &e) == -1, "unknown provider refused");
	config_release(&c);
}

static void test_form_and_tokens(void)
{
	struct buf f = BUF_INIT_SECRET;

	oauth2_form_add(&f, "grant_type", "refresh_token");
	oauth2_form_add(&f, "refresh_token", "a b&c=d+e/\xc3\xa9~");
	is_str(f.data, "grant_type=refresh_token&refresh_token=a%20b%26c%3Dd%2Be%2F%C3%A9~",
	       "form values percent-encoded");
	buf_release(&f);

	ok(oauth2_token_valid("ya29.a0-_~+/Zz09==", 18), "b64token with padding");
	ok(!oauth2_token_valid("", 0), "empty token refused");
	ok(!oauth2_token_valid("==", 2), "padding alone refused");
	ok(!oauth2_token_valid("ab=c", 4), "'=' inside refused");
	ok(!oauth2_token_valid("abc\r\nQUIT", 9), "CRLF refused");
	ok(!oauth2_token_valid("ab c", 4), "space refused");
	ok(!oauth2_token_valid("ab\0c", 4), "NUL refused");
	ok(!oauth2_token_valid("ab\"c", 4), "quote refused");
}

static int parse(const char *body, long status, struct oauth2_grant *g, struct error *e)
{
	oauth2_grant_init(g);
	error_clear(e);
	return oauth2_grant_parse(body, strlen(body), status, "idp.example", g, e);
}

static void test_responses(void)
{
	struct oauth2_grant g;
	struct error e;
	long long now = (long long)time(NULL);

	ok(parse("{\"access_token\":\"AT.1\",\"refresh_token\":\"RT-2\",\"expires_in\":3600,"
		 "\"scope\":\"s1 s2\",\"token_type\":\"Bearer\"}", 200, &g, &e) == 0, "a good response");
	is_str(g.access.data, "AT.1", "access token");
	is_str(g.refresh.data, "RT-2", "refresh token");
	ok(g.access.secret && g.refresh.secret, "both in secret buffers");
	ok(g.expires_at >= now + 3600 && g.expires_at <= now + 3602, "expires_at from expires_in");
	is_str(g.scope, "s1 s2", "scope");
	ok(g.error == NULL, "no error");
	oauth2_grant_release(&g);

	ok(parse("{\"access_token\":\"AT\",\"expires_in\":\"3599\"}", 200, &g, &e) == 0 &&
	   g.expires_at >= now + 3599, "expires_in as a string (Microsoft's v1 habit)");
	ok(g.refresh.len == 0, "no refresh token: empty");
	oauth2_grant_release(&g);

	ok(parse("{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70000: revoked\\u001b[31m\"}",
		 400, &g, &e) == 0, "an OAuth error response returns 0");
	is_str(g.error, "invalid_grant", "error");
	is_str(g.error_description, "AADSTS70000: revoked\\x1b[31m", "description escaped");
	oauth2_grant_release(&g);

	ok(parse("{\"error\":\"authorization_pending\",\"interval\":7}", 400, &g, &e) == 0 &&
	   !strcmp(g.error, "authorization_pending"), "device flow pending");
	oauth2_grant_release(&g);

	ok(parse("<html>Bad gateway</html>", 502, &g, &e) == -1 && e.cls == ERR_TEMP, "5xx is ERR_TEMP");
	is_str(e.msg, "the token endpoint idp.example answered HTTP 502; try again later", "5xx message");
	ok(parse("<html>captive portal</html>", 200, &g, &e) == -1 && e.cls == ERR_TEMP,
	   "not JSON is ERR_TEMP");
	ok(strstr(e.msg, "the token endpoint idp.example (HTTP 200): not a JSON object") == e.msg,
	   "saying so");
	ok(parse("[\"access_token\"]", 200, &g, &e) == -1 && e.cls == ERR_TEMP, "a JSON array refused");
	ok(parse("{\"access_token\":\"A\",\"access_token\":\"B\"}", 200, &g, &e) == -1 && e.cls == ERR_TEMP,
	   "duplicate keys refused");
	ok(parse("{\"access_token\":\"AT\"} trailing", 200, &g, &e) == -1, "trailing garbage refused");
	ok(parse("{\"access_token\":\"AT\\r\\nRSET\"}", 200, &g, &e) == -1 && e.cls == ERR_PROTOCOL,
	   "CRLF in the access token is ERR_PROTOCOL");
	is_str(e.msg, "the token endpoint idp.example sent an access token with characters outside "
	       "RFC 6750's set; refusing to send it to the SMTP server", "and says why");
	ok(g.access.len == 0, "the grant is emptied");
	ok(parse("{\"access_token\":\"A\\u0000B\"}", 200, &g, &e) == -1 && g.access.len == 0,
	   "a NUL (\\u0000) in the token refused");
	ok(parse("{\"access_token\":\"AT\",\"refresh_token\":\"R T\"}", 200, &g, &e) == -1 &&
	   e.cls == ERR_PROTOCOL, "a space in the refresh token refused");
	ok(parse("{\"access_token\":42}", 200, &g, &e) == -1 && e.cls == ERR_PROTOCOL,
	   "a number as the token refused");
	ok(parse("{\"token_type\":\"Bearer\"}", 401, &g, &e) == -1 && e.cls == ERR_TEMP,
	   "a 401 without an OAuth error is ERR_TEMP");
	ok(parse("{\"access_token\":\"AT\",\"expires_in\":-5}", 200, &g, &e) == 0 && g.expires_at == 0,
	   "a negative expires_in is unknown");
	oauth2_grant_release(&g);
	{
		/* deep nesting: jansson's depth limit, no crash */
		struct buf deep = BUF_INIT;

		buf_adds(&deep, "{\"a\":");
		for (int i = 0; i < 5000; i++)
			buf_adds(&deep, "[");
		ok(parse(deep.data, 200, &g, &e) == -1 && e.cls == ERR_TEMP, "5000 nested arrays refused");
		buf_release(&deep);
	}
}

static void test_cache_format(void)
{
	struct oauth2_grant g, h;
	struct buf b = BUF_INIT_SECRET;

	oauth2_grant_init(&g);
	buf_adds(&g.access, "AT.x-y");
	g.expires_at = 1900000000;
	g.scope = xstrdup("https://mail.google.com/");
	oauth2_cache_format(&g, &b);
	is_str(b.data, "postern-oauth2-access 1\nexpires 1900000000\nscope https://mail.google.com/\n"
	       "token AT.x-y\n", "cache file text");
	oauth2_grant_init(&h);
	ok(oauth2_cache_parse(b.data, b.len, &h) == 0, "parsed back");
	is_str(h.access.data, "AT.x-y", "token back");
	is_int(h.expires_at, 1900000000, "expiry back");
	is_str(h.scope, "https://mail.google.com/", "scope back");
	oauth2_grant_release(&h);

	static const char *const bad[] = {
		"postern-oauth2-access 2\nexpires 1\nscope \ntoken A\n",
		"postern-oauth2-access 1\nexpires x1\nscope \ntoken A\n",
		"postern-oauth2-access 1\nexpires 1\nscope \ntoken A\r\n",
		"postern-oauth2-access 1\nexpires 1\nscope \ntoken A\nmore\n",
		"postern-oauth2-access 1\nexpires 1\nscope \ntoken A",
		"postern-oauth2-access 1\nexpires 1\ntoken A\n",
		"postern-oauth2-access 1\nexpires 1\nscope \ntoken \n",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oauth2_grant_init(&h);
		ok(oauth2_cache_parse(bad[i], strlen(bad[i]), &h) == -1 && h.access.len == 0 && !h.scope,
		   "bad cache %zu refused", i);
		oauth2_grant_release(&h);
	}
	buf_release(&b);
	oauth2_grant_release(&g);
}

static void test_send_path(void)
{
	struct config c;
	struct error e;
	struct secret s;
	struct oauth2_grant g;
	struct credential_opts co = { 0, 0 };
	struct stat st;
	char *where = NULL, *path, *text;
	char out[4096];
	FILE *f;

	/* port 9 on loopback: nothing listens, the connection is refused */
	ok(load(&c, ACCOUNT_HEAD "oauth2 = custom\noauth2_client_id = cid\n"
		"oauth2_token_endpoint = https://127.0.0.1:9/token\n"
		"oauth2_authorize_endpoint = https://127.0.0.1:9/auth\n"
		"oauth2_scope = smtp\ntimeout = 5\n", &e) == 0, "custom account parses");
	secret_init(&s);
	error_clear(&e);
	ok(credential_lookup(&c.acc[0], &co, &s, &e) == -1 && e.cls == ERR_AUTH,
	   "no refresh token: ERR_AUTH");
	ok(strstr(e.msg, "no OAuth2 refresh token for account [a]") && strstr(e.msg, "run: postern oauth2 "
	   "authorize a"), "naming the fix");

	oauth2_grant_init(&g);
	buf_adds(&g.access, "cached-AT");
	buf_adds(&g.refresh, "RT-1");
	g.expires_at = (long long)time(NULL) + 3600;
	g.scope = xstrdup("smtp");
	ok(oauth2_store_grant(&c.acc[0], &g, &where, &e) == 0, "store a grant without a keyring");
	path = xasprintf("%s/postern/oauth2/a", tmpdir);
	is_str(where, path, "where: the file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "refresh token file is 0600");
	text = tap_slurp(path, NULL);
	is_str(text, "RT-1\n", "it holds the refresh token");
	free(text);
	free(path);
	free(where);
	path = xasprintf("%s/postern/oauth2/a.access", tmpdir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the cache is 0600");

	error_clear(&e);
	ok(credential_lookup(&c.acc[0], &co, &s, &e) == 0, "a valid cached token is used");
	is_str(s.value, "cached-AT", "the cached token");
	ok(s.source == SECRET_OAUTH2, "source oauth2");
	secret_release(&s);

	f = fmemopen(out, sizeof(out), "w");
	ok(oauth2_cmd_status(&c.acc[0], f, &e) == 0, "status");
	fclose(f);
	ok(strstr(out, "refresh token: stored in ") && strstr(out, "/postern/oauth2/a\n") &&
	   strstr(out, "access token: cached, expires ") && strstr(out, "scopes: smtp\n"),
	   "status says where and when");
	ok(!strstr(out, "cached-AT") && !strstr(out, "RT-1"), "status shows no token");

	/* expiring within the minute: refreshed, and the endpoint is down */
	oauth2_grant_release(&g);
	oauth2_grant_init(&g);
	buf_adds(&g.access, "cached-AT");
	buf_adds(&g.refresh, "RT-1");
	g.expires_at = (long long)time(NULL) + 30;
	ok(oauth2_store_grant(&c.acc[0], &g, &where, &e) == 0, "store one that expires in 30 s");
	free(where);
	error_clear(&e);
	ok(credential_lookup(&c.acc[0], &co, &s, &e) == -1 && e.cls == ERR_TEMP,
	   "token endpoint unreachable: ERR_TEMP, not 77");
	ok(strstr(e.msg, "cannot reach 127.0.0.1:9") != NULL, "naming the host");
	ok(!strstr(e.msg, "RT-1"), "no token in the message");
	ok(s.value == NULL, "nothing handed out");

	/* a forced refresh skips the cache */
	oauth2_grant_release(&g);
	oauth2_grant_init(&g);
	buf_adds(&g.access, "cached-AT");
	buf_adds(&g.refresh, "RT-1");
	g.expires_at = (long long)time(NULL) + 3600;
	ok(oauth2_store_grant(&c.acc[0], &g, &where, &e) == 0, "store a valid one again");
	free(where);
	ok(oauth2_access_token(&c.acc[0], 1, &s, &e) == -1 && e.cls == ERR_TEMP,
	   "force_refresh goes to the endpoint");
	oauth2_drop_cached(&c.acc[0]);
	ok(access(path, F_OK) == -1, "drop_cached removes the cache");

	f = fmemopen(out, sizeof(out), "w");
	ok(oauth2_cmd_forget(&c.acc[0], f, &e) == 0, "forget");
	fclose(f);
	ok(strstr(out, "/postern/oauth2/a\n") != NULL, "says what it removed");
	error_clear(&e);
	ok(credential_lookup(&c.acc[0], &co, &s, &e) == -1 && e.cls == ERR_AUTH, "forgotten: ERR_AUTH again");
	free(path);
	oauth2_grant_release(&g);
	config_release(&c);
}

int main(void)
{
	char *cmd;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_STATE_HOME", tmpdir, 1);
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);	/* no bus socket there */
	test_presets();
	test_form_and_tokens();
	test_responses();
	test_cache_format();
	test_send_path();
	cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove the temporary directory");
	free(cmd);
	return tap_done();
}
