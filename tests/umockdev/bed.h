/*
 * bed.h -- an in-process umockdev testbed holding recorded devices, for
 * the tests that run under umockdev-wrapper (tests/umockdev/).
 *
 * Children the test starts (custodyd, custody-usbwatch) inherit the
 * preload library and $UMOCKDEV_DIR, so they see the same sysfs and get
 * the same uevents: the testbed must exist before they start.
 * Header-only, like fixture.h.
 */
#ifndef CUSTODY_TEST_BED_H
#define CUSTODY_TEST_BED_H

#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libudev.h>
#include <umockdev.h>

#include <cmocka.h>

#include "tests/umockdev/fixture.h"

#define USB1		"/sys/devices/pci0000:00/0000:00:14.0/usb1"

struct bed {
	UMockdevTestbed	*tb;
	struct udev	*udev;
};

/* ---- helpers ---- */

static __attribute__((unused)) void
bed_load(struct bed *b, const char *name)
{
	GError *gerr = NULL;
	char why[256], *text;

	if ((text = fixture_text(name, why, sizeof(why))) == NULL)
		fail_msg("%s", why);
	if (!umockdev_testbed_add_from_string(b->tb, text, &gerr))
		fail_msg("umockdev rejected %s: %s", name, gerr->message);
	free(text);
}

static __attribute__((unused)) struct bed *
bed_new(void)
{
	struct bed *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	/* The testbed first: umockdev decides once, on first use, whether
	 * it runs in a mock environment. */
	b->tb = umockdev_testbed_new();
	if (!umockdev_in_mock_environment()) {
		fprintf(stderr, "this test runs only under "
		    "umockdev-wrapper\n");
		g_object_unref(b->tb);
		free(b);
		return NULL;
	}
	if ((b->udev = udev_new()) == NULL) {
		g_object_unref(b->tb);
		free(b);
		return NULL;
	}
	return b;
}

static __attribute__((unused)) void
bed_free(struct bed *b)
{
	if (b == NULL)
		return;
	udev_unref(b->udev);
	g_object_unref(b->tb);
	free(b);
}

/*
 * Drops the links in the testbed's /sys/bus/usb/devices that point
 * nowhere.  umockdev 0.17 (Debian 12) removes a device's own bus link but
 * not its children's, so the same interfaces could not be added again;
 * umockdev 0.18 removes them itself, and then this finds nothing.
 */
static __attribute__((unused)) void
drop_dangling_bus_links(struct bed *b)
{
	char *sys = umockdev_testbed_get_sys_dir(b->tb), path[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;

	(void)snprintf(path, sizeof(path), "%s/bus/usb/devices", sys);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    fstatat(dirfd(d), de->d_name, &st, 0) == 0)
				continue;
			(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		(void)closedir(d);
	}
	g_free(sys);
}

/*
 * Unplugs the device at syspath: its "remove" uevent (umockdev 0.17 does
 * not send one from remove_device; 0.18 does, and libusb ignores the
 * second), then its sysfs tree.
 */
static __attribute__((unused)) void
bed_unplug(struct bed *b, const char *syspath)
{
	umockdev_testbed_uevent(b->tb, syspath, "remove");
	umockdev_testbed_remove_device(b->tb, syspath);
	drop_dangling_bus_links(b);
}

#endif
