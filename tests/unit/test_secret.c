/* test_secret.c - password sources without a keyring: password_command
 * (success, exit status, empty output, timeout, CRLF, what the child gets),
 * ~/.netrc through the lookup (found, permissions, the message when nothing
 * answers), the order of sources, the "no session bus" message and that
 * without a bus libsecret is never loaded.  The .netrc parser has its own
 * test (test_netrc.c), a missing libsecret too (test_keyring.c), and the
 * keyring itself is tested for real in tests/integration/keyring.sh. */
#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "keyring.h"
#include "credential.h"
#include "prompt.h"
#include "secret.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test_secret.XXXXXX";

static void acct_init(struct account *a, const char *cmd, const char *password)
{
	memset(a, 0, sizeof(*a));
	a->name = xstrdup("t");
	a->host = xstrdup("mail.example.org");
	a->user = xstrdup("alice@example.org");
	a->port = 587;
	a->password_command = cmd ? xstrdup(cmd) : NULL;
	a->password_command_line = 7;
	a->password = password ? xstrdup(password) : NULL;
	a->password_line = 5;
}

static void acct_release(struct account *a)
{
	free(a->name);
	free(a->host);
	free(a->user);
	free(a->password_command);
	free(a->password);
	memset(a, 0, sizeof(*a));
}

/* Look up with only password_command (or config) set. */
static int lookup(const char *cmd, const char *password, unsigned timeout, struct secret *s,
		  struct error *e)
{
	struct account a;
	struct credential_opts o = { .allow_prompt = 0, .command_timeout = timeout };
	int rc;

