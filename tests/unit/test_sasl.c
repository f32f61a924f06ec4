/* test_sasl.c - SASL PLAIN (RFC 4616 vectors), LOGIN, CRAM-MD5 (RFC 2195),
 * SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) vectors with their
 * malformed variants, XOAUTH2 and OAUTHBEARER (RFC 7628), SASLprep
 * (RFC 4013), mechanism choice, and base64 (RFC 4648 vectors and malformed
 * input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "saslprep.h"
#include "tap.h"

static void test_b64_vectors(void)
{
	/* RFC 4648 10 */
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b = BUF_INIT;

		b64_encode(v[i][0], strlen(v[i][0]), &b);
		is_str(b.data, v[i][1], "encode RFC 4648 vector");
		buf_reset(&b);
		is_int(b64_decode(v[i][1], strlen(v[i][1]), &b), 0, "decode RFC 4648 vector");
		is_int(b.len, strlen(v[i][0]), "decoded length subtracts the padding");
		is_str(b.data, v[i][0], "decoded text");
		buf_release(&b);
	}
}

static void test_b64_binary(void)
{
	unsigned char all[256];
	struct buf enc = BUF_INIT, dec = BUF_INIT;

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t n = 0; n <= 256; n += 85) {
		buf_reset(&enc);
		buf_reset(&dec);
		b64_encode(all, n, &enc);
		ok(b64_decode(enc.data, enc.len, &dec) == 0 && dec.len == n &&
		   !memcmp(dec.data, all, n), "binary round trip of %zu octets", n);
	}
	/* appends rather than replaces */
	buf_reset(&enc);
	buf_adds(&enc, "x:");
	b64_encode("a", 1, &enc);
	is_str(enc.data, "x:YQ==", "encode appends");
	buf_release(&enc);
	buf_release(&dec);
}

static void test_b64_malformed(void)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zg===", "Z===", "====", "=Zg=", "Zg==Zg==", "Zm=v", "Zm9!",
		" Zm9v", "Zm9v ", "Zm9v\n", "Zm9v\r\n", "Zm 9v", "Zm9-", "Zm9_", "Zm9v=",
		"\x80Zm9", "Zg=a",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;

		ok(b64_decode(bad[i], strlen(bad[i]), &b) == -1, "malformed base64 %zu rejected", i);
		buf_release(&b);
	}
}

/* RFC 4422 appendix A: EXTERNAL sends the authorization identity, empty
 * for "whoever the certificate names"; no password is involved. */
static void test_external(void)
{
	struct sasl s;
	struct buf raw = BUF_INIT;
	struct error e;
	enum sasl_mech m;

	is_int(sasl_choose(AUTH_EXTERNAL, "PLAIN EXTERNAL", &m, &e), 0, "external asked");
	is_int(m, SASL_EXTERNAL, "EXTERNAL chosen");
	is_int(sasl_choose(AUTH_ON, "EXTERNAL", &m, &e), -1, "auth = on never picks EXTERNAL");
	is_int(sasl_choose(AUTH_EXTERNAL, "PLAIN LOGIN", &m, &e), -1, "external asked, not offered");
	ok(strstr(e.msg, "wanted EXTERNAL") && strstr(e.msg, "set auth = off and keep tls_cert_file"),
	   "not offered: says what to do (%s)", e.msg);
	is_str(sasl_mech_name(SASL_EXTERNAL), "EXTERNAL", "name EXTERNAL");
	is_str(sasl_mode_name(AUTH_EXTERNAL), "external", "mode name external");
	is_int(sasl_mode_needs_password(AUTH_EXTERNAL), 0, "external needs no password");
	is_int(sasl_mode_needs_password(AUTH_OFF), 0, "off needs no password");
	is_int(sasl_mode_needs_password(AUTH_ON), 1, "on needs a password");
	is_int(sasl_mode_needs_password(AUTH_OAUTHBEARER), 1, "oauthbearer needs a token");

	sasl_init(&s, SASL_EXTERNAL, NULL, NULL);
	is_int(sasl_initial(&s, &raw, &e), 1, "EXTERNAL has an initial response");
	is_int(raw.len, 0, "no user: the empty authorization identity");
	buf_reset(&raw);
	is_int(sasl_step(&s, (const unsigned char *)"", 0, &raw, &e), -1,
	       "no challenge after the initial response");
	sasl_release(&s);

	sasl_init(&s, SASL_EXTERNAL, "alice@example.org", NULL);
	buf_reset(&raw);
	is_int(sasl_step(&s, (const unsigned char *)"", 0, &raw, &e), 0, "answer empty 334");
	ok(raw.len == 17 && !memcmp(raw.data, "alice@example.org", 17), "user as the authzid");
	sasl_release(&s);
	buf_release(&raw);
}

