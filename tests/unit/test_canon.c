/*
 * test_canon.c -- unit tests for common/canon.c.
 *
 * Known answers: exact bytes for objects whose keys sort differently in
 * UTF-16 code unit order, code point order and byte order (the RFC 8785
 * section 3.2.3 example among them), and for every string escape.  Both
 * directions of canon.c's invariant are checked: every output of
 * canon_encode over a few hundred pseudo-random values (fixed seed) passes
 * canon_check, parses back with jansson and re-encodes to the same bytes,
 * with key order checked by an independent UTF-16 comparator written here;
 * and canon_check refuses each kind of non-canonical input with the byte
 * offset of the problem in its message, including whitespace inserted at
 * every token boundary of those random documents.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/canon.h"
#include "common/error.h"

#define ERRLEN		256
#define RANDOM_DOCS	400
#define SEED		0x2545f4914f6cdd1dULL

/* Encodes v and compares with a string literal's bytes. */
#define EXPECT(v, lit)	expect_bytes((v), (lit), sizeof(lit) - 1)

/* ---- helpers ---- */

/* Encodes v and checks the result is exactly want[0..wantlen). */
static void
expect_bytes(const json_t *v, const char *want, size_t wantlen)
{
	char *out = NULL, err[ERRLEN] = "";
	size_t len = 0;

	assert_non_null(v);
	assert_int_equal(canon_encode(v, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(len, wantlen);
	assert_memory_equal(out, want, wantlen);
	assert_int_equal(out[len], '\0');
	if (canon_check(out, len, NULL, err, sizeof(err)) != 0)
		fail_msg("canon_check refused canon_encode's output: %s", err);
	free(out);
}

/* Encoding v must fail with CUSTODY_ERR_INVAL and leave *out NULL. */
static void
expect_encode_refused(const json_t *v)
{
	char *out = (char *)&out;
	size_t len = 0;

	assert_non_null(v);
	assert_int_equal(canon_encode(v, &out, &len), CUSTODY_ERR_INVAL);
	assert_null(out);
}

/*
 * canon_check must refuse buf[0..len) with CUSTODY_ERR_INVAL, saying "at
 * byte <at>" and giving why.
 */
static void
expect_refused(const char *buf, size_t len, size_t at, const char *why)
{
	struct canon_info info = { 0, 0 };
	char err[ERRLEN] = "", want[64];
	int r;

	r = canon_check(buf, len, &info, err, sizeof(err));
	if (r != CUSTODY_ERR_INVAL)
		fail_msg("canon_check returned %d for \"%.*s\" (want %d)", r,
		    (int)(len > 80 ? 80 : len), buf, CUSTODY_ERR_INVAL);
	(void)snprintf(want, sizeof(want), "at byte %zu:", at);
	if (strstr(err, want) == NULL || strstr(err, why) == NULL)
		fail_msg("for \"%.*s\": message \"%s\" lacks \"%s\" or \"%s\"",
		    (int)(len > 80 ? 80 : len), buf, err, want, why);
}

static void
expect_refused_str(const char *s, size_t at, const char *why)
{
	expect_refused(s, strlen(s), at, why);
}

static void
expect_accepted(const char *buf, size_t len)
{
	char err[ERRLEN] = "";

	if (canon_check(buf, len, NULL, err, sizeof(err)) != 0)
		fail_msg("canon_check refused \"%.*s\": %s", (int)len, buf,
		    err);
}

/* ---- a small PRNG (xorshift64*), fixed seed ---- */

struct rng {
	uint64_t	s;
};

static uint64_t
rng_next(struct rng *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dULL;
}

static uint32_t
rng_below(struct rng *g, uint32_t n)
{
	return (uint32_t)((rng_next(g) >> 32) % n);
}

/* ---- independent UTF-8 / UTF-16 helpers for the referee ---- */

static size_t
put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Converts valid UTF-8 to UTF-16 code units; returns how many. */
static size_t
to_utf16(const char *s, size_t n, uint16_t *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			cp = p[i];
			i += 1;
		} else if (p[i] < 0xe0) {
			cp = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
			i += 2;
		} else if (p[i] < 0xf0) {
			cp = (uint32_t)(p[i] & 0x0f) << 12 |
			    (uint32_t)(p[i + 1] & 0x3f) << 6 |
			    (p[i + 2] & 0x3f);
			i += 3;
		} else {
			cp = (uint32_t)(p[i] & 0x07) << 18 |
			    (uint32_t)(p[i + 1] & 0x3f) << 12 |
			    (uint32_t)(p[i + 2] & 0x3f) << 6 |
			    (p[i + 3] & 0x3f);
			i += 4;
		}
		assert_true(o + 2 <= max);
		if (cp >= 0x10000) {
			out[o++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			out[o++] = (uint16_t)(0xdc00 +
			    ((cp - 0x10000) & 0x3ff));
		} else
			out[o++] = (uint16_t)cp;
	}
	return o;
}

/* strcmp over UTF-16 code units, as JavaScript compares strings. */
static int
utf16_strcmp(const char *a, const char *b)
{
	uint16_t ua[256], ub[256];
	size_t na, nb, i;

	na = to_utf16(a, strlen(a), ua, 256);
	nb = to_utf16(b, strlen(b), ub, 256);
	for (i = 0; i < na && i < nb; i++)
		if (ua[i] != ub[i])
			return ua[i] < ub[i] ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

/* Every object in v (parsed in document order) has strictly rising keys. */
static void
assert_keys_sorted(const json_t *v)
{
	const char *k, *prev;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		prev = NULL;
		json_object_foreach((json_t *)v, k, x) {
			if (prev != NULL && utf16_strcmp(prev, k) >= 0)
				fail_msg("keys out of UTF-16 order");
			prev = k;
			assert_keys_sorted(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			assert_keys_sorted(x);
	}
}

/* ---- random values ---- */

/* A code point from pools that exercise escapes and UTF-16 ordering. */
static uint32_t
random_cp(struct rng *g, int key)
{
	static const uint32_t special[] = {
		'"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0x01, 0x1f,
		0x7f, 0x80, 0x9f, 0xff, 0x2028, 0x2029, 0xe000, 0xfffd,
		0xffff, 0x10000, 0x1f600, 0x10ffff, 0xfb33, 0x20ac,
	};
	uint32_t cp;

	switch (rng_below(g, 8)) {
	case 0:
		cp = rng_below(g, 0x20);
		break;
	case 1:
		cp = special[rng_below(g, sizeof(special) /
		    sizeof(special[0]))];
		break;
	case 2:
		cp = 0x80 + rng_below(g, 0x780);
		break;
	case 3:
		do
			cp = 0x800 + rng_below(g, 0x10000 - 0x800);
		while (cp >= 0xd800 && cp <= 0xdfff);
		break;
	case 4:
		cp = 0x10000 + rng_below(g, 0x100000);
		break;
	default:
		cp = 0x20 + rng_below(g, 0x5f);
		break;
	}
	if (key && cp == 0)	/* jansson keys are C strings */
		cp = 'k';
	return cp;
}

static size_t
random_utf8(struct rng *g, char *buf, size_t max, int key)
{
	size_t n = 0, count = rng_below(g, 7);

	while (count-- > 0 && n + 4 < max)
		n += put_utf8(random_cp(g, key), buf + n);
	buf[n] = '\0';
	return n;
}

static json_int_t
random_int(struct rng *g)
{
	switch (rng_below(g, 5)) {
	case 0:
		return CANON_MAX_INT - (json_int_t)rng_below(g, 3);
	case 1:
		return -CANON_MAX_INT + (json_int_t)rng_below(g, 3);
	case 2:
		return (json_int_t)(rng_next(g) % (uint64_t)CANON_MAX_INT) *
		    (rng_below(g, 2) ? 1 : -1);
	default:
		return (json_int_t)rng_below(g, 2000) - 1000;
	}
}

static json_t *random_value(struct rng *, int);

static json_t *
random_object(struct rng *g, int depth)
{
	json_t *o = json_object();
	char key[64];
	uint32_t i, n = rng_below(g, 6);

	assert_non_null(o);
	for (i = 0; i < n; i++) {
		(void)random_utf8(g, key, sizeof(key), 1);
		assert_int_equal(json_object_set_new(o, key,
		    random_value(g, depth + 1)), 0);
	}
	return o;
}

static json_t *
random_value(struct rng *g, int depth)
{
	json_t *v;
	char s[64];
	size_t n;
	uint32_t i, count;

	switch (depth >= 5 ? 2 + rng_below(g, 5) : rng_below(g, 7)) {
	case 0:
		return random_object(g, depth);
	case 1:
		v = json_array();
		assert_non_null(v);
		count = rng_below(g, 5);
		for (i = 0; i < count; i++)
			assert_int_equal(json_array_append_new(v,
			    random_value(g, depth + 1)), 0);
		return v;
	case 2:
	case 3:
		n = random_utf8(g, s, sizeof(s), 0);
		v = json_stringn(s, n);
		break;
	case 4:
		v = json_integer(random_int(g));
		break;
	default:
		v = rng_below(g, 3) == 0 ? json_null() :
		    json_boolean(rng_below(g, 2));
		break;
	}
	assert_non_null(v);
	return v;
}

/*
 * Boundaries between tokens of a canonical document, where whitespace
 * would be legal JSON but is not canonical.
 */
static int
is_gap(const char *s, size_t n, size_t p, const unsigned char *in_string)
{
	static const char structural[] = "{}[],:\"";

	if (in_string[p])
		return 0;
	if (p == 0 || p == n)
		return 1;
	return (s[p - 1] != '\0' && strchr(structural, s[p - 1]) != NULL) ||
	    (s[p] != '\0' && strchr(structural, s[p]) != NULL);
}

/* in_string[p] says whether the boundary before byte p is in a string. */
static void
mark_strings(const char *s, size_t n, unsigned char *in_string)
{
	size_t p;
	int in = 0, esc = 0;

	for (p = 0; p < n; p++) {
		in_string[p] = (unsigned char)in;
		if (!in) {
			if (s[p] == '"')
				in = 1;
		} else if (esc)
			esc = 0;
		else if (s[p] == '\\')
			esc = 1;
		else if (s[p] == '"')
			in = 0;
	}
	in_string[n] = (unsigned char)in;
}

/* Whitespace inserted at any gap of doc must be refused at that byte. */
static void
check_whitespace_refused(struct rng *g, const char *doc, size_t n,
    int every_gap)
{
	static const char ws[] = " \n\t\r";
	unsigned char *in_string;
	char *mut;
	size_t p;

	assert_non_null(in_string = malloc(n + 1));
	assert_non_null(mut = malloc(n + 1));
	mark_strings(doc, n, in_string);
	for (p = 0; p <= n; p++) {
		if (!is_gap(doc, n, p, in_string))
			continue;
		if (!every_gap && rng_below(g, 4) != 0)
			continue;
		memcpy(mut, doc, p);
		mut[p] = ws[rng_below(g, 4)];
		memcpy(mut + p + 1, doc + p, n - p);
		expect_refused(mut, n + 1, p, "");
	}
	free(mut);
	free(in_string);
}

/* ---- encoding: exact bytes ---- */

static void
test_encode_basic(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:i, s:[b,b,n,s], s:{}, s:[], s:{s:i}}", "b", 1,
	    "a", 1, 0, "x", "ab", "aa", "B", "z", -7);
	EXPECT(v, "{\"B\":{\"z\":-7},\"a\":[true,false,null,\"x\"],"
	    "\"aa\":[],\"ab\":{},\"b\":1}");
	json_decref(v);

	v = json_object();
	EXPECT(v, "{}");
	json_decref(v);
}

/* Keys sort by UTF-16 code units: not by bytes, not by code points. */
static void
test_encode_key_order_utf16(void **state)
{
	static const char want[] = "{\"a\":1,\"\xc3\xa9\":2,"
	    "\"\xf0\x9f\x98\x80\":3,\"\xee\x80\x80\":4}";
	json_t *v;

	(void)state;
	/* U+E000 is 0xE000 in UTF-16; U+1F600 starts 0xD83D, so sorts first. */
	v = json_pack("{s:i, s:i, s:i, s:i}", "\xee\x80\x80", 4,
	    "\xf0\x9f\x98\x80", 3, "a", 1, "\xc3\xa9", 2);
	expect_bytes(v, want, sizeof(want) - 1);
	json_decref(v);
}

/* The example of RFC 8785 section 3.2.3. */
static void
test_encode_key_order_rfc8785(void **state)
{
	static const char want[] =
	    "{\"\\r\":\"Carriage Return\","
	    "\"1\":\"One\","
	    "\"\xc2\x80\":\"Control\","
	    "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
	    "\"\xe2\x82\xac\":\"Euro Sign\","
	    "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	    "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	json_t *v;

	(void)state;
	v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "\xe2\x82\xac", "Euro Sign",
	    "\r", "Carriage Return",
	    "\xef\xac\xb3", "Hebrew Letter Dalet With Dagesh",
	    "1", "One",
	    "\xf0\x9f\x98\x80", "Emoji: Grinning Face",
	    "\xc2\x80", "Control",
	    "\xc3\xb6", "Latin Small Letter O With Diaeresis");
	expect_bytes(v, want, sizeof(want) - 1);
	json_decref(v);
}

