/*
 * verify.c -- see verify.h.  Reads only; the caller opens the store with
 * STORE_RDONLY.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/canon.h"
#include "common/error.h"
#include "evidence/verify.h"
#include "hashing/digest.h"
#include "hashing/merkle.h"

struct vstate {
	struct store		*st;
	uint8_t			 leaves[64];	/* the last even and odd leaf */
	struct store_iter	*level[MERKLE_MAX_LEVELS];
	uint64_t		 nodes;
	char			*err;
	size_t			 errlen;
};

/* Fails verification with the reason written into the caller's buffer. */
#define vfail(v, ...) \
	custody_fail((v)->err, (v)->errlen, CUSTODY_ERR_VERIFY, __VA_ARGS__)

/* Compares a node the rebuild completed with the stored one, in order. */
static int
verify_node(void *ctx, unsigned int level, uint64_t index,
    const uint8_t hash[32])
{
	struct vstate *v = ctx;
	const void *h;
	size_t hlen;
	uint64_t first = index << level, last = ((index + 1) << level) - 1;
	int r;

	if (level == 0) {	/* the event's own leaf_hash, checked already */
		memcpy(v->leaves + (index & 1) * 32, hash, 32);
		return 0;
	}

	if (v->level[level] == NULL &&
	    (r = store_iter_nodes(v->st, level, &v->level[level])) != 0)
		return r;
	if ((r = store_iter_next(v->level[level])) < 0)
		return r;
	if (r == 0 || (uint64_t)store_iter_int(v->level[level], 0) > index)
		return vfail(v, "tree node (level %u, index %llu) covering "
		    "events %llu..%llu is missing", level,
		    (unsigned long long)index, (unsigned long long)first,
		    (unsigned long long)last);
	if ((uint64_t)store_iter_int(v->level[level], 0) < index)
		return vfail(v, "tree has an unexpected node (level %u, "
		    "index %lld)", level,
		    (long long)store_iter_int(v->level[level], 0));
	if (level == 1) {
		h = store_iter_blob(v->level[1], 2, &hlen);
		if (hlen != 64 || memcmp(h, v->leaves, 64) != 0)
			return vfail(v, "tree node (level 1, index %llu) holds "
			    "leaves that do not match events %llu..%llu",
			    (unsigned long long)index,
			    (unsigned long long)first,
			    (unsigned long long)last);
	}
	h = store_iter_blob(v->level[level], 1, &hlen);
	v->nodes++;
	if (hlen != 32 || memcmp(h, hash, 32) != 0) {
		return vfail(v, "tree node (level %u, index %llu) covering "
		    "events %llu..%llu does not match the events",
		    level, (unsigned long long)index,
		    (unsigned long long)first, (unsigned long long)last);
	}
	return 0;
}

/* Event 0 must be the station's birth and name the key in the database. */
static int
verify_genesis(struct vstate *v, const char *body, size_t len,
    const char *fpr)
{
	json_t *ev, *data;
	const char *action, *named;
	int r = 0;

	if ((ev = json_loadb(body, len, 0, NULL)) == NULL)
		return vfail(v, "event 0 is not JSON");
	action = json_string_value(json_object_get(ev, "action"));
	data = json_object_get(ev, "data");
	named = json_string_value(json_object_get(data, "fingerprint"));
	if (action == NULL || strcmp(action, "station.init") != 0)
		r = vfail(v, "event 0 is not the station's initialisation");
	else if (named == NULL || strcmp(named, fpr) != 0)
		r = vfail(v, "event 0 names station key %.16s... but the "
		    "database holds key %.16s...: the station key was "
		    "replaced", named ? named : "(none)", fpr);
	json_decref(ev);
	return r;
}

struct vcheck {
	struct store_iter	*it;
	int			 more;	/* it holds an unchecked row */
	uint64_t		 size;	/* of that row */
	uint64_t		 last;	/* size of the last checkpoint checked */
};

static int
vcheck_next(struct vcheck *c)
{
	int r;

	if ((r = store_iter_next(c->it)) < 0)
		return r;
	c->more = r;
	if (r)
		c->size = (uint64_t)store_iter_int(c->it, 0);
	return 0;
}

