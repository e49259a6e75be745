/*
 * store.c -- the SQLite adapter: the only file that sees a sqlite3 type.
 * The log's statements live here; the projection's go through store_sql.
 *
 * Schema versions are numbered migrations applied in order inside one
 * transaction each; PRAGMA user_version records how many have run.  A
 * database with a higher version than this build knows is refused, never
 * "upgraded" backwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/error.h"
#include "evidence/store.h"

static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 1: the station and the custody log. */
	"CREATE TABLE station ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  origin TEXT NOT NULL,"
	"  created TEXT NOT NULL,"
	"  cert BLOB NOT NULL);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 0),"
	"  action TEXT NOT NULL,"
	"  body BLOB NOT NULL,"
	"  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32));"
	"CREATE TABLE tree ("
	"  level INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  leaves BLOB,"
	"  PRIMARY KEY (level, idx)) WITHOUT ROWID;"
	"CREATE TABLE checkpoints ("
	"  size INTEGER PRIMARY KEY,"
	"  root BLOB NOT NULL,"
	"  note TEXT NOT NULL,"
	"  time TEXT NOT NULL);"
	"CREATE TRIGGER station_ro BEFORE UPDATE ON station BEGIN"
	"  SELECT RAISE(ABORT, 'station row is write-once'); END;"
	"CREATE TRIGGER station_nd BEFORE DELETE ON station BEGIN"
	"  SELECT RAISE(ABORT, 'station row is write-once'); END;"
	"CREATE TRIGGER events_ro BEFORE UPDATE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'the custody log is append-only'); END;"
	"CREATE TRIGGER events_nd BEFORE DELETE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'the custody log is append-only'); END;"
	"CREATE TRIGGER tree_ro BEFORE UPDATE ON tree BEGIN"
	"  SELECT RAISE(ABORT, 'the custody log is append-only'); END;"
	"CREATE TRIGGER tree_nd BEFORE DELETE ON tree BEGIN"
	"  SELECT RAISE(ABORT, 'the custody log is append-only'); END;"
	"CREATE TRIGGER checkpoints_ro BEFORE UPDATE ON checkpoints BEGIN"
	"  SELECT RAISE(ABORT, 'the custody log is append-only'); END;"
	"CREATE TRIGGER checkpoints_nd BEFORE DELETE ON checkpoints BEGIN"
	"  SELECT RAISE(ABORT, 'the custody log is append-only'); END;",

	/*
	 * 2: the projection -- accounts, devices, cases -- and an index of
	 * events by subject, so one device's or case's events are found
	 * without reading the whole log.
	 */
	"CREATE TABLE users ("
	"  name TEXT PRIMARY KEY,"
	"  role TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  created TEXT NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  disabled TEXT,"
	"  expires INTEGER,"
	"  crime_ref TEXT,"
	"  force TEXT,"
	"  officer TEXT,"
	"  collar TEXT);"
	"CREATE TABLE cases ("
	"  id TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL UNIQUE,"
	"  category TEXT NOT NULL,"
	"  summary TEXT NOT NULL,"
	"  offence_suspected INTEGER NOT NULL DEFAULT 0,"
	"  police_referred INTEGER NOT NULL DEFAULT 0,"
	"  force TEXT,"
	"  crime_ref TEXT,"
	"  officer TEXT,"
	"  referred_at TEXT,"
	"  opened_by TEXT NOT NULL,"
	"  opened_at INTEGER NOT NULL);"
	"CREATE TABLE case_pupils ("
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  pupil TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, pupil));"
	"CREATE TABLE devices ("
	"  id TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL UNIQUE,"
	"  state TEXT NOT NULL,"
	"  pupil TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  reason_text TEXT,"
	"  confiscated_by TEXT NOT NULL,"
	"  confiscated_at TEXT NOT NULL,"
	"  registered_at INTEGER NOT NULL,"
	"  registered_by TEXT NOT NULL,"
	"  location TEXT NOT NULL,"
	"  seal TEXT NOT NULL,"
	"  power TEXT NOT NULL,"
	"  description TEXT,"
	"  make TEXT, model TEXT, colour TEXT, imei TEXT,"
	"  usb_vendor TEXT, usb_product TEXT, usb_serial TEXT, usb_port TEXT,"
	"  holder TEXT,"
	"  purpose TEXT,"
	"  referred INTEGER NOT NULL DEFAULT 0,"
	"  case_id TEXT REFERENCES cases(id),"
	"  closed_at INTEGER);"
	"CREATE INDEX devices_state ON devices(state);"
	"CREATE INDEX devices_case ON devices(case_id);"
	"CREATE TABLE event_subjects ("
	"  kind TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  seq INTEGER NOT NULL REFERENCES events(seq),"
	"  PRIMARY KEY (kind, id, seq)) WITHOUT ROWID;",

	/*
	 * 3: INSERT OR REPLACE deletes without firing DELETE triggers.  The
	 * write-once rows (station, checkpoints: one per request) refuse it;
	 * events and tree rows rely on their primary keys against plain
	 * duplicates and on verification against anyone holding the file,
	 * who could drop any trigger (a per-row trigger cost 16% of an
	 * append).
	 */
	"CREATE TRIGGER station_nr BEFORE INSERT ON station"
	"  WHEN EXISTS (SELECT 1 FROM station) BEGIN"
	"  SELECT RAISE(ABORT, 'station row is write-once'); END;"
	"CREATE TRIGGER checkpoints_nr BEFORE INSERT ON checkpoints"
	"  WHEN EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size)"
	"  BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;",

	/*
	 * 4: evidence items.  The content is never here: only its hashes,
	 * its type, and its key wrapped by the station master key (NULL
	 * once the item is crypto-shredded).  The blob is items/ID.blob.
	 */
	"CREATE TABLE items ("
	"  id TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL UNIQUE,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  type TEXT NOT NULL,"
	"  media INTEGER NOT NULL,"
	"  gated INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  sha512 TEXT NOT NULL,"
	"  md5 TEXT,"
	"  sha1 TEXT,"
	"  wrapped BLOB,"
	"  police_request TEXT,"
	"  name TEXT,"
	"  added_by TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  deleted_at INTEGER);"
	"CREATE INDEX items_case ON items(case_id);",

	/* 5: sealed police exports (the bundles stay in exports/). */
	"CREATE TABLE exports ("
	"  id TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL UNIQUE,"
	"  case_id TEXT NOT NULL REFERENCES cases(id),"
	"  crime_ref TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  items INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);",
};

