/* config.h - the INI configuration (inih): [defaults] and one section per
 * account, which inherits every key it does not set from [defaults].
 * Errors name "file:line" and what to change (class ERR_CONFIG).  A
 * validated struct account is read-only for the rest of the program. */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stddef.h>

#include "sasl.h"
#include "error.h"
#include "util.h"

/* How the connection is protected (tls = ...); session.c maps it onto the
 * engine's enum smtp_tls. */
enum account_tls {
	ACCOUNT_TLS_OFF = 0,		/* cleartext: only when the config says so */
	ACCOUNT_TLS_STARTTLS,		/* RFC 3207, required */
	ACCOUNT_TLS_IMPLICIT,		/* RFC 8314: TLS from the first byte */
};

/* What happens to a message (queue = ...; also -odq and -odb). */
enum account_queue {
	ACCOUNT_QUEUE_AUTO = 0,		/* send now; keep it queued on a temporary failure (exit 75) */
	ACCOUNT_QUEUE_ALWAYS,		/* queue, send from a detached process, return at once */
	ACCOUNT_QUEUE_NEVER,		/* no queue: a failure keeps it in dead.letter (exit 69) */
};

/* What happens to a From (and envelope sender) the account cannot send as
 * (rewrite_from = ...). */
enum account_rewrite {
	ACCOUNT_REWRITE_AUTO = 0,	/* a bare name, or one its from list does not match */
	ACCOUNT_REWRITE_ALWAYS,		/* every address but the account's own from */
	ACCOUNT_REWRITE_NEVER,		/* as the caller wrote it */
};

/* Which identity provider issues the OAuth2 tokens (oauth2 = ...,
 * oauth2.h); with one set, the SMTP password is the access token postern
 * gets itself and no password source is asked. */
enum account_oauth2 {
	ACCOUNT_OAUTH2_NONE = 0,
	ACCOUNT_OAUTH2_GOOGLE,
	ACCOUNT_OAUTH2_MICROSOFT,
	ACCOUNT_OAUTH2_CUSTOM,
};

/* Account keys, also allowed in [defaults]. */
struct account {
	char *name;		/* section name */
	int line;		/* line of the section header */
	char *host;
	unsigned port;		/* 0 = not set; stays 0 with port_auto */
	int port_auto;		/* port = auto: race 465, 587, 2525 (session.c) */
	char *proxy;		/* proxy = socks5[h]://host:port, checked by proxy_parse() */
	enum account_tls tls;
	int tls_set;
	enum auth_mode auth;
	int auth_set;
	int auth_without_tls;	/* -1 = not set */
	char *user;
	char *password;		/* secret: wiped on release */
	int password_line;
	char *password_command;	/* shell command printing the password */
	int password_command_line;
	char *from;		/* the first address of from = (not a wildcard), or NULL */
	struct strvec from_list;	/* every from = entry: addresses and wildcards (*@example.org) */
	char *tls_ca_file;
	unsigned timeout;	/* seconds; 0 = not set */
	char *ehlo_name;
	enum account_queue queue;
	int queue_set;
	unsigned queue_lifetime;	/* seconds a message may stay queued; 0 = not set */
	char *log;		/* log = "syslog", "none" or an absolute file
				 * name; NULL = not set: syslog unless stderr
				 * is a terminal (maillog.h) */
	/* TLS as msmtp users know it (tls.h struct tls_opts) */
	char *tls_fingerprint;	/* canonical "sha256:AB:...", from tls_pin_parse() */
	char *tls_cert_file;	/* PEM client certificate */
	char *tls_key_file;	/* its PEM key, permission-checked when loaded */
	unsigned tls_min_version;	/* 12 or 13; 0 = not set (12) */
	char *tls_ciphers;	/* checked with OpenSSL when read */
	int port_line, tls_line;	/* where port = / tls = are (maybe in
					 * [defaults]), for `postern doctor`'s
					 * fix lines; 0 = not in the file */
	/* Addresses of cron and web apps (aliases.h, submit.c). */
	char *aliases;		/* aliases = FILE; NULL: /etc/aliases; "none": no file */
	char *default_domain;	/* qualifies bare names; NULL: none */
	enum account_rewrite rewrite_from;
	int rewrite_from_set;
	int allow_from_override;	/* -f may set the envelope sender; -1 = not set */
	/* OAuth2 (oauth2.h): the user's own registered client. */
	enum account_oauth2 oauth2;
	char *oauth2_client_id;
	char *oauth2_client_secret;	/* secret: wiped on release */
	char *oauth2_client_secret_command;
	char *oauth2_tenant;		/* microsoft; NULL: "common" */
	char *oauth2_token_endpoint, *oauth2_authorize_endpoint, *oauth2_device_endpoint;
	char *oauth2_scope;
	char *oauth2_ca_file;		/* trust for the identity provider's HTTPS */
};

