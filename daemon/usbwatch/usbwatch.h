/*
 * usbwatch.h -- the parts of custody-usbwatch (daemon/usbwatch/main.c).
 */
#ifndef CUSTODY_USBWATCH_H
#define CUSTODY_USBWATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/usb_identity.h"

/*
 * Loads the helper's seccomp allowlist into every thread of the process
 * (libusb's own included); with ios, also what the iOS step's child
 * process needs (fork, wait, kill with SIGKILL, select).  Returns 0, or CUSTODY_ERR_PERM with err set;
 * the helper then refuses to run.  CUSTODYD_NO_SECCOMP=1 skips it, with
 * a warning, as it does for custodyd.
 */
int	usbwatch_confine(int ios, char *err, size_t errlen);

/*
 * The iOS identity step for the Apple device id at port: the "ios"
 * message of daemon/usbmon.h, with either the values lockdownd gave or an
 * "error" saying why there are none.  Returns within timeout_ms.
 */
json_t	*usbwatch_ios(const char *port, uint8_t devnum,
	    const struct usb_identity *id, int timeout_ms);

#endif
