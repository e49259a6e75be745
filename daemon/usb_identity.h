/*
 * usb_identity.h -- a USB device's identity, as the kernel already read it.
 *
 * Principle 1 (DESIGN section 3): the station identifies a phone only from
 * what the kernel holds in sysfs -- vendor and product ids, the serial,
 * manufacturer and product strings it fetched at enumeration, the device
 * class, each interface's class/subclass/protocol and string, the bus,
 * port path and speed.  Nothing here sends a control transfer, asks for a
 * string descriptor or claims an interface.
 *
 * Everything a device sends is hostile.  The work is split in two:
 *
 *   usb_identity_parse()      pure: raw attribute strings (as sysfs gives
 *                             them) in, a validated struct usb_identity out.
 *                             No I/O; unit-tested and fuzzable from plain
 *                             strings.
 *   usb_identity_read_udev()  the adapter (daemon/usb_udev.c, the only file
 *                             that includes libudev.h): collects the raw
 *                             strings of one usb_device and its interfaces
 *                             and hands them to usb_identity_parse().
 *
 * Validation: ids are exactly four hex digits, classes exactly two; bus
 * and device numbers are decimal 1..255; the port path is digits and dots.
 * Any of these malformed refuses the whole identity (CUSTODY_ERR_INVAL)
 * rather than guessing.  Strings (serial, manufacturer, product, interface
 * names) are kept as the bytes received, cut to USB_STR_MAX bytes on a
 * UTF-8 boundary, and shown only through usb_text_display(), which escapes
 * control characters, terminal escapes and invalid UTF-8.  At most
 * USB_MAX_INTERFACES interfaces are kept; a device with more is marked
 * too_many_interfaces (the classifier then calls it not a phone).
 */
#ifndef CUSTODY_USB_IDENTITY_H
#define CUSTODY_USB_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Bytes kept of a device string; the kernel itself caps them near 126. */
#define USB_STR_MAX		128
/* The kernel's own limit (USB_MAXINTERFACES in include/linux/usb.h). */
#define USB_MAX_INTERFACES	32
/* Room for any escaped USB_STR_MAX-byte string: "\xNN" per byte at most. */
#define USB_TEXT_DISPLAY_MAX	(USB_STR_MAX * 4 + 4)
/* "255-" plus up to 7 tiers of "255." and a NUL. */
#define USB_PORT_MAX		40
#define USB_SPEED_MAX		12

/* A string a device sent, kept as received. */
struct usb_text {
	char	 bytes[USB_STR_MAX + 1];	/* NUL after len bytes */
	size_t	 len;		/* bytes kept, <= USB_STR_MAX */
	size_t	 received;	/* bytes the kernel held (> len if cut) */
	int	 present;	/* the attribute existed */
	int	 truncated;	/* received > len */
	int	 valid_utf8;	/* bytes[0..len) is valid UTF-8 */
};

struct usb_iface {
	uint8_t		 number;	/* bInterfaceNumber */
	uint8_t		 cls;		/* bInterfaceClass */
	uint8_t		 subclass;	/* bInterfaceSubClass */
	uint8_t		 protocol;	/* bInterfaceProtocol */
	struct usb_text	 name;		/* iInterface string ("MTP"), if any */
};

struct usb_identity {
	uint16_t	 vendor_id;
	uint16_t	 product_id;
	uint8_t		 device_class;	/* bDeviceClass */
	uint8_t		 busnum;
	uint8_t		 devnum;
	char		 port[USB_PORT_MAX];	/* "1-1.4": busnum-devpath */
	char		 speed[USB_SPEED_MAX];	/* "480"; "" if unknown */
	struct usb_text	 serial;
	struct usb_text	 manufacturer;
	struct usb_text	 product;
	struct usb_iface ifaces[USB_MAX_INTERFACES];	/* by number */
	size_t		 n_ifaces;	/* kept, <= USB_MAX_INTERFACES */
	size_t		 n_ifaces_seen;	/* found in sysfs */
	int		 too_many_interfaces;	/* n_ifaces_seen > max */
};

