/*
 * usb_udev.c -- the libudev adapter for usb_identity: the only file of the
 * USB identity code that includes libudev.h.
 *
 * It reads sysfs attributes the kernel filled in when it enumerated the
 * device (udev_device_get_sysattr_value), nothing else: no usbfs open, no
 * control transfer, no string descriptor request.  The strings it collects
 * are borrowed from the udev_device objects, which stay referenced until
 * usb_identity_parse has copied what it keeps.
 */
#include <stddef.h>
#include <string.h>

#include <libudev.h>

#include "common/error.h"
#include "daemon/usb_identity.h"

static const char *
attr(struct udev_device *dev, const char *name)
{
	return udev_device_get_sysattr_value(dev, name);
}

static int
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * True if path names a direct child of the device at parent (whose length
 * is plen): parent + "/" + one component.  Interfaces ("1-2:1.0") are
 * direct children; devices behind a hub ("1-2.1") too, but they are not
 * usb_interface and are dropped by the caller; their own interfaces are
 * grandchildren and never counted as the hub's.
 */
static int
is_direct_child(const char *path, const char *parent, size_t plen)
{
	return strncmp(path, parent, plen) == 0 && path[plen] == '/' &&
	    path[plen + 1] != '\0' && strchr(path + plen + 1, '/') == NULL;
}

/* Fills raw's interfaces from the direct usb_interface children of dev. */
static int
collect_ifaces(struct udev_device *dev, struct usb_raw_identity *raw,
    struct udev_device **kids, size_t *nkids, char *err, size_t errlen)
{
	struct udev *udev = udev_device_get_udev(dev);
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	struct udev_device *kid;
	struct usb_raw_iface *ri;
	const char *parent = udev_device_get_syspath(dev), *path;
	size_t plen = strlen(parent);

	if ((en = udev_enumerate_new(udev)) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_NOMEM,
		    "udev_enumerate_new failed");
	if (udev_enumerate_add_match_parent(en, dev) < 0 ||
	    udev_enumerate_add_match_subsystem(en, "usb") < 0 ||
	    udev_enumerate_scan_devices(en) < 0) {
		udev_enumerate_unref(en);
		return custody_fail(err, errlen, CUSTODY_ERR_NOMEM,
		    "cannot list the interfaces of %s", parent);
	}
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		path = udev_list_entry_get_name(e);
		if (!is_direct_child(path, parent, plen))
			continue;
		if ((kid = udev_device_new_from_syspath(udev, path)) == NULL)
			continue;
		if (!str_eq(udev_device_get_devtype(kid), "usb_interface")) {
			udev_device_unref(kid);
			continue;
		}
		if (raw->n_ifaces_seen++ >= USB_MAX_INTERFACES) {
			udev_device_unref(kid);
			continue;
		}
		kids[(*nkids)++] = kid;
		ri = &raw->ifaces[raw->n_ifaces++];
		ri->number = attr(kid, "bInterfaceNumber");
		ri->cls = attr(kid, "bInterfaceClass");
		ri->subclass = attr(kid, "bInterfaceSubClass");
		ri->protocol = attr(kid, "bInterfaceProtocol");
		ri->name = attr(kid, "interface");
	}
	udev_enumerate_unref(en);
	return 0;
}

int
usb_identity_read_udev(struct udev_device *dev, struct usb_identity *id,
    char *err, size_t errlen)
{
	struct usb_raw_identity raw;
	struct udev_device *kids[USB_MAX_INTERFACES];
	size_t nkids = 0, i;
	int r;

	memset(id, 0, sizeof(*id));
	memset(&raw, 0, sizeof(raw));
	if (!str_eq(udev_device_get_subsystem(dev), "usb") ||
	    !str_eq(udev_device_get_devtype(dev), "usb_device"))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s is not a USB device", udev_device_get_sysname(dev));
	raw.vendor_id = attr(dev, "idVendor");
	raw.product_id = attr(dev, "idProduct");
	raw.device_class = attr(dev, "bDeviceClass");
	raw.busnum = attr(dev, "busnum");
	raw.devnum = attr(dev, "devnum");
	raw.devpath = attr(dev, "devpath");
	raw.speed = attr(dev, "speed");
	raw.serial = attr(dev, "serial");
	raw.manufacturer = attr(dev, "manufacturer");
	raw.product = attr(dev, "product");
	if ((r = collect_ifaces(dev, &raw, kids, &nkids, err, errlen)) != 0)
		goto out;
	r = usb_identity_parse(&raw, id, err, errlen);
out:
	for (i = 0; i < nkids; i++)
		udev_device_unref(kids[i]);
	return r;
}
