/*
 * h_case.c -- safeguarding cases, kept by the DSL: open, classify, flag,
 * link devices, refer to police.  A case flagged offence_suspected or
 * referred to police locks its devices against release and deletion.
 * Police accounts see only the cases referred under their crime reference.
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/timefmt.h"
#include "daemon/daemon.h"

static const char *const categories[] = { "bullying", "nudes", "iioc",
	"csae", "exploitation", "other", NULL };

static int
category_ok(struct req *r, const char *c)
{
	const char *const *p;

	for (p = categories; *p != NULL; p++)
		if (strcmp(c, *p) == 0)
			return 0;
	return req_fail(r, "bad_request", "category '%s' is not one of "
	    "bullying, nudes, iioc, csae, exploitation, other", c);
}

/* Indecent images of children and child sexual abuse or exploitation
 * are offences to report: such a case starts locked. */
static int
category_locks(const char *c)
{
	return strcmp(c, "iioc") == 0 || strcmp(c, "csae") == 0;
}

static int
case_load(struct req *r, const char *id, json_t **c)
{
	json_t *rows = NULL;
	const char *ref;

	*c = NULL;
	if (req_sql(r, "SELECT * FROM cases WHERE id = ?", json_pack("[s]",
	    id), &rows) != 0)
		return -1;
	*c = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	ref = json_string_value(json_object_get(*c, "crime_ref"));
	if (*c != NULL && r->role == ROLE_POLICE && (ref == NULL ||
	    strcmp(ref, r->crime_ref) != 0)) {
		json_decref(*c);
		*c = NULL;
	}
	if (*c == NULL)
		return req_fail(r, "not_found", "no case %s; see custody case "
		    "list", id);
	return 0;
}

static int
case_arg(struct req *r, const char **id, json_t **c)
{
	int bad = 0;

	if (arg_need(r, "case", NULL) != 0 ||
	    (*id = arg_str(r, "case", 32, &bad)) == NULL)
		return -1;
	return case_load(r, *id, c);
}

/* Links a device to a case: it must exist, be open, and be in no case. */
static int
case_link_device(struct req *r, const char *case_id, const char *dev,
    int *suspect)
{
	json_t *rows = NULL, *d;
	const char *state, *in;
	int rc = -1;

	if (req_sql(r, "SELECT state, case_id, reason FROM devices WHERE id = "
	    "?", json_pack("[s]", dev), &rows) != 0)
		return -1;
	d = json_array_get(rows, 0);
	state = json_string_value(json_object_get(d, "state"));
	in = json_string_value(json_object_get(d, "case_id"));
	if (d == NULL)
		req_fail(r, "not_found", "no device %s", dev);
	else if (in != NULL)
		req_fail(r, "refused", "device %s is already in case %s", dev,
		    in);
	else if (strcmp(state, "released") == 0)
		req_fail(r, "refused", "device %s was released; its record is "
		    "closed", dev);
	else if (req_sql(r, "UPDATE devices SET case_id = ? WHERE id = ?",
	    json_pack("[s, s]", case_id, dev), NULL) == 0 &&
	    req_event(r, "case.link", json_pack("{s:s, s:s}", "case", case_id,
	    "device", dev), json_object()) == 0) {
		if (strcmp(json_string_value(json_object_get(d, "reason")),
		    "suspected_illegal") == 0)
			*suspect = 1;
		rc = 0;
	}
	json_decref(rows);
	return rc;
}

static int
string_array(struct req *r, const char *name, json_t **out)
{
	json_t *a = json_object_get(r->args, name), *v;
	size_t i;

	*out = a;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 100)
		return req_fail(r, "bad_request", "%s must be a list of at "
		    "most 100 strings", name);
	json_array_foreach(a, i, v)
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 64)
			return req_fail(r, "bad_request", "%s must hold "
			    "strings of 1 to 64 characters", name);
	return 0;
}

