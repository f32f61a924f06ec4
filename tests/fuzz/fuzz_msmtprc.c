/* libFuzzer harness: msmtp's configuration language on arbitrary bytes
 * (long lines, NULs, quotes, account inheritance chains, every command
 * with odd arguments), then the conversion: whatever import_convert()
 * writes must be a configuration postern itself accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_import.h"
#include "config.h"
#include "msmtprc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes (no NUL added), so that ASan catches
	 * any read past the end. */
	char *text = malloc(size ? size : 1);
	struct msmtprc m;
	struct error e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	msmtprc_init(&m);
	if (msmtprc_parse(&m, "fuzz", text, size, &e) == 0) {
		struct buf ini = BUF_INIT_SECRET, warnings = BUF_INIT;
		int n = import_convert(&m, "fuzz", "/home/fuzz", &ini, &warnings, &e);

		if (n > 0) {
			struct config c;

			config_init(&c);
			if (config_parse_string(&c, "converted", ini.data, &e) || c.n != (size_t)n)
				abort();
			config_release(&c);
		} else if (n == 0 || ini.len) {
			abort();
		}
		buf_release(&ini);
		buf_release(&warnings);
	}
	msmtprc_release(&m);
	free(text);
	return 0;
}
