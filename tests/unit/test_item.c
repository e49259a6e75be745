/*
 * test_item.c -- unit tests for evidence/item.c.
 *
 * The referee is independent code written here from the format in
 * item.h, on OpenSSL's legacy one-shot EVP objects (EVP_aes_256_gcm,
 * EVP_aes_256_wrap_pad, EVP_Digest), not on item.c: it unwraps and opens
 * every chunk of what item_seal wrote, and seals blobs of its own (other
 * chunk sizes, a trailing empty last chunk) that item_open must accept.
 * Content goes through memfds; files in a fresh mkdtemp directory.
 *
 * Sizes go round the chunk and the read (ITEM_BATCH chunks: 4 * ITEM_CHUNK)
 * boundaries, since seal looks ahead by one read.  The digest worker's
 * failure is forced by wrapping EVP_DigestUpdate (linked with
 * -Wl,--wrap=EVP_DigestUpdate, Makefile): while fail_worker is set, calls
 * from any thread but the test's fail.
 *
 * The tamper matrix runs on a four-chunk item (3 * ITEM_CHUNK + 17 bytes)
 * and on a two-chunk item whose last chunk is full; each case must fail
 * with CUSTODY_ERR_VERIFY, a message that names what failed, and no
 * plaintext of the failing chunk in the output.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "evidence/item.h"
#include "hashing/digest.h"

#define C		((size_t)ITEM_CHUNK)
#define R		(4 * C)		/* item.c's read: ITEM_BATCH chunks */
#define HDR		28
#define TAG		16
#define REC		(C + TAG)
#define ERRLEN		512
#define MAGIC		"CUSTODY-ITEM\0\0\0\1"

/* ---- helpers ---- */


int	__real_EVP_DigestUpdate(EVP_MD_CTX *, const void *, size_t);
int	__wrap_EVP_DigestUpdate(EVP_MD_CTX *, const void *, size_t);

static pthread_t test_thread;
static int fail_worker;	/* set before item_seal starts its worker */

int
__wrap_EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n)
{
	if (fail_worker && !pthread_equal(pthread_self(), test_thread))
		return 0;
	return __real_EVP_DigestUpdate(ctx, d, n);
}

static uint8_t *
pattern(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len > 0 ? len : 1);
	uint32_t x = seed | 1;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

static int
memfd_with(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = memfd_create("test-item", MFD_CLOEXEC);
	assert_true(fd >= 0);
	while (off < len) {
		n = write(fd, buf + off, len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* The whole content of fd (from offset 0); *len is its size. */
static uint8_t *
fd_slurp(int fd, size_t *len)
{
	struct stat sb;
	uint8_t *p;
	size_t off = 0;
	ssize_t n;

	assert_int_equal(fstat(fd, &sb), 0);
	p = malloc((size_t)sb.st_size + 1);
	assert_non_null(p);
	while (off < (size_t)sb.st_size) {
		n = pread(fd, p + off, (size_t)sb.st_size - off, (off_t)off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	*len = off;
	return p;
}

static void
seal_bytes(const uint8_t *pt, size_t len, unsigned int algs,
    const uint8_t master[32], uint8_t **blob, size_t *bloblen,
    struct item_sealed *s)
{
	char err[ERRLEN] = "";
	int in, out, r;

	in = memfd_with(pt, len);
	out = memfd_create("test-item-blob", MFD_CLOEXEC);
	assert_true(out >= 0);
	r = item_seal(in, out, master, algs, s, err, sizeof(err));
	if (r != 0)
		fail_msg("item_seal: %d %s", r, err);
	*blob = fd_slurp(out, bloblen);
	close(in);
	close(out);
}

/* item_open of a blob in memory; the output (maybe a prefix) in *pt. */
static int
open_bytes(const uint8_t *blob, size_t len, const uint8_t wrapped[40],
    const uint8_t master[32], const uint8_t sha[32], uint8_t **pt,
    size_t *ptlen, char *err)
{
	int in, out, r;

	in = memfd_with(blob, len);
	out = memfd_create("test-item-out", MFD_CLOEXEC);
	assert_true(out >= 0);
	err[0] = '\0';
	r = item_open(in, wrapped, master, sha, out, err, ERRLEN);
	*pt = fd_slurp(out, ptlen);
	close(in);
	close(out);
	return r;
}

static void
oneshot(const EVP_MD *md, const uint8_t *buf, size_t len, uint8_t *out)
{
	unsigned int olen = 0;

	assert_int_equal(EVP_Digest(buf, len, out, &olen, md, NULL), 1);
}

static size_t
nchunks(size_t len)
{
	return len == 0 ? 1 : (len + C - 1) / C;
}

static void
master_random(uint8_t master[32])
{
	assert_int_equal(RAND_bytes(master, 32), 1);
}

/* ---- the referee: the format of item.h, written independently ---- */

static void
ref_unwrap(const uint8_t master[32], const uint8_t wrapped[40],
    uint8_t key[32])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t out[48];
	int n = 0, f = 0;

	assert_non_null(ctx);
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_wrap_pad(), NULL,
	    master, NULL), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, out, &n, wrapped, 40), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, out + n, &f), 1);
	assert_int_equal(n + f, 32);
	memcpy(key, out, 32);
	EVP_CIPHER_CTX_free(ctx);
}

static void
ref_wrap(const uint8_t master[32], const uint8_t key[32],
    uint8_t wrapped[40])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t out[56];
	int n = 0, f = 0;

	assert_non_null(ctx);
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_wrap_pad(), NULL,
	    master, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, key, 32), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, out + n, &f), 1);
	assert_int_equal(n + f, 40);
	memcpy(wrapped, out, 40);
	EVP_CIPHER_CTX_free(ctx);
}

static void
ref_nonce_aad(const uint8_t hdr[HDR], uint64_t i, int last,
    uint8_t nonce[12], uint8_t aad[HDR + 9])
{
	int k;

	memcpy(nonce, hdr + 20, 8);
	for (k = 0; k < 4; k++)
		nonce[8 + k] = (uint8_t)(i >> (24 - 8 * k));
	memcpy(aad, hdr, HDR);
	for (k = 0; k < 8; k++)
		aad[HDR + k] = (uint8_t)(i >> (56 - 8 * k));
	aad[HDR + 8] = (uint8_t)last;
}

