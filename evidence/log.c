/*
 * log.c -- the custody log.  See log.h for its states and invariants.
 *
 * An append writes the event row, then every tree node the new leaf
 * completes (via the frontier's emit callback), all inside the caller's
 * SQLite transaction; commit signs the new root as a checkpoint and stores
 * it in the same transaction, so a crash leaves either all of a request or
 * none of it.
 *
 * The tree's upper levels (LOG_CACHE_LEVEL and above: one hash per 16
 * events, 2 bytes of memory per event, 2 MiB per million) are also kept
 * in memory, so a proof reads the same few stored rows (a leaf pair and
 * levels 1 to 3) from a log of a thousand events as from one of a
 * million.  Invariant: cache.n[l] <= frontier.size >> l,
 * and every cached hash equals the stored node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/canon.h"
#include "common/error.h"
#include "common/timefmt.h"
#include "evidence/log.h"

#define LOG_CACHE_LEVEL	4

struct node_cache {
	uint8_t		(*h[MERKLE_MAX_LEVELS])[32];
	uint64_t	n[MERKLE_MAX_LEVELS];	/* nodes 0..n-1 are held */
	uint64_t	cap[MERKLE_MAX_LEVELS];
};

struct custody_log {
	struct store		*st;
	struct node_cache	 cache;
	const struct sign_key	*key;
	struct sign_pub		*pub;
	char			 origin[NOTE_MAX_ORIGIN + 1];
	char			 fingerprint[SIGN_FPR_HEX];
	struct merkle_frontier	 frontier;
	struct merkle_frontier	 saved;
	uint8_t			 leaves[64];	/* last even leaf, then odd */
	/* The first event of the open or last committed transaction, and
	 * the checkpoint that committed it: its receipt needs no reads. */
	int			 txn_events;
	uint64_t		 txn_seq;
	uint8_t			 txn_leaf[32];
	char			 txn_action[64];
	struct checkpoint	 last_cp;
	char			*last_note;
	uint64_t		 even;		/* index of leaves[0..31]+1, 0=none */
	int			 open;	/* a transaction is under way */
	int			 in_doubt;	/* the last COMMIT failed */
};

/* Holds node (level, index) in the cache; index is at most n[level]. */
static int
cache_put(struct node_cache *c, unsigned int level, uint64_t index,
    const uint8_t hash[32])
{
	uint8_t (*nh)[32];
	uint64_t ncap;

	if (level < LOG_CACHE_LEVEL || index > c->n[level])
		return 0;
	if (index == c->cap[level]) {
		ncap = c->cap[level] ? c->cap[level] * 2 : 64;
		if ((nh = realloc(c->h[level], ncap * 32)) == NULL)
			return CUSTODY_ERR_NOMEM;
		c->h[level] = nh;
		c->cap[level] = ncap;
	}
	memcpy(c->h[level][index], hash, 32);
	if (index == c->n[level])
		c->n[level]++;
	return 0;
}

/* Drops cached nodes beyond a tree of size events (after an abort). */
static void
cache_trim(struct node_cache *c, uint64_t size)
{
	unsigned int l;

	for (l = LOG_CACHE_LEVEL; l < MERKLE_MAX_LEVELS; l++)
		if (c->n[l] > (size >> l))
			c->n[l] = size >> l;
}

static void
cache_free(struct node_cache *c)
{
	unsigned int l;

	for (l = 0; l < MERKLE_MAX_LEVELS; l++)
		free(c->h[l]);
	memset(c, 0, sizeof(*c));
}

/*
 * Fills the cache from the store, level by level, in index order.  A gap
 * stops that level early: proofs then read the store, and verification
 * is where a missing node is reported.
 */
