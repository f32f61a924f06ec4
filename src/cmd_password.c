/* cmd_password.c - `postern password set|forget|check [-C FILE] [-v] [ACCOUNT]`. */
#include "cmd_password.h"
#include "credential.h"
#include "prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "error.h"
#include "keyring.h"
#include "log.h"
#include "secret.h"
#include "session.h"
#include "util.h"

static const char usage[] =
	"usage: postern password set [-C FILE] [-v] [ACCOUNT]     store the password in the keyring\n"
	"       postern password forget [-C FILE] [-v] [ACCOUNT]  remove it from the keyring\n"
	"       postern password check [-C FILE] [-v] [ACCOUNT]   say where it comes from and log in\n"
	"set reads the password without echo from the terminal, or its first line from standard\n"
	"input when that is not a terminal.\n";



static int do_set(const struct account *a, struct error *e)
{
	struct secret pw, again;
	char *prompt = NULL;
	int rc = -1;

	secret_init(&pw);
	secret_init(&again);
	if (a->password)
		log_err("note: [%s] sets password (line %d) in the configuration, which comes before "
			"the keyring; remove it there to use the keyring", a->name, a->password_line);
	else if (a->password_command)
		log_err("note: [%s] sets password_command (line %d), which comes before the keyring; "
			"remove it to use the keyring", a->name, a->password_command_line);
	if (isatty(STDIN_FILENO)) {
		prompt = xasprintf("Password for %s at %s: ", a->user, a->host);
		if (prompt_ask(prompt, &pw, e) || prompt_ask("Again: ", &again, e))
			goto out;
		if (pw.len != again.len || CRYPTO_memcmp(pw.value, again.value, pw.len)) {
			error_set(e, ERR_USAGE, "the two passwords differ; nothing was stored");
			goto out;
		}
	} else if (prompt_read_line(STDIN_FILENO, &pw, e)) {
		error_prefix(e, "standard input");
		goto out;
	}
	if (keyring_store(a, pw.value, e))
		goto out;
	printf("stored the password for %s at %s in the keyring (schema %s); "
	       "try it with: postern password check %s\n", a->user, a->host, SECRET_SCHEMA, a->name);
	rc = 0;
out:
	free(prompt);
	secret_release(&pw);
	secret_release(&again);
	return rc;
}

static int do_forget(const struct account *a, struct error *e)
{
	int r = keyring_forget(a, e), others;

	if (r < 0)
		return -1;
	if (r > 0)
		printf("removed postern's keyring entry for %s at %s\n", a->user, a->host);
	else
		printf("postern has no keyring entry for %s at %s\n", a->user, a->host);
	others = keyring_count_others(a);
	if (others > 0)
		printf("%d other keyring entr%s (msmtp's or secret-tool's) still match%s and would be used; "
		       "remove with: secret-tool clear host %s service smtp user %s\n",
		       others, others == 1 ? "y" : "ies", others == 1 ? "es" : "", a->host, a->user);
	return 0;
}

static int do_check(const struct account *a, struct error *e)
{
	struct secret pw;
	struct credential_opts so = { .allow_prompt = isatty(STDIN_FILENO) };
	char *helo = session_ehlo_name(a);
	int rc = -1;

	secret_init(&pw);
	if (a->auth == AUTH_OFF) {
		printf("[%s] has auth = off: no password is used\n", a->name);
	} else if (a->auth == AUTH_EXTERNAL) {
		printf("[%s] has auth = external: the client certificate logs in, no password is used\n",
		       a->name);
	} else {
		if (credential_lookup(a, &so, &pw, e))
			goto out;
		printf("password for [%s] (%s at %s) from %s\n", a->name, a->user, a->host, pw.desc);
	}
	fflush(stdout);
	if (session_verify(a, pw.value, helo, e)) {
		if (e->cls == ERR_AUTH)
			printf("authentication failed\n");
		else
			printf("could not check the password: the server was not reached or refused the session\n");
		goto out;
	}
	if (a->auth == AUTH_OFF)
		printf("connected to %s port %u (no authentication)\n", a->host, a->port);
	else
		printf("authentication succeeded: %s port %u accepted %s\n", a->host, a->port,
		       a->user ? a->user : "the client certificate");
	rc = 0;
out:
	secret_release(&pw);
	free(helo);
	return rc;
}

int cmd_password(int argc, char **argv)
{
	const char *sub, *cfg_opt = NULL, *acct_name = NULL;
	struct config c;
	const struct account *a;
	struct error e;
	char *path = NULL;
	int status = EX_SOFTWARE, i, rc;

	config_init(&c);
	error_clear(&e);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "set") && strcmp(sub, "forget") && strcmp(sub, "check")) {
		log_err("password: unknown subcommand %s", sub);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	for (i = 2; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			break;
		if (!strcmp(arg, "-v")) {
			log_verbose = 1;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return EX_OK;
		} else if (arg[1] == 'C' || arg[1] == 'a') {
			const char *val = arg[2] ? arg + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val) {
				log_err("password %s: %s needs a value", sub, arg);
				return EX_USAGE;
			}
			if (arg[1] == 'C')
				cfg_opt = val;
			else
				acct_name = val;
		} else {
			log_err("password %s: unknown option %s", sub, arg);
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (i < argc) {
		if (acct_name || i + 1 < argc) {
			log_err("password %s: give one ACCOUNT (got %s%s)", sub, acct_name ? "-a and " : "",
				argv[i]);
			return EX_USAGE;
		}
		acct_name = argv[i];
	}

	a = config_open_account(&c, cfg_opt, acct_name, &path, &e);
	if (!a)
		goto fail;
	if (strcmp(sub, "check") && (!a->user || !a->host)) {
		error_set(&e, ERR_CONFIG, "account [%s] in %s has no %s: the keyring entry is keyed by "
			  "host and user", a->name, path, a->user ? "host" : "user");
		goto fail;
	}
	log_info("account [%s] from %s", a->name, path);
	if (!strcmp(sub, "set"))
		rc = do_set(a, &e);
	else if (!strcmp(sub, "forget"))
		rc = do_forget(a, &e);
	else
		rc = do_check(a, &e);
	if (rc)
		goto fail;
	status = EX_OK;
	goto out;
fail:
	log_err("%s", e.msg);
	status = error_exit_code(e.cls);
out:
	free(path);
	config_release(&c);
	return status;
}
