/* Config parsing and validation: defaults, inheritance, every refusal names
 * file:line, permission checks on files holding a password, and no copy of
 * a password left behind in freed memory or on the stack.
 *
 * Linked with -Wl,--wrap=free -Wl,--wrap=realloc (Makefile.am): every free
 * and realloc that libpostern.a and this file make goes through
 * __wrap_free/__wrap_realloc below, which look in the block for the
 * password under watch before giving it back.  Unlike replacing malloc
 * itself, this works with ASan, whose allocator stays in charge. */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The password the leak tests look for.  It appears in this program only
 * in read-only data (string literals), so any copy found on the stack or in
 * a freed block was made by the code under test. */
#define CANARY "Kq7-canary-Xw9"
/* A long password made of copies of it: a stack check looks for any copy
 * that the calls made after the copying left intact. */
#define CANARY4 CANARY "." CANARY "." CANARY "." CANARY
#define LONG_SECRET CANARY4 "." CANARY4

static const char *watch;	/* the password looked for, or NULL */
static int leaked;		/* blocks freed or reallocated holding it */

void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);

static int holds_watched(void *p)
{
	return watch && p && memmem(p, malloc_usable_size(p), watch, strlen(watch));
}

/* A block found holding the password is counted and wiped, so that one
 * leak is not counted again through a later block reusing its memory. */
void __wrap_free(void *p)
{
	if (holds_watched(p)) {
		leaked++;
		memset(p, 0, malloc_usable_size(p));
	}
	__real_free(p);
}

/* realloc may move the block and free the old one as it is: a realloc of a
 * block holding the password counts even when it happened to grow in
 * place.  Such a block is then moved by hand and wiped. */
void *__wrap_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (!holds_watched(p))
		return __real_realloc(p, n);
	leaked++;
	q = malloc(n);
	if (q) {
		old = malloc_usable_size(p);
		memcpy(q, p, old < n ? old : n);
		memset(p, 0, old);
		__real_free(p);
	}
	return q;
}

/* The stack checks look at memory below the caller's frame, where the
 * frames of the calls it made just before lay.  STACK_SCAN covers far more
 * than config_load and inih use (a few KiB). */
#define STACK_SCAN (64 * 1024)

/* Whether s lies in the STACK_SCAN bytes below the caller's frame.  The
 * array is left uninitialised on purpose: it overlays those old frames.
 * Its elements are unsigned char, whose indeterminate values may be read
 * (C11 6.2.6.1p3, 6.3.2.1p2: its address is taken); the empty asm tells
 * the compiler that the array may have been written, so that it neither
 * warns nor assumes anything about the contents. */
static __attribute__((noinline)) int stack_holds(const char *s)
{
	unsigned char below[STACK_SCAN];

	__asm__ volatile("" : : "r"(below) : "memory");
	return memmem(below, sizeof(below), s, strlen(s)) != NULL;
}

/* Leave a copy of s on the stack (the control that stack_holds sees one). */
static __attribute__((noinline)) void stack_put(const char *s)
{
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", s);
	__asm__ volatile("" : : "r"(copy) : "memory");
}

/* Zero a little more than stack_holds looks at. */
static __attribute__((noinline)) void stack_clear(void)
{
	unsigned char below[STACK_SCAN + 4096];

	memset(below, 0, sizeof(below));
	__asm__ volatile("" : : "r"(below) : "memory");
}

/* Why a stack check cannot be trusted here, or NULL when it can. */
static const char *stack_check_void(void)
{
#ifdef UNDER_ASAN
	/* With detect_stack_use_after_return, ASan moves locals to a "fake
	 * stack" on the heap: stack_holds would look at the wrong memory. */
	if (__asan_get_current_fake_stack())
		return "ASan's fake stack (detect_stack_use_after_return) moves locals off the stack";
#endif
	return NULL;
}

static int parse(struct config *c, const char *text, struct error *e)
{
	config_init(c);
	error_clear(e);
	return config_parse_string(c, "test.ini", text, e);
}

static void expect_error(const char *text, const char *needle, const char *name)
{
	struct config c;
	struct error e;
	int rc = parse(&c, text, &e);

	ok(rc == -1 && e.cls == ERR_CONFIG && strstr(e.msg, needle), "%s", name);
	if (rc != -1 || !strstr(e.msg, needle))
		printf("#   message: %s\n#   wanted: %s\n", e.msg, needle);
	config_release(&c);
}

