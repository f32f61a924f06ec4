/* deadletter.c - ~/dead.letter, opened only if it is safe, else a private
 * one in the state directory; one mbox entry per kept message. */
#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

#define LOCK_WAIT_MS 10000	/* a stuck reader must not hold the message hostage */

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

/* Open path to append, refusing anything but a regular file of our own
 * that others can neither read nor write.  O_NOFOLLOW: no symbolic link;
 * O_NONBLOCK: a FIFO without a reader fails at once instead of blocking.
 * Returns the descriptor, or -1 with a sentence in why. */
static int open_safe(const char *path, struct buf *why)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		      0600);

	if (fd < 0) {
		if (errno == ELOOP)
			buf_addf(why, "%s is a symbolic link", path);
		else if (errno == ENXIO)
			buf_addf(why, "%s is a FIFO or a socket", path);
		else
			buf_addf(why, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		buf_addf(why, "cannot inspect %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		buf_addf(why, "%s is not a regular file (a FIFO or a device)", path);
	} else if (st.st_uid != getuid()) {
		buf_addf(why, "%s belongs to someone else (uid %u)", path, (unsigned)st.st_uid);
	} else if (st.st_nlink != 1) {
		buf_addf(why, "%s has other names (hard links)", path);
	} else if (st.st_mode & 066) {
		buf_addf(why, "others may read or write %s (mode %04o); to use it, run: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
	} else {
		/* a regular file: blocking from here on is harmless */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		return fd;
	}
	close(fd);
	return -1;
}

/* Lock the whole file for writing, waiting a bounded time. */
static int lock_file(int fd)
{
	struct flock fl;
	long long deadline = now_ms() + LOCK_WAIT_MS;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLK, &fl) < 0) {
		if ((errno != EACCES && errno != EAGAIN) || now_ms() >= deadline)
			return -1;
		usleep(50 * 1000);
	}
	return 0;
}

static int usable(const char *addr)
{
	return addr && *addr && addr_check_envelope(addr, "address", NULL) == 0;
}

/* The lines before the message text: "From " line and envelope. */
static void entry_head(const struct kept *k, struct buf *out)
{
	time_t now = time(NULL);
	char date[64];

	/* asctime format, in the C locale, as mbox "From " lines use; the
	 * line is split at blanks by readers, so only a sender without any
	 * goes in */
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", gmtime(&now));
	buf_addf(out, "From %s %s\n", usable(k->sender) && !strpbrk(k->sender, " \t") ?
		 k->sender : "MAILER-DAEMON", date);
	if (k->sender && (!*k->sender || usable(k->sender)))
		buf_addf(out, "Return-Path: <%s>\n", k->sender);
	for (size_t i = 0; k->rcpts && i < k->rcpts->n; i++)
		if (usable(k->rcpts->v[i]))
			buf_addf(out, "X-Postern-Envelope-To: %s\n", k->rcpts->v[i]);
	if (k->reason) {
		char r[600];

		buf_addf(out, "X-Postern-Not-Sent: %s\n", str_escape(r, sizeof(r), k->reason,
								      strlen(k->reason)));
	}
	if (k->incomplete)
		buf_addf(out, "X-Postern-Incomplete: %s\n", k->incomplete);
}

/* Append one entry to the open file fd (named path, for messages). */
static int append(int fd, const char *path, struct spool *sp, const struct kept *k,
		  struct error *e)
{
	struct quoter q = { 1, BUF_INIT };
	struct buf out = BUF_INIT;
	struct stat st;
	char chunk[65536];
	off_t start = -1;
	int rc = -1, last_nl = 1;
	ssize_t n;

	if (lock_file(fd) < 0 || fstat(fd, &st) < 0) {
		error_set(e, ERR_IO, "cannot lock %s: %s", path, strerror(errno));
		goto out;
	}
	start = st.st_size;
	if (spool_rewind(sp, e))
		goto out;
	entry_head(k, &out);
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
	buf_release(&out);
	buf_release(&q.pending);
	return rc;
}

/* Append to path if it is safe; -1 with why (refused) or e (failed). */
static int keep_in(const char *path, struct spool *sp, const struct kept *k, struct buf *why,
		   struct error *e)
{
	int fd = open_safe(path, why), rc;

	if (fd < 0)
		return -1;
	rc = append(fd, path, sp, k, e);
	if (rc)
		buf_addf(why, "%s", e->msg);
	close(fd);
	return rc;
}

int deadletter_keep(struct spool *sp, const struct kept *k, char **where, struct buf *note,
		    struct error *e)
{
	struct buf why = BUF_INIT;
	char *home = home_dir(), *dir = state_dir(), *path = NULL;
	int rc = -1;

	*where = NULL;
	if (home) {
		path = xasprintf("%s/dead.letter", home);
		if (keep_in(path, sp, k, &why, e) == 0) {
			*where = path;
			path = NULL;
			rc = 0;
			goto out;
		}
		free(path);
		path = NULL;
	} else {
		buf_adds(&why, "there is no home directory");
	}
	/* ~/dead.letter refused or failed: postern's own, private one */
	buf_adds(note, why.data);
	buf_reset(&why);
	if (!dir) {
		error_set(e, ERR_IO, "%s, and there is no state directory either", note->data);
		goto out;
	}
	if (mkdir_private(dir, &why) < 0) {
		error_set(e, ERR_IO, "%s; %s", note->data, why.data);
		goto out;
	}
	path = xasprintf("%s/dead.letter", dir);
	if (keep_in(path, sp, k, &why, e) == 0) {
		*where = path;
		path = NULL;
		rc = 0;
		goto out;
	}
	error_set(e, ERR_IO, "%s; %s", note->data, why.data);
out:
	free(path);
	free(home);
	free(dir);
	buf_release(&why);
	return rc;
}
