/*
 * fake_usbmuxd.c -- a fake usbmuxd and lockdownd in one forked process;
 * the contract is in fake_usbmuxd.h.
 *
 * One connection at a time, as libusbmuxd uses them: each ListDevices
 * (or Listen) on a connection of its own, then Connect, after which the
 * same connection carries lockdownd's frames until the client closes it.
 * Every read waits at most IO_WAIT_MS, so the fake never hangs on a
 * client that went away without closing; the test kills it anyway.
 *
 * The answers are shaped after what their clients read, in libusbmuxd
 * 2.0.2 (src/libusbmuxd.c: receive_packet, usbmuxd_get_result,
 * usbmuxd_get_device_list) and libimobiledevice 1.3.0 (src/lockdown.c:
 * lockdown_check_result, lockdownd_get_value;
 * src/property_list_service.c: internal_plist_receive_timeout).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <plist/plist.h>

#include "tests/usbmuxd/fake_usbmuxd.h"

#define IO_WAIT_MS	20000
#define FRAME_MAX	(64 * 1024)
#define MUX_HEADER	16
#define MUX_VERSION	1
#define MUX_PLIST	8
#define MUX_RESULT_OK	0
#define MUX_BADCOMMAND	1
#define MUX_BADDEV	2
#define MUX_CONNREFUSED	3

/* An answer the fake writes, or the way it misbehaves. */
struct fake {
	enum fake_mode	 mode;
	int		 logfd;
	const char	*fdlog;		/* DIR/peer-fds */
};

