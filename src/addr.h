/* addr.h - RFC 5322 addresses: pure functions over untrusted text. */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include "error.h"
#include "util.h"

/* Parse an unfolded address-list (the value of To, Cc, Bcc, Resent-To, ...)
 * and append each mailbox's bare addr-spec ("local@domain", or a bare local
 * name such as "root") to out.  Understands display names, quoted strings,
 * comments (nested), angle addresses, obsolete routes, and groups
 * ("list: a@b, c@d;" and "undisclosed-recipients:;" which adds nothing).
 * Quoted local parts keep their quotes ("\"a b\"@x").
 * Returns 0, or -1 with ERR_DATA and a message naming the offending text.
 * value is untrusted and may be anything. */
int addr_parse_list(const char *value, struct strvec *out, struct error *e);

/* Parse exactly one mailbox (a From value, or the argument of -f) and return
 * its bare addr-spec in *out (caller frees).  "<>" and "" give "" (the null
 * sender).  Returns 0, or -1 with ERR_DATA. */
int addr_parse_mailbox(const char *value, char **out, struct error *e);

/* Check an address before it goes into MAIL FROM or RCPT TO: no CR, LF, NUL
 * or other control character, no space outside quotes, no leading '-',
 * no '<' or '>', at most 254 octets.  what names the role in the message
 * ("recipient", "envelope sender").  Returns 0, or -1 with ERR_USAGE. */
int addr_check_envelope(const char *addr, const char *what, struct error *e);

/* Give every bare local name in an address list (the value of To, Cc,
 * From) the domain: "root (Cron Daemon)" becomes "root@example.org (Cron
 * Daemon)", "Ops <ops>" becomes "Ops <ops@example.org>"; everything else
 * (display names, comments, groups, spacing) stays as written.  Returns the
 * number of names qualified with the new value in *out (caller frees), or
 * 0 with *out NULL when nothing changed or the value does not parse (it is
 * then best left as the caller wrote it).  value is untrusted; domain is a
 * valid domain name. */
int addr_qualify_list(const char *value, const char *domain, char **out);

/* Append n octets of s to b as an RFC 5322 quoted-string: '"' and '\\'
 * escaped, control characters and DEL dropped (a display name from -F or
 * from a comment; s is untrusted). */
void addr_add_quoted(struct buf *b, const char *s, size_t n);

/* The display name of a single mailbox (a From value), ready to stand
 * before another "<address>": the phrase before '<' as written (quotes and
 * RFC 2047 encoded words kept), else the first comment's text as a quoted
 * string ("root (Cron Daemon)" gives "\"Cron Daemon\""), else NULL.
 * Caller frees.  value is untrusted. */
char *addr_display_name(const char *value);

#endif
