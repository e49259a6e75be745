/*
 * ios_identity.c -- validating lockdownd's answers into a struct
 * ios_identity, and its JSON form.  Pure: no I/O.  The contract is in
 * ios_identity.h; the adapter that asks the phone is lockdown.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <plist/plist.h>

#include "common/error.h"
#include "common/escape.h"
#include "common/utf8.h"
#include "daemon/usb_identity.h"
#include "daemon/usbwatch/ios_identity.h"

/* Bytes of a refused value shown in an error line, before escaping. */
#define SHOWN_MAX	40

static const char *const key_names[IOS_KEY_COUNT] = {
	"UniqueDeviceID", "ProductType", "ProductVersion", "DeviceClass",
	"DeviceName",
};

/* The JSON names, in the same order. */
static const char *const json_names[IOS_KEY_COUNT] = {
	"unique_device_id", "product_type", "product_version", "device_class",
	"device_name",
};

const char *
ios_key_name(enum ios_key key)
{
	if ((unsigned int)key >= IOS_KEY_COUNT)
		return NULL;
	return key_names[key];
}

static struct usb_text *
entry(struct ios_identity *id, enum ios_key key)
{
	switch (key) {
	case IOS_KEY_UDID:
		return &id->udid;
	case IOS_KEY_PRODUCT_TYPE:
		return &id->product_type;
	case IOS_KEY_PRODUCT_VERSION:
		return &id->product_version;
	case IOS_KEY_DEVICE_CLASS:
		return &id->device_class;
	case IOS_KEY_DEVICE_NAME:
		return &id->device_name;
	default:
		return NULL;
	}
}

/* Every entry of id, by key. */
static void
entries(const struct ios_identity *id,
    const struct usb_text *t[IOS_KEY_COUNT])
{
	t[IOS_KEY_UDID] = &id->udid;
	t[IOS_KEY_PRODUCT_TYPE] = &id->product_type;
	t[IOS_KEY_PRODUCT_VERSION] = &id->product_version;
	t[IOS_KEY_DEVICE_CLASS] = &id->device_class;
	t[IOS_KEY_DEVICE_NAME] = &id->device_name;
}

static const char *
type_name(plist_type t)
{
	switch (t) {
	case PLIST_BOOLEAN:
		return "a boolean";
	case PLIST_UINT:
		return "an integer";
	case PLIST_REAL:
		return "a real number";
	case PLIST_STRING:
		return "a string";
	case PLIST_ARRAY:
		return "an array";
	case PLIST_DICT:
		return "a dictionary";
	case PLIST_DATE:
		return "a date";
	case PLIST_DATA:
		return "data";
	case PLIST_KEY:
		return "a key";
	case PLIST_UID:
		return "a UID";
	default:
		return "of no known type";
	}
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return 0;
	return 1;
}

int
ios_udid_valid(const char *s, size_t len)
{
	if (len >= IOS_UDID_MIN && len <= IOS_UDID_MAX && all_hex(s, len))
		return 1;
	/* iPhone XS and later: 8 hex digits, '-', 16 hex digits. */
	return len == 25 && s[8] == '-' && all_hex(s, 8) &&
	    all_hex(s + 9, 16);
}

static int
product_type_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > IOS_PRODUCT_TYPE_MAX || !is_alpha(s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != ',')
			return 0;
	return 1;
}

/* "17", "17.4", "17.4.1": digit groups joined by single dots. */
static int
version_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > IOS_VERSION_MAX || !is_digit(s[0]) ||
	    !is_digit(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		if (is_digit(s[i]))
			continue;
		if (s[i] != '.' || s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static int
class_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > IOS_CLASS_MAX || !is_alpha(s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]))
			return 0;
	return 1;
}

/* The format rule for a key, and its words for an error line. */
static int
value_valid(enum ios_key key, const char *s, size_t len, size_t *max,
    const char **want)
{
	switch (key) {
	case IOS_KEY_UDID:
		*max = IOS_UDID_MAX + 1;
		*want = "24 to 40 hex digits or 8-16 hex digits with a dash";
		return ios_udid_valid(s, len);
	case IOS_KEY_PRODUCT_TYPE:
		*max = IOS_PRODUCT_TYPE_MAX;
		*want = "a model such as iPhone14,2";
		return product_type_valid(s, len);
	case IOS_KEY_PRODUCT_VERSION:
		*max = IOS_VERSION_MAX;
		*want = "a version such as 17.4.1";
		return version_valid(s, len);
	case IOS_KEY_DEVICE_CLASS:
		*max = IOS_CLASS_MAX;
		*want = "one word such as iPhone";
		return class_valid(s, len);
	default:
		*max = USB_STR_MAX;
		*want = "any text";
		return 1;	/* DeviceName: any bytes, cut on storing */
	}
}

/* The refusal of a malformed or over-long string value. */
static int
bad_value(char *err, size_t errlen, const char *name, const char *s,
    size_t len, size_t max, const char *want)
{
	char shown[SHOWN_MAX * 4 + 8];

	if (len > max)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s is %zu bytes long, more than %zu", name, len, max);
	escape_text(s, len > SHOWN_MAX ? SHOWN_MAX : len, shown,
	    sizeof(shown));
	return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
	    "%s \"%s\" is not %s", name, shown, want);
}

