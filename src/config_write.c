/* config_write.c - see config_write.h. */
#include "config_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"

/* config.c's limits: the longest line inih is given, the largest file. */
#define LINE_MAX_OCTETS 199
#define FILE_MAX_OCTETS (256 * 1024)

int config_value_ok(const char *key, const char *value, const char **why)
{
	size_t n = strlen(value);
	const char *dummy;

	if (!why)
		why = &dummy;
	if (!n) {
		*why = "it is empty";
		return 0;
	}
	if (strlen(key) + 3 + n > LINE_MAX_OCTETS) {
		*why = "the line would be longer than 199 characters";
		return 0;
	}
	for (const char *p = value; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch < 0x20 || ch == 0x7f) {
			*why = "it holds a control character (a line break?)";
			return 0;
		}
		if ((ch == ';' || ch == '#') && p > value && (p[-1] == ' ' || p[-1] == '\t')) {
			*why = "\" ;\" or \" #\" would start a comment there";
			return 0;
		}
	}
	if (value[0] == ' ' || value[n - 1] == ' ') {
		*why = "it starts or ends with a blank";
		return 0;
	}
	return 1;
}

int config_section_name_ok(const char *name)
{
	if (!*name || strlen(name) > LINE_MAX_OCTETS - 2 || !strcasecmp(name, "defaults"))
		return 0;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '[' || *p == ']')
			return 0;
	return 1;
}

int config_section_add(struct buf *section, const char *key, const char *value,
		       struct error *e)
{
	const char *why;
	char shown[64];

	if (!config_value_ok(key, value, &why)) {
		str_escape(shown, sizeof(shown), value, strlen(value));
		return error_set(e, ERR_USAGE, "%s = %s cannot go into the configuration: %s", key,
				 shown, why);
	}
	buf_addf(section, "%s = %s\n", key, value);
	return 0;
}

/* Whether the text has a section header [name] (as config.c reads one:
 * at the start of a line, up to the first ']'). */
static int has_section(const char *text, const char *name)
{
	size_t k = strlen(name);

	for (const char *s = text; *s; ) {
		const char *nl = strchr(s, '\n');

		if (*s == '[' && !strncmp(s + 1, name, k) && s[1 + k] == ']')
			return 1;
		if (!nl)
			break;
		s = nl + 1;
	}
	return 0;
}

/* path's text into text and its stat into st: 1 read, 0 missing, -1 with e. */
static int read_existing(const char *path, struct buf *text, struct stat *st, struct error *e)
{
	int rc = file_read_bounded(path, FILE_MAX_OCTETS, text, st, e);

	if (rc == 1 && memchr(text->data, '\0', text->len))
		return error_set(e, ERR_CONFIG, "%s contains a NUL byte; is it a text file?", path);
	return rc;
}

/* The existing text with the new section must read as a configuration
 * (the new section is then known to work with [defaults] as it is); the
 * result into c. */
static int check_combined(const char *path, const char *text, const char *name,
			  const char *section, struct config *c, struct error *e)
{
	struct buf all = BUF_INIT_SECRET;
	int rc;

	if (has_section(text, name))
		return error_set(e, ERR_IO, "%s already has an account [%s]; nothing was changed "
				 "(choose another name with --account)", path, name);
	buf_adds(&all, text);
	if (all.len && all.data[all.len - 1] != '\n')
		buf_adds(&all, "\n");
	buf_adds(&all, section);
	rc = config_parse_string(c, path, all.data, e);
	buf_release(&all);
	return rc;
}

/* The checks before a write: the file (text, st; exists says whether
 * there is one) with the section must read as a configuration, and a
 * password goes only into the user's own file that nobody else may read. */
