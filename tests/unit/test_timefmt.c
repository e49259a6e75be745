/*
 * test_timefmt.c -- unit tests for common/timefmt.c.
 *
 * Known answers were computed with GNU date (date -u -d @SECONDS).  Local
 * offsets are checked with TZ set per test (and restored after), using
 * zones with a summer offset (Europe/London), a negative half-hour offset
 * (America/St_Johns) and a positive one (Asia/Kolkata).  The parser must
 * accept exactly what custody_time_from_ms writes: parse(format(ms)) == ms
 * for every ms, and format(parse(s)) == s for every s it accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/timefmt.h"

/* The TZ to restore after a test that changes it. */
struct tzsave {
	int	had;
	char	value[256];
};

static int
tz_setup(void **state)
{
	struct tzsave *s;
	const char *tz = getenv("TZ");

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if (tz != NULL && strlen(tz) < sizeof(s->value)) {
		s->had = 1;
		memcpy(s->value, tz, strlen(tz) + 1);
	}
	*state = s;
	return 0;
}

static int
tz_teardown(void **state)
{
	struct tzsave *s = *state;

	if (s->had)
		(void)setenv("TZ", s->value, 1);
	else
		(void)unsetenv("TZ");
	tzset();
	free(s);
	return 0;
}

static void
set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

static void
expect_time(int64_t ms, const char *utc)
{
	struct custody_time t;

	memset(&t, 0xa5, sizeof(t));
	assert_int_equal(custody_time_from_ms(ms, &t), 0);
	assert_string_equal(t.utc, utc);
	assert_int_equal(t.unix_ms, ms);
}

static void
expect_tz(const char *tz, int64_t ms, const char *offset)
{
	struct custody_time t;

	set_tz(tz);
	assert_int_equal(custody_time_from_ms(ms, &t), 0);
	if (strcmp(t.tz, offset) != 0)
		fail_msg("TZ=%s at %s: offset %s, want %s", tz, t.utc, t.tz,
		    offset);
}

static void
expect_parse_refused(const char *s)
{
	int64_t ms = -12345;
	int r;

	r = custody_time_parse(s, &ms);
	if (r != CUSTODY_ERR_INVAL)
		fail_msg("custody_time_parse(\"%s\") returned %d (ms %lld), "
		    "want CUSTODY_ERR_INVAL", s, r, (long long)ms);
	assert_int_equal(ms, -12345);	/* untouched on failure */
}

/* ---- tests ---- */

static void
test_from_ms_known(void **state)
{
	(void)state;
	expect_time(0, "1970-01-01T00:00:00.000Z");
	expect_time(1, "1970-01-01T00:00:00.001Z");
	expect_time(999, "1970-01-01T00:00:00.999Z");
	expect_time(1000, "1970-01-01T00:00:01.000Z");
	expect_time(86399999, "1970-01-01T23:59:59.999Z");
	/* date -u -d @1795329652: Sun Nov 22 06:40:52 UTC 2026 */
	expect_time(1795329652123LL, "2026-11-22T06:40:52.123Z");
	/* A leap day. */
	expect_time(951825600007LL, "2000-02-29T12:00:00.007Z");
	expect_time(4102444799999LL, "2099-12-31T23:59:59.999Z");
}

static void
test_from_ms_refuses_negative(void **state)
{
	struct custody_time t;

	(void)state;
	assert_int_equal(custody_time_from_ms(-1, &t), CUSTODY_ERR_RANGE);
	assert_int_equal(custody_time_from_ms(INT64_MIN, &t),
	    CUSTODY_ERR_RANGE);
}

static void
test_tz_utc(void **state)
{
	(void)state;
	expect_tz("UTC", 1795329652123LL, "+00:00");
	expect_tz("UTC0", 0, "+00:00");
}

