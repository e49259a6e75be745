/*
 * test_digest.c -- unit tests for hashing/digest.c.
 *
 * Known answers are the FIPS 180 / RFC 1321 / RFC 3174 vectors ("", "abc",
 * one million 'a'), checked against sha256sum, sha512sum, md5sum and
 * sha1sum.  digest_fd is compared with an independent one-shot EVP_Digest
 * over a file larger than its read buffer, and is driven through a pipe
 * with a timer interrupting its reads (EINTR) and a writer that makes
 * every read short.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "hashing/digest.h"

#define ALL	(DIGEST_SHA256 | DIGEST_SHA512 | DIGEST_MD5 | DIGEST_SHA1)
#define MILLION	1000000u

struct kat {
	const char	*sha256;
	const char	*sha512;
	const char	*md5;
	const char	*sha1;
};

static const struct kat kat_empty = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	"d41d8cd98f00b204e9800998ecf8427e",
	"da39a3ee5e6b4b0d3255bfef95601890afd80709",
};

static const struct kat kat_abc = {
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	"900150983cd24fb0d6963f7d28e17f72",
	"a9993e364706816aba3e25717850c26c9cd0d89d",
};

static const struct kat kat_million_a = {
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	"e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
	"de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
	"7707d6ae4e027c70eea2a935c2296f21",
	"34aa973cd4c4daa4f61eeb2bdbad27316534016f",
};

/* Odd chunk sizes, so block boundaries fall everywhere. */
static const size_t odd_chunks[] = { 1, 3, 7, 63, 64, 65, 127, 1000, 4093 };
#define NODD	(sizeof(odd_chunks) / sizeof(odd_chunks[0]))

static void
assert_hex(const uint8_t *buf, size_t len, const char *want)
{
	char hex[2 * 64 + 1];

	assert_true(len <= 64);
	digest_hex(buf, len, hex);
	assert_string_equal(hex, want);
}

static void
assert_kat(const struct digest_result *res, const struct kat *k)
{
	assert_int_equal(res->algs, ALL);
	assert_hex(res->sha256, sizeof(res->sha256), k->sha256);
	assert_hex(res->sha512, sizeof(res->sha512), k->sha512);
	assert_hex(res->md5, sizeof(res->md5), k->md5);
	assert_hex(res->sha1, sizeof(res->sha1), k->sha1);
}

static int
is_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Feeds one million 'a' in odd chunk sizes (cycling) into ds. */
static void
feed_million_a(struct digest_set *ds)
{
	uint8_t chunk[4096];
	size_t fed = 0, n, i = 0;

	memset(chunk, 'a', sizeof(chunk));
	while (fed < MILLION) {
		n = odd_chunks[i++ % NODD];
		if (n > MILLION - fed)
			n = MILLION - fed;
		assert_true(n <= sizeof(chunk));
		assert_int_equal(digest_set_update(ds, chunk, n), 0);
		fed += n;
	}
}

static void
test_kat_empty(void **state)
{
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(digest_set_new(&ds, ALL), 0);
	assert_non_null(ds);
	assert_int_equal(digest_set_final(ds, &res), 0);
	assert_kat(&res, &kat_empty);
	assert_true(res.size == 0);
	digest_set_free(ds);
}

static void
test_kat_abc(void **state)
{
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(digest_set_new(&ds, ALL), 0);
	/* Also an empty update, which must change nothing. */
	assert_int_equal(digest_set_update(ds, "", 0), 0);
	assert_int_equal(digest_set_update(ds, "a", 1), 0);
	assert_int_equal(digest_set_update(ds, "bc", 2), 0);
	assert_int_equal(digest_set_final(ds, &res), 0);
	assert_kat(&res, &kat_abc);
	assert_true(res.size == 3);
	digest_set_free(ds);
}

static void
test_kat_million_a(void **state)
{
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(digest_set_new(&ds, ALL), 0);
	feed_million_a(ds);
	assert_int_equal(digest_set_final(ds, &res), 0);
	assert_kat(&res, &kat_million_a);
	assert_true(res.size == MILLION);
	digest_set_free(ds);
}

