/*
 * item.c -- evidence items at rest: seal (hash, sniff and encrypt in one
 * pass) and open (decrypt, authenticate, re-hash), in the blob format that
 * item.h specifies; the station master key file; shredding a source file.
 *
 * Streaming.  Both directions read with look-ahead: a chunk is the last
 * exactly when the read after it meets end of file.  So an input whose
 * size is a non-zero multiple of the chunk size ends with a full last
 * chunk, and an empty input is one empty last chunk.  A short read only
 * happens at end of file (the reads loop until the buffer is full), so a
 * short read needs no look-ahead.  Seal reads ITEM_BATCH chunks at a time
 * and open one record at a time; the look-ahead is one read either way.
 *
 * Threads.  Seal runs two: this one reads, computes SHA-256 (and SHA-1),
 * encrypts and writes; a worker of hashing/digest_pipe.c computes SHA-512
 * (and MD5) over the same read buffers.  The worker is started and
 * joined inside item_seal, on every path: no thread outlives the call.
 * Open runs on the caller's thread alone.
 *
 * Memory is fixed whatever the input size:
 *	seal	the pipe's ITEM_RING read buffers of ITEM_READ bytes each, and
 *		one ITEM_CT_LEN buffer of records (ciphertext || tag) for
 *		one read, written with one write.  Encryption is not in
 *		place: the worker may still be hashing the plaintext.
 *	open	two record slots (ciphertext || tag) of the blob's chunk size
 *		and one plaintext chunk.
 * The item key lives in one stack array and the plaintext in those heap
 * buffers; both are cleansed before return on every path.  The digest and
 * cipher contexts (which hold key schedules and partial blocks of
 * plaintext) are cleansed by OpenSSL when freed.
 *
 * Diagnosis.  A chunk that fails authentication is tried once more with
 * the opposite "last" flag: if it then authenticates, the blob is intact
 * but was cut at a chunk boundary (no last chunk) or has chunks after its
 * last, and the message says so.  Either way the result is
 * CUSTODY_ERR_VERIFY, and no plaintext of a chunk that failed reaches
 * out_fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "evidence/item.h"
#include "hashing/digest.h"
#include "hashing/digest_pipe.h"

#define ITEM_MAGIC_LEN	16
#define ITEM_PREFIX_LEN	8
#define ITEM_HDR_LEN	(ITEM_MAGIC_LEN + 4 + ITEM_PREFIX_LEN)
#define ITEM_TAG_LEN	16
#define ITEM_NONCE_LEN	12
#define ITEM_AAD_LEN	(ITEM_HDR_LEN + 8 + 1)
#define ITEM_CHUNK_MIN	1024u
#define ITEM_CHUNK_MAX	(16u * 1024u * 1024u)
#define ITEM_SNIFF_LEN	64
#define ITEM_SLOT	(ITEM_CHUNK + ITEM_TAG_LEN)
/*
 * Intake reads ITEM_BATCH chunks at a time into a ring of ITEM_RING
 * buffers shared with the digest worker (hashing/digest_pipe.h): 4 MiB
 * of plaintext and 256 KiB of records, whatever the input size.  The
 * ring holds some 4 ms of work, about one time slice of a busy
 * scheduler, so that one thread losing the CPU for a slice does not
 * stall the other; 256 KiB reads keep this thread's working set (a read
 * and its records) within a core's L2 cache.
 */
#define ITEM_BATCH	4
#define ITEM_READ	(ITEM_BATCH * ITEM_CHUNK)
#define ITEM_RING	16
#define ITEM_CT_LEN	(ITEM_BATCH * ITEM_SLOT)
/*
 * The digests the worker computes; the rest (SHA-256, and SHA-1 when
 * asked) are on the sealing thread with the cipher.  Measured per GiB
 * (openssl speed, 64 KiB blocks): SHA-512 0.93 s, MD5 1.27 s, SHA-256
 * 0.54 s, SHA-1 0.51 s, AES-256-GCM 0.20 s, plus about 0.3 s of copies
 * in and out on the sealing thread.  So SHA-512 alone roughly balances
 * the two threads, and with MD5 and SHA-1 asked for this split (2.2 s
 * against 1.6 s) beats the others.
 */
#define ITEM_WORKER_ALGS	(DIGEST_SHA512 | DIGEST_MD5)
#define ITEM_SHRED_BUF	(64u * 1024u)
#define ITEM_GCM	"AES-256-GCM"
#define ITEM_WRAP	"AES-256-WRAP-PAD"	/* EVP_aes_256_wrap_pad */

/* 16 bytes, no terminating NUL. */
static const uint8_t item_magic[ITEM_MAGIC_LEN] = "CUSTODY-ITEM\0\0\0\1";

