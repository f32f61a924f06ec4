/* test_transcript.c - play SMTP scenarios (tests/transcripts/NAME.t) through
 * the engine with no sockets: server bytes in, client lines checked.
 * Every scenario runs twice, once with each server chunk fed whole and once
 * fed one byte at a time, to catch buffering bugs.
 *
 * Scenario format, one item per line (blank lines and # comments ignored):
 *   param KEY VALUE   tls off|starttls|implicit, auth off|on|plain|login|
 *                     cram-md5|scram-sha-1|scram-sha-256|xoauth2|oauthbearer,
 *                     auth-without-tls, user, password, ehlo,
 *                     nonce (the SCRAM client nonce, instead of a random one),
 *                     keep-open yes|no (smtp_params.keep_open),
 *                     and the first message (given to smtp_new): from,
 *                     rcpt (repeatable), size, eightbit, utf8-headers,
 *                     dsn-notify, dsn-ret, dsn-envid (as given),
 *                     body (the message as spooled: LF line ends; sets
 *                     wire-size to its length with CRLF), wire-size
 *                     (after body, to override it; 0 = unknown);
 *                     first-message no: start without a message (with
 *                     keep-open: AUTH, then SMTP_WANT_NEXT); verify yes:
 *                     the same (without keep-open: AUTH, then QUIT)
 *   msg WORD...       defines the next message for an "E: next" (in
 *                     order): from=ADDR (default: the first message's),
 *                     rcpt=ADDR (repeatable), size=N, eightbit=yes|no,
 *                     wire-size=N, and last body=TEXT (the rest of the
 *                     line, escapes allowed; wire-size from it unless
 *                     given).  As many "msg" lines as "E: next" lines.
 *   S: text           server line, CRLF appended; consecutive S lines are
 *                     one chunk (one read)
 *   S. text           server bytes with no line end appended
 *   C: text           expected client line; consecutive C lines must be
 *                     exactly one flight (one SMTP_WANT_WRITE)
 *   B: text           expected message bytes (no line end appended): the
 *                     current message's body as the engine's
 *                     smtp_body_mode() asks for it.  After C lines, the body must directly follow
 *                     that flight (smtp_body_follows(), BDAT) and the
 *                     bytes are one flight with it, as session.c sends
 *                     them; alone, the engine must want the body now (DATA)
 *   -                 ends a chunk or a flight early
 *   E: tls|body|close expect that want, then smtp_tls_done/smtp_body_done
 *   E: next           expect SMTP_WANT_NEXT, then smtp_next_message() with
 *                     the next "msg"
 *   E: quit           expect SMTP_WANT_NEXT, then smtp_quit()
 *   E: abort          smtp_abort() with a timeout
 *   result CLASS [delivered]   ok, temp, nouser, unavailable, protocol,
 *                     tls, auth, data, usage, config (ok: delivered too,
 *                     unless no message was given)
 *   message TEXT      the error message contains TEXT
 *   code NNN / enhanced X.Y.Z   codes kept in the error
 *   rcpt N CODE       smtp_rcpt_code(N)
 *   caps-auth LIST / caps-size N   what the last EHLO reply offered
 *   body-mode raw|dot what smtp_body_mode() says at the end
 *   final-reply TEXT  smtp_final_reply() at the end, exactly
 *   dsn-ignored yes|no  smtp_dsn_ignored() at the end
 *   trace-absent TEXT / trace-has TEXT
 *   @N CHECK          result, message, code, enhanced or rcpt for
 *                     transaction N: messages are numbered 1, 2... in the
 *                     order given (the first message of the params is 1),
 *                     0 is the session's start before any message.  What
 *                     the engine says of transaction N is recorded at the
 *                     E: next or E: quit that follows it, and at the end
 *                     of the dialogue (the latest record counts).  Without
 *                     @N these checks look at the last transaction.
 *   include NAME      the lines of NAME (relative to this file's directory)
 *                     in place of this one; nests to depth 4.  Shared
 *                     parts are named *.inc so that only *.t run as
 *                     scenarios.  TRANSCRIPT_DUMP=1 in the environment
 *                     prints each scenario's lines after inclusion, as
 *                     "# dump NAME.t: LINE".
 * S and C text take the escapes \r \n \t \\ \xHH.  The password given as
 * a param, and its base64 forms, must never appear in the trace. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "dotstuff.h"
#include "smtp.h"
#include "tap.h"
#include "util.h"

enum kind { K_S, K_SRAW, K_C, K_B, K_SEP, K_E, K_CHECK };

struct item {
	enum kind kind;
	const char *file;	/* the file it came from (.t or an include) */
	int lineno;
	char *key;	/* K_E: the event; K_CHECK: the check name */
	long txn;	/* K_CHECK: @N, or -1 for the last transaction */
	struct buf text;	/* unescaped S/C text, or the check's argument */
};

