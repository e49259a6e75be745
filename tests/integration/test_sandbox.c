/*
 * test_sandbox.c -- custodyd's own sandbox (daemon/sandbox.c): a system
 * call outside the allowlist kills the process with SIGSYS; the real
 * daemon does its normal work under the filter; and a descriptor its
 * parent leaked does not survive into it.
 *
 * Threads: intake's digest worker (hashing/digest_pipe.c) starts and
 * joins under the filter, twice (the second reuses glibc's cached
 * stack), while clone() with any flags but a thread's -- fork(), a raw
 * fork-style clone, a thread in a new mount namespace -- still kills,
 * and clone3() fails with ENOSYS.  The daemon's own intake under the
 * filter is test_gate's.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "daemon/sandbox.h"
#include "hashing/digest_pipe.h"
#include "harness.h"

#define PW	"amber falcon river 42"

/* An AddressSanitizer build of custodyd runs without the filter. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

/*
 * Forks a child that enters the sandbox and runs forbidden(); returns its
 * wait status.  The child exits 0 if forbidden() returned (the filter let
 * the call through) and 3 if it could not enter the sandbox.
 */
static int
run_confined(void (*forbidden)(void))
{
	char err[256];
	pid_t pid;
	int st = -1;

	if ((pid = fork()) == 0) {
		if (sandbox_enter(err, sizeof(err)) != 0)
			_exit(3);
		forbidden();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void
call_ptrace(void)
{
	(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

static void
call_mount(void)
{
	(void)mount("none", "/mnt", "tmpfs", 0, NULL);
}

/* The daemon may make local sockets, never network ones. */
static void
call_inet_socket(void)
{
	(void)socket(AF_INET, SOCK_STREAM, 0);
}

static void
call_execve(void)
{
	(void)execl("/bin/true", "true", (char *)NULL);
}

static void
call_fork(void)
{
	(void)fork();
}

/* What fork() asks of the kernel at its barest: a copy, SIGCHLD at exit. */
static void
call_clone_fork_style(void)
{
	(void)syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL,
	    NULL);
}

/*
 * A thread's flags and one more.  Were it let through, the kernel would
 * refuse CLONE_NEWNS with CLONE_FS (EINVAL) and the child would exit 0.
 */
static void
call_clone_thread_newns(void)
{
	(void)syscall(SYS_clone, (unsigned long)(CLONE_VM | CLONE_FS |
	    CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
	    CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
	    CLONE_NEWNS), NULL, NULL, NULL, NULL);
}

/* clone3 is refused with ENOSYS, not a kill, so glibc falls back. */
static void
call_clone3(void)
{
	if (syscall(SYS_clone3, NULL, (size_t)0) != -1 || errno != ENOSYS)
		_exit(5);
}

/* Intake's digest worker, started and joined twice; exits 6 on failure. */
static void
call_digest_worker(void)
{
	struct digest_pipe *p;
	struct digest_result res;
	uint8_t *buf;
	int i;

	for (i = 0; i < 2; i++) {
		if (digest_pipe_new(&p, DIGEST_SHA512 | DIGEST_MD5, 2,
		    4096) != 0 || digest_pipe_slot(p, &buf) != 0)
			_exit(6);
		memcpy(buf, "abc", 3);
		if (digest_pipe_push(p, 3) != 0 ||
		    digest_pipe_final(p, &res) != 0 || res.size != 3)
			_exit(6);
		digest_pipe_free(p);
	}
}

static void
call_unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		_exit(4);
	close(fd);
}

static void
test_forbidden_calls_kill(void **unused)
{
	void (*calls[])(void) = { call_ptrace, call_mount, call_inet_socket,
	    call_execve, call_fork, call_clone_fork_style,
	    call_clone_thread_newns };
	size_t i;
	int st;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		st = run_confined(calls[i]);
		if (!WIFSIGNALED(st))
			fail_msg("call %zu: not killed (status %#x)", i, st);
		assert_int_equal(WTERMSIG(st), SIGSYS);
	}
}

/* The control: an allowed call passes and the child exits normally. */
static void
test_allowed_call_passes(void **unused)
{
	int st;

	/* ASan's runtime makes calls of its own that the list leaves out. */
	if (ASAN_BUILD)
		skip();
	st = run_confined(call_unix_socket);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The digest worker's thread runs; clone3 is refused, not killed. */
static void
test_threads_confined(void **unused)
{
	void (*calls[])(void) = { call_clone3, call_digest_worker };
	size_t i;
	int st;

	if (ASAN_BUILD)
		skip();
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		st = run_confined(calls[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("call %zu: status %#x", i, st);
	}
}

/* The value of "Seccomp:" in /proc/PID/status, or -1. */
static int
seccomp_mode(pid_t pid)
{
	char path[64], line[256];
	FILE *fp;
	int mode = -1;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(fp);
	return mode;
}

static json_t *
req_ok(const struct harness *h, const char *token, const char *op,
    const char *args)
{
	json_t *rep = h_req(h, token, op, args);

	if (!h_ok(rep))
		fail_msg("%s failed: %s", op, h_msg(rep));
	return rep;
}

/* Logins, a new user, a device registration and a verify, confined. */
static void
test_daemon_works_confined(void **unused)
{
	struct harness h;
	char admin[65], dsl[65], args[512], dev[32];
	json_t *rep;
	int st;

	assert_int_equal(h_start(&h, NULL), 0);
	assert_int_equal(seccomp_mode(h.pid), ASAN_BUILD ? 0 : 2);
	assert_non_null(h_login(&h, H_ADMIN, H_ADMIN_PW, admin));
	(void)snprintf(args, sizeof(args), "{\"user\":\"dee.dsl\",\"role\":"
	    "\"dsl\",\"new_password\":\"%s\",\"password\":\"%s\"}", PW,
	    H_ADMIN_PW);
	json_decref(req_ok(&h, admin, "user.add", args));
	assert_non_null(h_login(&h, "dee.dsl", PW, dsl));
	rep = req_ok(&h, dsl, "device.register", "{\"pupil\":\"P-0001\","
	    "\"reason\":\"behaviour\",\"location\":\"office safe\","
	    "\"seal\":\"S-1\",\"power\":\"off\"}");
	assert_non_null(h_result_str(rep, "device", dev, sizeof(dev)));
	json_decref(rep);
	rep = req_ok(&h, admin, "log.verify", NULL);
	assert_true(json_is_true(json_object_get(json_object_get(rep,
	    "result"), "ok")));
	json_decref(rep);
	json_decref(req_ok(&h, admin, "station.status", NULL));
	/* Still alive, still confined; and a clean stop under the filter. */
	assert_int_equal(seccomp_mode(h.pid), ASAN_BUILD ? 0 : 2);
	st = h_stop_daemon(&h, SIGTERM);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	h_finish(&h);
}

/* Does /proc/PID/fd list a descriptor open on path?  -1 if unreadable. */
static int
holds_file(pid_t pid, const char *path)
{
	char dpath[64], lpath[320], target[256];
	struct dirent *de;
	DIR *dir;
	ssize_t n;
	int found = 0;

	(void)snprintf(dpath, sizeof(dpath), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(dpath)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(lpath, sizeof(lpath), "%s/%s", dpath,
		    de->d_name);
		if ((n = readlink(lpath, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			found |= strcmp(target, path) == 0;
		}
	}
	closedir(dir);
	return found;
}

/* A descriptor opened without O_CLOEXEC before the exec is closed. */
static void
test_inherited_fd_closed(void **unused)
{
	struct harness h;
	char leak[200];
	int fd, held;

	assert_int_equal(h_start(&h, NULL), 0);
	assert_true(h_stop_daemon(&h, SIGTERM) != -1);
	(void)snprintf(leak, sizeof(leak), "%s/leaked", h.dir);
	/* Not CLOEXEC, and high, as a careless parent would leave it. */
	assert_true((fd = open(leak, O_RDWR | O_CREAT, 0600)) >= 0);
	assert_int_equal(dup2(fd, 77), 77);
	close(fd);
	assert_int_equal(h_start_daemon(&h), 0);
	close(77);
	/* The test's own copy is gone: any holder now is the daemon. */
	held = holds_file(h.pid, leak);
	if (held == -1)
		skip();		/* /proc/PID/fd of a non-dumpable process */
	assert_int_equal(held, 0);
	h_finish(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_calls_kill),
		cmocka_unit_test(test_allowed_call_passes),
		cmocka_unit_test(test_threads_confined),
		cmocka_unit_test(test_daemon_works_confined),
		cmocka_unit_test(test_inherited_fd_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
