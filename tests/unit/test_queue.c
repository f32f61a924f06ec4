/* queue: the envelope's text format (round trip, escaping, every kind of
 * malformed file), the files of a message through commit, lock, update,
 * remove and fail, locks held by other processes (alive and killed), the
 * sweep of every half-done state, a few hundred SIGKILLs at random moments
 * of a writer, the retry schedule, and the directory's permissions.
 *
 * Runs as any user, in a directory of its own under $TMPDIR.
 * `test_queue --bench DIR` instead times queue_new + 4 KiB + commit +
 * remove (50 runs) in DIR and prints the median. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

static char *root;		/* this run's directory */

/* ---------------------------------------------------------------- helpers */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int exists(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct stat st;
	va_list ap;
	int r;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r = lstat(b.data, &st) == 0;
	buf_release(&b);
	return r;
}

/* Entries in a directory, . and .. not counted; with unlink set, each
 * is removed instead (files only). */
static int scan_dir(const char *dir, int unlink_them)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlink_them && unlinkat(dirfd(d), de->d_name, 0) < 0)
			n = -1000;
		n++;
	}
	closedir(d);
	return n;
}

static int count_dir(const char *dir)
{
	return scan_dir(dir, 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Set a file's times an hour back: older than any grace. */
static void age(const char *path)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 3600;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* Write text into sp keeping the counts as input.c does. */
static int fill(struct spool *sp, const char *text, size_t n, struct error *e)
{
	for (size_t i = 0; i < n; i++) {
		sp->lines += text[i] == '\n';
		sp->eightbit |= (unsigned char)text[i] >= 0x80;
	}
	sp->bytes += n;
	return spool_write(sp, text, n, e);
}

static void make_env(struct qenv *env, const char *id)
{
	qenv_init(env);
	memcpy(env->id, id, QUEUE_ID_SIZE);
	qenv_set(&env->account, "work");
	qenv_set(&env->sender, "alice@example.org");
	qenv_add_rcpt(env, "bob@example.org");
	qenv_add_rcpt(env, "carol@example.net");
	env->created = time(NULL);
	env->next_attempt = env->created;
}

/* A queued message with text; its spool is released unless sp given. */
static int queue_one(struct queue *q, const char *text, char id[QUEUE_ID_SIZE],
		     struct spool *keep, struct error *e)
{
	struct spool sp;
	struct qenv env;
	int rc;

	if (queue_new(q, &sp, id, e))
		return -1;
	make_env(&env, id);
	rc = fill(&sp, text, strlen(text), e) || queue_commit(q, &sp, &env, e) ? -1 : 0;
	qenv_release(&env);
	if (keep && rc == 0)
		*keep = sp;
	else
		spool_release(&sp);
	return rc;
}

/* ---------------------------------------------------------------- format */

static const char full_text[] =
	"postern-queue 1\n"
	"id 6650a1f2c3d4e5f6\n"
	"account work\n"
	"config /home/u/.config/postern/config\n"
	"sender <alice@example.org>\n"
	"created 1716560370\n"
	"bytes 4096\n"
	"lines 80\n"
	"eightbit 1\n"
	"notify SUCCESS,FAILURE\n"
	"ret HDRS\n"
	"envid QQ314159\n"
	"attempts 3\n"
	"next-attempt 1716561000\n"
	"last-attempt 1716560900\n"
	"hold auth\n"
	"last-error 535 5.7.8 failed\\x0d\\x0a\\x1b[31mred \\u{202e}evil\n"
	"rcpt done <bob@example.org>\n"
	"reply 250 2.1.5 Ok \xc3\xbc\n"
	"rcpt pending <\"x y\"@example.org>\n"
	"rcpt failed <carol@example.net>\n"
	"reply 550 5.1.1 <carol@example.net>: no \\xff\n";

static void full_env(struct qenv *env)
{
	qenv_init(env);
	memcpy(env->id, "6650a1f2c3d4e5f6", QUEUE_ID_SIZE);
	qenv_set(&env->account, "work");
	qenv_set(&env->config, "/home/u/.config/postern/config");
	qenv_set(&env->sender, "alice@example.org");
	env->created = 1716560370;
	env->bytes = 4096;
	env->lines = 80;
	env->eightbit = 1;
	qenv_set(&env->notify, "SUCCESS,FAILURE");
	qenv_set(&env->ret, "HDRS");
	qenv_set(&env->envid, "QQ314159");
	env->attempts = 3;
	env->next_attempt = 1716561000;
	env->last_attempt = 1716560900;
	env->hold = QHOLD_AUTH;
	/* as a server might send it: CRLF, an escape sequence, a bidi override */
	qenv_set(&env->last_error, "535 5.7.8 failed\r\n\x1b[31mred \xe2\x80\xae" "evil");
	qenv_add_rcpt(env, "bob@example.org");
	env->rcpt[0].state = QRCPT_DONE;
	qenv_set(&env->rcpt[0].reply, "250 2.1.5 Ok \xc3\xbc");
	qenv_add_rcpt(env, "\"x y\"@example.org");
	qenv_add_rcpt(env, "carol@example.net");
	env->rcpt[2].state = QRCPT_FAILED;
	qenv_set(&env->rcpt[2].reply, "550 5.1.1 <carol@example.net>: no \xff");
}

static void test_format(void)
{
	struct qenv env, back;
	struct buf out = BUF_INIT, again = BUF_INIT;
	struct error e;
	char big[3000];

	full_env(&env);
	is_int(qenv_format(&env, &out, &e), 0, "format: the full envelope");
	is_str(out.data, full_text, "format: exact text, free text escaped to one line");
	is_int(qenv_parse(out.data, out.len, &back, &e), 0, "parse: what format wrote");
	is_str(back.last_error, "535 5.7.8 failed\\x0d\\x0a\\x1b[31mred \\u{202e}evil",
	       "parse: free text comes back escaped (safe to show)");
	is_str(back.rcpt[1].addr, "\"x y\"@example.org", "parse: quoted local part kept");
	ok(back.nrcpt == 3 && back.rcpt[0].state == QRCPT_DONE &&
	   back.rcpt[1].state == QRCPT_PENDING && back.rcpt[2].state == QRCPT_FAILED &&
	   !*back.rcpt[1].reply, "parse: recipients, their states and replies");
	ok(back.created == 1716560370 && back.bytes == 4096 && back.lines == 80 &&
	   back.eightbit == 1 && back.attempts == 3 && back.next_attempt == 1716561000 &&
	   back.last_attempt == 1716560900 && back.hold == QHOLD_AUTH &&
	   !strcmp(back.notify, "SUCCESS,FAILURE") && !strcmp(back.ret, "HDRS") &&
	   !strcmp(back.envid, "QQ314159") && !strcmp(back.account, "work") &&
	   !strcmp(back.config, "/home/u/.config/postern/config") &&
	   !strcmp(back.sender, "alice@example.org") && !strcmp(back.id, "6650a1f2c3d4e5f6"),
	   "parse: every other field");
	is_int(qenv_format(&back, &again, &e), 0, "format: the parsed envelope");
	is_str(again.data, out.data, "round trip: format(parse(text)) == text");
	qenv_release(&back);
	qenv_release(&back);	/* twice is harmless */
	qenv_release(&env);

	/* the smallest: optional keys absent, null sender */
	qenv_init(&env);
	memcpy(env.id, "0000000000000000", QUEUE_ID_SIZE);
	qenv_set(&env.account, "a");
	qenv_add_rcpt(&env, "root");
	buf_reset(&out);
	is_int(qenv_format(&env, &out, &e), 0, "format: minimal envelope");
	is_str(out.data, "postern-queue 1\nid 0000000000000000\naccount a\nsender <>\ncreated 0\n"
	       "bytes 0\nlines 0\neightbit 0\nattempts 0\nnext-attempt 0\nlast-attempt 0\n"
	       "hold none\nrcpt pending <root>\n", "format: minimal text, null sender as <>");
	is_int(qenv_parse(out.data, out.len, &back, &e), 0, "parse: minimal");
	ok(back.notify == NULL && back.ret == NULL && back.envid == NULL && !*back.config &&
	   !*back.sender && !*back.last_error, "parse: absent DSN is NULL, absent text is \"\"");
	qenv_release(&back);

	/* a long reply is cut, with "...", and still round-trips */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '\n';
	qenv_set(&env.rcpt[0].reply, big);
	buf_reset(&out);
	is_int(qenv_format(&env, &out, &e), 0, "format: long reply");
	{
		const char *r = strstr(out.data, "\nreply ");
		const char *end = r ? strchr(r + 1, '\n') : NULL;

		is_int(end ? (long long)(end - r - 7) : -1, QENV_TEXT_MAX, "long reply cut to QENV_TEXT_MAX");
		ok(end && !memcmp(end - 3, "...", 3) && !memcmp(r + 7, "aaaaaaaaaa\\x0a", 14),
		   "the cut is marked with ... and the line end escaped");
	}
	is_int(qenv_parse(out.data, out.len, &back, &e), 0, "parse: a cut reply");
	buf_reset(&again);
	qenv_format(&back, &again, &e);
	is_str(again.data, out.data, "round trip of a cut reply");
	qenv_release(&back);
	qenv_release(&env);

	/* what cannot be stored faithfully is refused, out unchanged */
	{
		static const struct {
			const char *what, *want;
			int cls;
		} bad[] = {
			{ "rcpt with a space", "contains a space outside quotes", ERR_USAGE },
			{ "rcpt with a newline", "contains a line feed", ERR_USAGE },
			{ "sender starting with -", "starts with '-'", ERR_USAGE },
			{ "no recipient", "the recipients (there are none) is not valid", ERR_INTERNAL },
			{ "account with a space", "the account name is not valid", ERR_INTERNAL },
			{ "relative config", "the configuration file's name is not valid", ERR_INTERNAL },
			{ "config with a newline", "the configuration file's name is not valid", ERR_INTERNAL },
			{ "notify with a space", "a DSN parameter (-N, -R or -V) is not valid", ERR_INTERNAL },
			{ "empty envid", "a DSN parameter (-N, -R or -V) is not valid", ERR_INTERNAL },
			{ "bad id", "the message ID is not valid", ERR_INTERNAL },
			{ "negative time", "a time is not valid", ERR_INTERNAL },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			full_env(&env);
			switch (i) {
			case 0: qenv_set(&env.rcpt[0].addr, "bob @example.org"); break;
			case 1: qenv_set(&env.rcpt[1].addr, "bob@example.org\nRCPT TO:<x>"); break;
			case 2: qenv_set(&env.sender, "-oQ/tmp"); break;
			case 3: qenv_release(&env); qenv_init(&env);
				memcpy(env.id, "6650a1f2c3d4e5f6", QUEUE_ID_SIZE);
				qenv_set(&env.account, "a"); break;
			case 4: qenv_set(&env.account, "my account"); break;
			case 5: qenv_set(&env.config, "postern.ini"); break;
			case 6: qenv_set(&env.config, "/tmp/x\nrcpt pending <evil@x>"); break;
			case 7: qenv_set(&env.notify, "SUCCESS, FAILURE"); break;
			case 8: qenv_set(&env.envid, ""); break;
			case 9: memcpy(env.id, "6650A1F2C3D4E5F6", QUEUE_ID_SIZE); break;
			case 10: env.created = -1; break;
			}
			buf_reset(&out);
			buf_adds(&out, "keep");
			error_clear(&e);
			ok(qenv_format(&env, &out, &e) == -1 && (int)e.cls == bad[i].cls &&
			   strstr(e.msg, bad[i].want) && strstr(e.msg, "cannot store the envelope") &&
			   !strcmp(out.data, "keep"), "format refuses %s", bad[i].what);
			if (!strstr(e.msg, bad[i].want))
				printf("#   got [%s]\n", e.msg);
			qenv_release(&env);
		}
	}
	buf_release(&out);
	buf_release(&again);
}

/* The minimal envelope with one line replaced (by number, 1-based; text ""
 * deletes it; a text ending in \n is inserted before the line instead). */
static const char *const minimal_lines[] = {
	"postern-queue 1", "id 0000000000000000", "account a", "sender <>", "created 0",
	"bytes 0", "lines 0", "eightbit 0", "attempts 0", "next-attempt 0", "last-attempt 0",
	"hold none", "rcpt pending <root>",
};
#define MINIMAL_N (sizeof(minimal_lines) / sizeof(minimal_lines[0]))

static void minimal_with(struct buf *b, size_t lineno, const char *text)
{
	buf_reset(b);
	for (size_t i = 0; i < MINIMAL_N; i++) {
		if (i + 1 == lineno) {
			size_t n = strlen(text);

			if (n && text[n - 1] == '\n') {
				buf_adds(b, text);
			} else {
				if (n)
					buf_addf(b, "%s\n", text);
				continue;
			}
		}
		buf_addf(b, "%s\n", minimal_lines[i]);
	}
}

static void test_parse_errors(void)
{
	static const struct {
		size_t line;		/* 0: text is the whole file */
		const char *text, *want, *what;
	} cases[] = {
		{ 0, "", "the envelope is empty", "empty file" },
		{ 1, "postern-queue 2", "line 1 is \"postern-queue 2\"", "unknown version" },
		{ 1, "postern-queue 1 ", "line 1 is", "version line with a trailing space" },
		{ 3, "acount a", "line 3: unknown key \"acount\"", "unknown key" },
		{ 3, "Account a", "line 3: unknown key \"Account\"", "keys are case-sensitive" },
		{ 3, "account", "line 3: \"account\" has no value", "key without value" },
		{ 3, "account ", "the account name is not valid", "empty value" },
		{ 3, "account a b", "the account name is not valid", "account with a space" },
		{ 6, "", "line 6: \"lines\" is out of place", "missing mandatory key (bytes)" },
		{ 3, "id 0000000000000000\n", "line 3: \"id\" is out of place", "repeated key" },
		{ 2, "account a\n", "line 2: \"account\" is out of place", "keys out of order" },
		{ 13, "", "ends early, after line 12 (no recipient)", "no recipient" },
		{ 13, "reply 250 ok\n", "line 13: \"reply\" is out of place", "reply before any rcpt" },
		{ 12, "hold none\nlast-error x\nlast-error y", "line 14: \"last-error\" is out of place",
		  "last-error twice" },
		{ 13, "rcpt pending <root>\nreply a\nreply b", "line 15: \"reply\" is out of place",
		  "two replies for one recipient" },
		{ 12, "hold none\nnotify NEVER", "line 13: \"notify\" is out of place",
		  "optional key out of order" },
		{ 5, "created 00", "line 5: the value of \"created\" is not valid", "leading zero" },
		{ 5, "created +1", "line 5: the value of \"created\"", "sign" },
		{ 5, "created -1", "line 5: the value of \"created\"", "negative" },
		{ 5, "created 1x", "line 5: the value of \"created\"", "not a number" },
		{ 5, "created 9223372036854775808", "line 5: the value of \"created\"",
		  "time past INT64_MAX" },
		{ 6, "bytes 18446744073709551616", "line 6: the value of \"bytes\"", "bytes overflow" },
		{ 8, "eightbit 2", "line 8: the value of \"eightbit\"", "eightbit 2" },
		{ 9, "attempts 4294967296", "line 9: the value of \"attempts\"", "attempts overflow" },
		{ 12, "hold maybe", "line 12: the value of \"hold\"", "unknown hold" },
		{ 12, "hold AUTH", "line 12: the value of \"hold\"", "hold is case-sensitive" },
		{ 13, "rcpt sent <root>", "line 13: the value of \"rcpt\"", "unknown recipient state" },
		{ 13, "rcpt pending", "line 13: the value of \"rcpt\"", "rcpt without address" },
		{ 13, "rcpt pending root", "line 13: the value of \"rcpt\"", "address without <>" },
		{ 13, "rcpt pending <>", "a recipient is empty", "empty recipient" },
		{ 13, "rcpt pending <ro ot>", "contains a space outside quotes", "space in an address" },
		{ 13, "rcpt pending <-oQ>", "starts with '-'", "address that looks like an option" },
		{ 13, "rcpt pending <<root>>", "contains '<'", "nested angle brackets" },
		{ 13, "rcpt  pending <root>", "line 13: the value of \"rcpt\"", "two spaces" },
		{ 4, "sender alice@example.org", "line 4: the value of \"sender\"", "sender without <>" },
		{ 2, "id 6650A1F2C3D4E5F6", "line 2: the value of \"id\"", "uppercase id" },
		{ 2, "id 6650a1f2c3d4e5f", "line 2: the value of \"id\"", "short id" },
		{ 4, "sender <>\nconfig /x\n", "line 5: \"config\" is out of place",
		  "config after sender" },
		{ 4, "config relative/path\n", "the configuration file's name is not valid",
		  "relative config" },
		{ 9, "notify NEVER NEVER\n", "a DSN parameter", "DSN value with a space" },
		{ 13, "rcpt pending <root>\nreply a\x01z", "line 14: the value of \"reply\"",
		  "free text not escaped (control character)" },
		{ 13, "rcpt pending <root>\nreply caf\xc3", "line 14: the value of \"reply\"",
		  "free text not escaped (broken UTF-8)" },
		{ 13, "rcpt pending <root>\nreply \xe2\x80\xae", "line 14: the value of \"reply\"",
		  "free text not escaped (bidi override)" },
		{ 13, "rcpt pending <root>\nreply ", "line 14: the value of \"reply\"",
		  "empty free text (never written)" },
		{ 12, "hold none\nlast-error ", "line 13: the value of \"last-error\"",
		  "empty last-error" },
		{ 0, NULL, "line 14: the value of \"reply\"", "free text longer than QENV_TEXT_MAX" },
		{ 0, NULL, "line 3 holds a NUL or carriage return", "NUL in a line" },
		{ 0, NULL, "line 3 holds a NUL or carriage return", "CRLF line end" },
		{ 0, NULL, "line 13 has no line end (a cut-off file?)", "no final line end" },
		{ 0, NULL, "line 14: unknown key \"\"", "empty line" },
	};
	struct buf b = BUF_INIT;
	struct qenv env;
	struct error e;
	size_t extra = 0;

	minimal_with(&b, 0, "");
	is_int(qenv_parse(b.data, b.len, &env, &e), 0, "the minimal envelope parses");
	qenv_release(&env);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		if (cases[i].text) {
			if (cases[i].line)
				minimal_with(&b, cases[i].line, cases[i].text);
			else
				buf_reset(&b);
		} else {
			switch (extra++) {
			case 0: {
				char big[QENV_TEXT_MAX + 2];

				memset(big, 'x', sizeof(big) - 1);
				big[sizeof(big) - 1] = '\0';
				minimal_with(&b, 0, "");
				buf_addf(&b, "reply %s\n", big);
				break;
			}
			case 1:
				minimal_with(&b, 0, "");
				b.data[strlen("postern-queue 1\nid 0000000000000000\naccount ")] = '\0';
				break;
			case 2:
				minimal_with(&b, 3, "account a\r");
				break;
			case 3:
				minimal_with(&b, 0, "");
				b.len--;
				break;
			case 4:
				minimal_with(&b, 0, "");
				buf_adds(&b, "\n");
				break;
			}
		}
		error_clear(&e);
		rc = qenv_parse(b.data, b.len, &env, &e);
		ok(rc == -1 && e.cls == ERR_DATA && strstr(e.msg, cases[i].want) &&
		   env.nrcpt == 0 && env.account && !*env.account,
		   "parse refuses: %s", cases[i].what);
		if (rc != -1 || !strstr(e.msg, cases[i].want))
			printf("#   rc %d, got [%s]\n", rc, e.msg);
		qenv_release(&env);
	}
	buf_release(&b);
}

/* ---------------------------------------------------------------- files */

static void test_dirs(void)
{
	struct queue q;
	struct error e;
	char *dir = xasprintf("%s/perm/a/queue", root), *sub;
	mode_t old = umask(0);
	static const char *const subs[] = { "tmp", "msg", "env", "failed" };

	is_int(queue_open(&q, dir, &e), 0, "queue_open creates a missing queue directory");
	umask(old);
	queue_close(&q);
	queue_close(&q);	/* twice is harmless */
	is_int(mode_of(dir), 0700, "queue directory is 0700 even with umask 0");
	for (int i = 0; i < 4; i++) {
		sub = xasprintf("%s/%s", dir, subs[i]);
		is_int(mode_of(sub), 0700, subs[i]);
		free(sub);
	}
	chmod(dir, 0757);
	error_clear(&e);
	ok(queue_open(&q, dir, &e) == -1 && e.cls == ERR_CONFIG &&
	   strstr(e.msg, "others may write to it"), "refuses a queue directory others can write");
	printf("#   %s\n", e.msg);
	chmod(dir, 0770);
	error_clear(&e);
	ok(queue_open(&q, dir, &e) == -1 && e.cls == ERR_CONFIG,
	   "refuses a queue directory its group can write");
	chmod(dir, 0700);
	sub = xasprintf("%s/msg", dir);
	chmod(sub, 0722);
	error_clear(&e);
	ok(queue_open(&q, dir, &e) == -1 && e.cls == ERR_CONFIG && strstr(e.msg, "/msg"),
	   "refuses a subdirectory others can write");
	chmod(sub, 0700);
	free(sub);
	sub = xasprintf("%s/env", dir);
	rmdir(sub);
	if (symlink("/tmp", sub) < 0)
		printf("# symlink: %s\n", strerror(errno));
	error_clear(&e);
	ok(queue_open(&q, dir, &e) == -1 && e.cls == ERR_CONFIG && strstr(e.msg, "not a directory"),
	   "refuses a subdirectory that is a symbolic link");
	unlink(sub);
	free(sub);
	error_clear(&e);
	ok(queue_open(&q, "relative/queue", &e) == -1 && e.cls == ERR_CONFIG &&
	   strstr(e.msg, "not an absolute path"), "refuses a relative queue directory");
	is_int(queue_open(&q, dir, &e), 0, "reopens once repaired");
	queue_close(&q);
	free(dir);

	{
		char *saved = getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) : NULL;
		char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
		char *s;

		setenv("XDG_STATE_HOME", "/x/state", 1);
		s = queue_default_dir();
		is_str(s, "/x/state/postern/queue", "default dir under $XDG_STATE_HOME");
		free(s);
		unsetenv("XDG_STATE_HOME");
		setenv("HOME", "/home/someone", 1);
		s = queue_default_dir();
		is_str(s, "/home/someone/.local/state/postern/queue", "default dir ~/.local/state");
		free(s);
		if (saved)
			setenv("XDG_STATE_HOME", saved, 1);
		if (home)
			setenv("HOME", home, 1);
		else
			unsetenv("HOME");
		free(saved);
		free(home);
	}
}

