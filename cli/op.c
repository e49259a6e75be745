/*
 * op.c -- running a table-described operation (see op.h for the steps).
 *
 * State of one run (struct op_state): val[i] is argument i's text, from
 * the command line or typed at the terminal (typed[i] owns the latter);
 * list[i] holds an OA_LIST argument's values; conv[i] an OA_TIME
 * argument converted to UTC.  Invariant once op_validate() has passed:
 * every val[i] that is not NULL is non-empty and valid for its argument.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/op.h"
#include "cli/prompt.h"
#include "cli/table.h"
#include "common/buf.h"
#include "common/escape.h"
#include "common/timefmt.h"

#define OP_NAMELEN	40
#define OP_WRAP		78

enum {
	O_SOCKET = 1, O_JSON, O_HELP, O_PWFILE, O_NEWPWFILE, O_OFFFILE,
	O_ARG = 100,
};

struct op_state {
	const struct op_desc *d;
	size_t		 nargs;
	const char	*val[OP_MAXARGS];
	char		*typed[OP_MAXARGS];
	json_t		*list[OP_MAXARGS];
	char		 conv[OP_MAXARGS][TIMEFMT_LEN];
	const char	*id;
	char		*id_typed;
	const char	*sock, *pwfile, *newpwfile, *offfile;
	int		 json, help;
	struct cli_secret pw, newpw, offpw;
	char		 token[CLIENT_TOKEN_HEX + 1];
};

static int
op_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
op_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* The option name of a protocol key: old_seal -> old-seal. */
static void
opt_name(const char *key, char *out, size_t len)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < len; i++)
		out[i] = key[i] == '_' ? '-' : key[i];
	out[i] = '\0';
}

