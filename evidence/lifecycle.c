/*
 * lifecycle.c -- roles, device states and the device lifecycle of DESIGN
 * section 7, as one table and one pure function.
 *
 * The table below holds, for each action, the roles that may ever do it,
 * the states it may start from, the state it leads to and the rule its
 * case imposes.  lifecycle_next decides in a fixed order, so that the first
 * reason a person is given is the one that would still stand after they
 * had dealt with the others:
 *
 *   1. the role: may it ever do this action?		"forbidden: ..."
 *   2. a terminal state (released, handed_to_police):	"refused: ..."
 *   3. the case: a locked case (offence_suspected or police_referred)
 *	refuses release and search; handover needs a police referral
 *   4. the state the action starts from
 *
 * Invariants (checked by tests/unit/test_lifecycle.c, exhaustively):
 *   - police, admin, auditor and "not logged in" may do no action at all;
 *   - no action leaves a terminal state;
 *   - *next is written only when 0 is returned, and why then holds "";
 *   - a refusal's reason is one line of printable ASCII, truncated (never
 *     overflowed) to whylen.
 *
 * The case flags are honoured even if in_case is 0 (facts that contradict
 * each other fail closed); handover needs both in_case and police_referred.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "evidence/lifecycle.h"

#define BIT(x)		(1u << (unsigned int)(x))
#define SCHOOL		(BIT(ROLE_STAFF) | BIT(ROLE_SLT) | BIT(ROLE_DSL) | \
			    BIT(ROLE_HEAD))
#define SENIOR		(BIT(ROLE_SLT) | BIT(ROLE_DSL) | BIT(ROLE_HEAD))
#define UNREGISTERED	(BIT(DEV_NONE) | BIT(DEV_DETECTED))

#define LOGIN_FIRST	"log in first (custody login)"

enum case_rule {
	CASE_ANY = 0,		/* the case does not matter */
	CASE_NO_RELEASE,	/* refused while the case is locked */
	CASE_NO_SEARCH,		/* refused while the case is locked */
	CASE_REFERRED,		/* needs a case with a police referral */
};

struct transition {
	unsigned int	 roles;		/* mask of BIT(enum role) */
	unsigned int	 from;		/* mask of BIT(enum dev_state) */
	enum dev_state	 to;
	enum case_rule	 rule;
	const char	*ask;		/* for school roles without it */
};

static const struct transition transitions[ACT_COUNT] = {
	[ACT_REGISTER] = { SCHOOL, UNREGISTERED, DEV_HELD, CASE_ANY,
	    "ask a member of staff" },
	[ACT_SEAL] = { SENIOR, BIT(DEV_HELD), DEV_HELD, CASE_ANY,
	    "ask a senior leader" },
	[ACT_MOVE] = { SCHOOL, BIT(DEV_HELD), DEV_HELD, CASE_ANY,
	    "ask a member of staff" },
	[ACT_CHECKOUT] = { SENIOR, BIT(DEV_HELD), DEV_CHECKED_OUT, CASE_ANY,
	    "ask a senior leader" },
	[ACT_RETURN] = { SENIOR, BIT(DEV_CHECKED_OUT), DEV_HELD, CASE_ANY,
	    "ask a senior leader" },
	[ACT_SEARCH] = { SENIOR, BIT(DEV_HELD), DEV_HELD, CASE_NO_SEARCH,
	    "ask a senior leader" },
	[ACT_REFER] = { SENIOR, BIT(DEV_HELD), DEV_HELD, CASE_ANY,
	    "ask a senior leader" },
	[ACT_RELEASE] = { SENIOR, BIT(DEV_HELD), DEV_RELEASED,
	    CASE_NO_RELEASE, "ask a senior leader" },
	[ACT_HANDOVER] = { BIT(ROLE_DSL),
	    BIT(DEV_HELD) | BIT(DEV_CHECKED_OUT), DEV_HANDED_TO_POLICE,
	    CASE_REFERRED, "ask the DSL" },
};

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_NONE] = "none",
	[ROLE_STAFF] = "staff",
	[ROLE_SLT] = "slt",
	[ROLE_DSL] = "dsl",
	[ROLE_HEAD] = "head",
	[ROLE_POLICE] = "police",
	[ROLE_ADMIN] = "admin",
	[ROLE_AUDITOR] = "auditor",
};

static const char *const state_names[DEV_STATE_COUNT] = {
	[DEV_NONE] = "none",
	[DEV_DETECTED] = "detected",
	[DEV_HELD] = "held",
	[DEV_CHECKED_OUT] = "checked_out",
	[DEV_RELEASED] = "released",
	[DEV_HANDED_TO_POLICE] = "handed_to_police",
};

static const char *const action_names[ACT_COUNT] = {
	[ACT_REGISTER] = "register",
	[ACT_SEAL] = "seal",
	[ACT_MOVE] = "move",
	[ACT_CHECKOUT] = "checkout",
	[ACT_RETURN] = "return",
	[ACT_SEARCH] = "search",
	[ACT_REFER] = "refer",
	[ACT_RELEASE] = "release",
	[ACT_HANDOVER] = "handover",
};

const char *
role_name(enum role r)
{
	return (unsigned int)r < ROLE_COUNT ? role_names[r] : "unknown";
}

int
role_parse(const char *name, enum role *r)
{
	unsigned int i;

	if (name == NULL)
		return -1;
	for (i = ROLE_NONE + 1; i < ROLE_COUNT; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*r = (enum role)i;
			return 0;
		}
	}
	return -1;
}

