/*
 * bench_log.c -- the custody log against plain SQLite, and at scale.
 *
 *	bench_log TMPDIR CUSTODY_BIN
 *
 * 1. Appends.  In each of BENCH_ROUNDS rounds, on a fresh station:
 *    APPEND_SINGLE events, each in its own transaction (begin, append,
 *    commit: a signed checkpoint, WAL fsync under synchronous=FULL), and
 *    the same rows -- the very canonical bodies and leaf hashes the log
 *    stored, read back from it -- inserted into a plain SQLite database
 *    with the store's pragmas and one transaction per row.  The two take
 *    turns every APPEND_CHUNKS-th of the way, so that both meet the same
 *    moments of a shared machine.  Then the same pair for a burst of
 *    APPEND_BURST events in transactions of APPEND_BATCH.  The event
 *    objects are built before the clock starts, so the log's time is the
 *    library's alone.  Events per second: the best round; overhead: the
 *    median of the rounds' ratios.
 *
 * 2. Logs of 1,000 and 1,000,000 events in TMPDIR/log-1k and log-1m,
 *    built through the library in transactions of BUILD_BATCH (one signed
 *    checkpoint each).  A log already there with the right size is reused;
 *    a new one is built in DIR.tmp and renamed into place only when
 *    complete, so an interrupted build is never mistaken for a log.
 *
 * 3. Verification: the real CLI, `CUSTODY_BIN log verify --db PATH`, by
 *    fork/exec/wait4 from a small launcher process, on both logs in turn;
 *    wall time and the child's peak RSS (ru_maxrss).  A reused log that
 *    fails to verify (say, built with an older event format) is rebuilt
 *    once and verified again.
 *
 * 4. Inclusion proofs: custody_log_proof on random events of each log,
 *    opened read-only, after a warm-up; mean time per proof.  A sample of
 *    proofs is checked with merkle_inclusion_verify first.
 *
 * Output: "name value" lines on stdout; progress on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/error.h"
#include "evidence/log.h"
#include "evidence/station.h"
#include "evidence/store.h"
#include "hashing/merkle.h"

#define BENCH_ROUNDS	3
#define APPEND_SINGLE	500
#define APPEND_BURST	10000
#define APPEND_BATCH	100
#define APPEND_CHUNKS	10	/* log and plain alternate this often */
#define BUILD_BATCH	1000
#define LOG_SMALL	1000ull
#define LOG_LARGE	1000000ull
#define PROOF_COUNT	2000
#define PROOF_WARM	500
#define PROOF_CHECK	50
#define PATHLEN		4096

static const char plain_pragmas[] = "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
    "PRAGMA secure_delete = ON;";

/* One stored event, as the plain baseline inserts it. */
struct row {
	char	*body;
	size_t	 len;
	uint8_t	 leaf[32];
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
path_join(char out[PATHLEN], const char *dir, const char *name)
{
	int n = snprintf(out, PATHLEN, "%s/%s", dir, name);

	return n < 0 || n >= PATHLEN ? -1 : 0;
}

/* Removes a station directory made by station_init (or a part of one). */
static void
station_remove(const char *dir)
{
	static const char *const names[] = { STATION_DB, STATION_DB "-wal",
	    STATION_DB "-shm", STATION_DB "-journal", STATION_KEY,
	    STATION_CERT, STATION_MASTER };
	char p[PATHLEN];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_join(p, dir, names[i]) == 0)
			(void)unlink(p);
	if (path_join(p, dir, STATION_ITEMS) == 0)
		(void)rmdir(p);
	(void)rmdir(dir);
}

/* Removes an SQLite database and its WAL files. */
static void
db_remove(const char *path)
{
	char p[PATHLEN];

	(void)unlink(path);
	if (snprintf(p, sizeof(p), "%s-wal", path) < (int)sizeof(p))
		(void)unlink(p);
	if (snprintf(p, sizeof(p), "%s-shm", path) < (int)sizeof(p))
		(void)unlink(p);
}

/*
 * The subject and data of event n: a phone being registered, about 260
 * canonical bytes with the envelope.  Returns 0 or CUSTODY_ERR_NOMEM.
 */
