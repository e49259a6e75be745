/*
 * test_sign.c -- the station key, certificate and signatures.
 *
 * Keys are generated at test time in a fresh mkdtemp directory per test;
 * nothing secret is committed.  The openssl command-line tool is the
 * independent referee for fingerprints, certificate validity and CMS.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "hashing/sign.h"

#define ERRLEN	256

struct fixture {
	char	 dir[64];
};

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/custody-sign-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	(void)nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* f->dir "/" name into buf (PATH_MAX-ish). */
static const char *
path_in(const struct fixture *f, const char *name, char *buf, size_t len)
{
	int	 n;

	n = snprintf(buf, len, "%s/%s", f->dir, name);
	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

/*
 * Runs a shell command (built from test-controlled strings only), collects
 * its output (stderr folded in by the caller's "2>&1") and returns its
 * exit status.
 */
static int
run(char *out, size_t outlen, const char *fmt, ...)
{
	char	 cmd[2048];
	va_list	 ap;
	FILE	*p;
	size_t	 n = 0, got;
	int	 len, st;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(len > 0 && (size_t)len < sizeof(cmd));
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < outlen &&
	    (got = fread(out + n, 1, outlen - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	FILE	*fp;

	fp = fopen(path, "wx");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Writes pk as PKCS#8 PEM, mode 0600, with the OpenSSL API. */
static void
write_pkey(const char *path, EVP_PKEY *pk)
{
	FILE	*fp;

	fp = fopen(path, "wx");
	assert_non_null(fp);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL,
	    NULL), 1);
	assert_int_equal(fclose(fp), 0);
}

static void
pub_der_of_key(const struct sign_key *key, uint8_t **der, size_t *len)
{
	struct sign_pub	*pub = NULL;

	assert_int_equal(sign_key_public(key, &pub), 0);
	assert_int_equal(sign_pub_to_der(pub, der, len), 0);
	sign_pub_free(pub);
}

/* Expects load to refuse with code and an err containing want. */
static void
expect_load_refused(const char *path, int code, const char *want)
{
	struct sign_key	*key = (struct sign_key *)&key;
	char		 err[ERRLEN] = "";

	assert_int_equal(sign_key_load(path, &key, err, sizeof(err)), code);
	assert_null(key);
	if (strstr(err, want) == NULL)
		fail_msg("err \"%s\" does not mention \"%s\"", err, want);
}

static void
test_key_save_load_roundtrip(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL, *loaded = NULL;
	struct stat	 st;
	char		 path[256], err[ERRLEN] = "", pem[512];
	uint8_t		*d1 = NULL, *d2 = NULL;
	size_t		 l1 = 0, l2 = 0;

	path_in(f, "station.key", path, sizeof(path));
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, path, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* PKCS#8, unencrypted. */
	assert_int_equal(run(pem, sizeof(pem), "head -n 1 '%s'", path), 0);
	assert_string_equal(pem, "-----BEGIN PRIVATE KEY-----\n");
	assert_int_equal(sign_key_load(path, &loaded, err, sizeof(err)), 0);
	assert_non_null(loaded);
	pub_der_of_key(key, &d1, &l1);
	pub_der_of_key(loaded, &d2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	free(d1);
	free(d2);
	sign_key_free(key);
	sign_key_free(loaded);
}

static void
test_key_save_refuses_overwrite(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL;
	struct stat	 st;
	char		 path[256], err[ERRLEN] = "";

	path_in(f, "exists.key", path, sizeof(path));
	write_file(path, "precious\n", 9, 0600);
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, path, err, sizeof(err)),
	    CUSTODY_ERR_EXISTS);
	assert_non_null(strstr(err, "already exists"));
	/* The existing file is untouched, not removed. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 9);
	/* A dangling symlink is not followed either. */
	path_in(f, "dangling.key", path, sizeof(path));
	assert_int_equal(symlink("/nonexistent/custody-target", path), 0);
	assert_int_equal(sign_key_save(key, path, err, sizeof(err)),
	    CUSTODY_ERR_EXISTS);
	sign_key_free(key);
}

static void
test_key_load_refuses_group_other_modes(void **state)
{
	static const mode_t	 modes[] = { 0644, 0640, 0604, 0660, 0601 };
	struct fixture		*f = *state;
	struct sign_key		*key = NULL;
	char			 path[256], want[600], err[ERRLEN] = "";
	size_t			 i;
	int			 n;

	path_in(f, "station.key", path, sizeof(path));
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, path, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		n = snprintf(want, sizeof(want),
		    "key file %s has mode %04o; it must be 0600 "
		    "(chmod 600 %s)", path, (unsigned int)modes[i], path);
		assert_true(n > 0 && (size_t)n < sizeof(want));
		expect_load_refused(path, CUSTODY_ERR_KEY, want);
	}
	/* Stricter than 0600 is fine. */
	assert_int_equal(chmod(path, 0400), 0);
	sign_key_free(key);
	key = NULL;
	assert_int_equal(sign_key_load(path, &key, err, sizeof(err)), 0);
	sign_key_free(key);
}

