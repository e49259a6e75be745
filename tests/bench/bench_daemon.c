/*
 * bench_daemon.c -- custodyd under load and at rest.
 *
 *	bench_daemon TMPDIR CUSTODY_BIN
 *
 * The daemon is $CUSTODYD_BIN, or custodyd beside CUSTODY_BIN.  As the
 * integration harness does (tests/integration/harness.h), a station is
 * made in TMPDIR/daemon with `custodyd --init` and a cheap scrypt cost
 * (kdf_log2n = 10), and the real daemon is started on it; requests are
 * raw SOCK_SEQPACKET messages, so the CLI is not in any figure.  An admin
 * adds one slt account; every client logs in as that user on its own
 * connection and keeps the connection for all its requests.
 *
 * 1. At rest, fresh: VmRSS of the daemon once it answers a connection,
 *    before any request.
 *
 * 2. One client.  In each of BENCH_ROUNDS rounds, REG_COUNT device.register
 *    requests, each timed from send to reply (a durable commit with a
 *    signed checkpoint and a receipt), and as many bare durable appends of
 *    a comparable event through the library (custody_log_begin, _append,
 *    _commit on a second station in TMPDIR/daemon/bare), taking turns every
 *    REG_CHUNK so that both meet the same moments of a shared machine.
 *    REG_WARM of each first, untimed.  Latency percentiles and the overhead
 *    (daemon p50 / bare p50) are the median of the rounds; requests per
 *    second, the best round's (the daemon's chunks only).  Also the mean
 *    time on a CPU, user and kernel, of one request in the daemon
 *    (/proc/PID/schedstat) and of one bare append (this thread's CPU
 *    clock): the two differ in work, not in waiting for the disk.
 *
 * 3. NCLIENTS clients: forked processes that each connect and log in,
 *    wait for a common start, then send PER_CLIENT requests in a loop,
 *    timing each.  Percentiles over the merged latencies of a round,
 *    median of the rounds; requests per second over the span from the
 *    first client's start to the last one's end, best round.
 *
 * 4. At rest, after the load: every connection closed, IDLE_SETTLE_MS,
 *    then IDLE_SECONDS with nothing connected: the daemon's context
 *    switches (voluntary + involuntary, /proc/PID/status) and CPU ticks
 *    (utime + stime, /proc/PID/stat) over that span -- both should be 0,
 *    since it polls with no timeout -- and VmRSS at the end, with its
 *    private part (RssAnon): the rest is mostly shared library text.
 *
 * The daemon is stopped (SIGTERM, then SIGKILL) and TMPDIR/daemon removed
 * on every path out; it also gets SIGTERM if this program dies first
 * (PR_SET_PDEATHSIG), and a directory left by a killed run is removed at
 * the next start.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "evidence/log.h"
#include "evidence/station.h"

#define BENCH_ROUNDS	3
#define REG_WARM	100
#define REG_COUNT	2000	/* one client, per round */
#define REG_CHUNK	200	/* daemon and bare appends take turns */
#define NCLIENTS	8
#define PER_CLIENT	250	/* per client, per round */
#define FRESH_SETTLE_MS	500
#define IDLE_SETTLE_MS	1000
#define IDLE_SECONDS	3
#define START_WAIT_MS	5000
#define STOP_WAIT_MS	5000
#define PATHLEN		4096
#define REPLY_MAX	(196608 + 1)	/* DAEMON_MAX_REPLY and a NUL */

#define ADMIN_USER	"tech"
#define ADMIN_PW	"violet kettle harbour nine"
#define SLT_USER	"sue.slt"
#define SLT_PW		"amber falcon river 42"

_Static_assert(REG_COUNT % REG_CHUNK == 0, "whole chunks");
_Static_assert(BENCH_ROUNDS == 3, "median3 takes the median of the rounds");