static int
event_parts(uint64_t n, json_t **subject, json_t **data)
{
	static const char *const where[] = { "safe 1, shelf 2",
	    "safe 2, shelf 1", "office cabinet B, drawer 3",
	    "safe 1, shelf 4" };
	static const char *const why[] = {
	    "used during an exam, confiscated by the invigilator",
	    "reported for sharing images of another pupil",
	    "found in the changing rooms, owner unknown" };
	char dev[32], seal[32];

	(void)snprintf(dev, sizeof(dev), "D%07llu", (unsigned long long)n);
	(void)snprintf(seal, sizeof(seal), "SB-%08llu",
	    (unsigned long long)(n * 7919u % 100000000u));
	*subject = json_pack("{s:s}", "device", dev);
	*data = json_pack("{s:s, s:s, s:s}", "seal", seal, "location",
	    where[n % 4], "reason", why[n % 3]);
	if (*subject == NULL || *data == NULL) {
		json_decref(*subject);
		json_decref(*data);
		*subject = *data = NULL;
		return CUSTODY_ERR_NOMEM;
	}
	return 0;
}

static json_t *
actor_new(void)
{
	return json_pack("{s:s, s:s, s:i}", "user", "bench", "role", "staff",
	    "uid", 1000);
}

/* Appends events first..first+count-1 of the generator, in one open
 * transaction. */
static int
append_some(struct custody_log *log, json_t *actor, uint64_t first,
    uint64_t count)
{
	json_t *subject, *data;
	uint64_t i, seq;
	int r;

	for (i = 0; i < count; i++) {
		if ((r = event_parts(first + i, &subject, &data)) != 0)
			return r;
		r = custody_log_append(log, "device.register", actor, subject,
		    data, &seq);
		json_decref(subject);
		json_decref(data);
		if (r != 0)
			return r;
	}
	return 0;
}

static void
rows_free(struct row *rows, size_t count)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < count; i++)
		free(rows[i].body);
	free(rows);
}

static int
plain_fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_log: plain sqlite %s: %s\n", what,
	    db != NULL ? sqlite3_errmsg(db) : "cannot open");
	return CUSTODY_ERR_DB;
}

/*
 * The baseline: a fresh database at path with the store's pragmas and one
 * table like the store's events table.
 */
static int
plain_open(const char *path, sqlite3 **db, sqlite3_stmt **ins)
{
	db_remove(path);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, plain_pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, "CREATE TABLE events (seq INTEGER PRIMARY KEY, "
	    "action TEXT, body BLOB, leaf_hash BLOB)", NULL, NULL, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(*db, "INSERT INTO events (seq, "
	    "action, body, leaf_hash) VALUES (?, ?, ?, ?)", -1, ins, NULL) !=
	    SQLITE_OK)
		return plain_fail(*db, "setup");
	return 0;
}

/* Inserts rows[i..i+n-1] (seq i+1..) in one transaction. */
static int
plain_txn(sqlite3 *db, sqlite3_stmt *ins, const struct row *rows, size_t i,
    size_t n)
{
	size_t j;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return plain_fail(db, "begin");
	for (j = i; j < i + n; j++) {
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)j + 1);
		sqlite3_bind_text(ins, 2, "device.register", -1,
		    SQLITE_STATIC);
		sqlite3_bind_blob(ins, 3, rows[j].body, (int)rows[j].len,
		    SQLITE_STATIC);
		sqlite3_bind_blob(ins, 4, rows[j].leaf, 32, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return plain_fail(db, "insert");
		}
		sqlite3_reset(ins);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return plain_fail(db, "commit");
	return 0;
}

/*
 * One append figure being measured: the log of a fresh station and the
 * plain database, fed in turn, chunk by chunk, so that both sides see the
 * same moments of a noisy machine.
 */
struct append_run {
	struct station	*s;
	json_t		*actor;
	json_t		**parts;	/* subject and data of each event */
	sqlite3		*db;
	sqlite3_stmt	*ins;
	struct row	*rows;		/* the events as the log stored them */
	size_t		 count, batch;
	double		 log_s, plain_s;
};

static void
append_run_free(struct append_run *a)
{
	size_t i;

	if (a->parts != NULL)
		for (i = 0; i < 2 * a->count; i++)
			json_decref(a->parts[i]);
	free(a->parts);
	rows_free(a->rows, a->count);
	json_decref(a->actor);
	sqlite3_finalize(a->ins);
	sqlite3_close(a->db);
	station_close(a->s);
	memset(a, 0, sizeof(*a));
}

