/*
 * cmd_device.c -- custody device register | list | show | seal | move |
 * checkout | return | search | refer | release | handover.
 *
 * Each command is one custodyd operation (docs/protocol.md), described by
 * a table that op_run() follows.  The daemon decides who may do what and
 * when; these tables only say what to ask for.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/op.h"
#include "cli/table.h"

static const char *const reasons[] = { "behaviour", "bullying",
	"suspected_nudes", "suspected_illegal", "exam", "other", NULL };
static const char *const powers[] = { "on", "off", "unknown", NULL };
static const char *const consenters[] = { "pupil", "parent_carer", NULL };
static const char *const states[] = { "detected", "held", "checked_out",
	"released", "handed_to_police", NULL };

static const struct op_arg device_id = {
	.key = "device", .meta = "DEVICE", .label = "Device id",
	.help = "as on the bag label, e.g. DEV-0001",
};

static const struct op_arg register_args[] = {
	{ .key = "pupil", .flags = OA_REQUIRED, .meta = "REF",
	  .label = "Pupil", .help = "the school reference of the pupil it "
	  "was taken from" },
	{ .key = "reason", .flags = OA_REQUIRED, .meta = "REASON",
	  .label = "Reason", .help = "why it was confiscated, under the "
	  "school's policy", .choices = reasons },
	{ .key = "reason_text", .meta = "TEXT", .label = "What happened",
	  .help = "the reason in a few words", .if_key = "reason",
	  .if_value = "other" },
	{ .key = "location", .flags = OA_REQUIRED, .meta = "PLACE",
	  .label = "Storage location", .help = "where it is kept, e.g. "
	  "office safe" },
	{ .key = "seal", .flags = OA_REQUIRED, .meta = "SEAL",
	  .label = "Seal number", .help = "the number on the "
	  "tamper-evident bag" },
	{ .key = "power", .flags = OA_REQUIRED, .meta = "STATE",
	  .label = "Power", .help = "whether the phone was on when bagged",
	  .choices = powers },
	{ .key = "confiscated_by", .meta = "USER", .label = "Confiscated by",
	  .help = "the member of staff who took it; default you" },
	{ .key = "confiscated_at", .flags = OA_TIME, .meta = "TIME",
	  .label = "Confiscated at", .help = "when, as local time "
	  "YYYY-MM-DD HH:MM; default now" },
	{ .key = "description", .meta = "TEXT", .label = "Description",
	  .help = "case, stickers, damage" },
	{ .key = "make", .meta = "MAKE", .label = "Make",
	  .help = "e.g. Apple, Samsung" },
	{ .key = "model", .meta = "MODEL", .label = "Model",
	  .help = "e.g. iPhone 13" },
	{ .key = "colour", .meta = "COLOUR", .label = "Colour",
	  .help = "its colour" },
	{ .key = "imei", .meta = "IMEI", .label = "IMEI",
	  .help = "if printed on the SIM tray or box; never unlock the "
	  "phone to read it" },
	{ .key = "port", .meta = "PORT", .label = "USB port",
	  .help = "the station port it is plugged into (custody device list "
	  "--detected): fills in make, model and USB identity" },
	{ .key = NULL },
};

static const struct op_arg list_args[] = {
	{ .key = "state", .meta = "STATE", .label = "State",
	  .help = "only devices in this state", .choices = states },
	{ .key = "overdue", .flags = OA_FLAG, .label = "Overdue",
	  .help = "only devices held past the end of the school day" },
	{ .key = "all", .flags = OA_FLAG, .label = "All",
	  .help = "closed records too (released, handed to police); the "
	  "newest 200; with --detected, devices that are not phones too" },
	{ .key = "detected", .flags = OA_FLAG, .label = "Detected",
	  .help = "instead, the phones and tablets plugged into the station "
	  "and not yet registered" },
	{ .key = NULL },
};

static const struct op_arg seal_args[] = {
	{ .key = "old_seal", .flags = OA_REQUIRED, .meta = "SEAL",
	  .label = "Old seal number", .help = "the number on the seal being "
	  "removed" },
	{ .key = "new_seal", .flags = OA_REQUIRED, .meta = "SEAL",
	  .label = "New seal number", .help = "the number on the new "
	  "tamper-evident bag" },
	{ .key = "why", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Why", .help = "why the seal was changed" },
	{ .key = NULL },
};

static const struct op_arg move_args[] = {
	{ .key = "location", .flags = OA_REQUIRED, .meta = "PLACE",
	  .label = "New location", .help = "where it is kept now" },
	{ .key = "why", .meta = "TEXT", .label = "Why",
	  .help = "why it was moved" },
	{ .key = NULL },
};

static const struct op_arg checkout_args[] = {
	{ .key = "to", .flags = OA_REQUIRED, .meta = "NAME",
	  .label = "Given to", .help = "the person taking it, by name" },
	{ .key = "purpose", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Purpose", .help = "what it is taken out for" },
	{ .key = NULL },
};

static const struct op_arg return_args[] = {
	{ .key = "seal", .meta = "SEAL", .label = "Seal number",
	  .help = "the seal now on the bag, if it was resealed" },
	{ .key = NULL },
};

static const struct op_arg search_args[] = {
	{ .key = "consent_by", .flags = OA_REQUIRED, .meta = "WHO",
	  .label = "Consent given by", .help = "who consented to the search",
	  .choices = consenters },
	{ .key = "consent_name", .flags = OA_REQUIRED, .meta = "NAME",
	  .label = "Name of who consented", .help = "their full name" },
	{ .key = "consent_how", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "How consent was given", .help = "e.g. in person, "
	  "signed form" },
	{ .key = "good_reason", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Good reason", .help = "the good reason for searching "
	  "the device (DfE guidance)" },
	{ .key = "found", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Found", .help = "'nothing', or what was found" },
	{ .key = NULL },
};

static const struct op_arg refer_args[] = {
	{ .key = "reason", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Reason", .help = "why the DSL needs to see this" },
	{ .key = NULL },
};

static const struct op_arg release_args[] = {
	{ .key = "to_name", .flags = OA_REQUIRED, .meta = "NAME",
	  .label = "Collected by", .help = "the parent or carer's full name" },
	{ .key = "relationship", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Relationship", .help = "to the pupil, e.g. mother" },
	{ .key = "id_check", .flags = OA_REQUIRED, .meta = "TEXT",
	  .label = "Identity check", .help = "how their identity was "
	  "checked, e.g. driving licence" },
	{ .key = NULL },
};

static const struct op_arg handover_args[] = {
	{ .key = "officer_user", .flags = OA_REQUIRED, .meta = "USER",
	  .label = "Officer's account", .help = "the police account the DSL "
	  "made with custody police add" },
	{ .key = "seal", .flags = OA_REQUIRED, .meta = "SEAL",
	  .label = "Seal number", .help = "the number on the evidence bag "
	  "handed over" },
	{ .key = NULL },
};

static int
print_list(const json_t *result)
{
	const json_t *devs = json_object_get(result, "devices");
	const json_t *usb = json_object_get(result, "usb");
	const char *state;

	if ((devs = json_object_get(result, "detected")) != NULL) {
		state = json_string_value(json_object_get(usb, "state"));
		if (state != NULL && strcmp(state, "running") != 0)
			cli_print_field(stdout, "USB detection", 14, "state",
			    json_object_get(usb, "why") ?:
			    json_object_get(usb, "state"));
		if (json_array_size(devs) == 0) {
			printf("Nothing plugged in waiting to be registered.\n");
			return CLI_OK;
		}
		return cli_print_plugged(stdout, devs) == 0 ? CLI_OK :
		    CLI_FAIL;
	}
	devs = json_object_get(result, "devices");
	if (json_array_size(devs) == 0) {
		printf("No devices.\n");
		return CLI_OK;
	}
	return cli_print_devices(stdout, devs) == 0 ? CLI_OK : CLI_FAIL;
}

static int
print_show(const json_t *result)
{
	static const char *const skip[] = { "device", "events", NULL };
	const json_t *dev = json_object_get(result, "device");
	int r = 0;

	if (json_is_object(dev))
		cli_print_object(stdout, dev, NULL);
	else
		cli_print_field(stdout, "device", 6, "device", dev);
	cli_print_object(stdout, result, skip);
	printf("\nEvents:\n");
	if (json_array_size(json_object_get(result, "events")) == 0)
		printf("(none)\n");
	else
		r = cli_print_events(stdout, json_object_get(result,
		    "events"));
	return r == 0 ? CLI_OK : CLI_FAIL;
}

static const struct op_desc device_register = {
	.op = "device.register", .cmd = "device register",
	.about = "Records a confiscation: the pupil, the reason, where the "
	"device is stored and the seal on its bag.  Prints the new device "
	"id: write it on the bag label.",
	.args = register_args,
	.done = "New device id (write it on the bag label):",
	.created = "device",
};

static const struct op_desc device_list = {
	.op = "device.list", .cmd = "device list",
	.about = "Lists devices with their state, pupil, reason, location, "
	"seal, since when (local time), and whether they are overdue.",
	.args = list_args, .print = print_list,
};

static const struct op_desc device_show = {
	.op = "device.show", .cmd = "device show",
	.about = "Prints a device's record, then every event in its custody "
	"record.",
	.id = &device_id, .print = print_show,
};

static const struct op_desc device_seal = {
	.op = "device.seal", .cmd = "device seal",
	.about = "Records that a device's tamper-evident bag was replaced.",
	.id = &device_id, .args = seal_args, .done = "seal changed",
};

static const struct op_desc device_move = {
	.op = "device.move", .cmd = "device move",
	.about = "Records a device's new storage location.",
	.id = &device_id, .args = move_args, .done = "moved",
};

static const struct op_desc device_checkout = {
	.op = "device.checkout", .cmd = "device checkout",
	.about = "Records that a device was given to a named person for a "
	"purpose.",
	.id = &device_id, .args = checkout_args, .done = "checked out",
};

static const struct op_desc device_return = {
	.op = "device.return", .cmd = "device return",
	.about = "Records that a checked-out device came back into storage.",
	.id = &device_id, .args = return_args, .done = "returned to storage",
};

static const struct op_desc device_search = {
	.op = "device.search", .cmd = "device search",
	.about = "Records a search of a device by a senior leader, with the "
	"consent of the pupil or a parent/carer and a good reason.  Never "
	"search for suspected nudes: refer to the DSL (custody device "
	"refer).",
	.id = &device_id, .args = search_args, .done = "search recorded",
};

static const struct op_desc device_refer = {
	.op = "device.refer", .cmd = "device refer",
	.about = "Refers a device to the Designated Safeguarding Lead.",
	.id = &device_id, .args = refer_args, .done = "referred to the DSL",
};

static const struct op_desc device_release = {
	.op = "device.release", .cmd = "device release",
	.about = "Records that a device was returned to a parent or carer, "
	"and how their identity was checked.",
	.id = &device_id, .args = release_args,
	.done = "released to the parent/carer",
};

static const struct op_desc device_handover = {
	.op = "device.handover", .cmd = "device handover",
	.about = "Hands a device to a police officer.  The DSL confirms with "
	"their own password; the officer countersigns by typing theirs.  "
	"Print the receipt for the evidence bag.",
	.id = &device_id, .args = handover_args,
	.secrets = OP_STEPUP | OP_OFFICER, .done = "handed to police",
};

int
cmd_device_register(int argc, char **argv)
{
	return op_run(&device_register, argc, argv);
}

int
cmd_device_list(int argc, char **argv)
{
	return op_run(&device_list, argc, argv);
}

int
cmd_device_show(int argc, char **argv)
{
	return op_run(&device_show, argc, argv);
}

int
cmd_device_seal(int argc, char **argv)
{
	return op_run(&device_seal, argc, argv);
}

int
cmd_device_move(int argc, char **argv)
{
	return op_run(&device_move, argc, argv);
}

int
cmd_device_checkout(int argc, char **argv)
{
	return op_run(&device_checkout, argc, argv);
}

int
cmd_device_return(int argc, char **argv)
{
	return op_run(&device_return, argc, argv);
}

int
cmd_device_search(int argc, char **argv)
{
	return op_run(&device_search, argc, argv);
}

int
cmd_device_refer(int argc, char **argv)
{
	return op_run(&device_refer, argc, argv);
}

int
cmd_device_release(int argc, char **argv)
{
	return op_run(&device_release, argc, argv);
}

int
cmd_device_handover(int argc, char **argv)
{
	return op_run(&device_handover, argc, argv);
}