/* A message of the scenario: the engine's view and what backs it. */
struct tmsg {
	struct smtp_message m;
	struct strvec rcpts;
	struct buf body;	/* the spooled message */
};

/* What the engine said of one transaction. */
struct snap {
	int taken;
	int rc;
	struct error e;
	int delivered;
	size_t nrcpts;
	int *codes;	/* smtp_rcpt_code() per recipient */
};

struct scenario {
	const char *name;
	struct item *items;
	size_t n, cap;
	struct smtp_params p;
	struct tmsg first;	/* the params' message */
	int have_first;		/* given to smtp_new (not first-message no) */
	struct tmsg *more;	/* the "msg" lines, for E: next */
	size_t nmore;
	size_t nnext;		/* "E: next" lines */
	struct strvec strs;	/* owned param strings */
	int bad;		/* parse error */
};

static void unescape(const char *s, struct buf *out)
{
	buf_add(out, "", 0);
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			buf_add(out, s, 1);
			continue;
		}
		s++;
		switch (*s) {
		case 'r': buf_add(out, "\r", 1); break;
		case 'n': buf_add(out, "\n", 1); break;
		case 't': buf_add(out, "\t", 1); break;
		case 'x': {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			char c = (char)strtol(hex, NULL, 16);

			buf_add(out, &c, 1);
			s += s[1] ? (s[2] ? 2 : 1) : 0;
			break;
		}
		default: buf_add(out, s, 1); break;
		}
	}
}

static const char *keep(struct scenario *sc, const char *v)
{
	strvec_push(&sc->strs, v);
	return sc->strs.v[sc->strs.n - 1];
}

static struct item *add_item(struct scenario *sc, enum kind k, int lineno)
{
	struct item *it;

	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 32;
		sc->items = xrealloc(sc->items, sc->cap * sizeof(*sc->items));
	}
	it = &sc->items[sc->n++];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->lineno = lineno;
	return it;
}

static void bad_word(struct scenario *sc, const char *file, int lineno, const char *what,
		     const char *v)
{
	printf("# %s:%d: unknown %s \"%s\"\n", file, lineno, what, v);
	sc->bad = 1;
}

static int yes_no(struct scenario *sc, const char *file, int lineno, const char *k, const char *v)
{
	if (strcmp(v, "yes") && strcmp(v, "no"))
		bad_word(sc, file, lineno, k, v);
	return !strcmp(v, "yes");
}

static unsigned long long number(struct scenario *sc, const char *file, int lineno, const char *k,
				 const char *v)
{
	if (!*v || strspn(v, "0123456789") != strlen(v))
		bad_word(sc, file, lineno, k, v);
	return strtoull(v, NULL, 10);
}

/* The words an "E:" line and a check may use; the first TXN_CHECKS
 * checks may name a transaction (@N). */
static const char *const events[] = { "tls", "body", "close", "abort", "next", "quit" };
static const char *const checks[] = {
	"result", "message", "code", "enhanced", "rcpt", "caps-auth", "caps-size",
	"body-mode", "trace-absent", "trace-has", "final-reply", "dsn-ignored",
};
#define TXN_CHECKS 5

static int known(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w, list[i]))
			return 1;
	return 0;
}

/* A message's word (param KEY VALUE or msg KEY=VALUE) into t; -1 if k is
 * none of them. */
static int msg_word(struct scenario *sc, struct tmsg *t, const char *k, const char *v,
		    const char *file, int lineno)
{
	struct smtp_message *m = &t->m;

	if (!strcmp(k, "from")) {
		m->from = keep(sc, v);
	} else if (!strcmp(k, "rcpt")) {
		strvec_push(&t->rcpts, v);
	} else if (!strcmp(k, "size")) {
		m->size = number(sc, file, lineno, k, v);
	} else if (!strcmp(k, "eightbit")) {
		m->eightbit = yes_no(sc, file, lineno, k, v);
	} else if (!strcmp(k, "utf8-headers")) {
		m->utf8_headers = yes_no(sc, file, lineno, k, v);
	} else if (!strcmp(k, "dsn-notify")) {
		m->dsn_notify = keep(sc, v);
	} else if (!strcmp(k, "dsn-ret")) {
		m->dsn_ret = keep(sc, v);
	} else if (!strcmp(k, "dsn-envid")) {
		m->dsn_envid = keep(sc, v);
	} else if (!strcmp(k, "body")) {
		buf_reset(&t->body);
		unescape(v, &t->body);
		m->wire_size = t->body.len;
		for (size_t i = 0; i < t->body.len; i++)
			m->wire_size += t->body.data[i] == '\n';
	} else if (!strcmp(k, "wire-size")) {
		m->wire_size = number(sc, file, lineno, k, v);
	} else {
		return -1;
	}
	return 0;
}