/* A fresh station in dir, a fresh plain database at db, events made. */
static int
append_run_new(struct append_run *a, const char *dir, const char *db,
    size_t count, size_t batch)
{
	char fpr[SIGN_FPR_HEX], err[512] = "";
	size_t i;
	int r = 0;

	memset(a, 0, sizeof(*a));
	a->count = count;
	a->batch = batch;
	if ((a->actor = actor_new()) == NULL ||
	    (a->parts = calloc(2 * count, sizeof(*a->parts))) == NULL ||
	    (a->rows = calloc(count, sizeof(*a->rows))) == NULL)
		return CUSTODY_ERR_NOMEM;
	for (i = 0; i < count && r == 0; i++)
		r = event_parts(i + 1, &a->parts[2 * i], &a->parts[2 * i + 1]);
	if (r != 0)
		return r;
	station_remove(dir);
	if ((r = station_init(dir, "bench.example/append", fpr, err,
	    sizeof(err))) != 0 ||
	    (r = station_open(dir, 0, &a->s, err, sizeof(err))) != 0) {
		fprintf(stderr, "bench_log: %s: %s\n", dir, err);
		return r;
	}
	return plain_open(db, &a->db, &a->ins);
}

/* Appends events [i, i + n) to the log in transactions of batch; timed. */
static int
append_log_chunk(struct append_run *a, size_t i, size_t n)
{
	struct custody_log *log = station_log(a->s);
	char err[512] = "";
	uint64_t seq;
	size_t j, k;
	double t0 = now_s();
	int r = 0;

	for (j = i; j < i + n && r == 0; j += a->batch) {
		if ((r = custody_log_begin(log)) != 0)
			break;
		for (k = j; k < j + a->batch && k < i + n && r == 0; k++)
			r = custody_log_append(log, "device.register",
			    a->actor, a->parts[2 * k], a->parts[2 * k + 1],
			    &seq);
		if (r != 0)
			custody_log_abort(log);
		else if ((r = custody_log_commit(log, err, sizeof(err))) != 0)
			fprintf(stderr, "bench_log: commit: %s\n", err);
	}
	a->log_s += now_s() - t0;
	return r;
}

/*
 * Reads events [i, i + n) back from the log (untimed), then inserts the
 * same rows into the plain database with the same commits (timed).
 */
static int
append_plain_chunk(struct append_run *a, size_t i, size_t n)
{
	struct custody_log *log = station_log(a->s);
	size_t j;
	double t0;
	int r = 0;

	for (j = i; j < i + n && r == 0; j++)
		r = custody_log_event(log, j + 1, &a->rows[j].body,
		    &a->rows[j].len, a->rows[j].leaf);
	t0 = now_s();
	for (j = i; j < i + n && r == 0; j += a->batch)
		r = plain_txn(a->db, a->ins, a->rows, j, i + n - j < a->batch ?
		    i + n - j : a->batch);
	a->plain_s += now_s() - t0;
	return r;
}

/*
 * One round of one append figure: count events in transactions of batch
 * to a fresh log and, alternating every APPEND_CHUNKS-th of the way, the
 * same rows to a fresh plain database.
 */
static int
append_round(const char *tmp, size_t count, size_t batch, double *log_s,
    double *plain_s)
{
	struct append_run a;
	char dir[PATHLEN], db[PATHLEN];
	size_t i, chunk;
	int r;

	if (path_join(dir, tmp, "append-log") != 0 ||
	    path_join(db, tmp, "append-plain.db") != 0)
		return CUSTODY_ERR_TOOBIG;
	chunk = (count / APPEND_CHUNKS + batch - 1) / batch * batch;
	if ((r = append_run_new(&a, dir, db, count, batch)) != 0)
		goto out;
	for (i = 0; i < count && r == 0; i += chunk)
		if ((r = append_log_chunk(&a, i, count - i < chunk ?
		    count - i : chunk)) == 0)
			r = append_plain_chunk(&a, i, count - i < chunk ?
			    count - i : chunk);
	*log_s = a.log_s;
	*plain_s = a.plain_s;
out:
	if (r != 0)
		fprintf(stderr, "bench_log: append round: %s\n",
		    custody_strerror(r));
	append_run_free(&a);
	station_remove(dir);
	db_remove(db);
	return r;
}

