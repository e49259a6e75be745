/*
 * digest_pipe.h -- a digest set fed on a thread of its own.
 *
 * For a caller that streams data once and has other work per byte (intake
 * encrypts it): the digests of the pipe run on a worker thread while the
 * caller goes on.  The pipe owns a small ring of read buffers.  The
 * caller asks for the next free buffer, fills it (read(2) straight into
 * it: no copy) and pushes it; the worker hashes pushed buffers in order.
 * Memory is fixed: nslots buffers of slotlen bytes, whatever the input.
 *
 * Contract for the caller, one thread only:
 *
 *	digest_pipe_new		starts the worker
 *	digest_pipe_slot	the next buffer, once the worker is done with
 *				what it last held (blocks until then)
 *	digest_pipe_push	hands that buffer over with len bytes in it
 *	digest_pipe_final	waits for the worker, joins it, finishes
 *	digest_pipe_free	stops and joins the worker if still running,
 *				cleanses the buffers; accepts NULL
 *
 * A pushed buffer is the worker's to read, and the caller's to read too,
 * but nobody's to write, until the caller's next digest_pipe_slot call
 * after nslots - 1 more pushes: so a caller may read buffer k while it
 * fills buffer k + 1, if nslots is at least 2.
 *
 * The worker thread exists only between digest_pipe_new and
 * digest_pipe_final or digest_pipe_free, whichever comes first.  It
 * blocks every signal, and between its start and its exit it makes no
 * system call but futex(2).
 */
#ifndef CUSTODY_DIGEST_PIPE_H
#define CUSTODY_DIGEST_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "hashing/digest.h"

#define DIGEST_PIPE_MAXSLOTS	16

struct digest_pipe;	/* opaque */

/*
 * Creates a pipe for algs (as digest_set_new) with nslots (2 to
 * DIGEST_PIPE_MAXSLOTS) buffers of slotlen bytes, and starts its worker.
 * Returns 0 and sets *out, or CUSTODY_ERR_INVAL, NOMEM (also when no
 * thread could be made), CRYPTO.
 */
int	digest_pipe_new(struct digest_pipe **out, unsigned int algs,
	    size_t nslots, size_t slotlen);

/*
 * Sets *buf to the next buffer (slotlen bytes) once the worker is done
 * with it.  Returns 0, or the worker's error (then *buf is NULL, and the
 * pipe only refuses from then on).
 */
int	digest_pipe_slot(struct digest_pipe *p, uint8_t **buf);

/*
 * Hands the buffer the last digest_pipe_slot gave over to the worker,
 * with len (at most slotlen) bytes in it.  Returns 0; the worker's error;
 * or CUSTODY_ERR_INVAL without digest_pipe_slot first, after
 * digest_pipe_final, or for a len over slotlen.
 */
int	digest_pipe_push(struct digest_pipe *p, size_t len);

/*
 * Waits until every pushed buffer is hashed, joins the worker and
 * finishes the digests into *res (cleared first, filled only on
 * success).  Returns 0, or the worker's error, or CUSTODY_ERR_INVAL if
 * called twice.
 */
int	digest_pipe_final(struct digest_pipe *p, struct digest_result *res);

void	digest_pipe_free(struct digest_pipe *p);

#endif
