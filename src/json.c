/* json.c - see json.h.  jansson's functions are resolved with dlsym (as
 * http.c does libcurl); its inline helpers that call into the library
 * (json_decref) are replaced by calls through the table. */
#include <dlfcn.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "util.h"

#ifndef JSON_LIBRARY
#define JSON_LIBRARY "libjansson.so.4"
#endif

#define JANSSON_FUNCTIONS(X) \
	X(json_loadb) \
	X(json_delete) \
	X(json_object_get) \
	X(json_string_value) \
	X(json_string_length) \
	X(json_integer_value)

#define JANSSON_POINTER(f) __typeof__(f) *f;
struct libjansson {
	JANSSON_FUNCTIONS(JANSSON_POINTER)
};

struct json {
	const struct libjansson *lib;
	json_t *root;
};

/* Loaded once and never unloaded, like libcurl (http.c). */
static const struct libjansson *jansson_load(struct error *e)
{
	static struct libjansson lib;
	static int loaded;
	const char *missing = NULL;
	void *h;

	if (loaded)
		return &lib;
	h = dlopen(JSON_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_info("cannot load %s: %s", JSON_LIBRARY, dlerror());
		error_set(e, ERR_CONFIG, "OAuth2 needs jansson (%s), which is not installed: "
			  "apt-get install libjansson4", JSON_LIBRARY);
		return NULL;
	}
#define JANSSON_RESOLVE(f) \
	if (!missing && !(lib.f = (__typeof__(lib.f))dlsym(h, #f))) \
		missing = #f;
	JANSSON_FUNCTIONS(JANSSON_RESOLVE)
#undef JANSSON_RESOLVE
	if (missing) {
		error_set(e, ERR_CONFIG, "%s has no function %s (too old?); update libjansson4",
			  JSON_LIBRARY, missing);
		return NULL;
	}
	loaded = 1;
	return &lib;
}

/* json_decref without the inline that would link jansson: postern holds
 * the only reference to what it parsed. */
static void drop(const struct libjansson *lib, json_t *j)
{
	if (j && j->refcount != (size_t)-1 && --j->refcount == 0)
		lib->json_delete(j);
}

struct json *json_parse(const char *p, size_t n, struct error *e)
{
	const struct libjansson *lib = jansson_load(e);
	json_error_t err;
	struct json *j;
	json_t *root;

	if (!lib)
		return NULL;
	root = lib->json_loadb(p, n, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		char why[sizeof(err.text) + 8];

		str_escape(why, sizeof(why), err.text, strnlen(err.text, sizeof(err.text)));
		error_set(e, ERR_TEMP, "not a JSON object: %s at offset %lu", why,
			  (unsigned long)err.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		drop(lib, root);
		error_set(e, ERR_TEMP, "not a JSON object: the response is another JSON value");
		return NULL;
	}
	j = xmalloc(sizeof(*j));
	j->lib = lib;
	j->root = root;
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	drop(j->lib, j->root);
	free(j);
}

const char *json_string_member(const struct json *j, const char *key, size_t *len)
{
	json_t *v = j->lib->json_object_get(j->root, key);
	const char *s;
	size_t n;

	if (!v || !json_is_string(v))
		return NULL;
	s = j->lib->json_string_value(v);
	n = j->lib->json_string_length(v);
	if (!s || memchr(s, '\0', n))
		return NULL;
	if (len)
		*len = n;
	return s;
}

int json_integer_member(const struct json *j, const char *key, long long *out)
{
	json_t *v = j->lib->json_object_get(j->root, key);
	const long long max = 1LL << 53;

	if (!v)
		return -1;
	if (json_is_integer(v)) {
		json_int_t i = j->lib->json_integer_value(v);

		if (i < 0 || i > max)
			return -1;
		*out = i;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = j->lib->json_string_value(v);
		long long i = 0;

		if (!s || !*s || strlen(s) > 15 || strspn(s, "0123456789") != strlen(s))
			return -1;
		for (; *s; s++)
			i = i * 10 + (*s - '0');
		*out = i;
		return 0;
	}
	return -1;
}
