/*
 * auth.c -- password hashes (scrypt through OpenSSL 3.0's EVP_KDF
 * "SCRYPT"), the password policy, and the lockout rule.
 *
 * Hash string, exactly as auth_hash writes it:
 *
 *	$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>
 *
 * salt is 16 random bytes and key 32 derived bytes, both in standard
 * base64 with padding and no newlines (24 and 44 characters).  auth_verify
 * accepts only that form: the three parameters in that order, decimal
 * without sign or leading zero, in range (ln 10..22, r 1..32, p 1..16, and
 * N < 2^(16 r) as scrypt requires); base64 fields of exactly the right
 * length whose decoding re-encodes to the same text (so no stray bits in
 * the last character and no whitespace); nothing after the key.  Anything
 * else is CUSTODY_ERR_INVAL: a malformed stored hash is a bug or tampering,
 * never a wrong password.
 *
 * Memory: scrypt needs 128 r (N + 2) + 128 r p bytes, in one allocation.
 * OpenSSL caps it (1025 MiB by default for EVP_KDF in 3.0; 32 MiB for the
 * older EVP_PBE_scrypt), and costs in range need up to 16 GiB (ln=22,
 * r=32), so every derivation sets the cap to its own need plus
 * AUTH_MAXMEM_SLACK rather than rely on a default.  The ranges bound what a
 * stored hash can make auth_verify ask for; an allocation that fails is
 * CUSTODY_ERR_CRYPTO.
 *
 * Secrets: the password is handed to OpenSSL by pointer and never copied
 * here (OpenSSL cleanses its own copy when the context is freed); derived
 * and decoded keys live in stack buffers cleansed before every return.
 * OpenSSL's error queue is cleared after each failure we turn into a
 * custody_err.
 *
 * The common-password list is generated at build time from
 * daemon/common-passwords.txt by daemon/auth.mk.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "daemon/auth.h"

#define AUTH_SALT_LEN		16
#define AUTH_KEY_LEN		32
#define AUTH_SALT_B64		24	/* 4 * ceil(16 / 3) */
#define AUTH_KEY_B64		44	/* 4 * ceil(32 / 3) */
#define AUTH_PREFIX		"$scrypt$"
#define AUTH_LOG2N_MIN		10
#define AUTH_LOG2N_MAX		22
#define AUTH_R_MAX		32
#define AUTH_P_MAX		16
#define AUTH_NUM_DIGITS		2	/* the ranges end below 100 */
#define AUTH_MAXMEM_SLACK	(1024 * 1024)
#define AUTH_USER_MIN		3	/* shorter names: not searched */
#define AUTH_POLICY_REFUSED	(-1)

/* Generated from daemon/common-passwords.txt: lowercase, NULL-terminated. */
extern const char *const auth_common_passwords[];

struct auth_parsed {
	struct auth_cost	cost;
	unsigned char		salt[AUTH_SALT_LEN];
	unsigned char		key[AUTH_KEY_LEN];
};

static int
auth_cost_valid(const struct auth_cost *c)
{
	if (c == NULL)
		return 0;
	if (c->log2n < AUTH_LOG2N_MIN || c->log2n > AUTH_LOG2N_MAX ||
	    c->r < 1 || c->r > AUTH_R_MAX || c->p < 1 || c->p > AUTH_P_MAX)
		return 0;
	/* scrypt requires N < 2^(16 r); within the ranges only r = 1 fails. */
	if (c->log2n >= 16 * c->r)
		return 0;
	return 1;
}

void
auth_cost_default(struct auth_cost *c)
{
	if (c == NULL)
		return;
	c->log2n = AUTH_DEFAULT_LOG2N;
	c->r = AUTH_DEFAULT_R;
	c->p = AUTH_DEFAULT_P;
}

/*
 * Weak means less memory (r N) or less work (r N p) than the shipped cost;
 * a cost auth_hash would refuse, or NULL, counts as weak too.  (With the
 * shipped p = 1 the memory test implies the work test; both are kept so a
 * change of AUTH_DEFAULT_P stays right.)
 */
