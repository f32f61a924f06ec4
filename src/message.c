/* message.c - the header section: parse pushed lines, answer questions, and
 * make postern's edits.  Raw lines are kept exactly as read so that fields
 * postern does not touch go out byte for byte.
 *
 * Memory: the raw text of all fields lives in one arena (struct message's
 * raw) and a field is an offset and a length into it, so a short field
 * costs its octets plus a few words, not several small allocations.  The
 * unfolded value is worked out only for the few fields anyone asks about. */
#include "message.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "addr.h"

#define FOLD_AT 78	/* RFC 5322 2.1.1: SHOULD */
#define LINE_MAX_OCTETS 998	/* RFC 5322 2.1.1: MUST */

void message_init(struct message *m)
{
	buf_init(&m->raw);
	m->h = NULL;
	m->n = m->cap = 0;
	m->bytes = 0;
	m->ended = 0;
}

void message_release(struct message *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->h[i].value);
	free(m->h);
	buf_release(&m->raw);
	message_init(m);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *raw_of(const struct message *m, const struct header *h)
{
	return m->raw.data + h->off;
}

/* Length of h's name: its raw text up to the first blank or ':'. */
static size_t name_len(const struct message *m, const struct header *h)
{
	const char *raw = raw_of(m, h);
	size_t i = 0;

	while (i < h->len && raw[i] != ':' && !is_blank(raw[i]))
		i++;
	return i;
}

/* Whether h is named name (case-insensitive). */
static int name_is(const struct message *m, const struct header *h, const char *name)
{
	size_t n = strlen(name);

	return name_len(m, h) == n && !strncasecmp(raw_of(m, h), name, n);
}

/* Append h's unfolded value to out (RFC 5322 2.2.3: the line ends removed),
 * without the blanks at either end.  One pass: linear in the field's size
 * however many lines it has. */
static void unfold(const struct message *m, const struct header *h, struct buf *out)
{
	const char *raw = raw_of(m, h);
	const char *p = memchr(raw, ':', h->len), *end = raw + h->len, *q;

	/* push and add always write the colon; a field without one has no value. */
	if (!p)
		return;
	for (p++; p < end && (is_blank(*p) || *p == '\n'); p++)
		;
	while (end > p && (is_blank(end[-1]) || end[-1] == '\n'))
		end--;
	if (end > p)
		buf_grow(out, (size_t)(end - p));
	while (p < end) {
		q = memchr(p, '\n', (size_t)(end - p));
		if (!q)
			q = end;
		buf_add(out, p, (size_t)(q - p));
		p = q < end ? q + 1 : end;
	}
}

/* Start a field whose raw text begins at the end of the arena. */
static struct header *new_header(struct message *m)
{
	struct header *h;

	if (m->n == m->cap) {
		/* Doubling, but not past the cap for parsed input. */
		size_t cap = m->cap ? m->cap * 2 : 16;

		if (m->cap < MESSAGE_FIELDS_MAX && cap > MESSAGE_FIELDS_MAX)
			cap = MESSAGE_FIELDS_MAX;
		m->h = xrealloc(m->h, cap * sizeof(*m->h));
		m->cap = cap;
	}
	h = &m->h[m->n++];
	h->off = m->raw.len;
	h->len = 0;
	h->value = NULL;
	return h;
}

/* Length of the field name if line is "name:" or "name  :" (obsolete); 0 if
 * the line is not a field. */
static size_t field_name(const char *line, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 33 || c > 126 || c == ':')
			break;
	}
	for (j = i; j < len && is_blank(line[j]); j++)
		;
	if (i == 0 || j == len || line[j] != ':')
		return 0;
	return i;
}

int message_push_line(struct message *m, const char *line, size_t len, struct error *e)
{
	struct header *h;
	int is_new;

	if (m->ended)
		return MESSAGE_END_BODY;
	if (len == 0) {
		m->ended = 1;
		return MESSAGE_END_BLANK;
	}
	if (is_blank(line[0])) {
		if (m->n == 0) {
			m->ended = 1;
			return MESSAGE_END_BODY;
		}
		is_new = 0;
	} else {
		if (!field_name(line, len)) {
			m->ended = 1;
			return MESSAGE_END_BODY;
		}
		is_new = 1;
	}
	if (len + 1 > MESSAGE_HEADER_MAX - m->bytes)
		return error_set(e, ERR_DATA,
				 "the header section is larger than %d octets; "
				 "is the input really a mail message?", MESSAGE_HEADER_MAX);
	if (is_new && m->n >= MESSAGE_FIELDS_MAX)
		return error_set(e, ERR_DATA,
				 "the header section has more than %d fields; "
				 "is the input really a mail message?", MESSAGE_FIELDS_MAX);
	m->bytes += len + 1;
	if (is_new) {
		h = new_header(m);
	} else {
		/* The arena ends with the last field: its text just grows. */
		h = &m->h[m->n - 1];
		free(h->value);
		h->value = NULL;
	}
	buf_add(&m->raw, line, len);
	buf_add(&m->raw, "\n", 1);
	h->len += len + 1;
	return MESSAGE_MORE;
}

