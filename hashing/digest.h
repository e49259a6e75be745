/*
 * digest.h -- streaming multi-digest.
 *
 * One pass over the data feeds every digest asked for: SHA-256 and SHA-512
 * by default (algs 0), MD5 and SHA-1 when asked (tools that read E01-style
 * metadata still expect them).  Memory is fixed whatever the input size.
 */
#ifndef CUSTODY_DIGEST_H
#define CUSTODY_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_SHA256	0x01u
#define DIGEST_SHA512	0x02u
#define DIGEST_MD5	0x04u
#define DIGEST_SHA1	0x08u

struct digest_result {
	unsigned int	algs;		/* which fields below are set */
	uint64_t	size;		/* bytes fed */
	uint8_t		sha256[32];
	uint8_t		sha512[64];
	uint8_t		md5[16];
	uint8_t		sha1[20];
};

struct digest_set;	/* opaque */

/*
 * Creates a digest set for algs (a mask of DIGEST_*; 0 means SHA-256 and
 * SHA-512).  Returns 0 and sets *out, or a negative custody_err.
 */
int	digest_set_new(struct digest_set **out, unsigned int algs);
int	digest_set_update(struct digest_set *ds, const void *buf, size_t len);
/* Finishes every digest into *res.  The set may not be updated again. */
int	digest_set_final(struct digest_set *ds, struct digest_result *res);
void	digest_set_free(struct digest_set *ds);	/* accepts NULL */

/*
 * Adds the digests of from to into: two sets that hashed the same bytes
 * with different algorithms (intake splits them between two threads).
 * Returns 0, or CUSTODY_ERR_INVAL (into unchanged) if the sizes differ or
 * an algorithm is in both.
 */
int	digest_result_merge(struct digest_result *into,
	    const struct digest_result *from);

/* Reads fd to EOF in fixed-size chunks and digests it. */
int	digest_fd(int fd, unsigned int algs, struct digest_result *res);

/* Writes lowercase hex of buf (2*len+1 bytes including NUL) into out. */
void	digest_hex(const uint8_t *buf, size_t len, char *out);
/*
 * Reads exactly 2*len hex digits (either case) from hex into out.
 * Returns 0, or CUSTODY_ERR_INVAL for anything else.
 */
int	digest_unhex(const char *hex, uint8_t *out, size_t len);

#endif
