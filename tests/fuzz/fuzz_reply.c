/* fuzz_reply.c - libFuzzer harness for what the server controls.
 *
 * The first byte picks the mode and the chunking:
 *   bit 0 clear: reply_parse() alone, fed in chunks, called repeatedly
 *                until the input is used up (one reply per call);
 *   bit 0 set:   a whole engine (EHLO/capability parsing, STARTTLS, AUTH,
 *                pipelined transaction) with the rest as server input;
 *                bits 1-7 choose TLS mode, AUTH mode, pipelining params,
 *                verify_only and the chunk size.
 * Invariants checked: the password never reaches the trace, traced lines
 * hold no line end, every client line ends in CRLF, and a raw (BDAT) body is
 * asked for only right after the flight that ends in "BDAT n LAST", before
 * any read.  The exact size is always known, so a server offering CHUNKING
 * and PIPELINING gets BDAT; any other gets DATA. */
#include <stdint.h>
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

static void fuzz_engine(const uint8_t *data, size_t size, uint8_t mode)
{
	static const char *const rcpts[] = { "b@example.org", "c@example.org", "d@example.org" };
	struct smtp_params p;
	struct smtp *s;
	struct error e;
	size_t off = 0, chunk = (size_t)(mode >> 5) * 3 + 1;
	int guard = 0, bdat_sent = 0;

	memset(&p, 0, sizeof(p));
	p.ehlo_name = "client.example";
	p.tls = (enum smtp_tls)((mode >> 1) % 3);
	p.auth = (enum auth_mode)((mode >> 3) & 3);
	p.auth_without_tls = 1;
	p.user = "alice";
	p.password = password;
	p.sasl_nonce = "fuzznonce";	/* deterministic, so SCRAM gets past the nonce check */
	p.from = "a@example.org";
	p.rcpts = rcpts;
	p.nrcpts = (size_t)(mode >> 5) % 3 + 1;
	p.size = 4096;
	p.wire_size = 4096;
	p.eightbit = mode & 0x20;
	p.verify_only = (mode & 0x60) == 0x60;

	s = smtp_new(&p, trace_cb, NULL);
	for (;;) {
		enum smtp_want w = smtp_next(s);
		size_t len;
		const char *out;

		if (++guard > 100000)
			abort();	/* the engine must make progress */
		if (w == SMTP_WANT_CLOSE)
			break;
		switch (w) {
		case SMTP_WANT_WRITE:
			out = smtp_output(s, &len);
			if (len < 2 || out[len - 2] != '\r' || out[len - 1] != '\n')
				abort();
			bdat_sent = smtp_body_follows(s);
			if (bdat_sent && (len < 16 || memcmp(out + len - 16, "BDAT 4096 LAST\r\n", 16)))
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
		case SMTP_WANT_CLOSE:
			break;
		}
	}
	error_clear(&e);
	if (smtp_result(s, &e) < 0 && e.cls == ERR_NONE)
		abort();
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
