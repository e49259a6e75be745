/*
 * h_item.c -- evidence items and the view gate (DESIGN sections 8, 9).
 *
 * Intake reads the content from a descriptor the DSL's client passed,
 * once: it is hashed, typed and encrypted straight into items/ID.blob,
 * and only the hashes, the type and the wrapped key reach the database.
 *
 * Viewing takes two requests.  view.justify records the justification
 * (UKCIS reason, text, headteacher consulted, place, a witness who signs
 * in at the same terminal, the same-sex answer) as an event, committed
 * with a signed checkpoint, and returns a grant: one item, one viewer,
 * one use, a short window.  view.open spends the grant: the item is
 * decrypted into a sealed memfd that goes back with the answer, after the
 * gate.view event is committed.  Nothing in clear is ever written to a
 * file.  Deletion crypto-shreds: the wrapped key is destroyed (with
 * secure_delete on) and the blob unlinked once that is committed; the
 * hashes and the record stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "daemon/daemon.h"
#include "evidence/item.h"
#include "hashing/digest.h"

#define VIEW_MIN_TEXT	40

static const char *const view_reasons[] = { "decide_referral",
	"report_removal", "child_shown", "other", NULL };

/* Cases whose images and video are gated whatever their type. */
static int
gated_category(const char *c)
{
	return c != NULL && (strcmp(c, "nudes") == 0 ||
	    strcmp(c, "iioc") == 0 || strcmp(c, "csae") == 0);
}

static int
item_blob_path(const struct req *r, const char *id, const char *suffix,
    char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s/%s%s", station_dir_path(
	    r->d->station), STATION_ITEMS, id, suffix);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Loads an item row; police see only their crime reference's items. */
static int
item_load(struct req *r, const char *id, json_t **it)
{
	json_t *rows = NULL;

	*it = NULL;
	if (req_sql(r, "SELECT i.*, c.category, c.offence_suspected, "
	    "c.police_referred, c.crime_ref FROM items i JOIN cases c ON "
	    "c.id = i.case_id WHERE i.id = ?", json_pack("[s]", id),
	    &rows) != 0)
		return -1;
	*it = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	if (*it == NULL)
		return req_fail(r, "not_found", "no item %s", id);
	return 0;
}

/* Seals the content from fd into a new blob; fills s. */
static int
item_store(struct req *r, const char *id, unsigned int algs,
    struct item_sealed *s)
{
	char tmp[PATH_MAX], fin[PATH_MAX], err[256], dir[PATH_MAX];
	struct stat sb;
	int out = -1, e, dfd;

