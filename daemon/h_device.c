/*
 * h_device.c -- the device lifecycle: register, list, show, and every
 * transition (seal, move, checkout, return, search, refer, release,
 * handover).  Whether a transition is allowed is decided by the pure
 * lifecycle_next(); this file gathers the facts, checks the arguments,
 * updates the projection and appends the event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/timefmt.h"
#include "daemon/daemon.h"

static const char *const reasons[] = { "behaviour", "bullying",
	"suspected_nudes", "suspected_illegal", "exam", "other", NULL };
static const char *const powers[] = { "on", "off", "unknown", NULL };

static int
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* An IMEI as typed from the SIM tray: 15 digits with a Luhn check digit. */
static int
imei_ok(const char *s)
{
	int sum = 0, i, d;

	if (strlen(s) != 15)
		return 0;
	for (i = 0; i < 15; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = s[i] - '0';
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return sum % 10 == 0;
}

/*
 * The first end of the school day after registered (ms): a device still
 * held after it is overdue.
 */
static int64_t
overdue_at(int64_t registered, int end_of_day)
{
	struct tm tm;
	time_t t = (time_t)(registered / 1000), dl;

	if (localtime_r(&t, &tm) == NULL)
		return INT64_MAX;
	tm.tm_hour = end_of_day / 60;
	tm.tm_min = end_of_day % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((dl = mktime(&tm)) <= t) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		dl = mktime(&tm);
	}
	return (int64_t)dl * 1000;
}

/* Held past the end of the day, and not kept as evidence in a locked case. */
int
device_overdue(const struct daemon *d, json_t *dev, int64_t now)
{
	const char *state = json_string_value(json_object_get(dev, "state"));
	int64_t since;

	if (state == NULL || (strcmp(state, "held") != 0 &&
	    strcmp(state, "checked_out") != 0))
		return 0;
	if (json_integer_value(json_object_get(dev, "offence_suspected")) ||
	    json_integer_value(json_object_get(dev, "police_referred")))
		return 0;
	/* From the school day it was confiscated on, not when typed in. */
	if (!json_is_string(json_object_get(dev, "confiscated_at")) ||
	    custody_time_parse(json_string_value(json_object_get(dev,
	    "confiscated_at")), &since) != 0)
		since = json_integer_value(json_object_get(dev,
		    "registered_at"));
	return now > overdue_at(since, d->cfg.end_of_day);
}

#define DEVICE_SELECT "SELECT d.*, c.offence_suspected, c.police_referred, " \
	"c.crime_ref FROM devices d LEFT JOIN cases c ON c.id = d.case_id"

/* Loads one device, joined with its case's flags; police see only theirs. */
static int
device_load(struct req *r, const char *id, json_t **dev)
{
	json_t *rows = NULL;
	const char *ref;

	*dev = NULL;
	if (req_sql(r, DEVICE_SELECT " WHERE d.id = ?", json_pack("[s]", id),
	    &rows) != 0)
		return -1;
	*dev = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	ref = json_string_value(json_object_get(*dev, "crime_ref"));
	if (*dev != NULL && r->role == ROLE_POLICE && (ref == NULL ||
	    strcmp(ref, r->crime_ref) != 0)) {
		json_decref(*dev);
		*dev = NULL;
	}
	if (*dev == NULL)
		return req_fail(r, "not_found", "no device %s; see custody "
		    "device list", id);
	return 0;
}

static void
device_facts(json_t *dev, struct dev_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->state = DEV_NONE;
	if (dev == NULL)
		return;
	(void)dev_state_parse(json_string_value(json_object_get(dev,
	    "state")), &f->state);
	f->in_case = json_is_string(json_object_get(dev, "case_id"));
	f->offence_suspected = (int)json_integer_value(json_object_get(dev,
	    "offence_suspected"));
	f->police_referred = (int)json_integer_value(json_object_get(dev,
	    "police_referred"));
	f->suspected = json_is_string(json_object_get(dev, "reason")) &&
	    strncmp(json_string_value(json_object_get(dev, "reason")),
	    "suspected_", 10) == 0;
}

