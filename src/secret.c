/* secret.c - struct secret: set, wiped, released; and keeping a process
 * that holds one from dumping core or being traced. */
#include "secret.h"

#include <stdlib.h>
#include <string.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>

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
	case SECRET_OAUTH2: return "oauth2";
	case SECRET_NONE: break;
	}
	return "none";
}

void secret_protect_process(void)
{
	struct rlimit rl = { 0, 0 };

#if defined(HAVE_PRCTL) && defined(PR_SET_DUMPABLE)
	/* Linux: no ptrace by the same user, no /proc/PID/mem */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
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
