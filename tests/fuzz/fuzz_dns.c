/* libFuzzer harness: dns_parse_answer() and dns_pick() on arbitrary bytes
 * (a DNS answer for setup's SRV and MX lookups, from the network).  The
 * contract checked: no more records than room, every target NUL-terminated
 * without control characters (dn_expand escapes them), and a picked record
 * a plain host name. */
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned types[] = { ns_t_srv, ns_t_mx };
	/* exactly size bytes, so that ASan catches a read past the end */
	unsigned char *msg = malloc(size ? size : 1);
	struct dns_rr rr[4];

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	for (size_t t = 0; t < 2; t++) {
		int n = dns_parse_answer(msg, size, types[t], rr, 4), best;

		if (n > 4)
			abort();
		for (int i = 0; i < n; i++)
			for (const char *p = rr[i].target; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					abort();
		best = n > 0 ? dns_pick(rr, (size_t)n) : -1;
		if (best >= 0 && !discover_host_ok(rr[best].target))
			abort();
	}
	free(msg);
	return 0;
}
