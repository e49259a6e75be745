/*
 * confine.c -- custody-usbwatch's seccomp allowlist.
 *
 * The helper is the process a hostile device talks to, so once libusb
 * and libudev are set up (before the first device is read) it may only:
 * wait (poll), read sysfs and udev's netlink messages, talk on its socket
 * to custodyd; allocate memory; and exit.  Files are opened read-only;
 * no exec, no network socket, no ptrace.  With --ios-lockdown it may
 * also fork (no threads), connect to usbmuxd's local socket, and kill its
 * child with SIGKILL.  Anything else kills the process (SIGSYS); custodyd
 * sees its socket close, records usb.monitor_stopped and says so in
 * custody status.
 *
 * Unlike custodyd's filter (daemon/sandbox.c) this one is synchronised
 * to every thread (SCMP_FLTATR_CTL_TSYNC): libusb runs a thread of its
 * own that reads udev's events and sysfs, and it is as exposed as ours.
 *
 * How the list was found: tests/umockdev/test_usbwatch.c was run under
 * "strace -f" with CUSTODYD_NO_SECCOMP=1, plugging and unplugging every
 * fixture, and the calls both threads made after the filter's place were
 * collected; "seen" marks those.  The others are there for a station's
 * real sysfs, which the test's umockdev preload library answers in its
 * own way, each with its reason.  The test runs with the filter on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "common/error.h"
#include "daemon/usbwatch/usbwatch.h"

static const int usbwatch_allow[] = {
	/* -- the loop, the socket to custodyd, libusb's wake-ups -- */
	SCMP_SYS(poll),		/* seen: both threads wait here */
	SCMP_SYS(ppoll),	/* poll() in newer libcs */
	SCMP_SYS(read),		/* seen: libusb's event pipe, sysfs files */
	SCMP_SYS(write),	/* seen: libusb's event pipe, messages */
	SCMP_SYS(recvmsg),	/* seen: udev's netlink messages */
	SCMP_SYS(recvfrom),	/* seen: recv() of custodyd's EOF */
	SCMP_SYS(sendto),	/* send() of each message */
	SCMP_SYS(writev),	/* libudev's log lines, when asked for */
	SCMP_SYS(restart_syscall),	/* poll resumed after SIGSTOP */
	/* -- sysfs: each new device's attributes and interfaces -- */
	/* openat: read-only, below (usbwatch_confine). */
	SCMP_SYS(close),	/* seen */
	SCMP_SYS(access),	/* seen: libudev's existence checks */
	SCMP_SYS(faccessat),	/* likewise, newer libcs */
	SCMP_SYS(faccessat2),	/* likewise */
	SCMP_SYS(fstatfs),	/* seen: libudev asks whether it is sysfs */
	SCMP_SYS(getcwd),	/* seen: umockdev's redirection of paths */
	SCMP_SYS(statfs),	/* likewise, by path */
	/*
	 * Real sysfs, which the umockdev preload library answers for itself
	 * in the tests (so these are not seen there): libudev lists a
	 * device's interfaces, follows its subsystem and driver links and
	 * stats its attributes.
	 */
	SCMP_SYS(getdents64),
	SCMP_SYS(readlinkat),
	SCMP_SYS(readlink),
	SCMP_SYS(newfstatat),
	SCMP_SYS(fstat),	/* glibc before 2.33 */
	SCMP_SYS(stat),		/* likewise */
	SCMP_SYS(lstat),	/* likewise */
	SCMP_SYS(statx),	/* newer systemd path helpers */
	SCMP_SYS(lseek),
	SCMP_SYS(fcntl),
	/* -- memory, locks, time, randomness -- */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),		/* seen */
	SCMP_SYS(munmap),	/* seen */
	SCMP_SYS(mremap),	/* realloc() of a large block */
	SCMP_SYS(madvise),	/* seen: freeing a thread's arena */
	SCMP_SYS(mprotect),	/* seen: malloc arenas of libusb's thread */
	SCMP_SYS(futex),	/* seen: libusb's locks */
	SCMP_SYS(clock_gettime),	/* vDSO fallback: settling deadlines */
	SCMP_SYS(getrandom),	/* seen: hash seeds */
	SCMP_SYS(getpid),	/* libudev, libusb */
	SCMP_SYS(rt_sigprocmask),	/* seen: thread start and exit */
	/*
	 * libusb's thread may still be starting when the filter lands on
	 * it: glibc's thread start-up registers these.
	 */
	SCMP_SYS(rseq),		/* seen */
	SCMP_SYS(set_robust_list),	/* seen */
	/* -- the end -- */
	SCMP_SYS(exit),		/* seen: libusb's thread, at libusb_exit */
	SCMP_SYS(exit_group),	/* seen */
};