const char *message_get(struct message *m, const char *name)
{
	struct buf v = BUF_INIT;

	for (size_t i = 0; i < m->n; i++) {
		struct header *h = &m->h[i];

		if (!name_is(m, h, name))
			continue;
		if (!h->value) {
			unfold(m, h, &v);
			h->value = buf_detach(&v);
		}
		return h->value;
	}
	return NULL;
}

/* A set of strings compared case-insensitively, for de-duplicating
 * recipients: linear time however many addresses a header lists. */
struct iset {
	const char **slot;
	size_t cap, n;
};

static uint64_t ihash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

/* Add s (borrowed) unless already there; returns 1 if added. */
static int iset_add(struct iset *set, const char *s)
{
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		struct iset big = { NULL, set->cap ? set->cap * 2 : 64, 0 };

		big.slot = xcalloc(big.cap, sizeof(*big.slot));
		for (i = 0; i < set->cap; i++)
			if (set->slot[i])
				iset_add(&big, set->slot[i]);
		free(set->slot);
		*set = big;
	}
	for (i = ihash(s) & (set->cap - 1); set->slot[i]; i = (i + 1) & (set->cap - 1))
		if (!strcasecmp(set->slot[i], s))
			return 0;
	set->slot[i] = s;
	set->n++;
	return 1;
}

static int is_recipient_field(const struct message *m, const struct header *h, int resent)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const re[] = { "Resent-To", "Resent-Cc", "Resent-Bcc" };

	for (size_t i = 0; i < 3; i++)
		if (name_is(m, h, resent ? re[i] : plain[i]))
			return 1;
	return 0;
}

int message_recipients(const struct message *m, struct strvec *out, struct error *e)
{
	struct strvec got = STRVEC_INIT, one = STRVEC_INIT;
	struct iset seen = { NULL, 0, 0 };
	struct buf value = BUF_INIT;
	int resent = 0, ret = -1;
	size_t i, j;

	/* RFC 5322 3.6.6: resent fields describe the latest submission, and
	 * sendmail -t then reads only them.  A name holds no NUL, so
	 * comparing the raw text's first 7 octets compares the name's. */
	for (i = 0; i < m->n && !resent; i++)
		resent = !strncasecmp(raw_of(m, &m->h[i]), "Resent-", 7);
	for (i = 0; i < out->n; i++)
		iset_add(&seen, out->v[i]);
	for (i = 0; i < m->n; i++) {
		if (!is_recipient_field(m, &m->h[i], resent))
			continue;
		/* Unfolded into a scratch buffer, not cached: each is read once. */
		buf_reset(&value);
		unfold(m, &m->h[i], &value);
		if (addr_parse_list(value.data, &one, e) < 0) {
			error_prefix(e, "%.*s", (int)name_len(m, &m->h[i]), raw_of(m, &m->h[i]));
			goto out;
		}
		for (j = 0; j < one.n; j++) {
			if (iset_add(&seen, one.v[j])) {
				strvec_push_take(&got, one.v[j]);
				one.v[j] = NULL;
			}
		}
		strvec_release(&one);
	}
	/* Only now touch out, so that a malformed list adds nothing. */
	for (i = 0; i < got.n; i++) {
		strvec_push_take(out, got.v[i]);
		got.v[i] = NULL;
	}
	ret = 0;
out:
	free(seen.slot);
	buf_release(&value);
	strvec_release(&one);
	strvec_release(&got);
	return ret;
}

/* Remove every field with this name, closing the gaps in the arena so that
 * it still holds exactly the section: one pass, whatever is removed. */
void message_remove(struct message *m, const char *name)
{
	size_t i, k = 0, to = 0;

	for (i = 0; i < m->n; i++) {
		struct header *h = &m->h[i];

		if (name_is(m, h, name)) {
			free(h->value);
			continue;
		}
		if (h->off != to)
			memmove(m->raw.data + to, m->raw.data + h->off, h->len);
		h->off = to;
		to += h->len;
		m->h[k++] = *h;
	}
	m->n = k;
	if (m->raw.cap) {
		m->raw.len = to;
		m->raw.data[to] = '\0';
	}
}

/* Fold "name:" + text (text starting with its blank) into raw: break before a
 * blank when a line would pass FOLD_AT, and inside a word only when a line
 * would pass LINE_MAX_OCTETS. */
