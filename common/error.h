/*
 * error.h -- the project's one set of error codes.
 *
 * Functions return 0 on success or one of these negative codes.  Where the
 * caller may want detail, a function also takes (char *err, size_t errlen)
 * and writes one human-readable line there (no trailing newline, never a
 * secret).  err may be NULL.
 */
#ifndef CUSTODY_ERROR_H
#define CUSTODY_ERROR_H

#include <stddef.h>

enum custody_err {
	CUSTODY_OK = 0,
	CUSTODY_ERR_NOMEM = -1,		/* allocation failed */
	CUSTODY_ERR_IO = -2,		/* read, write, fsync, open failed */
	CUSTODY_ERR_INVAL = -3,		/* malformed input or bad argument */
	CUSTODY_ERR_CRYPTO = -4,	/* the crypto library failed */
	CUSTODY_ERR_DB = -5,		/* the database failed */
	CUSTODY_ERR_NOTFOUND = -6,	/* no such thing */
	CUSTODY_ERR_EXISTS = -7,	/* refusing to overwrite */
	CUSTODY_ERR_VERIFY = -8,	/* a check failed: hash, proof, signature */
	CUSTODY_ERR_SCHEMA = -9,	/* database from a newer schema */
	CUSTODY_ERR_CORRUPT = -10,	/* a file is not what it claims to be */
	CUSTODY_ERR_KEY = -11,		/* key file with a bad mode or contents */
	CUSTODY_ERR_PERM = -12,		/* not allowed */
	CUSTODY_ERR_RANGE = -13,	/* index or size out of range */
	CUSTODY_ERR_TOOBIG = -14,	/* over a size limit */
	CUSTODY_ERR_FULL = -15,		/* the disk or the database is full */
};

/* Returns a static string naming the code; never NULL. */
const char *custody_strerror(int code);

/*
 * Writes a formatted message into err (if err is not NULL) and returns code,
 * so callers can write: return custody_fail(err, errlen, CUSTODY_ERR_X, ...);
 * A message that does not fit is truncated, never overflowed.
 */
int custody_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
