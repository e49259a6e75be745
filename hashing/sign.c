/*
 * sign.c -- the station's ECDSA P-256 key, its self-signed certificate,
 * and ECDSA-SHA256 signatures, on OpenSSL 3.0's EVP_PKEY API.
 *
 * A sign_key and a sign_pub each own one EVP_PKEY; a sign_pub never holds
 * a private half (it is made by re-decoding the DER SPKI).  Every key that
 * enters from outside (key file, SPKI, certificate) is checked to be EC on
 * P-256 before it is wrapped, so the rest of the module may assume it.
 *
 * Key material passes through our own buffers only while a key file is
 * read or written; those buffers are cleansed before they are freed.
 * OpenSSL's error queue is cleared after every failure we turn into a
 * custody_err, so no stale errors leak into unrelated callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/error.h"
#include "hashing/sign.h"

#define SIGN_KEY_FILE_MAX	16384	/* a P-256 PEM key is ~240 bytes */
#define SIGN_CERT_FILE_MAX	65536
#define SIGN_CERT_MAX_DAYS	36525	/* a hundred years */
#define SIGN_CN_MAX		64	/* ub-common-name, RFC 5280 */

struct sign_key {
	EVP_PKEY	*pkey;
	uint8_t		 spki[32];	/* SHA-256 of the DER SPKI */
};

struct sign_pub {
	EVP_PKEY	*pkey;
	uint8_t		 spki[32];
};

/*
 * SHA-256 of pk's DER SubjectPublicKeyInfo, computed once when a key
 * object is made: it names the key (signed-note key IDs, fingerprints) on
 * every checkpoint, and re-encoding the key each time cost most of an
 * append's CPU.
 */
static int
spki_sha256(EVP_PKEY *pk, uint8_t out[32])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len, ok;

	if ((len = i2d_PUBKEY(pk, &der)) <= 0) {
		ERR_clear_error();
		return CUSTODY_ERR_CRYPTO;
	}
	ok = EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL) ==
	    1 && mdlen == 32;
	OPENSSL_free(der);
	if (!ok) {
		ERR_clear_error();
		return CUSTODY_ERR_CRYPTO;
	}
	return 0;
}

const uint8_t *
sign_key_spki_sha256(const struct sign_key *key)
{
	return key->spki;
}

const uint8_t *
sign_pub_spki_sha256(const struct sign_pub *pub)
{
	return pub->spki;
}

/* The EVP_PKEY inside key, borrowed; for the CMS adapter only (sign.h). */
void *
sign_key_evp(const struct sign_key *key)
{
	return key != NULL ? key->pkey : NULL;
}

/*
 * PEM password callback that never prompts: an encrypted key file is
 * refused rather than hanging a daemon on a terminal read.
 */
static int
pem_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * Checks that pk is an EC key on P-256.  Returns 0, or CUSTODY_ERR_KEY with
 * a phrase such as "holds an RSA key, not EC P-256" in why.
 */
static int
pkey_check_p256(const EVP_PKEY *pk, char *why, size_t whylen)
{
	char	 group[64];
	size_t	 glen = 0;
	int	 nid;

	if (!EVP_PKEY_is_a(pk, "EC")) {
		const char *type = EVP_PKEY_get0_type_name(pk);

		return custody_fail(why, whylen, CUSTODY_ERR_KEY,
		    "holds a key of type %s, not EC P-256",
		    type != NULL ? type : "non-EC");
	}
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen) != 1) {
		ERR_clear_error();
		return custody_fail(why, whylen, CUSTODY_ERR_KEY,
		    "holds an EC key without a named curve, not P-256");
	}
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	if (nid != NID_X9_62_prime256v1)
		return custody_fail(why, whylen, CUSTODY_ERR_KEY,
		    "holds an EC key on curve %s, not P-256", group);
	return 0;
}

