/*
 * cmd_export.c -- custody export | export fetch | export list, and the
 * offline custody verify.
 *
 * The export is written by the daemon into a file this command creates
 * (O_EXCL, 0600) and passes as a descriptor; a police account collects a
 * copy the same way.  custody verify needs no daemon: it decrypts if
 * needed, checks the bag (signature, manifests) and then the custody
 * record (events against proofs and the signed checkpoint, and a receipt).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/op.h"
#include "cli/prompt.h"
#include "cli/table.h"
#include "common/error.h"
#include "evidence/bag.h"
#include "evidence/export_verify.h"
#include "evidence/log.h"

#define EXPORT_USAGE "custody export CASE -o FILE.tar.p7m " \
	"(--password-file FILE | --to-cert OFFICER.pem) " \
	"[--stepup-password-file FILE] [--socket PATH] [--json]"
#define FETCH_USAGE "custody export fetch EXPORT -o FILE.tar.p7m " \
	"[--socket PATH] [--json]"
#define LISTX_USAGE "custody export list [--socket PATH] [--json]"
#define VERIFY_USAGE "custody verify FILE.tar.p7m|DIR " \
	"[--password-file FILE | --key KEY --cert CERT] [--against RECEIPT] " \
	"[--station-fingerprint FP]"

enum { X_OUT = 256, X_PW, X_CERT, X_STEPUP, X_SOCKET, X_JSON, X_KEY,
	X_VCERT, X_AGAINST, X_FPR, X_HELP };

static const struct option x_opts[] = {
	{ "output", required_argument, NULL, X_OUT },
	{ "password-file", required_argument, NULL, X_PW },
	{ "to-cert", required_argument, NULL, X_CERT },
	{ "stepup-password-file", required_argument, NULL, X_STEPUP },
	{ "socket", required_argument, NULL, X_SOCKET },
	{ "json", no_argument, NULL, X_JSON },
	{ "key", required_argument, NULL, X_KEY },
	{ "cert", required_argument, NULL, X_VCERT },
	{ "against", required_argument, NULL, X_AGAINST },
	{ "station-fingerprint", required_argument, NULL, X_FPR },
	{ "help", no_argument, NULL, X_HELP },
	{ NULL, 0, NULL, 0 },
};

struct x_args {
	const char	*out, *pw, *cert, *stepup, *socket, *key, *vcert;
	const char	*against, *fpr;
	int		 json, help, npos;
	char		*pos[2];
};

static int
x_parse(int argc, char **argv, struct x_args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", x_opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
		case X_OUT: a->out = optarg; break;
		case X_PW: a->pw = optarg; break;
		case X_CERT: a->cert = optarg; break;
		case X_STEPUP: a->stepup = optarg; break;
		case X_SOCKET: a->socket = optarg; break;
		case X_JSON: a->json = 1; break;
		case X_KEY: a->key = optarg; break;
		case X_VCERT: a->vcert = optarg; break;
		case X_AGAINST: a->against = optarg; break;
		case X_FPR: a->fpr = optarg; break;
		case X_HELP: a->help = 1; break;
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

/* Creates the output file: new, 0600, never over an existing one. */
static int
x_create(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd == -1)
		cli_error("cannot create %s: %s%s", path, strerror(errno),
		    errno == EEXIST ? "; choose a new file name" : "");
	return fd;
}

