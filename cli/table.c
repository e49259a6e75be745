/*
 * table.c -- tables, records and text for the terminal, always escaped.
 *
 * A table keeps its cells already escaped; widths are counted in
 * characters (UTF-8 sequences), which escaped text is made of: every
 * control character, including every terminal escape, has become a
 * visible "\x1b" or "\u009b" before it is stored.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/table.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/escape.h"
#include "common/timefmt.h"

#define JSON_TEXT_DEPTH	4	/* nesting shown before "..." */
#define FIELD_MAX	8192	/* longest escaped record value */

struct table {
	size_t	  ncols;
	char	**cells;	/* escaped; row-major, headings first */
	size_t	  n, cap;
	int	  nomem;
};

/* Characters in UTF-8 text (every byte that does not continue one). */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Stores an escaped copy of s as the next cell. */
static void
table_put(struct table *t, const char *s, size_t len)
{
	char out[TABLE_LAST_MAX + 1], **n, *cell;
	size_t ncap, cap;

	if (t == NULL || t->nomem)
		return;
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 64;
		if ((n = reallocarray(t->cells, ncap, sizeof(*n))) == NULL) {
			t->nomem = 1;
			return;
		}
		t->cells = n;
		t->cap = ncap;
	}
	cap = t->n % t->ncols + 1 == t->ncols ? TABLE_LAST_MAX + 1 :
	    TABLE_CELL_MAX + 1;
	escape_text(s, len, out, cap);
	if ((cell = strdup(out)) == NULL) {
		t->nomem = 1;
		return;
	}
	t->cells[t->n++] = cell;
}

