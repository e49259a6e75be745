/*
 * prompt.c -- questions on the terminal, and secrets from files.
 *
 * Standard input is read with read(2), one byte at a time, never through
 * stdio: no copy of a password is left in a stdio buffer, and what
 * follows a line stays unread for the next question.
 *
 * While a password is typed the terminal's echo is off.  An interrupt
 * (^C, ^Z, hang-up) must not leave it off: the signal is caught, the
 * terminal restored, and the signal raised again with its old handler.
 * prompt_signo is the one piece of global state, written only by the
 * handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "cli/cli.h"
#include "cli/prompt.h"
#include "common/escape.h"

static volatile sig_atomic_t prompt_signo;

static const int prompt_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
};
#define NSIGNALS	(sizeof(prompt_signals) / sizeof(prompt_signals[0]))

int
cli_interactive(void)
{
	return isatty(STDIN_FILENO);
}

static void
prompt_catch(int signo)
{
	prompt_signo = signo;
}

/*
 * Reads one line from stdin into buf.  Returns 1 for a line, 0 at end of
 * input with nothing read, -1 on an error (EINTR when a signal came);
 * *cut is set if the line did not fit and was read to its end anyway.
 */
static int
read_line(char *buf, size_t len, int *cut)
{
	size_t n = 0;
	ssize_t k;
	char c;

	*cut = 0;
	for (;;) {
		if ((k = read(STDIN_FILENO, &c, 1)) == -1) {
			if (errno == EINTR && prompt_signo == 0)
				continue;
			buf[n] = '\0';
			return -1;
		}
		if (k == 0 || c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
		else
			*cut = 1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return k == 0 && n == 0 && !*cut ? 0 : 1;
}

/*
 * Shows prompt and reads a line with echo off, restoring the terminal on
 * any signal.  Echo goes off before the prompt is shown, so nothing typed
 * after the prompt appears is echoed or discarded.
 */
static int
read_quiet(const char *prompt, char *buf, size_t len, int *cut)
{
	struct sigaction sa, old[NSIGNALS];
	struct termios term, quiet;
	size_t i;
	int r, e, have_term;

	have_term = tcgetattr(STDIN_FILENO, &term) == 0;
	prompt_signo = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_catch;	/* no SA_RESTART: read(2) returns */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++)
		(void)sigaction(prompt_signals[i], &sa, &old[i]);
	if (have_term) {
		quiet = term;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(prompt, stderr);
	fflush(stderr);
	r = read_line(buf, len, cut);
	e = errno;
	if (have_term) {
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &term);
		fputc('\n', stderr);
	}
	for (i = 0; i < NSIGNALS; i++)
		(void)sigaction(prompt_signals[i], &old[i], NULL);
	if (prompt_signo != 0) {
		explicit_bzero(buf, len);
		(void)raise(prompt_signo);
		/* Still here (^Z, then fg): the caller reports it. */
		e = EINTR;
		r = -1;
	}
	errno = e;
	return r;
}

int
cli_ask(const char *prompt, int secret, char *buf, size_t len, char *err,
    size_t errlen)
{
	int r, cut;

	if (secret)
		r = read_quiet(prompt, buf, len, &cut);
	else {
		fputs(prompt, stderr);
		fflush(stderr);
		r = read_line(buf, len, &cut);
	}
	if (r == -1 && errno == EINTR)
		return custody_fail(err, errlen, CLI_USAGE, "interrupted; "
		    "nothing was done");
	if (r == -1)
		return custody_fail(err, errlen, CLI_FAIL, "cannot read the "
		    "answer: %s", strerror(errno));
	if (r == 0) {
		if (!secret)
			fputc('\n', stderr);
		return custody_fail(err, errlen, CLI_USAGE, "no answer (end of "
		    "input); nothing was done");
	}
	if (cut) {
		explicit_bzero(buf, len);
		return custody_fail(err, errlen, CLI_USAGE, "that answer is "
		    "too long (at most %zu bytes); nothing was done", len - 1);
	}
	return CLI_OK;
}

/* Takes a copy of p[0..len) into s. */
static int
secret_set(struct cli_secret *s, const char *p, size_t len)
{
	if ((s->data = malloc(len + 1)) == NULL)
		return -1;
	memcpy(s->data, p, len);
	s->data[len] = '\0';
	s->len = len;
	return 0;
}

/* Reads all of fd (up to len - 1 bytes) into buf; -1 if it is longer. */
static ssize_t
read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t k;

	while (n < len) {
		if ((k = read(fd, buf + n, len - n)) == -1 && errno == EINTR)
			continue;
		if (k == -1)
			return -1;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n == len) {
		errno = EFBIG;
		return -1;
	}
	return (ssize_t)n;
}

