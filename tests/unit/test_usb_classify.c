/*
 * test_usb_classify.c -- unit tests for daemon/usb_identity.c (the pure
 * parser), daemon/usb_classify.c and the tables in daemon/usb_table.c.
 *
 * Everything here starts from plain strings, as sysfs would give them, and
 * goes through usb_identity_parse: no libudev, no umockdev (those are in
 * tests/umockdev/).  The parser gets every kind of malformed attribute
 * and must refuse each one naming it, with the out-parameter cleared; the
 * string bounding is checked exhaustively around the 128-byte cut and on
 * pseudo-random bytes against a referee; the classifier gets a table of
 * real and forged devices, each with the kind, rule and signature it must
 * produce; the tables themselves are checked for order, duplicates and
 * the vendors the issue names.
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

#include "common/canon.h"
#include "common/error.h"
#include "common/utf8.h"
#include "daemon/usb_classify.h"
#include "daemon/usb_identity.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ERRLEN		256

/* ---- building identities from plain strings ---- */

/* Storage behind a struct usb_raw_identity built from a spec. */
struct rawbuf {
	struct usb_raw_identity	 raw;
	char			 vid[8], pid[8], cls[8];
	char			 num[USB_MAX_INTERFACES][4];
	char			 c[USB_MAX_INTERFACES][4];
	char			 s[USB_MAX_INTERFACES][4];
	char			 p[USB_MAX_INTERFACES][4];
	char			 name[USB_MAX_INTERFACES][32];
};

/*
 * Fills rb for a device vid:pid of class dev_class whose interfaces are
 * given as "cc/ss/pp[:name] ..." (numbered from 0 in order), with a
 * plausible location and the given product string (may be NULL).
 */
static void
raw_build(struct rawbuf *rb, uint16_t vid, uint16_t pid, uint8_t dev_class,
    const char *ifaces, const char *product)
{
	struct usb_raw_identity *r = &rb->raw;
	const char *p = ifaces;
	unsigned int c, s, pr;
	int n, k;

	memset(rb, 0, sizeof(*rb));
	(void)snprintf(rb->vid, sizeof(rb->vid), "%04x", vid);
	(void)snprintf(rb->pid, sizeof(rb->pid), "%04x", pid);
	(void)snprintf(rb->cls, sizeof(rb->cls), "%02x", dev_class);
	r->vendor_id = rb->vid;
	r->product_id = rb->pid;
	r->device_class = rb->cls;
	r->busnum = "1";
	r->devnum = "7";
	r->devpath = "4";
	r->speed = "480";
	r->product = product;
	for (k = 0; p != NULL && *p != '\0'; k++) {
		assert_true(k < USB_MAX_INTERFACES);
		assert_int_equal(sscanf(p, "%x/%x/%x%n", &c, &s, &pr, &n), 3);
		(void)snprintf(rb->num[k], 4, "%02x", k);
		(void)snprintf(rb->c[k], 4, "%02x", c);
		(void)snprintf(rb->s[k], 4, "%02x", s);
		(void)snprintf(rb->p[k], 4, "%02x", pr);
		r->ifaces[k].number = rb->num[k];
		r->ifaces[k].cls = rb->c[k];
		r->ifaces[k].subclass = rb->s[k];
		r->ifaces[k].protocol = rb->p[k];
		p += n;
		if (*p == ':') {
			n = (int)strcspn(++p, " ");
			assert_true(n < 32);
			memcpy(rb->name[k], p, (size_t)n);
			r->ifaces[k].name = rb->name[k];
			p += n;
		}
		while (*p == ' ')
			p++;
	}
	r->n_ifaces = r->n_ifaces_seen = (size_t)k;
}

static void
parse_ok(const struct rawbuf *rb, struct usb_identity *id)
{
	char err[ERRLEN] = "";

	if (usb_identity_parse(&rb->raw, id, err, sizeof(err)) != 0)
		fail_msg("parse refused a good identity: %s", err);
}

static int
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

/* ---- strict number parsing ---- */

static void
test_parse_hex(void **state)
{
	static const char *const bad16[] = { NULL, "", "5ac", "05a", "05ac\n",
	    " 05ac", "05ac ", "0x5ac", "05acX", "g5ac", "+5ac", "-5ac",
	    "05a\xc3", "005ac" };
	static const char *const bad8[] = { NULL, "", "0", "6", "006", "0x",
	    "6 ", " 6", "g0", "ff\n", "-1" };
	uint16_t v16 = 0x1234;
	uint8_t v8 = 0x12;
	size_t i;

	(void)state;
	assert_int_equal(usb_parse_hex16("05ac", &v16), 0);
	assert_int_equal(v16, 0x05ac);
	assert_int_equal(usb_parse_hex16("05AC", &v16), 0);
	assert_int_equal(v16, 0x05ac);
	assert_int_equal(usb_parse_hex16("ffff", &v16), 0);
	assert_int_equal(v16, 0xffff);
	assert_int_equal(usb_parse_hex16("0000", &v16), 0);
	assert_int_equal(v16, 0);
	for (i = 0; i < NELEM(bad16); i++) {
		v16 = 0x1234;
		if (usb_parse_hex16(bad16[i], &v16) != CUSTODY_ERR_INVAL)
			fail_msg("hex16 accepted bad input %zu", i);
		assert_int_equal(v16, 0x1234);	/* untouched */
	}
	assert_int_equal(usb_parse_hex8("e0", &v8), 0);
	assert_int_equal(v8, 0xe0);
	assert_int_equal(usb_parse_hex8("0D", &v8), 0);
	assert_int_equal(v8, 0x0d);
	for (i = 0; i < NELEM(bad8); i++) {
		v8 = 0x12;
		if (usb_parse_hex8(bad8[i], &v8) != CUSTODY_ERR_INVAL)
			fail_msg("hex8 accepted bad input %zu", i);
		assert_int_equal(v8, 0x12);
	}
}

