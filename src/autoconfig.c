/* autoconfig.c - see autoconfig.h.  A reader of the XML that autoconfig
 * documents use, not of XML: no DTD, no external entities, nothing that
 * could fetch or expand anything. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discover.h"
#include "util.h"

#define NAME_MAX_LEN 64
#define FIELD_MAX 255

enum field { F_NONE = 0, F_HOST, F_PORT, F_SOCKET, F_USER, F_AUTH };

struct reader {
	const char *p, *end, *doc;
	char stack[AUTOCONFIG_DEPTH_MAX][NAME_MAX_LEN + 1];
	int depth;
	int provider_depth;		/* depth of <emailProvider>, 0 outside */
	int server_depth;		/* depth of an <outgoingServer type="smtp">, 0 outside */
	enum field field;		/* the leaf being read inside it */
	struct buf text;		/* its text */
	/* the server being read */
	char host[254], port[16], socket[32], user[256], auth[64];
	int found, saw_plain, saw_server;
	struct error *e;
};

static int fail(struct reader *r, const char *what)
{
	int line = 1;

	for (const char *q = r->doc; q < r->p && q < r->end; q++)
		line += *q == '\n';
	return error_set(r->e, ERR_PROTOCOL, "the autoconfig document is not usable: %s (line %d)",
			 what, line);
}

static int starts(const struct reader *r, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(r->end - r->p) >= n && !memcmp(r->p, s, n);
}

/* Skip to just after the terminator, or fail. */
static int skip_past(struct reader *r, const char *term, const char *what)
{
	size_t n = strlen(term);

	for (; (size_t)(r->end - r->p) >= n; r->p++)
		if (!memcmp(r->p, term, n)) {
			r->p += n;
			return 0;
		}
	return fail(r, what);
}

static void add_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* An entity or character reference at r->p ('&'), decoded into b (which
 * is only kept up to FIELD_MAX octets: a longer value is refused by the
 * caller). */
