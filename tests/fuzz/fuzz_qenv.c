/* libFuzzer harness: the queue envelope parser on arbitrary bytes.  The
 * contract: whatever qenv_parse accepts, qenv_format writes back byte for
 * byte (the parser accepts only the canonical form, so nothing is lost or
 * guessed), and that text parses again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes (no NUL added), so that ASan catches
	 * any read past the end. */
	char *text = malloc(size ? size : 1);
	struct buf out = BUF_INIT;
	struct qenv env, again;
	struct error e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (qenv_parse(text, size, &env, &e) == 0) {
		if (qenv_format(&env, &out, &e) || out.len != size || memcmp(out.data, text, size))
			abort();
		if (qenv_parse(out.data, out.len, &again, &e))
			abort();
		qenv_release(&again);
	} else if (env.nrcpt || !env.account || *env.account) {
		abort();	/* a failed parse leaves env empty */
	}
	qenv_release(&env);
	buf_release(&out);
	free(text);
	return 0;
}
