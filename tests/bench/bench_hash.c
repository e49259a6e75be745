/*
 * bench_hash.c -- hashing throughput of digest_fd against the stock tools.
 *
 *	bench_hash TMPDIR [CUSTODY_BIN]
 *
 * Writes one file of BENCH_HASH_MIB MiB in TMPDIR (the content does not
 * change SHA speed), flushes it to disk so that no writeback competes with
 * the timings, and reads it once to warm the page cache.  Then, in each of
 * BENCH_ROUNDS rounds, one after another on the same cached file:
 *
 *	digest_fd(SHA-256)             in this process
 *	openssl dgst -sha256 -r FILE   fork/exec/wait4
 *	sha256sum FILE                 fork/exec/wait4
 *	digest_fd(SHA-256 | SHA-512)   in this process, one pass
 *
 * Each figure is the best of its rounds (noise on a shared machine only
 * ever slows a run down); ratios divide best by best, so both sides were
 * measured minutes apart at most.  Every tool's digest must equal ours,
 * or the run fails: a benchmark of the wrong bytes measures nothing.
 * The file is removed at the end, on failure too.
 *
 * Output: one "name value" line per figure on stdout; progress on stderr.
 * CUSTODY_BIN is accepted (and ignored) so that every bench program takes
 * the same arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "hashing/digest.h"

#define BENCH_HASH_MIB	1024u
#define BENCH_ROUNDS	3
#define BENCH_CHUNK	(1024u * 1024u)
#define BENCH_FILE	"hash-1g.bin"

enum { T_OURS, T_OPENSSL, T_SHA256SUM, T_BOTH, T_MAX };

static const char *const tool_names[T_MAX] = {
	"digest_fd sha256", "openssl dgst -sha256", "sha256sum",
	"digest_fd sha256+sha512",
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes mib MiB of a cheap pattern to path and flushes it to disk. */
static int
hash_file_make(const char *path, unsigned int mib)
{
	uint8_t *buf;
	size_t i, off;
	ssize_t n;
	unsigned int m;
	int fd, r = -1;

	if ((buf = malloc(BENCH_CHUNK)) == NULL)
		return -1;
	for (i = 0; i < BENCH_CHUNK; i++)
		buf[i] = (uint8_t)(i * 131u ^ i >> 9);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "bench_hash: %s: %s\n", path, strerror(errno));
		free(buf);
		return -1;
	}
	for (m = 0; m < mib; m++) {
		buf[0] = (uint8_t)m;	/* no two chunks alike */
		for (off = 0; off < BENCH_CHUNK; off += (size_t)n) {
			n = write(fd, buf + off, BENCH_CHUNK - off);
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0)
				goto out;
		}
	}
	if (fdatasync(fd) == -1)
		goto out;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "bench_hash: writing %s: %s\n", path,
		    strerror(errno));
	if (close(fd) == -1)
		r = -1;
	free(buf);
	return r;
}

/* Times digest_fd over path; fills hex with the SHA-256. */
static int
time_ours(const char *path, unsigned int algs, double *secs, char hex[65])
{
	struct digest_result res;
	double t0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	t0 = now_s();
	r = digest_fd(fd, algs, &res);
	*secs = now_s() - t0;
	(void)close(fd);
	if (r != 0) {
		fprintf(stderr, "bench_hash: digest_fd: %s\n",
		    custody_strerror(r));
		return -1;
	}
	digest_hex(res.sha256, 32, hex);
	return 0;
}

/*
 * Runs argv with stdout into a pipe (first outlen - 1 bytes kept in out)
 * and times it from fork to wait4.  Returns the exit status, or -1.
 */
