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
	ok(s && strlen(s) == 10000 && b.data == NULL, "detach hands over");
	free(s);
	buf_adds(&b, "secret");
	buf_wipe_release(&b);
	ok(b.data == NULL && b.len == 0, "wipe_release empties");

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
	return tap_done();
}
