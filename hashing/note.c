/*
 * note.c -- checkpoints as C2SP signed notes (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint), signature type 0x02 (ECDSA P-256, SHA-256,
 * DER), key ID = SHA-256(DER SPKI)[:4].
 *
 * The parser treats every note as hostile.  It never reads past len and
 * never relies on a NUL terminator; it works on spans (pointer, length)
 * into the caller's buffer and copies out only the fixed-size fields of a
 * struct checkpoint.  It checks, in this order:
 *
 *  1. the envelope: at most NOTE_MAX_SIZE bytes, valid UTF-8, no control
 *     character but '\n', ends in '\n', and a blank line whose last
 *     occurrence splits the text (ending in its own '\n') from one or more
 *     signature lines;
 *  2. each signature line: em dash, space, a valid key name, space,
 *     canonical base64 of at least 5 bytes;
 *  3. the text: exactly origin, size, root (this station refuses extension
 *     lines), each in canonical form;
 *  4. the origin against the expected one;
 *  5. the signatures: a line whose name and key ID both match the expected
 *     key must verify, and at least one must; other lines are ignored.
 *
 * Every refusal writes one line into err naming the specific problem.
 * Note bytes quoted in err are escaped (see quote()), so a hostile note
 * cannot put control sequences into a log or onto a terminal.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "common/utf8.h"
#include "hashing/note.h"
#include "hashing/sign.h"

#define EM_DASH		"\xe2\x80\x94"	/* U+2014 */
#define SIG_PREFIX	EM_DASH " "
#define SIG_PREFIX_LEN	4
#define ROOT_B64_LEN	44		/* base64 of 32 bytes */
#define B64_MAX_RAW	(NOTE_MAX_SIZE / 4 * 3)
#define QUOTE_MAX	48		/* note bytes quoted in a message */

/* A run of bytes inside the caller's note. */
struct span {
	const char	*p;
	size_t		 len;
};

/* One parsed signature line. */
struct note_sig {
	struct span	 name;
	uint32_t	 key_id;
	uint8_t		 raw[B64_MAX_RAW];	/* key ID || signature */
	size_t		 rawlen;
};


/* Unicode White_Space (what Go's unicode.IsSpace accepts). */
static int
is_unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* C0, DEL and C1 controls: never allowed in an origin we sign or show. */
static int
is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/*
 * Copies at most QUOTE_MAX bytes of s into buf for an error message:
 * printable ASCII as is, '\\' and every other byte as \xNN, and "..." if s
 * was cut.  buf must hold 4 * QUOTE_MAX + 4 bytes.
 */
static const char *
quote(const char *s, size_t n, char *buf, size_t bufsz)
{
	size_t	 i, o = 0;
	uint8_t	 c;

	for (i = 0; i < n && i < QUOTE_MAX && o + 5 <= bufsz; i++) {
		c = (uint8_t)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x",
			    (unsigned int)c);
	}
	if (i < n && o + 4 <= bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Decodes standard base64 (RFC 4648 section 4) only if it is canonical:
 * non-empty, a multiple of 4 long, only alphabet characters, at most two
 * '=' and only at the end, and unused bits zero (checked by re-encoding and
 * comparing).  Writes at most outcap bytes.  Returns 0 or -1.
 */
static int
b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
    size_t *outlen)
{
	static const char	 alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char		 again[NOTE_MAX_SIZE + 1];
	size_t			 i, pad = 0, n;

	if (inlen == 0 || inlen % 4 != 0 || inlen > NOTE_MAX_SIZE ||
	    inlen / 4 * 3 > outcap)
		return -1;
	if (in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	for (i = 0; i < inlen - pad; i++)
		if (in[i] == '\0' || strchr(alpha, in[i]) == NULL)
			return -1;
	if (EVP_DecodeBlock(out, (const unsigned char *)in,
	    (int)inlen) != (int)(inlen / 4 * 3))
		return -1;
	n = inlen / 4 * 3 - pad;
	if (EVP_EncodeBlock(again, out, (int)n) != (int)inlen ||
	    memcmp(again, in, inlen) != 0)
		return -1;
	*outlen = n;
	return 0;
}

/*
 * A signed-note key name: non-empty, no Unicode space, no '+'.  s must
 * already be valid UTF-8.
 */
static int
name_is_valid(const char *s, size_t n)
{
	uint32_t	 c;
	size_t		 i, k;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_decode((const uint8_t *)s + i, n - i, &c)) == 0)
			return 0;
		if (c == '+' || is_unicode_space(c))
			return 0;
	}
	return 1;
}

