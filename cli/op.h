/*
 * op.h -- one daemon operation as a command, described by a table.
 *
 * Each command that sends one request to custodyd is a struct op_desc:
 * the op, an optional positional id (DEVICE, CASE), and its arguments,
 * each spelled on the command line as the protocol name with dashes
 * (old_seal is --old-seal).  op_run() does the rest the same way for
 * every command:
 *
 *  1. parse the options (getopt_long); --help prints help built from the
 *     table; a bad option or value is one error line and exit 2;
 *  2. collect what is missing: required arguments, conditionally
 *     required ones (reason_text when reason is other), and passwords
 *     not given as files.  If stdin is not a terminal the command fails
 *     naming all of them at once (exit 2); nothing is asked;
 *  3. load the session (exit 10 if there is none);
 *  4. on a terminal, ask for each missing field with a prompt that
 *     explains it, then for the passwords with echo off;
 *  5. send the request, print the answer (the command's printer, or the
 *     new id and the receipt for a write; the result object with --json).
 *
 * Passwords live in struct cli_secret buffers and are zeroed at the end;
 * jansson zeroes its copies (client_json_secure).
 */
#ifndef CUSTODY_CLI_OP_H
#define CUSTODY_CLI_OP_H

#include <stddef.h>

#include <jansson.h>

#define OP_MAXARGS	24

enum {
	OA_REQUIRED	= 0x01,	/* must be given (asked on a terminal) */
	OA_FLAG		= 0x02,	/* takes no value: given means true */
	OA_INT		= 0x04,	/* a whole number */
	OA_BOOL		= 0x08,	/* yes/no, true/false */
	OA_LIST		= 0x10,	/* repeatable, comma-separated: an array */
	OA_TIME		= 0x20,	/* "now", RFC 3339 UTC, or local
				   "YYYY-MM-DD HH:MM[:SS]" sent as UTC */
};

struct op_arg {
	const char	*key;		/* protocol name; NULL ends a list */
	int		 flags;
	const char	*meta;		/* placeholder in help: "SEAL" */
	const char	*label;		/* start of the prompt: "Seal number" */
	const char	*help;		/* what it is: "the number on ..." */
	const char *const *choices;	/* allowed values, or NULL */
	const char	*def;		/* sent when not given, or NULL */
	const char	*if_key;	/* required when if_key's value ... */
	const char	*if_value;	/* ... is this */
};

enum {
	OP_STEPUP	= 0x01,	/* args.password: the caller's, again */
	OP_NEWPW	= 0x02,	/* args.new_password, typed twice */
	OP_OFFICER	= 0x04,	/* args.officer_password: the officer types */
};

struct op_desc {
	const char	*op;		/* "device.seal" */
	const char	*cmd;		/* "device seal" */
	const char	*about;		/* what the command does, for --help */
	const struct op_arg *id;	/* the positional id, or NULL */
	const struct op_arg *args;	/* ends with a NULL key; or NULL */
	int		 secrets;	/* OP_* */
	const char	*pw_prompt;	/* instead of the step-up prompt */
	const char	*newpw_prompt;	/* instead of "New password: " */
	const char	*done;		/* said after a write */
	const char	*created;	/* result key of a new id, or NULL */
	/* Human output of a read; NULL for a write.  Returns an exit code. */
	int		(*print)(const json_t *result);
};

/* Runs the command d with its arguments (argv[0] is the verb). */
int	op_run(const struct op_desc *d, int argc, char **argv);

/*
 * After a write: "Recorded as event N." and, if the result has one, the
 * receipt under "Receipt (keep with the paper form):".
 */
void	op_print_receipt(const json_t *result);

/*
 * Prints one error line and returns the exit code, for commands that
 * call client_call() themselves.
 */
int	op_error(int code, const char *err);

/*
 * Calls op with the saved session, passing fd_in (or -1) and taking back a
 * descriptor into *fd_out (when not NULL).  Prints the error line and
 * returns its exit code on failure; CLI_OK and *result otherwise.
 */
int	op_call(const char *sock, const char *op, json_t *args, int fd_in,
	    int *fd_out, json_t **result);

struct cli_secret;
/*
 * A secret from --OPT FILE, or asked for on a terminal (prompt, and again
 * to confirm when again is not NULL); without a terminal and without the
 * file, one line naming --OPT.  Returns an exit code.
 */
int	op_secret(const char *opt, const char *file, const char *prompt,
	    const char *again, struct cli_secret *s);

/* Prints a JSON value compactly on stdout, with a newline. */
int	op_print_json(const json_t *v);

#endif
