/* util.h - allocation that cannot fail quietly, a growable byte buffer, a
 * string vector, and the few helpers every module needs once: writing a
 * whole buffer, a monotonic clock, the home directory, this host's name,
 * and making untrusted text safe to show.
 *
 * Out of memory aborts with a message: a mail submission agent that runs
 * out of memory has no sensible way to go on, and every caller checking
 * for it would hide the logic that matters. */
#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; the caller owns the result. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated (the NUL is not counted).
 * As git's strbuf: data is never NULL, an empty buffer points at a shared
 * empty string, so "b.data" is always a valid C string.
 *
 * A secret buffer (BUF_INIT_SECRET, buf_init_secret) never leaves a copy
 * behind: growing it moves the bytes to a new block and wipes the old one,
 * and releasing it wipes it.  Anything that may hold a password or token
 * goes into one. */
struct buf {
	char *data;
	size_t len;
	size_t cap;		/* 0: data is the shared empty string */
	int secret;
};
extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0, 0 }
#define BUF_INIT_SECRET { buf_empty, 0, 0, 1 }

void buf_init(struct buf *b);
void buf_init_secret(struct buf *b);
void buf_release(struct buf *b);		/* frees (wiping a secret buffer); b is then empty */
void buf_wipe_release(struct buf *b);		/* wipes whatever the buffer is, then frees */
void buf_grow(struct buf *b, size_t extra);	/* room for extra more bytes */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);			/* length 0, memory kept */
void buf_consume(struct buf *b, size_t n);	/* drop n bytes from the front */
/* Hand the string to the caller (who frees it); b is left empty. */
char *buf_detach(struct buf *b);

/* Untrusted text (a server's reply, a certificate's names, an address from
 * the command line, a command's stderr) made safe to show on a terminal or
 * in a log: control characters, DEL, bytes that are not UTF-8 and the C1
 * controls become \xNN, and the Unicode characters that reorder or break a
 * line (bidi overrides, U+2028/9) become \u{NNNN}; everything else passes.
 * The one escaping policy of postern: log.c applies it to every message and
 * trace line, and every other place that shows such text calls it. */
void buf_add_escaped(struct buf *b, const char *s, size_t n);

/* Decode one UTF-8 sequence at p (n > 0 bytes left): the code point, with
 * *used set to its length, or -1 if malformed (overlong, surrogate, beyond
 * U+10FFFF, truncated). */
long utf8_decode(const unsigned char *p, size_t n, size_t *used);

/* The same into dst (at most size-1 octets, NUL-terminated), cut at a
 * character boundary with "..." when it does not fit.  Returns dst. */
char *str_escape(char *dst, size_t size, const char *s, size_t n);

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

/* Write all n bytes to fd, across short writes and EINTR (unless a
 * terminating signal arrived: see interrupt.h).  Returns 0, or -1 with
 * errno set (EINTR when interrupted). */
int write_all(int fd, const void *p, size_t n);

struct error;
struct stat;
/* Read the regular file path into out (give a BUF_INIT_SECRET buffer for
 * secrets: the read chunks are wiped too), refusing more than max octets;
 * its stat into *st when st is not NULL.  Returns 1 read, 0 when it does
 * not exist (ENOENT, ENOTDIR), or -1 with ERR_IO (cannot open or read it,
 * not a regular file) or ERR_CONFIG (larger than max), naming path. */
int file_read_bounded(const char *path, size_t max, struct buf *out, struct stat *st,
		      struct error *e);

/* Milliseconds on the monotonic clock (for deadlines, not dates). */
long long now_ms(void);

/* The user's home directory: $HOME when it is an absolute path, else the
 * passwd entry of the real uid (the user who ran postern; it refuses to
 * run set-id, so that is also the effective one).  Returns a string the
 * caller frees, or NULL when there is none. */
char *home_dir(void);

/* postern's state directory: $XDG_STATE_HOME/postern when XDG_STATE_HOME
 * is an absolute path, else ~/.local/state/postern (the XDG base directory
 * default); NULL when there is no home.  Not created here.  Caller frees. */
char *state_dir(void);

/* Make sure path is a directory only its owner may enter: missing
 * components are created with mode 0700; the last one must then be a
 * directory (not a symbolic link) of the real uid, with no group or other
 * write permission.  Returns 0, or -1 with errno and a sentence in why
 * (why may be NULL). */
int mkdir_private(const char *path, struct buf *why);

/* This machine's name from gethostname() when it is a plain host name
 * (letters, digits, '.', '-') and, if qualified is set, contains a dot;
 * otherwise "localhost".  It goes into EHLO, Message-ID and SMTP replies,
 * so nothing else may pass.  Caller frees. */
char *host_name(int qualified);

#endif
