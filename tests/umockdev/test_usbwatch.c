/*
 * test_usbwatch.c -- plugging phones into the station, for real: the real
 * custodyd starts the real custody-usbwatch, whose libusb and libudev see
 * an umockdev testbed's devices and uevents; the test drives the daemon
 * through the real CLI and its socket, and reads the custody log back
 * from the database.
 *
 * Runs under umockdev-wrapper (build/usb/tests/umockdev/test_usbwatch.sh):
 * the testbed is made first, so the daemon and the helper it starts
 * inherit the preload library and $UMOCKDEV_DIR and see the same devices.
 * Both run with their seccomp filters on.
 *
 * Each test has a testbed and a station of its own.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>

#include <dirent.h>
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
#include <sqlite3.h>

#include "tests/umockdev/station.h"
#include "tests/usbmuxd/fake_usbmuxd.h"

#define SLT_PW		ST_SLT_PW

static int
setup(void **state)
{
	struct station *st = st_start();

	if (st == NULL)
		return -1;
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	st_stop(*state);
	return 0;
}

static json_t *
detected(struct station *f, int all)
{
	json_t *rep = st_detected(f, all);

	assert_non_null(rep);
	return rep;
}

#define find_port	st_find_port

static void
wait_port(struct station *f, const char *port, int all, int gone)
{
	if (st_wait_port(f, port, all, gone, 5) != 0)
		fail_msg("port %s still %s after %d ms", port,
		    gone ? "there" : "missing", ST_WAIT_MS);
}

/* Events of the log with this action, by reading the database. */
static int
count(struct station *f, const char *action)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	(void)snprintf(path, sizeof(path), "%s/custody.db", f->h.state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events "
	    "WHERE action = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* device.detected events of devices whose identity was refused. */
static int
count_refused(struct station *f)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	(void)snprintf(path, sizeof(path), "%s/custody.db", f->h.state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events "
	    "WHERE action = 'device.detected' AND "
	    "json_extract(body, '$.data.refused') IS NOT NULL", -1, &st,
	    NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The newest event with this action, parsed. */
static json_t *
last(struct station *f, const char *action)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	json_t *ev = NULL;

	(void)snprintf(path, sizeof(path), "%s/custody.db", f->h.state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT body FROM events "
	    "WHERE action = ? ORDER BY seq DESC LIMIT 1", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		ev = json_loadb(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_non_null(ev);
	return ev;
}

static const char *
ev_str(json_t *ev, const char *part, const char *key)
{
	return json_string_value(json_object_get(json_object_get(ev, part),
	    key)) ?: "";
}

static void
log_verifies(struct station *f)
{
	struct h_out o;

	h_cli(&f->h, &o, "sue", "log", "verify", "--state", f->h.state, NULL);
	if (o.status != 0)
		fail_msg("custody log verify: %s", o.text);
}

/* Sue's CLI session, logged in once. */
static void
cli_login(struct station *f)
{
	char pw[256];
	struct h_out o;
	FILE *fp;

	(void)snprintf(pw, sizeof(pw), "%s/sue.pw", f->h.dir);
	assert_non_null(fp = fopen(pw, "w"));
	fprintf(fp, "%s\n", SLT_PW);
	fclose(fp);
	h_cli(&f->h, &o, "sue", "login", "--user", "sue", "--password-file",
	    pw, NULL);
	assert_int_equal(o.status, 0);
}

/* custody device register --port PORT, as sue, with seal SEAL. */
static void
register_port(struct station *st, struct h_out *o, const char *port,
    const char *seal)
{
	h_cli(&st->h, o, "sue", "device", "register", "--port", port,
	    "--pupil", "P-7", "--reason", "behaviour", "--location", "safe",
	    "--seal", seal, "--power", "off", NULL);
}

/*
 * The whole path: an iPhone plugged in is detected with its identity,
 * offered for registration, registered from its port with make and
 * model filled in, recorded as unplugged against the device, and seen
 * (not detected again) when it comes back.
 */
static void
test_detect_register_seen(void **state)
{
	struct station *f = *state;
	struct h_out o;
	const json_t *e;
	json_t *rep, *ev;
	char dev[32];

	bed_load(f->b, "iphone");
	wait_port(f, "1-1", 0, 0);
	rep = detected(f, 0);
	e = find_port(rep, "1-1");
	assert_string_equal(json_string_value(json_object_get(e, "kind")),
	    "phone");
	assert_string_equal(json_string_value(json_object_get(e,
	    "vendor_id")), "05ac");
	assert_string_equal(json_string_value(json_object_get(e,
	    "product_id")), "12a8");
	json_decref(rep);
	assert_int_equal(count(f, "device.detected"), 1);
	ev = last(f, "device.detected");
	assert_string_equal(ev_str(ev, "subject", "usb_port"), "1-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(ev, "data"), "identity"),
	    "classification"), "kind")), "phone");
	json_decref(ev);

	/* The CLI shows it; staff register it from the port. */
	cli_login(f);
	h_cli(&f->h, &o, "sue", "device", "list", "--detected", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.text, "1-1"));
	assert_non_null(strstr(o.text, "05ac:12a8"));
	register_port(f, &o, "1-1", "S-1");
	if (o.status != 0)
		fail_msg("register --port: %s", o.text);
	rep = h_req(&f->h, f->tok, "device.list", "{}");
	e = json_array_get(json_object_get(json_object_get(rep, "result"),
	    "devices"), 0);
	assert_non_null(e);
	(void)snprintf(dev, sizeof(dev), "%s",
	    json_string_value(json_object_get(e, "id")));
	assert_string_equal(json_string_value(json_object_get(e, "make")),
	    "Apple");
	assert_string_equal(json_string_value(json_object_get(e, "usb_port")),
	    "1-1");
	assert_string_equal(json_string_value(json_object_get(e,
	    "usb_vendor")), "05ac");
	json_decref(rep);
	ev = last(f, "device.register");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(ev, "data"), "usb"), "vendor_id")), "05ac");
	json_decref(ev);

	/* No longer offered; registering it twice is refused. */
	rep = detected(f, 0);
	assert_null(find_port(rep, "1-1"));
	json_decref(rep);
	register_port(f, &o, "1-1", "S-2");
	assert_int_not_equal(o.status, 0);
	assert_non_null(strstr(o.text, "already registered as"));

	/* Unplugged: recorded against the device. */
	bed_unplug(f->b, USB1 "/1-1");
	wait_port(f, "1-1", 1, 1);
	ev = last(f, "device.unplugged");
	assert_string_equal(ev_str(ev, "subject", "device"), dev);
	json_decref(ev);

	/* Back again: seen, not detected. */
	bed_load(f->b, "iphone");
	wait_port(f, "1-1", 1, 0);
	assert_int_equal(count(f, "device.detected"), 1);
	assert_int_equal(count(f, "device.seen"), 1);
	ev = last(f, "device.seen");
	assert_string_equal(ev_str(ev, "subject", "device"), dev);
	json_decref(ev);
	h_cli(&f->h, &o, "sue", "device", "show", dev, NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.text, "device.seen"));
	assert_non_null(strstr(o.text, "device.unplugged"));
	log_verifies(f);
}