enum {
	Q_EVENT_INSERT,
	Q_EVENT_GET,
	Q_NODE_PUT,
	Q_NODE_GET,
	Q_LEAF_GET,
	Q_PAIR_GET,
	Q_LOG_SIZE,
	Q_CP_PUT,
	Q_CP_LATEST,
	Q_CP_COVERING,
	Q_SUBJECT_ADD,
	Q_MAX
};

static const char *const queries[Q_MAX] = {
	[Q_EVENT_INSERT] = "INSERT INTO events (seq, action, body, leaf_hash)"
	    " VALUES (?, ?, ?, ?)",
	[Q_EVENT_GET] = "SELECT body, leaf_hash FROM events WHERE seq = ?",
	[Q_NODE_PUT] = "INSERT INTO tree (level, idx, hash, leaves) VALUES "
	    "(?, ?, ?, ?)",
	[Q_NODE_GET] = "SELECT hash FROM tree WHERE level = ? AND idx = ?",
	[Q_LEAF_GET] = "SELECT leaf_hash FROM events WHERE seq = ?",
	[Q_PAIR_GET] = "SELECT leaves FROM tree WHERE level = 1 AND idx = ?",
	[Q_LOG_SIZE] = "SELECT max(seq) FROM events",
	[Q_CP_PUT] = "INSERT INTO checkpoints (size, root, note, time)"
	    " VALUES (?, ?, ?, ?)",
	[Q_CP_LATEST] = "SELECT size, root, note FROM checkpoints"
	    " ORDER BY size DESC LIMIT 1",
	[Q_CP_COVERING] = "SELECT size, root, note FROM checkpoints"
	    " WHERE size >= ? ORDER BY size LIMIT 1",
	[Q_SUBJECT_ADD] = "INSERT OR IGNORE INTO event_subjects (kind, id, seq)"
	    " VALUES (?, ?, ?)",
};

