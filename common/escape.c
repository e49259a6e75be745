/* escape.c -- terminal-safe display of untrusted text. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "utf8.h"

/* The escaped form of the element at p (n bytes left) in tmp; its length. */
static size_t
escape_one(const unsigned char *p, size_t n, char tmp[8], size_t *k)
{
	uint32_t cp;

	*k = 1;
	if (p[0] == '\n')
		return memcpy(tmp, "\\n", 2), 2;
	if (p[0] == '\t')
		return memcpy(tmp, "\\t", 2), 2;
	if (p[0] == '\\')
		return memcpy(tmp, "\\\\", 2), 2;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return (size_t)snprintf(tmp, 8, "\\x%02x", p[0]);
	if (p[0] < 0x80) {
		tmp[0] = (char)p[0];
		return 1;
	}
	if ((*k = utf8_decode(p, n, &cp)) == 0) {
		*k = 1;
		return (size_t)snprintf(tmp, 8, "\\x%02x", p[0]);
	}
	if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return (size_t)snprintf(tmp, 8, "\\u%04x", cp);
	memcpy(tmp, p, *k);
	return *k;
}

char *
escape_text(const char *s, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t i, o = 0, k, tl, total = 0, reserve;

	if (outlen == 0)
		return out;
	for (i = 0; i < len; i += k)
		total += escape_one(p + i, len - i, tmp, &k);
	/* Room for "..." only matters if the whole does not fit. */
	reserve = total < outlen ? 1 : 4;
	for (i = 0; i < len; i += k) {
		tl = escape_one(p + i, len - i, tmp, &k);
		if (o + tl + reserve > outlen) {
			if (outlen >= 4) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o] = '\0';
	return out;
}
