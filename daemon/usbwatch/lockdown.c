/*
 * lockdown.c -- the adapter of the iOS identity step: the only file that
 * includes libimobiledevice's headers.  The contract, and every request
 * the step sends, are in lockdown.h; the values are validated by
 * ios_identity.c.
 *
 * Two processes:
 *
 *   parent  ios_lockdown_read: makes a pipe, forks, then waits on the
 *           pipe with poll() until the deadline; kills the child with
 *           SIGKILL whatever happened, reaps it, and checks what it sent.
 *   child   child_main: ListDevices, Connect, five GetValue, validation;
 *           writes one byte per step it starts (so the parent's timeout
 *           error can say what was being waited for), then 0xff and a
 *           struct child_result, in one write (smaller than PIPE_BUF, so
 *           it arrives whole or not at all); then _exit(), so no atexit
 *           handler or library destructor runs in the child.
 *
 * The child holds what the parent held at fork (the helper that calls
 * this holds nothing worth stealing) and parses what the phone sends;
 * it can lie to the parent, so the parent trusts only a result that
 * passes ios_identity_check and names the serial it asked for.
 *
 * System calls, measured with strace -f over tests/lockdown/test_lockdown
 * (every run in it; Debian 12, glibc 2.36, x86-64), for the seccomp
 * allowlist of the helper that calls this.  The filter is inherited by
 * the child, so both lists must be allowed:
 *
 *   parent  pipe2, clone (glibc's fork), poll, read, close, kill, wait4;
 *           clock_gettime goes through the vDSO (allow it anyway)
 *   child   set_robust_list (glibc, after fork), dup2, close_range,
 *           prlimit64 (RLIMIT_CORE),
 *           stat (libusbmuxd checks the socket path; newfstatat on other
 *           builds), socket (AF_UNIX, SOCK_STREAM), setsockopt
 *           (SO_SNDBUF, SO_RCVBUF), fcntl (F_GETFL, F_SETFL O_NONBLOCK),
 *           connect, pselect6 (glibc's select: libusbmuxd waits with
 *           select, so every fd must be below FD_SETSIZE), sendto,
 *           recvfrom, write (the pipe; fd 2 when libusbmuxd or an
 *           assertion complains), close, mmap, munmap (malloc; brk too,
 *           not seen here), exit_group
 *   child, when libplist's assertion fires (test_ld_nul_abort):
 *           rt_sigprocmask, getpid, gettid, tgkill -- or let the filter
 *           kill it: the parent reports a dead child either way.
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libimobiledevice/libimobiledevice.h>
#include <libimobiledevice/lockdown.h>
#include <plist/plist.h>

#include "common/error.h"
#include "common/escape.h"
#include "daemon/usbwatch/ios_identity.h"
#include "daemon/usbwatch/lockdown.h"

/* What the child is doing: one byte on the pipe as each step starts. */
enum ld_stage {
	STAGE_FORK = 0,		/* not yet started */
	STAGE_LIST,		/* ListDevices, to find the serial */
	STAGE_LOOKUP,		/* ListDevices again, in idevice_new */
	STAGE_CONNECT,		/* Connect to port 62078 */
	STAGE_GET,		/* GetValue, + enum ios_key */
	STAGE_LAST = STAGE_GET + IOS_KEY_COUNT - 1
};

#define RESULT_TAG	0xff
#define CHILD_PIPE_FD	3	/* the child's end of the pipe, after dup2 */
#define LD_LABEL	"custody"
#define ERR_MAX		256

struct child_result {
	int			 rc;
	char			 err[ERR_MAX];
	struct ios_identity	 id;
};

_Static_assert(1 + sizeof(struct child_result) <= PIPE_BUF,
    "the child's result must fit one atomic pipe write");

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
stage_describe(int stage, char *out, size_t outlen)
{
	if (stage >= STAGE_GET && stage <= STAGE_LAST)
		(void)snprintf(out, outlen, "lockdownd's answer to GetValue %s",
		    ios_key_name((enum ios_key)(stage - STAGE_GET)));
	else if (stage == STAGE_CONNECT)
		(void)snprintf(out, outlen, "usbmuxd's answer to Connect "
		    "(lockdownd, port %d)", IOS_LOCKDOWN_PORT);
	else if (stage == STAGE_LIST || stage == STAGE_LOOKUP)
		(void)snprintf(out, outlen, "usbmuxd's device list");
	else
		(void)snprintf(out, outlen, "the lockdown reader to start");
}