#define STORE_STMT_CACHE	64

struct store {
	sqlite3		*db;
	sqlite3_stmt	*q[Q_MAX];
	int		 rdonly;
	/* store_sql's prepared statements, by SQL text, reused. */
	struct {
		char		*sql;
		sqlite3_stmt	*stmt;
	}		 cache[STORE_STMT_CACHE];
	unsigned int	 next;		/* the slot to replace next */
};

struct store_iter {
	sqlite3_stmt	*stmt;
};

const char *
store_errmsg(struct store *st)
{
	return st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
	    "no database";
}

int
store_busy(struct store *st)
{
	return st != NULL && st->db != NULL &&
	    (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_BUSY;
}

/* Maps an SQLite result code to ours. */
static int
store_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return CUSTODY_ERR_NOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return CUSTODY_ERR_CORRUPT;
	case SQLITE_CONSTRAINT:
		return CUSTODY_ERR_EXISTS;
	case SQLITE_FULL:
		return CUSTODY_ERR_FULL;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return CUSTODY_ERR_IO;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return CUSTODY_ERR_PERM;
	default:
		return CUSTODY_ERR_DB;
	}
}

static int
store_exec(struct store *st, const char *sql)
{
	return store_err(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

static int
store_pragma_int(struct store *st, const char *sql, int64_t *val)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return store_err(rc);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*val = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_err(rc);
}

/* Applies migrations after `version` up to STORE_SCHEMA_VERSION. */
static int
store_migrate(struct store *st, int64_t version, char *err, size_t errlen)
{
	char sql[64];
	int r;

	for (; version < STORE_SCHEMA_VERSION; version++) {
		(void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)version + 1);
		if ((r = store_exec(st, "BEGIN IMMEDIATE")) != 0)
			goto fail;
		if ((r = store_exec(st, migrations[version])) != 0 ||
		    (r = store_exec(st, sql)) != 0) {
			(void)store_exec(st, "ROLLBACK");
			goto fail;
		}
		if ((r = store_exec(st, "COMMIT")) != 0)
			goto fail;
	}
	return 0;
fail:
	return custody_fail(err, errlen, r, "cannot apply schema migration "
	    "%lld: %s", (long long)version + 1, store_errmsg(st));
}

/* A non-empty -wal beside path with no -shm: SQLite would create one. */
static int
store_wal_without_shm(const char *path)
{
	char side[4200];
	struct stat sb;
	int n;

	n = snprintf(side, sizeof(side), "%s-wal", path);
	if (n < 0 || (size_t)n >= sizeof(side) || stat(side, &sb) == -1 ||
	    sb.st_size == 0)
		return 0;
	memcpy(side + n - 3, "shm", 3);
	return stat(side, &sb) == -1;
}

/* Checks the file before SQLite sees it, for errors a person can act on. */
static int
store_precheck(const char *path, int flags, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	if (flags & STORE_CREATE) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno == EEXIST)
			return custody_fail(err, errlen, CUSTODY_ERR_EXISTS,
			    "%s already exists; refusing to overwrite a "
			    "station's database", path);
		if (fd == -1)
			return custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "cannot create %s: %s", path, strerror(errno));
		close(fd);
		return 0;
	}
	if (stat(path, &sb) == -1)
		return custody_fail(err, errlen, errno == ENOENT ?
		    CUSTODY_ERR_NOTFOUND : CUSTODY_ERR_IO,
		    "cannot open database %s: %s; check the path (--db)",
		    path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "%s is not a regular file; give the database file", path);
	if ((flags & STORE_RDONLY) && store_wal_without_shm(path))
		return custody_fail(err, errlen, CUSTODY_ERR_PERM,
		    "%s-wal holds changes not yet in %s and there is no "
		    "-shm file; reading it would create one.  Copy a live "
		    "station with sqlite3's .backup, or open it read-write "
		    "once", path, path);
	if (access(path, (flags & STORE_RDONLY) ? R_OK : R_OK | W_OK) == -1)
		return custody_fail(err, errlen, CUSTODY_ERR_PERM,
		    "cannot read database %s: %s; run as the station user "
		    "or verify a copy", path, strerror(errno));
	return 0;
}