static int entity(struct reader *r, struct buf *b)
{
	static const struct { const char *name; char ch; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	const char *q = r->p + 1;

	if (q < r->end && *q == '#') {
		unsigned long cp = 0;
		int hex = 0, digits = 0;

		q++;
		if (q < r->end && *q == 'x') {
			hex = 1;
			q++;
		}
		for (; q < r->end && *q != ';'; q++, digits++) {
			int d = isdigit((unsigned char)*q) ? *q - '0' :
				hex && isxdigit((unsigned char)*q) ? tolower((unsigned char)*q) - 'a' + 10 : -1;

			if (d < 0 || digits > 8)
				return fail(r, "a bad character reference");
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (q >= r->end || !digits || cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return fail(r, "a bad character reference");
		add_utf8(b, cp);
		r->p = q + 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i].name);

		if ((size_t)(r->end - q) >= n && !memcmp(q, named[i].name, n)) {
			buf_add(b, &named[i].ch, 1);
			r->p = q + n;
			return 0;
		}
	}
	return fail(r, "an unknown entity (only &amp; &lt; &gt; &quot; &apos; and &#N; are known)");
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':' ||
	       (unsigned char)c >= 0x80;
}

static int read_name(struct reader *r, char *out)
{
	size_t n = 0;

	while (r->p < r->end && name_char(*r->p)) {
		if (n == NAME_MAX_LEN)
			return fail(r, "a name longer than 64 characters");
		out[n++] = *r->p++;
	}
	out[n] = '\0';
	return n ? 0 : fail(r, "a tag without a name");
}

static void skip_blanks(struct reader *r)
{
	while (r->p < r->end && strchr(" \t\r\n", *r->p))
		r->p++;
}

/* Text up to '<' into the current field (kept to FIELD_MAX + 1 octets:
 * one more than a usable value, so that a longer one is seen as such). */
static int text(struct reader *r)
{
	while (r->p < r->end && *r->p != '<') {
		if (*r->p == '&') {
			if (entity(r, &r->text))
				return -1;
		} else {
			if (r->depth == 0 && !strchr(" \t\r\n", *r->p))
				return fail(r, "text outside the root element");
			if (r->field != F_NONE)
				buf_add(&r->text, r->p, 1);
			r->p++;
		}
		if (r->field == F_NONE)
			buf_reset(&r->text);
		else if (r->text.len > FIELD_MAX + 1)
			r->text.len = FIELD_MAX + 1;
	}
	r->text.data[r->text.len] = '\0';
	return 0;
}

static void field_keep(struct reader *r, char *dst, size_t size)
{
	const char *s = r->text.data, *t = r->text.data + r->text.len;

	while (s < t && strchr(" \t\r\n", *s))
		s++;
	while (t > s && strchr(" \t\r\n", t[-1]))
		t--;
	/* the first of each field counts (as Thunderbird reads it) */
	if (dst[0])
		return;
	if ((size_t)(t - s) >= size) {
		snprintf(dst, size, "%s", "\x01");	/* too long: never usable */
		return;
	}
	/* a line break or tab inside, or DEL, would reach the configuration */
	for (const char *q = s; q < t; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			snprintf(dst, size, "%s", "\x01");
			return;
		}
	memcpy(dst, s, (size_t)(t - s));
	dst[t - s] = '\0';
}

static enum field field_of(const char *name)
{
	if (!strcmp(name, "hostname")) return F_HOST;
	if (!strcmp(name, "port")) return F_PORT;
	if (!strcmp(name, "socketType")) return F_SOCKET;
	if (!strcmp(name, "username")) return F_USER;
	if (!strcmp(name, "authentication")) return F_AUTH;
	return F_NONE;
}

/* in with %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN% filled from
 * address, into out (size octets).  Returns 0, or -1 when it does not fit. */
static int substitute(const char *in, const char *address, char *out, size_t size)
{
	const char *at = strrchr(address, '@');
	struct buf b = BUF_INIT;
	int rc = -1;

	for (const char *p = in; *p; ) {
		if (!strncmp(p, "%EMAILADDRESS%", 14)) {
			buf_adds(&b, address);
			p += 14;
		} else if (!strncmp(p, "%EMAILLOCALPART%", 16)) {
			buf_add(&b, address, at ? (size_t)(at - address) : strlen(address));
			p += 16;
		} else if (!strncmp(p, "%EMAILDOMAIN%", 13)) {
			buf_adds(&b, at ? at + 1 : "");
			p += 13;
		} else {
			buf_add(&b, p++, 1);
		}
	}
	if (b.len < size) {
		memcpy(out, b.data, b.len + 1);
		rc = 0;
	}
	buf_release(&b);
	return rc;
}

/* The server just closed: is it usable?  The first usable one wins. */
static void server_done(struct reader *r, struct autoconfig *out, const char *address)
{
	enum account_tls tls;
	char *end;
	unsigned long port;

	r->saw_server = 1;
	if (r->found)
		return;
	/* a field longer than its room was marked: the server is unusable */
	if (r->host[0] == '\x01' || r->port[0] == '\x01' || r->socket[0] == '\x01' ||
	    r->user[0] == '\x01')
		return;
	if (!strcasecmp(r->socket, "plain")) {
		r->saw_plain = 1;
		return;
	}
	if (!strcasecmp(r->socket, "SSL") || !strcasecmp(r->socket, "TLS"))
		tls = ACCOUNT_TLS_IMPLICIT;
	else if (!strcasecmp(r->socket, "STARTTLS"))
		tls = ACCOUNT_TLS_STARTTLS;
	else
		return;
	port = strtoul(r->port, &end, 10);
	if (!r->port[0] || *end || !isdigit((unsigned char)r->port[0]) || port < 1 || port > 65535)
		return;
	memset(out, 0, sizeof(*out));
	/* Thunderbird fills the placeholders in the host name too
	 * (mail.%EMAILDOMAIN%); the result must still be a plain host */
	if (substitute(r->host, address, out->host, sizeof(out->host)) ||
	    !discover_host_ok(out->host) ||
	    substitute(r->user, address, out->user, sizeof(out->user))) {
		memset(out, 0, sizeof(*out));
		return;
	}
	out->port = (unsigned)port;
	out->tls = tls;
	/* only informative: one too long for its room is left out, not
	 * passed on as the marker */
	if (r->auth[0] != '\x01')
		snprintf(out->auth, sizeof(out->auth), "%s", r->auth);
	r->found = 1;
}

static int open_tag(struct reader *r)
{
	char name[NAME_MAX_LEN + 1], attr[NAME_MAX_LEN + 1];
	struct buf val = BUF_INIT;
	int smtp = 0, empty = 0, rc = -1;

	r->p++;
	if (read_name(r, name))
		goto out;
	for (;;) {
		char q;

		skip_blanks(r);
		if (r->p >= r->end) {
			fail(r, "a tag that does not end");
			goto out;
		}
		if (*r->p == '>') {
			r->p++;
			break;
		}
		if (starts(r, "/>")) {
			r->p += 2;
			empty = 1;
			break;
		}
		if (read_name(r, attr))
			goto out;
		skip_blanks(r);
		if (r->p >= r->end || *r->p != '=') {
			fail(r, "an attribute without a value");
			goto out;
		}
		r->p++;
		skip_blanks(r);
		if (r->p >= r->end || (*r->p != '"' && *r->p != '\'')) {
			fail(r, "an attribute value without quotes");
			goto out;
		}
		q = *r->p++;
		buf_reset(&val);
		while (r->p < r->end && *r->p != q) {
			if (*r->p == '<') {
				fail(r, "'<' in an attribute value");
				goto out;
			}
			if (*r->p == '&') {
				if (entity(r, &val))
					goto out;
			} else {
				buf_add(&val, r->p++, 1);
			}
			if (val.len > FIELD_MAX)
				val.len = FIELD_MAX;
		}
		if (r->p >= r->end) {
			fail(r, "an attribute value that does not end");
			goto out;
		}
		r->p++;
		val.data[val.len] = '\0';
		if (!strcmp(attr, "type") && !strcmp(val.data, "smtp"))
			smtp = 1;
	}
	if (r->depth == AUTOCONFIG_DEPTH_MAX) {
		fail(r, "elements nested more than 16 deep");
		goto out;
	}
	if (r->depth == 0 && strcmp(name, "clientConfig")) {
		fail(r, "the root element is not <clientConfig>");
		goto out;
	}
	if (r->field != F_NONE) {
		fail(r, "an element inside a server's field");
		goto out;
	}
	/* what the element means where it is */
	if (!strcmp(name, "emailProvider") && r->depth == 1 && !r->provider_depth)
		r->provider_depth = r->depth + 1;
	else if (!strcmp(name, "outgoingServer") && smtp && r->provider_depth &&
		 r->depth == r->provider_depth && !r->server_depth) {
		r->server_depth = r->depth + 1;
		r->host[0] = r->port[0] = r->socket[0] = r->user[0] = r->auth[0] = '\0';
	} else if (r->server_depth && r->depth == r->server_depth) {
		r->field = field_of(name);
		buf_reset(&r->text);
	}
	if (empty) {
		/* <username/>: an empty field; <outgoingServer .../>: nothing */
		if (r->server_depth == r->depth + 1 && !strcmp(name, "outgoingServer"))
			r->server_depth = 0;
		if (r->provider_depth == r->depth + 1)
			r->provider_depth = 0;
		r->field = F_NONE;
		rc = 0;
		goto out;
	}
	snprintf(r->stack[r->depth++], NAME_MAX_LEN + 1, "%s", name);
	rc = 0;
out:
	buf_release(&val);
	return rc;
}

static int close_tag(struct reader *r, struct autoconfig *out, const char *address)
{
	char name[NAME_MAX_LEN + 1];

	r->p += 2;
	if (read_name(r, name))
		return -1;
	skip_blanks(r);
	if (r->p >= r->end || *r->p != '>')
		return fail(r, "an end tag that does not end");
	r->p++;
	if (r->depth == 0 || strcmp(r->stack[r->depth - 1], name))
		return fail(r, "an end tag that does not match its start tag");
	if (r->field != F_NONE) {
		switch (r->field) {
		case F_HOST: field_keep(r, r->host, sizeof(r->host)); break;
		case F_PORT: field_keep(r, r->port, sizeof(r->port)); break;
		case F_SOCKET: field_keep(r, r->socket, sizeof(r->socket)); break;
		case F_USER: field_keep(r, r->user, sizeof(r->user)); break;
		case F_AUTH: field_keep(r, r->auth, sizeof(r->auth)); break;
		case F_NONE: break;
		}
		r->field = F_NONE;
		buf_reset(&r->text);
	}
	r->depth--;
	if (r->server_depth && r->depth + 1 == r->server_depth) {
		server_done(r, out, address);
		r->server_depth = 0;
	}
	if (r->provider_depth && r->depth + 1 == r->provider_depth)
		r->provider_depth = 0;
	return 0;
}

int autoconfig_parse(const char *doc, size_t len, const char *address, struct autoconfig *out,
		     struct error *e)
{
	struct reader r;
	int rc = -1, seen_root = 0;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	buf_init(&r.text);
	r.doc = r.p = doc;
	r.end = doc + len;
	r.e = e;
	if (len > AUTOCONFIG_DOC_MAX)
		return error_set(e, ERR_PROTOCOL, "the autoconfig document is larger than %d KiB",
				 AUTOCONFIG_DOC_MAX / 1024);
	/* XML allows no control characters but these three; refusing them
	 * here keeps NULs and escapes out of every value read below */
	for (const char *q = doc; q < r.end; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t' && *q != '\r' && *q != '\n') {
			r.p = q;
			fail(&r, "a control character");
			goto out;
		}
	if (starts(&r, "\xef\xbb\xbf"))
		r.p += 3;
	while (r.p < r.end) {
		if (*r.p != '<') {
			if (text(&r))
				goto out;
			continue;
		}
		if (starts(&r, "<?")) {
			if (skip_past(&r, "?>", "a processing instruction that does not end"))
				goto out;
		} else if (starts(&r, "<!--")) {
			if (skip_past(&r, "-->", "a comment that does not end"))
				goto out;
		} else if (starts(&r, "<![CDATA[")) {
			const char *start = r.p + 9;

			if (r.depth == 0) {
				fail(&r, "CDATA outside the root element");
				goto out;
			}
			if (skip_past(&r, "]]>", "a CDATA section that does not end"))
				goto out;
			if (r.field != F_NONE) {
				buf_add(&r.text, start, (size_t)(r.p - 3 - start));
				if (r.text.len > FIELD_MAX + 1)
					r.text.len = FIELD_MAX + 1;
				r.text.data[r.text.len] = '\0';
			}
		} else if (starts(&r, "<!DOCTYPE")) {
			const char *gt = memchr(r.p, '>', (size_t)(r.end - r.p));
			if (!gt || memchr(r.p, '[', (size_t)(gt - r.p))) {
				fail(&r, "a DOCTYPE with an internal subset (not read, on purpose)");
				goto out;
			}
			r.p = gt + 1;
		} else if (starts(&r, "<!")) {
			fail(&r, "a markup declaration");
			goto out;
		} else if (starts(&r, "</")) {
			if (close_tag(&r, out, address))
				goto out;
		} else {
			if (r.depth == 0 && seen_root) {
				fail(&r, "a second root element");
				goto out;
			}
			if (open_tag(&r))
				goto out;
			seen_root = 1;
		}
	}
	if (r.depth) {
		fail(&r, "the document ends inside an element");
		goto out;
	}
	if (!seen_root) {
		fail(&r, "no element at all");
		goto out;
	}
	if (!r.found) {
		error_set(e, ERR_PROTOCOL, "the autoconfig document has %s",
			  r.saw_plain ? "only a cleartext (plain) outgoing server, which postern does not use" :
			  r.saw_server ? "no outgoing SMTP server with a host name, port and TLS that postern can use" :
			  "no outgoing SMTP server");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	buf_release(&r.text);
	return rc;
}