/* Index of the argument with this protocol key, or -1. */
static int
arg_index(const struct op_state *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nargs; i++)
		if (strcmp(st->d->args[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* 1 if argument i must be given, now that others are known. */
static int
arg_needed(const struct op_state *st, size_t i)
{
	const struct op_arg *a = &st->d->args[i];
	int k;

	if (a->flags & OA_REQUIRED)
		return 1;
	if (a->if_key == NULL || (k = arg_index(st, a->if_key)) == -1 ||
	    st->val[k] == NULL)
		return 0;
	return strcmp(st->val[k], a->if_value) == 0;
}

/* Appends tok to the usage text in b, wrapping lines. */
static void
usage_add(struct buf *b, size_t *col, const char *tok)
{
	if (*col + 1 + strlen(tok) > OP_WRAP) {
		(void)buf_printf(b, "\n      ");
		*col = 6;
	}
	(void)buf_printf(b, " %s", tok);
	*col += 1 + strlen(tok);
}

static void
op_usage(const struct op_desc *d, struct buf *b)
{
	char name[OP_NAMELEN], tok[128];
	const struct op_arg *a;
	size_t col;

	(void)buf_printf(b, "usage: custody %s", d->cmd);
	col = 14 + strlen(d->cmd);
	if (d->id != NULL)
		usage_add(b, &col, d->id->meta);
	for (a = d->args; a != NULL && a->key != NULL; a++) {
		opt_name(a->key, name, sizeof(name));
		(void)snprintf(tok, sizeof(tok), "%s--%s%s%s%s",
		    a->flags & OA_REQUIRED ? "" : "[", name,
		    a->flags & OA_FLAG ? "" : " ",
		    a->flags & OA_FLAG ? "" : a->meta,
		    a->flags & OA_REQUIRED ? "" : "]");
		usage_add(b, &col, tok);
	}
	if (d->secrets & OP_STEPUP)
		usage_add(b, &col, "[--password-file FILE]");
	if (d->secrets & OP_NEWPW)
		usage_add(b, &col, "[--new-password-file FILE]");
	if (d->secrets & OP_OFFICER)
		usage_add(b, &col, "[--officer-password-file FILE]");
	usage_add(b, &col, "[--socket PATH]");
	usage_add(b, &col, "[--json]");
	(void)buf_putc(b, '\n');
}

/*
 * Prints text from column col, wrapped at OP_WRAP; continuation lines
 * start at column indent.  Ends with a newline.
 */
static void
wrap(FILE *fp, const char *text, size_t col, size_t indent)
{
	const char *p = text, *sp, *end;

	while (*p != '\0') {
		/* The next word, with the spaces before it. */
		for (sp = p; *sp == ' '; sp++)
			;
		for (end = sp; *end != '\0' && *end != ' '; end++)
			;
		if (col > indent && col + (size_t)(end - p) > OP_WRAP) {
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
			p = sp;
		}
		fprintf(fp, "%.*s", (int)(end - p), p);
		col += (size_t)(end - p);
		p = end;
	}
	fputc('\n', fp);
}

/* Prints "  left  text", the text wrapped under column 29. */
static void
help_line(FILE *fp, const char *left, const char *text)
{
	if (strlen(left) > 26)
		fprintf(fp, "  %s\n%29s", left, "");
	else
		fprintf(fp, "  %-26s ", left);
	wrap(fp, text, 29, 29);
}

static void
help_arg(FILE *fp, const struct op_arg *a, int positional)
{
	char name[OP_NAMELEN], left[96], cond[OP_NAMELEN];
	const char *const *c;
	struct buf b;

	buf_init(&b);
	opt_name(a->key, name, sizeof(name));
	if (positional)
		(void)snprintf(left, sizeof(left), "%s", a->meta);
	else
		(void)snprintf(left, sizeof(left), "--%s%s%s", name,
		    a->flags & OA_FLAG ? "" : " ",
		    a->flags & OA_FLAG ? "" : a->meta);
	(void)buf_printf(&b, "%s", a->help);
	for (c = a->choices; c != NULL && *c != NULL; c++)
		(void)buf_printf(&b, "%s%s", c == a->choices ? "; one of: " :
		    ", ", *c);
	if (a->def != NULL)
		(void)buf_printf(&b, "; default %s", a->def);
	if (a->if_key != NULL) {
		opt_name(a->if_key, cond, sizeof(cond));
		(void)buf_printf(&b, "; needed when --%s is %s", cond,
		    a->if_value);
	}
	if (a->flags & OA_LIST)
		(void)buf_printf(&b, "; repeat, or separate with commas");
	help_line(fp, left, b.data != NULL ? b.data : "");
	buf_free(&b);
}

static void
op_help(const struct op_desc *d, FILE *fp)
{
	const struct op_arg *a;
	struct buf b;

	buf_init(&b);
	op_usage(d, &b);
	fprintf(fp, "%s\n", b.data != NULL ? b.data : "");
	buf_free(&b);
	wrap(fp, d->about, 0, 0);
	fputc('\n', fp);
	if (d->id != NULL)
		help_arg(fp, d->id, 1);
	for (a = d->args; a != NULL && a->key != NULL; a++)
		help_arg(fp, a, 0);
	if (d->secrets & OP_STEPUP)
		help_line(fp, "--password-file FILE", "your own password, "
		    "again, read from FILE (\"-\": standard input); asked "
		    "on a terminal if not given");
	if (d->secrets & OP_NEWPW)
		help_line(fp, "--new-password-file FILE", "the new password, "
		    "read from FILE; asked twice on a terminal if not given");
	if (d->secrets & OP_OFFICER)
		help_line(fp, "--officer-password-file FILE", "the officer's "
		    "password, read from FILE; asked on a terminal (the "
		    "officer types it) if not given");
	help_line(fp, "--socket PATH", "custodyd's socket (default "
	    "$CUSTODY_SOCKET, else " CLIENT_DEFAULT_SOCKET ")");
	help_line(fp, "--json", "print the result as one JSON object");
	fprintf(fp, "\nInteractive questions are asked only when standard "
	    "input is a terminal.\nSee custody(1).\n");
}

/* Stores one value of a list argument; commas separate values. */
static int
list_add(struct op_state *st, size_t i, const char *s, char *err,
    size_t errlen)
{
	const char *p = s, *comma;
	size_t len;
	json_t *v;

	if (st->list[i] == NULL && (st->list[i] = json_array()) == NULL)
		return op_fail(err, errlen, CLI_FAIL, "out of memory");
	for (; *p != '\0'; p = comma != NULL ? comma + 1 : p + len) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 0)
			continue;
		if ((v = json_stringn(p, len)) == NULL ||
		    json_array_append_new(st->list[i], v) != 0)
			return op_fail(err, errlen, CLI_USAGE, "a value of "
			    "%s is not valid UTF-8 text", st->d->args[i].meta);
	}
	if (json_array_size(st->list[i]) > 0)
		st->val[i] = s;
	return CLI_OK;
}

/* Records an option's value. */
static int
op_set(struct op_state *st, size_t i, const char *v, char *err,
    size_t errlen)
{
	int flags = st->d->args[i].flags;

	if (flags & OA_FLAG)
		st->val[i] = "yes";
	else if (flags & OA_LIST)
		return list_add(st, i, v, err, errlen);
	else
		st->val[i] = v[0] != '\0' ? v : NULL;
	return CLI_OK;
}

/* The options of d into opts (names stored in names). */
static void
op_options(const struct op_desc *d, struct option *opts,
    char names[][OP_NAMELEN], size_t *nargs)
{
	static const struct option common[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
	};
	size_t i, n = 0;

	for (i = 0; d->args != NULL && d->args[i].key != NULL &&
	    i < OP_MAXARGS; i++) {
		opt_name(d->args[i].key, names[i], OP_NAMELEN);
		opts[n].name = names[i];
		opts[n].has_arg = d->args[i].flags & OA_FLAG ? no_argument :
		    required_argument;
		opts[n].flag = NULL;
		opts[n++].val = O_ARG + (int)i;
	}
	*nargs = i;
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		opts[n++] = common[i];
	if (d->secrets & OP_STEPUP)
		opts[n++] = (struct option){ "password-file",
		    required_argument, NULL, O_PWFILE };
	if (d->secrets & OP_NEWPW)
		opts[n++] = (struct option){ "new-password-file",
		    required_argument, NULL, O_NEWPWFILE };
	if (d->secrets & OP_OFFICER)
		opts[n++] = (struct option){ "officer-password-file",
		    required_argument, NULL, O_OFFFILE };
	memset(&opts[n], 0, sizeof(opts[n]));
}

static int
op_parse(struct op_state *st, int argc, char **argv, char *err,
    size_t errlen)
{
	struct option opts[OP_MAXARGS + 8];
	char names[OP_MAXARGS][OP_NAMELEN], safe[128];
	int ch, r;

	op_options(st->d, opts, names, &st->nargs);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case O_SOCKET: st->sock = optarg; break;
		case O_JSON: st->json = 1; break;
		case O_HELP: st->help = 1; break;
		case O_PWFILE: st->pwfile = optarg; break;
		case O_NEWPWFILE: st->newpwfile = optarg; break;
		case O_OFFFILE: st->offfile = optarg; break;
		case '?':
		case ':':
			/* An unknown short option sets optopt; long, 0. */
			if (ch == '?' && optopt > ' ' && optopt < 127)
				(void)snprintf(safe, sizeof(safe), "-%c",
				    optopt);
			else
				escape_text(argv[optind - 1],
				    strlen(argv[optind - 1]), safe,
				    sizeof(safe));
			return op_fail(err, errlen, CLI_USAGE, "%s '%s'; see "
			    "'custody %s --help'", ch == '?' ? "unknown option" :
			    "a value is needed after", safe, st->d->cmd);
		default:
			if ((r = op_set(st, (size_t)(ch - O_ARG), optarg, err,
			    errlen)) != CLI_OK)
				return r;
		}
	}
	if (optind < argc && st->d->id != NULL) {
		if (argv[optind][0] != '\0')
			st->id = argv[optind];
		optind++;
	}
	if (optind < argc) {
		escape_text(argv[optind], strlen(argv[optind]), safe,
		    sizeof(safe));
		return op_fail(err, errlen, CLI_USAGE, "unexpected argument "
		    "'%s'; see 'custody %s --help'", safe, st->d->cmd);
	}
	return CLI_OK;
}

