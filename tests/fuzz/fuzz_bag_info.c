/*
 * fuzz_bag_info.c -- bag-info.txt (evidence/bag_parse.h bag_info_oxum),
 * as `custody verify` reads it for the Payload-Oxum.
 *
 * The input is the file's text as it is, so the seeds are real
 * bag-info.txt files from an export.  A separate target from the
 * manifests, not a selector byte in one: the grammars share nothing, and
 * each corpus stays a set of plain files a person can read.
 *
 * When the parse succeeds, the input held no NUL byte (one would hide
 * what follows from the parse), and the Payload-Oxum it found must
 * survive a round trip: written back as the one line of a bag-info.txt,
 * it parses to the same octets and count.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/bag_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t octets, count, o2, c2;
	char err[256], line[128], *text;
	int n;

	/* As bag_slurp leaves it: the file's bytes, then a NUL. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (bag_info_oxum(text, size, &octets, &count, err,
	    sizeof(err)) != 0) {
		free(text);
		return 0;
	}
	free(text);
	if (memchr(data, '\0', size) != NULL) {
		fprintf(stderr, "a bag-info.txt with a NUL byte accepted\n");
		abort();
	}
	n = snprintf(line, sizeof(line), "Payload-Oxum: %" PRIu64 ".%" PRIu64
	    "\n", octets, count);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    bag_info_oxum(line, (size_t)n, &o2, &c2, err, sizeof(err)) != 0 ||
	    o2 != octets || c2 != count) {
		fprintf(stderr, "a Payload-Oxum does not survive a round trip: "
		    "%" PRIu64 ".%" PRIu64 "\n", octets, count);
		abort();
	}
	return 0;
}
