/*
 * cmd_user.c -- custody user add | list | disable | passwd | role, and
 * custody police add (a time-limited account for a visiting officer).
 */
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/op.h"
#include "cli/table.h"

/* police accounts are made only with custody police add. */
static const char *const roles[] = { "staff", "slt", "dsl", "head",
	"admin", "auditor", NULL };

#define USER_ARG(what) \
	{ .key = "user", .flags = OA_REQUIRED, .meta = "USER", \
	  .label = "User name", .help = what }

static const struct op_arg add_args[] = {
	USER_ARG("the new account's name"),
	{ .key = "role", .flags = OA_REQUIRED, .meta = "ROLE",
	  .label = "Role", .help = "what the account may do (custody(1))",
	  .choices = roles },
	{ .key = NULL },
};

static const struct op_arg disable_args[] = {
	USER_ARG("the account to disable"),
	{ .key = NULL },
};

static const struct op_arg passwd_args[] = {
	USER_ARG("the account whose password is reset"),
	{ .key = NULL },
};

static const struct op_arg role_args[] = {
	USER_ARG("the account to change"),
	{ .key = "role", .flags = OA_REQUIRED, .meta = "ROLE",
	  .label = "New role", .help = "what the account may do from now",
	  .choices = roles },
	{ .key = NULL },
};

static const struct op_arg police_args[] = {
	USER_ARG("the officer's new account, e.g. pc-smith"),
	{ .key = "crime_ref", .flags = OA_REQUIRED, .meta = "REF",
	  .label = "Crime reference", .help = "the officer sees only cases "
	  "with this reference" },
	{ .key = "force", .flags = OA_REQUIRED, .meta = "FORCE",
	  .label = "Police force", .help = "e.g. Kent Police" },
	{ .key = "officer", .flags = OA_REQUIRED, .meta = "NAME",
	  .label = "Officer", .help = "the officer's name and rank" },
	{ .key = "collar", .flags = OA_REQUIRED, .meta = "NUMBER",
	  .label = "Collar number", .help = "from the officer's warrant "
	  "card" },
	{ .key = "hours", .flags = OA_INT, .meta = "N",
	  .label = "Hours", .help = "how long the account lasts; "
	  "custodyd's default is 24" },
	{ .key = NULL },
};

static int
print_list(const json_t *result)
{
	const json_t *users = json_object_get(result, "users");

	if (json_array_size(users) == 0) {
		printf("No users.\n");
		return CLI_OK;
	}
	return cli_print_array(stdout, users) == 0 ? CLI_OK : CLI_FAIL;
}

static const struct op_desc user_add = {
	.op = "user.add", .cmd = "user add",
	.about = "Adds an account.  You choose its first password; asks for "
	"your own password again to confirm.",
	.args = add_args, .secrets = OP_STEPUP | OP_NEWPW,
	.newpw_prompt = "Password for the new account: ",
	.done = "account added",
};

static const struct op_desc user_list = {
	.op = "user.list", .cmd = "user list",
	.about = "Lists the station's accounts.",
	.print = print_list,
};

static const struct op_desc user_disable = {
	.op = "user.disable", .cmd = "user disable",
	.about = "Disables an account at once and ends its sessions.  The "
	"account's history stays in the log.",
	.args = disable_args, .done = "account disabled",
};

static const struct op_desc user_passwd = {
	.op = "user.passwd", .cmd = "user passwd",
	.about = "Sets a new password for another account (for your own, "
	"use custody passwd).",
	.args = passwd_args, .secrets = OP_STEPUP | OP_NEWPW,
	.done = "password changed",
};

static const struct op_desc user_role = {
	.op = "user.role", .cmd = "user role",
	.about = "Changes an account's role; it takes effect on the "
	"account's next request.",
	.args = role_args, .secrets = OP_STEPUP, .done = "role changed",
};

static const struct op_desc police_add = {
	.op = "police.add", .cmd = "police add",
	.about = "Creates a time-limited account for a visiting police "
	"officer, who then sees only the cases with that crime reference "
	"and countersigns hand-overs with the password set here.  Tell "
	"the officer the password in person.",
	.args = police_args, .secrets = OP_STEPUP | OP_NEWPW,
	.newpw_prompt = "Password for the officer's account (the officer "
	"will need it): ",
	.done = "police account created",
};

int
cmd_user_add(int argc, char **argv)
{
	return op_run(&user_add, argc, argv);
}

int
cmd_user_list(int argc, char **argv)
{
	return op_run(&user_list, argc, argv);
}

int
cmd_user_disable(int argc, char **argv)
{
	return op_run(&user_disable, argc, argv);
}

int
cmd_user_passwd(int argc, char **argv)
{
	return op_run(&user_passwd, argc, argv);
}

int
cmd_user_role(int argc, char **argv)
{
	return op_run(&user_role, argc, argv);
}

int
cmd_police_add(int argc, char **argv)
{
	return op_run(&police_add, argc, argv);
}
