/*
 * canon.h -- canonical JSON for custody events.
 *
 * The canonical form is RFC 8785 (JCS) restricted to what the log needs:
 * object keys sorted by UTF-16 code units with no duplicates, no
 * whitespace, UTF-8, integers only (|n| <= 2^53 - 1, no "-0", no fraction
 * or exponent), strings escaped exactly as JSON.stringify does (\" \\ \b
 * \f \n \r \t, other controls as \u00xx in lowercase hex, nothing else).
 * An event is stored as these bytes and is never re-encoded: hashing and
 * export use the stored bytes.
 *
 * This is the only file that talks to jansson for canonical encoding.
 */
#ifndef CUSTODY_CANON_H
#define CUSTODY_CANON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CANON_MAX_DEPTH		32
#define CANON_MAX_INT		9007199254740991LL	/* 2^53 - 1 */

/*
 * Encodes v canonically into a new NUL-terminated buffer (caller frees).
 * Refuses reals, integers outside +-(2^53-1) and nesting deeper than
 * CANON_MAX_DEPTH with CUSTODY_ERR_INVAL.
 */
int	canon_encode(const json_t *v, char **out, size_t *len);

/* What canon_check found at the top level of an object. */
struct canon_info {
	int		has_seq;	/* a top-level integer "seq" */
	int64_t		seq;
};

/*
 * Checks that buf[0..len) is exactly the canonical encoding of a JSON
 * object (so canon_encode(parse(buf)) == buf), without allocating.
 * Returns 0, or CUSTODY_ERR_INVAL with the byte offset and reason in err.
 * info may be NULL.  Input is treated as hostile.
 */
int	canon_check(const char *buf, size_t len, struct canon_info *info,
	    char *err, size_t errlen);

#endif
