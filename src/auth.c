/* auth.c - SASL mechanisms as step functions: PLAIN (RFC 4616), LOGIN,
 * CRAM-MD5 (RFC 2195), SCRAM-SHA-1/-SHA-256 (RFC 5802, RFC 7677),
 * XOAUTH2 and OAUTHBEARER (RFC 7628); SASLprep (RFC 4013); and the base64
 * the SMTP engine wraps them in (RFC 4954). */
#include "auth.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#ifdef HAVE_LIBIDN
#include <stringprep.h>
#endif

static const struct {
	enum sasl_mech mech;
	enum auth_mode mode;
	const char *name;
} mechs[] = {
	{ SASL_PLAIN, AUTH_PLAIN, "PLAIN" },
	{ SASL_LOGIN, AUTH_LOGIN, "LOGIN" },
	{ SASL_CRAM_MD5, AUTH_CRAM_MD5, "CRAM-MD5" },
	{ SASL_SCRAM_SHA_1, AUTH_SCRAM_SHA_1, "SCRAM-SHA-1" },
	{ SASL_SCRAM_SHA_256, AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" },
	{ SASL_XOAUTH2, AUTH_XOAUTH2, "XOAUTH2" },
	{ SASL_OAUTHBEARER, AUTH_OAUTHBEARER, "OAUTHBEARER" },
};

#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

const char *sasl_mech_name(enum sasl_mech m)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (mechs[i].mech == m)
			return mechs[i].name;
	return "none";
}

/* Whether the space-separated list holds mech (case-insensitively). */
static int offers(const char *list, const char *mech)
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
	/* auth = on: strongest first.  CRAM-MD5 (MD5, and the server keeps
	 * the password) and the OAuth ones (a token, not a password) only
	 * when named. */
	static const enum sasl_mech best[] = {
		SASL_SCRAM_SHA_256, SASL_SCRAM_SHA_1, SASL_PLAIN, SASL_LOGIN,
	};
	const char *want, *hint;
	size_t i;

	*out = SASL_NONE;
	if (!offered)
		offered = "";
	if (mode == AUTH_OFF)
		return 0;
	if (mode == AUTH_ON) {
		for (i = 0; i < sizeof(best) / sizeof(best[0]); i++)
			if (offers(offered, sasl_mech_name(best[i])))
				return (*out = best[i]), 0;
		want = "SCRAM-SHA-256, SCRAM-SHA-1, PLAIN or LOGIN";
	} else {
		for (i = 0; i < NMECHS && mechs[i].mode != mode; i++)
			;
		if (i == NMECHS)
			return error_set(e, ERR_INTERNAL, "unknown auth mode %d", (int)mode);
		if (offers(offered, mechs[i].name))
			return (*out = mechs[i].mech), 0;
		want = mechs[i].name;
	}
	if (!offered[strspn(offered, " ")])
		return error_set(e, ERR_AUTH, "server offers no authentication mechanism; "
				 "wanted %s", want);
	if (mode == AUTH_ON && offers(offered, "CRAM-MD5"))
		hint = "CRAM-MD5 is only used when named: set auth = cram-md5 to allow it "
		       "(it rests on MD5, and the server keeps your password in the clear)";
	else if (mode == AUTH_ON && offers(offered, "OAUTHBEARER"))
		hint = "for OAuth set auth = oauthbearer and give the access token as the "
		       "password (password_command)";
	else if (mode == AUTH_ON && offers(offered, "XOAUTH2"))
		hint = "for OAuth set auth = xoauth2 and give the access token as the "
		       "password (password_command)";
	else
		hint = "set auth to one the server offers (postern supports PLAIN, LOGIN, "
		       "CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2 and OAUTHBEARER)";
	return error_set(e, ERR_AUTH, "server offers authentication by %.200s only, wanted %s; %s",
			 offered, want, hint);
}

void sasl_init(struct sasl *s, enum sasl_mech mech, const char *user, const char *pass)
{
	memset(s, 0, sizeof(*s));
	s->mech = mech;
	s->user = user ? user : "";
	s->pass = pass ? pass : "";
}

