/* maillog.c - the one-line-per-message mail log (see maillog.h). */
#include "maillog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *status_word(enum maillog_status st)
{
	switch (st) {
	case MAILLOG_SENT: return "sent";
	case MAILLOG_DEFERRED: return "deferred";
	case MAILLOG_HELD: return "held";
	case MAILLOG_FAILED: return "failed";
	}
	return "?";
}

static void add_field(struct buf *out, const char *s)
{
	buf_add_escaped(out, s ? s : "", s ? strlen(s) : 0);
}

void maillog_format(struct buf *out, const struct maillog_entry *m)
{
	if (m->id) {
		buf_adds(out, "id=");
		add_field(out, m->id);
		buf_adds(out, ", ");
	}
	buf_adds(out, "account=");
	add_field(out, m->account);
	buf_adds(out, ", relay=");
	add_field(out, m->host);
	buf_addf(out, ":%u, from=<", m->port);
	add_field(out, m->sender);
	buf_adds(out, ">, to=");
	for (size_t i = 0; i < m->nrcpts && i < MAILLOG_RCPTS_MAX; i++) {
		buf_adds(out, i ? ",<" : "<");
		add_field(out, m->rcpts[i]);
		buf_adds(out, ">");
	}
	if (m->nrcpts > MAILLOG_RCPTS_MAX)
		buf_addf(out, ",+%zu more", m->nrcpts - MAILLOG_RCPTS_MAX);
	buf_addf(out, ", nrcpt=%zu, size=%" PRIu64 ", status=%s", m->nrcpts, m->size,
		 status_word(m->status));
	if (m->text && *m->text) {
		buf_adds(out, " (");
		add_field(out, m->text);
		buf_adds(out, ")");
	}
	if (m->dsn_ignored)
		buf_adds(out, ", dsn=ignored (not offered)");
}

static void to_file(const char *path, const struct buf *line)
{
	struct buf b = BUF_INIT;
	char when[64] = "";
	struct tm tm;
	time_t now = time(NULL);
	int fd;

	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	buf_addf(&b, "%s postern[%ld]: ", when, (long)getpid());
	buf_add(&b, line->data, line->len);
	buf_add(&b, "\n", 1);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		log_err("cannot write the mail log %s: %s", path, strerror(errno));
		goto out;
	}
	/* one write: with O_APPEND, lines of concurrent processes do not mix */
	if (write_all(fd, b.data, b.len) < 0)
		log_err("cannot write the mail log %s: %s", path, strerror(errno));
	close(fd);
out:
	buf_release(&b);
}

void maillog_write(const char *target, const struct maillog_entry *m)
{
	static int opened;	/* syslog's own connection, once per process */
	struct buf line = BUF_INIT;

	if (!target)
		target = isatty(STDERR_FILENO) ? "none" : "syslog";
	if (!strcmp(target, "none"))
		return;
	maillog_format(&line, m);
	if (!strcmp(target, "syslog")) {
		if (!opened) {
			openlog("postern", LOG_PID, LOG_MAIL);
			opened = 1;
		}
		syslog(LOG_INFO, "%s", line.data);
	} else {
		to_file(target, &line);
	}
	buf_release(&line);
}