static void test_lifecycle(struct queue *q)
{
	static const char text[] = "From: alice@example.org\nSubject: caf\xc3\xa9\n\nbody\n";
	char id[QUEUE_ID_SIZE], buf[256];
	struct spool sp, sp2;
	struct qenv env, got;
	struct strvec ids = STRVEC_INIT;
	struct error e;
	char *path, *s;
	ssize_t n;

	is_int(queue_new(q, &sp, id, &e), 0, "queue_new");
	ok(queue_id_valid(id) && strtoul((char[9]){ id[0], id[1], id[2], id[3], id[4], id[5],
			id[6], id[7], 0 }, NULL, 16) + 5 >= (unsigned long)time(NULL),
	   "the ID is 16 hex digits starting with the time");
	path = xasprintf("%s/tmp/%s.msg", q->dir, id);
	is_str(sp.path, path, "the text is written as tmp/ID.msg");
	is_int(mode_of(path), 0600, "tmp/ID.msg is 0600");
	free(path);
	is_int(fill(&sp, text, strlen(text), &e), 0, "the text written");
	make_env(&env, id);
	qenv_set(&env.notify, "FAILURE");
	is_int(queue_list(q, &ids, 0, &e), 0, "list");
	is_int((long long)ids.n, 0, "a message being written is not listed");
	is_int(queue_lock(q, id, &sp2, &got, &e), 0, "nor can it be locked");
	qenv_release(&got);

	is_int(queue_commit(q, &sp, &env, &e), 0, "queue_commit");
	ok(env.bytes == strlen(text) && env.lines == 4 && env.eightbit == 1,
	   "commit takes the counts from the spool");
	path = xasprintf("%s/msg/%s", q->dir, id);
	is_str(sp.path, path, "the spool now names msg/ID");
	ok(sp.keep, "and is kept on release");
	ok(exists("%s/env/%s", q->dir, id) && mode_of(path) == 0600, "env/ID exists, text 0600");
	{
		char *ep = xasprintf("%s/env/%s", q->dir, id);

		is_int(mode_of(ep), 0600, "env/ID is 0600");
		free(ep);
	}
	s = xasprintf("%s/tmp", q->dir);
	is_int(count_dir(s), 0, "nothing left in tmp/");
	free(s);
	is_int(queue_lock(q, id, &sp2, &got, &e), 0, "the committer still holds the lock: busy");
	qenv_release(&got);
	spool_release(&sp);
	ok(exists("%s/msg/%s", q->dir, id), "releasing the committed spool does not unlink it");

	is_int(queue_lock(q, id, &sp, &got, &e), 1, "queue_lock once released");
	is_str(sp.path, path, "locked spool names msg/ID");
	ok(sp.bytes == strlen(text) && sp.lines == 4 && sp.eightbit == 1 && sp.keep,
	   "locked spool has the counts from the envelope");
	n = spool_read(&sp, buf, sizeof(buf), &e);
	ok(n == (ssize_t)strlen(text) && !memcmp(buf, text, (size_t)n), "the text reads back");
	ok(!strcmp(got.sender, "alice@example.org") && got.nrcpt == 2 &&
	   !strcmp(got.rcpt[1].addr, "carol@example.net") && !strcmp(got.notify, "FAILURE") &&
	   got.ret == NULL && !strcmp(got.id, id), "the envelope reads back");
	qenv_release(&env);
	is_int(queue_lock(q, id, &sp2, &env, &e), 0, "a second lock from this process: busy");
	qenv_release(&env);

	/* update */
	got.attempts = 1;
	got.last_attempt = 1716560000;
	got.rcpt[0].state = QRCPT_DONE;
	qenv_set(&got.rcpt[0].reply, "250 2.1.5 Ok");
	qenv_set(&got.last_error, "451 4.3.0 <carol@example.net>: try again\r\n");
	is_int(queue_update(q, &got, &e), 0, "queue_update");
	is_int(queue_read_env(q, id, 0, &env, &e), 1, "queue_read_env");
	ok(env.attempts == 1 && env.last_attempt == 1716560000 && env.rcpt[0].state == QRCPT_DONE &&
	   env.rcpt[1].state == QRCPT_PENDING && !strcmp(env.rcpt[0].reply, "250 2.1.5 Ok"),
	   "the update is read back");
	is_str(env.last_error, "451 4.3.0 <carol@example.net>: try again\\x0d\\x0a",
	       "last error stored escaped");
	is_int((long long)qenv_pending(&env), 1, "one recipient pending");
	qenv_release(&env);
	s = xasprintf("%s/tmp", q->dir);
	is_int(count_dir(s), 0, "update leaves nothing in tmp/");
	free(s);
	is_int(queue_list(q, &ids, 0, &e), 0, "list");
	ok(ids.n == 1 && !strcmp(ids.v[0], id), "the message is listed");
	strvec_release(&ids);

	/* remove */
	is_int(queue_remove(q, id, &e), 0, "queue_remove");
	spool_release(&sp);
	qenv_release(&got);
	ok(!exists("%s/env/%s", q->dir, id) && !exists("%s", path), "env/ID and msg/ID are gone");
	is_int(queue_lock(q, id, &sp, &got, &e), 0, "a removed message cannot be locked");
	qenv_release(&got);
	is_int(queue_read_env(q, id, 0, &got, &e), 0, "nor read");
	qenv_release(&got);
	error_clear(&e);
	ok(queue_update(q, &env, &e) == -1 && e.cls == ERR_INTERNAL,
	   "updating a message that is not queued is refused (no resurrection)");
	free(path);

	/* fail */
	is_int(queue_one(q, text, id, NULL, &e), 0, "another message queued");
	is_int(queue_lock(q, id, &sp, &got, &e), 1, "locked");
	got.rcpt[0].state = got.rcpt[1].state = QRCPT_FAILED;
	qenv_set(&got.last_error, "550 5.7.1 relaying denied");
	is_int(queue_fail(q, &got, &e), 0, "queue_fail");
	spool_release(&sp);
	ok(!exists("%s/env/%s", q->dir, id) && !exists("%s/msg/%s", q->dir, id) &&
	   exists("%s/failed/%s.msg", q->dir, id) && exists("%s/failed/%s.env", q->dir, id),
	   "text and envelope moved to failed/");
	is_int(queue_read_env(q, id, 1, &env, &e), 1, "read the failed envelope");
	is_str(env.last_error, "550 5.7.1 relaying denied", "with the reason");
	qenv_release(&env);
	is_int(queue_read_env(q, id, 0, &env, &e), 0, "no longer queued");
	qenv_release(&env);
	s = xasprintf("%s/failed/%s.msg", q->dir, id);
	free(tap_slurp(s, (size_t *)&n));
	is_int(n, (long long)strlen(text), "the failed text is whole");
	free(s);
	is_int(queue_list(q, &ids, 0, &e), 0, "list");
	is_int((long long)ids.n, 0, "a failed message is not listed as queued");
	is_int(queue_list(q, &ids, 1, &e), 0, "list failed");
	ok(ids.n == 1 && !strcmp(ids.v[0], id), "it is listed as failed");
	strvec_release(&ids);
	is_int(queue_lock(q, id, &sp, &env, &e), 0, "a failed message cannot be locked");
	qenv_release(&env);
	qenv_release(&got);

	/* bad IDs and a commit that does not happen */
	error_clear(&e);
	ok(queue_lock(q, "../env/x", &sp, &env, &e) == -1 && e.cls == ERR_USAGE,
	   "queue_lock refuses a name that is not an ID");
	qenv_release(&env);
	error_clear(&e);
	ok(queue_read_env(q, "6650a1f2c3d4e5f", 0, &env, &e) == -1 && e.cls == ERR_USAGE,
	   "queue_read_env refuses a name that is not an ID");
	qenv_release(&env);
	is_int(queue_new(q, &sp, id, &e), 0, "queue_new");
	fill(&sp, text, strlen(text), &e);
	make_env(&env, id);
	qenv_set(&env.rcpt[1].addr, "carol@example.net\r\nDATA");
	error_clear(&e);
	ok(queue_commit(q, &sp, &env, &e) == -1 && e.cls == ERR_USAGE, "commit refuses a bad recipient");
	ok(!exists("%s/env/%s", q->dir, id) && !exists("%s/msg/%s", q->dir, id),
	   "and the message is not queued");
	spool_release(&sp);
	s = xasprintf("%s/tmp", q->dir);
	is_int(count_dir(s), 0, "releasing the uncommitted spool leaves nothing in tmp/");
	free(s);
	memcpy(env.id, "0123456789abcdef", QUEUE_ID_SIZE);
	qenv_set(&env.rcpt[1].addr, "carol@example.net");
	is_int(queue_new(q, &sp, id, &e), 0, "queue_new");
	error_clear(&e);
	ok(queue_commit(q, &sp, &env, &e) == -1 && e.cls == ERR_INTERNAL,
	   "commit refuses an envelope whose ID is not the spool's");
	spool_release(&sp);
	qenv_release(&env);
}