static void test_plain(void)
{
	struct sasl s;
	struct buf raw = BUF_INIT, enc = BUF_INIT;
	struct error e;

	/* RFC 4616 4: "\0tim\0tanstaaftanstaaf" (no authzid) */
	sasl_init(&s, SASL_PLAIN, "tim", "tanstaaftanstaaf");
	is_int(sasl_initial(&s, &raw, &e), 1, "PLAIN has an initial response");
	ok(raw.len == 21 && !memcmp(raw.data, "\0tim\0tanstaaftanstaaf", 21),
	   "RFC 4616 message");
	b64_encode(raw.data, raw.len, &enc);
	is_str(enc.data, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "RFC 4616 message in base64");
	buf_reset(&raw);
	is_int(sasl_step(&s, (const unsigned char *)"", 0, &raw, &e), -1,
	       "no challenge after the initial response");

	/* not sent inline: the empty 334 asks for it */
	sasl_init(&s, SASL_PLAIN, "tim", "tanstaaftanstaaf");
	buf_reset(&raw);
	is_int(sasl_step(&s, (const unsigned char *)"", 0, &raw, &e), 0, "answer empty 334");
	is_int(raw.len, 21, "same message as the initial response");
	buf_reset(&raw);
	sasl_init(&s, SASL_PLAIN, "tim", "x");
	is_int(sasl_step(&s, (const unsigned char *)"hi", 2, &raw, &e), -1,
	       "non-empty PLAIN challenge refused");
	is_int(e.cls, ERR_PROTOCOL, "as a protocol error");

	/* UTF-8 passes through untouched */
	sasl_init(&s, SASL_PLAIN, "j\xc3\xb6rg", "p\xc3\xa4ss");
	buf_reset(&raw);
	sasl_initial(&s, &raw, &e);
	ok(raw.len == 12 && !memcmp(raw.data, "\0j\xc3\xb6rg\0p\xc3\xa4ss", 12), "UTF-8 kept");
	buf_wipe_release(&raw);
	buf_release(&enc);
}

static void test_login(void)
{
	struct sasl s;
	struct buf out = BUF_INIT;
	struct error e;

	sasl_init(&s, SASL_LOGIN, "alice", "secret");
	is_int(sasl_initial(&s, &out, &e), 0, "LOGIN has no initial response");
	is_int(out.len, 0, "nothing written");
	is_int(sasl_step(&s, (const unsigned char *)"Username:", 9, &out, &e), 0, "first step");
	is_str(out.data, "alice", "user first");
	buf_reset(&out);
	is_int(sasl_step(&s, (const unsigned char *)"Password:", 9, &out, &e), 0, "second step");
	is_str(out.data, "secret", "password second");
	buf_reset(&out);
	is_int(sasl_step(&s, (const unsigned char *)"More:", 5, &out, &e), -1, "third refused");
	/* some servers send other prompts: the order is what counts */
	sasl_init(&s, SASL_LOGIN, "alice", "secret");
	buf_reset(&out);
	sasl_step(&s, (const unsigned char *)"User Name\0", 10, &out, &e);
	is_str(out.data, "alice", "odd prompt still gets the user");
	buf_wipe_release(&out);
}

