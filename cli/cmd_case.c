/*
 * cmd_case.c -- custody case open | show | list | classify | flag | link |
 * refer: the DSL's safeguarding cases (docs/protocol.md).
 */
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/op.h"
#include "cli/table.h"

static const char *const categories[] = { "bullying", "nudes", "iioc",
	"csae", "exploitation", "other", NULL };
static const char *const flags[] = { "offence_suspected", NULL };

static const struct op_arg case_id = {
	.key = "case", .meta = "CASE", .label = "Case id",
	.help = "e.g. CASE-0001",
};

static const struct op_arg police_args[] = {
	{ .key = "user", .flags = OA_REQUIRED, .meta = "USER",
	  .label = "Officer's user name", .help = "the officer's new account, "
	  "e.g. pc-smith" },
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

static const struct op_desc case_police = {
	.op = "police.add", .cmd = "case police",
	.about = "Creates a time-limited account for the officer collecting "
	"a case referred to police, with the case's crime reference and "
	"force.  The officer sees only cases with that reference and "
	"countersigns hand-overs with the password set here; tell them the "
	"password in person.",
	.id = &case_id, .args = police_args, .secrets = OP_STEPUP | OP_NEWPW,
	.newpw_prompt = "Password for the officer's account (the officer "
	"will need it): ",
	.done = "police account created",
};

static const struct op_arg open_args[] = {
	{ .key = "category", .flags = OA_REQUIRED, .meta = "CATEGORY",
	  .label = "Category", .help = "what the concern is about",
	  .choices = categories },
	{ .key = "summary", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Summary", .help = "the concern in a sentence, without "
	  "describing any image" },
	{ .key = "devices", .flags = OA_LIST, .meta = "DEVICE",
	  .label = "Devices", .help = "devices to link, e.g. DEV-0001" },
	{ .key = "pupils", .flags = OA_LIST, .meta = "REF",
	  .label = "Pupils", .help = "pupils involved, by school reference" },
	{ .key = NULL },
};

static const struct op_arg classify_args[] = {
	{ .key = "category", .flags = OA_REQUIRED, .meta = "CATEGORY",
	  .label = "Category", .help = "the case's new category",
	  .choices = categories },
	{ .key = NULL },
};

static const struct op_arg flag_args[] = {
	{ .key = "flag", .meta = "FLAG", .label = "Flag",
	  .help = "the flag to set or clear", .choices = flags,
	  .def = "offence_suspected" },
	{ .key = "value", .flags = OA_REQUIRED | OA_BOOL, .meta = "yes|no",
	  .label = "Set it", .help = "yes to set the flag, no to clear it" },
	{ .key = "why", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Why", .help = "the reason for the decision" },
	{ .key = NULL },
};

static const struct op_arg link_args[] = {
	{ .key = "device", .flags = OA_REQUIRED, .meta = "DEVICE",
	  .label = "Device id", .help = "the device to link, e.g. DEV-0001" },
	{ .key = NULL },
};

static const struct op_arg refer_args[] = {
	{ .key = "force", .flags = OA_REQUIRED, .meta = "FORCE",
	  .label = "Police force", .help = "e.g. Kent Police" },
	{ .key = "crime_ref", .flags = OA_REQUIRED, .meta = "REF",
	  .label = "Crime reference", .help = "the number the police gave" },
	{ .key = "officer", .flags = OA_REQUIRED, .meta = "NAME",
	  .label = "Officer", .help = "the officer's name and rank" },
	{ .key = "referred_at", .flags = OA_TIME, .meta = "TIME",
	  .label = "Referred at", .help = "when the police were told, as "
	  "local time YYYY-MM-DD HH:MM; default now" },
	{ .key = NULL },
};

static int
print_show(const json_t *result)
{
	static const char *const skip[] = { "case", "devices", "events",
	    NULL };
	const json_t *c = json_object_get(result, "case");
	const json_t *devs = json_object_get(result, "devices");
	int r = 0;

	if (json_is_object(c))
		cli_print_object(stdout, c, NULL);
	else
		cli_print_field(stdout, "case", 4, "case", c);
	cli_print_object(stdout, result, skip);
	printf("\nDevices:\n");
	if (json_array_size(devs) == 0)
		printf("(none)\n");
	else if (json_is_object(json_array_get(devs, 0)))
		r = cli_print_devices(stdout, devs);
	else
		r = cli_print_array(stdout, devs);
	printf("\nEvents:\n");
	if (r == 0 && json_array_size(json_object_get(result, "events")) == 0)
		printf("(none)\n");
	else if (r == 0)
		r = cli_print_events(stdout, json_object_get(result,
		    "events"));
	return r == 0 ? CLI_OK : CLI_FAIL;
}

static int
print_list(const json_t *result)
{
	const json_t *cases = json_object_get(result, "cases");

	if (json_array_size(cases) == 0) {
		printf("No cases.\n");
		return CLI_OK;
	}
	return cli_print_array(stdout, cases) == 0 ? CLI_OK : CLI_FAIL;
}

static const struct op_desc case_open = {
	.op = "case.open", .cmd = "case open",
	.about = "Opens a safeguarding case.  An iioc or csae case, or one "
	"linked to a device taken as suspected_illegal, starts flagged "
	"offence_suspected, which stops release to parents.",
	.args = open_args, .done = "New case id:", .created = "case",
};

static const struct op_desc case_show = {
	.op = "case.show", .cmd = "case show",
	.about = "Prints a case, its devices and its events.",
	.id = &case_id, .print = print_show,
};

static const struct op_desc case_list = {
	.op = "case.list", .cmd = "case list",
	.about = "Lists the cases you may see (police: those with your "
	"crime reference).",
	.print = print_list,
};

static const struct op_desc case_classify = {
	.op = "case.classify", .cmd = "case classify",
	.about = "Changes a case's category.",
	.id = &case_id, .args = classify_args, .done = "category changed",
};

static const struct op_desc case_flag = {
	.op = "case.flag", .cmd = "case flag",
	.about = "Sets or clears offence_suspected on a case, with the "
	"reason.  While it is set the case's devices cannot be released "
	"to parents.",
	.id = &case_id, .args = flag_args, .done = "flag recorded",
};

static const struct op_desc case_link = {
	.op = "case.link", .cmd = "case link",
	.about = "Links a device to a case.",
	.id = &case_id, .args = link_args, .done = "device linked",
};

static const struct op_desc case_refer = {
	.op = "case.refer", .cmd = "case refer",
	.about = "Records the referral of a case to police, with the crime "
	"reference.  Asks for your password again.",
	.id = &case_id, .args = refer_args, .secrets = OP_STEPUP,
	.done = "referred to police",
};

int
cmd_case_open(int argc, char **argv)
{
	return op_run(&case_open, argc, argv);
}

int
cmd_case_show(int argc, char **argv)
{
	return op_run(&case_show, argc, argv);
}

int
cmd_case_list(int argc, char **argv)
{
	return op_run(&case_list, argc, argv);
}

int
cmd_case_classify(int argc, char **argv)
{
	return op_run(&case_classify, argc, argv);
}

int
cmd_case_flag(int argc, char **argv)
{
	return op_run(&case_flag, argc, argv);
}

int
cmd_case_link(int argc, char **argv)
{
	return op_run(&case_link, argc, argv);
}

int
cmd_case_refer(int argc, char **argv)
{
	return op_run(&case_refer, argc, argv);
}

int
cmd_case_police(int argc, char **argv)
{
	return op_run(&case_police, argc, argv);
}
