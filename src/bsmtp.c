/* bsmtp.c - the SMTP server engine of `postern -bs`: command lines in,
 * replies out, message text streamed through with its dots unstuffed.
 * One static handler per command; the state decides what is allowed. */
#include "bsmtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

static void set_state(struct bsmtp *b, enum bsmtp_state st)
{
	b->state = st;
}

void bsmtp_init(struct bsmtp *b, const char *hostname, bsmtp_trace_fn trace, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->hostname = xstrdup(hostname && *hostname ? hostname : "localhost");
	strvec_init(&b->rcpts);
	buf_init(&b->out);
	buf_init(&b->data);
	buf_init(&b->line);
	b->trace = trace;
	b->trace_ctx = ctx;
	b->state = BSMTP_ST_READY;
	/* the greeting is queued like any reply */
	buf_addf(&b->out, "220 %s ESMTP postern\r\n", b->hostname);
	if (trace)
		trace(ctx, '>', b->out.data, b->out.len - 2);
}

void bsmtp_release(struct bsmtp *b)
{
	free(b->hostname);
	free(b->from);
	strvec_release(&b->rcpts);
	buf_release(&b->out);
	buf_release(&b->data);
	buf_release(&b->line);
	memset(b, 0, sizeof(*b));
}

const char *bsmtp_output(const struct bsmtp *b, size_t *len)
{
	*len = b->out.len;
	return b->out.data;
}

void bsmtp_output_done(struct bsmtp *b)
{
	buf_reset(&b->out);
}

const char *bsmtp_data(const struct bsmtp *b, size_t *len)
{
	*len = b->data.len;
	return b->data.data;
}

void bsmtp_data_done(struct bsmtp *b)
{
	buf_reset(&b->data);
}

/* Queue one reply line.  The text may quote the client or a server, so it
 * is cut to fit the reply line limit and control characters are replaced:
 * a reply is always exactly one line. */
__attribute__((format(printf, 2, 3)))
static void add_reply(struct bsmtp *b, const char *fmt, ...)
{
	char line[BSMTP_LINE_MAX - 1];	/* room for the CRLF in 512 */
	struct buf text = BUF_INIT;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	buf_vaddf(&text, fmt, ap);
	va_end(ap);
	/* escaped (no CR or LF can end the reply early) and cut to fit */
	str_escape(line, sizeof(line), text.data, text.len);
	buf_release(&text);
	n = strlen(line);
	if (b->trace)
		b->trace(b->trace_ctx, '>', line, n);
	buf_add(&b->out, line, n);
	buf_add(&b->out, "\r\n", 2);
}

/* A refused command: the reply, and after too many of them, 421 and the
 * end of the session (a confused or hostile client gets no more). */
