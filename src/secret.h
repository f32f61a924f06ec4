/* secret.h - where the password comes from, and the one place it lives.
 *
 * Sources, in order; the first that answers wins:
 *   1. `password` in the configuration (permission-checked by config.c)
 *   2. `password_command`: run through /bin/sh -c with no secret in its argv
 *      or environment; the first line of its stdout; a non-zero exit status
 *      stops (ERR_CONFIG, showing its stderr); bounded by a timeout
 *   3. the keyring through libsecret: attributes host, service = "smtp",
 *      user (schema "de.marlam.msmtp.password", so msmtp's stored passwords
 *      are found unchanged, and postern's own schema), then the
 *      network-compat schema (server, protocol = "smtp", user)
 *   4. ~/.netrc (machine = host, login = user), ownership and mode checked
 *   5. a prompt on the terminal, only when standard input of the session is
 *      a terminal (never for cron or PHP)
 * A locked keyring, a missing D-Bus session bus and "no entry" each give
 * their own plain message (kept in struct secret_report for the final error
 * when no source answers).
 *
 * The secret is held in struct secret only; secret_release() wipes it. */
#ifndef POSTERN_SECRET_H
#define POSTERN_SECRET_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "util.h"

/* postern's own libsecret schema name (with the same attributes). */
#define SECRET_SCHEMA "org.postern.password"

enum secret_source {
	SECRET_NONE = 0,
	SECRET_CONFIG,
	SECRET_COMMAND,
	SECRET_KEYRING,
	SECRET_NETRC,
	SECRET_PROMPT,
};

struct secret {
	char *value;			/* NUL-terminated; wiped on release */
	size_t len;
	enum secret_source source;
	char desc[256];			/* "the keyring (schema ...)" etc., for messages */
};

void secret_init(struct secret *s);
/* Wipe (OPENSSL_cleanse) and free. */
void secret_release(struct secret *s);

/* A short name for a source: "config", "password_command", "keyring", ... */
const char *secret_source_name(enum secret_source src);

struct secret_opts {
	int allow_prompt;		/* stdin is not the message (password check/set) */
	unsigned command_timeout;	/* seconds for password_command; 0 = 30 */
};

/* Find the password for account a.  Returns 0 with s filled, or -1 with e:
 * ERR_CONFIG for a failed password_command or a bad .netrc, and ERR_CONFIG
 * "no password for account [x]" listing what each source said (locked
 * keyring, no session bus, no entry) and what to do, e.g.
 * "postern password set x". */
int secret_lookup(const struct account *a, const struct secret_opts *o, struct secret *s,
		  struct error *e);

/* Keyring operations for `postern password set|forget` (postern's own
 * schema, attributes host/service/user).  ERR_CONFIG / ERR_UNAVAILABLE with
 * a plain message when there is no session bus or the keyring is locked. */
int secret_keyring_store(const struct account *a, const char *password, struct error *e);
/* Returns 1 if something was removed, 0 if nothing was stored, -1 on error. */
int secret_keyring_forget(const struct account *a, struct error *e);

/* How many keyring entries match the account's host, service = smtp and
 * user under any schema (postern's, msmtp's, secret-tool's); 0 when the
 * keyring cannot be reached.  For `password forget`, to say that another
 * program's entry still answers. */
int secret_keyring_others(const struct account *a);

/* Whether a D-Bus session bus can be found without starting anything:
 * $DBUS_SESSION_BUS_ADDRESS is set, or $XDG_RUNTIME_DIR/bus is a socket.
 * Checked before libsecret is touched, so that cron and PHP pay nothing. */
int secret_session_bus_present(void);

/* Ask on /dev/tty with echo off; the answer (one line, CR/LF stripped, not
 * empty) goes into s (source SECRET_PROMPT).  Returns 0, or -1 with e
 * (ERR_CONFIG when there is no terminal, ERR_TEMP when interrupted). */
int secret_prompt(const char *prompt, struct secret *s, struct error *e);

/* The first line of fd (read byte by byte, so nothing after it is
 * consumed; at most 4095 bytes; CR/LF stripped) into s.  Returns 0, or -1
 * with e (ERR_USAGE for an empty line). */
int secret_read_line_fd(int fd, struct secret *s, struct error *e);

/* Make this process unable to leave a core dump or be ptraced by the same
 * user while a secret is held (prctl PR_SET_DUMPABLE 0, RLIMIT_CORE 0). */
void secret_protect_process(void);

#endif
