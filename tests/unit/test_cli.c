/* The sendmail command line as real callers pass it (see FACTS.md). */
#include <string.h>

#include "cli.h"
#include "tap.h"

static int run(struct cli *c, struct error *e, const char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	cli_init(c);
	error_clear(e);
	return cli_parse(c, argc, (char **)argv, e);
}

#define ARGV(...) ((const char *[]){ __VA_ARGS__, NULL })

int main(void)
{
	struct cli c;
	struct error e;

	/* PHP mail(): sendmail -t -i, plus -f as 5th argument, attached. */
	is_int(run(&c, &e, ARGV("sendmail", "-t", "-i", "-fwww@example.org")), 0, "PHP mail()");
	ok(c.read_recipients && !c.dot_ends, "PHP: -t and -i");
	is_str(c.from, "www@example.org", "PHP: -faddr attached");
	cli_release(&c);

	/* Debian cron */
	is_int(run(&c, &e, ARGV("sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root")), 0, "Debian cron");
	is_str(c.fullname, "CronDaemon", "cron: -FCronDaemon");
	is_int((long long)c.rcpts.n, 1, "cron: one recipient");
	is_str(c.rcpts.v[0], "root", "cron: bare local name");
	ok(strvec_find_icase(&c.ignored, "-B8BITMIME") >= 0 && strvec_find_icase(&c.ignored, "-oem") >= 0,
	   "cron: -B8BITMIME and -oem ignored on purpose");
	cli_release(&c);

	/* Order varies: recipient before options. */
	is_int(run(&c, &e, ARGV("sendmail", "root", "-oem", "-FCronDaemon", "-i")), 0, "cron, other order");
	ok(c.rcpts.n == 1 && !c.dot_ends && c.fullname && !strcmp(c.fullname, "CronDaemon"), "options after recipient");
	cli_release(&c);

	/* cronie */
	is_int(run(&c, &e, ARGV("sendmail", "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "cron@x")), 0,
	       "cronie");
	ok(c.read_recipients && c.from && !strcmp(c.from, "cron@x"), "cronie: -t and -f separate");
	cli_release(&c);

	/* mutt */
	is_int(run(&c, &e, ARGV("sendmail", "-oem", "-oi", "-B8BITMIME", "-f", "me@x", "-N", "failure,delay",
				"-R", "hdrs", "--", "a@x", "-b@x")), 0, "mutt with --");
	is_int((long long)c.rcpts.n, 2, "mutt: two recipients after --");
	is_str(c.rcpts.v[1], "-b@x", "after --, a word starting with - is a recipient (refused later)");
	cli_release(&c);

	/* git send-email, bsd-mailx */
	is_int(run(&c, &e, ARGV("sendmail", "-i", "-m", "-v", "-f", "me@x", "--", "a@x")), 0, "mailx");
	ok(c.verbose && !c.dot_ends, "mailx: -v -i");
	cli_release(&c);

	/* Grouped flags, as getopt allows. */
	is_int(run(&c, &e, ARGV("sendmail", "-ti", "a@x")), 0, "grouped -ti");
	ok(c.read_recipients && !c.dot_ends, "-ti = -t -i");
	cli_release(&c);

	/* The table of flags that must be accepted. */
	is_int(run(&c, &e, ARGV("sendmail", "-oi", "-odi", "-odb", "-oem", "-oep", "-om", "-o7", "-o8",
				"-Ox=y", "-B", "7BIT", "-bm", "-G", "-U", "-L", "tag", "-h", "5", "-n", "-m",
				"-Am", "-Ac", "-C", "/tmp/c.ini", "-X", "/tmp/log", "-p", "smtp", "-N", "never",
				"-R", "full", "-V", "envid", "-r", "r@x", "a@x")), 0, "every flag in FACTS.md");
	is_str(c.config, "/tmp/c.ini", "-C FILE");
	is_str(c.from, "r@x", "-r addr");
	ok(strvec_find_icase(&c.ignored, "-X/tmp/log") >= 0, "-X is ignored (never written)");
	is_int(c.mode, CLI_SEND, "-bm sends");
	cli_release(&c);

	/* The delivery modes and the DSN requests mean something now. */
	is_int(run(&c, &e, ARGV("sendmail", "-odb", "a@x")), 0, "-odb");
	is_int(c.delivery, CLI_DELIVER_BACKGROUND, "-odb: queue and send in the background");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "-o", "dq", "a@x")), 0, "-o dq");
	is_int(c.delivery, CLI_DELIVER_QUEUE_ONLY, "-odq (value apart): queue only");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "-odq", "-odi", "a@x")), 0, "-odq -odi");
	is_int(c.delivery, CLI_DELIVER_CONFIG, "the last -od wins; -odi: as the account says");
	cli_release(&c);
	{
		const char **dargv = ARGV("sendmail", "-N", "failure,delay", "-Rhdrs", "-V", "id-1", "a@x");

		is_int(run(&c, &e, dargv), 0, "DSN flags");
		ok(c.dsn_notify && !strcmp(c.dsn_notify, "failure,delay") && c.dsn_ret &&
		   !strcmp(c.dsn_ret, "hdrs") && c.dsn_envid && !strcmp(c.dsn_envid, "id-1"),
		   "-N, -R and -V are kept");
		ok(strvec_find_icase(&c.ignored, "-Rhdrs") < 0, "-R is used, not listed as ignored");
	}
	cli_release(&c);
	/* DSN values are checked now: a bad one is the caller's mistake */
	{
		static const struct { const char *opt, *val; int rc; } dsn[] = {
			{ "-N", "never", 0 }, { "-N", "NEVER", 0 }, { "-N", "success", 0 },
			{ "-N", "Success,FAILURE,delay", 0 }, { "-N", "delay,failure", 0 },
			{ "-N", "never,success", -1 }, { "-N", "success,,failure", -1 },
			{ "-N", "success,success", -1 }, { "-N", "", -1 }, { "-N", "success,", -1 },
			{ "-N", "sucess", -1 }, { "-N", "success failure", -1 },
			{ "-R", "full", 0 }, { "-R", "HDRS", 0 }, { "-R", "headers", -1 }, { "-R", "", -1 },
			{ "-V", "ENV123", 0 }, { "-V", "a+b=c", 0 }, { "-V", "a b", -1 },
			{ "-V", "caf\xc3\xa9", -1 }, { "-V", "a\x01", -1 }, { "-V", "", -1 },
		};

		for (size_t i = 0; i < sizeof(dsn) / sizeof(dsn[0]); i++) {
			is_int(run(&c, &e, ARGV("sendmail", dsn[i].opt, dsn[i].val, "a@x")), dsn[i].rc,
			       dsn[i].val);
			if (dsn[i].rc)
				is_int(e.cls, ERR_USAGE, "a usage error");
			cli_release(&c);
		}
		is_int(run(&c, &e, ARGV("sendmail", "-Nbogus\x1b", "a@x")), -1, "-N with ESC");
		is_str(e.msg, "-N bogus\\x1b: give never, or a comma-separated list of success, failure "
		       "and delay (each once)", "the message names the value, escaped, and the choices");
		cli_release(&c);
		is_int(run(&c, &e, ARGV("sendmail", "-V", "caf\xc3\xa9", "a@x")), -1, "-V not ASCII");
		is_str(e.msg, "-V caf\xc3\xa9: the DSN envelope ID is printable ASCII with no space",
		       "-V: what is wrong");
		cli_release(&c);
		{
			char v[102];

			memset(v, 'x', 101);
			v[101] = '\0';
			is_int(run(&c, &e, ARGV("sendmail", "-V", v, "a@x")), -1, "-V of 101 characters");
			cli_release(&c);
			v[100] = '\0';
			is_int(run(&c, &e, ARGV("sendmail", "-V", v, "a@x")), 0, "-V of 100 characters");
			cli_release(&c);
		}
	}

	/* postern's own commands only as the first argument of postern. */
	{
		/* argv outlives the checks: sub_argv points into it */
		const char **qargv = ARGV("postern", "queue", "list", "-C", "x.ini");

		is_int(run(&c, &e, qargv), 0, "postern queue list");
		ok(c.mode == CLI_QUEUE && c.sub_argc == 4 && !strcmp(c.sub_argv[0], "queue"),
		   "postern queue: a subcommand with its own words");
	}
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "queue")), 0, "sendmail queue");
	ok(c.mode == CLI_SEND && c.rcpts.n == 1 && !strcmp(c.rcpts.v[0], "queue"),
	   "invoked as sendmail, queue is a recipient");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("postern", "-t", "queue")), 0, "postern -t queue");
	ok(c.mode == CLI_SEND && c.rcpts.n == 1, "after a sendmail option, queue is a recipient");
	cli_release(&c);
	{
		const char **iargv = ARGV("postern", "import-msmtprc", "--dry-run", "rc");

		is_int(run(&c, &e, iargv), 0, "postern import-msmtprc");
		ok(c.mode == CLI_IMPORT && c.sub_argc == 3 && !strcmp(c.sub_argv[0], "import-msmtprc"),
		   "postern import-msmtprc: a subcommand with its own words");
	}
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "import-msmtprc")), 0, "sendmail import-msmtprc");
	ok(c.mode == CLI_SEND && c.rcpts.n == 1, "invoked as sendmail, import-msmtprc is a recipient");
	cli_release(&c);
	ok(strstr(cli_usage, "postern import-msmtprc [-C FILE] [--dry-run] [MSMTPRC]") != NULL,
	   "--help lists import-msmtprc");
	{
		const char **sargv = ARGV("postern", "setup", "--dry-run", "alice@example.org");

		is_int(run(&c, &e, sargv), 0, "postern setup");
		ok(c.mode == CLI_SETUP && c.sub_argc == 3 && !strcmp(c.sub_argv[0], "setup"),
		   "postern setup: a subcommand with its own words");
	}
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "setup")), 0, "sendmail setup");
	ok(c.mode == CLI_SEND && c.rcpts.n == 1 && !strcmp(c.rcpts.v[0], "setup"),
	   "invoked as sendmail, setup is a recipient");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("postern", "-i", "setup")), 0, "postern -i setup");
	ok(c.mode == CLI_SEND && c.rcpts.n == 1, "after a sendmail option, setup is a recipient");
	cli_release(&c);
	ok(strstr(cli_usage, "postern setup [-C FILE] [--account NAME]") != NULL, "--help lists setup");

	is_int(run(&c, &e, ARGV("sendmail", "-bp")), 0, "-bp");
	is_int(c.mode, CLI_LIST_QUEUE, "-bp lists the queue");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("/usr/bin/mailq")), 0, "mailq");
	is_int(c.mode, CLI_LIST_QUEUE, "invoked as mailq");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "-q")), 0, "-q");
	is_int(c.mode, CLI_RUN_QUEUE, "-q runs the queue");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "-q30m")), 0, "-q30m");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("newaliases")), 0, "newaliases");
	is_int(c.mode, CLI_NOOP, "newaliases does nothing");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "-a", "work", "--version")), 0, "--version");
	ok(c.mode == CLI_VERSION && c.account && !strcmp(c.account, "work"), "-a and --version");
	cli_release(&c);

	/* Errors name the option. */
	ok(run(&c, &e, ARGV("sendmail", "-k", "a@x")) == -1 && e.cls == ERR_USAGE && strstr(e.msg, "-k"),
	   "unknown option named");
	cli_release(&c);
	ok(run(&c, &e, ARGV("sendmail", "--frobnicate")) == -1 && strstr(e.msg, "--frobnicate"),
	   "unknown long option named");
	cli_release(&c);
	ok(run(&c, &e, ARGV("sendmail", "-f")) == -1 && strstr(e.msg, "-f needs a value"), "-f without value");
	cli_release(&c);
	is_int(run(&c, &e, ARGV("sendmail", "-bs", "-C", "x.ini")), 0, "-bs accepted");
	ok(c.mode == CLI_BSMTP && c.config && !strcmp(c.config, "x.ini"), "-bs: SMTP on stdin, other flags kept");
	cli_release(&c);
	ok(run(&c, &e, ARGV("sendmail", "-bd")) == -1 && strstr(e.msg, "-bd"), "-bd refused");
	cli_release(&c);
	return tap_done();
}