static void free_secret(char **p)
{
	if (*p) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void sasl_release(struct sasl *s)
{
	buf_wipe_release(&s->msg);
	free_secret(&s->prep_pass);
	OPENSSL_cleanse(s->server_sig, sizeof(s->server_sig));
	OPENSSL_cleanse(s->nonce, sizeof(s->nonce));
	s->server_sig_len = 0;
	s->done = 0;
}

void sasl_set_nonce(struct sasl *s, const char *nonce)
{
	size_t n = strlen(nonce);

	if (n > SASL_SCRAM_NONCE_LEN)
		n = SASL_SCRAM_NONCE_LEN;
	memcpy(s->nonce, nonce, n);
	s->nonce[n] = '\0';
	s->fixed_nonce = 1;
}

const char *sasl_error_detail(const struct sasl *s)
{
	return s->oauth_status[0] ? s->oauth_status : NULL;
}

/* ---- SASLprep (RFC 4013) ---- */

#ifdef HAVE_LIBIDN

int sasl_prep_complete(void)
{
	return 1;
}

int sasl_prep(const char *in, const char *what, char **out, struct error *e)
{
	char *o = NULL;
	/* flags 0: a query string (RFC 5802 5.1), unassigned code points allowed */
	int rc = stringprep_profile(in, &o, "SASLprep", 0);

	*out = NULL;
	if (rc != STRINGPREP_OK) {
		free(o);
		return error_set(e, ERR_CONFIG, "the %s cannot be used with SCRAM: SASLprep "
				 "(RFC 4013) refuses it (%s)", what, stringprep_strerror(rc));
	}
	*out = o;
	return 0;
}

#else

int sasl_prep_complete(void)
{
	return 0;
}

/* RFC 3454 C.1.2 (non-ASCII space characters) */
static int nonascii_space(long c)
{
	return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* RFC 3454 B.1 (commonly mapped to nothing) */
static int mapped_to_nothing(long c)
{
	return c == 0xad || c == 0x34f || c == 0x1806 || (c >= 0x180b && c <= 0x180d) ||
	       (c >= 0x200b && c <= 0x200d) || c == 0x2060 || (c >= 0xfe00 && c <= 0xfe0f) ||
	       c == 0xfeff;
}

/* RFC 3454 C.2.1, C.2.2 (control characters), C.3 (private use), C.8
 * (change display properties), C.9 (tagging), surrogates and
 * non-characters (C.4, C.5) */
static int prohibited(long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x6dd || c == 0x70f ||
	       c == 0x180e || (c >= 0x200c && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2063) || (c >= 0x206a && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffc) ||
	       (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe000 && c <= 0xf8ff) ||
	       c >= 0xf0000 || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe ||
	       (c >= 0xe0001 && c <= 0xe007f) || (c >= 0x340 && c <= 0x341);
}

int sasl_prep(const char *in, const char *what, char **out, struct error *e)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), i = 0;
	struct buf o = BUF_INIT_SECRET;

	*out = NULL;
	while (i < n) {
		size_t used;
		long c = utf8_decode(p + i, n - i, &used);

		if (c < 0) {
			buf_wipe_release(&o);
			return error_set(e, ERR_CONFIG, "the %s is not valid UTF-8", what);
		}
		if (nonascii_space(c)) {
			buf_add(&o, " ", 1);
		} else if (mapped_to_nothing(c)) {
			/* dropped */
		} else if (prohibited(c)) {
			buf_wipe_release(&o);
			return error_set(e, ERR_CONFIG, "the %s cannot be used with SCRAM: it "
					 "holds a character SASLprep (RFC 4013) prohibits "
					 "(a control character?)", what);
		} else {
			buf_add(&o, p + i, used);
		}
		i += used;
	}
	*out = buf_detach(&o);
	return 0;
}

#endif

/* ---- PLAIN ---- */

