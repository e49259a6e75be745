/*
 * bench_item.c -- intake (item_seal: SHA-256 + SHA-512 + AES-256-GCM in
 * one pass) against the stock tools, and its peak memory.
 *
 *	bench_item TMPDIR [CUSTODY_BIN]
 *
 * Writes one file of BENCH_ITEM_MIB MiB and one of BENCH_SMALL_MIB MiB in
 * TMPDIR, flushes them to disk so that no writeback competes with the
 * timings, and reads the large one once to warm the page cache.  Then, in
 * each of BENCH_ROUNDS rounds, one after another on the same cached file:
 *
 *	item_seal                       in a child of the launcher (below)
 *	openssl dgst -sha256 FILE       fork/exec/wait4
 *	openssl enc -aes-256-ctr -K KEY -iv IV -in FILE -out OUT
 *	openssl dgst -sha512 FILE       (the bound; see below)
 *	item_seal of the small file     (its peak RSS only)
 *
 * Output.  item_seal writes its blob, and openssl enc its ciphertext, to
 * a real file in TMPDIR, so that both pay for writing 1 GiB into the
 * page cache; neither fsyncs (the daemon's fsync of a blob is the same
 * for any cipher and is not what is compared).  Each output is unlinked
 * as soon as its run ends, before writeback could start.
 *
 * Figures.  Each time is the best of its rounds (noise on a shared
 * machine only ever slows a run down).  intake_vs_openssl_sha256 is a
 * throughput ratio (dgst time / seal time; target >= 0.8);
 * intake_vs_dgst_then_enc a time ratio (seal time / the best round's
 * dgst + enc, the two run one after the other; below 1 is faster).
 * intake_sha512_bound_vs_sha256 is dgst -sha256 time / dgst
 * -sha512 time: intake always computes SHA-512 (item.h), so this is the
 * most that any one-pass intake, even a perfectly parallel one, could
 * reach for intake_vs_openssl_sha256 on this machine.
 *
 * Memory.  item_seal runs in a child of a launcher process forked first
 * thing in main, while this process is still small: Linux counts in a
 * child's ru_maxrss the resident set it inherited by fork, so a child of
 * this process would report this process's size.  The launcher's own
 * peak is reported as intake_rss_floor_kib.  Peak RSS must not depend on
 * the input size: intake_rss_growth_kib is the 1 GiB figure minus the
 * 10 MiB one.
 *
 * Every tool must agree with item_seal (SHA-256, output sizes), or the
 * run fails: a benchmark of the wrong bytes measures nothing.  Every file
 * is removed at the end, on failure too.  Output: one "name value" line
 * per figure on stdout; progress on stderr.  CUSTODY_BIN is accepted and
 * ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "evidence/item.h"
#include "hashing/digest.h"

#define BENCH_ITEM_MIB	1024u
#define BENCH_SMALL_MIB	10u
#define BENCH_ROUNDS	3
#define BENCH_CHUNK	(1024u * 1024u)
#define PATHLEN		4096
#define MIB		(1024.0 * 1024.0)

enum { T_SEAL, T_DGST, T_ENC, T_DGST512, T_PAIR, T_MAX };

static const char *const tool_names[T_MAX] = {
	"item_seal", "openssl dgst -sha256", "openssl enc -aes-256-ctr",
	"openssl dgst -sha512", "dgst then enc",
};

struct paths {
	char	big[PATHLEN];		/* the 1 GiB content */
	char	small[PATHLEN];		/* the 10 MiB content */
	char	blob[PATHLEN];		/* item_seal's output */
	char	enc[PATHLEN];		/* openssl enc's output */
};

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads or writes exactly len bytes; 0, or -1 (also at EOF). */
static int
io_full(int fd, void *buf, size_t len, int wr)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = wr ? write(fd, p, len) : read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes mib MiB of a cheap pattern to path and flushes it to disk. */
static int
content_make(const char *path, unsigned int mib)
{
	uint8_t *buf;
	size_t i;
	unsigned int m;
	int fd, r = -1;

	if ((buf = malloc(BENCH_CHUNK)) == NULL)
		return -1;
	for (i = 0; i < BENCH_CHUNK; i++)
		buf[i] = (uint8_t)(i * 131u ^ i >> 9);
	/* The first bytes of a JPEG, so that the sniffer has work too. */
	memcpy(buf, "\xff\xd8\xff\xe0", 4);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto out;
	for (m = 0; m < mib; m++) {
		buf[4] = (uint8_t)m;	/* no two chunks alike */
		if (io_full(fd, buf, BENCH_CHUNK, 1) != 0)
			goto out;
	}
	if (fdatasync(fd) == -1)
		goto out;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "bench_item: writing %s: %s\n", path,
		    strerror(errno));
	if (fd != -1 && close(fd) == -1)
		r = -1;
	free(buf);
	return r;
}