	if (fstat(r->fd_in, &sb) == -1 || (!S_ISREG(sb.st_mode) &&
	    !S_ISFIFO(sb.st_mode)))
		return req_fail(r, "bad_request", "the content must come as a "
		    "regular file or a pipe");
	if (item_blob_path(r, id, ".tmp", tmp, sizeof(tmp)) != 0 ||
	    item_blob_path(r, id, ".blob", fin, sizeof(fin)) != 0)
		return req_fail(r, "internal", "item path too long");
	(void)unlink(tmp);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return req_fail(r, "internal", "cannot create the item's blob: "
		    "%s", strerror(errno));
	e = item_seal(r->fd_in, out, station_master(r->d->station), algs, s,
	    err, sizeof(err));
	if (e == 0 && fsync(out) == -1)
		e = CUSTODY_ERR_IO;
	close(out);
	if (e == 0 && rename(tmp, fin) == -1)
		e = CUSTODY_ERR_IO;
	if (e != 0) {
		(void)unlink(tmp);
		return req_fail(r, e == CUSTODY_ERR_IO ? "internal" :
		    "bad_request", "cannot take in the item: %s", e ==
		    CUSTODY_ERR_IO ? strerror(errno) : err);
	}
	(void)snprintf(dir, sizeof(dir), "%s/%s", station_dir_path(
	    r->d->station), STATION_ITEMS);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
h_item_add(struct req *r)
{
	struct item_sealed s;
	json_t *rows = NULL, *c, *data;
	const char *case_id, *ref, *name;
	char id[32], h256[65], h512[129], hmd5[33], hsha1[41], wrapped[81];
	unsigned int algs = 0;
	int bad = 0, n, gated, rc = -1;

	memset(&s, 0, sizeof(s));
	if (arg_need(r, "case", NULL) != 0 ||
	    (case_id = arg_str(r, "case", 32, &bad)) == NULL)
		return -1;
	ref = arg_str(r, "police_request", 64, &bad);
	name = arg_str(r, "name", 255, &bad);
	if (bad)
		return -1;
	if (r->fd_in == -1)
		return req_fail(r, "bad_request", "no content: pass the file "
		    "as a descriptor (custody item add CASE FILE)");
	if (json_is_true(json_object_get(r->args, "md5")))
		algs |= DIGEST_MD5;
	if (json_is_true(json_object_get(r->args, "sha1")))
		algs |= DIGEST_SHA1;
	if (req_sql(r, "SELECT category FROM cases WHERE id = ?",
	    json_pack("[s]", case_id), &rows) != 0)
		return -1;
	if ((c = json_array_get(rows, 0)) == NULL) {
		req_fail(r, "not_found", "no case %s", case_id);
		goto out;
	}
	if (req_sql(r, "SELECT coalesce(max(n), 0) + 1 AS n FROM items",
	    NULL, &data) != 0)
		goto out;
	n = (int)json_integer_value(json_object_get(json_array_get(data, 0),
	    "n"));
	json_decref(data);
	(void)snprintf(id, sizeof(id), "ITEM-%04d", n);
	if (item_store(r, id, algs, &s) != 0)
		goto out;
	gated = s.is_media || gated_category(json_string_value(
	    json_object_get(c, "category")));
	digest_hex(s.digests.sha256, 32, h256);
	digest_hex(s.digests.sha512, 64, h512);
	digest_hex(s.digests.md5, 16, hmd5);
	digest_hex(s.digests.sha1, 20, hsha1);
	digest_hex(s.wrapped, ITEM_WRAPPED_LEN, wrapped);
	data = json_pack("{s:s, s:I, s:s, s:s, s:b, s:s?, s:s?, s:s?, s:s?}",
	    "type", s.type, "size", (json_int_t)s.digests.size, "sha256", h256,
	    "sha512", h512, "gated", gated, "md5", algs & DIGEST_MD5 ? hmd5 :
	    NULL, "sha1", algs & DIGEST_SHA1 ? hsha1 : NULL, "police_request",
	    ref, "name", name);
	if (req_sql(r, "INSERT INTO items (id, n, case_id, type, media, "
	    "gated, size, sha256, sha512, md5, sha1, wrapped, police_request, "
	    "name, added_by, added_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, 'stored')", json_pack("[s, i, s, s, b, b, "
	    "I, s, s, s?, s?, s, s?, s?, s, I]", id, n, case_id, s.type,
	    s.is_media, gated, (json_int_t)s.digests.size, h256, h512,
	    algs & DIGEST_MD5 ? hmd5 : NULL, algs & DIGEST_SHA1 ? hsha1 : NULL,
	    wrapped, ref, name, r->user, (json_int_t)daemon_now_ms()),
	    NULL) != 0 || req_event(r, "item.add", json_pack("{s:s, s:s}",
	    "case", case_id, "item", id), json_incref(data)) != 0) {
		json_decref(data);
		goto out;
	}
	json_object_set_new(data, "item", json_string(id));
	r->result = data;
	rc = 0;
out:
	OPENSSL_cleanse(wrapped, sizeof(wrapped));
	OPENSSL_cleanse(&s, sizeof(s));
	json_decref(rows);
	return rc;
}

int
h_item_list(struct req *r)
{
	json_t *rows = NULL;
	const char *case_id;
	int bad = 0;

	if (arg_need(r, "case", NULL) != 0 ||
	    (case_id = arg_str(r, "case", 32, &bad)) == NULL)
		return -1;
	/* Metadata only: never the wrapped key, never content. */
	if (req_sql(r, "SELECT i.id, i.type, i.size, i.sha256, i.sha512, "
	    "i.md5, i.sha1, i.gated, i.state, i.police_request, i.added_by, "
	    "i.added_at, i.deleted_at FROM items i JOIN cases c ON c.id = "
	    "i.case_id WHERE i.case_id = ?1 AND (?2 IS NULL OR c.crime_ref = "
	    "?2) ORDER BY i.n", json_pack("[s, s?]", case_id, r->role ==
	    ROLE_POLICE ? r->crime_ref : NULL), &rows) != 0)
		return -1;
	r->result = json_pack("{s:s, s:o}", "case", case_id, "items", rows);
	return 0;
}

int
h_item_delete(struct req *r)
{
	json_t *it = NULL;
	const char *id, *why;
	int bad = 0, rc = -1;

	if (arg_need(r, "item", "why", NULL) != 0 ||
	    (id = arg_str(r, "item", 32, &bad)) == NULL ||
	    (why = arg_str(r, "why", 2000, &bad)) == NULL ||
	    item_load(r, id, &it) != 0)
		return -1;
	if (!json_is_true(json_object_get(r->args, "no_agency_needs"))) {
		req_fail(r, "refused", "record first that no other agency "
		    "needs the item (UKCIS): no_agency_needs");
		goto out;
	}
	if (json_integer_value(json_object_get(it, "offence_suspected")) ||
	    json_integer_value(json_object_get(it, "police_referred"))) {
		req_fail(r, "refused", "item %s is in a case flagged %s; it "
		    "cannot be deleted", id, json_integer_value(
		    json_object_get(it, "police_referred")) ?
		    "police_referred" : "offence_suspected");
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(it, "state")),
	    "stored") != 0) {
		req_fail(r, "refused", "item %s was already deleted", id);
		goto out;
	}
	if (item_blob_path(r, id, ".blob", r->unlink_after,
	    sizeof(r->unlink_after)) != 0 ||
	    req_sql(r, "UPDATE items SET wrapped = NULL, state = 'deleted', "
	    "deleted_at = ? WHERE id = ?", json_pack("[I, s]",
	    (json_int_t)daemon_now_ms(), id), NULL) != 0 ||
	    req_event(r, "item.delete", json_pack("{s:s, s:O}", "item", id,
	    "case", json_object_get(it, "case_id")), json_pack("{s:s, s:b, "
	    "s:s}", "why", why, "no_agency_needs", 1, "method",
	    "crypto-shred")) != 0) {
		r->unlink_after[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	json_decref(it);
	return rc;
}

/* The witness signs in at the same terminal: a different, live account. */
static int
view_witness(struct req *r, json_t *data)
{
	json_t *rows = NULL, *u, *pw = json_object_get(r->args,
	    "witness_password");
	const char *w, *hash, *role;
	int bad = 0, rc = -1;

	if ((w = arg_str(r, "witness_user", DAEMON_NAME_MAX - 1, &bad)) ==
	    NULL) {
		if (bad || r->d->cfg.view_witness)
			return bad ? -1 : req_fail(r, "bad_request", "missing "
			    "witness_user: a second member of staff witnesses "
			    "the viewing (view_witness = required)");
		json_object_set_new(data, "witness", json_null());
		return 0;
	}
	if (strcmp(w, r->user) == 0)
		return req_fail(r, "refused", "the witness must be another "
		    "person");
	if (!json_is_string(pw))
		return req_fail(r, "bad_request", "missing witness_password: "
		    "the witness signs in at this terminal");
	if (req_sql(r, "SELECT role, hash, disabled FROM users WHERE name = "
	    "?", json_pack("[s]", w), &rows) != 0)
		return -1;
	u = json_array_get(rows, 0);
	hash = json_string_value(json_object_get(u, "hash"));
	role = json_string_value(json_object_get(u, "role"));
	if (u == NULL || hash == NULL || !json_is_null(json_object_get(u,
	    "disabled")) || auth_verify(json_string_value(pw),
	    json_string_length(pw), hash) != 0)
		req_fail(r, "refused", "the witness's sign-in failed");
	else if (strcmp(role, "police") == 0 || strcmp(role, "admin") == 0 ||
	    strcmp(role, "auditor") == 0)
		req_fail(r, "refused", "a %s account cannot witness a viewing; "
		    "ask a member of staff", role);
	else {
		json_object_set_new(data, "witness", json_string(w));
		json_object_set_new(data, "witness_role", json_string(role));
		rc = 0;
	}
	json_decref(rows);
	return rc;
}

/* Checks the justification's fields into data. */
static int
view_fields(struct req *r, json_t *data)
{
	const char *reason, *text, *head, *place, *why_not;
	json_t *same = json_object_get(r->args, "same_sex");
	int bad = 0, i, known = 0;

	if (arg_need(r, "reason", "text", "head_consulted", "location",
	    "same_sex", NULL) != 0)
		return -1;
	reason = arg_str(r, "reason", 32, &bad);
	text = arg_str(r, "text", 4000, &bad);
	head = arg_str(r, "head_consulted", 128, &bad);
	place = arg_str(r, "location", 128, &bad);
	why_not = arg_str(r, "same_sex_reason", 2000, &bad);
	if (bad)
		return -1;
	for (i = 0; view_reasons[i] != NULL; i++)
		known |= strcmp(reason, view_reasons[i]) == 0;
	if (!known)
		return req_fail(r, "bad_request", "reason must be one of "
		    "decide_referral, report_removal, child_shown, other");
	if (strlen(text) < VIEW_MIN_TEXT)
		return req_fail(r, "bad_request", "the justification must be at "
		    "least %d characters: say why viewing is needed and why "
		    "there is no other option", VIEW_MIN_TEXT);
	if (!json_is_boolean(same))
		return req_fail(r, "bad_request", "same_sex must be true or "
		    "false");
	if (json_is_false(same) && why_not == NULL)
		return req_fail(r, "bad_request", "missing same_sex_reason: "
		    "say why the witness is not of the child's sex");
	json_object_set_new(data, "reason", json_string(reason));
	json_object_set_new(data, "text", json_string(text));
	json_object_set_new(data, "head_consulted", json_string(head));
	json_object_set_new(data, "location", json_string(place));
	json_object_set(data, "same_sex", same);
	if (why_not != NULL)
		json_object_set_new(data, "same_sex_reason",
		    json_string(why_not));
	return 0;
}

static struct grant *
grant_slot(struct daemon *d)
{
	struct grant *g = NULL;
	size_t i;

	for (i = 0; i < DAEMON_MAX_GRANTS; i++) {
		if (d->grants[i].token[0] == '\0' ||
		    d->grants[i].expires < daemon_mono_ms())
			return &d->grants[i];
		if (g == NULL || d->grants[i].expires < g->expires)
			g = &d->grants[i];
	}
	return g;	/* the one that ends soonest gives way */
}

int
h_view_justify(struct req *r)
{
	json_t *it = NULL, *data = json_object();
	struct grant *g;
	const char *id;
	uint8_t raw[32];
	int bad = 0, rc = -1;

	if (arg_need(r, "item", NULL) != 0 || view_fields(r, data) != 0 ||
	    view_witness(r, data) != 0 ||
	    (id = arg_str(r, "item", 32, &bad)) == NULL ||
	    item_load(r, id, &it) != 0)
		goto out;
	if (strcmp(json_string_value(json_object_get(it, "state")),
	    "stored") != 0) {
		req_fail(r, "refused", "item %s was deleted: nothing to view",
		    id);
		goto out;
	}
	g = grant_slot(r->d);
	OPENSSL_cleanse(g, sizeof(*g));
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		req_fail(r, "internal", "no randomness");
		goto out;
	}
	json_object_set_new(data, "window_s",
	    json_integer(r->d->cfg.view_window));
	if (req_event(r, "gate.justify", json_pack("{s:s, s:O}", "item", id,
	    "case", json_object_get(it, "case_id")), json_incref(data)) != 0)
		goto out;
	digest_hex(raw, sizeof(raw), g->token);
	OPENSSL_cleanse(raw, sizeof(raw));
	(void)snprintf(g->item, sizeof(g->item), "%s", id);
	(void)snprintf(g->user, sizeof(g->user), "%s", r->user);
	g->uid = r->uid;
	g->expires = daemon_mono_ms() + (int64_t)r->d->cfg.view_window * 1000;
	r->result = json_pack("{s:s, s:s, s:i}", "grant", g->token, "item",
	    id, "window_s", r->d->cfg.view_window);
	rc = 0;
out:
	json_decref(data);
	json_decref(it);
	return rc;
}

