/*
 * canon.c -- canonical JSON: an encoder over jansson values and a strict,
 * allocation-free validator of canonical bytes.
 *
 * Invariant shared by both halves: canon_check(buf) succeeds iff buf is
 * what canon_encode produces for some value.  The unit tests check both
 * directions; the fuzz target checks that anything canon_check accepts
 * survives a parse and re-encode byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "error.h"
#include "utf8.h"


/* The first UTF-16 code unit of cp: the order JCS sorts keys by. */
static uint32_t
utf16_first(uint32_t cp)
{
	return cp < 0x10000 ? cp : 0xd800 + ((cp - 0x10000) >> 10);
}

/* Compares code points in UTF-16 code unit order. */
static int
cp_cmp(uint32_t a, uint32_t b)
{
	uint32_t ua = utf16_first(a), ub = utf16_first(b);

	if (ua != ub)
		return ua < ub ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Compares two raw UTF-8 strings in UTF-16 code unit order. */
static int
utf8_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;
	uint32_t ca, cb;
	size_t na, nb;
	int c;

	while (alen > 0 && blen > 0) {
		na = utf8_decode(pa, alen, &ca);
		nb = utf8_decode(pb, blen, &cb);
		if (na == 0 || nb == 0)		/* jansson holds valid UTF-8 */
			return memcmp(pa, pb, 1);
		if ((c = cp_cmp(ca, cb)) != 0)
			return c;
		pa += na;
		alen -= na;
		pb += nb;
		blen -= nb;
	}
	return alen > 0 ? 1 : blen > 0 ? -1 : 0;
}

/* ---- encoding ---- */

static int
encode_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const char *esc;
	char u[6];
	size_t i, start;
	unsigned char c;
	int r;

	if ((r = buf_putc(b, '"')) != 0)
		return r;
	for (i = start = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((r = buf_append(b, s + start, i - start)) != 0)
			return r;
		start = i + 1;
		switch (c) {
		case '"':  esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 0xf];
			if ((r = buf_append(b, u, 6)) != 0)
				return r;
			continue;
		}
		if ((r = buf_append(b, esc, strlen(esc))) != 0)
			return r;
	}
	if ((r = buf_append(b, s + start, len - start)) != 0)
		return r;
	return buf_putc(b, '"');
}

static int encode_value(struct buf *, const json_t *, int);

static int
key_cmp(const void *a, const void *b)
{
	const char *ka = *(const char *const *)a;
	const char *kb = *(const char *const *)b;

	return utf8_cmp(ka, strlen(ka), kb, strlen(kb));
}

static int
encode_object(struct buf *b, const json_t *v, int depth)
{
	const char **keys = NULL, *k;
	json_t *val;
	size_t n = json_object_size(v), i = 0;
	int r;

	if (n > 0 && (keys = calloc(n, sizeof(*keys))) == NULL)
		return CUSTODY_ERR_NOMEM;
	json_object_foreach((json_t *)v, k, val) {
#if JANSSON_VERSION_HEX >= 0x020e00
		/* jansson 2.14 keys may hold a NUL; strlen would cut them. */
		if (json_object_iter_key_len(json_object_key_to_iter(k)) !=
		    strlen(k)) {
			free(keys);
			return CUSTODY_ERR_INVAL;
		}
#endif
		keys[i++] = k;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), key_cmp);
	r = buf_putc(b, '{');
	for (i = 0; r == 0 && i < n; i++) {
		if (i > 0 && (r = buf_putc(b, ',')) != 0)
			break;
		if ((r = encode_string(b, keys[i], strlen(keys[i]))) != 0 ||
		    (r = buf_putc(b, ':')) != 0)
			break;
		r = encode_value(b, json_object_get(v, keys[i]), depth + 1);
	}
	if (r == 0)
		r = buf_putc(b, '}');
	free(keys);
	return r;
}

static int
encode_value(struct buf *b, const json_t *v, int depth)
{
	json_int_t n;
	size_t i;
	int r;

	if (v == NULL || depth > CANON_MAX_DEPTH)
		return CUSTODY_ERR_INVAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return encode_object(b, v, depth);
	case JSON_ARRAY:
		if ((r = buf_putc(b, '[')) != 0)
			return r;
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0 && (r = buf_putc(b, ',')) != 0)
				return r;
			if ((r = encode_value(b, json_array_get(v, i),
			    depth + 1)) != 0)
				return r;
		}
		return buf_putc(b, ']');
	case JSON_STRING:
		return encode_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		n = json_integer_value(v);
		if (n > CANON_MAX_INT || n < -CANON_MAX_INT)
			return CUSTODY_ERR_INVAL;
		return buf_printf(b, "%lld", (long long)n);
	case JSON_TRUE:
		return buf_append(b, "true", 4);
	case JSON_FALSE:
		return buf_append(b, "false", 5);
	case JSON_NULL:
		return buf_append(b, "null", 4);
	case JSON_REAL:
	default:
		return CUSTODY_ERR_INVAL;
	}
}

