/*
 * test_daemon_crash.c -- SIGKILL the daemon at random moments while four
 * clients write.  After every restart the log must verify, and every
 * event a client was given a receipt for must be in it, byte for byte
 * (same leaf hash).  CRASH_TRIALS sets the number of kills (default 20;
 * the lock-down issue runs 200).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define WRITERS	4
#define PW	"amber falcon river 42"

static struct harness H;

/* A writer: registers devices until the daemon goes away, writing the
 * seq and leaf hash of each acknowledged event to its file. */
static void
writer(int id, const char *acks)
{
	char token[65], args[256];
	const char *r, *leaf;
	FILE *fp;
	json_t *rep;
	int n = 0;

	if ((fp = fopen(acks, "a")) == NULL)
		_exit(2);
	if (h_login(&H, "writer", PW, token) == NULL)
		_exit(0);	/* killed before we began */
	for (;;) {
		(void)snprintf(args, sizeof(args), "{\"pupil\":\"P-%d-%d\","
		    "\"reason\":\"behaviour\",\"location\":\"safe\",\"seal\":"
		    "\"S%d\",\"power\":\"off\"}", id, n, n);
		n++;
		if ((rep = h_req(&H, token, "device.register", args)) == NULL)
			break;
		if (h_ok(rep) && (r = json_string_value(json_object_get(
		    json_object_get(rep, "result"), "receipt"))) != NULL &&
		    (leaf = strstr(r, "leaf: ")) != NULL) {
			fprintf(fp, "%lld %.64s\n", (long long)json_integer_value(
			    json_object_get(json_object_get(rep, "result"),
			    "seq")), leaf + 6);
			fflush(fp);
		}
		json_decref(rep);
	}
	fclose(fp);
	_exit(0);
}

static int
setup(void **unused)
{
	char admin[65];
	json_t *rep;

	if (h_start(&H, NULL) != 0 ||
	    h_login(&H, H_ADMIN, H_ADMIN_PW, admin) == NULL)
		return -1;
	rep = h_req(&H, admin, "user.add", "{\"user\":\"writer\",\"role\":"
	    "\"slt\",\"new_password\":\"" PW "\",\"password\":\"" H_ADMIN_PW
	    "\"}");
	if (!h_ok(rep))
		return -1;
	json_decref(rep);
	return 0;
}

static int
teardown(void **unused)
{
	h_finish(&H);
	return 0;
}

/* Checks that every acknowledged (seq, leaf) is in the database. */
static long
check_acks(const char *acks)
{
	char path[200], hex[65];
	long long seq;
	sqlite3 *db;
	sqlite3_stmt *s;
	FILE *fp;
	long n = 0;
	int i;

	(void)snprintf(path, sizeof(path), "%s/custody.db", H.state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT hex(leaf_hash) FROM "
	    "events WHERE seq = ?", -1, &s, NULL), SQLITE_OK);
	assert_non_null(fp = fopen(acks, "r"));
	while (fscanf(fp, "%lld %64s", &seq, hex) == 2) {
		for (i = 0; hex[i]; i++)
			if (hex[i] >= 'a' && hex[i] <= 'f')
				hex[i] = (char)(hex[i] - 'a' + 'A');
		sqlite3_bind_int64(s, 1, seq);
		if (sqlite3_step(s) != SQLITE_ROW || strcmp((const char *)
		    sqlite3_column_text(s, 0), hex) != 0)
			fail_msg("acknowledged event %lld is missing or "
			    "changed after a crash", seq);
		sqlite3_reset(s);
		n++;
	}
	fclose(fp);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
verify_log(void)
{
	char db[200], out[200];
	char *argv[] = { getenv("CUSTODY_BIN"), "log", "verify", "--db", db,
	    NULL };

	assert_non_null(argv[0]);
	(void)snprintf(db, sizeof(db), "%s/custody.db", H.state);
	(void)snprintf(out, sizeof(out), "%s/verify.out", H.dir);
	if (h_run(argv, out) != 0)
		fail_msg("custody log verify failed after a crash; see %s", out);
}

static void
test_sigkill_under_load(void **unused)
{
	const char *e = getenv("CRASH_TRIALS");
	int trials = e ? atoi(e) : 20, t, i;
	char acks[WRITERS][200];
	pid_t w[WRITERS];
	long acked = 0;

	srandom((unsigned int)getpid());
	for (i = 0; i < WRITERS; i++)
		(void)snprintf(acks[i], sizeof(acks[i]), "%s/acks-%d", H.dir, i);
	for (t = 0; t < trials; t++) {
		for (i = 0; i < WRITERS; i++)
			if ((w[i] = fork()) == 0)
				writer(i, acks[i]);
		h_sleep_ms(20 + (int)(random() % 200));
		assert_true(h_stop_daemon(&H, SIGKILL) != -1);
		for (i = 0; i < WRITERS; i++)
			waitpid(w[i], NULL, 0);
		assert_int_equal(h_start_daemon(&H), 0);
		verify_log();
	}
	for (i = 0; i < WRITERS; i++)
		acked += check_acks(acks[i]);
	print_message("%d SIGKILLs, %ld acknowledged events all present\n",
	    trials, acked);
	assert_true(acked > trials);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigkill_under_load, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("daemon_crash", tests, NULL, NULL);
}
