/*
 * usbmon.c -- custodyd's side of the USB monitor (see daemon/usbmon.h):
 * start custody-usbwatch, check what it says, record it, and keep the
 * list of what is plugged in for custody device list --detected,
 * device register --port and custody status.
 *
 * The list lives only in memory: after a restart the helper reports
 * again what is plugged in (LIBUSB_HOTPLUG_ENUMERATE), and each such
 * device is recorded again, marked "at_start", because nobody can know
 * what was plugged and unplugged while the daemon was down.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "daemon/daemon.h"
#include "daemon/usbmon.h"

/* A device plugged in now. */
struct plugged {
	int		 used;
	char		 port[USBMON_PORT_MAX];
	int		 devnum;
	json_t		*identity;	/* NULL if refused */
	char		 kind[16];	/* phone, tablet, not_phone, refused */
	char		 device[32];	/* registered as, or "" */
	uint64_t	 seq;		/* device.detected or device.seen */
	int64_t		 at;		/* realtime ms */
};

/*
 * A helper taken over could flood the daemon (and the log).  Each wake-up
 * reads at most USBMON_BATCH messages, so clients are served in between;
 * more than USBMON_RATE messages in USBMON_RATE_MS stops the helper.  A
 * person unplugging and plugging phones as fast as hands allow stays far
 * below (the 200-arrival storm test sends 400 in a few seconds).
 */
#define USBMON_BATCH	16
#define USBMON_RATE	600
#define USBMON_RATE_MS	60000

struct usbmon {
	int		 fd;		/* -1: no helper */
	int64_t		 window;	/* start of the rate window, mono ms */
	unsigned int	 in_window;	/* messages in it */
	pid_t		 pid;
	int		 ready;		/* the devices present at start are in */
	int		 ios;
	char		 state[16];	/* starting, running, stopped, off */
	char		 why[256];	/* why it stopped */
	uint64_t	 arrivals;
	uint64_t	 departures;
	uint64_t	 rejected;	/* messages refused by usbmon_check */
	struct plugged	 plugged[USBMON_MAX_PRESENT];
};

/* ---- the shape of a helper message ---- */

static int
port_ok(const char *p)
{
	size_t i, n = strlen(p);
	int dash = 0;

	if (n == 0 || n >= USBMON_PORT_MAX || p[0] < '1' || p[0] > '9')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '-')
			dash++;
		else if (!(p[i] >= '0' && p[i] <= '9') && p[i] != '.')
			return 0;
	}
	return dash == 1 && p[n - 1] != '-' && p[n - 1] != '.';
}

