/* queue.c - the crash-safe spool of messages waiting to be sent.  The
 * on-disk layout and the crash-safety argument are in queue.h. */
#include "queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "addr.h"
#include "interrupt.h"

#define VERSION_LINE "postern-queue 1"

/* ---------------------------------------------------------------- envelope */

void qenv_init(struct qenv *env)
{
	memset(env, 0, sizeof(*env));
	env->account = xstrdup("");
	env->config = xstrdup("");
	env->sender = xstrdup("");
	env->last_error = xstrdup("");
}

void qenv_release(struct qenv *env)
{
	for (size_t i = 0; i < env->nrcpt; i++) {
		free(env->rcpt[i].addr);
		free(env->rcpt[i].reply);
	}
	free(env->rcpt);
	free(env->account);
	free(env->config);
	free(env->sender);
	free(env->last_error);
	free(env->notify);
	free(env->ret);
	free(env->envid);
	memset(env, 0, sizeof(*env));
}

void qenv_add_rcpt(struct qenv *env, const char *addr)
{
	if (env->nrcpt == env->rcpt_cap) {
		env->rcpt_cap = env->rcpt_cap ? env->rcpt_cap * 2 : 4;
		env->rcpt = xrealloc(env->rcpt, env->rcpt_cap * sizeof(*env->rcpt));
	}
	env->rcpt[env->nrcpt].addr = xstrdup(addr);
	env->rcpt[env->nrcpt].state = QRCPT_PENDING;
	env->rcpt[env->nrcpt].reply = xstrdup("");
	env->nrcpt++;
}

void qenv_set(char **field, const char *s)
{
	char *old = *field;

	*field = s ? xstrdup(s) : NULL;
	free(old);
}

size_t qenv_pending(const struct qenv *env)
{
	size_t n = 0;

	for (size_t i = 0; i < env->nrcpt; i++)
		n += env->rcpt[i].state == QRCPT_PENDING;
	return n;
}

static const char *const state_names[] = { "pending", "done", "failed" };
static const char *const hold_names[] = { "none", "auth", "tls", "config" };

const char *qrcpt_state_name(enum qrcpt_state s)
{
	return (unsigned)s < 3 ? state_names[s] : "?";
}

const char *queue_hold_name(enum queue_hold h)
{
	return (unsigned)h < 4 ? hold_names[h] : "?";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

int queue_id_valid(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n == QUEUE_ID_LEN && !id[n];
}

/* No byte below 0x20 (or 0x7f), and for "word" no space either. */
static int plain(const char *s, int word)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (word && *s == ' '))
			return 0;
	return 1;
}

/* A DSN parameter as given on the command line: kept only when it is one
 * printable ASCII word, as RFC 3461's values are. */
static int dsn_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 255)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The rules every stored field obeys, checked before writing and after
 * reading; free text is not checked here (it is escaped on the way out). */
static int check_fields(const struct qenv *env, struct error *e)
{
	const char *bad = NULL;

	if (!queue_id_valid(env->id))
		bad = "the message ID";
	else if (!*env->account || strlen(env->account) > 255 || !plain(env->account, 1))
		bad = "the account name";
	else if (*env->config && (env->config[0] != '/' || strlen(env->config) > 4095 ||
				  !plain(env->config, 0)))
		bad = "the configuration file's name";
	else if ((env->notify && !dsn_ok(env->notify)) || (env->ret && !dsn_ok(env->ret)) ||
		 (env->envid && !dsn_ok(env->envid)))
		bad = "a DSN parameter (-N, -R or -V)";
	else if (env->created < 0 || env->next_attempt < 0 || env->last_attempt < 0)
		bad = "a time";
	else if ((unsigned)env->hold > QHOLD_CONFIG || (env->eightbit != 0 && env->eightbit != 1))
		bad = "the hold reason or the 8-bit flag";
	else if (!env->nrcpt)
		bad = "the recipients (there are none)";
	if (bad)
		return error_set(e, ERR_INTERNAL, "%s is not valid", bad);
	if (*env->sender && addr_check_envelope(env->sender, "envelope sender", e))
		return -1;
	for (size_t i = 0; i < env->nrcpt; i++) {
		if ((unsigned)env->rcpt[i].state > QRCPT_FAILED)
			return error_set(e, ERR_INTERNAL, "a recipient's state is not valid");
		if (!*env->rcpt[i].addr)
			return error_set(e, ERR_INTERNAL, "a recipient is empty");
		if (addr_check_envelope(env->rcpt[i].addr, "recipient", e))
			return -1;
	}
	return 0;
}

