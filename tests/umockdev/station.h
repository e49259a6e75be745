/*
 * station.h -- a station whose USB monitor sees an umockdev testbed: the
 * real custodyd, started by the harness (tests/integration/harness.h),
 * starting the real custody-usbwatch, for the tests and the benchmark
 * under tests/umockdev/.  Header-only.
 *
 * Only custody-usbwatch sees the testbed.  custodyd runs without the
 * preload library (its wrappers make system calls the daemon's seccomp
 * filter rightly kills) and starts the helper through a script that puts
 * the library back; $UMOCKDEV_DIR passes through the daemon's environment
 * as it is.  The testbed must exist before the station starts.
 */
#ifndef CUSTODY_TEST_STATION_H
#define CUSTODY_TEST_STATION_H

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/integration/harness.h"
#include "tests/umockdev/bed.h"

/* Long: the hostile fixture's 2000 interfaces take seconds to build. */
#define ST_WAIT_MS	20000
#define ST_SLT_PW	"amber lantern pebble orchard"

struct station {
	struct bed	*b;
	struct harness	 h;
	char		 tok[65];	/* slt "sue" */
	char		 script[256];	/* starts the helper */
};

static __attribute__((unused)) long
st_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* CUSTODY_BIN and CUSTODYD_BIN from make, else the build tree. */
static __attribute__((unused)) void
st_bins(void)
{
	char cwd[512], p[700];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return;
	(void)snprintf(p, sizeof(p), "%s/build/custodyd", cwd);
	setenv("CUSTODYD_BIN", p, 0);
	(void)snprintf(p, sizeof(p), "%s/build/custody", cwd);
	setenv("CUSTODY_BIN", p, 0);
}

static __attribute__((unused)) int
st_helper_script(const char *bindir, char *path, size_t len)
{
	static char preload[1024];
	static int n;
	FILE *fp;

	if (preload[0] == '\0' && getenv("LD_PRELOAD") != NULL)
		(void)snprintf(preload, sizeof(preload), "%s",
		    getenv("LD_PRELOAD"));
	unsetenv("LD_PRELOAD");
	(void)snprintf(path, len, "/tmp/custody-usbwatch-%ld-%d.sh",
	    (long)getpid(), n++);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fprintf(fp, "#!/bin/sh\nLD_PRELOAD='%s' exec '%s/custody-usbwatch' "
	    "\"$@\"\n", preload, bindir);
	fclose(fp);
	return chmod(path, 0700);
}

/*
 * A testbed, then a station (with extra_conf lines, or NULL) with an
 * admin and a senior leader "sue" logged in (st->tok); NULL with the
 * reason on stderr.
 */
static __attribute__((unused)) struct station *
st_start_conf(const char *extra_conf)
{
	struct station *st = calloc(1, sizeof(*st));
	char conf[1024], bindir[700], *slash;
	json_t *rep;

	if (st == NULL || (st->b = bed_new()) == NULL) {
		free(st);
		return NULL;
	}
	st_bins();
	(void)snprintf(bindir, sizeof(bindir), "%s", getenv("CUSTODYD_BIN"));
	if ((slash = strrchr(bindir, '/')) != NULL)
		*slash = '\0';
	if (st_helper_script(bindir, st->script, sizeof(st->script)) != 0)
		goto fail;
	(void)snprintf(conf, sizeof(conf), "usb_monitor = on\n"
	    "usb_helper = %s\n%s", st->script, extra_conf ?: "");
	if (h_start(&st->h, conf) != 0) {
		fprintf(stderr, "cannot start custodyd (%s)\n",
		    getenv("CUSTODYD_BIN"));
		goto fail;
	}
	if (h_login(&st->h, H_ADMIN, H_ADMIN_PW, st->tok) == NULL) {
		fprintf(stderr, "cannot log in as %s\n", H_ADMIN);
		goto fail;
	}
	rep = h_req(&st->h, st->tok, "user.add", "{\"user\":\"sue\","
	    "\"role\":\"slt\",\"new_password\":\"" ST_SLT_PW "\","
	    "\"password\":\"" H_ADMIN_PW "\"}");
	if (!h_ok(rep)) {
		fprintf(stderr, "user.add: %s\n", h_msg(rep));
		json_decref(rep);
		goto fail;
	}
	json_decref(rep);
	if (h_login(&st->h, "sue", ST_SLT_PW, st->tok) == NULL) {
		fprintf(stderr, "cannot log in as sue\n");
		goto fail;
	}
	return st;
fail:
	if (st->h.pid > 0)
		h_finish(&st->h);
	if (st->script[0] != '\0')
		(void)unlink(st->script);
	bed_free(st->b);
	free(st);
	return NULL;
}

static __attribute__((unused)) struct station *
st_start(void)
{
	return st_start_conf(NULL);
}

static __attribute__((unused)) void
st_stop(struct station *st)
{
	h_finish(&st->h);
	(void)unlink(st->script);
	bed_free(st->b);
	free(st);
}

/* The USB monitor's pid: custodyd's one child, or -1. */
static __attribute__((unused)) pid_t
st_helper_pid(const struct station *st)
{
	char path[96];
	long pid = -1;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)st->h.pid, (long)st->h.pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = -1;
	fclose(fp);
	return (pid_t)pid;
}

/* The monitor's answer: device.list with detected (and all), or NULL. */
static __attribute__((unused)) json_t *
st_detected(struct station *st, int all)
{
	json_t *rep = h_req(&st->h, st->tok, "device.list", all ?
	    "{\"detected\":true,\"all\":true}" : "{\"detected\":true}");

	if (!h_ok(rep)) {
		json_decref(rep);
		return NULL;
	}
	return rep;
}

static __attribute__((unused)) const json_t *
st_find_port(json_t *rep, const char *port)
{
	json_t *a = json_object_get(json_object_get(rep, "result"),
	    "detected"), *e;
	size_t i;

	json_array_foreach(a, i, e)
		if (strcmp(json_string_value(json_object_get(e, "port")) ?: "",
		    port) == 0)
			return e;
	return NULL;
}

/*
 * Waits until port is (or, if gone, is no longer) in the list, asking
 * every poll_ms.  Returns 0, or -1 after ST_WAIT_MS or a refused request.
 */
static __attribute__((unused)) int
st_wait_port(struct station *st, const char *port, int all, int gone,
    int poll_ms)
{
	long deadline = st_now_ms() + ST_WAIT_MS;
	json_t *rep;
	int there;

	for (;;) {
		if ((rep = st_detected(st, all)) == NULL)
			return -1;
		there = st_find_port(rep, port) != NULL;
		json_decref(rep);
		if (there != gone)
			return 0;
		if (st_now_ms() > deadline)
			return -1;
		if (poll_ms > 0)
			h_sleep_ms(poll_ms);
	}
}

#endif