/* An origin this station signs or accepts: a key name without controls. */
static int
origin_is_valid(const char *s, size_t n)
{
	uint32_t	 c;
	size_t		 i, k;

	if (n == 0 || n > NOTE_MAX_ORIGIN || !name_is_valid(s, n))
		return 0;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_decode((const uint8_t *)s + i, n - i, &c)) == 0)
			return 0;
		if (is_control(c))
			return 0;
	}
	return 1;
}

/* Checks the whole note is valid UTF-8 with no control but '\n'. */
static int
note_check_chars(const char *note, size_t len, char *err, size_t errlen)
{
	uint32_t	 c = 0;
	size_t		 i, k;

	for (i = 0; i < len; i += k) {
		k = utf8_decode((const uint8_t *)note + i, len - i, &c);
		if (k == 0)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "note is not valid UTF-8 (byte %zu is 0x%02x)", i,
			    (unsigned int)(uint8_t)note[i]);
		if (c < 0x20 && c != '\n')
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "note has a control character 0x%02x at byte %zu",
			    (unsigned int)c, i);
	}
	return 0;
}

/*
 * Checks the envelope and splits the note at its last blank line into the
 * text (with its final '\n') and the signature block (non-empty, ending in
 * '\n', with no empty line).
 */
static int
note_split(const char *note, size_t len, struct span *text,
    struct span *sigs, char *err, size_t errlen)
{
	size_t	 i;
	int	 r;

	text->p = sigs->p = NULL;
	text->len = sigs->len = 0;
	if (note == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL, "no note");
	if (len > NOTE_MAX_SIZE)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "note is %zu bytes, over the limit of %d bytes", len,
		    NOTE_MAX_SIZE);
	if (len == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "note is empty");
	if ((r = note_check_chars(note, len, err, errlen)) != 0)
		return r;
	if (note[len - 1] != '\n')
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "note does not end with a newline");
	for (i = len - 1; i > 0; i--)
		if (note[i] == '\n' && note[i - 1] == '\n')
			break;
	if (i == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "note has no blank line between its text and signatures");
	if (i == len - 1)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "note has no signature lines after its blank line");
	text->p = note;
	text->len = i;
	sigs->p = note + i + 1;
	sigs->len = len - i - 1;
	return 0;
}

/* Takes the next '\n'-terminated line off *rest (without the '\n'). */
static int
span_next_line(struct span *rest, struct span *line)
{
	const char	*nl;

	if (rest->len == 0)
		return 0;
	if ((nl = memchr(rest->p, '\n', rest->len)) == NULL)
		return 0;
	line->p = rest->p;
	line->len = (size_t)(nl - rest->p);
	rest->p = nl + 1;
	rest->len -= line->len + 1;
	return 1;
}

/* Parses one signature line (without its '\n'); lineno is for messages. */
static int
note_sig_parse(struct span line, int lineno, struct note_sig *sig,
    char *err, size_t errlen)
{
	const char	*sp;
	struct span	 rest, b64;

	if (line.len < SIG_PREFIX_LEN ||
	    memcmp(line.p, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "signature line %d does not start with an em dash and a "
		    "space", lineno);
	rest.p = line.p + SIG_PREFIX_LEN;
	rest.len = line.len - SIG_PREFIX_LEN;
	if ((sp = memchr(rest.p, ' ', rest.len)) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "signature line %d has no space after the key name",
		    lineno);
	sig->name.p = rest.p;
	sig->name.len = (size_t)(sp - rest.p);
	if (!name_is_valid(sig->name.p, sig->name.len))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "signature line %d has an invalid key name", lineno);
	b64.p = sp + 1;
	b64.len = rest.len - sig->name.len - 1;
	if (b64_decode(b64.p, b64.len, sig->raw, sizeof(sig->raw),
	    &sig->rawlen) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "signature line %d is not canonical base64", lineno);
	if (sig->rawlen < 5)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "signature line %d is too short to hold a key ID and a "
		    "signature", lineno);
	sig->key_id = (uint32_t)sig->raw[0] << 24 |
	    (uint32_t)sig->raw[1] << 16 | (uint32_t)sig->raw[2] << 8 |
	    (uint32_t)sig->raw[3];
	return 0;
}

