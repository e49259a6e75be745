/*
 * shim.c -- an LD_PRELOAD library for test_fault: makes write(2),
 * pwrite(2), fsync(2) and fdatasync(2) on regular files fail, in custodyd
 * only, while the control file named by FAULT_CTL says so.
 *
 * The control file holds one line, "CALL ERRNO" (CALL: write or fsync;
 * ERRNO: EIO or ENOSPC), or nothing.  "write" covers write and pwrite;
 * "fsync" covers fsync and fdatasync.  Descriptors 0 to 2 (the daemon's
 * log) and anything but a regular file (its sockets) are never touched,
 * so the daemon can still answer and say what went wrong.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	 shim_on;	/* in custodyd, with FAULT_CTL set */
static char	 shim_ctl[4096];

__attribute__((constructor)) static void
shim_init(void)
{
	const char *ctl = getenv("FAULT_CTL");
	char comm[32] = "";
	ssize_t n;
	int fd;

	if (ctl == NULL || strlen(ctl) >= sizeof(shim_ctl))
		return;
	if ((fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n > 0 && strncmp(comm, "custodyd", 8) == 0) {
		memcpy(shim_ctl, ctl, strlen(ctl) + 1);
		shim_on = 1;
	}
}

/* The errno to fail CALL on fd with, or 0 to let it through. */
static int
shim_fault(const char *call, int fd)
{
	char line[64] = "", *sp;
	struct stat sb;
	ssize_t n;
	int cfd, e = errno;

	if (!shim_on || fd <= 2 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	if ((cfd = open(shim_ctl, O_RDONLY | O_CLOEXEC)) == -1) {
		errno = e;
		return 0;
	}
	n = read(cfd, line, sizeof(line) - 1);
	close(cfd);
	errno = e;
	if (n <= 0 || (sp = strchr(line, ' ')) == NULL)
		return 0;
	*sp++ = '\0';
	if (strcmp(line, call) != 0)
		return 0;
	if (strncmp(sp, "ENOSPC", 6) == 0)
		return ENOSPC;
	if (strncmp(sp, "EIO", 3) == 0)
		return EIO;
	return 0;
}

#define SHIM_NEXT(type, name, args) \
	static type (*next) args; \
	if (next == NULL) \
		next = (type (*) args)dlsym(RTLD_NEXT, name)

ssize_t
write(int fd, const void *buf, size_t len)
{
	SHIM_NEXT(ssize_t, "write", (int, const void *, size_t));
	int e;

	if ((e = shim_fault("write", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	SHIM_NEXT(ssize_t, "pwrite", (int, const void *, size_t, off_t));
	int e;

	if ((e = shim_fault("write", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	SHIM_NEXT(ssize_t, "pwrite64", (int, const void *, size_t, off64_t));
	int e;

	if ((e = shim_fault("write", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd, buf, len, off);
}

int
fsync(int fd)
{
	SHIM_NEXT(int, "fsync", (int));
	int e;

	if ((e = shim_fault("fsync", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd);
}

int
fdatasync(int fd)
{
	SHIM_NEXT(int, "fdatasync", (int));
	int e;

	if ((e = shim_fault("fsync", fd)) != 0) {
		errno = e;
		return -1;
	}
	return next(fd);
}
