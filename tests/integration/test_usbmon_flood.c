/*
 * test_usbmon_flood.c -- a USB monitor taken over cannot stall custodyd
 * or fill its log: the real daemon is given a fake helper
 * (fake_usbwatch.c) that sends arrivals without pause.  custodyd reads a
 * bounded batch per wake-up, so it keeps answering; past 600 messages in
 * a minute it stops the helper and records usb.monitor_stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <limits.h>

#include "tests/integration/harness.h"

static struct harness H;
static char fake[PATH_MAX + 32];

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
test_flood(void **unused)
{
	char conf[PATH_MAX + 64], tok[65];
	char why[512] = "";
	json_t *rep, *usb;
	long t0, worst = 0, dt, deadline;
	json_int_t arrivals = 0;

	(void)unused;
	(void)snprintf(conf, sizeof(conf), "usb_monitor = on\n"
	    "usb_helper = %s\n", fake);
	assert_int_equal(h_start(&H, conf), 0);
	assert_non_null(h_login(&H, H_ADMIN, H_ADMIN_PW, tok));
	/* Answered throughout, quickly, until the helper is stopped. */
	for (deadline = now_ms() + 60000; now_ms() < deadline; ) {
		t0 = now_ms();
		rep = h_req(&H, tok, "station.status", NULL);
		if ((dt = now_ms() - t0) > worst)
			worst = dt;
		assert_true(h_ok(rep));
		usb = json_object_get(json_object_get(rep, "result"), "usb");
		(void)snprintf(why, sizeof(why), "%s", json_string_value(
		    json_object_get(usb, "why")) ?: "");
		arrivals = json_integer_value(json_object_get(usb,
		    "arrivals"));
		if (strstr(why, "more than 600 messages") != NULL) {
			json_decref(rep);
			break;
		}
		json_decref(rep);
		h_sleep_ms(20);
	}
	print_message("flood: stopped after %lld arrivals; slowest status "
	    "answer %ld ms\n", (long long)arrivals, worst);
	if (strstr(why, "more than 600 messages") == NULL)
		fail_msg("the flooding helper was not stopped: \"%s\"", why);
	assert_true(arrivals <= 600);
	assert_true(worst < 5000);
	h_finish(&H);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood),
	};
	char *slash;

	(void)argc;
	/* custody.conf takes absolute paths only. */
	if (realpath(argv[0], fake) == NULL)
		return 1;
	if ((slash = strrchr(fake, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(fake + strlen(fake), sizeof(fake) - strlen(fake),
	    "/fake_usbwatch");
	if (access(fake, X_OK) != 0 || getenv("CUSTODYD_BIN") == NULL) {
		printf("test_usbmon_flood: skipped (no %s or CUSTODYD_BIN)\n",
		    fake);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