int
cli_secret_file(const char *opt, const char *path, struct cli_secret *s,
    char *err, size_t errlen)
{
	char buf[CLI_SECRET_MAX + 2], safe[256];
	ssize_t n = -1;
	int fd = -1, r = CLI_USAGE, e;

	s->data = NULL;
	s->len = 0;
	escape_text(path, strlen(path), safe, sizeof(safe));
	if (strcmp(path, "-") == 0 && isatty(STDIN_FILENO)) {
		/* It would echo: leave the option out to be asked instead. */
		(void)custody_fail(err, errlen, CLI_USAGE, "%s -: standard "
		    "input is a terminal; leave %s out to be asked with echo "
		    "off", opt, opt);
		goto out;
	}
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 || (n = read_all(fd, buf, sizeof(buf))) == -1) {
		e = errno;
		(void)custody_fail(err, errlen, CLI_USAGE, "cannot read %s %s: "
		    "%s", opt, safe, e == EFBIG ? "longer than a password "
		    "can be" : strerror(e));
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0 || memchr(buf, '\0', (size_t)n) != NULL ||
	    (size_t)n > CLI_SECRET_MAX) {
		(void)custody_fail(err, errlen, CLI_USAGE, "%s %s %s", opt, safe,
		    n == 0 ? "is empty" : (size_t)n > CLI_SECRET_MAX ?
		    "is longer than a password can be" : "has a NUL byte");
		goto out;
	}
	if (secret_set(s, buf, (size_t)n) != 0) {
		r = custody_fail(err, errlen, CLI_FAIL, "out of memory");
		goto out;
	}
	r = CLI_OK;
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1 && fd != STDIN_FILENO)
		close(fd);
	return r;
}

int
cli_secret_ask(const char *prompt, const char *again, struct cli_secret *s,
    char *err, size_t errlen)
{
	char a[CLI_SECRET_MAX + 1], b[CLI_SECRET_MAX + 1];
	size_t la;
	int r;

	s->data = NULL;
	s->len = 0;
	b[0] = '\0';
	do {
		if ((r = cli_ask(prompt, 1, a, sizeof(a), err, errlen)) != 0)
			goto out;
	} while (a[0] == '\0');
	la = strlen(a);
	if (again != NULL) {
		if ((r = cli_ask(again, 1, b, sizeof(b), err, errlen)) != 0)
			goto out;
		if (strlen(b) != la || CRYPTO_memcmp(a, b, la) != 0) {
			r = custody_fail(err, errlen, CLI_USAGE, "the two "
			    "passwords typed differ; nothing was done");
			goto out;
		}
	}
	if (secret_set(s, a, la) != 0)
		r = custody_fail(err, errlen, CLI_FAIL, "out of memory");
out:
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return r;
}

void
cli_secret_clear(struct cli_secret *s)
{
	if (s->data != NULL) {
		explicit_bzero(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}

void
cli_missing_message(const char *const *names, size_t n, char *out,
    size_t len)
{
	size_t i, o = 0;
	int k, positional = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	k = snprintf(out, len, "missing ");
	o = k > 0 && (size_t)k < len ? (size_t)k : 0;
	for (i = 0; i < n; i++) {
		if (strncmp(names[i], "--", 2) != 0)
			positional = 1;
		k = snprintf(out + o, len - o, "%s%s", i ? ", " : "",
		    names[i]);
		if (k < 0 || (size_t)k >= len - o - 1)
			break;
		o += (size_t)k;
	}
	(void)snprintf(out + o, len - o, "%s; give %s %s", i < n ? "..." : "",
	    n == 1 ? "it" : "them", positional ? "on the command line" :
	    n == 1 ? "as an option" : "as options");
}