static void test_defaults_and_inheritance(void)
{
	struct config c;
	struct error e;
	const struct account *a;

	is_int(parse(&c,
		     "[defaults]\n"
		     "default_account = work      ; used when neither -a nor From picks\n"
		     "tls_ca_file = /tmp/ca.pem\n"
		     "timeout = 30\n"
		     "\n"
		     "[work]                      ; an account\n"
		     "host = smtp.example.org\n"
		     "user = alice@example.org\n"
		     "password = pa ss\n"
		     "from = alice@example.org\n"
		     "# a comment\n"
		     "[smtps]\n"
		     "host = mail.example.net\n"
		     "port = 465\n"
		     "from = Bob@Example.NET\n"
		     "[plain]\n"
		     "host = localhost\n"
		     "port = 2525\n"
		     "tls = off\n", &e), 0, "the issue's example parses");
	is_int((long long)c.n, 3, "three accounts");
	a = &c.acc[0];
	is_str(a->host, "smtp.example.org", "host");
	is_int(a->port, 587, "port defaults to 587");
	is_int(a->tls, ACCOUNT_TLS_STARTTLS, "tls defaults to starttls on 587");
	is_int(a->auth, AUTH_ON, "auth defaults to on when user is set");
	is_str(a->password, "pa ss", "password with a space");
	is_int(a->timeout, 30, "timeout inherited from [defaults]");
	is_str(a->tls_ca_file, "/tmp/ca.pem", "tls_ca_file inherited");
	a = &c.acc[1];
	is_int(a->tls, ACCOUNT_TLS_IMPLICIT, "tls defaults to implicit on 465");
	is_int(a->auth, AUTH_OFF, "auth defaults to off without user");
	a = &c.acc[2];
	is_int(a->tls, ACCOUNT_TLS_OFF, "tls = off");
	is_int(a->port, 2525, "explicit port");

	error_clear(&e);
	a = config_select(&c, NULL, NULL, NULL, &e);
	is_str(a ? a->name : NULL, "work", "default_account picks work");
	a = config_select(&c, NULL, "bob@example.net", NULL, &e);
	is_str(a ? a->name : NULL, "smtps", "an -f match picks smtps (case-insensitive)");
	a = config_select(&c, "plain", "bob@example.net", "bob@example.net", &e);
	is_str(a ? a->name : NULL, "plain", "-a wins over a From match");
	a = config_select(&c, "nope", NULL, NULL, &e);
	ok(!a && e.cls == ERR_CONFIG && strstr(e.msg, "no account [nope]"), "unknown -a account");
	config_release(&c);

	is_int(parse(&c, "[a]\nhost=x\n[b]\nhost=y\n", &e), 0, "two accounts");
	ok(!config_select(&c, NULL, NULL, NULL, &e) && strstr(e.msg, "-a ACCOUNT"),
	   "no default with several accounts asks for -a");
	config_release(&c);
	is_int(parse(&c, "[only]\nhost=x\n", &e), 0, "one account");
	a = config_select(&c, NULL, "someone@else", "someone@else", &e);
	is_str(a ? a->name : NULL, "only", "the only account is the default");
	config_release(&c);
}

/* Which address may pick the account: account_by_from = yes (the default:
 * -f, else the message's From), envelope (-f only), no (never). */
static const char *pick(const char *mode, const char *name, const char *envelope,
			const char *header)
{
	static char picked[64];
	char text[512];
	struct config c;
	struct error e;
	const struct account *a;

	snprintf(text, sizeof(text),
		 "[defaults]\n"
		 "default_account = site\n"
		 "%s%s%s"
		 "[site]\nhost = x\nfrom = site@example.org\n"
		 "[boss]\nhost = x\nfrom = Boss@Example.org\n",
		 mode ? "account_by_from = " : "", mode ? mode : "", mode ? "\n" : "");
	if (parse(&c, text, &e)) {
		printf("#   %s\n", e.msg);
		snprintf(picked, sizeof(picked), "(parse error)");
	} else {
		a = config_select(&c, name, envelope, header, &e);
		snprintf(picked, sizeof(picked), "%s", a ? a->name : "(none)");
	}
	config_release(&c);
	return picked;
}

static void test_account_by_from(void)
{
	struct config c;
	struct error e;
	const struct account *a;

	is_int(parse(&c, "[a]\nhost = x\n", &e), 0, "a config without account_by_from");
	is_int(c.by_from, CONFIG_BY_FROM_YES, "account_by_from defaults to yes");
	config_release(&c);

	/* yes, written or not: -f, else the From field. */
	is_str(pick(NULL, NULL, NULL, "boss@example.org"), "boss", "default: the From field picks [boss]");
	is_str(pick("yes", NULL, NULL, "BOSS@example.ORG"), "boss", "yes: the From field picks, case-insensitively");
	is_str(pick("yes", NULL, "boss@example.org", NULL), "boss", "yes: -f picks");
	is_str(pick("yes", NULL, "site@example.org", "boss@example.org"), "site", "yes: -f wins over the From field");
	is_str(pick("yes", NULL, "nobody@example.org", "boss@example.org"), "site",
	       "yes: an -f matching no account does not let the From field pick");
	is_str(pick("yes", NULL, NULL, "nobody@example.org"), "site", "yes: no match, default_account");
	is_str(pick("on", NULL, NULL, "boss@example.org"), "boss", "on means yes");

	/* envelope: only the caller's -f. */
	is_str(pick("envelope", NULL, NULL, "boss@example.org"), "site", "envelope: the From field does not pick");
	is_str(pick("Envelope", NULL, "boss@example.org", NULL), "boss", "envelope: -f picks");
	is_str(pick("envelope", NULL, "site@example.org", "boss@example.org"), "site", "envelope: -f, not From");

	/* no: never by address. */
	is_str(pick("no", NULL, NULL, "boss@example.org"), "site", "no: a From matching [boss] does not pick it");
	is_str(pick("no", NULL, "boss@example.org", "boss@example.org"), "site", "no: nor does -f");
	is_str(pick("no", "boss", NULL, "site@example.org"), "boss", "no: -a still picks");
	is_str(pick("off", NULL, "boss@example.org", NULL), "site", "off means no");

	is_int(parse(&c, "[defaults]\naccount_by_from = no\n[a]\nhost = x\nfrom = a@x\n[b]\nhost = y\nfrom = b@x\n", &e),
	       0, "no without default_account");
	error_clear(&e);
	a = config_select(&c, NULL, "b@x", "b@x", &e);
	ok(!a && e.cls == ERR_CONFIG && strstr(e.msg, "pass -a ACCOUNT, or set default_account"),
	   "no, several accounts, no default_account: -a is asked for, no address picks");
	config_release(&c);
	is_int(parse(&c, "[defaults]\naccount_by_from = no\n[only]\nhost = x\n", &e), 0, "no with one account");
	a = config_select(&c, NULL, NULL, "someone@else", &e);
	is_str(a ? a->name : NULL, "only", "no: the only account");
	config_release(&c);

	expect_error("[a]\nhost = x\naccount_by_from = no\n",
		     "test.ini:3: account_by_from belongs in [defaults], not in an account",
		     "account_by_from in an account is refused with file:line");
	expect_error("[defaults]\naccount_by_from = maybe\n[a]\nhost = x\n",
		     "test.ini:2: account_by_from = maybe is not one of yes, envelope, no",
		     "a bad account_by_from value");
	expect_error("[defaults]\naccount_by_from = no\naccount_by_from = yes\n[a]\nhost = x\n",
		     "test.ini:3: account_by_from is set twice", "account_by_from twice");
}

