/* addr.c - RFC 5322 address lists, lenient where mail software commonly
 * is (bare local names, empty list elements, obsolete routes, a group left
 * without its ';'), strict where guessing would pick the wrong recipient
 * (unbalanced quotes, comments or angle brackets, two words with no comma
 * between them).
 *
 * The value is first cut into tokens (comments and white space dropped),
 * then a small recursive-descent parser walks the tokens. */
#include "addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_type {
	T_END = 0,
	T_WORD,		/* atom: run of atext (and 8-bit) octets */
	T_QUOTED,	/* quoted-string, quotes and escapes kept */
	T_LITERAL,	/* domain-literal, brackets kept */
	T_SPECIAL,	/* one of < > @ , : ; . */
};

struct tok {
	enum tok_type type;
	const char *s;	/* into the value */
	size_t len;
};

struct addr_parser {
	const char *value;
	struct tok *t;
	size_t n, cap, pos;
	struct strvec *out;
	int mailbox_only;	/* addr_parse_mailbox: no groups, "<>" allowed */
};

#define QUOTE_MAX 60

/* Quote at most QUOTE_MAX octets of s for a message, escaping anything a
 * terminal should not see. */
static void S_quote(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t o = 0;
	size_t i;

	for (i = 0; i < n && s[i] && i < QUOTE_MAX && o + 5 < dstsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, dstsz - o, "\\%c", c);
		else
			dst[o++] = (char)c;
	}
	if (i < n && s[i] && o + 4 < dstsz) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* ERR_DATA naming the whole value, what is wrong, and where. */
static int S_fail_e(struct addr_parser *p, struct error *e, const char *at, const char *why)
{
	char whole[QUOTE_MAX * 4 + 8], q[QUOTE_MAX * 4 + 8];

	S_quote(whole, sizeof(whole), p->value, strlen(p->value));
	if (!*at)
		return error_set(e, ERR_DATA, "malformed address \"%s\": %s at the end",
				 whole, why);
	S_quote(q, sizeof(q), at, strlen(at));
	return error_set(e, ERR_DATA, "malformed address \"%s\": %s at \"%s\"",
			 whole, why, q);
}

static void S_push_tok(struct addr_parser *p, enum tok_type type, const char *s, size_t len)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->t = xrealloc(p->t, p->cap * sizeof(*p->t));
	}
	p->t[p->n].type = type;
	p->t[p->n].s = s;
	p->t[p->n].len = len;
	p->n++;
}

static int S_is_special(char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL;
}

static int S_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip a comment starting at *s (on '('), nested, with quoted-pairs. */
static int S_skip_comment(struct addr_parser *p, const char **s, struct error *e)
{
	const char *start = *s, *c = *s;
	size_t depth = 0;

	for (; *c; c++) {
		if (*c == '\\') {
			if (!c[1])
				break;
			c++;
		} else if (*c == '(') {
			depth++;
		} else if (*c == ')') {
			if (--depth == 0) {
				*s = c + 1;
				return 0;
			}
		}
	}
	return S_fail_e(p, e, start, "unbalanced '(' (comment not closed)");
}

/* Scan a quoted string or domain literal starting at *s; close is '"' or ']'. */
static int S_scan_quoted(struct addr_parser *p, const char **s, char close, struct error *e)
{
	const char *start = *s, *c = *s + 1;

	for (; *c; c++) {
		if (*c == '\\') {
			if (!c[1])
				break;
			c++;
		} else if (*c == close) {
			*s = c + 1;
			return 0;
		} else if (close == ']' && *c == '[') {
			break;
		}
	}
	return S_fail_e(p, e, start, close == '"' ? "unterminated quoted string"
				      : "unterminated domain literal '['");
}

static int S_lex(struct addr_parser *p, struct error *e)
{
	const char *s = p->value, *start;

	while (*s) {
		if (S_is_blank(*s)) {
			s++;
		} else if (*s == '(') {
			if (S_skip_comment(p, &s, e) < 0)
				return -1;
		} else if (*s == ')') {
			return S_fail_e(p, e, s, "unbalanced ')'");
		} else if (*s == '"' || *s == '[') {
			start = s;
			if (S_scan_quoted(p, &s, *s == '"' ? '"' : ']', e) < 0)
				return -1;
			S_push_tok(p, *start == '"' ? T_QUOTED : T_LITERAL, start, (size_t)(s - start));
		} else if (*s == ']' || *s == '\\') {
			return S_fail_e(p, e, s, *s == ']' ? "unbalanced ']'" : "stray backslash");
		} else if (S_is_special(*s)) {
			S_push_tok(p, T_SPECIAL, s, 1);
			s++;
		} else {
			start = s;
			while (*s && !S_is_blank(*s) && !S_is_special(*s))
				s++;
			S_push_tok(p, T_WORD, start, (size_t)(s - start));
		}
	}
	S_push_tok(p, T_END, s, 0);
	return 0;
}

