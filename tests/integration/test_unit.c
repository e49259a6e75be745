/*
 * test_unit.c -- the installed systemd unit is hardened: systemd-analyze
 * security --offline=yes scores it 1.5 or lower (OK or SAFE), and it never
 * uses PrivateUsers= (which would hide the callers' uids that SO_PEERCRED
 * records in every event).  Skipped where systemd-analyze is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void
test_security_score(void **unused)
{
	char dir[] = "/tmp/custody-unit-XXXXXX", cmd[1024], line[512];
	double score = -1;
	FILE *fp;
	const char *p;

	if (system("command -v systemd-analyze >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	(void)snprintf(cmd, sizeof(cmd), "sed -e 's|@SBINDIR@|/usr/sbin|g' "
	    "-e 's|@SYSCONFDIR@|/etc|g' daemon/systemd/custodyd.service.in > "
	    "%s/custodyd.service", dir);
	assert_int_equal(system(cmd), 0);
	(void)snprintf(cmd, sizeof(cmd), "grep -q '^PrivateUsers=' "
	    "%s/custodyd.service", dir);
	assert_int_not_equal(system(cmd), 0);
	(void)snprintf(cmd, sizeof(cmd), "systemd-analyze security "
	    "--offline=yes %s/custodyd.service 2>&1", dir);
	assert_non_null(fp = popen(cmd, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if ((p = strstr(line, "Overall exposure level")) != NULL &&
		    (p = strchr(p, ':')) != NULL)
			score = strtod(p + 1, NULL);
	pclose(fp);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	print_message("systemd-analyze security: %.1f\n", score);
	assert_true(score >= 0);
	if (score > 1.5)
		fail_msg("custodyd.service scores %.1f; it must be 1.5 or "
		    "lower", score);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_score),
	};

	return cmocka_run_group_tests_name("unit", tests, NULL, NULL);
}
