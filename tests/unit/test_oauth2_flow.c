/* test_oauth2_flow.c - PKCE against RFC 7636 appendix B, the authorization
 * URL, the redirect request line and the pasted URL (incl. hostile input),
 * and the state compare. */
#include "oauth2_flow.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void test_pkce(void)
{
	char ch[OAUTH2_PKCE_LEN + 1], ch2[OAUTH2_PKCE_LEN + 1];
	const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	struct buf ver = BUF_INIT_SECRET, ver2 = BUF_INIT_SECRET;
	struct error e;
	int charset_ok = 1;

	/* RFC 7636 appendix B */
	oauth2_pkce_challenge(v, strlen(v), ch);
	is_str(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256 challenge of RFC 7636's verifier");

	is_int(oauth2_pkce_new(&ver, ch, &e), 0, "a fresh verifier");
	is_int(ver.len, 43, "the verifier has 43 characters (32 bytes)");
	for (size_t i = 0; i < ver.len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~",
			    ver.data[i]))
			charset_ok = 0;
	ok(charset_ok, "the verifier uses only unreserved characters");
	oauth2_pkce_challenge(ver.data, ver.len, ch2);
	is_str(ch, ch2, "its challenge is the S256 of it");
	ok(ver.secret, "the verifier is in a secret buffer");
	is_int(oauth2_pkce_new(&ver2, ch2, &e), 0, "another verifier");
	ok(strcmp(ver.data, ver2.data) != 0, "two verifiers differ");
	buf_release(&ver);
	buf_release(&ver2);
}

static void test_state(void)
{
	char s1[23], s2[23];
	struct error e;

	is_int(oauth2_state_new(s1, &e), 0, "a state");
	is_int(oauth2_state_new(s2, &e), 0, "another state");
	is_int(strlen(s1), 22, "state: 22 characters");
	ok(strcmp(s1, s2) != 0, "two states differ");
	is_int(oauth2_state_equal(s1, s1), 1, "state equals itself");
	is_int(oauth2_state_equal(s1, s2), 0, "states differ");
	is_int(oauth2_state_equal("abc", "abcd"), 0, "a prefix is not equal");
	is_int(oauth2_state_equal("abcd", "abc"), 0, "a longer one is not equal");
	is_int(oauth2_state_equal("", ""), 1, "empty equals empty");
	is_int(oauth2_state_equal("abc", ""), 0, "empty is not equal");
}