_Static_assert(BENCH_ROUNDS == 3, "median3 takes the median of the rounds");

static double
median3(const double v[BENCH_ROUNDS])
{
	double a = v[0], b = v[1], c = v[2];

	if ((a <= b && b <= c) || (c <= b && b <= a))
		return b;
	if ((b <= a && a <= c) || (c <= a && a <= b))
		return a;
	return c;
}

/*
 * Events per second are the best round's; the overhead is the median of
 * the rounds' ratios, each ratio taken over interleaved chunks.
 */
static int
bench_append(const char *tmp)
{
	double best[4] = { 1e30, 1e30, 1e30, 1e30 }, t[4];
	double ratio[2][BENCH_ROUNDS];
	int round, i, r;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		if ((r = append_round(tmp, APPEND_SINGLE, 1, &t[0],
		    &t[1])) != 0 ||
		    (r = append_round(tmp, APPEND_BURST, APPEND_BATCH, &t[2],
		    &t[3])) != 0)
			return r;
		fprintf(stderr, "bench_log: append round %d: one per commit "
		    "%.0f/s (plain %.0f/s), batched %.0f/s (plain %.0f/s)\n",
		    round + 1, APPEND_SINGLE / t[0], APPEND_SINGLE / t[1],
		    APPEND_BURST / t[2], APPEND_BURST / t[3]);
		for (i = 0; i < 4; i++)
			if (t[i] < best[i])
				best[i] = t[i];
		ratio[0][round] = t[0] / t[1];
		ratio[1][round] = t[2] / t[3];
	}
	printf("append_events_per_s %.1f\n", APPEND_SINGLE / best[0]);
	printf("append_plain_events_per_s %.1f\n", APPEND_SINGLE / best[1]);
	printf("append_overhead_vs_sqlite %.3f\n", median3(ratio[0]));
	printf("append_batch_events_per_s %.1f\n", APPEND_BURST / best[2]);
	printf("append_batch_plain_events_per_s %.1f\n",
	    APPEND_BURST / best[3]);
	printf("append_batch_overhead_vs_sqlite %.3f\n", median3(ratio[1]));
	return 0;
}

/* 1 if dir holds a complete log of exactly size events. */
static int
log_ready(const char *dir, uint64_t size)
{
	struct store *st = NULL;
	char db[PATHLEN], *note = NULL;
	uint8_t root[32];
	uint64_t n = 0, cp = 0;
	int ok;

	if (path_join(db, dir, STATION_DB) != 0 ||
	    store_open(db, STORE_RDONLY, &st, NULL, 0) != 0)
		return 0;
	ok = store_log_size(st, &n) == 0 && n == size &&
	    store_checkpoint_latest(st, &cp, root, &note) == 0 && cp == size;
	free(note);
	store_close(st);
	return ok;
}

/* Fills a station's log up to size events, BUILD_BATCH per commit. */
static int
log_fill(struct custody_log *log, uint64_t size, char *err, size_t errlen)
{
	json_t *actor;
	uint64_t n, k;
	double t0 = now_s(), el;
	int r = 0;

	if ((actor = actor_new()) == NULL)
		return CUSTODY_ERR_NOMEM;
	while (r == 0 && (n = custody_log_size(log)) < size) {
		k = BUILD_BATCH - n % BUILD_BATCH;
		if (k > size - n)
			k = size - n;
		if ((r = custody_log_begin(log)) != 0)
			break;
		if ((r = append_some(log, actor, n, k)) != 0) {
			custody_log_abort(log);
			break;
		}
		if ((r = custody_log_commit(log, err, errlen)) != 0)
			break;
		n += k;
		if (n % 100000 == 0 || n == size) {
			el = now_s() - t0;
			fprintf(stderr, "bench_log: built %llu/%llu events, "
			    "%.0f/s, %.0f s left\n", (unsigned long long)n,
			    (unsigned long long)size, n / el,
			    (double)(size - n) / (n / el));
		}
	}
	json_decref(actor);
	return r;
}