/* RFC 4616: [authzid] NUL authcid NUL passwd, with an empty authzid. */
static void plain(const struct sasl *s, struct buf *out)
{
	/* one allocation: growing midway would free a partial copy unwiped */
	buf_grow(out, 2 + strlen(s->user) + strlen(s->pass));
	buf_add(out, "", 1);
	buf_adds(out, s->user);
	buf_add(out, "", 1);
	buf_adds(out, s->pass);
}

/* ---- CRAM-MD5 ---- */

/* RFC 2195: user SP lowercase hex of HMAC-MD5(password, challenge). */
static int cram_md5(const struct sasl *s, const unsigned char *chal, size_t len,
		      struct buf *out, struct error *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	size_t need;

	if (len == 0)
		return error_set(e, ERR_PROTOCOL, "server sent an empty CRAM-MD5 challenge");
	if (!HMAC(EVP_md5(), s->pass, (int)strlen(s->pass), chal, len, mac, &mlen))
		return error_set(e, ERR_AUTH, "CRAM-MD5 is not available here (no MD5 in "
				 "this OpenSSL); set auth to another mechanism");
	need = strlen(s->user) + 1 + 2 * (size_t)mlen;
	buf_grow(out, need);
	buf_adds(out, s->user);
	buf_add(out, " ", 1);
	for (unsigned int i = 0; i < mlen; i++) {
		char h[2] = { hex[mac[i] >> 4], hex[mac[i] & 15] };

		buf_add(out, h, 2);
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

/* ---- SCRAM ---- */

static const EVP_MD *scram_md(const struct sasl *s)
{
	return s->mech == SASL_SCRAM_SHA_1 ? EVP_sha1() : EVP_sha256();
}

/* RFC 5802 5.1 saslname: ',' and '=' escaped as =2C and =3D. */
static void saslname(const char *u, struct buf *out)
{
	for (; *u; u++) {
		if (*u == ',')
			buf_adds(out, "=2C");
		else if (*u == '=')
			buf_adds(out, "=3D");
		else
			buf_add(out, u, 1);
	}
}

/* client-first-message: gs2 header "n,," (no channel binding, no authzid)
 * and client-first-bare "n=user,r=nonce", which is kept for AuthMessage. */
static int scram_first(struct sasl *s, struct buf *out, struct error *e)
{
	unsigned char rnd[SASL_SCRAM_NONCE_LEN / 4 * 3];
	char *user = NULL;

	if (sasl_prep(s->user, "user name", &user, e) < 0)
		return -1;
	free_secret(&s->prep_pass);
	if (sasl_prep(s->pass, "password", &s->prep_pass, e) < 0) {
		free(user);
		return -1;
	}
	if (!s->fixed_nonce) {
		/* base64 of random bytes: printable and never a ',' */
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			free(user);
			return error_set(e, ERR_INTERNAL, "no random numbers for the SCRAM nonce "
					 "(OpenSSL RAND_bytes failed)");
		}
		EVP_EncodeBlock((unsigned char *)s->nonce, rnd, (int)sizeof(rnd));
		OPENSSL_cleanse(rnd, sizeof(rnd));
	}
	buf_wipe_release(&s->msg);
	buf_adds(&s->msg, "n=");
	saslname(user, &s->msg);
	buf_adds(&s->msg, ",r=");
	buf_adds(&s->msg, s->nonce);
	buf_adds(out, "n,,");
	buf_add(out, s->msg.data, s->msg.len);
	free(user);
	return 0;
}

/* The value of attribute "k=" at *p (up to the next ',' or the end of
 * [*p, end)); moves *p past it and its ','.  NULL if the attribute there
 * is another one. */
static const char *attr(const char **p, const char *end, char k, size_t *vlen)
{
	const char *v, *q;

	if (end - *p < 2 || (*p)[0] != k || (*p)[1] != '=')
		return NULL;
	v = *p + 2;
	for (q = v; q < end && *q != ','; q++)
		;
	*vlen = (size_t)(q - v);
	*p = q < end ? q + 1 : q;
	return v;
}

/* Printable ASCII but ',' (RFC 5802 7, "printable"). */
static int printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
			return 0;
	return 1;
}

