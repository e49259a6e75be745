/*
 * ios.c -- the iOS identity step in custody-usbwatch: lockdownd's five
 * public values for the Apple device plugged in at a port, as the "ios"
 * message of daemon/usbmon.h.  The reading, its timeout and its child
 * process are lockdown.c's; the validation is ios_identity.c's.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/usbwatch/ios_identity.h"
#include "daemon/usbwatch/lockdown.h"
#include "daemon/usbwatch/usbwatch.h"

json_t *
usbwatch_ios(const char *port, uint8_t devnum, const struct usb_identity *id,
    int timeout_ms)
{
	struct ios_identity ios;
	char serial[USB_STR_MAX + 1], err[256] = "";
	json_t *msg, *values = NULL;

	msg = json_pack("{s:s, s:s, s:i}", "type", "ios", "port", port,
	    "devnum", (int)devnum);
	if (msg == NULL)
		return NULL;
	/* The UDID must match the serial: a device without one has none. */
	if (!id->serial.present || !id->serial.valid_utf8 ||
	    memchr(id->serial.bytes, '\0', id->serial.len) != NULL) {
		json_object_set_new(msg, "error", json_string("no USB serial "
		    "to find the device by in usbmuxd"));
		return msg;
	}
	memcpy(serial, id->serial.bytes, id->serial.len);
	serial[id->serial.len] = '\0';
	if (ios_lockdown_read(serial, timeout_ms, &ios, err, sizeof(err)) != 0)
		json_object_set_new(msg, "error", json_string(err));
	else if (ios_identity_to_json(&ios, &values) != 0)
		json_object_set_new(msg, "error", json_string("out of memory"));
	else
		json_object_set_new(msg, "ios", values);
	return msg;
}