int
ios_identity_set(struct ios_identity *id, enum ios_key key, plist_t value,
    char *err, size_t errlen)
{
	struct usb_text *t;
	const char *want, *name, *s;
	uint64_t len64 = 0;
	size_t len, max;
	plist_type type;

	if ((t = entry(id, key)) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no lockdownd key number %d", (int)key);
	name = key_names[key];
	memset(t, 0, sizeof(*t));
	if (value == NULL)
		return 0;
	if ((type = plist_get_node_type(value)) != PLIST_STRING)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s is %s, not a string", name, type_name(type));
	/*
	 * Not plist_get_string_val: libplist 2.2 asserts there that the
	 * string holds no NUL byte, and a binary plist can hold one.
	 */
	if ((s = plist_get_string_ptr(value, &len64)) == NULL ||
	    len64 > SIZE_MAX - 1)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s is a string libplist cannot give back", name);
	len = (size_t)len64;
	if (memchr(s, '\0', len) != NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s holds a NUL byte", name);
	if (!value_valid(key, s, len, &max, &want) ||
	    (key != IOS_KEY_DEVICE_NAME && len > max))
		return bad_value(err, errlen, name, s, len, max, want);
	usb_text_set(t, s);
	return 0;
}

int
ios_identity_from_plist(plist_t dict, struct ios_identity *id, char *err,
    size_t errlen)
{
	unsigned int k;
	int r;

	memset(id, 0, sizeof(*id));
	if (dict == NULL || plist_get_node_type(dict) != PLIST_DICT)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the lockdownd values are not a dictionary");
	for (k = 0; k < IOS_KEY_COUNT; k++) {
		r = ios_identity_set(id, (enum ios_key)k,
		    plist_dict_get_item(dict, key_names[k]), err, errlen);
		if (r != 0)
			goto out;
	}
	if (!id->udid.present) {
		r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "UniqueDeviceID is missing");
		goto out;
	}
	return 0;
out:
	memset(id, 0, sizeof(*id));
	return r;
}

int
ios_identity_from_bytes(const void *buf, size_t len, struct ios_identity *id,
    char *err, size_t errlen)
{
	plist_t root = NULL;
	int r;

	memset(id, 0, sizeof(*id));
	if (len > IOS_PLIST_MAX)
		return custody_fail(err, errlen, CUSTODY_ERR_TOOBIG,
		    "the lockdownd values are %zu bytes, more than %d", len,
		    IOS_PLIST_MAX);
	/* As libimobiledevice decides: the binary magic, or else XML. */
	if (len >= 8 && memcmp(buf, "bplist00", 8) == 0)
		plist_from_bin(buf, (uint32_t)len, &root);
	else if (len > 0)
		plist_from_xml(buf, (uint32_t)len, &root);
	if (root == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the lockdownd values are not a readable plist");
	r = ios_identity_from_plist(root, id, err, errlen);
	plist_free(root);
	return r;
}

static int
utf8_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < len) {
		if ((k = utf8_decode(p + i, len - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* One entry as another process sent it: consistent and acceptable. */
static int
check_entry(const struct usb_text *t, enum ios_key key)
{
	const char *want;
	size_t max;

	if (t->present != 0 && t->present != 1)
		return 0;
	if (!t->present)
		return t->len == 0 && t->received == 0 && !t->truncated &&
		    !t->valid_utf8 && t->bytes[0] == '\0';
	if (t->len > USB_STR_MAX || t->bytes[t->len] != '\0' ||
	    memchr(t->bytes, '\0', t->len) != NULL ||
	    t->received < t->len || t->truncated != (t->received > t->len) ||
	    t->valid_utf8 != utf8_valid(t->bytes, t->len))
		return 0;
	if (key == IOS_KEY_DEVICE_NAME)
		return 1;
	return !t->truncated && value_valid(key, t->bytes, t->len, &max,
	    &want) && t->len <= max;
}

int
ios_identity_check(const struct ios_identity *id, char *err, size_t errlen)
{
	const struct usb_text *t[IOS_KEY_COUNT];
	unsigned int k;

	entries(id, t);
	for (k = 0; k < IOS_KEY_COUNT; k++)
		if (!check_entry(t[k], (enum ios_key)k))
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "the %s received from the lockdown reader is "
			    "inconsistent", key_names[k]);
	if (!id->udid.present)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "UniqueDeviceID is missing");
	return 0;
}

/* Folds an ASCII hex digit to lower case; other bytes unchanged. */
static char
fold(char c)
{
	return (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
}

int
ios_udid_match(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-')
			a++;
		while (*b == '-')
			b++;
		if (fold(*a) != fold(*b))
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

/* ---- JSON ---- */


int
ios_identity_to_json(const struct ios_identity *id, json_t **out)
{
	const struct usb_text *t[IOS_KEY_COUNT];
	json_t *o;
	unsigned int k;
	int bad = 0;

	*out = NULL;
	if ((o = json_object()) == NULL)
		return CUSTODY_ERR_NOMEM;
	entries(id, t);
	for (k = 0; k < IOS_KEY_COUNT; k++)
		bad |= usb_text_to_json(o, json_names[k], t[k]);
	if (bad) {
		json_decref(o);
		return CUSTODY_ERR_NOMEM;
	}
	*out = o;
	return 0;
}
