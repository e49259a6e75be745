/*
 * custody-usbwatch -- custodyd's USB monitor, a process of its own.
 *
 *	custody-usbwatch [--ios-lockdown] [--lockdown-timeout MS]
 *
 * Started by custodyd (daemon/usbmon.c) with a SOCK_SEQPACKET socket as
 * descriptor 3; the messages it sends there are described in
 * daemon/usbmon.h.  It is the only part of the station that reads what a
 * device says about itself, so it holds nothing worth stealing: no
 * database connection, no key, no session, not even custodyd's memory (it
 * is exec'd, not forked).  Once libusb and libudev are set up, and before
 * it reads the first device, it confines itself to a seccomp allowlist
 * (confine.c): files only opened for reading, no exec.  It runs as
 * custodyd's user, so the filter, not file permissions, is what keeps it
 * from writing the database; reading the state directory is not
 * prevented (a separate user or Landlock would be: not done).
 *
 * Principle 1 (DESIGN section 3): nothing here writes to a device.
 * libusb is used for its hotplug notices only -- no device is opened, no
 * transfer is made -- and identity comes from the attributes the kernel
 * read at enumeration (daemon/usb_udev.c).  The optional iOS step asks
 * usbmuxd for lockdownd's public values without pairing (lockdown.c).
 *
 * One thread of ours; libusb adds its own, which watches udev for it
 * (the seccomp filter covers both).  The loop polls libusb's descriptors
 * and the socket; when custodyd closes its end, the helper exits.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include <jansson.h>
#include <libudev.h>
#include <libusb.h>

#include "common/canon.h"
#include "common/error.h"
#include "daemon/usb_classify.h"
#include "daemon/usb_identity.h"
#include "daemon/usbmon.h"
#include "daemon/usbwatch/usbwatch.h"

#define USAGE	"usage: custody-usbwatch [--ios-lockdown] " \
	"[--lockdown-timeout MS]\n(started by custodyd, not by hand)\n"

/*
 * How long a new device's interfaces may take to appear.  The kernel
 * announces a device before it has configured it and made its
 * interfaces, so the identity is read once the active configuration's
 * bNumInterfaces interfaces are in sysfs, or after this, whichever comes
 * first; until then the device is "settling" and sysfs is looked at again
 * every SETTLE_POLL_MS.
 */
#define SETTLE_MS	1000
#define SETTLE_POLL_MS	5

/* A device plugged in now: how to name it when it leaves. */
struct present {
	uint8_t		 bus;
	uint8_t		 devnum;
	char		 port[USB_PORT_MAX];
	int		 used;
	int		 settling;	/* identity not read yet */
	int64_t		 deadline;	/* for settling, monotonic ms */
};

struct watch {
	struct udev	*udev;
	libusb_context	*usb;
	int		 fd;		/* to custodyd */
	int		 ios;		/* --ios-lockdown */
	int		 ios_timeout;	/* ms */
	int		 dead;		/* custodyd went away */
	struct present	 present[USBMON_MAX_PRESENT];
};