const char *
dev_state_name(enum dev_state s)
{
	return (unsigned int)s < DEV_STATE_COUNT ? state_names[s] : "unknown";
}

int
dev_state_parse(const char *name, enum dev_state *s)
{
	unsigned int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < DEV_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*s = (enum dev_state)i;
			return 0;
		}
	}
	return -1;
}

const char *
dev_action_name(enum dev_action a)
{
	return (unsigned int)a < ACT_COUNT ? action_names[a] : "unknown";
}

/* Why role, which may not do action a, is refused it. */
static int
lifecycle_forbidden(enum role role, enum dev_action a, char *why,
    size_t whylen)
{
	const char *reason;

	switch (role) {
	case ROLE_STAFF:
	case ROLE_SLT:
	case ROLE_DSL:
	case ROLE_HEAD:
		reason = transitions[a].ask;
		break;
	case ROLE_POLICE:
		reason = "police receive devices only by hand-over from the "
		    "DSL";
		break;
	case ROLE_ADMIN:
		reason = "technical staff never handle devices";
		break;
	case ROLE_AUDITOR:
		reason = "governors see figures only";
		break;
	default:
		reason = LOGIN_FIRST;
		break;
	}
	return custody_fail(why, whylen, -1,
	    "forbidden: role %s cannot %s a device; %s", role_name(role),
	    action_names[a], reason);
}

/* The case's flags that lock it, as words for a message. */
static const char *
lifecycle_locks(const struct dev_facts *f)
{
	if (f->offence_suspected && f->police_referred)
		return "offence_suspected and police_referred";
	return f->offence_suspected ? "offence_suspected" : "police_referred";
}

/* Returns 0 if the case allows rule now, or -1 with the reason. */
static int
lifecycle_case(const struct dev_facts *f, enum case_rule rule, enum role role,
    char *why, size_t whylen)
{
	int locked = f->offence_suspected || f->police_referred;

	switch (rule) {
	case CASE_NO_RELEASE:
		if (locked)
			return custody_fail(why, whylen, -1, "refused: device's "
			    "case is flagged %s; it cannot be released to a "
			    "parent/carer; ask the DSL", lifecycle_locks(f));
		if (f->suspected && role != ROLE_DSL)
			return custody_fail(why, whylen, -1, "refused: device "
			    "was confiscated for suspected images; only the "
			    "DSL may release it, after review; refer it to the "
			    "DSL (custody device refer)");
		return 0;
	case CASE_NO_SEARCH:
		if (locked)
			return custody_fail(why, whylen, -1, "refused: device's "
			    "case is flagged %s; do not search it; the DSL "
			    "decides with police", lifecycle_locks(f));
		if (f->suspected)
			return custody_fail(why, whylen, -1, "refused: device "
			    "was confiscated for suspected images; do not "
			    "search it; refer it to the DSL (custody device "
			    "refer)");
		return 0;
	case CASE_REFERRED:
		if (!f->in_case)
			return custody_fail(why, whylen, -1, "refused: device "
			    "is in no case; the DSL opens one, links the "
			    "device and refers it to police first (custody "
			    "case open)");
		if (!f->police_referred)
			return custody_fail(why, whylen, -1, "refused: device's "
			    "case has no police referral; the DSL refers it "
			    "first (custody case refer)");
		return 0;
	case CASE_ANY:
		break;
	}
	return 0;
}

/* Why action a cannot start from the non-terminal state s. */
static int
lifecycle_wrong_state(enum dev_state s, enum dev_action a, char *why,
    size_t whylen)
{
	const char *sn = state_names[s];

	if (a == ACT_REGISTER)
		return custody_fail(why, whylen, -1, "refused: device is "
		    "already registered (state %s)", sn);
	switch (s) {
	case DEV_NONE:
		return custody_fail(why, whylen, -1, "refused: device is not "
		    "registered; register it first (custody device "
		    "register)");
	case DEV_DETECTED:
		return custody_fail(why, whylen, -1, "refused: device is %s "
		    "but not registered; register it first (custody device "
		    "register)", sn);
	case DEV_CHECKED_OUT:
		return custody_fail(why, whylen, -1, "refused: device is %s; "
		    "return it first (custody device return)", sn);
	default:
		return custody_fail(why, whylen, -1, "refused: device is %s, "
		    "not checked_out; there is nothing to %s", sn,
		    action_names[a]);
	}
}

int
lifecycle_next(const struct dev_facts *f, enum dev_action action,
    enum role role, enum dev_state *next, char *why, size_t whylen)
{
	const struct transition *t;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (f == NULL || (unsigned int)action >= ACT_COUNT)
		return custody_fail(why, whylen, -1,
		    "refused: unknown action or no device");
	t = &transitions[action];
	if ((unsigned int)role >= ROLE_COUNT || (t->roles & BIT(role)) == 0)
		return lifecycle_forbidden(role, action, why, whylen);
	if ((unsigned int)f->state >= DEV_STATE_COUNT)
		return custody_fail(why, whylen, -1,
		    "refused: device is in an unknown state");
	if (f->state == DEV_RELEASED)
		return custody_fail(why, whylen, -1, "refused: device was "
		    "released to a parent/carer; its record is closed");
	if (f->state == DEV_HANDED_TO_POLICE)
		return custody_fail(why, whylen, -1, "refused: device was "
		    "handed to police; its record is closed");
	if (lifecycle_case(f, t->rule, role, why, whylen) != 0)
		return -1;
	if ((t->from & BIT(f->state)) == 0)
		return lifecycle_wrong_state(f->state, action, why, whylen);
	*next = t->to;
	return 0;
}