/*
 * With --ios-lockdown only: what ios_lockdown_read (lockdown.c, which
 * lists them as measured) needs to fork the child that talks to usbmuxd,
 * wait for it and kill it at its deadline; the child inherits the filter.
 */
static const int usbwatch_allow_ios[] = {
	SCMP_SYS(pipe2),	/* the child's answer */
	SCMP_SYS(wait4),	/* reaping it */
	SCMP_SYS(dup2),		/* the child: its pipe as descriptor 3 */
	SCMP_SYS(close_range),	/* the child: nothing else crosses */
	SCMP_SYS(prlimit64),	/* the child: RLIMIT_CORE 0 */
	SCMP_SYS(setsockopt),	/* libusbmuxd: buffer sizes */
	SCMP_SYS(pselect6),	/* libusbmuxd waits with select() */
	SCMP_SYS(select),	/* likewise, older libcs */
	SCMP_SYS(sendmsg),	/* usbmuxd frames */
	SCMP_SYS(gettid),	/* abort() in the child (libplist asserts) */
	SCMP_SYS(tgkill),	/* likewise */
};

static int
allow_ios(scmp_filter_ctx ctx)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(usbwatch_allow_ios) /
	    sizeof(usbwatch_allow_ios[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    usbwatch_allow_ios[i], 0)) != 0 && r != -EDOM &&
		    r != -EINVAL)
			return r;
	/* fork() is clone() without CLONE_THREAD; no new threads. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0))) != 0)
		return r;
	/* clone3's flags are behind a pointer: ENOSYS makes glibc use clone. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0 && r != -EDOM && r != -EINVAL)
		return r;
	/*
	 * SIGKILL for a child past its deadline, and nothing else.  The
	 * pid cannot be filtered: a helper taken over with ios_lockdown on
	 * could kill custodyd (same user), which systemd then restarts.
	 */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
	    SCMP_A1(SCMP_CMP_EQ, SIGKILL));
}

int
usbwatch_confine(int ios, char *err, size_t errlen)
{
	const char *off = getenv("CUSTODYD_NO_SECCOMP");
	scmp_filter_ctx ctx;
	size_t i;
	int r = 0;

	if (off != NULL && strcmp(off, "1") == 0) {
		fputs("custody-usbwatch: WARNING: CUSTODYD_NO_SECCOMP=1: "
		    "running WITHOUT the seccomp sandbox\n", stderr);
		return 0;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_PERM,
		    "seccomp_init failed");
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0)
		goto out;
	for (i = 0; i < sizeof(usbwatch_allow) / sizeof(usbwatch_allow[0]);
	    i++)
		/* -EDOM/-EINVAL: no such call on this architecture. */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    usbwatch_allow[i], 0)) != 0 && r != -EDOM && r != -EINVAL)
			goto out;
	/* libusb's thread names itself when it starts ("libusb_event"). */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	    SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME))) != 0)
		goto out;
	if (ios && (r = allow_ios(ctx)) != 0)
		goto out;
	/*
	 * Local sockets: usbmuxd's for the iOS step, and the testbed's that
	 * umockdev's preload library connects to when a device file is
	 * opened in the tests.  Never the network.  (A helper taken over
	 * could reach custodyd's socket like any local user: it would still
	 * need a password.)
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect),
	    0)) != 0)
		goto out;
	/*
	 * Files are opened for reading only, never created or truncated:
	 * the helper runs as custodyd's user, and this is what keeps it
	 * from the database.  (O_RDONLY is 0; O_TMPFILE needs write
	 * access, so it is refused with the rest.)
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    0))) != 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    0))) != 0)
		if (r != -EDOM && r != -EINVAL)
			goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (r != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_PERM, "cannot "
		    "load the seccomp filter: %s", strerror(-r));
	return 0;
}
