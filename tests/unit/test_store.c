/*
 * test_store.c -- unit tests for evidence/store.c, through its own API,
 * through a station (station_init, station_open, the custody log) and,
 * as an independent referee, through the SQLite API directly.
 *
 * Every test works in a fresh mkdtemp directory.  Merkle hashes are
 * recomputed here with OpenSSL's SHA-256 (RFC 9162: leaf 0x00 || body,
 * node 0x01 || left || right), not with hashing/merkle.c.  "Writes
 * nothing" is checked by snapshotting a directory -- names, sizes, modes,
 * inode numbers, mtimes and ctimes to the nanosecond -- and the SHA-256 of
 * the database file, before and after.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "common/canon.h"
#include "common/error.h"
#include "evidence/log.h"
#include "evidence/station.h"
#include "evidence/store.h"
#include "evidence/verify.h"
#include "hashing/note.h"

#define ERRLEN		512
#define ORIGIN		"school.example/custody-test"
#define SNAPLEN		4096

struct fixture {
	char	dir[64];
};

/* ---- fixture and file helpers ---- */

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/custody-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	(void)chmod(path, 0700);
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	(void)nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *
path_in(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

/* path with "-wal" or "-shm" appended. */
static const char *
sidecar(const char *path, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", path, suffix);

	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* SHA-256 of a whole file. */
static void
file_sha256(const char *path, uint8_t md[32])
{
	EVP_MD_CTX *ctx;
	unsigned char buf[8192];
	unsigned int mdlen = 0;
	size_t n;
	FILE *fp;

	assert_non_null(fp = fopen(path, "rb"));
	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
	assert_int_equal(ferror(fp), 0);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
	assert_int_equal(mdlen, 32);
	EVP_MD_CTX_free(ctx);
	(void)fclose(fp);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One line per directory entry, sorted by name: name, size, mode, inode,
 * mtime and ctime in nanoseconds.  The directory's own mtime and ctime
 * come first (an entry created and removed again still changes them).
 */
static void
snapshot(const char *dir, char *out, size_t outlen)
{
	char *names[64], path[4096];
	struct dirent *de;
	struct stat sb;
	size_t n = 0, i, o = 0;
	DIR *d;
	int w;

	assert_int_equal(lstat(dir, &sb), 0);
	w = snprintf(out, outlen, ". %lld.%09ld %lld.%09ld\n",
	    (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
	    (long long)sb.st_ctim.tv_sec, sb.st_ctim.tv_nsec);
	assert_true(w > 0 && (size_t)w < outlen);
	o = (size_t)w;
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		assert_true(n < 64);
		assert_non_null(names[n++] = strdup(de->d_name));
	}
	(void)closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		assert_int_equal(lstat(path_in(dir, names[i], path,
		    sizeof(path)), &sb), 0);
		w = snprintf(out + o, outlen - o, "%s %lld %o %llu "
		    "%lld.%09ld %lld.%09ld\n", names[i],
		    (long long)sb.st_size, (unsigned int)sb.st_mode,
		    (unsigned long long)sb.st_ino,
		    (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
		    (long long)sb.st_ctim.tv_sec, sb.st_ctim.tv_nsec);
		assert_true(w > 0 && (size_t)w < outlen - o);
		o += (size_t)w;
		free(names[i]);
	}
}

/* Runs SQL through the SQLite API; returns the SQLite result code. */
static int
sql_exec(const char *path, const char *sql, char *msg, size_t msglen)
{
	sqlite3 *db = NULL;
	char *e = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &e);
	if (msg != NULL)
		(void)snprintf(msg, msglen, "%s", e ? e : "");
	sqlite3_free(e);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return rc;
}

static int64_t
sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* ---- independent RFC 9162 hashing ---- */

static void
ref_leaf(const void *body, size_t len, uint8_t out[32])
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;

	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, "\0", 1), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, body, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	EVP_MD_CTX_free(ctx);
}

static void
ref_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[65];
	unsigned int n = 0;

	buf[0] = 1;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	assert_int_equal(EVP_Digest(buf, sizeof(buf), out, &n, EVP_sha256(),
	    NULL), 1);
}

/* ---- a small log ---- */

/*
 * A station in DIR/state with 4 events: station.init (checkpoint 1),
 * two in one batch (checkpoint 3), one more (checkpoint 4).  Writes the
 * state directory's path into state.
 */
