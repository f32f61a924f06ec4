#include "cli.h"

#include <string.h>

const char cli_usage[] =
	"usage: postern [options] [--] recipient...   (reads the message on standard input)\n"
	"  -t            also send to the To, Cc and Bcc (or Resent-*) addresses of the message\n"
	"  -f ADDR, -r ADDR  envelope sender (also From when the message has none)\n"
	"  -F NAME       full name for a From header that postern adds\n"
	"  -i, -oi       a line with a single dot does not end the message\n"
	"  -a ACCOUNT    use this account of the configuration\n"
	"  -C FILE       read this configuration file\n"
	"  -v            show the SMTP conversation on standard error (passwords hidden)\n"
	"  -odb, -odq    queue and send in the background / queue only (see queue = in postern.ini(5))\n"
	"  -bs           speak SMTP on standard input and output (Symfony Mailer, Laravel)\n"
	"  -bp, mailq    list the queue;  -q  send what is due in the queue\n"
	"  --version, --help\n"
	"Other sendmail options are accepted and ignored; see postern(1).\n"
	"\n"
	"postern's own commands (only as the first argument):\n"
	"  postern queue list|run [--all]|show ID|drop ID|retry [ID]  [-C FILE] [-v]\n"
	"  postern password set|forget|check  [-C FILE] [-v] [ACCOUNT]\n"
	"  postern doctor [-C FILE] [-v] [ACCOUNT]   why can't it send? (checks, sends no mail)\n";

void cli_init(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->dot_ends = 1;
	strvec_init(&c->rcpts);
	strvec_init(&c->ignored);
}

void cli_release(struct cli *c)
{
	strvec_release(&c->rcpts);
	strvec_release(&c->ignored);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void ignore(struct cli *c, char opt, const char *arg)
{
	strvec_push_take(&c->ignored, xasprintf("-%c%s", opt, arg ? arg : ""));
}

/* The value of an option that takes one: the rest of this word, or the
 * next word. */
static int take_arg(int argc, char **argv, int *i, const char *rest, char opt,
		    const char **out, struct error *e)
{
	if (*rest) {
		*out = rest;
		return 0;
	}
	if (*i + 1 >= argc)
		return error_set(e, ERR_USAGE, "option -%c needs a value; see postern --help", opt);
	*out = argv[++*i];
	return 0;
}

static int do_o(struct cli *c, const char *v, struct error *e)
{
	/* -oi and the delivery modes -od... change what postern does; the
	 * error (-oe*) and other sendmail options have no meaning for a
	 * submission agent. */
	if (!strcmp(v, "i"))
		c->dot_ends = 0;
	else if (!strcmp(v, "db"))
		c->delivery = CLI_DELIVER_BACKGROUND;
	else if (!strcmp(v, "dq"))
		c->delivery = CLI_DELIVER_QUEUE_ONLY;
	else if (!strcmp(v, "di") || !strcmp(v, "df"))
		c->delivery = CLI_DELIVER_CONFIG;
	else
		ignore(c, 'o', v);
	return 0;
}

static int do_b(struct cli *c, const char *v, struct error *e)
{
	if (!strcmp(v, "m"))
		c->mode = CLI_SEND;
	else if (!strcmp(v, "p"))
		c->mode = CLI_LIST_QUEUE;
	else if (!strcmp(v, "i"))
		c->mode = CLI_NOOP;
	else if (!strcmp(v, "s"))
		c->mode = CLI_BSMTP;
	else
		return error_set(e, ERR_USAGE, "-b%s is not supported; postern knows -bm, -bs, -bp and -bi", v);
	return 0;
}

int cli_parse(struct cli *c, int argc, char **argv, struct error *e)
{
	int opts_done = 0;

	if (argc > 0 && argv[0]) {
		const char *name = base_name(argv[0]);
		if (!strcmp(name, "mailq"))
			c->mode = CLI_LIST_QUEUE;
		else if (!strcmp(name, "newaliases"))
			c->mode = CLI_NOOP;
		else if (!strcmp(name, "postern") && argc > 1 &&
			 (!strcmp(argv[1], "password") || !strcmp(argv[1], "queue") ||
			  !strcmp(argv[1], "doctor"))) {
			c->mode = !strcmp(argv[1], "password") ? CLI_PASSWORD :
				  !strcmp(argv[1], "queue") ? CLI_QUEUE : CLI_DOCTOR;
			c->sub_argc = argc - 1;
			c->sub_argv = argv + 1;
			return 0;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			strvec_push(&c->rcpts, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = 1;
			continue;
		}
		if (!strcmp(a, "--version")) {
			c->mode = CLI_VERSION;
			continue;
		}
		if (!strcmp(a, "--help")) {
			c->mode = CLI_HELP;
			continue;
		}
		if (a[1] == '-')
			return error_set(e, ERR_USAGE, "unknown option %s; see postern --help", a);
		/* Single-letter flags may be grouped (-ti), as with getopt. */
		for (const char *p = a + 1; *p; p++) {
			char o = *p;
			const char *rest = p + 1;

			switch (o) {
			case 't': c->read_recipients = 1; continue;
			case 'i': c->dot_ends = 0; continue;
			case 'v': c->verbose++; continue;
			case 'm': case 'n': case 'G': case 'U':
				ignore(c, o, NULL);
				continue;
			case 'q':
				/* -q[time] runs the queue; the argument is attached or absent. */
				c->mode = CLI_RUN_QUEUE;
				if (*rest)
					ignore(c, 'q', rest);
				break;
			case 'f': case 'r':
				if (take_arg(argc, argv, &i, rest, o, &c->from, e))
					return -1;
				break;
			case 'F':
				if (take_arg(argc, argv, &i, rest, o, &c->fullname, e))
					return -1;
				break;
			case 'a':
				if (take_arg(argc, argv, &i, rest, o, &c->account, e))
					return -1;
				break;
			case 'C':
				if (take_arg(argc, argv, &i, rest, o, &c->config, e))
					return -1;
				break;
			case 'o':
				if (take_arg(argc, argv, &i, rest, o, &v, e) || do_o(c, v, e))
					return -1;
				break;
			case 'b':
				if (take_arg(argc, argv, &i, rest, o, &v, e) || do_b(c, v, e))
					return -1;
				break;
			case 'N': case 'R': case 'V':
				/* DSN requests: kept with a queued message (postern
				 * asks the server for no DSN) */
				if (take_arg(argc, argv, &i, rest, o,
					     o == 'N' ? &c->dsn_notify : o == 'R' ? &c->dsn_ret : &c->dsn_envid, e))
					return -1;
				ignore(c, o, o == 'N' ? c->dsn_notify : o == 'R' ? c->dsn_ret : c->dsn_envid);
				break;
			case 'X':
				/* sendmail writes a traffic log here; PHPMailer's
				 * CVE-2016-10033 abused that.  postern never writes it. */
			case 'B': case 'O': case 'A': case 'L': case 'h':
			case 'p':
				if (take_arg(argc, argv, &i, rest, o, &v, e))
					return -1;
				ignore(c, o, v);
				break;
			default:
				return error_set(e, ERR_USAGE, "unknown option -%c (in %s); see postern --help", o, a);
			}
			break;	/* the option took the rest of this word */
		}
	}
	return 0;
}
