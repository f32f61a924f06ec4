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
static void quote_text(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	str_escape(dst, dstsz, s, len < QUOTE_MAX ? len : QUOTE_MAX);
	if (len > QUOTE_MAX && strlen(dst) + 4 <= dstsz)
		strcat(dst, "...");
}

/* ERR_DATA naming the whole value, what is wrong, and where. */
static int fail_e(struct addr_parser *p, struct error *e, const char *at, const char *why)
{
	char whole[QUOTE_MAX * 4 + 8], q[QUOTE_MAX * 4 + 8];

	quote_text(whole, sizeof(whole), p->value, strlen(p->value));
	if (!*at)
		return error_set(e, ERR_DATA, "malformed address \"%s\": %s at the end",
				 whole, why);
	quote_text(q, sizeof(q), at, strlen(at));
	return error_set(e, ERR_DATA, "malformed address \"%s\": %s at \"%s\"",
			 whole, why, q);
}

static void push_tok(struct addr_parser *p, enum tok_type type, const char *s, size_t len)
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

static int is_special(char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip a comment starting at *s (on '('), nested, with quoted-pairs. */
static int skip_comment(struct addr_parser *p, const char **s, struct error *e)
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
	return fail_e(p, e, start, "unbalanced '(' (comment not closed)");
}

/* Scan a quoted string or domain literal starting at *s; close is '"' or ']'. */
static int scan_quoted(struct addr_parser *p, const char **s, char close, struct error *e)
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
	return fail_e(p, e, start, close == '"' ? "unterminated quoted string"
				      : "unterminated domain literal '['");
}

static int lex(struct addr_parser *p, struct error *e)
{
	const char *s = p->value, *start;

	while (*s) {
		if (is_blank(*s)) {
			s++;
		} else if (*s == '(') {
			if (skip_comment(p, &s, e) < 0)
				return -1;
		} else if (*s == ')') {
			return fail_e(p, e, s, "unbalanced ')'");
		} else if (*s == '"' || *s == '[') {
			start = s;
			if (scan_quoted(p, &s, *s == '"' ? '"' : ']', e) < 0)
				return -1;
			push_tok(p, *start == '"' ? T_QUOTED : T_LITERAL, start, (size_t)(s - start));
		} else if (*s == ']' || *s == '\\') {
			return fail_e(p, e, s, *s == ']' ? "unbalanced ']'" : "stray backslash");
		} else if (is_special(*s)) {
			push_tok(p, T_SPECIAL, s, 1);
			s++;
		} else {
			start = s;
			while (*s && !is_blank(*s) && !is_special(*s))
				s++;
			push_tok(p, T_WORD, start, (size_t)(s - start));
		}
	}
	push_tok(p, T_END, s, 0);
	return 0;
}

static const struct tok *peek(const struct addr_parser *p)
{
	return &p->t[p->pos];
}

static int tok_is(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->s[0] == c;
}

static int is_word(const struct tok *t)
{
	return t->type == T_WORD || t->type == T_QUOTED;
}

/* Join tokens [from, to) as written, without the white space or comments
 * between them: word *("." word), dots tolerated anywhere (obsolete and
 * real-world local parts), but two words in a row are not one address. */
static int join(struct addr_parser *p, size_t from, size_t to, struct buf *b,
		  const char *what, struct error *e)
{
	for (size_t i = from; i < to; i++) {
		const struct tok *t = &p->t[i];

		if (i > from && is_word(t) && is_word(&p->t[i - 1]))
			return fail_e(p, e, p->t[from].s,
					"words without a comma or angle brackets between them");
		if (!is_word(t) && !tok_is(t, '.'))
			return fail_e(p, e, t->s, what);
		buf_add(b, t->s, t->len);
	}
	return 0;
}

/* domain = dot-atom / domain-literal, after the '@'. */
static int domain(struct addr_parser *p, struct buf *b, struct error *e)
{
	const struct tok *t = peek(p);
	size_t from = p->pos, words = 0;

	if (t->type == T_LITERAL) {
		buf_add(b, t->s, t->len);
		p->pos++;
		return 0;
	}
	for (; t->type == T_WORD || tok_is(t, '.'); t = peek(p)) {
		if (t->type == T_WORD) {
			/* "a@b c": stop; the caller reports the missing comma */
			if (p->pos > from && p->t[p->pos - 1].type == T_WORD)
				break;
			words++;
		}
		p->pos++;
	}
	if (!words)
		return fail_e(p, e, p->t[from].s, "missing domain after '@'");
	for (size_t i = from; i < p->pos; i++)
		buf_add(b, p->t[i].s, p->t[i].len);
	return 0;
}

static void emit(struct addr_parser *p, struct buf *b)
{
	strvec_push_take(p->out, buf_detach(b));
}