static void
build_log(const struct fixture *f, char *state, size_t statelen)
{
	char fpr[SIGN_FPR_HEX], err[ERRLEN] = "";
	struct station *s = NULL;
	struct custody_log *log;
	json_t *actor, *subject;
	uint64_t seq = 99;
	int r;

	path_in(f->dir, "state", state, statelen);
	if ((r = station_init(state, ORIGIN, fpr, err, sizeof(err))) != 0)
		fail_msg("station_init: %d %s", r, err);
	if ((r = station_open(state, 0, &s, err, sizeof(err))) != 0)
		fail_msg("station_open: %d %s", r, err);
	log = station_log(s);
	assert_non_null(actor = json_pack("{s:s, s:s, s:i}", "user", "alice",
	    "role", "staff", "uid", 1000));
	assert_non_null(subject = json_pack("{s:s}", "device", "D-0001"));

	assert_int_equal(custody_log_begin(log), 0);
	assert_int_equal(custody_log_append(log, "device.register", actor,
	    subject, NULL, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(custody_log_append(log, "device.seal", actor,
	    subject, NULL, &seq), 0);
	assert_int_equal(seq, 2);
	if ((r = custody_log_commit(log, err, sizeof(err))) != 0)
		fail_msg("commit: %d %s", r, err);

	assert_int_equal(custody_log_begin(log), 0);
	assert_int_equal(custody_log_append(log, "device.handover", actor,
	    subject, NULL, &seq), 0);
	assert_int_equal(seq, 3);
	if ((r = custody_log_commit(log, err, sizeof(err))) != 0)
		fail_msg("commit: %d %s", r, err);
	assert_int_equal(custody_log_size(log), 4);

	json_decref(actor);
	json_decref(subject);
	station_close(s);
}

/* ---- opening ---- */

static void
test_create_mode_0600_and_refuses_existing(void **state)
{
	struct fixture *f = *state;
	char path[4096], wal[4200], err[ERRLEN] = "";
	struct store *st = NULL, *st2 = (struct store *)&st;
	uint8_t before[32], after[32];
	struct stat sb;
	mode_t old;
	uint64_t size = 1;

	path_in(f->dir, "new.db", path, sizeof(path));
	old = umask(0);		/* the mode must not come from the umask */
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
	    sizeof(err)), 0);
	(void)umask(old);
	assert_non_null(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	sidecar(path, "-wal", wal, sizeof(wal));
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 07777, 0600);
	/* A fresh store is empty and at the current schema. */
	assert_int_equal(store_log_size(st, &size), 0);
	assert_int_equal(size, 0);
	store_close(st);

	file_sha256(path, before);
	assert_int_equal(store_open(path, STORE_CREATE, &st2, err,
	    sizeof(err)), CUSTODY_ERR_EXISTS);
	assert_null(st2);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "already exists"));
	file_sha256(path, after);
	assert_memory_equal(before, after, 32);
}

static void
test_create_in_missing_dir(void **state)
{
	struct fixture *f = *state;
	char path[4096], err[ERRLEN] = "";
	struct store *st = NULL;

	path_in(f->dir, "no/such/dir.db", path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
	    sizeof(err)), CUSTODY_ERR_IO);
	assert_null(st);
	assert_non_null(strstr(err, path));
}

static void
test_open_missing(void **state)
{
	struct fixture *f = *state;
	char path[4096], err[ERRLEN] = "";
	struct store *st = (struct store *)&st;

	path_in(f->dir, "missing.db", path, sizeof(path));
	assert_int_equal(store_open(path, 0, &st, err, sizeof(err)),
	    CUSTODY_ERR_NOTFOUND);
	assert_null(st);
	assert_non_null(strstr(err, path));
	assert_false(exists(path));

	err[0] = '\0';
	st = (struct store *)&st;
	assert_int_equal(store_open(path, STORE_RDONLY, &st, err,
	    sizeof(err)), CUSTODY_ERR_NOTFOUND);
	assert_null(st);
	assert_non_null(strstr(err, path));
	assert_false(exists(path));
}

static void
test_open_directory(void **state)
{
	struct fixture *f = *state;
	char err[ERRLEN] = "";
	struct store *st = NULL;

	assert_int_equal(store_open(f->dir, STORE_RDONLY, &st, err,
	    sizeof(err)), CUSTODY_ERR_CORRUPT);
	assert_null(st);
	assert_non_null(strstr(err, "not a regular file"));
}

