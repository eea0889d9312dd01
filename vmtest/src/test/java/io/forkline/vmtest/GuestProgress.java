package io.forkline.vmtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Which in-VM test is running, written as it happens, so that a VM killed for running too long
 * still says which test held it. The console launcher's reports and its tree are written only
 * when the run ends, and a killed VM ends no run.
 *
 * <p>In the guest JVM this is a JUnit Platform listener (registered through
 * {@code META-INF/services}), active only when {@code -Dforkline.vm.progress=FILE} names its log
 * (VmRun sets it; elsewhere, Surefire's own runs included, it does nothing). Each test adds a
 * {@code start} line when it starts and an {@code end} line when it ends, written straight
 * through to the output share. On the host, {@link #read(Path)} turns the log back into what
 * ended and what was still running.
 */
public final class GuestProgress implements TestExecutionListener {
    static final String PROPERTY = "forkline.vm.progress";

    private final Path log;
    private final long startNanos = System.nanoTime();

    /** The listener the guest's ServiceLoader makes. */
    public GuestProgress() {
        this(logNamedBy(System.getProperty(PROPERTY)));
    }

    private static Path logNamedBy(String property) {
        return property == null || property.isBlank() ? null : Path.of(property);
    }

    /** A listener that writes to {@code log}, or does nothing when it is null. */
    GuestProgress(Path log) {
        this.log = log;
    }

    @Override
    public void executionStarted(TestIdentifier test) {
        if (log != null && test.isTest()) append("start", name(test));
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (log != null && test.isTest()) append("end " + result.getStatus(), name(test));
    }

    /**
     * {@code Class > method()}, as the replayed tests name them, followed by the display name when
     * it is not just that (a repetition, a parameter set), so that no two running tests share a name.
     */
    private static String name(TestIdentifier test) {
        MethodSource method = test.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                .orElse(null);
        if (method == null) return test.getLegacyReportingName() + " (" + test.getUniqueId() + ")";
        String name = method.getClassName() + " > " + method.getMethodName() + "()";
        return test.getDisplayName().equals(method.getMethodName() + "()") ? name : name + " " + test.getDisplayName();
    }

    private synchronized void append(String event, String test) {
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        // One line per event; tabs and newlines in a display name would break the format.
        String line = millis + "\t" + event + "\t" + test.replaceAll("[\\t\\r\\n]", " ") + "\n";
        try {
            // SYNC: the VM may be killed at any moment, and what matters is the last line written.
            Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the VM tier's progress log " + log, e);
        }
    }

    /**
     * What a progress log says.
     *
     * @param ended how many tests ended
     * @param running the tests that started and did not end, with the guest's milliseconds at their start
     * @param lastEnded the last few tests that ended, newest last, with their status
     * @param lastMillis the guest's milliseconds at the last line
     */
    record Summary(int ended, Map<String, Long> running, List<String> lastEnded, long lastMillis) {
        /** @return a few lines for a failure message */
        String describe() {
            StringBuilder s = new StringBuilder();
            s.append(ended).append(" in-VM tests ended; ");
            if (running.isEmpty()) {
                s.append("none was running.");
            } else {
                s.append("started and never ended:");
                running.forEach((test, start) -> s.append("\n  ").append(test).append(" (started at ")
                        .append(start / 1000).append(" s, the last event at ").append(lastMillis / 1000).append(" s)"));
            }
            if (!lastEnded.isEmpty()) s.append("\nthe last that ended:\n  ").append(String.join("\n  ", lastEnded));
            return s.toString();
        }
    }

    /** Reads a progress log; a missing one means the guest JVM never started a test. */
    static Summary read(Path log) throws IOException {
        Map<String, Long> running = new LinkedHashMap<>();
        List<String> ended = new ArrayList<>();
        long lastMillis = 0;
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                String[] f = line.split("\t", 3);
                if (f.length != 3) continue; // a line cut short when the VM was killed
                lastMillis = Long.parseLong(f[0]);
                if (f[1].equals("start")) {
                    running.put(f[2], lastMillis);
                } else {
                    running.remove(f[2]);
                    ended.add(f[2] + ": " + f[1].substring("end ".length()));
                }
            }
        }
        List<String> last = ended.subList(Math.max(0, ended.size() - 3), ended.size());
        return new Summary(ended.size(), running, List.copyOf(last), lastMillis);
    }
}
