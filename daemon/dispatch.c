/*
 * dispatch.c -- one request in, one reply out.
 *
 * Order, for every request: parse and check the envelope; find the
 * operation's policy rule; find the session (unless the op is public) and
 * reload the account, so a disabled or expired account or a changed role
 * takes effect at once; check the role against the rule; check the
 * step-up password; then run the handler inside one transaction.  Events
 * the handler appended are committed with a signed checkpoint before the
 * reply is sent, and the reply carries the receipt.  A refused request
 * rolls back whatever the handler did and is itself recorded as an
 * access.denied event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/utf8.h"
#include "daemon/daemon.h"

struct route {
	const char	*op;
	handler_fn	*fn;
};

static const struct route routes[] = {
	{ "auth.login", h_auth_login },
	{ "auth.logout", h_auth_logout },
	{ "auth.whoami", h_auth_whoami },
	{ "auth.passwd", h_auth_passwd },
	{ "station.status", h_station_status },
	{ "log.receipt", h_log_receipt },
	{ "log.verify", h_log_verify },
	{ "report", h_report },
	{ "user.add", h_user_add },
	{ "user.list", h_user_list },
	{ "user.disable", h_user_disable },
	{ "user.passwd", h_user_passwd },
	{ "user.role", h_user_role },
	{ "police.add", h_police_add },
	{ "device.register", h_device_register },
	{ "device.list", h_device_list },
	{ "device.show", h_device_show },
	{ "device.seal", h_device_action },
	{ "device.move", h_device_action },
	{ "device.checkout", h_device_action },
	{ "device.return", h_device_action },
	{ "device.search", h_device_action },
	{ "device.refer", h_device_action },
	{ "device.release", h_device_action },
	{ "device.handover", h_device_action },
	{ "case.open", h_case_open },
	{ "case.show", h_case_show },
	{ "case.list", h_case_list },
	{ "case.classify", h_case_classify },
	{ "case.flag", h_case_flag },
	{ "case.link", h_case_link },
	{ "case.refer", h_case_refer },
	{ "item.add", h_item_add },
	{ "item.list", h_item_list },
	{ "item.delete", h_item_delete },
	{ "view.justify", h_view_justify },
	{ "view.open", h_view_open },
	{ "device.unseal", h_device_unseal },
	{ "case.export", h_case_export },
	{ "export.fetch", h_export_fetch },
	{ "export.list", h_export_list },
	{ NULL, NULL },
};

static handler_fn *
route_find(const char *op)
{
	const struct route *rt;

	for (rt = routes; rt->op != NULL; rt++)
		if (strcmp(rt->op, op) == 0)
			return rt->fn;
	return NULL;
}

/* Checks the envelope: {"v":1,"op":"...","session":"...","args":{}}. */
static int
envelope(struct req *r, json_t *req, const char **token)
{
	const char *k;
	json_t *v;

	if (!json_is_object(req))
		return req_fail(r, "bad_request", "a request is a JSON object");
	json_object_foreach(req, k, v) {
		if (strcmp(k, "v") != 0 && strcmp(k, "op") != 0 &&
		    strcmp(k, "session") != 0 && strcmp(k, "args") != 0)
			return req_fail(r, "bad_request", "unknown field "
			    "'%.40s' in the request", k);
	}
	v = json_object_get(req, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return req_fail(r, "bad_request", "unsupported protocol "
		    "version: this daemon speaks v 1");
	if (!json_is_string(v = json_object_get(req, "op")) ||
	    json_string_length(v) > 64)
		return req_fail(r, "bad_request", "op must be a string");
	r->op = json_string_value(v);
	v = json_object_get(req, "session");
	if (v != NULL && !json_is_string(v))
		return req_fail(r, "bad_request", "session must be a string");
	*token = json_string_value(v);
	v = json_object_get(req, "args");
	if (v != NULL && !json_is_object(v))
		return req_fail(r, "bad_request", "args must be an object");
	r->args = v;
	return 0;
}

/* Reloads the session's account; refuses disabled or expired ones. */
static int
load_account(struct req *r, const char *token)
{
	json_t *rows = NULL, *u;
	const char *role;
	int rc = -1;

	if ((r->sess = session_find(r->d, token, r->uid)) == NULL)
		return req_fail(r, "unauthenticated", "not logged in, or the "
		    "session expired; log in again (custody login)");
	if (req_sql(r, "SELECT role, disabled, expires, crime_ref FROM users "
	    "WHERE name = ?", json_pack("[s]", r->sess->user), &rows) != 0)
		return -1;
	u = json_array_get(rows, 0);
	role = json_string_value(json_object_get(u, "role"));
	if (u == NULL || role == NULL || role_parse(role, &r->role) != 0 ||
	    !json_is_null(json_object_get(u, "disabled")) ||
	    (json_is_integer(json_object_get(u, "expires")) &&
	    json_integer_value(json_object_get(u, "expires")) * 1000 <
	    daemon_now_ms())) {
		(void)snprintf(r->user, sizeof(r->user), "%s", r->sess->user);
		session_drop(r->d, r->sess);
		r->sess = NULL;
		r->role = ROLE_NONE;
		req_fail(r, "unauthenticated", "account %s is disabled or has "
		    "expired; ask the station technician", r->user);
		goto out;
	}
	(void)snprintf(r->user, sizeof(r->user), "%s", r->sess->user);
	if (json_is_string(json_object_get(u, "crime_ref")))
		(void)snprintf(r->crime_ref, sizeof(r->crime_ref), "%s",
		    json_string_value(json_object_get(u, "crime_ref")));
	rc = 0;
out:
	json_decref(rows);
	return rc;
}

/* The caller's password again, for step-up operations. */
static int
stepup(struct req *r)
{
	json_t *rows = NULL, *pw = json_object_get(r->args, "password");
	const char *hash;
	int rc = -1, e;

	if (!json_is_string(pw))
		return req_fail(r, "bad_request", "missing password: %s needs "
		    "your password again", r->op);
	if (req_sql(r, "SELECT hash FROM users WHERE name = ?",
	    json_pack("[s]", r->user), &rows) != 0)
		return -1;
	hash = json_string_value(json_object_get(json_array_get(rows, 0),
	    "hash"));
	e = hash == NULL ? CUSTODY_ERR_VERIFY : auth_verify(
	    json_string_value(pw), json_string_length(pw), hash);
	if (e != 0)
		req_fail(r, "refused", "step-up failed: that is not your "
		    "password");
	else
		rc = 0;
	json_decref(rows);
	return rc;
}

/* Records a refusal in its own transaction. */
static void
record_denial(struct req *r)
{
	json_t *subject = json_object(), *data;
	const char *ids[] = { "device", "case", "user" };
	char err[256] = "";
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		json_t *v = json_object_get(r->args, ids[i]);

		if (json_is_string(v) && json_string_length(v) <= 64)
			json_object_set(subject, ids[i], v);
	}
	data = json_pack("{s:s, s:s, s:s}", "op", r->op ? r->op : "?",
	    "code", r->code, "reason", r->msg);
	if (custody_log_begin(r->d->log) != 0)
		goto out;
	{
		struct req tmp = *r;

		tmp.events = 0;
		if (req_event(&tmp, "access.denied", json_incref(subject),
		    json_incref(data)) != 0 ||
		    custody_log_commit(r->d->log, err, sizeof(err)) != 0) {
			custody_log_abort(r->d->log);
			dlog("cannot record a refusal: %s", err);
		}
	}
out:
	json_decref(subject);
	json_decref(data);
}

