/*
 * bench_export.c -- the sealed police export (case.export) at scale, and
 * against the stock tools doing the same work.
 *
 *	bench_export TMPDIR CUSTODY_BIN
 *
 * The daemon is $CUSTODYD_BIN, or custodyd beside CUSTODY_BIN.
 *
 * 1. Two stations, one whose log holds LOG_SMALL events in all when the
 *    case is exported and one holding LOG_LARGE.  Each is made by
 *    `custodyd --init` (station_init, the station key, master.key, the
 *    schema, the admin account; a cheap scrypt cost, kdf_log2n = 10, as
 *    in the integration harness), then filled through the library: the
 *    station opened with station_open and FILL_BATCH filler events per
 *    custody_log_begin/_commit.  The filler is a school's ordinary
 *    traffic about OTHER pupils (filler_event): logins, phones
 *    registered, moved, resealed, checked out and back, released, now
 *    and then a case with its item, each with the subjects the daemon
 *    would index (device, pupil, case, item, user) and the projection rows
 *    it would write (devices, cases, case_pupils, items), so that ids
 *    continue after them and the event_subjects index is as full as a
 *    station's that has run for years.
 *
 *    The large station's filler is kept in TMPDIR/export-1m (built in
 *    TMPDIR/export-1m.tmp and renamed when complete; reused if its origin
 *    names this filler's version and its log has the right size) and is
 *    never run: each run copies it to TMPDIR/export/1m and works on the
 *    copy, so every run exports the same case from the same log.  The
 *    small station is made afresh in TMPDIR/export/1k.
 *
 * 2. On each, the real daemon is started and the case is made through it
 *    with raw requests (case_make): a DSL account, two phones registered,
 *    case.open with both, case.refer, item.add of a 100 MiB file
 *    (ITEM_MIB, incompressible, an MP4 header) that police asked for, and
 *    moves and reseals: CASE_EVENTS events of the case's own, CASE_PART
 *    events in all, so that the log holds exactly LOG_SMALL or LOG_LARGE
 *    when the first export starts (checked with station.status).
 *
 * 3. In each of BENCH_ROUNDS rounds, in alternating order: case.export
 *    on both stations, a raw SOCK_SEQPACKET request passing a new, empty
 *    file (the CLI is not in the figure), timed from send to reply; and
 *    the stock-tools pipeline (stock_once) on the payload of the small
 *    station's first bundle, decrypted with openssl cms and untarred
 *    (untimed; the stock recipe of bag.h checks it first): sha256sum and
 *    sha512sum of every payload file into the manifests, both tag
 *    manifests, openssl cms -sign (detached, DER, SHA-256, with a P-256
 *    key and certificate made here by openssl req), tar of the bag, and
 *    openssl cms -encrypt -pwri_password to AES-256-CBC, as one sh script
 *    timed from fork to wait.  Each export after the first also carries
 *    the previous rounds' export.create events (one more case event each,
 *    on both stations alike).  Every time is the best of its rounds.
 *    export_cpu_seconds_* is the daemon's time on a CPU during the
 *    request (/proc/PID/schedstat), the least of the rounds: it leaves
 *    out waiting for the disk and for other processes, so it is the
 *    steadier sign of work growing with the log.
 *
 *    openssl cms has no option for the PWRI iteration count: it uses
 *    PKCS5_DEFAULT_ITER.  The count each bundle actually carries is read
 *    back from its head (pwri_iter): export_stock_pwri_iter, and ours,
 *    export_pwri_iter (BAG_PWRI_ITER).  export_pwri_kdf_seconds is
 *    PBKDF2-HMAC-SHA1 at our count alone, timed here through OpenSSL:
 *    work of ours the stock pipeline skips.  export_vs_stock_tools_same_kdf
 *    adds it to the stock time, as if openssl cms could be told the count.
 *
 *    Our export also writes the bundle twice (the station's copy in
 *    exports/ and the officer's file) and fsyncs both; the stock pipeline
 *    writes a tar and the bundle and fsyncs nothing.  Its outputs are
 *    unlinked as soon as it ends, before writeback could slow the next
 *    export's fsync; the stations and the item are flushed to disk before
 *    the first round.
 *
 * Daemons get SIGTERM, then SIGKILL, on every path out, and SIGTERM if
 * this program dies first (PR_SET_PDEATHSIG).  TMPDIR/export is removed
 * at the end (unless CUSTODY_KEEP is set) and at the next start.
 *
 * Output: "name value" lines on stdout; progress on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "evidence/bag.h"
#include "evidence/log.h"
#include "evidence/station.h"
#include "evidence/store.h"

#define BENCH_ROUNDS	3
#define LOG_SMALL	1000ull
#define LOG_LARGE	1000000ull
#define INIT_EVENTS	2	/* station.init, user.add (custodyd --init) */
#define CASE_PART	23	/* events case_make adds, in all */
#define CASE_EVENTS	20	/* of them, the case's own */
#define CASE_MOVES	13	/* device.move and device.seal */
#define FILL_BATCH	1000	/* filler events per commit */
#define FILL_BLOCK	10	/* filler events per filler device */
#define ITEM_MIB	100u
#define CHUNK		(1024u * 1024u)
#define START_WAIT_MS	10000
#define STOP_WAIT_MS	5000
#define PATHLEN		4096
#define REPLY_MAX	(196608 + 1)	/* DAEMON_MAX_REPLY and a NUL */
#define MIB		(1024.0 * 1024.0)

/* Names this filler; change it when filler_event changes. */
#define ORIGIN_LARGE	"bench.example/export-1m-v2"
#define ORIGIN_SMALL	"bench.example/export-1k-v2"

#define ADMIN_USER	"tech"
#define ADMIN_PW	"violet kettle harbour nine"
#define DSL_USER	"dee.dsl"
#define DSL_PW		"marble otter lantern five"
#define EXPORT_PW	"cobalt ferry willow eleven"
#define CRIME_REF	"KP/2026/0042"

_Static_assert(BENCH_ROUNDS == 3, "rounds alternate their order");
_Static_assert(PATHLEN >= PATH_MAX, "realpath writes up to PATH_MAX");
/* Two device.register, case.open and its two case.link, case.refer and
 * item.add; then the moves.  Besides: two auth.login and user.add. */
_Static_assert(CASE_EVENTS == 7 + CASE_MOVES, "the case's own events");
_Static_assert(CASE_PART == CASE_EVENTS + 3, "logins and user.add");

/* One station and its daemon. */
struct srv {
	const char	*name;		/* "1k", "1m" */
	uint64_t	 size;		/* events in all at the first export */
	char		 dir[PATHLEN];	/* TMPDIR/export/NAME */
	char		 state[PATHLEN];
	char		 sock[PATHLEN];
	char		 conf[PATHLEN];
	char		 log[PATHLEN];	/* the daemon's stderr */
	pid_t		 pid;		/* the daemon, or 0 */
	char		 token[65];	/* the DSL's session */
	char		 case_id[32];
	double		 best;		/* seconds, best export */
	double		 cpu;		/* the daemon's CPU time, least */
	int		 events;	/* the case's events, first export */
	uint64_t	 log_size;	/* station.status before it */
	double		 bytes;		/* the first bundle's size */
};

