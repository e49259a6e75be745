/*
 * h_auth.c -- login, logout, whoami, and changing one's own password.
 *
 * Every failed login is an auth.failed event and the fifth in a row locks
 * the account for AUTH_LOCK_SECONDS (an auth.locked event).  Those events
 * are kept even though the request fails (r->keep).  An unknown user name
 * costs the same scrypt work as a known one, so timing does not tell
 * which names exist.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "daemon/daemon.h"

/*
 * Verifies against a hash, made once at start-up, of a password nobody
 * knows: an unknown name costs one KDF run, like a known one.
 */
static void
auth_waste(struct req *r, const char *pw, size_t len)
{
	if (r->d->dummy_hash[0] != '\0')
		(void)auth_verify(pw, len, r->d->dummy_hash);
}

static int
login_failed(struct req *r, const char *user, json_t *u, const char *why)
{
	int64_t now = daemon_now_ms() / 1000, until, before;
	unsigned int failures;
	json_t *subject = json_pack("{s:s}", "user", user);

	r->keep = 1;
	if (u != NULL) {
		failures = (unsigned int)json_integer_value(json_object_get(u,
		    "failures")) + 1;
		before = until = json_integer_value(json_object_get(u,
		    "locked_until"));
		if (!auth_locked(until, now))
			until = auth_after_failure(failures, until, now);
		if (req_sql(r, "UPDATE users SET failures = ?, locked_until = ?"
		    " WHERE name = ?", json_pack("[i, I, s]", failures, until,
		    user), NULL) == 0 &&
		    req_event(r, "auth.failed", json_incref(subject),
		    json_pack("{s:s, s:i}", "reason", why, "failures",
		    failures)) == 0 && until != before)
			(void)req_event(r, "auth.locked", json_incref(subject),
			    json_pack("{s:I}", "until", until));
	} else
		(void)req_event(r, "auth.failed", json_incref(subject),
		    json_pack("{s:s}", "reason", why));
	json_decref(subject);
	if (strcmp(why, "locked") == 0)
		return req_fail(r, "locked", "account %s is locked after %d "
		    "failed logins; wait %d minutes or ask the station "
		    "technician", user, AUTH_LOCK_FAILURES,
		    AUTH_LOCK_SECONDS / 60);
	return req_fail(r, "unauthenticated", "wrong user name or password");
}

int
h_auth_login(struct req *r)
{
	json_t *rows = NULL, *u, *pwj = json_object_get(r->args, "password");
	const char *user, *hash, *pw;
	char token[DAEMON_TOKEN_HEX + 1];
	size_t pwlen;
	int bad = 0, rc = -1;

	if (arg_need(r, "user", "password", NULL) != 0)
		return -1;
	if ((user = arg_str(r, "user", DAEMON_NAME_MAX - 1, &bad)) == NULL ||
	    !json_is_string(pwj) || json_string_length(pwj) > AUTH_MAX_PASSWORD)
		return bad ? -1 : req_fail(r, "bad_request", "user and "
		    "password must be strings");
	pw = json_string_value(pwj);
	pwlen = json_string_length(pwj);
	(void)snprintf(r->user, sizeof(r->user), "%s", user);
	if (req_sql(r, "SELECT * FROM users WHERE name = ?",
	    json_pack("[s]", user), &rows) != 0)
		return -1;
	if ((u = json_array_get(rows, 0)) == NULL) {
		auth_waste(r, pw, pwlen);
		rc = login_failed(r, user, NULL, "unknown user");
		goto out;
	}
	hash = json_string_value(json_object_get(u, "hash"));
	if (auth_locked(json_integer_value(json_object_get(u,
	    "locked_until")), daemon_now_ms() / 1000)) {
		rc = login_failed(r, user, u, "locked");
		goto out;
	}
	if (hash == NULL || auth_verify(pw, pwlen, hash) != 0) {
		rc = login_failed(r, user, u, "wrong password");
		goto out;
	}
	if (!json_is_null(json_object_get(u, "disabled")) ||
	    (json_is_integer(json_object_get(u, "expires")) &&
	    json_integer_value(json_object_get(u, "expires")) * 1000 <
	    daemon_now_ms())) {
		rc = login_failed(r, user, NULL, "disabled or expired");
		(void)snprintf(r->msg, sizeof(r->msg), "account %s is "
		    "disabled or has expired; ask the station technician",
		    user);
		goto out;
	}
	if (role_parse(json_string_value(json_object_get(u, "role")),
	    &r->role) != 0 || session_new(r->d, r->uid, user, token) != 0) {
		req_fail(r, "internal", "cannot start a session");
		goto out;
	}
	if (req_sql(r, "UPDATE users SET failures = 0, locked_until = 0 "
	    "WHERE name = ?", json_pack("[s]", user), NULL) != 0 ||
	    req_event(r, "auth.login", json_pack("{s:s}", "user", user),
	    json_object()) != 0)
		goto out;
	r->result = json_pack("{s:s, s:s, s:s, s:i}", "session", token,
	    "user", user, "role", role_name(r->role), "idle_timeout",
	    r->d->cfg.session_idle);
	OPENSSL_cleanse(token, sizeof(token));
	rc = 0;
out:
	json_decref(rows);
	return rc;
}

int
h_auth_logout(struct req *r)
{
	if (req_event(r, "auth.logout", json_pack("{s:s}", "user", r->user),
	    json_object()) != 0)
		return -1;
	session_drop(r->d, r->sess);
	r->sess = NULL;
	return 0;
}

int
h_auth_whoami(struct req *r)
{
	r->result = json_pack("{s:s, s:s, s:I, s:i}", "user", r->user,
	    "role", role_name(r->role), "uid", (json_int_t)r->uid,
	    "idle_timeout", r->d->cfg.session_idle);
	if (r->crime_ref[0] != '\0')
		json_object_set_new(r->result, "crime_ref",
		    json_string(r->crime_ref));
	return 0;
}

int
new_password_hash(struct req *r, const char *user, char *hash, size_t len)
{
	json_t *v = json_object_get(r->args, "new_password");
	char why[256];

	if (!json_is_string(v))
		return req_fail(r, "bad_request", "missing new_password");
	if (auth_policy_check(user, json_string_value(v),
	    json_string_length(v), why, sizeof(why)) != 0)
		return req_fail(r, "refused", "%s", why);
	if (auth_hash(json_string_value(v), json_string_length(v),
	    &r->d->cfg.kdf, hash, len) != 0)
		return req_fail(r, "internal", "cannot hash the password");
	return 0;
}

int
h_auth_passwd(struct req *r)
{
	char hash[AUTH_HASH_MAX];

	if (new_password_hash(r, r->user, hash, sizeof(hash)) != 0)
		return -1;
	if (req_sql(r, "UPDATE users SET hash = ? WHERE name = ?",
	    json_pack("[s, s]", hash, r->user), NULL) != 0)
		return -1;
	return req_event(r, "user.passwd", json_pack("{s:s}", "user",
	    r->user), json_pack("{s:s}", "by", "self"));
}