	acct_init(&a, cmd, password);
	error_clear(e);
	secret_init(s);
	rc = credential_lookup(&a, &o, s, e);
	acct_release(&a);
	return rc;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Dead or a zombie (an orphan's zombie may wait long for its reaper). */
static int gone(pid_t pid)
{
	char path[64], *st, *rp;
	int z;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	st = tap_slurp_text(path);
	rp = strrchr(st, ')');
	z = !*st || (rp && rp[1] == ' ' && rp[2] == 'Z');
	free(st);
	return z;
}

static void test_command(void)
{
	struct secret s;
	struct error e;
	char *cmd, *path, *text;
	double t0;

	is_int(lookup("printf 'pw one\\nsecond line\\n'", NULL, 0, &s, &e), 0, "command: succeeds");
	is_str(s.value, "pw one", "command: first line of stdout, blanks kept");
	is_int(s.len, 6, "command: length");
	is_int(s.source, SECRET_COMMAND, "command: source is password_command");
	is_str(secret_source_name(s.source), "password_command", "command: source name");
	ok(strstr(s.desc, "line 7") != NULL, "command: desc names the line (%s)", s.desc);
	secret_release(&s);
	ok(s.value == NULL && s.len == 0 && s.source == SECRET_NONE, "release: empties the struct");

	is_int(lookup("printf 'crlf\\r\\n'", NULL, 0, &s, &e), 0, "CRLF: succeeds");
	is_str(s.value, "crlf", "CRLF: CR and LF stripped");
	secret_release(&s);

	is_int(lookup("printf 'no newline'", NULL, 0, &s, &e), 0, "no final newline: succeeds");
	is_str(s.value, "no newline", "no final newline: whole output");
	secret_release(&s);

	is_int(lookup("echo 'gpg: decryption failed: No secret key' >&2; exit 2", NULL, 0, &s, &e), -1,
	       "exit 2: fails");
	is_int(e.cls, ERR_CONFIG, "exit 2: ERR_CONFIG (exit 78)");
	ok(strstr(e.msg, "password_command (line 7) exited with status 2") != NULL,
	   "exit 2: status in the message (%s)", e.msg);
	ok(strstr(e.msg, "gpg: decryption failed: No secret key") != NULL, "exit 2: its stderr shown");
	ok(s.value == NULL, "exit 2: no secret kept");

	/* What the command printed on stdout may be the password: it must not
	 * appear in the message at all.  The text is made by tr, so that it is
	 * not in the command line (which a message may quote) either. */
	is_int(lookup("echo pw-leak-q7 | tr a-z A-Z; echo err >&2; exit 1", NULL, 0, &s, &e), -1,
	       "exit 1 after printing: fails anyway");
	ok(strstr(e.msg, "status 1: err") != NULL, "exit 1: stderr shown (%s)", e.msg);
	ok(strstr(e.msg, "PW-LEAK-Q7") == NULL, "exit 1: stdout (maybe a password) not shown (%s)", e.msg);
	ok(s.value == NULL, "exit 1: no secret kept");

	is_int(lookup("true", NULL, 0, &s, &e), -1, "empty output: fails");
	ok(strstr(e.msg, "printed nothing") != NULL, "empty output: says it printed nothing (%s)", e.msg);
	is_int(lookup("echo; echo second", NULL, 0, &s, &e), -1, "empty first line: fails");
	ok(strstr(e.msg, "printed nothing") != NULL, "empty first line: says so (%s)", e.msg);

	is_int(lookup("no-such-command-postern-test", NULL, 0, &s, &e), -1, "missing command: fails");
	ok(strstr(e.msg, "status 127") && strstr(e.msg, "not found"),
	   "missing command: status 127 and the shell's complaint (%s)", e.msg);

	is_int(lookup("kill -9 $$", NULL, 0, &s, &e), -1, "killed by a signal: fails");
	ok(strstr(e.msg, "signal 9") != NULL, "killed: names the signal (%s)", e.msg);

	/* Timeout: the command and what it started are killed. */
	path = xasprintf("%s/bgpid", tmpdir);
	cmd = xasprintf("sleep 30 & echo $! > %s; wait", path);
	t0 = now();
	is_int(lookup(cmd, NULL, 1, &s, &e), -1, "timeout: fails");
	ok(now() - t0 < 3.0, "timeout: gives up after about 1 s (%.2f s)", now() - t0);
	ok(strstr(e.msg, "did not finish within 1 s and was killed") != NULL, "timeout: says so (%s)", e.msg);
	text = tap_slurp_text(path);
	{
		pid_t bg = (pid_t)atol(text);
		usleep(100000);
		ok(bg > 0 && gone(bg), "timeout: the command's own children were killed too (pid %ld)",
		   (long)bg);
		if (bg > 0)
			kill(bg, SIGKILL);
	}
	free(text);
	free(cmd);
	free(path);

	/* More output than is kept: drained, not deadlocked. */
	t0 = now();
	is_int(lookup("head -c 300000 /dev/zero | tr '\\0' a; echo", NULL, 5, &s, &e), 0,
	       "300 KB on stdout: read without blocking the command");
	is_int(s.len, 64 * 1024, "300 KB: the first 64 KiB kept");
	secret_release(&s);

	/* What the child gets: stdin /dev/null, argv sh -c CMD, no secret in
	 * its environment (postern puts nothing there). */
	is_int(lookup("readlink /proc/self/fd/0", NULL, 0, &s, &e), 0, "child: runs");
	is_str(s.value, "/dev/null", "child: stdin is /dev/null");
	secret_release(&s);
	setenv("POSTERN_TEST_MARK", "visible", 1);
	path = xasprintf("%s/childenv", tmpdir);
	cmd = xasprintf("env > %s; tr '\\0' '\\n' < /proc/$$/cmdline >> %s; echo from-cmd", path, path);
	{
		struct account a;
		struct credential_opts o = { 0, 0 };

		/* A config password wins, so the command must not even run. */
		acct_init(&a, cmd, "config-secret-value");
		secret_init(&s);
		error_clear(&e);
		is_int(credential_lookup(&a, &o, &s, &e), 0, "order: config password and command: succeeds");
		is_str(s.value, "config-secret-value", "order: the config password wins over password_command");
		is_int(s.source, SECRET_CONFIG, "order: source is config");
		ok(access(path, F_OK) != 0, "order: password_command was not run");
		secret_release(&s);
		acct_release(&a);
	}
	is_int(lookup(cmd, NULL, 0, &s, &e), 0, "child env: command runs");
	is_str(s.value, "from-cmd", "child env: its answer");
	secret_release(&s);
	text = tap_slurp_text(path);
	ok(strstr(text, "POSTERN_TEST_MARK=visible") != NULL, "child env: the environment is inherited");
	ok(strstr(text, "sh\n-c\nenv >") != NULL, "child argv: sh -c COMMAND and nothing more");
	ok(!strstr(text, "from-cmd\n") || strstr(text, "echo from-cmd"),
	   "child env/argv: holds no password");
	ok(!strstr(text, "PASSWORD") && !strstr(text, "config-secret-value"),
	   "child env: no PASSWORD variable, no secret");
	free(text);
	free(cmd);
	free(path);
}

static void test_read_line(void)
{
	int p[2];
	struct secret s;
	struct error e;
	char rest[16] = "";

	secret_init(&s);
	error_clear(&e);
	if (pipe(p))
		return;
	if (write(p[1], "typed\r\nrest", 11) != 11)
		return;
	close(p[1]);
	is_int(prompt_read_line(p[0], &s, &e), 0, "read line: succeeds");
	is_str(s.value, "typed", "read line: CR/LF stripped");
	is_int(read(p[0], rest, sizeof(rest) - 1), 4, "read line: nothing after the line consumed");
	is_str(rest, "rest", "read line: the rest is still there");
	close(p[0]);
	secret_release(&s);

	if (pipe(p))
		return;
	close(p[1]);
	is_int(prompt_read_line(p[0], &s, &e), -1, "read line: empty input fails");
	is_int(e.cls, ERR_USAGE, "read line: empty is a usage error");
	close(p[0]);
}

/* The keyring is skipped (no bus) so .netrc answers. */
static int netrc_lookup_with(const char *text, mode_t mode, const char *user, struct secret *s,
			     struct error *e)
{
	char *path = xasprintf("%s/home/.netrc", tmpdir);
	struct account a;
	struct credential_opts o = { 0, 0 };
	int rc;

	tap_write_file(path, text, mode);
	acct_init(&a, NULL, NULL);
	if (user) {
		free(a.user);
		a.user = xstrdup(user);
	}
	secret_init(s);
	error_clear(e);
	rc = credential_lookup(&a, &o, s, e);
	acct_release(&a);
	free(path);
	return rc;
}

/* Whether a shared object whose path contains name is mapped. */
static int mapped(const char *name)
{
	char *maps = tap_slurp_text("/proc/self/maps");
	int found = strstr(maps, name) != NULL;

	free(maps);
	return found;
}

static void test_netrc(void)
{
	struct secret s;
	struct error e;
	char *home = xasprintf("%s/home", tmpdir), *rt = xasprintf("%s/run", tmpdir), *p;
	const char *netrc =
		"# a comment line\n"
		"machine other.example.org login alice@example.org password wrong1\n"
		"machine mail.example.org\n"
		"\tlogin bob password wrong2\n"
		"macdef init\n"
		"machine mail.example.org login alice@example.org password inmacro\n"
		"\n"
		"machine MAIL.example.org login alice@example.org account x password \"two words \\\"q\\\"\"\n"
		"default login alice@example.org password fromdefault\n";

	mkdir(home, 0700);
	mkdir(rt, 0700);
	setenv("HOME", home, 1);
	setenv("XDG_RUNTIME_DIR", rt, 1);
	unsetenv("DBUS_SESSION_BUS_ADDRESS");

	/* No bus at all: the plain message, no GLib noise, no delay. */
	ok(!keyring_bus_present(), "no bus: detected without D-Bus");
	is_int(netrc_lookup_with("", 0600, NULL, &s, &e), -1, "no source answers: fails");
	is_int(e.cls, ERR_CONFIG, "no source: ERR_CONFIG (exit 78)");
#ifdef HAVE_LIBSECRET
	ok(strstr(e.msg, "no D-Bus session bus (cron, a web server...): the keyring is unavailable; "
		  "use password_command or a password in a 0600 config") != NULL,
	   "no bus: the plain message (%s)", e.msg);
#else
	ok(strstr(e.msg, "built without keyring support") != NULL,
	   "without libsecret: says so (%s)", e.msg);
#endif
	ok(strstr(e.msg, "no entry for machine mail.example.org login alice@example.org") != NULL,
	   "no source: .netrc's part named");
	ok(strstr(e.msg, "postern password set t") != NULL, "no source: says what to do");
	ok(strstr(e.msg, "no terminal to ask on") != NULL, "no source: no prompt without a terminal");
	/* What cron and PHP rely on: no bus, so libsecret (and with it GLib,
	 * GIO, gcrypt) is not even loaded. */
	ok(!mapped("libsecret-1.so") && !mapped("libglib-2.0.so"),
	   "no bus: libsecret and GLib were not loaded");

	/* A socket at $XDG_RUNTIME_DIR/bus counts as a bus. */
	{
		struct sockaddr_un sa;
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", rt);
		ok(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && keyring_bus_present(),
		   "bus: a socket at $XDG_RUNTIME_DIR/bus is found");
		close(fd);
		unlink(sa.sun_path);
		setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
		ok(keyring_bus_present(), "bus: $DBUS_SESSION_BUS_ADDRESS is trusted");
		unsetenv("DBUS_SESSION_BUS_ADDRESS");
		ok(!keyring_bus_present(), "bus: gone again");
	}

	is_int(netrc_lookup_with(netrc, 0600, NULL, &s, &e), 0, "netrc: found");
	is_str(s.value, "two words \"q\"", "netrc: right machine and login, quoted token, macdef skipped");
	is_int(s.source, SECRET_NETRC, "netrc: source");
	ok(strstr(s.desc, ".netrc (line 8)") != NULL, "netrc: desc names the line (%s)", s.desc);
	secret_release(&s);

	is_int(netrc_lookup_with(netrc, 0600, "carol", &s, &e), -1, "netrc: other login, default has alice: none");
	secret_release(&s);
	is_int(netrc_lookup_with("machine mail.example.org login bob password b\n"
				 "default password anyone\n", 0600, NULL, &s, &e), 0,
	       "netrc: default without login");
	is_str(s.value, "anyone", "netrc: default used when no machine fits");
	secret_release(&s);
	is_int(netrc_lookup_with("machine mail.example.org password nologin\n", 0400, NULL, &s, &e), 0,
	       "netrc: machine without login, mode 0400");
	is_str(s.value, "nologin", "netrc: an entry without login fits any user");
	secret_release(&s);
	is_int(netrc_lookup_with("machine mail.example.org login alice@example.org\n", 0600, NULL, &s, &e), -1,
	       "netrc: entry without password: not used");

	is_int(netrc_lookup_with(netrc, 0644, NULL, &s, &e), -1, "netrc mode 0644: refused");
	is_int(e.cls, ERR_CONFIG, "netrc mode 0644: ERR_CONFIG");
	p = xasprintf("chmod 600 %s/home/.netrc", tmpdir);
	ok(strstr(e.msg, p) != NULL && strstr(e.msg, "0644"), "netrc mode 0644: names the fix (%s)", e.msg);
	free(p);
	ok(s.value == NULL, "netrc refused: no secret kept");
	is_int(netrc_lookup_with(netrc, 0640, NULL, &s, &e), -1, "netrc mode 0640: refused (group)");
	is_int(netrc_lookup_with("machine x.example.org password p\n", 0644, NULL, &s, &e), -1,
	       "netrc 0644 without our entry: just not found");
	ok(strstr(e.msg, "no password for account") != NULL, "netrc 0644 without our entry: no chmod demand");

	/* Config password still first, whatever .netrc holds. */
	{
		struct account a;
		struct credential_opts o = { 0, 0 };

		acct_init(&a, NULL, "cfg");
		secret_init(&s);
		is_int(credential_lookup(&a, &o, &s, &e), 0, "order: config before .netrc");
		is_str(s.value, "cfg", "order: config's value");
		secret_release(&s);
		acct_release(&a);
	}
	p = xasprintf("%s/home/.netrc", tmpdir);
	unlink(p);
	free(p);
	free(home);
	free(rt);
}

int main(void)
{
	char *cmd;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	ok(!mapped("libsecret-1.so") && !mapped("libglib-2.0.so"),
	   "start-up: libsecret and GLib are not linked (loaded only when the keyring is asked)");
	is_str(secret_source_name(SECRET_KEYRING), "keyring", "source name: keyring");
	is_str(secret_source_name(SECRET_NETRC), "netrc", "source name: netrc");
	test_command();
	test_read_line();
	test_netrc();
	cmd = xasprintf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove the temp dir");
	free(cmd);
	return tap_done();
}
