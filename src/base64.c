/* base64.c - RFC 4648 base64 through EVP_EncodeBlock/EVP_DecodeBlock, with
 * the shape checks OpenSSL leaves out. */
#include "base64.h"

#include <limits.h>

#include <openssl/evp.h>

void b64_encode(const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;

	/* EVP_EncodeBlock takes an int: go in chunks that keep the groups
	 * of 3 whole, so the output is the same as in one go. */
	while (len > 0) {
		size_t n = len > 3 * 16384 ? 3 * 16384 : len;
		size_t olen = 4 * ((n + 2) / 3);

		buf_grow(out, olen);
		EVP_EncodeBlock((unsigned char *)out->data + out->len, p, (int)n);
		out->len += olen;
		out->data[out->len] = '\0';
		p += n;
		len -= n;
	}
}

static int b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int b64_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t pad = 0, i;
	int n;

	if (len == 0)
		return 0;
	/* EVP_DecodeBlock skips surrounding whitespace, accepts '=' in odd
	 * places and does not subtract the padding: check the shape here. */
	if (len % 4 != 0 || len > INT_MAX)
		return -1;
	if (p[len - 1] == '=')
		pad = p[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!b64_char(p[i]))
			return -1;
	buf_grow(out, len / 4 * 3);
	n = EVP_DecodeBlock((unsigned char *)out->data + out->len, p, (int)len);
	if (n < 0 || (size_t)n != len / 4 * 3) {
		out->data[out->len] = '\0';
		return -1;
	}
	out->len += (size_t)n - pad;
	out->data[out->len] = '\0';
	return 0;
}
