/*
 * h_station.c -- station status, receipts, verification and the
 * governors' report (counts only, never identities).
 */
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

#include "common/error.h"
#include "daemon/daemon.h"
#include "evidence/verify.h"
#include "hashing/digest.h"

/*
 * The kernel's view of clock discipline (NTP or systemd-timesyncd).  Under
 * the hardened unit (ProtectClock=) adjtimex is refused even for reading;
 * then timesyncd's flag file says whether the clock was synchronised.
 */
static json_t *
clock_state(void)
{
	struct timex tx;
	int s;

	memset(&tx, 0, sizeof(tx));
	if ((s = adjtimex(&tx)) == -1)
		return json_pack("{s:b, s:s}", "synchronized", access(
		    "/run/systemd/timesync/synchronized", F_OK) == 0, "source",
		    "systemd-timesyncd");
	return json_pack("{s:b, s:I}", "synchronized", s != TIME_ERROR &&
	    !(tx.status & STA_UNSYNC), "max_error_us",
	    (json_int_t)tx.maxerror);
}

static json_t *
disk_state(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) != 0)
		return json_null();
	return json_pack("{s:I, s:I}", "free_bytes", (json_int_t)sv.f_bavail *
	    (json_int_t)sv.f_frsize, "total_bytes", (json_int_t)sv.f_blocks *
	    (json_int_t)sv.f_frsize);
}

/* Overdue devices: their ids for those who handle devices, else a count. */
static int
status_overdue(struct req *r, json_t *res)
{
	json_t *rows = NULL, *dev, *list = json_array();
	int64_t now = daemon_now_ms();
	int n = 0, show = r->role == ROLE_SLT || r->role == ROLE_DSL ||
	    r->role == ROLE_HEAD;
	size_t i;

	if (req_sql(r, "SELECT d.id, d.state, d.registered_at, "
	    "d.confiscated_at, d.location, "
	    "c.offence_suspected, c.police_referred FROM devices d LEFT JOIN "
	    "cases c ON c.id = d.case_id WHERE d.state IN ('held', "
	    "'checked_out')", NULL, &rows) != 0) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(rows, i, dev) {
		if (!device_overdue(r->d, dev, now))
			continue;
		n++;
		if (show)
			json_array_append(list, dev);
	}
	json_decref(rows);
	json_object_set_new(res, "overdue_count", json_integer(n));
	if (show)
		json_object_set_new(res, "overdue", list);
	else
		json_decref(list);
	return 0;
}

int
h_station_status(struct req *r)
{
	json_t *res, *rows = NULL, *warn = json_array();
	char root[65];
	uint8_t rt[32];
	size_t i;
	json_t *row;

	if (auth_cost_weak(&r->d->cfg.kdf))
		json_array_append_new(warn, json_string("password hashing is "
		    "weaker than the shipped scrypt cost (N=2^17, r=8, p=1); "
		    "set kdf_log2n = 17, kdf_r = 8, kdf_p = 1 in "
		    "custody.conf"));
	if (req_sql(r, "SELECT size, time FROM checkpoints ORDER BY size DESC "
	    "LIMIT 1", NULL, &rows) != 0) {
		json_decref(warn);
		return -1;
	}
	(void)merkle_root(custody_log_size(r->d->log), store_node_get,
	    r->d->st, rt);
	digest_hex(rt, 32, root);
	res = json_pack("{s:s, s:s, s:I, s:s, s:O, s:o, s:o, s:o, s:s}",
	    "station", custody_log_origin(r->d->log), "fingerprint",
	    custody_log_fingerprint(r->d->log), "log_size",
	    (json_int_t)custody_log_size(r->d->log), "root", root,
	    "checkpoint_time", json_object_get(json_array_get(rows, 0),
	    "time") ?: json_null(), "clock", clock_state(), "disk",
	    disk_state(r->d->cfg.state), "warnings", warn, "version", "1");
	json_decref(rows);
	if (!json_is_true(json_object_get(json_object_get(res, "clock"),
	    "synchronized")))
		json_array_append_new(warn, json_string("the clock is not "
		    "synchronised: event times may be wrong; check "
		    "timedatectl"));
	if (status_overdue(r, res) != 0)
		goto fail;
	json_object_set_new(res, "usb", usbmon_status(r->d));
	/* Serials and device ids are school business, not the police's
	 * or the governors'. */
	if (r->role == ROLE_POLICE || r->role == ROLE_AUDITOR ||
	    r->role == ROLE_ADMIN)
		json_object_del(json_object_get(res, "usb"), "plugged");
	if (r->d->cfg.usb_monitor && strcmp(json_string_value(json_object_get(
	    json_object_get(res, "usb"), "state")) ?: "", "stopped") == 0)
		json_array_append_new(warn, json_string("USB detection has "
		    "stopped: phones plugged in are not recorded; restart "
		    "custodyd and see journalctl -u custodyd"));
	if (r->role == ROLE_DSL) {
		json_t *list = json_array();

		if (req_sql(r, "SELECT body FROM events WHERE action = "
		    "'access.denied' ORDER BY seq DESC LIMIT 10", NULL,
		    &rows) != 0) {
			json_decref(list);
			goto fail;
		}
		json_array_foreach(rows, i, row)
			json_array_append_new(list, json_loads(
			    json_string_value(json_object_get(row, "body")), 0,
			    NULL) ?: json_null());
		json_decref(rows);
		json_object_set_new(res, "recent_denials", list);
	}
	r->result = res;
	return 0;
fail:
	json_decref(res);
	return -1;
}