static int
cache_load(struct custody_log *log)
{
	struct store_iter *it = NULL;
	unsigned int l;
	const void *h;
	size_t hlen;
	int r = 0;

	for (l = LOG_CACHE_LEVEL; l < MERKLE_MAX_LEVELS &&
	    (log->frontier.size >> l) > 0; l++) {
		if ((r = store_iter_nodes(log->st, l, &it)) != 0)
			return r;
		while ((r = store_iter_next(it)) == 1 &&
		    (uint64_t)store_iter_int(it, 0) == log->cache.n[l] &&
		    log->cache.n[l] < (log->frontier.size >> l)) {
			h = store_iter_blob(it, 1, &hlen);
			if (hlen != 32)
				break;
			if ((r = cache_put(&log->cache, l, log->cache.n[l],
			    h)) != 0)
				break;
		}
		store_iter_free(it);
		it = NULL;
		if (r < 0)
			return r;
	}
	return 0;
}

/* A merkle_get_fn: the frontier, the cache, then the store. */
static int
log_node_get(void *ctx, unsigned int level, uint64_t index, uint8_t out[32])
{
	struct custody_log *log = ctx;
	uint64_t n = log->frontier.size;

	/* The tree's right edge is the frontier itself. */
	if (level < MERKLE_MAX_LEVELS && ((n >> level) & 1) &&
	    index == (n >> level) - 1) {
		memcpy(out, log->frontier.hash[level], 32);
		return 0;
	}
	if (level < MERKLE_MAX_LEVELS && index < log->cache.n[level]) {
		memcpy(out, log->cache.h[level][index], 32);
		return 0;
	}
	return store_node_get(log->st, level, index, out);
}

/* Refuses a key that is not the one the station's certificate names. */
static int
log_check_key(const struct sign_key *key, const struct sign_pub *pub,
    char *err, size_t errlen)
{
	struct sign_pub *kp = NULL;
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int r;

	if ((r = sign_key_public(key, &kp)) != 0 ||
	    (r = sign_pub_to_der(kp, &a, &alen)) != 0 ||
	    (r = sign_pub_to_der(pub, &b, &blen)) != 0)
		goto out;
	if (alen != blen || memcmp(a, b, alen) != 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY, "the station "
		    "key file does not match the station certificate in the "
		    "database; restore the right station.key");
out:
	free(a);
	free(b);
	sign_pub_free(kp);
	return r;
}

int
custody_log_open(struct store *st, const struct sign_key *key,
    struct custody_log **out, char *err, size_t errlen)
{
	struct store_station s;
	struct custody_log *log = NULL;
	uint64_t size;
	int r;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((log = calloc(1, sizeof(*log))) == NULL)
		return CUSTODY_ERR_NOMEM;
	log->st = st;
	log->key = key;
	if ((r = store_station_get(st, &s, err, errlen)) != 0)
		goto out;
	if ((r = sign_cert_pub(s.cert, s.cert_len, &log->pub)) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "the station certificate in the database is unreadable");
		goto out;
	}
	sign_cert_fingerprint(s.cert, s.cert_len, log->fingerprint);
	memcpy(log->origin, s.origin, sizeof(log->origin));
	if (key != NULL && (r = log_check_key(key, log->pub, err, errlen)) != 0)
		goto out;
	if ((r = store_log_size(st, &size)) != 0 ||
	    (r = merkle_frontier_load(&log->frontier, size, store_node_get,
	    st)) != 0 || (r = cache_load(log)) != 0) {
		r = custody_fail(err, errlen, r, "cannot load the log's tree: "
		    "%s; run custody log verify", custody_strerror(r));
		goto out;
	}
	*out = log;
	log = NULL;
out:
	store_station_clear(&s);
	custody_log_free(log);
	return r;
}

void
custody_log_free(struct custody_log *log)
{
	if (log == NULL)
		return;
	if (log->open)
		custody_log_abort(log);
	sign_pub_free(log->pub);
	cache_free(&log->cache);
	free(log->last_note);
	free(log);
}

uint64_t
custody_log_size(const struct custody_log *log)
{
	return log->frontier.size;
}

const char *
custody_log_origin(const struct custody_log *log)
{
	return log->origin;
}

const char *
custody_log_fingerprint(const struct custody_log *log)
{
	return log->fingerprint;
}

const struct sign_pub *
custody_log_pub(const struct custody_log *log)
{
	return log->pub;
}

struct store *
custody_log_store(const struct custody_log *log)
{
	return log->st;
}

