/* test_tls.c - the choice of trust store (tls_trust_decide with fake
 * file-system probes: every case, and that the probes are asked only when
 * needed), the hash-link probe on real directories, tls_ctx_init with
 * SSL_CERT_FILE / SSL_CERT_DIR / tls_ca_file (the store as messages name
 * it, load failures), and the description of a hostile certificate built
 * in memory: escape sequences, CR/LF, NUL and C1 bytes in a SAN dNSName
 * and in the subject come out as \xNN, and the name list stays bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "tap.h"
#include "tls.h"
#include "util.h"

/* ------------------------------------------------------------ fake probes */

static const char *const *fake_files;	/* NULL-terminated: what "exists" */
static const char *const *fake_hashed;	/* directories with hash links */
static int dir_calls, file_calls;

static int in_list(const char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

static int fake_has_hash_links(const char *dir)
{
	dir_calls++;
	return in_list(fake_hashed, dir);
}

static int fake_is_file(const char *path)
{
	file_calls++;
	return in_list(fake_files, path);
}

#define DEB_DIR "/usr/lib/ssl/certs"
#define DEB_FILE "/usr/lib/ssl/cert.pem"

static struct tls_trust_facts facts(const char *ca_file, const char *env_file, const char *env_dir)
{
	struct tls_trust_facts f = {
		.ca_file = ca_file, .env_file = env_file, .env_dir = env_dir,
		.default_dir = DEB_DIR, .default_file = DEB_FILE,
		.has_hash_links = fake_has_hash_links, .is_file = fake_is_file,
	};
	dir_calls = file_calls = 0;
	return f;
}

static const char *src_name(enum tls_trust_source s)
{
	switch (s) {
	case TLS_TRUST_NONE: return "none";
	case TLS_TRUST_CA_FILE: return "ca_file";
	case TLS_TRUST_ENV: return "env";
	case TLS_TRUST_DEFAULT_DIR: return "default_dir";
	case TLS_TRUST_BUNDLE: return "bundle";
	}
	return "?";
}

/* decide once; check source, file and dir */
static void want(const struct tls_trust_facts *f, enum tls_trust_source src, const char *file,
		 const char *dir, const char *name)
{
	struct tls_trust tr;
	struct error e;
	char label[256];
	int rc;

	error_clear(&e);
	rc = tls_trust_decide(f, &tr, &e);
	snprintf(label, sizeof(label), "%s: returns %d", name, src == TLS_TRUST_NONE ? -1 : 0);
	is_int(rc, src == TLS_TRUST_NONE ? -1 : 0, label);
	snprintf(label, sizeof(label), "%s: source", name);
	is_str(src_name(tr.source), src_name(src), label);
	snprintf(label, sizeof(label), "%s: file", name);
	is_str(tr.file, file, label);
	snprintf(label, sizeof(label), "%s: dir", name);
	is_str(tr.dir, dir, label);
}

static void test_decide(void)
{
	static const char *const hashed[] = { DEB_DIR, NULL };
	static const char *const deb_all[] = { DEB_FILE, "/etc/ssl/certs/ca-certificates.crt", NULL };
	static const char *const fedora_file[] = { DEB_FILE, NULL };
	static const char *const fedora_only[] = { "/etc/pki/tls/certs/ca-bundle.crt", NULL };
	static const char *const rhel7_only[] = { "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", NULL };
	static const char *const suse_only[] = { "/etc/ssl/ca-bundle.pem", NULL };
	static const char *const alpine_only[] = { "/etc/ssl/cert.pem", NULL };
	static const char *const arch_only[] = { "/etc/ca-certificates/extracted/tls-ca-bundle.pem", NULL };
	static const char *const debian_only[] = { "/etc/ssl/certs/ca-certificates.crt", NULL };
	static const char *const deb_and_fedora[] = {
		"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", NULL };
	static const struct {
		const char *const *files;	/* what exists */
		const char *want;		/* the bundle chosen */
		const char *name;
	} bundles[] = {
		{ debian_only, "/etc/ssl/certs/ca-certificates.crt", "Debian/Ubuntu bundle" },
		{ fedora_only, "/etc/pki/tls/certs/ca-bundle.crt", "Fedora/RHEL bundle" },
		{ rhel7_only, "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "Fedora/RHEL 7+ extracted bundle" },
		{ suse_only, "/etc/ssl/ca-bundle.pem", "openSUSE bundle" },
		{ alpine_only, "/etc/ssl/cert.pem", "Alpine bundle" },
		{ arch_only, "/etc/ca-certificates/extracted/tls-ca-bundle.pem", "Arch bundle" },
		{ deb_and_fedora, "/etc/ssl/certs/ca-certificates.crt", "several bundles: the first in the list" },
	};
	struct tls_trust_facts f;
	struct tls_trust tr;
	struct error e;

	/* tls_ca_file: alone, whatever else is set or exists */
	fake_hashed = hashed;
	fake_files = deb_all;
	f = facts("/home/u/ca.pem", "/env/file.pem", "/env/dir");
	want(&f, TLS_TRUST_CA_FILE, "/home/u/ca.pem", NULL, "tls_ca_file wins over env and defaults");
	is_int(dir_calls + file_calls, 0, "tls_ca_file: no probe asked");

	/* the environment, as given */
	f = facts(NULL, "/env/file.pem", NULL);
	want(&f, TLS_TRUST_ENV, "/env/file.pem", NULL, "SSL_CERT_FILE alone");
	is_int(dir_calls + file_calls, 0, "SSL_CERT_FILE: no probe asked (its load says what is wrong)");
	f = facts(NULL, NULL, "/env/dir");
	want(&f, TLS_TRUST_ENV, NULL, "/env/dir", "SSL_CERT_DIR alone");
	f = facts(NULL, "/env/file.pem", "/env/dir1:/env/dir2");
	want(&f, TLS_TRUST_ENV, "/env/file.pem", "/env/dir1:/env/dir2", "both: both used (dir list as is)");
	f = facts("", "", "");
	want(&f, TLS_TRUST_DEFAULT_DIR, NULL, DEB_DIR, "empty values count as unset");

	/* the fast path: OpenSSL's directory with hash links, nothing parsed */
	f = facts(NULL, NULL, NULL);
	want(&f, TLS_TRUST_DEFAULT_DIR, NULL, DEB_DIR, "hashed default dir (Debian)");
	is_int(dir_calls, 1, "hashed default dir: one directory probe");
	is_int(file_calls, 0, "hashed default dir: no file probe");

	/* a directory without hash links (Fedora/RHEL): the bundle file */
	fake_hashed = NULL;
	fake_files = fedora_file;
	f = facts(NULL, NULL, NULL);
	want(&f, TLS_TRUST_BUNDLE, DEB_FILE, NULL, "dir without hash links: OpenSSL's default file");
	is_int(file_calls, 1, "default file exists: one file probe");

	/* OpenSSL's default file missing too: the distributions' bundles */
	for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++) {
		fake_files = bundles[i].files;
		f = facts(NULL, NULL, NULL);
		want(&f, TLS_TRUST_BUNDLE, bundles[i].want, NULL, bundles[i].name);
	}

	/* the default dir is hashed but named differently: not confused */
	fake_hashed = hashed;
	fake_files = fedora_file;
	f = facts(NULL, NULL, NULL);
	f.default_dir = "/etc/pki/tls/certs";
	want(&f, TLS_TRUST_BUNDLE, DEB_FILE, NULL, "another dir hashed, the default not: bundle");

	/* nothing at all: the error says what was tried and what to do */
	fake_hashed = NULL;
	fake_files = NULL;
	f = facts(NULL, NULL, NULL);
	want(&f, TLS_TRUST_NONE, NULL, NULL, "nothing loadable");
	error_clear(&e);
	dir_calls = file_calls = 0;
	tls_trust_decide(&f, &tr, &e);
	is_int(e.cls, ERR_TLS, "nothing loadable: ERR_TLS");
	is_str(e.msg, "no trusted CA certificates found: the directory /usr/lib/ssl/certs holds no "
	       "hash links (or is missing) and none of /usr/lib/ssl/cert.pem, "
	       "/etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/ca-bundle.crt, "
	       "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem, /etc/ssl/ca-bundle.pem, "
	       "/etc/ssl/cert.pem, /etc/ca-certificates/extracted/tls-ca-bundle.pem exists; "
	       "install your distribution's CA certificates (ca-certificates), or set tls_ca_file "
	       "(or SSL_CERT_FILE) to a PEM file of the CAs to trust",
	       "nothing loadable: names every place tried and the fixes");
	is_int(file_calls, 7, "nothing loadable: default file and six bundles probed");

	/* OpenSSL's default file is one of the list (Alpine's build): once */
	f = facts(NULL, NULL, NULL);
	f.default_file = "/etc/ssl/cert.pem";
	error_clear(&e);
	tls_trust_decide(&f, &tr, &e);
	is_int(file_calls, 6, "default file in the list: probed once");
	ok(strstr(e.msg, "none of /etc/ssl/cert.pem, /etc/ssl/certs/ca-certificates.crt,") &&
	   !strstr(strstr(e.msg, "/etc/ssl/cert.pem") + 1, "/etc/ssl/cert.pem"),
	   "default file in the list: named once");
}

/* ----------------------------------------------------------- real probes */

static char tmpdir[] = "/tmp/test_tls.XXXXXX";

static void touch(const char *dir, const char *name)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f)
		fclose(f);
}