/* The queue's keys: queue and queue_lifetime per account (inherited),
 * queue_dir and background_retry in [defaults] only. */
static void test_queue_keys(void)
{
	struct config c;
	struct error e;

	is_int(parse(&c, "[a]\nhost = x\n", &e), 0, "no queue keys");
	is_int(c.acc[0].queue, ACCOUNT_QUEUE_AUTO, "queue defaults to auto");
	is_int(c.acc[0].queue_lifetime, 5 * 86400, "queue_lifetime defaults to 5 days");
	ok(c.queue_dir == NULL && c.background_retry == 1, "queue_dir unset, background_retry yes");
	config_release(&c);
	is_int(parse(&c, "[defaults]\nqueue = always\nqueue_lifetime = 2d\nqueue_dir = /var/spool/p\n"
		     "background_retry = no\n[a]\nhost = x\n[b]\nhost = y\nqueue = Never\n"
		     "queue_lifetime = 90m\n", &e), 0, "every queue key");
	is_int(c.acc[0].queue, ACCOUNT_QUEUE_ALWAYS, "queue inherited from [defaults]");
	is_int(c.acc[0].queue_lifetime, 2 * 86400, "queue_lifetime = 2d inherited");
	is_int(c.acc[1].queue, ACCOUNT_QUEUE_NEVER, "queue = never (any case)");
	is_int(c.acc[1].queue_lifetime, 90 * 60, "queue_lifetime = 90m");
	is_str(c.queue_dir, "/var/spool/p", "queue_dir");
	is_int(c.background_retry, 0, "background_retry = no");
	config_release(&c);
	is_int(parse(&c, "[a]\nhost = x\nqueue_lifetime = 3600\n", &e), 0, "seconds without a unit");
	is_int(c.acc[0].queue_lifetime, 3600, "queue_lifetime = 3600");
	config_release(&c);
	expect_error("[a]\nhost = x\nqueue = sometimes\n",
		     "test.ini:3: queue = sometimes is not one of auto, always, never", "a bad queue value");
	expect_error("[a]\nhost = x\nqueue_lifetime = 5w\n",
		     "test.ini:3: queue_lifetime = 5w is not a duration between 1 minute and 60 days "
		     "(a number with s, m, h or d, e.g. 5d)", "a bad queue_lifetime unit");
	expect_error("[a]\nhost = x\nqueue_lifetime = 30s\n",
		     "test.ini:3: queue_lifetime = 30s is not a duration between 1 minute and 60 days "
		     "(a number with s, m, h or d, e.g. 5d)", "queue_lifetime under a minute");
	expect_error("[a]\nhost = x\nqueue_lifetime = 61d\n",
		     "test.ini:3: queue_lifetime = 61d is not a duration between 1 minute and 60 days "
		     "(a number with s, m, h or d, e.g. 5d)", "queue_lifetime over 60 days");
	expect_error("[a]\nhost = x\nqueue_dir = /q\n",
		     "test.ini:3: queue_dir belongs in [defaults], not in an account", "queue_dir in an account");
	expect_error("[defaults]\nqueue_dir = relative/q\n[a]\nhost = x\n",
		     "test.ini:2: queue_dir = relative/q is not an absolute path", "a relative queue_dir");
	expect_error("[defaults]\nbackground_retry = sometimes\n[a]\nhost = x\n",
		     "test.ini:2: background_retry = sometimes is not yes or no", "a bad background_retry");
}

/* log = syslog | none | /file, inherited from [defaults]; NULL when unset
 * (maillog.c decides by the terminal). */
static void test_log_key(void)
{
	struct config c;
	struct error e;

	is_int(parse(&c, "[defaults]\nlog = /var/log/postern.log\n[a]\nhost = x\n[b]\nhost = y\n"
		     "log = none\n[c]\nhost = z\nlog = syslog\n", &e), 0, "log keys");
	is_str(c.acc[0].log, "/var/log/postern.log", "log inherited from [defaults]");
	is_str(c.acc[1].log, "none", "log = none");
	is_str(c.acc[2].log, "syslog", "log = syslog");
	config_release(&c);
	is_int(parse(&c, "[a]\nhost = x\n", &e), 0, "no log key");
	ok(c.acc[0].log == NULL, "log unset: NULL (the default by the terminal)");
	config_release(&c);
	expect_error("[a]\nhost = x\nlog = postern.log\n",
		     "test.ini:3: log = postern.log is not syslog, none or an absolute file name "
		     "(/var/log/postern.log)", "a relative log file");
	expect_error("[a]\nhost = x\nlog = Syslog\n",
		     "test.ini:3: log = Syslog is not syslog, none or an absolute file name "
		     "(/var/log/postern.log)", "log values are lower case");
	expect_error("[a]\nhost = x\nlog = none\nlog = syslog\n",
		     "test.ini:4: log is set twice in this section (an indented line continues the one "
		     "before it)", "log twice");
}