/*
 * A read-only open must write nothing, not even a -shm file: without a
 * WAL file beside it the database is opened immutable; with one (a copy of
 * a live station), read-only through the WAL.
 */
static int
store_open_db(struct store *st, const char *path, int flags)
{
	char uri[4200], wal[4200];
	struct stat sb;
	int n, oflags;

	if (!(flags & STORE_RDONLY))
		return sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL);
	n = snprintf(wal, sizeof(wal), "%s-wal", path);
	if (n < 0 || (size_t)n >= sizeof(wal))
		return SQLITE_CANTOPEN;
	n = snprintf(uri, sizeof(uri), "file:%s?mode=ro%s", path,
	    stat(wal, &sb) == 0 && sb.st_size > 0 ? "" : "&immutable=1");
	if (n < 0 || (size_t)n >= sizeof(uri) || strpbrk(path, "?#%") != NULL)
		return SQLITE_CANTOPEN;
	oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	return sqlite3_open_v2(uri, &st->db, oflags, NULL);
}

static int
store_configure(struct store *st, int flags, char *err, size_t errlen)
{
	static const char rw_pragmas[] = "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;";
	int64_t version = 0;
	int r, i;

	sqlite3_busy_timeout(st->db, 5000);
	if ((r = store_pragma_int(st, "PRAGMA user_version", &version)) != 0)
		return custody_fail(err, errlen, r == CUSTODY_ERR_CORRUPT ?
		    r : CUSTODY_ERR_CORRUPT, "database is unreadable: %s; "
		    "it is not a custody database or it is damaged",
		    store_errmsg(st));
	if (version > STORE_SCHEMA_VERSION)
		return custody_fail(err, errlen, CUSTODY_ERR_SCHEMA,
		    "database has schema version %lld but this custody knows "
		    "up to %d; use a newer custody", (long long)version,
		    STORE_SCHEMA_VERSION);
	if ((flags & (STORE_RDONLY | STORE_CREATE)) == STORE_RDONLY &&
	    version == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "not a custody database (no schema); check the path");
	if (!(flags & STORE_RDONLY)) {
		if (version == 0 && !(flags & STORE_CREATE))
			return custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
			    "not a custody database (no schema)");
		if ((r = store_exec(st, rw_pragmas)) != 0)
			return custody_fail(err, errlen, r, "cannot configure "
			    "the database: %s", store_errmsg(st));
		if ((r = store_migrate(st, version, err, errlen)) != 0)
			return r;
	}
	/* A read-only older database is fine: the log tables date from 1. */
	/*
	 * Read-only opens look nodes up (proofs, receipts, show): reading
	 * through a memory map saves a copy out of the kernel per page.
	 * The verifier, which streams everything once, turns it off.
	 */
	if ((flags & STORE_RDONLY) &&
	    (r = store_exec(st, "PRAGMA mmap_size = 1073741824")) != 0)
		return custody_fail(err, errlen, r, "cannot configure the "
		    "database: %s", store_errmsg(st));
	for (i = 0; i < Q_MAX; i++) {
		if ((flags & STORE_RDONLY) &&
		    (i == Q_EVENT_INSERT || i == Q_NODE_PUT || i == Q_CP_PUT ||
		    i == Q_SUBJECT_ADD))
			continue;
		if (sqlite3_prepare_v3(st->db, queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) != SQLITE_OK)
			return custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
			    "not a custody database: %s", store_errmsg(st));
	}
	return 0;
}

