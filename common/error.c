/* error.c -- error codes and messages. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

const char *
custody_strerror(int code)
{
	switch (code) {
	case CUSTODY_OK:		return "success";
	case CUSTODY_ERR_NOMEM:		return "out of memory";
	case CUSTODY_ERR_IO:		return "input/output error";
	case CUSTODY_ERR_INVAL:		return "invalid input";
	case CUSTODY_ERR_CRYPTO:	return "cryptographic operation failed";
	case CUSTODY_ERR_DB:		return "database error";
	case CUSTODY_ERR_NOTFOUND:	return "not found";
	case CUSTODY_ERR_EXISTS:	return "already exists";
	case CUSTODY_ERR_VERIFY:	return "verification failed";
	case CUSTODY_ERR_SCHEMA:	return "unsupported schema version";
	case CUSTODY_ERR_CORRUPT:	return "corrupt file";
	case CUSTODY_ERR_KEY:		return "bad key file";
	case CUSTODY_ERR_PERM:		return "permission denied";
	case CUSTODY_ERR_RANGE:		return "out of range";
	case CUSTODY_ERR_TOOBIG:	return "too large";
	case CUSTODY_ERR_FULL:		return "disk full";
	}
	return "unknown error";
}

int
custody_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
