/*
 * test_receipt.c -- unit tests for receipts (evidence/receipt.c).
 *
 * One station is made for the whole file (mkdtemp, station_init) with a
 * log of four events and checkpoints of sizes 1, 3 and 4; receipts come
 * from custody_log_receipt over that log, so their checkpoints carry real
 * signatures.  Hostile variants are made by editing the formatted text
 * line by line.  Every refusal must be CUSTODY_ERR_INVAL with a message
 * naming the problem, and must leave nothing allocated in the receipt.
 */
#include <ctype.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/error.h"
#include "evidence/log.h"
#include "evidence/station.h"
#include "evidence/verify.h"
#include "hashing/digest.h"

#define ERRLEN		512
#define ORIGIN		"school.example/custody-receipts"

struct fixture {
	char		 dir[64];
	char		 state[128];
	char		 fpr[SIGN_FPR_HEX];
	struct receipt	 rc;		/* of event 1: checkpoint size 3 */
	char		*text;		/* rc formatted */
};

/* ---- fixture ---- */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
append_batch(struct custody_log *log, const char *const *actions, size_t n)
{
	json_t *actor;
	uint64_t seq;
	size_t i;
	int r;

	if ((actor = json_pack("{s:s, s:s, s:i}", "user", "dsl", "role",
	    "staff", "uid", 1000)) == NULL)
		return CUSTODY_ERR_NOMEM;
	if ((r = custody_log_begin(log)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = custody_log_append(log, actions[i], actor, NULL, NULL,
		    &seq)) != 0) {
			custody_log_abort(log);
			goto out;
		}
	}
	r = custody_log_commit(log, NULL, 0);
out:
	json_decref(actor);
	return r;
}

static int
group_setup(void **state)
{
	static const char *const first[] = { "device.register", "device.seal" };
	static const char *const second[] = { "device.handover" };
	struct fixture *f;
	struct station *s = NULL;
	char err[ERRLEN];
	int r = -1;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/custody-receipt-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	(void)snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	*state = f;
	if (station_init(f->state, ORIGIN, f->fpr, err, sizeof(err)) != 0 ||
	    station_open(f->state, 0, &s, err, sizeof(err)) != 0 ||
	    append_batch(station_log(s), first, 2) != 0 ||
	    append_batch(station_log(s), second, 1) != 0 ||
	    custody_log_receipt(station_log(s), 1, &f->rc, err,
	    sizeof(err)) != 0 ||
	    receipt_format(&f->rc, &f->text) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "group_setup: %s\n", err);
	station_close(s);
	return r;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;

	(void)nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	receipt_clear(&f->rc);
	free(f->text);
	free(f);
	return 0;
}

/* ---- text editing helpers ---- */

/*
 * A copy of text with the header line starting with `name: ` replaced by
 * `line` (NULL: removed).  The line must exist.
 */
static char *
with_line(const char *text, const char *name, const char *line)
{
	char prefix[64], *out;
	const char *p, *eol;
	size_t plen, n = strlen(text), ll = line ? strlen(line) + 1 : 0;

	(void)snprintf(prefix, sizeof(prefix), "%s: ", name);
	plen = strlen(prefix);
	for (p = text; ; p = eol + 1) {
		assert_non_null(eol = strchr(p, '\n'));
		assert_true(eol != p);		/* not past the header */
		if (strncmp(p, prefix, plen) == 0)
			break;
	}
	assert_non_null(out = malloc(n + ll + 1));
	memcpy(out, text, (size_t)(p - text));
	if (line != NULL) {
		memcpy(out + (p - text), line, ll - 1);
		out[(p - text) + ll - 1] = '\n';
	}
	memcpy(out + (p - text) + ll, eol + 1,
	    n - (size_t)(eol + 1 - text) + 1);
	return out;
}

