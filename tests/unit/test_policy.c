/*
 * test_policy.c -- unit tests for daemon/policy.c.
 *
 * The table is checked against a second copy written here in another
 * form: role names as words and flags as letters ("P" public, "S" step-up,
 * "W" write).  Every (op, role) pair is put to policy_check, whose answer
 * must follow the role's bit in the mask, with the refusal worded exactly.
 * The policy and the lifecycle must agree: for every device.<action>
 * request, the roles the policy admits are exactly the roles for which
 * lifecycle_next allows that action in some situation.  And the
 * separations the design requires are checked as properties of the whole
 * table: admin and auditor reach no device or case request, police write
 * nothing but their own password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/policy.h"
#include "evidence/lifecycle.h"

#define WHYLEN		256
#define CANARY		'\x5a'
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct want_rule {
	const char	*op;
	const char	*roles;		/* role names, space-separated */
	const char	*flags;		/* letters: P, S, W */
	const char	*ask;
};

#define ALL7	"staff slt dsl head police admin auditor"

static const struct want_rule want_rules[] = {
	{ "auth.login", "none " ALL7, "P", NULL },
	{ "auth.logout", ALL7, "", NULL },
	{ "auth.whoami", ALL7, "", NULL },
	{ "auth.passwd", ALL7, "SW", NULL },
	{ "station.status", ALL7, "", NULL },
	{ "log.receipt", ALL7, "", NULL },
	{ "log.verify", ALL7, "", NULL },
	{ "report", "auditor dsl head", "", "ask the DSL or the headteacher" },
	{ "user.add", "admin", "SW", "ask the station technician (admin)" },
	{ "user.passwd", "admin", "SW", "ask the station technician (admin)" },
	{ "user.role", "admin", "SW", "ask the station technician (admin)" },
	{ "user.disable", "admin", "W", "ask the station technician (admin)" },
	{ "user.list", "admin dsl", "", NULL },
	{ "police.add", "dsl", "SW", "ask the DSL" },
	{ "device.register", "staff slt dsl head", "W", NULL },
	{ "device.move", "staff slt dsl head", "W", NULL },
	{ "device.seal", "slt dsl head", "W", "ask a senior leader" },
	{ "device.checkout", "slt dsl head", "W", "ask a senior leader" },
	{ "device.return", "slt dsl head", "W", "ask a senior leader" },
	{ "device.search", "slt dsl head", "W", "ask a senior leader" },
	{ "device.refer", "slt dsl head", "W", "ask a senior leader" },
	{ "device.release", "slt dsl head", "W", "ask a senior leader" },
	{ "device.handover", "dsl", "SW", "ask the DSL" },
	{ "device.list", "staff slt dsl head police", "", NULL },
	{ "device.show", "staff slt dsl head police", "", NULL },
	{ "case.open", "dsl", "W", "ask the DSL" },
	{ "case.classify", "dsl", "W", "ask the DSL" },
	{ "case.flag", "dsl", "W", "ask the DSL" },
	{ "case.link", "dsl", "W", "ask the DSL" },
	{ "case.refer", "dsl", "SW", "ask the DSL" },
	{ "case.show", "dsl head police", "", "ask the DSL" },
	{ "case.list", "dsl head police", "", "ask the DSL" },
	{ "item.add", "dsl", "W", "ask the DSL" },
	{ "item.list", "dsl head police", "", "ask the DSL" },
	{ "item.delete", "dsl", "SW", "ask the DSL" },
	{ "view.justify", "dsl", "SW", "ask the DSL" },
	{ "view.open", "dsl", "W", "ask the DSL" },
	{ "device.unseal", "dsl", "SW", "ask the DSL" },
	{ "case.export", "dsl", "SW", "ask the DSL" },
	{ "export.fetch", "dsl police", "W", "ask the DSL" },
	{ "export.list", "dsl police", "", "ask the DSL" },
};

/* ---- helpers ---- */