/* Free text as stored: escaped, and cut at QENV_TEXT_MAX octets. */
static void add_text(struct buf *out, const char *key, const char *s)
{
	struct buf t = BUF_INIT;
	size_t n = strlen(s);

	if (!n)
		return;
	buf_add_escaped(&t, s, n);
	buf_addf(out, "%s ", key);
	if (t.len <= QENV_TEXT_MAX) {
		buf_add(out, t.data, t.len);
	} else {
		char cut[QENV_TEXT_MAX + 1];

		buf_adds(out, str_escape(cut, sizeof(cut), s, n));
	}
	buf_adds(out, "\n");
	buf_release(&t);
}

int qenv_format(const struct qenv *env, struct buf *out, struct error *e)
{
	struct buf b = BUF_INIT;

	if (check_fields(env, e))
		return error_prefix(e, "cannot store the envelope");
	buf_addf(&b, VERSION_LINE "\nid %s\naccount %s\n", env->id, env->account);
	if (*env->config)
		buf_addf(&b, "config %s\n", env->config);
	buf_addf(&b, "sender <%s>\ncreated %" PRIu64 "\nbytes %" PRIu64 "\nlines %" PRIu64
		 "\neightbit %d\n", env->sender, (uint64_t)env->created, env->bytes, env->lines,
		 env->eightbit);
	if (env->notify)
		buf_addf(&b, "notify %s\n", env->notify);
	if (env->ret)
		buf_addf(&b, "ret %s\n", env->ret);
	if (env->envid)
		buf_addf(&b, "envid %s\n", env->envid);
	buf_addf(&b, "attempts %u\nnext-attempt %" PRIu64 "\nlast-attempt %" PRIu64 "\nhold %s\n",
		 env->attempts, (uint64_t)env->next_attempt, (uint64_t)env->last_attempt,
		 hold_names[env->hold]);
	add_text(&b, "last-error", env->last_error);
	for (size_t i = 0; i < env->nrcpt; i++) {
		buf_addf(&b, "rcpt %s <%s>\n", state_names[env->rcpt[i].state], env->rcpt[i].addr);
		add_text(&b, "reply", env->rcpt[i].reply);
	}
	buf_add(out, b.data, b.len);
	buf_release(&b);
	return 0;
}

/* The keys in the order they must come; reply belongs to the rcpt line
 * just before it. */
enum key {
	K_ID, K_ACCOUNT, K_CONFIG, K_SENDER, K_CREATED, K_BYTES, K_LINES, K_EIGHTBIT,
	K_NOTIFY, K_RET, K_ENVID, K_ATTEMPTS, K_NEXT, K_LAST, K_HOLD, K_LAST_ERROR,
	K_RCPT, K_REPLY, K_COUNT
};

static const struct {
	const char *name;
	int optional;
} keys[K_COUNT] = {
	[K_ID] = { "id", 0 }, [K_ACCOUNT] = { "account", 0 }, [K_CONFIG] = { "config", 1 },
	[K_SENDER] = { "sender", 0 }, [K_CREATED] = { "created", 0 },
	[K_BYTES] = { "bytes", 0 }, [K_LINES] = { "lines", 0 }, [K_EIGHTBIT] = { "eightbit", 0 },
	[K_NOTIFY] = { "notify", 1 }, [K_RET] = { "ret", 1 }, [K_ENVID] = { "envid", 1 },
	[K_ATTEMPTS] = { "attempts", 0 }, [K_NEXT] = { "next-attempt", 0 },
	[K_LAST] = { "last-attempt", 0 }, [K_HOLD] = { "hold", 0 },
	[K_LAST_ERROR] = { "last-error", 1 }, [K_RCPT] = { "rcpt", 0 }, [K_REPLY] = { "reply", 1 },
};

/* Decimal without sign or leading zeros, at most max. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_time(const char *s, time_t *out)
{
	uint64_t v;

	/* time_t is 64 bits wide here; a 32-bit one would take less */
	if (parse_num(s, sizeof(time_t) >= 8 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX, &v))
		return -1;
	*out = (time_t)v;
	return 0;
}

/* "<addr>" into *out; the address itself is checked with the others. */
static int parse_angle(const char *s, char **out)
{
	size_t n = strlen(s);

	if (n < 2 || s[0] != '<' || s[n - 1] != '>')
		return -1;
	qenv_set(out, NULL);
	*out = xstrndup(s + 1, n - 2);
	return 0;
}

/* Free text must be in the form add_text writes: not empty, escaping it
 * again changes nothing, and it fits. */
static int parse_text(const char *s, char **out)
{
	struct buf t = BUF_INIT;
	size_t n = strlen(s);
	int ok;

	buf_add_escaped(&t, s, n);
	/* empty text is written as no line at all */
	ok = n && n <= QENV_TEXT_MAX && t.len == n && !memcmp(t.data, s, n);
	buf_release(&t);
	if (!ok)
		return -1;
	qenv_set(out, s);
	return 0;
}

