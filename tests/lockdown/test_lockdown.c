/*
 * test_lockdown.c -- the iOS identity step (daemon/usbwatch/lockdown.c)
 * for real: the real libimobiledevice 1.3.0 and libusbmuxd 2.0.2 against
 * the fake usbmuxd and lockdownd of tests/usbmuxd/, which records every
 * request it receives.
 *
 * Each test runs the fake in one mode in a fresh directory, points
 * libusbmuxd at it (USBMUXD_SOCKET_ADDRESS=UNIX:...), calls
 * ios_lockdown_read once, timing it, stops the fake, and only then
 * asserts (so a failed assertion leaves no fake running).  Every run,
 * whatever its mode, must have sent only the requests lockdown.h lists
 * (assert_requests_allowed): never a pairing request, ValidatePair,
 * SetValue, StartSession, StartService, QueryType or a pair record
 * read; the normal iPhone's run must have sent exactly the expected
 * sequence.  Switching lockdown.c to lockdownd_client_new_with_handshake
 * fails test_iphone_requests (QueryType, ReadPairRecord, ReadBUID and
 * GetValue ProductVersion/DevicePublicKey appear) and every test that
 * reads a device.
 *
 * Every hostile mode must give its one-line error (asserted by its
 * text) within the timeout plus MARGIN_MS: a fake that never answers,
 * or answers a byte at a time, must not hold the caller longer.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/canon.h"
#include "common/error.h"
#include "daemon/usb_identity.h"
#include "daemon/usbwatch/ios_identity.h"
#include "daemon/usbwatch/lockdown.h"
#include "tests/usbmuxd/fake_usbmuxd.h"

#define ERRLEN		256
#define LOGLEN		8192
#define TIMEOUT_MS	3000	/* for answers that come */
#define SILENT_MS	1000	/* for a fake that never answers */
/* The libraries malloc the 4 GiB a huge length claims: about a second
 * under ASan, which must not turn the error into a timeout. */
#define HUGE_MS		10000
/* Killing and reaping the child, and a loaded 2-core machine. */
#define MARGIN_MS	500

struct run {
	int			 rc;
	char			 peer_fds[128];	/* what the reader held */
	char			 err[ERRLEN];
	struct ios_identity	 id;
	int64_t			 elapsed_ms;
	int			 timeout_ms;
	char			 log[LOGLEN];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
read_peer_fds(const struct fake_usbmuxd *f, char *buf, size_t buflen)
{
	FILE *fp;

	buf[0] = '\0';
	if ((fp = fopen(f->fdlog, "r")) == NULL)
		return;
	if (fgets(buf, (int)buflen, fp) == NULL)
		buf[0] = '\0';
	(void)fclose(fp);
}

/*
 * Runs the step once against the fake in mode (or, if mode is
 * FAKE_MODE_COUNT, against a socket path where nothing listens).
 */
static void
run_mode(enum fake_mode mode, const char *serial, int timeout_ms,
    struct run *r)
{
	struct fake_usbmuxd f;
	char dir[] = "/tmp/custody-ld.XXXXXX", missing[64];
	int64_t t0;
	int started = 0;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = timeout_ms;
	assert_non_null(mkdtemp(dir));
	if (mode == FAKE_MODE_COUNT) {
		(void)snprintf(missing, sizeof(missing), "UNIX:%s/none.sock",
		    dir);
		assert_int_equal(setenv("USBMUXD_SOCKET_ADDRESS", missing, 1),
		    0);
	} else {
		assert_int_equal(fake_usbmuxd_start(&f, dir, mode), 0);
		started = 1;
		assert_int_equal(setenv("USBMUXD_SOCKET_ADDRESS", f.address,
		    1), 0);
	}
	t0 = now_ms();
	r->rc = ios_lockdown_read(serial, timeout_ms, &r->id, r->err,
	    sizeof(r->err));
	r->elapsed_ms = now_ms() - t0;
	if (started) {
		(void)fake_usbmuxd_log(&f, r->log, sizeof(r->log));
		read_peer_fds(&f, r->peer_fds, sizeof(r->peer_fds));
		fake_usbmuxd_stop(&f);
	}
	(void)rmdir(dir);
	(void)unsetenv("USBMUXD_SOCKET_ADDRESS");
}

/* The requests lockdown.h allows; anything else fails the test. */
static const char *const allowed[] = {
	"mux ListDevices",
	"mux Listen",		/* libusbmuxd's fallback, hostile usbmuxd */
	"mux Connect DeviceID=2 PortNumber=32498",
	"lockdownd GetValue UniqueDeviceID",
	"lockdownd GetValue ProductType",
	"lockdownd GetValue ProductVersion",
	"lockdownd GetValue DeviceClass",
	"lockdownd GetValue DeviceName",
};

/* Requests that would write to, or pair with, the phone. */
static const char *const forbidden[] = {
	"Pair", "ValidatePair", "Unpair", "SetValue", "RemoveValue",
	"StartSession", "StopSession", "StartService", "QueryType",
	"ReadPairRecord", "SavePairRecord", "DeletePairRecord", "ReadBUID",
	"EnterRecovery", "Goodbye", "Activate",
};

/* The request name in a log line: the word after "mux " or "lockdownd ". */
static void
request_name(const char *line, size_t len, char *name, size_t namelen)
{
	const char *sp = memchr(line, ' ', len), *end;
	size_t n;

	name[0] = '\0';
	if (sp == NULL)
		return;
	sp++;
	if ((end = memchr(sp, ' ', len - (size_t)(sp - line))) == NULL)
		end = line + len;
	if ((n = (size_t)(end - sp)) >= namelen)
		n = namelen - 1;
	memcpy(name, sp, n);
	name[n] = '\0';
}

static void
assert_requests_allowed(const char *log)
{
	const char *p = log, *nl;
	char name[64];
	size_t i, len;
	int ok;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		request_name(p, len, name, sizeof(name));
		for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
			if (strcmp(name, forbidden[i]) == 0)
				fail_msg("forbidden request %s in:\n%s", name,
				    log);
		ok = 0;
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strlen(allowed[i]) == len &&
			    memcmp(allowed[i], p, len) == 0)
				ok = 1;
		if (!ok)
			fail_msg("unexpected request \"%.*s\" in:\n%s",
			    (int)len, p, log);
		p += len + (nl != NULL);
	}
}

