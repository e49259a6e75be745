/*
 * client.c -- the CLI side of the custodyd protocol (docs/protocol.md).
 *
 * A call is: connect, send one request message, receive one reply
 * message, close.  Nothing is retried: a write that timed out may still
 * have happened, and the person must look (custody device show) rather
 * than have it done twice.
 *
 * The request text holds the session token and, for some operations,
 * passwords: it is built in a buffer of our own and zeroed after sending;
 * the reply buffer is zeroed too (auth.login's reply holds the token).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/fdpass.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "common/escape.h"

#define SESSION_DIR	"custody"
#define SESSION_FILE	"session"

/* A header that keeps any block's alignment and remembers its size. */
union secure_hdr {
	size_t		n;
	max_align_t	align;
};

static void *
secure_malloc(size_t n)
{
	union secure_hdr *h;

	if (n > SIZE_MAX - sizeof(*h))
		return NULL;
	if ((h = malloc(sizeof(*h) + n)) == NULL)
		return NULL;
	h->n = n;
	return h + 1;
}

static void
secure_free(void *p)
{
	union secure_hdr *h;

	if (p == NULL)
		return;
	h = (union secure_hdr *)p - 1;
	explicit_bzero(h, sizeof(*h) + h->n);
	free(h);
}

void
client_json_secure(void)
{
	json_set_alloc_funcs(secure_malloc, secure_free);
}

const char *
client_socket_path(const char *opt)
{
	const char *env;

	if (opt != NULL && opt[0] != '\0')
		return opt;
	if ((env = getenv("CUSTODY_SOCKET")) != NULL && env[0] != '\0')
		return env;
	return CLIENT_DEFAULT_SOCKET;
}

/* What to try when connect(2) fails with e. */
static const char *
connect_hint(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return "is your account in group custody? (id -nG; log out "
		    "and in again after being added)";
	case EPROTOTYPE:
	case ENOTSOCK:
		return "is that custodyd's socket? (--socket, "
		    "$CUSTODY_SOCKET)";
	default:
		return "is the daemon running? (systemctl status custodyd)";
	}
}

static int
client_connect(const char *path, int *fdp, char *err, size_t errlen)
{
	struct timeval tv = { CLIENT_TIMEOUT, 0 };
	struct sockaddr_un sun;
	char safe[256];
	int fd = -1, r = CLI_OK, e;

	*fdp = -1;
	escape_text(path, strlen(path), safe, sizeof(safe));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		r = custody_fail(err, errlen, CLI_USAGE, "socket path %s is "
		    "too long (at most %zu bytes)", safe,
		    sizeof(sun.sun_path) - 1);
		goto out;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		r = custody_fail(err, errlen, CLI_CONNECT, "cannot make a "
		    "socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = errno;
		r = custody_fail(err, errlen, CLI_CONNECT, "cannot reach "
		    "custodyd at %s: %s; %s", safe, strerror(e),
		    connect_hint(e));
		goto out;
	}
	*fdp = fd;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	return r;
}

/* Builds the request text in a buffer of our own (zeroed by the caller). */
static int
client_request(const char *op, const char *session, json_t *args,
    char **out, size_t *len, char *err, size_t errlen)
{
	json_t *req;
	char *text = NULL;
	size_t n;
	int r = CLI_FAIL;

	*out = NULL;
	req = json_pack("{s:i, s:s, s:s*, s:O*}", "v", 1, "op", op,
	    "session", session, "args", args);
	if (req == NULL || (n = json_dumpb(req, NULL, 0, JSON_COMPACT)) == 0) {
		(void)custody_fail(err, errlen, CLI_FAIL, "cannot encode the "
		    "request (out of memory?)");
		goto out;
	}
	if (n > CLIENT_MAX_MSG) {
		(void)custody_fail(err, errlen, CLI_FAIL, "the request is %zu "
		    "bytes, over custodyd's limit of %d; shorten the text "
		    "given", n, CLIENT_MAX_MSG);
		goto out;
	}
	if ((text = malloc(n)) == NULL ||
	    json_dumpb(req, text, n, JSON_COMPACT) != n) {
		(void)custody_fail(err, errlen, CLI_FAIL, "cannot encode the "
		    "request (out of memory?)");
		goto out;
	}
	*out = text;
	*len = n;
	text = NULL;
	r = CLI_OK;
out:
	free(text);
	json_decref(req);
	return r;
}

