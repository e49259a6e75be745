/*
 * table.h -- showing custodyd's answers to a person: aligned tables,
 * "label  value" records, and receipt text.
 *
 * Every string that reaches the terminal goes through escape_text()
 * (common/escape.h) first: device strings, pupil references and free
 * text typed by other users are all hostile until shown escaped.  Times
 * are shown in local time with the zone (cli_local_time).
 */
#ifndef CUSTODY_CLI_TABLE_H
#define CUSTODY_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "common/buf.h"

#define TABLE_CELL_MAX	80	/* widest cell, in bytes once escaped */
#define TABLE_LAST_MAX	600	/* the last column, which is not padded */

struct table;

/* A table with ncols columns and these headings; NULL if out of memory. */
struct table *table_new(const char *const *headers, size_t ncols);
/*
 * Adds the next cell, left to right, row after row: s escaped (NULL is
 * shown as "-"), cut to TABLE_CELL_MAX with "..." (TABLE_LAST_MAX in the
 * last column).
 */
void	table_cell(struct table *t, const char *s);
/* Adds v as text (cli_json_text); key decides whether it is a time. */
void	table_cell_json(struct table *t, const char *key, const json_t *v);
/*
 * Prints the table, columns two spaces apart, the last column not padded.
 * Returns 0, or -1 if memory ran out while it was built (nothing printed).
 */
int	table_print(const struct table *t, FILE *fp);
void	table_free(struct table *t);

/*
 * Appends v as plain, unescaped text to b: strings as they are (times in
 * local time when key names a time), integers, true/false as yes/no, null
 * as "-", arrays joined with ", ", objects as "key=value" pairs.
 * Returns 0 or a custody error code.
 */
int	cli_json_text(const char *key, const json_t *v, struct buf *b);
/* 1 if a result key holds a time ("time", "expires", "*_at", ...). */
int	cli_time_key(const char *key);

/* Prints "label  value" with the label padded to width, value escaped. */
void	cli_print_field(FILE *fp, const char *label, size_t width,
	    const char *key, const json_t *v);
/*
 * Prints every member of obj as a field (labels are the keys, '_' shown
 * as ' '), skipping the NULL-terminated list skip (may be NULL).
 */
void	cli_print_object(FILE *fp, const json_t *obj, const char *const *skip);
/*
 * Prints an array of objects as a table whose columns are the keys in
 * the order first seen; an array of other values, one per line.
 * Prints "(none)" for an empty array.  Returns 0 or -1 (out of memory).
 */
int	cli_print_array(FILE *fp, const json_t *arr);
/*
 * Devices as a table: ID, STATE, PUPIL, REASON, LOCATION, SEAL, SINCE
 * (local time), OVERDUE.  Returns 0 or -1 (out of memory).
 */
int	cli_print_devices(FILE *fp, const json_t *devices);
/*
 * USB devices plugged in now (custody device list --detected, custody
 * status): PORT, KIND, USB ID, MAKER, PRODUCT, SERIAL, PLUGGED IN,
 * DEVICE (if registered).  Returns 0 or -1 (out of memory).
 */
int	cli_print_plugged(FILE *fp, const json_t *plugged);
/*
 * Custody events as a table: SEQ, TIME (local), ACTION, ACTOR, DETAILS
 * (the subject and data).  An element may be an event object or its
 * stored bytes as a string.  Returns 0 or -1 (out of memory).
 */
int	cli_print_events(FILE *fp, const json_t *events);
/* Prints v as one "  - value" line, escaped. */
void	cli_print_item(FILE *fp, const json_t *v);
/* Prints multi-line text, each line escaped, newlines kept. */
void	cli_print_text(FILE *fp, const char *text);

#endif
