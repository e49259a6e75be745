/*
 * cmd_log.c -- custody log show | verify | proof | receipt | append.
 *
 * show, verify, proof and receipt open the database read-only: they work
 * on a copy, with no daemon and no key, and write nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/escape.h"
#include "evidence/log.h"
#include "evidence/station.h"
#include "evidence/verify.h"
#include "hashing/digest.h"

#define SHOW_USAGE "custody log show [--db PATH | --state DIR] " \
	"[--from SEQ] [--limit N] [--json]"
#define VERIFY_USAGE "custody log verify [--db PATH | --state DIR] " \
	"[--against RECEIPT] [--station-fingerprint FP] [--json]"
#define PROOF_USAGE "custody log proof SEQ [--size N] " \
	"[--db PATH | --state DIR] [--json]"
#define RECEIPT_USAGE "custody log receipt SEQ [--db PATH | --state DIR]"
#define APPEND_USAGE "custody log append --action ACTION [--subject JSON] " \
	"[--data JSON] [--user NAME] [--state DIR]"

enum { O_DB = 256, O_STATE, O_FROM, O_LIMIT, O_JSON, O_AGAINST, O_FPR,
	O_SIZE, O_ACTION, O_SUBJECT, O_DATA, O_USER, O_HELP };

static const struct option log_opts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "state", required_argument, NULL, O_STATE },
	{ "from", required_argument, NULL, O_FROM },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "json", no_argument, NULL, O_JSON },
	{ "against", required_argument, NULL, O_AGAINST },
	{ "station-fingerprint", required_argument, NULL, O_FPR },
	{ "size", required_argument, NULL, O_SIZE },
	{ "action", required_argument, NULL, O_ACTION },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "data", required_argument, NULL, O_DATA },
	{ "user", required_argument, NULL, O_USER },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct log_args {
	const char	*db, *state, *against, *fpr, *action, *subject;
	const char	*data, *user;
	uint64_t	 from, limit, size;
	int		 json, help;
	int		 npos;
	char		*pos[2];
};

/* Parses the options every log subcommand shares; -1 on a bad one. */
static int
log_args_parse(int argc, char **argv, struct log_args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	a->limit = UINT64_MAX;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", log_opts, NULL)) != -1) {
		switch (ch) {
		case O_DB: a->db = optarg; break;
		case O_STATE: a->state = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_AGAINST: a->against = optarg; break;
		case O_FPR: a->fpr = optarg; break;
		case O_ACTION: a->action = optarg; break;
		case O_SUBJECT: a->subject = optarg; break;
		case O_DATA: a->data = optarg; break;
		case O_USER: a->user = optarg; break;
		case O_HELP: a->help = 1; break;
		case O_FROM:
			if (cli_parse_u64(optarg, &a->from) != 0)
				return -1;
			break;
		case O_LIMIT:
			if (cli_parse_u64(optarg, &a->limit) != 0)
				return -1;
			break;
		case O_SIZE:
			if (cli_parse_u64(optarg, &a->size) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == 2)
			return -1;
		a->pos[a->npos++] = argv[optind];
	}
	return 0;
}

/* Opens the store read-only from the options. */
static int
log_open_ro(const struct log_args *a, struct store **st, char *err,
    size_t errlen)
{
	char buf[4096];
	const char *path;

	if ((path = cli_db_path(a->db, a->state, buf, sizeof(buf))) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_TOOBIG,
		    "state directory path is too long");
	return store_open(path, STORE_RDONLY, st, err, errlen);
}

