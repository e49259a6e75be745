/*
 * bag.c -- writes the sealed BagIt bundle of bag.h: a tar of the bag,
 * sealed in a CMS EnvelopedData (or AuthEnvelopedData for AES-256-GCM).
 * The only file that writes tar (libarchive) or builds CMS (OpenSSL).
 *
 * One pass, and no temporary file.  The tar is not written anywhere: the
 * libarchive write callback feeds BIO_new_CMS(), OpenSSL's streaming CMS
 * encoder (what i2d_CMS_bio_stream does inside), whose output goes to a
 * sink BIO that writes out_fd and hashes every byte it writes.  So the
 * SHA-256 of the bundle needs no re-reading (out_fd may be a pipe), no
 * plaintext ever reaches the disk, and tmpdir is not used.  Each payload
 * file is read once: every chunk goes to its SHA-256/SHA-512 digest set
 * and into the tar.  Memory is one chunk plus the manifests, whatever the
 * payload size.
 *
 * That one pass is possible because the tar is in byte order of names
 * (bag.h) and, in that order, everything that depends on the payload
 * hashes comes after data/:
 *
 *	NAME/  bag-info.txt  bagit.txt  data/  data/...  manifest-sha256.txt
 *	manifest-sha512.txt  station.pem  tagmanifest-sha256.txt
 *	tagmanifest-sha256.txt.p7s  tagmanifest-sha512.txt
 *
 * and bag-info.txt, before data/, needs only sizes (Payload-Oxum), known
 * up front: len, or fstat of the fd.  Payload files are sorted by path
 * (strcmp); a directory entry "d/" goes just before the first file under
 * it, which keeps the whole sequence sorted.
 *
 * Determinism.  Tar headers depend only on the spec: pax restricted
 * format (plain ustar headers unless a name needs a pax record; libarchive
 * names those "PaxHeader/..." without a pid), mode 0644/0755, uid and gid
 * 0, no owner names, mtime = bagging_time, 10240-byte records.  The
 * signature's signed attributes are fixed too (signingTime = bagging_time,
 * no SMIMECapabilities).  What still differs between two runs is the
 * ECDSA signature value inside the .p7s: OpenSSL 3.0 draws a random nonce
 * and has no RFC 6979 mode, so that entry's bytes (and by a byte or two
 * its size) change; every other byte of the tar is the same.
 *
 * Failure leaves a useless prefix of the bundle in out_fd; the caller
 * removes the file.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/escape.h"
#include "common/utf8.h"
#include "evidence/bag.h"
#include "hashing/digest.h"
#include "hashing/sign.h"

#define BAG_CHUNK	(64u * 1024u)
#define BAG_MAX_PATH	1024		/* NAME/data/PATH, bytes */
#define BAG_MAX_SEG	255		/* one path segment */
#define BAG_MAX_LABEL	128
#define BAG_MAX_VALUE	4096
#define BAG_MTIME_MAX	INT64_C(077777777777)	/* ustar's 11 octal digits */

static const char bag_bagit[] =
    "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/* The labels bag_write writes itself; a caller may not supply them. */
static const char *const bag_own_labels[] = {
	"Bagging-Date", "Payload-Oxum", "Bag-Count",
};

/* The sink at the end of the CMS chain: writes out_fd, hashes it. */
struct bag_sink {
	int			 fd;
	struct digest_set	*ds;
	int			 err;	/* errno of the first failure, or -1 */
};

/* One payload file, with the size its tar header declares. */
struct bag_ent {
	const struct bag_file	*f;
	uint64_t		 size;
};

/* The state of one bag_write. */
struct bag_w {
	const struct bag_spec	*spec;
	struct bag_ent		*ents;		/* sorted by path */
	uint64_t		 octets;
	X509			*cert;		/* the station's */
	CMS_ContentInfo		*cms;		/* the envelope */
	struct archive		*ar;
	int			 out_failed;	/* sticky; see bag_tar_out */
	struct bag_sink		 k;
	BIO_METHOD		*meth;		/* the sink's */
	BIO			*sink;
	BIO			*buf;		/* 64 KiB in front of the sink */
	BIO			*top;		/* BIO_new_CMS's chain */
	uint8_t			*io;		/* BAG_CHUNK, plaintext */
	struct buf		 man256, man512, tag256, tag512;
	char			*err;
	size_t			 errlen;
};

/* ---- validation ---- */

