/* prompt.c - a password from the terminal with echo off, or the first line
 * of a descriptor.  The line passes through a fixed buffer only (never
 * realloc'ed), wiped before returning. */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define LINE_MAX_SECRET 4096		/* typed or piped password */

int prompt_read_line(int fd, struct secret *s, struct error *e)
{
	char line[LINE_MAX_SECRET];
	size_t n = 0;
	int rc = -1;

	for (;;) {
		ssize_t r = read(fd, line + n, 1);	/* byte by byte: read no further than the line */
		if (r < 0 && errno == EINTR) {
			error_set(e, ERR_INTERRUPTED, "interrupted while reading the password");
			goto out;
		}
		if (r < 0) {
			error_set(e, ERR_IO, "cannot read the password: %s", strerror(errno));
			goto out;
		}
		if (r == 0 || line[n] == '\n')
			break;
		if (++n == sizeof(line)) {
			error_set(e, ERR_USAGE, "the password is longer than %zu bytes", sizeof(line) - 1);
			goto out;
		}
	}
	if (secret_set_first_line(s, line, n, SECRET_PROMPT)) {
		error_set(e, ERR_USAGE, "no password given (an empty line)");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

int prompt_ask(const char *prompt, struct secret *s, struct error *e)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), rc = -1, restore = 0;

	if (fd < 0)
		return error_set(e, ERR_CONFIG, "cannot open the terminal to ask for the password: %s",
				 strerror(errno));
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	if (!restore) {
		error_set(e, ERR_CONFIG, "cannot turn off echo on the terminal; not asking for the password");
		goto out;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		error_set(e, ERR_IO, "cannot write to the terminal: %s", strerror(errno));
		goto out;
	}
	rc = prompt_read_line(fd, s, e);
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the answer was read */
	}
out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return rc;
}
