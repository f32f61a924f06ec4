#include "tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "interrupt.h"
#include "util.h"

/* What the verify callback saw about the server's own certificate. */
struct verify_info {
	int err;		/* first verification error, 0 if none */
	int depth;
	char names[512];	/* subjectAltNames of the leaf, "DNS:a, IP:b" */
	char subject[256];
	char issuer[256];
	char not_after[64];
	char cert_fp[TLS_FINGERPRINT_SIZE];	/* with a pin that did not match */
	char key_fp[TLS_FINGERPRINT_SIZE];
};

static int verify_index = -1;

/* Where the major distributions keep the bundle of trusted CAs, for when
 * OpenSSL's own default file is absent (an OpenSSL built elsewhere). */
static const char *const bundle_files[] = {
	"/etc/ssl/certs/ca-certificates.crt",			/* Debian, Ubuntu, Gentoo */
	"/etc/pki/tls/certs/ca-bundle.crt",			/* Fedora, RHEL */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",	/* Fedora, RHEL 7+ */
	"/etc/ssl/ca-bundle.pem",				/* openSUSE, SLES */
	"/etc/ssl/cert.pem",					/* Alpine, the BSDs */
	"/etc/ca-certificates/extracted/tls-ca-bundle.pem",	/* Arch */
};

static int is_set(const char *s)
{
	return s && *s;
}

int tls_trust_decide(const struct tls_trust_facts *f, struct tls_trust *out, struct error *e)
{
	struct buf tried = BUF_INIT;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (is_set(f->ca_file)) {
		out->source = TLS_TRUST_CA_FILE;
		out->file = f->ca_file;
		return 0;
	}
	if (is_set(f->env_file) || is_set(f->env_dir)) {
		out->source = TLS_TRUST_ENV;
		out->file = is_set(f->env_file) ? f->env_file : NULL;
		out->dir = is_set(f->env_dir) ? f->env_dir : NULL;
		return 0;
	}
	/* A directory without hash links (Fedora's /etc/pki/tls/certs holds
	 * only bundles) would make every lookup miss: every server refused. */
	if (is_set(f->default_dir) && f->has_hash_links(f->default_dir)) {
		out->source = TLS_TRUST_DEFAULT_DIR;
		out->dir = f->default_dir;
		return 0;
	}
	if (is_set(f->default_file) && f->is_file(f->default_file)) {
		out->source = TLS_TRUST_BUNDLE;
		out->file = f->default_file;
		return 0;
	}
	for (i = 0; i < sizeof(bundle_files) / sizeof(bundle_files[0]); i++) {
		if (is_set(f->default_file) && !strcmp(f->default_file, bundle_files[i]))
			continue;	/* already tried */
		if (f->is_file(bundle_files[i])) {
			out->source = TLS_TRUST_BUNDLE;
			out->file = bundle_files[i];
			return 0;
		}
	}
	if (is_set(f->default_file))
		buf_adds(&tried, f->default_file);
	for (i = 0; i < sizeof(bundle_files) / sizeof(bundle_files[0]); i++) {
		if (is_set(f->default_file) && !strcmp(f->default_file, bundle_files[i]))
			continue;
		buf_addf(&tried, "%s%s", tried.len ? ", " : "", bundle_files[i]);
	}
	error_set(e, ERR_TLS, "no trusted CA certificates found: the directory %s holds no hash "
		  "links (or is missing) and none of %s exists; install your distribution's "
		  "CA certificates (ca-certificates), or set tls_ca_file (or SSL_CERT_FILE) "
		  "to a PEM file of the CAs to trust",
		  is_set(f->default_dir) ? f->default_dir : "OpenSSL's certificate directory", tried.data);
	buf_release(&tried);
	return -1;
}

/* OpenSSL's directory lookup finds a CA by its subject hash: a file named
 * like "1a2b3c4d.0" (`openssl rehash`, c_rehash, update-ca-certificates).
 * One such entry is enough to tell a hashed directory from a directory of
 * bundles; the scan stops at the first. */
