/*
 * test_bag.c -- the sealed police export's packaging (evidence/bag.c,
 * evidence/bag_open.c).
 *
 * The referees are the stock tools police have: the system openssl, tar
 * and sha256sum run the exact recipe of bag.h on what bag_write made.
 * The station key and an officer's key and certificate are generated at
 * test time with the sign.h API into a fresh mkdtemp directory; nothing
 * secret is committed.  Hostile tars are written here by hand (ustar
 * headers) and sealed with `openssl cms -encrypt`, so bag_open meets
 * them exactly as it would meet a forged bundle.
 */
#include <dirent.h>
#include <errno.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "evidence/bag.h"
#include "hashing/digest.h"
#include "hashing/sign.h"

#define ERRLEN		512
#define PW		"cobalt-ferry-willow-eleven"
#define NAME		"custody-CR-2026-0042-CASE-0001"
#define BIG_LEN		(3u * 1024u * 1024u + 17u)
#define MAX_BYTES	((uint64_t)1 << 30)

/* Keys, certificates and the payload, made once for the whole file. */
struct world {
	char		 dir[64];
	struct sign_key	*station;
	uint8_t		*cert;		/* station certificate, DER */
	size_t		 cert_len;
	char		 fpr[SIGN_FPR_HEX];
	uint8_t		*officer;	/* officer certificate, DER */
	size_t		 officer_len;
	char		 station_key[128], officer_key[128], officer_pem[128];
	char		 other_key[128], other_pem[128];
	char		 big[128];	/* the 3 MiB item */
	int		 big_fd;
	uint8_t		*big_data;
};

static struct world W;
static int scratch_n;

/* Report lines, collected. */
struct said {
	char	text[8192];
	size_t	n;
};

static void
collect(void *ctx, const char *line)
{
	struct said *s = ctx;
	size_t len = strlen(s->text);

	(void)snprintf(s->text + len, sizeof(s->text) - len, "%s\n", line);
	s->n++;
}

/* ---- helpers ---- */