static void test_corrupt(struct queue *q)
{
	static const char text[] = "Subject: x\n\nbody\n";
	char id[QUEUE_ID_SIZE];
	struct spool sp;
	struct qenv env;
	struct error e;
	char *p;

	is_int(queue_one(q, text, id, NULL, &e), 0, "queued");
	p = xasprintf("%s/msg/%s", q->dir, id);
	tap_write_file(p, "Subject: x\n\nbo", 0600);
	free(p);
	error_clear(&e);
	ok(queue_lock(q, id, &sp, &env, &e) == -1 && e.cls == ERR_DATA &&
	   strstr(e.msg, "is corrupt: 14 octets, its envelope says 17"),
	   "queue_lock refuses a text whose size is not the envelope's");
	printf("#   %s\n", e.msg);
	ok(sp.fd == -1 && env.nrcpt == 0, "and hands out nothing");
	qenv_release(&env);
	p = xasprintf("%s/env/%s", q->dir, id);
	tap_write_file(p, "postern-queue 1\nid 0000000000000000\n", 0600);
	error_clear(&e);
	ok(queue_read_env(q, id, 0, &env, &e) == -1 && e.cls == ERR_DATA &&
	   strstr(e.msg, "is corrupt: the envelope ends early"), "a cut-off envelope is corrupt");
	qenv_release(&env);
	{
		struct buf b = BUF_INIT;

		minimal_with(&b, 0, "");
		tap_write_file(p, b.data, 0600);
		buf_release(&b);
	}
	error_clear(&e);
	ok(queue_lock(q, id, &sp, &env, &e) == -1 && e.cls == ERR_DATA &&
	   strstr(e.msg, "holds the envelope of 0000000000000000"),
	   "an envelope of another message is corrupt");
	qenv_release(&env);
	unlink(p);
	free(p);
	p = xasprintf("%s/msg/%s", q->dir, id);
	unlink(p);
	free(p);
}

