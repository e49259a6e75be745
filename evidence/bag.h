/*
 * bag.h -- a sealed BagIt bundle (RFC 8493) that police check with stock
 * tools (DESIGN section 10).
 *
 * Layout of the tar (deterministic: names sorted, mode 0644/0755, uid and
 * gid 0, no owner names, mtime = the bagging time):
 *
 *	NAME/bagit.txt
 *	NAME/bag-info.txt
 *	NAME/manifest-sha256.txt, manifest-sha512.txt	(every data/ file)
 *	NAME/tagmanifest-sha256.txt, tagmanifest-sha512.txt
 *		(bagit.txt, bag-info.txt, the manifests, station.pem)
 *	NAME/station.pem
 *	NAME/tagmanifest-sha256.txt.p7s	CMS detached SignedData (DER,
 *		ECDSA P-256, SHA-256) over tagmanifest-sha256.txt
 *	NAME/data/...			the payload
 *
 * The tar is sealed in a CMS EnvelopedData (DER) to a password (PWRI,
 * PBKDF2 with at least BAG_PWRI_ITER iterations) and/or an officer's X.509
 * certificate; AES-256-CBC content encryption when a password recipient is
 * present (stock openssl cms cannot combine PWRI with GCM; the signature
 * carries integrity), AES-256-GCM otherwise.  Police then run:
 *
 *	openssl cms -decrypt -binary -inform DER -in B.tar.p7m \
 *	    -pwri_password PW -out B.tar
 *	tar xf B.tar && cd NAME
 *	openssl cms -verify -binary -inform DER \
 *	    -in tagmanifest-sha256.txt.p7s -content tagmanifest-sha256.txt \
 *	    -CAfile station.pem -purpose any -out /dev/null
 *	sha256sum -c tagmanifest-sha256.txt && sha256sum -c manifest-sha256.txt
 */
#ifndef CUSTODY_BAG_H
#define CUSTODY_BAG_H

#include <stddef.h>
#include <stdint.h>

#include "hashing/sign.h"

#define BAG_PWRI_ITER	1300000	/* PBKDF2-HMAC-SHA1 (the only PRF
				 * OpenSSL CMS offers): OWASP 2023 */
#define BAG_MAX_FILES	100000
#define BAG_MAX_NAME	255

/* One payload file: data/<path>, from memory or streamed from fd. */
struct bag_file {
	const char	*path;		/* relative to data/, '/'-separated */
	const void	*data;		/* when fd == -1 */
	size_t		 len;
	int		 fd;		/* a readable file, or -1 */
};

/* One bag-info.txt line beyond those the writer adds itself. */
struct bag_info {
	const char	*label;		/* "External-Identifier" */
	const char	*value;
};

struct bag_spec {
	const char		*name;	/* the bag's directory: [A-Za-z0-9._-] */
	const struct bag_file	*files;
	size_t			 nfiles;
	const struct bag_info	*info;	/* Source-Organization, ... */
	size_t			 ninfo;
	int64_t			 bagging_time;	/* Unix seconds */
	const struct sign_key	*key;	/* the station key */
	const uint8_t		*cert;	/* its certificate, DER */
	size_t			 cert_len;
	const char		*password;	/* PWRI recipient, or NULL */
	size_t			 password_len;
	const uint8_t		*recipient;	/* officer's cert DER, or NULL */
	size_t			 recipient_len;
};

/*
 * Writes the sealed bundle to out_fd and its SHA-256 into sha256.  The
 * writer adds Bagging-Date, Payload-Oxum and Bag-Count to bag-info.txt.
 * At least one recipient is required.  Streams items: memory stays small
 * whatever their size (a temporary tar, if one is needed, is made with
 * O_TMPFILE or an unlinked file in tmpdir, mode 0600, and removed).
 */
int	bag_write(const struct bag_spec *spec, int out_fd, const char *tmpdir,
	    uint8_t sha256[32], char *err, size_t errlen);

/* What bag_open found, for the verifier and its report. */
struct bag_check {
	char	name[BAG_MAX_NAME + 1];	/* the bag's directory */
	char	fingerprint[SIGN_FPR_HEX];	/* of station.pem */
	size_t	payload_files;
	uint64_t payload_bytes;
};

/*
 * Opens a sealed bundle (decrypting with password or key+cert) or a bag
 * already extracted in a directory, extracts it safely into dest (refusing
 * absolute paths, "..", links, devices, duplicate names, more than
 * BAG_MAX_FILES entries or a declared size over max_bytes), then checks:
 * bagit.txt, the CMS signature over tagmanifest-sha256.txt with station.pem,
 * both tag manifests, both manifests (every file listed exists, every
 * payload file is listed, no listed path escapes the bag), Payload-Oxum.
 * report(ctx, line) is called with one line per check as it goes.  Returns
 * 0 if everything holds, CUSTODY_ERR_VERIFY with the file and the check
 * named in err, or another error (wrong password: CUSTODY_ERR_KEY).
 */
int	bag_open(const char *path, const char *password, size_t password_len,
	    const char *key_path, const char *cert_path, const char *dest,
	    uint64_t max_bytes, void (*report)(void *, const char *),
	    void *ctx, struct bag_check *out, char *err, size_t errlen);

#endif
