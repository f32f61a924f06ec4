/* fuzz_reply.c - libFuzzer harness for what the server controls.
 *
 * The first byte picks the mode and the chunking:
 *   bit 0 clear: reply_parse() alone, fed in chunks, called repeatedly
 *                until the input is used up (one reply per call);
 *   bit 0 set:   a whole engine (EHLO/capability parsing, STARTTLS, AUTH,
 *                pipelined transaction) with the rest as server input;
 *                bits 1-7 choose TLS mode, AUTH mode, pipelining params,
 *                no message (password check) and the chunk size.
 * The engine's last input byte also picks the connection's use: bit 7 set,
 * keep_open (many messages), and then bit 6 set, no first message.  At
 * each SMTP_WANT_NEXT one more input byte decides: bit 0 clear, smtp_quit();
 * set, another message, whose recipient count, known or unknown wire size
 * and validity the other bits choose (at most MAX_MESSAGES in all).
 * Invariants checked: the password never reaches the trace, traced lines
 * hold no line end, every client line ends in CRLF, and a raw (BDAT) body is
 * asked for only right after the flight that ends in "BDAT n LAST", before
 * any read.  With a known size, a server offering CHUNKING and PIPELINING
 * gets BDAT; any other gets DATA.  Between messages: the first flight of a
 * message starts with RSET exactly when an earlier MAIL went out on the
 * connection, a message refused at once (a sender with a CR in it) writes
 * nothing and leaves the engine ready, smtp_quit() writes QUIT alone, and
 * a failed transaction has a class. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char password[] = "fuzz-s3cret-pw";

static void trace_cb(void *ctx, char dir, const char *line, size_t len)
{
	(void)ctx;
	(void)dir;
	if (memchr(line, '\n', len) || (dir == '>' && memchr(line, '\r', len)))
		abort();
	/* server lines may echo anything; client lines must not hold it */
	if (dir == '>' && len >= sizeof(password) - 1 &&
	    memmem(line, len, password, sizeof(password) - 1))
		abort();
	if (dir == '>' && memmem(line, len, "ZnV6ei1zM2NyZXQtcHc", 19))
		abort();
}

static void fuzz_parser(const uint8_t *data, size_t size, size_t chunk)
{
	struct reply_parser p;
	struct reply r;
	struct error e;
	size_t off = 0;

	reply_parser_init(&p);
	reply_init(&r);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk, used = 0;
		int rc = reply_parse(&p, (const char *)data + off, n, &used, &r, &e);

		if (used > n)
			abort();
		if (rc < 0) {
			/* start over after an error, like a new connection */
			reply_parser_release(&p);
			reply_parser_init(&p);
			off += used ? used : 1;
			continue;
		}
		if (rc == 1) {
			if (r.code < 200 || r.code > 599 || r.nlines == 0 ||
			    r.nlines > REPLY_LINES_MAX || strlen(r.text.data) != r.text.len)
				abort();
		} else if (used != n) {
			abort();
		}
		off += used;
	}
	reply_release(&r);
	reply_parser_release(&p);
}

#define MAX_MESSAGES 8

/* The outcome of the transaction just ended makes sense. */
static void check_outcome(struct smtp *s, size_t nrcpts)
{
	struct error e;

	error_clear(&e);
	if (smtp_result(s, &e) < 0 && e.cls == ERR_NONE)
		abort();
	for (size_t i = 0; i < nrcpts; i++) {
		int c = smtp_rcpt_code(s, i);

		if (c != 0 && (c < 200 || c > 599 || !smtp_rcpt_reply(s, i)))
			abort();
	}
}