/* Every "\n" as "\r\n". */
static char *
crlf(const char *text)
{
	size_t n = strlen(text), i, o = 0;
	char *out;

	assert_non_null(out = malloc(2 * n + 1));
	for (i = 0; i < n; i++) {
		if (text[i] == '\n')
			out[o++] = '\r';
		out[o++] = text[i];
	}
	out[o] = '\0';
	return out;
}

/* The header, up to and including its blank line. */
static size_t
header_len(const char *text)
{
	const char *p = strstr(text, "\n\n");

	assert_non_null(p);
	return (size_t)(p - text) + 2;
}

/* ---- checks ---- */

static void
parse_ok(const char *text, size_t len, struct receipt *out)
{
	char err[ERRLEN] = "";
	int r;

	if ((r = receipt_parse(text, len, out, err, sizeof(err))) != 0)
		fail_msg("receipt_parse refused (%d): %s", r, err);
}

/* All that a receipt says equals what the log said. */
static void
assert_receipt_equal(const struct receipt *a, const struct receipt *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_string_equal(a->action, b->action);
	assert_memory_equal(a->leaf, b->leaf, 32);
	assert_string_equal(a->fingerprint, b->fingerprint);
	assert_int_equal(a->cp.size, b->cp.size);
	assert_memory_equal(a->cp.root, b->cp.root, 32);
	assert_string_equal(a->cp.origin, b->cp.origin);
}

/*
 * Whether text[0..len) is refused with CUSTODY_ERR_INVAL, a message saying
 * why, and nothing left allocated; if not, what happened goes into msg.
 * Frees whatever a wrong acceptance allocated, so a failing test leaks
 * nothing.
 */
static int
is_refused(const char *text, size_t len, const char *why, char *msg,
    size_t msglen)
{
	struct receipt rc;
	char err[ERRLEN] = "";
	int r, ok;

	memset(&rc, 0xa5, sizeof(rc));
	r = receipt_parse(text, len, &rc, err, sizeof(err));
	if (r == 0) {
		(void)snprintf(msg, msglen, "receipt_parse accepted it "
		    "(want CUSTODY_ERR_INVAL and \"%s\")", why);
		receipt_clear(&rc);
		return 0;
	}
	ok = r == CUSTODY_ERR_INVAL && strstr(err, why) != NULL &&
	    rc.note == NULL;
	if (!ok)
		(void)snprintf(msg, msglen, "receipt_parse returned %d with "
		    "\"%s\" (want CUSTODY_ERR_INVAL and \"%s\")%s", r, err,
		    why, rc.note != NULL ? "; note left allocated" : "");
	if (rc.note == NULL)
		receipt_clear(&rc);
	return ok;
}

static void
expect_refused_len(const char *text, size_t len, const char *why)
{
	char msg[ERRLEN + 128];

	if (!is_refused(text, len, why, msg, sizeof(msg)))
		fail_msg("%s", msg);
}

static void
expect_refused(const char *text, const char *why)
{
	expect_refused_len(text, strlen(text), why);
}

/* text with one header line replaced must be refused saying why. */
static void
expect_line_refused(const char *text, const char *name, const char *line,
    const char *why)
{
	char *t = with_line(text, name, line), msg[ERRLEN + 128];
	int ok = is_refused(t, strlen(t), why, msg, sizeof(msg));

	free(t);
	if (!ok)
		fail_msg("with \"%s\": %s", line ? line : "(no line)", msg);
}

/* ---- tests ---- */

