/* libFuzzer harness: the .netrc parser on arbitrary bytes (NULs, unclosed
 * quotes, a macdef without its empty line, tokens past the 4 KiB cut),
 * looked up for a few host/user pairs, a NULL user included. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netrc.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "mail.example.org", "MAIL.EXAMPLE.ORG", "" };
	static const char *const users[] = { "alice@example.org", NULL, "" };
	/* A copy of exactly size bytes (no NUL added), so that ASan catches
	 * any read past the end. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	for (size_t i = 0; i < 3; i++) {
		struct secret s;
		int line = 0;

		secret_init(&s);
		if (netrc_find(text, size, hosts[i], users[i], &s, &line)) {
			/* The contract: a non-empty, NUL-terminated password and
			 * a line inside the text. */
			if (!s.value || !s.len || strlen(s.value) != s.len || line < 1)
				abort();
		} else if (s.value) {
			abort();
		}
		secret_release(&s);
	}
	free(text);
	return 0;
}
