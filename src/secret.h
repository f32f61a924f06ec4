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
 * Each source is its own module (pwcommand.h, keyring.h, netrc.h); this one
 * holds the order and the prompt.  The secret is held in struct secret
 * only; secret_release() wipes it. */
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

/* Copy p[0..n) into s (which must be empty), NUL-terminated, from src. */
void secret_set(struct secret *s, const char *p, size_t n, enum secret_source src);

/* The first line of p[0..n) (CR/LF stripped) into s (which must be empty).
 * Returns 0, or -1 with s left empty when that line is empty or holds a NUL
 * (not a usable password). */
int secret_set_first_line(struct secret *s, const char *p, size_t n, enum secret_source src);

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
