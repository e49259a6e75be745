/*
 * test_fault.c -- disk faults under the real daemon: write(2) and
 * fsync(2) failing with EIO and ENOSPC on its database (tests/fault/
 * shim.c, preloaded into custodyd only).  Each time the client gets a
 * clear error, the log gains nothing, the same request succeeds once the
 * fault clears, and a restart, even after SIGKILL with the fault still
 * on, finds the log whole and each request applied entirely or not at
 * all.  And a second program holding the database's write lock.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define PW	"amber falcon river 42"

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

static struct harness H;
static char ctldir[] = "/tmp/custody-fault-XXXXXX";
static char ctl[PATH_MAX], shim[PATH_MAX], admin[65];

static void
fault_set(const char *what)
{
	FILE *fp = fopen(ctl, "w");

	assert_non_null(fp);
	fputs(what, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Starts (or restarts) the daemon with the shim preloaded; logs in. */
static int
daemon_up(int fresh)
{
	int r;

	if (setenv("LD_PRELOAD", shim, 1) != 0 ||
	    setenv("FAULT_CTL", ctl, 1) != 0)
		return -1;
	r = fresh ? h_start(&H, NULL) : h_start_daemon(&H);
	unsetenv("LD_PRELOAD");
	if (r != 0 || h_login(&H, H_ADMIN, H_ADMIN_PW, admin) == NULL)
		return -1;
	return 0;
}

static int
setup(void **unused)
{
	const char *bin = getenv("CUSTODYD_BIN");
	char *slash;

	if (ASAN_BUILD || bin == NULL)
		return 0;
	/* The shim is built beside the daemon: B/tests/fault/shim.so. */
	(void)snprintf(shim, sizeof(shim), "%s", bin);
	if ((slash = strrchr(shim, '/')) == NULL)
		return -1;
	(void)snprintf(slash, sizeof(shim) - (size_t)(slash - shim),
	    "/tests/fault/shim.so");
	if (access(shim, R_OK) != 0) {
		fprintf(stderr, "no %s: build it with make check\n", shim);
		return -1;
	}
	if (mkdtemp(ctldir) == NULL)
		return -1;
	(void)snprintf(ctl, sizeof(ctl), "%s/ctl", ctldir);
	fault_set("");
	return daemon_up(1);
}

static int
teardown(void **unused)
{
	h_finish(&H);
	if (ctl[0] != '\0') {
		unlink(ctl);
		rmdir(ctldir);
	}
	return 0;
}

static json_int_t
log_size(void)
{
	json_t *rep = h_req(&H, admin, "station.status", NULL);
	json_int_t n;

	assert_true(h_ok(rep));
	n = json_integer_value(json_object_get(json_object_get(rep, "result"),
	    "log_size"));
	json_decref(rep);
	return n;
}

static json_t *
user_add(const char *user)
{
	char args[256];

	(void)snprintf(args, sizeof(args), "{\"user\":\"%s\",\"role\":\"slt\","
	    "\"new_password\":\"" PW "\",\"password\":\"" H_ADMIN_PW "\"}",
	    user);
	return h_req(&H, admin, "user.add", args);
}

static int
user_exists(const char *user)
{
	json_t *rep = h_req(&H, admin, "user.list", NULL), *u;
	size_t i;
	int found = 0;

	assert_true(h_ok(rep));
	json_array_foreach(json_object_get(json_object_get(rep, "result"),
	    "users"), i, u)
		if (strcmp(json_string_value(json_object_get(u, "user")) ?: "",
		    user) == 0)
			found = 1;
	json_decref(rep);
	return found;
}

static void
verify_offline(void)
{
	char db[PATH_MAX], out[PATH_MAX];
	char *argv[] = { getenv("CUSTODY_BIN"), "log", "verify", "--db", db,
	    NULL };

	(void)snprintf(db, sizeof(db), "%s/custody.db", H.state);
	(void)snprintf(out, sizeof(out), "%s/verify.out", H.dir);
	if (h_run(argv, out) != 0)
		fail_msg("custody log verify failed; see %s", out);
}

