/*
 * test_merkle.c -- unit tests for hashing/merkle.c.
 *
 * The reference in this file is the RFC 9162 recursion written out
 * naively (MTH, PATH, SUBPROOF, and verifiers that rebuild the roots by
 * the same recursion), over SHA-256 computed here with EVP directly, so
 * nothing in it shares code with the module under test.  The published
 * RFC 6962 vectors pin both.
 *
 * The stores: `struct store' keeps every perfect subtree by level, is fed
 * by merkle_frontier_append, and fails (and counts) any read of a node
 * outside the tree size it is told the caller may see.  `struct uniform'
 * synthesises a tree whose leaves are all equal, so a perfect subtree's
 * hash depends only on its level: trees of up to 2^64 - 1 leaves, for
 * counting reads and checking proofs far beyond any real log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "hashing/merkle.h"

#define H		MERKLE_HASH_SIZE
#define MAXN		64	/* exhaustive proofs for sizes up to this */
#define FRONTIER_N	300	/* appends in the frontier tests */
#define STORE_LEAVES	512
#define STORE_LEVELS	10	/* 2^9 = STORE_LEAVES */

/* --- reference hashing (independent of merkle.c) --- */

static void
ref_sha256(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    const uint8_t *c, size_t clen, uint8_t out[H])
{
	EVP_MD_CTX *ctx;
	unsigned int olen = 0;

	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, alen), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, b, blen), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, c, clen), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &olen), 1);
	assert_int_equal(olen, H);
	EVP_MD_CTX_free(ctx);
}

static void
ref_leaf(const void *data, size_t len, uint8_t out[H])
{
	static const uint8_t zero = 0x00;

	ref_sha256(&zero, 1, data, len, NULL, 0, out);
}

static void
ref_node(const uint8_t l[H], const uint8_t r[H], uint8_t out[H])
{
	static const uint8_t one = 0x01;
	uint8_t tmp[H];

	ref_sha256(&one, 1, l, H, r, H, tmp);
	memcpy(out, tmp, H);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t
ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/* MTH(D[0:n]) over leaf hashes lh, n >= 1, by the RFC's recursion. */
static void
ref_mth(const uint8_t (*lh)[H], uint64_t n, uint8_t out[H])
{
	uint8_t a[H], b[H];
	uint64_t k;

	if (n == 1) {
		memcpy(out, lh[0], H);
		return;
	}
	k = ref_split(n);
	ref_mth(lh, k, a);
	ref_mth(lh + k, n - k, b);
	ref_node(a, b, out);
}

/* PATH(m, D[0:n]), leaf first, appended at p[*len]. */
static void
ref_path(uint64_t m, const uint8_t (*lh)[H], uint64_t n, uint8_t (*p)[H],
    size_t *len)
{
	uint64_t k;

	if (n == 1)
		return;
	k = ref_split(n);
	if (m < k) {
		ref_path(m, lh, k, p, len);
		ref_mth(lh + k, n - k, p[(*len)++]);
	} else {
		ref_path(m - k, lh + k, n - k, p, len);
		ref_mth(lh, k, p[(*len)++]);
	}
}

/* SUBPROOF(m, D[0:n], b), appended at p[*len]. */
static void
ref_subproof(uint64_t m, const uint8_t (*lh)[H], uint64_t n, int b,
    uint8_t (*p)[H], size_t *len)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(lh, n, p[(*len)++]);
		return;
	}
	k = ref_split(n);
	if (m <= k) {
		ref_subproof(m, lh, k, b, p, len);
		ref_mth(lh + k, n - k, p[(*len)++]);
	} else {
		ref_subproof(m - k, lh + k, n - k, 0, p, len);
		ref_mth(lh, k, p[(*len)++]);
	}
}

/*
 * The root that PATH p (len hashes, leaf first) implies for leaf hash
 * `leaf' at m in a tree of n, by the recursion; -1 if len does not fit.
 */
static int
ref_incl_root(uint64_t m, uint64_t n, const uint8_t leaf[H],
    const uint8_t (*p)[H], size_t len, uint8_t out[H])
{
	uint8_t t[H];
	uint64_t k;

	if (n == 1) {
		if (len != 0)
			return -1;
		memcpy(out, leaf, H);
		return 0;
	}
	if (len == 0)
		return -1;
	k = ref_split(n);
	if (m < k) {
		if (ref_incl_root(m, k, leaf, p, len - 1, t) != 0)
			return -1;
		ref_node(t, p[len - 1], out);
	} else {
		if (ref_incl_root(m - k, n - k, leaf, p, len - 1, t) != 0)
			return -1;
		ref_node(p[len - 1], t, out);
	}
	return 0;
}

/* Accepts iff p leads leaf at m to root in a tree of n. */
static int
ref_incl_ok(uint64_t m, uint64_t n, const uint8_t leaf[H],
    const uint8_t (*p)[H], size_t len, const uint8_t root[H])
{
	uint8_t got[H];

	if (m >= n || ref_incl_root(m, n, leaf, p, len, got) != 0)
		return 0;
	return memcmp(got, root, H) == 0;
}

/*
 * The old and new roots that SUBPROOF(m, D[0:n], b) proof p (len hashes)
 * implies, given the claimed old root (which a proof leaves out when the
 * old tree is a whole subtree of the new one); -1 if len does not fit.
 */