/* Opens one chunk with a fresh context; 1 if the tag matches. */
static int
ref_chunk_open(const uint8_t key[32], const uint8_t hdr[HDR], uint64_t i,
    int last, const uint8_t *ct, size_t len, uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], aad[HDR + 9], tag[16];
	int n, ok;

	assert_non_null(ctx);
	ref_nonce_aad(hdr, i, last, nonce, aad);
	memcpy(tag, ct + len, 16);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	    nonce), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &n, aad, sizeof(aad)),
	    1);
	if (len > 0)
		assert_int_equal(EVP_DecryptUpdate(ctx, pt, &n, ct, (int)len),
		    1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
	    tag), 1);
	ok = EVP_DecryptFinal_ex(ctx, pt + len, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

static void
ref_chunk_seal(const uint8_t key[32], const uint8_t hdr[HDR], uint64_t i,
    int last, const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], aad[HDR + 9];
	int n;

	assert_non_null(ctx);
	ref_nonce_aad(hdr, i, last, nonce, aad);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	    nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, aad, sizeof(aad)),
	    1);
	if (len > 0)
		assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, pt, (int)len),
		    1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, out + len, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
	    out + len), 1);
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * A blob in the format of item.h with chunk size cs; if empty_last, a
 * content of a multiple of cs ends with an extra empty last chunk (which
 * item_seal never writes but the format allows).
 */
static uint8_t *
ref_seal(const uint8_t *pt, size_t len, size_t cs, int empty_last,
    const uint8_t master[32], uint8_t wrapped[40], size_t *bloblen)
{
	uint8_t key[32], *blob, *p;
	size_t n, off = 0, chunks;
	uint64_t i;

	chunks = len == 0 ? 1 : (len + cs - 1) / cs;
	if (empty_last && len > 0 && len % cs == 0)
		chunks++;
	blob = malloc(HDR + len + TAG * chunks);
	assert_non_null(blob);
	memcpy(blob, MAGIC, 16);
	blob[16] = (uint8_t)(cs >> 24);
	blob[17] = (uint8_t)(cs >> 16);
	blob[18] = (uint8_t)(cs >> 8);
	blob[19] = (uint8_t)cs;
	assert_int_equal(RAND_bytes(blob + 20, 8), 1);
	assert_int_equal(RAND_bytes(key, 32), 1);
	p = blob + HDR;
	for (i = 0; i < chunks; i++) {
		n = len - off < cs ? len - off : cs;
		ref_chunk_seal(key, blob, i, i == chunks - 1, pt + off, n, p);
		off += n;
		p += n + TAG;
	}
	ref_wrap(master, key, wrapped);
	*bloblen = (size_t)(p - blob);
	return blob;
}

/* ---- round trips ---- */

static void
roundtrip(size_t len, unsigned int algs)
{
	struct item_sealed s;
	uint8_t master[32], want[64], *pt, *blob, *out;
	size_t bloblen, outlen;
	char err[ERRLEN];

	master_random(master);
	pt = pattern(len, (uint32_t)len + 7);
	seal_bytes(pt, len, algs, master, &blob, &bloblen, &s);
	assert_int_equal(bloblen, HDR + len + TAG * nchunks(len));
	assert_true(s.digests.size == len);
	assert_int_equal(s.digests.algs, algs | DIGEST_SHA256 | DIGEST_SHA512);
	oneshot(EVP_sha256(), pt, len, want);
	assert_memory_equal(s.digests.sha256, want, 32);
	oneshot(EVP_sha512(), pt, len, want);
	assert_memory_equal(s.digests.sha512, want, 64);
	if (algs & DIGEST_MD5) {
		oneshot(EVP_md5(), pt, len, want);
		assert_memory_equal(s.digests.md5, want, 16);
	}
	if (algs & DIGEST_SHA1) {
		oneshot(EVP_sha1(), pt, len, want);
		assert_memory_equal(s.digests.sha1, want, 20);
	}
	if (open_bytes(blob, bloblen, s.wrapped, master, s.digests.sha256,
	    &out, &outlen, err) != 0)
		fail_msg("item_open of %zu bytes: %s", len, err);
	assert_int_equal(outlen, len);
	if (len > 0)
		assert_memory_equal(out, pt, len);
	free(pt);
	free(blob);
	free(out);
}

static void
test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, C - 1, C, C + 1, 3 * C + 17,
	    R - 1, R, R + 1, 2 * R, 2 * R + C, 9 * C + 5 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		roundtrip(sizes[i], 0);
}

/* MD5 and SHA-1 only when asked; SHA-256 and SHA-512 always. */
static void
test_md5_sha1_on_request(void **state)
{
	struct item_sealed s;
	uint8_t master[32], zero[20] = { 0 }, *blob, *pt;
	size_t bloblen;

	roundtrip(C + 1, DIGEST_MD5 | DIGEST_SHA1);
	roundtrip(3, DIGEST_MD5);
	master_random(master);
	pt = pattern(100, 1);
	seal_bytes(pt, 100, 0, master, &blob, &bloblen, &s);
	assert_int_equal(s.digests.algs, DIGEST_SHA256 | DIGEST_SHA512);
	assert_memory_equal(s.digests.md5, zero, 16);
	assert_memory_equal(s.digests.sha1, zero, 20);
	free(blob);
	seal_bytes(pt, 100, DIGEST_SHA256, master, &blob, &bloblen, &s);
	assert_int_equal(s.digests.algs, DIGEST_SHA256 | DIGEST_SHA512);
	free(blob);
	free(pt);
}

/*
 * What item_seal writes is exactly the format of item.h: the referee
 * unwraps the key and opens every chunk with its own nonce and additional
 * data, and a chunk opens only with its own "last" flag.
 */
