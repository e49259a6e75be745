/*
 * merkle.c -- the Merkle tree of RFC 9162 section 2.1, written from the RFC.
 *
 * Design.
 *
 * RFC 9162 defines the tree hash MTH, the inclusion path PATH and the
 * consistency proof PROOF by recursion on a range D[b:e]: with k the
 * largest power of two below e - b, the range splits into D[b:b+k] and
 * D[b+k:e].  Every range that recursion visits starts at a multiple of
 * the largest power of two not above its length.  Such a range is the
 * concatenation, left to right, of one perfect subtree per set bit of its
 * length, highest bit first, each aligned to its own size; and its MTH is
 * the right fold of those subtree hashes, H(s0, H(s1, ... H(sk-1, sk))).
 * range_hash() computes exactly that, with one merkle_get_fn call per set
 * bit, so a range that is itself a power of two long costs one call.
 *
 * Generation walks the RFC recursion without recursing:
 *
 *   root		range_hash(0, size): popcount(size) reads.
 *   inclusion proof	below the level where index and size - 1 first
 *			differ, the siblings are perfect subtrees; at that
 *			level the sibling is the ragged right edge (one
 *			range_hash); above it the siblings are the perfect
 *			left subtrees at the set bits of index.  At most
 *			2 * 64 reads.
 *   consistency proof	follows SUBPROOF top-down, recording one range per
 *			step, then reverses (the RFC lists the deepest
 *			first).  Only the first range that ends at new_size is
 *			ragged, so at most 64 + 64 + 1 reads.
 *
 * Verification is the two algorithms of 2.1.3.2 and 2.1.4.2, step for
 * step, plus the cases the RFC text leaves to the caller (old == new,
 * sizes out of range).
 *
 * The frontier holds, for a tree of `size` leaves, hash[l] = the perfect
 * subtree at level l that ends the tree, for each set bit l of size.
 * Invariants:
 *   (F1) hash[l] is meaningful iff bit l of size is set;
 *   (F2) the right fold of those hashes, lowest level innermost, is the
 *	  root (merkle_frontier_root);
 *   (F3) merkle_frontier_append advances size by one, and only after
 *	  every emit for the new leaf has succeeded; otherwise only
 *	  merkle_frontier_init and merkle_frontier_load set it.
 * Appending leaf i merges it with hash[0], hash[1], ... while bit l of i
 * is set -- a binary carry -- emitting each node it completes.
 *
 * Hashing.  SHA-256 is fetched once per process (pthread_once) and every
 * hash is a one-shot EVP_Digest or a short Init/Update/Final with that
 * fetched EVP_MD, so no per-call provider lookup.  This file allocates
 * nothing itself.  Internal hashing reports an OpenSSL failure as
 * CUSTODY_ERR_CRYPTO; only the void functions of the header, which cannot
 * report it, abort() -- a wrong hash must never pass for a right one.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "hashing/merkle.h"

#define HASHLEN		MERKLE_HASH_SIZE

static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD		*sha256_md;	/* written once, under sha256_once */

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* The process-wide SHA-256, or NULL if OpenSSL cannot provide it. */
static const EVP_MD *
sha256_get(void)
{
	if (pthread_once(&sha256_once, sha256_fetch) != 0)
		return NULL;
	return sha256_md;
}

/* SHA-256(prefix || data) into out.  Returns 0 or CUSTODY_ERR_CRYPTO. */
static int
hash_prefixed(uint8_t prefix, const void *data, size_t len,
    uint8_t out[HASHLEN])
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	int ok;

	if ((md = sha256_get()) == NULL)
		return CUSTODY_ERR_CRYPTO;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return CUSTODY_ERR_CRYPTO;
	ok = EVP_DigestInit_ex2(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, &prefix, 1) == 1 &&
	    (len == 0 || EVP_DigestUpdate(ctx, data, len) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : CUSTODY_ERR_CRYPTO;
}

/*
 * SHA-256(0x01 || left || right) into out, which may alias either input.
 * Returns 0 or CUSTODY_ERR_CRYPTO.  The hot path of every verification.
 */