static void test_probes(void)
{
	char d[256];

	snprintf(d, sizeof(d), "%s/certs", tmpdir);
	mkdir(d, 0755);
	is_int(tls_dir_has_hash_links(d), 0, "hash probe: empty dir");
	touch(d, "ca-bundle.crt");
	touch(d, "README");
	touch(d, "1a2b3c4d.r0");	/* a CRL link is no CA */
	touch(d, "1a2b3c4d.");
	touch(d, "1a2b3c4.0");
	touch(d, "1a2b3c4g.0");
	touch(d, "1a2b3c4d.0x");
	is_int(tls_dir_has_hash_links(d), 0, "hash probe: bundles and near-misses only (Fedora-like)");
	touch(d, "5ad8a5d6.12");
	is_int(tls_dir_has_hash_links(d), 1, "hash probe: 5ad8a5d6.12 is a hash link");
	is_int(tls_dir_has_hash_links("/nonexistent/postern"), 0, "hash probe: missing dir");
	snprintf(d, sizeof(d), "%s/certs/README", tmpdir);
	is_int(tls_is_file(d), 1, "file probe: a file");
	snprintf(d, sizeof(d), "%s/certs", tmpdir);
	is_int(tls_is_file(d), 0, "file probe: a directory is no bundle");
	is_int(tls_is_file("/nonexistent/postern.pem"), 0, "file probe: missing");
}

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

