/* cmd_setup.c - `postern setup ADDRESS`, see cmd_setup.h and postern(1). */
#include "cmd_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "config_write.h"
#include "discover.h"
#include "keyring.h"
#include "log.h"
#include "prompt.h"
#include "secret.h"
#include "session.h"
#include "util.h"

/* Seconds for each step of the login test (connect, TLS, each reply). */
#define LOGIN_TIMEOUT_S 15

static const char usage[] =
	"usage: postern setup [-C FILE] [--account NAME] [--host HOST] [--port PORT]\n"
	"                     [--tls starttls|implicit] [--user USER] [--password-stdin]\n"
	"                     [--store keyring|file] [--oauth2 CLIENT_ID] [--yes] [--dry-run] [-v]\n"
	"                     ADDRESS\n"
	"Finds the mail server of ADDRESS's domain (SRV, autoconfig, MX, probing), logs in\n"
	"without sending, stores the password and adds the account to the configuration.\n";

/* The value of an option: "--opt=value" or the next word. */
static int value_of(int argc, char **argv, int *i, const char *opt, const char **out,
		    struct error *e)
{
	size_t k = strlen(opt);
	const char *a = argv[*i];

	if (a[k] == '=') {
		*out = a + k + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return error_set(e, ERR_USAGE, "setup: %s needs a value; see postern setup --help", opt);
	*out = argv[++*i];
	return 0;
}

/* Whether word is the option opt, alone or as "opt=value". */
static int is_opt(const char *word, const char *opt)
{
	size_t k = strlen(opt);

	return !strncmp(word, opt, k) && (word[k] == '\0' || word[k] == '=');
}

int setup_parse_args(int argc, char **argv, struct setup_opts *o, struct error *e)
{
	int i, rest = 0;

	memset(o, 0, sizeof(*o));
	o->tls = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		char shown[64];

		if (rest || a[0] != '-' || !a[1]) {
			if (o->address) {
				str_escape(shown, sizeof(shown), a, strlen(a));
				return error_set(e, ERR_USAGE, "setup: give one ADDRESS (also got %s)", shown);
			}
			o->address = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			return 1;
		} else if (!strcmp(a, "-v")) {
			o->verbose++;
		} else if (!strcmp(a, "--yes") || !strcmp(a, "-y")) {
			o->yes = 1;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			o->dry_run = 1;
		} else if (!strcmp(a, "--password-stdin")) {
			o->password_stdin = 1;
		} else if (!strncmp(a, "-C", 2) && a[2]) {
			o->config = a + 2;
		} else if (!strcmp(a, "-C")) {
			if (i + 1 >= argc)
				return error_set(e, ERR_USAGE, "setup: -C needs a value; see postern setup --help");
			o->config = argv[++i];
		} else if (is_opt(a, "--account")) {
			if (value_of(argc, argv, &i, "--account", &o->account, e))
				return -1;
		} else if (is_opt(a, "--host")) {
			if (value_of(argc, argv, &i, "--host", &o->host, e))
				return -1;
		} else if (is_opt(a, "--user")) {
			if (value_of(argc, argv, &i, "--user", &o->user, e))
				return -1;
		} else if (is_opt(a, "--oauth2")) {
			if (value_of(argc, argv, &i, "--oauth2", &o->oauth2_client_id, e))
				return -1;
		} else if (is_opt(a, "--port")) {
			char *end;
			long p;

			if (value_of(argc, argv, &i, "--port", &v, e))
				return -1;
			errno = 0;
			p = strtol(v, &end, 10);
			if (errno || end == v || *end || p < 1 || p > 65535) {
				str_escape(shown, sizeof(shown), v, strlen(v));
				return error_set(e, ERR_USAGE, "setup: --port %s: give a port number, 1 to 65535",
						 shown);
			}
			o->port = (unsigned)p;
		} else if (is_opt(a, "--tls")) {
			if (value_of(argc, argv, &i, "--tls", &v, e))
				return -1;
			if (!strcmp(v, "starttls"))
				o->tls = ACCOUNT_TLS_STARTTLS;
			else if (!strcmp(v, "implicit"))
				o->tls = ACCOUNT_TLS_IMPLICIT;
			else {
				str_escape(shown, sizeof(shown), v, strlen(v));
				return error_set(e, ERR_USAGE, "setup: --tls %s: give starttls or implicit "
						 "(setup writes no cleartext account)", shown);
			}
		} else if (is_opt(a, "--store")) {
			if (value_of(argc, argv, &i, "--store", &v, e))
				return -1;
			if (!strcmp(v, "file"))
				o->store_file = 1;
			else if (!strcmp(v, "keyring"))
				o->store_file = 0;
			else {
				str_escape(shown, sizeof(shown), v, strlen(v));
				return error_set(e, ERR_USAGE, "setup: --store %s: give keyring or file", shown);
			}
		} else {
			str_escape(shown, sizeof(shown), a, strlen(a));
			return error_set(e, ERR_USAGE, "setup: unknown option %s; see postern setup --help",
					 shown);
		}
	}
	if (!o->address)
		return error_set(e, ERR_USAGE, "setup: give the ADDRESS to set up; see postern setup --help");
	if ((o->port || o->tls >= 0) && !o->host)
		return error_set(e, ERR_USAGE, "setup: --port and --tls go with --host");
	if (o->oauth2_client_id && (o->password_stdin || o->store_file))
		return error_set(e, ERR_USAGE, "setup: --oauth2 uses no password; leave out "
				 "--password-stdin and --store");
	return 0;
}

