/* keyring.c - the Secret Service through libsecret, loaded with dlopen.
 *
 * The code compiles against libsecret's and GLib's headers (for the types,
 * and so that the compiler checks every call against the real prototype)
 * but does not link them: each function used is resolved with dlsym into
 * struct libsecret, and called through it.  Only plain data (SecretSchema,
 * enums, string macros) is used directly; a header macro that expands to a
 * function call (G_DBUS_ERROR, G_DBUS_PROXY, G_VARIANT_TYPE,
 * SECRET_SCHEMA_COMPAT_NETWORK...) is written out through the table
 * instead.  A call that slips past the table fails the link, since the
 * program no longer links GLib. */
#include "keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

#ifdef HAVE_LIBSECRET
#include <dlfcn.h>
/* The D-Bus path functions (secret-paths.h) let postern search without
 * building a proxy per item and without ever asking the service to unlock
 * (which would try to pop up a prompt from cron). */
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>
#endif

/* The message the issue asks for, also used by password set/forget. */
#define NO_BUS_MSG "no D-Bus session bus (cron, a web server...): the keyring is unavailable; " \
	"use password_command or a password in a 0600 config"
#define LOCKED_MSG "the keyring is locked: unlock it (log in to the desktop, or " \
	"`gnome-keyring-daemon --unlock`)"

/* Whether a session bus can be found without starting one: what GDBus would
 * try is $DBUS_SESSION_BUS_ADDRESS, then $XDG_RUNTIME_DIR/bus (falling back
 * to the cache directory, as g_get_user_runtime_dir does), then X11
 * autolaunch.  Checking the first two here spares cron and PHP loading
 * GLib, the D-Bus start-up and the "Cannot autolaunch D-Bus without X11
 * $DISPLAY". */
int keyring_bus_present(void)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	const char *cache = getenv("XDG_CACHE_HOME");
	char *path = NULL, *home = NULL;
	struct stat st;
	int found;

	if (addr && *addr)
		return 1;
	if (rt && *rt)
		path = xasprintf("%s/bus", rt);
	else if (cache && *cache == '/')
		path = xasprintf("%s/bus", cache);
	else if ((home = home_dir()) != NULL)
		path = xasprintf("%s/.cache/bus", home);
	found = path && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
	free(path);
	free(home);
	return found;
}

#ifdef HAVE_LIBSECRET

/* The soname, not libsecret-1.so: that link exists only with the -dev
 * package.  Overridable at build time for the unit test of a missing
 * library. */
#ifndef KEYRING_LIBRARY
#define KEYRING_LIBRARY "libsecret-1.so.0"
#endif
#define NO_LIBRARY_MSG "the keyring library (" KEYRING_LIBRARY ") is not installed: " \
	"apt-get install libsecret-1-0; or use password_command"

/* Every libsecret, GLib, GObject and GIO function used below.  dlsym on
 * libsecret's handle also finds the symbols of the libraries it depends
 * on, so GLib needs no handle of its own. */
#define LIBSECRET_FUNCTIONS(X) \
	X(secret_service_get_sync) \
	X(secret_service_disconnect) \
	X(secret_service_search_for_dbus_paths_sync) \
	X(secret_service_get_secret_for_dbus_path_sync) \
	X(secret_service_store_sync) \
	X(secret_service_clear_sync) \
	X(secret_value_new) \
	X(secret_value_get) \
	X(secret_value_unref) \
	X(secret_attributes_build) \
	X(secret_get_schema) \
	X(g_log_set_default_handler) \
	X(g_dbus_error_is_remote_error) \
	X(g_dbus_error_strip_remote_error) \
	X(g_dbus_error_quark) \
	X(g_io_error_quark) \
	X(g_spawn_error_quark) \
	X(g_error_matches) \
	X(g_error_free) \
	X(g_dbus_proxy_get_connection) \
	X(g_dbus_proxy_get_name) \
	X(g_dbus_connection_call_sync) \
	X(g_variant_new) \
	X(g_variant_get) \
	X(g_variant_is_of_type) \
	X(g_variant_get_boolean) \
	X(g_variant_unref) \
	X(g_object_unref) \
	X(g_hash_table_unref) \
	X(g_strfreev) \
	X(g_strv_length)

/* A pointer of exactly the prototype's type: a wrong argument is a compile
 * error, as with a direct call. */
#define LIBSECRET_POINTER(f) __typeof__(f) *f;
struct libsecret {
	LIBSECRET_FUNCTIONS(LIBSECRET_POINTER)
};

