/*
 * custody -- the command line of a custody station.
 *
 * main() finds the command group and verb and hands the remaining
 * arguments to the command, which parses its own options.  A command
 * with no verb (login, status, ...) gets its own name as argv[0].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static const struct cli_cmd commands[] = {
	{ "station", "init", cmd_station_init,
	    "create a station: state directory, key, certificate, log" },
	{ "log", "show", cmd_log_show, "print custody log events" },
	{ "log", "verify", cmd_log_verify,
	    "verify the whole log offline (read-only)" },
	{ "log", "proof", cmd_log_proof, "print an event's inclusion proof" },
	{ "log", "receipt", cmd_log_receipt, "print an event's receipt" },
	{ "log", "append", cmd_log_append,
	    "append an event offline with the station key" },
	{ "login", NULL, cmd_login, "log in to custodyd" },
	{ "logout", NULL, cmd_logout, "end your custodyd session" },
	{ "whoami", NULL, cmd_whoami, "print your account and role" },
	{ "passwd", NULL, cmd_passwd, "change your own password" },
	{ "status", NULL, cmd_status, "print the station's health" },
	{ "report", NULL, cmd_report,
	    "print aggregate counts (no identities)" },
	{ "device", "register", cmd_device_register,
	    "record a confiscated device" },
	{ "device", "list", cmd_device_list, "list devices" },
	{ "device", "show", cmd_device_show,
	    "print a device and its custody events" },
	{ "device", "seal", cmd_device_seal, "record a new seal" },
	{ "device", "move", cmd_device_move, "record a new location" },
	{ "device", "checkout", cmd_device_checkout,
	    "give a device to a named person" },
	{ "device", "return", cmd_device_return,
	    "take a checked-out device back" },
	{ "device", "search", cmd_device_search,
	    "record a search with consent" },
	{ "device", "refer", cmd_device_refer, "refer a device to the DSL" },
	{ "device", "release", cmd_device_release,
	    "return a device to a parent or carer" },
	{ "device", "handover", cmd_device_handover,
	    "hand a device to police (countersigned)" },
	{ "case", "open", cmd_case_open, "open a safeguarding case" },
	{ "case", "show", cmd_case_show,
	    "print a case, its devices and events" },
	{ "case", "list", cmd_case_list, "list cases" },
	{ "case", "classify", cmd_case_classify, "change a case's category" },
	{ "case", "flag", cmd_case_flag, "set or clear offence_suspected" },
	{ "case", "link", cmd_case_link, "link a device to a case" },
	{ "case", "refer", cmd_case_refer, "record a referral to police" },
	{ "case", "police", cmd_case_police,
	    "make the collecting officer's account for a referred case" },
	{ "device", "unseal", cmd_device_unseal,
	    "break a seal to view on the phone, through the gate" },
	{ "item", "add", cmd_item_add, "take a file in as encrypted evidence" },
	{ "item", "list", cmd_item_list, "list a case's items (no content)" },
	{ "item", "delete", cmd_item_delete,
	    "crypto-shred an item once no agency needs it" },
	{ "export", "fetch", cmd_export_fetch,
	    "collect a sealed export (police)" },
	{ "export", "list", cmd_export_list, "list sealed exports" },
	{ "export", NULL, cmd_export,
	    "seal one case for the police (BagIt, CMS)" },
	{ "verify", NULL, cmd_verify,
	    "check a sealed export offline, with its proofs" },
	{ "view", NULL, cmd_view,
	    "view an item, after recording the justification" },
	{ "user", "add", cmd_user_add, "add an account" },
	{ "user", "list", cmd_user_list, "list accounts" },
	{ "user", "disable", cmd_user_disable, "disable an account" },
	{ "user", "passwd", cmd_user_passwd,
	    "set another account's password" },
	{ "user", "role", cmd_user_role, "change an account's role" },
	{ "police", "add", cmd_police_add,
	    "create a time-limited police account" },
	{ NULL, NULL, NULL, NULL },
};

static void
usage(FILE *fp)
{
	const struct cli_cmd *c;

	fprintf(fp, "usage: custody <command> [options]\n\ncommands:\n");
	for (c = commands; c->group != NULL; c++)
		fprintf(fp, "  %-8s %-8s %s\n", c->group,
		    c->verb != NULL ? c->verb : "", c->summary);
	fprintf(fp, "\n'custody <command> --help' describes each; see "
	    "custody(1).\n");
}

int
main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	client_json_secure();
	for (c = commands; c->group != NULL; c++) {
		if (strcmp(argv[1], c->group) != 0)
			continue;
		if (c->verb == NULL)
			return c->run(argc - 1, argv + 1);
		if (argc < 3)
			break;
		if (strcmp(argv[2], c->verb) == 0)
			return c->run(argc - 2, argv + 2);
	}
	cli_error("unknown command '%s%s%s'; run 'custody --help' for the "
	    "list", argv[1], argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
	return CLI_USAGE;
}
