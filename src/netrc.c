/* netrc.c - ~/.netrc: a parser over untrusted text (netrc_find, a fuzz
 * target) and the file with its ownership and mode checks (netrc_lookup).
 *
 * The password passes through fixed-size buffers only (never realloc'ed,
 * which would leave copies in freed memory), all wiped before returning. */
#include "netrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define NETRC_MAX (1024 * 1024)		/* a bigger file is not a .netrc */
#define NETRC_TOKEN_MAX 4096		/* longer tokens are cut */

struct netrc_tok {
	const char *p, *end;
	int line;
};

/* The next token into out (at most outsz-1 bytes, NUL-terminated); quoted
 * tokens may hold blanks and backslash escapes.  keyword: a '#' at the start
 * of a keyword position starts a comment.  Returns 0 at the end of input. */
static int netrc_next(struct netrc_tok *t, char *out, size_t outsz, int keyword, int *line)
{
	size_t n = 0;

	for (;;) {
		/* A NUL counts as a blank (strchr finds the terminator). */
		while (t->p < t->end && strchr(" \t\r\n\f\v", *t->p)) {
			if (*t->p == '\n')
				t->line++;
			t->p++;
		}
		if (t->p < t->end && keyword && *t->p == '#') {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
			continue;
		}
		break;
	}
	if (t->p >= t->end)
		return 0;
	*line = t->line;
	if (*t->p == '"') {
		t->p++;
		while (t->p < t->end && *t->p != '"') {
			char c = *t->p++;
			if (c == '\\' && t->p < t->end) {
				c = *t->p++;
				c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
			}
			if (c == '\n')
				t->line++;
			if (n + 1 < outsz)
				out[n++] = c;
		}
		if (t->p < t->end)
			t->p++;
	} else {
		while (t->p < t->end && !strchr(" \t\r\n\f\v", *t->p)) {
			if (n + 1 < outsz)
				out[n++] = *t->p;
			t->p++;
		}
	}
	out[n] = '\0';
	return 1;
}

/* macdef: the macro runs to the next empty line. */
static void netrc_skip_macro(struct netrc_tok *t)
{
	while (t->p < t->end && *t->p != '\n')	/* rest of the macdef line */
		t->p++;
	while (t->p < t->end) {
		const char *nl;
		t->p++;			/* the '\n' */
		t->line++;
		if (t->p < t->end && *t->p == '\n')
			return;		/* an empty line ends it */
		nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
		t->p = nl ? nl : t->end;
	}
}

struct netrc_entry {
	int is_default, matches_host;
	int has_login, login_ok;
	int has_password, password_line;
	char password[NETRC_TOKEN_MAX];
};

static int netrc_entry_usable(const struct netrc_entry *en)
{
	return (en->matches_host || en->is_default) && (!en->has_login || en->login_ok) &&
	       en->has_password;
}

int netrc_find(const char *text, size_t len, const char *host, const char *user,
	       struct secret *s, int *pw_line)
{
	struct netrc_tok t = { text, text + len, 1 };
	struct netrc_entry cur, best_default;
	char tok[NETRC_TOKEN_MAX];
	int in_entry = 0, have_default = 0, found = 0, line = 0;

	memset(&cur, 0, sizeof(cur));
	memset(&best_default, 0, sizeof(best_default));
	for (;;) {
		int more = netrc_next(&t, tok, sizeof(tok), 1, &line);
		int starts = more && (!strcmp(tok, "machine") || !strcmp(tok, "default"));

		if (!more || starts) {
			/* The entry before ends here: the first machine that fits
			 * wins; default only when no machine fits. */
			if (in_entry && netrc_entry_usable(&cur)) {
				if (cur.matches_host) {
					found = 1;
					break;
				}
				if (!have_default) {
					best_default = cur;
					have_default = 1;
				}
			}
			if (!more)
				break;
			memset(&cur, 0, sizeof(cur));
			in_entry = 1;
			if (!strcmp(tok, "default")) {
				cur.is_default = 1;
			} else if (netrc_next(&t, tok, sizeof(tok), 0, &line)) {
				cur.matches_host = !strcasecmp(tok, host);
			}
			continue;
		}
		if (!strcmp(tok, "macdef")) {
			netrc_next(&t, tok, sizeof(tok), 0, &line);	/* its name */
			netrc_skip_macro(&t);
		} else if (!strcmp(tok, "login")) {
			if (netrc_next(&t, tok, sizeof(tok), 0, &line)) {
				cur.has_login = 1;
				cur.login_ok = user && !strcmp(tok, user);
			}
		} else if (!strcmp(tok, "password")) {
			if (netrc_next(&t, tok, sizeof(tok), 0, &line) && !cur.has_password) {
				cur.has_password = 1;
				cur.password_line = line;
				memcpy(cur.password, tok, sizeof(cur.password));
			}
		} else if (!strcmp(tok, "account") || !strcmp(tok, "port")) {
			netrc_next(&t, tok, sizeof(tok), 0, &line);	/* its value */
		}
		/* anything else: ignored, as curl does */
	}
	if (!found && have_default) {
		cur = best_default;
		found = 1;
	}
	if (found && cur.password[0]) {
		secret_set(s, cur.password, strlen(cur.password), SECRET_NETRC);
		*pw_line = cur.password_line;
	} else {
		found = 0;
	}
	OPENSSL_cleanse(&cur, sizeof(cur));
	OPENSSL_cleanse(&best_default, sizeof(best_default));
	OPENSSL_cleanse(tok, sizeof(tok));
	return found;
}

int netrc_lookup(const struct account *a, struct secret *s, struct buf *why, struct error *e)
{
	char *home = home_dir(), *path = NULL, *text = NULL;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = -1, rc = 0, pw_line = 0;

	if (!home) {
		buf_adds(why, "~/.netrc: no home directory");
		goto out;
	}
	path = xasprintf("%s/.netrc", home);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		buf_addf(why, "%s: %s", path, errno == ENOENT ? "no such file" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > NETRC_MAX) {
		buf_addf(why, "%s: not a regular file of at most 1 MiB; ignored", path);
		goto out;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	       ((n = read(fd, text + got, (size_t)st.st_size - got)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	if (!netrc_find(text, got, a->host, a->user, s, &pw_line)) {
		buf_addf(why, "%s: no entry for machine %s login %s", path, a->host, a->user);
		goto out;
	}
	/* Like the configuration: a password others can read is refused. */
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		secret_release(s);
		if (st.st_uid != geteuid())
			error_set(e, ERR_CONFIG,
				  "%s holds the password for %s but belongs to another user (uid %u); "
				  "chown it to yourself and chmod 600 %s",
				  path, a->host, (unsigned)st.st_uid, path);
		else
			error_set(e, ERR_CONFIG,
				  "%s holds the password for %s but others can read it (mode %04o); run: chmod 600 %s",
				  path, a->host, (unsigned)(st.st_mode & 07777), path);
		rc = -1;
		goto out;
	}
	snprintf(s->desc, sizeof(s->desc), "%s (line %d)", path, pw_line);
	rc = 1;
out:
	if (fd >= 0)
		close(fd);
	if (text) {
		OPENSSL_cleanse(text, (size_t)st.st_size + 1);
		free(text);
	}
	free(path);
	free(home);
	return rc;
}