static void fuzz_engine(const uint8_t *data, size_t size, uint8_t mode)
{
	static const char *const rcpts[] = { "b@example.org", "c@example.org", "d@example.org" };
	struct smtp_params p;
	struct smtp_message m;
	struct smtp *s;
	struct error e;
	size_t off = 0, chunk = (size_t)(mode >> 5) * 3 + 1;
	int guard = 0, bdat_sent = 0, messages = 0, mail_sent = 0, first_flight = 0;
	int quitting = 0;
	uint8_t tail = size ? data[size - 1] : 0;

	memset(&m, 0, sizeof(m));
	m.from = "a@example.org";
	m.rcpts = rcpts;
	m.nrcpts = (size_t)(mode >> 5) % 3 + 1;
	m.size = 4096;
	m.wire_size = 4096;
	m.eightbit = mode & 0x20;

	memset(&p, 0, sizeof(p));
	p.ehlo_name = "client.example";
	p.tls = (enum smtp_tls)((mode >> 1) % 3);
	p.auth = (enum auth_mode)((mode >> 3) & 3);
	p.auth_without_tls = 1;
	p.user = "alice";
	p.password = password;
	p.sasl_nonce = "fuzznonce";	/* deterministic, so SCRAM gets past the nonce check */
	p.keep_open = (tail & 0x80) != 0;
	p.msg = (mode & 0x60) == 0x60 || (p.keep_open && (tail & 0x40)) ? NULL : &m;
	messages = p.msg != NULL;

	s = smtp_new(&p, trace_cb, NULL);
	for (;;) {
		enum smtp_want w = smtp_next(s);
		size_t len;
		const char *out;
		char bdat[40];

		if (++guard > 100000)
			abort();	/* the engine must make progress */
		if (w == SMTP_WANT_CLOSE)
			break;
		switch (w) {
		case SMTP_WANT_WRITE:
			out = smtp_output(s, &len);
			if (len < 2 || out[len - 2] != '\r' || out[len - 1] != '\n')
				abort();
			if (first_flight && (mail_sent ? len < 6 || memcmp(out, "RSET\r\n", 6) :
					     len < 10 || memcmp(out, "MAIL FROM:", 10)))
				abort();
			if (quitting && (len != 6 || memcmp(out, "QUIT\r\n", 6)))
				abort();
			first_flight = quitting = 0;
			if (memmem(out, len, "MAIL FROM:", 10))
				mail_sent = 1;
			bdat_sent = smtp_body_follows(s);
			snprintf(bdat, sizeof(bdat), "BDAT %llu LAST\r\n",
				 (unsigned long long)smtp_wire_size(s));
			if (bdat_sent && (smtp_wire_size(s) == 0 || len < strlen(bdat) ||
					  memcmp(out + len - strlen(bdat), bdat, strlen(bdat))))
				abort();
			smtp_output_done(s);
			if (bdat_sent && smtp_next(s) != SMTP_WANT_BODY)
				abort();
			break;
		case SMTP_WANT_TLS:
			/* the rest of the input arrives "during" the handshake
			 * half of the time */
			if (off < size && (data[off] & 1)) {
				smtp_input(s, (const char *)data + off, 1);
				off++;
			} else {
				smtp_tls_done(s);
			}
			break;
		case SMTP_WANT_BODY:
			if ((smtp_body_mode(s) == SMTP_BODY_RAW) != bdat_sent)
				abort();
			bdat_sent = 0;
			smtp_body_done(s);
			break;
		case SMTP_WANT_READ:
			if (off >= size) {
				error_set(&e, ERR_TEMP, "EOF");
				smtp_abort(s, &e);
				break;
			}
			len = size - off < chunk ? size - off : chunk;
			smtp_input(s, (const char *)data + off, len);
			off += len;
			break;
		case SMTP_WANT_NEXT:
			if (!p.keep_open || first_flight || quitting)
				abort();
			check_outcome(s, m.nrcpts);
			if (off >= size || messages >= MAX_MESSAGES || !(data[off] & 1)) {
				off += off < size;
				smtp_quit(s);
				quitting = 1;
				if (smtp_next(s) != SMTP_WANT_WRITE)
					abort();
				break;
			}
			m.nrcpts = (size_t)(data[off] >> 1) % 3 + 1;
			m.wire_size = data[off] & 0x08 ? 0 : 4096;
			m.from = data[off] & 0x10 ? "a@example.org\r\nRSET" : "a@example.org";
			off++;
			messages++;
			smtp_next_message(s, &m);
			if (smtp_next(s) == SMTP_WANT_NEXT) {
				/* refused before a byte went out (a bad sender, or
				 * too large for SIZE): still ready */
				error_clear(&e);
				if (smtp_result(s, &e) == 0 || (!m.from[13] && e.cls != ERR_DATA))
					abort();
			} else if (smtp_next(s) != SMTP_WANT_WRITE || m.from[13]) {
				abort();
			} else {
				first_flight = 1;
			}
			break;
		case SMTP_WANT_CLOSE:
			break;
		}
	}
	check_outcome(s, m.nrcpts);
	(void)smtp_state_name(smtp_get_state(s));
	smtp_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	if (mode & 1)
		fuzz_engine(data + 1, size - 1, mode);
	else
		fuzz_parser(data + 1, size - 1, (size_t)(mode >> 1) + 1);
	return 0;
}