static void
test_format_matches_header(void **state)
{
	static const size_t sizes[] = { 0, C, 3 * C + 17, R, R + 1,
	    2 * R };
	struct item_sealed s;
	uint8_t master[32], key[32], *pt, *blob, *out, *p;
	size_t bloblen, len, n, k, off, chunks;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		len = sizes[k];
		master_random(master);
		pt = pattern(len, 99);
		seal_bytes(pt, len, 0, master, &blob, &bloblen, &s);
		assert_memory_equal(blob, MAGIC, 16);
		assert_int_equal(blob[16] << 24 | blob[17] << 16 |
		    blob[18] << 8 | blob[19], ITEM_CHUNK);
		ref_unwrap(master, s.wrapped, key);
		out = malloc(len + C);
		assert_non_null(out);
		chunks = nchunks(len);
		p = blob + HDR;
		for (off = 0, n = 0; n < chunks; n++) {
			size_t cl = len - off < C ? len - off : C;
			int last = n == chunks - 1;

			assert_true(ref_chunk_open(key, blob, n, last, p, cl,
			    out + off));
			assert_false(ref_chunk_open(key, blob, n, !last, p, cl,
			    out + off));
			assert_true(ref_chunk_open(key, blob, n, last, p, cl,
			    out + off));
			off += cl;
			p += cl + TAG;
		}
		assert_true((size_t)(p - blob) == bloblen);
		if (len > 0)
			assert_memory_equal(out, pt, len);
		free(out);
		free(pt);
		free(blob);
	}
}

/*
 * item_open reads blobs the referee sealed: other chunk sizes in the
 * allowed range, and an empty last chunk after a full one.
 */
static void
test_open_referee_blobs(void **state)
{
	static const struct {
		size_t	cs, len;
		int	empty_last;
	} cases[] = {
		{ 1024, 0, 0 }, { 1024, 5000, 0 }, { 1024, 4096, 1 },
		{ 4096, 4096, 0 }, { 65536, 2 * 65536, 1 },
		{ 16u << 20, 100, 0 },
	};
	uint8_t master[32], wrapped[40], sha[32], *pt, *blob, *out;
	size_t i, bloblen, outlen;
	char err[ERRLEN];

	master_random(master);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pt = pattern(cases[i].len, 5);
		blob = ref_seal(pt, cases[i].len, cases[i].cs,
		    cases[i].empty_last, master, wrapped, &bloblen);
		oneshot(EVP_sha256(), pt, cases[i].len, sha);
		if (open_bytes(blob, bloblen, wrapped, master, sha, &out,
		    &outlen, err) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(outlen, cases[i].len);
		if (outlen > 0)
			assert_memory_equal(out, pt, outlen);
		free(out);
		free(blob);
		free(pt);
	}
	/* Chunk sizes outside 1 KiB..16 MiB are refused. */
	pt = pattern(10, 5);
	oneshot(EVP_sha256(), pt, 10, sha);
	blob = ref_seal(pt, 10, 1023, 0, master, wrapped, &bloblen);
	assert_int_equal(open_bytes(blob, bloblen, wrapped, master, sha, &out,
	    &outlen, err), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "chunk size 1023"));
	free(out);
	free(blob);
	blob = ref_seal(pt, 10, (16u << 20) + 1, 0, master, wrapped, &bloblen);
	assert_int_equal(open_bytes(blob, bloblen, wrapped, master, sha, &out,
	    &outlen, err), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "chunk size"));
	free(out);
	free(blob);
	free(pt);
}

/* A writer that makes every read of item_seal short. */
static void
test_seal_from_pipe(void **state)
{
	static const size_t steps[] = { 1, 7, 4093, 65535, 65537, 100 };
	const size_t len = 2 * R + 3 * C + 17;
	struct item_sealed s;
	uint8_t master[32], want[32], *pt, *blob, *out;
	size_t bloblen, outlen, off, n, k;
	char err[ERRLEN] = "";
	int p[2], bfd, status;
	pid_t pid;

	master_random(master);
	pt = pattern(len, 3);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		for (off = 0, k = 0; off < len; off += n, k++) {
			n = steps[k % 6] < len - off ? steps[k % 6] : len - off;
			if (write(p[1], pt + off, n) != (ssize_t)n)
				_exit(1);
			if (k % 3 == 0)
				usleep(100);
		}
		_exit(0);
	}
	assert_true(pid > 0);
	close(p[1]);
	bfd = memfd_create("test-item-blob", MFD_CLOEXEC);
	assert_true(bfd >= 0);
	if (item_seal(p[0], bfd, master, 0, &s, err, sizeof(err)) != 0)
		fail_msg("item_seal: %s", err);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	oneshot(EVP_sha256(), pt, len, want);
	assert_memory_equal(s.digests.sha256, want, 32);
	blob = fd_slurp(bfd, &bloblen);
	close(bfd);
	assert_int_equal(bloblen, HDR + len + nchunks(len) * TAG);
	assert_int_equal(open_bytes(blob, bloblen, s.wrapped, master, want,
	    &out, &outlen, err), 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, pt, len);
	free(out);
	free(blob);
	free(pt);
}

/* ---- the tamper matrix ---- */

struct fix {
	uint8_t			 master[32];
	uint8_t			*pt;
	size_t			 len;
	uint8_t			*blob;
	size_t			 bloblen;
	struct item_sealed	 s;
};

static void
fix_make(struct fix *f, size_t len)
{
	master_random(f->master);
	f->len = len;
	f->pt = pattern(len, 11);
	seal_bytes(f->pt, len, 0, f->master, &f->blob, &f->bloblen, &f->s);
}

static void
fix_free(struct fix *f)
{
	free(f->pt);
	free(f->blob);
}

/* Offset in the blob of chunk k's record. */
static size_t
rec_at(size_t k)
{
	return HDR + k * REC;
}

/*
 * item_open of blob (instead of f's) must fail with CUSTODY_ERR_VERIFY
 * and a message containing want, having written at most max_out bytes
 * (the chunks before the failing one), all of them right.
 */
static void
expect_fail_with(const struct fix *f, const uint8_t *blob, size_t len,
    const uint8_t wrapped[40], const uint8_t master[32],
    const uint8_t sha[32], const char *want, size_t max_out,
    const char *what)
{
	uint8_t *out;
	size_t outlen;
	char err[ERRLEN];
	int r;

	r = open_bytes(blob, len, wrapped, master, sha, &out, &outlen, err);
	if (r != CUSTODY_ERR_VERIFY || strstr(err, want) == NULL)
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", what, r, err,
		    CUSTODY_ERR_VERIFY, want);
	if (outlen > max_out)
		fail_msg("%s: %zu bytes out, at most %zu allowed", what,
		    outlen, max_out);
	if (outlen > 0)
		assert_memory_equal(out, f->pt, outlen);
	free(out);
}

