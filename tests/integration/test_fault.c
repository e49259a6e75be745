/*
 * test_fault.c -- faults injected into the real daemon (tests/fault/
 * shim.c, preloaded into custodyd only), each driven through real
 * requests: write(2) and fsync(2) failing with EIO and ENOSPC on its
 * database; SQLite answering SQLITE_FULL or SQLITE_CORRUPT; the station
 * key failing to sign; every allocation of a write request failing in
 * turn; a client that never reads its answers.  Each time the client
 * gets a clear error, the log gains nothing of the failed request (or,
 * when the daemon cannot even build an answer and says so, the request
 * is applied whole or not at all), the same request succeeds once the
 * fault clears, and `custody log verify` passes.  A restart, even after
 * SIGKILL with a disk fault still on, finds the log whole and each
 * request applied entirely or not at all.
 * And a second program holding the database's write lock.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* The control file's layout: struct shim_ctl in tests/fault/shim.c. */
struct fault_ctl {
	char		line[64];
	uint64_t	calls;
};

static struct harness H;
static char ctldir[] = "/tmp/custody-fault-XXXXXX";
static char ctl[PATH_MAX], shim[PATH_MAX], admin[65], dsl[65];

/*
 * Sets the fault (a line of tests/fault/shim.c's list, or "" for none)
 * and zeroes its counter.  The file is rewritten in place, never
 * truncated: the daemon has it mapped.
 */
static void
fault_set(const char *what)
{
	struct fault_ctl c;
	int fd;

	memset(&c, 0, sizeof(c));
	assert_true(strlen(what) < sizeof(c.line));
	memcpy(c.line, what, strlen(what));
	fd = open(ctl, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &c, sizeof(c), 0), (ssize_t)sizeof(c));
	assert_int_equal(close(fd), 0);
}

/* The calls the fault has seen since it was set. */
static uint64_t
fault_calls(void)
{
	struct fault_ctl c;
	int fd = open(ctl, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, sizeof(c), 0), (ssize_t)sizeof(c));
	close(fd);
	return c.calls;
}

/*
 * Starts (or restarts) the daemon with the shim preloaded; logs in the
 * technician and, once there is one, the DSL.
 */
static int
daemon_up(int fresh)
{
	int r;

	if (setenv("LD_PRELOAD", shim, 1) != 0 ||
	    setenv("FAULT_CTL", ctl, 1) != 0)
		return -1;
	r = fresh ? h_start(&H, NULL) : h_start_daemon(&H);
	unsetenv("LD_PRELOAD");
	if (r != 0 || h_login(&H, H_ADMIN, H_ADMIN_PW, admin) == NULL ||
	    (dsl[0] != '\0' && h_login(&H, "lead", PW, dsl) == NULL))
		return -1;
	return 0;
}

static json_t *user_add(const char *user);

static int
setup(void **unused)
{
	const char *bin = getenv("CUSTODYD_BIN");
	char *slash;
	json_t *rep;
	int ok;

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
	if (daemon_up(1) != 0)
		return -1;
	rep = user_add("lead");
	ok = h_ok(rep);
	json_decref(rep);
	return ok && h_login(&H, "lead", PW, dsl) != NULL ? 0 : -1;
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

	if (!h_ok(rep))
		fail_msg("station.status: %s", rep ? json_dumps(rep, 0) :
		    "no answer");
	n = json_integer_value(json_object_get(json_object_get(rep, "result"),
	    "log_size"));
	json_decref(rep);
	return n;
}

