/* test_netrc.c - the .netrc parser as a pure function (tokens, quotes and
 * escapes, comments, macdef, default, which entry wins, hostile input) and
 * the file checks of netrc_lookup (missing file, not a regular file, mode,
 * the password's line in the description). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "netrc.h"
#include "secret.h"
#include "tap.h"
#include "util.h"

#define HOST "mail.example.org"
#define USER "alice@example.org"

static char tmpdir[] = "/tmp/test_netrc.XXXXXX";

/* netrc_find over text (its length from strlen unless len is given). */
static int find(const char *text, size_t len, const char *host, const char *user, char *out,
		size_t outsz, int *line)
{
	struct secret s;
	int r;

	secret_init(&s);
	*line = 0;
	r = netrc_find(text, len ? len : strlen(text), host, user, &s, line);
	snprintf(out, outsz, "%s", r && s.value ? s.value : "");
	if (r && s.source != SECRET_NETRC)
		snprintf(out, outsz, "(wrong source)");
	if (!r && s.value)
		snprintf(out, outsz, "(value left behind)");
	secret_release(&s);
	return r;
}

static void test_tokens(void)
{
	char pw[8192];
	int line;

	is_int(find("machine " HOST " login " USER " password pw1\n", 0, HOST, USER, pw, sizeof(pw), &line), 1,
	       "plain entry: found");
	is_str(pw, "pw1", "plain entry: its password");
	is_int(line, 1, "plain entry: line 1");

	find("machine " HOST " login " USER " password \"a b\\\"c\\\\d\\n\"\n", 0, HOST, USER, pw,
	     sizeof(pw), &line);
	is_str(pw, "a b\"c\\d\n", "quoted: blanks, \\\" \\\\ and \\n");

	find("\n\n# comment\n  # indented comment password no\nmachine " HOST "\n\tpassword\n\tp#x\n", 0,
	     HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "p#x", "comments: at a keyword only; '#' inside a value kept");
	is_int(line, 7, "comments: the password's line counted across comments and newlines");

	find("machine " HOST " account acc port 587 password pw2 unknownword\n", 0, HOST, USER, pw,
	     sizeof(pw), &line);
	is_str(pw, "pw2", "account and port values skipped, unknown words ignored");

	find("machine " HOST " password first password second\n", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "first", "two passwords in one entry: the first counts");

	find("machine\t" HOST "\r\npassword\fcrlf\r\n", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "crlf", "CRLF, tab and form feed are blanks");
}

static void test_entries(void)
{
	char pw[8192];
	int line;

	is_int(find("machine other.example.org password o\n", 0, HOST, USER, pw, sizeof(pw), &line), 0,
	       "another machine: not found");
	find("machine MAIL.Example.ORG password upper\n", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "upper", "machine names compared without case");
	is_int(find("machine " HOST " login " "Alice@example.org" " password x\n", 0, HOST, USER, pw,
		    sizeof(pw), &line), 0, "logins compared with case");
	find("machine " HOST " login bob password b\nmachine " HOST " login " USER " password a\n", 0,
	     HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "a", "an entry for another login is passed over");
	is_int(line, 2, "... and the line is the second entry's");
	find("machine " HOST " password nologin\nmachine " HOST " login " USER " password withlogin\n", 0,
	     HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "nologin", "the first machine that fits wins, a login-less one included");
	is_int(find("machine " HOST " login " USER " password x\n", 0, HOST, NULL, pw, sizeof(pw), &line), 0,
	       "NULL user: an entry with a login does not fit");
	is_int(find("machine " HOST " password y\n", 0, HOST, NULL, pw, sizeof(pw), &line), 1,
	       "NULL user: an entry without a login fits");

	find("default password d\nmachine " HOST " password m\n", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "m", "default comes after any machine that fits, wherever it stands");
	find("machine " HOST " login bob password b\ndefault login " USER " password d1\n"
	     "default password d2\n", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "d1", "no machine fits: the first default that fits");
	is_int(find("default login bob password d\n", 0, HOST, USER, pw, sizeof(pw), &line), 0,
	       "a default for another login: not found");

	is_int(find("machine " HOST " login " USER "\n", 0, HOST, USER, pw, sizeof(pw), &line), 0,
	       "an entry without a password: not found");
	is_int(find("machine " HOST " password \"\"\n", 0, HOST, USER, pw, sizeof(pw), &line), 0,
	       "an empty password: not found");
	is_int(find("machine " HOST " password \"\"\ndefault password d\n", 0, HOST, USER, pw, sizeof(pw),
		    &line), 0, "an empty password that fits is not replaced by the default");

	find("macdef init\nmachine " HOST " password inmacro\n\nmachine " HOST " password after\n", 0, HOST,
	     USER, pw, sizeof(pw), &line);
	is_str(pw, "after", "macdef: its body is skipped up to the empty line");
	is_int(line, 4, "macdef: lines inside it are counted");
	is_int(find("macdef init\nmachine " HOST " password inmacro\n", 0, HOST, USER, pw, sizeof(pw), &line),
	       0, "macdef without an empty line: runs to the end");
}

