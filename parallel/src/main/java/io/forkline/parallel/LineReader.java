package io.forkline.parallel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads lines split on {@code \n} only, as GNU parallel does (a {@code \r} stays part of the
 * line), holding one line at a time: a 10-million-line input costs no more memory than one line.
 * A line longer than the kernel takes for one argument is an input error, not a heap exhaustion.
 */
final class LineReader implements AutoCloseable {
    /** MAX_ARG_STRLEN (include/uapi/linux/binfmts.h: 32 pages): execve refuses a longer argument. */
    static final int MAX_LINE_BYTES = 32 * 4096;

    private final InputStream in;
    private final String name;
    private final byte[] buffer = new byte[64 * 1024];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int position;
    private int limit;
    private long lineNumber;
    private boolean eof;

    LineReader(InputStream in, String name) {
        this.in = in;
        this.name = name;
    }

    /** @return the next line without its {@code \n}, or null at the end */
    String next() throws IOException {
        line.reset();
        while (true) {
            if (position == limit) {
                if (eof) return finishLast();
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    eof = true;
                    return finishLast();
                }
            }
            int start = position;
            while (position < limit && buffer[position] != '\n') position++;
            line.write(buffer, start, position - start);
            if (line.size() > MAX_LINE_BYTES) {
                throw new IOException(name + ": line " + (lineNumber + 1) + " is longer than " + MAX_LINE_BYTES
                        + " bytes, the most the kernel takes for one argument (MAX_ARG_STRLEN)");
            }
            if (position < limit) {
                position++; // the newline
                lineNumber++;
                return line.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** A last line without a newline still counts; an empty remainder is the end. */
    private String finishLast() {
        if (line.size() == 0) return null;
        lineNumber++;
        String last = line.toString(StandardCharsets.UTF_8);
        line.reset();
        return last;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
