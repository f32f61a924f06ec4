/* submit.h - one message from input to the provider: configuration, spool
 * (through input_read: into the queue when the account queues), account
 * and sender, recipients, password, the first attempt (with the account's
 * due queued messages along on the same connection), and what is kept when
 * it fails: the queue (temporary failures, exit 75), its failed messages
 * (permanent ones), or dead.letter (no queue, or no account yet).  The same pipeline serves
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
	enum submit_delivery {
		SUBMIT_CONFIG = 0,	/* as the account's queue = says */
		SUBMIT_BACKGROUND,	/* -odb: queue, send in the background */
		SUBMIT_QUEUE_ONLY,	/* -odq: queue only */
	} delivery;
	const char *dsn_notify;		/* -N, -R, -V: kept with a queued message */
	const char *dsn_ret;
	const char *dsn_envid;
};

/* Read the message from fd to its end and submit it.  Says on stderr what
 * went wrong and where the message was kept.  Returns the sysexits.h code:
 * EX_OK when the provider accepted it for every recipient, or when it was
 * queued to be sent in the background (queue = always, -odb, -odq);
 * EX_TEMPFAIL when it stays queued after a temporary failure; otherwise
 * the failure's code.  When e is not NULL it holds the reason (class
 * ERR_NONE with "queued as ID..." when the message is queued), and
 * *delivered (if not NULL) whether the provider took it for some
 * recipients.  The input is untrusted. */
int submit_message(const struct submit_request *rq, int fd, struct error *e, int *delivered);

#endif
