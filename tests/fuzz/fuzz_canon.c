/*
 * fuzz_canon.c -- canonical JSON (common/canon.h).
 *
 * Any bytes go to canon_check.  When it accepts them, they must be exactly
 * canon_encode(json_loadb(them)): the checker and the encoder are two
 * statements of one definition, and the log's hashes rest on their
 * agreement.  A disagreement aborts, so libFuzzer reports it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/canon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct canon_info info;
	json_error_t je;
	json_t *v;
	char err[256], *out = NULL;
	size_t outlen = 0;

	if (canon_check((const char *)data, size, &info, err,
	    sizeof(err)) != 0)
		return 0;
	v = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (v == NULL) {
		fprintf(stderr, "canon_check accepted what jansson refuses: "
		    "%s at %d\n", je.text, je.position);
		abort();
	}
	if (canon_encode(v, &out, &outlen) != 0) {
		fprintf(stderr, "canon_check accepted what canon_encode "
		    "refuses\n");
		abort();
	}
	if (outlen != size || memcmp(out, data, size) != 0) {
		fprintf(stderr, "canon_encode does not reproduce the "
		    "accepted input (%zu bytes in, %zu out)\n", size, outlen);
		abort();
	}
	if (info.has_seq) {
		json_t *s = json_object_get(v, "seq");

		if (!json_is_integer(s) || json_integer_value(s) != info.seq) {
			fprintf(stderr, "canon_info.seq disagrees\n");
			abort();
		}
	}
	free(out);
	json_decref(v);
	return 0;
}