static void
test_format_layout(void **state)
{
	struct fixture *f = *state;
	char want[256], leaf[65];

	assert_int_equal(f->rc.seq, 1);
	assert_string_equal(f->rc.action, "device.register");
	assert_int_equal(f->rc.cp.size, 3);
	assert_string_equal(f->rc.fingerprint, f->fpr);
	digest_hex(f->rc.leaf, 32, leaf);
	(void)snprintf(want, sizeof(want), "custody-receipt: 1\nevent: 1\n"
	    "action: device.register\nleaf: %s\nkey: %s\n\n" ORIGIN "\n3\n",
	    leaf, f->fpr);
	assert_int_equal(strncmp(f->text, want, strlen(want)), 0);
	assert_string_equal(f->text + header_len(f->text), f->rc.note);
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;

	parse_ok(f->text, strlen(f->text), &rc);
	assert_receipt_equal(&rc, &f->rc);
	assert_non_null(rc.note);
	assert_string_equal(rc.note, f->rc.note);
	receipt_clear(&rc);
	assert_null(rc.note);
}

/* Receipts of the first and the last event, formatted and parsed back. */
static void
test_round_trip_other_events(void **state)
{
	struct fixture *f = *state;
	struct station *s = NULL;
	struct receipt rc, back;
	char err[ERRLEN] = "", *text = NULL;
	static const uint64_t seqs[] = { 0, 2, 3 };
	static const uint64_t sizes[] = { 1, 3, 4 };
	size_t i;

	assert_int_equal(station_open(f->state, STORE_RDONLY, &s, err,
	    sizeof(err)), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(custody_log_receipt(station_log(s), seqs[i],
		    &rc, err, sizeof(err)), 0);
		assert_int_equal(rc.cp.size, sizes[i]);
		assert_int_equal(receipt_format(&rc, &text), 0);
		parse_ok(text, strlen(text), &back);
		assert_receipt_equal(&back, &rc);
		receipt_clear(&back);
		receipt_clear(&rc);
		free(text);
		text = NULL;
	}
	/* No receipt for an event that does not exist. */
	err[0] = '\0';
	assert_int_equal(custody_log_receipt(station_log(s), 4, &rc, err,
	    sizeof(err)), CUSTODY_ERR_NOTFOUND);
	assert_non_null(strstr(err, "no event 4"));
	assert_null(rc.note);
	station_close(s);
}

/* A parsed receipt is what `custody log verify --against` takes. */
static void
test_parsed_receipt_verifies(void **state)
{
	struct fixture *f = *state;
	struct verify_opts opts;
	struct verify_result res;
	struct station *s = NULL;
	struct receipt rc;
	char err[ERRLEN] = "";
	int r;

	parse_ok(f->text, strlen(f->text), &rc);
	assert_int_equal(station_open(f->state, STORE_RDONLY, &s, err,
	    sizeof(err)), 0);
	memset(&opts, 0, sizeof(opts));
	opts.against = &rc;
	if ((r = log_verify(station_store(s), &opts, &res, err,
	    sizeof(err))) != 0)
		fail_msg("log_verify --against: %d %s", r, err);
	/* A receipt whose leaf differs names the event. */
	rc.leaf[0] ^= 1;
	err[0] = '\0';
	assert_int_equal(log_verify(station_store(s), &opts, &res, err,
	    sizeof(err)), CUSTODY_ERR_VERIFY);
	assert_non_null(strstr(err, "event 1"));
	station_close(s);
	receipt_clear(&rc);
}

/* CRLF in the header only (the note as signed). */
static void
test_parse_crlf_header(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	char *t;

	/* Convert only the header's line ends. */
	{
		size_t h = header_len(f->text);
		char *head = strndup(f->text, h), *hc;

		assert_non_null(head);
		hc = crlf(head);
		assert_non_null(t = malloc(strlen(hc) + strlen(f->text) + 1));
		memcpy(t, hc, strlen(hc));
		memcpy(t + strlen(hc), f->text + h, strlen(f->text + h) + 1);
		free(head);
		free(hc);
	}
	parse_ok(t, strlen(t), &rc);
	assert_receipt_equal(&rc, &f->rc);
	assert_string_equal(rc.note, f->rc.note);
	receipt_clear(&rc);
	free(t);
}

/*
 * A receipt saved or typed on Windows has CRLF on every line, the
 * checkpoint's too.  It must parse to the same receipt, with the note as
 * signed (LF), so that the note's signature still verifies.
 */