static void
show_row(const char *body, size_t len)
{
	char when[64], action[64], actor[96], subj[128], tmp[256];
	const char *k;
	json_t *ev, *v;
	size_t o = 0;

	if ((ev = json_loadb(body, len, 0, NULL)) == NULL) {
		printf("(unreadable event)\n");
		return;
	}
	cli_local_time(json_string_value(json_object_get(ev, "time")) ?
	    json_string_value(json_object_get(ev, "time")) : "?", when,
	    sizeof(when));
	k = json_string_value(json_object_get(ev, "action"));
	escape_text(k ? k : "?", k ? strlen(k) : 1, action, sizeof(action));
	v = json_object_get(ev, "actor");
	(void)snprintf(tmp, sizeof(tmp), "%s/%s",
	    json_string_value(json_object_get(v, "user")) ?
	    json_string_value(json_object_get(v, "user")) : "?",
	    json_string_value(json_object_get(v, "role")) ?
	    json_string_value(json_object_get(v, "role")) : "?");
	escape_text(tmp, strlen(tmp), actor, sizeof(actor));
	subj[0] = '\0';
	json_object_foreach(json_object_get(ev, "subject"), k, v) {
		int n = json_is_string(v) ?
		    snprintf(tmp, sizeof(tmp), "%s%s=%s", o ? " " : "", k,
		    json_string_value(v)) : json_is_integer(v) ?
		    snprintf(tmp, sizeof(tmp), "%s%s=%lld", o ? " " : "", k,
		    (long long)json_integer_value(v)) : 0;
		if (n <= 0 || o + (size_t)n >= sizeof(subj))
			continue;
		escape_text(tmp, (size_t)n, subj + o, sizeof(subj) - o);
		o = strlen(subj);
	}
	printf("%-6lld %-25s %-22s %-20s %s\n",
	    (long long)json_integer_value(json_object_get(ev, "seq")), when,
	    action, actor, subj);
	json_decref(ev);
}

int
cmd_log_show(int argc, char **argv)
{
	struct store_iter *it = NULL;
	struct store *st = NULL;
	struct log_args a;
	const void *body;
	size_t len;
	uint64_t n = 0;
	char err[512] = "";
	int r;

	if (log_args_parse(argc, argv, &a) != 0 || a.npos != 0)
		return cli_usage(SHOW_USAGE);
	if (a.help) {
		printf("usage: %s\n\nPrints events in order: local time with "
		    "zone, action, actor, subject.\nWith --json, a JSON array "
		    "whose elements are the stored event bytes.\n",
		    SHOW_USAGE);
		return CLI_OK;
	}
	if ((r = log_open_ro(&a, &st, err, sizeof(err))) != 0)
		return cli_fail(r, err);
	if ((r = store_iter_events(st, a.from, &it)) != 0)
		goto out;
	if (a.json)
		printf("[");
	else
		printf("%-6s %-25s %-22s %-20s %s\n", "SEQ", "TIME", "ACTION",
		    "ACTOR", "SUBJECT");
	while (n < a.limit && (r = store_iter_next(it)) == 1) {
		body = store_iter_blob(it, 1, &len);
		if (a.json)
			printf("%s\n%.*s", n ? "," : "", (int)len,
			    (const char *)body);
		else
			show_row(body, len);
		n++;
	}
	if (r >= 0)
		r = 0;
	if (a.json)
		printf("]\n");
out:
	store_iter_free(it);
	store_close(st);
	if (r != 0)
		return cli_fail(r, "cannot read the log; run custody log "
		    "verify");
	return CLI_OK;
}

static int
verify_print(const struct log_args *a, int r, const struct verify_result *v,
    const char *err)
{
	char root[65];
	json_t *j;

	digest_hex(v->root, 32, root);
	if (a->json) {
		j = json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:s, s:s?}",
		    "ok", r == 0, "origin", v->origin, "fingerprint",
		    v->fingerprint, "events", (json_int_t)v->events,
		    "nodes", (json_int_t)v->nodes, "checkpoints",
		    (json_int_t)v->checkpoints, "root", root,
		    "error", r == 0 ? NULL : err);
		if (j != NULL)
			json_dumpf(j, stdout, JSON_COMPACT);
		printf("\n");
		json_decref(j);
		return cli_exit_code(r);
	}
	if (r != 0)
		return cli_fail(r, err);
	printf("log verified: %llu events, %llu tree nodes, %llu signed "
	    "checkpoints\n", (unsigned long long)v->events,
	    (unsigned long long)v->nodes, (unsigned long long)v->checkpoints);
	printf("station  %s\nkey      %s\nroot     %s (size %llu)\n",
	    v->origin, v->fingerprint, root, (unsigned long long)v->events);
	if (a->against != NULL)
		printf("receipt  its event and checkpoint are still in the "
		    "log\n");
	return CLI_OK;
}

