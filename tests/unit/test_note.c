/*
 * test_note.c -- checkpoints as C2SP signed notes.
 *
 * Refusal tests sign their (bad) text properly with a helper that builds
 * signature lines itself, so each refusal is reached by the check it names
 * and not by a signature failure.  Keys are generated at test time.
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "hashing/note.h"
#include "hashing/sign.h"

#define ERRLEN	512
#define ORIGIN	"station.example/custody-1"
#define ROOT64	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="	/* 0..31 */
#define EMDASH	"\xe2\x80\x94"

struct keys {
	struct sign_key	*key, *key2;
	struct sign_pub	*pub, *pub2;
	uint32_t	 id, id2;
};

static int
group_setup(void **state)
{
	struct keys	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -1;
	if (sign_key_generate(&k->key) != 0 ||
	    sign_key_generate(&k->key2) != 0 ||
	    sign_key_public(k->key, &k->pub) != 0 ||
	    sign_key_public(k->key2, &k->pub2) != 0 ||
	    note_key_id(k->pub, &k->id) != 0 ||
	    note_key_id(k->pub2, &k->id2) != 0)
		return -1;
	*state = k;
	return 0;
}

static int
group_teardown(void **state)
{
	struct keys	*k = *state;

	sign_pub_free(k->pub);
	sign_pub_free(k->pub2);
	sign_key_free(k->key);
	sign_key_free(k->key2);
	free(k);
	return 0;
}

/* A growable string for building notes. */
struct buf {
	char	*p;
	size_t	 len;
};