/* Applies the lifecycle; refusals become "forbidden" or "refused". */
static int
device_decide(struct req *r, json_t *dev, enum dev_action a,
    enum dev_state *next)
{
	struct dev_facts f;
	char why[300];

	device_facts(dev, &f);
	if (lifecycle_next(&f, a, r->role, next, why, sizeof(why)) == 0)
		return 0;
	return req_fail(r, strncmp(why, "forbidden", 9) == 0 ? "forbidden" :
	    "refused", "%s", why);
}

/* Copies the string arguments named in the list into data, checked. */
static int
copy_args(struct req *r, json_t *data, size_t max, ...)
{
	const char *name, *v;
	va_list ap;
	int bad = 0;

	va_start(ap, max);
	while ((name = va_arg(ap, const char *)) != NULL) {
		/* A copy that fails (no memory; data NULL) fails r. */
		if ((v = arg_str(r, name, max, &bad)) != NULL &&
		    json_object_set_new(data, name, json_string(v)) != 0)
			bad = req_store_fail(r, CUSTODY_ERR_NOMEM, NULL, 0);
		if (bad)
			break;
	}
	va_end(ap);
	return bad ? -1 : 0;
}

static int
device_next_id(struct req *r, char *id, size_t len, int *n)
{
	json_t *rows = NULL;

	if (req_sql(r, "SELECT coalesce(max(n), 0) + 1 AS n FROM devices",
	    NULL, &rows) != 0)
		return -1;
	*n = (int)json_integer_value(json_object_get(json_array_get(rows, 0),
	    "n"));
	json_decref(rows);
	(void)snprintf(id, len, "DEV-%04d", *n);
	return 0;
}

static int
register_check(struct req *r, json_t *data)
{
	const char *reason = json_string_value(json_object_get(data,
	    "reason"));
	const char *power = json_string_value(json_object_get(data, "power"));
	const char *imei = json_string_value(json_object_get(data, "imei"));
	const char *at = json_string_value(json_object_get(data,
	    "confiscated_at"));
	int64_t ms;

	if (!one_of(reason, reasons))
		return req_fail(r, "bad_request", "reason '%s' is not one of "
		    "behaviour, bullying, suspected_nudes, suspected_illegal, "
		    "exam, other", reason);
	if (strcmp(reason, "other") == 0 &&
	    json_object_get(data, "reason_text") == NULL)
		return req_fail(r, "bad_request", "missing reason_text: say "
		    "why, when the reason is 'other'");
	if (!one_of(power, powers))
		return req_fail(r, "bad_request", "power must be on, off or "
		    "unknown");
	if (imei != NULL && !imei_ok(imei))
		return req_fail(r, "bad_request", "IMEI must be 15 digits "
		    "with a valid check digit (dial *#06# or read the SIM "
		    "tray)");
	if (at != NULL && strcmp(at, "now") != 0 &&
	    custody_time_parse(at, &ms) != 0)
		return req_fail(r, "bad_request", "confiscated_at must be "
		    "\"now\" or a UTC time like 2026-11-22T09:15:00.000Z");
	return 0;
}

/*
 * A device string fit to pre-fill a field: present, text, no controls,
 * no longer than a typed one may be.
 */
static const char *
usb_text(const json_t *identity, const char *name)
{
	const char *s = json_string_value(json_object_get(identity, name));
	const unsigned char *p;

	if (s == NULL || s[0] == '\0' || strlen(s) > 256)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return NULL;
	return s;
}

/*
 * --port: the identity the USB monitor read from the device plugged in
 * there.  Make and model are pre-filled unless staff gave them; the
 * vendor and product ids, serial and port go in their columns (so the
 * device is "seen" when plugged in again) and the whole identity in the
 * event, with the device.detected event it came from.
 */