/* A child that locks message id (what 0) or starts writing a new one
 * (what 1, its ID into id), then waits to be killed.  Returns its pid
 * once it holds the lock, or -1. */
static pid_t child_holding(struct queue *q, int what, char id[QUEUE_ID_SIZE])
{
	char got[QUEUE_ID_SIZE];
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct spool sp;
		struct qenv env;
		struct error e;
		int ok_ = 0;

		close(fds[0]);
		if (what == 0)		/* a sender holding its message */
			ok_ = queue_lock(q, id, &sp, &env, &e) == 1;
		else			/* a writer still writing */
			ok_ = queue_new(q, &sp, id, &e) == 0 && spool_write(&sp, "Subj", 4, &e) == 0;
		if (write(fds[1], ok_ ? id : "-", ok_ ? QUEUE_ID_SIZE : 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], got, QUEUE_ID_SIZE) != QUEUE_ID_SIZE) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	if (pid > 0 && what)
		memcpy(id, got, QUEUE_ID_SIZE);
	return pid;
}

static void kill_wait(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void test_other_process(struct queue *q)
{
	char id[QUEUE_ID_SIZE], wid[QUEUE_ID_SIZE];
	struct spool sp;
	struct qenv env;
	struct queue_sweep_stats st;
	struct error e;
	pid_t pid;
	char *p;

	is_int(queue_one(q, "Subject: x\n\nhi\n", id, NULL, &e), 0, "queued");
	pid = child_holding(q, 0, id);
	ok(pid > 0, "a child process locks the message");
	is_int(queue_lock(q, id, &sp, &env, &e), 0, "busy while the child holds it");
	qenv_release(&env);
	kill_wait(pid);
	is_int(queue_lock(q, id, &sp, &env, &e), 1, "free once the child is killed (SIGKILL)");
	queue_remove(q, id, &e);
	spool_release(&sp);
	qenv_release(&env);

	/* a writer still writing (its file made to look old), then killed */
	pid = child_holding(q, 1, wid);
	ok(pid > 0, "a child writes a new message");
	p = xasprintf("%s/tmp/%s.msg", q->dir, wid);
	age(p);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(exists("%s", p) && st.tmp_removed == 0, "sweep leaves a live writer's file alone, however old");
	kill_wait(pid);
	age(p);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(!exists("%s", p) && st.tmp_removed == 1, "and removes it once its writer is dead");
	free(p);
}

static void test_sweep(struct queue *q)
{
	static const char text[] = "Subject: x\n\nhi\n";
	char id[QUEUE_ID_SIZE], id2[QUEUE_ID_SIZE], name[64];
	struct spool sp, sp2;
	struct qenv env;
	struct queue_sweep_stats st;
	struct error e;
	char *p, *p2;
	int fd;

	/* a dead writer's file: young ones wait for the grace period */
	p = xasprintf("%s/tmp/%s.msg", q->dir, "0123456789abcdef");
	tap_write_file(p, "half a mess", 0600);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(exists("%s", p) && st.tmp_removed == 0, "a fresh unlocked tmp file waits for the grace period");
	age(p);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(!exists("%s", p) && st.tmp_removed == 1, "an old unlocked tmp file is removed");
	free(p);

	/* half-done commit: the text renamed, the envelope not yet */
	is_int(queue_new(q, &sp, id, &e), 0, "queue_new");
	fill(&sp, text, strlen(text), &e);
	snprintf(name, sizeof(name), "%s.msg", id);
	renameat(q->tmp, name, q->msg, id);
	p = xasprintf("%s/msg/%s", q->dir, id);
	free(sp.path);
	sp.path = xstrdup(p);
	sp.keep = 1;		/* as if the process died: the file stays */
	age(p);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(exists("%s", p) && st.msg_removed == 0, "msg/ID without env/ID is left while locked");
	is_int(queue_lock(q, id, &sp2, &env, &e), 0, "and cannot be locked as a message");
	qenv_release(&env);
	spool_release(&sp);
	is_int(queue_lock(q, id, &sp2, &env, &e), 0, "nor once its writer is gone");
	qenv_release(&env);
	fd = open(p, O_RDONLY);
	utimensat(AT_FDCWD, p, NULL, 0);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(exists("%s", p) && st.msg_removed == 0, "a recent one waits for the grace period");
	close(fd);
	age(p);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(!exists("%s", p) && st.msg_removed == 1, "an old unlocked one is removed");
	free(p);

	/* half-done remove: the envelope gone, the text not yet */
	is_int(queue_one(q, text, id, NULL, &e), 0, "queued");
	snprintf(name, sizeof(name), "%s/env/%s", q->dir, id);
	unlink(name);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(!exists("%s/msg/%s", q->dir, id) && st.msg_removed == 1,
	   "a half-done remove is finished");

	/* half-done update: tmp/ID.env left behind */
	is_int(queue_one(q, text, id, NULL, &e), 0, "queued");
	snprintf(name, sizeof(name), "%s/tmp/%s.env", q->dir, id);
	tap_write_file(name, "postern-queue 1\nid ", 0600);
	is_int(queue_lock(q, id, &sp, &env, &e), 1, "locked");
	env.attempts = 7;
	is_int(queue_update(q, &env, &e), 0, "an update replaces a dead updater's tmp/ID.env");
	qenv_release(&env);
	tap_write_file(name, "postern-queue 1\nid ", 0600);
	age(name);
	spool_release(&sp);
	is_int(queue_sweep(q, QUEUE_SWEEP_GRACE, &st, &e), 0, "sweep");
	ok(!exists("%s", name) && st.tmp_removed == 1 && exists("%s/env/%s", q->dir, id),
	   "sweep removes the tmp envelope, the message stays");
	is_int(queue_read_env(q, id, 0, &env, &e), 1, "read");
	is_int(env.attempts, 7, "with the last complete update");
	qenv_release(&env);

	/* half-done fail, state 1: final envelope written, nothing moved */
	is_int(queue_lock(q, id, &sp, &env, &e), 1, "locked");
	env.rcpt[0].state = env.rcpt[1].state = QRCPT_FAILED;
	qenv_set(&env.last_error, "expired");
	is_int(queue_update(q, &env, &e), 0, "fail step 1 (update) done, then a crash");
	spool_release(&sp);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(exists("%s/env/%s", q->dir, id) && exists("%s/msg/%s", q->dir, id) &&
	   !exists("%s/failed/%s.env", q->dir, id) && st.fails_completed == 0 && st.msg_removed == 0,
	   "after step 1 it is still queued, untouched by sweep");
	qenv_release(&env);

	/* state 2: the text moved to failed/, the envelope not yet */
	is_int(queue_lock(q, id, &sp, &env, &e), 1, "locked");
	is_int(qenv_pending(&env), 0, "the flusher would find no recipient pending");
	snprintf(name, sizeof(name), "%s.msg", id);
	renameat(q->msg, id, q->failed, name);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(exists("%s/env/%s", q->dir, id) && st.fails_completed == 0 && st.orphans == 0,
	   "after step 2, sweep leaves it while its failer holds the lock");
	qenv_release(&env);
	is_int(queue_lock(q, id, &sp2, &env, &e), 0, "and no one can lock it to send it");
	qenv_release(&env);
	spool_release(&sp);		/* the failer dies */
	is_int(queue_lock(q, id, &sp2, &env, &e), 0, "nor once its failer is dead");
	qenv_release(&env);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(!exists("%s/env/%s", q->dir, id) && exists("%s/failed/%s.env", q->dir, id) &&
	   exists("%s/failed/%s.msg", q->dir, id) && st.fails_completed == 1,
	   "sweep completes the fail");
	is_int(queue_read_env(q, id, 1, &env, &e), 1, "read the failed envelope");
	is_str(env.last_error, "expired", "with the reason from step 1");
	qenv_release(&env);

	/* an envelope with no text anywhere is reported, never deleted */
	is_int(queue_one(q, text, id2, NULL, &e), 0, "queued");
	p = xasprintf("%s/msg/%s", q->dir, id2);
	unlink(p);
	free(p);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(exists("%s/env/%s", q->dir, id2) && st.orphans == 1, "an orphan envelope is counted and kept");
	p = xasprintf("%s/env/%s", q->dir, id2);
	unlink(p);
	free(p);

	/* nothing else is touched: a queued message, foreign names */
	is_int(queue_one(q, text, id2, NULL, &e), 0, "queued");
	p = xasprintf("%s/msg/README", q->dir);
	tap_write_file(p, "x", 0600);
	age(p);
	p2 = xasprintf("%s/tmp/fifo", q->dir);
	mkfifo(p2, 0600);
	is_int(queue_sweep(q, 0, &st, &e), 0, "sweep");
	ok(exists("%s/env/%s", q->dir, id2) && exists("%s/msg/%s", q->dir, id2) && exists("%s", p) &&
	   exists("%s", p2) && !st.tmp_removed && !st.msg_removed && !st.fails_completed && !st.orphans,
	   "a queued message, a foreign name and a FIFO are left alone (no hang on the FIFO)");
	unlink(p);
	unlink(p2);
	free(p);
	free(p2);
	is_int(queue_lock(q, id2, &sp, &env, &e), 1, "locked");
	queue_remove(q, id2, &e);
	spool_release(&sp);
	qenv_release(&env);
}

static void test_list(void)
{
	static const char *const names[] = {
		"60000000bbbbbbbb", "5f000001cccccccc", "5f000000aaaaaaaa",
		"README", "6650A1F2C3D4E5F6", "6650a1f2c3d4e5f", "6650a1f2c3d4e5f6x",
	};
	struct queue q;
	struct strvec ids = STRVEC_INIT;
	struct error e;
	char *dir = xasprintf("%s/list", root);

	if (queue_open(&q, dir, &e)) {
		ok(0, "queue_open: %s", e.msg);
		free(dir);
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = xasprintf("%s/env/%s", dir, names[i]);
		char *f = xasprintf("%s/failed/%s.env", dir, names[i]);

		tap_write_file(p, "", 0600);
		tap_write_file(f, "", 0600);
		free(p);
		free(f);
	}
	{
		char *f = xasprintf("%s/failed/5f000002dddddddd.msg", dir);

		tap_write_file(f, "", 0600);
		free(f);
	}
	strvec_push(&ids, "first");
	is_int(queue_list(&q, &ids, 0, &e), 0, "list");
	ok(ids.n == 4 && !strcmp(ids.v[0], "first") && !strcmp(ids.v[1], "5f000000aaaaaaaa") &&
	   !strcmp(ids.v[2], "5f000001cccccccc") && !strcmp(ids.v[3], "60000000bbbbbbbb"),
	   "queued IDs appended oldest first; other names ignored");
	strvec_release(&ids);
	is_int(queue_list(&q, &ids, 1, &e), 0, "list failed");
	ok(ids.n == 3 && !strcmp(ids.v[0], "5f000000aaaaaaaa") &&
	   !strcmp(ids.v[2], "60000000bbbbbbbb"), "failed IDs: from ID.env names only, oldest first");
	strvec_release(&ids);
	queue_close(&q);
	free(dir);
}

/* ---------------------------------------------------------------- crashes */

/* The text of message id: long enough to take several writes. */
static void expected_text(struct buf *b, const char *id)
{
	buf_reset(b);
	buf_addf(b, "From: a@example.org\nSubject: %s\n\n", id);
	for (int i = 0; i < 60; i++)
		buf_addf(b, "%s line %02d of a message that must arrive whole, or not at all\n", id, i);
}

/* A child that makes messages until it is killed, and says what it did:
 * "C id" once committed, "R id" before removing, "F id" before failing. */
static void crash_child(struct queue *q, int out)
{
	struct buf text = BUF_INIT;
	char line[64];

	srand((unsigned)getpid());
	for (;;) {
		char id[QUEUE_ID_SIZE];
		struct spool sp;
		struct qenv env;
		struct error e;
		int what = rand() % 4;

		if (queue_new(q, &sp, id, &e))
			_exit(2);
		expected_text(&text, id);
		for (size_t o = 0; o < text.len; o += 700)
			if (fill(&sp, text.data + o, text.len - o < 700 ? text.len - o : 700, &e))
				_exit(3);
		make_env(&env, id);
		if (queue_commit(q, &sp, &env, &e))
			_exit(4);
		snprintf(line, sizeof(line), "C %s\n", id);
		if (write(out, line, strlen(line)) < 0)
			_exit(5);
		if (what == 1) {
			env.attempts = 1;
			env.rcpt[0].state = QRCPT_DONE;
			if (queue_update(q, &env, &e))
				_exit(6);
		} else if (what == 2) {
			snprintf(line, sizeof(line), "R %s\n", id);
			if (write(out, line, strlen(line)) < 0 || queue_remove(q, id, &e))
				_exit(7);
		} else if (what == 3) {
			snprintf(line, sizeof(line), "F %s\n", id);
			env.rcpt[0].state = env.rcpt[1].state = QRCPT_FAILED;
			qenv_set(&env.last_error, "given up");
			if (write(out, line, strlen(line)) < 0 || queue_fail(q, &env, &e))
				_exit(8);
		}
		spool_release(&sp);
		qenv_release(&env);
	}
}

/* Every queued or failed message whole, nothing half there, tmp/ empty;
 * every message reported committed (and not being removed) still there.
 * Returns the number of problems (each printed), and empties the queue. */
static int check_invariant(struct queue *q, const char *report, int *queued, int *failed)
{
	struct strvec ids = STRVEC_INIT;
	struct buf want = BUF_INIT;
	struct error e;
	int bad = 0;
	char *s;

	s = xasprintf("%s/tmp", q->dir);
	if (count_dir(s) != 0) {
		char *cmd = xasprintf("ls -la --time-style=+%%s.%%N '%s' | sed 's/^/# /'; date +%%s.%%N", s);

		printf("# tmp/ not empty after sweep\n");
		fflush(stdout);
		if (system(cmd) != 0)
			printf("# ls failed\n");
		free(cmd);
		bad++;
	}
	free(s);
	for (int f = 0; f <= 1; f++) {
		queue_list(q, &ids, f, &e);
		for (size_t i = 0; i < ids.n; i++) {
			struct qenv env;
			char *p = xasprintf(f ? "%s/failed/%s.msg" : "%s/msg/%s", q->dir, ids.v[i]);
			size_t len = 0;
			char *text = tap_slurp(p, &len);

			expected_text(&want, ids.v[i]);
			if (queue_read_env(q, ids.v[i], f, &env, &e) != 1) {
				printf("# %s: envelope unreadable: %s\n", ids.v[i], e.msg);
				bad++;
			} else if (!text || len != env.bytes || len != want.len ||
				   memcmp(text, want.data, len)) {
				printf("# %s: text %s (%zu octets, envelope says %llu)\n", ids.v[i],
				       text ? "incomplete" : "missing", len, (unsigned long long)env.bytes);
				bad++;
			} else if (f && strcmp(env.last_error, "given up")) {
				printf("# %s: failed without its reason\n", ids.v[i]);
				bad++;
			} else if (f && exists("%s/env/%s", q->dir, ids.v[i])) {
				printf("# %s: both queued and failed\n", ids.v[i]);
				bad++;
			}
			*(f ? failed : queued) += 1;
			qenv_release(&env);
			free(text);
			free(p);
		}
		strvec_release(&ids);
	}
	/* texts without envelopes */
	{
		DIR *d;
		struct dirent *de;

		s = xasprintf("%s/msg", q->dir);
		d = opendir(s);
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && !exists("%s/env/%s", q->dir, de->d_name)) {
				printf("# msg/%s without env/ after sweep\n", de->d_name);
				bad++;
			}
		if (d)
			closedir(d);
		free(s);
	}
	/* reported commits: never lost */
	for (const char *l = report; *l; l = strchr(l, '\n') + 1) {
		char id[QUEUE_ID_SIZE];

		if (strlen(l) < 2 + QUEUE_ID_LEN + 1 || l[0] != 'C')
			break;
		memcpy(id, l + 2, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		s = xasprintf("R %s\n", id);
		if (!strstr(report, s) && !exists("%s/env/%s", q->dir, id) &&
		    !exists("%s/failed/%s.env", q->dir, id)) {
			printf("# %s: reported queued, then lost\n", id);
			bad++;
		}
		free(s);
	}
	buf_release(&want);
	/* empty the queue for the next round */
	for (int i = 0; i < 3; i++) {
		static const char *const subs[] = { "env", "msg", "failed" };

		s = xasprintf("%s/%s", q->dir, subs[i]);
		if (scan_dir(s, 1) < 0)
			bad++;
		free(s);
	}
	return bad;
}

static void test_crashes(struct queue *q)
{
	const int rounds = 300;
	struct queue_sweep_stats sum = { 0, 0, 0, 0 };
	long long t0;
	int bad = 0, queued = 0, failed = 0, commits = 0, cycle_us, with = 0, without = 0;
	double span;

	/* how long one message takes here, to spread the kills over it */
	{
		char id[QUEUE_ID_SIZE];
		struct spool sp;
		struct error e;

		t0 = now_ms();
		for (int i = 0; i < 5; i++) {
			queue_one(q, "Subject: t\n\nx\n", id, &sp, &e);
			queue_remove(q, id, &e);
			spool_release(&sp);
		}
		cycle_us = (int)((now_ms() - t0) * 1000 / 5);
		if (cycle_us < 200)
			cycle_us = 200;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	/* the kills come at a random time in [0, span): span grows when a
	 * round saw no commit and shrinks when it saw several, so that the
	 * rounds land both before and after commits whatever the load */
	span = cycle_us * 3.0;
	for (int r = 0; r < rounds; r++) {
		struct buf report = BUF_INIT;
		struct queue_sweep_stats st;
		struct error e;
		char chunk[512];
		ssize_t n;
		int fds[2];
		pid_t pid;

		if (pipe(fds) < 0)
			break;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			crash_child(q, fds[1]);
		}
		close(fds[1]);
		/* anywhere from before the first commit to a few messages in */
		usleep((useconds_t)(rand() % (int)span));
		kill_wait(pid);
		while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
			buf_add(&report, chunk, (size_t)n);
		close(fds[0]);
		n = 0;
		for (const char *l = report.data; (l = strstr(l, "C ")); l++)
			n++;
		commits += (int)n;
		if (n)
			with++;
		else
			without++;
		span *= n == 0 ? 1.1 : n >= 3 ? 0.9 : 1.0;
		if (queue_sweep(q, 0, &st, &e)) {
			printf("# sweep: %s\n", e.msg);
			bad++;
		}
		sum.tmp_removed += st.tmp_removed;
		sum.msg_removed += st.msg_removed;
		sum.fails_completed += st.fails_completed;
		sum.orphans += st.orphans;
		bad += check_invariant(q, report.data, &queued, &failed);
		buf_release(&report);
		if (bad)
			break;
	}
	printf("# %d rounds, one message in about %d us; %d rounds killed before a commit, %d after; "
	       "%d commits reported, %d found queued, %d failed; sweep removed %u tmp files and "
	       "%u uncommitted texts, completed %u fails\n", rounds, cycle_us, without, with,
	       commits, queued, failed, sum.tmp_removed, sum.msg_removed, sum.fails_completed);
	is_int(bad, 0, "killed at random moments: every message whole or absent, none lost, tmp/ empty");
	is_int(sum.orphans, 0, "no envelope without its text");
	ok(with >= rounds / 10 && without >= rounds / 10 && queued > 0 && failed > 0 &&
	   sum.tmp_removed > 0, "the kills landed across the whole life of messages");
}

/* ---------------------------------------------------------------- schedule */

static void test_schedule(void)
{
	const time_t now = 1700000000;
	struct qenv env;
	time_t prev = 0;
	int mono = 1, within = 1;

	is_int(queue_next_attempt(now, 0, QHOLD_NONE, 12345), now, "never tried: now");
	is_int(queue_next_attempt(now, 1, QHOLD_NONE, 0) - now, 144, "first retry, least jitter: 2.4 min");
	is_int(queue_next_attempt(now, 1, QHOLD_NONE, UINT32_MAX) - now, 215,
	       "first retry, most jitter: 3.6 min");
	is_int(queue_next_attempt(now, 2, QHOLD_NONE, 1u << 31) - now, 360, "second: 6 min, no jitter");
	is_int(queue_next_attempt(now, 3, QHOLD_NONE, 1u << 31) - now, 720, "third: 12 min");
	is_int(queue_next_attempt(now, 7, QHOLD_NONE, 1u << 31) - now, 11520, "seventh: 192 min");
	is_int(queue_next_attempt(now, 8, QHOLD_NONE, 1u << 31) - now, 14400, "eighth: capped at 4 h");
	is_int(queue_next_attempt(now, UINT_MAX, QHOLD_NONE, 1u << 31) - now, 14400,
	       "no overflow for huge attempt counts");
	for (unsigned a = 1; a < 64; a++) {
		time_t t = queue_next_attempt(now, a, QHOLD_NONE, 777777777);

		mono &= t >= prev;
		prev = t;
	}
	ok(mono, "delays never shrink as attempts grow");
	for (unsigned i = 0; i < 2000; i++) {
		uint32_t j = (uint32_t)i * 2654435761u;
		unsigned a = 1 + i % 12;
		double base = a >= 8 ? 14400 : 180.0 * (1u << (a - 1));
		time_t d = queue_next_attempt(now, a, QHOLD_NONE, j) - now;

		within &= d >= 0.8 * base - 1 && d <= 1.2 * base;
		if (a == 1)
			within &= d >= 120 && d <= 300;
	}
	ok(within, "jitter stays within 20%%, the first retry within 2-5 minutes");
	ok(queue_next_attempt(now, 12, QHOLD_NONE, UINT32_MAX) - now <= 17280,
	   "the longest delay is 4 h + 20%%");
	is_int(queue_next_attempt(now, 1, QHOLD_AUTH, 1u << 31) - now, 14400,
	       "authentication failure: held at the slow end from the first retry");
	is_int(queue_next_attempt(now, 1, QHOLD_TLS, 0) - now, 11520, "TLS failure: slow end (-20%)");
	is_int(queue_next_attempt(now, 2, QHOLD_CONFIG, UINT32_MAX) - now, 17279,
	       "configuration problem: slow end (+20%)");

	qenv_init(&env);
	env.created = now;
	is_int(queue_expired(&env, now + QUEUE_LIFETIME_DEFAULT - 1, QUEUE_LIFETIME_DEFAULT), 0,
	       "not expired a second before its lifetime");
	is_int(queue_expired(&env, now + QUEUE_LIFETIME_DEFAULT, QUEUE_LIFETIME_DEFAULT), 1,
	       "expired at its lifetime (5 days)");
	is_int(queue_expired(&env, now - 100, 10), 0, "a clock set back expires nothing");
	qenv_release(&env);
	is_str(queue_hold_name(QHOLD_TLS), "tls", "hold names");
	is_str(qrcpt_state_name(QRCPT_DONE), "done", "state names");
}

/* ---------------------------------------------------------------- bench */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int bench(const char *dir)
{
	struct queue q;
	struct error e;
	long long us[50];
	char text[4096];

	memset(text, 'x', sizeof(text));
	for (size_t i = 63; i < sizeof(text); i += 64)
		text[i] = '\n';
	if (queue_open(&q, dir, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < 50; i++) {
		struct timespec a, b;
		char id[QUEUE_ID_SIZE];
		struct spool sp;
		struct qenv env;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (queue_new(&q, &sp, id, &e) || fill(&sp, text, sizeof(text), &e))
			goto fail;
		make_env(&env, id);
		if (queue_commit(&q, &sp, &env, &e) || queue_remove(&q, id, &e))
			goto fail;
		spool_release(&sp);
		qenv_release(&env);
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
	}
	qsort(us, 50, sizeof(us[0]), cmp_ll);
	printf("%s: queue_new + 4 KiB + commit + remove: median %.2f ms (min %.2f, max %.2f; 50 runs)\n",
	       dir, us[25] / 1000.0, us[0] / 1000.0, us[49] / 1000.0);
	queue_close(&q);
	return 0;
fail:
	fprintf(stderr, "%s\n", e.msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	struct queue q;
	struct error e;
	char *dir;

	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	root = xasprintf("%s/test_queue.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		printf("not ok 1 - mkdtemp %s: %s\n1..1\n", root, strerror(errno));
		return 1;
	}
	test_format();
	test_parse_errors();
	test_schedule();
	test_dirs();
	test_list();
	dir = xasprintf("%s/q", root);
	if (queue_open(&q, dir, &e) == 0) {
		test_lifecycle(&q);
		test_corrupt(&q);
		test_other_process(&q);
		test_sweep(&q);
		queue_close(&q);
	} else {
		ok(0, "queue_open %s: %s", dir, e.msg);
	}
	free(dir);
	dir = xasprintf("%s/crash", root);
	if (queue_open(&q, dir, &e) == 0) {
		test_crashes(&q);
		queue_close(&q);
	} else {
		ok(0, "queue_open %s: %s", dir, e.msg);
	}
	free(dir);
	rm_rf(root);
	free(root);
	return tap_done();
}