static const struct tok *S_peek(const struct addr_parser *p)
{
	return &p->t[p->pos];
}

static int S_is(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->s[0] == c;
}

static int S_is_word(const struct tok *t)
{
	return t->type == T_WORD || t->type == T_QUOTED;
}

/* Join tokens [from, to) as written, without the white space or comments
 * between them: word *("." word), dots tolerated anywhere (obsolete and
 * real-world local parts), but two words in a row are not one address. */
static int S_join(struct addr_parser *p, size_t from, size_t to, struct buf *b,
		  const char *what, struct error *e)
{
	for (size_t i = from; i < to; i++) {
		const struct tok *t = &p->t[i];

		if (i > from && S_is_word(t) && S_is_word(&p->t[i - 1]))
			return S_fail_e(p, e, p->t[from].s,
					"words without a comma or angle brackets between them");
		if (!S_is_word(t) && !S_is(t, '.'))
			return S_fail_e(p, e, t->s, what);
		buf_add(b, t->s, t->len);
	}
	return 0;
}

/* domain = dot-atom / domain-literal, after the '@'. */
static int S_domain(struct addr_parser *p, struct buf *b, struct error *e)
{
	const struct tok *t = S_peek(p);
	size_t from = p->pos, words = 0;

	if (t->type == T_LITERAL) {
		buf_add(b, t->s, t->len);
		p->pos++;
		return 0;
	}
	for (; t->type == T_WORD || S_is(t, '.'); t = S_peek(p)) {
		if (t->type == T_WORD) {
			/* "a@b c": stop; the caller reports the missing comma */
			if (p->pos > from && p->t[p->pos - 1].type == T_WORD)
				break;
			words++;
		}
		p->pos++;
	}
	if (!words)
		return S_fail_e(p, e, p->t[from].s, "missing domain after '@'");
	for (size_t i = from; i < p->pos; i++)
		buf_add(b, p->t[i].s, p->t[i].len);
	return 0;
}

static void S_emit(struct addr_parser *p, struct buf *b)
{
	strvec_push_take(p->out, buf_detach(b));
}

