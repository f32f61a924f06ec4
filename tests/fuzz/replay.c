/* A stand-in for libFuzzer's driver: run the harness over every file named
 * on the command line (the seed corpus), so `make check` replays it with
 * any compiler.  --enable-fuzzers links the real libFuzzer instead. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0, n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		do {
			if (len + 4096 > cap) {
				cap = (len + 4096) * 2;
				buf = realloc(buf, cap);
				if (!buf)
					return 1;
			}
			n = fread(buf + len, 1, 4096, f);
			len += n;
		} while (n);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	return 0;
}
