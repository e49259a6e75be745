/*
 * bag_open.c -- opens a sealed bundle of bag.h, or a bag already
 * extracted in a directory, and checks it.
 *
 * Three phases, each finished before the next starts:
 *
 *  1. Decrypt (a .p7m only).  The CMS file is parsed whole (OpenSSL has
 *     no streaming CMS decoder, so memory grows with the bundle), the key
 *     is set with CMS_decrypt_set1_password or _set1_pkey_and_peer, and
 *     CMS_dataInit gives a BIO that yields the plaintext tar as it is read.
 *     A wrong password or key fails here, before anything is written.
 *
 *  2. Extract.  libarchive's tar reader (tar formats only, no filters)
 *     pulls from that BIO, so the plaintext tar is never stored.  Every
 *     entry is checked before anything is made for it: a relative name of
 *     [A-Za-z0-9._/-] segments without "." or "..", inside one top
 *     directory (the bag's name); only regular files and directories (no
 *     symlinks, hard links, devices, fifos, sparse files); no name twice;
 *     at most BAG_MAX_ENTRIES entries; declared sizes within max_bytes in
 *     all.  Entries are made relative to a descriptor of dest, which must
 *     be an empty directory: each path component is opened with
 *     O_NOFOLLOW, directories made 0700 with mkdirat, files 0600 with
 *     O_CREAT|O_EXCL|O_NOFOLLOW.  So nothing can land outside dest, even
 *     if someone races us inside it.  When the tar ends, the rest of the
 *     plaintext is drained and the cipher's final check (CBC padding, GCM
 *     tag) must pass.  On a failure dest may hold a partial extraction.
 *
 *  3. Verify, on a descriptor of the bag directory, in the order of
 *     bag.h, stopping at the first failure: bagit.txt; the CMS signature
 *     over tagmanifest-sha256.txt with station.pem (as `openssl cms
 *     -verify -CAfile station.pem -purpose any` does, plus: one signer,
 *     and it is station.pem's certificate, an EC P-256 key); both tag
 *     manifests (each lists the five tag files, every other top-level
 *     file is listed); both manifests (same paths, every path under
 *     data/, every file listed exists, every payload file is listed,
 *     both digests of each match); Payload-Oxum.  Files are opened with
 *     O_NOFOLLOW at every component, so a directory bag with symlinks in
 *     it is refused, never followed.
 *
 * The text parsers (bag paths, manifests, bag-info.txt) live in
 * bag_parse.c; bag_parse.h also offers phase 2 alone (bag_tar_extract),
 * for the tests and the fuzz targets.
 *
 * Failures in phase 3 are CUSTODY_ERR_VERIFY with "FILE: check" in err.
 * An unsafe tar entry or a broken bundle is CUSTODY_ERR_CORRUPT, a size
 * over max_bytes CUSTODY_ERR_TOOBIG, a wrong password or key
 * CUSTODY_ERR_KEY.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "common/escape.h"
#include "evidence/bag.h"
#include "evidence/bag_parse.h"
#include "hashing/digest.h"
#include "hashing/sign.h"

#define BAG_CHUNK	(64u * 1024u)
#define BAG_MAX_DEPTH	64
#define BAG_MAX_ENTRIES	(2 * BAG_MAX_FILES + 16)	/* files and dirs */
#define BAG_TAG_MAX	(1024u * 1024u)		/* bag-info, PEM, ... */
#define BAG_MAN_MAX	((size_t)BAG_MAX_FILES * (128 + 8 + BAG_MAX_PATH))
#define BAG_KEY_MAX	65536

static const char bag_bagit[] =
    "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/* The tag files both tag manifests must list. */
static const char *const bag_tagged[] = {
	"bag-info.txt", "bagit.txt", "manifest-sha256.txt",
	"manifest-sha512.txt", "station.pem",
};

/* Top-level files no tag manifest lists. */
static const char *const bag_untagged[] = {
	"tagmanifest-sha256.txt", "tagmanifest-sha512.txt",
	"tagmanifest-sha256.txt.p7s",
};

/* One bag_open: where reports and errors go, and what was found. */
struct bag_r {
	void		(*report)(void *, const char *);
	void		*ctx;
	char		*err;
	size_t		 errlen;
	struct bag_check chk;
};

/* The plaintext tar, pulled by libarchive from the CMS BIO. */
struct bag_src {
	BIO		*bio;
	uint8_t		*buf;		/* BAG_CHUNK, plaintext */
	int		 eof;
	int		 bad;		/* the cipher's final check failed */
};

/* A payload file found on disk. */
struct bag_found {
	char		*path;		/* "data/..." */
};

/* ---- small helpers ---- */

static void
bag_say(struct bag_r *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Calls report with one formatted line, if there is a report. */
static void
bag_say(struct bag_r *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (r->report == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->report(r->ctx, line);
}

/* s[0..len) made safe to show, in out[BAG_SHOW]. */
static const char *
bag_show(const char *s, size_t len, char out[BAG_SHOW])
{
	return escape_text(s, len, out, BAG_SHOW);
}

static int
bag_strcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Opens path (relative, '/'-separated, already checked by bag_path_why)
 * below dirfd, never following a symlink at any component.  Returns the
 * descriptor or -1 with errno.
 */
static int
bag_openat(int dirfd, const char *path, int flags)
{
	char seg[BAG_MAX_SEG + 1];
	const char *e;
	int cur = dirfd, fd, saved;
	size_t n;

	while ((e = strchr(path, '/')) != NULL) {
		n = (size_t)(e - path);
		if (n > BAG_MAX_SEG) {
			errno = ENAMETOOLONG;
			fd = -1;
			goto out;
		}
		memcpy(seg, path, n);
		seg[n] = '\0';
		fd = openat(cur, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		saved = errno;
		if (cur != dirfd)
			(void)close(cur);
		if ((cur = fd) < 0) {
			errno = saved;
			return -1;
		}
		path = e + 1;
	}
	fd = openat(cur, path, flags | O_NOFOLLOW | O_CLOEXEC);
 out:
	saved = errno;
	if (cur != dirfd)
		(void)close(cur);
	errno = saved;
	return fd;
}

/*
 * Reads the regular file name (below bagfd) into a new NUL-terminated
 * buffer; VERIFY if it is missing, not a regular file, or over max.
 */
static int
bag_slurp(struct bag_r *r, int bagfd, const char *name, size_t max,
    char **buf, size_t *len)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	*buf = NULL;
	if ((fd = bag_openat(bagfd, name, O_RDONLY | O_NONBLOCK)) < 0)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "%s: %s", name, errno == ENOENT ? "missing" :
		    errno == ELOOP ? "a symbolic link, refused" :
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "%s: not a regular file", name);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "%s: larger than %zu bytes", name, max);
		goto out;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = CUSTODY_ERR_NOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
			    "%s: cannot read it", name);
			goto out;
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	rc = 0;
 out:
	free(b);
	(void)close(fd);
	return rc;
}