static void test_choose(void)
{
	enum sasl_mech m;
	struct error e;

	is_int(sasl_choose(AUTH_ON, "LOGIN PLAIN", &m, &e), 0, "on: both offered");
	is_int(m, SASL_PLAIN, "on prefers PLAIN to LOGIN");
	is_int(sasl_choose(AUTH_ON, "CRAM-MD5 login", &m, &e), 0, "on: LOGIN only");
	is_int(m, SASL_LOGIN, "on falls back to LOGIN, case-insensitively");
	is_int(sasl_choose(AUTH_ON, "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256", &m, &e), 0,
	       "on: Dovecot's list");
	is_int(m, SASL_SCRAM_SHA_256, "on prefers SCRAM-SHA-256");
	is_int(sasl_choose(AUTH_ON, "LOGIN scram-sha-1 PLAIN", &m, &e), 0, "on: SCRAM-SHA-1");
	is_int(m, SASL_SCRAM_SHA_1, "on prefers SCRAM-SHA-1 to PLAIN");
	is_int(sasl_choose(AUTH_ON, "SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS PLAIN", &m, &e), 0,
	       "on: only -PLUS variants of SCRAM");
	is_int(m, SASL_PLAIN, "-PLUS (channel binding) is not SCRAM without it");
	is_int(sasl_choose(AUTH_ON, "CRAM-MD5", &m, &e), -1, "on: CRAM-MD5 only");
	is_int(e.cls, ERR_AUTH, "auth error");
	ok(strstr(e.msg, "CRAM-MD5") && strstr(e.msg, "auth = cram-md5"),
	   "message says to set auth = cram-md5");
	is_int(sasl_choose(AUTH_ON, "XOAUTH2 OAUTHBEARER", &m, &e), -1, "on never picks OAuth");
	ok(strstr(e.msg, "auth = oauthbearer") != NULL, "message names auth = oauthbearer");
	is_int(sasl_choose(AUTH_ON, "GSSAPI NTLM", &m, &e), -1, "on: nothing usable");
	ok(strstr(e.msg, "GSSAPI NTLM") != NULL, "message names what was offered");
	is_int(sasl_choose(AUTH_LOGIN, "PLAIN LOGIN", &m, &e), 0, "login asked");
	is_int(m, SASL_LOGIN, "login chosen");
	is_int(sasl_choose(AUTH_CRAM_MD5, "PLAIN CRAM-MD5", &m, &e), 0, "cram-md5 asked");
	is_int(m, SASL_CRAM_MD5, "cram-md5 chosen when named");
	is_int(sasl_choose(AUTH_SCRAM_SHA_1, "SCRAM-SHA-256 SCRAM-SHA-1", &m, &e), 0, "sha-1 asked");
	is_int(m, SASL_SCRAM_SHA_1, "SCRAM-SHA-1 chosen when named");
	is_int(sasl_choose(AUTH_SCRAM_SHA_256, "SCRAM-SHA-1 PLAIN", &m, &e), -1,
	       "scram-sha-256 asked, not offered");
	ok(strstr(e.msg, "wanted SCRAM-SHA-256") != NULL, "message names the wanted one");
	is_int(sasl_choose(AUTH_XOAUTH2, "XOAUTH2", &m, &e), 0, "xoauth2 asked");
	is_int(m, SASL_XOAUTH2, "XOAUTH2 chosen");
	is_int(sasl_choose(AUTH_OAUTHBEARER, "oauthbearer", &m, &e), 0, "oauthbearer asked");
	is_int(m, SASL_OAUTHBEARER, "OAUTHBEARER chosen");
	is_int(sasl_choose(AUTH_PLAIN, "LOGIN", &m, &e), -1, "plain asked, not offered");
	is_int(sasl_choose(AUTH_PLAIN, "PLAINX XPLAIN", &m, &e), -1, "whole words only");
	is_int(sasl_choose(AUTH_PLAIN, "", &m, &e), -1, "nothing offered");
	is_int(sasl_choose(AUTH_OFF, "", &m, &e), 0, "off needs nothing");
	is_int(m, SASL_NONE, "off: no mechanism");
	is_str(sasl_mech_name(SASL_PLAIN), "PLAIN", "name PLAIN");
	is_str(sasl_mech_name(SASL_LOGIN), "LOGIN", "name LOGIN");
	is_str(sasl_mech_name(SASL_CRAM_MD5), "CRAM-MD5", "name CRAM-MD5");
	is_str(sasl_mech_name(SASL_SCRAM_SHA_1), "SCRAM-SHA-1", "name SCRAM-SHA-1");
	is_str(sasl_mech_name(SASL_SCRAM_SHA_256), "SCRAM-SHA-256", "name SCRAM-SHA-256");
	is_str(sasl_mech_name(SASL_XOAUTH2), "XOAUTH2", "name XOAUTH2");
	is_str(sasl_mech_name(SASL_OAUTHBEARER), "OAUTHBEARER", "name OAUTHBEARER");
}

