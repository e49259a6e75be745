/*
 * h_export.c -- the sealed police export (DESIGN section 10): one case,
 * everything police need to check it, and nothing about anyone else.
 *
 * The payload is built from the case's own events only (those indexed
 * under the case, its devices or its items), byte for byte as stored, with
 * each event's RFC 9162 inclusion proof in the tree of the newest signed
 * checkpoint, and a consistency proof from every checkpoint that committed
 * one of those events (the ones on the hand-over receipts) to it.  The
 * cost is the case's size plus O(log n) tree reads per event: it does not
 * grow with the length of the whole log.  Items go in only if police
 * asked for them.  bag.c packs, signs and seals it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/escape.h"
#include "common/timefmt.h"
#include "daemon/daemon.h"
#include "evidence/bag.h"
#include "evidence/item.h"
#include "hashing/digest.h"

#define CASE_EVENTS_SQL "SELECT e.seq AS seq, e.body AS body, " \
	"hex(e.leaf_hash) AS leaf FROM events e WHERE e.seq IN (SELECT seq " \
	"FROM event_subjects WHERE (kind = 'case' AND id = ?1) OR (kind = " \
	"'device' AND id IN (SELECT id FROM devices WHERE case_id = ?1)) OR " \
	"(kind = 'item' AND id IN (SELECT id FROM items WHERE case_id = " \
	"?1))) ORDER BY e.seq"

struct payload {
	struct buf	events, proofs, checkpoint, casejson, jsonld, record,
			readme;
	int		item_fd[64];
	char		item_path[64][64];
	size_t		nitems;
};

static void
payload_free(struct payload *p)
{
	size_t i;

	buf_free(&p->events);
	buf_free(&p->proofs);
	buf_free(&p->checkpoint);
	buf_free(&p->casejson);
	buf_free(&p->jsonld);
	buf_free(&p->record);
	buf_free(&p->readme);
	for (i = 0; i < p->nitems; i++)
		if (p->item_fd[i] != -1)
			close(p->item_fd[i]);
}

static json_t *
hex_array(uint8_t path[][32], size_t n)
{
	json_t *a = json_array();
	char hex[65];
	size_t i;

	for (i = 0; i < n; i++) {
		digest_hex(path[i], 32, hex);
		json_array_append_new(a, json_string(hex));
	}
	return a;
}

static int
dump_into(struct buf *b, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	int r;

	json_decref(j);
	if (s == NULL)
		return CUSTODY_ERR_NOMEM;
	r = buf_append(b, s, strlen(s));
	free(s);
	return r == 0 ? buf_putc(b, '\n') : r;
}

/*
 * events.jsonl, proofs.json and checkpoint.txt.  size is the newest
 * checkpoint's size; every proof leads to its root.
 */
