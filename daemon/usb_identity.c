/*
 * usb_identity.c -- validating a device's sysfs attributes into a struct
 * usb_identity, and its JSON form.  Pure: no I/O.  The contract is in
 * usb_identity.h; the libudev adapter is daemon/usb_udev.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/escape.h"
#include "common/utf8.h"
#include "daemon/usb_classify.h"
#include "daemon/usb_identity.h"

/* The values the kernel writes to a usb_device's "speed" attribute. */
static const char *const speeds[] = {
	"1.5", "12", "480", "5000", "10000", "20000", "53.3-480",
};

#define DEVPATH_MAX_TIERS	7

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly ndigits hex digits and the end of the string. */
static int
parse_hex(const char *s, size_t ndigits, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;
	int d;

	if (s == NULL)
		return CUSTODY_ERR_INVAL;
	for (i = 0; i < ndigits; i++) {
		if ((d = hex_digit(s[i])) < 0)
			return CUSTODY_ERR_INVAL;
		v = v << 4 | (unsigned int)d;
	}
	if (s[ndigits] != '\0')
		return CUSTODY_ERR_INVAL;
	*out = v;
	return 0;
}

int
usb_parse_hex16(const char *s, uint16_t *out)
{
	unsigned int v;
	int r;

	if ((r = parse_hex(s, 4, &v)) != 0)
		return r;
	*out = (uint16_t)v;
	return 0;
}

int
usb_parse_hex8(const char *s, uint8_t *out)
{
	unsigned int v;
	int r;

	if ((r = parse_hex(s, 2, &v)) != 0)
		return r;
	*out = (uint8_t)v;
	return 0;
}

/*
 * One to three decimal digits at s, value in [min, 255]; *end is set past
 * them.  Returns 0 or CUSTODY_ERR_INVAL.
 */