/* Reads a file once, so that timings start from a warm page cache. */
static void
file_warm(const char *path)
{
	char *buf;
	ssize_t n;
	int fd;

	if ((buf = malloc(BENCH_CHUNK)) == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while ((n = read(fd, buf, BENCH_CHUNK)) > 0 ||
		    (n == -1 && errno == EINTR))
			;
		(void)close(fd);
	}
	free(buf);
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* ---- the launcher ---- */

struct launcher {
	pid_t	 pid;
	int	 req;		/* we write struct seal_req here */
	int	 resp;		/* and read struct seal_resp here */
};

struct seal_req {
	char	 in[PATHLEN];
	char	 out[PATHLEN];
};

struct seal_resp {
	int	 status;	/* the child's exit status, or -1 */
	double	 secs;		/* fork to wait4 */
	long	 rss_kib;	/* the child's ru_maxrss */
	long	 floor_kib;	/* the launcher's own */
	char	 sha256[65];	/* hex, from the child */
	char	 err[256];	/* item_seal's message, on failure */
};

/*
 * In the sealing child: seals q->in into a new q->out under a random
 * master key and writes the SHA-256 (hex) or the error to wfd.
 */
static int
seal_child(const struct seal_req *q, int wfd)
{
	struct item_sealed s;
	uint8_t master[32];
	char msg[256] = "";
	int in, out, r;

	if (RAND_bytes(master, sizeof(master)) != 1)
		return 1;
	if ((in = open(q->in, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (out = open(q->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		(void)snprintf(msg, sizeof(msg), "open: %s", strerror(errno));
		(void)io_full(wfd, msg, sizeof(msg), 1);
		return 1;
	}
	r = item_seal(in, out, master, 0, &s, msg, sizeof(msg));
	if (r == 0)
		digest_hex(s.digests.sha256, 32, msg);
	if (close(out) == -1 && r == 0) {
		(void)snprintf(msg, sizeof(msg), "close: %s", strerror(errno));
		r = CUSTODY_ERR_IO;
	}
	(void)close(in);
	(void)io_full(wfd, msg, sizeof(msg), 1);
	return r == 0 ? 0 : 1;
}

/* One seal, timed from fork to wait4, with the child's peak RSS. */
static void
launcher_seal(const struct seal_req *q, struct seal_resp *r)
{
	struct rusage ru, self;
	char msg[256];
	double t0;
	pid_t pid;
	int p[2], status;

	r->status = -1;
	if (pipe(p) == -1)
		return;
	t0 = now_s();
	if ((pid = fork()) == 0) {
		(void)close(p[0]);
		_exit(seal_child(q, p[1]));
	}
	(void)close(p[1]);
	memset(msg, 0, sizeof(msg));
	if (pid != -1 && io_full(p[0], msg, sizeof(msg), 0) != 0)
		msg[0] = '\0';
	(void)close(p[0]);
	if (pid == -1)
		return;
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR)
			return;
	r->secs = now_s() - t0;
	r->rss_kib = ru.ru_maxrss;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	msg[sizeof(msg) - 1] = '\0';
	if (r->status == 0)
		(void)snprintf(r->sha256, sizeof(r->sha256), "%s", msg);
	else
		(void)snprintf(r->err, sizeof(r->err), "%s", msg);
	if (getrusage(RUSAGE_SELF, &self) == 0)
		r->floor_kib = self.ru_maxrss;
}

static void
launcher_serve(int req, int resp)
{
	struct seal_req q;
	struct seal_resp r;

	while (io_full(req, &q, sizeof(q), 0) == 0) {
		memset(&r, 0, sizeof(r));
		q.in[sizeof(q.in) - 1] = '\0';
		q.out[sizeof(q.out) - 1] = '\0';
		launcher_seal(&q, &r);
		if (io_full(resp, &r, sizeof(r), 1) != 0)
			break;
	}
}

static int
launcher_start(struct launcher *l)
{
	int req[2], resp[2];

	l->pid = -1;
	l->req = l->resp = -1;
	if (pipe(req) == -1)
		return -1;
	if (pipe(resp) == -1) {
		(void)close(req[0]);
		(void)close(req[1]);
		return -1;
	}
	if ((l->pid = fork()) == 0) {
		(void)close(req[1]);
		(void)close(resp[0]);
		launcher_serve(req[0], resp[1]);
		_exit(0);
	}
	(void)close(req[0]);
	(void)close(resp[1]);
	l->req = req[1];
	l->resp = resp[0];
	return l->pid == -1 ? -1 : 0;
}

/* Closing its request pipe ends the launcher. */
static void
launcher_stop(struct launcher *l)
{
	int status;

	if (l->req != -1)
		(void)close(l->req);
	if (l->resp != -1)
		(void)close(l->resp);
	if (l->pid > 0)
		while (waitpid(l->pid, &status, 0) == -1 && errno == EINTR)
			;
	l->pid = -1;
	l->req = l->resp = -1;
}

/*
 * Seals in to out through the launcher, checks the blob's size (header,
 * content, one tag per chunk) and removes it.  0, or -1.
 */
static int
seal_once(struct launcher *l, const char *in, const char *out,
    struct seal_resp *r)
{
	struct seal_req q;
	long long len, blob, chunks;

	memset(&q, 0, sizeof(q));
	(void)snprintf(q.in, sizeof(q.in), "%s", in);
	(void)snprintf(q.out, sizeof(q.out), "%s", out);
	(void)unlink(out);
	if (io_full(l->req, &q, sizeof(q), 1) != 0 ||
	    io_full(l->resp, r, sizeof(*r), 0) != 0) {
		fprintf(stderr, "bench_item: the launcher is gone\n");
		return -1;
	}
	len = file_size(in);
	blob = file_size(out);
	(void)unlink(out);
	if (r->status != 0) {
		fprintf(stderr, "bench_item: item_seal %s: status %d: %s\n",
		    in, r->status, r->err);
		return -1;
	}
	chunks = len == 0 ? 1 : (len + ITEM_CHUNK - 1) / ITEM_CHUNK;
	if (blob != 28 + len + 16 * chunks) {
		fprintf(stderr, "bench_item: blob of %s has %lld bytes, not "
		    "%lld\n", in, blob, 28 + len + 16 * chunks);
		return -1;
	}
	return 0;
}

/* ---- the stock tools ---- */

/*
 * Runs argv with stdout into a pipe (first outlen - 1 bytes kept in out)
 * and times it from fork to wait4.  Returns the exit status, or -1.
 */
static int
time_tool(char *const argv[], double *secs, char *out, size_t outlen)
{
	size_t used = 0, k;
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
		k = (size_t)n < outlen - 1 - used ? (size_t)n :
		    outlen - 1 - used;
		memcpy(out + used, sink, k);
		used += k;
	}
	(void)close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	*secs = now_s() - t0;
	out[used] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * openssl dgst -ALG -r FILE.  The first 64 hex digits go into hex if it
 * is empty, and must equal it otherwise.
 */
static int
time_dgst(const char *alg, const char *path, char hex[65], double *secs)
{
	char *argv[] = { "openssl", "dgst", (char *)alg, "-r", (char *)path,
	    NULL };
	char out[512];
	int st;

	if ((st = time_tool(argv, secs, out, sizeof(out))) != 0) {
		fprintf(stderr, "bench_item: openssl dgst %s failed (status "
		    "%d)\n", alg, st);
		return -1;
	}
	if (strlen(out) < 64) {
		fprintf(stderr, "bench_item: openssl dgst %s: no digest\n",
		    alg);
		return -1;
	}
	if (hex[0] == '\0') {
		memcpy(hex, out, 64);
		hex[64] = '\0';
	} else if (strncmp(out, hex, 64) != 0) {
		fprintf(stderr, "bench_item: openssl dgst gives %.64s, "
		    "item_seal %s\n", out, hex);
		return -1;
	}
	return 0;
}

/* openssl enc -aes-256-ctr of path into out; checks and removes out. */
static int
time_enc(const char *path, const char *out, double *secs)
{
	uint8_t kiv[48];
	char key[65], iv[33], sink[64];
	char *argv[] = { "openssl", "enc", "-aes-256-ctr", "-K", key, "-iv",
	    iv, "-in", (char *)path, "-out", (char *)out, NULL };
	int st;

	if (RAND_bytes(kiv, sizeof(kiv)) != 1)
		return -1;
	digest_hex(kiv, 32, key);
	digest_hex(kiv + 32, 16, iv);
	(void)unlink(out);
	st = time_tool(argv, secs, sink, sizeof(sink));
	if (st != 0 || file_size(out) != file_size(path)) {
		fprintf(stderr, "bench_item: openssl enc failed (status %d, "
		    "%lld bytes out)\n", st, file_size(out));
		(void)unlink(out);
		return -1;
	}
	(void)unlink(out);
	return 0;
}

/* ---- the rounds ---- */

struct results {
	double	best[T_MAX];
	long	rss_big;	/* KiB, largest of the rounds */
	long	rss_small;
	long	floor;
};

static void
note(struct results *res, int t, double secs, int round)
{
	fprintf(stderr, "bench_item: round %d %-26s %6.3f s %7.1f MiB/s\n",
	    round + 1, tool_names[t], secs, BENCH_ITEM_MIB / secs);
	if (secs < res->best[t])
		res->best[t] = secs;
}

static int
one_round(struct launcher *l, const struct paths *p, char want[65],
    struct results *res, int round)
{
	struct seal_resp r;
	double dgst, enc, secs;
	char sha512[65] = "";

	if (seal_once(l, p->big, p->blob, &r) != 0)
		return -1;
	if (strcmp(r.sha256, want) != 0) {
		fprintf(stderr, "bench_item: item_seal gives %s, openssl %s\n",
		    r.sha256, want);
		return -1;
	}
	note(res, T_SEAL, r.secs, round);
	if (r.rss_kib > res->rss_big)
		res->rss_big = r.rss_kib;
	if (time_dgst("-sha256", p->big, want, &dgst) != 0)
		return -1;
	note(res, T_DGST, dgst, round);
	if (time_enc(p->big, p->enc, &enc) != 0)
		return -1;
	note(res, T_ENC, enc, round);
	note(res, T_PAIR, dgst + enc, round);
	if (time_dgst("-sha512", p->big, sha512, &secs) != 0)
		return -1;
	note(res, T_DGST512, secs, round);
	if (seal_once(l, p->small, p->blob, &r) != 0)
		return -1;
	if (r.rss_kib > res->rss_small)
		res->rss_small = r.rss_kib;
	res->floor = r.floor_kib;
	fprintf(stderr, "bench_item: round %d peak RSS %ld KiB (%u MiB), "
	    "%ld KiB (%u MiB)\n", round + 1, res->rss_big, BENCH_ITEM_MIB,
	    r.rss_kib, BENCH_SMALL_MIB);
	return 0;
}

static void
print_figures(const struct results *res)
{
	const double *b = res->best;

	printf("intake_file_mib %u\n", BENCH_ITEM_MIB);
	printf("intake_mib_s %.1f\n", BENCH_ITEM_MIB / b[T_SEAL]);
	printf("intake_openssl_sha256_mib_s %.1f\n",
	    BENCH_ITEM_MIB / b[T_DGST]);
	printf("intake_openssl_sha512_mib_s %.1f\n",
	    BENCH_ITEM_MIB / b[T_DGST512]);
	printf("intake_openssl_enc_ctr_mib_s %.1f\n",
	    BENCH_ITEM_MIB / b[T_ENC]);
	printf("intake_seconds %.3f\n", b[T_SEAL]);
	printf("intake_dgst_then_enc_seconds %.3f\n", b[T_PAIR]);
	printf("intake_vs_openssl_sha256 %.3f\n", b[T_DGST] / b[T_SEAL]);
	printf("intake_vs_dgst_then_enc %.3f\n", b[T_SEAL] / b[T_PAIR]);
	printf("intake_sha512_bound_vs_sha256 %.3f\n",
	    b[T_DGST] / b[T_DGST512]);
	printf("intake_rss_kib_10m %ld\n", res->rss_small);
	printf("intake_rss_kib_1g %ld\n", res->rss_big);
	printf("intake_rss_growth_kib %ld\n", res->rss_big - res->rss_small);
	printf("intake_rss_floor_kib %ld\n", res->floor);
}

static int
paths_make(struct paths *p, const char *dir)
{
	int a, b, c, d;

	a = snprintf(p->big, sizeof(p->big), "%s/item-1g.bin", dir);
	b = snprintf(p->small, sizeof(p->small), "%s/item-10m.bin", dir);
	c = snprintf(p->blob, sizeof(p->blob), "%s/item-seal.blob", dir);
	d = snprintf(p->enc, sizeof(p->enc), "%s/item-enc.out", dir);
	return a < 0 || b < 0 || c < 0 || d < 0 || a >= PATHLEN ||
	    b >= PATHLEN || c >= PATHLEN || d >= PATHLEN ? -1 : 0;
}

static void
paths_remove(const struct paths *p)
{
	const char *const all[] = { p->big, p->small, p->blob, p->enc };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i][0] != '\0' && unlink(all[i]) == -1 &&
		    errno != ENOENT)
			fprintf(stderr, "bench_item: cannot remove %s: %s\n",
			    all[i], strerror(errno));
}

int
main(int argc, char **argv)
{
	struct launcher l;
	struct results res;
	struct paths p;
	double secs;
	char want[65] = "";
	int round, t, r = 1;

	memset(&p, 0, sizeof(p));

	if (argc < 2) {
		fprintf(stderr, "usage: bench_item TMPDIR [CUSTODY_BIN]\n");
		return 2;
	}
	/* First, while this process is small: see the top of the file. */
	if (launcher_start(&l) != 0) {
		fprintf(stderr, "bench_item: fork: %s\n", strerror(errno));
		launcher_stop(&l);
		return 1;
	}
	if (paths_make(&p, argv[1]) != 0)
		goto out;
	fprintf(stderr, "bench_item: writing %u MiB to %s\n", BENCH_ITEM_MIB,
	    p.big);
	if (content_make(p.big, BENCH_ITEM_MIB) != 0 ||
	    content_make(p.small, BENCH_SMALL_MIB) != 0)
		goto out;
	/* Warm the page cache and learn the digest every run must give. */
	file_warm(p.big);
	if (time_dgst("-sha256", p.big, want, &secs) != 0)
		goto out;
	memset(&res, 0, sizeof(res));
	for (t = 0; t < T_MAX; t++)
		res.best[t] = 1e30;
	for (round = 0; round < BENCH_ROUNDS; round++)
		if (one_round(&l, &p, want, &res, round) != 0)
			goto out;
	print_figures(&res);
	r = fflush(stdout) == 0 ? 0 : 1;
out:
	paths_remove(&p);
	launcher_stop(&l);
	return r;
}
