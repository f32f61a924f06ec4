/* dotstuff.c - LF/CRLF/CR -> CRLF and dot-stuffing (or not: raw), streaming. */
#include "dotstuff.h"

void dotstuff_init(struct dotstuff *d)
{
	/* As if CRLF had just been sent: a leading '.' must be doubled. */
	d->at_line_start = 1;
	d->pending_cr = 0;
	d->raw = 0;
}

void dotstuff_init_raw(struct dotstuff *d)
{
	dotstuff_init(d);
	d->raw = 1;
}

void dotstuff_feed(struct dotstuff *d, const char *in, size_t len, struct buf *out)
{
	size_t i = 0, run;

	while (i < len) {
		char c = in[i];

		/* The LF of a CRLF split across two chunks: the CR already
		 * produced the line end. */
		if (d->pending_cr) {
			d->pending_cr = 0;
			if (c == '\n') {
				i++;
				continue;
			}
		}
		if (c == '\r' || c == '\n') {
			buf_add(out, "\r\n", 2);
			d->at_line_start = 1;
			d->pending_cr = (c == '\r');
			i++;
			continue;
		}
		if (d->at_line_start && c == '.' && !d->raw)
			buf_add(out, ".", 1);
		d->at_line_start = 0;
		/* Copy the rest of the line in one go. */
		for (run = i; run < len && in[run] != '\r' && in[run] != '\n'; run++)
			;
		buf_add(out, in + i, run - i);
		i = run;
	}
}

void dotstuff_finish(struct dotstuff *d, struct buf *out)
{
	if (!d->at_line_start)
		buf_add(out, "\r\n", 2);
	if (!d->raw)
		buf_add(out, ".\r\n", 3);
	d->at_line_start = 1;
	d->pending_cr = 0;
}
