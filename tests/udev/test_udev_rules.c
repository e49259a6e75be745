/*
 * test_udev_rules.c -- what udev/60-custody.rules decides for each
 * recorded device, checked with the real udevadm.
 *
 * How: each fixture is loaded into an umockdev testbed (this program runs
 * under umockdev-wrapper), and "udevadm test --action=add SYSPATH" is run
 * on every device of it, parents first, as the kernel would announce
 * them.  udevadm inherits the preload library, so it reads -- and, for
 * ATTR{authorized}="0", writes -- the testbed's sysfs.  The test then
 * reads back each interface's "authorized" attribute and parses the
 * properties, tags and GROUP/MODE decisions udevadm prints.
 *
 * udevadm reads its rules from fixed directories and writes its database
 * to /run/udev and links to /dev, so the whole program first enters a
 * private mount namespace (as root, or as an unprivileged user where user
 * namespaces are allowed; otherwise every test is skipped, saying why):
 * tmpfs over the rules directories and /run/udev, and, if the machine
 * has no group "custody", an /etc/group that has one; each udevadm also
 * gets a /dev of its own.  Nothing outside the namespaces changes.  Each test installs exactly the rules it means to
 * test: ours alone, or ours among the Debian rules files that set the
 * properties ours must undo (libgphoto2, libmtp, media-player-info,
 * usbmuxd, 70-uaccess), read from the machine's own rules directory.
 *
 * In the alone tests every usb_device first gets ID_GPHOTO2, ID_MTP_DEVICE
 * and ID_MEDIA_PLAYER, as hwdb and those packages would give it: a phone
 * must lose them, a keyboard must keep them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <umockdev.h>

#include "common/buf.h"
#include "daemon/usb_classify.h"
#include "tests/umockdev/fixture.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define RULES_NAME	"60-custody.rules"
#define MASK_LINE	"ENV{ID_USB_INTERFACES}=\":\""
#define RULES_DIR	"/usr/lib/udev/rules.d"
#define MAX_EVENTS	24
#define UDEVADM_WAIT_MS	60000
#define SIM_MARK	"or not available at a simulation run.\n"

/* The Debian rules files whose properties ours must undo, if present. */
static const char *const debian_rules[] = {
	"39-usbmuxd.rules", "40-usb-media-players.rules",
	"50-udev-default.rules", "51-android.rules", "60-libgphoto2-6.rules",
	"69-libmtp.rules", "70-uaccess.rules", "71-seat.rules",
	"73-seat-late.rules",
};

/* Set once by main before the tests run; read-only afterwards. */
struct env {
	char	 tmp[256];	/* private scratch directory */
	char	 sysrules[300];	/* the machine's rules, bound here */
	char	 repo[1024];	/* the source tree (cwd at start) */
	gid_t	 custody_gid;
	char	 skip[256];	/* non-empty: why every test is skipped */
};

static struct env env;

struct event {
	char		 syspath[512];
	struct buf	 out;		/* all udevadm printed */
	const char	*props;		/* the property block in out */
};

struct run {
	UMockdevTestbed	*tb;
	struct event	 ev[MAX_EVENTS];
	size_t		 n;
};

/* ---- the namespace (main, before any test) ---- */

static int
write_file(const char *path, const char *text)
{
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	return close(fd) == 0 && ok ? 0 : -1;
}

static int
enter_user_namespace(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return -1;
	(void)write_file("/proc/self/setgroups", "deny");
	(void)snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return -1;
	(void)snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	return write_file("/proc/self/gid_map", map);
}

static int
tmpfs_over(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return 0;	/* nothing there to hide */
	return mount("none", dir, "tmpfs", 0, "mode=0755");
}

/*
 * In a child about to exec udevadm: a /dev of its own (a tmpfs with the
 * few nodes udevadm may open bound back from the machine's /dev, which
 * setup_namespace bound at env.tmp/olddev), so the /dev/char links and
 * device symlinks udevadm makes vanish with it.  Uses raw system calls:
 * the umockdev preload library would redirect paths under /dev.
 */
static int
child_private_dev(void)
{
	static const char *const nodes[] = { "null", "zero", "full",
	    "random", "urandom" };
	char src[400], dst[64];
	size_t i;
	int fd;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("none", "/dev", "tmpfs", 0, "mode=0755") != 0)
		return -1;
	for (i = 0; i < NELEM(nodes); i++) {
		(void)snprintf(src, sizeof(src), "%s/olddev/%s", env.tmp,
		    nodes[i]);
		(void)snprintf(dst, sizeof(dst), "/dev/%s", nodes[i]);
		fd = (int)syscall(SYS_openat, AT_FDCWD, dst,
		    O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			return -1;
		(void)close(fd);
		if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
			return -1;
	}
	return 0;
}