static void test_hostile(void)
{
	char pw[8192], *big;
	int line;
	struct buf b = BUF_INIT;

	is_int(find("", 0, HOST, USER, pw, sizeof(pw), &line), 0, "empty text: not found");
	is_int(find("machine", 0, HOST, USER, pw, sizeof(pw), &line), 0, "truncated after machine");
	is_int(find("machine " HOST " password", 0, HOST, USER, pw, sizeof(pw), &line), 0,
	       "truncated after password");
	find("machine " HOST " password \"unclosed", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "unclosed", "an unclosed quote runs to the end");
	find("machine " HOST " password \"a\\", 0, HOST, USER, pw, sizeof(pw), &line);
	is_str(pw, "a\\", "a backslash at the very end is kept");

	/* A NUL counts as a blank, and text is not read past len. */
	{
		static const char t[] = "machine\0" HOST "\0password\0with\0nul";
		find(t, sizeof(t) - 1, HOST, USER, pw, sizeof(pw), &line);
		is_str(pw, "with", "NUL bytes separate tokens");
		find(t, sizeof(t) - 7, HOST, USER, pw, sizeof(pw), &line);
		is_str(pw, "wi", "len is honoured (text cut inside the password)");
		is_int(find(t, 20, HOST, USER, pw, sizeof(pw), &line), 0, "len cut inside the host name");
	}

	buf_adds(&b, "machine " HOST " password ");
	for (int i = 0; i < 5000; i++)
		buf_add(&b, "x", 1);
	buf_adds(&b, " login " USER "\n");
	big = b.data;
	is_int(find(big, 0, HOST, USER, pw, sizeof(pw), &line), 1, "a 5000-byte password: found");
	is_int(strlen(pw), 4095, "... cut to 4095 bytes, the token after it still parsed");
	buf_release(&b);
}

static int lookup(struct secret *s, struct buf *why, struct error *e)
{
	struct account a;
	int r;

	memset(&a, 0, sizeof(a));
	a.name = (char *)"t";
	a.host = (char *)HOST;
	a.user = (char *)USER;
	secret_init(s);
	buf_reset(why);
	error_clear(e);
	r = netrc_lookup(&a, s, why, e);
	return r;
}

static void test_file(void)
{
	char *path = xasprintf("%s/.netrc", tmpdir);
	struct buf why = BUF_INIT;
	struct secret s;
	struct error e;

	setenv("HOME", tmpdir, 1);
	is_int(lookup(&s, &why, &e), 0, "no file: not found");
	ok(strstr(why.data, "/.netrc: no such file") != NULL, "no file: says so (%s)", why.data);

	mkdir(path, 0700);
	is_int(lookup(&s, &why, &e), 0, "a directory: not used");
	ok(strstr(why.data, "not a regular file") != NULL, "a directory: says so (%s)", why.data);
	rmdir(path);

	tap_write_file(path, "\n\nmachine " HOST "\n password filepw\n", 0600);
	is_int(lookup(&s, &why, &e), 1, "mode 0600: found");
	is_str(s.value, "filepw", "mode 0600: the password");
	ok(strstr(s.desc, "/.netrc (line 4)") != NULL, "desc: the file and the line (%s)", s.desc);
	secret_release(&s);

	chmod(path, 0604);
	is_int(lookup(&s, &why, &e), -1, "mode 0604: refused");
	is_int(e.cls, ERR_CONFIG, "mode 0604: ERR_CONFIG");
	ok(strstr(e.msg, "others can read it (mode 0604); run: chmod 600") != NULL,
	   "mode 0604: names the fix (%s)", e.msg);
	ok(s.value == NULL, "mode 0604: no secret kept");

	tap_write_file(path, "machine other.example.org password p\n", 0644);
	is_int(lookup(&s, &why, &e), 0, "mode 0644 without our entry: just not found");
	ok(strstr(why.data, "no entry for machine " HOST " login " USER) != NULL,
	   "no entry: says which (%s)", why.data);

	unlink(path);
	free(path);
	buf_release(&why);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_tokens();
	test_entries();
	test_hostile();
	test_file();
	rmdir(tmpdir);
	return tap_done();
}
