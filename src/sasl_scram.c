/* sasl_scram.c - SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677): the
 * client nonce, the proof from PBKDF2 over the SASLprep'd password, and the
 * server signature, which proves the server knows the password too.  The
 * iteration count is capped (SASL_SCRAM_ITER_MAX). */
#include "sasl_mech.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base64.h"
#include "saslprep.h"

static const EVP_MD *scram_md(const struct sasl *s)
{
	return s->mech == SASL_SCRAM_SHA_1 ? EVP_sha1() : EVP_sha256();
}

/* client-first-message: gs2 header "n,," (no channel binding, no authzid)
 * and client-first-bare "n=user,r=nonce", which is kept for AuthMessage. */
int scram_first(struct sasl *s, struct buf *out, struct error *e)
{
	unsigned char rnd[SASL_SCRAM_NONCE_LEN / 4 * 3];
	char *user = NULL;

	if (sasl_prep(s->user, "user name", &user, e) < 0)
		return -1;
	sasl_free_secret(&s->prep_pass);
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
	sasl_saslname(user, &s->msg);
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
int scram_final(struct sasl *s, const char *chal, size_t len, struct buf *out,
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
	sasl_free_secret(&s->prep_pass);
	buf_release(&saltb);
	return rc;
}

const char scram_impostor_msg[] =
	"SCRAM server signature wrong: possible impostor (the server could not prove that "
	"it knows your password; someone may be intercepting the connection); not sending";

/* server-final-message: "v=" ServerSignature, or "e=" an error. */
int scram_verify(struct sasl *s, const char *data, size_t len, struct error *e)
{
	const char *p = data, *end = data + len, *v;
	struct buf sig = BUF_INIT;
	size_t vlen;
	int good;

	if ((v = attr(&p, end, 'e', &vlen))) {
		char why[64];

		str_escape(why, sizeof(why), v, vlen);
		return error_set(e, ERR_AUTH, "server refused the SCRAM exchange: %s", why);
	}
	v = attr(&p, end, 'v', &vlen);
	good = v && s->server_sig_len > 0 && b64_decode(v, vlen, &sig) == 0 &&
	       sig.len == s->server_sig_len &&
	       CRYPTO_memcmp(sig.data, s->server_sig, sig.len) == 0;
	buf_release(&sig);
	if (!good)
		return error_set(e, ERR_AUTH, "%s", scram_impostor_msg);
	s->done = 1;
	return 0;
}
