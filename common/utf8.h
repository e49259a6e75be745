/*
 * utf8.h -- strict UTF-8 decoding, shared by every parser of untrusted
 * text (canonical JSON, signed notes, terminal escaping).
 */
#ifndef CUSTODY_UTF8_H
#define CUSTODY_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one UTF-8 sequence at s (n bytes available).  Returns its
 * length and sets *cp, or returns 0 for an invalid sequence: truncated, a
 * bad continuation byte, overlong, a surrogate, or above U+10FFFF.
 */
size_t	utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

#endif