/* Local "YYYY-MM-DD HH:MM[:SS]" (or with 'T') to RFC 3339 UTC in out. */
static int
local_to_utc(const char *s, char out[TIMEFMT_LEN])
{
	struct custody_time ct;
	struct tm tm, want;
	int used = 0, n;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	n = sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &used,
	    &tm.tm_sec, &used);
	if (n < 5 || used == 0 || s[used] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	want = tm;
	if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_mday != want.tm_mday ||
	    tm.tm_mon != want.tm_mon || tm.tm_hour != want.tm_hour ||
	    tm.tm_min != want.tm_min ||
	    custody_time_from_ms((int64_t)t * 1000, &ct) != 0)
		return -1;
	memcpy(out, ct.utc, TIMEFMT_LEN);
	return 0;
}

/* Checks one value of argument i; converts times into conv[i]. */
static int
op_check_value(struct op_state *st, size_t i, const char *v, char *err,
    size_t errlen)
{
	const struct op_arg *a = &st->d->args[i];
	const char *const *c;
	char name[OP_NAMELEN];
	struct buf b;
	uint64_t n;
	int64_t ms;
	int r;

	opt_name(a->key, name, sizeof(name));
	if (a->choices != NULL) {
		for (c = a->choices; *c != NULL; c++)
			if (strcmp(*c, v) == 0)
				return CLI_OK;
		buf_init(&b);
		for (c = a->choices; *c != NULL; c++)
			(void)buf_printf(&b, "%s%s", c == a->choices ? "" :
			    ", ", *c);
		r = op_fail(err, errlen, CLI_USAGE, "--%s must be one of: %s",
		    name, b.data != NULL ? b.data : "");
		buf_free(&b);
		return r;
	}
	if ((a->flags & OA_INT) && (cli_parse_u64(v, &n) != 0 ||
	    n > INT32_MAX))
		return op_fail(err, errlen, CLI_USAGE, "--%s must be a whole "
		    "number", name);
	if ((a->flags & OA_BOOL) && strcmp(v, "yes") && strcmp(v, "no") &&
	    strcmp(v, "true") && strcmp(v, "false"))
		return op_fail(err, errlen, CLI_USAGE, "--%s must be yes or "
		    "no", name);
	if (a->flags & OA_TIME) {
		if (strcmp(v, "now") == 0 || custody_time_parse(v, &ms) == 0)
			(void)snprintf(st->conv[i], TIMEFMT_LEN, "%s", v);
		else if (local_to_utc(v, st->conv[i]) != 0)
			return op_fail(err, errlen, CLI_USAGE, "--%s must be a "
			    "local time as YYYY-MM-DD HH:MM, or now", name);
	}
	return CLI_OK;
}

