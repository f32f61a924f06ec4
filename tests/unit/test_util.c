/* util and error: the buffer, the vector, error_prefix truncation. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tap.h"
#include "util.h"

int main(void)
{
	struct buf b = BUF_INIT;
	struct strvec sv = STRVEC_INIT;
	struct error e;
	char big[3000];
	char *s;

	buf_adds(&b, "hello");
	buf_addf(&b, " %d", 42);
	is_str(b.data, "hello 42", "buf_add/addf");
	buf_consume(&b, 6);
	is_str(b.data, "42", "buf_consume");
	buf_consume(&b, 10);
	is_int((long long)b.len, 0, "consume past end empties");
	for (int i = 0; i < 10000; i++)
		buf_add(&b, "x", 1);
	is_int((long long)b.len, 10000, "buf grows");
	s = buf_detach(&b);
	ok(s && strlen(s) == 10000 && b.data && !*b.data && b.len == 0, "detach hands over");
	free(s);
	s = buf_detach(&b);
	ok(s && !*s, "detach of an empty buffer gives a string of its own");
	free(s);
	buf_adds(&b, "secret");
	buf_wipe_release(&b);
	ok(b.data && !*b.data && b.len == 0 && b.cap == 0, "wipe_release empties");

	/* data is never NULL: an empty buffer is a valid empty string */
	{
		struct buf e0 = BUF_INIT, e1;

		buf_init(&e1);
		ok(e0.data && !*e0.data && e1.data && !*e1.data, "an empty buffer is \"\"");
		buf_reset(&e0);
		buf_consume(&e1, 3);
		ok(!*e0.data && !*e1.data && !e0.cap && !e1.cap, "reset and consume leave it alone");
		buf_release(&e0);
	}

	/* a secret buffer leaves no copy behind when it grows: the old block
	 * is wiped before it is freed (checked through a copy of the pointer
	 * under ASan would be use-after-free, so check the contents the
	 * moment before: the new block holds everything, the flag stays) */
	{
		struct buf sb = BUF_INIT_SECRET;
		size_t caps = 0, last = 0;

		for (int i = 0; i < 5000; i++) {
			buf_add(&sb, "p", 1);
			if (sb.cap != last)
				caps++, last = sb.cap;
		}
		ok(sb.len == 5000 && strspn(sb.data, "p") == 5000 && caps > 3,
		   "a secret buffer grows and keeps its bytes (%zu blocks)", caps);
		buf_release(&sb);
		ok(sb.secret && sb.len == 0 && sb.cap == 0, "release keeps it a secret buffer");
	}

	strvec_push(&sv, "A@x");
	strvec_push(&sv, "b@x");
	is_int(strvec_find_icase(&sv, "a@X"), 0, "find_icase");
	is_int(strvec_find_icase(&sv, "c@x"), -1, "find_icase miss");
	ok(sv.v[sv.n] == NULL, "NULL-terminated");
	strvec_release(&sv);

	s = xasprintf("%s-%d", "a", 1);
	is_str(s, "a-1", "xasprintf");
	free(s);

	is_int(error_set(&e, ERR_TEMP, "conn %s", "refused"), -1, "error_set returns -1");
	error_prefix(&e, "host %s", "x");
	is_str(e.msg, "host x: conn refused", "error_prefix");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_set(&e, ERR_TEMP, "%s", big);
	error_prefix(&e, "%s", big);
	ok(strlen(e.msg) == ERROR_MSG_MAX - 1, "error_prefix truncates safely");
	is_str(error_class_name(ERR_AUTH), "auth", "class name");

	/* the one escaping policy */
	{
		static const struct { const char *in, *want, *name; } cases[] = {
			{ "plain text", "plain text", "ASCII passes" },
			{ "a\r\nb", "a\\x0d\\x0ab", "CR and LF escaped" },
			{ "\x1b[2Jx", "\\x1b[2Jx", "ESC (terminal sequence) escaped" },
			{ "del\x7f", "del\\x7f", "DEL escaped" },
			{ "caf\xc3\xa9", "caf\xc3\xa9", "UTF-8 passes" },
			{ "\xc2\x9b" "31m", "\\xc2\\x9b31m", "C1 CSI escaped" },
			{ "\x9b" "31m", "\\x9b31m", "a lone 8-bit CSI escaped" },
			{ "\xe2\x80\xae" "evil", "\\u{202e}evil", "bidi override escaped" },
			{ "\xff\xfe", "\\xff\\xfe", "not UTF-8 escaped" },
		};
		char small[16];

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct buf eb = BUF_INIT;

			buf_add_escaped(&eb, cases[i].in, strlen(cases[i].in));
			is_str(eb.data, cases[i].want, cases[i].name);
			buf_release(&eb);
		}
		is_str(str_escape(small, sizeof(small), "0123456789abcdefghij", 20),
		       "0123456789ab...", "str_escape cuts with ...");
		is_str(str_escape(small, sizeof(small), "\n\n\n\n\n", 5),
		       "\\x0a\\x0a\\x0a...", "str_escape never cuts an escape in half");
		is_str(str_escape(small, sizeof(small), "short", 5), "short", "str_escape fits");
	}
	return tap_done();
}
