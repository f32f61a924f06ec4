/* cmd_oauth2.c - `postern oauth2 authorize|status|forget [-C FILE] [-v] ACCOUNT`. */
#include "cmd_oauth2.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/crypto.h>

#include "config.h"
#include "error.h"
#include "interrupt.h"
#include "log.h"
#include "oauth2.h"
#include "oauth2_flow.h"
#include "util.h"

static const char usage[] =
	"usage: postern oauth2 authorize [-C FILE] [-v] [--device | --paste | --no-browser] ACCOUNT\n"
	"       postern oauth2 status [-C FILE] [-v] ACCOUNT   what is stored, until when, where\n"
	"       postern oauth2 forget [-C FILE] [-v] ACCOUNT   remove the stored tokens\n"
	"authorize gets a refresh token from the account's identity provider: by default it\n"
	"prints a URL (and opens a browser when it can) and waits for the provider to send\n"
	"the browser back to 127.0.0.1; --device shows a code to enter on another device;\n"
	"--paste reads the URL the browser was sent back to from standard input.\n";

enum flow { FLOW_LOOPBACK, FLOW_DEVICE, FLOW_PASTE };

struct opts {
	enum flow flow;
	int no_browser;
};

/* The whole authorization may take this long: the person logs in, maybe
 * with a second factor (RFC 8252 leaves it to the client). */
#define AUTHORIZE_TIMEOUT_MS (5 * 60 * 1000)
/* One browser connection gets this long to send its request line. */
#define REQUEST_TIMEOUT_MS 10000
#define REQUEST_MAX 8192