static int
ref_cons_roots(uint64_t m, uint64_t n, int b, const uint8_t old_root[H],
    const uint8_t (*p)[H], size_t len, uint8_t o[H], uint8_t s[H])
{
	uint8_t to[H], ts[H];
	uint64_t k;

	if (m == n) {
		if (b) {
			if (len != 0)
				return -1;
			memcpy(o, old_root, H);
		} else {
			if (len != 1)
				return -1;
			memcpy(o, p[0], H);
		}
		memcpy(s, o, H);
		return 0;
	}
	if (len == 0)
		return -1;
	k = ref_split(n);
	if (m <= k) {
		if (ref_cons_roots(m, k, b, old_root, p, len - 1, to, ts) != 0)
			return -1;
		memcpy(o, to, H);
		ref_node(ts, p[len - 1], s);
	} else {
		if (ref_cons_roots(m - k, n - k, 0, old_root, p, len - 1, to,
		    ts) != 0)
			return -1;
		ref_node(p[len - 1], to, o);
		ref_node(p[len - 1], ts, s);
	}
	return 0;
}

static int
ref_cons_ok(uint64_t m, uint64_t n, const uint8_t old_root[H],
    const uint8_t new_root[H], const uint8_t (*p)[H], size_t len)
{
	uint8_t o[H], s[H];

	if (m == 0 || m > n)
		return 0;
	if (m == n)
		return len == 0 && memcmp(old_root, new_root, H) == 0;
	if (ref_cons_roots(m, n, 1, old_root, p, len, o, s) != 0)
		return 0;
	return memcmp(o, old_root, H) == 0 && memcmp(s, new_root, H) == 0;
}

/* --- test data --- */

