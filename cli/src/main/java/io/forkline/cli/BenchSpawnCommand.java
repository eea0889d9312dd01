package io.forkline.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline bench spawn}: spawn /bin/true and wait for it, n times per engine and
 * concurrency, with every engine run at one concurrency before the next, so that the machine's
 * noise falls on all of them alike.
 */
@Command(
        name = "spawn",
        mixinStandardHelpOptions = true,
        description = {
            "Spawns /bin/true and waits for it, n times per engine at each concurrency: forkline, the JDK's "
                    + "ProcessBuilder (same JVM, inherited stdio) and a C posix_spawn+waitpid loop (the default); "
                    + "also processbuilder-jvm and processbuilder+agent: ProcessBuilder in a JVM of its own, without and "
                    + "with the drop-in agent, each warming itself up with 1500 spawns.",
            "Reports spawns/s, the time until the spawn call returned (p50, p99, max) and ratios to c and "
                    + "processbuilder. Warm-up is excluded: --warmup spawns per engine first, then min(n/10/rounds, 200) "
                    + "before each run."
        })
final class BenchSpawnCommand implements Callable<Integer> {
    @Option(names = "--n", defaultValue = "3000", description = "Timed spawns per engine and concurrency (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,2,50", description = "Concurrency levels (default ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--engines", split = ",", defaultValue = "forkline,processbuilder,c", converter = SpawnEngine.Converter.class,
            description = "Engines to run (default ${DEFAULT-VALUE}).")
    List<SpawnEngine> engines;

    @Option(names = "--path", defaultValue = "/bin/true", description = "The program to spawn (default ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--warmup", defaultValue = "5000",
            description = "Untimed spawns per engine before its first timed run, so that the JVM engines are measured "
                    + "after JIT compilation, as a long-running service would run them (default ${DEFAULT-VALUE}).")
    int engineWarmup;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Each engine's n spawns at a concurrency are split into this many runs, interleaved with the "
                    + "other engines' and pooled, so that a burst of load on the machine hits every engine alike "
                    + "(default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--open-fds", defaultValue = "0",
            description = "Hold this many extra fds open while measuring, in this JVM and in the C loop's process, "
                    + "as a busy service holds sockets: spawn cost then depends on how the fd table is handled "
                    + "(default ${DEFAULT-VALUE}).")
    int openFds;

    @Option(names = "--java",
            description = "The java that processbuilder-jvm and processbuilder+agent run in, for another JDK the agent "
                    + "serves (17, 21, 25), such as /usr/lib/jvm/java-17-openjdk-amd64/bin/java (default: this JVM's).")
    Path childJava;

    @Option(names = "--json", description = "Print a JSON array of {engine, concurrency, n, spawns_per_sec, start_p50_us, start_p99_us, start_max_us}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Errors.requireAtLeast(spec, "--n", n, 1);
        Errors.requireAllAtLeast(spec, "--concurrency", concurrency, 1);
        Errors.requireRange(spec, "--rounds", rounds, 1, n);
        Errors.requireAtLeast(spec, "--warmup", engineWarmup, 0);
        Errors.requireRange(spec, "--open-fds", openFds, 0, SpawnEngine.openFdsAllowed());
        if (childJava != null && (!Files.isRegularFile(childJava) || !Files.isExecutable(childJava))) {
            throw Errors.usage(spec, "--java must name an executable java, got '" + childJava + "'");
        }
        SpawnEngine.childJava = childJava == null ? null : childJava.toString();
        Path program = Path.of(path);
        if (!Files.isRegularFile(program) || !Files.isExecutable(program)) {
            throw Errors.usage(spec, "--path must name an executable file (the C loop does not search PATH), got '" + path + "'");
        }
        List<SpawnEngine> chosen = List.copyOf(new java.util.LinkedHashSet<>(engines));
        int warmup = Math.min(n / 10 / rounds, 200);
        List<java.nio.channels.FileChannel> held = new ArrayList<>();
        try {
            for (int i = 0; i < openFds; i++) held.add(java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")));
            SpawnEngine.openFds = openFds;
            return measure(chosen, warmup);
        } finally {
            for (java.nio.channels.FileChannel channel : held) channel.close();
        }
    }

    private int measure(List<SpawnEngine> chosen, int warmup) throws Exception {
        java.util.Map<String, List<SpawnResult>> runs = new java.util.LinkedHashMap<>();
        for (SpawnEngine engine : chosen) {
            if (engineWarmup <= 0) break;
            if (engine.inChildJvm()) continue; // a JVM of its own per run, which warms itself up
            if (!json) System.err.printf(Locale.ROOT, "warming up %s (%d spawns)...%n", engine.cliName(), engineWarmup);
            engine.run(1, engineWarmup, 0, path);
        }
        for (int round = 0; round < rounds; round++) {
            int share = n / rounds + (round < n % rounds ? 1 : 0);
            for (int c : concurrency) {
                for (SpawnEngine engine : chosen) {
                    if (!json) System.err.printf(Locale.ROOT, "round %d: %s at concurrency %d...%n", round + 1, engine.cliName(), c);
                    runs.computeIfAbsent(engine.cliName() + "@" + c, k -> new ArrayList<>()).add(engine.run(c, share, warmup, path));
                }
            }
        }
        List<SpawnResult> results = runs.values().stream().map(SpawnResult::pool).toList();
        System.out.println(json ? Json.array(results.stream().map(SpawnResult::json).toList()) : table(results));
        return 0;
    }

    static String table(List<SpawnResult> results) {
        // The agent's fair partner is ProcessBuilder in a JVM of its own; its column only when it ran.
        boolean childJvms = results.stream().anyMatch(r -> r.engine().equals("processbuilder-jvm"));
        List<String> headers = new ArrayList<>(List.of("engine", "concurrency", "n", "spawns/s", "start p50 us", "start p99 us",
                "start max us", "vs c", "vs processbuilder"));
        if (childJvms) headers.add("vs processbuilder-jvm");
        Table table = new Table(headers.toArray(String[]::new));
        for (SpawnResult r : results) {
            List<Object> row = new ArrayList<>(List.of(r.engine(), r.concurrency(), r.n(),
                    String.format(Locale.ROOT, "%.0f", r.spawnsPerSecond()), micros(r.p50Nanos()), micros(r.p99Nanos()),
                    micros(r.maxNanos()), ratio(r, results, "c"), ratio(r, results, "processbuilder")));
            if (childJvms) row.add(ratio(r, results, "processbuilder-jvm"));
            table.row(row.toArray());
        }
        return table.toString();
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.0f", nanos / 1000.0);
    }

    private static String ratio(SpawnResult r, List<SpawnResult> all, String reference) {
        return all.stream()
                .filter(o -> o.engine().equals(reference) && o.concurrency() == r.concurrency())
                .findFirst()
                .map(o -> String.format(Locale.ROOT, "%.2fx", r.spawnsPerSecond() / o.spawnsPerSecond()))
                .orElse("-");
    }
}