static int
parse_dec8_prefix(const char *s, unsigned int min, uint8_t *out,
    const char **end)
{
	unsigned int v = 0;
	size_t i;

	for (i = 0; i < 3 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (unsigned int)(s[i] - '0');
	if (i == 0 || (s[i] >= '0' && s[i] <= '9') || v < min || v > 255)
		return CUSTODY_ERR_INVAL;
	*out = (uint8_t)v;
	*end = s + i;
	return 0;
}

/* A whole string of one to three digits, value 1..255. */
static int
parse_dec8(const char *s, uint8_t *out)
{
	const char *end;
	uint8_t v;

	if (s == NULL || parse_dec8_prefix(s, 1, &v, &end) != 0 ||
	    *end != '\0')
		return CUSTODY_ERR_INVAL;
	*out = v;
	return 0;
}

/* "0" (a root hub) or 1..DEVPATH_MAX_TIERS port numbers 1..255 by '.'. */
static int
valid_devpath(const char *s)
{
	const char *p = s;
	uint8_t port;
	int tiers = 0;

	if (s == NULL)
		return 0;
	if (strcmp(s, "0") == 0)
		return 1;
	for (;;) {
		if (parse_dec8_prefix(p, 1, &port, &p) != 0)
			return 0;
		if (++tiers > DEVPATH_MAX_TIERS)
			return 0;
		if (*p == '\0')
			return 1;
		if (*p++ != '.')
			return 0;
	}
}

void
usb_text_set(struct usb_text *t, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	uint32_t cp;
	int valid = 1;

	memset(t, 0, sizeof(*t));
	if (s == NULL)
		return;
	t->present = 1;
	t->received = strlen(s);
	while (i < t->received) {
		k = utf8_decode(p + i, t->received - i, &cp);
		if (i + (k == 0 ? 1 : k) > USB_STR_MAX)
			break;
		if (k == 0) {
			valid = 0;	/* an invalid byte is one unit */
			k = 1;
		}
		i += k;
	}
	memcpy(t->bytes, s, i);
	t->bytes[i] = '\0';
	t->len = i;
	t->truncated = t->received > i;
	t->valid_utf8 = valid;
}

char *
usb_text_display(const struct usb_text *t, char *out, size_t outlen)
{
	if (outlen == 0)
		return out;
	if (!t->present) {
		out[0] = '\0';
		return out;
	}
	return escape_text(t->bytes, t->len, out, outlen);
}

/* The error line for attribute name with value s, shown escaped. */
static int
bad_attr(char *err, size_t errlen, const char *name, const char *s,
    const char *want)
{
	char shown[48];

	if (s == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s is missing", name);
	escape_text(s, strlen(s), shown, sizeof(shown));
	return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
	    "%s \"%s\" is not %s", name, shown, want);
}

static int
parse_iface(const struct usb_raw_iface *raw, size_t i, struct usb_iface *ifc,
    char *err, size_t errlen)
{
	static const char *const names[] = { "bInterfaceNumber",
	    "bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol" };
	const char *vals[4];
	uint8_t *dst[4];
	size_t k;
	char name[64];

	vals[0] = raw->number;
	vals[1] = raw->cls;
	vals[2] = raw->subclass;
	vals[3] = raw->protocol;
	dst[0] = &ifc->number;
	dst[1] = &ifc->cls;
	dst[2] = &ifc->subclass;
	dst[3] = &ifc->protocol;
	for (k = 0; k < 4; k++) {
		if (usb_parse_hex8(vals[k], dst[k]) != 0) {
			(void)snprintf(name, sizeof(name), "interface %zu %s",
			    i, names[k]);
			return bad_attr(err, errlen, name, vals[k],
			    "2 hex digits");
		}
	}
	usb_text_set(&ifc->name, raw->name);
	return 0;
}

/* Insertion sort by bInterfaceNumber, stable: at most 32 entries. */
static void
sort_ifaces(struct usb_identity *id)
{
	struct usb_iface tmp;
	size_t i, j;

	for (i = 1; i < id->n_ifaces; i++) {
		tmp = id->ifaces[i];
		for (j = i; j > 0 && id->ifaces[j - 1].number > tmp.number;
		    j--)
			id->ifaces[j] = id->ifaces[j - 1];
		id->ifaces[j] = tmp;
	}
}

static int
parse_location(const struct usb_raw_identity *raw, struct usb_identity *id,
    char *err, size_t errlen)
{
	size_t i;
	int n;

	if (parse_dec8(raw->busnum, &id->busnum) != 0)
		return bad_attr(err, errlen, "busnum", raw->busnum,
		    "a bus number 1..255");
	if (parse_dec8(raw->devnum, &id->devnum) != 0)
		return bad_attr(err, errlen, "devnum", raw->devnum,
		    "a device number 1..255");
	if (!valid_devpath(raw->devpath))
		return bad_attr(err, errlen, "devpath", raw->devpath,
		    "a port path such as 1.4");
	n = snprintf(id->port, sizeof(id->port), "%u-%s",
	    (unsigned int)id->busnum, raw->devpath);
	if (n < 0 || (size_t)n >= sizeof(id->port))
		return bad_attr(err, errlen, "devpath", raw->devpath,
		    "a port path that fits");
	id->speed[0] = '\0';
	for (i = 0; raw->speed != NULL && i < sizeof(speeds) /
	    sizeof(speeds[0]); i++)
		if (strcmp(raw->speed, speeds[i]) == 0)
			(void)snprintf(id->speed, sizeof(id->speed), "%s",
			    speeds[i]);
	return 0;
}

static int
parse_device(const struct usb_raw_identity *raw, struct usb_identity *id,
    char *err, size_t errlen)
{
	if (usb_parse_hex16(raw->vendor_id, &id->vendor_id) != 0)
		return bad_attr(err, errlen, "idVendor", raw->vendor_id,
		    "4 hex digits");
	if (usb_parse_hex16(raw->product_id, &id->product_id) != 0)
		return bad_attr(err, errlen, "idProduct", raw->product_id,
		    "4 hex digits");
	if (usb_parse_hex8(raw->device_class, &id->device_class) != 0)
		return bad_attr(err, errlen, "bDeviceClass",
		    raw->device_class, "2 hex digits");
	usb_text_set(&id->serial, raw->serial);
	usb_text_set(&id->manufacturer, raw->manufacturer);
	usb_text_set(&id->product, raw->product);
	return parse_location(raw, id, err, errlen);
}

int
usb_identity_parse(const struct usb_raw_identity *raw,
    struct usb_identity *id, char *err, size_t errlen)
{
	size_t i;
	int r;

	memset(id, 0, sizeof(*id));
	if (raw->n_ifaces > USB_MAX_INTERFACES ||
	    raw->n_ifaces > raw->n_ifaces_seen)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "interface counts %zu of %zu are inconsistent",
		    raw->n_ifaces, raw->n_ifaces_seen);
	if ((r = parse_device(raw, id, err, errlen)) != 0)
		goto out;
	for (i = 0; i < raw->n_ifaces; i++)
		if ((r = parse_iface(&raw->ifaces[i], i, &id->ifaces[i], err,
		    errlen)) != 0)
			goto out;
	id->n_ifaces = raw->n_ifaces;
	id->n_ifaces_seen = raw->n_ifaces_seen;
	id->too_many_interfaces = raw->n_ifaces_seen > USB_MAX_INTERFACES;
	sort_ifaces(id);
	return 0;
out:
	memset(id, 0, sizeof(*id));
	return r;
}

/* ---- JSON ---- */