/* Finds and spends the grant named in args, or refuses with why. */
static struct grant *
grant_take(struct req *r, const char *item)
{
	json_t *t = json_object_get(r->args, "grant");
	struct grant *g = NULL;
	size_t i;

	if (!json_is_string(t) || json_string_length(t) != DAEMON_TOKEN_HEX) {
		req_fail(r, "refused", "no grant: record the justification "
		    "first (custody view does both)");
		return NULL;
	}
	for (i = 0; i < DAEMON_MAX_GRANTS; i++)
		if (r->d->grants[i].token[0] != '\0' &&
		    CRYPTO_memcmp(r->d->grants[i].token, json_string_value(t),
		    DAEMON_TOKEN_HEX) == 0)
			g = &r->d->grants[i];
	if (g == NULL)
		req_fail(r, "refused", "no such grant: it was used already, or "
		    "never given");
	else if (strcmp(g->user, r->user) != 0 || g->uid != r->uid)
		req_fail(r, "refused", "this grant was given to someone else");
	else if (strcmp(g->item, item) != 0)
		req_fail(r, "refused", "this grant is for %s, not %s", g->item,
		    item);
	else if (g->expires < daemon_mono_ms())
		req_fail(r, "refused", "the grant has expired; record a new "
		    "justification");
	else {
		OPENSSL_cleanse(g, sizeof(*g));	/* one use */
		return g;
	}
	return NULL;
}

