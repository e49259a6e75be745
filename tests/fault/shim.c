/*
 * shim.c -- an LD_PRELOAD library for test_fault: injects one fault into
 * custodyd (and nothing else) while the control file named by FAULT_CTL
 * says so.
 *
 * The control file is a struct shim_ctl: a NUL-padded line naming the
 * fault, then a counter of the calls the fault has seen.  The shim maps
 * it shared when custodyd starts, so the test changes the fault by
 * rewriting the file in place (never truncating it: the mapping would
 * fault) and reads the counter back, and checking costs the daemon no
 * system call -- which matters for malloc.  The lines:
 *
 *   write EIO|ENOSPC	write(2) and pwrite(2) on regular files fail
 *   fsync EIO|ENOSPC	fsync(2) and fdatasync(2) on regular files fail
 *   sqlite_step CODE [SQL]
 *			sqlite3_step returns CODE (SQLITE_FULL or
 *			SQLITE_CORRUPT) without running the statement,
 *			for statements whose SQL begins with SQL (or all:
 *			see sqlite3_step below)
 *   sign		EVP_DigestSign fails, so the station key cannot
 *			sign a checkpoint
 *   malloc N		the Nth malloc, calloc or realloc from now returns
 *			NULL with ENOMEM; "malloc N+": that one and every
 *			one after; "malloc 0": none, only counted (jansson,
 *			SQLite and OpenSSL all allocate through these three;
 *			posix_memalign and the like are left alone)
 *
 * The counter counts the calls the line's fault applies to, failed or
 * not, since the test last wrote the file; the test zeroes it with each
 * new line.  Descriptors 0 to 2 (the daemon's log) and anything but a
 * regular file (its sockets) are never failed, so the daemon can still
 * answer and say what went wrong.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

struct shim_ctl {
	char		line[64];
	uint64_t	calls;
};

static struct shim_ctl *ctl;	/* NULL: not custodyd, or no FAULT_CTL */

/* glibc's own allocator: dlsym could itself allocate. */
void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);

__attribute__((constructor)) static void
shim_init(void)
{
	const char *path = getenv("FAULT_CTL");
	char comm[32] = "";
	struct stat sb;
	ssize_t n;
	void *p;
	int fd;

	if (path == NULL || (fd = open("/proc/self/comm", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0 || strncmp(comm, "custodyd", 8) != 0 ||
	    (fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &sb) == 0 && sb.st_size >= (off_t)sizeof(*ctl) &&
	    (p = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0)) != MAP_FAILED)
		ctl = p;
	close(fd);
}

/* The argument after the line's first word if that word is call, or NULL. */
static const char *
shim_arg(const char *call)
{
	size_t n = strlen(call);

	if (ctl == NULL || strncmp(ctl->line, call, n) != 0 ||
	    (ctl->line[n] != ' ' && ctl->line[n] != '\0'))
		return NULL;
	return ctl->line[n] == ' ' ? ctl->line + n + 1 : ctl->line + n;
}

/* The errno to fail CALL on fd with, or 0 to let it through. */
static int
shim_fault(const char *call, int fd)
{
	const char *arg = shim_arg(call);
	struct stat sb;
	int e = errno;

	if (arg == NULL || fd <= 2 || fstat(fd, &sb) != 0 ||
	    !S_ISREG(sb.st_mode)) {
		errno = e;
		return 0;
	}
	errno = e;
	ctl->calls++;
	if (strcmp(arg, "ENOSPC") == 0)
		return ENOSPC;
	if (strcmp(arg, "EIO") == 0)
		return EIO;
	return 0;
}

#define SHIM_NEXT(type, name, args) \
	static type (*next) args; \
	if (next == NULL) \
		next = (type (*) args)dlsym(RTLD_NEXT, name)

ssize_t
write(int fd, const void *buf, size_t len)
{
	SHIM_NEXT(ssize_t, "write", (int, const void *, size_t));
	int e;

	if ((e = shim_fault("write", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	SHIM_NEXT(ssize_t, "pwrite", (int, const void *, size_t, off_t));
	int e;

	if ((e = shim_fault("write", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	SHIM_NEXT(ssize_t, "pwrite64", (int, const void *, size_t, off64_t));
	int e;

	if ((e = shim_fault("write", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd, buf, len, off);
}

int
fsync(int fd)
{
	SHIM_NEXT(int, "fsync", (int));
	int e;

	if ((e = shim_fault("fsync", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd);
}

int
fdatasync(int fd)
{
	SHIM_NEXT(int, "fdatasync", (int));
	int e;

	if ((e = shim_fault("fsync", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd);
}

/*
 * Nothing runs, so SQLite's error state does not change: the daemon
 * must go by the returned code.  SQLite's own calls come here too (the
 * library calls sqlite3_step through its PLT), but sqlite3_exec takes
 * its result from sqlite3_finalize, which knows nothing of the fault:
 * name no statement it runs (BEGIN, COMMIT, ROLLBACK, PRAGMA), or it
 * would be skipped as if it had succeeded.
 */
int
sqlite3_step(sqlite3_stmt *stmt)
{
	SHIM_NEXT(int, "sqlite3_step", (sqlite3_stmt *));
	static const char *(*sql_of)(sqlite3_stmt *);
	const char *arg = shim_arg("sqlite_step"), *sql, *want;
	int code = 0;

	if (arg != NULL && strncmp(arg, "SQLITE_FULL", 11) == 0)
		code = SQLITE_FULL;
	else if (arg != NULL && strncmp(arg, "SQLITE_CORRUPT", 14) == 0)
		code = SQLITE_CORRUPT;
	if (code == 0)
		return next(stmt);
	if (sql_of == NULL)
		sql_of = (const char *(*)(sqlite3_stmt *))dlsym(RTLD_NEXT,
		    "sqlite3_sql");
	want = strchr(arg, ' ');
	sql = sql_of != NULL ? sql_of(stmt) : NULL;
	if (want != NULL && (sql == NULL ||
	    strncmp(sql, want + 1, strlen(want + 1)) != 0))
		return next(stmt);
	ctl->calls++;
	return code;
}

int
EVP_DigestSign(EVP_MD_CTX *ctx, unsigned char *sig, size_t *siglen,
    const unsigned char *tbs, size_t tbslen)
{
	SHIM_NEXT(int, "EVP_DigestSign", (EVP_MD_CTX *, unsigned char *,
	    size_t *, const unsigned char *, size_t));

	if (shim_arg("sign") != NULL) {
		ctl->calls++;
		return 0;
	}
	return next(ctx, sig, siglen, tbs, tbslen);
}

/* Whether this allocation is the one (or one of those) to fail. */
static int
shim_nomem(void)
{
	const char *arg = shim_arg("malloc");
	char *end;
	unsigned long long n;

	if (arg == NULL)
		return 0;
	n = strtoull(arg, &end, 10);
	ctl->calls++;
	if (n == 0 || ctl->calls < n || (ctl->calls > n && *end != '+'))
		return 0;
	errno = ENOMEM;
	return 1;
}

void *
malloc(size_t len)
{
	return shim_nomem() ? NULL : __libc_malloc(len);
}

void *
calloc(size_t n, size_t len)
{
	return shim_nomem() ? NULL : __libc_calloc(n, len);
}

/* realloc(p, 0) frees: never failed, never counted. */
void *
realloc(void *p, size_t len)
{
	return len > 0 && shim_nomem() ? NULL : __libc_realloc(p, len);
}
