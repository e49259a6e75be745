/*
 * test_cli_client.c -- the real custody binary against a fake custodyd.
 *
 * The fake is a SOCK_SEQPACKET listener in a child of this test: it takes
 * one connection, saves the request it receives, and answers with a
 * canned reply (or closes without answering).  That proves what the CLI
 * sends (the envelope, args spelled as docs/protocol.md spells them,
 * passwords from files with the newline stripped) and how it shows what
 * it gets back (exit codes per error code, escaped tables, receipts).
 * Without any daemon: the connection error and exit 16, the missing-field
 * error and exit 2, and the refusal of an exposed session file.  On a
 * pseudo-terminal: the questions for what is missing, and a password
 * typed with echo off.
 * CUSTODY_BIN names the binary.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#define TOKEN	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

struct run {
	int	status;
	char	out[65536];
	char	err[4096];
};

static char tmpdir[64];
static char sockpath[100];
static char runtime[128];
static char sessfile[192];
static char reqfile[128];
static char pwfile[128];

/* Runs custody with args, stdin from in (NULL: /dev/null). */
static void
run_in(struct run *r, const char *in, const char *const *args)
{
	const char *bin = getenv("CUSTODY_BIN");
	char *argv[40], path_out[128], path_err[128];
	FILE *fp;
	pid_t pid;
	size_t n;
	int i = 0, st;

	assert_non_null(bin);
	argv[i++] = (char *)bin;
	for (; *args != NULL && i < 38; args++)
		argv[i++] = (char *)*args;
	argv[i] = NULL;
	snprintf(path_out, sizeof(path_out), "%s/out", tmpdir);
	snprintf(path_err, sizeof(path_err), "%s/err", tmpdir);
	if ((pid = fork()) == 0) {
		if (freopen(in != NULL ? in : "/dev/null", "r", stdin) == NULL ||
		    freopen(path_out, "w", stdout) == NULL ||
		    freopen(path_err, "w", stderr) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	assert_non_null(fp = fopen(path_out, "r"));
	n = fread(r->out, 1, sizeof(r->out) - 1, fp);
	r->out[n] = '\0';
	fclose(fp);
	assert_non_null(fp = fopen(path_err, "r"));
	n = fread(r->err, 1, sizeof(r->err) - 1, fp);
	r->err[n] = '\0';
	fclose(fp);
}

static void
run(struct run *r, const char *const *args)
{
	run_in(r, NULL, args);
}

/* An error is exactly one line, starting "custody: error: ". */
static void
expect_error(struct run *r, int status, const char *what)
{
	if (r->status != status || strncmp(r->err, "custody: error: ", 16) ||
	    strchr(r->err, '\n') != r->err + strlen(r->err) - 1 ||
	    strstr(r->err, what) == NULL)
		fail_msg("expected exit %d and one line with '%s', got %d: %s",
		    status, what, r->status, r->err);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

/* A valid session, as custody login leaves it. */
static void
logged_in(void)
{
	(void)mkdir(runtime, 0700);
	snprintf(sessfile, sizeof(sessfile), "%s/custody", runtime);
	(void)mkdir(sessfile, 0700);
	snprintf(sessfile, sizeof(sessfile), "%s/custody/session", runtime);
	(void)unlink(sessfile);
	write_file(sessfile, TOKEN "\n", 0600);
}

/*
 * Starts the fake daemon: one connection, the request saved to reqfile,
 * then reply (len bytes; len 0: close without answering).
 */
static pid_t
serve(const char *reply, size_t len)
{
	struct sockaddr_un sun;
	static char buf[70000];
	pid_t pid;
	ssize_t n;
	int lfd, fd;
	FILE *fp;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	(void)unlink(sockpath);
	(void)unlink(reqfile);
	assert_true((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	if ((pid = fork()) == 0) {
		alarm(20);
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0 && (fp = fopen(reqfile, "w")) != NULL) {
			fwrite(buf, 1, (size_t)n, fp);
			fclose(fp);
		}
		if (len > 0 && send(fd, reply, len, 0) != (ssize_t)len)
			_exit(1);
		close(fd);
		_exit(0);
	}
	assert_true(pid > 0);
	close(lfd);
	return pid;
}

/* Stops the fake daemon (it has normally exited already). */
static void
serve_end(pid_t pid)
{
	int i, st;

	for (i = 0; i < 300; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Runs custody against a fake daemon answering reply. */
static void
run_served(struct run *r, const char *in, const char *reply,
    const char *const *args)
{
	pid_t pid = serve(reply, strlen(reply));

	run_in(r, in, args);
	serve_end(pid);
}

/* The request the fake daemon received. */
static json_t *
request(void)
{
	json_t *j = json_load_file(reqfile, JSON_REJECT_DUPLICATES, NULL);

	assert_non_null(j);
	return j;
}

static const char *
arg(json_t *req, const char *key)
{
	return json_string_value(json_object_get(json_object_get(req,
	    "args"), key));
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	return remove(path);
}

static int
group_setup(void **unused)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/custody-client-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sockpath, sizeof(sockpath), "%s/custodyd.sock", tmpdir);
	snprintf(runtime, sizeof(runtime), "%s/run", tmpdir);
	snprintf(reqfile, sizeof(reqfile), "%s/request.json", tmpdir);
	snprintf(pwfile, sizeof(pwfile), "%s/pw", tmpdir);
	if (mkdir(runtime, 0700) != 0)
		return -1;
	setenv("XDG_RUNTIME_DIR", runtime, 1);
	setenv("TZ", "UTC", 1);
	unsetenv("CUSTODY_SOCKET");
	write_file(pwfile, "correct horse battery\n", 0600);
	return 0;
}

static int
group_teardown(void **unused)
{
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_no_daemon(void **unused)
{
	struct run r;
	char nosock[160];
	const char *a[] = { "login", "--user", "alice", "--password-file",
	    pwfile, "--socket", nosock, NULL };
	const char *b[] = { "whoami", NULL };

	snprintf(nosock, sizeof(nosock), "%s/nothing.sock", tmpdir);
	run(&r, a);
	expect_error(&r, 16, "cannot reach custodyd at ");
	expect_error(&r, 16, "nothing.sock: No such file or directory; is "
	    "the daemon running? (systemctl status custodyd)");
	logged_in();
	setenv("CUSTODY_SOCKET", nosock, 1);
	run(&r, b);
	unsetenv("CUSTODY_SOCKET");
	expect_error(&r, 16, "nothing.sock: No such file");
}

static void
test_missing_fields(void **unused)
{
	struct run r;
	const char *a[] = { "device", "register", "--pupil", "P-42", NULL };
	const char *b[] = { "device", "seal", NULL };
	const char *c[] = { "device", "handover", "DEV-0001", "--seal", "E1",
	    NULL };
	const char *d[] = { "device", "register", "--pupil", "P-42",
	    "--reason", "other", "--location", "safe", "--seal", "A1",
	    "--power", "off", NULL };
	const char *e[] = { "login", "--user", "alice", NULL };

	(void)unlink(sessfile);	/* usage errors come before the session */
	run(&r, a);
	expect_error(&r, 2, "missing --reason, --location, --seal, --power; "
	    "give them as options");
	run(&r, b);
	expect_error(&r, 2, "missing DEVICE, --old-seal, --new-seal, --why; "
	    "give them on the command line");
	run(&r, c);
	expect_error(&r, 2, "missing --officer-user, --password-file, "
	    "--officer-password-file; give them as options");
	run(&r, d);
	expect_error(&r, 2, "missing --reason-text; give it as an option");
	run(&r, e);
	expect_error(&r, 2, "missing --password-file; give it as an option");
	assert_int_equal(access(reqfile, F_OK), -1);
}

static void
test_usage_errors(void **unused)
{
	struct run r;
	const char *a[] = { "device", "register", "--power", "maybe", NULL };
	const char *b[] = { "device", "seal", "--bogus", NULL };
	const char *c[] = { "device", "show", "DEV-1", "DEV-2", NULL };
	const char *d[] = { "police", "add", "--hours", "a day", NULL };
	const char *e[] = { "device", "handover", "DEV-1", "--password-file",
	    "-", "--officer-password-file", "-", NULL };
	const char *f[] = { "device", "seal", "--help", NULL };

	run(&r, a);
	expect_error(&r, 2, "--power must be one of: on, off, unknown");
	run(&r, b);
	expect_error(&r, 2, "unknown option '--bogus'");
	run(&r, c);
	expect_error(&r, 2, "unexpected argument 'DEV-2'");
	run(&r, d);
	expect_error(&r, 2, "--hours must be a whole number");
	run(&r, e);
	expect_error(&r, 2, "only one password can come from standard input");
	run(&r, f);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: custody device seal DEVICE "
	    "--old-seal SEAL --new-seal SEAL --why TEXT"));
}

static void
test_login_saves_session(void **unused)
{
	struct run r;
	struct stat st;
	char buf[192];
	json_t *req;
	FILE *fp;
	size_t n;
	const char *a[] = { "login", "--user", "alice", "--password-file",
	    pwfile, "--socket", sockpath, NULL };

	(void)unlink(sessfile);
	run_served(&r, NULL, "{\"ok\":true,\"result\":{\"session\":\"" TOKEN
	    "\",\"user\":\"alice\",\"role\":\"slt\",\"idle_timeout\":600}}",
	    a);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "Logged in as alice (slt). The session "
	    "ends after 10 minutes without use.\n");
	req = request();
	assert_int_equal(json_integer_value(json_object_get(req, "v")), 1);
	assert_string_equal(json_string_value(json_object_get(req, "op")),
	    "auth.login");
	assert_null(json_object_get(req, "session"));
	assert_string_equal(arg(req, "user"), "alice");
	assert_string_equal(arg(req, "password"), "correct horse battery");
	json_decref(req);
	snprintf(buf, sizeof(buf), "%s/custody", runtime);
	assert_int_equal(stat(buf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(sessfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_non_null(fp = fopen(sessfile, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, TOKEN "\n");
}

static void
test_login_json_hides_token(void **unused)
{
	struct run r;
	const char *a[] = { "login", "--user", "alice", "--password-file",
	    "-", "--socket", sockpath, "--json", NULL };

	run_served(&r, pwfile, "{\"ok\":true,\"result\":{\"session\":\""
	    TOKEN "\",\"user\":\"alice\",\"role\":\"dsl\","
	    "\"idle_timeout\":600}}", a);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, TOKEN));
	assert_non_null(strstr(r.out, "\"role\":\"dsl\""));
}

static void
test_session_file_refused(void **unused)
{
	struct run r;
	char target[192];
	const char *a[] = { "whoami", "--socket", sockpath, NULL };

	logged_in();
	assert_int_equal(chmod(sessfile, 0640), 0);
	run(&r, a);	/* no daemon: exit 10 proves nothing was sent */
	expect_error(&r, 10, "is open to other users (mode 0640)");
	logged_in();
	snprintf(target, sizeof(target), "%s/token", tmpdir);
	write_file(target, TOKEN "\n", 0600);
	assert_int_equal(unlink(sessfile), 0);
	assert_int_equal(symlink(target, sessfile), 0);
	run(&r, a);
	expect_error(&r, 10, "symbolic link");
	logged_in();
	write_file(sessfile, "not a token\n", 0600);
	run(&r, a);
	expect_error(&r, 10, "is damaged; run 'custody login'");
	if (geteuid() == 0) {
		logged_in();
		assert_int_equal(chown(sessfile, 65534, 65534), 0);
		run(&r, a);
		expect_error(&r, 10, "belongs to uid 65534, not to you");
	}
	(void)unlink(sessfile);
	run(&r, a);
	expect_error(&r, 10, "not logged in; run 'custody login'");
}

static void
test_xdg_unset(void **unused)
{
	struct run r;
	const char *a[] = { "whoami", NULL };

	unsetenv("XDG_RUNTIME_DIR");
	run(&r, a);
	setenv("XDG_RUNTIME_DIR", runtime, 1);
	expect_error(&r, 8, "XDG_RUNTIME_DIR is not set; log in through a "
	    "desktop session or set it to a private directory");
}

static void
test_error_codes(void **unused)
{
	static const struct {
		const char	*code;
		int		 exit;
	} map[] = {
		{ "unauthenticated", 10 }, { "forbidden", 11 },
		{ "refused", 12 }, { "not_found", 9 }, { "bad_request", 13 },
		{ "locked", 14 }, { "conflict", 15 }, { "too_large", 8 },
		{ "internal", 8 }, { "new_code", 8 },
	};
	struct run r;
	char reply[256];
	json_t *req;
	size_t i;
	const char *a[] = { "device", "release", "DEV-0001", "--to-name",
	    "J Bloggs", "--relationship", "mother", "--id-check", "licence",
	    "--socket", sockpath, NULL };

	logged_in();
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		snprintf(reply, sizeof(reply), "{\"ok\":false,\"error\":"
		    "{\"code\":\"%s\",\"message\":\"%s: it says why\"}}",
		    map[i].code, map[i].code);
		run_served(&r, NULL, reply, a);
		expect_error(&r, map[i].exit, "it says why");
	}
	expect_error(&r, 8, "error code 'new_code'");
	run_served(&r, NULL, "{\"ok\":false,\"error\":{\"code\":"
	    "\"unauthenticated\",\"message\":\"session expired\"}}", a);
	expect_error(&r, 10, "session expired; log in again with 'custody "
	    "login'");
	req = request();
	assert_string_equal(json_string_value(json_object_get(req, "op")),
	    "device.release");
	assert_string_equal(json_string_value(json_object_get(req,
	    "session")), TOKEN);
	assert_string_equal(arg(req, "device"), "DEV-0001");
	assert_string_equal(arg(req, "to_name"), "J Bloggs");
	assert_string_equal(arg(req, "id_check"), "licence");
	json_decref(req);
}

static void
test_bad_replies(void **unused)
{
	struct run r;
	static char big[200001];
	pid_t pid;
	const char *a[] = { "whoami", "--socket", sockpath, NULL };

	logged_in();
	run_served(&r, NULL, "this is not json", a);
	expect_error(&r, 8, "malformed reply");
	run_served(&r, NULL, "{\"ok\":\"yes\"}", a);
	expect_error(&r, 8, "malformed reply");
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	run_served(&r, NULL, big, a);
	expect_error(&r, 8, "over the protocol limit of 196608 bytes");
	pid = serve("", 0);
	run(&r, a);
	serve_end(pid);
	expect_error(&r, 16, "closed the connection without answering");
}

static void
test_device_list_escapes(void **unused)
{
	struct run r;
	const char *line, *row;
	const char *a[] = { "device", "list", "--overdue", "--socket",
	    sockpath, NULL };
	json_t *req;

	logged_in();
	run_served(&r, NULL, "{\"ok\":true,\"result\":{\"devices\":["
	    "{\"device\":\"DEV-0001\",\"state\":\"held\",\"pupil\":"
	    "\"\\u001b[31mEVIL\\u009b\",\"reason\":\"bullying\","
	    "\"location\":\"safe\",\"seal\":\"A1\",\"since\":"
	    "\"2026-11-22T06:52:01.123Z\",\"overdue\":true},"
	    "{\"device\":\"DEV-0002\",\"state\":\"checked_out\",\"pupil\":"
	    "\"P-7\",\"reason\":\"exam\",\"location\":\"office\",\"seal\":"
	    "\"B22\",\"since\":\"2026-11-22T07:00:00.000Z\","
	    "\"overdue\":false}]}}", a);
	assert_int_equal(r.status, 0);
	assert_null(strchr(r.out, '\x1b'));
	assert_null(strstr(r.out, "\xc2\x9b"));
	assert_non_null(strstr(r.out, "\\x1b[31mEVIL\\u009b"));
	assert_non_null(strstr(r.out, "2026-11-22 06:52:01 UTC"));
	assert_int_equal(strncmp(r.out, "ID        STATE        PUPIL", 28),
	    0);
	/* Columns line up: STATE's column holds each row's state. */
	line = strchr(r.out, '\n') + 1;
	row = strchr(line, '\n') + 1;
	assert_int_equal(strncmp(line + 10, "held ", 5), 0);
	assert_int_equal(strncmp(row + 10, "checked_out ", 12), 0);
	req = request();
	assert_true(json_is_true(json_object_get(json_object_get(req, "args"),
	    "overdue")));
	json_decref(req);
}

static void
test_register_prints_receipt(void **unused)
{
	struct run r;
	json_t *req, *args;
	const char *a[] = { "device", "register", "--pupil", "P-42",
	    "--reason", "bullying", "--location", "office safe", "--seal",
	    "A123", "--power", "off", "--confiscated-at", "2026-11-22 09:15",
	    "--socket", sockpath, NULL };
	const char *b[] = { "device", "register", "--pupil", "P-42",
	    "--reason", "bullying", "--location", "office safe", "--seal",
	    "A123", "--power", "off", "--socket", sockpath, "--json", NULL };
	const char *reply = "{\"ok\":true,\"result\":{\"device\":"
	    "\"DEV-0001\",\"seq\":4,\"receipt\":\"custody-receipt: 1\\n"
	    "event: 4\\naction: device.register\\n\"}}";

	logged_in();
	setenv("TZ", "CET-1", 1);
	run_served(&r, NULL, reply, a);
	setenv("TZ", "UTC", 1);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "New device id (write it on the bag "
	    "label): DEV-0001\n"
	    "Recorded as event 4.\n\n"
	    "Receipt (keep with the paper form):\n"
	    "custody-receipt: 1\nevent: 4\naction: device.register\n");
	req = request();
	args = json_object_get(req, "args");
	assert_int_equal(json_object_size(args), 6);
	assert_string_equal(arg(req, "pupil"), "P-42");
	assert_string_equal(arg(req, "location"), "office safe");
	assert_string_equal(arg(req, "power"), "off");
	assert_string_equal(arg(req, "confiscated_at"),
	    "2026-11-22T08:15:00.000Z");
	json_decref(req);
	run_served(&r, NULL, reply, b);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"device\":\"DEV-0001\""));
	assert_int_equal(r.out[0], '{');
}