/* "msg from=... rcpt=... body=...": one more message for E: next. */
static void msg_line(struct scenario *sc, char *words, const char *file, int lineno)
{
	struct tmsg *t;
	long wire = -1;

	sc->more = xrealloc(sc->more, (sc->nmore + 1) * sizeof(*sc->more));
	t = &sc->more[sc->nmore++];
	memset(t, 0, sizeof(*t));
	strvec_init(&t->rcpts);
	buf_init(&t->body);
	t->m.from = sc->first.m.from;
	while (*words) {
		char *k = words, *eq = strchr(words, '='), *end;

		if (!eq) {
			bad_word(sc, file, lineno, "msg word (no =)", words);
			return;
		}
		*eq = '\0';
		if (!strcmp(k, "body")) {
			/* the rest of the line, spaces and all */
			msg_word(sc, t, k, eq + 1, file, lineno);
			break;
		}
		end = eq + 1 + strcspn(eq + 1, " ");
		if (*end)
			*end++ = '\0';
		if (!strcmp(k, "wire-size"))
			wire = (long)number(sc, file, lineno, k, eq + 1);
		else if (msg_word(sc, t, k, eq + 1, file, lineno) < 0)
			bad_word(sc, file, lineno, "msg word", k);
		words = end + strspn(end, " ");
	}
	if (wire >= 0)
		t->m.wire_size = (uint64_t)wire;
}

static void param(struct scenario *sc, const char *k, const char *v, const char *file,
		  int lineno)
{
	struct smtp_params *p = &sc->p;

	/* Every word is checked: a typo must fail the scenario, not quietly
	 * run another one. */
	if (!strcmp(k, "tls")) {
		if (!strcmp(v, "off"))
			p->tls = SMTP_TLS_OFF;
		else if (!strcmp(v, "starttls"))
			p->tls = SMTP_TLS_STARTTLS;
		else if (!strcmp(v, "implicit"))
			p->tls = SMTP_TLS_IMPLICIT;
		else
			bad_word(sc, file, lineno, "tls", v);
	} else if (!strcmp(k, "auth")) {
		if (sasl_mode_parse(v, &p->auth))
			bad_word(sc, file, lineno, "auth", v);
	} else if (!strcmp(k, "nonce"))
		p->sasl_nonce = keep(sc, v);
	else if (!strcmp(k, "auth-without-tls"))
		p->auth_without_tls = yes_no(sc, file, lineno, k, v);
	else if (!strcmp(k, "user"))
		p->user = keep(sc, v);
	else if (!strcmp(k, "password"))
		p->password = keep(sc, v);
	else if (!strcmp(k, "ehlo"))
		p->ehlo_name = keep(sc, v);
	else if (!strcmp(k, "keep-open"))
		p->keep_open = yes_no(sc, file, lineno, k, v);
	else if (!strcmp(k, "verify") || !strcmp(k, "first-message"))
		sc->have_first = !strcmp(k, "verify") ? !yes_no(sc, file, lineno, k, v) :
				 yes_no(sc, file, lineno, k, v);
	else if (msg_word(sc, &sc->first, k, v, file, lineno) < 0) {
		printf("# %s:%d: unknown param %s\n", file, lineno, k);
		sc->bad = 1;
	}
}

#define INCLUDE_DEPTH 4	/* how deep include lines may nest */

/* Read one file's lines into sc; an include line reads the named file in
 * its place.  stack holds the real paths of the files being read, to catch
 * cycles; where is "FILE:LINE" of the include that got here, or NULL. */
static int load_file(struct scenario *sc, const char *path, const char *where,
		     struct strvec *stack)
{
	FILE *f = fopen(path, "r");
	const char *slash = strrchr(path, '/'), *file = slash ? slash + 1 : path;
	char line[8192], *real;
	int lineno = 0;

	if (!f) {
		if (!where)
			return -1;
		printf("# %s: include %s: cannot open\n", where, file);
		sc->bad = 1;
		return 0;
	}
	real = realpath(path, NULL);
	for (size_t i = 0; real && i < stack->n; i++)
		if (!strcmp(stack->v[i], real)) {
			printf("# %s: include %s: cycle\n", where, file);
			sc->bad = 1;
			free(real);
			fclose(f);
			return 0;
		}
	strvec_push(stack, real ? real : path);
	free(real);
	file = keep(sc, file);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");
		struct item *it;
		char *sp;