/* Garbage is refused read-only and read-write, and left as it was. */
static void
test_open_garbage(void **state)
{
	static const int flags[] = { STORE_RDONLY, 0 };
	struct fixture *f = *state;
	char path[4096], err[ERRLEN];
	unsigned char junk[4096];
	uint8_t before[32], after[32];
	struct store *st = NULL;
	size_t i, k;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	path_in(f->dir, "garbage.db", path, sizeof(path));
	for (k = 0; k < 2; k++) {
		/* A page of junk, then a short text file. */
		write_file(path, k == 0 ? (const void *)junk : "hello\n",
		    k == 0 ? sizeof(junk) : 6);
		file_sha256(path, before);
		for (i = 0; i < 2; i++) {
			err[0] = '\0';
			assert_int_equal(store_open(path, flags[i], &st, err,
			    sizeof(err)), CUSTODY_ERR_CORRUPT);
			assert_null(st);
			assert_non_null(strstr(err, "not a custody database"));
		}
		file_sha256(path, after);
		assert_memory_equal(before, after, 32);
		assert_int_equal(unlink(path), 0);
	}
}

/* A valid SQLite database with no schema is not a custody database. */
static void
test_open_empty_sqlite_rdonly(void **state)
{
	struct fixture *f = *state;
	char path[4096], err[ERRLEN] = "";
	struct store *st = NULL;
	struct stat sb;

	path_in(f->dir, "empty.db", path, sizeof(path));
	assert_int_equal(sql_exec(path, "CREATE TABLE t (x); DROP TABLE t;",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 0);
	assert_int_equal(store_open(path, STORE_RDONLY, &st, err,
	    sizeof(err)), CUSTODY_ERR_CORRUPT);
	assert_null(st);
	assert_non_null(strstr(err, "no schema"));

	/* A zero-byte file, too. */
	assert_int_equal(unlink(path), 0);
	write_file(path, "", 0);
	err[0] = '\0';
	assert_int_equal(store_open(path, STORE_RDONLY, &st, err,
	    sizeof(err)), CUSTODY_ERR_CORRUPT);
	assert_null(st);
	assert_non_null(strstr(err, "no schema"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
}

/*
 * Someone else's SQLite database (a wrong --db) opened read-write is
 * refused as not a custody database -- and must be left exactly as it was:
 * not switched to WAL, no -wal or -shm left beside it.
 */
static void
test_open_foreign_db_rw_untouched(void **state)
{
	struct fixture *f = *state;
	char path[4096], side[4200], err[ERRLEN] = "", before[SNAPLEN],
	    after[SNAPLEN];
	uint8_t h1[32], h2[32];
	struct store *st = NULL;

	path_in(f->dir, "other.db", path, sizeof(path));
	assert_int_equal(sql_exec(path, "CREATE TABLE notes (x TEXT);"
	    "INSERT INTO notes VALUES ('mine');", NULL, 0), SQLITE_OK);
	file_sha256(path, h1);
	snapshot(f->dir, before, sizeof(before));
	assert_int_equal(store_open(path, 0, &st, err, sizeof(err)),
	    CUSTODY_ERR_CORRUPT);
	assert_null(st);
	assert_non_null(strstr(err, "not a custody database"));
	file_sha256(path, h2);
	sidecar(path, "-wal", side, sizeof(side));
	assert_false(exists(side));
	sidecar(path, "-shm", side, sizeof(side));
	assert_false(exists(side));
	if (memcmp(h1, h2, 32) != 0)
		fail_msg("store_open modified a database it then refused "
		    "(journal mode now WAL?)");
	snapshot(f->dir, after, sizeof(after));
	assert_string_equal(before, after);
}

static void
test_schema_too_new(void **state)
{
	static const int flags[] = { 0, STORE_RDONLY };
	struct fixture *f = *state;
	char path[4096], sql[64], want[64], err[ERRLEN];
	struct store *st = NULL;
	size_t i;

	path_in(f->dir, "future.db", path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
	    sizeof(err)), 0);
	store_close(st);
	st = NULL;
	(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    STORE_SCHEMA_VERSION + 1);
	assert_int_equal(sql_exec(path, sql, NULL, 0), SQLITE_OK);
	(void)snprintf(want, sizeof(want), "schema version %d",
	    STORE_SCHEMA_VERSION + 1);
	for (i = 0; i < 2; i++) {
		err[0] = '\0';
		assert_int_equal(store_open(path, flags[i], &st, err,
		    sizeof(err)), CUSTODY_ERR_SCHEMA);
		assert_null(st);
		if (strstr(err, want) == NULL)
			fail_msg("message \"%s\" does not name version %d",
			    err, STORE_SCHEMA_VERSION + 1);
	}
}

/* A read-write open of a current database runs no migration again. */
static void
test_reopen_keeps_version(void **state)
{
	struct fixture *f = *state;
	char path[4096], err[ERRLEN] = "";
	struct store *st = NULL;
	sqlite3 *db = NULL;

	path_in(f->dir, "v.db", path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
	    sizeof(err)), 0);
	store_close(st);
	st = NULL;
	assert_int_equal(store_open(path, 0, &st, err, sizeof(err)), 0);
	store_close(st);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sql_int(db, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'trigger' AND name IN ('station_ro', 'station_nd', "
	    "'events_ro', 'events_nd', 'tree_ro', 'tree_nd', "
	    "'checkpoints_ro', 'checkpoints_nd')"), 8);
	sqlite3_close(db);
}

/* ---- append-only triggers, driven through SQLite directly ---- */

static void
expect_sql_refused(sqlite3 *db, const char *sql, const char *why)
{
	char *e = NULL;
	int rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, &e);
	if (rc == SQLITE_OK)
		fail_msg("\"%s\" was not refused", sql);
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	if (e == NULL || strstr(e, why) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", sql,
		    e ? e : "(none)", why);
	sqlite3_free(e);
}