/* is_int and is_str with a printf-style name */
#define is_int_f(got, want, ...) do { \
	long long gi_ = (long long)(got), wi_ = (long long)(want); \
	if (!ok(gi_ == wi_, __VA_ARGS__)) \
		printf("#   got %lld, want %lld\n", gi_, wi_); \
} while (0)

#define is_str_f(got, want, ...) do { \
	const char *gs_ = (got), *ws_ = (want); \
	if (!ok(gs_ && ws_ && !strcmp(gs_, ws_), __VA_ARGS__)) \
		printf("#   got  [%s]\n#   want [%s]\n", gs_ ? gs_ : "(null)", ws_); \
} while (0)

static void test_cram_md5(void)
{
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	struct sasl s;
	struct buf out = BUF_INIT;
	struct error e;

	/* RFC 2195 2 */
	sasl_init(&s, SASL_CRAM_MD5, "tim", "tanstaaftanstaaf");
	is_int_f(sasl_initial(&s, &out, &e), 0, "CRAM-MD5 has no initial response");
	is_int_f(sasl_step(&s, (const unsigned char *)chal, strlen(chal), &out, &e), 0,
	       "answer the challenge");
	is_str_f(out.data, "tim b913a602c7eda7a495b4e6e7334d3890", "RFC 2195 response");
	buf_reset(&out);
	is_int_f(sasl_step(&s, (const unsigned char *)chal, strlen(chal), &out, &e), -1,
	       "second challenge refused");
	sasl_init(&s, SASL_CRAM_MD5, "tim", "x");
	is_int_f(sasl_step(&s, (const unsigned char *)"", 0, &out, &e), -1, "empty challenge refused");
	sasl_release(&s);
	buf_wipe_release(&out);
}

struct scram_vec {
	enum sasl_mech mech;
	const char *nonce, *client_first, *server_first, *client_final, *server_final;
};