/* Commits the handler's events and puts the receipt in the result. */
static int
commit(struct req *r)
{
	struct receipt rc;
	char err[256] = "", *text = NULL;
	int e;

	if ((e = custody_log_commit(r->d->log, err, sizeof(err))) != 0) {
		/*
		 * Rolled back here, but when COMMIT failed in its fsync
		 * after SQLite wrote the WAL frames, a crash before the next
		 * commit can still bring them back (tests/integration/
		 * test_fault.c), so then the client is not told that
		 * nothing changed.  A failure before COMMIT (signing the
		 * checkpoint, storing it) leaves nothing.
		 */
		dlog("commit failed: %s", err);
		return req_store_fail(r, e, err,
		    custody_log_in_doubt(r->d->log));
	}
	if (r->result == NULL)
		r->result = json_object();
	if (custody_log_commit_receipt(r->d->log, &rc) == 0 &&
	    receipt_format(&rc, &text) == 0) {
		json_object_set_new(r->result, "seq", json_integer(
		    (json_int_t)r->seq));
		json_object_set_new(r->result, "receipt", json_string(text));
	}
	free(text);
	receipt_clear(&rc);
	return 0;
}

static void
run(struct req *r, json_t *req)
{
	const char *token = NULL;
	handler_fn *fn;
	int allowed, ok, e;

	if (envelope(r, req, &token) != 0)
		return;
	if ((r->rule = policy_find(r->op)) == NULL ||
	    (fn = route_find(r->op)) == NULL) {
		req_fail(r, "bad_request", "unknown operation '%.64s'; see "
		    "custody(1)", r->op);
		r->op = NULL;
		return;
	}
	/* One transaction for the whole request: reads and writes. */
	if ((e = custody_log_begin(r->d->log)) != 0) {
		if (e == CUSTODY_ERR_DB && store_busy(r->d->st)) {
			dlog("cannot begin a transaction: %s",
			    store_errmsg(r->d->st));
			req_fail(r, "internal", "the custody log is locked by "
			    "another program (%s): stop whatever has custody.db "
			    "open for writing and try again",
			    store_errmsg(r->d->st));
		} else {
			dlog("cannot begin a transaction: %s%s%s",
			    custody_strerror(e), e == CUSTODY_ERR_DB ? ": " :
			    "", e == CUSTODY_ERR_DB ? store_errmsg(r->d->st) :
			    "");
			req_fail(r, "internal", "cannot open the custody log for "
			    "this request: %s; see journalctl -u custodyd",
			    custody_strerror(e));
		}
		return;
	}
	errno = 0;
	allowed = !((!(r->rule->flags & POLICY_PUBLIC) &&
	    load_account(r, token) != 0) ||
	    policy_check(r->rule, r->role, r->msg, sizeof(r->msg)) != 0 ||
	    ((r->rule->flags & POLICY_STEPUP) && stepup(r) != 0));
	ok = allowed && fn(r) == 0;
	/*
	 * An allocation failed on the way (malloc's ENOMEM): jansson, for
	 * one, can leave a member out of an object without saying so, and
	 * a scrypt that could not run looks like a wrong password.  Neither
	 * the answer nor a refusal can be trusted, so nothing is kept.
	 */
	if (errno == ENOMEM) {
		custody_log_abort(r->d->log);
		req_store_fail(r, CUSTODY_ERR_NOMEM, NULL, 0);
		return;
	}
	if (!allowed) {
		if (r->code == NULL)
			r->code = "forbidden";
		custody_log_abort(r->d->log);
		goto denied;
	}
	if ((ok || r->keep) && r->events > 0) {
		if (commit(r) != 0)
			return;
		if (ok && r->usb_port[0] != '\0')
			usbmon_registered(r->d, r->usb_port, r->usb_device);
		/*
		 * A crypto-shred: the blob goes once the record of it is
		 * safe, and the WAL's old copy of the wrapped key with it.
		 */
		if (ok && r->unlink_after[0] != '\0') {
			if (unlink(r->unlink_after) == -1)
				dlog("cannot remove %s: %s", r->unlink_after,
				    strerror(errno));
			if (store_wal_flush(r->d->st) != 0)
				dlog("cannot empty the WAL after a deletion: "
				    "%s", store_errmsg(r->d->st));
		}
	} else
		custody_log_abort(r->d->log);
	if (ok)
		return;
denied:
	if (r->code != NULL && (strcmp(r->code, "forbidden") == 0 ||
	    strcmp(r->code, "refused") == 0 ||
	    strcmp(r->code, "unauthenticated") == 0 ||
	    strcmp(r->code, "locked") == 0) && !r->keep)
		record_denial(r);
}

