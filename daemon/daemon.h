/*
 * daemon.h -- custodyd's shared state and the request context handed to
 * every handler.
 *
 * One process, one writer of the database, and one thread that serves
 * requests.  A request is handled to completion before the next: parse,
 * session, policy, handler, commit (events and a signed checkpoint in one
 * transaction), reply.  The one other thread there ever is belongs to
 * intake: item_seal starts a digest worker and joins it before it
 * returns (hashing/digest_pipe.c); that worker touches no daemon state,
 * only read buffers and its digest contexts.
 */
#ifndef CUSTODY_DAEMON_H
#define CUSTODY_DAEMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "daemon/auth.h"
#include "daemon/policy.h"
#include "daemon/usbmon.h"
#include "evidence/lifecycle.h"
#include "evidence/log.h"
#include "evidence/station.h"

#define DAEMON_MAX_MSG		65536	/* request size limit */
#define DAEMON_MAX_REPLY	196608	/* fits a default socket buffer */
#define DAEMON_MAX_SESSIONS	256
#define DAEMON_TOKEN_HEX	64
#define DAEMON_MAX_FIELD	4096	/* any one string argument */
#define DAEMON_NAME_MAX		64	/* user names */

struct config {
	char		state[PATH_MAX];
	char		socket[PATH_MAX];
	struct auth_cost kdf;
	int		session_idle;	/* seconds */
	int		end_of_day;	/* minutes after local midnight */
	int		police_hours;
	int		max_clients;
	int		client_timeout;	/* seconds a silent client may stay */
	char		socket_group[64];
	int		view_window;	/* seconds a viewing grant lasts */
	int		view_witness;	/* 1: a witness must authenticate */
	int		usb_monitor;	/* 1: run custody-usbwatch */
	char		usb_helper[PATH_MAX];	/* "": the installed one */
	int		ios_lockdown;	/* 1: ask iPhones' lockdownd */
};

void	config_defaults(struct config *c);
/* Reads key = value lines; refuses an unknown key or a bad value. */
int	config_load(const char *path, struct config *c, char *err,
	    size_t errlen);

struct session {
	char		token[DAEMON_TOKEN_HEX + 1];	/* "" = free slot */
	uid_t		uid;
	char		user[DAEMON_NAME_MAX];
	int64_t		last_used;	/* ms, monotonic */
};

/* A grant to view one item, for one viewer, once, within a window. */
struct grant {
	char		token[DAEMON_TOKEN_HEX + 1];	/* "" = free */
	char		item[32];
	char		user[DAEMON_NAME_MAX];
	uid_t		uid;
	int64_t		expires;	/* monotonic ms */
};

#define DAEMON_MAX_GRANTS	32

struct daemon {
	struct config	 cfg;
	struct station	*station;	/* its master key, its directory */
	struct custody_log *log;
	struct store	*st;
	struct session	 sessions[DAEMON_MAX_SESSIONS];
	uint64_t	 requests;
	char		 dummy_hash[AUTH_HASH_MAX];	/* for unknown users */
	struct grant	 grants[DAEMON_MAX_GRANTS];
	struct usbmon	*usb;		/* NULL: USB detection off */
};

struct req {
	struct daemon	*d;
	const char	*op;
	json_t		*args;		/* borrowed from the request */
	const struct policy_rule *rule;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	struct session	*sess;		/* NULL before login */
	char		 user[DAEMON_NAME_MAX];
	enum role	 role;
	char		 crime_ref[128];	/* police accounts */
	json_t		*result;	/* the handler's answer */
	const char	*code;		/* error code, or NULL */
	char		 msg[512];	/* error message */
	uint64_t	 seq;		/* the request's main event */
	int		 events;	/* events appended so far */
	int		 keep;		/* commit events even on error */
	int		 fd_in;		/* a descriptor the client passed, or -1 */
	int		 fd_out;	/* one to pass back with the reply, or -1 */
	char		 unlink_after[PATH_MAX];	/* once committed */
	char		 usb_port[USBMON_PORT_MAX];	/* registered from */
	char		 usb_device[32];	/* ... as this device */
};

