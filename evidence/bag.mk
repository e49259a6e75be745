# bag.mk -- evidence/bag.c and evidence/bag_open.c pack and unpack the
# sealed police export's tar with libarchive (Debian: libarchive-dev).
# Included by the top-level Makefile after PKG_CFLAGS/PKG_LIBS, CFLAGS
# and LDLIBS are set; adds libarchive's compile and link flags.

BAG_PKGS	= libarchive
CFLAGS		+= $(shell pkg-config --cflags $(BAG_PKGS) 2>/dev/null)
LDLIBS		+= $(shell pkg-config --libs $(BAG_PKGS) 2>/dev/null || \
		     echo -larchive)
