/*
 * test_daemon_roles.c -- the whole role x operation matrix against the
 * real daemon.  For every operation in the policy table and every role
 * (and no session at all), a plausible request is prepared with fresh
 * objects made by the DSL, then sent as that role: an allowed pair must
 * succeed; any other must be refused "forbidden" (or "unauthenticated")
 * and add exactly one access.denied event to the log.  Then: nothing the
 * technician (admin) can ask returns case content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "daemon/policy.h"
#include "harness.h"

#define PW	"amber falcon river 42"
#define PW2	"quiet meadow lantern 7"

static struct harness H;
static char tokens[ROLE_COUNT][65];
static const char *users[ROLE_COUNT] = {
	[ROLE_NONE] = "sam.staff", [ROLE_STAFF] = "sam.staff",
	[ROLE_SLT] = "sue.slt", [ROLE_DSL] = "dee.dsl",
	[ROLE_HEAD] = "hal.head", [ROLE_POLICE] = "pc.plod",
	[ROLE_ADMIN] = H_ADMIN, [ROLE_AUDITOR] = "gov.aud",
};
static int serial;

static json_t *
req_ok(enum role role, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends a request that must succeed; returns the reply. */
static json_t *
req_ok(enum role role, const char *op, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	json_t *rep;

	va_start(ap, fmt);
	(void)vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	rep = h_req(&H, tokens[role], op, args);
	if (!h_ok(rep))
		fail_msg("setup %s as %s failed: %s", op, role_name(role),
		    h_msg(rep));
	return rep;
}

static void
new_device(char *id, size_t len, const char *seal)
{
	json_t *rep = req_ok(ROLE_DSL, "device.register", "{\"pupil\":"
	    "\"P-%04d\",\"reason\":\"behaviour\",\"location\":\"office safe\","
	    "\"seal\":\"%s\",\"power\":\"off\"}", ++serial, seal);

	assert_non_null(h_result_str(rep, "device", id, len));
	json_decref(rep);
}

static void
new_case(char *id, size_t len)
{
	json_t *rep = req_ok(ROLE_DSL, "case.open", "{\"category\":"
	    "\"bullying\",\"summary\":\"messages in a group chat %d\"}",
	    ++serial);

	assert_non_null(h_result_str(rep, "case", id, len));
	json_decref(rep);
}

static char police_case[32];
static int content_fd = -1;	/* passed with item.add */

/* A fresh descriptor of a small file, for item.add. */
static int
content(void)
{
	char path[200];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/content.txt", H.dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	if (write(fd, "a screenshot of messages\n", 25) != 25) {
		close(fd);
		return -1;
	}
	(void)lseek(fd, 0, SEEK_SET);
	return fd;
}

/* An item added by the DSL to a fresh, unflagged case. */
static void
new_item(char *id, size_t len)
{
	char c[32], args[64];
	json_t *rep;
	int fd = content();

	new_case(c, sizeof(c));
	(void)snprintf(args, sizeof(args), "{\"case\":\"%s\"}", c);
	rep = h_req_fd(&H, tokens[ROLE_DSL], "item.add", args, fd);
	close(fd);
	if (!h_ok(rep))
		fail_msg("setup item.add: %s", h_msg(rep));
	assert_non_null(h_result_str(rep, "item", id, len));
	json_decref(rep);
}

static int
group_setup(void **unused)
{
	static const enum role roles[] = { ROLE_STAFF, ROLE_SLT, ROLE_DSL,
		ROLE_HEAD, ROLE_AUDITOR };
	size_t i;
	json_t *rep;

	if (h_start(&H, NULL) != 0 ||
	    h_login(&H, H_ADMIN, H_ADMIN_PW, tokens[ROLE_ADMIN]) == NULL)
		return -1;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		rep = req_ok(ROLE_ADMIN, "user.add", "{\"user\":\"%s\","
		    "\"role\":\"%s\",\"new_password\":\"%s\",\"password\":"
		    "\"%s\"}", users[roles[i]], role_name(roles[i]), PW,
		    H_ADMIN_PW);
		json_decref(rep);
		if (h_login(&H, users[roles[i]], PW, tokens[roles[i]]) == NULL)
			return -1;
	}
	json_decref(req_ok(ROLE_DSL, "police.add", "{\"user\":\"pc.plod\","
	    "\"new_password\":\"%s\",\"crime_ref\":\"KP/2026/1\",\"force\":"
	    "\"Kent Police\",\"officer\":\"PC Plod\",\"collar\":\"1234\","
	    "\"password\":\"%s\"}", PW, PW));
	if (h_login(&H, "pc.plod", PW, tokens[ROLE_POLICE]) == NULL)
		return -1;
	new_case(police_case, sizeof(police_case));
	json_decref(req_ok(ROLE_DSL, "case.refer", "{\"case\":\"%s\","
	    "\"force\":\"Kent Police\",\"crime_ref\":\"KP/2026/1\","
	    "\"officer\":\"PC Plod\",\"password\":\"%s\"}", police_case, PW));
	/* One export to fetch. */
	{
		char path[200], args[256];
		json_t *xr;
		int fd;

		(void)snprintf(path, sizeof(path), "%s/export-first.p7m", H.dir);
		if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) < 0)
			return -1;
		(void)snprintf(args, sizeof(args), "{\"case\":\"%s\","
		    "\"export_password\":\"cobalt ferry willow eleven\","
		    "\"password\":\"%s\"}", police_case, PW);
		xr = h_req_fd(&H, tokens[ROLE_DSL], "case.export", args, fd);
		close(fd);
		if (!h_ok(xr))
			return -1;
		json_decref(xr);
	}
	return 0;
}