/* ------------------------------------------------------------ the steps */

/* --host: no discovery; the port and TLS mode as the config's own
 * defaults would pick them. */
static int from_command_line(const struct setup_opts *o, struct discover_result *r,
			     struct error *e)
{
	char shown[64];

	memset(r, 0, sizeof(*r));
	if (!discover_host_ok(o->host)) {
		str_escape(shown, sizeof(shown), o->host, strlen(o->host));
		return error_set(e, ERR_USAGE, "setup: --host %s is not a host name", shown);
	}
	snprintf(r->host, sizeof(r->host), "%s", o->host);
	if (o->tls >= 0)
		r->tls = (enum account_tls)o->tls;
	else
		r->tls = o->port == 465 || !o->port ? (o->port ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS)
						    : ACCOUNT_TLS_STARTTLS;
	r->port = o->port ? o->port : r->tls == ACCOUNT_TLS_IMPLICIT ? 465 : 587;
	snprintf(r->source, sizeof(r->source), "the command line");
	r->provider = provider_by_host(r->host);
	return 0;
}

static const char *tls_words(enum account_tls t)
{
	return t == ACCOUNT_TLS_IMPLICIT ? "implicit TLS" : "STARTTLS";
}

/* What the provider wants beyond a password, one line each. */
static void provider_hints(const struct provider *p, const char *name, int oauth2_chosen)
{
	if (!p)
		return;
	if (p->note)
		printf("note: %s: %s\n", p->name, p->note);
	if (p->app_password && !oauth2_chosen)
		printf("app password: %s wants an app password for mail programs; make one at %s\n",
		       p->name, p->app_password);
	if (p->oauth2 && !oauth2_chosen)
		printf("oauth2: %s offers OAuth2: with the id of a client you registered, run "
		       "postern setup --oauth2 CLIENT_ID ..., then postern oauth2 authorize %s "
		       "(postern(1), OAUTH2)\n", p->name, name);
}

/* The section as it will be written; the password line is added later,
 * only once the login worked. */
static int build_section(const struct setup_opts *o, const char *name, const char *user,
			 const struct discover_result *r, struct buf *s, struct error *e)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", r->port);
	buf_addf(s, "[%s]\n", name);
	if (config_section_add(s, "host", r->host, e) ||
	    config_section_add(s, "port", port, e) ||
	    config_section_add(s, "tls", config_tls_name(r->tls), e) ||
	    config_section_add(s, "user", user, e) ||
	    config_section_add(s, "from", o->address, e))
		return -1;
	if (o->oauth2_client_id &&
	    (config_section_add(s, "auth", "xoauth2", e) ||
	     config_section_add(s, "oauth2", config_oauth2_name(r->provider->oauth2), e) ||
	     config_section_add(s, "oauth2_client_id", o->oauth2_client_id, e)))
		return -1;
	return 0;
}

/* "Use HOST port PORT? [Y/n]" on a terminal: 1 yes, 0 no. */
static int confirm(const struct discover_result *r)
{
	char line[64];

	printf("Use %s port %u? [Y/n] ", r->host, r->port);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == '\n' || line[0] == 'y' || line[0] == 'Y';
}

