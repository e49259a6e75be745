/*
 * sandbox.c -- custodyd confines itself: no inherited descriptors, then an
 * allowlist seccomp filter once initialisation is over.
 *
 * Why an allowlist and why here: the daemon parses requests from every
 * local user and data from hostile USB devices.  After start-up it only
 * ever needs its socket, its state directory, memory, time and random
 * numbers, so anything else -- exec, ptrace, mount, network sockets,
 * module loading, namespaces, changing ids -- kills the process at once
 * (SCMP_ACT_KILL_PROCESS, SIGSYS; a core is never written: RLIMIT_CORE is
 * 0 and the process is not dumpable).  Calls from another architecture's
 * ABI (x32, i386 on x86-64) kill too: libseccomp's bad-arch default.
 *
 * How the list was found: every integration test (which drive the real
 * daemon through logins, users, cases, devices, items, exports, gate
 * checks, crashes and restarts) was run with CUSTODYD_NO_SECCOMP=1 under
 * "strace -f", and the calls made after the filter's place in server_run()
 * were collected; then a few that only error, idle or rarer paths reach
 * (noted below) were added.  "make check" runs with the filter on.
 *
 * Threads.  Intake (item_seal) runs one worker thread for its digests,
 * started and joined inside the call (hashing/digest_pipe.c).  So the
 * filter admits what glibc's pthread_create and a thread's start and end
 * need, found with strace -f on test_gate's intake, and no more: clone
 * only with exactly the flags of a thread (sandbox_allow_threads), never
 * a new process; clone3, whose flags live in memory a filter cannot
 * read, fails with ENOSYS so that glibc falls back to clone; mprotect
 * never with PROT_EXEC.  A thread inherits the filter of the thread that
 * made it.
 *
 * States: unconfined (from exec until sandbox_enter()) -> confined (to
 * exit).  There is no way back, and no state is kept here.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/error.h"
#include "daemon/daemon.h"
#include "daemon/sandbox.h"

/*
 * Allowed with any arguments, grouped by what needs them.  "seen" marks a
 * call the test suite's daemons made under the filter; the others are on
 * paths the suite reaches rarely or not at all, each with its reason.
 */
static const int sandbox_allow[] = {
	/* -- the socket and the poll loop -- */
	SCMP_SYS(poll),		/* seen: the event loop */
	SCMP_SYS(accept4),	/* seen: new clients, CLOEXEC|NONBLOCK */
	SCMP_SYS(getsockopt),	/* seen: SO_PEERCRED, who the client is */
	SCMP_SYS(recvmsg),	/* seen: requests, SCM_RIGHTS descriptors */
	SCMP_SYS(sendmsg),	/* seen: replies, SCM_RIGHTS descriptors */
	SCMP_SYS(sendto),	/* seen: sd_notify; send() of "too busy" */
	SCMP_SYS(restart_syscall),	/* poll resumed after SIGSTOP/SIGCONT */
	/* -- descriptors -- */
	SCMP_SYS(read),		/* seen: signalfd, items, keys */
	SCMP_SYS(write),	/* seen: the log on stderr, items */
	SCMP_SYS(pread64),	/* seen: SQLite pages */
	SCMP_SYS(pwrite64),	/* seen: SQLite pages and WAL */
	SCMP_SYS(close),	/* seen */
	SCMP_SYS(fcntl),	/* seen: SQLite locks, memfd seals */
	SCMP_SYS(lseek),	/* seen: stdio, memfds */
	/* -- files under the state directory -- */
	SCMP_SYS(openat),	/* seen: items, exports, /etc/localtime */
	SCMP_SYS(newfstatat),	/* seen: stat(), and fstat() in glibc 2.33+ */
	SCMP_SYS(fstat),	/* fstat() in glibc before 2.33 */
	SCMP_SYS(statfs),	/* seen: statvfs() of the state directory */
	SCMP_SYS(access),	/* SQLite: a writable directory for temp files */
	SCMP_SYS(faccessat),	/* likewise, with newer libcs */
	SCMP_SYS(fchmod),	/* SQLite: the mode of a new temp file */
	SCMP_SYS(mkdir),	/* seen: the exports directory */
	SCMP_SYS(rename),	/* seen: an item's .tmp to .blob */
	SCMP_SYS(unlink),	/* seen: .tmp files, -wal/-shm, the socket */
	SCMP_SYS(ftruncate),	/* seen: memfd sizes, SQLite WAL reset */
	SCMP_SYS(fsync),	/* seen: durable items and exports */
	SCMP_SYS(fdatasync),	/* seen: SQLite commits */
	SCMP_SYS(sendfile),	/* seen: an export into the client's fd */
	SCMP_SYS(memfd_create),	/* seen: decrypted views and exports */
	/* -- memory -- */
	SCMP_SYS(brk),		/* seen: malloc */
	SCMP_SYS(mmap),		/* seen: large blocks, SQLite mmap I/O */
	SCMP_SYS(munmap),	/* seen */
	SCMP_SYS(mremap),	/* realloc() of a large block */
	SCMP_SYS(madvise),	/* seen: malloc_trim() when idle */
	SCMP_SYS(futex),	/* seen: locks; the intake worker's hand-over */
	/* -- the intake worker thread (see the top; mprotect and clone
	 *    are added with their arguments checked) -- */
	SCMP_SYS(rt_sigprocmask),	/* seen: pthread_create blocks all
				 * signals around clone; the worker's mask */
	SCMP_SYS(set_robust_list),	/* seen: a new thread's first call */
	SCMP_SYS(rseq),		/* seen: a new thread registers with glibc */
	SCMP_SYS(exit),		/* seen: a thread ends (not the process) */
	/* -- time, randomness, identity -- */
	SCMP_SYS(clock_gettime),	/* vDSO fallback: ordering, timeouts */
	SCMP_SYS(gettimeofday),	/* vDSO fallback: SQLite's "now" */
	SCMP_SYS(clock_adjtime),	/* seen: clock sync state (may fail) */
	SCMP_SYS(adjtimex),	/* likewise, with older libcs */
	SCMP_SYS(clock_nanosleep),	/* SQLite's busy wait (a reader) */
	SCMP_SYS(nanosleep),	/* likewise, with older libcs */
	SCMP_SYS(getrandom),	/* OpenSSL reseeding its DRBG */
	SCMP_SYS(getpid),	/* seen: SQLite and OpenSSL fork checks */
	SCMP_SYS(getuid),	/* SQLite: owner checks on new files */
	SCMP_SYS(geteuid),	/* likewise */
	/* -- the USB monitor, custody-usbwatch (daemon/usbmon.c) -- */
	SCMP_SYS(recvfrom),	/* seen: recv() of its messages */
	SCMP_SYS(wait4),	/* seen: reaping it when its socket closes */
	/* -- the end -- */
	SCMP_SYS(exit_group),	/* seen */
};

