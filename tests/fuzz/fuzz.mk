# fuzz.mk -- libFuzzer targets for the parsers, and the replay of their
# seed corpus under ASan+UBSan.  Included by the top-level Makefile after
# daemon/usb.mk and daemon/usbwatch/lockdown.mk (it uses LIB_SRCS,
# AUTH_GEN_SRC, PKG_CFLAGS, PKG_LIBS, USB_CFLAGS, USB_LIBS,
# LOCKDOWN_CFLAGS, LOCKDOWN_LIBS and B).
#
#   make fuzz             build the fuzzers (clang) and run each for
#                         FUZZ_SECONDS (default 60); prints executions and
#                         crashes per target; reproducers land in
#                         build/fuzz/artifacts/<target>/
#   make fuzz-build       only build them
#   make check-fuzz       replay tests/fuzz/corpus/<target>/ through every
#                         target under ASan+UBSan, without libFuzzer
#   $(FUZZ_REPLAY)        the replay binaries, for scripts/run-tests.sh
#
# The fuzzers need clang and its libFuzzer runtime (Debian: clang,
# libclang-rt-14-dev).  The replay needs neither: it is built with
# FUZZ_REPLAY_CC (default $(CC)) and tests/fuzz/replay.c as main().
# Neither uses $(B)/libcustody.a: each compiles the library's sources
# itself with its own sanitizer flags, into build/fuzz/lf/ (libFuzzer
# instrumentation) and build/fuzz/rp/ (replay).
#
# The evidence bag's targets (bag_manifest, bag_info, bag_tar) reach
# bag_open's readers through evidence/bag_parse.h; their seeds come from
# a real export and by hand: `make demo && python3
# tests/fuzz/mkseeds-bag.py build/demo/police`.

FUZZ_CC		?= clang
FUZZ_REPLAY_CC	?= $(CC)
FUZZ_SECONDS	?= 60
FUZZ_B		= build/fuzz
FUZZ_TARGETS	= canon note receipt request usb_identity usbmon lockdown \
		  bag_manifest bag_info bag_tar

FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all \
		  -fno-omit-frame-pointer
FUZZ_COMMON_CFLAGS = -O1 -g -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE \
		  -Wall -Wextra -Wno-unused-parameter -I. $(PKG_CFLAGS) \
		  $(shell pkg-config --cflags libarchive 2>/dev/null) \
		  $(USB_CFLAGS) $(LOCKDOWN_CFLAGS)
FUZZ_LIBS	= $(PKG_LIBS) $(shell pkg-config --libs libarchive \
		  2>/dev/null || echo -larchive) $(USB_LIBS) $(LOCKDOWN_LIBS) \
		  $(shell pkg-config --libs libseccomp 2>/dev/null) -lpthread
FUZZ_LIB_SRCS	= $(LIB_SRCS) $(AUTH_GEN_SRC)

FUZZ_LF_CFLAGS	= $(FUZZ_COMMON_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_RP_CFLAGS	= $(FUZZ_COMMON_CFLAGS) $(FUZZ_SAN)

FUZZ_BINS	= $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
FUZZ_REPLAY	= $(FUZZ_TARGETS:%=$(FUZZ_B)/replay_%)

.PHONY: fuzz fuzz-build check-fuzz
.SECONDARY: $(FUZZ_LIB_SRCS:%.c=$(FUZZ_B)/lf/%.o) \
	    $(FUZZ_LIB_SRCS:%.c=$(FUZZ_B)/rp/%.o)

# The project's warnings, as errors, for the files here; the library's
# own sources get them from the main build (clang warns a little more).
$(FUZZ_B)/lf/tests/fuzz/%.o $(FUZZ_B)/rp/tests/fuzz/%.o: FUZZ_WARN = $(WARN)

$(FUZZ_B)/lf/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_LF_CFLAGS) $(FUZZ_WARN) -MMD -MP -c -o $@ $<

$(FUZZ_B)/rp/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_REPLAY_CC) $(FUZZ_RP_CFLAGS) $(FUZZ_WARN) -MMD -MP -c -o $@ $<

# The corpus directory each replay binary reads when given no arguments.
$(FUZZ_B)/rp/tests/fuzz/replay_%.o: tests/fuzz/replay.c
	@mkdir -p $(@D)
	$(FUZZ_REPLAY_CC) $(FUZZ_RP_CFLAGS) $(WARN) \
	    -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' -c -o $@ $<

$(FUZZ_B)/lf/libcustody.a: $(FUZZ_LIB_SRCS:%.c=$(FUZZ_B)/lf/%.o)
	rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_B)/rp/libcustody.a: $(FUZZ_LIB_SRCS:%.c=$(FUZZ_B)/rp/%.o)
	rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/lf/tests/fuzz/fuzz_%.o $(FUZZ_B)/lf/libcustody.a
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(FUZZ_LIBS)

$(FUZZ_B)/replay_%: $(FUZZ_B)/rp/tests/fuzz/fuzz_%.o \
    $(FUZZ_B)/rp/tests/fuzz/replay_%.o $(FUZZ_B)/rp/libcustody.a
	$(FUZZ_REPLAY_CC) -fsanitize=address,undefined -o $@ $^ $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz:
	@sh scripts/deps.sh clang libclang-rt-14-dev
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory fuzz-build
	@sh tests/fuzz/run-fuzz.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: $(FUZZ_REPLAY)
	@sh scripts/run-tests.sh $(FUZZ_REPLAY)