/* tls_fingerprint (both forms, any case; SHA-1/MD5 refused), the client
 * certificate pair, auth = external, tls_min_version, tls_ciphers. */
#define FP_UP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define FP_LOW "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
#define SHA1_FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"
#define MD5_FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

static void test_tls_keys(void)
{
	struct config c;
	struct error e;

	is_int(parse(&c, "[a]\nhost = x\n", &e), 0, "no TLS keys");
	ok(!c.acc[0].tls_fingerprint && !c.acc[0].tls_cert_file && !c.acc[0].tls_key_file &&
	   !c.acc[0].tls_ciphers, "TLS keys unset by default");
	is_int(c.acc[0].tls_min_version, 12, "tls_min_version defaults to 1.2");
	config_release(&c);

	is_int(parse(&c, "[defaults]\ntls_fingerprint = sha256:" FP_LOW "\ntls_min_version = 1.3\n"
		     "tls_ciphers = ECDHE-ECDSA-AES256-GCM-SHA384:TLS_AES_256_GCM_SHA384\n"
		     "tls_cert_file = /c.pem\ntls_key_file = /c.key\n"
		     "[a]\nhost = x\n[b]\nhost = y\ntls_fingerprint = " FP_UP "\n"
		     "tls_min_version = 1.2\nauth = external\n", &e), 0, "every TLS key");
	if (e.cls != ERR_NONE)
		printf("#   %s\n", e.msg);
	is_str(c.acc[0].tls_fingerprint, "sha256:" FP_UP, "pin inherited, lower case made canonical");
	is_int(c.acc[0].tls_min_version, 13, "tls_min_version = 1.3 inherited");
	is_str(c.acc[0].tls_ciphers, "ECDHE-ECDSA-AES256-GCM-SHA384:TLS_AES_256_GCM_SHA384",
	       "tls_ciphers kept as written");
	is_str(c.acc[0].tls_cert_file, "/c.pem", "tls_cert_file inherited");
	is_str(c.acc[0].tls_key_file, "/c.key", "tls_key_file inherited");
	is_str(c.acc[1].tls_fingerprint, "sha256:" FP_UP, "msmtp's form without sha256: accepted");
	is_int(c.acc[1].tls_min_version, 12, "tls_min_version = 1.2 overrides [defaults]");
	is_int(c.acc[1].auth, AUTH_EXTERNAL, "auth = external");
	ok(c.acc[1].user == NULL, "auth = external needs no user");
	config_release(&c);

	expect_error("[a]\nhost = x\ntls_fingerprint = " SHA1_FP "\n",
		     "test.ini:3: tls_fingerprint = " SHA1_FP ": SHA-1 and MD5 fingerprints are refused: "
		     "both digests are broken", "a SHA-1 pin refused, saying why");
	expect_error("[a]\nhost = x\ntls_fingerprint = " MD5_FP "\n",
		     "SHA-1 and MD5 fingerprints are refused", "an MD5 pin refused");
	expect_error("[a]\nhost = x\ntls_fingerprint = sha1:" SHA1_FP "\n",
		     "SHA-1 and MD5 fingerprints are refused", "a sha1: pin refused");
	expect_error("[a]\nhost = x\ntls_fingerprint = sha256:" FP_UP ":00\n",
		     "test.ini:3: tls_fingerprint = sha256:" FP_UP ":00: it is not a SHA-256 fingerprint",
		     "33 bytes refused");
	expect_error("[a]\nhost = x\ntls_fingerprint = sha256:" FP_UP ":\n",
		     "it is not a SHA-256 fingerprint", "a trailing colon refused");
	expect_error("[a]\nhost = x\ntls_fingerprint = sha256:ABCDEF0123456789ABCDEF0123456789"
		     "ABCDEF0123456789ABCDEF0123456789\n",
		     "it is not a SHA-256 fingerprint", "hex without colons refused");
	expect_error("[a]\nhost = x\ntls_fingerprint = sha256:GB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
		     "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\n",
		     "it is not a SHA-256 fingerprint", "a non-hex digit refused");
	expect_error("[a]\nhost = x\ntls_min_version = 1.1\n",
		     "test.ini:3: tls_min_version = 1.1 is not 1.2 or 1.3", "tls_min_version = 1.1 refused");
	expect_error("[a]\nhost = x\ntls_ciphers = NO-SUCH-CIPHER\n",
		     "test.ini:3: OpenSSL refuses tls_ciphers = NO-SUCH-CIPHER", "a bogus tls_ciphers refused");
	expect_error("[a]\nhost = x\ntls_ciphers = TLS_NO_SUCH_SUITE\n",
		     "test.ini:3: OpenSSL refuses tls_ciphers = TLS_NO_SUCH_SUITE",
		     "a bogus TLS 1.3 suite refused");
	expect_error("[a]\nhost = x\ntls_cert_file = /c.pem\n",
		     "test.ini:1: account [a]: tls_cert_file is set but tls_key_file is not",
		     "a certificate without its key");
	expect_error("[a]\nhost = x\ntls_key_file = /c.key\n",
		     "tls_key_file is set but tls_cert_file is not", "a key without its certificate");
	expect_error("[a]\nhost = x\nauth = external\n",
		     "test.ini:1: account [a]: auth = external logs in with a client certificate; add "
		     "tls_cert_file and tls_key_file", "auth = external without a certificate");
	expect_error("[a]\nhost = x\ntls = off\ntls_fingerprint = " FP_UP "\n",
		     "tls = off, yet TLS keys", "a pin with tls = off");
}