/* Checks every value given and the use of standard input. */
static int
op_validate(struct op_state *st, char *err, size_t errlen)
{
	size_t i;
	int r, stdin_users;

	for (i = 0; i < st->nargs; i++)
		if (st->val[i] != NULL && !(st->d->args[i].flags & OA_LIST) &&
		    (r = op_check_value(st, i, st->val[i], err, errlen)) != 0)
			return r;
	stdin_users = (st->pwfile != NULL && strcmp(st->pwfile, "-") == 0) +
	    (st->newpwfile != NULL && strcmp(st->newpwfile, "-") == 0) +
	    (st->offfile != NULL && strcmp(st->offfile, "-") == 0);
	if (stdin_users > 1)
		return op_fail(err, errlen, CLI_USAGE, "only one password "
		    "can come from standard input (\"-\")");
	return CLI_OK;
}

/*
 * Names what is missing into names (storage in buf), in command-line
 * order; with secrets, also passwords that are not given as files.
 */
static size_t
op_missing(const struct op_state *st, const char **names,
    char buf[][OP_NAMELEN], int secrets)
{
	const struct op_desc *d = st->d;
	size_t i, n = 0;

	if (d->id != NULL && st->id == NULL)
		names[n++] = d->id->meta;
	for (i = 0; i < st->nargs; i++) {
		if (st->val[i] != NULL || d->args[i].def != NULL ||
		    !arg_needed(st, i))
			continue;
		buf[n][0] = buf[n][1] = '-';
		opt_name(d->args[i].key, buf[n] + 2, OP_NAMELEN - 2);
		names[n] = buf[n];
		n++;
	}
	if (!secrets)
		return n;
	if ((d->secrets & OP_STEPUP) && st->pwfile == NULL)
		names[n++] = "--password-file";
	if ((d->secrets & OP_NEWPW) && st->newpwfile == NULL)
		names[n++] = "--new-password-file";
	if ((d->secrets & OP_OFFICER) && st->offfile == NULL)
		names[n++] = "--officer-password-file";
	return n;
}

