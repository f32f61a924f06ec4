/* submit.h - one message from input to the provider: configuration, spool
 * (through input_read), account and sender, recipients, password,
 * session_send, and dead.letter when it fails.  The same pipeline serves
 * the sendmail command line (the message on standard input, recipients
 * from argv or -t) and `postern -bs` (the envelope from the SMTP
 * dialogue). */
#ifndef POSTERN_SUBMIT_H
#define POSTERN_SUBMIT_H

#include "error.h"
#include "util.h"

/* What to send and how; every pointer is borrowed. */
struct submit_request {
	const char *config;		/* -C FILE, NULL: the usual places */
	const char *account;		/* -a NAME, NULL: chosen by sender */
	const char *from;		/* -f / MAIL FROM ("" or "<>": null sender);
					 * NULL: the account's from, else From: */
	const char *fullname;		/* -F, for a From header postern adds */
	const struct strvec *rcpts;	/* each entry may be an address list */
	int read_recipients;		/* -t */
	int dot_ends;			/* a lone "." ends the input */
	int allow_prompt;		/* the password may be asked on the terminal */
};

/* Read the message from fd to its end and submit it.  Says on stderr what
 * went wrong and where the message was kept.  Returns the sysexits.h code
 * (EX_OK when the provider accepted it for every recipient); when it is
 * not EX_OK and e is not NULL, e holds the reason and *delivered (if not
 * NULL) whether the provider took it for some recipients.  The input is
 * untrusted. */
int submit_message(const struct submit_request *rq, int fd, struct error *e, int *delivered);

#endif