/* addr-spec (or a bare local name) whose local part is tokens [from, pos). */
static int S_addr_spec(struct addr_parser *p, size_t from, struct error *e)
{
	struct buf b = BUF_INIT;
	int ret = -1;

	if (p->pos == from) {
		S_fail_e(p, e, S_peek(p)->s, "empty local part");
		goto out;
	}
	if (S_join(p, from, p->pos, &b, "unexpected character in the local part", e) < 0)
		goto out;
	if (S_is(S_peek(p), '@')) {
		p->pos++;
		buf_add(&b, "@", 1);
		if (S_domain(p, &b, e) < 0)
			goto out;
	}
	S_emit(p, &b);
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

/* "<" [obs-route] addr-spec ">", positioned on the '<'. */
static int S_angle(struct addr_parser *p, struct error *e)
{
	const char *open = S_peek(p)->s;
	const struct tok *t;
	size_t from;

	p->pos++;
	if (S_is(S_peek(p), '>')) {
		if (!p->mailbox_only)
			return S_fail_e(p, e, open, "empty address \"<>\" in a list");
		strvec_push(p->out, "");
		p->pos++;
		return 0;
	}
	/* Obsolete source route "@a,@b:": only the final mailbox matters. */
	if (S_is(S_peek(p), '@')) {
		for (t = S_peek(p); !S_is(t, ':'); t = S_peek(p)) {
			if (t->type == T_END || S_is(t, '>') || S_is(t, '<') || S_is(t, ';'))
				return S_fail_e(p, e, open, "malformed source route");
			p->pos++;
		}
		p->pos++;
	}
	from = p->pos;
	for (t = S_peek(p); S_is_word(t) || S_is(t, '.'); t = S_peek(p))
		p->pos++;
	if (S_addr_spec(p, from, e) < 0)
		return -1;
	t = S_peek(p);
	if (t->type == T_END)
		return S_fail_e(p, e, open, "unbalanced '<'");
	if (!S_is(t, '>'))
		return S_fail_e(p, e, t->s, "unexpected text in angle brackets");
	p->pos++;
	return 0;
}

static int S_list(struct addr_parser *p, int in_group, struct error *e);

/* One address: mailbox or group.  The display name (or the local part) comes
 * first; what follows it decides which. */
static int S_address(struct addr_parser *p, int in_group, struct error *e)
{
	size_t from = p->pos;
	const struct tok *t, *start = S_peek(p);

	for (t = S_peek(p); S_is_word(t) || S_is(t, '.'); t = S_peek(p))
		p->pos++;
	if (S_is(t, '<'))
		return S_angle(p, e);
	if (S_is(t, ':')) {
		if (in_group || p->mailbox_only)
			return S_fail_e(p, e, start->s, in_group ? "group inside a group"
						    : "a group where one address is wanted");
		p->pos++;
		if (S_list(p, 1, e) < 0)
			return -1;
		/* Tolerate a group missing its ';' at the very end. */
		if (S_is(S_peek(p), ';'))
			p->pos++;
		return 0;
	}
	if (S_is(t, '@') || p->pos > from)
		return S_addr_spec(p, from, e);
	return S_fail_e(p, e, t->s, "unexpected character");
}

static int S_list(struct addr_parser *p, int in_group, struct error *e)
{
	const struct tok *t;

	for (;;) {
		t = S_peek(p);
		if (t->type == T_END || (in_group && S_is(t, ';')))
			return 0;
		if (S_is(t, ',')) {	/* empty element: "a@x,,b@y" */
			p->pos++;
			continue;
		}
		if (S_address(p, in_group, e) < 0)
			return -1;
		t = S_peek(p);
		if (S_is(t, ','))
			p->pos++;
		else if (t->type != T_END && !(in_group && S_is(t, ';')))
			return S_fail_e(p, e, t->s, S_is(t, ';') ? "';' outside a group"
					: S_is(t, '>') ? "unbalanced '>'"
					: "missing comma between addresses");
	}
}

static int S_parse(const char *value, struct strvec *out, int mailbox_only, struct error *e)
{
	struct addr_parser p;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.value = value;
	p.out = out;
	p.mailbox_only = mailbox_only;
	if (S_lex(&p, e) < 0)
		goto out;
	if (S_list(&p, 0, e) < 0)
		goto out;
	if (S_peek(&p)->type != T_END) {
		S_fail_e(&p, e, S_peek(&p)->s, "unexpected character");
		goto out;
	}
	ret = 0;
out:
	free(p.t);
	return ret;
}

int addr_parse_list(const char *value, struct strvec *out, struct error *e)
{
	struct strvec tmp = STRVEC_INIT;
	int ret = -1;

	/* Parse into tmp so that a malformed list adds nothing to out. */
	if (S_parse(value, &tmp, 0, e) < 0)
		goto out;
	for (size_t i = 0; i < tmp.n; i++) {
		strvec_push_take(out, tmp.v[i]);
		tmp.v[i] = NULL;
	}
	tmp.n = 0;
	ret = 0;
out:
	strvec_release(&tmp);
	return ret;
}

int addr_parse_mailbox(const char *value, char **out, struct error *e)
{
	struct strvec tmp = STRVEC_INIT;
	char q[QUOTE_MAX * 4 + 8];
	int ret = -1;

	*out = NULL;
	if (S_parse(value, &tmp, 1, e) < 0)
		goto out;
	if (tmp.n > 1) {
		S_quote(q, sizeof(q), value, strlen(value));
		error_set(e, ERR_DATA, "\"%s\" holds %zu addresses where one is wanted", q, tmp.n);
		goto out;
	}
	/* Nothing at all (only blanks or comments) is the null sender. */
	*out = tmp.n ? tmp.v[0] : xstrdup("");
	if (tmp.n)
		tmp.v[0] = NULL;
	ret = 0;
out:
	strvec_release(&tmp);
	return ret;
}

#define ENVELOPE_MAX 254

int addr_check_envelope(const char *addr, const char *what, struct error *e)
{
	char q[QUOTE_MAX * 4 + 8];
	size_t len = strlen(addr);
	const char *why = NULL;
	char whybuf[64];
	int quoted = 0;

	if (len > ENVELOPE_MAX) {
		why = "is longer than 254 octets (RFC 5321 4.5.3.1.3)";
	} else if (addr[0] == '-') {
		why = "starts with '-'; it looks like an option, not an address "
		      "(options go before the recipients)";
	}
	for (size_t i = 0; !why && i < len; i++) {
		unsigned char c = (unsigned char)addr[i];

		if (c == '\r') {
			why = "contains a carriage return";
		} else if (c == '\n') {
			why = "contains a line feed";
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(whybuf, sizeof(whybuf), "contains the control character 0x%02x", c);
			why = whybuf;
		} else if (c == '<' || c == '>') {
			snprintf(whybuf, sizeof(whybuf), "contains '%c'", c);
			why = whybuf;
		} else if (c == '"') {
			quoted = !quoted;
		} else if (c == '\\' && quoted) {
			/* quoted-pair: an escaped quote or backslash does not
			 * end the quotes; anything else is checked as usual. */
			if (addr[i + 1] == '"' || addr[i + 1] == '\\')
				i++;
		} else if (c == ' ' && !quoted) {
			why = "contains a space outside quotes";
		}
	}
	if (!why && quoted)
		why = "has an unterminated quoted string";
	if (!why)
		return 0;
	S_quote(q, sizeof(q), addr, len);
	return error_set(e, ERR_USAGE, "%s \"%s\" %s; refusing to send it", what, q, why);
}