static int
payload_log(struct req *r, const char *case_id, struct payload *p,
    json_t *events)
{
	uint8_t path[MERKLE_MAX_CPROOF][32], root[32], old[32];
	struct custody_log *log = r->d->log;
	json_t *pj, *ev, *cons = json_array(), *list = json_array();
	uint64_t size = 0, seq, cp_size, last_cp = 0;
	char *note = NULL, *cpnote = NULL, hex[65];
	size_t n, i;
	int e;

	if ((e = store_checkpoint_latest(r->d->st, &size, root, &note)) != 0)
		goto fail;
	json_array_foreach(events, i, ev) {
		const char *body = json_string_value(json_object_get(ev,
		    "body"));
		uint64_t sz = size;

		seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
		if (buf_append(&p->events, body, strlen(body)) != 0 ||
		    buf_putc(&p->events, '\n') != 0 ||
		    (e = custody_log_proof(log, seq, &sz, root, path, &n)) != 0)
			goto fail;
		json_array_append_new(list, json_pack("{s:I, s:s, s:o}",
		    "seq", (json_int_t)seq, "leaf", json_string_value(
		    json_object_get(ev, "leaf")), "path", hex_array(path, n)));
		/* The checkpoint that committed this event, as on a receipt. */
		if (store_checkpoint_covering(r->d->st, seq + 1, &cp_size, old,
		    &cpnote) != 0)
			continue;
		free(cpnote);
		cpnote = NULL;
		if (cp_size == last_cp || cp_size == size)
			continue;
		last_cp = cp_size;
		if ((e = custody_log_consistency(log, cp_size, size, old, root,
		    path, &n)) != 0)
			goto fail;
		digest_hex(old, 32, hex);
		json_array_append_new(cons, json_pack("{s:I, s:s, s:o}",
		    "from_size", (json_int_t)cp_size, "from_root", hex, "path",
		    hex_array(path, n)));
	}
	digest_hex(root, 32, hex);
	pj = json_pack("{s:s, s:I, s:s, s:o, s:o}", "case", case_id,
	    "tree_size", (json_int_t)size, "root", hex, "inclusion", list,
	    "consistency", cons);
	list = cons = NULL;
	if ((e = dump_into(&p->proofs, pj)) != 0 ||
	    (e = buf_append(&p->checkpoint, note, strlen(note))) != 0)
		goto fail;
	free(note);
	return 0;
fail:
	free(note);
	json_decref(list);
	json_decref(cons);
	return req_fail(r, "internal", "cannot build the proofs: %s",
	    custody_strerror(e));
}

