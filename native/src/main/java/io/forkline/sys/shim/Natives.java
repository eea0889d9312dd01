package io.forkline.sys.shim;

import java.nio.ByteBuffer;

/**
 * The native methods of {@code libforkline.so} (native/src/main/c/shimjni.c), bound by JNI on
 * first call. Package-private: {@link Shim} and {@link Fs} are the typed facades, and nothing
 * else calls these. Every method returns a value or {@code -errno} and never throws; names and
 * paths arrive as UTF-8 bytes without a terminating NUL (at most 4095 of them).
 */
final class Natives {
    private Natives() {}

    /** Finds the C library's environ and decides whether clone3 is usable: 1, 0, or -errno. */
    static native int init();

    static native long layout(int item);

    static native long counter(int which);

    static native String errnoName(int errno);

    static native String errnoText(int errno);

    /** A direct buffer over {@code size} bytes mapped for it, or null when out of memory. */
    static native ByteBuffer mapBuffer(int size);

    /** Unmaps a buffer from {@link #mapBuffer}; it must never be touched again. */
    static native void unmapBuffer(ByteBuffer buffer);

    static native long mappedBytes();

    /**
     * @param strings path, argv, env (when {@code envc >= 0}) and cwd, each NUL-terminated, in
     *     its first {@code stringsLength} bytes
     * @param ints the request's fields as shimjni.c's {@code enum spawn_int} orders them
     * @param rlimits (resource, soft, hard) triples, or null
     * @param result pid, pidfd, errno, step, method, detail
     */
    static native int spawn(byte[] strings, int stringsLength, int argc, int envc, int[] ints, long[] rlimits, int[] result);

    /** @param out pid, si_code, status, utime µs, stime µs, maxrss KiB */
    static native int reap(int pidfd, long[] out);

    static native int pidfdSignal(int pidfd, int signal, int wholeGroup);

    static native int pipe(int[] fds);

    static native int setNonBlocking(int fd);

    static native int open(byte[] path, int flags, int mode);

    static native int close(int fd);

    /** Into a direct buffer's bytes [offset, offset + length). */
    static native long read(int fd, ByteBuffer direct, int offset, int length);

    /** From a direct buffer's bytes [offset, offset + length). */
    static native long write(int fd, ByteBuffer direct, int offset, int length);

    /** One write(2) of at most 16 KiB of {@code bytes[offset, offset + length)}. */
    static native long writeBytes(int fd, byte[] bytes, int offset, int length);

    static native int epollCreate();

    static native int epollCtl(int epfd, int op, int fd, int events, long token);

    /** At most 256 events. */
    static native int epollWait(int epfd, long[] tokens, int[] events, int max, int timeoutMillis);

    static native int eventfd();

    static native int dup(int fd);

    static native int dup3(int fd, int target);

    static native int pollReadable(int fd, int timeoutMillis);

    static native int setLease(int fd, int type);

    static native int openAt(int dirfd, byte[] name, int flags);

    static native int mkdirAt(int dirfd, byte[] name, int mode);

    static native int unlinkAt(int dirfd, byte[] name, int flags);

    static native int accessAt(int dirfd, byte[] name, int mode);

    /** Reads the file whole into {@code buffer}, up to its length: the count, or -errno. */
    static native long readAt(int dirfd, byte[] name, byte[] buffer);

    /** pread from offset 0 into {@code buffer}, up to its length. */
    static native long preadAll(int fd, byte[] buffer);

    static native long writeAt(int dirfd, byte[] name, byte[] value);

    /** @param out f_type, f_flags */
    static native int fstatfs(int fd, long[] out);

    static native int inotifyInit();

    static native int inotifyAddWatch(int inotifyFd, int dirfd, byte[] name, int mask);
}
