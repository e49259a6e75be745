/*
 * fuzz_request.c -- the daemon's wire protocol (daemon/dispatch.c).
 *
 * Each input is one request message handed to dispatch() itself, against
 * a throwaway station made once in LLVMFuzzerInitialize in a temporary
 * directory (in /dev/shm where it can, removed at exit).  The station has two accounts, "admin"
 * (role admin) and "dsl" (role dsl, who may see case content), each with a
 * session whose token is fixed (FUZZ_TOKEN_ADMIN, FUZZ_TOKEN_DSL) and reset
 * before every input, so inputs reach the handlers behind authentication
 * as well as the envelope, the JSON parser and the policy checks.
 *
 * The daemon must answer every input with a reply that is a JSON object
 * carrying a boolean "ok"; anything else aborts.  State carries over from
 * one input to the next (events are appended to the log), as it does in
 * the real daemon.
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "daemon/daemon.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TOKEN_ADMIN \
	"f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"
#define FUZZ_TOKEN_DSL \
	"d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5"
#define FUZZ_RESET	4096	/* requests before a fresh station */
#define FUZZ_PASSWORD	"fuzzing-station correct horse 4711"

static struct daemon *fuzz_d;	/* the daemon's own state */
static char fuzz_dir[64];	/* its temporary directory, or "" */

static int
fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static void
fuzz_die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_request: %s: %s\n", what, err);
	abort();
}

/* An account, as custodyd --init makes the first one. */
static void
fuzz_add_user(struct daemon *d, const char *user, const char *role)
{
	struct req r;
	char err[256];
	json_t *args;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.fd_in = r.fd_out = -1;
	r.uid = getuid();
	r.role = ROLE_NONE;
	(void)snprintf(r.user, sizeof(r.user), "fuzz --init");
	r.op = "user.add";
	args = json_pack("{s:s, s:s, s:s}", "user", user, "role", role,
	    "new_password", FUZZ_PASSWORD);
	r.args = args;
	if (args == NULL || custody_log_begin(d->log) != 0)
		fuzz_die("user.add", "cannot begin");
	if (h_user_add(&r) != 0)
		fuzz_die("user.add", r.msg);
	if (custody_log_commit(d->log, err, sizeof(err)) != 0)
		fuzz_die("commit", err);
	json_decref(args);
}

/* Closes the station and removes its directory. */
static void
fuzz_station_close(void)
{
	if (fuzz_d != NULL) {
		station_close(fuzz_d->station);
		free(fuzz_d);
		fuzz_d = NULL;
	}
	if (fuzz_dir[0] != '\0')
		(void)nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
	fuzz_dir[0] = '\0';
}

/* A new station with its two accounts, in a new temporary directory. */
static void
fuzz_station_open(void)
{
	char fpr[SIGN_FPR_HEX], err[256];
	struct daemon *d;

	/* tmpfs if there is one: SQLite's fsync per commit dominates. */
	(void)snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/custody-fuzz-XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		fuzz_die("mkdtemp", strerror(errno));
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fuzz_die("calloc", "out of memory");
	config_defaults(&d->cfg);
	d->cfg.kdf.log2n = 10;
	(void)snprintf(d->cfg.state, sizeof(d->cfg.state), "%s/state",
	    fuzz_dir);
	(void)snprintf(d->cfg.socket, sizeof(d->cfg.socket), "%s/sock",
	    fuzz_dir);
	if (station_init(d->cfg.state, "fuzz.example/station", fpr, err,
	    sizeof(err)) != 0)
		fuzz_die("station_init", err);
	if (station_open(d->cfg.state, 0, &d->station, err,
	    sizeof(err)) != 0)
		fuzz_die("station_open", err);
	d->log = station_log(d->station);
	d->st = station_store(d->station);
	if (auth_hash("custodyd: no such user", 22, &d->cfg.kdf,
	    d->dummy_hash, sizeof(d->dummy_hash)) != 0)
		fuzz_die("auth_hash", "cannot hash");
	fuzz_d = d;
	fuzz_add_user(d, "admin", "admin");
	fuzz_add_user(d, "dsl", "dsl");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_station_open();
	atexit(fuzz_station_close);
	return 0;
}

/* A fixed session, restored before every input. */
static void
fuzz_session(struct session *s, const char *token, const char *user)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->token, token, DAEMON_TOKEN_HEX + 1);
	s->uid = getuid();
	(void)snprintf(s->user, sizeof(s->user), "%s", user);
	s->last_used = daemon_mono_ms();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *j;
	char *out;
	size_t len = 0;
	int fd_out = -1;

	if (size > DAEMON_MAX_MSG)
		return 0;	/* the server refuses these unread */
	/* A fresh station now and then: log.verify is linear in the log. */
	if (fuzz_d->requests >= FUZZ_RESET) {
		fuzz_station_close();
		fuzz_station_open();
	}
	fuzz_session(&fuzz_d->sessions[0], FUZZ_TOKEN_ADMIN, "admin");
	fuzz_session(&fuzz_d->sessions[1], FUZZ_TOKEN_DSL, "dsl");
	out = dispatch(fuzz_d, (const char *)data, size, getuid(), getgid(),
	    getpid(), -1, &fd_out, &len);
	if (out == NULL)
		fuzz_die("dispatch", "no reply");
	if ((j = json_loadb(out, len, 0, &je)) == NULL ||
	    !json_is_boolean(json_object_get(j, "ok")))
		fuzz_die("dispatch", "a reply that is not {\"ok\": bool}");
	json_decref(j);
	free(out);
	if (fd_out != -1)
		(void)close(fd_out);
	return 0;
}
