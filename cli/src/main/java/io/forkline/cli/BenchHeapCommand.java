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
 * {@code forkline bench heap}: the forkline spawn rate in a JVM with 256 MB of touched heap
 * against one with 6 GB. With CLONE_VM nothing of the parent's address space is copied, so the
 * rates should match; a fork-based launcher would copy 6 GB of page tables per spawn.
 * Each size runs in its own child JVM (the CLI's own heap limit is too small), alternating,
 * {@code --rounds} times each.
 */
@picocli.CommandLine.Command(
        name = "heap",
        mixinStandardHelpOptions = true,
        description = "forkline spawn rate with 256 MB vs 6 GB of touched heap, each in its own JVM.")
final class BenchHeapCommand implements Callable<Integer> {
    @Option(names = "--n", defaultValue = "2000", description = "Timed spawns per run (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--rounds", defaultValue = "2", description = "Runs per heap size, alternating (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--heaps", split = ",", defaultValue = "256,6144",
            description = "Heap sizes in MB, each at most this host's memory (default ${DEFAULT-VALUE}).")
    List<Integer> heaps;

    @Option(names = "--json", description = "Print a JSON array of {heap_mb, spawns_per_sec}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Errors.requireAtLeast(spec, "--n", n, 1);
        Errors.requireAtLeast(spec, "--rounds", rounds, 1);
        long memoryMb = HeapProbeCommand.physicalMemoryMb();
        for (int heapMb : heaps) {
            if (heapMb < 1 || heapMb > memoryMb) {
                throw Errors.usage(spec, "--heaps values must be 1 to " + memoryMb + " (MB of this host's memory), got " + heapMb
                        + " in '" + Errors.given(spec, "--heaps") + "'");
            }
        }
        Map<Integer, List<Double>> rates = new LinkedHashMap<>();
        heaps.forEach(h -> rates.put(h, new ArrayList<>()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (Launcher launcher = Launcher.create()) {
            for (int round = 0; round < rounds; round++) {
                for (int heapMb : heaps) {
                    if (!json) System.err.printf(Locale.ROOT, "round %d: %d MB heap...%n", round + 1, heapMb);
                    Exit exit = launcher.spawn(Command.of(java, "-Xmx" + (heapMb * 5 / 4 + 1024) + "m",
                                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                                    Main.class.getName(), "bench", "heap-probe", "--heap-mb", String.valueOf(heapMb),
                                    "--n", String.valueOf(n))
                            .stdout(Stdio.capture(4096)).stderr(Stdio.capture(1 << 16)).timeout(Duration.ofMinutes(10)))
                            .waitFor();
                    String out = exit.stdout().text().trim();
                    if (!exit.success()) {
                        throw new IllegalStateException("heap probe (" + heapMb + " MB) " + exit.describe() + ": " + out + exit.stderr().text());
                    }
                    for (String pair : out.split("\\s+")) {
                        if (pair.startsWith("spawns_per_sec=")) rates.get(heapMb).add(Double.parseDouble(pair.substring(15)));
                    }
                }
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        rates.forEach((heapMb, list) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("heap_mb", heapMb);
            row.put("spawns_per_sec", list.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
            rows.add(row);
        });
        if (json) {
            System.out.println(Json.array(rows));
        } else {
            Table table = new Table("heap MB", "spawns/s", "ratio to first");
            double first = (double) rows.getFirst().get("spawns_per_sec");
            for (Map<String, Object> row : rows) {
                double rate = (double) row.get("spawns_per_sec");
                table.row(row.get("heap_mb"), String.format(Locale.ROOT, "%.0f", rate), String.format(Locale.ROOT, "%.3f", rate / first));
            }
            System.out.print(table);
        }
        return 0;
    }
}