static const char *const faults[] = {
	"fsync EIO", "fsync ENOSPC", "write EIO", "write ENOSPC",
};

/* Each fault: a clear error, nothing recorded, then success. */
static void
test_fault_then_recover(void **unused)
{
	char user[32];
	json_int_t before;
	json_t *rep;
	size_t i;

	if (ASAN_BUILD)
		skip();	/* the shim cannot come before ASan's runtime */
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		(void)snprintf(user, sizeof(user), "fault%zu", i);
		before = log_size();
		fault_set(faults[i]);
		rep = user_add(user);
		fault_set("");
		if (rep == NULL || h_ok(rep))
			fail_msg("%s: the request did not fail", faults[i]);
		assert_string_equal(h_code(rep), "internal");
		assert_non_null(strstr(h_msg(rep), "could not record the "
		    "request: cannot commit to the database: "));
		assert_non_null(strstr(h_msg(rep), "may not have been saved"));
		json_decref(rep);
		assert_int_equal(log_size(), before);
		assert_false(user_exists(user));
		rep = user_add(user);
		if (!h_ok(rep))
			fail_msg("%s: after the fault cleared: %s", faults[i],
			    h_msg(rep));
		json_decref(rep);
		assert_int_equal(log_size(), before + 1);
		assert_true(user_exists(user));
	}
	assert_int_equal(h_stop_daemon(&H, SIGTERM) & 0xffff, 0);
	verify_offline();
	assert_int_equal(daemon_up(0), 0);
}

/*
 * SIGKILL while the fault is on.  A failed write leaves nothing; a failed
 * fsync can leave the whole transaction in the WAL, which SQLite's
 * recovery then keeps: so the client was told "may not have been saved".
 * Either way the restart finds the log whole and the request applied
 * entirely or not at all.
 */
static void
test_fault_then_kill(void **unused)
{
	char user[32];
	json_int_t before, after;
	json_t *rep;
	size_t i;

	if (ASAN_BUILD)
		skip();
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		(void)snprintf(user, sizeof(user), "killed%zu", i);
		before = log_size();
		fault_set(faults[i]);
		rep = user_add(user);
		assert_false(h_ok(rep));
		json_decref(rep);
		(void)h_stop_daemon(&H, SIGKILL);
		fault_set("");
		verify_offline();
		assert_int_equal(daemon_up(0), 0);
		after = log_size() - 1;		/* less the new login */
		if (strncmp(faults[i], "write", 5) == 0 && after != before)
			fail_msg("%s: an event survived the failed write",
			    faults[i]);
		if (after != before && after != before + 1)
			fail_msg("%s: the log went from %lld to %lld events",
			    faults[i], (long long)before, (long long)after);
		if (user_exists(user) != (after == before + 1))
			fail_msg("%s: the event and the account disagree",
			    faults[i]);
		fprintf(stderr, "%s then SIGKILL: %s\n", faults[i],
		    after == before ? "nothing kept" : "the whole request kept");
	}
}

/*
 * Another program holding custody.db's write lock (SQLITE_BUSY after the
 * daemon's 5-second wait): a clear error, then service as before.
 */
static void
test_database_locked(void **unused)
{
	char db[PATH_MAX];
	json_int_t before;
	sqlite3 *other;
	json_t *rep;

	if (ASAN_BUILD)
		skip();
	before = log_size();
	(void)snprintf(db, sizeof(db), "%s/custody.db", H.state);
	assert_int_equal(sqlite3_open(db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	rep = user_add("locked");
	assert_false(h_ok(rep));
	assert_string_equal(h_code(rep), "internal");
	assert_non_null(strstr(h_msg(rep), "the custody log is locked by "
	    "another program (database is locked)"));
	json_decref(rep);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(log_size(), before);
	rep = user_add("locked");
	assert_true(h_ok(rep));
	json_decref(rep);
	assert_int_equal(log_size(), before + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_then_recover),
		cmocka_unit_test(test_fault_then_kill),
		cmocka_unit_test(test_database_locked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
