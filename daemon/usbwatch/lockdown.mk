# lockdown.mk -- the optional iOS identity step (issue 4): flags for
# libimobiledevice, libplist and libusbmuxd, and its tests.  Included by
# the top-level Makefile after daemon/usb.mk (it uses B, LIB_SRCS and
# LDLIBS) and before tests/fuzz/fuzz.mk (which takes LIB_SRCS and
# LOCKDOWN_LIBS).
#
# daemon/usbwatch/ios_identity.c (pure: validation and JSON, includes
# plist/plist.h) and daemon/usbwatch/lockdown.c (the adapter: the only
# file including libimobiledevice's headers) go into libcustody.a like
# the rest of daemon/; a binary that calls ios_lockdown_read links
# $(LOCKDOWN_LIBS), one that calls only the pure part $(PLIST_LIBS).
# The helper process daemon/usbwatch/ (usbwatch.mk) is built elsewhere.
#
# Debian packages: libimobiledevice-dev, libplist-dev, libusbmuxd-dev
# (scripts/deps.sh).  The pkg-config names are the -2.0/-1.0 ones; the
# unversioned names are Debian's compatibility links.
#
#   $(LOCKDOWN_TESTS)     the test binaries, for scripts/run-tests.sh:
#                         tests/lockdown/test_lockdown runs the real
#                         libimobiledevice against tests/usbmuxd's fake
#   make check-lockdown   build and run them
#
# The unit tests of the pure validator are tests/unit/test_ios_identity.c,
# built by the top-level rule with $(PLIST_LIBS) added here.  Both run
# under SANITIZE=address,undefined: nothing here is preloaded.

LOCKDOWN_PKGS	= libimobiledevice-1.0 libplist-2.0 libusbmuxd-2.0
LOCKDOWN_CFLAGS	:= $(patsubst -I%,-isystem %,$(shell pkg-config --cflags \
		    $(LOCKDOWN_PKGS) 2>/dev/null))
LOCKDOWN_LIBS	:= $(shell pkg-config --libs $(LOCKDOWN_PKGS) 2>/dev/null)
PLIST_LIBS	:= $(shell pkg-config --libs libplist-2.0 2>/dev/null)
CFLAGS		+= $(LOCKDOWN_CFLAGS)

LOCKDOWN_SRCS	= daemon/usbwatch/ios_identity.c daemon/usbwatch/lockdown.c
LIB_SRCS	+= $(LOCKDOWN_SRCS)

LOCKDOWN_TESTS	= $(B)/tests/lockdown/test_lockdown
FAKE_USBMUXD_OBJS = $(B)/tests/usbmuxd/fake_usbmuxd.o

.PHONY: check-lockdown

$(B)/tests/unit/test_ios_identity: LDLIBS += $(PLIST_LIBS)

$(B)/tests/lockdown/%: $(B)/tests/lockdown/%.o $(FAKE_USBMUXD_OBJS) \
    $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $< $(FAKE_USBMUXD_OBJS) $(B)/libcustody.a \
	    $(LDLIBS) $(LOCKDOWN_LIBS) -lcmocka

check-lockdown: $(LOCKDOWN_TESTS)
	@sh scripts/run-tests.sh $(LOCKDOWN_TESTS)
