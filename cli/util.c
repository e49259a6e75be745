/* util.c -- helpers shared by the custody subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/timefmt.h"

#define DEFAULT_STATE	"/var/lib/custody"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("custody: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_exit_code(int err)
{
	switch (err) {
	case CUSTODY_OK:
		return CLI_OK;
	case CUSTODY_ERR_VERIFY:
		return CLI_VERIFY;
	case CUSTODY_ERR_NOTFOUND:
	case CUSTODY_ERR_PERM:
	case CUSTODY_ERR_IO:
	case CUSTODY_ERR_FULL:
		return CLI_NODB;
	case CUSTODY_ERR_SCHEMA:
		return CLI_SCHEMA;
	case CUSTODY_ERR_CORRUPT:
	case CUSTODY_ERR_DB:
		return CLI_CORRUPT;
	case CUSTODY_ERR_KEY:
		return CLI_KEY;
	default:
		return CLI_FAIL;
	}
}

int
cli_fail(int err, const char *msg)
{
	cli_error("%s", msg != NULL && msg[0] != '\0' ? msg :
	    custody_strerror(err));
	return cli_exit_code(err);
}

int
cli_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return CLI_USAGE;
}

const char *
cli_state_dir(const char *state)
{
	const char *env;

	if (state != NULL)
		return state;
	if ((env = getenv("CUSTODY_STATE")) != NULL && env[0] != '\0')
		return env;
	return DEFAULT_STATE;
}

const char *
cli_db_path(const char *db, const char *state, char *buf, size_t len)
{
	int n;

	if (db != NULL)
		return db;
	n = snprintf(buf, len, "%s/custody.db", cli_state_dir(state));
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

int
cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t k;
	int fd, r = 0;

	*out = NULL;
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? CUSTODY_ERR_NOTFOUND : CUSTODY_ERR_IO;
	if ((buf = malloc(max + 1)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		k = read(fd, buf + n, max + 1 - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			r = CUSTODY_ERR_IO;
			goto out;
		}
		if (k == 0)
			break;
		if ((n += (size_t)k) > max) {
			r = CUSTODY_ERR_TOOBIG;
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}

void
cli_local_time(const char *utc, char *out, size_t len)
{
	struct tm tm;
	int64_t ms;
	time_t t;

	if (custody_time_parse(utc, &ms) != 0) {
		(void)snprintf(out, len, "%s", utc);
		return;
	}
	t = (time_t)(ms / 1000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		(void)snprintf(out, len, "%s", utc);
}

int
cli_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = n;
	return 0;
}
