/*
 * test_digest_pipe.c -- unit tests for hashing/digest_pipe.c.
 *
 * The referee is a digest_set fed the same bytes on the test's thread.
 * The pipe is driven as intake drives it (fill the next buffer, push it,
 * keep reading the one before) with odd lengths, empty pushes, and a
 * ring smaller than the input; then through every refusal, a caller that
 * gives up with work pending, and a worker whose digest fails.
 *
 * The failure is real OpenSSL failing, as far as the pipe can tell: this
 * test links with -Wl,--wrap=EVP_DigestUpdate (Makefile), and the wrapper
 * fails the worker thread's calls while fail_worker is set.  The flag is
 * written before the worker starts and read only by it afterwards, so
 * pthread_create orders the two.
 *
 * Run it under -fsanitize=thread too (make SANITIZE=thread B=build/tsan
 * build/tsan/tests/unit/test_digest_pipe): the ring's hand-overs are what
 * ThreadSanitizer is there to check.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "hashing/digest.h"
#include "hashing/digest_pipe.h"

#define ALL	(DIGEST_SHA256 | DIGEST_SHA512 | DIGEST_MD5 | DIGEST_SHA1)
#define SLOT	4096u

int	__real_EVP_DigestUpdate(EVP_MD_CTX *, const void *, size_t);
int	__wrap_EVP_DigestUpdate(EVP_MD_CTX *, const void *, size_t);

static pthread_t test_thread;
static int fail_worker;

int
__wrap_EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n)
{
	if (fail_worker && !pthread_equal(pthread_self(), test_thread))
		return 0;
	return __real_EVP_DigestUpdate(ctx, d, n);
}

static int
setup(void **state)
{
	test_thread = pthread_self();
	fail_worker = 0;
	return 0;
}

/* Byte i of the test stream. */
static uint8_t
stream_byte(size_t i)
{
	return (uint8_t)(i * 7u + (i >> 8) * 13u);
}

/*
 * Pushes len bytes of the stream through p in pieces of the lengths in
 * steps (cycled, each at most SLOT; 0 is an empty push), into the
 * referee too.  After each push it checks that the buffer before is
 * still intact while the next is being filled, as intake relies on.
 */
static void
feed(struct digest_pipe *p, struct digest_set *ref, size_t len,
    const size_t *steps, size_t nsteps)
{
	uint8_t *buf, *prev = NULL;
	size_t off = 0, n, k = 0, prevlen = 0, prevoff = 0, i;

	while (off < len) {
		n = steps[k++ % nsteps];
		if (n > len - off)
			n = len - off;
		assert_int_equal(digest_pipe_slot(p, &buf), 0);
		assert_true(buf != prev);
		for (i = 0; i < n; i++)
			buf[i] = stream_byte(off + i);
		for (i = 0; prev != NULL && i < prevlen; i++)
			assert_int_equal(prev[i], stream_byte(prevoff + i));
		assert_int_equal(digest_pipe_push(p, n), 0);
		assert_int_equal(digest_set_update(ref, buf, n), 0);
		prev = buf;
		prevlen = n;
		prevoff = off;
		off += n;
	}
}

static void
check_stream(unsigned int algs, size_t nslots, size_t len,
    const size_t *steps, size_t nsteps)
{
	struct digest_pipe *p = NULL;
	struct digest_set *ref = NULL;
	struct digest_result got, want;

	assert_int_equal(digest_pipe_new(&p, algs, nslots, SLOT), 0);
	assert_non_null(p);
	assert_int_equal(digest_set_new(&ref, algs), 0);
	feed(p, ref, len, steps, nsteps);
	assert_int_equal(digest_pipe_final(p, &got), 0);
	assert_int_equal(digest_set_final(ref, &want), 0);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_true(got.size == len);
	digest_pipe_free(p);
	digest_set_free(ref);
}

/* Many times the ring, odd lengths, empty pushes, full buffers. */
static void
test_matches_referee(void **state)
{
	static const size_t steps[] = { 1, SLOT, 0, 63, 4095, SLOT, 127, 0,
	    1000, SLOT };
	static const size_t full[] = { SLOT };

	check_stream(ALL, 2, 300000, steps, 10);
	check_stream(DIGEST_SHA512, 4, 300000, steps, 10);
	check_stream(DIGEST_SHA512 | DIGEST_MD5, DIGEST_PIPE_MAXSLOTS,
	    100 * SLOT, full, 1);
	/* Nothing pushed at all, and a single byte. */
	check_stream(ALL, 3, 0, steps, 10);
	check_stream(ALL, 3, 1, steps, 10);
}