/* One "key value" line (NUL-terminated, no line end) into env. */
static int parse_value(enum key k, const char *v, struct qenv *env)
{
	uint64_t n;
	int i;

	switch (k) {
	case K_ID:
		if (!queue_id_valid(v))
			return -1;
		memcpy(env->id, v, QUEUE_ID_SIZE);
		return 0;
	case K_ACCOUNT:
		qenv_set(&env->account, v);
		return 0;
	case K_CONFIG:
		qenv_set(&env->config, v);
		/* "config" present means not the default search */
		return *v ? 0 : -1;
	case K_SENDER:
		return parse_angle(v, &env->sender);
	case K_CREATED:
		return parse_time(v, &env->created);
	case K_BYTES:
		return parse_num(v, UINT64_MAX, &env->bytes);
	case K_LINES:
		return parse_num(v, UINT64_MAX, &env->lines);
	case K_EIGHTBIT:
		if (parse_num(v, 1, &n))
			return -1;
		env->eightbit = (int)n;
		return 0;
	case K_NOTIFY:
		qenv_set(&env->notify, v);
		return 0;
	case K_RET:
		qenv_set(&env->ret, v);
		return 0;
	case K_ENVID:
		qenv_set(&env->envid, v);
		return 0;
	case K_ATTEMPTS:
		if (parse_num(v, UINT32_MAX, &n))
			return -1;
		env->attempts = (unsigned)n;
		return 0;
	case K_NEXT:
		return parse_time(v, &env->next_attempt);
	case K_LAST:
		return parse_time(v, &env->last_attempt);
	case K_HOLD:
		if ((i = name_index(hold_names, 4, v)) < 0)
			return -1;
		env->hold = (enum queue_hold)i;
		return 0;
	case K_LAST_ERROR:
		return parse_text(v, &env->last_error);
	case K_RCPT: {
		const char *sp = strchr(v, ' ');
		char *state = sp ? xstrndup(v, (size_t)(sp - v)) : NULL;
		char *addr = NULL;

		i = state ? name_index(state_names, 3, state) : -1;
		free(state);
		if (i < 0 || parse_angle(sp + 1, &addr))
			return -1;
		qenv_add_rcpt(env, addr);
		env->rcpt[env->nrcpt - 1].state = (enum qrcpt_state)i;
		free(addr);
		return 0;
	}
	case K_REPLY:
		return parse_text(v, &env->rcpt[env->nrcpt - 1].reply);
	case K_COUNT:
		break;
	}
	return -1;
}

/* A key may come next if every key between the last one and it may be
 * left out; rcpt also after rcpt or reply. */
static int in_order(int last, int k)
{
	if (k == K_RCPT && (last == K_RCPT || last == K_REPLY))
		return 1;
	if (k <= last)
		return 0;
	for (int i = last + 1; i < k; i++)
		if (!keys[i].optional)
			return 0;
	return 1;
}

int qenv_parse(const char *text, size_t len, struct qenv *env, struct error *e)
{
	struct buf line = BUF_INIT;
	char shown[64];
	size_t pos = 0;
	unsigned lineno = 0;
	int last = -1, rc = -1;

	qenv_init(env);
	while (pos < len) {
		const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		char *sp;
		int k = -1;

		lineno++;
		if (!nl) {
			error_set(e, ERR_DATA, "line %u has no line end (a cut-off file?)", lineno);
			goto out;
		}
		if (memchr(p, '\0', n) || memchr(p, '\r', n)) {
			error_set(e, ERR_DATA, "line %u holds a NUL or carriage return", lineno);
			goto out;
		}
		pos += n + 1;
		buf_reset(&line);
		buf_add(&line, p, n);
		if (lineno == 1) {
			if (strcmp(line.data, VERSION_LINE)) {
				error_set(e, ERR_DATA, "line 1 is \"%s\", not \"" VERSION_LINE "\"",
					  str_escape(shown, sizeof(shown), line.data, line.len));
				goto out;
			}
			continue;
		}
		sp = strchr(line.data, ' ');
		if (sp)
			*sp = '\0';
		for (int i = 0; i < K_COUNT && k < 0; i++)
			if (!strcmp(keys[i].name, line.data))
				k = i;
		if (k >= 0 && !sp) {
			error_set(e, ERR_DATA, "line %u: \"%s\" has no value", lineno, keys[k].name);
			goto out;
		}
		if (k < 0) {
			error_set(e, ERR_DATA, "line %u: unknown key \"%s\"", lineno,
				  str_escape(shown, sizeof(shown), line.data, strlen(line.data)));
			goto out;
		}
		if (!in_order(last, k)) {
			error_set(e, ERR_DATA, "line %u: \"%s\" is out of place (missing, repeated "
				  "or misplaced key)", lineno, keys[k].name);
			goto out;
		}
		if (parse_value((enum key)k, sp + 1, env)) {
			error_set(e, ERR_DATA, "line %u: the value of \"%s\" is not valid", lineno,
				  keys[k].name);
			goto out;
		}
		last = k;
	}
	if (lineno == 0) {
		error_set(e, ERR_DATA, "the envelope is empty");
		goto out;
	}
	if (last < K_RCPT) {
		error_set(e, ERR_DATA, "the envelope ends early, after line %u (no recipient)", lineno);
		goto out;
	}
	if (check_fields(env, e)) {
		if (e)
			e->cls = ERR_DATA;
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		qenv_release(env);
		qenv_init(env);
	}
	buf_release(&line);
	return rc;
}

