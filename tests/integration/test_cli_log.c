/*
 * test_cli_log.c -- the real custody binary, driven as a person or a
 * script would: station init, appends, show, proof, receipt, verify, and
 * every bad input the foundation issue names, each with one clear line on
 * stderr and its documented exit code.  CUSTODY_BIN names the binary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

struct run {
	int	status;		/* exit code */
	char	out[65536];
	char	err[4096];
};

static char tmpdir[64];
static char state[128];
static int as_nobody;	/* run the next command as uid/gid 65534 */

/* Runs custody with the given arguments, capturing both streams. */
static void
run(struct run *r, const char *const *args)
{
	const char *bin = getenv("CUSTODY_BIN");
	char *argv[32];
	char path_out[128], path_err[128];
	FILE *fp;
	pid_t pid;
	size_t n;
	int i, st;

	assert_non_null(bin);
	i = 0;
	if (as_nobody) {
		argv[i++] = "/usr/bin/setpriv";
		argv[i++] = "--reuid=65534";
		argv[i++] = "--regid=65534";
		argv[i++] = "--clear-groups";
	}
	argv[i++] = (char *)bin;
	for (; *args != NULL && i < 30; args++)
		argv[i++] = (char *)*args;
	argv[i] = NULL;
	snprintf(path_out, sizeof(path_out), "%s/out", tmpdir);
	snprintf(path_err, sizeof(path_err), "%s/err", tmpdir);
	if ((pid = fork()) == 0) {
		if (freopen(path_out, "w", stdout) == NULL ||
		    freopen(path_err, "w", stderr) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	assert_non_null(fp = fopen(path_out, "r"));
	n = fread(r->out, 1, sizeof(r->out) - 1, fp);
	r->out[n] = '\0';
	fclose(fp);
	assert_non_null(fp = fopen(path_err, "r"));
	n = fread(r->err, 1, sizeof(r->err) - 1, fp);
	r->err[n] = '\0';
	fclose(fp);
}

/* An error is exactly one line, starting "custody: error: ". */
static void
expect_error(struct run *r, int status, const char *what)
{
	if (r->status != status || strncmp(r->err, "custody: error: ", 16) ||
	    strchr(r->err, '\n') != r->err + strlen(r->err) - 1 ||
	    strstr(r->err, what) == NULL)
		fail_msg("expected exit %d and one line with '%s', got %d: %s",
		    status, what, r->status, r->err);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static int
group_setup(void **unused)
{
	struct run r;
	int i;

	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/custody-cli-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(state, sizeof(state), "%s/station", tmpdir);
	{
		const char *a[] = { "station", "init", "--state", state,
		    "--id", "school.example/custody-1", NULL };
		run(&r, a);
		if (r.status != 0)
			return -1;
	}
	for (i = 0; i < 9; i++) {
		const char *a[] = { "log", "append", "--state", state,
		    "--action", "device.register", "--subject",
		    "{\"device\":\"D1\",\"pupil\":\"P-42\"}", "--data",
		    "{\"seal\":\"A123\",\"note\":\"\\u001b[31mred\"}", NULL };
		run(&r, a);
		if (r.status != 0)
			return -1;
	}
	return 0;
}

static int
group_teardown(void **unused)
{
	return nftw(tmpdir, h_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_verify_ok_and_json(void **unused)
{
	struct run r;
	json_t *j;
	const char *a[] = { "log", "verify", "--state", state, NULL };
	const char *b[] = { "log", "verify", "--state", state, "--json", NULL };

	run(&r, a);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "log verified: 10 events"));
	run(&r, b);
	assert_int_equal(r.status, 0);
	assert_non_null(j = json_loads(r.out, 0, NULL));
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "events")), 10);
	json_decref(j);
}

static void
test_show_escapes_and_json_is_exact(void **unused)
{
	struct run r;
	json_t *j;
	const char *a[] = { "log", "show", "--state", state, NULL };
	const char *b[] = { "log", "show", "--state", state, "--json",
	    "--from", "3", "--limit", "2", NULL };

	run(&r, a);
	assert_int_equal(r.status, 0);
	assert_null(strchr(r.out, '\x1b'));
	assert_non_null(strstr(r.out, "device.register"));
	assert_non_null(strstr(r.out, "pupil=P-42"));
	run(&r, b);
	assert_int_equal(r.status, 0);
	assert_non_null(j = json_loads(r.out, 0, NULL));
	assert_int_equal(json_array_size(j), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(j, 0), "seq")), 3);
	json_decref(j);
	/* The stored bytes, not a re-encoding: the escape stays \u001b. */
	assert_non_null(strstr(r.out, "\\u001b[31mred"));
}

static void
test_proof_and_receipt(void **unused)
{
	char path[192];
	struct run r;
	json_t *j;
	const char *a[] = { "log", "proof", "4", "--state", state, "--json",
	    NULL };
	const char *b[] = { "log", "receipt", "4", "--state", state, NULL };
	const char *c[] = { "log", "verify", "--state", state, "--against",
	    path, NULL };
	const char *d[] = { "log", "proof", "99", "--state", state, NULL };

	run(&r, a);
	assert_int_equal(r.status, 0);
	assert_non_null(j = json_loads(r.out, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(j, "size")), 10);
	assert_int_equal(json_array_size(json_object_get(j, "path")), 4);
	json_decref(j);
	run(&r, b);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "custody-receipt: 1\nevent: 4\n"));
	snprintf(path, sizeof(path), "%s/receipt4", tmpdir);
	write_file(path, r.out, 0644);
	run(&r, c);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "receipt"));
	run(&r, d);
	expect_error(&r, 9, "no event 99");
}

