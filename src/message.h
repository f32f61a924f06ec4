/* message.h - the header section of a message: a line-fed parser (push a
 * line, then ask questions), and the edits postern makes before sending
 * (Bcc removed, Date/Message-ID/From added).  The body never passes here. */
#ifndef POSTERN_MESSAGE_H
#define POSTERN_MESSAGE_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/* The header section may hold at most this many octets; more is ERR_DATA. */
#define MESSAGE_HEADER_MAX (1024 * 1024)

/* ... and at most this many fields (a real message has fewer than 200);
 * more is ERR_DATA too.  Without it, 1 MiB of "a:b" lines would be 262144
 * fields, and even a small per-field cost would add up. */
#define MESSAGE_FIELDS_MAX 10000

/* One field: where its raw text lies in the message's arena.  The name is
 * the raw text's prefix up to the first blank or ':'. */
struct header {
	size_t off;	/* offset of the field's first octet in message.raw */
	size_t len;	/* its raw length: all its lines, each ending "\n" */
	/* Private to message.c: the unfolded value, computed the first time
	 * message_get() asks for it; NULL until then. */
	char *value;
};

/* The header section.  Memory is the raw octets once (in one buffer) plus a
 * small fixed cost per field; unfolded values exist only for the fields
 * asked about. */
struct message {
	/* The arena: every field's raw text, in order and nothing else, i.e.
	 * the section exactly as message_write() writes it (without the blank
	 * line).  Read-only outside message.c. */
	struct buf raw;
	struct header *h;
	size_t n, cap;
	size_t bytes;	/* raw header octets pushed so far */
	int ended;	/* the header section is complete */
};

void message_init(struct message *m);
void message_release(struct message *m);

enum message_push {
	MESSAGE_MORE = 0,	/* line taken; more header lines wanted */
	MESSAGE_END_BLANK = 1,	/* an empty line ended the header section (it is consumed) */
	MESSAGE_END_BODY = 2,	/* this line is not a header: the section ended before it
				 * and the line is the body's first line (caller keeps it) */
};

/* Push one line of the header section, without its line end.  A line that
 * starts with a blank continues the previous field (as the very first line
 * it is the body's).  A field name is printable ASCII but ':', optionally
 * followed by blanks (obsolete syntax), then ':'; any other line ends the
 * section (MESSAGE_END_BODY).  Returns an enum message_push value, or -1
 * with ERR_DATA when the header section would exceed MESSAGE_HEADER_MAX
 * octets or MESSAGE_FIELDS_MAX fields (the line is then not taken; m keeps
 * what it had).  After the section has ended, every line gives
 * MESSAGE_END_BODY.  line is untrusted (any bytes, len may be 0). */
int message_push_line(struct message *m, const char *line, size_t len, struct error *e);

/* The unfolded value of the first field with this name (case-insensitive),
 * or NULL: line ends removed, leading and trailing blanks trimmed, inner
 * blanks kept (a NUL octet in the field ends the string early).  Computed
 * on first use and cached in the field, which is why m is not const
 * although its content does not change.  Borrowed: valid until m is next
 * changed (a line pushed, a field added or removed) or released. */
const char *message_get(struct message *m, const char *name);

/* The recipients of -t, appended to out: if any Resent-* field exists, the
 * addresses of Resent-To, Resent-Cc and Resent-Bcc; otherwise those of To, Cc
 * and Bcc.  Returns 0, or -1 with ERR_DATA if an address list is malformed. */
int message_recipients(const struct message *m, struct strvec *out, struct error *e);

/* Remove every field with this name (case-insensitive). */
void message_remove(struct message *m, const char *name);

/* Add a field "name: value" at the end of the section (value may be long:
 * it is folded at blanks so that no line exceeds 78 octets where possible;
 * CR and LF in it become blanks).  name must be a valid field name.  Not
 * limited by MESSAGE_FIELDS_MAX: that cap is for untrusted input. */
void message_add(struct message *m, const char *name, const char *value);

/* Replace the first field with this name (case-insensitive) by the field
 * "name: value", made as message_add() makes it, in its place; added at
 * the end when there is none.  Later fields of that name stay: a second To
 * is not lost. */
void message_replace(struct message *m, const char *name, const char *value);

/* Append the section as it will be sent: every field's raw lines, then one
 * empty line ("\n").  LF line ends; the wire conversion is dotstuff's job. */
void message_write(const struct message *m, struct buf *out);

/* A fresh Date value for now (RFC 5322 date-time, local zone), caller frees. */
char *message_date_now(void);

/* A fresh Message-ID value "<random@domain>" (random from OpenSSL's CSPRNG),
 * caller frees. */
char *message_id_new(const char *domain);

#endif
