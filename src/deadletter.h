/* deadletter.h - keep a message that could not be sent, where the person
 * will find it: appended to ~/dead.letter in mbox format (where mail(1),
 * mutt and msmtp users already look), with its envelope, so that it can be
 * sent again to exactly the original recipients (postern(1) says how).
 *
 * ~/dead.letter is used only when it is safe: a regular file of the user's
 * own, not a link, that no one else may read or write (or absent: it is
 * then created 0600).  A FIFO, a device, someone else's file or one others
 * can read gets nothing (a FIFO would also block for ever); the message
 * goes to dead.letter in postern's private state directory instead, and
 * the person is told why. */
#ifndef POSTERN_DEADLETTER_H
#define POSTERN_DEADLETTER_H

#include "error.h"
#include "spool.h"
#include "util.h"

/* What is known about the message besides its text.  Every pointer may be
 * NULL; the addresses are untrusted and are written only when they are
 * valid envelope addresses (addr_check_envelope). */
struct kept {
	const char *sender;		/* the envelope sender */
	const struct strvec *rcpts;	/* the envelope recipients (with Bcc and -t) */
	const char *reason;		/* why it was not sent (untrusted: escaped) */
	const char *incomplete;		/* set when the text is not the whole message:
					 * why (disk full, interrupted...) */
};

/* Append the spooled message as one mbox entry: a "From " line (the sender
 * if valid, else MAILER-DAEMON, and the date), then Return-Path: <sender>,
 * one X-Postern-Envelope-To: per recipient, X-Postern-Not-Sent: reason
 * and X-Postern-Incomplete: when set, then the text with "From " lines
 * quoted (mboxrd).  Written under an fcntl lock and fsync'd; a failed
 * write is cut off again, so no half entry stays behind.
 *
 * Returns 0 with *where the file that holds it (caller frees) and note
 * given a sentence when ~/dead.letter itself was refused (why, and how to
 * fix it); or -1 with e when no place could take it (the caller then keeps
 * the spool file itself). */
int deadletter_keep(struct spool *sp, const struct kept *k, char **where, struct buf *note,
		    struct error *e);

#endif