static void
buf_add(struct buf *b, const void *s, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_addf(struct buf *b, const char *fmt, ...)
{
	char	 tmp[4096];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	buf_add(b, tmp, (size_t)n);
}

/* "— name base64(id || raw)\n" */
static void
add_sig_line_raw(struct buf *b, const char *name, uint32_t id,
    const uint8_t *raw, size_t rawlen)
{
	uint8_t	 all[4 + 256];
	char	 b64[4 * sizeof(all) / 3 + 8];

	assert_true(rawlen <= 256);
	all[0] = (uint8_t)(id >> 24);
	all[1] = (uint8_t)(id >> 16);
	all[2] = (uint8_t)(id >> 8);
	all[3] = (uint8_t)id;
	memcpy(all + 4, raw, rawlen);
	assert_true(EVP_EncodeBlock((unsigned char *)b64, all,
	    (int)(4 + rawlen)) > 0);
	buf_addf(b, EMDASH " %s %s\n", name, b64);
}

/* A real signature line by key over text, under name. */
static void
add_sig_line(struct buf *b, const struct sign_key *key, const char *name,
    const char *text, size_t textlen)
{
	struct sign_pub	*pub = NULL;
	uint8_t		 sig[SIGN_MAX_SIG];
	size_t		 siglen = 0;
	uint32_t	 id = 0;

	assert_int_equal(sign_key_public(key, &pub), 0);
	assert_int_equal(note_key_id(pub, &id), 0);
	sign_pub_free(pub);
	assert_int_equal(sign_data(key, text, textlen, sig, &siglen), 0);
	add_sig_line_raw(b, name, id, sig, siglen);
}

/* text, blank line, a good signature by key under name. */
static char *
make_note(const struct sign_key *key, const char *name, const char *text)
{
	struct buf	 b = { NULL, 0 };

	buf_add(&b, text, strlen(text));
	buf_add(&b, "\n", 1);
	add_sig_line(&b, key, name, text, strlen(text));
	return b.p;
}

static void
expect_refused(const struct keys *k, const char *note, size_t len,
    const char *origin, int code, const char *want)
{
	struct checkpoint	 cp;
	char			 err[ERRLEN] = "";

	memset(&cp, 0xaa, sizeof(cp));
	if (note_verify_checkpoint(note, len, k->pub, origin, &cp, err,
	    sizeof(err)) != code)
		fail_msg("expected %s for note [%.*s], err \"%s\"",
		    custody_strerror(code), (int)len, note, err);
	if (strstr(err, want) == NULL)
		fail_msg("err \"%s\" does not mention \"%s\"", err, want);
	/* out is untouched on failure. */
	assert_int_equal(((uint8_t *)&cp)[0], 0xaa);
	assert_int_equal(((uint8_t *)&cp)[sizeof(cp) - 1], 0xaa);
}

/* Signs text properly and expects verification to refuse it. */
static void
expect_text_refused(const struct keys *k, const char *text, int code,
    const char *want)
{
	char	*note;

	note = make_note(k->key, ORIGIN, text);
	expect_refused(k, note, strlen(note), ORIGIN, code, want);
	free(note);
}

static void
expect_ok(const struct keys *k, const char *note, size_t len,
    const char *origin, struct checkpoint *cp)
{
	char	 err[ERRLEN] = "";

	if (note_verify_checkpoint(note, len, k->pub, origin, cp, err,
	    sizeof(err)) != 0)
		fail_msg("refused: %s\nnote:\n%.*s", err, (int)len, note);
}

static void
sample_cp(struct checkpoint *cp)
{
	size_t	 i;

	memset(cp, 0, sizeof(*cp));
	(void)snprintf(cp->origin, sizeof(cp->origin), "%s", ORIGIN);
	cp->size = 42;
	for (i = 0; i < sizeof(cp->root); i++)
		cp->root[i] = (uint8_t)i;
}

/* noinline: gcc 12 -Wdangling-pointer misreads the inlined &note. */
static __attribute__((noinline)) char *
signed_sample(const struct keys *k)
{
	struct checkpoint	 cp;
	char			*note = NULL;

	sample_cp(&cp);
	assert_int_equal(note_sign_checkpoint(&cp, k->key, &note), 0);
	return note;
}

static void
test_roundtrip(void **state)
{
	struct keys		*k = *state;
	struct checkpoint	 cp, got;
	char			*note, err[ERRLEN] = "";

	sample_cp(&cp);
	note = signed_sample(k);
	/* The exact layout of c2sp.org/tlog-checkpoint. */
	assert_true(strncmp(note, ORIGIN "\n42\n" ROOT64 "\n\n" EMDASH " "
	    ORIGIN " ", strlen(ORIGIN "\n42\n" ROOT64 "\n\n" EMDASH " " ORIGIN
	    " ")) == 0);
	assert_int_equal(note[strlen(note) - 1], '\n');
	memset(&got, 0, sizeof(got));
	expect_ok(k, note, strlen(note), ORIGIN, &got);
	assert_memory_equal(&got, &cp, sizeof(cp));
	/* Without an expected origin, the note's own is the key name. */
	memset(&got, 0, sizeof(got));
	expect_ok(k, note, strlen(note), NULL, &got);
	assert_memory_equal(&got, &cp, sizeof(cp));
	memset(&got, 0, sizeof(got));
	assert_int_equal(note_parse_checkpoint(note, strlen(note), &got, err,
	    sizeof(err)), 0);
	assert_memory_equal(&got, &cp, sizeof(cp));
	free(note);
}

static void
test_size_extremes(void **state)
{
	static const uint64_t	 sizes[] = { 0, 1, 10, UINT64_MAX };
	struct keys		*k = *state;
	struct checkpoint	 cp, got;
	char			*note;
	size_t			 i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sample_cp(&cp);
		cp.size = sizes[i];
		assert_int_equal(note_sign_checkpoint(&cp, k->key, &note), 0);
		expect_ok(k, note, strlen(note), ORIGIN, &got);
		assert_true(got.size == sizes[i]);
		free(note);
	}
	note = make_note(k->key, ORIGIN,
	    ORIGIN "\n18446744073709551615\n" ROOT64 "\n");
	expect_ok(k, note, strlen(note), ORIGIN, &got);
	assert_true(got.size == UINT64_MAX);
	free(note);
}

