/* saslprep.h - SASLprep (RFC 4013) of a user name or password for SCRAM. */
#ifndef POSTERN_SASLPREP_H
#define POSTERN_SASLPREP_H

#include "error.h"

/* SASLprep of UTF-8 text as a query string.  Returns 0 with *out a new
 * string (the caller wipes and frees it), or -1 with ERR_CONFIG for
 * prohibited or malformed input; what names what (e.g. "password") and
 * appears in the message, the input itself never does. */
int sasl_prep(const char *in, const char *what, char **out, struct error *e);

/* 1 if sasl_prep() is complete (built with libidn), 0 if it covers only
 * the common cases (no NFKC, no bidi check: UTF-8 passes through except
 * that non-ASCII spaces become U+0020, characters mapped to nothing are
 * dropped and control characters are refused). */
int sasl_prep_complete(void);

#endif
