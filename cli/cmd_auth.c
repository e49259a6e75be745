/*
 * cmd_auth.c -- custody login | logout | whoami | passwd.
 *
 * login is the one request sent without a session; it stores the token
 * custodyd returns in $XDG_RUNTIME_DIR/custody/session (client.h).  The
 * token is bound to your uid by the daemon, so it is no use to anyone
 * else, but it is kept private all the same.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/op.h"
#include "cli/prompt.h"
#include "cli/table.h"
#include "common/escape.h"

#define LOGIN_USAGE "custody login [--user USER] [--password-file FILE] " \
	"[--socket PATH] [--json]"
#define LOGOUT_USAGE "custody logout [--socket PATH]"

enum { O_USER = 1, O_PWFILE, O_SOCKET, O_JSON, O_HELP };

static const struct option auth_opts[] = {
	{ "user", required_argument, NULL, O_USER },
	{ "password-file", required_argument, NULL, O_PWFILE },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static const struct option logout_opts[] = {
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct auth_args {
	const char	*user, *pwfile, *sock;
	int		 json, help;
};

/* Parses login's options, or logout's (only --socket and --help). */
static int
auth_parse(int argc, char **argv, int login, struct auth_args *a)
{
	char safe[128];
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", login ? auth_opts :
	    logout_opts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			if (ch == '?' && optopt > ' ' && optopt < 127)
				(void)snprintf(safe, sizeof(safe), "-%c",
				    optopt);
			else
				escape_text(argv[optind - 1],
				    strlen(argv[optind - 1]), safe,
				    sizeof(safe));
			cli_error("%s '%s'; see 'custody %s --help'",
			    ch == ':' ? "a value is needed after" :
			    "unknown option", safe, login ? "login" : "logout");
			return CLI_USAGE;
		}
		switch (ch) {
		case O_USER: a->user = optarg; break;
		case O_PWFILE: a->pwfile = optarg; break;
		case O_SOCKET: a->sock = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_HELP: a->help = 1; break;
		}
	}
	if (optind < argc) {
		escape_text(argv[optind], strlen(argv[optind]), safe,
		    sizeof(safe));
		cli_error("unexpected argument '%s'; see 'custody %s --help'",
		    safe, login ? "login" : "logout");
		return CLI_USAGE;
	}
	return CLI_OK;
}

static void
login_help(void)
{
	printf("usage: %s\n\n"
	    "Logs in to custodyd and keeps the session in "
	    "$XDG_RUNTIME_DIR/custody/session\n(mode 0600).  The session "
	    "ends after some minutes without use (custodyd's\nsession_idle) "
	    "or with custody logout.  Repeated wrong passwords lock the\n"
	    "account for a while; every failure is recorded.\n\n", LOGIN_USAGE);
	printf("  --user USER                your account; default your "
	    "login name\n"
	    "  --password-file FILE       read the password from FILE "
	    "(\"-\": standard input);\n"
	    "                             asked on a terminal if not given\n"
	    "  --socket PATH              custodyd's socket (default "
	    "$CUSTODY_SOCKET, else\n                             "
	    CLIENT_DEFAULT_SOCKET ")\n"
	    "  --json                     print the result (without the "
	    "token) as JSON\n");
}

/* Says who logged in and for how long a pause the session lasts. */
static void
login_print(const json_t *res, const char *user)
{
	const char *u = json_string_value(json_object_get(res, "user"));
	const char *role = json_string_value(json_object_get(res, "role"));
	json_int_t idle = json_integer_value(json_object_get(res,
	    "idle_timeout"));
	char su[128], sr[64];

	u = u != NULL ? u : user;
	escape_text(u, strlen(u), su, sizeof(su));
	escape_text(role != NULL ? role : "?", role != NULL ? strlen(role) : 1,
	    sr, sizeof(sr));
	printf("Logged in as %s (%s).", su, sr);
	if (idle >= 120 && idle % 60 == 0)
		printf(" The session ends after %lld minutes without use.",
		    (long long)(idle / 60));
	else if (idle > 0)
		printf(" The session ends after %lld seconds without use.",
		    (long long)idle);
	printf("\n");
}

/* The password: from the file, else asked (only on a terminal). */
static int
login_password(const struct auth_args *a, const char *user,
    struct cli_secret *pw, char *err, size_t errlen)
{
	char prompt[256], safe[128];

	if (a->pwfile != NULL)
		return cli_secret_file("--password-file", a->pwfile, pw, err,
		    errlen);
	if (!cli_interactive()) {
		const char *names[] = { "--password-file" };

		cli_missing_message(names, 1, err, errlen);
		return CLI_USAGE;
	}
	escape_text(user, strlen(user), safe, sizeof(safe));
	(void)snprintf(prompt, sizeof(prompt), "Password for %s: ", safe);
	return cli_secret_ask(prompt, NULL, pw, err, errlen);
}

