#!/bin/sh
# custodyd under valgrind, for `make check-valgrind`: the integration tests
# run this in place of the daemon (CUSTODYD_BIN).  valgrind's own calls are
# not in the seccomp allowlist, so the filter is off here (the daemon logs
# that it is).  Each daemon process writes VG_DIR/vg.PID; the make target
# fails if any of them reports an error or a leak.
: "${VG_DIR:?VG_DIR not set}"
: "${VG_DAEMON:?VG_DAEMON not set}"
CUSTODYD_NO_SECCOMP=1 exec valgrind -q --error-exitcode=1 \
    --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --log-file="$VG_DIR/vg.%p" "$VG_DAEMON" "$@"