/* A listener on 127.0.0.1, on a port the kernel picks (RFC 8252 7.3). */
static int listen_loopback(int *fd_out, unsigned *port, struct error *e)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error_set(e, ERR_OS, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl)) {
		error_set(e, ERR_OS, "cannot listen on 127.0.0.1 for the redirect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*fd_out = fd;
	*port = ntohs(sin.sin_port);
	return 0;
}

/* xdg-open URL in a grandchild (no shell, nothing of ours on its output,
 * never waited for: some browsers keep xdg-open until they exit). */
static void open_browser(const char *url)
{
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		if (fork() == 0) {
			execlp("xdg-open", "xdg-open", url, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int want_browser(const struct opts *o)
{
	const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");

	return !o->no_browser && o->flow == FLOW_LOOPBACK && ((d && *d) || (w && *w));
}

static void answer(int fd, const char *status, const char *text)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "HTTP/1.1 %s\r\nContent-Type: text/html; charset=utf-8\r\n"
		 "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
		 "<!DOCTYPE html>\n<html><head><title>postern</title></head>"
		 "<body><p>%s</p></body></html>\n", status, text);
	if (write_all(fd, b.data, b.len))
		log_info("could not answer the browser: %s", strerror(errno));
	buf_release(&b);
}

static int remaining(long long deadline)
{
	long long left = deadline - now_ms();

	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static int state_ok(const struct oauth2_redirect *r, const char *state)
{
	return r->state && oauth2_state_equal(r->state, state);
}

/* Read one request from a browser connection (at most REQUEST_MAX bytes,
 * REQUEST_TIMEOUT_MS) and parse its target into r.  Returns 1 when it
 * brought a code or an error with our state, 0 when it was something else
 * (answered 400 or 404, or given up on), -1 when interrupted.  A wrong
 * state does not end the wait: any local program can reach the port, and
 * must not be able to cut the person's authorization short. */
static int take_request(int fd, long long deadline, const char *state,
			struct oauth2_redirect *r, struct error *e)
{
	struct buf req = BUF_INIT_SECRET;
	long long until = now_ms() + REQUEST_TIMEOUT_MS;
	const char *target;
	long tlen = -1;
	int complete = 0, rc = 0;
	char chunk[1024];

	if (until > deadline)
		until = deadline;
	while (req.len < REQUEST_MAX) {
		int p = interrupt_poll(fd, POLLIN, remaining(until));
		ssize_t n;

		if (p < 0 && errno == EINTR) {
			rc = -1;
			error_set(e, ERR_INTERRUPTED, "interrupted by %s",
				  interrupt_name(interrupt_signal()));
			goto out;
		}
		if (p <= 0)
			goto out;
		n = read(fd, chunk, sizeof(chunk) < REQUEST_MAX - req.len ? sizeof(chunk) :
			 REQUEST_MAX - req.len);
		if (n <= 0)
			goto out;
		buf_add(&req, chunk, (size_t)n);
		tlen = oauth2_request_target(req.data, req.len, &target, &complete);
		if (complete)
			break;
	}
	if (tlen < 0) {
		answer(fd, "400 Bad Request", "postern: not a request it understands");
		goto out;
	}
	if (oauth2_redirect_parse(target, (size_t)tlen, r, e)) {
		log_err("a request to the redirect address was refused: %s", e->msg);
		answer(fd, "400 Bad Request", "postern: a malformed redirect; see the terminal");
		goto out;
	}
	if (!r->has_query) {
		answer(fd, "404 Not Found", "postern: nothing here");
		oauth2_redirect_release(r);
		goto out;
	}
	if (!state_ok(r, state)) {
		log_err("ignored a redirect whose state is not the one postern sent (from an earlier "
			"or a forged authorization); still waiting");
		answer(fd, "400 Bad Request", "postern: this redirect does not belong to the "
		       "authorization postern is waiting for; see the terminal");
		oauth2_redirect_release(r);
		goto out;
	}
	rc = 1;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	buf_release(&req);
	return rc;
}

/* The first non-blank line of what was pasted so far (all of it at the
 * end of input) into r.  Returns 1 when r is filled, 0 when more is to be
 * read, -1 with e (nothing usable, or input ended). */
static int pasted_line(struct buf *line, int eof, const char *state, struct oauth2_redirect *r,
		       struct error *e)
{
	for (;;) {
		char *nl = memchr(line->data, '\n', line->len);
		size_t start = 0, len;

		if (!nl && !eof && line->len <= OAUTH2_REDIRECT_MAX + 2)
			return 0;
		len = nl ? (size_t)(nl - line->data) : line->len;
		while (start < len && (line->data[start] == ' ' || line->data[start] == '\t'))
			start++;
		while (len > start && strchr(" \t\r", line->data[len - 1]))
			len--;
		if (len == start && nl) {
			buf_consume(line, (size_t)(nl - line->data) + 1);
			continue;
		}
		if (len == start)
			return error_set(e, ERR_USAGE, "standard input ended without the URL the "
					 "browser was sent to");
		if (oauth2_redirect_parse(line->data + start, len - start, r, e))
			return -1;
		if (!r->has_query)
			return error_set(e, ERR_USAGE, "the pasted line holds no code: paste the whole "
					 "address the browser was sent to (it starts with "
					 "http://127.0.0.1:)");
		if (!state_ok(r, state))
			return error_set(e, ERR_AUTH, "the pasted address's state does not match the "
					 "one postern sent: it answers another authorization (an "
					 "earlier one, or a forged one); nothing was stored, run "
					 "postern oauth2 authorize again");
		return 1;
	}
}

/* Wait for the redirect: a browser on the listener, or (paste, in_fd >= 0)
 * a line on standard input, whichever comes first.  On a browser's
 * redirect *conn is its connection, still to be answered.  Returns 0 with
 * r filled and its state checked, or -1 (timeout or a pasted wrong state:
 * ERR_AUTH; interrupted; standard input ended without a line: ERR_USAGE). */
static int await_redirect(int lfd, int in_fd, const char *state, struct oauth2_redirect *r,
			  int *conn, struct error *e)
{
	long long deadline = now_ms() + AUTHORIZE_TIMEOUT_MS;
	struct buf line = BUF_INIT_SECRET;
	int rc = -1;

	*conn = -1;
	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = interrupt_fd(), .events = POLLIN },
			{ .fd = in_fd, .events = POLLIN },
		};
		int n = poll(pf, in_fd >= 0 ? 3 : 2, remaining(deadline));

		if (n < 0 && errno != EINTR) {
			error_set(e, ERR_OS, "poll: %s", strerror(errno));
			goto out;
		}
		if (interrupt_signal()) {
			error_set(e, ERR_INTERRUPTED, "interrupted by %s",
				  interrupt_name(interrupt_signal()));
			goto out;
		}
		if (n == 0 && !remaining(deadline)) {
			error_set(e, ERR_AUTH, "no redirect came back within %d minutes; run postern "
				  "oauth2 authorize again (with --paste or --device when the browser "
				  "runs on another machine)", AUTHORIZE_TIMEOUT_MS / 60000);
			goto out;
		}
		if (n <= 0)
			continue;
		if (pf[0].revents) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), got;

			if (c < 0)
				continue;
			got = take_request(c, deadline, state, r, e);
			if (got > 0) {
				*conn = c;
				rc = 0;
				goto out;
			}
			close(c);
			if (got < 0)
				goto out;
		}
		if (in_fd >= 0 && pf[2].revents) {
			char ch[256];
			ssize_t k = read(in_fd, ch, sizeof(ch));
			int got;

			if (k < 0 && errno == EINTR)
				continue;
			if (k > 0)
				buf_add(&line, ch, (size_t)k);
			OPENSSL_cleanse(ch, sizeof(ch));
			got = pasted_line(&line, k <= 0, state, r, e);
			if (got) {
				rc = got > 0 ? 0 : -1;
				goto out;
			}
		}
	}
