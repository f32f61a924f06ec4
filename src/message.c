/* message.c - the header section: parse pushed lines, answer questions, and
 * make postern's edits.  Raw lines are kept exactly as read so that fields
 * postern does not touch go out byte for byte. */
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
	m->h = NULL;
	m->n = m->cap = 0;
	m->bytes = 0;
	m->ended = 0;
}

static void header_release(struct header *h)
{
	free(h->name);
	buf_release(&h->raw);
	buf_release(&h->vbuf);
	buf_release(&h->tail);
	h->name = h->value = NULL;
}

void message_release(struct message *m)
{
	for (size_t i = 0; i < m->n; i++)
		header_release(&m->h[i]);
	free(m->h);
	message_init(m);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Append text to h's unfolded value: blanks at the very start are dropped,
 * blanks at the end are held in h->tail until something follows them. */
static void value_add(struct header *h, const char *text, size_t len)
{
	size_t k;

	if (h->vbuf.len == 0) {
		while (len && is_blank(*text))
			text++, len--;
	}
	for (k = len; k && is_blank(text[k - 1]); k--)
		;
	if (k) {
		buf_add(&h->vbuf, h->tail.data, h->tail.len);
		buf_reset(&h->tail);
		buf_add(&h->vbuf, text, k);
	}
	buf_add(&h->tail, text + k, len - k);
	h->value = h->vbuf.data;
}

static struct header *new_header(struct message *m, const char *name, size_t namelen)
{
	struct header *h;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->h = xrealloc(m->h, m->cap * sizeof(*m->h));
	}
	h = &m->h[m->n++];
	h->name = xstrndup(name, namelen);
	buf_init(&h->raw);
	buf_init(&h->vbuf);
	buf_init(&h->tail);
	h->value = h->vbuf.data;
	return h;
}

/* Length of the field name if line is "name:" or "name  :" (obsolete), with
 * *colon set to the colon's index; 0 if the line is not a field. */
static size_t field_name(const char *line, size_t len, size_t *colon)
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
	*colon = j;
	return i;
}

int message_push_line(struct message *m, const char *line, size_t len, struct error *e)
{
	struct header *h;
	size_t namelen, colon = 0;

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
		namelen = 0;
	} else {
		namelen = field_name(line, len, &colon);
		if (!namelen) {
			m->ended = 1;
			return MESSAGE_END_BODY;
		}
	}
	if (len + 1 > MESSAGE_HEADER_MAX - m->bytes)
		return error_set(e, ERR_DATA,
				 "the header section is larger than %d octets; "
				 "is the input really a mail message?", MESSAGE_HEADER_MAX);
	m->bytes += len + 1;
	if (namelen) {
		h = new_header(m, line, namelen);
		value_add(h, line + colon + 1, len - colon - 1);
	} else {
		h = &m->h[m->n - 1];
		value_add(h, line, len);
	}
	buf_add(&h->raw, line, len);
	buf_add(&h->raw, "\n", 1);
	return MESSAGE_MORE;
}

const char *message_get(const struct message *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcasecmp(m->h[i].name, name))
			return m->h[i].value;
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

static int is_recipient_field(const char *name, int resent)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const re[] = { "Resent-To", "Resent-Cc", "Resent-Bcc" };

	for (size_t i = 0; i < 3; i++)
		if (!strcasecmp(name, resent ? re[i] : plain[i]))
			return 1;
	return 0;
}

int message_recipients(const struct message *m, struct strvec *out, struct error *e)
{
	struct strvec got = STRVEC_INIT, one = STRVEC_INIT;
	struct iset seen = { NULL, 0, 0 };
	int resent = 0, ret = -1;
	size_t i, j;

	/* RFC 5322 3.6.6: resent fields describe the latest submission, and
	 * sendmail -t then reads only them. */
	for (i = 0; i < m->n && !resent; i++)
		resent = !strncasecmp(m->h[i].name, "Resent-", 7);
	for (i = 0; i < out->n; i++)
		iset_add(&seen, out->v[i]);
	for (i = 0; i < m->n; i++) {
		if (!is_recipient_field(m->h[i].name, resent))
			continue;
		if (addr_parse_list(m->h[i].value, &one, e) < 0) {
			error_prefix(e, "%s", m->h[i].name);
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
	strvec_release(&one);
	strvec_release(&got);
	return ret;
}

void message_remove(struct message *m, const char *name)
{
	size_t i, k = 0;

	for (i = 0; i < m->n; i++) {
		if (!strcasecmp(m->h[i].name, name))
			header_release(&m->h[i]);
		else
			m->h[k++] = m->h[i];
	}
	m->n = k;
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
	struct header *h = new_header(m, name, strlen(name));
	struct buf text = BUF_INIT;

	/* A line end in a value would start a new field: make it a blank. */
	buf_add(&text, " ", 1);
	for (const char *p = value; *p; p++)
		buf_add(&text, (*p == '\r' || *p == '\n') ? " " : p, 1);
	value_add(h, text.data, text.len);
	buf_reset(&text);
	if (h->vbuf.len) {
		buf_add(&text, " ", 1);
		buf_add(&text, h->vbuf.data, h->vbuf.len);
	}
	buf_adds(&h->raw, name);
	buf_add(&h->raw, ":", 1);
	fold(&h->raw, strlen(name) + 1, text.data, text.len);
	buf_release(&h->tail);
	buf_release(&text);
}

void message_write(const struct message *m, struct buf *out)
{
	for (size_t i = 0; i < m->n; i++)
		buf_add(out, m->h[i].raw.data, m->h[i].raw.len);
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
