/*
 * note.h -- checkpoints as C2SP signed notes.
 *
 * A checkpoint (c2sp.org/tlog-checkpoint) is the note text
 *
 *	<origin>\n<size in decimal>\n<base64 of the 32-byte root>\n
 *
 * signed per c2sp.org/signed-note with signature type 0x02 (ECDSA, as in
 * transparency-dev/witness): after the text, a blank line, then
 *
 *	\u2014 <key name> base64(key ID[4] || DER ECDSA-SHA256 signature)\n
 *
 * where key ID = SHA-256(DER SubjectPublicKeyInfo)[:4], big-endian.  The
 * signature covers the note text including its final newline.  We use the
 * origin as the key name.
 */
#ifndef CUSTODY_NOTE_H
#define CUSTODY_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "sign.h"

#define NOTE_MAX_ORIGIN	255
#define NOTE_MAX_SIZE	8192	/* a longer note is refused unread */

struct checkpoint {
	char		origin[NOTE_MAX_ORIGIN + 1];
	uint64_t	size;
	uint8_t		root[32];
};

/*
 * Signs cp with key and returns the whole note, NUL-terminated, allocated
 * (caller frees).  Refuses an origin that is empty, has spaces, '+', or
 * control characters.
 */
int	note_sign_checkpoint(const struct checkpoint *cp,
	    const struct sign_key *key, char **note);

/*
 * Parses and verifies a checkpoint note against pub.  Succeeds only if a
 * signature line names `origin` with pub's key ID and verifies, the text is
 * exactly three lines (no extension lines), the origin equals `origin`
 * (if not NULL), the size is canonical decimal and the root is 32 bytes of
 * canonical base64.  A signature line from an unknown key is ignored; a
 * known key whose signature fails rejects the note.  On failure returns
 * CUSTODY_ERR_INVAL (malformed) or CUSTODY_ERR_VERIFY (bad signature,
 * wrong key, wrong origin) and writes the precise reason into err.
 */
int	note_verify_checkpoint(const char *note, size_t len,
	    const struct sign_pub *pub, const char *origin,
	    struct checkpoint *out, char *err, size_t errlen);

/*
 * Parses without verifying (for display): fills out from the note text.
 */
int	note_parse_checkpoint(const char *note, size_t len,
	    struct checkpoint *out, char *err, size_t errlen);

/* The signed-note key ID of pub: SHA-256(DER SPKI)[:4] as a uint32. */
int	note_key_id(const struct sign_pub *pub, uint32_t *id);

#endif