/* Appends "  key: value" lines of an event's data, escaped. */
static void
record_data(struct buf *b, json_t *data)
{
	char esc[600], tmp[512];
	const char *k;
	json_t *v;

	json_object_foreach(data, k, v) {
		if (json_is_string(v))
			(void)snprintf(tmp, sizeof(tmp), "%s", json_string_value(v));
		else if (json_is_integer(v))
			(void)snprintf(tmp, sizeof(tmp), "%lld",
			    (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			(void)snprintf(tmp, sizeof(tmp), "%s", json_is_true(v) ?
			    "yes" : "no");
		else
			continue;
		escape_text(tmp, strlen(tmp), esc, sizeof(esc));
		(void)buf_printf(b, "      %s: %s\n", k, esc);
	}
}

/* custody-record.txt: the chain-of-custody form a person reads. */
static int
payload_record(struct req *r, json_t *c, json_t *devices, json_t *events,
    struct payload *p)
{
	struct buf *b = &p->record;
	json_t *ev, *d, *actor;
	size_t i;
	int e;

	e = buf_printf(b, "CHAIN OF CUSTODY RECORD\n\nStation:      %s\n"
	    "Station key:  SHA-256 %s\nCase:         %s (%s)\nCrime ref:    "
	    "%s, %s\nExported by:  %s\n\nTimes are UTC with the station's "
	    "local offset in brackets.\nEach entry is event SEQ of the "
	    "station's log: check it with custody verify,\nor its leaf hash "
	    "against a paper receipt.\n\nDEVICES\n",
	    custody_log_origin(r->d->log), custody_log_fingerprint(r->d->log),
	    json_string_value(json_object_get(c, "id")),
	    json_string_value(json_object_get(c, "category")),
	    json_string_value(json_object_get(c, "crime_ref")) ?: "(none)",
	    json_string_value(json_object_get(c, "force")) ?: "",
	    r->user);
	json_array_foreach(devices, i, d)
		e = e ? e : buf_printf(b, "  %s  pupil %s  state %s  seal %s  "
		    "IMEI %s  %s %s\n", json_string_value(json_object_get(d,
		    "id")), json_string_value(json_object_get(d, "pupil")),
		    json_string_value(json_object_get(d, "state")),
		    json_string_value(json_object_get(d, "seal")),
		    json_string_value(json_object_get(d, "imei")) ?: "-",
		    json_string_value(json_object_get(d, "make")) ?: "",
		    json_string_value(json_object_get(d, "model")) ?: "");
	e = e ? e : buf_printf(b, "\nEVENTS\n");
	json_array_foreach(events, i, ev) {
		json_t *body = json_loads(json_string_value(json_object_get(ev,
		    "body")), 0, NULL);

		if (body == NULL)
			continue;
		actor = json_object_get(body, "actor");
		e = e ? e : buf_printf(b, "  #%lld  %s (%s)  %s  by %s (%s)\n",
		    (long long)json_integer_value(json_object_get(ev, "seq")),
		    json_string_value(json_object_get(body, "time")),
		    json_string_value(json_object_get(body, "tz")),
		    json_string_value(json_object_get(body, "action")),
		    json_string_value(json_object_get(actor, "user")),
		    json_string_value(json_object_get(actor, "role")));
		if (e == 0) {
			(void)buf_printf(b, "      leaf: %s\n",
			    json_string_value(json_object_get(ev, "leaf")));
			record_data(b, json_object_get(body, "subject"));
			record_data(b, json_object_get(body, "data"));
		}
		json_decref(body);
	}
	e = e ? e : buf_printf(b, "\nCompare the station key and the "
	    "checkpoint in checkpoint.txt with the\nreceipt given at the "
	    "hand-over (custody verify --against RECEIPT).\n");
	return e == 0 ? 0 : req_fail(r, "internal", "out of memory");
}

/*
 * case.jsonld: CASE/UCO provenance.  Each custody event is an
 * InvestigativeAction with its performer, time and objects; devices carry
 * Device and MobileDevice facets; items their hashes.
 */
static int
payload_jsonld(struct req *r, json_t *c, json_t *devices, json_t *items,
    json_t *events, struct payload *p)
{
	json_t *graph = json_array(), *ev, *d, *it, *doc;
	const char *cid = json_string_value(json_object_get(c, "id"));
	char id[128];
	size_t i;

	json_array_append_new(graph, json_pack("{s:s, s:s, s:s, s:s}", "@id",
	    "kb:investigation", "@type", "case-investigation:Investigation",
	    "uco-core:name", cid, "uco-core:description",
	    json_string_value(json_object_get(c, "category"))));
	json_array_foreach(devices, i, d) {
		(void)snprintf(id, sizeof(id), "kb:%s", json_string_value(
		    json_object_get(d, "id")));
		json_array_append_new(graph, json_pack("{s:s, s:s, s:[{s:s, "
		    "s:s?, s:s?}, {s:s, s:s?}]}", "@id", id, "@type",
		    "uco-observable:ObservableObject", "uco-core:hasFacet",
		    "@type", "uco-observable:DeviceFacet",
		    "uco-observable:manufacturer", json_string_value(
		    json_object_get(d, "make")), "uco-observable:model",
		    json_string_value(json_object_get(d, "model")), "@type",
		    "uco-observable:MobileDeviceFacet", "uco-observable:IMEI",
		    json_string_value(json_object_get(d, "imei"))));
	}
	json_array_foreach(items, i, it) {
		(void)snprintf(id, sizeof(id), "kb:%s", json_string_value(
		    json_object_get(it, "id")));
		json_array_append_new(graph, json_pack("{s:s, s:s, s:[{s:s, "
		    "s:O, s:[{s:s, s:s, s:O}, {s:s, s:s, s:O}]}]}", "@id", id,
		    "@type", "uco-observable:ObservableObject",
		    "uco-core:hasFacet", "@type",
		    "uco-observable:ContentDataFacet", "uco-observable:sizeInBytes",
		    json_object_get(it, "size"), "uco-observable:hash", "@type",
		    "uco-types:Hash", "uco-types:hashMethod", "SHA256",
		    "uco-types:hashValue", json_object_get(it, "sha256"),
		    "@type", "uco-types:Hash", "uco-types:hashMethod", "SHA512",
		    "uco-types:hashValue", json_object_get(it, "sha512")));
	}
	json_array_foreach(events, i, ev) {
		json_t *body = json_loads(json_string_value(json_object_get(ev,
		    "body")), 0, NULL), *subj, *objs = json_array(), *v;
		const char *k;

		if (body == NULL) {
			json_decref(objs);
			continue;
		}
		subj = json_object_get(body, "subject");
		json_object_foreach(subj, k, v)
			if (json_is_string(v) && (strcmp(k, "device") == 0 ||
			    strcmp(k, "item") == 0)) {
				(void)snprintf(id, sizeof(id), "kb:%s",
				    json_string_value(v));
				json_array_append_new(objs, json_string(id));
			}
		(void)snprintf(id, sizeof(id), "kb:event-%lld",
		    (long long)json_integer_value(json_object_get(ev, "seq")));
		json_array_append_new(graph, json_pack("{s:s, s:s, s:O, s:O, "
		    "s:{s:s, s:O}, s:o, s:[{s:s, s:s, s:I}]}", "@id", id, "@type",
		    "case-investigation:InvestigativeAction", "uco-core:name",
		    json_object_get(body, "action"), "uco-action:startTime",
		    json_object_get(body, "time"), "uco-action:performer",
		    "@type", "uco-identity:Person", "uco-core:name",
		    json_object_get(json_object_get(body, "actor"), "user"),
		    "uco-action:object", objs, "uco-action:result", "@type",
		    "case-investigation:ProvenanceRecord",
		    "case-investigation:exhibitNumber", cid, "seq",
		    (json_int_t)json_integer_value(json_object_get(ev, "seq"))));
		json_decref(body);
	}
	doc = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:o}",
	    "@context", "kb", "urn:custody:", "case-investigation",
	    "https://ontology.caseontology.org/case/investigation/",
	    "uco-core", "https://ontology.unifiedcyberontology.org/uco/core/",
	    "uco-action", "https://ontology.unifiedcyberontology.org/uco/"
	    "action/", "uco-observable", "https://ontology."
	    "unifiedcyberontology.org/uco/observable/", "uco-types",
	    "https://ontology.unifiedcyberontology.org/uco/types/",
	    "uco-identity", "https://ontology.unifiedcyberontology.org/uco/"
	    "identity/", "@graph", graph);
	return dump_into(&p->jsonld, doc) == 0 ? 0 :
	    req_fail(r, "internal", "out of memory");
}

