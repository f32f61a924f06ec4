/* test_config_write.c - adding a section to a configuration file
 * (config_write.c): the existing bytes kept exactly, the mode kept, a new
 * file 0600 in 0700 directories, and every refusal (existing section,
 * unreadable file, a password into a readable file) leaving the file as it
 * was; the values that cannot be written safely. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_write.h"
#include "tap.h"

static char dir[] = "/tmp/postern-cw-XXXXXX";

static unsigned mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

/* Files in dir other than the expected ones (a temporary left behind). */
static int entries(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	int n = 0;

	while (dh && (de = readdir(dh)))
		n += de->d_name[0] != '.';
	if (dh)
		closedir(dh);
	return n;
}

static const char section[] =
	"[work]\nhost = smtp.example.org\nport = 465\ntls = implicit\nuser = alice\nfrom = alice@example.org\n";

static void test_values(void)
{
	const char *why;
	char line[300];

	is_int(config_value_ok("user", "alice@example.org", NULL), 1, "an address");
	is_int(config_value_ok("password", "Tr0ub4dor&3 horse;x#y", NULL), 1,
	       "blanks, ; and # inside a value, not after a blank");
	is_int(config_value_ok("user", "", &why), 0, "empty");
	is_int(config_value_ok("user", "a\nb", &why), 0, "a line break");
	ok(strstr(why, "control") != NULL, "says why (%s)", why);
	is_int(config_value_ok("user", "a\rb", NULL), 0, "a CR");
	is_int(config_value_ok("user", "a\x7f", NULL), 0, "DEL");
	is_int(config_value_ok("password", "abc ;def", &why), 0, "\" ;\" would start a comment");
	is_int(config_value_ok("password", "abc\t#def", NULL), 0, "tab # too");
	is_int(config_value_ok("password", " abc", NULL), 0, "a leading blank (inih strips it)");
	is_int(config_value_ok("password", "abc ", NULL), 0, "a trailing blank");
	memset(line, 'a', sizeof(line));
	line[199 - 3 - 4] = '\0';
	is_int(config_value_ok("user", line, NULL), 1, "user = ... of 199 octets");
	line[199 - 3 - 4] = 'a';
	line[200 - 3 - 4] = '\0';
	is_int(config_value_ok("user", line, &why), 0, "200 octets");

	is_int(config_section_name_ok("alice@example.org"), 1, "an address as account name");
	is_int(config_section_name_ok("defaults"), 0, "[defaults] is not an account");
	is_int(config_section_name_ok("DEFAULTS"), 0, "nor [DEFAULTS]");
	is_int(config_section_name_ok("a b"), 0, "a blank");
	is_int(config_section_name_ok("a]b"), 0, "a ]");
	is_int(config_section_name_ok(""), 0, "empty");
	{
		struct buf s = BUF_INIT;
		struct error e;

		error_clear(&e);
		is_int(config_section_add(&s, "user", "x\n[evil]", &e), -1, "a value that would add a section");
		is_int(e.cls, ERR_USAGE, "a usage error");
		ok(strstr(e.msg, "user = x\\x0a[evil]") != NULL, "names it escaped (%s)", e.msg);
		is_str(s.data, "", "nothing added");
		is_int(config_section_add(&s, "user", "alice", &e), 0, "a good one");
		is_str(s.data, "user = alice\n", "added as key = value");
		buf_release(&s);
	}
}