static int
bag_namech(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* A bag name: 1 to BAG_MAX_NAME of [A-Za-z0-9._-], not "." or "..". */
static int
bag_name_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > BAG_MAX_NAME ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!bag_namech((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * A payload path relative to data/: '/'-separated segments of
 * [A-Za-z0-9._-], none empty, "." or "..", none over BAG_MAX_SEG; so no
 * leading or trailing '/'.
 */
static int
bag_path_ok(const char *p)
{
	const char *seg = p, *e;
	size_t n;

	if (p == NULL || *p == '\0' || strlen(p) > BAG_MAX_PATH)
		return 0;
	for (;;) {
		e = strchr(seg, '/');
		n = e != NULL ? (size_t)(e - seg) : strlen(seg);
		if (n == 0 || n > BAG_MAX_SEG || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		while (n-- > 0)
			if (!bag_namech((unsigned char)*seg++))
				return 0;
		if (e == NULL)
			return 1;
		seg = e + 1;
	}
}

/* Valid UTF-8 without C0, DEL or C1 controls (so no newline). */
static int
bag_text_ok(const char *s, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n, k;
	uint32_t cp;

	if ((n = strlen(s)) > max)
		return 0;
	while (n > 0) {
		if ((k = utf8_decode(p, n, &cp)) == 0 || cp < 0x20 ||
		    (cp >= 0x7f && cp < 0xa0))
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

/*
 * A bag-info.txt label: printable ASCII without ':', no space at either
 * end, not one the writer adds; a value: text_ok.
 */
static int
bag_info_check(const struct bag_info *in, char *err, size_t errlen)
{
	char shown[96];
	size_t i, n;

	if (in->label == NULL || in->value == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "bag-info.txt: a line without a label or value");
	n = strlen(in->label);
	escape_text(in->label, n, shown, sizeof(shown));
	if (n == 0 || n > BAG_MAX_LABEL || in->label[0] == ' ' ||
	    in->label[n - 1] == ' ')
		goto bad;
	for (i = 0; i < n; i++)
		if (in->label[i] < 0x20 || in->label[i] > 0x7e ||
		    in->label[i] == ':')
			goto bad;
	for (i = 0; i < sizeof(bag_own_labels) / sizeof(*bag_own_labels); i++)
		if (strcasecmp(in->label, bag_own_labels[i]) == 0)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "bag-info.txt: %s is written by the bag writer",
			    shown);
	if (!bag_text_ok(in->value, BAG_MAX_VALUE))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "bag-info.txt: the value of %s has a newline, a control "
		    "character or invalid UTF-8, or is too long", shown);
	return 0;
 bad:
	return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
	    "bag-info.txt: label \"%s\" is not allowed (printable ASCII, "
	    "no ':', no control characters)", shown);
}

/* Everything about spec but the payload files and the certificate. */
static int
bag_spec_check(const struct bag_spec *s, char *err, size_t errlen)
{
	char shown[96];
	size_t i;
	int r;

	if (s->name == NULL || !bag_name_ok(s->name)) {
		escape_text(s->name != NULL ? s->name : "", s->name != NULL ?
		    strlen(s->name) : 0, shown, sizeof(shown));
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "bag name \"%s\" is not allowed: 1 to %d of "
		    "[A-Za-z0-9._-]", shown, BAG_MAX_NAME);
	}
	if (s->key == NULL || s->cert == NULL || s->cert_len == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no station key or certificate to sign the bag");
	if ((s->password == NULL || s->password_len == 0) &&
	    (s->recipient == NULL || s->recipient_len == 0))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no recipient: seal the bag to a password or a "
		    "certificate");
	if (s->password != NULL && s->password_len > INT_MAX)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the password is too long");
	if (s->bagging_time < 0 || s->bagging_time > BAG_MTIME_MAX)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "bagging time %lld is out of range",
		    (long long)s->bagging_time);
	/* sha256sum -c, in the police recipe, fails on an empty manifest. */
	if (s->nfiles == 0 || s->nfiles > BAG_MAX_FILES || s->files == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "a bag holds 1 to %d payload files", BAG_MAX_FILES);
	if (s->ninfo > 0 && s->info == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "bag-info.txt: no lines given");
	for (i = 0; i < s->ninfo; i++)
		if ((r = bag_info_check(&s->info[i], err, errlen)) != 0)
			return r;
	return 0;
}

/* ---- the payload list ---- */

static int
bag_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bag_ent *)a)->f->path,
	    ((const struct bag_ent *)b)->f->path);
}

static int
bag_ent_key_cmp(const void *key, const void *ent)
{
	return strcmp(key, ((const struct bag_ent *)ent)->f->path);
}