/* Checks the syntax of every signature line. */
static int
note_check_sigs(struct span sigs, char *err, size_t errlen)
{
	struct note_sig	*sig;
	struct span	 line;
	int		 lineno = 0, r = 0;

	if ((sig = malloc(sizeof(*sig))) == NULL)
		return CUSTODY_ERR_NOMEM;
	while (span_next_line(&sigs, &line)) {
		if ((r = note_sig_parse(line, ++lineno, sig, err,
		    errlen)) != 0)
			goto out;
	}
 out:
	free(sig);
	return r;
}

/* Parses the size line: "0" or [1-9][0-9]* up to 2^64 - 1. */
static int
note_parse_size(struct span s, uint64_t *size, char *err, size_t errlen)
{
	char		 q[4 * QUOTE_MAX + 4];
	uint64_t	 v = 0, d;
	size_t		 i;

	if (s.len == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint size line is empty");
	for (i = 0; i < s.len; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "checkpoint size \"%s\" is not a decimal number",
			    quote(s.p, s.len, q, sizeof(q)));
	if (s.p[0] == '0' && s.len > 1)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint size \"%s\" has a leading zero",
		    quote(s.p, s.len, q, sizeof(q)));
	for (i = 0; i < s.len; i++) {
		d = (uint64_t)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "checkpoint size \"%s\" is larger than 2^64-1",
			    quote(s.p, s.len, q, sizeof(q)));
		v = v * 10 + d;
	}
	*size = v;
	return 0;
}

/* Parses the root line: canonical base64 of exactly 32 bytes. */
static int
note_parse_root(struct span s, uint8_t root[32], char *err, size_t errlen)
{
	char	 q[4 * QUOTE_MAX + 4];
	uint8_t	 buf[ROOT_B64_LEN / 4 * 3];
	size_t	 n = 0;

	if (s.len != ROOT_B64_LEN || b64_decode(s.p, s.len, buf, sizeof(buf),
	    &n) != 0 || n != 32)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint root \"%s\" is not canonical base64 of 32 "
		    "bytes", quote(s.p, s.len, q, sizeof(q)));
	memcpy(root, buf, 32);
	return 0;
}

/* Parses the note text: exactly origin, size and root lines. */
static int
note_parse_text(struct span text, struct checkpoint *cp, char *err,
    size_t errlen)
{
	char		 q[4 * QUOTE_MAX + 4];
	struct span	 rest = text, line[3], extra;
	int		 i, r;

	for (i = 0; i < 3; i++)
		if (!span_next_line(&rest, &line[i]))
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "checkpoint text has %d line%s; it must have 3", i,
			    i == 1 ? "" : "s");
	if (span_next_line(&rest, &extra))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint has an extra line 4: \"%s\" (this station "
		    "accepts no extension lines)",
		    quote(extra.p, extra.len, q, sizeof(q)));
	if (line[0].len == 0)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint origin line is empty");
	if (line[0].len > NOTE_MAX_ORIGIN)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint origin is %zu bytes, over the limit of %d",
		    line[0].len, NOTE_MAX_ORIGIN);
	if (!origin_is_valid(line[0].p, line[0].len))
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "checkpoint origin \"%s\" has a space, '+' or control "
		    "character", quote(line[0].p, line[0].len, q, sizeof(q)));
	if ((r = note_parse_size(line[1], &cp->size, err, errlen)) != 0 ||
	    (r = note_parse_root(line[2], cp->root, err, errlen)) != 0)
		return r;
	memcpy(cp->origin, line[0].p, line[0].len);
	cp->origin[line[0].len] = '\0';
	return 0;
}

