/* secret.h - the one place a password (or token) lives: struct secret,
 * whose release wipes it (OPENSSL_cleanse).  Where it comes from is
 * credential.h's business; the sources are password_command.h, keyring.h,
 * netrc.h and prompt.h. */
#ifndef POSTERN_SECRET_H
#define POSTERN_SECRET_H

#include <stddef.h>

#include "error.h"
#include "util.h"

enum secret_source {
	SECRET_NONE = 0,
	SECRET_CONFIG,
	SECRET_COMMAND,
	SECRET_KEYRING,
	SECRET_NETRC,
	SECRET_PROMPT,
	SECRET_OAUTH2,			/* an access token postern got itself (oauth2.h) */
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

/* Make this process unable to leave a core dump or be ptraced by the same
 * user while a secret is held (prctl PR_SET_DUMPABLE 0, RLIMIT_CORE 0). */
void secret_protect_process(void);

#endif