/* The size of one payload file: len, or fstat of a regular file. */
static int
bag_ent_size(const struct bag_file *f, uint64_t *size, char *err,
    size_t errlen)
{
	struct stat st;

	if (f->fd == -1) {
		if (f->data == NULL && f->len != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "data/%s: no data", f->path);
		*size = f->len;
		return 0;
	}
	if (f->fd < 0 || fstat(f->fd, &st) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "data/%s: cannot stat its file: %s", f->path,
		    f->fd < 0 ? "bad descriptor" : strerror(errno));
	if (!S_ISREG(st.st_mode))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "data/%s: not a regular file (its size must be known)",
		    f->path);
	*size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Sorts the payload into w->ents and sums its size.  Refuses a bad path,
 * the same path twice, and a path that is also a directory of another
 * ("a" and "a/b").
 */
static int
bag_ents_build(struct bag_w *w)
{
	const struct bag_spec *s = w->spec;
	char shown[96], dir[BAG_MAX_PATH + 1];
	const char *p, *sl;
	size_t i;
	int r;

	if ((w->ents = calloc(s->nfiles + 1, sizeof(*w->ents))) == NULL)
		return CUSTODY_ERR_NOMEM;
	for (i = 0; i < s->nfiles; i++) {
		p = s->files[i].path;
		if (!bag_path_ok(p)) {
			escape_text(p != NULL ? p : "", p != NULL ? strlen(p) :
			    0, shown, sizeof(shown));
			return custody_fail(w->err, w->errlen,
			    CUSTODY_ERR_INVAL, "payload path \"%s\" is not "
			    "allowed: relative, no \"..\" or empty segments, "
			    "[A-Za-z0-9._/-] only", shown);
		}
		w->ents[i].f = &s->files[i];
		if ((r = bag_ent_size(&s->files[i], &w->ents[i].size, w->err,
		    w->errlen)) != 0)
			return r;
		if (w->ents[i].size > UINT64_MAX - w->octets)
			return custody_fail(w->err, w->errlen,
			    CUSTODY_ERR_TOOBIG, "the payload is too large");
		w->octets += w->ents[i].size;
	}
	if (s->nfiles > 1)
		qsort(w->ents, s->nfiles, sizeof(*w->ents), bag_ent_cmp);
	for (i = 0; i < s->nfiles; i++) {
		p = w->ents[i].f->path;
		if (i > 0 && strcmp(p, w->ents[i - 1].f->path) == 0)
			return custody_fail(w->err, w->errlen,
			    CUSTODY_ERR_INVAL, "data/%s is in the payload "
			    "twice", p);
		for (sl = strchr(p, '/'); sl != NULL; sl = strchr(sl + 1,
		    '/')) {
			memcpy(dir, p, (size_t)(sl - p));
			dir[sl - p] = '\0';
			if (bsearch(dir, w->ents, s->nfiles, sizeof(*w->ents),
			    bag_ent_key_cmp) != NULL)
				return custody_fail(w->err, w->errlen,
				    CUSTODY_ERR_INVAL, "data/%s is both a file "
				    "and the directory of data/%s", dir, p);
		}
	}
	return 0;
}

/* ---- the sink BIO: out_fd, hashed ---- */

