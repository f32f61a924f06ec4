/* prompt.h - asking for a password: on the terminal, or from a pipe. */
#ifndef POSTERN_PROMPT_H
#define POSTERN_PROMPT_H

#include "error.h"
#include "secret.h"

/* Ask on /dev/tty with echo off; the answer (one line, CR/LF stripped, not
 * empty) goes into s (source SECRET_PROMPT).  Returns 0, or -1 with e
 * (ERR_CONFIG when there is no terminal, ERR_INTERRUPTED on a signal). */
int prompt_ask(const char *prompt, struct secret *s, struct error *e);

/* The first line of fd (read byte by byte, so nothing after it is
 * consumed; at most 4095 bytes; CR/LF stripped) into s.  Returns 0, or -1
 * with e (ERR_USAGE for an empty line). */
int prompt_read_line(int fd, struct secret *s, struct error *e);

#endif