static void
expect_fail(const struct fix *f, const uint8_t *blob, size_t len,
    const char *want, size_t max_out, const char *what)
{
	expect_fail_with(f, blob, len, f->s.wrapped, f->master,
	    f->s.digests.sha256, want, max_out, what);
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t len, size_t extra)
{
	uint8_t *q = malloc(len + extra + 1);

	assert_non_null(q);
	memcpy(q, p, len);
	return q;
}

static void
flip_expect(const struct fix *f, size_t at, int bit, const char *want,
    size_t max_out, const char *what)
{
	uint8_t *b = dup_bytes(f->blob, f->bloblen, 0);
	char label[128];

	b[at] ^= (uint8_t)(1u << bit);
	(void)snprintf(label, sizeof(label), "%s, bit %d of byte %zu", what,
	    bit, at);
	expect_fail(f, b, f->bloblen, want, max_out, label);
	free(b);
}

/* The untampered blob opens: the matrix below is not failing for that. */
static void
assert_fix_opens(const struct fix *f)
{
	uint8_t *out;
	size_t outlen;
	char err[ERRLEN];

	if (open_bytes(f->blob, f->bloblen, f->s.wrapped, f->master,
	    f->s.digests.sha256, &out, &outlen, err) != 0)
		fail_msg("untampered: %s", err);
	assert_int_equal(outlen, f->len);
	free(out);
}

static void
test_tamper_header(void **state)
{
	struct fix f;
	uint32_t cs;
	size_t at;
	int bit;

	fix_make(&f, 3 * C + 17);
	assert_fix_opens(&f);
	for (at = 0; at < HDR; at++) {
		bit = (int)(at % 8);
		if (at < 16) {
			flip_expect(&f, at, bit, "wrong magic", 0, "magic");
			continue;
		}
		cs = ITEM_CHUNK;
		if (at < 20)
			cs ^= 1u << (8 * (19 - at) + (unsigned int)bit);
		if (cs < 1024 || cs > (16u << 20))
			flip_expect(&f, at, bit, "chunk size", 0, "size");
		else
			flip_expect(&f, at, bit, "chunk 0 fails "
			    "authentication", 0, "size or prefix");
	}
	fix_free(&f);
}

static void
test_tamper_chunks_and_tags(void **state)
{
	struct fix f;
	size_t k, cl, pos[3], j;
	char want[64];

	fix_make(&f, 3 * C + 17);
	for (k = 0; k < 4; k++) {
		cl = k < 3 ? C : 17;
		(void)snprintf(want, sizeof(want), "chunk %zu fails "
		    "authentication (altered, reordered or truncated)", k);
		pos[0] = 0;
		pos[1] = cl / 2;
		pos[2] = cl - 1;
		for (j = 0; j < 3; j++)
			flip_expect(&f, rec_at(k) + pos[j], (int)j * 3, want,
			    k * C, "ciphertext");
		flip_expect(&f, rec_at(k) + cl, 0, want, k * C, "tag");
		flip_expect(&f, rec_at(k) + cl + 15, 7, want, k * C, "tag");
	}
	fix_free(&f);
}

static void
test_tamper_truncate(void **state)
{
	static const size_t inside_hdr[] = { 0, 1, 15, 16, 27 };
	static const size_t mid[] = { 1, 15, 16, 17, 32, C / 2, REC - 1 };
	struct fix f;
	size_t i, k, len;
	char want[96], what[64];

	fix_make(&f, 3 * C + 17);
	for (i = 0; i < sizeof(inside_hdr) / sizeof(inside_hdr[0]); i++)
		expect_fail(&f, f.blob, inside_hdr[i], "blob ends inside the "
		    "header", 0, "inside the header");
	expect_fail(&f, f.blob, HDR, "blob has no last chunk (truncated)", 0,
	    "after the header");
	/* At each chunk boundary: chunk k-1 was not sealed as last. */
	for (k = 1; k <= 3; k++) {
		(void)snprintf(want, sizeof(want), "blob has no last chunk "
		    "(truncated after chunk %zu)", k - 1);
		(void)snprintf(what, sizeof(what), "boundary %zu", k);
		expect_fail(&f, f.blob, rec_at(k), want, (k - 1) * C, what);
	}
	/* Inside each chunk, ciphertext or tag. */
	for (k = 0; k < 4; k++)
		for (i = 0; i < sizeof(mid) / sizeof(mid[0]); i++) {
			len = rec_at(k) + mid[i];
			if (len >= f.bloblen)
				continue;
			if (mid[i] < TAG)
				(void)snprintf(want, sizeof(want), "blob ends "
				    "inside chunk %zu (truncated)", k);
			else
				(void)snprintf(want, sizeof(want), "chunk %zu "
				    "fails authentication", k);
			(void)snprintf(what, sizeof(what), "chunk %zu + %zu",
			    k, mid[i]);
			expect_fail(&f, f.blob, len, want, k * C, what);
		}
	expect_fail(&f, f.blob, f.bloblen - 1, "chunk 3 fails authentication",
	    3 * C, "last byte");
	fix_free(&f);
}

/* Copies of chunks, and bytes, after the last chunk. */
static void
test_tamper_append(void **state)
{
	struct fix f, g;
	uint8_t *b;
	size_t k;
	char what[64];

	/* A short last chunk: the appended bytes join its record. */
	fix_make(&f, 3 * C + 17);
	for (k = 0; k < 4; k++) {
		b = dup_bytes(f.blob, f.bloblen, REC);
		memcpy(b + f.bloblen, f.blob + rec_at(k), k < 3 ? REC : 33);
		(void)snprintf(what, sizeof(what), "append chunk %zu", k);
		expect_fail(&f, b, f.bloblen + (k < 3 ? REC : 33),
		    "chunk 3 fails authentication", 3 * C, what);
		free(b);
	}
	b = dup_bytes(f.blob, f.bloblen, 1);
	b[f.bloblen] = 0;
	expect_fail(&f, b, f.bloblen + 1, "chunk 3 fails authentication",
	    3 * C, "append one byte");
	free(b);
	fix_free(&f);

	/* A full last chunk: what follows it is named as an extension. */
	fix_make(&g, 2 * C);
	assert_fix_opens(&g);
	for (k = 0; k < 2; k++) {
		b = dup_bytes(g.blob, g.bloblen, REC);
		memcpy(b + g.bloblen, g.blob + rec_at(k), REC);
		(void)snprintf(what, sizeof(what), "append chunk %zu", k);
		expect_fail(&g, b, g.bloblen + REC, "blob continues after its "
		    "last chunk, chunk 1 (extended)", C, what);
		free(b);
	}
	b = dup_bytes(g.blob, g.bloblen, 16);
	memset(b + g.bloblen, 0, 16);
	expect_fail(&g, b, g.bloblen + 16, "continues after its last chunk",
	    C, "append an empty chunk");
	free(b);
	fix_free(&g);
}