		lineno++;
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (!strncmp(line, "include ", 8)) {
			char *at = xasprintf("%s:%d", file, lineno);
			char *inc = xasprintf("%.*s%s", slash ? (int)(slash - path + 1) : 0,
					      path, line + 8);

			if (line[8] == '\0') {
				printf("# %s: include without a file name\n", at);
				sc->bad = 1;
			} else if (stack->n > INCLUDE_DEPTH) {
				printf("# %s: include %s: nested deeper than %d\n", at,
				       line + 8, INCLUDE_DEPTH);
				sc->bad = 1;
			} else {
				load_file(sc, inc, at, stack);
			}
			free(inc);
			free(at);
			continue;
		}
		if (getenv("TRANSCRIPT_DUMP"))
			printf("# dump %s: %s\n", sc->name, line);
		if (!strcmp(line, "-")) {
			it = add_item(sc, K_SEP, lineno);
		} else if (!strncmp(line, "S: ", 3) || !strcmp(line, "S:")) {
			it = add_item(sc, K_S, lineno);
			unescape(line + (len > 2 ? 3 : 2), &it->text);
			buf_add(&it->text, "\r\n", 2);
		} else if (!strncmp(line, "S. ", 3)) {
			it = add_item(sc, K_SRAW, lineno);
			unescape(line + 3, &it->text);
		} else if (!strncmp(line, "C: ", 3)) {
			it = add_item(sc, K_C, lineno);
			unescape(line + 3, &it->text);
			buf_add(&it->text, "\r\n", 2);
		} else if (!strncmp(line, "B: ", 3)) {
			it = add_item(sc, K_B, lineno);
			unescape(line + 3, &it->text);
		} else if (!strncmp(line, "E: ", 3)) {
			if (!known(line + 3, events, sizeof(events) / sizeof(events[0])))
				bad_word(sc, file, lineno, "event (E:)", line + 3);
			it = add_item(sc, K_E, lineno);
			it->key = xstrdup(line + 3);
			sc->nnext += !strcmp(it->key, "next");
		} else if (!strncmp(line, "msg ", 4)) {
			msg_line(sc, line + 4, file, lineno);
			continue;
		} else if (!strncmp(line, "param ", 6)) {
			sp = strchr(line + 6, ' ');
			if (!sp) {
				printf("# %s:%d: param without value\n", file, lineno);
				sc->bad = 1;
				continue;
			}
			*sp = '\0';
			param(sc, line + 6, sp + 1, file, lineno);
			continue;
		} else {
			char *word = line;
			long txn = -1;

			if (line[0] == '@') {
				/* @N CHECK: a check on transaction N */
				sp = strchr(line, ' ');
				if (sp)
					*sp = '\0';
				txn = (long)number(sc, file, lineno, "transaction (@N)", line + 1);
				word = sp ? sp + 1 : line + strlen(line);
			}
			it = add_item(sc, K_CHECK, lineno);
			it->txn = txn;
			sp = strchr(word, ' ');
			if (sp)
				*sp++ = '\0';
			if (!known(word, checks, txn < 0 ? sizeof(checks) / sizeof(checks[0]) :
				   TXN_CHECKS))
				bad_word(sc, file, lineno, txn < 0 ? "line" : "check after @N", word);
			it->key = xstrdup(word);
			buf_adds(&it->text, sp ? sp : "");
		}
		it->file = file;
	}
	fclose(f);
	free(stack->v[--stack->n]);
	stack->v[stack->n] = NULL;
	return 0;
}

static int load(struct scenario *sc, const char *path)
{
	struct strvec stack = STRVEC_INIT;
	int rc;

	sc->p.ehlo_name = "client.example";
	sc->first.m.from = "";
	sc->have_first = 1;
	sc->p.tls = SMTP_TLS_STARTTLS;
	rc = load_file(sc, path, NULL, &stack);
	strvec_release(&stack);
	/* the vectors are complete: point the engine's views at them */
	sc->first.m.rcpts = (const char *const *)sc->first.rcpts.v;
	sc->first.m.nrcpts = sc->first.rcpts.n;
	for (size_t i = 0; i < sc->nmore; i++) {
		sc->more[i].m.rcpts = (const char *const *)sc->more[i].rcpts.v;
		sc->more[i].m.nrcpts = sc->more[i].rcpts.n;
	}
	sc->p.msg = sc->have_first ? &sc->first.m : NULL;
	if (sc->nnext != sc->nmore) {
		printf("# %s: %zu \"E: next\" but %zu \"msg\" lines\n", sc->name, sc->nnext,
		       sc->nmore);
		sc->bad = 1;
	}
	for (size_t i = 0; i < sc->n; i++)
		if (sc->items[i].kind == K_CHECK &&
		    sc->items[i].txn > (long)(sc->have_first + sc->nmore)) {
			printf("# %s:%d: no transaction %ld\n", sc->items[i].file,
			       sc->items[i].lineno, sc->items[i].txn);
			sc->bad = 1;
		}
	return rc;
}

