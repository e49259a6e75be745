/*
 * fake_usbwatch.c -- a USB monitor taken over, for test_usbmon_flood: it
 * sends custodyd arrivals on descriptor 3 as fast as the socket takes
 * them, each at a new port, until custodyd closes its end.  Built as a
 * program of its own and named by usb_helper in the test's custody.conf.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
	char msg[512];
	int i, n;

	for (i = 0;; i++) {
		n = snprintf(msg, sizeof(msg), "{\"type\":\"arrived\",\"port\":"
		    "\"%d-%d\",\"devnum\":%d,\"identity\":{\"vendor_id\":"
		    "\"04e8\",\"product_id\":\"6860\",\"serial\":\"F%d\","
		    "\"classification\":{\"kind\":\"phone\"}}}",
		    1 + i / 100 % 200, 1 + i % 100, 1 + i % 255, i);
		if (send(3, msg, (size_t)n, MSG_NOSIGNAL) == -1)
			return 0;
	}
}
