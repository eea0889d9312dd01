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

    // instanceof chains rather than switches over the sealed Stdio: this runs at a JVM's first
    // spawn, and a pattern switch's first run bootstraps SwitchBootstraps (about 5 ms); see
    // Launcher's note on the first spawn.
    private void openStdin(Launcher launcher) throws SyscallException {
        if (stdin instanceof Stdio.Inherit) return;
        if (stdin instanceof Stdio.Discard) {
            map(launcher.devNull(), 0);
        } else if (stdin instanceof Stdio.File f) {
            map(closeLater(Shim.open(f.path().toString(), Shim.O_RDONLY, 0)), 0);
        } else if (stdin instanceof Stdio.Pipe) {
            int[] ends = Shim.pipe();
            closeLater(ends[0]);
            stdinFd = ends[1];
            map(ends[0], 0);
            Shim.setNonBlocking(stdinFd);
        } else {
            throw new IllegalArgumentException("stdin cannot be " + stdin);
        }
    }

    /** @return the parent fd that becomes {@code target}, or -1 when inherited */
    private int openOutput(Stdio stdio, int target, Launcher launcher) throws SyscallException {
        int source;
        if (stdio instanceof Stdio.Inherit) {
            return -1;
        } else if (stdio instanceof Stdio.Discard) {
            source = launcher.devNull();
        } else if (stdio instanceof Stdio.File f) {
            int flags = Shim.O_WRONLY | Shim.O_CREAT | (f.mode() == Stdio.FileMode.APPEND ? Shim.O_APPEND : Shim.O_TRUNC);
            source = closeLater(Shim.open(f.path().toString(), flags, 0666));
        } else if (stdio instanceof Stdio.Pipe || stdio instanceof Stdio.Capture || stdio instanceof Stdio.Stream) {
            source = outputPipe(target);
        } else {
            throw new IllegalArgumentException("only stderr can merge into stdout");
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
        int[] fds = new int[fdMap.size()];
        for (int i = 0; i < fds.length; i++) fds[i] = fdMap.get(i);
        return fds;
    }

    /** The child has its copies now; the parent's copies of the child's ends go. */
    void closeChildEnds() {
        for (int fd : closeAfterSpawn) Shim.close(fd);
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
