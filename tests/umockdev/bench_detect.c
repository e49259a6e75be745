/*
 * bench_detect.c -- from plug-in to a committed device.detected event,
 * and the USB monitor's cost while nothing happens.  Run by make bench
 * (scripts/bench.sh) under umockdev-wrapper, like the tests here.
 *
 * A station (tests/umockdev/station.h) with its real USB monitor; 100
 * times, an iPhone is plugged into the testbed and the clock runs from
 * just before umockdev adds it (which sends the "add" uevent) until
 * custody device list --detected, asked again and again without pause,
 * shows it -- so each figure includes sysfs being built, libusb's and
 * udev's notice, the helper settling and reading the device, the message
 * to custodyd and the event's commit and checkpoint (with its fsync).
 * Then it is unplugged and the next round waits for that to be recorded.
 *
 * Idle: for two seconds with nothing plugged in and no client, the
 * context switches and CPU ticks of every thread of custodyd and of
 * custody-usbwatch (libusb's thread included), from /proc.
 *
 * Prints "name value" lines for build/bench.json:
 *   detect_p50_ms, detect_p99_ms, detect_max_ms, detect_plugins,
 *   detect_idle_wakeups, detect_idle_cpu_ticks.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/umockdev/station.h"

#define ROUNDS	100

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Context switches and CPU ticks of every thread of pid, summed. */
static int
usage(pid_t pid, long *switches, long *ticks)
{
	char path[300], line[512], *p;
	struct dirent *de;
	long v, ut, st;
	FILE *fp;
	DIR *d;

	(void)snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%ld/task/%s/status",
		    (long)pid, de->d_name);
		if ((fp = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), fp) != NULL)
				if (sscanf(line, "voluntary_ctxt_switches: %ld",
				    &v) == 1 || sscanf(line,
				    "nonvoluntary_ctxt_switches: %ld", &v) == 1)
					*switches += v;
			fclose(fp);
		}
		(void)snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat",
		    (long)pid, de->d_name);
		if ((fp = fopen(path, "r")) != NULL) {
			/* Fields 14 and 15, after the ")" of the name. */
			if (fgets(line, sizeof(line), fp) != NULL &&
			    (p = strrchr(line, ')')) != NULL &&
			    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
			    "%*u %*u %ld %ld", &ut, &st) == 2)
				*ticks += ut + st;
			fclose(fp);
		}
	}
	closedir(d);
	return 0;
}

int
main(void)
{
	struct station *st;
	double lat[ROUNDS], t0;
	long sw0 = 0, sw1 = 0, tk0 = 0, tk1 = 0;
	pid_t helper;
	int i, r = 1;

	if ((st = st_start()) == NULL)
		return 1;
	if ((helper = st_helper_pid(st)) <= 0) {
		fprintf(stderr, "bench_detect: no USB monitor running\n");
		goto out;
	}
	for (i = -3; i < ROUNDS; i++) {		/* three to warm up */
		t0 = now_us();
		bed_load(st->b, "iphone");
		if (st_wait_port(st, "1-1", 0, 0, 0) != 0) {
			fprintf(stderr, "bench_detect: plug-in %d not "
			    "recorded\n", i);
			goto out;
		}
		if (i >= 0)
			lat[i] = (now_us() - t0) / 1000.0;
		bed_unplug(st->b, USB1 "/1-1");
		if (st_wait_port(st, "1-1", 1, 1, 1) != 0) {
			fprintf(stderr, "bench_detect: unplug %d not "
			    "recorded\n", i);
			goto out;
		}
	}
	qsort(lat, ROUNDS, sizeof(lat[0]), cmp_double);
	h_sleep_ms(500);
	if (usage(st->h.pid, &sw0, &tk0) != 0 || usage(helper, &sw0,
	    &tk0) != 0)
		goto out;
	h_sleep_ms(2000);
	if (usage(st->h.pid, &sw1, &tk1) != 0 || usage(helper, &sw1,
	    &tk1) != 0)
		goto out;
	printf("detect_plugins %d\n", ROUNDS);
	printf("detect_p50_ms %.2f\n", lat[ROUNDS / 2 - 1]);
	printf("detect_p99_ms %.2f\n", lat[ROUNDS * 99 / 100 - 1]);
	printf("detect_max_ms %.2f\n", lat[ROUNDS - 1]);
	printf("detect_idle_wakeups %ld\n", sw1 - sw0);
	printf("detect_idle_cpu_ticks %ld\n", tk1 - tk0);
	r = 0;
out:
	st_stop(st);
	return r;
}