static int is_hash_name(const char *n)
{
	int i;

	for (i = 0; i < 8; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f') ||
		      (n[i] >= 'A' && n[i] <= 'F')))
			return 0;
	if (n[8] != '.' || !n[9])
		return 0;
	for (i = 9; n[i]; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

int tls_dir_has_hash_links(const char *dir)
{
	DIR *d = opendir(dir);
	const struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		found = is_hash_name(de->d_name);
	closedir(d);
	return found;
}

int tls_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The store as messages name it: the paths a person can look at, and the
 * variable that named them.  Escaped: an environment variable (or a path
 * in the configuration) may hold anything. */
static char *store_name(const struct tls_trust *tr)
{
	struct buf b = BUF_INIT;

	if (tr->source == TLS_TRUST_CA_FILE) {
		buf_add_escaped(&b, tr->file, strlen(tr->file));
		buf_adds(&b, " (tls_ca_file)");
		return buf_detach(&b);
	}
	buf_adds(&b, "the system's CA store (");
	if (tr->source == TLS_TRUST_ENV && tr->file)
		buf_adds(&b, "SSL_CERT_FILE = ");
	if (tr->file)
		buf_add_escaped(&b, tr->file, strlen(tr->file));
	if (tr->file && tr->dir)
		buf_adds(&b, ", ");
	if (tr->source == TLS_TRUST_ENV && tr->dir)
		buf_adds(&b, "SSL_CERT_DIR = ");
	if (tr->dir)
		buf_add_escaped(&b, tr->dir, strlen(tr->dir));
	buf_adds(&b, ")");
	return buf_detach(&b);
}

/* Load a PEM file whole; cls and the fix depend on who named the file. */
static int load_file(SSL_CTX *ctx, const char *path, enum error_class cls, const char *what,
		     const char *fix, struct error *e)
{
	char shown[512];

	if (SSL_CTX_load_verify_file(ctx, path) == 1)
		return 0;
	ERR_clear_error();
	str_escape(shown, sizeof(shown), path, strlen(path));
	return error_set(e, cls, "cannot load CA certificates from %s%s: %s; %s", what, shown,
			 access(path, R_OK) ? strerror(errno) : "not PEM certificates", fix);
}

/* The trust store: tls_ca_file alone, or the system's (tls_trust_decide). */
static int load_store(struct tls_ctx *t, const char *ca_file, struct error *e)
{
	struct tls_trust_facts f = {
		.ca_file = ca_file,
		.env_file = getenv(X509_get_default_cert_file_env()),
		.env_dir = getenv(X509_get_default_cert_dir_env()),
		.default_dir = X509_get_default_cert_dir(),
		.default_file = X509_get_default_cert_file(),
		.has_hash_links = tls_dir_has_hash_links,
		.is_file = tls_is_file,
	};
	struct tls_trust tr;

	if (tls_trust_decide(&f, &tr, e))
		return -1;
	t->store = store_name(&tr);
	switch (tr.source) {
	case TLS_TRUST_CA_FILE:
		return load_file(t->ctx, tr.file, ERR_CONFIG, "tls_ca_file = ",
				 "point tls_ca_file at a PEM file of CA certificates", e);
	case TLS_TRUST_ENV:
		if (tr.file && load_file(t->ctx, tr.file, ERR_CONFIG, "SSL_CERT_FILE = ",
					 "point SSL_CERT_FILE at a PEM bundle, or unset it", e))
			return -1;
		break;
	case TLS_TRUST_BUNDLE:
		/* The bundle is parsed whole, ~150 certificates: slower than the
		 * hashed directory, which is why that comes first. */
		return load_file(t->ctx, tr.file, ERR_TLS, "",
				 "reinstall your distribution's CA certificates (ca-certificates), "
				 "or set tls_ca_file", e);
	case TLS_TRUST_DEFAULT_DIR:
	case TLS_TRUST_NONE:
		break;
	}
	/* The hashed directory is searched lazily, certificate by certificate,
	 * at verification time: nothing is read now. */
	if (tr.dir && SSL_CTX_load_verify_dir(t->ctx, tr.dir) != 1) {
		ERR_clear_error();
		return error_set(e, ERR_TLS, "cannot use the CA directory %s", t->store);
	}
	return 0;
}

/* With a pin, the pin alone decides (it replaces OpenSSL's whole chain and
 * name check): the server's own certificate, or its public key, must hash
 * to it.  What was seen goes to the verify_info for the message. */
static int pin_verify(X509_STORE_CTX *store, void *arg)
{
	const struct tls_ctx *t = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct verify_info *vi = ssl ? SSL_get_ex_data(ssl, verify_index) : NULL;
	X509 *cert = X509_STORE_CTX_get0_cert(store);
	char cfp[TLS_FINGERPRINT_SIZE], kfp[TLS_FINGERPRINT_SIZE];

	if (!cert || !vi) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	tls_fingerprint(cert, 0, cfp, sizeof(cfp));
	tls_fingerprint(cert, 1, kfp, sizeof(kfp));
	if (cfp[0] && (!strcmp(cfp, t->pin) || !strcmp(kfp, t->pin)))
		return 1;
	vi->err = X509_V_ERR_APPLICATION_VERIFICATION;
	memcpy(vi->cert_fp, cfp, sizeof(cfp));
	memcpy(vi->key_fp, kfp, sizeof(kfp));
	tls_describe_names(cert, vi->names, sizeof(vi->names));
	tls_describe_dn(X509_get_issuer_name(cert), vi->issuer, sizeof(vi->issuer));
	X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* A private key file is a secret like a password: the same rule as for a
 * configuration file holding one (config.c).  st is of the open file. */
static int key_file_safe(const char *shown, const struct stat *st, struct error *e)
{
	int own = st->st_uid == geteuid();

	if (!own && st->st_uid != 0)
		return error_set(e, ERR_CONFIG, "tls_key_file = %s belongs to another user (uid %u); "
				 "keep your private key in your own file (chown it to yourself, chmod 600)",
				 shown, (unsigned)st->st_uid);
	if (own ? (st->st_mode & 077) : (st->st_mode & 027))
		return error_set(e, ERR_CONFIG, "tls_key_file = %s can be read or changed by %s "
				 "(mode %04o); run: chmod %s %s", shown, own ? "others" : "everyone",
				 (unsigned)(st->st_mode & 07777), own ? "600" : "640", shown);
	return 0;
}

/* No passphrase prompt: postern runs from cron and PHP, with no one to ask. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

#define KEY_FILE_MAX (64 * 1024)

/* The client certificate (with its chain) and its key into ctx. */
static int load_client_cert(SSL_CTX *ctx, const char *cert_file, const char *key_file,
			    struct error *e)
{
	char cshown[512], kshown[512];
	struct buf pem = BUF_INIT_SECRET;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	struct stat st;
	int fd = -1, rc = -1;

	str_escape(cshown, sizeof(cshown), cert_file, strlen(cert_file));
	str_escape(kshown, sizeof(kshown), key_file, strlen(key_file));
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		error_set(e, ERR_CONFIG, "cannot load the client certificate tls_cert_file = %s: %s; "
			  "point it at your certificate in PEM (-----BEGIN CERTIFICATE-----)", cshown,
			  access(cert_file, R_OK) ? strerror(errno) : "not a PEM certificate");
		goto out;
	}
	fd = open(key_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		error_set(e, ERR_CONFIG, "cannot read the client key tls_key_file = %s: %s",
			  kshown, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set(e, ERR_CONFIG, "tls_key_file = %s is not a regular file", kshown);
		goto out;
	}
	if (key_file_safe(kshown, &st, e))
		goto out;
	if (st.st_size > KEY_FILE_MAX) {
		error_set(e, ERR_CONFIG, "tls_key_file = %s is larger than 64 KiB; is it the key?", kshown);
		goto out;
	}
	/* read straight into a secret buffer that never moves, as config.c */
	buf_grow(&pem, (size_t)st.st_size + 1);
	for (;;) {
		ssize_t n = read(fd, pem.data + pem.len, pem.cap - pem.len - 1);

		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || pem.len + (size_t)n >= pem.cap - 1) {
			error_set(e, ERR_CONFIG, "reading tls_key_file = %s: %s", kshown,
				  n < 0 ? strerror(errno) : "it grew while being read");
			goto out;
		}
		pem.len += (size_t)n;
	}
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	if (!key) {
		pem.data[pem.len] = '\0';
		error_set(e, ERR_CONFIG, "tls_key_file = %s %s", kshown, strstr(pem.data, "ENCRYPTED")
			  ? "is protected by a passphrase, which postern cannot ask for; keep an "
			    "unencrypted copy only you can read: openssl pkey -in KEY -out NEW.key"
			  : "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		error_set(e, ERR_CONFIG, "the key in tls_key_file = %s does not belong to the certificate "
			  "in tls_cert_file = %s; give the key the certificate was made for", kshown, cshown);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(bio);
	buf_release(&pem);
	if (fd >= 0)
		close(fd);
	return rc;
}

int tls_ciphers_set(SSL_CTX *ctx, const char *list)
{
	struct buf v12 = BUF_INIT, v13 = BUF_INIT;
	const char *p = list;
	int rc = 0;

	while (*p) {
		size_t n = strcspn(p, ":");
		struct buf *b = !strncmp(p, "TLS_", 4) ? &v13 : &v12;

		if (n) {
			if (b->len)
				buf_adds(b, ":");
			buf_add(b, p, n);
		}
		p += n + (p[n] == ':');
	}
	if (!v12.len && !v13.len)
		rc = -1;
	if (v12.len && SSL_CTX_set_cipher_list(ctx, v12.data) != 1)
		rc = -1;
	if (v13.len && SSL_CTX_set_ciphersuites(ctx, v13.data) != 1)
		rc = -1;
	ERR_clear_error();
	buf_release(&v12);
	buf_release(&v13);
	return rc;
}

static const char weak_pin[] =
	"SHA-1 and MD5 fingerprints are refused: both digests are broken, a forged "
	"certificate can match them; give the SHA-256 one (openssl x509 -noout "
	"-fingerprint -sha256 -in CERT)";

int tls_pin_parse(const char *text, char *out, const char **why)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p = text;
	size_t n = 0;

	if (!strncasecmp(p, "sha256:", 7))
		p += 7;
	else if (!strncasecmp(p, "sha1:", 5) || !strncasecmp(p, "md5:", 4))
		return *why = weak_pin, -1;
	memcpy(out, "sha256:", 7);
	/* pairs of hex digits, one colon between pairs */
	for (;;) {
		const char *h1 = p[0] ? strchr(hex, toupper((unsigned char)p[0])) : NULL;
		const char *h2 = h1 && p[1] ? strchr(hex, toupper((unsigned char)p[1])) : NULL;

		if (!h2 || n == 32)
			break;
		out[7 + 3 * n] = *h1;
		out[7 + 3 * n + 1] = *h2;
		out[7 + 3 * n + 2] = ':';
		n++;
		p += 2;
		if (*p != ':' || !p[1])
			break;
		p++;
	}
	if (*p == '\0' && (n == 20 || n == 16) && p[-1] != ':')
		return *why = weak_pin, -1;
	if (*p != '\0' || n != 32) {
		*why = "it is not a SHA-256 fingerprint: write sha256: and 32 hex bytes separated "
		       "by colons (sha256:AB:CD:...), as openssl x509 -noout -fingerprint -sha256 "
		       "prints them";
		return -1;
	}
	out[7 + 3 * 32 - 1] = '\0';
	return 0;
}

int tls_ctx_init(struct tls_ctx *t, const char *ca_file, struct error *e)
{
	struct tls_opts o = { .ca_file = ca_file };

	return tls_ctx_init_opts(t, &o, e);
}

int tls_ctx_init_opts(struct tls_ctx *t, const struct tls_opts *o, struct error *e)
{
	memset(t, 0, sizeof(*t));
	if (verify_index < 0)
		verify_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx)
		return error_set(e, ERR_TLS, "cannot create a TLS context");
	t->min_version = o->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	SSL_CTX_set_min_proto_version(t->ctx, t->min_version);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
	if (o->ciphers && tls_ciphers_set(t->ctx, o->ciphers)) {
		error_set(e, ERR_CONFIG, "OpenSSL refuses tls_ciphers = %.300s; see openssl-ciphers(1)",
			  o->ciphers);
		goto fail;
	}
	if ((o->cert_file || o->key_file) &&
	    load_client_cert(t->ctx, o->cert_file ? o->cert_file : "", o->key_file ? o->key_file :
			     o->cert_file, e))
		goto fail;
	if (o->pin) {
		/* the pin replaces the CA check: no store is read */
		t->pin = xstrdup(o->pin);
		t->store = xstrdup("tls_fingerprint");
		SSL_CTX_set_cert_verify_callback(t->ctx, pin_verify, t);
		return 0;
	}
	if (load_store(t, o->ca_file, e))
		goto fail;
	return 0;
fail:
	tls_ctx_release(t);
	return -1;
}