/*
 * Not phones: a keyboard, a stick and a hub are recorded and listed in
 * custody status but never offered, and --port refuses them; the phone
 * behind the hub is offered.
 */
static void
test_not_phones(void **state)
{
	struct station *f = *state;
	struct h_out o;
	json_t *rep;

	bed_load(f->b, "usb-keyboard");
	bed_load(f->b, "usb-stick");
	bed_load(f->b, "hub-with-phone");
	wait_port(f, "1-8.1", 0, 0);
	wait_port(f, "2-1", 1, 0);
	wait_port(f, "1-6", 1, 0);
	wait_port(f, "1-8", 1, 0);
	rep = detected(f, 0);
	assert_null(find_port(rep, "1-6"));
	assert_null(find_port(rep, "2-1"));
	assert_null(find_port(rep, "1-8"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(rep,
	    "result"), "detected")), 1);
	json_decref(rep);
	assert_int_equal(count(f, "device.detected"), 4);
	cli_login(f);
	h_cli(&f->h, &o, "sue", "status", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.text, "USB detection"));
	assert_non_null(strstr(o.text, "running"));
	assert_non_null(strstr(o.text, "not_phone"));
	assert_non_null(strstr(o.text, "046d:c31c"));
	register_port(f, &o, "1-6", "S-1");
	assert_int_not_equal(o.status, 0);
	assert_non_null(strstr(o.text, "not a phone or tablet"));
	register_port(f, &o, "3-3", "S-1");
	assert_int_not_equal(o.status, 0);
	assert_non_null(strstr(o.text, "nothing is plugged in at port 3-3"));
	log_verifies(f);
}

/*
 * A hostile device: its escapes and control characters are stored as
 * received (hex where not UTF-8) but never reach the terminal; ids that
 * do not validate are recorded as refused.
 */