/* Checks the checkpoint under the cursor against the rebuilt root. */
static int
verify_checkpoint(struct vstate *v, struct vcheck *c,
    const struct sign_pub *pub, const char *origin, const uint8_t root[32])
{
	struct checkpoint cp;
	const void *rt, *note;
	size_t rlen, nlen;
	char why[256];

	rt = store_iter_blob(c->it, 1, &rlen);
	note = store_iter_blob(c->it, 2, &nlen);
	if (note_verify_checkpoint(note, nlen, pub, origin, &cp, why,
	    sizeof(why)) != 0)
		return vfail(v, "checkpoint at size %llu: %s",
		    (unsigned long long)c->size, why);
	if (cp.size != c->size || rlen != 32 || memcmp(rt, cp.root, 32) != 0)
		return vfail(v, "checkpoint at size %llu: its row does not "
		    "match its signed note", (unsigned long long)c->size);
	if (memcmp(cp.root, root, 32) != 0)
		return vfail(v, "checkpoint at size %llu: signed root does "
		    "not match the log's first %llu events",
		    (unsigned long long)c->size, (unsigned long long)c->size);
	return 0;
}

/* Checks one event row against its position; returns its leaf hash. */
static int
verify_event(struct vstate *v, struct store_iter *it, uint64_t want,
    uint8_t leaf[32], const char *fpr)
{
	struct canon_info ci;
	const void *body, *stored;
	size_t blen, slen;
	uint64_t seq = (uint64_t)store_iter_int(it, 0);
	char why[128];

	if (seq != want)
		return vfail(v, "event %llu is missing (the log jumps from "
		    "%lld to %llu)", (unsigned long long)want,
		    (long long)want - 1, (unsigned long long)seq);
	body = store_iter_blob(it, 1, &blen);
	stored = store_iter_blob(it, 2, &slen);
	if (body == NULL || canon_check(body, blen, &ci, why,
	    sizeof(why)) != 0)
		return vfail(v, "event %llu: body is %s", (unsigned long long)
		    want, body == NULL ? "empty" : why);
	if (!ci.has_seq || ci.seq < 0 || (uint64_t)ci.seq != want)
		return vfail(v, "event %llu: body records seq %lld: events "
		    "were moved or swapped", (unsigned long long)want,
		    ci.has_seq ? (long long)ci.seq : -1LL);
	if (merkle_hash_leaf(body, blen, leaf) != 0)
		return CUSTODY_ERR_CRYPTO;
	if (slen != 32 || memcmp(stored, leaf, 32) != 0)
		return vfail(v, "event %llu: body does not match its leaf "
		    "hash: the event was altered", (unsigned long long)want);
	if (want == 0)
		return verify_genesis(v, body, blen, fpr);
	return 0;
}

/* What a receipt saw, checked as the rebuild passes it. */
static int
verify_receipt_pre(struct vstate *v, const struct receipt *rc,
    const struct sign_pub *pub, const char *origin, const char *fpr)
{
	struct checkpoint cp;
	char why[256];

	if (strcmp(rc->fingerprint, fpr) != 0)
		return vfail(v, "receipt was issued under station key "
		    "%.16s... but this database holds key %.16s...",
		    rc->fingerprint, fpr);
	if (note_verify_checkpoint(rc->note, strlen(rc->note), pub, origin,
	    &cp, why, sizeof(why)) != 0)
		return vfail(v, "receipt's checkpoint: %s", why);
	return 0;
}

static int
verify_run(struct vstate *v, struct store_iter *ev, struct vcheck *c,
    const struct verify_opts *o, const struct sign_pub *pub,
    struct verify_result *res)
{
	const struct receipt *rc = o->against;
	struct merkle_frontier f;
	uint8_t leaf[32], root[32];
	int r;

	merkle_frontier_init(&f);
	while ((r = store_iter_next(ev)) == 1) {
		if ((r = verify_event(v, ev, f.size, leaf,
		    res->fingerprint)) != 0)
			return r;
		if (rc != NULL && f.size == rc->seq &&
		    memcmp(leaf, rc->leaf, 32) != 0)
			return vfail(v, "event %llu differs from the receipt: "
			    "the event was altered or replaced",
			    (unsigned long long)rc->seq);
		if ((r = merkle_frontier_append(&f, leaf, verify_node, v)) != 0)
			return r;
		if (c->more && c->size < f.size)
			return vfail(v, "checkpoint at size %llu does not fall "
			    "on an event boundary", (unsigned long long)c->size);
		/* The root is only needed where something is compared. */
		if (((c->more && c->size == f.size) ||
		    (rc != NULL && f.size == rc->cp.size)) &&
		    (r = merkle_frontier_root(&f, root)) != 0)
			return r;
		if (c->more && c->size == f.size) {
			if ((r = verify_checkpoint(v, c, pub, res->origin,
			    root)) != 0)
				return r;
			c->last = c->size;
			res->checkpoints++;
			if ((r = vcheck_next(c)) != 0)
				return r;
		}
		if (rc != NULL && f.size == rc->cp.size &&
		    memcmp(root, rc->cp.root, 32) != 0)
			return vfail(v, "the log's first %llu events do not "
			    "match the receipt's checkpoint: history was "
			    "rewritten", (unsigned long long)rc->cp.size);
	}
	if (r < 0)
		return r;
	res->events = f.size;
	return merkle_frontier_root(&f, res->root);
}