static void test_errors(void)
{
	expect_error("[a]\nhost = x\nfrobnicate = 1\n", "test.ini:3: unknown key \"frobnicate\"", "unknown key names file:line");
	expect_error("[a]\nhost = x\nport = 99999\n", "test.ini:3: port = 99999", "bad port");
	expect_error("[a]\nhost = x\nport = 58x\n", "test.ini:3:", "port with junk");
	expect_error("[a]\nhost = x\ntls = maybe\n", "tls = maybe is not one of", "bad tls");
	expect_error("[a]\nhost = x\nauth = kerberos\n", "auth = kerberos", "bad auth");
	expect_error("[a]\nhost = x\ntimeout = 0\n", "timeout = 0", "zero timeout");
	expect_error("[a]\nhost = x\nhost = y\n", "test.ini:3: host is set twice", "duplicate key");
	expect_error("host = x\n[a]\n", "test.ini:1: host = ... comes before any [section]", "key before section");
	expect_error("[a]\nport = 587\n", "account [a] has no host", "missing host");
	expect_error("[a]\nhost = x\nauth = plain\n", "user is not set", "auth without user");
	expect_error("[a]\nhost = x\ntls = off\nuser = u\n", "cleartext", "tls=off with auth refused");
	expect_error("[a]\nhost = x\nport = 587\ntls = implicit\n", "port 587 speaks STARTTLS", "implicit on 587");
	expect_error("[a]\nhost = x\nport = 465\ntls = starttls\n", "port 465 is implicit TLS", "starttls on 465");
	expect_error("[defaults]\ndefault_account = b\n[a]\nhost = x\n", "no section [b]", "default_account missing");
	expect_error("[a]\nhost = x\n[a]\nhost = y\n", "test.ini:3: account [a] is defined twice", "duplicate account");
	expect_error("[a\nhost = x\n", "test.ini:1: section header has no closing", "unclosed section");
	expect_error("[a]\nhost x\n", "test.ini:2: expected key = value", "line without =");
	expect_error("[a]\nhost = x\n  user = y\n", "test.ini:3: line starts with blanks", "indented line");
	expect_error("", "no account", "empty file");
	expect_error("[defaults]\ntimeout = 5\n", "no account", "only defaults");
	{
		char big[400];
		memset(big, 'x', sizeof(big));
		memcpy(big, "[a]\nhost = ", 11);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		expect_error(big, "test.ini:2: line is longer than 199", "overlong line refused, not truncated");
	}
	expect_error("[a]\nhost = x\ndefault_account = a\n",
		     "test.ini:3: default_account belongs in [defaults], not in an account", "default_account in account");
	expect_error("[defaults]\ndefault_account = a\ndefault_account = a\n[a]\nhost = x\n",
		     "test.ini:3: default_account is set twice", "default_account twice");

	{
		struct config c;
		struct error e;
		is_int(parse(&c, "[a]\r\nhost = x\r\ntls = off\r\nuser = u\r\nauth_without_tls = yes\r\n", &e), 0,
		       "CRLF file, tls=off allowed with auth_without_tls");
		is_int(c.acc[0].auth_without_tls, 1, "auth_without_tls = yes");
		config_release(&c);
	}
}