static int
sh(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Runs a shell command (for the stock tools); its exit status. */
static int
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The output of a shell command, NUL-terminated, in a new buffer. */
static char *
sh_out(const char *cmd)
{
	char *buf;
	size_t n = 0, got;
	FILE *fp;

	assert_non_null(buf = calloc(1, 1 << 20));
	assert_non_null(fp = popen(cmd, "r"));
	while ((got = fread(buf + n, 1, (1 << 20) - 1 - n, fp)) > 0)
		n += got;
	(void)pclose(fp);
	return buf;
}

static const char *
path_in(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

/* A new empty directory under the world's directory. */
static void
scratch(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/s%d", W.dir, scratch_n++);

	assert_true(n > 0 && (size_t)n < len);
	assert_int_equal(mkdir(buf, 0700), 0);
}

/* The names in dir, sorted, space-separated. */
static char *
listing(const char *dir)
{
	char cmd[512];

	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && find . | LC_ALL=C sort "
	    "| tr '\\n' ' '", dir);
	return sh_out(cmd);
}

static uint8_t *
pattern(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len > 0 ? len : 1);
	uint32_t x = seed | 1;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

static void
put(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Flips one bit of the middle byte of path. */
static void
flip(const char *path)
{
	struct stat st;
	uint8_t c;
	int fd;

	assert_true((fd = open(path, O_RDWR)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(pread(fd, &c, 1, st.st_size / 2), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, st.st_size / 2), 1);
	assert_int_equal(close(fd), 0);
}

/* ---- the bag ---- */

static const char readme[] =
    "How to verify this bag with stock tools: see bag.h.\n";
static const char casejson[] = "{\"case\":\"CASE-0001\"}\n";
static const char events[] = "{\"n\":1}\n{\"n\":2}\n";
static const char dashed[] = "sorts before items/ in byte order\n";

static struct bag_file files[] = {
	{ "README.txt", readme, sizeof(readme) - 1, -1 },
	{ "items/ITEM-0001", NULL, 0, -1 },	/* the big fd, set later */
	{ "case.json", casejson, sizeof(casejson) - 1, -1 },
	{ "events.jsonl", events, sizeof(events) - 1, -1 },
	{ "items-index.txt", dashed, sizeof(dashed) - 1, -1 },
	{ "items/empty", "", 0, -1 },
};
#define NFILES	(sizeof(files) / sizeof(files[0]))

static struct bag_info info[] = {
	{ "Source-Organization", "Hillside Academy" },
	{ "Contact-Name", "dee.dsl" },
	{ "External-Identifier", "CR/2026/0042" },
	{ "Custody-Station-Key-SHA256", "ab12" },
};

static uint64_t
payload_bytes(void)
{
	uint64_t n = BIG_LEN;
	size_t i;

	for (i = 0; i < NFILES; i++)
		n += files[i].len;
	return n;
}

static void
spec_init(struct bag_spec *s, const char *pw, int to_officer)
{
	memset(s, 0, sizeof(*s));
	files[1].fd = W.big_fd;
	s->name = NAME;
	s->files = files;
	s->nfiles = NFILES;
	s->info = info;
	s->ninfo = sizeof(info) / sizeof(info[0]);
	s->bagging_time = 1795000000;	/* 2026-11-18 */
	s->key = W.station;
	s->cert = W.cert;
	s->cert_len = W.cert_len;
	s->password = pw;
	s->password_len = pw != NULL ? strlen(pw) : 0;
	if (to_officer) {
		s->recipient = W.officer;
		s->recipient_len = W.officer_len;
	}
}

/* Writes the bag to path; checks the returned SHA-256 against the file. */
static void
write_bag(const char *path, const char *pw, int to_officer)
{
	struct digest_result res;
	struct bag_spec s;
	char err[ERRLEN] = "";
	uint8_t sha[32];
	int fd, r;

	spec_init(&s, pw, to_officer);
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	r = bag_write(&s, fd, W.dir, sha, err, sizeof(err));
	if (r != 0)
		fail_msg("bag_write: %d %s", r, err);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(digest_fd(fd, DIGEST_SHA256, &res), 0);
	assert_memory_equal(sha, res.sha256, 32);
	assert_int_equal(close(fd), 0);
}

/* The police recipe's last three steps, in dir/NAME; 0 if all pass. */
static int
recipe_verify(const char *dir)
{
	return sh("cd '%s/" NAME "' && openssl cms -verify -binary -inform "
	    "DER -in tagmanifest-sha256.txt.p7s -content "
	    "tagmanifest-sha256.txt -CAfile station.pem -purpose any -out "
	    "/dev/null >/dev/null 2>&1 && sha256sum -c tagmanifest-sha256.txt "
	    ">/dev/null 2>&1 && sha256sum -c manifest-sha256.txt >/dev/null "
	    "2>&1", dir);
}

/* Decrypts bundle to dir/B.tar with the stock openssl (password). */
static void
stock_decrypt(const char *bundle, const char *dir)
{
	assert_int_equal(sh("openssl cms -decrypt -binary -inform DER -in "
	    "'%s' -pwri_password '" PW "' -out '%s/B.tar'", bundle, dir), 0);
}

/* A sealed bag (password) in a new scratch dir, and its stock tar. */
static void
sealed_and_tar(char *dir, size_t len, char *bundle, size_t blen)
{
	scratch(dir, len);
	path_in(dir, "B.tar.p7m", bundle, blen);
	write_bag(bundle, PW, 0);
	stock_decrypt(bundle, dir);
}

/* A fresh extraction of dir/B.tar in a new scratch dir. */
static void
fresh(const char *tardir, char *dir, size_t len)
{
	scratch(dir, len);
	assert_int_equal(sh("cd '%s' && tar xf '%s/B.tar'", dir, tardir), 0);
}

/* ---- world setup ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* An EC P-256 key and self-signed certificate, saved as PEM files. */
static void
make_party(const char *cn, char *key_path, char *pem_path, uint8_t **der,
    size_t *len)
{
	struct sign_key *k = NULL;
	char err[ERRLEN];
	uint8_t *d = NULL;
	size_t n = 0;

	assert_int_equal(sign_key_generate(&k), 0);
	assert_int_equal(sign_cert_create(k, cn, 3650, &d, &n), 0);
	assert_int_equal(sign_key_save(k, key_path, err, sizeof(err)), 0);
	assert_int_equal(sign_cert_save_pem(d, n, pem_path, err,
	    sizeof(err)), 0);
	sign_key_free(k);
	if (der != NULL) {
		*der = d;
		*len = n;
	} else
		free(d);
}

static int
world_setup(void **state)
{
	char err[ERRLEN], pem[128];

	(void)state;
	memset(&W, 0, sizeof(W));
	(void)snprintf(W.dir, sizeof(W.dir), "/tmp/custody-bag-XXXXXX");
	if (mkdtemp(W.dir) == NULL)
		return -1;
	if (sign_key_generate(&W.station) != 0 ||
	    sign_cert_create(W.station, "custody station test", 3650, &W.cert,
	    &W.cert_len) != 0)
		return -1;
	sign_cert_fingerprint(W.cert, W.cert_len, W.fpr);
	(void)snprintf(W.station_key, sizeof(W.station_key), "%s/station.key",
	    W.dir);
	(void)snprintf(pem, sizeof(pem), "%s/station-cert.pem", W.dir);
	if (sign_key_save(W.station, W.station_key, err, sizeof(err)) != 0 ||
	    sign_cert_save_pem(W.cert, W.cert_len, pem, err, sizeof(err)) != 0)
		return -1;
	(void)snprintf(W.officer_key, sizeof(W.officer_key), "%s/officer.key",
	    W.dir);
	(void)snprintf(W.officer_pem, sizeof(W.officer_pem), "%s/officer.pem",
	    W.dir);
	make_party("PC 1234 Smith", W.officer_key, W.officer_pem, &W.officer,
	    &W.officer_len);
	(void)snprintf(W.other_key, sizeof(W.other_key), "%s/other.key",
	    W.dir);
	(void)snprintf(W.other_pem, sizeof(W.other_pem), "%s/other.pem",
	    W.dir);
	make_party("PC 9999 Jones", W.other_key, W.other_pem, NULL, NULL);
	(void)snprintf(W.big, sizeof(W.big), "%s/big.bin", W.dir);
	W.big_data = pattern(BIG_LEN, 42);
	put(W.big, W.big_data, BIG_LEN);
	/* Opened read-only and left at its end: bag_write must pread. */
	if ((W.big_fd = open(W.big, O_RDONLY)) < 0 ||
	    lseek(W.big_fd, 0, SEEK_END) < 0)
		return -1;
	return 0;
}

static int
world_teardown(void **state)
{
	(void)state;
	if (W.big_fd > 0)
		(void)close(W.big_fd);
	(void)nftw(W.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	sign_key_free(W.station);
	free(W.cert);
	free(W.officer);
	free(W.big_data);
	return 0;
}

/* ---- stock tools ---- */

/* The exact recipe of bag.h, with the system openssl, tar, sha256sum. */
static void
test_stock_recipe(void **state)
{
	char dir[256], bundle[320], cmd[1024], want[1024], *out;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	write_bag(bundle, PW, 0);
	assert_int_equal(sh("(cd '%s' && "
	    "openssl cms -decrypt -binary -inform DER -in B.tar.p7m "
	    "-pwri_password '" PW "' -out B.tar && "
	    "tar xf B.tar && cd " NAME " && "
	    "openssl cms -verify -binary -inform DER "
	    "-in tagmanifest-sha256.txt.p7s -content tagmanifest-sha256.txt "
	    "-CAfile station.pem -purpose any -out /dev/null && "
	    "sha256sum -c tagmanifest-sha256.txt && "
	    "sha256sum -c manifest-sha256.txt) >/dev/null 2>&1", dir), 0);
	/* The SHA-512 manifests hold too, and the item came through. */
	assert_int_equal(sh("cd '%s/" NAME "' && sha512sum --quiet -c "
	    "tagmanifest-sha512.txt && sha512sum --quiet -c "
	    "manifest-sha512.txt && cmp data/items/ITEM-0001 '%s'", dir,
	    W.big), 0);
	/* Names sorted (byte order), owner 0/0 and no names, fixed modes. */
	assert_int_equal(sh("cd '%s' && tar tf B.tar > l1 && LC_ALL=C sort "
	    "l1 > l2 && cmp -s l1 l2", dir), 0);
	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && tar --numeric-owner "
	    "-tvf B.tar | awk '{print $1, $2}' | sort -u | tr '\\n' ' '", dir);
	out = sh_out(cmd);
	assert_string_equal(out, "-rw-r--r-- 0/0 drwxr-xr-x 0/0 ");
	free(out);
	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && TZ=UTC tar -tvf B.tar | "
	    "awk '{print $4, $5}' | sort -u", dir);
	out = sh_out(cmd);
	assert_string_equal(out, "2026-11-18 11:06\n");
	free(out);
	(void)snprintf(cmd, sizeof(cmd), "cat '%s/" NAME "/bag-info.txt'",
	    dir);
	out = sh_out(cmd);
	(void)snprintf(want, sizeof(want), "Source-Organization: Hillside "
	    "Academy\nContact-Name: dee.dsl\nExternal-Identifier: "
	    "CR/2026/0042\nCustody-Station-Key-SHA256: ab12\nBagging-Date: "
	    "2026-11-18\nPayload-Oxum: %llu.%zu\nBag-Count: 1 of 1\n",
	    (unsigned long long)payload_bytes(), NFILES);
	assert_string_equal(out, want);
	free(out);
}

/*
 * One bit flipped in each file of a fresh extraction in turn: the recipe
 * or bag_open on the directory fails.  bag_open must catch every one; the
 * recipe every one but tagmanifest-sha512.txt (which it never reads).
 */
static void
test_flip_each_file(void **state)
{
	char tardir[256], bundle[320], dir[256], path[1024], err[ERRLEN];
	char *list, *line, *save = NULL;
	struct bag_check chk;
	int n = 0, rr, ro;

	(void)state;
	sealed_and_tar(tardir, sizeof(tardir), bundle, sizeof(bundle));
	fresh(tardir, dir, sizeof(dir));
	assert_int_equal(recipe_verify(dir), 0);
	path_in(dir, NAME, path, sizeof(path));
	assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), 0);
	(void)snprintf(path, sizeof(path), "cd '%s' && find " NAME " -type f "
	    "| LC_ALL=C sort", dir);
	list = sh_out(path);
	for (line = strtok_r(list, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "items/empty") != NULL)
			continue;	/* no byte to flip */
		fresh(tardir, dir, sizeof(dir));
		flip(path_in(dir, line, path, sizeof(path)));
		rr = recipe_verify(dir);
		path_in(dir, NAME, path, sizeof(path));
		ro = bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
		    NULL, NULL, &chk, err, sizeof(err));
		if (ro == 0)
			fail_msg("bag_open missed a flipped bit in %s", line);
		if (rr == 0 && strstr(line, "tagmanifest-sha512.txt") == NULL)
			fail_msg("the recipe missed a flipped bit in %s", line);
		assert_int_equal(ro, CUSTODY_ERR_VERIFY);
		assert_true(strlen(err) > 0);
		n++;
	}
	free(list);
	assert_int_equal(n, 8 + (int)NFILES - 1);
}

