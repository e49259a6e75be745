/*
 * ios_identity.h -- the few values an unpaired iPhone's lockdownd gives,
 * validated.  Pure: no I/O.  The adapter that fetches them is
 * daemon/usbwatch/lockdown.c (ios_lockdown_read, lockdown.h).
 *
 * Five keys, each answered by lockdownd as a plist value (DESIGN section
 * 12; the step itself is described in lockdown.h):
 *
 *   UniqueDeviceID  required; 24 to 40 hex digits ("00008030001A35E2..."
 *                   or the 40-digit UDIDs of older iPhones), or 8 hex
 *                   digits, a dash and 16 hex digits (what iPhones since
 *                   the XS report, "00008030-001A35E22E3A802E")
 *   ProductType     optional; ASCII letters, digits and commas, such as
 *                   "iPhone14,2"; at most IOS_PRODUCT_TYPE_MAX bytes
 *   ProductVersion  optional; digits in groups joined by single dots,
 *                   such as "17.4.1"; at most IOS_VERSION_MAX bytes
 *   DeviceClass     optional; one ASCII word (a letter, then letters or
 *                   digits), such as "iPhone"; at most IOS_CLASS_MAX bytes
 *   DeviceName      optional; any bytes -- the owner typed it, so it is
 *                   hostile: kept as received, cut at USB_STR_MAX bytes on
 *                   a UTF-8 boundary like a USB string, and shown only
 *                   through usb_text_display (escaped)
 *
 * Every value must be a plist string.  A value of another type, a
 * formatted value (all but DeviceName) that is too long or malformed, or
 * a missing UniqueDeviceID refuses the whole identity with one line that
 * names the key (CUSTODY_ERR_INVAL): the station records nothing rather
 * than a guess.  libplist returns strings as C strings, so a string with a
 * NUL byte inside reaches us cut at the NUL; that is all we can see of it.
 *
 * The values are kept in struct usb_text (daemon/usb_identity.h): bytes
 * as received, their length, and whether they are valid UTF-8.  The
 * struct holds no pointer, so lockdown.c's child process can send it to
 * its parent whole; the parent checks it again with ios_identity_check.
 */
#ifndef CUSTODY_IOS_IDENTITY_H
#define CUSTODY_IOS_IDENTITY_H

#include <stddef.h>

#include <jansson.h>
#include <plist/plist.h>

#include "daemon/usb_identity.h"

#define IOS_UDID_MAX		40	/* hex digits; 41 bytes with a dash */
#define IOS_UDID_MIN		24
#define IOS_PRODUCT_TYPE_MAX	32
#define IOS_VERSION_MAX		16
#define IOS_CLASS_MAX		32
/* The most bytes ios_identity_from_bytes reads: lockdownd's answers to
 * the five GetValue requests together are well under 2 KiB. */
#define IOS_PLIST_MAX		(64 * 1024)

struct ios_identity {
	struct usb_text	 udid;		/* UniqueDeviceID */
	struct usb_text	 product_type;	/* ProductType */
	struct usb_text	 product_version;	/* ProductVersion */
	struct usb_text	 device_class;	/* DeviceClass */
	struct usb_text	 device_name;	/* DeviceName, hostile */
};

/* The lockdownd keys, in the order the step asks for them. */
enum ios_key {
	IOS_KEY_UDID,
	IOS_KEY_PRODUCT_TYPE,
	IOS_KEY_PRODUCT_VERSION,
	IOS_KEY_DEVICE_CLASS,
	IOS_KEY_DEVICE_NAME,
	IOS_KEY_COUNT
};

/* The lockdownd name of key ("UniqueDeviceID"); NULL if out of range. */
const char	*ios_key_name(enum ios_key key);

/*
 * Validates value, lockdownd's answer for key, and stores it in id
 * (replacing what id held for that key; value NULL clears it).  Returns 0,
 * or CUSTODY_ERR_INVAL with a line naming the key in err (err may be
 * NULL), and then leaves id's entry for key cleared.
 */
int	ios_identity_set(struct ios_identity *id, enum ios_key key,
	    plist_t value, char *err, size_t errlen);

/*
 * A whole identity from dict, a plist dictionary holding any of the five
 * keys (others are ignored).  *id is cleared first and left cleared on
 * error.  Returns 0 or CUSTODY_ERR_INVAL (not a dictionary, a bad value,
 * no UniqueDeviceID).
 */
int	ios_identity_from_plist(plist_t dict, struct ios_identity *id,
	    char *err, size_t errlen);

/*
 * The same from raw bytes: a binary plist (starting "bplist00") or else
 * an XML plist, at most IOS_PLIST_MAX bytes, whose root is such a
 * dictionary.  The fuzz target's entry (tests/fuzz/fuzz_lockdown.c).
 * Returns 0, CUSTODY_ERR_TOOBIG or CUSTODY_ERR_INVAL.
 */
int	ios_identity_from_bytes(const void *buf, size_t len,
	    struct ios_identity *id, char *err, size_t errlen);

/*
 * Checks that every entry of id is internally consistent (length in
 * bounds, NUL-terminated, flags true to the bytes) and holds a value
 * ios_identity_set would have accepted, with UniqueDeviceID present.
 * For a struct that arrived from another process.  Returns 0 or
 * CUSTODY_ERR_INVAL naming the first bad key.
 */
int	ios_identity_check(const struct ios_identity *id, char *err,
	    size_t errlen);

/*
 * 1 if s[0..len) is a UniqueDeviceID in one of the accepted forms.
 */
int	ios_udid_valid(const char *s, size_t len);

/*
 * 1 if a and b name the same device: equal once dashes are dropped and
 * case is ignored (a USB serial "00008030001A35E2..." and the UDID
 * "00008030-001a35e2..." match).  Both NUL-terminated.
 */
int	ios_udid_match(const char *a, const char *b);

/*
 * The identity as a JSON object (caller owns *out), for the event that
 * records it: "unique_device_id", "product_type", "product_version",
 * "device_class", "device_name".  A value that is valid UTF-8 is a JSON
 * string of exactly its bytes; one that is not appears as "<name>_hex"
 * (lowercase hex); a cut DeviceName also carries
 * "device_name_received_bytes".  Absent values are omitted.  Returns 0 or
 * CUSTODY_ERR_NOMEM.
 */
int	ios_identity_to_json(const struct ios_identity *id, json_t **out);

#endif