/*
 * Supplementary characters with one high surrogate sort by the low one,
 * and all of them before U+FFFD (0xD83D < 0xDBFF < 0xFFFD).
 */
static void
test_encode_key_order_surrogates(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:i, s:i, s:i, s:i}", "\xef\xbf\xbd", 0,
	    "\xf4\x8f\xbf\xbf", 3, "\xf0\x9f\x98\x81", 2,
	    "\xf0\x9f\x98\x80", 1);
	EXPECT(v, "{\"\xf0\x9f\x98\x80\":1,\"\xf0\x9f\x98\x81\":2,"
	    "\"\xf4\x8f\xbf\xbf\":3,\"\xef\xbf\xbd\":0}");
	json_decref(v);
}

static void
test_encode_escapes(void **state)
{
	static const char in[] = "\"\\\b\f\n\r\t\x01\x1f\x7f/\xe2\x80\xa8"
	    "\xc2\x80" "A\0z";
	static const char want[] = "{\"s\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001"
	    "\\u001f\x7f/\xe2\x80\xa8\xc2\x80" "A\\u0000z\"}";
	json_t *v;

	(void)state;
	v = json_pack("{s:o}", "s", json_stringn(in, sizeof(in) - 1));
	expect_bytes(v, want, sizeof(want) - 1);
	json_decref(v);

	/* Keys are escaped the same way. */
	v = json_pack("{s:i, s:i}", "\n", 1, "\x1f\"", 2);
	EXPECT(v, "{\"\\n\":1,\"\\u001f\\\"\":2}");
	json_decref(v);
}

