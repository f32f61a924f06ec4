/* cmd_oauth2.c - `postern oauth2 authorize|status|forget [-C FILE] [-v] ACCOUNT`. */
#include "cmd_oauth2.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "util.h"

static const char usage[] =
	"usage: postern oauth2 authorize [-C FILE] [-v] [--device | --paste | --no-browser] ACCOUNT\n"
	"       postern oauth2 status [-C FILE] [-v] ACCOUNT   what is stored, until when, where\n"
	"       postern oauth2 forget [-C FILE] [-v] ACCOUNT   remove the stored tokens\n"
	"authorize gets a refresh token from the account's identity provider: by default it\n"
	"prints a URL (and opens a browser when it can) and waits for the provider to send\n"
	"the browser back to 127.0.0.1; --device shows a code to enter on another device;\n"
	"--paste reads the URL the browser was sent back to from standard input.\n";

enum flow { FLOW_LOOPBACK, FLOW_DEVICE, FLOW_PASTE };

struct opts {
	enum flow flow;
	int no_browser;
};

static int do_authorize(const struct account *a, const struct opts *o, struct error *e)
{
	(void)a;
	(void)o;
	return error_set(e, ERR_INTERNAL, "oauth2 authorize is not written yet");
}

static int do_status(const struct account *a, struct error *e)
{
	(void)a;
	return error_set(e, ERR_INTERNAL, "oauth2 status is not written yet");
}

static int do_forget(const struct account *a, struct error *e)
{
	(void)a;
	return error_set(e, ERR_INTERNAL, "oauth2 forget is not written yet");
}

int cmd_oauth2(int argc, char **argv)
{
	const char *sub, *cfg_opt = NULL, *acct_name = NULL;
	struct config c;
	const struct account *a;
	struct error e;
	struct opts o = { FLOW_LOOPBACK, 0 };
	char *path = NULL;
	int status = EX_SOFTWARE, opt, rc, flows = 0;
	static const struct option longopts[] = {
		{ "device", no_argument, NULL, 'd' },
		{ "paste", no_argument, NULL, 'p' },
		{ "no-browser", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "authorize") && strcmp(sub, "status") && strcmp(sub, "forget")) {
		log_err("oauth2: unknown subcommand %s", sub);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	/* getopt sees "SUB [options] [ACCOUNT]"; "+": options before ACCOUNT only */
	argc--;
	argv++;
	opterr = 0;
	optind = 0;	/* glibc: start afresh, whatever ran getopt before */
	while ((opt = getopt_long(argc, argv, "+C:a:vh", longopts, NULL)) != -1) {
		if (strchr("dpn", opt) && strcmp(sub, "authorize")) {
			log_err("oauth2 %s: %s belongs to oauth2 authorize", sub, argv[optind - 1]);
			return EX_USAGE;
		}
		switch (opt) {
		case 'C': cfg_opt = optarg; break;
		case 'a': acct_name = optarg; break;
		case 'v': log_verbose++; break;
		case 'd': o.flow = FLOW_DEVICE; flows++; break;
		case 'p': o.flow = FLOW_PASTE; flows++; break;
		case 'n': o.no_browser = 1; break;
		case 'h':
			fputs(usage, stdout);
			return EX_OK;
		default:
			log_err("oauth2 %s: %s is no option here (or needs a value)", sub, argv[optind - 1]);
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (flows > 1) {
		log_err("oauth2 authorize: --device and --paste exclude each other");
		return EX_USAGE;
	}
	if (optind < argc) {
		if (acct_name || optind + 1 < argc) {
			log_err("oauth2 %s: give one ACCOUNT (got %s%s)", sub,
				acct_name ? "-a and " : "", argv[optind]);
			return EX_USAGE;
		}
		acct_name = argv[optind];
	}

	config_init(&c);
	error_clear(&e);
	path = config_find(cfg_opt, &e);
	if (!path || config_load(&c, path, &e))
		goto fail;
	a = config_select(&c, acct_name, NULL, NULL, &e);
	if (!a)
		goto fail;
	log_info("account [%s] from %s", a->name, path);
	if (!strcmp(sub, "authorize"))
		rc = do_authorize(a, &o, &e);
	else if (!strcmp(sub, "status"))
		rc = do_status(a, &e);
	else
		rc = do_forget(a, &e);
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
