/* reply.c - SMTP reply parser (RFC 5321 4.2, RFC 3463 enhanced codes).
 * Everything here is fed by the server and therefore untrusted: every
 * length is bounded and every malformed line ends the conversation. */
#include "reply.h"

#include <string.h>

void reply_init(struct reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	buf_init(&r->text);
	r->nlines = 0;
}

void reply_release(struct reply *r)
{
	buf_release(&r->text);
	reply_init(r);
}

void reply_parser_init(struct reply_parser *p)
{
	buf_init(&p->line);
	reply_init(&p->cur);
}

void reply_parser_release(struct reply_parser *p)
{
	buf_release(&p->line);
	reply_release(&p->cur);
}

int reply_parser_pending(const struct reply_parser *p)
{
	return p->line.len > 0 || p->cur.nlines > 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse "c.s.d" (RFC 3463: class 1 digit, subject and detail 1-3 digits)
 * at the start of text, followed by a space or the end.  The class must
 * match the reply code's, or it is just text (RFC 2034 says so). */
static void parse_enhanced(struct reply *r, const char *t, size_t len)
{
	size_t i = 0, n;

	if (len < 5 || t[0] != '0' + r->code / 100 || t[1] != '.')
		return;
	i = 2;
	for (n = 0; i < len && is_digit(t[i]) && n < 3; i++, n++)
		;
	if (n == 0 || i >= len || t[i] != '.')
		return;
	i++;
	for (n = 0; i < len && is_digit(t[i]) && n < 3; i++, n++)
		;
	if (n == 0 || (i < len && t[i] != ' '))
		return;
	memcpy(r->enhanced, t, i);	/* i <= 9 < sizeof(enhanced) */
	r->enhanced[i] = '\0';
}

/* One complete line without its line end.  Returns 1 if it was the last
 * line of the reply, 0 if more follow, -1 on error. */
static int take_line(struct reply_parser *p, const char *l, size_t len, struct error *e)
{
	struct reply *r = &p->cur;
	int code;

	if (len > REPLY_LINE_MAX)
		return error_set(e, ERR_PROTOCOL, "server reply line longer than %d octets",
				 REPLY_LINE_MAX);
	if (memchr(l, '\0', len) || memchr(l, '\r', len))
		return error_set(e, ERR_PROTOCOL,
				 "server reply contains a NUL or a bare CR octet");
	if (len < 3 || l[0] < '2' || l[0] > '5' || !is_digit(l[1]) || !is_digit(l[2]) ||
	    (len > 3 && l[3] != '-' && l[3] != ' '))
		return error_set(e, ERR_PROTOCOL, "malformed server reply line \"%.*s\"",
				 (int)(len > 80 ? 80 : len), l);
	code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return error_set(e, ERR_PROTOCOL,
				 "multi-line server reply changes its code from %d to %d",
				 r->code, code);
	if (r->nlines >= REPLY_LINES_MAX)
		return error_set(e, ERR_PROTOCOL, "server reply has more than %d lines",
				 REPLY_LINES_MAX);
	if (r->nlines > 0)
		buf_add(&r->text, "\n", 1);
	else
		r->code = code;
	if (len > 4)
		buf_add(&r->text, l + 4, len - 4);
	if (r->nlines == 0 && len > 4)
		parse_enhanced(r, l + 4, len - 4);
	r->nlines++;
	return len > 3 && l[3] == '-' ? 0 : 1;
}

static void parser_reset(struct reply_parser *p)
{
	buf_reset(&p->line);
	reply_release(&p->cur);
}

int reply_parse(struct reply_parser *p, const char *buf, size_t len, size_t *used,
		struct reply *out, struct error *e)
{
	size_t off = 0;

	*used = 0;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t take = nl ? (size_t)(nl - (buf + off)) : len - off;
		const char *l;
		size_t llen;
		int last;

		/* Bound the carried partial line before it can grow: the
		 * line plus an optional CR may not exceed the limit. */
		if (p->line.len + take > REPLY_LINE_MAX + 1) {
			parser_reset(p);
			*used = off;
			return error_set(e, ERR_PROTOCOL,
					 "server reply line longer than %d octets",
					 REPLY_LINE_MAX);
		}
		if (!nl) {
			buf_add(&p->line, buf + off, take);
			off = len;
			break;
		}
		if (p->line.len) {
			buf_add(&p->line, buf + off, take);
			l = p->line.data;
			llen = p->line.len;
		} else {
			l = buf + off;
			llen = take;
		}
		off += take + 1;
		if (llen && l[llen - 1] == '\r')
			llen--;
		last = take_line(p, l, llen, e);
		buf_reset(&p->line);
		if (last < 0) {
			parser_reset(p);
			*used = off;
			return -1;
		}
		if (last) {
			reply_release(out);
			*out = p->cur;
			reply_init(&p->cur);
			*used = off;
			return 1;
		}
	}
	*used = off;
	return 0;
}