/* Swaps records a and b of equal size in a copy of the blob. */
static void
swap_expect(const struct fix *f, size_t a, size_t b, const char *want,
    size_t max_out)
{
	uint8_t *x = dup_bytes(f->blob, f->bloblen, 0);
	char what[64];

	memcpy(x + rec_at(a), f->blob + rec_at(b), REC);
	memcpy(x + rec_at(b), f->blob + rec_at(a), REC);
	(void)snprintf(what, sizeof(what), "swap %zu and %zu", a, b);
	expect_fail(f, x, f->bloblen, want, max_out, what);
	free(x);
}

static void
test_tamper_reorder_and_drop(void **state)
{
	struct fix f;
	uint8_t *b;
	size_t len;

	fix_make(&f, 3 * C + 17);
	swap_expect(&f, 0, 1, "chunk 0 fails authentication", 0);
	swap_expect(&f, 1, 2, "chunk 1 fails authentication", C);
	swap_expect(&f, 0, 2, "chunk 0 fails authentication", 0);
	/* Drop chunk 1, then chunk 2 (the last moves up). */
	b = dup_bytes(f.blob, f.bloblen, 0);
	len = f.bloblen - REC;
	memmove(b + rec_at(1), f.blob + rec_at(2), f.bloblen - rec_at(2));
	expect_fail(&f, b, len, "chunk 1 fails authentication", C, "drop 1");
	memcpy(b, f.blob, f.bloblen);
	memmove(b + rec_at(2), f.blob + rec_at(3), f.bloblen - rec_at(3));
	expect_fail(&f, b, len, "chunk 2 fails authentication", 2 * C,
	    "drop 2");
	/* Drop the last chunk: the one before it was not sealed as last. */
	expect_fail(&f, f.blob, rec_at(3), "truncated after chunk 2", 2 * C,
	    "drop the last");
	free(b);
	fix_free(&f);
}

static void
test_tamper_keys_and_hash(void **state)
{
	struct fix f, g;
	uint8_t other[32], wrapped[40], sha[32];
	size_t i;
	char what[64];

	fix_make(&f, 3 * C + 17);
	master_random(other);
	expect_fail_with(&f, f.blob, f.bloblen, f.s.wrapped, other,
	    f.s.digests.sha256, "the item key does not unwrap: wrong master "
	    "key or damaged record", 0, "wrong master key");
	for (i = 0; i < 40; i++) {
		memcpy(wrapped, f.s.wrapped, 40);
		wrapped[i] ^= (uint8_t)(0x80u >> (i % 8));
		(void)snprintf(what, sizeof(what), "wrapped key byte %zu", i);
		expect_fail_with(&f, f.blob, f.bloblen, wrapped, f.master,
		    f.s.digests.sha256, "does not unwrap", 0, what);
	}
	memcpy(sha, f.s.digests.sha256, 32);
	sha[31] ^= 1;
	expect_fail_with(&f, f.blob, f.bloblen, f.s.wrapped, f.master, sha,
	    "content does not match its recorded SHA-256", f.len,
	    "wrong sha256");
	/* Another item's blob under this item's key (records swapped). */
	fix_make(&g, 3 * C + 17);
	memcpy(g.master, f.master, 32);
	free(g.blob);
	seal_bytes(f.pt, f.len, 0, f.master, &g.blob, &g.bloblen, &g.s);
	expect_fail(&f, g.blob, g.bloblen, "chunk 0 fails authentication", 0,
	    "another item's blob");
	fix_free(&g);
	fix_free(&f);
}

/* ---- no plaintext, no key, in what is stored ---- */

static int
contains(const uint8_t *hay, size_t hlen, const void *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen) != NULL;
}