/* The signature payload agrees with `openssl dgst -verify`. */
static void
test_signature_verifies_with_openssl_cli(void **state)
{
	struct keys	*k = *state;
	char		 dir[] = "/tmp/custody-note-XXXXXX", path[3][128];
	char		 cmd[1024], out[1024];
	char		*note, *sp, *nl;
	uint8_t		 raw[200], *der = NULL;
	size_t		 derlen = 0, textlen;
	FILE		*fp, *p;
	int		 n, st, i;

	note = signed_sample(k);
	textlen = strstr(note, "\n\n") - note + 1;
	sp = strrchr(note, ' ') + 1;
	nl = strchr(sp, '\n');
	n = EVP_DecodeBlock(raw, (unsigned char *)sp, (int)(nl - sp));
	assert_true(n > 4);
	n -= (int)(nl[-1] == '=') + (int)(nl[-2] == '=');
	assert_int_equal((uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3], k->id);
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 3; i++)
		(void)snprintf(path[i], sizeof(path[i]), "%s/%d", dir, i);
	assert_int_equal(sign_pub_to_der(k->pub, &der, &derlen), 0);
	fp = fopen(path[0], "w");
	assert_int_equal(fwrite(note, 1, textlen, fp), textlen);
	fclose(fp);
	fp = fopen(path[1], "w");
	assert_int_equal(fwrite(raw + 4, 1, (size_t)n - 4, fp), (size_t)n - 4);
	fclose(fp);
	fp = fopen(path[2], "w");
	assert_int_equal(fwrite(der, 1, derlen, fp), derlen);
	fclose(fp);
	(void)snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -keyform DER "
	    "-verify %s -signature %s %s 2>&1", path[2], path[1], path[0]);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = (int)fread(out, 1, sizeof(out) - 1, p);
	out[n < 0 ? 0 : n] = '\0';
	st = pclose(p);
	for (i = 0; i < 3; i++)
		(void)unlink(path[i]);
	(void)rmdir(dir);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("openssl dgst -verify: %s", out);
	assert_non_null(strstr(out, "Verified OK"));
	free(der);
	free(note);
}

static void
test_key_id(void **state)
{
	struct keys	*k = *state;
	uint8_t		*der = NULL, md[32];
	size_t		 len = 0;
	unsigned int	 mdlen = 0;
	uint32_t	 id = 0;

	assert_int_equal(sign_pub_to_der(k->pub, &der, &len), 0);
	assert_int_equal(EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL),
	    1);
	assert_int_equal(note_key_id(k->pub, &id), 0);
	assert_true(id == ((uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3]));
	assert_true(k->id != k->id2);
	free(der);
}

static void
test_wrong_key(void **state)
{
	struct keys	*k = *state;
	struct checkpoint cp;
	char		*note, err[ERRLEN] = "", want[128];

	note = signed_sample(k);
	/* Verify against key2: its key ID is named in the refusal. */
	(void)snprintf(want, sizeof(want), "no signature by key " ORIGIN
	    "+%08" PRIx32, k->id2);
	assert_int_equal(note_verify_checkpoint(note, strlen(note), k->pub2,
	    ORIGIN, &cp, err, sizeof(err)), CUSTODY_ERR_VERIFY);
	if (strstr(err, want) == NULL)
		fail_msg("err \"%s\" lacks \"%s\"", err, want);
	free(note);
	/* Signed by key2 under our name: unknown to us. */
	note = make_note(k->key2, ORIGIN, ORIGIN "\n42\n" ROOT64 "\n");
	(void)snprintf(want, sizeof(want), "no signature by key " ORIGIN
	    "+%08" PRIx32, k->id);
	expect_refused(k, note, strlen(note), ORIGIN, CUSTODY_ERR_VERIFY,
	    want);
	free(note);
}

/* Re-encodes the last signature line of note with byte i of raw flipped. */
static char *
flip_sig_byte(const char *note, size_t i)
{
	struct buf	 b = { NULL, 0 };
	const char	*sp, *nl;
	uint8_t		 raw[200];
	char		 b64[300];
	int		 n;

	sp = strrchr(note, ' ') + 1;
	nl = strchr(sp, '\n');
	n = EVP_DecodeBlock(raw, (const unsigned char *)sp, (int)(nl - sp));
	assert_true(n > 0);
	n -= (int)(nl[-1] == '=') + (int)(nl[-2] == '=');
	assert_true(i < (size_t)n);
	raw[i] ^= 0x01;
	assert_true(EVP_EncodeBlock((unsigned char *)b64, raw, n) > 0);
	buf_add(&b, note, (size_t)(sp - note));
	buf_addf(&b, "%s\n", b64);
	return b.p;
}

