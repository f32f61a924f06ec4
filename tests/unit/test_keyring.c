/* test_keyring.c - the keyring when libsecret cannot be loaded: this test
 * links its own keyring.c built with KEYRING_LIBRARY naming a library that
 * does not exist (see Makefile.am).  Each keyring operation must say how
 * to install the library, and the other sources must still answer.  (A
 * build --without-libsecret checks its own message instead.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "keyring.h"
#include "credential.h"
#include "prompt.h"
#include "secret.h"
#include "tap.h"
#include "util.h"

#ifdef HAVE_LIBSECRET
#define EXPECTED "the keyring library (libpostern-absent.so.0) is not installed: apt-get install libsecret-1-0"
#else
#define EXPECTED "built without keyring support"
#endif

static char tmpdir[] = "/tmp/test_keyring.XXXXXX";

int main(void)
{
	struct account a;
	struct secret s;
	struct error e;
	struct buf why = BUF_INIT;
	struct credential_opts o = { 0, 0 };
	char *path;
	FILE *f;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	setenv("HOME", tmpdir, 1);
	/* A bus address, so that the library is the first thing to fail. */
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/postern-test-bus", 1);
	memset(&a, 0, sizeof(a));
	a.name = (char *)"t";
	a.host = (char *)"mail.example.org";
	a.user = (char *)"alice@example.org";
	secret_init(&s);
	error_clear(&e);

	is_int(keyring_lookup(&a, &s, &why), 0, "lookup: not found");
	ok(strstr(why.data, EXPECTED) != NULL, "lookup: says why, and what to install (%s)", why.data);
	ok(s.value == NULL, "lookup: no secret");
	buf_reset(&why);
	is_int(keyring_lookup(&a, &s, &why), 0, "lookup again: still not found (no crash on retry)");
	ok(strstr(why.data, EXPECTED) != NULL, "lookup again: same message");

	is_int(keyring_store(&a, "pw", &e), -1, "store: fails");
	is_int(e.cls, ERR_CONFIG, "store: ERR_CONFIG");
	ok(strstr(e.msg, EXPECTED) != NULL, "store: says so (%s)", e.msg);
	error_clear(&e);
	is_int(keyring_forget(&a, &e), -1, "forget: fails");
	ok(strstr(e.msg, EXPECTED) != NULL, "forget: says so (%s)", e.msg);
	is_int(keyring_count_others(&a), 0, "count others: 0");

	/* The other sources still work: .netrc after the keyring... */
	path = xasprintf("%s/.netrc", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return 2;
	fputs("machine mail.example.org login alice@example.org password fromnetrc\n", f);
	fclose(f);
	chmod(path, 0600);
	error_clear(&e);
	is_int(credential_lookup(&a, &o, &s, &e), 0, "netrc after a missing library: found");
	is_str(s.value, "fromnetrc", "netrc after a missing library: its password");
	is_int(s.source, SECRET_NETRC, "netrc after a missing library: source netrc");
	secret_release(&s);
	unlink(path);

	/* ...and the final message names the keyring's part. */
	is_int(credential_lookup(&a, &o, &s, &e), -1, "nothing answers: fails");
	ok(strstr(e.msg, EXPECTED) != NULL, "nothing answers: the keyring's part named (%s)", e.msg);

	/* password_command never touches the keyring. */
	a.password_command = (char *)"echo fromcmd";
	is_int(credential_lookup(&a, &o, &s, &e), 0, "password_command: works");
	is_str(s.value, "fromcmd", "password_command: its password");
	secret_release(&s);

	free(path);
	buf_release(&why);
	rmdir(tmpdir);
	return tap_done();
}
