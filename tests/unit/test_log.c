/*
 * test_log.c -- the custody log and its verifier: appends, proofs,
 * receipts, and every kind of tampering the foundation issue names, each
 * of which must be detected and named.
 *
 * Each test builds a fresh station of N_EVENTS events in a temporary
 * directory, tampers with its database through SQLite directly (dropping
 * the append-only triggers first, as an attacker with the file would),
 * and runs log_verify read-only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/error.h"
#include "evidence/log.h"
#include "evidence/station.h"
#include "evidence/verify.h"
#include "hashing/merkle.h"

#define N_EVENTS	12	/* event 0 (station.init) and 11 more */
#define ORIGIN		"school.example/custody-test"

struct fx {
	char	dir[64];
	char	db[128];
	char	err[512];
	struct receipt rc[N_EVENTS];	/* receipt of each event */
};

static void
append_events(const char *dir, int from, int to, struct receipt *rcs)
{
	struct station *s = NULL;
	json_t *actor, *subject, *data;
	char err[512] = "";
	uint64_t seq;
	int i;

	assert_int_equal(station_open(dir, 0, &s, err, sizeof(err)), 0);
	actor = json_pack("{s:s,s:s,s:i}", "user", "mrs.khan", "role", "slt",
	    "uid", 1000);
	for (i = from; i < to; i++) {
		subject = json_pack("{s:s}", "device", "D-1");
		data = json_pack("{s:s,s:i}", "seal", "SEAL-0001", "n", i);
		assert_int_equal(custody_log_begin(station_log(s)), 0);
		assert_int_equal(custody_log_append(station_log(s),
		    "device.move", actor, subject, data, &seq), 0);
		assert_int_equal(seq, (uint64_t)i);
		assert_int_equal(custody_log_commit(station_log(s), err,
		    sizeof(err)), 0);
		json_decref(subject);
		json_decref(data);
		if (rcs != NULL)
			assert_int_equal(custody_log_receipt(station_log(s),
			    seq, &rcs[i], err, sizeof(err)), 0);
	}
	json_decref(actor);
	station_close(s);
}

static int
setup(void **state)
{
	char fpr[SIGN_FPR_HEX];
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/custody-test-log-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/st");
	snprintf(f->db, sizeof(f->db), "%s/custody.db", f->dir);
	assert_int_equal(station_init(f->dir, ORIGIN, fpr, f->err,
	    sizeof(f->err)), 0);
	append_events(f->dir, 1, N_EVENTS, f->rc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];
	int i;

	for (i = 0; i < N_EVENTS; i++)
		receipt_clear(&f->rc[i]);
	f->dir[strlen(f->dir) - 3] = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Runs SQL on the database as an attacker would: triggers dropped. */
static void
tamper(struct fx *f, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	    "DROP TRIGGER IF EXISTS events_ro; DROP TRIGGER IF EXISTS events_nd;"
	    "DROP TRIGGER IF EXISTS tree_ro; DROP TRIGGER IF EXISTS tree_nd;"
	    "DROP TRIGGER IF EXISTS checkpoints_ro;"
	    "DROP TRIGGER IF EXISTS checkpoints_nd;"
	    "DROP TRIGGER IF EXISTS station_ro;"
	    "DROP TRIGGER IF EXISTS station_nd;", NULL, NULL, NULL),
	    SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("tamper SQL failed: %s", msg);
	sqlite3_close(db);
}

/* Sets event seq's body, and optionally its stored leaf hash, to body. */
static void
tamper_body(struct fx *f, int seq, const char *body, int fix_leaf)
{
	uint8_t leaf[32];
	sqlite3 *db;
	sqlite3_stmt *s;

	tamper(f, "SELECT 1");
	merkle_hash_leaf(body, strlen(body), leaf);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE events SET body = ?, "
	    "leaf_hash = CASE WHEN ? THEN ? ELSE leaf_hash END WHERE seq = ?",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, body, (int)strlen(body), SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, fix_leaf);
	sqlite3_bind_blob(s, 3, leaf, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 4, seq);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static char *