/* ------------------------------------------------------ tls_ctx_init */

static void write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	PEM_write_X509(f, x);
	fclose(f);
}

/* set (or, NULL, unset) the variables; tls_ctx_init must succeed and name
 * the store as want */
static void store_is(const char *ca_file, const char *env_file, const char *env_dir,
		     const char *want, const char *name)
{
	struct tls_ctx t;
	struct error e;
	char label[200];

	if (env_file)
		setenv("SSL_CERT_FILE", env_file, 1);
	else
		unsetenv("SSL_CERT_FILE");
	if (env_dir)
		setenv("SSL_CERT_DIR", env_dir, 1);
	else
		unsetenv("SSL_CERT_DIR");
	error_clear(&e);
	snprintf(label, sizeof(label), "%s: tls_ctx_init succeeds", name);
	if (!ok(tls_ctx_init(&t, ca_file, &e) == 0, "%s", label)) {
		printf("#   %s\n", e.msg);
		return;
	}
	snprintf(label, sizeof(label), "%s: the store as messages name it", name);
	is_str(t.store, want, label);
	tls_ctx_release(&t);
}

static void test_ctx(EVP_PKEY *k)
{
	X509 *x = make_cert(k, "ca", -1, NULL);
	struct tls_ctx t;
	struct error e;
	char pem[256], esc[256], junk[256], dir[256], want[768];

	snprintf(pem, sizeof(pem), "%s/ca.pem", tmpdir);
	snprintf(esc, sizeof(esc), "%s/ca\x1b[2J.pem", tmpdir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", tmpdir);
	snprintf(dir, sizeof(dir), "%s/certs", tmpdir);
	write_pem(pem, x);
	write_pem(esc, x);
	touch(tmpdir, "junk.pem");
	X509_free(x);

	snprintf(want, sizeof(want), "the system's CA store (SSL_CERT_FILE = %s)", pem);
	store_is(NULL, pem, NULL, want, "SSL_CERT_FILE");
	snprintf(want, sizeof(want), "the system's CA store (SSL_CERT_FILE = %s, SSL_CERT_DIR = %s)", pem, dir);
	store_is(NULL, pem, dir, want, "both");
	snprintf(want, sizeof(want), "the system's CA store (SSL_CERT_DIR = %s)", dir);
	store_is(NULL, NULL, dir, want, "SSL_CERT_DIR");
	snprintf(want, sizeof(want), "%s (tls_ca_file)", pem);
	store_is(pem, esc, dir, want, "tls_ca_file, with both variables set");
	snprintf(want, sizeof(want), "the system's CA store (SSL_CERT_FILE = %s/ca\\x1b[2J.pem)", tmpdir);
	store_is(NULL, esc, NULL, want, "SSL_CERT_FILE with ESC in its name (escaped)");

	setenv("SSL_CERT_FILE", "/nonexistent/postern/ca.pem", 1);
	error_clear(&e);
	is_int(tls_ctx_init(&t, NULL, &e), -1, "SSL_CERT_FILE missing: fails");
	is_int(e.cls, ERR_CONFIG, "SSL_CERT_FILE missing: ERR_CONFIG");
	is_str(e.msg, "cannot load CA certificates from SSL_CERT_FILE = /nonexistent/postern/ca.pem: "
	       "No such file or directory; point SSL_CERT_FILE at a PEM bundle, or unset it",
	       "SSL_CERT_FILE missing: names the variable and the fix");
	ok(t.ctx == NULL && t.store == NULL, "failed init holds nothing");

	setenv("SSL_CERT_FILE", junk, 1);
	error_clear(&e);
	is_int(tls_ctx_init(&t, NULL, &e), -1, "SSL_CERT_FILE not PEM: fails");
	snprintf(want, sizeof(want), "cannot load CA certificates from SSL_CERT_FILE = %s: not PEM "
		 "certificates; point SSL_CERT_FILE at a PEM bundle, or unset it", junk);
	is_str(e.msg, want, "SSL_CERT_FILE not PEM: says so");
	unsetenv("SSL_CERT_FILE");

	error_clear(&e);
	is_int(tls_ctx_init(&t, junk, &e), -1, "tls_ca_file not PEM: fails");
	is_int(e.cls, ERR_CONFIG, "tls_ca_file not PEM: ERR_CONFIG");
	snprintf(want, sizeof(want), "cannot load CA certificates from tls_ca_file = %s: not PEM "
		 "certificates; point tls_ca_file at a PEM file of CA certificates", junk);
	is_str(e.msg, want, "tls_ca_file not PEM: says so");
}

/* ------------------------------------------------------- fingerprints */

/* the first line of a shell command's output, without its newline */
static void run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (!p)
		return;
	if (!fgets(out, (int)len, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void test_fingerprint(EVP_PKEY *k)
{
	X509 *x = make_cert(k, "fp.example", -1, NULL);
	char pem[256], cmd[800], want[200], got[TLS_FINGERPRINT_SIZE], small[12];
	char *p;

	snprintf(pem, sizeof(pem), "%s/fp.pem", tmpdir);
	write_pem(pem, x);

	/* the certificate: what `openssl x509 -fingerprint -sha256` prints */
	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -noout -fingerprint -sha256", pem);
	run(cmd, want, sizeof(want));
	p = strchr(want, '=');
	tls_fingerprint(x, 0, got, sizeof(got));
	ok(p != NULL, "openssl printed a fingerprint (%s)", want);
	if (p)
		memmove(want, p + 1, strlen(p));
	is_int((int)strlen(got), 102, "certificate: sha256: and 95 characters");
	ok(!strncmp(got, "sha256:", 7) && !strcmp(got + 7, want),
	   "certificate: as openssl prints it (%s)", got);

	/* the key: SHA-256 of the DER SubjectPublicKeyInfo */
	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -noout -pubkey | openssl pkey -pubin "
		 "-outform DER | openssl dgst -sha256 -c | sed 's/.*= *//' | tr a-f A-F", pem);
	run(cmd, want, sizeof(want));
	tls_fingerprint(x, 1, got, sizeof(got));
	is_int((int)strlen(got), 102, "key: sha256: and 95 characters");
	ok(strlen(want) == 95 && !strncmp(got, "sha256:", 7) && !strcmp(got + 7, want),
	   "key: SHA-256 of the DER SPKI (%s)", got);
	tls_fingerprint(x, 0, want, sizeof(want));
	ok(strcmp(got, want) != 0, "key and certificate fingerprints differ");

	tls_fingerprint(x, 0, small, sizeof(small));
	ok(strlen(small) == sizeof(small) - 1 && !strncmp(small, want, sizeof(small) - 1),
	   "small buffer: cut, NUL-terminated (%s)", small);
	small[0] = 'x';
	small[1] = 'y';
	tls_fingerprint(x, 0, small, 1);
	is_int(small[0], '\0', "one-octet buffer: empty string");
	is_int(small[1], 'y', "one-octet buffer: nothing written past it");
	X509_free(x);
}

static void cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	EVP_PKEY *k;
	int rc;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	k = EVP_EC_gen("P-256");
	if (!k) {
		printf("Bail out! cannot make a key\n");
		return 2;
	}
	test_decide();
	test_probes();
	test_describe(k);
	test_ctx(k);
	test_fingerprint(k);
	EVP_PKEY_free(k);
	rc = tap_done();
	cleanup();
	return rc;
}
