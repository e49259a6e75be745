/*
 * fake_usbmuxd.h -- a fake usbmuxd, and behind it a fake lockdownd, for
 * testing the iOS identity step (daemon/usbwatch/lockdown.c) with the
 * real libimobiledevice and libusbmuxd (DESIGN section 12).
 *
 * fake_usbmuxd_start forks a process that listens on DIR/usbmuxd.sock.
 * Point libusbmuxd at it with USBMUXD_SOCKET_ADDRESS=UNIX:DIR/usbmuxd.sock
 * (fake_usbmuxd_address).  It speaks the usbmux plist protocol (16-byte
 * little-endian header {length including the header, version 1, message
 * 8 = plist, tag}, then an XML plist) and, on a connection that asked
 * for Connect, becomes lockdownd (4-byte big-endian length, then a
 * plist).  It appends one line per request to DIR/requests.log before
 * answering it:
 *
 *	mux ListDevices
 *	mux Connect DeviceID=2 PortNumber=32498
 *	lockdownd GetValue UniqueDeviceID
 *	lockdownd Pair
 *
 * (usbmux requests by MessageType, lockdownd requests by Request, with
 * GetValue's Key; a request that is not a plist is logged as "mux ?" or
 * "lockdownd ?").  Every answer depends on the mode.  On each Connect it
 * also writes the descriptors the connecting process holds open (from
 * /proc/PID/fd, PID by SO_PEERCRED) to DIR/peer-fds, as "0 1 2 3 4".
 */
#ifndef CUSTODY_FAKE_USBMUXD_H
#define CUSTODY_FAKE_USBMUXD_H

#include <stddef.h>
#include <sys/types.h>

/* The device the fake lists, as its USB serial (no dash) and UDID. */
#define FAKE_SERIAL	"00008030001A2B3C4D5E6F70"
#define FAKE_UDID	"00008030-001A2B3C4D5E6F70"
#define FAKE_DEVICE_ID	2
/* Another iPhone listed before it, which must not be picked. */
#define FAKE_OTHER_SERIAL	"0123456789abcdef0123456789abcdef01234567"

/*
 * The hostile DeviceName (FAKE_HOSTILE_NAME), as the fake writes it in
 * XML by hand -- entities for ESC and BEL get through, where
 * libimobiledevice blanks raw control bytes in XML -- and as the station
 * must receive it: terminal escapes, two bytes that are not UTF-8, CR LF.
 */
#define HOSTILE_NAME_XML \
	"&#27;[2J&#27;]0;owned&#7;Tom\xff\xfe's &lt;iPhone&gt;\r\n"
#define HOSTILE_NAME_BYTES \
	"\x1b[2J\x1b]0;owned\x07Tom\xff\xfe's <iPhone>\r\n"

enum fake_mode {
	FAKE_IPHONE,		/* an iPhone 13 Pro on iOS 17.4.1 */
	FAKE_BINARY,		/* the same, lockdownd answering binary plists */
	FAKE_NO_DEVICE,		/* usbmuxd lists no device */
	FAKE_MUX_MALFORMED,	/* usbmuxd's answers are not plists */
	FAKE_MUX_TRUNCATED,	/* usbmuxd's answers stop short, then close */
	FAKE_MUX_HUGE,		/* usbmuxd's header claims 4 GiB, then closes */
	FAKE_MUX_SILENT,	/* usbmuxd reads and never answers */
	FAKE_CONNECT_REFUSED,	/* Connect answered ConnectionRefused */
	FAKE_LD_MALFORMED,	/* lockdownd's answers are not plists */
	FAKE_LD_TRUNCATED,	/* lockdownd's answers stop short, then close */
	FAKE_LD_HUGE,		/* lockdownd's length says 4 GiB, then close */
	FAKE_LD_SILENT,		/* lockdownd reads and never answers */
	FAKE_LD_TRICKLE,	/* lockdownd answers a byte every 100 ms */
	FAKE_LD_WRONG_REPLY,	/* lockdownd answers GetValue as QueryType */
	FAKE_LD_NUL,		/* Request "GetValue\0" in UTF-16: libplist
				 * 2.2 asserts on it inside libimobiledevice */
	FAKE_HOSTILE_NAME,	/* DeviceName: terminal escapes, bad UTF-8 */
	FAKE_LONG_NAME,		/* DeviceName of 300 bytes */
	FAKE_LONG_TYPE,		/* ProductType of 300 bytes */
	FAKE_WRONG_TYPE,	/* ProductVersion an integer */
	FAKE_BAD_UDID,		/* UniqueDeviceID not a UDID */
	FAKE_OTHER_UDID,	/* UniqueDeviceID another phone's */
	FAKE_NO_NAME,		/* DeviceName: Error MissingValue */
	FAKE_MODE_COUNT
};

struct fake_usbmuxd {
	pid_t	 pid;
	char	 dir[256];
	char	 sock[300];	/* DIR/usbmuxd.sock */
	char	 log[300];	/* DIR/requests.log */
	char	 fdlog[300];	/* DIR/peer-fds: what Connect's peer held */
	char	 address[310];	/* "UNIX:" sock */
};

/*
 * Starts the fake in mode, its socket and log in dir (an existing empty
 * directory, path shorter than 90 bytes for sun_path).  The socket is
 * listening when this returns.  Returns 0 or -1 (errno set).
 */
int	fake_usbmuxd_start(struct fake_usbmuxd *f, const char *dir,
	    enum fake_mode mode);

/* Kills the fake (SIGKILL), reaps it, removes its socket and log. */
void	fake_usbmuxd_stop(struct fake_usbmuxd *f);

/*
 * The log so far into buf (NUL-terminated, cut to fit).  Returns its
 * length, or -1 if it cannot be read.
 */
ssize_t	fake_usbmuxd_log(const struct fake_usbmuxd *f, char *buf,
	    size_t buflen);

#endif