/* Keeps the first descriptor passed with a message; closes any other. */
static void
client_take_fd(struct msghdr *msg, int *fd_out)
{
	struct cmsghdr *cm;
	size_t i, nfd;
	int fds[4];

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > 4)
			nfd = 4;
		memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
		for (i = 0; i < nfd; i++) {
			if (fd_out != NULL && *fd_out == -1)
				*fd_out = fds[i];
			else
				close(fds[i]);
		}
	}
}

/*
 * Receives one message into buf (CLIENT_MAX_REPLY + 1 bytes) and the
 * descriptor passed with it, if any, into *fd_out (-1 if none).
 */
static int
client_recv(int fd, char *buf, size_t *len, int *fd_out, char *err,
    size_t errlen)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { buf, CLIENT_MAX_REPLY + 1 };
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		client_take_fd(&msg, fd_out);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return custody_fail(err, errlen, CLI_CONNECT, "custodyd did "
		    "not answer within %d seconds; check whether the action "
		    "was recorded before trying again", CLIENT_TIMEOUT);
	if (n == -1)
		return custody_fail(err, errlen, CLI_CONNECT, "cannot read "
		    "custodyd's reply: %s", strerror(errno));
	if (n == 0)
		return custody_fail(err, errlen, CLI_CONNECT, "custodyd closed "
		    "the connection without answering; see journalctl -u "
		    "custodyd");
	if ((size_t)n > CLIENT_MAX_REPLY || (msg.msg_flags & MSG_TRUNC) != 0)
		return custody_fail(err, errlen, CLI_FAIL, "custodyd's reply "
		    "(%zd bytes) is over the protocol limit of %d bytes",
		    n, CLIENT_MAX_REPLY);
	*len = (size_t)n;
	return CLI_OK;
}

/* The exit code for a protocol error code, or -1 for an unknown code. */
static int
error_lookup(const char *code)
{
	static const struct {
		const char	*code;
		int		 exit;
	} map[] = {
		{ "unauthenticated", CLI_AUTH },
		{ "forbidden", CLI_FORBIDDEN },
		{ "refused", CLI_REFUSED },
		{ "not_found", CLI_NOTFOUND },
		{ "bad_request", CLI_BADREQ },
		{ "locked", CLI_LOCKED },
		{ "conflict", CLI_CONFLICT },
		{ "too_large", CLI_FAIL },
		{ "internal", CLI_FAIL },
	};
	size_t i;

	for (i = 0; code != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].exit;
	return -1;
}

int
client_error_exit(const char *code)
{
	int x = error_lookup(code);

	return x == -1 ? CLI_FAIL : x;
}

/* Turns {"ok":false,"error":{...}} into an exit code and a message. */
static int
client_reply_error(const json_t *e, char *err, size_t errlen)
{
	const char *code, *msg;
	char safe[CLIENT_ERRLEN], scode[64];
	int x;

	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	if (code == NULL)
		return custody_fail(err, errlen, CLI_FAIL, "custodyd sent a "
		    "malformed reply: an error without a code");
	if (msg == NULL || msg[0] == '\0')
		msg = code;
	escape_text(msg, strlen(msg), safe, sizeof(safe));
	if ((x = error_lookup(code)) == -1) {
		escape_text(code, strlen(code), scode, sizeof(scode));
		return custody_fail(err, errlen, CLI_FAIL, "%s (error code "
		    "'%s', which this custody does not know; is it older "
		    "than the daemon?)", safe, scode);
	}
	if (x == CLI_AUTH && strstr(msg, "custody login") == NULL)
		return custody_fail(err, errlen, x, "%s; log in again with "
		    "'custody login'", safe);
	return custody_fail(err, errlen, x, "%s", safe);
}

/* Parses a reply message. */
static int
client_reply(const char *buf, size_t len, json_t **result, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *j, *ok, *res;
	int r;

	if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return custody_fail(err, errlen, CLI_FAIL, "custodyd sent a "
		    "malformed reply (not JSON at byte %d); see journalctl -u "
		    "custodyd", je.position);
	ok = json_object_get(j, "ok");
	res = json_object_get(j, "result");
	if (!json_is_boolean(ok))
		r = custody_fail(err, errlen, CLI_FAIL, "custodyd sent a "
		    "malformed reply: no \"ok\"");
	else if (json_is_false(ok))
		r = client_reply_error(json_object_get(j, "error"), err,
		    errlen);
	else if (res != NULL && !json_is_object(res))
		r = custody_fail(err, errlen, CLI_FAIL, "custodyd sent a "
		    "malformed reply: the result is not an object");
	else {
		*result = res != NULL ? json_incref(res) : json_object();
		r = *result != NULL ? CLI_OK : custody_fail(err, errlen,
		    CLI_FAIL, "out of memory");
	}
	json_decref(j);
	return r;
}

