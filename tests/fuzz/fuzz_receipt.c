/*
 * fuzz_receipt.c -- receipts (evidence/log.h receipt_parse).
 *
 * Any bytes go to receipt_parse.  When it accepts them, the receipt must
 * format again (receipt_format) and that text must parse to the same
 * receipt: what a party keeps must survive a round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_receipt_same(const struct receipt *a, const struct receipt *b)
{
	return a->seq == b->seq && strcmp(a->action, b->action) == 0 &&
	    memcmp(a->leaf, b->leaf, sizeof(a->leaf)) == 0 &&
	    strcmp(a->fingerprint, b->fingerprint) == 0 &&
	    a->cp.size == b->cp.size &&
	    strcmp(a->cp.origin, b->cp.origin) == 0 &&
	    memcmp(a->cp.root, b->cp.root, sizeof(a->cp.root)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct receipt rc, again;
	char err[256], *text = NULL;

	memset(&rc, 0, sizeof(rc));
	memset(&again, 0, sizeof(again));
	if (receipt_parse((const char *)data, size, &rc, err,
	    sizeof(err)) != 0) {
		receipt_clear(&rc);
		return 0;
	}
	if (receipt_format(&rc, &text) != 0) {
		fprintf(stderr, "a parsed receipt does not format\n");
		abort();
	}
	if (receipt_parse(text, strlen(text), &again, err,
	    sizeof(err)) != 0 || !fuzz_receipt_same(&rc, &again)) {
		fprintf(stderr, "a receipt does not survive a round trip: "
		    "%s\n", err);
		abort();
	}
	free(text);
	receipt_clear(&rc);
	receipt_clear(&again);
	return 0;
}
