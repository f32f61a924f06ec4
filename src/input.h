/* input.h - read a message from a file descriptor (stdin) into a private
 * spool file (spool.h), never holding the body in memory.
 *
 * On the way in: line ends are normalised to LF (CRLF, LF and a bare CR all
 * end a line), the header section is fed to a struct message, and lines
 * longer than the SMTP limit are broken the way Postfix breaks them
 * (smtp_line_length_limit): "\n " is inserted so that no line, even after
 * dot-stuffing, exceeds 998 octets.  A leading mbox "From " line is dropped.
 * Without -i, a line holding a single "." ends the input (sendmail's rule). */
#ifndef POSTERN_INPUT_H
#define POSTERN_INPUT_H

#include "error.h"
#include "message.h"
#include "spool.h"

/* Longest line sent, without its line end (RFC 5321 4.5.3.1.6). */
#define INPUT_LINE_MAX 998

struct input_opts {
	int dot_ends;		/* a lone "." line ends input (no -i) */
};

/* Called once, when the header section is complete, before any of it is
 * written: it may edit m (remove Bcc, add Date, ...).  Returning -1 stops
 * nothing: its error is kept and returned by input_read after all of the
 * input has been spooled, so the message can still be kept. */
typedef int (*input_headers_fn)(void *ctx, struct message *m, struct error *e);

/* Read fd to its end (or to the lone dot), writing the header section (as
 * edited by cb) and then the body into sp.  m receives the header section.
 * Errors: ERR_IO for read or write failures and ERR_INTERRUPTED for a
 * terminating signal (interrupt.h): sp then holds what could be written, an
 * incomplete message; ERR_DATA when the header section is too large (the
 * rest is then spooled unparsed, so nothing is lost), or cb's error.
 * Everything read is untrusted. */
int input_read(int fd, const struct input_opts *o, struct message *m,
	       input_headers_fn cb, void *ctx, struct spool *sp, struct error *e);

#endif
