/*
 * request.c -- helpers for handlers: failing a request, reading
 * arguments defensively, appending events, sessions, time, logging.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "daemon/daemon.h"
#include "hashing/digest.h"

int
req_fail(struct req *r, const char *code, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
arg_str(struct req *r, const char *name, size_t max, int *bad)
{
	json_t *v = json_object_get(r->args, name);
	const char *s;
	size_t i, n;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = req_fail(r, "bad_request", "%s must be a string", name);
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max) {
		*bad = req_fail(r, "bad_request", "%s must be 1 to %zu "
		    "characters", name, max);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			*bad = req_fail(r, "bad_request", "%s contains a "
			    "control character", name);
			return NULL;
		}
	}
	return s;
}

int
arg_need(struct req *r, ...)
{
	char missing[400] = "";
	const char *name;
	size_t o = 0;
	va_list ap;
	int n;

	va_start(ap, r);
	while ((name = va_arg(ap, const char *)) != NULL) {
		json_t *v = json_object_get(r->args, name);

		if (v != NULL && !json_is_null(v) &&
		    !(json_is_string(v) && json_string_length(v) == 0))
			continue;
		n = snprintf(missing + o, sizeof(missing) - o, "%s%s",
		    o ? ", " : "", name);
		if (n > 0 && (size_t)n < sizeof(missing) - o)
			o += (size_t)n;
	}
	va_end(ap);
	if (o == 0)
		return 0;
	return req_fail(r, "bad_request", "missing %s", missing);
}

json_t *
req_actor(const struct req *r)
{
	return json_pack("{s:s, s:s, s:I, s:I}", "user", r->user[0] ?
	    r->user : "(unknown)", "role", role_name(r->role), "uid",
	    (json_int_t)r->uid, "gid", (json_int_t)r->gid);
}

int
req_store_fail(struct req *r, int e, const char *detail, int in_doubt)
{
	const char *cause = detail, *next;

	switch (e) {
	case CUSTODY_ERR_FULL:
		cause = "the disk holding the custody log is full";
		next = "free space on it (custody station status shows how "
		    "much is left)";
		break;
	case CUSTODY_ERR_CORRUPT:
		cause = "the custody database is damaged";
		next = "stop using the station until the technician has "
		    "checked it (custody log verify --db) and restored "
		    "custody.db from a backup";
		break;
	case CUSTODY_ERR_NOMEM:
		cause = "the station ran out of memory";
		next = "wait a minute (restart custodyd if it keeps "
		    "happening)";
		break;
	case CUSTODY_ERR_CRYPTO:
		if (cause == NULL)
			cause = "OpenSSL failed to hash or sign";
		next = "see journalctl -u custodyd (restart custodyd if it "
		    "keeps happening)";
		break;
	case CUSTODY_ERR_IO:
		next = "check the disk (custody station status shows free "
		    "space)";
		break;
	default:
		next = "see journalctl -u custodyd";
		break;
	}
	if (cause == NULL)
		cause = custody_strerror(e);
	if ((r->rule == NULL || !(r->rule->flags & POLICY_WRITE)) &&
	    r->events == 0)
		return req_fail(r, "internal", "could not answer: %s: %s",
		    cause, next);
	return req_fail(r, "internal", "could not record the request: %s; "
	    "%s: %s, then %s", cause, in_doubt ? "it may not have been saved" :
	    "nothing was recorded", next, in_doubt ? "check whether it is "
	    "recorded before repeating it" : "repeat the request");
}

int
req_event(struct req *r, const char *action, json_t *subject, json_t *data)
{
	json_t *actor = req_actor(r);
	uint64_t seq;
	int e;

	/* Each came from a json_pack or json_object: NULL is out of memory. */
	if (actor == NULL || subject == NULL || data == NULL) {
		json_decref(actor);
		json_decref(subject);
		json_decref(data);
		dlog("cannot append %s: out of memory", action);
		return req_store_fail(r, CUSTODY_ERR_NOMEM, NULL, 0);
	}
	e = custody_log_append(r->d->log, action, actor, subject, data, &seq);
	json_decref(actor);
	json_decref(subject);
	json_decref(data);
	if (e != 0) {
		dlog("cannot append %s: %s", action, custody_strerror(e));
		return e == CUSTODY_ERR_TOOBIG ? req_fail(r, "internal",
		    "cannot record the event: %s", custody_strerror(e)) :
		    req_store_fail(r, e, NULL, 0);
	}
	if (r->events++ == 0)
		r->seq = seq;
	return 0;
}

int
req_sql(struct req *r, const char *sql, json_t *params, json_t **rows)
{
	int e = store_sql(r->d->st, sql, params, rows);

	json_decref(params);
	if (e == 0)
		return 0;
	dlog("database error: %s: %s", custody_strerror(e),
	    store_errmsg(r->d->st));
	if (e == CUSTODY_ERR_EXISTS)
		return req_fail(r, "conflict", "it already exists");
	return req_store_fail(r, e, NULL, 0);
}

int64_t
daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
daemon_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dlog(const char *fmt, ...)
{
	va_list ap;

	fputs("custodyd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- sessions: random tokens bound to the peer uid ---- */

int
session_new(struct daemon *d, uid_t uid, const char *user,
    char token[DAEMON_TOKEN_HEX + 1])
{
	struct session *s = NULL, *oldest = NULL;
	uint8_t raw[32];
	size_t i;

	for (i = 0; i < DAEMON_MAX_SESSIONS; i++) {
		struct session *c = &d->sessions[i];

		if (c->token[0] == '\0' || daemon_mono_ms() - c->last_used >
		    (int64_t)d->cfg.session_idle * 1000) {
			s = c;
			break;
		}
		if (oldest == NULL || c->last_used < oldest->last_used)
			oldest = c;
	}
	if (s == NULL)
		s = oldest;	/* the least recently used gives way */
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return CUSTODY_ERR_CRYPTO;
	OPENSSL_cleanse(s, sizeof(*s));
	digest_hex(raw, sizeof(raw), s->token);
	OPENSSL_cleanse(raw, sizeof(raw));
	s->uid = uid;
	(void)snprintf(s->user, sizeof(s->user), "%s", user);
	s->last_used = daemon_mono_ms();
	memcpy(token, s->token, DAEMON_TOKEN_HEX + 1);
	return 0;
}

struct session *
session_find(struct daemon *d, const char *token, uid_t uid)
{
	struct session *found = NULL;
	size_t i;

	if (token == NULL || strlen(token) != DAEMON_TOKEN_HEX)
		return NULL;
	for (i = 0; i < DAEMON_MAX_SESSIONS; i++) {
		struct session *s = &d->sessions[i];

		if (s->token[0] != '\0' && CRYPTO_memcmp(s->token, token,
		    DAEMON_TOKEN_HEX) == 0)
			found = s;
	}
	if (found == NULL || found->uid != uid)
		return NULL;
	if (daemon_mono_ms() - found->last_used >
	    (int64_t)d->cfg.session_idle * 1000) {
		session_drop(d, found);
		return NULL;
	}
	found->last_used = daemon_mono_ms();
	return found;
}

void
session_drop(struct daemon *d, struct session *s)
{
	(void)d;
	OPENSSL_cleanse(s, sizeof(*s));
}

void
session_drop_user(struct daemon *d, const char *user)
{
	size_t i;

	for (i = 0; i < DAEMON_MAX_SESSIONS; i++)
		if (d->sessions[i].token[0] != '\0' &&
		    strcmp(d->sessions[i].user, user) == 0)
			session_drop(d, &d->sessions[i]);
}
