/*
 * digest.c -- streaming multi-digest through OpenSSL 3 EVP.
 *
 * A set owns one fetched EVP_MD and one EVP_MD_CTX per requested
 * algorithm; fetching once per set keeps the provider lookup out of the
 * update loop.  A set is in one of three states:
 *
 *	OPEN	 after digest_set_new; digest_set_update feeds every digest.
 *	DONE	 after digest_set_final succeeded; nothing more is accepted.
 *	FAILED	 after any OpenSSL failure.  The digests no longer describe
 *		 the bytes fed, so final refuses rather than report a hash of
 *		 some prefix of the input as the hash of the whole.
 *
 * Memory is fixed: the set, its contexts and (in digest_fd) one read
 * buffer of DIGEST_BUFSIZE bytes, whatever the input size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "hashing/digest.h"

/*
 * Read size of digest_fd.  SHA-256 alone over 1 GiB from the page cache
 * (SHA-NI, OpenSSL 3.0) took 0.58 s with 1 MiB reads, 0.57-0.60 s with
 * 256 KiB, and `openssl dgst -sha256` 0.64 s: the same within noise, so
 * the larger buffer, for fewer system calls on slow media.
 */
#define DIGEST_BUFSIZE	(1024u * 1024u)

#define DIGEST_NALGS	4
#define DIGEST_ALL \
	(DIGEST_SHA256 | DIGEST_SHA512 | DIGEST_MD5 | DIGEST_SHA1)

enum digest_state {
	DIGEST_OPEN,
	DIGEST_DONE,
	DIGEST_FAILED,
};

struct digest_set {
	unsigned int		 algs;
	enum digest_state	 state;
	uint64_t		 size;
	EVP_MD			*md[DIGEST_NALGS];
	EVP_MD_CTX		*ctx[DIGEST_NALGS];	/* NULL: not wanted */
};

#define RESULT_AT(field)	offsetof(struct digest_result, field)

static const struct digest_alg {
	unsigned int	 bit;
	const char	*name;		/* OpenSSL 3 fetch name */
	size_t		 len;
	size_t		 off;		/* of the field in digest_result */
} digest_algs[DIGEST_NALGS] = {
	{ DIGEST_SHA256,	"SHA2-256",	32,	RESULT_AT(sha256) },
	{ DIGEST_SHA512,	"SHA2-512",	64,	RESULT_AT(sha512) },
	{ DIGEST_MD5,		"MD5",		16,	RESULT_AT(md5) },
	{ DIGEST_SHA1,		"SHA1",		20,	RESULT_AT(sha1) },
};