/* One item's AEAD state: the fetched cipher, a context keyed once, and
 * the blob header that goes into every chunk's additional data. */
struct item_aead {
	EVP_CIPHER	*cipher;
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 hdr[ITEM_HDR_LEN];
};

/*
 * One item_seal's state: the cipher, this thread's digests, the pipe
 * whose worker computes the others, the record buffer, the next chunk.
 */
struct item_sealer {
	struct item_aead	 a;
	struct digest_set	*ds;
	struct digest_pipe	*pipe;
	uint8_t			*ct;	/* ITEM_CT_LEN: records of one read */
	uint64_t		 i;
};

/* ---- byte order and I/O ---- */

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/*
 * Reads until len bytes or end of file; *got is the count.  Retries on
 * EINTR.  Returns 0, or -1 with errno set.
 */
static int
read_full(int fd, uint8_t *buf, size_t len, size_t *got)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

/* Writes all len bytes through short writes and EINTR; 0, or -1. */
static int
write_full(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- chunk encryption ---- */

/* Fetches AES-256-GCM and keys one context with it, for enc or dec. */
static int
aead_init(struct item_aead *a, const uint8_t key[ITEM_KEY_LEN], int enc)
{
	if ((a->cipher = EVP_CIPHER_fetch(NULL, ITEM_GCM, NULL)) == NULL ||
	    (a->ctx = EVP_CIPHER_CTX_new()) == NULL)
		return CUSTODY_ERR_CRYPTO;
	/* The IV is set per chunk; the default GCM IV length is 12. */
	if (EVP_CipherInit_ex2(a->ctx, a->cipher, key, NULL, enc, NULL) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

static void
aead_free(struct item_aead *a)
{
	EVP_CIPHER_CTX_free(a->ctx);
	EVP_CIPHER_free(a->cipher);
	a->ctx = NULL;
	a->cipher = NULL;
}

/*
 * Starts chunk i: nonce = prefix || u32(i), additional data = header ||
 * u64(i) || u8(last).  The key stays from aead_init.
 */
static int
chunk_start(struct item_aead *a, uint32_t i, int last, int enc)
{
	uint8_t nonce[ITEM_NONCE_LEN], aad[ITEM_AAD_LEN];
	int n;

	memcpy(nonce, a->hdr + ITEM_MAGIC_LEN + 4, ITEM_PREFIX_LEN);
	put_be32(nonce + ITEM_PREFIX_LEN, i);
	memcpy(aad, a->hdr, ITEM_HDR_LEN);
	put_be64(aad + ITEM_HDR_LEN, i);
	aad[ITEM_HDR_LEN + 8] = last ? 1 : 0;
	if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, enc, NULL) != 1 ||
	    EVP_CipherUpdate(a->ctx, NULL, &n, aad, sizeof(aad)) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * Encrypts len bytes at pt into rec and puts the tag at rec + len.  Not
 * in place: the digest worker may still be reading pt.
 */
static int
chunk_seal(struct item_aead *a, uint32_t i, int last, const uint8_t *pt,
    size_t len, uint8_t *rec)
{
	int n;

	if (chunk_start(a, i, last, 1) != 0)
		return CUSTODY_ERR_CRYPTO;
	if (len > 0 && (EVP_EncryptUpdate(a->ctx, rec, &n, pt,
	    (int)len) != 1 || (size_t)n != len))
		return CUSTODY_ERR_CRYPTO;
	if (EVP_EncryptFinal_ex(a->ctx, rec + len, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, ITEM_TAG_LEN,
	    rec + len) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * Decrypts the record rec (len bytes of ciphertext, then the tag) into pt.
 * Returns 0, CUSTODY_ERR_VERIFY if the tag does not match (pt then holds
 * unauthenticated bytes, which the caller cleanses), or CRYPTO.
 */
static int
chunk_unseal(struct item_aead *a, uint32_t i, int last, const uint8_t *rec,
    size_t len, uint8_t *pt)
{
	uint8_t tag[ITEM_TAG_LEN];
	int n;

	memcpy(tag, rec + len, sizeof(tag));
	if (chunk_start(a, i, last, 0) != 0)
		return CUSTODY_ERR_CRYPTO;
	if (len > 0 && (EVP_DecryptUpdate(a->ctx, pt, &n, rec,
	    (int)len) != 1 || (size_t)n != len))
		return CUSTODY_ERR_CRYPTO;
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, ITEM_TAG_LEN,
	    tag) != 1)
		return CUSTODY_ERR_CRYPTO;
	return EVP_DecryptFinal_ex(a->ctx, pt + len, &n) == 1 ? 0 :
	    CUSTODY_ERR_VERIFY;
}

/*
 * chunk_unseal with the diagnosis of a failure (see the top of the file).
 * On any failure pt is cleansed.
 */
static int
chunk_open(struct item_aead *a, uint64_t i, int last, const uint8_t *rec,
    size_t len, uint8_t *pt, char *err, size_t errlen)
{
	int r;

	if ((r = chunk_unseal(a, (uint32_t)i, last, rec, len, pt)) == 0)
		return 0;
	OPENSSL_cleanse(pt, len);
	if (r != CUSTODY_ERR_VERIFY)
		return custody_fail(err, errlen, r, "cannot decrypt chunk "
		    "%llu: %s", (unsigned long long)i, custody_strerror(r));
	r = chunk_unseal(a, (uint32_t)i, !last, rec, len, pt);
	OPENSSL_cleanse(pt, len);
	if (r == 0 && last)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "blob has "
		    "no last chunk (truncated after chunk %llu)",
		    (unsigned long long)i);
	if (r == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "blob "
		    "continues after its last chunk, chunk %llu (extended)",
		    (unsigned long long)i);
	return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "chunk %llu "
	    "fails authentication (altered, reordered or truncated)",
	    (unsigned long long)i);
}

/* ---- the item key ---- */

/*
 * RFC 5649 key wrap (enc) or unwrap under master: in is inlen bytes,
 * exactly outlen come out.  Returns 0, CUSTODY_ERR_VERIFY when an unwrap
 * fails its integrity check, or CRYPTO.
 */
static int
key_wrap(const uint8_t master[32], const uint8_t *in, size_t inlen,
    uint8_t *out, size_t outlen, int enc)
{
	EVP_CIPHER *c = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t buf[ITEM_WRAPPED_LEN + 16];
	int n = 0, f = 0, r = CUSTODY_ERR_CRYPTO;

	if ((c = EVP_CIPHER_fetch(NULL, ITEM_WRAP, NULL)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex2(ctx, c, master, NULL, enc, NULL) != 1)
		goto out;
	if (EVP_CipherUpdate(ctx, buf, &n, in, (int)inlen) != 1 ||
	    EVP_CipherFinal_ex(ctx, buf + n, &f) != 1) {
		r = enc ? CUSTODY_ERR_CRYPTO : CUSTODY_ERR_VERIFY;
		goto out;
	}
	if ((size_t)n + (size_t)f != outlen) {
		r = enc ? CUSTODY_ERR_CRYPTO : CUSTODY_ERR_VERIFY;
		goto out;
	}
	memcpy(out, buf, outlen);
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return r;
}

/* ---- sealing ---- */

/* Fills a fresh header: magic, chunk size, a random nonce prefix. */
static int
header_new(uint8_t hdr[ITEM_HDR_LEN])
{
	memcpy(hdr, item_magic, ITEM_MAGIC_LEN);
	put_be32(hdr + ITEM_MAGIC_LEN, ITEM_CHUNK);
	return RAND_bytes(hdr + ITEM_MAGIC_LEN + 4, ITEM_PREFIX_LEN) == 1 ?
	    0 : CUSTODY_ERR_CRYPTO;
}

/*
 * Reads the next ITEM_READ bytes at most (fewer only at end of file) into
 * the pipe's next buffer and hands them to its worker.  *buf stays ours
 * to read through the next fill (digest_pipe.h: ITEM_RING >= 2), which
 * is what the look-ahead needs.
 */
static int
seal_fill(struct item_sealer *s, int fd, uint8_t **buf, size_t *got,
    char *err, size_t errlen)
{
	int r;

	*got = 0;
	if ((r = digest_pipe_slot(s->pipe, buf)) != 0)
		return custody_fail(err, errlen, r, "cannot hash the content: "
		    "%s", custody_strerror(r));
	if (read_full(fd, *buf, ITEM_READ, got) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "reading the "
		    "content: %s", strerror(errno));
	if ((r = digest_pipe_push(s->pipe, *got)) != 0)
		return custody_fail(err, errlen, r, "cannot hash the content: "
		    "%s", custody_strerror(r));
	return 0;
}

/*
 * Hashes (this thread's share) and encrypts the n bytes of one read,
 * chunk by chunk while each chunk is still in cache, into s->ct as
 * records (ciphertext || tag), and writes them with one write.  last:
 * the content ends here, so the final chunk is sealed as the last.  An
 * empty read (empty content) is one empty chunk.
 */
static int
seal_batch(struct item_sealer *s, const uint8_t *buf, size_t n, int last,
    int out_fd, char *err, size_t errlen)
{
	uint8_t *rec = s->ct;
	size_t off = 0, len;
	int r;

	do {
		if (s->i > UINT32_MAX)
			return custody_fail(err, errlen, CUSTODY_ERR_TOOBIG,
			    "content has more than 2^32 chunks");
		len = n - off < ITEM_CHUNK ? n - off : ITEM_CHUNK;
		if ((r = digest_set_update(s->ds, buf + off, len)) != 0)
			return custody_fail(err, errlen, r, "cannot hash the "
			    "content: %s", custody_strerror(r));
		if ((r = chunk_seal(&s->a, (uint32_t)s->i, last &&
		    off + len == n, buf + off, len, rec)) != 0)
			return custody_fail(err, errlen, r, "cannot encrypt "
			    "chunk %llu", (unsigned long long)s->i);
		rec += len + ITEM_TAG_LEN;
		off += len;
		s->i++;
	} while (off < n);
	if (write_full(out_fd, s->ct, (size_t)(rec - s->ct)) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "writing the "
		    "blob: %s", strerror(errno));
	return 0;
}

/*
 * The seal loop (see the top of the file): each read is sealed once the
 * read after it has told whether it ends the content.  Sniffs the first
 * read into res.
 */
static int
seal_chunks(struct item_sealer *s, int in_fd, int out_fd,
    struct item_sealed *res, char *err, size_t errlen)
{
	uint8_t *cur, *nxt;
	size_t n, m;
	int r;

	if ((r = seal_fill(s, in_fd, &cur, &n, err, errlen)) != 0)
		return r;
	(void)snprintf(res->type, sizeof(res->type), "%s",
	    item_sniff(cur, n, &res->is_media));
	for (;;) {
		m = 0;
		if (n == ITEM_READ &&
		    (r = seal_fill(s, in_fd, &nxt, &m, err, errlen)) != 0)
			return r;
		if ((r = seal_batch(s, cur, n, m == 0, out_fd, err,
		    errlen)) != 0)
			return r;
		if (m == 0)
			return 0;
		cur = nxt;
		n = m;
	}
}

/* Starts both halves of the digests and the ciphertext buffer. */
static int
sealer_start(struct item_sealer *s, unsigned int algs, char *err,
    size_t errlen)
{
	int r;

	/* Unknown bits stay in this thread's set, which refuses them. */
	if ((r = digest_set_new(&s->ds, DIGEST_SHA256 |
	    (algs & ~ITEM_WORKER_ALGS))) != 0 ||
	    (r = digest_pipe_new(&s->pipe, DIGEST_SHA512 |
	    (algs & ITEM_WORKER_ALGS), ITEM_RING, ITEM_READ)) != 0)
		return custody_fail(err, errlen, r, "cannot start the "
		    "digests: %s", custody_strerror(r));
	if ((s->ct = malloc(ITEM_CT_LEN)) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_NOMEM, "no memory "
		    "for the chunk buffers");
	return 0;
}

/*
 * Finishes both halves of the digests into *res: joins the worker, so
 * that on return no thread but the caller's is left.
 */
static int
sealer_digests(struct item_sealer *s, struct digest_result *res)
{
	struct digest_result w;
	int r;

	if ((r = digest_pipe_final(s->pipe, &w)) != 0 ||
	    (r = digest_set_final(s->ds, res)) != 0)
		return r;
	return digest_result_merge(res, &w);
}

/* Joins the worker if it still runs; cleanses and frees.  Zeroes s. */
static void
sealer_free(struct item_sealer *s)
{
	digest_pipe_free(s->pipe);
	digest_set_free(s->ds);
	if (s->ct != NULL) {
		OPENSSL_cleanse(s->ct, ITEM_CT_LEN);
		free(s->ct);
	}
	aead_free(&s->a);
	memset(s, 0, sizeof(*s));
}

/*
 * Seals in_fd to out_fd (see item.h).  Returns 0 and fills *out, or a
 * negative code with the reason in err; out_fd then holds a partial blob
 * the caller discards.  Either way the digest worker has been joined.
 */
int
item_seal(int in_fd, int out_fd, const uint8_t master[32],
    unsigned int algs, struct item_sealed *out, char *err, size_t errlen)
{
	struct item_sealed res;
	struct item_sealer s;
	uint8_t key[ITEM_KEY_LEN];
	int r;

	memset(&res, 0, sizeof(res));
	memset(&s, 0, sizeof(s));
	if ((r = sealer_start(&s, algs, err, errlen)) != 0)
		goto out;
	if (RAND_bytes(key, sizeof(key)) != 1 ||
	    (r = header_new(s.a.hdr)) != 0 ||
	    (r = aead_init(&s.a, key, 1)) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CRYPTO, "cannot make "
		    "the item key and cipher");
		goto out;
	}
	if (write_full(out_fd, s.a.hdr, ITEM_HDR_LEN) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "writing the "
		    "blob: %s", strerror(errno));
		goto out;
	}
	if ((r = seal_chunks(&s, in_fd, out_fd, &res, err, errlen)) != 0)
		goto out;
	if ((r = sealer_digests(&s, &res.digests)) != 0 ||
	    (r = key_wrap(master, key, ITEM_KEY_LEN, res.wrapped,
	    ITEM_WRAPPED_LEN, 1)) != 0) {
		r = custody_fail(err, errlen, r, "cannot finish the digests "
		    "or wrap the item key: %s", custody_strerror(r));
		goto out;
	}
	*out = res;
out:
	OPENSSL_cleanse(key, sizeof(key));
	sealer_free(&s);
	return r;
}