static void
test_missing_database(void **unused)
{
	struct run r;
	const char *a[] = { "log", "verify", "--db", "/nonexistent/x.db",
	    NULL };

	run(&r, a);
	expect_error(&r, 3, "/nonexistent/x.db");
}

static void
test_corrupt_database(void **unused)
{
	char path[192];
	struct run r;
	const char *a[] = { "log", "verify", "--db", path, NULL };

	snprintf(path, sizeof(path), "%s/garbage.db", tmpdir);
	write_file(path, "this is not a database, it is a poem\n", 0600);
	run(&r, a);
	expect_error(&r, 5, "not a custody database");
}

static void
test_newer_schema(void **unused)
{
	char path[192], cmd[1024];
	struct run r;
	const char *a[] = { "log", "verify", "--db", path, NULL };

	snprintf(path, sizeof(path), "%s/newer.db", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp '%s/custody.db' '%s' && sqlite3 '%s' "
	    "'PRAGMA user_version = 99'", state, path, path);
	assert_int_equal(system(cmd), 0);
	run(&r, a);
	expect_error(&r, 4, "schema version 99");
}

static void
test_unreadable_database(void **unused)
{
	char path[192], cmd[1024];
	struct run r;
	const char *a[] = { "log", "verify", "--db", path, NULL };

	snprintf(path, sizeof(path), "%s/locked.db", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp '%s/custody.db' '%s' && chmod 000 "
	    "'%s' && chmod 0711 '%s'", state, path, path, tmpdir);
	assert_int_equal(system(cmd), 0);
	as_nobody = geteuid() == 0;	/* root reads anything */
	run(&r, a);
	as_nobody = 0;
	expect_error(&r, 3, "locked.db");
}

static void
test_bad_receipt(void **unused)
{
	char path[192];
	struct run r;
	const char *a[] = { "log", "verify", "--state", state, "--against",
	    path, NULL };

	snprintf(path, sizeof(path), "%s/not-a-receipt", tmpdir);
	write_file(path, "Dear parent, your child's phone...\n", 0644);
	run(&r, a);
	assert_int_equal(r.status, 7);
	assert_non_null(strstr(r.err, "not a custody receipt"));
	snprintf(path, sizeof(path), "%s/no-such-receipt", tmpdir);
	run(&r, a);
	assert_int_equal(r.status, 7);
}

static void
test_bad_key_file(void **unused)
{
	char key[192];
	struct run r;
	const char *a[] = { "log", "append", "--state", state, "--action",
	    "device.move", NULL };

	snprintf(key, sizeof(key), "%s/station.key", state);
	assert_int_equal(chmod(key, 0644), 0);
	run(&r, a);
	expect_error(&r, 6, "0600");
	assert_int_equal(chmod(key, 0600), 0);
}

static void
test_usage_errors(void **unused)
{
	struct run r;
	const char *a[] = { "log", "frobnicate", NULL };
	const char *b[] = { "log", "verify", "--no-such-flag", NULL };
	const char *c[] = { "log", "append", "--state", state, "--action",
	    "x", "--data", "[1,2]", NULL };
	const char *d[] = { "log", "append", "--state", state, "--action",
	    "x", "--data", "{\"x\":1.5}", NULL };
	const char *e[] = { "log", "verify", "--help", NULL };

	run(&r, a);
	expect_error(&r, 2, "unknown command");
	run(&r, b);
	assert_int_equal(r.status, 2);
	run(&r, c);
	expect_error(&r, 2, "--data is not a JSON object");
	run(&r, d);
	assert_int_equal(r.status, 8);
	run(&r, e);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: custody log verify"));
}

/* verify, show, proof and receipt write nothing at all. */
static void
test_readers_write_nothing(void **unused)
{
	char cmd[1024], before[128], after[128];
	struct run r;
	const char *a[] = { "log", "verify", "--state", state, NULL };
	const char *b[] = { "log", "show", "--state", state, NULL };
	const char *c[] = { "log", "receipt", "3", "--state", state, NULL };

	snprintf(before, sizeof(before), "%s/before", tmpdir);
	snprintf(after, sizeof(after), "%s/after", tmpdir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%s "
	    "%%T@ %%m\\n' | sort > '%s' && find . -type f -exec sha256sum {} + | sort >> '%s'", state,
	    before, before);
	assert_int_equal(system(cmd), 0);
	run(&r, a);
	assert_int_equal(r.status, 0);
	run(&r, b);
	run(&r, c);
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%s "
	    "%%T@ %%m\\n' | sort > '%s' && find . -type f -exec sha256sum {} + | sort >> '%s' && "
	    "cmp -s '%s' '%s'", state, after, after, before, after);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_ok_and_json),
		cmocka_unit_test(test_show_escapes_and_json_is_exact),
		cmocka_unit_test(test_proof_and_receipt),
		cmocka_unit_test(test_missing_database),
		cmocka_unit_test(test_corrupt_database),
		cmocka_unit_test(test_newer_schema),
		cmocka_unit_test(test_unreadable_database),
		cmocka_unit_test(test_bad_receipt),
		cmocka_unit_test(test_bad_key_file),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_readers_write_nothing),
	};

	return cmocka_run_group_tests_name("cli_log", tests, group_setup,
	    group_teardown);
}
