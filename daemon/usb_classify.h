/*
 * usb_classify.h -- is this USB device a phone, a tablet, or neither?
 *
 * A pure function of a validated struct usb_identity and two constant
 * tables kept as data in daemon/usb_table.c: the phone vendors (each
 * entry cites where its id comes from) and the interface signatures of
 * phone data functions (MTP, PTP, ADB, usbmux, tethering).  No I/O.
 *
 * The decision, first rule that applies:
 *
 *   1. too many interfaces (more than the kernel allows)    NOT_PHONE
 *   2. a hub (bDeviceClass 09), whatever sits behind it     NOT_PHONE
 *   3. a product id the vendor entry lists (Apple's iPhone,
 *      iPad, iPod touch, Apple TV ids from usb.ids)         that kind
 *   4. an interface matching a signature the vendor may use,
 *      signatures tried in table order                      PHONE
 *   5. a phone vendor with no such interface (a Samsung
 *      keyboard, a Samsung SSD, an unconfigured phone)      NOT_PHONE
 *   6. anything else                                        NOT_PHONE
 *
 * Which signatures count depends on the vendor: MTP (by its interface
 * string), ADB and fastboot count for any vendor -- they exist only on
 * phones and tablets.  PTP counts only for a phone vendor (from anyone
 * else it is a camera); ff/ff/00 without the "MTP" string only for
 * Samsung; usbmux and Apple tethering only for Apple; tethering (RNDIS,
 * ECM, NCM) only for vendors that make nothing else with those interfaces
 * (not Lenovo, whose docks speak CDC ECM, nor Huawei or ZTE, whose modem
 * sticks speak RNDIS and ECM).
 *
 * PHONE becomes TABLET (see usb_classify_is_tablet_name) when the product
 * entry says so, when the vendor makes only tablets among its phone-like
 * devices (Amazon), or when the product string names a tablet.
 */
#ifndef CUSTODY_USB_CLASSIFY_H
#define CUSTODY_USB_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/usb_identity.h"

enum usb_kind {
	USB_KIND_NOT_PHONE = 0,
	USB_KIND_PHONE,
	USB_KIND_TABLET,
};

/* Which rule of the decision above applied. */
enum usb_rule {
	USB_RULE_TOO_MANY_INTERFACES = 1,
	USB_RULE_HUB,
	USB_RULE_PRODUCT_ID,
	USB_RULE_INTERFACE,		/* a signature valid for any vendor */
	USB_RULE_VENDOR_INTERFACE,	/* a signature valid for this vendor */
	USB_RULE_VENDOR_NO_DATA,
	USB_RULE_NO_SIGNATURE,
};

/* Vendor flags (struct usb_vendor.flags). */
#define USB_VF_TETHER	0x01	/* RNDIS/ECM/NCM alone mean a phone */
#define USB_VF_APPLE	0x02	/* usbmux and ipheth interfaces mean a phone */
#define USB_VF_SAMSUNG	0x04	/* ff/ff/00 is MTP even without its string */
#define USB_VF_TABLETS	0x08	/* its phone-like devices are all tablets */

struct usb_product {
	uint16_t	 product_id;
	enum usb_kind	 kind;
	const char	*name;		/* as usb.ids names it */
};

struct usb_vendor {
	uint16_t		 vendor_id;
	const char		*name;
	unsigned int		 flags;		/* USB_VF_* */
	const struct usb_product *products;	/* may be NULL */
	size_t			 n_products;
};

/* Signature flags (struct usb_signature.flags): who may use it. */
#define USB_SIG_ANY_VENDOR	0x01	/* a phone whoever made it */
#define USB_SIG_PHONE_VENDOR	0x02	/* a phone if the vendor is listed */
#define USB_SIG_NEEDS_VF	0x04	/* only if vendor has vendor_flag */
#define USB_SIG_NAME_MTP	0x08	/* only if the interface string is "MTP" */

struct usb_signature {
	const char	*name;		/* "ADB" */
	uint8_t		 cls;
	uint8_t		 subclass;
	uint8_t		 protocol;
	unsigned int	 flags;		/* USB_SIG_* */
	unsigned int	 vendor_flag;	/* USB_VF_* for USB_SIG_NEEDS_VF */
};

#define USB_REASON_MAX	192

struct usb_verdict {
	enum usb_kind		 kind;
	enum usb_rule		 rule;
	const struct usb_vendor	*vendor;	/* NULL: not a phone vendor */
	const struct usb_signature *signature;	/* NULL: none matched */
	const struct usb_product *product;	/* NULL: not a listed id */
	int			 iface;		/* index in id->ifaces, or -1 */
	int			 tablet_by_name; /* TABLET from the product string */
	char			 reason[USB_REASON_MAX];	/* one line */
};

/*
 * Classifies id into *v (cleared first).  Never fails: an identity that
 * parsed is always one of the three kinds, with the rule and a one-line
 * reason naming the table entry or interface that decided it, e.g.
 * "Samsung (04e8): interface 1 ff/42/01 is ADB".
 */
void	usb_classify(const struct usb_identity *id, struct usb_verdict *v);

/* "phone", "tablet", "not_phone". */
const char	*usb_kind_name(enum usb_kind kind);
/* "too_many_interfaces", "hub", "product_id", ... */
const char	*usb_rule_name(enum usb_rule rule);

/*
 * The tablet heuristic for Android devices, on a product string: true if
 * it has a word (split on anything but ASCII letters and digits, compared
 * without case) that is "tab", "tablet", "pad", "ipad", "mediapad" or
 * "matepad" -- "Galaxy Tab S6", "Lenovo Tab M10", "Xiaomi Pad 5",
 * "MatePad 11".  Weak by nature: many Android tablets report a product
 * string such as "SAMSUNG_Android" that says nothing, and are then called
 * phones; the staff member registering the device corrects that.
 */
int	usb_classify_is_tablet_name(const char *s, size_t len);

/* The tables in daemon/usb_table.c. */
const struct usb_vendor		*usb_table_vendors(size_t *n);
const struct usb_signature	*usb_table_signatures(size_t *n);
/* The vendor entry for vendor_id, or NULL. */
const struct usb_vendor		*usb_table_find_vendor(uint16_t vendor_id);

#endif