/* ---- opening ---- */

/* Reads and checks the header into hdr; *chunk is its chunk size. */
static int
header_read(int fd, uint8_t hdr[ITEM_HDR_LEN], size_t *chunk, char *err,
    size_t errlen)
{
	size_t got;
	uint32_t cs;

	if (read_full(fd, hdr, ITEM_HDR_LEN, &got) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "reading the "
		    "blob: %s", strerror(errno));
	if (got < ITEM_HDR_LEN)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "blob "
		    "ends inside the header (%zu of %d bytes)", got,
		    ITEM_HDR_LEN);
	if (memcmp(hdr, item_magic, ITEM_MAGIC_LEN) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "blob "
		    "header has the wrong magic (not an item blob, or "
		    "altered)");
	cs = get_be32(hdr + ITEM_MAGIC_LEN);
	if (cs < ITEM_CHUNK_MIN || cs > ITEM_CHUNK_MAX)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "blob "
		    "header gives chunk size %lu, outside 1 KiB to 16 MiB "
		    "(altered)", (unsigned long)cs);
	*chunk = cs;
	return 0;
}

static int
open_read(int fd, uint8_t *buf, size_t len, size_t *got, char *err,
    size_t errlen)
{
	if (read_full(fd, buf, len, got) == 0)
		return 0;
	return custody_fail(err, errlen, CUSTODY_ERR_IO, "reading the blob: "
	    "%s", strerror(errno));
}

