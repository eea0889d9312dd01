package io.forkline.cgroup;

import io.forkline.sys.SyscallException;

/**
 * The group was removed by someone else while forkline still held it: a file in its directory
 * is gone (ENOENT, or ENODEV while the kernel tears it down).
 */
public final class GroupRemovedException extends CgroupSyscallException {
    private static final long serialVersionUID = 1L;

    private final String group;

    GroupRemovedException(String group, SyscallException cause) {
        super("cgroup " + group + " was removed while in use: " + cause.getMessage(), cause);
        this.group = group;
    }

    /** @return the group's directory */
    public String group() {
        return group;
    }
}