static void
test_no_marker_at_rest(void **state)
{
	const size_t len = 3 * C + 17;
	struct item_sealed s;
	uint8_t master[32], key[32], rnd[8], *pt, *blob;
	char marker[64];
	size_t bloblen, off, mlen;

	master_random(master);
	assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
	mlen = (size_t)snprintf(marker, sizeof(marker), "CUSTODY-MARKER-"
	    "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	pt = pattern(len, 21);
	/* Everywhere, straddling every chunk boundary too. */
	for (off = 0; off + mlen <= len; off += 997)
		memcpy(pt + off, marker, mlen);
	for (off = C - mlen / 2; off + mlen <= len; off += C)
		memcpy(pt + off, marker, mlen);
	assert_true(contains(pt, len, marker, mlen));	/* the probe works */
	seal_bytes(pt, len, 0, master, &blob, &bloblen, &s);
	assert_false(contains(blob, bloblen, marker, mlen));
	assert_false(contains(blob, bloblen, marker, 16));
	assert_false(contains(s.wrapped, 40, marker, 16));
	ref_unwrap(master, s.wrapped, key);
	assert_false(contains(blob, bloblen, key, 32));
	assert_false(contains(blob, bloblen, key, 16));
	assert_false(contains(s.wrapped, 40, key, 16));
	assert_false(contains(s.wrapped, 40, key + 16, 16));
	assert_false(contains(blob, bloblen, master, 16));
	free(pt);
	free(blob);
}

/* ---- type sniffing ---- */

struct sniff_case {
	const char	*name;
	const char	*bytes;
	size_t		 len;
	const char	*type;
	int		 media;
};

#define S(n, b, t, m)	{ n, b, sizeof(b) - 1, t, m }

static const struct sniff_case sniff_cases[] = {
	S("jpeg jfif", "\xff\xd8\xff\xe0\0\x10JFIF\0\1\1", "image/jpeg", 1),
	S("jpeg exif", "\xff\xd8\xff\xe1\x12\x34" "Exif\0\0MM", "image/jpeg",
	    1),
	S("png", "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\1\0", "image/png", 1),
	S("gif87a", "GIF87a\x40\x01\xf0\0\xf7\0\0", "image/gif", 1),
	S("gif89a", "GIF89a\x01\0\x01\0\x80\0\0", "image/gif", 1),
	S("webp", "RIFF\x24\x10\0\0WEBPVP8 \x18\x10\0\0", "image/webp", 1),
	S("heic", "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", "image/heic", 1),
	S("heix", "\0\0\0\x18" "ftypheix\0\0\0\0mif1heix", "image/heic", 1),
	S("heif mif1+heic",
	    "\0\0\0\x1c" "ftypmif1\0\0\0\0mif1miafheic", "image/heic", 1),
	S("heif mif1", "\0\0\0\x18" "ftypmif1\0\0\0\0mif1miaf", "image/heif",
	    1),
	S("heif msf1", "\0\0\0\x18" "ftypmsf1\0\0\0\0msf1iso8",
	    "image/heif-sequence", 1),
	S("avif", "\0\0\0\x20" "ftypavif\0\0\0\0avifmif1miafMA1B",
	    "image/avif", 1),
	S("avif via mif1", "\0\0\0\x1c" "ftypmif1\0\0\0\0mif1avifmiaf",
	    "image/avif", 1),
	S("mp4 isom", "\0\0\0\x20" "ftypisom\0\0\x02\0isomiso2avc1mp41",
	    "video/mp4", 1),
	S("mp4 mp41", "\0\0\0\x18" "ftypmp41\0\0\0\0mp41isom", "video/mp4", 1),
	S("mp4 mp42", "\0\0\0\x1c" "ftypmp42\0\0\0\0mp42mp41isom",
	    "video/mp4", 1),
	S("mov", "\0\0\0\x14" "ftypqt  \0\0\x02\0qt  ", "video/quicktime", 1),
	S("3gp", "\0\0\0\x18" "ftyp3gp4\0\0\x02\0isom3gp4", "video/3gpp", 1),
	S("3gp5", "\0\0\0\x18" "ftyp3gp5\0\0\0\0" "3gp5isom", "video/3gpp", 1),
	S("3g2", "\0\0\0\x18" "ftyp3g2a\0\0\0\0" "3g2aisom", "video/3gpp2", 1),
	S("m4a", "\0\0\0\x18" "ftypM4A \0\0\0\0M4A isom", "audio/mp4", 0),
	S("unknown ftyp", "\0\0\0\x14" "ftypzzzz\0\0\0\0zzzz", "video/mp4", 1),
	S("avi", "RIFF\x10\x20\0\0" "AVI LIST\xc0\0\0\0", "video/x-msvideo",
	    1),
	S("wav", "RIFF\x24\x08\0\0WAVEfmt \x10\0\0\0", "audio/wav", 0),
	S("bmp", "BM\x36\x30\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x10\0\0\0",
	    "image/bmp", 1),
	S("bmp v5", "BM\x8a\x30\0\0\0\0\0\0\x8a\0\0\0\x7c\0\0\0",
	    "image/bmp", 1),
	S("tiff le", "II*\0\x08\0\0\0\x10\0", "image/tiff", 1),
	S("tiff be", "MM\0*\0\0\0\x08\0\x10", "image/tiff", 1),
	S("jpeg 2000", "\0\0\0\x0cjP  \r\n\x87\n\0\0\0\x14" "ftypjp2 ",
	    "image/jp2", 1),
	S("jxl box", "\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14", "image/jxl", 1),
	S("jxl codestream", "\xff\x0a\xfa\x7f", "image/jxl", 1),
	S("webm", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01"
	    "\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm", "video/webm",
	    1),
	S("mkv", "\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska",
	    "video/x-matroska", 1),
	S("flv", "FLV\x01\x05\0\0\0\x09", "video/x-flv", 1),
	S("asf", "\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\0\xaa\0\x62\xce"
	    "\x6c", "video/x-ms-asf", 1),
	S("mpeg-ps", "\0\0\x01\xba\x44\0\x04\0\x04\x01", "video/mpeg", 1),
	S("pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf", 0),
	S("zip", "PK\3\4\x14\0\0\0\x08\0", "application/zip", 0),
	S("zip empty", "PK\5\6\0\0\0\0\0\0\0\0", "application/zip", 0),
	/* Not media, or not enough to tell. */
	S("text", "Hello, this is a plain text file.\n",
	    "application/octet-stream", 0),
	S("text BM", "BM is not a bitmap, only two letters",
	    "application/octet-stream", 0),
	S("short jpeg", "\xff\xd8", "application/octet-stream", 0),
	S("short ftyp", "\0\0\0\x14" "ftyp", "application/octet-stream", 0),
	S("riff other", "RIFF\x10\0\0\0RMIDdata", "application/octet-stream",
	    0),
	S("empty", "", "application/octet-stream", 0),
};

static void
test_sniff_table(void **state)
{
	const struct sniff_case *c;
	const char *t;
	size_t i;
	int media;

	for (i = 0; i < sizeof(sniff_cases) / sizeof(sniff_cases[0]); i++) {
		c = &sniff_cases[i];
		media = -1;
		t = item_sniff((const uint8_t *)c->bytes, c->len, &media);
		if (strcmp(t, c->type) != 0 || media != c->media)
			fail_msg("%s: got %s (%d), want %s (%d)", c->name, t,
			    media, c->type, c->media);
		assert_true(strlen(t) < ITEM_TYPE_MAX);
	}
	assert_string_equal(item_sniff(NULL, 0, NULL),
	    "application/octet-stream");
}

/* Only the first 64 bytes count; a longer buffer is fine. */
static void
test_sniff_limit(void **state)
{
	uint8_t buf[200];
	int media;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\x1a\x45\xdf\xa3", 4);
	memcpy(buf + 100, "webm", 4);
	assert_string_equal(item_sniff(buf, sizeof(buf), &media),
	    "video/x-matroska");
	memcpy(buf + 40, "webm", 4);
	assert_string_equal(item_sniff(buf, sizeof(buf), &media),
	    "video/webm");
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "\xff\xd8\xff", 3);
	assert_string_equal(item_sniff(buf, sizeof(buf), &media),
	    "image/jpeg");
	assert_int_equal(media, 1);
}