int
h_log_receipt(struct req *r)
{
	json_t *v = json_object_get(r->args, "seq");
	struct receipt rc;
	char err[256], *text = NULL;

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return req_fail(r, "bad_request", "seq must be a non-negative "
		    "integer");
	if (custody_log_receipt(r->d->log, (uint64_t)json_integer_value(v),
	    &rc, err, sizeof(err)) != 0)
		return req_fail(r, "not_found", "%s", err);
	if (receipt_format(&rc, &text) != 0) {
		receipt_clear(&rc);
		return req_fail(r, "internal", "cannot format the receipt");
	}
	r->result = json_pack("{s:s}", "receipt", text);
	free(text);
	receipt_clear(&rc);
	return 0;
}

int
h_log_verify(struct req *r)
{
	struct verify_result res;
	char err[512] = "", root[65];
	int e;

	e = log_verify(r->d->st, NULL, &res, err, sizeof(err));
	digest_hex(res.root, 32, root);
	r->result = json_pack("{s:b, s:I, s:I, s:s, s:s}", "ok", e == 0,
	    "events", (json_int_t)res.events, "checkpoints",
	    (json_int_t)res.checkpoints, "root", root, "fingerprint",
	    res.fingerprint);
	if (e != 0)
		json_object_set_new(r->result, "error", json_string(err));
	return 0;
}

/* Figures for governors: counts by month and reason, never identities. */
int
h_report(struct req *r)
{
	json_t *by_month = NULL, *cases = NULL, *release = NULL, *held = NULL;
	json_t *tmp = json_object();

	if (req_sql(r, "SELECT strftime('%Y-%m', registered_at / 1000, "
	    "'unixepoch') AS month, reason, count(*) AS devices FROM devices "
	    "GROUP BY month, reason ORDER BY month, reason", NULL,
	    &by_month) != 0 || req_sql(r, "SELECT strftime('%Y-%m', opened_at "
	    "/ 1000, 'unixepoch') AS month, category, count(*) AS cases, "
	    "sum(police_referred) AS referred FROM cases GROUP BY month, "
	    "category ORDER BY month, category", NULL, &cases) != 0 ||
	    req_sql(r, "SELECT count(*) AS released, CAST(coalesce(avg("
	    "closed_at - registered_at), 0) / 60000 AS INTEGER) AS "
	    "mean_minutes_to_release FROM devices WHERE state = 'released'",
	    NULL, &release) != 0 ||
	    req_sql(r, "SELECT state, count(*) AS devices FROM devices GROUP "
	    "BY state ORDER BY state", NULL, &held) != 0 ||
	    status_overdue(r, tmp) != 0) {
		json_decref(by_month);
		json_decref(cases);
		json_decref(release);
		json_decref(held);
		json_decref(tmp);
		return -1;
	}
	r->result = json_pack("{s:o, s:o, s:o, s:O, s:O, s:O}",
	    "registrations_by_month", by_month, "cases_by_month", cases,
	    "devices_by_state", held, "overdue_count",
	    json_object_get(tmp, "overdue_count"), "released",
	    json_object_get(json_array_get(release, 0), "released"),
	    "mean_minutes_to_release", json_object_get(json_array_get(release,
	    0), "mean_minutes_to_release"));
	json_decref(release);
	json_decref(tmp);
	return 0;
}