static int
hex_ok(const json_t *v, size_t len)
{
	const char *s = json_string_value(v);
	size_t i;

	if (s == NULL || json_string_length(v) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/* Every string in v, at any depth, at most max bytes; depth at most 4. */
static int
strings_ok(const json_t *v, size_t max, int depth)
{
	const char *k;
	json_t *x;
	size_t i;

	if (depth > 4)
		return 0;
	if (json_is_string(v))
		return json_string_length(v) <= max;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if (strlen(k) > 64 || !strings_ok(x, max, depth + 1))
				return 0;
		return 1;
	}
	if (json_is_array(v)) {
		if (json_array_size(v) > 64)
			return 0;
		json_array_foreach(v, i, x)
			if (!strings_ok(x, max, depth + 1))
				return 0;
		return 1;
	}
	return 1;
}

static const char *
kind_of(const json_t *identity)
{
	return json_string_value(json_object_get(json_object_get(identity,
	    "classification"), "kind"));
}

int
usbmon_check(const json_t *msg, char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	const char *port = json_string_value(json_object_get(msg, "port"));
	const char *kind;
	json_t *v, *dn = json_object_get(msg, "devnum");

	if (!json_is_object(msg) || type == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "not an object with a type");
	if (strcmp(type, "ready") == 0)
		return json_is_integer(json_object_get(msg, "present")) ? 0 :
		    custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "ready without a count");
	if (strcmp(type, "error") == 0)
		return json_is_string(v = json_object_get(msg, "message")) &&
		    json_string_length(v) <= 512 ? 0 : custody_fail(err, errlen,
		    CUSTODY_ERR_INVAL, "error without a short message");
	if (port == NULL || !port_ok(port))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s: no port, or not a port path", type);
	if (!json_is_integer(dn) || json_integer_value(dn) < 1 ||
	    json_integer_value(dn) > 255)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s: devnum is not 1 to 255", type);
	if (strcmp(type, "left") == 0)
		return 0;
	if (strcmp(type, "refused") == 0) {
		if (json_object_get(msg, "identity") != NULL)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "refused with an identity");
		return json_is_string(v = json_object_get(msg, "reason")) &&
		    json_string_length(v) <= 512 ? 0 : custody_fail(err, errlen,
		    CUSTODY_ERR_INVAL, "refused without a short reason");
	}
	if (strcmp(type, "ios") == 0)
		return json_is_object(v = json_object_get(msg, "ios")) ||
		    json_is_string(json_object_get(msg, "error")) ?
		    (strings_ok(msg, 1024, 0) ? 0 : custody_fail(err, errlen,
		    CUSTODY_ERR_INVAL, "ios: a value is too long")) :
		    custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "ios without values or an error");
	if (strcmp(type, "arrived") != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "unknown type '%.20s'", type);
	v = json_object_get(msg, "identity");
	if (!json_is_object(v) || !hex_ok(json_object_get(v, "vendor_id"), 4) ||
	    !hex_ok(json_object_get(v, "product_id"), 4))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "arrived: no identity with vendor and product ids");
	kind = kind_of(v);
	if (kind == NULL || (strcmp(kind, "phone") != 0 &&
	    strcmp(kind, "tablet") != 0 && strcmp(kind, "not_phone") != 0))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "arrived: no classification");
	/* Hex of USB_STR_MAX bytes is 256; the reason line is 192. */
	if (!strings_ok(v, 256, 0))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "arrived: a string is too long or nested too deep");
	return 0;
}

/* ---- starting and stopping the helper ---- */