/* ---- the parser ---- */

static void
test_parse_good(void **state)
{
	struct rawbuf rb;
	struct usb_identity id;

	(void)state;
	raw_build(&rb, 0x05ac, 0x12a8, 0, "06/01/01 ff/fe/02 ff/fd/01",
	    "iPhone");
	rb.raw.serial = "00008030001A2B3C4D5E6F70";
	rb.raw.manufacturer = "Apple Inc.";
	rb.raw.devpath = "1.4.2";
	rb.raw.busnum = "3";
	rb.raw.devnum = "127";
	parse_ok(&rb, &id);
	assert_int_equal(id.vendor_id, 0x05ac);
	assert_int_equal(id.product_id, 0x12a8);
	assert_int_equal(id.device_class, 0);
	assert_int_equal(id.busnum, 3);
	assert_int_equal(id.devnum, 127);
	assert_string_equal(id.port, "3-1.4.2");
	assert_string_equal(id.speed, "480");
	assert_string_equal(id.serial.bytes, "00008030001A2B3C4D5E6F70");
	assert_string_equal(id.manufacturer.bytes, "Apple Inc.");
	assert_string_equal(id.product.bytes, "iPhone");
	assert_int_equal(id.n_ifaces, 3);
	assert_int_equal(id.ifaces[1].cls, 0xff);
	assert_int_equal(id.ifaces[1].subclass, 0xfe);
	assert_int_equal(id.ifaces[1].protocol, 0x02);
	assert_false(id.ifaces[1].name.present);
	assert_false(id.too_many_interfaces);
}

/* Optional attributes may be absent; a root hub's devpath is "0". */
static void
test_parse_optional(void **state)
{
	struct rawbuf rb;
	struct usb_identity id;

	(void)state;
	raw_build(&rb, 0x1d6b, 0x0002, 9, "09/00/00", NULL);
	rb.raw.devpath = "0";
	rb.raw.speed = NULL;
	parse_ok(&rb, &id);
	assert_string_equal(id.port, "1-0");
	assert_string_equal(id.speed, "");
	assert_false(id.serial.present);
	assert_false(id.product.present);
	/* Only the kernel's own speed strings are kept. */
	raw_build(&rb, 0x1d6b, 0x0002, 9, "", NULL);
	rb.raw.speed = "1.5";
	parse_ok(&rb, &id);
	assert_string_equal(id.speed, "1.5");
	rb.raw.speed = "481";
	parse_ok(&rb, &id);
	assert_string_equal(id.speed, "");
	rb.raw.speed = "480\x1b[2J";
	parse_ok(&rb, &id);
	assert_string_equal(id.speed, "");
	rb.raw.speed = "53.3-480";
	parse_ok(&rb, &id);
	assert_string_equal(id.speed, "53.3-480");
}

struct refusal {
	const char	*field;		/* which raw field to spoil */
	const char	*value;		/* NULL: absent */
	const char	*names;		/* what err must mention */
};

static const struct refusal refusals[] = {
	{ "vendor_id", NULL, "idVendor is missing" },
	{ "vendor_id", "5ac", "idVendor \"5ac\" is not 4 hex digits" },
	{ "vendor_id", "0x5ac", "idVendor" },
	{ "vendor_id", "05ac\n", "idVendor \"05ac\\n\"" },
	{ "product_id", "12a8 ", "idProduct" },
	{ "product_id", NULL, "idProduct is missing" },
	{ "device_class", "0", "bDeviceClass" },
	{ "device_class", "0x00", "bDeviceClass" },
	{ "device_class", NULL, "bDeviceClass is missing" },
	{ "busnum", "0", "busnum" },
	{ "busnum", "256", "busnum" },
	{ "busnum", "1a", "busnum" },
	{ "busnum", "", "busnum" },
	{ "busnum", "-1", "busnum" },
	{ "busnum", "0001", "busnum" },
	{ "busnum", NULL, "busnum is missing" },
	{ "devnum", "300", "devnum" },
	{ "devnum", "0", "devnum" },
	{ "devnum", "7 ", "devnum" },
	{ "devpath", "", "devpath" },
	{ "devpath", ".", "devpath" },
	{ "devpath", "1.", "devpath" },
	{ "devpath", ".1", "devpath" },
	{ "devpath", "1..2", "devpath" },
	{ "devpath", "0.1", "devpath" },
	{ "devpath", "256", "devpath" },
	{ "devpath", "1-2", "devpath" },
	{ "devpath", "1.2.3.4.5.6.7.8", "devpath" },
	{ "devpath", "1/../../x", "devpath" },
	{ "devpath", NULL, "devpath is missing" },
	{ "iface_class", "6", "interface 1 bInterfaceClass \"6\"" },
	{ "iface_class", NULL, "interface 1 bInterfaceClass is missing" },
	{ "iface_number", "100", "interface 1 bInterfaceNumber" },
	{ "iface_subclass", "zz", "interface 1 bInterfaceSubClass" },
	{ "iface_protocol", "", "interface 1 bInterfaceProtocol" },
	/* The value is shown escaped, never raw. */
	{ "vendor_id", "\x1b[31m", "idVendor \"\\x1b[31m\"" },
};