struct table *
table_new(const char *const *headers, size_t ncols)
{
	struct table *t;
	size_t i;

	if (ncols == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncols = ncols;
	for (i = 0; i < ncols; i++)
		table_put(t, headers[i], strlen(headers[i]));
	if (t->nomem) {
		table_free(t);
		return NULL;
	}
	return t;
}

void
table_cell(struct table *t, const char *s)
{
	if (s == NULL)
		s = "-";
	table_put(t, s, strlen(s));
}

void
table_cell_json(struct table *t, const char *key, const json_t *v)
{
	struct buf b;

	buf_init(&b);
	if (cli_json_text(key, v, &b) != 0)
		t->nomem = 1;
	else
		table_put(t, b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
}

int
table_print(const struct table *t, FILE *fp)
{
	size_t *w, i, c, k;

	if (t == NULL || t->nomem ||
	    (w = calloc(t->ncols, sizeof(*w))) == NULL)
		return -1;
	for (i = 0; i < t->n; i++)
		if ((k = text_width(t->cells[i])) > w[i % t->ncols])
			w[i % t->ncols] = k;
	for (i = 0; i < t->n; i++) {
		c = i % t->ncols;
		fputs(t->cells[i], fp);
		if (c + 1 == t->ncols || i + 1 == t->n) {
			fputc('\n', fp);
			continue;
		}
		for (k = text_width(t->cells[i]); k < w[c] + 2; k++)
			fputc(' ', fp);
	}
	free(w);
	return 0;
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int
cli_time_key(const char *key)
{
	static const char *const names[] = { "time", "since", "expires",
	    "checkpoint_time", "created", "disabled", "opened", "until",
	    "locked_until", "last_login" };
	size_t i, n;

	if (key == NULL)
		return 0;
	n = strlen(key);
	if (n > 3 && strcmp(key + n - 3, "_at") == 0)
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

/* A time as local time with zone: RFC 3339 text, or Unix seconds/ms. */
static int
json_time_text(const json_t *v, struct buf *b)
{
	struct custody_time ct;
	char out[64];
	json_int_t n;

	if (json_is_string(v)) {
		cli_local_time(json_string_value(v), out, sizeof(out));
		return buf_printf(b, "%s", out);
	}
	n = json_integer_value(v);
	if (n > 0 && custody_time_from_ms(n < 100000000000LL ? n * 1000 : n,
	    &ct) == 0) {
		cli_local_time(ct.utc, out, sizeof(out));
		return buf_printf(b, "%s", out);
	}
	return buf_printf(b, "%lld", (long long)n);
}

static int
json_text(const char *key, const json_t *v, struct buf *b, int depth)
{
	const char *k;
	json_t *e;
	size_t i;
	int r = 0, first = 1;

	if (depth > JSON_TEXT_DEPTH)
		return buf_printf(b, "...");
	if (cli_time_key(key) && (json_is_string(v) || json_is_integer(v)))
		return json_time_text(v, b);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_append(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(b, "%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return buf_printf(b, "%g", json_real_value(v));
	case JSON_TRUE:
		return buf_printf(b, "yes");
	case JSON_FALSE:
		return buf_printf(b, "no");
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			if ((i > 0 && (r = buf_printf(b, ", ")) != 0) ||
			    (r = json_text(key, e, b, depth + 1)) != 0)
				return r;
		}
		return 0;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, e) {
			if ((r = buf_printf(b, "%s%s=", first ? "" : ", ",
			    k)) != 0 || (r = json_text(k, e, b, depth + 1)) != 0)
				return r;
			first = 0;
		}
		return 0;
	default:
		return buf_printf(b, "-");
	}
}

int
cli_json_text(const char *key, const json_t *v, struct buf *b)
{
	if (v == NULL)
		return buf_printf(b, "-");
	return json_text(key, v, b, 0);
}

void
cli_print_field(FILE *fp, const char *label, size_t width, const char *key,
    const json_t *v)
{
	char *out;
	struct buf b;
	size_t n;

	buf_init(&b);
	if (cli_json_text(key, v, &b) != 0 ||
	    (out = malloc(FIELD_MAX)) == NULL) {
		buf_free(&b);
		fprintf(fp, "%s: (out of memory)\n", label);
		return;
	}
	escape_text(b.data != NULL ? b.data : "", b.len, out, FIELD_MAX);
	fputs(label, fp);
	fputc(':', fp);
	for (n = text_width(label) + 1; n < width + 2; n++)
		fputc(' ', fp);
	fputs(out, fp);
	fputc('\n', fp);
	free(out);
	buf_free(&b);
}

/* 1 if key is in the NULL-terminated list. */
static int
listed(const char *key, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

void
cli_print_object(FILE *fp, const json_t *obj, const char *const *skip)
{
	char label[64], safe[64];
	const char *k;
	json_t *v;
	size_t w = 0, i;

	json_object_foreach((json_t *)obj, k, v)
		if (!listed(k, skip) && strlen(k) > w)
			w = strlen(k);
	if (w > 24)
		w = 24;
	json_object_foreach((json_t *)obj, k, v) {
		if (listed(k, skip))
			continue;
		escape_text(k, strlen(k), safe, sizeof(safe));
		for (i = 0; safe[i] != '\0' && i + 1 < sizeof(label); i++)
			label[i] = safe[i] == '_' ? ' ' : safe[i];
		label[i] = '\0';
		if (label[0] >= 'a' && label[0] <= 'z')
			label[0] = (char)(label[0] - 'a' + 'A');
		cli_print_field(fp, label, w, k, v);
	}
}

/* The keys of an array of objects, in the order first seen. */
static json_t *
array_keys(const json_t *arr)
{
	json_t *keys = json_array(), *e, *v, *name;
	const char *k;
	size_t i, j;
	int seen;

	json_array_foreach(arr, i, e) {
		json_object_foreach(e, k, v) {
			seen = 0;
			json_array_foreach(keys, j, name)
				if (strcmp(json_string_value(name), k) == 0)
					seen = 1;
			if (!seen && json_array_append_new(keys,
			    json_string(k)) != 0) {
				json_decref(keys);
				return NULL;
			}
		}
	}
	return keys;
}

void
cli_print_item(FILE *fp, const json_t *v)
{
	char *out;
	struct buf b;

	buf_init(&b);
	if (cli_json_text(NULL, v, &b) == 0 &&
	    (out = malloc(FIELD_MAX)) != NULL) {
		escape_text(b.data != NULL ? b.data : "", b.len, out,
		    FIELD_MAX);
		fprintf(fp, "  - %s\n", out);
		free(out);
	}
	buf_free(&b);
}

int
cli_print_array(FILE *fp, const json_t *arr)
{
	const char *heads[32];
	char up[32][32];
	struct table *t = NULL;
	json_t *keys = NULL, *e, *name;
	size_t i, j, n, c;
	int r = -1;

	if (json_array_size(arr) == 0) {
		fprintf(fp, "(none)\n");
		return 0;
	}
	if (!json_is_object(json_array_get(arr, 0))) {
		json_array_foreach(arr, i, e)
			cli_print_item(fp, e);
		return 0;
	}
	if ((keys = array_keys(arr)) == NULL)
		goto out;
	if ((n = json_array_size(keys)) > 32)
		n = 32;
	for (j = 0; j < n; j++) {
		const char *k = json_string_value(json_array_get(keys, j));

		for (c = 0; k[c] != '\0' && c + 1 < sizeof(up[j]); c++)
			up[j][c] = k[c] == '_' ? ' ' : (k[c] >= 'a' &&
			    k[c] <= 'z' ? (char)(k[c] - 'a' + 'A') : k[c]);
		up[j][c] = '\0';
		heads[j] = up[j];
	}
	if ((t = table_new(heads, n)) == NULL)
		goto out;
	json_array_foreach(arr, i, e) {
		for (j = 0; j < n; j++) {
			name = json_array_get(keys, j);
			table_cell_json(t, json_string_value(name),
			    json_object_get(e, json_string_value(name)));
		}
	}
	r = table_print(t, fp);
out:
	table_free(t);
	json_decref(keys);
	return r;
}

/* The first of keys that obj has, or NULL. */
static const json_t *
get_any(const json_t *obj, const char *const *keys)
{
	const json_t *v;

	for (; *keys != NULL; keys++)
		if ((v = json_object_get(obj, *keys)) != NULL)
			return v;
	return NULL;
}

int
cli_print_devices(FILE *fp, const json_t *devices)
{
	static const char *const heads[] = { "ID", "STATE", "PUPIL",
	    "REASON", "LOCATION", "SEAL", "SINCE", "OVERDUE" };
	static const char *const id[] = { "device", "id", NULL };
	static const char *const since[] = { "since", "state_since",
	    "updated_at", "confiscated_at", NULL };
	static const char *const one[][2] = { { "state", NULL },
	    { "pupil", NULL }, { "reason", NULL }, { "location", NULL },
	    { "seal", NULL } };
	struct table *t;
	const json_t *od;
	json_t *e;
	size_t i, j;
	int r;

	if ((t = table_new(heads, 8)) == NULL)
		return -1;
	json_array_foreach(devices, i, e) {
		table_cell_json(t, "device", get_any(e, id));
		for (j = 0; j < sizeof(one) / sizeof(one[0]); j++)
			table_cell_json(t, one[j][0], get_any(e, one[j]));
		table_cell_json(t, "since", get_any(e, since));
		od = json_object_get(e, "overdue");
		if (od == NULL || json_is_false(od) || json_is_null(od))
			table_cell(t, "");
		else
			table_cell_json(t, "overdue", od);
	}
	r = table_print(t, fp);
	table_free(t);
	return r;
}

int
cli_print_plugged(FILE *fp, const json_t *plugged)
{
	static const char *const heads[] = { "PORT", "KIND", "USB ID",
	    "MAKER", "PRODUCT", "SERIAL", "PLUGGED IN", "DEVICE" };
	static const char *const maker[] = { "manufacturer",
	    "manufacturer_hex", NULL };
	static const char *const product[] = { "product", "product_hex",
	    NULL };
	static const char *const serial[] = { "serial", "serial_hex", NULL };
	struct table *t;
	struct buf b;
	json_t *e;
	size_t i;
	int r;

	if ((t = table_new(heads, 8)) == NULL)
		return -1;
	json_array_foreach(plugged, i, e) {
		table_cell_json(t, "port", json_object_get(e, "port"));
		table_cell_json(t, "kind", json_object_get(e, "kind"));
		buf_init(&b);
		if (buf_printf(&b, "%s:%s", json_string_value(json_object_get(e,
		    "vendor_id")) ?: "-", json_string_value(json_object_get(e,
		    "product_id")) ?: "-") != 0)
			table_cell(t, NULL);
		else
			table_cell(t, b.data);
		buf_free(&b);
		/* Device strings: escaped by table_cell, like every cell. */
		table_cell_json(t, "manufacturer", get_any(e, maker));
		table_cell_json(t, "product", get_any(e, product));
		table_cell_json(t, "serial", get_any(e, serial));
		table_cell_json(t, "detected_at", json_object_get(e,
		    "detected_at"));
		table_cell_json(t, "device", json_object_get(e, "device"));
	}
	r = table_print(t, fp);
	table_free(t);
	return r;
}

/* "user/role" of an event's actor. */
static void
actor_text(const json_t *actor, struct buf *b)
{
	const char *u, *role;

	if (!json_is_object(actor)) {
		(void)cli_json_text(NULL, actor, b);
		return;
	}
	u = json_string_value(json_object_get(actor, "user"));
	role = json_string_value(json_object_get(actor, "role"));
	(void)buf_printf(b, "%s/%s", u != NULL ? u : "?",
	    role != NULL ? role : "?");
}

/* One event as a table row. */
static void
event_row(struct table *t, const json_t *ev)
{
	const json_t *subj, *data;
	struct buf b;

	table_cell_json(t, "seq", json_object_get(ev, "seq"));
	table_cell_json(t, "time", json_object_get(ev, "time"));
	table_cell_json(t, "action", json_object_get(ev, "action"));
	buf_init(&b);
	actor_text(json_object_get(ev, "actor"), &b);
	table_cell(t, b.data != NULL ? b.data : "?");
	buf_free(&b);
	buf_init(&b);
	subj = json_object_get(ev, "subject");
	data = json_object_get(ev, "data");
	if (json_object_size(subj) > 0)
		(void)cli_json_text("subject", subj, &b);
	if (json_object_size(subj) > 0 && json_object_size(data) > 0)
		(void)buf_printf(&b, "; ");
	if (json_object_size(data) > 0)
		(void)cli_json_text("data", data, &b);
	table_cell(t, b.data != NULL ? b.data : "");
	buf_free(&b);
}

int
cli_print_events(FILE *fp, const json_t *events)
{
	static const char *const heads[] = { "SEQ", "TIME", "ACTION",
	    "ACTOR", "DETAILS" };
	struct table *t;
	json_t *e, *parsed;
	size_t i;
	int r;

	if ((t = table_new(heads, 5)) == NULL)
		return -1;
	json_array_foreach(events, i, e) {
		parsed = json_is_string(e) ? json_loadb(json_string_value(e),
		    json_string_length(e), 0, NULL) : json_incref(e);
		event_row(t, parsed);
		json_decref(parsed);
	}
	r = table_print(t, fp);
	table_free(t);
	return r;
}

void
cli_print_text(FILE *fp, const char *text)
{
	const char *p = text, *nl;
	char *out;
	size_t len;

	if ((out = malloc(FIELD_MAX)) == NULL)
		return;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		escape_text(p, len, out, FIELD_MAX);
		fputs(out, fp);
		fputc('\n', fp);
		p += len;
		if (*p == '\n')
			p++;
	}
	free(out);
}