/* Makes the login request and stores the session. */
static int
login_call(const struct auth_args *a, const char *user,
    const struct cli_secret *pw, json_t **result, char *err, size_t errlen)
{
	const char *token;
	json_t *args;
	int r;

	*result = NULL;
	args = json_pack("{s:s, s:s%}", "user", user, "password", pw->data,
	    pw->len);
	if (args == NULL) {
		(void)snprintf(err, errlen, "the user name or password is not "
		    "valid UTF-8 text");
		return CLI_USAGE;
	}
	r = client_call(client_socket_path(a->sock), "auth.login", NULL, args,
	    result, err, errlen);
	json_decref(args);
	if (r != CLI_OK)
		return r;
	token = json_string_value(json_object_get(*result, "session"));
	if (token == NULL) {
		(void)snprintf(err, errlen, "custodyd's login reply has no "
		    "session");
		return CLI_FAIL;
	}
	r = client_session_save(token, err, errlen);
	(void)json_object_del(*result, "session");
	return r;
}

int
cmd_login(int argc, char **argv)
{
	struct cli_secret pw = { NULL, 0 };
	struct auth_args a;
	struct passwd *p;
	json_t *result = NULL;
	char err[CLIENT_ERRLEN] = "";
	const char *user;
	int r;

	if ((r = auth_parse(argc, argv, 1, &a)) != CLI_OK)
		return r;
	if (a.help) {
		login_help();
		return CLI_OK;
	}
	user = a.user;
	if (user == NULL && (p = getpwuid(getuid())) != NULL)
		user = p->pw_name;
	if (user == NULL || user[0] == '\0') {
		const char *names[] = { "--user" };

		cli_missing_message(names, 1, err, sizeof(err));
		r = CLI_USAGE;
		goto out;
	}
	if ((r = client_session_prepare(err, sizeof(err))) != CLI_OK ||
	    (r = login_password(&a, user, &pw, err, sizeof(err))) != CLI_OK ||
	    (r = login_call(&a, user, &pw, &result, err, sizeof(err))) != 0)
		goto out;
	if (a.json)
		r = op_print_json(result);
	else
		login_print(result, user);
out:
	cli_secret_clear(&pw);
	json_decref(result);
	return op_error(r, err);
}

int
cmd_logout(int argc, char **argv)
{
	char token[CLIENT_TOKEN_HEX + 1], err[CLIENT_ERRLEN] = "";
	char path[4200], more[CLIENT_ERRLEN];
	struct auth_args a;
	struct stat st;
	json_t *result = NULL;
	int r, rm;

	token[0] = '\0';
	if ((r = auth_parse(argc, argv, 0, &a)) != CLI_OK)
		return r;
	if (a.help) {
		printf("usage: %s\n\nEnds your custodyd session and removes "
		    "the session file.\n", LOGOUT_USAGE);
		return CLI_OK;
	}
	if ((r = client_session_path(path, sizeof(path), err,
	    sizeof(err))) != CLI_OK)
		goto out;
	if (lstat(path, &st) != 0 && errno == ENOENT) {
		printf("Not logged in.\n");
		goto out;
	}
	/* An unusable file (damaged, not ours) is only removed. */
	if (client_session_load(token, 1, more, sizeof(more)) == CLI_OK)
		r = client_call(client_socket_path(a.sock), "auth.logout",
		    token, NULL, &result, err, sizeof(err));
	if (r == CLI_AUTH)
		r = CLI_OK;	/* the session had already ended */
	if ((rm = client_session_remove(more, sizeof(more))) != CLI_OK) {
		if (r == CLI_OK)
			(void)snprintf(err, sizeof(err), "%s", more);
		r = r == CLI_OK ? rm : r;
	} else if (r == CLI_OK)
		printf("Logged out.\n");
	else
		printf("Removed the session file; custodyd was not told, so "
		    "the session ends when it\ntimes out.\n");
out:
	explicit_bzero(token, sizeof(token));
	json_decref(result);
	return op_error(r, err);
}

static int
print_whoami(const json_t *result)
{
	static const char *const skip[] = { "user", "role", "uid", NULL };
	const char *u = json_string_value(json_object_get(result, "user"));
	const char *role = json_string_value(json_object_get(result, "role"));
	char su[128], sr[64];

	escape_text(u != NULL ? u : "?", u != NULL ? strlen(u) : 1, su,
	    sizeof(su));
	escape_text(role != NULL ? role : "?", role != NULL ? strlen(role) : 1,
	    sr, sizeof(sr));
	printf("%s (role %s", su, sr);
	if (json_is_integer(json_object_get(result, "uid")))
		printf(", uid %lld", (long long)json_integer_value(
		    json_object_get(result, "uid")));
	printf(")\n");
	cli_print_object(stdout, result, skip);
	return CLI_OK;
}

static const struct op_desc whoami = {
	.op = "auth.whoami", .cmd = "whoami",
	.about = "Prints the account you are logged in as, its role and, "
	"for police accounts, the crime reference.",
	.print = print_whoami,
};

static const struct op_desc passwd = {
	.op = "auth.passwd", .cmd = "passwd",
	.about = "Changes your own password.",
	.secrets = OP_STEPUP | OP_NEWPW,
	.pw_prompt = "Your current password: ",
	.done = "Password changed.",
};

int
cmd_whoami(int argc, char **argv)
{
	return op_run(&whoami, argc, argv);
}

int
cmd_passwd(int argc, char **argv)
{
	return op_run(&passwd, argc, argv);
}