static void
spoil(struct rawbuf *rb, const struct refusal *rf)
{
	struct usb_raw_identity *r = &rb->raw;

	if (strcmp(rf->field, "vendor_id") == 0)
		r->vendor_id = rf->value;
	else if (strcmp(rf->field, "product_id") == 0)
		r->product_id = rf->value;
	else if (strcmp(rf->field, "device_class") == 0)
		r->device_class = rf->value;
	else if (strcmp(rf->field, "busnum") == 0)
		r->busnum = rf->value;
	else if (strcmp(rf->field, "devnum") == 0)
		r->devnum = rf->value;
	else if (strcmp(rf->field, "devpath") == 0)
		r->devpath = rf->value;
	else if (strcmp(rf->field, "iface_class") == 0)
		r->ifaces[1].cls = rf->value;
	else if (strcmp(rf->field, "iface_number") == 0)
		r->ifaces[1].number = rf->value;
	else if (strcmp(rf->field, "iface_subclass") == 0)
		r->ifaces[1].subclass = rf->value;
	else if (strcmp(rf->field, "iface_protocol") == 0)
		r->ifaces[1].protocol = rf->value;
	else
		fail_msg("unknown field %s", rf->field);
}

/* Each malformed attribute refused, named, shown escaped; *id cleared. */
static void
test_parse_refusals(void **state)
{
	struct rawbuf rb;
	struct usb_identity id;
	char err[ERRLEN];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NELEM(refusals); i++) {
		raw_build(&rb, 0x18d1, 0x4ee7, 0, "06/01/01:MTP ff/42/01",
		    "Pixel 8");
		rb.raw.serial = "SERIAL";
		spoil(&rb, &refusals[i]);
		memset(&id, 0xa5, sizeof(id));
		err[0] = '\0';
		r = usb_identity_parse(&rb.raw, &id, err, sizeof(err));
		if (r != CUSTODY_ERR_INVAL)
			fail_msg("refusal %zu (%s): returned %d", i,
			    refusals[i].names, r);
		if (strstr(err, refusals[i].names) == NULL)
			fail_msg("refusal %zu: \"%s\" does not say \"%s\"", i,
			    err, refusals[i].names);
		if (strchr(err, '\x1b') != NULL || strchr(err, '\n') != NULL)
			fail_msg("refusal %zu: raw control byte in \"%s\"", i,
			    err);
		if (!all_zero(&id, sizeof(id)))
			fail_msg("refusal %zu: identity not cleared", i);
	}
	/* A NULL err is allowed. */
	raw_build(&rb, 0x18d1, 0x4ee7, 0, "", NULL);
	rb.raw.vendor_id = "nope";
	assert_int_equal(usb_identity_parse(&rb.raw, &id, NULL, 0),
	    CUSTODY_ERR_INVAL);
}