/* RFC 5802 5 and RFC 7677 3: user "user", password "pencil". */
static const struct scram_vec scram_vecs[] = {
	{ SASL_SCRAM_SHA_1, "fyko+d2lbbFgONRv9qkxdawL",
	  "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
	  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
	  "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	{ SASL_SCRAM_SHA_256, "rOprNGfwEbeRWgbNEkqO",
	  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
	  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
};

/* Run a vector up to the server-first message; returns sasl_step's result
 * for server_first (which may be a tampered one). */
static int scram_to_final(struct sasl *s, const struct scram_vec *v, const char *server_first,
			  struct buf *out, struct error *e)
{
	sasl_init(s, v->mech, "user", "pencil");
	sasl_set_nonce(s, v->nonce);
	buf_reset(out);
	if (sasl_initial(s, out, e) != 1)
		return -2;
	buf_reset(out);
	error_clear(e);
	return sasl_step(s, (const unsigned char *)server_first, strlen(server_first), out, e);
}

static void test_scram_vectors(void)
{
	for (size_t i = 0; i < sizeof(scram_vecs) / sizeof(scram_vecs[0]); i++) {
		const struct scram_vec *v = &scram_vecs[i];
		const char *name = sasl_mech_name(v->mech);
		struct sasl s;
		struct buf out = BUF_INIT;
		struct error e;

		sasl_init(&s, v->mech, "user", "pencil");
		sasl_set_nonce(&s, v->nonce);
		is_int_f(sasl_initial(&s, &out, &e), 1, "%s: initial response", name);
		is_str_f(out.data, v->client_first, "%s: client-first-message", name);
		buf_reset(&out);
		is_int_f(sasl_step(&s, (const unsigned char *)v->server_first, strlen(v->server_first),
				 &out, &e), 0, "%s: server-first accepted", name);
		is_str_f(out.data, v->client_final, "%s: client-final-message with the RFC proof",
		       name);
		is_int_f(sasl_finish(&s, NULL, 0, &e), -1, "%s: 235 before the server proof refused",
		       name);
		ok(strstr(e.msg, "server signature wrong: possible impostor") != NULL,
		   "%s: says possible impostor", name);
		buf_reset(&out);
		is_int_f(sasl_step(&s, (const unsigned char *)v->server_final, strlen(v->server_final),
				 &out, &e), 0, "%s: server signature verified", name);
		is_int_f(out.len, 0, "%s: empty response to the server-final message", name);
		is_int_f(sasl_finish(&s, NULL, 0, &e), 0, "%s: then 235 is a success", name);
		sasl_release(&s);

		/* the server-final message in the 235 instead */
		scram_to_final(&s, v, v->server_first, &out, &e);
		is_int_f(sasl_finish(&s, (const unsigned char *)v->server_final,
				   strlen(v->server_final), &e), 0, "%s: v= with the 235", name);
		sasl_release(&s);

		/* a wrong server signature: one bit flipped */
		{
			char bad[128];

			snprintf(bad, sizeof(bad), "%s", v->server_final);
			bad[3] = bad[3] == 'A' ? 'B' : 'A';
			scram_to_final(&s, v, v->server_first, &out, &e);
			buf_reset(&out);
			is_int_f(sasl_step(&s, (const unsigned char *)bad, strlen(bad), &out, &e), -1,
			       "%s: wrong server signature refused", name);
			is_int_f(e.cls, ERR_AUTH, "%s: as an auth error", name);
			ok(strstr(e.msg, "server signature wrong: possible impostor") != NULL,
			   "%s: message says impostor", name);
			is_int_f(sasl_finish(&s, NULL, 0, &e), -1, "%s: and no 235 makes it good", name);
			sasl_release(&s);
			scram_to_final(&s, v, v->server_first, &out, &e);
			is_int_f(sasl_finish(&s, (const unsigned char *)bad, strlen(bad), &e), -1,
			       "%s: wrong v= with the 235 refused", name);
			sasl_release(&s);
		}
		/* e= from the server */
		scram_to_final(&s, v, v->server_first, &out, &e);
		buf_reset(&out);
		is_int_f(sasl_step(&s, (const unsigned char *)"e=invalid-proof", 15, &out, &e), -1,
		       "%s: e= is a failure", name);
		ok(strstr(e.msg, "invalid-proof") != NULL, "%s: e= value in the message", name);
		sasl_release(&s);
		/* v= truncated, v= not base64, empty */
		static const char *const badfinal[] = { "v=", "v=rmF9", "v=!!!!", "", "x=1" };
		for (size_t k = 0; k < sizeof(badfinal) / sizeof(badfinal[0]); k++) {
			scram_to_final(&s, v, v->server_first, &out, &e);
			buf_reset(&out);
			ok(sasl_step(&s, (const unsigned char *)badfinal[k], strlen(badfinal[k]), &out,
				     &e) == -1, "%s: server-final \"%s\" refused", name, badfinal[k]);
			sasl_release(&s);
		}
		buf_wipe_release(&out);
	}
}

static void test_scram_malformed(void)
{
	static const char *const bad[] = {
		/* missing r= */
		"s=QSXCR+Q6sek8bf92,i=4096",
		/* nonce not prefixed by ours */
		"r=fyko+d2lbbFgONRv9qkxdawX3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		/* nonce shorter than ours */
		"r=fyko+d2lbb,s=QSXCR+Q6sek8bf92,i=4096",
		/* s= not base64, empty, missing */
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf9,i=4096",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096",
		/* i=0, over the cap, not a number, missing, negative */
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=100001",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4294967297",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=40x6",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-1",
		/* a mandatory extension */
		"m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
		/* wrong order, empty, non-printable nonce */
		"s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096",
		"",
		"r=fyko+d2lbbFgONRv9qkxdawL3\x01,s=QSXCR+Q6sek8bf92,i=4096",
	};
	const struct scram_vec *v = &scram_vecs[0];
	struct sasl s;
	struct buf out = BUF_INIT;
	struct error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = scram_to_final(&s, v, bad[i], &out, &e);

		if (!ok(rc == -1 && (e.cls == ERR_PROTOCOL || e.cls == ERR_AUTH) && out.len == 0,
			"malformed server-first %zu refused", i))
			printf("#   rc %d, %s\n", rc, e.msg);
		sasl_release(&s);
	}
	ok(scram_to_final(&s, v, bad[7], &out, &e) == -1 && strstr(e.msg, "iteration") != NULL,
	   "message names the iteration count");
	sasl_release(&s);
	ok(scram_to_final(&s, v, bad[1], &out, &e) == -1 && strstr(e.msg, "nonce") != NULL,
	   "message names the nonce");
	sasl_release(&s);
	ok(scram_to_final(&s, v, bad[13], &out, &e) == -1 && strstr(e.msg, "m=") != NULL,
	   "message names the extension");
	sasl_release(&s);
	/* the cap itself and an unknown optional extension are fine */
	ok(scram_to_final(&s, v, "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1,x=y",
			  &out, &e) == 0, "i=1 and an optional extension accepted");
	sasl_release(&s);
	is_int_f(SASL_SCRAM_ITER_MAX, 100000, "iteration cap is 100000");
	ok(scram_to_final(&s, v, "r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=100000",
			  &out, &e) == 0, "i at the cap accepted");
	sasl_release(&s);
	/* no challenge before the client-first-message was sent */
	sasl_init(&s, SASL_SCRAM_SHA_256, "user", "pencil");
	buf_reset(&out);
	is_int_f(sasl_step(&s, (const unsigned char *)"r=x", 3, &out, &e), -1,
	       "challenge before client-first refused");
	/* the empty 334 asks for the client-first-message */
	sasl_set_nonce(&s, "abc");
	is_int_f(sasl_step(&s, (const unsigned char *)"", 0, &out, &e), 0, "empty 334 answered");
	is_str_f(out.data, "n,,n=user,r=abc", "with the client-first-message");
	sasl_release(&s);
	buf_wipe_release(&out);
}

