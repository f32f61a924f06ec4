/* tap.h - a minimal TAP producer for the unit tests (automake's tap-driver).
 * Every check prints "ok N - name" or "not ok N - name"; tap_done() prints the
 * plan and returns the exit status.  A test program that runs no check fails. */
#ifndef POSTERN_TAP_H
#define POSTERN_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, name) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!ok(g_ == w_, "%s", name)) \
		printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)

#define is_str(got, want, name) do { \
	const char *g_ = (got), *w_ = (want); \
	int eq_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && !strcmp(g_, w_)); \
	if (!ok(eq_, "%s", name)) \
		printf("#   got  [%s]\n#   want [%s]\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline void tap_diag(const char *s) { printf("# %s\n", s); }

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_n == 0) {
		printf("# no checks ran\n");
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
