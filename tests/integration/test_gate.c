/*
 * test_gate.c -- evidence items and the view gate, through the real CLI
 * and daemon: intake with --shred-source, no plaintext at rest, the
 * refusal matrix (role, missing or short justification, witness missing,
 * wrong or self, wrong step-up, no grant, another user's grant, expired
 * and replayed grants), a real view through a sealed memfd, a tampered
 * blob refused with nothing released, and crypto-shredding refused while
 * the case is flagged, then done, with the record and hashes kept.
 *
 * The test is also its own viewer: run as `test_gate /proc/self/fd/3` (as
 * custody view runs a viewer) it checks that it got a sealed memfd, not a
 * file, and writes the content's SHA-256 to $GATE_VIEW_OUT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <openssl/evp.h>
#include <ftw.h>

#include "harness.h"

#define MARKER	"CUSTODY-GATE-MARKER-3b8e51"
#define DSL_PW	"marble otter lantern five"
#define DSL2_PW	"quartz heron meadow six"
#define HEAD_PW	"cedar violin harbour two"
#define SLT_PW	"river lantern otter nine"
#define WHY	"The pupil says the image shows her and was shared without " \
		"consent; I must confirm what it shows to decide the referral."

static struct harness H;
static char dsl[65], dsl2[65], slt[65];
static char viewer_self[PATH_MAX];

static char *
file_in(const char *name, const char *content)
{
	static char paths[8][256];
	static int k;
	char *p = paths[k++ % 8];
	FILE *fp;

	(void)snprintf(p, 256, "%s/%s", H.dir, name);
	assert_non_null(fp = fopen(p, "w"));
	fputs(content, fp);
	fclose(fp);
	return p;
}

static long
count_action(const char *action)
{
	char path[200], sql[200];
	sqlite3 *db;
	sqlite3_stmt *s;
	long n = -1;

	(void)snprintf(path, sizeof(path), "%s/custody.db", H.state);
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE "
	    "action = '%s'", action);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

/* ---- scanning everything at rest for some bytes ---- */

static const uint8_t *scan_needle;
static size_t scan_len;
static char scan_found[PATH_MAX];

static int
scan_file(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	uint8_t *buf;
	FILE *fp;
	size_t n;

	(void)f;
	if (flag != FTW_F || !S_ISREG(sb->st_mode) || sb->st_size == 0 ||
	    strstr(path, "/cli.out") != NULL)
		return 0;
	if ((buf = malloc((size_t)sb->st_size)) == NULL ||
	    (fp = fopen(path, "r")) == NULL) {
		free(buf);
		return 0;
	}
	n = fread(buf, 1, (size_t)sb->st_size, fp);
	fclose(fp);
	if (memmem(buf, n, scan_needle, scan_len) != NULL)
		(void)snprintf(scan_found, sizeof(scan_found), "%s", path);
	free(buf);
	return scan_found[0] != '\0';
}

/* Returns the path of a file under the test's directory holding needle. */
static const char *
scan_for(const void *needle, size_t len)
{
	scan_needle = needle;
	scan_len = len;
	scan_found[0] = '\0';
	(void)nftw(H.dir, scan_file, 16, FTW_PHYS);
	return scan_found[0] ? scan_found : NULL;
}

/* The item key: the recorded wrapped key unwrapped with master.key. */
static void
item_key(const char *item, uint8_t key[32], char wrapped_hex[81])
{
	char path[200], sql[200];
	uint8_t master[32], wrapped[40];
	sqlite3 *db;
	sqlite3_stmt *s;
	EVP_CIPHER_CTX *c;
	FILE *fp;
	int n = 0, m = 0, i;

	(void)snprintf(path, sizeof(path), "%s/master.key", H.state);
	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fread(master, 1, 32, fp), 32);
	fclose(fp);
	(void)snprintf(path, sizeof(path), "%s/custody.db", H.state);
	(void)snprintf(sql, sizeof(sql), "SELECT wrapped FROM items WHERE id "
	    "= '%s'", item);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	(void)snprintf(wrapped_hex, 81, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	for (i = 0; i < 40; i++)
		assert_int_equal(sscanf(wrapped_hex + 2 * i, "%2hhx",
		    &wrapped[i]), 1);
	assert_non_null(c = EVP_CIPHER_CTX_new());
	EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_wrap_pad(), NULL,
	    master, NULL), 1);
	assert_int_equal(EVP_DecryptUpdate(c, key, &n, wrapped, 40), 1);
	assert_int_equal(EVP_DecryptFinal_ex(c, key + n, &m), 1);
	assert_int_equal(n + m, 32);
	EVP_CIPHER_CTX_free(c);
}

