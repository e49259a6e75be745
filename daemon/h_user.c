/*
 * h_user.c -- accounts: the technician (admin) adds, disables and resets
 * them; the DSL adds time-limited police accounts for one crime
 * reference.  No password or hash ever enters the custody log.
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/timefmt.h"
#include "daemon/daemon.h"

/* User names: 1-63 of [a-z0-9._-], starting with a letter or digit. */
static int
user_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= DAEMON_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '.' || c == '_' || c == '-'))))
			return 0;
	}
	return 1;
}

static int
user_arg(struct req *r, const char **user)
{
	int bad = 0;

	if (arg_need(r, "user", NULL) != 0)
		return -1;
	if ((*user = arg_str(r, "user", DAEMON_NAME_MAX - 1, &bad)) == NULL)
		return -1;
	if (!user_name_ok(*user))
		return req_fail(r, "bad_request", "user name '%s' is not "
		    "valid: use lower-case letters, digits, '.', '_' or '-'",
		    *user);
	return 0;
}

/* Adds an account row and its event. */
static int
user_insert(struct req *r, const char *user, enum role role, json_t *extra)
{
	struct custody_time t;
	char hash[AUTH_HASH_MAX];
	json_t *rows = NULL, *data;
	int n;

	if (req_sql(r, "SELECT count(*) AS n FROM users WHERE name = ?",
	    json_pack("[s]", user), &rows) != 0)
		return -1;
	n = (int)json_integer_value(json_object_get(json_array_get(rows, 0),
	    "n"));
	json_decref(rows);
	if (n > 0)
		return req_fail(r, "conflict", "user %s already exists", user);
	if (new_password_hash(r, user, hash, sizeof(hash)) != 0 ||
	    custody_time_now(&t) != 0)
		return -1;
	if (req_sql(r, "INSERT INTO users (name, role, hash, created, "
	    "created_by, expires, crime_ref, force, officer, collar) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", json_pack("[s, s, s, s, s, O, O,"
	    " O, O, O]", user, role_name(role), hash, t.utc, r->user,
	    json_object_get(extra, "expires") ? json_object_get(extra,
	    "expires") : json_null(),
	    json_object_get(extra, "crime_ref") ? json_object_get(extra,
	    "crime_ref") : json_null(),
	    json_object_get(extra, "force") ? json_object_get(extra,
	    "force") : json_null(),
	    json_object_get(extra, "officer") ? json_object_get(extra,
	    "officer") : json_null(),
	    json_object_get(extra, "collar") ? json_object_get(extra,
	    "collar") : json_null()), NULL) != 0)
		return -1;
	data = json_deep_copy(extra);
	json_object_set_new(data, "role", json_string(role_name(role)));
	return req_event(r, role == ROLE_POLICE ? "police.add" : "user.add",
	    json_pack("{s:s}", "user", user), data);
}

int
h_user_add(struct req *r)
{
	const char *user, *role;
	enum role ro;
	json_t *extra;
	int bad = 0, rc;

	if (user_arg(r, &user) != 0 || arg_need(r, "role", "new_password",
	    NULL) != 0 || (role = arg_str(r, "role", 16, &bad)) == NULL)
		return -1;
	if (role_parse(role, &ro) != 0)
		return req_fail(r, "bad_request", "unknown role '%s': use "
		    "staff, slt, dsl, head, admin or auditor", role);
	if (ro == ROLE_POLICE)
		return req_fail(r, "refused", "police accounts are made by "
		    "the DSL for one crime reference (custody police add)");
	extra = json_object();
	rc = user_insert(r, user, ro, extra);
	json_decref(extra);
	return rc;
}

/*
 * The crime reference and force of the case named in args.case, which
 * must have been referred to police.  The values are copied into the
 * request's args, which live until the request ends.
 */
static int
police_case(struct req *r, const char **ref, const char **force)
{
	json_t *rows = NULL, *c;
	const char *id;
	int bad = 0;

	if ((id = arg_str(r, "case", 32, &bad)) == NULL)
		return bad ? -1 : req_fail(r, "bad_request", "missing case");
	if (req_sql(r, "SELECT crime_ref, force, police_referred FROM cases "
	    "WHERE id = ?", json_pack("[s]", id), &rows) != 0)
		return -1;
	c = json_array_get(rows, 0);
	if (c == NULL) {
		json_decref(rows);
		return req_fail(r, "not_found", "no case %s", id);
	}
	if (!json_integer_value(json_object_get(c, "police_referred"))) {
		json_decref(rows);
		return req_fail(r, "refused", "case %s has no police referral; "
		    "refer it first (custody case refer)", id);
	}
	/* Keep the values alive for the caller: park them in args. */
	json_object_set(r->args, "crime_ref", json_object_get(c, "crime_ref"));
	json_object_set(r->args, "force", json_object_get(c, "force"));
	json_decref(rows);
	*ref = json_string_value(json_object_get(r->args, "crime_ref"));
	*force = json_string_value(json_object_get(r->args, "force"));
	return 0;
}