int
client_call(const char *sock, const char *op, const char *session,
    json_t *args, json_t **result, char *err, size_t errlen)
{
	return client_call_fd(sock, op, session, args, -1, NULL, result, err,
	    errlen);
}

int
client_call_fd(const char *sock, const char *op, const char *session,
    json_t *args, int fd_in, int *fd_out, json_t **result, char *err,
    size_t errlen)
{
	char *req = NULL, *rep = NULL;
	size_t reqlen = 0, replen = 0;
	ssize_t n;
	int fd = -1, r, got = -1;

	*result = NULL;
	if (fd_out != NULL)
		*fd_out = -1;
	if ((r = client_request(op, session, args, &req, &reqlen, err,
	    errlen)) != CLI_OK)
		goto out;
	if ((rep = malloc(CLIENT_MAX_REPLY + 1)) == NULL) {
		r = custody_fail(err, errlen, CLI_FAIL, "out of memory");
		goto out;
	}
	if ((r = client_connect(sock, &fd, err, errlen)) != CLI_OK)
		goto out;
	n = fdpass_send(fd, req, reqlen, fd_in, 0);
	if (n == -1 || (size_t)n != reqlen) {
		r = custody_fail(err, errlen, CLI_CONNECT, "cannot send the "
		    "request to custodyd: %s", n == -1 ? strerror(errno) :
		    "short write");
		goto out;
	}
	if ((r = client_recv(fd, rep, &replen, fd_out ? &got : NULL, err,
	    errlen)) != CLI_OK)
		goto out;
	if ((r = client_reply(rep, replen, result, err, errlen)) == CLI_OK &&
	    fd_out != NULL) {
		*fd_out = got;
		got = -1;
	}
out:
	if (got != -1)
		close(got);
	if (fd != -1)
		close(fd);
	if (req != NULL)
		explicit_bzero(req, reqlen);
	if (rep != NULL)
		explicit_bzero(rep, CLIENT_MAX_REPLY + 1);
	free(req);
	free(rep);
	return r;
}

/* $XDG_RUNTIME_DIR/custody into buf. */
static int
session_dir(char *buf, size_t len, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (xdg == NULL || xdg[0] == '\0')
		return custody_fail(err, errlen, CLI_FAIL, "XDG_RUNTIME_DIR is "
		    "not set; log in through a desktop session or set it to "
		    "a private directory");
	if (xdg[0] != '/')
		return custody_fail(err, errlen, CLI_FAIL, "XDG_RUNTIME_DIR "
		    "is not an absolute path; set it to a private directory");
	n = snprintf(buf, len, "%s/%s", xdg, SESSION_DIR);
	if (n < 0 || (size_t)n >= len)
		return custody_fail(err, errlen, CLI_FAIL, "XDG_RUNTIME_DIR "
		    "is too long");
	return CLI_OK;
}

int
client_session_path(char *buf, size_t len, char *err, size_t errlen)
{
	char dir[4096];
	int n, r;

	if ((r = session_dir(dir, sizeof(dir), err, errlen)) != CLI_OK)
		return r;
	n = snprintf(buf, len, "%s/%s", dir, SESSION_FILE);
	if (n < 0 || (size_t)n >= len)
		return custody_fail(err, errlen, CLI_FAIL, "XDG_RUNTIME_DIR "
		    "is too long");
	return CLI_OK;
}