/* ---- bag_open round trips ---- */

static void
expect_payload(const char *dest)
{
	char path[512];
	struct stat st;

	path_in(dest, NAME "/data/items/ITEM-0001", path, sizeof(path));
	assert_int_equal(sh("cmp -s '%s' '%s'", path, W.big), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	path_in(dest, NAME "/data/items", path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void
test_open_password(void **state)
{
	char dir[256], bundle[320], dest[320], err[ERRLEN], cmd[512], *out;
	struct bag_check chk;
	struct said said;
	const char *p;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	path_in(dir, "dest", dest, sizeof(dest));
	assert_int_equal(mkdir(dest, 0700), 0);
	write_bag(bundle, PW, 0);
	memset(&said, 0, sizeof(said));
	if (bag_open(bundle, PW, strlen(PW), NULL, NULL, dest, MAX_BYTES,
	    collect, &said, &chk, err, sizeof(err)) != 0)
		fail_msg("bag_open: %s", err);
	assert_string_equal(chk.name, NAME);
	assert_string_equal(chk.fingerprint, W.fpr);
	assert_int_equal(chk.payload_files, NFILES);
	assert_int_equal(chk.payload_bytes, payload_bytes());
	expect_payload(dest);
	p = said.text;
	assert_non_null(p = strstr(p, "decrypt: ok (password, "
	    "EnvelopedData)\n"));
	assert_non_null(p = strstr(p, "extract: 17 entries ok, all inside "
	    NAME "/\n"));
	assert_non_null(p = strstr(p, "bagit.txt: ok (BagIt 1.0, UTF-8)\n"));
	(void)snprintf(cmd, sizeof(cmd), "cms signature: ok (station key "
	    "%s)\n", W.fpr);
	assert_non_null(p = strstr(p, cmd));
	assert_non_null(p = strstr(p, "tagmanifest-sha256.txt: 5 files ok\n"));
	assert_non_null(p = strstr(p, "tagmanifest-sha512.txt: 5 files ok\n"));
	assert_non_null(p = strstr(p, "manifest-sha256.txt: 6 files ok\n"));
	assert_non_null(p = strstr(p, "manifest-sha512.txt: 6 files ok\n"));
	(void)snprintf(cmd, sizeof(cmd), "bag-info.txt: Payload-Oxum %llu.%zu "
	    "ok\n", (unsigned long long)payload_bytes(), NFILES);
	assert_non_null(strstr(p, cmd));
	assert_int_equal(said.n, 9);
	/* AES-256-CBC, PWRI with PBKDF2 and at least BAG_PWRI_ITER iterations. */
	(void)snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform "
	    "DER -in '%s' -noout | grep -v '^ *[0-9a-f]* - '", bundle);
	out = sh_out(cmd);
	assert_non_null(strstr(out, "aes-256-cbc"));
	assert_null(strstr(out, "aes-256-gcm"));
	assert_non_null(strstr(out, "PBKDF2"));
	free(out);
	(void)snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform "
	    "DER -in '%s' -noout | grep -A12 PBKDF2 | sed -n 's/.*INTEGER "
	    "*:\\([0-9A-F]*\\).*/\\1/p' | head -n 1", bundle);
	out = sh_out(cmd);
	assert_true(strtoul(out, NULL, 16) >= BAG_PWRI_ITER);
	free(out);
}

/* To the officer's certificate only: AES-256-GCM; stock tools open it. */
static void
test_open_certificate(void **state)
{
	char dir[256], bundle[320], dest[320], err[ERRLEN], cmd[512], *out;
	struct bag_check chk;
	struct said said;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	path_in(dir, "dest", dest, sizeof(dest));
	assert_int_equal(mkdir(dest, 0700), 0);
	write_bag(bundle, NULL, 1);
	memset(&said, 0, sizeof(said));
	if (bag_open(bundle, NULL, 0, W.officer_key, W.officer_pem, dest,
	    MAX_BYTES, collect, &said, &chk, err, sizeof(err)) != 0)
		fail_msg("bag_open: %s", err);
	assert_non_null(strstr(said.text, "decrypt: ok (key and certificate, "
	    "AuthEnvelopedData)"));
	assert_int_equal(chk.payload_files, NFILES);
	expect_payload(dest);
	(void)snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform "
	    "DER -in '%s' -noout | grep -v '^ *[0-9a-f]* - '", bundle);
	out = sh_out(cmd);
	/* id-aes256-GCM; OpenSSL 3.0 prints its long name and OID. */
	assert_non_null(strstr(out, "aes-256-gcm (2.16.840.1.101.3.4.1.46)"));
	assert_non_null(strstr(out, "id-smime-ct-authEnvelopedData"));
	assert_non_null(strstr(out, "dhSinglePass-stdDH-sha256kdf-scheme"));
	assert_null(strstr(out, "PBKDF2"));
	assert_null(strstr(out, "aes-256-cbc"));
	free(out);
	assert_int_equal(sh("cd '%s' && openssl cms -decrypt -binary -inform "
	    "DER -in B.tar.p7m -recip '%s' -inkey '%s' -out B.tar && tar xf "
	    "B.tar", dir, W.officer_pem, W.officer_key), 0);
	assert_int_equal(recipe_verify(dir), 0);
	/* A password cannot open a bag sealed to a certificate. */
	scratch(dest, sizeof(dest));
	assert_int_equal(bag_open(bundle, PW, strlen(PW), NULL, NULL, dest,
	    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_KEY);
}

/* An officer with an RSA certificate: RSAES-OAEP; stock tools open it. */
static void
test_open_rsa_officer(void **state)
{
	char dir[256], bundle[320], dest[320], key[320], pem[320];
	char err[ERRLEN], cmd[512], *out;
	struct bag_spec s;
	struct bag_check chk;
	uint8_t *der = NULL, sha[32];
	size_t len = 0;
	int fd;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	path_in(dir, "rsa.key", key, sizeof(key));
	path_in(dir, "rsa.pem", pem, sizeof(pem));
	assert_int_equal(sh("openssl req -x509 -newkey rsa:2048 -nodes "
	    "-keyout '%s' -out '%s' -subj /CN=rsa-officer -days 2 "
	    ">/dev/null 2>&1", key, pem), 0);
	assert_int_equal(sign_cert_load_pem(pem, &der, &len, err,
	    sizeof(err)), 0);
	spec_init(&s, NULL, 0);
	s.recipient = der;
	s.recipient_len = len;
	assert_true((fd = open(bundle, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	if (bag_write(&s, fd, NULL, sha, err, sizeof(err)) != 0)
		fail_msg("bag_write: %s", err);
	(void)close(fd);
	free(der);
	(void)snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform "
	    "DER -in '%s' -noout | grep -v '^ *[0-9a-f]* - '", bundle);
	out = sh_out(cmd);
	assert_non_null(strstr(out, "rsaesOaep"));
	assert_non_null(strstr(out, "aes-256-gcm"));
	free(out);
	assert_int_equal(sh("cd '%s' && openssl cms -decrypt -binary -inform "
	    "DER -in B.tar.p7m -recip rsa.pem -inkey rsa.key -out B.tar && "
	    "tar xf B.tar", dir), 0);
	assert_int_equal(recipe_verify(dir), 0);
	scratch(dest, sizeof(dest));
	if (bag_open(bundle, NULL, 0, key, pem, dest, MAX_BYTES, NULL, NULL,
	    &chk, err, sizeof(err)) != 0)
		fail_msg("bag_open: %s", err);
	expect_payload(dest);
}

/* Both recipients: CBC, and either opens it. */
static void
test_open_both(void **state)
{
	char dir[256], bundle[320], dest[320], err[ERRLEN], cmd[512], *out;
	struct bag_check chk;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	write_bag(bundle, PW, 1);
	scratch(dest, sizeof(dest));
	if (bag_open(bundle, PW, strlen(PW), NULL, NULL, dest, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)) != 0)
		fail_msg("bag_open (password): %s", err);
	scratch(dest, sizeof(dest));
	if (bag_open(bundle, NULL, 0, W.officer_key, W.officer_pem, dest,
	    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)) != 0)
		fail_msg("bag_open (key): %s", err);
	(void)snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform "
	    "DER -in '%s' -noout | grep -v '^ *[0-9a-f]* - '", bundle);
	out = sh_out(cmd);
	assert_non_null(strstr(out, "aes-256-cbc"));
	assert_null(strstr(out, "aes-256-gcm"));
	free(out);
}