/* Which address may pick the account (account_by_from = ..., a key of
 * [defaults]). */
enum config_by_from {
	CONFIG_BY_FROM_YES = 0,		/* -f, else the message's From (the default) */
	CONFIG_BY_FROM_ENVELOPE,	/* -f only: the caller's choice, not the message's */
	CONFIG_BY_FROM_NO,		/* no address: -a, default_account, the only one */
};

struct config {
	char *path;		/* the file read */
	char *default_account;
	enum config_by_from by_from;
	char *queue_dir;	/* queue_dir = ..., NULL: the default (queue.h) */
	int background_retry;	/* background_retry = yes (default) | no */
	struct account defaults;
	struct account *acc;
	size_t n;
};

void config_init(struct config *c);
/* Frees everything; the passwords are wiped first. */
void config_release(struct config *c);

/* The file to read: explicit (from -C) if not NULL, else
 * $XDG_CONFIG_HOME/postern/config.ini (~/.config/... without XDG), else the
 * system file.  Returns a new string (caller frees), or NULL with ERR_CONFIG
 * when none exists. */
char *config_find(const char *explicit_path, struct error *e);

/* The user's own configuration file, whether it exists or not:
 * $XDG_CONFIG_HOME/postern/config.ini when XDG_CONFIG_HOME is absolute,
 * else ~/.config/postern/config.ini.  Caller frees; NULL when there is no
 * home. */
char *config_user_path(void);

/* Read and validate a file.  Refuses (ERR_CONFIG) a file holding a password
 * that is not the caller's own or that others may read, naming the chmod
 * that fixes it.  Unknown keys, bad values and duplicate keys are errors. */
int config_load(struct config *c, const char *path, struct error *e);

/* The same from text already in memory (label names it in messages); no
 * permission check.  text is untrusted (a fuzz target). */
int config_parse_string(struct config *c, const char *label, const char *text,
			struct error *e);

/* Pick the account for a message: by name (from -a) if name is not NULL;
 * else, as account_by_from allows, by an address: envelope_from (-f, or
 * MAIL FROM of -bs) when not NULL, else, with account_by_from = yes only,
 * header_from (the message's From): the first account whose from list
 * holds the address itself (case-insensitively), else the first one with a
 * wildcard that matches it; else default_account; else the only account.
 * Either address may be NULL.  header_from is untrusted: whoever writes
 * the message (a web form's user) chooses it, and with it whose
 * credentials send the message.  Returns NULL with ERR_CONFIG. */
const struct account *config_select(const struct config *c, const char *name,
				    const char *envelope_from, const char *header_from,
				    struct error *e);

/* The account name (NULL: the default one) of the file explicit (NULL: the
 * usual places, as config_find), loaded into c: what every command that
 * works on one account starts with.  *path gets the file's name (caller
 * frees; NULL when none was found).  Returns the account (owned by c), or
 * NULL with ERR_CONFIG. */
const struct account *config_open_account(struct config *c, const char *explicit_path,
					  const char *name, char **path, struct error *e);

/* Whether the account may send as addr: its from list holds addr
 * (case-insensitively), or a wildcard there matches it ('*' stands for any
 * run of characters, e.g. *@example.org).  0 for NULL, "" or an account
 * without from.  addr is untrusted. */
int account_may_send_as(const struct account *a, const char *addr);

/* "google", "microsoft", "custom", or "none". */
const char *config_oauth2_name(enum account_oauth2 o);

/* "starttls", "implicit", "off". */
const char *config_tls_name(enum account_tls t);

#endif