/* ---------------------------------------------------------------- schedule */

time_t queue_next_attempt(time_t now, unsigned attempts, enum queue_hold hold, uint32_t jitter)
{
	uint64_t base = QUEUE_RETRY_FIRST;

	if (hold != QHOLD_NONE) {
		/* failing the same way every few minutes would lock the
		 * account: wait for the person to fix it */
		base = QUEUE_RETRY_MAX;
	} else if (attempts == 0) {
		return now;
	} else {
		for (unsigned i = 1; i < attempts && base < QUEUE_RETRY_MAX; i++)
			base *= 2;
		if (base > QUEUE_RETRY_MAX)
			base = QUEUE_RETRY_MAX;
	}
	/* base * (0.8 + 0.4 * jitter / 2^32): many messages queued by one
	 * outage do not all come back in the same second */
	return now + (time_t)(base * 4 / 5 + ((base * 2 / 5 * (uint64_t)jitter) >> 32));
}

int queue_expired(const struct qenv *env, time_t now, unsigned lifetime_s)
{
	return now >= env->created && (uint64_t)(now - env->created) >= lifetime_s;
}

/* ---------------------------------------------------------------- files */

char *queue_default_dir(void)
{
	char *s = state_dir(), *q;

	if (!s)
		return NULL;
	q = xasprintf("%s/queue", s);
	free(s);
	return q;
}

/* "what Q/sub/name: cause" from errno; sub and name may be NULL. */
static int io_error(struct error *e, const struct queue *q, const char *what,
		    const char *sub, const char *name)
{
	int saved = errno;

	return error_set(e, ERR_IO, "%s %s%s%s%s%s: %s", what, q->dir, sub ? "/" : "",
			 sub ? sub : "", name ? "/" : "", name ? name : "", strerror(saved));
}

static int sync_fd(int fd)
{
	int r;

	while ((r = fsync(fd)) < 0 && errno == EINTR)
		;
	return r;
}

static int sync_dir(struct queue *q, int fd, const char *sub, struct error *e)
{
	return sync_fd(fd) ? io_error(e, q, "syncing", sub, NULL) : 0;
}

