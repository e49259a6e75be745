/*
 * bench_load.c -- custodyd under a sustained mixed load (issue 7).
 *
 *	bench_load TMPDIR CUSTODY_BIN
 *
 * The daemon is $CUSTODYD_BIN, or custodyd beside CUSTODY_BIN.  As in
 * bench_daemon, a station is made in TMPDIR/load with `custodyd --init`
 * and a cheap scrypt cost (kdf_log2n = 10), the real daemon is started on
 * it, and requests are raw SOCK_SEQPACKET messages.  The admin adds
 * NCLIENTS accounts, load01..load50, slt and dsl in turn.
 *
 * NCLIENTS forked client processes each log in as their own user on one
 * connection, which they keep for all their requests (persistent; no
 * reconnect unless the transport fails), wait for a common start, and
 * send PER_CLIENT requests in a fixed mix, by i % 10:
 *
 *	0 1 2	device.register (30%)
 *	3	device.move of one of the client's own devices (10%)
 *	4 5 6	device.list (30%; the newest 200, so a large reply)
 *	7 8	device.show of one of the client's own devices (20%)
 *	9	station.status (10%)
 *
 * Each request is timed from send to reply (CLOCK_MONOTONIC) in the
 * client; the latencies, the per-client error counts and start and end
 * times go to a shared anonymous mapping that the parent reads after
 * reaping them.  An error is a reply that is not {"ok":true,...} or a
 * transport failure (the client then reconnects and logs in again; if it
 * cannot, every request it had left counts as an error).
 *
 * First a warm-up round, the same mix with WARM_PER_CLIENT requests each,
 * untimed; then every connection is closed and, after IDLE_SETTLE_MS (the
 * daemon's going-idle path gives back the SQLite cache and trims malloc),
 * the daemon's VmRSS is load_rss_kib_before.  Then the load round; after
 * it, every connection closed and IDLE_SETTLE_MS, load_rss_kib_after.
 *
 * Figures: load_requests, load_errors (target 0), load_p50_ms,
 * load_p99_ms (over all the requests of the load round), load_requests_per_s
 * (over the span from the first client's start to the last one's end),
 * load_rss_kib_before, load_rss_kib_after, load_rss_growth_kib.  Per-op
 * percentiles go to stderr.  BENCH_LOAD_PER_CLIENT, if set, lowers the
 * requests per client (for a quick check; the figure of issue 7 is the
 * default, PER_CLIENT).
 *
 * The daemon is stopped (SIGTERM, then SIGKILL) and TMPDIR/load removed on
 * every path out; it and the clients also die with this program
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

#ifndef NCLIENTS
#define NCLIENTS	50
#endif
#ifndef PER_CLIENT
#define PER_CLIENT	1000
#endif
#define WARM_PER_CLIENT	100
#define IDLE_SETTLE_MS	2000
#define START_WAIT_MS	5000
#define STOP_WAIT_MS	5000
#define PATHLEN		4096
#define REPLY_MAX	(196608 + 1)	/* DAEMON_MAX_REPLY and a NUL */
#define MSG_MAX		1024
#define DEV_LEN		32

#define ADMIN_USER	"tech"
#define ADMIN_PW	"violet kettle harbour nine"
#define USER_FMT	"load%02d"
#define USER_PW_FMT	"amber falcon river %02d"

enum op { OP_REGISTER, OP_MOVE, OP_LIST, OP_SHOW, OP_STATUS, OP_N };

static const char *const op_name[OP_N] = { "device.register",
    "device.move", "device.list", "device.show", "station.status" };

/* By i % 10: 30% register, 10% move, 30% list, 20% show, 10% status. */
static const enum op mix[10] = { OP_REGISTER, OP_REGISTER, OP_REGISTER,
    OP_MOVE, OP_LIST, OP_LIST, OP_LIST, OP_SHOW, OP_SHOW, OP_STATUS };

struct bench {
	char	 dir[PATHLEN];		/* TMPDIR/load, all ours */
	char	 state[PATHLEN];
	char	 sock[PATHLEN];
	char	 conf[PATHLEN];
	char	 log[PATHLEN];		/* the daemon's stderr */
	char	 pw[PATHLEN];
	char	 custodyd[PATHLEN];
	pid_t	 pid;			/* the daemon, or 0 */
	char	*reply;
};

