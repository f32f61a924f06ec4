/* base64.h - base64 (RFC 4648, no line breaks) with OpenSSL's block
 * coder, for SASL on the wire (RFC 4954) and SCRAM's attributes. */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include <stddef.h>

#include "util.h"

/* Append the encoding of in[0..len) to out. */
void b64_encode(const void *in, size_t len, struct buf *out);

/* Append the decoding of in[0..len) (untrusted) to out.  Returns 0, or -1
 * for anything but canonical padded base64 (out is then left as it was). */
int b64_decode(const char *in, size_t len, struct buf *out);

#endif
