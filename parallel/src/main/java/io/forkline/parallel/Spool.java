package io.forkline.parallel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One stream of one job, held until it can be printed: in memory while it is small and the
 * run's memory budget allows, then in a temporary file (DELETE_ON_CLOSE, which the JDK does on
 * Linux by unlinking it as soon as it is open, so a crash leaves no file behind). So a
 * job that writes a gigabyte with {@code --output grouped} costs disk, not heap.
 *
 * <p>{@link #append} runs on the launcher's event loop; the other methods on the thread that
 * finishes the job, after the stream ended (the launcher reports the exit only then), or under
 * the owner's lock for output that goes live.
 */
final class Spool implements AutoCloseable {
    /** What one spool keeps in memory before it spills. */
    static final int MEMORY_LIMIT = 64 * 1024;

    /** Heap bytes all spools of a run may hold; beyond it, spools spill whatever their size. */
    static final class Budget {
        private final AtomicLong free;
        private final Path directory;

        Budget(long bytes, Path directory) {
            this.free = new AtomicLong(bytes);
            this.directory = directory;
        }

        boolean take(int bytes) {
            while (true) {
                long now = free.get();
                if (now < bytes) return false;
                if (free.compareAndSet(now, now - bytes)) return true;
            }
        }

        void give(int bytes) {
            free.addAndGet(bytes);
        }

        Path directory() {
            return directory;
        }
    }

    private final Budget budget;
    private byte[] memory = new byte[0];
    private int used;
    private FileChannel file;
    private long size;

    Spool(Budget budget) {
        this.budget = budget;
    }

    void append(ByteBuffer chunk) {
        int n = chunk.remaining();
        size += n;
        if (file == null && used + n <= MEMORY_LIMIT && growMemory(used + n)) {
            chunk.get(memory, used, n);
            used += n;
            return;
        }
        try {
            if (file == null) spill();
            while (chunk.hasRemaining()) file.write(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spill a job's output to " + budget.directory() + ": " + e.getMessage(), e);
        }
    }

    private boolean growMemory(int needed) {
        if (needed <= memory.length) return true;
        int capacity = Math.min(MEMORY_LIMIT, Math.max(needed, Math.max(256, memory.length * 2)));
        if (!budget.take(capacity - memory.length)) return false;
        memory = java.util.Arrays.copyOf(memory, capacity);
        return true;
    }

    private void spill() throws IOException {
        Path path = Files.createTempFile(budget.directory(), "spool-", "");
        file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        file.write(ByteBuffer.wrap(memory, 0, used));
        releaseMemory();
    }

    private void releaseMemory() {
        budget.give(memory.length);
        memory = new byte[0];
        used = 0;
    }

    /** @return whether the spool went to a file */
    boolean spilled() {
        return file != null;
    }

    /** @return how many bytes were appended */
    long size() {
        return size;
    }

    /** Copies everything held to {@code out}, in order, then empties the spool. */
    void drainTo(LineWriter out) {
        if (file == null) {
            out.write(memory, 0, used);
        } else {
            try {
                ByteBuffer buffer = ByteBuffer.allocate(MEMORY_LIMIT);
                file.position(0);
                while (file.read(buffer) > 0) {
                    buffer.flip();
                    out.write(buffer.array(), 0, buffer.limit());
                    buffer.clear();
                }
                file.close();
                file = null;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read back a job's spilled output: " + e.getMessage(), e);
            }
        }
        releaseMemory();
    }

    @Override
    public void close() {
        releaseMemory();
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                // The file is deleted on close either way; nothing is lost that was still wanted.
            }
            file = null;
        }
    }
}