struct bench {
	char		 dir[PATHLEN];		/* TMPDIR/daemon, all ours */
	char		 state[PATHLEN];
	char		 sock[PATHLEN];
	char		 conf[PATHLEN];
	char		 log[PATHLEN];		/* the daemon's stderr */
	char		 pw[PATHLEN];
	char		 bare[PATHLEN];		/* the library's station */
	char		 custodyd[PATHLEN];
	pid_t		 pid;			/* the daemon, or 0 */
	struct station	*bare_st;
	json_t		*actor;			/* of the bare appends */
	char		 token[65];		/* the one client's session */
	int		 fd;			/* the one client's socket */
	char		*reply;
};

/* One round of the single client against the bare appends. */
struct single {
	double	p50, p99, per_s;	/* daemon round trips */
	double	bare50, bare99;		/* bare appends */
	double	ratio, ratio_mean;	/* daemon / bare: p50s and means */
	double	cpu_us, bare_cpu_us;	/* on-CPU time of one, mean */
};

/* Shared with the forked clients of one round. */
struct shared {
	double	start[NCLIENTS], end[NCLIENTS];
	int	ok[NCLIENTS];
	double	lat[NCLIENTS * PER_CLIENT];	/* ms */
};

struct idle {
	long	wakeups, ticks, rss_kib, anon_kib, hwm_kib;
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU time in seconds. */
static double
cpu_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

/*
 * Fills in every path.  The socket path must fit sun_path, so TMPDIR is
 * made absolute first (the daemon is told absolute paths only).
 */
static int
bench_paths(struct bench *b, const char *tmp, const char *custody)
{
	struct sockaddr_un sa;
	const char *env = getenv("CUSTODYD_BIN");
	char real[PATH_MAX], *slash;

	if (realpath(tmp, real) == NULL) {
		fprintf(stderr, "bench_daemon: %s: %s\n", tmp, strerror(errno));
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
		fprintf(stderr, "bench_daemon: no daemon at %s (set "
		    "CUSTODYD_BIN)\n", b->custodyd);
		return -1;
	}
	if (path_join(b->dir, real, "daemon") != 0 ||
	    path_join(b->state, b->dir, "state") != 0 ||
	    path_join(b->sock, b->dir, "sock") != 0 ||
	    path_join(b->conf, b->dir, "custody.conf") != 0 ||
	    path_join(b->log, b->dir, "custodyd.log") != 0 ||
	    path_join(b->pw, b->dir, "pw") != 0 ||
	    path_join(b->bare, b->dir, "bare") != 0 ||
	    strlen(b->sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "bench_daemon: %s: path too long for a "
		    "socket\n", real);
		return -1;
	}
	return 0;
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

/* The end of the daemon's log, for a failure report. */
static void
log_dump(const struct bench *b)
{
	char buf[2048];
	size_t n;
	FILE *fp;

	if ((fp = fopen(b->log, "re")) == NULL)
		return;
	if (fseek(fp, 0, SEEK_END) == 0 && ftell(fp) > (long)sizeof(buf) - 1)
		(void)fseek(fp, -(long)sizeof(buf) + 1, SEEK_END);
	else
		rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	(void)fclose(fp);
	fprintf(stderr, "bench_daemon: the end of %s:\n%s", b->log, buf);
}

/*
 * Forks and runs argv with stdout and stderr appended to the daemon's
 * log.  The child gets SIGTERM should this process die.  Returns the pid,
 * or -1.
 */
static pid_t
spawn(const struct bench *b, char *const argv[])
{
	pid_t parent = getpid(), pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	if ((fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

/* custodyd --init: the station, its key and the admin account. */
static int
station_make(struct bench *b)
{
	char *argv[] = { b->custodyd, "--init", "--config", b->conf,
	    "--state", b->state, "--id", "bench.example/daemon", "--admin",
	    ADMIN_USER, "--password-file", b->pw, NULL };
	pid_t pid;
	int st = -1;

	if (file_put(b->conf, "kdf_log2n = 10\n") != 0 ||
	    file_put(b->pw, ADMIN_PW "\n") != 0) {
		fprintf(stderr, "bench_daemon: %s: %s\n", b->dir,
		    strerror(errno));
		return -1;
	}
	if ((pid = spawn(b, argv)) == -1 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_daemon: custodyd --init failed\n");
		return -1;
	}
	(void)unlink(b->pw);
	return 0;
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
daemon_start(struct bench *b)
{
	char *argv[] = { b->custodyd, "--config", b->conf, "--state",
	    b->state, "--socket", b->sock, "--foreground", NULL };
	int i, fd, st;

	if ((b->pid = spawn(b, argv)) == -1) {
		b->pid = 0;
		return -1;
	}
	for (i = 0; i < START_WAIT_MS / 10; i++) {
		if ((fd = sock_connect(b->sock)) >= 0) {
			(void)close(fd);
			return 0;
		}
		if (waitpid(b->pid, &st, WNOHANG) == b->pid) {
			b->pid = 0;
			break;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "bench_daemon: custodyd did not start\n");
	return -1;
}

/* SIGTERM, then SIGKILL after STOP_WAIT_MS; 0 if it stopped cleanly. */
static int
daemon_stop(struct bench *b)
{
	int i, st = -1;
	pid_t w = 0;

	if (b->pid <= 0)
		return 0;
	(void)kill(b->pid, SIGTERM);
	for (i = 0; i < STOP_WAIT_MS / 10 &&
	    (w = waitpid(b->pid, &st, WNOHANG)) == 0; i++)
		sleep_ms(10);
	if (w == 0) {
		fprintf(stderr, "bench_daemon: custodyd ignored SIGTERM\n");
		(void)kill(b->pid, SIGKILL);
		(void)waitpid(b->pid, &st, 0);
		st = -1;
	}
	b->pid = 0;
	return w == -1 || st != 0 ? -1 : 0;
}

/* One message out, one in; the reply is NUL-terminated in reply. */
static int
rpc(int fd, const char *msg, size_t len, char *reply)
{
	ssize_t n;

	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	while ((n = recv(fd, reply, REPLY_MAX - 1, 0)) == -1 &&
	    errno == EINTR)
		;
	if (n <= 0)
		return -1;
	reply[n] = '\0';
	return 0;
}

/*
 * Sends {"v":1,"op":op,"session":token,"args":args} (token may be NULL)
 * and returns the result object of a successful reply (caller decrefs),
 * or NULL after saying why.
 */
static json_t *
call(int fd, const char *token, const char *op, json_t *args, char *reply)
{
	json_t *req, *rep = NULL, *res = NULL;
	char *text = NULL;

	req = json_pack("{s:i, s:s, s:o}", "v", 1, "op", op, "args", args);
	if (req != NULL && token != NULL)
		(void)json_object_set_new(req, "session", json_string(token));
	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL ||
	    rpc(fd, text, strlen(text), reply) != 0 ||
	    (rep = json_loads(reply, 0, NULL)) == NULL)
		fprintf(stderr, "bench_daemon: %s: no answer\n", op);
	else if (!json_is_true(json_object_get(rep, "ok")))
		fprintf(stderr, "bench_daemon: %s: %s\n", op, reply);
	else
		res = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	json_decref(req);
	free(text);
	return res;
}

static int
login(int fd, const char *user, const char *pw, char token[65], char *reply)
{
	json_t *res = call(fd, NULL, "auth.login", json_pack("{s:s, s:s}",
	    "user", user, "password", pw), reply);
	const char *t = json_string_value(json_object_get(res, "session"));
	int r = -1;

	if (t != NULL && strlen(t) == 64) {
		memcpy(token, t, 65);
		r = 0;
	}
	json_decref(res);
	return r;
}

/* The admin adds the slt account; the one client logs in as it. */
static int
users_make(struct bench *b)
{
	char admin[65];
	json_t *res;
	int fd, r = -1;

	if ((fd = sock_connect(b->sock)) < 0)
		return -1;
	if (login(fd, ADMIN_USER, ADMIN_PW, admin, b->reply) == 0 &&
	    (res = call(fd, admin, "user.add", json_pack("{s:s, s:s, s:s, "
	    "s:s}", "user", SLT_USER, "role", "slt", "new_password", SLT_PW,
	    "password", ADMIN_PW), b->reply)) != NULL) {
		json_decref(res);
		r = 0;
	}
	explicit_bzero(admin, sizeof(admin));
	(void)close(fd);
	if (r == 0 && (b->fd = sock_connect(b->sock)) >= 0 &&
	    login(b->fd, SLT_USER, SLT_PW, b->token, b->reply) == 0)
		return 0;
	return -1;
}

/*
 * Registers device number n and times the round trip, send to reply, in
 * milliseconds.  The reply must carry the device and the receipt of its
 * commit; it is checked after the clock stops.
 */
static int
register_once(int fd, const char *token, uint64_t n, char *reply,
    double *ms)
{
	char msg[512];
	json_t *rep, *res;
	double t0;
	int len, ok;

	len = snprintf(msg, sizeof(msg), "{\"v\":1,\"op\":\"device.register\","
	    "\"session\":\"%s\",\"args\":{\"pupil\":\"P-%06llu\",\"reason\":"
	    "\"behaviour\",\"location\":\"safe %llu, shelf %llu\",\"seal\":"
	    "\"SB-%08llu\",\"power\":\"off\"}}", token, (unsigned long long)n,
	    (unsigned long long)(n % 4 + 1), (unsigned long long)(n % 5 + 1),
	    (unsigned long long)n);
	if (len < 0 || (size_t)len >= sizeof(msg))
		return -1;
	t0 = now_s();
	if (rpc(fd, msg, (size_t)len, reply) != 0) {
		fprintf(stderr, "bench_daemon: device.register: no answer\n");
		return -1;
	}
	*ms = (now_s() - t0) * 1e3;
	rep = json_loads(reply, 0, NULL);
	res = json_object_get(rep, "result");
	ok = json_is_true(json_object_get(rep, "ok")) &&
	    json_is_string(json_object_get(res, "device")) &&
	    json_is_string(json_object_get(res, "receipt"));
	json_decref(rep);
	if (!ok)
		fprintf(stderr, "bench_daemon: device.register: %s\n", reply);
	return ok ? 0 : -1;
}

/* The second station, for bare appends through the library. */
static int
bare_open(struct bench *b)
{
	char fpr[SIGN_FPR_HEX], err[512] = "";
	int r;

	if ((r = station_init(b->bare, "bench.example/bare", fpr, err,
	    sizeof(err))) != 0 ||
	    (r = station_open(b->bare, 0, &b->bare_st, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "bench_daemon: %s: %s\n", b->bare, err);
		return -1;
	}
	b->actor = json_pack("{s:s, s:s, s:I}", "user", SLT_USER, "role",
	    "slt", "uid", (json_int_t)getuid());
	return b->actor != NULL ? 0 : -1;
}

/*
 * One bare durable append of an event like the daemon's device.register
 * (subject {device, pupil}; the data the daemon records), in its own
 * transaction with a signed checkpoint; timed in milliseconds, the event
 * objects made before the clock starts.
 */
static int
bare_once(struct bench *b, uint64_t n, double *ms, double *cpu)
{
	struct custody_log *log = station_log(b->bare_st);
	char dev[32], pupil[32], seal[32], where[32], err[512] = "";
	json_t *subject, *data;
	uint64_t seq;
	double t0, c0;
	int r = CUSTODY_ERR_NOMEM;

	(void)snprintf(dev, sizeof(dev), "DEV-%04llu", (unsigned long long)n);
	(void)snprintf(pupil, sizeof(pupil), "P-%06llu", (unsigned long long)n);
	(void)snprintf(seal, sizeof(seal), "SB-%08llu", (unsigned long long)n);
	(void)snprintf(where, sizeof(where), "safe %llu, shelf %llu",
	    (unsigned long long)(n % 4 + 1), (unsigned long long)(n % 5 + 1));
	subject = json_pack("{s:s, s:s}", "device", dev, "pupil", pupil);
	data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "pupil", pupil,
	    "reason", "behaviour", "location", where, "seal", seal, "power",
	    "off", "confiscated_by", SLT_USER, "confiscated_at",
	    "2026-11-22T09:15:00.123Z");
	c0 = cpu_s();
	t0 = now_s();
	if (subject != NULL && data != NULL &&
	    (r = custody_log_begin(log)) == 0) {
		if ((r = custody_log_append(log, "device.register", b->actor,
		    subject, data, &seq)) != 0)
			custody_log_abort(log);
		else
			r = custody_log_commit(log, err, sizeof(err));
	}
	*ms = (now_s() - t0) * 1e3;
	*cpu += cpu_s() - c0;
	json_decref(subject);
	json_decref(data);
	if (r != 0)
		fprintf(stderr, "bench_daemon: bare append: %s %s\n",
		    custody_strerror(r), err);
	return r == 0 ? 0 : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile q (0..1] of v[0..n-1], sorted. */
static double
pct(const double *v, size_t n, double q)
{
	double want = q * (double)n;
	size_t k = (size_t)want;

	if ((double)k < want)	/* the ceiling, without libm */
		k++;
	return v[k > 0 ? k - 1 : 0];
}

static double
mean(const double *v, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

static double
median3(double a, double b, double c)
{
	if ((a <= b && b <= c) || (c <= b && b <= a))
		return b;
	if ((b <= a && a <= c) || (c <= a && a <= b))
		return a;
	return c;
}

/* REG_WARM of each, untimed, before the first round. */
static int
single_warm(struct bench *b, uint64_t *serial)
{
	double ms, cpu = 0;
	int i;

	for (i = 0; i < REG_WARM; i++, (*serial)++)
		if (register_once(b->fd, b->token, *serial, b->reply,
		    &ms) != 0 || bare_once(b, *serial, &ms, &cpu) != 0)
			return -1;
	return 0;
}

/*
 * One round of the single client: REG_COUNT registers and REG_COUNT bare
 * appends, REG_CHUNK at a time in turn.  dl and al hold REG_COUNT each.
 */
static int
single_round(struct bench *b, uint64_t *serial, double *dl, double *al,
    struct single *s)
{
	double t0, dsum = 0, bare_cpu = 0, c0 = proc_cpu_s(b->pid);
	size_t i, k;

	for (i = 0; i < REG_COUNT; i += REG_CHUNK) {
		t0 = now_s();
		for (k = i; k < i + REG_CHUNK; k++)
			if (register_once(b->fd, b->token, *serial + k,
			    b->reply, &dl[k]) != 0)
				return -1;
		dsum += now_s() - t0;
		for (k = i; k < i + REG_CHUNK; k++)
			if (bare_once(b, *serial + k, &al[k], &bare_cpu) != 0)
				return -1;
	}
	s->cpu_us = c0 < 0 ? -1 : (proc_cpu_s(b->pid) - c0) * 1e6 / REG_COUNT;
	s->bare_cpu_us = bare_cpu * 1e6 / REG_COUNT;
	*serial += REG_COUNT;
	s->per_s = REG_COUNT / dsum;
	s->ratio_mean = mean(dl, REG_COUNT) / mean(al, REG_COUNT);
	qsort(dl, REG_COUNT, sizeof(*dl), cmp_double);
	qsort(al, REG_COUNT, sizeof(*al), cmp_double);
	s->p50 = pct(dl, REG_COUNT, 0.50);
	s->p99 = pct(dl, REG_COUNT, 0.99);
	s->bare50 = pct(al, REG_COUNT, 0.50);
	s->bare99 = pct(al, REG_COUNT, 0.99);
	s->ratio = s->p50 / s->bare50;
	return 0;
}

static int
bench_single(struct bench *b, uint64_t *serial)
{
	struct single s[BENCH_ROUNDS];
	double *dl = calloc(REG_COUNT, sizeof(*dl));
	double *al = calloc(REG_COUNT, sizeof(*al));
	double best = 0;
	int i, r = -1;

	if (dl == NULL || al == NULL || single_warm(b, serial) != 0)
		goto out;
	for (i = 0; i < BENCH_ROUNDS; i++) {
		if (single_round(b, serial, dl, al, &s[i]) != 0)
			goto out;
		fprintf(stderr, "bench_daemon: 1 client, round %d: register "
		    "p50 %.3f ms, p99 %.3f ms, %.0f/s; bare append p50 %.3f "
		    "ms, p99 %.3f ms; ratio %.2f (means %.2f); on-CPU %.0f us "
		    "(bare %.0f us)\n", i + 1, s[i].p50, s[i].p99, s[i].per_s,
		    s[i].bare50, s[i].bare99, s[i].ratio, s[i].ratio_mean,
		    s[i].cpu_us, s[i].bare_cpu_us);
		if (s[i].per_s > best)
			best = s[i].per_s;
	}
	printf("daemon_register_p50_ms %.3f\n", median3(s[0].p50, s[1].p50,
	    s[2].p50));
	printf("daemon_register_p99_ms %.3f\n", median3(s[0].p99, s[1].p99,
	    s[2].p99));
	printf("daemon_requests_per_s %.1f\n", best);
	printf("daemon_bare_append_p50_ms %.3f\n", median3(s[0].bare50,
	    s[1].bare50, s[2].bare50));
	printf("daemon_bare_append_p99_ms %.3f\n", median3(s[0].bare99,
	    s[1].bare99, s[2].bare99));
	printf("daemon_overhead_vs_append %.3f\n", median3(s[0].ratio,
	    s[1].ratio, s[2].ratio));
	printf("daemon_overhead_vs_append_mean %.3f\n", median3(
	    s[0].ratio_mean, s[1].ratio_mean, s[2].ratio_mean));
	if (s[0].cpu_us >= 0)
		printf("daemon_register_cpu_us %.1f\n", median3(s[0].cpu_us,
		    s[1].cpu_us, s[2].cpu_us));
	printf("daemon_bare_append_cpu_us %.1f\n", median3(s[0].bare_cpu_us,
	    s[1].bare_cpu_us, s[2].bare_cpu_us));
	r = 0;
out:
	free(dl);
	free(al);
	return r;
}

/*
 * A forked client: connects, logs in, says it is ready, waits for the
 * start (the end of the go pipe), then registers PER_CLIENT devices from
 * number first, timing each into sh.  Never returns.
 */
static void __attribute__((noreturn))
client_main(const struct bench *b, int c, uint64_t first, int ready, int go,
    struct shared *sh)
{
	char token[65], byte = 1, *reply = malloc(REPLY_MAX);
	int fd, i;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || reply == NULL ||
	    (fd = sock_connect(b->sock)) < 0 ||
	    login(fd, SLT_USER, SLT_PW, token, reply) != 0 ||
	    write(ready, &byte, 1) != 1 || read(go, &byte, 1) != 0)
		_exit(1);
	sh->start[c] = now_s();
	for (i = 0; i < PER_CLIENT; i++)
		if (register_once(fd, token, first + (uint64_t)i, reply,
		    &sh->lat[c * PER_CLIENT + i]) != 0)
			_exit(1);
	sh->end[c] = now_s();
	sh->ok[c] = 1;
	_exit(0);
}

/* Reaps n clients; 0 if every one ran to the end. */
static int
clients_reap(const pid_t *pids, int n, const struct shared *sh)
{
	int c, st, r = 0;

	for (c = 0; c < n; c++) {
		while (waitpid(pids[c], &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !sh->ok[c])
			r = -1;
	}
	return r;
}

static void
fd_close(int *fd)
{
	if (*fd != -1)
		(void)close(*fd);
	*fd = -1;
}

/*
 * One round of NCLIENTS clients; latencies and times left in sh.  The
 * clients start together when the go pipe is closed; on a failure they
 * are killed first.
 */
static int
multi_round(const struct bench *b, uint64_t first, struct shared *sh)
{
	pid_t pids[NCLIENTS];
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, n = 0, c, r = -1;
	char byte;

	memset(sh, 0, sizeof(*sh));
	if (fflush(NULL) != 0 || pipe(ready) == -1 || pipe(go) == -1)
		goto out;
	for (n = 0; n < NCLIENTS; n++) {
		if ((pids[n] = fork()) == -1)
			goto out;
		if (pids[n] == 0) {
			(void)close(ready[0]);
			(void)close(go[1]);
			client_main(b, n, first + (uint64_t)n * PER_CLIENT,
			    ready[1], go[0], sh);
		}
	}
	fd_close(&ready[1]);
	for (c = 0; c < NCLIENTS; c++)
		if (read(ready[0], &byte, 1) != 1) {
			fprintf(stderr, "bench_daemon: a client could not "
			    "connect or log in\n");
			goto out;
		}
	r = 0;
out:
	for (c = 0; c < n && r != 0; c++)
		(void)kill(pids[c], SIGKILL);
	fd_close(&go[1]);	/* the start */
	if (clients_reap(pids, n, sh) != 0 && r == 0) {
		fprintf(stderr, "bench_daemon: a client failed\n");
		r = -1;
	}
	fd_close(&go[0]);
	fd_close(&ready[0]);
	fd_close(&ready[1]);
	return r;
}

static int
bench_multi(const struct bench *b, uint64_t *serial)
{
	struct shared *sh;
	double p50[BENCH_ROUNDS], p99[BENCH_ROUNDS], best = 0, t0, t1, rate;
	const size_t total = NCLIENTS * PER_CLIENT;
	int i, c, r = -1;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	for (i = 0; i < BENCH_ROUNDS; i++) {
		if (multi_round(b, *serial, sh) != 0)
			goto out;
		*serial += total;
		t0 = sh->start[0];
		t1 = sh->end[0];
		for (c = 1; c < NCLIENTS; c++) {
			t0 = sh->start[c] < t0 ? sh->start[c] : t0;
			t1 = sh->end[c] > t1 ? sh->end[c] : t1;
		}
		rate = (double)total / (t1 - t0);
		best = rate > best ? rate : best;
		qsort(sh->lat, total, sizeof(sh->lat[0]), cmp_double);
		p50[i] = pct(sh->lat, total, 0.50);
		p99[i] = pct(sh->lat, total, 0.99);
		fprintf(stderr, "bench_daemon: %d clients, round %d: register "
		    "p50 %.3f ms, p99 %.3f ms, max %.3f ms, %.0f/s\n",
		    NCLIENTS, i + 1, p50[i], p99[i], sh->lat[total - 1], rate);
	}
	printf("daemon_register_p50_ms_%d_clients %.3f\n", NCLIENTS,
	    median3(p50[0], p50[1], p50[2]));
	printf("daemon_register_p99_ms_%d_clients %.3f\n", NCLIENTS,
	    median3(p99[0], p99[1], p99[2]));
	printf("daemon_requests_per_s_%d_clients %.1f\n", NCLIENTS, best);
	r = 0;
out:
	(void)munmap(sh, sizeof(*sh));
	return r;
}

/* A "Key:  N ..." line of /proc/PID/status as a number, or -1. */
static long
proc_status(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	(void)fclose(fp);
	return v;
}

/* Where the resident memory is, on stderr. */
static void
rss_note(pid_t pid, const char *when)
{
	fprintf(stderr, "bench_daemon: custodyd %s: VmRSS %ld KiB (anon %ld, "
	    "file %ld, shmem %ld), VmHWM %ld KiB\n", when,
	    proc_status(pid, "VmRSS"), proc_status(pid, "RssAnon"),
	    proc_status(pid, "RssFile"), proc_status(pid, "RssShmem"),
	    proc_status(pid, "VmHWM"));
}

/* Context switches so far, voluntary and not, or -1. */
static long
proc_switches(pid_t pid)
{
	long v = proc_status(pid, "voluntary_ctxt_switches");
	long n = proc_status(pid, "nonvoluntary_ctxt_switches");

	return v < 0 || n < 0 ? -1 : v + n;
}

/* utime + stime from /proc/PID/stat (fields 14 and 15), or -1. */
static long
proc_ticks(pid_t pid)
{
	char path[64], buf[1024], *p, *end;
	long v[2];
	size_t n;
	int field;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	(void)fclose(fp);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)	/* the name may hold ')' */
		return -1;
	p++;
	for (field = 3; field <= 15; field++) {	/* fields after the name */
		while (*p == ' ')
			p++;
		if (field >= 14) {
			errno = 0;
			v[field - 14] = strtol(p, &end, 10);
			if (errno != 0 || end == p)
				return -1;
		}
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return v[0] + v[1];
}

/*
 * The daemon at rest with nothing connected: switches and CPU ticks over
 * IDLE_SECONDS after IDLE_SETTLE_MS, and its RSS at the end.
 */
static int
idle_measure(const struct bench *b, struct idle *m)
{
	long s0, t0, s1, t1;

	sleep_ms(IDLE_SETTLE_MS);
	s0 = proc_switches(b->pid);
	t0 = proc_ticks(b->pid);
	sleep_ms(IDLE_SECONDS * 1000);
	s1 = proc_switches(b->pid);
	t1 = proc_ticks(b->pid);
	m->rss_kib = proc_status(b->pid, "VmRSS");
	m->anon_kib = proc_status(b->pid, "RssAnon");
	m->hwm_kib = proc_status(b->pid, "VmHWM");
	if (s0 < 0 || t0 < 0 || s1 < 0 || t1 < 0 || m->rss_kib < 0) {
		fprintf(stderr, "bench_daemon: cannot read /proc/%ld\n",
		    (long)b->pid);
		return -1;
	}
	m->wakeups = s1 - s0;
	m->ticks = t1 - t0;
	fprintf(stderr, "bench_daemon: idle %d s: %ld switches, %ld ticks\n",
	    IDLE_SECONDS, m->wakeups, m->ticks);
	rss_note(b->pid, "after the load");
	return 0;
}

/* A fresh TMPDIR/daemon with a station, its daemon, and the bare one. */
static int
bench_setup(struct bench *b, long *fresh_kib)
{
	tree_remove(b->dir);	/* left by a killed run */
	if (mkdir(b->dir, 0700) == -1) {
		fprintf(stderr, "bench_daemon: %s: %s\n", b->dir,
		    strerror(errno));
		return -1;
	}
	if (station_make(b) != 0 || daemon_start(b) != 0)
		return -1;
	sleep_ms(FRESH_SETTLE_MS);
	if ((*fresh_kib = proc_status(b->pid, "VmRSS")) < 0)
		return -1;
	rss_note(b->pid, "fresh");
	return users_make(b) == 0 && bare_open(b) == 0 ? 0 : -1;
}

static void
bench_teardown(struct bench *b, int failed)
{
	if (b->fd >= 0)
		(void)close(b->fd);
	b->fd = -1;
	if (daemon_stop(b) != 0 && !failed) {
		fprintf(stderr, "bench_daemon: custodyd did not stop "
		    "cleanly\n");
		failed = 1;
	}
	if (failed)
		log_dump(b);
	station_close(b->bare_st);
	json_decref(b->actor);
	explicit_bzero(b->token, sizeof(b->token));
	free(b->reply);
	if (getenv("CUSTODY_KEEP") == NULL)
		tree_remove(b->dir);
}

int
main(int argc, char **argv)
{
	struct bench *b;
	struct idle m;
	uint64_t serial = 1;
	long fresh = 0;
	int r = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_daemon TMPDIR CUSTODY_BIN\n");
		return 2;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->reply = malloc(REPLY_MAX)) == NULL) {
		free(b);
		return 1;
	}
	b->fd = -1;
	if (bench_paths(b, argv[1], argv[2]) != 0)
		goto out;
	if (bench_setup(b, &fresh) != 0)
		goto out;
	printf("daemon_idle_rss_kib_fresh %ld\n", fresh);
	if (bench_single(b, &serial) != 0)
		goto out;
	(void)close(b->fd);	/* nothing may stay connected */
	b->fd = -1;
	if (bench_multi(b, &serial) != 0 || idle_measure(b, &m) != 0)
		goto out;
	printf("daemon_idle_wakeups %ld\n", m.wakeups);
	printf("daemon_idle_cpu_ticks %ld\n", m.ticks);
	printf("daemon_idle_rss_kib %ld\n", m.rss_kib);
	printf("daemon_idle_rss_anon_kib %ld\n", m.anon_kib);
	printf("daemon_peak_rss_kib %ld\n", m.hwm_kib);
	r = fflush(stdout) == 0 ? 0 : 1;
out:
	bench_teardown(b, r != 0);
	free(b);
	return r;
}