int
store_open(const char *path, int flags, struct store **out, char *err,
    size_t errlen)
{
	struct store *st;
	int r;

	*out = NULL;
	if ((r = store_precheck(path, flags, err, errlen)) != 0)
		return r;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return CUSTODY_ERR_NOMEM;
	st->rdonly = (flags & STORE_RDONLY) != 0;
	if (store_open_db(st, path, flags) != SQLITE_OK) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot open database %s: %s", path, store_errmsg(st));
		goto out;
	}
	if ((r = store_configure(st, flags, err, errlen)) != 0)
		goto out;
	*out = st;
	st = NULL;
out:
	store_close(st);
	return r;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < Q_MAX; i++)
		sqlite3_finalize(st->q[i]);
	for (i = 0; i < STORE_STMT_CACHE; i++) {
		sqlite3_finalize(st->cache[i].stmt);
		free(st->cache[i].sql);
	}
	sqlite3_close(st->db);
	free(st);
}

int
store_begin(struct store *st)
{
	/*
	 * A ROLLBACK that could not allocate leaves the last transaction
	 * open, and every BEGIN after it would fail.  Nothing of it was
	 * committed and its caller has given it up: finish rolling back.
	 */
	if (!sqlite3_get_autocommit(st->db))
		(void)store_exec(st, "ROLLBACK");
	return store_exec(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT");
}

int
store_rollback(struct store *st)
{
	return store_exec(st, "ROLLBACK");
}

/* Steps a prepared statement that returns no rows, then resets it. */
static int
store_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : store_err(rc);
}

int
store_station_put(struct store *st, const struct store_station *s)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "INSERT INTO station (id, origin, "
	    "created, cert) VALUES (1, ?, ?, ?)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_err(rc);
	sqlite3_bind_text(q, 1, s->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->created, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, s->cert, (int)s->cert_len, SQLITE_STATIC);
	rc = store_step_done(q);
	sqlite3_finalize(q);
	return rc;
}

int
store_station_get(struct store *st, struct store_station *s, char *err,
    size_t errlen)
{
	sqlite3_stmt *q = NULL;
	const char *origin, *created;
	const void *cert;
	int rc, r = 0, n;

	memset(s, 0, sizeof(*s));
	rc = sqlite3_prepare_v2(st->db, "SELECT origin, created, cert FROM "
	    "station WHERE id = 1", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "not a custody database: %s", store_errmsg(st));
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "database has no station row; it was never initialised");
		goto out;
	}
	origin = (const char *)sqlite3_column_text(q, 0);
	created = (const char *)sqlite3_column_text(q, 1);
	cert = sqlite3_column_blob(q, 2);
	n = sqlite3_column_bytes(q, 2);
	if (origin == NULL || created == NULL || cert == NULL || n <= 0 ||
	    strlen(origin) >= sizeof(s->origin) ||
	    strlen(created) >= sizeof(s->created)) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "station row is malformed");
		goto out;
	}
	if ((s->cert = malloc((size_t)n)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	memcpy(s->cert, cert, (size_t)n);
	s->cert_len = (size_t)n;
	memcpy(s->origin, origin, strlen(origin) + 1);
	memcpy(s->created, created, strlen(created) + 1);
out:
	sqlite3_finalize(q);
	return r;
}

void
store_station_clear(struct store_station *s)
{
	free(s->cert);
	memset(s, 0, sizeof(*s));
}

int
store_log_size(struct store *st, uint64_t *size)
{
	sqlite3_stmt *q = st->q[Q_LOG_SIZE];
	int rc;

	*size = 0;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW &&
	    sqlite3_column_type(q, 0) != SQLITE_NULL)
		*size = (uint64_t)sqlite3_column_int64(q, 0) + 1;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_err(rc);
}

