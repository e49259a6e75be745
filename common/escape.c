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

char *
escape_text(const char *s, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t i = 0, o = 0, k, tl;
	uint32_t cp;

	if (outlen == 0)
		return out;
	while (i < len) {
		k = 1;
		if (p[i] == '\n')
			memcpy(tmp, "\\n", tl = 2);
		else if (p[i] == '\t')
			memcpy(tmp, "\\t", tl = 2);
		else if (p[i] == '\\')
			memcpy(tmp, "\\\\", tl = 2);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		else if (p[i] < 0x80)
			tmp[0] = (char)p[i], tl = 1;
		else if ((k = escape_utf8(p + i, len - i, &cp)) == 0) {
			k = 1;
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		} else if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
		else {
			memcpy(tmp, p + i, k);
			tl = k;
		}
		if (o + tl + 4 > outlen) {
			if (outlen >= 4) {
				o = o + 3 < outlen ? o : outlen - 4;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
		i += k;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
	return out;
}