/* Interface counts: the adapter's contract, and the 32 cap. */
static void
test_parse_interface_counts(void **state)
{
	struct rawbuf rb;
	struct usb_identity id;
	char err[ERRLEN];
	size_t i;

	(void)state;
	raw_build(&rb, 0x18d1, 0x4ee7, 0, "06/01/01:MTP ff/42/01", NULL);
	rb.raw.n_ifaces_seen = 1;	/* fewer seen than filled */
	assert_int_equal(usb_identity_parse(&rb.raw, &id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	rb.raw.n_ifaces = USB_MAX_INTERFACES + 1;
	rb.raw.n_ifaces_seen = USB_MAX_INTERFACES + 1;
	assert_int_equal(usb_identity_parse(&rb.raw, &id, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);

	/* Exactly 32 is allowed; 33 seen (32 kept) is "too many". */
	raw_build(&rb, 0x1234, 0x5678, 0, "", NULL);
	for (i = 0; i < USB_MAX_INTERFACES; i++) {
		(void)snprintf(rb.num[i], 4, "%02zx", USB_MAX_INTERFACES - 1 - i);
		rb.raw.ifaces[i].number = rb.num[i];
		rb.raw.ifaces[i].cls = "03";
		rb.raw.ifaces[i].subclass = "00";
		rb.raw.ifaces[i].protocol = "00";
	}
	rb.raw.n_ifaces = rb.raw.n_ifaces_seen = USB_MAX_INTERFACES;
	parse_ok(&rb, &id);
	assert_false(id.too_many_interfaces);
	/* Sorted by interface number. */
	for (i = 0; i < USB_MAX_INTERFACES; i++)
		assert_int_equal(id.ifaces[i].number, i);
	rb.raw.n_ifaces_seen = 5000;
	parse_ok(&rb, &id);
	assert_true(id.too_many_interfaces);
	assert_int_equal(id.n_ifaces, USB_MAX_INTERFACES);
	assert_int_equal(id.n_ifaces_seen, 5000);
}

/* ---- bounded strings ---- */

/*
 * The referee: walks s unit by unit (a valid UTF-8 sequence, or one
 * invalid byte) and returns the longest prefix of whole units that fits
 * in max bytes; *valid says whether all of those units were valid.
 */
static size_t
ref_cut(const char *s, size_t n, size_t max, int *valid)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	uint32_t cp;

	*valid = 1;
	while (i < n) {
		k = utf8_decode(p + i, n - i, &cp);
		if (i + (k ? k : 1) > max)
			break;
		if (k == 0) {
			*valid = 0;
			k = 1;
		}
		i += k;
	}
	return i;
}

static void
check_text(const char *s)
{
	struct usb_text t;
	size_t n = strlen(s), want;
	int valid;

	usb_text_set(&t, s);
	want = ref_cut(s, n, USB_STR_MAX, &valid);
	assert_true(t.present);
	assert_int_equal(t.received, n);
	assert_int_equal(t.len, want);
	assert_true(t.len <= USB_STR_MAX);
	assert_memory_equal(t.bytes, s, t.len);
	assert_int_equal(t.bytes[t.len], '\0');
	assert_int_equal(t.truncated, n > t.len);
	assert_int_equal(t.valid_utf8, valid);
}

static void
test_text_cut(void **state)
{
	static const char *const tails[] = {
		"", "x", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x93\xb1",
		"\xff", "\xe2\x82", "\xc3(", "\xe2\x80\xae\x1b[2J",
	};
	char buf[USB_STR_MAX + 16];
	struct usb_text t;
	size_t pre, k;

	(void)state;
	/* Every prefix length around the cut with every kind of tail. */
	for (pre = USB_STR_MAX - 5; pre <= USB_STR_MAX + 1; pre++) {
		for (k = 0; k < NELEM(tails); k++) {
			memset(buf, 'A', pre);
			(void)snprintf(buf + pre, sizeof(buf) - pre, "%sZ",
			    tails[k]);
			check_text(buf);
		}
	}
	/* The named cases. */
	memset(buf, 'A', 126);
	memcpy(buf + 126, "\xe2\x82\xac" "B", 5);	/* euro at 126..128 */
	usb_text_set(&t, buf);
	assert_int_equal(t.len, 126);
	assert_true(t.truncated);
	assert_true(t.valid_utf8);
	memset(buf, 'A', 128);
	buf[128] = '\0';
	usb_text_set(&t, buf);
	assert_int_equal(t.len, 128);
	assert_false(t.truncated);
	usb_text_set(&t, NULL);
	assert_false(t.present);
	assert_int_equal(t.len, 0);
	usb_text_set(&t, "");
	assert_true(t.present);
	assert_int_equal(t.len, 0);
	assert_true(t.valid_utf8);
}

/* Pseudo-random bytes (a fixed xorshift, so failures repeat). */
static void
test_text_random(void **state)
{
	static const uint8_t alphabet[] = { 'a', 0x1b, 0x7f, 0x80, 0x9b, 0xc3,
	    0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xed, 0xa0, 0xff, '\n' };
	char buf[400];
	uint32_t x = 2463534242u;
	size_t round, i, n;

	(void)state;
	for (round = 0; round < 20000; round++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = x % 300;
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (char)alphabet[x % sizeof(alphabet)];
		}
		buf[n] = '\0';
		check_text(buf);
	}
}

static int
shown_is_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

static void
test_text_display(void **state)
{
	struct usb_text t;
	char out[USB_TEXT_DISPLAY_MAX], worst[USB_STR_MAX + 1];

	(void)state;
	usb_text_set(&t, "\x1b]0;pwned\x07\x1b[2JSAMSUNG\r\n\x9b""31m");
	usb_text_display(&t, out, sizeof(out));
	assert_string_equal(out, "\\x1b]0;pwned\\x07\\x1b[2JSAMSUNG\\x0d\\n"
	    "\\x9b31m");
	usb_text_set(&t, NULL);
	usb_text_display(&t, out, sizeof(out));
	assert_string_equal(out, "");
	/* The worst case still fits whole in USB_TEXT_DISPLAY_MAX. */
	memset(worst, 0x1b, USB_STR_MAX);
	worst[USB_STR_MAX] = '\0';
	usb_text_set(&t, worst);
	usb_text_display(&t, out, sizeof(out));
	assert_int_equal(strlen(out), 4 * USB_STR_MAX);
	assert_true(shown_is_safe(out));
	assert_null(strstr(out, "..."));
}

/* ---- the tables ---- */

static void
test_table_shape(void **state)
{
	static const uint16_t required[] = { 0x05ac, 0x04e8, 0x18d1, 0x2717,
	    0x2a70, 0x22d9, 0x12d1, 0x339b, 0x22b8, 0x17ef, 0x0fce, 0x2e04,
	    0x0421, 0x1004, 0x19d2, 0x2d95 };
	const struct usb_vendor *v;
	const struct usb_signature *sig;
	size_t n, nsig, i, k;
	unsigned int held = 0;

	(void)state;
	v = usb_table_vendors(&n);
	assert_true(n >= NELEM(required));
	for (i = 0; i < n; i++) {
		if (i > 0 && v[i - 1].vendor_id >= v[i].vendor_id)
			fail_msg("vendors not sorted at %04x", v[i].vendor_id);
		assert_non_null(v[i].name);
		assert_true(v[i].name[0] != '\0');
		assert_true((v[i].products == NULL) == (v[i].n_products == 0));
		for (k = 1; k < v[i].n_products; k++)
			if (v[i].products[k - 1].product_id >=
			    v[i].products[k].product_id)
				fail_msg("%s products not sorted", v[i].name);
		assert_ptr_equal(usb_table_find_vendor(v[i].vendor_id), &v[i]);
		held |= v[i].flags;
	}
	for (i = 0; i < NELEM(required); i++)
		if (usb_table_find_vendor(required[i]) == NULL)
			fail_msg("vendor %04x missing", required[i]);
	assert_null(usb_table_find_vendor(0x0000));
	assert_null(usb_table_find_vendor(0xffff));
	assert_null(usb_table_find_vendor(0x046d));	/* Logitech */
	sig = usb_table_signatures(&nsig);
	for (i = 0; i < nsig; i++) {
		assert_true(sig[i].name != NULL && sig[i].name[0] != '\0');
		if (sig[i].flags & USB_SIG_NEEDS_VF)
			assert_true(held & sig[i].vendor_flag);
	}
}

/* ---- classification ---- */

struct cls_case {
	const char	*what;
	uint16_t	 vid, pid;
	uint8_t		 dev_class;
	const char	*ifaces;
	const char	*product;
	enum usb_kind	 kind;
	enum usb_rule	 rule;
	const char	*signature;
};

#define PHONE	USB_KIND_PHONE
#define TABLET	USB_KIND_TABLET
#define NOT	USB_KIND_NOT_PHONE
#define R_PID	USB_RULE_PRODUCT_ID
#define R_IF	USB_RULE_INTERFACE
#define R_VIF	USB_RULE_VENDOR_INTERFACE
#define R_VND	USB_RULE_VENDOR_NO_DATA
#define R_NONE	USB_RULE_NO_SIGNATURE
#define R_HUB	USB_RULE_HUB

static const struct cls_case cases[] = {
	{ "iPhone", 0x05ac, 0x12a8, 0, "06/01/01 ff/fe/02 ff/fd/01", "iPhone",
	    PHONE, R_PID, "usbmux" },
	{ "iPhone unconfigured", 0x05ac, 0x12a8, 0, "", "iPhone",
	    PHONE, R_PID, NULL },
	{ "iPad", 0x05ac, 0x12ab, 0, "06/01/01 ff/fe/02", "iPad",
	    TABLET, R_PID, "usbmux" },
	{ "iPod touch", 0x05ac, 0x12aa, 0, "06/01/01 ff/fe/02", "iPod",
	    PHONE, R_PID, "usbmux" },
	{ "Apple TV", 0x05ac, 0x12a7, 0, "ff/fe/02", "Apple TV",
	    NOT, R_PID, "usbmux" },
	{ "Apple, unlisted id, usbmux", 0x05ac, 0x12ad, 0, "06/01/01 ff/fe/02",
	    "iPhone", PHONE, R_VIF, "usbmux" },
	{ "Apple, unlisted id, iPad", 0x05ac, 0x12ae, 0, "ff/fe/02", "iPad",
	    TABLET, R_VIF, "usbmux" },
	{ "Apple keyboard", 0x05ac, 0x024f, 0, "03/01/01 03/00/00",
	    "Apple Keyboard", NOT, R_VND, NULL },
	{ "Apple Ethernet tethering only", 0x05ac, 0x12af, 0, "ff/fd/01",
	    NULL, PHONE, R_VIF, "Apple tethering" },
	{ "Samsung MTP+ADB", 0x04e8, 0x6860, 0, "ff/ff/00 ff/42/01",
	    "SAMSUNG_Android", PHONE, R_VIF, "MTP (Samsung)" },
	{ "Samsung MTP string", 0x04e8, 0x6860, 0, "ff/ff/00:MTP",
	    "SAMSUNG_Android", PHONE, R_IF, "MTP" },
	{ "Samsung tethering", 0x04e8, 0x6863, 0, "e0/01/03 0a/00/00",
	    "SAMSUNG_Android", PHONE, R_VIF, "RNDIS" },
	{ "Samsung keyboard", 0x04e8, 0x7021, 0, "03/01/01 03/00/00",
	    "Samsung Keyboard", NOT, R_VND, NULL },
	{ "Samsung T7 SSD", 0x04e8, 0x4001, 0, "08/06/50", "PSSD T7",
	    NOT, R_VND, NULL },
	{ "Samsung Galaxy Tab (says nothing)", 0x04e8, 0x6860, 0, "ff/ff/00",
	    "SAMSUNG_Android", PHONE, R_VIF, "MTP (Samsung)" },
	{ "Galaxy Tab by name", 0x04e8, 0x6860, 0, "06/01/01:MTP",
	    "Galaxy Tab S6", TABLET, R_IF, "MTP" },
	{ "Pixel MTP", 0x18d1, 0x4ee1, 0, "06/01/01:MTP", "Pixel 7",
	    PHONE, R_IF, "MTP" },
	{ "Pixel MTP+ADB", 0x18d1, 0x4ee2, 0, "06/01/01:MTP ff/42/01",
	    "Pixel 7", PHONE, R_IF, "MTP" },
	{ "Pixel ADB only", 0x18d1, 0x4ee7, 0, "ff/42/01", "Pixel 7",
	    PHONE, R_IF, "ADB" },
	{ "Pixel PTP", 0x18d1, 0x4ee5, 0, "06/01/01", "Pixel 7",
	    PHONE, R_VIF, "PTP" },
	{ "Pixel NCM tethering", 0x18d1, 0x4eeb, 0, "02/0d/00 0a/00/01",
	    "Pixel 7", PHONE, R_VIF, "CDC NCM" },
	{ "Pixel fastboot", 0x18d1, 0x4ee0, 0, "ff/42/03", "Android",
	    PHONE, R_IF, "fastboot" },
	{ "Xiaomi RNDIS", 0x2717, 0xff88, 0, "e0/01/03 0a/00/00", "Redmi",
	    PHONE, R_VIF, "RNDIS" },
	{ "OnePlus ECM", 0x2a70, 0x4ee3, 0, "02/06/00 0a/00/00", "OnePlus",
	    PHONE, R_VIF, "CDC ECM" },
	{ "vivo misc RNDIS", 0x2d95, 0x6003, 0, "ef/04/01 0a/00/00", "vivo",
	    PHONE, R_VIF, "RNDIS" },
	{ "Motorola RNDIS over ACM", 0x22b8, 0x2e24, 0, "02/02/ff 0a/00/00",
	    "moto g", PHONE, R_VIF, "RNDIS" },
	{ "Lenovo dock Ethernet", 0x17ef, 0xa387, 0, "02/06/00 0a/00/00",
	    "ThinkPad USB-C Dock", NOT, R_VND, NULL },
	{ "Lenovo Tab", 0x17ef, 0x201c, 0, "06/01/01:MTP ff/42/01",
	    "Lenovo Tab M10", TABLET, R_IF, "MTP" },
	{ "Huawei modem stick", 0x12d1, 0x14dc, 0, "02/06/00 0a/00/00 08/06/50",
	    "HUAWEI_MOBILE", NOT, R_VND, NULL },
	{ "Huawei phone", 0x12d1, 0x107e, 0, "06/01/01:MTP", "P10 lite",
	    PHONE, R_IF, "MTP" },
	{ "Huawei MatePad", 0x12d1, 0x107d, 0, "06/01/01:MTP", "MatePad 11",
	    TABLET, R_IF, "MTP" },
	{ "ZTE modem RNDIS", 0x19d2, 0x1405, 0, "e0/01/03 0a/00/00",
	    "ZTE Mobile Broadband", NOT, R_VND, NULL },
	{ "Honor MTP", 0x339b, 0x107d, 0, "06/01/01:MTP", "X8", PHONE, R_IF,
	    "MTP" },
	{ "Amazon Fire", 0x1949, 0x0632, 0, "06/01/01:MTP", "Fire",
	    TABLET, R_IF, "MTP" },
	{ "Amazon Kindle (storage)", 0x1949, 0x0004, 0, "08/06/50", "Kindle",
	    NOT, R_VND, NULL },
	{ "unknown vendor ADB", 0x1234, 0x5678, 0, "ff/42/01", NULL,
	    PHONE, R_IF, "ADB" },
	{ "unknown vendor MTP", 0x1234, 0x5678, 0, "06/01/01:MTP", "Phone",
	    PHONE, R_IF, "MTP" },
	{ "unknown vendor vendor-class MTP", 0x1234, 0x5678, 0, "ff/ff/00:MTP",
	    NULL, PHONE, R_IF, "MTP" },
	{ "unknown vendor Xpad", 0x1234, 0x5678, 0, "06/01/01:MTP", "Xpad",
	    PHONE, R_IF, "MTP" },
	{ "unknown vendor, MTP string wrong case", 0x1234, 0x5678, 0,
	    "06/01/01:mtp", NULL, NOT, R_NONE, NULL },
	{ "unknown vendor, MTP string with escapes", 0x1234, 0x5678, 0,
	    "06/01/01:MTP\x1b[8m", NULL, NOT, R_NONE, NULL },
	{ "Canon camera (PTP)", 0x04a9, 0x3218, 0, "06/01/01", "Canon",
	    NOT, R_NONE, NULL },
	{ "Realtek Ethernet (ff/ff/00)", 0x0bda, 0x8153, 0, "ff/ff/00",
	    "USB 10/100/1000 LAN", NOT, R_NONE, NULL },
	{ "unknown usbmux", 0x1234, 0x5678, 0, "ff/fe/02", NULL,
	    NOT, R_NONE, NULL },
	{ "unknown RNDIS", 0x1234, 0x5678, 0, "e0/01/03", NULL,
	    NOT, R_NONE, NULL },
	{ "Logitech keyboard", 0x046d, 0xc31c, 0, "03/01/01 03/00/00",
	    "USB Keyboard", NOT, R_NONE, NULL },
	{ "SanDisk stick", 0x0781, 0x5583, 0, "08/06/50", "Ultra Fit",
	    NOT, R_NONE, NULL },
	{ "hub", 0x05e3, 0x0610, 9, "09/00/02", "USB2.1 Hub", NOT, R_HUB,
	    NULL },
	{ "forged Samsung hub with ADB", 0x04e8, 0x6860, 9, "ff/42/01",
	    NULL, NOT, R_HUB, NULL },
};

static void
test_classify_cases(void **state)
{
	const struct cls_case *c;
	struct rawbuf rb;
	struct usb_identity id;
	struct usb_verdict v;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		c = &cases[i];
		raw_build(&rb, c->vid, c->pid, c->dev_class, c->ifaces,
		    c->product);
		parse_ok(&rb, &id);
		memset(&v, 0xa5, sizeof(v));
		usb_classify(&id, &v);
		if (v.kind != c->kind || v.rule != c->rule)
			fail_msg("%s: %s by %s (%s), want %s by %s", c->what,
			    usb_kind_name(v.kind), usb_rule_name(v.rule),
			    v.reason, usb_kind_name(c->kind),
			    usb_rule_name(c->rule));
		if ((c->signature == NULL) != (v.signature == NULL) ||
		    (c->signature != NULL &&
		    strcmp(c->signature, v.signature->name) != 0))
			fail_msg("%s: signature %s, want %s (%s)", c->what,
			    v.signature ? v.signature->name : "none",
			    c->signature ? c->signature : "none", v.reason);
		if (v.signature != NULL && (v.iface < 0 ||
		    (size_t)v.iface >= id.n_ifaces))
			fail_msg("%s: iface %d out of range", c->what, v.iface);
		if (v.reason[0] == '\0' || strchr(v.reason, '\x1b') != NULL)
			fail_msg("%s: bad reason \"%s\"", c->what, v.reason);
	}
}

