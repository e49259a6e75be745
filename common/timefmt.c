/* timefmt.c -- UTC timestamps with a local offset. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "timefmt.h"

int
custody_time_from_ms(int64_t ms, struct custody_time *t)
{
	struct tm utc, local;
	time_t secs;
	long off;
	int n;

	if (ms < 0)
		return CUSTODY_ERR_RANGE;
	secs = (time_t)(ms / 1000);
	if (gmtime_r(&secs, &utc) == NULL || localtime_r(&secs, &local) == NULL)
		return CUSTODY_ERR_RANGE;
	n = snprintf(t->utc, sizeof(t->utc),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
	    utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
	    (int)(ms % 1000));
	if (n < 0 || (size_t)n >= sizeof(t->utc))
		return CUSTODY_ERR_RANGE;
	off = local.tm_gmtoff / 60;
	n = snprintf(t->tz, sizeof(t->tz), "%c%02ld:%02ld",
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
	if (n < 0 || (size_t)n >= sizeof(t->tz))
		return CUSTODY_ERR_RANGE;
	t->unix_ms = ms;
	return 0;
}

int
custody_time_now(struct custody_time *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return CUSTODY_ERR_IO;
	return custody_time_from_ms((int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, t);
}

int
custody_time_parse(const char *s, int64_t *ms)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct tm tm;
	int y, mo, d, h, mi, sec, milli, used = 0;
	time_t secs;
	size_t i;

	if (strlen(s) != 24)
		return CUSTODY_ERR_INVAL;
	for (i = 0; i < 24; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return CUSTODY_ERR_INVAL;
	if (
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi,
	    &sec, &milli, &used) != 7 || used != 24)
		return CUSTODY_ERR_INVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970 || milli < 0 || h < 0 || mi < 0 || sec < 0)
		return CUSTODY_ERR_INVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((secs = timegm(&tm)) == (time_t)-1)
		return CUSTODY_ERR_INVAL;
	/* timegm rolls Feb 30 over into March: refuse what it changed. */
	if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
	    tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != sec)
		return CUSTODY_ERR_INVAL;
	*ms = (int64_t)secs * 1000 + milli;
	return 0;
}
