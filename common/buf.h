/*
 * buf.h -- a growable byte buffer, always NUL-terminated.
 */
#ifndef CUSTODY_BUF_H
#define CUSTODY_BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated when not NULL */
	size_t	 len;
	size_t	 cap;
	int	 secret;	/* zero on growth and free */
};

void	buf_init(struct buf *b);
int	buf_append(struct buf *b, const void *p, size_t len);
int	buf_putc(struct buf *b, char c);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it) and resets b. */
char	*buf_steal(struct buf *b, size_t *len);
void	buf_free(struct buf *b);

#endif
