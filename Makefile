# custody -- a quarantine and chain-of-custody station for confiscated phones.
#
#   make            build build/custody (and later build/custodyd)
#   make check      install missing packages, build, run every test
#   make demo       install missing packages, run the main job end to end
#   make bench      benchmarks; figures in build/bench.json
#   make analyze    gcc -fanalyzer over every source
#   make format     check formatting with clang-format
#   make SANITIZE=address,undefined check-unit
#   make check-tsan	intake's two threads under ThreadSanitizer
#   make install    DESTDIR, PREFIX

CC	?= gcc
PREFIX	?= /usr/local
DESTDIR	?=
SYSCONFDIR	?= /etc
UNITDIR		?= /etc/systemd/system
SYSUSERSDIR	?= /usr/lib/sysusers.d
UDEVRULESDIR	?= /usr/lib/udev/rules.d
LIBEXECDIR	?= $(PREFIX)/libexec/custody

PKGS	= libcrypto sqlite3 jansson
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	= -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wvla -Wno-unused-parameter
HARDEN	= -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) $(HARDEN) \
	   -I. $(PKG_CFLAGS)
LDFLAGS	+= -pie -Wl,-z,relro,-z,now
LDLIBS	+= $(PKG_LIBS) -lpthread

ifneq ($(SANITIZE),)
B	= build/san
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all -U_FORTIFY_SOURCE -O1
LDFLAGS	+= -fsanitize=$(SANITIZE)
else
B	= build
endif