int
store_event_insert(struct store *st, uint64_t seq, const char *body,
    size_t len, const uint8_t leaf[32], const char *action)
{
	sqlite3_stmt *q = st->q[Q_EVENT_INSERT];

	if (q == NULL || len > INT32_MAX)
		return CUSTODY_ERR_PERM;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(q, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, leaf, 32, SQLITE_STATIC);
	return store_step_done(q);
}

int
store_event_get(struct store *st, uint64_t seq, char **body, size_t *len,
    uint8_t leaf[32])
{
	sqlite3_stmt *q = st->q[Q_EVENT_GET];
	const void *b, *h;
	int rc, r = 0, n;

	*body = NULL;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)seq);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CUSTODY_ERR_NOTFOUND : store_err(rc);
		goto out;
	}
	b = sqlite3_column_blob(q, 0);
	n = sqlite3_column_bytes(q, 0);
	h = sqlite3_column_blob(q, 1);
	if (leaf != NULL) {
		if (h == NULL || sqlite3_column_bytes(q, 1) != 32) {
			r = CUSTODY_ERR_CORRUPT;
			goto out;
		}
		memcpy(leaf, h, 32);
	}
	if ((*body = malloc((size_t)n + 1)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (n > 0)
		memcpy(*body, b, (size_t)n);
	(*body)[n] = '\0';
	*len = (size_t)n;
out:
	sqlite3_reset(q);
	return r;
}

/*
 * Tree nodes above the leaves live in the tree table.  A leaf (level 0)
 * is never a row of its own: it is its event's leaf_hash, and each
 * level-1 row also carries its two leaves (a tile of height one), so a
 * proof reads a leaf from a small row instead of a wide event row
 * without an insert per event.
 */
int
store_node_put(struct store *st, unsigned int level, uint64_t index,
    const uint8_t hash[32], const uint8_t leaves[64])
{
	sqlite3_stmt *q = st->q[Q_NODE_PUT];

	if (level == 0)
		return 0;
	if (q == NULL)
		return CUSTODY_ERR_PERM;
	sqlite3_bind_int(q, 1, (int)level);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(q, 3, hash, 32, SQLITE_STATIC);
	if (level == 1 && leaves != NULL)
		sqlite3_bind_blob(q, 4, leaves, 64, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 4);
	return store_step_done(q);
}

/* Copies a 32-byte column into out; CUSTODY_ERR_NOTFOUND without a row. */
static int
store_get32(sqlite3_stmt *q, size_t off, size_t want, uint8_t out[32])
{
	const uint8_t *h;
	int rc, r = 0;

	if ((rc = sqlite3_step(q)) != SQLITE_ROW)
		r = rc == SQLITE_DONE ? CUSTODY_ERR_NOTFOUND : store_err(rc);
	else if ((h = sqlite3_column_blob(q, 0)) == NULL ||
	    (size_t)sqlite3_column_bytes(q, 0) != want)
		r = CUSTODY_ERR_CORRUPT;
	else
		memcpy(out, h + off, 32);
	sqlite3_reset(q);
	return r;
}

int
store_node_get(void *ctx, unsigned int level, uint64_t index, uint8_t out[32])
{
	struct store *st = ctx;
	sqlite3_stmt *q;
	int r;

	if (level > 0) {
		q = st->q[Q_NODE_GET];
		sqlite3_bind_int(q, 1, (int)level);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)index);
		return store_get32(q, 0, 32, out);
	}
	q = st->q[Q_PAIR_GET];
	sqlite3_bind_int64(q, 1, (sqlite3_int64)(index >> 1));
	if ((r = store_get32(q, (index & 1) * 32, 64, out)) !=
	    CUSTODY_ERR_NOTFOUND)
		return r;
	/* The newest leaf when the count is odd: no level-1 row yet. */
	q = st->q[Q_LEAF_GET];
	sqlite3_bind_int64(q, 1, (sqlite3_int64)index);
	return store_get32(q, 0, 32, out);
}