struct bench {
	char		 tmp[PATHLEN];	/* TMPDIR, absolute */
	char		 work[PATHLEN];	/* TMPDIR/export: all ours */
	char		 base[PATHLEN];	/* TMPDIR/export-1m: kept */
	char		 custodyd[PATHLEN];
	char		 tools[PATHLEN];	/* the tools' stderr */
	char		 item[PATHLEN];	/* the 100 MiB content */
	char		 stock[PATHLEN];	/* the stock pipeline's dir */
	char		 bag[256];	/* the bag's name */
	char		*reply;
	struct srv	 s[2];		/* 1k, 1m */
	double		 build_s;	/* of the 1M filler; 0 if reused */
	double		 stock_best;
	long		 stock_iter, our_iter;
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A process's time on a CPU so far, from /proc/PID/schedstat, or -1. */
static double
proc_cpu_s(pid_t pid)
{
	unsigned long long ns;
	char path[64];
	FILE *fp;
	int n;

	(void)snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fscanf(fp, "%llu", &ns);
	(void)fclose(fp);
	return n == 1 ? (double)ns / 1e9 : -1;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
path_join(char out[PATHLEN], const char *dir, const char *name)
{
	int n = snprintf(out, PATHLEN, "%s/%s", dir, name);

	return n < 0 || n >= PATHLEN ? -1 : 0;
}

static int
tree_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
tree_remove(const char *dir)
{
	struct stat sb;

	if (lstat(dir, &sb) == 0)
		(void)nftw(dir, tree_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to a new file of mode 0600. */
static int
file_put(const char *path, const char *text)
{
	FILE *fp;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		(void)close(fd);
		return -1;
	}
	if (fputs(text, fp) == EOF) {
		(void)fclose(fp);
		return -1;
	}
	return fclose(fp) == 0 ? 0 : -1;
}

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

/* The end of a log file, for a failure report. */
static void
log_dump(const char *path)
{
	char buf[2048];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL)
		return;
	if (fseek(fp, 0, SEEK_END) == 0 && ftell(fp) > (long)sizeof(buf) - 1)
		(void)fseek(fp, -(long)sizeof(buf) + 1, SEEK_END);
	else
		rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	(void)fclose(fp);
	if (n > 0)
		fprintf(stderr, "bench_export: the end of %s:\n%s", path, buf);
}

/*
 * Forks and runs argv with stdout to out (or the log) and stderr appended
 * to log.  The child gets SIGTERM should this process die.  Returns the
 * pid, or -1.
 */
static pid_t
spawn(char *const argv[], const char *out, const char *log)
{
	pid_t parent = getpid(), pid;
	int fd, ofd;

	if (fflush(NULL) != 0)
		return -1;
	if ((pid = fork()) != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || dup2(fd, STDERR_FILENO) == -1)
		_exit(127);
	if (out != NULL)
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		ofd = fd;
	if (ofd == -1 || dup2(ofd, STDOUT_FILENO) == -1)
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

/* Runs argv to the end; its exit status, or -1.  *secs: fork to wait. */
static int
run(char *const argv[], const char *out, const char *log, double *secs)
{
	double t0 = now_s();
	pid_t pid;
	int st;

	if ((pid = spawn(argv, out, log)) == -1)
		return -1;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (secs != NULL)
		*secs = now_s() - t0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Runs a sh script with positional arguments a1..a4 (NULL ends them);
 * 0 if it succeeded.  stdout goes to out (or the tools' log).
 */
static int
sh_run(const struct bench *b, const char *script, const char *out,
    double *secs, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, "sh", (char *)a1,
	    (char *)a2, (char *)a3, (char *)a4, NULL };

	if (run(argv, out, b->tools, secs) == 0)
		return 0;
	fprintf(stderr, "bench_export: a tool failed:\n%s\n", script);
	log_dump(b->tools);
	return -1;
}

/*
 * Fills in the paths.  Socket paths must fit sun_path, so TMPDIR is made
 * absolute first (the daemon is told absolute paths only).
 */
static int
bench_paths(struct bench *b, const char *tmp, const char *custody)
{
	struct sockaddr_un sa;
	const char *env = getenv("CUSTODYD_BIN");
	char *slash;
	int i;

	if (realpath(tmp, b->tmp) == NULL) {
		fprintf(stderr, "bench_export: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (env != NULL && env[0] != '\0')
		(void)snprintf(b->custodyd, PATHLEN, "%s", env);
	else if ((slash = strrchr(custody, '/')) != NULL)
		(void)snprintf(b->custodyd, PATHLEN, "%.*s/custodyd",
		    (int)(slash - custody), custody);
	else
		(void)snprintf(b->custodyd, PATHLEN, "custodyd");
	if (access(b->custodyd, X_OK) != 0) {
		fprintf(stderr, "bench_export: no daemon at %s (set "
		    "CUSTODYD_BIN)\n", b->custodyd);
		return -1;
	}
	if (path_join(b->work, b->tmp, "export") != 0 ||
	    path_join(b->base, b->tmp, "export-1m") != 0 ||
	    path_join(b->tools, b->work, "tools.log") != 0 ||
	    path_join(b->item, b->work, "item-100m.mp4") != 0 ||
	    path_join(b->stock, b->work, "stock") != 0)
		return -1;
	b->s[0].name = "1k";
	b->s[0].size = LOG_SMALL;
	b->s[1].name = "1m";
	b->s[1].size = LOG_LARGE;
	for (i = 0; i < 2; i++) {
		struct srv *s = &b->s[i];

		if (path_join(s->dir, b->work, s->name) != 0 ||
		    path_join(s->state, s->dir, "state") != 0 ||
		    path_join(s->sock, s->dir, "sock") != 0 ||
		    path_join(s->conf, s->dir, "custody.conf") != 0 ||
		    path_join(s->log, s->dir, "custodyd.log") != 0 ||
		    strlen(s->sock) >= sizeof(sa.sun_path)) {
			fprintf(stderr, "bench_export: %s: path too long for "
			    "a socket\n", b->tmp);
			return -1;
		}
	}
	return 0;
}

/*
 * The filler: event i (0-based) of the traffic about other pupils.  Each
 * block of FILL_BLOCK events is one phone's stay; every tenth phone's
 * pupil also gets a case with an item, later deleted.  Projection rows go
 * in with the event that would have written them.
 */
struct filler {
	struct custody_log	*log;
	struct store		*st;
	json_t			*staff[8], *slt[2], *dsl;	/* actors */
};

static const char *const where[] = { "main office safe, shelf 1",
    "main office safe, shelf 2", "head of year cabinet B, drawer 3",
    "reception lockable drawer 2" };
static const char *const why[] = { "behaviour", "bullying", "exam",
    "behaviour", "other" };
static const char *const makes[] = { "Apple", "Samsung", "Google",
    "Motorola" };
static const char *const models[] = { "iPhone 13", "Galaxy A54",
    "Pixel 7a", "moto g84" };

static int
filler_actors(struct filler *f)
{
	char name[32];
	int i;

	for (i = 0; i < 8; i++) {
		(void)snprintf(name, sizeof(name), "staff.%02d", i + 1);
		if ((f->staff[i] = json_pack("{s:s, s:s, s:i, s:i}", "user",
		    name, "role", "staff", "uid", 1000, "gid", 1000)) == NULL)
			return CUSTODY_ERR_NOMEM;
	}
	for (i = 0; i < 2; i++) {
		(void)snprintf(name, sizeof(name), "slt.%02d", i + 1);
		if ((f->slt[i] = json_pack("{s:s, s:s, s:i, s:i}", "user",
		    name, "role", "slt", "uid", 1000, "gid", 1000)) == NULL)
			return CUSTODY_ERR_NOMEM;
	}
	f->dsl = json_pack("{s:s, s:s, s:i, s:i}", "user", "dsl.filler",
	    "role", "dsl", "uid", 1000, "gid", 1000);
	return f->dsl != NULL ? 0 : CUSTODY_ERR_NOMEM;
}

static void
filler_free(struct filler *f)
{
	int i;

	for (i = 0; i < 8; i++)
		json_decref(f->staff[i]);
	for (i = 0; i < 2; i++)
		json_decref(f->slt[i]);
	json_decref(f->dsl);
}

/* The ids of phone d: its device, pupil, seal, case and item. */
struct filler_ids {
	char	dev[32], pupil[32], seal[32], seal2[32], cas[32], item[32];
	int	in_case;
};

static void
filler_ids(uint64_t d, struct filler_ids *x)
{
	unsigned long long n = (unsigned long long)d;

	(void)snprintf(x->dev, sizeof(x->dev), "DEV-%04llu", n);
	(void)snprintf(x->pupil, sizeof(x->pupil), "P-%06llu", n * 7 % 999983);
	(void)snprintf(x->seal, sizeof(x->seal), "SB-%08llu", n * 2);
	(void)snprintf(x->seal2, sizeof(x->seal2), "SB-%08llu", n * 2 + 1);
	(void)snprintf(x->cas, sizeof(x->cas), "CASE-%04llu", n / 10);
	(void)snprintf(x->item, sizeof(x->item), "ITEM-%04llu", n / 10);
	x->in_case = d % 10 == 0;
}

/* Runs one projection statement; params are taken. */
static int
filler_sql(struct filler *f, const char *sql, json_t *params)
{
	int r;

	if (params == NULL)
		return CUSTODY_ERR_NOMEM;
	r = store_sql(f->st, sql, params, NULL);
	json_decref(params);
	return r;
}

/*
 * The projection rows written with event k of phone d, as the daemon
 * writes them: the device at register (released later: its final state
 * is written at once), the case at case.open, the link and the pupil at
 * case.link, the item at item.add (deleted later, its key shredded).
 */
static int
filler_rows(struct filler *f, uint64_t d, int k, const struct filler_ids *x)
{
	json_int_t t = (json_int_t)1772443200000 + (json_int_t)d;
	int r;

	if (k == 1)
		return filler_sql(f, "INSERT INTO devices (id, n, pupil, reason,"
		    " confiscated_by, confiscated_at, registered_by, location, "
		    "seal, make, model, state, registered_at, power, closed_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?7, ?8, ?9, ?10, "
		    "'released', ?11, 'off', ?11)", json_pack("[s, I, s, s, s, "
		    "s, s, s, s, s, I]", x->dev, (json_int_t)d, x->pupil,
		    why[d % 5], "staff.01", "2026-03-02T09:15:00.000Z",
		    where[d % 4], x->seal2, makes[d % 4], models[d % 4], t));
	if (!x->in_case)
		return 0;
	if (k == 4)
		return filler_sql(f, "INSERT INTO cases (id, n, category, "
		    "summary, opened_by, opened_at) VALUES (?1, ?2, ?3, "
		    "'messages between pupils in year 9', 'dsl.filler', ?4)",
		    json_pack("[s, I, s, I]", x->cas, (json_int_t)(d / 10),
		    d % 20 == 0 ? "bullying" : "other", t));
	if (k == 5) {
		if ((r = filler_sql(f, "UPDATE devices SET case_id = ? WHERE "
		    "id = ?", json_pack("[s, s]", x->cas, x->dev))) != 0)
			return r;
		return filler_sql(f, "INSERT INTO case_pupils (case_id, pupil)"
		    " VALUES (?, ?)", json_pack("[s, s]", x->cas, x->pupil));
	}
	if (k == 7)
		return filler_sql(f, "INSERT INTO items (id, n, case_id, type, "
		    "media, gated, size, sha256, sha512, added_by, added_at, "
		    "state, deleted_at) VALUES (?1, ?2, ?3, 'image/jpeg', 1, 1, "
		    "48213, '', '', 'dsl.filler', ?4, 'deleted', ?4)",
		    json_pack("[s, I, s, I]", x->item, (json_int_t)(d / 10),
		    x->cas, t));
	return 0;
}

/* The action, actor, subject and data of event k of phone d. */
static const char *
filler_parts(struct filler *f, uint64_t d, int k, const struct filler_ids *x,
    json_t **actor, json_t **subject, json_t **data)
{
	json_t *staff = f->staff[d % 8], *slt = f->slt[d % 2];
	const char *user = json_string_value(json_object_get(staff, "user"));

	*actor = staff;
	*data = NULL;
	switch (k) {
	case 0:
	case 9:
		*subject = json_pack("{s:s}", "user", user);
		return k == 0 ? "auth.login" : "auth.logout";
	case 1:
		*subject = json_pack("{s:s, s:s}", "device", x->dev, "pupil",
		    x->pupil);
		*data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
		    "s:s}", "pupil", x->pupil, "reason", why[d % 5],
		    "location", where[d % 4], "seal", x->seal, "power", "off",
		    "confiscated_by", user, "confiscated_at",
		    "2026-03-02T09:15:00.000Z", "make", makes[d % 4], "model",
		    models[d % 4]);
		return "device.register";
	case 4:
		if (x->in_case) {
			*actor = f->dsl;
			*subject = json_pack("{s:s}", "case", x->cas);
			*data = json_pack("{s:s, s:s}", "category", d % 20 == 0 ?
			    "bullying" : "other", "summary", "messages "
			    "between pupils in year 9");
			return "case.open";
		}
		/* FALLTHROUGH */
	case 2:
	case 7:
		if (k == 7 && x->in_case) {
			*actor = f->dsl;
			*subject = json_pack("{s:s, s:s}", "case", x->cas,
			    "item", x->item);
			*data = json_pack("{s:s, s:i, s:s, s:b}", "type",
			    "image/jpeg", "size", 48213, "sha256", "e3b0c44298"
			    "fc1c149afbf4c8996fb92427ae41e4649b934ca495991b785"
			    "2b855", "gated", 1);
			return "item.add";
		}
		*subject = json_pack("{s:s}", "device", x->dev);
		*data = json_pack("{s:s, s:s, s:s, s:s}", "location",
		    where[(d + (uint64_t)k) % 4], "why", "moved at the end of "
		    "the day", "from_state", "held", "to_state", "held");
		return "device.move";
	case 3:
		*actor = slt;
		*subject = json_pack("{s:s}", "device", x->dev);
		*data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "old_seal",
		    x->seal, "new_seal", x->seal2, "why", "bag opened to "
		    "check the phone was switched off", "from_state", "held",
		    "to_state", "held");
		return "device.seal";
	case 5:
		if (x->in_case) {
			*actor = f->dsl;
			*subject = json_pack("{s:s, s:s}", "case", x->cas,
			    "device", x->dev);
			return "case.link";
		}
		*actor = slt;
		*subject = json_pack("{s:s}", "device", x->dev);
		*data = json_pack("{s:s, s:s, s:s, s:s}", "to", "head of "
		    "year 9", "purpose", "parent meeting", "from_state", "held",
		    "to_state", "checked_out");
		return "device.checkout";
	case 6:
		*actor = slt;
		*subject = json_pack("{s:s}", "device", x->dev);
		if (x->in_case)
			json_object_set_new(*subject, "case",
			    json_string(x->cas));
		*data = json_pack("{s:s, s:s}", "from_state", x->in_case ?
		    "held" : "checked_out", "to_state", "held");
		return x->in_case ? "device.refer" : "device.return";
	default:	/* 8 */
		if (x->in_case) {
			*actor = f->dsl;
			*subject = json_pack("{s:s, s:s}", "item", x->item,
			    "case", x->cas);
			*data = json_pack("{s:s, s:b}", "why", "case closed, "
			    "no agency needs it", "no_agency_needs", 1);
			return "item.delete";
		}
		*actor = slt;
		*subject = json_pack("{s:s}", "device", x->dev);
		*data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "to_name",
		    "Ms J. Parent", "relationship", "mother", "id_check",
		    "driving licence seen", "from_state", "held", "to_state",
		    "released");
		return "device.release";
	}
}

/* Appends filler event i, with its projection rows. */
static int
filler_event(struct filler *f, uint64_t i)
{
	struct filler_ids x;
	json_t *actor, *subject = NULL, *data = NULL;
	const char *action;
	uint64_t d = i / FILL_BLOCK + 1, seq;
	int k = (int)(i % FILL_BLOCK), r;

	filler_ids(d, &x);
	action = filler_parts(f, d, k, &x, &actor, &subject, &data);
	if (subject == NULL)
		r = CUSTODY_ERR_NOMEM;
	else if ((r = custody_log_append(f->log, action, actor, subject, data,
	    &seq)) == 0)
		r = filler_rows(f, d, k, &x);
	json_decref(subject);
	json_decref(data);
	return r;
}

/* Appends count filler events to the station in state, in batches. */
static int
station_fill(const char *state, uint64_t count, const char *name)
{
	struct station *s = NULL;
	struct filler f;
	char err[512] = "";
	uint64_t i = 0, k;
	double t0 = now_s();
	int r;

	memset(&f, 0, sizeof(f));
	if ((r = filler_actors(&f)) != 0 ||
	    (r = station_open(state, 0, &s, err, sizeof(err))) != 0)
		goto out;
	f.log = station_log(s);
	f.st = station_store(s);
	while (i < count && r == 0) {
		if ((r = custody_log_begin(f.log)) != 0)
			break;
		for (k = 0; k < FILL_BATCH && i < count && r == 0; k++, i++)
			r = filler_event(&f, i);
		if (r != 0)
			custody_log_abort(f.log);
		else
			r = custody_log_commit(f.log, err, sizeof(err));
		if (r == 0 && (i % 100000 == 0 || i == count) && count > 100000)
			fprintf(stderr, "bench_export: %s: %llu/%llu filler "
			    "events, %.0f/s\n", name, (unsigned long long)i,
			    (unsigned long long)count, (double)i /
			    (now_s() - t0));
	}
out:
	if (r != 0)
		fprintf(stderr, "bench_export: filling %s: %s %s\n", state,
		    custody_strerror(r), err);
	station_close(s);
	filler_free(&f);
	return r;
}

/* custodyd --init: station_init, the key, master.key, the admin. */
static int
station_make(const struct bench *b, const struct srv *s, const char *state,
    const char *origin)
{
	char pw[PATHLEN];
	char *argv[] = { (char *)b->custodyd, "--init", "--config",
	    (char *)s->conf, "--state", (char *)state, "--id", (char *)origin,
	    "--admin", ADMIN_USER, "--password-file", pw, NULL };
	int st;

	if (path_join(pw, s->dir, "admin.pw") != 0 ||
	    file_put(pw, ADMIN_PW "\n") != 0) {
		fprintf(stderr, "bench_export: %s: %s\n", s->dir,
		    strerror(errno));
		return -1;
	}
	st = run(argv, NULL, s->log, NULL);
	(void)unlink(pw);
	if (st != 0) {
		fprintf(stderr, "bench_export: custodyd --init failed\n");
		log_dump(s->log);
		return -1;
	}
	return 0;
}

/* The filler events a station of size events in all needs. */
static uint64_t
fill_count(uint64_t size)
{
	return size - INIT_EVENTS - CASE_PART;
}

/* 1 if dir holds the large station's filler, complete. */
static int
base_ready(const char *dir)
{
	struct store_station row;
	struct store *st = NULL;
	char db[PATHLEN], *note = NULL;
	uint8_t root[32];
	uint64_t n = 0, cp = 0;
	int ok;

	memset(&row, 0, sizeof(row));
	if (path_join(db, dir, STATION_DB) != 0 ||
	    store_open(db, STORE_RDONLY, &st, NULL, 0) != 0)
		return 0;
	ok = store_station_get(st, &row, NULL, 0) == 0 &&
	    strcmp(row.origin, ORIGIN_LARGE) == 0 &&
	    store_log_size(st, &n) == 0 &&
	    n == INIT_EVENTS + fill_count(LOG_LARGE) &&
	    store_checkpoint_latest(st, &cp, root, &note) == 0 && cp == n;
	free(note);
	store_station_clear(&row);
	store_close(st);
	return ok;
}

/* Builds the large station's filler in BASE.tmp, then renames it. */
static int
base_build(struct bench *b)
{
	char tmpdir[PATHLEN];
	double t0 = now_s();

	if (snprintf(tmpdir, sizeof(tmpdir), "%s.tmp", b->base) >=
	    (int)sizeof(tmpdir))
		return -1;
	tree_remove(tmpdir);
	tree_remove(b->base);
	fprintf(stderr, "bench_export: building a station of %llu events in "
	    "%s\n", (unsigned long long)LOG_LARGE, b->base);
	if (station_make(b, &b->s[1], tmpdir, ORIGIN_LARGE) != 0 ||
	    station_fill(tmpdir, fill_count(LOG_LARGE), "1m") != 0)
		return -1;
	if (rename(tmpdir, b->base) == -1) {
		fprintf(stderr, "bench_export: rename %s: %s\n", tmpdir,
		    strerror(errno));
		return -1;
	}
	b->build_s = now_s() - t0;
	return 0;
}

/* Copies one file, keeping its mode; 0 or -1. */
static int
file_copy(const char *from, const char *to)
{
	struct stat sb;
	ssize_t n;
	int in, out, r = -1;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(in, &sb) == -1 || (out = open(to, O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC, sb.st_mode & 0777)) == -1) {
		(void)close(in);
		return -1;
	}
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0 && fsync(out) == 0)
		r = 0;
	(void)close(in);
	if (close(out) != 0)
		r = -1;
	return r;
}

/* The large station for this run: a copy of the kept filler. */
static int
base_copy(const struct bench *b, const struct srv *s)
{
	static const char *const names[] = { STATION_DB, STATION_KEY,
	    STATION_CERT, STATION_MASTER };
	char from[PATHLEN], to[PATHLEN];
	double t0 = now_s();
	size_t i;

	if (mkdir(s->state, 0700) == -1 ||
	    path_join(to, s->state, STATION_ITEMS) != 0 ||
	    mkdir(to, 0700) == -1)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_join(from, b->base, names[i]) != 0 ||
		    path_join(to, s->state, names[i]) != 0 ||
		    file_copy(from, to) != 0) {
			fprintf(stderr, "bench_export: copy %s: %s\n", from,
			    strerror(errno));
			return -1;
		}
	fprintf(stderr, "bench_export: copied the 1m station in %.2f s\n",
	    now_s() - t0);
	return 0;
}

