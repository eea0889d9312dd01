package io.forkline;

import java.nio.ByteBuffer;

/** Hands each chunk to an {@link OutputListener} as a read-only view of the loop's buffer. */
final class ListenerSink implements OutputPipe.Sink {
    private static final LazyLogger LOG = new LazyLogger(ListenerSink.class);
    private final OutputListener listener;
    private final Runnable ended;

    /** @param ended run once after the listener's {@code onEnd}, whatever the listener did */
    ListenerSink(OutputListener listener, Runnable ended) {
        this.listener = listener;
        this.ended = ended;
    }

    @Override
    public void accept(ByteBuffer data, int length) {
        try {
            listener.onOutput(data.asReadOnlyBuffer().position(0).limit(length));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "an OutputListener threw; its output goes on", e);
        }
    }

    @Override
    public void end() {
        try {
            listener.onEnd();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "an OutputListener threw at end of stream", e);
        } finally {
            ended.run();
        }
    }
}
