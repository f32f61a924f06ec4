/* main.c - the sendmail command line: parse it, pick the mode (send, -bs,
 * -bp, password, setup, ...) and return its sysexits.h code.  The submission
 * itself (submit.c) and everything else live in libpostern. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bsmtp_session.h"
#include "cli.h"
#include "interrupt.h"
#include "log.h"
#include "cmd_doctor.h"
#include "cmd_import.h"
#include "cmd_oauth2.h"
#include "cmd_password.h"
#include "cmd_queue.h"
#include "cmd_setup.h"
#include "secret.h"
#include "submit.h"

/* PACKAGE_VERSION comes from autoconf.h, included by the build. */

/* The command line's part of a submission. */
static struct submit_request request_of(const struct cli *cli)
{
	struct submit_request rq = {
		.config = cli->config,
		.account = cli->account,
		.from = cli->from,
		.fullname = cli->fullname,
		.rcpts = &cli->rcpts,
		.read_recipients = cli->read_recipients,
		.dot_ends = cli->dot_ends,
		.allow_prompt = cli->stdin_tty,
		.delivery = cli->delivery == CLI_DELIVER_BACKGROUND ? SUBMIT_BACKGROUND :
			    cli->delivery == CLI_DELIVER_QUEUE_ONLY ? SUBMIT_QUEUE_ONLY : SUBMIT_CONFIG,
		.dsn_notify = cli->dsn_notify,
		.dsn_ret = cli->dsn_ret,
		.dsn_envid = cli->dsn_envid,
	};
	return rq;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct error e;
	int status;

	/* A set-id sendmail is how local users get other users' secrets; postern
	 * needs no privilege, so it refuses to run with any. */
	if (getuid() != geteuid() || getgid() != getegid()) {
		static const char msg[] =
			"postern: refusing to run setuid or setgid; install it without the s bit\n";
		/* _exit: run nothing more (no atexit handlers) with borrowed privileges. */
		ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void)n;
		_exit(EX_NOPERM);
	}
	/* No core dump or same-user ptrace may expose a password. */
	secret_protect_process();
	signal(SIGPIPE, SIG_IGN);
	/* A write past RLIMIT_FSIZE must fail with EFBIG, which is reported
	 * and keeps the message, not kill postern half-way through the
	 * spool file with nothing said. */
	signal(SIGXFSZ, SIG_IGN);
	interrupt_setup();

	cli_init(&cli);
	error_clear(&e);
	if (cli_parse(&cli, argc, argv, &e)) {
		log_err("%s", e.msg);
		cli_release(&cli);
		return EX_USAGE;
	}
	log_verbose = cli.verbose;
	cli.stdin_tty = isatty(STDIN_FILENO);
	for (size_t i = 0; i < cli.ignored.n; i++)
		log_info("ignoring %s (no meaning for a submission agent)", cli.ignored.v[i]);

	switch (cli.mode) {
	case CLI_VERSION:
		printf("postern %s\n", PACKAGE_VERSION);
		status = EX_OK;
		break;
	case CLI_HELP:
		fputs(cli_usage, stdout);
		status = EX_OK;
		break;
	case CLI_NOOP:
		status = EX_OK;
		break;
	case CLI_LIST_QUEUE:
		status = cmd_queue_list(cli.config);
		break;
	case CLI_RUN_QUEUE:
		status = cmd_queue_run(cli.config);
		break;
	case CLI_QUEUE:
		status = cmd_queue(cli.sub_argc, cli.sub_argv);
		break;
	case CLI_PASSWORD:
		status = cmd_password(cli.sub_argc, cli.sub_argv);
		break;
	case CLI_DOCTOR:
		status = cmd_doctor(cli.sub_argc, cli.sub_argv);
		break;
	case CLI_OAUTH2:
		status = cmd_oauth2(cli.sub_argc, cli.sub_argv);
		break;
	case CLI_IMPORT:
		status = cmd_import(cli.sub_argc, cli.sub_argv);
		break;
	case CLI_SETUP:
		status = cmd_setup(cli.sub_argc, cli.sub_argv);
		break;
	case CLI_BSMTP: {
		struct submit_request rq = request_of(&cli);
		status = bsmtp_session_run(&rq, STDIN_FILENO, STDOUT_FILENO);
		break;
	}
	case CLI_SEND:
	default: {
		struct submit_request rq = request_of(&cli);
		status = submit_message(&rq, STDIN_FILENO, NULL, NULL);
		break;
	}
	}
	cli_release(&cli);
	/* Interrupted: the message is kept and the person told where; end
	 * as the signal would have, so that the caller sees what happened.
	 * Not when it was delivered anyway: exit 0 is then the truth, and a
	 * caller that saw a failure might send it a second time. */
	if (status != EX_OK)
		interrupt_exit();
	return status;
}