static void
test_flipped_signature(void **state)
{
	struct keys	*k = *state;
	char		*note, *bad, want[128];
	size_t		 i;

	note = signed_sample(k);
	/* In the DER signature: does not verify. */
	for (i = 4; i < 12; i++) {
		bad = flip_sig_byte(note, i);
		expect_refused(k, bad, strlen(bad), ORIGIN, CUSTODY_ERR_VERIFY,
		    "signature by " ORIGIN " does not verify");
		free(bad);
	}
	bad = flip_sig_byte(note, 40);
	expect_refused(k, bad, strlen(bad), ORIGIN, CUSTODY_ERR_VERIFY,
	    "signature by " ORIGIN " does not verify");
	free(bad);
	/* In the key ID: the line is some other key's, so none is ours. */
	(void)snprintf(want, sizeof(want), "no signature by key " ORIGIN
	    "+%08" PRIx32, k->id);
	bad = flip_sig_byte(note, 2);
	expect_refused(k, bad, strlen(bad), ORIGIN, CUSTODY_ERR_VERIFY, want);
	free(bad);
	free(note);
}

static void
test_flipped_text(void **state)
{
	struct keys	*k = *state;
	char		*note;

	note = signed_sample(k);
	note[strlen(ORIGIN) + 1] = '3';		/* size 42 -> 32 */
	expect_refused(k, note, strlen(note), ORIGIN, CUSTODY_ERR_VERIFY,
	    "signature by " ORIGIN " does not verify");
	free(note);
}

static void
test_origin_mismatch(void **state)
{
	struct keys	*k = *state;
	char		*note;

	note = signed_sample(k);
	expect_refused(k, note, strlen(note), "other.example/log",
	    CUSTODY_ERR_VERIFY, "checkpoint origin is " ORIGIN
	    ", expected other.example/log");
	free(note);
	/* Hostile bytes in the origin are escaped in the message. */
	note = make_note(k->key, "a\xc2\x9b" "b", "a\xc2\x9b" "b\n1\n" ROOT64
	    "\n");
	expect_refused(k, note, strlen(note), "a", CUSTODY_ERR_INVAL,
	    "a\\xc2\\x9bb");
	free(note);
}

static void
test_extra_line(void **state)
{
	struct keys	*k = *state;

	expect_text_refused(k, ORIGIN "\n42\n" ROOT64 "\nextension\n",
	    CUSTODY_ERR_INVAL, "checkpoint has an extra line 4: \"extension\"");
	expect_text_refused(k, ORIGIN "\n42\n" ROOT64 "\na\nb\n",
	    CUSTODY_ERR_INVAL, "checkpoint has an extra line 4: \"a\"");
	/* An empty fourth line (the text then ends in a blank line). */
	expect_text_refused(k, ORIGIN "\n42\n" ROOT64 "\n\n",
	    CUSTODY_ERR_INVAL, "checkpoint has an extra line 4: \"\"");
}

static void
test_too_few_lines(void **state)
{
	struct keys	*k = *state;

	expect_text_refused(k, ORIGIN "\n42\n", CUSTODY_ERR_INVAL,
	    "checkpoint text has 2 lines; it must have 3");
	expect_text_refused(k, ORIGIN "\n", CUSTODY_ERR_INVAL,
	    "checkpoint text has 1 line; it must have 3");
	expect_text_refused(k, "\n42\n" ROOT64 "\n", CUSTODY_ERR_INVAL,
	    "checkpoint origin line is empty");
}

static void
test_missing_blank_line(void **state)
{
	struct keys	*k = *state;
	char		*note, *sep;

	note = signed_sample(k);
	sep = strstr(note, "\n\n");
	memmove(sep, sep + 1, strlen(sep + 1) + 1);
	expect_refused(k, note, strlen(note), ORIGIN, CUSTODY_ERR_INVAL,
	    "note has no blank line between its text and signatures");
	free(note);
	/* Nothing after the blank line. */
	expect_refused(k, ORIGIN "\n42\n" ROOT64 "\n\n",
	    strlen(ORIGIN "\n42\n" ROOT64 "\n\n"), ORIGIN, CUSTODY_ERR_INVAL,
	    "no signature lines");
	/* No final newline. */
	note = signed_sample(k);
	expect_refused(k, note, strlen(note) - 1, ORIGIN, CUSTODY_ERR_INVAL,
	    "does not end with a newline");
	free(note);
	expect_refused(k, "", 0, ORIGIN, CUSTODY_ERR_INVAL, "note is empty");
}

