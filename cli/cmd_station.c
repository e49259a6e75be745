/* cmd_station.c -- custody station init. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/error.h"
#include "evidence/station.h"

#define INIT_USAGE "custody station init --state DIR --id STATION-ID"

int
cmd_station_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "id", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL, *id = NULL;
	char fpr[SIGN_FPR_HEX], err[512];
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'i': id = optarg; break;
		case 'h':
			printf("usage: %s\n\nCreates a station: the state "
			    "directory (0700), the station key (0600), its\n"
			    "self-signed certificate and the custody log, "
			    "whose first event names the key.\n", INIT_USAGE);
			return CLI_OK;
		default:
			return cli_usage(INIT_USAGE);
		}
	}
	if (optind != argc || id == NULL) {
		if (id == NULL)
			cli_error("missing --id: the station id, e.g. "
			    "school.example/custody-1");
		return cli_usage(INIT_USAGE);
	}
	err[0] = '\0';
	state = cli_state_dir(state);
	if ((r = station_init(state, id, fpr, err, sizeof(err))) != 0)
		return cli_fail(r, err);
	printf("station %s created in %s\n", id, state);
	printf("station key fingerprint (SHA-256 of %s/%s):\n  %s\n", state,
	    STATION_CERT, fpr);
	printf("Write the fingerprint on the station's paper log: receipts "
	    "and exports name it.\n");
	return CLI_OK;
}
