/*
 * timefmt.h -- times as the custody record keeps them: UTC, RFC 3339 with
 * milliseconds ("2026-11-22T06:40:52.123Z"), plus the station's local
 * offset from UTC at that moment ("+01:00") so a reader can show local time.
 */
#ifndef CUSTODY_TIMEFMT_H
#define CUSTODY_TIMEFMT_H

#include <stdint.h>
#include <time.h>

#define TIMEFMT_LEN	32

struct custody_time {
	char	utc[TIMEFMT_LEN];	/* RFC 3339, UTC, milliseconds */
	char	tz[8];			/* local offset, "+hh:mm" */
	int64_t	unix_ms;
};

/* The current time.  Returns 0 or CUSTODY_ERR_IO if the clock fails. */
int	custody_time_now(struct custody_time *t);
/* Fills t from a Unix time in milliseconds. */
int	custody_time_from_ms(int64_t ms, struct custody_time *t);
/*
 * Parses an RFC 3339 UTC time with milliseconds as written above.
 * Returns 0 or CUSTODY_ERR_INVAL.
 */
int	custody_time_parse(const char *s, int64_t *ms);

#endif
