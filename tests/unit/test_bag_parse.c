/*
 * test_bag_parse.c -- the bag readers of evidence/bag_parse.h on their
 * own: bag paths, manifests, bag-info.txt, and the tar reader fed from
 * memory.  test_bag.c meets the same code through sealed bundles; here
 * each refusal is driven directly, with the reason it must give.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "evidence/bag_parse.h"

#define H32	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H32B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define H64	H32 H32		/* a SHA-256 in hex */
#define H64B	H32B H32B

/* ---- paths ---- */

static void
test_path_why(void **state)
{
	char seg[BAG_MAX_SEG + 8], path[BAG_MAX_PATH + 8];

	(void)state;
	assert_null(bag_path_why("data/a.txt", 10));
	assert_null(bag_path_why("data/x/_y-z.0", 13));
	/* len, not the NUL, ends the name: "data/a" of a longer string. */
	assert_null(bag_path_why("data/a/../b", 6));
	assert_non_null(bag_path_why("", 0));
	assert_string_equal(bag_path_why("/etc/passwd", 11),
	    "an absolute path");
	assert_non_null(strstr(bag_path_why("data/../x", 9), "escapes"));
	assert_non_null(strstr(bag_path_why("..", 2), "escapes"));
	assert_non_null(strstr(bag_path_why("data//x", 7), "empty"));
	assert_non_null(strstr(bag_path_why("data/./x", 8), "\".\""));
	assert_non_null(strstr(bag_path_why("data/", 5), "empty"));
	assert_non_null(strstr(bag_path_why("data/a b", 8), "characters"));
	assert_non_null(strstr(bag_path_why("data/a\r", 7), "characters"));
	assert_non_null(strstr(bag_path_why("data/a\0b", 8), "characters"));
	assert_non_null(strstr(bag_path_why("data\\a", 6), "characters"));
	memset(seg, 'x', sizeof(seg));
	assert_null(bag_path_why(seg, BAG_MAX_SEG));
	assert_non_null(strstr(bag_path_why(seg, BAG_MAX_SEG + 1),
	    "overlong"));
	memset(path, 'a', sizeof(path));
	for (size_t i = 100; i < sizeof(path); i += 101)
		path[i] = '/';
	assert_null(bag_path_why(path, BAG_MAX_PATH));
	assert_string_equal(bag_path_why(path, BAG_MAX_PATH + 1),
	    "a name too long");
}

/* ---- manifests ---- */

/* Parses text as m (file, mdlen) into *m; returns bag_man_parse's code. */
static int
man(struct bag_man *m, const char *file, size_t mdlen, const char *text,
    size_t len, int payload, size_t max, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->file = file;
	m->mdlen = mdlen;
	m->text = malloc(len + 1);
	assert_non_null(m->text);
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	err[0] = '\0';
	return bag_man_parse(m, len, payload, max, err, errlen);
}

static void
test_man_ok(void **state)
{
	static const char text[] =
	    H64B "  data/z.txt\n"
	    H64 " *data/a.txt\n";
	struct bag_man m;
	char err[256];

	(void)state;
	assert_int_equal(man(&m, "manifest-sha256.txt", 32, text,
	    sizeof(text) - 1, 1, 10, err, sizeof(err)), 0);
	assert_int_equal(m.n, 2);
	/* Sorted by path, the "*" (binary) marker taken as sha256sum does. */
	assert_string_equal(m.lines[0].path, "data/a.txt");
	assert_string_equal(m.lines[1].path, "data/z.txt");
	assert_int_equal(m.lines[0].md[0], 0xaa);
	assert_int_equal(m.lines[1].md[31], 0xbb);
	bag_man_free(&m);
	bag_man_free(&m);	/* twice is harmless */

	assert_int_equal(man(&m, "tagmanifest-sha512.txt", 64,
	    H64 H64 "  bagit.txt\n", 128 + 12, 0, 64, err, sizeof(err)), 0);
	assert_int_equal(m.n, 1);
	bag_man_free(&m);

	/* An empty manifest lists nothing; the callers judge that. */
	assert_int_equal(man(&m, "manifest-sha256.txt", 32, "", 0, 1, 10,
	    err, sizeof(err)), 0);
	assert_int_equal(m.n, 0);
	bag_man_free(&m);
}

