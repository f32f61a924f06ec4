/* aliases.c - read an aliases file and expand bare local names. */
#include "aliases.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"

void aliases_init(struct aliases *al)
{
	memset(al, 0, sizeof(*al));
}

void aliases_release(struct aliases *al)
{
	for (size_t i = 0; i < al->n; i++) {
		free(al->a[i].name);
		strvec_release(&al->a[i].to);
	}
	free(al->a);
	free(al->label);
	aliases_init(al);
}

static const struct alias *find(const struct aliases *al, const char *name)
{
	for (size_t i = 0; i < al->n; i++)
		if (!strcasecmp(al->a[i].name, name))
			return &al->a[i];
	return NULL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void warn_line(struct buf *warn, const char *label, int line, const char *what,
		      const char *s, size_t n)
{
	if (!warn)
		return;
	buf_addf(warn, "%s:%d: ", label, line);
	buf_add_escaped(warn, s, n > 80 ? 80 : n);
	buf_addf(warn, ": %s\n", what);
}

/* Whether target (trimmed) is a local delivery that postern never makes:
 * a command, a file, or an include, also inside quotes.  Names it. */
static const char *local_delivery(const char *t)
{
	if (*t == '"')
		t++;
	if (*t == '|')
		return "a command target; postern runs no commands from an aliases file, skipped";
	if (*t == '/')
		return "a file target; postern writes no files from an aliases file, skipped";
	if (!strncasecmp(t, ":include:", 9))
		return "an :include: target; postern reads no included lists, skipped";
	return NULL;
}

/* Split the targets of one entry at commas outside quotes and angle
 * brackets and add each address to a->to. */
static int add_targets(struct aliases *al, struct alias *a, const char *s, struct buf *warn,
		       struct error *e)
{
	struct buf t = BUF_INIT;
	int quoted = 0, angle = 0, rc = -1;

	for (;; s++) {
		char *addr = NULL, *p, *q;
		const char *why;
		struct error ae;

		if (*s && (quoted || angle || *s != ',')) {
			if (*s == '\\' && quoted && s[1]) {
				buf_add(&t, s++, 1);
			} else if (*s == '"') {
				quoted = !quoted;
			} else if (!quoted && *s == '<') {
				angle = 1;
			} else if (!quoted && *s == '>') {
				angle = 0;
			}
			buf_add(&t, s, 1);
			continue;
		}
		for (p = t.data; is_blank(*p); p++)
			;
		for (q = t.data + t.len; q > p && is_blank(q[-1]); q--)
			;
		*q = '\0';
		if (!*p) {
			/* "a, , b" and a trailing comma: nothing there */
		} else if ((why = local_delivery(p)) != NULL) {
			warn_line(warn, al->label, a->line, why, p, (size_t)(q - p));
		} else if (addr_parse_mailbox(p, &addr, &ae) || !*addr) {
			char shown[128];

			str_escape(shown, sizeof(shown), p, (size_t)(q - p));
			error_set(e, ERR_CONFIG, "%s:%d: alias %s: target %s is not one address",
				  al->label, a->line, a->name, shown);
			free(addr);
			goto out;
		} else if (strvec_find_icase(&a->to, addr) < 0) {
			strvec_push(&a->to, addr);
		}
		free(addr);
		buf_reset(&t);
		quoted = angle = 0;
		if (!*s)
			break;
	}
	rc = 0;
out:
	buf_release(&t);
	return rc;
}

/* One entry "name: targets" (continuation lines already joined). */
static int add_entry(struct aliases *al, const char *s, int line, struct buf *warn,
		     struct error *e)
{
	const char *colon = strchr(s, ':'), *end;
	struct alias *a;
	char *name;

	if (!colon)
		return error_set(e, ERR_CONFIG, "%s:%d: expected name: address, address",
				 al->label, line);
	for (end = colon; end > s && is_blank(end[-1]); end--)
		;
	for (const char *p = s; p < end; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return error_set(e, ERR_CONFIG, "%s:%d: an alias name has no blanks or control "
					 "characters", al->label, line);
	if (end == s)
		return error_set(e, ERR_CONFIG, "%s:%d: the line has no alias name before ':'",
				 al->label, line);
	name = xstrndup(s, (size_t)(end - s));
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (find(al, name)) {
		warn_line(warn, al->label, line, "defined again; the first definition counts",
			  name, strlen(name));
		free(name);
		return 0;
	}
	al->a = xrealloc(al->a, (al->n + 1) * sizeof(*al->a));
	a = &al->a[al->n++];
	a->name = name;
	a->line = line;
	strvec_init(&a->to);
	return add_targets(al, a, colon + 1, warn, e);
}

int aliases_parse(struct aliases *al, const char *label, const char *text, size_t len,
		  struct buf *warn, struct error *e)
{
	struct buf entry = BUF_INIT;
	const char *s = text, *end = text + len, *nl;
	int line = 0, entry_line = 0, rc = -1;

	free(al->label);
	al->label = xstrdup(label);
	if (memchr(text, '\0', len)) {
		error_set(e, ERR_CONFIG, "%s contains a NUL byte; is it a text file?", label);
		goto out;
	}
	for (; s < end; s = nl ? nl + 1 : end) {
		size_t n;

		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (n && *s == '#')
			continue;
		if (n && is_blank(*s)) {
			size_t b = 0;

			while (b < n && is_blank(s[b]))
				b++;
			if (b == n)
				continue;	/* a line of blanks */
			if (!entry_line) {
				error_set(e, ERR_CONFIG, "%s:%d: a line starting with a blank continues "
					  "an entry, but there is none before it", label, line);
				goto out;
			}
			buf_add(&entry, " ", 1);
			buf_add(&entry, s + b, n - b);
			continue;
		}
		if (entry_line && add_entry(al, entry.data, entry_line, warn, e))
			goto out;
		buf_reset(&entry);
		entry_line = 0;
		if (!n)
			continue;
		buf_add(&entry, s, n);
		entry_line = line;
	}
	if (entry_line && add_entry(al, entry.data, entry_line, warn, e))
		goto out;
	al->fallback = find(al, "default");
	rc = 0;
out:
	buf_release(&entry);
	return rc;
}

int aliases_load(struct aliases *al, const char *path, struct buf *warn, struct error *e)
{
	struct buf text = BUF_INIT;
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		error_set(e, ERR_CONFIG, "cannot read the aliases file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set(e, ERR_CONFIG, "the aliases file %s is not a regular file", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(e, ERR_CONFIG, "reading the aliases file %s: %s", path, strerror(errno));
			goto out;
		}
		buf_add(&text, chunk, (size_t)n);
		if (text.len > ALIASES_FILE_MAX) {
			error_set(e, ERR_CONFIG, "the aliases file %s is larger than 1 MiB; is it the right file?",
				  path);
			goto out;
		}
	}
	rc = aliases_parse(al, path, text.data, text.len, warn, e);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&text);
	return rc;
}

