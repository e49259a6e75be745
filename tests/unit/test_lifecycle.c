/*
 * test_lifecycle.c -- unit tests for evidence/lifecycle.c.
 *
 * The heart is an exhaustive comparison: every state x action x role x the
 * eight combinations of (in_case, offence_suspected, police_referred) is
 * put to lifecycle_next and its answer compared with expect_outcome below,
 * which writes the rules of DESIGN section 7 out again as plain switch
 * statements rather than a table, so a slip in lifecycle.c's table does
 * not repeat itself here.  Each refusal's reason is checked for its kind
 * ("forbidden:" or "refused:"), for being one printable line, and for
 * naming the role or the state or the case flag it is about; *next must be
 * untouched by a refusal.  Also: the examples of the rules word for word,
 * name/parse round trips and refusals, out-of-range inputs, and reasons
 * written into tiny buffers guarded by a canary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "evidence/lifecycle.h"

#define WHYLEN		256
#define CANARY		'\x5a'
#define UNTOUCHED	((enum dev_state)77)

enum outcome {
	ALLOWED,
	FORBIDDEN,	/* the role may never do it */
	CLOSED,		/* terminal state */
	CASE_LOCKED,	/* the case forbids it now */
	WRONG_STATE,	/* the state forbids it now */
};

/* ---- the rules, written out again ---- */

/* May role r ever do action a? */
static int
expect_may_ever(enum role r, enum dev_action a)
{
	switch (r) {
	case ROLE_STAFF:
		return a == ACT_REGISTER || a == ACT_MOVE;
	case ROLE_SLT:
	case ROLE_HEAD:
		return a != ACT_HANDOVER;
	case ROLE_DSL:
		return 1;
	case ROLE_NONE:
	case ROLE_POLICE:
	case ROLE_ADMIN:
	case ROLE_AUDITOR:
	default:
		return 0;
	}
}

/* The state action a leads to from s, or -1 if it cannot start there. */
static int
expect_target(enum dev_state s, enum dev_action a)
{
	switch (a) {
	case ACT_REGISTER:
		return s == DEV_NONE || s == DEV_DETECTED ? DEV_HELD : -1;
	case ACT_SEAL:
	case ACT_MOVE:
	case ACT_SEARCH:
	case ACT_REFER:
		return s == DEV_HELD ? DEV_HELD : -1;
	case ACT_CHECKOUT:
		return s == DEV_HELD ? DEV_CHECKED_OUT : -1;
	case ACT_RETURN:
		return s == DEV_CHECKED_OUT ? DEV_HELD : -1;
	case ACT_RELEASE:
		return s == DEV_HELD ? DEV_RELEASED : -1;
	case ACT_HANDOVER:
		if (s == DEV_HELD || s == DEV_CHECKED_OUT)
			return DEV_HANDED_TO_POLICE;
		return -1;
	default:
		return -1;
	}
}

/*
 * What lifecycle_next must answer; sets *next for ALLOWED.  The order:
 * role, terminal state, case, state.
 */
static enum outcome
expect_outcome(enum dev_state s, enum dev_action a, enum role r, int in_case,
    int offence, int referred, int suspected, enum dev_state *next)
{
	int to;

	if (!expect_may_ever(r, a))
		return FORBIDDEN;
	if (s == DEV_RELEASED || s == DEV_HANDED_TO_POLICE)
		return CLOSED;
	if ((a == ACT_RELEASE || a == ACT_SEARCH) && (offence || referred))
		return CASE_LOCKED;
	/* UKCIS: suspected images are never searched for by school staff,
	 * and only the DSL releases such a device. */
	if (a == ACT_SEARCH && suspected)
		return CASE_LOCKED;
	if (a == ACT_RELEASE && suspected && r != ROLE_DSL)
		return CASE_LOCKED;
	if (a == ACT_HANDOVER && !(in_case && referred))
		return CASE_LOCKED;
	if ((to = expect_target(s, a)) < 0)
		return WRONG_STATE;
	*next = (enum dev_state)to;
	return ALLOWED;
}

