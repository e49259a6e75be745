/*
 * escape.h -- making untrusted text safe to show on a terminal.
 *
 * Strings from devices and clients are stored as received but always shown
 * through this: C0 and C1 control characters, DEL and invalid UTF-8 become
 * visible escapes (\n, \x1b, \u009b), so no escape sequence from a phone or
 * a client ever reaches a terminal.
 */
#ifndef CUSTODY_ESCAPE_H
#define CUSTODY_ESCAPE_H

#include <stddef.h>

/*
 * Writes the escaped form of s[0..len) into out (always NUL-terminated,
 * truncated with "..." if it does not fit).  Returns out.
 */
char	*escape_text(const char *s, size_t len, char *out, size_t outlen);

#endif
