/* sasl.c - SASL as step functions: the table of mechanisms, the choice
 * among those a server offers, the exchange's state, and the simple
 * mechanisms: PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195).  SCRAM and
 * the OAuth ones live in sasl_scram.c and sasl_oauth.c. */
#include "sasl_mech.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* The one table of names: the configuration's (auth = ...) and the
 * wire's (AUTH ...).  "off" and "on" choose no mechanism by themselves. */
static const struct {
	enum sasl_mech mech;
	enum auth_mode mode;
	const char *name;	/* on the wire */
	const char *config;	/* auth = ... */
} mechs[] = {
	{ SASL_NONE, AUTH_OFF, NULL, "off" },
	{ SASL_NONE, AUTH_ON, NULL, "on" },
	{ SASL_PLAIN, AUTH_PLAIN, "PLAIN", "plain" },
	{ SASL_LOGIN, AUTH_LOGIN, "LOGIN", "login" },
	{ SASL_CRAM_MD5, AUTH_CRAM_MD5, "CRAM-MD5", "cram-md5" },
	{ SASL_SCRAM_SHA_1, AUTH_SCRAM_SHA_1, "SCRAM-SHA-1", "scram-sha-1" },
	{ SASL_SCRAM_SHA_256, AUTH_SCRAM_SHA_256, "SCRAM-SHA-256", "scram-sha-256" },
	{ SASL_XOAUTH2, AUTH_XOAUTH2, "XOAUTH2", "xoauth2" },
	{ SASL_OAUTHBEARER, AUTH_OAUTHBEARER, "OAUTHBEARER", "oauthbearer" },
	{ SASL_EXTERNAL, AUTH_EXTERNAL, "EXTERNAL", "external" },
};

#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

const char *sasl_mech_name(enum sasl_mech m)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (mechs[i].mech == m && mechs[i].name)
			return mechs[i].name;
	return "none";
}

const char *sasl_mode_name(enum auth_mode m)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (mechs[i].mode == m)
			return mechs[i].config;
	return "?";
}

int sasl_mode_parse(const char *name, enum auth_mode *out)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (!strcasecmp(name, mechs[i].config))
			return *out = mechs[i].mode, 0;
	return -1;
}

int sasl_mode_needs_password(enum auth_mode m)
{
	return m != AUTH_OFF && m != AUTH_EXTERNAL;
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
		for (i = 0; i < NMECHS && (mechs[i].mode != mode || !mechs[i].name); i++)
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
	else if (mode == AUTH_EXTERNAL)
		hint = "the server does not log in by client certificate here (or not before "
		       "TLS); if it relays for your certificate without AUTH, set auth = off "
		       "and keep tls_cert_file";
	else
		hint = "set auth to one the server offers (postern supports PLAIN, LOGIN, "
		       "CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER and EXTERNAL)";
	return error_set(e, ERR_AUTH, "server offers authentication by %.200s only, wanted %s; %s",
			 offered, want, hint);
}

void sasl_init(struct sasl *s, enum sasl_mech mech, const char *user, const char *pass)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->msg);
	s->mech = mech;
	s->user = user ? user : "";
	s->pass = pass ? pass : "";
}

void sasl_free_secret(char **p)
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
	sasl_free_secret(&s->prep_pass);
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

/* RFC 5802 5.1 saslname: ',' and '=' escaped as =2C and =3D. */
void sasl_saslname(const char *u, struct buf *out)
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

/* The initial response of s's mechanism: 1 (in out), 0 if none, -1. */
static int initial(struct sasl *s, struct buf *out, struct error *e)
{
	switch (s->mech) {
	case SASL_PLAIN:
		plain(s, out);
		return 1;
	case SASL_EXTERNAL:
		/* RFC 4422 A.1: the authorization identity, empty to act as
		 * whoever the certificate names (sent as "=") */
		buf_adds(out, s->user);
		return 1;
	case SASL_SCRAM_SHA_1:
	case SASL_SCRAM_SHA_256:
		return scram_first(s, out, e) < 0 ? -1 : 1;
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		return oauth_initial(s, out, e) < 0 ? -1 : 1;
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
	case SASL_EXTERNAL:
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
		if (s->mech == SASL_PLAIN || s->mech == SASL_EXTERNAL || s->step > 2 ||
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
	return error_set(e, ERR_AUTH, "%s", scram_impostor_msg);
}
