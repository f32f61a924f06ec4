/* test_tls.c - the description of a hostile certificate built in memory:
 * escape sequences, CR/LF, NUL and C1 bytes in a SAN dNSName and in the
 * subject come out as \xNN, and the name list stays bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "tap.h"
#include "tls.h"
#include "util.h"

/* ------------------------------------------------------- certificates */

static void add_dns(GENERAL_NAMES *gens, const char *s, int n)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *a = ASN1_IA5STRING_new();

	ASN1_STRING_set(a, s, n);
	GENERAL_NAME_set0_value(g, GEN_DNS, a);
	sk_GENERAL_NAME_push(gens, g);
}

static void add_ip(GENERAL_NAMES *gens, const unsigned char *ip, int n)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_OCTET_STRING *a = ASN1_OCTET_STRING_new();

	ASN1_OCTET_STRING_set(a, ip, n);
	GENERAL_NAME_set0_value(g, GEN_IPADD, a);
	sk_GENERAL_NAME_push(gens, g);
}

/* A self-signed certificate with subject CN cn and the SANs in gens
 * (taken; NULL for none); cn_len -1 for strlen. */
static X509 *make_cert(EVP_PKEY *k, const char *cn, int cn_len, GENERAL_NAMES *gens)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, cn_len, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Test, Inc.", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (gens) {
		X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
		GENERAL_NAMES_free(gens);
	}
	X509_sign(x, k, EVP_sha256());
	return x;
}

/* no control byte, DEL or C1 control (raw or UTF-8) left in s */
static int clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (*p >= 0x80 && *p <= 0x9f && (p == (const unsigned char *)s || p[-1] != 0xc2)))
			return 0;
	return 1;
}

static void test_describe(EVP_PKEY *k)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };
	static const char nul[] = "x\0y.example";
	static const char cn[] = "red\x1b[31m\xc2\x9b\xe2\x80\xae\r\n\0end";
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	char out[512], small[40], name[60];
	X509 *x;

	add_dns(gens, "evil\x1b]0;pwned\x07.example", -1);
	add_dns(gens, "a.example\r\nInjected: yes", -1);
	add_dns(gens, nul, (int)sizeof(nul) - 1);
	add_dns(gens, "c1\xc2\x9b" "31m.example", -1);
	add_dns(gens, "raw\x9b.example", -1);
	add_dns(gens, "rlo\xe2\x80\xae" "elpmaxe.com", -1);
	add_dns(gens, "caf\xc3\xa9.example", -1);
	add_ip(gens, v4, 4);
	add_ip(gens, v6, 16);
	x = make_cert(k, cn, (int)sizeof(cn) - 1, gens);

	tls_describe_names(x, out, sizeof(out));
	is_str(out, "DNS:evil\\x1b]0;pwned\\x07.example, DNS:a.example\\x0d\\x0aInjected: yes, "
	       "DNS:x\\x00y.example, DNS:c1\\xc2\\x9b31m.example, DNS:raw\\x9b.example, "
	       "DNS:rlo\\u{202e}elpmaxe.com, DNS:caf\xc3\xa9.example, IP:127.0.0.1, IP:::1",
	       "SAN: ESC, BEL, CR/LF, NUL, C1 (UTF-8 and raw), bidi escaped; UTF-8 and IPs kept");
	ok(clean(out), "SAN: no control byte left");

	tls_describe_names(x, small, sizeof(small));
	is_str(small, "DNS:evil\\x1b]0;pwned\\x07.example, DN...", "SAN: cut with ... when it does not fit");

	tls_describe_dn(X509_get_subject_name(x), out, sizeof(out));
	is_str(out, "CN = red\\x1b[31m\\xc2\\x9b\\u{202e}\\x0d\\x0a\\x00end, O = \"Test, Inc.\"",
	       "subject: ESC, C1, bidi, CR/LF, NUL escaped as elsewhere; other fields kept");
	ok(clean(out), "subject: no control byte left");
	tls_describe_dn(X509_get_subject_name(x), small, sizeof(small));
	ok(strlen(small) < sizeof(small) && !strcmp(small + strlen(small) - 3, "..."),
	   "subject: bounded, cut with ... (%s)", small);
	X509_free(x);

	/* thousands of names, and one huge name: bounded, ends with "..." */
	gens = sk_GENERAL_NAME_new_null();
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "host%04d.a-rather-long-domain-name.example", i);
		add_dns(gens, name, -1);
	}
	x = make_cert(k, "many", -1, gens);
	tls_describe_names(x, out, sizeof(out));
	ok(strlen(out) <= sizeof(out) - 1 && strlen(out) > sizeof(out) - 60 &&
	   !strcmp(out + strlen(out) - 3, "..."), "2000 SANs: bounded to the buffer, ends with ...");
	ok(!strncmp(out, "DNS:host0000.a-rather-long-domain-name.example, DNS:host0001.", 61),
	   "2000 SANs: starts with the first names");
	X509_free(x);

	gens = sk_GENERAL_NAME_new_null();
	{
		char *huge = xmalloc(100000);
		memset(huge, '\x1b', 100000);
		add_dns(gens, huge, 100000);
		free(huge);
	}
	x = make_cert(k, "huge", -1, gens);
	tls_describe_names(x, out, sizeof(out));
	ok(strlen(out) < sizeof(out) && !strncmp(out, "DNS:\\x1b\\x1b", 12) &&
	   !strcmp(out + strlen(out) - 3, "..."), "100000-octet SAN of ESC: bounded, escaped, ...");
	X509_free(x);

	x = make_cert(k, "plain.example", -1, NULL);
	tls_describe_names(x, out, sizeof(out));
	is_str(out, "no subjectAltName", "no SAN: says so");
	tls_describe_dn(X509_get_subject_name(x), out, sizeof(out));
	is_str(out, "CN = plain.example, O = \"Test, Inc.\"", "plain subject on one line");
	X509_free(x);
}

int main(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (!k) {
		printf("Bail out! cannot make a key\n");
		return 2;
	}
	test_describe(k);
	EVP_PKEY_free(k);
	return tap_done();
}