static int exists_at(int dirfd, const char *name)
{
	struct stat st;

	/* anything but "certainly absent" counts as there */
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* dirfd/name still names the file open as fd. */
static int same_file(int fd, int dirfd, const char *name)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void queue_close(struct queue *q)
{
	int *fds[] = { &q->tmp, &q->msg, &q->env, &q->failed };

	for (size_t i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(q->dir);
	q->dir = NULL;
}

int queue_open(struct queue *q, const char *dir, struct error *e)
{
	static const char *const subs[] = { "tmp", "msg", "env", "failed" };
	int *fds[] = { &q->tmp, &q->msg, &q->env, &q->failed };
	struct buf why = BUF_INIT;
	int top = -1, rc = -1;

	q->dir = NULL;
	q->tmp = q->msg = q->env = q->failed = -1;
	if (dir[0] != '/') {
		error_set(e, ERR_CONFIG, "the queue directory \"%s\" is not an absolute path", dir);
		goto out;
	}
	q->dir = xstrdup(dir);
	for (size_t i = 0; i <= 4; i++) {
		char *sub = i ? xasprintf("%s/%s", dir, subs[i - 1]) : xstrdup(dir);
		int r = mkdir_private(sub, &why);

		free(sub);
		if (r) {
			error_set(e, errno == EPERM ? ERR_CONFIG : ERR_IO,
				  "the queue directory cannot be used: %s", why.data);
			goto out;
		}
	}
	/* mkdir_private checked dir and each subdirectory by name; opening
	 * them without following a link keeps what was checked */
	top = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0) {
		io_error(e, q, "opening", NULL, NULL);
		goto out;
	}
	for (size_t i = 0; i < 4; i++) {
		*fds[i] = openat(top, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*fds[i] < 0) {
			io_error(e, q, "opening", subs[i], NULL);
			goto out;
		}
	}
	rc = 0;
out:
	if (top >= 0)
		close(top);
	if (rc)
		queue_close(q);
	buf_release(&why);
	return rc;
}

/* An ID that no message uses, present or past: in the order a message's
 * files move (msg/ before failed/), so one moving meanwhile is seen. */
static int id_in_use(struct queue *q, const char *id)
{
	char name[QUEUE_ID_SIZE + 4];

	snprintf(name, sizeof(name), "%s.msg", id);
	if (exists_at(q->msg, id) || exists_at(q->env, id) || exists_at(q->failed, name))
		return 1;
	snprintf(name, sizeof(name), "%s.env", id);
	return exists_at(q->failed, name);
}

/* Lock a file just created as dirfd/name.  Blocking: a sweep may hold it
 * for a moment to look at it.  Returns 0, or -1 with errno (ENOENT: a
 * sweep removed it, which only a grace of 0 allows). */
static int lock_new(int fd, int dirfd, const char *name)
{
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR || interrupt_signal())
			return -1;
	if (!same_file(fd, dirfd, name)) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int queue_new(struct queue *q, struct spool *sp, char id[QUEUE_ID_SIZE], struct error *e)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	for (int tries = 0; tries < 16; tries++) {
		unsigned char r[4];
		char name[QUEUE_ID_SIZE + 4];
		int fd;

		if (RAND_bytes(r, sizeof(r)) != 1)
			return error_set(e, ERR_INTERNAL, "no random numbers for a message ID "
					 "(OpenSSL RAND_bytes failed)");
		snprintf(id, QUEUE_ID_SIZE, "%08" PRIx32 "%02x%02x%02x%02x",
			 (uint32_t)time(NULL), r[0], r[1], r[2], r[3]);
		snprintf(name, sizeof(name), "%s.msg", id);
		fd = openat(q->tmp, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return io_error(e, q, "creating", "tmp", name);
		}
		if (lock_new(fd, q->tmp, name) < 0) {
			io_error(e, q, "locking", "tmp", name);
			if (errno != ENOENT)
				unlinkat(q->tmp, name, 0);
			close(fd);
			return -1;
		}
		/* Holding tmp/ID.msg reserves ID: no one else can create
		 * it now, and a message already using ID shows here. */
		if (id_in_use(q, id)) {
			unlinkat(q->tmp, name, 0);
			close(fd);
			continue;
		}
		sp->fd = fd;
		sp->path = xasprintf("%s/tmp/%s", q->dir, name);
		return 0;
	}
	return error_set(e, ERR_IO, "found no free message ID in %s after 16 tries", q->dir);
}

/* Remove dirfd/name if it is a regular file that no one holds locked and
 * that was last written grace_s or more seconds ago, and, when check_fd
 * is not -1, check_fd/check_name does not exist (looked at under the
 * lock).  Returns 1 when removed, 0 when left, -1 with errno. */
static int remove_stale(int dirfd, const char *name, unsigned grace_s, int check_fd,
			const char *check_name)
{
	struct stat st;
	int fd, r = 0, saved;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	if (fstat(fd, &st) < 0) {
		r = -1;
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		goto out;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? 0 : -1;
		goto out;
	}
	if (grace_s) {
		struct timespec now;

		/* file times may run a little ahead of time(2)'s coarse clock */
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec - st.st_mtim.tv_sec < (time_t)grace_s)
			goto out;
	}
	if (check_fd >= 0 && exists_at(check_fd, check_name))
		goto out;
	/* still the file that was locked: not a new one of the same name */
	if (!same_file(fd, dirfd, name))
		goto out;
	if (unlinkat(dirfd, name, 0) == 0)
		r = 1;
	else
		r = errno == ENOENT ? 0 : -1;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* Write env to tmp/ID.env, locked and fsync'd; *fdp is left open (the lock
 * keeps queue_sweep away) until install_env renames it. */
static int write_env_tmp(struct queue *q, const struct qenv *env, int *fdp, struct error *e)
{
	struct buf b = BUF_INIT;
	char name[QUEUE_ID_SIZE + 4];
	int fd = -1, rc = -1;

	*fdp = -1;
	if (qenv_format(env, &b, e))
		goto out;
	snprintf(name, sizeof(name), "%s.env", env->id);
	for (int i = 0; i < 2; i++) {
		fd = openat(q->tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST || i)
			break;
		/* Left by an earlier owner of the message who died (we hold
		 * the message's lock now); unless someone is writing it. */
		if (remove_stale(q->tmp, name, 0, -1, NULL) != 1) {
			errno = EEXIST;
			break;
		}
	}
	if (fd < 0) {
		io_error(e, q, "creating", "tmp", name);
		goto out;
	}
	if (lock_new(fd, q->tmp, name) < 0) {
		io_error(e, q, "locking", "tmp", name);
		goto fail;
	}
	if (write_all(fd, b.data, b.len) < 0) {
		io_error(e, q, "writing", "tmp", name);
		goto fail;
	}
	if (sync_fd(fd) < 0) {
		io_error(e, q, "syncing", "tmp", name);
		goto fail;
	}
	*fdp = fd;
	rc = 0;
	goto out;
fail:
	unlinkat(q->tmp, name, 0);
	close(fd);
out:
	buf_release(&b);
	return rc;
}