/* A phrase a refusal about state s must contain. */
static const char *
state_phrase(enum dev_state s)
{
	switch (s) {
	case DEV_NONE:
		return "not registered";
	case DEV_DETECTED:
		return "detected";
	case DEV_HELD:
		return "held";
	case DEV_CHECKED_OUT:
		return "checked_out";
	case DEV_RELEASED:
		return "released to a parent/carer";
	case DEV_HANDED_TO_POLICE:
		return "handed to police";
	default:
		return "?";
	}
}

static const char *const outcome_names[] = {
	"allowed", "forbidden", "closed", "case-locked", "wrong-state",
};

/* ---- helpers ---- */

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* why must be one non-empty line of printable ASCII. */
static void
assert_one_line(const char *why)
{
	const char *p;

	if (why[0] == '\0')
		fail_msg("empty reason");
	for (p = why; *p != '\0'; p++)
		if (*p < ' ' || *p > '~')
			fail_msg("reason has byte 0x%02x at %td: \"%s\"",
			    (unsigned char)*p, p - why, why);
}

/* The reason for a refusal of kind o, in situation (s, a, r, flags). */
static void
check_reason(enum outcome o, enum dev_state s, enum dev_action a,
    enum role r, int in_case, int offence, int referred, int suspected,
    const char *why)
{
	char want[128];

	assert_one_line(why);
	switch (o) {
	case FORBIDDEN:
		(void)snprintf(want, sizeof(want),
		    "forbidden: role %s cannot %s a device; ", role_name(r),
		    dev_action_name(a));
		if (!starts_with(why, want))
			fail_msg("\"%s\" does not start \"%s\"", why, want);
		if (r == ROLE_ADMIN &&
		    strstr(why, "technical staff never handle devices") == NULL)
			fail_msg("admin reason: \"%s\"", why);
		if (r == ROLE_AUDITOR &&
		    strstr(why, "governors see figures only") == NULL)
			fail_msg("auditor reason: \"%s\"", why);
		if (r == ROLE_NONE && strstr(why, "log in") == NULL)
			fail_msg("none reason: \"%s\"", why);
		if ((r == ROLE_STAFF || r == ROLE_SLT || r == ROLE_HEAD) &&
		    strstr(why, "; ask ") == NULL)
			fail_msg("says whom to ask: \"%s\"", why);
		return;
	case CLOSED:
		if (!starts_with(why, "refused: device was ") ||
		    strstr(why, state_phrase(s)) == NULL ||
		    strstr(why, "its record is closed") == NULL)
			fail_msg("closed: \"%s\"", why);
		return;
	case CASE_LOCKED:
		if (!starts_with(why, "refused: "))
			fail_msg("case: \"%s\"", why);
		if (a == ACT_HANDOVER) {
			if (strstr(why, in_case ? "no police referral" :
			    "in no case") == NULL)
				fail_msg("handover: \"%s\"", why);
			return;
		}
		if (!offence && !referred && suspected) {
			if (strstr(why, "suspected images") == NULL ||
			    strstr(why, "refer it to the DSL") == NULL)
				fail_msg("suspected: \"%s\"", why);
			return;
		}
		if ((offence && strstr(why, "offence_suspected") == NULL) ||
		    (referred && strstr(why, "police_referred") == NULL) ||
		    strstr(why, "DSL") == NULL)
			fail_msg("flags %d/%d: \"%s\"", offence, referred, why);
		if (a == ACT_SEARCH && strstr(why, "do not search it") == NULL)
			fail_msg("search: \"%s\"", why);
		if (a == ACT_RELEASE && strstr(why,
		    "cannot be released to a parent/carer") == NULL)
			fail_msg("release: \"%s\"", why);
		return;
	case WRONG_STATE:
		if (!starts_with(why, "refused: device is ") ||
		    strstr(why, state_phrase(s)) == NULL)
			fail_msg("state %s: \"%s\"", dev_state_name(s), why);
		if (a == ACT_REGISTER &&
		    strstr(why, "already registered") == NULL)
			fail_msg("register: \"%s\"", why);
		return;
	case ALLOWED:
		break;
	}
	fail_msg("check_reason(ALLOWED)");
}

