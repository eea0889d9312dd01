package io.forkline.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs a short JMH configuration of every primitive against its baselines, in process through the
 * JMH Runner API, and reports one row per primitive, implementation and thread count. Each row's
 * {@code baseline_ratio} divides its throughput by the best baseline's at the same thread count, so
 * a ratio above 1 is a win over the strongest baseline, not the weakest.
 *
 * <p>Ratios are measured side by side in one run because this machine is noisy; absolute numbers
 * from a short run are indicative only. The full run is {@code java -jar bench/target/benchmarks.jar}
 * (see the README).
 */
public final class PrimitivesReport {

    /** Thread counts measured; above the machine's processors they are labelled oversubscribed. */
    static final int[] THREADS = {1, 2, 4, 8};

    /** The baselines, by implementation name. */
    static final Set<String> BASELINES = Set.of(
            "ReentrantReadWriteLock", "ReentrantLock", "StampedLock", "LockedCyclicIdAllocator",
            "LockedOnDemandPool");

    /**
     * One measured row.
     *
     * @param primitive the primitive and its workload
     * @param impl the implementation measured
     * @param threads benchmark threads
     * @param opsPerSec throughput in operations per second
     * @param baselineRatio throughput divided by the best baseline's at the same thread count; NaN
     *     where there is no baseline (the uncontended XorLock row)
     */
    public record Row(String primitive, String impl, int threads, double opsPerSec, double baselineRatio) {}

    private PrimitivesReport() {}

    /**
     * Runs the short configuration, a few minutes in all.
     *
     * @param progress where to say what is running
     * @return the rows, grouped by primitive
     * @throws RunnerException if JMH fails
     */
    public static List<Row> run(PrintStream progress) throws RunnerException {
        List<Row> measured = new ArrayList<>();
        progress.println("forkline bench primitives: short JMH run (forks 1, 1 x 0.5 s warmup, 2 x 0.5 s measurement)");
        progress.println("  load average before: " + loadAverage()
                + " (other work on this machine skews ratios; rerun when it is idle)");
        progress.println("  XorLock uncontended acquire+release, 1 thread");
        OutputFormat jmhOutput = OutputFormatFactory.createFormatInstance(progress, VerboseMode.SILENT);
        Options uncontended = shortRun(1).include(XorLockUncontendedBenchmark.class.getName()).build();
        for (RunResult result : new Runner(uncontended, jmhOutput).run()) {
            double nanos = result.getPrimaryResult().getScore();
            measured.add(new Row("XorLock uncontended acquire+release", "XorLock", 1, 1e9 / nanos, Double.NaN));
        }
        String contended = String.join("|",
                XorLockBenchmark.class.getName(), RwLockBenchmark.class.getName(),
                IdAllocatorBenchmark.class.getName(), PoolBenchmark.class.getName());
        for (int threads : THREADS) {
            progress.println("  all primitives, " + threads + " thread(s)"
                    + (threads > Runtime.getRuntime().availableProcessors() ? " (oversubscribed)" : ""));
            Options options = shortRun(threads).include("(" + contended + ")\\.").build();
            for (RunResult result : new Runner(options, jmhOutput).run()) {
                measured.add(new Row(primitiveOf(result), result.getParams().getParam("impl"), threads,
                        result.getPrimaryResult().getScore(), Double.NaN));
            }
        }
        progress.println("  load average after: " + loadAverage());
        return withRatios(measured);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static ChainedOptionsBuilder shortRun(int threads) {
        return new OptionsBuilder()
                .forks(1)
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(2)
                .measurementTime(TimeValue.milliseconds(500))
                .threads(threads)
                // JDK 25 warns on stderr about JMH's use of sun.misc.Unsafe; JMH copies a fork's stderr
                // into its output, and it must not end up in the middle of the JSON.
                .jvmArgsAppend("--sun-misc-unsafe-memory-access=allow")
                .verbosity(VerboseMode.SILENT);
    }

    private static String primitiveOf(RunResult result) {
        String benchmark = result.getParams().getBenchmark();
        if (benchmark.contains("XorLockBenchmark")) {
            return "XorLock fork:open 100:1";
        }
        if (benchmark.contains("RwLockBenchmark")) {
            return "RwLock reads:writes " + result.getParams().getParam("readsPerWrite") + ":1";
        }
        if (benchmark.contains("IdAllocatorBenchmark")) {
            return "IdAllocator alloc+lookup+free";
        }
        return "Pool acquire+release, 50us create";
    }

    static List<Row> withRatios(List<Row> measured) {
        Map<String, Double> bestBaseline = new LinkedHashMap<>();
        for (Row row : measured) {
            if (BASELINES.contains(row.impl())) {
                bestBaseline.merge(row.primitive() + "@" + row.threads(), row.opsPerSec(), Math::max);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Row row : measured) {
            Double baseline = bestBaseline.get(row.primitive() + "@" + row.threads());
            rows.add(new Row(row.primitive(), row.impl(), row.threads(), row.opsPerSec(),
                    baseline == null ? Double.NaN : row.opsPerSec() / baseline));
        }
        return rows;
    }

    /**
     * The rows as a human-readable table.
     *
     * @param rows the rows
     * @return the table, one line per row
     */
    public static String toTable(List<Row> rows) {
        int cpus = Runtime.getRuntime().availableProcessors();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-36s %-24s %-20s %14s %9s%n",
                "primitive", "impl", "threads", "ops/s", "vs best baseline"));
        for (Row row : rows) {
            String threads = row.threads() + (row.threads() > cpus ? " (oversubscribed)" : "");
            String ratio = Double.isNaN(row.baselineRatio()) ? "-"
                    : String.format(Locale.ROOT, "%.2fx", row.baselineRatio());
            out.append(String.format(Locale.ROOT, "%-36s %-24s %-20s %14.0f %9s%n",
                    row.primitive(), row.impl(), threads, row.opsPerSec(), ratio));
        }
        return out.toString();
    }

    /**
     * The rows as a JSON array of objects with the keys {@code primitive}, {@code impl}, {@code
     * threads}, {@code ops_per_sec} and {@code baseline_ratio} ({@code null} where there is no
     * baseline).
     *
     * @param rows the rows
     * @return the JSON text
     */
    public static String toJson(List<Row> rows) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            out.append(i == 0 ? "\n  {" : ",\n  {")
                    .append("\"primitive\": ").append(jsonString(row.primitive()))
                    .append(", \"impl\": ").append(jsonString(row.impl()))
                    .append(", \"threads\": ").append(row.threads())
                    .append(", \"ops_per_sec\": ").append(jsonNumber(row.opsPerSec()))
                    .append(", \"baseline_ratio\": ").append(jsonNumber(row.baselineRatio()))
                    .append('}');
        }
        return out.append(rows.isEmpty() ? "]" : "\n]").toString();
    }

    private static String jsonNumber(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "null"; // JSON has no NaN
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }

    static String jsonString(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * Runs the report from the bench jar: {@code java -cp ... io.forkline.bench.PrimitivesReport
     * [--json]}.
     *
     * @param args {@code --json} for JSON output
     * @throws RunnerException if JMH fails
     */
    public static void main(String[] args) throws RunnerException {
        List<Row> rows = run(System.err);
        System.out.println(List.of(args).contains("--json") ? toJson(rows) : toTable(rows));
    }
}