static void
test_tz_london(void **state)
{
	(void)state;
	/* 2026-07-01T12:00:00Z: British Summer Time. */
	expect_tz("Europe/London", 1782907200000LL, "+01:00");
	/* 2026-01-15T12:00:00Z: Greenwich Mean Time. */
	expect_tz("Europe/London", 1768478400000LL, "+00:00");
	/* The spring change, 2026-03-29T01:00:00Z, either side of it. */
	expect_tz("Europe/London", 1774745999999LL, "+00:00");
	expect_tz("Europe/London", 1774746000000LL, "+01:00");
	/* The UTC text does not depend on TZ. */
	expect_time(1782907200000LL, "2026-07-01T12:00:00.000Z");
}

static void
test_tz_half_hours(void **state)
{
	(void)state;
	/* Newfoundland in winter: -03:30; in summer: -02:30. */
	expect_tz("America/St_Johns", 1768478400000LL, "-03:30");
	expect_tz("America/St_Johns", 1782907200000LL, "-02:30");
	expect_tz("Asia/Kolkata", 1768478400000LL, "+05:30");
	/* A POSIX TZ string with a negative offset west of Greenwich. */
	expect_tz("XXX+09:15", 0, "-09:15");
}

static void
test_now(void **state)
{
	struct custody_time t;
	int64_t ms = 0;
	time_t before = time(NULL);

	(void)state;
	assert_int_equal(custody_time_now(&t), 0);
	assert_true(t.unix_ms / 1000 >= (int64_t)before - 1);
	assert_true(t.unix_ms / 1000 <= (int64_t)time(NULL) + 1);
	assert_int_equal(custody_time_parse(t.utc, &ms), 0);
	assert_int_equal(ms, t.unix_ms);
}

static void
test_parse_known(void **state)
{
	int64_t ms = -1;

	(void)state;
	assert_int_equal(custody_time_parse("1970-01-01T00:00:00.000Z", &ms),
	    0);
	assert_int_equal(ms, 0);
	assert_int_equal(custody_time_parse("2026-11-22T06:40:52.123Z", &ms),
	    0);
	assert_int_equal(ms, 1795329652123LL);
	assert_int_equal(custody_time_parse("2000-02-29T12:00:00.007Z", &ms),
	    0);
	assert_int_equal(ms, 951825600007LL);
}

/* parse(format(ms)) == ms over fixed and pseudo-random instants. */
static void
test_parse_round_trip(void **state)
{
	static const int64_t fixed[] = {
		0, 1, 999, 1000, 59999, 86399999, 86400000, 951825600007LL,
		1795329652123LL, 1782907200000LL, 4102444799999LL,
		253402300799999LL,	/* 9999-12-31T23:59:59.999Z */
	};
	struct custody_time t;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int64_t ms, back;
	size_t i;

	(void)state;
	set_tz("Europe/London");
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 2000; i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0]))
			ms = fixed[i];
		else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			ms = (int64_t)(x % 253402300800000ULL);
		}
		assert_int_equal(custody_time_from_ms(ms, &t), 0);
		assert_int_equal(strlen(t.utc), 24);
		back = -1;
		if (custody_time_parse(t.utc, &back) != 0 || back != ms)
			fail_msg("%s: parsed back as %lld, want %lld", t.utc,
			    (long long)back, (long long)ms);
	}
}