static void
test_noncanonical_size(void **state)
{
	static const char *const sizes[] = {
		"012", "00", "-1", "+1", " 1", "1 ", "0x1", "1e3", "",
		"18446744073709551616", "99999999999999999999",
		"184467440737095516150",
	};
	struct keys	*k = *state;
	char		 text[256];
	size_t		 i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		(void)snprintf(text, sizeof(text), ORIGIN "\n%s\n" ROOT64 "\n",
		    sizes[i]);
		expect_text_refused(k, text, CUSTODY_ERR_INVAL,
		    "checkpoint size");
	}
	expect_text_refused(k, ORIGIN "\n012\n" ROOT64 "\n",
	    CUSTODY_ERR_INVAL, "checkpoint size \"012\" has a leading zero");
	expect_text_refused(k, ORIGIN "\n-1\n" ROOT64 "\n",
	    CUSTODY_ERR_INVAL, "checkpoint size \"-1\" is not a decimal");
	expect_text_refused(k, ORIGIN "\n18446744073709551616\n" ROOT64 "\n",
	    CUSTODY_ERR_INVAL, "is larger than 2^64-1");
}

static void
test_bad_root(void **state)
{
	static const char *const roots[] = {
		"not base64 at all",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",	/* no pad */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=",	/* bits */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",	/* 31 */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",	/* 33 */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd Hh8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd=h8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8-",	/* URL */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=AAAA",
		"============================================",
		"",
	};
	struct keys	*k = *state;
	char		 text[256];
	size_t		 i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		(void)snprintf(text, sizeof(text), ORIGIN "\n42\n%s\n",
		    roots[i]);
		expect_text_refused(k, text, CUSTODY_ERR_INVAL,
		    "is not canonical base64 of 32 bytes");
	}
}