/* ---- phase 1: decrypt ---- */

/* PEM callback that refuses encrypted keys instead of prompting. */
static int
bag_no_pw(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * The officer's private key: an unencrypted PEM file of at most
 * BAG_KEY_MAX bytes, read into a buffer that is cleansed after parsing.
 */
static int
bag_load_key(const char *path, EVP_PKEY **pk, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	BIO *mem = NULL;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "cannot open key file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > BAG_KEY_MAX)
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s: not a regular file of a key's size", path);
	else if ((buf = malloc(BAG_KEY_MAX + 1)) == NULL)
		r = CUSTODY_ERR_NOMEM;
	while (r == 0 && got < (size_t)st.st_size) {
		if ((n = read(fd, buf + got, (size_t)st.st_size - got)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
			    "cannot read key file %s", path);
		else
			got += (size_t)n;
	}
	(void)close(fd);
	if (r == 0 && ((mem = BIO_new_mem_buf(buf, (int)got)) == NULL ||
	    (*pk = PEM_read_bio_PrivateKey(mem, NULL, bag_no_pw, NULL)) ==
	    NULL))
		r = custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "key file %s holds no unencrypted PEM private key", path);
	BIO_free(mem);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, BAG_KEY_MAX + 1);
		free(buf);
	}
	return r;
}

/* The officer's private key (PEM) and certificate (PEM). */
static int
bag_load_recipient(const char *key_path, const char *cert_path,
    EVP_PKEY **pk, X509 **x, char *err, size_t errlen)
{
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	if ((r = sign_cert_load_pem(cert_path, &der, &len, err, errlen)) != 0)
		return r == CUSTODY_ERR_NOTFOUND ? r : CUSTODY_ERR_KEY;
	p = der;
	*x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	free(der);
	if (*x == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_KEY,
		    "%s: not a certificate", cert_path);
	return bag_load_key(key_path, pk, err, errlen);
}

/* Sets the content key in cms from a password or a key and certificate. */
static int
bag_unlock(CMS_ContentInfo *cms, const char *pw, size_t pwlen,
    const char *key_path, const char *cert_path, char *err, size_t errlen)
{
	unsigned char *copy = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int ok = 0, r;

	if (pw != NULL && pwlen > 0) {
		if (pwlen > INT_MAX)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "the password is too long");
		if ((copy = OPENSSL_malloc(pwlen)) == NULL)
			return CUSTODY_ERR_NOMEM;
		memcpy(copy, pw, pwlen);
		ok = CMS_decrypt_set1_password(cms, copy,
		    (ossl_ssize_t)pwlen) == 1;
		OPENSSL_clear_free(copy, pwlen);
	} else if (key_path != NULL && cert_path != NULL) {
		if ((r = bag_load_recipient(key_path, cert_path, &pk, &x, err,
		    errlen)) != 0)
			goto out;
		ok = CMS_decrypt_set1_pkey_and_peer(cms, pk, x, NULL) == 1;
	} else
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no password, or key and certificate, to decrypt with");
	r = ok ? 0 : custody_fail(err, errlen, CUSTODY_ERR_KEY,
	    "cannot decrypt: wrong password or not for this key");
 out:
	EVP_PKEY_free(pk);
	X509_free(x);
	ERR_clear_error();
	return r;
}

/*
 * Reads the whole bundle (a regular file of at most limit bytes) into a
 * new buffer: d2i on the buffer peaks at twice the file's size, where
 * d2i_CMS_bio's growing read buffer took nearly three times.
 */
static int
bag_read_bundle(const char *path, uint64_t limit, uint8_t **buf,
    size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, r = 0;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return custody_fail(err, errlen, errno == ENOENT ?
		    CUSTODY_ERR_NOTFOUND : CUSTODY_ERR_IO, "cannot open %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s: not a regular file", path);
	else if ((uint64_t)st.st_size > limit || st.st_size > LONG_MAX)
		r = custody_fail(err, errlen, CUSTODY_ERR_TOOBIG,
		    "%s: %lld bytes, over the limit", path,
		    (long long)st.st_size);
	else if ((*buf = malloc((size_t)st.st_size + 1)) == NULL)
		r = CUSTODY_ERR_NOMEM;
	while (r == 0 && got < (size_t)st.st_size) {
		if ((n = read(fd, *buf + got, (size_t)st.st_size - got)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			r = custody_fail(err, errlen, CUSTODY_ERR_IO,
			    "cannot read %s", path);
		else
			got += (size_t)n;
	}
	(void)close(fd);
	if (r != 0) {
		free(*buf);
		*buf = NULL;
	}
	*len = got;
	return r;
}

/*
 * Parses the bundle at path and unlocks it; *plain is then the
 * plaintext BIO chain (owned by the caller, freed with BIO_free_all
 * before *cms).
 */
static int
bag_decrypt(const char *path, const char *pw, size_t pwlen,
    const char *key_path, const char *cert_path, uint64_t limit,
    CMS_ContentInfo **cms, BIO **plain, char *err, size_t errlen)
{
	const unsigned char *p;
	uint8_t *buf = NULL;
	size_t len = 0;
	int nid, r;

	if ((r = bag_read_bundle(path, limit, &buf, &len, err, errlen)) != 0)
		return r;
	p = buf;
	if ((*cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != buf + len) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "%s: not a sealed bag (CMS), or truncated", path);
		goto out;
	}
	free(buf);
	buf = NULL;
	nid = OBJ_obj2nid(CMS_get0_type(*cms));
	if (nid != NID_pkcs7_enveloped &&
	    nid != NID_id_smime_ct_authEnvelopedData) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "%s: CMS, but not encrypted (EnvelopedData)", path);
		goto out;
	}
	if ((r = bag_unlock(*cms, pw, pwlen, key_path, cert_path, err,
	    errlen)) != 0)
		goto out;
	if ((*plain = CMS_dataInit(*cms, NULL)) == NULL)
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "%s: no encrypted content to decrypt", path);
 out:
	ERR_clear_error();
	free(buf);
	return r;
}