static void
add_user(const char *admin, const char *user, const char *role,
    const char *pw)
{
	char args[512];
	json_t *rep;

	(void)snprintf(args, sizeof(args), "{\"user\":\"%s\",\"role\":\"%s\","
	    "\"new_password\":\"%s\",\"password\":\"%s\"}", user, role, pw,
	    H_ADMIN_PW);
	rep = h_req(&H, admin, "user.add", args);
	if (!h_ok(rep))
		fail_msg("user.add %s: %s", user, h_msg(rep));
	json_decref(rep);
}

static int
setup(void **unused)
{
	char admin[65];
	json_t *rep;

	if (h_start(&H, "view_window = 2\n") != 0 ||
	    h_login(&H, H_ADMIN, H_ADMIN_PW, admin) == NULL)
		return -1;
	add_user(admin, "dee", "dsl", DSL_PW);
	add_user(admin, "dan", "dsl", DSL2_PW);
	add_user(admin, "hal", "head", HEAD_PW);
	add_user(admin, "sue", "slt", SLT_PW);
	if (h_login(&H, "dee", DSL_PW, dsl) == NULL ||
	    h_login(&H, "dan", DSL2_PW, dsl2) == NULL ||
	    h_login(&H, "sue", SLT_PW, slt) == NULL)
		return -1;
	rep = h_req(&H, dsl, "case.open", "{\"category\":\"nudes\","
	    "\"summary\":\"image shared in a group chat\"}");
	json_decref(rep);
	rep = h_req(&H, dsl, "case.open", "{\"category\":\"bullying\","
	    "\"summary\":\"unkind messages\"}");
	json_decref(rep);
	return 0;
}

static int
teardown(void **unused)
{
	h_finish(&H);
	return 0;
}

/* A fake JPEG carrying the marker, added with --shred-source. */
static void
test_intake_and_nothing_in_clear(void **unused)
{
	char src[256], cmd[1024], pw[256];
	struct h_out o;
	json_t *j;
	FILE *fp;
	int i;

	(void)snprintf(pw, sizeof(pw), "%s", file_in("pw-dee", DSL_PW "\n"));
	h_cli(&H, &o, "dee", "login", "--user", "dee", "--password-file", pw,
	    NULL);
	assert_int_equal(o.status, 0);
	(void)snprintf(src, sizeof(src), "%s/evidence.jpg", H.dir);
	assert_non_null(fp = fopen(src, "w"));
	fputs("\xff\xd8\xff\xe0", fp);
	for (i = 0; i < 5000; i++)
		fprintf(fp, "%s-%d ", MARKER, i);
	fclose(fp);
	h_cli(&H, &o, "dee", "item", "add", "CASE-0001", src, "--shred-source",
	    "--md5", "--json", NULL);
	if (o.status != 0)
		fail_msg("item add: %s", o.text);
	assert_non_null(j = json_loads(o.text, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "item")),
	    "ITEM-0001");
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "image/jpeg");
	assert_true(json_is_true(json_object_get(j, "gated")));
	assert_non_null(json_object_get(j, "md5"));
	json_decref(j);
	assert_int_equal(access(src, F_OK), -1);	/* shredded */
	/*
	 * Nowhere under the station's directory, database included, nor in
	 * a /tmp/custody-* the tools left.  Other harness directories
	 * (custody-it-*) are other tests' stations, perhaps another tree's
	 * run of this very test with its marker in a source file: not ours.
	 */
	(void)snprintf(cmd, sizeof(cmd), "grep -rla '%s' '%s' $(find /tmp "
	    "-maxdepth 1 -name 'custody-*' ! -name 'custody-it-*') "
	    "2>/dev/null | grep -v '/cli.out$'", MARKER, H.dir);
	if (system(cmd) == 0)
		fail_msg("the marker was found at rest (see above)");
	h_cli(&H, &o, "dee", "item", "list", "CASE-0001", "--json", NULL);
	assert_int_equal(o.status, 0);
	assert_null(strstr(o.text, "wrapped"));
	assert_null(strstr(o.text, MARKER));
	/* Nor the item key itself, anywhere (database, WAL, blobs, logs). */
	{
		uint8_t key[32];
		char hex[81], khex[65];
		const char *where;

		item_key("ITEM-0001", key, hex);
		if ((where = scan_for(key, 32)) != NULL)
			fail_msg("the item key is at rest in %s", where);
		for (i = 0; i < 32; i++)
			(void)snprintf(khex + 2 * i, 3, "%02x", key[i]);
		if ((where = scan_for(khex, 64)) != NULL)
			fail_msg("the item key (hex) is at rest in %s", where);
		if ((where = scan_for(MARKER, strlen(MARKER))) != NULL)
			fail_msg("the marker is at rest in %s", where);
	}
}

