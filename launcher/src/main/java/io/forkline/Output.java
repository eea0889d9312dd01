package io.forkline;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Output captured with {@link Stdio#capture(int)}. */
public final class Output {
    static final Output NONE = new Output(new byte[0], 0);

    private final byte[] bytes;
    private final long totalBytes;

    Output(byte[] bytes, long totalBytes) {
        this.bytes = bytes;
        this.totalBytes = totalBytes;
    }

    /** @return a copy of the bytes kept */
    public byte[] bytes() {
        return Arrays.copyOf(bytes, bytes.length);
    }

    /** @return the bytes kept, decoded as UTF-8 */
    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** @return how many bytes the child wrote, kept or not */
    public long totalBytes() {
        return totalBytes;
    }

    /** @return whether the child wrote more than the capture limit */
    public boolean truncated() {
        return totalBytes > bytes.length;
    }

    @Override
    public String toString() {
        return "Output[" + bytes.length + " bytes" + (truncated() ? " of " + totalBytes : "") + "]";
    }
}