/* Wraps pk (taking ownership on success) as a sign_pub. */
static int
pub_wrap(EVP_PKEY *pk, struct sign_pub **out)
{
	struct sign_pub *pub;

	int r;

	if ((pub = calloc(1, sizeof(*pub))) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((r = spki_sha256(pk, pub->spki)) != 0) {
		free(pub);
		return r;
	}
	pub->pkey = pk;
	*out = pub;
	return 0;
}

/*
 * Reads fd to EOF into a new buffer of max + 1 bytes (NUL-terminated).
 * Returns CUSTODY_ERR_TOOBIG if the file holds more than max bytes.  The
 * caller cleanses and frees *buf (its size is max + 1).
 */
static int
fd_read_all(int fd, size_t max, char **buf, size_t *len)
{
	char	*b = NULL;
	size_t	 n = 0;
	ssize_t	 got;
	int	 r;

	if ((b = malloc(max + 1)) == NULL)
		return CUSTODY_ERR_NOMEM;
	for (;;) {
		if (n == max + 1) {
			r = CUSTODY_ERR_TOOBIG;
			goto out;
		}
		got = read(fd, b + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = CUSTODY_ERR_IO;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	r = 0;
 out:
	if (b != NULL) {
		OPENSSL_cleanse(b, max + 1);
		free(b);
	}
	return r;
}

/*
 * Makes the directory entry of a newly created path durable.  A file
 * system that cannot fsync a directory (EINVAL) is not an error.
 */
static int
fsync_parent(const char *path)
{
	char	*copy;
	int	 fd, r = 0;

	if ((copy = strdup(path)) == NULL)
		return CUSTODY_ERR_NOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = CUSTODY_ERR_IO;
		goto out;
	}
	if (fsync(fd) != 0 && errno != EINVAL)
		r = CUSTODY_ERR_IO;
	(void)close(fd);
 out:
	free(copy);
	return r;
}

/*
 * Finishes a file written through fp: flush, fsync, close, fsync the
 * directory.  Always closes fp.  Returns 0 or CUSTODY_ERR_IO (with errno
 * of the failing step in err).
 */
static int
file_commit(FILE *fp, const char *path, char *err, size_t errlen)
{
	int	 r = 0;

	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot write %s: %s", path, strerror(errno));
	if (fclose(fp) != 0 && r == 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot close %s: %s", path, strerror(errno));
	if (r == 0 && fsync_parent(path) != 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot sync the directory of %s", path);
	return r;
}

/*
 * Creates path exclusively with mode and opens it as a stdio stream.
 * Returns CUSTODY_ERR_EXISTS if path exists (a dangling symlink counts).
 */
static int
file_create(const char *path, mode_t mode, const char *what, FILE **out,
    char *err, size_t errlen)
{
	FILE	*fp;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0 && errno == EEXIST)
		return custody_fail(err, errlen, CUSTODY_ERR_EXISTS,
		    "%s %s already exists; refusing to overwrite it", what,
		    path);
	if (fd < 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot create %s %s: %s", what, path, strerror(errno));
	if ((fp = fdopen(fd, "w")) == NULL) {
		(void)close(fd);
		(void)unlink(path);
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot open %s %s: %s", what, path, strerror(errno));
	}
	*out = fp;
	return 0;
}

/* Creates a new EC P-256 key pair. */
int
sign_key_generate(struct sign_key **out)
{
	struct sign_key	*key = NULL;
	int		 r;

	if (out == NULL)
		return CUSTODY_ERR_INVAL;
	*out = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) ==
	    NULL) {
		ERR_clear_error();
		r = CUSTODY_ERR_CRYPTO;
		goto out;
	}
	if ((r = spki_sha256(key->pkey, key->spki)) != 0)
		goto out;
	*out = key;
	key = NULL;
	r = 0;
 out:
	sign_key_free(key);
	return r;
}

/*
 * Writes key as unencrypted PKCS#8 PEM to a new file of mode 0600 and
 * fsyncs it and its directory.  Never overwrites (CUSTODY_ERR_EXISTS); a
 * file this call created is removed again if writing it fails.  The stdio
 * buffer that sees the PEM is ours and is cleansed.
 */
int
sign_key_save(const struct sign_key *key, const char *path,
    char *err, size_t errlen)
{
	char	 iobuf[4096];
	FILE	*fp = NULL;
	int	 created = 0, r;

	if (key == NULL || path == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no key or no path to save it to");
	if ((r = file_create(path, 0600, "key file", &fp, err, errlen)) != 0)
		goto out;
	created = 1;
	if (setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf)) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot buffer %s", path);
		goto out;
	}
	if (PEM_write_PrivateKey(fp, key->pkey, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		ERR_clear_error();
		r = custody_fail(err, errlen, CUSTODY_ERR_CRYPTO,
		    "cannot encode the key for %s", path);
		goto out;
	}
	r = file_commit(fp, path, err, errlen);
	fp = NULL;
 out:
	if (fp != NULL)
		(void)fclose(fp);
	if (r != 0 && created)
		(void)unlink(path);
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	return r;
}

/*
 * Opens a key file for reading without following a symlink and checks it
 * is a regular file with no group or other permission bits.
 */
static int
key_file_open(const char *path, int *fdp, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s is a symbolic link; it must be a regular "
		    "file", path);
	if (fd < 0 && errno == ENOENT)
		return custody_fail(err, errlen, CUSTODY_ERR_NOTFOUND,
		    "key file %s does not exist", path);
	if (fd < 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot open key file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot stat key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s has mode %04o; it must be 0600 (chmod 600 %s)",
		    path, (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	*fdp = fd;
	fd = -1;
	r = 0;
 out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}

/* Decodes a PEM private key held in buf and checks it is a sound P-256 key. */
static int
key_decode(const char *buf, size_t len, const char *path, EVP_PKEY **out,
    char *err, size_t errlen)
{
	char		 why[128];
	BIO		*bio = NULL;
	EVP_PKEY	*pk = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	int		 r;

	if (strstr(buf, "-----BEGIN ") == NULL || strlen(buf) != len) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s is not a PEM file", path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if ((pk = PEM_read_bio_PrivateKey(bio, NULL, pem_no_password,
	    NULL)) == NULL) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s holds no readable unencrypted PEM private key",
		    path);
		goto out;
	}
	if (pkey_check_p256(pk, why, sizeof(why)) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s %s", path, why);
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_check(ctx) != 1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s holds an inconsistent EC key", path);
		goto out;
	}
	*out = pk;
	pk = NULL;
	r = 0;
 out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return r;
}

