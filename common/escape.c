/* escape.c -- terminal-safe display of untrusted text. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* Length of a valid UTF-8 sequence at s, or 0; sets *cp. */
static size_t
escape_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	c = s[0] & (0xff >> (len + 1));
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

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
	if ((*k = escape_utf8(p, n, &cp)) == 0) {
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
