/*
 * test_escape.c -- unit tests for common/escape.c.
 *
 * Each hostile input is checked twice: against its exact expected escaped
 * form, and by a referee written here that decodes the output as UTF-8 and
 * refuses any C0 control, DEL, C1 control, bidi override or embedding,
 * line/paragraph separator, or invalid UTF-8 in it.  Truncation is driven
 * over every small buffer size with canary bytes after the buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/escape.h"

#define CANARY		0xa5
#define GUARD		32

/* ---- the referee ---- */

/* Decodes one strict UTF-8 sequence; 0 if invalid. */
static size_t
ref_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int
ref_dangerous(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	    cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/* out must be valid UTF-8 holding nothing a terminal would act on. */
static void
assert_terminal_safe(const char *out)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t n = strlen(out), i = 0, k;
	uint32_t cp = 0;

	while (i < n) {
		if ((k = ref_utf8(p + i, n - i, &cp)) == 0)
			fail_msg("invalid UTF-8 at byte %zu of output \"%s\"",
			    i, out);
		if (ref_dangerous(cp))
			fail_msg("U+%04X survives at byte %zu of output",
			    (unsigned int)cp, i);
		i += k;
	}
}

/* Escapes s[0..len) into a large buffer and compares with want. */
static void
expect_escaped(const char *s, size_t len, const char *want)
{
	char out[1024];

	assert_ptr_equal(escape_text(s, len, out, sizeof(out)), out);
	assert_string_equal(out, want);
	assert_terminal_safe(out);
}

#define EXPECT(lit, want)	expect_escaped((lit), sizeof(lit) - 1, (want))

/* ---- tests ---- */

static void
test_plain_ascii_kept(void **state)
{
	(void)state;
	EXPECT("Samsung Galaxy A52 (SM-A525F) ~!@#$%^&*()_+{}|:<>?",
	    "Samsung Galaxy A52 (SM-A525F) ~!@#$%^&*()_+{}|:<>?");
	EXPECT("", "");
}

