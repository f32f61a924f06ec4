/* cli.h - the sendmail command line.  Every flag that real callers pass is
 * accepted: used where it means something to postern, otherwise ignored on
 * purpose (and named in the -v output).  An unknown flag is a usage error
 * that names it. */
#ifndef POSTERN_CLI_H
#define POSTERN_CLI_H

#include <stddef.h>

#include "error.h"
#include "util.h"

enum cli_mode {
	CLI_SEND = 0,		/* read a message and submit it (-bm) */
	CLI_BSMTP,		/* -bs: SMTP on standard input and output */
	CLI_LIST_QUEUE,		/* -bp, or invoked as mailq */
	CLI_RUN_QUEUE,		/* -q */
	CLI_NOOP,		/* -bi / newaliases: nothing to do for postern */
	CLI_VERSION,		/* --version */
	CLI_HELP,		/* --help */
	CLI_PASSWORD,		/* `postern password ...`: see cmd_password.h */
	CLI_QUEUE,		/* `postern queue ...`: see cmd_queue.h */
	CLI_DOCTOR,		/* `postern doctor ...`: see cmd_doctor.h */
	CLI_OAUTH2,		/* `postern oauth2 ...`: see cmd_oauth2.h */
	CLI_IMPORT,		/* `postern import-msmtprc ...`: see cmd_import.h */
	CLI_SETUP,		/* `postern setup ...`: see cmd_setup.h */
};

/* -od: when to deliver (sendmail's delivery modes). */
enum cli_delivery {
	CLI_DELIVER_CONFIG = 0,	/* -odi, -odf or none: as the account's queue = says */
	CLI_DELIVER_BACKGROUND,	/* -odb: queue, send from a detached process, return */
	CLI_DELIVER_QUEUE_ONLY,	/* -odq: queue only; the next queue run sends it */
};

struct cli {
	enum cli_mode mode;
	const char *account;	/* -a */
	const char *config;	/* -C */
	const char *from;	/* -f / -r */
	const char *fullname;	/* -F */
	int read_recipients;	/* -t */
	int dot_ends;		/* 1 unless -i / -oi */
	int verbose;		/* -v (twice: also the engine's states) */
	enum cli_delivery delivery;	/* -od... */
	const char *dsn_notify;	/* -N, validated: NEVER or SUCCESS,FAILURE,DELAY */
	const char *dsn_ret;	/* -R, validated: FULL or HDRS */
	const char *dsn_envid;	/* -V, validated: 1-100 printable ASCII */
	int stdin_tty;		/* standard input is a terminal (set by main) */
	struct strvec rcpts;	/* the bare words, as given */
	struct strvec ignored;	/* flags accepted and ignored, for -v */
	int sub_argc;		/* for a subcommand: its words, name first */
	char **sub_argv;
};

void cli_init(struct cli *c);
void cli_release(struct cli *c);

/* Parse argv (argv[0] decides: "mailq" lists the queue, "newaliases" does
 * nothing).  postern's own subcommands ("password", "queue", "doctor", "oauth2",
 * "setup", "import-msmtprc") are recognised
 * only as the first argument when invoked as postern; they get the rest of
 * argv in sub_argc/sub_argv and parse it themselves.  Invoked as sendmail,
 * or with a sendmail option first, every bare word is a recipient.
 * Options may come before, between or after recipients, until "--".
 * Returns 0, or -1 with ERR_USAGE naming the bad option.  The strings in c
 * point into argv. */
int cli_parse(struct cli *c, int argc, char **argv, struct error *e);

/* The --help text. */
extern const char cli_usage[];

#endif
