/*
 * bag_parse.h -- the readers behind bag_open (evidence/bag_open.c), each
 * on its own: the rule for a path inside a bag, the manifest and
 * bag-info.txt parsers (text in memory, no I/O), and phase 2, the tar
 * reader, on any BIO of plaintext tar.  bag_open calls exactly these;
 * they are declared here so that unit tests and fuzz targets reach them
 * without sealing a bundle first.  Internal to evidence/ and its tests:
 * bag.h stays the interface.
 */
#ifndef CUSTODY_BAG_PARSE_H
#define CUSTODY_BAG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>

#include "evidence/bag.h"

#define BAG_MAX_PATH	1024		/* a path inside the bag, bytes */
#define BAG_MAX_SEG	255
#define BAG_SHOW	128		/* a name escaped for a message */

/* One manifest line; path points into the manifest's text. */
struct bag_line {
	const char	*path;
	uint8_t		 md[64];
};

/* A manifest parsed: lines sorted by path. */
struct bag_man {
	const char	*file;		/* "manifest-sha256.txt", ... */
	size_t		 mdlen;		/* 32 or 64 */
	char		*text;		/* owned; rewritten by the parse */
	struct bag_line	*lines;
	size_t		 n;
};

/*
 * Why p (len bytes, not necessarily NUL-terminated) may not name a file
 * in a bag, or NULL if it may: a relative name of [A-Za-z0-9._-]
 * segments joined by '/', none empty, ".", ".." or over BAG_MAX_SEG
 * bytes, at most BAG_MAX_PATH in all.  The text returned is static.
 */
const char	*bag_path_why(const char *p, size_t len);

/*
 * Parses the len bytes of m->text (which m owns, set by the caller with
 * m->file and m->mdlen) as a manifest: lines "HEX  PATH" or "HEX *PATH"
 * with 2 * m->mdlen hex digits, each ending in '\n', no NUL byte, at most
 * max lines, no path twice; payload paths are "data/...", tag paths
 * plain top-level names, every path passing bag_path_why.  The text is
 * cut into NUL-terminated paths in place; m->lines, sorted by path, point
 * into it.  Returns 0, or CUSTODY_ERR_VERIFY naming m->file and the line
 * in err (or CUSTODY_ERR_NOMEM).  m is freed by bag_man_free either way.
 */
int	bag_man_parse(struct bag_man *m, size_t len, int payload, size_t max,
	    char *err, size_t errlen);

/* Frees m's text and lines; m may be half-filled or already freed. */
void	bag_man_free(struct bag_man *m);

/*
 * Finds the one Payload-Oxum "octets.count" in bag-info.txt, the len
 * bytes of text (rewritten in place): every line ends in '\n', holds
 * no NUL byte, and is "Label: value" or a folded continuation (a
 * leading space or tab).
 * Returns 0 with *octets and *count set, or CUSTODY_ERR_VERIFY with the
 * line or the problem in err.
 */
int	bag_info_oxum(char *text, size_t len, uint64_t *octets,
	    uint64_t *count, char *err, size_t errlen);

/*
 * Phase 2 of bag_open on its own: reads the plaintext tar from plain (the
 * CMS content BIO in bag_open, a memory BIO in tests and fuzzing) and
 * extracts it into destfd, an empty directory, with every check of
 * bag_open.c's file comment; declared sizes may add up to max_bytes.
 * Sets name to the bag's directory (or "" if none was seen).  Returns 0,
 * CUSTODY_ERR_CORRUPT for an unsafe entry or a broken tar,
 * CUSTODY_ERR_TOOBIG, or CUSTODY_ERR_IO, with the reason in err; on a
 * failure destfd may hold a partial extraction.
 */
int	bag_tar_extract(BIO *plain, int destfd, uint64_t max_bytes,
	    char name[BAG_MAX_NAME + 1], char *err, size_t errlen);

#endif