/* ---- the child ---- */

static void
child_stage(int wfd, int stage)
{
	unsigned char b = (unsigned char)stage;

	/* The parent is gone (it closes the pipe only to kill us). */
	if (write(wfd, &b, 1) != 1)
		_exit(1);
}

/* Why lockdownd_get_value failed, in words. */
static const char *
ld_reason(lockdownd_error_t e)
{
	switch (e) {
	case LOCKDOWN_E_RECEIVE_TIMEOUT:
		return "no answer in time";
	case LOCKDOWN_E_PLIST_ERROR:
		return "the answer is not a readable plist";
	case LOCKDOWN_E_MUX_ERROR:
		return "the connection through usbmuxd failed";
	case LOCKDOWN_E_SSL_ERROR:
		return "TLS failed";
	case LOCKDOWN_E_UNKNOWN_ERROR:
		return "no valid answer (cut short, oversized, closed, or "
		    "not a GetValue reply)";
	default:
		return "lockdownd refused it";
	}
}

/* Finds the usbmux UDID that matches serial; copies it to udid. */
static int
child_find(const char *serial, char *udid, size_t udidlen, char *err,
    size_t errlen)
{
	idevice_info_t *list = NULL;
	int n = 0, i, found = 0;

	if (idevice_get_device_list_extended(&list, &n) != IDEVICE_E_SUCCESS)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "usbmuxd did not list its devices (not running, or its "
		    "answer was unreadable)");
	for (i = 0; i < n && !found; i++) {
		if (list[i] == NULL || list[i]->udid == NULL ||
		    list[i]->conn_type != CONNECTION_USBMUXD ||
		    !ios_udid_match(list[i]->udid, serial) ||
		    strlen(list[i]->udid) >= udidlen)
			continue;
		memcpy(udid, list[i]->udid, strlen(list[i]->udid) + 1);
		found = 1;
	}
	(void)idevice_device_list_extended_free(list);
	if (!found)
		return custody_fail(err, errlen, CUSTODY_ERR_NOTFOUND,
		    "usbmuxd lists no iPhone with serial %s (%d device%s "
		    "listed)", serial, n, n == 1 ? "" : "s");
	return 0;
}

/* The five GetValue requests, each validated as it arrives. */
static int
child_values(lockdownd_client_t ld, struct ios_identity *id, int wfd,
    char *err, size_t errlen)
{
	lockdownd_error_t e;
	plist_t value;
	unsigned int k;
	int r;

	for (k = 0; k < IOS_KEY_COUNT; k++) {
		const char *name = ios_key_name((enum ios_key)k);

		child_stage(wfd, STAGE_GET + (int)k);
		value = NULL;
		e = lockdownd_get_value(ld, NULL, name, &value);
		/* An optional value the phone does not give is absent. */
		if (k != IOS_KEY_UDID && (e == LOCKDOWN_E_MISSING_VALUE ||
		    e == LOCKDOWN_E_GET_PROHIBITED))
			continue;
		if (e != LOCKDOWN_E_SUCCESS)
			return custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "lockdownd GetValue %s: %s (error %d)", name,
			    ld_reason(e), (int)e);
		r = ios_identity_set(id, (enum ios_key)k, value, err, errlen);
		plist_free(value);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
child_read(const char *serial, struct ios_identity *id, int wfd, char *err,
    size_t errlen)
{
	lockdownd_client_t ld = NULL;
	idevice_t dev = NULL;
	char udid[64], shown[IOS_UDID_MAX * 4 + 8];
	int r;

	child_stage(wfd, STAGE_LIST);
	if ((r = child_find(serial, udid, sizeof(udid), err, errlen)) != 0)
		goto out;
	child_stage(wfd, STAGE_LOOKUP);
	if (idevice_new_with_options(&dev, udid, IDEVICE_LOOKUP_USBMUX) !=
	    IDEVICE_E_SUCCESS) {
		r = custody_fail(err, errlen, CUSTODY_ERR_NOTFOUND,
		    "usbmuxd no longer lists the iPhone %s", udid);
		goto out;
	}
	child_stage(wfd, STAGE_CONNECT);
	/* Only the connection: never _with_handshake, which pairs. */
	if (lockdownd_client_new(dev, &ld, LD_LABEL) != LOCKDOWN_E_SUCCESS) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "usbmuxd could not connect to lockdownd on the iPhone "
		    "%s (port %d)", udid, IOS_LOCKDOWN_PORT);
		goto out;
	}
	if ((r = child_values(ld, id, wfd, err, errlen)) != 0)
		goto out;
	if (!id->udid.present || !ios_udid_match(id->udid.bytes, serial)) {
		escape_text(id->udid.bytes, id->udid.len, shown,
		    sizeof(shown));
		r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "UniqueDeviceID \"%s\" is not the USB serial %s", shown,
		    serial);
	}