out:
	buf_release(&line);
	return rc;
}

/* The provider's error and description, for a message (log_err escapes). */
static void provider_said(struct buf *b, const char *err, const char *desc)
{
	buf_addf(b, "%s", err);
	if (desc && *desc)
		buf_addf(b, " (%s)", desc);
}

/* A grant from the token endpoint: stored, and said where. */
static int finish_grant(const struct account *a, const struct oauth2_grant *g, struct error *e)
{
	char *where = NULL;

	if (g->error) {
		struct buf b = BUF_INIT;

		provider_said(&b, g->error, g->error_description);
		error_set(e, ERR_AUTH, "the identity provider refused the authorization: %s", b.data);
		buf_release(&b);
		return -1;
	}
	if (!g->refresh.len)
		return error_set(e, ERR_AUTH, "the identity provider gave no refresh token, so postern "
				 "could not send once the access token expires (Microsoft: the scope "
				 "needs offline_access; Google: the consent must be given again)");
	if (oauth2_store_grant(a, g, &where, e))
		return -1;
	printf("authorized: refresh token stored in %s\n", where);
	fflush(stdout);
	free(where);
	return 0;
}

static int authorize_redirect(const struct account *a, const struct oauth2_endpoints *ep,
			      const struct opts *o, struct error *e)
{
	struct buf verifier = BUF_INIT_SECRET, form = BUF_INIT_SECRET;
	struct oauth2_redirect r;
	struct oauth2_grant g;
	char challenge[OAUTH2_PKCE_LEN + 1], state[23], *redirect_uri = NULL, *url = NULL;
	unsigned port = 0;
	int lfd = -1, conn = -1, rc = -1;

	oauth2_redirect_init(&r);
	oauth2_grant_init(&g);
	if (!ep->authorize) {
		error_set(e, ERR_CONFIG, "account [%s] has no authorization endpoint "
			  "(oauth2_authorize_endpoint =); or use --device", a->name);
		goto out;
	}
	if (oauth2_pkce_new(&verifier, challenge, e) || oauth2_state_new(state, e) ||
	    listen_loopback(&lfd, &port, e))
		goto out;
	redirect_uri = xasprintf("http://127.0.0.1:%u/", port);
	{
		struct oauth2_auth_request rq = {
			.endpoint = ep->authorize, .client_id = a->oauth2_client_id,
			.redirect_uri = redirect_uri, .scope = ep->scope, .state = state,
			.challenge = challenge, .offline = a->oauth2 == ACCOUNT_OAUTH2_GOOGLE,
		};
		url = oauth2_auth_url(&rq);
	}
	printf("open this URL: %s\n", url);
	fflush(stdout);
	log_info("waiting for the redirect on %s", redirect_uri);
	if (o->flow == FLOW_PASTE)
		log_err("then paste here the address your browser is sent to at the end (it starts "
			"with %s; the page itself may not load)", redirect_uri);
	else if (want_browser(o))
		open_browser(url);
	if (await_redirect(lfd, o->flow == FLOW_PASTE ? STDIN_FILENO : -1, state, &r, &conn, e))
		goto out;
	if (r.error) {
		struct buf b = BUF_INIT;

		provider_said(&b, r.error, r.error_description);
		error_set(e, ERR_AUTH, "the identity provider refused the authorization: %s", b.data);
		buf_release(&b);
		goto out;
	}
	if (!r.code.len) {
		error_set(e, ERR_AUTH, "the redirect holds neither a code nor an error");
		goto out;
	}
	oauth2_form_add(&form, "grant_type", "authorization_code");
	oauth2_form_add(&form, "code", r.code.data);
	oauth2_form_add(&form, "redirect_uri", redirect_uri);
	oauth2_form_add(&form, "code_verifier", verifier.data);
	if (oauth2_token_post(a, ep->token, &form, &g, e) || finish_grant(a, &g, e))
		goto out;
	rc = 0;
out:
	if (conn >= 0) {
		if (rc)
			answer(conn, "200 OK", "postern: the authorization failed; the terminal says why");
		else
			answer(conn, "200 OK", "postern: authorized, you can close this tab");
		close(conn);
	}
	if (lfd >= 0)
		close(lfd);
	OPENSSL_cleanse(state, sizeof(state));
	free(redirect_uri);
	free(url);
	buf_release(&verifier);
	buf_release(&form);
	oauth2_redirect_release(&r);
	oauth2_grant_release(&g);
	return rc;
}

