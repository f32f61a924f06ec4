/* libFuzzer harness: the aliases file parser on arbitrary bytes (NULs,
 * continuation lines with nothing to continue, quotes and angle brackets
 * left open, loops and fan-outs), then the expansion of a few names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "root", "a", "default", "" };
	/* exactly size bytes, no NUL added: ASan catches a read past the end */
	char *text = malloc(size ? size : 1);
	struct aliases al;
	struct buf warn = BUF_INIT;
	struct error e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	aliases_init(&al);
	if (aliases_parse(&al, "fuzz", text, size, &warn, &e) == 0) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct strvec out = STRVEC_INIT;
			int r = aliases_expand(&al, names[i], &out, &e);

			/* the contract: no entry leaves out alone; at most the
			 * bound; every address non-empty */
			if ((r == 0 && out.n) || out.n > ALIASES_EXPAND_MAX)
				abort();
			for (size_t k = 0; k < out.n; k++)
				if (!*out.v[k])
					abort();
			strvec_release(&out);
		}
	}
	buf_release(&warn);
	aliases_release(&al);
	free(text);
	return 0;
}
