/*
 * receipt.c -- receipts: the event, its leaf hash, the station key
 * fingerprint and the signed checkpoint that contains the event.
 *
 *	custody-receipt: 1
 *	event: 42
 *	action: device.handover
 *	leaf: <64 hex digits>
 *	key: <64 hex digits, the station certificate's SHA-256>
 *	
 *	<the checkpoint note, verbatim: origin, size, root, blank line,
 *	 signature line>
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "evidence/log.h"
#include "hashing/digest.h"

#define RECEIPT_MAX	8192

int
custody_log_receipt(struct custody_log *log, uint64_t seq, struct receipt *rc,
    char *err, size_t errlen)
{
	struct store *st = custody_log_store(log);
	json_t *ev = NULL;
	const char *action;
	char *body = NULL;
	size_t len;
	int r;

	memset(rc, 0, sizeof(*rc));
	if ((r = store_event_get(st, seq, &body, &len, rc->leaf)) != 0) {
		r = custody_fail(err, errlen, r, "no event %llu in the log",
		    (unsigned long long)seq);
		goto out;
	}
	if ((ev = json_loadb(body, len, 0, NULL)) == NULL ||
	    (action = json_string_value(json_object_get(ev, "action"))) ==
	    NULL || strlen(action) >= sizeof(rc->action)) {
		r = custody_fail(err, errlen, CUSTODY_ERR_CORRUPT,
		    "event %llu is malformed; run custody log verify",
		    (unsigned long long)seq);
		goto out;
	}
	memcpy(rc->action, action, strlen(action) + 1);
	if ((r = store_checkpoint_covering(st, seq + 1, &rc->cp.size,
	    rc->cp.root, &rc->note)) != 0) {
		r = custody_fail(err, errlen, r, "no signed checkpoint covers "
		    "event %llu yet", (unsigned long long)seq);
		goto out;
	}
	memcpy(rc->cp.origin, custody_log_origin(log), sizeof(rc->cp.origin));
	memcpy(rc->fingerprint, custody_log_fingerprint(log),
	    sizeof(rc->fingerprint));
	rc->seq = seq;
out:
	json_decref(ev);
	free(body);
	if (r != 0)
		receipt_clear(rc);
	return r;
}

int
receipt_format(const struct receipt *rc, char **text)
{
	struct buf b;
	char leaf[65];
	int r;

	*text = NULL;
	buf_init(&b);
	digest_hex(rc->leaf, 32, leaf);
	r = buf_printf(&b, "custody-receipt: 1\nevent: %llu\naction: %s\n"
	    "leaf: %s\nkey: %s\n\n%s", (unsigned long long)rc->seq,
	    rc->action, leaf, rc->fingerprint, rc->note ? rc->note : "");
	if (r == 0 && (*text = buf_steal(&b, NULL)) == NULL)
		r = CUSTODY_ERR_NOMEM;
	buf_free(&b);
	return r;
}

void
receipt_clear(struct receipt *rc)
{
	free(rc->note);
	memset(rc, 0, sizeof(*rc));
}

/* Parses exactly 64 hex digits (either case, colons allowed between pairs). */
static int
receipt_hex(const char *s, uint8_t out[32])
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s != '\0'; s++) {
		if (*s == ':' && hi < 0)
			continue;
		if (!isxdigit((unsigned char)*s) || n >= 32)
			return -1;
		v = isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0)
			hi = v;
		else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

static int
receipt_field(struct receipt *rc, const char *name, const char *val,
    unsigned int *seen)
{
	unsigned long long n;
	uint8_t fpr[32];
	char *end;

	unsigned int bit = strcmp(name, "custody-receipt") == 0 ? 1 :
	    strcmp(name, "event") == 0 ? 2 : strcmp(name, "leaf") == 0 ? 4 :
	    strcmp(name, "key") == 0 ? 8 : strcmp(name, "action") == 0 ? 16 : 0;

	if (*seen & bit)
		return -1;	/* a field given twice */
	if (strcmp(name, "custody-receipt") == 0) {
		*seen |= 1;
		return strcmp(val, "1") == 0 ? 0 : -1;
	} else if (strcmp(name, "event") == 0) {
		*seen |= 2;
		if (!isdigit((unsigned char)val[0]) ||
		    (val[0] == '0' && val[1] != '\0'))
			return -1;
		n = strtoull(val, &end, 10);
		rc->seq = n;
		return *end == '\0' && n < (1ULL << 62) ? 0 : -1;
	} else if (strcmp(name, "action") == 0) {
		*seen |= 16;
		if (strlen(val) >= sizeof(rc->action))
			return -1;
		memcpy(rc->action, val, strlen(val) + 1);
		return 0;
	} else if (strcmp(name, "leaf") == 0) {
		*seen |= 4;
		return receipt_hex(val, rc->leaf);
	} else if (strcmp(name, "key") == 0) {
		*seen |= 8;
		if (receipt_hex(val, fpr) != 0)
			return -1;
		digest_hex(fpr, 32, rc->fingerprint);
		return 0;
	}
	return -1;
}

int
receipt_parse(const char *text, size_t len, struct receipt *rc, char *err,
    size_t errlen)
{
	char line[512], *colon, *val, *q;
	const char *p = text, *end = text + len, *nl;
	unsigned int seen = 0;
	size_t ll;
	int lineno = 0, r;

	memset(rc, 0, sizeof(*rc));
	if (len > RECEIPT_MAX || memchr(text, '\0', len) != NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
		    "not a custody receipt: too long or binary");
	for (;;) {
		lineno++;
		if (p >= end)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "not a custody receipt: no checkpoint after the "
			    "header");
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll >= sizeof(line))
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "not a custody receipt: line %d is too long", lineno);
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl ? nl + 1 : end;
		if (ll == 0)
			break;
		if ((colon = strchr(line, ':')) == NULL || colon[1] != ' ')
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "not a custody receipt: line %d is not 'name: "
			    "value'", lineno);
		*colon = '\0';
		val = colon + 2;
		if (receipt_field(rc, line, val, &seen) != 0)
			return custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "not a custody receipt: line %d: bad %s", lineno,
			    line);
	}
	if ((seen & 15) != 15)
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL, "not a "
		    "custody receipt: it needs custody-receipt, event, leaf "
		    "and key lines");
	/* The note as signed: CRLF (a receipt saved on Windows) as LF. */
	if ((rc->note = malloc((size_t)(end - p) + 1)) == NULL)
		return CUSTODY_ERR_NOMEM;
	for (q = rc->note; p < end; p++)
		if (*p != '\r' || p + 1 == end || p[1] != '\n')
			*q++ = *p;
	*q = '\0';
	if ((r = note_parse_checkpoint(rc->note, (size_t)(q - rc->note),
	    &rc->cp, err, errlen)) != 0) {
		receipt_clear(rc);
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL, "not a "
		    "custody receipt: its checkpoint is malformed");
	}
	if (rc->seq >= rc->cp.size) {
		receipt_clear(rc);
		return custody_fail(err, errlen, CUSTODY_ERR_INVAL, "not a "
		    "custody receipt: its checkpoint does not contain the "
		    "event");
	}
	return 0;
}
