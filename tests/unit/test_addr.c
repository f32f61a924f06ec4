/* test_addr.c - address lists, single mailboxes and envelope checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* Parse value and compare the result, joined with '|', with want. */
static void list_ok(const char *value, const char *want)
{
	struct strvec sv = STRVEC_INIT;
	struct buf b = BUF_INIT;
	struct error e;
	int r;

	error_clear(&e);
	r = addr_parse_list(value, &sv, &e);
	for (size_t i = 0; i < sv.n; i++) {
		if (i)
			buf_adds(&b, "|");
		buf_adds(&b, sv.v[i]);
	}
	if (r < 0)
		printf("#   error: %s\n", e.msg);
	ok(r == 0 && sv.n == 0 ? !strcmp(want, "") :
	   r == 0 && b.data && !strcmp(b.data, want), "list [%s] -> [%s]", value, want);
	if (r == 0 && strcmp(b.data ? b.data : "", want))
		printf("#   got [%s]\n", b.data ? b.data : "");
	buf_release(&b);
	strvec_release(&sv);
}

/* Must fail with ERR_DATA, leave out untouched and mention needle. */
static void list_bad(const char *value, const char *needle)
{
	struct strvec sv = STRVEC_INIT;
	struct error e;
	int r;

	strvec_push(&sv, "already@there");
	error_clear(&e);
	r = addr_parse_list(value, &sv, &e);
	ok(r == -1 && e.cls == ERR_DATA && sv.n == 1 && strstr(e.msg, needle),
	   "bad list [%s] refused, message has [%s]", value, needle);
	if (r != -1 || !strstr(e.msg, needle))
		printf("#   r=%d n=%zu msg [%s]\n", r, sv.n, e.msg);
	strvec_release(&sv);
}

static void mailbox_ok(const char *value, const char *want)
{
	struct error e;
	char *out = NULL;
	int r;

	error_clear(&e);
	r = addr_parse_mailbox(value, &out, &e);
	if (r < 0)
		printf("#   error: %s\n", e.msg);
	is_str(r == 0 ? out : "(failed)", want, value);
	free(out);
}

static void mailbox_bad(const char *value)
{
	struct error e;
	char *out = (char *)"x";
	int r;

	error_clear(&e);
	r = addr_parse_mailbox(value, &out, &e);
	ok(r == -1 && e.cls == ERR_DATA && out == NULL && e.msg[0],
	   "bad mailbox [%s] refused", value);
	if (r == 0)
		free(out);
}

static void env_ok(const char *a)
{
	struct error e;
	int r;

	error_clear(&e);
	r = addr_check_envelope(a, "recipient", &e);
	ok(r == 0, "envelope [%s] accepted", a);
	if (r)
		printf("#   %s\n", e.msg);
}

static void env_bad(const char *a, const char *needle)
{
	struct error e;
	int r;

	error_clear(&e);
	r = addr_check_envelope(a, "recipient", &e);
	ok(r == -1 && e.cls == ERR_USAGE && strstr(e.msg, needle),
	   "envelope refused, message has [%s]", needle);
	if (r == 0 || !strstr(e.msg, needle))
		printf("#   r=%d msg [%s]\n", r, e.msg);
}

/* addr_qualify_list: the new value, or "(same)" when nothing changed. */
static void qualify_is(const char *value, const char *want)
{
	char *out = NULL;
	int n = addr_qualify_list(value, "example.org", &out);

	is_str(n ? out : "(same)", want, value);
	if (!n && out)
		ok(0, "nothing changed, yet *out was set");
	free(out);
}

static void display_is(const char *value, const char *want)
{
	char *d = addr_display_name(value);

	is_str(d, want, value);
	free(d);
}

static void test_qualify_and_display(void)
{
	qualify_is("root", "root@example.org");
	qualify_is("root (Cron Daemon)", "root@example.org (Cron Daemon)");
	qualify_is("Ops Team <ops>, bob@x.net", "Ops Team <ops@example.org>, bob@x.net");
	qualify_is("a, b@x, c", "a@example.org, b@x, c@example.org");
	qualify_is("\"root, admin\" <root>", "\"root, admin\" <root@example.org>");
	qualify_is("\"a b\"", "\"a b\"@example.org");
	qualify_is("team: root, a@x;", "team: root@example.org, a@x;");
	qualify_is("undisclosed-recipients:;", "(same)");
	qualify_is("bob@x.net (root)", "(same)");
	qualify_is("\"root@host\" <a@x>", "(same)");
	qualify_is("a@x, <>", "(same)");
	qualify_is("root <", "(same)");
	qualify_is("(unclosed", "(same)");

	display_is("root (Cron Daemon)", "\"Cron Daemon\"");
	display_is("Cron Daemon <root>", "Cron Daemon");
	display_is("\"Daemon, Cron\" <root@x>", "\"Daemon, Cron\"");
	display_is("=?UTF-8?Q?J=C3=BCrgen?= <j@x>", "=?UTF-8?Q?J=C3=BCrgen?=");
	display_is("root (a \\) \"b\")", "\"a ) \\\"b\\\"\"");
	display_is("root", NULL);
	display_is("<root@x>", NULL);
	display_is("root ( )", NULL);
	display_is("root (x", NULL);
}