/* After the last event: nothing may be left over, nothing unsigned. */
static int
verify_tail(struct vstate *v, struct vcheck *c, const struct verify_opts *o,
    struct verify_result *res)
{
	uint64_t stored, want;
	unsigned int l;
	int r;

	if (o->against != NULL && res->events < o->against->cp.size)
		return vfail(v, "the log has %llu events but the receipt saw "
		    "%llu: events %llu..%llu are missing (the log was "
		    "truncated)", (unsigned long long)res->events,
		    (unsigned long long)o->against->cp.size,
		    (unsigned long long)res->events,
		    (unsigned long long)o->against->cp.size - 1);
	if (c->more)
		return vfail(v, "checkpoint at size %llu is beyond the log's "
		    "%llu events: events %llu.. are missing (the log was "
		    "truncated)", (unsigned long long)c->size,
		    (unsigned long long)res->events,
		    (unsigned long long)res->events);
	for (l = 0; l < MERKLE_MAX_LEVELS; l++) {
		if (v->level[l] == NULL)
			continue;
		if ((r = store_iter_next(v->level[l])) < 0)
			return r;
		if (r == 1)
			return vfail(v, "tree has an unexpected node (level "
			    "%u, index %lld) beyond the log", l,
			    (long long)store_iter_int(v->level[l], 0));
	}
	if (c->last != res->events)
		return vfail(v, "events %llu..%llu are not covered by any "
		    "signed checkpoint", (unsigned long long)c->last,
		    (unsigned long long)res->events - 1);
	/*
	 * A tree of n leaves has n - popcount(n) inner nodes; the cursors
	 * above only see levels the rebuild reached, so count the rest.
	 */
	if ((r = store_tree_count(v->st, &stored)) != 0)
		return r;
	want = res->events - (uint64_t)__builtin_popcountll(res->events);
	if (stored != want)
		return vfail(v, "tree has %llu nodes where %llu events make "
		    "%llu: nodes were added or removed", (unsigned long long)
		    stored, (unsigned long long)res->events,
		    (unsigned long long)want);
	return 0;
}

int
log_verify(struct store *st, const struct verify_opts *opts,
    struct verify_result *res, char *err, size_t errlen)
{
	static const struct verify_opts none;
	const struct verify_opts *o = opts ? opts : &none;
	struct store_station s;
	struct store_iter *ev = NULL;
	struct sign_pub *pub = NULL;
	struct vcheck c;
	struct vstate v;
	unsigned int l;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&v, 0, sizeof(v));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	v.st = st;
	v.err = err;
	v.errlen = errlen;
	/* One streaming pass: memory stays flat however long the log. */
	(void)store_stream_mode(st);
	if ((r = store_station_get(st, &s, err, errlen)) != 0)
		return r;
	if (sign_cert_pub(s.cert, s.cert_len, &pub) != 0) {
		r = vfail(&v, "the station certificate in the database is "
		    "unreadable");
		goto out;
	}
	sign_cert_fingerprint(s.cert, s.cert_len, res->fingerprint);
	memcpy(res->origin, s.origin, sizeof(res->origin));
	if (o->fingerprint != NULL && strcmp(o->fingerprint,
	    res->fingerprint) != 0) {
		r = vfail(&v, "station key is %s, expected %s",
		    res->fingerprint, o->fingerprint);
		goto out;
	}
	if (o->against != NULL && (r = verify_receipt_pre(&v, o->against,
	    pub, res->origin, res->fingerprint)) != 0)
		goto out;
	if ((r = store_iter_events(st, 0, &ev)) != 0 ||
	    (r = store_iter_checkpoints(st, &c.it)) != 0 ||
	    (r = vcheck_next(&c)) != 0)
		goto out;
	if ((r = verify_run(&v, ev, &c, o, pub, res)) != 0)
		goto out;
	r = verify_tail(&v, &c, o, res);
	res->nodes = v.nodes;
out:
	if (r < 0 && r != CUSTODY_ERR_VERIFY && err != NULL && err[0] == '\0')
		(void)custody_fail(err, errlen, r, "cannot read the database: "
		    "%s", store_errmsg(st));
	for (l = 0; l < MERKLE_MAX_LEVELS; l++)
		store_iter_free(v.level[l]);
	store_iter_free(ev);
	store_iter_free(c.it);
	sign_pub_free(pub);
	store_station_clear(&s);
	return r;
}