/* Where an absolute tar entry would land: a name nothing else uses. */
#define ABS_ESCAPE	"/tmp/custody-test-bag-absolute-escape"

/* The parent of a dest, after a refused bundle, holds only dest. */
static void
expect_contained(const char *parent)
{
	char *l = listing(parent), *t, *save = NULL;

	for (t = strtok_r(l, " ", &save); t != NULL; t = strtok_r(NULL, " ",
	    &save))
		if (strcmp(t, ".") != 0 && strcmp(t, "./dest") != 0 &&
		    strncmp(t, "./dest/", 7) != 0)
			fail_msg("%s: outside dest", t);
	free(l);
	l = sh_out("ls -d /x " ABS_ESCAPE " 2>/dev/null");
	assert_string_equal(l, "");
	free(l);
}

static void
test_wrong_password_and_key(void **state)
{
	char dir[256], bundle[320], parent[256], dest[320], err[ERRLEN];
	struct bag_check chk;
	char *l;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	write_bag(bundle, PW, 1);
	scratch(parent, sizeof(parent));
	path_in(parent, "dest", dest, sizeof(dest));
	assert_int_equal(mkdir(dest, 0700), 0);
	memset(&chk, 0xa5, sizeof(chk));
	assert_int_equal(bag_open(bundle, "not-the-password", 16, NULL, NULL,
	    dest, MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)),
	    CUSTODY_ERR_KEY);
	assert_string_equal(err, "cannot decrypt: wrong password or not for "
	    "this key");
	assert_string_equal(chk.name, "");
	l = listing(dest);
	assert_string_equal(l, ". ");
	free(l);
	assert_int_equal(bag_open(bundle, NULL, 0, W.other_key, W.other_pem,
	    dest, MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)),
	    CUSTODY_ERR_KEY);
	assert_string_equal(err, "cannot decrypt: wrong password or not for "
	    "this key");
	/* The right key with someone else's certificate. */
	assert_int_equal(bag_open(bundle, NULL, 0, W.officer_key, W.other_pem,
	    dest, MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)),
	    CUSTODY_ERR_KEY);
	assert_int_equal(bag_open(bundle, NULL, 0, NULL, NULL, dest,
	    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)),
	    CUSTODY_ERR_INVAL);
	expect_contained(parent);
}

