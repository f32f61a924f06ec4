/* test_dotstuff.c - the streaming converter against fixed expectations, for
 * every way of cutting the input into chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotstuff.h"
#include "tap.h"

/* Make the wire form with one feed per chunk; cuts is a bit mask: bit i set
 * means a chunk boundary after byte i.  Empty chunks are fed too, at the
 * start and at every boundary, since callers may do that. */
static int raw_mode;	/* convert() makes the BDAT form (dotstuff_init_raw) */

static void convert(const char *in, size_t len, unsigned long cuts, struct buf *out)
{
	struct dotstuff d;
	size_t start = 0;

	if (raw_mode)
		dotstuff_init_raw(&d);
	else
		dotstuff_init(&d);
	dotstuff_feed(&d, in, 0, out);
	for (size_t i = 0; i < len; i++) {
		if (i + 1 == len || (cuts >> i) & 1) {
			dotstuff_feed(&d, in + start, i + 1 - start, out);
			dotstuff_feed(&d, in + i + 1, 0, out);
			start = i + 1;
		}
	}
	dotstuff_finish(&d, out);
}

static void show(const char *label, const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r')
			buf_adds(&b, "\\r");
		else if (s[i] == '\n')
			buf_adds(&b, "\\n");
		else
			buf_add(&b, &s[i], 1);
	}
	printf("#   %s [%s]\n", label, b.data ? b.data : "");
	buf_release(&b);
}

/* Every split (all 2^(len-1) of them) must give want. */
static void check(const char *in, const char *want)
{
	size_t len = strlen(in);
	unsigned long nsplits = len > 1 ? 1UL << (len - 1) : 1;
	unsigned long bad = 0, first_bad = 0;
	struct buf out = BUF_INIT, first_out = BUF_INIT;

	for (unsigned long cuts = 0; cuts < nsplits; cuts++) {
		buf_reset(&out);
		convert(in, len, cuts, &out);
		if (out.len != strlen(want) || (out.len && memcmp(out.data, want, out.len))) {
			if (!bad++) {
				first_bad = cuts;
				buf_add(&first_out, out.data, out.len);
			}
		}
	}
	if (!ok(bad == 0, "all %lu splits of input (%zu bytes) convert correctly", nsplits, len)) {
		show("input", in, len);
		printf("#   %lu bad splits, first cut mask %#lx\n", bad, first_bad);
		show("got ", first_out.data, first_out.len);
		show("want", want, strlen(want));
	}
	buf_release(&out);
	buf_release(&first_out);
}

/* A byte-at-a-time reference the streaming code must agree with. */
static void reference(const char *in, size_t len, struct buf *out)
{
	int bol = 1;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
				i++;
			buf_adds(out, "\r\n");
			bol = 1;
			continue;
		}
		if (bol && in[i] == '.')
			buf_adds(out, ".");
		buf_add(out, &in[i], 1);
		bol = 0;
	}
	if (!bol)
		buf_adds(out, "\r\n");
	buf_adds(out, ".\r\n");
}