static void test_file_permissions(void)
{
	char dir[] = "/tmp/postern-cfg-XXXXXX", path[256];
	struct config c;
	struct error e;
	int fd;
	static const char text[] = "[a]\nhost = x\nuser = u\npassword = hunter2\n";

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/config.ini", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1), "write config");
	close(fd);

	config_init(&c);
	is_int(config_load(&c, path, &e), 0, "0600 file with a password is accepted");
	config_release(&c);

	chmod(path, 0644);
	config_init(&c);
	error_clear(&e);
	ok(config_load(&c, path, &e) == -1 && e.cls == ERR_CONFIG && strstr(e.msg, "chmod 600") &&
	   strstr(e.msg, "0644"), "0644 file with a password is refused, naming chmod 600");
	ok(!strstr(e.msg, "hunter2"), "the refusal does not print the password");
	config_release(&c);

	chmod(path, 0640);
	config_init(&c);
	ok(config_load(&c, path, &e) == -1 && strstr(e.msg, "0640"), "0640 file with a password is refused");
	config_release(&c);

	/* Without a password, a readable file is fine. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(write(fd, "[a]\nhost = x\n", 13) == 13, "rewrite without password");
	close(fd);
	chmod(path, 0644);
	config_init(&c);
	is_int(config_load(&c, path, &e), 0, "0644 file without a password is accepted");
	config_release(&c);

	/* A password_command in a file others may change runs their command. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(write(fd, "[a]\nhost = x\npassword_command = pass show mail\n", 47) == 47, "rewrite with password_command");
	close(fd);
	chmod(path, 0644);
	config_init(&c);
	is_int(config_load(&c, path, &e), 0, "a readable file with password_command is fine");
	is_str(c.n ? c.acc[0].password_command : NULL, "pass show mail", "password_command kept");
	config_release(&c);
	chmod(path, 0664);
	config_init(&c);
	ok(config_load(&c, path, &e) == -1 && strstr(e.msg, "others can change it") && strstr(e.msg, "chmod 600"),
	   "a group-writable file with password_command is refused");
	config_release(&c);

	/* The size limit, and an empty file, read through config_load. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && ftruncate(fd, 256 * 1024 + 1) == 0, "a file of 256 KiB + 1");
	close(fd);
	config_init(&c);
	ok(config_load(&c, path, &e) == -1 && strstr(e.msg, "larger than 256 KiB"), "a file over 256 KiB is refused");
	config_release(&c);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	config_init(&c);
	ok(config_load(&c, path, &e) == -1 && strstr(e.msg, "no account"), "an empty file has no account");
	config_release(&c);

	config_init(&c);
	ok(config_load(&c, "/nonexistent/postern.ini", &e) == -1 && strstr(e.msg, "/nonexistent/postern.ini"),
	   "missing file named");
	config_release(&c);

	unlink(path);
	rmdir(dir);
}

static void test_find(void)
{
	struct error e;
	char *p;

	p = config_find("/explicit.ini", &e);
	is_str(p, "/explicit.ini", "-C wins");
	free(p);
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
	setenv("HOME", "/nonexistent-home", 1);
	error_clear(&e);
	p = config_find(NULL, &e);
	if (p) {
		ok(strcmp(p, "/nonexistent-xdg/postern/config.ini") != 0, "missing XDG file is not chosen");
		free(p);
	} else {
		ok(e.cls == ERR_CONFIG && strstr(e.msg, "~/.config/postern/config.ini"),
		   "no file found says where to create one");
	}
}

/* The file of the leak tests: the password comes first (so that a reading
 * buffer grows after it holds it: the file is over 16 KiB), a longer line
 * follows it (so that a line buffer grows right after holding it), and it
 * is also the last line (so it is in the last block read, and the last
 * line inih copied). */
static int write_leak_config(const char *path)
{
	static const char head[] =
		"[defaults]\n"
		"password = " CANARY "\n"
		"tls_ca_file = /etc/ssl/private/a-rather-long-path-to-a-private-ca-bundle.pem\n";
	static const char pad[] = "; padding, so that the file is larger than the reading buffer of the code "
				  "of old: 0123456789\n";
	static const char tail[] =
		"[work]\n"
		"host = smtp.example.org\n"
		"user = alice\n"
		"[other]\n"
		"host = mail.example.net\n"
		"user = bob\n"
		"password = " LONG_SECRET "\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc = 0;

	if (fd < 0)
		return -1;
	if (write(fd, head, sizeof(head) - 1) != (ssize_t)(sizeof(head) - 1))
		rc = -1;
	for (int i = 0; i < 200 && rc == 0; i++)
		if (write(fd, pad, sizeof(pad) - 1) != (ssize_t)(sizeof(pad) - 1))
			rc = -1;
	if (rc == 0 && write(fd, tail, sizeof(tail) - 1) != (ssize_t)(sizeof(tail) - 1))
		rc = -1;
	close(fd);
	return rc;
}

/* Nothing of a config's password survives loading and releasing it: no
 * freed or reallocated block held it (the reading buffer, the line buffer,
 * the copies an account inherits from [defaults]), and no copy is left on
 * the stack (the read buffer, inih's line buffer). */
static void test_no_copy_left(void)
{
	char dir[] = "/tmp/postern-leak-XXXXXX", path[256];
	static const char text[] = "[a]\nhost = x\nuser = u\npassword = " LONG_SECRET "\n";
	const char *why = stack_check_void();
	int control, clean, on_stack_load, on_stack_parse, rc_load, rc_parse, heap_leaks;
	struct config c;
	struct error e;
	char *p;

	if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/config.ini", dir);
	if (!ok(write_leak_config(path) == 0, "write the leak test's config"))
		return;

	/* The heap check sees a freed copy (the control). */
	watch = CANARY;
	leaked = 0;
	p = malloc(64);
	memcpy(p, CANARY, sizeof(CANARY));
	__asm__ volatile("" : : "r"(p) : "memory");	/* keep the copy and the free */
	free(p);
	watch = NULL;
	is_int(leaked, 1, "control: a block freed with the password in it is seen");

	/* The stack checks: each scan comes right after the call it checks,
	 * before anything else (printing) reuses that stack. */
	stack_put(CANARY);
	control = stack_holds(CANARY);
	stack_clear();
	clean = stack_holds(CANARY);

	/* Heap and stack apart: the heap check's memmem() uses stack too. */
	watch = CANARY;
	leaked = 0;
	config_init(&c);
	error_clear(&e);
	rc_load = config_load(&c, path, &e);
	config_release(&c);
	config_init(&c);
	rc_parse = config_parse_string(&c, "leak.ini", text, &e);
	config_release(&c);
	watch = NULL;
	heap_leaks = leaked;

	stack_clear();
	config_init(&c);
	config_load(&c, path, &e);
	on_stack_load = stack_holds(CANARY);
	config_release(&c);
	stack_clear();
	config_init(&c);
	config_parse_string(&c, "leak.ini", text, &e);
	on_stack_parse = stack_holds(CANARY);
	config_release(&c);

	is_int(rc_load, 0, "the leak test's config loads");
	if (rc_load)
		printf("#   %s\n", e.msg);
	is_int(rc_parse, 0, "the leak test's text parses");
	is_int(heap_leaks, 0, "no block is freed or reallocated with the password in it");
	if (why) {
		printf("# skipped the stack checks: %s\n", why);
	} else {
		ok(control, "control: a copy left on the stack is seen");
		ok(!clean, "control: the stack holds no copy before loading");
		ok(!on_stack_load, "config_load leaves no copy of the password on the stack");
		ok(!on_stack_parse, "config_parse_string leaves no copy on the stack (inih's line buffer)");
	}
	unlink(path);
	rmdir(dir);
}

/* The shipped example must stay valid. */
static void test_example(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024], text[8192];
	struct config c;
	struct error e;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/contrib/postern.ini.example", top ? top : ".");
	f = fopen(path, "r");
	if (!ok(f != NULL, "contrib/postern.ini.example is readable"))
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	is_int(parse(&c, text, &e), 0, "contrib/postern.ini.example parses");
	if (e.cls != ERR_NONE)
		printf("#   %s\n", e.msg);
	config_release(&c);
}