/* One refusal: text, parsed as a payload or tag manifest, must fail so. */
struct man_bad {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 payload;
	const char	*why;		/* in err */
};

static void
test_man_refusals(void **state)
{
	static const struct man_bad bad[] = {
		{ "crlf", H64 "  data/a\r\n", 0, 1, "characters outside" },
		{ "dup", H64 "  data/a\n" H64B "  data/a\n", 0, 1,
		    "data/a is listed twice" },
		{ "dotdot", H64 "  data/../x\n", 0, 1, "escapes the bag" },
		{ "absolute", H64 "  /etc/passwd\n", 0, 1,
		    "an absolute path" },
		{ "nul", H64 "  data/a\0b\n", 76, 1, "line 1: a NUL byte" },
		{ "no newline", H64 "  data/a\n" H64 "  data/b", 0, 1,
		    "line 2: no newline at the end" },
		{ "one space", H64 " data/a\n", 0, 1, "two spaces" },
		{ "tab", H64 "\tdata/a\n", 0, 1, "two spaces" },
		{ "short hex", "aaaa  data/a\n", 0, 1, "64 hex digits" },
		{ "not hex", "g" H64B "  data/a\n", 0, 1, "64 hex digits" },
		{ "long hex", H64 "a  data/a\n", 0, 1, "64 hex digits" },
		{ "empty line", H64 "  data/a\n\n", 0, 1, "line 2: not" },
		{ "no path", H64 "  \n", 0, 1, "line 1: not" },
		{ "outside data", H64 "  bagit.txt\n", 0, 1,
		    "a path outside data/" },
		{ "data itself", H64 "  data\n", 0, 1,
		    "a path outside data/" },
		{ "tag below top", H64 "  data/bagit.txt\n", 0, 0,
		    "a tag file below the top directory" },
	};
	struct bag_man m;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);

		if (man(&m, "manifest-sha256.txt", 32, bad[i].text, len,
		    bad[i].payload, 10, err, sizeof(err)) !=
		    CUSTODY_ERR_VERIFY || strstr(err, bad[i].why) == NULL)
			fail_msg("%s: got \"%s\"", bad[i].name, err);
		bag_man_free(&m);
	}
}

static void
test_man_limits(void **state)
{
	struct bag_man m;
	char err[256], *text, *p;
	size_t i, len;

	(void)state;
	/* max lines: three lines where two are allowed. */
	assert_int_equal(man(&m, "tagmanifest-sha256.txt", 32,
	    H64 "  a\n" H64 "  b\n" H64 "  c\n", 3 * 68, 0, 2, err,
	    sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "more than 2 lines"));
	bag_man_free(&m);

	/* A path one byte over BAG_MAX_PATH, on an otherwise good line. */
	len = 66 + BAG_MAX_PATH + 2;
	assert_non_null(text = malloc(len));
	memcpy(text, H64 "  data/", 71);
	for (p = text + 71, i = 0; p < text + len - 1; p++, i++)
		*p = i % 100 == 99 ? '/' : 'x';
	text[len - 1] = '\n';
	assert_int_equal(man(&m, "manifest-sha256.txt", 32, text, len, 1,
	    10, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "a name too long"));
	bag_man_free(&m);
	free(text);
}

/* ---- bag-info.txt ---- */

/* Runs bag_info_oxum on a copy of text[0..len). */
static int
info(const char *text, size_t len, uint64_t *o, uint64_t *c, char *err,
    size_t errlen)
{
	char *t;
	int rc;

	assert_non_null(t = malloc(len + 1));
	memcpy(t, text, len);
	t[len] = '\0';
	err[0] = '\0';
	rc = bag_info_oxum(t, len, o, c, err, errlen);
	free(t);
	return rc;
}

