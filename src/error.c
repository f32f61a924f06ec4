#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

void error_clear(struct error *e)
{
	if (!e)
		return;
	e->cls = ERR_NONE;
	e->smtp_code = 0;
	e->enhanced[0] = '\0';
	e->msg[0] = '\0';
}

int error_set(struct error *e, enum error_class cls, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->cls = cls;
	e->smtp_code = 0;
	e->enhanced[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int error_prefix(struct error *e, const char *fmt, ...)
{
	char old[ERROR_MSG_MAX], pre[ERROR_MSG_MAX];
	va_list ap;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	/* Concatenate by hand: the result is cut at the buffer's end. */
	size_t n = strlen(pre), o = strlen(old);
	if (n > sizeof(e->msg) - 3)
		n = sizeof(e->msg) - 3;
	memcpy(e->msg, pre, n);
	memcpy(e->msg + n, ": ", 2);
	if (o > sizeof(e->msg) - n - 3)
		o = sizeof(e->msg) - n - 3;
	memcpy(e->msg + n + 2, old, o);
	e->msg[n + 2 + o] = '\0';
	return -1;
}

const char *error_class_name(enum error_class cls)
{
	static const char *const names[] = {
		[ERR_NONE] = "none",
		[ERR_USAGE] = "usage",
		[ERR_DATA] = "data",
		[ERR_NOUSER] = "recipient",
		[ERR_UNAVAILABLE] = "unavailable",
		[ERR_TEMP] = "temporary",
		[ERR_TLS] = "tls",
		[ERR_PROTOCOL] = "protocol",
		[ERR_AUTH] = "auth",
		[ERR_CONFIG] = "config",
		[ERR_IO] = "io",
		[ERR_OS] = "os",
		[ERR_INTERNAL] = "internal",
		[ERR_INTERRUPTED] = "interrupted",
	};

	if ((unsigned)cls >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[cls];
}

/* The one table from error classes to exit codes (see postern(1)).  A
 * temporary failure is 69 here: 75 says "queued" (EX_TEMPFAIL, after
 * sendmail), so only submit.c gives it, once the message is safe in the
 * queue; without a queue the message went to dead.letter, and 75 would
 * make callers believe it will still be sent. */
static const int exit_codes[] = {
	[ERR_NONE] = EX_OK,
	[ERR_USAGE] = EX_USAGE,
	[ERR_DATA] = EX_DATAERR,
	[ERR_NOUSER] = EX_NOUSER,
	[ERR_UNAVAILABLE] = EX_UNAVAILABLE,
	[ERR_TEMP] = EX_UNAVAILABLE,
	[ERR_TLS] = EX_UNAVAILABLE,
	[ERR_PROTOCOL] = EX_PROTOCOL,
	[ERR_AUTH] = EX_NOPERM,
	[ERR_CONFIG] = EX_CONFIG,
	[ERR_IO] = EX_IOERR,
	[ERR_OS] = EX_OSERR,
	[ERR_INTERNAL] = EX_SOFTWARE,
	/* Not used as such: main dies by the signal.  Were it used, "not
	 * sent" is the truth (75 would claim the message was queued). */
	[ERR_INTERRUPTED] = EX_UNAVAILABLE,
};

int error_exit_code(enum error_class cls)
{
	if ((unsigned)cls >= sizeof(exit_codes) / sizeof(exit_codes[0]))
		return EX_SOFTWARE;
	return exit_codes[cls];
}