/* close_range(2), or a walk of /proc/self/fd on kernels before 5.9. */
static int
close_from(int first)
{
	DIR *dir;
	struct dirent *de;
	char *end;
	long fd;

	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return 0;
	if ((dir = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		fd = strtol(de->d_name, &end, 10);
		if (*end == '\0' && end != de->d_name && fd >= first &&
		    fd != dirfd(dir))
			(void)close((int)fd);
	}
	closedir(dir);
	return 0;
}

/* Sends one message; a failure means custodyd is gone. */
static void
say(struct watch *w, json_t *msg)
{
	char *text = NULL;
	size_t len = 0;

	if (msg == NULL || w->dead)
		goto out;
	if (canon_encode(msg, &text, &len) != 0 || len > USBMON_MAX_MSG) {
		fprintf(stderr, "custody-usbwatch: a message of %zu bytes "
		    "was dropped\n", len);
		goto out;
	}
	if (send(w->fd, text, len, MSG_NOSIGNAL) == -1)
		w->dead = 1;
out:
	free(text);
	json_decref(msg);
}

/*
 * The kernel's name for a device, "BUS-PORT.PORT...", from libusb's
 * cached topology; 0 for a root hub (no ports), which is not recorded.
 */
static int
port_name(libusb_device *dev, char *out, size_t len)
{
	uint8_t ports[8];
	int n, i, used;

	if ((n = libusb_get_port_numbers(dev, ports, sizeof(ports))) <= 0)
		return 0;
	used = snprintf(out, len, "%u-", libusb_get_bus_number(dev));
	for (i = 0; i < n && used > 0 && (size_t)used < len; i++)
		used += snprintf(out + used, len - (size_t)used, "%s%u",
		    i ? "." : "", ports[i]);
	return used > 0 && (size_t)used < len;
}

static struct present *
present_find(struct watch *w, uint8_t bus, uint8_t devnum)
{
	size_t i;

	for (i = 0; i < USBMON_MAX_PRESENT; i++)
		if (w->present[i].used && w->present[i].bus == bus &&
		    w->present[i].devnum == devnum)
			return &w->present[i];
	return NULL;
}

static json_t *
fact(const char *type, const char *port, uint8_t devnum)
{
	return json_pack("{s:s, s:s, s:i}", "type", type, "port", port,
	    "devnum", (int)devnum);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* bNumInterfaces of the active configuration, or -1 if not (yet) known. */
static long
interfaces_due(struct udev_device *ud)
{
	const char *v = udev_device_get_sysattr_value(ud, "bNumInterfaces");
	char *end;
	long n;

	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	n = strtol(v, &end, 10);
	if (end == v || (*end != '\0' && *end != '\n') || n < 0 || n > 255)
		return -1;
	return n;
}

/*
 * Reads p's identity if it has settled (or must: final), and says what
 * it is: "arrived" with the classified identity, or "refused".  Returns
 * 0 while it is still settling.
 */
static int
identify(struct watch *w, struct present *p, int final)
{
	struct udev_device *ud;
	struct usb_identity id;
	struct usb_verdict v;
	char err[256] = "";
	json_t *msg, *ident = NULL;
	long due = -1;
	int r;

	ud = udev_device_new_from_subsystem_sysname(w->udev, "usb", p->port);
	if (ud == NULL)
		r = custody_fail(err, sizeof(err), CUSTODY_ERR_NOTFOUND,
		    "%s left before its attributes could be read", p->port);
	else {
		r = usb_identity_read_udev(ud, &id, err, sizeof(err));
		due = interfaces_due(ud);
		udev_device_unref(ud);
		/* Another device on the same port: this one has left. */
		if (r == 0 && id.devnum != p->devnum)
			r = custody_fail(err, sizeof(err),
			    CUSTODY_ERR_NOTFOUND, "%s left before its "
			    "attributes could be read", p->port);
	}
	if (!final && mono_ms() < p->deadline && (r != 0 ||
	    (due >= 0 && id.n_ifaces_seen < (size_t)due)))
		return 0;
	p->settling = 0;
	if (r == 0) {
		usb_classify(&id, &v);
		r = usb_identity_to_json(&id, &v, &ident);
	}
	if (r != 0) {
		if ((msg = fact("refused", p->port, p->devnum)) != NULL)
			json_object_set_new(msg, "reason", json_string(err));
		say(w, msg);
		return 1;
	}
	if ((msg = fact("arrived", p->port, p->devnum)) != NULL)
		json_object_set_new(msg, "identity", ident);
	else
		json_decref(ident);
	say(w, msg);
	if (w->ios && v.kind != USB_KIND_NOT_PHONE && v.vendor != NULL &&
	    (v.vendor->flags & USB_VF_APPLE))
		say(w, usbwatch_ios(p->port, p->devnum, &id, w->ios_timeout));
	return 1;
}

/* Looks again at every device still settling. */
static void
settle(struct watch *w)
{
	size_t i;

	for (i = 0; i < USBMON_MAX_PRESENT; i++)
		if (w->present[i].used && w->present[i].settling)
			(void)identify(w, &w->present[i], 0);
}

/* Milliseconds poll may sleep: -1 unless a device is settling. */
static int
settle_timeout(const struct watch *w)
{
	size_t i;

	for (i = 0; i < USBMON_MAX_PRESENT; i++)
		if (w->present[i].used && w->present[i].settling)
			return SETTLE_POLL_MS;
	return -1;
}

static void
arrived(struct watch *w, libusb_device *dev)
{
	struct present *p = NULL;
	char port[USB_PORT_MAX];
	size_t i;

	if (!port_name(dev, port, sizeof(port)))
		return;
	/* libusb may report a device that arrives as it starts twice. */
	if (present_find(w, libusb_get_bus_number(dev),
	    libusb_get_device_address(dev)) != NULL)
		return;
	for (i = 0; i < USBMON_MAX_PRESENT && p == NULL; i++)
		if (!w->present[i].used)
			p = &w->present[i];
	if (p == NULL) {
		fprintf(stderr, "custody-usbwatch: over %d devices plugged "
		    "in; %s is not watched\n", USBMON_MAX_PRESENT, port);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->settling = 1;
	p->bus = libusb_get_bus_number(dev);
	p->devnum = libusb_get_device_address(dev);
	p->deadline = mono_ms() + SETTLE_MS;
	(void)snprintf(p->port, sizeof(p->port), "%s", port);
	(void)identify(w, p, 0);
}

static void
left(struct watch *w, libusb_device *dev)
{
	struct present *p;

	p = present_find(w, libusb_get_bus_number(dev),
	    libusb_get_device_address(dev));
	if (p == NULL)
		return;		/* a root hub, or one we could not watch */
	/* Every arrival is said, even of a device gone before it settled. */
	if (p->settling)
		(void)identify(w, p, 1);
	say(w, fact("left", p->port, p->devnum));
	p->used = 0;
}

static int
hotplug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev,
    void *arg)
{
	struct watch *w = arg;

	(void)ctx;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
		arrived(w, dev);
	else if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT)
		left(w, dev);
	return 0;
}

static int
setup(struct watch *w, char *err, size_t errlen)
{
	libusb_hotplug_callback_handle h;
	int r;

	if ((w->udev = udev_new()) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot use libudev");
	if ((r = libusb_init(&w->usb)) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot use "
		    "libusb: %s (is /dev/bus/usb there?)", libusb_strerror(r));
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG))
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "this libusb cannot report plug-ins");
	/*
	 * Confined before the first device is read: the devices already
	 * plugged in (a station rebooted with phones charging) are as
	 * hostile as any.
	 */
	if ((r = usbwatch_confine(w->ios, err, errlen)) != 0)
		return r;
	/* ENUMERATE: what is plugged in already arrives first. */
	if ((r = libusb_hotplug_register_callback(w->usb,
	    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
	    LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, LIBUSB_HOTPLUG_ENUMERATE,
	    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
	    LIBUSB_HOTPLUG_MATCH_ANY, hotplug, w, &h)) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot "
		    "watch for plug-ins: %s", libusb_strerror(r));
	return 0;
}

