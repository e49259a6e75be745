/*
 * bag_parse.c -- the bag's text parsers, for bag_open.c (see
 * bag_parse.h): bag paths, manifests and bag-info.txt.  Nothing here
 * opens a file: the callers read the text and own it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/escape.h"
#include "evidence/bag_parse.h"
#include "hashing/digest.h"

/* s[0..len) made safe to show, in out[BAG_SHOW]. */
static const char *
bag_parse_show(const char *s, size_t len, char out[BAG_SHOW])
{
	return escape_text(s, len, out, BAG_SHOW);
}

static int
bag_namech(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

const char *
bag_path_why(const char *p, size_t len)
{
	size_t i = 0, n;

	if (len == 0)
		return "an empty name";
	if (p[0] == '/')
		return "an absolute path";
	if (len > BAG_MAX_PATH)
		return "a name too long";
	while (i <= len) {
		for (n = 0; i + n < len && p[i + n] != '/'; n++)
			if (!bag_namech((unsigned char)p[i + n]))
				return "a name with characters outside "
				    "[A-Za-z0-9._/-]";
		if (n == 2 && p[i] == '.' && p[i + 1] == '.')
			return "a path that escapes the bag (\"..\")";
		if (n == 0 || (n == 1 && p[i] == '.') || n > BAG_MAX_SEG)
			return "a name with an empty, \".\" or overlong "
			    "segment";
		i += n + 1;
	}
	return NULL;
}

static int
bag_line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bag_line *)a)->path,
	    ((const struct bag_line *)b)->path);
}

/*
 * Parses one line "HEX  PATH" (or "HEX *PATH") of m, NUL-terminated at
 * s; payload paths are "data/..." and tag paths plain names.
 */
static int
bag_man_line(struct bag_man *m, char *s, size_t lineno, int payload,
    struct bag_line *out, char *err, size_t errlen)
{
	char shown[BAG_SHOW], hex[129];
	const char *why = NULL, *p;
	size_t len = strlen(s);

	if (len >= 2 * m->mdlen + 3) {
		memcpy(hex, s, 2 * m->mdlen);
		hex[2 * m->mdlen] = '\0';
	}
	if (len < 2 * m->mdlen + 3 ||
	    digest_unhex(hex, out->md, m->mdlen) != 0 ||
	    s[2 * m->mdlen] != ' ' || (s[2 * m->mdlen + 1] != ' ' &&
	    s[2 * m->mdlen + 1] != '*'))
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "%s line %zu: not \"%zu hex digits, two spaces, a path\"",
		    m->file, lineno, 2 * m->mdlen);
	/* Only now: on a short line, s + 2 * mdlen + 2 is past its end. */
	p = s + 2 * m->mdlen + 2;
	bag_parse_show(p, strlen(p), shown);
	if ((why = bag_path_why(p, strlen(p))) == NULL) {
		if (payload && strncmp(p, "data/", 5) != 0)
			why = "a path outside data/";
		else if (!payload && strchr(p, '/') != NULL)
			why = "a tag file below the top directory";
	}
	if (why != NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "%s line %zu: %s is %s", m->file, lineno, shown, why);
	out->path = p;
	return 0;
}

int
bag_man_parse(struct bag_man *m, size_t len, int payload, size_t max,
    char *err, size_t errlen)
{
	char *s, *nl, *end;
	size_t cap = 0, lineno = 0, i;
	int rc;

	for (i = 0; i < len; i++)
		cap += m->text[i] == '\n';
	if (cap > max)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "%s: more than %zu lines", m->file, max);
	if ((m->lines = calloc(cap + 1, sizeof(*m->lines))) == NULL)
		return CUSTODY_ERR_NOMEM;
	for (s = m->text, end = m->text + len; s < end; s = nl + 1) {
		lineno++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "%s line %zu: no newline at the end", m->file,
			    lineno);
		*nl = '\0';
		if (strlen(s) != (size_t)(nl - s))
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "%s line %zu: a NUL byte", m->file, lineno);
		if ((rc = bag_man_line(m, s, lineno, payload,
		    &m->lines[m->n], err, errlen)) != 0)
			return rc;
		m->n++;
	}
	qsort(m->lines, m->n, sizeof(*m->lines), bag_line_cmp);
	for (i = 1; i < m->n; i++)
		if (strcmp(m->lines[i].path, m->lines[i - 1].path) == 0)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "%s: %s is listed twice", m->file,
			    m->lines[i].path);
	return 0;
}

void
bag_man_free(struct bag_man *m)
{
	free(m->text);
	free(m->lines);
	m->text = NULL;
	m->lines = NULL;
	m->n = 0;
}

/* Parses "octets.count" (decimal digits only) of Payload-Oxum. */
static int
bag_oxum_parse(const char *v, uint64_t *octets, uint64_t *count)
{
	uint64_t *dst = octets;
	int digits = 0;

	*octets = *count = 0;
	for (; *v != '\0'; v++) {
		if (*v == '.' && dst == octets && digits > 0) {
			dst = count;
			digits = 0;
			continue;
		}
		if (*v < '0' || *v > '9' || *dst > (UINT64_MAX - 9) / 10)
			return -1;
		*dst = *dst * 10 + (uint64_t)(*v - '0');
		digits++;
	}
	return dst == count && digits > 0 ? 0 : -1;
}

int
bag_info_oxum(char *text, size_t len, uint64_t *octets, uint64_t *count,
    char *err, size_t errlen)
{
	char *line, *nl, *end, *v = NULL;
	size_t lineno = 0;
	int seen = 0;

	*octets = *count = 0;
	for (line = text, end = text + len; line < end; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "bag-info.txt line %zu: no newline at the end",
			    lineno);
		*nl = '\0';
		/*
		 * A NUL would end our reading of the file where sha256sum
		 * and a person read on: refused, as in a manifest.
		 */
		if (strlen(line) != (size_t)(nl - line))
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "bag-info.txt line %zu: a NUL byte", lineno);
		if (line[0] == ' ' || line[0] == '\t')
			continue;	/* a folded continuation (RFC 8493) */
		if (strchr(line, ':') == NULL)
			return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
			    "bag-info.txt line %zu: not \"Label: value\"",
			    lineno);
		if (strncasecmp(line, "Payload-Oxum:", 13) == 0) {
			v = line + 13 + strspn(line + 13, " \t");
			seen++;
		}
	}
	if (seen != 1 || bag_oxum_parse(v, octets, count) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "bag-info.txt: %s", seen == 0 ? "no Payload-Oxum" :
		    seen > 1 ? "Payload-Oxum given twice" :
		    "Payload-Oxum is not \"octets.count\"");
	return 0;
}