int
auth_cost_weak(const struct auth_cost *c)
{
	uint64_t mem, work, ship_mem, ship_work;

	if (!auth_cost_valid(c))
		return 1;
	mem = (uint64_t)c->r << c->log2n;
	work = mem * c->p;
	ship_mem = (uint64_t)AUTH_DEFAULT_R << AUTH_DEFAULT_LOG2N;
	ship_work = ship_mem * AUTH_DEFAULT_P;
	return mem < ship_mem || work < ship_work;
}

/*
 * Derives keylen bytes from password and the AUTH_SALT_LEN-byte salt at
 * cost c (already validated).  Returns 0 or CUSTODY_ERR_CRYPTO; key is
 * zeroed on failure.
 */
static int
auth_kdf(const char *password, size_t len, const unsigned char *salt,
    const struct auth_cost *c, unsigned char *key, size_t keylen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[7], *q = params;
	uint64_t n = (uint64_t)1 << c->log2n;
	uint64_t maxmem;
	uint32_t r = c->r, p = c->p;
	int rv = CUSTODY_ERR_CRYPTO;

	maxmem = 128 * (uint64_t)r * (n + 2) + 128 * (uint64_t)r * p +
	    AUTH_MAXMEM_SLACK;
	if (password == NULL)
		password = "";
	/* OpenSSL only reads the octet strings; the casts drop const. */
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (char *)password, len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (unsigned char *)salt, AUTH_SALT_LEN);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	*q = OSSL_PARAM_construct_end();

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL)
		goto out;
	if ((kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	if (EVP_KDF_derive(kctx, key, keylen, params) != 1)
		goto out;
	rv = 0;
out:
	if (rv != 0) {
		OPENSSL_cleanse(key, keylen);
		ERR_clear_error();
	}
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rv;
}

int
auth_hash(const char *password, size_t len, const struct auth_cost *c,
    char *out, size_t outlen)
{
	unsigned char salt[AUTH_SALT_LEN], key[AUTH_KEY_LEN];
	char salt64[AUTH_SALT_B64 + 1], key64[AUTH_KEY_B64 + 1];
	int n, rv;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (out == NULL || (password == NULL && len > 0) || !auth_cost_valid(c))
		return CUSTODY_ERR_INVAL;
	if (outlen < AUTH_HASH_MAX)
		return CUSTODY_ERR_RANGE;
	if (len > AUTH_MAX_PASSWORD)
		return CUSTODY_ERR_TOOBIG;
	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		ERR_clear_error();
		return CUSTODY_ERR_CRYPTO;
	}
	if ((rv = auth_kdf(password, len, salt, c, key, sizeof(key))) != 0)
		goto out;
	(void)EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
	(void)EVP_EncodeBlock((unsigned char *)key64, key, sizeof(key));
	n = snprintf(out, outlen, "%sln=%u,r=%u,p=%u$%s$%s", AUTH_PREFIX,
	    c->log2n, c->r, c->p, salt64, key64);
	if (n < 0 || (size_t)n >= outlen) {
		OPENSSL_cleanse(out, outlen);
		out[0] = '\0';
		rv = CUSTODY_ERR_RANGE;
		goto out;
	}
	rv = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(key64, sizeof(key64));
	return rv;
}

/*
 * Reads "<name><decimal>" at *sp, where name includes its '=': 1 to
 * AUTH_NUM_DIGITS digits, no sign, no leading zero.  Advances *sp past it.
 * Returns 0 or -1.  Ranges are checked by the caller.
 */
static int
auth_parse_uint(const char **sp, const char *name, unsigned int *out)
{
	const char *s = *sp;
	size_t nlen = strlen(name);
	unsigned int v = 0;
	int digits = 0;

	if (strncmp(s, name, nlen) != 0)
		return -1;
	s += nlen;
	if (*s == '0')
		return -1;
	while (*s >= '0' && *s <= '9') {
		if (++digits > AUTH_NUM_DIGITS)
			return -1;
		v = v * 10 + (unsigned int)(*s - '0');
		s++;
	}
	if (digits == 0)
		return -1;
	*out = v;
	*sp = s;
	return 0;
}

/*
 * Decodes the slen characters at s, which must be the canonical padded
 * base64 of exactly outlen bytes (outlen <= AUTH_KEY_LEN).  Returns 0 or
 * -1; out is zeroed on failure.
 */