static void fold(struct buf *raw, size_t col, const char *t, size_t n)
{
	size_t i = 0, j, room;
	int line_used = 0;

	while (i < n) {
		for (j = i; j < n && is_blank(t[j]); j++)
			;
		for (; j < n && !is_blank(t[j]); j++)
			;
		if (line_used && col + (j - i) > FOLD_AT) {
			buf_add(raw, "\n", 1);
			col = 0;
		}
		while (col + (j - i) > LINE_MAX_OCTETS) {
			room = col < LINE_MAX_OCTETS ? LINE_MAX_OCTETS - col : 0;
			buf_add(raw, t + i, room);
			buf_add(raw, "\n ", 2);
			i += room;
			col = 1;
		}
		buf_add(raw, t + i, j - i);
		col += j - i;
		i = j;
		line_used = 1;
	}
	buf_add(raw, "\n", 1);
}

void message_add(struct message *m, const char *name, const char *value)
{
	struct header *h = new_header(m);
	struct buf text = BUF_INIT;
	size_t a, b;

	/* A line end in a value would start a new field: make it a blank.
	 * Then trim, and fold " value" after the colon. */
	buf_add(&text, " ", 1);
	for (const char *p = value; *p; p++)
		buf_add(&text, (*p == '\r' || *p == '\n') ? " " : p, 1);
	for (a = 1; a < text.len && is_blank(text.data[a]); a++)
		;
	for (b = text.len; b > a && is_blank(text.data[b - 1]); b--)
		;
	if (a > 1)
		memmove(text.data + 1, text.data + a, b - a);
	text.len = b > a ? b - a + 1 : 0;
	buf_adds(&m->raw, name);
	buf_add(&m->raw, ":", 1);
	fold(&m->raw, strlen(name) + 1, text.data, text.len);
	h->len = m->raw.len - h->off;
	buf_release(&text);
}

void message_replace(struct message *m, const char *name, const char *value)
{
	struct buf raw = BUF_INIT;
	size_t i, first = m->n;
	struct header nh;

	for (i = 0; i < m->n && first == m->n; i++)
		if (name_is(m, &m->h[i], name))
			first = i;
	message_add(m, name, value);
	if (first == m->n - 1)
		return;
	/* The new field is last in the arena: rebuild the arena in order,
	 * with it in the old one's place. */
	nh = m->h[--m->n];
	for (i = 0; i < m->n; i++) {
		struct header *h = &m->h[i];

		if (i == first) {
			free(h->value);
			*h = nh;
			buf_add(&raw, m->raw.data + nh.off, nh.len);
		} else {
			buf_add(&raw, m->raw.data + h->off, h->len);
		}
		h->off = raw.len - h->len;
	}
	buf_release(&m->raw);
	m->raw = raw;
}

void message_write(const struct message *m, struct buf *out)
{
	buf_add(out, m->raw.data, m->raw.len);
	buf_add(out, "\n", 1);
}

char *message_date_now(void)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm lt, gt;
	long off;
	int dday;

	tzset();
	localtime_r(&now, &lt);
	gmtime_r(&now, &gt);
	/* The zone offset without tm_gmtoff: local minus UTC broken-down time,
	 * the two being at most a day apart. */
	if (lt.tm_year != gt.tm_year)
		dday = lt.tm_year > gt.tm_year ? 1 : -1;
	else
		dday = lt.tm_yday - gt.tm_yday;
	off = dday * 86400L + (lt.tm_hour - gt.tm_hour) * 3600L + (lt.tm_min - gt.tm_min) * 60L;
	return xasprintf("%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
			 days[lt.tm_wday % 7], lt.tm_mday, months[lt.tm_mon % 12],
			 lt.tm_year + 1900, lt.tm_hour, lt.tm_min, lt.tm_sec,
			 off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
}

char *message_id_new(const char *domain)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char rnd[15];
	char id[25];
	size_t o = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		/* No randomness means OpenSSL cannot work at all; a guessable
		 * Message-ID would be the least of the problems. */
		fputs("postern: OpenSSL's random generator failed\n", stderr);
		abort();
	}
	/* 15 octets = 120 bits = 24 base32 characters. */
	for (size_t i = 0; i < sizeof(rnd); i += 5) {
		uint64_t v = 0;

		for (size_t k = 0; k < 5; k++)
			v = v << 8 | rnd[i + k];
		for (int k = 7; k >= 0; k--)
			id[o++] = b32[(v >> (5 * k)) & 31];
	}
	id[o] = '\0';
	return xasprintf("<%s.%lld@%s>", id, (long long)time(NULL),
			 domain && *domain ? domain : "localhost");
}
