#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

char *deadletter_path(struct error *e)
{
	char *home = home_dir(), *p;

	if (!home) {
		error_set(e, ERR_OS, "no home directory for dead.letter");
		return NULL;
	}
	p = xasprintf("%s/dead.letter", home);
	free(home);
	return p;
}

/* Quote "From " at the start of lines (mboxrd: also ">From ", ">>From "...)
 * so that readers do not split the message there.  at_bol and the partial
 * prefix of a line are carried between chunks by the caller-owned state. */
struct quoter {
	int at_bol;
	struct buf pending;	/* start of a line that may become ">*From " */
};

static int quote_flush(struct quoter *q, struct buf *out, int is_from)
{
	if (is_from)
		buf_add(out, ">", 1);
	buf_add(out, q->pending.data, q->pending.len);
	buf_reset(&q->pending);
	return 0;
}

static void quote_feed(struct quoter *q, const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (q->at_bol || q->pending.len) {
			/* Collect ">*From " candidates at a line start. */
			size_t k = q->pending.len;
			const char *pd = q->pending.data;
			size_t gt = 0;

			while (gt < k && pd[gt] == '>')
				gt++;
			if ((k == gt && ch == '>') || (k - gt < 5 && ch == "From "[k - gt])) {
				buf_add(&q->pending, &ch, 1);
				q->at_bol = 0;
				if (q->pending.len - gt == 5)
					quote_flush(q, out, 1);
				continue;
			}
			quote_flush(q, out, 0);
		}
		buf_add(out, &ch, 1);
		q->at_bol = ch == '\n';
	}
}

int deadletter_append(const char *path, const char *sender, struct spool *sp, struct error *e)
{
	struct quoter q = { 1, BUF_INIT };
	struct buf out = BUF_INIT;
	struct flock fl;
	struct stat st;
	char chunk[65536], date[64];
	time_t now = time(NULL);
	off_t start = -1;
	int fd, rc = -1, last_nl = 1;
	ssize_t n;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set(e, ERR_IO, "cannot open %s: %s", path, strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLKW, &fl) < 0 || fstat(fd, &st) < 0) {
		error_set(e, ERR_IO, "cannot lock %s: %s", path, strerror(errno));
		goto out;
	}
	start = st.st_size;
	if (spool_rewind(sp, e))
		goto out;
	/* asctime format, in the C locale, as mbox "From " lines use. */
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", gmtime(&now));
	buf_addf(&out, "From %s %s\n", sender && *sender ? sender : "MAILER-DAEMON", date);
	while ((n = spool_read(sp, chunk, sizeof(chunk), e)) != 0) {
		if (n < 0)
			goto out;
		quote_feed(&q, chunk, (size_t)n, &out);
		last_nl = chunk[n - 1] == '\n';
		if (out.len >= sizeof(chunk)) {
			if (write_all(fd, out.data, out.len))
				goto fail_write;
			buf_reset(&out);
		}
	}
	quote_flush(&q, &out, 0);
	buf_adds(&out, last_nl ? "\n" : "\n\n");
	if (write_all(fd, out.data, out.len) || fsync(fd) < 0)
		goto fail_write;
	rc = 0;
	goto out;
fail_write:
	error_set(e, ERR_IO, "writing %s: %s", path, strerror(errno));
	/* Leave no half message behind to confuse mbox readers. */
	if (start >= 0 && ftruncate(fd, start) < 0)
		(void)0;
out:
	close(fd);
	buf_release(&out);
	buf_release(&q.pending);
	return rc;
}