/* ---- phase 2: extract ---- */

/* At the end of the plaintext, the cipher's final check must pass. */
static int
bag_src_end(struct bag_src *s)
{
	if (s->eof)
		return s->bad ? -1 : 0;
	s->eof = 1;
	if (BIO_method_type(s->bio) == BIO_TYPE_CIPHER &&
	    BIO_get_cipher_status(s->bio) <= 0)
		s->bad = 1;
	ERR_clear_error();
	return s->bad ? -1 : 0;
}

static la_ssize_t
bag_src_read(struct archive *a, void *arg, const void **out)
{
	struct bag_src *s = arg;
	int n;

	*out = s->buf;
	if (s->eof)
		return s->bad ? -1 : 0;
	if ((n = BIO_read(s->bio, s->buf, BAG_CHUNK)) > 0)
		return n;
	if (bag_src_end(s) != 0 || n < 0) {
		s->bad = 1;
		archive_set_error(a, EIO, "decryption failed");
		return -1;
	}
	return 0;
}

/* Reads what is left after the tar's end, then checks the cipher. */
static int
bag_src_drain(struct bag_src *s)
{
	while (!s->eof && BIO_read(s->bio, s->buf, BAG_CHUNK) > 0)
		;
	return bag_src_end(s);
}

/*
 * The name and type of one tar entry: a bag path inside the one top
 * directory (set by the first entry), a regular file or a directory.
 * Sets *dir and *len (the name's length without a directory's '/').
 */
static int
bag_entry_name(struct bag_r *r, struct archive_entry *e, const char *p,
    int *dir, size_t *len)
{
	char shown[BAG_SHOW];
	const char *why;
	size_t top;

	bag_show(p, strlen(p), shown);
	*len = strlen(p);
	*dir = archive_entry_filetype(e) == AE_IFDIR;
	if (*dir && *len > 1 && p[*len - 1] == '/')
		(*len)--;
	if ((why = bag_path_why(p, *len)) != NULL)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: %s; refused", shown, why);
	if (archive_entry_hardlink(e) != NULL ||
	    archive_entry_symlink(e) != NULL ||
	    archive_entry_filetype(e) == AE_IFLNK)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: a link; a bag holds only files and "
		    "directories", shown);
	if ((!*dir && archive_entry_filetype(e) != AE_IFREG) ||
	    archive_entry_sparse_count(e) > 0)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: a device, fifo, socket or sparse file; "
		    "refused", shown);
	top = strcspn(p, "/");
	if (r->chk.name[0] == '\0' && top <= BAG_MAX_NAME) {
		memcpy(r->chk.name, p, top);
		r->chk.name[top] = '\0';
	}
	if (top != strlen(r->chk.name) || strncmp(p, r->chk.name, top) != 0 ||
	    (top == *len && !*dir))
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: outside the bag directory %s", shown,
		    r->chk.name[0] != '\0' ? r->chk.name : "(none)");
	return 0;
}

/*
 * Checks one tar entry before anything is made for it (see the file
 * comment): its name and type, its declared size (added to *total), and
 * that its name is new (kept in the tree *seen).  Copies the name, without
 * a directory's '/', into name.
 */
static int
bag_entry_check(struct bag_r *r, struct archive_entry *e, char *name,
    size_t namesz, int *dir, uint64_t *total, uint64_t max, void **seen)
{
	const char *p = archive_entry_pathname(e);
	char shown[BAG_SHOW], *key;
	int64_t size = archive_entry_size(e);
	size_t len;
	int rc;

	if (p == NULL)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "a tar entry has no usable name");
	if ((rc = bag_entry_name(r, e, p, dir, &len)) != 0)
		return rc;
	bag_show(p, len, shown);
	if (!*dir && (!archive_entry_size_is_set(e) || size < 0))
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: no valid size", shown);
	if (!*dir && ((uint64_t)size > max || (uint64_t)size > max - *total))
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_TOOBIG,
		    "tar entry %s: declares %lld bytes, over the limit of "
		    "%llu in all", shown, (long long)size,
		    (unsigned long long)max);
	if (!*dir)
		*total += (uint64_t)size;
	if (len >= namesz || (key = strndup(p, len)) == NULL)
		return CUSTODY_ERR_NOMEM;
	if (tfind(key, seen, bag_strcmp) != NULL) {
		free(key);
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: appears twice", shown);
	}
	if (tsearch(key, seen, bag_strcmp) == NULL) {
		free(key);
		return CUSTODY_ERR_NOMEM;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	return 0;
}

/*
 * Opens (making it 0700 if absent) directory seg below cur, without
 * following a symlink.
 */