void tls_ctx_release(struct tls_ctx *t)
{
	X509_free(t->peer);
	SSL_CTX_free(t->ctx);
	free(t->store);
	free(t->pin);
	memset(t, 0, sizeof(*t));
}

void tls_describe_names(X509 *cert, char *out, size_t len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	struct buf raw = BUF_INIT;

	/* Gather the names raw, then escape them in one go: str_escape cuts
	 * at a character boundary and says "..." when more follows.  Since
	 * escaping never shortens text, raw text past len would never show:
	 * stop gathering there (a certificate may carry thousands of names). */
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && raw.len <= len; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *a;
		const unsigned char *s;
		char ip[INET6_ADDRSTRLEN];
		size_t n;

		if (g->type == GEN_DNS) {
			a = g->d.dNSName;
			s = ASN1_STRING_get0_data(a);
			n = (size_t)ASN1_STRING_length(a);
			buf_adds(&raw, raw.len ? ", DNS:" : "DNS:");
			buf_add(&raw, s, n < len + 1 ? n : len + 1);
		} else if (g->type == GEN_IPADD) {
			a = g->d.iPAddress;
			s = ASN1_STRING_get0_data(a);
			n = (size_t)ASN1_STRING_length(a);
			if ((n == 4 && inet_ntop(AF_INET, s, ip, sizeof(ip))) ||
			    (n == 16 && inet_ntop(AF_INET6, s, ip, sizeof(ip))))
				buf_addf(&raw, "%sIP:%s", raw.len ? ", " : "", ip);
		}
	}
	GENERAL_NAMES_free(gens);
	if (raw.len)
		str_escape(out, len, raw.data, raw.len);
	else
		snprintf(out, len, "no subjectAltName");
	buf_release(&raw);
}