static int
register_usb(struct req *r, const char *port, json_t *data)
{
	const json_t *ident;
	const char *make, *model;
	json_t *usb;
	uint64_t dseq = 0;
	char why[256];

	if ((ident = usbmon_find(r->d, port, &dseq, why, sizeof(why))) == NULL)
		return req_fail(r, "refused", "%s", why);
	if ((make = usb_text(json_object_get(ident, "classification"),
	    "vendor")) == NULL)
		make = usb_text(ident, "manufacturer");
	/* An iPhone's lockdownd names the model ("iPhone14,2"). */
	if ((model = usb_text(json_object_get(ident, "ios"),
	    "product_type")) == NULL)
		model = usb_text(ident, "product");
	if (json_object_get(data, "make") == NULL && make != NULL)
		json_object_set_new(data, "make", json_string(make));
	if (json_object_get(data, "model") == NULL && model != NULL)
		json_object_set_new(data, "model", json_string(model));
	if ((usb = json_deep_copy(ident)) == NULL)
		return req_fail(r, "internal", "out of memory");
	json_object_set_new(usb, "detected_seq", json_integer(
	    (json_int_t)dseq));
	json_object_set_new(data, "usb", usb);
	(void)snprintf(r->usb_port, sizeof(r->usb_port), "%s", port);
	return 0;
}

int
h_device_register(struct req *r)
{
	struct custody_time t;
	enum dev_state next;
	json_t *data = json_object(), *usb;
	const char *port;
	char id[32];
	int n, rc = -1, bad = 0;

	if (arg_need(r, "pupil", "reason", "location", "seal", "power",
	    NULL) != 0 || device_decide(r, NULL, ACT_REGISTER, &next) != 0)
		goto out;
	if (copy_args(r, data, 256, "pupil", "reason", "location", "seal",
	    "power", "confiscated_by", "confiscated_at", "make", "model",
	    "colour", "imei", NULL) != 0 ||
	    copy_args(r, data, 2000, "reason_text", "description", NULL) != 0 ||
	    register_check(r, data) != 0 || custody_time_now(&t) != 0)
		goto out;
	if ((port = arg_str(r, "port", USBMON_PORT_MAX - 1, &bad)) == NULL &&
	    bad)
		goto out;
	if (port != NULL && register_usb(r, port, data) != 0)
		goto out;
	usb = json_object_get(data, "usb");
	if (json_object_get(data, "confiscated_by") == NULL)
		json_object_set_new(data, "confiscated_by", json_string(r->user));
	if (json_object_get(data, "confiscated_at") == NULL || strcmp(
	    json_string_value(json_object_get(data, "confiscated_at")),
	    "now") == 0)
		json_object_set_new(data, "confiscated_at", json_string(t.utc));
	if (device_next_id(r, id, sizeof(id), &n) != 0)
		goto out;
	if (req_sql(r, "INSERT INTO devices (id, n, state, pupil, reason, "
	    "reason_text, confiscated_by, confiscated_at, registered_at, "
	    "registered_by, location, seal, power, description, make, model, "
	    "colour, imei, usb_vendor, usb_product, usb_serial, usb_port) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?)", json_pack("[s, i, s, O, O, O, O, O, I, s, O, O, O, "
	    "O, O, O, O, O, O, O, O, s?]", id, n, dev_state_name(next),
	    json_object_get(data, "pupil"), json_object_get(data, "reason"),
	    json_object_get(data, "reason_text") ?: json_null(),
	    json_object_get(data, "confiscated_by"),
	    json_object_get(data, "confiscated_at"), (json_int_t)t.unix_ms,
	    r->user, json_object_get(data, "location"),
	    json_object_get(data, "seal"), json_object_get(data, "power"),
	    json_object_get(data, "description") ?: json_null(),
	    json_object_get(data, "make") ?: json_null(),
	    json_object_get(data, "model") ?: json_null(),
	    json_object_get(data, "colour") ?: json_null(),
	    json_object_get(data, "imei") ?: json_null(),
	    json_object_get(usb, "vendor_id") ?: json_null(),
	    json_object_get(usb, "product_id") ?: json_null(),
	    json_object_get(usb, "serial") ?: json_null(), port), NULL) != 0)
		goto out;
	if (req_event(r, "device.register", json_pack("{s:s, s:O}", "device",
	    id, "pupil", json_object_get(data, "pupil")),
	    json_incref(data)) != 0)
		goto out;
	r->result = json_pack("{s:s}", "device", id);
	(void)snprintf(r->usb_device, sizeof(r->usb_device), "%s", id);
	if (strncmp(json_string_value(json_object_get(data, "reason")),
	    "suspected_", 10) == 0)
		json_object_set_new(r->result, "advice", json_string("Do not "
		    "search the device or look at its content. Refer it to "
		    "the DSL now: custody device refer"));
	rc = 0;
out:
	json_decref(data);
	return rc;
}