/* Another FIPS 180-2 vector: two SHA-256 blocks after padding. */
static void
test_kat_two_blocks(void **state)
{
	static const char msg[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(digest_set_new(&ds, DIGEST_SHA256), 0);
	assert_int_equal(digest_set_update(ds, msg, sizeof(msg) - 1), 0);
	assert_int_equal(digest_set_final(ds, &res), 0);
	assert_hex(res.sha256, 32, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	digest_set_free(ds);
}

/* Each single algorithm, and a pair, fill exactly their own fields. */
static void
test_algs_mask(void **state)
{
	static const unsigned int masks[] = {
		DIGEST_SHA256, DIGEST_SHA512, DIGEST_MD5, DIGEST_SHA1,
		DIGEST_SHA256 | DIGEST_MD5, ALL,
	};
	struct digest_set *ds;
	struct digest_result res;
	unsigned int m;
	size_t i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		m = masks[i];
		ds = NULL;
		assert_int_equal(digest_set_new(&ds, m), 0);
		assert_int_equal(digest_set_update(ds, "abc", 3), 0);
		assert_int_equal(digest_set_final(ds, &res), 0);
		assert_int_equal(res.algs, m);
		if (m & DIGEST_SHA256)
			assert_hex(res.sha256, 32, kat_abc.sha256);
		else
			assert_true(is_zero(res.sha256, sizeof(res.sha256)));
		if (m & DIGEST_SHA512)
			assert_hex(res.sha512, 64, kat_abc.sha512);
		else
			assert_true(is_zero(res.sha512, sizeof(res.sha512)));
		if (m & DIGEST_MD5)
			assert_hex(res.md5, 16, kat_abc.md5);
		else
			assert_true(is_zero(res.md5, sizeof(res.md5)));
		if (m & DIGEST_SHA1)
			assert_hex(res.sha1, 20, kat_abc.sha1);
		else
			assert_true(is_zero(res.sha1, sizeof(res.sha1)));
		digest_set_free(ds);
	}
}

static void
test_algs_default(void **state)
{
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(digest_set_new(&ds, 0), 0);
	assert_int_equal(digest_set_update(ds, "abc", 3), 0);
	assert_int_equal(digest_set_final(ds, &res), 0);
	assert_int_equal(res.algs, DIGEST_SHA256 | DIGEST_SHA512);
	assert_hex(res.sha256, 32, kat_abc.sha256);
	assert_hex(res.sha512, 64, kat_abc.sha512);
	assert_true(is_zero(res.md5, sizeof(res.md5)));
	assert_true(is_zero(res.sha1, sizeof(res.sha1)));
	digest_set_free(ds);
}

static void
test_algs_unknown_bit(void **state)
{
	struct digest_set *ds = (struct digest_set *)&ds;	/* not NULL */

	assert_int_equal(digest_set_new(&ds, 0x10), CUSTODY_ERR_INVAL);
	assert_null(ds);
	ds = (struct digest_set *)&ds;
	assert_int_equal(digest_set_new(&ds, DIGEST_SHA256 | 0x80000000u),
	    CUSTODY_ERR_INVAL);
	assert_null(ds);
}

/*
 * An algorithm the providers will not give (here: every algorithm, once
 * default properties ask for a FIPS provider that is not loaded) is
 * CUSTODY_ERR_CRYPTO, with nothing leaked and *out left NULL.
 */
static void
test_fetch_refused(void **state)
{
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(EVP_set_default_properties(NULL, "fips=yes"), 1);
	assert_int_equal(digest_set_new(&ds, DIGEST_SHA256 | DIGEST_MD5),
	    CUSTODY_ERR_CRYPTO);
	assert_null(ds);
	memset(&res, 0xa5, sizeof(res));
	assert_int_equal(digest_fd(0, DIGEST_MD5, &res), CUSTODY_ERR_CRYPTO);
	assert_true(is_zero((const uint8_t *)&res, sizeof(res)));
	assert_int_equal(EVP_set_default_properties(NULL, ""), 1);
	assert_int_equal(digest_set_new(&ds, DIGEST_MD5), 0);
	digest_set_free(ds);
}

/* Teardown: a failed assertion above must not leave "fips=yes" behind. */
static int
restore_properties(void **state)
{
	return EVP_set_default_properties(NULL, "") == 1 ? 0 : -1;
}

/* A finished set refuses more input and a second final. */
static void
test_set_finished(void **state)
{
	struct digest_set *ds = NULL;
	struct digest_result res;

	assert_int_equal(digest_set_new(&ds, ALL), 0);
	assert_int_equal(digest_set_update(ds, "abc", 3), 0);
	assert_int_equal(digest_set_final(ds, &res), 0);
	assert_int_equal(digest_set_update(ds, "d", 1), CUSTODY_ERR_INVAL);
	memset(&res, 0xa5, sizeof(res));
	assert_int_equal(digest_set_final(ds, &res), CUSTODY_ERR_INVAL);
	/* Cleared, not left holding a stale or partial result. */
	assert_true(is_zero((const uint8_t *)&res, sizeof(res)));
	digest_set_free(ds);
	digest_set_free(NULL);
}

/* Writes len bytes of buf to a new unlinked temporary file; returns fd. */
static int
temp_file_with(const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/custody-test-digest-XXXXXX";
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	while (off < len) {
		n = write(fd, buf + off, len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static void
oneshot(const EVP_MD *md, const uint8_t *buf, size_t len, uint8_t *out,
    unsigned int want)
{
	unsigned int olen = 0;

	assert_int_equal(EVP_Digest(buf, len, out, &olen, md, NULL), 1);
	assert_int_equal(olen, want);
}

/*
 * digest_fd over a file of 3 MiB + 12345 bytes (several reads and a
 * partial last one) agrees with one-shot EVP digests of the same bytes
 * and with digest_set_update over the whole buffer.
 */
static void
test_fd_equals_oneshot(void **state)
{
	const size_t len = 3u * 1024u * 1024u + 12345u;
	struct digest_result res, res2;
	struct digest_set *ds = NULL;
	uint8_t *buf, want[64];
	uint32_t x = 2463534242u;
	size_t i;
	int fd;

	buf = malloc(len);
	assert_non_null(buf);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	fd = temp_file_with(buf, len);
	assert_int_equal(digest_fd(fd, ALL, &res), 0);
	assert_true(res.size == len);
	assert_int_equal(res.algs, ALL);

	oneshot(EVP_sha256(), buf, len, want, 32);
	assert_memory_equal(res.sha256, want, 32);
	oneshot(EVP_sha512(), buf, len, want, 64);
	assert_memory_equal(res.sha512, want, 64);
	oneshot(EVP_md5(), buf, len, want, 16);
	assert_memory_equal(res.md5, want, 16);
	oneshot(EVP_sha1(), buf, len, want, 20);
	assert_memory_equal(res.sha1, want, 20);

	assert_int_equal(digest_set_new(&ds, ALL), 0);
	assert_int_equal(digest_set_update(ds, buf, len), 0);
	assert_int_equal(digest_set_final(ds, &res2), 0);
	assert_memory_equal(&res, &res2, sizeof(res));
	digest_set_free(ds);

	/* From the current offset, not from the start. */
	assert_true(lseek(fd, 1, SEEK_SET) == 1);
	assert_int_equal(digest_fd(fd, DIGEST_SHA256, &res), 0);
	assert_true(res.size == len - 1);
	oneshot(EVP_sha256(), buf + 1, len - 1, want, 32);
	assert_memory_equal(res.sha256, want, 32);

	close(fd);
	free(buf);
}

static void
test_fd_empty_file(void **state)
{
	struct digest_result res;
	int fd;

	fd = temp_file_with((const uint8_t *)"", 0);
	assert_int_equal(digest_fd(fd, ALL, &res), 0);
	assert_kat(&res, &kat_empty);
	close(fd);
}

static void
test_fd_bad(void **state)
{
	struct digest_result res;
	int fds[2];

	memset(&res, 0xa5, sizeof(res));
	assert_int_equal(digest_fd(-1, ALL, &res), CUSTODY_ERR_IO);
	assert_true(is_zero((const uint8_t *)&res, sizeof(res)));
	/* A write-only descriptor cannot be read. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(digest_fd(fds[1], ALL, &res), CUSTODY_ERR_IO);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(digest_fd(0, 0x40, &res), CUSTODY_ERR_INVAL);
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Child: writes one million 'a' in small chunks with pauses, then exits. */
static void
slow_writer(int fd)
{
	uint8_t chunk[4093];
	size_t fed = 0, n, i = 0;
	ssize_t w;

	memset(chunk, 'a', sizeof(chunk));
	while (fed < MILLION) {
		n = odd_chunks[i++ % NODD];
		n *= 7;
		if (n > sizeof(chunk))
			n = sizeof(chunk);
		if (n > MILLION - fed)
			n = MILLION - fed;
		w = write(fd, chunk, n);
		if (w <= 0)
			_exit(1);
		fed += (size_t)w;
		if (i % 64 == 0)
			usleep(2000);
	}
	_exit(0);
}

/*
 * Through a pipe, with a writer that pauses (so reads block and return
 * short) and a 1 ms interval timer whose handler has no SA_RESTART (so
 * blocked reads fail with EINTR): the digest is still that of the
 * million 'a'.
 */
static void
test_fd_pipe_eintr_short_reads(void **state)
{
	struct itimerval it, off;
	struct sigaction sa, old;
	struct digest_result res;
	int fds[2], status, r;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		slow_writer(fds[1]);
	}
	close(fds[1]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = 0;			/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 1000;
	it.it_value.tv_usec = 1000;
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);

	r = digest_fd(fds[0], ALL, &res);

	memset(&off, 0, sizeof(off));
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	close(fds[0]);
	assert_true(waitpid(pid, &status, 0) == pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_int_equal(r, 0);
	assert_kat(&res, &kat_million_a);
	assert_true(res.size == MILLION);
	/* The timer did fire while digest_fd was reading. */
	assert_true(alarms > 0);
}

static void
test_hex(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(in) + 2];

	memset(out, '#', sizeof(out));
	digest_hex(in, sizeof(in), out);
	assert_string_equal(out, "00017f80abff");
	/* Exactly 2 * len + 1 bytes written. */
	assert_int_equal(out[2 * sizeof(in) + 1], '#');

	memset(out, '#', sizeof(out));
	digest_hex(in, 0, out);
	assert_string_equal(out, "");
	assert_int_equal(out[1], '#');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_empty),
		cmocka_unit_test(test_kat_abc),
		cmocka_unit_test(test_kat_million_a),
		cmocka_unit_test(test_kat_two_blocks),
		cmocka_unit_test(test_algs_mask),
		cmocka_unit_test(test_algs_default),
		cmocka_unit_test(test_algs_unknown_bit),
		cmocka_unit_test_teardown(test_fetch_refused,
		    restore_properties),
		cmocka_unit_test(test_set_finished),
		cmocka_unit_test(test_fd_equals_oneshot),
		cmocka_unit_test(test_fd_empty_file),
		cmocka_unit_test(test_fd_bad),
		cmocka_unit_test(test_fd_pipe_eintr_short_reads),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