static void
expect_refused(const char *token, const char *op, const char *args,
    const char *code, const char *what)
{
	long before = count_action("access.denied"), after;
	json_t *rep = h_req(&H, token, op, args);

	after = count_action("access.denied");
	if (strcmp(h_code(rep), code) != 0 || strstr(h_msg(rep), what) ==
	    NULL)
		fail_msg("%s: expected %s '%s', got %s: %s", op, code, what,
		    h_code(rep), h_msg(rep));
	if (strcmp(code, "bad_request") != 0 && after != before + 1)
		fail_msg("%s refusal not logged", op);
	json_decref(rep);
}

#define JUSTIFY(extra) "{\"item\":\"ITEM-0001\",\"reason\":" \
	"\"decide_referral\",\"text\":\"" WHY "\",\"head_consulted\":" \
	"\"Mr H Head\",\"location\":\"DSL office\",\"same_sex\":true," \
	"\"password\":\"" DSL_PW "\"" extra "}"
#define WITNESS ",\"witness_user\":\"hal\",\"witness_password\":\"" \
	HEAD_PW "\""

static char *
grant(const char *token, const char *pw)
{
	static char g[65];
	char args[1024];
	json_t *rep;

	(void)snprintf(args, sizeof(args), "{\"item\":\"ITEM-0001\","
	    "\"reason\":\"decide_referral\",\"text\":\"%s\","
	    "\"head_consulted\":\"Mr H Head\",\"location\":\"DSL office\","
	    "\"same_sex\":true,\"password\":\"%s\"%s}", WHY, pw, WITNESS);
	rep = h_req(&H, token, "view.justify", args);
	if (!h_ok(rep))
		fail_msg("justify: %s", h_msg(rep));
	assert_non_null(h_result_str(rep, "grant", g, sizeof(g)));
	json_decref(rep);
	return g;
}

