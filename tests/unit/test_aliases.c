/* The aliases file: its syntax (comments, continuation lines, default:,
 * quoted and angle targets), the targets it never acts on (|command,
 * /file, :include:), loops and chains, and hostile input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "tap.h"

/* Parse text; expand name; the result joined with '|', "(none)" when name
 * has no entry, or "ERR: message". */
static char got[4096];

static const char *expand(const char *text, const char *name)
{
	struct aliases al;
	struct strvec out = STRVEC_INIT;
	struct error e;
	int r;

	aliases_init(&al);
	error_clear(&e);
	if (aliases_parse(&al, "t.aliases", text, strlen(text), NULL, &e)) {
		snprintf(got, sizeof(got), "PARSE: %s", e.msg);
		goto out;
	}
	r = aliases_expand(&al, name, &out, &e);
	if (r < 0) {
		snprintf(got, sizeof(got), "ERR: %s", e.msg);
		goto out;
	}
	if (r == 0) {
		snprintf(got, sizeof(got), "(none)%s", out.n ? " but out changed" : "");
		goto out;
	}
	got[0] = '\0';
	for (size_t i = 0; i < out.n; i++) {
		if (i)
			strcat(got, "|");
		strncat(got, out.v[i], sizeof(got) - strlen(got) - 2);
	}
out:
	strvec_release(&out);
	aliases_release(&al);
	return got;
}

/* The warnings of parsing text. */
static char warned[4096];

static const char *warnings(const char *text)
{
	struct aliases al;
	struct buf w = BUF_INIT;
	struct error e;

	aliases_init(&al);
	if (aliases_parse(&al, "t.aliases", text, strlen(text), &w, &e))
		snprintf(warned, sizeof(warned), "PARSE: %s", e.msg);
	else
		snprintf(warned, sizeof(warned), "%s", w.data);
	buf_release(&w);
	aliases_release(&al);
	return warned;
}

static void test_syntax(void)
{
	is_str(expand("root: alice@example.org\n", "root"), "alice@example.org", "one target");
	is_str(expand("root: alice@example.org, bob@example.org\n", "root"),
	       "alice@example.org|bob@example.org", "two targets");
	is_str(expand("Root: alice@example.org\n", "ROOT"), "alice@example.org",
	       "names compare without case");
	is_str(expand("root   :   alice@example.org  ,bob@example.org,\n", "root"),
	       "alice@example.org|bob@example.org", "blanks around ':' and ',', a trailing comma");
	is_str(expand("# comment\n\nroot: a@x,\n  b@x,\n\tc@x\n# more\nother: d@x\n", "root"),
	       "a@x|b@x|c@x", "continuation lines (space and tab) join the entry");
	is_str(expand("root: a@x,\n# a comment inside\n  b@x\n", "root"), "a@x|b@x",
	       "a comment line does not end an entry");
	is_str(expand("root: a@x\r\nwww-data: b@x\r\n", "www-data"), "b@x", "CRLF line ends");
	is_str(expand("root: Alice <a@x>, \"b c\"@x, <d@x>\n", "root"), "a@x|\"b c\"@x|d@x",
	       "angle and quoted targets");
	is_str(expand("root: \"Smith, J\" <j@x>, k@x\n", "root"), "j@x|k@x",
	       "a comma inside quotes does not split");
	is_str(expand("root: a@x, A@X\n", "root"), "a@x", "duplicate targets once");
	is_str(expand("root: a@x\n", "cron"), "(none)", "a name without an entry");
	is_str(expand("root: a@x\nroot: b@x\n", "root"), "a@x", "the first of two definitions counts");
	is_str(warnings("root: a@x\nroot: b@x\n"),
	       "t.aliases:2: root: defined again; the first definition counts\n",
	       "a second definition is a warning with file:line");
	is_str(expand("", "root"), "(none)", "an empty file");
	is_str(expand("root: a@x", "root"), "a@x", "no newline at the end");
}

static void test_default_and_chains(void)
{
	is_str(expand("default: admin@x\nroot: r@x\n", "cron"), "admin@x", "default: for a name without an entry");
	is_str(expand("default: admin@x\nroot: r@x\n", "root"), "r@x", "an entry beats default:");
	is_str(expand("postmaster: root\nroot: r@x\n", "postmaster"), "r@x", "a bare target is followed");
	is_str(expand("postmaster: root\nroot: r@x, ops\nops: o@x\n", "postmaster"), "r@x|o@x",
	       "a chain of aliases");
	is_str(expand("root: root, r@x\n", "root"), "root|r@x", "a name that maps to itself stays bare");
	is_str(expand("root: cron\n", "root"), "cron", "a bare target without an entry stays bare");
	is_str(expand("default: admin@x\nroot: cron\n", "root"), "admin@x",
	       "a bare target without an entry takes default:");
	is_str(expand("default: nobody\n", "root"), "nobody",
	       "default:'s own bare target stays bare (no loop through default)");
	is_str(expand("a: b\nb: a\n", "a"),
	       "ERR: t.aliases:2: alias b: a loop, or a chain of more than 8 aliases",
	       "a loop is an error naming file:line");
	is_str(expand("a1: a2\na2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\na8: a9\na9: x@y\n", "a1"),
	       "x@y", "a chain of nine names (8 steps) is followed");
	is_str(expand("a0: a1\na1: a2\na2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\na8: a9\na9: x@y\n", "a0"),
	       "ERR: t.aliases:10: alias a9: a loop, or a chain of more than 8 aliases",
	       "a chain one step longer is refused");
}

