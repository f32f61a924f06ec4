/* spool.h - a private file holding one message while postern works on it:
 * created 0600 with mkstemp, unlinked when released, read back from the
 * start as often as needed (sending, keeping a copy).  The counts the
 * sender needs (SIZE=, BDAT, 8BITMIME) are kept by whoever writes it
 * (input.c). */
#ifndef POSTERN_SPOOL_H
#define POSTERN_SPOOL_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct spool {
	int fd;			/* open read/write, positioned anywhere */
	char *path;		/* owned; NULL once unlinked */
	uint64_t bytes;		/* octets in the file (LF line ends) */
	uint64_t lines;		/* line ends in the file */
	int eightbit;		/* some octet >= 0x80 occurs */
	int has_nul;		/* a NUL octet occurs (SMTP forbids it) */
	uint64_t broken_lines;	/* long lines that were broken */
	int keep;		/* release closes without unlinking: the file
				 * is a committed queue message (queue.h) */
};

/* Create an empty spool file (mode 0600) in dir with mkstemp. */
int spool_create(struct spool *sp, const char *dir, struct error *e);
/* Close and, if still named and not kept, unlink the spool file. */
void spool_release(struct spool *sp);
/* Rewind so the whole file can be read again from the start. */
int spool_rewind(struct spool *sp, struct error *e);
/* Read up to len bytes from the current position (across EINTR).  Returns
 * the count, 0 at the end, or -1 with ERR_IO. */
ssize_t spool_read(struct spool *sp, char *buf, size_t len, struct error *e);
/* Append all n bytes (the counts above are the caller's).  Returns 0, or
 * -1 with ERR_IO naming the file and the cause (ENOSPC: the disk is full),
 * or ERR_INTERRUPTED. */
int spool_write(struct spool *sp, const void *p, size_t n, struct error *e);

#endif