/* Without a terminal, fails naming everything missing. */
static int
op_check_missing(const struct op_state *st, char *err, size_t errlen)
{
	const char *names[OP_MAXARGS + 4];
	char buf[OP_MAXARGS + 1][OP_NAMELEN];
	size_t n;

	if (cli_interactive())
		return CLI_OK;
	if ((n = op_missing(st, names, buf, 1)) == 0)
		return CLI_OK;
	cli_missing_message(names, n, err, errlen);
	return CLI_USAGE;
}

/* The prompt for a, e.g. "Seal number (the number on ...): ". */
static void
op_prompt(const struct op_arg *a, struct buf *b)
{
	const char *const *c;

	(void)buf_printf(b, "%s (%s)", a->label, a->help);
	for (c = a->choices; c != NULL && *c != NULL; c++)
		(void)buf_printf(b, "%s%s", c == a->choices ? " [" : ", ", *c);
	(void)buf_printf(b, "%s: ", a->choices != NULL ? "]" : "");
}

/*
 * Asks for a (argument i, or the positional id when i is -1) until the
 * answer is valid; stores it in *slot (owned by the state).
 */
static int
op_ask(struct op_state *st, const struct op_arg *a, int i, char **slot,
    char *err, size_t errlen)
{
	char answer[CLI_ANSWER_MAX + 1];
	struct buf p;
	int r;

	buf_init(&p);
	op_prompt(a, &p);
	for (;;) {
		if ((r = cli_ask(p.data != NULL ? p.data : ": ", 0, answer,
		    sizeof(answer), err, errlen)) != CLI_OK)
			goto out;
		if (answer[0] == '\0')
			continue;
		if (i < 0 || (r = op_check_value(st, (size_t)i, answer, err,
		    errlen)) == CLI_OK)
			break;
		fprintf(stderr, "  %s\n", err);
		err[0] = '\0';
	}
	if ((*slot = strdup(answer)) == NULL)
		r = op_fail(err, errlen, CLI_FAIL, "out of memory");
out:
	buf_free(&p);
	return r;
}

/* On a terminal, asks for every missing field in order. */
static int
op_fill(struct op_state *st, char *err, size_t errlen)
{
	const struct op_desc *d = st->d;
	size_t i;
	int r;

	if (!cli_interactive())
		return CLI_OK;
	if (d->id != NULL && st->id == NULL) {
		if ((r = op_ask(st, d->id, -1, &st->id_typed, err,
		    errlen)) != CLI_OK)
			return r;
		st->id = st->id_typed;
	}
	for (i = 0; i < st->nargs; i++) {
		if (st->val[i] != NULL || d->args[i].def != NULL ||
		    !arg_needed(st, i))
			continue;
		if ((r = op_ask(st, &d->args[i], (int)i, &st->typed[i], err,
		    errlen)) != CLI_OK)
			return r;
		if (d->args[i].flags & OA_LIST)
			r = list_add(st, i, st->typed[i], err, errlen);
		else
			st->val[i] = st->typed[i];
		if (r != CLI_OK)
			return r;
	}
	return CLI_OK;
}