int
h_device_list(struct req *r)
{
	json_t *rows = NULL, *out, *dev, *want;
	const char *state = NULL;
	int64_t now = daemon_now_ms();
	int bad = 0, od;
	size_t i;

	if ((state = arg_str(r, "state", 32, &bad)) == NULL && bad)
		return -1;
	/* What is plugged in now: not records, and nothing about pupils. */
	if (json_is_true(json_object_get(r->args, "detected"))) {
		if (r->role == ROLE_POLICE)
			return req_fail(r, "forbidden", "police accounts see "
			    "only the devices of their case");
		r->result = json_pack("{s:o, s:o}", "detected",
		    usbmon_list(r->d, json_is_true(json_object_get(r->args,
		    "all"))), "usb", usbmon_status(r->d));
		json_object_del(json_object_get(r->result, "usb"), "plugged");
		return 0;
	}
	want = json_object_get(r->args, "overdue");
	/*
	 * Without a state, the devices still in the station's care; closed
	 * records (released, handed to police) only when asked for, and
	 * never more than 200, newest first, so the answer
	 * stays within one message however long the station runs.
	 */
	if (req_sql(r, DEVICE_SELECT " WHERE (?1 IS NULL OR d.state = ?1) AND "
	    "(?2 IS NULL OR c.crime_ref = ?2) AND (?1 IS NOT NULL OR ?3 OR "
	    "d.closed_at IS NULL) ORDER BY d.n DESC LIMIT 200",
	    json_pack("[s?, s?, b]", state, r->role == ROLE_POLICE ?
	    r->crime_ref : NULL, json_is_true(json_object_get(r->args,
	    "all"))), &rows) != 0)
		return -1;
	out = json_array();
	json_array_foreach(rows, i, dev) {
		od = device_overdue(r->d, dev, now);
		if (json_is_true(want) && !od)
			continue;
		json_object_set_new(dev, "overdue", json_boolean(od));
		json_array_append(out, dev);
	}
	r->result = json_pack("{s:o, s:b}", "devices", out, "truncated",
	    json_array_size(rows) == 200);
	json_decref(rows);
	return 0;
}

int
subject_events(struct req *r, const char *kind, const char *id,
    json_t **events)
{
	json_t *rows = NULL, *row, *ev;
	size_t i;

	*events = NULL;
	if (req_sql(r, "SELECT e.body AS body FROM event_subjects s JOIN "
	    "events e ON e.seq = s.seq WHERE s.kind = ? AND s.id = ? ORDER "
	    "BY s.seq LIMIT 500", json_pack("[s, s]", kind, id), &rows) != 0)
		return -1;
	*events = json_array();
	json_array_foreach(rows, i, row) {
		const char *b = json_string_value(json_object_get(row, "body"));

		if (b != NULL && (ev = json_loads(b, 0, NULL)) != NULL)
			json_array_append_new(*events, ev);
	}
	json_decref(rows);
	return 0;
}

int
h_device_show(struct req *r)
{
	json_t *dev = NULL, *events = NULL;
	const char *id;
	int bad = 0;

	if (arg_need(r, "device", NULL) != 0 ||
	    (id = arg_str(r, "device", 32, &bad)) == NULL ||
	    device_load(r, id, &dev) != 0)
		return -1;
	json_object_set_new(dev, "overdue", json_boolean(device_overdue(r->d,
	    dev, daemon_now_ms())));
	if (subject_events(r, "device", id, &events) != 0) {
		json_decref(dev);
		return -1;
	}
	r->result = json_pack("{s:o, s:o}", "device", dev, "events", events);
	return 0;
}