static int hmac(const EVP_MD *md, const void *key, size_t klen, const void *d, size_t dlen,
		  unsigned char *mac)
{
	unsigned int mlen;

	return HMAC(md, key, (int)klen, d, dlen, mac, &mlen) != NULL ? 0 : -1;
}

/* server-first-message -> client-final-message (RFC 5802 3). */
static int scram_final(struct sasl *s, const char *chal, size_t len, struct buf *out,
			 struct error *e)
{
	const EVP_MD *md = scram_md(s);
	const char *p = chal, *end = chal + len, *r, *salt, *iter;
	size_t rlen, slen, ilen, nlen = strlen(s->nonce), mdlen = (size_t)EVP_MD_size(md);
	unsigned char sp[EVP_MAX_MD_SIZE], ck[EVP_MAX_MD_SIZE], sk[EVP_MAX_MD_SIZE];
	unsigned char cs[EVP_MAX_MD_SIZE], proof[EVP_MAX_MD_SIZE], svk[EVP_MAX_MD_SIZE];
	struct buf saltb = BUF_INIT;
	unsigned long iters = 0;
	int rc = -1;

	if (memchr(chal, '\0', len))
		return error_set(e, ERR_PROTOCOL, "SCRAM server-first message holds a NUL byte");
	if (len >= 2 && chal[0] == 'm' && chal[1] == '=')
		return error_set(e, ERR_PROTOCOL, "server requires a SCRAM extension (m=) that "
				 "postern does not support");
	r = attr(&p, end, 'r', &rlen);
	if (!r || !printable(r, rlen))
		return error_set(e, ERR_PROTOCOL, "SCRAM server-first message lacks the nonce (r=)");
	if (rlen < nlen || memcmp(r, s->nonce, nlen))
		return error_set(e, ERR_PROTOCOL, "SCRAM server nonce does not start with ours "
				 "(replay or tampering); refusing");
	salt = attr(&p, end, 's', &slen);
	if (!salt || slen == 0 || b64_decode(salt, slen, &saltb) < 0 || saltb.len == 0) {
		buf_release(&saltb);
		return error_set(e, ERR_PROTOCOL, "SCRAM server-first message has no valid "
				 "salt (s=)");
	}
	iter = attr(&p, end, 'i', &ilen);
	if (!iter || ilen == 0 || ilen > 9 || strspn(iter, "0123456789") < ilen) {
		buf_release(&saltb);
		return error_set(e, ERR_PROTOCOL, "SCRAM server-first message has no valid "
				 "iteration count (i=)");
	}
	for (size_t k = 0; k < ilen; k++)
		iters = iters * 10 + (unsigned long)(iter[k] - '0');
	if (iters < 1 || iters > SASL_SCRAM_ITER_MAX) {
		buf_release(&saltb);
		return error_set(e, ERR_PROTOCOL, "SCRAM iteration count %lu out of range "
				 "(1 to %d): refusing to burn CPU for a server", iters,
				 SASL_SCRAM_ITER_MAX);
	}
	/* anything after i= is an extension (RFC 5802 7): ignored */

	if (!s->prep_pass || PKCS5_PBKDF2_HMAC(s->prep_pass, (int)strlen(s->prep_pass),
					       (const unsigned char *)saltb.data, (int)saltb.len,
					       (int)iters, md, (int)mdlen, sp) != 1) {
		error_set(e, ERR_INTERNAL, "SCRAM: PBKDF2 failed");
		goto out;
	}
	/* AuthMessage = client-first-bare "," server-first "," c-final-without-proof */
	buf_add(&s->msg, ",", 1);
	buf_add(&s->msg, chal, len);
	buf_adds(&s->msg, ",c=biws,r=");
	buf_add(&s->msg, r, rlen);
	if (hmac(md, sp, mdlen, "Client Key", 10, ck) < 0 ||
	    EVP_Digest(ck, mdlen, sk, NULL, md, NULL) != 1 ||
	    hmac(md, sk, mdlen, s->msg.data, s->msg.len, cs) < 0 ||
	    hmac(md, sp, mdlen, "Server Key", 10, svk) < 0 ||
	    hmac(md, svk, mdlen, s->msg.data, s->msg.len, s->server_sig) < 0) {
		error_set(e, ERR_INTERNAL, "SCRAM: HMAC failed");
		goto out;
	}
	s->server_sig_len = mdlen;
	for (size_t k = 0; k < mdlen; k++)
		proof[k] = ck[k] ^ cs[k];
	buf_adds(out, "c=biws,r=");
	buf_add(out, r, rlen);
	buf_adds(out, ",p=");
	b64_encode(proof, mdlen, out);
	rc = 0;
out:
	OPENSSL_cleanse(sp, sizeof(sp));
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(cs, sizeof(cs));
	OPENSSL_cleanse(svk, sizeof(svk));
	OPENSSL_cleanse(proof, sizeof(proof));
	free_secret(&s->prep_pass);
	buf_release(&saltb);
	return rc;
}

