/*
 * client.h -- talking to custodyd, and keeping the session token.
 *
 * One request, one reply, over the SOCK_SEQPACKET socket of
 * docs/protocol.md.  Every function here that can fail returns a custody(1)
 * exit code (CLI_OK on success) and writes one line for the person into
 * err (no newline, already escaped for the terminal); the caller prints it.
 */
#ifndef CUSTODY_CLI_CLIENT_H
#define CUSTODY_CLI_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#define CLIENT_DEFAULT_SOCKET	"/run/custody/custodyd.sock"
#define CLIENT_MAX_MSG		65536	/* request limit */
#define CLIENT_MAX_REPLY	196608	/* reply limit (DAEMON_MAX_REPLY) */
#define CLIENT_TIMEOUT		30	/* seconds to wait for custodyd */
#define CLIENT_TOKEN_HEX	64
#define CLIENT_ERRLEN		1024

/*
 * Makes jansson zero every block it frees, so passwords and session
 * tokens that pass through JSON values do not linger in freed memory.
 * Call once, before any JSON value exists.
 */
void	client_json_secure(void);

/* The socket: opt (--socket), else $CUSTODY_SOCKET, else the default. */
const char *client_socket_path(const char *opt);

/*
 * Sends {"v":1,"op":op,"session":session,"args":args} (session may be
 * NULL; args is borrowed and may be NULL) and waits up to CLIENT_TIMEOUT
 * seconds for the reply.  On CLI_OK *result is the reply's result object
 * (the caller owns it).  On a daemon error the exit code follows the
 * error code (unauthenticated CLI_AUTH, forbidden CLI_FORBIDDEN, ...);
 * when custodyd cannot be reached it is CLI_CONNECT.
 */
int	client_call(const char *sock, const char *op, const char *session,
	    json_t *args, json_t **result, char *err, size_t errlen);

/*
 * The same, passing fd_in (or -1) with the request, and returning in
 * *fd_out (when not NULL) a descriptor passed back with a successful
 * reply, or -1.  The caller closes *fd_out.
 */
int	client_call_fd(const char *sock, const char *op, const char *session,
	    json_t *args, int fd_in, int *fd_out, json_t **result, char *err,
	    size_t errlen);

/* The exit code for a protocol error code ("forbidden", ...). */
int	client_error_exit(const char *code);

/*
 * The session token file, $XDG_RUNTIME_DIR/custody/session.
 *
 * client_session_load() refuses a file that is not a regular file owned
 * by us, or that has any group or other permission bit (CLI_AUTH), unless
 * lenient is set, when only ownership is required (logout uses it to end
 * a session whose file was exposed).  No file: CLI_AUTH, "not logged in".
 * client_session_save() writes the token through an O_EXCL temporary
 * file and rename(2), in a directory it makes (or checks) mode 0700.
 * client_session_prepare() makes or checks that directory alone, so that
 * login can fail before it asks for a password.
 */
int	client_session_path(char *buf, size_t len, char *err, size_t errlen);
int	client_session_load(char token[CLIENT_TOKEN_HEX + 1], int lenient,
	    char *err, size_t errlen);
int	client_session_prepare(char *err, size_t errlen);
int	client_session_save(const char *token, char *err, size_t errlen);
int	client_session_remove(char *err, size_t errlen);

#endif
