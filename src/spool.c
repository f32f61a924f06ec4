/* spool.c - the private file that holds one message. */
#include "spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interrupt.h"
#include "util.h"

int spool_create(struct spool *sp, const char *dir, struct error *e)
{
	char *path = xasprintf("%s/postern.XXXXXX", dir);
	int fd, ret = -1;

	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	fd = mkstemp(path);
	if (fd < 0) {
		error_set(e, ERR_IO, "creating a spool file in %s: %s", dir, strerror(errno));
		goto out;
	}
	/* mkstemp's mode is 0600 on current systems, not on all old ones. */
	if (fchmod(fd, 0600) < 0) {
		error_set(e, ERR_IO, "setting the mode of the spool file %s: %s",
			  path, strerror(errno));
		unlink(path);
		close(fd);
		goto out;
	}
	sp->fd = fd;
	sp->path = path;
	path = NULL;
	ret = 0;
out:
	free(path);
	return ret;
}

void spool_release(struct spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	if (sp->path) {
		if (!sp->keep)
			unlink(sp->path);
		free(sp->path);
		sp->path = NULL;
	}
}

int spool_rewind(struct spool *sp, struct error *e)
{
	if (lseek(sp->fd, 0, SEEK_SET) == (off_t)-1)
		return error_set(e, ERR_IO, "rewinding the spool file %s: %s",
				 sp->path ? sp->path : "(unlinked)", strerror(errno));
	return 0;
}

ssize_t spool_read(struct spool *sp, char *buf, size_t len, struct error *e)
{
	for (;;) {
		ssize_t n = read(sp->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return error_set(e, ERR_IO, "reading the spool file %s: %s",
					 sp->path ? sp->path : "(unlinked)", strerror(errno));
	}
}

int spool_write(struct spool *sp, const void *p, size_t n, struct error *e)
{
	if (write_all(sp->fd, p, n) == 0)
		return 0;
	if (errno == EINTR && interrupt_signal())
		return error_set(e, ERR_INTERRUPTED, "interrupted by a signal while writing the spool file");
	return error_set(e, ERR_IO, "writing the spool file %s: %s",
			 sp->path ? sp->path : "(unlinked)", strerror(errno));
}
