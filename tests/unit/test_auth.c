/*
 * test_auth.c -- unit tests for daemon/auth.c.
 *
 * The KDF itself is checked against RFC 7914's scrypt test vectors by
 * calling EVP_KDF directly, and every hash auth_hash writes is recomputed
 * the same way from the salt it carries, so the string format and the key
 * are pinned independently of auth.c.  Most tests run at a cheap cost
 * (N=2^10, r=8, p=1); one runs at the shipped cost (128 MiB) and prints how
 * long it took.  That the KDF's memory cap is raised is shown with costs
 * beyond OpenSSL's default cap, through an allocator hook that records
 * and refuses scrypt's one big allocation.  Malformed and tampered hash
 * strings are built from a real one, one field at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "common/error.h"
#include "daemon/auth.h"

#define PW		"violet tractor humming seven lanterns"
#define SALT_B64	24
#define KEY_B64		44

static const struct auth_cost cheap = { 10, 8, 1 };

/* One hash string cut into its fields. */
struct fields {
	char	params[32];		/* "ln=10,r=8,p=1" */
	char	salt[SALT_B64 + 1];
	char	key[KEY_B64 + 1];
};

static void
hex_decode(const char *hex, unsigned char *out, size_t len)
{
	size_t i;
	unsigned int b;

	assert_int_equal(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (unsigned char)b;
	}
}