static void test_scram_nonce_and_names(void)
{
	struct sasl s;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct error e;
	const char *r;
	size_t n;

	sasl_init(&s, SASL_SCRAM_SHA_256, "a,b=c", "pencil");
	is_int_f(sasl_initial(&s, &a, &e), 1, "random nonce");
	sasl_release(&s);
	sasl_init(&s, SASL_SCRAM_SHA_256, "a,b=c", "pencil");
	sasl_initial(&s, &b, &e);
	sasl_release(&s);
	ok(!strncmp(a.data, "n,,n=a=2Cb=3Dc,r=", 17), "saslname escapes ',' and '='");
	r = a.data + 17;
	n = strlen(r);
	ok(n >= 24, "nonce has at least 24 characters (%zu)", n);
	ok(strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == n,
	   "nonce is printable base64 without ','");
	ok(strcmp(a.data, b.data) != 0, "two nonces differ");
	buf_release(&a);
	buf_release(&b);

	/* the password is SASLprep'd: U+00AD (soft hyphen) maps to nothing */
	sasl_init(&s, SASL_SCRAM_SHA_1, "user", "pen\xc2\xad" "cil");
	sasl_set_nonce(&s, scram_vecs[0].nonce);
	sasl_initial(&s, &a, &e);
	buf_reset(&a);
	sasl_step(&s, (const unsigned char *)scram_vecs[0].server_first,
		  strlen(scram_vecs[0].server_first), &a, &e);
	is_str_f(a.data, scram_vecs[0].client_final, "SASLprep'd password gives the same proof");
	sasl_release(&s);
	buf_reset(&a);
	/* a control character in the password is refused before anything is sent */
	sasl_init(&s, SASL_SCRAM_SHA_256, "user", "pen\x07" "cil");
	is_int_f(sasl_initial(&s, &a, &e), -1, "control character in the password refused");
	is_int_f(e.cls, ERR_CONFIG, "as a configuration error");
	ok(strstr(e.msg, "password") && !strstr(e.msg, "pen"), "message names it, not its value");
	sasl_release(&s);
	buf_release(&a);
}