/*
 * The open loop: buf holds two records (chunk + tag) and one plaintext
 * chunk.  Each chunk is authenticated before its plaintext is hashed and
 * written.
 */
static int
open_chunks(struct item_aead *a, struct digest_set *ds, int blob_fd,
    int out_fd, uint8_t *buf, size_t chunk, char *err, size_t errlen)
{
	const size_t rec = chunk + ITEM_TAG_LEN;
	uint8_t *cur = buf, *nxt = buf + rec, *pt = buf + 2 * rec, *t;
	uint64_t i;
	size_t n = 0, m, len;
	int last, r;

	if ((r = open_read(blob_fd, cur, rec, &n, err, errlen)) != 0)
		return r;
	if (n == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "blob has "
		    "no last chunk (truncated)");
	for (i = 0;; i++) {
		if (i > UINT32_MAX)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "blob has more than 2^32 chunks (extended)");
		if (n < ITEM_TAG_LEN)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "blob ends inside chunk %llu (truncated)",
			    (unsigned long long)i);
		m = 0;
		if (n == rec &&
		    (r = open_read(blob_fd, nxt, rec, &m, err, errlen)) != 0)
			return r;
		last = m == 0;
		len = n - ITEM_TAG_LEN;
		if ((r = chunk_open(a, i, last, cur, len, pt, err,
		    errlen)) != 0)
			return r;
		if ((r = digest_set_update(ds, pt, len)) != 0)
			return custody_fail(err, errlen, r, "cannot hash the "
			    "content: %s", custody_strerror(r));
		if (write_full(out_fd, pt, len) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "writing the content: %s", strerror(errno));
		if (last)
			return 0;
		t = cur;
		cur = nxt;
		nxt = t;
		n = m;
	}
}

