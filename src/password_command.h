/* password_command.h - the password from the account's password_command. */
#ifndef POSTERN_PASSWORD_COMMAND_H
#define POSTERN_PASSWORD_COMMAND_H

#include "config.h"
#include "error.h"
#include "secret.h"

/* Run a->password_command through /bin/sh -c with stdin from /dev/null and
 * take the first line of its stdout (CR/LF stripped; at most 64 KiB of
 * output is read, the rest drained) into s (source SECRET_COMMAND, desc
 * "password_command (line N)").  Nothing secret goes into its argv or
 * environment.  own_group: run it in its own process group, so that a
 * timeout kills everything it started (not for an interactive session,
 * where the command may need the terminal, which a background process
 * group cannot read).
 *
 * Returns 0, or -1 with e: ERR_CONFIG when it exits non-zero, is killed by
 * a signal, prints nothing usable or outlasts timeout_s (then it is
 * killed); the message shows up to 300 bytes of its stderr (untrusted:
 * escaped), never its stdout.  ERR_INTERRUPTED when a terminating signal
 * arrives (the command is killed), ERR_OS when a pipe or fork fails.  s must be empty
 * and stays empty on failure. */
int password_command_run(const struct account *a, unsigned timeout_s, int own_group, struct secret *s,
		  struct error *e);

#endif