/* Asks lifecycle_next for exactly this and expects reason want. */
static void
expect_reason(enum dev_state s, enum dev_action a, enum role r, int in_case,
    int offence, int referred, const char *want)
{
	struct dev_facts f = { s, in_case, offence, referred, 0 };
	enum dev_state next = UNTOUCHED;
	char why[WHYLEN];

	assert_int_equal(lifecycle_next(&f, a, r, &next, why, sizeof(why)),
	    -1);
	assert_string_equal(why, want);
	assert_int_equal(next, UNTOUCHED);
}

/* ---- tests ---- */

/* Every state x action x role x flags against expect_outcome. */
static void
test_exhaustive(void **state)
{
	unsigned int s, a, r, bits, n = 0, count[5] = { 0 };

	for (s = 0; s < DEV_STATE_COUNT; s++)
	for (a = 0; a < ACT_COUNT; a++)
	for (r = 0; r < ROLE_COUNT; r++)
	for (bits = 0; bits < 16; bits++) {
		struct dev_facts f = { (enum dev_state)s, bits & 1,
		    (bits >> 1) & 1, (bits >> 2) & 1, (bits >> 3) & 1 };
		enum dev_state next = UNTOUCHED, want = UNTOUCHED;
		enum outcome o;
		char why[WHYLEN];
		int rc;

		memset(why, CANARY, sizeof(why));
		o = expect_outcome(f.state, (enum dev_action)a, (enum role)r,
		    f.in_case, f.offence_suspected, f.police_referred,
		    f.suspected, &want);
		rc = lifecycle_next(&f, (enum dev_action)a, (enum role)r,
		    &next, why, sizeof(why));
		if ((rc == 0) != (o == ALLOWED))
			fail_msg("%s %s by %s, case %u: got %d (\"%s\"), "
			    "want %s", dev_state_name(f.state),
			    dev_action_name((enum dev_action)a),
			    role_name((enum role)r), bits, rc,
			    rc == 0 ? "" : why, outcome_names[o]);
		if (o == ALLOWED) {
			assert_int_equal(next, want);
			assert_string_equal(why, "");
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(next, UNTOUCHED);
			check_reason(o, f.state, (enum dev_action)a,
			    (enum role)r, f.in_case, f.offence_suspected,
			    f.police_referred, f.suspected, why);
		}
		count[o]++;
		n++;
	}
	assert_int_equal(n, DEV_STATE_COUNT * ACT_COUNT * ROLE_COUNT * 16);
	/* Every kind of answer happened, so none was tested vacuously. */
	for (s = 0; s < 5; s++)
		if (count[s] == 0)
			fail_msg("no case came out %s", outcome_names[s]);
}