/* Every C0 control, one at a time, against a table built here. */
static void
test_encode_each_control(void **state)
{
	static const char *const short_esc[0x20] = {
		['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
		['\f'] = "\\f", ['\r'] = "\\r",
	};
	char in[1], want[32], *out = NULL;
	size_t len, wl;
	json_t *v;
	int c, same;

	(void)state;
	for (c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		if (short_esc[c] != NULL)
			wl = (size_t)snprintf(want, sizeof(want), "[\"%s\"]",
			    short_esc[c]);
		else
			wl = (size_t)snprintf(want, sizeof(want),
			    "[\"\\u%04x\"]", (unsigned int)c);
		v = json_pack("[o]", json_stringn(in, 1));
		assert_int_equal(canon_encode(v, &out, &len), 0);
		same = len == wl && memcmp(out, want, wl) == 0;
		free(out);
		json_decref(v);
		if (!same)
			fail_msg("control 0x%02x not encoded as %s", c, want);
	}
}

static void
test_encode_integers(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:I, s:I, s:i, s:i}", "max", (json_int_t)CANON_MAX_INT,
	    "min", (json_int_t)-CANON_MAX_INT, "zero", 0, "neg", -1);
	EXPECT(v, "{\"max\":9007199254740991,\"min\":"
	    "-9007199254740991,\"neg\":-1,\"zero\":0}");
	json_decref(v);

	/* 2^53 and -(2^53): outside what every JSON reader holds exactly. */
	v = json_pack("{s:I}", "n", (json_int_t)CANON_MAX_INT + 1);
	expect_encode_refused(v);
	json_decref(v);
	v = json_pack("{s:I}", "n", -(json_int_t)CANON_MAX_INT - 1);
	expect_encode_refused(v);
	json_decref(v);
	v = json_pack("[I]", (json_int_t)INT64_MIN);
	expect_encode_refused(v);
	json_decref(v);
	v = json_pack("{s:[i,{s:I}]}", "a", 1, "b", (json_int_t)INT64_MAX);
	expect_encode_refused(v);
	json_decref(v);
}

