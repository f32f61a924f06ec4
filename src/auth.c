/* auth.c - SASL PLAIN (RFC 4616) and LOGIN as step functions, and the
 * base64 the SMTP engine wraps them in (RFC 4954). */
#include "auth.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

const char *sasl_mech_name(enum sasl_mech m)
{
	switch (m) {
	case SASL_PLAIN:
		return "PLAIN";
	case SASL_LOGIN:
		return "LOGIN";
	case SASL_NONE:
		break;
	}
	return "none";
}

/* Whether the space-separated list holds mech (case-insensitively). */
static int S_offers(const char *list, const char *mech)
{
	size_t mlen = strlen(mech);
	const char *p = list;

	while (*p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == mlen && !strncasecmp(p, mech, n))
			return 1;
		p += n;
	}
	return 0;
}

int sasl_choose(enum auth_mode mode, const char *offered, enum sasl_mech *out,
		struct error *e)
{
	const char *want;

	*out = SASL_NONE;
	if (!offered)
		offered = "";
	switch (mode) {
	case AUTH_OFF:
		return 0;
	case AUTH_ON:
		if (S_offers(offered, "PLAIN"))
			*out = SASL_PLAIN;
		else if (S_offers(offered, "LOGIN"))
			*out = SASL_LOGIN;
		if (*out != SASL_NONE)
			return 0;
		want = "PLAIN or LOGIN";
		break;
	case AUTH_PLAIN:
		if (S_offers(offered, "PLAIN"))
			return (*out = SASL_PLAIN), 0;
		want = "PLAIN";
		break;
	case AUTH_LOGIN:
		if (S_offers(offered, "LOGIN"))
			return (*out = SASL_LOGIN), 0;
		want = "LOGIN";
		break;
	default:
		return error_set(e, ERR_INTERNAL, "unknown auth mode %d", (int)mode);
	}
	if (!offered[strspn(offered, " ")])
		return error_set(e, ERR_AUTH, "server offers no authentication mechanism; "
				 "wanted %s", want);
	return error_set(e, ERR_AUTH,
			 "server offers authentication by %.200s only, wanted %s; "
			 "set auth to one the server offers (postern supports PLAIN and LOGIN)",
			 offered, want);
}

void sasl_init(struct sasl *s, enum sasl_mech mech, const char *user, const char *pass)
{
	s->mech = mech;
	s->user = user ? user : "";
	s->pass = pass ? pass : "";
	s->step = 0;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, with an empty authzid. */
static void S_plain(const struct sasl *s, struct buf *out)
{
	/* one allocation: growing midway would free a partial copy unwiped */
	buf_grow(out, 2 + strlen(s->user) + strlen(s->pass));
	buf_add(out, "", 1);
	buf_adds(out, s->user);
	buf_add(out, "", 1);
	buf_adds(out, s->pass);
}

int sasl_initial(struct sasl *s, struct buf *out)
{
	if (s->mech != SASL_PLAIN)
		return 0;
	S_plain(s, out);
	s->step++;
	return 1;
}

int sasl_step(struct sasl *s, const unsigned char *chal, size_t len, struct buf *out,
	      struct error *e)
{
	switch (s->mech) {
	case SASL_PLAIN:
		/* Only the empty challenge that asks for the initial
		 * response (the client did not send it inline). */
		if (s->step > 0 || len > 0)
			return error_set(e, ERR_PROTOCOL,
					 "server sent an unexpected PLAIN challenge");
		S_plain(s, out);
		break;
	case SASL_LOGIN:
		/* The challenges ("Username:", "Password:") vary between
		 * servers; only their order is reliable. */
		if (s->step == 0)
			buf_adds(out, s->user);
		else if (s->step == 1)
			buf_adds(out, s->pass);
		else
			return error_set(e, ERR_PROTOCOL,
					 "server sent a third LOGIN challenge");
		break;
	default:
		return error_set(e, ERR_INTERNAL, "no SASL mechanism chosen");
	}
	s->step++;
	return 0;
}

void b64_encode(const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;

	/* EVP_EncodeBlock takes an int: go in chunks that keep the groups
	 * of 3 whole, so the output is the same as in one go. */
	while (len > 0) {
		size_t n = len > 3 * 16384 ? 3 * 16384 : len;
		size_t olen = 4 * ((n + 2) / 3);

		buf_grow(out, olen);
		EVP_EncodeBlock((unsigned char *)out->data + out->len, p, (int)n);
		out->len += olen;
		out->data[out->len] = '\0';
		p += n;
		len -= n;
	}
	if (!out->data)
		buf_add(out, "", 0);
}

static int S_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int b64_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t pad = 0, i;
	int n;

	if (!out->data)
		buf_add(out, "", 0);
	if (len == 0)
		return 0;
	/* EVP_DecodeBlock skips surrounding whitespace, accepts '=' in odd
	 * places and does not subtract the padding: check the shape here. */
	if (len % 4 != 0 || len > INT_MAX)
		return -1;
	if (p[len - 1] == '=')
		pad = p[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!S_b64_char(p[i]))
			return -1;
	buf_grow(out, len / 4 * 3);
	n = EVP_DecodeBlock((unsigned char *)out->data + out->len, p, (int)len);
	if (n < 0 || (size_t)n != len / 4 * 3) {
		out->data[out->len] = '\0';
		return -1;
	}
	out->len += (size_t)n - pad;
	out->data[out->len] = '\0';
	return 0;
}