/* Message number k (1, 2...: in the order given to the engine). */
static struct tmsg *tmsg_at(struct scenario *sc, size_t k)
{
	if (sc->have_first)
		return k == 1 ? &sc->first : &sc->more[k - 2];
	return &sc->more[k - 1];
}

static void tmsg_release(struct tmsg *t)
{
	strvec_release(&t->rcpts);
	buf_release(&t->body);
}

static void scenario_release(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		free(sc->items[i].key);
		buf_release(&sc->items[i].text);
	}
	free(sc->items);
	tmsg_release(&sc->first);
	for (size_t i = 0; i < sc->nmore; i++)
		tmsg_release(&sc->more[i]);
	free(sc->more);
	strvec_release(&sc->strs);
}

/* bytes with line ends made visible, for diagnostics */
static void show(const char *p, size_t len, struct buf *out)
{
	buf_add(out, "", 0);
	for (size_t i = 0; i < len; i++)
		buf_adds(out, p[i] == '\r' ? "\\r" : p[i] == '\n' ? "\\n" :
			 (char[2]){ p[i], 0 });
}

static void trace_cb(void *ctx, char dir, const char *line, size_t len)
{
	struct buf *t = ctx;

	buf_add(t, &dir, 1);
	buf_add(t, " ", 1);
	/* a line end inside a traced line would be a bug: show it */
	show(line, len, t);
	buf_add(t, "\n", 1);
}

static const char *want_name(enum smtp_want w)
{
	static const char *const n[] = { "read", "write", "tls", "body", "close", "next" };

	return (unsigned)w < sizeof(n) / sizeof(n[0]) ? n[w] : "?";
}

static int class_of(const char *name, enum error_class *cls)
{
	static const struct { const char *n; enum error_class c; } map[] = {
		{ "ok", ERR_NONE }, { "temp", ERR_TEMP }, { "nouser", ERR_NOUSER },
		{ "unavailable", ERR_UNAVAILABLE }, { "protocol", ERR_PROTOCOL },
		{ "tls", ERR_TLS }, { "auth", ERR_AUTH }, { "data", ERR_DATA },
		{ "usage", ERR_USAGE }, { "config", ERR_CONFIG },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].n, name)) {
			*cls = map[i].c;
			return 0;
		}
	return -1;
}

/* Append the message as the engine wants it sent (what session.c does with
 * the spool), then tell the engine it is out. */
static void send_body(const struct tmsg *t, struct smtp *s, struct buf *out)
{
	struct dotstuff d;

	if (smtp_body_mode(s) == SMTP_BODY_RAW)
		dotstuff_init_raw(&d);
	else
		dotstuff_init(&d);
	dotstuff_feed(&d, t->body.data, t->body.len, out);
	dotstuff_finish(&d, out);
	smtp_body_done(s);
}

/* Record what the engine says of the last transaction, number k, as
 * snaps[k]. */
static void snap_take(struct scenario *sc, struct snap *snaps, size_t k, struct smtp *s)
{
	struct snap *n = &snaps[k];

	free(n->codes);
	memset(n, 0, sizeof(*n));
	n->taken = 1;
	error_clear(&n->e);
	n->rc = smtp_result(s, &n->e);
	n->delivered = smtp_delivered(s);
	n->nrcpts = k > 0 ? tmsg_at(sc, k)->m.nrcpts : 0;
	n->codes = xcalloc(n->nrcpts + 1, sizeof(*n->codes));
	for (size_t i = 0; i < n->nrcpts; i++)
		n->codes[i] = smtp_rcpt_code(s, i);
}

/* Play the dialogue; returns 0 or -1 with why in diag.  *given counts the
 * messages given to the engine; snaps[k] records transaction k. */
static int play(struct scenario *sc, struct smtp *s, int bytewise, size_t *given,
		struct snap *snaps, char *diag, size_t dsize)
{
	size_t i = 0;