int
cmd_log_verify(int argc, char **argv)
{
	struct verify_result res;
	struct verify_opts o;
	struct receipt rc;
	struct store *st = NULL;
	struct log_args a;
	char err[512] = "", *text = NULL;
	size_t len;
	int r, code;

	memset(&rc, 0, sizeof(rc));
	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	if (log_args_parse(argc, argv, &a) != 0 || a.npos != 0)
		return cli_usage(VERIFY_USAGE);
	if (a.help) {
		printf("usage: %s\n\nRecomputes every leaf and tree node, "
		    "checks every checkpoint's signature and\nroot, and names "
		    "the first bad event or checkpoint.  Read-only; works on "
		    "a copy.\n--against proves the log still holds what a "
		    "receipt saw (catches truncation).\n", VERIFY_USAGE);
		return CLI_OK;
	}
	if (a.against != NULL) {
		if ((r = cli_read_file(a.against, 8192, &text, &len)) != 0) {
			cli_error("cannot read receipt %s: %s", a.against,
			    custody_strerror(r));
			return CLI_RECEIPT;
		}
		r = receipt_parse(text, len, &rc, err, sizeof(err));
		free(text);
		if (r != 0) {
			cli_error("%s: %s", a.against, err);
			return CLI_RECEIPT;
		}
		o.against = &rc;
	}
	o.fingerprint = a.fpr;
	if ((r = log_open_ro(&a, &st, err, sizeof(err))) == 0)
		r = log_verify(st, &o, &res, err, sizeof(err));
	code = verify_print(&a, r, &res, err);
	store_close(st);
	receipt_clear(&rc);
	return code;
}

int
cmd_log_proof(int argc, char **argv)
{
	uint8_t path[MERKLE_MAX_PROOF][32], root[32], leaf[32];
	struct custody_log *log = NULL;
	struct store *st = NULL;
	struct log_args a;
	char err[512] = "", hex[65], *body = NULL;
	uint64_t seq, size;
	size_t n = 0, i, len;
	json_t *j = NULL, *arr;
	int r, notfound = 0;

	if (log_args_parse(argc, argv, &a) != 0 || a.npos != 1 ||
	    cli_parse_u64(a.pos[0], &seq) != 0)
		return a.help ? (printf("usage: %s\n", PROOF_USAGE), CLI_OK) :
		    cli_usage(PROOF_USAGE);
	if ((r = log_open_ro(&a, &st, err, sizeof(err))) != 0 ||
	    (r = custody_log_open(st, NULL, &log, err, sizeof(err))) != 0)
		goto out;
	size = a.size;
	if ((r = custody_log_event(log, seq, &body, &len, leaf)) != 0) {
		(void)custody_fail(err, sizeof(err), r, "no event %llu in the "
		    "log", (unsigned long long)seq);
		if (r == CUSTODY_ERR_NOTFOUND)
			notfound = 1;
		goto out;
	}
	if ((r = custody_log_proof(log, seq, &size, root, path, &n)) != 0) {
		(void)custody_fail(err, sizeof(err), r, "no proof of event "
		    "%llu in a tree of size %llu", (unsigned long long)seq,
		    (unsigned long long)size);
		goto out;
	}
	if (a.json) {
		char lhex[65];

		arr = json_array();
		for (i = 0; i < n; i++) {
			digest_hex(path[i], 32, hex);
			json_array_append_new(arr, json_string(hex));
		}
		digest_hex(leaf, 32, lhex);
		digest_hex(root, 32, hex);
		j = json_pack("{s:I, s:I, s:s, s:s, s:o}", "seq",
		    (json_int_t)seq, "size", (json_int_t)size, "leaf", lhex,
		    "root", hex, "path", arr);
		if (j != NULL)
			json_dumpf(j, stdout, JSON_COMPACT);
		printf("\n");
	} else {
		digest_hex(leaf, 32, hex);
		printf("event %llu in tree of size %llu\nleaf  %s\n",
		    (unsigned long long)seq, (unsigned long long)size, hex);
		digest_hex(root, 32, hex);
		printf("root  %s\npath  %zu hashes, leaf to root:\n", hex, n);
		for (i = 0; i < n; i++) {
			digest_hex(path[i], 32, hex);
			printf("  %s\n", hex);
		}
	}
out:
	json_decref(j);
	free(body);
	custody_log_free(log);
	store_close(st);
	if (r != 0 && notfound)
		return (void)cli_fail(r, err), CLI_NOTFOUND;
	return r != 0 ? cli_fail(r, err) : CLI_OK;
}