static void
test_hostile(void **state)
{
	struct station *f = *state;
	struct h_out o;

	bed_load(f->b, "hostile");
	bed_load(f->b, "hostile-ids");
	wait_port(f, "1-9", 1, 0);
	wait_port(f, "1-15", 1, 0);
	cli_login(f);
	h_cli(&f->h, &o, "sue", "status", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.text, "1-9"));
	/* Shown, escaped: the OSC title sequence, then the name. */
	assert_non_null(strstr(o.text, "\\x1b]0;pwned"));
	assert_non_null(strstr(o.text, "SAMSUNG"));
	assert_null(strchr(o.text, '\x1b'));
	assert_null(strstr(o.text, "\xc2\x9b"));
	h_cli(&f->h, &o, "sue", "device", "list", "--detected", "--all",
	    NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.text, "refused"));
	assert_null(strchr(o.text, '\x1b'));
	/* Five of the six hostile-ids devices (libusb itself drops the
	 * one whose devnum is not a number). */
	assert_int_equal(count_refused(f), 5);
	log_verifies(f);
}

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

/*
 * The iOS identity step, end to end: with ios_lockdown = on, an iPhone
 * plugged in is asked through (a fake) usbmuxd for lockdownd's values,
 * which the daemon records as device.identified and uses to fill in the
 * model at registration.  The fake logs every request: only ListDevices,
 * Connect and GetValue reach it, never a pairing or a write.
 */
static void
test_ios_identity(void **state)
{
	struct fake_usbmuxd fake;
	struct station *st;
	struct h_out o;
	char dir[64] = "/tmp/custody-mux-XXXXXX", log[8192];
	json_t *ev, *rep;
	long deadline;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(fake_usbmuxd_start(&fake, dir, FAKE_IPHONE), 0);
	setenv("USBMUXD_SOCKET_ADDRESS", fake.address, 1);
	st = st_start_conf("ios_lockdown = on\n");
	unsetenv("USBMUXD_SOCKET_ADDRESS");
	assert_non_null(st);
	bed_load(st->b, "iphone");
	wait_port(st, "1-1", 0, 0);
	for (deadline = st_now_ms() + ST_WAIT_MS; count(st,
	    "device.identified") == 0 && st_now_ms() < deadline; )
		h_sleep_ms(10);
	ev = last(st, "device.identified");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(ev, "data"), "ios"), "product_type")),
	    "iPhone14,2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(ev, "data"), "ios"), "unique_device_id")),
	    FAKE_UDID);
	json_decref(ev);
	assert_true(fake_usbmuxd_log(&fake, log, sizeof(log)) > 0);
	assert_non_null(strstr(log, "lockdownd GetValue ProductType"));
	assert_null(strstr(log, "Pair"));
	assert_null(strstr(log, "SetValue"));
	assert_null(strstr(log, "StartSession"));
	assert_null(strstr(log, "StartService"));
	assert_null(strstr(log, "QueryType"));
	cli_login(st);
	register_port(st, &o, "1-1", "S-9");
	if (o.status != 0)
		fail_msg("register --port: %s", o.text);
	rep = h_req(&st->h, st->tok, "device.list", "{}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(rep, "result"), "devices"), 0),
	    "model")), "iPhone14,2");
	json_decref(rep);
	log_verifies(st);
	st_stop(st);
	fake_usbmuxd_stop(&fake);
	(void)rmdir(dir);
}

/*
 * The helper killed (as its seccomp filter would kill it): the daemon
 * keeps serving, forgets what was plugged in, and custody status says
 * detection stopped and why.
 */
static void
test_helper_killed(void **state)
{
	struct station *st = *state;
	struct h_out o;
	json_t *rep;
	pid_t helper = st_helper_pid(st);
	long deadline;
	const char *why = "";

	bed_load(st->b, "samsung-galaxy");
	wait_port(st, "1-2", 0, 0);
	assert_true(helper > 0);
	assert_int_equal(kill(helper, SIGSYS), 0);
	for (deadline = st_now_ms() + ST_WAIT_MS; st_now_ms() < deadline;
	    h_sleep_ms(10)) {
		rep = detected(st, 1);
		why = json_string_value(json_object_get(json_object_get(
		    json_object_get(rep, "result"), "usb"), "why")) ?: "";
		if (strstr(why, "signal 31") != NULL) {
			assert_null(find_port(rep, "1-2"));
			json_decref(rep);
			break;
		}
		json_decref(rep);
	}
	assert_int_equal(count(st, "usb.monitor_stopped"), 1);
	cli_login(st);
	h_cli(&st->h, &o, "sue", "status", NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.text, "USB detection has stopped"));
	assert_non_null(strstr(o.text, "a forbidden system call"));
	log_verifies(st);
}

