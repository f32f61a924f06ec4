/* deadletter.h - keep a message that could not be sent: append it to
 * ~/dead.letter in mbox format, the place mail(1), mutt and msmtp users
 * already look. */
#ifndef POSTERN_DEADLETTER_H
#define POSTERN_DEADLETTER_H

#include "error.h"
#include "input.h"

/* The dead.letter path for this user ($HOME, else the password database);
 * caller frees; NULL with ERR_OS when there is no home directory. */
char *deadletter_path(struct error *e);

/* Append the spooled message to path as one mbox entry ("From " line with
 * sender and date, body lines starting with "From " quoted as ">From "),
 * under an fcntl lock, creating the file with mode 0600, and fsync it.
 * Returns 0, or -1 with ERR_IO (the file is then left as it was). */
int deadletter_append(const char *path, const char *sender, struct spool *sp, struct error *e);

#endif
