/* buf.c -- a growable byte buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

static int
buf_reserve(struct buf *b, size_t extra)
{
	size_t ncap;
	char *n;

	if (extra > ((size_t)-1) / 2 - b->len)
		return CUSTODY_ERR_TOOBIG;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + extra + 1)
		ncap *= 2;
	if ((n = malloc(ncap)) == NULL)
		return CUSTODY_ERR_NOMEM;
	if (b->data != NULL) {
		memcpy(n, b->data, b->len + 1);
		if (b->secret)
			explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = n;
	b->cap = ncap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t len)
{
	int r;

	if ((r = buf_reserve(b, len)) != 0)
		return r;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CUSTODY_ERR_INVAL;
	if ((r = buf_reserve(b, (size_t)n)) != 0)
		return r;
	va_start(ap, fmt);
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL && (p = calloc(1, 1)) == NULL)
		return NULL;
	if (len != NULL)
		*len = b->len;
	buf_init(b);
	return p;
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL && b->secret)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	buf_init(b);
}