static void
test_key_load_refuses_directory(void **state)
{
	struct fixture	*f = *state;
	char		 path[256];

	path_in(f, "adir", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	expect_load_refused(path, CUSTODY_ERR_KEY, "not a regular file");
}

static void
test_key_load_refuses_symlink(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL;
	char		 path[256], link[256], err[ERRLEN] = "";

	path_in(f, "real.key", path, sizeof(path));
	path_in(f, "link.key", link, sizeof(link));
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, path, err, sizeof(err)), 0);
	assert_int_equal(symlink(path, link), 0);
	expect_load_refused(link, CUSTODY_ERR_KEY, "symbolic link");
	sign_key_free(key);
}

static void
test_key_load_refuses_garbage(void **state)
{
	static const char	 junk_pem[] = "-----BEGIN PRIVATE KEY-----\n"
	    "bm90IGEga2V5IGF0IGFsbAo=\n-----END PRIVATE KEY-----\n";
	static const char	 with_nul[] = "-----BEGIN PRIVATE KEY-----\n"
	    "\0bm90IGEga2V5IGF0IGFsbAo=\n-----END PRIVATE KEY-----\n";
	struct fixture		*f = *state;
	char			 path[256];

	path_in(f, "text.key", path, sizeof(path));
	write_file(path, "hello, world\n", 13, 0600);
	expect_load_refused(path, CUSTODY_ERR_KEY, "not a PEM file");

	path_in(f, "empty.key", path, sizeof(path));
	write_file(path, "", 0, 0600);
	expect_load_refused(path, CUSTODY_ERR_KEY, "not a PEM file");

	path_in(f, "nul.key", path, sizeof(path));
	write_file(path, with_nul, sizeof(with_nul) - 1, 0600);
	expect_load_refused(path, CUSTODY_ERR_KEY, "not a PEM file");

	path_in(f, "junk.key", path, sizeof(path));
	write_file(path, junk_pem, sizeof(junk_pem) - 1, 0600);
	expect_load_refused(path, CUSTODY_ERR_KEY,
	    "no readable unencrypted PEM private key");
}

static void
test_key_load_refuses_huge_file(void **state)
{
	struct fixture	*f = *state;
	char		 path[256], *big;

	big = malloc(100000);
	assert_non_null(big);
	memset(big, 'A', 100000);
	path_in(f, "huge.key", path, sizeof(path));
	write_file(path, big, 100000, 0600);
	free(big);
	expect_load_refused(path, CUSTODY_ERR_KEY, "too large");
}

static void
test_key_load_refuses_rsa(void **state)
{
	struct fixture	*f = *state;
	EVP_PKEY	*rsa;
	char		 path[256];

	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(rsa);
	path_in(f, "rsa.key", path, sizeof(path));
	write_pkey(path, rsa);
	EVP_PKEY_free(rsa);
	expect_load_refused(path, CUSTODY_ERR_KEY,
	    "holds a key of type RSA, not EC P-256");
}

