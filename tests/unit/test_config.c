/* Config parsing and validation: defaults, inheritance, every refusal names
 * file:line, permission checks on files holding a password. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

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
	a = config_select(&c, NULL, NULL, &e);
	is_str(a ? a->name : NULL, "work", "default_account picks work");
	a = config_select(&c, NULL, "bob@example.net", &e);
	is_str(a ? a->name : NULL, "smtps", "a From match picks smtps (case-insensitive)");
	a = config_select(&c, "plain", "bob@example.net", &e);
	is_str(a ? a->name : NULL, "plain", "-a wins over a From match");
	a = config_select(&c, "nope", NULL, &e);
	ok(!a && e.cls == ERR_CONFIG && strstr(e.msg, "no account [nope]"), "unknown -a account");
	config_release(&c);

	is_int(parse(&c, "[a]\nhost=x\n[b]\nhost=y\n", &e), 0, "two accounts");
	ok(!config_select(&c, NULL, NULL, &e) && strstr(e.msg, "-a ACCOUNT"),
	   "no default with several accounts asks for -a");
	config_release(&c);
	is_int(parse(&c, "[only]\nhost=x\n", &e), 0, "one account");
	a = config_select(&c, NULL, "someone@else", &e);
	is_str(a ? a->name : NULL, "only", "the only account is the default");
	config_release(&c);
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
	expect_error("[a]\nhost = x\ndefault_account = a\n", "belongs in [defaults]", "default_account in account");

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

int main(void)
{
	test_defaults_and_inheritance();
	test_errors();
	test_file_permissions();
	test_find();
	test_example();
	return tap_done();
}
