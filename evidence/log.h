/*
 * log.h -- the custody log: an append-only Merkle tree of canonical JSON
 * events with signed checkpoints (DESIGN section 6).
 *
 * States of a struct custody_log:
 *	IDLE  --custody_log_begin-->  OPEN  --custody_log_commit--> IDLE
 *	                              OPEN  --custody_log_abort-->  IDLE
 * Invariants:
 *  1. In IDLE, frontier.size equals the number of events in the store and
 *     the newest checkpoint has exactly that size (every committed batch of
 *     events is signed in the same SQLite transaction that stores it).
 *  2. In OPEN, frontier describes the stored events plus those appended in
 *     this transaction; `saved` is the IDLE frontier, restored on abort or
 *     on any failure of commit.
 *  3. custody_log_append is only valid in OPEN; events are never updated.
 */
#ifndef CUSTODY_LOG_H
#define CUSTODY_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hashing/merkle.h"
#include "hashing/note.h"
#include "hashing/sign.h"
#include "evidence/store.h"

#define LOG_EVENT_VERSION	1
#define LOG_MAX_EVENT		(256 * 1024)	/* canonical bytes */

struct custody_log;	/* opaque */

/*
 * Opens the log kept in st.  key is the station's private key (kept by the
 * log, not copied: the caller keeps ownership and frees it after the log),
 * or NULL for a log that can be read but not appended to.  Rebuilds the
 * frontier from stored nodes in O(log n).
 */
int	custody_log_open(struct store *st, const struct sign_key *key,
	    struct custody_log **out, char *err, size_t errlen);
void	custody_log_free(struct custody_log *log);	/* accepts NULL */

uint64_t	 custody_log_size(const struct custody_log *log);
const char	*custody_log_origin(const struct custody_log *log);
const char	*custody_log_fingerprint(const struct custody_log *log);
const struct sign_pub *custody_log_pub(const struct custody_log *log);
struct store	*custody_log_store(const struct custody_log *log);

int	custody_log_begin(struct custody_log *log);

/*
 * Appends one event {"action","actor","data","seq","subject","time","tz",
 * "v"}.  actor, subject and data are JSON objects (borrowed; subject and
 * data may be NULL for {}).  Sets *seq.  Valid only between begin and
 * commit.
 */
int	custody_log_append(struct custody_log *log, const char *action,
	    json_t *actor, json_t *subject, json_t *data, uint64_t *seq);

/*
 * Signs a checkpoint of the log as it now stands, stores it and commits
 * the transaction.  On any failure the transaction is rolled back and the
 * log returns to its state before begin.
 */
int	custody_log_commit(struct custody_log *log, char *err, size_t errlen);
void	custody_log_abort(struct custody_log *log);
/*
 * After a failed commit: 1 if SQLite's COMMIT itself failed, when the
 * transaction may already be in the WAL, whole, for recovery to keep
 * after a crash (a failed fsync); 0 if it failed before (signing, the
 * checkpoint row), when nothing of it can survive.
 */
int	custody_log_in_doubt(const struct custody_log *log);

/* One event, as stored: canonical bytes and leaf hash.  *body allocated. */
int	custody_log_event(struct custody_log *log, uint64_t seq, char **body,
	    size_t *len, uint8_t leaf[32]);

/*
 * An inclusion proof of event seq in the tree of *size events (0 means the
 * newest checkpoint's size, and *size is set to it), with that tree's root.
 * path holds MERKLE_MAX_PROOF hashes.
 */
int	custody_log_proof(struct custody_log *log, uint64_t seq,
	    uint64_t *size, uint8_t root[32], uint8_t path[][32],
	    size_t *path_len);

/*
 * A consistency proof (RFC 9162 2.1.4) from the tree of old_size events
 * to the tree of new_size, with both roots.  path holds MERKLE_MAX_CPROOF.
 */
int	custody_log_consistency(struct custody_log *log, uint64_t old_size,
	    uint64_t new_size, uint8_t old_root[32], uint8_t new_root[32],
	    uint8_t path[][32], size_t *path_len);

/*
 * A receipt: what a party to a hand-over keeps to prove, later, that the
 * station still holds what it saw.  The checkpoint is the smallest signed
 * one that contains the event.
 */
struct receipt {
	uint64_t	 seq;
	char		 action[64];
	uint8_t		 leaf[32];
	char		 fingerprint[SIGN_FPR_HEX];
	struct checkpoint cp;
	char		*note;		/* the signed checkpoint note */
};

int	custody_log_receipt(struct custody_log *log, uint64_t seq,
	    struct receipt *rc, char *err, size_t errlen);
/*
 * The receipt of the first event of the transaction just committed, from
 * memory (its checkpoint is the one that commit signed).
 */
int	custody_log_commit_receipt(struct custody_log *log,
	    struct receipt *rc);
/* The receipt as text (allocated), short enough for a paper form. */
int	receipt_format(const struct receipt *rc, char **text);
/*
 * Parses a receipt.  The note's signature is not checked here (the
 * verifier does it with the station key).
 */
int	receipt_parse(const char *text, size_t len, struct receipt *rc,
	    char *err, size_t errlen);
void	receipt_clear(struct receipt *rc);

#endif