int
h_case_open(struct req *r)
{
	json_t *rows = NULL, *devices, *pupils, *v;
	const char *category, *summary;
	char id[32];
	int bad = 0, n, suspect;
	size_t i;

	if (arg_need(r, "category", "summary", NULL) != 0 ||
	    (category = arg_str(r, "category", 32, &bad)) == NULL ||
	    (summary = arg_str(r, "summary", 4000, &bad)) == NULL ||
	    category_ok(r, category) != 0 ||
	    string_array(r, "devices", &devices) != 0 ||
	    string_array(r, "pupils", &pupils) != 0)
		return -1;
	if (req_sql(r, "SELECT coalesce(max(n), 0) + 1 AS n FROM cases", NULL,
	    &rows) != 0)
		return -1;
	n = (int)json_integer_value(json_object_get(json_array_get(rows, 0),
	    "n"));
	json_decref(rows);
	(void)snprintf(id, sizeof(id), "CASE-%04d", n);
	suspect = category_locks(category);
	if (req_sql(r, "INSERT INTO cases (id, n, category, summary, "
	    "opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?)",
	    json_pack("[s, i, s, s, s, I]", id, n, category, summary, r->user,
	    (json_int_t)daemon_now_ms()), NULL) != 0 ||
	    req_event(r, "case.open", json_pack("{s:s}", "case", id),
	    json_pack("{s:s, s:s, s:o, s:o}", "category", category, "summary",
	    summary, "devices", devices ? json_incref(devices) : json_array(),
	    "pupils", pupils ? json_incref(pupils) : json_array())) != 0)
		return -1;
	json_array_foreach(pupils, i, v)
		if (req_sql(r, "INSERT OR IGNORE INTO case_pupils VALUES (?, ?)",
		    json_pack("[s, O]", id, v), NULL) != 0)
			return -1;
	json_array_foreach(devices, i, v)
		if (case_link_device(r, id, json_string_value(v), &suspect) != 0)
			return -1;
	if (suspect && (req_sql(r, "UPDATE cases SET offence_suspected = 1 "
	    "WHERE id = ?", json_pack("[s]", id), NULL) != 0 ||
	    req_event(r, "case.flag", json_pack("{s:s}", "case", id),
	    json_pack("{s:s, s:b, s:s}", "flag", "offence_suspected", "value",
	    1, "why", "category or device reason indicates an offence")) != 0))
		return -1;
	r->result = json_pack("{s:s, s:b}", "case", id, "offence_suspected",
	    suspect);
	return 0;
}

int
h_case_show(struct req *r)
{
	json_t *c = NULL, *devices = NULL, *pupils = NULL, *events = NULL;
	const char *id;

	if (case_arg(r, &id, &c) != 0)
		return -1;
	if (req_sql(r, "SELECT id, state, pupil, reason, location, seal FROM "
	    "devices WHERE case_id = ? ORDER BY n", json_pack("[s]", id),
	    &devices) != 0 || req_sql(r, "SELECT pupil FROM case_pupils "
	    "WHERE case_id = ?", json_pack("[s]", id), &pupils) != 0 ||
	    subject_events(r, "case", id, &events) != 0) {
		json_decref(c);
		json_decref(devices);
		json_decref(pupils);
		return -1;
	}
	r->result = json_pack("{s:o, s:o, s:o, s:o}", "case", c, "devices",
	    devices, "pupils", pupils, "events", events);
	return 0;
}

int
h_case_list(struct req *r)
{
	json_t *rows = NULL;

	if (req_sql(r, "SELECT c.*, (SELECT count(*) FROM devices d WHERE "
	    "d.case_id = c.id) AS devices FROM cases c WHERE ?1 IS NULL OR "
	    "c.crime_ref = ?1 ORDER BY c.n", json_pack("[s?]", r->role ==
	    ROLE_POLICE ? r->crime_ref : NULL), &rows) != 0)
		return -1;
	r->result = json_pack("{s:o}", "cases", rows);
	return 0;
}

int
h_case_classify(struct req *r)
{
	json_t *c = NULL;
	const char *id, *category, *old;
	int bad = 0, rc = -1, lock;

	if (case_arg(r, &id, &c) != 0)
		return -1;
	if (arg_need(r, "category", NULL) != 0 ||
	    (category = arg_str(r, "category", 32, &bad)) == NULL ||
	    category_ok(r, category) != 0)
		goto out;
	old = json_string_value(json_object_get(c, "category"));
	lock = category_locks(category) &&
	    !json_integer_value(json_object_get(c, "offence_suspected"));
	if (req_sql(r, "UPDATE cases SET category = ?, offence_suspected = "
	    "max(offence_suspected, ?) WHERE id = ?", json_pack("[s, b, s]",
	    category, lock, id), NULL) != 0 ||
	    req_event(r, "case.classify", json_pack("{s:s}", "case", id),
	    json_pack("{s:s, s:s}", "from", old, "to", category)) != 0)
		goto out;
	if (lock && req_event(r, "case.flag", json_pack("{s:s}", "case", id),
	    json_pack("{s:s, s:b, s:s}", "flag", "offence_suspected", "value",
	    1, "why", "category indicates an offence")) != 0)
		goto out;
	rc = 0;
out:
	json_decref(c);
	return rc;
}