static void test_saslprep(void)
{
	static const struct { const char *in, *out; int full_only; } v[] = {
		/* RFC 4013 3 */
		{ "I\xc2\xad" "X", "IX", 0 },		/* SOFT HYPHEN mapped to nothing */
		{ "user", "user", 0 },
		{ "USER", "USER", 0 },			/* case kept */
		{ "\xc2\xaa", "a", 1 },			/* NFKC: FEMININE ORDINAL INDICATOR */
		{ "\xe2\x85\xa8", "IX", 1 },		/* NFKC: ROMAN NUMERAL NINE */
		/* non-ASCII space to SPACE, ASCII space kept */
		{ "a\xc2\xa0" "b c", "a b c", 0 },
		{ "p\xc3\xa4ss w&rd", "p\xc3\xa4ss w&rd", 0 },	/* precomposed: unchanged */
		{ "", "", 0 },
		{ "a\xe2\x80\x8b" "b", "a b", 0 },	/* ZERO WIDTH SPACE: C.1.2 before B.1 */
		{ "a\xe2\x81\xa0" "b", "ab", 0 },	/* WORD JOINER: nothing */
	};
	static const struct { const char *in; int full_only; } bad[] = {
		{ "\x07", 0 },				/* RFC 4013 3: prohibited */
		{ "a\tb", 0 },
		{ "a\x7f" "b", 0 },
		{ "a\xc2\x85" "b", 0 },			/* C.2.2 control */
		{ "\xee\x80\x80", 0 },			/* private use */
		{ "\xd8\xa7" "1", 1 },			/* RFC 4013 3: bidi rule */
	};
	int full = sasl_prep_complete();
	struct error e;
	char *out;

	tap_diag(full ? "SASLprep is complete (libidn)" : "SASLprep is the built-in subset");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].full_only && !full)
			continue;
		out = NULL;
		is_int_f(sasl_prep(v[i].in, "password", &out, &e), 0, "SASLprep case %zu", i);
		is_str_f(out ? out : "(null)", v[i].out, "SASLprep case %zu output", i);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].full_only && !full)
			continue;
		out = NULL;
		ok(sasl_prep(bad[i].in, "password", &out, &e) == -1 && !out && e.cls == ERR_CONFIG,
		   "SASLprep refuses case %zu", i);
		free(out);
	}
	/* malformed UTF-8 */
	out = NULL;
	ok(sasl_prep("a\xc3", "user name", &out, &e) == -1 && strstr(e.msg, "user name"),
	   "truncated UTF-8 refused, naming the user name");
	free(out);
}

