/* oauth2_flow.c - PKCE, the authorization URL, the redirect's query. */
#include "oauth2_flow.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base64.h"
#include "oauth2.h"

/* base64url (RFC 4648 5) without padding, from the standard coder. */
static void b64url(const unsigned char *in, size_t len, struct buf *out)
{
	size_t start = out->len;

	b64_encode(in, len, out);
	while (out->len > start && out->data[out->len - 1] == '=')
		out->data[--out->len] = '\0';
	for (size_t i = start; i < out->len; i++) {
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	}
}

void oauth2_pkce_challenge(const char *verifier, size_t len, char out[OAUTH2_PKCE_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct buf b = BUF_INIT;

	EVP_Digest(verifier, len, md, &mdlen, EVP_sha256(), NULL);
	b64url(md, mdlen, &b);
	memcpy(out, b.data, OAUTH2_PKCE_LEN);
	out[OAUTH2_PKCE_LEN] = '\0';
	buf_release(&b);
}

int oauth2_pkce_new(struct buf *v, char challenge[OAUTH2_PKCE_LEN + 1], struct error *e)
{
	unsigned char rnd[32];

	buf_reset(v);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return error_set(e, ERR_OS, "the random generator failed (PKCE verifier)");
	b64url(rnd, sizeof(rnd), v);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	oauth2_pkce_challenge(v->data, v->len, challenge);
	return 0;
}

int oauth2_state_new(char out[23], struct error *e)
{
	unsigned char rnd[16];
	struct buf b = BUF_INIT;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return error_set(e, ERR_OS, "the random generator failed (state)");
	b64url(rnd, sizeof(rnd), &b);
	memcpy(out, b.data, 22);
	out[22] = '\0';
	buf_release(&b);
	return 0;
}

char *oauth2_auth_url(const struct oauth2_auth_request *r)
{
	struct buf b = BUF_INIT, q = BUF_INIT;

	/* the query is encoded as a form is (RFC 6749 4.1.1, appendix B) */
	oauth2_form_add(&q, "response_type", "code");
	oauth2_form_add(&q, "client_id", r->client_id);
	oauth2_form_add(&q, "redirect_uri", r->redirect_uri);
	if (r->scope && *r->scope)
		oauth2_form_add(&q, "scope", r->scope);
	oauth2_form_add(&q, "state", r->state);
	oauth2_form_add(&q, "code_challenge", r->challenge);
	oauth2_form_add(&q, "code_challenge_method", "S256");
	if (r->offline) {
		oauth2_form_add(&q, "access_type", "offline");
		oauth2_form_add(&q, "prompt", "consent");
	}
	buf_adds(&b, r->endpoint);
	buf_adds(&b, strchr(r->endpoint, '?') ? "&" : "?");
	buf_add(&b, q.data, q.len);
	buf_release(&q);
	return buf_detach(&b);
}

void oauth2_redirect_init(struct oauth2_redirect *r)
{
	memset(r, 0, sizeof(*r));
	buf_init_secret(&r->code);
}

void oauth2_redirect_release(struct oauth2_redirect *r)
{
	buf_release(&r->code);
	free(r->state);
	free(r->error);
	free(r->error_description);
	oauth2_redirect_init(r);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) (form rules: '+' is a space) into out.  -1 for a
 * bad escape or an escaped NUL, which no C string may carry. */
static int decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			if (!c)
				return -1;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		buf_add(out, &c, 1);
	}
	return 0;
}

/* One of the four parameters, decoded into its place; -1 given twice or
 * badly encoded. */
static int take_param(struct oauth2_redirect *r, const char *name, size_t nlen,
		      const char *val, size_t vlen)
{
	struct buf tmp = BUF_INIT;
	char **slot = NULL;

#define NAME_IS(lit) (nlen == sizeof(lit) - 1 && !memcmp(name, lit, nlen))
	if (NAME_IS("code")) {
		if (r->code.len || r->has_query & 1)
			return -1;
		r->has_query |= 1;
		return decode(val, vlen, &r->code);
	}
	if (NAME_IS("state"))
		slot = &r->state;
	else if (NAME_IS("error"))
		slot = &r->error;
	else if (NAME_IS("error_description"))
		slot = &r->error_description;
	else
		return 0;
#undef NAME_IS
	if (*slot || decode(val, vlen, &tmp)) {
		buf_release(&tmp);
		return -1;
	}
	*slot = buf_detach(&tmp);
	r->has_query |= 2;
	return 0;
}

int oauth2_redirect_parse(const char *s, size_t len, struct oauth2_redirect *r, struct error *e)
{
	const char *q, *end;

	if (len > OAUTH2_REDIRECT_MAX)
		return error_set(e, ERR_PROTOCOL, "the redirect is longer than %d bytes",
				 OAUTH2_REDIRECT_MAX);
	/* A URL holds no raw control character; a NUL would cut a value short
	 * where it is compared (the state) or used (the code). */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return error_set(e, ERR_PROTOCOL, "the redirect holds a control character");
	end = memchr(s, '#', len);
	if (!end)
		end = s + len;
	q = memchr(s, '?', (size_t)(end - s));
	if (!q)
		return 0;
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;

		if (!amp)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq && take_param(r, p, (size_t)(eq - p), eq + 1, (size_t)(amp - eq - 1))) {
			oauth2_redirect_release(r);
			return error_set(e, ERR_PROTOCOL, "the redirect's query has a bad percent "
					 "escape or a parameter twice");
		}
		p = amp + 1;
	}
	r->has_query = r->has_query != 0;
	return 0;
}

long oauth2_request_target(const char *req, size_t len, const char **target, int *complete)
{
	const char *nl = memchr(req, '\n', len), *sp, *line_end;

	*complete = nl != NULL;
	if (!nl)
		return -1;
	line_end = nl > req && nl[-1] == '\r' ? nl - 1 : nl;
	if ((size_t)(line_end - req) < 4 || memcmp(req, "GET ", 4))
		return -1;
	sp = memchr(req + 4, ' ', (size_t)(line_end - req - 4));
	if (!sp || sp == req + 4 || (size_t)(line_end - sp - 1) != 8 || memcmp(sp + 1, "HTTP/1.", 7))
		return -1;
	for (const char *p = req + 4; p < sp; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -1;
	*target = req + 4;
	return (long)(sp - req - 4);
}

int oauth2_state_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}