/* An /etc/group with a "custody" group, if the machine has none. */
static int
custody_group(void)
{
	char path[300], line[64];
	struct group *gr;
	FILE *in, *out;
	gid_t gid;
	int c;

	if ((gr = getgrnam("custody")) != NULL) {
		env.custody_gid = gr->gr_gid;
		return 0;
	}
	for (gid = 64000; getgrgid(gid) != NULL; gid++)
		;
	(void)snprintf(path, sizeof(path), "%s/group", env.tmp);
	if ((in = fopen("/etc/group", "r")) == NULL)
		return -1;
	if ((out = fopen(path, "w")) == NULL) {
		(void)fclose(in);
		return -1;
	}
	while ((c = getc(in)) != EOF)
		(void)putc(c, out);
	(void)snprintf(line, sizeof(line), "custody:x:%u:\n",
	    (unsigned int)gid);
	(void)fputs(line, out);
	(void)fclose(in);
	if (fclose(out) != 0 ||
	    mount(path, "/etc/group", NULL, MS_BIND, NULL) != 0)
		return -1;
	env.custody_gid = gid;
	return 0;
}

static int
run_dir_private(void)
{
	struct stat st;

	if (stat("/run/udev", &st) == 0)
		return mount("none", "/run/udev", "tmpfs", 0, "mode=0755");
	if (mount("none", "/run", "tmpfs", 0, "mode=0755") != 0)
		return -1;
	return mkdir("/run/udev", 0755);
}

/* Everything above; on failure env.skip says why. */
static void
setup_namespace(void)
{
	struct stat a, b;
	char old[300];

	if (getcwd(env.repo, sizeof(env.repo)) == NULL) {
		(void)snprintf(env.skip, sizeof(env.skip), "getcwd failed");
		return;
	}
	if (unshare(CLONE_NEWNS) != 0 && enter_user_namespace() != 0) {
		(void)snprintf(env.skip, sizeof(env.skip), "no private mount "
		    "namespace (%s): run as root, or allow unprivileged user "
		    "namespaces", strerror(errno));
		return;
	}
	(void)snprintf(env.tmp, sizeof(env.tmp), "/tmp/custody-udev-XXXXXX");
	(void)snprintf(env.sysrules, sizeof(env.sysrules), "%s", "");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mkdtemp(env.tmp) == NULL)
		goto fail;
	(void)snprintf(env.sysrules, sizeof(env.sysrules), "%s/system",
	    env.tmp);
	if (mkdir(env.sysrules, 0700) != 0 ||
	    mount(RULES_DIR, env.sysrules, NULL, MS_BIND, NULL) != 0 ||
	    tmpfs_over(RULES_DIR) != 0 || tmpfs_over("/etc/udev/rules.d") != 0 ||
	    tmpfs_over("/usr/local/lib/udev/rules.d") != 0)
		goto fail;
	/* Without merged /usr, /lib/udev/rules.d is a directory of its own. */
	if (stat("/lib/udev/rules.d", &a) == 0 && stat(RULES_DIR, &b) == 0 &&
	    (a.st_dev != b.st_dev || a.st_ino != b.st_ino) &&
	    tmpfs_over("/lib/udev/rules.d") != 0)
		goto fail;
	(void)snprintf(old, sizeof(old), "%s/olddev", env.tmp);
	if (run_dir_private() != 0 || mkdir(old, 0700) != 0 ||
	    mount("/dev", old, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    custody_group() != 0)
		goto fail;
	return;
fail:
	(void)snprintf(env.skip, sizeof(env.skip), "setting up the private "
	    "mount namespace failed: %s", strerror(errno));
}

/* ---- files ---- */

static void
copy_file(const char *from, const char *to)
{
	char buf[8192];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		fail_msg("open %s: %s", from, strerror(errno));
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		fail_msg("create %s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			fail_msg("write %s: %s", to, strerror(errno));
	(void)close(in);
	if (close(out) != 0)
		fail_msg("close %s: %s", to, strerror(errno));
}

/* A whole text file, NUL-terminated (caller frees). */
static char *
read_text(const char *path)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	(void)fclose(fp);
	assert_non_null(b.data);
	return buf_steal(&b, &n);
}