int
custody_log_begin(struct custody_log *log)
{
	int r;

	if (log->key == NULL)
		return CUSTODY_ERR_PERM;
	if (log->open)
		return CUSTODY_ERR_INVAL;
	if ((r = store_begin(log->st)) != 0)
		return r;
	log->saved = log->frontier;
	log->open = 1;
	log->txn_events = 0;
	return 0;
}

void
custody_log_abort(struct custody_log *log)
{
	if (!log->open)
		return;
	(void)store_rollback(log->st);
	log->frontier = log->saved;
	log->even = 0;
	cache_trim(&log->cache, log->frontier.size);
	log->open = 0;
}

static int
log_emit_node(void *ctx, unsigned int level, uint64_t index,
    const uint8_t hash[32])
{
	struct custody_log *log = ctx;
	int r;

	if (level == 0) {
		/* Kept until its pair completes a level-1 row. */
		memcpy(log->leaves + (index & 1) * 32, hash, 32);
		if ((index & 1) == 0)
			log->even = index + 1;
		return 0;
	}
	if (level == 1 && log->even != 2 * index + 1 &&
	    (r = store_node_get(log->st, 0, 2 * index, log->leaves)) != 0)
		return r;	/* the left leaf came before a restart */
	if ((r = store_node_put(log->st, level, index, hash, log->leaves)) != 0)
		return r;
	return cache_put(&log->cache, level, index, hash);
}

/* Indexes the event under each string-valued subject it names. */
static int
log_index_subject(struct custody_log *log, uint64_t seq, json_t *subject)
{
	const char *kind;
	json_t *v;
	int r;

	json_object_foreach(subject, kind, v) {
		if (!json_is_string(v))
			continue;
		if ((r = store_subject_add(log->st, seq, kind,
		    json_string_value(v))) != 0)
			return r;
	}
	return 0;
}

/* Builds the event object; borrowed parts are referenced, not copied. */
static json_t *
log_event_new(const char *action, json_t *actor, json_t *subject,
    json_t *data, uint64_t seq, const struct custody_time *t)
{
	json_t *ev;

	ev = json_pack("{s:s, s:O, s:o, s:I, s:o, s:s, s:s, s:i}",
	    "action", action, "actor", actor,
	    "data", data != NULL ? json_incref(data) : json_object(),
	    "seq", (json_int_t)seq,
	    "subject", subject != NULL ? json_incref(subject) : json_object(),
	    "time", t->utc, "tz", t->tz, "v", LOG_EVENT_VERSION);
	return ev;
}

