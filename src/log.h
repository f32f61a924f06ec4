/* log.h - messages to the person (stderr) and the protocol transcript (-v).
 * The only global state in postern besides the signal flag of interrupt.h:
 * the verbosity.
 *
 * Every message and trace line goes through buf_add_escaped() on its way
 * out, so that text from a server, a certificate, a command or the command
 * line cannot drive the terminal or forge a line of its own. */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stddef.h>

extern int log_verbose;		/* -v: 1 shows the protocol transcript, 2 also the engine's states */

/* "postern: message\n" on stderr. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -v: "postern: message\n" on stderr. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One protocol line for the -v transcript: dir '<' from the server, '>' to
 * it, '=' a change of the engine's state (shown with -v -v).  The engine
 * has already redacted AUTH payloads.  Has the signature of smtp_trace_fn
 * (ctx unused). */
void log_trace(void *ctx, char dir, const char *line, size_t len);

#endif