/* Which port and TLS an account ends up with (issue 8, "Ports"), port =
 * auto, and proxy = checked as it is read. */
static void test_ports_and_proxy(void)
{
	struct config c;
	struct error e;

	is_int(parse(&c,
		     "[defaults]\nport = auto\nproxy = socks5h://localhost:1080\n"
		     "[none]\nhost = a\nport = 587\n"
		     "[p465]\nhost = a\nport = 465\nproxy = socks5://127.0.0.1:9050\n"
		     "[p2525]\nhost = a\nport = 2525\n"
		     "[bare]\nhost = a\nport = 587\ntls = starttls\n", &e), 0, "ports parse");
	is_int(c.acc[0].port, 587, "port = 587: 587");
	is_int(c.acc[0].tls, ACCOUNT_TLS_STARTTLS, "port = 587 alone: STARTTLS");
	is_str(c.acc[0].proxy, "socks5h://localhost:1080", "proxy inherited from [defaults]");
	is_int(c.acc[1].tls, ACCOUNT_TLS_IMPLICIT, "port = 465 alone: implicit TLS");
	is_str(c.acc[1].proxy, "socks5://127.0.0.1:9050", "an account's own proxy");
	is_int(c.acc[2].tls, ACCOUNT_TLS_STARTTLS, "port = 2525 alone: STARTTLS");
	is_int(c.acc[2].port_auto, 0, "a fixed port is not auto");
	config_release(&c);

	is_int(parse(&c, "[defaults]\nport = auto\n[a]\nhost = x\n[b]\nhost = y\nport = AUTO\n"
		     "[c]\nhost = z\n", &e), 0, "port = auto parses");
	ok(c.acc[0].port_auto && c.acc[0].port == 0, "port = auto inherited: auto, no fixed port");
	ok(c.acc[1].port_auto && c.acc[1].port == 0, "port = AUTO in an account");
	config_release(&c);
	is_int(parse(&c, "[c]\nhost = z\n", &e), 0, "no port, no tls");
	ok(!c.acc[0].port_auto && c.acc[0].port == 587 && c.acc[0].tls == ACCOUNT_TLS_STARTTLS,
	   "no port and no tls: 587 with STARTTLS");
	config_release(&c);

	expect_error("[a]\nhost = x\nport = auto\ntls = implicit\n",
		     "test.ini:1: account [a]: port = auto chooses tls itself", "auto with tls refused");
	expect_error("[a]\nhost = x\nport = auto\nproxy = socks5://h:1\n",
		     "port = auto does not work through a proxy", "auto with a proxy refused");
	expect_error("[a]\nhost = x\nport = automatic\n",
		     "test.ini:3: port = automatic is not a port number (1-65535) or auto", "port = automatic");
	expect_error("[a]\nhost = x\nproxy = http://h:8080\n",
		     "test.ini:3: proxy = http://h:8080: only socks5://HOST:PORT and socks5h://", "http proxy refused");
	expect_error("[a]\nhost = x\nproxy = socks5://u:p@h:1080\n",
		     "test.ini:3: proxy = ...@...: a user name and password", "proxy auth refused");
	expect_error("[a]\nhost = x\nproxy = socks5h://h\n",
		     "test.ini:3: proxy = socks5h://h has no port", "proxy without port");
}