void tls_describe_dn(const X509_NAME *name, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *raw;
	long got;

	out[0] = '\0';
	if (!b)
		return;
	/* The text as it is (UTF-8, not \UXXXX; control bytes raw), then the
	 * one escaper of postern: every control, C1 or bidi character is
	 * shown the same way as anywhere else (\x1b, not OpenSSL's \1B). */
	X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~(ASN1_STRFLGS_ESC_MSB | ASN1_STRFLGS_ESC_CTRL));
	got = BIO_get_mem_data(b, &raw);
	if (got > 0)
		str_escape(out, len, raw, (size_t)got);
	BIO_free(b);
}

void tls_fingerprint(X509 *cert, int of_key, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char fp[TLS_FINGERPRINT_SIZE];
	int ok;

	if (!len)
		return;
	out[0] = '\0';
	/* Not X509_pubkey_digest(): it hashes only the key's bit string.
	 * A key pin is over the whole DER SubjectPublicKeyInfo (RFC 7469,
	 * curl's --pinnedpubkey, `openssl x509 -pubkey | openssl pkey
	 * -pubin -outform DER | sha256sum`), so encode that first. */
	if (of_key) {
		unsigned char *der = NULL;
		int dl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);

		ok = dl > 0 && EVP_Digest(der, (size_t)dl, md, &n, EVP_sha256(), NULL) == 1;
		OPENSSL_free(der);
	} else {
		ok = X509_digest(cert, EVP_sha256(), md, &n) == 1;
	}
	if (!ok || n != 32)
		return;
	memcpy(fp, "sha256:", 7);
	for (unsigned int i = 0; i < n; i++) {
		fp[7 + 3 * i] = hex[md[i] >> 4];
		fp[7 + 3 * i + 1] = hex[md[i] & 15];
		fp[7 + 3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
	snprintf(out, len, "%s", fp);
}

static int verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct verify_info *vi = ssl ? SSL_get_ex_data(ssl, verify_index) : NULL;
	X509 *cert;

	if (ok || !vi || vi->err)
		return ok;
	vi->err = X509_STORE_CTX_get_error(store);
	vi->depth = X509_STORE_CTX_get_error_depth(store);
	/* Describe the server's own certificate, whatever depth failed. */
	cert = sk_X509_value(X509_STORE_CTX_get0_chain(store), 0);
	if (!cert)
		cert = X509_STORE_CTX_get0_cert(store);
	if (cert) {
		const ASN1_TIME *na = X509_get0_notAfter(cert);
		struct tm tm;

		tls_describe_names(cert, vi->names, sizeof(vi->names));
		tls_describe_dn(X509_get_subject_name(cert), vi->subject, sizeof(vi->subject));
		tls_describe_dn(X509_get_issuer_name(cert), vi->issuer, sizeof(vi->issuer));
		if (na && ASN1_TIME_to_tm(na, &tm))
			strftime(vi->not_after, sizeof(vi->not_after), "%Y-%m-%d %H:%M UTC", &tm);
	}
	return 0;
}

