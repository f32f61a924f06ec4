/* test_auth.c - SASL PLAIN (RFC 4616 vectors), LOGIN, mechanism choice,
 * and base64 (RFC 4648 vectors and malformed input). */
#include <string.h>

#include "auth.h"
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

static void test_plain(void)
{
	struct sasl s;
	struct buf raw = BUF_INIT, enc = BUF_INIT;
	struct error e;

	/* RFC 4616 4: "\0tim\0tanstaaftanstaaf" (no authzid) */
	sasl_init(&s, SASL_PLAIN, "tim", "tanstaaftanstaaf");
	is_int(sasl_initial(&s, &raw), 1, "PLAIN has an initial response");
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
	sasl_initial(&s, &raw);
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
	is_int(sasl_initial(&s, &out), 0, "LOGIN has no initial response");
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
	is_int(m, SASL_PLAIN, "on prefers PLAIN");
	is_int(sasl_choose(AUTH_ON, "CRAM-MD5 login", &m, &e), 0, "on: LOGIN only");
	is_int(m, SASL_LOGIN, "on falls back to LOGIN, case-insensitively");
	is_int(sasl_choose(AUTH_ON, "CRAM-MD5 SCRAM-SHA-256", &m, &e), -1, "on: nothing usable");
	is_int(e.cls, ERR_AUTH, "auth error");
	ok(strstr(e.msg, "CRAM-MD5 SCRAM-SHA-256") != NULL, "message names what was offered");
	is_int(sasl_choose(AUTH_LOGIN, "PLAIN LOGIN", &m, &e), 0, "login asked");
	is_int(m, SASL_LOGIN, "login chosen");
	is_int(sasl_choose(AUTH_PLAIN, "LOGIN", &m, &e), -1, "plain asked, not offered");
	is_int(sasl_choose(AUTH_PLAIN, "PLAINX XPLAIN", &m, &e), -1, "whole words only");
	is_int(sasl_choose(AUTH_PLAIN, "", &m, &e), -1, "nothing offered");
	is_int(sasl_choose(AUTH_OFF, "", &m, &e), 0, "off needs nothing");
	is_int(m, SASL_NONE, "off: no mechanism");
	is_str(sasl_mech_name(SASL_PLAIN), "PLAIN", "name PLAIN");
	is_str(sasl_mech_name(SASL_LOGIN), "LOGIN", "name LOGIN");
}

int main(void)
{
	test_b64_vectors();
	test_b64_binary();
	test_b64_malformed();
	test_plain();
	test_login();
	test_choose();
	return tap_done();
}