static int
bag_sink_write(BIO *b, const char *p, int len)
{
	struct bag_sink *k = BIO_get_data(b);
	size_t left = len > 0 ? (size_t)len : 0;
	ssize_t n;

	if (k->err != 0)
		return -1;
	if (digest_set_update(k->ds, p, left) != 0) {
		k->err = -1;
		return -1;
	}
	while (left > 0) {
		if ((n = write(k->fd, p, left)) < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			k->err = n < 0 ? errno : EIO;
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return len;
}

static long
bag_sink_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* ---- writing the tar ---- */

/*
 * libarchive's output: into the CMS encoder.  A failure is recorded in
 * w->out_failed, which every caller of libarchive checks, and the output
 * from then on is dropped instead of failing: libarchive 3.6 leaks its
 * output buffer when an archive is freed after a failed write.
 */
static la_ssize_t
bag_tar_out(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct bag_w *w = arg;
	const char *p = buf;
	size_t left = len;
	int n, chunk;

	(void)a;
	while (left > 0 && !w->out_failed) {
		chunk = left > INT_MAX ? INT_MAX : (int)left;
		if ((n = BIO_write(w->top, p, chunk)) <= 0)
			w->out_failed = 1;
		else {
			p += n;
			left -= (size_t)n;
		}
	}
	return (la_ssize_t)len;
}

/* A libarchive failure as a custody error naming what was written. */
static int
bag_ar_fail(struct bag_w *w, const char *what)
{
	const char *m = archive_error_string(w->ar);

	if (w->out_failed)
		m = "cannot encrypt or write the output";
	return custody_fail(w->err, w->errlen, CUSTODY_ERR_IO,
	    "cannot write %s into the bag: %s", what, m != NULL ? m :
	    "unknown error");
}

/*
 * Writes one tar header: NAME/rel (rel "" is NAME/ itself), a directory
 * (mode 0755) when dir, else a regular file (0644) of size bytes.
 */
static int
bag_tar_header(struct bag_w *w, const char *rel, int dir, uint64_t size)
{
	struct archive_entry *e;
	char name[PATH_MAX];
	int n, r = 0;

	n = snprintf(name, sizeof(name), "%s/%s", w->spec->name, rel);
	if (n < 0 || (size_t)n >= sizeof(name) || size > INT64_MAX)
		return CUSTODY_ERR_INVAL;
	if ((e = archive_entry_new2(w->ar)) == NULL)
		return CUSTODY_ERR_NOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : (la_int64_t)size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, (time_t)w->spec->bagging_time, 0);
	if (archive_write_header(w->ar, e) != ARCHIVE_OK || w->out_failed)
		r = bag_ar_fail(w, name);
	archive_entry_free(e);
	return r;
}

/* Feeds len bytes of the current entry's data to the tar. */
static int
bag_tar_data(struct bag_w *w, const void *p, size_t len, const char *what)
{
	const uint8_t *q = p;
	la_ssize_t n;

	while (len > 0) {
		if ((n = archive_write_data(w->ar, q, len)) <= 0 ||
		    w->out_failed)
			return bag_ar_fail(w, what);
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A tag file from memory (rel is its name in the bag). */
static int
bag_tar_mem(struct bag_w *w, const char *rel, const void *p, size_t len)
{
	int r;

	if ((r = bag_tar_header(w, rel, 0, len)) != 0)
		return r;
	return bag_tar_data(w, p, len, rel);
}

/*
 * The next chunk (at most BAG_CHUNK bytes) of a payload file at off, in
 * *p: from memory, or by pread from the fd, which must hold exactly the
 * size fstat gave.  At the end (*len 0) an fd file is checked not to
 * have grown; a file that shrank fails on the way.
 */
static int
bag_payload_chunk(struct bag_w *w, const struct bag_ent *e, uint64_t off,
    const uint8_t **p, size_t *len)
{
	uint64_t left = e->size - off;
	size_t want = left > BAG_CHUNK ? BAG_CHUNK : (size_t)left, got = 0;
	ssize_t n;

	*p = w->io;
	*len = want;
	if (e->f->fd == -1) {
		if (want > 0)
			*p = (const uint8_t *)e->f->data + off;
		return 0;
	}
	do {
		n = pread(e->f->fd, w->io + got, want > 0 ? want - got : 1,
		    (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return custody_fail(w->err, w->errlen, CUSTODY_ERR_IO,
			    "data/%s: cannot read: %s", e->f->path,
			    strerror(errno));
		if ((n == 0) != (want == 0))
			return custody_fail(w->err, w->errlen, CUSTODY_ERR_IO,
			    "data/%s: the file %s while it was being read",
			    e->f->path, n == 0 ? "shrank" : "grew");
		got += (size_t)n;
	} while (got < want);
	return 0;
}

/*
 * Streams one payload file into the tar, hashing each chunk on the way,
 * and adds its lines to both manifests.  A final zero-length read checks
 * that an fd file has not grown.
 */
static int
bag_tar_payload(struct bag_w *w, const struct bag_ent *e)
{
	struct digest_set *ds = NULL;
	struct digest_result res;
	char rel[BAG_MAX_PATH + 8], h256[65], h512[129];
	const uint8_t *p;
	uint64_t off = 0;
	size_t len;
	int r;

	(void)snprintf(rel, sizeof(rel), "data/%s", e->f->path);
	if ((r = digest_set_new(&ds, DIGEST_SHA256 | DIGEST_SHA512)) != 0 ||
	    (r = bag_tar_header(w, rel, 0, e->size)) != 0)
		goto out;
	do {
		if ((r = bag_payload_chunk(w, e, off, &p, &len)) != 0 ||
		    (r = digest_set_update(ds, p, len)) != 0 ||
		    (r = bag_tar_data(w, p, len, rel)) != 0)
			goto out;
		off += len;
	} while (len > 0);
	if ((r = digest_set_final(ds, &res)) != 0)
		goto out;
	digest_hex(res.sha256, sizeof(res.sha256), h256);
	digest_hex(res.sha512, sizeof(res.sha512), h512);
	if ((r = buf_printf(&w->man256, "%s  %s\n", h256, rel)) != 0 ||
	    (r = buf_printf(&w->man512, "%s  %s\n", h512, rel)) != 0)
		goto out;
 out:
	digest_set_free(ds);
	return r;
}

/*
 * The payload in path order, each directory entry just before the first
 * file under it.  All files under "d/" are adjacent in that order, so "d/"
 * is new exactly when the previous file does not start with "d/".
 */
static int
bag_tar_payloads(struct bag_w *w)
{
	char dir[BAG_MAX_PATH + 8];
	const char *p, *prev = "", *sl;
	size_t i, n;
	int r;

	for (i = 0; i < w->spec->nfiles; i++) {
		p = w->ents[i].f->path;
		for (sl = strchr(p, '/'); sl != NULL; sl = strchr(sl + 1,
		    '/')) {
			n = (size_t)(sl - p) + 1;
			if (strncmp(prev, p, n) == 0)
				continue;
			(void)snprintf(dir, sizeof(dir), "data/%.*s", (int)n,
			    p);
			if ((r = bag_tar_header(w, dir, 1, 0)) != 0)
				return r;
		}
		if ((r = bag_tar_payload(w, &w->ents[i])) != 0)
			return r;
		prev = p;
	}
	return 0;
}

/* ---- tag files ---- */

/* bag-info.txt: the caller's lines, then the three the writer adds. */
static int
bag_info_build(struct bag_w *w, struct buf *b)
{
	const struct bag_spec *s = w->spec;
	time_t t = (time_t)s->bagging_time;
	struct tm tm;
	char date[16];
	size_t i;
	int r;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d", &tm) != 10)
		return CUSTODY_ERR_INVAL;
	for (i = 0; i < s->ninfo; i++)
		if ((r = buf_printf(b, "%s: %s\n", s->info[i].label,
		    s->info[i].value)) != 0)
			return r;
	return buf_printf(b, "Bagging-Date: %s\nPayload-Oxum: %llu.%zu\n"
	    "Bag-Count: 1 of 1\n", date, (unsigned long long)w->octets,
	    s->nfiles);
}

/* Adds name's line to both tag manifests. */
static int
bag_tag_line(struct bag_w *w, const char *name, const void *p, size_t len)
{
	struct digest_set *ds = NULL;
	struct digest_result res;
	char h256[65], h512[129];
	int r;

	if ((r = digest_set_new(&ds, DIGEST_SHA256 | DIGEST_SHA512)) != 0 ||
	    (r = digest_set_update(ds, p, len)) != 0 ||
	    (r = digest_set_final(ds, &res)) != 0)
		goto out;
	digest_hex(res.sha256, sizeof(res.sha256), h256);
	digest_hex(res.sha512, sizeof(res.sha512), h512);
	if ((r = buf_printf(&w->tag256, "%s  %s\n", h256, name)) == 0)
		r = buf_printf(&w->tag512, "%s  %s\n", h512, name);
 out:
	digest_set_free(ds);
	return r;
}

/* The certificate as PEM, in b. */
static int
bag_cert_pem(X509 *x, struct buf *b)
{
	BIO *mem;
	char *p;
	long n;
	int r;

	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		return CUSTODY_ERR_NOMEM;
	if (PEM_write_bio_X509(mem, x) != 1 ||
	    (n = BIO_get_mem_data(mem, &p)) <= 0)
		r = CUSTODY_ERR_CRYPTO;
	else
		r = buf_append(b, p, (size_t)n);
	BIO_free(mem);
	return r;
}

/*
 * The CMS detached SignedData over msg (DER): signer cert included,
 * ECDSA with SHA-256, signed attributes contentType, signingTime = when
 * (UTCTime up to 2049, GeneralizedTime after, as RFC 5652 asks) and
 * messageDigest only.  *der is OPENSSL_malloc'd.
 */
static int
bag_sign(X509 *cert, EVP_PKEY *pk, int64_t when, const struct buf *msg,
    unsigned char **der, int *derlen)
{
	const unsigned int fl = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL |
	    CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TIME *t = NULL;
	BIO *in = NULL;
	int r = CUSTODY_ERR_CRYPTO;

	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, fl)) == NULL ||
	    (si = CMS_add1_signer(cms, cert, pk, EVP_sha256(), fl)) == NULL ||
	    (t = ASN1_TIME_set(NULL, (time_t)when)) == NULL ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
	    ASN1_STRING_type(t), t, -1) != 1)
		goto out;
	if ((in = BIO_new_mem_buf(msg->data, (int)msg->len)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if (CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY) != 1 ||
	    (*derlen = i2d_CMS_ContentInfo(cms, der)) <= 0)
		goto out;
	r = 0;
 out:
	BIO_free(in);
	ASN1_TIME_free(t);
	CMS_ContentInfo_free(cms);
	return r;
}

/*
 * Everything after data/: both manifests, station.pem, both tag
 * manifests and the signature, in name order.
 */
static int
bag_tar_tags(struct bag_w *w, X509 *cert, const struct buf *info)
{
	struct buf pem;
	unsigned char *sig = NULL;
	int siglen = 0, r;

	buf_init(&pem);
	if ((r = bag_cert_pem(cert, &pem)) != 0)
		goto out;
	if ((r = bag_tag_line(w, "bag-info.txt", info->data,
	    info->len)) != 0 ||
	    (r = bag_tag_line(w, "bagit.txt", bag_bagit,
	    sizeof(bag_bagit) - 1)) != 0 ||
	    (r = bag_tag_line(w, "manifest-sha256.txt", w->man256.data,
	    w->man256.len)) != 0 ||
	    (r = bag_tag_line(w, "manifest-sha512.txt", w->man512.data,
	    w->man512.len)) != 0 ||
	    (r = bag_tag_line(w, "station.pem", pem.data, pem.len)) != 0)
		goto out;
	if ((r = bag_sign(cert, sign_key_evp(w->spec->key),
	    w->spec->bagging_time, &w->tag256, &sig, &siglen)) != 0) {
		r = custody_fail(w->err, w->errlen, r,
		    "cannot sign tagmanifest-sha256.txt");
		goto out;
	}
	if ((r = bag_tar_mem(w, "manifest-sha256.txt", w->man256.data,
	    w->man256.len)) != 0 ||
	    (r = bag_tar_mem(w, "manifest-sha512.txt", w->man512.data,
	    w->man512.len)) != 0 ||
	    (r = bag_tar_mem(w, "station.pem", pem.data, pem.len)) != 0 ||
	    (r = bag_tar_mem(w, "tagmanifest-sha256.txt", w->tag256.data,
	    w->tag256.len)) != 0 ||
	    (r = bag_tar_mem(w, "tagmanifest-sha256.txt.p7s", sig,
	    (size_t)siglen)) != 0)
		goto out;
	r = bag_tar_mem(w, "tagmanifest-sha512.txt", w->tag512.data,
	    w->tag512.len);
 out:
	OPENSSL_free(sig);
	buf_free(&pem);
	return r;
}

/* ---- the envelope ---- */

/*
 * The certificate as X509, checked to be one DER certificate whose key is
 * the station key's public half.
 */
static int
bag_cert_load(const struct bag_spec *s, X509 **out, char *err,
    size_t errlen)
{
	const unsigned char *p = s->cert;
	X509 *x;

	if (s->cert_len > LONG_MAX ||
	    (x = d2i_X509(NULL, &p, (long)s->cert_len)) == NULL ||
	    p != s->cert + s->cert_len) {
		ERR_clear_error();
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the station certificate is not one DER certificate");
	}
	if (sign_key_evp(s->key) == NULL ||
	    X509_check_private_key(x, sign_key_evp(s->key)) != 1) {
		ERR_clear_error();
		X509_free(x);
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "the station certificate is not for the station key");
	}
	*out = x;
	return 0;
}

/*
 * Adds the password recipient: PWRI, PBKDF2 with BAG_PWRI_ITER
 * iterations (OpenSSL's PRF for CMS PWRI is HMAC-SHA1; the API offers no
 * other), key wrap with the content cipher.  OpenSSL owns the copy of the
 * password from then on and clears it when cms is freed.
 */
static int
bag_add_password(CMS_ContentInfo *cms, const struct bag_spec *s)
{
	unsigned char *pw;

	if ((pw = OPENSSL_malloc(s->password_len)) == NULL)
		return CUSTODY_ERR_NOMEM;
	memcpy(pw, s->password, s->password_len);
	if (CMS_add0_recipient_password(cms, BAG_PWRI_ITER, NID_undef,
	    NID_undef, pw, (ossl_ssize_t)s->password_len, NULL) == NULL)
		/*
		 * Not freed: past its last step OpenSSL has already taken
		 * pw and frees it with the failed recipient, and only
		 * allocation can fail here; a leak beats a double free.
		 */
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * Adds the officer's certificate as a recipient, with SHA-256 where
 * OpenSSL's default is SHA-1 or PKCS#1 v1.5: an EC key gets key agreement
 * (ECDH, X9.63 KDF with SHA-256, AES-256 key wrap), an RSA key RSAES-OAEP
 * with SHA-256.  `openssl cms -decrypt -recip -inkey` reads both.
 */
static int
bag_add_cert(CMS_ContentInfo *cms, X509 *rx)
{
	CMS_RecipientInfo *ri;
	EVP_PKEY_CTX *pctx;
	EVP_PKEY *pk;

	if ((pk = X509_get0_pubkey(rx)) == NULL ||
	    (!EVP_PKEY_is_a(pk, "EC") && !EVP_PKEY_is_a(pk, "RSA")) ||
	    (ri = CMS_add1_recipient_cert(cms, rx, CMS_KEY_PARAM)) == NULL ||
	    (pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL)
		return CUSTODY_ERR_INVAL;
	if (EVP_PKEY_is_a(pk, "EC"))
		return EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) == 1 ?
		    0 : CUSTODY_ERR_CRYPTO;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * A streaming CMS envelope for s's recipients: AES-256-CBC
 * EnvelopedData with a password recipient (stock openssl cms cannot
 * pair PWRI with GCM), AES-256-GCM AuthEnvelopedData otherwise.
 */
static int
bag_envelope(const struct bag_spec *s, CMS_ContentInfo **out, char *err,
    size_t errlen)
{
	const int pw = s->password != NULL && s->password_len > 0;
	const unsigned int fl = CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
	const unsigned char *p = s->recipient;
	CMS_ContentInfo *cms = NULL;
	X509 *rx = NULL;
	int r = CUSTODY_ERR_CRYPTO;

	if ((cms = CMS_encrypt(NULL, NULL, pw ? EVP_aes_256_cbc() :
	    EVP_aes_256_gcm(), fl)) == NULL)
		goto out;
	if (s->recipient != NULL && s->recipient_len > 0) {
		if (s->recipient_len > LONG_MAX ||
		    (rx = d2i_X509(NULL, &p, (long)s->recipient_len)) ==
		    NULL || p != s->recipient + s->recipient_len) {
			r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "the recipient certificate is not one DER "
			    "certificate");
			goto out;
		}
		if (bag_add_cert(cms, rx) != 0) {
			r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "cannot encrypt to the recipient certificate (an "
			    "RSA or EC key is needed)");
			goto out;
		}
	}
	if (pw && (r = bag_add_password(cms, s)) != 0)
		goto out;
	*out = cms;
	cms = NULL;
	r = 0;
 out:
	if (r != 0)
		ERR_clear_error();
	X509_free(rx);
	CMS_ContentInfo_free(cms);
	return r;
}

/* Frees the CMS chain down to, not including, the sink. */
static void
bag_chain_free(struct bag_w *w)
{
	BIO *next;

	while (w->top != NULL && w->top != w->sink) {
		next = BIO_pop(w->top);
		BIO_free(w->top);
		w->top = next;
	}
	w->top = NULL;
}

/* ---- bag_write ---- */

/*
 * Opens the output side: the sink on out_fd (hashing with SHA-256), the
 * CMS encoder on it, and the tar writer on that.
 */
static int
bag_open_out(struct bag_w *w, int out_fd)
{
	int r;

	w->k.fd = out_fd;
	if ((r = digest_set_new(&w->k.ds, DIGEST_SHA256)) != 0)
		return r;
	if ((w->meth = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "bag sink")) ==
	    NULL || BIO_meth_set_write(w->meth, bag_sink_write) != 1 ||
	    BIO_meth_set_ctrl(w->meth, bag_sink_ctrl) != 1 ||
	    (w->sink = BIO_new(w->meth)) == NULL)
		return CUSTODY_ERR_NOMEM;
	BIO_set_data(w->sink, &w->k);
	BIO_set_init(w->sink, 1);
	/*
	 * The encoder writes in pieces of a few bytes to a few KiB: some
	 * 61,000 write(2)s for a 100 MiB bag without this buffer.
	 */
	if ((w->buf = BIO_new(BIO_f_buffer())) == NULL ||
	    BIO_set_write_buffer_size(w->buf, 65536) != 1) {
		BIO_free(w->buf);
		w->buf = NULL;
		return CUSTODY_ERR_NOMEM;
	}
	w->top = BIO_push(w->buf, w->sink);
	if ((w->top = BIO_new_CMS(w->buf, w->cms)) == NULL) {
		w->top = w->buf;
		return CUSTODY_ERR_CRYPTO;
	}
	if ((w->ar = archive_write_new()) == NULL)
		return CUSTODY_ERR_NOMEM;
	if (archive_write_set_format_pax_restricted(w->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->ar, 10240) != ARCHIVE_OK ||
	    archive_write_open(w->ar, w, NULL, bag_tar_out, NULL) !=
	    ARCHIVE_OK)
		return bag_ar_fail(w, "the tar header");
	return 0;
}

