/*
 * test_export.c -- the sealed police export, end to end: the DSL exports a
 * referred case through the real CLI and daemon; the stock-tools recipe
 * of data/README.txt (system openssl, tar, sha256sum) accepts it; custody
 * verify accepts it and the hand-over receipt; a byte flipped in any file
 * of the bag is caught; no other pupil's record is in it; the officer
 * collects a copy with their own account; a wrong password is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>

#include <cmocka.h>

#include "harness.h"

#define DSL_PW	"marble otter lantern five"
#define PC_PW	"granite puffin station two"
#define EXP_PW	"cobalt ferry willow eleven"

static struct harness H;
static char dsl[65];
static char out[256], pwf[256], dslpwf[256], pcpwf[256], receipt[256];

static void
put(char *path, size_t len, const char *name, const char *text)
{
	FILE *fp;

	(void)snprintf(path, len, "%s/%s", H.dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static json_t *
ok(const char *token, const char *op, const char *args)
{
	json_t *rep = h_req(&H, token, op, args);

	if (!h_ok(rep))
		fail_msg("%s: %s", op, h_msg(rep));
	return rep;
}

static int
setup(void **unused)
{
	char admin[65], path[256];
	json_t *rep;
	int fd;

	if (h_start(&H, NULL) != 0 ||
	    h_login(&H, H_ADMIN, H_ADMIN_PW, admin) == NULL)
		return -1;
	json_decref(ok(admin, "user.add", "{\"user\":\"dee\",\"role\":\"dsl\","
	    "\"new_password\":\"" DSL_PW "\",\"password\":\"" H_ADMIN_PW
	    "\"}"));
	if (h_login(&H, "dee", DSL_PW, dsl) == NULL)
		return -1;
	json_decref(ok(dsl, "device.register", "{\"pupil\":\"P-2077\","
	    "\"reason\":\"suspected_nudes\",\"location\":\"safe\",\"seal\":"
	    "\"A1002\",\"power\":\"off\",\"imei\":\"490154203237518\"}"));
	json_decref(ok(dsl, "device.register", "{\"pupil\":\"P-9999\","
	    "\"reason\":\"behaviour\",\"location\":\"safe\",\"seal\":"
	    "\"OTHER-PUPIL-SEAL\",\"power\":\"off\"}"));
	json_decref(ok(dsl, "case.open", "{\"category\":\"nudes\","
	    "\"summary\":\"image shared\",\"devices\":[\"DEV-0001\"],"
	    "\"pupils\":[\"P-2077\"]}"));
	json_decref(ok(dsl, "case.refer", "{\"case\":\"CASE-0001\","
	    "\"force\":\"Kent Police\",\"crime_ref\":\"KP/2026/0042\","
	    "\"officer\":\"PC Smith\",\"password\":\"" DSL_PW "\"}"));
	json_decref(ok(dsl, "police.add", "{\"user\":\"pc.smith\","
	    "\"case\":\"CASE-0001\",\"officer\":\"PC Smith\",\"collar\":"
	    "\"1234\",\"new_password\":\"" PC_PW "\",\"password\":\"" DSL_PW
	    "\"}"));
	/* An item the police asked for. */
	(void)snprintf(path, sizeof(path), "%s/img.jpg", H.dir);
	put(path, sizeof(path), "img.jpg", "\xff\xd8\xff\xe0 the image");
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	rep = h_req_fd(&H, dsl, "item.add", "{\"case\":\"CASE-0001\","
	    "\"police_request\":\"KP/2026/0042-1\"}", fd);
	close(fd);
	if (!h_ok(rep))
		return -1;
	json_decref(rep);
	/* The hand-over, whose receipt the officer keeps. */
	rep = ok(dsl, "device.handover", "{\"device\":\"DEV-0001\","
	    "\"officer_user\":\"pc.smith\",\"officer_password\":\"" PC_PW
	    "\",\"seal\":\"A1002\",\"password\":\"" DSL_PW "\"}");
	put(receipt, sizeof(receipt), "handover-receipt.txt",
	    json_string_value(json_object_get(json_object_get(rep, "result"),
	    "receipt")));
	json_decref(rep);
	put(pwf, sizeof(pwf), "export.password", EXP_PW "\n");
	put(dslpwf, sizeof(dslpwf), "dsl.password", DSL_PW "\n");
	put(pcpwf, sizeof(pcpwf), "pc.password", PC_PW "\n");
	(void)snprintf(out, sizeof(out), "%s/export.tar.p7m", H.dir);
	return 0;
}

static int
teardown(void **unused)
{
	h_finish(&H);
	return 0;
}

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The recipe of data/README.txt, in dir, on the bag NAME inside it. */
static int
recipe(const char *dir)
{
	return sh("cd '%s' && cd custody-* && openssl cms -verify -binary "
	    "-inform DER -in tagmanifest-sha256.txt.p7s -content "
	    "tagmanifest-sha256.txt -CAfile station.pem -purpose any -out "
	    "/dev/null 2>/dev/null && sha256sum --quiet -c "
	    "tagmanifest-sha256.txt >/dev/null 2>&1 && sha256sum --quiet -c "
	    "manifest-sha256.txt >/dev/null 2>&1", dir);
}