static void
test_unknown_keys_ignored(void **state)
{
	static const uint8_t	 junk[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct keys		*k = *state;
	struct checkpoint	 got;
	const char		*text = ORIGIN "\n42\n" ROOT64 "\n";
	struct buf		 b = { NULL, 0 };
	int			 i;

	buf_add(&b, text, strlen(text));
	buf_add(&b, "\n", 1);
	/* Before ours: another key under another name, and under ours. */
	add_sig_line(&b, k->key2, "witness.example/w1", text, strlen(text));
	add_sig_line(&b, k->key2, ORIGIN, text, strlen(text));
	/* Our key ID under another name, with a junk signature. */
	add_sig_line_raw(&b, "impostor.example", k->id, junk, sizeof(junk));
	add_sig_line(&b, k->key, ORIGIN, text, strlen(text));
	/* After ours: an unknown post-quantum-sized signature. */
	{
		uint8_t big[200];

		memset(big, 0x5a, sizeof(big));
		add_sig_line_raw(&b, "pq.example", 0x01020304, big,
		    sizeof(big));
	}
	/* The spec asks verifiers to accept at least 16 signatures. */
	for (i = 0; i < 20; i++)
		add_sig_line_raw(&b, "cosigner.example", (uint32_t)i, junk,
		    sizeof(junk));
	assert_true(b.len <= NOTE_MAX_SIZE);
	expect_ok(k, b.p, b.len, ORIGIN, &got);
	assert_true(got.size == 42);
	free(b.p);
}

static void
test_two_good_sigs_same_key(void **state)
{
	struct keys	*k = *state;
	struct checkpoint got;
	const char	*text = ORIGIN "\n7\n" ROOT64 "\n";
	struct buf	 b = { NULL, 0 };

	buf_add(&b, text, strlen(text));
	buf_add(&b, "\n", 1);
	add_sig_line(&b, k->key, ORIGIN, text, strlen(text));
	add_sig_line(&b, k->key, ORIGIN, text, strlen(text));
	expect_ok(k, b.p, b.len, ORIGIN, &got);
	free(b.p);
}

static void
test_second_bad_sig_same_key(void **state)
{
	static const uint8_t	 junk[] = { 0x30, 0x06, 0x02, 0x01, 0x01,
	    0x02, 0x01, 0x01 };
	struct keys		*k = *state;
	const char		*text = ORIGIN "\n42\n" ROOT64 "\n";
	struct buf		 b = { NULL, 0 };

	/* Good line, then a bad one from the same key. */
	buf_add(&b, text, strlen(text));
	buf_add(&b, "\n", 1);
	add_sig_line(&b, k->key, ORIGIN, text, strlen(text));
	add_sig_line_raw(&b, ORIGIN, k->id, junk, sizeof(junk));
	expect_refused(k, b.p, b.len, ORIGIN, CUSTODY_ERR_VERIFY,
	    "signature by " ORIGIN " does not verify (line 2)");
	free(b.p);
	/* Bad one first. */
	b.p = NULL;
	b.len = 0;
	buf_add(&b, text, strlen(text));
	buf_add(&b, "\n", 1);
	add_sig_line_raw(&b, ORIGIN, k->id, junk, sizeof(junk));
	add_sig_line(&b, k->key, ORIGIN, text, strlen(text));
	expect_refused(k, b.p, b.len, ORIGIN, CUSTODY_ERR_VERIFY,
	    "signature by " ORIGIN " does not verify (line 1)");
	free(b.p);
	/* Same key, signature of other text. */
	b.p = NULL;
	b.len = 0;
	buf_add(&b, text, strlen(text));
	buf_add(&b, "\n", 1);
	add_sig_line(&b, k->key, ORIGIN, text, strlen(text));
	add_sig_line(&b, k->key, ORIGIN, "other\n", 6);
	expect_refused(k, b.p, b.len, ORIGIN, CUSTODY_ERR_VERIFY,
	    "does not verify");
	free(b.p);
}

static void
test_malformed_signature_lines(void **state)
{
	static const struct {
		const char	*line;
		const char	*want;
	} bad[] = {
		{ "- " ORIGIN " AAAAAAAA\n", "does not start with an em dash" },
		{ EMDASH ORIGIN " AAAAAAAA\n", "does not start with an em dash" },
		{ EMDASH " " ORIGIN "\n", "has no space after the key name" },
		{ EMDASH " " ORIGIN " \n", "is not canonical base64" },
		{ EMDASH "  AAAAAAAA\n", "has an invalid key name" },
		{ EMDASH " a+b AAAAAAAA\n", "has an invalid key name" },
		{ EMDASH " a\xc2\xa0" "b AAAAAAAA\n", "has an invalid key name" },
		{ EMDASH " a\xe3\x80\x80" "b AAAAAAAA\n",
		    "has an invalid key name" },
		{ EMDASH " " ORIGIN " AAAAAA==\n", "is too short" },
		{ EMDASH " " ORIGIN " AAAAAAB=\n", "is not canonical base64" },
		{ EMDASH " " ORIGIN " AAAA AAAA\n", "is not canonical base64" },
		{ EMDASH " " ORIGIN " AAAAAAAA \n", "is not canonical base64" },
		{ EMDASH " " ORIGIN " AAAAAAA\n", "is not canonical base64" },
		{ "\xe2\x80\x93 " ORIGIN " AAAAAAAA\n",
		    "does not start with an em dash" },
	};
	struct keys	*k = *state;
	char		*good;
	struct buf	 b;
	size_t		 i;

	good = signed_sample(k);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* After a good signature: still refused. */
		b.p = NULL;
		b.len = 0;
		buf_add(&b, good, strlen(good));
		buf_add(&b, bad[i].line, strlen(bad[i].line));
		expect_refused(k, b.p, b.len, ORIGIN, CUSTODY_ERR_INVAL,
		    "signature line 2");
		expect_refused(k, b.p, b.len, ORIGIN, CUSTODY_ERR_INVAL,
		    bad[i].want);
		free(b.p);
	}
	free(good);
}

