/*
 * usb_classify.c -- phone, tablet or not, from a validated identity and
 * the tables in usb_table.c.  The decision is documented in
 * usb_classify.h; this file only carries it out.  No I/O, no allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/usb_classify.h"

static const char *const tablet_words[] = {
	"tab", "tablet", "pad", "ipad", "mediapad", "matepad",
};

const char *
usb_kind_name(enum usb_kind kind)
{
	switch (kind) {
	case USB_KIND_PHONE:
		return "phone";
	case USB_KIND_TABLET:
		return "tablet";
	case USB_KIND_NOT_PHONE:
		break;
	}
	return "not_phone";
}

const char *
usb_rule_name(enum usb_rule rule)
{
	switch (rule) {
	case USB_RULE_TOO_MANY_INTERFACES:
		return "too_many_interfaces";
	case USB_RULE_HUB:
		return "hub";
	case USB_RULE_PRODUCT_ID:
		return "product_id";
	case USB_RULE_INTERFACE:
		return "interface";
	case USB_RULE_VENDOR_INTERFACE:
		return "vendor_interface";
	case USB_RULE_VENDOR_NO_DATA:
		return "vendor_without_data_interface";
	case USB_RULE_NO_SIGNATURE:
		break;
	}
	return "no_signature";
}

static int
is_alnum_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static unsigned char
lower_ascii(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True if the word w[0..n) equals one of tablet_words, ignoring case. */
static int
is_tablet_word(const unsigned char *w, size_t n)
{
	size_t i, k;
	const char *t;

	for (i = 0; i < sizeof(tablet_words) / sizeof(tablet_words[0]); i++) {
		t = tablet_words[i];
		if (strlen(t) != n)
			continue;
		for (k = 0; k < n && lower_ascii(w[k]) == (unsigned char)t[k];
		    k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

int
usb_classify_is_tablet_name(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start;

	while (i < len) {
		while (i < len && !is_alnum_ascii(p[i]))
			i++;
		start = i;
		while (i < len && is_alnum_ascii(p[i]))
			i++;
		if (i > start && is_tablet_word(p + start, i - start))
			return 1;
	}
	return 0;
}

static int
iface_named_mtp(const struct usb_iface *ifc)
{
	return ifc->name.present && ifc->name.len == 3 &&
	    memcmp(ifc->name.bytes, "MTP", 3) == 0;
}

/* May signature s, from this vendor (NULL: unlisted), mean a phone? */
static int
signature_applies(const struct usb_signature *s,
    const struct usb_vendor *vendor, const struct usb_iface *ifc)
{
	if (ifc->cls != s->cls || ifc->subclass != s->subclass ||
	    ifc->protocol != s->protocol)
		return 0;
	if ((s->flags & USB_SIG_NAME_MTP) && !iface_named_mtp(ifc))
		return 0;
	if (s->flags & USB_SIG_ANY_VENDOR)
		return 1;
	if (vendor == NULL)
		return 0;
	if (s->flags & USB_SIG_PHONE_VENDOR)
		return 1;
	if (s->flags & USB_SIG_NEEDS_VF)
		return (vendor->flags & s->vendor_flag) != 0;
	return 0;
}

/* The first signature (table order) any interface matches; sets v. */
static void
find_signature(const struct usb_identity *id, struct usb_verdict *v)
{
	const struct usb_signature *sigs;
	size_t n, i, k;

	sigs = usb_table_signatures(&n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < id->n_ifaces; k++) {
			if (signature_applies(&sigs[i], v->vendor,
			    &id->ifaces[k])) {
				v->signature = &sigs[i];
				v->iface = (int)k;
				return;
			}
		}
	}
}

static const struct usb_product *
find_product(const struct usb_vendor *vendor, uint16_t product_id)
{
	size_t i;

	if (vendor == NULL)
		return NULL;
	for (i = 0; i < vendor->n_products; i++)
		if (vendor->products[i].product_id == product_id)
			return &vendor->products[i];
	return NULL;
}

/* Appends to v->reason; a reason that does not fit is cut, never overrun. */
static void
reason_add(struct usb_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason_add(struct usb_verdict *v, const char *fmt, ...)
{
	size_t used = strlen(v->reason);
	va_list ap;

	if (used + 1 >= sizeof(v->reason))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(v->reason + used, sizeof(v->reason) - used, fmt, ap);
	va_end(ap);
}

static void
reason_signature(const struct usb_identity *id, struct usb_verdict *v)
{
	const struct usb_iface *ifc = &id->ifaces[v->iface];

	reason_add(v, "interface %u %02x/%02x/%02x is %s", ifc->number,
	    ifc->cls, ifc->subclass, ifc->protocol, v->signature->name);
}

/* Rules 3 to 6 of usb_classify.h, for a device that is not a hub. */
static void
decide(const struct usb_identity *id, struct usb_verdict *v)
{
	if (v->vendor != NULL)
		reason_add(v, "%s (%04x): ", v->vendor->name, id->vendor_id);
	if ((v->product = find_product(v->vendor, id->product_id)) != NULL) {
		v->kind = v->product->kind;
		v->rule = USB_RULE_PRODUCT_ID;
		reason_add(v, "product %04x is %s (usb.ids)", id->product_id,
		    v->product->name);
		if (v->signature != NULL) {
			reason_add(v, "; ");
			reason_signature(id, v);
		}
	} else if (v->signature != NULL) {
		v->kind = USB_KIND_PHONE;
		v->rule = (v->signature->flags & USB_SIG_ANY_VENDOR) ?
		    USB_RULE_INTERFACE : USB_RULE_VENDOR_INTERFACE;
		reason_signature(id, v);
	} else if (v->vendor != NULL) {
		v->kind = USB_KIND_NOT_PHONE;
		v->rule = USB_RULE_VENDOR_NO_DATA;
		reason_add(v, "a phone vendor, but no interface is a phone "
		    "data function (%zu interfaces)", id->n_ifaces);
	} else {
		v->kind = USB_KIND_NOT_PHONE;
		v->rule = USB_RULE_NO_SIGNATURE;
		reason_add(v, "vendor %04x is not in the phone table and no "
		    "interface is MTP, ADB or fastboot", id->vendor_id);
	}
}

void
usb_classify(const struct usb_identity *id, struct usb_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->iface = -1;
	v->kind = USB_KIND_NOT_PHONE;
	v->vendor = usb_table_find_vendor(id->vendor_id);
	if (id->too_many_interfaces) {
		v->rule = USB_RULE_TOO_MANY_INTERFACES;
		reason_add(v, "%zu interfaces, more than the %d the kernel "
		    "allows: not treated as a phone", id->n_ifaces_seen,
		    USB_MAX_INTERFACES);
		return;
	}
	if (id->device_class == 0x09) {
		v->rule = USB_RULE_HUB;
		reason_add(v, "a hub (device class 09); devices behind it are "
		    "classified on their own");
		return;
	}
	find_signature(id, v);
	decide(id, v);
	if (v->kind != USB_KIND_PHONE)
		return;
	if (v->vendor != NULL && (v->vendor->flags & USB_VF_TABLETS)) {
		v->kind = USB_KIND_TABLET;
		reason_add(v, "; a tablet: %s's phone-like devices are tablets",
		    v->vendor->name);
	} else if (id->product.present &&
	    usb_classify_is_tablet_name(id->product.bytes, id->product.len)) {
		v->kind = USB_KIND_TABLET;
		v->tablet_by_name = 1;
		reason_add(v, "; a tablet: the product string names one");
	}
}