int
h_case_flag(struct req *r)
{
	json_t *c = NULL, *value = json_object_get(r->args, "value");
	const char *id, *flag, *why;
	int bad = 0, rc = -1;

	if (case_arg(r, &id, &c) != 0)
		return -1;
	if (arg_need(r, "flag", "value", "why", NULL) != 0 ||
	    (flag = arg_str(r, "flag", 32, &bad)) == NULL ||
	    (why = arg_str(r, "why", 2000, &bad)) == NULL)
		goto out;
	if (strcmp(flag, "offence_suspected") != 0 || !json_is_boolean(value)) {
		req_fail(r, "bad_request", "flag must be offence_suspected and "
		    "value true or false");
		goto out;
	}
	if (req_sql(r, "UPDATE cases SET offence_suspected = ? WHERE id = ?",
	    json_pack("[b, s]", json_is_true(value), id), NULL) != 0 ||
	    req_event(r, "case.flag", json_pack("{s:s}", "case", id),
	    json_pack("{s:s, s:O, s:s}", "flag", flag, "value", value, "why",
	    why)) != 0)
		goto out;
	rc = 0;
out:
	json_decref(c);
	return rc;
}

int
h_case_link(struct req *r)
{
	json_t *c = NULL;
	const char *id, *dev;
	int bad = 0, rc = -1, suspect = 0;

	if (case_arg(r, &id, &c) != 0)
		return -1;
	if (arg_need(r, "device", NULL) != 0 ||
	    (dev = arg_str(r, "device", 32, &bad)) == NULL ||
	    case_link_device(r, id, dev, &suspect) != 0)
		goto out;
	if (suspect && !json_integer_value(json_object_get(c,
	    "offence_suspected")) && (req_sql(r, "UPDATE cases SET "
	    "offence_suspected = 1 WHERE id = ?", json_pack("[s]", id),
	    NULL) != 0 || req_event(r, "case.flag", json_pack("{s:s}", "case",
	    id), json_pack("{s:s, s:b, s:s}", "flag", "offence_suspected",
	    "value", 1, "why", "device confiscated for suspected illegal "
	    "material")) != 0))
		goto out;
	rc = 0;
out:
	json_decref(c);
	return rc;
}

int
h_case_refer(struct req *r)
{
	struct custody_time t;
	json_t *c = NULL, *data = NULL;
	const char *id, *force, *ref, *officer, *at;
	int bad = 0, rc = -1;
	int64_t ms;

	if (case_arg(r, &id, &c) != 0)
		return -1;
	if (arg_need(r, "force", "crime_ref", "officer", NULL) != 0)
		goto out;
	force = arg_str(r, "force", 128, &bad);
	ref = arg_str(r, "crime_ref", 64, &bad);
	officer = arg_str(r, "officer", 128, &bad);
	at = arg_str(r, "referred_at", 32, &bad);
	if (bad || custody_time_now(&t) != 0)
		goto out;
	if (at != NULL && strcmp(at, "now") != 0 &&
	    custody_time_parse(at, &ms) != 0) {
		req_fail(r, "bad_request", "referred_at must be \"now\" or a "
		    "UTC time like 2026-11-22T09:15:00.000Z");
		goto out;
	}
	if (at == NULL || strcmp(at, "now") == 0)
		at = t.utc;
	if (json_integer_value(json_object_get(c, "police_referred"))) {
		req_fail(r, "conflict", "case %s is already referred to police "
		    "under %s", id, json_string_value(json_object_get(c,
		    "crime_ref")));
		goto out;
	}
	data = json_pack("{s:s, s:s, s:s, s:s}", "force", force, "crime_ref",
	    ref, "officer", officer, "referred_at", at);
	if (req_sql(r, "UPDATE cases SET police_referred = 1, force = ?, "
	    "crime_ref = ?, officer = ?, referred_at = ? WHERE id = ?",
	    json_pack("[s, s, s, s, s]", force, ref, officer, at, id),
	    NULL) != 0 || req_event(r, "case.refer", json_pack("{s:s}", "case",
	    id), json_incref(data)) != 0)
		goto out;
	rc = 0;
out:
	json_decref(data);
	json_decref(c);
	return rc;
}
