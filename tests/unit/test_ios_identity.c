/*
 * test_ios_identity.c -- unit tests for daemon/usbwatch/ios_identity.c,
 * the pure validator of lockdownd's values (no I/O; the adapter and its
 * fake usbmuxd are tests/lockdown/).
 *
 * Every key gets its accepted forms, the boundary lengths either side of
 * its limit, malformed values and every plist type that is not a string,
 * each refusal checked for the key it names; whole identities from
 * dictionaries and from raw XML and binary plist bytes; the re-check of
 * a struct that came from another process, against each way it can be
 * inconsistent; the UDID match; and the JSON form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <plist/plist.h>

#include "common/canon.h"
#include "common/error.h"
#include "daemon/usb_identity.h"
#include "daemon/usbwatch/ios_identity.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ERRLEN		256
#define UDID_DASH	"00008110-001A2B3C4D5E6F70"
#define UDID_24		"00008110001A2B3C4D5E6F70"
#define UDID_40		"0123456789abcdef0123456789abcdef01234567"

/* A string of n copies of c (n < 512). */
static const char *
repeat(char c, size_t n)
{
	static char buf[512];

	assert_true(n < sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Sets key to the string s; returns the result, err filled. */
static int
set_string(struct ios_identity *id, enum ios_key key, const char *s,
    char *err)
{
	plist_t v = plist_new_string(s);
	int r;

	r = ios_identity_set(id, key, v, err, ERRLEN);
	plist_free(v);
	return r;
}

static void
assert_accepts(enum ios_key key, const char *s)
{
	struct ios_identity id;
	char err[ERRLEN] = "";

	memset(&id, 0, sizeof(id));
	if (set_string(&id, key, s, err) != 0)
		fail_msg("%s \"%s\" refused: %s", ios_key_name(key), s, err);
}

/* Refused, naming the key and holding want; the entry left cleared. */
static void
assert_refuses(enum ios_key key, const char *s, const char *want)
{
	struct ios_identity id;
	char err[ERRLEN] = "";

	memset(&id, 0, sizeof(id));
	if (set_string(&id, key, s, err) != CUSTODY_ERR_INVAL)
		fail_msg("%s \"%s\" accepted", ios_key_name(key), s);
	assert_non_null(strstr(err, ios_key_name(key)));
	if (strstr(err, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", ios_key_name(key), err,
		    want);
	assert_null(strchr(err, '\n'));
	assert_false(id.udid.present || id.product_type.present ||
	    id.product_version.present || id.device_class.present ||
	    id.device_name.present);
}

static void
test_key_names(void **state)
{
	assert_string_equal(ios_key_name(IOS_KEY_UDID), "UniqueDeviceID");
	assert_string_equal(ios_key_name(IOS_KEY_PRODUCT_TYPE),
	    "ProductType");
	assert_string_equal(ios_key_name(IOS_KEY_PRODUCT_VERSION),
	    "ProductVersion");
	assert_string_equal(ios_key_name(IOS_KEY_DEVICE_CLASS),
	    "DeviceClass");
	assert_string_equal(ios_key_name(IOS_KEY_DEVICE_NAME), "DeviceName");
	assert_null(ios_key_name(IOS_KEY_COUNT));
	assert_null(ios_key_name((enum ios_key)-1));
}

static void
test_udid(void **state)
{
	size_t n;

	assert_accepts(IOS_KEY_UDID, UDID_DASH);
	assert_accepts(IOS_KEY_UDID, UDID_24);
	assert_accepts(IOS_KEY_UDID, UDID_40);
	assert_accepts(IOS_KEY_UDID, "00008110-001a2b3c4d5e6f70");
	for (n = IOS_UDID_MIN; n <= IOS_UDID_MAX; n++)
		assert_accepts(IOS_KEY_UDID, repeat('a', n));
	assert_refuses(IOS_KEY_UDID, repeat('a', IOS_UDID_MIN - 1),
	    "is not 24 to 40 hex digits");
	assert_refuses(IOS_KEY_UDID, repeat('a', IOS_UDID_MAX + 1),
	    "is not 24 to 40 hex digits");
	assert_refuses(IOS_KEY_UDID, repeat('a', IOS_UDID_MAX + 2),
	    "is 42 bytes long, more than 41");
	assert_refuses(IOS_KEY_UDID, "", "is not");
	assert_refuses(IOS_KEY_UDID, "0000811-0001A2B3C4D5E6F70", "is not");
	assert_refuses(IOS_KEY_UDID, "00008110-001A2B3C4D5E6F7", "is not");
	assert_refuses(IOS_KEY_UDID, "00008110-001A2B3C4D5E6F7G", "is not");
	assert_refuses(IOS_KEY_UDID, "00008110--01A2B3C4D5E6F70", "is not");
	assert_refuses(IOS_KEY_UDID, "0123456789abcdef0123456789abcdef0123456g",
	    "is not");
	assert_refuses(IOS_KEY_UDID, "\x1b[2J0123456789abcdef0123456789",
	    "\"\\x1b[2J0123");
}

static void
test_product_type(void **state)
{
	assert_accepts(IOS_KEY_PRODUCT_TYPE, "iPhone14,2");
	assert_accepts(IOS_KEY_PRODUCT_TYPE, "iPad13,16");
	assert_accepts(IOS_KEY_PRODUCT_TYPE, "Watch");
	assert_accepts(IOS_KEY_PRODUCT_TYPE, repeat('x',
	    IOS_PRODUCT_TYPE_MAX));
	assert_refuses(IOS_KEY_PRODUCT_TYPE, repeat('x',
	    IOS_PRODUCT_TYPE_MAX + 1), "is 33 bytes long, more than 32");
	assert_refuses(IOS_KEY_PRODUCT_TYPE, "", "is not a model");
	assert_refuses(IOS_KEY_PRODUCT_TYPE, "14,2", "is not a model");
	assert_refuses(IOS_KEY_PRODUCT_TYPE, "iPhone 14", "is not a model");
	assert_refuses(IOS_KEY_PRODUCT_TYPE, "iPhone14.2", "is not a model");
	assert_refuses(IOS_KEY_PRODUCT_TYPE, "iPhone\xc3\xa9", "is not");
}

static void
test_product_version(void **state)
{
	assert_accepts(IOS_KEY_PRODUCT_VERSION, "17");
	assert_accepts(IOS_KEY_PRODUCT_VERSION, "17.4");
	assert_accepts(IOS_KEY_PRODUCT_VERSION, "17.4.1");
	assert_accepts(IOS_KEY_PRODUCT_VERSION, repeat('9', IOS_VERSION_MAX));
	assert_refuses(IOS_KEY_PRODUCT_VERSION, repeat('9',
	    IOS_VERSION_MAX + 1), "is 17 bytes long, more than 16");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, "", "is not a version");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, ".17", "is not a version");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, "17.", "is not a version");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, "17..4", "is not a version");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, "17.4b", "is not a version");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, "v17", "is not a version");
	assert_refuses(IOS_KEY_PRODUCT_VERSION, "17 4", "is not a version");
}