/* The reason names the table entry and the interface that decided. */
static void
test_classify_reasons(void **state)
{
	struct rawbuf rb;
	struct usb_identity id;
	struct usb_verdict v;

	(void)state;
	raw_build(&rb, 0x04e8, 0x6860, 0, "ff/ff/00 ff/42/01", NULL);
	parse_ok(&rb, &id);
	usb_classify(&id, &v);
	assert_string_equal(v.reason,
	    "Samsung (04e8): interface 0 ff/ff/00 is MTP (Samsung)");
	assert_string_equal(v.vendor->name, "Samsung");
	assert_int_equal(v.iface, 0);

	raw_build(&rb, 0x1234, 0x5678, 0, "03/00/00 ff/42/01", NULL);
	parse_ok(&rb, &id);
	usb_classify(&id, &v);
	assert_string_equal(v.reason, "interface 1 ff/42/01 is ADB");
	assert_null(v.vendor);

	raw_build(&rb, 0x17ef, 0x201c, 0, "06/01/01:MTP", "Lenovo Tab M10");
	parse_ok(&rb, &id);
	usb_classify(&id, &v);
	assert_string_equal(v.reason, "Lenovo (17ef): interface 0 06/01/01 "
	    "is MTP; a tablet: the product string names one");
	assert_true(v.tablet_by_name);

	raw_build(&rb, 0x046d, 0xc31c, 0, "03/01/01", NULL);
	parse_ok(&rb, &id);
	usb_classify(&id, &v);
	assert_string_equal(v.reason, "vendor 046d is not in the phone table "
	    "and no interface is MTP, ADB or fastboot");

	raw_build(&rb, 0x18d1, 0x4ee1, 0, "06/01/01:MTP", NULL);
	rb.raw.n_ifaces_seen = 2000;
	parse_ok(&rb, &id);
	usb_classify(&id, &v);
	assert_int_equal(v.kind, USB_KIND_NOT_PHONE);
	assert_string_equal(v.reason, "2000 interfaces, more than the 32 the "
	    "kernel allows: not treated as a phone");
	assert_null(v.signature);
}