/* Both stations, filled, ready for their daemons. */
static int
stations_make(struct bench *b)
{
	int i;

	for (i = 0; i < 2; i++)
		if (mkdir(b->s[i].dir, 0700) == -1 ||
		    file_put(b->s[i].conf, "kdf_log2n = 10\n"
		    "client_timeout = 30\n") != 0) {
			fprintf(stderr, "bench_export: %s: %s\n", b->s[i].dir,
			    strerror(errno));
			return -1;
		}
	if (station_make(b, &b->s[0], b->s[0].state, ORIGIN_SMALL) != 0 ||
	    station_fill(b->s[0].state, fill_count(LOG_SMALL), "1k") != 0)
		return -1;
	if (base_ready(b->base))
		fprintf(stderr, "bench_export: reusing %s\n", b->base);
	else if (base_build(b) != 0)
		return -1;
	return base_copy(b, &b->s[1]);
}

/* Writes ITEM_MIB MiB of incompressible bytes, an MP4 to the sniffer. */
static int
item_make(const char *path)
{
	uint64_t *buf, x = 0x9e3779b97f4a7c15ull;
	size_t i;
	unsigned int m;
	int fd, r = -1;

	if ((buf = malloc(CHUNK)) == NULL)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto out;
	for (m = 0; m < ITEM_MIB; m++) {
		for (i = 0; i < CHUNK / sizeof(*buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (m == 0)
			memcpy(buf, "\0\0\0\x20" "ftypisom\0\0\x02\0", 16);
		if (io_full(fd, buf, CHUNK, 1) != 0)
			goto out;
	}
	if (fdatasync(fd) == 0)
		r = 0;
out:
	if (fd != -1 && close(fd) != 0)
		r = -1;
	free(buf);
	return r;
}

static int
sock_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);	/* checked to fit */
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Starts the daemon and waits until it accepts a connection. */
static int
daemon_start(const struct bench *b, struct srv *s)
{
	char *argv[] = { (char *)b->custodyd, "--config", s->conf, "--state",
	    s->state, "--socket", s->sock, "--foreground", NULL };
	int i, fd, st;

	if ((s->pid = spawn(argv, NULL, s->log)) == -1) {
		s->pid = 0;
		return -1;
	}
	for (i = 0; i < START_WAIT_MS / 10; i++) {
		if ((fd = sock_connect(s->sock)) >= 0) {
			(void)close(fd);
			return 0;
		}
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			break;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "bench_export: custodyd (%s) did not start\n",
	    s->name);
	log_dump(s->log);
	return -1;
}

/* SIGTERM, then SIGKILL after STOP_WAIT_MS; 0 if it stopped cleanly. */
static int
daemon_stop(struct srv *s)
{
	int i, st = -1;
	pid_t w = 0;

	if (s->pid <= 0)
		return 0;
	(void)kill(s->pid, SIGTERM);
	for (i = 0; i < STOP_WAIT_MS / 10 &&
	    (w = waitpid(s->pid, &st, WNOHANG)) == 0; i++)
		sleep_ms(10);
	if (w == 0) {
		fprintf(stderr, "bench_export: custodyd (%s) ignored SIGTERM\n",
		    s->name);
		(void)kill(s->pid, SIGKILL);
		(void)waitpid(s->pid, &st, 0);
		st = -1;
	}
	s->pid = 0;
	return w == -1 || st != 0 ? -1 : 0;
}

/* Sends msg with descriptor pass_fd (unless -1) on fd. */
static int
send_fd(int fd, const char *msg, size_t len, int pass_fd)
{
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pass_fd != -1) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/*
 * One request on a fresh connection: msg (and pass_fd) out, the reply
 * NUL-terminated in reply.  *secs, if not NULL, is send to reply.
 */
static int
rpc(const struct srv *s, const char *msg, int pass_fd, char *reply,
    double *secs)
{
	double t0;
	ssize_t n;
	int fd;

	if ((fd = sock_connect(s->sock)) < 0)
		return -1;
	t0 = now_s();
	if (send_fd(fd, msg, strlen(msg), pass_fd) != 0) {
		(void)close(fd);
		return -1;
	}
	while ((n = recv(fd, reply, REPLY_MAX - 1, 0)) == -1 &&
	    errno == EINTR)
		;
	if (secs != NULL)
		*secs = now_s() - t0;
	(void)close(fd);
	if (n <= 0)
		return -1;
	reply[n] = '\0';
	return 0;
}

/*
 * Sends {"v":1,"op":op,"session":token,"args":args} (args is taken; token
 * may be NULL) and returns the result object of a successful reply
 * (caller decrefs), or NULL after saying why.
 */
static json_t *
call(const struct srv *s, const char *token, const char *op, json_t *args,
    int pass_fd, char *reply, double *secs)
{
	json_t *req, *rep = NULL, *res = NULL;
	char *text = NULL;

	req = json_pack("{s:i, s:s, s:o}", "v", 1, "op", op, "args", args);
	if (req != NULL && token != NULL)
		(void)json_object_set_new(req, "session", json_string(token));
	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL ||
	    rpc(s, text, pass_fd, reply, secs) != 0 ||
	    (rep = json_loads(reply, 0, NULL)) == NULL)
		fprintf(stderr, "bench_export: %s (%s): no answer\n", op,
		    s->name);
	else if (!json_is_true(json_object_get(rep, "ok")))
		fprintf(stderr, "bench_export: %s (%s): %s\n", op, s->name,
		    reply);
	else
		res = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	json_decref(req);
	free(text);
	return res;
}