static void
test_encode_refuses_reals(void **state)
{
	json_t *v;

	(void)state;
	v = json_real(1.0);
	expect_encode_refused(v);
	json_decref(v);
	v = json_pack("{s:f}", "x", 0.5);
	expect_encode_refused(v);
	json_decref(v);
	v = json_pack("{s:i, s:[i,f]}", "a", 1, "b", 2, 3.0);
	expect_encode_refused(v);
	json_decref(v);
	v = json_pack("[f]", 0.0);
	expect_encode_refused(v);
	json_decref(v);
}

static void
test_encode_null_refused(void **state)
{
	char *out = (char *)&out;
	size_t len = 0;

	(void)state;
	assert_int_equal(canon_encode(NULL, &out, &len), CUSTODY_ERR_INVAL);
	assert_null(out);
}

/*
 * {"a": k nested arrays around leaf}: the object is at depth 0, the
 * arrays at 1..k, the leaf (if any) at k + 1.
 */
static json_t *
nest(int k, json_t *leaf)
{
	json_t *v = leaf;
	int i;

	for (i = 0; i < k; i++) {
		json_t *a = json_array();

		assert_non_null(a);
		if (v != NULL)
			assert_int_equal(json_array_append_new(a, v), 0);
		v = a;
	}
	return json_pack("{s:o}", "a", v);
}

/* The same shape as canonical bytes (allocated). */
static char *
nest_bytes(int k, const char *leaf, size_t *len)
{
	size_t n, ll = leaf ? strlen(leaf) : 0;
	char *p;
	int i;

	assert_non_null(p = malloc(8 + 2 * (size_t)k + ll));
	memcpy(p, "{\"a\":", 5);
	n = 5;
	for (i = 0; i < k; i++)
		p[n++] = '[';
	memcpy(p + n, leaf ? leaf : "", ll);
	n += ll;
	for (i = 0; i < k; i++)
		p[n++] = ']';
	p[n++] = '}';
	p[n] = '\0';
	*len = n;
	return p;
}

/* canon_encode and canon_check draw the depth line in the same place. */
static void
test_depth_limit_agrees(void **state)
{
	char *bytes;
	size_t len;
	json_t *v;

	(void)state;
	/* Deepest container at CANON_MAX_DEPTH: accepted by both. */
	v = nest(CANON_MAX_DEPTH, NULL);
	bytes = nest_bytes(CANON_MAX_DEPTH, NULL, &len);
	expect_bytes(v, bytes, len);
	json_decref(v);
	free(bytes);

	/* One deeper: refused by both, at the first too-deep '['. */
	v = nest(CANON_MAX_DEPTH + 1, NULL);
	expect_encode_refused(v);
	json_decref(v);
	bytes = nest_bytes(CANON_MAX_DEPTH + 1, NULL, &len);
	expect_refused(bytes, len, 5 + CANON_MAX_DEPTH, "nested too deeply");
	free(bytes);

	/* A scalar counts as a level too. */
	v = nest(CANON_MAX_DEPTH - 1, json_integer(1));
	bytes = nest_bytes(CANON_MAX_DEPTH - 1, "1", &len);
	expect_bytes(v, bytes, len);
	json_decref(v);
	free(bytes);
	v = nest(CANON_MAX_DEPTH, json_integer(1));
	expect_encode_refused(v);
	json_decref(v);
	bytes = nest_bytes(CANON_MAX_DEPTH, "1", &len);
	expect_refused(bytes, len, 5 + CANON_MAX_DEPTH, "nested too deeply");
	free(bytes);
}

