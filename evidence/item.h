/*
 * item.h -- evidence items at rest: one pass over the content hashes it
 * (SHA-256 and SHA-512 always, MD5 and SHA-1 on request), sniffs its type
 * from magic bytes, and encrypts it with a fresh per-item key in
 * authenticated chunks; the item key is wrapped by the station's master
 * key.  Plaintext never touches disk: it exists only in the caller's
 * buffers and, for an authorised viewer, in a sealed memfd.
 *
 * Blob format (all integers big-endian):
 *
 *	header	"CUSTODY-ITEM\0\0\0\1" (16 bytes) || chunk size (u32) ||
 *		nonce prefix (8 random bytes)
 *	chunks	ciphertext (chunk size bytes; the last one may be shorter,
 *		and is empty only for empty content) || 16-byte GCM tag,
 *		for i = 0, 1, ... < 2^32 (256 TiB at 64 KiB chunks)
 *
 * Chunk i is AES-256-GCM with nonce = prefix || u32(i), and additional
 * data = the header || u64(i) || u8(last ? 1 : 0).  So a flipped bit, a
 * reordered, dropped or appended chunk, or a truncation at any point fails
 * authentication, and a truncation exactly at a chunk boundary fails
 * because the new last chunk was not sealed as last.
 *
 * The item key (32 bytes) is wrapped with AES-256 key wrap with padding
 * (RFC 5649, OpenSSL EVP_aes_256_wrap_pad) under the master key: 40 bytes.
 * The wrap binds no record: a blob and wrapped key swapped between two
 * items are caught by the SHA-256 check, so callers always pass the
 * recorded SHA-256 to item_open.
 * Destroying the wrapped key (and unlinking the blob) crypto-shreds the
 * item.
 */
#ifndef CUSTODY_ITEM_H
#define CUSTODY_ITEM_H

#include <stddef.h>
#include <stdint.h>

#include "hashing/digest.h"

#define ITEM_KEY_LEN		32
#define ITEM_WRAPPED_LEN	40
#define ITEM_CHUNK		(64 * 1024)
#define ITEM_TYPE_MAX		32

struct item_sealed {
	struct digest_result	digests;	/* of the plaintext; size too */
	char			type[ITEM_TYPE_MAX];	/* "image/jpeg", ... */
	int			is_media;	/* image or video */
	uint8_t			wrapped[ITEM_WRAPPED_LEN];
};

/*
 * Reads in_fd to EOF once and writes the encrypted blob to out_fd, which
 * the caller has opened (O_EXCL, 0600) and fsyncs and renames itself.
 * algs adds DIGEST_MD5 / DIGEST_SHA1 to SHA-256 and SHA-512.  master is
 * the 32-byte master key.  Memory is fixed whatever the input size; the
 * item key and plaintext buffers are zeroed before return.
 */
int	item_seal(int in_fd, int out_fd, const uint8_t master[32],
	    unsigned int algs, struct item_sealed *out, char *err,
	    size_t errlen);

/*
 * Decrypts the blob in blob_fd into out_fd (a memfd the caller then seals
 * and passes), checking every chunk, and checks the plaintext's SHA-256
 * against expect_sha256.  On any failure returns CUSTODY_ERR_VERIFY (or
 * another error) with the reason in err, and the caller must discard
 * out_fd: it may hold a prefix.
 */
int	item_open(int blob_fd, const uint8_t wrapped[ITEM_WRAPPED_LEN],
	    const uint8_t master[32], const uint8_t expect_sha256[32],
	    int out_fd, char *err, size_t errlen);

/*
 * The type of content from its first bytes (at most 64 are looked at):
 * JPEG, PNG, GIF, HEIC/HEIF, WebP, MP4/MOV (ftyp), AVI, PDF, ZIP, ...;
 * "application/octet-stream" otherwise.  Sets *is_media for images and
 * video.
 */
const char *item_sniff(const uint8_t *buf, size_t len, int *is_media);

/*
 * Creates a station master key file (32 random bytes, mode 0600, O_EXCL)
 * and loads one (refusing a loose mode or a wrong size), into key.
 */
int	item_master_create(const char *path, char *err, size_t errlen);
int	item_master_load(const char *path, uint8_t key[32], char *err,
	    size_t errlen);

/*
 * Overwrites a file's content in place (zeros, fsync) and unlinks it:
 * for --shred-source when the school is isolating a file.  Best effort on
 * copy-on-write or journalled storage; the caller says so to the user.
 */
int	item_shred_file(const char *path, char *err, size_t errlen);

#endif
