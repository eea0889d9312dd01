package io.forkline;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Keeps up to a limit of a child's output in memory and counts the rest ({@link Stdio#capture(int)}). */
final class CaptureSink implements OutputPipe.Sink {
    private final int maxBytes;
    private final Runnable onEnd;
    private byte[] kept = new byte[0];
    private int size;
    private long total;

    CaptureSink(int maxBytes, Runnable onEnd) {
        this.maxBytes = maxBytes;
        this.onEnd = onEnd;
    }

    @Override
    public void accept(ByteBuffer data, int length) {
        total += length;
        int room = maxBytes - size;
        int take = Math.min(room, length);
        if (take <= 0) return;
        if (size + take > kept.length) {
            kept = Arrays.copyOf(kept, Math.min(maxBytes, Math.max(size + take, Math.max(256, kept.length * 2))));
        }
        data.get(0, kept, size, take);
        size += take;
    }

    @Override
    public void end() {
        onEnd.run();
    }

    /** Safe once {@link #end()} has run: the loop thread wrote everything before that. */
    Output result() {
        return new Output(Arrays.copyOf(kept, size), total);
    }
}