static void
test_refusals(void **unused)
{
	char args[256], *g;

	expect_refused(slt, "view.justify", JUSTIFY(WITNESS), "forbidden",
	    "role slt cannot view.justify");
	expect_refused(dsl, "view.justify", "{\"item\":\"ITEM-0001\","
	    "\"password\":\"" DSL_PW "\"}", "bad_request", "missing reason");
	expect_refused(dsl, "view.justify", "{\"item\":\"ITEM-0001\","
	    "\"reason\":\"other\",\"text\":\"too short\",\"head_consulted\":"
	    "\"H\",\"location\":\"L\",\"same_sex\":true,\"password\":\""
	    DSL_PW "\"" WITNESS "}", "bad_request", "at least 40");
	expect_refused(dsl, "view.justify", JUSTIFY(""), "bad_request",
	    "missing witness_user");
	expect_refused(dsl, "view.justify", JUSTIFY(",\"witness_user\":"
	    "\"hal\",\"witness_password\":\"wrong\""), "refused",
	    "witness's sign-in failed");
	expect_refused(dsl, "view.justify", JUSTIFY(",\"witness_user\":"
	    "\"dee\",\"witness_password\":\"" DSL_PW "\""), "refused",
	    "another person");
	expect_refused(dsl, "view.justify", "{\"item\":\"ITEM-0001\","
	    "\"reason\":\"decide_referral\",\"text\":\"" WHY "\","
	    "\"head_consulted\":\"H\",\"location\":\"L\",\"same_sex\":false,"
	    "\"password\":\"" DSL_PW "\"" WITNESS "}", "bad_request",
	    "same_sex_reason");
	expect_refused(dsl, "view.justify", "{\"item\":\"ITEM-0001\","
	    "\"reason\":\"decide_referral\",\"text\":\"" WHY "\","
	    "\"head_consulted\":\"H\",\"location\":\"L\",\"same_sex\":true,"
	    "\"password\":\"not mine\"" WITNESS "}", "refused", "step-up");
	expect_refused(dsl, "view.open", "{\"item\":\"ITEM-0001\"}",
	    "bad_request", "missing grant");
	memset(args, 0, sizeof(args));
	expect_refused(dsl, "view.open", "{\"item\":\"ITEM-0001\",\"grant\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000"
	    "\"}", "refused", "no such grant");
	/* Another DSL cannot use dee's grant. */
	g = grant(dsl, DSL_PW);
	(void)snprintf(args, sizeof(args), "{\"item\":\"ITEM-0001\","
	    "\"grant\":\"%s\"}", g);
	expect_refused(dsl2, "view.open", args, "refused", "someone else");
	/* Expired: the window is 2 s in this test. */
	h_sleep_ms(2500);
	expect_refused(dsl, "view.open", args, "refused", "expired");
	/* Used once, then replayed. */
	g = grant(dsl, DSL_PW);
	(void)snprintf(args, sizeof(args), "{\"item\":\"ITEM-0001\","
	    "\"grant\":\"%s\"}", g);
	json_decref(h_req(&H, dsl, "view.open", args));
	expect_refused(dsl, "view.open", args, "refused", "no such grant");
}

