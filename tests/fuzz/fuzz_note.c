/*
 * fuzz_note.c -- checkpoints as signed notes (hashing/note.h).
 *
 * Any bytes go to note_parse_checkpoint and to note_verify_checkpoint
 * against a public key made once at start-up (a random key: no input can
 * carry a valid signature by it, so verify must never succeed; the point
 * is the parsing on the way there).  With and without an expected origin.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hashing/note.h"
#include "hashing/sign.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sign_pub *fuzz_pub;	/* set once, read-only after */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sign_key *key = NULL;

	if (sign_key_generate(&key) != 0 ||
	    sign_key_public(key, &fuzz_pub) != 0) {
		fprintf(stderr, "fuzz_note: cannot make a key\n");
		abort();
	}
	sign_key_free(key);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checkpoint cp;
	char err[256];

	(void)note_parse_checkpoint((const char *)data, size, &cp, err,
	    sizeof(err));
	if (note_verify_checkpoint((const char *)data, size, fuzz_pub, NULL,
	    &cp, err, sizeof(err)) == 0 ||
	    note_verify_checkpoint((const char *)data, size, fuzz_pub,
	    "custody.example/station-1", &cp, err, sizeof(err)) == 0) {
		fprintf(stderr, "a note verified without the key\n");
		abort();
	}
	return 0;
}
