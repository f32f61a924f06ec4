/* test_session.c - session_open(), session_deliver() and session_close()
 * over real sockets, against the scripted SMTP peer (tests/peer/smtp-peer.py)
 * on 127.0.0.1: the proof that several messages share ONE connection, with
 * RSET between them, and that the report and session_usable() tell a
 * refused message from a lost connection.  The peer serves two connections,
 * each following its scenario to the end, or it exits non-zero.
 *
 * Needs python3 ($PYTHON3, else python3 on PATH): without it the test says
 * "1..0 # SKIP" and exits 0, as TAP wants. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "session.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

/* Connection 1: AUTH PLAIN in cleartext (auth_without_tls), then two
 * messages: the second starts with RSET in its pipelined flight, one of its
 * recipients is refused.  session_close() must QUIT. */
static const char scenario_1[] =
	"send 220 peer.test ESMTP\n"
	"expect EHLO client.test\n"
	"send 250-peer.test\n"
	"send 250-PIPELINING\n"
	"send 250-SIZE 1000000\n"
	"send 250 AUTH PLAIN\n"
	"expect AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
	"send 235 2.7.0 Authentication successful\n"
	"expect MAIL FROM:<a@example.org> SIZE=\n"
	"expect RCPT TO:<b@example.org>\n"
	"expect DATA\n"
	"send 250 2.1.0 Ok\n"
	"send 250 2.1.5 Ok\n"
	"send 354 go ahead\n"
	"read-data\n"
	"send 250 2.0.0 Ok: queued as ONE\n"
	"expect-re RSET\n"
	"expect MAIL FROM:<a@example.org> SIZE=\n"
	"expect RCPT TO:<c@example.org>\n"
	"expect RCPT TO:<nobody@example.org>\n"
	"expect DATA\n"
	"send 250 2.0.0 Ok\n"
	"send 250 2.1.0 Ok\n"
	"send 250 2.1.5 Ok\n"
	"send 550 5.1.1 <nobody@example.org>: Recipient address rejected\n"
	"send 354 go ahead\n"
	"read-data\n"
	"send 250 2.0.0 Ok: queued as TWO\n"
	"expect-re QUIT\n"
	"send 221 2.0.0 Bye\n";

/* Connection 2: the first message meets a 421 at MAIL; the client must
 * close without QUIT (anything it sends fails the scenario). */
static const char scenario_2[] =
	"send 220 peer.test ESMTP\n"
	"expect EHLO client.test\n"
	"send 250-peer.test\n"
	"send 250-PIPELINING\n"
	"send 250 AUTH PLAIN\n"
	"expect AUTH PLAIN\n"
	"send 235 2.7.0 Authentication successful\n"
	"expect MAIL FROM:<a@example.org>\n"
	"expect RCPT TO:<d@example.org>\n"
	"expect DATA\n"
	"send 421 4.3.2 peer.test shutting down\n"
	"expect-eof\n";

static char dir[] = "/tmp/test_session.XXXXXX";

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Start argv with stdout and stderr to out; returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);

		if (fd < 0 || in < 0)
			_exit(127);
		dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The exit status of pid, waiting at most ms; -1 if it did not end (it is
 * killed then). */
static int wait_for(pid_t pid, long long ms)
{
	long long end = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20 * 1000);
	}
}

/* A spool holding text (LF line ends), counted as input.c would. */
static int make_spool(struct spool *sp, const char *text, struct error *e)
{
	if (spool_create(sp, dir, e) || spool_write(sp, text, strlen(text), e))
		return -1;
	sp->bytes = strlen(text);
	for (const char *p = text; *p; p++)
		sp->lines += *p == '\n';
	return 0;
}

/* env (initialized) for the message in sp. */
static void envelope_set(struct envelope *env, const struct spool *sp, const char *rcpt1,
			 const char *rcpt2)
{
	env->from = "a@example.org";
	strvec_push(&env->rcpts, rcpt1);
	if (rcpt2)
		strvec_push(&env->rcpts, rcpt2);
	env->size = sp->bytes + sp->lines;
}

