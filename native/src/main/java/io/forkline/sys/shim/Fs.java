package io.forkline.sys.shim;

import io.forkline.sys.SyscallException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The typed facade over {@code cgroupfs.c}: file operations relative to directory fds, for the
 * cgroup module. Every name is resolved under a directory fd ({@code openat}, {@code mkdirat},
 * {@code unlinkat}), every fd is close-on-exec, and every {@code -errno} leaves through
 * {@link Errors}, naming the path the caller shows for that file.
 *
 * <p>Reading or writing a small file is one native call (open, read or write, close), so that a
 * cgroup limit write is a single call whose errno is the kernel's verdict on the value.
 */
public final class Fs {
    /** {@code O_PATH}. */
    public static final int O_PATH = 010000000;
    /** {@code AT_REMOVEDIR} for {@link #unlinkAt}. */
    public static final int AT_REMOVEDIR = 0x200;
    /** {@code W_OK} for {@link #accessAt}. */
    public static final int W_OK = 2;
    /** {@code IN_MODIFY}. */
    public static final int IN_MODIFY = 0x2;
    /** {@code IN_DELETE_SELF}. */
    public static final int IN_DELETE_SELF = 0x400;
    /** {@code IN_IGNORED}: the watch is gone (file deleted, or filesystem unmounted). */
    public static final int IN_IGNORED = 0x8000;
    /** {@code CGROUP2_SUPER_MAGIC} from linux/magic.h. */
    public static final long CGROUP2_SUPER_MAGIC = 0x63677270L;
    /** {@code CGROUP_SUPER_MAGIC} from linux/magic.h: a cgroup v1 hierarchy. */
    public static final long CGROUP_SUPER_MAGIC = 0x27e0ebL;
    /** {@code ST_RDONLY} in {@code statfs.f_flags}. */
    public static final long ST_RDONLY = 1;

    /** {@code ENOSPC}. */
    public static final int ENOSPC = 28;
    /** {@code EROFS}. */
    public static final int EROFS = 30;
    /** {@code ENOTEMPTY}. */
    public static final int ENOTEMPTY = 39;
    /** {@code ELOOP}: O_NOFOLLOW met a symlink. */
    public static final int ELOOP = 40;

    /** How much {@link #readAt} reads at most: cgroup interface files are far smaller. */
    private static final int READ_LIMIT = 64 * 1024;
    private static final int FIRST_READ = 4096;

    private Fs() {}

    /**
     * The type and mount flags of the filesystem an fd lives on.
     *
     * @param magic {@code f_type}, such as {@link #CGROUP2_SUPER_MAGIC}
     * @param flags {@code f_flags}, such as {@link #ST_RDONLY}
     */
    public record FsInfo(long magic, long flags) {
        /** @return whether the mount is read-only */
        public boolean readOnly() {
            return (flags & ST_RDONLY) != 0;
        }
    }

    /**
     * Opens {@code name} under {@code dirfd}; O_CLOEXEC is always added.
     *
     * @param dirfd a directory fd, or {@code AT_FDCWD} (-100) for an absolute {@code name}
     * @param flags open flags; pass {@code O_NOFOLLOW|O_DIRECTORY} where a directory is meant
     * @param shownAs the path that errors name
     * @return the fd
     * @throws SyscallException from openat
     */
    public static int openAt(int dirfd, String name, int flags, String shownAs) throws SyscallException {
        int rc = Natives.openAt(dirfd, bytes(name), flags);
        if (rc < 0) throw Errors.syscall("openat", rc, shownAs);
        return rc;
    }

    /** Opens the directory {@code name} under {@code dirfd}, O_RDONLY|O_DIRECTORY|O_NOFOLLOW. */
    public static int openDirAt(int dirfd, String name, String shownAs) throws SyscallException {
        return openAt(dirfd, name, Shim.O_RDONLY | Shim.O_DIRECTORY | Shim.O_NOFOLLOW, shownAs);
    }

    /** mkdirat. */
    public static void mkdirAt(int dirfd, String name, int mode, String shownAs) throws SyscallException {
        int rc = Natives.mkdirAt(dirfd, bytes(name), mode);
        if (rc < 0) throw Errors.syscall("mkdirat", rc, shownAs);
    }

    /** unlinkat; {@link #AT_REMOVEDIR} removes a directory (a cgroup). */
    public static void unlinkAt(int dirfd, String name, int flags, String shownAs) throws SyscallException {
        int rc = Natives.unlinkAt(dirfd, bytes(name), flags);
        if (rc < 0) throw Errors.syscall(flags == AT_REMOVEDIR ? "rmdir" : "unlinkat", rc, shownAs);
    }

    /**
     * faccessat with the effective ids, not following a final symlink.
     *
     * @return 0 when allowed, else {@code -errno} (for example {@code -EROFS} or {@code -EACCES})
     */
    public static int accessAt(int dirfd, String name, int mode) {
        return Natives.accessAt(dirfd, bytes(name), mode);
    }