static void
test_handover_secrets(void **unused)
{
	struct run r;
	char offpw[160];
	json_t *req;
	const char *a[] = { "device", "handover", "DEV-0001", "--officer-user",
	    "pc-smith", "--seal", "E1", "--password-file", pwfile,
	    "--officer-password-file", "-", "--socket", sockpath, NULL };

	logged_in();
	snprintf(offpw, sizeof(offpw), "%s/offpw", tmpdir);
	write_file(offpw, "officer's own secret\r\n", 0600);
	run_served(&r, offpw, "{\"ok\":true,\"result\":{\"seq\":9}}", a);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "DEV-0001: handed to police\n"));
	req = request();
	assert_string_equal(arg(req, "password"), "correct horse battery");
	assert_string_equal(arg(req, "officer_password"),
	    "officer's own secret");
	assert_string_equal(arg(req, "officer_user"), "pc-smith");
	assert_string_equal(arg(req, "seal"), "E1");
	json_decref(req);
}

static void
test_arg_types(void **unused)
{
	struct run r;
	json_t *req, *devs;
	const char *a[] = { "case", "open", "--category", "nudes", "--summary",
	    "shared image", "--devices", "DEV-0001, DEV-0002", "--devices",
	    "DEV-0003", "--socket", sockpath, NULL };
	const char *b[] = { "case", "flag", "CASE-0001", "--value", "yes",
	    "--why", "image shared", "--socket", sockpath, NULL };
	const char *c[] = { "police", "add", "--user", "pc-smith",
	    "--crime-ref", "CR/1", "--force", "Kent Police", "--officer",
	    "PC Smith", "--collar", "1234", "--hours", "8", "--password-file",
	    pwfile, "--new-password-file", pwfile, "--socket", sockpath, NULL };

	logged_in();
	run_served(&r, NULL, "{\"ok\":true,\"result\":{\"case\":\"CASE-0001\","
	    "\"seq\":5}}", a);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "New case id: CASE-0001\n"));
	req = request();
	devs = json_object_get(json_object_get(req, "args"), "devices");
	assert_int_equal(json_array_size(devs), 3);
	assert_string_equal(json_string_value(json_array_get(devs, 1)),
	    "DEV-0002");
	json_decref(req);
	run_served(&r, NULL, "{\"ok\":true,\"result\":{}}", b);
	assert_int_equal(r.status, 0);
	req = request();
	assert_true(json_is_true(json_object_get(json_object_get(req, "args"),
	    "value")));
	assert_string_equal(arg(req, "flag"), "offence_suspected");
	json_decref(req);
	run_served(&r, NULL, "{\"ok\":true,\"result\":{\"expires\":"
	    "\"2026-11-23T06:00:00.000Z\"}}", c);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "2026-11-23 06:00:00 UTC"));
	req = request();
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    req, "args"), "hours")), 8);
	assert_string_equal(arg(req, "crime_ref"), "CR/1");
	assert_string_equal(arg(req, "new_password"), "correct horse battery");
	json_decref(req);
}