static int read_password(const struct setup_opts *o, const struct account *a, struct secret *pw,
			 struct error *e)
{
	char *prompt;
	int rc;

	if (o->password_stdin) {
		if (prompt_read_line(STDIN_FILENO, pw, e))
			return error_prefix(e, "the password on standard input");
		return 0;
	}
	prompt = xasprintf("Password for %s at %s: ", a->user, a->host);
	rc = prompt_ask(prompt, pw, e);
	free(prompt);
	return rc;
}

/* The exit code of a failure of config_append_section() or its preview:
 * a file postern cannot read is the configuration's fault; the rest (the
 * account exists, the file cannot be written) is "cannot create". */
static int write_status(const struct error *e)
{
	return e->cls == ERR_CONFIG ? EX_CONFIG : e->cls == ERR_USAGE ? EX_USAGE : EX_CANTCREAT;
}

struct run {
	struct setup_opts o;
	char *path;
	const char *name;
	struct discover_result r;
	struct buf section;		/* secret: the password line joins it */
	struct config preview;
	struct secret pw;
	struct error e;
};

/* Discovery (or --host), then the found: line and the hints. */
static int find_server(struct run *u)
{
	if (u->o.host) {
		if (from_command_line(&u->o, &u->r, &u->e))
			return EX_USAGE;
	} else {
		int rc = discover_run(u->o.address, stdout, &u->r, &u->e);

		if (rc < 0)
			return error_exit_code(u->e.cls);
		if (rc == 0) {
			const char *d = discover_address_domain(u->o.address);

			log_err("cannot find the mail server for %s: no SRV record, no autoconfig, no "
				"known MX, nothing answers on smtp.%s or mail.%s; give it with --host",
				d, d, d);
			return EX_NOHOST;
		}
	}
	printf("found: %s port %u, %s (from %s)\n", u->r.host, u->r.port, tls_words(u->r.tls),
	       u->r.source);
	if (u->o.oauth2_client_id && (!u->r.provider || !u->r.provider->oauth2)) {
		error_set(&u->e, ERR_USAGE, "setup: --oauth2: postern knows no OAuth2 preset for %s; "
			  "see postern.ini(5), oauth2 = custom", u->r.host);
		log_err("%s", u->e.msg);
		return EX_USAGE;
	}
	provider_hints(u->r.provider, u->name, u->o.oauth2_client_id != NULL);
	fflush(stdout);
	return EX_OK;
}

/* Ask, log in, store, write: everything after the dry run's point. */
static int login_and_write(struct run *u, const struct account *a)
{
	struct account login;
	const char *why;
	char *helo = NULL;
	int status;

	if (read_password(&u->o, a, &u->pw, &u->e)) {
		log_err("%s", u->e.msg);
		return error_exit_code(u->e.cls);
	}
	if (u->o.store_file && !config_value_ok("password", u->pw.value, &why)) {
		log_err("this password cannot be written into the configuration file (%s); "
			"use --store keyring", why);
		return EX_USAGE;
	}
	helo = session_ehlo_name(a);
	/* The account as written, but with setup's own bound on each step:
	 * a server that does not answer is reported in seconds. */
	login = *a;
	if (login.timeout > LOGIN_TIMEOUT_S)
		login.timeout = LOGIN_TIMEOUT_S;
	if (session_verify(&login, u->pw.value, helo, &u->e)) {
		free(helo);
		log_err("%s", u->e.msg);
		return error_exit_code(u->e.cls);
	}
	free(helo);
	printf("login: ok\n");
	fflush(stdout);
	if (u->o.store_file) {
		/* checked above: cannot fail, and e would quote the password */
		config_section_add(&u->section, "password", u->pw.value, NULL);
	} else if (keyring_store(a, u->pw.value, &u->e)) {
		log_err("%s; nothing was written (or use --store file)", u->e.msg);
		return error_exit_code(u->e.cls);
	}
	if (config_append_section(u->path, u->name, u->section.data, u->o.store_file, &u->e)) {
		log_err("%s", u->e.msg);
		status = write_status(&u->e);
		if (!u->o.store_file)
			log_err("the password was stored in the keyring before; remove it with: "
				"secret-tool clear host %s service smtp user %s", a->host, a->user);
		return status;
	}
	printf("wrote account %s to %s\n", u->name, u->path);
	return EX_OK;
}