static void
test_tablet_names(void **state)
{
	static const char *const yes[] = { "Galaxy Tab S6", "Lenovo TAB M10",
	    "Xiaomi Pad 5", "Redmi Pad SE", "MatePad 11", "MediaPad T3", "iPad",
	    "Tablet", "Samsung-Tab", "Galaxy_Tab", "TAB\x1b[0m",
	    "Fire\xff\x54\x61\x62let", "Tab\xc3\xa9" /* non-ASCII splits */ };
	static const char *const no[] = { "", "Table", "Tabby", "Keypad",
	    "ThinkPad", "Stab", "Pixel 7", "SAMSUNG_Android", "Tabs", "Padded" };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(yes); i++)
		if (!usb_classify_is_tablet_name(yes[i], strlen(yes[i])))
			fail_msg("\"%s\" should name a tablet", yes[i]);
	for (i = 0; i < NELEM(no); i++)
		if (usb_classify_is_tablet_name(no[i], strlen(no[i])))
			fail_msg("\"%s\" should not name a tablet", no[i]);
	/* Only the given length is read. */
	assert_false(usb_classify_is_tablet_name("Galaxy Tab", 8));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(usb_kind_name(USB_KIND_PHONE), "phone");
	assert_string_equal(usb_kind_name(USB_KIND_TABLET), "tablet");
	assert_string_equal(usb_kind_name(USB_KIND_NOT_PHONE), "not_phone");
	assert_string_equal(usb_rule_name(USB_RULE_HUB), "hub");
	assert_string_equal(usb_rule_name(USB_RULE_TOO_MANY_INTERFACES),
	    "too_many_interfaces");
	assert_string_equal(usb_rule_name(USB_RULE_VENDOR_NO_DATA),
	    "vendor_without_data_interface");
}