static int
bag_mkdir_open(int cur, const char *seg)
{
	int fd;

	fd = openat(cur, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(cur, seg, 0700) != 0 && errno != EEXIST)
			return -1;
		fd = openat(cur, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return fd;
}

/*
 * A new descriptor of the directory that will hold name (below destfd,
 * made as needed, no symlink followed at any step), and *base, name's
 * last segment.  Returns -1 with errno on failure.
 */
static int
bag_parent_open(int destfd, char *name, const char **base)
{
	char *seg = name, *sl;
	int cur, fd, saved;

	if ((cur = openat(destfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	while ((sl = strchr(seg, '/')) != NULL) {
		*sl = '\0';
		fd = bag_mkdir_open(cur, seg);
		saved = errno;
		*sl = '/';
		(void)close(cur);
		if ((cur = fd) < 0) {
			errno = saved;
			return -1;
		}
		seg = sl + 1;
	}
	*base = seg;
	return cur;
}

/* Copies the entry's data into the new file fd. */
static int
bag_entry_copy(struct bag_r *r, struct archive *a, int fd, uint8_t *io,
    const char *name)
{
	la_ssize_t n;
	ssize_t w;
	size_t off;

	while ((n = archive_read_data(a, io, BAG_CHUNK)) > 0) {
		off = 0;
		while (off < (size_t)n) {
			if ((w = write(fd, io + off, (size_t)n - off)) < 0 &&
			    errno == EINTR)
				continue;
			if (w < 0)
				return custody_fail(r->err, r->errlen,
				    CUSTODY_ERR_IO, "cannot write %s: %s", name,
				    strerror(errno));
			off += (size_t)w;
		}
	}
	if (n < 0)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "tar entry %s: %s", name, archive_error_string(a) != NULL ?
		    archive_error_string(a) : "cannot read it");
	return 0;
}

/*
 * Makes one checked entry below destfd: a directory 0700, or a new file
 * 0600 (O_EXCL, O_NOFOLLOW) with the entry's data.
 */
static int
bag_entry_make(struct bag_r *r, struct archive *a, int destfd,
    char *name, int dir, uint8_t *io)
{
	const char *base;
	int cur, fd = -1, rc;

	if ((cur = bag_parent_open(destfd, name, &base)) < 0 ||
	    (fd = dir ? bag_mkdir_open(cur, base) : openat(cur, base,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
		    "cannot extract %s: %s", name, strerror(errno));
		goto out;
	}
	if (!dir && (rc = bag_entry_copy(r, a, fd, io, name)) != 0)
		goto out;
	rc = close(fd) == 0 ? 0 : custody_fail(r->err, r->errlen,
	    CUSTODY_ERR_IO, "cannot write %s: %s", name, strerror(errno));
	fd = -1;
 out:
	if (fd >= 0)
		(void)close(fd);
	if (cur >= 0)
		(void)close(cur);
	return rc;
}

/* The failure of archive_read_next_header, told apart from decryption. */
static int
bag_tar_fail(struct bag_r *r, struct bag_src *s, struct archive *a,
    size_t n)
{
	if (s->bad)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
		    "cannot decrypt: the bundle is corrupt or truncated (the "
		    "cipher's final check failed)");
	return custody_fail(r->err, r->errlen, CUSTODY_ERR_CORRUPT,
	    "the tar in the bundle is broken after %zu entries: %s", n,
	    archive_error_string(a) != NULL ? archive_error_string(a) :
	    "unknown error");
}

/* Extracts the tar read from plain into destfd; see the file comment. */
static int
bag_extract(struct bag_r *r, BIO *plain, int destfd, uint64_t max)
{
	struct bag_src s = { plain, NULL, 0, 0 };
	struct archive *a = NULL;
	struct archive_entry *e;
	char name[BAG_MAX_PATH + 1];
	uint8_t *io = NULL;
	uint64_t total = 0;
	void *seen = NULL;
	size_t n = 0;
	int dir = 0, rc;

	if ((s.buf = malloc(BAG_CHUNK)) == NULL ||
	    (io = malloc(BAG_CHUNK)) == NULL ||
	    (a = archive_read_new()) == NULL) {
		rc = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, &s, NULL, bag_src_read, NULL) !=
	    ARCHIVE_OK) {
		rc = bag_tar_fail(r, &s, a, 0);
		goto out;
	}
	for (;;) {
		if ((rc = archive_read_next_header(a, &e)) == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK) {
			rc = bag_tar_fail(r, &s, a, n);
			goto out;
		}
		if (++n > BAG_MAX_ENTRIES) {
			rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_TOOBIG,
			    "the tar has more than %d entries",
			    BAG_MAX_ENTRIES);
			goto out;
		}
		if ((rc = bag_entry_check(r, e, name, sizeof(name), &dir,
		    &total, max, &seen)) != 0 ||
		    (rc = bag_entry_make(r, a, destfd, name, dir, io)) != 0)
			goto out;
	}
	if (n == 0 || bag_src_drain(&s) != 0) {
		rc = n == 0 ? custody_fail(r->err, r->errlen,
		    CUSTODY_ERR_CORRUPT, "the bundle holds an empty tar") :
		    bag_tar_fail(r, &s, a, n);
		goto out;
	}
	bag_say(r, "extract: %zu entries ok, all inside %s/", n, r->chk.name);
	rc = 0;
 out:
	if (a != NULL)
		(void)archive_read_free(a);
	tdestroy(seen, free);
	if (s.buf != NULL) {
		OPENSSL_cleanse(s.buf, BAG_CHUNK);
		free(s.buf);
	}
	if (io != NULL) {
		OPENSSL_cleanse(io, BAG_CHUNK);
		free(io);
	}
	return rc;
}

/*
 * bag_extract for callers without a bag_r (bag_parse.h): the tests and
 * the fuzz target feed it plaintext tar through a memory BIO.
 */
int
bag_tar_extract(BIO *plain, int destfd, uint64_t max_bytes,
    char name[BAG_MAX_NAME + 1], char *err, size_t errlen)
{
	struct bag_r r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.errlen = errlen;
	rc = bag_extract(&r, plain, destfd, max_bytes);
	memcpy(name, r.chk.name, sizeof(r.chk.name));
	return rc;
}

/* dest must be an existing, empty directory; *fd is opened on it. */
static int
bag_dest_open(const char *dest, int *fd, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int dup_fd, empty = 1;

	if (dest == NULL || (*fd = open(dest, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s: not an existing directory to extract into",
		    dest != NULL ? dest : "(none)");
	if ((dup_fd = dup(*fd)) < 0 || (d = fdopendir(dup_fd)) == NULL) {
		if (dup_fd >= 0)
			(void)close(dup_fd);
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "%s: cannot list it", dest);
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	(void)closedir(d);
	if (!empty)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "%s: not empty; extract into an empty directory", dest);
	return 0;
}

/* ---- phase 3: verify ---- */

/* bagit.txt: exactly BagIt 1.0 with UTF-8 tag files. */
static int
bag_check_bagit(struct bag_r *r, int bagfd)
{
	char *t = NULL;
	size_t len = 0;
	int rc;

	if ((rc = bag_slurp(r, bagfd, "bagit.txt", BAG_TAG_MAX, &t,
	    &len)) != 0)
		return rc;
	if (len != sizeof(bag_bagit) - 1 || memcmp(t, bag_bagit, len) != 0)
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "bagit.txt: not \"BagIt-Version: 1.0\" with UTF-8 tag "
		    "files");
	else
		bag_say(r, "bagit.txt: ok (BagIt 1.0, UTF-8)");
	free(t);
	return rc;
}

/*
 * station.pem: exactly one PEM certificate, for an EC P-256 key.  Sets
 * *x and the fingerprint in r->chk.
 */
static int
bag_station_cert(struct bag_r *r, int bagfd, X509 **x)
{
	struct sign_pub *pub = NULL;
	unsigned char *der = NULL;
	X509 *extra = NULL;
	BIO *mem = NULL;
	char *t = NULL;
	size_t len = 0;
	int n, rc;

	if ((rc = bag_slurp(r, bagfd, "station.pem", BAG_TAG_MAX, &t,
	    &len)) != 0)
		return rc;
	rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
	    "station.pem: not one PEM certificate for an EC P-256 key");
	if ((mem = BIO_new_mem_buf(t, (int)len)) == NULL ||
	    (*x = PEM_read_bio_X509(mem, NULL, bag_no_pw, NULL)) == NULL ||
	    (extra = PEM_read_bio_X509(mem, NULL, bag_no_pw, NULL)) != NULL ||
	    (n = i2d_X509(*x, &der)) <= 0 ||
	    sign_cert_pub(der, (size_t)n, &pub) != 0)
		goto out;
	sign_cert_fingerprint(der, (size_t)n, r->chk.fingerprint);
	rc = 0;
 out:
	ERR_clear_error();
	sign_pub_free(pub);
	OPENSSL_free(der);
	X509_free(extra);
	BIO_free(mem);
	free(t);
	return rc;
}