/* Add addr to out once; refuse when out would pass the bound. */
static int add_unique(const struct aliases *al, struct strvec *out, const char *addr,
		      const char *name, struct error *e)
{
	if (strvec_find_icase(out, addr) >= 0)
		return 0;
	if (out->n >= ALIASES_EXPAND_MAX)
		return error_set(e, ERR_CONFIG, "%s: %s expands to more than %d addresses",
				 al->label, name, ALIASES_EXPAND_MAX);
	strvec_push(out, addr);
	return 0;
}

/* a's targets into out, following bare ones.  The default entry applies to
 * a bare name without an entry, except among the default's own targets
 * (which would only lead back to it). */
static int follow(const struct aliases *al, const struct alias *a, int depth,
		  size_t *steps, struct strvec *out, struct error *e)
{
	/* Entries that list the same names many times over would take
	 * exponential time without a bound on the steps as well. */
	if (++*steps > 10 * ALIASES_EXPAND_MAX)
		return error_set(e, ERR_CONFIG, "%s: %s expands through too many aliases",
				 al->label, a->name);
	if (depth > ALIASES_DEPTH_MAX)
		return error_set(e, ERR_CONFIG, "%s:%d: alias %s: a loop, or a chain of more than %d "
				 "aliases", al->label, a->line, a->name, ALIASES_DEPTH_MAX);
	for (size_t i = 0; i < a->to.n; i++) {
		const char *t = a->to.v[i];
		const struct alias *b = NULL;

		if (!strchr(t, '@') && strcasecmp(t, a->name)) {
			b = find(al, t);
			if (!b && a != al->fallback)
				b = al->fallback;
		}
		if (b ? follow(al, b, depth + 1, steps, out, e) : add_unique(al, out, t, a->name, e))
			return -1;
	}
	return 0;
}

int aliases_expand(const struct aliases *al, const char *name, struct strvec *out,
		   struct error *e)
{
	const struct alias *a = find(al, name);
	size_t steps = 0;

	if (!a)
		a = al->fallback;
	if (!a)
		return 0;
	return follow(al, a, 0, &steps, out, e) ? -1 : 1;
}
