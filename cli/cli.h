/*
 * cli.h -- shared pieces of the custody command.
 *
 * Exit codes (documented in custody(1)):
 */
#ifndef CUSTODY_CLI_H
#define CUSTODY_CLI_H

#include <stddef.h>
#include <stdint.h>

#define CLI_OK		0	/* success; for verify: everything holds */
#define CLI_VERIFY	1	/* verification failed: tampering found */
#define CLI_USAGE	2	/* bad command line */
#define CLI_NODB	3	/* database or state directory missing or unreadable */
#define CLI_SCHEMA	4	/* database from a newer schema */
#define CLI_CORRUPT	5	/* not a custody database, or damaged */
#define CLI_KEY		6	/* key or certificate file bad */
#define CLI_RECEIPT	7	/* receipt malformed */
#define CLI_FAIL	8	/* anything else */
#define CLI_NOTFOUND	9	/* no such event (or device, case, item) */
/* Answers from custodyd (docs/protocol.md error codes): */
#define CLI_AUTH	10	/* not logged in, or the session ended */
#define CLI_FORBIDDEN	11	/* the role may never do this */
#define CLI_REFUSED	12	/* not now: state, case flags, policy */
#define CLI_BADREQ	13	/* custodyd found the request malformed */
#define CLI_LOCKED	14	/* account locked after failed logins */
#define CLI_CONFLICT	15	/* already exists */
#define CLI_CONNECT	16	/* custodyd cannot be reached or did not answer */

struct cli_cmd {
	const char	*group;
	const char	*verb;		/* NULL: a one-word command (login) */
	int		(*run)(int argc, char **argv);
	const char	*summary;
};

/* Prints "custody: error: <msg>" on stderr. */
void	cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints msg (or the code's name) and returns the exit code for err. */
int	cli_fail(int err, const char *msg);
int	cli_exit_code(int err);
int	cli_usage(const char *usage);

/* The database path from --db, --state, $CUSTODY_STATE or the default. */
const char *cli_db_path(const char *db, const char *state, char *buf,
	    size_t len);
/* The state directory from --state, $CUSTODY_STATE or the default. */
const char *cli_state_dir(const char *state);

/* Reads a whole small file (or "-" for stdin) into an allocated buffer. */
int	cli_read_file(const char *path, size_t max, char **out, size_t *len);

/* Formats an RFC 3339 UTC time as local time with zone. */
void	cli_local_time(const char *utc, char *out, size_t len);

/* Parses a non-negative decimal; -1 if it is not one. */
int	cli_parse_u64(const char *s, uint64_t *v);

int	cmd_station_init(int argc, char **argv);
int	cmd_log_show(int argc, char **argv);
int	cmd_log_verify(int argc, char **argv);
int	cmd_log_proof(int argc, char **argv);
int	cmd_log_receipt(int argc, char **argv);
int	cmd_log_append(int argc, char **argv);

/* Commands that talk to custodyd. */
int	cmd_login(int argc, char **argv);
int	cmd_logout(int argc, char **argv);
int	cmd_whoami(int argc, char **argv);
int	cmd_passwd(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_report(int argc, char **argv);
int	cmd_user_add(int argc, char **argv);
int	cmd_user_list(int argc, char **argv);
int	cmd_user_disable(int argc, char **argv);
int	cmd_user_passwd(int argc, char **argv);
int	cmd_user_role(int argc, char **argv);
int	cmd_police_add(int argc, char **argv);
int	cmd_device_register(int argc, char **argv);
int	cmd_device_list(int argc, char **argv);
int	cmd_device_show(int argc, char **argv);
int	cmd_device_seal(int argc, char **argv);
int	cmd_device_move(int argc, char **argv);
int	cmd_device_checkout(int argc, char **argv);
int	cmd_device_return(int argc, char **argv);
int	cmd_device_search(int argc, char **argv);
int	cmd_device_refer(int argc, char **argv);
int	cmd_device_release(int argc, char **argv);
int	cmd_device_handover(int argc, char **argv);
int	cmd_case_open(int argc, char **argv);
int	cmd_case_show(int argc, char **argv);
int	cmd_case_list(int argc, char **argv);
int	cmd_case_classify(int argc, char **argv);
int	cmd_case_flag(int argc, char **argv);
int	cmd_case_link(int argc, char **argv);
int	cmd_case_refer(int argc, char **argv);
int	cmd_case_police(int argc, char **argv);
int	cmd_item_add(int argc, char **argv);
int	cmd_item_list(int argc, char **argv);
int	cmd_item_delete(int argc, char **argv);
int	cmd_view(int argc, char **argv);
int	cmd_device_unseal(int argc, char **argv);
int	cmd_export(int argc, char **argv);
int	cmd_export_fetch(int argc, char **argv);
int	cmd_export_list(int argc, char **argv);
int	cmd_verify(int argc, char **argv);

#endif