static void
test_device_class(void **state)
{
	assert_accepts(IOS_KEY_DEVICE_CLASS, "iPhone");
	assert_accepts(IOS_KEY_DEVICE_CLASS, "AppleTV");
	assert_accepts(IOS_KEY_DEVICE_CLASS, "Watch2");
	assert_accepts(IOS_KEY_DEVICE_CLASS, repeat('Q', IOS_CLASS_MAX));
	assert_refuses(IOS_KEY_DEVICE_CLASS, repeat('Q', IOS_CLASS_MAX + 1),
	    "is 33 bytes long, more than 32");
	assert_refuses(IOS_KEY_DEVICE_CLASS, "", "is not one word");
	assert_refuses(IOS_KEY_DEVICE_CLASS, "2Phone", "is not one word");
	assert_refuses(IOS_KEY_DEVICE_CLASS, "i Phone", "is not one word");
	assert_refuses(IOS_KEY_DEVICE_CLASS, "iPhone,", "is not one word");
}

/* DeviceName: any bytes, cut at USB_STR_MAX like a USB string. */
static void
test_device_name(void **state)
{
	static const char hostile[] = "\x1b]0;x\x07\xff\xfe\r\n";
	struct ios_identity id;
	char err[ERRLEN], shown[USB_TEXT_DISPLAY_MAX];

	memset(&id, 0, sizeof(id));
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_NAME, "", err), 0);
	assert_true(id.device_name.present);
	assert_int_equal(id.device_name.len, 0);
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_NAME,
	    repeat('n', USB_STR_MAX), err), 0);
	assert_int_equal(id.device_name.len, USB_STR_MAX);
	assert_false(id.device_name.truncated);
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_NAME,
	    repeat('n', USB_STR_MAX + 1), err), 0);
	assert_int_equal(id.device_name.len, USB_STR_MAX);
	assert_int_equal(id.device_name.received, USB_STR_MAX + 1);
	assert_true(id.device_name.truncated);
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_NAME, hostile, err),
	    0);
	assert_int_equal(id.device_name.len, strlen(hostile));
	assert_memory_equal(id.device_name.bytes, hostile, strlen(hostile));
	assert_false(id.device_name.valid_utf8);
	usb_text_display(&id.device_name, shown, sizeof(shown));
	assert_string_equal(shown, "\\x1b]0;x\\x07\\xff\\xfe\\x0d\\n");
}