/*
 * Loads a private key.  Refuses (CUSTODY_ERR_KEY, reason in err) a symlink,
 * anything but a regular file, a file with group or other permission bits,
 * non-PEM or encrypted contents, and any key but a consistent EC P-256 one.
 * Returns CUSTODY_ERR_NOTFOUND if path does not exist.
 */
int
sign_key_load(const char *path, struct sign_key **out,
    char *err, size_t errlen)
{
	struct sign_key	*key = NULL;
	EVP_PKEY	*pk = NULL;
	char		*buf = NULL;
	size_t		 len = 0;
	int		 fd = -1, r;

	if (out == NULL || path == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no key file named");
	*out = NULL;
	if ((r = key_file_open(path, &fd, err, errlen)) != 0)
		goto out;
	if ((r = fd_read_all(fd, SIGN_KEY_FILE_MAX, &buf, &len)) != 0) {
		if (r == CUSTODY_ERR_TOOBIG)
			r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
			    "key file %s is too large to be a key", path);
		else
			r = custody_fail(err, errlen, r,
			    "cannot read key file %s", path);
		goto out;
	}
	if ((r = key_decode(buf, len, path, &pk, err, errlen)) != 0)
		goto out;
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	key->pkey = pk;
	pk = NULL;
	if ((r = spki_sha256(key->pkey, key->spki)) != 0)
		goto out;
	*out = key;
	key = NULL;
	r = 0;
 out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, SIGN_KEY_FILE_MAX + 1);
		free(buf);
	}
	if (fd >= 0)
		(void)close(fd);
	EVP_PKEY_free(pk);
	return r;
}