/* One interface's attributes as sysfs gives them; NULL if absent. */
struct usb_raw_iface {
	const char	*number;	/* bInterfaceNumber, "00" */
	const char	*cls;		/* bInterfaceClass, "06" */
	const char	*subclass;	/* bInterfaceSubClass */
	const char	*protocol;	/* bInterfaceProtocol */
	const char	*name;		/* interface (iInterface string) */
};

/*
 * A usb_device's attributes as sysfs gives them (NUL-terminated, trailing
 * newline already removed by libudev); NULL if absent.  The strings are
 * borrowed: usb_identity_parse copies what it keeps.
 */
struct usb_raw_identity {
	const char		*vendor_id;	/* idVendor, "05ac" */
	const char		*product_id;	/* idProduct */
	const char		*device_class;	/* bDeviceClass, "00" */
	const char		*busnum;	/* "1" */
	const char		*devnum;	/* "5" */
	const char		*devpath;	/* "1.4" (port path on the bus) */
	const char		*speed;		/* "480" */
	const char		*serial;
	const char		*manufacturer;
	const char		*product;
	struct usb_raw_iface	 ifaces[USB_MAX_INTERFACES];
	size_t			 n_ifaces;	/* filled, <= USB_MAX_INTERFACES */
	size_t			 n_ifaces_seen;	/* found, may be larger */
};

/*
 * Validates raw and fills *id (cleared first, so on error it holds nothing
 * half-parsed).  Returns 0, or CUSTODY_ERR_INVAL with the attribute and
 * what was wrong with it in err (shown escaped; err may be NULL).
 */
int	usb_identity_parse(const struct usb_raw_identity *raw,
	    struct usb_identity *id, char *err, size_t errlen);

/*
 * Copies s (NUL-terminated, may be NULL for "absent") into t: at most
 * USB_STR_MAX bytes, cut so that no valid UTF-8 sequence is split (an
 * invalid byte counts as one unit).
 */
void	usb_text_set(struct usb_text *t, const char *s);

/*
 * The escaped, terminal-safe form of t in out (common/escape.h); "" if t is
 * absent.  outlen of USB_TEXT_DISPLAY_MAX always holds the whole string.
 * Returns out.
 */
char	*usb_text_display(const struct usb_text *t, char *out, size_t outlen);

/*
 * Adds t to the JSON object o as usb_identity_to_json does: under name if
 * valid UTF-8, else "<name>_hex"; "<name>_received_bytes" if cut; nothing
 * if absent.  Returns 0 or CUSTODY_ERR_NOMEM.
 */
int	usb_text_to_json(json_t *o, const char *name, const struct usb_text *t);

/*
 * Strict parsers, exported for the tests: exactly four (two) hex digits,
 * either case, nothing else.  Return 0 or CUSTODY_ERR_INVAL.
 */
int	usb_parse_hex16(const char *s, uint16_t *out);
int	usb_parse_hex8(const char *s, uint8_t *out);

struct usb_verdict;

/*
 * The identity as a JSON object for the device.detected event (caller
 * owns *out; encode it with canon_encode).  Strings that are valid UTF-8
 * appear as JSON strings holding exactly the bytes kept; others appear as
 * "<name>_hex" (lowercase hex of the bytes); a cut string also carries
 * "<name>_received_bytes".  Absent strings are omitted.  If verdict is not
 * NULL the classification is added as "classification".  Returns 0 or
 * CUSTODY_ERR_NOMEM.
 */
int	usb_identity_to_json(const struct usb_identity *id,
	    const struct usb_verdict *verdict, json_t **out);

struct udev_device;

/*
 * The adapter (daemon/usb_udev.c): reads dev, a usb_device, and its direct
 * child interfaces from sysfs through libudev -- attributes only, never a
 * transfer -- and parses them with usb_identity_parse.  Interfaces of
 * devices behind a hub are not the hub's.  Returns 0, CUSTODY_ERR_INVAL
 * (not a usb_device, or an attribute malformed), or CUSTODY_ERR_NOMEM.
 */
int	usb_identity_read_udev(struct udev_device *dev,
	    struct usb_identity *id, char *err, size_t errlen);

#endif
