/* fuzz_addr.c - libFuzzer harness for the address parsers: any bytes must
 * give 0 or -1 with a message, never a crash or an out-of-bounds read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec sv = STRVEC_INIT;
	struct error e;
	char *s = xmalloc(size + 1);
	char *one = NULL;

	memcpy(s, data, size);
	s[size] = '\0';

	error_clear(&e);
	if (addr_parse_list(s, &sv, &e) < 0) {
		if (e.cls != ERR_DATA || !e.msg[0] || sv.n)
			abort();
	}
	/* Every address found must survive or be refused by the envelope
	 * check, which must never let a line end through. */
	for (size_t i = 0; i < sv.n; i++) {
		if (addr_check_envelope(sv.v[i], "recipient", &e) == 0 &&
		    (strchr(sv.v[i], '\r') || strchr(sv.v[i], '\n') || sv.v[i][0] == '-'))
			abort();
	}
	strvec_release(&sv);

	error_clear(&e);
	if (addr_parse_mailbox(s, &one, &e) == 0) {
		if (!one)
			abort();
		addr_check_envelope(one, "envelope sender", &e);
	} else if (one || e.cls != ERR_DATA) {
		abort();
	}
	free(one);

	error_clear(&e);
	if (addr_check_envelope(s, "recipient", &e) == 0 &&
	    (strpbrk(s, "\r\n<>") || strlen(s) > 254))
		abort();

	/* Qualifying bare names: a changed value still parses, to as many
	 * addresses, each with a domain. */
	{
		int n = addr_qualify_list(s, "example.org", &one);

		if ((n > 0) != (one != NULL))
			abort();
		if (one) {
			if (addr_parse_list(one, &sv, NULL) < 0)
				abort();
			for (size_t i = 0; i < sv.n; i++)
				if (!strchr(sv.v[i], '@'))
					abort();
			strvec_release(&sv);
		}
		free(one);
		one = addr_display_name(s);
		free(one);
	}

	free(s);
	return 0;
}