int
store_checkpoint_put(struct store *st, uint64_t size, const uint8_t root[32],
    const char *note, const char *time)
{
	sqlite3_stmt *q = st->q[Q_CP_PUT];

	if (q == NULL)
		return CUSTODY_ERR_PERM;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(q, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, time, -1, SQLITE_STATIC);
	return store_step_done(q);
}

static int
store_checkpoint_row(sqlite3_stmt *q, uint64_t *size, uint8_t root[32],
    char **note)
{
	const void *h;
	const char *t;
	int rc, r = 0;

	*note = NULL;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? CUSTODY_ERR_NOTFOUND : store_err(rc);
		goto out;
	}
	h = sqlite3_column_blob(q, 1);
	t = (const char *)sqlite3_column_text(q, 2);
	if (h == NULL || sqlite3_column_bytes(q, 1) != 32 || t == NULL) {
		r = CUSTODY_ERR_CORRUPT;
		goto out;
	}
	if ((*note = strdup(t)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	*size = (uint64_t)sqlite3_column_int64(q, 0);
	memcpy(root, h, 32);
out:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return r;
}

int
store_checkpoint_latest(struct store *st, uint64_t *size, uint8_t root[32],
    char **note)
{
	return store_checkpoint_row(st->q[Q_CP_LATEST], size, root, note);
}

int
store_checkpoint_covering(struct store *st, uint64_t min_size,
    uint64_t *size, uint8_t root[32], char **note)
{
	sqlite3_bind_int64(st->q[Q_CP_COVERING], 1, (sqlite3_int64)min_size);
	return store_checkpoint_row(st->q[Q_CP_COVERING], size, root, note);
}

static int
store_iter_new(struct store *st, const char *sql, struct store_iter **out)
{
	struct store_iter *it;
	int rc;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &it->stmt, NULL)) !=
	    SQLITE_OK) {
		free(it);
		return store_err(rc);
	}
	*out = it;
	return 0;
}

int
store_iter_events(struct store *st, uint64_t from, struct store_iter **out)
{
	int r;

	if ((r = store_iter_new(st, "SELECT seq, body, leaf_hash FROM events"
	    " WHERE seq >= ? ORDER BY seq", out)) == 0)
		sqlite3_bind_int64((*out)->stmt, 1, (sqlite3_int64)from);
	return r;
}

int
store_iter_nodes(struct store *st, unsigned int level,
    struct store_iter **out)
{
	int r;

	if ((r = store_iter_new(st, "SELECT idx, hash, leaves FROM tree WHERE "
	    "level = ? ORDER BY idx", out)) == 0)
		sqlite3_bind_int((*out)->stmt, 1, (int)level);
	return r;
}

int
store_iter_checkpoints(struct store *st, struct store_iter **out)
{
	return store_iter_new(st, "SELECT size, root, note FROM checkpoints"
	    " ORDER BY size", out);
}

int
store_iter_next(struct store_iter *it)
{
	int rc = sqlite3_step(it->stmt);

	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_err(rc);
}

int64_t
store_iter_int(struct store_iter *it, int col)
{
	return sqlite3_column_int64(it->stmt, col);
}

const void *
store_iter_blob(struct store_iter *it, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(it->stmt, col);

	*len = (size_t)sqlite3_column_bytes(it->stmt, col);
	return p;
}

void
store_iter_free(struct store_iter *it)
{
	if (it == NULL)
		return;
	sqlite3_finalize(it->stmt);
	free(it);
}

int
store_subject_add(struct store *st, uint64_t seq, const char *kind,
    const char *id)
{
	sqlite3_stmt *q = st->q[Q_SUBJECT_ADD];

	if (q == NULL)
		return CUSTODY_ERR_PERM;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)seq);
	return store_step_done(q);
}