static void test_url(void)
{
	char *u;
	struct oauth2_auth_request r = {
		.endpoint = "https://127.0.0.1:8443/authorize",
		.client_id = "my client&id",
		.redirect_uri = "http://127.0.0.1:41234/",
		.scope = "https://outlook.office.com/SMTP.Send offline_access",
		.state = "aZ09-._~ /?#&=+%\xc3\xa9\x01",
		.challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	};

	u = oauth2_auth_url(&r);
	is_str(u, "https://127.0.0.1:8443/authorize?response_type=code&client_id=my%20client%26id"
	       "&redirect_uri=http%3A%2F%2F127.0.0.1%3A41234%2F"
	       "&scope=https%3A%2F%2Foutlook.office.com%2FSMTP.Send%20offline_access"
	       "&state=aZ09-._~%20%2F%3F%23%26%3D%2B%25%C3%A9%01"
	       "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	       "&code_challenge_method=S256", "authorization URL, only unreserved characters left bare");
	free(u);

	r.endpoint = "https://accounts.google.com/o/oauth2/auth?hd=example.org";
	r.scope = NULL;
	r.state = "st-ATE_x";
	r.offline = 1;
	u = oauth2_auth_url(&r);
	is_str(u, "https://accounts.google.com/o/oauth2/auth?hd=example.org&response_type=code"
	       "&client_id=my%20client%26id&redirect_uri=http%3A%2F%2F127.0.0.1%3A41234%2F"
	       "&state=st-ATE_x&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	       "&code_challenge_method=S256&access_type=offline&prompt=consent",
	       "an endpoint with a query, no scope, Google's offline access");
	free(u);
}

static void test_request_line(void)
{
	const char *t = NULL;
	int complete = -1;
	long n;
	const char *req = "GET /?code=abc&state=xyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

	n = oauth2_request_target(req, strlen(req), &t, &complete);
	is_int(n, 20, "the target's length");
	ok(n == 20 && !memcmp(t, "/?code=abc&state=xyz", 20), "the target");
	is_int(complete, 1, "complete");

	n = oauth2_request_target("GET /?code=ab", 13, &t, &complete);
	is_int(n, -1, "no line end yet");
	is_int(complete, 0, "not complete: read on");

	n = oauth2_request_target("GET / HTTP/1.0\n", 15, &t, &complete);
	is_int(n, 1, "LF alone ends the line");

	n = oauth2_request_target("POST /?code=a HTTP/1.1\r\n", 24, &t, &complete);
	is_int(n, -1, "POST refused");
	is_int(complete, 1, "...as a complete, bad request");
	is_int(oauth2_request_target("GET  HTTP/1.1\r\n", 15, &t, &complete), -1, "empty target");
	is_int(oauth2_request_target("GET /a b HTTP/1.1\r\n", 19, &t, &complete), -1, "a space in the target");
	is_int(oauth2_request_target("GET /a\x01 HTTP/1.1\r\n", 18, &t, &complete), -1,
	       "a control character in the target");
	is_int(oauth2_request_target("GET /a HTTP/2.0\r\n", 17, &t, &complete), -1, "not HTTP/1.x");
	is_int(oauth2_request_target("GET /a HTTP/1.1 x\r\n", 19, &t, &complete), -1, "junk after the version");
	is_int(oauth2_request_target("GET /a\0b HTTP/1.1\r\n", 19, &t, &complete), -1, "a NUL in the target");
	is_int(oauth2_request_target("\n", 1, &t, &complete), -1, "an empty line");
}

static void test_redirect(void)
{
	struct oauth2_redirect r;
	struct error e;
	const char *s;
	char *big;

	oauth2_redirect_init(&r);
	s = "/?state=S%2Bt+1&code=4%2F0Ab-c_d~e&scope=x";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), 0, "request target parsed");
	is_str(r.code.data, "4/0Ab-c_d~e", "code decoded");
	ok(r.code.secret, "the code is in a secret buffer");
	is_str(r.state, "S+t 1", "state decoded (+ is a space)");
	ok(r.error == NULL, "no error");
	is_int(r.has_query, 1, "has_query");
	oauth2_redirect_release(&r);

	s = "http://127.0.0.1:41234/?error=access_denied&error_description=The+user+said+no&state=S#frag&code=x";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), 0, "pasted URL with an error");
	is_str(r.error, "access_denied", "error");
	is_str(r.error_description, "The user said no", "error_description");
	is_str(r.state, "S", "state");
	is_int(r.code.len, 0, "no code (the fragment is not the query)");
	oauth2_redirect_release(&r);

	s = "/favicon.ico";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), 0, "no query");
	is_int(r.has_query, 0, "...nothing came");
	oauth2_redirect_release(&r);

	s = "/?foo=bar&x";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), 0, "only other parameters");
	is_int(r.has_query, 0, "...nothing of ours came");
	oauth2_redirect_release(&r);

	s = "/?code=a&code=b&state=s";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "code twice refused");
	is_int(e.cls, ERR_PROTOCOL, "...as a protocol error");
	is_int(r.code.len, 0, "...and nothing kept");
	ok(r.state == NULL, "...no state kept");

	s = "/?code=&code=b";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "an empty code then another refused");
	s = "/?state=a&state=a";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "state twice refused");
	s = "/?code=a%0";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "a cut percent escape");
	s = "/?code=a%zz";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "a bad percent escape");
	s = "/?state=a%00b";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "%00 refused");
	is_int(oauth2_redirect_parse("/?state=ab\0c&code=x", 19, &r, &e), -1, "a raw NUL refused");
	ok(r.state == NULL && r.code.len == 0, "...and nothing kept");
	oauth2_redirect_release(&r);	/* each case from a fresh r, even if one fails */
	s = "/?code=a\x01" "b&state=s";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "a raw control character refused");
	oauth2_redirect_release(&r);
	s = "/?code=a\r\n&state=s";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "a raw CR LF refused");
	oauth2_redirect_release(&r);
	s = "/?code=a\x7f&state=s";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), -1, "a raw DEL refused");
	oauth2_redirect_release(&r);
	s = "/?error=%1b%5b31m&state=s";
	is_int(oauth2_redirect_parse(s, strlen(s), &r, &e), 0, "control characters decoded (shown escaped later)");
	is_str(r.error, "\x1b[31m", "...as they are");
	oauth2_redirect_release(&r);

	big = malloc(OAUTH2_REDIRECT_MAX + 2);
	memset(big, 'a', OAUTH2_REDIRECT_MAX + 1);
	memcpy(big, "/?code=", 7);
	big[OAUTH2_REDIRECT_MAX + 1] = '\0';
	is_int(oauth2_redirect_parse(big, OAUTH2_REDIRECT_MAX + 1, &r, &e), -1, "too long refused");
	is_int(oauth2_redirect_parse(big, OAUTH2_REDIRECT_MAX, &r, &e), 0, "the longest taken");
	is_int(r.code.len, OAUTH2_REDIRECT_MAX - 7, "...all of its code");
	oauth2_redirect_release(&r);
	free(big);
}

int main(void)
{
	test_pkce();
	test_state();
	test_url();
	test_request_line();
	test_redirect();
	return tap_done();
}
