/* credential.h - where the password comes from.
 *
 * Sources, in order; the first that answers wins:
 *   1. `password` in the configuration (permission-checked by config.c)
 *   2. `password_command` (password_command.h)
 *   3. the keyring through libsecret (keyring.h): msmtp's attributes and
 *      postern's own schema, then the network-compat schema
 *   4. ~/.netrc (netrc.h), ownership and mode checked
 *   5. a prompt on the terminal (prompt.h), only when standard input of the
 *      session is a terminal (never for cron or PHP)
 * A locked keyring, a missing D-Bus session bus and "no entry" each give
 * their own plain message in the final error when no source answers. */
#ifndef POSTERN_CREDENTIAL_H
#define POSTERN_CREDENTIAL_H

#include "config.h"
#include "error.h"
#include "secret.h"

struct credential_opts {
	int allow_prompt;		/* stdin is not the message (password check/set) */
	unsigned command_timeout;	/* seconds for password_command; 0 = 30 */
};

/* Find the password for account a.  Returns 0 with s filled, or -1 with e:
 * ERR_CONFIG for a failed password_command or a bad .netrc, and ERR_CONFIG
 * "no password for account [x]" listing what each source said (locked
 * keyring, no session bus, no entry) and what to do, e.g.
 * "postern password set x". */
int credential_lookup(const struct account *a, const struct credential_opts *o, struct secret *s,
		  struct error *e);

#endif