__attribute__((format(printf, 2, 3)))
static enum bsmtp_event refuse(struct bsmtp *b, const char *fmt, ...)
{
	char line[BSMTP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	add_reply(b, "%s", line);
	if (++b->errors < BSMTP_ERRORS_MAX)
		return BSMTP_EV_NONE;
	add_reply(b, "421 4.7.0 %s Error: too many errors; closing", b->hostname);
	set_state(b, BSMTP_ST_CLOSED);
	return BSMTP_EV_QUIT;
}

static void reset_txn(struct bsmtp *b)
{
	free(b->from);
	b->from = NULL;
	strvec_release(&b->rcpts);
	strvec_init(&b->rcpts);
	set_state(b, BSMTP_ST_READY);
}

/* "FROM:<path> params" / "TO:<path> params": the address inside the
 * brackets (a bare address is taken too, as Postfix does) and where the
 * parameters begin.  Quoted local parts may hold '>' and spaces.  A source
 * route ("<@a,@b:user@c>", RFC 5321 4.1.2) is dropped.  Returns 0 or -1. */
static int parse_path(const char *arg, const char *kw, char **addr, const char **params)
{
	size_t kwlen = strlen(kw), i;
	const char *p = arg, *start;
	int quoted = 0;

	if (strncasecmp(p, kw, kwlen))
		return -1;
	p += kwlen;
	while (*p == ' ')
		p++;
	if (*p == '<') {
		start = ++p;
		for (i = 0; p[i]; i++) {
			if (p[i] == '\\' && quoted && p[i + 1])
				i++;
			else if (p[i] == '"')
				quoted = !quoted;
			else if (p[i] == '>' && !quoted)
				break;
		}
		if (p[i] != '>')
			return -1;
		p += i + 1;
		if (*p && *p != ' ')
			return -1;
	} else {
		start = p;
		for (i = 0; p[i] && p[i] != ' '; i++)
			;
		if (i == 0)
			return -1;
		p += i;
	}
	if (*start == '@') {
		const char *colon = memchr(start, ':', (size_t)(p - start));
		if (!colon)
			return -1;
		start = colon + 1;
	}
	*addr = xstrndup(start, (size_t)(p - start) - (p[-1] == '>'));
	while (*p == ' ')
		p++;
	*params = p;
	return 0;
}

/* An address fit for the envelope and exactly one mailbox (no list, no
 * comment, nothing the parser would read differently).  Returns 0, or -1
 * with a reason in e. */
static int check_addr(const char *addr, const char *what, struct error *e)
{
	char *parsed = NULL;
	int ret = -1;

	if (addr_check_envelope(addr, what, e))
		return -1;
	if (addr_parse_mailbox(addr, &parsed, e))
		goto out;
	if (strcmp(parsed, addr)) {
		error_set(e, ERR_DATA, "%s <%s> is not one plain address", what, addr);
		goto out;
	}
	ret = 0;
out:
	free(parsed);
	return ret;
}

static enum bsmtp_event on_ehlo(struct bsmtp *b, const char *arg, int extended)
{
	if (!*arg)
		return refuse(b, "501 5.5.4 Syntax: %s hostname", extended ? "EHLO" : "HELO");
	reset_txn(b);
	if (!extended) {
		add_reply(b, "250 %s", b->hostname);
		return BSMTP_EV_NONE;
	}
	/* Only what is honoured: commands may be pipelined, 8-bit text goes
	 * through, SIZE= is accepted (no fixed limit of our own: the provider
	 * applies its own), and every reply carries an enhanced code. */
	add_reply(b, "250-%s", b->hostname);
	add_reply(b, "250-PIPELINING");
	add_reply(b, "250-SIZE");
	add_reply(b, "250-8BITMIME");
	add_reply(b, "250 ENHANCEDSTATUSCODES");
	return BSMTP_EV_NONE;
}

/* MAIL FROM parameters: SIZE=n and BODY=7BIT|8BITMIME are accepted (the
 * message is measured and scanned again when it is submitted); anything
 * else was not offered. */
static int check_mail_params(const char *p, char *bad, size_t badsz)
{
	while (*p) {
		size_t n = strcspn(p, " ");

		int good = (n > 5 && !strncasecmp(p, "SIZE=", 5) &&
			    strspn(p + 5, "0123456789") == n - 5) ||
			   (n == 9 && !strncasecmp(p, "BODY=7BIT", 9)) ||
			   (n == 13 && !strncasecmp(p, "BODY=8BITMIME", 13));

		if (!good) {
			snprintf(bad, badsz, "%.*s", (int)(n > 60 ? 60 : n), p);
			return -1;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static enum bsmtp_event on_mail(struct bsmtp *b, const char *arg)
{
	char *addr = NULL, bad[64];
	const char *params;
	struct error e;
	enum bsmtp_event ev = BSMTP_EV_NONE;

	if (b->state != BSMTP_ST_READY)
		return refuse(b, "503 5.5.1 Error: nested MAIL command");
	if (parse_path(arg, "FROM:", &addr, &params))
		return refuse(b, "501 5.5.4 Syntax: MAIL FROM:<address>");
	if (check_mail_params(params, bad, sizeof(bad))) {
		ev = refuse(b, "555 5.5.4 Unsupported option: %s", bad);
		goto out;
	}
	error_clear(&e);
	if (*addr && check_addr(addr, "sender", &e)) {
		ev = refuse(b, "553 5.1.7 <%s>: Sender address rejected: %s", addr, e.msg);
		goto out;
	}
	b->from = addr;
	addr = NULL;
	set_state(b, BSMTP_ST_MAIL);
	add_reply(b, "250 2.1.0 Ok");
out:
	free(addr);
	return ev;
}

static enum bsmtp_event on_rcpt(struct bsmtp *b, const char *arg)
{
	char *addr = NULL;
	const char *params;
	struct error e;
	enum bsmtp_event ev = BSMTP_EV_NONE;

	if (b->state != BSMTP_ST_MAIL)
		return refuse(b, "503 5.5.1 Error: need MAIL command");
	if (parse_path(arg, "TO:", &addr, &params))
		return refuse(b, "501 5.5.4 Syntax: RCPT TO:<address>");
	if (*params) {
		ev = refuse(b, "555 5.5.4 Unsupported option: %.60s", params);
		goto out;
	}
	error_clear(&e);
	if (!*addr) {
		ev = refuse(b, "501 5.1.3 Bad recipient address syntax: empty address");
		goto out;
	}
	if (check_addr(addr, "recipient", &e)) {
		ev = refuse(b, "553 5.1.3 <%s>: Recipient address rejected: %s", addr, e.msg);
		goto out;
	}
	if (b->rcpts.n >= BSMTP_RCPT_MAX) {
		add_reply(b, "452 4.5.3 Error: too many recipients");
		goto out;
	}
	/* the same address twice is one recipient, as on the command line */
	if (strvec_find_icase(&b->rcpts, addr) < 0)
		strvec_push(&b->rcpts, addr);
	add_reply(b, "250 2.1.5 Ok");
out:
	free(addr);
	return ev;
}

static enum bsmtp_event on_data(struct bsmtp *b, const char *arg)
{
	if (*arg)
		return refuse(b, "501 5.5.4 Syntax: DATA");
	if (b->state != BSMTP_ST_MAIL)
		return refuse(b, "503 5.5.1 Error: need MAIL command");
	if (!b->rcpts.n)
		return refuse(b, "554 5.5.1 Error: no valid recipients");
	buf_reset(&b->data);
	b->bol = 1;
	b->dot = b->dot_cr = 0;
	set_state(b, BSMTP_ST_DATA);
	add_reply(b, "354 End data with <CR><LF>.<CR><LF>");
	return BSMTP_EV_NONE;
}

/* One complete command line (line end removed). */
static enum bsmtp_event on_command(struct bsmtp *b, const char *line)
{
	size_t vlen = strcspn(line, " ");
	const char *arg = line + vlen;

	while (*arg == ' ')
		arg++;
#define IS(verb) (vlen == sizeof(verb) - 1 && !strncasecmp(line, verb, vlen))
	if (IS("EHLO"))
		return on_ehlo(b, arg, 1);
	if (IS("HELO"))
		return on_ehlo(b, arg, 0);
	if (IS("MAIL"))
		return on_mail(b, arg);
	if (IS("RCPT"))
		return on_rcpt(b, arg);
	if (IS("DATA"))
		return on_data(b, arg);
	if (IS("RSET")) {
		if (*arg)
			return refuse(b, "501 5.5.4 Syntax: RSET");
		reset_txn(b);
		add_reply(b, "250 2.0.0 Ok");
		return BSMTP_EV_NONE;
	}
	if (IS("NOOP")) {
		add_reply(b, "250 2.0.0 Ok");
		return BSMTP_EV_NONE;
	}
	if (IS("QUIT")) {
		add_reply(b, "221 2.0.0 Bye");
		reset_txn(b);
		set_state(b, BSMTP_ST_CLOSED);
		return BSMTP_EV_QUIT;
	}
	if (IS("VRFY")) {
		add_reply(b, "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
		return BSMTP_EV_NONE;
	}
	if (IS("HELP")) {
		add_reply(b, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
		return BSMTP_EV_NONE;
	}
	if (IS("EXPN") || IS("STARTTLS") || IS("AUTH") || IS("BDAT") || IS("ETRN") ||
	    IS("TURN") || IS("ATRN") || IS("XCLIENT") || IS("XFORWARD"))
		return refuse(b, "502 5.5.1 Error: command not implemented");
#undef IS
	if (!*line)
		return refuse(b, "500 5.5.2 Error: bad syntax");
	return refuse(b, "500 5.5.2 Error: command not recognized");
}

/* A command line ended (its LF was seen). */
static enum bsmtp_event on_line_end(struct bsmtp *b)
{
	enum bsmtp_event ev;

	if (b->line_too_long) {
		b->line_too_long = 0;
		buf_reset(&b->line);
		if (b->trace)
			b->trace(b->trace_ctx, '<', "(a line longer than 512 octets)", 31);
		return refuse(b, "500 5.5.2 Error: line too long");
	}
	if (b->line.len && b->line.data[b->line.len - 1] == '\r')
		b->line.data[--b->line.len] = '\0';
	if (b->trace)
		b->trace(b->trace_ctx, '<', b->line.data, b->line.len);
	/* a NUL would cut the command short where the trace does not */
	if (memchr(b->line.data, '\0', b->line.len)) {
		buf_reset(&b->line);
		return refuse(b, "500 5.5.2 Error: bad syntax");
	}
	ev = on_command(b, b->line.data);
	buf_reset(&b->line);
	return ev;
}

/* Message text: unstuff a leading dot, stop at the lone "." line.  The
 * match state (start of line, dot, dot + CR) lives in b, so any split of
 * the input works.  Returns the octets used; *done when the "." line
 * ended (its line end used too). */
static size_t take_data(struct bsmtp *b, const char *p, size_t n, int *done)
{
	size_t i = 0;

	*done = 0;
	while (i < n) {
		char c = p[i];

		if (b->dot_cr) {
			b->dot_cr = 0;
			if (c == '\n') {
				*done = 1;
				return i + 1;
			}
			/* ".\r" and more: the dot was stuffing, the CR is text */
			buf_add(&b->data, "\r", 1);
			continue;
		}
		if (b->dot) {
			b->dot = 0;
			if (c == '\n') {
				*done = 1;
				return i + 1;
			}
			if (c == '\r') {
				b->dot_cr = 1;
				i++;
				continue;
			}
			/* RFC 5321 4.5.2: drop the first dot of a line */
			continue;
		}
		if (b->bol && c == '.') {
			b->dot = 1;
			b->bol = 0;
			i++;
			continue;
		}
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) + 1 : n;

		buf_add(&b->data, p + i, end - i);
		b->bol = nl != NULL;
		i = end;
	}
	return i;
}

enum bsmtp_event bsmtp_input(struct bsmtp *b, const char *p, size_t n, size_t *used)
{
	size_t i = 0;
	enum bsmtp_event ev = BSMTP_EV_NONE;

	while (ev == BSMTP_EV_NONE) {
		if (b->state == BSMTP_ST_SUBMIT) {
			ev = BSMTP_EV_MESSAGE;
			break;
		}
		if (b->state == BSMTP_ST_CLOSED) {
			ev = BSMTP_EV_QUIT;
			break;
		}
		if (i >= n)
			break;
		if (b->state == BSMTP_ST_DATA) {
			int done;

			i += take_data(b, p + i, n - i, &done);
			if (done) {
				b->messages++;
				set_state(b, BSMTP_ST_SUBMIT);
				if (b->trace)
					b->trace(b->trace_ctx, '<', ".", 1);
			}
			continue;
		}

		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;

		if (!b->line_too_long) {
			/* 512 with CRLF: 511 with the CR still in the buffer */
			if (b->line.len + (end - i) > BSMTP_LINE_MAX - 1) {
				b->line_too_long = 1;
				buf_reset(&b->line);
			} else {
				buf_add(&b->line, p + i, end - i);
			}
		}
		i = end;
		if (!nl)
			break;
		i++;
		ev = on_line_end(b);
	}
	*used = i;
	return ev;
}

int bsmtp_reply_code(const struct error *e, int partial)
{
	if (!e || e->cls == ERR_NONE || partial)
		return 250;
	switch (e->cls) {
	case ERR_DATA:
	case ERR_NOUSER:
	case ERR_USAGE:
		return 554;
	case ERR_UNAVAILABLE:
		return e->smtp_code / 100 == 5 ? 554 : 451;
	default:
		return 451;
	}
}

/* The enhanced code for the reply: the server's when it has the class of
 * our reply, else one for the kind of failure. */
static const char *enhanced_for(const struct error *e, int code)
{
	if (e->enhanced[0] == (code == 554 ? '5' : '4') && e->enhanced[1] == '.')
		return e->enhanced;
	switch (e->cls) {
	case ERR_DATA: return "5.6.0";
	case ERR_NOUSER: return "5.1.1";
	case ERR_USAGE: return "5.5.0";
	case ERR_UNAVAILABLE: return code == 554 ? "5.0.0" : "4.4.0";
	case ERR_CONFIG: return "4.3.5";
	case ERR_AUTH: return "4.7.0";
	case ERR_TLS: return "4.7.0";
	case ERR_PROTOCOL: return "4.5.0";
	case ERR_TEMP: return "4.4.0";
	default: return "4.3.0";
	}
}

void bsmtp_message_done(struct bsmtp *b, const struct error *e, int partial)
{
	int code = bsmtp_reply_code(e, partial);

	if (b->state != BSMTP_ST_SUBMIT)
		return;
	if (code == 250 && partial && e)
		add_reply(b, "250 2.0.0 Ok: sent, but not to every recipient: %s", e->msg);
	else if (code == 250 && e && e->cls == ERR_NONE && e->msg[0])
		add_reply(b, "250 2.0.0 Ok: %s", e->msg);	/* "queued as ID..." */
	else if (code == 250)
		add_reply(b, "250 2.0.0 Ok: sent");
	else
		add_reply(b, "%d %s %s", code, enhanced_for(e, code), e->msg);
	reset_txn(b);
}

void bsmtp_shutdown(struct bsmtp *b, const char *why)
{
	if (b->state == BSMTP_ST_CLOSED)
		return;
	buf_reset(&b->data);
	reset_txn(b);
	add_reply(b, "421 4.3.2 %s %s", b->hostname, why);
	set_state(b, BSMTP_ST_CLOSED);
}

int bsmtp_eof(struct bsmtp *b)
{
	int cut = b->state == BSMTP_ST_DATA;

	buf_reset(&b->data);
	reset_txn(b);
	set_state(b, BSMTP_ST_CLOSED);
	return cut;
}