static const char readme[] =
"This bag holds one safeguarding case exported by a custody station.\n"
"\n"
"Check it with stock tools (the password is the one agreed at hand-over):\n"
"\n"
"  openssl cms -decrypt -binary -inform DER -in B.tar.p7m \\\n"
"      -pwri_password PW -out B.tar\n"
"  tar xf B.tar && cd NAME\n"
"  openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \\\n"
"      -content tagmanifest-sha256.txt -CAfile station.pem -purpose any \\\n"
"      -out /dev/null\n"
"  sha256sum -c tagmanifest-sha256.txt && sha256sum -c manifest-sha256.txt\n"
"  openssl x509 -noout -fingerprint -sha256 -in station.pem\n"
"\n"
"The last line prints the station key's fingerprint: compare it with the\n"
"one on the paper receipt.  'custody verify B.tar.p7m' also checks that\n"
"every event in data/events.jsonl is in the station's signed log\n"
"(data/proofs.json, RFC 9162 inclusion proofs to data/checkpoint.txt) and,\n"
"with --against RECEIPT, that the log is consistent with the receipt.\n"
"\n"
"data/case.json         the case, its devices, pupils (school references)\n"
"data/events.jsonl      the case's events, byte for byte, one per line\n"
"data/proofs.json       inclusion and consistency proofs\n"
"data/checkpoint.txt    the signed checkpoint (C2SP tlog-checkpoint)\n"
"data/case.jsonld       CASE/UCO provenance\n"
"data/custody-record.txt the chain-of-custody form\n"
"data/items/            evidence items police asked for, if any\n";