out:
	if (ld != NULL)
		(void)lockdownd_client_free(ld);
	if (dev != NULL)
		(void)idevice_free(dev);
	return r;
}

static void __attribute__((noreturn))
child_main(const char *serial, int wfd)
{
	struct rlimit none = { 0, 0 };
	struct child_result res;
	unsigned char msg[1 + sizeof(res)];

	/*
	 * Keep stdio and the pipe only: the helper's other descriptors (its
	 * socket to custodyd, udev's) are out of reach of the code that
	 * parses the phone's answers, and libusbmuxd's select() gets fds
	 * far below FD_SETSIZE.
	 */
	if (wfd != CHILD_PIPE_FD) {
		if (dup2(wfd, CHILD_PIPE_FD) < 0)
			_exit(1);
		wfd = CHILD_PIPE_FD;
	}
	(void)close_range(CHILD_PIPE_FD + 1, ~0U, 0);
	/* A phone can make libplist abort (test_ld_nul_abort): leave no
	 * core file of what the child held. */
	(void)setrlimit(RLIMIT_CORE, &none);
	memset(&res, 0, sizeof(res));
	res.rc = child_read(serial, &res.id, wfd, res.err, sizeof(res.err));
	if (res.rc != 0)
		memset(&res.id, 0, sizeof(res.id));
	msg[0] = RESULT_TAG;
	memcpy(msg + 1, &res, sizeof(res));
	_exit(write(wfd, msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : 1);
}

/* ---- the parent ---- */

/* What the parent has heard from the child so far. */
struct reading {
	int		 stage;
	int		 closed;	/* the pipe closed before a result */
	size_t		 got;		/* bytes of res, after the tag */
	int		 in_result;
	struct child_result res;
};

/* Takes n bytes from the pipe; 1 once the whole result is in. */
static int
reading_take(struct reading *rd, const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (!rd->in_result) {
			if (p[i] == RESULT_TAG)
				rd->in_result = 1;
			else if (p[i] <= STAGE_LAST)
				rd->stage = p[i];
			i++;
			continue;
		}
		k = sizeof(rd->res) - rd->got;
		if (k > n - i)
			k = n - i;
		memcpy((unsigned char *)&rd->res + rd->got, p + i, k);
		rd->got += k;
		i += k;
		if (rd->got == sizeof(rd->res))
			return 1;
	}
	return 0;
}

/*
 * Reads the child's pipe until its result is whole, it closes, or the
 * deadline.  Returns 0 with the result in rd, or an error.
 */