/* Sleep s seconds unless a terminating signal comes. */
static int pause_s(long s, struct error *e)
{
	if (interrupt_poll(-1, 0, (int)(s * 1000)) < 0 && errno == EINTR)
		return error_set(e, ERR_INTERRUPTED, "interrupted by %s",
				 interrupt_name(interrupt_signal()));
	return 0;
}

/* RFC 8628: show the code, then poll the token endpoint. */
static int authorize_device(const struct account *a, const struct oauth2_endpoints *ep,
			    struct error *e)
{
	struct oauth2_device d;
	struct buf form = BUF_INIT_SECRET, shown = BUF_INIT;
	long interval;
	long long deadline;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	buf_init_secret(&d.device_code);
	if (!ep->device) {
		error_set(e, ERR_CONFIG, "the identity provider of [%s] has no device flow%s; use "
			  "postern oauth2 authorize %s (a browser on this machine) or --paste "
			  "(a browser elsewhere)", a->name,
			  a->oauth2 == ACCOUNT_OAUTH2_GOOGLE ? " for mail (Google refuses its mail "
			  "scope there)" : " (oauth2_device_endpoint = is not set)", a->name);
		goto out;
	}
	if (oauth2_device_start(a, &d, e))
		goto out;
	/* Escaped: the provider's text reaches the terminal. */
	buf_adds(&shown, "open ");
	buf_add_escaped(&shown, d.verification_uri, strlen(d.verification_uri));
	buf_adds(&shown, " and enter the code ");
	buf_add_escaped(&shown, d.user_code, strlen(d.user_code));
	if (d.verification_uri_complete) {
		buf_adds(&shown, "\n(or open ");
		buf_add_escaped(&shown, d.verification_uri_complete, strlen(d.verification_uri_complete));
		buf_adds(&shown, ", which holds the code)");
	}
	printf("%s\n", shown.data);
	fflush(stdout);
	interval = d.interval > 0 ? d.interval : 5;
	deadline = now_ms() + (d.expires_in > 0 ? d.expires_in : 900) * 1000LL;
	oauth2_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
	oauth2_form_add(&form, "device_code", d.device_code.data);
	for (;;) {
		struct oauth2_grant g;
		int r;

		if (now_ms() + interval * 1000 > deadline) {
			error_set(e, ERR_AUTH, "the code expired before the authorization was given; "
				  "run postern oauth2 authorize --device %s again", a->name);
			goto out;
		}
		if (pause_s(interval, e))
			goto out;
		oauth2_grant_init(&g);
		r = oauth2_token_post(a, ep->token, &form, &g, e);
		if (!r && g.error && !strcmp(g.error, "authorization_pending")) {
			oauth2_grant_release(&g);
			continue;
		}
		if (!r && g.error && !strcmp(g.error, "slow_down")) {
			interval += 5;	/* RFC 8628 3.5 */
			oauth2_grant_release(&g);
			continue;
		}
		if (!r && g.error && !strcmp(g.error, "expired_token"))
			r = error_set(e, ERR_AUTH, "the code expired before the authorization was "
				      "given; run postern oauth2 authorize --device %s again", a->name);
		else if (!r)
			r = finish_grant(a, &g, e);	/* access_denied and the like end it too */
		oauth2_grant_release(&g);
		if (r)
			goto out;
		break;
	}
	rc = 0;
out:
	buf_release(&form);
	buf_release(&shown);
	oauth2_device_release(&d);
	return rc;
}

