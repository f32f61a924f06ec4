/* libFuzzer harness: the configuration parser on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct error e;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_init(&c);
	if (config_parse_string(&c, "fuzz.ini", text, &e) == 0) {
		const char *names[] = { NULL, "a", "work", "defaults" };
		for (size_t i = 0; i < 4; i++)
			config_select(&c, names[i], i % 2 ? "a@b" : NULL, "c@d", &e);
	}
	config_release(&c);
	free(text);
	return 0;
}
