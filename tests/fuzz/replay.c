/*
 * replay.c -- runs a fuzz target's LLVMFuzzerTestOneInput over files,
 * without libFuzzer's engine, so `make check` can replay the seed corpus
 * (and every saved crash-* reproducer) under ASan and UBSan.
 *
 * Arguments are files or directories (a directory's regular files, in
 * name order); with none, FUZZ_CORPUS, the target's corpus directory
 * compiled in.  Each file is one test.  A sanitizer error or an abort
 * ends the process (the sanitizers are built with -fno-sanitize-recover),
 * so a run that returns has passed every input.  Prints cmocka-style
 * summary lines for scripts/run-tests.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS	"tests/fuzz/corpus"
#endif
#define REPLAY_MAX	(1024 * 1024)	/* libFuzzer's default -max_len is far less */

/* Reads path whole into a new buffer; returns 0 or -1 with a message. */
static int
replay_read(const char *path, uint8_t **data, size_t *size)
{
	FILE *fp;
	uint8_t *buf;
	size_t n;

	*data = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* One byte more than the limit, to see a file that exceeds it. */
	if ((buf = malloc(REPLAY_MAX + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX + 1, fp);
	if (ferror(fp) || n > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: unreadable or too large\n", path);
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	*data = buf;
	*size = n;
	return 0;
}

static int
replay_one(const char *path, const char *label)
{
	uint8_t *data, *copy;
	size_t size;

	if (replay_read(path, &data, &size) != 0) {
		printf("[  FAILED  ] %s\n", label);
		return -1;
	}
	printf("[ RUN      ] %s\n", label);
	fflush(stdout);
	/* An exact-size copy, so ASan sees a read past the input's end. */
	if ((copy = malloc(size ? size : 1)) == NULL) {
		free(data);
		return -1;
	}
	memcpy(copy, data, size);
	free(data);
	(void)LLVMFuzzerTestOneInput(copy, size);
	free(copy);
	printf("[       OK ] %s\n", label);
	return 0;
}

static int
replay_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays a directory's regular files in name order; counts into *run. */
static int
replay_dir(const char *dir, int *run, int *failed)
{
	char **names = NULL, **grown, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((grown = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				break;
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof(*names), replay_name_cmp);
	for (i = 0; i < n; i++) {
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

		if (w > 0 && (size_t)w < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			(*run)++;
			if (replay_one(path, names[i]) != 0)
				(*failed)++;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

int
main(int argc, char **argv)
{
	char *deflt[] = { argv[0], (char *)FUZZ_CORPUS, NULL };
	struct stat st;
	int run = 0, failed = 0, i;

	if (argc < 2) {
		argc = 2;
		argv = deflt;
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	printf("[==========] Running the fuzz corpus: %s\n", argv[1]);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &run, &failed) != 0) {
				run++;
				failed++;
			}
		} else {
			run++;
			if (replay_one(argv[i], argv[i]) != 0)
				failed++;
		}
	}
	printf("[==========] %d test(s) run.\n", run);
	if (run == 0) {
		/* An empty corpus proves nothing: count it as a failure. */
		printf("[  FAILED  ] 1 test(s), listed below:\n"
		    "[  FAILED  ] empty corpus\n");
		return 1;
	}
	printf("[  PASSED  ] %d test(s).\n", run - failed);
	if (failed > 0) {
		printf("[  FAILED  ] %d test(s).\n", failed);
		return 1;
	}
	return 0;
}