	while (i < sc->n) {
		struct item *it = &sc->items[i];
		enum smtp_want w = smtp_next(s);

		if (it->kind == K_SEP) {
			i++;
		} else if (it->kind == K_S || it->kind == K_SRAW) {
			struct buf chunk = BUF_INIT;
			const struct item *at = it;

			while (i < sc->n && (sc->items[i].kind == K_S || sc->items[i].kind == K_SRAW)) {
				buf_add(&chunk, sc->items[i].text.data, sc->items[i].text.len);
				i++;
			}
			/* injection tests feed while the engine waits for TLS */
			if (w != SMTP_WANT_READ && w != SMTP_WANT_TLS && w != SMTP_WANT_BODY) {
				snprintf(diag, dsize, "%s:%d: server speaks, but engine wants %s "
					 "(state %s)", at->file, at->lineno, want_name(w), smtp_state_name(smtp_get_state(s)));
				buf_release(&chunk);
				return -1;
			}
			if (bytewise)
				for (size_t k = 0; k < chunk.len; k++)
					smtp_input(s, chunk.data + k, 1);
			else
				smtp_input(s, chunk.data, chunk.len);
			buf_release(&chunk);
		} else if (it->kind == K_C || it->kind == K_B) {
			struct buf want = BUF_INIT, got = BUF_INIT;
			const char *out;
			size_t olen;
			const struct item *at = it;
			int has_c = it->kind == K_C, has_b = 0;

			while (i < sc->n && (sc->items[i].kind == K_C || sc->items[i].kind == K_B)) {
				if (sc->items[i].kind == K_B)
					has_b = 1;
				else if (has_b)
					break;	/* a command after the body: the next flight */
				buf_add(&want, sc->items[i].text.data, sc->items[i].text.len);
				i++;
			}
			buf_add(&want, "", 0);
			buf_add(&got, "", 0);
			if (w != (has_c ? SMTP_WANT_WRITE : SMTP_WANT_BODY)) {
				snprintf(diag, dsize, "%s:%d: expected the client to write [%.*s], "
					 "engine wants %s (state %s)", at->file, at->lineno, (int)strcspn(want.data, "\r"),
					 want.data, want_name(w), smtp_state_name(smtp_get_state(s)));
				buf_release(&want);
				return -1;
			}
			if (has_c) {
				int follows = smtp_body_follows(s);

				out = smtp_output(s, &olen);
				buf_add(&got, out, olen);
				smtp_output_done(s);
				if (smtp_output(s, &olen), olen != 0) {
					snprintf(diag, dsize, "%s:%d: output not cleared", at->file, at->lineno);
					buf_release(&want);
					buf_release(&got);
					return -1;
				}
				if (follows != has_b || (follows && smtp_next(s) != SMTP_WANT_BODY)) {
					snprintf(diag, dsize, "%s:%d: body %s the flight (engine "
						 "wants %s, state %s)", at->file, at->lineno, has_b ?
						 "expected to follow" : "follows", want_name(smtp_next(s)),
						 smtp_state_name(smtp_get_state(s)));
					buf_release(&want);
					buf_release(&got);
					return -1;
				}
			}
			if (has_b)
				send_body(tmsg_at(sc, *given), s, &got);
			if (got.len != want.len || memcmp(got.data, want.data, got.len)) {
				struct buf g = BUF_INIT, w2 = BUF_INIT;

				show(got.data, got.len, &g);
				show(want.data, want.len, &w2);
				snprintf(diag, dsize, "%s:%d: flight differs:\n#     got  [%s]\n"
					 "#     want [%s]", at->file, at->lineno, g.data, w2.data);
				buf_release(&g);
				buf_release(&w2);
				buf_release(&want);
				buf_release(&got);
				return -1;
			}
			buf_release(&want);
			buf_release(&got);
		} else if (it->kind == K_E) {
			enum smtp_want need;

			if (!strcmp(it->key, "abort")) {
				struct error e;

				error_set(&e, ERR_TEMP, "timeout");
				smtp_abort(s, &e);
				i++;
				continue;
			}
			need = !strcmp(it->key, "tls") ? SMTP_WANT_TLS :
			       !strcmp(it->key, "body") ? SMTP_WANT_BODY :
			       !strcmp(it->key, "close") ? SMTP_WANT_CLOSE :
			       !strcmp(it->key, "next") || !strcmp(it->key, "quit") ? SMTP_WANT_NEXT :
			       (enum smtp_want)-1;
			if (w != need) {
				snprintf(diag, dsize, "%s:%d: expected want %s, engine wants %s "
					 "(state %s)", it->file, it->lineno, it->key, want_name(w),
					 smtp_state_name(smtp_get_state(s)));
				return -1;
			}
			if (need == SMTP_WANT_TLS) {
				smtp_tls_done(s);
			} else if (need == SMTP_WANT_BODY) {
				smtp_body_done(s);
			} else if (need == SMTP_WANT_NEXT) {
				snap_take(sc, snaps, *given, s);
				if (!strcmp(it->key, "quit")) {
					smtp_quit(s);
				} else {
					++*given;
					smtp_next_message(s, &tmsg_at(sc, *given)->m);
				}
			}
			i++;
		} else {
			i++;	/* checks are done after the dialogue */
		}
	}
	if (smtp_next(s) != SMTP_WANT_CLOSE) {
		snprintf(diag, dsize, "end of script, engine wants %s (state %s)",
			 want_name(smtp_next(s)), smtp_state_name(smtp_get_state(s)));
		return -1;
	}
	return 0;
}