/* Reads or asks for the passwords the operation needs. */
static int
op_secrets(struct op_state *st, char *err, size_t errlen)
{
	const struct op_desc *d = st->d;
	int r = CLI_OK;

	if (d->secrets & OP_STEPUP)
		r = st->pwfile != NULL ? cli_secret_file("--password-file",
		    st->pwfile, &st->pw, err, errlen) : cli_secret_ask(
		    d->pw_prompt != NULL ? d->pw_prompt : "Your password "
		    "(again, to confirm): ", NULL, &st->pw, err, errlen);
	if (r == CLI_OK && (d->secrets & OP_NEWPW))
		r = st->newpwfile != NULL ? cli_secret_file(
		    "--new-password-file", st->newpwfile, &st->newpw, err,
		    errlen) : cli_secret_ask(d->newpw_prompt != NULL ?
		    d->newpw_prompt : "New password: ", "The new password "
		    "again: ", &st->newpw, err, errlen);
	if (r == CLI_OK && (d->secrets & OP_OFFICER))
		r = st->offfile != NULL ? cli_secret_file(
		    "--officer-password-file", st->offfile, &st->offpw, err,
		    errlen) : cli_secret_ask("Officer's password (the officer "
		    "types it): ", NULL, &st->offpw, err, errlen);
	return r;
}

/* The JSON value of argument i's text v. */
static json_t *
arg_json(const struct op_state *st, size_t i, const char *v)
{
	int flags = st->d->args[i].flags;
	uint64_t n;

	if (flags & (OA_FLAG | OA_BOOL))
		return json_boolean(strcmp(v, "yes") == 0 ||
		    strcmp(v, "true") == 0);
	if (flags & OA_INT)
		return cli_parse_u64(v, &n) == 0 ? json_integer(
		    (json_int_t)n) : NULL;
	if (flags & OA_TIME)
		return json_string(st->conv[i]);
	return json_string(v);
}

/* Sets key to a secret's value in args. */
static int
set_secret(json_t *args, const char *key, const struct cli_secret *s)
{
	if (s->data == NULL)
		return 0;
	return json_object_set_new(args, key, json_stringn(s->data, s->len));
}

/* The request's args object. */
static int
op_build(const struct op_state *st, json_t **out, char *err, size_t errlen)
{
	const struct op_desc *d = st->d;
	char name[OP_NAMELEN];
	json_t *args, *v;
	size_t i;

	*out = NULL;
	if ((args = json_object()) == NULL)
		return op_fail(err, errlen, CLI_FAIL, "out of memory");
	if (st->id != NULL && json_object_set_new(args, d->id->key,
	    json_string(st->id)) != 0) {
		json_decref(args);
		return op_fail(err, errlen, CLI_USAGE, "%s is not valid UTF-8 "
		    "text", d->id->meta);
	}
	for (i = 0; i < st->nargs; i++) {
		if (st->list[i] != NULL)
			v = json_incref(st->list[i]);
		else if (st->val[i] != NULL)
			v = arg_json(st, i, st->val[i]);
		else if (d->args[i].def != NULL)
			v = arg_json(st, i, d->args[i].def);
		else
			continue;
		if (json_object_set_new(args, d->args[i].key, v) != 0) {
			json_decref(args);
			opt_name(d->args[i].key, name, sizeof(name));
			return op_fail(err, errlen, CLI_USAGE, "--%s is not "
			    "valid UTF-8 text", name);
		}
	}
	if (set_secret(args, "password", &st->pw) != 0 ||
	    set_secret(args, "new_password", &st->newpw) != 0 ||
	    set_secret(args, "officer_password", &st->offpw) != 0) {
		json_decref(args);
		return op_fail(err, errlen, CLI_USAGE, "a password is not "
		    "valid UTF-8 text");
	}
	*out = args;
	return CLI_OK;
}

int
op_print_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0)
		return CLI_FAIL;
	fputc('\n', stdout);
	return CLI_OK;
}

int
op_error(int code, const char *err)
{
	if (code != CLI_OK)
		cli_error("%s", err != NULL && err[0] != '\0' ? err :
		    "failed");
	return code;
}

void
op_print_receipt(const json_t *result)
{
	const char *receipt;
	json_t *seq;

	seq = json_object_get(result, "seq");
	if (json_is_integer(seq))
		printf("Recorded as event %lld.\n",
		    (long long)json_integer_value(seq));
	receipt = json_string_value(json_object_get(result, "receipt"));
	if (receipt != NULL) {
		printf("\nReceipt (keep with the paper form):\n");
		cli_print_text(stdout, receipt);
	}
}