/* Frees key and its private half (OpenSSL clears it).  Accepts NULL. */
void
sign_key_free(struct sign_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* DER SPKI of pk in a malloc'd buffer. */
static int
pkey_to_spki(const EVP_PKEY *pk, uint8_t **der, size_t *len)
{
	uint8_t	*buf, *p;
	int	 n;

	if ((n = i2d_PUBKEY(pk, NULL)) <= 0) {
		ERR_clear_error();
		return CUSTODY_ERR_CRYPTO;
	}
	if ((buf = malloc((size_t)n)) == NULL)
		return CUSTODY_ERR_NOMEM;
	p = buf;
	if (i2d_PUBKEY(pk, &p) != n) {
		ERR_clear_error();
		free(buf);
		return CUSTODY_ERR_CRYPTO;
	}
	*der = buf;
	*len = (size_t)n;
	return 0;
}

/* The public half of key, as a new sign_pub holding no private part. */
int
sign_key_public(const struct sign_key *key, struct sign_pub **out)
{
	uint8_t	*der = NULL;
	size_t	 len = 0;
	int	 r;

	if (out == NULL)
		return CUSTODY_ERR_INVAL;
	*out = NULL;
	if (key == NULL)
		return CUSTODY_ERR_INVAL;
	if ((r = pkey_to_spki(key->pkey, &der, &len)) != 0)
		goto out;
	r = sign_pub_from_der(der, len, out);
 out:
	free(der);
	return r;
}

/* DER SubjectPublicKeyInfo of pub, malloc'd; the caller frees it. */
int
sign_pub_to_der(const struct sign_pub *pub, uint8_t **der, size_t *len)
{
	if (der == NULL || len == NULL)
		return CUSTODY_ERR_INVAL;
	*der = NULL;
	*len = 0;
	if (pub == NULL)
		return CUSTODY_ERR_INVAL;
	return pkey_to_spki(pub->pkey, der, len);
}

/*
 * Decodes a DER SPKI.  Refuses trailing bytes, a point not on the curve,
 * and any key but EC P-256 (CUSTODY_ERR_KEY).
 */
int
sign_pub_from_der(const uint8_t *der, size_t len, struct sign_pub **out)
{
	const uint8_t	*p = der;
	EVP_PKEY	*pk = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	int		 r;

	if (out == NULL)
		return CUSTODY_ERR_INVAL;
	*out = NULL;
	if (der == NULL || len == 0 || len > LONG_MAX)
		return CUSTODY_ERR_KEY;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		r = CUSTODY_ERR_KEY;
		goto out;
	}
	if ((r = pkey_check_p256(pk, NULL, 0)) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_public_check(ctx) != 1) {
		r = CUSTODY_ERR_KEY;
		goto out;
	}
	if ((r = pub_wrap(pk, out)) != 0)
		goto out;
	pk = NULL;
 out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

/* Frees pub.  Accepts NULL. */
void
sign_pub_free(struct sign_pub *pub)
{
	if (pub == NULL)
		return;
	EVP_PKEY_free(pub->pkey);
	free(pub);
}

/*
 * Signs msg with ECDSA over SHA-256 and writes the DER signature (at most
 * SIGN_MAX_SIG bytes) to sig and its length to *siglen.  msg may be NULL
 * only if len is 0.
 */
int
sign_data(const struct sign_key *key, const void *msg, size_t len,
    uint8_t *sig, size_t *siglen)
{
	uint8_t		 buf[SIGN_MAX_SIG];
	size_t		 n = sizeof(buf);
	EVP_MD_CTX	*ctx = NULL;
	int		 r;

	if (key == NULL || sig == NULL || siglen == NULL ||
	    (msg == NULL && len != 0))
		return CUSTODY_ERR_INVAL;
	if (msg == NULL)
		msg = "";
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return CUSTODY_ERR_NOMEM;
	/*
	 * The length is checked, not trusted: OpenSSL 3.0's ECDSA reports
	 * success with a length of (unsigned int)-1 when it cannot
	 * allocate while encoding the signature (test_fault's allocation
	 * sweep), and copying that much would smash the caller's stack.
	 */
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    key->pkey) != 1 ||
	    EVP_DigestSign(ctx, buf, &n, msg, len) != 1 ||
	    n == 0 || n > sizeof(buf)) {
		ERR_clear_error();
		r = CUSTODY_ERR_CRYPTO;
		goto out;
	}
	memcpy(sig, buf, n);
	*siglen = n;
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/*
 * Returns 0 if sig is a valid DER ECDSA-SHA256 signature of msg under pub,
 * CUSTODY_ERR_VERIFY if it is not (including a malformed signature).
 */