static int
store_bind_json(sqlite3_stmt *q, json_t *params)
{
	json_t *v;
	size_t i;
	int rc = SQLITE_OK;

	json_array_foreach(params, i, v) {
		int k = (int)i + 1;

		switch (json_typeof(v)) {
		case JSON_STRING:
			rc = sqlite3_bind_text(q, k, json_string_value(v),
			    (int)json_string_length(v), SQLITE_TRANSIENT);
			break;
		case JSON_INTEGER:
			rc = sqlite3_bind_int64(q, k, json_integer_value(v));
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			rc = sqlite3_bind_int(q, k, json_is_true(v));
			break;
		case JSON_NULL:
			rc = sqlite3_bind_null(q, k);
			break;
		default:
			return CUSTODY_ERR_INVAL;
		}
		if (rc != SQLITE_OK)
			return store_err(rc);
	}
	return 0;
}

static json_t *
store_row_json(sqlite3_stmt *q)
{
	json_t *row = json_object(), *v;
	int i, n = sqlite3_column_count(q);

	for (i = 0; row != NULL && i < n; i++) {
		switch (sqlite3_column_type(q, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(q, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			v = json_stringn((const char *)sqlite3_column_text(q,
			    i), (size_t)sqlite3_column_bytes(q, i));
			break;
		}
		if (v == NULL || json_object_set_new(row,
		    sqlite3_column_name(q, i), v) != 0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/*
 * A prepared statement for sql, from the cache or newly prepared into it.
 * The cache keys on its own copy of the text: callers may build SQL in a
 * buffer that holds other text next time.
 */
static int
store_stmt(struct store *st, const char *sql, sqlite3_stmt **out)
{
	unsigned int i;
	char *key;
	int rc;

	for (i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].sql != NULL &&
		    strcmp(st->cache[i].sql, sql) == 0) {
			*out = st->cache[i].stmt;
			return 0;
		}
	}
	if ((key = strdup(sql)) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((rc = sqlite3_prepare_v3(st->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, out, NULL)) != SQLITE_OK) {
		free(key);
		return store_err(rc);
	}
	i = st->next++ % STORE_STMT_CACHE;
	sqlite3_finalize(st->cache[i].stmt);
	free(st->cache[i].sql);
	st->cache[i].sql = key;
	st->cache[i].stmt = *out;
	return 0;
}

int
store_stream_mode(struct store *st)
{
	return store_exec(st, "PRAGMA mmap_size = 0; PRAGMA cache_size = -256");
}

int
store_wal_flush(struct store *st)
{
	return store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
}

void
store_release_memory(struct store *st)
{
	(void)sqlite3_db_release_memory(st->db);
}

int
store_sql(struct store *st, const char *sql, json_t *params, json_t **rows)
{
	sqlite3_stmt *q = NULL;
	json_t *out = NULL, *row;
	int rc, r;

	if (rows != NULL)
		*rows = NULL;
	if ((r = store_stmt(st, sql, &q)) != 0)
		return r;
	/*
	 * Callers build params with json_pack, which returns NULL only when
	 * out of memory: run with no values bound, an UPDATE would match
	 * nothing and succeed, and the request would be half applied.
	 */
	if (params == NULL && sqlite3_bind_parameter_count(q) > 0) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (params != NULL && (r = store_bind_json(q, params)) != 0)
		goto out;
	if (rows != NULL && (out = json_array()) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (out == NULL)
			continue;
		if ((row = store_row_json(q)) == NULL ||
		    json_array_append_new(out, row) != 0) {
			r = CUSTODY_ERR_NOMEM;
			goto out;
		}
	}
	if ((r = rc == SQLITE_DONE ? 0 : store_err(rc)) != 0)
		goto out;
	if (rows != NULL) {
		*rows = out;
		out = NULL;
	}
out:
	json_decref(out);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return r;
}

int
store_tree_count(struct store *st, uint64_t *n)
{
	int64_t v = 0;
	int r = store_pragma_int(st, "SELECT count(*) FROM tree", &v);

	*n = (uint64_t)v;
	return r;
}

int
store_changes(struct store *st)
{
	return sqlite3_changes(st->db);
}
