package io.forkline.parallel;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads the inputs on a thread of its own, a few jobs ahead of the scheduler, and skips the
 * jobs of other shards there. Reading standard input can block for as long as the writer
 * pleases (a {@code tail -f} upstream): with the read on its own thread, a run that is told to
 * stop still stops, instead of waiting for a line that may never come. The thread is a daemon,
 * so one still blocked in a read when the run ends does not keep the JVM alive.
 */
final class InputFeed implements AutoCloseable {
    /** What the reader hands over besides inputs. */
    private record End(IOException failure) {}

    private final BlockingQueue<Object> ahead = new ArrayBlockingQueue<>(64);
    private final Thread reader;
    private boolean ended;

    InputFeed(JobInputs inputs, Shard shard) {
        reader = Thread.ofPlatform().daemon().name("forkline-parallel-input").start(() -> read(inputs, shard));
    }

    private void read(JobInputs inputs, Shard shard) {
        try {
            try {
                for (JobInput input = inputs.next(); input != null; input = inputs.next()) {
                    if (shard.contains(input.seq())) ahead.put(input);
                }
                ahead.put(new End(null));
            } catch (IOException e) {
                ahead.put(new End(e));
            }
        } catch (InterruptedException e) {
            // The run is over and no longer takes inputs.
        }
    }

    /**
     * @return the next input of this shard, null at the end of the inputs, or null after
     *     {@code maxWaitMillis} with {@link #ended()} false, so that the caller can look at why it
     *     might stop waiting
     * @throws IOException when the inputs could not be read
     */
    JobInput next(long maxWaitMillis) throws IOException, InterruptedException {
        if (ended) return null;
        Object next = ahead.poll(maxWaitMillis, TimeUnit.MILLISECONDS);
        if (next instanceof End end) {
            ended = true;
            if (end.failure() != null) throw end.failure();
            return null;
        }
        return (JobInput) next;
    }

    /** @return whether the inputs are exhausted */
    boolean ended() {
        return ended;
    }

    /** Stops the reader: at once when it waits to hand over an input, at its read's end when it is in one. */
    @Override
    public void close() {
        reader.interrupt();
        try {
            reader.join(ended ? 10_000 : 100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