static void
test_control_characters(void **state)
{
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*want;
	} bad[] = {
		{ "a\tb\n1\n" ROOT64 "\n", 0,
		    "note has a control character 0x09" },
		{ "ab\r\n1\n" ROOT64 "\n", 0,
		    "note has a control character 0x0d" },
		{ "a\x01" "b\n1\n" ROOT64 "\n", 0,
		    "note has a control character 0x01" },
		{ "a\x1b[2Jb\n1\n" ROOT64 "\n", 0,
		    "note has a control character 0x1b" },
		{ "a\0b\n1\n" ROOT64 "\n", 4 + 2 + 45,
		    "note has a control character 0x00 at byte 1" },
		{ "a\xff" "b\n1\n" ROOT64 "\n", 0, "not valid UTF-8" },
		{ "a\xc0\x80" "b\n1\n" ROOT64 "\n", 0, "not valid UTF-8" },
		{ "a\xed\xa0\x80" "b\n1\n" ROOT64 "\n", 0, "not valid UTF-8" },
		{ "a\xf4\x90\x80\x80" "b\n1\n" ROOT64 "\n", 0,
		    "not valid UTF-8" },
		{ "a\xe2\x80" "\n1\n" ROOT64 "\n", 0, "not valid UTF-8" },
		/* DEL and C1 pass the note rules but not the origin's. */
		{ "a\x7f" "b\n1\n" ROOT64 "\n", 0, "control character" },
		{ "a\xc2\x9b" "b\n1\n" ROOT64 "\n", 0, "control character" },
	};
	struct keys	*k = *state;
	struct buf	 b;
	size_t		 i, tl;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tl = bad[i].len != 0 ? bad[i].len : strlen(bad[i].text);
		b.p = NULL;
		b.len = 0;
		buf_add(&b, bad[i].text, tl);
		buf_add(&b, "\n", 1);
		add_sig_line(&b, k->key, ORIGIN, bad[i].text, tl);
		expect_refused(k, b.p, b.len, NULL, CUSTODY_ERR_INVAL,
		    bad[i].want);
		free(b.p);
	}
	/* A control character in the signature block. */
	b.p = signed_sample(k);
	b.len = strlen(b.p);
	b.p[b.len - 2] = '\t';
	expect_refused(k, b.p, b.len, ORIGIN, CUSTODY_ERR_INVAL,
	    "note has a control character 0x09");
	free(b.p);
}

static void
test_oversize(void **state)
{
	static const char	 pad[] = EMDASH " x AAAAAAAA\n";
	struct keys	*k = *state;
	char		*note, *big;
	size_t		 len;

	/* A good note padded past the limit with unknown signatures. */
	note = signed_sample(k);
	len = strlen(note);
	big = malloc(NOTE_MAX_SIZE + 200);
	assert_non_null(big);
	memcpy(big, note, len);
	while (len <= NOTE_MAX_SIZE) {
		memcpy(big + len, pad, sizeof(pad) - 1);
		len += sizeof(pad) - 1;
	}
	expect_refused(k, big, len, ORIGIN, CUSTODY_ERR_INVAL,
	    "over the limit of 8192 bytes");
	/* One byte over, even if the rest is not a note at all. */
	memset(big, 0xff, NOTE_MAX_SIZE + 1);
	expect_refused(k, big, NOTE_MAX_SIZE + 1, ORIGIN, CUSTODY_ERR_INVAL,
	    "note is 8193 bytes, over the limit of 8192 bytes");
	/* A 255-byte origin is fine, 256 is not. */
	{
		char	 text[600];

		memset(text, 'o', 256);
		(void)snprintf(text + 256, sizeof(text) - 256, "\n1\n%s\n",
		    ROOT64);
		expect_text_refused(k, text, CUSTODY_ERR_INVAL, "origin");
	}
	free(big);
	free(note);
}

static void
test_sign_refuses_bad_origin(void **state)
{
	static const char *const origins[] = {
		"", "a b", "a+b", "a\tb", "a\nb", "a\x7f", "a\xc2\x85",
		"a\xc2\xa0", "a\xff", "a\xe2\x80\x83",
	};
	struct keys		*k = *state;
	struct checkpoint	 cp;
	char			*note = (char *)&note;
	size_t			 i;

	for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		sample_cp(&cp);
		(void)snprintf(cp.origin, sizeof(cp.origin), "%s", origins[i]);
		assert_int_equal(note_sign_checkpoint(&cp, k->key, &note),
		    CUSTODY_ERR_INVAL);
		assert_null(note);
	}
	/* Not NUL-terminated. */
	sample_cp(&cp);
	memset(cp.origin, 'a', sizeof(cp.origin));
	assert_int_equal(note_sign_checkpoint(&cp, k->key, &note),
	    CUSTODY_ERR_INVAL);
	/* The longest origin is fine and round-trips. */
	cp.origin[NOTE_MAX_ORIGIN] = '\0';
	assert_int_equal(note_sign_checkpoint(&cp, k->key, &note), 0);
	expect_ok(k, note, strlen(note), cp.origin, NULL);
	free(note);
}

