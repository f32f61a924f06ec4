/* secret.c - password sources (config, password_command, keyring, .netrc,
 * terminal) and the one struct that holds the result.
 *
 * Every buffer that may hold a password is fixed in size (never realloc'ed,
 * which would leave copies behind in freed memory) and wiped before it is
 * freed. */
#define _GNU_SOURCE 1	/* pipe2, O_CLOEXEC on older libcs */

#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"

#ifdef HAVE_LIBSECRET
/* The D-Bus path functions (secret-paths.h) let postern search without
 * building a proxy per item and without ever asking the service to unlock
 * (which would try to pop up a prompt from cron). */
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>
#endif

#define CMD_OUT_MAX (64 * 1024)		/* stdout of password_command kept */
#define CMD_ERR_MAX 4096		/* stderr kept for the message */
#define CMD_ERR_SHOWN 300		/* of which shown */
#define NETRC_MAX (1024 * 1024)
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

/* Copy n bytes into s (which must be empty). */
static void secret_set(struct secret *s, const char *p, size_t n, enum secret_source src)
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

/* The first line of p[0..n) (CR/LF stripped) into s.  Returns 0, or -1 when
 * the line is empty or holds a NUL (not a usable password). */
static int first_line(const char *p, size_t n, enum secret_source src, struct secret *s)
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

/* Untrusted text (a command's stderr) made fit for one message line. */
static void add_sanitized(struct buf *b, const char *p, size_t n, size_t max)
{
	size_t shown = 0;

	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n && shown < max; i++, shown++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n')
			buf_adds(b, " / ");
		else if (c < 0x20 || c == 0x7f)
			buf_add(b, "?", 1);
		else
			buf_add(b, p + i, 1);
	}
	if (n > max)
		buf_adds(b, "...");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------ password_command */

/* Run cmd through /bin/sh -c with stdin from /dev/null; keep its stdout
 * (up to CMD_OUT_MAX) and stderr (up to CMD_ERR_MAX), bounded by timeout_s.
 * Nothing secret goes into the command's argv or environment: the password
 * only comes back through the pipe.  own_group: put the command in its own
 * process group so that a timeout kills everything it started (not done
 * for an interactive session, where the command may need the terminal,
 * which a background process group cannot read). */
static int run_password_command(const struct account *a, unsigned timeout_s, int own_group,
				struct secret *s, struct error *e)
{
	char *out = xmalloc(CMD_OUT_MAX + 1);
	char err[CMD_ERR_MAX];
	char tmp[4096];
	size_t nout = 0, nerr = 0;
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int devnull = -1, status = 0, rc = -1, timed_out = 0, interrupted = 0;
	long maxfd = sysconf(_SC_OPEN_MAX);
	long long deadline = now_ms() + (long long)timeout_s * 1000;
	pid_t pid = -1;
	struct buf msg = BUF_INIT;

	if (maxfd < 0 || maxfd > 4096)
		maxfd = 4096;
	if (pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		error_set(e, ERR_OS, "password_command: cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		error_set(e, ERR_OS, "password_command: cannot open /dev/null: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		error_set(e, ERR_OS, "password_command: cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls from here on. */
		struct sigaction sa;
		sigset_t none;

		if (own_group)
			setpgid(0, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &sa, NULL);	/* ignored in postern; inherited by exec */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(devnull, 0) < 0 || dup2(op[1], 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		for (long fd = 3; fd < maxfd; fd++)
			close((int)fd);
		execl("/bin/sh", "sh", "-c", a->password_command, (char *)NULL);
		_exit(127);
	}
	if (own_group)
		setpgid(pid, pid);	/* also here: no race with the kill below */
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;

	/* Read both pipes until EOF on both, or the deadline. */
	while (op[0] >= 0 || ep[0] >= 0) {
		struct pollfd pf[2] = { { op[0], POLLIN, 0 }, { ep[0], POLLIN, 0 } };
		long long left = deadline - now_ms();
		int n;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		n = poll(pf, 2, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno == EINTR) {
			interrupted = 1;
			break;
		}
		if (n < 0) {
			error_set(e, ERR_OS, "password_command: poll: %s", strerror(errno));
			goto kill_out;
		}
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &ep[0] : &op[0];
			ssize_t r;

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(*fd, tmp, sizeof(tmp));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			/* Beyond the cap, keep draining so the command is not blocked. */
			if (i == 0) {
				size_t k = (size_t)r < CMD_OUT_MAX - nout ? (size_t)r : CMD_OUT_MAX - nout;
				memcpy(out + nout, tmp, k);
				nout += k;
			} else {
				size_t k = (size_t)r < sizeof(err) - nerr ? (size_t)r : sizeof(err) - nerr;
				memcpy(err + nerr, tmp, k);
				nerr += k;
			}
		}
	}
	/* Both pipes closed: the command is (nearly) done; wait for it within
	 * what is left of the deadline. */
	while (!timed_out && !interrupted) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			pid = -1;
			break;
		}
		if (w < 0 && errno != EINTR) {
			error_set(e, ERR_OS, "password_command: waitpid: %s", strerror(errno));
			pid = -1;
			goto out;
		}
		if (now_ms() >= deadline) {
			timed_out = 1;
			break;
		}
		usleep(5000);
	}
	if (timed_out) {
		error_set(e, ERR_CONFIG,
			  "password_command (line %d) did not finish within %u s and was killed; "
			  "make it faster or check that it does not wait for input",
			  a->password_command_line, timeout_s);
		goto kill_out;
	}
	if (interrupted) {
		error_set(e, ERR_TEMP, "interrupted while password_command (line %d) was running",
			  a->password_command_line);
		goto kill_out;
	}

