package io.forkline.sys;

import java.io.IOException;
import java.util.Objects;

/**
 * A system call failed. The message always names the call, the errno symbol and its text, and
 * the path when one was involved, for example
 * {@code execve(/usr/bin/nope): ENOENT (No such file or directory)}.
 *
 * <p>Instances are made in one place, {@code io.forkline.sys.shim.Errors}, from the {@code -errno}
 * that every native function returns.
 */
public class SyscallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String syscall;
    private final int errno;
    private final String errnoName;
    private final String path;

    /**
     * @param syscall the system call that failed, such as {@code execve}
     * @param errno the positive errno value
     * @param errnoName the errno symbol, such as {@code ENOENT}
     * @param errnoText the errno description, such as {@code No such file or directory}
     * @param path the path involved, or {@code null}
     * @param detail more context appended to the message, or {@code null}
     */
    public SyscallException(String syscall, int errno, String errnoName, String errnoText, String path, String detail) {
        super(format(syscall, errnoName, errnoText, path, detail));
        this.syscall = Objects.requireNonNull(syscall, "syscall");
        this.errno = errno;
        this.errnoName = Objects.requireNonNull(errnoName, "errnoName");
        this.path = path;
    }

    /** Copies another exception's fields, for subclasses that add context. */
    protected SyscallException(SyscallException cause, String detail) {
        super(cause.getMessage() + (detail == null ? "" : ": " + detail), cause);
        this.syscall = cause.syscall;
        this.errno = cause.errno;
        this.errnoName = cause.errnoName;
        this.path = cause.path;
    }

    private static String format(String syscall, String name, String text, String path, String detail) {
        StringBuilder message = new StringBuilder(syscall);
        if (path != null) message.append('(').append(path).append(')');
        message.append(": ").append(name);
        if (text != null && !text.isEmpty()) message.append(" (").append(text).append(')');
        if (detail != null) message.append(": ").append(detail);
        return message.toString();
    }

    /** @return the system call that failed, such as {@code execve} or {@code clone3} */
    public String syscall() {
        return syscall;
    }

    /** @return the positive errno value */
    public int errno() {
        return errno;
    }

    /** @return the errno symbol, such as {@code ENOENT} */
    public String errnoName() {
        return errnoName;
    }

    /** @return the path involved, or {@code null} when the call had none */
    public String path() {
        return path;
    }
}