static int
hash_node(const uint8_t left[HASHLEN], const uint8_t right[HASHLEN],
    uint8_t out[HASHLEN])
{
	uint8_t buf[1 + 2 * HASHLEN];
	const EVP_MD *md;

	if ((md = sha256_get()) == NULL)
		return CUSTODY_ERR_CRYPTO;
	buf[0] = 0x01;
	memcpy(buf + 1, left, HASHLEN);
	memcpy(buf + 1 + HASHLEN, right, HASHLEN);
	if (EVP_Digest(buf, sizeof(buf), out, NULL, md, NULL) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/* SHA-256("") into out.  Returns 0 or CUSTODY_ERR_CRYPTO. */
static int
hash_empty(uint8_t out[HASHLEN])
{
	const EVP_MD *md;

	if ((md = sha256_get()) == NULL)
		return CUSTODY_ERR_CRYPTO;
	if (EVP_Digest("", 0, out, NULL, md, NULL) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * The leaf hash of RFC 9162 2.1.1.  Returns 0 or CUSTODY_ERR_CRYPTO: the
 * daemon hashes every event, and OpenSSL failing to allocate its digest
 * context must cost it the request, not the process.
 */
int
merkle_hash_leaf(const void *data, size_t len, uint8_t out[32])
{
	return hash_prefixed(0x00, data, len, out);
}

/* The interior node hash of RFC 9162 2.1.1.  Aborts if OpenSSL fails. */
void
merkle_hash_node(const uint8_t left[32], const uint8_t right[32],
    uint8_t out[32])
{
	if (hash_node(left, right, out) != 0)
		abort();
}

/* The hash of the empty tree, SHA-256("").  Aborts if OpenSSL fails. */
void
merkle_hash_empty(uint8_t out[32])
{
	if (hash_empty(out) != 0)
		abort();
}

/* Number of significant bits of x: 0 for 0, 64 for 2^63 and above. */
static unsigned int
bit_length(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned int)__builtin_clzll(x);
}

/*
 * MTH(D[begin:end]) into out, for begin < end and begin a multiple of
 * 2^floor(log2(end - begin)) -- true of every range the RFC recursion
 * visits.  Reads one stored node per set bit of end - begin, lowest (the
 * rightmost subtree) first, and folds leftwards.  Returns 0 or the
 * first error of get or the hash; CUSTODY_ERR_RANGE for an empty range.
 */
static int
range_hash(uint64_t begin, uint64_t end, merkle_get_fn *get, void *ctx,
    uint8_t out[HASHLEN])
{
	uint8_t acc[HASHLEN], piece[HASHLEN];
	uint64_t len = end - begin, start;
	unsigned int l;
	int r, have = 0;

	if (begin >= end)
		return CUSTODY_ERR_RANGE;
	for (l = 0; l < 64; l++) {
		if (((len >> l) & 1) == 0)
			continue;
		/* This subtree ends where the bits of len above l end. */
		start = begin + ((len >> l) << l) - ((uint64_t)1 << l);
		if ((r = get(ctx, l, start >> l, have ? piece : acc)) != 0)
			return r;
		if (have && (r = hash_node(piece, acc, acc)) != 0)
			return r;
		have = 1;
	}
	memcpy(out, acc, HASHLEN);
	return 0;
}

/*
 * MTH(D[0:size]) into out, through popcount(size) reads.  Returns 0, or
 * the first error of get (passed on) or CUSTODY_ERR_CRYPTO.
 */
int
merkle_root(uint64_t size, merkle_get_fn *get, void *ctx, uint8_t out[32])
{
	if (size == 0)
		return hash_empty(out);
	return range_hash(0, size, get, ctx, out);
}

/*
 * PATH(index, D[0:size]), leaf first, into path; *path_len is 0 unless
 * this returns 0.  CUSTODY_ERR_RANGE unless index < size; otherwise 0 or
 * the first error of get or the hash.  At most 2 * 64 reads.
 */
int
merkle_inclusion_proof(uint64_t index, uint64_t size, merkle_get_fn *get,
    void *ctx, uint8_t path[][32], size_t *path_len)
{
	unsigned int inner, l;
	uint64_t begin;
	size_t n = 0;
	int r;

	*path_len = 0;
	if (index >= size)
		return CUSTODY_ERR_RANGE;
	/*
	 * Levels below `inner' lie in the subtree holding both index and
	 * size - 1.  There, bit inner - 1 of index is 0 (index is in the
	 * full left half) and the right half is cut off at size.
	 */
	inner = bit_length(index ^ (size - 1));
	for (l = 0; l + 1 < inner; l++)
		if ((r = get(ctx, l, (index >> l) ^ 1, path[n++])) != 0)
			return r;
	if (inner > 0) {
		begin = ((index >> (inner - 1)) | 1) << (inner - 1);
		if ((r = range_hash(begin, size, get, ctx, path[n++])) != 0)
			return r;
	}
	/* Above it, index is in a right half exactly where its bit is 1. */
	for (l = inner; l < 64; l++) {
		if (((index >> l) & 1) == 0)
			continue;
		if ((r = get(ctx, l, (index >> l) ^ 1, path[n++])) != 0)
			return r;
	}
	*path_len = n;
	return 0;
}

/* Reverses n hashes of path in place. */
static void
path_reverse(uint8_t path[][32], size_t n)
{
	uint8_t tmp[HASHLEN];
	size_t i;

	for (i = 0; i < n / 2; i++) {
		memcpy(tmp, path[i], HASHLEN);
		memcpy(path[i], path[n - 1 - i], HASHLEN);
		memcpy(path[n - 1 - i], tmp, HASHLEN);
	}
}

/*
 * PROOF(old_size, D[0:new_size]) into path; *path_len is 0 unless this
 * returns 0.  CUSTODY_ERR_RANGE unless 0 < old_size <= new_size; an
 * equal pair gives an empty proof.  Otherwise 0 or the first error of get
 * or the hash.
 */
int
merkle_consistency_proof(uint64_t old_size, uint64_t new_size,
    merkle_get_fn *get, void *ctx, uint8_t path[][32], size_t *path_len)
{
	uint64_t b = 0, e = new_size, k;
	unsigned int lk;
	int r, whole = 1;	/* SUBPROOF's b: D[b:e] is the whole tree */
	size_t n = 0;

	*path_len = 0;
	if (old_size == 0 || old_size > new_size)
		return CUSTODY_ERR_RANGE;
	/* Invariant: b < old_size <= e; the RFC's m is old_size - b. */
	while (old_size < e) {
		lk = bit_length(e - b - 1) - 1;
		k = (uint64_t)1 << lk;
		if (old_size <= b + k) {
			/* SUBPROOF(m, D[b:b+k], whole) : MTH(D[b+k:e]) */
			if ((r = range_hash(b + k, e, get, ctx,
			    path[n++])) != 0)
				return r;
			e = b + k;
		} else {
			/* SUBPROOF(m - k, D[b+k:e], false) : MTH(D[b:b+k]) */
			if ((r = get(ctx, lk, b >> lk, path[n++])) != 0)
				return r;
			b += k;
			whole = 0;
		}
	}
	/* SUBPROOF(m, D[b:e], false) with m == e - b is {MTH(D[b:e])}. */
	if (!whole && (r = range_hash(b, e, get, ctx, path[n++])) != 0)
		return r;
	path_reverse(path, n);
	*path_len = n;
	return 0;
}

/*
 * RFC 9162 2.1.3.2.  Returns 0 if path leads from leaf (at index, in a
 * tree of size leaves) to root; CUSTODY_ERR_RANGE if index >= size;
 * CUSTODY_ERR_VERIFY otherwise, including a path too long or too short;
 * CUSTODY_ERR_CRYPTO if hashing fails.
 */
int
merkle_inclusion_verify(uint64_t index, uint64_t size,
    const uint8_t leaf[32], const uint8_t path[][32], size_t path_len,
    const uint8_t root[32])
{
	uint8_t r[HASHLEN];
	uint64_t fn, sn;
	size_t i;
	int e;

	if (index >= size)
		return CUSTODY_ERR_RANGE;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, HASHLEN);
	for (i = 0; i < path_len; i++) {
		if (sn == 0)
			return CUSTODY_ERR_VERIFY;
		if ((fn & 1) != 0 || fn == sn) {
			if ((e = hash_node(path[i], r, r)) != 0)
				return e;
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if ((e = hash_node(r, path[i], r)) != 0)
			return e;
		fn >>= 1;
		sn >>= 1;
	}
	/* Roots are public: no need for a constant-time compare. */
	if (sn != 0 || memcmp(r, root, HASHLEN) != 0)
		return CUSTODY_ERR_VERIFY;
	return 0;
}

/*
 * RFC 9162 2.1.4.2.  Returns 0 if path proves the tree of old_size
 * leaves with old_root a prefix of the tree of new_size leaves with
 * new_root; CUSTODY_ERR_RANGE unless 0 < old_size <= new_size;
 * CUSTODY_ERR_VERIFY otherwise (equal sizes need an empty path and equal
 * roots); CUSTODY_ERR_CRYPTO if hashing fails.
 */
int
merkle_consistency_verify(uint64_t old_size, uint64_t new_size,
    const uint8_t old_root[32], const uint8_t new_root[32],
    const uint8_t path[][32], size_t path_len)
{
	uint8_t fr[HASHLEN], sr[HASHLEN];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t i, first;
	int e;

	if (old_size == 0 || old_size > new_size)
		return CUSTODY_ERR_RANGE;
	if (old_size == new_size) {
		if (path_len != 0 || memcmp(old_root, new_root, HASHLEN) != 0)
			return CUSTODY_ERR_VERIFY;
		return 0;
	}
	/* Step 1. */
	if (path_len == 0)
		return CUSTODY_ERR_VERIFY;
	/*
	 * Step 2, without copying: when old_size is a power of two the
	 * path is read as if old_root stood before it.
	 */
	first = (old_size & (old_size - 1)) == 0 ? 0 : 1;
	/* Steps 3 and 4. */
	fn = old_size - 1;
	sn = new_size - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	c = first == 0 ? old_root : path[0];
	memcpy(fr, c, HASHLEN);
	memcpy(sr, c, HASHLEN);
	/* Step 6: each value after the first. */
	for (i = first; i < path_len; i++) {
		c = path[i];
		if (sn == 0)
			return CUSTODY_ERR_VERIFY;
		if ((fn & 1) != 0 || fn == sn) {
			if ((e = hash_node(c, fr, fr)) != 0 ||
			    (e = hash_node(c, sr, sr)) != 0)
				return e;
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if ((e = hash_node(sr, c, sr)) != 0)
			return e;
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7. */
	if (sn != 0 || memcmp(fr, old_root, HASHLEN) != 0 ||
	    memcmp(sr, new_root, HASHLEN) != 0)
		return CUSTODY_ERR_VERIFY;
	return 0;
}

/* An empty frontier (size 0). */
void
merkle_frontier_init(struct merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

/*
 * Appends leaf hash `leaf' as leaf number f->size: emits (0, size), then
 * each node it completes, lowest level first, and only then advances
 * f->size (F3).  On an error (of emit, which is passed on, or
 * CUSTODY_ERR_CRYPTO) the frontier is unchanged, though the nodes emitted
 * before the error stay emitted: a retry emits them again, identical.
 * CUSTODY_ERR_RANGE if the tree already holds 2^64 - 1 leaves.
 */
int
merkle_frontier_append(struct merkle_frontier *f, const uint8_t leaf[32],
    merkle_emit_fn *emit, void *ctx)
{
	uint8_t acc[HASHLEN];
	uint64_t i = f->size;
	unsigned int l;
	int r;

	if (i == UINT64_MAX)
		return CUSTODY_ERR_RANGE;
	memcpy(acc, leaf, HASHLEN);
	if ((r = emit(ctx, 0, i, acc)) != 0)
		return r;
	/* i < 2^64 - 1 has at most 63 trailing ones, so l stays < 64. */
	for (l = 0; ((i >> l) & 1) != 0; l++) {
		if ((r = hash_node(f->hash[l], acc, acc)) != 0)
			return r;
		if ((r = emit(ctx, l + 1, i >> (l + 1), acc)) != 0)
			return r;
	}
	memcpy(f->hash[l], acc, HASHLEN);
	f->size = i + 1;
	return 0;
}

/*
 * Folds the frontier into the root (F2).  Returns 0 or
 * CUSTODY_ERR_CRYPTO (OpenSSL failed, as for merkle_hash_leaf).
 */
int
merkle_frontier_root(const struct merkle_frontier *f, uint8_t out[32])
{
	uint8_t acc[HASHLEN];
	unsigned int l;
	int have = 0;

	if (f->size == 0)
		return hash_empty(out);
	for (l = 0; l < MERKLE_MAX_LEVELS; l++) {
		if (((f->size >> l) & 1) == 0)
			continue;
		if (!have)
			memcpy(acc, f->hash[l], HASHLEN);
		else if (hash_node(f->hash[l], acc, acc) != 0)
			return CUSTODY_ERR_CRYPTO;
		have = 1;
	}
	memcpy(out, acc, HASHLEN);
	return 0;
}

/*
 * Rebuilds *f for a tree of size leaves from the stored perfect subtrees
 * that end it, one read per set bit of size.  On error (of get, passed
 * on) *f is left as it was.
 */
int
merkle_frontier_load(struct merkle_frontier *f, uint64_t size,
    merkle_get_fn *get, void *ctx)
{
	struct merkle_frontier tmp;
	uint64_t start;
	unsigned int l;
	int r;

	merkle_frontier_init(&tmp);
	for (l = 0; l < MERKLE_MAX_LEVELS; l++) {
		if (((size >> l) & 1) == 0)
			continue;
		start = ((size >> l) << l) - ((uint64_t)1 << l);
		if ((r = get(ctx, l, start >> l, tmp.hash[l])) != 0)
			return r;
	}
	tmp.size = size;
	*f = tmp;
	return 0;
}