/* UKCIS: suspected images are never searched for; the DSL releases. */
static void
test_suspected_images(void **state)
{
	struct dev_facts f = { DEV_HELD, 0, 0, 0, 1 };
	enum dev_state next = UNTOUCHED;
	char why[WHYLEN];

	assert_int_equal(lifecycle_next(&f, ACT_SEARCH, ROLE_SLT, &next, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "refused: device was confiscated for "
	    "suspected images; do not search it; refer it to the DSL "
	    "(custody device refer)");
	assert_int_equal(lifecycle_next(&f, ACT_SEARCH, ROLE_DSL, &next, why,
	    sizeof(why)), -1);
	assert_int_equal(lifecycle_next(&f, ACT_RELEASE, ROLE_SLT, &next, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "only the DSL may release it"));
	assert_int_equal(lifecycle_next(&f, ACT_RELEASE, ROLE_DSL, &next, why,
	    sizeof(why)), 0);
	assert_int_equal(next, DEV_RELEASED);
}

/* The examples the rules are written with, word for word. */
static void
test_reasons_verbatim(void **state)
{
	expect_reason(DEV_HELD, ACT_RELEASE, ROLE_STAFF, 0, 0, 0,
	    "forbidden: role staff cannot release a device; ask a senior "
	    "leader");
	/* The role comes before the state. */
	expect_reason(DEV_RELEASED, ACT_RELEASE, ROLE_STAFF, 0, 0, 0,
	    "forbidden: role staff cannot release a device; ask a senior "
	    "leader");
	expect_reason(DEV_HELD, ACT_HANDOVER, ROLE_SLT, 1, 0, 1,
	    "forbidden: role slt cannot handover a device; ask the DSL");
	expect_reason(DEV_HELD, ACT_REGISTER, ROLE_ADMIN, 0, 0, 0,
	    "forbidden: role admin cannot register a device; technical "
	    "staff never handle devices");
	expect_reason(DEV_HELD, ACT_MOVE, ROLE_AUDITOR, 0, 0, 0,
	    "forbidden: role auditor cannot move a device; governors see "
	    "figures only");
	expect_reason(DEV_NONE, ACT_REGISTER, ROLE_NONE, 0, 0, 0,
	    "forbidden: role none cannot register a device; log in first "
	    "(custody login)");
	expect_reason(DEV_RELEASED, ACT_RELEASE, ROLE_SLT, 0, 0, 0,
	    "refused: device was released to a parent/carer; its record is "
	    "closed");
	expect_reason(DEV_HANDED_TO_POLICE, ACT_MOVE, ROLE_STAFF, 1, 1, 1,
	    "refused: device was handed to police; its record is closed");
	expect_reason(DEV_CHECKED_OUT, ACT_CHECKOUT, ROLE_SLT, 0, 0, 0,
	    "refused: device is checked_out; return it first (custody "
	    "device return)");
	expect_reason(DEV_NONE, ACT_SEAL, ROLE_SLT, 0, 0, 0,
	    "refused: device is not registered; register it first (custody "
	    "device register)");
	expect_reason(DEV_HELD, ACT_REGISTER, ROLE_STAFF, 0, 0, 0,
	    "refused: device is already registered (state held)");
	expect_reason(DEV_HELD, ACT_RELEASE, ROLE_HEAD, 1, 1, 0,
	    "refused: device's case is flagged offence_suspected; it cannot "
	    "be released to a parent/carer; ask the DSL");
	expect_reason(DEV_HELD, ACT_SEARCH, ROLE_DSL, 1, 1, 1,
	    "refused: device's case is flagged offence_suspected and "
	    "police_referred; do not search it; the DSL decides with police");
	expect_reason(DEV_HELD, ACT_HANDOVER, ROLE_DSL, 1, 1, 0,
	    "refused: device's case has no police referral; the DSL refers "
	    "it first (custody case refer)");
}

/* The main paths through the lifecycle succeed, one after another. */
static void
test_walk(void **state)
{
	struct dev_facts f = { DEV_DETECTED, 0, 0, 0, 0 };
	static const struct {
		enum dev_action	a;
		enum role	r;
		enum dev_state	to;
	} steps[] = {
		{ ACT_REGISTER, ROLE_STAFF, DEV_HELD },
		{ ACT_MOVE, ROLE_STAFF, DEV_HELD },
		{ ACT_SEAL, ROLE_SLT, DEV_HELD },
		{ ACT_SEARCH, ROLE_SLT, DEV_HELD },
		{ ACT_CHECKOUT, ROLE_HEAD, DEV_CHECKED_OUT },
		{ ACT_RETURN, ROLE_DSL, DEV_HELD },
		{ ACT_REFER, ROLE_SLT, DEV_HELD },
		{ ACT_RELEASE, ROLE_SLT, DEV_RELEASED },
	};
	enum dev_state next;
	char why[WHYLEN];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		next = UNTOUCHED;
		if (lifecycle_next(&f, steps[i].a, steps[i].r, &next, why,
		    sizeof(why)) != 0)
			fail_msg("step %zu: %s", i, why);
		assert_int_equal(next, steps[i].to);
		f.state = next;
	}
	/* A referred device goes to police even while checked out. */
	f = (struct dev_facts){ DEV_CHECKED_OUT, 1, 1, 1, 0 };
	assert_int_equal(lifecycle_next(&f, ACT_HANDOVER, ROLE_DSL, &next,
	    why, sizeof(why)), 0);
	assert_int_equal(next, DEV_HANDED_TO_POLICE);
}

