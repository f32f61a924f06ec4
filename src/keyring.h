/* keyring.h - the password in the desktop keyring (the Secret Service over
 * D-Bus, through libsecret).
 *
 * libsecret and GLib are loaded at run time (dlopen) the first time the
 * keyring is consulted, never at start-up: a postern that never asks the
 * keyring (cron, PHP, a password in the config) does not pay for loading
 * GLib, GIO and gcrypt.  When the library is missing the keyring says so
 * and the other sources still work.
 *
 * Entries: attributes host, service = "smtp", user under msmtp's schema
 * "de.marlam.msmtp.password" (so msmtp's stored passwords are found
 * unchanged) and postern's own (SECRET_SCHEMA); then the network-compat
 * schema (server, protocol = "smtp", user).  Nothing here ever asks the
 * service to unlock: that would try to pop up a prompt from cron. */
#ifndef POSTERN_KEYRING_H
#define POSTERN_KEYRING_H

#include "config.h"
#include "error.h"
#include "secret.h"
#include "util.h"

/* postern's own libsecret schema name (with the same attributes). */
#define SECRET_SCHEMA "org.postern.password"

/* Look up the account's password (a->host and a->user must be set).
 * Returns 1 with it in s (source SECRET_KEYRING, desc naming the
 * attributes), or 0 with one sentence in why saying what went wrong: no
 * session bus, no Secret Service, the library not installed, built without
 * keyring support, locked, no entry.  s must be empty. */
int keyring_lookup(const struct account *a, struct secret *s, struct buf *why);

/* Store password under postern's own schema (attributes host/service/user)
 * in the default collection, for `postern password set`.  Returns 0, or -1
 * with e (ERR_CONFIG) saying why: no session bus, locked, no library... */
int keyring_store(const struct account *a, const char *password, struct error *e);

/* Remove what postern stored for the account (its own schema only), for
 * `postern password forget`.  Returns 1 if something was removed, 0 if
 * nothing was stored, -1 with e (ERR_CONFIG) on error, "locked" included. */
int keyring_forget(const struct account *a, struct error *e);

/* How many keyring entries match the account's host, service = smtp and
 * user under any schema (postern's, msmtp's, secret-tool's); 0 when the
 * keyring cannot be reached.  For `password forget`, to say that another
 * program's entry still answers. */
int keyring_count_others(const struct account *a);

/* OAuth2 refresh tokens (oauth2.h), under their own schema and attributes
 * service = "postern-oauth2", account = the section name, user = the
 * account's user ("" when none): never found by a password lookup. */
#define KEYRING_OAUTH2_SCHEMA "org.postern.oauth2"
#define KEYRING_OAUTH2_SERVICE "postern-oauth2"

/* The account's refresh token: 1 with it in s (source SECRET_KEYRING, desc
 * naming the attributes), or 0 with a sentence in why (as
 * keyring_lookup).  s must be empty. */
int keyring_oauth2_lookup(const struct account *a, struct secret *s, struct buf *why);

/* Store (replace) the account's refresh token.  Returns 0, or -1 with e
 * (ERR_CONFIG) saying why. */
int keyring_oauth2_store(const struct account *a, const char *token, struct error *e);

/* Remove it: 1 removed, 0 nothing stored, -1 with e (ERR_CONFIG). */
int keyring_oauth2_forget(const struct account *a, struct error *e);

/* Whether a D-Bus session bus can be found without starting anything:
 * $DBUS_SESSION_BUS_ADDRESS is set, or $XDG_RUNTIME_DIR/bus is a socket.
 * Checked before libsecret is loaded, so that cron and PHP pay nothing. */
int keyring_bus_present(void);

#endif
