/*
 * cgroupfs.c: file operations relative to directory fds, for forkline's cgroup module.
 *
 * Why directory fds
 * -----------------
 * A cgroup is a directory in cgroupfs, and its interface files (cgroup.procs, pids.max, ...)
 * are small files in it. forkline opens each group once, O_DIRECTORY|O_NOFOLLOW, and from then
 * on reaches every file through openat(group_fd, "pids.max", ...). No path string is
 * concatenated and resolved again, so a symlink or a rename somewhere above the group can never
 * redirect a limit write into another group. The same fd is what clone3 CLONE_INTO_CGROUP takes.
 *
 * One call per file operation
 * ---------------------------
 * Reading or writing a cgroup file is open, one read or write, close. Doing the three steps in
 * C makes a limit write a single downcall whose errno comes back intact: the kernel validates a
 * value in write(2), so -EINVAL there means "the kernel refused this value", and -ENOENT from
 * openat means the file (or the whole group) is gone. Every fd is O_CLOEXEC, so a concurrent
 * spawn never inherits one.
 *
 * Waiting without sleeping
 * ------------------------
 * cgroup.events changes ("populated", "frozen") raise IN_MODIFY for inotify watchers, so
 * waiting for a group to empty or freeze is a watch plus poll(2) on the inotify fd, never a
 * sleep loop. inotify_add_watch takes a path, not a dirfd; we open the file with O_PATH under
 * the group's fd and watch /proc/self/fd/N, which names exactly that open file.
 *
 * How errors come back: as in forkline.c, every function returns -errno and never prints; the
 * system calls are raw ones (sys.h), so the errno comes straight from the kernel.
 */
#include <asm/statfs.h>

#include "cgroupfs.h"
#include "sys.h"

int fl_openat(int32_t dirfd, const char *name, int32_t flags)
{
    long fd;
    do {
        fd = raw_syscall4(__NR_openat, dirfd, name, flags | O_CLOEXEC, 0);
    } while (fd == -EINTR);
    return (int)fd;
}

int fl_mkdirat(int32_t dirfd, const char *name, int32_t mode)
{
    return (int)raw_syscall3(__NR_mkdirat, dirfd, name, mode);
}

int fl_unlinkat(int32_t dirfd, const char *name, int32_t flags)
{
    return (int)raw_syscall3(__NR_unlinkat, dirfd, name, flags);
}

/* faccessat2 (Linux 5.8): the plain faccessat system call has no flags argument. */
int fl_faccessat(int32_t dirfd, const char *name, int32_t mode)
{
    return (int)raw_syscall4(__NR_faccessat2, dirfd, name, mode, AT_EACCESS | AT_SYMLINK_NOFOLLOW);
}

long fl_read_at(int32_t dirfd, const char *name, void *buf, int64_t len)
{
    int fd = fl_openat(dirfd, name, O_RDONLY | O_NOFOLLOW);
    if (fd < 0) return fd;
    int64_t total = 0;
    while (total < len) {
        long n = raw_syscall3(__NR_read, fd, (char *)buf + total, len - total);
        if (n == -EINTR) continue;
        if (n < 0) {
            raw_syscall1(__NR_close, fd);
            return n;
        }
        if (n == 0) break;
        total += n;
    }
    raw_syscall1(__NR_close, fd);
    return (long)total;
}

long fl_pread_all(int32_t fd, void *buf, int64_t len)
{
    int64_t total = 0;
    while (total < len) {
        long n = raw_syscall4(__NR_pread64, fd, (char *)buf + total, len - total, total);
        if (n == -EINTR) continue;
        if (n < 0) return n;
        if (n == 0) break;
        total += n;
    }
    return (long)total;
}

long fl_write_at(int32_t dirfd, const char *name, const void *buf, int64_t len)
{
    int fd = fl_openat(dirfd, name, O_WRONLY | O_NOFOLLOW);
    if (fd < 0) return fd;
    long n;
    do {
        n = raw_syscall3(__NR_write, fd, buf, len);
    } while (n == -EINTR);
    raw_syscall1(__NR_close, fd);
    return n;
}

int fl_fstatfs(int32_t fd, int64_t *out)
{
    struct statfs st;
    long rc = raw_syscall2(__NR_fstatfs, fd, &st);
    if (rc < 0) return (int)rc;
    out[0] = (int64_t)(uint64_t)st.f_type;
    out[1] = (int64_t)st.f_flags;
    return 0;
}

int fl_inotify_init(void)
{
    return (int)raw_syscall1(__NR_inotify_init1, IN_CLOEXEC | IN_NONBLOCK);
}

int fl_inotify_add_watch(int32_t inotify_fd, int32_t dirfd, const char *name, uint32_t mask)
{
    int fd = fl_openat(dirfd, name, O_PATH | O_NOFOLLOW);
    if (fd < 0) return fd;
    char link[64];
    fl_format_path(link, sizeof link, "/proc/self/fd/", fd);
    long wd = raw_syscall3(__NR_inotify_add_watch, inotify_fd, link, mask);
    raw_syscall1(__NR_close, fd);
    return (int)wd;
}
