/* libFuzzer harness: autoconfig_parse() on arbitrary bytes (a document
 * from whoever answers for autoconfig.DOMAIN).  The contract checked: a
 * server that parsed has a plain host name, a port in 1-65535, TLS
 * (never cleartext), and a user and authentication without control
 * characters (they go into the configuration file). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "discover.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly size bytes, so that ASan catches a read past the end */
	char *doc = malloc(size ? size : 1);
	struct autoconfig ac;
	struct error e;

	if (!doc)
		return 0;
	memcpy(doc, data, size);
	error_clear(&e);
	if (autoconfig_parse(doc, size, "alice@example.org", &ac, &e) == 0) {
		if (!discover_host_ok(ac.host) || ac.port < 1 || ac.port > 65535 ||
		    ac.tls == ACCOUNT_TLS_OFF || has_control(ac.user) || has_control(ac.auth))
			abort();
	} else if (e.cls != ERR_PROTOCOL || has_control(e.msg)) {
		abort();
	}
	free(doc);
	return 0;
}
