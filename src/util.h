/* util.h - allocation that cannot fail quietly, a growable byte buffer and a
 * string vector.  Out of memory aborts with a message: a mail submission agent
 * that runs out of memory has no sensible way to go on, and every caller
 * checking for it would hide the logic that matters. */
#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; the caller owns the result. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated (the NUL is not counted). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_release(struct buf *b);		/* frees; b is then empty */
void buf_wipe_release(struct buf *b);		/* zeroes the memory first (secrets) */
void buf_grow(struct buf *b, size_t extra);	/* room for extra more bytes */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);			/* length 0, memory kept */
void buf_consume(struct buf *b, size_t n);	/* drop n bytes from the front */
/* Hand the string to the caller (who frees it); b is left empty. */
char *buf_detach(struct buf *b);

/* A NULL-terminated vector of owned strings. */
struct strvec {
	char **v;
	size_t n;
	size_t cap;
};
#define STRVEC_INIT { NULL, 0, 0 }

void strvec_init(struct strvec *sv);
void strvec_release(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);	/* copies s */
void strvec_push_take(struct strvec *sv, char *s);	/* takes ownership of s */
/* Index of s compared case-insensitively, or -1. */
long strvec_find_icase(const struct strvec *sv, const char *s);

/* The user's home directory: $HOME when set and not empty, else the
 * passwd entry of the effective uid.  Returns a string the caller frees,
 * or NULL when there is none. */
char *home_dir(void);

/* This machine's name from gethostname() when it is a plain host name
 * (letters, digits, '.', '-') and, if qualified is set, contains a dot;
 * otherwise "localhost".  It goes into EHLO, Message-ID and SMTP replies,
 * so nothing else may pass.  Caller frees. */
char *host_name(int qualified);

#endif
