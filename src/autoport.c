#include "autoport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define AUTOPORT_FILE "auto-ports"
#define AUTOPORT_FILE_MAX (64 * 1024)

static const unsigned race_ports[AUTOPORT_N] = { 465, 587, 2525 };

void autoport_order(unsigned remembered, unsigned out[AUTOPORT_N])
{
	size_t n = 0, i;

	for (i = 0; i < AUTOPORT_N && race_ports[i] != remembered; i++)
		;
	if (i < AUTOPORT_N)
		out[n++] = remembered;
	for (i = 0; i < AUTOPORT_N; i++)
		if (race_ports[i] != remembered)
			out[n++] = race_ports[i];
}

enum account_tls autoport_tls(unsigned port)
{
	return port == 465 ? ACCOUNT_TLS_IMPLICIT : ACCOUNT_TLS_STARTTLS;
}

/* Split one line "account host port" (fields without blanks). */
static int parse_line(const char *s, size_t len, char *acc, char *host, unsigned *port)
{
	char line[600], tail;

	if (len >= sizeof(line))
		return -1;
	memcpy(line, s, len);
	line[len] = '\0';
	if (sscanf(line, "%255s %255s %u %c", acc, host, port, &tail) != 3)
		return -1;
	return 0;
}

/* The port text holds for account at host; the other accounts' lines
 * copied into keep (may be NULL). */
static unsigned lookup_or_copy(const char *text, const char *account, const char *host,
			       struct buf *keep)
{
	unsigned found = 0;

	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char acc[256], h[256];
		unsigned port;

		if (parse_line(s, len, acc, h, &port) == 0) {
			if (!strcmp(acc, account)) {
				if (!strcmp(h, host) && (port == 465 || port == 587 || port == 2525))
					found = port;
			} else if (keep) {
				buf_add(keep, s, len);
				buf_adds(keep, "\n");
			}
		}
		s = nl ? nl + 1 : NULL;
	}
	return found;
}

unsigned autoport_lookup(const char *text, const char *account, const char *host)
{
	return lookup_or_copy(text, account, host, NULL);
}

char *autoport_update(const char *text, const char *account, const char *host, unsigned port)
{
	struct buf b = BUF_INIT;

	lookup_or_copy(text, account, host, &b);
	buf_addf(&b, "%s %s %u\n", account, host, port);
	return buf_detach(&b);
}

static char *file_path(void)
{
	char *dir = state_dir(), *p;

	if (!dir)
		return NULL;
	p = xasprintf("%s/" AUTOPORT_FILE, dir);
	free(dir);
	return p;
}

static char *read_small(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < AUTOPORT_FILE_MAX)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	return buf_detach(&b);
}

unsigned autoport_load(const struct account *a)
{
	char *path = file_path(), *text = path ? read_small(path) : NULL;
	unsigned port = text ? autoport_lookup(text, a->name, a->host) : 0;

	free(text);
	free(path);
	return port;
}

int autoport_save(const struct account *a, unsigned port, struct error *e)
{
	char *dir = state_dir(), *path = NULL, *tmp = NULL, *old = NULL, *text = NULL;
	struct buf why = BUF_INIT;
	int fd = -1, rc = -1;

	if (!dir) {
		error_set(e, ERR_IO, "no home directory for the state directory");
		goto out;
	}
	if (mkdir_private(dir, &why)) {
		error_set(e, ERR_IO, "%s", why.data);
		goto out;
	}
	path = xasprintf("%s/" AUTOPORT_FILE, dir);
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	old = read_small(path);
	text = autoport_update(old ? old : "", a->name, a->host, port);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0) {
		error_set(e, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_set(e, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_set(e, ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&why);
	free(text);
	free(old);
	free(tmp);
	free(path);
	free(dir);
	return rc;
}