/*
 * jansson (2.14) lets json_object_setn_new() make a key with a NUL in it.
 * canon_encode must refuse it, not crash: run it in a child so a crash
 * fails this test instead of the whole file.
 */
static void
test_encode_key_with_nul_refused(void **state)
{
	json_t *v;
	pid_t pid;
	int status = 0;

	(void)state;
	assert_non_null(v = json_object());
	assert_int_equal(json_object_setn_new(v, "a\0b", 3,
	    json_integer(1)), 0);
	assert_int_not_equal(pid = fork(), -1);
	if (pid == 0) {
		char *out = NULL;
		size_t len = 0;
		int r;

		/* cmocka's handlers would resume the suite in the child. */
		(void)signal(SIGSEGV, SIG_DFL);
		(void)signal(SIGBUS, SIG_DFL);
		(void)signal(SIGILL, SIG_DFL);
		(void)signal(SIGFPE, SIG_DFL);
		(void)signal(SIGABRT, SIG_DFL);
		r = canon_encode(v, &out, &len);

		free(out);
		_exit(r == CUSTODY_ERR_INVAL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	json_decref(v);
	if (WIFSIGNALED(status))
		fail_msg("canon_encode crashed (signal %d) on a key holding "
		    "a NUL", WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("canon_encode did not refuse a key holding a NUL "
		    "with CUSTODY_ERR_INVAL");
}

/* ---- canon_check: acceptance and seq ---- */

static void
test_check_accepts(void **state)
{
	static const char *const ok[] = {
		"{}",
		"{\"a\":[]}",
		"{\"a\":{}}",
		"{\"a\":[true,false,null,0,-1,\"\"]}",
		"{\"a\":9007199254740991,\"b\":-9007199254740991}",
		"{\"\":0,\"a\":1}",
		"{\"a\":\"\\u0000\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\x7f\"}",
		"{\"\\r\":1,\"1\":2}",
		"{\"\xf0\x9f\x98\x80\":1,\"\xee\x80\x80\":2}",
		"{\"a\":\"\xf4\x8f\xbf\xbf\xe2\x80\xa8\xc2\x80\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect_accepted(ok[i], strlen(ok[i]));
}

static void
test_check_reports_seq(void **state)
{
	static const char both[] = "{\"a\":{\"seq\":5},\"seq\":7}";
	static const char nested[] = "{\"a\":{\"seq\":5},\"b\":[{\"seq\":6}]}";
	static const char str[] = "{\"seq\":\"7\"}";
	static const char neg[] = "{\"action\":\"x\",\"seq\":-3,\"z\":0}";
	static const char big[] = "{\"seq\":9007199254740991}";
	struct canon_info info;
	char err[ERRLEN];

	(void)state;
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(canon_check(both, strlen(both), &info, err,
	    sizeof(err)), 0);
	assert_int_equal(info.has_seq, 1);
	assert_int_equal(info.seq, 7);

	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(canon_check(nested, strlen(nested), &info, err,
	    sizeof(err)), 0);
	assert_int_equal(info.has_seq, 0);

	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(canon_check(str, strlen(str), &info, err,
	    sizeof(err)), 0);
	assert_int_equal(info.has_seq, 0);

	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(canon_check(neg, strlen(neg), &info, err,
	    sizeof(err)), 0);
	assert_int_equal(info.has_seq, 1);
	assert_int_equal(info.seq, -3);

	assert_int_equal(canon_check(big, strlen(big), &info, NULL, 0), 0);
	assert_int_equal(info.has_seq, 1);
	assert_int_equal(info.seq, CANON_MAX_INT);

	/* A bad top-level seq is refused like any other number. */
	expect_refused_str("{\"seq\":01}", 7, "leading zero");
	expect_refused_str("{\"seq\":-0}", 7, "negative zero");
	expect_refused_str("{\"seq\":1.5}", 8, "not an integer");
	/* info may be NULL. */
	assert_int_equal(canon_check(both, strlen(both), NULL, NULL, 0), 0);
}

/* ---- canon_check: refusals, each at its byte ---- */

static void
test_check_refuses_whitespace(void **state)
{
	static const char doc[] = "{\"a\":[1,true,\"x y\",{\"b\":-2},[]],"
	    "\"c\":null,\"seq\":4}";
	struct rng g = { SEED };

	(void)state;
	expect_refused_str(" {\"a\":1}", 0, "expected an object");
	expect_refused_str("{ \"a\":1}", 1, "expected a key");
	expect_refused_str("{\"a\" :1}", 4, "expected ':'");
	expect_refused_str("{\"a\": 1}", 5, "expected a value");
	expect_refused_str("{\"a\":1 }", 6, "expected ',' or '}'");
	expect_refused_str("{\"a\":1, \"b\":2}", 7, "expected a key");
	expect_refused_str("{\"a\":[1, 2]}", 8, "expected a value");
	expect_refused_str("{\"a\":[1 ,2]}", 7, "expected ',' or ']'");
	expect_refused_str("{\"a\":1}\n", 7, "trailing bytes");
	expect_refused_str("{\"a\":1}\r\n", 7, "trailing bytes");
	expect_refused_str("{\"a\":\t1}", 5, "expected a value");
	/* And at every token boundary of a document with every token kind. */
	check_whitespace_refused(&g, doc, strlen(doc), 1);
}

static void
test_check_refuses_key_order(void **state)
{
	(void)state;
	expect_refused_str("{\"b\":1,\"a\":2}", 7, "out of order");
	expect_refused_str("{\"a\":1,\"a\":2}", 7, "repeated");
	expect_refused_str("{\"a\":1,\"b\":2,\"b\":3}", 13, "repeated");
	expect_refused_str("{\"ab\":1,\"a\":2}", 8, "out of order");
	/* Code point order is not UTF-16 order. */
	expect_refused_str("{\"\xee\x80\x80\":1,\"\xf0\x9f\x98\x80\":2}", 9,
	    "out of order");
	/* Escaped keys compare by what they decode to: "\n" < "\u001f". */
	expect_refused_str("{\"\\u001f\":1,\"\\n\":2}", 12, "out of order");
	expect_accepted("{\"\\n\":1,\"\\u001f\":2}",
	    strlen("{\"\\n\":1,\"\\u001f\":2}"));
	/* Nested objects are checked too. */
	expect_refused_str("{\"a\":{\"y\":1,\"x\":2}}", 12, "out of order");
}

static void
test_check_refuses_numbers(void **state)
{
	(void)state;
	expect_refused_str("{\"a\":01}", 5, "leading zero");
	expect_refused_str("{\"a\":-01}", 6, "leading zero");
	expect_refused_str("{\"a\":00}", 5, "leading zero");
	expect_refused_str("{\"a\":-0}", 5, "negative zero");
	expect_refused_str("{\"a\":[1,-0]}", 8, "negative zero");
	expect_refused_str("{\"a\":1.0}", 6, "not an integer");
	expect_refused_str("{\"a\":0.5}", 6, "not an integer");
	expect_refused_str("{\"a\":1e3}", 6, "not an integer");
	expect_refused_str("{\"a\":1E3}", 6, "not an integer");
	expect_refused_str("{\"a\":+1}", 5, "expected a value");
	expect_refused_str("{\"a\":-}", 6, "expected a value");
	expect_refused_str("{\"a\":.5}", 5, "expected a value");
	expect_refused_str("{\"a\":9007199254740992}", 20, "2^53");
	expect_refused_str("{\"a\":-9007199254740992}", 21, "2^53");
	expect_refused_str("{\"a\":10000000000000000}", 21, "2^53");
	expect_refused_str("{\"a\":99999999999999999999999}", 20, "2^53");
	expect_refused_str("{\"a\":NaN}", 5, "expected a value");
	expect_refused_str("{\"a\":tru}", 5, "expected a value");
	expect_refused_str("{\"a\":True}", 5, "expected a value");
	expect_refused_str("{\"a\":nul", 5, "expected a value");
}

static void
test_check_refuses_escapes(void **state)
{
	(void)state;
	expect_refused_str("{\"a\":\"\\u0041\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u0100\"}", 6, "non-control");
	expect_refused_str("{\"a\":\"\\u2028\"}", 6, "non-control");
	expect_refused_str("{\"a\":\"\\u00e9\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u001F\"}", 6, "lowercase hex");
	expect_refused_str("{\"a\":\"\\u001g\"}", 6, "lowercase hex");
	expect_refused_str("{\"a\":\"\\u000a\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u0008\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u0009\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u000c\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u000d\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u0020\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\u007f\"}", 6, "short or no escape");
	expect_refused_str("{\"a\":\"\\ud83d\\ude00\"}", 6, "non-control");
	expect_refused_str("{\"a\":\"\\/\"}", 6, "unknown escape");
	expect_refused_str("{\"a\":\"\\x41\"}", 6, "unknown escape");
	expect_refused_str("{\"a\":\"\\u00\"}", 6, "");
	expect_refused("{\"a\":\"\\", 7, 6, "truncated escape");
	expect_refused("{\"a\":\"\\u001", 11, 6, "");
	expect_refused_str("{\"\\u0041\":1}", 2, "short or no escape");
}

static void
test_check_refuses_raw_controls(void **state)
{
	char doc[16];
	int c;

	(void)state;
	for (c = 0; c < 0x20; c++) {
		memcpy(doc, "{\"a\":\"x?\"}", 11);
		doc[7] = (char)c;
		expect_refused(doc, 10, 7, "raw control character");
	}
	expect_refused_str("{\"a\n\":1}", 3, "raw control character");
	/* A NUL byte, too, found by length and not by strlen. */
	expect_refused("{\"a\":\"\0\"}", 9, 6, "raw control character");
}

static void
test_check_refuses_bad_utf8(void **state)
{
	static const struct {
		const char	*doc;
		size_t		 len;
		size_t		 at;
	} bad[] = {
		{ "{\"a\":\"\xc0\xaf\"}", 10, 6 },		/* overlong / */
		{ "{\"a\":\"\xc1\xbf\"}", 10, 6 },		/* overlong */
		{ "{\"a\":\"\xe0\x80\xaf\"}", 11, 6 },	/* overlong 3 */
		{ "{\"a\":\"\xf0\x80\x80\xaf\"}", 12, 6 },	/* overlong 4 */
		{ "{\"a\":\"\xed\xa0\x80\"}", 11, 6 },	/* U+D800 */
		{ "{\"a\":\"\xed\xbf\xbf\"}", 11, 6 },	/* U+DFFF */
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", 12, 6 },	/* > U+10FFFF */
		{ "{\"a\":\"\xe2\x82\"}", 10, 6 },		/* truncated */
		{ "{\"a\":\"\xe2\x82", 8, 6 },		/* truncated at end */
		{ "{\"a\":\"x\x80\"}", 10, 7 },		/* lone continuation */
		{ "{\"a\":\"\xff\"}", 9, 6 },
		{ "{\"a\":\"\xf8\x88\x80\x80\x80\"}", 13, 6 },	/* 5 bytes */
		{ "{\"\xc3\":1}", 7, 2 },			/* in a key */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bad[i].doc, bad[i].len, bad[i].at,
		    "invalid UTF-8");
}

static void
test_check_refuses_structure(void **state)
{
	(void)state;
	expect_refused("", 0, 0, "expected an object");
	expect_refused_str("[1]", 0, "expected an object");
	expect_refused_str("[]", 0, "expected an object");
	expect_refused_str("\"a\"", 0, "expected an object");
	expect_refused_str("1", 0, "expected an object");
	expect_refused_str("null", 0, "expected an object");
	expect_refused_str("{", 1, "expected a key");
	expect_refused_str("{\"a\"", 4, "expected ':'");
	expect_refused_str("{\"a\":", 5, "unexpected end");
	expect_refused_str("{\"a\":1", 6, "expected ',' or '}'");
	expect_refused_str("{\"a\":1,}", 7, "expected a key");
	expect_refused_str("{\"a\":[1,]}", 8, "expected a value");
	expect_refused_str("{\"a\":[1}", 7, "expected ',' or ']'");
	expect_refused_str("{\"a\":\"x}", 8, "unterminated string");
	expect_refused_str("{a:1}", 1, "expected a key");
	expect_refused_str("{\"a\":1}x", 7, "trailing bytes");
	expect_refused_str("{}{}", 2, "trailing bytes");
	expect_refused_str("{\"a\":1}}", 7, "trailing bytes");
	expect_refused("{\"a\":1}\0", 8, 7, "trailing bytes");
	expect_refused_str("{\"a\":'x'}", 5, "expected a value");
}

/* Very deep input is refused at the depth limit, without a crash. */
static void
test_check_refuses_depth_bomb(void **state)
{
	const size_t deep = 10000;
	char *doc;
	size_t i, n;

	(void)state;
	assert_non_null(doc = malloc(2 * deep + 8));
	/* Arrays: a top-level array is refused at once. */
	memset(doc, '[', deep);
	memset(doc + deep, ']', deep);
	expect_refused(doc, 2 * deep, 0, "expected an object");

	/* Arrays inside an object. */
	memcpy(doc, "{\"a\":", 5);
	memset(doc + 5, '[', deep);
	memset(doc + 5 + deep, ']', deep);
	doc[5 + 2 * deep] = '}';
	expect_refused(doc, 6 + 2 * deep, 5 + CANON_MAX_DEPTH,
	    "nested too deeply");
	/* Unclosed. */
	expect_refused(doc, 5 + deep, 5 + CANON_MAX_DEPTH, "nested too deeply");

	/* Objects: {"a":{"a":{... */
	for (i = n = 0; i < deep / 5; i++) {
		memcpy(doc + n, "{\"a\":", 5);
		n += 5;
	}
	expect_refused(doc, n, 5 * (CANON_MAX_DEPTH + 1), "nested too deeply");
	free(doc);
}

/*
 * canon_check(buf) succeeds only if buf is what canon_encode produces for
 * some value: a key holding U+0000 is neither producible (jansson cannot
 * load it, and canon_encode sees keys as C strings) nor may it pass.
 */
static void
test_check_refuses_nul_in_key(void **state)
{
	static const char doc[] = "{\"a\\u0000b\":1}";
	char err[ERRLEN] = "";
	json_error_t jerr;
	json_t *v;

	(void)state;
	v = json_loadb(doc, sizeof(doc) - 1, JSON_ALLOW_NUL, &jerr);
	assert_null(v);		/* jansson: "NUL byte in object key" */
	assert_int_equal(canon_check(doc, sizeof(doc) - 1, NULL, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_non_null(strstr(err, "at byte "));
}

/* The message is cut to errlen, never overflowed; err may be NULL. */
static void
test_check_err_truncated(void **state)
{
	char err[16];

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(canon_check("{\"b\":1,\"a\":2}", 13, NULL, err, 8),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(strlen(err), 7);
	assert_memory_equal(err + 8, "ZZZZZZZZ", 8);
	assert_int_equal(canon_check("[]", 2, NULL, NULL, 0),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(canon_check("[]", 2, NULL, err, 0),
	    CUSTODY_ERR_INVAL);
}

/* ---- both directions over random values ---- */

static void
test_random_round_trip(void **state)
{
	struct rng g = { SEED };
	struct canon_info info;
	json_error_t jerr;
	json_t *v, *back;
	char *out, *again, err[ERRLEN];
	size_t len, len2;
	int i;

	(void)state;
	for (i = 0; i < RANDOM_DOCS; i++) {
		v = random_object(&g, 0);
		if (rng_below(&g, 2))
			assert_int_equal(json_object_set_new(v, "seq",
			    json_integer(i)), 0);
		assert_int_equal(canon_encode(v, &out, &len), 0);
		assert_int_equal(strlen(out), len);	/* NUL is escaped */
		memset(&info, 0, sizeof(info));
		if (canon_check(out, len, &info, err, sizeof(err)) != 0)
			fail_msg("doc %d refused: %s: %s", i, err, out);
		assert_int_equal(info.has_seq,
		    json_object_get(v, "seq") != NULL);
		if (info.has_seq)
			assert_int_equal(info.seq, i);

		back = json_loadb(out, len, JSON_ALLOW_NUL, &jerr);
		if (back == NULL)
			fail_msg("doc %d does not parse: %s", i, jerr.text);
		assert_true(json_equal(v, back));
		assert_keys_sorted(back);
		assert_int_equal(canon_encode(back, &again, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(again, out, len);

		check_whitespace_refused(&g, out, len, 0);
		free(again);
		free(out);
		json_decref(back);
		json_decref(v);
	}
}

/*
 * Handwritten canonical documents: accepted, and parse + re-encode
 * reproduces them byte for byte.
 */
static void
test_accepted_bytes_reencode(void **state)
{
	static const char *const docs[] = {
		"{}",
		"{\"\":[],\"a\":{\"\":{}}}",
		"{\"a\":\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f"
		    " \\\"\\\\\"}",
		"{\"\\r\":1,\"1\":2,\"\xc2\x80\":3,\"\xc3\xb6\":4,"
		    "\"\xe2\x82\xac\":5,\"\xf0\x9f\x98\x80\":6,"
		    "\"\xef\xac\xb3\":7}",
		"{\"n\":[-9007199254740991,-1,0,1,9007199254740991]}",
		"{\"a\":[[[[[]]]],{\"b\":[null,true,false]}],\"seq\":0}",
	};
	json_error_t jerr;
	json_t *v;
	char *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_accepted(docs[i], strlen(docs[i]));
		v = json_loadb(docs[i], strlen(docs[i]), JSON_ALLOW_NUL, &jerr);
		if (v == NULL)
			fail_msg("%s: %s", docs[i], jerr.text);
		assert_int_equal(canon_encode(v, &out, &len), 0);
		assert_int_equal(len, strlen(docs[i]));
		assert_memory_equal(out, docs[i], len);
		free(out);
		json_decref(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_basic),
		cmocka_unit_test(test_encode_key_order_utf16),
		cmocka_unit_test(test_encode_key_order_rfc8785),
		cmocka_unit_test(test_encode_key_order_surrogates),
		cmocka_unit_test(test_encode_escapes),
		cmocka_unit_test(test_encode_each_control),
		cmocka_unit_test(test_encode_integers),
		cmocka_unit_test(test_encode_refuses_reals),
		cmocka_unit_test(test_encode_null_refused),
		cmocka_unit_test(test_depth_limit_agrees),
		cmocka_unit_test(test_encode_key_with_nul_refused),
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_reports_seq),
		cmocka_unit_test(test_check_refuses_whitespace),
		cmocka_unit_test(test_check_refuses_key_order),
		cmocka_unit_test(test_check_refuses_numbers),
		cmocka_unit_test(test_check_refuses_escapes),
		cmocka_unit_test(test_check_refuses_raw_controls),
		cmocka_unit_test(test_check_refuses_bad_utf8),
		cmocka_unit_test(test_check_refuses_structure),
		cmocka_unit_test(test_check_refuses_depth_bomb),
		cmocka_unit_test(test_check_refuses_nul_in_key),
		cmocka_unit_test(test_check_err_truncated),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_accepted_bytes_reencode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