static void
test_parse_refusals(void **state)
{
	(void)state;
	expect_parse_refused("");
	expect_parse_refused("2026");
	/* Wrong length. */
	expect_parse_refused("2026-11-22T06:40:52.12Z");
	expect_parse_refused("2026-11-22T06:40:52.1234Z");
	expect_parse_refused("2026-11-22T06:40:52Z");
	expect_parse_refused("2026-11-22");
	/* Missing Z, or another zone. */
	expect_parse_refused("2026-11-22T06:40:52.123");
	expect_parse_refused("2026-11-22T06:40:52.1234");
	expect_parse_refused("2026-11-22T06:40:52.123z");
	expect_parse_refused("2026-11-22T06:40:52.123+00:00");
	expect_parse_refused("2026-11-22T06:40:52.123+0");
	/* Trailing junk. */
	expect_parse_refused("2026-11-22T06:40:52.123Z ");
	expect_parse_refused("2026-11-22T06:40:52.123Zx");
	expect_parse_refused("2026-11-22T06:40:52.123Z\n");
	/* Out of range fields. */
	expect_parse_refused("2026-13-01T00:00:00.000Z");
	expect_parse_refused("2026-00-01T00:00:00.000Z");
	expect_parse_refused("2026-01-00T00:00:00.000Z");
	expect_parse_refused("2026-01-32T00:00:00.000Z");
	expect_parse_refused("2026-01-01T24:00:00.000Z");
	expect_parse_refused("2026-01-01T00:60:00.000Z");
	expect_parse_refused("2026-01-01T00:00:61.000Z");
	expect_parse_refused("1969-12-31T23:59:59.999Z");
	/* Wrong separators. */
	expect_parse_refused("2026-11-22 06:40:52.123Z");
	expect_parse_refused("2026-11-22t06:40:52.123Z");
	expect_parse_refused("2026/11/22T06:40:52.123Z");
	expect_parse_refused("2026-11-22T06:40:52,123Z");
	expect_parse_refused("2026-11-22T06-40-52.123Z");
	/* Not digits. */
	expect_parse_refused("2026-1a-22T06:40:52.123Z");
	expect_parse_refused("20x6-11-22T06:40:52.123Z");
}

/*
 * Fields that sscanf's %d would take but that are not digits: a sign or
 * leading spaces.  custody_time_from_ms never writes these, so the parser
 * must not accept them.
 */
static void
test_parse_refuses_signs_and_spaces(void **state)
{
	(void)state;
	expect_parse_refused("2026-+1-22T06:40:52.123Z");
	expect_parse_refused("2026- 1-22T06:40:52.123Z");
	expect_parse_refused("2026-11-+2T06:40:52.123Z");
	expect_parse_refused("2026-11-22T+6:40:52.123Z");
	expect_parse_refused("2026-11-22T06: 0:52.123Z");
	expect_parse_refused("2026-11-22T06:40:52.+12Z");
	expect_parse_refused("2026-11-22T06:40:52. 12Z");
	expect_parse_refused("+026-11-22T06:40:52.123Z");
	expect_parse_refused("2026-11-22T 6:40:52.123Z");
	expect_parse_refused("2026-11-22T06:40:52.-01Z");
}

/*
 * Days that do not exist in their month must be refused, not rolled over
 * by timegm into the next month.
 */
static void
test_parse_refuses_impossible_dates(void **state)
{
	(void)state;
	expect_parse_refused("2026-02-29T00:00:00.000Z");	/* not leap */
	expect_parse_refused("2026-02-30T00:00:00.000Z");
	expect_parse_refused("2026-04-31T00:00:00.000Z");
	expect_parse_refused("2100-02-29T00:00:00.000Z");
}

/* Whatever the parser accepts, formatting gives back the same text. */
static void
test_parse_accepts_only_canonical(void **state)
{
	static const char *const probes[] = {
		"2024-02-29T00:00:00.000Z",
		"2026-11-22T06:40:52.123Z",
		"2026-02-29T00:00:00.000Z",
		"2026-06-31T12:00:00.000Z",
		"2026-+1-22T06:40:52.123Z",
		"2026-11-22T06:40:52.+12Z",
	};
	struct custody_time t;
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (custody_time_parse(probes[i], &ms) != 0)
			continue;
		assert_int_equal(custody_time_from_ms(ms, &t), 0);
		if (strcmp(t.utc, probes[i]) != 0)
			fail_msg("\"%s\" was accepted as %s", probes[i], t.utc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_ms_known),
		cmocka_unit_test(test_from_ms_refuses_negative),
		cmocka_unit_test_setup_teardown(test_tz_utc, tz_setup,
		    tz_teardown),
		cmocka_unit_test_setup_teardown(test_tz_london, tz_setup,
		    tz_teardown),
		cmocka_unit_test_setup_teardown(test_tz_half_hours, tz_setup,
		    tz_teardown),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_parse_known),
		cmocka_unit_test_setup_teardown(test_parse_round_trip,
		    tz_setup, tz_teardown),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_refuses_signs_and_spaces),
		cmocka_unit_test(test_parse_refuses_impossible_dates),
		cmocka_unit_test(test_parse_accepts_only_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