static void
test_triggers_refuse_update_delete(void **state)
{
	static const char *const sql[] = {
		"UPDATE events SET action = 'x' WHERE seq = 1",
		"UPDATE events SET body = 'x'",
		"DELETE FROM events WHERE seq = 3",
		"DELETE FROM events",
		"UPDATE tree SET hash = zeroblob(32) WHERE level = 1",
		"DELETE FROM tree WHERE level = 2",
		"DELETE FROM tree",
		"UPDATE checkpoints SET note = 'forged'",
		"UPDATE checkpoints SET size = 9 WHERE size = 4",
		"DELETE FROM checkpoints WHERE size = 4",
		"DELETE FROM checkpoints",
		"INSERT INTO events (seq, action, body, leaf_hash) VALUES "
		    "(1, 'x', 'y', zeroblob(32)) ON CONFLICT (seq) DO UPDATE "
		    "SET body = 'y'",
	};
	struct fixture *f = *state;
	char dir[4096], path[4200];
	int64_t ev, tr, cp;
	sqlite3 *db = NULL;
	uint8_t before[32], after[32];
	size_t i;

	build_log(f, dir, sizeof(dir));
	path_in(dir, STATION_DB, path, sizeof(path));
	file_sha256(path, before);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	ev = sql_int(db, "SELECT count(*) FROM events");
	tr = sql_int(db, "SELECT count(*) FROM tree");
	cp = sql_int(db, "SELECT count(*) FROM checkpoints");
	assert_int_equal(ev, 4);
	assert_int_equal(tr, 3);	/* 2 + 1 inner nodes; leaves are
					 * the events' own leaf hashes */
	assert_int_equal(cp, 3);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		expect_sql_refused(db, sql[i], "append-only");
	expect_sql_refused(db, "UPDATE station SET origin = 'x'",
	    "write-once");
	expect_sql_refused(db, "DELETE FROM station", "write-once");
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), ev);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM tree"), tr);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM checkpoints"), cp);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	file_sha256(path, after);
	assert_memory_equal(before, after, 32);
}

/*
 * INSERT OR REPLACE deletes the old row without firing DELETE triggers
 * (SQLite fires them only with recursive_triggers on), so the write-once
 * rows refuse it another way: a checkpoint or the station row is never
 * replaced.  (Events and tree nodes are left to verification, which
 * test_log shows catches any change to them.)
 */
static void
test_triggers_refuse_replace(void **state)
{
	static const char *const sql[] = {
		"INSERT OR REPLACE INTO checkpoints (size, root, note, time) "
		    "VALUES (4, zeroblob(32), 'forged', 'now')",
		"INSERT OR REPLACE INTO checkpoints (size, root, note, time) "
		    "VALUES (1, zeroblob(32), 'forged', 'now')",
		"INSERT OR REPLACE INTO station (id, origin, created, cert) "
		    "VALUES (1, 'forged', 'now', zeroblob(8))",
	};
	struct fixture *f = *state;
	char dir[4096], path[4200], *e;
	const char *bad = NULL;
	sqlite3 *db = NULL;
	uint8_t before[32], after[32];
	size_t i;
	int rc;

	build_log(f, dir, sizeof(dir));
	path_in(dir, STATION_DB, path, sizeof(path));
	file_sha256(path, before);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		e = NULL;
		rc = sqlite3_exec(db, sql[i], NULL, NULL, &e);
		sqlite3_free(e);
		if (rc == SQLITE_OK && bad == NULL)
			bad = sql[i];
	}
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	if (bad != NULL)
		fail_msg("\"%s\" replaced a row of the append-only log", bad);
	file_sha256(path, after);
	assert_memory_equal(before, after, 32);
}

/* ---- read-only opens write nothing ---- */