int main(void)
{
	/* The cases the brief names, and their neighbours. */
	check("", ".\r\n");
	check(".", "..\r\n.\r\n");
	check(".\n", "..\r\n.\r\n");
	check("\r\n.\r\n", "\r\n..\r\n.\r\n");
	check("a\r", "a\r\n.\r\n");
	check("\r\n", "\r\n.\r\n");
	check("\r", "\r\n.\r\n");
	check("\n", "\r\n.\r\n");
	check("\r\r", "\r\n\r\n.\r\n");
	check("\n\r", "\r\n\r\n.\r\n");
	check("\r\n\r\n", "\r\n\r\n.\r\n");
	check("\n\n", "\r\n\r\n.\r\n");
	check("a", "a\r\n.\r\n");
	check("abc", "abc\r\n.\r\n");
	check("a\nb", "a\r\nb\r\n.\r\n");
	check("a\r\nb\r\n", "a\r\nb\r\n.\r\n");
	check("a\rb\rc", "a\r\nb\r\nc\r\n.\r\n");
	check("a.b\n.c\n..d\n", "a.b\r\n..c\r\n...d\r\n.\r\n");
	check(".\r.\r\n.\n.", "..\r\n..\r\n..\r\n..\r\n.\r\n");
	check("x\r\r\n.\r", "x\r\n\r\n..\r\n.\r\n");
	check("Subject: hi\n\nbody\n.\n", "Subject: hi\r\n\r\nbody\r\n..\r\n.\r\n");
	check(" .\n", " .\r\n.\r\n");
	check("\r\n\n\r.", "\r\n\r\n\r\n..\r\n.\r\n");

	/* Random inputs over a small alphabet, every split, against the
	 * reference. */
	{
		static const char alpha[] = "\r\n.a";
		unsigned seed = 12345;
		int all = 1;

		for (int t = 0; t < 300 && all; t++) {
			char in[13];
			size_t len = (size_t)(t % 13);
			struct buf want = BUF_INIT;

			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				in[i] = alpha[(seed >> 16) % 4];
			}
			in[len] = '\0';
			reference(in, len, &want);
			for (unsigned long cuts = 0; cuts < (len > 1 ? 1UL << (len - 1) : 1); cuts++) {
				struct buf got = BUF_INIT;

				convert(in, len, cuts, &got);
				if (got.len != want.len || memcmp(got.data, want.data, got.len)) {
					all = 0;
					show("input", in, len);
					show("got ", got.data, got.len);
					show("want", want.data, want.len);
				}
				buf_release(&got);
				if (!all)
					break;
			}
			buf_release(&want);
		}
		ok(all, "300 random inputs agree with the reference under every split");
	}

	/* A long line passes through in one piece, untouched. */
	{
		struct buf in = BUF_INIT, out = BUF_INIT;
		struct dotstuff d;

		for (int i = 0; i < 100000; i++)
			buf_add(&in, "x", 1);
		dotstuff_init(&d);
		dotstuff_feed(&d, in.data, in.len, &out);
		dotstuff_finish(&d, &out);
		is_int(out.len, 100000 + 5, "a 100000-byte line gains only CRLF and the dot line");
		ok(!memcmp(out.data + 100000, "\r\n.\r\n", 5), "ending is CRLF . CRLF");
		buf_release(&in);
		buf_release(&out);
	}

	/* NUL and 8-bit bytes are data, not line ends. */
	{
		struct buf out = BUF_INIT;
		struct dotstuff d;

		dotstuff_init(&d);
		dotstuff_feed(&d, "a\0\xff\n.", 5, &out);
		dotstuff_finish(&d, &out);
		ok(out.len == 12 && !memcmp(out.data, "a\0\xff\r\n..\r\n.\r\n", 12),
		   "NUL and 0xff are kept");
		buf_release(&out);
	}

	/* finish resets: the converter can be reused for a second message. */
	{
		struct buf out = BUF_INIT;
		struct dotstuff d;

		dotstuff_init(&d);
		dotstuff_feed(&d, "a\r", 2, &out);
		dotstuff_finish(&d, &out);
		buf_reset(&out);
		dotstuff_feed(&d, "\n.", 2, &out);
		dotstuff_finish(&d, &out);
		is_str(out.data, "\r\n..\r\n.\r\n", "no CR is remembered across finish");
		buf_release(&out);
	}

	/* Raw mode (BDAT, RFC 3030): line ends only, no dot doubled, no
	 * terminator; every split gives the same bytes. */
	raw_mode = 1;
	check("", "");
	check(".", ".\r\n");
	check(".\n", ".\r\n");
	check("a.b\n.c\n..d\n", "a.b\r\n.c\r\n..d\r\n");
	check("Subject: hi\n\nbody\n.\n", "Subject: hi\r\n\r\nbody\r\n.\r\n");
	check(".\r.\r\n.\n.", ".\r\n.\r\n.\r\n.\r\n");
	check("a\r\nb", "a\r\nb\r\n");
	raw_mode = 0;

	/* What session.c relies on for BDAT: a spool of LF-terminated lines
	 * comes out as exactly bytes + lines octets. */
	{
		static const char spool[] = "From: a\n\n.\n..x\n\n.y\n";
		size_t lines = 0;
		struct buf out = BUF_INIT;
		struct dotstuff d;

		for (const char *p = spool; *p; p++)
			lines += *p == '\n';
		dotstuff_init_raw(&d);
		dotstuff_feed(&d, spool, sizeof(spool) - 1, &out);
		dotstuff_finish(&d, &out);
		is_int(out.len, sizeof(spool) - 1 + lines, "raw size is bytes + lines");
		buf_release(&out);
	}

	return tap_done();
}
