/*
 * fuzz_bag_manifest.c -- the bag's manifests (evidence/bag_parse.h
 * bag_man_parse), as `custody verify` reads them.
 *
 * The input is the text of one manifest file, given as it is: no
 * selector byte, so the seeds are real manifest-*.txt and
 * tagmanifest-*.txt files from an export.  Each input is parsed as all
 * four manifests the verifier reads (SHA-256 and SHA-512, payload and
 * tag, with the verifier's line limits); the parser is cheap and most
 * inputs fail at once in the variants they were not made for.
 *
 * When a parse succeeds, what the verifier then relies on must hold:
 * at most max lines; paths sorted and each only once; every path a
 * NUL-terminated string inside the text that passes bag_path_why; payload
 * paths under data/ and tag paths without '/'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/bag_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TAG_MAX	64	/* bag_check_tagman's limit */

static void
fuzz_bag_fail(const struct bag_man *m, size_t i, const char *why)
{
	fprintf(stderr, "%s (payload or tag) line %zu of %zu: %s\n", m->file,
	    i, m->n, why);
	abort();
}

/* The promises of bag_man_parse (bag_parse.h) on a manifest it took. */
static void
fuzz_bag_check(const struct bag_man *m, size_t size, int payload,
    size_t max)
{
	const char *p;
	size_t i, len;

	if (m->n > max)
		fuzz_bag_fail(m, m->n, "more lines than allowed");
	for (i = 0; i < m->n; i++) {
		p = m->lines[i].path;
		if (p < m->text || p >= m->text + size)
			fuzz_bag_fail(m, i, "a path outside the text");
		len = strnlen(p, (size_t)(m->text + size - p));
		if (p + len >= m->text + size)
			fuzz_bag_fail(m, i, "a path not NUL-terminated");
		if (bag_path_why(p, len) != NULL)
			fuzz_bag_fail(m, i, "a path bag_path_why refuses");
		if (payload && strncmp(p, "data/", 5) != 0)
			fuzz_bag_fail(m, i, "a payload path outside data/");
		if (!payload && strchr(p, '/') != NULL)
			fuzz_bag_fail(m, i, "a tag path with a '/'");
		if (i > 0 && strcmp(m->lines[i - 1].path, p) >= 0)
			fuzz_bag_fail(m, i, "paths not sorted, or twice");
	}
}

static void
fuzz_bag_one(const uint8_t *data, size_t size, const char *file,
    size_t mdlen, int payload, size_t max)
{
	struct bag_man m;
	char err[256];

	memset(&m, 0, sizeof(m));
	m.file = file;
	m.mdlen = mdlen;
	/* As bag_slurp leaves it: the file's bytes, then a NUL. */
	if ((m.text = malloc(size + 1)) == NULL)
		return;
	memcpy(m.text, data, size);
	m.text[size] = '\0';
	if (bag_man_parse(&m, size, payload, max, err, sizeof(err)) == 0)
		fuzz_bag_check(&m, size + 1, payload, max);
	bag_man_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_bag_one(data, size, "manifest-sha256.txt", 32, 1,
	    BAG_MAX_FILES);
	fuzz_bag_one(data, size, "manifest-sha512.txt", 64, 1,
	    BAG_MAX_FILES);
	fuzz_bag_one(data, size, "tagmanifest-sha256.txt", 32, 0,
	    FUZZ_TAG_MAX);
	fuzz_bag_one(data, size, "tagmanifest-sha512.txt", 64, 0,
	    FUZZ_TAG_MAX);
	return 0;
}