/*
 * The flags of glibc's pthread_create (glibc 2.36, create_thread()): a
 * thread shares memory, files, handlers and System V undo lists, and
 * signals nobody when it ends (exit signal 0).
 */
#define SANDBOX_THREAD_FLAGS \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	CLONE_CHILD_CLEARTID)

/*
 * glibc's internal signal for setuid() across threads (SIGSETXID,
 * __SIGRTMIN + 1); pthread_create installs its handler on first use.
 */
#define SANDBOX_SIGSETXID	33

/* Adds the rules that let intake start and end its worker thread. */
static int
sandbox_allow_threads(scmp_filter_ctx ctx)
{
	int r;

	/*
	 * clone(2) reads only the low 32 bits of its flags: those must be
	 * exactly a thread's.  fork(), vfork(), posix_spawn() and any new
	 * namespace differ there, and kill.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
	    SANDBOX_THREAD_FLAGS))) != 0)
		return r;
	/* Checking clone3's flags would mean reading its struct: refuse. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0 && r != -EDOM && r != -EINVAL)
		return r;
	/* The new stack's guard page; nothing is ever made executable. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) != 0)
		return r;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction),
	    1, SCMP_A0(SCMP_CMP_EQ, SANDBOX_SIGSETXID));
}

/*
 * Adds the rules with arguments: socket() for local sockets only -- never
 * the network -- and kill() with SIGKILL only.
 */
static int
sandbox_allow_args(scmp_filter_ctx ctx)
{
	int r;

	/* notify(): the datagram to systemd's NOTIFY_SOCKET. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) != 0)
		return r;
	/* udev monitors and queries use netlink. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_NETLINK))) != 0)
		return r;
	/* SIGKILL for a USB monitor that closed its socket but lingers. */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
	    SCMP_A1(SCMP_CMP_EQ, SIGKILL));
}

int
sandbox_enter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r = 0;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_PERM,
		    "seccomp_init failed");
	for (i = 0; i < sizeof(sandbox_allow) / sizeof(sandbox_allow[0]); i++)
		/* -EDOM/-EINVAL: no such call on this architecture. */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    sandbox_allow[i], 0)) != 0 && r != -EDOM && r != -EINVAL)
			goto out;
	if ((r = sandbox_allow_args(ctx)) != 0 ||
	    (r = sandbox_allow_threads(ctx)) != 0)
		goto out;
	r = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (r != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_PERM, "cannot "
		    "load the seccomp filter: %s", strerror(-r));
	return 0;
}

/* LeakSanitizer stops the world at exit with clone() and ptrace(). */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

int
sandbox_apply(char *err, size_t errlen)
{
	const char *off = getenv("CUSTODYD_NO_SECCOMP");

#ifdef SANDBOX_ASAN
	dlog("WARNING: an AddressSanitizer build: running WITHOUT the "
	    "seccomp sandbox");
	return 0;
#endif
	if (off != NULL && strcmp(off, "1") == 0) {
		dlog("WARNING: CUSTODYD_NO_SECCOMP=1: running WITHOUT the "
		    "seccomp sandbox; for debugging only");
		return 0;
	}
	return sandbox_enter(err, errlen);
}

/* The fallback for kernels before 5.9: close what /proc/self/fd lists. */
static int
sandbox_close_proc(void)
{
	DIR *dir;
	struct dirent *de;
	char *end;
	long fd;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return CUSTODY_ERR_IO;
	while ((de = readdir(dir)) != NULL) {
		errno = 0;
		fd = strtol(de->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || end == de->d_name ||
		    fd < 3 || fd == dirfd(dir))
			continue;
		(void)close((int)fd);
	}
	closedir(dir);
	return 0;
}

int
sandbox_close_inherited(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return 0;
#endif
	return sandbox_close_proc();
}
