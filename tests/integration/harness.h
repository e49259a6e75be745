/*
 * harness.h -- starts a real custodyd in a temporary directory and talks
 * to it over its socket, for the integration tests.  Static functions in
 * a header: each test program includes it once.
 *
 * CUSTODYD_BIN and CUSTODY_BIN name the programs under test.  The
 * station is made with a cheap scrypt cost (kdf_log2n = 10) so tests run
 * fast; the shipped cost is tested in test_auth.
 */
#ifndef CUSTODY_HARNESS_H
#define CUSTODY_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define H_ADMIN		"tech"
#define H_ADMIN_PW	"violet kettle harbour nine"

struct harness {
	char	dir[64];
	char	state[128];
	char	sock[128];
	char	conf[128];
	char	log[128];
	pid_t	pid;
};

static __attribute__((unused)) int
h_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static __attribute__((unused)) void
h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static __attribute__((unused)) int
h_connect(const struct harness *h)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(h->sock) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, h->sock, strlen(h->sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Runs a program, waits, returns its exit status (or -1). */
static __attribute__((unused)) int
h_run(char *const argv[], const char *out)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT |
		    O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* What one run of the CLI printed (stdout then stderr), and its status. */
struct h_out {
	int	status;
	char	text[65536];
};

/*
 * Runs CUSTODY_BIN with the NULL-terminated arguments as USER would: its
 * own XDG_RUNTIME_DIR (so its own session file) and the daemon's socket.
 */
static __attribute__((unused)) void
h_cli(const struct harness *h, struct h_out *o, const char *user, ...)
{
	char *argv[48], rundir[200], path[220];
	va_list ap;
	FILE *fp;
	size_t n = 0;
	int i = 0;

	argv[i++] = getenv("CUSTODY_BIN");
	va_start(ap, user);
	while (i < 47 && (argv[i] = va_arg(ap, char *)) != NULL)
		i++;
	va_end(ap);
	argv[i] = NULL;
	(void)snprintf(rundir, sizeof(rundir), "%s/run-%s", h->dir, user);
	(void)mkdir(rundir, 0700);
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	setenv("CUSTODY_SOCKET", h->sock, 1);
	(void)snprintf(path, sizeof(path), "%s/cli.out", h->dir);
	o->status = argv[0] != NULL ? h_run(argv, path) : -1;
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(o->text, 1, sizeof(o->text) - 1, fp);
		fclose(fp);
	}
	o->text[n] = '\0';
}

/* Starts the daemon on an existing station; waits until it answers. */
static __attribute__((unused)) int
h_start_daemon(struct harness *h)
{
	const char *bin = getenv("CUSTODYD_BIN");
	int i, fd, lfd;

	if (bin == NULL)
		return -1;
	if ((h->pid = fork()) == 0) {
		lfd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (lfd >= 0) {
			dup2(lfd, 1);	/* never hold the test's pipes open */
			dup2(lfd, 2);
		}
		execl(bin, bin, "--config", h->conf, "--state", h->state,
		    "--socket", h->sock, "--foreground", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if ((fd = h_connect(h)) >= 0) {
			close(fd);
			return 0;
		}
		h_sleep_ms(10);
	}
	return -1;
}

/* Makes a station with an admin account and starts its daemon. */
static __attribute__((unused)) int
h_start(struct harness *h, const char *extra_conf)
{
	const char *bin = getenv("CUSTODYD_BIN");
	char pw[160], *argv[16];
	FILE *fp;

	memset(h, 0, sizeof(*h));
	(void)snprintf(h->dir, sizeof(h->dir), "/tmp/custody-it-XXXXXX");
	if (bin == NULL || mkdtemp(h->dir) == NULL)
		return -1;
	(void)snprintf(h->state, sizeof(h->state), "%s/state", h->dir);
	(void)snprintf(h->sock, sizeof(h->sock), "%s/sock", h->dir);
	(void)snprintf(h->conf, sizeof(h->conf), "%s/custody.conf", h->dir);
	(void)snprintf(h->log, sizeof(h->log), "%s/custodyd.log", h->dir);
	(void)snprintf(pw, sizeof(pw), "%s/pw", h->dir);
	if ((fp = fopen(h->conf, "w")) == NULL)
		return -1;
	/* No USB monitor unless a test asks (tests/umockdev/ do). */
	fprintf(fp, "kdf_log2n = 10\nclient_timeout = 2\nusb_monitor = off\n"
	    "%s", extra_conf ? extra_conf : "");
	fclose(fp);
	if ((fp = fopen(pw, "w")) == NULL)
		return -1;
	fprintf(fp, "%s\n", H_ADMIN_PW);
	fclose(fp);
	argv[0] = (char *)bin;
	argv[1] = "--init";
	argv[2] = "--config";
	argv[3] = h->conf;
	argv[4] = "--state";
	argv[5] = h->state;
	argv[6] = "--id";
	argv[7] = "school.example/custody-test";
	argv[8] = "--admin";
	argv[9] = H_ADMIN;
	argv[10] = "--password-file";
	argv[11] = pw;
	argv[12] = NULL;
	if (h_run(argv, h->log) != 0)
		return -1;
	return h_start_daemon(h);
}

/* Stops the daemon with SIGTERM (or SIGKILL) and reaps it. */
static __attribute__((unused)) int
h_stop_daemon(struct harness *h, int sig)
{
	int st = -1;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, sig);
	if (waitpid(h->pid, &st, 0) != h->pid)
		st = -1;
	h->pid = 0;
	return st;
}