/* Removes what is under dir (not dir); bound nodes stay (EBUSY). */
static void
empty_dir(const char *dir)
{
	char path[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			empty_dir(path);
			(void)rmdir(path);
		} else
			(void)unlink(path);
	}
	(void)closedir(d);
}

static int
system_has(const char *name)
{
	char path[600];

	(void)snprintf(path, sizeof(path), "%s/%s", env.sysrules, name);
	return access(path, R_OK) == 0;
}

/* Refuses to go on unless dir is one of the namespace's own tmpfs. */
static void
must_be_private(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) != 0 || sf.f_type != TMPFS_MAGIC)
		fail_msg("%s is not the test's private tmpfs: refusing to "
		    "touch it", dir);
}

/*
 * Installs udev/60-custody.rules -- without the line holding drop, if
 * drop is not NULL -- and, if with_debian, the Debian rules files the
 * machine has; clears udev's database.
 */
static void
install_rules(const char *drop, int with_debian)
{
	char from[1200], to[600], *text, *line, *eol;
	size_t i;
	FILE *fp;

	must_be_private(RULES_DIR);
	must_be_private("/run/udev");
	empty_dir(RULES_DIR);
	empty_dir("/run/udev");
	(void)snprintf(from, sizeof(from), "%s/udev/%s", env.repo, RULES_NAME);
	(void)snprintf(to, sizeof(to), "%s/%s", RULES_DIR, RULES_NAME);
	text = read_text(from);
	if (drop != NULL) {
		if ((line = strstr(text, drop)) == NULL)
			fail_msg("%s: no line holds %s", RULES_NAME, drop);
		while (line > text && line[-1] != '\n')
			line--;
		eol = strchr(line, '\n');
		memmove(line, eol + 1, strlen(eol + 1) + 1);
	}
	if ((fp = fopen(to, "w")) == NULL || fputs(text, fp) < 0 ||
	    fclose(fp) != 0)
		fail_msg("cannot write %s", to);
	free(text);
	for (i = 0; with_debian && i < NELEM(debian_rules); i++) {
		if (!system_has(debian_rules[i]))
			continue;
		(void)snprintf(from, sizeof(from), "%s/%s", env.sysrules,
		    debian_rules[i]);
		(void)snprintf(to, sizeof(to), "%s/%s", RULES_DIR,
		    debian_rules[i]);
		copy_file(from, to);
	}
}

/* ---- running udevadm ---- */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads fd to EOF into out, or until the deadline; returns 0 or -1. */
static int
drain(int fd, struct buf *out, long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;

	for (;;) {
		if (now_ms() > deadline)
			return -1;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = read(fd, chunk, sizeof(chunk))) == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (buf_append(out, chunk, (size_t)n) != 0)
			return -1;
	}
}