int
cmd_export(int argc, char **argv)
{
	struct cli_secret pw = { NULL, 0 }, me = { NULL, 0 };
	struct x_args a;
	json_t *args = NULL, *res = NULL;
	char *pem = NULL;
	size_t pemlen;
	int fd = -1, r;

	if (x_parse(argc, argv, &a) != 0 || (!a.help && (a.npos != 1 ||
	    a.out == NULL || (a.pw == NULL && a.cert == NULL &&
	    !cli_interactive()))))
		return cli_usage(EXPORT_USAGE);
	if (a.help) {
		printf("usage: %s\n\nSeals one case for the police (DSL): a "
		    "signed BagIt bag of the case's events,\nproofs, signed "
		    "checkpoint, CASE/UCO record and custody form (and any\n"
		    "items police asked for), encrypted to a password (at least "
		    "12 characters;\nasked for on a terminal) and/or the "
		    "officer's certificate.  The officer\nchecks it with "
		    "openssl, tar and sha256sum (data/README.txt).\n",
		    EXPORT_USAGE);
		return CLI_OK;
	}
	if (a.cert != NULL && cli_read_file(a.cert, 65536, &pem, &pemlen) !=
	    0) {
		cli_error("cannot read certificate %s", a.cert);
		return CLI_FAIL;
	}
	if ((a.pw != NULL || a.cert == NULL) && (r = op_secret("password-file",
	    a.pw, "Password for the export (tell the officer in person): ",
	    "Again: ", &pw)) != CLI_OK)
		goto out;
	if ((r = op_secret("stepup-password-file", a.stepup, "Your password "
	    "(again, to confirm): ", NULL, &me)) != CLI_OK)
		goto out;
	if ((fd = x_create(a.out)) == -1) {
		r = CLI_FAIL;
		goto out;
	}
	args = json_pack("{s:s, s:s%, s:s?}", "case", a.pos[0], "password",
	    me.data, me.len, "recipient_cert", pem);
	if (pw.data != NULL)
		json_object_set_new(args, "export_password",
		    json_stringn(pw.data, pw.len));
	cli_secret_clear(&pw);
	cli_secret_clear(&me);
	if ((r = op_call(a.socket, "case.export", args, fd, NULL, &res)) !=
	    CLI_OK) {
		(void)unlink(a.out);
		goto out;
	}
	if (a.json)
		op_print_json(res);
	else {
		printf("Export %s of %s written to %s\nSHA-256 %s\n",
		    json_string_value(json_object_get(res, "export")),
		    a.pos[0], a.out, json_string_value(json_object_get(res,
		    "sha256")));
		op_print_receipt(res);
	}
out:
	cli_secret_clear(&pw);
	cli_secret_clear(&me);
	if (fd != -1)
		close(fd);
	free(pem);
	json_decref(args);
	json_decref(res);
	return r;
}

/* Copies what the daemon passed into a new file. */
static int
x_copy(int from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int fd = x_create(to), r = CLI_OK;

	if (fd == -1)
		return CLI_FAIL;
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			r = CLI_FAIL;
			break;
		}
	if (n < 0 || fsync(fd) != 0)
		r = CLI_FAIL;
	close(fd);
	if (r != CLI_OK) {
		cli_error("cannot write %s: %s", to, strerror(errno));
		(void)unlink(to);
	}
	return r;
}

int
cmd_export_fetch(int argc, char **argv)
{
	struct x_args a;
	json_t *args, *res = NULL;
	int fd = -1, r;

	if (x_parse(argc, argv, &a) != 0 || (!a.help && (a.npos != 1 ||
	    a.out == NULL)))
		return cli_usage(FETCH_USAGE);
	if (a.help) {
		printf("usage: %s\n\nCollects a sealed export made for your "
		    "crime reference (police).\n", FETCH_USAGE);
		return CLI_OK;
	}
	args = json_pack("{s:s}", "export", a.pos[0]);
	r = op_call(a.socket, "export.fetch", args, -1, &fd, &res);
	json_decref(args);
	if (r == CLI_OK && (r = x_copy(fd, a.out)) == CLI_OK) {
		if (a.json)
			op_print_json(res);
		else {
			printf("Export %s written to %s\nSHA-256 %s\n",
			    a.pos[0], a.out, json_string_value(
			    json_object_get(res, "sha256")));
			op_print_receipt(res);
		}
	}
	if (fd != -1)
		close(fd);
	json_decref(res);
	return r;
}