/* Like call, for a result that is not needed; 0 or -1. */
static int
call_ok(const struct srv *s, const char *token, const char *op,
    json_t *args, char *reply)
{
	json_t *res = call(s, token, op, args, -1, reply, NULL);

	json_decref(res);
	return res != NULL ? 0 : -1;
}

/* A string of a result into out; 0 or -1 (res is released). */
static int
result_str(json_t *res, const char *name, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(res, name));
	int r = -1;

	if (v != NULL && strlen(v) < len) {
		memcpy(out, v, strlen(v) + 1);
		r = 0;
	}
	json_decref(res);
	return r;
}

static int
login(const struct srv *s, const char *user, const char *pw, char token[65],
    char *reply)
{
	json_t *res = call(s, NULL, "auth.login", json_pack("{s:s, s:s}",
	    "user", user, "password", pw), -1, reply, NULL);

	if (result_str(res, "session", token, 65) != 0 || strlen(token) != 64)
		return -1;
	return 0;
}

/* The moves and reseals of the case's two phones: CASE_MOVES events. */
static int
case_moves(const struct srv *s, const char *dev[2], char *reply)
{
	char seal[2][32] = { "CB-004201", "CB-004202" }, next[32];
	int j, d, r = 0;

	for (j = 0; j < CASE_MOVES && r == 0; j++) {
		d = j % 2;
		if (j % 3 == 1) {
			(void)snprintf(next, sizeof(next), "CB-%06d",
			    4300 + j);
			r = call_ok(s, s->token, "device.seal", json_pack(
			    "{s:s, s:s, s:s, s:s}", "device", dev[d],
			    "old_seal", seal[d], "new_seal", next, "why",
			    "resealed after the DSL checked it was off"),
			    reply);
			memcpy(seal[d], next, sizeof(next));
		} else
			r = call_ok(s, s->token, "device.move", json_pack(
			    "{s:s, s:s, s:s}", "device", dev[d], "location",
			    j % 4 == 0 ? "DSL office safe, shelf 1" :
			    "DSL office safe, shelf 2", "why", "kept with the "
			    "case's other phone"), reply);
	}
	return r;
}

