/* test_setup.c - postern setup's command line (setup_parse_args): every
 * option of the contract, both spellings of a value, and the refusals. */
#include <string.h>

#include "cmd_setup.h"
#include "config.h"
#include "tap.h"

static int parse(struct setup_opts *o, struct error *e, const char *const *words)
{
	char *argv[32];
	int argc = 0;

	for (; words[argc]; argc++)
		argv[argc] = (char *)words[argc];
	argv[argc] = NULL;
	error_clear(e);
	return setup_parse_args(argc, argv, o, e);
}

#define PARSE(...) parse(&o, &e, (const char *const[]){ "setup", __VA_ARGS__, NULL })

int main(void)
{
	struct setup_opts o;
	struct error e;

	is_int(PARSE("alice@example.org"), 0, "just the address");
	is_str(o.address, "alice@example.org", "the address");
	ok(!o.host && !o.port && o.tls == -1 && !o.user && !o.account && !o.config &&
	   !o.password_stdin && !o.store_file && !o.yes && !o.dry_run, "nothing else set");

	is_int(PARSE("-C", "/tmp/c.ini", "--account", "work", "--host", "smtp.example.org",
		     "--port", "2525", "--tls", "starttls", "--user", "al", "--password-stdin",
		     "--store", "file", "--yes", "--dry-run", "alice@example.org"), 0, "every option");
	is_str(o.config, "/tmp/c.ini", "-C");
	is_str(o.account, "work", "--account");
	is_str(o.host, "smtp.example.org", "--host");
	is_int(o.port, 2525, "--port");
	is_int(o.tls, ACCOUNT_TLS_STARTTLS, "--tls starttls");
	is_str(o.user, "al", "--user");
	ok(o.password_stdin && o.store_file && o.yes && o.dry_run, "the flags");

	is_int(PARSE("--host=h.example.org", "--port=465", "--tls=implicit", "--store=keyring",
		     "-C/tmp/d.ini", "x@example.org"), 0, "--opt=value and -CFILE");
	is_str(o.host, "h.example.org", "--host=");
	is_int(o.port, 465, "--port=");
	is_int(o.tls, ACCOUNT_TLS_IMPLICIT, "--tls=implicit");
	is_int(o.store_file, 0, "--store=keyring");
	is_str(o.config, "/tmp/d.ini", "-CFILE");

	is_int(PARSE("--", "-odd@example.org"), 0, "-- then an address starting with -");
	is_str(o.address, "-odd@example.org", "taken as the address");
	is_int(PARSE("--help"), 1, "--help");

	is_int(PARSE("--yes"), -1, "no address");
	is_int(e.cls, ERR_USAGE, "a usage error");
	is_int(PARSE("a@example.org", "b@example.org"), -1, "two addresses");
	ok(strstr(e.msg, "b@example.org") != NULL, "names the second (%s)", e.msg);
	is_int(PARSE("--tls", "off", "--host", "h", "a@example.org"), -1, "--tls off refused");
	ok(strstr(e.msg, "starttls or implicit") != NULL, "says the choices (%s)", e.msg);
	is_int(PARSE("--tls", "plain\x1b[2J", "a@example.org"), -1, "--tls with ESC");
	ok(strchr(e.msg, 0x1b) == NULL, "escaped in the message");
	is_int(PARSE("--port", "0", "--host", "h", "a@example.org"), -1, "--port 0");
	is_int(PARSE("--port", "65536", "--host", "h", "a@example.org"), -1, "--port 65536");
	is_int(PARSE("--port", "58x", "--host", "h", "a@example.org"), -1, "--port 58x");
	is_int(PARSE("--port", "587", "a@example.org"), -1, "--port without --host");
	ok(strstr(e.msg, "go with --host") != NULL, "says so (%s)", e.msg);
	is_int(PARSE("--store", "disk", "a@example.org"), -1, "--store disk");
	is_int(PARSE("--frobnicate", "a@example.org"), -1, "an unknown option");
	ok(strstr(e.msg, "--frobnicate") != NULL, "named (%s)", e.msg);
	is_int(PARSE("a@example.org", "--host"), -1, "--host without a value");
	is_int(PARSE("a@example.org", "-C"), -1, "-C without a value");
	is_int(PARSE("--oauth2", "id", "--password-stdin", "a@example.org"), -1,
	       "--oauth2 with --password-stdin");
	is_int(PARSE("--oauth2", "id.apps", "a@example.org"), 0, "--oauth2 CLIENT_ID");
	is_str(o.oauth2_client_id, "id.apps", "the client id");
	return tap_done();
}