/* Verifies the whole log and walks every event through a RDONLY store. */
static void
read_everything(const char *db, const char *dir, const char *snap_before,
    uint64_t want_events)
{
	struct verify_result res;
	struct store_iter *it = NULL;
	struct store *st = NULL;
	char err[ERRLEN] = "", during[SNAPLEN], side[4200];
	const void *body;
	size_t blen;
	uint64_t n = 0;
	int r;

	if ((r = store_open(db, STORE_RDONLY, &st, err, sizeof(err))) != 0)
		fail_msg("store_open RDONLY: %d %s", r, err);
	if ((r = log_verify(st, NULL, &res, err, sizeof(err))) != 0)
		fail_msg("log_verify: %d %s", r, err);
	assert_int_equal(res.events, want_events);
	assert_string_equal(res.origin, ORIGIN);
	assert_int_equal(store_iter_events(st, 0, &it), 0);
	while ((r = store_iter_next(it)) == 1) {
		assert_int_equal(store_iter_int(it, 0), (int64_t)n);
		body = store_iter_blob(it, 1, &blen);
		assert_int_equal(canon_check(body, blen, NULL, NULL, 0), 0);
		n++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, want_events);
	store_iter_free(it);

	/* Nothing written while the store is open... */
	snapshot(dir, during, sizeof(during));
	assert_string_equal(snap_before, during);
	sidecar(db, "-shm", side, sizeof(side));
	assert_false(exists(side));
	store_close(st);
}

static void
test_rdonly_writes_nothing(void **state)
{
	struct fixture *f = *state;
	char dir[4096], db[4200], side[4200], before[SNAPLEN], after[SNAPLEN];
	uint8_t h1[32], h2[32];

	build_log(f, dir, sizeof(dir));
	path_in(dir, STATION_DB, db, sizeof(db));
	sidecar(db, "-wal", side, sizeof(side));
	assert_false(exists(side));	/* the writer checkpointed on close */

	snapshot(dir, before, sizeof(before));
	file_sha256(db, h1);
	read_everything(db, dir, before, 4);
	/* ... nor after it is closed. */
	snapshot(dir, after, sizeof(after));
	file_sha256(db, h2);
	assert_string_equal(before, after);
	assert_memory_equal(h1, h2, 32);
	assert_false(exists(side));
	sidecar(db, "-shm", side, sizeof(side));
	assert_false(exists(side));
}