/* The officer countersigns a hand-over by authenticating here. */
static int
handover_countersign(struct req *r, json_t *dev, json_t *data)
{
	json_t *rows = NULL, *u, *pw = json_object_get(r->args,
	    "officer_password");
	const char *officer, *hash, *ref, *case_ref;
	int bad = 0, rc = -1;

	if ((officer = arg_str(r, "officer_user", DAEMON_NAME_MAX - 1,
	    &bad)) == NULL || !json_is_string(pw))
		return bad ? -1 : req_fail(r, "bad_request", "missing "
		    "officer_password: the officer countersigns by typing it");
	if (req_sql(r, "SELECT * FROM users WHERE name = ? AND role = "
	    "'police' AND disabled IS NULL", json_pack("[s]", officer),
	    &rows) != 0)
		return -1;
	u = json_array_get(rows, 0);
	hash = json_string_value(json_object_get(u, "hash"));
	ref = json_string_value(json_object_get(u, "crime_ref"));
	case_ref = json_string_value(json_object_get(dev, "crime_ref"));
	if (u == NULL || hash == NULL || auth_verify(json_string_value(pw),
	    json_string_length(pw), hash) != 0 ||
	    json_integer_value(json_object_get(u, "expires")) * 1000 <
	    daemon_now_ms()) {
		req_fail(r, "refused", "the officer's countersignature failed: "
		    "wrong police user or password, or the account expired");
		goto out;
	}
	if (ref == NULL || case_ref == NULL || strcmp(ref, case_ref) != 0) {
		req_fail(r, "refused", "officer %s is here for crime reference "
		    "%s, but this device's case is referred under %s", officer,
		    ref ? ref : "(none)", case_ref ? case_ref : "(none)");
		goto out;
	}
	json_object_set_new(data, "officer_user", json_string(officer));
	json_object_set(data, "officer", json_object_get(u, "officer"));
	json_object_set(data, "collar", json_object_get(u, "collar"));
	json_object_set(data, "force", json_object_get(u, "force"));
	json_object_set(data, "crime_ref", json_object_get(u, "crime_ref"));
	json_object_set_new(data, "countersigned", json_true());
	rc = 0;
out:
	json_decref(rows);
	return rc;
}

/* Checks an action's own arguments and says how the row changes. */
static int
action_apply(struct req *r, enum dev_action a, json_t *dev, json_t *data,
    json_t **set)
{
	const char *seal = json_string_value(json_object_get(dev, "seal"));
	const char *v;

	*set = json_object();
	switch (a) {
	case ACT_SEAL:
		v = json_string_value(json_object_get(data, "old_seal"));
		if (seal != NULL && strcmp(v, seal) != 0)
			return req_fail(r, "refused", "the record says seal %s,"
			    " not %s: check the bag; if it was opened, record "
			    "that first", seal, v);
		json_object_set(*set, "seal", json_object_get(data,
		    "new_seal"));
		break;
	case ACT_MOVE:
		json_object_set(*set, "location", json_object_get(data,
		    "location"));
		break;
	case ACT_CHECKOUT:
		json_object_set(*set, "holder", json_object_get(data, "to"));
		json_object_set(*set, "purpose", json_object_get(data,
		    "purpose"));
		break;
	case ACT_RETURN:
		json_object_set_new(*set, "holder", json_null());
		json_object_set_new(*set, "purpose", json_null());
		if (json_object_get(data, "seal") != NULL)
			json_object_set(*set, "seal", json_object_get(data,
			    "seal"));
		break;
	case ACT_SEARCH:
		v = json_string_value(json_object_get(data, "consent_by"));
		if (strcmp(v, "pupil") != 0 && strcmp(v, "parent_carer") != 0)
			return req_fail(r, "bad_request", "consent_by must be "
			    "pupil or parent_carer");
		break;
	case ACT_REFER:
		json_object_set_new(*set, "referred", json_integer(1));
		break;
	case ACT_RELEASE:
	case ACT_HANDOVER:
		json_object_set_new(*set, "closed_at",
		    json_integer(daemon_now_ms()));
		if (a == ACT_HANDOVER)
			return handover_countersign(r, dev, data);
		break;
	default:
		break;
	}
	return 0;
}

struct action_spec {
	const char	*op;
	enum dev_action	 action;
	const char	*need[6];	/* required, NULL-terminated */
	const char	*opt[3];	/* optional */
};