static int
parent_wait(int rfd, int64_t deadline, int timeout_ms, struct reading *rd,
    char *err, size_t errlen)
{
	unsigned char buf[512];
	char what[96];
	struct pollfd pfd;
	int64_t left;
	ssize_t n;
	int pr;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			break;
		pfd.fd = rfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((pr = poll(&pfd, 1, (int)left)) < 0 && errno != EINTR)
			return custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "waiting for the lockdown reader: %s",
			    strerror(errno));
		if (pr <= 0)
			continue;
		if ((n = read(rfd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			return custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "reading from the lockdown reader: %s",
			    strerror(errno));
		}
		if (n == 0) {
			rd->closed = 1;	/* the message needs its status */
			return CUSTODY_ERR_IO;
		}
		if (reading_take(rd, buf, (size_t)n))
			return 0;
	}
	stage_describe(rd->stage, what, sizeof(what));
	return custody_fail(err, errlen, CUSTODY_ERR_IO,
	    "no answer within %d ms: still waiting for %s", timeout_ms, what);
}

/* The child ended without a result: how, and what it was waiting for. */
static int
parent_died(const struct reading *rd, int status, char *err, size_t errlen)
{
	char what[96], how[32];

	stage_describe(rd->stage, what, sizeof(what));
	if (WIFSIGNALED(status))
		(void)snprintf(how, sizeof(how), "signal %d",
		    WTERMSIG(status));
	else
		(void)snprintf(how, sizeof(how), "status %d",
		    WEXITSTATUS(status));
	return custody_fail(err, errlen, CUSTODY_ERR_IO,
	    "the lockdown reader died (%s) while waiting for %s", how, what);
}

/* Accepts the child's result only if it is whole and consistent. */
static int
parent_accept(struct reading *rd, const char *serial,
    struct ios_identity *out, char *err, size_t errlen)
{
	struct child_result *res = &rd->res;
	int r;

	res->err[sizeof(res->err) - 1] = '\0';
	switch (res->rc) {
	case 0:
		break;
	case CUSTODY_ERR_INVAL:
	case CUSTODY_ERR_NOTFOUND:
	case CUSTODY_ERR_IO:
	case CUSTODY_ERR_NOMEM:
	case CUSTODY_ERR_TOOBIG:
		return custody_fail(err, errlen, res->rc, "%s", res->err);
	default:
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "the lockdown reader sent an unknown result %d", res->rc);
	}
	if ((r = ios_identity_check(&res->id, err, errlen)) != 0)
		return r;
	if (!ios_udid_match(res->id.udid.bytes, serial))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the lockdown reader answered for another device");
	*out = res->id;
	return 0;
}

int
ios_lockdown_read(const char *usb_serial, int timeout_ms,
    struct ios_identity *out, char *err, size_t errlen)
{
	struct reading rd;
	int64_t deadline;
	int fds[2], r, status;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (usb_serial == NULL || !ios_udid_valid(usb_serial,
	    strlen(usb_serial)))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the USB serial is not an iPhone UDID (24 to 40 hex "
		    "digits)");
	if (timeout_ms < IOS_LOCKDOWN_TIMEOUT_MIN ||
	    timeout_ms > IOS_LOCKDOWN_TIMEOUT_MAX)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "lockdown timeout %d ms is outside %d..%d", timeout_ms,
		    IOS_LOCKDOWN_TIMEOUT_MIN, IOS_LOCKDOWN_TIMEOUT_MAX);
	deadline = now_ms() + timeout_ms;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot make a pipe for the lockdown reader: %s",
		    strerror(errno));
	if ((pid = fork()) < 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot fork the lockdown reader: %s", strerror(errno));
		(void)close(fds[0]);
		(void)close(fds[1]);
		return r;
	}
	if (pid == 0) {
		(void)close(fds[0]);
		child_main(usb_serial, fds[1]);
	}
	(void)close(fds[1]);
	memset(&rd, 0, sizeof(rd));
	r = parent_wait(fds[0], deadline, timeout_ms, &rd, err, errlen);
	(void)close(fds[0]);
	/* Whatever happened: the child has nothing more to say. */
	(void)kill(pid, SIGKILL);
	status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rd.closed)
		r = parent_died(&rd, status, err, errlen);
	else if (r == 0)
		r = parent_accept(&rd, usb_serial, out, err, errlen);
	memset(&rd, 0, sizeof(rd));
	return r;
}
