#include <stdio.h>
#include <stdlib.h>

#include "agent/core/b64.h"

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
b64_decode(const char *in, size_t len, size_t max, char **out, size_t *outlen, char *err,
	   size_t errlen)
{
	size_t pad = 0, n, o = 0;
	char *buf;

	*out = NULL;
	*outlen = 0;
	if (len % 4) {
		snprintf(err, errlen, "not base64: length %zu is not a multiple of 4", len);
		return false;
	}
	while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
		pad++;
	n = len / 4 * 3 - pad;
	if (n > max) {
		snprintf(err, errlen, "%zu bytes once decoded, more than %zu", n, max);
		return false;
	}
	if (!(buf = malloc(n + 1))) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < len; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			bool padded = i + (size_t)k >= len - pad;

			v[k] = padded ? 0 : b64_val((unsigned char)in[i + (size_t)k]);
			if (v[k] < 0) {
				snprintf(err, errlen, "not base64: byte %zu is 0x%02x",
					 i + (size_t)k, (unsigned char)in[i + (size_t)k]);
				free(buf);
				return false;
			}
		}
		unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
				  (unsigned long)v[2] << 6 | (unsigned long)v[3];
		for (int k = 0; k < 3 && o < n; k++)
			buf[o++] = (char)(w >> (16 - 8 * k) & 0xff);
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return true;
}