static void
test_parse_crlf_everywhere(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	char *t = crlf(f->text), err[ERRLEN] = "";
	int r;

	r = receipt_parse(t, strlen(t), &rc, err, sizeof(err));
	free(t);
	if (r != 0)
		fail_msg("receipt_parse refused a CRLF receipt (%d): %s", r,
		    err);
	assert_receipt_equal(&rc, &f->rc);
	assert_string_equal(rc.note, f->rc.note);
	receipt_clear(&rc);
}

/* The key as `openssl x509 -noout -fingerprint -sha256` prints it. */
static void
test_parse_openssl_fingerprint(void **state)
{
	struct fixture *f = *state;
	char line[256], leafline[256];
	struct receipt rc;
	char *t, *t2;
	size_t i, o;

	o = (size_t)snprintf(line, sizeof(line), "key: ");
	for (i = 0; i < 64; i += 2) {
		if (i > 0)
			line[o++] = ':';
		line[o++] = (char)toupper((unsigned char)f->fpr[i]);
		line[o++] = (char)toupper((unsigned char)f->fpr[i + 1]);
	}
	line[o] = '\0';
	assert_int_equal(strlen(line), 5 + 95);
	t = with_line(f->text, "key", line);
	/* And the leaf in upper case. */
	o = (size_t)snprintf(leafline, sizeof(leafline), "leaf: ");
	for (i = 0; i < 32; i++)
		o += (size_t)snprintf(leafline + o, sizeof(leafline) - o,
		    "%02X", f->rc.leaf[i]);
	t2 = with_line(t, "leaf", leafline);
	parse_ok(t2, strlen(t2), &rc);
	assert_receipt_equal(&rc, &f->rc);
	assert_string_equal(rc.fingerprint, f->fpr);	/* lower case */
	receipt_clear(&rc);
	free(t);
	free(t2);
}

