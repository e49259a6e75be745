/*
 * sandbox.h -- custodyd's own confinement, for runs outside systemd (and
 * as a second wall inside it).
 *
 * main() calls sandbox_close_inherited() before it opens anything, so no
 * descriptor a parent leaked (without FD_CLOEXEC) survives into the
 * daemon.  server_run() calls sandbox_apply() once, after the listening
 * socket, the signalfd and the station are open and before the first
 * request is read: from then on every system call outside an allowlist
 * kills the whole process (SIGSYS).
 */
#ifndef CUSTODY_SANDBOX_H
#define CUSTODY_SANDBOX_H

#include <stddef.h>

/*
 * Closes every descriptor from 3 up.  Returns 0, or CUSTODY_ERR_IO if
 * neither close_range(2) nor a walk of /proc/self/fd worked.
 */
int	sandbox_close_inherited(void);

/*
 * Loads the allowlist seccomp filter (default action: kill the process)
 * into the calling thread and sets no_new_privs.  Irreversible.  Returns
 * 0, or CUSTODY_ERR_PERM with a message in err if the kernel or libseccomp
 * refused; the process is then unconfined.
 */
int	sandbox_enter(char *err, size_t errlen);

/*
 * The daemon's policy around sandbox_enter(): fail closed -- an error from
 * it is returned and custodyd refuses to serve -- unless the environment
 * has CUSTODYD_NO_SECCOMP=1, which skips the filter with a loud warning in
 * the log (for debugging under strace or gdb only).
 */
int	sandbox_apply(char *err, size_t errlen);

#endif