LIB_SRCS	= $(wildcard common/*.c hashing/*.c evidence/*.c) \
		  $(filter-out daemon/main.c,$(wildcard daemon/*.c))
LIB_OBJS	= $(LIB_SRCS:%.c=$(B)/%.o) $(B)/gen/common_passwords.o
CLI_SRCS	= $(wildcard cli/*.c)
CLI_OBJS	= $(CLI_SRCS:%.c=$(B)/%.o)
UNIT_SRCS	= $(wildcard tests/unit/test_*.c)
UNIT_BINS	= $(UNIT_SRCS:%.c=$(B)/%)
INTEG_SRCS	= $(wildcard tests/integration/test_*.c)
INTEG_BINS	= $(INTEG_SRCS:%.c=$(B)/%)
# The disk-fault shim test_fault preloads into custodyd (plain, never
# sanitized: ASan must come first, so test_fault skips in that build).
FAULT_SHIM	= $(B)/tests/fault/shim.so
BENCH_SRCS	= $(wildcard tests/bench/*.c)
BENCH_BINS	= $(BENCH_SRCS:%.c=$(B)/%)

.PHONY: all deps check check-unit check-integration check-valgrind \
	check-tsan demo bench analyze format install clean

all: $(B)/custody $(B)/custodyd $(B)/custody-usbwatch

include daemon/auth.mk
include evidence/bag.mk
include daemon/usb.mk
include daemon/usbwatch/lockdown.mk
include tests/fuzz/fuzz.mk

# libseccomp: for custodyd (daemon/sandbox.c) and the test that loads it.
SECCOMP_LIBS	:= $(shell pkg-config --libs libseccomp 2>/dev/null)
$(B)/custodyd: LDLIBS += $(SECCOMP_LIBS)
$(B)/tests/integration/test_sandbox: LDLIBS += $(SECCOMP_LIBS)
$(B)/custody-usbwatch: LDLIBS += $(SECCOMP_LIBS)

# A fault for the intake digest worker: these tests fail the worker's
# EVP_DigestUpdate calls through a wrapper of their own.
$(B)/tests/unit/test_digest_pipe $(B)/tests/unit/test_item: \
    LDFLAGS += -Wl,--wrap=EVP_DigestUpdate

deps:
	@sh scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libcustody.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/custody: $(CLI_OBJS) $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(B)/libcustody.a $(LDLIBS)

$(B)/custodyd: $(B)/daemon/main.o $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $(B)/daemon/main.o $(B)/libcustody.a $(LDLIBS)

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $< $(B)/libcustody.a $(LDLIBS) -lcmocka

$(B)/tests/integration/%: $(B)/tests/integration/%.o $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $< $(B)/libcustody.a $(LDLIBS) -lcmocka

$(B)/tests/bench/%: $(B)/tests/bench/%.o $(B)/libcustody.a
	$(CC) $(LDFLAGS) -o $@ $< $(B)/libcustody.a $(LDLIBS)

check: deps
	@$(MAKE) --no-print-directory $(UNIT_BINS) $(INTEG_BINS) $(B)/custody \
	    $(B)/custodyd $(B)/custody-usbwatch $(USB_TESTS) \
	    $(LOCKDOWN_TESTS) $(FUZZ_REPLAY) \
	    $(FAULT_SHIM)
	@CUSTODY_BIN=$(CURDIR)/$(B)/custody CUSTODYD_BIN=$(CURDIR)/$(B)/custodyd \
	    sh scripts/run-tests.sh $(UNIT_BINS) $(INTEG_BINS) $(USB_TESTS) \
	    $(LOCKDOWN_TESTS) $(FUZZ_REPLAY) tests/tamper/tamper.sh

check-unit: $(UNIT_BINS)
	@sh scripts/run-tests.sh $(UNIT_BINS)

check-integration: $(B)/custody $(B)/custodyd $(B)/custody-usbwatch \
	    $(INTEG_BINS) $(FAULT_SHIM) $(LOCKDOWN_TESTS)
	@CUSTODY_BIN=$(CURDIR)/$(B)/custody CUSTODYD_BIN=$(CURDIR)/$(B)/custodyd \
	    sh scripts/run-tests.sh $(INTEG_BINS) $(LOCKDOWN_TESTS)

# The daemon's integration run under valgrind (tests/valgrind/custodyd.sh):
# no error and no leak in any daemon process.  Left out: the SIGKILL
# trials (a killed process reports nothing), the seccomp test (the filter
# is off under valgrind), the disk faults (their shim is preloaded into
# custodyd, not valgrind) and the export (1,300,000 PBKDF2 rounds under
# valgrind outlast the CLI's 30-second wait).
VG_TESTS	= $(filter-out %/test_daemon_crash %/test_sandbox %/test_export \
		  %/test_fault, \
		  $(INTEG_BINS))

# test_usbmon_flood starts custodyd with this fake USB monitor.
$(B)/tests/integration/test_usbmon_flood: $(B)/tests/integration/fake_usbwatch

$(FAULT_SHIM): tests/fault/shim.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 $(WARN) -fPIC -shared -o $@ $< -ldl

check-valgrind: $(B)/custody $(B)/custodyd $(VG_TESTS)
	@sh scripts/deps.sh valgrind
	@rm -rf $(B)/vg && mkdir -p $(B)/vg
	@VG_DIR=$(CURDIR)/$(B)/vg VG_DAEMON=$(CURDIR)/$(B)/custodyd \
	    CUSTODYD_BIN=$(CURDIR)/tests/valgrind/custodyd.sh \
	    CUSTODY_BIN=$(CURDIR)/$(B)/custody sh scripts/run-tests.sh $(VG_TESTS)
	@n=$$(ls $(B)/vg | wc -l); bad=$$(find $(B)/vg -type f -size +0); \
	if [ "$$n" -eq 0 ]; then echo "valgrind: no daemon ran" >&2; exit 1; fi; \
	if [ -n "$$bad" ]; then cat $$bad; \
	    echo "valgrind: errors or leaks in $$(echo $$bad | wc -w) of $$n daemon runs" >&2; \
	    exit 1; fi; \
	echo "valgrind: $$n daemon runs, no errors, no leaks"

# The tests that run intake's digest worker, built with ThreadSanitizer
# in a tree of their own (build/tsan): any data race fails the run.
TSAN_TESTS	= build/tsan/tests/unit/test_digest_pipe \
		  build/tsan/tests/unit/test_item

check-tsan:
	@$(MAKE) --no-print-directory SANITIZE=thread B=build/tsan $(TSAN_TESTS)
	@TSAN_OPTIONS=halt_on_error=1:exitcode=66 sh scripts/run-tests.sh \
	    $(TSAN_TESTS)

demo: deps
	@$(MAKE) --no-print-directory $(B)/custody $(B)/custodyd \
	    $(B)/custody-usbwatch
	@sh scripts/demo.sh $(B)

bench: deps
	@$(MAKE) --no-print-directory $(B)/custody $(B)/custodyd \
	    $(B)/custody-usbwatch $(BENCH_BINS) $(USB_BENCH)
	@sh scripts/bench.sh $(B)

analyze:
	@for f in $(LIB_SRCS) $(CLI_SRCS) daemon/main.c $(USBWATCH_SRCS); do \
		$(CC) $(filter-out -Werror,$(CFLAGS)) -fanalyzer -c -o /dev/null $$f || exit 1; \
	done

format:
	@clang-format --style=file:../shared/clang-format.knf --dry-run \
	    $(LIB_SRCS) $(CLI_SRCS) 2>&1 | grep -c warning || true

install: $(B)/custody $(B)/custodyd $(B)/custody-usbwatch
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	    $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/custody
	install -m 0755 $(B)/custody $(DESTDIR)$(PREFIX)/bin/custody
	install -m 0755 $(B)/custodyd $(DESTDIR)$(PREFIX)/sbin/custodyd
	install -m 0755 $(B)/custody-usbwatch \
	    $(DESTDIR)$(LIBEXECDIR)/custody-usbwatch
	install -m 0644 docs/custody.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/custody.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 docs/custodyd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    daemon/systemd/custodyd.service.in > $(DESTDIR)$(UNITDIR)/custodyd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/custodyd.service
	install -m 0644 daemon/systemd/custody.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/custody.conf
	install -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSCONFDIR)/modprobe.d \
	    $(DESTDIR)$(UNITDIR)/usbmuxd.service.d
	install -m 0644 udev/60-custody.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 udev/custody-ipheth.conf \
	    $(DESTDIR)$(SYSCONFDIR)/modprobe.d/custody-ipheth.conf
	install -m 0644 daemon/systemd/usbmuxd-no-preflight.conf \
	    $(DESTDIR)$(UNITDIR)/usbmuxd.service.d/custody-no-preflight.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/custody/custody.conf || \
	    install -m 0644 daemon/custody.conf.example \
	    $(DESTDIR)$(SYSCONFDIR)/custody/custody.conf

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