int
h_police_add(struct req *r)
{
	const char *user, *ref = NULL, *force = NULL, *officer, *collar;
	json_t *extra, *hv = json_object_get(r->args, "hours");
	int bad = 0, rc, hours = r->d->cfg.police_hours;
	int64_t expires;

	if (user_arg(r, &user) != 0)
		return -1;
	if (json_object_get(r->args, "case") != NULL) {
		/* For a case: its referral names the reference and force. */
		if (arg_need(r, "officer", "collar", "new_password", NULL) != 0 ||
		    police_case(r, &ref, &force) != 0)
			return -1;
	} else {
		if (arg_need(r, "crime_ref", "force", "officer", "collar",
		    "new_password", NULL) != 0)
			return -1;
		ref = arg_str(r, "crime_ref", 64, &bad);
		force = arg_str(r, "force", 128, &bad);
	}
	officer = arg_str(r, "officer", 128, &bad);
	collar = arg_str(r, "collar", 32, &bad);
	if (bad)
		return -1;
	if (hv != NULL && (!json_is_integer(hv) ||
	    json_integer_value(hv) < 1 || json_integer_value(hv) > 24 * 14))
		return req_fail(r, "bad_request", "hours must be 1 to 336");
	if (hv != NULL)
		hours = (int)json_integer_value(hv);
	expires = daemon_now_ms() / 1000 + (int64_t)hours * 3600;
	extra = json_pack("{s:I, s:s, s:s, s:s, s:s}", "expires",
	    (json_int_t)expires, "crime_ref", ref, "force", force, "officer",
	    officer, "collar", collar);
	rc = user_insert(r, user, ROLE_POLICE, extra);
	json_decref(extra);
	if (rc == 0)
		r->result = json_pack("{s:s, s:I}", "user", user, "expires",
		    (json_int_t)expires);
	return rc;
}

int
h_user_list(struct req *r)
{
	json_t *rows = NULL;

	if (req_sql(r, "SELECT name AS user, role, created, created_by, "
	    "disabled, expires, crime_ref, failures, locked_until FROM users "
	    "ORDER BY name", NULL, &rows) != 0)
		return -1;
	r->result = json_pack("{s:o}", "users", rows);
	return 0;
}

/* Requires the account to exist; returns its role in *role. */
static int
user_exists(struct req *r, const char *user, enum role *role)
{
	json_t *rows = NULL;
	const char *ro;
	int rc = 0;

	if (req_sql(r, "SELECT role FROM users WHERE name = ?",
	    json_pack("[s]", user), &rows) != 0)
		return -1;
	ro = json_string_value(json_object_get(json_array_get(rows, 0),
	    "role"));
	if (ro == NULL || role_parse(ro, role) != 0)
		rc = req_fail(r, "not_found", "no user %s", user);
	json_decref(rows);
	return rc;
}

int
h_user_disable(struct req *r)
{
	struct custody_time t;
	const char *user;
	enum role role;

	if (user_arg(r, &user) != 0 || user_exists(r, user, &role) != 0)
		return -1;
	if (strcmp(user, r->user) == 0)
		return req_fail(r, "refused", "you cannot disable your own "
		    "account; ask another technician");
	if (custody_time_now(&t) != 0 || req_sql(r, "UPDATE users SET "
	    "disabled = ? WHERE name = ? AND disabled IS NULL",
	    json_pack("[s, s]", t.utc, user), NULL) != 0)
		return -1;
	session_drop_user(r->d, user);
	return req_event(r, "user.disable", json_pack("{s:s}", "user", user),
	    json_object());
}

int
h_user_passwd(struct req *r)
{
	char hash[AUTH_HASH_MAX];
	const char *user;
	enum role role;

	if (user_arg(r, &user) != 0 || user_exists(r, user, &role) != 0 ||
	    new_password_hash(r, user, hash, sizeof(hash)) != 0)
		return -1;
	if (req_sql(r, "UPDATE users SET hash = ?, failures = 0, "
	    "locked_until = 0 WHERE name = ?", json_pack("[s, s]", hash,
	    user), NULL) != 0)
		return -1;
	session_drop_user(r->d, user);
	return req_event(r, "user.passwd", json_pack("{s:s}", "user", user),
	    json_pack("{s:s}", "by", "admin"));
}

int
h_user_role(struct req *r)
{
	const char *user, *role;
	enum role old, ro;
	int bad = 0;

	if (user_arg(r, &user) != 0 || arg_need(r, "role", NULL) != 0 ||
	    (role = arg_str(r, "role", 16, &bad)) == NULL ||
	    user_exists(r, user, &old) != 0)
		return -1;
	if (role_parse(role, &ro) != 0 || ro == ROLE_POLICE ||
	    old == ROLE_POLICE)
		return req_fail(r, "bad_request", "role '%s' cannot be given "
		    "here: use staff, slt, dsl, head, admin or auditor", role);
	if (strcmp(user, r->user) == 0)
		return req_fail(r, "refused", "you cannot change your own "
		    "role; ask another technician");
	if (req_sql(r, "UPDATE users SET role = ? WHERE name = ?",
	    json_pack("[s, s]", role_name(ro), user), NULL) != 0)
		return -1;
	return req_event(r, "user.role", json_pack("{s:s}", "user", user),
	    json_pack("{s:s, s:s}", "from", role_name(old), "to",
	    role_name(ro)));
}
