/*
 * lockdown.h -- the optional iOS identity step: an unpaired lockdownd
 * query of an attached iPhone (issue 4; DESIGN sections 3 and 12).
 *
 * Off by default (ios_lockdown = on in the config turns it on).  It asks
 * the phone, through usbmuxd, for five values an unpaired iPhone gives
 * anyone -- UniqueDeviceID, ProductType, ProductVersion, DeviceClass,
 * DeviceName -- and validates them (ios_identity.h).  It never pairs.
 *
 * What the step sends, all of it (libimobiledevice 1.3.0 and libusbmuxd
 * 2.0.2, as Debian 12 ships them; read from their source and proven by
 * tests/lockdown/test_lockdown.c against tests/usbmuxd/fake_usbmuxd.c,
 * which records every request):
 *
 *   to usbmuxd (the local daemon, not the phone):
 *     ListDevices   twice: once to find the device whose UDID matches the
 *                   USB serial (idevice_get_device_list_extended), once
 *                   inside idevice_new_with_options, which looks it up
 *                   again by that UDID.  Each on its own connection.
 *     Listen        only if usbmuxd refuses or garbles ListDevices:
 *                   libusbmuxd then falls back to the old protocol of
 *                   Listen and reading Attached messages for 100 ms.
 *     Connect       DeviceID of the match, PortNumber 62078 (lockdownd)
 *                   byte-swapped, as usbmuxd expects: 32498 on the wire.
 *   to lockdownd on the phone, through that connection, in the clear:
 *     GetValue      five times, Key = each of the five names above, no
 *                   Domain, Label "custody".  Nothing else.
 *
 * Never sent: QueryType (lockdownd_client_new does not send it in 1.3.0;
 * only _with_handshake does), Pair, ValidatePair, StartSession,
 * StopSession, SetValue, RemoveValue, StartService, EnterRecovery,
 * Goodbye.  No ReadBUID and no ReadPairRecord goes to usbmuxd either:
 * libimobiledevice reads the host's BUID and the pair record only in
 * lockdownd_client_new_with_handshake and the pairing calls, which this
 * file never calls (they would go to usbmuxd, not to the phone, but the
 * station has no business reading pair records).  lockdownd_client_free
 * sends StopSession only if a session was started; none is.
 *
 * A note for the station's install (README): Debian's usbmuxd itself
 * "preflights" an iPhone it sees -- pairing attempts of its own -- unless
 * started with --no-preflight (daemon/systemd/usbmuxd-no-preflight.conf).
 * This step adds nothing to that, but cannot prevent it either.
 */
#ifndef CUSTODY_LOCKDOWN_H
#define CUSTODY_LOCKDOWN_H

#include <stddef.h>

struct ios_identity;

/* The lockdownd service's TCP port on the phone. */
#define IOS_LOCKDOWN_PORT	62078
/* Bounds on ios_lockdown_read's timeout_ms. */
#define IOS_LOCKDOWN_TIMEOUT_MIN	100
#define IOS_LOCKDOWN_TIMEOUT_MAX	60000

/*
 * Reads and validates the identity of the iPhone whose USB serial (as
 * sysfs has it: 24 or 40 hex digits, or 8-16 with a dash) is usb_serial,
 * through usbmuxd at $USBMUXD_SOCKET_ADDRESS ("UNIX:/path") or else
 * /var/run/usbmuxd.  The device is found by comparing usbmuxd's UDIDs
 * with usb_serial ignoring dashes and case.  The UniqueDeviceID lockdownd
 * gives must match usb_serial the same way.
 *
 * Returns within timeout_ms (IOS_LOCKDOWN_TIMEOUT_MIN..MAX) plus the time
 * to kill and reap a process, whatever usbmuxd or the phone does: the
 * libraries wait up to 5 s per usbmuxd answer and 30 s per lockdownd
 * answer, and loop as long as bytes trickle in, so the work runs in a
 * forked child that sends the validated result back over a pipe and is
 * killed with SIGKILL at the deadline.  The child also takes the blows
 * the libraries cannot: libplist 2.2 (as Debian builds it) aborts on a
 * binary plist string holding a NUL, inside libimobiledevice's own
 * lockdown_check_result, and libusbmuxd and libimobiledevice malloc
 * whatever length the peer claims (up to 4 GiB; only what arrives
 * before the deadline is touched).  The parent checks what the child
 * sent (ios_identity_check) before trusting it.  Safe to call from a
 * single-threaded process; in a threaded one only if no other thread
 * holds a lock the child needs (glibc's malloc is safe across fork).
 *
 * *out is cleared first and set only on success.  Returns 0, or with one
 * line in err (err may be NULL):
 *   CUSTODY_ERR_INVAL     a bad argument, or a value the phone gave was
 *                         refused (the line names the key)
 *   CUSTODY_ERR_NOTFOUND  usbmuxd lists no iPhone with that serial
 *   CUSTODY_ERR_IO        usbmuxd or lockdownd failed, answered garbage,
 *                         or did not answer in time (the line says which
 *                         request was waiting); fork or pipe failed
 *   CUSTODY_ERR_NOMEM
 */
int	ios_lockdown_read(const char *usb_serial, int timeout_ms,
	    struct ios_identity *out, char *err, size_t errlen);

#endif