/* The error is one line holding want, and came within the timeout. */
static void
assert_refused(const struct run *r, int code, const char *want)
{
	assert_requests_allowed(r->log);
	if (r->rc != code || strstr(r->err, want) == NULL)
		fail_msg("got %d \"%s\", want %d with \"%s\"", r->rc, r->err,
		    code, want);
	print_message("           %s [%lld ms]\n", r->err,
	    (long long)r->elapsed_ms);
	assert_null(strchr(r->err, '\n'));
	assert_true(r->elapsed_ms <= r->timeout_ms + MARGIN_MS);
	assert_false(r->id.udid.present);
}

static void
assert_text(const struct usb_text *t, const char *want)
{
	assert_true(t->present);
	assert_int_equal(t->len, strlen(want));
	assert_memory_equal(t->bytes, want, t->len);
}

static void
assert_iphone(const struct run *r)
{
	assert_requests_allowed(r->log);
	if (r->rc != 0)
		fail_msg("ios_lockdown_read: %d %s", r->rc, r->err);
	assert_true(r->elapsed_ms <= r->timeout_ms + MARGIN_MS);
	assert_text(&r->id.udid, FAKE_UDID);
	assert_text(&r->id.product_type, "iPhone14,2");
	assert_text(&r->id.product_version, "17.4.1");
	assert_text(&r->id.device_class, "iPhone");
}

/* ---- a normal iPhone ---- */