int main(void)
{
	char big[400];

	test_qualify_and_display();

	/* Plain and display-name forms. */
	list_ok("a@example.com", "a@example.com");
	list_ok("  a@example.com  ", "a@example.com");
	list_ok("a@x, b@y", "a@x|b@y");
	list_ok("Alice <alice@x>", "alice@x");
	list_ok("Alice Liddell <alice@x>, Bob <bob@y>", "alice@x|bob@y");
	list_ok("John Q. Public <jqp@example.net>", "jqp@example.net");
	list_ok("\"Smith, John\" <js@x>, b@y", "js@x|b@y");
	list_ok("\"a \\\"quoted\\\" name\" <q@x>", "q@x");
	list_ok("<a@x>", "a@x");
	list_ok("<a@x>,<b@y>", "a@x|b@y");
	list_ok("=?utf-8?q?J=C3=B6rg?= <j@x>", "j@x");
	list_ok("J\xc3\xb6rg <j@x>", "j@x");

	/* Quoted local parts keep their quotes and escapes. */
	list_ok("\"a b\"@x", "\"a b\"@x");
	list_ok("\"a\\\"b\"@x, c@d", "\"a\\\"b\"@x|c@d");
	list_ok("Name <\"x,y\"@z>", "\"x,y\"@z");
	list_ok("\"a@b\"@c", "\"a@b\"@c");

	/* Comments, nested, anywhere. */
	list_ok("a@x (Alice)", "a@x");
	list_ok("(lead) a@x", "a@x");
	list_ok("a(c)@(d)x", "a@x");
	list_ok("a@x (outer (inner) still) , b@y", "a@x|b@y");
	list_ok("a@x (with \\) escaped paren)", "a@x");
	list_ok("Alice (the \"boss\") <a@x>", "a@x");
	list_ok("(only a comment)", "");

	/* Obsolete routes keep only the mailbox. */
	list_ok("<@a,@b:x@y>", "x@y");
	list_ok("Old <@relay.example:u@host>", "u@host");
	list_ok("<@a, @b : x@y>, z@w", "x@y|z@w");

	/* Groups. */
	list_ok("team: a@x, b@y;", "a@x|b@y");
	list_ok("undisclosed-recipients:;", "");
	list_ok("undisclosed-recipients: ;", "");
	list_ok("a@x, team: b@y, Carol <c@z>;, d@w", "a@x|b@y|c@z|d@w");
	list_ok("\"The Team\": a@x;", "a@x");
	list_ok("team: a@x", "a@x");		/* missing ';' at the end tolerated */
	list_ok("team: ,a@x,, ;", "a@x");

	/* Bare local names, as cron passes them. */
	list_ok("root", "root");
	list_ok("root, postmaster", "root|postmaster");
	list_ok("first.last", "first.last");
	list_ok("<root>", "root");

	/* Empty elements tolerated. */
	list_ok("a@x,,b@y", "a@x|b@y");
	list_ok(",a@x,", "a@x");
	list_ok("", "");
	list_ok(" , , ", "");

	/* Domain literals, obsolete dots and spacing, 8-bit. */
	list_ok("u@[192.0.2.1]", "u@[192.0.2.1]");
	list_ok("u@[IPv6:2001:db8::1]", "u@[IPv6:2001:db8::1]");
	list_ok("a . b @ x . y", "a.b@x.y");
	list_ok("a..b@x", "a..b@x");
	list_ok("j\xc3\xb6rg@b\xc3\xbc" "cher.example", "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	list_bad("a@x\tb", "missing comma");

	/* Malformed input. */
	list_bad("\"unterminated@x", "unterminated quoted string");
	list_bad("a@x (open comment", "unbalanced '('");
	list_bad("a@x (nested (open) comment", "unbalanced '('");
	list_bad("a@x)", "unbalanced ')'");
	list_bad("Alice <a@x", "unbalanced '<'");
	list_bad("Alice a@x>", "words without a comma");
	list_bad("a@x>", "unbalanced '>'");
	list_bad("<a@x> junk", "missing comma");
	list_bad("a@x b@y", "missing comma");
	list_bad("John Smith", "words without a comma");
	list_bad("foo bar@x", "words without a comma");
	list_bad("a@", "missing domain");
	list_bad("a@ , b@y", "missing domain");
	list_bad("@x", "empty local part");
	list_bad("<>", "empty address");
	list_bad("<@a,@b x@y>", "malformed source route");
	list_bad("<@a", "malformed source route");
	list_bad("g1: g2: a@x;;", "group inside a group");
	list_bad("a@x;", "';' outside a group");
	list_bad("u@[1.2.3.4", "unterminated domain literal");
	list_bad("u@1.2.3.4]", "unbalanced ']'");
	list_bad("a\\b@x", "stray backslash");
	list_bad("\"ends with backslash\\", "unterminated quoted string");
	list_bad("<a@x <b@y>>", "unexpected text in angle brackets");
	list_bad("Alice <a@x>>", "unbalanced '>'");
	list_ok("a:b@x", "b@x");		/* a group without its ; */
	list_bad("a@x:", "missing comma");

	/* The message quotes the bad text, truncated, control characters
	 * escaped. */
	{
		struct strvec sv = STRVEC_INIT;
		struct error e;
		char v[300];

		memset(v, 'a', sizeof(v));
		memcpy(v, "\"\x01", 2);
		v[sizeof(v) - 1] = '\0';
		error_clear(&e);
		ok(addr_parse_list(v, &sv, &e) == -1, "long unterminated quote refused");
		ok(strstr(e.msg, "\\x01") != NULL, "control character shown escaped");
		ok(strstr(e.msg, "...") != NULL && strlen(e.msg) < 300, "quoted text is truncated");
		ok(strchr(e.msg, '\x01') == NULL, "no raw control character in the message");
		strvec_release(&sv);
	}

	/* Parsing appends to what is already there. */
	{
		struct strvec sv = STRVEC_INIT;
		struct error e;

		strvec_push(&sv, "first@x");
		ok(addr_parse_list("b@y", &sv, &e) == 0 && sv.n == 2 &&
		   !strcmp(sv.v[0], "first@x") && !strcmp(sv.v[1], "b@y") && sv.v[2] == NULL,
		   "appends, keeps the vector NULL-terminated");
		strvec_release(&sv);
	}

	/* Single mailboxes. */
	mailbox_ok("a@x", "a@x");
	mailbox_ok("Alice <a@x>", "a@x");
	mailbox_ok("a@x (Alice)", "a@x");
	mailbox_ok("<>", "");
	mailbox_ok("", "");
	mailbox_ok("  ", "");
	mailbox_ok("root", "root");
	mailbox_ok("<@r:a@x>", "a@x");
	mailbox_ok("\"a b\"@x", "\"a b\"@x");
	mailbox_bad("a@x, b@y");
	mailbox_bad("team: a@x;");
	mailbox_bad("<a@x");
	mailbox_bad("\"a");
	mailbox_bad("a b");

	/* Envelope checks. */
	env_ok("a@example.com");
	env_ok("root");
	env_ok("");
	env_ok("\"a b\"@x");
	env_ok("\"a\\\" b\"@x");
	env_ok("j\xc3\xb6rg@example.com");
	env_ok("a-b@x");
	env_bad("-oQ/tmp", "recipient \"-oQ/tmp\" starts with '-'; ");
	env_bad("a@x\r\nRCPT TO:<evil@y>", "carriage return");
	env_bad("a@x\nDATA", "line feed");
	env_bad("a@x\nDATA", "\\x0a");
	env_bad("a\tb@x", "control character 0x09");
	env_bad("a\x7f@x", "control character 0x7f");
	env_bad("a\x1b[31m@x", "control character 0x1b");
	env_bad("<a@x>", "contains '<'");
	env_bad("a@x>", "contains '>'");
	env_bad("a b@x", "space outside quotes");
	env_bad("\"a b\" c@x", "space outside quotes");
	env_bad("\"a b@x", "unterminated quoted");
	env_bad("\"a\\\x01\"@x", "control character 0x01");
	env_bad("\"a\\<b\"@x", "contains '<'");
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	big[250] = '@';
	env_bad(big, "longer than 254");
	{
		char edge[256];
		struct error e;

		memset(edge, 'a', 254);
		edge[100] = '@';
		edge[254] = '\0';
		ok(addr_check_envelope(edge, "recipient", &e) == 0, "254 octets accepted");
		edge[254] = 'a';
		edge[255] = '\0';
		ok(addr_check_envelope(edge, "recipient", &e) == -1, "255 octets refused");
	}
	{
		struct error e;

		addr_check_envelope("-f", "envelope sender", &e);
		ok(!strncmp(e.msg, "envelope sender \"-f\"", 20), "message names the role: %s", e.msg);
	}

	return tap_done();
}