/* Decrypts the item into a sealed memfd; -1 after req_fail. */
static int
view_decrypt(struct req *r, json_t *it, int *memfd)
{
	uint8_t wrapped[ITEM_WRAPPED_LEN], sha[32];
	char path[PATH_MAX], err[256];
	int blob = -1, mfd = -1, e = CUSTODY_ERR_CORRUPT;

	*memfd = -1;
	if (digest_unhex(json_string_value(json_object_get(it, "wrapped")),
	    wrapped, sizeof(wrapped)) != 0 ||
	    digest_unhex(json_string_value(json_object_get(it, "sha256")), sha,
	    sizeof(sha)) != 0 ||
	    item_blob_path(r, json_string_value(json_object_get(it, "id")),
	    ".blob", path, sizeof(path)) != 0)
		goto out;
	if ((blob = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		(void)snprintf(err, sizeof(err), "its blob is missing");
		goto out;
	}
	if ((mfd = memfd_create("custody-item", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1) {
		(void)snprintf(err, sizeof(err), "memfd: %s", strerror(errno));
		goto out;
	}
	if ((e = item_open(blob, wrapped, station_master(r->d->station), sha,
	    mfd, err, sizeof(err))) != 0)
		goto out;
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 ||
	    lseek(mfd, 0, SEEK_SET) == -1) {
		e = CUSTODY_ERR_IO;
		(void)snprintf(err, sizeof(err), "cannot seal: %s",
		    strerror(errno));
		goto out;
	}
	*memfd = mfd;
	mfd = -1;
out:
	OPENSSL_cleanse(wrapped, sizeof(wrapped));
	if (blob != -1)
		close(blob);
	if (mfd != -1)
		close(mfd);	/* may hold a prefix: never passed */
	if (e != 0)
		return req_fail(r, "refused", "item %s cannot be shown: %s; "
		    "nothing was released", json_string_value(json_object_get(
		    it, "id")), e == CUSTODY_ERR_CORRUPT ? "its record is "
		    "damaged" : err);
	return 0;
}

int
h_view_open(struct req *r)
{
	json_t *it = NULL;
	const char *id;
	int bad = 0, rc = -1, mfd = -1;

	if (arg_need(r, "item", "grant", NULL) != 0 ||
	    (id = arg_str(r, "item", 32, &bad)) == NULL ||
	    item_load(r, id, &it) != 0)
		return -1;
	if (grant_take(r, id) == NULL)
		goto out;
	if (view_decrypt(r, it, &mfd) != 0) {
		/* The failed attempt is part of the record too. */
		r->keep = 1;
		(void)req_event(r, "gate.view_failed", json_pack("{s:s, s:O}",
		    "item", id, "case", json_object_get(it, "case_id")),
		    json_pack("{s:s}", "reason", r->msg));
		r->code = "refused";
		goto out;
	}
	/* Committed (by the dispatcher) before the descriptor is sent. */
	if (req_event(r, "gate.view", json_pack("{s:s, s:O}", "item", id,
	    "case", json_object_get(it, "case_id")), json_pack("{s:O, s:O}",
	    "sha256", json_object_get(it, "sha256"), "type",
	    json_object_get(it, "type"))) != 0) {
		close(mfd);
		goto out;
	}
	r->fd_out = mfd;
	r->result = json_pack("{s:s, s:O, s:O, s:O}", "item", id, "type",
	    json_object_get(it, "type"), "size", json_object_get(it, "size"),
	    "sha256", json_object_get(it, "sha256"));
	rc = 0;
out:
	json_decref(it);
	return rc;
}

/*
 * Unsealing a device of a case so the DSL can view content on the phone
 * itself passes the same gate as viewing an item: the justification and
 * the witness are recorded, then the seal is recorded as broken
 * ("unsealed"); the DSL reseals it afterwards (custody device seal
 * --old-seal unsealed).
 */
int
h_device_unseal(struct req *r)
{
	json_t *rows = NULL, *dev, *data = json_object();
	const char *id, *state;
	int bad = 0, rc = -1;

	if (!json_is_true(json_object_get(r->args, "for_viewing"))) {
		req_fail(r, "bad_request", "a device is unsealed only "
		    "for_viewing, through the gate");
		goto out;
	}
	if (arg_need(r, "device", NULL) != 0 || view_fields(r, data) != 0 ||
	    view_witness(r, data) != 0 ||
	    (id = arg_str(r, "device", 32, &bad)) == NULL)
		goto out;
	if (req_sql(r, "SELECT state, seal, case_id FROM devices WHERE id = ?",
	    json_pack("[s]", id), &rows) != 0)
		goto out;
	if ((dev = json_array_get(rows, 0)) == NULL) {
		req_fail(r, "not_found", "no device %s", id);
		goto out;
	}
	state = json_string_value(json_object_get(dev, "state"));
	if (strcmp(state, "held") != 0) {
		req_fail(r, "refused", "device %s is %s; only a held device is "
		    "unsealed for viewing", id, state);
		goto out;
	}
	json_object_set(data, "old_seal", json_object_get(dev, "seal"));
	json_object_set_new(data, "for_viewing", json_true());
	if (req_sql(r, "UPDATE devices SET seal = 'unsealed' WHERE id = ?",
	    json_pack("[s]", id), NULL) != 0 ||
	    req_event(r, "device.unseal", json_is_string(json_object_get(dev,
	    "case_id")) ? json_pack("{s:s, s:O}", "device", id, "case",
	    json_object_get(dev, "case_id")) : json_pack("{s:s}", "device",
	    id), json_incref(data)) != 0)
		goto out;
	r->result = json_pack("{s:s, s:s}", "device", id, "seal", "unsealed");
	rc = 0;
out:
	json_decref(rows);
	json_decref(data);
	return rc;
}