/* Builds a log of size events in dir.tmp, then renames it to dir. */
static int
log_build(const char *dir, uint64_t size, double *secs)
{
	char tmpdir[PATHLEN], fpr[SIGN_FPR_HEX], err[512] = "";
	struct station *s = NULL;
	double t0 = now_s();
	int n, r;

	n = snprintf(tmpdir, sizeof(tmpdir), "%s.tmp", dir);
	if (n < 0 || (size_t)n >= sizeof(tmpdir))
		return CUSTODY_ERR_TOOBIG;
	station_remove(tmpdir);
	station_remove(dir);
	fprintf(stderr, "bench_log: building a log of %llu events in %s\n",
	    (unsigned long long)size, dir);
	if ((r = station_init(tmpdir, "bench.example/custody-1", fpr, err,
	    sizeof(err))) != 0 ||
	    (r = station_open(tmpdir, 0, &s, err, sizeof(err))) != 0 ||
	    (r = log_fill(station_log(s), size, err, sizeof(err))) != 0)
		goto out;
	station_close(s);
	s = NULL;
	if (rename(tmpdir, dir) == -1) {
		r = custody_fail(err, sizeof(err), CUSTODY_ERR_IO, "rename "
		    "%s: %s", tmpdir, strerror(errno));
		goto out;
	}
	*secs = now_s() - t0;
out:
	if (r != 0)
		fprintf(stderr, "bench_log: building %s: %s\n", dir,
		    err[0] ? err : custody_strerror(r));
	station_close(s);
	return r;
}

/* Reads a file once, so that timings start from a warm page cache. */
static void
file_warm(const char *path)
{
	const size_t bufsize = 1 << 20;
	char *buf;
	ssize_t n;
	int fd;

	if ((buf = malloc(bufsize)) == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while ((n = read(fd, buf, bufsize)) > 0 ||
		    (n == -1 && errno == EINTR))
			;
		(void)close(fd);
	}
	free(buf);
}

/*
 * The launcher: a child forked first thing in main, while this process is
 * still small, that runs `custody log verify` for it.  Linux counts in a
 * child's ru_maxrss the resident set it inherited by fork (exec records
 * the old address space's high-water mark), so forking the CLI from this
 * process, grown by building a million events, would report this
 * process's size instead of the CLI's.  The launcher's own peak, reported
 * as verify_rss_floor_kib, is the floor below which no figure can go.
 */
struct launcher {
	pid_t	 pid;
	int	 req;		/* we write database paths here */
	int	 resp;		/* and read struct launch_resp here */
};

struct launch_resp {
	int	 status;	/* exit status, or -1 */
	double	 secs;		/* fork to wait4 */
	long	 rss_kib;	/* the child's ru_maxrss */
	long	 floor_kib;	/* the launcher's own */
	char	 out[2048];	/* the child's stdout, truncated */
};

/* Reads or writes exactly len bytes; 0, or -1 (also at EOF). */
static int
io_full(int fd, void *buf, size_t len, int wr)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = wr ? write(fd, p, len) : read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Runs argv with stdout into out (truncated to outlen - 1) and stderr
 * passed through; times it from fork to wait4 and reports the child's
 * peak RSS in KiB.  Returns its exit status, or -1.
 */
