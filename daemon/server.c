/*
 * server.c -- the socket and the event loop.
 *
 * A SOCK_SEQPACKET listening socket; each message is one request, read
 * whole (a message over DAEMON_MAX_MSG is answered "too_large").  The loop
 * polls with no timeout while no client is connected, so an idle daemon
 * never wakes; with clients connected it wakes only to close the ones that
 * stayed silent longer than client_timeout.  SIGTERM and SIGINT arrive
 * through a signalfd and stop the loop between requests, so nothing is
 * ever half-written.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fdpass.h"
#include "daemon/daemon.h"
#include "daemon/sandbox.h"

#ifndef CUSTODY_USBWATCH
#define CUSTODY_USBWATCH "/usr/local/libexec/custody/custody-usbwatch"
#endif

struct client {
	int	fd;
	uid_t	uid;
	gid_t	gid;
	pid_t	pid;
	int64_t	last;	/* monotonic ms of the last message */
};

/* Tells systemd we are ready, with the plain NOTIFY_SOCKET protocol. */
static void
notify(const char *state)
{
	struct sockaddr_un sa;
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, len);
	close(fd);
}

/* Binds the socket, replacing a stale one but never a live daemon's. */
static int
server_listen(const struct config *cfg, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct group *gr;
	int fd, probe;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(cfg->socket) >= sizeof(sa.sun_path))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL, "socket "
		    "path %s is too long", cfg->socket);
	memcpy(sa.sun_path, cfg->socket, strlen(cfg->socket) + 1);
	if ((probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			return custody_fail(err, errlen, CUSTODY_ERR_EXISTS,
			    "another custodyd is listening on %s", cfg->socket);
		}
		close(probe);
	}
	(void)unlink(cfg->socket);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(cfg->socket, 0660) == -1 || listen(fd, 64) == -1) {
		int e = errno;

		if (fd != -1)
			close(fd);
		return custody_fail(err, errlen, CUSTODY_ERR_IO, "cannot listen "
		    "on %s: %s", cfg->socket, strerror(e));
	}
	if (cfg->socket_group[0] != '\0' &&
	    ((gr = getgrnam(cfg->socket_group)) == NULL ||
	    chown(cfg->socket, (uid_t)-1, gr->gr_gid) == -1))
		dlog("cannot give %s to group %s", cfg->socket,
		    cfg->socket_group);
	return fd;
}

/* Sends a reply, with a descriptor (SCM_RIGHTS) when fd is not -1. */
static void
client_reply(struct client *c, const char *msg, size_t len, int fd)
{
	if (fdpass_send(c->fd, msg, len, fd, MSG_DONTWAIT) == -1) {
		/* A client that does not read its answers is dropped. */
		dlog("dropping client pid %ld: %s", (long)c->pid,
		    strerror(errno));
		close(c->fd);
		c->fd = -1;
	}
}

static void
client_accept(int lfd, struct client *cl, int max, int *n)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) != -1) {
		if (*n >= max || getsockopt(fd, SOL_SOCKET, SO_PEERCRED,
		    &cred, &len) == -1) {
			static const char busy[] = "{\"ok\":false,\"error\":"
			    "{\"code\":\"internal\",\"message\":\"too many "
			    "clients; try again\"}}";

			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL |
			    MSG_DONTWAIT);	/* no descriptor: plain send */
			close(fd);
			continue;
		}
		cl[*n].fd = fd;
		cl[*n].uid = cred.uid;
		cl[*n].gid = cred.gid;
		cl[*n].pid = cred.pid;
		cl[*n].last = daemon_mono_ms();
		(*n)++;
	}
}

/*
 * Receives one message and at most one passed descriptor.  Anything else
 * in the control data (more descriptors, credentials) is closed and the
 * message refused.  Returns the length, 0 at end, -1 to retry later, or
 * -2 for a refused message.
 */
static ssize_t
client_recv(int fd, char *buf, int *fd_in)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { buf, DAEMON_MAX_MSG + 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	size_t i, nfd;
	int fds[4], bad = 0;

	*fd_in = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	n = recvmsg(fd, &mh, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
		for (i = 0; i < nfd; i++) {
			if (*fd_in == -1 && !bad)
				*fd_in = fds[i];
			else {
				close(fds[i]);
				bad = 1;
			}
		}
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		if (*fd_in != -1)
			close(*fd_in);
		*fd_in = -1;
		return -2;
	}
	return n;
}

