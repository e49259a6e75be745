/*
 * cmd_item.c -- custody item add | list | delete, and custody view.
 *
 * The content of an item crosses the socket as a descriptor, never in
 * JSON.  custody view records the justification first (view.justify),
 * then opens the grant (view.open): the daemon passes back a sealed memfd
 * and this command hands it to the viewer as /proc/self/fd/3, so nothing
 * in clear is ever written to a file.  There is no save, print or copy
 * command for gated content.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/op.h"
#include "cli/prompt.h"
#include "cli/table.h"
#include "common/error.h"
#include "evidence/item.h"

#define ADD_USAGE "custody item add CASE FILE [--police-request REF] " \
	"[--name NAME] [--md5] [--sha1] [--shred-source] [--socket PATH] " \
	"[--json]"
#define LIST_USAGE "custody item list CASE [--socket PATH] [--json]"
#define DELETE_USAGE "custody item delete ITEM --why TEXT " \
	"--no-agency-needs [--password-file FILE] [--socket PATH] [--json]"
#define UNSEAL_USAGE "custody device unseal DEVICE --for-viewing " \
	"--reason REASON --text TEXT --head-consulted NAME --location PLACE " \
	"--same-sex yes|no [--same-sex-reason TEXT] [--witness USER] " \
	"[--witness-password-file FILE] [--password-file FILE] " \
	"[--socket PATH] [--json]"
#define VIEW_USAGE "custody view ITEM --reason REASON --text TEXT " \
	"--head-consulted NAME --location PLACE --same-sex yes|no " \
	"[--same-sex-reason TEXT] [--witness USER] " \
	"[--witness-password-file FILE] [--password-file FILE] " \
	"[--viewer PROGRAM] [--socket PATH]"

enum { O_SOCKET = 256, O_JSON, O_POLICE, O_NAME, O_MD5, O_SHA1, O_SHRED,
	O_WHY, O_NOAGENCY, O_PWFILE, O_REASON, O_TEXT, O_HEAD, O_LOCATION,
	O_SAMESEX, O_SAMESEX_WHY, O_WITNESS, O_WITNESS_PW, O_VIEWER, O_HELP,
	O_FORVIEW };

static const struct option item_opts[] = {
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "json", no_argument, NULL, O_JSON },
	{ "police-request", required_argument, NULL, O_POLICE },
	{ "name", required_argument, NULL, O_NAME },
	{ "md5", no_argument, NULL, O_MD5 },
	{ "sha1", no_argument, NULL, O_SHA1 },
	{ "shred-source", no_argument, NULL, O_SHRED },
	{ "why", required_argument, NULL, O_WHY },
	{ "no-agency-needs", no_argument, NULL, O_NOAGENCY },
	{ "password-file", required_argument, NULL, O_PWFILE },
	{ "reason", required_argument, NULL, O_REASON },
	{ "text", required_argument, NULL, O_TEXT },
	{ "head-consulted", required_argument, NULL, O_HEAD },
	{ "location", required_argument, NULL, O_LOCATION },
	{ "same-sex", required_argument, NULL, O_SAMESEX },
	{ "same-sex-reason", required_argument, NULL, O_SAMESEX_WHY },
	{ "witness", required_argument, NULL, O_WITNESS },
	{ "witness-password-file", required_argument, NULL, O_WITNESS_PW },
	{ "viewer", required_argument, NULL, O_VIEWER },
	{ "for-viewing", no_argument, NULL, O_FORVIEW },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct item_args {
	const char	*socket, *police, *name, *why, *pwfile, *reason;
	const char	*text, *head, *location, *samesex, *samesex_why;
	const char	*witness, *witness_pw, *viewer;
	int		 json, md5, sha1, shred, noagency, help, forview;
	int		 npos;
	char		*pos[2];
};

static int
item_args_parse(int argc, char **argv, struct item_args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", item_opts, NULL)) != -1) {
		switch (ch) {
		case O_SOCKET: a->socket = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_POLICE: a->police = optarg; break;
		case O_NAME: a->name = optarg; break;
		case O_MD5: a->md5 = 1; break;
		case O_SHA1: a->sha1 = 1; break;
		case O_SHRED: a->shred = 1; break;
		case O_WHY: a->why = optarg; break;
		case O_NOAGENCY: a->noagency = 1; break;
		case O_PWFILE: a->pwfile = optarg; break;
		case O_REASON: a->reason = optarg; break;
		case O_TEXT: a->text = optarg; break;
		case O_HEAD: a->head = optarg; break;
		case O_LOCATION: a->location = optarg; break;
		case O_SAMESEX: a->samesex = optarg; break;
		case O_SAMESEX_WHY: a->samesex_why = optarg; break;
		case O_WITNESS: a->witness = optarg; break;
		case O_WITNESS_PW: a->witness_pw = optarg; break;
		case O_VIEWER: a->viewer = optarg; break;
		case O_FORVIEW: a->forview = 1; break;
		case O_HELP: a->help = 1; break;
		default: return -1;
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == 2)
			return -1;
		a->pos[a->npos++] = argv[optind];
	}
	return 0;
}

static int	justify_missing(const struct item_args *, int, const char *);

int
cmd_item_add(int argc, char **argv)
{
	struct item_args a;
	json_t *args = NULL, *res = NULL;
	char err[256];
	int fd, r;

	if (item_args_parse(argc, argv, &a) != 0 || (!a.help && a.npos != 2))
		return cli_usage(ADD_USAGE);
	if (a.help) {
		printf("usage: %s\n\nTakes a file into the station as evidence "
		    "for a case (DSL): it is hashed\n(SHA-256 and SHA-512; "
		    "--md5, --sha1 on request), typed and encrypted in\none "
		    "pass; only the hashes and type are recorded.  "
		    "--shred-source then\noverwrites and removes the original "
		    "(when the school is isolating it;\nbest effort on "
		    "copy-on-write or journalled storage).\n", ADD_USAGE);
		return CLI_OK;
	}
	if ((fd = open(a.pos[1], O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		cli_error("cannot open %s: %s", a.pos[1], strerror(errno));
		return CLI_FAIL;
	}
	args = json_pack("{s:s, s:b, s:b, s:s?, s:s?}", "case", a.pos[0],
	    "md5", a.md5, "sha1", a.sha1, "police_request", a.police, "name",
	    a.name ? a.name : strrchr(a.pos[1], '/') ? strrchr(a.pos[1],
	    '/') + 1 : a.pos[1]);
	r = op_call(a.socket, "item.add", args, fd, NULL, &res);
	close(fd);
	json_decref(args);
	if (r != CLI_OK)
		return r;
	if (a.shred && item_shred_file(a.pos[1], err, sizeof(err)) != 0) {
		cli_error("the item was recorded, but %s could not be shredded: "
		    "%s", a.pos[1], err);
		r = CLI_FAIL;
	}
	if (a.json)
		op_print_json(res);
	else {
		printf("Item:   %s\n", json_string_value(json_object_get(res,
		    "item")));
		cli_print_object(stdout, res, (const char *const[]){ "item",
		    "receipt", "seq", NULL });
		if (a.shred && r == CLI_OK)
			printf("The original was overwritten and removed.\n");
		op_print_receipt(res);
	}
	json_decref(res);
	return r;
}

int
cmd_item_list(int argc, char **argv)
{
	struct item_args a;
	json_t *args, *res = NULL;
	int r;

	if (item_args_parse(argc, argv, &a) != 0 || (!a.help && a.npos != 1))
		return cli_usage(LIST_USAGE);
	if (a.help) {
		printf("usage: %s\n\nLists a case's evidence items: ids, types, "
		    "sizes, hashes, dates.\nNever content, never thumbnails.\n",
		    LIST_USAGE);
		return CLI_OK;
	}
	args = json_pack("{s:s}", "case", a.pos[0]);
	r = op_call(a.socket, "item.list", args, -1, NULL, &res);
	json_decref(args);
	if (r != CLI_OK)
		return r;
	if (a.json)
		op_print_json(res);
	else
		cli_print_array(stdout, json_object_get(res, "items"));
	json_decref(res);
	return CLI_OK;
}

int
cmd_item_delete(int argc, char **argv)
{
	struct cli_secret pw = { NULL, 0 };
	struct item_args a;
	json_t *args = NULL, *res = NULL;
	int r;

	if (item_args_parse(argc, argv, &a) != 0 || (!a.help && a.npos != 1))
		return cli_usage(DELETE_USAGE);
	if (a.help) {
		printf("usage: %s\n\nCrypto-shreds an item (DSL): its key is "
		    "destroyed and its blob removed;\nits hashes and record "
		    "stay.  Only once other agencies are confirmed not\nto "
		    "need it (--no-agency-needs), and never while its case is "
		    "flagged.\n", DELETE_USAGE);
		return CLI_OK;
	}
	if (a.why == NULL)
		return op_error(CLI_USAGE, "missing --why");
	if ((r = op_secret("password-file", a.pwfile, "Your password (again, "
	    "to confirm): ", NULL, &pw)) != CLI_OK)
		return r;
	args = json_pack("{s:s, s:s, s:b, s:s%}", "item", a.pos[0], "why",
	    a.why, "no_agency_needs", a.noagency, "password", pw.data, pw.len);
	cli_secret_clear(&pw);
	r = op_call(a.socket, "item.delete", args, -1, NULL, &res);
	json_decref(args);
	if (r == CLI_OK) {
		if (a.json)
			op_print_json(res);
		else {
			printf("Item %s crypto-shredded.\n", a.pos[0]);
			op_print_receipt(res);
		}
	}
	json_decref(res);
	return r;
}

/* Runs the viewer on /proc/self/fd/3, the sealed memfd. */
static int
view_run(const char *viewer, int mfd)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == -1) {
		cli_error("cannot start the viewer: %s", strerror(errno));
		return CLI_FAIL;
	}
	if (pid == 0) {
		if (mfd != 3 && dup2(mfd, 3) == -1)
			_exit(126);
		if (mfd == 3)
			(void)fcntl(3, F_SETFD, 0);
		execlp(viewer, viewer, "/proc/self/fd/3", (char *)NULL);
		fprintf(stderr, "custody: error: cannot run viewer %s: %s\n",
		    viewer, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? CLI_OK : CLI_FAIL;
}

static json_t *
view_justify_args(const char *what, const struct item_args *a,
    struct cli_secret *pw, struct cli_secret *wpw)
{
	json_t *j;

	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:s?, s:s%}",
	    what, a->pos[0], "reason", a->reason, "text", a->text,
	    "head_consulted", a->head, "location", a->location, "same_sex",
	    strcmp(a->samesex, "yes") == 0, "same_sex_reason", a->samesex_why,
	    "witness_user", a->witness, "password", pw->data, pw->len);
	if (j != NULL && wpw->data != NULL)
		json_object_set_new(j, "witness_password",
		    json_stringn(wpw->data, wpw->len));
	return j;
}

