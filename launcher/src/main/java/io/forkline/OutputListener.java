package io.forkline;

import java.nio.ByteBuffer;

/**
 * Receives a child's output as it arrives. Both methods run on the launcher's event loop thread,
 * which also reaps every child: return quickly and hand slow work to an executor.
 */
@FunctionalInterface
public interface OutputListener {
    /** @param chunk the bytes just read; valid only during the call */
    void onOutput(ByteBuffer chunk);

    /** The stream reached end of file. */
    default void onEnd() {}
}