/* Every plist type but a string is refused, for every key. */
static void
test_wrong_types(void **state)
{
	struct ios_identity id;
	plist_t vals[8];
	const char *names[8] = { "a boolean", "an integer", "a real number",
	    "data", "an array", "a dictionary", "a date", "a UID" };
	char err[ERRLEN], want[96];
	unsigned int k;
	size_t i;

	vals[0] = plist_new_bool(1);
	vals[1] = plist_new_uint(17);
	vals[2] = plist_new_real(17.4);
	vals[3] = plist_new_data("17", 2);
	vals[4] = plist_new_array();
	vals[5] = plist_new_dict();
	vals[6] = plist_new_date(0, 0);
	vals[7] = plist_new_uid(1);
	for (k = 0; k < IOS_KEY_COUNT; k++) {
		for (i = 0; i < NELEM(vals); i++) {
			memset(&id, 0xa5, sizeof(id));
			assert_int_equal(ios_identity_set(&id, (enum ios_key)k,
			    vals[i], err, sizeof(err)), CUSTODY_ERR_INVAL);
			(void)snprintf(want, sizeof(want), "%s is %s, not a "
			    "string", ios_key_name((enum ios_key)k), names[i]);
			assert_string_equal(err, want);
		}
	}
	for (i = 0; i < NELEM(vals); i++)
		plist_free(vals[i]);
	memset(&id, 0, sizeof(id));
	assert_int_equal(ios_identity_set(&id, IOS_KEY_COUNT, NULL, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
}

/* A NULL value clears the entry: an optional value the phone lacks. */
static void
test_set_null(void **state)
{
	struct ios_identity id;
	char err[ERRLEN];

	memset(&id, 0, sizeof(id));
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_CLASS, "iPhone", err),
	    0);
	assert_true(id.device_class.present);
	assert_int_equal(ios_identity_set(&id, IOS_KEY_DEVICE_CLASS, NULL,
	    err, sizeof(err)), 0);
	assert_false(id.device_class.present);
}

static plist_t
iphone_dict(void)
{
	plist_t d = plist_new_dict();

	plist_dict_set_item(d, "UniqueDeviceID", plist_new_string(UDID_DASH));
	plist_dict_set_item(d, "ProductType", plist_new_string("iPhone14,2"));
	plist_dict_set_item(d, "ProductVersion", plist_new_string("17.4.1"));
	plist_dict_set_item(d, "DeviceClass", plist_new_string("iPhone"));
	plist_dict_set_item(d, "DeviceName", plist_new_string("Jo's iPhone"));
	plist_dict_set_item(d, "BuildVersion", plist_new_uint(21));
	return d;
}

