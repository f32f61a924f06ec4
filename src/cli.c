#include "cli.h"

#include <string.h>
#include <strings.h>

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
	"  -N never|success,failure,delay  -R full|hdrs  -V ENVID   DSN, when the server offers it\n"
	"  -bs           speak SMTP on standard input and output (Symfony Mailer, Laravel)\n"
	"  -bp, mailq    list the queue;  -q  send what is due in the queue\n"
	"  --version, --help\n"
	"Other sendmail options are accepted and ignored; see postern(1).\n"
	"\n"
	"postern's own commands (only as the first argument):\n"
	"  postern setup [-C FILE] [--account NAME] [--host HOST] [--port PORT] [--tls starttls|implicit]\n"
	"                [--user USER] [--password-stdin] [--store keyring|file] [--oauth2 CLIENT_ID]\n"
	"                [--yes] [--dry-run] ADDRESS\n"
	"                find the server, log in, store the password, add the account\n"
	"  postern queue list|run [--all]|show ID|drop ID|retry [ID]  [-C FILE] [-v]\n"
	"  postern password set|forget|check  [-C FILE] [-v] [ACCOUNT]\n"
	"  postern oauth2 authorize [--device|--paste|--no-browser]|status|forget  [-C FILE] [-v] ACCOUNT\n"
	"  postern doctor [-C FILE] [-v] [ACCOUNT]   why can't it send? (checks, sends no mail)\n"
	"  postern import-msmtprc [-C FILE] [--dry-run] [MSMTPRC]   convert msmtp's configuration\n";

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

/* RFC 3461's longest ENVID; sendmail's -V takes the same. */
#define DSN_ENVID_MAX 100

/* -N: NEVER, or a comma list of SUCCESS, FAILURE, DELAY (any case, each
 * once); -R: FULL or HDRS; -V: printable ASCII, at most 100 characters. */
static int check_dsn(char opt, const char *v, struct error *e)
{
	static const char *const notify[] = { "success", "failure", "delay" };
	char shown[64];
	unsigned seen = 0;

	str_escape(shown, sizeof(shown), v, strlen(v));
	if (opt == 'R') {
		if (strcasecmp(v, "full") && strcasecmp(v, "hdrs"))
			return error_set(e, ERR_USAGE, "-R %s: the DSN return is full or hdrs", shown);
		return 0;
	}
	if (opt == 'V') {
		size_t n = strlen(v);

		if (!n || n > DSN_ENVID_MAX)
			return error_set(e, ERR_USAGE, "-V: the DSN envelope ID has 1 to %d characters",
					 DSN_ENVID_MAX);
		for (; *v; v++)
			if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f)
				return error_set(e, ERR_USAGE, "-V %s: the DSN envelope ID is printable "
						 "ASCII with no space", shown);
		return 0;
	}
	if (!strcasecmp(v, "never"))
		return 0;
	for (const char *p = v;; p++) {
		size_t n = strcspn(p, ","), k;

		for (k = 0; k < 3; k++)
			if (n == strlen(notify[k]) && !strncasecmp(p, notify[k], n))
				break;
		if (k == 3 || (seen & (1u << k)))
			return error_set(e, ERR_USAGE, "-N %s: give never, or a comma-separated list of "
					 "success, failure and delay (each once)", shown);
		seen |= 1u << k;
		p += n;
		if (!*p)
			return 0;
	}
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
			  !strcmp(argv[1], "doctor") || !strcmp(argv[1], "oauth2") ||
			  !strcmp(argv[1], "import-msmtprc") || !strcmp(argv[1], "setup"))) {
			c->mode = !strcmp(argv[1], "password") ? CLI_PASSWORD :
				  !strcmp(argv[1], "queue") ? CLI_QUEUE :
				  !strcmp(argv[1], "import-msmtprc") ? CLI_IMPORT :
				  !strcmp(argv[1], "setup") ? CLI_SETUP :
				  !strcmp(argv[1], "oauth2") ? CLI_OAUTH2 : CLI_DOCTOR;
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
				/* DSN requests (RFC 3461): checked here, so that
				 * a bad one is the caller's error now, not the
				 * server's later; sent when the server offers DSN */
				if (take_arg(argc, argv, &i, rest, o,
					     o == 'N' ? &c->dsn_notify : o == 'R' ? &c->dsn_ret : &c->dsn_envid, e) ||
				    check_dsn(o, o == 'N' ? c->dsn_notify : o == 'R' ? c->dsn_ret : c->dsn_envid, e))
					return -1;
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