event_body(struct fx *f, int seq)
{
	struct store *st;
	char *body = NULL;
	size_t len;

	assert_int_equal(store_open(f->db, STORE_RDONLY, &st, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(store_event_get(st, (uint64_t)seq, &body, &len,
	    NULL), 0);
	store_close(st);
	return body;
}

/* Verifies read-only; returns the code, with the reason in f->err. */
static int
verify(struct fx *f, const struct receipt *rc, const char *fpr)
{
	struct verify_result res;
	struct verify_opts o = { rc, fpr };
	struct store *st = NULL;
	int r;

	f->err[0] = '\0';
	if ((r = store_open(f->db, STORE_RDONLY, &st, f->err,
	    sizeof(f->err))) != 0)
		return r;
	r = log_verify(st, &o, &res, f->err, sizeof(f->err));
	if (r == 0)
		assert_int_equal(res.events, N_EVENTS);
	store_close(st);
	return r;
}

static void
expect_bad(struct fx *f, const struct receipt *rc, const char *what)
{
	int r = verify(f, rc, NULL);

	if (r != CUSTODY_ERR_VERIFY || strstr(f->err, what) == NULL)
		fail_msg("expected verification to fail with '%s', got %d: %s",
		    what, r, f->err);
}

static void
test_intact_log_verifies(void **state)
{
	struct fx *f = *state;
	int i;

	assert_int_equal(verify(f, NULL, NULL), 0);
	for (i = 1; i < N_EVENTS; i++)
		assert_int_equal(verify(f, &f->rc[i], NULL), 0);
	assert_int_equal(verify(f, NULL, f->rc[1].fingerprint), 0);
}

static void
test_wrong_fingerprint_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(verify(f, NULL, "00"), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(f->err, "expected 00"));
}

static void
test_body_byte_changed(void **state)
{
	struct fx *f = *state;

	tamper(f, "UPDATE events SET body = replace(body, 'SEAL-0001', "
	    "'SEAL-0002') WHERE seq = 5");
	expect_bad(f, NULL, "event 5: body does not match its leaf hash");
}

static void
test_first_bad_event_named(void **state)
{
	struct fx *f = *state;

	tamper(f, "UPDATE events SET body = replace(body, 'SEAL-0001', "
	    "'SEAL-0002') WHERE seq IN (4, 9)");
	expect_bad(f, NULL, "event 4:");
}

static void
test_body_and_leaf_changed(void **state)
{
	struct fx *f = *state;
	char *body = event_body(f, 7), *p;

	/* Event 7 completes node (1, 3) before checkpoint 8 is reached. */
	assert_non_null(p = strstr(body, "SEAL-0001"));
	p[8] = '9';
	tamper_body(f, 7, body, 1);
	expect_bad(f, NULL, "tree node (level 1, index 3) holds leaves that "
	    "do not match events 6..7");
	free(body);
}

static void
test_consistent_rewrite_caught_by_checkpoint(void **state)
{
	struct fx *f = *state;
	char *body = event_body(f, 6), *p;

	/* Event 6 rewritten with its leaf: checkpoint 7 is the first to
	 * disagree, since node (1, 3) only completes at event 7. */
	assert_non_null(p = strstr(body, "SEAL-0001"));
	p[8] = '9';
	tamper_body(f, 6, body, 1);
	expect_bad(f, NULL, "checkpoint at size 7: signed root does not "
	    "match");
	free(body);
}

static void
test_event_deleted(void **state)
{
	struct fx *f = *state;

	tamper(f, "DELETE FROM events WHERE seq = 7");
	expect_bad(f, NULL, "event 7 is missing");
}

static void
test_events_swapped(void **state)
{
	struct fx *f = *state;

	tamper(f, "UPDATE events SET seq = 1000 WHERE seq = 3;"
	    "UPDATE events SET seq = 3 WHERE seq = 4;"
	    "UPDATE events SET seq = 4 WHERE seq = 1000;");
	expect_bad(f, NULL, "event 3: body records seq 4");
}

static void
test_tree_node_altered(void **state)
{
	struct fx *f = *state;

	tamper(f, "UPDATE tree SET hash = zeroblob(32) WHERE level = 2 AND "
	    "idx = 1");
	expect_bad(f, NULL, "tree node (level 2, index 1) covering events "
	    "4..7 does not match");
}

static void
test_tree_node_deleted(void **state)
{
	struct fx *f = *state;

	tamper(f, "DELETE FROM tree WHERE level = 3 AND idx = 0");
	expect_bad(f, NULL, "tree node (level 3, index 0) covering events "
	    "0..7 is missing");
}

static void
test_checkpoint_signature_altered(void **state)
{
	struct fx *f = *state;

	/* Flip one base64 character near the end of the signature line. */
	tamper(f, "UPDATE checkpoints SET note = substr(note, 1, "
	    "length(note) - 6) || CASE substr(note, length(note) - 5, 1) "
	    "WHEN 'A' THEN 'B' ELSE 'A' END || substr(note, length(note) - 4)"
	    " WHERE size = 8");
	expect_bad(f, NULL, "checkpoint at size 8: signature by "
	    ORIGIN " does not verify");
}

static void
test_checkpoint_root_altered(void **state)
{
	struct fx *f = *state;

	tamper(f, "UPDATE checkpoints SET root = zeroblob(32) WHERE size = 9");
	expect_bad(f, NULL, "checkpoint at size 9: its row does not match");
}

static void
test_checkpoint_note_root_altered(void **state)
{
	struct fx *f = *state;

	/* Line 3 of the note is the root: change its first characters. */
	tamper(f, "UPDATE checkpoints SET note = substr(note, 1, "
	    "length('" ORIGIN "') + 4) || 'AAAA' || substr(note, "
	    "length('" ORIGIN "') + 9) WHERE size = 10");
	expect_bad(f, NULL, "checkpoint at size 10:");
}

static void
test_truncation_needs_receipt(void **state)
{
	struct fx *f = *state;

	/* Cut the log to 8 events, consistently: it verifies on its own. */
	tamper(f, "DELETE FROM events WHERE seq >= 8;"
	    "DELETE FROM tree WHERE idx >= (8 >> level) AND level < 4;"
	    "DELETE FROM tree WHERE level >= 4;"
	    "DELETE FROM checkpoints WHERE size > 8;");
	f->err[0] = '\0';
	{
		struct store *st;
		struct verify_result res;

		assert_int_equal(store_open(f->db, STORE_RDONLY, &st, f->err,
		    sizeof(f->err)), 0);
		assert_int_equal(log_verify(st, NULL, &res, f->err,
		    sizeof(f->err)), 0);
		assert_int_equal(res.events, 8);
		store_close(st);
	}
	/* A receipt taken before the truncation catches it. */
	expect_bad(f, &f->rc[N_EVENTS - 1], "the log was truncated");
	/* A receipt for an event still there, with a later checkpoint. */
	expect_bad(f, &f->rc[9], "events 8..9 are missing");
	/* A receipt from before the cut still verifies. */
	f->err[0] = '\0';
	{
		struct store *st;
		struct verify_result res;
		struct verify_opts o = { &f->rc[5], NULL };

		assert_int_equal(store_open(f->db, STORE_RDONLY, &st, f->err,
		    sizeof(f->err)), 0);
		assert_int_equal(log_verify(st, &o, &res, f->err,
		    sizeof(f->err)), 0);
		store_close(st);
	}
}

static void
test_truncation_leaving_checkpoints(void **state)
{
	struct fx *f = *state;

	tamper(f, "DELETE FROM events WHERE seq >= 10;"
	    "DELETE FROM tree WHERE idx >= (10 >> level);");
	expect_bad(f, NULL, "checkpoint at size 11 is beyond the log");
}

static void
test_unsigned_event_appended(void **state)
{
	struct fx *f = *state;
	char sql[4096];
	char *body = event_body(f, 11), *p;
	uint8_t leaf[32];
	char hex[65];
	int i;

	/* A forged event 12 with correct leaf hash but no checkpoint. */
	assert_non_null(p = strstr(body, "\"seq\":11"));
	p[7] = '2';
	merkle_hash_leaf(body, strlen(body), leaf);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", leaf[i]);
	snprintf(sql, sizeof(sql), "INSERT INTO events VALUES (12, "
	    "'device.move', CAST('%s' AS BLOB), X'%s');", body, hex);
	tamper(f, sql);
	expect_bad(f, NULL, "events 12..12 are not covered by any signed "
	    "checkpoint");
	free(body);
}

static void
test_receipt_event_replaced(void **state)
{
	struct fx *f = *state;
	struct receipt rc = f->rc[3];

	rc.leaf[0] ^= 1;
	expect_bad(f, &rc, "event 3 differs from the receipt");
}

static void
test_receipt_root_differs(void **state)
{
	struct fx *f = *state;
	struct receipt rc = f->rc[3];

	/* A receipt whose checkpoint root is not this log's: refused at
	 * the signature, since the note no longer matches it. */
	rc.cp.root[0] ^= 1;
	assert_int_equal(verify(f, &rc, NULL), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(f->err, "history was rewritten"));
}

/*
 * The whole station rebuilt under a new key, history rewritten: the log
 * is self-consistent again, so only what left the station (a receipt,
 * the key fingerprint on paper) can tell.
 */
static void
test_station_key_replaced(void **state)
{
	struct fx *f = *state;
	struct fx *g = NULL;

	assert_int_equal(setup((void **)&g), 0);
	/* Another station's certificate swapped in: event 0 disagrees. */
	{
		char sql[512];

		snprintf(sql, sizeof(sql), "ATTACH '%s' AS other;"
		    "UPDATE station SET cert = (SELECT cert FROM "
		    "other.station);", g->db);
		tamper(f, sql);
	}
	expect_bad(f, NULL, "the station key was replaced");
	/* A whole other station passes off as this one: receipts catch it. */
	assert_int_equal(verify(g, &f->rc[5], NULL), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(g->err, "receipt was issued under station "
	    "key"));
	assert_int_equal(verify(g, NULL, f->rc[5].fingerprint),
	    CUSTODY_ERR_VERIFY);
	teardown((void **)&g);
}

static void
test_proofs_verify(void **state)
{
	uint8_t path[MERKLE_MAX_PROOF][32], root[32], leaf[32];
	struct fx *f = *state;
	struct custody_log *log = NULL;
	struct store *st = NULL;
	uint64_t seq, size;
	size_t n, len;
	char *body;

	assert_int_equal(store_open(f->db, STORE_RDONLY, &st, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(custody_log_open(st, NULL, &log, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(custody_log_size(log), N_EVENTS);
	for (seq = 0; seq < N_EVENTS; seq++) {
		for (size = seq + 1; size <= N_EVENTS; size++) {
			uint64_t sz = size;

			assert_int_equal(custody_log_proof(log, seq, &sz, root,
			    path, &n), 0);
			assert_int_equal(custody_log_event(log, seq, &body,
			    &len, leaf), 0);
			free(body);
			assert_int_equal(merkle_inclusion_verify(seq, size,
			    leaf, (const uint8_t (*)[32])path, n, root), 0);
			leaf[0] ^= 1;
			assert_int_equal(merkle_inclusion_verify(seq, size,
			    leaf, (const uint8_t (*)[32])path, n, root),
			    CUSTODY_ERR_VERIFY);
		}
	}
	/* Size 0: the newest checkpoint. */
	size = 0;
	assert_int_equal(custody_log_proof(log, 2, &size, root, path, &n), 0);
	assert_int_equal(size, N_EVENTS);
	size = N_EVENTS + 1;
	assert_int_equal(custody_log_proof(log, 2, &size, root, path, &n),
	    CUSTODY_ERR_RANGE);
	custody_log_free(log);
	store_close(st);
}

static void
test_readonly_log_refuses_append(void **state)
{
	struct fx *f = *state;
	struct custody_log *log = NULL;
	struct store *st = NULL;

	assert_int_equal(store_open(f->db, STORE_RDONLY, &st, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(custody_log_open(st, NULL, &log, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(custody_log_begin(log), CUSTODY_ERR_PERM);
	custody_log_free(log);
	store_close(st);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct station *s = NULL;
	json_t *actor = json_pack("{s:s}", "user", "x");
	uint64_t seq;

	assert_int_equal(station_open(f->dir, 0, &s, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(custody_log_begin(station_log(s)), 0);
	assert_int_equal(custody_log_append(station_log(s), "device.move",
	    actor, NULL, NULL, &seq), 0);
	assert_int_equal(custody_log_size(station_log(s)), N_EVENTS + 1);
	custody_log_abort(station_log(s));
	assert_int_equal(custody_log_size(station_log(s)), N_EVENTS);
	/* Appending after an abort reuses the seq and stays valid. */
	assert_int_equal(custody_log_begin(station_log(s)), 0);
	assert_int_equal(custody_log_append(station_log(s), "device.move",
	    actor, NULL, NULL, &seq), 0);
	assert_int_equal(seq, N_EVENTS);
	custody_log_abort(station_log(s));
	/* A real, non-object value is refused before anything is written. */
	assert_int_equal(custody_log_begin(station_log(s)), 0);
	{
		json_t *bad = json_pack("{s:f}", "x", 1.5);

		assert_int_equal(custody_log_append(station_log(s), "x", actor,
		    NULL, bad, &seq), CUSTODY_ERR_INVAL);
		json_decref(bad);
	}
	custody_log_abort(station_log(s));
	station_close(s);
	json_decref(actor);
	assert_int_equal(verify(f, NULL, NULL), 0);
}

static void
test_wrong_key_file_refused(void **state)
{
	struct fx *f = *state;
	struct fx *g = NULL;
	struct station *s = NULL;
	char cmd[512];

	assert_int_equal(setup((void **)&g), 0);
	snprintf(cmd, sizeof(cmd), "cp '%s/station.key' '%s/station.key'",
	    g->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(station_open(f->dir, 0, &s, f->err, sizeof(f->err)),
	    CUSTODY_ERR_KEY);
	assert_non_null(strstr(f->err, "does not match the station "
	    "certificate"));
	snprintf(cmd, sizeof(cmd), "chmod 644 '%s/station.key'", f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(station_open(f->dir, 0, &s, f->err, sizeof(f->err)),
	    CUSTODY_ERR_KEY);
	assert_non_null(strstr(f->err, "0600"));
	teardown((void **)&g);
}

static void
test_init_refuses_existing_station(void **state)
{
	struct fx *f = *state;
	char fpr[SIGN_FPR_HEX];

	assert_int_equal(station_init(f->dir, ORIGIN, fpr, f->err,
	    sizeof(f->err)), CUSTODY_ERR_EXISTS);
	assert_int_equal(station_init("/tmp/x", "bad origin", fpr, f->err,
	    sizeof(f->err)), CUSTODY_ERR_INVAL);
	assert_int_equal(verify(f, NULL, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_intact_log_verifies),
		T(test_wrong_fingerprint_refused),
		T(test_body_byte_changed),
		T(test_first_bad_event_named),
		T(test_body_and_leaf_changed),
		T(test_consistent_rewrite_caught_by_checkpoint),
		T(test_event_deleted),
		T(test_events_swapped),
		T(test_tree_node_altered),
		T(test_tree_node_deleted),
		T(test_checkpoint_signature_altered),
		T(test_checkpoint_root_altered),
		T(test_checkpoint_note_root_altered),
		T(test_truncation_needs_receipt),
		T(test_truncation_leaving_checkpoints),
		T(test_unsigned_event_appended),
		T(test_receipt_event_replaced),
		T(test_receipt_root_differs),
		T(test_station_key_replaced),
		T(test_proofs_verify),
		T(test_readonly_log_refuses_append),
		T(test_abort_leaves_nothing),
		T(test_wrong_key_file_refused),
		T(test_init_refuses_existing_station),
#undef T
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
