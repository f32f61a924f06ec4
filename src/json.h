/* json.h - the few reads OAuth2 needs from a JSON response: string and
 * integer members of a top-level object, through jansson loaded with
 * dlopen the first time it is needed.
 *
 * Input is untrusted (an identity provider's answer, or whatever a captive
 * portal sends instead): duplicate keys are refused, depth and size are
 * bounded by jansson and by the caller's cap (http.h). */
#ifndef POSTERN_JSON_H
#define POSTERN_JSON_H

#include <stddef.h>

#include "error.h"

struct json;

/* Parse p[0..n) as one JSON object (nothing but white space after it).
 * Returns it (free with json_free), or NULL with ERR_TEMP "not a JSON
 * object" plus jansson's reason and position (escaped), or ERR_CONFIG when
 * jansson is not installed. */
struct json *json_parse(const char *p, size_t n, struct error *e);
void json_free(struct json *j);

/* The string member key of the object: a pointer valid until json_free,
 * its length in *len (may be NULL); NULL when absent, not a string, or
 * holding a NUL. */
const char *json_string_member(const struct json *j, const char *key, size_t *len);

/* The integer member key into *out: a JSON integer, or a string of decimal
 * digits (some providers send "3600").  Returns 0, or -1 when absent, of
 * another type, negative or beyond 2^53. */
int json_integer_member(const struct json *j, const char *key, long long *out);

#endif