/* Decrypts a blob into out_fd (see item.h). */
int
item_open(int blob_fd, const uint8_t wrapped[ITEM_WRAPPED_LEN],
    const uint8_t master[32], const uint8_t expect_sha256[32], int out_fd,
    char *err, size_t errlen)
{
	struct item_aead a = { NULL, NULL, { 0 } };
	struct digest_set *ds = NULL;
	struct digest_result res;
	uint8_t key[ITEM_KEY_LEN], *buf = NULL;
	size_t chunk = 0, buflen = 0;
	int r;

	if ((r = key_wrap(master, wrapped, ITEM_WRAPPED_LEN, key,
	    ITEM_KEY_LEN, 0)) != 0) {
		if (r == CUSTODY_ERR_VERIFY)
			r = custody_fail(err, errlen, r, "the item key does "
			    "not unwrap: wrong master key or damaged record");
		else
			r = custody_fail(err, errlen, r, "cannot unwrap the "
			    "item key: %s", custody_strerror(r));
		goto out;
	}
	if ((r = header_read(blob_fd, a.hdr, &chunk, err, errlen)) != 0)
		goto out;
	buflen = 2 * (chunk + ITEM_TAG_LEN) + chunk;
	if ((buf = malloc(buflen)) == NULL) {
		r = custody_fail(err, errlen, CUSTODY_ERR_NOMEM, "no memory "
		    "for the chunk buffers");
		goto out;
	}
	if ((r = aead_init(&a, key, 0)) != 0 ||
	    (r = digest_set_new(&ds, DIGEST_SHA256)) != 0) {
		r = custody_fail(err, errlen, r, "cannot start the cipher or "
		    "digest: %s", custody_strerror(r));
		goto out;
	}
	if ((r = open_chunks(&a, ds, blob_fd, out_fd, buf, chunk, err,
	    errlen)) != 0)
		goto out;
	if ((r = digest_set_final(ds, &res)) != 0) {
		r = custody_fail(err, errlen, r, "cannot finish the digest");
		goto out;
	}
	if (CRYPTO_memcmp(res.sha256, expect_sha256, 32) != 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "content "
		    "does not match its recorded SHA-256");
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (buf != NULL) {
		OPENSSL_cleanse(buf, buflen);
		free(buf);
	}
	aead_free(&a);
	digest_set_free(ds);
	return r;
}

