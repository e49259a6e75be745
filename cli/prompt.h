/*
 * prompt.h -- asking a person for what the command line left out, and
 * reading secrets (passwords) from a terminal or a file.
 *
 * Questions are asked only when standard input is a terminal.  A script
 * (stdin not a terminal) is never asked anything: the command fails with
 * one line naming every missing option (cli_missing_message).
 *
 * Functions that can fail return a custody(1) exit code (CLI_OK on
 * success) and write one line for the person into err.
 */
#ifndef CUSTODY_CLI_PROMPT_H
#define CUSTODY_CLI_PROMPT_H

#include <stddef.h>

#define CLI_SECRET_MAX	4096	/* longest password accepted, bytes */
#define CLI_ANSWER_MAX	4096	/* longest typed answer, bytes */

/* A password in its own buffer, zeroed when cleared. */
struct cli_secret {
	char	*data;		/* NUL-terminated, or NULL */
	size_t	 len;
};

/* 1 if questions may be asked: standard input is a terminal. */
int	cli_interactive(void);

/*
 * Writes prompt to stderr and reads one line from standard input into
 * buf (the newline removed).  With secret, the terminal does not echo
 * while the line is typed; an interrupt restores the terminal first.
 * Returns CLI_OK, or CLI_USAGE at end of input or for a line too long.
 */
int	cli_ask(const char *prompt, int secret, char *buf, size_t len,
	    char *err, size_t errlen);

/*
 * Reads a secret from path ("-": standard input), removing one trailing
 * newline.  opt names the option in messages ("--password-file").
 * Refuses an empty secret, one with a NUL byte, or one over
 * CLI_SECRET_MAX bytes, and "-" when standard input is a terminal (it
 * would be typed with echo on): all CLI_USAGE.
 */
int	cli_secret_file(const char *opt, const char *path,
	    struct cli_secret *s, char *err, size_t errlen);

/*
 * Asks for a secret with echo off; with again non-NULL asks a second
 * time with that prompt and refuses two different answers.  An empty
 * answer is asked again.
 */
int	cli_secret_ask(const char *prompt, const char *again,
	    struct cli_secret *s, char *err, size_t errlen);

/* Zeroes and frees s->data; s may be cleared twice. */
void	cli_secret_clear(struct cli_secret *s);

/*
 * The one-line message for missing fields, e.g.
 * "missing --pupil, --seal; give them as options".  Names that are not
 * options (positional ones, "DEVICE") make it "on the command line".
 * Always NUL-terminates out; a list too long is cut with "...".
 */
void	cli_missing_message(const char *const *names, size_t n, char *out,
	    size_t len);

#endif