int
sign_verify(const struct sign_pub *pub, const void *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx = NULL;
	int		 r;

	if (pub == NULL || (msg == NULL && len != 0))
		return CUSTODY_ERR_INVAL;
	if (sig == NULL || siglen == 0 || siglen > SIGN_MAX_SIG)
		return CUSTODY_ERR_VERIFY;
	if (msg == NULL)
		msg = "";
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return CUSTODY_ERR_NOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    pub->pkey) != 1) {
		r = CUSTODY_ERR_CRYPTO;
		goto out;
	}
	r = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1 ? 0 :
	    CUSTODY_ERR_VERIFY;
 out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Sets a random positive 128-bit serial (top byte 01xxxxxx: 126 bits). */
static int
cert_set_serial(X509 *x)
{
	uint8_t		 raw[16];
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai = NULL;
	int		 r = CUSTODY_ERR_CRYPTO;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	raw[0] = (raw[0] & 0x3f) | 0x40;
	if ((bn = BN_bin2bn(raw, sizeof(raw), NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, ai) != 1)
		goto out;
	r = 0;
 out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return r;
}

/* Sets subject = issuer = CN=cn. */
static int
cert_set_names(X509 *x, const char *cn)
{
	X509_NAME	*name = NULL;
	int		 r = CUSTODY_ERR_CRYPTO;

	if ((name = X509_NAME_new()) == NULL)
		goto out;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1) {
		r = CUSTODY_ERR_INVAL;
		goto out;
	}
	if (X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto out;
	r = 0;
 out:
	X509_NAME_free(name);
	return r;
}

/* Adds one extension given in openssl.cnf syntax. */
static int
cert_add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, v3, nid, value)) == NULL)
		return CUSTODY_ERR_CRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : CUSTODY_ERR_CRYPTO;
}

/* Fills in and signs the certificate body. */
static int
cert_build(X509 *x, EVP_PKEY *pk, const char *cn, int days)
{
	X509V3_CTX	 v3;
	int		 r;

	if (X509_set_version(x, X509_VERSION_3) != 1)
		return CUSTODY_ERR_CRYPTO;
	if ((r = cert_set_serial(x)) != 0 || (r = cert_set_names(x, cn)) != 0)
		return r;
	if (X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, pk) != 1)
		return CUSTODY_ERR_CRYPTO;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((r = cert_add_ext(x, &v3, NID_basic_constraints,
	    "critical,CA:TRUE")) != 0 ||
	    (r = cert_add_ext(x, &v3, NID_key_usage,
	    "critical,digitalSignature,keyCertSign")) != 0 ||
	    (r = cert_add_ext(x, &v3, NID_subject_key_identifier,
	    "hash")) != 0)
		return r;
	if (X509_sign(x, pk, EVP_sha256()) <= 0)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/* DER of x in a malloc'd buffer. */