static void test_oauth(void)
{
	struct sasl s;
	struct buf out = BUF_INIT;
	struct error e;
	static const char json[] = "{\"status\":\"invalid_token\",\"scope\":\"mail\"}";

	sasl_init(&s, SASL_XOAUTH2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
	is_int_f(sasl_initial(&s, &out, &e), 1, "XOAUTH2 has an initial response");
	is_str_f(out.data, "user=someuser@example.com\001auth=Bearer "
	       "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001", "XOAUTH2 message");
	buf_reset(&out);
	ok(sasl_error_detail(&s) == NULL, "no error detail yet");
	is_int_f(sasl_step(&s, (const unsigned char *)"{\"status\":\"401\",\"schemes\":\"bearer\"}",
			 35, &out, &e), 0, "XOAUTH2 error continuation answered");
	is_int_f(out.len, 0, "with an empty response");
	is_str_f(sasl_error_detail(&s), "status 401", "status kept");
	is_int_f(sasl_step(&s, (const unsigned char *)"{}", 2, &out, &e), -1, "no second challenge");
	is_int_f(sasl_finish(&s, NULL, 0, &e), 0, "no server proof in OAuth");

	/* RFC 7628 3.1, without host and port */
	sasl_init(&s, SASL_OAUTHBEARER, "user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
	buf_reset(&out);
	is_int_f(sasl_initial(&s, &out, &e), 1, "OAUTHBEARER has an initial response");
	is_str_f(out.data, "n,a=user@example.com,\001auth=Bearer "
	       "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001", "OAUTHBEARER message");
	buf_reset(&out);
	is_int_f(sasl_step(&s, (const unsigned char *)json, strlen(json), &out, &e), 0,
	       "OAUTHBEARER error continuation answered");
	ok(out.len == 1 && out.data[0] == '\001', "with a single 0x01 byte");
	is_str_f(sasl_error_detail(&s), "status invalid_token", "status kept");
	/* hostile JSON: status value filtered and bounded */
	sasl_init(&s, SASL_OAUTHBEARER, "u", "t");
	sasl_initial(&s, &out, &e);
	buf_reset(&out);
	sasl_step(&s, (const unsigned char *)"{\"status\" : \"a\033[2Jb\"}", 21, &out, &e);
	is_str_f(sasl_error_detail(&s), "status a", "escape sequence not copied");
	sasl_init(&s, SASL_OAUTHBEARER, "u", "t");
	sasl_initial(&s, &out, &e);
	sasl_step(&s, (const unsigned char *)"not json", 8, &out, &e);
	ok(sasl_error_detail(&s) != NULL, "error without status still noted");
	/* saslname escaping, and the long token asked for by an empty 334 */
	sasl_init(&s, SASL_OAUTHBEARER, "a,b", "tok");
	buf_reset(&out);
	is_int_f(sasl_step(&s, (const unsigned char *)"", 0, &out, &e), 0, "empty 334 first");
	ok(out.len > 8 && !memcmp(out.data, "n,a=a=2Cb,\001", 11), "saslname escaped");
	/* bad tokens */
	sasl_init(&s, SASL_XOAUTH2, "u", "");
	is_int_f(sasl_initial(&s, &out, &e), -1, "empty token refused");
	is_int_f(e.cls, ERR_CONFIG, "as a configuration error");
	sasl_init(&s, SASL_XOAUTH2, "u", "tok\001en");
	is_int_f(sasl_initial(&s, &out, &e), -1, "token with ^A refused");
	sasl_init(&s, SASL_OAUTHBEARER, "u", "sEcr3t en");
	is_int_f(sasl_initial(&s, &out, &e), -1, "token with a space refused");
	ok(!strstr(e.msg, "sEcr3t"), "token not in the message");
	buf_wipe_release(&out);
}

int main(void)
{
	test_b64_vectors();
	test_b64_binary();
	test_b64_malformed();
	test_plain();
	test_login();
	test_choose();
	test_cram_md5();
	test_scram_vectors();
	test_scram_malformed();
	test_scram_nonce_and_names();
	test_saslprep();
	test_oauth();
	test_external();
	return tap_done();
}
