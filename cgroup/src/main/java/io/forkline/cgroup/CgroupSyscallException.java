package io.forkline.cgroup;

import io.forkline.sys.SyscallException;

/**
 * A system call on a cgroup directory or file failed. The message is the {@link SyscallException}'s
 * ({@code rmdir(/sys/fs/cgroup/unified/x/job): EBUSY (Device or resource busy)}); that exception
 * is the cause, and its fields are repeated here.
 */
public sealed class CgroupSyscallException extends CgroupException permits GroupRemovedException, LimitWriteException {
    private static final long serialVersionUID = 1L;

    CgroupSyscallException(SyscallException cause) {
        this(cause.getMessage(), cause);
    }

    CgroupSyscallException(String message, SyscallException cause) {
        super(message, cause);
    }

    @Override
    public synchronized SyscallException getCause() {
        return (SyscallException) super.getCause();
    }

    /** @return the call that failed, such as {@code mkdirat}, {@code write} or {@code rmdir} */
    public String syscall() {
        return getCause().syscall();
    }

    /** @return the positive errno */
    public int errno() {
        return getCause().errno();
    }

    /** @return the errno symbol, such as {@code EINVAL} */
    public String errnoName() {
        return getCause().errnoName();
    }

    /** @return the path of the directory or file involved */
    public String path() {
        return getCause().path();
    }
}
