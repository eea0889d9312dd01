package io.forkline.sys.shim;

import io.forkline.sys.SyscallException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place where a native {@code -errno} becomes a Java exception, in the manner of Netty's
 * {@code Errors.newIOException("epoll_wait", ret)}.
 */
public final class Errors {
    private static final ConcurrentHashMap<Integer, String[]> TEXTS = new ConcurrentHashMap<>();

    private Errors() {}

    /**
     * @param syscall the call that failed
     * @param result the negative errno it returned (a positive errno is accepted too)
     * @param path the path involved, or {@code null}
     * @return the exception to throw
     */
    public static SyscallException syscall(String syscall, long result, String path) {
        return syscall(syscall, result, path, null);
    }

    /** As {@link #syscall(String, long, String)}, with more context appended to the message. */
    public static SyscallException syscall(String syscall, long result, String path, String detail) {
        int errno = (int) Math.abs(result);
        String[] text = TEXTS.computeIfAbsent(errno, Shim::errnoText);
        return new SyscallException(syscall, errno, text[0], text[1], path, detail);
    }

    /** @return the errno symbol, such as {@code ENOENT}, or {@code errno N} when libc has none */
    public static String name(int errno) {
        return TEXTS.computeIfAbsent(errno, Shim::errnoText)[0];
    }
}
