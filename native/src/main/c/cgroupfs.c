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
 * How errors come back: as in forkline.c, every function returns -errno and never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroupfs.h"

int fl_openat(int32_t dirfd, const char *name, int32_t flags)
{
    int fd;
    do {
        fd = openat(dirfd, name, flags | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int fl_mkdirat(int32_t dirfd, const char *name, int32_t mode)
{
    return mkdirat(dirfd, name, (mode_t)mode) < 0 ? -errno : 0;
}

int fl_unlinkat(int32_t dirfd, const char *name, int32_t flags)
{
    return unlinkat(dirfd, name, flags) < 0 ? -errno : 0;
}

int fl_faccessat(int32_t dirfd, const char *name, int32_t mode)
{
    return faccessat(dirfd, name, mode, AT_EACCESS | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

long fl_read_at(int32_t dirfd, const char *name, void *buf, int64_t len)
{
    int fd = fl_openat(dirfd, name, O_RDONLY | O_NOFOLLOW);
    if (fd < 0) return fd;
    int64_t total = 0;
    while (total < len) {
        ssize_t n = read(fd, (char *)buf + total, (size_t)(len - total));
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            close(fd);
            return -err;
        }
        if (n == 0) break;
        total += n;
    }
    close(fd);
    return (long)total;
}

long fl_pread_all(int32_t fd, void *buf, int64_t len)
{
    int64_t total = 0;
    while (total < len) {
        ssize_t n = pread(fd, (char *)buf + total, (size_t)(len - total), (off_t)total);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) break;
        total += n;
    }
    return (long)total;
}

long fl_write_at(int32_t dirfd, const char *name, const void *buf, int64_t len)
{
    int fd = fl_openat(dirfd, name, O_WRONLY | O_NOFOLLOW);
    if (fd < 0) return fd;
    ssize_t n;
    do {
        n = write(fd, buf, (size_t)len);
    } while (n < 0 && errno == EINTR);
    int err = n < 0 ? errno : 0;
    close(fd);
    return n < 0 ? -err : (long)n;
}

int fl_fstatfs(int32_t fd, int64_t *out)
{
    struct statfs st;
    if (fstatfs(fd, &st) < 0) return -errno;
    out[0] = (int64_t)(uint64_t)st.f_type;
    out[1] = (int64_t)st.f_flags;
    return 0;
}

int fl_inotify_init(void)
{
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int fl_inotify_add_watch(int32_t inotify_fd, int32_t dirfd, const char *name, uint32_t mask)
{
    int fd = fl_openat(dirfd, name, O_PATH | O_NOFOLLOW);
    if (fd < 0) return fd;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int wd = inotify_add_watch(inotify_fd, link, mask);
    int err = wd < 0 ? errno : 0;
    close(fd);
    return wd < 0 ? -err : wd;
}