static int
sha256_file_hex(const char *path, char hex[65])
{
	unsigned char md[32], buf[4096];
	unsigned int mdlen;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	FILE *fp = fopen(path, "r");
	size_t n;
	int i;

	if (fp == NULL || c == NULL)
		return -1;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		EVP_DigestUpdate(c, buf, n);
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	fclose(fp);
	for (i = 0; i < 32; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static void
test_view_through_memfd(void **unused)
{
	char out[256], got[512], want[65] = "", pw[256], wpw[256], env[300];
	struct h_out o;
	json_t *rep, *items;
	FILE *fp;
	long views = count_action("gate.view");

	(void)snprintf(pw, sizeof(pw), "%s", file_in("pw-dee", DSL_PW "\n"));
	(void)snprintf(wpw, sizeof(wpw), "%s", file_in("pw-hal",
	    HEAD_PW "\n"));
	(void)snprintf(out, sizeof(out), "%s/viewed", H.dir);
	(void)snprintf(env, sizeof(env), "%s", out);
	setenv("GATE_VIEW_OUT", env, 1);
	h_cli(&H, &o, "dee", "view", "ITEM-0001", "--reason", "decide_referral",
	    "--text", WHY, "--head-consulted", "Mr H Head", "--location",
	    "DSL office", "--same-sex", "yes", "--witness", "hal",
	    "--witness-password-file", wpw, "--password-file", pw, "--viewer",
	    viewer_self, NULL);
	if (o.status != 0)
		fail_msg("custody view: %s", o.text);
	assert_non_null(fp = fopen(out, "r"));
	assert_non_null(fgets(got, sizeof(got), fp));
	fclose(fp);
	rep = h_req(&H, dsl, "item.list", "{\"case\":\"CASE-0001\"}");
	items = json_object_get(json_object_get(rep, "result"), "items");
	(void)snprintf(want, sizeof(want), "%s", json_string_value(
	    json_object_get(json_array_get(items, 0), "sha256")));
	json_decref(rep);
	if (strncmp(got, want, 64) != 0 || strstr(got, "memfd") == NULL ||
	    strstr(got, "sealed") == NULL)
		fail_msg("viewer saw '%s', want sha256 %s from a sealed memfd",
		    got, want);
	assert_int_equal(count_action("gate.view"), views + 1);
	unlink(out);
}

static void
test_tampered_blob_releases_nothing(void **unused)
{
	char blob[256], out[256], pw[256], wpw[256];
	struct h_out o;
	FILE *fp;

	(void)snprintf(blob, sizeof(blob), "%s/items/ITEM-0001.blob",
	    H.state);
	assert_non_null(fp = fopen(blob, "r+"));
	fseek(fp, 40000, SEEK_SET);
	fputc(fgetc(fp) ^ 0x01, fp);
	fclose(fp);
	(void)snprintf(pw, sizeof(pw), "%s", file_in("pw-dee", DSL_PW "\n"));
	(void)snprintf(wpw, sizeof(wpw), "%s", file_in("pw-hal",
	    HEAD_PW "\n"));
	(void)snprintf(out, sizeof(out), "%s/viewed", H.dir);
	setenv("GATE_VIEW_OUT", out, 1);
	h_cli(&H, &o, "dee", "view", "ITEM-0001", "--reason", "decide_referral",
	    "--text", WHY, "--head-consulted", "Mr H Head", "--location",
	    "DSL office", "--same-sex", "yes", "--witness", "hal",
	    "--witness-password-file", wpw, "--password-file", pw, "--viewer",
	    viewer_self, NULL);
	if (o.status != 12 || strstr(o.text, "nothing was released") == NULL)
		fail_msg("tampered view: %d %s", o.status, o.text);
	assert_int_equal(access(out, F_OK), -1);	/* viewer never ran */
	assert_true(count_action("gate.view_failed") >= 1);
}

static void
test_delete_locked_then_shredded(void **unused)
{
	char src[256], blob[256], db[256], wrapped[81];
	char *argv[] = { getenv("CUSTODY_BIN"), "log", "verify", "--db", db,
	    NULL };
	const char *where;
	uint8_t key[32];
	struct h_out o;
	json_t *rep;

	(void)snprintf(src, sizeof(src), "%s", file_in("note.pdf",
	    "%PDF-1.4 a screenshot of messages " MARKER));
	h_cli(&H, &o, "dee", "item", "add", "CASE-0002", src, NULL);
	assert_int_equal(o.status, 0);
	json_decref(h_req(&H, dsl, "case.flag", "{\"case\":\"CASE-0002\","
	    "\"flag\":\"offence_suspected\",\"value\":true,\"why\":\"threats"
	    "\"}"));
	rep = h_req(&H, dsl, "item.delete", "{\"item\":\"ITEM-0002\","
	    "\"why\":\"resolved\",\"no_agency_needs\":true,\"password\":\""
	    DSL_PW "\"}");
	assert_string_equal(h_code(rep), "refused");
	assert_non_null(strstr(h_msg(rep), "flagged"));
	json_decref(rep);
	json_decref(h_req(&H, dsl, "case.flag", "{\"case\":\"CASE-0002\","
	    "\"flag\":\"offence_suspected\",\"value\":false,\"why\":\"police "
	    "say no offence\"}"));
	rep = h_req(&H, dsl, "item.delete", "{\"item\":\"ITEM-0002\","
	    "\"why\":\"resolved\",\"password\":\"" DSL_PW "\"}");
	assert_string_equal(h_code(rep), "refused");
	assert_non_null(strstr(h_msg(rep), "no other agency"));
	json_decref(rep);
	item_key("ITEM-0002", key, wrapped);
	rep = h_req(&H, dsl, "item.delete", "{\"item\":\"ITEM-0002\","
	    "\"why\":\"resolved\",\"no_agency_needs\":true,\"password\":\""
	    DSL_PW "\"}");
	if (!h_ok(rep))
		fail_msg("delete: %s", h_msg(rep));
	json_decref(rep);
	/* The wrapped key is gone from the database, free pages and WAL
	 * included (secure_delete): the content cannot be recovered. */
	if ((where = scan_for(wrapped, 80)) != NULL)
		fail_msg("the deleted item's wrapped key remains in %s", where);
	if ((where = scan_for(key, 32)) != NULL)
		fail_msg("the deleted item's key remains in %s", where);
	(void)snprintf(blob, sizeof(blob), "%s/items/ITEM-0002.blob",
	    H.state);
	assert_int_equal(access(blob, F_OK), -1);
	rep = h_req(&H, dsl, "item.list", "{\"case\":\"CASE-0002\"}");
	{
		json_t *it = json_array_get(json_object_get(json_object_get(
		    rep, "result"), "items"), 0);

		assert_string_equal(json_string_value(json_object_get(it,
		    "state")), "deleted");
		assert_int_equal(strlen(json_string_value(json_object_get(it,
		    "sha256"))), 64);
	}
	json_decref(rep);
	(void)snprintf(db, sizeof(db), "%s/custody.db", H.state);
	assert_int_equal(h_run(argv, NULL), 0);
}

static void
test_device_unseal_for_viewing(void **unused)
{
	json_t *rep;
	char dev[32];
	long before = count_action("device.unseal");

	rep = h_req(&H, dsl, "device.register", "{\"pupil\":\"P-7\","
	    "\"reason\":\"suspected_nudes\",\"location\":\"safe\","
	    "\"seal\":\"S-1\",\"power\":\"off\"}");
	assert_non_null(h_result_str(rep, "device", dev, sizeof(dev)));
	json_decref(rep);
	expect_refused(dsl, "device.unseal", "{\"device\":\"DEV-0001\","
	    "\"password\":\"" DSL_PW "\"}", "bad_request", "for_viewing");
	expect_refused(dsl, "device.unseal", "{\"device\":\"DEV-0001\","
	    "\"for_viewing\":true,\"reason\":\"child_shown\",\"text\":\""
	    WHY "\",\"head_consulted\":\"H\",\"location\":\"L\","
	    "\"same_sex\":true,\"password\":\"" DSL_PW "\"}", "bad_request",
	    "missing witness_user");
	expect_refused(slt, "device.unseal", "{\"device\":\"DEV-0001\"}",
	    "forbidden", "role slt");
	rep = h_req(&H, dsl, "device.unseal", "{\"device\":\"DEV-0001\","
	    "\"for_viewing\":true,\"reason\":\"child_shown\",\"text\":\""
	    WHY "\",\"head_consulted\":\"H\",\"location\":\"L\","
	    "\"same_sex\":true,\"password\":\"" DSL_PW "\"" WITNESS "}");
	if (!h_ok(rep))
		fail_msg("unseal: %s", h_msg(rep));
	json_decref(rep);
	assert_int_equal(count_action("device.unseal"), before + 1);
	rep = h_req(&H, dsl, "device.seal", "{\"device\":\"DEV-0001\","
	    "\"old_seal\":\"unsealed\",\"new_seal\":\"S-2\",\"why\":"
	    "\"resealed after viewing\"}");
	assert_true(h_ok(rep));
	json_decref(rep);
}

/* As the viewer: fd 3 must be a sealed memfd. */
static int
viewer_main(const char *path)
{
	const char *out = getenv("GATE_VIEW_OUT");
	char target[256], hex[65];
	ssize_t n;
	int seals;
	FILE *fp;

	if (out == NULL || (n = readlink(path, target, sizeof(target) - 1)) < 0)
		return 2;
	target[n] = '\0';
	seals = fcntl(3, F_GET_SEALS);
	if (sha256_file_hex(path, hex) != 0 || (fp = fopen(out, "w")) == NULL)
		return 3;
	fprintf(fp, "%s %s %s\n", hex, strncmp(target, "/memfd:", 7) == 0 ?
	    "memfd" : target, seals != -1 && (seals & F_SEAL_WRITE) ?
	    "sealed" : "unsealed");
	fclose(fp);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intake_and_nothing_in_clear),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_view_through_memfd),
		cmocka_unit_test(test_tampered_blob_releases_nothing),
		cmocka_unit_test(test_delete_locked_then_shredded),
		cmocka_unit_test(test_device_unseal_for_viewing),
	};

	if (argc == 2 && strncmp(argv[1], "/proc/self/fd/", 14) == 0)
		return viewer_main(argv[1]);
	if (realpath(argv[0], viewer_self) == NULL)
		return 1;
	return cmocka_run_group_tests_name("gate", tests, setup, teardown);
}