static int
group_teardown(void **unused)
{
	h_finish(&H);
	return 0;
}

static long
count_denials(void)
{
	char path[200];
	sqlite3 *db;
	sqlite3_stmt *s;
	long n = -1;

	(void)snprintf(path, sizeof(path), "%s/custody.db", H.state);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE action "
	    "= 'access.denied'", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* A device already in the police case, so police may see it. */
static void
police_device(char *id, size_t len)
{
	new_device(id, len, "S1");
	json_decref(req_ok(ROLE_DSL, "case.link", "{\"case\":\"%s\","
	    "\"device\":\"%s\"}", police_case, id));
}

/* Prepares fresh objects and the arguments for op. */
static void
prepare(const char *op, enum role role, char *args, size_t len)
{
	char d[32], c[32], u[32];

	(void)snprintf(u, sizeof(u), "u%d", ++serial);
	if (strcmp(op, "auth.login") == 0)
		(void)snprintf(args, len, "{\"user\":\"%s\",\"password\":\"%s\"}",
		    role == ROLE_ADMIN ? H_ADMIN : users[role],
		    role == ROLE_ADMIN ? H_ADMIN_PW : PW);
	else if (strcmp(op, "auth.passwd") == 0)
		(void)snprintf(args, len, "{\"password\":\"%s\","
		    "\"new_password\":\"%s\"}", role == ROLE_ADMIN ?
		    H_ADMIN_PW : PW, PW2);
	else if (strcmp(op, "log.receipt") == 0)
		(void)snprintf(args, len, "{\"seq\":0}");
	else if (strcmp(op, "user.add") == 0)
		(void)snprintf(args, len, "{\"user\":\"%s\",\"role\":\"staff\","
		    "\"new_password\":\"%s\",\"password\":\"%s\"}", u, PW,
		    H_ADMIN_PW);
	else if (strncmp(op, "user.", 5) == 0 && strcmp(op, "user.list")) {
		json_decref(req_ok(ROLE_ADMIN, "user.add", "{\"user\":\"%s\","
		    "\"role\":\"staff\",\"new_password\":\"%s\",\"password\":"
		    "\"%s\"}", u, PW, H_ADMIN_PW));
		(void)snprintf(args, len, "{\"user\":\"%s\",\"role\":\"slt\","
		    "\"new_password\":\"%s\",\"password\":\"%s\"}", u, PW2,
		    H_ADMIN_PW);
	} else if (strcmp(op, "police.add") == 0)
		(void)snprintf(args, len, "{\"user\":\"%s\",\"new_password\":"
		    "\"%s\",\"crime_ref\":\"KP/9\",\"force\":\"Kent\","
		    "\"officer\":\"PC X\",\"collar\":\"99\",\"password\":"
		    "\"%s\"}", u, PW, PW);
	else if (strcmp(op, "device.register") == 0)
		(void)snprintf(args, len, "{\"pupil\":\"P-9%03d\",\"reason\":"
		    "\"exam\",\"location\":\"exam office\",\"seal\":\"E1\","
		    "\"power\":\"on\"}", serial);
	else if (strcmp(op, "device.show") == 0 ||
	    strcmp(op, "device.handover") == 0) {
		police_device(d, sizeof(d));
		(void)snprintf(args, len, "{\"device\":\"%s\",\"officer_user\":"
		    "\"pc.plod\",\"officer_password\":\"%s\",\"seal\":\"S9\","
		    "\"password\":\"%s\"}", d, PW, PW);
	} else if (strcmp(op, "device.unseal") == 0) {
		new_device(d, sizeof(d), "S1");
		(void)snprintf(args, len, "{\"device\":\"%s\",\"for_viewing\":"
		    "true,\"reason\":\"decide_referral\",\"text\":\"The pupil "
		    "disclosed it; I must see it to decide whether to refer.\","
		    "\"head_consulted\":\"Mr Head\",\"location\":\"DSL "
		    "office\",\"same_sex\":true,\"witness_user\":\"hal.head\","
		    "\"witness_password\":\"%s\",\"password\":\"%s\"}", d, PW,
		    PW);
	} else if (strncmp(op, "device.", 7) == 0 && strcmp(op,
	    "device.list")) {
		new_device(d, sizeof(d), "S1");
		if (strcmp(op, "device.return") == 0)
			json_decref(req_ok(ROLE_DSL, "device.checkout",
			    "{\"device\":\"%s\",\"to\":\"Mr Brown\",\"purpose\":"
			    "\"show the parent\"}", d));
		(void)snprintf(args, len, "{\"device\":\"%s\",\"old_seal\":"
		    "\"S1\",\"new_seal\":\"S2\",\"why\":\"bag torn\","
		    "\"location\":\"safe 2\",\"to\":\"Mr Brown\",\"purpose\":"
		    "\"show the parent\",\"consent_by\":\"parent_carer\","
		    "\"consent_name\":\"Mrs Green\",\"consent_how\":\"phone\","
		    "\"good_reason\":\"threats reported\",\"found\":"
		    "\"nothing\",\"reason\":\"worried\",\"to_name\":\"Mrs "
		    "Green\",\"relationship\":\"mother\",\"id_check\":"
		    "\"passport\"}", d);
	} else if (strcmp(op, "case.show") == 0)
		(void)snprintf(args, len, "{\"case\":\"%s\"}", police_case);
	else if (strncmp(op, "case.", 5) == 0 && strcmp(op, "case.list") &&
	    strcmp(op, "case.export") &&
	    strcmp(op, "case.open")) {
		new_case(c, sizeof(c));
		new_device(d, sizeof(d), "S1");
		(void)snprintf(args, len, "{\"case\":\"%s\",\"device\":\"%s\","
		    "\"category\":\"other\",\"flag\":\"offence_suspected\","
		    "\"value\":true,\"why\":\"pupil disclosed\",\"force\":"
		    "\"Kent\",\"crime_ref\":\"KP/%d\",\"officer\":\"DC Y\","
		    "\"password\":\"%s\"}", c, d, serial, PW);
	} else if (strcmp(op, "case.open") == 0)
		(void)snprintf(args, len, "{\"category\":\"bullying\","
		    "\"summary\":\"unkind posts\"}");
	else if (strcmp(op, "case.export") == 0) {
		char path[200];

		(void)snprintf(path, sizeof(path), "%s/export-%d.p7m", H.dir,
		    serial);
		content_fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		(void)snprintf(args, len, "{\"case\":\"%s\",\"export_password\":"
		    "\"cobalt ferry willow eleven\",\"password\":\"%s\"}",
		    police_case, PW);
	} else if (strcmp(op, "export.fetch") == 0)
		(void)snprintf(args, len, "{\"export\":\"EXPORT-0001\"}");
	else if (strcmp(op, "item.add") == 0) {
		new_case(c, sizeof(c));
		(void)snprintf(args, len, "{\"case\":\"%s\"}", c);
		content_fd = content();
	} else if (strcmp(op, "item.list") == 0)
		(void)snprintf(args, len, "{\"case\":\"%s\"}", police_case);
	else if (strcmp(op, "item.delete") == 0) {
		new_item(d, sizeof(d));
		(void)snprintf(args, len, "{\"item\":\"%s\",\"why\":\"no "
		    "longer needed\",\"no_agency_needs\":true,\"password\":"
		    "\"%s\"}", d, PW);
	} else if (strncmp(op, "view.", 5) == 0) {
		json_t *rep;
		char g[65] = "";

		new_item(d, sizeof(d));
		(void)snprintf(args, len, "{\"item\":\"%s\",\"reason\":"
		    "\"decide_referral\",\"text\":\"The pupil disclosed it; I "
		    "must see it to decide whether to refer.\","
		    "\"head_consulted\":\"Mr Head\",\"location\":\"DSL "
		    "office\",\"same_sex\":true,\"witness_user\":\"hal.head\","
		    "\"witness_password\":\"%s\",\"password\":\"%s\"}", d, PW,
		    PW);
		if (strcmp(op, "view.open") == 0) {
			rep = h_req(&H, tokens[ROLE_DSL], "view.justify", args);
			if (!h_ok(rep))
				fail_msg("setup view.justify: %s", h_msg(rep));
			(void)h_result_str(rep, "grant", g, sizeof(g));
			json_decref(rep);
			(void)snprintf(args, len, "{\"item\":\"%s\",\"grant\":"
			    "\"%s\"}", d, g);
		}
	} else
		(void)snprintf(args, len, "{}");
}

/* Undoes what a successful call changed that later calls rely on. */
static void
restore(const char *op, enum role role)
{
	if (strcmp(op, "auth.passwd") == 0)
		json_decref(req_ok(role, "auth.passwd", "{\"password\":\"%s\","
		    "\"new_password\":\"%s\"}", PW2, role == ROLE_ADMIN ?
		    H_ADMIN_PW : PW));
}

static void
test_matrix(void **unused)
{
	const struct policy_rule *rule;
	char args[2048], fresh[65];
	const char *token;
	int role, allowed, tried = 0, refused = 0;
	long before, after;
	json_t *rep;

	for (rule = policy_table(); rule->op != NULL; rule++) {
		for (role = ROLE_NONE; role < ROLE_COUNT; role++) {
			prepare(rule->op, (enum role)role, args, sizeof(args));
			token = role == ROLE_NONE ? NULL : tokens[role];
			if (strcmp(rule->op, "auth.logout") == 0 && token)
				token = h_login(&H, role == ROLE_ADMIN ?
				    H_ADMIN : users[role], role == ROLE_ADMIN ?
				    H_ADMIN_PW : PW, fresh);
			allowed = (rule->flags & POLICY_PUBLIC) ||
			    (role != ROLE_NONE && (rule->roles & (1u << role)));
			before = count_denials();
			rep = h_req_fd(&H, token, rule->op, args, content_fd);
			after = count_denials();
			if (content_fd != -1)
				close(content_fd);
			content_fd = -1;
			tried++;
			if (allowed && !h_ok(rep))
				fail_msg("%s as %s should succeed: %s %s",
				    rule->op, role_name((enum role)role),
				    h_code(rep), h_msg(rep));
			if (!allowed) {
				refused++;
				if (strcmp(h_code(rep), role == ROLE_NONE ?
				    "unauthenticated" : "forbidden") != 0)
					fail_msg("%s as %s should be refused: "
					    "%s", rule->op, role_name(
					    (enum role)role), h_code(rep));
				if (after != before + 1)
					fail_msg("%s as %s: refusal not logged "
					    "(%ld -> %ld)", rule->op, role_name(
					    (enum role)role), before, after);
			}
			if (allowed)
				restore(rule->op, (enum role)role);
			json_decref(rep);
		}
	}
	print_message("tried %d (op, role) pairs, %d refused\n", tried,
	    refused);
	assert_true(refused > 100);
}

/* The technician can never read case content, pupil references or
 * evidence: every request admin may make is checked for them. */
static void
test_admin_sees_no_content(void **unused)
{
	const struct policy_rule *rule;
	char args[2048], *text;
	json_t *rep;

	for (rule = policy_table(); rule->op != NULL; rule++) {
		if (strcmp(rule->op, "auth.logout") == 0)
			continue;
		prepare(rule->op, ROLE_ADMIN, args, sizeof(args));
		rep = h_req_fd(&H, tokens[ROLE_ADMIN], rule->op, args,
		    content_fd);
		if (content_fd != -1)
			close(content_fd);
		content_fd = -1;
		text = json_dumps(rep, JSON_COMPACT);
		assert_non_null(text);
		if (strstr(text, "P-0") || strstr(text, "P-9") ||
		    strstr(text, "group chat") || strstr(text, "unkind") ||
		    strstr(text, "office safe"))
			fail_msg("admin saw content through %s: %.200s",
			    rule->op, text);
		if (h_ok(rep) && !(rule->roles & (1u << ROLE_ADMIN)) &&
		    !(rule->flags & POLICY_PUBLIC))
			fail_msg("admin reached %s", rule->op);
		restore(rule->op, ROLE_ADMIN);
		free(text);
		json_decref(rep);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_admin_sees_no_content),
	};

	return cmocka_run_group_tests_name("daemon_roles", tests, group_setup,
	    group_teardown);
}