/* The tar itself, in the order of the file comment. */
static int
bag_tar_all(struct bag_w *w)
{
	struct buf info;
	int r;

	buf_init(&info);
	if ((r = bag_info_build(w, &info)) != 0 ||
	    (r = bag_tar_header(w, "", 1, 0)) != 0 ||
	    (r = bag_tar_mem(w, "bag-info.txt", info.data, info.len)) != 0 ||
	    (r = bag_tar_mem(w, "bagit.txt", bag_bagit,
	    sizeof(bag_bagit) - 1)) != 0 ||
	    (r = bag_tar_header(w, "data/", 1, 0)) != 0 ||
	    (r = bag_tar_payloads(w)) != 0 ||
	    (r = bag_tar_tags(w, w->cert, &info)) != 0)
		goto out;
	if (archive_write_close(w->ar) != ARCHIVE_OK || w->out_failed)
		r = bag_ar_fail(w, "the end of the tar");
 out:
	buf_free(&info);
	return r;
}

/*
 * Releases everything w holds.  After a failure (failed) the tar writer
 * is closed with its output dropped, so nothing more reaches out_fd.
 */
static void
bag_w_free(struct bag_w *w, int failed)
{
	if (w->ar != NULL) {
		if (failed)
			w->out_failed = 1;
		(void)archive_write_free(w->ar);
	}
	bag_chain_free(w);
	BIO_free(w->sink);
	BIO_meth_free(w->meth);
	digest_set_free(w->k.ds);
	CMS_ContentInfo_free(w->cms);
	X509_free(w->cert);
	if (w->io != NULL) {
		OPENSSL_cleanse(w->io, BAG_CHUNK);
		free(w->io);
	}
	free(w->ents);
	buf_free(&w->man256);
	buf_free(&w->man512);
	buf_free(&w->tag256);
	buf_free(&w->tag512);
	ERR_clear_error();
}

