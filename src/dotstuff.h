/* dotstuff.h - streaming conversion of message text to SMTP DATA form:
 * every line end (LF, CRLF, or a bare CR) becomes CRLF, and a '.' at the
 * start of a line is doubled (RFC 5321 4.5.2).  State is carried across
 * chunk boundaries; a new converter behaves as if it had just seen CRLF.
 * In raw mode (for BDAT, RFC 3030) only the line ends are converted: no
 * dot is doubled and no terminating dot line is added. */
#ifndef POSTERN_DOTSTUFF_H
#define POSTERN_DOTSTUFF_H

#include <stddef.h>

#include "util.h"

struct dotstuff {
	int at_line_start;	/* the next byte starts a line */
	int pending_cr;		/* a CR was seen; the next LF belongs to it */
	int raw;		/* line ends only (BDAT) */
};

/* A converter for DATA: line ends and dot-stuffing. */
void dotstuff_init(struct dotstuff *d);
/* A converter for BDAT: line ends only. */
void dotstuff_init_raw(struct dotstuff *d);

/* Convert len bytes of in, appending the wire form to out. */
void dotstuff_feed(struct dotstuff *d, const char *in, size_t len, struct buf *out);

/* End the data: CRLF if the text did not end with a line end, then ".\r\n"
 * (in raw mode only the CRLF). */
void dotstuff_finish(struct dotstuff *d, struct buf *out);

#endif
