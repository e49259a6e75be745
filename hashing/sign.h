/*
 * sign.h -- the station's ECDSA P-256 key, its self-signed certificate,
 * and signatures (ECDSA with SHA-256, DER-encoded).
 *
 * ECDSA rather than Ed25519 because OpenSSL 3.0's CMS cannot sign with
 * Ed25519, and the same key signs the police exports.
 */
#ifndef CUSTODY_SIGN_H
#define CUSTODY_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_MAX_SIG		80	/* DER ECDSA P-256 is at most 72 */
#define SIGN_FPR_HEX		65	/* 64 hex digits and NUL */

struct sign_key;	/* a private key (opaque) */
struct sign_pub;	/* a public key (opaque) */

int	sign_key_generate(struct sign_key **out);

/*
 * Writes the key as PKCS#8 PEM to a new file of mode 0600 (O_EXCL: never
 * overwrites), fsyncs it.  Returns CUSTODY_ERR_EXISTS if path exists.
 */
int	sign_key_save(const struct sign_key *key, const char *path,
	    char *err, size_t errlen);

/*
 * Loads a private key.  Refuses (CUSTODY_ERR_KEY, with a reason in err) a
 * file readable or writable by group or others, not a regular file, not
 * PEM, or not an EC P-256 key.
 */
int	sign_key_load(const char *path, struct sign_key **out,
	    char *err, size_t errlen);
void	sign_key_free(struct sign_key *key);	/* accepts NULL */

/* The public half of key, as a new sign_pub. */
int	sign_key_public(const struct sign_key *key, struct sign_pub **out);

/* DER SubjectPublicKeyInfo, allocated; caller frees with free(). */
int	sign_pub_to_der(const struct sign_pub *pub, uint8_t **der,
	    size_t *len);
/* Refuses anything but an EC P-256 SPKI (CUSTODY_ERR_KEY). */
int	sign_pub_from_der(const uint8_t *der, size_t len,
	    struct sign_pub **out);
void	sign_pub_free(struct sign_pub *pub);	/* accepts NULL */

/*
 * SHA-256 of the key's DER SubjectPublicKeyInfo (32 bytes), computed
 * once when the object was made.
 */
const uint8_t	*sign_key_spki_sha256(const struct sign_key *key);
const uint8_t	*sign_pub_spki_sha256(const struct sign_pub *pub);

/*
 * The key's OpenSSL EVP_PKEY (as void *, so this header stays free of
 * OpenSSL), for the CMS adapter (evidence/bag.c) only: CMS_add1_signer
 * needs the EVP_PKEY itself.  Borrowed: key keeps owning it; the caller
 * must not free it or use it after sign_key_free(key).
 */
void		*sign_key_evp(const struct sign_key *key);

/* Signs msg (SHA-256 inside).  sig holds SIGN_MAX_SIG bytes. */
int	sign_data(const struct sign_key *key, const void *msg, size_t len,
	    uint8_t *sig, size_t *siglen);
/* Returns 0 if sig is a valid signature of msg, CUSTODY_ERR_VERIFY if not. */
int	sign_verify(const struct sign_pub *pub, const void *msg, size_t len,
	    const uint8_t *sig, size_t siglen);

/*
 * A self-signed X.509 v3 certificate for key, subject CN=common_name,
 * valid for `days`, as DER (allocated; free()).  Usable to verify CMS
 * signatures with `openssl cms -verify -CAfile station.pem -purpose any`.
 */
int	sign_cert_create(const struct sign_key *key, const char *common_name,
	    int days, uint8_t **der, size_t *len);
/* Writes DER as a PEM certificate file, mode 0644, O_EXCL. */
int	sign_cert_save_pem(const uint8_t *der, size_t len, const char *path,
	    char *err, size_t errlen);
/* The first certificate in PEM text, as DER (allocated). */
int	sign_cert_from_pem(const char *pem, uint8_t **der, size_t *len);
/* Reads the first certificate of a PEM file as DER (allocated). */
int	sign_cert_load_pem(const char *path, uint8_t **der, size_t *len,
	    char *err, size_t errlen);
/* The public key inside a DER certificate. */
int	sign_cert_pub(const uint8_t *der, size_t len, struct sign_pub **out);
/*
 * SHA-256 of the certificate DER as lowercase hex: the same value as
 * `openssl x509 -noout -fingerprint -sha256` without the colons.
 */
void	sign_cert_fingerprint(const uint8_t *der, size_t len,
	    char hex[SIGN_FPR_HEX]);

#endif
