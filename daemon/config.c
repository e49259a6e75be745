/*
 * config.c -- custody.conf(5): "key = value" lines, '#' comments.  The
 * configuration is read once at start-up and frozen.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "daemon/daemon.h"

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->state, sizeof(c->state), "/var/lib/custody");
	(void)snprintf(c->socket, sizeof(c->socket),
	    "/run/custody/custodyd.sock");
	auth_cost_default(&c->kdf);
	c->session_idle = 600;
	c->end_of_day = 16 * 60;
	c->police_hours = 24;
	c->max_clients = 256;
	c->client_timeout = 60;
	c->view_window = 15 * 60;
	c->view_witness = 1;
	c->usb_monitor = 1;
}

static int
config_onoff(const char *v, int *out)
{
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return -1;
	*out = strcmp(v, "on") == 0;
	return 0;
}

static int
config_int(const char *v, long lo, long hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

static int
config_time(const char *v, int *out)
{
	int h, m, used = 0;

	if (sscanf(v, "%2d:%2d%n", &h, &m, &used) != 2 || v[used] != '\0' ||
	    h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*out = h * 60 + m;
	return 0;
}

static int
config_path(const char *v, char *out, size_t len)
{
	if (v[0] != '/' || strlen(v) >= len)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int
config_set(struct config *c, const char *k, const char *v)
{
	int n;

	if (strcmp(k, "state") == 0)
		return config_path(v, c->state, sizeof(c->state));
	if (strcmp(k, "socket") == 0)
		return config_path(v, c->socket, sizeof(c->socket));
	if (strcmp(k, "socket_group") == 0) {
		if (strlen(v) >= sizeof(c->socket_group))
			return -1;
		memcpy(c->socket_group, v, strlen(v) + 1);
		return 0;
	}
	if (strcmp(k, "kdf_log2n") == 0 && config_int(v, 10, 22, &n) == 0)
		return c->kdf.log2n = (unsigned int)n, 0;
	if (strcmp(k, "kdf_r") == 0 && config_int(v, 1, 32, &n) == 0)
		return c->kdf.r = (unsigned int)n, 0;
	if (strcmp(k, "kdf_p") == 0 && config_int(v, 1, 16, &n) == 0)
		return c->kdf.p = (unsigned int)n, 0;
	if (strcmp(k, "session_idle") == 0)
		return config_int(v, 2, 86400, &c->session_idle);
	if (strcmp(k, "end_of_day") == 0)
		return config_time(v, &c->end_of_day);
	if (strcmp(k, "police_hours") == 0)
		return config_int(v, 1, 24 * 14, &c->police_hours);
	if (strcmp(k, "max_clients") == 0)
		return config_int(v, 1, 1000, &c->max_clients);
	if (strcmp(k, "client_timeout") == 0)
		return config_int(v, 1, 3600, &c->client_timeout);
	if (strcmp(k, "view_window") == 0)
		return config_int(v, 1, 3600, &c->view_window);
	if (strcmp(k, "view_witness") == 0) {
		if (strcmp(v, "required") != 0 && strcmp(v, "optional") != 0)
			return -1;
		c->view_witness = strcmp(v, "required") == 0;
		return 0;
	}
	if (strcmp(k, "usb_monitor") == 0)
		return config_onoff(v, &c->usb_monitor);
	if (strcmp(k, "usb_helper") == 0)
		return config_path(v, c->usb_helper, sizeof(c->usb_helper));
	if (strcmp(k, "ios_lockdown") == 0)
		return config_onoff(v, &c->ios_lockdown);
	return -2;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	char line[1024], *k, *v, *eq;
	FILE *fp;
	int lineno = 0, r = 0, s;

	if ((fp = fopen(path, "re")) == NULL)
		return custody_fail(err, errlen, CUSTODY_ERR_IO,
		    "cannot read config %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "%s:%d: line too long", path, lineno);
			break;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    "%s:%d: expected 'key = value'", path, lineno);
			break;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if ((s = config_set(c, k, v)) != 0) {
			r = custody_fail(err, errlen, CUSTODY_ERR_INVAL,
			    s == -2 ? "%s:%d: unknown setting '%s'; see "
			    "custody.conf(5)" : "%s:%d: bad value for '%s'; "
			    "see custody.conf(5)", path, lineno, k);
			break;
		}
	}
	fclose(fp);
	/* scrypt needs N < 2^(16 r). */
	if (r == 0 && c->kdf.log2n >= 16 * c->kdf.r)
		r = custody_fail(err, errlen, CUSTODY_ERR_INVAL, "%s: kdf_log2n "
		    "%u is too large for kdf_r %u (scrypt needs N < 2^(16 r)); "
		    "see custody.conf(5)", path, c->kdf.log2n, c->kdf.r);
	return r;
}
