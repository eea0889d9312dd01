package io.forkline.parallel;

import io.forkline.sys.SyscallException;
import io.forkline.sys.shim.Errno;
import io.forkline.sys.shim.Shim;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The files that grouped output goes through: a job's stdout and stderr are files in the run's
 * spool directory, which the child writes straight into and which are printed when it ends. A
 * pair of files is used again by later jobs rather than made and removed per job, because on
 * ext4 a new file costs an inode allocation that scans past every inode freed in the last 30
 * seconds (recently_deleted), which at thousands of jobs per second grows with the run.
 *
 * <p>A pair goes back to the pool only when no process can still write to it: a job may leave
 * a daemon holding its stdout, and that daemon's late writes must not turn up in another job's
 * output. {@link Shim#openForWriting} answers that exactly (a read lease is granted only when no
 * fd of any process is open for writing on the file); a pair that is still written is removed
 * instead, and the daemon writes on into a file nobody reads, as with per-job files. On a
 * filesystem without leases the pool stops reusing and every job gets new files.
 *
 * <p>Thread-safe: workers take pairs, and the thread that prints a job gives its pair back.
 */
final class SpoolFiles {
    private static final System.Logger LOG = System.getLogger(SpoolFiles.class.getName());
    /** A pair given back with more than this in a file is emptied now, not at its next use, so it holds no disk while idle. */
    static final long EMPTY_ON_RETURN_BYTES = 1 << 20;

    /** One job's stdout and stderr files. */
    record Pair(Path stdout, Path stderr) {}

    private final Path directory;
    private final ConcurrentLinkedDeque<Pair> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger made = new AtomicInteger();
    private volatile boolean reuse = true;

    SpoolFiles(Path directory) {
        this.directory = directory;
    }

    /**
     * @return a pair for the next try; its files may hold an earlier job's output, which the
     *     child's open (O_TRUNC) discards, or may not exist yet (the open creates them)
     */
    Pair take() {
        Pair pair = idle.pollFirst(); // the most recently used: its inodes are the likeliest cached
        if (pair != null) return pair;
        int n = made.incrementAndGet();
        return new Pair(directory.resolve(n + ".out"), directory.resolve(n + ".err"));
    }

    /**
     * Takes back a pair whose output was printed or dropped: for the next job when nothing can
     * write to it any more, else it is removed.
     *
     * @param stdoutBytes the bytes its stdout holds, or -1 when not known
     * @param stderrBytes the same for its stderr
     */
    void give(Pair pair, long stdoutBytes, long stderrBytes) {
        if (reuse && reusable(pair.stdout(), stdoutBytes) && reusable(pair.stderr(), stderrBytes)) {
            idle.addFirst(pair);
            return;
        }
        delete(pair.stdout());
        delete(pair.stderr());
    }

    /** @return how many pairs were made: with reuse, about one per slot, however many jobs ran */
    int made() {
        return made.get();
    }

    private boolean reusable(Path file, long bytes) {
        try {
            if (Shim.openForWriting(file.toString())) return false;
            if (bytes < 0 || bytes > EMPTY_ON_RETURN_BYTES) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    channel.truncate(0);
                }
            }
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) return true; // the spawn failed before the file was made
            reuse = false;
            LOG.log(System.Logger.Level.DEBUG, () -> "spool files are made per job from now on: " + e.getMessage());
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + file, e);
        }
    }
}