static void test_append(void)
{
	static const char existing[] =
		"# my mail\n; the old account\n[defaults]\ntls_ca_file = /etc/ssl/certs/ca-certificates.crt\n"
		"\n[home]   \nhost = mail.example.net\nuser = me\nfrom = me@example.net\n# end, no newline";
	char *path = xasprintf("%s/c.ini", dir), *got, *want;
	struct error e;
	struct config c;

	tap_write_file(path, existing, 0640);
	error_clear(&e);
	is_int(config_append_section(path, "work", section, 0, &e), 0, "appended");
	got = tap_slurp(path, NULL);
	want = xasprintf("%s\n\n%s", existing, section);
	is_str(got, want, "every byte kept, a line end and a blank line, then the section");
	is_int(mode_of(path), 0640, "mode kept");
	is_int(entries(dir), 1, "no temporary file left");
	free(got);
	free(want);

	/* the same name again: refused, nothing changed */
	got = tap_slurp(path, NULL);
	is_int(config_append_section(path, "work", section, 0, &e), -1, "[work] again");
	is_int(e.cls, ERR_IO, "ERR_IO (setup: exit 73)");
	ok(strstr(e.msg, "already has an account [work]") != NULL, "says so (%s)", e.msg);
	want = tap_slurp(path, NULL);
	is_str(want, got, "unchanged");
	free(want);
	is_int(config_append_section(path, "home", "[home]\nhost = x.example.org\nauth = off\n", 0, &e), -1,
	       "[home], written with trailing blanks in the file");
	free(got);

	/* a password into a file others may read */
	got = tap_slurp(path, NULL);
	is_int(config_append_section(path, "pw", "[pw]\nhost = x.example.org\nuser = u\nfrom = u@example.org\npassword = s3cret\n",
				     1, &e), -1, "a password into a 0640 file");
	is_int(e.cls, ERR_CONFIG, "ERR_CONFIG");
	ok(strstr(e.msg, "chmod 600") != NULL, "names the chmod (%s)", e.msg);
	want = tap_slurp(path, NULL);
	is_str(want, got, "unchanged");
	free(want);
	free(got);

	/* the preview: the account as postern will read it, [defaults] included */
	config_init(&c);
	is_int(config_preview_section(path, "new", "[new]\nhost = n.example.org\nuser = n\nfrom = n@example.org\n",
				      0, &c, &e), 0, "preview");
	is_int(c.n, 3, "three accounts in the preview");
	is_str(c.acc[2].tls_ca_file, "/etc/ssl/certs/ca-certificates.crt", "the new one inherits [defaults]");
	config_release(&c);
	config_init(&c);
	is_int(config_preview_section(path, "new", "[new]\nhost = n.example.org\nuser = n\nfrom = n@example.org\n",
				      1, &c, &e), -1, "preview for a password: the 0640 file refused");
	ok(strstr(e.msg, "chmod 600") != NULL, "before anything is asked (%s)", e.msg);
	config_release(&c);
	free(path);
}

static void test_refusals(void)
{
	char *path = xasprintf("%s/bad.ini", dir), *got;
	struct error e;

	tap_write_file(path, "[a]\nhost = x\n\nthis is not a key\n", 0600);
	error_clear(&e);
	is_int(config_append_section(path, "work", section, 1, &e), -1, "a file postern cannot read");
	is_int(e.cls, ERR_CONFIG, "ERR_CONFIG (setup: exit 78)");
	ok(strstr(e.msg, "bad.ini:4") != NULL, "names file:line (%s)", e.msg);
	got = tap_slurp(path, NULL);
	is_str(got, "[a]\nhost = x\n\nthis is not a key\n", "unchanged");
	free(got);

	/* an empty file takes the section */
	tap_write_file(path, "", 0600);
	is_int(config_append_section(path, "work", section, 1, &e), 0, "an empty file");
	got = tap_slurp(path, NULL);
	is_str(got, section, "just the section, no blank line before it");
	free(got);
	unlink(path);
	free(path);

	/* a section the existing [defaults] makes invalid: nothing written */
	path = xasprintf("%s/def.ini", dir);
	tap_write_file(path, "[defaults]\nauth = external\n", 0600);
	is_int(config_append_section(path, "work", section, 0, &e), -1,
	       "a section that cannot work with the [defaults] there");
	got = tap_slurp(path, NULL);
	is_str(got, "[defaults]\nauth = external\n", "unchanged");
	free(got);
	unlink(path);
	free(path);
}

static void test_new_file(void)
{
	char *path = xasprintf("%s/new/deeper/config.ini", dir), *got, *d1, *d2;
	struct error e;

	error_clear(&e);
	is_int(config_append_section(path, "work", section, 1, &e), 0, "a new file in new directories");
	got = tap_slurp(path, NULL);
	is_str(got, section, "the section alone");
	is_int(mode_of(path), 0600, "the file 0600");
	d1 = xasprintf("%s/new", dir);
	d2 = xasprintf("%s/new/deeper", dir);
	is_int(mode_of(d1), 0700, "the directories 0700");
	is_int(mode_of(d2), 0700, "both");
	free(got);

	/* a symbolic link stays one; its target gets the section */
	{
		char *target = xasprintf("%s/real.ini", dir), *link = xasprintf("%s/link.ini", dir);
		struct stat st;

		tap_write_file(target, "[a]\nhost = a.example.org\nauth = off\n", 0600);
		if (symlink(target, link) != 0)
			perror("symlink");
		is_int(config_append_section(link, "work", section, 0, &e), 0, "through a symbolic link");
		ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
		got = tap_slurp(target, NULL);
		ok(got && strstr(got, "[work]") != NULL, "the target has the section");
		free(got);
		unlink(link);
		unlink(target);
		free(target);
		free(link);
	}
	unlink(path);
	rmdir(d2);
	rmdir(d1);
	free(d1);
	free(d2);
	free(path);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_values();
	test_append();
	test_refusals();
	test_new_file();
	{
		char *cmd = xasprintf("rm -rf %s", dir);

		if (system(cmd) != 0)
			tap_diag("could not remove the temporary directory");
		free(cmd);
	}
	return tap_done();
}
