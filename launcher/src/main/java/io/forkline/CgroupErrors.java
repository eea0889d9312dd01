package io.forkline;

import io.forkline.cgroup.CgroupException;
import io.forkline.cgroup.CgroupSyscallException;
import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Errors;

/**
 * How a cgroup failure during a spawn becomes the {@link SpawnException} that
 * {@link Launcher#spawn} promises: a failed system call keeps its own syscall, errno and path;
 * a limit whose controller is unavailable or whose value the kernel refused is reported as the
 * step that could not be done, with the typed cgroup exception as the cause.
 */
final class CgroupErrors {
    private CgroupErrors() {}

    static SyscallException asSyscall(Exception failure) {
        if (failure instanceof SyscallException e) return e;
        if (failure instanceof CgroupSyscallException e) {
            SyscallException syscall = e.getCause();
            if (e.getMessage().equals(syscall.getMessage())) return syscall;
            // A GroupRemovedException or LimitWriteException wraps the syscall's message in its own
            // ("cannot write V to F: write(F): ENODEV (...); restored ..."); the SpawnException
            // leads with the syscall's, so keep only what the cgroup module added.
            String extra = e.getMessage().replace(": " + syscall.getMessage(), "");
            return withCause(Errors.syscall(syscall.syscall(), syscall.errno(), syscall.path(), extra), e);
        }
        if (failure instanceof CgroupException e) {
            return withCause(Errors.syscall("cgroup limits", Errno.ENOTSUP, null, e.getMessage()), e);
        }
        throw new IllegalArgumentException("not a cgroup or syscall failure", failure);
    }

    private static SyscallException withCause(SyscallException e, Exception cause) {
        e.initCause(cause);
        return e;
    }
}