static json_t *
hex_string(const char *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char buf[USB_STR_MAX * 2 + 1];
	size_t i;

	if (len > USB_STR_MAX)
		return NULL;
	for (i = 0; i < len; i++) {
		buf[2 * i] = digits[(unsigned char)bytes[i] >> 4];
		buf[2 * i + 1] = digits[(unsigned char)bytes[i] & 0x0f];
	}
	return json_stringn(buf, 2 * len);
}

int
usb_text_to_json(json_t *o, const char *name, const struct usb_text *t)
{
	char key[64];
	int bad = 0;

	if (!t->present)
		return 0;
	if (t->valid_utf8) {
		bad |= json_object_set_new(o, name,
		    json_stringn(t->bytes, t->len));
	} else {
		(void)snprintf(key, sizeof(key), "%s_hex", name);
		bad |= json_object_set_new(o, key, hex_string(t->bytes,
		    t->len));
	}
	if (t->truncated) {
		(void)snprintf(key, sizeof(key), "%s_received_bytes", name);
		bad |= json_object_set_new(o, key,
		    json_integer((json_int_t)t->received));
	}
	return bad ? CUSTODY_ERR_NOMEM : 0;
}

static json_t *
hex_field(unsigned int v, int width)
{
	char buf[8];

	(void)snprintf(buf, sizeof(buf), "%0*x", width, v);
	return json_string(buf);
}

static json_t *
iface_json(const struct usb_iface *ifc)
{
	json_t *o;
	int bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	bad |= json_object_set_new(o, "number", json_integer(ifc->number));
	bad |= json_object_set_new(o, "class", hex_field(ifc->cls, 2));
	bad |= json_object_set_new(o, "subclass",
	    hex_field(ifc->subclass, 2));
	bad |= json_object_set_new(o, "protocol",
	    hex_field(ifc->protocol, 2));
	bad |= usb_text_to_json(o, "name", &ifc->name);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
verdict_json(const struct usb_identity *id, const struct usb_verdict *v)
{
	json_t *o;
	int bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	bad |= json_object_set_new(o, "kind",
	    json_string(usb_kind_name(v->kind)));
	bad |= json_object_set_new(o, "rule",
	    json_string(usb_rule_name(v->rule)));
	bad |= json_object_set_new(o, "reason", json_string(v->reason));
	if (v->vendor != NULL)
		bad |= json_object_set_new(o, "vendor",
		    json_string(v->vendor->name));
	if (v->signature != NULL && v->iface >= 0 &&
	    (size_t)v->iface < id->n_ifaces) {
		bad |= json_object_set_new(o, "signature",
		    json_string(v->signature->name));
		bad |= json_object_set_new(o, "interface",
		    json_integer(id->ifaces[v->iface].number));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
set_interfaces(json_t *o, const struct usb_identity *id)
{
	json_t *a;
	size_t i;
	int bad = 0;

	if ((a = json_array()) == NULL)
		return CUSTODY_ERR_NOMEM;
	for (i = 0; i < id->n_ifaces; i++)
		bad |= json_array_append_new(a, iface_json(&id->ifaces[i]));
	bad |= json_object_set_new(o, "interfaces", a);
	bad |= json_object_set_new(o, "interfaces_found",
	    json_integer((json_int_t)id->n_ifaces_seen));
	if (id->too_many_interfaces)
		bad |= json_object_set_new(o, "too_many_interfaces",
		    json_true());
	return bad ? CUSTODY_ERR_NOMEM : 0;
}

int
usb_identity_to_json(const struct usb_identity *id,
    const struct usb_verdict *verdict, json_t **out)
{
	json_t *o;
	int bad = 0;

	*out = NULL;
	if ((o = json_object()) == NULL)
		return CUSTODY_ERR_NOMEM;
	bad |= json_object_set_new(o, "vendor_id", hex_field(id->vendor_id,
	    4));
	bad |= json_object_set_new(o, "product_id",
	    hex_field(id->product_id, 4));
	bad |= json_object_set_new(o, "device_class",
	    hex_field(id->device_class, 2));
	bad |= json_object_set_new(o, "bus", json_integer(id->busnum));
	bad |= json_object_set_new(o, "devnum", json_integer(id->devnum));
	bad |= json_object_set_new(o, "port", json_string(id->port));
	if (id->speed[0] != '\0')
		bad |= json_object_set_new(o, "speed", json_string(id->speed));
	bad |= usb_text_to_json(o, "serial", &id->serial);
	bad |= usb_text_to_json(o, "manufacturer", &id->manufacturer);
	bad |= usb_text_to_json(o, "product", &id->product);
	bad |= set_interfaces(o, id);
	if (verdict != NULL)
		bad |= json_object_set_new(o, "classification",
		    verdict_json(id, verdict));
	if (bad) {
		json_decref(o);
		return CUSTODY_ERR_NOMEM;
	}
	*out = o;
	return 0;
}