/*
 * Writes the sealed bundle to out_fd and its SHA-256 into sha256 (set
 * only on success).  tmpdir is not used: nothing is staged on disk.  See
 * the file comment for the order and what is deterministic.
 */
int
bag_write(const struct bag_spec *spec, int out_fd, const char *tmpdir,
    uint8_t sha256[32], char *err, size_t errlen)
{
	struct bag_w w;
	struct digest_result res;
	int r;

	(void)tmpdir;
	memset(&w, 0, sizeof(w));
	w.spec = spec;
	w.err = err;
	w.errlen = errlen;
	if (spec == NULL || sha256 == NULL || out_fd < 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "bag_write: no spec, output or digest buffer");
	memset(sha256, 0, 32);
	if ((r = bag_spec_check(spec, err, errlen)) != 0 ||
	    (r = bag_cert_load(spec, &w.cert, err, errlen)) != 0 ||
	    (r = bag_ents_build(&w)) != 0 ||
	    (r = bag_envelope(spec, &w.cms, err, errlen)) != 0)
		goto out;
	if ((w.io = malloc(BAG_CHUNK)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto out;
	}
	if ((r = bag_open_out(&w, out_fd)) != 0 ||
	    (r = bag_tar_all(&w)) != 0)
		goto out;
	if (BIO_flush(w.top) != 1 || BIO_flush(w.buf) != 1 || w.k.err != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot write the sealed bag: the CMS encoder failed");
		goto out;
	}
	if ((r = digest_set_final(w.k.ds, &res)) != 0)
		goto out;
	memcpy(sha256, res.sha256, 32);
 out:
	if (r != 0 && w.k.err > 0)	/* the root cause, not its echo */
		r = custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot write the sealed bag: %s", strerror(w.k.err));
	bag_w_free(&w, r != 0);
	return r;
}