/* After a write: what was done, a new id, other results, the receipt. */
static void
op_print_write(const struct op_state *st, const json_t *result)
{
	static const char *const skip[] = { "seq", "receipt", NULL };
	const struct op_desc *d = st->d;
	const char *subject, *newid = NULL;
	char safe[256];
	json_t *rest;
	int k;

	subject = st->id;
	if (subject == NULL && (k = arg_index(st, "user")) != -1)
		subject = st->val[k];
	if (d->created != NULL)
		newid = json_string_value(json_object_get(result, d->created));
	if (newid != NULL) {
		escape_text(newid, strlen(newid), safe, sizeof(safe));
		printf("%s %s\n", d->done, safe);
	} else if (subject != NULL) {
		escape_text(subject, strlen(subject), safe, sizeof(safe));
		printf("%s: %s\n", safe, d->done);
	} else
		printf("%s\n", d->done);
	if ((rest = json_deep_copy(result)) != NULL) {
		if (d->created != NULL)
			(void)json_object_del(rest, d->created);
		cli_print_object(stdout, rest, skip);
		json_decref(rest);
	}
	op_print_receipt(result);
}

static void
op_state_clear(struct op_state *st)
{
	size_t i;

	for (i = 0; i < OP_MAXARGS; i++) {
		free(st->typed[i]);
		json_decref(st->list[i]);
	}
	free(st->id_typed);
	cli_secret_clear(&st->pw);
	cli_secret_clear(&st->newpw);
	cli_secret_clear(&st->offpw);
	explicit_bzero(st->token, sizeof(st->token));
}

int
op_run(const struct op_desc *d, int argc, char **argv)
{
	struct op_state st;
	json_t *args = NULL, *result = NULL;
	char err[CLIENT_ERRLEN] = "";
	int r;

	memset(&st, 0, sizeof(st));
	st.d = d;
	if ((r = op_parse(&st, argc, argv, err, sizeof(err))) != CLI_OK)
		goto out;
	if (st.help) {
		op_help(d, stdout);
		goto out;
	}
	if ((r = op_validate(&st, err, sizeof(err))) != CLI_OK ||
	    (r = op_check_missing(&st, err, sizeof(err))) != CLI_OK ||
	    (r = client_session_load(st.token, 0, err, sizeof(err))) != 0 ||
	    (r = op_fill(&st, err, sizeof(err))) != CLI_OK ||
	    (r = op_secrets(&st, err, sizeof(err))) != CLI_OK ||
	    (r = op_build(&st, &args, err, sizeof(err))) != CLI_OK ||
	    (r = client_call(client_socket_path(st.sock), d->op, st.token,
	    args, &result, err, sizeof(err))) != CLI_OK)
		goto out;
	if (st.json)
		r = op_print_json(result);
	else if (d->print != NULL)
		r = d->print(result);
	else
		op_print_write(&st, result);
out:
	if (r != CLI_OK && err[0] != '\0')
		cli_error("%s", err);
	op_state_clear(&st);
	json_decref(args);
	json_decref(result);
	return r;
}

int
op_call(const char *sock, const char *op, json_t *args, int fd_in,
    int *fd_out, json_t **result)
{
	char token[CLIENT_TOKEN_HEX + 1], err[CLIENT_ERRLEN];
	int r;

	*result = NULL;
	if ((r = client_session_load(token, 0, err, sizeof(err))) != CLI_OK)
		return op_error(r, err);
	r = client_call_fd(client_socket_path(sock), op, token, args, fd_in,
	    fd_out, result, err, sizeof(err));
	explicit_bzero(token, sizeof(token));
	return r == CLI_OK ? CLI_OK : op_error(r, err);
}

int
op_secret(const char *opt, const char *file, const char *prompt,
    const char *again, struct cli_secret *s)
{
	char err[CLIENT_ERRLEN];
	int r;

	if (file != NULL)
		r = cli_secret_file(opt, file, s, err, sizeof(err));
	else if (!cli_interactive()) {
		(void)snprintf(err, sizeof(err), "missing --%s; without a "
		    "terminal nothing is asked", opt);
		return op_error(CLI_USAGE, err);
	} else
		r = cli_secret_ask(prompt, again, s, err, sizeof(err));
	return r == CLI_OK ? CLI_OK : op_error(r, err);
}