/* item_seal sniffs the first bytes of the content, before encrypting. */
static void
test_seal_sniffs(void **state)
{
	struct item_sealed s;
	uint8_t master[32], *pt, *blob;
	size_t bloblen, len = C + 5;

	master_random(master);
	pt = pattern(len, 8);
	memcpy(pt, "\x89PNG\r\n\x1a\n", 8);
	seal_bytes(pt, len, 0, master, &blob, &bloblen, &s);
	assert_string_equal(s.type, "image/png");
	assert_int_equal(s.is_media, 1);
	free(blob);
	memcpy(pt, "%PDF-1.4\n", 9);
	seal_bytes(pt, len, 0, master, &blob, &bloblen, &s);
	assert_string_equal(s.type, "application/pdf");
	assert_int_equal(s.is_media, 0);
	free(blob);
	seal_bytes(pt, 0, 0, master, &blob, &bloblen, &s);
	assert_string_equal(s.type, "application/octet-stream");
	assert_int_equal(s.is_media, 0);
	free(blob);
	free(pt);
}

/* ---- failures of seal and open on their descriptors ---- */

static void
test_seal_open_io_errors(void **state)
{
	struct item_sealed s, keep;
	uint8_t master[32], *pt, *blob;
	size_t bloblen;
	char err[ERRLEN];
	int in, p[2], out;

	master_random(master);
	pt = pattern(C + 1, 4);
	in = memfd_with(pt, C + 1);
	assert_int_equal(pipe(p), 0);
	memset(&s, 0xa5, sizeof(s));
	memcpy(&keep, &s, sizeof(s));
	/* Output not writable (a pipe's read end). */
	assert_int_equal(item_seal(in, p[0], master, 0, &s, err, sizeof(err)),
	    CUSTODY_ERR_IO);
	assert_non_null(strstr(err, "writing the blob"));
	assert_memory_equal(&s, &keep, sizeof(s));
	/* Input not readable (a pipe's write end). */
	out = memfd_create("x", MFD_CLOEXEC);
	assert_int_equal(item_seal(p[1], out, master, 0, &s, err,
	    sizeof(err)), CUSTODY_ERR_IO);
	assert_non_null(strstr(err, "reading the content"));
	assert_memory_equal(&s, &keep, sizeof(s));
	/* An unknown digest bit. */
	assert_int_equal(item_seal(in, out, master, 0x80, &s, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_memory_equal(&s, &keep, sizeof(s));
	close(out);
	close(in);
	/* item_open into an output that cannot be written. */
	seal_bytes(pt, C + 1, 0, master, &blob, &bloblen, &s);
	in = memfd_with(blob, bloblen);
	assert_int_equal(item_open(in, s.wrapped, master, s.digests.sha256,
	    p[0], err, sizeof(err)), CUSTODY_ERR_IO);
	assert_non_null(strstr(err, "writing the content"));
	close(in);
	close(p[0]);
	close(p[1]);
	free(blob);
	free(pt);
}

/*
 * The digest worker fails (its EVP_DigestUpdate, wrapped; see the top):
 * seal returns CUSTODY_ERR_CRYPTO, says the hashing failed and leaves *s
 * alone.  One item within a single read (the failure surfaces when seal
 * finishes the digests) and one of many reads (the reader learns of it
 * while waiting for a buffer).  Every call has joined the worker before
 * it returns: fail_worker is cleared with no thread left to race.
 */
static void
test_seal_worker_fails(void **state)
{
	static const size_t sizes[] = { 100, 9 * R + 1 };
	struct item_sealed s, keep;
	uint8_t master[32], *pt;
	char err[ERRLEN];
	size_t k;
	int in, out, r;

	master_random(master);
	test_thread = pthread_self();
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		pt = pattern(sizes[k], 5);
		in = memfd_with(pt, sizes[k]);
		out = memfd_create("test-item-blob", MFD_CLOEXEC);
		assert_true(out >= 0);
		memset(&s, 0xa5, sizeof(s));
		memcpy(&keep, &s, sizeof(s));
		err[0] = '\0';
		fail_worker = 1;
		r = item_seal(in, out, master, 0, &s, err, sizeof(err));
		fail_worker = 0;
		assert_int_equal(r, CUSTODY_ERR_CRYPTO);
		if (strstr(err, "hash") == NULL &&
		    strstr(err, "digests") == NULL)
			fail_msg("size %zu: %s", sizes[k], err);
		assert_memory_equal(&s, &keep, sizeof(s));
		close(in);
		close(out);
		free(pt);
	}
}

/* ---- master key files ---- */

struct dirfix {
	char	dir[64];
	char	path[128];
};

static int
dir_setup(void **state)
{
	struct dirfix *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	(void)snprintf(d->dir, sizeof(d->dir), "/tmp/custody-item-XXXXXX");
	if (mkdtemp(d->dir) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dirfix *d = *state;
	char cmd[128];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", d->dir);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static const char *
dpath(struct dirfix *d, const char *name)
{
	(void)snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, name);
	return d->path;
}

static void
write_file(const char *path, const uint8_t *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_true(write(fd, buf, len) == (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
expect_load_refused(const char *path, int code, const char *want)
{
	uint8_t key[32], keep[32];
	char err[ERRLEN] = "";
	int r;

	memset(key, 0xa5, sizeof(key));
	memcpy(keep, key, sizeof(key));
	r = item_master_load(path, key, err, sizeof(err));
	if (r != code || strstr(err, want) == NULL)
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", path, r, err,
		    code, want);
	assert_memory_equal(key, keep, sizeof(key));
}

static void
test_master_create_load(void **state)
{
	struct dirfix *d = *state;
	struct stat sb;
	uint8_t key[32], disk[32];
	char err[ERRLEN], target[128];
	mode_t old;
	int fd;

	old = umask(0);		/* a loose umask must not loosen the file */
	assert_int_equal(item_master_create(dpath(d, "master.key"), err,
	    sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(d->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 32);
	fd = open(d->path, O_RDONLY);
	assert_true(read(fd, disk, 32) == 32);
	close(fd);
	assert_int_equal(item_master_load(d->path, key, err, sizeof(err)), 0);
	assert_memory_equal(key, disk, 32);
	/* Never over an existing file. */
	assert_int_equal(item_master_create(d->path, err, sizeof(err)),
	    CUSTODY_ERR_EXISTS);
	assert_int_equal(item_master_load(d->path, key, err, sizeof(err)), 0);
	assert_memory_equal(key, disk, 32);
	/* Nor through a dangling symbolic link. */
	(void)snprintf(target, sizeof(target), "%s", dpath(d, "elsewhere"));
	assert_int_equal(symlink(target, dpath(d, "dangling")), 0);
	assert_int_equal(item_master_create(d->path, err, sizeof(err)),
	    CUSTODY_ERR_EXISTS);
	assert_int_equal(access(dpath(d, "elsewhere"), F_OK), -1);
	/* 0400 is fine. */
	assert_int_equal(chmod(dpath(d, "master.key"), 0400), 0);
	assert_int_equal(item_master_load(d->path, key, err, sizeof(err)), 0);
	/* Two stations, two different keys. */
	assert_int_equal(item_master_create(dpath(d, "second.key"), err,
	    sizeof(err)), 0);
	assert_int_equal(item_master_load(d->path, key, err, sizeof(err)), 0);
	assert_memory_not_equal(key, disk, 32);
}

static void
test_master_refusals(void **state)
{
	struct dirfix *d = *state;
	uint8_t buf[33] = { 0 };
	char err[ERRLEN], link_to[128];

	write_file(dpath(d, "k644"), buf, 32, 0644);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "has mode 0644; it "
	    "must be 0600");
	write_file(dpath(d, "k640"), buf, 32, 0640);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "has mode 0640");
	write_file(dpath(d, "k604"), buf, 32, 0604);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "has mode 0604");
	write_file(dpath(d, "k31"), buf, 31, 0600);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "has 31 bytes");
	write_file(dpath(d, "k33"), buf, 33, 0600);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "has 33 bytes");
	write_file(dpath(d, "k0"), buf, 0, 0600);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "has 0 bytes");
	write_file(dpath(d, "good"), buf, 32, 0600);
	(void)snprintf(link_to, sizeof(link_to), "%s", d->path);
	assert_int_equal(symlink(link_to, dpath(d, "link")), 0);
	expect_load_refused(d->path, CUSTODY_ERR_KEY, "symbolic link");
	expect_load_refused(d->dir, CUSTODY_ERR_KEY, "not a regular file");
	expect_load_refused(dpath(d, "missing"), CUSTODY_ERR_NOTFOUND,
	    "does not exist");
	assert_int_equal(item_master_load(link_to, buf, err, sizeof(err)), 0);
}

