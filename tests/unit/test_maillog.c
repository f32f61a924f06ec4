/* test_maillog.c - the mail log's line, exactly, and its file target. */
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maillog.h"
#include "tap.h"

static char *line_of(const struct maillog_entry *m)
{
	struct buf b = BUF_INIT;

	maillog_format(&b, m);
	return buf_detach(&b);
}

static void test_format(void)
{
	const char *rcpts[] = { "b@example.org", "c@example.org" };
	struct maillog_entry m = {
		.id = "0123456789abcdef0123456789abcdef",
		.account = "work", .host = "smtp.example.org", .port = 587,
		.sender = "a@example.org", .rcpts = rcpts, .nrcpts = 2, .size = 1234,
		.status = MAILLOG_SENT, .text = "250 2.0.0 Ok: queued as 4ABC",
	};
	char *l = line_of(&m);

	is_str(l, "id=0123456789abcdef0123456789abcdef, account=work, relay=smtp.example.org:587, "
	       "from=<a@example.org>, to=<b@example.org>,<c@example.org>, nrcpt=2, size=1234, "
	       "status=sent (250 2.0.0 Ok: queued as 4ABC)", "sent, queued: every field");
	free(l);

	m.id = NULL;
	m.sender = "";
	m.nrcpts = 1;
	m.status = MAILLOG_FAILED;
	m.text = "server refused the recipient <b@example.org>: 550 5.1.1 no such user";
	m.dsn_ignored = 1;
	l = line_of(&m);
	is_str(l, "account=work, relay=smtp.example.org:587, from=<>, to=<b@example.org>, nrcpt=1, "
	       "size=1234, status=failed (server refused the recipient <b@example.org>: 550 5.1.1 "
	       "no such user), dsn=ignored (not offered)", "failed, null sender, no ID, DSN ignored");
	free(l);

	m.status = MAILLOG_DEFERRED;
	m.text = NULL;
	m.dsn_ignored = 0;
	l = line_of(&m);
	is_str(l, "account=work, relay=smtp.example.org:587, from=<>, to=<b@example.org>, nrcpt=1, "
	       "size=1234, status=deferred", "deferred without text");
	free(l);

	m.status = MAILLOG_HELD;
	l = line_of(&m);
	ok(strstr(l, "status=held") != NULL, "held");
	free(l);
}

/* A server reply or an address cannot make a second line or drive a
 * terminal. */
static void test_escaped(void)
{
	const char *rcpts[] = { "b\n@example.org" };
	struct maillog_entry m = {
		.account = "work", .host = "h", .port = 25, .sender = "a\x1b[31m@x",
		.rcpts = rcpts, .nrcpts = 1, .size = 1, .status = MAILLOG_SENT,
		.text = "250 ok\r\nFAKE: line\xe2\x80\xae",
	};
	char *l = line_of(&m);

	is_str(l, "account=work, relay=h:25, from=<a\\x1b[31m@x>, to=<b\\x0a@example.org>, nrcpt=1, "
	       "size=1, status=sent (250 ok\\x0d\\x0aFAKE: line\\u{202e})", "escaped");
	free(l);
}

static void test_many(void)
{
	const char *rcpts[MAILLOG_RCPTS_MAX + 3];
	struct maillog_entry m = {
		.account = "a", .host = "h", .port = 1, .sender = "s@x", .rcpts = rcpts,
		.nrcpts = MAILLOG_RCPTS_MAX + 3, .status = MAILLOG_SENT,
	};
	char *l;

	for (size_t i = 0; i < MAILLOG_RCPTS_MAX + 3; i++)
		rcpts[i] = "r@x";
	l = line_of(&m);
	ok(strstr(l, ",<r@x>,+3 more, nrcpt=23,") != NULL, "recipients past 20 are counted");
	free(l);
}

static void test_file(void)
{
	char dir[] = "/tmp/test_maillog.XXXXXX", path[64], link[64], buf[1024];
	const char *rcpts[] = { "b@example.org" };
	struct maillog_entry m = {
		.account = "work", .host = "h", .port = 465, .sender = "a@x", .rcpts = rcpts,
		.nrcpts = 1, .size = 7, .status = MAILLOG_SENT, .text = "250 ok",
	};
	struct stat st;
	regex_t re;
	ssize_t n;
	int fd;

	if (!ok(mkdtemp(dir) != NULL, "temporary directory"))
		return;
	snprintf(path, sizeof(path), "%s/mail.log", dir);
	snprintf(link, sizeof(link), "%s/link.log", dir);
	maillog_write(path, &m);
	maillog_write(path, &m);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "created 0600");
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	regcomp(&re, "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4} postern\\[[0-9]+\\]: "
		"account=work, relay=h:465, from=<a@x>, to=<b@example.org>, nrcpt=1, size=7, "
		"status=sent \\(250 ok\\)\n){2}$", REG_EXTENDED);
	ok(regexec(&re, buf, 0, NULL, 0) == 0, "two lines appended, time and pid first");
	if (regexec(&re, buf, 0, NULL, 0))
		printf("# got [%s]\n", buf);
	regfree(&re);

	/* a symlink planted where the log goes is not followed */
	ok(symlink(path, link) == 0, "symlink");
	maillog_write(link, &m);
	ok(stat(path, &st) == 0 && st.st_size == (off_t)strlen(buf), "a symlink is not followed");

	/* none writes nothing */
	unlink(path);
	maillog_write("none", &m);
	ok(stat(path, &st) < 0, "none");
	unlink(link);
	rmdir(dir);
}

int main(void)
{
	test_format();
	test_escaped();
	test_many();
	test_file();
	return tap_done();
}