static const char impostor_msg[] =
	"SCRAM server signature wrong: possible impostor (the server could not prove that "
	"it knows your password; someone may be intercepting the connection); not sending";

/* server-final-message: "v=" ServerSignature, or "e=" an error. */
static int scram_verify(struct sasl *s, const char *data, size_t len, struct error *e)
{
	const char *p = data, *end = data + len, *v;
	struct buf sig = BUF_INIT;
	size_t vlen;
	int good;

	if ((v = attr(&p, end, 'e', &vlen))) {
		char why[64];
		size_t k;

		for (k = 0; k < vlen && k + 1 < sizeof(why); k++)
			why[k] = v[k] >= 0x20 && v[k] < 0x7f ? v[k] : '?';
		why[k] = '\0';
		return error_set(e, ERR_AUTH, "server refused the SCRAM exchange: %s", why);
	}
	v = attr(&p, end, 'v', &vlen);
	good = v && s->server_sig_len > 0 && b64_decode(v, vlen, &sig) == 0 &&
	       sig.len == s->server_sig_len &&
	       CRYPTO_memcmp(sig.data, s->server_sig, sig.len) == 0;
	buf_release(&sig);
	if (!good)
		return error_set(e, ERR_AUTH, "%s", impostor_msg);
	s->done = 1;
	return 0;
}

/* ---- OAuth ---- */

static int has_ctl(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A.
 * OAUTHBEARER (RFC 7628 3.1): gs2 header "n,a=" saslname "," then
 * ^A "auth=Bearer " token ^A ^A (host and port are optional). */
static int oauth(const struct sasl *s, struct buf *out, struct error *e)
{
	if (!*s->pass)
		return error_set(e, ERR_CONFIG, "the OAuth access token (the password) is empty; "
				 "check password_command");
	if (has_ctl(s->pass) || strchr(s->pass, ' '))
		return error_set(e, ERR_CONFIG, "the OAuth access token (the password) holds a "
				 "space or control character; check password_command");
	if (has_ctl(s->user))
		return error_set(e, ERR_CONFIG, "the user name holds a control character");
	/* one allocation: growing after the token is in would leave a copy */
	buf_grow(out, 3 * strlen(s->user) + strlen(s->pass) + 32);
	if (s->mech == SASL_XOAUTH2) {
		buf_adds(out, "user=");
		buf_adds(out, s->user);
	} else {
		buf_adds(out, "n,a=");
		saslname(s->user, out);
		buf_adds(out, ",");
	}
	buf_adds(out, "\001auth=Bearer ");
	buf_adds(out, s->pass);
	buf_adds(out, "\001\001");
	return 0;
}

/* RFC 7628 3.2.2: the error is JSON with a "status" member.  Keep its value
 * (untrusted: only harmless characters, bounded) for the error message. */
static void oauth_error(struct sasl *s, const unsigned char *chal, size_t len)
{
	static const char key[] = "\"status\"";
	const char *p = (const char *)chal, *end = p + len;
	size_t n = 0;
	char val[40];

	snprintf(s->oauth_status, sizeof(s->oauth_status), "an error without a status");
	for (; end - p >= (long)sizeof(key) - 1; p++)
		if (!memcmp(p, key, sizeof(key) - 1))
			break;
	if (end - p < (long)sizeof(key) - 1)
		return;
	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ':'))
		p++;
	if (p < end && *p == '"')
		p++;
	while (p < end && n + 1 < sizeof(val) &&
	       ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
		val[n++] = *p++;
	val[n] = '\0';
	if (n)
		snprintf(s->oauth_status, sizeof(s->oauth_status), "status %s", val);
}