static void
test_logout(void **unused)
{
	struct run r;
	json_t *req;
	const char *a[] = { "logout", "--socket", sockpath, NULL };

	logged_in();
	run_served(&r, NULL, "{\"ok\":true,\"result\":{}}", a);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "Logged out.\n");
	assert_int_equal(access(sessfile, F_OK), -1);
	req = request();
	assert_string_equal(json_string_value(json_object_get(req, "op")),
	    "auth.logout");
	assert_string_equal(json_string_value(json_object_get(req,
	    "session")), TOKEN);
	json_decref(req);
	run(&r, a);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "Not logged in.\n");
}

static void
test_status_and_show(void **unused)
{
	struct run r;
	const char *a[] = { "status", "--socket", sockpath, NULL };
	const char *b[] = { "device", "show", "DEV-0001", "--socket", sockpath,
	    NULL };

	logged_in();
	run_served(&r, NULL, "{\"ok\":true,\"result\":{\"station\":"
	    "\"school.example/custody-1\",\"fingerprint\":\"ab12\","
	    "\"log_size\":42,\"root\":\"cm9vdA==\",\"checkpoint_time\":"
	    "\"2026-11-22T06:52:01.123Z\",\"clock\":{\"synced\":true},"
	    "\"disk\":{\"free_mb\":900},\"overdue_count\":0,\"overdue\":[],"
	    "\"warnings\":[\"key \\u001b]0;owned\\u0007\"],"
	    "\"recent_denials\":[]}}", a);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Station:           "
	    "school.example/custody-1\n"));
	assert_non_null(strstr(r.out, "Last checkpoint:   2026-11-22 "
	    "06:52:01 UTC\n"));
	assert_non_null(strstr(r.out, "Clock:             synced=yes\n"));
	assert_non_null(strstr(r.out, "Warnings:\n  - key \\x1b]0;owned"
	    "\\x07\n"));
	assert_null(strchr(r.out, '\x1b'));
	run_served(&r, NULL, "{\"ok\":true,\"result\":{\"device\":{\"id\":"
	    "\"DEV-0001\",\"state\":\"held\",\"make\":\"\\u001b[2J\"},"
	    "\"events\":[{\"seq\":3,\"time\":\"2026-11-22T06:52:01.123Z\","
	    "\"action\":\"device.register\",\"actor\":{\"user\":\"alice\","
	    "\"role\":\"slt\"},\"subject\":{\"device\":\"DEV-0001\"},"
	    "\"data\":{\"seal\":\"A1\"}}]}}", b);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Make:  \\x1b[2J\n"));
	assert_non_null(strstr(r.out, "Events:\nSEQ  TIME"));
	assert_non_null(strstr(r.out, "device.register  alice/slt  "
	    "device=DEV-0001; seal=A1\n"));
	assert_null(strchr(r.out, '\x1b'));
}