static int explain(const struct tls_ctx *t, const struct conn *c, const char *host,
		   const struct verify_info *vi, struct error *e)
{
	const char *store = t->store ? t->store : "the system's CA store";

	switch (vi->err) {
	case X509_V_ERR_APPLICATION_VERIFICATION:
		if (t->pin)
			return error_set(e, ERR_TLS,
					 "the certificate of %s port %u does not match tls_fingerprint: it has "
					 "the fingerprint %s and its public key %s (%.200s, issued by %.200s); "
					 "if the server's operator changed it (ask them), set tls_fingerprint to "
					 "one of these, else this connection is being intercepted",
					 host, c->port, vi->cert_fp, vi->key_fp, vi->names,
					 vi->issuer[0] ? vi->issuer : "?");
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return error_set(e, ERR_TLS,
				 "certificate name mismatch: %s port %u presented a certificate for %s, not for %s; "
				 "set host = to a name the certificate covers (your provider documents it), "
				 "or this connection is being intercepted",
				 host, c->port, vi->names, host);
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return error_set(e, ERR_TLS,
				 "the certificate of %s (%s) expired on %s; the server's operator must renew it "
				 "(or your clock is wrong)", host, vi->names, vi->not_after);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return error_set(e, ERR_TLS,
				 "the certificate of %s (%s) is not valid yet; check this machine's clock",
				 host, vi->names);
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return error_set(e, ERR_TLS,
				 "the certificate of %s (%s, issued by %s) is not signed by a CA in %s; "
				 "if this is your own server, set tls_ca_file = the CA certificate that signed it",
				 host, vi->names, vi->issuer[0] ? vi->issuer : "an unknown issuer", store);
	default:
		break;
	}
	return error_set(e, ERR_TLS, "the certificate of %s (%s) was refused: %s",
			 host, vi->names, X509_verify_cert_error_string(vi->err));
}