static void show_file(const char *what, const char *path)
{
	char *text = tap_slurp(path, NULL);

	printf("# %s:\n", what);
	for (char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");

		printf("#   %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	free(text);
}

/* Whether a socket can listen on 127.0.0.1 and be connected to. */
static int loopback_usable(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), usable;

	usable = l >= 0 && c >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		 listen(l, 1) == 0 && getsockname(l, (struct sockaddr *)&a, &len) == 0 &&
		 connect(c, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	return usable;
}

int main(void)
{
	const char *python = getenv("PYTHON3"), *top = getenv("top_srcdir");
	char *peer = NULL, *scn1 = NULL, *scn2 = NULL, *port_file = NULL, *log = NULL;
	char *data = NULL, *out = NULL, *cfg_text = NULL, *port = NULL, *got = NULL;
	char password[] = "secret";
	struct config cfg;
	const struct account *a = NULL;
	struct session *ss = NULL;
	struct session_report r;
	struct envelope env1, env2, env3;
	struct spool sp1, sp2, sp3;
	struct error e;
	pid_t pid;
	int rc, status;

	if (!python || !*python)
		python = "python3";
	{
		/* python3 missing is a skip, reported as such */
		char *argv[] = { (char *)python, (char *)"-c", (char *)"", NULL };

		pid = spawn(argv, "/dev/null");
		if (pid < 0 || wait_for(pid, 30000) != 0) {
			printf("1..0 # SKIP %s is not available to run the scripted SMTP peer\n",
			       python);
			return 0;
		}
	}
	if (!loopback_usable()) {
		/* a package build without network may have no loopback */
		printf("1..0 # SKIP no usable loopback (127.0.0.1): cannot listen and connect there\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	config_init(&cfg);
	session_report_init(&r);
	memset(&env1, 0, sizeof(env1));
	memset(&env2, 0, sizeof(env2));
	memset(&env3, 0, sizeof(env3));
	strvec_init(&env1.rcpts);
	strvec_init(&env2.rcpts);
	strvec_init(&env3.rcpts);
	memset(&sp1, 0, sizeof(sp1));
	memset(&sp2, 0, sizeof(sp2));
	memset(&sp3, 0, sizeof(sp3));
	sp1.fd = sp2.fd = sp3.fd = -1;
	error_clear(&e);
	if (!ok(mkdtemp(dir) != NULL, "temporary directory"))
		return tap_done();

	peer = xasprintf("%s/tests/peer/smtp-peer.py", top ? top : ".");
	scn1 = path_in("one.scn");
	scn2 = path_in("two.scn");
	port_file = path_in("port");
	log = path_in("peer.log");
	data = path_in("data");
	out = path_in("peer.out");
	tap_write_file(scn1, scenario_1, 0644);
	tap_write_file(scn2, scenario_2, 0644);
	{
		char *argv[] = { (char *)python, peer, (char *)"--port-file", port_file,
				 (char *)"--log", log, (char *)"--data-file", data,
				 (char *)"--count", (char *)"2", (char *)"--timeout", (char *)"10",
				 (char *)"--accept-timeout", (char *)"20", scn1, scn2, NULL };

		pid = spawn(argv, out);
	}
	for (int i = 0; i < 500 && !(port = tap_slurp(port_file, NULL)); i++)
		usleep(20 * 1000);
	if (!ok(pid > 0 && port && *port, "the peer listens")) {
		show_file("peer output", out);
		goto out;
	}
	port[strcspn(port, "\r\n")] = '\0';
	cfg_text = xasprintf("[t]\nhost = 127.0.0.1\nport = %s\ntls = off\nauth = plain\n"
			     "auth_without_tls = yes\nuser = alice\nfrom = a@example.org\n"
			     "timeout = 10\nehlo_name = client.test\n", port);
	if (!ok(config_parse_string(&cfg, "test", cfg_text, &e) == 0, "account parses")) {
		printf("#   %s\n", e.msg);
		goto out;
	}
	a = &cfg.acc[0];
	if (!ok(make_spool(&sp1, "Subject: one\n\nfirst body\n", &e) == 0 &&
		make_spool(&sp2, "Subject: two\n\n.dot line\n", &e) == 0 &&
		make_spool(&sp3, "Subject: three\n\nthird\n", &e) == 0, "spools")) {
		printf("#   %s\n", e.msg);
		goto out;
	}
	envelope_set(&env1, &sp1, "b@example.org", NULL);
	envelope_set(&env2, &sp2, "c@example.org", "nobody@example.org");
	envelope_set(&env3, &sp3, "d@example.org", NULL);

	/* connection 1: open, two messages, close */
	rc = session_open(&ss, a, password, "client.test", &e);
	if (!ok(rc == 0 && ss, "session_open succeeds"))
		printf("#   %s\n", e.msg);
	/* the password was needed for AUTH only */
	memset(password, 'X', sizeof(password) - 1);
	ok(session_usable(ss), "the opened session is usable");

	rc = session_deliver(ss, &env1, &sp1, &r, &e);
	if (!ok(rc == 0, "message 1 accepted"))
		printf("#   %s\n", e.msg);
	is_int(r.delivered, 1, "message 1 delivered");
	is_int(r.nrcpts, 1, "message 1: one recipient in the report");
	is_int(r.nrcpts ? r.rcpt[0].code : -1, 250, "message 1: its RCPT code");
	ok(session_usable(ss), "usable after message 1");

	rc = session_deliver(ss, &env2, &sp2, &r, &e);
	is_int(rc, -1, "message 2 fails (one recipient refused)");
	is_int(e.cls, ERR_NOUSER, "message 2: the class is NOUSER");
	ok(strstr(e.msg, "127.0.0.1 port") && strstr(e.msg, "<nobody@example.org> (550 5.1.1"),
	   "message 2: the error names the server and the refused recipient");
	printf("#   %s\n", e.msg);
	is_int(r.delivered, 1, "message 2 delivered to the other recipient");
	is_int(r.nrcpts, 2, "message 2: two recipients in the report");
	is_int(r.nrcpts == 2 ? r.rcpt[0].code : -1, 250, "message 2: c got 250");
	is_int(r.nrcpts == 2 ? r.rcpt[1].code : -1, 550, "message 2: nobody got 550");
	is_str(r.nrcpts == 2 ? r.rcpt[1].reply : NULL,
	       "550 5.1.1 <nobody@example.org>: Recipient address rejected",
	       "message 2: nobody's reply text");
	is_str(r.nrcpts == 2 ? r.rcpt[0].reply : NULL, "250 2.1.5 Ok", "message 2: c's reply text");
	is_int(r.refused.n, 1, "message 2: one refused in the old list");
	ok(session_usable(ss), "usable after a refused recipient");
	session_close(ss);
	ss = NULL;

	/* connection 2: a 421 ends it; the session says so */
	rc = session_open(&ss, a, "secret", "client.test", &e);
	if (!ok(rc == 0 && ss, "second session_open succeeds"))
		printf("#   %s\n", e.msg);
	rc = session_deliver(ss, &env3, &sp3, &r, &e);
	is_int(rc, -1, "message 3 fails");
	is_int(e.cls, ERR_TEMP, "message 3: 421 is temporary");
	ok(strstr(e.msg, "421 4.3.2") != NULL, "message 3: the error quotes the 421");
	is_int(r.delivered, 0, "message 3 not delivered");
	is_int(r.nrcpts == 1 ? r.rcpt[0].code : -1, 0, "message 3: no RCPT reply that counts");
	ok(r.nrcpts == 1 && r.rcpt[0].reply == NULL, "message 3: no reply text");
	ok(!session_usable(ss), "not usable after a 421");
	error_clear(&e);
	rc = session_deliver(ss, &env3, &sp3, &r, &e);
	ok(rc == -1 && e.cls == ERR_TEMP && strstr(e.msg, "can carry no more messages"),
	   "a message on a dead session fails at once, temporarily");
	session_close(ss);
	ss = NULL;
	session_close(NULL);

	status = wait_for(pid, 20000);
	pid = 0;
	if (!ok(status == 0, "the peer ran both scenarios to the end on two connections")) {
		printf("#   peer exit status %d\n", status);
		show_file("peer output", out);
		show_file("peer log", log);
	}
	got = tap_slurp(data, NULL);
	is_str(got, "Subject: one\r\n\r\nfirst body\r\n", "message 1 arrived as sent");
	free(got);
	{
		char *d2 = xasprintf("%s.2", data);

		got = tap_slurp(d2, NULL);
		is_str(got, "Subject: two\r\n\r\n..dot line\r\n", "message 2 arrived, dot-stuffed");
		free(got);
		unlink(d2);
		free(d2);
	}
	got = tap_slurp(log, NULL);
	ok(got && strstr(got, "C: RSET\n") && !strstr(got, "C: RSET\nC: RSET"),
	   "the peer saw one RSET");
	{
		/* the first message follows AUTH with no RSET before it */
		const char *auth = got ? strstr(got, "S: 235") : NULL;
		const char *mail = auth ? strstr(auth, "C: MAIL") : NULL;
		const char *rset = auth ? strstr(auth, "C: RSET") : NULL;

		ok(mail && rset && mail < rset, "RSET only before the second message");
	}
	ok(got && !strstr(strstr(got, "S: 421") ? strstr(got, "S: 421") : "", "C: QUIT"),
	   "no QUIT after the 421");
	free(got);
out:
	if (pid > 0)
		wait_for(pid, 1000);
	session_close(ss);
	session_report_release(&r);
	strvec_release(&env1.rcpts);
	strvec_release(&env2.rcpts);
	strvec_release(&env3.rcpts);
	if (sp1.fd >= 0)
		spool_release(&sp1);
	if (sp2.fd >= 0)
		spool_release(&sp2);
	if (sp3.fd >= 0)
		spool_release(&sp3);
	config_release(&cfg);
	for (char **p = (char *[]){ scn1, scn2, port_file, log, data, out, NULL }; *p; p++) {
		unlink(*p);
		free(*p);
	}
	rmdir(dir);
	free(peer);
	free(port);
	free(cfg_text);
	return tap_done();
}