/*
 * The envelope, signature syntax and text checks shared by parse and
 * verify.  Fills *cp and the spans on success.
 */
static int
note_parse(const char *note, size_t len, struct span *text,
    struct span *sigs, struct checkpoint *cp, char *err, size_t errlen)
{
	int	 r;

	if ((r = note_split(note, len, text, sigs, err, errlen)) != 0 ||
	    (r = note_check_sigs(*sigs, err, errlen)) != 0)
		return r;
	memset(cp, 0, sizeof(*cp));
	return note_parse_text(*text, cp, err, errlen);
}

/*
 * Verifies every signature line by (name, key_id) over text; at least one
 * must exist, and each must verify.  Lines of other keys are ignored.
 */
static int
note_verify_sigs(struct span text, struct span sigs, const char *name,
    uint32_t key_id, const struct sign_pub *pub, char *err, size_t errlen)
{
	char		 q[4 * QUOTE_MAX + 4];
	struct note_sig	*sig;
	struct span	 line;
	size_t		 namelen = strlen(name);
	int		 lineno = 0, found = 0, r = 0;

	if ((sig = malloc(sizeof(*sig))) == NULL)
		return CUSTODY_ERR_NOMEM;
	while (span_next_line(&sigs, &line)) {
		if ((r = note_sig_parse(line, ++lineno, sig, err,
		    errlen)) != 0)
			goto out;
		if (sig->key_id != key_id || sig->name.len != namelen ||
		    memcmp(sig->name.p, name, namelen) != 0)
			continue;
		r = sign_verify(pub, text.p, text.len, sig->raw + 4,
		    sig->rawlen - 4);
		if (r != 0) {
			r = custody_fail(err, errlen, r,
			    "signature by %s does not verify (line %d)",
			    quote(name, namelen, q, sizeof(q)), lineno);
			goto out;
		}
		found++;
	}
	if (found == 0)
		r = custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "no signature by key %s+%08" PRIx32,
		    quote(name, namelen, q, sizeof(q)), key_id);
 out:
	free(sig);
	return r;
}

/*
 * Parses and verifies a checkpoint note against pub; see note.h and the
 * comment at the top of this file for what is checked, in what order.
 * Fills *out only on success.
 */
int
note_verify_checkpoint(const char *note, size_t len,
    const struct sign_pub *pub, const char *origin,
    struct checkpoint *out, char *err, size_t errlen)
{
	char			 q1[4 * QUOTE_MAX + 4], q2[4 * QUOTE_MAX + 4];
	struct checkpoint	 cp;
	struct span		 text, sigs;
	uint32_t		 key_id = 0;
	int			 r;

	if (pub == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "no public key to verify the note with");
	if ((r = note_parse(note, len, &text, &sigs, &cp, err, errlen)) != 0)
		return r;
	if (origin != NULL && strcmp(cp.origin, origin) != 0)
		return custody_fail(err, errlen, CUSTODY_ERR_VERIFY,
		    "checkpoint origin is %s, expected %s",
		    quote(cp.origin, strlen(cp.origin), q1, sizeof(q1)),
		    quote(origin, strlen(origin), q2, sizeof(q2)));
	if ((r = note_key_id(pub, &key_id)) != 0)
		return custody_fail(err, errlen, r,
		    "cannot compute the key ID of the public key");
	if ((r = note_verify_sigs(text, sigs, cp.origin, key_id, pub, err,
	    errlen)) != 0)
		return r;
	if (out != NULL)
		*out = cp;
	return 0;
}

/*
 * Parses a signed checkpoint note without verifying any signature (for
 * display only: nothing in it is to be trusted).  Applies every syntax
 * check of note_verify_checkpoint.  Fills *out only on success.
 */
int
note_parse_checkpoint(const char *note, size_t len,
    struct checkpoint *out, char *err, size_t errlen)
{
	struct checkpoint	 cp;
	struct span		 text, sigs;
	int			 r;

