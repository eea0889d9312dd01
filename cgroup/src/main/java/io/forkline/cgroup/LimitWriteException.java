package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import java.util.List;

/**
 * The kernel refused a limit write that passed validation (for example a v1 cpu quota above the
 * parent's). Every write made before it in the same call was restored to its previous value;
 * {@link #restored()} lists them, and a restore that failed is a suppressed exception.
 */
public final class LimitWriteException extends CgroupSyscallException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String value;
    private final String[] restored;

    LimitWriteException(String file, String value, List<String> restored, SyscallException cause) {
        super("cannot write " + value + " to " + file + ": " + cause.getMessage()
                + (restored.isEmpty() ? "" : "; restored " + String.join(", ", restored)), cause);
        this.file = file;
        this.value = value;
        this.restored = restored.toArray(String[]::new);
    }

    /** @return the file whose write failed */
    public String file() {
        return file;
    }

    /** @return the value that was refused */
    public String value() {
        return value;
    }

    /** @return the files that had been written in the same call and were set back */
    public List<String> restored() {
        return List.of(restored);
    }
}
