/*
 * merkle.h -- the Merkle tree of RFC 9162 section 2.1, written from the RFC.
 *
 * Leaf hash  SHA-256(0x00 || data); node hash SHA-256(0x01 || left || right);
 * the hash of the empty tree is SHA-256("").
 *
 * Storage model.  A tree is stored as its *perfect subtrees*: the node
 * (level, index) is the hash of leaves [index << level, (index + 1) << level),
 * and exists once all those leaves do.  Level 0 nodes are leaf hashes.  Every
 * range that RFC 9162's recursion touches decomposes into O(log n) such nodes,
 * so roots and proofs cost O(log n) reads through a merkle_get_fn.  Appends
 * go through a frontier (the compact range of the tree: one hash per set
 * bit of its size), which emits each perfect subtree node as it completes.
 *
 * Pure logic: no I/O, no allocation.  The hash functions return void: if
 * OpenSSL cannot compute SHA-256 at all they abort rather than return a
 * wrong hash.  A proof does not commit to the tree size (RFC 9162): take
 * the size from a signed checkpoint.
 */
#ifndef CUSTODY_MERKLE_H
#define CUSTODY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_SIZE	32
#define MERKLE_MAX_LEVELS	64	/* levels a uint64_t size can need */
#define MERKLE_MAX_PROOF	64	/* hashes an inclusion proof can hold */
#define MERKLE_MAX_CPROOF	128	/* hashes a consistency proof can hold */

int	merkle_hash_leaf(const void *data, size_t len, uint8_t out[32]);
void	merkle_hash_node(const uint8_t left[32], const uint8_t right[32],
	    uint8_t out[32]);
void	merkle_hash_empty(uint8_t out[32]);

/*
 * Fetches the stored hash of perfect subtree (level, index) into out.
 * Returns 0, or a negative custody_err (which the caller passes on).
 */
typedef int merkle_get_fn(void *ctx, unsigned int level, uint64_t index,
    uint8_t out[32]);

/*
 * Called for each perfect subtree node that an append completes, lowest
 * level first (the leaf itself is level 0).  Returns 0 or a negative error,
 * which stops the append and is returned by merkle_frontier_append.
 */
typedef int merkle_emit_fn(void *ctx, unsigned int level, uint64_t index,
    const uint8_t hash[32]);

/* MTH(D[0:size]).  size 0 gives the empty-tree hash. */
int	merkle_root(uint64_t size, merkle_get_fn *get, void *ctx,
	    uint8_t out[32]);

/*
 * PATH(index, D[0:size]) of RFC 9162 2.1.3.1, ordered from the leaf up.
 * path must hold MERKLE_MAX_PROOF hashes; *path_len is set on success.
 * Returns CUSTODY_ERR_RANGE unless index < size.
 */
int	merkle_inclusion_proof(uint64_t index, uint64_t size,
	    merkle_get_fn *get, void *ctx, uint8_t path[][32],
	    size_t *path_len);

/*
 * PROOF(old_size, D[0:new_size]) of RFC 9162 2.1.4.1.  path must hold
 * MERKLE_MAX_CPROOF hashes.  Requires 0 < old_size <= new_size (an equal
 * pair gives an empty proof).
 */
int	merkle_consistency_proof(uint64_t old_size, uint64_t new_size,
	    merkle_get_fn *get, void *ctx, uint8_t path[][32],
	    size_t *path_len);

/*
 * RFC 9162 2.1.3.2.  Returns 0 when the proof leads from leaf to root,
 * CUSTODY_ERR_VERIFY when it does not (including a proof of wrong length),
 * CUSTODY_ERR_RANGE when index >= size.
 */
int	merkle_inclusion_verify(uint64_t index, uint64_t size,
	    const uint8_t leaf[32], const uint8_t path[][32], size_t path_len,
	    const uint8_t root[32]);

/* RFC 9162 2.1.4.2.  Returns 0 or CUSTODY_ERR_VERIFY / CUSTODY_ERR_RANGE. */
int	merkle_consistency_verify(uint64_t old_size, uint64_t new_size,
	    const uint8_t old_root[32], const uint8_t new_root[32],
	    const uint8_t path[][32], size_t path_len);

/*
 * The frontier of an append-only tree: hash[l] is the perfect subtree at
 * level l ending the tree, valid iff bit l of size is set.  O(log n) memory.
 */
struct merkle_frontier {
	uint64_t	size;
	uint8_t		hash[MERKLE_MAX_LEVELS][32];
};

void	merkle_frontier_init(struct merkle_frontier *f);

/*
 * Appends one leaf hash (not data): emits (0, size) and each node the leaf
 * completes, then advances size.  On an emit error size is not advanced.
 */
int	merkle_frontier_append(struct merkle_frontier *f, const uint8_t leaf[32],
	    merkle_emit_fn *emit, void *ctx);

/*
 * The root of the tree the frontier describes.  Returns 0, or
 * CUSTODY_ERR_CRYPTO if OpenSSL failed (merkle_hash_leaf too).
 */
int	merkle_frontier_root(const struct merkle_frontier *f, uint8_t out[32]);

/*
 * Rebuilds a frontier for a tree of the given size from stored nodes
 * (O(log n) reads), so an append can continue after a restart.
 */
int	merkle_frontier_load(struct merkle_frontier *f, uint64_t size,
	    merkle_get_fn *get, void *ctx);

#endif
