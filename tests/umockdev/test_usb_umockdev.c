/*
 * test_usb_umockdev.c -- the libudev identity reader, the classifier and
 * libusb hotplug, for real, on the recorded devices of tests/fixtures/usb.
 *
 * Runs only under umockdev-wrapper (LD_PRELOAD of libumockdev-preload):
 * an in-process testbed (umockdev_testbed_new) gets the fixture text, and
 * the very libudev and libusb the daemon uses then see the testbed's sysfs
 * instead of the machine's.  Built without ASan (the preload library and
 * ASan both interpose libc).
 *
 * The identity tests share one testbed holding every fixture at once
 * (their ports differ), built by the group setup: the hostile fixture's
 * 2000 interfaces take seconds to build.  Every usb_device in it must
 * appear in the expectation table below with its port, ids, kind, rule
 * and signature (or, for the hostile-ids fixture, the attribute its
 * refusal must name), and every table entry must be met: a fixture added
 * without expectations fails.  The hotplug tests come after them, each
 * with a testbed of its own (a new testbed becomes the one the preload
 * library serves; the shared one is freed last).
 *
 * The libusb tests register a real hotplug callback and drive it with the
 * uevents umockdev synthesises: "add" when a device description is loaded
 * (umockdev_testbed_add_from_string does that itself under the wrapper)
 * and umockdev_testbed_uevent(..., "remove") before the device is removed.
 * Removes go child first, as the kernel sends them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libudev.h>
#include <libusb.h>
#include <umockdev.h>

#include "common/canon.h"
#include "common/error.h"
#include "daemon/usb_classify.h"
#include "daemon/usb_identity.h"
#include "tests/umockdev/bed.h"
#include "tests/umockdev/fixture.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ERRLEN		256
#define HOTPLUG_WAIT_MS	5000

struct expect {
	const char	*fixture;
	const char	*sysname;	/* "1-8.1" */
	uint16_t	 vendor_id;
	uint16_t	 product_id;
	enum usb_kind	 kind;
	enum usb_rule	 rule;
	const char	*signature;	/* NULL: none */
	size_t		 n_seen;	/* interfaces found */
	const char	*refusal;	/* non-NULL: parse must fail naming it */
};

#define PHONE	USB_KIND_PHONE
#define TABLET	USB_KIND_TABLET
#define NOT	USB_KIND_NOT_PHONE

static const struct expect expects[] = {
	{ "iphone", "1-1", 0x05ac, 0x12a8, PHONE, USB_RULE_PRODUCT_ID,
	    "usbmux", 3, NULL },
	{ "samsung-galaxy", "1-2", 0x04e8, 0x6860, PHONE,
	    USB_RULE_VENDOR_INTERFACE, "MTP (Samsung)", 2, NULL },
	{ "pixel-mtp", "1-3", 0x18d1, 0x4ee1, PHONE, USB_RULE_INTERFACE,
	    "MTP", 1, NULL },
	{ "pixel-mtp-adb", "1-4", 0x18d1, 0x4ee7, PHONE, USB_RULE_INTERFACE,
	    "MTP", 2, NULL },
	{ "android-tablet", "1-5", 0x17ef, 0x76fe, TABLET,
	    USB_RULE_INTERFACE, "MTP", 1, NULL },
	{ "usb-keyboard", "1-6", 0x046d, 0xc31c, NOT, USB_RULE_NO_SIGNATURE,
	    NULL, 2, NULL },
	{ "usb-stick", "2-1", 0x0781, 0x5583, NOT, USB_RULE_NO_SIGNATURE,
	    NULL, 1, NULL },
	{ "hub-with-phone", "1-8", 0x05e3, 0x0610, NOT, USB_RULE_HUB,
	    NULL, 1, NULL },
	{ "hub-with-phone", "1-8.1", 0x18d1, 0x4ee2, PHONE,
	    USB_RULE_INTERFACE, "MTP", 2, NULL },
	{ "hostile", "1-9", 0x04e8, 0x6860, NOT,
	    USB_RULE_TOO_MANY_INTERFACES, NULL, 2000, NULL },
	{ "hostile-ids", "1-10", 0, 0, NOT, 0, NULL, 0, "idVendor" },
	{ "hostile-ids", "1-11", 0, 0, NOT, 0, NULL, 0, "idProduct" },
	{ "hostile-ids", "1-12", 0, 0, NOT, 0, NULL, 0, "bDeviceClass" },
	{ "hostile-ids", "1-13", 0, 0, NOT, 0, NULL, 0, "devnum" },
	{ "hostile-ids", "1-14", 0, 0, NOT, 0, NULL, 0, "devpath" },
	{ "hostile-ids", "1-15", 0, 0, NOT, 0, NULL, 0, "bInterfaceClass" },
};

