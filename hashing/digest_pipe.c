/*
 * digest_pipe.c -- a digest set fed on a worker thread (digest_pipe.h).
 *
 * Why a thread: intake hashes every byte with SHA-256 and SHA-512 and
 * encrypts it with AES-256-GCM.  On the station's CPU SHA-512 alone takes
 * about as long as SHA-256, GCM and the copies in and out together (0.93 s
 * against about 1 s per GiB), so moving SHA-512 to a second core roughly
 * halves intake.  Everything else stays on the caller's thread.
 *
 * The ring.  Buffer k % nslots carries the k-th push.  Two counters, both
 * only growing, both guarded by mu:
 *
 *	pushed	buffers the caller has handed over
 *	hashed	buffers the worker has finished
 *
 * Invariants (whenever mu is free):
 *
 *	1. hashed <= pushed <= hashed + nslots.
 *	2. For hashed <= k < pushed, buffer k % nslots holds lens[k % nslots]
 *	   bytes that nobody writes: the worker reads them, unlocked, and so
 *	   may the caller (digest_pipe.h).
 *	3. The caller writes buffer pushed % nslots only after seeing
 *	   pushed < hashed + nslots under mu, i.e. after the worker's last
 *	   read of it; the worker reads buffer k only after seeing k < pushed
 *	   under mu, i.e. after the caller's last write.  The mutex orders the
 *	   two, so no byte is ever read and written at once.
 *	4. The digest set ds is the worker's alone from the thread's start to
 *	   its join, and the caller's before and after.
 *
 * States (the worker's, as the caller sees them):
 *
 *	RUNNING	from digest_pipe_new; hashes what is pushed, waits for more.
 *	CLOSED	digest_pipe_final set closed: the worker hashes what is left
 *		and returns; final joins it, then finishes ds.
 *	STOPPED	digest_pipe_free set stop (the caller gave up): the worker
 *		returns at once, leaving pushed buffers unhashed; free joins.
 *	FAILED	a digest update failed: the worker sets err and returns; the
 *		caller's next slot, push or final reports err.  The worker
 *		stays joinable until final or free joins it.
 *	JOINED	started is 0; the worker no longer exists.
 *
 * Every path out of a started pipe passes through a join: final joins,
 * and free joins whatever final did not.
 *
 * Waking.  A side that runs out of work sleeps until half the ring
 * (half = nslots / 2 buffers) is ready for it: the worker, once the ring
 * is empty, until half is pushed (or closed, or stopped); the caller,
 * once it is full, until half is hashed (or the worker failed).  The
 * other side signals only when that sleeper's condition has become true
 * (worker_asleep, caller_asleep).  Waking per buffer instead made the
 * two threads trade places once a buffer, thousands of context switches
 * per GiB, which cost more than the second core gave whenever the
 * machine was busy.  No wake-up is lost: a side sleeps only on an empty
 * (or full) ring, so the other side passes the half-way mark, and
 * signals, before it could run out of work and sleep itself; final and
 * free signal unconditionally; both flags are read and written under mu.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "hashing/digest.h"
#include "hashing/digest_pipe.h"

struct digest_pipe {
	pthread_mutex_t		 mu;
	pthread_cond_t		 more;	/* worker waits: pushed, closed, stop */
	pthread_cond_t		 room;	/* caller waits: hashed, err */
	pthread_t		 thread;
	int			 started;	/* thread joinable */
	struct digest_set	*ds;
	uint8_t			*bufs;		/* nslots * slotlen */
	size_t			 nslots;
	size_t			 slotlen;
	size_t			 half;		/* nslots / 2: see "Waking" */
	size_t			 lens[DIGEST_PIPE_MAXSLOTS];
	uint64_t		 pushed;
	uint64_t		 hashed;
	int			 closed;
	int			 stop;
	int			 err;	/* the worker's failure, or 0 */
	int			 worker_asleep;	/* in its wait on more */
	int			 caller_asleep;	/* in its wait on room */
};

/*
 * The worker: hashes pushed buffers in order until closed and drained,
 * stopped, or failed.  The lock is dropped while hashing (invariant 2).
 */
static void *
pipe_worker(void *arg)
{
	struct digest_pipe *p = arg;
	const uint8_t *buf;
	size_t len, k;
	int r;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->hashed == p->pushed && !p->closed && !p->stop) {
			p->worker_asleep = 1;
			while (p->pushed - p->hashed < p->half && !p->closed &&
			    !p->stop)
				pthread_cond_wait(&p->more, &p->mu);
			p->worker_asleep = 0;
		}
		if (p->stop || p->hashed == p->pushed)
			break;
		k = (size_t)(p->hashed % p->nslots);
		buf = p->bufs + k * p->slotlen;
		len = p->lens[k];
		pthread_mutex_unlock(&p->mu);
		r = digest_set_update(p->ds, buf, len);
		pthread_mutex_lock(&p->mu);
		if (r != 0) {
			p->err = r;
			pthread_cond_signal(&p->room);
			break;
		}
		p->hashed++;
		if (p->caller_asleep && p->pushed - p->hashed <= p->nslots -
		    p->half)
			pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Starts the worker with every signal blocked: it inherits the mask, so
 * no handler ever runs on it and its futex waits are never cut short;
 * signals stay the business of the caller's thread.
 */