/* Checks an open session file: ours, regular, private (unless lenient). */
static int
session_check(int fd, const char *safe, int lenient, char *err,
    size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return custody_fail(err, errlen, CLI_AUTH, "cannot read the "
		    "session file %s: %s", safe, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return custody_fail(err, errlen, CLI_AUTH, "the session file "
		    "%s is not a regular file; remove it and run 'custody "
		    "login'", safe);
	if (st.st_uid != geteuid())
		return custody_fail(err, errlen, CLI_AUTH, "the session file "
		    "%s belongs to uid %u, not to you; refusing it: remove "
		    "it and run 'custody login'", safe, (unsigned)st.st_uid);
	if (!lenient && (st.st_mode & 077) != 0)
		return custody_fail(err, errlen, CLI_AUTH, "the session file "
		    "%s is open to other users (mode %04o); refusing it: run "
		    "'custody logout' to end that session, then 'custody "
		    "login'", safe, (unsigned)(st.st_mode & 07777));
	return CLI_OK;
}

int
client_session_load(char token[CLIENT_TOKEN_HEX + 1], int lenient,
    char *err, size_t errlen)
{
	char path[4200], safe[512], buf[CLIENT_TOKEN_HEX + 2];
	ssize_t n;
	size_t i;
	int fd = -1, r;

	token[0] = '\0';
	if ((r = client_session_path(path, sizeof(path), err, errlen)) != 0)
		return r;
	escape_text(path, strlen(path), safe, sizeof(safe));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		r = errno == ENOENT ? custody_fail(err, errlen, CLI_AUTH, "not "
		    "logged in; run 'custody login'") : custody_fail(err,
		    errlen, CLI_AUTH, "cannot open the session file %s: %s; "
		    "remove it and run 'custody login'", safe,
		    errno == ELOOP ? "it is a symbolic link" :
		    strerror(errno));
		goto out;
	}
	if ((r = session_check(fd, safe, lenient, err, errlen)) != CLI_OK)
		goto out;
	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	for (i = 0; n > 0 && i < CLIENT_TOKEN_HEX && i < (size_t)n; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') ||
		    (buf[i] >= 'a' && buf[i] <= 'f')))
			break;
	if (i != CLIENT_TOKEN_HEX || !(n == CLIENT_TOKEN_HEX ||
	    (n == CLIENT_TOKEN_HEX + 1 && buf[CLIENT_TOKEN_HEX] == '\n'))) {
		r = custody_fail(err, errlen, CLI_AUTH, "the session file %s is "
		    "damaged; run 'custody login'", safe);
		goto out;
	}
	memcpy(token, buf, CLIENT_TOKEN_HEX);
	token[CLIENT_TOKEN_HEX] = '\0';
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return r;
}

/* Makes the session directory, or checks the one there is ours, 0700. */
static int
session_mkdir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char safe[512];

	escape_text(dir, strlen(dir), safe, sizeof(safe));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return custody_fail(err, errlen, CLI_FAIL, "cannot make %s: %s",
		    safe, strerror(errno));
	if (lstat(dir, &st) != 0)
		return custody_fail(err, errlen, CLI_FAIL, "cannot read %s: %s",
		    safe, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return custody_fail(err, errlen, CLI_FAIL, "%s is not a "
		    "directory of yours; remove it and log in again", safe);
	if ((st.st_mode & 077) != 0)
		return custody_fail(err, errlen, CLI_FAIL, "%s is open to other "
		    "users (mode %04o); run chmod 700 on it and log in again",
		    safe, (unsigned)(st.st_mode & 07777));
	return CLI_OK;
}

/* Writes all of p to fd. */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
client_session_prepare(char *err, size_t errlen)
{
	char dir[4096];
	int r;

	if ((r = session_dir(dir, sizeof(dir), err, errlen)) != CLI_OK)
		return r;
	return session_mkdir(dir, err, errlen);
}

int
client_session_save(const char *token, char *err, size_t errlen)
{
	char dir[4096], tmp[4200], path[4200], line[CLIENT_TOKEN_HEX + 1];
	char safe[512];
	int fd = -1, r, n;

	tmp[0] = '\0';
	if ((r = session_dir(dir, sizeof(dir), err, errlen)) != CLI_OK ||
	    (r = session_mkdir(dir, err, errlen)) != CLI_OK ||
	    (r = client_session_path(path, sizeof(path), err, errlen)) != 0)
		goto out;
	if (strlen(token) != CLIENT_TOKEN_HEX) {
		r = custody_fail(err, errlen, CLI_FAIL, "custodyd sent a "
		    "malformed session token");
		goto out;
	}
	memcpy(line, token, CLIENT_TOKEN_HEX);
	line[CLIENT_TOKEN_HEX] = '\n';
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, SESSION_FILE);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		n = errno;
		tmp[0] = '\0';
		escape_text(dir, strlen(dir), safe, sizeof(safe));
		r = custody_fail(err, errlen, CLI_FAIL, "cannot create a file "
		    "in %s: %s", safe, strerror(n));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, line, sizeof(line)) != 0 ||
	    fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		r = custody_fail(err, errlen, CLI_FAIL, "cannot write the "
		    "session file: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = custody_fail(err, errlen, CLI_FAIL, "cannot write the "
		    "session file: %s", strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
out:
	explicit_bzero(line, sizeof(line));
	if (fd != -1)
		close(fd);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	return r;
}

int
client_session_remove(char *err, size_t errlen)
{
	char path[4200];
	int r;

	if ((r = client_session_path(path, sizeof(path), err, errlen)) != 0)
		return r;
	if (unlink(path) != 0 && errno != ENOENT)
		return custody_fail(err, errlen, CLI_FAIL, "cannot remove the "
		    "session file: %s", strerror(errno));
	return CLI_OK;
}