/* ---- the steps ---- */

/* The initial response of s's mechanism: 1 (in out), 0 if none, -1. */
static int initial(struct sasl *s, struct buf *out, struct error *e)
{
	switch (s->mech) {
	case SASL_PLAIN:
		plain(s, out);
		return 1;
	case SASL_SCRAM_SHA_1:
	case SASL_SCRAM_SHA_256:
		return scram_first(s, out, e) < 0 ? -1 : 1;
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		return oauth(s, out, e) < 0 ? -1 : 1;
	case SASL_LOGIN:
	case SASL_CRAM_MD5:
	case SASL_NONE:
		break;
	}
	return 0;
}

int sasl_initial(struct sasl *s, struct buf *out, struct error *e)
{
	int rc = initial(s, out, e);

	if (rc == 1)
		s->step++;
	return rc;
}

int sasl_step(struct sasl *s, const unsigned char *chal, size_t len, struct buf *out,
	      struct error *e)
{
	const char *name = sasl_mech_name(s->mech);

	switch (s->mech) {
	case SASL_PLAIN:
	case SASL_SCRAM_SHA_1:
	case SASL_SCRAM_SHA_256:
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		if (s->step == 0) {
			/* Only the empty challenge that asks for the initial
			 * response (the client did not send it inline). */
			if (len > 0)
				return error_set(e, ERR_PROTOCOL,
						 "server sent an unexpected %s challenge", name);
			if (initial(s, out, e) < 0)
				return -1;
			break;
		}
		if (s->mech == SASL_PLAIN || s->step > 2 ||
		    (s->step > 1 && (s->mech == SASL_XOAUTH2 || s->mech == SASL_OAUTHBEARER)))
			return error_set(e, ERR_PROTOCOL,
					 "server sent an unexpected %s challenge", name);
		if (s->mech == SASL_XOAUTH2 || s->mech == SASL_OAUTHBEARER) {
			/* The error continuation: answer so that the server
			 * can send its failure reply (RFC 7628 3.2.3). */
			oauth_error(s, chal, len);
			if (s->mech == SASL_OAUTHBEARER)
				buf_add(out, "\001", 1);
		} else if (s->step == 1) {
			if (scram_final(s, (const char *)chal, len, out, e) < 0)
				return -1;
		} else {
			if (scram_verify(s, (const char *)chal, len, e) < 0)
				return -1;
			/* the empty response that lets the server say 235 */
		}
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
	case SASL_CRAM_MD5:
		if (s->step > 0)
			return error_set(e, ERR_PROTOCOL,
					 "server sent a second CRAM-MD5 challenge");
		if (cram_md5(s, chal, len, out, e) < 0)
			return -1;
		break;
	default:
		return error_set(e, ERR_INTERNAL, "no SASL mechanism chosen");
	}
	s->step++;
	return 0;
}

int sasl_finish(struct sasl *s, const unsigned char *data, size_t len, struct error *e)
{
	if (s->mech != SASL_SCRAM_SHA_1 && s->mech != SASL_SCRAM_SHA_256)
		return 0;
	if (s->done)
		return 0;
	/* the server-final message as additional data with the 235 */
	if (s->step == 2 && data && len > 0)
		return scram_verify(s, (const char *)data, len, e);
	return error_set(e, ERR_AUTH, "%s", impostor_msg);
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
}

static int b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int b64_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t pad = 0, i;
	int n;

	if (len == 0)
		return 0;
	/* EVP_DecodeBlock skips surrounding whitespace, accepts '=' in odd
	 * places and does not subtract the padding: check the shape here. */
	if (len % 4 != 0 || len > INT_MAX)
		return -1;
	if (p[len - 1] == '=')
		pad = p[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!b64_char(p[i]))
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