/* Truncated anywhere: a clear error, never a verified bag. */
static void
test_truncated(void **state)
{
	static const long cut[] = { 10, 300, 1000, 4096, 1 << 20, -1, -2,
	    -40 };
	char dir[256], bundle[320], cutf[320], parent[256], dest[320];
	char err[ERRLEN];
	struct bag_check chk;
	struct stat st;
	size_t i;
	int r;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	path_in(dir, "cut.p7m", cutf, sizeof(cutf));
	write_bag(bundle, PW, 0);
	assert_int_equal(stat(bundle, &st), 0);
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		assert_int_equal(sh("head -c %ld '%s' > '%s'", cut[i] > 0 ?
		    cut[i] : (long)st.st_size + cut[i], bundle, cutf), 0);
		scratch(parent, sizeof(parent));
		path_in(parent, "dest", dest, sizeof(dest));
		assert_int_equal(mkdir(dest, 0700), 0);
		r = bag_open(cutf, PW, strlen(PW), NULL, NULL, dest,
		    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err));
		if (r == 0)
			fail_msg("a bundle cut at %ld was accepted", cut[i]);
		assert_int_equal(r, CUSTODY_ERR_CORRUPT);
		assert_non_null(strstr(err, "truncated"));
		expect_contained(parent);
	}
}

/*
 * One bit flipped in the ciphertext: GCM's tag catches it when the tar
 * has been read; under CBC the manifests or the tar reader do.  Either
 * way a clear error, and nothing outside dest.
 */
static void
test_tampered_ciphertext(void **state)
{
	char dir[256], bundle[320], parent[256], dest[320], err[ERRLEN];
	struct bag_check chk;
	int r;

	(void)state;
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	write_bag(bundle, NULL, 1);
	flip(bundle);
	scratch(parent, sizeof(parent));
	path_in(parent, "dest", dest, sizeof(dest));
	assert_int_equal(mkdir(dest, 0700), 0);
	assert_int_equal(bag_open(bundle, NULL, 0, W.officer_key,
	    W.officer_pem, dest, MAX_BYTES, NULL, NULL, &chk, err,
	    sizeof(err)), CUSTODY_ERR_CORRUPT);
	assert_string_equal(err, "cannot decrypt: the bundle is corrupt or "
	    "truncated (the cipher's final check failed)");
	expect_contained(parent);
	scratch(dir, sizeof(dir));
	path_in(dir, "B.tar.p7m", bundle, sizeof(bundle));
	write_bag(bundle, PW, 0);
	flip(bundle);
	scratch(parent, sizeof(parent));
	path_in(parent, "dest", dest, sizeof(dest));
	assert_int_equal(mkdir(dest, 0700), 0);
	r = bag_open(bundle, PW, strlen(PW), NULL, NULL, dest, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err));
	assert_true(r == CUSTODY_ERR_VERIFY || r == CUSTODY_ERR_CORRUPT);
	assert_true(strlen(err) > 0);
	expect_contained(parent);
}

/* An extra file, a missing file, a symlink in a directory bag. */
static void
test_extra_and_missing(void **state)
{
	char tardir[256], bundle[320], dir[256], path[512], err[ERRLEN];
	struct bag_check chk;

	(void)state;
	sealed_and_tar(tardir, sizeof(tardir), bundle, sizeof(bundle));
	fresh(tardir, dir, sizeof(dir));
	put(path_in(dir, NAME "/data/extra.txt", path, sizeof(path)), "x", 1);
	assert_int_equal(bag_open(dir, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_string_equal(err, "data/extra.txt: an extra file, not listed "
	    "in manifest-sha256.txt");
	fresh(tardir, dir, sizeof(dir));
	assert_int_equal(unlink(path_in(dir, NAME "/data/case.json", path,
	    sizeof(path))), 0);
	path_in(dir, NAME, path, sizeof(path));
	assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_string_equal(err, "manifest-sha256.txt: data/case.json is "
	    "listed but missing");
	fresh(tardir, dir, sizeof(dir));
	put(path_in(dir, NAME "/notes.txt", path, sizeof(path)), "x", 1);
	path_in(dir, NAME, path, sizeof(path));
	assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_string_equal(err, "notes.txt: an extra file, not listed in "
	    "tagmanifest-sha256.txt");
	/* A symlink in a directory bag is refused, not followed. */
	fresh(tardir, dir, sizeof(dir));
	assert_int_equal(symlink("/etc/passwd", path_in(dir, NAME
	    "/data/link", path, sizeof(path))), 0);
	path_in(dir, NAME, path, sizeof(path));
	assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "data/link: a symbolic link"));
}

/*
 * Re-makes both tag manifests of the bag in dir/NAME and re-signs with
 * the station key, as a forger holding the key would; so only the
 * manifest checks stand between the bag and acceptance.
 */
static void
reseal(const char *dir)
{
	assert_int_equal(sh("cd '%s/" NAME "' && for a in 256 512; do "
	    "sha${a}sum bag-info.txt bagit.txt manifest-sha256.txt "
	    "manifest-sha512.txt station.pem > tagmanifest-sha$a.txt || "
	    "exit 1; done && rm tagmanifest-sha256.txt.p7s && openssl cms "
	    "-sign -binary -outform DER -md sha256 -nosmimecap -in "
	    "tagmanifest-sha256.txt -signer station.pem -inkey '%s' -out "
	    "tagmanifest-sha256.txt.p7s", dir, W.station_key), 0);
}

