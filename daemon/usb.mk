# usb.mk -- the USB quarantine: libudev and libusb flags, and the two
# tests that run under umockdev.  Included by the top-level Makefile
# after B, CFLAGS, WARN, HARDEN and PKG_CFLAGS are set and after its first
# target (so "all" stays the default goal).
#
# daemon/usb_*.c are picked up by LIB_SRCS (daemon/*.c) like every other
# daemon source, and tests/unit/test_usb_classify.c by UNIT_SRCS; this
# file adds what they need: libusb-1.0's include directory for everyone
# (libudev.h is in /usr/include), and the libudev and libusb-1.0 libraries
# for custody-usbwatch only -- the one binary that reads devices.  Only
# daemon/usb_udev.c includes libudev.h; the unit test does not reach it.
#
# Debian packages: to build, libudev-dev and libusb-1.0-0-dev; for these
# tests, umockdev, libumockdev-dev (which brings libglib2.0-dev) and udev
# (udevadm); for the drop-in test, usbmuxd; for the test of the rules
# among Debian's own (skipped without them), libgphoto2-6, libmtp-common
# and media-player-info.
#
# The umockdev tests are different: umockdev works by LD_PRELOAD
# (umockdev-wrapper), which does not mix with ASan, so they are always
# built here, into build/usb/, without sanitizers, from their own objects,
# whatever SANITIZE says.  Each gets a one-line runner script beside it
# that execs it under umockdev-wrapper, so scripts/run-tests.sh can run it
# like any other test binary:
#
#   $(USB_TESTS)          the runner scripts, for run-tests.sh
#   make usb-tests        build them
#   make check-usb        build and run them
#
# The udev test also needs udevadm (package udev) and a private mount
# namespace: it runs as root, or unprivileged where user namespaces are
# allowed; see tests/udev/test_udev_rules.c.

USB_PKGS	= libudev libusb-1.0
USB_CFLAGS	:= $(patsubst -I%,-isystem %,$(shell pkg-config --cflags \
		    $(USB_PKGS) 2>/dev/null))
USB_LIBS	:= $(shell pkg-config --libs $(USB_PKGS) 2>/dev/null)
CFLAGS		+= $(USB_CFLAGS)
$(B)/custody-usbwatch: LDLIBS += $(USB_LIBS)

# custody-usbwatch, the USB monitor custodyd starts (daemon/usbmon.h):
# its own sources, and the library's USB identity code.  custodyd finds it
# at $(LIBEXECDIR), or else beside itself (a build tree).
# The iOS step's own sources (daemon/usbwatch/lockdown.mk) reach it
# through libcustody.a, with $(LOCKDOWN_LIBS).
USBWATCH_SRCS	= daemon/usbwatch/main.c daemon/usbwatch/confine.c \
		  daemon/usbwatch/ios.c
USBWATCH_OBJS	= $(USBWATCH_SRCS:%.c=$(B)/%.o)
$(B)/daemon/server.o: CFLAGS += \
	-DCUSTODY_USBWATCH='"$(LIBEXECDIR)/custody-usbwatch"'

$(B)/custody-usbwatch: $(USBWATCH_OBJS) $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $(USBWATCH_OBJS) $(B)/libcustody.a $(LDLIBS) \
	    $(LOCKDOWN_LIBS)

UMOCKDEV_CFLAGS	:= $(patsubst -I%,-isystem %,$(shell pkg-config --cflags \
		    umockdev-1.0 2>/dev/null))
UMOCKDEV_LIBS	:= $(shell pkg-config --libs umockdev-1.0 2>/dev/null)

USB_B		?= build/usb
USB_PLAIN_CFLAGS = -O2 -g -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE \
		  $(WARN) $(HARDEN) -I. $(PKG_CFLAGS) $(USB_CFLAGS) \
		  $(UMOCKDEV_CFLAGS) $(LOCKDOWN_CFLAGS)
USB_PLAIN_LDFLAGS = -pie -Wl,-z,relro,-z,now
USB_LIB_SRCS	= daemon/usb_identity.c daemon/usb_classify.c \
		  daemon/usb_table.c daemon/usb_udev.c common/canon.c \
		  common/buf.c common/error.c common/escape.c common/utf8.c
USB_LIB_OBJS	= $(USB_LIB_SRCS:%.c=$(USB_B)/%.o)
USB_TEST_BINS	= $(USB_B)/tests/umockdev/test_usb_umockdev \
		  $(USB_B)/tests/umockdev/test_usbwatch \
		  $(USB_B)/tests/udev/test_udev_rules
USB_TESTS	= $(USB_TEST_BINS:%=%.sh)
# The detection benchmark, run by scripts/bench.sh (make bench).
USB_BENCH	= $(USB_B)/tests/umockdev/bench_detect.sh

.PHONY: usb-tests check-usb
# Keep the binaries and objects make reaches only through the runners.
.SECONDARY: $(USB_TEST_BINS) $(USB_TEST_BINS:%=%.o) $(USB_LIB_OBJS) \
	    $(USB_BENCH:%.sh=%) $(USB_BENCH:%.sh=%.o)

$(USB_B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(USB_PLAIN_CFLAGS) -MMD -MP -c -o $@ $<

$(USB_B)/tests/%: $(USB_B)/tests/%.o $(USB_LIB_OBJS)
	$(CC) $(USB_PLAIN_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(USB_LIBS) \
	    $(UMOCKDEV_LIBS) $(USB_EXTRA_LIBS) -lcmocka

# test_usbwatch runs the iOS step against the fake usbmuxd.
$(USB_B)/tests/umockdev/test_usbwatch: $(USB_B)/tests/usbmuxd/fake_usbmuxd.o
$(USB_B)/tests/umockdev/test_usbwatch: USB_EXTRA_LIBS = $(PLIST_LIBS)

# The runner: the test under umockdev-wrapper, from the source tree.
$(USB_B)/tests/%.sh: $(USB_B)/tests/% daemon/usb.mk
	printf '#!/bin/sh\ncd "%s" && exec umockdev-wrapper "%s" "$$@"\n' \
	    "$(CURDIR)" "$(abspath $<)" > $@.tmp
	chmod 0755 $@.tmp
	mv -f $@.tmp $@

usb-tests: $(USB_TESTS)

check-usb: $(USB_TESTS)
	@sh scripts/run-tests.sh $(USB_TESTS)