/* ---- shredding ---- */

static int
all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
test_shred(void **state)
{
	struct dirfix *d = *state;
	const size_t len = 200 * 1024 + 3;
	char path[128], link_path[128], err[ERRLEN];
	uint8_t *pt, *back;
	size_t backlen;
	int fd;

	pt = pattern(len, 17);
	(void)snprintf(path, sizeof(path), "%s", dpath(d, "source.jpg"));
	(void)snprintf(link_path, sizeof(link_path), "%s",
	    dpath(d, "witness"));
	write_file(path, pt, len, 0644);
	/* A hard link sees the same inode after the name is gone. */
	assert_int_equal(link(path, link_path), 0);
	assert_int_equal(item_shred_file(path, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	fd = open(link_path, O_RDONLY);
	assert_true(fd >= 0);
	back = fd_slurp(fd, &backlen);
	close(fd);
	assert_int_equal(backlen, len);
	assert_true(all_zero(back, backlen));
	free(back);
	/* An empty file is simply unlinked. */
	write_file(path, pt, 0, 0600);
	assert_int_equal(item_shred_file(path, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), -1);
	free(pt);
}

static void
test_shred_refusals(void **state)
{
	struct dirfix *d = *state;
	struct stat sb;
	char target[128], err[ERRLEN];
	uint8_t buf[100], *back;
	size_t backlen;
	int fd;

	memset(buf, 'x', sizeof(buf));
	(void)snprintf(target, sizeof(target), "%s", dpath(d, "target"));
	write_file(target, buf, sizeof(buf), 0600);
	assert_int_equal(symlink(target, dpath(d, "link")), 0);
	assert_int_equal(item_shred_file(d->path, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(lstat(d->path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	fd = open(target, O_RDONLY);
	back = fd_slurp(fd, &backlen);
	close(fd);
	assert_int_equal(backlen, sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
	free(back);
	assert_int_equal(item_shred_file(dpath(d, "missing"), err,
	    sizeof(err)), CUSTODY_ERR_NOTFOUND);
	assert_int_not_equal(item_shred_file(d->dir, err, sizeof(err)), 0);
	assert_int_equal(access(d->dir, F_OK), 0);
	/* A FIFO neither hangs nor is removed. */
	assert_int_equal(mkfifo(dpath(d, "fifo"), 0600), 0);
	assert_int_not_equal(item_shred_file(d->path, err, sizeof(err)), 0);
	assert_int_equal(access(d->path, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_md5_sha1_on_request),
		cmocka_unit_test(test_format_matches_header),
		cmocka_unit_test(test_open_referee_blobs),
		cmocka_unit_test(test_seal_from_pipe),
		cmocka_unit_test(test_tamper_header),
		cmocka_unit_test(test_tamper_chunks_and_tags),
		cmocka_unit_test(test_tamper_truncate),
		cmocka_unit_test(test_tamper_append),
		cmocka_unit_test(test_tamper_reorder_and_drop),
		cmocka_unit_test(test_tamper_keys_and_hash),
		cmocka_unit_test(test_no_marker_at_rest),
		cmocka_unit_test(test_sniff_table),
		cmocka_unit_test(test_sniff_limit),
		cmocka_unit_test(test_seal_sniffs),
		cmocka_unit_test(test_seal_open_io_errors),
		cmocka_unit_test(test_seal_worker_fails),
		cmocka_unit_test_setup_teardown(test_master_create_load,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_master_refusals,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_shred, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_shred_refusals,
		    dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
