package io.forkline.parallel;

import java.io.FileInputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.List;

/**
 * The jobs' inputs: the cartesian product of the input sources, in GNU parallel's order (the
 * last source varies fastest), numbered from 1. The first source is streamed, one line at a
 * time, so a long file or standard input runs in bounded memory; the others are read whole
 * when the inputs are opened, because the product goes over them again for every value of the
 * first. Every file is opened before the first job, so an unreadable one stops the run before
 * anything started.
 */
public final class JobInputs implements AutoCloseable {
    private final LineReader streamed;
    private final List<String> firstValues;
    private final List<List<String>> rest;
    private final long knownTotal;
    private int firstIndex;
    private String currentFirst;
    private final int[] odometer;
    private long seq;
    private boolean done;

    private JobInputs(LineReader streamed, List<String> firstValues, List<List<String>> rest, long knownTotal) {
        this.streamed = streamed;
        this.firstValues = firstValues;
        this.rest = rest;
        this.knownTotal = knownTotal;
        this.odometer = new int[rest.size()];
    }

    /**
     * Opens the sources; with none, standard input is the source.
     *
     * @throws IOException when a file cannot be opened or read (named in the message)
     */
    public static JobInputs open(List<InputSource> sources) throws IOException {
        List<InputSource> all = sources.isEmpty() ? List.of(InputSource.stdin()) : sources;
        if (all.stream().filter(s -> s instanceof InputSource.Stdin).count() > 1) {
            throw new IOException("standard input is given as an input source more than once");
        }
        LineReader streamed = null;
        List<String> firstValues = null;
        List<List<String>> rest = new ArrayList<>();
        try {
            InputSource first = all.get(0);
            if (first instanceof InputSource.Arguments a) firstValues = a.values();
            else streamed = new LineReader(openStream(first), first.describe());
            for (InputSource source : all.subList(1, all.size())) rest.add(readAll(source));
        } catch (IOException | RuntimeException e) {
            if (streamed != null) streamed.close();
            throw e;
        }
        long total = -1;
        if (firstValues != null) {
            total = firstValues.size();
            for (List<String> values : rest) total = Math.multiplyExact(total, values.size());
        }
        return new JobInputs(streamed, firstValues, rest, total);
    }

    private static InputStream openStream(InputSource source) throws IOException {
        return switch (source) {
            // Never closed: fd 0 stays taken, so no file this JVM opens later can land on it.
            case InputSource.Stdin s -> new java.io.FilterInputStream(new FileInputStream(FileDescriptor.in)) {
                @Override
                public void close() {}
            };
            case InputSource.LinesOf f -> {
                try {
                    if (Files.isDirectory(f.path())) throw new IOException(f.path() + ": is a directory, not a file of inputs");
                    yield Files.newInputStream(f.path());
                } catch (NoSuchFileException e) {
                    throw new IOException(f.path() + ": no such file (ENOENT)", e);
                } catch (AccessDeniedException e) {
                    throw new IOException(f.path() + ": permission denied (EACCES)", e);
                }
            }
            case InputSource.Arguments a -> throw new IllegalArgumentException("arguments are not a stream");
        };
    }

    private static List<String> readAll(InputSource source) throws IOException {
        if (source instanceof InputSource.Arguments a) return a.values();
        List<String> values = new ArrayList<>();
        try (LineReader reader = new LineReader(openStream(source), source.describe())) {
            for (String line = reader.next(); line != null; line = reader.next()) values.add(line);
        }
        return values;
    }

    /** @return how many jobs the product has, when every source's size is known up front; else -1 */
    public long knownTotal() {
        return knownTotal;
    }

    /**
     * @return the next job's input, or null when the inputs are exhausted
     * @throws IOException when the streamed source cannot be read
     */
    public JobInput next() throws IOException {
        if (done) return null;
        for (List<String> values : rest) {
            if (values.isEmpty()) return end();
        }
        if (currentFirst == null || !advanceOdometer()) {
            currentFirst = nextFirst();
            if (currentFirst == null) return end();
            java.util.Arrays.fill(odometer, 0);
        }
        List<String> values = new ArrayList<>(1 + rest.size());
        values.add(currentFirst);
        for (int i = 0; i < rest.size(); i++) values.add(rest.get(i).get(odometer[i]));
        return new JobInput(++seq, values);
    }

    /** Moves the last source on by one, carrying into the earlier ones; false when they all wrapped. */
    private boolean advanceOdometer() {
        for (int i = odometer.length - 1; i >= 0; i--) {
            if (++odometer[i] < rest.get(i).size()) return true;
            odometer[i] = 0;
        }
        return false;
    }

    private String nextFirst() throws IOException {
        if (streamed != null) return streamed.next();
        return firstIndex < firstValues.size() ? firstValues.get(firstIndex++) : null;
    }

    private JobInput end() throws IOException {
        done = true;
        close();
        return null;
    }

    /** @return how many inputs were handed out */
    public long count() {
        return seq;
    }

    @Override
    public void close() throws IOException {
        if (streamed != null) streamed.close();
    }
}
