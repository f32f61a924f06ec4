/* cmd_setup.h - `postern setup ADDRESS`: find the submission server of the
 * address's domain (discover.h), ask for the password (or read it from
 * standard input), log in without sending, store the password (keyring or
 * config file) and add the account to the configuration (config_write.h).
 * The command line and its output are a contract with the integration test
 * and the completions: see postern(1), SETUP. */
#ifndef POSTERN_CMD_SETUP_H
#define POSTERN_CMD_SETUP_H

#include "error.h"

struct setup_opts {
	const char *config;		/* -C FILE */
	const char *account;		/* --account NAME */
	const char *host;		/* --host HOST: no discovery */
	unsigned port;			/* --port PORT, 0 = not given */
	int tls;			/* --tls: -1 not given, else enum account_tls */
	const char *user;		/* --user USER */
	const char *oauth2_client_id;	/* --oauth2 CLIENT_ID */
	int password_stdin;		/* --password-stdin */
	int store_file;			/* --store file (default keyring) */
	int yes;			/* --yes */
	int dry_run;			/* --dry-run */
	int verbose;			/* -v */
	const char *address;		/* ADDRESS */
};

/* Parse setup's words (argv[0] is "setup"); the strings point into argv.
 * Returns 0, 1 for --help (nothing else to do), or -1 with ERR_USAGE
 * naming the bad word.  The values are checked later, by the command. */
int setup_parse_args(int argc, char **argv, struct setup_opts *o, struct error *e);

/* The whole command.  Returns its sysexits.h code: 0 written (or the dry
 * run printed), 64 usage, 68 no server found, 73 the account exists or
 * the file cannot be written, 75/69 network and TLS failures, 77 login
 * refused, 78 an existing configuration postern cannot read. */
int cmd_setup(int argc, char **argv);

#endif