static size_t
n_present(const struct watch *w)
{
	size_t i, n = 0;

	for (i = 0; i < USBMON_MAX_PRESENT; i++)
		n += w->present[i].used != 0;
	return n;
}

/* Serves until custodyd closes its end. */
static int
loop(struct watch *w, char *err, size_t errlen)
{
	const struct libusb_pollfd **ufds;
	struct pollfd pf[16];
	struct timeval zero = { 0, 0 };
	char buf[64];
	nfds_t n, i;

	while (!w->dead) {
		pf[0].fd = w->fd;
		pf[0].events = POLLIN;
		n = 1;
		if ((ufds = libusb_get_pollfds(w->usb)) == NULL)
			return custody_fail(err, errlen, CUSTODY_ERR_NOMEM,
			    "libusb_get_pollfds failed");
		for (i = 0; ufds[i] != NULL && n < 16; i++, n++) {
			pf[n].fd = ufds[i]->fd;
			pf[n].events = ufds[i]->events;
		}
		libusb_free_pollfds(ufds);
		/* No timers but settling: libusb makes no transfers. */
		if (poll(pf, n, settle_timeout(w)) == -1 && errno != EINTR)
			return custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "poll: %s", strerror(errno));
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* custodyd sends nothing: data or EOF means stop. */
			(void)recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
			return 0;
		}
		for (i = 1; i < n; i++)
			if (pf[i].revents != 0)
				break;
		if (i < n)
			(void)libusb_handle_events_timeout_completed(w->usb,
			    &zero, NULL);
		settle(w);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ios-lockdown", no_argument, NULL, 'i' },
		{ "lockdown-timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static struct watch w;
	struct rlimit rl = { 0, 0 };
	char err[512] = "", *end;
	socklen_t tlen = sizeof(int);
	long t;
	int ch, r, type = 0;

	w.fd = USBMON_FD;
	w.ios_timeout = 5000;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			w.ios = 1;
			break;
		case 't':
			t = strtol(optarg, &end, 10);
			if (*end != '\0' || t < 100 || t > 60000) {
				fputs("custody-usbwatch: --lockdown-timeout "
				    "is 100 to 60000 ms\n", stderr);
				return 2;
			}
			w.ios_timeout = (int)t;
			break;
		default:
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	/* Only descriptors 0 to 3 come from custodyd. */
	if (close_from(USBMON_FD + 1) != 0 || getsockopt(w.fd, SOL_SOCKET,
	    SO_TYPE, &type, &tlen) == -1 || type != SOCK_SEQPACKET) {
		fputs("custody-usbwatch: descriptor 3 is not custodyd's "
		    "socket; this program is started by custodyd\n", stderr);
		return 2;
	}
	umask(077);
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* custodyd going away must not kill us mid-message. */
	(void)signal(SIGPIPE, SIG_IGN);
	/*
	 * systemd's stop signals the whole service; custodyd closing its
	 * end is what stops the helper, after custodyd has finished.
	 */
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	if ((r = setup(&w, err, sizeof(err))) == 0) {
		/* What was plugged in before us, settled before "ready". */
		while (settle_timeout(&w) != -1) {
			(void)poll(NULL, 0, SETTLE_POLL_MS);
			settle(&w);
		}
	}
	if (r == 0) {
		say(&w, json_pack("{s:s, s:I}", "type", "ready", "present",
		    (json_int_t)n_present(&w)));
		r = loop(&w, err, sizeof(err));
	}
	if (r != 0)
		say(&w, json_pack("{s:s, s:s}", "type", "error", "message",
		    err));
	/* libusb_exit joins libusb's thread; udev goes with the process. */
	if (w.usb != NULL)
		libusb_exit(w.usb);
	if (w.udev != NULL)
		udev_unref(w.udev);
	return r != 0;
}