static void
test_csi_escaped(void **state)
{
	(void)state;
	EXPECT("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	/* OSC 52 (clipboard write) and a title change. */
	EXPECT("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07");
	EXPECT("\x1b]0;pwned\x1b\\", "\\x1b]0;pwned\\x1b\\\\");
}

static void
test_c0_controls_escaped(void **state)
{
	char in[1], want[8];
	int c;

	(void)state;
	EXPECT("a\ab", "a\\x07b");
	EXPECT("over\rwrite", "over\\x0dwrite");
	EXPECT("line\nnext\ttab", "line\\nnext\\ttab");
	EXPECT("back\bspace", "back\\x08space");
	for (c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		if (c == '\n')
			(void)snprintf(want, sizeof(want), "\\n");
		else if (c == '\t')
			(void)snprintf(want, sizeof(want), "\\t");
		else
			(void)snprintf(want, sizeof(want), "\\x%02x", c);
		expect_escaped(in, 1, want);
	}
}

/* NUL is data: the length, not strlen, says where the input ends. */
static void
test_nul_by_length(void **state)
{
	(void)state;
	EXPECT("a\0b", "a\\x00b");
	EXPECT("\0\0", "\\x00\\x00");
	expect_escaped("abc", 0, "");
	expect_escaped("abcdef", 3, "abc");
}

static void
test_del_escaped(void **state)
{
	(void)state;
	EXPECT("x\x7fy", "x\\x7fy");
}

/* A backslash is escaped so that the output cannot be forged. */
static void
test_backslash_escaped(void **state)
{
	(void)state;
	EXPECT("C:\\x1b", "C:\\\\x1b");
	EXPECT("\\", "\\\\");
}

static void
test_c1_controls_escaped(void **state)
{
	char in[2], want[8], raw[8];
	int c;

	(void)state;
	/* U+009B (CSI) as UTF-8, then as a raw byte. */
	EXPECT("\xc2\x9b" "31m", "\\u009b31m");
	EXPECT("\x9b" "31m", "\\x9b31m");
	EXPECT("\xc2\x85", "\\u0085");
	for (c = 0x80; c < 0xa0; c++) {
		in[0] = (char)0xc2;
		in[1] = (char)c;
		(void)snprintf(want, sizeof(want), "\\u%04x", c);
		expect_escaped(in, 2, want);
		(void)snprintf(raw, sizeof(raw), "\\x%02x", c);
		expect_escaped(in + 1, 1, raw);
	}
	/* U+00A0 is the first code point past C1: kept. */
	EXPECT("\xc2\xa0", "\xc2\xa0");
}

/* Lone C1 bytes (not UTF-8) become \xNN. */
static void
test_c1_raw_bytes_escaped(void **state)
{
	char in[1], want[8], out[16];
	int c;

	(void)state;
	for (c = 0x80; c < 0x100; c++) {
		in[0] = (char)c;
		(void)snprintf(want, sizeof(want), "\\x%02x", c);
		escape_text(in, 1, out, sizeof(out));
		assert_string_equal(out, want);
	}
}

static void
test_bidi_and_separators_escaped(void **state)
{
	(void)state;
	/* "evil" U+202E "txt.exe" */
	EXPECT("evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe");
	EXPECT("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	    "\\u202a\\u202b\\u202c\\u202d");
	EXPECT("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	    "\\u2066\\u2067\\u2068\\u2069");
	EXPECT("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029");
}

static void
test_invalid_utf8_escaped(void **state)
{
	(void)state;
	EXPECT("\xff", "\\xff");
	EXPECT("\xfe\xff", "\\xfe\\xff");
	/* Overlong encodings of '/', of NUL and of ESC. */
	EXPECT("\xc0\xaf", "\\xc0\\xaf");
	EXPECT("\xc0\x80", "\\xc0\\x80");
	EXPECT("\xc0\x9b", "\\xc0\\x9b");
	EXPECT("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	EXPECT("\xe0\x81\x9b", "\\xe0\\x81\\x9b");
	EXPECT("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
	/* An overlong U+202E. */
	EXPECT("\xf0\x82\x80\xae", "\\xf0\\x82\\x80\\xae");
	/* Surrogates, beyond U+10FFFF, 5-byte forms. */
	EXPECT("\xed\xa0\x80", "\\xed\\xa0\\x80");
	EXPECT("\xed\xbf\xbf", "\\xed\\xbf\\xbf");
	EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	EXPECT("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
	/* Truncated, in the middle and at the end. */
	EXPECT("\xe2\x80x", "\\xe2\\x80x");
	EXPECT("ok\xe2\x80", "ok\\xe2\\x80");
	EXPECT("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	/* A lone continuation byte. */
	EXPECT("a\x80z", "a\\x80z");
}

static void
test_valid_utf8_kept(void **state)
{
	(void)state;
	EXPECT("caf\xc3\xa9", "caf\xc3\xa9");
	EXPECT("\xf0\x9f\x98\x80 \xf0\x9f\x93\xb1", "\xf0\x9f\x98\x80 "
	    "\xf0\x9f\x93\xb1");
	EXPECT("\xe2\x82\xac\xe4\xb8\xad\xd7\xa9\xd8\xb9",
	    "\xe2\x82\xac\xe4\xb8\xad\xd7\xa9\xd8\xb9");
	EXPECT("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	EXPECT("\xef\xbb\xbf" "x", "\xef\xbb\xbf" "x");
}

/* Every byte value, in every position of a short window, comes out safe. */
static void
test_all_byte_pairs_safe(void **state)
{
	char in[4], out[64];
	int a, b;

	(void)state;
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = (char)0x80;
			in[3] = (char)0x9b;
			escape_text(in, 4, out, sizeof(out));
			assert_terminal_safe(out);
		}
	}
}

/* A long hostile string mixing everything above. */
static size_t
hostile(char *buf, size_t max)
{
	static const char piece[] = "A\x1b[2J\xc2\x9b\xe2\x80\xae\xff"
	    "\xc3\xa9\r\0\x7f\xf0\x9f\x98\x80\\\xe0\x80\xaf\n\xc2";
	size_t n = 0;

	while (n + sizeof(piece) - 1 <= max) {
		memcpy(buf + n, piece, sizeof(piece) - 1);
		n += sizeof(piece) - 1;
	}
	return n;
}

/*
 * Marks in cut[] every length of full at which a whole number of input
 * elements has been escaped: the escaping of some prefix of the input.
 */
static void
mark_cuts(const char *in, size_t n, const char *full, unsigned char *cut,
    size_t cutlen)
{
	char *part;
	size_t j, plen, flen = strlen(full);

	assert_non_null(part = malloc(flen + 64));
	memset(cut, 0, cutlen);
	for (j = 0; j <= n; j++) {
		escape_text(in, j, part, flen + 64);
		plen = strlen(part);
		if (plen < cutlen && memcmp(part, full, plen) == 0)
			cut[plen] = 1;
	}
	free(part);
}

/*
 * For every buffer size: nothing written past outlen, always
 * NUL-terminated, safe, and the escaping of a prefix of the input (never
 * half an escape) followed by "..." when there is room for it.
 */
static void
test_truncation_never_overflows(void **state)
{
	char in[512], full[8192], *buf;
	unsigned char cut[8192];
	size_t n, outlen, i, olen;

	(void)state;
	n = hostile(in, sizeof(in));
	escape_text(in, n, full, sizeof(full));
	assert_true(strlen(full) > 200);
	assert_terminal_safe(full);
	mark_cuts(in, n, full, cut, sizeof(cut));
	assert_non_null(buf = malloc(200 + GUARD));
	for (outlen = 1; outlen <= 200; outlen++) {
		memset(buf, CANARY, outlen + GUARD);
		assert_ptr_equal(escape_text(in, n, buf, outlen), buf);
		for (i = outlen; i < outlen + GUARD; i++)
			if ((unsigned char)buf[i] != CANARY)
				fail_msg("outlen %zu: byte %zu past the buffer "
				    "was written", outlen, i - outlen);
		olen = strnlen(buf, outlen);
		assert_true(olen < outlen);
		assert_terminal_safe(buf);
		if (outlen < 4) {
			assert_int_equal(olen, 0);
			continue;
		}
		assert_true(olen >= 3);
		assert_memory_equal(buf + olen - 3, "...", 3);
		assert_memory_equal(buf, full, olen - 3);
		if (!cut[olen - 3])
			fail_msg("outlen %zu: cut inside an escape: \"%s\"",
			    outlen, buf);
	}
	free(buf);
}

/* outlen 0 writes nothing at all. */
static void
test_outlen_zero(void **state)
{
	char buf[4];

	(void)state;
	memset(buf, CANARY, sizeof(buf));
	assert_ptr_equal(escape_text("\x1b[31m", 5, buf, 0), buf);
	assert_int_equal((unsigned char)buf[0], CANARY);
}

/*
 * Text that fits is not truncated: "truncated with '...' if it does not
 * fit" (escape.h).
 */
static void
test_fitting_text_not_truncated(void **state)
{
	char buf[64 + GUARD];
	size_t outlen;

	(void)state;
	/* "hello" needs 6 bytes with its NUL. */
	for (outlen = 6; outlen <= 12; outlen++) {
		memset(buf, CANARY, sizeof(buf));
		escape_text("hello", 5, buf, outlen);
		if (strcmp(buf, "hello") != 0)
			fail_msg("\"hello\" in %zu bytes came out as \"%s\"",
			    outlen, buf);
	}
	/* "\x1b" escapes to 4 bytes: fits in 5. */
	escape_text("\x1b", 1, buf, 5);
	assert_string_equal(buf, "\\x1b");
	escape_text("a", 1, buf, 2);
	assert_string_equal(buf, "a");
	/* And text one byte too long is cut and marked. */
	escape_text("hello", 5, buf, 5);
	assert_string_equal(buf, "h...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ascii_kept),
		cmocka_unit_test(test_csi_escaped),
		cmocka_unit_test(test_c0_controls_escaped),
		cmocka_unit_test(test_nul_by_length),
		cmocka_unit_test(test_del_escaped),
		cmocka_unit_test(test_backslash_escaped),
		cmocka_unit_test(test_c1_controls_escaped),
		cmocka_unit_test(test_c1_raw_bytes_escaped),
		cmocka_unit_test(test_bidi_and_separators_escaped),
		cmocka_unit_test(test_invalid_utf8_escaped),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_all_byte_pairs_safe),
		cmocka_unit_test(test_truncation_never_overflows),
		cmocka_unit_test(test_outlen_zero),
		cmocka_unit_test(test_fitting_text_not_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