static json_t *
user_add(const char *user)
{
	char args[256];

	(void)snprintf(args, sizeof(args), "{\"user\":\"%s\",\"role\":\"%s\","
	    "\"new_password\":\"" PW "\",\"password\":\"" H_ADMIN_PW "\"}",
	    user, strcmp(user, "lead") == 0 ? "dsl" : "slt");
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

/*
 * What the client is told.  SQLite turns a failed write into
 * SQLITE_FULL when errno is ENOSPC; a failed fsync is an I/O error
 * whatever errno says.
 */
#define DISK_IO	"could not record the request: cannot commit to the " \
	"database: disk I/O error; it may not have been saved: check the " \
	"disk (custody station status shows free space), then check " \
	"whether it is recorded before repeating it"
#define DISK_FULL "could not record the request: the disk holding the " \
	"custody log is full; it may not have been saved: free space on it " \
	"(custody station status shows how much is left), then check " \
	"whether it is recorded before repeating it"

static const struct {
	const char	*fault;
	const char	*says;
} faults[] = {
	{ "fsync EIO", DISK_IO },
	{ "fsync ENOSPC", DISK_IO },
	{ "write EIO", DISK_IO },
	{ "write ENOSPC", DISK_FULL },
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
		fault_set(faults[i].fault);
		rep = user_add(user);
		assert_true(fault_calls() > 0);
		fault_set("");
		if (rep == NULL || h_ok(rep))
			fail_msg("%s: the request did not fail",
			    faults[i].fault);
		assert_string_equal(h_code(rep), "internal");
		assert_string_equal(h_msg(rep), faults[i].says);
		json_decref(rep);
		assert_int_equal(log_size(), before);
		assert_false(user_exists(user));
		rep = user_add(user);
		if (!h_ok(rep))
			fail_msg("%s: after the fault cleared: %s",
			    faults[i].fault, h_msg(rep));
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
		fault_set(faults[i].fault);
		rep = user_add(user);
		assert_false(h_ok(rep));
		json_decref(rep);
		(void)h_stop_daemon(&H, SIGKILL);
		fault_set("");
		verify_offline();
		assert_int_equal(daemon_up(0), 0);
		after = log_size() - 2;	/* less the two new logins */
		if (strncmp(faults[i].fault, "write", 5) == 0 &&
		    after != before)
			fail_msg("%s: an event survived the failed write",
			    faults[i].fault);
		if (after != before && after != before + 1)
			fail_msg("%s: the log went from %lld to %lld events",
			    faults[i].fault, (long long)before,
			    (long long)after);
		if (user_exists(user) != (after == before + 1))
			fail_msg("%s: the event and the account disagree",
			    faults[i].fault);
		fprintf(stderr, "%s then SIGKILL: %s\n", faults[i].fault,
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

/* One number from the database, read beside the running daemon. */
static long long
db_int(const char *sql)
{
	char db[PATH_MAX];
	sqlite3_stmt *q;
	sqlite3 *s;
	long long v = -1;

	(void)snprintf(db, sizeof(db), "%s/custody.db", H.state);
	assert_int_equal(sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(s);
	return v;
}

/* The daemon's own check of its log (custody log verify, online). */
static void
verify_online(void)
{
	json_t *rep = h_req(&H, admin, "log.verify", NULL);

	if (!h_ok(rep) || !json_is_true(json_object_get(json_object_get(rep,
	    "result"), "ok")))
		fail_msg("custody log verify failed: %s", rep ? json_dumps(
		    rep, 0) : "no answer");
	json_decref(rep);
}

static void
daemon_alive(void)
{
	int st;

	if (waitpid(H.pid, &st, WNOHANG) != 0)
		fail_msg("custodyd died (status %#x); see %s", st, H.log);
}

/* custody login as the DSL, through the real CLI. */
static void
cli_login(void)
{
	char pw[PATH_MAX];
	struct h_out o;
	FILE *fp;

	(void)snprintf(pw, sizeof(pw), "%s/lead.pw", H.dir);
	assert_non_null(fp = fopen(pw, "w"));
	fputs(PW "\n", fp);
	assert_int_equal(fclose(fp), 0);
	h_cli(&H, &o, "lead", "login", "--user", "lead", "--password-file",
	    pw, NULL);
	if (o.status != 0)
		fail_msg("custody login: %s", o.text);
}

/* custody device register, through the real CLI. */
static void
cli_register(struct h_out *o, const char *seal)
{
	h_cli(&H, o, "lead", "device", "register", "--pupil", "P-0042",
	    "--reason", "behaviour", "--location", "office safe", "--seal",
	    seal, "--power", "off", NULL);
}

/*
 * A write request under fault: the CLI exits non-zero with says, the
 * fault was met, nothing of the request is kept (no event, no device,
 * no checkpoint), and the same request succeeds once the fault clears.
 */
static void
cli_fault_then_recover(const char *fault, const char *says)
{
	long long ev, dev, cp;
	struct h_out o;
	uint64_t met;

	cli_login();
	ev = db_int("SELECT count(*) FROM events");
	dev = db_int("SELECT count(*) FROM devices");
	cp = db_int("SELECT count(*) FROM checkpoints");
	fault_set(fault);
	cli_register(&o, "F-1");
	met = fault_calls();
	fault_set("");
	if (met == 0)
		fail_msg("%s: the fault was never met", fault);
	if (o.status == 0 || strstr(o.text, says) == NULL)
		fail_msg("%s: expected a failure saying\n  %s\ngot %d:\n%s",
		    fault, says, o.status, o.text);
	if (db_int("SELECT count(*) FROM events") != ev ||
	    db_int("SELECT count(*) FROM devices") != dev ||
	    db_int("SELECT count(*) FROM checkpoints") != cp)
		fail_msg("%s: something of the failed request was kept",
		    fault);
	cli_register(&o, "F-2");
	if (o.status != 0 || strstr(o.text, "DEV-") == NULL)
		fail_msg("%s: after the fault cleared: %s", fault, o.text);
	verify_online();
}

#define SQL_FULL "could not record the request: the disk holding the " \
	"custody log is full; nothing was recorded: free space on it " \
	"(custody station status shows how much is left), then repeat " \
	"the request"
#define SQL_CORRUPT "could not record the request: the custody database " \
	"is damaged; nothing was recorded: stop using the station until " \
	"the technician has checked it (custody log verify --db) and " \
	"restored custody.db from a backup, then repeat the request"

/*
 * SQLite answering SQLITE_FULL or SQLITE_CORRUPT at each stage of a
 * write: the device's row, its event, the checkpoint that signs it, and
 * (for CORRUPT) every SELECT, from the session's own lookup on.
 * COMMIT itself runs through sqlite3_exec, which the shim cannot fail
 * (see shim.c): a full disk at COMMIT is "write ENOSPC" above.
 */
static void
test_sqlite_full_corrupt(void **unused)
{
	static const struct {
		const char	*fault;
		const char	*says;
	} f[] = {
		{ "sqlite_step SQLITE_FULL INSERT INTO devices", SQL_FULL },
		{ "sqlite_step SQLITE_FULL INSERT INTO events", SQL_FULL },
		{ "sqlite_step SQLITE_FULL INSERT INTO checkpoints", SQL_FULL },
		{ "sqlite_step SQLITE_CORRUPT INSERT INTO devices",
		    SQL_CORRUPT },
		{ "sqlite_step SQLITE_CORRUPT INSERT INTO events",
		    SQL_CORRUPT },
		{ "sqlite_step SQLITE_CORRUPT INSERT INTO checkpoints",
		    SQL_CORRUPT },
		{ "sqlite_step SQLITE_CORRUPT SELECT", SQL_CORRUPT },
	};
	size_t i;

	if (ASAN_BUILD)
		skip();
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		cli_fault_then_recover(f[i].fault, f[i].says);
}

/*
 * The station key failing to sign (EVP_DigestSign): the checkpoint is
 * never stored unsigned, so the request is refused whole.
 */
static void
test_sign_failure(void **unused)
{
	if (ASAN_BUILD)
		skip();
	cli_fault_then_recover("sign", "could not record the request: the "
	    "station key could not sign the checkpoint (cryptographic "
	    "operation failed); nothing was recorded: see journalctl -u "
	    "custodyd (restart custodyd if it keeps happening), then repeat "
	    "the request");
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends one request on fd without waiting; 0, or -1 (errno). */
static int
send_req(int fd, const char *op, const char *args)
{
	char msg[1024];
	int n;

	n = snprintf(msg, sizeof(msg), "{\"v\":1,\"op\":\"%s\",\"session\":"
	    "\"%s\",\"args\":%s}", op, dsl, args);
	assert_true(n > 0 && (size_t)n < sizeof(msg));
	return send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    n ? 0 : -1;
}

/*
 * A client that sends write requests and never reads the answers.  On
 * a Unix socket the answers wait in the client's receive queue but are
 * charged to the daemon's send buffer, so shrinking the client's
 * SO_RCVBUF would change nothing: the daemon's buffer fills, its next
 * answer fails with EAGAIN (a non-blocking socket, and MSG_DONTWAIT),
 * and it drops the client instead of blocking.  Meanwhile another
 * client is answered within 2 s (a daemon that blocked fails here).
 *
 * What the stuck client sees: the answers that fitted, each with its
 * receipt, then the end of the connection.  The request whose answer
 * did not fit was recorded all the same (an acknowledged request is
 * one that is in the log, answered or not); those sent after it were
 * never read.  Every answered one is in the log, and the log verifies.
 */
static void
test_full_socket_buffer(void **unused)
{
	const struct timeval two_s = { 2, 0 };
	char buf[8192], status[200];
	int fd, other, i, sent = 0, answered = 0, waits = 0, ok = 1;
	json_int_t before, after;
	struct pollfd pfd;
	int64_t t0;
	json_t *r;
	ssize_t n;

	if (ASAN_BUILD)
		skip();
	(void)snprintf(status, sizeof(status), "{\"v\":1,\"op\":"
	    "\"station.status\",\"session\":\"%s\"}", admin);
	before = log_size();
	assert_true((fd = h_connect(&H)) >= 0);
	/* Until the daemon hangs up: it must, long before 5,000. */
	for (i = 0; i < 5000 && ok; i++) {
		if (send_req(fd, "device.register", "{\"pupil\":\"P-0077\","
		    "\"reason\":\"behaviour\",\"location\":\"office safe\","
		    "\"seal\":\"S-1\",\"power\":\"off\"}") == 0) {
			sent++;
			continue;
		}
		if (errno != EAGAIN)
			ok = 0;		/* EPIPE: dropped */
		else {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, 200);
			waits++;
		}
		/* Never stuck on it: another client is served meanwhile. */
		t0 = mono_ms();
		assert_true((other = h_connect(&H)) >= 0);
		assert_int_equal(setsockopt(other, SOL_SOCKET, SO_RCVTIMEO,
		    &two_s, sizeof(two_s)), 0);
		assert_int_equal(send(other, status, strlen(status),
		    MSG_NOSIGNAL), (ssize_t)strlen(status));
		if ((n = recv(other, buf, sizeof(buf) - 1, 0)) <= 0)
			fail_msg("another client got no answer in %lld ms",
			    (long long)(mono_ms() - t0));
		buf[n] = '\0';
		assert_non_null(strstr(buf, "\"ok\":true"));
		close(other);
	}
	if (ok)
		fail_msg("the daemon never dropped a client that does not "
		    "read (%d requests sent)", sent);
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		assert_non_null(r = json_loads(buf, 0, NULL));
		assert_true(h_ok(r));
		assert_non_null(json_string_value(json_object_get(
		    json_object_get(r, "result"), "device")));
		json_decref(r);
		answered++;
	}
	close(fd);
	after = log_size();
	fprintf(stderr, "stuck client: %d requests sent (%d times its "
	    "buffer was full, another client answered each time), %d "
	    "answered, %lld recorded, then dropped\n", sent, waits,
	    answered, (long long)(after - before));
	assert_true(answered > 0);
	/* Each answered request is recorded; at most one more unanswered. */
	if (after - before != answered && after - before != answered + 1)
		fail_msg("%d answered but %lld recorded", answered,
		    (long long)(after - before));
	assert_int_equal(db_int("SELECT count(*) FROM devices WHERE pupil = "
	    "'P-0077'"), after - before);
	verify_online();
	daemon_alive();
}

/*
 * Three write requests to sweep (the last with a step-up password, so
 * scrypt too), and for each the count of its own events and of the rows
 * it adds, which must agree after every fault.  A '#' in args becomes a
 * number, for a name of its own each time.
 */
static const struct {
	const char	*op;
	const char	*args;
	const char	*events;
	const char	*rows;
	const char	*id;	/* the new row's id in a successful answer */
	int		 admin;	/* the technician's request, not the DSL's */
} sweeps[] = {
	{ "case.open", "{\"category\":\"bullying\",\"summary\":\"messages "
	    "in the year 9 group chat\",\"pupils\":[\"P-0042\"]}",
	    "SELECT count(*) FROM events WHERE action = 'case.open'",
	    "SELECT count(*) FROM cases", "case", 0 },
	{ "device.register", "{\"pupil\":\"P-0042\",\"reason\":\"behaviour\","
	    "\"location\":\"office safe\",\"seal\":\"A-1\",\"power\":\"off\"}",
	    "SELECT count(*) FROM events WHERE action = 'device.register'",
	    "SELECT count(*) FROM devices", "device", 0 },
	{ "user.add", "{\"user\":\"swept#\",\"role\":\"staff\","
	    "\"new_password\":\"" PW "\",\"password\":\"" H_ADMIN_PW "\"}",
	    "SELECT count(*) FROM events WHERE action = 'user.add'",
	    "SELECT count(*) FROM users", NULL, 1 },
};

/* Sends sweep k's request, with a name not used before. */
static json_t *
sweep_req(size_t k)
{
	static unsigned int serial;
	const char *hash = strchr(sweeps[k].args, '#');
	char args[512];

	if (hash == NULL)
		(void)snprintf(args, sizeof(args), "%s", sweeps[k].args);
	else
		(void)snprintf(args, sizeof(args), "%.*s%u%s",
		    (int)(hash - sweeps[k].args), sweeps[k].args, ++serial,
		    hash + 1);
	return h_req(&H, sweeps[k].admin ? admin : dsl, sweeps[k].op, args);
}

/* Tallies of what a swept request came to. */
struct sweep_tally {
	unsigned int	points, applied, refused, unsure, dropped, missed;
};

/* The answer custodyd sends when it cannot build one (daemon/server.c). */
#define NOMEM_ANSWERING	"custodyd ran out of memory while answering: " \
	"the request may or may not have been recorded"

/*
 * One request with allocation n failing (and, with "+", every one after
 * it): the daemon lives, answers the next request, and the request was
 * applied whole, with its event, or not at all.
 */
static void
sweep_one(size_t k, unsigned long n, const char *more, struct sweep_tally *t)
{
	char line[64];
	long long ev, rows;
	int fired;
	json_int_t before, after;
	json_t *rep;

	before = log_size();
	ev = db_int(sweeps[k].events);
	rows = db_int(sweeps[k].rows);
	(void)snprintf(line, sizeof(line), "malloc %lu%s", n, more);
	fault_set(line);
	rep = sweep_req(k);
	fired = fault_calls() >= n;
	fault_set("");
	daemon_alive();
	after = log_size();
	t->points += fired;
	t->missed += !fired;	/* this time it made fewer than n */
	if (rep == NULL)
		t->dropped++, fprintf(stderr, "DROPPED %s\n", line);
	else if (strstr(h_msg(rep), NOMEM_ANSWERING) != NULL)
		t->unsure++;	/* either way: checked below */
	else if (h_ok(rep)) {
		t->applied++;
		if (sweeps[k].id != NULL && json_object_get(json_object_get(
		    rep, "result"), sweeps[k].id) == NULL)
			fail_msg("%s, %s: success without the new %s: %s",
			    sweeps[k].op, line, sweeps[k].id,
			    json_dumps(rep, 0));
		if (after != before + 1 || db_int(sweeps[k].events) != ev + 1)
			fail_msg("%s, %s: success but the log went from %lld "
			    "to %lld", sweeps[k].op, line, (long long)before,
			    (long long)after);
	} else {
		t->refused++;
		if (h_msg(rep)[0] == '\0' || strcmp(h_code(rep),
		    "internal") != 0)
			fail_msg("%s, %s: a refusal that says nothing "
			    "useful: %s", sweeps[k].op, line, json_dumps(rep,
			    0));
		if (db_int(sweeps[k].events) != ev)
			fail_msg("%s, %s: refused (%s) but its event was "
			    "kept", sweeps[k].op, line, h_msg(rep));
	}
	json_decref(rep);
	if (db_int(sweeps[k].events) != db_int(sweeps[k].rows) - (rows - ev))
		fail_msg("%s, %s: %lld events but %lld rows: half applied",
		    sweeps[k].op, line, db_int(sweeps[k].events),
		    db_int(sweeps[k].rows));
	if (after != db_int("SELECT count(*) FROM events"))
		fail_msg("%s, %s: the daemon counts %lld events, the "
		    "database %lld", sweeps[k].op, line, (long long)after,
		    db_int("SELECT count(*) FROM events"));
	/* The daemon's tree must still match the database's. */
	rep = sweep_req(k);
	if (!h_ok(rep))
		fail_msg("%s, after %s: %s", sweeps[k].op, line, h_msg(rep));
	json_decref(rep);
}

/*
 * Allocation failure: each allocation a write request makes, failing in
 * turn (jansson's, SQLite's and OpenSSL's all come through malloc), then
 * each with every later one failing too, as when memory runs out for
 * good.  SWEEP_STEP (default 1) strides through the points.
 */
static void
test_nomem_sweep(void **unused)
{
	const char *step_env = getenv("SWEEP_STEP");
	unsigned long n, total, step;
	struct sweep_tally t;
	unsigned int points = 0;
	json_t *rep;
	size_t k;
	int more;

	if (ASAN_BUILD)
		skip();
	step = step_env != NULL ? strtoul(step_env, NULL, 10) : 1;
	if (step == 0)
		step = 1;
	for (k = 0; k < sizeof(sweeps) / sizeof(sweeps[0]); k++) {
		/*
		 * The count first ("malloc 0" fails nothing), the second
		 * time round: the first also prepares SQLite statements
		 * that are kept.
		 */
		for (n = 0; n < 2; n++) {
			fault_set("malloc 0");
			rep = sweep_req(k);
			total = (unsigned long)fault_calls();
			fault_set("");
			assert_true(h_ok(rep));
			json_decref(rep);
		}
		assert_true(total > 10);
		for (more = 0; more < 2; more++) {
			memset(&t, 0, sizeof(t));
			for (n = 1; n <= total; n += step)
				sweep_one(k, n, more ? "+" : "", &t);
			verify_online();
				/* Not a sweep of nothing: the faults told. */
			assert_true(t.refused + t.unsure > t.points / 2);
			fprintf(stderr, "%s: %lu allocations, failing %s: %u "
			    "applied, %u refused, %u unsure, %u dropped "
			    "(%u not reached)\n", sweeps[k].op, total, more ?
			    "each and all after it" : "each alone", t.applied,
			    t.refused, t.unsure, t.dropped, t.missed);
			assert_int_equal(t.dropped, 0);
			points += t.points;
		}
	}
	fprintf(stderr, "allocation failure: %u points swept\n", points);
	assert_int_equal(h_stop_daemon(&H, SIGTERM) & 0xffff, 0);
	verify_offline();
	assert_int_equal(daemon_up(0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_then_recover),
		cmocka_unit_test(test_fault_then_kill),
		cmocka_unit_test(test_database_locked),
		cmocka_unit_test(test_sqlite_full_corrupt),
		cmocka_unit_test(test_sign_failure),
		cmocka_unit_test(test_nomem_sweep),
		cmocka_unit_test(test_full_socket_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
