/*
 * verify.h -- full verification of a custody log, offline and read-only.
 *
 * One pass in seq order: every event body is checked to be canonical JSON
 * carrying its own seq, hashed, and compared with its stored leaf hash; the
 * tree is rebuilt through a frontier and every node above the leaves that
 * it completes is compared with the stored node; at each checkpoint's size the rebuilt root
 * is compared with the checkpoint's root, whose signature is verified with
 * the station key.  Because every checkpoint's root is recomputed from the
 * one sequence of leaves, each checkpoint is proven consistent with the
 * next (what an RFC 9162 consistency proof attests).  Memory is O(log n):
 * the frontier and one cursor per tree level.
 */
#ifndef CUSTODY_VERIFY_H
#define CUSTODY_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/log.h"
#include "evidence/store.h"

struct verify_opts {
	const struct receipt	*against;	/* or NULL */
	const char		*fingerprint;	/* expected, or NULL */
};

struct verify_result {
	char		origin[NOTE_MAX_ORIGIN + 1];
	char		fingerprint[SIGN_FPR_HEX];
	uint64_t	events;
	uint64_t	nodes;
	uint64_t	checkpoints;
	uint8_t		root[32];
};

/*
 * Returns 0 if everything holds; CUSTODY_ERR_VERIFY with the first bad
 * event, node or checkpoint named in err; or another error (the database
 * could not be read).
 */
int	log_verify(struct store *st, const struct verify_opts *opts,
	    struct verify_result *res, char *err, size_t errlen);

#endif
