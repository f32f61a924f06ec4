/* autoconfig.h - the outgoing server of a Thunderbird autoconfig document
 * (config-v1.1.xml, as served at https://autoconfig.DOMAIN/mail/... and
 * by Mozilla's ISPDB), read by a small strict XML reader of its own.
 *
 * The document is untrusted (whoever answers for the domain wrote it): it
 * is read within AUTOCONFIG_DOC_MAX octets and AUTOCONFIG_DEPTH_MAX
 * levels; elements, attributes, text, the five named entities and numeric
 * character references are understood; comments, processing instructions,
 * <!DOCTYPE> without an internal subset, and CDATA are tolerated.  Anything
 * else is an error, not a guess. */
#ifndef POSTERN_AUTOCONFIG_H
#define POSTERN_AUTOCONFIG_H

#include <stddef.h>

#include "config.h"
#include "error.h"

#define AUTOCONFIG_DOC_MAX (64 * 1024)
#define AUTOCONFIG_DEPTH_MAX 16

struct autoconfig {
	char host[254];		/* <hostname>, checked to be a plain host name */
	unsigned port;		/* <port>, 1-65535 */
	enum account_tls tls;	/* <socketType>: SSL/TLS -> implicit, STARTTLS */
	char user[256];		/* <username> with %EMAILADDRESS%, %EMAILLOCALPART%
				 * and %EMAILDOMAIN% substituted; "" when absent */
	char auth[64];		/* the first <authentication>, "" when absent */
};

/* Read doc[0..len) and fill out with the first <outgoingServer
 * type="smtp"> inside <emailProvider> whose hostname, port and socketType
 * are usable (socketType "plain" never is: postern does not send a
 * password in clear).  address (local@domain) fills the placeholders of
 * <username>.  Returns 0, or -1 with ERR_PROTOCOL saying what is wrong:
 * not well-formed, too large or too deep, no usable outgoing server. */
int autoconfig_parse(const char *doc, size_t len, const char *address, struct autoconfig *out,
		     struct error *e);

#endif