static void
test_from_plist(void **state)
{
	struct ios_identity id;
	char err[ERRLEN];
	plist_t d = iphone_dict(), a = plist_new_array();

	assert_int_equal(ios_identity_from_plist(d, &id, err, sizeof(err)),
	    0);
	assert_string_equal(id.udid.bytes, UDID_DASH);
	assert_string_equal(id.product_type.bytes, "iPhone14,2");
	assert_string_equal(id.device_name.bytes, "Jo's iPhone");
	assert_int_equal(ios_identity_check(&id, err, sizeof(err)), 0);
	/* Only the UDID is required. */
	plist_dict_remove_item(d, "DeviceName");
	plist_dict_remove_item(d, "ProductType");
	assert_int_equal(ios_identity_from_plist(d, &id, err, sizeof(err)),
	    0);
	assert_false(id.product_type.present);
	plist_dict_remove_item(d, "UniqueDeviceID");
	assert_int_equal(ios_identity_from_plist(d, &id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_string_equal(err, "UniqueDeviceID is missing");
	assert_false(id.product_version.present);
	/* A bad value clears what was already taken. */
	plist_dict_set_item(d, "UniqueDeviceID", plist_new_string(UDID_24));
	plist_dict_set_item(d, "DeviceClass", plist_new_uint(1));
	assert_int_equal(ios_identity_from_plist(d, &id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_false(id.udid.present);
	assert_int_equal(ios_identity_from_plist(a, &id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_string_equal(err, "the lockdownd values are not a dictionary");
	assert_int_equal(ios_identity_from_plist(NULL, &id, NULL, 0),
	    CUSTODY_ERR_INVAL);
	plist_free(d);
	plist_free(a);
}

static void
test_from_bytes(void **state)
{
	static const char huge_start[] = "<?xml";
	struct ios_identity id;
	char err[ERRLEN], *buf = NULL, *big, *at;
	uint32_t len = 0;
	plist_t d = iphone_dict();

	plist_to_xml(d, &buf, &len);
	assert_int_equal(ios_identity_from_bytes(buf, len, &id, err,
	    sizeof(err)), 0);
	assert_string_equal(id.product_version.bytes, "17.4.1");
	free(buf);
	buf = NULL;
	plist_to_bin(d, &buf, &len);
	assert_int_equal(ios_identity_from_bytes(buf, len, &id, err,
	    sizeof(err)), 0);
	assert_string_equal(id.device_class.bytes, "iPhone");
	/* Cut short, the binary plist is unreadable. */
	assert_int_equal(ios_identity_from_bytes(buf, len - 9, &id, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_string_equal(err, "the lockdownd values are not a readable "
	    "plist");
	free(buf);
	assert_int_equal(ios_identity_from_bytes("garbage", 7, &id, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_int_equal(ios_identity_from_bytes("", 0, &id, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_int_equal(ios_identity_from_bytes("bplist00", 8, &id, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	/*
	 * A NUL inside a binary plist string: refused, not an abort.  Only
	 * a UTF-16 string keeps one (libplist cuts an ASCII string at it).
	 */
	plist_dict_set_item(d, "DeviceName", plist_new_string("\xc5\xbbo@i"));
	buf = NULL;	/* plist_to_bin writes only to a NULL pointer */
	plist_to_bin(d, &buf, &len);
	assert_non_null(at = memmem(buf, len, "\0@\0i", 4));
	at[1] = '\0';
	assert_int_equal(ios_identity_from_bytes(buf, len, &id, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_string_equal(err, "DeviceName holds a NUL byte");
	free(buf);
	assert_non_null(big = calloc(1, IOS_PLIST_MAX + 1));
	memcpy(big, huge_start, sizeof(huge_start) - 1);
	assert_int_equal(ios_identity_from_bytes(big, IOS_PLIST_MAX + 1, &id,
	    err, sizeof(err)), CUSTODY_ERR_TOOBIG);
	free(big);
	plist_free(d);
}

/* Each way a struct from another process can be inconsistent. */
static void
test_check(void **state)
{
	struct ios_identity good, id;
	char err[ERRLEN];
	plist_t d = iphone_dict();

	assert_int_equal(ios_identity_from_plist(d, &good, err, sizeof(err)),
	    0);
	plist_free(d);
	assert_int_equal(ios_identity_check(&good, err, sizeof(err)), 0);

	id = good;
	id.udid.present = 0;
	assert_int_equal(ios_identity_check(&id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	id = good;
	memset(&id.udid, 0, sizeof(id.udid));
	assert_int_equal(ios_identity_check(&id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_string_equal(err, "UniqueDeviceID is missing");
	id = good;
	id.device_name.len = USB_STR_MAX + 1;
	assert_int_equal(ios_identity_check(&id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_non_null(strstr(err, "DeviceName"));
	id = good;
	id.device_name.bytes[id.device_name.len] = 'x';
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	id.device_name.bytes[2] = '\0';
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	id.device_name.valid_utf8 = 0;
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	id.device_name.received = id.device_name.len + 5;
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id.device_name.truncated = 1;
	assert_int_equal(ios_identity_check(&id, NULL, 0), 0);
	id = good;
	id.device_name.received = 1;
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	id.product_type.present = 2;
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	id.product_type.bytes[0] = ' ';
	assert_int_equal(ios_identity_check(&id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_non_null(strstr(err, "ProductType"));
	/* A formatted value is never cut. */
	id = good;
	id.product_version.received = 40;
	id.product_version.truncated = 1;
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	memset(&id.device_class, 0, sizeof(id.device_class));
	id.device_class.len = 3;
	assert_int_equal(ios_identity_check(&id, NULL, 0), CUSTODY_ERR_INVAL);
	id = good;
	memset(&id.device_class, 0, sizeof(id.device_class));
	assert_int_equal(ios_identity_check(&id, NULL, 0), 0);
}

static void
test_udid_match(void **state)
{
	assert_true(ios_udid_match(UDID_24, UDID_DASH));
	assert_true(ios_udid_match(UDID_DASH, "00008110001a2b3c4d5e6f70"));
	assert_true(ios_udid_match(UDID_40, "0123456789ABCDEF0123456789ABCDEF"
	    "01234567"));
	assert_false(ios_udid_match(UDID_24, "00008110001A2B3C4D5E6F71"));
	assert_false(ios_udid_match(UDID_24, "00008110001A2B3C4D5E6F7"));
	assert_false(ios_udid_match(UDID_24, UDID_24 "0"));
	assert_false(ios_udid_match(UDID_24, ""));
	assert_true(ios_udid_valid(UDID_DASH, strlen(UDID_DASH)));
	assert_false(ios_udid_valid("", 0));
}

static void
test_json(void **state)
{
	struct ios_identity id;
	char err[ERRLEN], *out = NULL;
	json_t *j = NULL;
	size_t len;

	memset(&id, 0, sizeof(id));
	assert_int_equal(set_string(&id, IOS_KEY_UDID, UDID_24, err), 0);
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_NAME,
	    "\xff\xfe\x1b", err), 0);
	assert_int_equal(ios_identity_to_json(&id, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	assert_string_equal(out, "{\"device_name_hex\":\"fffe1b\","
	    "\"unique_device_id\":\"" UDID_24 "\"}");
	free(out);
	json_decref(j);
	assert_int_equal(set_string(&id, IOS_KEY_DEVICE_NAME,
	    repeat('n', 300), err), 0);
	assert_int_equal(ios_identity_to_json(&id, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	assert_non_null(strstr(out, "\"device_name_received_bytes\":300"));
	assert_non_null(strstr(out, "\"device_name\":\"nnnn"));
	free(out);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_udid),
		cmocka_unit_test(test_product_type),
		cmocka_unit_test(test_product_version),
		cmocka_unit_test(test_device_class),
		cmocka_unit_test(test_device_name),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_set_null),
		cmocka_unit_test(test_from_plist),
		cmocka_unit_test(test_from_bytes),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_udid_match),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
