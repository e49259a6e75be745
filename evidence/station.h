/*
 * station.h -- a station's state directory: the database, the station key
 * and its certificate.
 *
 *	DIR/		0700, owned by the station's user
 *	DIR/custody.db	0600, the store (and its -wal, -shm)
 *	DIR/station.key	0600, ECDSA P-256 private key, PKCS#8 PEM
 *	DIR/station.pem	0644, self-signed certificate of that key
 *	DIR/master.key	0600, 32 random bytes: wraps evidence item keys
 *	DIR/items/	0700, encrypted evidence blobs
 */
#ifndef CUSTODY_STATION_H
#define CUSTODY_STATION_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/log.h"
#include "evidence/store.h"

#define STATION_DB	"custody.db"
#define STATION_KEY	"station.key"
#define STATION_CERT	"station.pem"
#define STATION_MASTER	"master.key"
#define STATION_ITEMS	"items"
#define STATION_CERT_DAYS	(20 * 366)

struct station;		/* opaque */

/*
 * Creates a station in dir (made 0700 if missing; refused if it already
 * holds a station).  origin is the station id: it names the checkpoints'
 * origin and the certificate.  Writes event 0, station.init, naming the
 * key fingerprint, and its checkpoint.  fpr receives the fingerprint.
 */
int	station_init(const char *dir, const char *origin,
	    char fpr[SIGN_FPR_HEX], char *err, size_t errlen);

/* Checks an origin: 1..255 bytes, printable ASCII, no space or '+'. */
int	station_origin_valid(const char *origin);

/*
 * Opens a station for writing (loads the key) or, with STORE_RDONLY in
 * flags, for reading only.  Refuses a state directory that group or others
 * can write, and a key file with a loose mode.
 */
int	station_open(const char *dir, int flags, struct station **out,
	    char *err, size_t errlen);
void	station_close(struct station *s);	/* accepts NULL */

struct custody_log	*station_log(struct station *s);
/* The master key (32 bytes) of a station opened for writing, or NULL. */
const uint8_t		*station_master(const struct station *s);
/* The station key of a station opened for writing, or NULL. */
const struct sign_key	*station_key(const struct station *s);
/* The state directory's path. */
const char		*station_dir_path(const struct station *s);
struct store		*station_store(struct station *s);

/* Joins dir and name into out; CUSTODY_ERR_TOOBIG if it does not fit. */
int	station_path(const char *dir, const char *name, char *out,
	    size_t outlen);

#endif
