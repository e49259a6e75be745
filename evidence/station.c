/* station.c -- creating and opening a station's state directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/timefmt.h"
#include "evidence/item.h"
#include "evidence/station.h"

struct station {
	struct store		*st;
	struct sign_key		*key;
	struct custody_log	*log;
	uint8_t			 master[32];
	int			 has_master;
	char			 dir[4096];
};

int
station_path(const char *dir, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outlen ? CUSTODY_ERR_TOOBIG : 0;
}

int
station_origin_valid(const char *origin)
{
	size_t i, n = strlen(origin);

	if (n == 0 || n > NOTE_MAX_ORIGIN)
		return 0;
	for (i = 0; i < n; i++)
		if (origin[i] <= ' ' || origin[i] > '~' || origin[i] == '+')
			return 0;
	return 1;
}

/* Makes dir 0700, or checks an existing one is a directory nobody else
 * can write. */
static int
station_dir(const char *dir, int create, char *err, size_t errlen)
{
	struct stat sb;

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot create state directory %s: %s", dir,
		    strerror(errno));
	if (stat(dir, &sb) == -1)
		return custody_fail(err, errlen, errno == ENOENT ?
		    CUSTODY_ERR_NOTFOUND : CUSTODY_ERR_IO, "cannot open state "
		    "directory %s: %s; check --state", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s is not a directory; give the station's state "
		    "directory", dir);
	if (create && (sb.st_mode & 077) != 0 && chmod(dir, 0700) == -1)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot make %s private: %s", dir, strerror(errno));
	if (!create && (sb.st_mode & 022) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_PERM,
		    "state directory %s is writable by others (mode %04o); "
		    "chmod 700 %s", dir, (unsigned int)(sb.st_mode & 07777),
		    dir);
	return 0;
}

/* Writes event 0: the station's birth, naming its key. */
static int
station_genesis(struct station *s, const char *origin, const char *fpr,
    char *err, size_t errlen)
{
	json_t *actor, *data;
	uint64_t seq;
	int r;

	actor = json_pack("{s:s, s:s, s:I}", "user", "station", "role",
	    "system", "uid", (json_int_t)getuid());
	data = json_pack("{s:s, s:s, s:s, s:i}", "origin", origin,
	    "fingerprint", fpr, "key", "ECDSA P-256", "schema",
	    STORE_SCHEMA_VERSION);
	if (actor == NULL || data == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if ((r = custody_log_begin(s->log)) != 0)
		goto out;
	if ((r = custody_log_append(s->log, "station.init", actor, NULL, data,
	    &seq)) != 0) {
		custody_log_abort(s->log);
		(void)custody_fail(err, errlen, r, "cannot write the first "
		    "event: %s", custody_strerror(r));
		goto out;
	}
	r = custody_log_commit(s->log, err, errlen);
out:
	json_decref(actor);
	json_decref(data);
	return r;
}

static int
station_create_files(const char *dir, const char *origin, struct station *s,
    char fpr[SIGN_FPR_HEX], char *err, size_t errlen)
{
	struct store_station row;
	struct custody_time t;
	char path[4096];
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	int r;

	memset(&row, 0, sizeof(row));
	if ((r = sign_key_generate(&s->key)) != 0 ||
	    (r = sign_cert_create(s->key, origin, STATION_CERT_DAYS, &cert,
	    &cert_len)) != 0) {
		r = custody_fail(err, errlen, r, "cannot create the station "
		    "key: %s", custody_strerror(r));
		goto out;
	}
	if ((r = station_path(dir, STATION_KEY, path, sizeof(path))) != 0 ||
	    (r = sign_key_save(s->key, path, err, errlen)) != 0 ||
	    (r = station_path(dir, STATION_MASTER, path, sizeof(path))) != 0 ||
	    (r = item_master_create(path, err, errlen)) != 0 ||
	    (r = station_path(dir, STATION_CERT, path, sizeof(path))) != 0 ||
	    (r = sign_cert_save_pem(cert, cert_len, path, err, errlen)) != 0 ||
	    (r = station_path(dir, STATION_DB, path, sizeof(path))) != 0 ||
	    (r = store_open(path, STORE_CREATE, &s->st, err, errlen)) != 0)
		goto out;
	if ((r = custody_time_now(&t)) != 0)
		goto out;
	(void)snprintf(row.origin, sizeof(row.origin), "%s", origin);
	memcpy(row.created, t.utc, sizeof(row.created));
	row.cert = cert;
	row.cert_len = cert_len;
	if ((r = store_station_put(s->st, &row)) != 0) {
		r = custody_fail(err, errlen, r, "cannot record the station: "
		    "%s", store_errmsg(s->st));
		goto out;
	}
	sign_cert_fingerprint(cert, cert_len, fpr);
	if ((r = custody_log_open(s->st, s->key, &s->log, err, errlen)) != 0)
		goto out;
	r = station_genesis(s, origin, fpr, err, errlen);
out:
	free(cert);
	return r;
}

int
station_init(const char *dir, const char *origin, char fpr[SIGN_FPR_HEX],
    char *err, size_t errlen)
{
	struct station s;
	char path[4096];
	struct stat sb;
	int r;

	memset(&s, 0, sizeof(s));
	if (!station_origin_valid(origin))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "station id '%s' is not valid: use 1-255 printable "
		    "characters without spaces or '+', e.g. "
		    "school.example/custody-1", origin);
	if ((r = station_dir(dir, 1, err, errlen)) != 0)
		return r;
	if ((r = station_path(dir, STATION_DB, path, sizeof(path))) != 0)
		return r;
	if (stat(path, &sb) == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_EXISTS, "%s "
		    "already holds a station; refusing to overwrite it", dir);
	r = station_create_files(dir, origin, &s, fpr, err, errlen);
	custody_log_free(s.log);
	store_close(s.st);
	sign_key_free(s.key);
	return r;
}

