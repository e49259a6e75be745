/*
 * fdpass.h -- one message on a SOCK_SEQPACKET socket with, optionally, one
 * file descriptor passed along (SCM_RIGHTS): how evidence content and
 * sealed exports cross the socket without ever entering JSON.
 */
#ifndef CUSTODY_FDPASS_H
#define CUSTODY_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Sends buf (len bytes) with fd when fd is not -1, retrying on EINTR.
 * flags go to sendmsg (MSG_NOSIGNAL is always added).  Returns what
 * sendmsg returns.
 */
ssize_t	fdpass_send(int sock, const void *buf, size_t len, int fd, int flags);

#endif