/* ---- JSON ---- */

static char *
encode(const struct usb_identity *id, const struct usb_verdict *v)
{
	json_t *j;
	char *out;
	size_t len;

	assert_int_equal(usb_identity_to_json(id, v, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	json_decref(j);
	return out;
}

static void
test_json(void **state)
{
	struct rawbuf rb;
	struct usb_identity id;
	struct usb_verdict v;
	char long_product[300], *out;

	(void)state;
	raw_build(&rb, 0x18d1, 0x4ee7, 0, "06/01/01:MTP ff/42/01", "Pixel 8");
	rb.raw.serial = "3A12\x1b[31m";
	parse_ok(&rb, &id);
	usb_classify(&id, &v);
	out = encode(&id, NULL);
	assert_string_equal(out, "{\"bus\":1,\"device_class\":\"00\","
	    "\"devnum\":7,\"interfaces\":[{\"class\":\"06\",\"name\":\"MTP\","
	    "\"number\":0,\"protocol\":\"01\",\"subclass\":\"01\"},"
	    "{\"class\":\"ff\",\"number\":1,\"protocol\":\"01\","
	    "\"subclass\":\"42\"}],\"interfaces_found\":2,\"port\":\"1-4\","
	    "\"product\":\"Pixel 8\",\"product_id\":\"4ee7\","
	    "\"serial\":\"3A12\\u001b[31m\",\"speed\":\"480\","
	    "\"vendor_id\":\"18d1\"}");
	free(out);
	out = encode(&id, &v);
	assert_non_null(strstr(out, "\"classification\":{\"interface\":0,"
	    "\"kind\":\"phone\",\"reason\":\"Google (18d1): interface 0 "
	    "06/01/01 is MTP\",\"rule\":\"interface\",\"signature\":\"MTP\","
	    "\"vendor\":\"Google\"}"));
	free(out);

	/* Invalid UTF-8 as hex; a cut string with its received length. */
	memset(long_product, 'P', 299);
	long_product[299] = '\0';
	raw_build(&rb, 0x1234, 0x5678, 0, "", long_product);
	rb.raw.manufacturer = "\xff\xfe" "A";
	parse_ok(&rb, &id);
	out = encode(&id, NULL);
	assert_non_null(strstr(out, "\"manufacturer_hex\":\"fffe41\""));
	assert_null(strstr(out, "\"manufacturer\":"));
	assert_non_null(strstr(out, "\"product_received_bytes\":299"));
	assert_non_null(strstr(out, "\"interfaces\":[]"));
	assert_null(strstr(out, "serial"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hex),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_optional),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_interface_counts),
		cmocka_unit_test(test_text_cut),
		cmocka_unit_test(test_text_random),
		cmocka_unit_test(test_text_display),
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_classify_cases),
		cmocka_unit_test(test_classify_reasons),
		cmocka_unit_test(test_tablet_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