static void
fake_log(const struct fake *fk, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fake_log(const struct fake *fk, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* A log that cannot be written fails the test that reads it. */
	if (write(fk->logfd, line, (size_t)n) != n)
		_exit(2);
}

/* Reads exactly len bytes; 0, or -1 on EOF, error or IO_WAIT_MS idle. */
static int
read_full(int fd, void *buf, size_t len)
{
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, IO_WAIT_MS) <= 0)
			return -1;
		if ((n = read(fd, (char *)buf + got, len - got)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if ((n = send(fd, (const char *)buf + done, len - done,
		    MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Waits until the client closes (or IO_WAIT_MS passes): never answers. */
static void
stay_silent(int fd)
{
	char buf[256];
	struct pollfd pfd;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, IO_WAIT_MS) <= 0 ||
		    read(fd, buf, sizeof(buf)) <= 0)
			return;
	}
}

/* ---- usbmuxd ---- */

static void
mux_header(unsigned char h[MUX_HEADER], uint32_t length, uint32_t tag)
{
	uint32_t v[4];

	v[0] = htole32(length);
	v[1] = htole32(MUX_VERSION);
	v[2] = htole32(MUX_PLIST);
	v[3] = htole32(tag);
	memcpy(h, v, sizeof(v));
}

/*
 * Sends plist as a usbmux answer with tag, or misbehaves as the mode
 * says.  Returns 0 to go on with the connection, -1 to close it.
 */
static int
mux_send(const struct fake *fk, int fd, uint32_t tag, plist_t plist)
{
	static const char garbage[] = "this is not a property list <dict>";
	unsigned char h[MUX_HEADER];
	char *xml = NULL;
	uint32_t len = 0;
	int r;

	switch (fk->mode) {
	case FAKE_MUX_MALFORMED:
		mux_header(h, MUX_HEADER + sizeof(garbage) - 1, tag);
		if (write_full(fd, h, sizeof(h)) != 0)
			return -1;
		return write_full(fd, garbage, sizeof(garbage) - 1);
	case FAKE_MUX_TRUNCATED:
		mux_header(h, MUX_HEADER + 200, tag);
		(void)write_full(fd, h, sizeof(h));
		(void)write_full(fd, "<?xml version=\"1.0\"?><plist>", 28);
		return -1;
	case FAKE_MUX_HUGE:
		mux_header(h, 0xffffffffU, tag);
		(void)write_full(fd, h, sizeof(h));
		(void)write_full(fd, "<?xml", 5);
		return -1;
	case FAKE_MUX_SILENT:
		stay_silent(fd);
		return -1;
	default:
		break;
	}
	plist_to_xml(plist, &xml, &len);
	if (xml == NULL)
		return -1;
	mux_header(h, MUX_HEADER + len, tag);
	r = write_full(fd, h, sizeof(h)) == 0 &&
	    write_full(fd, xml, len) == 0 ? 0 : -1;
	free(xml);
	return r;
}

static int
mux_result(const struct fake *fk, int fd, uint32_t tag, uint64_t number)
{
	plist_t p = plist_new_dict();
	int r;

	plist_dict_set_item(p, "MessageType", plist_new_string("Result"));
	plist_dict_set_item(p, "Number", plist_new_uint(number));
	r = mux_send(fk, fd, tag, p);
	plist_free(p);
	return r;
}

static plist_t
device_record(uint64_t id, const char *serial)
{
	plist_t d = plist_new_dict(), props = plist_new_dict();

	plist_dict_set_item(props, "ConnectionSpeed",
	    plist_new_uint(480000000));
	plist_dict_set_item(props, "ConnectionType", plist_new_string("USB"));
	plist_dict_set_item(props, "DeviceID", plist_new_uint(id));
	plist_dict_set_item(props, "LocationID", plist_new_uint(0x01100000));
	plist_dict_set_item(props, "ProductID", plist_new_uint(0x12a8));
	plist_dict_set_item(props, "SerialNumber", plist_new_string(serial));
	plist_dict_set_item(d, "DeviceID", plist_new_uint(id));
	plist_dict_set_item(d, "MessageType", plist_new_string("Attached"));
	plist_dict_set_item(d, "Properties", props);
	return d;
}

static int
mux_list_devices(const struct fake *fk, int fd, uint32_t tag)
{
	plist_t p = plist_new_dict(), list = plist_new_array();
	int r;

	if (fk->mode != FAKE_NO_DEVICE) {
		plist_array_append_item(list, device_record(1,
		    FAKE_OTHER_SERIAL));
		plist_array_append_item(list, device_record(FAKE_DEVICE_ID,
		    FAKE_SERIAL));
	}
	plist_dict_set_item(p, "DeviceList", list);
	r = mux_send(fk, fd, tag, p);
	plist_free(p);
	return r;
}

static void lockdownd_serve(const struct fake *, int);

/*
 * Writes the descriptors the peer on fd holds open (from /proc, found by
 * SO_PEERCRED) to fk->fdlog as "0 1 2 3 4\n", sorted.
 */
static void
log_peer_fds(const struct fake *fk, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char path[64], line[512], *end;
	struct dirent *de;
	int have[256] = { 0 }, out;
	long n;
	size_t used = 0, i;
	DIR *dp;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return;
	(void)snprintf(path, sizeof(path), "/proc/%d/fd", (int)cred.pid);
	if ((dp = opendir(path)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		n = strtol(de->d_name, &end, 10);
		if (end != de->d_name && *end == '\0' && n >= 0 && n < 256)
			have[n] = 1;
	}
	(void)closedir(dp);
	line[0] = '\0';
	for (i = 0; i < 256 && used < sizeof(line) - 8; i++)
		if (have[i])
			used += (size_t)snprintf(line + used,
			    sizeof(line) - used, "%s%zu", used ? " " : "", i);
	if ((out = open(fk->fdlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return;
	line[used++] = '\n';
	if (write(out, line, used) != (ssize_t)used)
		_exit(2);
	(void)close(out);
}

/* One usbmux request; returns -1 when the connection is done. */
static int
mux_request(const struct fake *fk, int fd, uint32_t tag, plist_t req)
{
	plist_t n;
	char *type = NULL;
	uint64_t dev = 0, port = 0;
	int r;

	if ((n = plist_dict_get_item(req, "MessageType")) != NULL &&
	    plist_get_node_type(n) == PLIST_STRING)
		plist_get_string_val(n, &type);
	if (type == NULL) {
		fake_log(fk, "mux ?");
		return mux_result(fk, fd, tag, MUX_BADCOMMAND);
	}
	if (strcmp(type, "Connect") == 0) {
		if ((n = plist_dict_get_item(req, "DeviceID")) != NULL)
			plist_get_uint_val(n, &dev);
		if ((n = plist_dict_get_item(req, "PortNumber")) != NULL)
			plist_get_uint_val(n, &port);
		fake_log(fk, "mux Connect DeviceID=%llu PortNumber=%llu",
		    (unsigned long long)dev, (unsigned long long)port);
		log_peer_fds(fk, fd);
	} else
		fake_log(fk, "mux %s", type);
	if (strcmp(type, "ListDevices") == 0)
		r = mux_list_devices(fk, fd, tag);
	else if (strcmp(type, "Connect") == 0) {
		if (fk->mode == FAKE_CONNECT_REFUSED)
			r = mux_result(fk, fd, tag, MUX_CONNREFUSED);
		else if (dev != FAKE_DEVICE_ID || port != 0x7ef2)
			r = mux_result(fk, fd, tag, MUX_BADDEV);
		else if ((r = mux_result(fk, fd, tag, MUX_RESULT_OK)) == 0) {
			lockdownd_serve(fk, fd);
			r = -1;
		}
	} else if (strcmp(type, "Listen") == 0)
		r = mux_result(fk, fd, tag, MUX_RESULT_OK);
	else if (strcmp(type, "ReadBUID") == 0) {
		plist_t p = plist_new_dict();

		plist_dict_set_item(p, "BUID", plist_new_string(
		    "5F0D5A7C-0C4B-4B1E-9C39-3C0F8D6E2A11"));
		r = mux_send(fk, fd, tag, p);
		plist_free(p);
	} else if (strcmp(type, "ReadPairRecord") == 0)
		r = mux_result(fk, fd, tag, MUX_BADDEV);
	else
		r = mux_result(fk, fd, tag, MUX_BADCOMMAND);
	free(type);
	return r;
}

static void
mux_serve(const struct fake *fk, int fd)
{
	unsigned char h[MUX_HEADER];
	uint32_t v[4];
	char *body;
	plist_t req;

	for (;;) {
		if (read_full(fd, h, sizeof(h)) != 0)
			return;
		memcpy(v, h, sizeof(v));
		v[0] = le32toh(v[0]);
		if (v[0] < MUX_HEADER || v[0] > FRAME_MAX)
			return;
		if ((body = malloc(v[0] - MUX_HEADER + 1)) == NULL)
			return;
		if (read_full(fd, body, v[0] - MUX_HEADER) != 0) {
			free(body);
			return;
		}
		req = NULL;
		plist_from_xml(body, v[0] - MUX_HEADER, &req);
		free(body);
		if (req == NULL) {
			fake_log(fk, "mux ?");
			return;
		}
		if (mux_request(fk, fd, le32toh(v[3]), req) != 0) {
			plist_free(req);
			return;
		}
		plist_free(req);
	}
}

/* ---- lockdownd ---- */

static void
set_string(plist_t d, const char *key, const char *val)
{
	plist_dict_set_item(d, key, plist_new_string(val));
}

/* The value of key for the mode; NULL: answer Error MissingValue. */
static plist_t
lockdownd_value(const struct fake *fk, const char *key)
{
	char longv[301];

	memset(longv, 'A', 300);
	longv[300] = '\0';
	if (strcmp(key, "UniqueDeviceID") == 0) {
		if (fk->mode == FAKE_BAD_UDID)
			return plist_new_string("not-a-udid\x1b[0m");
		if (fk->mode == FAKE_OTHER_UDID)
			return plist_new_string(FAKE_OTHER_SERIAL);
		return plist_new_string(FAKE_UDID);
	}
	if (strcmp(key, "ProductType") == 0)
		return plist_new_string(fk->mode == FAKE_LONG_TYPE ? longv :
		    "iPhone14,2");
	if (strcmp(key, "ProductVersion") == 0)
		return fk->mode == FAKE_WRONG_TYPE ? plist_new_uint(17) :
		    plist_new_string("17.4.1");
	if (strcmp(key, "DeviceClass") == 0)
		return plist_new_string("iPhone");
	if (strcmp(key, "DeviceName") == 0) {
		if (fk->mode == FAKE_NO_NAME)
			return NULL;
		if (fk->mode == FAKE_LONG_NAME) {
			/* 300 bytes: "é" (2 bytes) astride the 128-byte cut */
			memcpy(longv + 127, "\xc3\xa9", 2);
			return plist_new_string(longv);
		}
		return plist_new_string("Jo's iPhone");
	}
	return NULL;
}

/* Frames body as lockdownd does: 4-byte big-endian length, body. */
static int
lockdownd_frame(int fd, const char *body, uint32_t len)
{
	uint32_t be = htobe32(len);

	if (write_full(fd, &be, sizeof(be)) != 0)
		return -1;
	return write_full(fd, body, len);
}

/* Sends answer per the mode; -1 to close the connection. */
static int
lockdownd_send(const struct fake *fk, int fd, plist_t answer,
    const char *hostile_xml)
{
	static const char garbage[] = "<?xml version=\"1.0\"?><plist><dict>"
	    "<key>Request</key><string>GetValue</str";
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	char *body = NULL, *nul;
	uint32_t len = 0, i, be;
	int r;

	switch (fk->mode) {
	case FAKE_LD_MALFORMED:
		return lockdownd_frame(fd, garbage, sizeof(garbage) - 1);
	case FAKE_LD_TRUNCATED:
		be = htobe32(400);
		(void)write_full(fd, &be, sizeof(be));
		(void)write_full(fd, garbage, 40);
		return -1;
	case FAKE_LD_HUGE:
		be = htobe32(0xfffffff0U);
		(void)write_full(fd, &be, sizeof(be));
		(void)write_full(fd, garbage, 40);
		return -1;
	case FAKE_LD_SILENT:
		stay_silent(fd);
		return -1;
	default:
		break;
	}
	if (hostile_xml != NULL)
		body = strdup(hostile_xml), len = (uint32_t)strlen(hostile_xml);
	else if (fk->mode == FAKE_BINARY || fk->mode == FAKE_LD_NUL)
		plist_to_bin(answer, &body, &len);
	else
		plist_to_xml(answer, &body, &len);
	if (body == NULL)
		return -1;
	/* U+017B, which made Request a UTF-16 string, becomes U+0000. */
	if (fk->mode == FAKE_LD_NUL && (nul = memmem(body, len, "\x01\x7b",
	    2)) != NULL)
		memset(nul, 0, 2);
	if (fk->mode == FAKE_LD_TRICKLE) {
		be = htobe32(len);
		r = write_full(fd, &be, sizeof(be));
		for (i = 0; r == 0 && i < len; i++) {
			(void)nanosleep(&tick, NULL);
			r = write_full(fd, body + i, 1);
		}
	} else
		r = lockdownd_frame(fd, body, len);
	free(body);
	return r;
}

/* The answer to GetValue key, as the mode has it. */
static int
lockdownd_get_value(const struct fake *fk, int fd, const char *key)
{
	static const char hostile[] = "<?xml version=\"1.0\" encoding="
	    "\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
	    "<key>Key</key><string>DeviceName</string>"
	    "<key>Request</key><string>GetValue</string>"
	    "<key>Value</key><string>" HOSTILE_NAME_XML "</string>"
	    "</dict></plist>\n";
	plist_t a = plist_new_dict(), v;
	int r;

	set_string(a, "Key", key);
	if (fk->mode == FAKE_LD_WRONG_REPLY)
		set_string(a, "Request", "QueryType");
	else if (fk->mode == FAKE_LD_NUL)
		set_string(a, "Request", "GetValue\xc5\xbb");
	else
		set_string(a, "Request", "GetValue");
	if ((v = lockdownd_value(fk, key)) != NULL)
		plist_dict_set_item(a, "Value", v);
	else
		set_string(a, "Error", "MissingValue");
	r = lockdownd_send(fk, fd, a, fk->mode == FAKE_HOSTILE_NAME &&
	    strcmp(key, "DeviceName") == 0 ? hostile : NULL);
	plist_free(a);
	return r;
}

/* One lockdownd request; -1 when the connection is done. */
static int
lockdownd_request(const struct fake *fk, int fd, plist_t req)
{
	plist_t n, a;
	char *request = NULL, *key = NULL;
	int r;

	if ((n = plist_dict_get_item(req, "Request")) != NULL &&
	    plist_get_node_type(n) == PLIST_STRING)
		plist_get_string_val(n, &request);
	if ((n = plist_dict_get_item(req, "Key")) != NULL &&
	    plist_get_node_type(n) == PLIST_STRING)
		plist_get_string_val(n, &key);
	if (request != NULL && strcmp(request, "GetValue") == 0)
		fake_log(fk, "lockdownd GetValue %s", key ? key : "(all)");
	else
		fake_log(fk, "lockdownd %s", request ? request : "?");
	if (request != NULL && strcmp(request, "GetValue") == 0 &&
	    key != NULL)
		r = lockdownd_get_value(fk, fd, key);
	else {
		a = plist_new_dict();
		set_string(a, "Request", request ? request : "");
		if (request != NULL && strcmp(request, "QueryType") == 0)
			set_string(a, "Type", "com.apple.mobile.lockdown");
		else
			set_string(a, "Error", "InvalidHostID");
		r = lockdownd_send(fk, fd, a, NULL);
		plist_free(a);
	}
	free(request);
	free(key);
	return r;
}

static void
lockdownd_serve(const struct fake *fk, int fd)
{
	uint32_t be, len;
	char *body;
	plist_t req;

	for (;;) {
		if (read_full(fd, &be, sizeof(be)) != 0)
			return;
		if ((len = be32toh(be)) == 0 || len > FRAME_MAX)
			return;
		if ((body = malloc(len)) == NULL)
			return;
		if (read_full(fd, body, len) != 0) {
			free(body);
			return;
		}
		req = NULL;
		if (len > 8 && memcmp(body, "bplist00", 8) == 0)
			plist_from_bin(body, len, &req);
		else
			plist_from_xml(body, len, &req);
		free(body);
		if (req == NULL) {
			fake_log(fk, "lockdownd ?");
			return;
		}
		if (lockdownd_request(fk, fd, req) != 0) {
			plist_free(req);
			return;
		}
		plist_free(req);
	}
}

/* ---- the process ---- */

static void __attribute__((noreturn))
fake_main(int lfd, const struct fake *fk)
{
	int fd;

	(void)signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		mux_serve(fk, fd);
		(void)close(fd);
	}
}

int
fake_usbmuxd_start(struct fake_usbmuxd *f, const char *dir,
    enum fake_mode mode)
{
	struct sockaddr_un sun;
	struct fake fk;
	int lfd, n, e;

	memset(f, 0, sizeof(*f));
	f->pid = -1;
	n = snprintf(f->dir, sizeof(f->dir), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(f->dir))
		return errno = ENAMETOOLONG, -1;
	(void)snprintf(f->sock, sizeof(f->sock), "%s/usbmuxd.sock", dir);
	(void)snprintf(f->log, sizeof(f->log), "%s/requests.log", dir);
	(void)snprintf(f->fdlog, sizeof(f->fdlog), "%s/peer-fds", dir);
	(void)snprintf(f->address, sizeof(f->address), "UNIX:%s", f->sock);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(f->sock) >= sizeof(sun.sun_path))
		return errno = ENAMETOOLONG, -1;
	memcpy(sun.sun_path, f->sock, strlen(f->sock));
	fk.mode = mode;
	fk.fdlog = f->fdlog;
	if ((fk.logfd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0600)) < 0)
		return -1;
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(lfd, 8) != 0 || (f->pid = fork()) < 0) {
		e = errno;
		if (lfd >= 0)
			(void)close(lfd);
		(void)close(fk.logfd);
		return errno = e, -1;
	}
	if (f->pid == 0)
		fake_main(lfd, &fk);
	(void)close(lfd);
	(void)close(fk.logfd);
	return 0;
}

void
fake_usbmuxd_stop(struct fake_usbmuxd *f)
{
	if (f->pid > 0) {
		(void)kill(f->pid, SIGKILL);
		while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
			;
		f->pid = -1;
	}
	if (f->sock[0] != '\0')
		(void)unlink(f->sock);
	if (f->log[0] != '\0')
		(void)unlink(f->log);
	if (f->fdlog[0] != '\0')
		(void)unlink(f->fdlog);
}

ssize_t
fake_usbmuxd_log(const struct fake_usbmuxd *f, char *buf, size_t buflen)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	if (buflen == 0 || (fd = open(f->log, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (got < buflen - 1 && (n = read(fd, buf + got,
	    buflen - 1 - got)) > 0)
		got += (size_t)n;
	(void)close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}
