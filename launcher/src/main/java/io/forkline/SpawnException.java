package io.forkline;

import io.forkline.sys.SyscallException;
import java.util.List;

/**
 * A spawn failed. Like every {@link SyscallException} it names the system call (or the step in the
 * child: {@code execve}, {@code chdir}, {@code dup3}, {@code close_range}, {@code clone3},
 * {@code pipe2}, {@code open}, ...), the errno and the path; it also carries the argv that was
 * being started. Nothing is left behind by a failed spawn: no fd, pidfd or zombie.
 */
public final class SpawnException extends SyscallException {
    private static final long serialVersionUID = 1L;

    /** An immutable list; it serializes as whatever List.copyOf returned. */
    @SuppressWarnings("serial")
    private final List<String> argv;

    SpawnException(SyscallException cause, List<String> argv) {
        super(cause, "while starting " + abbreviate(argv));
        this.argv = List.copyOf(argv);
    }

    /** @return the argv of the command that could not be started */
    public List<String> argv() {
        return argv;
    }

    private static String abbreviate(List<String> argv) {
        String text = String.join(" ", argv);
        return text.length() <= 200 ? "[" + text + "]" : "[" + text.substring(0, 200) + "... (" + text.length() + " chars)]";
    }
}