/* The p7s: one DER detached SignedData, one signer, SHA-256. */
static int
bag_sig_load(struct bag_r *r, int bagfd, CMS_ContentInfo **cms)
{
	const unsigned char *p;
	X509_ALGOR *dig = NULL;
	char *t = NULL;
	size_t len = 0;
	int rc;

	if ((rc = bag_slurp(r, bagfd, "tagmanifest-sha256.txt.p7s",
	    BAG_TAG_MAX, &t, &len)) != 0)
		return rc;
	p = (const unsigned char *)t;
	rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
	    "tagmanifest-sha256.txt.p7s: not one DER CMS detached "
	    "signature with one SHA-256 signer");
	if ((*cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != (const unsigned char *)t + len ||
	    OBJ_obj2nid(CMS_get0_type(*cms)) != NID_pkcs7_signed ||
	    CMS_is_detached(*cms) != 1 ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(*cms)) != 1)
		goto out;
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(
	    CMS_get0_SignerInfos(*cms), 0), NULL, NULL, &dig, NULL);
	if (dig == NULL || OBJ_obj2nid(dig->algorithm) != NID_sha256)
		goto out;
	rc = 0;
 out:
	ERR_clear_error();
	free(t);
	return rc;
}

/*
 * The signature over tagmanifest-sha256.txt, checked as the police
 * recipe does (trust station.pem alone, purpose any), and its one signer
 * must be station.pem's certificate.
 */
static int
bag_check_sig(struct bag_r *r, int bagfd)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL;
	X509_STORE *store = NULL;
	X509 *x = NULL;
	BIO *content = NULL;
	char *t = NULL, why[128];
	size_t len = 0;
	int rc;

	if ((rc = bag_station_cert(r, bagfd, &x)) != 0 ||
	    (rc = bag_sig_load(r, bagfd, &cms)) != 0 ||
	    (rc = bag_slurp(r, bagfd, "tagmanifest-sha256.txt", BAG_TAG_MAX,
	    &t, &len)) != 0)
		goto out;
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, x) != 1 ||
	    X509_STORE_set_purpose(store, X509_PURPOSE_ANY) != 1 ||
	    (content = BIO_new_mem_buf(t, (int)len)) == NULL) {
		rc = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (CMS_verify(cms, NULL, store, content, NULL, CMS_BINARY) != 1) {
		ERR_error_string_n(ERR_peek_last_error(), why, sizeof(why));
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "tagmanifest-sha256.txt.p7s: the signature over "
		    "tagmanifest-sha256.txt does not verify with station.pem "
		    "(%s)", why);
		goto out;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL ||
	    sk_X509_num(signers) != 1 ||
	    X509_cmp(sk_X509_value(signers, 0), x) != 0) {
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "tagmanifest-sha256.txt.p7s: not signed by the "
		    "certificate in station.pem");
		goto out;
	}
	bag_say(r, "cms signature: ok (station key %s)", r->chk.fingerprint);
 out:
	ERR_clear_error();
	sk_X509_free(signers);
	BIO_free(content);
	X509_STORE_free(store);
	X509_free(x);
	CMS_ContentInfo_free(cms);
	free(t);
	return rc;
}

