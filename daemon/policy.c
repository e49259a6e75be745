/*
 * policy.c -- the role x operation table of DESIGN section 2.
 *
 * One row per request the daemon accepts.  The device.<action> rows give
 * exactly the roles evidence/lifecycle.c lets do that action (the unit test
 * proves it), so the lifecycle never has to refuse a role that got past
 * this table.  admin and auditor reach no device.* or case.* request, and
 * police write nothing but their own password.
 *
 * auth.login is POLICY_PUBLIC: it needs no session, so its mask holds every
 * role including ROLE_NONE, and "allowed iff the role's bit is set" holds
 * for every row.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "daemon/policy.h"

#define BIT(x)		(1u << (unsigned int)(x))
#define SENIOR		(BIT(ROLE_SLT) | BIT(ROLE_DSL) | BIT(ROLE_HEAD))
#define SCHOOL		(BIT(ROLE_STAFF) | SENIOR)
#define EVERYONE	(SCHOOL | BIT(ROLE_POLICE) | BIT(ROLE_ADMIN) | \
			    BIT(ROLE_AUDITOR))	/* every logged-in role */
#define ANYONE		(BIT(ROLE_NONE) | EVERYONE)
#define DSL		BIT(ROLE_DSL)
#define ADMIN		BIT(ROLE_ADMIN)

#define PUBLIC		POLICY_PUBLIC
#define WRITE		POLICY_WRITE
#define STEPUP_WRITE	(POLICY_STEPUP | POLICY_WRITE)

#define ASK_ADMIN	"ask the station technician (admin)"
#define ASK_DSL		"ask the DSL"
#define ASK_SENIOR	"ask a senior leader"
#define ASK_STAFF	"ask a member of staff"

static const struct policy_rule rules[] = {
	{ "auth.login",		ANYONE,	PUBLIC,		ASK_ADMIN },
	{ "auth.logout",	EVERYONE, 0,		ASK_ADMIN },
	{ "auth.whoami",	EVERYONE, 0,		ASK_ADMIN },
	{ "auth.passwd",	EVERYONE, STEPUP_WRITE,	ASK_ADMIN },
	{ "station.status",	EVERYONE, 0,		ASK_ADMIN },
	{ "log.receipt",	EVERYONE, 0,		ASK_ADMIN },
	{ "log.verify",		EVERYONE, 0,		ASK_ADMIN },

	{ "report",		BIT(ROLE_AUDITOR) | DSL | BIT(ROLE_HEAD), 0,
	    "ask the DSL or the headteacher" },

	{ "user.add",		ADMIN,	STEPUP_WRITE,	ASK_ADMIN },
	{ "user.passwd",	ADMIN,	STEPUP_WRITE,	ASK_ADMIN },
	{ "user.role",		ADMIN,	STEPUP_WRITE,	ASK_ADMIN },
	{ "user.disable",	ADMIN,	WRITE,		ASK_ADMIN },
	{ "user.list",		ADMIN | DSL, 0,		ASK_ADMIN },

	{ "police.add",		DSL,	STEPUP_WRITE,	ASK_DSL },

	{ "device.register",	SCHOOL,	WRITE,		ASK_STAFF },
	{ "device.move",	SCHOOL,	WRITE,		ASK_STAFF },
	{ "device.seal",	SENIOR,	WRITE,		ASK_SENIOR },
	{ "device.checkout",	SENIOR,	WRITE,		ASK_SENIOR },
	{ "device.return",	SENIOR,	WRITE,		ASK_SENIOR },
	{ "device.search",	SENIOR,	WRITE,		ASK_SENIOR },
	{ "device.refer",	SENIOR,	WRITE,		ASK_SENIOR },
	{ "device.release",	SENIOR,	WRITE,		ASK_SENIOR },
	{ "device.handover",	DSL,	STEPUP_WRITE,	ASK_DSL },
	{ "device.list",	SCHOOL | BIT(ROLE_POLICE), 0,	ASK_STAFF },
	{ "device.show",	SCHOOL | BIT(ROLE_POLICE), 0,	ASK_STAFF },

	{ "case.open",		DSL,	WRITE,		ASK_DSL },
	{ "case.classify",	DSL,	WRITE,		ASK_DSL },
	{ "case.flag",		DSL,	WRITE,		ASK_DSL },
	{ "case.link",		DSL,	WRITE,		ASK_DSL },
	{ "case.refer",		DSL,	STEPUP_WRITE,	ASK_DSL },
	{ "case.show",		DSL | BIT(ROLE_HEAD) | BIT(ROLE_POLICE), 0,
	    ASK_DSL },
	{ "case.list",		DSL | BIT(ROLE_HEAD) | BIT(ROLE_POLICE), 0,
	    ASK_DSL },

	/* Evidence items and the view gate: the DSL alone (UKCIS). */
	{ "item.add",		DSL,	WRITE,		ASK_DSL },
	{ "item.list",		DSL | BIT(ROLE_HEAD) | BIT(ROLE_POLICE), 0,
	    ASK_DSL },
	{ "item.delete",	DSL,	STEPUP_WRITE,	ASK_DSL },
	{ "view.justify",	DSL,	STEPUP_WRITE,	ASK_DSL },
	{ "view.open",		DSL,	WRITE,		ASK_DSL },
	{ "device.unseal",	DSL,	STEPUP_WRITE,	ASK_DSL },

	/* The sealed police export: made by the DSL, collected by police. */
	{ "case.export",	DSL,	STEPUP_WRITE,	ASK_DSL },
	{ "export.fetch",	BIT(ROLE_POLICE) | DSL, WRITE,	ASK_DSL },
	{ "export.list",	BIT(ROLE_POLICE) | DSL, 0,	ASK_DSL },

	{ NULL,			0,	0,		NULL },
};

const struct policy_rule *
policy_table(void)
{
	return rules;
}

const struct policy_rule *
policy_find(const char *op)
{
	const struct policy_rule *r;

	if (op == NULL)
		return NULL;
	for (r = rules; r->op != NULL; r++)
		if (strcmp(r->op, op) == 0)
			return r;
	return NULL;
}

int
policy_check(const struct policy_rule *rule, enum role role, char *why,
    size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (rule == NULL || rule->op == NULL)
		return custody_fail(why, whylen, -1,
		    "forbidden: unknown operation");
	if ((unsigned int)role >= ROLE_COUNT)
		return custody_fail(why, whylen, -1,
		    "forbidden: unknown role cannot %s; log in first "
		    "(custody login)", rule->op);
	if ((rule->flags & POLICY_PUBLIC) != 0 ||
	    (rule->roles & BIT(role)) != 0)
		return 0;
	if (role == ROLE_NONE)
		return custody_fail(why, whylen, -1,
		    "forbidden: log in first (custody login)");
	return custody_fail(why, whylen, -1, "forbidden: role %s cannot %s; %s",
	    role_name(role), rule->op,
	    rule->ask != NULL ? rule->ask : "ask the DSL");
}
