/* reply.h - SMTP reply parser (RFC 5321 4.2) with hard length bounds.
 * Server bytes are untrusted: a line longer than REPLY_LINE_MAX, a reply
 * with more than REPLY_LINES_MAX lines, a bad code or a multi-line reply
 * whose lines disagree on the code is ERR_PROTOCOL. */
#ifndef POSTERN_REPLY_H
#define POSTERN_REPLY_H

#include <stddef.h>

#include "error.h"
#include "util.h"

#define REPLY_LINE_MAX 2048	/* RFC says 512; be lenient but bounded */
#define REPLY_LINES_MAX 256

struct reply {
	int code;		/* 200..599 */
	char enhanced[16];	/* "2.1.0" from the first line, "" if absent */
	struct buf text;	/* lines' text after "NNN-"/"NNN ", joined by "\n" */
	size_t nlines;
};

void reply_init(struct reply *r);
void reply_release(struct reply *r);

struct reply_parser {
	struct buf line;	/* partial line carried between feeds */
	struct reply cur;	/* reply being assembled */
};

void reply_parser_init(struct reply_parser *p);
void reply_parser_release(struct reply_parser *p);

/* Consume bytes from buf until one reply is complete.
 * Returns 1 with the reply moved into *out (out is released first) and
 * *used = bytes consumed (the rest of buf is not looked at); 0 when all of
 * buf was consumed and no reply is complete yet (*used = len); -1 on a
 * protocol error.  Lines may end in CRLF or a bare LF. */
int reply_parse(struct reply_parser *p, const char *buf, size_t len, size_t *used,
		struct reply *out, struct error *e);

/* Whether the parser holds a partial line or reply (bytes not yet a reply). */
int reply_parser_pending(const struct reply_parser *p);

#endif
