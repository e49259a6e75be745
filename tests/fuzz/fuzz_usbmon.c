/*
 * fuzz_usbmon.c -- a message from custody-usbwatch, as custodyd checks it
 * (usbmon_check, daemon/usbmon.h).  The helper is the process a hostile
 * device talks to; if it were taken over, this is all it could send.
 *
 * Input: the message bytes, parsed as custodyd parses them (jansson,
 * duplicate keys refused).  A message usbmon_check accepts must have the
 * shape custodyd then relies on: a type, and for device facts a port and
 * a devnum in range; for an arrival an identity with a classification.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/usbmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *msg, *v;
	const char *type;
	char err[256];

	if (size > USBMON_MAX_MSG)
		return 0;
	msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &je);
	if (msg == NULL)
		return 0;
	if (usbmon_check(msg, err, sizeof(err)) == 0) {
		type = json_string_value(json_object_get(msg, "type"));
		if (type == NULL)
			abort();
		if (strcmp(type, "ready") != 0 && strcmp(type, "error") != 0) {
			v = json_object_get(msg, "port");
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) >= USBMON_PORT_MAX ||
			    !json_is_integer(json_object_get(msg, "devnum")))
				abort();
		}
		if (strcmp(type, "arrived") == 0 &&
		    !json_is_string(json_object_get(json_object_get(
		    json_object_get(msg, "identity"), "classification"),
		    "kind")))
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	json_decref(msg);
	return 0;
}