/* A manifest listing a path outside the bag. */
static void
test_manifest_escape(void **state)
{
	static const char *const bad[] = { "../etc/passwd",
	    "data/../../etc/passwd", "/etc/passwd" };
	char tardir[256], bundle[320], dir[256], path[512], err[ERRLEN];
	struct bag_check chk;
	size_t i;

	(void)state;
	sealed_and_tar(tardir, sizeof(tardir), bundle, sizeof(bundle));
	/* The forger's tools work: a resealed honest bag passes. */
	fresh(tardir, dir, sizeof(dir));
	reseal(dir);
	assert_int_equal(recipe_verify(dir), 0);
	path_in(dir, NAME, path, sizeof(path));
	assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh(tardir, dir, sizeof(dir));
		assert_int_equal(sh("cd '%s/" NAME "' && for a in 256 512; do "
		    "printf '%%s  %%s\\n' $(sha${a}sum < /etc/passwd | cut "
		    "-d' ' -f1) '%s' >> manifest-sha$a.txt; done", dir,
		    bad[i]), 0);
		reseal(dir);
		path_in(dir, NAME, path, sizeof(path));
		assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL,
		    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)),
		    CUSTODY_ERR_VERIFY);
		assert_non_null(strstr(err, "manifest-sha256.txt line 7: "));
		assert_non_null(strstr(err, bad[i]));
		assert_true(strstr(err, "escapes the bag") != NULL ||
		    strstr(err, "absolute") != NULL);
	}
}

/* ---- hostile tars ---- */

/* One ustar header block. */
static void
ustar(FILE *fp, const char *name, char type, uint64_t size, const char *link)
{
	uint8_t h[512];
	char num[32];
	unsigned int sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	(void)snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	(void)snprintf((char *)h + 108, 8, "%07o", 0);
	(void)snprintf((char *)h + 116, 8, "%07o", 0);
	(void)snprintf(num, sizeof(num), "%011llo", (unsigned long long)size);
	memcpy(h + 124, num, 12);
	(void)snprintf((char *)h + 136, 12, "%011o", 1795000000);
	memset(h + 148, ' ', 8);
	h[156] = (uint8_t)type;
	if (link != NULL)
		memcpy(h + 157, link, strlen(link));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	(void)snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	assert_int_equal(fwrite(h, 1, sizeof(h), fp), sizeof(h));
}

/* A file entry with its data, padded. */
static void
ustar_file(FILE *fp, const char *name, const char *data)
{
	static const uint8_t zero[512];
	size_t len = strlen(data);

	ustar(fp, name, '0', len, NULL);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	if (len % 512 != 0)
		assert_int_equal(fwrite(zero, 1, 512 - len % 512, fp),
		    512 - len % 512);
}

/*
 * Writes a tar that starts like a bag and then has the hostile entry
 * (kind), seals it to PW with the stock openssl, and expects bag_open to
 * refuse it with code and a message holding what, writing nothing
 * outside dest.
 */
static void
hostile(int kind, int code, const char *what)
{
	static const uint8_t zero[1024];
	char dir[256], tar[320], bundle[320], parent[256], dest[320];
	char err[ERRLEN];
	struct bag_check chk;
	FILE *fp;
	char *l;
	int r;

	scratch(dir, sizeof(dir));
	path_in(dir, "x.tar", tar, sizeof(tar));
	path_in(dir, "x.tar.p7m", bundle, sizeof(bundle));
	assert_non_null(fp = fopen(tar, "w"));
	ustar(fp, NAME "/", '5', 0, NULL);
	ustar_file(fp, NAME "/bagit.txt", "BagIt-Version: 1.0\n");
	switch (kind) {
	case 0:
		ustar_file(fp, "../x", "escaped\n");
		break;
	case 1:
		ustar_file(fp, ABS_ESCAPE, "absolute\n");
		break;
	case 2:
		ustar(fp, NAME "/data", '2', 0, "/tmp");
		ustar_file(fp, NAME "/data/x", "through the link\n");
		break;
	case 3:
		ustar(fp, NAME "/huge", '0', UINT64_C(077777777777), NULL);
		break;
	case 4:
		ustar(fp, NAME "/hard", '1', 0, "/etc/passwd");
		break;
	case 5:
		ustar(fp, NAME "/dev", '3', 0, NULL);
		break;
	case 6:
		ustar_file(fp, NAME "/bagit.txt", "again\n");
		break;
	case 7:
		ustar_file(fp, NAME "/../x", "escaped\n");
		break;
	case 8:
		ustar_file(fp, "other-bag/x", "outside\n");
		break;
	}
	assert_int_equal(fwrite(zero, 1, sizeof(zero), fp), sizeof(zero));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(sh("openssl cms -encrypt -binary -outform DER "
	    "-aes-256-cbc -pwri_password '" PW "' -in '%s' -out '%s'", tar,
	    bundle), 0);
	scratch(parent, sizeof(parent));
	path_in(parent, "dest", dest, sizeof(dest));
	assert_int_equal(mkdir(dest, 0700), 0);
	r = bag_open(bundle, PW, strlen(PW), NULL, NULL, dest, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err));
	if (r != code || strstr(err, what) == NULL)
		fail_msg("kind %d: got %d \"%s\", wanted %d \"%s\"", kind, r,
		    err, code, what);
	expect_contained(parent);
	(void)snprintf(err, sizeof(err), "find '%s' -type l", parent);
	l = sh_out(err);
	assert_string_equal(l, "");
	free(l);
}

static void
test_tar_dotdot(void **state)
{
	(void)state;
	hostile(0, CUSTODY_ERR_CORRUPT, "tar entry ../x: a path that escapes "
	    "the bag");
	hostile(7, CUSTODY_ERR_CORRUPT, "tar entry " NAME "/../x: a path "
	    "that escapes the bag");
}

static void
test_tar_absolute(void **state)
{
	(void)state;
	hostile(1, CUSTODY_ERR_CORRUPT, "tar entry " ABS_ESCAPE ": an absolute "
	    "path");
}

static void
test_tar_symlink(void **state)
{
	(void)state;
	hostile(2, CUSTODY_ERR_CORRUPT, "tar entry " NAME "/data: a link");
	hostile(4, CUSTODY_ERR_CORRUPT, "tar entry " NAME "/hard: a link");
}

static void
test_tar_absurd_size(void **state)
{
	(void)state;
	hostile(3, CUSTODY_ERR_TOOBIG, "tar entry " NAME "/huge: declares "
	    "8589934591 bytes, over the limit");
}