static const char *const fixtures[] = {
	"iphone", "samsung-galaxy", "pixel-mtp", "pixel-mtp-adb",
	"android-tablet", "usb-keyboard", "usb-stick", "hub-with-phone",
	"hostile", "hostile-ids",
};

/* The shared testbed: every fixture loaded. */
static int
group_setup(void **state)
{
	struct bed *b;
	size_t f;

	if ((b = bed_new()) == NULL)
		return -1;
	for (f = 0; f < NELEM(fixtures); f++)
		bed_load(b, fixtures[f]);
	*state = b;
	return 0;
}

static int
group_teardown(void **state)
{
	bed_free(*state);
	return 0;
}

/* A testbed of its own, for the hotplug tests. */
static int
setup(void **state)
{
	struct bed *b = bed_new();

	if (b == NULL)
		return -1;
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	bed_free(*state);
	return 0;
}

static int
read_identity(struct bed *b, const char *sysname, struct usb_identity *id,
    char *err)
{
	struct udev_device *dev;
	int r;

	dev = udev_device_new_from_subsystem_sysname(b->udev, "usb", sysname);
	if (dev == NULL)
		fail_msg("no usb device %s in the testbed", sysname);
	r = usb_identity_read_udev(dev, id, err, ERRLEN);
	udev_device_unref(dev);
	return r;
}

static const struct expect *
find_expect(const char *sysname)
{
	size_t i;

	for (i = 0; i < NELEM(expects); i++)
		if (strcmp(expects[i].sysname, sysname) == 0)
			return &expects[i];
	return NULL;
}

static void
check_device(const struct expect *e, struct udev_device *dev)
{
	struct usb_identity id;
	struct usb_verdict v;
	char err[ERRLEN] = "";
	int r;

	r = usb_identity_read_udev(dev, &id, err, sizeof(err));
	if (e->refusal != NULL) {
		if (r != CUSTODY_ERR_INVAL || strstr(err, e->refusal) == NULL)
			fail_msg("%s %s: want a refusal naming %s, got %d \"%s\"",
			    e->fixture, e->sysname, e->refusal, r, err);
		return;
	}
	if (r != 0)
		fail_msg("%s %s: %s", e->fixture, e->sysname, err);
	usb_classify(&id, &v);
	if (id.vendor_id != e->vendor_id || id.product_id != e->product_id ||
	    strcmp(id.port, e->sysname) != 0 || id.n_ifaces_seen != e->n_seen)
		fail_msg("%s %s: read %04x:%04x at %s with %zu interfaces",
		    e->fixture, e->sysname, id.vendor_id, id.product_id,
		    id.port, id.n_ifaces_seen);
	if (v.kind != e->kind || v.rule != e->rule ||
	    (e->signature == NULL) != (v.signature == NULL) ||
	    (e->signature != NULL &&
	    strcmp(e->signature, v.signature->name) != 0))
		fail_msg("%s %s: %s by %s (%s)", e->fixture, e->sysname,
		    usb_kind_name(v.kind), usb_rule_name(v.rule), v.reason);
}

/* ---- identity and classification of every fixture ---- */