/* Through station_open(STORE_RDONLY) as the CLI does it, too. */
static void
test_station_rdonly_writes_nothing(void **state)
{
	struct fixture *f = *state;
	char dir[4096], db[4200], err[ERRLEN] = "", before[SNAPLEN],
	    after[SNAPLEN];
	struct station *s = NULL;
	struct verify_result res;
	uint8_t h1[32], h2[32];
	int r;

	build_log(f, dir, sizeof(dir));
	path_in(dir, STATION_DB, db, sizeof(db));
	snapshot(dir, before, sizeof(before));
	file_sha256(db, h1);
	if ((r = station_open(dir, STORE_RDONLY, &s, err, sizeof(err))) != 0)
		fail_msg("station_open RDONLY: %d %s", r, err);
	assert_int_equal(custody_log_size(station_log(s)), 4);
	assert_int_equal(custody_log_begin(station_log(s)), CUSTODY_ERR_PERM);
	assert_int_equal(log_verify(station_store(s), NULL, &res, err,
	    sizeof(err)), 0);
	station_close(s);
	snapshot(dir, after, sizeof(after));
	file_sha256(db, h2);
	assert_string_equal(before, after);
	assert_memory_equal(h1, h2, 32);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[8192];
	size_t n;
	FILE *in, *out;

	assert_non_null(in = fopen(from, "rb"));
	assert_non_null(out = fopen(to, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	assert_int_equal(fclose(out), 0);
	(void)fclose(in);
}

/*
 * A copy of a live station: custody.db and a non-empty custody.db-wal
 * (no -shm).  store.c promises that a read-only open writes nothing "not
 * even a -shm file", also here.  Two behaviours keep that promise: read
 * the copy with the WAL's events (5), or refuse it with a message naming
 * the -wal file.  Either way the directory must be as it was.
 */
static void
test_rdonly_live_copy_writes_nothing(void **state)
{
	struct fixture *f = *state;
	char dir[4096], copy[4096], from[4200], to[4200], err[ERRLEN] = "",
	    before[SNAPLEN], after[SNAPLEN];
	struct station *s = NULL;
	struct store *st = NULL;
	json_t *actor;
	uint64_t seq;
	uint8_t h1[32], h2[32];
	struct stat sb;
	int r;

	build_log(f, dir, sizeof(dir));
	path_in(f->dir, "copy", copy, sizeof(copy));
	assert_int_equal(mkdir(copy, 0700), 0);

	/* The writer stays open with a committed batch still in its WAL. */
	assert_int_equal(station_open(dir, 0, &s, err, sizeof(err)), 0);
	assert_non_null(actor = json_pack("{s:s}", "user", "bob"));
	assert_int_equal(custody_log_begin(station_log(s)), 0);
	assert_int_equal(custody_log_append(station_log(s), "device.note",
	    actor, NULL, NULL, &seq), 0);
	assert_int_equal(custody_log_commit(station_log(s), err,
	    sizeof(err)), 0);
	json_decref(actor);
	path_in(dir, STATION_DB "-wal", from, sizeof(from));
	assert_int_equal(stat(from, &sb), 0);
	assert_true(sb.st_size > 0);
	copy_file(from, path_in(copy, STATION_DB "-wal", to, sizeof(to)));
	copy_file(path_in(dir, STATION_DB, from, sizeof(from)),
	    path_in(copy, STATION_DB, to, sizeof(to)));
	station_close(s);

	snapshot(copy, before, sizeof(before));
	file_sha256(to, h1);
	r = store_open(to, STORE_RDONLY, &st, err, sizeof(err));
	store_close(st);
	snapshot(copy, after, sizeof(after));
	if (strcmp(before, after) != 0)
		fail_msg("a read-only open changed the copy's directory:\n"
		    "before:\n%safter:\n%s", before, after);
	if (r == 0)
		read_everything(to, copy, before, 5);
	else if (strstr(err, "-wal") == NULL)
		fail_msg("refused (%d) without naming the -wal file: %s", r,
		    err);
	snapshot(copy, after, sizeof(after));
	file_sha256(to, h2);
	assert_string_equal(before, after);
	assert_memory_equal(h1, h2, 32);
}

/* ---- the log's rows and their semantics ---- */

static void
test_log_semantics(void **state)
{
	struct fixture *f = *state;
	char dir[4096], err[ERRLEN] = "", *body = NULL, *note = NULL;
	uint8_t leaf[4][32], got[32], n10[32], n11[32], n20[32], root3[32],
	    root[32];
	struct station *s = NULL;
	struct canon_info ci;
	struct checkpoint cp;
	struct store *st;
	size_t len;
	uint64_t size = 0, i;

	build_log(f, dir, sizeof(dir));
	assert_int_equal(station_open(dir, STORE_RDONLY, &s, err,
	    sizeof(err)), 0);
	st = station_store(s);

	assert_int_equal(store_log_size(st, &size), 0);
	assert_int_equal(size, 4);

	/* Events: canonical bodies carrying their seq, leaf hashes. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(store_event_get(st, i, &body, &len, got), 0);
		assert_non_null(body);
		assert_int_equal(strlen(body), len);
		assert_int_equal(canon_check(body, len, &ci, err,
		    sizeof(err)), 0);
		assert_true(ci.has_seq);
		assert_int_equal(ci.seq, (int64_t)i);
		ref_leaf(body, len, leaf[i]);
		assert_memory_equal(got, leaf[i], 32);
		free(body);
		body = NULL;
	}
	assert_int_equal(store_event_get(st, 0, &body, &len, NULL), 0);
	assert_non_null(strstr(body, "\"action\":\"station.init\""));
	free(body);
	body = (char *)&body;
	assert_int_equal(store_event_get(st, 4, &body, &len, got),
	    CUSTODY_ERR_NOTFOUND);
	assert_null(body);

	/* Tree nodes: the perfect subtrees of 4 leaves. */
	ref_node(leaf[0], leaf[1], n10);
	ref_node(leaf[2], leaf[3], n11);
	ref_node(n10, n11, n20);
	ref_node(n10, leaf[2], root3);
	for (i = 0; i < 4; i++) {
		assert_int_equal(store_node_get(st, 0, i, got), 0);
		assert_memory_equal(got, leaf[i], 32);
	}
	assert_int_equal(store_node_get(st, 1, 0, got), 0);
	assert_memory_equal(got, n10, 32);
	assert_int_equal(store_node_get(st, 1, 1, got), 0);
	assert_memory_equal(got, n11, 32);
	assert_int_equal(store_node_get(st, 2, 0, got), 0);
	assert_memory_equal(got, n20, 32);
	assert_int_equal(store_node_get(st, 0, 4, got), CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_node_get(st, 2, 1, got), CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_node_get(st, 3, 0, got), CUSTODY_ERR_NOTFOUND);

	/* The newest checkpoint, and its signed note. */
	assert_int_equal(store_checkpoint_latest(st, &size, root, &note), 0);
	assert_int_equal(size, 4);
	assert_memory_equal(root, n20, 32);
	assert_int_equal(note_verify_checkpoint(note, strlen(note),
	    custody_log_pub(station_log(s)), ORIGIN, &cp, err, sizeof(err)),
	    0);
	assert_int_equal(cp.size, 4);
	assert_memory_equal(cp.root, n20, 32);
	free(note);
	note = NULL;

	/* The smallest checkpoint at least min_size: sizes are 1, 3, 4. */
	{
		static const struct {
			uint64_t	min, size;
		} cov[] = { { 0, 1 }, { 1, 1 }, { 2, 3 }, { 3, 3 }, { 4, 4 } };
		size_t k;

		for (k = 0; k < sizeof(cov) / sizeof(cov[0]); k++) {
			assert_int_equal(store_checkpoint_covering(st,
			    cov[k].min, &size, root, &note), 0);
			assert_int_equal(size, cov[k].size);
			assert_memory_equal(root, size == 1 ? leaf[0] :
			    size == 3 ? root3 : n20, 32);
			assert_non_null(strstr(note, ORIGIN "\n"));
			free(note);
			note = NULL;
		}
		note = (char *)&note;
		assert_int_equal(store_checkpoint_covering(st, 5, &size, root,
		    &note), CUSTODY_ERR_NOTFOUND);
		assert_null(note);
	}
	station_close(s);
}

static void
test_iterators(void **state)
{
	struct fixture *f = *state;
	char dir[4096], db[4200], err[ERRLEN] = "";
	struct store_iter *it = NULL;
	struct store *st = NULL;
	const void *p;
	size_t len;
	uint64_t want;
	int r;

	build_log(f, dir, sizeof(dir));
	path_in(dir, STATION_DB, db, sizeof(db));
	assert_int_equal(store_open(db, STORE_RDONLY, &st, err, sizeof(err)),
	    0);

	/* Events from 2. */
	assert_int_equal(store_iter_events(st, 2, &it), 0);
	for (want = 2; (r = store_iter_next(it)) == 1; want++) {
		assert_int_equal(store_iter_int(it, 0), (int64_t)want);
		p = store_iter_blob(it, 1, &len);
		assert_non_null(p);
		assert_true(len > 0);
		p = store_iter_blob(it, 2, &len);
		assert_int_equal(len, 32);
	}
	assert_int_equal(r, 0);
	assert_int_equal(want, 4);
	store_iter_free(it);

	/* Past the end: no rows. */
	assert_int_equal(store_iter_events(st, 10, &it), 0);
	assert_int_equal(store_iter_next(it), 0);
	store_iter_free(it);

	/* Level 1 nodes: 0 and 1; level 2: 0; level 5: none. */
	assert_int_equal(store_iter_nodes(st, 1, &it), 0);
	assert_int_equal(store_iter_next(it), 1);
	assert_int_equal(store_iter_int(it, 0), 0);
	assert_int_equal(store_iter_next(it), 1);
	assert_int_equal(store_iter_int(it, 0), 1);
	(void)store_iter_blob(it, 1, &len);
	assert_int_equal(len, 32);
	assert_int_equal(store_iter_next(it), 0);
	store_iter_free(it);
	assert_int_equal(store_iter_nodes(st, 2, &it), 0);
	assert_int_equal(store_iter_next(it), 1);
	assert_int_equal(store_iter_int(it, 0), 0);
	assert_int_equal(store_iter_next(it), 0);
	store_iter_free(it);
	assert_int_equal(store_iter_nodes(st, 5, &it), 0);
	assert_int_equal(store_iter_next(it), 0);
	store_iter_free(it);

	/* Checkpoints in ascending size. */
	assert_int_equal(store_iter_checkpoints(st, &it), 0);
	assert_int_equal(store_iter_next(it), 1);
	assert_int_equal(store_iter_int(it, 0), 1);
	assert_int_equal(store_iter_next(it), 1);
	assert_int_equal(store_iter_int(it, 0), 3);
	assert_int_equal(store_iter_next(it), 1);
	assert_int_equal(store_iter_int(it, 0), 4);
	p = store_iter_blob(it, 2, &len);
	assert_non_null(p);
	assert_non_null(memchr(p, '\n', len));
	assert_int_equal(store_iter_next(it), 0);
	store_iter_free(it);

	store_iter_free(NULL);
	store_close(st);
	store_close(NULL);
}

/* An aborted batch leaves no event, node or checkpoint behind. */
static void
test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char dir[4096], err[ERRLEN] = "", *body = NULL, *note = NULL;
	struct station *s = NULL;
	json_t *actor;
	uint64_t seq = 0, size = 0;
	uint8_t root[32], got[32];
	size_t len = 0;

	build_log(f, dir, sizeof(dir));
	assert_int_equal(station_open(dir, 0, &s, err, sizeof(err)), 0);
	assert_non_null(actor = json_pack("{s:s}", "user", "carol"));
	assert_int_equal(custody_log_begin(station_log(s)), 0);
	assert_int_equal(custody_log_append(station_log(s), "device.x", actor,
	    NULL, NULL, &seq), 0);
	assert_int_equal(seq, 4);
	custody_log_abort(station_log(s));
	json_decref(actor);
	assert_int_equal(custody_log_size(station_log(s)), 4);
	assert_int_equal(store_log_size(station_store(s), &size), 0);
	assert_int_equal(size, 4);
	assert_int_equal(store_event_get(station_store(s), 4, &body, &len,
	    NULL), CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_node_get(station_store(s), 0, 4, got),
	    CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_checkpoint_latest(station_store(s), &size, root,
	    &note), 0);
	assert_int_equal(size, 4);
	free(note);
	station_close(s);
}

/* Writes through the store API: duplicates refused, RDONLY refused. */
static void
test_store_write_refusals(void **state)
{
	struct fixture *f = *state;
	char dir[4096], db[4200], err[ERRLEN] = "";
	struct store *st = NULL;
	uint8_t h[32];
	uint64_t size = 0;

	memset(h, 0x11, sizeof(h));
	build_log(f, dir, sizeof(dir));
	path_in(dir, STATION_DB, db, sizeof(db));

	assert_int_equal(store_open(db, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_event_insert(st, 2, "{}", 2, h, "x"),
	    CUSTODY_ERR_EXISTS);
	assert_int_equal(store_node_put(st, 1, 0, h, NULL), CUSTODY_ERR_EXISTS);
	assert_int_equal(store_checkpoint_put(st, 3, h, "n", "t"),
	    CUSTODY_ERR_EXISTS);
	assert_int_equal(store_rollback(st), 0);
	store_close(st);
	st = NULL;

	assert_int_equal(store_open(db, STORE_RDONLY, &st, err, sizeof(err)),
	    0);
	assert_int_equal(store_event_insert(st, 4, "{}", 2, h, "x"),
	    CUSTODY_ERR_PERM);
	assert_int_equal(store_node_put(st, 1, 2, h, NULL), CUSTODY_ERR_PERM);
	assert_int_equal(store_checkpoint_put(st, 5, h, "n", "t"),
	    CUSTODY_ERR_PERM);
	assert_int_equal(store_log_size(st, &size), 0);
	assert_int_equal(size, 4);
	store_close(st);
}

/* An empty custody store: no events, no checkpoints. */
static void
test_empty_store(void **state)
{
	struct fixture *f = *state;
	char path[4096], err[ERRLEN] = "", *body = NULL, *note = NULL;
	struct store_station row;
	struct store_iter *it = NULL;
	struct store *st = NULL;
	uint8_t root[32], h[32];
	uint64_t size = 7;
	size_t len = 0;

	path_in(f->dir, "e.db", path, sizeof(path));
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
	    sizeof(err)), 0);
	assert_int_equal(store_log_size(st, &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(store_event_get(st, 0, &body, &len, h),
	    CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_node_get(st, 0, 0, h), CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_checkpoint_latest(st, &size, root, &note),
	    CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_checkpoint_covering(st, 0, &size, root, &note),
	    CUSTODY_ERR_NOTFOUND);
	assert_int_equal(store_iter_events(st, 0, &it), 0);
	assert_int_equal(store_iter_next(it), 0);
	store_iter_free(it);
	err[0] = '\0';
	assert_int_equal(store_station_get(st, &row, err, sizeof(err)),
	    CUSTODY_ERR_CORRUPT);
	assert_non_null(strstr(err, "no station row"));
	store_station_clear(&row);
	store_close(st);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_mode_0600_and_refuses_existing),
		T(test_create_in_missing_dir),
		T(test_open_missing),
		T(test_open_directory),
		T(test_open_garbage),
		T(test_open_empty_sqlite_rdonly),
		T(test_open_foreign_db_rw_untouched),
		T(test_schema_too_new),
		T(test_reopen_keeps_version),
		T(test_triggers_refuse_update_delete),
		T(test_triggers_refuse_replace),
		T(test_rdonly_writes_nothing),
		T(test_station_rdonly_writes_nothing),
		T(test_rdonly_live_copy_writes_nothing),
		T(test_log_semantics),
		T(test_iterators),
		T(test_abort_leaves_nothing),
		T(test_store_write_refusals),
		T(test_empty_store),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