/* scrypt through EVP_KDF, with OpenSSL's default memory cap unless maxmem. */
static int
direct_scrypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
    uint64_t n, uint32_t r, uint32_t p, uint64_t maxmem, unsigned char *out,
    size_t outlen)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[7], *q = params;
	int ok;

	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)pw, pwlen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	if (maxmem != 0)
		*q++ = OSSL_PARAM_construct_uint64(
		    OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*q = OSSL_PARAM_construct_end();
	kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	assert_non_null(kdf);
	kctx = EVP_KDF_CTX_new(kdf);
	assert_non_null(kctx);
	ok = EVP_KDF_derive(kctx, out, outlen, params);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* Cuts a hash string into its fields, checking the shape exactly. */
static void
split(const char *h, struct fields *f)
{
	const char *p, *s, *k;

	assert_memory_equal(h, "$scrypt$", 8);
	p = h + 8;
	s = strchr(p, '$');
	assert_non_null(s);
	s++;
	k = strchr(s, '$');
	assert_non_null(k);
	k++;
	assert_null(strchr(k, '$'));
	assert_true((size_t)(s - 1 - p) < sizeof(f->params));
	memcpy(f->params, p, (size_t)(s - 1 - p));
	f->params[s - 1 - p] = '\0';
	assert_int_equal(k - 1 - s, SALT_B64);
	memcpy(f->salt, s, SALT_B64);
	f->salt[SALT_B64] = '\0';
	assert_int_equal(strlen(k), KEY_B64);
	memcpy(f->key, k, KEY_B64 + 1);
}

static void
join(char *out, size_t outlen, const char *params, const char *salt,
    const char *key)
{
	int n;

	n = snprintf(out, outlen, "$scrypt$%s$%s$%s", params, salt, key);
	assert_true(n > 0 && (size_t)n < outlen);
}

static void
hash_cheap(const char *pw, char *out)
{
	assert_int_equal(auth_hash(pw, strlen(pw), &cheap, out, AUTH_HASH_MAX),
	    0);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The base64 character whose 6-bit value is c's with bits flipped. */
static char
b64_flip(char c, unsigned int bits)
{
	const char *p = strchr(b64_alphabet, c);

	assert_non_null(p);
	return b64_alphabet[(unsigned int)(p - b64_alphabet) ^ bits];
}

/*
 * OpenSSL's allocator, wrapped so a test can see the one big allocation
 * scrypt makes and refuse it rather than spend gigabytes.
 */
#define BIG_ALLOC	((size_t)512 << 20)

static size_t big_request;	/* the last refused size, or 0 */

static void *
hook_malloc(size_t n, const char *file, int line)
{
	if (n >= BIG_ALLOC) {
		big_request = n;
		return NULL;
	}
	return malloc(n);
}

static void *
hook_realloc(void *p, size_t n, const char *file, int line)
{
	if (n >= BIG_ALLOC) {
		big_request = n;
		return NULL;
	}
	return realloc(p, n);
}

static void
hook_free(void *p, const char *file, int line)
{
	free(p);
}

static double
now_seconds(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the KDF itself ------------------------------------------------ */

static void
test_kdf_rfc7914(void **state)
{
	unsigned char got[64], want[64];

	/* RFC 7914 section 12, second and first vectors. */
	hex_decode("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e7737663"
	    "4b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdf"
	    "a2cc0640", want, sizeof(want));
	assert_int_equal(direct_scrypt("password", 8, "NaCl", 4, 1024, 8, 16,
	    0, got, sizeof(got)), 1);
	assert_memory_equal(got, want, sizeof(want));

	hex_decode("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3f"
	    "ede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c"
	    "38d18906", want, sizeof(want));
	assert_int_equal(direct_scrypt("", 0, "", 0, 16, 1, 1, 0, got,
	    sizeof(got)), 1);
	assert_memory_equal(got, want, sizeof(want));
}

/* ---- hashing and verifying ----------------------------------------- */

static void
test_round_trip(void **state)
{
	char h[AUTH_HASH_MAX];
	static const char nul[] = "abc\0defghijklmnop";

	hash_cheap(PW, h);
	assert_int_equal(auth_verify(PW, strlen(PW), h), 0);
	assert_int_equal(auth_verify("violet tractor humming seven lantern",
	    strlen(PW) - 1, h), CUSTODY_ERR_VERIFY);
	assert_int_equal(auth_verify("Violet tractor humming seven lanterns",
	    strlen(PW), h), CUSTODY_ERR_VERIFY);
	assert_int_equal(auth_verify("", 0, h), CUSTODY_ERR_VERIFY);
	assert_int_equal(auth_verify(NULL, 0, h), CUSTODY_ERR_VERIFY);

	/* The length is the password's, NUL bytes included. */
	assert_int_equal(auth_hash(nul, sizeof(nul) - 1, &cheap, h, sizeof(h)),
	    0);
	assert_int_equal(auth_verify(nul, sizeof(nul) - 1, h), 0);
	assert_int_equal(auth_verify(nul, 3, h), CUSTODY_ERR_VERIFY);

	/* An empty password hashes and verifies (the policy refuses it). */
	assert_int_equal(auth_hash("", 0, &cheap, h, sizeof(h)), 0);
	assert_int_equal(auth_verify("", 0, h), 0);
	assert_int_equal(auth_verify("x", 1, h), CUSTODY_ERR_VERIFY);
}

static void
test_wrong_password(void **state)
{
	char h[AUTH_HASH_MAX];

	hash_cheap("correct horse battery staple", h);
	assert_int_equal(auth_verify("correct horse battery stapler", 29, h),
	    CUSTODY_ERR_VERIFY);
	assert_int_equal(auth_verify(PW, strlen(PW), h), CUSTODY_ERR_VERIFY);
}

static void
test_salt_differs(void **state)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];
	struct fields f1, f2;

	hash_cheap(PW, h1);
	hash_cheap(PW, h2);
	assert_string_not_equal(h1, h2);
	split(h1, &f1);
	split(h2, &f2);
	assert_string_not_equal(f1.salt, f2.salt);
	assert_string_not_equal(f1.key, f2.key);
	assert_int_equal(auth_verify(PW, strlen(PW), h1), 0);
	assert_int_equal(auth_verify(PW, strlen(PW), h2), 0);
}

/* The fields parse, and the key is scrypt(password, salt) at that cost. */
static void
test_format_matches_direct_kdf(void **state)
{
	static const struct auth_cost costs[] = {
		{ 10, 8, 1 }, { 11, 4, 2 }, { 12, 1, 3 }, { 10, 2, 16 },
	};
	char h[AUTH_HASH_MAX], want[32], key64[KEY_B64 + 1];
	unsigned char salt[18], key[32];
	struct fields f;
	size_t i;

	for (i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
		assert_int_equal(auth_hash(PW, strlen(PW), &costs[i], h,
		    sizeof(h)), 0);
		assert_true(strlen(h) < AUTH_HASH_MAX);
		split(h, &f);
		snprintf(want, sizeof(want), "ln=%u,r=%u,p=%u", costs[i].log2n,
		    costs[i].r, costs[i].p);
		assert_string_equal(f.params, want);
		/* 16 bytes: 22 characters and "=="; 32 bytes: 43 and "=". */
		assert_string_equal(f.salt + 22, "==");
		assert_int_not_equal(f.salt[21], '=');
		assert_string_equal(f.key + 43, "=");
		assert_int_not_equal(f.key[42], '=');
		assert_int_equal(EVP_DecodeBlock(salt,
		    (const unsigned char *)f.salt, SALT_B64), 18);
		assert_int_equal(direct_scrypt(PW, strlen(PW), salt, 16,
		    (uint64_t)1 << costs[i].log2n, costs[i].r, costs[i].p, 0,
		    key, sizeof(key)), 1);
		assert_int_equal(EVP_EncodeBlock((unsigned char *)key64, key,
		    sizeof(key)), KEY_B64);
		assert_string_equal(f.key, key64);
	}
}

/* A field changed into another well-formed value: a wrong password. */
static void
test_tampered_verify(void **state)
{
	char h[AUTH_HASH_MAX], t[AUTH_HASH_MAX + 8];
	char salt[SALT_B64 + 1], key[KEY_B64 + 1];
	static const char *const params[] = {
		"ln=11,r=8,p=1", "ln=10,r=9,p=1", "ln=10,r=8,p=2",
		"ln=10,r=7,p=1",
	};
	struct fields f;
	size_t i;

	hash_cheap(PW, h);
	split(h, &f);
	join(t, sizeof(t), f.params, f.salt, f.key);
	assert_int_equal(auth_verify(PW, strlen(PW), t), 0);

	/* First characters carry 6 whole bits: always canonical. */
	memcpy(salt, f.salt, sizeof(salt));
	salt[0] = b64_flip(salt[0], 1);
	join(t, sizeof(t), f.params, salt, f.key);
	assert_int_equal(auth_verify(PW, strlen(PW), t), CUSTODY_ERR_VERIFY);

	memcpy(key, f.key, sizeof(key));
	key[10] = b64_flip(key[10], 32);
	join(t, sizeof(t), f.params, f.salt, key);
	assert_int_equal(auth_verify(PW, strlen(PW), t), CUSTODY_ERR_VERIFY);

	/* The last bits that count, in the salt's and the key's last data
	 * characters. */
	memcpy(salt, f.salt, sizeof(salt));
	salt[21] = b64_flip(salt[21], 16);
	join(t, sizeof(t), f.params, salt, f.key);
	assert_int_equal(auth_verify(PW, strlen(PW), t), CUSTODY_ERR_VERIFY);
	memcpy(key, f.key, sizeof(key));
	key[42] = b64_flip(key[42], 4);
	join(t, sizeof(t), f.params, f.salt, key);
	assert_int_equal(auth_verify(PW, strlen(PW), t), CUSTODY_ERR_VERIFY);

	/* The salt and key of one hash swapped with another's. */
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		join(t, sizeof(t), params[i], f.salt, f.key);
		assert_int_equal(auth_verify(PW, strlen(PW), t),
		    CUSTODY_ERR_VERIFY);
	}
}