/* Case flags without a case (contradictory facts) still lock. */
static void
test_flags_without_case(void **state)
{
	expect_reason(DEV_HELD, ACT_RELEASE, ROLE_SLT, 0, 0, 1,
	    "refused: device's case is flagged police_referred; it cannot be "
	    "released to a parent/carer; ask the DSL");
	expect_reason(DEV_HELD, ACT_HANDOVER, ROLE_DSL, 0, 1, 1,
	    "refused: device is in no case; the DSL opens one, links the "
	    "device and refers it to police first (custody case open)");
}

static void
test_names_round_trip(void **state)
{
	enum role r;
	enum dev_state s;
	unsigned int i, j;

	assert_string_equal(role_name(ROLE_NONE), "none");
	for (i = ROLE_NONE + 1; i < ROLE_COUNT; i++) {
		r = ROLE_NONE;
		assert_int_equal(role_parse(role_name((enum role)i), &r), 0);
		assert_int_equal(r, i);
	}
	for (i = 0; i < DEV_STATE_COUNT; i++) {
		s = UNTOUCHED;
		assert_int_equal(dev_state_parse(
		    dev_state_name((enum dev_state)i), &s), 0);
		assert_int_equal(s, i);
	}
	/* Names are distinct and exactly the documented ones. */
	for (i = 0; i < ACT_COUNT; i++)
		for (j = i + 1; j < ACT_COUNT; j++)
			assert_string_not_equal(
			    dev_action_name((enum dev_action)i),
			    dev_action_name((enum dev_action)j));
	assert_string_equal(role_name(ROLE_STAFF), "staff");
	assert_string_equal(role_name(ROLE_SLT), "slt");
	assert_string_equal(role_name(ROLE_DSL), "dsl");
	assert_string_equal(role_name(ROLE_HEAD), "head");
	assert_string_equal(role_name(ROLE_POLICE), "police");
	assert_string_equal(role_name(ROLE_ADMIN), "admin");
	assert_string_equal(role_name(ROLE_AUDITOR), "auditor");
	assert_string_equal(dev_state_name(DEV_NONE), "none");
	assert_string_equal(dev_state_name(DEV_DETECTED), "detected");
	assert_string_equal(dev_state_name(DEV_HELD), "held");
	assert_string_equal(dev_state_name(DEV_CHECKED_OUT), "checked_out");
	assert_string_equal(dev_state_name(DEV_RELEASED), "released");
	assert_string_equal(dev_state_name(DEV_HANDED_TO_POLICE),
	    "handed_to_police");
	assert_string_equal(dev_action_name(ACT_REGISTER), "register");
	assert_string_equal(dev_action_name(ACT_SEAL), "seal");
	assert_string_equal(dev_action_name(ACT_MOVE), "move");
	assert_string_equal(dev_action_name(ACT_CHECKOUT), "checkout");
	assert_string_equal(dev_action_name(ACT_RETURN), "return");
	assert_string_equal(dev_action_name(ACT_SEARCH), "search");
	assert_string_equal(dev_action_name(ACT_REFER), "refer");
	assert_string_equal(dev_action_name(ACT_RELEASE), "release");
	assert_string_equal(dev_action_name(ACT_HANDOVER), "handover");
}

static void
test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"none", "", "Staff", "STAFF", " staff", "staff ", "sta",
		"staffx", "dsl\n", "governor", "root",
	};
	static const char *const bad_state[] = {
		"", "Held", "held ", "checked-out", "checkedout", "release",
		"handed", "unknown",
	};
	enum role r = ROLE_AUDITOR;
	enum dev_state s = UNTOUCHED;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (role_parse(bad[i], &r) != -1)
			fail_msg("role_parse accepted \"%s\"", bad[i]);
		assert_int_equal(r, ROLE_AUDITOR);
	}
	assert_int_equal(role_parse(NULL, &r), -1);
	assert_int_equal(r, ROLE_AUDITOR);
	for (i = 0; i < sizeof(bad_state) / sizeof(bad_state[0]); i++) {
		if (dev_state_parse(bad_state[i], &s) != -1)
			fail_msg("dev_state_parse accepted \"%s\"",
			    bad_state[i]);
		assert_int_equal(s, UNTOUCHED);
	}
	assert_int_equal(dev_state_parse(NULL, &s), -1);
	assert_int_equal(s, UNTOUCHED);
}