/* from lists and wildcards, and the keys for cron and web apps. */
static void test_from_lists(void)
{
	struct config c;
	struct error e;
	const struct account *a;

	is_int(parse(&c, "[defaults]\ndefault_domain = example.org\nrewrite_from = never\n"
		     "aliases = /etc/postern-aliases\n"
		     "[me]\nhost = x\nfrom = *@lists.example.org, Me@Example.org , alias@example.org\n"
		     "allow_from_override = no\n"
		     "[catch]\nhost = x\nfrom = *@example.org\nrewrite_from = always\nfrom = x\n", &e), -1,
	       "from twice in a section: refused");
	is_str(e.msg, "test.ini:13: from is set twice in this section (an indented line continues the one before it)",
	       "... naming its line");
	config_release(&c);
	is_int(parse(&c, "[defaults]\ndefault_domain = example.org\nrewrite_from = never\n"
		     "aliases = /etc/postern-aliases\n"
		     "[me]\nhost = x\nfrom = *@lists.example.org, Me@Example.org , alias@example.org\n"
		     "allow_from_override = no\n"
		     "[catch]\nhost = x\nfrom = *@example.org, *@*.example.net\nrewrite_from = auto\n"
		     "[plain]\nhost = x\n", &e), 0, "from lists parse");
	a = &c.acc[0];
	is_str(a->from, "Me@Example.org", "the first address that is no wildcard is the sender");
	is_int(a->from_list.n, 3, "three entries");
	is_str(a->from_list.v[2], "alias@example.org", "entries trimmed");
	is_int(a->allow_from_override, 0, "allow_from_override = no");
	is_int(a->rewrite_from, ACCOUNT_REWRITE_NEVER, "rewrite_from inherited from [defaults]");
	is_str(a->default_domain, "example.org", "default_domain inherited");
	is_str(a->aliases, "/etc/postern-aliases", "aliases inherited");
	is_str(c.acc[1].from, NULL, "only wildcards: no sender address");
	is_int(c.acc[1].rewrite_from, ACCOUNT_REWRITE_AUTO, "rewrite_from set in the account");
	is_int(c.acc[1].allow_from_override, 1, "allow_from_override defaults to yes");
	is_int(c.acc[2].from_list.n, 0, "no from: an empty list");
	is_str(c.acc[2].aliases, "/etc/postern-aliases", "aliases inherited by an account without from");

	ok(account_may_send_as(a, "me@example.org"), "an address of the list, case aside");
	ok(account_may_send_as(a, "news@LISTS.example.org"), "a wildcard match");
	ok(!account_may_send_as(a, "news@lists.example.org.evil"), "a wildcard matches to the end");
	ok(!account_may_send_as(a, "root"), "a bare name matches nothing");
	ok(!account_may_send_as(a, ""), "the null sender matches nothing");
	ok(account_may_send_as(&c.acc[1], "x@a.b.example.net"), "two wildcards");
	ok(!account_may_send_as(&c.acc[1], "x@example.net"), "*. needs a label");
	ok(!account_may_send_as(&c.acc[2], "x@example.org"), "an account without from sends as nobody");

	a = config_select(&c, NULL, "alias@example.org", NULL, &e);
	is_str(a ? a->name : "(none)", "me", "select: a later address of a list");
	a = config_select(&c, NULL, NULL, "alias@example.org", &e);
	is_str(a ? a->name : "(none)", "me", "select: by the From too");
	a = config_select(&c, NULL, "other@example.org", NULL, &e);
	is_str(a ? a->name : "(none)", "catch", "select: a wildcard");
	config_release(&c);

	/* an address beats a wildcard of an earlier account */
	is_int(parse(&c, "[defaults]\ndefault_account = b\n[all]\nhost = x\nfrom = *@example.org\n"
		     "[boss]\nhost = y\nfrom = boss@example.org\n[b]\nhost = z\n", &e), 0,
	       "wildcard before address parses");
	a = config_select(&c, NULL, "boss@example.org", NULL, &e);
	is_str(a ? a->name : "(none)", "boss", "select: an exact address beats an earlier wildcard");
	a = config_select(&c, NULL, "x@example.org", NULL, &e);
	is_str(a ? a->name : "(none)", "all", "select: else the wildcard");
	a = config_select(&c, NULL, "x@example.net", NULL, &e);
	is_str(a ? a->name : "(none)", "b", "select: else default_account");
	config_release(&c);

	expect_error("[a]\nhost = x\nfrom = a@x,,b@x\n",
		     "test.ini:3: from has an empty entry; list addresses separated by commas", "from: an empty entry");
	expect_error("[a]\nhost = x\nfrom = Alice <a@x>\n",
		     "test.ini:3: from = Alice <a@x>: an entry is a bare address (you@example.org) "
		     "or a wildcard (*@example.org), nothing else", "from: a display name");
	expect_error("[a]\nhost = x\nfrom = root\n",
		     "test.ini:3: from = root: \"root\" has no @domain; write you@example.org", "from: no domain");
	expect_error("[a]\nhost = x\ndefault_domain = -example.org\n",
		     "test.ini:3: default_domain = -example.org is not a domain name (e.g. example.org)",
		     "default_domain: not a domain");
	expect_error("[a]\nhost = x\ndefault_domain = a..b\n",
		     "test.ini:3: default_domain = a..b is not a domain name (e.g. example.org)",
		     "default_domain: an empty label");
	expect_error("[a]\nhost = x\nrewrite_from = sometimes\n",
		     "test.ini:3: rewrite_from = sometimes is not one of auto, always, never", "rewrite_from: bad value");
	expect_error("[a]\nhost = x\naliases = aliases.txt\n",
		     "test.ini:3: aliases = aliases.txt is not an absolute path (or none)", "aliases: relative path");
	expect_error("[a]\nhost = x\nallow_from_override = no\n",
		     "test.ini:1: account [a]: allow_from_override = no needs the address to send as: "
		     "add from = you@example.org (its first address that is not a wildcard)",
		     "allow_from_override = no without from");
	expect_error("[a]\nhost = x\nfrom = *@x\nrewrite_from = always\n",
		     "test.ini:1: account [a]: rewrite_from = always needs the address to send as: "
		     "add from = you@example.org (its first address that is not a wildcard)",
		     "rewrite_from = always with only a wildcard");
	is_int(parse(&c, "[a]\nhost = x\naliases = none\n", &e), 0, "aliases = none");
	config_release(&c);
}

int main(void)
{
	test_from_lists();
	test_defaults_and_inheritance();
	test_ports_and_proxy();
	test_account_by_from();
	test_queue_keys();
	test_log_key();
	test_tls_keys();
	test_errors();
	test_file_permissions();
	test_find();
	test_example();
	test_no_copy_left();
	return tap_done();
}
