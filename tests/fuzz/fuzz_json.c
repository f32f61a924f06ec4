/* libFuzzer harness: a token endpoint's answer (oauth2_grant_parse, and
 * through it json.c over jansson) on arbitrary bytes, with the statuses
 * that take different paths.  The contract checked: a grant that parsed
 * holds a token in RFC 6750's set, and the provider's error text is
 * escaped (no control character left). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "oauth2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 503 };
	/* exactly size bytes, so that ASan catches a read past the end */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct oauth2_grant g;
		struct error e;

		oauth2_grant_init(&g);
		if (oauth2_grant_parse(text, size, statuses[i], "idp.example", &g, &e) == 0) {
			if (!g.error && !oauth2_token_valid(g.access.data, g.access.len))
				abort();
			if (has_control(g.error) || has_control(g.error_description) || has_control(g.scope))
				abort();
		}
		oauth2_grant_release(&g);
	}
	free(text);
	return 0;
}