static int
run_child(char *const argv[], double *secs, long *rss_kib, char *out,
    size_t outlen)
{
	struct rusage ru;
	char sink[4096];
	size_t used = 0, k;
	ssize_t n;
	double t0;
	pid_t pid;
	int p[2], status;

	if (pipe(p) == -1)
		return -1;
	t0 = now_s();
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (pid == 0) {
		(void)dup2(p[1], STDOUT_FILENO);
		(void)close(p[0]);
		(void)close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	(void)close(p[1]);
	while ((n = read(p[0], sink, sizeof(sink))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		k = (size_t)n < outlen - 1 - used ? (size_t)n :
		    outlen - 1 - used;
		memcpy(out + used, sink, k);
		used += k;
	}
	(void)close(p[0]);
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR)
			return -1;
	*secs = now_s() - t0;
	*rss_kib = ru.ru_maxrss;
	out[used] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The launcher's loop: one `custody log verify --db PATH` per request. */
static void
launcher_serve(const char *custody, int req, int resp)
{
	struct launch_resp r;
	struct rusage self;
	char db[PATHLEN];
	char *argv[] = { (char *)custody, "log", "verify", "--db", db, NULL };

	while (io_full(req, db, sizeof(db), 0) == 0) {
		memset(&r, 0, sizeof(r));
		db[sizeof(db) - 1] = '\0';
		r.status = run_child(argv, &r.secs, &r.rss_kib, r.out,
		    sizeof(r.out));
		if (getrusage(RUSAGE_SELF, &self) == 0)
			r.floor_kib = self.ru_maxrss;
		if (io_full(resp, &r, sizeof(r), 1) != 0)
			break;
	}
}

static int
launcher_start(struct launcher *l, const char *custody)
{
	int req[2], resp[2];

	l->pid = -1;
	l->req = l->resp = -1;
	if (pipe(req) == -1)
		return -1;
	if (pipe(resp) == -1) {
		(void)close(req[0]);
		(void)close(req[1]);
		return -1;
	}
	if ((l->pid = fork()) == 0) {
		(void)close(req[1]);
		(void)close(resp[0]);
		launcher_serve(custody, req[0], resp[1]);
		_exit(0);
	}
	(void)close(req[0]);
	(void)close(resp[1]);
	l->req = req[1];
	l->resp = resp[0];
	return l->pid == -1 ? -1 : 0;
}

/* Closing its request pipe ends the launcher. */
static void
launcher_stop(struct launcher *l)
{
	int status;

	if (l->req != -1)
		(void)close(l->req);
	if (l->resp != -1)
		(void)close(l->resp);
	if (l->pid > 0)
		while (waitpid(l->pid, &status, 0) == -1 && errno == EINTR)
			;
	l->pid = -1;
	l->req = l->resp = -1;
}

/* One `custody log verify` of a log of size events; 0 if it passed. */
static int
verify_once(struct launcher *l, const char *dir, uint64_t size,
    struct launch_resp *r)
{
	char db[PATHLEN], want[64];

	memset(db, 0, sizeof(db));
	if (path_join(db, dir, STATION_DB) != 0)
		return -1;
	if (io_full(l->req, db, sizeof(db), 1) != 0 ||
	    io_full(l->resp, r, sizeof(*r), 0) != 0) {
		fprintf(stderr, "bench_log: the launcher is gone\n");
		return -1;
	}
	(void)snprintf(want, sizeof(want), "log verified: %llu events,",
	    (unsigned long long)size);
	if (r->status != 0 || strstr(r->out, want) == NULL) {
		fprintf(stderr, "bench_log: custody log verify --db %s: "
		    "status %d\n%s", db, r->status, r->out);
		return -1;
	}
	return 0;
}

struct biglog {
	const char	*name;		/* under TMPDIR */
	uint64_t	 size;
	char		 dir[PATHLEN];
	double		 build_s;	/* 0 when reused */
	double		 verify_s;	/* best */
	long		 rss_kib;	/* largest */
	double		 proof_us;	/* best mean */
	size_t		 path_len;	/* of the last proof */
};

/* Makes sure the log exists, built now if force or if it is not there. */
static int
biglog_ensure(struct biglog *b, int force)
{
	b->build_s = 0;
	if (!force && log_ready(b->dir, b->size)) {
		fprintf(stderr, "bench_log: reusing %s\n", b->dir);
		return 0;
	}
	return log_build(b->dir, b->size, &b->build_s);
}

/* Verifies once untimed; a reused log that fails is rebuilt once. */
static int
biglog_prepare(struct launcher *l, struct biglog *b)
{
	struct launch_resp r;
	char db[PATHLEN];

	if (biglog_ensure(b, 0) != 0 || path_join(db, b->dir, STATION_DB) != 0)
		return -1;
	file_warm(db);
	if (verify_once(l, b->dir, b->size, &r) == 0)
		return 0;
	if (b->build_s > 0)
		return -1;
	fprintf(stderr, "bench_log: the reused %s does not verify; "
	    "rebuilding it\n", b->dir);
	if (biglog_ensure(b, 1) != 0)
		return -1;
	return verify_once(l, b->dir, b->size, &r);
}

static uint64_t
rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Checks PROOF_CHECK proofs of random events end to end. */
static int
proof_check(struct custody_log *log, uint64_t *rs)
{
	uint8_t path[MERKLE_MAX_PROOF][32], root[32], leaf[32];
	uint64_t seq, size;
	size_t n, len;
	char *body;
	int i, r;

	for (i = 0; i < PROOF_CHECK; i++) {
		seq = rnd_next(rs) % custody_log_size(log);
		size = 0;
		if ((r = custody_log_event(log, seq, &body, &len, leaf)) != 0)
			return r;
		free(body);
		if ((r = custody_log_proof(log, seq, &size, root, path,
		    &n)) != 0 || (r = merkle_inclusion_verify(seq, size, leaf,
		    (const uint8_t (*)[32])path, n, root)) != 0) {
			fprintf(stderr, "bench_log: proof of %llu: %s\n",
			    (unsigned long long)seq, custody_strerror(r));
			return r;
		}
	}
	return 0;
}

/* Mean microseconds of count proofs of random events. */
static int
proof_timed(struct custody_log *log, uint64_t *rs, int count, double *us,
    size_t *path_len)
{
	uint8_t path[MERKLE_MAX_PROOF][32], root[32];
	uint64_t seqs[PROOF_COUNT], size;
	double t0;
	int i, r;

	if (count > PROOF_COUNT)
		return CUSTODY_ERR_RANGE;
	for (i = 0; i < count; i++)
		seqs[i] = rnd_next(rs) % custody_log_size(log);
	t0 = now_s();
	for (i = 0; i < count; i++) {
		size = 0;
		if ((r = custody_log_proof(log, seqs[i], &size, root, path,
		    path_len)) != 0)
			return r;
	}
	*us = (now_s() - t0) * 1e6 / count;
	return 0;
}

struct prooflog {
	struct store		*st;
	struct custody_log	*log;
};

static int
prooflog_open(const struct biglog *b, struct prooflog *p)
{
	char db[PATHLEN], err[512] = "";
	int r;

	memset(p, 0, sizeof(*p));
	if (path_join(db, b->dir, STATION_DB) != 0)
		return CUSTODY_ERR_TOOBIG;
	if ((r = store_open(db, STORE_RDONLY, &p->st, err,
	    sizeof(err))) != 0 ||
	    (r = custody_log_open(p->st, NULL, &p->log, err,
	    sizeof(err))) != 0)
		fprintf(stderr, "bench_log: %s: %s\n", db, err);
	return r;
}

static void
prooflog_close(struct prooflog *p)
{
	custody_log_free(p->log);
	store_close(p->st);
	memset(p, 0, sizeof(*p));
}

/* Proof timings on every log, side by side, best of the rounds. */
static int
bench_proofs(struct biglog *logs, int nlogs)
{
	struct prooflog pl[2];
	uint64_t rs = 0x9e3779b97f4a7c15ull;
	double us, warm;
	int i, round, r = 0;

	if (nlogs > 2)
		return CUSTODY_ERR_RANGE;
	memset(pl, 0, sizeof(pl));
	for (i = 0; i < nlogs && r == 0; i++) {
		logs[i].proof_us = 1e30;
		if ((r = prooflog_open(&logs[i], &pl[i])) == 0 &&
		    (r = proof_check(pl[i].log, &rs)) == 0)
			r = proof_timed(pl[i].log, &rs, PROOF_WARM, &warm,
			    &logs[i].path_len);
	}
	for (round = 0; round < BENCH_ROUNDS && r == 0; round++)
		for (i = 0; i < nlogs && r == 0; i++) {
			if ((r = proof_timed(pl[i].log, &rs, PROOF_COUNT, &us,
			    &logs[i].path_len)) != 0)
				break;
			fprintf(stderr, "bench_log: proof round %d, %s: "
			    "%.2f us\n", round + 1, logs[i].name, us);
			if (us < logs[i].proof_us)
				logs[i].proof_us = us;
		}
	for (i = 0; i < nlogs; i++)
		prooflog_close(&pl[i]);
	return r;
}

/*
 * Verification timings on every log, side by side; *floor_kib is the
 * launcher's own peak RSS (see struct launcher).
 */
static int
bench_verify(struct launcher *l, struct biglog *logs, int nlogs,
    long *floor_kib)
{
	struct launch_resp r;
	int i, round;

	for (i = 0; i < nlogs; i++) {
		logs[i].verify_s = 1e30;
		logs[i].rss_kib = 0;
	}
	for (round = 0; round < BENCH_ROUNDS; round++)
		for (i = 0; i < nlogs; i++) {
			if (verify_once(l, logs[i].dir, logs[i].size,
			    &r) != 0)
				return -1;
			fprintf(stderr, "bench_log: verify round %d, %s: "
			    "%.3f s, %ld KiB\n", round + 1, logs[i].name,
			    r.secs, r.rss_kib);
			if (r.secs < logs[i].verify_s)
				logs[i].verify_s = r.secs;
			if (r.rss_kib > logs[i].rss_kib)
				logs[i].rss_kib = r.rss_kib;
			*floor_kib = r.floor_kib;
		}
	return 0;
}

/* Mean canonical size of the small log's events, and the big DB's size. */
static void
print_sizes(const struct biglog *small, const struct biglog *big)
{
	struct store_iter *it = NULL;
	struct store *st = NULL;
	struct stat sb;
	char db[PATHLEN];
	uint64_t n = 0, bytes = 0;
	size_t len;

	if (path_join(db, small->dir, STATION_DB) == 0 &&
	    store_open(db, STORE_RDONLY, &st, NULL, 0) == 0 &&
	    store_iter_events(st, 1, &it) == 0)
		while (store_iter_next(it) == 1) {
			(void)store_iter_blob(it, 1, &len);
			bytes += len;
			n++;
		}
	store_iter_free(it);
	store_close(st);
	if (n > 0)
		printf("event_bytes_mean %.1f\n", (double)bytes / n);
	if (path_join(db, big->dir, STATION_DB) == 0 && stat(db, &sb) == 0)
		printf("log_1m_db_mib %.1f\n", sb.st_size / 1048576.0);
}

static void
print_logs(const struct biglog *s, const struct biglog *b, long floor_kib)
{
	printf("log_1m_build_seconds %.2f\n", b->build_s);
	printf("log_1m_reused %d\n", b->build_s > 0 ? 0 : 1);
	printf("log_verify_1m_seconds %.3f\n", b->verify_s);
	printf("log_verify_events_per_s %.0f\n", b->size / b->verify_s);
	printf("log_verify_1k_seconds %.4f\n", s->verify_s);
	printf("verify_rss_kib_1k %ld\n", s->rss_kib);
	printf("verify_rss_kib_1m %ld\n", b->rss_kib);
	printf("verify_rss_growth_kib %ld\n", b->rss_kib - s->rss_kib);
	printf("verify_rss_floor_kib %ld\n", floor_kib);
	printf("proof_us_1k %.2f\n", s->proof_us);
	printf("proof_us_1m %.2f\n", b->proof_us);
	printf("proof_ratio_1m_vs_1k %.3f\n", b->proof_us / s->proof_us);
	printf("proof_path_len_1m %zu\n", b->path_len);
	print_sizes(s, b);
}

static int
bench_logs(struct launcher *l, const char *tmp)
{
	struct biglog logs[2] = {
		{ .name = "1k", .size = LOG_SMALL },
		{ .name = "1m", .size = LOG_LARGE },
	};
	long floor_kib = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (path_join(logs[i].dir, tmp, i == 0 ? "log-1k" :
		    "log-1m") != 0 || biglog_prepare(l, &logs[i]) != 0)
			return -1;
	if (bench_verify(l, logs, 2, &floor_kib) != 0 ||
	    bench_proofs(logs, 2) != 0)
		return -1;
	print_logs(&logs[0], &logs[1], floor_kib);
	return 0;
}

int
main(int argc, char **argv)
{
	struct launcher l;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_log TMPDIR CUSTODY_BIN\n");
		return 2;
	}
	/* First, while this process is small: see struct launcher. */
	if (launcher_start(&l, argv[2]) != 0) {
		fprintf(stderr, "bench_log: fork: %s\n", strerror(errno));
		launcher_stop(&l);
		return 1;
	}
	r = bench_append(argv[1]) == 0 && fflush(stdout) == 0 &&
	    bench_logs(&l, argv[1]) == 0 && fflush(stdout) == 0 ? 0 : 1;
	launcher_stop(&l);
	return r;
}