static void
client_read(struct daemon *d, struct client *c, char *buf)
{
	static const char big[] = "{\"ok\":false,\"error\":{\"code\":"
	    "\"too_large\",\"message\":\"request over 65536 bytes\"}}";
	static const char fds[] = "{\"ok\":false,\"error\":{\"code\":"
	    "\"bad_request\",\"message\":\"at most one descriptor may "
	    "come with a request\"}}";
	/* When not even the answer could be built: written out, no malloc. */
	static const char nomem[] = "{\"ok\":false,\"error\":{\"code\":"
	    "\"internal\",\"message\":\"custodyd ran out of memory while "
	    "answering: the request may or may not have been recorded; look "
	    "(custody device show, case show) before repeating it\"}}";
	char *out;
	size_t outlen = 0;
	ssize_t n;
	int fd_in, fd_out;

	if ((n = client_recv(c->fd, buf, &fd_in)) == -1)
		return;
	if (n == 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->last = daemon_mono_ms();
	if (n == -2 || n > DAEMON_MAX_MSG) {
		if (fd_in != -1)
			close(fd_in);
		if (n == -2)
			client_reply(c, fds, sizeof(fds) - 1, -1);
		else
			client_reply(c, big, sizeof(big) - 1, -1);
		return;
	}
	out = dispatch(d, buf, (size_t)n, c->uid, c->gid, c->pid, fd_in,
	    &fd_out, &outlen);
	if (fd_in != -1)
		close(fd_in);
	if (out == NULL) {
		if (fd_out != -1)
			close(fd_out);
		client_reply(c, nomem, sizeof(nomem) - 1, -1);
		return;
	}
	client_reply(c, out, outlen, fd_out);
	if (fd_out != -1)
		close(fd_out);
	free(out);
}

/*
 * Starts custody-usbwatch: the configured path, else the installed one,
 * else the one beside this custodyd (a build tree).  Without it the
 * station still serves; custody status says why plug-ins are not seen.
 */
static void
usb_start(struct daemon *d)
{
	char path[PATH_MAX], self[PATH_MAX], err[512] = "", *slash;
	ssize_t n;

	if (d->cfg.usb_helper[0] != '\0')
		(void)snprintf(path, sizeof(path), "%s", d->cfg.usb_helper);
	else {
		(void)snprintf(path, sizeof(path), "%s", CUSTODY_USBWATCH);
		if (access(path, X_OK) == -1 && (n = readlink("/proc/self/exe",
		    self, sizeof(self) - 1)) > 0) {
			self[n] = '\0';
			if ((slash = strrchr(self, '/')) != NULL &&
			    (size_t)(slash - self) + sizeof("/custody-usbwatch")
			    <= sizeof(path))
				memcpy(stpcpy(path, self) - strlen(slash),
				    "/custody-usbwatch",
				    sizeof("/custody-usbwatch"));
		}
	}
	if (usbmon_start(d, path, d->cfg.ios_lockdown, err,
	    sizeof(err)) != 0)
		dlog("usb: no USB detection: %s", err);
}

static int
signals_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	(void)signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Milliseconds until the next silent client must go, or -1 for none. */
static int
next_timeout(const struct daemon *d, const struct client *cl, int n)
{
	int64_t now = daemon_mono_ms(), first = INT64_MAX;
	int i;

	for (i = 0; i < n; i++)
		if (cl[i].last < first)
			first = cl[i].last;
	if (first == INT64_MAX)
		return -1;
	first += (int64_t)d->cfg.client_timeout * 1000 - now;
	return first < 0 ? 0 : first > 3600000 ? 3600000 : (int)first;
}

int
server_run(struct daemon *d, char *err, size_t errlen)
{
	struct client *cl = NULL;
	struct pollfd *pf = NULL;
	char *buf = NULL;
	int lfd, sfd = -1, n = 0, i, j, stop = 0, r = 0, max;
	uint64_t served = 0;

	max = d->cfg.max_clients;
	if ((lfd = server_listen(&d->cfg, err, errlen)) < 0)
		return lfd;
	if ((sfd = signals_fd()) == -1 ||
	    (cl = calloc((size_t)max, sizeof(*cl))) == NULL ||
	    (pf = calloc((size_t)max + 3, sizeof(*pf))) == NULL ||
	    (buf = malloc(DAEMON_MAX_MSG + 1)) == NULL) {
		r = custody_fail(err, errlen, CUSTODY_ERR_NOMEM, "cannot set "
		    "up the event loop");
		goto out;
	}
	if (d->cfg.usb_monitor)
		usb_start(d);
	/* Initialisation is over: from here on, only the allowlist. */
	if ((r = sandbox_apply(err, errlen)) != 0)
		goto out;
	dlog("serving %s on %s", custody_log_origin(d->log), d->cfg.socket);
	notify("READY=1");
	while (!stop) {
		/* Going idle: give back caches before sleeping. */
		if (n == 0 && d->requests != served) {
			served = d->requests;
			store_release_memory(d->st);
			(void)malloc_trim(0);
		}
		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		pf[1].fd = sfd;
		pf[1].events = POLLIN;
		/* A negative descriptor is skipped by poll: no helper. */
		pf[2].fd = usbmon_fd(d);
		pf[2].events = POLLIN;
		pf[2].revents = 0;
		for (i = 0; i < n; i++) {
			pf[i + 3].fd = cl[i].fd;
			pf[i + 3].events = POLLIN;
			pf[i + 3].revents = 0;
		}
		if (poll(pf, (nfds_t)n + 3, next_timeout(d, cl, n)) == -1 &&
		    errno != EINTR) {
			r = custody_fail(err, errlen, CUSTODY_ERR_IO, "poll: %s",
			    strerror(errno));
			break;
		}
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGHUP)
				stop = 1;
		}
		if (pf[2].revents & (POLLIN | POLLHUP | POLLERR))
			usbmon_read(d);
		for (i = 0; i < n; i++) {
			if (pf[i + 3].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(d, &cl[i], buf);
			else if (daemon_mono_ms() - cl[i].last >=
			    (int64_t)d->cfg.client_timeout * 1000) {
				close(cl[i].fd);
				cl[i].fd = -1;
			}
		}
		for (i = j = 0; i < n; i++)
			if (cl[i].fd != -1)
				cl[j++] = cl[i];
		n = j;
		if (pf[0].revents & POLLIN)
			client_accept(lfd, cl, max, &n);
	}
	notify("STOPPING=1");
	dlog("stopping after %llu requests", (unsigned long long)d->requests);
out:
	for (i = 0; i < n; i++)
		close(cl[i].fd);
	usbmon_stop(d);
	free(cl);
	free(pf);
	free(buf);
	if (sfd != -1)
		close(sfd);
	close(lfd);
	(void)unlink(d->cfg.socket);
	return r;
}