/* Shared with the forked clients of one round. */
struct shared {
	double		start[NCLIENTS], end[NCLIENTS];
	int		done[NCLIENTS];
	long		errors[NCLIENTS];
	double		lat[NCLIENTS * PER_CLIENT];	/* ms */
	unsigned char	op[NCLIENTS * PER_CLIENT];
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
		fprintf(stderr, "bench_load: %s: %s\n", tmp, strerror(errno));
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
		fprintf(stderr, "bench_load: no daemon at %s (set "
		    "CUSTODYD_BIN)\n", b->custodyd);
		return -1;
	}
	if (path_join(b->dir, real, "load") != 0 ||
	    path_join(b->state, b->dir, "state") != 0 ||
	    path_join(b->sock, b->dir, "sock") != 0 ||
	    path_join(b->conf, b->dir, "custody.conf") != 0 ||
	    path_join(b->log, b->dir, "custodyd.log") != 0 ||
	    path_join(b->pw, b->dir, "pw") != 0 ||
	    strlen(b->sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "bench_load: %s: path too long for a "
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
	fprintf(stderr, "bench_load: the end of %s:\n%s", b->log, buf);
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
	    "--state", b->state, "--id", "bench.example/load", "--admin",
	    ADMIN_USER, "--password-file", b->pw, NULL };
	pid_t pid;
	int st = -1;

	if (file_put(b->conf, "kdf_log2n = 10\n") != 0 ||
	    file_put(b->pw, ADMIN_PW "\n") != 0) {
		fprintf(stderr, "bench_load: %s: %s\n", b->dir,
		    strerror(errno));
		return -1;
	}
	if ((pid = spawn(b, argv)) == -1 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_load: custodyd --init failed\n");
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
	fprintf(stderr, "bench_load: custodyd did not start\n");
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
		fprintf(stderr, "bench_load: custodyd ignored SIGTERM\n");
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
		fprintf(stderr, "bench_load: %s: no answer\n", op);
	else if (!json_is_true(json_object_get(rep, "ok")))
		fprintf(stderr, "bench_load: %s: %s\n", op, reply);
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

static void
fd_close(int *fd)
{
	if (*fd != -1)
		(void)close(*fd);
	*fd = -1;
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

/* The admin adds NCLIENTS users, slt and dsl in turn. */
static int
users_make(struct bench *b)
{
	char admin[65], user[32], pw[64];
	json_t *res;
	int fd, c, r = -1;

	if ((fd = sock_connect(b->sock)) < 0)
		return -1;
	if (login(fd, ADMIN_USER, ADMIN_PW, admin, b->reply) != 0)
		goto out;
	for (c = 0; c < NCLIENTS; c++) {
		(void)snprintf(user, sizeof(user), USER_FMT, c + 1);
		(void)snprintf(pw, sizeof(pw), USER_PW_FMT, c + 1);
		if ((res = call(fd, admin, "user.add", json_pack("{s:s, s:s, "
		    "s:s, s:s}", "user", user, "role", c % 2 ? "dsl" : "slt",
		    "new_password", pw, "password", ADMIN_PW),
		    b->reply)) == NULL)
			goto out;
		json_decref(res);
	}
	r = 0;
out:
	explicit_bzero(admin, sizeof(admin));
	(void)close(fd);
	return r;
}

/* A client's state: its connection and the devices it registered. */
struct client {
	const struct bench	*b;
	int			 c;		/* 0..NCLIENTS-1 */
	int			 round;
	int			 fd;
	char			 token[65];
	char			*reply;
	char			(*own)[DEV_LEN];
	size_t			 nown;
};

static int
client_login(struct client *k)
{
	char user[32], pw[64];

	(void)snprintf(user, sizeof(user), USER_FMT, k->c + 1);
	(void)snprintf(pw, sizeof(pw), USER_PW_FMT, k->c + 1);
	if ((k->fd = sock_connect(k->b->sock)) < 0)
		return -1;
	if (login(k->fd, user, pw, k->token, k->reply) != 0) {
		fd_close(&k->fd);
		return -1;
	}
	return 0;
}

/* Request i of the mix as a message in msg; its op in *op. */
static int
client_msg(const struct client *k, int i, char msg[MSG_MAX], enum op *op)
{
	const char *dev;
	int len = -1;

	*op = mix[i % 10];
	if (k->nown == 0 && (*op == OP_MOVE || *op == OP_SHOW))
		*op = OP_REGISTER;	/* i = 0 registers: never */
	dev = k->nown ? k->own[(size_t)(i / 10) % k->nown] : "";
	switch (*op) {
	case OP_REGISTER:
		len = snprintf(msg, MSG_MAX, "{\"v\":1,\"op\":"
		    "\"device.register\",\"session\":\"%s\",\"args\":{"
		    "\"pupil\":\"P-%d%02d%04d\",\"reason\":\"behaviour\","
		    "\"location\":\"safe %d, shelf %d\",\"seal\":"
		    "\"SB-%d%02d%04d\",\"power\":\"off\"}}", k->token,
		    k->round, k->c, i, i % 4 + 1, i % 5 + 1, k->round, k->c,
		    i);
		break;
	case OP_MOVE:
		len = snprintf(msg, MSG_MAX, "{\"v\":1,\"op\":\"device.move\","
		    "\"session\":\"%s\",\"args\":{\"device\":\"%s\","
		    "\"location\":\"cabinet %d, tray %d\",\"why\":\"space\"}}",
		    k->token, dev, k->c, i);
		break;
	case OP_LIST:
		len = snprintf(msg, MSG_MAX, "{\"v\":1,\"op\":\"device.list\","
		    "\"session\":\"%s\",\"args\":{}}", k->token);
		break;
	case OP_SHOW:
		dev = k->own[(size_t)(i * 7 / 10) % k->nown];
		len = snprintf(msg, MSG_MAX, "{\"v\":1,\"op\":\"device.show\","
		    "\"session\":\"%s\",\"args\":{\"device\":\"%s\"}}",
		    k->token, dev);
		break;
	case OP_STATUS:
	default:
		len = snprintf(msg, MSG_MAX, "{\"v\":1,\"op\":"
		    "\"station.status\",\"session\":\"%s\",\"args\":{}}",
		    k->token);
		break;
	}
	return len < 0 || len >= MSG_MAX ? -1 : len;
}

/* The device id in a device.register reply, kept in k->own. */
static int
client_keep(struct client *k)
{
	static const char key[] = "\"device\":\"";
	const char *p = strstr(k->reply, key), *q;

	if (p == NULL)
		return -1;
	p += sizeof(key) - 1;
	if ((q = strchr(p, '"')) == NULL || q == p || q - p >= DEV_LEN)
		return -1;
	memcpy(k->own[k->nown], p, (size_t)(q - p));
	k->own[k->nown][q - p] = '\0';
	k->nown++;
	return 0;
}

/* Reports the first few errors of a client on stderr. */
static void
client_err(const struct client *k, long *errors, enum op op, const char *why)
{
	if (++*errors <= 3)
		fprintf(stderr, "bench_load: client %d, %s: %.300s\n",
		    k->c + 1, op_name[op], why);
}

/*
 * A forked client: logs in, says it is ready, waits for the start (the
 * end of the go pipe), then sends n requests of the mix, timing each into
 * sh unless this is the warm-up (sh NULL).  Never returns.
 */
static void __attribute__((noreturn))
client_main(const struct bench *b, int c, int round, int n, int ready,
    int go, struct shared *sh)
{
	struct client k = { b, c, round, -1, "", NULL, NULL, 0 };
	char msg[MSG_MAX], byte = 1;
	long errors = 0;
	double t0, ms;
	enum op op;
	int i, len;

	k.reply = malloc(REPLY_MAX);
	k.own = calloc((size_t)n, sizeof(*k.own));
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || k.reply == NULL ||
	    k.own == NULL || client_login(&k) != 0 ||
	    write(ready, &byte, 1) != 1 || read(go, &byte, 1) != 0)
		_exit(1);
	if (sh != NULL)
		sh->start[c] = now_s();
	for (i = 0; i < n; i++) {
		if ((len = client_msg(&k, i, msg, &op)) < 0)
			_exit(1);
		if (k.fd < 0 && client_login(&k) != 0) {
			errors += n - i;	/* the rest cannot be sent */
			fprintf(stderr, "bench_load: client %d cannot log in "
			    "again\n", c + 1);
			break;
		}
		t0 = now_s();
		if (rpc(k.fd, msg, (size_t)len, k.reply) != 0) {
			ms = (now_s() - t0) * 1e3;
			client_err(&k, &errors, op, "no answer");
			fd_close(&k.fd);
		} else {
			ms = (now_s() - t0) * 1e3;
			if (strncmp(k.reply, "{\"ok\":true,", 11) != 0)
				client_err(&k, &errors, op, k.reply);
			else if (op == OP_REGISTER && client_keep(&k) != 0)
				client_err(&k, &errors, op, k.reply);
		}
		if (sh != NULL) {
			sh->lat[c * n + i] = ms;
			sh->op[c * n + i] = (unsigned char)op;
		}
	}
	if (sh != NULL) {
		sh->end[c] = now_s();
		sh->errors[c] = errors;
		sh->done[c] = 1;
	}
	fd_close(&k.fd);
	_exit(sh == NULL && errors != 0 ? 1 : 0);
}

/* Reaps n clients; 0 if every one ran to the end. */
static int
clients_reap(const pid_t *pids, int n, const struct shared *sh)
{
	int c, st, r = 0;

	for (c = 0; c < n; c++) {
		while (waitpid(pids[c], &st, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
		    (sh != NULL && !sh->done[c]))
			r = -1;
	}
	return r;
}

/*
 * One round of NCLIENTS clients with n requests each: the warm-up (sh
 * NULL) or the load.  The clients start together when the go pipe is
 * closed; on a failure they are killed first.
 */
static int
round_run(const struct bench *b, int round, int n, struct shared *sh)
{
	pid_t pids[NCLIENTS];
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, k = 0, c, r = -1;
	char byte;

	if (sh != NULL)
		memset(sh, 0, sizeof(*sh));
	if (fflush(NULL) != 0 || pipe(ready) == -1 || pipe(go) == -1)
		goto out;
	for (k = 0; k < NCLIENTS; k++) {
		if ((pids[k] = fork()) == -1)
			goto out;
		if (pids[k] == 0) {
			(void)close(ready[0]);
			(void)close(go[1]);
			client_main(b, k, round, n, ready[1], go[0], sh);
		}
	}
	fd_close(&ready[1]);
	for (c = 0; c < NCLIENTS; c++)
		if (read(ready[0], &byte, 1) != 1) {
			fprintf(stderr, "bench_load: a client could not "
			    "connect or log in\n");
			goto out;
		}
	r = 0;
out:
	for (c = 0; c < k && r != 0; c++)
		(void)kill(pids[c], SIGKILL);
	fd_close(&go[1]);	/* the start */
	if (clients_reap(pids, k, sh) != 0 && r == 0) {
		fprintf(stderr, "bench_load: a client failed\n");
		r = -1;
	}
	fd_close(&go[0]);
	fd_close(&ready[0]);
	fd_close(&ready[1]);
	return r;
}

/* The daemon's VmRSS after IDLE_SETTLE_MS with nothing connected. */
static long
rss_settled(const struct bench *b, const char *when)
{
	long rss;

	sleep_ms(IDLE_SETTLE_MS);
	rss = proc_status(b->pid, "VmRSS");
	fprintf(stderr, "bench_load: custodyd %s: VmRSS %ld KiB (anon %ld, "
	    "file %ld), VmHWM %ld KiB\n", when, rss,
	    proc_status(b->pid, "RssAnon"), proc_status(b->pid, "RssFile"),
	    proc_status(b->pid, "VmHWM"));
	return rss;
}

/* Percentiles of each op, on stderr; v is scratch of n. */
static void
per_op_note(const struct shared *sh, size_t total, double *v)
{
	size_t i, n;
	int o;

	for (o = 0; o < OP_N; o++) {
		for (i = n = 0; i < total; i++)
			if (sh->op[i] == o)
				v[n++] = sh->lat[i];
		if (n == 0)
			continue;
		qsort(v, n, sizeof(*v), cmp_double);
		fprintf(stderr, "bench_load: %-16s %5zu: p50 %.3f ms, p99 "
		    "%.3f ms, max %.3f ms\n", op_name[o], n, pct(v, n, 0.50),
		    pct(v, n, 0.99), v[n - 1]);
	}
}

static int
bench_load(const struct bench *b)
{
	const char *env = getenv("BENCH_LOAD_PER_CLIENT");
	const long want = env != NULL ? strtol(env, NULL, 10) : 0;
	const int per = want > 0 && want < PER_CLIENT ? (int)want : PER_CLIENT;
	const size_t total = (size_t)NCLIENTS * (size_t)per;
	struct shared *sh;
	double t0, t1, *v = NULL;
	long before, after, errors = 0;
	int c, r = -1;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	if ((v = calloc(total, sizeof(*v))) == NULL)
		goto out;
	fprintf(stderr, "bench_load: warm-up, %d clients x %d requests\n",
	    NCLIENTS, WARM_PER_CLIENT);
	if (round_run(b, 0, WARM_PER_CLIENT, NULL) != 0 ||
	    (before = rss_settled(b, "before the load")) < 0)
		goto out;
	fprintf(stderr, "bench_load: load, %d clients x %d requests\n",
	    NCLIENTS, per);
	if (round_run(b, 1, per, sh) != 0 ||
	    (after = rss_settled(b, "after the load")) < 0)
		goto out;
	t0 = sh->start[0];
	t1 = sh->end[0];
	for (c = 0; c < NCLIENTS; c++) {
		t0 = sh->start[c] < t0 ? sh->start[c] : t0;
		t1 = sh->end[c] > t1 ? sh->end[c] : t1;
		errors += sh->errors[c];
	}
	per_op_note(sh, total, v);
	memcpy(v, sh->lat, total * sizeof(*v));
	qsort(v, total, sizeof(*v), cmp_double);
	fprintf(stderr, "bench_load: %zu requests in %.2f s, %ld errors, max "
	    "%.3f ms\n", total, t1 - t0, errors, v[total - 1]);
	printf("load_requests %zu\n", total);
	printf("load_errors %ld\n", errors);
	printf("load_p50_ms %.3f\n", pct(v, total, 0.50));
	printf("load_p99_ms %.3f\n", pct(v, total, 0.99));
	printf("load_requests_per_s %.1f\n", (double)total / (t1 - t0));
	printf("load_rss_kib_before %ld\n", before);
	printf("load_rss_kib_after %ld\n", after);
	printf("load_rss_growth_kib %ld\n", after - before);
	r = 0;
out:
	free(v);
	(void)munmap(sh, sizeof(*sh));
	return r;
}

/* A fresh TMPDIR/load with a station, its daemon and the users. */
static int
bench_setup(struct bench *b)
{
	tree_remove(b->dir);	/* left by a killed run */
	if (mkdir(b->dir, 0700) == -1) {
		fprintf(stderr, "bench_load: %s: %s\n", b->dir,
		    strerror(errno));
		return -1;
	}
	if (station_make(b) != 0 || daemon_start(b) != 0)
		return -1;
	return users_make(b);
}

static void
bench_teardown(struct bench *b, int failed)
{
	if (daemon_stop(b) != 0 && !failed) {
		fprintf(stderr, "bench_load: custodyd did not stop cleanly\n");
		failed = 1;
	}
	if (failed)
		log_dump(b);
	free(b->reply);
	if (getenv("CUSTODY_KEEP") == NULL)
		tree_remove(b->dir);
}

int
main(int argc, char **argv)
{
	struct bench *b;
	int r = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_load TMPDIR CUSTODY_BIN\n");
		return 2;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->reply = malloc(REPLY_MAX)) == NULL) {
		free(b);
		return 1;
	}
	if (bench_paths(b, argv[1], argv[2]) != 0)
		goto out;
	if (bench_setup(b) != 0 || bench_load(b) != 0)
		goto out;
	r = fflush(stdout) == 0 ? 0 : 1;
out:
	bench_teardown(b, r != 0);
	free(b);
	return r;
}
