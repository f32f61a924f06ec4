/* msmtprc.h - msmtp's configuration file (msmtp(1), CONFIGURATION FILES),
 * read the way msmtp reads it, into accounts whose inheritance is already
 * resolved: each account holds every value it would have in msmtp, with
 * the line that set it.  For `postern import-msmtprc` (cmd_import.h), which
 * decides what each value becomes.
 *
 * The language: one "command argument" per line, blanks around; a line
 * whose first non-blank is '#' is a comment (there are no comments after a
 * value); an argument wholly in double quotes loses them (no escapes);
 * "defaults" sets values for the accounts defined after it; "account NAME
 * [: A[,B...]]" starts an account from the current defaults, then copies
 * every value that A, B... set themselves or inherited from accounts (not
 * from defaults), in that order; commands before any account or defaults
 * start an account named "default".  Lines are at most 499 octets (msmtp
 * reads them into 501: a longer one is an error there too). */
#ifndef POSTERN_MSMTPRC_H
#define POSTERN_MSMTPRC_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/* Every account command of msmtp 1.8.23 (Debian bookworm) and of later
 * versions; the obsolete spellings are folded into these (see msmtprc.c). */
enum msmtprc_key {
	MSMTPRC_HOST, MSMTPRC_PORT, MSMTPRC_SOURCE_IP, MSMTPRC_PROXY_HOST,
	MSMTPRC_PROXY_PORT, MSMTPRC_SOCKET, MSMTPRC_TIMEOUT, MSMTPRC_PROTOCOL,
	MSMTPRC_DOMAIN, MSMTPRC_AUTH, MSMTPRC_USER, MSMTPRC_PASSWORD,
	MSMTPRC_PASSWORDEVAL, MSMTPRC_NTLMDOMAIN, MSMTPRC_TLS, MSMTPRC_TLS_STARTTLS,
	MSMTPRC_TLS_TRUST_FILE, MSMTPRC_TLS_CRL_FILE, MSMTPRC_TLS_FINGERPRINT,
	MSMTPRC_TLS_KEY_FILE, MSMTPRC_TLS_CERT_FILE, MSMTPRC_TLS_CERTCHECK,
	MSMTPRC_TLS_PRIORITIES, MSMTPRC_TLS_HOST_OVERRIDE, MSMTPRC_TLS_MIN_DH_PRIME_BITS,
	MSMTPRC_TLS_FORCE_SSLV3, MSMTPRC_FROM, MSMTPRC_FROM_FULL_NAME,
	MSMTPRC_ALLOW_FROM_OVERRIDE, MSMTPRC_DSN_NOTIFY, MSMTPRC_DSN_RETURN,
	MSMTPRC_SET_FROM_HEADER, MSMTPRC_SET_DATE_HEADER, MSMTPRC_SET_MSGID_HEADER,
	MSMTPRC_REMOVE_BCC_HEADERS, MSMTPRC_UNDISCLOSED_RECIPIENTS, MSMTPRC_LOGFILE,
	MSMTPRC_LOGFILE_TIME_FORMAT, MSMTPRC_SYSLOG, MSMTPRC_ALIASES,
	MSMTPRC_AUTO_FROM, MSMTPRC_MAILDOMAIN,
	MSMTPRC_NKEYS
};

/* One value: the argument as msmtp keeps it after its own checks (on/off
 * arguments normalised: "" becomes "on"; obsolete commands rewritten, e.g.
 * tls_nocertcheck as tls_certcheck "off"), the line that set it, and the
 * command as written there (for messages).  v == NULL: never set. */
struct msmtprc_value {
	char *v;
	int line;
	const char *cmd;	/* static */
};

struct msmtprc_account {
	char *name;
	int line;		/* of its "account" command (or its first command) */
	struct msmtprc_value val[MSMTPRC_NKEYS];
	/* msmtp's mask: the values this account set itself or copied from
	 * the accounts it names (not those from defaults); these, and only
	 * these, pass on to an account that names this one. */
	unsigned char mask[MSMTPRC_NKEYS];
	int own_lines;		/* commands in its own definition */
	char *parent;		/* the only account named after ':', or NULL */
};

/* A line msmtp would act on that is no account value: "eval" (which runs a
 * command while the file is read) and commands this reader does not know
 * (a newer msmtp's, or a typo, which msmtp itself refuses). */
struct msmtprc_other {
	int line;
	char *cmd;
};

struct msmtprc {
	struct msmtprc_account *acc;
	size_t n;
	struct msmtprc_other *other;
	size_t nother;
};

/* At most this many accounts, and lines of msmtp's length. */
#define MSMTPRC_ACCOUNTS_MAX 1000
#define MSMTPRC_LINE_MAX 499
#define MSMTPRC_FILE_MAX (256 * 1024)

void msmtprc_init(struct msmtprc *m);
/* Frees everything; every value is wiped first (passwords among them). */
void msmtprc_release(struct msmtprc *m);

/* The command's name ("host", "tls_starttls", ...). */
const char *msmtprc_key_name(enum msmtprc_key k);

/* Read text (len octets, untrusted: a fuzz target) into m (initialised,
 * empty).  Returns 0, or -1 with ERR_CONFIG "LABEL:LINE: what is wrong"
 * for what msmtp itself refuses: a line over 499 octets, a NUL, an
 * account named twice or inheriting from one not yet defined, a bad
 * argument to a command that checks it (port, timeout, tls, auth, ...),
 * "defaults" with an argument, more than MSMTPRC_ACCOUNTS_MAX accounts or
 * a text over MSMTPRC_FILE_MAX. */
int msmtprc_parse(struct msmtprc *m, const char *label, const char *text, size_t len,
		  struct error *e);

#endif
