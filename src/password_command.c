/* password_command.c - running password_command: fork, /bin/sh -c, both pipes
 * read under one deadline, and the exit status turned into a message.
 *
 * Its stdout may be a password: it goes into a fixed-size buffer (never
 * realloc'ed, which would leave copies in freed memory) wiped before
 * returning, and is never shown in a message; only its stderr is. */
#define _GNU_SOURCE 1	/* pipe2, O_CLOEXEC on older libcs */

#include "password_command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "interrupt.h"

#define CMD_OUT_MAX (64 * 1024)		/* stdout of password_command kept */
#define CMD_ERR_MAX 4096		/* stderr kept for the message */
#define CMD_ERR_SHOWN 300		/* of which shown */

/* Untrusted text (a command's stderr) made fit for one message line. */
static void add_sanitized(struct buf *b, const char *p, size_t n, size_t max)
{
	struct buf joined = BUF_INIT;
	char shown[CMD_ERR_SHOWN + 4];

	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	/* its lines joined by " / ", then the one escaping policy */
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			buf_adds(&joined, " / ");
		else if (!(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			buf_add(&joined, p + i, 1);
	}
	buf_adds(b, str_escape(shown, max + 4 < sizeof(shown) ? max + 4 : sizeof(shown),
			       joined.data, joined.len));
	buf_release(&joined);
}

/* A pipe whose ends the command does not inherit beyond the dup2s. */
static int cloexec_pipe(int fd[2])
{
#ifdef HAVE_PIPE2
	return pipe2(fd, O_CLOEXEC);
#else
	if (pipe(fd) < 0)
		return -1;
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
#endif
}

int password_command_run(const struct account *a, unsigned timeout_s, int own_group, struct secret *s,
		  struct error *e)
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
	if (cloexec_pipe(op) || cloexec_pipe(ep)) {
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
		/* the third: a terminating signal (interrupt.h) */
		struct pollfd pf[3] = { { op[0], POLLIN, 0 }, { ep[0], POLLIN, 0 },
					{ interrupt_fd(), POLLIN, 0 } };
		long long left = deadline - now_ms();
		int n;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		n = interrupt_signal() ? -1 : poll(pf, 3, left > 1000 ? 1000 : (int)left);
		if (interrupt_signal()) {
			interrupted = 1;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
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

		if (interrupt_signal()) {
			interrupted = 1;
			break;
		}
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
		error_set(e, ERR_INTERRUPTED, "interrupted by %s while password_command (line %d) "
			  "was running", interrupt_name(interrupt_signal()), a->password_command_line);
		goto kill_out;
	}

	if (WIFSIGNALED(status))
		buf_addf(&msg, "password_command (line %d) was killed by signal %d",
			 a->password_command_line, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		buf_addf(&msg, "password_command (line %d) exited with status %d%s",
			 a->password_command_line, WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found?)" : "");
	else if (secret_set_first_line(s, out, nout, SECRET_COMMAND))
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