static void
test_export_and_stock_tools(void **unused)
{
	struct h_out o;

	h_cli(&H, &o, "dee", "login", "--user", "dee", "--password-file",
	    dslpwf, NULL);
	assert_int_equal(o.status, 0);
	h_cli(&H, &o, "dee", "export", "CASE-0001", "-o", out,
	    "--password-file", pwf, "--stepup-password-file", dslpwf, NULL);
	if (o.status != 0)
		fail_msg("export: %s", o.text);
	assert_non_null(strstr(o.text, "EXPORT-0001"));
	/* Decrypt and unpack with stock tools, as in data/README.txt. */
	assert_int_equal(sh("cd '%s' && mkdir -p x && openssl cms -decrypt "
	    "-binary -inform DER -in export.tar.p7m -pwri_password '" EXP_PW
	    "' -out x/B.tar && cd x && tar xf B.tar", H.dir), 0);
	(void)snprintf(o.text, sizeof(o.text), "%s/x", H.dir);
	assert_int_equal(recipe(o.text), 0);
	/* Only this case: the other pupil's device is not in the bag. */
	assert_int_equal(sh("grep -rq 'P-9999\\|OTHER-PUPIL-SEAL\\|DEV-0002' "
	    "'%s/x'", H.dir), 1);
	/* The item police asked for is there, in clear inside the bag. */
	assert_int_equal(sh("grep -q 'the image' %s/x/custody-*/data/items/"
	    "ITEM-0001", H.dir), 0);
}

static void
test_custody_verify_and_receipt(void **unused)
{
	char other[256];
	struct h_out o;

	h_cli(&H, &o, "x", "verify", out, "--password-file", pwf, "--against",
	    receipt, NULL);
	if (o.status != 0 || strstr(o.text, "VERIFIED") == NULL)
		fail_msg("verify: %s", o.text);
	assert_non_null(strstr(o.text, "receipt: same station key"));
	put(other, sizeof(other), "bad.password", "not the password at all\n");
	h_cli(&H, &o, "x", "verify", out, "--password-file", other, NULL);
	assert_int_equal(o.status, 6);
}

/* One byte flipped in any file of the bag: the recipe or verify fails. */
static void
test_every_file_tamper_caught(void **unused)
{
	char list[256], line[1024], dir[512], file[2048];
	struct h_out o;
	FILE *fp;
	int n = 0;

	assert_int_equal(sh("cd '%s/x' && find custody-* -type f | sort > "
	    "'%s/files'", H.dir, H.dir), 0);
	(void)snprintf(list, sizeof(list), "%s/files", H.dir);
	assert_non_null(fp = fopen(list, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		(void)snprintf(dir, sizeof(dir), "%s/t%d", H.dir, n);
		assert_int_equal(sh("rm -rf '%s' && mkdir '%s' && cd '%s' && "
		    "tar xf '%s/x/B.tar'", dir, dir, dir, H.dir), 0);
		(void)snprintf(file, sizeof(file), "%s/%s", dir, line);
		assert_int_equal(sh("printf '\\001' | dd of='%s' bs=1 seek=3 "
		    "count=1 conv=notrunc status=none", file), 0);
		if (recipe(dir) == 0) {
			char bag[2048];

			(void)snprintf(bag, sizeof(bag), "%s/%.*s", dir,
			    (int)strcspn(line, "/"), line);
			h_cli(&H, &o, "x", "verify", bag, NULL);
			if (o.status == 0)
				fail_msg("a flipped byte in %s was not "
				    "caught", line);
		}
		n++;
	}
	fclose(fp);
	assert_true(n >= 14);
}

static void
test_police_fetch(void **unused)
{
	char copy[256];
	struct h_out o;

	h_cli(&H, &o, "pc", "login", "--user", "pc.smith", "--password-file",
	    pcpwf, NULL);
	assert_int_equal(o.status, 0);
	h_cli(&H, &o, "pc", "export", "list", NULL);
	assert_non_null(strstr(o.text, "EXPORT-0001"));
	(void)snprintf(copy, sizeof(copy), "%s/fetched.tar.p7m", H.dir);
	h_cli(&H, &o, "pc", "export", "fetch", "EXPORT-0001", "-o", copy, NULL);
	if (o.status != 0)
		fail_msg("fetch: %s", o.text);
	assert_int_equal(sh("cmp -s '%s' '%s'", out, copy), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_and_stock_tools),
		cmocka_unit_test(test_custody_verify_and_receipt),
		cmocka_unit_test(test_every_file_tamper_caught),
		cmocka_unit_test(test_police_fetch),
	};

	return cmocka_run_group_tests_name("export", tests, setup, teardown);
}
