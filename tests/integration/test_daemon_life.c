/*
 * test_daemon_life.c -- custodyd's own life: it tells systemd it is ready,
 * stops cleanly on SIGTERM leaving a log that verifies, refuses to
 * initialise over an existing station or to start beside a running
 * daemon, and refuses a bad configuration with the file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

/* The last line a program wrote (its error comes after any warning). */
static char *
last_line(const char *path, char *line, size_t len)
{
	char buf[512];
	FILE *fp = fopen(path, "r");

	line[0] = '\0';
	if (fp == NULL)
		return line;
	while (fgets(buf, sizeof(buf), fp) != NULL)
		(void)snprintf(line, len, "%s", buf);
	fclose(fp);
	return line;
}

/* Starts a station with NOTIFY_SOCKET pointing at our datagram socket. */
static void
test_ready_and_clean_stop(void **unused)
{
	struct sockaddr_un sa;
	struct harness h;
	struct timeval tv = { 5, 0 };
	char path[200], buf[64], db[200], out[200];
	char *argv[] = { getenv("CUSTODY_BIN"), "log", "verify", "--db", db,
	    NULL };
	ssize_t n;
	int fd, st;

	(void)snprintf(path, sizeof(path), "/tmp/custody-notify-%ld",
	    (long)getpid());
	(void)unlink(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(h_start(&h, NULL), 0);
	unsetenv("NOTIFY_SOCKET");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1");
	st = h_stop_daemon(&h, SIGTERM);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "STOPPING=1");
	assert_int_equal(access(h.sock, F_OK), -1);	/* socket removed */
	(void)snprintf(db, sizeof(db), "%s/custody.db", h.state);
	(void)snprintf(out, sizeof(out), "%s/verify.out", h.dir);
	assert_non_null(argv[0]);
	assert_int_equal(h_run(argv, out), 0);
	close(fd);
	unlink(path);
	h_finish(&h);
}

static void
test_init_refuses_existing_and_second_daemon(void **unused)
{
	struct harness h, h2;
	char pw[200], out[200], line[512];
	char *argv[16];
	int st;

	assert_int_equal(h_start(&h, NULL), 0);
	(void)snprintf(pw, sizeof(pw), "%s/pw", h.dir);
	(void)snprintf(out, sizeof(out), "%s/init2.out", h.dir);
	argv[0] = getenv("CUSTODYD_BIN");
	argv[1] = "--init";
	argv[2] = "--config";
	argv[3] = h.conf;
	argv[4] = "--state";
	argv[5] = h.state;
	argv[6] = "--id";
	argv[7] = "other.example/x";
	argv[8] = "--admin";
	argv[9] = "intruder";
	argv[10] = "--password-file";
	argv[11] = pw;
	argv[12] = NULL;
	assert_int_equal(h_run(argv, out), 1);
	last_line(out, line, sizeof(line));
	assert_non_null(strstr(line, "custodyd: error:"));
	assert_non_null(strstr(line, "refusing to overwrite"));
	/* A second daemon on the same socket is refused; the first lives. */
	h2 = h;
	assert_int_equal(h_run((char *[]){ getenv("CUSTODYD_BIN"),
	    "--config", h.conf, "--state", h.state, "--socket", h.sock,
	    NULL }, out), 1);
	last_line(out, line, sizeof(line));
	assert_non_null(strstr(line, "another custodyd is listening"));
	assert_true(h_connect(&h2) >= 0);
	st = h_stop_daemon(&h, SIGTERM);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_finish(&h);
}

static void
test_bad_config(void **unused)
{
	static const char *const bad[] = {
		"kdf_log2n = 99\n", "no_such_setting = 1\n", "end_of_day = 25:00\n",
		"just some words\n", "kdf_r = 1\nkdf_log2n = 17\n",
		"state = relative/path\n",
	};
	char dir[] = "/tmp/custody-conf-XXXXXX", conf[200], out[200];
	char line[512];
	size_t i;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	(void)snprintf(conf, sizeof(conf), "%s/c", dir);
	(void)snprintf(out, sizeof(out), "%s/o", dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(fp = fopen(conf, "w"));
		fputs(bad[i], fp);
		fclose(fp);
		assert_int_equal(h_run((char *[]){ getenv("CUSTODYD_BIN"),
		    "--config", conf, "--state", dir, NULL }, out), 1);
		last_line(out, line, sizeof(line));
		if (strncmp(line, "custodyd: error: ", 17) != 0 ||
		    strstr(line, conf) == NULL)
			fail_msg("config '%s' gave: %s", bad[i], line);
	}
	unlink(conf);
	unlink(out);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_and_clean_stop),
		cmocka_unit_test(test_init_refuses_existing_and_second_daemon),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests_name("daemon_life", tests, NULL, NULL);
}