/*
 * Loads the master key and makes the items directory.  A station made
 * before evidence items existed gets its master key on first open.
 */
static int
station_load_master(struct station *s, const char *dir, char *err,
    size_t errlen)
{
	char path[4096];
	int r;

	if ((r = station_path(dir, STATION_ITEMS, path, sizeof(path))) != 0)
		return r;
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot create "
		    "%s: %s", path, strerror(errno));
	if ((r = station_path(dir, STATION_MASTER, path, sizeof(path))) != 0)
		return r;
	r = item_master_load(path, s->master, err, errlen);
	if (r == CUSTODY_ERR_NOTFOUND &&
	    (r = item_master_create(path, err, errlen)) == 0)
		r = item_master_load(path, s->master, err, errlen);
	if (r == 0)
		s->has_master = 1;
	return r;
}

int
station_open(const char *dir, int flags, struct station **out, char *err,
    size_t errlen)
{
	struct station *s;
	char path[4096];
	int r;

	*out = NULL;
	if ((r = station_dir(dir, 0, err, errlen)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CUSTODY_ERR_NOMEM;
	(void)snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (!(flags & STORE_RDONLY) &&
	    ((r = station_path(dir, STATION_KEY, path, sizeof(path))) != 0 ||
	    (r = sign_key_load(path, &s->key, err, errlen)) != 0 ||
	    (r = station_load_master(s, dir, err, errlen)) != 0))
		goto out;
	if ((r = station_path(dir, STATION_DB, path, sizeof(path))) != 0 ||
	    (r = store_open(path, flags & STORE_RDONLY, &s->st, err,
	    errlen)) != 0 ||
	    (r = custody_log_open(s->st, s->key, &s->log, err, errlen)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	station_close(s);
	return r;
}

void
station_close(struct station *s)
{
	if (s == NULL)
		return;
	custody_log_free(s->log);
	store_close(s->st);
	sign_key_free(s->key);
	explicit_bzero(s->master, sizeof(s->master));
	free(s);
}

const uint8_t *
station_master(const struct station *s)
{
	return s->has_master ? s->master : NULL;
}

const struct sign_key *
station_key(const struct station *s)
{
	return s->key;
}

const char *
station_dir_path(const struct station *s)
{
	return s->dir;
}

struct custody_log *
station_log(struct station *s)
{
	return s->log;
}

struct store *
station_store(struct station *s)
{
	return s->st;
}
