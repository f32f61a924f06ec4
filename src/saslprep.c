/* saslprep.c - SASLprep (RFC 4013): libidn's stringprep when the build has
 * it, else the common cases by hand (RFC 3454 tables B.1, C.1.2, C.2-C.9). */
#include "saslprep.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util.h"

#ifdef HAVE_LIBIDN
#include <stringprep.h>
#endif

#ifdef HAVE_LIBIDN

int sasl_prep_complete(void)
{
	return 1;
}

int sasl_prep(const char *in, const char *what, char **out, struct error *e)
{
	char *o = NULL;
	/* flags 0: a query string (RFC 5802 5.1), unassigned code points allowed */
	int rc = stringprep_profile(in, &o, "SASLprep", 0);

	*out = NULL;
	if (rc != STRINGPREP_OK) {
		if (o)
			OPENSSL_cleanse(o, strlen(o));
		free(o);
		return error_set(e, ERR_CONFIG, "the %s cannot be used with SCRAM: SASLprep "
				 "(RFC 4013) refuses it (%s)", what, stringprep_strerror(rc));
	}
	*out = o;
	return 0;
}

#else

int sasl_prep_complete(void)
{
	return 0;
}

/* RFC 3454 C.1.2 (non-ASCII space characters) */
static int nonascii_space(long c)
{
	return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* RFC 3454 B.1 (commonly mapped to nothing) */
static int mapped_to_nothing(long c)
{
	return c == 0xad || c == 0x34f || c == 0x1806 || (c >= 0x180b && c <= 0x180d) ||
	       (c >= 0x200b && c <= 0x200d) || c == 0x2060 || (c >= 0xfe00 && c <= 0xfe0f) ||
	       c == 0xfeff;
}

/* RFC 3454 C.2.1, C.2.2 (control characters), C.3 (private use), C.8
 * (change display properties), C.9 (tagging), surrogates and
 * non-characters (C.4, C.5) */
static int prohibited(long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x6dd || c == 0x70f ||
	       c == 0x180e || (c >= 0x200c && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2063) || (c >= 0x206a && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffc) ||
	       (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe000 && c <= 0xf8ff) ||
	       c >= 0xf0000 || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe ||
	       (c >= 0xe0001 && c <= 0xe007f) || (c >= 0x340 && c <= 0x341);
}

int sasl_prep(const char *in, const char *what, char **out, struct error *e)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), i = 0;
	struct buf o = BUF_INIT_SECRET;

	*out = NULL;
	while (i < n) {
		size_t used;
		long c = utf8_decode(p + i, n - i, &used);

		if (c < 0) {
			buf_wipe_release(&o);
			return error_set(e, ERR_CONFIG, "the %s is not valid UTF-8", what);
		}
		if (nonascii_space(c)) {
			buf_add(&o, " ", 1);
		} else if (mapped_to_nothing(c)) {
			/* dropped */
		} else if (prohibited(c)) {
			buf_wipe_release(&o);
			return error_set(e, ERR_CONFIG, "the %s cannot be used with SCRAM: it "
					 "holds a character SASLprep (RFC 4013) prohibits "
					 "(a control character?)", what);
		} else {
			buf_add(&o, p + i, used);
		}
		i += used;
	}
	*out = buf_detach(&o);
	return 0;
}

#endif