/* Handlers return 0, or -1 after req_fail. */
typedef int handler_fn(struct req *r);

int	req_fail(struct req *r, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Fetches a string argument: NULL if absent (optional).  Refuses a
 * non-string, an empty string, one longer than max, or one with control
 * characters other than newline and tab, via req_fail, and sets *bad.
 */
const char *arg_str(struct req *r, const char *name, size_t max, int *bad);
/*
 * Fails with one message naming every missing argument in the
 * NULL-terminated list.  Returns 0 if all are present.
 */
int	arg_need(struct req *r, ...) __attribute__((sentinel));

/*
 * Fails r for error e from the store or the log (detail: a message for
 * codes without one of their own, or NULL): the cause, whether anything
 * was recorded (in_doubt: see custody_log_in_doubt), and what to do.
 */
int	req_store_fail(struct req *r, int e, const char *detail, int in_doubt);
/*
 * Appends an event by the caller; the first one becomes r->seq.  Takes
 * ownership of subject and data, JSON objects ({} for none): NULL is
 * taken for a json_pack that failed, and fails the request.
 */
int	req_event(struct req *r, const char *action, json_t *subject,
	    json_t *data);
/* Checks args.new_password against the policy for user and hashes it. */
int	new_password_hash(struct req *r, const char *user, char *hash,
	    size_t len);
/* The caller as an event actor. */
json_t	*req_actor(const struct req *r);

/* Runs SQL through the store; on error fails r with "internal". */
int	req_sql(struct req *r, const char *sql, json_t *params, json_t **rows);

/* The events recorded under a subject, oldest first, parsed. */
int	subject_events(struct req *r, const char *kind, const char *id,
	    json_t **events);
/* 1 if a device row is held past the end of the school day. */
int	device_overdue(const struct daemon *d, json_t *dev, int64_t now);

/* Current time. */
int64_t	daemon_now_ms(void);		/* realtime */
int64_t	daemon_mono_ms(void);		/* monotonic */

/* Logging to stderr (the journal).  Never pass secrets. */
void	dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sessions. */
int	session_new(struct daemon *d, uid_t uid, const char *user,
	    char token[DAEMON_TOKEN_HEX + 1]);
struct session *session_find(struct daemon *d, const char *token, uid_t uid);
void	session_drop(struct daemon *d, struct session *s);
void	session_drop_user(struct daemon *d, const char *user);

/*
 * The dispatcher: one request message in, one reply (allocated) out.
 * fd_in is a descriptor passed with the request (or -1), owned by the
 * caller; *fd_out is set to a descriptor to pass back with the reply, or
 * -1 (the caller closes it after sending).
 */
char	*dispatch(struct daemon *d, const char *msg, size_t len, uid_t uid,
	    gid_t gid, pid_t pid, int fd_in, int *fd_out, size_t *replylen);

/* Handlers, by group. */
handler_fn h_auth_login, h_auth_logout, h_auth_whoami, h_auth_passwd;
handler_fn h_user_add, h_user_list, h_user_disable, h_user_passwd,
    h_user_role, h_police_add;
handler_fn h_device_register, h_device_list, h_device_show,
    h_device_action;
handler_fn h_case_open, h_case_show, h_case_list, h_case_classify,
    h_case_flag, h_case_link, h_case_refer;
handler_fn h_station_status, h_log_receipt, h_log_verify, h_report;
handler_fn h_item_add, h_item_list, h_item_delete, h_view_justify,
    h_view_open, h_device_unseal;
handler_fn h_case_export, h_export_fetch, h_export_list;

/* Creating a station with its first admin account (custodyd --init). */
int	daemon_init_station(const struct config *cfg, const char *id,
	    const char *admin, const char *password, size_t pwlen,
	    char *err, size_t errlen);

/* Serves until SIGTERM or SIGINT.  Returns 0 on a clean stop. */
int	server_run(struct daemon *d, char *err, size_t errlen);

#endif
