#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static volatile sig_atomic_t caught;
static int pipe_rd = -1, pipe_wr = -1;

static void on_signal(int sig)
{
	int saved = errno;

	if (!caught)
		caught = sig;
	if (pipe_wr >= 0) {
		ssize_t n = write(pipe_wr, "!", 1);	/* full pipe: already woken */

		(void)n;
	}
	errno = saved;
}

void interrupt_setup(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	int fds[2];

	if (pipe(fds) == 0) {
		for (int i = 0; i < 2; i++) {
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
			fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		}
		pipe_rd = fds[0];
		pipe_wr = fds[1];
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: blocking calls must end */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

const char *interrupt_name(int sig)
{
	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	}
	return "a signal";
}

int interrupt_signal(void)
{
	return caught;
}

int interrupt_fd(void)
{
	return pipe_rd;
}

int interrupt_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p[2] = { { fd, events, 0 }, { pipe_rd, POLLIN, 0 } };
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		long long left = deadline - now_ms();
		int n;

		if (caught)
			return errno = EINTR, -1;
		if (timeout_ms >= 0 && left < 0)
			left = 0;
		n = poll(p, pipe_rd >= 0 ? 2 : 1, timeout_ms < 0 ? -1 : (int)left);
		if (caught)
			return errno = EINTR, -1;
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
		/* some other signal: wait on, within the same deadline */
	}
}

void interrupt_exit(void)
{
	struct sigaction sa;
	sigset_t set;
	int sig = caught;

	if (!sig)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}