/* Decrypts a police-requested item into a memfd for the bag. */
static int
payload_item(struct req *r, json_t *it, struct payload *p)
{
	uint8_t wrapped[ITEM_WRAPPED_LEN], sha[32];
	char path[PATH_MAX], err[256];
	const char *id = json_string_value(json_object_get(it, "id"));
	int blob = -1, mfd = -1, e = CUSTODY_ERR_CORRUPT;

	if (p->nitems == sizeof(p->item_fd) / sizeof(p->item_fd[0]))
		return req_fail(r, "refused", "too many items for one export");
	if (digest_unhex(json_string_value(json_object_get(it, "wrapped")),
	    wrapped, sizeof(wrapped)) != 0 ||
	    digest_unhex(json_string_value(json_object_get(it, "sha256")), sha,
	    sizeof(sha)) != 0 ||
	    snprintf(path, sizeof(path), "%s/%s/%s.blob", station_dir_path(
	    r->d->station), STATION_ITEMS, id) >= (int)sizeof(path))
		goto out;
	if ((blob = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    (mfd = memfd_create("custody-export", MFD_CLOEXEC)) == -1) {
		e = CUSTODY_ERR_IO;
		(void)snprintf(err, sizeof(err), "%s", strerror(errno));
		goto out;
	}
	if ((e = item_open(blob, wrapped, station_master(r->d->station), sha,
	    mfd, err, sizeof(err))) != 0 || lseek(mfd, 0, SEEK_SET) == -1)
		goto out;
	p->item_fd[p->nitems] = mfd;
	(void)snprintf(p->item_path[p->nitems], sizeof(p->item_path[0]),
	    "items/%s", id);
	p->nitems++;
	mfd = -1;
out:
	explicit_bzero(wrapped, sizeof(wrapped));
	if (blob != -1)
		close(blob);
	if (mfd != -1)
		close(mfd);
	if (e != 0)
		return req_fail(r, "refused", "item %s cannot be exported: %s",
		    id, e == CUSTODY_ERR_CORRUPT ? "its record is damaged" :
		    err);
	return 0;
}

/* Everything about the case, from the store. */
static int
export_gather(struct req *r, const char *case_id, json_t **c,
    json_t **devices, json_t **pupils, json_t **items, json_t **events)
{
	json_t *rows = NULL;

	*c = *devices = *pupils = *items = *events = NULL;
	if (req_sql(r, "SELECT * FROM cases WHERE id = ?", json_pack("[s]",
	    case_id), &rows) != 0)
		return -1;
	*c = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	if (*c == NULL)
		return req_fail(r, "not_found", "no case %s", case_id);
	if (!json_integer_value(json_object_get(*c, "police_referred")))
		return req_fail(r, "refused", "case %s has no police referral; "
		    "refer it first (custody case refer)", case_id);
	if (req_sql(r, "SELECT * FROM devices WHERE case_id = ? ORDER BY n",
	    json_pack("[s]", case_id), devices) != 0 ||
	    req_sql(r, "SELECT pupil FROM case_pupils WHERE case_id = ?",
	    json_pack("[s]", case_id), pupils) != 0 ||
	    req_sql(r, "SELECT * FROM items WHERE case_id = ? ORDER BY n",
	    json_pack("[s]", case_id), items) != 0 ||
	    req_sql(r, CASE_EVENTS_SQL, json_pack("[s]", case_id),
	    events) != 0)
		return -1;
	return 0;
}

/* case.json: the case, its devices, pupils and items' metadata. */
static int
payload_case(struct req *r, json_t *c, json_t *devices, json_t *pupils,
    json_t *items, struct payload *p)
{
	json_t *meta = json_array(), *it, *m;
	size_t i;

	json_array_foreach(items, i, it) {
		m = json_deep_copy(it);
		json_object_del(m, "wrapped");
		json_object_set_new(m, "included", json_boolean(
		    json_is_string(json_object_get(it, "police_request")) &&
		    strcmp(json_string_value(json_object_get(it, "state")),
		    "stored") == 0));
		json_array_append_new(meta, m);
	}
	return dump_into(&p->casejson, json_pack("{s:s, s:s, s:O, s:O, s:O, "
	    "s:o, s:s}", "station", custody_log_origin(r->d->log),
	    "fingerprint", custody_log_fingerprint(r->d->log), "case", c,
	    "devices", devices, "pupils", pupils, "items", meta,
	    "exported_by", r->user)) == 0 ? 0 :
	    req_fail(r, "internal", "out of memory");
}

/* The bag's directory name: custody-<crime ref>-<case>, made safe. */
static void
export_name(const char *ref, const char *case_id, char *out, size_t len)
{
	size_t i;

	(void)snprintf(out, len, "custody-%s-%s", ref, case_id);
	for (i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= 'A' && out[i] <= 'Z') || (out[i] >= 'a' &&
		    out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9') ||
		    out[i] == '.' || out[i] == '_' || out[i] == '-'))
			out[i] = '-';
}