static int check_configured(const struct account *a, struct error *e)
{
	if (a->oauth2 == ACCOUNT_OAUTH2_NONE)
		return error_set(e, ERR_CONFIG, "account [%s] does not use OAuth2: set oauth2 = google, "
				 "microsoft or custom, and oauth2_client_id (postern.ini(5))", a->name);
	if (!a->oauth2_client_id)
		return error_set(e, ERR_CONFIG, "account [%s] has no oauth2_client_id: register a client "
				 "with the provider (postern.ini(5) says how) and set it", a->name);
	return 0;
}

static int do_authorize(const struct account *a, const struct opts *o, struct error *e)
{
	struct oauth2_endpoints ep;
	int rc;

	if (check_configured(a, e))
		return -1;
	memset(&ep, 0, sizeof(ep));
	if (oauth2_endpoints_get(a, &ep, e))
		return -1;
	if (o->flow == FLOW_DEVICE)
		rc = authorize_device(a, &ep, e);
	else
		rc = authorize_redirect(a, &ep, o, e);
	oauth2_endpoints_release(&ep);
	return rc;
}

static int do_status(const struct account *a, struct error *e)
{
	return check_configured(a, e) || oauth2_cmd_status(a, stdout, e) ? -1 : 0;
}

static int do_forget(const struct account *a, struct error *e)
{
	return check_configured(a, e) || oauth2_cmd_forget(a, stdout, e) ? -1 : 0;
}

int cmd_oauth2(int argc, char **argv)
{
	const char *sub, *cfg_opt = NULL, *acct_name = NULL;
	struct config c;
	const struct account *a;
	struct error e;
	struct opts o = { FLOW_LOOPBACK, 0 };
	char *path = NULL;
	int status = EX_SOFTWARE, opt, rc, flows = 0;
	static const struct option longopts[] = {
		{ "device", no_argument, NULL, 'd' },
		{ "paste", no_argument, NULL, 'p' },
		{ "no-browser", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "authorize") && strcmp(sub, "status") && strcmp(sub, "forget")) {
		log_err("oauth2: unknown subcommand %s", sub);
		fputs(usage, stderr);
		return EX_USAGE;
	}
	/* getopt sees "SUB [options] [ACCOUNT]"; "+": options before ACCOUNT only */
	argc--;
	argv++;
	opterr = 0;
	optind = 0;	/* glibc: start afresh, whatever ran getopt before */
	while ((opt = getopt_long(argc, argv, "+C:a:vh", longopts, NULL)) != -1) {
		if (strchr("dpn", opt) && strcmp(sub, "authorize")) {
			log_err("oauth2 %s: %s belongs to oauth2 authorize", sub, argv[optind - 1]);
			return EX_USAGE;
		}
		switch (opt) {
		case 'C': cfg_opt = optarg; break;
		case 'a': acct_name = optarg; break;
		case 'v': log_verbose++; break;
		case 'd': o.flow = FLOW_DEVICE; flows++; break;
		case 'p': o.flow = FLOW_PASTE; flows++; break;
		case 'n': o.no_browser = 1; break;
		case 'h':
			fputs(usage, stdout);
			return EX_OK;
		default:
			log_err("oauth2 %s: %s is no option here (or needs a value)", sub, argv[optind - 1]);
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (flows > 1) {
		log_err("oauth2 authorize: --device and --paste exclude each other");
		return EX_USAGE;
	}
	if (optind < argc) {
		if (acct_name || optind + 1 < argc) {
			log_err("oauth2 %s: give one ACCOUNT (got %s%s)", sub,
				acct_name ? "-a and " : "", argv[optind]);
			return EX_USAGE;
		}
		acct_name = argv[optind];
	}

	config_init(&c);
	error_clear(&e);
	a = config_open_account(&c, cfg_opt, acct_name, &path, &e);
	if (!a)
		goto fail;
	log_info("account [%s] from %s", a->name, path);
	if (!strcmp(sub, "authorize"))
		rc = do_authorize(a, &o, &e);
	else if (!strcmp(sub, "status"))
		rc = do_status(a, &e);
	else
		rc = do_forget(a, &e);
	if (rc)
		goto fail;
	status = EX_OK;
	goto out;
fail:
	log_err("%s", e.msg);
	/* Unlike a send, nothing waits in a queue: an unreachable provider
	 * is simply "try again later". */
	status = e.cls == ERR_TEMP ? EX_TEMPFAIL : error_exit_code(e.cls);
out:
	free(path);
	config_release(&c);
	return status;
}
