/*
 * usbmon.h -- the USB monitor: custodyd's side of custody-usbwatch.
 *
 * Everything a device sends is hostile, so custodyd never reads a device
 * itself.  At start-up (before its own seccomp filter) it forks and execs
 * custody-usbwatch (daemon/usbwatch/) with one end of a SOCK_SEQPACKET
 * socketpair as descriptor 3.  The helper holds no database connection
 * and no key: it watches libusb hotplug, reads each device's identity from sysfs
 * (daemon/usb_udev.c), classifies it (daemon/usb_classify.c), optionally
 * asks an unpaired iPhone's lockdownd for its identity, confines itself
 * with a seccomp allowlist of its own, and sends one message per fact:
 *
 *   {"type":"arrived","port":P,"devnum":N,"identity":{...}}
 *   {"type":"refused","port":P,"devnum":N,"reason":"..."}
 *   {"type":"ios","port":P,"devnum":N,"ios":{...}}
 *   {"type":"left","port":P,"devnum":N}
 *   {"type":"ready","present":N}	after the devices present at start
 *   {"type":"error","message":"..."}	and then it exits
 *
 * When the helper stops (killed, exited, or stopped for flooding),
 * custodyd records "usb.monitor_stopped" with why and the ports that
 * were plugged in, and forgets them.
 *
 * P is the kernel's port path ("1-4.2"), N the device number on its bus;
 * together they name one plug-in.  "identity" is usb_identity_to_json()
 * with its classification; "refused" is a device whose attributes did not
 * validate (the reason says which); "ios" is the lockdown step's answer.
 *
 * custodyd checks the shape of everything: usbmon_check() refuses a
 * message that is not one of these, with a field of the wrong type, an
 * over-long string, a port that is not digits, dashes and dots, or more
 * than USBMON_MAX_MSG bytes; an identity is taken only from an arrival;
 * a flood (over 600 messages a minute) stops the helper.  A compromised
 * helper can lie about what is plugged in (that is the limit of the
 * split).  It cannot reach the daemon's memory or write the database
 * (its filter opens files read-only), but it runs as custodyd's user and
 * could read the state directory, keys included: a user of its own, or
 * Landlock, would close that; not done.
 *
 * What custodyd records: "device.detected" for a device not registered
 * (or "device.seen" against a registered, still open device with the same
 * vendor, product and serial), "device.identified" for an iOS answer, and
 * "device.unplugged" when it leaves.  Devices that are not phones are
 * recorded too (a USB stick in an evidence station is worth knowing
 * about) but are never offered for registration.
 */
#ifndef CUSTODY_USBMON_H
#define CUSTODY_USBMON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define USBMON_MAX_MSG		32768	/* one helper message */
#define USBMON_MAX_PRESENT	128	/* devices plugged in at once */
#define USBMON_PORT_MAX		40	/* as USB_PORT_MAX */
#define USBMON_FD		3	/* the helper's end, in the helper */

struct daemon;
struct usbmon;

/*
 * Starts the helper at path (with --ios-lockdown if ios is set).  Returns
 * 0, or a CUSTODY_ERR_* with err set; the daemon then serves without USB
 * detection and says so in custody status.
 */
int	usbmon_start(struct daemon *d, const char *path, int ios, char *err,
	    size_t errlen);
/* The descriptor to poll, or -1 when no helper runs. */
int	usbmon_fd(const struct daemon *d);
/* Reads and records every message waiting on the helper's socket. */
void	usbmon_read(struct daemon *d);
/* Closes the socket (the helper exits on EOF) and reaps it. */
void	usbmon_stop(struct daemon *d);

/*
 * Checks a helper message's shape (see above).  Returns 0, or
 * CUSTODY_ERR_INVAL with what is wrong in err.  Pure; fuzzed.
 */
int	usbmon_check(const json_t *msg, char *err, size_t errlen);

/*
 * For the handlers.  usbmon_list: the devices plugged in now, as an array
 * of {port, devnum, kind, vendor_id, product_id, serial, manufacturer,
 * product, detected_seq, detected_at, device}; phones and tablets not yet
 * registered only, unless all is set.  usbmon_status: the monitor's state
 * for custody status.  usbmon_find: the identity of the unregistered phone
 * or tablet at port, borrowed, or NULL with the reason in why.
 * usbmon_registered: the device at port became device id.
 */
json_t	*usbmon_list(const struct daemon *d, int all);
json_t	*usbmon_status(const struct daemon *d);
const json_t *usbmon_find(const struct daemon *d, const char *port,
	    uint64_t *detected_seq, char *why, size_t whylen);
void	usbmon_registered(struct daemon *d, const char *port, const char *id);

#endif