static void
test_iphone_values(void **state)
{
	struct run r;

	run_mode(FAKE_IPHONE, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	assert_text(&r.id.device_name, "Jo's iPhone");
	assert_true(r.id.device_name.valid_utf8);
	assert_int_equal(ios_identity_check(&r.id, NULL, 0), 0);
}

static void
test_iphone_requests(void **state)
{
	static const char want[] =
	    "mux ListDevices\n"
	    "mux ListDevices\n"
	    "mux Connect DeviceID=2 PortNumber=32498\n"
	    "lockdownd GetValue UniqueDeviceID\n"
	    "lockdownd GetValue ProductType\n"
	    "lockdownd GetValue ProductVersion\n"
	    "lockdownd GetValue DeviceClass\n"
	    "lockdownd GetValue DeviceName\n";
	struct run r;

	run_mode(FAKE_IPHONE, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	assert_string_equal(r.log, want);
}

/*
 * The reader holds only stdio, its pipe (3) and its connection: not the
 * caller's other descriptors, which here include one dup'ed to 40.
 */
static void
test_reader_fds(void **state)
{
	struct run r;
	int fd;

	assert_true((fd = dup2(STDERR_FILENO, 40)) == 40);
	run_mode(FAKE_IPHONE, FAKE_SERIAL, TIMEOUT_MS, &r);
	(void)close(fd);
	assert_iphone(&r);
	assert_string_equal(r.peer_fds, "0 1 2 3 4\n");
}

static void
test_iphone_binary(void **state)
{
	struct run r;

	run_mode(FAKE_BINARY, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	assert_text(&r.id.device_name, "Jo's iPhone");
}

/* The serial matches the UDID ignoring dashes and case, either way. */
static void
test_serial_forms(void **state)
{
	static const char *const serials[] = {
		FAKE_UDID,
		"00008030001a2b3c4d5e6f70",
		"00008030-001a2b3c4d5e6f70",
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		run_mode(FAKE_IPHONE, serials[i], TIMEOUT_MS, &r);
		assert_iphone(&r);
	}
}

static void
test_json(void **state)
{
	struct run r;
	json_t *j = NULL;
	char *out = NULL;
	size_t len;

	run_mode(FAKE_IPHONE, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	assert_int_equal(ios_identity_to_json(&r.id, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	assert_string_equal(out, "{\"device_class\":\"iPhone\","
	    "\"device_name\":\"Jo's iPhone\","
	    "\"product_type\":\"iPhone14,2\","
	    "\"product_version\":\"17.4.1\","
	    "\"unique_device_id\":\"" FAKE_UDID "\"}");
	free(out);
	json_decref(j);
}

/* ---- refusals before anything is sent ---- */

static void
test_bad_arguments(void **state)
{
	struct run r;

	run_mode(FAKE_IPHONE, "not a serial", TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL, "is not an iPhone UDID");
	assert_string_equal(r.log, "");
	run_mode(FAKE_IPHONE, "05ac12a8", TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL, "is not an iPhone UDID");
	run_mode(FAKE_IPHONE, FAKE_SERIAL, 10, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL, "lockdown timeout 10 ms");
	run_mode(FAKE_IPHONE, FAKE_SERIAL, IOS_LOCKDOWN_TIMEOUT_MAX + 1, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL, "is outside");
	assert_string_equal(r.log, "");
}

/* ---- usbmuxd misbehaving ---- */

static void
test_no_usbmuxd(void **state)
{
	struct run r;

	run_mode(FAKE_MODE_COUNT, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "usbmuxd did not list its devices");
}

static void
test_no_device(void **state)
{
	struct run r;

	run_mode(FAKE_NO_DEVICE, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_NOTFOUND, "usbmuxd lists no iPhone "
	    "with serial " FAKE_SERIAL " (0 devices listed)");
	assert_string_equal(r.log, "mux ListDevices\n");
}

static void
test_other_device_only(void **state)
{
	struct run r;

	/* Listed, but not the one plugged in at this port. */
	run_mode(FAKE_IPHONE, "00008030001A2B3C4D5E6F71", TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_NOTFOUND, "(2 devices listed)");
}

static void
test_mux_malformed(void **state)
{
	struct run r;

	run_mode(FAKE_MUX_MALFORMED, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "usbmuxd did not list its devices");
}

static void
test_mux_truncated(void **state)
{
	struct run r;

	run_mode(FAKE_MUX_TRUNCATED, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "usbmuxd did not list its devices");
}

static void
test_mux_huge(void **state)
{
	struct run r;

	run_mode(FAKE_MUX_HUGE, FAKE_SERIAL, HUGE_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "usbmuxd did not list its devices");
}

static void
test_mux_silent(void **state)
{
	struct run r;

	run_mode(FAKE_MUX_SILENT, FAKE_SERIAL, SILENT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "no answer within 1000 ms: still "
	    "waiting for usbmuxd's device list");
	assert_true(r.elapsed_ms >= SILENT_MS);
}

static void
test_connect_refused(void **state)
{
	struct run r;

	run_mode(FAKE_CONNECT_REFUSED, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "usbmuxd could not connect to "
	    "lockdownd on the iPhone " FAKE_UDID " (port 62078)");
}

/* ---- lockdownd misbehaving ---- */

static void
test_ld_malformed(void **state)
{
	struct run r;

	run_mode(FAKE_LD_MALFORMED, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "lockdownd GetValue UniqueDeviceID: "
	    "the answer is not a readable plist");
}

static void
test_ld_truncated(void **state)
{
	struct run r;

	run_mode(FAKE_LD_TRUNCATED, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "lockdownd GetValue UniqueDeviceID: "
	    "no valid answer");
}

static void
test_ld_huge(void **state)
{
	struct run r;

	run_mode(FAKE_LD_HUGE, FAKE_SERIAL, HUGE_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "lockdownd GetValue UniqueDeviceID: "
	    "no valid answer");
}

static void
test_ld_silent(void **state)
{
	struct run r;

	run_mode(FAKE_LD_SILENT, FAKE_SERIAL, SILENT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "no answer within 1000 ms: still "
	    "waiting for lockdownd's answer to GetValue UniqueDeviceID");
	assert_true(r.elapsed_ms >= SILENT_MS);
}

/* A byte every 100 ms resets libusbmuxd's 5-second read timeout each
 * time: only the child's deadline ends it. */
static void
test_ld_trickle(void **state)
{
	struct run r;

	run_mode(FAKE_LD_TRICKLE, FAKE_SERIAL, SILENT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "no answer within 1000 ms: still "
	    "waiting for lockdownd's answer to GetValue UniqueDeviceID");
}

static void
test_ld_wrong_reply(void **state)
{
	struct run r;

	run_mode(FAKE_LD_WRONG_REPLY, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "lockdownd GetValue UniqueDeviceID: "
	    "no valid answer");
}

/*
 * libplist 2.2 asserts that a string holds no NUL, and a binary plist's
 * UTF-16 string can: libimobiledevice's own lockdown_check_result then
 * aborts.  Only the child dies; the caller gets a line.
 */
static void
test_ld_nul_abort(void **state)
{
	struct run r;

	run_mode(FAKE_LD_NUL, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_IO, "the lockdown reader died (signal "
	    "6) while waiting for lockdownd's answer to GetValue "
	    "UniqueDeviceID");
}

/* ---- hostile values ---- */

/* Kept as received, never shown raw, recorded as hex. */
static void
test_hostile_name(void **state)
{
	char shown[USB_TEXT_DISPLAY_MAX], *out = NULL;
	struct run r;
	json_t *j = NULL;
	size_t len;

	run_mode(FAKE_HOSTILE_NAME, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	assert_text(&r.id.device_name, HOSTILE_NAME_BYTES);
	assert_false(r.id.device_name.valid_utf8);
	usb_text_display(&r.id.device_name, shown, sizeof(shown));
	assert_null(strchr(shown, '\x1b'));
	assert_null(strchr(shown, '\x07'));
	assert_null(strchr(shown, '\r'));
	assert_non_null(strstr(shown, "\\x1b[2J\\x1b]0;owned\\x07Tom"
	    "\\xff\\xfe's <iPhone>\\x0d\\n"));
	assert_int_equal(ios_identity_to_json(&r.id, &j), 0);
	assert_int_equal(canon_encode(j, &out, &len), 0);
	assert_null(strstr(out, "\"device_name\":"));
	assert_non_null(strstr(out, "\"device_name_hex\":\"1b5b324a"));
	free(out);
	json_decref(j);
}

static void
test_long_name(void **state)
{
	struct run r;

	run_mode(FAKE_LONG_NAME, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	/* Cut before the two-byte character astride byte 128. */
	assert_int_equal(r.id.device_name.len, 127);
	assert_int_equal(r.id.device_name.received, 300);
	assert_true(r.id.device_name.truncated);
	assert_true(r.id.device_name.valid_utf8);
}

static void
test_no_name(void **state)
{
	struct run r;

	run_mode(FAKE_NO_NAME, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_iphone(&r);
	assert_false(r.id.device_name.present);
}

static void
test_long_type(void **state)
{
	struct run r;

	run_mode(FAKE_LONG_TYPE, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL,
	    "ProductType is 300 bytes long, more than 32");
}

static void
test_wrong_type(void **state)
{
	struct run r;

	run_mode(FAKE_WRONG_TYPE, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL,
	    "ProductVersion is an integer, not a string");
}

static void
test_bad_udid(void **state)
{
	struct run r;

	/* The fake sends a raw ESC in XML, which libimobiledevice blanks
	 * (property_list_service.c, "iOS 4.3+ hack"): a space arrives. */
	run_mode(FAKE_BAD_UDID, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL,
	    "UniqueDeviceID \"not-a-udid [0m\" is not 24 to 40 hex");
}

static void
test_other_udid(void **state)
{
	struct run r;

	run_mode(FAKE_OTHER_UDID, FAKE_SERIAL, TIMEOUT_MS, &r);
	assert_refused(&r, CUSTODY_ERR_INVAL, "UniqueDeviceID \""
	    FAKE_OTHER_SERIAL "\" is not the USB serial " FAKE_SERIAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iphone_values),
		cmocka_unit_test(test_iphone_requests),
		cmocka_unit_test(test_reader_fds),
		cmocka_unit_test(test_iphone_binary),
		cmocka_unit_test(test_serial_forms),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_no_usbmuxd),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_other_device_only),
		cmocka_unit_test(test_mux_malformed),
		cmocka_unit_test(test_mux_truncated),
		cmocka_unit_test(test_mux_huge),
		cmocka_unit_test(test_mux_silent),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_ld_malformed),
		cmocka_unit_test(test_ld_truncated),
		cmocka_unit_test(test_ld_huge),
		cmocka_unit_test(test_ld_silent),
		cmocka_unit_test(test_ld_trickle),
		cmocka_unit_test(test_ld_wrong_reply),
		cmocka_unit_test(test_ld_nul_abort),
		cmocka_unit_test(test_hostile_name),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_no_name),
		cmocka_unit_test(test_long_type),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_bad_udid),
		cmocka_unit_test(test_other_udid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
