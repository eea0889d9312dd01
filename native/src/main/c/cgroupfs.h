/*
 * cgroupfs.h: directory-fd based file operations for forkline's cgroup module
 * (io.forkline.sys.shim.Fs). Every name is resolved relative to a directory fd, so a cgroup
 * that was opened once is never looked up again by path. Every function returns a
 * non-negative result or -errno, and never prints.
 */
#ifndef FORKLINE_CGROUPFS_H
#define FORKLINE_CGROUPFS_H

#include <stdint.h>

#include "forkline.h"

/* openat(dirfd, name, flags | O_CLOEXEC): the fd, or -errno. */
FL_API int fl_openat(int32_t dirfd, const char *name, int32_t flags);
/* mkdirat(dirfd, name, mode). */
FL_API int fl_mkdirat(int32_t dirfd, const char *name, int32_t mode);
/* unlinkat(dirfd, name, flags); AT_REMOVEDIR (0x200) removes a directory. */
FL_API int fl_unlinkat(int32_t dirfd, const char *name, int32_t flags);
/* faccessat(dirfd, name, mode, AT_EACCESS | AT_SYMLINK_NOFOLLOW): 0, or -errno such as -EROFS. */
FL_API int fl_faccessat(int32_t dirfd, const char *name, int32_t mode);
/* Opens name under dirfd (O_RDONLY|O_NOFOLLOW|O_CLOEXEC), reads until end of file or until
 * len bytes, closes: the byte count, or -errno of the step that failed. */
FL_API long fl_read_at(int32_t dirfd, const char *name, void *buf, int64_t len);
/* Reads an open file from offset 0 (pread) until end of file or until len bytes: the byte
 * count, or -errno. A cgroup file held open is read again with one system call, not three. */
FL_API long fl_pread_all(int32_t fd, void *buf, int64_t len);
/* Opens name under dirfd (O_WRONLY|O_NOFOLLOW|O_CLOEXEC), writes buf in one write(2), closes:
 * the byte count, or -errno. cgroup files take a value in one write, so no retry loop. */
FL_API long fl_write_at(int32_t dirfd, const char *name, const void *buf, int64_t len);
/* fstatfs(fd): out[0] = f_type (the filesystem magic), out[1] = f_flags (ST_RDONLY, ...). */
FL_API int fl_fstatfs(int32_t fd, int64_t *out);
/* inotify_init1(IN_CLOEXEC | IN_NONBLOCK). */
FL_API int fl_inotify_init(void);
/* inotify_add_watch on the file name under dirfd, through an O_PATH fd and its /proc/self/fd
 * link, so the file is found relative to dirfd and not by a path string: the watch descriptor. */
FL_API int fl_inotify_add_watch(int32_t inotify_fd, int32_t dirfd, const char *name, uint32_t mask);

#endif