static void test_refused_targets(void)
{
	is_str(expand("root: |/usr/bin/procmail, a@x\n", "root"), "a@x", "a command target is skipped");
	is_str(expand("root: \"|/bin/sh -c 'touch /tmp/pwned'\", a@x\n", "root"), "a@x",
	       "a quoted command target is skipped");
	is_str(expand("root: /var/mail/root\n", "root"), "", "a file target is skipped");
	is_str(expand("root: :include:/etc/mail/list, a@x\n", "root"), "a@x", "an include is skipped");
	is_str(warnings("root: |/usr/bin/procmail, a@x\nb: /tmp/f\nc: :Include:/x\n"),
	       "t.aliases:1: |/usr/bin/procmail: a command target; postern runs no commands from an aliases file, skipped\n"
	       "t.aliases:2: /tmp/f: a file target; postern writes no files from an aliases file, skipped\n"
	       "t.aliases:3: :Include:/x: an :include: target; postern reads no included lists, skipped\n",
	       "each skipped target is a warning with file:line");
}

static void test_hostile(void)
{
	char *big;
	size_t n;

	is_str(expand("root a@x\n", "root"), "PARSE: t.aliases:1: expected name: address, address",
	       "a line without ':'");
	is_str(expand(": a@x\n", "root"), "PARSE: t.aliases:1: the line has no alias name before ':'",
	       "an empty name");
	is_str(expand("ro ot: a@x\n", "root"),
	       "PARSE: t.aliases:1: an alias name has no blanks or control characters", "a blank in a name");
	is_str(expand("  a@x\nroot: b@x\n", "root"),
	       "PARSE: t.aliases:1: a line starting with a blank continues an entry, but there is none before it",
	       "a continuation with nothing before it");
	is_str(expand("root: a@x <b@y>\n", "root"),
	       "PARSE: t.aliases:1: alias root: target a@x <b@y> is not one address",
	       "a target that is no address names file:line");
	is_str(expand("root: <>\n", "root"),
	       "PARSE: t.aliases:1: alias root: target <> is not one address", "the null address is no target");
	is_str(expand("root: \"a\x1b[2J\"@x <b\n", "root"),
	       "PARSE: t.aliases:1: alias root: target \"a\\x1b[2J\"@x <b is not one address",
	       "a hostile target is shown escaped");
	{
		static const char nul[] = "root: a@x\0b: c@x\n";
		struct aliases al;
		struct error e;

		aliases_init(&al);
		is_int(aliases_parse(&al, "t.aliases", nul, sizeof(nul) - 1, NULL, &e), -1, "a NUL byte is refused");
		is_str(e.msg, "t.aliases contains a NUL byte; is it a text file?", "... saying so");
		aliases_release(&al);
	}
	/* a0: b0..b39, each bi: c0..c39, and so on six levels down: forty
	 * lines a level, but 40^5 paths to follow without the step bound */
	big = malloc(1 << 20);
	n = 0;
	for (int lvl = 0; lvl < 6; lvl++) {
		for (int i = 0; i < (lvl ? 40 : 1); i++) {
			n += (size_t)sprintf(big + n, "%c%d:", 'a' + lvl, i);
			for (int k = 0; k < 40; k++)
				n += (size_t)sprintf(big + n, lvl < 5 ? " %c%d," : " %c%d@x,", 'a' + lvl + 1, k);
			big[n++] = '\n';
		}
	}
	big[n] = '\0';
	ok(!strncmp(expand(big, "a0"), "ERR: t.aliases: ", 16) &&
	   strstr(got, " expands through too many aliases"),
	   "a fan-out that would take exponential time is stopped");
	is_str(expand(big, "f3"), "g0@x|g1@x|g2@x|g3@x|g4@x|g5@x|g6@x|g7@x|g8@x|g9@x|g10@x|g11@x|g12@x|"
	       "g13@x|g14@x|g15@x|g16@x|g17@x|g18@x|g19@x|g20@x|g21@x|g22@x|g23@x|g24@x|g25@x|g26@x|"
	       "g27@x|g28@x|g29@x|g30@x|g31@x|g32@x|g33@x|g34@x|g35@x|g36@x|g37@x|g38@x|g39@x",
	       "... while a name near the leaves expands");
	free(big);
	{
		struct strvec many = STRVEC_INIT;
		struct buf t = BUF_INIT;

		buf_adds(&t, "list:");
		for (int i = 0; i < 1001; i++)
			buf_addf(&t, " u%d@x,", i);
		is_str(expand(t.data, "list"), "ERR: t.aliases: list expands to more than 1000 addresses",
		       "more than 1000 addresses are refused");
		buf_release(&t);
		strvec_release(&many);
	}
}

int main(void)
{
	test_syntax();
	test_default_and_chains();
	test_refused_targets();
	test_hostile();
	return tap_done();
}
