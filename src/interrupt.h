/* interrupt.h - SIGTERM, SIGINT and SIGHUP stop postern promptly without
 * losing the message it holds.
 *
 * The handlers only note the signal and write a byte into a self-pipe;
 * every wait in postern (poll on a socket, on standard input, on a child's
 * pipes) also watches the pipe's read end, so a signal that arrives just
 * before a wait still ends it at once.  Whoever notices gives up with
 * ERR_INTERRUPTED; the callers up to main keep the message (whole, or
 * marked incomplete when it had not all been read) and main then ends the
 * process by the same signal, so the parent sees what happened.
 *
 * The signal number is process state, like the handlers themselves: the
 * one piece of global state besides logging. */
#ifndef POSTERN_INTERRUPT_H
#define POSTERN_INTERRUPT_H

/* Install the handlers (no SA_RESTART) and create the self-pipe.  Call
 * once, early in main. */
void interrupt_setup(void);

/* The first terminating signal received so far, 0 if none. */
int interrupt_signal(void);

/* "SIGTERM", "SIGINT" or "SIGHUP" (else "a signal"), for messages. */
const char *interrupt_name(int sig);

/* Wait until fd has one of events (poll(2) flags), at most timeout_ms
 * (< 0: no limit).  Returns 1 when it has, 0 on timeout, -1 with errno
 * EINTR when a terminating signal arrived (or another errno from poll). */
int interrupt_poll(int fd, short events, int timeout_ms);

/* The self-pipe's read end, to add to a poll set of one's own (POLLIN
 * means: interrupted); -1 before interrupt_setup. */
int interrupt_fd(void);

/* End the process by the signal that arrived (default action restored,
 * then raised), as a shell expects of a killed program; returns only if
 * no signal arrived. */
void interrupt_exit(void);

#endif