int
cmd_export_list(int argc, char **argv)
{
	struct x_args a;
	json_t *res = NULL;
	int r;

	if (x_parse(argc, argv, &a) != 0 || a.npos != 0)
		return cli_usage(LISTX_USAGE);
	if (a.help) {
		printf("usage: %s\n", LISTX_USAGE);
		return CLI_OK;
	}
	if ((r = op_call(a.socket, "export.list", NULL, -1, NULL, &res)) ==
	    CLI_OK) {
		if (a.json)
			op_print_json(res);
		else
			cli_print_array(stdout, json_object_get(res,
			    "exports"));
	}
	json_decref(res);
	return r;
}

static void
x_report(void *ctx, const char *line)
{
	(void)ctx;
	printf("  %s\n", line);
}

static int
x_rm(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

int
cmd_verify(int argc, char **argv)
{
	struct cli_secret pw = { NULL, 0 };
	struct bag_check bc;
	struct receipt rc;
	struct x_args a;
	struct stat sb;
	char tmp[] = "/tmp/custody-verify-XXXXXX", bagdir[4096], err[512];
	char *text = NULL;
	size_t len;
	int r, is_dir, made = 0;

	memset(&rc, 0, sizeof(rc));
	if (x_parse(argc, argv, &a) != 0 || (!a.help && a.npos != 1))
		return cli_usage(VERIFY_USAGE);
	if (a.help) {
		printf("usage: %s\n\nChecks a sealed export offline: decrypts "
		    "it (password or key and\ncertificate), checks the CMS "
		    "signature, both tag manifests and manifests,\nthen that "
		    "every event is byte-exact with its leaf and in the signed "
		    "log,\nthe checkpoint's signature, and with --against, "
		    "that the log is\nconsistent with a receipt from the "
		    "hand-over.  Ends with one verdict line.\n", VERIFY_USAGE);
		return CLI_OK;
	}
	if (a.against != NULL) {
		if (cli_read_file(a.against, 8192, &text, &len) != 0 ||
		    receipt_parse(text, len, &rc, err, sizeof(err)) != 0) {
			free(text);
			cli_error("%s: %s", a.against, text ? err :
			    "cannot read it");
			return CLI_RECEIPT;
		}
		free(text);
	}
	if (stat(a.pos[0], &sb) == -1) {
		cli_error("cannot open %s: %s", a.pos[0], strerror(errno));
		r = CLI_NODB;
		goto out;
	}
	is_dir = S_ISDIR(sb.st_mode);
	if (!is_dir && a.key == NULL && (r = op_secret("password-file", a.pw,
	    "Export password: ", NULL, &pw)) != CLI_OK)
		goto out;
	if (!is_dir) {
		if (mkdtemp(tmp) == NULL) {
			cli_error("cannot make a directory to extract into");
			r = CLI_FAIL;
			goto out;
		}
		made = 1;
	}
	printf("%s:\n", a.pos[0]);
	if ((r = bag_open(a.pos[0], pw.data, pw.len, a.key, a.vcert, tmp,
	    (uint64_t)64 << 30, x_report, NULL, &bc, err, sizeof(err))) != 0)
		goto verdict;
	(void)snprintf(bagdir, sizeof(bagdir), "%s/%s", is_dir ? a.pos[0] :
	    tmp, is_dir ? "." : bc.name);
	r = export_verify_dir(bagdir, a.against ? &rc : NULL, a.fpr,
	    x_report, NULL, err, sizeof(err));
verdict:
	if (r == 0)
		printf("VERIFIED: %s is intact, signed by station key %s, and "
		    "its events are in the station's log\n", a.pos[0],
		    bc.fingerprint);
	else
		printf("FAILED: %s\n", err);
	r = r == 0 ? CLI_OK : r == CUSTODY_ERR_KEY ? CLI_KEY :
	    r == CUSTODY_ERR_VERIFY ? CLI_VERIFY : CLI_FAIL;
out:
	cli_secret_clear(&pw);
	receipt_clear(&rc);
	if (made)
		(void)nftw(tmp, x_rm, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