/* Load libsecret (and with it GLib) and resolve the table.  Returns it, or
 * NULL with a sentence in why.
 *
 * The table is the module's one piece of process state, because the
 * library is loaded once and never unloaded: GDBus leaves a worker thread
 * running inside GIO and GObject types cannot be unregistered, so a
 * dlclose would be unsafe.  A failure is not remembered: trying again
 * costs one failed dlopen, at most a few times per run. */
static const struct libsecret *libsecret_load(struct buf *why)
{
	static struct libsecret lib;
	static int loaded;
	const char *missing = NULL;
	void *h;

	if (loaded)
		return &lib;
	h = dlopen(KEYRING_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_info("cannot load %s: %s", KEYRING_LIBRARY, dlerror());
		buf_adds(why, "the keyring: " NO_LIBRARY_MSG);
		return NULL;
	}
	/* Casting dlsym's void * to a function pointer is what POSIX
	 * guarantees to work. */
#define LIBSECRET_RESOLVE(f) \
	if (!missing && !(lib.f = (__typeof__(lib.f))dlsym(h, #f))) \
		missing = #f;
	LIBSECRET_FUNCTIONS(LIBSECRET_RESOLVE)
#undef LIBSECRET_RESOLVE
	if (missing) {
		/* Left loaded: unloading GLib is not safe once its
		 * constructors have run. */
		buf_addf(why, "the keyring: %s has no function %s (too old?); "
			 "update libsecret-1-0 or use password_command", KEYRING_LIBRARY, missing);
		return NULL;
	}
	loaded = 1;
	return &lib;
}

/* msmtp's schema: with DONT_MATCH_NAME a search by these attributes finds
 * msmtp's entries, postern's own (SECRET_SCHEMA) and secret-tool's alike. */
static const SecretSchema any_schema = {
	"de.marlam.msmtp.password", SECRET_SCHEMA_DONT_MATCH_NAME,
	{
		{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* postern's own, for storing (and forgetting only what postern stored). */
static const SecretSchema own_schema = {
	SECRET_SCHEMA, SECRET_SCHEMA_NONE,
	{
		{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* postern's OAuth2 refresh tokens: their own attributes, so that no
 * password search (any_schema) ever finds one. */
static const SecretSchema oauth2_schema = {
	KEYRING_OAUTH2_SCHEMA, SECRET_SCHEMA_NONE,
	{
		{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* One conversation with the Secret Service. */
struct keyring {
	const struct libsecret *lib;	/* NULL until loaded */
	SecretService *svc;		/* NULL when not connected */
	GLogFunc old_log;
};

/* GLib and libsecret would print their own warnings on stderr; postern says
 * what went wrong itself, and shows theirs only with -v. */
static void quiet_glib(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)data;
	if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return;
	log_info("%s: %s", domain ? domain : "glib", msg);
}

/* A GError from connecting or talking to the Secret Service, as a plain
 * sentence in why. */
static void keyring_error(const struct libsecret *L, GError *err, struct buf *why)
{
	GQuark dbus = L->g_dbus_error_quark();

	if (L->g_dbus_error_is_remote_error(err))
		L->g_dbus_error_strip_remote_error(err);
	if (L->g_error_matches(err, dbus, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    L->g_error_matches(err, dbus, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
		buf_addf(why, "the keyring: no Secret Service (org.freedesktop.secrets) on the session bus "
			 "(%s); start gnome-keyring-daemon or KeePassXC's Secret Service, or use "
			 "password_command", err->message);
	else if (err->domain == L->g_io_error_quark() ||
		 L->g_error_matches(err, dbus, G_DBUS_ERROR_FILE_NOT_FOUND) ||
		 L->g_error_matches(err, dbus, G_DBUS_ERROR_NO_SERVER) ||
		 L->g_error_matches(err, L->g_spawn_error_quark(), G_SPAWN_ERROR_NOENT))
		buf_addf(why, "the keyring: cannot reach the D-Bus session bus (%s); " NO_BUS_MSG,
			 err->message);
	else
		buf_addf(why, "the keyring: %s", err->message);
}

/* Check for a bus (before loading anything), load the library, quieten
 * GLib and connect.  Returns 0, or -1 with why; keyring_close() is needed
 * either way. */
static int keyring_open(struct keyring *k, struct buf *why)
{
	GError *err = NULL;

	memset(k, 0, sizeof(*k));
	if (!keyring_bus_present()) {
		buf_adds(why, "the keyring: " NO_BUS_MSG);
		return -1;
	}
	k->lib = libsecret_load(why);
	if (!k->lib)
		return -1;
	k->old_log = k->lib->g_log_set_default_handler(quiet_glib, NULL);
	k->svc = k->lib->secret_service_get_sync(SECRET_SERVICE_NONE, NULL, &err);
	if (!k->svc) {
		keyring_error(k->lib, err, why);
		k->lib->g_error_free(err);
		return -1;
	}
	return 0;
}

static void keyring_close(struct keyring *k)
{
	if (!k->lib)
		return;
	if (k->svc)
		k->lib->g_object_unref(k->svc);
	k->lib->secret_service_disconnect();
	k->lib->g_log_set_default_handler(k->old_log, NULL);
	memset(k, 0, sizeof(*k));
}

/* Whether the default collection is locked: one round trip, only asked on
 * the way to an error (some services hide the items of a locked one). */
static int default_collection_locked(const struct keyring *k)
{
	const struct libsecret *L = k->lib;
	/* G_DBUS_PROXY() would call g_type_check_instance_cast; a
	 * SecretService is a GDBusProxy. */
	GDBusProxy *proxy = (GDBusProxy *)k->svc;
	GVariant *r, *v = NULL;
	int locked = 0;

	/* G_VARIANT_TYPE() would call g_variant_type_checked_; the string is a
	 * constant known to be valid. */
	r = L->g_dbus_connection_call_sync(L->g_dbus_proxy_get_connection(proxy),
					   L->g_dbus_proxy_get_name(proxy),
					   "/org/freedesktop/secrets/aliases/default",
					   "org.freedesktop.DBus.Properties", "Get",
					   L->g_variant_new("(ss)", "org.freedesktop.Secret.Collection",
							    "Locked"),
					   (const GVariantType *)"(v)", G_DBUS_CALL_FLAGS_NONE, 5000,
					   NULL, NULL);
	if (!r)
		return 0;
	L->g_variant_get(r, "(v)", &v);
	if (v && L->g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		locked = L->g_variant_get_boolean(v);
	if (v)
		L->g_variant_unref(v);
	L->g_variant_unref(r);
	return locked;
}

/* One search (one D-Bus call); on an unlocked hit, its secret (a session,
 * then one call).  Returns 1 found, 0 not found (*locked set when only
 * locked items matched), -1 on a D-Bus error (why). */
static int keyring_search(const struct keyring *k, const SecretSchema *schema, GHashTable *attrs,
			  struct secret *s, int *locked, struct buf *why)
{
	const struct libsecret *L = k->lib;
	gchar **unlocked = NULL, **lck = NULL;
	SecretValue *val = NULL;
	GError *err = NULL;
	const gchar *p;
	gsize n = 0;
	int rc = -1;

	if (!L->secret_service_search_for_dbus_paths_sync(k->svc, schema, attrs, NULL, &unlocked, &lck,
							  &err))
		goto fail;
	if (unlocked && unlocked[0]) {
		val = L->secret_service_get_secret_for_dbus_path_sync(k->svc, unlocked[0], NULL, &err);
		if (!val && err)
			goto fail;
		p = val ? L->secret_value_get(val, &n) : NULL;
		if (!p || !n || memchr(p, '\0', n)) {
			buf_adds(why, "the keyring: the entry found holds an empty or binary password");
			rc = 0;
			goto out;
		}
		secret_set(s, p, n, SECRET_KEYRING);
		rc = 1;
		goto out;
	}
	if (lck && lck[0])
		*locked = 1;
	rc = 0;
	goto out;
fail:
	keyring_error(L, err, why);
	L->g_error_free(err);
out:
	if (val)
		L->secret_value_unref(val);	/* libsecret wipes its secure memory */
	L->g_strfreev(unlocked);
	L->g_strfreev(lck);
	return rc;
}

int keyring_lookup(const struct account *a, struct secret *s, struct buf *why)
{
	struct keyring k;
	const struct libsecret *L;
	const SecretSchema *network;
	GHashTable *attrs = NULL, *compat = NULL;
	int found = 0, locked = 0;

	if (keyring_open(&k, why))
		goto out;
	L = k.lib;
	attrs = L->secret_attributes_build(&any_schema, "host", a->host, "service", "smtp",
					   "user", a->user, NULL);
	found = keyring_search(&k, &any_schema, attrs, s, &locked, why);
	if (found == 1) {
		snprintf(s->desc, sizeof(s->desc), "the keyring (host=%s service=smtp user=%s)",
			 a->host, a->user);
		goto out;
	}
	if (found < 0 || why->len)
		goto out;
	if (!locked) {
		/* What SECRET_SCHEMA_COMPAT_NETWORK expands to in newer
		 * libsecret (older ones export it as a variable too). */
		network = L->secret_get_schema(SECRET_SCHEMA_TYPE_COMPAT_NETWORK);
		compat = L->secret_attributes_build(network, "user", a->user, "protocol", "smtp",
						    "server", a->host, NULL);
		found = keyring_search(&k, network, compat, s, &locked, why);
		if (found == 1) {
			snprintf(s->desc, sizeof(s->desc),
				 "the keyring (network password: server=%s protocol=smtp user=%s)",
				 a->host, a->user);
			goto out;
		}
		if (found < 0 || why->len)
			goto out;
	}
	if (locked)
		buf_adds(why, "the keyring: an entry matches, but " LOCKED_MSG);
	else if (default_collection_locked(&k))
		buf_adds(why, "the keyring: no entry found, and " LOCKED_MSG);
	else
		buf_addf(why, "the keyring: no entry for host=%s service=smtp user=%s", a->host, a->user);
out:
	if (attrs)
		k.lib->g_hash_table_unref(attrs);
	if (compat)
		k.lib->g_hash_table_unref(compat);
	keyring_close(&k);
	return found == 1;
}

/* The attributes of the account's own entry under schema (own_schema or
 * oauth2_schema). */
static GHashTable *own_attrs(const struct libsecret *L, const SecretSchema *schema,
			     const struct account *a)
{
	if (schema == &oauth2_schema)
		return L->secret_attributes_build(schema, "service", KEYRING_OAUTH2_SERVICE,
						  "account", a->name, "user", a->user ? a->user : "",
						  NULL);
	return L->secret_attributes_build(schema, "host", a->host, "service", "smtp",
					  "user", a->user, NULL);
}

/* Store value under schema for the account; what names it in messages
 * ("the password", "the refresh token"). */
static int store_own(const struct account *a, const SecretSchema *schema, const char *value,
		     const char *label, const char *what, struct error *e)
{
	struct keyring k;
	const struct libsecret *L;
	struct buf why = BUF_INIT;
	GHashTable *attrs = NULL;
	SecretValue *val = NULL;
	GError *err = NULL;
	int rc = -1;

	if (keyring_open(&k, &why)) {
		error_set(e, ERR_CONFIG, "%s", why.data);
		goto out;
	}
	L = k.lib;
	attrs = own_attrs(L, schema, a);
	val = L->secret_value_new(value, -1, "text/plain");
	if (!L->secret_service_store_sync(k.svc, schema, attrs, SECRET_COLLECTION_DEFAULT, label,
					  val, NULL, &err)) {
		if (default_collection_locked(&k)) {
			error_set(e, ERR_CONFIG, "cannot store %s: " LOCKED_MSG, what);
		} else {
			buf_reset(&why);
			keyring_error(L, err, &why);
			error_set(e, ERR_CONFIG, "cannot store %s: %s", what, why.data);
		}
		L->g_error_free(err);
		goto out;
	}
	rc = 0;
out:
	if (val)
		k.lib->secret_value_unref(val);
	if (attrs)
		k.lib->g_hash_table_unref(attrs);
	buf_release(&why);
	keyring_close(&k);
	return rc;
}

int keyring_store(const struct account *a, const char *password, struct error *e)
{
	char *label = xasprintf("postern: %s at %s", a->user, a->host);
	int rc = store_own(a, &own_schema, password, label, "the password", e);

	free(label);
	return rc;
}

int keyring_oauth2_store(const struct account *a, const char *token, struct error *e)
{
	char *label = xasprintf("postern: OAuth2 refresh token of account %s", a->name);
	int rc = store_own(a, &oauth2_schema, token, label, "the refresh token", e);

	free(label);
	return rc;
}

/* Remove the account's own entry under schema: 1 removed, 0 none, -1. */
static int forget_own(const struct account *a, const SecretSchema *schema, const char *what,
		      struct error *e)
{
	struct keyring k;
	const struct libsecret *L = NULL;
	struct buf why = BUF_INIT;
	GHashTable *attrs = NULL;
	GError *err = NULL;
	gchar **unlocked = NULL, **lck = NULL;
	int rc = -1;

	if (keyring_open(&k, &why)) {
		error_set(e, ERR_CONFIG, "%s", why.data);
		goto out;
	}
	L = k.lib;
	attrs = own_attrs(L, schema, a);
	/* Search first: clearing a locked item would ask the service for a
	 * prompt; say "locked" instead. */
	if (!L->secret_service_search_for_dbus_paths_sync(k.svc, schema, attrs, NULL, &unlocked,
							  &lck, &err))
		goto dbus_fail;
	if (lck && lck[0] && !(unlocked && unlocked[0])) {
		error_set(e, ERR_CONFIG, "cannot remove %s: " LOCKED_MSG, what);
		goto out;
	}
	if (!(unlocked && unlocked[0])) {
		rc = 0;
		goto out;
	}
	if (!L->secret_service_clear_sync(k.svc, schema, attrs, NULL, &err) && err)
		goto dbus_fail;
	rc = 1;
	goto out;
dbus_fail:
	keyring_error(L, err, &why);
	error_set(e, ERR_CONFIG, "%s", why.data);
	L->g_error_free(err);
out:
	if (L) {
		L->g_strfreev(unlocked);
		L->g_strfreev(lck);
		if (attrs)
			L->g_hash_table_unref(attrs);
	}
	buf_release(&why);
	keyring_close(&k);
	return rc;
}

int keyring_forget(const struct account *a, struct error *e)
{
	return forget_own(a, &own_schema, "the password", e);
}

int keyring_oauth2_forget(const struct account *a, struct error *e)
{
	return forget_own(a, &oauth2_schema, "the refresh token", e);
}

int keyring_oauth2_lookup(const struct account *a, struct secret *s, struct buf *why)
{
	struct keyring k;
	GHashTable *attrs = NULL;
	int found = 0, locked = 0;

	if (keyring_open(&k, why))
		goto out;
	attrs = own_attrs(k.lib, &oauth2_schema, a);
	found = keyring_search(&k, &oauth2_schema, attrs, s, &locked, why);
	if (found == 1) {
		snprintf(s->desc, sizeof(s->desc), "the keyring (service=%s account=%s)",
			 KEYRING_OAUTH2_SERVICE, a->name);
		goto out;
	}
	if (found < 0 || why->len)
		goto out;
	if (locked)
		buf_adds(why, "the keyring: the refresh token is there, but " LOCKED_MSG);
	else
		buf_addf(why, "the keyring: no entry for service=%s account=%s",
			 KEYRING_OAUTH2_SERVICE, a->name);
out:
	if (attrs)
		k.lib->g_hash_table_unref(attrs);
	keyring_close(&k);
	return found == 1;
}

int keyring_count_others(const struct account *a)
{
	struct keyring k;
	const struct libsecret *L;
	struct buf why = BUF_INIT;
	GHashTable *attrs = NULL;
	gchar **unlocked = NULL, **lck = NULL;
	int n = 0;

	if (keyring_open(&k, &why))
		goto out;
	L = k.lib;
	attrs = L->secret_attributes_build(&any_schema, "host", a->host, "service", "smtp",
					   "user", a->user, NULL);
	if (L->secret_service_search_for_dbus_paths_sync(k.svc, &any_schema, attrs, NULL, &unlocked,
							 &lck, NULL)) {
		n += unlocked ? (int)L->g_strv_length(unlocked) : 0;
		n += lck ? (int)L->g_strv_length(lck) : 0;
	}
	L->g_strfreev(unlocked);
	L->g_strfreev(lck);
	L->g_hash_table_unref(attrs);
out:
	buf_release(&why);
	keyring_close(&k);
	return n;
}

#else /* !HAVE_LIBSECRET */

#define NO_KEYRING_MSG "postern was built without keyring support (configure --without-libsecret)"

int keyring_lookup(const struct account *a, struct secret *s, struct buf *why)
{
	(void)a;
	(void)s;
	buf_adds(why, "the keyring: " NO_KEYRING_MSG);
	return 0;
}

int keyring_store(const struct account *a, const char *password, struct error *e)
{
	(void)a;
	(void)password;
	return error_set(e, ERR_CONFIG, "cannot store the password: " NO_KEYRING_MSG
			 "; use password_command or a password in a 0600 config");
}

int keyring_forget(const struct account *a, struct error *e)
{
	(void)a;
	return error_set(e, ERR_CONFIG, "cannot remove the password: " NO_KEYRING_MSG);
}

int keyring_count_others(const struct account *a)
{
	(void)a;
	return 0;
}

int keyring_oauth2_lookup(const struct account *a, struct secret *s, struct buf *why)
{
	(void)a;
	(void)s;
	buf_adds(why, "the keyring: " NO_KEYRING_MSG);
	return 0;
}

int keyring_oauth2_store(const struct account *a, const char *token, struct error *e)
{
	(void)a;
	(void)token;
	return error_set(e, ERR_CONFIG, "cannot store the refresh token: " NO_KEYRING_MSG);
}

int keyring_oauth2_forget(const struct account *a, struct error *e)
{
	(void)a;
	return error_set(e, ERR_CONFIG, "cannot remove the refresh token: " NO_KEYRING_MSG);
}
#endif