static void
test_new_refusals(void **state)
{
	struct digest_pipe *p = (struct digest_pipe *)&p;

	assert_int_equal(digest_pipe_new(&p, 0, 1, SLOT), CUSTODY_ERR_INVAL);
	assert_null(p);
	assert_int_equal(digest_pipe_new(&p, 0, DIGEST_PIPE_MAXSLOTS + 1,
	    SLOT), CUSTODY_ERR_INVAL);
	assert_int_equal(digest_pipe_new(&p, 0, 2, 0), CUSTODY_ERR_INVAL);
	assert_int_equal(digest_pipe_new(&p, 0, 4, SIZE_MAX / 2),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(digest_pipe_new(&p, 0x80, 2, SLOT),
	    CUSTODY_ERR_INVAL);
	assert_null(p);
	digest_pipe_free(NULL);
}

/* Misuse is refused, never a hang or a stray write. */
static void
test_push_refusals(void **state)
{
	struct digest_pipe *p = NULL;
	struct digest_result res;
	uint8_t *buf;

	assert_int_equal(digest_pipe_new(&p, 0, 2, SLOT), 0);
	assert_int_equal(digest_pipe_slot(p, &buf), 0);
	assert_int_equal(digest_pipe_push(p, SLOT + 1), CUSTODY_ERR_INVAL);
	memcpy(buf, "abc", 3);
	assert_int_equal(digest_pipe_push(p, 3), 0);
	assert_int_equal(digest_pipe_final(p, &res), 0);
	assert_true(res.size == 3);
	assert_int_equal(res.algs, DIGEST_SHA256 | DIGEST_SHA512);
	/* After final: no buffer, no push, no second final. */
	assert_int_equal(digest_pipe_slot(p, &buf), CUSTODY_ERR_INVAL);
	assert_null(buf);
	assert_int_equal(digest_pipe_push(p, 0), CUSTODY_ERR_INVAL);
	memset(&res, 0xa5, sizeof(res));
	assert_int_equal(digest_pipe_final(p, &res), CUSTODY_ERR_INVAL);
	assert_int_equal(res.size, 0);
	digest_pipe_free(p);
}

/* A caller that gives up mid-stream: free stops and joins the worker. */
static void
test_free_while_busy(void **state)
{
	struct digest_pipe *p = NULL;
	uint8_t *buf;
	int i;

	assert_int_equal(digest_pipe_new(&p, ALL, 4, SLOT), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(digest_pipe_slot(p, &buf), 0);
		memset(buf, i, SLOT);
		assert_int_equal(digest_pipe_push(p, SLOT), 0);
	}
	digest_pipe_free(p);
	/* And one freed before anything was pushed. */
	assert_int_equal(digest_pipe_new(&p, 0, 2, SLOT), 0);
	digest_pipe_free(p);
}

/*
 * The worker's digest fails: the caller's next slot, push or final
 * reports CUSTODY_ERR_CRYPTO, however far behind the worker was, and
 * free still joins it.
 */
static void
test_worker_fails(void **state)
{
	struct digest_pipe *p = NULL;
	struct digest_result res;
	uint8_t *buf;
	int i, r = 0;

	fail_worker = 1;
	assert_int_equal(digest_pipe_new(&p, 0, 2, SLOT), 0);
	for (i = 0; i < 100 && r == 0; i++) {
		if ((r = digest_pipe_slot(p, &buf)) != 0)
			break;
		memset(buf, i, SLOT);
		r = digest_pipe_push(p, SLOT);
	}
	assert_int_equal(r, CUSTODY_ERR_CRYPTO);
	assert_int_equal(digest_pipe_slot(p, &buf), CUSTODY_ERR_CRYPTO);
	assert_null(buf);
	assert_int_equal(digest_pipe_final(p, &res), CUSTODY_ERR_CRYPTO);
	digest_pipe_free(p);
	/* Failing before the first push: final reports it. */
	assert_int_equal(digest_pipe_new(&p, 0, 2, SLOT), 0);
	assert_int_equal(digest_pipe_slot(p, &buf), 0);
	assert_int_equal(digest_pipe_push(p, 1), 0);
	memset(&res, 0xa5, sizeof(res));
	assert_int_equal(digest_pipe_final(p, &res), CUSTODY_ERR_CRYPTO);
	assert_int_equal(res.size, 0);
	digest_pipe_free(p);
	fail_worker = 0;
}

/* Merging two halves of one stream, and the refusals. */
static void
test_result_merge(void **state)
{
	struct digest_set *a = NULL, *b = NULL, *all = NULL;
	struct digest_result ra, rb, rall, keep;

	assert_int_equal(digest_set_new(&a, DIGEST_SHA256 | DIGEST_SHA1), 0);
	assert_int_equal(digest_set_new(&b, DIGEST_SHA512 | DIGEST_MD5), 0);
	assert_int_equal(digest_set_new(&all, ALL), 0);
	assert_int_equal(digest_set_update(a, "abc", 3), 0);
	assert_int_equal(digest_set_update(b, "abc", 3), 0);
	assert_int_equal(digest_set_update(all, "abc", 3), 0);
	assert_int_equal(digest_set_final(a, &ra), 0);
	assert_int_equal(digest_set_final(b, &rb), 0);
	assert_int_equal(digest_set_final(all, &rall), 0);
	/* An algorithm in both halves. */
	keep = ra;
	assert_int_equal(digest_result_merge(&ra, &ra), CUSTODY_ERR_INVAL);
	assert_memory_equal(&ra, &keep, sizeof(ra));
	/* Halves of different lengths. */
	rb.size++;
	assert_int_equal(digest_result_merge(&ra, &rb), CUSTODY_ERR_INVAL);
	assert_memory_equal(&ra, &keep, sizeof(ra));
	rb.size--;
	assert_int_equal(digest_result_merge(&ra, &rb), 0);
	assert_memory_equal(&ra, &rall, sizeof(ra));
	digest_set_free(a);
	digest_set_free(b);
	digest_set_free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_matches_referee, setup),
		cmocka_unit_test_setup(test_new_refusals, setup),
		cmocka_unit_test_setup(test_push_refusals, setup),
		cmocka_unit_test_setup(test_free_while_busy, setup),
		cmocka_unit_test_setup(test_worker_fails, setup),
		cmocka_unit_test_setup(test_result_merge, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
