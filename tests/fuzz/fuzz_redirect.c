/* libFuzzer harness: what reaches postern oauth2 authorize from a browser
 * or a terminal -- the request line (oauth2_request_target) and the query
 * of a target or a pasted URL (oauth2_redirect_parse) -- on arbitrary
 * bytes: NULs, cut and bad percent escapes, parameters twice, no line end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth2_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes (no NUL added), so that ASan catches
	 * any read past the end. */
	char *text = malloc(size ? size : 1);
	const char *target = NULL;
	struct oauth2_redirect r;
	struct error e;
	int complete = -1;
	long n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	n = oauth2_request_target(text, size, &target, &complete);
	if (n >= 0 && (!complete || target != text + 4 || (size_t)n + 4 > size))
		abort();
	oauth2_redirect_init(&r);
	if (!oauth2_redirect_parse(text, size, &r, &e)) {
		/* The contract: decoded values are C strings without a NUL
		 * inside, and has_query says whether one of them came. */
		if (strlen(r.code.data) != r.code.len)
			abort();
		if (!r.has_query && (r.code.len || r.state || r.error || r.error_description))
			abort();
	} else if (r.code.len || r.state || r.error || r.error_description || r.has_query) {
		abort();
	}
	oauth2_redirect_release(&r);
	free(text);
	return 0;
}