static void
test_tar_other(void **state)
{
	(void)state;
	hostile(5, CUSTODY_ERR_CORRUPT, "a device, fifo");
	hostile(6, CUSTODY_ERR_CORRUPT, "bagit.txt: appears twice");
	hostile(8, CUSTODY_ERR_CORRUPT, "outside the bag directory");
}

/* ---- determinism ---- */

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd;

	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(p = malloc((size_t)st.st_size + 1));
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	(void)close(fd);
	*len = (size_t)st.st_size;
	return p;
}

/*
 * Walks two tars in step: every header and data block is byte-identical
 * except the .p7s entry's (a fresh ECDSA nonce each time), whose header
 * may differ only in size and checksum.  Returns the number of entries.
 */
static int
tar_compare(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t ia = 0, ib = 0, sa, sb;
	int n = 0;

	while (ia + 512 <= alen && ib + 512 <= blen && a[ia] != 0) {
		sa = strtoull((const char *)a + ia + 124, NULL, 8);
		sb = strtoull((const char *)b + ib + 124, NULL, 8);
		assert_memory_equal(a + ia, b + ib, 100);	/* name */
		if (strstr((const char *)a + ia, ".p7s") != NULL) {
			assert_memory_equal(a + ia, b + ib, 124);
			assert_memory_equal(a + ia + 136, b + ib + 136, 12);
			assert_memory_equal(a + ia + 156, b + ib + 156, 356);
		} else {
			assert_memory_equal(a + ia, b + ib, 512);
			assert_int_equal(sa, sb);
			assert_memory_equal(a + ia + 512, b + ib + 512, sa);
		}
		ia += 512 + (sa + 511) / 512 * 512;
		ib += 512 + (sb + 511) / 512 * 512;
		n++;
	}
	assert_int_equal(b[ib], 0);
	for (; ia < alen; ia++)
		assert_int_equal(a[ia], 0);
	for (; ib < blen; ib++)
		assert_int_equal(b[ib], 0);
	return n;
}

static void
test_determinism(void **state)
{
	char d1[256], d2[256], b1[320], b2[320], t1[320], t2[320];
	uint8_t *a, *b;
	size_t alen, blen;

	(void)state;
	sealed_and_tar(d1, sizeof(d1), b1, sizeof(b1));
	sealed_and_tar(d2, sizeof(d2), b2, sizeof(b2));
	a = slurp(path_in(d1, "B.tar", t1, sizeof(t1)), &alen);
	b = slurp(path_in(d2, "B.tar", t2, sizeof(t2)), &blen);
	assert_int_equal(alen % 10240, 0);
	assert_int_equal(tar_compare(a, alen, b, blen), 17);
	free(a);
	free(b);
	/* The two ciphertexts differ (fresh keys and IVs). */
	assert_int_not_equal(sh("cmp -s '%s' '%s'", b1, b2), 0);
}

/* ---- refusals ---- */