static int
bag_line_key_cmp(const void *key, const void *line)
{
	return strcmp(key, ((const struct bag_line *)line)->path);
}

/* Reads manifest m->file below bagfd and parses it (bag_man_parse). */
static int
bag_man_load(struct bag_r *r, int bagfd, struct bag_man *m, int payload,
    size_t max)
{
	size_t len = 0;
	int rc;

	if ((rc = bag_slurp(r, bagfd, m->file, payload ? BAG_MAN_MAX :
	    BAG_TAG_MAX, &m->text, &len)) != 0)
		return rc;
	return bag_man_parse(m, len, payload, max, r->err, r->errlen);
}

/*
 * Hashes the regular file path below bagfd (never through a symlink)
 * with the digests algs.
 */
static int
bag_hash(struct bag_r *r, int bagfd, const char *path, unsigned int algs,
    struct digest_result *res)
{
	struct stat st;
	int fd, rc;

	if ((fd = bag_openat(bagfd, path, O_RDONLY | O_NONBLOCK)) < 0)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "%s: %s", path, errno == ENOENT ? "listed but missing" :
		    errno == ELOOP ? "a symbolic link, refused" :
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "%s: not a regular file", path);
	else if ((rc = digest_fd(fd, algs, res)) != 0)
		rc = custody_fail(r->err, r->errlen, rc, "%s: cannot read "
		    "it: %s", path, strerror(errno));
	(void)close(fd);
	return rc;
}

/* Is name one of the n strings of set? */
static int
bag_in(const char *name, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, set[i]) == 0)
			return 1;
	return 0;
}

#define NELEM(a)	(sizeof(a) / sizeof(*(a)))

/*
 * Every top-level entry of the bag is data/ (a directory), an untagged
 * file, or a regular file m lists.
 */
static int
bag_check_top(struct bag_r *r, int bagfd, const struct bag_man *m)
{
	char shown[BAG_SHOW];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if ((fd = openat(bagfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
		    "%s: cannot list the bag", r->chk.name);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    bag_in(de->d_name, bag_untagged, NELEM(bag_untagged)))
			continue;
		bag_show(de->d_name, strlen(de->d_name), shown);
		if (fstatat(bagfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
			    "%s: cannot stat it", shown);
		else if (strcmp(de->d_name, "data") == 0) {
			if (!S_ISDIR(st.st_mode))
				rc = custody_fail(r->err, r->errlen,
				    CUSTODY_ERR_VERIFY, "data: not a "
				    "directory");
		} else if (!S_ISREG(st.st_mode) || bsearch(de->d_name,
		    m->lines, m->n, sizeof(*m->lines), bag_line_key_cmp) ==
		    NULL)
			rc = custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: an extra file, not listed "
			    "in %s", shown, m->file);
	}
	(void)closedir(d);
	return rc;
}

/*
 * One tag manifest: it lists the five tag files, each listed file
 * matches, and (for the SHA-256 one) no other top-level file exists.
 */
static int
bag_check_tagman(struct bag_r *r, int bagfd, const char *file,
    size_t mdlen)
{
	struct bag_man m = { file, mdlen, NULL, NULL, 0 };
	struct digest_result res;
	size_t i;
	int rc;

	if ((rc = bag_man_load(r, bagfd, &m, 0, 64)) != 0)
		goto out;
	for (i = 0; i < NELEM(bag_tagged); i++)
		if (bsearch(bag_tagged[i], m.lines, m.n, sizeof(*m.lines),
		    bag_line_key_cmp) == NULL) {
			rc = custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: does not list %s", file,
			    bag_tagged[i]);
			goto out;
		}
	for (i = 0; i < m.n; i++) {
		if ((rc = bag_hash(r, bagfd, m.lines[i].path, mdlen == 32 ?
		    DIGEST_SHA256 : DIGEST_SHA512, &res)) != 0)
			goto out;
		if (CRYPTO_memcmp(mdlen == 32 ? res.sha256 : res.sha512,
		    m.lines[i].md, mdlen) != 0) {
			rc = custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: SHA-%d does not match %s",
			    m.lines[i].path, mdlen == 32 ? 256 : 512, file);
			goto out;
		}
	}
	if ((rc = bag_check_top(r, bagfd, &m)) != 0)
		goto out;
	bag_say(r, "%s: %zu files ok", file, m.n);
 out:
	bag_man_free(&m);
	return rc;
}

/* ---- the payload ---- */

/* The payload files found under data/ (paths "data/..."). */
struct bag_walk {
	char	**paths;
	size_t	 n;
	size_t	 cap;
};

static int
bag_walk_add(struct bag_walk *wk, const char *path)
{
	char **np;

	if (wk->n == wk->cap) {
		wk->cap = wk->cap ? 2 * wk->cap : 64;
		if ((np = reallocarray(wk->paths, wk->cap,
		    sizeof(*np))) == NULL)
			return CUSTODY_ERR_NOMEM;
		wk->paths = np;
	}
	if ((wk->paths[wk->n] = strdup(path)) == NULL)
		return CUSTODY_ERR_NOMEM;
	wk->n++;
	return 0;
}

/*
 * Collects every file below the directory dirfd (named prefix), refusing
 * anything but regular files and directories, names a bag cannot list,
 * more than BAG_MAX_FILES files and more than BAG_MAX_DEPTH levels.
 * Takes dirfd.
 */