/*
 * Makes s valid UTF-8 in place, each byte that starts no valid sequence
 * becoming '?'.  An error message may quote what the client sent, cut
 * anywhere: jansson's parse errors quote the bad token raw and truncate
 * it, maybe inside a character.  json_pack refuses invalid UTF-8, and
 * the client would then get no answer at all.
 */
static void
reply_utf8(char *s)
{
	size_t i = 0, n = strlen(s), k;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_decode((const uint8_t *)s + i, n - i, &cp)) == 0)
			s[i++] = '?';
		else
			i += k;
	}
}

static char *
reply(struct req *r, size_t *len)
{
	json_t *j;
	char *s;

	errno = 0;
	if (r->code != NULL) {
		reply_utf8(r->msg);
		j = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
		    r->code, "message", r->msg);
	} else
		j = json_pack("{s:b, s:O}", "ok", 1, "result",
		    r->result ? r->result : json_object());
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	/*
	 * jansson can write a broken document when an allocation fails
	 * half-way (a key left out): the caller sends its own answer.
	 */
	if (errno == ENOMEM) {
		free(s);
		return NULL;
	}
	if (s != NULL && strlen(s) > DAEMON_MAX_REPLY) {
		free(s);
		s = strdup("{\"ok\":false,\"error\":{\"code\":\"too_large\","
		    "\"message\":\"the answer is too large; narrow the "
		    "query\"}}");
	}
	if (s != NULL)
		*len = strlen(s);
	return s;
}

char *
dispatch(struct daemon *d, const char *msg, size_t len, uid_t uid, gid_t gid,
    pid_t pid, int fd_in, int *fd_out, size_t *replylen)
{
	json_error_t je;
	json_t *req;
	struct req r;
	char *out;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.uid = uid;
	r.gid = gid;
	r.pid = pid;
	r.fd_in = fd_in;
	r.fd_out = -1;
	*fd_out = -1;
	d->requests++;
	/*
	 * jansson can turn a failed allocation into a syntax error, or
	 * into no error and an object that lacks a member (test_fault's
	 * allocation sweep); malloc's ENOMEM gives it away, since parsing
	 * calls nothing else that sets errno.
	 */
	errno = 0;
	req = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
	if (errno == ENOMEM) {
		json_decref(req);
		req = NULL;
		req_store_fail(&r, CUSTODY_ERR_NOMEM, NULL, 0);
	} else if (req == NULL)
		req_fail(&r, "bad_request", "malformed JSON at byte %d: %s",
		    je.position, je.text);
	else
		run(&r, req);
	out = reply(&r, replylen);
	/* A descriptor goes back only with a successful answer. */
	if (r.fd_out != -1 && (r.code != NULL || out == NULL)) {
		close(r.fd_out);
		r.fd_out = -1;
	}
	*fd_out = r.fd_out;
	json_decref(r.result);
	json_decref(req);
	return out;
}