static void
test_parse_without_verify(void **state)
{
	struct keys		*k = *state;
	struct checkpoint	 got;
	char			*note, err[ERRLEN] = "";

	note = make_note(k->key2, "elsewhere.example",
	    "elsewhere.example\n9\n" ROOT64 "\n");
	assert_int_equal(note_parse_checkpoint(note, strlen(note), &got, err,
	    sizeof(err)), 0);
	assert_string_equal(got.origin, "elsewhere.example");
	assert_true(got.size == 9);
	free(note);
	note = make_note(k->key, ORIGIN, ORIGIN "\n09\n" ROOT64 "\n");
	assert_int_equal(note_parse_checkpoint(note, strlen(note), &got, err,
	    sizeof(err)), CUSTODY_ERR_INVAL);
	assert_non_null(strstr(err, "leading zero"));
	free(note);
}

/* Every strict prefix of a good note, and every one-bit flip, fails. */
static void
test_every_truncation_and_flip_fails(void **state)
{
	struct keys	*k = *state;
	char		*note, *copy, err[ERRLEN];
	struct checkpoint cp;
	size_t		 len, i;
	int		 bit;

	note = signed_sample(k);
	len = strlen(note);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < len; i++) {
		memcpy(copy, note, i);
		if (note_verify_checkpoint(copy, i, k->pub, ORIGIN, &cp, err,
		    sizeof(err)) == 0)
			fail_msg("prefix of %zu bytes verified", i);
	}
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, note, len);
			copy[i] ^= (char)(1 << bit);
			if (note_verify_checkpoint(copy, len, k->pub, ORIGIN,
			    &cp, err, sizeof(err)) == 0)
				fail_msg("flip of bit %d of byte %zu verified",
				    bit, i);
		}
	}
	free(copy);
	free(note);
}

/*
 * Random edits of a good note (a tiny, deterministic fuzz): nothing may
 * crash, and whatever verifies must say exactly what was signed.
 */
static void
test_random_mutations(void **state)
{
	struct keys		*k = *state;
	struct checkpoint	 want, got;
	char			*note, *copy, err[ERRLEN];
	size_t			 len, n, pos;
	unsigned int		 seed = 12345;
	int			 round, edits, e;

	sample_cp(&want);
	note = signed_sample(k);
	len = strlen(note);
	copy = malloc(len + 64);
	assert_non_null(copy);
	for (round = 0; round < 20000; round++) {
		memcpy(copy, note, len);
		n = len;
		edits = 1 + rand_r(&seed) % 4;
		for (e = 0; e < edits; e++) {
			pos = (size_t)rand_r(&seed) % n;
			switch (rand_r(&seed) % 3) {
			case 0:
				copy[pos] = (char)rand_r(&seed);
				break;
			case 1:
				memmove(copy + pos, copy + pos + 1, n - pos - 1);
				n--;
				break;
			default:
				if (n < len + 60) {
					memmove(copy + pos + 1, copy + pos,
					    n - pos);
					copy[pos] = "\n= +\xe2"[rand_r(&seed) % 5];
					n++;
				}
			}
		}
		if (note_verify_checkpoint(copy, n, k->pub, ORIGIN, &got, err,
		    sizeof(err)) == 0)
			assert_memory_equal(&got, &want, sizeof(want));
	}
	free(copy);
	free(note);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_size_extremes),
		cmocka_unit_test(test_signature_verifies_with_openssl_cli),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_flipped_signature),
		cmocka_unit_test(test_flipped_text),
		cmocka_unit_test(test_origin_mismatch),
		cmocka_unit_test(test_extra_line),
		cmocka_unit_test(test_too_few_lines),
		cmocka_unit_test(test_missing_blank_line),
		cmocka_unit_test(test_noncanonical_size),
		cmocka_unit_test(test_bad_root),
		cmocka_unit_test(test_unknown_keys_ignored),
		cmocka_unit_test(test_two_good_sigs_same_key),
		cmocka_unit_test(test_second_bad_sig_same_key),
		cmocka_unit_test(test_malformed_signature_lines),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_sign_refuses_bad_origin),
		cmocka_unit_test(test_parse_without_verify),
		cmocka_unit_test(test_every_truncation_and_flip_fails),
		cmocka_unit_test(test_random_mutations),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