static void
test_info_ok(void **state)
{
	static const char real[] =
	    "Source-Organization: demo.school.example/custody-1\n"
	    "Contact-Name: ms.patel\n"
	    "External-Identifier: KP/2026/0042\n"
	    "Bagging-Date: 2026-11-22\n"
	    "Payload-Oxum: 20887.7\n"
	    "Bag-Count: 1 of 1\n";
	static const char folded[] =
	    "Source-Organization: a long\n"
	    "  name, folded\n"
	    "\tand folded again\n"
	    "payload-oxum:\t 5.1\n";
	/*
	 * The overflow check is a little conservative: the largest value
	 * taken is UINT64_MAX - 6 (no bag holds 16 EiB).
	 */
	static const char max[] =
	    "Payload-Oxum: 18446744073709551609.18446744073709551609\n";
	uint64_t o, c;
	char err[256];

	(void)state;
	assert_int_equal(info(real, sizeof(real) - 1, &o, &c, err,
	    sizeof(err)), 0);
	assert_true(o == 20887 && c == 7);
	assert_int_equal(info(folded, sizeof(folded) - 1, &o, &c, err,
	    sizeof(err)), 0);
	assert_true(o == 5 && c == 1);
	assert_int_equal(info(max, sizeof(max) - 1, &o, &c, err,
	    sizeof(err)), 0);
	assert_true(o == UINT64_MAX - 6 && c == UINT64_MAX - 6);
}

struct info_bad {
	const char	*name;
	const char	*text;
	const char	*why;
};

static void
test_info_refusals(void **state)
{
	static const struct info_bad bad[] = {
		{ "empty", "", "no Payload-Oxum" },
		{ "missing", "Contact-Name: x\n", "no Payload-Oxum" },
		{ "twice", "Payload-Oxum: 1.1\nPAYLOAD-OXUM: 1.1\n",
		    "given twice" },
		{ "crlf", "Payload-Oxum: 1.1\r\n", "not \"octets.count\"" },
		{ "no count", "Payload-Oxum: 1.\n", "not \"octets.count\"" },
		{ "no octets", "Payload-Oxum: .1\n", "not \"octets.count\"" },
		{ "no dot", "Payload-Oxum: 11\n", "not \"octets.count\"" },
		{ "two dots", "Payload-Oxum: 1.1.1\n",
		    "not \"octets.count\"" },
		{ "sign", "Payload-Oxum: +1.1\n", "not \"octets.count\"" },
		{ "trailing space", "Payload-Oxum: 1.1 \n",
		    "not \"octets.count\"" },
		{ "overflow", "Payload-Oxum: 18446744073709551616.1\n",
		    "not \"octets.count\"" },
		{ "near overflow", "Payload-Oxum: 1.18446744073709551610\n",
		    "not \"octets.count\"" },
		{ "no newline", "Payload-Oxum: 1.1", "line 1: no newline" },
		{ "no colon", "Contact-Name x\nPayload-Oxum: 1.1\n",
		    "line 1: not \"Label: value\"" },
		/* Folded, the label is a continuation, not a Payload-Oxum. */
		{ "folded oxum", " Payload-Oxum: 1.1\n", "no Payload-Oxum" },
	};
	uint64_t o, c;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (info(bad[i].text, strlen(bad[i].text), &o, &c, err,
		    sizeof(err)) != CUSTODY_ERR_VERIFY ||
		    strstr(err, bad[i].why) == NULL)
			fail_msg("%s: got \"%s\"", bad[i].name, err);
}

/*
 * Regression: bag_info_oxum stopped at the first NUL, so whatever
 * followed one (a second Payload-Oxum, say) went unread by the verifier
 * while sha256sum and a reader saw it.  A NUL is now refused, as in a
 * manifest.
 */
static void
test_info_nul(void **state)
{
	static const char hides[] = "Payload-Oxum: 1.1\n\0Payload-Oxum: 2.2\n";
	static const char inside[] = "Contact-Name: a\0b\nPayload-Oxum: 1.1\n";
	static const char last[] = "Payload-Oxum: 1.1\n\0";
	uint64_t o, c;
	char err[256];

	(void)state;
	assert_int_equal(info(hides, sizeof(hides) - 1, &o, &c, err,
	    sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "line 2: a NUL byte"));
	assert_int_equal(info(inside, sizeof(inside) - 1, &o, &c, err,
	    sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "line 1: a NUL byte"));
	assert_int_equal(info(last, sizeof(last) - 1, &o, &c, err,
	    sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "line 2: no newline"));
}