static int
auth_b64_decode(const char *s, size_t slen, unsigned char *out, size_t outlen)
{
	unsigned char buf[3 * AUTH_KEY_B64 / 4];
	char again[AUTH_KEY_B64 + 1];
	int n, rv = -1;

	if (outlen > AUTH_KEY_LEN || slen != 4 * ((outlen + 2) / 3))
		goto out;
	/* Counts the padding as decoded zero bytes: 3 per 4 characters. */
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (n < 0 || (size_t)n != 3 * slen / 4)
		goto out;
	memcpy(out, buf, outlen);
	/* Only the canonical text re-encodes to itself. */
	(void)EVP_EncodeBlock((unsigned char *)again, out, (int)outlen);
	if (memcmp(again, s, slen) != 0)
		goto out;
	rv = 0;
out:
	if (rv != 0)
		OPENSSL_cleanse(out, outlen);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(again, sizeof(again));
	ERR_clear_error();
	return rv;
}

/* Parses a hash string strictly (see the top of this file). */
static int
auth_parse(const char *hash, struct auth_parsed *ph)
{
	const char *s, *dollar;
	size_t len;

	memset(ph, 0, sizeof(*ph));
	if (hash == NULL)
		return CUSTODY_ERR_INVAL;
	len = strnlen(hash, AUTH_HASH_MAX);
	if (len == AUTH_HASH_MAX)
		return CUSTODY_ERR_INVAL;
	if (strncmp(hash, AUTH_PREFIX, strlen(AUTH_PREFIX)) != 0)
		return CUSTODY_ERR_INVAL;
	s = hash + strlen(AUTH_PREFIX);
	if (auth_parse_uint(&s, "ln=", &ph->cost.log2n) != 0 ||
	    auth_parse_uint(&s, ",r=", &ph->cost.r) != 0 ||
	    auth_parse_uint(&s, ",p=", &ph->cost.p) != 0 || *s++ != '$')
		return CUSTODY_ERR_INVAL;
	if (!auth_cost_valid(&ph->cost))
		return CUSTODY_ERR_INVAL;
	if ((dollar = strchr(s, '$')) == NULL)
		return CUSTODY_ERR_INVAL;
	if (auth_b64_decode(s, (size_t)(dollar - s), ph->salt,
	    sizeof(ph->salt)) != 0)
		return CUSTODY_ERR_INVAL;
	s = dollar + 1;
	if (auth_b64_decode(s, strlen(s), ph->key, sizeof(ph->key)) != 0)
		return CUSTODY_ERR_INVAL;
	return 0;
}

int
auth_verify(const char *password, size_t len, const char *hash)
{
	struct auth_parsed ph;
	unsigned char key[AUTH_KEY_LEN];
	int rv;

	memset(key, 0, sizeof(key));
	if ((rv = auth_parse(hash, &ph)) != 0)
		goto out;
	if (password == NULL && len > 0) {
		rv = CUSTODY_ERR_INVAL;
		goto out;
	}
	/* auth_hash refuses such a password, so no stored hash matches it. */
	if (len > AUTH_MAX_PASSWORD) {
		rv = CUSTODY_ERR_VERIFY;
		goto out;
	}
	if ((rv = auth_kdf(password, len, ph.salt, &ph.cost, key,
	    sizeof(key))) != 0)
		goto out;
	rv = CRYPTO_memcmp(key, ph.key, sizeof(key)) == 0 ? 0 :
	    CUSTODY_ERR_VERIFY;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&ph, sizeof(ph));
	return rv;
}

/*
 * The policy compares bytes with ASCII case folding only, whatever the
 * locale: user names and the list are ASCII, and a password's non-ASCII
 * bytes must match exactly.
 */
static unsigned char
auth_fold(char ch)
{
	unsigned char u = (unsigned char)ch;

	return (u >= 'A' && u <= 'Z') ? (unsigned char)(u - 'A' + 'a') : u;
}

/* Digits, ASCII punctuation and space: what people pad a word with. */
static int
auth_is_padding(char ch)
{
	unsigned char u = (unsigned char)ch;

	return (u >= ' ' && u <= '@') || (u >= '[' && u <= '`') ||
	    (u >= '{' && u <= '~');
}

