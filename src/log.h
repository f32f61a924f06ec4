/* log.h - messages to the person (stderr) and the protocol transcript (-v).
 * The only global state in postern: the verbosity and the program name. */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stddef.h>

extern int log_verbose;		/* -v given: print the protocol transcript */

/* "postern: message\n" on stderr. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -v: "postern: message\n" on stderr. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One protocol line for the -v transcript: dir '<' from the server, '>' to
 * it.  The engine has already redacted AUTH payloads.  Control characters
 * are shown escaped so a hostile server cannot drive the terminal.
 * Has the signature of smtp_trace_fn (ctx unused). */
void log_trace(void *ctx, char dir, const char *line, size_t len);

#endif
