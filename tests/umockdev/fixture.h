/*
 * fixture.h -- loading tests/fixtures/usb/NAME.umockdev, for the tests that
 * run under umockdev (tests/umockdev/, tests/udev/).
 *
 * A fixture opens with '#' comment lines saying where its facts come
 * from.  umockdev's own parser accepts no comments, so fixture_text()
 * drops every line that starts with '#' (and the blank lines before the
 * first device).  Header-only: each test is one file plus the code under
 * test.
 */
#ifndef CUSTODY_TEST_FIXTURE_H
#define CUSTODY_TEST_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE_MAX	(4 * 1024 * 1024)

static inline const char *
fixture_dir(void)
{
	const char *d = getenv("CUSTODY_USB_FIXTURES");

	return d != NULL ? d : "tests/fixtures/usb";
}

/*
 * The text of fixture name without its comments, NUL-terminated (caller
 * frees), or NULL with the reason in why.
 */
static inline char *
fixture_text(const char *name, char *why, size_t whylen)
{
	char path[512], *buf = NULL, *line = NULL;
	size_t cap = 0, used = 0, n;
	ssize_t len;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/%s.umockdev", fixture_dir(),
	    name);
	if ((fp = fopen(path, "r")) == NULL) {
		(void)snprintf(why, whylen, "cannot open %.200s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(FIXTURE_MAX)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		goto out;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		n = (size_t)len;
		if (line[0] == '#' || (used == 0 && line[0] == '\n'))
			continue;
		if (used + n + 1 > FIXTURE_MAX) {
			(void)snprintf(why, whylen, "%.200s is over %d bytes",
			    path, FIXTURE_MAX);
			free(buf);
			buf = NULL;
			goto out;
		}
		memcpy(buf + used, line, n);
		used += n;
	}
	buf[used] = '\0';
out:
	free(line);
	(void)fclose(fp);
	return buf;
}

/*
 * The sysfs path ("/sys/devices/...") of the next device paragraph (its
 * "P: " line) at or after *pos in a fixture's text, into out; *pos moves
 * past it.  Paragraphs come in file order, parents before children.
 * Returns 0, or -1 at the end.
 */
static inline int
fixture_next_path(const char **pos, char *out, size_t outlen)
{
	const char *p = *pos, *end;
	size_t n;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '\n');
		if (strncmp(p, "P: ", 3) == 0) {
			n = end ? (size_t)(end - p - 3) : strlen(p + 3);
			if (n + 5 > outlen)
				return -1;
			memcpy(out, "/sys", 4);
			memcpy(out + 4, p + 3, n);
			out[4 + n] = '\0';
			*pos = end ? end + 1 : p + strlen(p);
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

#endif