/* The mask of a space-separated list of role names ("none" allowed). */
static unsigned int
mask_of(const char *names)
{
	char word[32];
	unsigned int mask = 0;
	size_t n;
	enum role r;

	for (; *names != '\0'; names += n + (names[n] == ' ')) {
		n = strcspn(names, " ");
		assert_true(n > 0 && n < sizeof(word));
		memcpy(word, names, n);
		word[n] = '\0';
		if (strcmp(word, "none") == 0) {
			mask |= 1u << ROLE_NONE;
			continue;
		}
		if (role_parse(word, &r) != 0)
			fail_msg("bad role \"%s\" in the test's table", word);
		mask |= 1u << r;
	}
	return mask;
}

static unsigned int
flags_of(const char *letters)
{
	unsigned int flags = 0;

	for (; *letters != '\0'; letters++) {
		switch (*letters) {
		case 'P':
			flags |= POLICY_PUBLIC;
			break;
		case 'S':
			flags |= POLICY_STEPUP;
			break;
		case 'W':
			flags |= POLICY_WRITE;
			break;
		default:
			fail_msg("bad flag '%c'", *letters);
		}
	}
	return flags;
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t
table_len(void)
{
	const struct policy_rule *r;
	size_t n = 0;

	for (r = policy_table(); r->op != NULL; r++)
		n++;
	return n;
}

/*
 * The roles for which lifecycle_next allows action a in at least one
 * situation (state x case flags).
 */
static unsigned int
lifecycle_roles(enum dev_action a)
{
	unsigned int mask = 0, s, r, bits;

	for (r = 0; r < ROLE_COUNT; r++)
	for (s = 0; s < DEV_STATE_COUNT; s++)
	for (bits = 0; bits < 16; bits++) {
		struct dev_facts f = { (enum dev_state)s, bits & 1,
		    (bits >> 1) & 1, (bits >> 2) & 1, (bits >> 3) & 1 };
		enum dev_state next;

		if (lifecycle_next(&f, a, (enum role)r, &next, NULL, 0) == 0)
			mask |= 1u << r;
	}
	return mask;
}

/* ---- tests ---- */

/* The table holds exactly the expected rows. */
static void
test_table_matches(void **state)
{
	const struct policy_rule *rule;
	size_t i;

	for (i = 0; i < NELEM(want_rules); i++) {
		if ((rule = policy_find(want_rules[i].op)) == NULL)
			fail_msg("%s is not in the table", want_rules[i].op);
		assert_string_equal(rule->op, want_rules[i].op);
		if (rule->roles != mask_of(want_rules[i].roles))
			fail_msg("%s: roles 0x%x, want 0x%x (%s)", rule->op,
			    rule->roles, mask_of(want_rules[i].roles),
			    want_rules[i].roles);
		if (rule->flags != flags_of(want_rules[i].flags))
			fail_msg("%s: flags 0x%x, want \"%s\"", rule->op,
			    rule->flags, want_rules[i].flags);
		assert_non_null(rule->ask);
		if (!starts_with(rule->ask, "ask ") ||
		    strchr(rule->ask, '\n') != NULL)
			fail_msg("%s: ask \"%s\"", rule->op, rule->ask);
		if (want_rules[i].ask != NULL)
			assert_string_equal(rule->ask, want_rules[i].ask);
	}
	assert_int_equal(table_len(), NELEM(want_rules));
}

static void
test_no_duplicates(void **state)
{
	const struct policy_rule *a, *b;

	for (a = policy_table(); a->op != NULL; a++) {
		for (b = a + 1; b->op != NULL; b++)
			if (strcmp(a->op, b->op) == 0)
				fail_msg("%s is in the table twice", a->op);
		assert_ptr_equal(policy_find(a->op), a);
	}
}

static void
test_unknown_ops(void **state)
{
	static const char *const bad[] = {
		"", "device", "device.", ".register", "DEVICE.REGISTER",
		"Device.register", "device.register ", " device.register",
		"device.registerx", "device.registe", "device.delete",
		"case.delete", "item.view", "auth.login\n", "auth",
		"user.add.x",
	};
	size_t i;

	for (i = 0; i < NELEM(bad); i++)
		if (policy_find(bad[i]) != NULL)
			fail_msg("policy_find found \"%s\"", bad[i]);
	assert_null(policy_find(NULL));
}

/* Every (op, role): allowed iff the role's bit is set, worded exactly. */
static void
test_every_pair(void **state)
{
	const struct policy_rule *rule;
	char why[WHYLEN], want[WHYLEN];
	unsigned int r, allowed = 0, refused = 0;
	int rc;

	for (rule = policy_table(); rule->op != NULL; rule++)
	for (r = 0; r < ROLE_COUNT; r++) {
		memset(why, CANARY, sizeof(why));
		rc = policy_check(rule, (enum role)r, why, sizeof(why));
		if ((rc == 0) != ((rule->roles & (1u << r)) != 0))
			fail_msg("%s by %s: %d \"%s\"", rule->op,
			    role_name((enum role)r), rc, rc == 0 ? "" : why);
		if (rc == 0) {
			assert_string_equal(why, "");
			allowed++;
			continue;
		}
		assert_int_equal(rc, -1);
		refused++;
		if (r == ROLE_NONE)
			(void)snprintf(want, sizeof(want),
			    "forbidden: log in first (custody login)");
		else
			(void)snprintf(want, sizeof(want),
			    "forbidden: role %s cannot %s; %s",
			    role_name((enum role)r), rule->op, rule->ask);
		assert_string_equal(why, want);
	}
	assert_true(allowed > 0 && refused > 0);
}

/* The example of policy.h, word for word; and login needs no login. */
static void
test_messages(void **state)
{
	char why[WHYLEN];

	assert_int_equal(policy_check(policy_find("case.refer"), ROLE_SLT,
	    why, sizeof(why)), -1);
	assert_string_equal(why,
	    "forbidden: role slt cannot case.refer; ask the DSL");
	assert_int_equal(policy_check(policy_find("user.add"), ROLE_DSL,
	    why, sizeof(why)), -1);
	assert_string_equal(why, "forbidden: role dsl cannot user.add; ask "
	    "the station technician (admin)");
	assert_int_equal(policy_check(policy_find("device.release"),
	    ROLE_STAFF, why, sizeof(why)), -1);
	assert_string_equal(why, "forbidden: role staff cannot "
	    "device.release; ask a senior leader");
	assert_int_equal(policy_check(policy_find("auth.login"), ROLE_NONE,
	    why, sizeof(why)), 0);
	assert_int_equal(policy_check(policy_find("auth.whoami"), ROLE_NONE,
	    why, sizeof(why)), -1);
	assert_string_equal(why, "forbidden: log in first (custody login)");
}

/* Only auth.login is public, and ROLE_NONE may call nothing else. */
static void
test_role_none(void **state)
{
	const struct policy_rule *rule;
	char why[WHYLEN];
	unsigned int everyone = (1u << ROLE_COUNT) - 1;

	for (rule = policy_table(); rule->op != NULL; rule++) {
		int pub = (rule->flags & POLICY_PUBLIC) != 0;

		if (pub != (strcmp(rule->op, "auth.login") == 0))
			fail_msg("%s: public %d", rule->op, pub);
		if (pub && rule->roles != everyone)
			fail_msg("%s: public but roles 0x%x", rule->op,
			    rule->roles);
		if (pub && (rule->flags & (POLICY_STEPUP | POLICY_WRITE)))
			fail_msg("%s: public with step-up or write", rule->op);
		if ((rule->flags & POLICY_STEPUP) &&
		    !(rule->flags & POLICY_WRITE))
			fail_msg("%s: step-up without write", rule->op);
		assert_int_equal(policy_check(rule, ROLE_NONE, why,
		    sizeof(why)), pub ? 0 : -1);
	}
}

/* Null rule, out-of-range roles, tiny and absent buffers. */
static void
test_bad_input(void **state)
{
	const struct policy_rule *rule = policy_find("case.refer");
	static const size_t sizes[] = { 0, 1, 8 };
	char buf[32], full[WHYLEN];
	size_t k;

	assert_int_equal(policy_check(NULL, ROLE_DSL, full, sizeof(full)), -1);
	assert_true(starts_with(full, "forbidden: "));
	assert_int_equal(policy_check(rule, ROLE_COUNT, full, sizeof(full)),
	    -1);
	assert_true(starts_with(full, "forbidden: "));
	assert_int_equal(policy_check(rule, (enum role)-1, full,
	    sizeof(full)), -1);
	assert_int_equal(policy_check(policy_find("auth.login"), ROLE_COUNT,
	    full, sizeof(full)), -1);
	assert_int_equal(policy_check(rule, ROLE_DSL, NULL, 0), 0);
	assert_int_equal(policy_check(rule, ROLE_SLT, NULL, 0), -1);
	assert_int_equal(policy_check(rule, ROLE_SLT, NULL, 8), -1);

	assert_int_equal(policy_check(rule, ROLE_SLT, full, sizeof(full)), -1);
	for (k = 0; k < NELEM(sizes); k++) {
		memset(buf, CANARY, sizeof(buf));
		assert_int_equal(policy_check(rule, ROLE_SLT, buf + 1,
		    sizes[k]), -1);
		assert_int_equal(buf[0], CANARY);
		assert_int_equal(buf[1 + sizes[k]], CANARY);
		if (sizes[k] == 0)
			continue;
		assert_int_equal(strlen(buf + 1), sizes[k] - 1);
		assert_memory_equal(buf + 1, full, sizes[k] - 1);
	}
}

/*
 * For every device.<action>, the policy admits exactly the roles the
 * lifecycle ever lets do it; every other device.* op only reads, but for
 * device.unseal, which the view gate guards.
 */
static void
test_agrees_with_lifecycle(void **state)
{
	const struct policy_rule *rule;
	char op[64];
	unsigned int a, lc, matched = 0;

	for (a = 0; a < ACT_COUNT; a++) {
		(void)snprintf(op, sizeof(op), "device.%s",
		    dev_action_name((enum dev_action)a));
		if ((rule = policy_find(op)) == NULL)
			fail_msg("%s is not in the policy", op);
		lc = lifecycle_roles((enum dev_action)a);
		if (rule->roles != lc)
			fail_msg("%s: policy roles 0x%x, lifecycle 0x%x", op,
			    rule->roles, lc);
		if (!(rule->flags & POLICY_WRITE))
			fail_msg("%s changes a device but is not a write", op);
	}
	for (rule = policy_table(); rule->op != NULL; rule++) {
		if (!starts_with(rule->op, "device."))
			continue;
		for (a = 0; a < ACT_COUNT; a++)
			if (strcmp(rule->op + strlen("device."),
			    dev_action_name((enum dev_action)a)) == 0)
				break;
		if (a < ACT_COUNT) {
			matched++;
			continue;
		}
		/* device.unseal is the view gate's, not a state change. */
		if ((rule->flags & POLICY_WRITE) &&
		    strcmp(rule->op, "device.unseal") != 0)
			fail_msg("%s writes but is no lifecycle action",
			    rule->op);
	}
	assert_int_equal(matched, ACT_COUNT);
}

/*
 * admin never reaches case content or a device; the auditor sees figures
 * only; police write nothing but their own password and the record of
 * collecting an export.
 */
static void
test_separation(void **state)
{
	const struct policy_rule *rule;
	unsigned int admin = 1u << ROLE_ADMIN, auditor = 1u << ROLE_AUDITOR;
	unsigned int police = 1u << ROLE_POLICE;

	for (rule = policy_table(); rule->op != NULL; rule++) {
		int content = starts_with(rule->op, "device.") ||
		    starts_with(rule->op, "case.") ||
		    starts_with(rule->op, "item.") ||
		    starts_with(rule->op, "view.") ||
		    starts_with(rule->op, "export.");

		if (content && (rule->roles & admin))
			fail_msg("admin may call %s", rule->op);
		if (content && (rule->roles & auditor))
			fail_msg("auditor may call %s", rule->op);
		if ((rule->roles & auditor) && starts_with(rule->op, "user."))
			fail_msg("auditor may call %s", rule->op);
		/* Collecting an export is recorded, so it is a write. */
		if ((rule->roles & police) && (rule->flags & POLICY_WRITE) &&
		    strcmp(rule->op, "auth.passwd") != 0 &&
		    strcmp(rule->op, "export.fetch") != 0)
			fail_msg("police may write with %s", rule->op);
		if ((rule->roles & police) && (starts_with(rule->op, "user.") ||
		    starts_with(rule->op, "police.")))
			fail_msg("police may call %s", rule->op);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches),
		cmocka_unit_test(test_no_duplicates),
		cmocka_unit_test(test_unknown_ops),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_role_none),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_agrees_with_lifecycle),
		cmocka_unit_test(test_separation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
