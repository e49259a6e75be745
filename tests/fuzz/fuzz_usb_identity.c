/*
 * fuzz_usb_identity.c -- a USB identity from raw sysfs strings
 * (daemon/usb_identity.h), its classification and its JSON.
 *
 * Input: fields separated by NUL bytes, in this order
 *
 *	idVendor idProduct bDeviceClass busnum devnum devpath speed
 *	serial manufacturer product
 *	then per interface: bInterfaceNumber bInterfaceClass
 *	    bInterfaceSubClass bInterfaceProtocol interface
 *
 * A field that is the single byte 0xff stands for an absent attribute; a
 * missing trailing field is absent too.  The number of interfaces is how
 * many groups the input holds (at most USB_MAX_INTERFACES kept); the
 * count "seen" in sysfs is that plus the last byte of the input modulo 4,
 * so too_many_interfaces is reachable.
 *
 * A parsed identity goes through usb_classify, usb_text_display,
 * usb_identity_to_json and canon_encode: the event a device makes must
 * always be encodable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/canon.h"
#include "daemon/usb_classify.h"
#include "daemon/usb_identity.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DEV_FIELDS		10
#define FUZZ_IFACE_FIELDS	5
#define FUZZ_MAX_FIELDS	(FUZZ_DEV_FIELDS + \
	    FUZZ_IFACE_FIELDS * (USB_MAX_INTERFACES + 4))

/* Splits buf (NUL-terminated copy) at NULs; absent fields are NULL. */
static size_t
fuzz_split(char *buf, size_t size, const char *f[FUZZ_MAX_FIELDS])
{
	size_t n = 0, i = 0;

	while (i <= size && n < FUZZ_MAX_FIELDS) {
		size_t l = strlen(buf + i);

		f[n++] = (l == 1 && (uint8_t)buf[i] == 0xff) ? NULL : buf + i;
		i += l + 1;
	}
	return n;
}

static void
fuzz_check_identity(const struct usb_identity *id)
{
	struct usb_verdict v;
	char disp[USB_TEXT_DISPLAY_MAX], *out = NULL;
	size_t len, i;
	json_t *j = NULL;

	usb_classify(id, &v);
	(void)usb_text_display(&id->serial, disp, sizeof(disp));
	(void)usb_text_display(&id->manufacturer, disp, sizeof(disp));
	(void)usb_text_display(&id->product, disp, sizeof(disp));
	for (i = 0; i < id->n_ifaces; i++)
		(void)usb_text_display(&id->ifaces[i].name, disp,
		    sizeof(disp));
	/* Only CUSTODY_ERR_NOMEM is allowed, and malloc does not fail here. */
	if (usb_identity_to_json(id, &v, &j) != 0) {
		fprintf(stderr, "usb_identity_to_json refused an identity\n");
		abort();
	}
	if (canon_encode(j, &out, &len) != 0) {
		fprintf(stderr, "a device's identity is not encodable\n");
		abort();
	}
	if (canon_check(out, len, NULL, NULL, 0) != 0) {
		fprintf(stderr, "canon_encode output fails canon_check\n");
		abort();
	}
	free(out);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[FUZZ_MAX_FIELDS];
	struct usb_raw_identity raw;
	struct usb_identity *id;
	char err[512], *buf;
	size_t n, i, k;

	if (size == 0 || size > 65536)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(f, 0, sizeof(f));
	n = fuzz_split(buf, size, f);
	memset(&raw, 0, sizeof(raw));
	raw.vendor_id = f[0];
	raw.product_id = f[1];
	raw.device_class = f[2];
	raw.busnum = f[3];
	raw.devnum = f[4];
	raw.devpath = f[5];
	raw.speed = f[6];
	raw.serial = f[7];
	raw.manufacturer = f[8];
	raw.product = f[9];
	k = n > FUZZ_DEV_FIELDS ? (n - FUZZ_DEV_FIELDS + FUZZ_IFACE_FIELDS -
	    1) / FUZZ_IFACE_FIELDS : 0;
	for (i = 0; i < k && i < USB_MAX_INTERFACES; i++) {
		const char **g = f + FUZZ_DEV_FIELDS + i * FUZZ_IFACE_FIELDS;

		raw.ifaces[i].number = g[0];
		raw.ifaces[i].cls = g[1];
		raw.ifaces[i].subclass = g[2];
		raw.ifaces[i].protocol = g[3];
		raw.ifaces[i].name = g[4];
	}
	raw.n_ifaces = i;
	raw.n_ifaces_seen = k + data[size - 1] % 4;
	if ((id = malloc(sizeof(*id))) != NULL &&
	    usb_identity_parse(&raw, id, err, sizeof(err)) == 0)
		fuzz_check_identity(id);
	free(id);
	free(buf);
	return 0;
}