/* Fetches algorithm i of digest_algs into ds and starts its digest. */
static int
digest_set_start(struct digest_set *ds, size_t i)
{
	if ((ds->md[i] = EVP_MD_fetch(NULL, digest_algs[i].name, NULL)) ==
	    NULL)
		return CUSTODY_ERR_CRYPTO;
	if ((ds->ctx[i] = EVP_MD_CTX_new()) == NULL)
		return CUSTODY_ERR_NOMEM;
	if (EVP_DigestInit_ex2(ds->ctx[i], ds->md[i], NULL) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * Creates a set for the mask algs (0 means SHA-256 and SHA-512).  An
 * unknown bit is CUSTODY_ERR_INVAL; an algorithm the loaded providers do
 * not offer (MD5 under a FIPS-only configuration) is CUSTODY_ERR_CRYPTO.
 * On success *out owns the set; free it with digest_set_free.
 */
int
digest_set_new(struct digest_set **out, unsigned int algs)
{
	struct digest_set *ds;
	size_t i;
	int r;

	*out = NULL;
	if (algs == 0)
		algs = DIGEST_SHA256 | DIGEST_SHA512;
	if ((algs & ~DIGEST_ALL) != 0)
		return CUSTODY_ERR_INVAL;
	if ((ds = calloc(1, sizeof(*ds))) == NULL)
		return CUSTODY_ERR_NOMEM;
	ds->algs = algs;
	ds->state = DIGEST_OPEN;
	for (i = 0; i < DIGEST_NALGS; i++) {
		if ((algs & digest_algs[i].bit) == 0)
			continue;
		if ((r = digest_set_start(ds, i)) != 0) {
			digest_set_free(ds);
			return r;
		}
	}
	*out = ds;
	return 0;
}

/*
 * Feeds len bytes at buf to every digest of the set.  Returns 0;
 * CUSTODY_ERR_INVAL once the set is finished or has failed;
 * CUSTODY_ERR_TOOBIG if the total would pass 2^64 - 1 bytes;
 * CUSTODY_ERR_CRYPTO if OpenSSL fails, after which the set only refuses.
 */
int
digest_set_update(struct digest_set *ds, const void *buf, size_t len)
{
	size_t i;

	if (ds->state != DIGEST_OPEN)
		return CUSTODY_ERR_INVAL;
	if ((uint64_t)len > UINT64_MAX - ds->size)
		return CUSTODY_ERR_TOOBIG;
	/*
	 * Each digest reads the whole buffer in turn.  Feeding them in
	 * cache-sized slices instead measured no faster: hashing is
	 * compute-bound, not memory-bound.
	 */
	for (i = 0; i < DIGEST_NALGS; i++) {
		if (ds->ctx[i] == NULL)
			continue;
		if (EVP_DigestUpdate(ds->ctx[i], buf, len) != 1) {
			ds->state = DIGEST_FAILED;
			return CUSTODY_ERR_CRYPTO;
		}
	}
	ds->size += len;
	return 0;
}

/*
 * Finishes every digest of the set into *res (cleared first, filled only
 * on success).  Returns 0, CUSTODY_ERR_INVAL if the set was already
 * finished or has failed, or CUSTODY_ERR_CRYPTO.
 */
int
digest_set_final(struct digest_set *ds, struct digest_result *res)
{
	struct digest_result tmp;
	unsigned int len;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (ds->state != DIGEST_OPEN)
		return CUSTODY_ERR_INVAL;
	memset(&tmp, 0, sizeof(tmp));
	tmp.algs = ds->algs;
	tmp.size = ds->size;
	for (i = 0; i < DIGEST_NALGS; i++) {
		if (ds->ctx[i] == NULL)
			continue;
		len = 0;
		if (EVP_DigestFinal_ex(ds->ctx[i],
		    (unsigned char *)&tmp + digest_algs[i].off, &len) != 1 ||
		    len != digest_algs[i].len) {
			ds->state = DIGEST_FAILED;
			return CUSTODY_ERR_CRYPTO;
		}
	}
	ds->state = DIGEST_DONE;
	*res = tmp;
	return 0;
}

/* Frees the set and its contexts (which OpenSSL cleanses).  Accepts NULL. */
void
digest_set_free(struct digest_set *ds)
{
	size_t i;

	if (ds == NULL)
		return;
	for (i = 0; i < DIGEST_NALGS; i++) {
		EVP_MD_CTX_free(ds->ctx[i]);
		EVP_MD_free(ds->md[i]);
	}
	free(ds);
}

/* See digest.h: copies each field of from that from->algs names. */
int
digest_result_merge(struct digest_result *into,
    const struct digest_result *from)
{
	size_t i;

	if (into->size != from->size || (into->algs & from->algs) != 0)
		return CUSTODY_ERR_INVAL;
	for (i = 0; i < DIGEST_NALGS; i++)
		if ((from->algs & digest_algs[i].bit) != 0)
			memcpy((unsigned char *)into + digest_algs[i].off,
			    (const unsigned char *)from + digest_algs[i].off,
			    digest_algs[i].len);
	into->algs |= from->algs;
	return 0;
}

/*
 * Reads fd from its current offset to EOF in DIGEST_BUFSIZE chunks and
 * digests what it read.  Retries reads interrupted by a signal; a short
 * read is simply fed as is.  The read buffer may hold evidence, so it is
 * cleansed before it is freed.  Returns 0 and fills *res, or
 * CUSTODY_ERR_IO (errno kept from the failed read), NOMEM, INVAL, CRYPTO.
 */
int
digest_fd(int fd, unsigned int algs, struct digest_result *res)
{
	struct digest_set *ds = NULL;
	uint8_t *buf = NULL;
	size_t used = 0;
	ssize_t n;
	int r, saved;

	memset(res, 0, sizeof(*res));
	if ((r = digest_set_new(&ds, algs)) != 0)
		goto out;
	if ((buf = malloc(DIGEST_BUFSIZE)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	/* Advice only: fails harmlessly on pipes and sockets. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		n = read(fd, buf, DIGEST_BUFSIZE);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = CUSTODY_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		if ((size_t)n > used)
			used = (size_t)n;
		if ((r = digest_set_update(ds, buf, (size_t)n)) != 0)
			goto out;
	}
	r = digest_set_final(ds, res);
out:
	saved = errno;
	if (buf != NULL) {
		OPENSSL_cleanse(buf, used);
		free(buf);
	}
	digest_set_free(ds);
	errno = saved;
	return r;
}

/* Writes lowercase hex of len bytes at buf, NUL-terminated, into out. */
void
digest_hex(const uint8_t *buf, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
digest_unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (hex == NULL || strlen(hex) != 2 * len)
		return CUSTODY_ERR_INVAL;
	for (i = 0; i < len; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 ||
		    (lo = hexval(hex[2 * i + 1])) < 0)
			return CUSTODY_ERR_INVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
