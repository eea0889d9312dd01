package io.forkline.cgroup;

/** The directory given as a root cannot be managed: not a cgroup, the wrong hierarchy, or not writable. */
public final class UnusableRootException extends CgroupException {
    private static final long serialVersionUID = 1L;

    private final String path;

    UnusableRootException(String path, String reason, Throwable cause) {
        super(path + " cannot be a forkline cgroup root: " + reason, cause);
        this.path = path;
    }

    /** @return the directory */
    public String path() {
        return path;
    }
}
