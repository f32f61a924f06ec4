/* cmd_doctor.h - `postern doctor [-C FILE] [-v] [--ports LIST] [ACCOUNT]`:
 * why can't this account send?  Six steps, each printed with its time
 * (configuration and password source, DNS, TCP to the submission ports,
 * TLS and the certificate, EHLO, AUTH without mail), then one verdict in
 * plain words and the configuration line to change.
 *
 * The network steps live in cmd_doctor.c; the decision (which verdict from
 * which step results, and the exact line to print) is doctor_decide(), a
 * pure function with its own unit test. */
#ifndef POSTERN_CMD_DOCTOR_H
#define POSTERN_CMD_DOCTOR_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "util.h"

/* What a TCP probe of one port found (over every address of the host, the
 * most open answer wins). */
enum doctor_port_state {
	DOCTOR_PORT_ERROR = 0,		/* the probe itself failed (no socket) */
	DOCTOR_PORT_DROPPED,		/* no answer to the connect: dropped silently */
	DOCTOR_PORT_UNREACHABLE,	/* no route to the host */
	DOCTOR_PORT_REFUSED,		/* connection refused: nothing listens */
	DOCTOR_PORT_OTHER,		/* open, but no "220" greeting: closed or a refusal */
	DOCTOR_PORT_SILENT,		/* open, no greeting in time: expects TLS at once */
	DOCTOR_PORT_SMTP,		/* open with a "220" greeting: plain SMTP (STARTTLS) */
};

struct doctor_port {
	unsigned port;
	enum doctor_port_state state;
};

/* What the certificate check found wrong. */
enum doctor_cert {
	DOCTOR_CERT_OK = 0,
	DOCTOR_CERT_NAME,		/* not for the configured host */
	DOCTOR_CERT_UNKNOWN_CA,		/* signed by a CA the trust store lacks */
	DOCTOR_CERT_SELF_SIGNED,
	DOCTOR_CERT_EXPIRED,
	DOCTOR_CERT_NOT_YET_VALID,
	DOCTOR_CERT_OTHER,
};

enum doctor_verdict_kind {
	DOCTOR_WORKS = 0,
	DOCTOR_WRONG_PORT,		/* also the right port with the wrong tls = */
	DOCTOR_NETWORK,			/* network blocks submission ports */
	DOCTOR_AUTH,			/* authentication refused */
	DOCTOR_CERT,			/* certificate problem */
	DOCTOR_CONFIG,			/* configuration error */
};

/* The step results doctor_decide() works from.  Strings are borrowed; the
 * messages (config_msg, dns_msg, session_msg) may quote a server and are
 * escaped when they go into the verdict. */
struct doctor_facts {
	const char *path;		/* the configuration file (NULL if none found) */
	const char *account;		/* its section */
	const char *host;
	unsigned port;
	enum account_tls tls;
	int tls_set;			/* tls = is in the file */
	int port_line, tls_line;	/* their lines; 0 = not in the file */
	const char *config_msg;		/* step 1 failed (no file, bad file, no password) */
	const char *dns_msg;		/* the host does not resolve */
	const struct doctor_port *ports;	/* the configured port and the others tried */
	size_t nports;
	int session_ran;		/* steps 4-6 ran on the configured port */
	enum error_class session_cls;	/* ERR_NONE: the account can send */
	const char *session_msg;
	enum doctor_cert cert;		/* when session_cls is ERR_TLS */
	const char *cert_name;		/* a DNS name the certificate is for, or NULL */
	const char *fingerprint;	/* "sha256:..." of the certificate seen, or NULL */
	/* The setting a wrong-port verdict suggests, tried (step 7) */
	int suggested_ran;
	enum error_class suggested_cls;	/* ERR_NONE: it works */
	const char *suggested_msg;
};

struct doctor_verdict {
	enum doctor_verdict_kind kind;
	int exit_code;			/* a sysexits.h code; 0 only for DOCTOR_WORKS */
	struct buf why;			/* sentences, one per line, escaped */
	struct buf fix;			/* config lines to change, one per line, escaped */
	unsigned port;			/* wrong port: the port and mode that answer */
	enum account_tls tls;
};

void doctor_verdict_init(struct doctor_verdict *v);
void doctor_verdict_release(struct doctor_verdict *v);

/* Decide the verdict from the step results (v initialised, filled here).
 * A wrong-port verdict names the setting to try in v->port and v->tls; the
 * caller may try it and decide again with suggested_* filled, which adds
 * whether it works (the verdict stays wrong port: the line must change).
 * Exit codes: works 0, wrong port 78 (EX_CONFIG), network blocks 69
 * (EX_UNAVAILABLE), authentication refused 77 (EX_NOPERM), certificate
 * problem 69, configuration error 78, or the failing class's code when the
 * server broke off for another reason (error_exit_code()). */
void doctor_decide(const struct doctor_facts *f, struct doctor_verdict *v);

/* "works", "wrong port", "network blocks submission ports", ... */
const char *doctor_verdict_name(enum doctor_verdict_kind k);

/* The SRV records (RFC 2782) in a DNS answer msg (len octets; untrusted:
 * every offset is checked), one "PRIORITY WEIGHT PORT TARGET" string each
 * into out (TARGET "." when the service is declared absent; the name is
 * escaped).  Returns the number added, or -1 when msg is malformed. */
int doctor_parse_srv(const unsigned char *msg, size_t len, struct strvec *out);

/* argv[0] is "doctor".  Prints the steps and the verdict on stdout;
 * returns the verdict's exit code (usage errors: 64). */
int cmd_doctor(int argc, char **argv);

#endif