/* Characters, not bytes: UTF-8 continuation bytes are not counted. */
static size_t
auth_char_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* 1 if the len bytes at s equal the string word, ASCII case folded. */
static int
auth_eq_fold(const char *s, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (word[i] == '\0' || auth_fold(s[i]) != auth_fold(word[i]))
			return 0;
	return word[len] == '\0';
}

/* 1 if the len bytes at s contain needle (nlen > 0), ASCII case folded. */
static int
auth_contains_fold(const char *s, size_t len, const char *needle, size_t nlen)
{
	size_t i, j;

	for (i = 0; nlen <= len && i <= len - nlen; i++) {
		for (j = 0; j < nlen; j++)
			if (auth_fold(s[i + j]) != auth_fold(needle[j]))
				break;
		if (j == nlen)
			return 1;
	}
	return 0;
}

/*
 * 1 if the password is one character repeated (ASCII case folded), the
 * character being one UTF-8 sequence as its lead byte announces.
 */
static int
auth_one_char(const char *s, size_t len)
{
	unsigned char lead = (unsigned char)s[0];
	size_t k, i;

	if (lead >= 0xf0 && lead <= 0xf7)
		k = 4;
	else if (lead >= 0xe0 && lead <= 0xef)
		k = 3;
	else if (lead >= 0xc0 && lead <= 0xdf)
		k = 2;
	else
		k = 1;
	if (len <= k || len % k != 0)
		return len == k;
	for (i = k; i < len; i++)
		if (auth_fold(s[i]) != auth_fold(s[i % k]))
			return 0;
	return 1;
}

/*
 * 1 if the password, or its core once padding is stripped from both ends,
 * is on the common list.
 */
static int
auth_is_common(const char *s, size_t len)
{
	const char *const *w;
	size_t start = 0, end = len;

	while (start < end && auth_is_padding(s[start]))
		start++;
	while (end > start && auth_is_padding(s[end - 1]))
		end--;
	for (w = auth_common_passwords; *w != NULL; w++) {
		if (auth_eq_fold(s, len, *w))
			return 1;
		if (end > start && end - start < len &&
		    auth_eq_fold(s + start, end - start, *w))
			return 1;
	}
	return 0;
}

int
auth_policy_check(const char *user, const char *password, size_t len,
    char *why, size_t whylen)
{
	size_t ulen;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (password == NULL)
		len = 0;
	if (len > AUTH_MAX_PASSWORD)
		return custody_fail(why, whylen, AUTH_POLICY_REFUSED,
		    "password is too long: use at most %d bytes",
		    AUTH_MAX_PASSWORD);
	if (auth_char_count(password, len) < AUTH_MIN_PASSWORD)
		return custody_fail(why, whylen, AUTH_POLICY_REFUSED,
		    "password is too short: use at least %d characters",
		    AUTH_MIN_PASSWORD);
	if (auth_one_char(password, len))
		return custody_fail(why, whylen, AUTH_POLICY_REFUSED,
		    "password is one character repeated; choose a passphrase "
		    "of several words");
	ulen = user != NULL ? strlen(user) : 0;
	if (ulen >= AUTH_USER_MIN &&
	    auth_contains_fold(password, len, user, ulen))
		return custody_fail(why, whylen, AUTH_POLICY_REFUSED,
		    "password contains the user name");
	if (auth_is_common(password, len))
		return custody_fail(why, whylen, AUTH_POLICY_REFUSED,
		    "password is too common; choose a passphrase of several "
		    "words");
	return 0;
}

int
auth_locked(int64_t locked_until, int64_t now)
{
	return now < locked_until;
}

/*
 * Every failure from the AUTH_LOCK_FAILURES-th on (re)locks, so a count
 * the caller has not reset by a success relocks at once after the lock
 * expires.  The lock never moves earlier, and saturates instead of
 * overflowing.
 */
int64_t
auth_after_failure(unsigned int failures_after, int64_t locked_until,
    int64_t now)
{
	int64_t until;

	if (failures_after < AUTH_LOCK_FAILURES)
		return locked_until;
	if (now > INT64_MAX - AUTH_LOCK_SECONDS)
		until = INT64_MAX;
	else
		until = now + AUTH_LOCK_SECONDS;
	return until > locked_until ? until : locked_until;
}