/* Reads from the terminal until want has appeared (or 5 s pass). */
static void
pty_expect(int fd, char *buf, size_t len, size_t *n, const char *want)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t k;

	while (strstr(buf, want) == NULL) {
		if (poll(&p, 1, 5000) != 1)
			fail_msg("no '%s' on the terminal; got: %s", want, buf);
		k = read(fd, buf + *n, len - 1 - *n);
		if (k <= 0)
			fail_msg("terminal closed before '%s'; got: %s", want,
			    buf);
		*n += (size_t)k;
		buf[*n] = '\0';
	}
}

/* Reads the rest of what the terminal shows, until the program ends. */
static void
pty_drain(int fd, char *buf, size_t len, size_t *n)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t k;

	while (*n + 1 < len && poll(&p, 1, 5000) == 1) {
		if ((k = read(fd, buf + *n, len - 1 - *n)) <= 0)
			break;
		*n += (size_t)k;
		buf[*n] = '\0';
	}
}

static void
test_questions_on_a_terminal(void **unused)
{
	const char *bin = getenv("CUSTODY_BIN");
	static char buf[16384];
	size_t n = 0;
	json_t *req;
	const char *reply = "{\"ok\":true,\"result\":{\"seq\":12}}";
	pid_t srv, pid;
	int fd, st, i;

	logged_in();
	srv = serve(reply, strlen(reply));
	buf[0] = '\0';
	if ((pid = forkpty(&fd, NULL, NULL, NULL)) == 0) {
		execl(bin, bin, "case", "refer", "--force", "Kent Police",
		    "--officer", "PC Smith", "--socket", sockpath, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	pty_expect(fd, buf, sizeof(buf), &n, "Case id (e.g. CASE-0001): ");
	assert_int_equal(write(fd, "CASE-0001\n", 10), 10);
	pty_expect(fd, buf, sizeof(buf), &n, "Crime reference (the number "
	    "the police gave): ");
	assert_int_equal(write(fd, "CR/9\n", 5), 5);
	pty_expect(fd, buf, sizeof(buf), &n, "Your password (again, to "
	    "confirm): ");
	assert_int_equal(write(fd, "sekrit words here\n", 18), 18);
	pty_drain(fd, buf, sizeof(buf), &n);
	for (i = 0; i < 500 && waitpid(pid, &st, WNOHANG) != pid; i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("custody did not finish; the terminal showed: %s",
		    buf);
	}
	close(fd);
	serve_end(srv);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(buf, "CASE-0001: referred to police"));
	assert_non_null(strstr(buf, "CR/9"));	/* echoed: not a secret */
	assert_null(strstr(buf, "sekrit"));	/* never echoed */
	req = request();
	assert_string_equal(arg(req, "case"), "CASE-0001");
	assert_string_equal(arg(req, "crime_ref"), "CR/9");
	assert_string_equal(arg(req, "password"), "sekrit words here");
	json_decref(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_daemon),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_login_saves_session),
		cmocka_unit_test(test_login_json_hides_token),
		cmocka_unit_test(test_session_file_refused),
		cmocka_unit_test(test_xdg_unset),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_device_list_escapes),
		cmocka_unit_test(test_register_prints_receipt),
		cmocka_unit_test(test_handover_secrets),
		cmocka_unit_test(test_arg_types),
		cmocka_unit_test(test_logout),
		cmocka_unit_test(test_status_and_show),
		cmocka_unit_test(test_questions_on_a_terminal),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("cli_client", tests, group_setup,
	    group_teardown);
}