int
cmd_view(int argc, char **argv)
{
	struct cli_secret pw = { NULL, 0 }, wpw = { NULL, 0 };
	struct item_args a;
	json_t *args = NULL, *res = NULL;
	const char *viewer;
	int r, mfd = -1;

	if (item_args_parse(argc, argv, &a) != 0 || (!a.help && a.npos != 1))
		return cli_usage(VIEW_USAGE);
	if (a.help) {
		printf("usage: %s\n\nViews an evidence item (DSL only), when "
		    "there is no other option or a\nclear need (UKCIS).  The "
		    "justification is recorded first: a reason\n"
		    "(decide_referral, report_removal, child_shown, other), "
		    "at least 40\ncharacters of text, the headteacher "
		    "consulted, the place, a witness who\nsigns in here, and "
		    "whether the witness is of the child's sex.  The content\n"
		    "goes to the viewer (--viewer or $CUSTODY_VIEWER) as "
		    "/proc/self/fd/3,\nnever as a file.\n", VIEW_USAGE);
		return CLI_OK;
	}
	viewer = a.viewer ? a.viewer : getenv("CUSTODY_VIEWER");
	if ((r = justify_missing(&a, 1, viewer)) != CLI_OK)
		return r;
	if ((r = op_secret("password-file", a.pwfile, "Your password (again, "
	    "to confirm): ", NULL, &pw)) != CLI_OK ||
	    (a.witness != NULL && (r = op_secret("witness-password-file",
	    a.witness_pw, "Witness's password (the witness types it): ",
	    NULL, &wpw)) != CLI_OK))
		goto out;
	args = view_justify_args("item", &a, &pw, &wpw);
	cli_secret_clear(&pw);
	cli_secret_clear(&wpw);
	if ((r = op_call(a.socket, "view.justify", args, -1, NULL,
	    &res)) != CLI_OK)
		goto out;
	json_decref(args);
	args = json_pack("{s:s, s:O}", "item", a.pos[0], "grant",
	    json_object_get(res, "grant"));
	json_decref(res);
	res = NULL;
	if ((r = op_call(a.socket, "view.open", args, -1, &mfd,
	    &res)) != CLI_OK)
		goto out;
	if (mfd == -1) {
		cli_error("custodyd sent no content");
		r = CLI_FAIL;
		goto out;
	}
	fprintf(stderr, "custody: viewing %s (%s), recorded as event %lld\n",
	    a.pos[0], json_string_value(json_object_get(res, "type")),
	    (long long)json_integer_value(json_object_get(res, "seq")));
	r = view_run(viewer, mfd);
out:
	cli_secret_clear(&pw);
	cli_secret_clear(&wpw);
	if (mfd != -1)
		close(mfd);
	json_decref(args);
	json_decref(res);
	return r;
}