static int
bag_walk_dir(struct bag_r *r, int dirfd, const char *prefix, int depth,
    struct bag_walk *wk)
{
	char path[BAG_MAX_PATH + 2], shown[BAG_SHOW];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n, sub, rc = 0;

	if ((d = fdopendir(dirfd)) == NULL) {
		(void)close(dirfd);
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
		    "%s: cannot list it", prefix);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", prefix, de->d_name);
		bag_show(path, strlen(path), shown);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    bag_path_why(path, (size_t)n) != NULL)
			rc = custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: a name no manifest can "
			    "list", shown);
		else if (fstatat(dirfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) != 0)
			rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
			    "%s: cannot stat it", shown);
		else if (S_ISREG(st.st_mode))
			rc = wk->n >= BAG_MAX_FILES ? custody_fail(r->err,
			    r->errlen, CUSTODY_ERR_VERIFY, "data: more than "
			    "%d files", BAG_MAX_FILES) : bag_walk_add(wk, path);
		else if (!S_ISDIR(st.st_mode))
			rc = custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: %s; a bag holds only "
			    "files and directories", shown, S_ISLNK(st.st_mode)
			    ? "a symbolic link" : "a device, fifo or socket");
		else if (depth >= BAG_MAX_DEPTH)
			rc = custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: nested too deep", shown);
		else if ((sub = openat(dirfd, de->d_name, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
			    "%s: cannot open it", shown);
		else
			rc = bag_walk_dir(r, sub, path, depth + 1, wk);
	}
	(void)closedir(d);
	return rc;
}

static int
bag_pstrcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The two manifests list the same paths, and those are exactly the
 * files found under data/.
 */
static int
bag_payload_sets(struct bag_r *r, const struct bag_man *a,
    const struct bag_man *b, const struct bag_walk *wk)
{
	size_t i, j;
	int c;

	for (i = 0; i < a->n || i < b->n; i++)
		if (i >= a->n || i >= b->n ||
		    strcmp(a->lines[i].path, b->lines[i].path) != 0) {
			c = i >= a->n ? 1 : i >= b->n ? -1 :
			    strcmp(a->lines[i].path, b->lines[i].path);
			return custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: lists %s, which %s does "
			    "not", c < 0 ? a->file : b->file, c < 0 ?
			    a->lines[i].path : b->lines[i].path, c < 0 ?
			    b->file : a->file);
		}
	for (i = j = 0; i < a->n || j < wk->n; i++, j++) {
		c = i >= a->n ? 1 : j >= wk->n ? -1 :
		    strcmp(a->lines[i].path, wk->paths[j]);
		if (c < 0)
			return custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: %s is listed but missing",
			    a->file, a->lines[i].path);
		if (c > 0)
			return custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: an extra file, not listed "
			    "in %s", wk->paths[j], a->file);
	}
	return 0;
}

/* Hashes every payload file once and compares with both manifests. */
static int
bag_payload_hashes(struct bag_r *r, int bagfd, const struct bag_man *a,
    const struct bag_man *b)
{
	struct digest_result res;
	size_t i;
	int rc;

	for (i = 0; i < a->n; i++) {
		if ((rc = bag_hash(r, bagfd, a->lines[i].path, DIGEST_SHA256 |
		    DIGEST_SHA512, &res)) != 0)
			return rc;
		if (CRYPTO_memcmp(res.sha256, a->lines[i].md, 32) != 0)
			return custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: SHA-256 does not match "
			    "%s", a->lines[i].path, a->file);
		if (CRYPTO_memcmp(res.sha512, b->lines[i].md, 64) != 0)
			return custody_fail(r->err, r->errlen,
			    CUSTODY_ERR_VERIFY, "%s: SHA-512 does not match "
			    "%s", b->lines[i].path, b->file);
		r->chk.payload_bytes += res.size;
	}
	r->chk.payload_files = a->n;
	return 0;
}

/* Both manifests against the files under data/. */
static int
bag_check_payload(struct bag_r *r, int bagfd)
{
	struct bag_man a = { "manifest-sha256.txt", 32, NULL, NULL, 0 };
	struct bag_man b = { "manifest-sha512.txt", 64, NULL, NULL, 0 };
	struct bag_walk wk = { NULL, 0, 0 };
	size_t i;
	int fd, rc;

	if ((rc = bag_man_load(r, bagfd, &a, 1, BAG_MAX_FILES)) != 0 ||
	    (rc = bag_man_load(r, bagfd, &b, 1, BAG_MAX_FILES)) != 0)
		goto out;
	if ((fd = openat(bagfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "data: missing or not a directory");
		goto out;
	}
	if ((rc = bag_walk_dir(r, fd, "data", 1, &wk)) != 0)
		goto out;
	if (wk.n > 1)
		qsort(wk.paths, wk.n, sizeof(*wk.paths), bag_pstrcmp);
	if ((rc = bag_payload_sets(r, &a, &b, &wk)) != 0 ||
	    (rc = bag_payload_hashes(r, bagfd, &a, &b)) != 0)
		goto out;
	bag_say(r, "manifest-sha256.txt: %zu files ok", a.n);
	bag_say(r, "manifest-sha512.txt: %zu files ok", b.n);
 out:
	for (i = 0; i < wk.n; i++)
		free(wk.paths[i]);
	free(wk.paths);
	bag_man_free(&a);
	bag_man_free(&b);
	return rc;
}

/* bag-info.txt: one Payload-Oxum, equal to what data/ holds. */
static int
bag_check_oxum(struct bag_r *r, int bagfd)
{
	uint64_t octets, count;
	size_t len = 0;
	char *t = NULL;
	int rc;

	if ((rc = bag_slurp(r, bagfd, "bag-info.txt", BAG_TAG_MAX, &t,
	    &len)) != 0)
		return rc;
	if ((rc = bag_info_oxum(t, len, &octets, &count, r->err,
	    r->errlen)) != 0)
		goto out;
	if (octets != r->chk.payload_bytes || count != r->chk.payload_files) {
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "bag-info.txt: Payload-Oxum %llu.%llu, but data/ holds "
		    "%llu bytes in %zu files", (unsigned long long)octets,
		    (unsigned long long)count,
		    (unsigned long long)r->chk.payload_bytes,
		    r->chk.payload_files);
		goto out;
	}
	bag_say(r, "bag-info.txt: Payload-Oxum %llu.%llu ok",
	    (unsigned long long)octets, (unsigned long long)count);
 out:
	free(t);
	return rc;
}