int
custody_log_append(struct custody_log *log, const char *action,
    json_t *actor, json_t *subject, json_t *data, uint64_t *seq)
{
	struct custody_time t;
	json_t *ev = NULL;
	char *body = NULL;
	size_t len = 0;
	uint8_t leaf[32];
	uint64_t s = log->frontier.size;
	int r;

	if (!log->open || action == NULL || !json_is_object(actor) ||
	    (subject != NULL && !json_is_object(subject)) ||
	    (data != NULL && !json_is_object(data)))
		return CUSTODY_ERR_INVAL;
	if ((r = custody_time_now(&t)) != 0)
		return r;
	/* The arguments are checked: json_pack fails only out of memory. */
	if ((ev = log_event_new(action, actor, subject, data, s, &t)) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((r = canon_encode(ev, &body, &len)) != 0)
		goto out;
	if (len > LOG_MAX_EVENT) {
		r = CUSTODY_ERR_TOOBIG;
		goto out;
	}
	if ((r = merkle_hash_leaf(body, len, leaf)) != 0)
		goto out;
	if ((r = store_event_insert(log->st, s, body, len, leaf, action)) != 0)
		goto out;
	if ((r = merkle_frontier_append(&log->frontier, leaf, log_emit_node,
	    log)) != 0)
		goto out;
	if ((r = log_index_subject(log, s, subject)) != 0)
		goto out;
	if (log->txn_events++ == 0) {
		log->txn_seq = s;
		memcpy(log->txn_leaf, leaf, 32);
		(void)snprintf(log->txn_action, sizeof(log->txn_action), "%s",
		    action);
	}
	*seq = s;
out:
	free(body);
	json_decref(ev);
	return r;
}

int
custody_log_commit(struct custody_log *log, char *err, size_t errlen)
{
	struct custody_time t;
	struct checkpoint cp;
	char *note = NULL;
	int r;

	if (!log->open)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL, "no "
		    "transaction is open");
	log->in_doubt = 0;
	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, log->origin, sizeof(cp.origin));
	cp.size = log->frontier.size;
	if ((r = merkle_frontier_root(&log->frontier, cp.root)) != 0) {
		r = custody_fail(err, errlen, r, "cannot compute the log's "
		    "root: %s", custody_strerror(r));
		goto fail;
	}
	if ((r = custody_time_now(&t)) != 0) {
		r = custody_fail(err, errlen, r, "cannot read the clock: %s",
		    custody_strerror(r));
		goto fail;
	}
	if ((r = note_sign_checkpoint(&cp, log->key, &note)) != 0) {
		r = custody_fail(err, errlen, r, "the station key could not "
		    "sign the checkpoint (%s)", custody_strerror(r));
		goto fail;
	}
	if ((r = store_checkpoint_put(log->st, cp.size, cp.root, note,
	    t.utc)) != 0 || (log->in_doubt = (r = store_commit(log->st)) !=
	    0)) {
		r = custody_fail(err, errlen, r, "cannot commit to the "
		    "database: %s", store_errmsg(log->st));
		goto fail;
	}
	log->open = 0;
	free(log->last_note);
	log->last_note = note;
	log->last_cp = cp;
	return 0;
fail:
	free(note);
	custody_log_abort(log);
	return r;
}

int
custody_log_in_doubt(const struct custody_log *log)
{
	return log->in_doubt;
}

int
custody_log_event(struct custody_log *log, uint64_t seq, char **body,
    size_t *len, uint8_t leaf[32])
{
	return store_event_get(log->st, seq, body, len, leaf);
}

int
custody_log_proof(struct custody_log *log, uint64_t seq, uint64_t *size,
    uint8_t root[32], uint8_t path[][32], size_t *path_len)
{
	char *note = NULL;
	uint64_t n = *size;
	int r;

	if (n == 0) {
		r = store_checkpoint_latest(log->st, &n, root, &note);
		free(note);
		if (r != 0)
			return r;
	} else if (n > log->frontier.size)
		return CUSTODY_ERR_RANGE;
	else if ((r = merkle_root(n, log_node_get, log, root)) != 0)
		return r;
	if ((r = merkle_inclusion_proof(seq, n, log_node_get, log, path,
	    path_len)) != 0)
		return r;
	*size = n;
	return 0;
}

int
custody_log_consistency(struct custody_log *log, uint64_t old_size,
    uint64_t new_size, uint8_t old_root[32], uint8_t new_root[32],
    uint8_t path[][32], size_t *path_len)
{
	int r;

	if (old_size == 0 || old_size > new_size ||
	    new_size > log->frontier.size)
		return CUSTODY_ERR_RANGE;
	if ((r = merkle_root(old_size, log_node_get, log, old_root)) != 0 ||
	    (r = merkle_root(new_size, log_node_get, log, new_root)) != 0)
		return r;
	return merkle_consistency_proof(old_size, new_size, log_node_get, log,
	    path, path_len);
}

int
custody_log_commit_receipt(struct custody_log *log, struct receipt *rc)
{
	memset(rc, 0, sizeof(*rc));
	if (log->open || log->txn_events == 0 || log->last_note == NULL)
		return CUSTODY_ERR_INVAL;
	if ((rc->note = strdup(log->last_note)) == NULL)
		return CUSTODY_ERR_NOMEM;
	rc->seq = log->txn_seq;
	memcpy(rc->leaf, log->txn_leaf, 32);
	memcpy(rc->action, log->txn_action, sizeof(rc->action));
	memcpy(rc->fingerprint, log->fingerprint, sizeof(rc->fingerprint));
	rc->cp = log->last_cp;
	return 0;
}