int
canon_encode(const json_t *v, char **out, size_t *len)
{
	struct buf b;
	int r;

	*out = NULL;
	buf_init(&b);
	if (v == NULL) {
		r = CUSTODY_ERR_INVAL;
		goto out;
	}
	if ((r = encode_value(&b, v, 0)) != 0)
		goto out;
	if ((*out = buf_steal(&b, len)) == NULL)
		r = CUSTODY_ERR_NOMEM;
out:
	buf_free(&b);
	return r;
}

/* ---- validation ---- */

struct cc {
	const unsigned char	*p;
	size_t			 n, i;
	char			*err;
	size_t			 errlen;
};

static int
cc_fail(struct cc *c, const char *why)
{
	return custody_fail(c->err, c->errlen, CUSTODY_ERR_INVAL,
	    "not canonical JSON at byte %zu: %s", c->i, why);
}

static int
hexval(unsigned char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	return -1;
}

/*
 * Reads one code point of a string body at c->i, escapes decoded.  Returns
 * 1 with *cp set, 0 at the closing quote (consumed), or a negative error.
 */
static int
cc_string_char(struct cc *c, uint32_t *cp)
{
	unsigned char ch;
	int h1, h2;
	size_t k;

	if (c->i >= c->n)
		return cc_fail(c, "unterminated string");
	ch = c->p[c->i];
	if (ch == '"') {
		c->i++;
		return 0;
	}
	if (ch < 0x20)
		return cc_fail(c, "raw control character in string");
	if (ch != '\\') {
		if ((k = utf8_decode(c->p + c->i, c->n - c->i, cp)) == 0)
			return cc_fail(c, "invalid UTF-8");
		c->i += k;
		return 1;
	}
	if (c->i + 1 >= c->n)
		return cc_fail(c, "truncated escape");
	switch (c->p[c->i + 1]) {
	case '"':  *cp = '"'; break;
	case '\\': *cp = '\\'; break;
	case 'b':  *cp = '\b'; break;
	case 'f':  *cp = '\f'; break;
	case 'n':  *cp = '\n'; break;
	case 'r':  *cp = '\r'; break;
	case 't':  *cp = '\t'; break;
	case 'u':
		if (c->i + 6 > c->n || c->p[c->i + 2] != '0' ||
		    c->p[c->i + 3] != '0')
			return cc_fail(c, "\\u escape of a non-control character");
		if ((h1 = hexval(c->p[c->i + 4])) < 0 ||
		    (h2 = hexval(c->p[c->i + 5])) < 0)
			return cc_fail(c, "\\u escape not in lowercase hex");
		*cp = (uint32_t)(h1 * 16 + h2);
		if (*cp >= 0x20 || *cp == '\b' || *cp == '\f' ||
		    *cp == '\n' || *cp == '\r' || *cp == '\t')
			return cc_fail(c, "\\u escape where a short or no escape is canonical");
		c->i += 6;
		return 1;
	default:
		return cc_fail(c, "unknown escape");
	}
	c->i += 2;
	return 1;
}

/* Skips a string starting at its opening quote. */
static int
cc_string(struct cc *c, int key)
{
	uint32_t cp;
	size_t at;
	int r;

	c->i++;		/* opening quote */
	for (;;) {
		at = c->i;
		if ((r = cc_string_char(c, &cp)) != 1)
			return r;
		if (key && cp == 0) {
			c->i = at;
			return cc_fail(c, "U+0000 in a key");
		}
	}
}

/*
 * Compares two keys (offsets of their opening quotes, already validated)
 * in UTF-16 order.  Returns <0, 0, >0.
 */
static int
cc_key_cmp(struct cc *c, size_t a, size_t b)
{
	struct cc x = *c, y = *c;
	uint32_t ca, cb;
	int ra, rb, d;

	x.err = y.err = NULL;
	x.i = a + 1;
	y.i = b + 1;
	for (;;) {
		ra = cc_string_char(&x, &ca);
		rb = cc_string_char(&y, &cb);
		if (ra != 1 || rb != 1)
			return ra == rb ? 0 : ra == 1 ? 1 : -1;
		if ((d = cp_cmp(ca, cb)) != 0)
			return d;
	}
}