static void
test_key_load_refuses_p384(void **state)
{
	struct fixture	*f = *state;
	char		 path[256], out[1024];

	path_in(f, "p384.key", path, sizeof(path));
	if (run(out, sizeof(out), "openssl genpkey -algorithm EC -pkeyopt "
	    "ec_paramgen_curve:P-384 -out '%s' 2>&1", path) != 0)
		fail_msg("openssl genpkey failed: %s", out);
	assert_int_equal(chmod(path, 0600), 0);
	expect_load_refused(path, CUSTODY_ERR_KEY,
	    "holds an EC key on curve secp384r1, not P-256");
}

static void
test_key_load_refuses_encrypted(void **state)
{
	struct fixture	*f = *state;
	char		 path[256], out[1024];

	path_in(f, "enc.key", path, sizeof(path));
	if (run(out, sizeof(out), "openssl genpkey -algorithm EC -pkeyopt "
	    "ec_paramgen_curve:P-256 -aes-256-cbc -pass pass:secret "
	    "-out '%s' 2>&1 </dev/null", path) != 0)
		fail_msg("openssl genpkey failed: %s", out);
	assert_int_equal(chmod(path, 0600), 0);
	/* Must be refused without prompting for a password. */
	expect_load_refused(path, CUSTODY_ERR_KEY, "unencrypted");
}

static void
test_key_load_accepts_openssl_p256(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL;
	char		 path[256], out[1024], err[ERRLEN] = "";

	path_in(f, "cli.key", path, sizeof(path));
	if (run(out, sizeof(out), "openssl genpkey -algorithm EC -pkeyopt "
	    "ec_paramgen_curve:P-256 -out '%s' 2>&1", path) != 0)
		fail_msg("openssl genpkey failed: %s", out);
	assert_int_equal(chmod(path, 0600), 0);
	if (sign_key_load(path, &key, err, sizeof(err)) != 0)
		fail_msg("load refused: %s", err);
	sign_key_free(key);
}

static void
test_key_load_missing(void **state)
{
	struct fixture	*f = *state;
	char		 path[256];

	path_in(f, "absent.key", path, sizeof(path));
	expect_load_refused(path, CUSTODY_ERR_NOTFOUND, "does not exist");
}

static void
test_sign_verify(void **state)
{
	static const char	 msg[] = "custody checkpoint 42\n";
	struct sign_key		*key = NULL, *other = NULL;
	struct sign_pub		*pub = NULL, *opub = NULL;
	uint8_t			 sig[SIGN_MAX_SIG], bad[SIGN_MAX_SIG];
	uint8_t			 m[sizeof(msg)];
	size_t			 siglen = 0, i;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_generate(&other), 0);
	assert_int_equal(sign_key_public(key, &pub), 0);
	assert_int_equal(sign_key_public(other, &opub), 0);
	assert_int_equal(sign_data(key, msg, sizeof(msg) - 1, sig, &siglen),
	    0);
	assert_true(siglen >= 8 && siglen <= 72);
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig, siglen),
	    0);
	/* Every flipped signature byte fails. */
	for (i = 0; i < siglen; i++) {
		memcpy(bad, sig, siglen);
		bad[i] ^= 0x01;
		assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, bad,
		    siglen), CUSTODY_ERR_VERIFY);
	}
	/* Every flipped message byte fails. */
	for (i = 0; i < sizeof(msg) - 1; i++) {
		memcpy(m, msg, sizeof(msg));
		m[i] ^= 0x01;
		assert_int_equal(sign_verify(pub, m, sizeof(msg) - 1, sig,
		    siglen), CUSTODY_ERR_VERIFY);
	}
	/* Truncated, extended, empty, or another key's: all fail. */
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig,
	    siglen - 1), CUSTODY_ERR_VERIFY);
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 2, sig, siglen),
	    CUSTODY_ERR_VERIFY);
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig, 0),
	    CUSTODY_ERR_VERIFY);
	assert_int_equal(sign_verify(opub, msg, sizeof(msg) - 1, sig, siglen),
	    CUSTODY_ERR_VERIFY);
	/* The empty message signs and verifies. */
	assert_int_equal(sign_data(key, NULL, 0, sig, &siglen), 0);
	assert_int_equal(sign_verify(pub, "", 0, sig, siglen), 0);
	sign_pub_free(pub);
	sign_pub_free(opub);
	sign_key_free(key);
	sign_key_free(other);
}