/* ---- type sniffing ---- */

struct item_magic_sig {
	const char	*bytes;
	size_t		 len;
	const char	*type;
};

/* Signatures at offset 0.  A text file matches none of them. */
static const struct item_magic_sig item_sigs[] = {
	{ "\xff\xd8\xff", 3, "image/jpeg" },
	{ "\x89PNG\r\n\x1a\n", 8, "image/png" },
	{ "GIF87a", 6, "image/gif" },
	{ "GIF89a", 6, "image/gif" },
	{ "II*\0", 4, "image/tiff" },
	{ "MM\0*", 4, "image/tiff" },
	{ "\0\0\0\x0cjP  \r\n\x87\n", 12, "image/jp2" },
	{ "\0\0\0\x0cJXL \r\n\x87\n", 12, "image/jxl" },
	{ "\xff\x0a", 2, "image/jxl" },
	{ "FLV\x01", 4, "video/x-flv" },
	{ "\x30\x26\xb2\x75\x8e\x66\xcf\x11", 8, "video/x-ms-asf" },
	{ "\0\0\x01\xba", 4, "video/mpeg" },
	{ "\0\0\x01\xb3", 4, "video/mpeg" },
	{ "%PDF-", 5, "application/pdf" },
	{ "PK\3\4", 4, "application/zip" },
	{ "PK\5\6", 4, "application/zip" },
};

/* Brands of an ISO base media file (ftyp box), by major or compatible. */
struct item_brand {
	const char	*brand;		/* 4 bytes, or a 3-byte prefix */
	size_t		 len;
	const char	*type;
};

static const struct item_brand item_brands[] = {
	{ "heic", 4, "image/heic" }, { "heix", 4, "image/heic" },
	{ "heim", 4, "image/heic" }, { "heis", 4, "image/heic" },
	{ "hevc", 4, "image/heic-sequence" },
	{ "hevx", 4, "image/heic-sequence" },
	{ "avif", 4, "image/avif" }, { "avis", 4, "image/avif" },
	{ "crx ", 4, "image/x-canon-cr3" },
	{ "qt  ", 4, "video/quicktime" },
	{ "3gp", 3, "video/3gpp" }, { "3g2", 3, "video/3gpp2" },
	{ "M4A ", 4, "audio/mp4" }, { "M4B ", 4, "audio/mp4" },
	{ "M4P ", 4, "audio/mp4" },
};

static const char *
brand_type(const uint8_t *b)
{
	size_t i;

	for (i = 0; i < sizeof(item_brands) / sizeof(item_brands[0]); i++)
		if (memcmp(b, item_brands[i].brand, item_brands[i].len) == 0)
			return item_brands[i].type;
	return NULL;
}

/*
 * ISO base media (HEIC, HEIF, AVIF, MP4, MOV, 3GP): "ftyp" at offset 4,
 * the major brand at 8, compatible brands from 16 to the end of the box.
 * A generic major brand (mif1, msf1) is refined by a compatible one.  An
 * unknown brand counts as MP4 video: better gated than missed.
 */
