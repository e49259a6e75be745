/*
 * custody -- the command line of a custody station.
 *
 * main() finds the command group and verb and hands the remaining
 * arguments to the command, which parses its own options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

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
	{ NULL, NULL, NULL, NULL },
};

static void
usage(FILE *fp)
{
	const struct cli_cmd *c;

	fprintf(fp, "usage: custody <command> [options]\n\ncommands:\n");
	for (c = commands; c->group != NULL; c++)
		fprintf(fp, "  %-8s %-8s %s\n", c->group, c->verb, c->summary);
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
	for (c = commands; c->group != NULL; c++) {
		if (strcmp(argv[1], c->group) != 0)
			continue;
		if (argc < 3)
			break;
		if (strcmp(argv[2], c->verb) == 0)
			return c->run(argc - 2, argv + 2);
	}
	cli_error("unknown command '%s%s%s'; run 'custody --help' for the "
	    "list", argv[1], argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
	return CLI_USAGE;
}