static void
test_every_fixture(void **state)
{
	struct bed *b = *state;
	struct udev_enumerate *en;
	struct udev_list_entry *le;
	struct udev_device *dev;
	const struct expect *e;
	int met[NELEM(expects)] = { 0 };
	size_t i;

	en = udev_enumerate_new(b->udev);
	assert_non_null(en);
	assert_int_equal(udev_enumerate_add_match_subsystem(en, "usb"), 0);
	assert_int_equal(udev_enumerate_add_match_property(en, "DEVTYPE",
	    "usb_device"), 0);
	assert_int_equal(udev_enumerate_scan_devices(en), 0);
	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(en)) {
		dev = udev_device_new_from_syspath(b->udev,
		    udev_list_entry_get_name(le));
		assert_non_null(dev);
		if ((e = find_expect(udev_device_get_sysname(dev))) == NULL)
			fail_msg("device %s has no expectation",
			    udev_device_get_sysname(dev));
		check_device(e, dev);
		met[e - expects]++;
		udev_device_unref(dev);
	}
	udev_enumerate_unref(en);
	for (i = 0; i < NELEM(expects); i++)
		if (met[i] != 1)
			fail_msg("%s %s: seen %d times, want once",
			    expects[i].fixture, expects[i].sysname, met[i]);
}

