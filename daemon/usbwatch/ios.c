/*
 * ios.c -- the iOS identity step, until the lockdown reader lands.
 */
#include "daemon/usbwatch/usbwatch.h"

json_t *
usbwatch_ios(const char *port, uint8_t devnum, const struct usb_identity *id,
    int timeout_ms)
{
	(void)id;
	(void)timeout_ms;
	return json_pack("{s:s, s:s, s:i, s:s}", "type", "ios", "port", port,
	    "devnum", (int)devnum, "error", "this build has no iOS "
	    "identity step");
}
