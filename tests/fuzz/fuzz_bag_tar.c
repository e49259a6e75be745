/*
 * fuzz_bag_tar.c -- the verifier's tar reader (evidence/bag_parse.h
 * bag_tar_extract): what `custody verify` does with the plaintext once
 * CMS has decrypted a bundle.
 *
 * The input is the plaintext tar itself, handed through a memory BIO to
 * the same bag_extract that bag_open runs on the CMS content BIO; only
 * the decryption is left out (a fuzzer cannot get past a cipher).  The
 * seeds are real bag tars from an export and hand-made hostile ones.
 *
 * Each input is extracted into a fresh empty directory below a temporary
 * one made in LLVMFuzzerInitialize (in /dev/shm where it can, removed at
 * exit).  Whatever the result, what bag_open.c promises must hold there
 * afterwards, even after a refusal half-way: only regular files and
 * directories (no symlink, device or fifo), all inside at most one top
 * directory, which on success is the bag name reported; files adding up
 * to no more than the limit.  The directory is then emptied for the next
 * input.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>

#include "common/error.h"
#include "evidence/bag_parse.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_BYTES	(1024u * 1024u)	/* declared sizes, in all */

static char fuzz_dir[64];	/* the temporary directory, or "" */
static char fuzz_dest[96];	/* fuzz_dir/d, extracted into */

/*
 * What one walk of fuzz_dest found; nftw's callback takes no context,
 * so it lives here, reset before each walk.
 */
static struct {
	size_t		 top;		/* entries right below fuzz_dest */
	char		 topname[BAG_MAX_NAME + 2];
	uint64_t	 bytes;		/* in regular files */
	const char	*bad;		/* the first broken promise */
} fuzz_seen;

static void	fuzz_die(const char *, const char *)
    __attribute__((noreturn));

static void
fuzz_die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_bag_tar: %s: %s\n", what, why);
	abort();
}

static int
fuzz_rm_all(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static void
fuzz_cleanup(void)
{
	if (fuzz_dir[0] != '\0')
		(void)nftw(fuzz_dir, fuzz_rm_all, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/custody-fuzz-XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		fuzz_die("mkdtemp", strerror(errno));
	(void)snprintf(fuzz_dest, sizeof(fuzz_dest), "%s/d", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
}

/*
 * Checks one entry below fuzz_dest and removes it (FTW_DEPTH: children
 * first), so the next input starts from an empty directory.
 */
static int
fuzz_walk(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;
	if (flag != FTW_F && flag != FTW_DP)
		fuzz_seen.bad = "something unreadable, or not a directory";
	else if (flag == FTW_F && !S_ISREG(st->st_mode))
		fuzz_seen.bad = "something neither a file nor a directory";
	if (flag == FTW_F && S_ISREG(st->st_mode))
		fuzz_seen.bytes += (uint64_t)st->st_size;
	if (ftw->level == 1) {
		if (fuzz_seen.top++ == 0)
			(void)snprintf(fuzz_seen.topname,
			    sizeof(fuzz_seen.topname), "%s", path + ftw->base);
		if (flag != FTW_DP)
			fuzz_seen.bad = "a top-level entry not a directory";
	}
	if (remove(path) != 0)
		fuzz_die(path, strerror(errno));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[BAG_MAX_NAME + 1], err[512];
	BIO *plain;
	int destfd, rc;

	if (fuzz_dir[0] == '\0')
		(void)LLVMFuzzerInitialize(NULL, NULL);
	if (size > INT_MAX)
		return 0;
	if (mkdir(fuzz_dest, 0700) != 0 ||
	    (destfd = open(fuzz_dest, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		fuzz_die(fuzz_dest, strerror(errno));
	if ((plain = BIO_new_mem_buf(data, (int)size)) == NULL)
		fuzz_die("BIO_new_mem_buf", "out of memory");
	err[0] = '\0';
	rc = bag_tar_extract(plain, destfd, FUZZ_MAX_BYTES, name, err,
	    sizeof(err));
	BIO_free(plain);
	(void)close(destfd);

	memset(&fuzz_seen, 0, sizeof(fuzz_seen));
	if (nftw(fuzz_dest, fuzz_walk, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fuzz_die("nftw", strerror(errno));
	if (fuzz_seen.bad == NULL && fuzz_seen.top > 1)
		fuzz_seen.bad = "more than one top-level entry";
	if (fuzz_seen.bad == NULL && fuzz_seen.bytes > FUZZ_MAX_BYTES)
		fuzz_seen.bad = "more bytes extracted than the limit";
	if (fuzz_seen.bad == NULL && rc == 0 && (fuzz_seen.top != 1 ||
	    strcmp(fuzz_seen.topname, name) != 0))
		fuzz_seen.bad = "success, but not the one bag directory named";
	if (fuzz_seen.bad == NULL && rc != 0 && rc != CUSTODY_ERR_NOMEM &&
	    err[0] == '\0')
		fuzz_seen.bad = "a refusal without a reason";
	if (fuzz_seen.bad != NULL)
		fuzz_die(fuzz_seen.bad, rc == 0 ? "(extracted)" : err);
	/* The root itself; nftw left it, being level 0. */
	if (rmdir(fuzz_dest) != 0)
		fuzz_die(fuzz_dest, strerror(errno));
	return 0;
}