static int
cc_number(struct cc *c, int64_t *val)
{
	size_t start = c->i, digits = 0;
	int neg = 0;
	uint64_t v = 0;

	if (c->i < c->n && c->p[c->i] == '-') {
		neg = 1;
		c->i++;
	}
	while (c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9') {
		if (digits == 0 && c->p[c->i] == '0' && c->i + 1 < c->n &&
		    c->p[c->i + 1] >= '0' && c->p[c->i + 1] <= '9')
			return cc_fail(c, "leading zero");
		v = v * 10 + (uint64_t)(c->p[c->i] - '0');
		if (++digits > 16 || v > (uint64_t)CANON_MAX_INT)
			return cc_fail(c, "integer beyond 2^53-1");
		c->i++;
	}
	if (digits == 0)
		return cc_fail(c, "expected a value");
	if (neg && v == 0) {
		c->i = start;
		return cc_fail(c, "negative zero");
	}
	if (c->i < c->n && (c->p[c->i] == '.' || c->p[c->i] == 'e' ||
	    c->p[c->i] == 'E'))
		return cc_fail(c, "not an integer");
	*val = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int cc_value(struct cc *, int, struct canon_info *);

static int
cc_object(struct cc *c, int depth, struct canon_info *top)
{
	size_t prev = 0, key;
	int first = 1, r, is_seq;
	int64_t num;

	c->i++;		/* '{' */
	if (c->i < c->n && c->p[c->i] == '}') {
		c->i++;
		return 0;
	}
	for (;;) {
		if (c->i >= c->n || c->p[c->i] != '"')
			return cc_fail(c, "expected a key");
		key = c->i;
		if ((r = cc_string(c, 1)) != 0)
			return r;
		if (!first && cc_key_cmp(c, prev, key) >= 0) {
			c->i = key;
			return cc_fail(c, "keys out of order or repeated");
		}
		is_seq = top != NULL && c->i - key == 5 &&
		    memcmp(c->p + key, "\"seq\"", 5) == 0;
		first = 0;
		prev = key;
		if (c->i >= c->n || c->p[c->i] != ':')
			return cc_fail(c, "expected ':'");
		c->i++;
		if (is_seq && c->i < c->n &&
		    (c->p[c->i] == '-' || (c->p[c->i] >= '0' && c->p[c->i] <= '9'))) {
			if ((r = cc_number(c, &num)) != 0)
				return r;
			top->has_seq = 1;
			top->seq = num;
		} else if ((r = cc_value(c, depth + 1, NULL)) != 0)
			return r;
		if (c->i < c->n && c->p[c->i] == ',') {
			c->i++;
			continue;
		}
		if (c->i < c->n && c->p[c->i] == '}') {
			c->i++;
			return 0;
		}
		return cc_fail(c, "expected ',' or '}'");
	}
}

static int
cc_literal(struct cc *c, const char *lit)
{
	size_t len = strlen(lit);

	if (c->n - c->i < len || memcmp(c->p + c->i, lit, len) != 0)
		return cc_fail(c, "expected a value");
	c->i += len;
	return 0;
}

static int
cc_value(struct cc *c, int depth, struct canon_info *top)
{
	int64_t num;
	int r;

	if (depth > CANON_MAX_DEPTH)
		return cc_fail(c, "nested too deeply");
	if (c->i >= c->n)
		return cc_fail(c, "unexpected end");
	switch (c->p[c->i]) {
	case '{':
		return cc_object(c, depth, top);
	case '[':
		c->i++;
		if (c->i < c->n && c->p[c->i] == ']') {
			c->i++;
			return 0;
		}
		for (;;) {
			if ((r = cc_value(c, depth + 1, NULL)) != 0)
				return r;
			if (c->i < c->n && c->p[c->i] == ',') {
				c->i++;
				continue;
			}
			if (c->i < c->n && c->p[c->i] == ']') {
				c->i++;
				return 0;
			}
			return cc_fail(c, "expected ',' or ']'");
		}
	case '"':
		return cc_string(c, 0);
	case 't':
		return cc_literal(c, "true");
	case 'f':
		return cc_literal(c, "false");
	case 'n':
		return cc_literal(c, "null");
	default:
		return cc_number(c, &num);
	}
}

int
canon_check(const char *buf, size_t len, struct canon_info *info,
    char *err, size_t errlen)
{
	struct canon_info tmp;
	struct cc c;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	c.p = (const unsigned char *)buf;
	c.n = len;
	c.i = 0;
	c.err = err;
	c.errlen = errlen;
	if (len == 0 || buf[0] != '{')
		return cc_fail(&c, "expected an object");
	if ((r = cc_object(&c, 0, &tmp)) != 0)
		return r;
	if (c.i != len)
		return cc_fail(&c, "trailing bytes");
	if (info != NULL)
		*info = tmp;
	return 0;
}