static void
expect_spki_refused(EVP_PKEY *pk)
{
	struct sign_pub	*pub = (struct sign_pub *)&pub;
	uint8_t		*der = NULL;
	int		 n;

	n = i2d_PUBKEY(pk, &der);
	assert_true(n > 0);
	assert_int_equal(sign_pub_from_der(der, (size_t)n, &pub),
	    CUSTODY_ERR_KEY);
	assert_null(pub);
	OPENSSL_free(der);
}

static void
test_pub_der_roundtrip(void **state)
{
	struct sign_key	*key = NULL;
	struct sign_pub	*pub = NULL, *back = NULL;
	EVP_PKEY	*pk;
	uint8_t		*d1 = NULL, *d2 = NULL, *longer;
	size_t		 l1 = 0, l2 = 0;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_public(key, &pub), 0);
	assert_int_equal(sign_pub_to_der(pub, &d1, &l1), 0);
	assert_int_equal(l1, 91);	/* P-256 SPKI, uncompressed point */
	assert_int_equal(sign_pub_from_der(d1, l1, &back), 0);
	assert_int_equal(sign_pub_to_der(back, &d2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	sign_pub_free(back);
	back = NULL;
	/* Truncated, or with a trailing byte: refused. */
	assert_int_equal(sign_pub_from_der(d1, l1 - 1, &back),
	    CUSTODY_ERR_KEY);
	longer = malloc(l1 + 1);
	assert_non_null(longer);
	memcpy(longer, d1, l1);
	longer[l1] = 0;
	assert_int_equal(sign_pub_from_der(longer, l1 + 1, &back),
	    CUSTODY_ERR_KEY);
	/* A point off the curve: refused. */
	memcpy(longer, d1, l1);
	longer[l1 - 1] ^= 0x01;
	assert_int_equal(sign_pub_from_der(longer, l1, &back),
	    CUSTODY_ERR_KEY);
	free(longer);
	assert_int_equal(sign_pub_from_der((const uint8_t *)"\x30\x00", 2,
	    &back), CUSTODY_ERR_KEY);
	assert_null(back);
	/* Other curves and algorithms: refused. */
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_non_null(pk);
	expect_spki_refused(pk);
	EVP_PKEY_free(pk);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pk);
	expect_spki_refused(pk);
	EVP_PKEY_free(pk);
	free(d1);
	free(d2);
	sign_pub_free(pub);
	sign_key_free(key);
}

/* Creates key + cert in f->dir; returns the cert DER and paths. */
static void
make_cert(struct fixture *f, struct sign_key **key, uint8_t **der,
    size_t *len, char *keypath, char *certpath, size_t pathlen)
{
	char	 err[ERRLEN] = "";

	path_in(f, "station.key", keypath, pathlen);
	path_in(f, "station.pem", certpath, pathlen);
	assert_int_equal(sign_key_generate(key), 0);
	assert_int_equal(sign_key_save(*key, keypath, err, sizeof(err)), 0);
	assert_int_equal(sign_cert_create(*key, "custody station test", 3650,
	    der, len), 0);
	if (sign_cert_save_pem(*der, *len, certpath, err, sizeof(err)) != 0)
		fail_msg("save: %s", err);
}

/* "SHA256 Fingerprint=AB:CD:..." -> "abcd..." */
static void
normalise_fpr(const char *in, char *out, size_t outlen)
{
	const char	*p;
	size_t		 o = 0;

	p = strchr(in, '=');
	assert_non_null(p);
	for (p++; *p != '\0' && *p != '\n' && o + 1 < outlen; p++) {
		if (*p == ':')
			continue;
		out[o++] = (*p >= 'A' && *p <= 'F') ? (char)(*p - 'A' + 'a') :
		    *p;
	}
	out[o] = '\0';
}