	if (WIFSIGNALED(status))
		buf_addf(&msg, "password_command (line %d) was killed by signal %d",
			 a->password_command_line, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		buf_addf(&msg, "password_command (line %d) exited with status %d%s",
			 a->password_command_line, WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found?)" : "");
	else if (first_line(out, nout, SECRET_COMMAND, s))
		buf_addf(&msg, "password_command (line %d) printed nothing%s",
			 a->password_command_line,
			 nout ? " usable on its first line" : " on standard output");
	if (msg.len) {
		if (nerr) {
			buf_adds(&msg, ": ");
			add_sanitized(&msg, err, nerr, CMD_ERR_SHOWN);
		}
		error_set(e, ERR_CONFIG, "%s", msg.data);
		goto out;
	}
	snprintf(s->desc, sizeof(s->desc), "password_command (line %d)", a->password_command_line);
	rc = 0;
	goto out;

kill_out:
	if (pid > 0) {
		kill(own_group ? -pid : pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		pid = -1;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (devnull >= 0)
		close(devnull);
	OPENSSL_cleanse(out, CMD_OUT_MAX + 1);
	free(out);
	OPENSSL_cleanse(err, sizeof(err));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	buf_release(&msg);
	return rc;
}

/* ----------------------------------------------------------------- netrc */

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
	char password[LINE_MAX_SECRET];
};

static int netrc_entry_usable(const struct netrc_entry *en)
{
	return (en->matches_host || en->is_default) && (!en->has_login || en->login_ok) &&
	       en->has_password;
}

/* Find machine host (or default) with login user (or no login) in text.
 * Returns 1 with the password in s, 0 if no entry fits. */
static int netrc_parse(const char *text, size_t len, const char *host, const char *user,
		       struct secret *s, int *pw_line)
{
	struct netrc_tok t = { text, text + len, 1 };
	struct netrc_entry cur, best_default;
	char tok[LINE_MAX_SECRET];
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

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return xstrdup(h);
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

/* Returns 1 found, 0 not (why says so), -1 refused (e). */
static int netrc_lookup(const struct account *a, struct secret *s, struct buf *why,
			struct error *e)
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
	if (!netrc_parse(text, got, a->host, a->user, s, &pw_line)) {
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
	if (first_line(line, n, SECRET_PROMPT, s)) {
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

/* --------------------------------------------------------------- keyring */

enum kr_result {
	KR_FOUND,
	KR_NONE,	/* why says what was missing */
};

/* The message the issue asks for, also used by password set/forget. */
#define NO_BUS_MSG "no D-Bus session bus (cron, a web server...): the keyring is unavailable; " \
	"use password_command or a password in a 0600 config"
#define LOCKED_MSG "the keyring is locked: unlock it (log in to the desktop, or " \
	"`gnome-keyring-daemon --unlock`)"

/* Whether a session bus can be found without starting one: what GDBus would
 * try is $DBUS_SESSION_BUS_ADDRESS, then $XDG_RUNTIME_DIR/bus (falling back
 * to the cache directory, as g_get_user_runtime_dir does), then X11
 * autolaunch.  Checking the first two here spares cron and PHP the GLib and
 * D-Bus start-up and the "Cannot autolaunch D-Bus without X11 $DISPLAY". */
int secret_session_bus_present(void)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	const char *cache = getenv("XDG_CACHE_HOME");
	char *path = NULL, *home = NULL;
	struct stat st;
	int found;

	if (addr && *addr)
		return 1;
	if (rt && *rt)
		path = xasprintf("%s/bus", rt);
	else if (cache && *cache == '/')
		path = xasprintf("%s/bus", cache);
	else if ((home = home_dir()) != NULL)
		path = xasprintf("%s/.cache/bus", home);
	found = path && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
	free(path);
	free(home);
	return found;
}

#ifdef HAVE_LIBSECRET
/* msmtp's schema: with DONT_MATCH_NAME a search by these attributes finds
 * msmtp's entries, postern's own (SECRET_SCHEMA) and secret-tool's alike. */
static const SecretSchema any_schema = {
	"de.marlam.msmtp.password", SECRET_SCHEMA_DONT_MATCH_NAME,
	{
		{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* postern's own, for storing (and forgetting only what postern stored). */
static const SecretSchema own_schema = {
	SECRET_SCHEMA, SECRET_SCHEMA_NONE,
	{
		{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* GLib and libsecret would print their own warnings on stderr; postern says
 * what went wrong itself, and shows theirs only with -v. */
static void quiet_glib(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)data;
	if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return;
	log_info("%s: %s", domain ? domain : "glib", msg);
}

/* A GError from connecting or talking to the Secret Service, as a plain
 * sentence in why. */
static void keyring_error(GError *err, struct buf *why)
{
	if (g_dbus_error_is_remote_error(err))
		g_dbus_error_strip_remote_error(err);
	if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
		buf_addf(why, "the keyring: no Secret Service (org.freedesktop.secrets) on the session bus "
			 "(%s); start gnome-keyring-daemon or KeePassXC's Secret Service, or use "
			 "password_command", err->message);
	else if (err->domain == G_IO_ERROR || g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_FILE_NOT_FOUND) ||
		 g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_NO_SERVER) ||
		 g_error_matches(err, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
		buf_addf(why, "the keyring: cannot reach the D-Bus session bus (%s); " NO_BUS_MSG,
			 err->message);
	else
		buf_addf(why, "the keyring: %s", err->message);
}

/* Whether the default collection is locked: one round trip, only asked on
 * the way to an error (some services hide the items of a locked one). */
static int default_collection_locked(SecretService *svc)
{
	GDBusConnection *conn = g_dbus_proxy_get_connection(G_DBUS_PROXY(svc));
	GVariant *r, *v = NULL;
	int locked = 0;

	r = g_dbus_connection_call_sync(conn, g_dbus_proxy_get_name(G_DBUS_PROXY(svc)),
					"/org/freedesktop/secrets/aliases/default",
					"org.freedesktop.DBus.Properties", "Get",
					g_variant_new("(ss)", "org.freedesktop.Secret.Collection", "Locked"),
					G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	if (!r)
		return 0;
	g_variant_get(r, "(v)", &v);
	if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		locked = g_variant_get_boolean(v);
	if (v)
		g_variant_unref(v);
	g_variant_unref(r);
	return locked;
}

static SecretService *keyring_connect(struct buf *why)
{
	GError *err = NULL;
	SecretService *svc;

	if (!secret_session_bus_present()) {
		buf_adds(why, "the keyring: " NO_BUS_MSG);
		return NULL;
	}
	svc = secret_service_get_sync(SECRET_SERVICE_NONE, NULL, &err);
	if (!svc) {
		keyring_error(err, why);
		g_error_free(err);
	}
	return svc;
}

static void keyring_disconnect(SecretService *svc)
{
	if (svc)
		g_object_unref(svc);
	secret_service_disconnect();
}

/* One search (one D-Bus call); on an unlocked hit, its secret (a session,
 * then one call).  Returns 1 found, 0 not found (*locked set when only
 * locked items matched), -1 on a D-Bus error (why). */
static int keyring_search(SecretService *svc, const SecretSchema *schema, GHashTable *attrs,
			  struct secret *s, int *locked, struct buf *why)
{
	gchar **unlocked = NULL, **lck = NULL;
	SecretValue *val = NULL;
	GError *err = NULL;
	const gchar *p;
	gsize n = 0;
	int rc = -1;

	if (!secret_service_search_for_dbus_paths_sync(svc, schema, attrs, NULL, &unlocked, &lck, &err))
		goto fail;
	if (unlocked && unlocked[0]) {
		val = secret_service_get_secret_for_dbus_path_sync(svc, unlocked[0], NULL, &err);
		if (!val && err)
			goto fail;
		p = val ? secret_value_get(val, &n) : NULL;
		if (!p || !n || memchr(p, '\0', n)) {
			buf_adds(why, "the keyring: the entry found holds an empty or binary password");
			rc = 0;
			goto out;
		}
		secret_set(s, p, n, SECRET_KEYRING);
		rc = 1;
		goto out;
	}
	if (lck && lck[0])
		*locked = 1;
	rc = 0;
	goto out;
fail:
	keyring_error(err, why);
	g_error_free(err);
out:
	if (val)
		secret_value_unref(val);	/* libsecret wipes its secure memory */
	g_strfreev(unlocked);
	g_strfreev(lck);
	return rc;
}

static int keyring_lookup(const struct account *a, struct secret *s, struct buf *why)
{
	GLogFunc old = g_log_set_default_handler(quiet_glib, NULL);
	SecretService *svc = keyring_connect(why);
	GHashTable *attrs = NULL, *compat = NULL;
	int found = 0, locked = 0;

	if (!svc)
		goto out;
	attrs = secret_attributes_build(&any_schema, "host", a->host, "service", "smtp",
					"user", a->user, NULL);
	found = keyring_search(svc, &any_schema, attrs, s, &locked, why);
	if (found == 1) {
		snprintf(s->desc, sizeof(s->desc), "the keyring (host=%s service=smtp user=%s)",
			 a->host, a->user);
		goto out;
	}
	if (found < 0 || why->len)
		goto out;
	if (!locked) {
		compat = secret_attributes_build(SECRET_SCHEMA_COMPAT_NETWORK, "user", a->user,
						 "protocol", "smtp", "server", a->host, NULL);
		found = keyring_search(svc, SECRET_SCHEMA_COMPAT_NETWORK, compat, s, &locked, why);
		if (found == 1) {
			snprintf(s->desc, sizeof(s->desc),
				 "the keyring (network password: server=%s protocol=smtp user=%s)",
				 a->host, a->user);
			goto out;
		}
		if (found < 0 || why->len)
			goto out;
	}
	if (locked)
		buf_adds(why, "the keyring: an entry matches, but " LOCKED_MSG);
	else if (default_collection_locked(svc))
		buf_adds(why, "the keyring: no entry found, and " LOCKED_MSG);
	else
		buf_addf(why, "the keyring: no entry for host=%s service=smtp user=%s", a->host, a->user);
out:
	if (attrs)
		g_hash_table_unref(attrs);
	if (compat)
		g_hash_table_unref(compat);
	keyring_disconnect(svc);
	g_log_set_default_handler(old, NULL);
	return found == 1;
}

int secret_keyring_store(const struct account *a, const char *password, struct error *e)
{
	GLogFunc old = g_log_set_default_handler(quiet_glib, NULL);
	struct buf why = BUF_INIT;
	SecretService *svc = keyring_connect(&why);
	GHashTable *attrs = NULL;
	SecretValue *val = NULL;
	GError *err = NULL;
	char *label = NULL;
	int rc = -1;

	if (!svc) {
		error_set(e, ERR_CONFIG, "%s", why.data);
		goto out;
	}
	attrs = secret_attributes_build(&own_schema, "host", a->host, "service", "smtp",
					"user", a->user, NULL);
	label = xasprintf("postern: %s at %s", a->user, a->host);
	val = secret_value_new(password, -1, "text/plain");
	if (!secret_service_store_sync(svc, &own_schema, attrs, SECRET_COLLECTION_DEFAULT, label,
				       val, NULL, &err)) {
		if (default_collection_locked(svc)) {
			error_set(e, ERR_CONFIG, "cannot store the password: " LOCKED_MSG);
		} else {
			buf_reset(&why);
			keyring_error(err, &why);
			error_set(e, ERR_CONFIG, "cannot store the password: %s", why.data);
		}
		g_error_free(err);
		goto out;
	}
	rc = 0;
out:
	if (val)
		secret_value_unref(val);
	if (attrs)
		g_hash_table_unref(attrs);
	free(label);
	buf_release(&why);
	keyring_disconnect(svc);
	g_log_set_default_handler(old, NULL);
	return rc;
}

int secret_keyring_forget(const struct account *a, struct error *e)
{
	GLogFunc old = g_log_set_default_handler(quiet_glib, NULL);
	struct buf why = BUF_INIT;
	SecretService *svc = keyring_connect(&why);
	GHashTable *attrs = NULL;
	GError *err = NULL;
	gchar **unlocked = NULL, **lck = NULL;
	int rc = -1;

	if (!svc) {
		error_set(e, ERR_CONFIG, "%s", why.data);
		goto out;
	}
	attrs = secret_attributes_build(&own_schema, "host", a->host, "service", "smtp",
					"user", a->user, NULL);
	/* Search first: clearing a locked item would ask the service for a
	 * prompt; say "locked" instead. */
	if (!secret_service_search_for_dbus_paths_sync(svc, &own_schema, attrs, NULL, &unlocked, &lck, &err))
		goto dbus_fail;
	if (lck && lck[0] && !(unlocked && unlocked[0])) {
		error_set(e, ERR_CONFIG, "cannot remove the password: " LOCKED_MSG);
		goto out;
	}
	if (!(unlocked && unlocked[0])) {
		rc = 0;
		goto out;
	}
	if (!secret_service_clear_sync(svc, &own_schema, attrs, NULL, &err) && err)
		goto dbus_fail;
	rc = 1;
	goto out;
dbus_fail:
	keyring_error(err, &why);
	error_set(e, ERR_CONFIG, "%s", why.data);
	g_error_free(err);
out:
	g_strfreev(unlocked);
	g_strfreev(lck);
	if (attrs)
		g_hash_table_unref(attrs);
	buf_release(&why);
	keyring_disconnect(svc);
	g_log_set_default_handler(old, NULL);
	return rc;
}

int secret_keyring_others(const struct account *a)
{
	GLogFunc old = g_log_set_default_handler(quiet_glib, NULL);
	struct buf why = BUF_INIT;
	SecretService *svc = keyring_connect(&why);
	GHashTable *attrs = NULL;
	gchar **unlocked = NULL, **lck = NULL;
	int n = 0;

	if (svc) {
		attrs = secret_attributes_build(&any_schema, "host", a->host, "service", "smtp",
						"user", a->user, NULL);
		if (secret_service_search_for_dbus_paths_sync(svc, &any_schema, attrs, NULL, &unlocked,
							      &lck, NULL)) {
			n += unlocked ? (int)g_strv_length(unlocked) : 0;
			n += lck ? (int)g_strv_length(lck) : 0;
		}
	}
	g_strfreev(unlocked);
	g_strfreev(lck);
	if (attrs)
		g_hash_table_unref(attrs);
	buf_release(&why);
	keyring_disconnect(svc);
	g_log_set_default_handler(old, NULL);
	return n;
}

#else /* !HAVE_LIBSECRET */

#define NO_KEYRING_MSG "postern was built without keyring support (configure --without-libsecret)"

static int keyring_lookup(const struct account *a, struct secret *s, struct buf *why)
{
	(void)a;
	(void)s;
	buf_adds(why, "the keyring: " NO_KEYRING_MSG);
	return 0;
}

int secret_keyring_store(const struct account *a, const char *password, struct error *e)
{
	(void)a;
	(void)password;
	return error_set(e, ERR_CONFIG, "cannot store the password: " NO_KEYRING_MSG
			 "; use password_command or a password in a 0600 config");
}

int secret_keyring_forget(const struct account *a, struct error *e)
{
	(void)a;
	return error_set(e, ERR_CONFIG, "cannot remove the password: " NO_KEYRING_MSG);
}

int secret_keyring_others(const struct account *a)
{
	(void)a;
	return 0;
}
#endif

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
		return run_password_command(a, o && o->command_timeout ? o->command_timeout : 30,
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