/* Checks the justification options; names every missing one. */
static int
justify_missing(const struct item_args *a, int need_viewer,
    const char *viewer)
{
	char missing[256];

	(void)snprintf(missing, sizeof(missing), "%s%s%s%s%s%s",
	    a->reason ? "" : " --reason", a->text ? "" : " --text",
	    a->head ? "" : " --head-consulted",
	    a->location ? "" : " --location", a->samesex ? "" : " --same-sex",
	    !need_viewer || viewer ? "" : " --viewer");
	if (missing[0] != '\0') {
		cli_error("missing%s; see --help", missing);
		return CLI_USAGE;
	}
	if (strcmp(a->samesex, "yes") != 0 && strcmp(a->samesex, "no") != 0)
		return op_error(CLI_USAGE, "--same-sex takes yes or no");
	return CLI_OK;
}

int
cmd_device_unseal(int argc, char **argv)
{
	struct cli_secret pw = { NULL, 0 }, wpw = { NULL, 0 };
	struct item_args a;
	json_t *args = NULL, *res = NULL;
	int r;

	if (item_args_parse(argc, argv, &a) != 0 || (!a.help && a.npos != 1))
		return cli_usage(UNSEAL_USAGE);
	if (a.help) {
		printf("usage: %s\n\nBreaks a device's seal so the DSL can view "
		    "content on the phone itself,\nthrough the same gate as "
		    "custody view: the justification and the witness\nare "
		    "recorded first.  Reseal it afterwards with custody device "
		    "seal\n--old-seal unsealed.\n", UNSEAL_USAGE);
		return CLI_OK;
	}
	if (!a.forview)
		return op_error(CLI_USAGE, "a device is unsealed only "
		    "--for-viewing");
	if ((r = justify_missing(&a, 0, NULL)) != CLI_OK)
		return r;
	if ((r = op_secret("password-file", a.pwfile, "Your password (again, "
	    "to confirm): ", NULL, &pw)) != CLI_OK ||
	    (a.witness != NULL && (r = op_secret("witness-password-file",
	    a.witness_pw, "Witness's password (the witness types it): ",
	    NULL, &wpw)) != CLI_OK))
		goto out;
	args = view_justify_args("device", &a, &pw, &wpw);
	json_object_set_new(args, "for_viewing", json_true());
	cli_secret_clear(&pw);
	cli_secret_clear(&wpw);
	if ((r = op_call(a.socket, "device.unseal", args, -1, NULL,
	    &res)) != CLI_OK)
		goto out;
	if (a.json)
		op_print_json(res);
	else {
		printf("Device %s unsealed for viewing; reseal it afterwards.\n",
		    a.pos[0]);
		op_print_receipt(res);
	}
out:
	cli_secret_clear(&pw);
	cli_secret_clear(&wpw);
	json_decref(args);
	json_decref(res);
	return r;
}
