package io.forkline.cgroup;

import java.io.IOException;

/**
 * Something about a cgroup went wrong. Every failure of this module is one of the subclasses:
 * <ul>
 *   <li>{@link CgroupSyscallException}: a system call on a cgroup file failed (syscall, errno, path);
 *       {@link GroupRemovedException} and {@link LimitWriteException} are its special cases;
 *   <li>{@link InvalidLimitException}: a limit value is malformed or out of range (file and value);
 *   <li>{@link ControllerUnavailableException}: a limit's controller cannot be driven here, and why;
 *   <li>{@link UnusableRootException}: the root is not a cgroup, or not writable.
 * </ul>
 */
public abstract sealed class CgroupException extends IOException
        permits CgroupSyscallException, InvalidLimitException, ControllerUnavailableException, UnusableRootException {
    private static final long serialVersionUID = 1L;

    CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