static void
refuse(struct bag_spec *s, const char *what)
{
	char dir[256], out[320], err[ERRLEN] = "";
	uint8_t sha[32];
	struct stat st;
	int fd, r;

	scratch(dir, sizeof(dir));
	assert_true((fd = open(path_in(dir, "o.p7m", out, sizeof(out)),
	    O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	memset(sha, 0xa5, sizeof(sha));
	r = bag_write(s, fd, dir, sha, err, sizeof(err));
	if (r != CUSTODY_ERR_INVAL || strstr(err, what) == NULL)
		fail_msg("wanted INVAL \"%s\", got %d \"%s\"", what, r, err);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	(void)close(fd);
}

static void
test_write_refusals(void **state)
{
	static const char *const bad_paths[] = { "../etc/passwd", "/abs",
	    "a//b", "a/", "a/./b", "a b", "a/../b", "", "x\ny", "caf\xc3\xa9" };
	static const char *const bad_names[] = { "", ".", "..", "a/b", "a b",
	    "x\n" };
	struct bag_file f[3];
	struct bag_info in[1];
	struct bag_spec s;
	int p[2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		spec_init(&s, PW, 0);
		s.name = bad_names[i];
		refuse(&s, "bag name");
	}
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		spec_init(&s, PW, 0);
		f[0] = (struct bag_file){ bad_paths[i], "x", 1, -1 };
		s.files = f;
		s.nfiles = 1;
		refuse(&s, "payload path");
	}
	spec_init(&s, PW, 0);
	f[0] = (struct bag_file){ "a", "x", 1, -1 };
	f[1] = (struct bag_file){ "b", "y", 1, -1 };
	f[2] = (struct bag_file){ "a", "z", 1, -1 };
	s.files = f;
	s.nfiles = 3;
	refuse(&s, "data/a is in the payload twice");
	f[2] = (struct bag_file){ "a/c", "z", 1, -1 };
	refuse(&s, "data/a is both a file and the directory of data/a/c");
	spec_init(&s, PW, 0);
	in[0] = (struct bag_info){ "Contact-Name", "dee\nPayload-Oxum: 1.1" };
	s.info = in;
	s.ninfo = 1;
	refuse(&s, "newline, a control character");
	in[0] = (struct bag_info){ "Contact-Name", "dee\x1b[2J" };
	refuse(&s, "control character");
	in[0] = (struct bag_info){ "Contact: Name", "dee" };
	refuse(&s, "is not allowed");
	in[0] = (struct bag_info){ "Payload-Oxum", "1.1" };
	refuse(&s, "written by the bag writer");
	spec_init(&s, NULL, 0);
	refuse(&s, "no recipient");
	spec_init(&s, PW, 0);
	s.nfiles = 0;
	refuse(&s, "1 to");
	spec_init(&s, PW, 0);
	s.cert = W.officer;
	s.cert_len = W.officer_len;
	refuse(&s, "not for the station key");
	spec_init(&s, PW, 0);
	s.cert_len--;
	refuse(&s, "not one DER certificate");
	spec_init(&s, PW, 0);
	s.recipient = W.cert;
	s.recipient_len = 10;
	refuse(&s, "recipient certificate");
	/* A pipe has no size to put in the tar header. */
	assert_int_equal(pipe(p), 0);
	spec_init(&s, PW, 0);
	f[0] = (struct bag_file){ "pipe", NULL, 0, p[0] };
	s.files = f;
	s.nfiles = 1;
	refuse(&s, "not a regular file");
	(void)close(p[0]);
	(void)close(p[1]);
}

/* A failing output is an error naming why. */
static void
test_write_io_error(void **state)
{
	char dir[256], path[320], err[ERRLEN];
	struct bag_file f[1];
	struct bag_spec s;
	uint8_t sha[32];
	int fd, ofd;

	(void)state;
	scratch(dir, sizeof(dir));
	put(path_in(dir, "f", path, sizeof(path)), "0123456789", 10);
	assert_true((fd = open(path, O_RDWR)) >= 0);
	spec_init(&s, NULL, 1);
	f[0] = (struct bag_file){ "f", NULL, 0, fd };
	s.files = f;
	s.nfiles = 1;
	/* /dev/full: every write fails. */
	assert_true((ofd = open("/dev/full", O_WRONLY)) >= 0);
	assert_int_equal(bag_write(&s, ofd, dir, sha, err, sizeof(err)),
	    CUSTODY_ERR_IO);
	assert_non_null(strstr(err, "cannot write the sealed bag"));
	(void)close(ofd);
	(void)close(fd);
}

/* bag_open's own refusals: dest, directory forms. */
static void
test_open_refusals(void **state)
{
	char tardir[256], bundle[320], dir[256], path[512], err[ERRLEN];
	struct bag_check chk;
	struct said said;

	(void)state;
	sealed_and_tar(tardir, sizeof(tardir), bundle, sizeof(bundle));
	/* dest not empty, and dest missing. */
	assert_int_equal(bag_open(bundle, PW, strlen(PW), NULL, NULL, tardir,
	    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_INVAL);
	assert_non_null(strstr(err, "not empty"));
	path_in(tardir, "nowhere", path, sizeof(path));
	assert_int_equal(bag_open(bundle, PW, strlen(PW), NULL, NULL, path,
	    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_INVAL);
	assert_int_equal(bag_open(path, PW, strlen(PW), NULL, NULL, path,
	    MAX_BYTES, NULL, NULL, &chk, err, sizeof(err)),
	    CUSTODY_ERR_NOTFOUND);
	/* A limit below the item's size. */
	scratch(dir, sizeof(dir));
	assert_int_equal(bag_open(bundle, PW, strlen(PW), NULL, NULL, dir,
	    1 << 20, NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_TOOBIG);
	assert_non_null(strstr(err, "items/ITEM-0001: declares 3145745"));
	/* The directory forms: the bag itself, and its parent. */
	fresh(tardir, dir, sizeof(dir));
	memset(&said, 0, sizeof(said));
	assert_int_equal(bag_open(dir, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    collect, &said, &chk, err, sizeof(err)), 0);
	assert_string_equal(chk.name, NAME);
	assert_int_equal(said.n, 7);
	assert_int_equal(strncmp(said.text, "bagit.txt: ok", 13), 0);
	path_in(dir, NAME, path, sizeof(path));
	assert_int_equal(bag_open(path, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), 0);
	assert_string_equal(chk.name, NAME);
	assert_string_equal(chk.fingerprint, W.fpr);
	/* Not a bag at all. */
	assert_int_equal(bag_open(W.dir, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_NOTFOUND);
	/* A Payload-Oxum that lies, resealed so only that check sees it. */
	fresh(tardir, dir, sizeof(dir));
	assert_int_equal(sh("cd '%s/" NAME "' && sed -i "
	    "'s/^Payload-Oxum: .*/Payload-Oxum: 1.6/' bag-info.txt", dir), 0);
	reseal(dir);
	assert_int_equal(bag_open(dir, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	(void)snprintf(path, sizeof(path), "bag-info.txt: Payload-Oxum 1.6, "
	    "but data/ holds %llu bytes in %zu files",
	    (unsigned long long)payload_bytes(), NFILES);
	assert_string_equal(err, path);
	/* Signed by another key that a forger put in station.pem: the
	 * signature holds, and the fingerprint is what tells them apart. */
	fresh(tardir, dir, sizeof(dir));
	assert_int_equal(sh("cp '%s' '%s/" NAME "/station.pem'", W.other_pem,
	    dir), 0);
	assert_int_equal(sh("cd '%s/" NAME "' && for a in 256 512; do "
	    "sha${a}sum bag-info.txt bagit.txt manifest-sha256.txt "
	    "manifest-sha512.txt station.pem > tagmanifest-sha$a.txt; done "
	    "&& openssl cms -sign -binary -outform DER -md sha256 "
	    "-nosmimecap -in tagmanifest-sha256.txt -signer station.pem "
	    "-inkey '%s' -out tagmanifest-sha256.txt.p7s", dir, W.other_key),
	    0);
	assert_int_equal(bag_open(dir, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), 0);
	assert_string_not_equal(chk.fingerprint, W.fpr);
	/* ...but a signature by another key than station.pem fails. */
	fresh(tardir, dir, sizeof(dir));
	assert_int_equal(sh("cd '%s/" NAME "' && openssl cms -sign -binary "
	    "-outform DER -md sha256 -in tagmanifest-sha256.txt -signer '%s' "
	    "-inkey '%s' -out tagmanifest-sha256.txt.p7s", dir, W.other_pem,
	    W.other_key), 0);
	assert_int_equal(bag_open(dir, NULL, 0, NULL, NULL, NULL, MAX_BYTES,
	    NULL, NULL, &chk, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "tagmanifest-sha256.txt.p7s: the "
	    "signature over tagmanifest-sha256.txt does not verify with "
	    "station.pem"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock_recipe),
		cmocka_unit_test(test_flip_each_file),
		cmocka_unit_test(test_open_password),
		cmocka_unit_test(test_open_certificate),
		cmocka_unit_test(test_open_rsa_officer),
		cmocka_unit_test(test_open_both),
		cmocka_unit_test(test_wrong_password_and_key),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_tampered_ciphertext),
		cmocka_unit_test(test_extra_and_missing),
		cmocka_unit_test(test_manifest_escape),
		cmocka_unit_test(test_tar_dotdot),
		cmocka_unit_test(test_tar_absolute),
		cmocka_unit_test(test_tar_symlink),
		cmocka_unit_test(test_tar_absurd_size),
		cmocka_unit_test(test_tar_other),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_write_refusals),
		cmocka_unit_test(test_write_io_error),
		cmocka_unit_test(test_open_refusals),
	};

	return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
