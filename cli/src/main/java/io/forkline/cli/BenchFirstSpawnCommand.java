package io.forkline.cli;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline bench first-spawn}: what the first spawn costs a fresh JVM, the case of a
 * short-lived tool that starts one child. Each measurement is a new JVM running
 * {@link FirstSpawnProbe}, forkline and the JDK's ProcessBuilder interleaved round by round; the
 * time is taken inside that JVM from main's first line to the child's exit, and the JVM's whole
 * run (start, probe, exit) is timed from outside as well.
 */
@picocli.CommandLine.Command(
        name = "first-spawn",
        mixinStandardHelpOptions = true,
        description = "The first spawn in a fresh JVM: forkline (Launcher.create, spawn, waitFor) and ProcessBuilder, "
                + "each timed inside a new JVM from main's first line to the child's exit.")
final class BenchFirstSpawnCommand implements Callable<Integer> {
    private static final List<String> ENGINES = List.of("forkline", "processbuilder");

    @Option(names = "--n", defaultValue = "15", description = "JVMs per engine, interleaved (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--json", description = "Print a JSON array of {engine, first_spawn_median_ms, first_spawn_min_ms, "
            + "first_spawn_max_ms, jvm_median_ms}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Errors.requireAtLeast(spec, "--n", n, 1);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, List<Double>> inside = new LinkedHashMap<>();
        Map<String, List<Double>> whole = new LinkedHashMap<>();
        ENGINES.forEach(e -> {
            inside.put(e, new ArrayList<>());
            whole.put(e, new ArrayList<>());
        });
        try (Launcher launcher = Launcher.create()) {
            for (int round = 0; round < n; round++) {
                for (String engine : ENGINES) {
                    List<String> command = List.of(java, BenchParallelCommand.NATIVE_ACCESS, "-cp",
                            System.getProperty("java.class.path"), FirstSpawnProbe.class.getName(), engine);
                    long start = System.nanoTime();
                    Exit exit = launcher.spawn(Command.of(command).stdout(Stdio.capture(4096)).stderr(Stdio.capture(1 << 16))
                            .timeout(Duration.ofMinutes(1))).waitFor();
                    double wallMs = (System.nanoTime() - start) / 1e6;
                    String out = exit.stdout().text().strip();
                    if (!exit.success() || !out.startsWith("first_spawn_ns=")) {
                        throw new IllegalStateException(engine + ": the JVM " + exit.describe() + ": " + out + exit.stderr().text());
                    }
                    inside.get(engine).add(Long.parseLong(out.substring("first_spawn_ns=".length())) / 1e6);
                    whole.get(engine).add(wallMs);
                }
            }
        }
        print(inside, whole);
        return 0;
    }

    private void print(Map<String, List<Double>> inside, Map<String, List<Double>> whole) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String engine : ENGINES) {
            List<Double> sorted = inside.get(engine).stream().sorted().toList();
            List<Double> jvm = whole.get(engine).stream().sorted().toList();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("engine", engine);
            row.put("first_spawn_median_ms", sorted.get(sorted.size() / 2));
            row.put("first_spawn_min_ms", sorted.getFirst());
            row.put("first_spawn_max_ms", sorted.getLast());
            row.put("jvm_median_ms", jvm.get(jvm.size() / 2));
            rows.add(row);
        }
        if (json) {
            System.out.println(Json.array(rows));
            return;
        }
        double jdk = (double) rows.get(1).get("first_spawn_median_ms");
        Table table = new Table("first spawn in a fresh JVM", "median ms", "min ms", "max ms", "vs processbuilder",
                "whole JVM, median ms");
        for (Map<String, Object> row : rows) {
            double median = (double) row.get("first_spawn_median_ms");
            table.row(row.get("engine"), format(median), format((double) row.get("first_spawn_min_ms")),
                    format((double) row.get("first_spawn_max_ms")), String.format(Locale.ROOT, "%.2f×", median / jdk),
                    format((double) row.get("jvm_median_ms")));
        }
        System.out.print(table);
    }

    private static String format(double ms) {
        return String.format(Locale.ROOT, "%.1f", ms);
    }
}