int
usbmon_start(struct daemon *d, const char *path, int ios, char *err,
    size_t errlen)
{
	struct usbmon *m;
	char *argv[4];
	int sv[2], argc = 0;
	pid_t pid;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_NOMEM,
		    "out of memory");
	m->fd = -1;
	m->ios = ios;
	(void)snprintf(m->state, sizeof(m->state), "stopped");
	d->usb = m;
	if (access(path, X_OK) == -1) {
		(void)snprintf(m->why, sizeof(m->why), "cannot run %s: %s",
		    path, strerror(errno));
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "%s", m->why);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		(void)snprintf(m->why, sizeof(m->why), "socketpair: %s",
		    strerror(errno));
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "%s", m->why);
	}
	argv[argc++] = (char *)path;
	if (ios)
		argv[argc++] = "--ios-lockdown";
	argv[argc] = NULL;
	if ((pid = fork()) == -1) {
		(void)snprintf(m->why, sizeof(m->why), "fork: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "%s", m->why);
	}
	if (pid == 0) {
		sigset_t none;

		/* custodyd blocks these for its signalfd; the helper not. */
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		/*
		 * dup2 clears close-on-exec on descriptor 3; if the socket
		 * already is 3 (custodyd started with 0-2 closed), fcntl does.
		 */
		if (sv[1] == USBMON_FD ? fcntl(sv[1], F_SETFD, 0) == 0 :
		    dup2(sv[1], USBMON_FD) == USBMON_FD)
			execv(path, argv);
		_exit(127);
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	m->fd = sv[0];
	m->pid = pid;
	(void)snprintf(m->state, sizeof(m->state), "starting");
	m->why[0] = '\0';
	return 0;
}

int
usbmon_fd(const struct daemon *d)
{
	return d->usb != NULL ? d->usb->fd : -1;
}

static void
plugged_clear(struct plugged *p)
{
	json_decref(p->identity);
	memset(p, 0, sizeof(*p));
}

/* The helper is gone, or must go: close, kill if need be, reap. */
static void
usbmon_end(struct usbmon *m, const char *why)
{
	int st = 0, i;
	pid_t r = 0;

	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	/* EOF comes as it exits; give it a moment, then make sure. */
	for (i = 0; m->pid > 0 && i < 50; i++) {
		if ((r = waitpid(m->pid, &st, WNOHANG)) != 0)
			break;
		(void)usleep(10000);
	}
	if (m->pid > 0 && r == 0) {
		/*
		 * Bounded too: a process stuck in the kernel (a wedged USB
		 * device) is left a zombie rather than stall the daemon.
		 */
		(void)kill(m->pid, SIGKILL);
		for (i = 0; i < 50; i++) {
			if ((r = waitpid(m->pid, &st, WNOHANG)) != 0)
				break;
			(void)usleep(10000);
		}
	}
	if (m->why[0] == '\0') {
		if (m->pid > 0 && r > 0 && WIFSIGNALED(st))
			(void)snprintf(m->why, sizeof(m->why), "%s (killed "
			    "by signal %d%s)", why, WTERMSIG(st),
			    WTERMSIG(st) == SIGSYS ? ", a forbidden system "
			    "call" : "");
		else if (m->pid > 0 && r > 0 && WIFEXITED(st))
			(void)snprintf(m->why, sizeof(m->why), "%s (exit "
			    "status %d%s)", why, WEXITSTATUS(st),
			    WEXITSTATUS(st) == 127 ? ": it could not be started" :
			    "");
		else
			(void)snprintf(m->why, sizeof(m->why), "%s", why);
	}
	m->pid = 0;
	(void)snprintf(m->state, sizeof(m->state), "stopped");
}

void
usbmon_stop(struct daemon *d)
{
	struct usbmon *m = d->usb;
	size_t i;

	if (m == NULL)
		return;
	if (m->fd != -1)
		usbmon_end(m, "custodyd stopped");
	for (i = 0; i < USBMON_MAX_PRESENT; i++)
		plugged_clear(&m->plugged[i]);
	free(m);
	d->usb = NULL;
}

/* ---- recording ---- */

/* One event in a transaction of its own; seq of it, or 0 on failure. */
static uint64_t
record(struct daemon *d, const char *action, const char *device,
    const char *port, json_t *data)
{
	json_t *actor, *subject;
	char err[256] = "";
	uint64_t seq = 0;
	int e;

	actor = json_pack("{s:s, s:s, s:I}", "user", "usb-monitor", "role",
	    "system", "uid", (json_int_t)getuid());
	subject = port != NULL ? json_pack("{s:s}", "usb_port", port) :
	    json_object();
	if (device != NULL && device[0] != '\0' && subject != NULL)
		json_object_set_new(subject, "device", json_string(device));
	if (actor == NULL || subject == NULL || data == NULL) {
		dlog("usb: cannot record %s at %s: out of memory", action,
		    port ?: "-");
		goto out;
	}
	if ((e = custody_log_begin(d->log)) != 0) {
		dlog("usb: cannot record %s at %s: %s", action, port ?: "-",
		    custody_strerror(e));
		goto out;
	}
	if ((e = custody_log_append(d->log, action, actor, subject, data,
	    &seq)) != 0 || (e = custody_log_commit(d->log, err,
	    sizeof(err))) != 0) {
		custody_log_abort(d->log);
		dlog("usb: cannot record %s at %s: %s", action, port ?: "-",
		    err[0] ? err : custody_strerror(e));
		seq = 0;
	}
out:
	json_decref(actor);
	json_decref(subject);
	json_decref(data);
	return seq;
}

/* The open device registered with this identity's vendor, product, serial. */
static void
registered_as(struct daemon *d, const json_t *identity, char *id, size_t len)
{
	const char *serial = json_string_value(json_object_get(identity,
	    "serial"));
	json_t *rows = NULL, *params;

	id[0] = '\0';
	if (serial == NULL || serial[0] == '\0')
		return;
	params = json_pack("[O, O, s]", json_object_get(identity, "vendor_id"),
	    json_object_get(identity, "product_id"), serial);
	if (params != NULL && store_sql(d->st, "SELECT id FROM devices WHERE "
	    "usb_vendor = ? AND usb_product = ? AND usb_serial = ? AND "
	    "closed_at IS NULL ORDER BY n DESC LIMIT 1", params, &rows) == 0 &&
	    json_is_string(json_object_get(json_array_get(rows, 0), "id")))
		(void)snprintf(id, len, "%s", json_string_value(json_object_get(
		    json_array_get(rows, 0), "id")));
	json_decref(params);
	json_decref(rows);
}

static struct plugged *
plugged_find(struct usbmon *m, const char *port, int devnum)
{
	size_t i;

	for (i = 0; i < USBMON_MAX_PRESENT; i++)
		if (m->plugged[i].used && strcmp(m->plugged[i].port, port) == 0 &&
		    (devnum == 0 || m->plugged[i].devnum == devnum))
			return &m->plugged[i];
	return NULL;
}

static void	on_left(struct daemon *, const char *, int);

static void
on_arrived(struct daemon *d, json_t *msg, const char *port, int devnum)
{
	struct usbmon *m = d->usb;
	struct plugged *p;
	json_t *identity = NULL, *data;
	const char *reason = json_string_value(json_object_get(msg, "reason"));
	size_t i;

	/* usbmon_check has seen an identity only in an arrival. */
	if (strcmp(json_string_value(json_object_get(msg, "type")),
	    "arrived") == 0)
		identity = json_object_get(msg, "identity");
	/* Told twice of the same plug-in: once is recorded. */
	if (plugged_find(m, port, devnum) != NULL)
		return;
	/* The same port again without a departure: that one left. */
	if ((p = plugged_find(m, port, 0)) != NULL)
		on_left(d, port, p->devnum);
	for (i = 0, p = NULL; i < USBMON_MAX_PRESENT && p == NULL; i++)
		if (!m->plugged[i].used)
			p = &m->plugged[i];
	if (p == NULL) {
		dlog("usb: over %d devices plugged in; %s not recorded",
		    USBMON_MAX_PRESENT, port);
		return;
	}
	m->arrivals++;
	p->used = 1;
	(void)snprintf(p->port, sizeof(p->port), "%s", port);
	p->devnum = devnum;
	p->at = daemon_now_ms();
	data = json_pack("{s:s, s:i, s:b}", "port", port, "devnum", devnum,
	    "at_start", !m->ready);
	if (identity != NULL) {
		p->identity = json_incref(identity);
		(void)snprintf(p->kind, sizeof(p->kind), "%s",
		    kind_of(identity));
		registered_as(d, identity, p->device, sizeof(p->device));
		if (data != NULL)
			json_object_set(data, "identity", identity);
	} else {
		(void)snprintf(p->kind, sizeof(p->kind), "refused");
		if (data != NULL)
			json_object_set_new(data, "refused",
			    json_string(reason));
	}
	p->seq = record(d, p->device[0] ? "device.seen" : "device.detected",
	    p->device, port, data);
	if (p->seq != 0)
		dlog("usb: %s at %s (%s%s%s), event %llu", p->device[0] ?
		    "seen" : "detected", port, p->kind, p->device[0] ?
		    ", " : "", p->device, (unsigned long long)p->seq);
}

static void
on_ios(struct daemon *d, json_t *msg, const char *port, int devnum)
{
	struct plugged *p = plugged_find(d->usb, port, devnum);
	json_t *data;

	if (p == NULL)
		return;
	data = json_pack("{s:s, s:i, s:I}", "port", port, "devnum", devnum,
	    "detected_seq", (json_int_t)p->seq);
	if (data != NULL && json_is_object(json_object_get(msg, "ios"))) {
		json_object_set(data, "ios", json_object_get(msg, "ios"));
		if (p->identity != NULL)
			json_object_set(p->identity, "ios",
			    json_object_get(msg, "ios"));
	} else if (data != NULL)
		json_object_set(data, "error", json_object_get(msg, "error"));
	(void)record(d, "device.identified", p->device, port, data);
}

static void
on_left(struct daemon *d, const char *port, int devnum)
{
	struct usbmon *m = d->usb;
	struct plugged *p = plugged_find(m, port, devnum);
	json_t *data;

	if (p == NULL)
		return;
	m->departures++;
	data = json_pack("{s:s, s:i, s:s, s:I}", "port", port, "devnum",
	    devnum, "kind", p->kind, "detected_seq", (json_int_t)p->seq);
	if (data != NULL && p->identity != NULL) {
		json_object_set(data, "vendor_id", json_object_get(p->identity,
		    "vendor_id"));
		json_object_set(data, "product_id",
		    json_object_get(p->identity, "product_id"));
	}
	if (record(d, "device.unplugged", p->device, port, data) != 0)
		dlog("usb: unplugged from %s", port);
	plugged_clear(p);
}

static void
on_message(struct daemon *d, const char *buf, size_t len)
{
	struct usbmon *m = d->usb;
	json_error_t je;
	json_t *msg;
	const char *type, *port;
	char err[256];
	int devnum;

	msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (msg == NULL || usbmon_check(msg, err, sizeof(err)) != 0) {
		m->rejected++;
		dlog("usb: refused a message from the USB monitor: %s",
		    msg == NULL ? je.text : err);
		json_decref(msg);
		return;
	}
	type = json_string_value(json_object_get(msg, "type"));
	port = json_string_value(json_object_get(msg, "port"));
	devnum = (int)json_integer_value(json_object_get(msg, "devnum"));
	if (strcmp(type, "ready") == 0) {
		m->ready = 1;
		(void)snprintf(m->state, sizeof(m->state), "running");
		dlog("usb: watching; %lld devices plugged in",
		    (long long)json_integer_value(json_object_get(msg,
		    "present")));
	} else if (strcmp(type, "error") == 0) {
		(void)snprintf(m->why, sizeof(m->why), "the USB monitor "
		    "said: %s", json_string_value(json_object_get(msg,
		    "message")));
		dlog("usb: the USB monitor failed: %s", m->why);
	} else if (strcmp(type, "arrived") == 0 ||
	    strcmp(type, "refused") == 0)
		on_arrived(d, msg, port, devnum);
	else if (strcmp(type, "ios") == 0)
		on_ios(d, msg, port, devnum);
	else
		on_left(d, port, devnum);
	json_decref(msg);
}

/*
 * The helper is gone or stopped: said in the log (with what was plugged
 * in, which nobody can vouch for any more), in the journal and in custody
 * status.
 */
static void
usbmon_stopped(struct daemon *d, const char *why)
{
	struct usbmon *m = d->usb;
	json_t *ports = json_array();
	size_t i;

	usbmon_end(m, why);
	dlog("usb: %s; plug-ins are no longer recorded until custodyd "
	    "restarts", m->why);
	for (i = 0; i < USBMON_MAX_PRESENT; i++) {
		if (m->plugged[i].used && ports != NULL)
			json_array_append_new(ports,
			    json_string(m->plugged[i].port));
		plugged_clear(&m->plugged[i]);
	}
	(void)record(d, "usb.monitor_stopped", NULL, NULL, json_pack(
	    "{s:s, s:o?}", "why", m->why, "plugged", ports));
}

void
usbmon_read(struct daemon *d)
{
	struct usbmon *m = d->usb;
	int64_t now = daemon_mono_ms();
	char *buf;
	ssize_t n;
	int k;

	if (m == NULL || m->fd == -1)
		return;
	if ((buf = malloc(USBMON_MAX_MSG + 1)) == NULL)
		return;		/* poll will say again */
	if (now - m->window >= USBMON_RATE_MS) {
		m->window = now;
		m->in_window = 0;
	}
	for (k = 0; k < USBMON_BATCH; k++) {
		n = recv(m->fd, buf, USBMON_MAX_MSG + 1, MSG_DONTWAIT |
		    MSG_TRUNC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			usbmon_stopped(d, n == 0 ? "the USB monitor exited" :
			    strerror(errno));
			break;
		}
		if (++m->in_window > USBMON_RATE) {
			usbmon_stopped(d, "the USB monitor sent more than 600 "
			    "messages in a minute; it was stopped");
			break;
		}
		if (n > USBMON_MAX_MSG) {
			m->rejected++;
			dlog("usb: refused a message of %zd bytes from the USB "
			    "monitor", n);
			continue;
		}
		on_message(d, buf, (size_t)n);
	}
	free(buf);
}

/* ---- for the handlers ---- */

static json_t *
plugged_json(const struct plugged *p)
{
	static const char *const keys[] = { "vendor_id", "product_id",
	    "serial", "serial_hex", "manufacturer", "manufacturer_hex",
	    "product", "product_hex", NULL };
	json_t *o, *v, *ios;
	size_t i;

	o = json_pack("{s:s, s:i, s:s, s:I, s:I}", "port", p->port, "devnum",
	    p->devnum, "kind", p->kind, "detected_seq", (json_int_t)p->seq,
	    "detected_at", (json_int_t)p->at);
	if (o == NULL)
		return NULL;
	if (p->device[0] != '\0')
		json_object_set_new(o, "device", json_string(p->device));
	for (i = 0; p->identity != NULL && keys[i] != NULL; i++)
		if ((v = json_object_get(p->identity, keys[i])) != NULL)
			json_object_set(o, keys[i], v);
	if (p->identity != NULL && (v = json_object_get(json_object_get(
	    p->identity, "classification"), "reason")) != NULL)
		json_object_set(o, "classification", v);
	if (p->identity != NULL &&
	    (ios = json_object_get(p->identity, "ios")) != NULL)
		json_object_set(o, "ios", ios);
	return o;
}

static int
offerable(const struct plugged *p)
{
	return p->device[0] == '\0' && (strcmp(p->kind, "phone") == 0 ||
	    strcmp(p->kind, "tablet") == 0);
}

json_t *
usbmon_list(const struct daemon *d, int all)
{
	const struct usbmon *m = d->usb;
	json_t *a = json_array();
	size_t i;

	for (i = 0; m != NULL && a != NULL && i < USBMON_MAX_PRESENT; i++)
		if (m->plugged[i].used && (all || offerable(&m->plugged[i])))
			json_array_append_new(a, plugged_json(&m->plugged[i]));
	return a;
}

json_t *
usbmon_status(const struct daemon *d)
{
	const struct usbmon *m = d->usb;
	json_t *o;

	if (m == NULL)
		return json_pack("{s:s}", "state", "off");
	o = json_pack("{s:s, s:I, s:I, s:I, s:o}", "state", m->state,
	    "arrivals", (json_int_t)m->arrivals, "departures",
	    (json_int_t)m->departures, "rejected", (json_int_t)m->rejected,
	    "plugged", usbmon_list(d, 1));
	if (o != NULL && m->why[0] != '\0')
		json_object_set_new(o, "why", json_string(m->why));
	return o;
}

const json_t *
usbmon_find(const struct daemon *d, const char *port, uint64_t *seq,
    char *why, size_t whylen)
{
	struct usbmon *m = d->usb;
	struct plugged *p;

	if (m == NULL) {
		(void)snprintf(why, whylen, "USB detection is off on this "
		    "station (usb_monitor in custody.conf); type the details "
		    "instead of --port");
		return NULL;
	}
	if ((p = plugged_find(m, port, 0)) == NULL) {
		(void)snprintf(why, whylen, "nothing is plugged in at port "
		    "%.40s; see custody device list --detected", port);
		return NULL;
	}
	if (p->device[0] != '\0') {
		(void)snprintf(why, whylen, "the device at port %s is already "
		    "registered as %s", port, p->device);
		return NULL;
	}
	if (!offerable(p)) {
		(void)snprintf(why, whylen, "the device at port %s is not a "
		    "phone or tablet (%s); only phones and tablets are "
		    "registered", port, p->kind);
		return NULL;
	}
	*seq = p->seq;
	return p->identity;
}

void
usbmon_registered(struct daemon *d, const char *port, const char *id)
{
	struct plugged *p;

	if (d->usb != NULL && (p = plugged_find(d->usb, port, 0)) != NULL)
		(void)snprintf(p->device, sizeof(p->device), "%s", id);
}
