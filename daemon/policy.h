/*
 * policy.h -- who may call which request: the role x operation table of
 * DESIGN section 2, in one place.  Every request passes through
 * policy_check before anything else happens.  Finer rules (a device's
 * state, a case's flags, a police officer's crime reference) are decided
 * later by the lifecycle and the handlers, which log their refusals too.
 */
#ifndef CUSTODY_POLICY_H
#define CUSTODY_POLICY_H

#include <stddef.h>

#include "evidence/lifecycle.h"

#define POLICY_PUBLIC	0x01	/* no session needed (login) */
#define POLICY_STEPUP	0x02	/* the password again, in args.password */
#define POLICY_WRITE	0x04	/* writes events: commits a checkpoint */

struct policy_rule {
	const char	*op;		/* "device.register" */
	unsigned int	 roles;		/* mask of 1u << enum role */
	unsigned int	 flags;		/* POLICY_* */
	const char	*ask;		/* who to ask when refused */
};

/* The rule for op, or NULL for an unknown operation. */
const struct policy_rule *policy_find(const char *op);

/*
 * Returns 0 if role may call op, or -1 with a reason in why such as
 * "forbidden: role slt cannot case.refer; ask the DSL".
 */
int	policy_check(const struct policy_rule *rule, enum role role,
	    char *why, size_t whylen);

/* The whole table, terminated by a rule with op == NULL (for tests). */
const struct policy_rule *policy_table(void);

#endif
