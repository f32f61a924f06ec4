/* netrc.h - the password for a host and user from ~/.netrc.
 *
 * The parser follows curl and GNU inetutils: tokens separated by blanks,
 * "quoted tokens" with backslash escapes, '#' comments where a keyword may
 * start, macdef bodies skipped to the next empty line; the first `machine`
 * that fits wins, `default` only when no machine fits; an entry with a
 * login must name the user, one without a login fits any user.  Unknown
 * keywords are ignored. */
#ifndef POSTERN_NETRC_H
#define POSTERN_NETRC_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "secret.h"
#include "util.h"

/* Find machine host (compared without case) with login user (or no login),
 * or a default entry, in text[0..len) (untrusted: any bytes, NULs
 * included).  user may be NULL (then only entries without a login fit).
 * Returns 1 with the password in s (source SECRET_NETRC, s->desc left
 * empty) and its line in *pw_line, or 0 when no entry fits or the one that
 * fits has an empty password.  s must be empty.  Tokens longer than 4095
 * bytes are cut; every copy of the password in the parser's buffers is
 * wiped before it returns. */
int netrc_find(const char *text, size_t len, const char *host, const char *user,
	       struct secret *s, int *pw_line);

/* Read ~/.netrc ($HOME, else the passwd entry) and look up the account's
 * host and user.  Returns 1 with the password in s (desc "PATH (line N)"),
 * 0 when there is no file or no entry (why gets a sentence saying which),
 * or -1 with e (ERR_CONFIG) when the entry is there but the file belongs
 * to someone else or others can read it; then s is left empty. */
int netrc_lookup(const struct account *a, struct secret *s, struct buf *why, struct error *e);

#endif