/* Phase 3, in the order of bag.h. */
static int
bag_verify(struct bag_r *r, int bagfd)
{
	int rc;

	if ((rc = bag_check_bagit(r, bagfd)) != 0 ||
	    (rc = bag_check_sig(r, bagfd)) != 0 ||
	    (rc = bag_check_tagman(r, bagfd, "tagmanifest-sha256.txt",
	    32)) != 0 ||
	    (rc = bag_check_tagman(r, bagfd, "tagmanifest-sha512.txt",
	    64)) != 0 ||
	    (rc = bag_check_payload(r, bagfd)) != 0)
		return rc;
	return bag_check_oxum(r, bagfd);
}

/* ---- bag_open ---- */

/*
 * A directory holding a bag: either the bag itself (it has bagit.txt;
 * the name is its own) or a directory with exactly one entry, the bag.
 */
static int
bag_find_dir(struct bag_r *r, const char *path, int *bagfd)
{
	struct dirent *de;
	struct stat st;
	char *real, *base, one[NAME_MAX + 1] = "";
	DIR *d = NULL;
	int fd, n = 0, rc = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
		    "cannot open %s: %s", path, strerror(errno));
	if (fstatat(fd, "bagit.txt", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((real = realpath(path, NULL)) != NULL) {
			base = strrchr(real, '/');
			(void)snprintf(r->chk.name, sizeof(r->chk.name), "%s",
			    base != NULL ? base + 1 : real);
			free(real);
		}
		*bagfd = fd;
		return 0;
	}
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return custody_fail(r->err, r->errlen, CUSTODY_ERR_IO,
		    "cannot list %s", path);
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 && n++ == 0)
			(void)snprintf(one, sizeof(one), "%s", de->d_name);
	if (n != 1 || strlen(one) > BAG_MAX_NAME || (*bagfd = openat(fd, one,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_NOTFOUND,
		    "%s: no bag here (no bagit.txt, and not one bag "
		    "directory)", path);
	else
		(void)snprintf(r->chk.name, sizeof(r->chk.name), "%s", one);
	(void)closedir(d);
	return rc;
}

/*
 * The largest bundle worth parsing: max_bytes of content plus room for
 * tar headers and CMS overhead, saturating.
 */
static uint64_t
bag_bundle_limit(uint64_t max_bytes)
{
	const uint64_t room = (uint64_t)BAG_MAX_ENTRIES * 1536 +
	    (16u << 20);

	return max_bytes > UINT64_MAX - room ? UINT64_MAX : max_bytes + room;
}

/* Phases 1 and 2 for a .p7m; *bagfd is opened on the extracted bag. */
static int
bag_unseal(struct bag_r *r, const char *path, const char *pw,
    size_t pwlen, const char *key_path, const char *cert_path,
    const char *dest, uint64_t max_bytes, int *bagfd)
{
	CMS_ContentInfo *cms = NULL;
	BIO *plain = NULL;
	int destfd = -1, rc;

	if ((rc = bag_dest_open(dest, &destfd, r->err, r->errlen)) != 0 ||
	    (rc = bag_decrypt(path, pw, pwlen, key_path, cert_path,
	    bag_bundle_limit(max_bytes), &cms, &plain, r->err,
	    r->errlen)) != 0)
		goto out;
	bag_say(r, "decrypt: ok (%s, %s)", pw != NULL && pwlen > 0 ?
	    "password" : "key and certificate",
	    OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_enveloped ?
	    "EnvelopedData" : "AuthEnvelopedData");
	if ((rc = bag_extract(r, plain, destfd, max_bytes)) != 0)
		goto out;
	if ((*bagfd = openat(destfd, r->chk.name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = custody_fail(r->err, r->errlen, CUSTODY_ERR_VERIFY,
		    "%s: the bag directory is missing", r->chk.name);
 out:
	BIO_free_all(plain);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	if (destfd >= 0)
		(void)close(destfd);
	return rc;
}

/*
 * Opens a sealed bundle (decrypting it into dest) or an extracted bag
 * (path is a directory; dest is ignored) and checks it; see bag.h and the
 * file comment.  *out is cleared, and filled only on success.
 */
int
bag_open(const char *path, const char *password, size_t password_len,
    const char *key_path, const char *cert_path, const char *dest,
    uint64_t max_bytes, void (*report)(void *, const char *),
    void *ctx, struct bag_check *out, char *err, size_t errlen)
{
	struct bag_r r;
	struct stat st;
	int bagfd = -1, rc;

	memset(&r, 0, sizeof(r));
	r.report = report;
	r.ctx = ctx;
	r.err = err;
	r.errlen = errlen;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (path == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no bundle or bag directory named");
	if (stat(path, &st) != 0)
		return custody_fail(err, errlen, errno == ENOENT ?
		    CUSTODY_ERR_NOTFOUND : CUSTODY_ERR_IO, "cannot open %s: %s",
		    path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		rc = bag_find_dir(&r, path, &bagfd);
	else
		rc = bag_unseal(&r, path, password, password_len, key_path,
		    cert_path, dest, max_bytes, &bagfd);
	if (rc == 0 && (rc = bag_verify(&r, bagfd)) == 0 && out != NULL)
		*out = r.chk;
	if (bagfd >= 0)
		(void)close(bagfd);
	return rc;
}
