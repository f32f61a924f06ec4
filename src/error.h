/* error.h - the one error idiom of postern.
 *
 * Fallible functions return 0 on success and -1 on failure, and fill a
 * caller-supplied struct error.  The class says what kind of failure it was
 * (error_exit_code() maps classes to sysexits.h codes in one table, see
 * postern(1)); the message says what happened, why, and what to do about
 * it.  Messages may quote untrusted text: whoever shows one escapes it
 * (log.c does, for stderr). */
#ifndef POSTERN_ERROR_H
#define POSTERN_ERROR_H

enum error_class {
	ERR_NONE = 0,
	ERR_USAGE,	/* bad command line                       -> 64 */
	ERR_DATA,	/* the message itself is unusable         -> 65 */
	ERR_NOUSER,	/* a recipient was refused permanently    -> 67 */
	ERR_UNAVAILABLE,/* server said no (5xx) / cannot deliver  -> 69 */
	ERR_TEMP,	/* try later: 4xx, connect, timeout       -> 69 (75 only when
			 * the message is safe in the queue: submit.c) */
	ERR_TLS,	/* TLS handshake or certificate failure   -> 69 */
	ERR_PROTOCOL,	/* server broke the protocol / attack     -> 76 */
	ERR_AUTH,	/* authentication failed or impossible    -> 77 */
	ERR_CONFIG,	/* configuration is wrong                 -> 78 */
	ERR_IO,		/* local I/O failure (disk full, ...)     -> 74 */
	ERR_OS,		/* system call failure                    -> 71 */
	ERR_INTERNAL,	/* a bug                                  -> 70 */
	ERR_INTERRUPTED,/* SIGTERM, SIGINT or SIGHUP arrived: main ends
			 * the process by that signal (interrupt.h) */
};

#define ERROR_MSG_MAX 1024

struct error {
	enum error_class cls;
	int smtp_code;		/* the server's reply code, 0 if none */
	char enhanced[16];	/* enhanced status code ("5.7.8"), "" if none */
	char msg[ERROR_MSG_MAX];
};

/* Reset to "no error". */
void error_clear(struct error *e);

/* Set class and message (printf-style); always returns -1 so that
 * `return error_set(e, ERR_CONFIG, "...");` reads naturally.
 * e may be NULL (the error is then dropped). */
int error_set(struct error *e, enum error_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message: "ctx: old message". Returns -1. */
int error_prefix(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The sysexits.h code for a class: the one table, documented in postern(1). */
int error_exit_code(enum error_class cls);

/* A short name for the class ("config", "tls", ...), for logs and tests. */
const char *error_class_name(enum error_class cls);

#endif