/* The device.detected JSON of the iPhone, byte for byte. */
static void
test_iphone_json(void **state)
{
	static const char want[] = "{\"bus\":1,\"classification\":"
	    "{\"interface\":1,\"kind\":\"phone\",\"reason\":\"Apple (05ac): "
	    "product 12a8 is iPhone 5/5C/5S/6/SE/7/8/X/XR (usb.ids); "
	    "interface 1 ff/fe/02 is usbmux\",\"rule\":\"product_id\","
	    "\"signature\":\"usbmux\",\"vendor\":\"Apple\"},"
	    "\"device_class\":\"00\",\"devnum\":2,\"interfaces\":["
	    "{\"class\":\"06\",\"number\":0,\"protocol\":\"01\","
	    "\"subclass\":\"01\"},{\"class\":\"ff\",\"number\":1,"
	    "\"protocol\":\"02\",\"subclass\":\"fe\"},{\"class\":\"ff\","
	    "\"number\":2,\"protocol\":\"01\",\"subclass\":\"fd\"}],"
	    "\"interfaces_found\":3,\"manufacturer\":\"Apple Inc.\","
	    "\"port\":\"1-1\",\"product\":\"iPhone\",\"product_id\":\"12a8\","
	    "\"serial\":\"00008030001A2B3C4D5E6F70\",\"speed\":\"480\","
	    "\"vendor_id\":\"05ac\"}";
	struct bed *b = *state;
	struct usb_identity id;
	struct usb_verdict v;
	char err[ERRLEN], *out;
	size_t len;
	json_t *j;

	assert_int_equal(read_identity(b, "1-1", &id, err), 0);
	usb_classify(&id, &v);
	assert_int_equal(usb_identity_to_json(&id, &v, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	assert_string_equal(out, want);
	free(out);
	json_decref(j);
}

/* The hub's only interface is its own; the phone's are the phone's. */
static void
test_hub_interfaces(void **state)
{
	struct bed *b = *state;
	struct usb_identity hub, phone;
	char err[ERRLEN];

	assert_int_equal(read_identity(b, "1-8", &hub, err), 0);
	assert_int_equal(read_identity(b, "1-8.1", &phone, err), 0);
	assert_int_equal(hub.n_ifaces, 1);
	assert_int_equal(hub.ifaces[0].cls, 0x09);
	assert_int_equal(phone.n_ifaces, 2);
	assert_string_equal(phone.port, "1-8.1");
	assert_int_equal(phone.ifaces[0].cls, 0x06);
	assert_int_equal(phone.ifaces[1].subclass, 0x42);
}

static int
has_byte_below_space(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f ||
		    (unsigned char)*s == 0x9b)
			return 1;
	return 0;
}

/* Strings bounded, kept as received, displayed escaped; 2000 ifaces. */
static void
test_hostile_strings(void **state)
{
	struct bed *b = *state;
	struct usb_identity id;
	struct usb_verdict v;
	char err[ERRLEN], shown[USB_TEXT_DISPLAY_MAX], *out;
	size_t len;
	json_t *j;

	assert_int_equal(read_identity(b, "1-9", &id, err), 0);
	assert_true(id.too_many_interfaces);
	assert_int_equal(id.n_ifaces_seen, 2000);
	assert_int_equal(id.n_ifaces, USB_MAX_INTERFACES);
	/* 126 x "A", then a 3-byte euro sign that would end at byte 129. */
	assert_int_equal(id.product.received, 4003);
	assert_int_equal(id.product.len, 126);
	assert_true(id.product.truncated);
	assert_true(id.product.valid_utf8);
	/* The manufacturer is kept byte for byte, escapes and all ... */
	assert_memory_equal(id.manufacturer.bytes, "\x1b]0;pwned\x07", 10);
	/* ... and never displayed raw. */
	usb_text_display(&id.manufacturer, shown, sizeof(shown));
	assert_false(has_byte_below_space(shown));
	assert_string_equal(shown, "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[1;31m"
	    "SAMSUNG\\x1b[0m");
	assert_false(id.serial.valid_utf8);
	usb_text_display(&id.serial, shown, sizeof(shown));
	assert_false(has_byte_below_space(shown));
	assert_string_equal(shown, "\\xff\\xfe\\xc3(\\x0d\\n\\x9b31m"
	    "\\u202egnp.exe\\x7fZ");
	usb_text_display(&id.ifaces[0].name, shown, sizeof(shown));
	assert_string_equal(shown, "MTP\\x1b[8mhidden");
	usb_classify(&id, &v);
	assert_int_equal(v.kind, USB_KIND_NOT_PHONE);
	assert_int_equal(v.rule, USB_RULE_TOO_MANY_INTERFACES);
	assert_int_equal(usb_identity_to_json(&id, &v, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	assert_non_null(strstr(out, "\"serial_hex\":\"fffec3280d0a9b33316d"
	    "e280ae676e702e6578657f5a\""));
	assert_non_null(strstr(out, "\"product_received_bytes\":4003"));
	assert_non_null(strstr(out, "\"too_many_interfaces\":true"));
	assert_non_null(strstr(out, "\"manufacturer\":\"\\u001b]0;pwned"));
	assert_null(strchr(out, '\x1b'));
	free(out);
	json_decref(j);
}

/* ---- libusb hotplug ---- */

struct hotplug_log {
	int		 arrived;
	int		 left;
	uint16_t	 last_vendor;
	uint16_t	 last_product;
	uint8_t		 last_bus;
	uint8_t		 last_addr;
};

static int
hotplug_cb(libusb_context *ctx, libusb_device *dev,
    libusb_hotplug_event event, void *arg)
{
	struct hotplug_log *log = arg;
	struct libusb_device_descriptor d;

	(void)ctx;
	/* Cached by libusb from sysfs "descriptors": no transfer. */
	if (libusb_get_device_descriptor(dev, &d) == 0) {
		log->last_vendor = d.idVendor;
		log->last_product = d.idProduct;
	}
	log->last_bus = libusb_get_bus_number(dev);
	log->last_addr = libusb_get_device_address(dev);
	if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
		log->arrived++;
	else if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT)
		log->left++;
	return 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Handles libusb events until the log reaches the counts or times out. */
static void
pump(libusb_context *ctx, const struct hotplug_log *log, int arrived,
    int left)
{
	struct timeval tv = { 0, 50 * 1000 };
	long deadline = now_ms() + HOTPLUG_WAIT_MS;

	while ((log->arrived < arrived || log->left < left) &&
	    now_ms() < deadline)
		(void)libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	if (log->arrived != arrived || log->left != left)
		fail_msg("hotplug: %d arrived, %d left; want %d and %d",
		    log->arrived, log->left, arrived, left);
}

static libusb_context *
hotplug_start(struct hotplug_log *log, int flags,
    libusb_hotplug_callback_handle *h)
{
	libusb_context *ctx = NULL;

	assert_int_equal(libusb_init(&ctx), 0);
	assert_true(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG));
	assert_int_equal(libusb_hotplug_register_callback(ctx,
	    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
	    LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, flags,
	    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
	    LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, log, h), 0);
	return ctx;
}

/* A plug-in fires ARRIVED with the fixture's ids; a remove fires LEFT. */
static void
test_libusb_arrived_left(void **state)
{
	struct bed *b = *state;
	struct hotplug_log log = { 0 };
	libusb_hotplug_callback_handle h;
	libusb_context *ctx = hotplug_start(&log, 0, &h);

	bed_load(b, "iphone");
	pump(ctx, &log, 1, 0);
	assert_int_equal(log.last_vendor, 0x05ac);
	assert_int_equal(log.last_product, 0x12a8);
	assert_int_equal(log.last_bus, 1);
	assert_int_equal(log.last_addr, 2);
	bed_unplug(b, USB1 "/1-1");
	pump(ctx, &log, 1, 1);
	assert_int_equal(log.last_addr, 2);
	libusb_hotplug_deregister_callback(ctx, h);
	libusb_exit(ctx);
}

/* Devices present before registration come with the ENUMERATE flag. */
static void
test_libusb_enumerate(void **state)
{
	struct bed *b = *state;
	struct hotplug_log log = { 0 };
	libusb_hotplug_callback_handle h;
	libusb_context *ctx;

	bed_load(b, "usb-keyboard");
	bed_load(b, "usb-stick");
	ctx = hotplug_start(&log, LIBUSB_HOTPLUG_ENUMERATE, &h);
	assert_int_equal(log.arrived, 2);	/* called before returning */
	libusb_hotplug_deregister_callback(ctx, h);
	libusb_exit(ctx);
}

/* A hub with a phone: two arrivals; removal child first, two lefts. */
static void
test_libusb_hub(void **state)
{
	struct bed *b = *state;
	struct hotplug_log log = { 0 };
	libusb_hotplug_callback_handle h;
	libusb_context *ctx = hotplug_start(&log, 0, &h);

	bed_load(b, "hub-with-phone");
	pump(ctx, &log, 2, 0);
	umockdev_testbed_uevent(b->tb, USB1 "/1-8/1-8.1", "remove");
	pump(ctx, &log, 2, 1);
	assert_int_equal(log.last_product, 0x4ee2);
	bed_unplug(b, USB1 "/1-8");
	pump(ctx, &log, 2, 2);
	libusb_hotplug_deregister_callback(ctx, h);
	libusb_exit(ctx);
}

/*
 * Three phones plugged and unplugged in an interleaved order, 20 rounds:
 * every arrival and departure reported exactly once.
 */
static void
test_libusb_rounds(void **state)
{
	static const char *const names[] = { "iphone", "samsung-galaxy",
	    "pixel-mtp-adb" };
	static const char *const paths[] = { USB1 "/1-1", USB1 "/1-2",
	    USB1 "/1-4" };
	struct bed *b = *state;
	struct hotplug_log log = { 0 };
	libusb_hotplug_callback_handle h;
	libusb_context *ctx = hotplug_start(&log, 0, &h);
	int round, k;

	for (round = 0; round < 20; round++) {
		for (k = 0; k < 3; k++)
			bed_load(b, names[(round + k) % 3]);
		pump(ctx, &log, 3 * (round + 1), 3 * round);
		for (k = 0; k < 3; k++)
			bed_unplug(b, paths[(round + 2 * k) % 3]);
		pump(ctx, &log, 3 * (round + 1), 3 * (round + 1));
	}
	libusb_hotplug_deregister_callback(ctx, h);
	libusb_exit(ctx);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		/* On the shared testbed: */
		cmocka_unit_test(test_every_fixture),
		cmocka_unit_test(test_iphone_json),
		cmocka_unit_test(test_hub_interfaces),
		cmocka_unit_test(test_hostile_strings),
		/* Each on a testbed of its own, after those: */
		cmocka_unit_test_setup_teardown(test_libusb_arrived_left, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_libusb_enumerate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_libusb_hub, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_libusb_rounds, setup,
		    teardown),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