static const char *
sniff_ftyp(const uint8_t *buf, size_t len)
{
	const char *t;
	size_t end, off;
	int heif;

	if (len < 12 || memcmp(buf + 4, "ftyp", 4) != 0)
		return NULL;
	if ((t = brand_type(buf + 8)) != NULL)
		return t;
	heif = memcmp(buf + 8, "mif1", 4) == 0 ||
	    memcmp(buf + 8, "msf1", 4) == 0;
	end = get_be32(buf);
	if (end > len)
		end = len;
	for (off = 16; heif && off + 4 <= end; off += 4)
		if ((t = brand_type(buf + off)) != NULL &&
		    strncmp(t, "image/", 6) == 0)
			return t;
	if (heif)
		return memcmp(buf + 8, "msf1", 4) == 0 ?
		    "image/heif-sequence" : "image/heif";
	return "video/mp4";
}

/* RIFF containers: WebP, AVI, WAV. */
static const char *
sniff_riff(const uint8_t *buf, size_t len)
{
	if (len < 12 || memcmp(buf, "RIFF", 4) != 0)
		return NULL;
	if (memcmp(buf + 8, "WEBP", 4) == 0)
		return "image/webp";
	if (memcmp(buf + 8, "AVI ", 4) == 0)
		return "video/x-msvideo";
	if (memcmp(buf + 8, "WAVE", 4) == 0)
		return "audio/wav";
	return NULL;
}

/* BMP: "BM" alone is too weak; also a known DIB header size at 14. */
static const char *
sniff_bmp(const uint8_t *buf, size_t len)
{
	uint32_t dib;

	if (len < 18 || buf[0] != 'B' || buf[1] != 'M')
		return NULL;
	dib = (uint32_t)buf[14] | (uint32_t)buf[15] << 8 |
	    (uint32_t)buf[16] << 16 | (uint32_t)buf[17] << 24;
	switch (dib) {
	case 12: case 16: case 40: case 52: case 56: case 64: case 108:
	case 124:
		return "image/bmp";
	}
	return NULL;
}

/* Matroska and WebM (EBML); the doc type tells them apart. */
static const char *
sniff_ebml(const uint8_t *buf, size_t len)
{
	size_t i;

	if (len < 4 || memcmp(buf, "\x1a\x45\xdf\xa3", 4) != 0)
		return NULL;
	for (i = 4; i + 4 <= len; i++)
		if (memcmp(buf + i, "webm", 4) == 0)
			return "video/webm";
	return "video/x-matroska";
}

/* See item.h.  Looks at the first ITEM_SNIFF_LEN bytes at most. */
const char *
item_sniff(const uint8_t *buf, size_t len, int *is_media)
{
	const char *t = NULL;
	size_t i;

	if (buf == NULL)
		len = 0;
	if (len > ITEM_SNIFF_LEN)
		len = ITEM_SNIFF_LEN;
	if ((t = sniff_ftyp(buf, len)) == NULL &&
	    (t = sniff_riff(buf, len)) == NULL &&
	    (t = sniff_bmp(buf, len)) == NULL &&
	    (t = sniff_ebml(buf, len)) == NULL)
		for (i = 0; i < sizeof(item_sigs) / sizeof(item_sigs[0]); i++)
			if (len >= item_sigs[i].len && memcmp(buf,
			    item_sigs[i].bytes, item_sigs[i].len) == 0) {
				t = item_sigs[i].type;
				break;
			}
	if (t == NULL)
		t = "application/octet-stream";
	if (is_media != NULL)
		*is_media = strncmp(t, "image/", 6) == 0 ||
		    strncmp(t, "video/", 6) == 0;
	return t;
}

/* ---- the master key file ---- */

/* fsyncs the directory holding path, so a create or unlink is durable. */
static int
dir_sync(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r;

	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	(void)close(fd);
	return r;
}

/*
 * Creates the master key file: 32 random bytes, mode 0600, never over an
 * existing file (CUSTODY_ERR_EXISTS).  A file this call created and could
 * not complete is removed.
 */