/* Keep the leaf the server sent for tls_peer_cert().  After a refused
 * verification OpenSSL has no verified peer, but the chain as received is
 * still there, leaf first. */
static void keep_peer(struct tls_ctx *t, SSL *ssl, int verify_error)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);

	if (!cert && chain && sk_X509_num(chain) > 0)
		cert = sk_X509_value(chain, 0);
	X509_free(t->peer);
	t->peer = cert && X509_up_ref(cert) == 1 ? cert : NULL;
	t->peer_error = verify_error;
}

X509 *tls_peer_cert(const struct tls_ctx *t, int *verify_error)
{
	if (verify_error)
		*verify_error = t->peer_error;
	return t->peer;
}

static int is_ip_literal(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

int tls_start(struct tls_ctx *t, struct conn *c, const char *host, unsigned timeout_ms,
	      struct error *e)
{
	struct verify_info vi;
	SSL *ssl;
	long long deadline;

	memset(&vi, 0, sizeof(vi));
	ssl = SSL_new(t->ctx);
	if (!ssl)
		return error_set(e, ERR_TLS, "cannot create a TLS session");
	SSL_set_ex_data(ssl, verify_index, &vi);
	SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_cb);
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip_literal(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1)
			goto fail_setup;
	} else {
		if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1)
			goto fail_setup;
	}
	if (SSL_set_fd(ssl, c->fd) != 1)
		goto fail_setup;

	deadline = now_ms() + timeout_ms;
	for (;;) {
		short events;
		long long left;
		int r, err;

		ERR_clear_error();
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		err = SSL_get_error(ssl, r);
		if (err == SSL_ERROR_WANT_READ)
			events = POLLIN;
		else if (err == SSL_ERROR_WANT_WRITE)
			events = POLLOUT;
		else {
			int saved = errno;
			long vr = SSL_get_verify_result(ssl);
			if (vi.err || vr != X509_V_OK) {
				if (!vi.err)
					vi.err = (int)vr;
				explain(t, c, host, &vi, e);
			} else if (err == SSL_ERROR_SSL) {
				unsigned long code = ERR_get_error();
				char buf[256];
				ERR_error_string_n(code, buf, sizeof(buf));
				int reason = ERR_GET_REASON(code);
				int version = reason == SSL_R_UNSUPPORTED_PROTOCOL ||
					      reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION;
				int v13 = t->min_version == TLS1_3_VERSION;

				error_set(e, ERR_TLS,
					  "TLS handshake with %s port %u failed: %s%s", host, c->port, buf,
					  reason == SSL_R_WRONG_VERSION_NUMBER
					  ? " (the server does not speak TLS here: port 587 needs tls = starttls, "
					    "port 465 tls = implicit)"
					  : version && v13
					  ? " (the server does not offer TLS 1.3, which tls_min_version = 1.3 "
					    "requires; set tls_min_version = 1.2 to accept TLS 1.2)"
					  : version ? " (the server offers only TLS older than 1.2)" : "");
			} else {
				error_set(e, ERR_TEMP, "TLS handshake with %s port %u failed: %s",
					  host, c->port, saved ? strerror(saved) : "the server closed the connection");
			}
			ERR_clear_error();
			keep_peer(t, ssl, vi.err);
			SSL_free(ssl);
			return -1;
		}
		/* one deadline for the whole handshake; a terminating signal
		 * ends the wait at once (interrupt.h) */
		left = deadline - now_ms();
		r = left > 0 ? interrupt_poll(c->fd, events, (int)left) : 0;
		if (r == 0) {
			SSL_free(ssl);
			return error_set(e, ERR_TEMP, "TLS handshake with %s port %u timed out after %u s",
					 host, c->port, timeout_ms / 1000);
		}
		if (r < 0) {
			SSL_free(ssl);
			if (errno == EINTR)
				return error_set(e, ERR_INTERRUPTED, "interrupted by %s during the TLS "
						 "handshake with %s", interrupt_name(interrupt_signal()), host);
			return error_set(e, ERR_TEMP, "TLS handshake with %s: %s", host, strerror(errno));
		}
	}
	SSL_set_ex_data(ssl, verify_index, NULL);
	keep_peer(t, ssl, 0);
	c->ssl = ssl;
	return 0;

fail_setup:
	ERR_clear_error();
	SSL_free(ssl);
	return error_set(e, ERR_TLS, "cannot set up TLS for host %s", host);
}