/* Rename tmp/ID.env (open as fd, which is closed here) to env/ID and make
 * that durable.  On failure env/ID may or may not be the new one. */
static int install_env(struct queue *q, const char *id, int fd, struct error *e)
{
	char name[QUEUE_ID_SIZE + 4];
	int rc = -1;

	snprintf(name, sizeof(name), "%s.env", id);
	if (renameat(q->tmp, name, q->env, id) < 0) {
		io_error(e, q, "renaming", "tmp", name);
		unlinkat(q->tmp, name, 0);
		goto out;
	}
	rc = sync_dir(q, q->env, "env", e);
out:
	close(fd);
	return rc;
}

int queue_commit(struct queue *q, struct spool *sp, struct qenv *env, struct error *e)
{
	char name[QUEUE_ID_SIZE + 4];
	struct stat st;
	int efd = -1;

	if (!queue_id_valid(env->id))
		return error_set(e, ERR_INTERNAL, "queue_commit: not a message ID");
	snprintf(name, sizeof(name), "%s.msg", env->id);
	if (sp->fd < 0 || sp->keep || !same_file(sp->fd, q->tmp, name))
		return error_set(e, ERR_INTERNAL, "queue_commit: the spool is not %s/tmp/%s",
				 q->dir, name);
	if (fstat(sp->fd, &st) < 0 || (uint64_t)st.st_size != sp->bytes)
		return error_set(e, ERR_INTERNAL, "queue_commit: %s/tmp/%s holds %lld octets, "
				 "not the %" PRIu64 " written", q->dir, name,
				 (long long)st.st_size, sp->bytes);
	env->bytes = sp->bytes;
	env->lines = sp->lines;
	env->eightbit = sp->eightbit;

	/* 1: text and envelope durable under temporary names */
	if (sync_fd(sp->fd) < 0)
		return io_error(e, q, "syncing", "tmp", name);
	if (write_env_tmp(q, env, &efd, e))
		return -1;
	/* 2: the text in place, durably, before anything names it */
	if (renameat(q->tmp, name, q->msg, env->id) < 0) {
		io_error(e, q, "renaming", "tmp", name);
		goto fail;
	}
	free(sp->path);
	sp->path = xasprintf("%s/msg/%s", q->dir, env->id);	/* still released by unlinking */
	if (sync_dir(q, q->msg, "msg", e) || sync_dir(q, q->tmp, "tmp", e))
		goto fail;
	/* 3: the commit point */
	if (install_env(q, env->id, efd, e)) {
		/* not durably queued: make sure it is not queued at all,
		 * since the caller keeps the message some other way */
		unlinkat(q->env, env->id, 0);
		return -1;
	}
	sp->keep = 1;
	return 0;
fail:
	snprintf(name, sizeof(name), "%s.env", env->id);
	unlinkat(q->tmp, name, 0);
	close(efd);
	return -1;
}

/* Read and parse dirfd/name, which must be the envelope of id, into env
 * (initialised and empty; so it is again unless 1 is returned).  Returns
 * 1, 0 when absent, -1 with e. */
static int read_env(struct queue *q, int dirfd, const char *sub, const char *name,
		    const char *id, struct qenv *env, struct error *e)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int fd, rc = -1;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return io_error(e, q, "opening", sub, name);
	}
	if (fstat(fd, &st) < 0) {
		io_error(e, q, "reading", sub, name);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)QENV_FILE_MAX) {
		error_set(e, ERR_DATA, "%s/%s/%s is not an envelope (%s)", q->dir, sub, name,
			  S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		goto out;
	}
	for (;;) {
		ssize_t n;

		buf_grow(&b, 4096);
		n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			io_error(e, q, "reading", sub, name);
			goto out;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.data[b.len] = '\0';
		if (b.len > QENV_FILE_MAX) {
			error_set(e, ERR_DATA, "%s/%s/%s is not an envelope (too large)", q->dir, sub, name);
			goto out;
		}
	}
	qenv_release(env);
	if (qenv_parse(b.data, b.len, env, e)) {
		error_prefix(e, "%s/%s/%s is corrupt", q->dir, sub, name);
		goto out;
	}
	if (strcmp(env->id, id)) {
		error_set(e, ERR_DATA, "%s/%s/%s is corrupt: it holds the envelope of %s",
			  q->dir, sub, name, env->id);
		qenv_release(env);
		qenv_init(env);
		goto out;
	}
	rc = 1;
out:
	close(fd);
	buf_release(&b);
	return rc;
}

