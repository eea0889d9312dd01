package io.forkline;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Shim;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fds one spawn needs, opened in the parent before the clone, all close-on-exec: files,
 * /dev/null, pipes, and the directory of the cgroup the child is born in. It records which fd
 * becomes which in the child, which fds the parent closes once the child has them, and which
 * pipe ends the parent keeps. If anything fails, {@link #closeAll()} leaves nothing open.
 */
final class StdioPlan {
    final Stdio stdin;
    final Stdio stdout;
    final Stdio stderr;
    /** The cgroup v2 directory the child is born in (CLONE_INTO_CGROUP), or -1. */
    int cgroupFd = -1;
    /** Parent ends the launcher keeps: -1 when the stream is not a pipe. */
    int stdinFd = -1;
    int stdoutFd = -1;
    int stderrFd = -1;
    private final List<Integer> fdMap = new ArrayList<>();
    private final List<Integer> closeAfterSpawn = new ArrayList<>();

    private StdioPlan(Stdio stdin, Stdio stdout, Stdio stderr) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static StdioPlan open(Command command, Launcher launcher, boolean bornIntoCgroup) throws SyscallException {
        StdioPlan plan = new StdioPlan(command.stdin(), command.stdout(), command.stderr());
        try {
            plan.openStdin(launcher);
            int stdoutSource = plan.openOutput(plan.stdout, 1, launcher);
            if (plan.stderr instanceof Stdio.MergeIntoStdout) {
                // 2>&1: the same source as stdout, or the inherited fd 1 itself
                plan.map(stdoutSource >= 0 ? stdoutSource : 1, 2);
            } else {
                plan.openOutput(plan.stderr, 2, launcher);
            }
            for (Map.Entry<Integer, Integer> passed : command.passedFds().entrySet()) {
                plan.map(passed.getValue(), passed.getKey());
            }
            if (bornIntoCgroup) {
                String group = command.cgroupDirectory().toString();
                plan.cgroupFd = plan.closeLater(Shim.open(group, Shim.O_RDONLY | Shim.O_DIRECTORY, 0));
            }
            return plan;
        } catch (SyscallException | RuntimeException e) {
            plan.closeAll();
            throw e;
        }
    }

    private void openStdin(Launcher launcher) throws SyscallException {
        switch (stdin) {
            case Stdio.Inherit i -> {}
            case Stdio.Discard d -> map(launcher.devNull(), 0);
            case Stdio.File f -> map(closeLater(Shim.open(f.path().toString(), Shim.O_RDONLY, 0)), 0);
            case Stdio.Pipe p -> {
                int[] ends = Shim.pipe();
                closeLater(ends[0]);
                stdinFd = ends[1];
                map(ends[0], 0);
                Shim.setNonBlocking(stdinFd);
            }
            default -> throw new IllegalArgumentException("stdin cannot be " + stdin);
        }
    }

    /** @return the parent fd that becomes {@code target}, or -1 when inherited */
    private int openOutput(Stdio stdio, int target, Launcher launcher) throws SyscallException {
        int source;
        switch (stdio) {
            case Stdio.Inherit i -> {
                return -1;
            }
            case Stdio.Discard d -> source = launcher.devNull();
            case Stdio.File f -> {
                int flags = Shim.O_WRONLY | Shim.O_CREAT
                        | (f.mode() == Stdio.FileMode.APPEND ? Shim.O_APPEND : Shim.O_TRUNC);
                source = closeLater(Shim.open(f.path().toString(), flags, 0666));
            }
            case Stdio.Pipe p -> source = outputPipe(target);
            case Stdio.Capture c -> source = outputPipe(target);
            case Stdio.Stream s -> source = outputPipe(target);
            case Stdio.MergeIntoStdout m -> throw new IllegalArgumentException("only stderr can merge into stdout");
        }
        map(source, target);
        return source;
    }

    private int outputPipe(int target) throws SyscallException {
        int[] ends = Shim.pipe();
        if (target == 1) stdoutFd = ends[0];
        else stderrFd = ends[0];
        closeLater(ends[1]);
        Shim.setNonBlocking(ends[0]);
        return ends[1];
    }

    private void map(int source, int target) {
        fdMap.add(source);
        fdMap.add(target);
    }

    private int closeLater(int fd) {
        closeAfterSpawn.add(fd);
        return fd;
    }

    int[] fdMap() {
        return fdMap.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The child has its copies now; the parent's copies of the child's ends go. */
    void closeChildEnds() {
        closeAfterSpawn.forEach(Shim::close);
        closeAfterSpawn.clear();
    }

    void closeAll() {
        closeChildEnds();
        Shim.close(stdinFd);
        Shim.close(stdoutFd);
        Shim.close(stderrFd);
        stdinFd = stdoutFd = stderrFd = -1;
    }
}
