/*
 * test_cli_daemon.c -- the real custody command against the real daemon,
 * as the people who use the station would: accounts, a confiscation held
 * past the end of the school day (overdue), the rules on suspected
 * images, a governor's report with no identities, and sessions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

static char *
pwfile(const char *user, const char *pw)
{
	static char path[8][200];
	static int k;
	char *p = path[k++ % 8];
	FILE *fp;

	(void)snprintf(p, 200, "%s/pw-%s", H.dir, user);
	assert_non_null(fp = fopen(p, "w"));
	fprintf(fp, "%s\n", pw);
	fclose(fp);
	return p;
}

static void
expect(struct h_out *o, int status, const char *what)
{
	if (o->status != status || (what && strstr(o->text, what) == NULL))
		fail_msg("expected exit %d with '%s', got %d:\n%s", status,
		    what ? what : "", o->status, o->text);
}

static int
setup(void **unused)
{
	return h_start(&H, "end_of_day = 15:30\n");
}

static int
teardown(void **unused)
{
	h_finish(&H);
	return 0;
}

static void
test_station_day(void **unused)
{
	char *admin = pwfile("tech", H_ADMIN_PW);
	char *slt = pwfile("sue", "river lantern otter nine");
	char *gov = pwfile("gov", "copper thistle meadow eight");
	struct h_out o;
	json_t *j;

	h_cli(&H, &o, "tech", "login", "--user", "tech", "--password-file",
	    admin, NULL);
	expect(&o, 0, "admin");
	h_cli(&H, &o, "tech", "user", "add", "--user", "sue", "--role", "slt",
	    "--password-file", admin, "--new-password-file", slt, NULL);
	expect(&o, 0, "custody-receipt: 1");
	h_cli(&H, &o, "tech", "user", "add", "--user", "gov", "--role",
	    "auditor", "--password-file", admin, "--new-password-file", gov,
	    NULL);
	expect(&o, 0, NULL);
	h_cli(&H, &o, "sue", "login", "--user", "sue", "--password-file", slt,
	    NULL);
	expect(&o, 0, NULL);

	/* Not on a terminal: every missing field named in one line. */
	h_cli(&H, &o, "sue", "device", "register", "--pupil", "P-1", NULL);
	expect(&o, 2, "missing");
	assert_non_null(strstr(o.text, "--seal"));
	assert_non_null(strstr(o.text, "--location"));

	/* Confiscated days ago and still held: overdue. */
	h_cli(&H, &o, "sue", "device", "register", "--pupil", "P-1042",
	    "--reason", "behaviour", "--location", "office safe", "--seal",
	    "A1", "--power", "off", "--confiscated-at", "2020-01-06 09:00",
	    NULL);
	expect(&o, 0, "DEV-0001");
	h_cli(&H, &o, "sue", "device", "register", "--pupil", "P-2077",
	    "--reason", "suspected_nudes", "--location", "office safe",
	    "--seal", "A2", "--power", "off", NULL);
	expect(&o, 0, "DEV-0002");
	h_cli(&H, &o, "sue", "device", "list", "--overdue", "--json", NULL);
	expect(&o, 0, NULL);
	assert_non_null(j = json_loads(o.text, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(j, "devices")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "devices"), 0), "id")), "DEV-0001");
	json_decref(j);
	h_cli(&H, &o, "sue", "status", "--json", NULL);
	expect(&o, 0, NULL);
	assert_non_null(j = json_loads(o.text, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(j,
	    "overdue_count")), 1);
	json_decref(j);

	/* Suspected images: no search, and only the DSL releases. */
	h_cli(&H, &o, "sue", "device", "search", "DEV-0002", "--consent-by",
	    "pupil", "--consent-name", "the pupil", "--consent-how",
	    "in person", "--good-reason", "to find it", "--found", "nothing",
	    NULL);
	expect(&o, 12, "do not search it");
	h_cli(&H, &o, "sue", "device", "release", "DEV-0002", "--to-name",
	    "Mrs X", "--relationship", "mother", "--id-check", "passport",
	    NULL);
	expect(&o, 12, "only the DSL may release it");

	/* The governor: figures, never a pupil reference. */
	h_cli(&H, &o, "gov", "login", "--user", "gov", "--password-file", gov,
	    NULL);
	expect(&o, 0, NULL);
	h_cli(&H, &o, "gov", "report", "--json", NULL);
	expect(&o, 0, "suspected_nudes");
	assert_null(strstr(o.text, "P-1042"));
	assert_null(strstr(o.text, "P-2077"));
	h_cli(&H, &o, "gov", "device", "list", NULL);
	expect(&o, 11, "forbidden");

	/* The log, verified offline, holds all of it. */
	{
		char db[200];

		(void)snprintf(db, sizeof(db), "%s/custody.db", H.state);
		h_cli(&H, &o, "x", "log", "verify", "--db", db, NULL);
		expect(&o, 0, "log verified");
	}

	/* A police account for a case takes the case's crime reference;
	 * a case without a referral is refused. */
	{
		char *dsl = pwfile("dee", "marble otter lantern five");
		char *pc = pwfile("pc", "granite puffin station two");

		h_cli(&H, &o, "tech", "user", "add", "--user", "dee", "--role",
		    "dsl", "--password-file", admin, "--new-password-file", dsl,
		    NULL);
		expect(&o, 0, NULL);
		h_cli(&H, &o, "dee", "login", "--user", "dee",
		    "--password-file", dsl, NULL);
		expect(&o, 0, NULL);
		h_cli(&H, &o, "dee", "case", "open", "--category", "nudes",
		    "--summary", "shared image", "--devices", "DEV-0002", NULL);
		expect(&o, 0, "CASE-0001");
		h_cli(&H, &o, "dee", "case", "police", "CASE-0001", "--user",
		    "pc", "--officer", "PC Smith", "--collar", "99",
		    "--password-file", dsl, "--new-password-file", pc, NULL);
		expect(&o, 12, "no police referral");
		h_cli(&H, &o, "dee", "case", "refer", "CASE-0001", "--force",
		    "Kent Police", "--crime-ref", "KP/7", "--officer", "DC Y",
		    "--password-file", dsl, NULL);
		expect(&o, 0, NULL);
		h_cli(&H, &o, "dee", "case", "police", "CASE-0001", "--user",
		    "pc", "--officer", "PC Smith", "--collar", "99",
		    "--password-file", dsl, "--new-password-file", pc, NULL);
		expect(&o, 0, NULL);
		h_cli(&H, &o, "pc", "login", "--user", "pc", "--password-file",
		    pc, NULL);
		expect(&o, 0, "police");
		h_cli(&H, &o, "pc", "whoami", "--json", NULL);
		expect(&o, 0, "KP/7");
	}

	/* After logout the session is gone. */
	h_cli(&H, &o, "sue", "logout", NULL);
	expect(&o, 0, NULL);
	h_cli(&H, &o, "sue", "whoami", NULL);
	expect(&o, 10, "custody login");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_station_day, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("cli_daemon", tests, NULL, NULL);
}