/* addr-spec (or a bare local name) whose local part is tokens [from, pos). */
static int addr_spec(struct addr_parser *p, size_t from, struct error *e)
{
	struct buf b = BUF_INIT;
	int ret = -1;

	if (p->pos == from) {
		fail_e(p, e, peek(p)->s, "empty local part");
		goto out;
	}
	if (join(p, from, p->pos, &b, "unexpected character in the local part", e) < 0)
		goto out;
	if (tok_is(peek(p), '@')) {
		p->pos++;
		buf_add(&b, "@", 1);
		if (domain(p, &b, e) < 0)
			goto out;
	}
	emit(p, &b);
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

/* "<" [obs-route] addr-spec ">", positioned on the '<'. */
static int angle(struct addr_parser *p, struct error *e)
{
	const char *open = peek(p)->s;
	const struct tok *t;
	size_t from;

	p->pos++;
	if (tok_is(peek(p), '>')) {
		if (!p->mailbox_only)
			return fail_e(p, e, open, "empty address \"<>\" in a list");
		strvec_push(p->out, "");
		p->pos++;
		return 0;
	}
	/* Obsolete source route "@a,@b:": only the final mailbox matters. */
	if (tok_is(peek(p), '@')) {
		for (t = peek(p); !tok_is(t, ':'); t = peek(p)) {
			if (t->type == T_END || tok_is(t, '>') || tok_is(t, '<') || tok_is(t, ';'))
				return fail_e(p, e, open, "malformed source route");
			p->pos++;
		}
		p->pos++;
	}
	from = p->pos;
	for (t = peek(p); is_word(t) || tok_is(t, '.'); t = peek(p))
		p->pos++;
	if (addr_spec(p, from, e) < 0)
		return -1;
	t = peek(p);
	if (t->type == T_END)
		return fail_e(p, e, open, "unbalanced '<'");
	if (!tok_is(t, '>'))
		return fail_e(p, e, t->s, "unexpected text in angle brackets");
	p->pos++;
	return 0;
}

static int parse_addr_list(struct addr_parser *p, int in_group, struct error *e);

/* One address: mailbox or group.  The display name (or the local part) comes
 * first; what follows it decides which. */
static int address(struct addr_parser *p, int in_group, struct error *e)
{
	size_t from = p->pos;
	const struct tok *t, *start = peek(p);

	for (t = peek(p); is_word(t) || tok_is(t, '.'); t = peek(p))
		p->pos++;
	if (tok_is(t, '<'))
		return angle(p, e);
	if (tok_is(t, ':')) {
		if (in_group || p->mailbox_only)
			return fail_e(p, e, start->s, in_group ? "group inside a group"
						    : "a group where one address is wanted");
		p->pos++;
		if (parse_addr_list(p, 1, e) < 0)
			return -1;
		/* Tolerate a group missing its ';' at the very end. */
		if (tok_is(peek(p), ';'))
			p->pos++;
		return 0;
	}
	if (tok_is(t, '@') || p->pos > from)
		return addr_spec(p, from, e);
	return fail_e(p, e, t->s, "unexpected character");
}

static int parse_addr_list(struct addr_parser *p, int in_group, struct error *e)
{
	const struct tok *t;

	for (;;) {
		t = peek(p);
		if (t->type == T_END || (in_group && tok_is(t, ';')))
			return 0;
		if (tok_is(t, ',')) {	/* empty element: "a@x,,b@y" */
			p->pos++;
			continue;
		}
		if (address(p, in_group, e) < 0)
			return -1;
		t = peek(p);
		if (tok_is(t, ','))
			p->pos++;
		else if (t->type != T_END && !(in_group && tok_is(t, ';')))
			return fail_e(p, e, t->s, tok_is(t, ';') ? "';' outside a group"
					: tok_is(t, '>') ? "unbalanced '>'"
					: "missing comma between addresses");
	}
}

static int parse_all(const char *value, struct strvec *out, int mailbox_only, struct error *e)
{
	struct addr_parser p;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.value = value;
	p.out = out;
	p.mailbox_only = mailbox_only;
	if (lex(&p, e) < 0)
		goto out;
	if (parse_addr_list(&p, 0, e) < 0)
		goto out;
	if (peek(&p)->type != T_END) {
		fail_e(&p, e, peek(&p)->s, "unexpected character");
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
	if (parse_all(value, &tmp, 0, e) < 0)
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
	if (parse_all(value, &tmp, 1, e) < 0)
		goto out;
	if (tmp.n > 1) {
		quote_text(q, sizeof(q), value, strlen(value));
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
	quote_text(q, sizeof(q), addr, len);
	return error_set(e, ERR_USAGE, "%s \"%s\" %s; refusing to send it", what, q, why);
}

/* The end of the quoted string or comment (nested) that starts at s, or
 * NULL when it does not end. */
static const char *skip_span(const char *s)
{
	int depth = 0;

	if (*s == '"') {
		for (s++; *s; s++) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				return s + 1;
		}
		return NULL;
	}
	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return NULL;
}

static void insert_at(struct buf *b, size_t off, const char *s)
{
	size_t n = strlen(s);

	buf_grow(b, n);
	memmove(b->data + off + n, b->data + off, b->len - off);
	memcpy(b->data + off, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

int addr_qualify_list(const char *value, const char *domain, char **out)
{
	struct strvec before = STRVEC_INIT, after = STRVEC_INIT;
	struct buf b = BUF_INIT;
	char *at = xasprintf("@%s", domain);
	const char *s = value;
	/* per mailbox: a word seen outside comments and <>, where it ended in
	 * b, an '@' outside <>, a <...> */
	size_t word_end = 0;
	int word = 0, has_at = 0, angle = 0, had_angle = 0, angle_at = 0, angle_empty = 1, n = 0;

	*out = NULL;
	/* only what the parser takes, so that the scan below meets balanced
	 * quotes, comments and brackets */
	if (addr_parse_list(value, &before, NULL))
		goto out;
	for (;; s++) {
		char c = *s;

		if (c == '"' || c == '(') {
			const char *end = skip_span(s);

			if (!end)
				goto out;
			buf_add(&b, s, (size_t)(end - s));
			if (c == '"' && angle)
				angle_empty = 0;
			else if (c == '"')
				word = 1, word_end = b.len;
			s = end - 1;
			continue;
		}
		if (angle) {
			if (c == '\0')
				goto out;
			if (c == '>') {
				if (!angle_at && !angle_empty)
					insert_at(&b, b.len, at), n++;
				angle = 0;
			} else if (c == '@') {
				angle_at = 1;
			} else if (!is_blank(c)) {
				angle_empty = 0;
			}
			buf_add(&b, s, 1);
			continue;
		}
		if (c == ',' || c == ';' || c == '\0') {
			if (word && !has_at && !had_angle)
				insert_at(&b, word_end, at), n++;
			word = has_at = had_angle = 0;
		} else if (c == ':') {
			word = has_at = had_angle = 0;	/* a group's name */
		} else if (c == '<') {
			angle = had_angle = 1;
			angle_at = 0;
			angle_empty = 1;
		} else if (c == '@') {
			has_at = 1;
		} else if (!is_blank(c)) {
			word = 1;
			word_end = b.len + 1;
		}
		if (c == '\0')
			break;
		buf_add(&b, s, 1);
	}
	/* The same mailboxes, each now with a domain. */
	if (!n || addr_parse_list(b.data, &after, NULL) || after.n != before.n)
		goto out;
	for (size_t i = 0; i < after.n; i++)
		if (!strchr(after.v[i], '@'))
			goto out;
	*out = buf_detach(&b);
out:
	free(at);
	buf_release(&b);
	strvec_release(&before);
	strvec_release(&after);
	return *out ? n : 0;
}

void addr_add_quoted(struct buf *b, const char *s, size_t n)
{
	buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			continue;
		if (s[i] == '"' || s[i] == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, s + i, 1);
	}
	buf_add(b, "\"", 1);
}

char *addr_display_name(const char *value)
{
	struct buf b = BUF_INIT;
	const char *s, *comment = NULL, *comment_end = NULL;

	for (s = value; *s && *s != '<'; s++) {
		const char *end;

		if (*s != '"' && *s != '(')
			continue;
		if (!(end = skip_span(s)))
			return NULL;
		if (*s == '(' && !comment)
			comment = s + 1, comment_end = end - 1;
		s = end - 1;
	}
	if (*s == '<') {
		const char *a = value, *z = s;

		while (a < z && is_blank(*a))
			a++;
		while (z > a && is_blank(z[-1]))
			z--;
		if (a == z)
			return NULL;
		buf_add(&b, a, (size_t)(z - a));
		return buf_detach(&b);
	}
	if (!comment)
		return NULL;
	while (comment < comment_end && is_blank(*comment))
		comment++;
	while (comment_end > comment && is_blank(comment_end[-1]))
		comment_end--;
	if (comment == comment_end)
		return NULL;
	/* the comment's own quoted-pairs undone, then quoted as a phrase */
	{
		struct buf raw = BUF_INIT;

		for (const char *p = comment; p < comment_end; p++) {
			if (*p == '\\' && p + 1 < comment_end)
				p++;
			buf_add(&raw, p, 1);
		}
		addr_add_quoted(&b, raw.data, raw.len);
		buf_release(&raw);
	}
	return buf_detach(&b);
}