static int
time_tool(char *const argv[], double *secs, char *out, size_t outlen)
{
	struct rusage ru;
	size_t used = 0;
	ssize_t n;
	double t0;
	pid_t pid;
	int p[2], status;
	char sink[4096];

	if (pipe(p) == -1)
		return -1;
	t0 = now_s();
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (pid == 0) {
		(void)dup2(p[1], STDOUT_FILENO);
		(void)close(p[0]);
		(void)close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	(void)close(p[1]);
	while ((n = read(p[0], sink, sizeof(sink))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		if (used + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - used ?
			    (size_t)n : outlen - 1 - used;
			memcpy(out + used, sink, k);
			used += k;
		}
	}
	(void)close(p[0]);
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR)
			return -1;
	*secs = now_s() - t0;
	out[used] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One timing of tool t; checks its SHA-256 against want (if set). */
static int
time_one(int t, const char *path, double *secs, char want[65])
{
	char *oargv[] = { "openssl", "dgst", "-sha256", "-r", (char *)path,
	    NULL };
	char *sargv[] = { "sha256sum", (char *)path, NULL };
	char out[512], hex[65];
	int st;

	if (t == T_OURS || t == T_BOTH) {
		if (time_ours(path, t == T_OURS ? DIGEST_SHA256 :
		    DIGEST_SHA256 | DIGEST_SHA512, secs, hex) != 0)
			return -1;
	} else {
		st = time_tool(t == T_OPENSSL ? oargv : sargv, secs, out,
		    sizeof(out));
		if (st != 0) {
			fprintf(stderr, "bench_hash: %s failed (status %d)\n",
			    tool_names[t], st);
			return -1;
		}
		memcpy(hex, out, 64);
		hex[64] = '\0';
	}
	if (want[0] == '\0')
		memcpy(want, hex, 65);
	else if (strcmp(want, hex) != 0) {
		fprintf(stderr, "bench_hash: %s gives %s, digest_fd %s\n",
		    tool_names[t], hex, want);
		return -1;
	}
	return 0;
}

static void
print_figures(const double best[T_MAX], double mib)
{
	printf("hash_file_mib %.0f\n", mib);
	printf("hash_sha256_mib_s %.1f\n", mib / best[T_OURS]);
	printf("hash_openssl_sha256_mib_s %.1f\n", mib / best[T_OPENSSL]);
	printf("hash_sha256sum_mib_s %.1f\n", mib / best[T_SHA256SUM]);
	printf("hash_sha256_sha512_mib_s %.1f\n", mib / best[T_BOTH]);
	printf("hash_sha256_vs_openssl %.3f\n", best[T_OPENSSL] /
	    best[T_OURS]);
	printf("hash_sha256_vs_sha256sum %.3f\n", best[T_SHA256SUM] /
	    best[T_OURS]);
}

int
main(int argc, char **argv)
{
	double best[T_MAX], secs;
	char path[4096], want[65] = "";
	int n, round, t, r = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_hash TMPDIR [CUSTODY_BIN]\n");
		return 2;
	}
	n = snprintf(path, sizeof(path), "%s/%s", argv[1], BENCH_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 2;
	fprintf(stderr, "bench_hash: writing %u MiB to %s\n", BENCH_HASH_MIB,
	    path);
	if (hash_file_make(path, BENCH_HASH_MIB) != 0)
		goto out;
	/* Warm the page cache (and learn the digest the tools must give). */
	if (time_one(T_OURS, path, &secs, want) != 0)
		goto out;
	for (t = 0; t < T_MAX; t++)
		best[t] = 1e30;
	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (t = 0; t < T_MAX; t++) {
			if (time_one(t, path, &secs, want) != 0)
				goto out;
			fprintf(stderr, "bench_hash: round %d %-24s %7.1f "
			    "MiB/s\n", round + 1, tool_names[t],
			    BENCH_HASH_MIB / secs);
			if (secs < best[t])
				best[t] = secs;
		}
	}
	print_figures(best, BENCH_HASH_MIB);
	r = fflush(stdout) == 0 ? 0 : 1;
out:
	if (unlink(path) == -1 && errno != ENOENT)
		fprintf(stderr, "bench_hash: cannot remove %s: %s\n", path,
		    strerror(errno));
	return r;
}
