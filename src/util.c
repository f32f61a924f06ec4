#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "error.h"
#include "interrupt.h"

/* What every empty struct buf points at.  Nothing writes to it: buf_reset
 * and buf_consume leave a buffer with no memory of its own alone. */
char buf_empty[1];

static void oom(void)
{
	static const char msg[] = "postern: out of memory\n";
	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = b->cap = 0;
	b->secret = 0;
}

void buf_init_secret(struct buf *b)
{
	buf_init(b);
	b->secret = 1;
}

void buf_release(struct buf *b)
{
	int secret = b->secret;

	if (b->cap) {
		if (secret)
			OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	buf_init(b);
	b->secret = secret;
}

void buf_wipe_release(struct buf *b)
{
	if (b->cap)
		OPENSSL_cleanse(b->data, b->cap);
	buf_release(b);
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;
	char *p;

	if (need < extra)
		oom();
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (!b->cap) {
		p = xmalloc(cap);
		p[0] = '\0';
	} else if (b->secret) {
		/* realloc could leave the old block, secret and all, in
		 * freed memory: move it by hand and wipe where it was */
		p = xmalloc(cap);
		memcpy(p, b->data, b->len + 1);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	} else {
		p = xrealloc(b->data, cap);
	}
	b->data = p;
	b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_reset(struct buf *b)
{
	if (b->secret && b->len)
		OPENSSL_cleanse(b->data, b->len);
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	if (b->secret)
		OPENSSL_cleanse(b->data + b->len - n, n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *s = b->cap ? b->data : xstrdup("");

	buf_init(b);
	return s;
}

/* ---------------------------------------------------------------- escaping */

long utf8_decode(const unsigned char *p, size_t n, size_t *used)
{
	static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	long c;

	if (p[0] < 0x80)
		return *used = 1, p[0];
	len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
	if (!len || len > n || p[0] > 0xf4)
		return -1;
	c = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*used = len;
	return c;
}

/* Characters that change how the rest of a line is shown: bidi embeddings,
 * overrides and isolates, and the Unicode line and paragraph separators. */
static int reorders(long c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029;
}

/* The escaped form of the character at s (n > 0 bytes left) into out
 * (at least 12 bytes); returns the input bytes it covers. */
static size_t escape_one(const char *s, size_t n, char *out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used;
	long c;

	if (p[0] >= 0x20 && p[0] < 0x7f) {
		out[0] = (char)p[0];
		*outlen = 1;
		return 1;
	}
	c = p[0] < 0x80 ? -1 : utf8_decode(p, n, &used);
	if (c < 0 || (c >= 0x80 && c <= 0x9f)) {
		*outlen = (size_t)snprintf(out, 12, "\\x%02x", p[0]);
		return 1;
	}
	if (reorders(c)) {
		*outlen = (size_t)snprintf(out, 12, "\\u{%04lx}", c);
		return used;
	}
	memcpy(out, s, used);
	*outlen = used;
	return used;
}

void buf_add_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		char one[12];
		size_t olen, run;

		/* plain ASCII in one go */
		for (run = i; run < n && (unsigned char)s[run] >= 0x20 &&
		     (unsigned char)s[run] < 0x7f; run++)
			;
		if (run > i) {
			buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		i += escape_one(s + i, n - i, one, &olen);
		buf_add(b, one, olen);
	}
}

char *str_escape(char *dst, size_t size, const char *s, size_t n)
{
	size_t i = 0, o = 0;

	if (!size)
		return dst;
	while (i < n) {
		char one[12];
		size_t olen, in = escape_one(s + i, n - i, one, &olen);

		/* keep room for "..." if anything may still follow */
		if (o + olen + 1 > size || (i + in < n && o + olen + 4 > size)) {
			if (o + 4 <= size) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(dst + o, one, olen);
		o += olen;
		i += in;
	}
	dst[o] = '\0';
	return dst;
}

/* ---------------------------------------------------------------- strvec */

void strvec_init(struct strvec *sv)
{
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void strvec_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strvec_init(sv);
}

void strvec_push_take(struct strvec *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_take(sv, xstrdup(s));
}

long strvec_find_icase(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcasecmp(sv->v[i], s))
			return (long)i;
	return -1;
}

/* ---------------------------------------------------------------- system */

int file_read_bounded(const char *path, size_t max, struct buf *out, struct stat *st,
		      struct error *e)
{
	struct stat own;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc = -1;

	if (!st)
		st = &own;
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		       error_set(e, ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		error_set(e, ERR_IO, "%s is not a regular file", path);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(e, ERR_IO, "reading %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		buf_add(out, chunk, (size_t)n);
		if (out->len > max) {
			error_set(e, ERR_CONFIG, "%s is larger than %zu KiB; is it the right file?", path,
				  max / 1024);
			goto out;
		}
	}
	rc = 1;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR && !interrupt_signal())
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h == '/')
		return xstrdup(h);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir == '/' ? xstrdup(pw->pw_dir) : NULL;
}

char *state_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME");
	char *home, *p;

	if (x && *x == '/')
		return xasprintf("%s/postern", x);
	home = home_dir();
	if (!home)
		return NULL;
	p = xasprintf("%s/.local/state/postern", home);
	free(home);
	return p;
}

int mkdir_private(const char *path, struct buf *why)
{
	char *p = xstrdup(path);
	struct stat st;
	int rc = -1, saved;

	/* each missing component, parents first */
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			saved = errno;
			if (why)
				buf_addf(why, "cannot create %s: %s", p, strerror(saved));
			errno = saved;
			goto out;
		}
		if (!s)
			break;
		*s = '/';
	}
	if (lstat(path, &st) < 0) {
		saved = errno;
		if (why)
			buf_addf(why, "cannot use %s: %s", path, strerror(saved));
		errno = saved;
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
		if (why)
			buf_addf(why, "%s is not a private directory of yours (%s)", path,
				 !S_ISDIR(st.st_mode) ? "not a directory" :
				 st.st_uid != getuid() ? "owned by someone else" :
				 "others may write to it");
		errno = EPERM;
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

char *host_name(int qualified)
{
	char host[256];

	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if (host[0] && (!qualified || strchr(host, '.')) &&
		    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
		    == strlen(host))
			return xstrdup(host);
	}
	return xstrdup("localhost");
}
