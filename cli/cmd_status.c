/*
 * cmd_status.c -- custody status (the station's health) and custody
 * report (aggregate counts for the DSL, the head and the governor).
 *
 * Both print what custodyd sends: known fields first, in a fixed order,
 * then anything else it added, so a newer daemon's fields still show.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/op.h"
#include "cli/table.h"

static const struct {
	const char	*key;
	const char	*label;
} status_fields[] = {
	{ "station", "Station" },
	{ "fingerprint", "Key fingerprint" },
	{ "log_size", "Log size (events)" },
	{ "root", "Log root" },
	{ "checkpoint_time", "Last checkpoint" },
	{ "clock", "Clock" },
	{ "disk", "Disk" },
	{ "overdue_count", "Overdue devices" },
};

/*
 * Prints a titled list: custody events as an event table, other objects
 * as a table, other values as "  - item" lines, or "(none)".
 */
static int
print_section(const char *title, const json_t *v)
{
	const json_t *first = json_array_get(v, 0);

	printf("\n%s:\n", title);
	if (json_is_object(first) && json_object_get(first, "action") != NULL &&
	    json_object_get(first, "seq") != NULL)
		return cli_print_events(stdout, v) == 0 ? CLI_OK : CLI_FAIL;
	if (json_is_array(v))
		return cli_print_array(stdout, v) == 0 ? CLI_OK : CLI_FAIL;
	cli_print_item(stdout, v);
	return CLI_OK;
}

/* The USB monitor's state, and everything plugged in. */
static int
print_usb(const json_t *usb)
{
	const json_t *plugged = json_object_get(usb, "plugged");

	cli_print_field(stdout, "USB detection", 17, "state",
	    json_object_get(usb, "state"));
	if (json_object_get(usb, "why") != NULL)
		cli_print_field(stdout, "USB stopped", 17, "why",
		    json_object_get(usb, "why"));
	if (json_array_size(plugged) == 0)
		return CLI_OK;
	printf("\nPlugged in (not phones are never registered):\n");
	return cli_print_plugged(stdout, plugged) == 0 ? CLI_OK : CLI_FAIL;
}

static int
print_status(const json_t *result)
{
	static const char *const skip[] = { "station", "fingerprint",
	    "log_size", "root", "checkpoint_time", "clock", "disk",
	    "overdue_count", "overdue", "warnings", "recent_denials", "usb",
	    NULL };
	const json_t *v;
	size_t i;
	int r = CLI_OK;

	for (i = 0; i < sizeof(status_fields) / sizeof(status_fields[0]);
	    i++)
		if ((v = json_object_get(result, status_fields[i].key)) != NULL)
			cli_print_field(stdout, status_fields[i].label, 17,
			    status_fields[i].key, v);
	cli_print_object(stdout, result, skip);
	v = json_object_get(result, "overdue");
	if (json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
		printf("\nOverdue devices (held past the end of the school "
		    "day):\n");
		r = cli_print_devices(stdout, v) == 0 ? CLI_OK : CLI_FAIL;
	} else if (json_array_size(v) > 0)
		r = print_section("Overdue devices", v);
	if (r == CLI_OK && (v = json_object_get(result, "usb")) != NULL)
		r = print_usb(v);
	v = json_object_get(result, "warnings");
	if (r == CLI_OK && v != NULL)
		r = print_section("Warnings", v);
	v = json_object_get(result, "recent_denials");
	if (r == CLI_OK && v != NULL)
		r = print_section("Recent refusals", v);
	return r;
}

/* A heading from a key: "by_category" -> "By category". */
static void
label_of(const char *key, char *out, size_t len)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < len; i++)
		out[i] = key[i] == '_' ? ' ' : key[i];
	out[i] = '\0';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

/*
 * An object of counts as rows: {"a":1} -> [{"<first>":"a","count":1}],
 * {"a":{"x":1}} -> [{"<first>":"a","x":1}].
 */
static json_t *
object_rows(const char *key, const json_t *obj)
{
	const char *first = strncmp(key, "by_", 3) == 0 ? key + 3 : "name";
	json_t *rows = json_array(), *row, *v;
	const char *k;

	json_object_foreach((json_t *)obj, k, v) {
		row = json_pack("{s:s}", first, k);
		if (json_is_object(v))
			(void)json_object_update(row, v);
		else
			(void)json_object_set(row, "count", v);
		if (json_array_append_new(rows, row) != 0) {
			json_decref(rows);
			return NULL;
		}
	}
	return rows;
}

static int
print_report(const json_t *result)
{
	char label[64];
	const char *k;
	json_t *v, *rows;
	int r = CLI_OK;

	json_object_foreach((json_t *)result, k, v) {
		label_of(k, label, sizeof(label));
		if (!json_is_object(v) && !json_is_array(v))
			cli_print_field(stdout, label, 24, k, v);
	}
	json_object_foreach((json_t *)result, k, v) {
		label_of(k, label, sizeof(label));
		if (r != CLI_OK || (!json_is_object(v) && !json_is_array(v)))
			continue;
		if (json_is_array(v)) {
			r = print_section(label, v);
			continue;
		}
		if ((rows = object_rows(k, v)) == NULL)
			return CLI_FAIL;
		r = print_section(label, rows);
		json_decref(rows);
	}
	return r;
}

static const struct op_desc status = {
	.op = "station.status", .cmd = "status",
	.about = "Prints the station's health: its id and key fingerprint, "
	"the log's size and root, the last signed checkpoint, clock and "
	"disk, overdue devices, warnings, and recent refusals (for the "
	"DSL).",
	.print = print_status,
};

static const struct op_desc report = {
	.op = "report", .cmd = "report",
	.about = "Prints aggregate counts (by category, by month, overdue "
	"devices): no names, no pupil references.",
	.print = print_report,
};

int
cmd_status(int argc, char **argv)
{
	return op_run(&status, argc, argv);
}

int
cmd_report(int argc, char **argv)
{
	return op_run(&report, argc, argv);
}