static __attribute__((unused)) void
h_finish(struct harness *h)
{
	if (h->pid > 0)
		(void)h_stop_daemon(h, SIGTERM);
	if (getenv("CUSTODY_KEEP") == NULL)
		(void)nftw(h->dir, h_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Sends raw bytes (and the descriptor pass_fd, unless -1) on a fresh
 * connection and returns the reply text.
 */
static __attribute__((unused)) char *
h_raw_fd(const struct harness *h, const void *msg, size_t len, int pass_fd,
    size_t *rlen)
{
	static char buf[300000];
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	if ((fd = h_connect(h)) < 0)
		return NULL;
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
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if (rlen != NULL)
		*rlen = (size_t)n;
	return buf;
}

static __attribute__((unused)) char *
h_raw(const struct harness *h, const void *msg, size_t len, size_t *rlen)
{
	return h_raw_fd(h, msg, len, -1, rlen);
}

/*
 * Sends {"v":1,"op":op,"session":token,"args":args} (args a JSON text,
 * or NULL) with descriptor pass_fd (or -1) and returns the parsed reply
 * (caller decrefs), or NULL.
 */
static __attribute__((unused)) json_t *
h_req_fd(const struct harness *h, const char *token, const char *op,
    const char *args, int pass_fd)
{
	json_t *req, *a = args ? json_loads(args, 0, NULL) : json_object();
	char *text, *rep;
	json_t *out;

	if (a == NULL)
		return NULL;
	req = json_pack("{s:i, s:s, s:o}", "v", 1, "op", op, "args", a);
	if (token != NULL)
		json_object_set_new(req, "session", json_string(token));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rep = h_raw_fd(h, text, strlen(text), pass_fd, NULL);
	free(text);
	out = rep ? json_loads(rep, 0, NULL) : NULL;
	return out;
}

static __attribute__((unused)) json_t *
h_req(const struct harness *h, const char *token, const char *op,
    const char *args)
{
	return h_req_fd(h, token, op, args, -1);
}

static __attribute__((unused)) int
h_ok(json_t *rep)
{
	return json_is_true(json_object_get(rep, "ok"));
}

static __attribute__((unused)) const char *
h_code(json_t *rep)
{
	const char *c = json_string_value(json_object_get(json_object_get(rep,
	    "error"), "code"));

	return c ? c : "";
}

static __attribute__((unused)) const char *
h_msg(json_t *rep)
{
	const char *c = json_string_value(json_object_get(json_object_get(rep,
	    "error"), "message"));

	return c ? c : "";
}

/* Logs in; returns a static copy of the token, or NULL. */
static __attribute__((unused)) char *
h_login(const struct harness *h, const char *user, const char *pw,
    char token[65])
{
	char args[512];
	json_t *rep;
	const char *t;

	(void)snprintf(args, sizeof(args), "{\"user\":\"%s\",\"password\":"
	    "\"%s\"}", user, pw);
	rep = h_req(h, NULL, "auth.login", args);
	t = json_string_value(json_object_get(json_object_get(rep, "result"),
	    "session"));
	if (t == NULL || strlen(t) != 64) {
		json_decref(rep);
		return NULL;
	}
	memcpy(token, t, 65);
	json_decref(rep);
	return token;
}

/* A string field of the reply's result, copied into out. */
static __attribute__((unused)) const char *
h_result_str(json_t *rep, const char *name, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(json_object_get(rep,
	    "result"), name));

	if (v == NULL)
		return NULL;
	(void)snprintf(out, len, "%s", v);
	return out;
}

#endif