static void
test_cert_fingerprint_matches_openssl(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL;
	struct stat	 st;
	char		 kp[256], cp[256], out[512], theirs[128];
	char		 ours[SIGN_FPR_HEX];
	uint8_t		*der = NULL;
	size_t		 len = 0;

	make_cert(f, &key, &der, &len, kp, cp, sizeof(kp));
	assert_int_equal(stat(cp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	sign_cert_fingerprint(der, len, ours);
	assert_int_equal(strlen(ours), 64);
	if (run(out, sizeof(out), "openssl x509 -noout -fingerprint "
	    "-sha256 -in '%s' 2>&1", cp) != 0)
		fail_msg("openssl x509 failed: %s", out);
	normalise_fpr(out, theirs, sizeof(theirs));
	assert_string_equal(ours, theirs);
	free(der);
	sign_key_free(key);
}

static void
test_cert_accepted_by_openssl(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL;
	char		 kp[256], cp[256], content[256], p7s[256];
	char		 out[8192];
	uint8_t		*der = NULL;
	size_t		 len = 0;

	make_cert(f, &key, &der, &len, kp, cp, sizeof(kp));
	if (run(out, sizeof(out), "openssl verify -CAfile '%s' '%s' 2>&1",
	    cp, cp) != 0)
		fail_msg("openssl verify refused: %s", out);
	assert_non_null(strstr(out, ": OK"));

	assert_int_equal(run(out, sizeof(out), "openssl x509 -noout -text "
	    "-in '%s' 2>&1", cp), 0);
	assert_non_null(strstr(out, "Version: 3 (0x2)"));
	assert_non_null(strstr(out, "Subject: CN = custody station test"));
	assert_non_null(strstr(out, "Issuer: CN = custody station test"));
	assert_non_null(strstr(out, "X509v3 Basic Constraints: critical"));
	assert_non_null(strstr(out, "CA:TRUE"));
	assert_non_null(strstr(out,
	    "Digital Signature, Certificate Sign"));
	assert_non_null(strstr(out, "X509v3 Subject Key Identifier"));
	assert_non_null(strstr(out, "ecdsa-with-SHA256"));
	assert_non_null(strstr(out, "NIST CURVE: P-256"));

	/* DESIGN.md section 10: police verify a CMS signature with it. */
	path_in(f, "tagmanifest.txt", content, sizeof(content));
	path_in(f, "tagmanifest.txt.p7s", p7s, sizeof(p7s));
	write_file(content, "abc  data/case.json\n", 20, 0644);
	if (run(out, sizeof(out), "openssl cms -sign -binary -in '%s' "
	    "-signer '%s' -inkey '%s' -outform DER -out '%s' 2>&1", content,
	    cp, kp, p7s) != 0)
		fail_msg("openssl cms -sign failed: %s", out);
	if (run(out, sizeof(out), "openssl cms -verify -binary -inform DER "
	    "-in '%s' -content '%s' -CAfile '%s' -purpose any "
	    "-out /dev/null 2>&1", p7s, content, cp) != 0)
		fail_msg("openssl cms -verify refused: %s", out);
	free(der);
	sign_key_free(key);
}

static void
test_cert_save_load_pem(void **state)
{
	struct fixture	*f = *state;
	struct sign_key	*key = NULL;
	struct sign_pub	*pub = NULL;
	char		 kp[256], cp[256], err[ERRLEN] = "";
	uint8_t		*der = NULL, *back = NULL, *d1 = NULL, *d2 = NULL;
	size_t		 len = 0, blen = 0, l1 = 0, l2 = 0;

	make_cert(f, &key, &der, &len, kp, cp, sizeof(kp));
	assert_int_equal(sign_cert_load_pem(cp, &back, &blen, err,
	    sizeof(err)), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(back, der, len);
	/* O_EXCL: a second save is refused. */
	assert_int_equal(sign_cert_save_pem(der, len, cp, err, sizeof(err)),
	    CUSTODY_ERR_EXISTS);
	assert_non_null(strstr(err, "already exists"));
	/* The certificate carries the key's public half. */
	assert_int_equal(sign_cert_pub(der, len, &pub), 0);
	assert_int_equal(sign_pub_to_der(pub, &d1, &l1), 0);
	pub_der_of_key(key, &d2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	sign_pub_free(pub);
	pub = NULL;
	assert_int_equal(sign_cert_pub(der, len - 1, &pub), CUSTODY_ERR_INVAL);
	assert_null(pub);
	free(d1);
	free(d2);
	free(back);
	free(der);
	sign_key_free(key);
}

static void
test_cert_load_refuses_garbage(void **state)
{
	struct fixture	*f = *state;
	char		 path[256], err[ERRLEN] = "";
	uint8_t		*der = (uint8_t *)&der;
	size_t		 len = 7;

	path_in(f, "garbage.pem", path, sizeof(path));
	write_file(path, "not a certificate\n", 18, 0644);
	assert_int_equal(sign_cert_load_pem(path, &der, &len, err,
	    sizeof(err)), CUSTODY_ERR_CORRUPT);
	assert_null(der);
	assert_non_null(strstr(err, "holds no PEM certificate"));
	path_in(f, "absent.pem", path, sizeof(path));
	assert_int_equal(sign_cert_load_pem(path, &der, &len, err,
	    sizeof(err)), CUSTODY_ERR_NOTFOUND);
	assert_int_equal(sign_cert_save_pem((const uint8_t *)"\x30\x00", 2,
	    path, err, sizeof(err)), CUSTODY_ERR_INVAL);
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_cert_create_refuses_bad_args(void **state)
{
	char		 cn[80];
	struct sign_key	*key = NULL;
	uint8_t		*der = NULL;
	size_t		 len = 0;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_cert_create(key, "x", 0, &der, &len),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(sign_cert_create(key, "x", -5, &der, &len),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(sign_cert_create(key, "", 10, &der, &len),
	    CUSTODY_ERR_INVAL);
	memset(cn, 'a', sizeof(cn) - 1);
	cn[sizeof(cn) - 1] = '\0';
	assert_int_equal(sign_cert_create(key, cn, 10, &der, &len),
	    CUSTODY_ERR_INVAL);
	assert_int_equal(sign_cert_create(NULL, "x", 10, &der, &len),
	    CUSTODY_ERR_INVAL);
	assert_null(der);
	sign_key_free(key);
}

static void
test_cert_serials_differ(void **state)
{
	struct sign_key	*key = NULL;
	X509		*a, *b;
	const uint8_t	*p;
	uint8_t		*d1 = NULL, *d2 = NULL;
	size_t		 l1 = 0, l2 = 0;
	const ASN1_INTEGER *s1, *s2;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_cert_create(key, "a", 1, &d1, &l1), 0);
	assert_int_equal(sign_cert_create(key, "a", 1, &d2, &l2), 0);
	p = d1;
	a = d2i_X509(NULL, &p, (long)l1);
	p = d2;
	b = d2i_X509(NULL, &p, (long)l2);
	assert_non_null(a);
	assert_non_null(b);
	s1 = X509_get0_serialNumber(a);
	s2 = X509_get0_serialNumber(b);
	assert_int_equal(ASN1_STRING_length(s1), 16);
	assert_int_equal(ASN1_STRING_type(s1), V_ASN1_INTEGER); /* positive */
	assert_int_not_equal(ASN1_INTEGER_cmp(s1, s2), 0);
	X509_free(a);
	X509_free(b);
	free(d1);
	free(d2);
	sign_key_free(key);
}

static void
test_free_null(void **state)
{
	char	 hex[SIGN_FPR_HEX];

	(void)state;
	sign_key_free(NULL);
	sign_pub_free(NULL);
	/* SHA-256 of nothing. */
	sign_cert_fingerprint((const uint8_t *)"", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_save_load_roundtrip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_save_refuses_overwrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_key_load_refuses_group_other_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_directory,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_symlink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_garbage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_huge_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_rsa,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_p384,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses_encrypted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_key_load_accepts_openssl_p256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_load_missing,
		    setup, teardown),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_pub_der_roundtrip),
		cmocka_unit_test_setup_teardown(
		    test_cert_fingerprint_matches_openssl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_accepted_by_openssl,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_save_load_pem,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_load_refuses_garbage,
		    setup, teardown),
		cmocka_unit_test(test_cert_create_refuses_bad_args),
		cmocka_unit_test(test_cert_serials_differ),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