static void
udevadm_test(struct event *ev)
{
	char *argv[] = { "udevadm", "test", "--action=add", ev->syspath, NULL };
	int pfd[2], status = 0, drained;
	const char *mark;
	pid_t pid = -1;

	buf_init(&ev->out);
	if (pipe2(pfd, O_CLOEXEC) == 0)
		pid = fork();
	if (pid < 0)
		fail_msg("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		(void)dup2(pfd[1], 1);
		(void)dup2(pfd[1], 2);
		if (child_private_dev() != 0) {
			perror("udevadm's private /dev");
			_exit(126);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	(void)close(pfd[1]);
	drained = drain(pfd[0], &ev->out, now_ms() + UDEVADM_WAIT_MS);
	(void)close(pfd[0]);
	if (drained != 0)
		(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	if (drained != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("udevadm test %s: status %d%s:\n%s", ev->syspath,
		    status, drained ? ", timed out" : "",
		    ev->out.data ? ev->out.data : "");
	if (ev->out.data == NULL ||
	    (mark = strstr(ev->out.data, SIM_MARK)) == NULL)
		fail_msg("udevadm test %s printed no properties", ev->syspath);
	ev->props = mark + strlen(SIM_MARK);
}

static const char *
sysname_of(const char *syspath)
{
	const char *s = strrchr(syspath, '/');

	return s ? s + 1 : syspath;
}

static int
is_interface(const char *syspath)
{
	return strchr(sysname_of(syspath), ':') != NULL;
}

static int
word_in(const char *words, const char *w)
{
	size_t n = strlen(w);
	const char *p = words;

	while (p != NULL && (p = strstr(p, w)) != NULL) {
		if ((p == words || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * Loads fixture into a new testbed and runs udevadm test on each of its
 * devices in file order -- all usb_devices, and those interfaces that
 * only (space-separated sysnames; NULL: all) names.  With inject, every
 * usb_device first gets the properties a phone must lose.
 */
static void
run_fixture(struct run *r, const char *fixture, const char *only,
    int inject)
{
	char why[256], path[512], *text;
	const char *pos;

	memset(r, 0, sizeof(*r));
	r->tb = umockdev_testbed_new();
	if (!umockdev_in_mock_environment())
		fail_msg("not under umockdev-wrapper");
	if ((text = fixture_text(fixture, why, sizeof(why))) == NULL)
		fail_msg("%s", why);
	if (!umockdev_testbed_add_from_string(r->tb, text, NULL))
		fail_msg("umockdev rejected %s", fixture);
	pos = text;
	while (fixture_next_path(&pos, path, sizeof(path)) == 0) {
		if (is_interface(path) && only != NULL &&
		    !word_in(only, sysname_of(path)))
			continue;
		if (!is_interface(path) && inject) {
			umockdev_testbed_set_property(r->tb, path, "ID_GPHOTO2",
			    "1");
			umockdev_testbed_set_property(r->tb, path,
			    "ID_MTP_DEVICE", "1");
			umockdev_testbed_set_property(r->tb, path,
			    "ID_MEDIA_PLAYER", "1");
		}
		if (r->n == MAX_EVENTS)
			fail_msg("%s: more than %d devices", fixture,
			    MAX_EVENTS);
		(void)snprintf(r->ev[r->n].syspath, sizeof(r->ev[0].syspath),
		    "%s", path);
		udevadm_test(&r->ev[r->n++]);
	}
	free(text);
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		buf_free(&r->ev[i].out);
	if (r->tb != NULL)
		g_object_unref(r->tb);
	memset(r, 0, sizeof(*r));
}

static const struct event *
find_event(const struct run *r, const char *sysname)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(sysname_of(r->ev[i].syspath), sysname) == 0)
			return &r->ev[i];
	fail_msg("no event for %s", sysname);
	return NULL;
}

/* The value of property key after the event (in val), or 0 if unset. */
static int
prop(const struct event *ev, const char *key, char *val, size_t vallen)
{
	const char *p = ev->props, *end;
	size_t klen = strlen(key), n;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '\n');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			n -= klen + 1;
			if (n >= vallen)
				n = vallen - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static void
want_prop(const struct event *ev, const char *key, const char *want)
{
	char val[256];
	int set = prop(ev, key, val, sizeof(val));

	if (want == NULL && set)
		fail_msg("%s: %s=%s, want it unset", sysname_of(ev->syspath),
		    key, val);
	if (want != NULL && (!set || strcmp(val, want) != 0))
		fail_msg("%s: %s=%s, want %s", sysname_of(ev->syspath), key,
		    set ? val : "(unset)", want);
}

static int
has_tag(const struct event *ev, const char *tag)
{
	char val[512], t[64];

	(void)snprintf(t, sizeof(t), ":%s:", tag);
	return prop(ev, "TAGS", val, sizeof(val)) && strstr(val, t) != NULL;
}

/*
 * The last "<rules file>:<line> WHAT value" line udevadm logged for the
 * event (the assignment that stands), as "file value"; 0 if none.
 */
static int
last_assignment(const struct event *ev, const char *what, char *out,
    size_t outlen)
{
	const char *p = ev->out.data, *hit = NULL, *file, *colon, *eol;
	char pat[32];

	(void)snprintf(pat, sizeof(pat), " %s ", what);
	while ((p = strstr(p, pat)) != NULL && p < ev->props) {
		hit = p;
		p += strlen(pat);
	}
	if (hit == NULL)
		return 0;
	for (file = hit; file > ev->out.data && file[-1] != '/'; file--)
		;
	colon = memchr(file, ':', (size_t)(hit - file));
	eol = strchr(hit, '\n');
	(void)snprintf(out, outlen, "%.*s %.*s", (int)(colon ? colon - file :
	    hit - file), file, (int)(eol - hit - strlen(pat)),
	    hit + strlen(pat));
	return 1;
}

static void
read_attr(const char *syspath, const char *name, char *out, size_t outlen)
{
	char path[600];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/%s", syspath, name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s", path);
	if (fgets(out, (int)outlen, fp) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	(void)fclose(fp);
}

static void
want_authorized(const struct event *ev, const char *want)
{
	char val[16];

	read_attr(ev->syspath, "authorized", val, sizeof(val));
	if (strcmp(val, want) != 0)
		fail_msg("%s: authorized=%s, want %s", sysname_of(ev->syspath),
		    val, want);
}

/* ---- what a phone and what anything else must end up as ---- */

static void
want_quarantined(const struct event *ev, const char *how, const char *file)
{
	char got[128], want[128];

	want_prop(ev, "CUSTODY_PHONE", how);
	want_prop(ev, "UDISKS_IGNORE", "1");
	want_prop(ev, "ID_MM_DEVICE_IGNORE", "1");
	want_prop(ev, "NM_UNMANAGED", "1");
	want_prop(ev, "MTP_NO_PROBE", "1");
	want_prop(ev, "ID_GPHOTO2", NULL);
	want_prop(ev, "GPHOTO2_DRIVER", NULL);
	want_prop(ev, "ID_MTP_DEVICE", NULL);
	want_prop(ev, "ID_MEDIA_PLAYER", NULL);
	want_prop(ev, "USBMUX_SUPPORTED", NULL);
	want_prop(ev, "ID_USB_INTERFACES", ":");
	if (!prop(ev, "CUSTODY_USB_INTERFACES", got, sizeof(got)) ||
	    strlen(got) < 8)
		fail_msg("%s: interface list not kept",
		    sysname_of(ev->syspath));
	/* TAGS lists every tag ever set, CURRENT_TAGS only those left. */
	if (!has_tag(ev, "custody_phone") || has_tag(ev, "uaccess") ||
	    strstr(ev->out.data, "RUN 'uaccess'") != NULL)
		fail_msg("%s: tags wrong:\n%s", sysname_of(ev->syspath),
		    ev->props);
	(void)snprintf(want, sizeof(want), "%s %u", file,
	    (unsigned int)env.custody_gid);
	if (!last_assignment(ev, "GROUP", got, sizeof(got)) ||
	    strcmp(got, want) != 0)
		fail_msg("%s: node group set by \"%s\", want \"%s\"",
		    sysname_of(ev->syspath), got, want);
	(void)snprintf(want, sizeof(want), "%s 0660", file);
	if (!last_assignment(ev, "MODE", got, sizeof(got)) ||
	    strcmp(got, want) != 0)
		fail_msg("%s: node mode set by \"%s\", want \"%s\"",
		    sysname_of(ev->syspath), got, want);
	want_authorized(ev, "1");	/* the device keeps charging */
}

/* Did one of our rules files log an assignment (ATTR, GROUP, MODE)? */
static int
our_rules_assigned(const struct event *ev)
{
	static const char *const what[] = { " ATTR ", " GROUP ", " MODE " };
	const char *p = ev->out.data, *eol, *mine, *verb;
	size_t i;

	while (p != NULL && p < ev->props) {
		if ((eol = strchr(p, '\n')) == NULL)
			break;
		mine = strstr(p, "-custody");
		for (i = 0; mine != NULL && mine < eol && i < NELEM(what); i++)
			if ((verb = strstr(p, what[i])) != NULL && verb < eol)
				return 1;
		p = eol + 1;
	}
	return 0;
}

static void
want_untouched(const struct event *ev)
{
	want_prop(ev, "CUSTODY_PHONE", NULL);
	want_prop(ev, "CUSTODY_DEAUTHORIZED", NULL);
	want_prop(ev, "UDISKS_IGNORE", NULL);
	want_prop(ev, "ID_MM_DEVICE_IGNORE", NULL);
	want_prop(ev, "NM_UNMANAGED", NULL);
	want_prop(ev, "MTP_NO_PROBE", NULL);
	if (has_tag(ev, "custody_phone"))
		fail_msg("%s tagged custody_phone", sysname_of(ev->syspath));
	if (our_rules_assigned(ev))
		fail_msg("%s: our rules acted:\n%s", sysname_of(ev->syspath),
		    ev->out.data);
	want_authorized(ev, "1");
}

/* ---- the expectations ---- */

struct rules_expect {
	const char	*fixture;
	const char	*phone;		/* the device taken for a phone */
	const char	*how;		/* its CUSTODY_PHONE */
	const char	*deauth;	/* interfaces that must end at 0 */
	const char	*keep;		/* interfaces that must stay at 1 */
	const char	*untouched;	/* devices left alone */
	int		 sample;	/* run only the interfaces named */
};

static const struct rules_expect expects[] = {
	{ "iphone", "1-1", "product_id", "1-1:4.0 1-1:4.2", "1-1:4.1",
	    NULL, 0 },
	{ "samsung-galaxy", "1-2", "vendor_interface", "1-2:1.0 1-2:1.1",
	    NULL, NULL, 0 },
	{ "pixel-mtp", "1-3", "vendor_interface", "1-3:1.0", NULL, NULL, 0 },
	{ "pixel-mtp-adb", "1-4", "interface", "1-4:1.0 1-4:1.1", NULL,
	    NULL, 0 },
	{ "android-tablet", "1-5", "vendor_interface", "1-5:1.0", NULL, NULL,
	    0 },
	{ "usb-keyboard", NULL, NULL, NULL, "1-6:1.0 1-6:1.1", "1-6", 0 },
	{ "usb-stick", NULL, NULL, NULL, "2-1:1.0", "2-1", 0 },
	{ "hub-with-phone", "1-8.1", "interface", "1-8.1:1.0 1-8.1:1.1",
	    "1-8:1.0", "1-8", 0 },
	{ "hostile", "1-9", "vendor_interface",
	    "1-9:1.0 1-9:1.1 1-9:1.2 1-9:1.1999", NULL, NULL, 1 },
};

static const struct rules_expect *
find_expect(const char *fixture)
{
	size_t i;

	for (i = 0; i < NELEM(expects); i++)
		if (strcmp(expects[i].fixture, fixture) == 0)
			return &expects[i];
	fail_msg("no expectation for %s", fixture);
	return NULL;
}

static void
check_words(const struct run *r, const char *words, const char *auth)
{
	char w[64], why[64];
	const char *p = words;
	size_t n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, " ");
		(void)snprintf(w, sizeof(w), "%.*s", (int)n, p);
		want_authorized(find_event(r, w), auth);
		if (strcmp(auth, "0") == 0 && !prop(find_event(r, w),
		    "CUSTODY_DEAUTHORIZED", why, sizeof(why)))
			fail_msg("%s: no CUSTODY_DEAUTHORIZED", w);
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void
check_expect(const struct rules_expect *x, const struct run *r)
{
	size_t i, named = 0;
	const char *s;

	if (x->phone != NULL)
		want_quarantined(find_event(r, x->phone), x->how, RULES_NAME);
	if (x->untouched != NULL)
		want_untouched(find_event(r, x->untouched));
	if (x->deauth != NULL)
		check_words(r, x->deauth, "0");
	if (x->keep != NULL)
		check_words(r, x->keep, "1");
	/* Every interface run must have been named in the expectation. */
	for (i = 0; i < r->n; i++) {
		s = sysname_of(r->ev[i].syspath);
		if (!is_interface(r->ev[i].syspath))
			continue;
		if ((x->deauth && word_in(x->deauth, s)) ||
		    (x->keep && word_in(x->keep, s)))
			named++;
		else
			fail_msg("%s: interface %s has no expectation",
			    x->fixture, s);
	}
	assert_true(named > 0);
}

/* ---- tests ---- */

static void
skip_unless_ready(void)
{
	if (env.skip[0] != '\0') {
		print_message("SKIPPED: %s\n", env.skip);
		skip();
	}
}

/* Our rules alone, on every fixture. */
static void
test_rules_alone(void **state)
{
	const struct rules_expect *x;
	struct run r;
	size_t i;
	char only[256];

	(void)state;
	skip_unless_ready();
	for (i = 0; i < NELEM(expects); i++) {
		x = &expects[i];
		install_rules(NULL, 0);
		(void)snprintf(only, sizeof(only), "%s %s",
		    x->deauth ? x->deauth : "", x->keep ? x->keep : "");
		run_fixture(&r, x->fixture, x->sample ? only : NULL, 1);
		check_expect(x, &r);
		run_free(&r);
	}
}

/* A keyboard keeps what hwdb and the packages gave it. */
static void
test_keyboard_keeps_properties(void **state)
{
	const struct event *ev;
	struct run r;

	(void)state;
	skip_unless_ready();
	install_rules(NULL, 0);
	run_fixture(&r, "usb-keyboard", NULL, 1);
	ev = find_event(&r, "1-6");
	want_prop(ev, "ID_GPHOTO2", "1");
	want_prop(ev, "ID_MTP_DEVICE", "1");
	want_prop(ev, "ID_MEDIA_PLAYER", "1");
	run_free(&r);
}

static int
have_debian_rules(void)
{
	return system_has("60-libgphoto2-6.rules") &&
	    system_has("70-uaccess.rules");
}

/*
 * Among the Debian rules (usbmuxd, media-player-info, udev's defaults
 * and hwdb, libgphoto2, libmtp, uaccess): the phones still end
 * quarantined, with no desktop ACL, and the keyboard is left alone.
 */
static void
test_rules_with_debian(void **state)
{
	static const char *const phones[] = { "iphone", "samsung-galaxy",
	    "pixel-mtp", "pixel-mtp-adb", "hub-with-phone" };
	const struct rules_expect *x;
	struct run r;
	size_t i;

	(void)state;
	skip_unless_ready();
	if (!have_debian_rules()) {
		print_message("SKIPPED: libgphoto2-6 or udev rules not "
		    "installed\n");
		skip();
	}
	for (i = 0; i < NELEM(phones); i++) {
		x = find_expect(phones[i]);
		install_rules(NULL, 1);
		run_fixture(&r, x->fixture, NULL, 0);
		want_quarantined(find_event(&r, x->phone), x->how, RULES_NAME);
		check_words(&r, x->deauth, "0");
		if (x->keep != NULL)
			check_words(&r, x->keep, "1");
		run_free(&r);
	}
	install_rules(NULL, 1);
	run_fixture(&r, "usb-keyboard", NULL, 0);
	want_untouched(find_event(&r, "1-6"));
	run_free(&r);
}

/*
 * Why the interface list is hidden: without that one line, among the
 * Debian rules, libgphoto2 gives the iPhone ID_GPHOTO2 after
 * 60-custody.rules cleared it, 70-uaccess tags it "uaccess" for its PTP
 * interface, and 73-seat-late queues the desktop user's ACL.
 */
static void
test_unmasked_interfaces_let_uaccess_in(void **state)
{
	const struct event *ev;
	struct run r;

	(void)state;
	skip_unless_ready();
	if (!have_debian_rules()) {
		print_message("SKIPPED: libgphoto2-6 or udev rules not "
		    "installed\n");
		skip();
	}
	install_rules(MASK_LINE, 1);
	run_fixture(&r, "iphone", NULL, 0);
	ev = find_event(&r, "1-1");
	want_prop(ev, "ID_GPHOTO2", "1");
	assert_true(has_tag(ev, "uaccess"));
	assert_non_null(strstr(ev->out.data, "RUN 'uaccess'"));
	run_free(&r);
}

/* ---- the rules say what daemon/usb_table.c says ---- */

/* The value of the first KEY=="..." on the line of rules holding mark. */
static int
rules_value(const char *rules, const char *mark, const char *key,
    char *out, size_t outlen)
{
	const char *line, *eol, *k, *end;

	if ((k = strstr(rules, mark)) == NULL)
		return -1;
	for (line = k; line > rules && line[-1] != '\n'; line--)
		;
	eol = strchr(line, '\n');
	if ((k = strstr(line, key)) == NULL || k > eol)
		return -1;
	k += strlen(key);
	if ((end = strchr(k, '"')) == NULL || end > eol ||
	    (size_t)(end - k) >= outlen)
		return -1;
	memcpy(out, k, (size_t)(end - k));
	out[end - k] = '\0';
	return 0;
}

static void
want_ids(const char *what, const char *list, const uint16_t *ids, size_t n)
{
	char want[1024] = "", id[8];
	size_t i;

	for (i = 0; i < n; i++) {
		(void)snprintf(id, sizeof(id), "%s%04x", i ? "|" : "", ids[i]);
		(void)strncat(want, id, sizeof(want) - strlen(want) - 1);
	}
	if (strcmp(list, want) != 0)
		fail_msg("%s: rules list %s, table says %s", what, list, want);
}

static void
test_rules_match_table(void **state)
{
	const struct usb_vendor *v, *apple;
	uint16_t ids[128], nots[16];
	size_t n, i, k = 0, t = 0, nn = 0;
	char path[1100], list[1024], *rules;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/udev/%s", env.repo,
	    RULES_NAME);
	rules = read_text(path);
	v = usb_table_vendors(&n);
	for (i = 0; i < n; i++)
		if (v[i].vendor_id != 0x05ac)
			ids[k++] = v[i].vendor_id;
	assert_int_equal(rules_value(rules, "==\"*:060101:*\", ENV{CUSTODY",
	    "ATTR{idVendor}==\"", list, sizeof(list)), 0);
	want_ids("phone vendors", list, ids, k);
	for (i = 0; i < n; i++)
		if (v[i].flags & USB_VF_TETHER)
			ids[t++] = v[i].vendor_id;
	assert_int_equal(rules_value(rules, "*:e00103:*", "ATTR{idVendor}==\"",
	    list, sizeof(list)), 0);
	want_ids("tethering vendors", list, ids, t);
	apple = usb_table_find_vendor(0x05ac);
	assert_non_null(apple);
	for (i = 0, k = 0; i < apple->n_products; i++) {
		if (apple->products[i].kind == USB_KIND_NOT_PHONE)
			nots[nn++] = apple->products[i].product_id;
		else
			ids[k++] = apple->products[i].product_id;
	}
	assert_int_equal(rules_value(rules, "ENV{CUSTODY_PHONE}=\"product_id\"",
	    "ATTR{idProduct}==\"", list, sizeof(list)), 0);
	want_ids("Apple phone and tablet ids", list, ids, k);
	assert_int_equal(rules_value(rules, "ATTR{idProduct}==\"12a7",
	    "ATTR{idProduct}==\"", list, sizeof(list)), 0);
	want_ids("Apple non-phone ids", list, nots, nn);
	free(rules);
}

/* Leaves nothing in /tmp: the mounts go with the namespace anyway. */
static void
cleanup_namespace(void)
{
	char path[400];

	if (env.tmp[0] == '\0' || strcmp(env.tmp, "/tmp/custody-udev-XXXXXX") ==
	    0)
		return;
	(void)snprintf(path, sizeof(path), "%s/olddev", env.tmp);
	(void)umount2(path, MNT_DETACH);
	(void)rmdir(path);
	(void)umount2(env.sysrules, MNT_DETACH);
	(void)rmdir(env.sysrules);
	(void)umount2("/etc/group", MNT_DETACH);
	(void)snprintf(path, sizeof(path), "%s/group", env.tmp);
	(void)unlink(path);
	(void)rmdir(env.tmp);
}

/* ---- the usbmuxd drop-in ---- */

/* The value of the last "ExecStart=" line of text with a value. */
static int
exec_start(const char *text, char *out, size_t outlen)
{
	const char *p = text, *v, *eol;
	int found = 0;

	while ((p = strstr(p, "ExecStart=")) != NULL) {
		v = p + strlen("ExecStart=");
		eol = strchr(v, '\n');
		if ((p == text || p[-1] == '\n') && eol != NULL && eol > v) {
			(void)snprintf(out, outlen, "%.*s", (int)(eol - v), v);
			found = 1;
		}
		p = v;
	}
	return found;
}

/*
 * daemon/systemd/usbmuxd-no-preflight.conf clears Debian's ExecStart and
 * runs the same command with --no-preflight, an option this usbmuxd has.
 */
static void
test_usbmuxd_dropin(void **state)
{
	static const char *const units[] = {
	    "/lib/systemd/system/usbmuxd.service",
	    "/usr/lib/systemd/system/usbmuxd.service" };
	char path[1100], debian[512], ours[512], want[600], help[4096];
	char *unit = NULL, *dropin;
	size_t i, n;
	FILE *fp;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/daemon/systemd/"
	    "usbmuxd-no-preflight.conf", env.repo);
	dropin = read_text(path);
	assert_non_null(strstr(dropin, "\n[Service]\nExecStart=\nExecStart="));
	assert_true(exec_start(dropin, ours, sizeof(ours)));
	for (i = 0; unit == NULL && i < NELEM(units); i++)
		if (access(units[i], R_OK) == 0)
			unit = read_text(units[i]);
	if (unit == NULL) {
		free(dropin);
		print_message("SKIPPED: usbmuxd is not installed\n");
		skip();
	}
	assert_true(exec_start(unit, debian, sizeof(debian)));
	(void)snprintf(want, sizeof(want), "%s --no-preflight", debian);
	assert_string_equal(ours, want);
	/* The option exists in the installed usbmuxd. */
	if ((fp = popen("/usr/sbin/usbmuxd --help 2>&1", "r")) == NULL)
		fail_msg("cannot run usbmuxd --help");
	n = fread(help, 1, sizeof(help) - 1, fp);
	help[n] = '\0';
	(void)pclose(fp);
	assert_non_null(strstr(help, "--no-preflight"));
	free(unit);
	free(dropin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usbmuxd_dropin),
		cmocka_unit_test(test_rules_match_table),
		cmocka_unit_test(test_rules_alone),
		cmocka_unit_test(test_keyboard_keeps_properties),
		cmocka_unit_test(test_rules_with_debian),
		cmocka_unit_test(test_unmasked_interfaces_let_uaccess_in),
	};

	int failed;

	/* Before any testbed: the namespace, then umockdev. */
	setup_namespace();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup_namespace();
	return failed;
}
