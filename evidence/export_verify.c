/* export_verify.c -- the custody checks of an exported bag. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/canon.h"
#include "common/error.h"
#include "evidence/export_verify.h"
#include "hashing/digest.h"
#include "hashing/merkle.h"
#include "hashing/note.h"
#include "hashing/sign.h"

#define EV_MAX_FILE	(256u * 1024 * 1024)

static int
ev_read(const char *bag, const char *name, char **out, size_t *len,
    char *err, size_t errlen)
{
	char path[4096];
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	int fd;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", bag, name) >=
	    (int)sizeof(path))
		return custody_fail(err, errlen, CUSTODY_ERR_TOOBIG, "path too "
		    "long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > EV_MAX_FILE) {
		if (fd != -1)
			close(fd);
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "%s: "
		    "missing, not a file, or too large", name);
	}
	if ((*out = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return CUSTODY_ERR_NOMEM;
	}
	while (got < (size_t)sb.st_size && (n = read(fd, *out + got,
	    (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	(*out)[got] = '\0';
	*len = got;
	return 0;
}

static int
ev_hashes(json_t *arr, uint8_t path[][32], size_t max, size_t *n)
{
	json_t *v;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > max)
		return -1;
	json_array_foreach(arr, i, v)
		if (digest_unhex(json_string_value(v), path[i], 32) != 0)
			return -1;
	*n = json_array_size(arr);
	return 0;
}

/* Every line of events.jsonl against its proof. */
static int
ev_events(const char *events, size_t elen, json_t *incl, uint64_t size,
    const uint8_t root[32], char *err, size_t errlen)
{
	uint8_t path[MERKLE_MAX_PROOF][32], leaf[32], want[32];
	struct canon_info ci;
	const char *p = events, *nl, *end = events + elen;
	char why[128];
	json_t *pr;
	size_t i = 0, n;

	for (; p < end; p = nl + 1, i++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "data/events.jsonl: line %zu has no newline", i + 1);
		pr = json_array_get(incl, i);
		if (canon_check(p, (size_t)(nl - p), &ci, why, sizeof(why)) !=
		    0 || !ci.has_seq)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "data/events.jsonl: line %zu is not a canonical "
			    "event: %s", i + 1, why);
		if (pr == NULL || json_integer_value(json_object_get(pr,
		    "seq")) != ci.seq || digest_unhex(json_string_value(
		    json_object_get(pr, "leaf")), want, 32) != 0 ||
		    ev_hashes(json_object_get(pr, "path"), path,
		    MERKLE_MAX_PROOF, &n) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "data/proofs.json: no proof for event %lld (line "
			    "%zu)", (long long)ci.seq, i + 1);
		if (merkle_hash_leaf(p, (size_t)(nl - p), leaf) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_CRYPTO,
			    "cannot hash event %lld: OpenSSL failed",
			    (long long)ci.seq);
		if (memcmp(leaf, want, 32) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "data/events.jsonl: event %lld is not byte-exact "
			    "with its leaf hash", (long long)ci.seq);
		if (merkle_inclusion_verify((uint64_t)ci.seq, size, leaf,
		    (const uint8_t (*)[32])path, n, root) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "data/proofs.json: event %lld's inclusion proof "
			    "does not lead to the checkpoint", (long long)ci.seq);
	}
	if (i != json_array_size(incl))
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "data/proofs.json: %zu proofs for %zu events",
		    json_array_size(incl), i);
	return 0;
}

