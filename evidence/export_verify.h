/*
 * export_verify.h -- what `custody verify` checks in an export beyond the
 * bag itself: that data/events.jsonl holds canonical events whose leaf
 * hashes are those in data/proofs.json, that each inclusion proof leads to
 * the root of data/checkpoint.txt, that the checkpoint is signed by the
 * key in station.pem, and, against a receipt from the hand-over, that the
 * station key is the same and the log the receipt saw is a prefix of the
 * one exported (a consistency proof from the receipt's checkpoint).
 */
#ifndef CUSTODY_EXPORT_VERIFY_H
#define CUSTODY_EXPORT_VERIFY_H

#include <stddef.h>

#include "evidence/log.h"

/*
 * bag is the extracted bag's directory.  fingerprint (or NULL) pins the
 * station key.  report(ctx, line) is called per check.  Returns 0, or
 * CUSTODY_ERR_VERIFY naming the file and the check in err.
 */
int	export_verify_dir(const char *bag, const struct receipt *against,
	    const char *fingerprint, void (*report)(void *, const char *),
	    void *ctx, char *err, size_t errlen);

#endif