int
item_master_create(const char *path, char *err, size_t errlen)
{
	uint8_t key[32];
	int fd, r = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return custody_fail(err, errlen, errno == EEXIST ?
		    CUSTODY_ERR_EXISTS : CUSTODY_ERR_IO, "cannot create master "
		    "key file %s: %s", path, strerror(errno));
	if (RAND_bytes(key, sizeof(key)) != 1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CRYPTO, "no random "
		    "bytes for the master key");
		goto out;
	}
	if (fchmod(fd, 0600) == -1 || write_full(fd, key, sizeof(key)) != 0 ||
	    fsync(fd) == -1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "writing master "
		    "key file %s: %s", path, strerror(errno));
		goto out;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (close(fd) == -1 && r == 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "writing master "
		    "key file %s: %s", path, strerror(errno));
	if (r == 0 && dir_sync(path) == -1)
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot sync the "
		    "directory of %s: %s", path, strerror(errno));
	if (r != 0)
		(void)unlink(path);
	return r;
}

/* Refuses what is not a private regular file of exactly 32 bytes. */
static int
master_check(const char *path, const struct stat *sb, char *err,
    size_t errlen)
{
	if (!S_ISREG(sb->st_mode))
		return custody_fail(err, errlen, CUSTODY_ERR_KEY, "master key "
		    "file %s is not a regular file", path);
	if ((sb->st_mode & 077) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_KEY, "master key "
		    "file %s has mode %04o; it must be 0600", path,
		    (unsigned int)(sb->st_mode & 07777));
	if (sb->st_size != 32)
		return custody_fail(err, errlen, CUSTODY_ERR_KEY, "master key "
		    "file %s has %lld bytes; it must have 32", path,
		    (long long)sb->st_size);
	return 0;
}

/*
 * Loads the master key into key (set only on success).  A missing file is
 * CUSTODY_ERR_NOTFOUND (the station then creates one); a symbolic link, a
 * mode with group or other bits, or a size other than 32 is
 * CUSTODY_ERR_KEY.
 */
int
item_master_load(const char *path, uint8_t key[32], char *err,
    size_t errlen)
{
	struct stat sb;
	uint8_t tmp[32];
	size_t got = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return custody_fail(err, errlen, CUSTODY_ERR_NOTFOUND,
			    "master key file %s does not exist", path);
		if (errno == ELOOP)
			return custody_fail(err, errlen, CUSTODY_ERR_KEY,
			    "master key file %s is a symbolic link", path);
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot open "
		    "master key file %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) == -1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot stat "
		    "master key file %s: %s", path, strerror(errno));
		goto out;
	}
	if ((r = master_check(path, &sb, err, errlen)) != 0)
		goto out;
	if (read_full(fd, tmp, sizeof(tmp), &got) != 0 || got != sizeof(tmp)) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY, "cannot read 32 "
		    "bytes from master key file %s", path);
		goto out;
	}
	memcpy(key, tmp, sizeof(tmp));
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	(void)close(fd);
	return r;
}

/* ---- shredding a source file ---- */

/* Overwrites size bytes of fd from offset 0 with zeros. */
static int
shred_zero(int fd, off_t size)
{
	uint8_t *zero;
	size_t n;
	off_t off;
	int r = 0;

	if ((zero = calloc(1, ITEM_SHRED_BUF)) == NULL)
		return -1;
	if (lseek(fd, 0, SEEK_SET) == -1)
		r = -1;
	for (off = 0; r == 0 && off < size; off += (off_t)n) {
		n = size - off < (off_t)ITEM_SHRED_BUF ? (size_t)(size - off) :
		    ITEM_SHRED_BUF;
		r = write_full(fd, zero, n);
	}
	free(zero);
	return r;
}

/*
 * Overwrites a regular file with zeros, fsyncs it, unlinks it and fsyncs
 * its directory.  Refuses a symbolic link or anything not a regular file
 * (CUSTODY_ERR_INVAL).  The file is not unlinked if the overwrite failed.
 */
int
item_shred_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO must not hang us; it is refused below. */
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return custody_fail(err, errlen, errno == ELOOP ?
		    CUSTODY_ERR_INVAL : errno == ENOENT ?
		    CUSTODY_ERR_NOTFOUND : CUSTODY_ERR_IO, "cannot open %s to "
		    "shred it: %s", path, errno == ELOOP ? "it is a symbolic "
		    "link" : strerror(errno));
	if (fstat(fd, &sb) == -1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot stat %s: "
		    "%s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		r = custody_fail(err, errlen, CUSTODY_ERR_INVAL, "%s is not a "
		    "regular file; not shredding it", path);
		goto out;
	}
	if (shred_zero(fd, sb.st_size) != 0 || fsync(fd) == -1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot "
		    "overwrite %s: %s", path, strerror(errno));
		goto out;
	}
out:
	if (close(fd) == -1 && r == 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot "
		    "overwrite %s: %s", path, strerror(errno));
	if (r == 0 && (unlink(path) == -1 || dir_sync(path) == -1))
		r = custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot unlink "
		    "%s: %s", path, strerror(errno));
	return r;
}