static void
hex_decode(const char *hex, uint8_t *out, size_t len)
{
	unsigned int v;
	size_t i;

	assert_int_equal(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Leaf i of the big trees: 4 bytes of i, then i % 7 bytes of 'x'. */
static size_t
leaf_data(uint64_t i, uint8_t buf[16])
{
	size_t n = (size_t)(i % 7);

	buf[0] = (uint8_t)(i >> 24);
	buf[1] = (uint8_t)(i >> 16);
	buf[2] = (uint8_t)(i >> 8);
	buf[3] = (uint8_t)i;
	memset(buf + 4, 'x', n);
	return 4 + n;
}

/* --- the array-of-levels store --- */

struct store {
	uint8_t		node[STORE_LEVELS][STORE_LEAVES][H];
	uint64_t	count[STORE_LEVELS];
	uint64_t	limit;		/* tree size readers may see */
	unsigned long	gets;
	unsigned long	bad_gets;	/* reads beyond limit: always a bug */
	unsigned int	fail_level;	/* emit at this level fails */
	int		fail_get;	/* every get fails with this */
	unsigned int	fail_get_level;	/* a get at this level fails */
	/* the emits of the last append */
	unsigned int	nlog;
	unsigned int	log_level[MERKLE_MAX_LEVELS + 1];
	uint64_t	log_index[MERKLE_MAX_LEVELS + 1];
};

static struct store *
store_new(void)
{
	struct store *s;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->fail_level = UINT32_MAX;
	s->fail_get_level = UINT32_MAX;
	return s;
}

static int
store_get(void *ctx, unsigned int level, uint64_t index, uint8_t out[32])
{
	struct store *s = ctx;

	s->gets++;
	if (s->fail_get != 0)
		return s->fail_get;
	if (level == s->fail_get_level)
		return CUSTODY_ERR_IO;
	/* Node (level, index) exists in a tree of limit leaves iff this. */
	if (level >= 64 || index >= (s->limit >> level)) {
		s->bad_gets++;
		return CUSTODY_ERR_NOTFOUND;
	}
	if (level >= STORE_LEVELS || index >= s->count[level])
		return CUSTODY_ERR_NOTFOUND;
	memcpy(out, s->node[level][index], H);
	return 0;
}

static int
store_emit(void *ctx, unsigned int level, uint64_t index,
    const uint8_t hash[32])
{
	struct store *s = ctx;

	if (level == s->fail_level)
		return CUSTODY_ERR_DB;
	if (s->nlog < MERKLE_MAX_LEVELS + 1) {
		s->log_level[s->nlog] = level;
		s->log_index[s->nlog] = index;
	}
	s->nlog++;
	if (level >= STORE_LEVELS || index >= STORE_LEAVES)
		return CUSTODY_ERR_TOOBIG;
	if (index < s->count[level]) {
		/* A retried append may emit a node again: it must agree. */
		if (memcmp(s->node[level][index], hash, H) != 0)
			return CUSTODY_ERR_CORRUPT;
		return 0;
	}
	if (index != s->count[level])
		return CUSTODY_ERR_INVAL;	/* out of order */
	memcpy(s->node[level][index], hash, H);
	s->count[level]++;
	return 0;
}

/* An emit that keeps nothing. */
static int
emit_none(void *ctx, unsigned int level, uint64_t index,
    const uint8_t hash[32])
{
	return 0;
}

/*
 * A store holding the n leaves of leaf_data (hashes also in lh), built
 * through the frontier.
 */
static struct store *
store_build(uint64_t n, uint8_t (*lh)[H])
{
	struct merkle_frontier f;
	struct store *s;
	uint8_t buf[16];
	uint64_t i;

	s = store_new();
	merkle_frontier_init(&f);
	for (i = 0; i < n; i++) {
		ref_leaf(buf, leaf_data(i, buf), lh[i]);
		assert_int_equal(merkle_frontier_append(&f, lh[i], store_emit,
		    s), 0);
	}
	s->limit = n;
	return s;
}

/* --- the uniform synthetic store --- */

struct uniform {
	uint8_t		level[64][H];	/* hash of a perfect subtree */
	uint64_t	size;
	unsigned long	gets;
	unsigned long	bad_gets;
};

static void
uniform_init(struct uniform *u, uint64_t size)
{
	unsigned int l;

	memset(u, 0, sizeof(*u));
	ref_leaf("same", 4, u->level[0]);
	for (l = 1; l < 64; l++)
		ref_node(u->level[l - 1], u->level[l - 1], u->level[l]);
	u->size = size;
}

static int
uniform_get(void *ctx, unsigned int level, uint64_t index, uint8_t out[32])
{
	struct uniform *u = ctx;

	u->gets++;
	if (level >= 64 || index >= (u->size >> level)) {
		u->bad_gets++;
		return CUSTODY_ERR_NOTFOUND;
	}
	memcpy(out, u->level[level], H);
	return 0;
}

/* MTH of len equal leaves, by the recursion on the length alone. */
static void
uniform_mth(const struct uniform *u, uint64_t len, uint8_t out[H])
{
	uint8_t b[H];
	uint64_t k;

	if ((len & (len - 1)) == 0) {
		memcpy(out, u->level[__builtin_ctzll(len)], H);
		return;
	}
	k = ref_split(len);
	uniform_mth(u, len - k, b);
	ref_node(u->level[__builtin_ctzll(k)], b, out);
}

/* --- hashing --- */

static void
test_hashes(void **state)
{
	uint8_t got[H], want[H], l[H], r[H];

	merkle_hash_empty(got);
	hex_decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "7852b855", want, H);
	assert_memory_equal(got, want, H);

	/* The leaf hash of the empty string is the RFC 6962 size-1 root. */
	merkle_hash_leaf("", 0, got);
	hex_decode("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a306"
	    "17afa01d", want, H);
	assert_memory_equal(got, want, H);

	merkle_hash_leaf("custody", 7, got);
	ref_leaf("custody", 7, want);
	assert_memory_equal(got, want, H);

	merkle_hash_leaf("a", 1, l);
	merkle_hash_leaf("b", 1, r);
	merkle_hash_node(l, r, got);
	ref_node(l, r, want);
	assert_memory_equal(got, want, H);
	/* Order matters, and out may alias an input. */
	merkle_hash_node(r, l, r);
	assert_memory_not_equal(r, want, H);
	merkle_hash_leaf("b", 1, r);
	merkle_hash_node(l, r, l);
	assert_memory_equal(l, want, H);
}

/* --- RFC 6962 published vectors --- */

static const char *const rfc_inputs[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *const rfc_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct rfc_proof {
	uint64_t	 a;	/* index, or old size */
	uint64_t	 n;	/* size, or new size */
	size_t		 len;
	const char	*hash[3];
};

static const struct rfc_proof rfc_inclusion[] = {
	{ 0, 8, 3, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	} },
	{ 5, 8, 3, {
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
	{ 2, 3, 1, {
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	} },
	{ 1, 5, 3, {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	} },
	{ 0, 1, 0, { NULL } },
};

static const struct rfc_proof rfc_consistency[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	} },
	{ 6, 8, 3, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
	{ 2, 5, 2, {
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	} },
	{ 6, 7, 3, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
};

/* The 8-leaf RFC tree in a store, its leaf hashes in lh. */
static struct store *
rfc_store(uint8_t lh[8][H])
{
	struct merkle_frontier f;
	struct store *s;
	uint8_t data[16];
	size_t i, len;

	s = store_new();
	merkle_frontier_init(&f);
	for (i = 0; i < 8; i++) {
		len = strlen(rfc_inputs[i]) / 2;
		hex_decode(rfc_inputs[i], data, len);
		merkle_hash_leaf(data, len, lh[i]);
		assert_int_equal(merkle_frontier_append(&f, lh[i], store_emit,
		    s), 0);
	}
	s->limit = 8;
	return s;
}

static void
test_rfc_roots(void **state)
{
	struct merkle_frontier f;
	uint8_t lh[8][H], got[H], want[H], ref[H];
	struct store *s;
	uint64_t n;

	s = rfc_store(lh);
	merkle_frontier_init(&f);
	for (n = 1; n <= 8; n++) {
		hex_decode(rfc_roots[n - 1], want, H);
		s->limit = n;
		assert_int_equal(merkle_root(n, store_get, s, got), 0);
		assert_memory_equal(got, want, H);
		/* The reference agrees with the published roots too. */
		ref_mth((const uint8_t (*)[H])lh, n, ref);
		assert_memory_equal(ref, want, H);
		assert_int_equal(merkle_frontier_append(&f, lh[n - 1],
		    store_emit, s), 0);
		merkle_frontier_root(&f, got);
		assert_memory_equal(got, want, H);
	}
	assert_int_equal(s->bad_gets, 0);
	free(s);
}

static void
test_rfc_inclusion(void **state)
{
	uint8_t lh[8][H], path[MERKLE_MAX_PROOF][H], want[3][H], root[H];
	const struct rfc_proof *v;
	struct store *s;
	size_t i, j, len;

	s = rfc_store(lh);
	for (i = 0; i < sizeof(rfc_inclusion) / sizeof(rfc_inclusion[0]);
	    i++) {
		v = &rfc_inclusion[i];
		for (j = 0; j < v->len; j++)
			hex_decode(v->hash[j], want[j], H);
		s->limit = v->n;
		assert_int_equal(merkle_inclusion_proof(v->a, v->n, store_get,
		    s, path, &len), 0);
		assert_int_equal(len, v->len);
		if (len > 0)
			assert_memory_equal(path, want, len * H);
		hex_decode(rfc_roots[v->n - 1], root, H);
		assert_int_equal(merkle_inclusion_verify(v->a, v->n, lh[v->a],
		    (const uint8_t (*)[32])want, v->len, root), 0);
	}
	assert_int_equal(s->bad_gets, 0);
	free(s);
}

static void
test_rfc_consistency(void **state)
{
	uint8_t lh[8][H], path[MERKLE_MAX_CPROOF][H], want[3][H];
	uint8_t r1[H], r2[H];
	const struct rfc_proof *v;
	struct store *s;
	size_t i, j, len;

	s = rfc_store(lh);
	for (i = 0; i < sizeof(rfc_consistency) / sizeof(rfc_consistency[0]);
	    i++) {
		v = &rfc_consistency[i];
		for (j = 0; j < v->len; j++)
			hex_decode(v->hash[j], want[j], H);
		s->limit = v->n;
		assert_int_equal(merkle_consistency_proof(v->a, v->n,
		    store_get, s, path, &len), 0);
		assert_int_equal(len, v->len);
		if (len > 0)
			assert_memory_equal(path, want, len * H);
		hex_decode(rfc_roots[v->a - 1], r1, H);
		hex_decode(rfc_roots[v->n - 1], r2, H);
		assert_int_equal(merkle_consistency_verify(v->a, v->n, r1, r2,
		    (const uint8_t (*)[32])want, v->len), 0);
		/* The roots swapped must not verify. */
		if (v->a != v->n)
			assert_int_equal(merkle_consistency_verify(v->a, v->n,
			    r2, r1, (const uint8_t (*)[32])want, v->len),
			    CUSTODY_ERR_VERIFY);
	}
	assert_int_equal(s->bad_gets, 0);
	free(s);
}

/* --- exhaustive proofs up to MAXN leaves --- */

struct world {
	struct store	*s;
	uint8_t		 lh[MAXN][H];
	uint8_t		 root[MAXN + 1][H];	/* root[n] = MTH(D[0:n]) */
};

static struct world *
world_new(void)
{
	struct world *w;
	uint64_t n;

	w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->s = store_build(MAXN, w->lh);
	for (n = 1; n <= MAXN; n++)
		ref_mth((const uint8_t (*)[H])w->lh, n, w->root[n]);
	return w;
}

static void
world_free(struct world *w)
{
	free(w->s);
	free(w);
}

static void
test_roots_exhaustive(void **state)
{
	struct world *w = world_new();
	uint8_t got[H];
	uint64_t n;

	for (n = 1; n <= MAXN; n++) {
		w->s->limit = n;
		w->s->gets = 0;
		assert_int_equal(merkle_root(n, store_get, w->s, got), 0);
		assert_memory_equal(got, w->root[n], H);
		/* One read per perfect subtree: a power of two is one. */
		assert_int_equal(w->s->gets, __builtin_popcountll(n));
	}
	w->s->gets = 0;
	assert_int_equal(merkle_root(0, store_get, w->s, got), 0);
	merkle_hash_empty(w->root[0]);
	assert_memory_equal(got, w->root[0], H);
	assert_int_equal(w->s->gets, 0);
	assert_int_equal(w->s->bad_gets, 0);
	world_free(w);
}

/* Copies p without element `drop' (or all if drop >= len) into q. */
static size_t
path_without(const uint8_t (*p)[H], size_t len, size_t drop, uint8_t (*q)[H])
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (i != drop)
			memcpy(q[n++], p[i], H);
	return n;
}

/* Copies p with `extra' inserted before position at into q. */
static size_t
path_with(const uint8_t (*p)[H], size_t len, size_t at,
    const uint8_t extra[H], uint8_t (*q)[H])
{
	size_t i, n = 0;

	for (i = 0; i <= len; i++) {
		if (i == at)
			memcpy(q[n++], extra, H);
		if (i < len)
			memcpy(q[n++], p[i], H);
	}
	return n;
}

/*
 * Every mutation of one inclusion proof.  Those that must fail are
 * asserted to fail (by both verifiers); a wrong size is asserted to give
 * exactly the reference's answer, because a proof does not commit to the
 * tree size (see test_inclusion_size_not_committed).
 */
static void
inclusion_mutants(const struct world *w, uint64_t m, uint64_t n,
    const uint8_t (*p)[H], size_t len, unsigned long *size_accepted)
{
	uint8_t q[MERKLE_MAX_PROOF + 1][H], junk[H];
	const uint8_t *leaf = w->lh[m], *root = w->root[n];
	uint64_t x;
	size_t i, j, ql;
	int r;

	/* Any single byte of any hash changed. */
	for (i = 0; i < len; i++) {
		for (j = 0; j < H; j++) {
			memcpy(q, p, len * H);
			q[i][j] ^= 0x5a;
			assert_int_equal(merkle_inclusion_verify(m, n, leaf,
			    (const uint8_t (*)[32])q, len, root),
			    CUSTODY_ERR_VERIFY);
		}
	}
	/* A hash dropped, anywhere. */
	for (i = 0; i < len; i++) {
		ql = path_without(p, len, i, q);
		assert_int_equal(merkle_inclusion_verify(m, n, leaf,
		    (const uint8_t (*)[32])q, ql, root), CUSTODY_ERR_VERIFY);
	}
	/* A hash added, anywhere: junk, the root, or a copy from the path. */
	memset(junk, 0xab, H);
	for (i = 0; i <= len; i++) {
		ql = path_with(p, len, i, junk, q);
		assert_int_equal(merkle_inclusion_verify(m, n, leaf,
		    (const uint8_t (*)[32])q, ql, root), CUSTODY_ERR_VERIFY);
		ql = path_with(p, len, i, root, q);
		assert_int_equal(merkle_inclusion_verify(m, n, leaf,
		    (const uint8_t (*)[32])q, ql, root), CUSTODY_ERR_VERIFY);
		if (len > 0) {
			ql = path_with(p, len, i, p[len - 1], q);
			assert_int_equal(merkle_inclusion_verify(m, n, leaf,
			    (const uint8_t (*)[32])q, ql, root),
			    CUSTODY_ERR_VERIFY);
		}
	}
	/* Every other index. */
	for (x = 0; x < n + 2; x++) {
		if (x == m)
			continue;
		r = merkle_inclusion_verify(x, n, leaf, p, len, root);
		assert_int_equal(r, x < n ? CUSTODY_ERR_VERIFY :
		    CUSTODY_ERR_RANGE);
		assert_false(ref_incl_ok(x, n, leaf, p, len, root));
	}
	/* Every other size: exactly as the reference decides. */
	for (x = 1; x <= 2 * MAXN; x++) {
		if (x == n)
			continue;
		r = merkle_inclusion_verify(m, x, leaf, p, len, root);
		if (m >= x)
			assert_int_equal(r, CUSTODY_ERR_RANGE);
		else if (ref_incl_ok(m, x, leaf, p, len, root)) {
			assert_int_equal(r, 0);
			(*size_accepted)++;
		} else
			assert_int_equal(r, CUSTODY_ERR_VERIFY);
	}
	/* The wrong leaf, or the root of another size. */
	assert_int_equal(merkle_inclusion_verify(m, n, w->lh[(m + 1) % MAXN],
	    p, len, root), CUSTODY_ERR_VERIFY);
	assert_int_equal(merkle_inclusion_verify(m, n, leaf, p, len,
	    w->root[n == MAXN ? 1 : n + 1]), CUSTODY_ERR_VERIFY);
}

static void
test_inclusion_exhaustive(void **state)
{
	uint8_t path[MERKLE_MAX_PROOF][H], ref[MERKLE_MAX_PROOF][H];
	struct world *w = world_new();
	unsigned long checked = 0, size_accepted = 0, size_probes = 0;
	size_t len, rlen;
	uint64_t m, n;

	for (n = 1; n <= MAXN; n++) {
		w->s->limit = n;
		for (m = 0; m < n; m++) {
			w->s->gets = 0;
			assert_int_equal(merkle_inclusion_proof(m, n,
			    store_get, w->s, path, &len), 0);
			assert_true(w->s->gets <= 2 * 64);
			rlen = 0;
			ref_path(m, (const uint8_t (*)[H])w->lh, n, ref,
			    &rlen);
			assert_int_equal(len, rlen);
			if (len > 0)
				assert_memory_equal(path, ref, len * H);
			assert_int_equal(merkle_inclusion_verify(m, n,
			    w->lh[m], (const uint8_t (*)[32])path, len,
			    w->root[n]), 0);
			assert_true(ref_incl_ok(m, n, w->lh[m],
			    (const uint8_t (*)[H])path, len, w->root[n]));
			inclusion_mutants(w, m, n,
			    (const uint8_t (*)[H])path, len, &size_accepted);
			size_probes += 2 * MAXN - 1;
			checked++;
		}
	}
	assert_int_equal(checked, MAXN * (MAXN + 1) / 2);
	/* Most wrong sizes fail; a few share the proof's shape. */
	assert_true(size_accepted > 0 && size_accepted < size_probes / 4);
	assert_int_equal(w->s->bad_gets, 0);
	world_free(w);
}

/* Every mutation of one consistency proof (old m, new n, m < n). */
static void
consistency_mutants(const struct world *w, uint64_t m, uint64_t n,
    const uint8_t (*p)[H], size_t len)
{
	uint8_t q[MERKLE_MAX_CPROOF + 1][H], junk[H];
	const uint8_t *r1 = w->root[m], *r2 = w->root[n];
	uint64_t x;
	size_t i, j, ql;
	int r, want;

	for (i = 0; i < len; i++) {
		for (j = 0; j < H; j++) {
			memcpy(q, p, len * H);
			q[i][j] ^= 0x5a;
			assert_int_equal(merkle_consistency_verify(m, n, r1,
			    r2, (const uint8_t (*)[32])q, len),
			    CUSTODY_ERR_VERIFY);
		}
	}
	for (i = 0; i < len; i++) {
		ql = path_without(p, len, i, q);
		assert_int_equal(merkle_consistency_verify(m, n, r1, r2,
		    (const uint8_t (*)[32])q, ql), CUSTODY_ERR_VERIFY);
	}
	memset(junk, 0xab, H);
	for (i = 0; i <= len; i++) {
		ql = path_with(p, len, i, junk, q);
		assert_int_equal(merkle_consistency_verify(m, n, r1, r2,
		    (const uint8_t (*)[32])q, ql), CUSTODY_ERR_VERIFY);
		ql = path_with(p, len, i, r1, q);
		assert_int_equal(merkle_consistency_verify(m, n, r1, r2,
		    (const uint8_t (*)[32])q, ql), CUSTODY_ERR_VERIFY);
		ql = path_with(p, len, i, r2, q);
		assert_int_equal(merkle_consistency_verify(m, n, r1, r2,
		    (const uint8_t (*)[32])q, ql), CUSTODY_ERR_VERIFY);
	}
	/* Wrong roots. */
	assert_int_equal(merkle_consistency_verify(m, n, r2, r1, p, len),
	    CUSTODY_ERR_VERIFY);
	assert_int_equal(merkle_consistency_verify(m, n, r1, r1, p, len),
	    CUSTODY_ERR_VERIFY);
	assert_int_equal(merkle_consistency_verify(m, n, r2, r2, p, len),
	    CUSTODY_ERR_VERIFY);
	/* Every other old size: must fail with the true old root. */
	for (x = 0; x <= n + 1; x++) {
		if (x == m)
			continue;
		r = merkle_consistency_verify(x, n, r1, r2, p, len);
		if (x == 0 || x > n)
			assert_int_equal(r, CUSTODY_ERR_RANGE);
		else
			assert_int_equal(r, CUSTODY_ERR_VERIFY);
		assert_false(ref_cons_ok(x, n, r1, r2, p, len));
	}
	/* Every other new size: exactly as the reference decides. */
	for (x = 1; x <= 2 * MAXN; x++) {
		if (x == n)
			continue;
		r = merkle_consistency_verify(m, x, r1, r2, p, len);
		want = ref_cons_ok(m, x, r1, r2, p, len) ? 0 :
		    (m > x ? CUSTODY_ERR_RANGE : CUSTODY_ERR_VERIFY);
		assert_int_equal(r, want);
	}
	/* No proof at all. */
	assert_int_equal(merkle_consistency_verify(m, n, r1, r2, p, 0),
	    CUSTODY_ERR_VERIFY);
}

static void
test_consistency_exhaustive(void **state)
{
	uint8_t path[MERKLE_MAX_CPROOF][H], ref[MERKLE_MAX_CPROOF][H];
	struct world *w = world_new();
	unsigned long checked = 0;
	size_t len, rlen;
	uint64_t m, n;

	for (n = 1; n <= MAXN; n++) {
		w->s->limit = n;
		for (m = 1; m <= n; m++) {
			w->s->gets = 0;
			assert_int_equal(merkle_consistency_proof(m, n,
			    store_get, w->s, path, &len), 0);
			assert_true(w->s->gets <= 2 * 64 + 1);
			rlen = 0;
			if (m < n)
				ref_subproof(m, (const uint8_t (*)[H])w->lh, n,
				    1, ref, &rlen);
			assert_int_equal(len, rlen);
			if (len > 0)
				assert_memory_equal(path, ref, len * H);
			assert_int_equal(merkle_consistency_verify(m, n,
			    w->root[m], w->root[n],
			    (const uint8_t (*)[32])path, len), 0);
			assert_true(ref_cons_ok(m, n, w->root[m], w->root[n],
			    (const uint8_t (*)[H])path, len));
			if (m < n)
				consistency_mutants(w, m, n,
				    (const uint8_t (*)[H])path, len);
			checked++;
		}
	}
	assert_int_equal(checked, MAXN * (MAXN + 1) / 2);
	assert_int_equal(w->s->bad_gets, 0);
	world_free(w);
}

/*
 * A proof says nothing about the tree size by itself: leaf 0's proof in a
 * tree of 3, [L1, L2], also leads to that tree's root when read as a
 * proof in a tree of 4 (same shape: left, left).  The size is bound by
 * the signed checkpoint, not by the proof.
 */
static void
test_inclusion_size_not_committed(void **state)
{
	uint8_t path[MERKLE_MAX_PROOF][H];
	struct world *w = world_new();
	size_t len;

	w->s->limit = 3;
	assert_int_equal(merkle_inclusion_proof(0, 3, store_get, w->s, path,
	    &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(path[1], w->lh[2], H);
	assert_int_equal(merkle_inclusion_verify(0, 4, w->lh[0],
	    (const uint8_t (*)[32])path, len, w->root[3]), 0);
	/* But not as a proof in a tree of 5 (shape: left, left, left). */
	assert_int_equal(merkle_inclusion_verify(0, 5, w->lh[0],
	    (const uint8_t (*)[32])path, len, w->root[3]), CUSTODY_ERR_VERIFY);
	world_free(w);
}

/* --- argument and error edges --- */

static void
test_edges(void **state)
{
	uint8_t path[MERKLE_MAX_CPROOF][H], h[H], e[H];
	struct world *w = world_new();
	size_t len;

	w->s->limit = 5;
	len = 99;
	assert_int_equal(merkle_inclusion_proof(5, 5, store_get, w->s, path,
	    &len), CUSTODY_ERR_RANGE);
	assert_int_equal(len, 0);
	len = 99;
	assert_int_equal(merkle_inclusion_proof(0, 0, store_get, w->s, path,
	    &len), CUSTODY_ERR_RANGE);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_inclusion_verify(5, 5, w->lh[0],
	    (const uint8_t (*)[32])path, 0, w->root[5]), CUSTODY_ERR_RANGE);
	assert_int_equal(merkle_inclusion_verify(0, 0, w->lh[0],
	    (const uint8_t (*)[32])path, 0, w->root[1]), CUSTODY_ERR_RANGE);
	/* A one-leaf tree: empty proof, leaf is the root. */
	assert_int_equal(merkle_inclusion_verify(0, 1, w->lh[0],
	    (const uint8_t (*)[32])path, 0, w->lh[0]), 0);
	assert_int_equal(merkle_inclusion_verify(0, 1, w->lh[0],
	    (const uint8_t (*)[32])path, 0, w->lh[1]), CUSTODY_ERR_VERIFY);

	len = 99;
	assert_int_equal(merkle_consistency_proof(0, 5, store_get, w->s, path,
	    &len), CUSTODY_ERR_RANGE);
	assert_int_equal(len, 0);
	assert_int_equal(merkle_consistency_proof(6, 5, store_get, w->s, path,
	    &len), CUSTODY_ERR_RANGE);
	assert_int_equal(merkle_consistency_proof(0, 0, store_get, w->s, path,
	    &len), CUSTODY_ERR_RANGE);
	assert_int_equal(merkle_consistency_proof(5, 5, store_get, w->s, path,
	    &len), 0);
	assert_int_equal(len, 0);

	merkle_hash_empty(e);
	assert_int_equal(merkle_consistency_verify(0, 5, e, w->root[5],
	    (const uint8_t (*)[32])path, 0), CUSTODY_ERR_RANGE);
	assert_int_equal(merkle_consistency_verify(0, 0, e, e,
	    (const uint8_t (*)[32])path, 0), CUSTODY_ERR_RANGE);
	assert_int_equal(merkle_consistency_verify(6, 5, w->root[6],
	    w->root[5], (const uint8_t (*)[32])path, 0), CUSTODY_ERR_RANGE);
	/* Equal sizes: empty proof and equal roots, nothing else. */
	assert_int_equal(merkle_consistency_verify(5, 5, w->root[5],
	    w->root[5], (const uint8_t (*)[32])path, 0), 0);
	assert_int_equal(merkle_consistency_verify(5, 5, w->root[5],
	    w->root[4], (const uint8_t (*)[32])path, 0), CUSTODY_ERR_VERIFY);
	memcpy(path[0], w->root[5], H);
	assert_int_equal(merkle_consistency_verify(5, 5, w->root[5],
	    w->root[5], (const uint8_t (*)[32])path, 1), CUSTODY_ERR_VERIFY);
	/* A power-of-two old size whose proof is a single hash. */
	w->s->limit = 8;
	assert_int_equal(merkle_consistency_proof(4, 8, store_get, w->s, path,
	    &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(merkle_consistency_verify(4, 8, w->root[4],
	    w->root[8], (const uint8_t (*)[32])path, len), 0);
	assert_int_equal(merkle_consistency_verify(4, 8, w->root[3],
	    w->root[8], (const uint8_t (*)[32])path, len), CUSTODY_ERR_VERIFY);

	/* A failing store: its error comes back, nothing is claimed. */
	w->s->fail_get = CUSTODY_ERR_DB;
	assert_int_equal(merkle_root(5, store_get, w->s, h), CUSTODY_ERR_DB);
	len = 99;
	assert_int_equal(merkle_inclusion_proof(1, 5, store_get, w->s, path,
	    &len), CUSTODY_ERR_DB);
	assert_int_equal(len, 0);
	len = 99;
	assert_int_equal(merkle_consistency_proof(3, 5, store_get, w->s, path,
	    &len), CUSTODY_ERR_DB);
	assert_int_equal(len, 0);
	w->s->fail_get = 0;
	/* A store missing a node the tree needs. */
	w->s->limit = 1000;
	assert_int_equal(merkle_root(1000, store_get, w->s, h),
	    CUSTODY_ERR_NOTFOUND);
	world_free(w);
}

/* --- reads at scale --- */

static void
test_reads_logarithmic(void **state)
{
	static const uint64_t sizes[] = {
		(1u << 20) - 1, 1u << 20, (1u << 20) + 1, (1u << 20) + 12345,
		(uint64_t)1 << 32, ((uint64_t)1 << 40) + 777,
		UINT64_MAX / 3, UINT64_MAX - 1, UINT64_MAX,
	};
	uint8_t path[MERKLE_MAX_CPROOF][H], root[H], oroot[H], leaf[H];
	struct uniform *u;
	uint64_t n, m, idx[6], olds[5];
	size_t i, j, len;

	u = malloc(sizeof(*u));
	assert_non_null(u);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		uniform_init(u, n);
		uniform_mth(u, n, root);
		memcpy(leaf, u->level[0], H);

		u->gets = 0;
		assert_int_equal(merkle_root(n, uniform_get, u, oroot), 0);
		assert_memory_equal(oroot, root, H);
		assert_int_equal(u->gets, __builtin_popcountll(n));

		idx[0] = 0;
		idx[1] = n / 2;
		idx[2] = n / 3;
		idx[3] = n - 2;
		idx[4] = n - 1;
		idx[5] = (n - 1) & ~(uint64_t)0xff;
		for (j = 0; j < 6; j++) {
			u->gets = 0;
			assert_int_equal(merkle_inclusion_proof(idx[j], n,
			    uniform_get, u, path, &len), 0);
			assert_true(u->gets <= 2 * 64);
			assert_true(len <= MERKLE_MAX_PROOF);
			assert_int_equal(merkle_inclusion_verify(idx[j], n,
			    leaf, (const uint8_t (*)[32])path, len, root), 0);
		}

		olds[0] = 1;
		olds[1] = n / 2;
		olds[2] = n / 3 + 1;
		olds[3] = n - 1;
		olds[4] = (uint64_t)1 << 19;
		for (j = 0; j < 5; j++) {
			m = olds[j];
			uniform_mth(u, m, oroot);
			u->gets = 0;
			assert_int_equal(merkle_consistency_proof(m, n,
			    uniform_get, u, path, &len), 0);
			assert_true(u->gets <= 2 * 64 + 1);
			assert_true(len <= MERKLE_MAX_CPROOF);
			assert_int_equal(merkle_consistency_verify(m, n, oroot,
			    root, (const uint8_t (*)[32])path, len), 0);
			assert_int_equal(merkle_consistency_verify(m, n, root,
			    root, (const uint8_t (*)[32])path, len),
			    CUSTODY_ERR_VERIFY);
		}
		assert_int_equal(u->bad_gets, 0);
	}
	free(u);
}

/* --- the frontier --- */

static void
test_frontier_appends(void **state)
{
	static uint8_t lh[FRONTIER_N][H];
	struct merkle_frontier f;
	struct store *s = store_new();
	uint8_t got[H], want[H], buf[16];
	uint64_t i, lo;
	unsigned int l, carries;

	merkle_frontier_init(&f);
	merkle_frontier_root(&f, got);
	merkle_hash_empty(want);
	assert_memory_equal(got, want, H);
	for (i = 0; i < FRONTIER_N; i++) {
		ref_leaf(buf, leaf_data(i, buf), lh[i]);
		s->nlog = 0;
		assert_int_equal(merkle_frontier_append(&f, lh[i], store_emit,
		    s), 0);
		assert_true(f.size == i + 1);
		merkle_frontier_root(&f, got);
		ref_mth((const uint8_t (*)[H])lh, i + 1, want);
		assert_memory_equal(got, want, H);
		/* (0, i), then one node per trailing 1 bit, lowest first. */
		carries = (unsigned int)__builtin_ctzll(~i);
		assert_int_equal(s->nlog, 1 + carries);
		for (l = 0; l <= carries; l++) {
			assert_int_equal(s->log_level[l], l);
			assert_true(s->log_index[l] == i >> l);
		}
	}
	/* Every perfect subtree was stored, and is the MTH of its range. */
	for (l = 0; l < STORE_LEVELS; l++) {
		assert_true(s->count[l] == (uint64_t)FRONTIER_N >> l);
		for (lo = 0; lo < s->count[l]; lo++) {
			ref_mth((const uint8_t (*)[H])lh + (lo << l),
			    (uint64_t)1 << l, want);
			assert_memory_equal(s->node[l][lo], want, H);
		}
	}
	free(s);
}

static void
test_frontier_load(void **state)
{
	static uint8_t lh[FRONTIER_N][H];
	struct merkle_frontier f, g, k;
	struct store *s = store_new();
	uint8_t a[H], b[H], buf[16];
	uint64_t i, j;
	unsigned int l;

	merkle_frontier_init(&f);
	for (i = 0; i <= FRONTIER_N; i++) {
		/* Loaded from the store as it stands at size i. */
		s->limit = i;
		s->gets = 0;
		memset(&g, 0xee, sizeof(g));
		assert_int_equal(merkle_frontier_load(&g, i, store_get, s), 0);
		assert_int_equal(s->gets, __builtin_popcountll(i));
		assert_true(g.size == f.size);
		for (l = 0; l < MERKLE_MAX_LEVELS; l++)
			if ((i >> l) & 1)
				assert_memory_equal(g.hash[l], f.hash[l], H);
		merkle_frontier_root(&g, a);
		merkle_frontier_root(&f, b);
		assert_memory_equal(a, b, H);
		/* Appending to the loaded one carries on identically. */
		if (i < FRONTIER_N && i % 37 == 0) {
			k = f;
			for (j = i; j < FRONTIER_N && j < i + 20; j++) {
				ref_leaf(buf, leaf_data(j, buf), lh[j]);
				assert_int_equal(merkle_frontier_append(&k,
				    lh[j], emit_none, NULL), 0);
				assert_int_equal(merkle_frontier_append(&g,
				    lh[j], emit_none, NULL), 0);
				merkle_frontier_root(&g, a);
				merkle_frontier_root(&k, b);
				assert_memory_equal(a, b, H);
			}
		}
		if (i == FRONTIER_N)
			break;
		ref_leaf(buf, leaf_data(i, buf), lh[i]);
		assert_int_equal(merkle_frontier_append(&f, lh[i], store_emit,
		    s), 0);
	}
	assert_int_equal(s->bad_gets, 0);

	/* A failed load leaves the frontier as it was. */
	g = f;
	s->fail_get = CUSTODY_ERR_DB;
	assert_int_equal(merkle_frontier_load(&g, 7, store_get, s),
	    CUSTODY_ERR_DB);
	assert_memory_equal(&g, &f, sizeof(f));
	s->fail_get = 0;
	s->limit = 6;
	assert_int_equal(merkle_frontier_load(&g, 7, store_get, s),
	    CUSTODY_ERR_NOTFOUND);
	assert_memory_equal(&g, &f, sizeof(f));
	/* Also when the reads that fail come after some that succeed. */
	s->limit = 7;
	s->fail_get_level = 2;
	assert_int_equal(merkle_frontier_load(&g, 7, store_get, s),
	    CUSTODY_ERR_IO);
	assert_memory_equal(&g, &f, sizeof(f));
	s->fail_get_level = UINT32_MAX;
	free(s);
}

static void
test_frontier_emit_error(void **state)
{
	struct merkle_frontier f, before;
	struct store *s = store_new();
	uint8_t lh[8][H], a[H], b[H], buf[16];
	uint64_t i;

	merkle_frontier_init(&f);
	for (i = 0; i < 8; i++)
		ref_leaf(buf, leaf_data(i, buf), lh[i]);
	for (i = 0; i < 3; i++)
		assert_int_equal(merkle_frontier_append(&f, lh[i], store_emit,
		    s), 0);

	/* Leaf 3 completes levels 1 and 2; refuse level 2. */
	before = f;
	s->fail_level = 2;
	assert_int_equal(merkle_frontier_append(&f, lh[3], store_emit, s),
	    CUSTODY_ERR_DB);
	assert_true(f.size == 3);
	assert_memory_equal(&f, &before, sizeof(f));
	/* Refuse the leaf itself. */
	s->fail_level = 0;
	assert_int_equal(merkle_frontier_append(&f, lh[3], store_emit, s),
	    CUSTODY_ERR_DB);
	assert_memory_equal(&f, &before, sizeof(f));

	/* A retry emits the same nodes again, and the store agrees. */
	s->fail_level = UINT32_MAX;
	assert_int_equal(merkle_frontier_append(&f, lh[3], store_emit, s), 0);
	assert_true(f.size == 4);
	assert_true(s->count[0] == 4 && s->count[1] == 2 && s->count[2] == 1);
	merkle_frontier_root(&f, a);
	ref_mth((const uint8_t (*)[H])lh, 4, b);
	assert_memory_equal(a, b, H);

	/* A full tree refuses another leaf. */
	f.size = UINT64_MAX;
	before = f;
	assert_int_equal(merkle_frontier_append(&f, lh[0], store_emit, s),
	    CUSTODY_ERR_RANGE);
	assert_memory_equal(&f, &before, sizeof(f));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_rfc_roots),
		cmocka_unit_test(test_rfc_inclusion),
		cmocka_unit_test(test_rfc_consistency),
		cmocka_unit_test(test_roots_exhaustive),
		cmocka_unit_test(test_inclusion_exhaustive),
		cmocka_unit_test(test_consistency_exhaustive),
		cmocka_unit_test(test_inclusion_size_not_committed),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_reads_logarithmic),
		cmocka_unit_test(test_frontier_appends),
		cmocka_unit_test(test_frontier_load),
		cmocka_unit_test(test_frontier_emit_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