/* A DSL's call whose result string name is copied into out; 0 or -1. */
static int
call_str(const struct srv *s, const char *op, json_t *args, const char *name,
    char *out, size_t len, char *reply)
{
	return result_str(call(s, s->token, op, args, -1, reply, NULL), name,
	    out, len);
}

/* The admin adds the DSL, who logs in. */
static int
case_people(struct srv *s, char *reply)
{
	char admin[65];
	int r = -1;

	if (login(s, ADMIN_USER, ADMIN_PW, admin, reply) == 0 &&
	    call_ok(s, admin, "user.add", json_pack("{s:s, s:s, s:s, s:s}",
	    "user", DSL_USER, "role", "dsl", "new_password", DSL_PW,
	    "password", ADMIN_PW), reply) == 0)
		r = login(s, DSL_USER, DSL_PW, s->token, reply);
	explicit_bzero(admin, sizeof(admin));
	return r;
}

/* Two phones, a case opened with both and referred to police. */
static int
case_open(struct srv *s, char dev[2][32], char *reply)
{
	if (call_str(s, "device.register", json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:s, s:s}", "pupil", "P-2026-0042", "reason",
	    "suspected_nudes", "location", "DSL office safe, shelf 1", "seal",
	    "CB-004201", "power", "off", "make", "Apple", "model", "iPhone 13",
	    "imei", "490154203237518"), "device", dev[0], 32, reply) != 0 ||
	    call_str(s, "device.register", json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s}", "pupil", "P-2026-0043", "reason", "suspected_nudes",
	    "location", "DSL office safe, shelf 1", "seal", "CB-004202",
	    "power", "off"), "device", dev[1], 32, reply) != 0 ||
	    call_str(s, "case.open", json_pack("{s:s, s:s, s:[s, s], "
	    "s:[s, s]}", "category", "nudes", "summary", "an image of a "
	    "pupil shared in a group chat", "devices", dev[0], dev[1],
	    "pupils", "P-2026-0042", "P-2026-0043"), "case", s->case_id,
	    sizeof(s->case_id), reply) != 0)
		return -1;
	return call_ok(s, s->token, "case.refer", json_pack("{s:s, s:s, s:s, "
	    "s:s, s:s}", "case", s->case_id, "force", "Kent Police",
	    "crime_ref", CRIME_REF, "officer", "PC 4242 Smith", "password",
	    DSL_PW), reply);
}

