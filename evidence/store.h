/*
 * store.h -- the SQLite store: the one file of the project that talks to
 * SQLite.  Holds the station row, the custody log (events, tree nodes,
 * checkpoints) and, in later schema versions, the projection tables.
 *
 * One writer (the daemon, or an offline tool holding the station key).
 * WAL, synchronous=FULL, foreign_keys=ON, secure_delete=ON.  The log tables
 * carry triggers that refuse UPDATE and DELETE: defence in depth only, since
 * whoever holds the file can drop them; tampering is caught by verification.
 */
#ifndef CUSTODY_STORE_H
#define CUSTODY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define STORE_SCHEMA_VERSION	5

#define STORE_RDONLY	0x01	/* never write; refuse a missing file */
#define STORE_CREATE	0x02	/* create a new database (O_EXCL, 0600) */

struct store;		/* opaque */
struct store_iter;	/* opaque: one query's rows in order */

struct store_station {
	char	 origin[256];	/* the station id, the checkpoints' origin */
	char	 created[32];
	uint8_t	*cert;		/* DER certificate of the station key */
	size_t	 cert_len;
};

int	store_open(const char *path, int flags, struct store **out,
	    char *err, size_t errlen);
void	store_close(struct store *st);	/* accepts NULL */

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int	store_begin(struct store *st);
int	store_commit(struct store *st);
int	store_rollback(struct store *st);

int	store_station_put(struct store *st, const struct store_station *s);
/* Fills s; s->cert is allocated (free with store_station_clear). */
int	store_station_get(struct store *st, struct store_station *s,
	    char *err, size_t errlen);
void	store_station_clear(struct store_station *s);

/* The number of events: max(seq) + 1, or 0. */
int	store_log_size(struct store *st, uint64_t *size);

int	store_event_insert(struct store *st, uint64_t seq, const char *body,
	    size_t len, const uint8_t leaf[32], const char *action);
/* *body is allocated and NUL-terminated. leaf may be NULL. */
int	store_event_get(struct store *st, uint64_t seq, char **body,
	    size_t *len, uint8_t leaf[32]);

/*
 * Stores tree node (level, index).  Level 0 is ignored (the event row
 * holds its leaf hash); a level-1 node also stores its two leaves, left
 * then right (leaves may be NULL only for levels above 1).
 */
int	store_node_put(struct store *st, unsigned int level, uint64_t index,
	    const uint8_t hash[32], const uint8_t leaves[64]);
/*
 * A merkle_get_fn over the tree (ctx is the struct store): a leaf comes
 * from its level-1 row, or from its event when it has no pair yet.
 */
int	store_node_get(void *st, unsigned int level, uint64_t index,
	    uint8_t out[32]);

int	store_checkpoint_put(struct store *st, uint64_t size,
	    const uint8_t root[32], const char *note, const char *time);
/* The newest checkpoint; CUSTODY_ERR_NOTFOUND if none.  *note allocated. */
int	store_checkpoint_latest(struct store *st, uint64_t *size,
	    uint8_t root[32], char **note);
/* The smallest checkpoint whose size is at least min_size. */
int	store_checkpoint_covering(struct store *st, uint64_t min_size,
	    uint64_t *size, uint8_t root[32], char **note);

/*
 * Iterators, each in ascending order: events (seq, body, leaf_hash) from
 * `from`; tree nodes of one level (index, hash, leaves); checkpoints (size, root,
 * note).  store_iter_next returns 1 with a row, 0 at the end, or a negative
 * error.  Column pointers are valid until the next call.
 */
int	store_iter_events(struct store *st, uint64_t from,
	    struct store_iter **out);
int	store_iter_nodes(struct store *st, unsigned int level,
	    struct store_iter **out);
int	store_iter_checkpoints(struct store *st, struct store_iter **out);
int	store_iter_next(struct store_iter *it);
int64_t	store_iter_int(struct store_iter *it, int col);
const void *store_iter_blob(struct store_iter *it, int col, size_t *len);
void	store_iter_free(struct store_iter *it);	/* accepts NULL */

/*
 * Runs one SQL statement with parameters bound from params (a JSON array
 * of strings, integers, booleans and nulls; NULL for none).  If rows is
 * not NULL, sets it to a new array of objects, one per result row, keyed
 * by column name (integers, strings, nulls).  The projection tables
 * (users, devices, cases) are reached through this; the log tables only
 * through the functions above.  Statements are prepared once and kept,
 * by their text.  Returns 0, CUSTODY_ERR_EXISTS for a
 * constraint violation, CUSTODY_ERR_NOMEM if params is NULL but the
 * statement takes parameters (a failed json_pack), or another error.
 */
int	store_sql(struct store *st, const char *sql, json_t *params,
	    json_t **rows);
/*
 * For a pass that streams the whole log once (verify): no memory map and
 * a small page cache, so its memory does not grow with the log.  (Other
 * read-only opens read through a memory map, for fast lookups.)
 */
int	store_stream_mode(struct store *st);
/*
 * Copies the write-ahead log into the database and empties it.  After a
 * deletion: secure_delete zeroes the row in the database's page, but the
 * WAL still holds the page as it was until this runs.
 */
int	store_wal_flush(struct store *st);
/* Frees what SQLite caches (for a daemon going idle). */
void	store_release_memory(struct store *st);
/* The number of stored tree nodes (inner nodes: levels 1 and up). */
int	store_tree_count(struct store *st, uint64_t *n);
/* Rows changed by the last statement. */
int	store_changes(struct store *st);

/* Indexes event seq under a subject (kind "device", "case", "user"). */
int	store_subject_add(struct store *st, uint64_t seq, const char *kind,
	    const char *id);

/* The last SQLite error message, for logs (never contains secrets). */
const char *store_errmsg(struct store *st);

/* Whether the last SQLite call failed because another holds the lock. */
int store_busy(struct store *st);

#endif