/* The receipt's checkpoint is a prefix of the exported one. */
static int
ev_receipt(const struct receipt *rc, const struct sign_pub *pub,
    const char *fpr, json_t *proofs, uint64_t size, const uint8_t root[32],
    char *err, size_t errlen)
{
	uint8_t path[MERKLE_MAX_CPROOF][32], from[32];
	struct checkpoint cp;
	char why[256];
	json_t *c;
	size_t i, n;

	if (strcmp(rc->fingerprint, fpr) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "receipt: "
		    "issued under station key %.16s..., the export's is "
		    "%.16s...", rc->fingerprint, fpr);
	if (note_verify_checkpoint(rc->note, strlen(rc->note), pub, NULL, &cp,
	    why, sizeof(why)) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "receipt: "
		    "%s", why);
	if (cp.size == size)
		return memcmp(cp.root, root, 32) == 0 ? 0 : custody_fail(err,
		    errlen, CUSTODY_ERR_VERIFY, "receipt: same size, different "
		    "root: history was rewritten");
	if (cp.size > size)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "receipt: "
		    "it saw %llu events, the export only %llu",
		    (unsigned long long)cp.size, (unsigned long long)size);
	json_array_foreach(json_object_get(proofs, "consistency"), i, c) {
		if ((uint64_t)json_integer_value(json_object_get(c,
		    "from_size")) != cp.size)
			continue;
		if (digest_unhex(json_string_value(json_object_get(c,
		    "from_root")), from, 32) != 0 || memcmp(from, cp.root,
		    32) != 0 || ev_hashes(json_object_get(c, "path"), path,
		    MERKLE_MAX_CPROOF, &n) != 0 ||
		    merkle_consistency_verify(cp.size, size, cp.root, root,
		    (const uint8_t (*)[32])path, n) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "receipt: the exported log is not consistent with "
			    "the checkpoint the receipt saw");
		return 0;
	}
	return custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "receipt: its "
	    "checkpoint (size %llu) did not commit an event of this case",
	    (unsigned long long)cp.size);
}

int
export_verify_dir(const char *bag, const struct receipt *against,
    const char *fingerprint, void (*report)(void *, const char *),
    void *ctx, char *err, size_t errlen)
{
	struct checkpoint cp;
	struct sign_pub *pub = NULL;
	uint8_t *cert = NULL, root[32];
	char path[4096], fpr[SIGN_FPR_HEX], why[256], line[512];
	char *note = NULL, *events = NULL, *proofs_text = NULL;
	size_t nlen, elen, plen, cert_len;
	json_t *proofs = NULL;
	int r;

	(void)snprintf(path, sizeof(path), "%s/station.pem", bag);
	if ((r = sign_cert_load_pem(path, &cert, &cert_len, why,
	    sizeof(why))) != 0 || (r = sign_cert_pub(cert, cert_len,
	    &pub)) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "station.pem: "
		    "not a station certificate");
		goto out;
	}
	sign_cert_fingerprint(cert, cert_len, fpr);
	if (fingerprint != NULL && strcmp(fingerprint, fpr) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_VERIFY, "station.pem: "
		    "key %s, expected %s", fpr, fingerprint);
		goto out;
	}
	if ((r = ev_read(bag, "data/checkpoint.txt", &note, &nlen, err,
	    errlen)) != 0 || (r = ev_read(bag, "data/events.jsonl", &events,
	    &elen, err, errlen)) != 0 || (r = ev_read(bag, "data/proofs.json",
	    &proofs_text, &plen, err, errlen)) != 0)
		goto out;
	if (note_verify_checkpoint(note, nlen, pub, NULL, &cp, why,
	    sizeof(why)) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "data/checkpoint.txt: %s", why);
		goto out;
	}
	(void)snprintf(line, sizeof(line), "checkpoint: signed by station %s "
	    "(key %s), %llu events", cp.origin, fpr,
	    (unsigned long long)cp.size);
	report(ctx, line);
	if ((proofs = json_loadb(proofs_text, plen, 0, NULL)) == NULL ||
	    (uint64_t)json_integer_value(json_object_get(proofs,
	    "tree_size")) != cp.size || digest_unhex(json_string_value(
	    json_object_get(proofs, "root")), root, 32) != 0 ||
	    memcmp(root, cp.root, 32) != 0) {
		r = custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "data/proofs.json: does not name the signed checkpoint");
		goto out;
	}
	if ((r = ev_events(events, elen, json_object_get(proofs, "inclusion"),
	    cp.size, cp.root, err, errlen)) != 0)
		goto out;
	(void)snprintf(line, sizeof(line), "events: %zu, byte-exact, each in "
	    "the signed log", json_array_size(json_object_get(proofs,
	    "inclusion")));
	report(ctx, line);
	if (against != NULL) {
		if ((r = ev_receipt(against, pub, fpr, proofs, cp.size, cp.root,
		    err, errlen)) != 0)
			goto out;
		report(ctx, "receipt: same station key; its checkpoint is a "
		    "prefix of the exported log");
	}
out:
	json_decref(proofs);
	free(note);
	free(events);
	free(proofs_text);
	free(cert);
	sign_pub_free(pub);
	return r;
}