/* The 100 MiB item police asked for, passed as a descriptor. */
static int
case_item(const struct bench *b, const struct srv *s, char *reply)
{
	json_t *res;
	int fd;

	if ((fd = open(b->item, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	res = call(s, s->token, "item.add", json_pack("{s:s, s:s, s:s}",
	    "case", s->case_id, "police_request", CRIME_REF "-1", "name",
	    "group-chat-video.mp4"), fd, reply, NULL);
	(void)close(fd);
	json_decref(res);
	return res != NULL ? 0 : -1;
}

/*
 * The case, through the daemon: CASE_PART events in all, CASE_EVENTS of
 * them the case's own.
 */
static int
case_make(const struct bench *b, struct srv *s, char *reply)
{
	char dev[2][32];
	const char *devs[2] = { dev[0], dev[1] };

	if (case_people(s, reply) != 0 || case_open(s, dev, reply) != 0 ||
	    case_item(b, s, reply) != 0 || case_moves(s, devs, reply) != 0) {
		fprintf(stderr, "bench_export: making the case on %s failed\n",
		    s->name);
		return -1;
	}
	return 0;
}

/* The log's size, from station.status. */
static int
log_size(const struct srv *s, uint64_t *size, char *reply)
{
	json_t *res = call(s, s->token, "station.status", json_object(), -1,
	    reply, NULL);
	json_t *v = json_object_get(res, "log_size");

	*size = json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
	json_decref(res);
	return *size > 0 ? 0 : -1;
}

/*
 * One export of the case into a new file at out, timed from send to
 * reply.  The file is kept (the caller removes it).
 */
static int
export_once(struct bench *b, struct srv *s, const char *out, int first)
{
	json_t *res;
	struct stat sb;
	double secs, c0, c1;
	int fd, events, ok;

	if ((fd = open(out, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "bench_export: %s: %s\n", out, strerror(errno));
		return -1;
	}
	c0 = proc_cpu_s(s->pid);
	res = call(s, s->token, "case.export", json_pack("{s:s, s:s, s:s}",
	    "case", s->case_id, "export_password", EXPORT_PW, "password",
	    DSL_PW), fd, b->reply, &secs);
	c1 = proc_cpu_s(s->pid);
	events = (int)json_integer_value(json_object_get(res, "events"));
	ok = res != NULL;
	if (ok && first && s == &b->s[0])	/* the stock tools' bag */
		ok = result_str(json_incref(res), "bag", b->bag,
		    sizeof(b->bag)) == 0;
	json_decref(res);
	if (!ok || fstat(fd, &sb) == -1 ||
	    sb.st_size < (off_t)ITEM_MIB * (off_t)CHUNK) {
		(void)close(fd);
		fprintf(stderr, "bench_export: the export (%s) failed or is "
		    "too small\n", s->name);
		return -1;
	}
	(void)close(fd);
	fprintf(stderr, "bench_export: export %s: %.3f s (daemon on CPU "
	    "%.3f s), %d events, %.1f MiB\n", s->name, secs, c1 - c0, events,
	    (double)sb.st_size / MIB);
	if (first) {
		s->events = events;
		s->bytes = (double)sb.st_size;
		if (events != CASE_EVENTS)
			fprintf(stderr, "bench_export: warning: the case on %s "
			    "has %d events, not %d: update case_make\n",
			    s->name, events, CASE_EVENTS);
	}
	if (s->best == 0 || secs < s->best)
		s->best = secs;
	if (c0 >= 0 && c1 >= 0 && (s->cpu == 0 || c1 - c0 < s->cpu))
		s->cpu = c1 - c0;
	return 0;
}

/* Reads one DER length at *p (short or long form, or indefinite: 0). */
static int
der_len(const uint8_t **p, const uint8_t *end, size_t *len)
{
	size_t n;

	if (*p >= end)
		return -1;
	if (**p < 0x80) {
		*len = *(*p)++;
		return 0;
	}
	n = *(*p)++ & 0x7fu;
	for (*len = 0; n > 0; n--) {
		if (*p >= end || *len > SIZE_MAX >> 8)
			return -1;
		*len = *len << 8 | *(*p)++;
	}
	return 0;
}

/*
 * The PBKDF2 iteration count of the first password recipient of a CMS
 * bundle: the INTEGER after the salt in the parameters that follow the
 * PBKDF2 OID (RFC 3211, RFC 8018 A.2), read from the file's head.
 */
static int
pwri_iter(const char *p7m, long *iter)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	    0xf7, 0x0d, 0x01, 0x05, 0x0c };
	uint8_t head[2048];
	const uint8_t *p = NULL, *end;
	size_t i, len;
	ssize_t n;
	int fd;

	*iter = 0;
	if ((fd = open(p7m, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, head, sizeof(head));
	(void)close(fd);
	end = head + (n > 0 ? n : 0);
	for (i = 0; n > 0 && i + sizeof(oid) <= (size_t)n && p == NULL; i++)
		if (memcmp(head + i, oid, sizeof(oid)) == 0)
			p = head + i + sizeof(oid);
	if (p == NULL || p >= end || *p++ != 0x30 ||
	    der_len(&p, end, &len) != 0 ||		/* the parameters */
	    p >= end || *p++ != 0x04 || der_len(&p, end, &len) != 0 ||
	    len > (size_t)(end - p) || (p += len) >= end ||	/* the salt */
	    *p++ != 0x02 || der_len(&p, end, &len) != 0 || len == 0 ||
	    len > sizeof(long) - 1 || len > (size_t)(end - p)) {
		fprintf(stderr, "bench_export: %s: no PBKDF2 parameters\n",
		    p7m);
		return -1;
	}
	while (len-- > 0)
		*iter = *iter << 8 | *p++;
	return 0;
}

/*
 * The stock tools' starting point: the payload of our first bundle,
 * decrypted and untarred with openssl and tar into the stock directory,
 * checked there with the stock recipe of bag.h, and a P-256 key and
 * certificate to sign with.
 */
static int
stock_prepare(const struct bench *b, const char *bundle)
{
	static const char unpack[] = "set -e; cd \"$1\"; "
	    "openssl cms -decrypt -binary -inform DER -in \"$2\" "
	    "-pwri_password \"$3\" -out B.tar; tar xf B.tar; rm -f B.tar; "
	    "cd \"$4\"; openssl cms -verify -binary -inform DER "
	    "-in tagmanifest-sha256.txt.p7s -content tagmanifest-sha256.txt "
	    "-CAfile station.pem -purpose any -out /dev/null; "
	    "sha256sum --quiet -c tagmanifest-sha256.txt; "
	    "sha256sum --quiet -c manifest-sha256.txt";
	static const char keygen[] = "set -e; cd \"$1\"; "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout stock.key -out stock.pem -subj "
	    "/CN=bench.example-stock -days 2 -sha256";

	if (mkdir(b->stock, 0700) == -1 || sh_run(b, unpack, NULL, NULL,
	    b->stock, bundle, EXPORT_PW, b->bag) != 0 ||
	    sh_run(b, keygen, NULL, NULL, b->stock, NULL, NULL, NULL) != 0)
		return -1;
	return 0;
}

/* Removes the stock pipeline's outputs (before and after each round). */
static void
stock_clean(const struct bench *b)
{
	static const char *const names[] = { "manifest-sha256.txt",
	    "manifest-sha512.txt", "tagmanifest-sha256.txt",
	    "tagmanifest-sha512.txt", "tagmanifest-sha256.txt.p7s" };
	char dir[PATHLEN], p[PATHLEN];
	size_t i;

	if (path_join(dir, b->stock, b->bag) != 0)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_join(p, dir, names[i]) == 0)
			(void)unlink(p);
	if (path_join(p, b->stock, "B.tar") == 0)
		(void)unlink(p);
	if (path_join(p, b->stock, "B.tar.p7m") == 0)
		(void)unlink(p);
}

/*
 * The stock pipeline, timed: the same work as our export on the same
 * files.  openssl cms -encrypt has no option for the PWRI iteration count.
 */
static int
stock_once(struct bench *b, int first)
{
	static const char pipeline[] = "set -e; cd \"$1/$2\"; "
	    "find data -type f | LC_ALL=C sort > ../files; "
	    "xargs sha256sum < ../files > manifest-sha256.txt; "
	    "xargs sha512sum < ../files > manifest-sha512.txt; "
	    "sha256sum bagit.txt bag-info.txt manifest-sha256.txt "
	    "manifest-sha512.txt station.pem > tagmanifest-sha256.txt; "
	    "sha512sum bagit.txt bag-info.txt manifest-sha256.txt "
	    "manifest-sha512.txt station.pem > tagmanifest-sha512.txt; "
	    "openssl cms -sign -binary -in tagmanifest-sha256.txt "
	    "-signer ../stock.pem -inkey ../stock.key -md sha256 "
	    "-outform DER -out tagmanifest-sha256.txt.p7s; "
	    "cd ..; tar --sort=name --owner=0 --group=0 --numeric-owner "
	    "-cf B.tar \"$2\"; "
	    "openssl cms -encrypt -binary -in B.tar -outform DER "
	    "-out B.tar.p7m -aes-256-cbc -pwri_password \"$3\"";
	char p7m[PATHLEN];
	struct stat sb;
	double secs;

	stock_clean(b);
	if (sh_run(b, pipeline, NULL, &secs, b->stock, b->bag, EXPORT_PW,
	    NULL) != 0 || path_join(p7m, b->stock, "B.tar.p7m") != 0 ||
	    stat(p7m, &sb) == -1 || sb.st_size < (off_t)ITEM_MIB *
	    (off_t)CHUNK)
		return -1;
	if (first && pwri_iter(p7m, &b->stock_iter) != 0)
		return -1;
	stock_clean(b);	/* before writeback starts */
	fprintf(stderr, "bench_export: stock tools: %.3f s, %.1f MiB\n", secs,
	    (double)sb.st_size / MIB);
	if (b->stock_best == 0 || secs < b->stock_best)
		b->stock_best = secs;
	return 0;
}

/* The rounds: both exports and the stock pipeline, order alternating. */
static int
bench_rounds(struct bench *b)
{
	char out[PATHLEN], keep[PATHLEN];
	int round, i, k, r = 0;

	if (path_join(out, b->work, "out.tar.p7m") != 0 ||
	    path_join(keep, b->work, "first-1k.tar.p7m") != 0)
		return -1;
	for (round = 0; round < BENCH_ROUNDS && r == 0; round++) {
		for (k = 0; k < 2 && r == 0; k++) {
			i = round % 2 == 0 ? k : 1 - k;
			if (round == 0 && i == 0) {
				if ((r = export_once(b, &b->s[0], keep,
				    1)) == 0)
					r = stock_prepare(b, keep);
				if (r == 0 && pwri_iter(keep,
				    &b->our_iter) != 0)
					r = -1;
				(void)unlink(keep);
			} else {
				r = export_once(b, &b->s[i], out, round == 0);
				(void)unlink(out);
			}
		}
		if (r == 0)
			r = stock_once(b, round == 0);
	}
	return r;
}

/* Best time of PBKDF2-HMAC-SHA1 at our PWRI iteration count. */
static int
kdf_time(double *best)
{
	static const unsigned char salt[8] = "benchslt";
	unsigned char key[32];
	double t0, t;
	int i;

	*best = 0;
	for (i = 0; i < BENCH_ROUNDS; i++) {
		t0 = now_s();
		if (PKCS5_PBKDF2_HMAC_SHA1(EXPORT_PW, (int)strlen(EXPORT_PW),
		    salt, (int)sizeof(salt), BAG_PWRI_ITER, (int)sizeof(key),
		    key) != 1)
			return -1;
		t = now_s() - t0;
		if (*best == 0 || t < *best)
			*best = t;
	}
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* Flushes everything under dir to disk, so no writeback meets a round. */
static void
dir_sync(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)syncfs(fd);
	(void)close(fd);
}

/* The item, both stations, their daemons and the case on each. */
static int
bench_setup(struct bench *b)
{
	int i;

	tree_remove(b->work);	/* left by a killed run */
	if (mkdir(b->work, 0700) == -1) {
		fprintf(stderr, "bench_export: %s: %s\n", b->work,
		    strerror(errno));
		return -1;
	}
	if (item_make(b->item) != 0) {
		fprintf(stderr, "bench_export: %s: %s\n", b->item,
		    strerror(errno));
		return -1;
	}
	if (stations_make(b) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (daemon_start(b, &b->s[i]) != 0 ||
		    case_make(b, &b->s[i], b->reply) != 0 ||
		    log_size(&b->s[i], &b->s[i].log_size, b->reply) != 0)
			return -1;
		if (b->s[i].log_size != b->s[i].size)
			fprintf(stderr, "bench_export: warning: the %s "
			    "station holds %llu events, not %llu: update "
			    "CASE_PART\n", b->s[i].name, (unsigned long long)
			    b->s[i].log_size, (unsigned long long)b->s[i].size);
	}
	dir_sync(b->work);
	return 0;
}

static void
bench_print(const struct bench *b, double kdf)
{
	const struct srv *k = &b->s[0], *m = &b->s[1];

	fprintf(stderr, "bench_export: best exports: 1k %.3f s, 1m %.3f s; "
	    "stock tools %.3f s; PBKDF2 at %d iterations %.3f s\n", k->best,
	    m->best, b->stock_best, BAG_PWRI_ITER, kdf);
	printf("export_seconds_1k %.3f\n", k->best);
	printf("export_seconds_1m %.3f\n", m->best);
	printf("export_ratio_1m_vs_1k %.3f\n", m->best / k->best);
	printf("export_stock_seconds %.3f\n", b->stock_best);
	printf("export_vs_stock_tools %.3f\n", k->best / b->stock_best);
	printf("export_vs_stock_tools_same_kdf %.3f\n", k->best /
	    (b->stock_best + kdf));
	printf("export_stock_pwri_iter %ld\n", b->stock_iter);
	printf("export_pwri_iter %ld\n", b->our_iter);
	printf("export_pwri_kdf_seconds %.3f\n", kdf);
	if (k->cpu > 0 && m->cpu > 0) {
		printf("export_cpu_seconds_1k %.3f\n", k->cpu);
		printf("export_cpu_seconds_1m %.3f\n", m->cpu);
	}
	printf("export_bundle_mib %.1f\n", k->bytes / MIB);
	printf("export_case_events %d\n", k->events);
	printf("export_log_events_1k %llu\n", (unsigned long long)k->log_size);
	printf("export_log_events_1m %llu\n", (unsigned long long)m->log_size);
	printf("export_1m_build_seconds %.2f\n", b->build_s);
	printf("export_1m_reused %d\n", b->build_s > 0 ? 0 : 1);
}

static void
bench_teardown(struct bench *b, int failed)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (daemon_stop(&b->s[i]) != 0 && !failed) {
			fprintf(stderr, "bench_export: custodyd (%s) did not "
			    "stop cleanly\n", b->s[i].name);
			failed = 1;
		}
		if (failed)
			log_dump(b->s[i].log);
		explicit_bzero(b->s[i].token, sizeof(b->s[i].token));
	}
	if (getenv("CUSTODY_KEEP") == NULL)
		tree_remove(b->work);
}

int
main(int argc, char **argv)
{
	struct bench *b;
	double kdf = 0;
	int r = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_export TMPDIR CUSTODY_BIN\n");
		return 2;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->reply = malloc(REPLY_MAX)) == NULL) {
		free(b);
		return 1;
	}
	if (bench_paths(b, argv[1], argv[2]) != 0) {
		free(b->reply);
		free(b);
		return 1;
	}
	if (bench_setup(b) == 0 && bench_rounds(b) == 0 &&
	    kdf_time(&kdf) == 0) {
		bench_print(b, kdf);
		r = fflush(stdout) == 0 ? 0 : 1;
	}
	bench_teardown(b, r != 0);
	free(b->reply);
	free(b);
	return r;
}
