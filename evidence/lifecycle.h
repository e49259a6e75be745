/*
 * lifecycle.h -- roles and the device lifecycle of DESIGN section 7, as
 * pure functions: no I/O, no allocation, no clock.
 *
 * Device states:
 *
 *	DETECTED --register--> HELD --checkout--> CHECKED_OUT --return--> HELD
 *	HELD --seal|move|search|refer--> HELD
 *	HELD --release--> RELEASED			(terminal)
 *	HELD|CHECKED_OUT --handover--> HANDED_TO_POLICE	(terminal)
 *
 * A device "in a locked case" (its case is flagged offence_suspected or
 * police_referred) cannot be released to a parent/carer, and cannot be
 * searched by school staff (DfE and UKCIS: staff must not look for or view
 * suspected indecent images; they refer to the DSL, who refers to police).
 * Handing a device to police needs its case to have a police referral.
 * A device confiscated for suspected nude or illegal images is never
 * searched by school staff, case or no case, and only the DSL may release
 * it (after reviewing it): UKCIS, "Sharing nudes and semi-nudes".
 *
 * Every refusal comes with a reason a person can act on, e.g.
 * "forbidden: role staff cannot release a device; ask a senior leader".
 */
#ifndef CUSTODY_LIFECYCLE_H
#define CUSTODY_LIFECYCLE_H

#include <stddef.h>

enum role {
	ROLE_NONE = 0,		/* not logged in */
	ROLE_STAFF,
	ROLE_SLT,
	ROLE_DSL,
	ROLE_HEAD,
	ROLE_POLICE,
	ROLE_ADMIN,
	ROLE_AUDITOR,
	ROLE_COUNT
};

/* "staff", "slt", ...; "none" for ROLE_NONE; never NULL. */
const char	*role_name(enum role r);
/* Returns 0 and sets *r, or -1 for an unknown name (ROLE_NONE is not
 * accepted). */
int		 role_parse(const char *name, enum role *r);

enum dev_state {
	DEV_NONE = 0,		/* not yet known to the station */
	DEV_DETECTED,		/* seen on USB, not registered */
	DEV_HELD,
	DEV_CHECKED_OUT,
	DEV_RELEASED,
	DEV_HANDED_TO_POLICE,
	DEV_STATE_COUNT
};

const char	*dev_state_name(enum dev_state s);
int		 dev_state_parse(const char *name, enum dev_state *s);

enum dev_action {
	ACT_REGISTER = 0,
	ACT_SEAL,		/* reseal: old and new seal numbers */
	ACT_MOVE,		/* new storage location */
	ACT_CHECKOUT,		/* to a named person for a purpose */
	ACT_RETURN,
	ACT_SEARCH,		/* with recorded consent */
	ACT_REFER,		/* refer to the DSL */
	ACT_RELEASE,		/* to a parent/carer */
	ACT_HANDOVER,		/* to police */
	ACT_COUNT
};

const char	*dev_action_name(enum dev_action a);

/* What a transition depends on besides state, action and role. */
struct dev_facts {
	enum dev_state	state;
	int		in_case;		/* linked to a case */
	int		offence_suspected;	/* its case's flag */
	int		police_referred;	/* its case's flag */
	int		suspected;	/* confiscated for suspected nude or
					 * illegal images */
};

/*
 * Decides whether role may apply action to a device in the situation f.
 * Returns 0 and sets *next, or -1 with a one-line reason in why (which
 * starts with "forbidden:" for a role that may never do it and with
 * "refused:" for a state or case that forbids it now).
 */
int	lifecycle_next(const struct dev_facts *f, enum dev_action action,
	    enum role role, enum dev_state *next, char *why, size_t whylen);

#endif