static void
storm_plug(struct station *f, int i)
{
	static const char *const names[] = { "iphone", "samsung-galaxy",
	    "pixel-mtp", "android-tablet" };

	bed_load(f->b, names[i % 4]);
}

static void
storm_unplug(struct station *f, int i)
{
	static const char *const paths[] = { USB1 "/1-1", USB1 "/1-2",
	    USB1 "/1-3", USB1 "/1-5" };

	bed_unplug(f->b, paths[i % 4]);
}

static const char *const storm_ports[] = { "1-1", "1-2", "1-3", "1-5" };

/*
 * The storm: 200 arrivals and 200 departures of four devices (three
 * phones and a tablet), interleaved: in each of 50 rounds, starting
 * from a different device, two arrive, one leaves, two more arrive, the
 * other three leave.  A departure waits only until its own arrival is
 * recorded (a phone is never unplugged before the kernel has read it);
 * everything else runs ahead.  Every arrival and departure is recorded
 * exactly once, the log verifies, and neither the daemon's memory nor
 * the helper's grows between round 10 and round 50.
 */
/* 1 if every thread of pid runs under a seccomp filter ("Seccomp: 2"). */
static int
all_confined(pid_t pid)
{
	char path[384], line[256];
	struct dirent *de;
	int n = 0, ok = 1, mode;
	FILE *fp;
	DIR *d;

	(void)snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%ld/task/%s/status",
		    (long)pid, de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		mode = -1;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "Seccomp: %d", &mode) == 1)
				break;
		fclose(fp);
		n++;
		ok &= mode == 2;
	}
	closedir(d);
	return ok && n >= 2;	/* ours and libusb's */
}

/*
 * A restart with a phone plugged in: the new helper reports it again,
 * recorded as device.detected with at_start, because nobody can say what
 * happened while the daemon was down.  Both helper threads are confined.
 */
static void
test_restart(void **state)
{
	struct station *st = *state;
	json_t *ev;

	assert_true(all_confined(st_helper_pid(st)));
	bed_load(st->b, "samsung-galaxy");
	wait_port(st, "1-2", 0, 0);
	assert_int_equal(h_stop_daemon(&st->h, SIGTERM), 0);
	assert_int_equal(h_start_daemon(&st->h), 0);
	assert_non_null(h_login(&st->h, "sue", SLT_PW, st->tok));
	wait_port(st, "1-2", 0, 0);
	assert_true(all_confined(st_helper_pid(st)));
	assert_int_equal(count(st, "device.detected"), 2);
	ev = last(st, "device.detected");
	assert_true(json_is_true(json_object_get(json_object_get(ev, "data"),
	    "at_start")));
	json_decref(ev);
	assert_int_equal(count(st, "usb.monitor_stopped"), 0);
	log_verifies(st);
}

static void
test_storm(void **state)
{
	struct station *f = *state;
	long d0 = 0, h0 = 0, d1, h1;
	pid_t helper = st_helper_pid(f);
	int round, o, k;

	assert_true(helper > 0);
	for (round = 0; round < 50; round++) {
		o = round % 4;
		storm_plug(f, o);
		storm_plug(f, o + 1);
		wait_port(f, storm_ports[o % 4], 0, 0);
		storm_unplug(f, o);
		storm_plug(f, o + 2);
		storm_plug(f, o + 3);
		for (k = 1; k < 4; k++) {
			wait_port(f, storm_ports[(o + k) % 4], 0, 0);
			storm_unplug(f, o + k);
		}
		for (k = 0; k < 4; k++)
			wait_port(f, storm_ports[k], 1, 1);
		if (round == 9) {
			h_sleep_ms(200);	/* idle: caches given back */
			d0 = rss_kib(f->h.pid);
			h0 = rss_kib(helper);
		}
	}
	h_sleep_ms(200);
	d1 = rss_kib(f->h.pid);
	h1 = rss_kib(helper);
	assert_int_equal(count(f, "device.detected"), 200);
	assert_int_equal(count(f, "device.unplugged"), 200);
	assert_int_equal(count(f, "device.seen"), 0);
	log_verifies(f);
	print_message("storm: daemon RSS %ld -> %ld KiB, helper %ld -> %ld "
	    "KiB (rounds 10 to 50)\n", d0, d1, h0, h1);
	assert_true(d0 > 0 && h0 > 0);
	/* The leak this found (a query's parameters per arrival) was 60 KiB. */
	assert_true(d1 - d0 <= 64);
	assert_true(h1 - h0 <= 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect_register_seen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_phones, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm, setup, teardown),
		cmocka_unit_test(test_ios_identity),
		cmocka_unit_test_setup_teardown(test_helper_killed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
