# lockdown.mk -- the optional iOS identity step (issue 4): flags for
# libimobiledevice, libplist and libusbmuxd.  Included by the top-level
# Makefile after daemon/usb.mk (it uses B, LIB_SRCS and LDLIBS) and
# before tests/fuzz/fuzz.mk (which takes LIB_SRCS and LOCKDOWN_LIBS).
#
# daemon/usbwatch/ios_identity.c (pure: validation and JSON, includes
# plist/plist.h) goes into libcustody.a like the rest of daemon/; a
# binary that calls it links $(PLIST_LIBS).  Its unit tests are
# tests/unit/test_ios_identity.c, built by the top-level rule with
# $(PLIST_LIBS) added here; they run under SANITIZE=address,undefined.
#
# Debian packages: libimobiledevice-dev, libplist-dev, libusbmuxd-dev
# (scripts/deps.sh).  The pkg-config names are the -2.0/-1.0 ones; the
# unversioned names are Debian's compatibility links.

LOCKDOWN_PKGS	= libimobiledevice-1.0 libplist-2.0 libusbmuxd-2.0
LOCKDOWN_CFLAGS	:= $(patsubst -I%,-isystem %,$(shell pkg-config --cflags \
		    $(LOCKDOWN_PKGS) 2>/dev/null))
LOCKDOWN_LIBS	:= $(shell pkg-config --libs $(LOCKDOWN_PKGS) 2>/dev/null)
PLIST_LIBS	:= $(shell pkg-config --libs libplist-2.0 2>/dev/null)
CFLAGS		+= $(LOCKDOWN_CFLAGS)

LOCKDOWN_SRCS	= daemon/usbwatch/ios_identity.c
LIB_SRCS	+= $(LOCKDOWN_SRCS)

# The tests of the adapter, for make check (none yet).
LOCKDOWN_TESTS	=

$(B)/tests/unit/test_ios_identity: LDLIBS += $(PLIST_LIBS)