static void secret_forms(const struct smtp_params *p, struct strvec *out)
{
	struct buf raw = BUF_INIT, enc = BUF_INIT;

	if (!p->password || !*p->password)
		return;
	strvec_push(out, p->password);
	b64_encode(p->password, strlen(p->password), &enc);
	strvec_push(out, enc.data);
	buf_reset(&enc);
	buf_add(&raw, "", 1);
	buf_adds(&raw, p->user ? p->user : "");
	buf_add(&raw, "", 1);
	buf_adds(&raw, p->password);
	b64_encode(raw.data, raw.len, &enc);
	strvec_push(out, enc.data);
	buf_release(&raw);
	buf_release(&enc);
}

static void run(struct scenario *sc, int bytewise)
{
	const char *mode = bytewise ? "bytewise" : "whole";
	struct buf trace = BUF_INIT;
	struct strvec secrets = STRVEC_INIT;
	size_t nsnaps = 1 + sc->have_first + sc->nmore, given = sc->have_first;
	struct snap *snaps = xcalloc(nsnaps, sizeof(*snaps));
	struct smtp *s;
	struct error e;
	char diag[2048] = "";
	int played;

	s = smtp_new(&sc->p, trace_cb, &trace);
	played = play(sc, s, bytewise, &given, snaps, diag, sizeof(diag));
	if (!ok(played == 0, "%s [%s]: dialogue", sc->name, mode)) {
		printf("#   %s\n", diag);
		smtp_result(s, &e);
		printf("#   engine error: %s: %s\n", error_class_name(e.cls), e.msg);
		printf("#   trace:\n");
		for (char *l = trace.data; l && *l;) {
			size_t n = strcspn(l, "\n");

			printf("#     %.*s\n", (int)n, l);
			l += n + (l[n] == '\n');
		}
	}
	snap_take(sc, snaps, given, s);
	for (size_t i = 0; i < sc->n; i++) {
		struct item *it = &sc->items[i];
		const char *arg = it->text.data;
		size_t k = it->txn < 0 ? given : (size_t)it->txn;
		const struct snap *sn = &snaps[k];
		int rc = sn->rc;
		char at[24] = "";

		if (it->kind != K_CHECK)
			continue;
		if (it->txn >= 0)
			snprintf(at, sizeof(at), "@%ld ", it->txn);
		e = sn->e;
		if (!sn->taken) {
			ok(0, "%s [%s]: %s:%d: transaction %zu never ended", sc->name, mode,
			   it->file, it->lineno, k);
			continue;
		}
		if (!strcmp(it->key, "result")) {
			enum error_class cls;
			char cname[32];
			int want_deliv = strstr(arg, " delivered") != NULL;

			snprintf(cname, sizeof(cname), "%.*s", (int)strcspn(arg, " "), arg);
			if (class_of(cname, &cls) < 0) {
				ok(0, "%s: %s:%d: unknown result %s", sc->name, it->file, it->lineno, cname);
				continue;
			}
			if (cls == ERR_NONE) {
				if (!ok(rc == 0, "%s [%s]: %sresult ok", sc->name, mode, at))
					printf("#   got %s: %s\n", error_class_name(e.cls), e.msg);
				want_deliv = k > 0;	/* a message, accepted */
			} else if (!ok(rc == -1 && e.cls == cls, "%s [%s]: %sresult %s", sc->name, mode,
				       at, cname)) {
				printf("#   got %s: %s\n", rc ? error_class_name(e.cls) : "ok", e.msg);
			}
			ok(sn->delivered == want_deliv, "%s [%s]: %sdelivered is %d", sc->name,
			   mode, at, want_deliv);
		} else if (!strcmp(it->key, "message")) {
			if (!ok(rc == -1 && strstr(e.msg, arg), "%s [%s]: %smessage has \"%s\"",
				sc->name, mode, at, arg))
				printf("#   message: %s\n", e.msg);
		} else if (!strcmp(it->key, "code")) {
			if (!ok(e.smtp_code == atoi(arg), "%s [%s]: %ssmtp code %s", sc->name, mode, at,
				arg))
				printf("#   got %d\n", e.smtp_code);
		} else if (!strcmp(it->key, "enhanced")) {
			if (!ok(!strcmp(e.enhanced, arg), "%s [%s]: %senhanced code %s", sc->name, mode,
				at, arg))
				printf("#   got [%s]\n", e.enhanced);
		} else if (!strcmp(it->key, "rcpt")) {
			size_t idx = strtoul(arg, NULL, 10);
			const char *c = strchr(arg, ' ');

			if (k > 0 && idx < tmsg_at(sc, k)->m.nrcpts && c)
				ok(sn->codes[idx] == atoi(c + 1), "%s [%s]: %srcpt %zu code %s",
				   sc->name, mode, at, idx, c + 1);
			else
				ok(0, "%s: %s:%d: bad rcpt check", sc->name, it->file, it->lineno);
		} else if (!strcmp(it->key, "caps-auth")) {
			if (!ok(!strcmp(smtp_get_caps(s)->auth, arg), "%s [%s]: AUTH list \"%s\"", sc->name,
				mode, arg))
				printf("#   got [%s]\n", smtp_get_caps(s)->auth);
		} else if (!strcmp(it->key, "body-mode")) {
			ok(smtp_body_mode(s) == (!strcmp(arg, "raw") ? SMTP_BODY_RAW : SMTP_BODY_DOT),
			   "%s [%s]: body mode %s", sc->name, mode, arg);
		} else if (!strcmp(it->key, "caps-size")) {
			ok(smtp_get_caps(s)->size && smtp_get_caps(s)->size_max == strtoull(arg, NULL, 10),
			   "%s [%s]: SIZE %s", sc->name, mode, arg);
		} else if (!strcmp(it->key, "final-reply")) {
			const char *fr = smtp_final_reply(s);

			if (!ok(fr && !strcmp(fr, arg), "%s [%s]: final reply \"%s\"", sc->name, mode, arg))
				printf("#   got [%s]\n", fr ? fr : "(null)");
		} else if (!strcmp(it->key, "dsn-ignored")) {
			ok(smtp_dsn_ignored(s) == !strcmp(arg, "yes"), "%s [%s]: DSN ignored: %s",
			   sc->name, mode, arg);
		} else if (!strcmp(it->key, "trace-absent")) {
			ok(!strstr(trace.data, arg), "%s [%s]: trace lacks \"%s\"",
			   sc->name, mode, arg);
		} else if (!strcmp(it->key, "trace-has")) {
			ok(strstr(trace.data, arg) != NULL,
			   "%s [%s]: trace has \"%s\"", sc->name, mode, arg);
		} else {
			ok(0, "%s: %s:%d: unknown check %s", sc->name, it->file, it->lineno, it->key);
		}
	}
	secret_forms(&sc->p, &secrets);
	for (size_t i = 0; i < secrets.n; i++)
		ok(!strstr(trace.data, secrets.v[i]),
		   "%s [%s]: secret form %zu not in trace", sc->name, mode, i);
	strvec_release(&secrets);
	for (size_t i = 0; i < nsnaps; i++)
		free(snaps[i].codes);
	free(snaps);
	smtp_free(s);
	buf_release(&trace);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *dir = getenv("TRANSCRIPT_DIR");
	struct strvec files = STRVEC_INIT;
	char *fallback = NULL;
	struct dirent *de;
	DIR *d;

	if (!dir) {
		const char *top = getenv("top_srcdir");

		fallback = xasprintf("%s/tests/transcripts", top ? top : ".");
		dir = fallback;
	}
	d = opendir(dir);
	if (!d && !getenv("TRANSCRIPT_DIR")) {
		dir = "tests/transcripts";
		d = opendir(dir);
	}
	if (!ok(d != NULL, "open scenario directory %s", dir))
		goto out;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 2 && !strcmp(de->d_name + n - 2, ".t"))
			strvec_push_take(&files, xasprintf("%s/%s", dir, de->d_name));
	}
	closedir(d);
	if (files.n)
		qsort(files.v, files.n, sizeof(*files.v), cmp);
	ok(files.n >= 20, "found %zu scenarios", files.n);
	for (size_t i = 0; i < files.n; i++) {
		struct scenario sc;
		const char *base = strrchr(files.v[i], '/');

		memset(&sc, 0, sizeof(sc));
		sc.name = base ? base + 1 : files.v[i];
		if (!ok(load(&sc, files.v[i]) == 0 && !sc.bad, "%s: parses", sc.name)) {
			scenario_release(&sc);
			continue;
		}
		run(&sc, 0);
		run(&sc, 1);
		scenario_release(&sc);
	}
out:
	strvec_release(&files);
	free(fallback);
	return tap_done();
}