static void
test_refuses_empty_and_binary(void **state)
{
	struct fixture *f = *state;
	char *t;
	size_t n = strlen(f->text);

	expect_refused_len("", 0, "not a custody receipt");
	expect_refused("\n", "needs custody-receipt, event, leaf and key");
	expect_refused("\n\n", "needs custody-receipt, event, leaf and key");
	/* A NUL anywhere, found by length. */
	assert_non_null(t = strdup(f->text));
	t[10] = '\0';
	expect_refused_len(t, n, "binary");
	memcpy(t, f->text, n);
	t[n - 1] = '\0';
	expect_refused_len(t, n, "binary");
	free(t);
	/* Random bytes. */
	expect_refused_len("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "binary");
}

static void
test_refuses_missing_lines(void **state)
{
	static const char *const required[] = {
		"custody-receipt", "event", "leaf", "key",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		expect_line_refused(f->text, required[i], NULL,
		    "needs custody-receipt, event, leaf and key");
	/* No header at all: just the note. */
	expect_refused(f->rc.note, "not a custody receipt");
	/* A header with no note after it. */
	{
		size_t h = header_len(f->text);
		char *t = strndup(f->text, h);

		assert_non_null(t);
		expect_refused(t, "checkpoint is malformed");
		t[h - 1] = '\0';	/* and without the blank line */
		expect_refused(t, "no checkpoint after the header");
		free(t);
	}
}

static void
test_refuses_bad_hex(void **state)
{
	struct fixture *f = *state;
	char line[256], hex[65];
	struct { const char *name; const uint8_t *bin; } field[2];
	size_t k;

	field[0].name = "leaf";
	field[0].bin = f->rc.leaf;
	field[1].name = "key";
	field[1].bin = NULL;
	for (k = 0; k < 2; k++) {
		char why[32];

		if (field[k].bin != NULL)
			digest_hex(field[k].bin, 32, hex);
		else
			memcpy(hex, f->fpr, 65);
		(void)snprintf(why, sizeof(why), "bad %s", field[k].name);
		/* A non-hex digit. */
		(void)snprintf(line, sizeof(line), "%s: g%s", field[k].name,
		    hex + 1);
		expect_line_refused(f->text, field[k].name, line, why);
		/* 62 and 66 digits, an odd 63 and 65. */
		(void)snprintf(line, sizeof(line), "%s: %.62s", field[k].name,
		    hex);
		expect_line_refused(f->text, field[k].name, line, why);
		(void)snprintf(line, sizeof(line), "%s: %s00", field[k].name,
		    hex);
		expect_line_refused(f->text, field[k].name, line, why);
		(void)snprintf(line, sizeof(line), "%s: %.63s", field[k].name,
		    hex);
		expect_line_refused(f->text, field[k].name, line, why);
		(void)snprintf(line, sizeof(line), "%s: %s0", field[k].name,
		    hex);
		expect_line_refused(f->text, field[k].name, line, why);
		/* Empty, spaces, a colon inside a byte. */
		(void)snprintf(line, sizeof(line), "%s: ", field[k].name);
		expect_line_refused(f->text, field[k].name, line, why);
		(void)snprintf(line, sizeof(line), "%s:  %s", field[k].name,
		    hex);
		expect_line_refused(f->text, field[k].name, line, why);
		(void)snprintf(line, sizeof(line), "%s: %c:%s", field[k].name,
		    hex[0], hex + 1);
		expect_line_refused(f->text, field[k].name, line, why);
		(void)snprintf(line, sizeof(line), "%s: 0x%.62s",
		    field[k].name, hex);
		expect_line_refused(f->text, field[k].name, line, why);
	}
}

static void
test_refuses_bad_event(void **state)
{
	static const char *const bad[] = {
		"event: 01", "event: 00", "event: -1", "event: +1",
		"event: 1x", "event: 1 ", "event:  1", "event: ",
		"event: 0x1", "event: 18446744073709551617",
		"event: 4611686018427387904",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_line_refused(f->text, "event", bad[i], "bad event");
	expect_line_refused(f->text, "custody-receipt", "custody-receipt: 2",
	    "bad custody-receipt");
	expect_line_refused(f->text, "action", "colour: red", "bad colour");
	expect_line_refused(f->text, "action", "action without colon",
	    "is not 'name: value'");
	expect_line_refused(f->text, "action", "action:device.seal",
	    "is not 'name: value'");
}

/* The checkpoint must contain the event: seq < size. */
static void
test_refuses_event_beyond_checkpoint(void **state)
{
	struct fixture *f = *state;

	/* The checkpoint has size 3: events 0..2. */
	{
		struct receipt rc;
		char *t = with_line(f->text, "event", "event: 2");

		parse_ok(t, strlen(t), &rc);	/* 2 < 3: fine */
		assert_int_equal(rc.seq, 2);
		receipt_clear(&rc);
		free(t);
	}
	expect_line_refused(f->text, "event", "event: 3",
	    "does not contain the event");
	expect_line_refused(f->text, "event", "event: 1000",
	    "does not contain the event");
}

static void
test_refuses_garbage_checkpoint(void **state)
{
	struct fixture *f = *state;
	size_t h = header_len(f->text);
	char *t, *p;
	const char *tails[] = {
		"garbage\n",
		"hello world",
		ORIGIN "\n3\nnot base64\n\n\xe2\x80\x94 x AAAA\n",
		ORIGIN "\n3\n",
		"\n",
	};
	size_t i;

	assert_non_null(t = malloc(h + 8192));
	memcpy(t, f->text, h);
	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		memcpy(t + h, tails[i], strlen(tails[i]) + 1);
		expect_refused(t, "checkpoint is malformed");
	}
	/* The real note with its root line damaged. */
	memcpy(t + h, f->rc.note, strlen(f->rc.note) + 1);
	assert_non_null(p = strstr(t + h, "\n3\n"));
	p[3] = p[3] == 'A' ? 'B' : 'A';
	p[4] = '!';
	expect_refused(t, "checkpoint is malformed");
	/* The real note without its signature line. */
	memcpy(t + h, f->rc.note, strlen(f->rc.note) + 1);
	assert_non_null(p = strstr(t + h, "\n\n"));
	p[2] = '\0';
	expect_refused(t, "checkpoint is malformed");
	free(t);
}

static void
test_refuses_oversize(void **state)
{
	struct fixture *f = *state;
	size_t n = strlen(f->text), big = 8193;
	char *t;

	assert_non_null(t = malloc(big + 1));
	memcpy(t, f->text, n);
	memset(t + n, 'A', big - n);
	t[big] = '\0';
	expect_refused_len(t, big, "too long");
	free(t);

	/* A header line too long for the parser's line buffer. */
	assert_non_null(t = malloc(n + 700));
	memcpy(t, "action: ", 8);
	memset(t + 8, 'x', 600);
	t[608] = '\n';
	memcpy(t + 609, f->text, n + 1);
	expect_refused(t, "too long");
	free(t);
	/* An action of 64 bytes or more does not fit in the receipt. */
	{
		char line[128];

		(void)snprintf(line, sizeof(line), "action: %064d", 0);
		expect_line_refused(f->text, "action", line, "bad action");
	}
}

/*
 * A field given twice is ambiguous: a person reading the paper sees the
 * first, the parser would keep the last.  It must be refused.
 */
static void
test_refuses_duplicate_lines(void **state)
{
	struct fixture *f = *state;
	char *t, msg[2][ERRLEN + 128];
	size_t n = strlen(f->text);
	int ok[2];

	/* "event: 2" first and "event: 1" later; then the same for action. */
	assert_non_null(t = malloc(n + 32));
	memcpy(t, "event: 2\n", 9);
	memcpy(t + 9, f->text, n + 1);
	ok[0] = is_refused(t, strlen(t), "event", msg[0], sizeof(msg[0]));
	memcpy(t, "action: device.seal\n", 20);
	memcpy(t + 20, f->text, n + 1);
	ok[1] = is_refused(t, strlen(t), "action", msg[1], sizeof(msg[1]));
	free(t);
	if (!ok[0])
		fail_msg("two event lines: %s", msg[0]);
	if (!ok[1])
		fail_msg("two action lines: %s", msg[1]);
}

static void
test_clear_and_format_edges(void **state)
{
	struct fixture *f = *state;
	struct receipt rc;
	char *text = NULL;

	memset(&rc, 0, sizeof(rc));
	receipt_clear(&rc);		/* zeroed: safe */
	rc.seq = 7;
	(void)snprintf(rc.action, sizeof(rc.action), "device.seal");
	(void)snprintf(rc.fingerprint, sizeof(rc.fingerprint), "%s", f->fpr);
	assert_int_equal(receipt_format(&rc, &text), 0);
	/* Without a note there is nothing to parse back. */
	expect_refused(text, "checkpoint is malformed");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_other_events),
		cmocka_unit_test(test_parsed_receipt_verifies),
		cmocka_unit_test(test_parse_crlf_header),
		cmocka_unit_test(test_parse_crlf_everywhere),
		cmocka_unit_test(test_parse_openssl_fingerprint),
		cmocka_unit_test(test_refuses_empty_and_binary),
		cmocka_unit_test(test_refuses_missing_lines),
		cmocka_unit_test(test_refuses_bad_hex),
		cmocka_unit_test(test_refuses_bad_event),
		cmocka_unit_test(test_refuses_event_beyond_checkpoint),
		cmocka_unit_test(test_refuses_garbage_checkpoint),
		cmocka_unit_test(test_refuses_oversize),
		cmocka_unit_test(test_refuses_duplicate_lines),
		cmocka_unit_test(test_clear_and_format_edges),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