static void
assert_inval(const char *h)
{
	if (auth_verify(PW, strlen(PW), h) != CUSTODY_ERR_INVAL)
		fail_msg("accepted or misjudged: \"%s\"",
		    h != NULL ? h : "(null)");
}

static void
test_malformed(void **state)
{
	char h[AUTH_HASH_MAX], t[AUTH_HASH_MAX + 64];
	char salt[SALT_B64 + 8], key[KEY_B64 + 8], big[AUTH_HASH_MAX + 10];
	static const char *const bad_params[] = {
		"ln=99,r=8,p=1", "ln=9,r=8,p=1", "ln=23,r=8,p=1",
		"ln=0,r=8,p=1", "ln=10,r=0,p=1", "ln=10,r=33,p=1",
		"ln=10,r=8,p=0", "ln=10,r=8,p=17", "ln=16,r=1,p=1",
		"ln=010,r=8,p=1", "ln=+10,r=8,p=1", "ln= 10,r=8,p=1",
		"ln=-10,r=8,p=1", "ln=100,r=8,p=1", "ln=4294967306,r=8,p=1",
		"ln=10,p=1,r=8", "r=8,ln=10,p=1", "ln=10,r=8", "ln=10",
		"ln=10,r=8,p=1,x=1", "ln=10,r=8,p=1,", "LN=10,r=8,p=1",
		"ln=10;r=8;p=1", "ln=10,r=8,p=1 ", "", "ln=,r=8,p=1",
		"n=1024,r=8,p=1", "ln=0x0a,r=8,p=1", "ln=10,r=08,p=1",
		"ln=10,r=8,p=01", "ln=10,r=8,p=001",
	};
	struct fields f;
	size_t i;

	hash_cheap(PW, h);
	split(h, &f);

	assert_inval(NULL);
	assert_inval("");
	assert_inval("$scrypt$");
	assert_inval("$scrypt$ln=10,r=8,p=1$");
	assert_inval("$scrypt$ln=10,r=8,p=1$$");
	assert_inval("scrypt$ln=10,r=8,p=1$x$y");

	for (i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
		join(t, sizeof(t), bad_params[i], f.salt, f.key);
		assert_inval(t);
	}

	/* Missing fields. */
	snprintf(t, sizeof(t), "$scrypt$%s$%s", f.params, f.salt);
	assert_inval(t);
	snprintf(t, sizeof(t), "$scrypt$%s$%s$", f.params, f.salt);
	assert_inval(t);
	snprintf(t, sizeof(t), "$scrypt$%s$$%s", f.params, f.key);
	assert_inval(t);
	snprintf(t, sizeof(t), "$scrypt$%s$%s", f.params, f.key);
	assert_inval(t);
	snprintf(t, sizeof(t), "$scrypt$%s$%s", f.salt, f.key);
	assert_inval(t);

	/* Other schemes and prefixes. */
	snprintf(t, sizeof(t), "$SCRYPT$%s$%s$%s", f.params, f.salt, f.key);
	assert_inval(t);
	snprintf(t, sizeof(t), "$7$%s$%s$%s", f.params, f.salt, f.key);
	assert_inval(t);
	snprintf(t, sizeof(t), " $scrypt$%s$%s$%s", f.params, f.salt, f.key);
	assert_inval(t);

	/* Trailing junk. */
	snprintf(t, sizeof(t), "%s\n", h);
	assert_inval(t);
	snprintf(t, sizeof(t), "%s$", h);
	assert_inval(t);
	snprintf(t, sizeof(t), "%s=", h);
	assert_inval(t);
	snprintf(t, sizeof(t), "%sA", h);
	assert_inval(t);
	snprintf(t, sizeof(t), "%s$%s", h, f.key);
	assert_inval(t);

	/* Bad base64 in the salt: bad characters, padding, length, bits. */
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[3] = '!';
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[3] = '-';			/* base64url is not base64 */
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[3] = ' ';
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[22] = 'A';			/* "A=": padding missing */
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[20] = '=';			/* padding too early */
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[22] = '\0';		/* padding stripped */
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	/* Non-canonical: the last character's 4 unused bits set. */
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[21] = b64_flip(salt[21], 1);
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	memcpy(salt, f.salt, sizeof(f.salt));
	salt[21] = b64_flip(salt[21], 8);
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);
	/* A 12-byte salt: well-formed base64 of the wrong length. */
	join(t, sizeof(t), f.params, "AAAAAAAAAAAAAAAA", f.key);
	assert_inval(t);
	/* A 17-byte salt. */
	join(t, sizeof(t), f.params, "AAAAAAAAAAAAAAAAAAAAAAA=", f.key);
	assert_inval(t);
	/* A newline inside (EVP_DecodeBlock would skip some whitespace). */
	memcpy(salt, f.salt, 20);
	salt[20] = '\n';
	memcpy(salt + 21, f.salt + 20, SALT_B64 - 20 + 1);
	join(t, sizeof(t), f.params, salt, f.key);
	assert_inval(t);

	/* Bad base64 in the key. */
	memcpy(key, f.key, sizeof(f.key));
	key[43] = '\0';			/* padding stripped */
	join(t, sizeof(t), f.params, f.salt, key);
	assert_inval(t);
	/* The last character has 2 unused bits; either set is refused. */
	memcpy(key, f.key, sizeof(f.key));
	key[42] = b64_flip(key[42], 1);
	join(t, sizeof(t), f.params, f.salt, key);
	assert_inval(t);
	memcpy(key, f.key, sizeof(f.key));
	key[42] = b64_flip(key[42], 2);
	join(t, sizeof(t), f.params, f.salt, key);
	assert_inval(t);
	memcpy(key, f.key, sizeof(f.key));
	key[0] = '*';
	join(t, sizeof(t), f.params, f.salt, key);
	assert_inval(t);
	join(t, sizeof(t), f.params, f.salt,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_inval(t);		/* 36 bytes */
	join(t, sizeof(t), f.params, f.salt, f.salt);
	assert_inval(t);		/* 16 bytes */

	/* Longer than AUTH_HASH_MAX without a NUL inside it. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, h, strlen(h));
	assert_inval(big);

	/* A password pointer missing with a length. */
	assert_int_equal(auth_verify(NULL, 3, h), CUSTODY_ERR_INVAL);
}