	if (out == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "nowhere to put the checkpoint");
	if ((r = note_parse(note, len, &text, &sigs, &cp, err, errlen)) != 0)
		return r;
	*out = cp;
	return 0;
}

/* The first four bytes of a SPKI hash, big-endian. */
static uint32_t
note_id_from(const uint8_t *md)
{
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | (uint32_t)md[3];
}

/* The signed-note key ID of pub: SHA-256(DER SPKI)[:4], big-endian. */
int
note_key_id(const struct sign_pub *pub, uint32_t *id)
{
	if (pub == NULL || id == NULL)
		return CUSTODY_ERR_INVAL;
	*id = note_id_from(sign_pub_spki_sha256(pub));
	return 0;
}

/* The key ID of key's public half. */
static int
note_key_id_of(const struct sign_key *key, uint32_t *id)
{
	*id = note_id_from(sign_key_spki_sha256(key));
	return 0;
}

/*
 * Builds the signature line payload base64(key ID || sig) into b64, which
 * holds 4 * ((4 + SIGN_MAX_SIG + 2) / 3) + 1 bytes.
 */
static int
note_sig_b64(const struct sign_key *key, const char *text, size_t textlen,
    char *b64)
{
	uint8_t		 raw[4 + SIGN_MAX_SIG];
	size_t		 siglen = 0;
	uint32_t	 id = 0;
	int		 r;

	if ((r = note_key_id_of(key, &id)) != 0 ||
	    (r = sign_data(key, text, textlen, raw + 4, &siglen)) != 0)
		return r;
	raw[0] = (uint8_t)(id >> 24);
	raw[1] = (uint8_t)(id >> 16);
	raw[2] = (uint8_t)(id >> 8);
	raw[3] = (uint8_t)id;
	if (EVP_EncodeBlock((unsigned char *)b64, raw, (int)(4 + siglen)) <= 0)
		return CUSTODY_ERR_CRYPTO;
	return 0;
}

/*
 * Signs cp with key and returns the whole note, NUL-terminated, in a
 * malloc'd *note (the caller frees it).  Refuses (CUSTODY_ERR_INVAL) an
 * origin that is empty, unterminated, not UTF-8, or has a space, '+' or a
 * control character (C0, DEL or C1).
 */
int
note_sign_checkpoint(const struct checkpoint *cp,
    const struct sign_key *key, char **note)
{
	char	 text[NOTE_MAX_ORIGIN + 1 + 20 + 1 + ROOT_B64_LEN + 2];
	char	 root[ROOT_B64_LEN + 1];
	char	 sig[4 * ((4 + SIGN_MAX_SIG + 2) / 3) + 1];
	char	*buf = NULL;
	size_t	 olen, need;
	int	 n, r;

	if (note == NULL)
		return CUSTODY_ERR_INVAL;
	*note = NULL;
	if (cp == NULL || key == NULL)
		return CUSTODY_ERR_INVAL;
	olen = strnlen(cp->origin, sizeof(cp->origin));
	if (olen == sizeof(cp->origin) || !origin_is_valid(cp->origin, olen))
		return CUSTODY_ERR_INVAL;
	if (EVP_EncodeBlock((unsigned char *)root, cp->root, 32) !=
	    ROOT_B64_LEN)
		return CUSTODY_ERR_CRYPTO;
	n = snprintf(text, sizeof(text), "%s\n%" PRIu64 "\n%s\n", cp->origin,
	    cp->size, root);
	if (n < 0 || (size_t)n >= sizeof(text))
		return CUSTODY_ERR_INVAL;
	if ((r = note_sig_b64(key, text, (size_t)n, sig)) != 0)
		return r;
	need = (size_t)n + 1 + SIG_PREFIX_LEN + olen + 1 + strlen(sig) + 2;
	if ((buf = malloc(need)) == NULL)
		return CUSTODY_ERR_NOMEM;
	n = snprintf(buf, need, "%s\n" SIG_PREFIX "%s %s\n", text, cp->origin,
	    sig);
	if (n < 0 || (size_t)n >= need) {
		free(buf);
		return CUSTODY_ERR_INVAL;
	}
	*note = buf;
	return 0;
}