static int run_setup(struct run *u)
{
	const struct account *a;
	const char *user;
	int status;

	if (!discover_address_domain(u->o.address)) {
		char shown[128];

		str_escape(shown, sizeof(shown), u->o.address, strlen(u->o.address));
		log_err("setup: %s is not an address postern can set up (local@domain, printable "
			"ASCII without blanks)", shown);
		return EX_USAGE;
	}
	u->name = u->o.account ? u->o.account : u->o.address;
	if (!config_section_name_ok(u->name)) {
		log_err("setup: [%s] cannot be an account name (printable, no blanks or brackets, "
			"not defaults)", u->name);
		return EX_USAGE;
	}
	u->path = u->o.config ? xstrdup(u->o.config) : config_user_path();
	if (!u->path) {
		log_err("setup: no home directory to keep the configuration in; give one with -C FILE");
		return EX_CONFIG;
	}
	if (!u->o.dry_run && !u->o.oauth2_client_id && !u->o.password_stdin &&
	    !isatty(STDIN_FILENO)) {
		log_err("no terminal to ask on; use --password-stdin and --yes");
		return EX_USAGE;
	}
	/* Refuse early what would be refused at the end: an account of that
	 * name, a file postern cannot read. */
	{
		/* a stand-in for the section to come, inheriting [defaults]
		 * as it will; its values are checked when it is built */
		char *probe = xasprintf("[%s]\nhost = localhost\nuser = u\nfrom = %s\n", u->name,
					"u@localhost");

		status = config_preview_section(u->path, u->name, probe, u->o.store_file && !u->o.dry_run,
						&u->preview, &u->e);
		free(probe);
		config_release(&u->preview);
		config_init(&u->preview);
		if (status) {
			log_err("%s", u->e.msg);
			return write_status(&u->e);
		}
	}
	if ((status = find_server(u)) != EX_OK)
		return status;
	user = u->o.user ? u->o.user : u->r.user[0] ? u->r.user : u->o.address;
	if (build_section(&u->o, u->name, user, &u->r, &u->section, &u->e)) {
		log_err("%s", u->e.msg);
		return EX_USAGE;
	}
	if (config_preview_section(u->path, u->name, u->section.data, 0, &u->preview, &u->e)) {
		log_err("%s", u->e.msg);
		return write_status(&u->e);
	}
	a = config_select(&u->preview, u->name, NULL, NULL, &u->e);
	if (!a) {
		log_err("%s", u->e.msg);
		return EX_SOFTWARE;
	}
	if (u->o.dry_run) {
		fputs(u->section.data, stdout);
		return EX_OK;
	}
	if (!u->o.yes && !u->o.password_stdin && isatty(STDIN_FILENO) && !confirm(&u->r)) {
		printf("nothing was written\n");
		return EX_OK;
	}
	if (u->o.oauth2_client_id) {
		if (config_append_section(u->path, u->name, u->section.data, 0, &u->e)) {
			log_err("%s", u->e.msg);
			return write_status(&u->e);
		}
		printf("wrote account %s to %s\n", u->name, u->path);
		if (u->o.config)
			printf("next: postern oauth2 authorize -C %s %s\n", u->o.config, u->name);
		else
			printf("next: postern oauth2 authorize %s\n", u->name);
		return EX_OK;
	}
	return login_and_write(u, a);
}

int cmd_setup(int argc, char **argv)
{
	struct run u;
	int rc, status;

	memset(&u, 0, sizeof(u));
	buf_init_secret(&u.section);
	config_init(&u.preview);
	secret_init(&u.pw);
	error_clear(&u.e);
	rc = setup_parse_args(argc, argv, &u.o, &u.e);
	if (rc > 0) {
		fputs(usage, stdout);
		return EX_OK;
	}
	if (rc < 0) {
		log_err("%s", u.e.msg);
		return EX_USAGE;
	}
	if (u.o.verbose)
		log_verbose = u.o.verbose;
	status = run_setup(&u);
	free(u.path);
	buf_release(&u.section);
	config_release(&u.preview);
	secret_release(&u.pw);
	return status;
}