int
cmd_log_receipt(int argc, char **argv)
{
	struct custody_log *log = NULL;
	struct store *st = NULL;
	struct receipt rc;
	struct log_args a;
	char err[512] = "", *text = NULL;
	uint64_t seq;
	int r, notfound = 0;

	memset(&rc, 0, sizeof(rc));
	if (log_args_parse(argc, argv, &a) != 0 || a.npos != 1 ||
	    cli_parse_u64(a.pos[0], &seq) != 0)
		return a.help ? (printf("usage: %s\n", RECEIPT_USAGE), CLI_OK) :
		    cli_usage(RECEIPT_USAGE);
	if ((r = log_open_ro(&a, &st, err, sizeof(err))) != 0 ||
	    (r = custody_log_open(st, NULL, &log, err, sizeof(err))) != 0)
		goto out;
	if ((r = custody_log_receipt(log, seq, &rc, err, sizeof(err))) != 0) {
		notfound = r == CUSTODY_ERR_NOTFOUND;
		goto out;
	}
	if ((r = receipt_format(&rc, &text)) != 0)
		goto out;
	fputs(text, stdout);
out:
	free(text);
	receipt_clear(&rc);
	custody_log_free(log);
	store_close(st);
	if (r != 0 && notfound)
		return (void)cli_fail(r, err), CLI_NOTFOUND;
	return r != 0 ? cli_fail(r, err) : CLI_OK;
}

/* Parses an optional JSON object argument. */
static json_t *
append_object(const char *s, const char *what)
{
	json_error_t je;
	json_t *j;

	if (s == NULL)
		return json_object();
	if ((j = json_loads(s, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(j)) {
		cli_error("--%s is not a JSON object%s%s", what,
		    j == NULL ? ": " : "", j == NULL ? je.text : "");
		json_decref(j);
		return NULL;
	}
	return j;
}

int
cmd_log_append(int argc, char **argv)
{
	struct station *s = NULL;
	struct log_args a;
	struct receipt rc;
	json_t *actor = NULL, *subject = NULL, *data = NULL;
	char err[512] = "", *text = NULL;
	uint64_t seq;
	int r;

	memset(&rc, 0, sizeof(rc));
	if (log_args_parse(argc, argv, &a) != 0 || a.npos != 0 ||
	    (a.action == NULL && !a.help))
		return cli_usage(APPEND_USAGE);
	if (a.help) {
		printf("usage: %s\n\nAppends one event offline, signed with "
		    "the station key (only the station's\nuser can read it), "
		    "and prints its receipt.  A running station writes\n"
		    "through custodyd instead.\n", APPEND_USAGE);
		return CLI_OK;
	}
	if ((subject = append_object(a.subject, "subject")) == NULL ||
	    (data = append_object(a.data, "data")) == NULL) {
		r = CLI_USAGE;
		goto done;
	}
	actor = json_pack("{s:s, s:s, s:I}", "user", a.user ? a.user :
	    "station", "role", "system", "uid", (json_int_t)getuid());
	if ((r = station_open(cli_state_dir(a.state), 0, &s, err,
	    sizeof(err))) != 0)
		goto out;
	if ((r = custody_log_begin(station_log(s))) != 0 ||
	    (r = custody_log_append(station_log(s), a.action, actor, subject,
	    data, &seq)) != 0) {
		custody_log_abort(station_log(s));
		(void)custody_fail(err, sizeof(err), r, "cannot append: %s",
		    custody_strerror(r));
		goto out;
	}
	if ((r = custody_log_commit(station_log(s), err, sizeof(err))) != 0 ||
	    (r = custody_log_receipt(station_log(s), seq, &rc, err,
	    sizeof(err))) != 0 || (r = receipt_format(&rc, &text)) != 0)
		goto out;
	fputs(text, stdout);
out:
	r = r != 0 ? cli_fail(r, err) : CLI_OK;
done:
	free(text);
	receipt_clear(&rc);
	station_close(s);
	json_decref(actor);
	json_decref(subject);
	json_decref(data);
	return r;
}