/* Packs and seals the payload into the station's copy, then the client's. */
static int
export_seal(struct req *r, json_t *c, struct payload *p, const char *name,
    const char *path, uint8_t sha[32])
{
	struct store_station s;
	struct bag_file files[8 + 64];
	struct bag_info info[6];
	struct bag_spec spec;
	json_t *pw = json_object_get(r->args, "export_password");
	const char *pem = json_string_value(json_object_get(r->args,
	    "recipient_cert"));
	uint8_t *rcert = NULL;
	char err[512], cp[128];
	size_t n = 0, i, rlen = 0;
	int out = -1, e;
	off_t off = 0;
	struct stat sb;

	memset(&s, 0, sizeof(s));
	memset(&spec, 0, sizeof(spec));
#define FILE_MEM(p_, b_) files[n++] = (struct bag_file){ p_, (b_)->data, \
	(b_)->len, -1 }
	files[n++] = (struct bag_file){ "README.txt", readme,
	    sizeof(readme) - 1, -1 };
	FILE_MEM("case.json", &p->casejson);
	FILE_MEM("events.jsonl", &p->events);
	FILE_MEM("proofs.json", &p->proofs);
	FILE_MEM("checkpoint.txt", &p->checkpoint);
	FILE_MEM("case.jsonld", &p->jsonld);
	FILE_MEM("custody-record.txt", &p->record);
#undef FILE_MEM
	for (i = 0; i < p->nitems; i++)
		files[n++] = (struct bag_file){ p->item_path[i], NULL, 0,
		    p->item_fd[i] };
	(void)snprintf(cp, sizeof(cp), "%llu", (unsigned long long)
	    custody_log_size(r->d->log));
	info[0] = (struct bag_info){ "Source-Organization",
	    custody_log_origin(r->d->log) };
	info[1] = (struct bag_info){ "Contact-Name", r->user };
	info[2] = (struct bag_info){ "External-Identifier",
	    json_string_value(json_object_get(c, "crime_ref")) };
	info[3] = (struct bag_info){ "Internal-Sender-Identifier",
	    json_string_value(json_object_get(c, "id")) };
	info[4] = (struct bag_info){ "Custody-Checkpoint-Size", cp };
	info[5] = (struct bag_info){ "Custody-Station-Key-SHA256",
	    custody_log_fingerprint(r->d->log) };
	if (pem != NULL && sign_cert_from_pem(pem, &rcert, &rlen) != 0)
		return req_fail(r, "bad_request", "recipient_cert is not a PEM "
		    "certificate");
	if (store_station_get(r->d->st, &s, err, sizeof(err)) != 0) {
		free(rcert);
		return req_fail(r, "internal", "%s", err);
	}
	spec = (struct bag_spec){ name, files, n, info, 6,
	    daemon_now_ms() / 1000, station_key(r->d->station), s.cert,
	    s.cert_len, json_string_value(pw), json_string_length(pw), rcert,
	    rlen };
	if ((out = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		e = req_fail(r, "internal", "cannot create %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if ((e = bag_write(&spec, out, station_dir_path(r->d->station), sha,
	    err, sizeof(err))) != 0 || fsync(out) != 0) {
		(void)unlink(path);
		e = req_fail(r, "internal", "cannot seal the export: %s", err);
		goto done;
	}
	/* The officer's copy goes into the file the DSL's client opened. */
	if (fstat(out, &sb) == 0)
		while (off < sb.st_size && sendfile(r->fd_in, out, &off,
		    (size_t)(sb.st_size - off)) > 0)
			;
	if (off != sb.st_size || fsync(r->fd_in) != 0) {
		(void)unlink(path);
		e = req_fail(r, "internal", "cannot write the export file: %s",
		    strerror(errno));
	}