int queue_read_env(struct queue *q, const char *id, int failed, struct qenv *env,
		   struct error *e)
{
	char name[QUEUE_ID_SIZE + 4];

	qenv_init(env);
	if (!queue_id_valid(id))
		return error_set(e, ERR_USAGE, "\"%.40s\" is not a message ID (16 hex digits)", id);
	if (!failed)
		return read_env(q, q->env, "env", id, id, env, e);
	snprintf(name, sizeof(name), "%s.env", id);
	return read_env(q, q->failed, "failed", name, id, env, e);
}

int queue_lock(struct queue *q, const char *id, struct spool *sp, struct qenv *env,
	       struct error *e)
{
	struct stat st;
	int fd, r;

	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	qenv_init(env);
	if (!queue_id_valid(id))
		return error_set(e, ERR_USAGE, "\"%.40s\" is not a message ID (16 hex digits)", id);
	fd = openat(q->msg, id, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : io_error(e, q, "opening", "msg", id);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? 0 : io_error(e, q, "locking", "msg", id);
		close(fd);
		return r;
	}
	/* Under the lock: between open and flock its owner may have sent
	 * it (env/ID gone) or failed it (the file moved to failed/). */
	if (!same_file(fd, q->msg, id)) {
		close(fd);
		return 0;
	}
	r = read_env(q, q->env, "env", id, id, env, e);
	if (r <= 0) {
		close(fd);
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != env->bytes) {
		error_set(e, ERR_DATA, "%s/msg/%s is corrupt: %lld octets, its envelope says %" PRIu64,
			  q->dir, id, (long long)st.st_size, env->bytes);
		qenv_release(env);
		qenv_init(env);
		close(fd);
		return -1;
	}
	sp->fd = fd;
	sp->path = xasprintf("%s/msg/%s", q->dir, id);
	sp->bytes = env->bytes;
	sp->lines = env->lines;
	sp->eightbit = env->eightbit;
	sp->keep = 1;
	return 1;
}

int queue_update(struct queue *q, const struct qenv *env, struct error *e)
{
	int fd;

	if (!queue_id_valid(env->id) || !exists_at(q->env, env->id))
		return error_set(e, ERR_INTERNAL, "queue_update: %.40s is not queued", env->id);
	if (write_env_tmp(q, env, &fd, e))
		return -1;
	return install_env(q, env->id, fd, e);
}

int queue_remove(struct queue *q, const char *id, struct error *e)
{
	if (!queue_id_valid(id))
		return error_set(e, ERR_INTERNAL, "queue_remove: not a message ID");
	/* the envelope first: from then on nothing sends it again */
	if (unlinkat(q->env, id, 0) < 0 && errno != ENOENT)
		return io_error(e, q, "removing", "env", id);
	if (sync_dir(q, q->env, "env", e))
		return -1;
	if (unlinkat(q->msg, id, 0) < 0 && errno != ENOENT)
		return io_error(e, q, "removing", "msg", id);
	return sync_dir(q, q->msg, "msg", e);
}

/* Why this order: "queued" is env/ID and "failed" is failed/ID.env, so the
 * envelope's move from one to the other, a single rename, is the moment
 * it changes; a message is never both nor neither.  The final envelope is
 * written first, in place (queue_update), so that the rename carries it;
 * the text moves before the envelope, so failed/ID.env never names a
 * missing text.  Stopped after the text moved, the message has env/ID but
 * no msg/ID: queue_lock skips it (nothing to send), and queue_sweep,
 * seeing its text in failed/ and no one holding it, does the last rename. */
