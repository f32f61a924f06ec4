/* secret.c - the one struct that holds a password, the order in which
 * the sources are asked (config, password_command, keyring, .netrc,
 * terminal), and the terminal prompt itself.  The sources live in
 * pwcommand.c, keyring.c and netrc.c.
 *
 * Every buffer that may hold a password is fixed in size (never realloc'ed,
 * which would leave copies behind in freed memory) and wiped before it is
 * freed. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyring.h"
#include "netrc.h"
#include "pwcommand.h"

#define LINE_MAX_SECRET 4096		/* typed or piped password */

void secret_init(struct secret *s)
{
	memset(s, 0, sizeof(*s));
}

void secret_release(struct secret *s)
{
	if (s->value) {
		OPENSSL_cleanse(s->value, s->len);
		free(s->value);
	}
	secret_init(s);
}

void secret_set(struct secret *s, const char *p, size_t n, enum secret_source src)
{
	s->value = xmalloc(n + 1);
	memcpy(s->value, p, n);
	s->value[n] = '\0';
	s->len = n;
	s->source = src;
}

const char *secret_source_name(enum secret_source src)
{
	switch (src) {
	case SECRET_CONFIG: return "config";
	case SECRET_COMMAND: return "password_command";
	case SECRET_KEYRING: return "keyring";
	case SECRET_NETRC: return "netrc";
	case SECRET_PROMPT: return "prompt";
	case SECRET_NONE: break;
	}
	return "none";
}

void secret_protect_process(void)
{
	struct rlimit rl = { 0, 0 };

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &rl);
}

int secret_set_first_line(struct secret *s, const char *p, size_t n, enum secret_source src)
{
	const char *nl = memchr(p, '\n', n);
	size_t len = nl ? (size_t)(nl - p) : n;

	while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (!len || memchr(p, '\0', len))
		return -1;
	secret_set(s, p, len, src);
	return 0;
}

/* ---------------------------------------------------------------- prompt */

int secret_read_line_fd(int fd, struct secret *s, struct error *e)
{
	char line[LINE_MAX_SECRET];
	size_t n = 0;
	int rc = -1;

	for (;;) {
		ssize_t r = read(fd, line + n, 1);	/* byte by byte: read no further than the line */
		if (r < 0 && errno == EINTR) {
			error_set(e, ERR_TEMP, "interrupted while reading the password");
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

int secret_prompt(const char *prompt, struct secret *s, struct error *e)
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
	rc = secret_read_line_fd(fd, s, e);
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the answer was read */
	}
out:
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- lookup */

int secret_lookup(const struct account *a, const struct secret_opts *o, struct secret *s,
		  struct error *e)
{
	struct buf why = BUF_INIT;
	int rc = -1, r;

	secret_release(s);
	if (a->password) {
		secret_set(s, a->password, strlen(a->password), SECRET_CONFIG);
		snprintf(s->desc, sizeof(s->desc), "the configuration (password, line %d)",
			 a->password_line);
		return 0;
	}
	if (a->password_command)
		return pwcommand_run(a, o && o->command_timeout ? o->command_timeout : 30,
				     !(o && o->allow_prompt), s, e);
	if (!a->user || !a->host)
		return error_set(e, ERR_CONFIG,
				 "no password for account [%s]: it has no user (or host) to look one up; "
				 "add user = ... to [%s]", a->name, a->name);

	if (keyring_lookup(a, s, &why)) {
		rc = 0;
		goto out;
	}
	buf_adds(&why, "; ");
	r = netrc_lookup(a, s, &why, e);
	if (r < 0)
		goto out;
	if (r > 0) {
		rc = 0;
		goto out;
	}
	if (o && o->allow_prompt) {
		char *prompt = xasprintf("Password for %s at %s: ", a->user, a->host);
		struct error pe;

		error_clear(&pe);
		r = secret_prompt(prompt, s, &pe);
		free(prompt);
		if (r == 0) {
			s->source = SECRET_PROMPT;
			snprintf(s->desc, sizeof(s->desc), "the terminal");
			rc = 0;
			goto out;
		}
		buf_addf(&why, "; the terminal: %s", pe.msg);
	} else {
		buf_adds(&why, "; no terminal to ask on");
	}
	error_set(e, ERR_CONFIG,
		  "no password for account [%s] (%s at %s): %s.  Store one with: postern password set %s "
		  "(or set password_command, or password in a config file only you can read)",
		  a->name, a->user, a->host, why.data, a->name);
out:
	buf_release(&why);
	return rc;
}
