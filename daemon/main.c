/*
 * custodyd -- the custody station daemon.
 *
 *	custodyd --init --id STATION-ID --admin NAME [--password-file F]
 *	custodyd [--config FILE] [--state DIR] [--socket PATH] [--foreground]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "daemon/daemon.h"
#include "daemon/sandbox.h"

#define USAGE "usage: custodyd [--config FILE] [--state DIR] " \
	"[--socket PATH] [--foreground]\n" \
	"       custodyd --init --id STATION-ID --admin NAME " \
	"[--password-file FILE] [--state DIR] [--config FILE]\n"

/* Reads a password from a file ("-" = stdin) or, on a terminal, asks. */
static int
read_password(const char *file, char *buf, size_t len)
{
	struct termios t, old;
	FILE *fp;
	size_t n;
	int tty = 0;

	if (file != NULL && strcmp(file, "-") != 0)
		fp = fopen(file, "re");
	else
		fp = stdin;
	if (fp == NULL)
		return -1;
	if (file == NULL && isatty(fileno(fp)) &&
	    tcgetattr(fileno(fp), &old) == 0) {
		fprintf(stderr, "Password for the first admin account: ");
		t = old;
		t.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fileno(fp), TCSAFLUSH, &t);
		tty = 1;
	}
	if (fgets(buf, (int)len, fp) == NULL)
		buf[0] = '\0';
	if (tty) {
		(void)tcsetattr(fileno(fp), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (fp != stdin)
		fclose(fp);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n > 0 ? 0 : -1;
}

/* Narrows what a compromise of the process could reach. */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	umask(077);
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
daemon_init_station(const struct config *cfg, const char *id,
    const char *admin, const char *password, size_t pwlen, char *err,
    size_t errlen)
{
	struct daemon d;
	struct req r;
	char fpr[SIGN_FPR_HEX];
	json_t *args;
	int e;

	memset(&d, 0, sizeof(d));
	d.cfg = *cfg;
	if ((e = station_init(cfg->state, id, fpr, err, errlen)) != 0)
		return e;
	if ((e = station_open(cfg->state, 0, &d.station, err, errlen)) != 0)
		return e;
	d.log = station_log(d.station);
	d.st = station_store(d.station);
	memset(&r, 0, sizeof(r));
	r.d = &d;
	r.fd_in = r.fd_out = -1;
	r.uid = getuid();
	r.role = ROLE_NONE;
	(void)snprintf(r.user, sizeof(r.user), "custodyd --init");
	r.op = "user.add";
	args = json_pack("{s:s, s:s, s:s%}", "user", admin, "role", "admin",
	    "new_password", password, pwlen);
	r.args = args;
	if ((e = custody_log_begin(d.log)) == 0) {
		if (h_user_add(&r) != 0) {
			custody_log_abort(d.log);
			e = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "cannot create admin %s: %s", admin, r.msg);
		} else
			e = custody_log_commit(d.log, err, errlen);
	}
	json_decref(args);
	station_close(d.station);
	if (e == 0)
		printf("station %s created in %s\nstation key fingerprint:\n"
		    "  %s\nadmin account: %s\n", id, cfg->state, fpr, admin);
	return e;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "init", no_argument, NULL, 'i' },
		{ "id", required_argument, NULL, 'I' },
		{ "admin", required_argument, NULL, 'a' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *state = NULL, *sock = NULL, *id = NULL;
	const char *admin = NULL, *pwfile = NULL;
	struct daemon *d;
	char err[512] = "", pw[AUTH_MAX_PASSWORD + 2];
	int ch, init = 0, e;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 's': state = optarg; break;
		case 'S': sock = optarg; break;
		case 'f': break;	/* always in the foreground */
		case 'i': init = 1; break;
		case 'I': id = optarg; break;
		case 'a': admin = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'h': fputs(USAGE, stdout); return 0;
		default: fputs(USAGE, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	/* Nothing a parent leaked may outlive this line. */
	if (sandbox_close_inherited() != 0) {
		fputs("custodyd: error: cannot close inherited descriptors\n",
		    stderr);
		return 1;
	}
	harden();
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return 1;
	config_defaults(&d->cfg);
	if (config != NULL && config_load(config, &d->cfg, err,
	    sizeof(err)) != 0)
		goto fail;
	/* Options, then the environment, then the configuration file. */
	if (state == NULL && (state = getenv("CUSTODY_STATE")) != NULL &&
	    state[0] == '\0')
		state = NULL;
	if (sock == NULL && (sock = getenv("CUSTODY_SOCKET")) != NULL &&
	    sock[0] == '\0')
		sock = NULL;
	if (state != NULL)
		(void)snprintf(d->cfg.state, sizeof(d->cfg.state), "%s", state);
	if (sock != NULL)
		(void)snprintf(d->cfg.socket, sizeof(d->cfg.socket), "%s", sock);
	if (init) {
		if (id == NULL || admin == NULL) {
			fputs("custodyd: error: --init needs --id and --admin\n",
			    stderr);
			free(d);
			return 2;
		}
		if (read_password(pwfile, pw, sizeof(pw)) != 0) {
			(void)snprintf(err, sizeof(err), "no password for %s: "
			    "give --password-file", admin);
			goto fail;
		}
		e = daemon_init_station(&d->cfg, id, admin, pw, strlen(pw), err,
		    sizeof(err));
		OPENSSL_cleanse(pw, sizeof(pw));
		if (e != 0)
			goto fail;
		free(d);
		return 0;
	}
	if (station_open(d->cfg.state, 0, &d->station, err, sizeof(err)) != 0)
		goto fail;
	d->log = station_log(d->station);
	d->st = station_store(d->station);
	OPENSSL_cleanse(d->grants, sizeof(d->grants));
	if (auth_cost_weak(&d->cfg.kdf))
		dlog("warning: password hashing is weaker than shipped "
		    "(kdf_log2n %u, kdf_r %u, kdf_p %u)", d->cfg.kdf.log2n,
		    d->cfg.kdf.r, d->cfg.kdf.p);
	if (auth_hash("custodyd: no such user", 22, &d->cfg.kdf,
	    d->dummy_hash, sizeof(d->dummy_hash)) != 0) {
		(void)snprintf(err, sizeof(err), "cannot hash with the "
		    "configured scrypt cost; check kdf_* in custody.conf");
		station_close(d->station);
		goto fail;
	}
	e = server_run(d, err, sizeof(err));
	station_close(d->station);
	OPENSSL_cleanse(d->sessions, sizeof(d->sessions));
	free(d);
	if (e != 0) {
		fprintf(stderr, "custodyd: error: %s\n", err);
		return 1;
	}
	return 0;
fail:
	fprintf(stderr, "custodyd: error: %s\n", err);
	free(d);
	return 1;
}