/* ---- the tar reader, from memory ---- */

/* A tar in memory, made by libarchive as bag.c makes one. */
struct tarbuf {
	struct archive	*a;
	uint8_t		 buf[64 * 1024];
	size_t		 used;
};

static void
tar_begin(struct tarbuf *t)
{
	t->used = 0;
	assert_non_null(t->a = archive_write_new());
	assert_int_equal(archive_write_set_format_pax_restricted(t->a),
	    ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(t->a, t->buf,
	    sizeof(t->buf), &t->used), ARCHIVE_OK);
}

static void
tar_add(struct tarbuf *t, const char *path, unsigned int type,
    const char *data, const char *link)
{
	struct archive_entry *e;
	size_t len = data != NULL ? strlen(data) : 0;

	assert_non_null(e = archive_entry_new());
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	if (link != NULL)
		archive_entry_set_symlink(e, link);
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (len > 0)
		assert_int_equal(archive_write_data(t->a, data, len),
		    (la_ssize_t)len);
	archive_entry_free(e);
}

static void
tar_end(struct tarbuf *t)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	assert_int_equal(archive_write_free(t->a), ARCHIVE_OK);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

/* Extracts t into a new directory; returns bag_tar_extract's code. */
static int
tar_extract(const struct tarbuf *t, uint64_t max, char name[],
    char *err, size_t errlen, char dir[32])
{
	BIO *b;
	int fd, rc;

	(void)snprintf(dir, 32, "/tmp/test_bag_parse.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_true((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_non_null(b = BIO_new_mem_buf(t->buf, (int)t->used));
	err[0] = '\0';
	rc = bag_tar_extract(b, fd, max, name, err, errlen);
	BIO_free(b);
	(void)close(fd);
	return rc;
}

static void
test_tar_memory(void **state)
{
	struct tarbuf *t;
	struct stat st;
	char dir[32], path[96], name[BAG_MAX_NAME + 1], err[256];

	(void)state;
	assert_non_null(t = malloc(sizeof(*t)));
	tar_begin(t);
	tar_add(t, "bag/", AE_IFDIR, NULL, NULL);
	tar_add(t, "bag/data/", AE_IFDIR, NULL, NULL);
	tar_add(t, "bag/data/a.txt", AE_IFREG, "hello\n", NULL);
	tar_end(t);
	assert_int_equal(tar_extract(t, 1024, name, err, sizeof(err), dir),
	    0);
	assert_string_equal(name, "bag");
	(void)snprintf(path, sizeof(path), "%s/bag/data/a.txt", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_mode & 0777, 0600);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	/* Over the limit: refused before anything is written for it. */
	assert_int_equal(tar_extract(t, 5, name, err, sizeof(err), dir),
	    CUSTODY_ERR_TOOBIG);
	(void)snprintf(path, sizeof(path), "%s/bag/data/a.txt", dir);
	assert_int_not_equal(stat(path, &st), 0);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	/* A symlink, even one pointing inside the bag. */
	tar_begin(t);
	tar_add(t, "bag/", AE_IFDIR, NULL, NULL);
	tar_add(t, "bag/l", AE_IFLNK, NULL, "data");
	tar_end(t);
	assert_int_equal(tar_extract(t, 1024, name, err, sizeof(err), dir),
	    CUSTODY_ERR_CORRUPT);
	assert_non_null(strstr(err, "a link"));
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	/* Not a tar at all. */
	t->used = 100;
	memset(t->buf, 'x', t->used);
	assert_int_equal(tar_extract(t, 1024, name, err, sizeof(err), dir),
	    CUSTODY_ERR_CORRUPT);
	assert_string_equal(name, "");
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_why),
		cmocka_unit_test(test_man_ok),
		cmocka_unit_test(test_man_refusals),
		cmocka_unit_test(test_man_limits),
		cmocka_unit_test(test_info_ok),
		cmocka_unit_test(test_info_refusals),
		cmocka_unit_test(test_info_nul),
		cmocka_unit_test(test_tar_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
