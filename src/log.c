#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int log_verbose;

static void vlog(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void vlog(const char *fmt, va_list ap)
{
	char msg[2048];
	struct buf out = BUF_INIT;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	buf_adds(&out, "postern: ");
	buf_add_escaped(&out, msg, strlen(msg));
	buf_add(&out, "\n", 1);
	fwrite(out.data, 1, out.len, stderr);
	buf_release(&out);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_trace(void *ctx, char dir, const char *line, size_t len)
{
	struct buf out = BUF_INIT;

	(void)ctx;
	if (!log_verbose || (dir == '=' && log_verbose < 2))
		return;
	buf_adds(&out, dir == '<' ? "<-- " : dir == '>' ? "--> " : "    [state] ");
	buf_add_escaped(&out, line, len);
	buf_add(&out, "\n", 1);
	fwrite(out.data, 1, out.len, stderr);
	buf_release(&out);
}