static int
pipe_start(struct digest_pipe *p)
{
	sigset_t all, old;
	int e;

	(void)sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return CUSTODY_ERR_INVAL;
	e = pthread_create(&p->thread, NULL, pipe_worker, p);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		return CUSTODY_ERR_NOMEM;	/* EAGAIN: no stack or task */
	p->started = 1;
	return 0;
}

/* Joins the worker if it is running; stop says to drop unhashed work. */
static void
pipe_join(struct digest_pipe *p, int stop)
{
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	if (stop)
		p->stop = 1;
	p->closed = 1;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	(void)pthread_join(p->thread, NULL);
	p->started = 0;
}

/* The mutex and both condition variables, all or none. */
static int
pipe_sync_init(struct digest_pipe *p)
{
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&p->more, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		return -1;
	}
	if (pthread_cond_init(&p->room, NULL) != 0) {
		pthread_cond_destroy(&p->more);
		pthread_mutex_destroy(&p->mu);
		return -1;
	}
	return 0;
}

int
digest_pipe_new(struct digest_pipe **out, unsigned int algs, size_t nslots,
    size_t slotlen)
{
	struct digest_pipe *p;
	int r;

	*out = NULL;
	if (nslots < 2 || nslots > DIGEST_PIPE_MAXSLOTS || slotlen == 0 ||
	    slotlen > SIZE_MAX / nslots)
		return CUSTODY_ERR_INVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CUSTODY_ERR_NOMEM;
	p->nslots = nslots;
	p->slotlen = slotlen;
	p->half = nslots / 2;
	if (pipe_sync_init(p) != 0) {
		free(p);
		return CUSTODY_ERR_NOMEM;
	}
	if ((r = digest_set_new(&p->ds, algs)) != 0)
		goto fail;
	if ((p->bufs = malloc(nslots * slotlen)) == NULL) {
		r = CUSTODY_ERR_NOMEM;
		goto fail;
	}
	if ((r = pipe_start(p)) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	digest_pipe_free(p);
	return r;
}

int
digest_pipe_slot(struct digest_pipe *p, uint8_t **buf)
{
	int r;

	*buf = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->pushed - p->hashed == p->nslots && p->err == 0 &&
	    p->started) {
		p->caller_asleep = 1;
		while (p->pushed - p->hashed > p->nslots - p->half &&
		    p->err == 0)
			pthread_cond_wait(&p->room, &p->mu);
		p->caller_asleep = 0;
	}
	if ((r = p->err) == 0 && (p->closed || !p->started))
		r = CUSTODY_ERR_INVAL;
	if (r == 0)
		*buf = p->bufs + (size_t)(p->pushed % p->nslots) * p->slotlen;
	pthread_mutex_unlock(&p->mu);
	return r;
}

int
digest_pipe_push(struct digest_pipe *p, size_t len)
{
	int r;

	pthread_mutex_lock(&p->mu);
	if ((r = p->err) == 0 && (p->closed || !p->started ||
	    len > p->slotlen || p->pushed - p->hashed == p->nslots))
		r = CUSTODY_ERR_INVAL;
	if (r == 0) {
		p->lens[p->pushed % p->nslots] = len;
		p->pushed++;
		if (p->worker_asleep && p->pushed - p->hashed >= p->half)
			pthread_cond_signal(&p->more);
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

int
digest_pipe_final(struct digest_pipe *p, struct digest_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!p->started)
		return CUSTODY_ERR_INVAL;
	pipe_join(p, 0);
	/* Joined: err and ds are ours again (invariant 4). */
	if (p->err != 0)
		return p->err;
	return digest_set_final(p->ds, res);
}

/*
 * Stops and joins a worker still running, then cleanses the buffers that
 * were handed out (they held content; a small input touches only the
 * first, and cleansing the rest would only fault them in) and frees
 * everything.  Accepts NULL.
 */
void
digest_pipe_free(struct digest_pipe *p)
{
	size_t used;

	if (p == NULL)
		return;
	pipe_join(p, 1);
	if (p->bufs != NULL) {
		/* The buffer after the last push may have been filled too. */
		used = p->pushed + 1 < p->nslots ? (size_t)p->pushed + 1 :
		    p->nslots;
		OPENSSL_cleanse(p->bufs, used * p->slotlen);
		free(p->bufs);
	}
	digest_set_free(p->ds);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