static int
cert_to_der(X509 *x, uint8_t **der, size_t *len)
{
	uint8_t	*buf, *p;
	int	 n;

	if ((n = i2d_X509(x, NULL)) <= 0)
		return CUSTODY_ERR_CRYPTO;
	if ((buf = malloc((size_t)n)) == NULL)
		return CUSTODY_ERR_NOMEM;
	p = buf;
	if (i2d_X509(x, &p) != n) {
		free(buf);
		return CUSTODY_ERR_CRYPTO;
	}
	*der = buf;
	*len = (size_t)n;
	return 0;
}

/* Decodes exactly len bytes of DER as one certificate. */
static X509 *
cert_from_der(const uint8_t *der, size_t len)
{
	const uint8_t	*p = der;
	X509		*x;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return NULL;
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * A self-signed X.509 v3 certificate for key: subject = issuer =
 * CN=common_name (1 to 64 bytes), a random positive 128-bit serial, valid
 * from now for `days` (1 to 36525) days, basicConstraints critical CA:TRUE,
 * keyUsage critical digitalSignature+keyCertSign, a subjectKeyIdentifier,
 * signed with ECDSA-SHA256.  DER in a malloc'd buffer; the caller frees it.
 */
int
sign_cert_create(const struct sign_key *key, const char *common_name,
    int days, uint8_t **der, size_t *len)
{
	X509	*x = NULL;
	size_t	 cnlen;
	int	 r;

	if (der == NULL || len == NULL)
		return CUSTODY_ERR_INVAL;
	*der = NULL;
	*len = 0;
	if (key == NULL || common_name == NULL || days < 1 ||
	    days > SIGN_CERT_MAX_DAYS)
		return CUSTODY_ERR_INVAL;
	cnlen = strlen(common_name);
	if (cnlen == 0 || cnlen > SIGN_CN_MAX)
		return CUSTODY_ERR_INVAL;
	if ((x = X509_new()) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((r = cert_build(x, key->pkey, common_name, days)) != 0)
		goto out;
	r = cert_to_der(x, der, len);
 out:
	if (r != 0)
		ERR_clear_error();
	X509_free(x);
	return r;
}

/*
 * Writes a DER certificate as PEM to a new file of mode 0644 (set
 * explicitly, whatever the umask: a certificate is public), fsynced.
 * Never overwrites (CUSTODY_ERR_EXISTS).
 */
int
sign_cert_save_pem(const uint8_t *der, size_t len, const char *path,
    char *err, size_t errlen)
{
	X509	*x = NULL;
	FILE	*fp = NULL;
	int	 created = 0, r;

	if (path == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no path to save the certificate to");
	if ((x = cert_from_der(der, len)) == NULL) {
		r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "not a DER certificate");
		goto out;
	}
	if ((r = file_create(path, 0644, "certificate file", &fp, err,
	    errlen)) != 0)
		goto out;
	created = 1;
	if (fchmod(fileno(fp), 0644) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot chmod %s: %s", path, strerror(errno));
		goto out;
	}
	if (PEM_write_X509(fp, x) != 1) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CRYPTO,
		    "cannot encode the certificate for %s", path);
		goto out;
	}
	r = file_commit(fp, path, err, errlen);
	fp = NULL;
 out:
	if (fp != NULL)
		(void)fclose(fp);
	if (r != 0 && created)
		(void)unlink(path);
	if (r != 0)
		ERR_clear_error();
	X509_free(x);
	return r;
}

