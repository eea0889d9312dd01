package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Errors;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * PATH lookup, done by forkline so that the child makes exactly one execve. It follows execvp:
 * a name with a slash is used as it is; otherwise each PATH entry is tried in order (an empty
 * entry means the current directory), the first regular executable file wins, and if only
 * non-executable candidates exist the error is EACCES rather than ENOENT.
 */
final class ExecutableResolver {
    /**
     * What is searched when neither the command nor the JVM has a PATH: execvp's default
     * (glibc's confstr _CS_PATH), which the JDK uses too when the child inherits the JVM's
     * environment. When it passes an environment of its own, the JDK searches ":/bin:/usr/bin",
     * the child's cwd first; forkline leaves that out on purpose: a cwd is no place to find
     * programs in.
     */
    static final String DEFAULT_PATH = "/bin:/usr/bin";

    private ExecutableResolver() {}

    static String resolve(String name, String pathVariable, Path cwd) throws SyscallException {
        if (name.indexOf('/') >= 0) return name;
        String path = pathVariable == null ? DEFAULT_PATH : pathVariable;
        boolean sawNonExecutable = false;
        for (String entry : path.split(":", -1)) {
            Path dir = entry.isEmpty() ? (cwd != null ? cwd : Path.of("")) : Path.of(entry);
            if (!dir.isAbsolute() && cwd != null) dir = cwd.resolve(dir);
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate)) {
                if (Files.isExecutable(candidate)) return candidate.toString();
                sawNonExecutable = true;
            }
        }
        return failure(name, path, sawNonExecutable);
    }

    private static String failure(String name, String path, boolean sawNonExecutable) throws SyscallException {
        throw Errors.syscall("execve", sawNonExecutable ? Errno.EACCES : Errno.ENOENT, name,
                (sawNonExecutable ? "found but not executable in PATH=" : "not found in PATH=") + path);
    }
}