done:
	if (out != -1)
		close(out);
	free(rcert);
	store_station_clear(&s);
	return e;
}

int
h_case_export(struct req *r)
{
	json_t *c = NULL, *devices = NULL, *pupils = NULL, *items = NULL;
	json_t *events = NULL, *it, *rows = NULL;
	struct payload p;
	struct stat sb;
	const char *case_id, *ref;
	char name[160], id[32], path[PATH_MAX], hex[65];
	uint8_t sha[32];
	int bad = 0, n, rc = -1;
	size_t i;

	memset(&p, 0, sizeof(p));
	if (arg_need(r, "case", NULL) != 0 ||
	    (case_id = arg_str(r, "case", 32, &bad)) == NULL)
		return -1;
	if (!json_is_string(json_object_get(r->args, "export_password")) &&
	    !json_is_string(json_object_get(r->args, "recipient_cert")))
		return req_fail(r, "bad_request", "missing export_password or "
		    "recipient_cert: the bundle is sealed to the officer");
	if (json_is_string(json_object_get(r->args, "export_password")) &&
	    json_string_length(json_object_get(r->args, "export_password")) <
	    AUTH_MIN_PASSWORD)
		return req_fail(r, "bad_request", "the export password must be "
		    "at least %d characters", AUTH_MIN_PASSWORD);
	if (r->fd_in == -1 || fstat(r->fd_in, &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_size != 0)
		return req_fail(r, "bad_request", "pass a new, empty file to "
		    "write the export to (custody export -o FILE)");
	if (export_gather(r, case_id, &c, &devices, &pupils, &items,
	    &events) != 0)
		goto out;
	ref = json_string_value(json_object_get(c, "crime_ref"));
	json_array_foreach(items, i, it)
		if (json_is_string(json_object_get(it, "police_request")) &&
		    strcmp(json_string_value(json_object_get(it, "state")),
		    "stored") == 0 && payload_item(r, it, &p) != 0)
			goto out;
	if (payload_log(r, case_id, &p, events) != 0 ||
	    payload_case(r, c, devices, pupils, items, &p) != 0 ||
	    payload_record(r, c, devices, events, &p) != 0 ||
	    payload_jsonld(r, c, devices, items, events, &p) != 0)
		goto out;
	if (req_sql(r, "SELECT coalesce(max(n), 0) + 1 AS n FROM exports",
	    NULL, &rows) != 0)
		goto out;
	n = (int)json_integer_value(json_object_get(json_array_get(rows, 0),
	    "n"));
	(void)snprintf(id, sizeof(id), "EXPORT-%04d", n);
	export_name(ref, case_id, name, sizeof(name));
	if (snprintf(path, sizeof(path), "%s/exports", station_dir_path(
	    r->d->station)) >= (int)sizeof(path) ||
	    (mkdir(path, 0700) == -1 && errno != EEXIST) ||
	    snprintf(path, sizeof(path), "%s/exports/%s.p7m",
	    station_dir_path(r->d->station), id) >= (int)sizeof(path)) {
		req_fail(r, "internal", "cannot make the exports directory");
		goto out;
	}
	if (export_seal(r, c, &p, name, path, sha) != 0)
		goto out;
	digest_hex(sha, 32, hex);
	if (req_sql(r, "INSERT INTO exports (id, n, case_id, crime_ref, "
	    "sha256, recipient, items, created_by, created_at) VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?, ?)", json_pack("[s, i, s, s, s, s, i, s, I]",
	    id, n, case_id, ref, hex, json_is_string(json_object_get(r->args,
	    "recipient_cert")) ? "certificate" : "password", (int)p.nitems,
	    r->user, (json_int_t)daemon_now_ms()), NULL) != 0 ||
	    req_event(r, "export.create", json_pack("{s:s, s:s}", "case",
	    case_id, "export", id), json_pack("{s:s, s:s, s:s, s:s, s:i, "
	    "s:i, s:I}", "crime_ref", ref, "sha256", hex, "bag", name,
	    "recipient", json_is_string(json_object_get(r->args,
	    "recipient_cert")) ? "certificate" : "password", "items",
	    (int)p.nitems, "events", (int)json_array_size(events),
	    "checkpoint_size", (json_int_t)custody_log_size(r->d->log))) != 0) {
		(void)unlink(path);
		goto out;
	}
	r->result = json_pack("{s:s, s:s, s:s, s:i}", "export", id, "sha256",
	    hex, "bag", name, "events", (int)json_array_size(events));
	rc = 0;
out:
	payload_free(&p);
	json_decref(rows);
	json_decref(c);
	json_decref(devices);
	json_decref(pupils);
	json_decref(items);
	json_decref(events);
	return rc;
}

int
h_export_fetch(struct req *r)
{
	json_t *rows = NULL, *x;
	const char *id;
	char path[PATH_MAX];
	int bad = 0, fd, rc = -1;

	if (arg_need(r, "export", NULL) != 0 ||
	    (id = arg_str(r, "export", 32, &bad)) == NULL)
		return -1;
	if (req_sql(r, "SELECT * FROM exports WHERE id = ?1 AND (?2 IS NULL "
	    "OR crime_ref = ?2)", json_pack("[s, s?]", id, r->role ==
	    ROLE_POLICE ? r->crime_ref : NULL), &rows) != 0)
		return -1;
	if ((x = json_array_get(rows, 0)) == NULL) {
		req_fail(r, "not_found", "no export %s for your crime "
		    "reference", id);
		goto out;
	}
	if (snprintf(path, sizeof(path), "%s/exports/%s.p7m",
	    station_dir_path(r->d->station), id) >= (int)sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		req_fail(r, "not_found", "export %s is no longer on the "
		    "station", id);
		goto out;
	}
	if (req_event(r, "export.fetch", json_pack("{s:O, s:s}", "case",
	    json_object_get(x, "case_id"), "export", id), json_pack("{s:O}",
	    "sha256", json_object_get(x, "sha256"))) != 0) {
		close(fd);
		goto out;
	}
	r->fd_out = fd;
	r->result = json_pack("{s:s, s:O, s:O}", "export", id, "sha256",
	    json_object_get(x, "sha256"), "case", json_object_get(x,
	    "case_id"));
	rc = 0;
out:
	json_decref(rows);
	return rc;
}

int
h_export_list(struct req *r)
{
	json_t *rows = NULL;

	if (req_sql(r, "SELECT id, case_id, crime_ref, sha256, recipient, "
	    "items, created_by, created_at FROM exports WHERE ?1 IS NULL OR "
	    "crime_ref = ?1 ORDER BY n", json_pack("[s?]", r->role ==
	    ROLE_POLICE ? r->crime_ref : NULL), &rows) != 0)
		return -1;
	r->result = json_pack("{s:o}", "exports", rows);
	return 0;
}
