/* sasl_oauth.c - XOAUTH2 (Google's, Microsoft's) and OAUTHBEARER (RFC 7628):
 * the access token is the "password"; an error comes as a 334 with JSON,
 * answered so that the server can send its failure reply. */
#include "sasl_mech.h"

#include <stdio.h>
#include <string.h>

static int has_ctl(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A.
 * OAUTHBEARER (RFC 7628 3.1): gs2 header "n,a=" saslname "," then
 * ^A "auth=Bearer " token ^A ^A (host and port are optional). */
int oauth_initial(const struct sasl *s, struct buf *out, struct error *e)
{
	if (!*s->pass)
		return error_set(e, ERR_CONFIG, "the OAuth access token (the password) is empty; "
				 "check password_command");
	if (has_ctl(s->pass) || strchr(s->pass, ' '))
		return error_set(e, ERR_CONFIG, "the OAuth access token (the password) holds a "
				 "space or control character; check password_command");
	if (has_ctl(s->user))
		return error_set(e, ERR_CONFIG, "the user name holds a control character");
	/* one allocation: growing after the token is in would leave a copy */
	buf_grow(out, 3 * strlen(s->user) + strlen(s->pass) + 32);
	if (s->mech == SASL_XOAUTH2) {
		buf_adds(out, "user=");
		buf_adds(out, s->user);
	} else {
		buf_adds(out, "n,a=");
		sasl_saslname(s->user, out);
		buf_adds(out, ",");
	}
	buf_adds(out, "\001auth=Bearer ");
	buf_adds(out, s->pass);
	buf_adds(out, "\001\001");
	return 0;
}

/* RFC 7628 3.2.2: the error is JSON with a "status" member.  Keep its value
 * (untrusted: only harmless characters, bounded) for the error message. */
void oauth_error(struct sasl *s, const unsigned char *chal, size_t len)
{
	static const char key[] = "\"status\"";
	const char *p = (const char *)chal, *end = p + len;
	size_t n = 0;
	char val[40];

	snprintf(s->oauth_status, sizeof(s->oauth_status), "an error without a status");
	for (; end - p >= (long)sizeof(key) - 1; p++)
		if (!memcmp(p, key, sizeof(key) - 1))
			break;
	if (end - p < (long)sizeof(key) - 1)
		return;
	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ':'))
		p++;
	if (p < end && *p == '"')
		p++;
	while (p < end && n + 1 < sizeof(val) &&
	       ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		(*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
		val[n++] = *p++;
	val[n] = '\0';
	if (n)
		snprintf(s->oauth_status, sizeof(s->oauth_status), "status %s", val);
}
