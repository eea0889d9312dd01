package io.forkline.parallel;

/**
 * A job's stream on its way to forkline's stdout or stderr: with {@code --tag}, every line
 * starts with the job's input values and a tab. With {@link #wholeLinesOnly}, a half line is
 * held back until its newline (or the end), so that lines of different jobs never mix.
 */
final class LineWriter {
    /** The longest half line held back; a longer one goes out in parts. */
    static final int LONGEST_HELD_LINE = 1 << 20;
    private final OutputSink sink;
    private final byte[] tag;
    private final boolean wholeLinesOnly;
    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
    private boolean atLineStart = true;

    LineWriter(OutputSink sink, byte[] tag, boolean wholeLinesOnly) {
        this.sink = sink;
        this.tag = tag;
        this.wholeLinesOnly = wholeLinesOnly;
    }

    void write(byte[] bytes, int offset, int length) {
        if (!wholeLinesOnly && tag == null) {
            sink.write(bytes, offset, length);
            return;
        }
        int end = offset + length;
        int lastNewline = -1;
        for (int i = end - 1; i >= offset; i--) {
            if (bytes[i] == '\n') {
                lastNewline = i;
                break;
            }
        }
        if (wholeLinesOnly && lastNewline < 0) {
            tagged(bytes, offset, length);
            // A line this long goes out in parts rather than taking the heap.
            if (pending.size() > LONGEST_HELD_LINE) emit();
            return;
        }
        int upTo = wholeLinesOnly ? lastNewline + 1 : end;
        tagged(bytes, offset, upTo - offset);
        emit();
        if (upTo < end) tagged(bytes, upTo, end - upTo);
        if (!wholeLinesOnly) emit();
    }

    /** Puts the bytes, with a tag at each line start, into {@code pending}. */
    private void tagged(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int from = offset;
        for (int i = offset; i < end; i++) {
            if (atLineStart && tag != null) {
                pending.write(bytes, from, i - from);
                pending.writeBytes(tag);
                from = i;
                atLineStart = false;
            }
            if (bytes[i] == '\n') atLineStart = true;
        }
        pending.write(bytes, from, end - from);
    }

    private void emit() {
        if (pending.size() == 0) return;
        byte[] out = pending.toByteArray();
        pending.reset();
        sink.write(out, 0, out.length);
    }

    /** The stream ended: what is held back goes out as it is. */
    void end() {
        emit();
    }
}