int queue_fail(struct queue *q, const struct qenv *env, struct error *e)
{
	char name[QUEUE_ID_SIZE + 4];

	if (queue_update(q, env, e))
		return -1;
	snprintf(name, sizeof(name), "%s.msg", env->id);
	if (renameat(q->msg, env->id, q->failed, name) < 0)
		return io_error(e, q, "moving to failed/", "msg", env->id);
	if (sync_dir(q, q->failed, "failed", e))
		return -1;
	snprintf(name, sizeof(name), "%s.env", env->id);
	if (renameat(q->env, env->id, q->failed, name) < 0)
		return io_error(e, q, "moving to failed/", "env", env->id);
	if (sync_dir(q, q->failed, "failed", e) || sync_dir(q, q->env, "env", e) ||
	    sync_dir(q, q->msg, "msg", e))
		return -1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn for each entry of dirfd (a copy of it is read). */
static int each_entry(struct queue *q, int dirfd, const char *sub,
		      void (*fn)(void *ctx, const char *name), void *ctx, struct error *e)
{
	DIR *d;
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return io_error(e, q, "reading", sub, NULL);
	}
	errno = 0;
	while ((de = readdir(d))) {
		fn(ctx, de->d_name);
		errno = 0;
	}
	if (errno) {
		io_error(e, q, "reading", sub, NULL);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

struct collect {
	struct strvec *ids;
	const char *suffix;
};

static void collect_id(void *ctx, const char *name)
{
	struct collect *c = ctx;
	size_t n = strlen(name), sl = strlen(c->suffix);
	char id[QUEUE_ID_SIZE];

	if (n != QUEUE_ID_LEN + sl || strcmp(name + QUEUE_ID_LEN, c->suffix))
		return;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	if (queue_id_valid(id))
		strvec_push(c->ids, id);
}

int queue_list(struct queue *q, struct strvec *ids, int failed, struct error *e)
{
	struct collect c = { ids, failed ? ".env" : "" };
	size_t first = ids->n;

	if (each_entry(q, failed ? q->failed : q->env, failed ? "failed" : "env",
		       collect_id, &c, e))
		return -1;
	/* IDs begin with their creation time in fixed-width hex */
	if (ids->n > first)
		qsort(ids->v + first, ids->n - first, sizeof(*ids->v), cmp_str);
	return 0;
}

/* Each sweep step looks at one name of its directory: 0 when done or
 * nothing to do, -1 with e when something could not be done. */
typedef int (*sweep_fn)(struct queue *q, const char *name, unsigned grace_s,
			struct queue_sweep_stats *st, struct error *e);

/* tmp/: whatever a writer left when it died. */
static int sweep_tmp(struct queue *q, const char *name, unsigned grace_s,
		     struct queue_sweep_stats *st, struct error *e)
{
	int r = remove_stale(q->tmp, name, grace_s, -1, NULL);

	if (r < 0)
		return io_error(e, q, "removing", "tmp", name);
	st->tmp_removed += (unsigned)r;
	return 0;
}

/* msg/ID without env/ID: a commit or a removal that stopped half-way. */
static int sweep_msg(struct queue *q, const char *id, unsigned grace_s,
		     struct queue_sweep_stats *st, struct error *e)
{
	int r;

	if (!queue_id_valid(id) || exists_at(q->env, id))
		return 0;
	r = remove_stale(q->msg, id, grace_s, q->env, id);
	if (r < 0)
		return io_error(e, q, "removing", "msg", id);
	st->msg_removed += (unsigned)r;
	return 0;
}

/* env/ID without msg/ID: a fail that stopped after moving the text, done
 * now if no one holds the text; without a text anywhere, an orphan. */
static int sweep_env(struct queue *q, const char *id, unsigned grace_s,
		     struct queue_sweep_stats *st, struct error *e)
{
	char name[QUEUE_ID_SIZE + 4];
	int fd, rc = 0;

	(void)grace_s;
	if (!queue_id_valid(id) || exists_at(q->msg, id))
		return 0;
	snprintf(name, sizeof(name), "%s.msg", id);
	fd = openat(q->failed, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		/* unless it was just finished by someone else */
		if (exists_at(q->env, id))
			st->orphans++;
		return 0;
	}
	/* its failer, while alive, holds the text locked */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		snprintf(name, sizeof(name), "%s.env", id);
		if (renameat(q->env, id, q->failed, name) == 0) {
			rc = sync_dir(q, q->failed, "failed", e) || sync_dir(q, q->env, "env", e) ? -1 : 0;
			if (rc == 0)
				st->fails_completed++;
		} else if (errno != ENOENT) {
			rc = io_error(e, q, "moving to failed/", "env", id);
		}
	}
	close(fd);
	return rc;
}

static void collect_name(void *ctx, const char *name)
{
	if (strcmp(name, ".") && strcmp(name, ".."))
		strvec_push(ctx, name);
}

int queue_sweep(struct queue *q, unsigned grace_s, struct queue_sweep_stats *st,
		struct error *e)
{
	static const sweep_fn steps[] = { sweep_tmp, sweep_msg, sweep_env };
	const int dirs[] = { q->tmp, q->msg, q->env };
	static const char *const subs[] = { "tmp", "msg", "env" };
	struct queue_sweep_stats dummy;
	struct error first, cur;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	error_clear(&first);
	/* go on after an error, and report the first */
	for (size_t i = 0; i < 3; i++) {
		struct strvec names = STRVEC_INIT;

		if (each_entry(q, dirs[i], subs[i], collect_name, &names, &cur) && !first.cls)
			first = cur;
		for (size_t k = 0; k < names.n; k++)
			if (steps[i](q, names.v[k], grace_s, st, &cur) && !first.cls)
				first = cur;
		strvec_release(&names);
	}
	if (first.cls == ERR_NONE)
		return 0;
	if (e)
		*e = first;
	return -1;
}