/* Reads a whole (small) file; NOTFOUND, IO or CORRUPT (too large). */
static int
cert_file_read(const char *path, char **buf, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 st;
	int		 fd, r;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return custody_fail(err, errlen, CUSTODY_ERR_NOTFOUND,
		    "certificate file %s does not exist", path);
	if (fd < 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot open certificate file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "certificate file %s is not a regular file", path);
		goto out;
	}
	if ((r = fd_read_all(fd, SIGN_CERT_FILE_MAX, buf, len)) != 0) {
		if (r == CUSTODY_ERR_TOOBIG)
			r = CUSTODY_ERR_CORRUPT;
		r = custody_fail(err, errlen, r,
		    "cannot read certificate file %s (or it is too large)",
		    path);
	}
 out:
	(void)close(fd);
	return r;
}

/* Reads the first certificate of a PEM file as DER (malloc'd). */
int
sign_cert_load_pem(const char *path, uint8_t **der, size_t *len,
    char *err, size_t errlen)
{
	char	*buf = NULL;
	size_t	 n = 0;
	BIO	*bio = NULL;
	X509	*x = NULL;
	int	 r;

	if (der == NULL || len == NULL || path == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no certificate file named");
	*der = NULL;
	*len = 0;
	if ((r = cert_file_read(path, &buf, &n, err, errlen)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)n)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, pem_no_password,
	    NULL)) == NULL) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "certificate file %s holds no PEM certificate", path);
		goto out;
	}
	r = cert_to_der(x, der, len);
 out:
	if (r != 0)
		ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	free(buf);
	return r;
}

/*
 * The public key inside a DER certificate, which must be EC P-256
 * (CUSTODY_ERR_KEY otherwise; CUSTODY_ERR_INVAL if der is not one DER
 * certificate).  The certificate's own signature is not checked.
 */
int
sign_cert_pub(const uint8_t *der, size_t len, struct sign_pub **out)
{
	X509		*x = NULL;
	EVP_PKEY	*pk = NULL;
	uint8_t		*spki = NULL;
	size_t		 spkilen = 0;
	int		 r;

	if (out == NULL)
		return CUSTODY_ERR_INVAL;
	*out = NULL;
	if ((x = cert_from_der(der, len)) == NULL) {
		r = CUSTODY_ERR_INVAL;
		goto out;
	}
	if ((pk = X509_get_pubkey(x)) == NULL) {
		r = CUSTODY_ERR_KEY;
		goto out;
	}
	/* Re-decode, so the sign_pub gets every check of the SPKI path. */
	if ((r = pkey_to_spki(pk, &spki, &spkilen)) != 0)
		goto out;
	r = sign_pub_from_der(spki, spkilen, out);
 out:
	if (r != 0)
		ERR_clear_error();
	free(spki);
	EVP_PKEY_free(pk);
	X509_free(x);
	return r;
}

/*
 * SHA-256 of the certificate DER as 64 lowercase hex digits and a NUL.
 * Writes the empty string if hashing fails (it cannot for valid input).
 */
void
sign_cert_fingerprint(const uint8_t *der, size_t len,
    char hex[SIGN_FPR_HEX])
{
	static const char	 digits[] = "0123456789abcdef";
	uint8_t			 md[32];
	unsigned int		 mdlen = 0;
	size_t			 i;

	hex[0] = '\0';
	if (der == NULL && len != 0)
		return;
	if (EVP_Digest(der != NULL ? (const void *)der : "", len, md, &mdlen,
	    EVP_sha256(), NULL) != 1 || mdlen != sizeof(md)) {
		ERR_clear_error();
		return;
	}
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * sizeof(md)] = '\0';
}

int
sign_cert_from_pem(const char *pem, uint8_t **der, size_t *len)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *d = NULL;
	int n, r = CUSTODY_ERR_INVAL;

	*der = NULL;
	if (pem == NULL || strlen(pem) > 65536 ||
	    (bio = BIO_new_mem_buf(pem, (int)strlen(pem))) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_X509(x, &d)) <= 0)
		goto out;
	if ((*der = malloc((size_t)n)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	memcpy(*der, d, (size_t)n);
	*len = (size_t)n;
	r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(d);
	X509_free(x);
	BIO_free(bio);
	return r;
}