    /**
     * Reads a small file under {@code dirfd} whole (up to 64 KiB), as UTF-8.
     *
     * @throws SyscallException from openat or read
     */
    public static String readAt(int dirfd, String name, String shownAs) throws SyscallException {
        // Most cgroup files are a few hundred bytes: try a small buffer first, which is cheaper
        // to allocate and zero, and read again with the limit only when it was filled.
        byte[] encodedName = bytes(name);
        for (int size = FIRST_READ; ; size = READ_LIMIT) {
            byte[] buffer = new byte[size];
            String text = text(Natives.readAt(dirfd, encodedName, buffer), buffer, shownAs);
            if (text != null) return text;
        }
    }

    /**
     * Reads a file held open from its start (pread at offset 0): for cgroup files read again and
     * again, such as cgroup.events and cpu.stat, one system call instead of open, read, close.
     *
     * @throws SyscallException from pread; ENODEV when the cgroup was removed
     */
    public static String readFd(int fd, String shownAs) throws SyscallException {
        for (int size = FIRST_READ; ; size = READ_LIMIT) {
            byte[] buffer = new byte[size];
            String text = text(Natives.preadAll(fd, buffer), buffer, shownAs);
            if (text != null) return text;
        }
    }

    /** The text read, or null when a first small buffer was filled and the read must be retried. */
    private static String text(long rc, byte[] buffer, String shownAs) throws SyscallException {
        if (rc < 0) throw Errors.syscall("read", rc, shownAs);
        if (rc == buffer.length) {
            if (buffer.length < READ_LIMIT) return null;
            throw Errors.syscall("read", Errno.E2BIG, shownAs, "larger than " + READ_LIMIT + " bytes");
        }
        return new String(buffer, 0, (int) rc, StandardCharsets.UTF_8);
    }

    /**
     * Writes {@code value} to the file under {@code dirfd} in one write(2).
     *
     * @throws SyscallException from openat or write, naming the value written
     */
    public static void writeAt(int dirfd, String name, String value, String shownAs) throws SyscallException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        long rc = Natives.writeAt(dirfd, bytes(name), bytes);
        if (rc < 0) throw Errors.syscall("write", rc, shownAs, "value \"" + value.strip() + "\"");
        if (rc != bytes.length) {
            throw Errors.syscall("write", Errno.EINVAL, shownAs,
                    "short write of \"" + value.strip() + "\": " + rc + " of " + bytes.length + " bytes");
        }
    }

    /**
     * Writes {@code value} to a file held open, in one write(2): for a cgroup file whose effect
     * belongs to the open file itself, such as the reset of {@code memory.peak} (Linux 6.12),
     * which only reads through the same fd see.
     *
     * @throws SyscallException from write, naming the path and the value written
     */
    public static void writeFd(int fd, String value, String shownAs) throws SyscallException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        long rc;
        try {
            rc = Shim.write(fd, bytes, 0, bytes.length);
        } catch (SyscallException e) {
            throw Errors.syscall("write", e.errno(), shownAs, "value \"" + value.strip() + "\"");
        }
        if (rc != bytes.length) {
            throw Errors.syscall("write", Errno.EINVAL, shownAs,
                    "short write of \"" + value.strip() + "\": " + rc + " of " + bytes.length + " bytes");
        }
    }

    /** fstatfs: the filesystem type and mount flags of {@code fd}. */
    public static FsInfo fstatfs(int fd, String shownAs) throws SyscallException {
        long[] out = new long[2];
        int rc = Natives.fstatfs(fd, out);
        if (rc < 0) throw Errors.syscall("fstatfs", rc, shownAs);
        return new FsInfo(out[0], out[1]);
    }

    /** @return a new inotify fd, close-on-exec and non-blocking */
    public static int inotifyInit() throws SyscallException {
        int rc = Natives.inotifyInit();
        if (rc < 0) throw Errors.syscall("inotify_init1", rc, null);
        return rc;
    }

    /**
     * Watches the file {@code name} under {@code dirfd}.
     *
     * @return the watch descriptor
     */
    public static int inotifyAddWatch(int inotifyFd, int dirfd, String name, int mask, String shownAs)
            throws SyscallException {
        int rc = Natives.inotifyAddWatch(inotifyFd, dirfd, bytes(name), mask);
        if (rc < 0) throw Errors.syscall("inotify_add_watch", rc, shownAs);
        return rc;
    }

    /**
     * Reads and discards every pending inotify event.
     *
     * @return the OR of the masks of the events read
     */
    public static int drainInotify(int inotifyFd) throws SyscallException {
        int masks = 0;
        ByteBuffer buffer = INOTIFY_BUFFER.get();
        for (;;) {
            long n = Shim.read(inotifyFd, buffer, buffer.capacity());
            if (n <= 0) return masks;
            // struct inotify_event { int wd; uint32_t mask; uint32_t cookie; uint32_t len; char name[]; }
            for (int at = 0; at + 16 <= n; at += 16 + buffer.getInt(at + 12)) {
                masks |= buffer.getInt(at + 4);
            }
        }
    }

    /** A read buffer per thread for {@link #drainInotify}, in the kernel's byte order. */
    private static final ThreadLocal<ByteBuffer> INOTIFY_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder()));

    private static byte[] bytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }
}
