/*
 * test_usbmon.c -- what custodyd accepts from its USB monitor
 * (usbmon_check, daemon/usbmon.h): each message type in its right shape,
 * and the wrong shapes a compromised helper could send, each refused
 * with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon/usbmon.h"

#define ARRIVED(port, ident) "{\"type\":\"arrived\",\"port\":\"" port \
	"\",\"devnum\":5,\"identity\":" ident "}"
#define IDENT(vid, kind) "{\"vendor_id\":\"" vid "\",\"product_id\":" \
	"\"6860\",\"classification\":{\"kind\":\"" kind "\"}}"

/* 0 if usbmon_check accepts text; otherwise the reason must hold want. */
static void
check(const char *text, const char *want)
{
	json_error_t je;
	json_t *msg = json_loads(text, 0, &je);
	char err[256] = "";
	int r;

	assert_non_null(msg);
	r = usbmon_check(msg, err, sizeof(err));
	json_decref(msg);
	if (want == NULL) {
		if (r != 0)
			fail_msg("refused %s: %s", text, err);
		return;
	}
	if (r == 0)
		fail_msg("accepted %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("refused %s as \"%s\", not for \"%s\"", text, err,
		    want);
}

static void
test_accepted(void **state)
{
	(void)state;
	check("{\"type\":\"ready\",\"present\":0}", NULL);
	check("{\"type\":\"error\",\"message\":\"cannot use libusb\"}", NULL);
	check("{\"type\":\"left\",\"port\":\"1-4.2\",\"devnum\":7}", NULL);
	check("{\"type\":\"refused\",\"port\":\"2-1\",\"devnum\":255,"
	    "\"reason\":\"idVendor\"}", NULL);
	check("{\"type\":\"ios\",\"port\":\"1-1\",\"devnum\":1,\"ios\":"
	    "{\"ProductType\":\"iPhone14,2\"}}", NULL);
	check("{\"type\":\"ios\",\"port\":\"1-1\",\"devnum\":1,\"error\":"
	    "\"timed out\"}", NULL);
	check(ARRIVED("1-2", IDENT("04e8", "phone")), NULL);
	check(ARRIVED("12-1.2.3.4.5.6.7", IDENT("04e8", "not_phone")), NULL);
}

static void
test_refused(void **state)
{
	(void)state;
	check("[]", "not an object");
	check("{\"type\":7}", "not an object with a type");
	check("{\"type\":\"ready\"}", "ready without a count");
	check("{\"type\":\"error\"}", "error without");
	check("{\"type\":\"surprise\",\"port\":\"1-1\",\"devnum\":1}",
	    "unknown type");
	check("{\"type\":\"left\",\"devnum\":1}", "no port");
	check("{\"type\":\"left\",\"port\":\"1-1;rm\",\"devnum\":1}",
	    "not a port path");
	check("{\"type\":\"left\",\"port\":\"1--1\",\"devnum\":1}",
	    "not a port path");
	check("{\"type\":\"left\",\"port\":\"0-1\",\"devnum\":1}",
	    "not a port path");
	check("{\"type\":\"left\",\"port\":\"1-1.\",\"devnum\":1}",
	    "not a port path");
	check("{\"type\":\"left\",\"port\":\"1-1\",\"devnum\":0}",
	    "devnum is not 1 to 255");
	check("{\"type\":\"left\",\"port\":\"1-1\",\"devnum\":256}",
	    "devnum is not 1 to 255");
	check("{\"type\":\"left\",\"port\":\"1-1\",\"devnum\":\"5\"}",
	    "devnum");
	check("{\"type\":\"refused\",\"port\":\"1-1\",\"devnum\":1}",
	    "without a short reason");
	/* A refusal never brings an identity (it would skip the checks). */
	check("{\"type\":\"refused\",\"port\":\"1-1\",\"devnum\":1,"
	    "\"reason\":\"x\",\"identity\":" IDENT("zz", "phone") "}",
	    "refused with an identity");
	check("{\"type\":\"ios\",\"port\":\"1-1\",\"devnum\":1}",
	    "without values or an error");
	check(ARRIVED("1-2", "{}"), "no identity with vendor");
	check(ARRIVED("1-2", IDENT("04E8", "phone")), "no identity");
	check(ARRIVED("1-2", IDENT("4e8", "phone")), "no identity");
	check(ARRIVED("1-2", IDENT("04e8", "toaster")), "no classification");
}

/* Strings past the bound, and nesting past four levels, are refused. */
static void
test_bounds(void **state)
{
	char big[400], msg[1024];

	(void)state;
	memset(big, 'a', 257);
	big[257] = '\0';
	(void)snprintf(msg, sizeof(msg), "{\"type\":\"arrived\",\"port\":"
	    "\"1-2\",\"devnum\":5,\"identity\":{\"vendor_id\":\"04e8\","
	    "\"product_id\":\"6860\",\"product\":\"%s\",\"classification\":"
	    "{\"kind\":\"phone\"}}}", big);
	check(msg, "too long");
	big[256] = '\0';
	(void)snprintf(msg, sizeof(msg), "{\"type\":\"arrived\",\"port\":"
	    "\"1-2\",\"devnum\":5,\"identity\":{\"vendor_id\":\"04e8\","
	    "\"product_id\":\"6860\",\"product\":\"%s\",\"classification\":"
	    "{\"kind\":\"phone\"}}}", big);
	check(msg, NULL);
	check(ARRIVED("1-2", "{\"vendor_id\":\"04e8\",\"product_id\":\"6860\","
	    "\"classification\":{\"kind\":\"phone\"},\"x\":[[[[[1]]]]]}"),
	    "nested too deep");
	check("{\"type\":\"left\",\"port\":\"1-1.2.3.4.5.6.7.8.9.10.11.12.13."
	    "14.15.16.17\",\"devnum\":1}", "not a port path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