static int check_all(const char *path, const char *text, const struct stat *st, int exists,
		     const char *name, const char *section, int holds_password, struct config *c,
		     struct error *e)
{
	if (check_combined(path, text, name, section, c, e))
		return -1;
	if (!exists || !holds_password)
		return 0;
	if (st->st_uid != geteuid())
		return error_set(e, ERR_CONFIG, "%s belongs to another user (uid %u); a password goes "
				 "into your own file only", path, (unsigned)st->st_uid);
	if (st->st_mode & 077)
		return error_set(e, ERR_CONFIG, "%s may be read by others (mode %04o), so no password "
				 "goes into it; run: chmod 600 %s", path,
				 (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int config_preview_section(const char *path, const char *name, const char *section,
			   int holds_password, struct config *c, struct error *e)
{
	struct buf text = BUF_INIT_SECRET;
	struct stat st;
	int exists, rc = -1;

	exists = read_existing(path, &text, &st, e);
	if (exists >= 0)
		rc = check_all(path, text.data, &st, exists, name, section, holds_password, c, e);
	buf_release(&text);
	return rc;
}

/* The directory part of path ("." when none).  Caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* dir, created 0700 when it is missing.  Returns 0, or -1 with ERR_IO. */
static int ensure_dir(const char *dir, struct error *e)
{
	struct buf why = BUF_INIT;
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) < 0 && errno == ENOENT && mkdir_private(dir, &why) < 0)
		rc = error_set(e, ERR_IO, "%s", why.data);
	buf_release(&why);
	return rc;
}

/* A new or renamed name in dir reaches the disk with the directory. */
static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

/* Write head, a separator and tail to a temporary file next to path with
 * the given mode, make it durable, and rename it over path. */
static int write_atomic(const char *path, const char *head, size_t head_len, const char *tail,
			mode_t mode, struct error *e)
{
	char *dir = dir_of(path), *tmp = xasprintf("%s.XXXXXX", path);
	int fd, rc = -1;

	fd = mkstemp(tmp);
	if (fd < 0) {
		error_set(e, ERR_IO, "cannot create a file next to %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 ||
	    write_all(fd, head, head_len) < 0 ||
	    (head_len && head[head_len - 1] != '\n' && write_all(fd, "\n", 1) < 0) ||
	    (head_len && write_all(fd, "\n", 1) < 0) ||
	    write_all(fd, tail, strlen(tail)) < 0 ||
	    fsync(fd) < 0) {
		error_set(e, ERR_IO, "cannot write %s: %s; it is unchanged", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		error_set(e, ERR_IO, "cannot replace %s: %s; it is unchanged", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	sync_dir(dir);
	rc = 0;
out:
	free(tmp);
	free(dir);
	return rc;
}

int config_append_section(const char *path, const char *name, const char *section,
			  int holds_password, struct error *e)
{
	struct buf text = BUF_INIT_SECRET;
	struct config c;
	struct stat st;
	char *real = NULL, *dir = NULL;
	const char *target = path;
	mode_t mode = 0600;
	int exists, rc = -1;

	config_init(&c);
	exists = read_existing(path, &text, &st, e);
	if (exists < 0)
		goto out;
	if (exists) {
		/* a symbolic link (dotfiles kept in git) stays one: the
		 * file it points to is the one replaced */
		real = realpath(path, NULL);
		if (real)
			target = real;
		if (check_all(path, text.data, &st, 1, name, section, holds_password, &c, e))
			goto out;
		mode = st.st_mode & 07777;
	} else {
		if (check_all(path, "", &st, 0, name, section, holds_password, &c, e))
			goto out;
		dir = dir_of(path);
		if (ensure_dir(dir, e))
			goto out;
	}
	if (write_atomic(target, text.data, text.len, section, mode, e))
		goto out;
	rc = 0;
out:
	free(real);
	free(dir);
	config_release(&c);
	buf_release(&text);
	return rc;
}

int config_create_file(const char *path, const char *text, size_t len, struct error *e)
{
	char *dir = dir_of(path), *tmp = NULL;
	int fd = -1, rc = -1;

	if (ensure_dir(dir, e))
		goto out;
	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		error_set(e, ERR_IO, "cannot create a file in %s: %s", dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) || write_all(fd, text, len) || fsync(fd)) {
		error_set(e, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	/* link() fails when the name exists, where rename() would replace it */
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			rc = 1;
		else
			error_set(e, ERR_IO, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	sync_dir(dir);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}
