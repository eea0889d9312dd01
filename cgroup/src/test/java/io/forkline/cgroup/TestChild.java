package io.forkline.cgroup;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.ExitRecord;
import io.forkline.sys.shim.Shim;
import io.forkline.sys.shim.SpawnSpec;
import io.forkline.sys.shim.Spawned;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A child this test starts itself, through the shim's clone3 spawn with CLONE_INTO_CGROUP and
 * the group's {@link Cgroup#v2DirFd()}: exactly what the launcher will do. Its stdin, stdout and
 * stderr are pipes. (The launcher module is not used here: it will depend on this module.)
 */
final class TestChild implements AutoCloseable {
    final int pid;
    private final int pidfd;
    private int stdin;
    private final int stdout;
    private final int stderr;
    private ExitRecord exit;

    private TestChild(int pid, int pidfd, int stdin, int stdout, int stderr) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code /bin/sh -c script} born in {@code group}. */
    static TestChild shell(Cgroup group, String script) throws SyscallException {
        return spawn(group, "/bin/sh", "sh", "-c", script);
    }

    static TestChild spawn(Cgroup group, String path, String... argv) throws SyscallException {
        int[] in = Shim.pipe();
        int[] out = Shim.pipe();
        int[] err = Shim.pipe();
        try {
            Spawned s = Shim.spawn(new SpawnSpec(path, List.of(argv), null, null,
                    new int[] {in[0], 0, out[1], 1, err[1], 2}, new int[0], new long[0],
                    Shim.FLAG_INTO_CGROUP, 0, 0, 0, group.v2DirFd(), 0));
            return new TestChild(s.pid(), s.pidfd(), in[1], out[0], err[0]);
        } catch (SyscallException | RuntimeException e) {
            Shim.close(in[1]);
            Shim.close(out[0]);
            Shim.close(err[0]);
            throw e;
        } finally {
            Shim.close(in[0]);
            Shim.close(out[1]);
            Shim.close(err[1]);
        }
    }

    void write(String text) throws SyscallException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int done = 0; done < bytes.length; ) done += (int) Shim.write(stdin, bytes, done, bytes.length - done);
    }

    void closeStdin() {
        Shim.close(stdin);
        stdin = -1;
    }

    /** Reads stdout up to a newline (blocking). */
    String readLine() throws SyscallException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocateDirect(1);
        while (Shim.read(stdout, b, 1) == 1) {
            byte c = b.get(0);
            if (c == '\n') break;
            line.write(c);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** @return what is in the stderr pipe now (without waiting for end of file) */
    String stderrNow() throws SyscallException {
        Shim.setNonBlocking(stderr);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        byte[] chunk = new byte[4096];
        long n;
        while ((n = Shim.read(stderr, buffer, 4096)) > 0) {
            buffer.get(0, chunk, 0, (int) n);
            out.write(chunk, 0, (int) n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** @return how it ended, or {@code null} if it is still running after {@code timeout} */
    ExitRecord waitFor(Duration timeout) throws SyscallException {
        if (exit != null) return exit;
        if (!Shim.pollReadable(pidfd, (int) timeout.toMillis())) return null;
        exit = Shim.reap(pidfd);
        return exit;
    }

    /** Kills (if still running) and reaps the child, and closes every fd. */
    @Override
    public void close() throws SyscallException {
        try {
            if (exit == null) {
                Shim.pidfdSignal(pidfd, 9, false);
                waitFor(Duration.ofSeconds(10));
            }
        } finally {
            if (stdin >= 0) Shim.close(stdin);
            Shim.close(stdout);
            Shim.close(stderr);
            Shim.close(pidfd);
        }
    }
}