/* Out-of-range values get a name and a refusal, never a crash. */
static void
test_out_of_range(void **state)
{
	struct dev_facts f = { DEV_HELD, 0, 0, 0, 0 };
	enum dev_state next = UNTOUCHED;
	char why[WHYLEN];

	assert_string_equal(role_name(ROLE_COUNT), "unknown");
	assert_string_equal(role_name((enum role)1000), "unknown");
	assert_string_equal(dev_state_name(DEV_STATE_COUNT), "unknown");
	assert_string_equal(dev_action_name(ACT_COUNT), "unknown");

	assert_int_equal(lifecycle_next(&f, ACT_COUNT, ROLE_DSL, &next, why,
	    sizeof(why)), -1);
	assert_true(starts_with(why, "refused: "));
	assert_int_equal(lifecycle_next(&f, ACT_SEAL, ROLE_COUNT, &next, why,
	    sizeof(why)), -1);
	assert_true(starts_with(why, "forbidden: role unknown "));
	assert_int_equal(lifecycle_next(&f, ACT_SEAL, (enum role)-1, &next,
	    why, sizeof(why)), -1);
	assert_true(starts_with(why, "forbidden: "));
	f.state = DEV_STATE_COUNT;
	assert_int_equal(lifecycle_next(&f, ACT_SEAL, ROLE_DSL, &next, why,
	    sizeof(why)), -1);
	assert_true(starts_with(why, "refused: "));
	f.state = (enum dev_state)-1;
	assert_int_equal(lifecycle_next(&f, ACT_SEAL, ROLE_DSL, &next, why,
	    sizeof(why)), -1);
	assert_int_equal(lifecycle_next(NULL, ACT_SEAL, ROLE_DSL, &next, why,
	    sizeof(why)), -1);
	assert_true(starts_with(why, "refused: "));
	assert_int_equal(next, UNTOUCHED);
}

/*
 * Every refusal written into buffers of 0, 1, 8 and 40 bytes: the prefix of
 * the full reason, NUL-terminated, and the byte after the buffer untouched.
 * why == NULL is allowed.
 */
static void
test_tiny_buffers(void **state)
{
	static const size_t sizes[] = { 0, 1, 8, 40 };
	unsigned int s, a, r, bits, k, refusals = 0;

	for (s = 0; s < DEV_STATE_COUNT; s++)
	for (a = 0; a < ACT_COUNT; a++)
	for (r = 0; r < ROLE_COUNT; r++)
	for (bits = 0; bits < 16; bits++) {
		struct dev_facts f = { (enum dev_state)s, bits & 1,
		    (bits >> 1) & 1, (bits >> 2) & 1, (bits >> 3) & 1 };
		char full[WHYLEN], buf[64];
		enum dev_state next = UNTOUCHED;
		size_t n;
		int rc;

		rc = lifecycle_next(&f, (enum dev_action)a, (enum role)r,
		    &next, full, sizeof(full));
		assert_int_equal(lifecycle_next(&f, (enum dev_action)a,
		    (enum role)r, &next, NULL, 0), rc);
		assert_int_equal(lifecycle_next(&f, (enum dev_action)a,
		    (enum role)r, &next, NULL, 8), rc);
		if (rc == 0)
			continue;
		refusals++;
		assert_int_equal(next, UNTOUCHED);
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			memset(buf, CANARY, sizeof(buf));
			assert_int_equal(lifecycle_next(&f,
			    (enum dev_action)a, (enum role)r, &next, buf + 1,
			    sizes[k]), -1);
			assert_int_equal(buf[0], CANARY);
			assert_int_equal(buf[1 + sizes[k]], CANARY);
			if (sizes[k] == 0)
				continue;
			n = strlen(buf + 1);
			assert_int_equal(n, strlen(full) < sizes[k] - 1 ?
			    strlen(full) : sizes[k] - 1);
			assert_memory_equal(buf + 1, full, n);
		}
	}
	assert_true(refusals > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_suspected_images),
		cmocka_unit_test(test_reasons_verbatim),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_flags_without_case),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_tiny_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