static void
test_hash_refusals(void **state)
{
	static const struct auth_cost bad[] = {
		{ 9, 8, 1 }, { 23, 8, 1 }, { 10, 0, 1 }, { 10, 33, 1 },
		{ 10, 8, 0 }, { 10, 8, 17 }, { 16, 1, 1 }, { 0, 0, 0 },
	};
	char h[AUTH_HASH_MAX], big[AUTH_MAX_PASSWORD + 1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(h, 'x', sizeof(h));
		assert_int_equal(auth_hash(PW, strlen(PW), &bad[i], h,
		    sizeof(h)), CUSTODY_ERR_INVAL);
		assert_string_equal(h, "");
	}
	assert_int_equal(auth_hash(PW, strlen(PW), NULL, h, sizeof(h)),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(auth_hash(PW, strlen(PW), &cheap, NULL, 0),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(auth_hash(NULL, 4, &cheap, h, sizeof(h)),
	    CUSTODY_ERR_INVAL);
	memset(h, 'x', sizeof(h));
	assert_int_equal(auth_hash(PW, strlen(PW), &cheap, h,
	    AUTH_HASH_MAX - 1), CUSTODY_ERR_RANGE);
	assert_string_equal(h, "");

	memset(big, 'q', sizeof(big));
	assert_int_equal(auth_hash(big, AUTH_MAX_PASSWORD, &cheap, h,
	    sizeof(h)), 0);
	assert_int_equal(auth_verify(big, AUTH_MAX_PASSWORD, h), 0);
	/* Too long to have been hashed: cannot match. */
	assert_int_equal(auth_verify(big, sizeof(big), h), CUSTODY_ERR_VERIFY);
	assert_int_equal(auth_hash(big, sizeof(big), &cheap, h, sizeof(h)),
	    CUSTODY_ERR_TOOBIG);
	assert_string_equal(h, "");
}

/*
 * The shipped cost (128 MiB) hashes and verifies; printed, since it is the
 * delay every login pays.
 */
static void
test_shipped_cost(void **state)
{
	struct auth_cost c;
	char h[AUTH_HASH_MAX];
	double t0, t1, t2;

	auth_cost_default(&c);
	t0 = now_seconds();
	assert_int_equal(auth_hash(PW, strlen(PW), &c, h, sizeof(h)), 0);
	t1 = now_seconds();
	assert_int_equal(auth_verify(PW, strlen(PW), h), 0);
	t2 = now_seconds();
	assert_memory_equal(h, "$scrypt$ln=17,r=8,p=1$", 22);
	assert_int_equal(auth_verify("violet tractor humming seven lantern",
	    strlen(PW) - 1, h), CUSTODY_ERR_VERIFY);
	printf("    shipped cost N=2^17 r=8 p=1: hash %.3f s, verify %.3f s\n",
	    t1 - t0, t2 - t1);
}

/*
 * Costs in range that need more than OpenSSL's default cap (1025 MiB for
 * EVP_KDF): the default refuses them before allocating, while auth_hash
 * and auth_verify get as far as asking for exactly 128 r (N + 2) + 128 r p
 * bytes, which the allocator hook refuses so the test stays cheap.
 */
static void
test_maxmem_raised(void **state)
{
	static const struct auth_cost big[] = {
		{ 21, 8, 1 }, { 20, 16, 1 }, { 22, 32, 16 },
	};
	char h[AUTH_HASH_MAX], t[AUTH_HASH_MAX];
	unsigned char key[32];
	struct fields f;
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		n = (uint64_t)1 << big[i].log2n;
		big_request = 0;
		assert_int_equal(direct_scrypt(PW, strlen(PW),
		    "0123456789abcdef", 16, n, big[i].r, big[i].p, 0, key,
		    sizeof(key)), 0);
		assert_int_equal(big_request, 0);

		big_request = 0;
		assert_int_equal(auth_hash(PW, strlen(PW), &big[i], h,
		    sizeof(h)), CUSTODY_ERR_CRYPTO);
		assert_int_equal(big_request,
		    128 * (uint64_t)big[i].r * (n + 2) +
		    128 * (uint64_t)big[i].r * big[i].p);
		assert_string_equal(h, "");
	}

	/* The same through auth_verify, the cost read from the string. */
	hash_cheap(PW, h);
	split(h, &f);
	join(t, sizeof(t), "ln=21,r=8,p=1", f.salt, f.key);
	big_request = 0;
	assert_int_equal(auth_verify(PW, strlen(PW), t), CUSTODY_ERR_CRYPTO);
	assert_int_equal(big_request, 128 * 8 * (((uint64_t)1 << 21) + 2) +
	    128 * 8);
}

static void
test_cost_default_weak(void **state)
{
	struct auth_cost c;
	static const struct auth_cost weak[] = {
		{ 16, 8, 1 }, { 17, 4, 1 }, { 10, 8, 1 }, { 16, 8, 2 },
		{ 15, 1, 16 }, { 23, 8, 1 }, { 17, 8, 0 }, { 17, 0, 1 },
	};
	static const struct auth_cost strong[] = {
		{ 17, 8, 1 }, { 18, 8, 1 }, { 17, 16, 1 }, { 17, 8, 2 },
		{ 18, 4, 1 }, { 22, 32, 16 },
	};
	size_t i;

	memset(&c, 0xa5, sizeof(c));
	auth_cost_default(&c);
	assert_int_equal(c.log2n, 17);
	assert_int_equal(c.r, 8);
	assert_int_equal(c.p, 1);
	auth_cost_default(NULL);
	assert_int_equal(auth_cost_weak(&c), 0);
	assert_int_equal(auth_cost_weak(NULL), 1);
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		if (auth_cost_weak(&weak[i]) != 1)
			fail_msg("not weak: ln=%u r=%u p=%u", weak[i].log2n,
			    weak[i].r, weak[i].p);
	for (i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		if (auth_cost_weak(&strong[i]) != 0)
			fail_msg("weak: ln=%u r=%u p=%u", strong[i].log2n,
			    strong[i].r, strong[i].p);
}

/* ---- the policy ---------------------------------------------------- */

/*
 * Expects a refusal of password whose reason contains want, and never
 * the password itself (in any case).
 */
static void
refused_len(const char *user, const char *pw, size_t len, const char *want)
{
	char why[128];

	memset(why, 'x', sizeof(why));
	if (auth_policy_check(user, pw, len, why, sizeof(why)) != -1)
		fail_msg("accepted: \"%s\"", pw);
	assert_non_null(memchr(why, '\0', sizeof(why)));
	if (strstr(why, want) == NULL)
		fail_msg("\"%s\": reason \"%s\", wanted \"%s\"", pw, why, want);
	if (len > 0 && strcasestr(why, pw) != NULL)
		fail_msg("reason echoes the password: \"%s\"", why);
	assert_null(strchr(why, '\n'));
	/* why is optional. */
	assert_int_equal(auth_policy_check(user, pw, len, NULL, 0), -1);
}

static void
refused(const char *user, const char *pw, const char *want)
{
	refused_len(user, pw, strlen(pw), want);
}

static void
accepted(const char *user, const char *pw)
{
	char why[128];

	memset(why, 'x', sizeof(why));
	if (auth_policy_check(user, pw, strlen(pw), why, sizeof(why)) != 0)
		fail_msg("refused \"%s\": %s", pw, why);
	assert_string_equal(why, "");
}

static void
test_policy_length(void **state)
{
	char big[AUTH_MAX_PASSWORD + 2];
	size_t i;

	refused("jsmith", "", "too short: use at least 12 characters");
	refused_len("jsmith", NULL, 0, "too short");
	refused("jsmith", "Kv7#qp", "too short");
	refused("jsmith", "Kv7#qpWz!m4", "too short");
	accepted("jsmith", "Kv7#qpWz!m4T");
	/* Characters, not bytes: 11 two-byte letters are 22 bytes. */
	refused("jsmith", "éàüöçñßøåæœ", "too short");
	accepted("jsmith", "éàüöçñßøåæœŷ");

	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + (i * 7 + i / 26) % 26);
	big[sizeof(big) - 1] = '\0';
	refused_len("jsmith", big, AUTH_MAX_PASSWORD + 1,
	    "too long: use at most 1024");
	big[AUTH_MAX_PASSWORD] = '\0';
	accepted("jsmith", big);
}

static void
test_policy_user(void **state)
{
	refused("jsmith", "my jsmith passphrase", "contains the user name");
	refused("jsmith", "MyJSmithPassphrase!", "contains the user name");
	refused("JSmith", "lanternjsmithorbit", "contains the user name");
	refused("jsmith", "orbit lantern JSMITH", "contains the user name");
	accepted("jsmith", "orbit lantern j smith");
	/* No user, or one too short to mean anything, is not searched. */
	accepted(NULL, "orbit lantern jsmith");
	accepted("", "orbit lantern jsmith");
	accepted("al", "orbit lantern walrus");
}

static void
test_policy_common(void **state)
{
	static const char *const common[] = {
		"qwertyuiop12", "QwErTyUiOp12", "password1234",
		"Password1234!", "PASSWORD12345678", "password!!!!!!!!",
		"welcome123456", "Welcome123!!", "school123456",
		"School123456", "summer2026!!", "Summer2026!!", "changeme1234",
		"letmein12345", "iloveyou1234", "Football1234",
		"correct horse battery staple", "Correct Horse Battery Staple",
		"123456789012", "2026password!", "!!Teacher2026",
		"Dragon 2024!!", "P@ssw0rd2026", "monkey_1234567",
	};
	size_t i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		refused("jsmith", common[i], "too common");
	/* A list word inside a longer passphrase is fine. */
	accepted("jsmith", "password orbit lantern");
	accepted("jsmith", "dragon-lantern-orbit");
}

static void
test_policy_repeated(void **state)
{
	refused("jsmith", "aaaaaaaaaaaa", "one character repeated");
	refused("jsmith", "aAaAaAaAaAaAaAaA", "one character repeated");
	refused("jsmith", "!!!!!!!!!!!!!!!!!!!!", "one character repeated");
	refused("jsmith", "éééééééééééé", "one character repeated");
	refused("jsmith", "😀😀😀😀😀😀😀😀😀😀😀😀", "one character repeated");
	accepted("jsmith", "aaaaaaaaaaab lantern");
	accepted("jsmith", "éééééééééééè");
}

static void
test_policy_good(void **state)
{
	char why[4];

	accepted("jsmith", PW);
	accepted("jsmith", "Orbit-Lantern-Walrus-42");
	accepted("mrs.okafor", "kettle harbour violin 1987");
	/* A small reason buffer truncates, terminated. */
	assert_int_equal(auth_policy_check("jsmith", "short", 5, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "pas");
	assert_int_equal(auth_policy_check("jsmith", "short", 5, why, 0), -1);
}

/* ---- lockout -------------------------------------------------------- */

static void
test_lockout(void **state)
{
	const int64_t t0 = 1700000000;
	int64_t until = 0, now = t0;
	unsigned int failures;

	assert_int_equal(AUTH_LOCK_FAILURES, 5);
	assert_int_equal(AUTH_LOCK_SECONDS, 900);
	for (failures = 1; failures < AUTH_LOCK_FAILURES; failures++) {
		until = auth_after_failure(failures, until, now);
		assert_int_equal(until, 0);
		assert_int_equal(auth_locked(until, now), 0);
		now += 10;
	}
	until = auth_after_failure(failures, until, now);
	assert_int_equal(until, now + 15 * 60);
	assert_int_equal(auth_locked(until, now), 1);
	assert_int_equal(auth_locked(until, now + 899), 1);
	assert_int_equal(auth_locked(until, until - 1), 1);
	assert_int_equal(auth_locked(until, until), 0);
	assert_int_equal(auth_locked(until, until + 3600), 0);

	/* A sixth failure after the lock ran out locks again at once. */
	now = until + 5;
	until = auth_after_failure(failures + 1, until, now);
	assert_int_equal(until, now + 900);
	/* A lock never moves earlier (a clock stepped back). */
	assert_int_equal(auth_after_failure(7, until, now - 3600), until);
	/* Saturates instead of overflowing. */
	assert_int_equal(auth_after_failure(5, 0, INT64_MAX - 10), INT64_MAX);
	assert_int_equal(auth_locked(0, t0), 0);
	assert_int_equal(auth_after_failure(0, 0, t0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdf_rfc7914),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_salt_differs),
		cmocka_unit_test(test_format_matches_direct_kdf),
		cmocka_unit_test(test_tampered_verify),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hash_refusals),
		cmocka_unit_test(test_shipped_cost),
		cmocka_unit_test(test_maxmem_raised),
		cmocka_unit_test(test_cost_default_weak),
		cmocka_unit_test(test_policy_length),
		cmocka_unit_test(test_policy_user),
		cmocka_unit_test(test_policy_common),
		cmocka_unit_test(test_policy_repeated),
		cmocka_unit_test(test_policy_good),
		cmocka_unit_test(test_lockout),
	};

	/* Before OpenSSL's first allocation, or it refuses. */
	if (CRYPTO_set_mem_functions(hook_malloc, hook_realloc,
	    hook_free) != 1) {
		fprintf(stderr, "test_auth: CRYPTO_set_mem_functions failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