static const struct action_spec actions[] = {
	{ "device.seal", ACT_SEAL, { "old_seal", "new_seal", "why" }, { 0 } },
	{ "device.move", ACT_MOVE, { "location" }, { "why" } },
	{ "device.checkout", ACT_CHECKOUT, { "to", "purpose" }, { 0 } },
	{ "device.return", ACT_RETURN, { 0 }, { "seal", "note" } },
	{ "device.search", ACT_SEARCH, { "consent_by", "consent_name",
	    "consent_how", "good_reason", "found" }, { "witness" } },
	{ "device.refer", ACT_REFER, { "reason" }, { 0 } },
	{ "device.release", ACT_RELEASE, { "to_name", "relationship",
	    "id_check" }, { 0 } },
	{ "device.handover", ACT_HANDOVER, { "officer_user",
	    "officer_password", "seal" }, { 0 } },
};

static int
action_args(struct req *r, const struct action_spec *sp, json_t *data)
{
	char missing[256] = "";
	const char *v;
	size_t i, o = 0;
	int bad = 0;

	for (i = 0; i < 6 && sp->need[i] != NULL; i++) {
		json_t *j = json_object_get(r->args, sp->need[i]);

		if (j != NULL && !(json_is_string(j) &&
		    json_string_length(j) == 0))
			continue;
		o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%s%s",
		    o ? ", " : "", sp->need[i]);
	}
	if (o > 0)
		return req_fail(r, "bad_request", "missing %s", missing);
	for (i = 0; i < 9; i++) {
		const char *name = i < 6 ? sp->need[i] : sp->opt[i - 6];

		if (name == NULL || strcmp(name, "officer_password") == 0)
			continue;
		if ((v = arg_str(r, name, 2000, &bad)) != NULL)
			json_object_set_new(data, name, json_string(v));
		if (bad)
			return -1;
	}
	return 0;
}

/* Writes the changed columns (names from the fixed action table). */
static int
device_update(struct req *r, const char *id, enum dev_state next, json_t *set)
{
	static const char *const cols[] = { "seal", "location", "holder",
		"purpose", "referred", "closed_at", NULL };
	json_t *params = json_array();
	char sql[512];
	size_t i, o;

	o = (size_t)snprintf(sql, sizeof(sql), "UPDATE devices SET state = ?");
	json_array_append_new(params, json_string(dev_state_name(next)));
	for (i = 0; cols[i] != NULL; i++) {
		json_t *v = json_object_get(set, cols[i]);

		if (v == NULL)
			continue;
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, ", %s = ?",
		    cols[i]);
		json_array_append(params, v);
	}
	(void)snprintf(sql + o, sizeof(sql) - o, " WHERE id = ?");
	json_array_append_new(params, json_string(id));
	return req_sql(r, sql, params, NULL);
}

int
h_device_action(struct req *r)
{
	const struct action_spec *sp = NULL;
	json_t *dev = NULL, *data = json_object(), *set = NULL, *subject;
	enum dev_state next;
	const char *id;
	char event[40];
	size_t i;
	int bad = 0, rc = -1;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].op, r->op) == 0)
			sp = &actions[i];
	if (sp == NULL || arg_need(r, "device", NULL) != 0 ||
	    (id = arg_str(r, "device", 32, &bad)) == NULL ||
	    device_load(r, id, &dev) != 0 ||
	    device_decide(r, dev, sp->action, &next) != 0 ||
	    action_args(r, sp, data) != 0 ||
	    action_apply(r, sp->action, dev, data, &set) != 0 ||
	    device_update(r, id, next, set) != 0)
		goto out;
	json_object_set(data, "from_state", json_object_get(dev, "state"));
	json_object_set_new(data, "to_state", json_string(dev_state_name(
	    next)));
	subject = json_pack("{s:s}", "device", id);
	if (json_is_string(json_object_get(dev, "case_id")))
		json_object_set(subject, "case", json_object_get(dev,
		    "case_id"));
	(void)snprintf(event, sizeof(event), "%s", r->op);
	if (req_event(r, event, subject, json_incref(data)) != 0)
		goto out;
	r->result = json_pack("{s:s, s:s}", "device", id, "state",
	    dev_state_name(next));
	rc = 0;
out:
	json_decref(dev);
	json_decref(data);
	json_decref(set);
	return rc;
}
