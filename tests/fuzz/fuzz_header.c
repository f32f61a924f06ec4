/* fuzz_header.c - libFuzzer harness for the header parser and input_read:
 * the input is pushed line by line into struct message (then -t recipients,
 * Bcc removal, write), and read again through a pipe by input_read into a
 * spool file in /tmp, whose long-line and line-end rules are checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int edit(void *ctx, struct message *m, struct error *e)
{
	(void)ctx;
	(void)e;
	message_remove(m, "Bcc");
	message_add(m, "X-Fuzz", "a value long enough to be folded somewhere along the way, "
		    "or at least to be tried by the folding code of message_add");
	return 0;
}

/* The arena holds exactly the fields, in order, each ending "\n", and is
 * what message_write writes; the caps hold. */
static void check_message(const struct message *m)
{
	struct buf out = BUF_INIT;
	size_t at = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].off != at || m->h[i].len == 0 ||
		    m->raw.data[at + m->h[i].len - 1] != '\n')
			abort();
		at += m->h[i].len;
	}
	if (at != m->raw.len || m->bytes > MESSAGE_HEADER_MAX)
		abort();
	message_write(m, &out);
	if (out.len != m->raw.len + 1 || memcmp(out.data, m->raw.data, m->raw.len))
		abort();
	buf_release(&out);
}

static void parse_lines(const uint8_t *data, size_t size)
{
	struct message m;
	struct strvec sv = STRVEC_INIT;
	struct buf out = BUF_INIT;
	struct error e;
	size_t start = 0;

	message_init(&m);
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (message_push_line(&m, (const char *)data + start, i - start, &e) != MESSAGE_MORE)
			break;
		start = i + 1;
	}
	if (m.n > MESSAGE_FIELDS_MAX)
		abort();
	check_message(&m);
	message_recipients(&m, &sv, &e);
	message_get(&m, "Subject");
	message_remove(&m, "Bcc");
	check_message(&m);
	message_write(&m, &out);
	if (message_get(&m, "bcc"))
		abort();
	message_add(&m, "X-Fuzz", "added");
	check_message(&m);
	buf_release(&out);
	strvec_release(&sv);
	message_release(&m);
}

/* Every spooled line fits SMTP after dot-stuffing, and no CR is left. */
static void check_spool(struct spool *sp)
{
	struct error e;
	char b[4096];
	size_t col = 0;
	int first = 1;
	uint64_t total = 0;
	ssize_t n;

	if (spool_rewind(sp, &e) < 0)
		abort();
	while ((n = read(sp->fd, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (b[i] == '\r')
				abort();
			if (b[i] == '\n') {
				col = 0;
				continue;
			}
			if (col == 0)
				first = b[i] == '.';
			if (++col > 998 || (first && col > 997))
				abort();
		}
		total += (uint64_t)n;
	}
	if (total != sp->bytes)
		abort();
}

static void read_input(const uint8_t *data, size_t size, int dot_ends)
{
	struct input_opts o = { dot_ends };
	struct message m;
	struct spool sp;
	struct error e;
	int p[2];

	/* A pipe holds 64 KiB; libFuzzer's inputs are far smaller. */
	if (size > 60000 || pipe(p) < 0)
		return;
	if (write(p[1], data, size) != (ssize_t)size)
		abort();
	close(p[1]);
	if (spool_create(&sp, "/tmp", &e) < 0)
		abort();
	message_init(&m);
	if (input_read(p[0], &o, &m, edit, NULL, &sp, &e) < 0 && e.cls != ERR_DATA)
		abort();
	check_spool(&sp);
	close(p[0]);
	message_release(&m);
	spool_release(&sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_lines(data, size);
	read_input(data, size, size & 1);
	return 0;
}
