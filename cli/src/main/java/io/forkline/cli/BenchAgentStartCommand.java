package io.forkline.cli;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline bench agent-start}: what the drop-in agent costs a JVM that never spawns, which
 * is most of the JVMs a {@code JAVA_TOOL_OPTIONS} reaches. An empty main runs in a JVM of its own
 * three ways, interleaved round by round: plain, with the forkline agent, and with an agent whose
 * premain does nothing (the price of {@code -javaagent} itself); each row is the median wall time
 * of {@code --n} starts, and the differences are what the agent adds.
 */
@picocli.CommandLine.Command(
        name = "agent-start",
        mixinStandardHelpOptions = true,
        description = "The start of a JVM that never spawns: plain, with the forkline agent, and with a do-nothing agent.")
final class BenchAgentStartCommand implements Callable<Integer> {
    private static final List<String> VARIANTS = List.of("plain", "forkline agent", "do-nothing agent");

    @Option(names = "--n", defaultValue = "15", description = "Starts per variant, interleaved (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--json", description = "Print a JSON array of {variant, median_ms, min_ms, max_ms}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Errors.requireAtLeast(spec, "--n", n, 1);
        Path agentJar = ChildJvmSpawnLoop.agentJar();
        Path work = Files.createTempDirectory("forkline-agent-start-");
        try {
            Path classes = Files.createDirectories(work.resolve("classes"));
            Files.write(classes.resolve("Hello.class"), emptyMain());
            Path noop = work.resolve("do-nothing-agent.jar");
            writeDoNothingAgent(noop);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Map<String, List<String>> options = new LinkedHashMap<>();
            options.put(VARIANTS.get(0), List.of());
            options.put(VARIANTS.get(1), List.of("--enable-native-access=ALL-UNNAMED", "-javaagent:" + agentJar));
            options.put(VARIANTS.get(2), List.of("-javaagent:" + noop));
            Map<String, List<Double>> times = new LinkedHashMap<>();
            VARIANTS.forEach(v -> times.put(v, new ArrayList<>()));
            try (Launcher launcher = Launcher.create()) {
                for (int round = 0; round < n; round++) {
                    for (String variant : VARIANTS) {
                        List<String> command = new ArrayList<>(List.of(java));
                        command.addAll(options.get(variant));
                        command.addAll(List.of("-cp", classes.toString(), "Hello"));
                        long start = System.nanoTime();
                        Exit exit = launcher.spawn(Command.of(command).stdout(Stdio.capture(4096)).stderr(Stdio.capture(1 << 16))
                                .timeout(Duration.ofMinutes(1))).waitFor();
                        double ms = (System.nanoTime() - start) / 1e6;
                        if (!exit.success() || !exit.stderr().text().isEmpty()) {
                            throw new IllegalStateException(variant + ": the JVM " + exit.describe() + ": " + exit.stderr().text());
                        }
                        times.get(variant).add(ms);
                    }
                }
            }
            print(times);
        } finally {
            try (var walk = Files.walk(work)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
        return 0;
    }

    private void print(Map<String, List<Double>> times) {
        List<Map<String, Object>> rows = new ArrayList<>();
        times.forEach((variant, list) -> {
            List<Double> sorted = list.stream().sorted().toList();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("variant", variant);
            row.put("median_ms", sorted.get(sorted.size() / 2));
            row.put("min_ms", sorted.getFirst());
            row.put("max_ms", sorted.getLast());
            rows.add(row);
        });
        if (json) {
            System.out.println(Json.array(rows));
            return;
        }
        double plain = (double) rows.get(0).get("median_ms");
        double noop = (double) rows.get(2).get("median_ms");
        Table table = new Table("JVM start", "median ms", "min ms", "max ms", "vs plain", "vs do-nothing agent");
        for (Map<String, Object> row : rows) {
            double median = (double) row.get("median_ms");
            table.row(row.get("variant"), format(median), format((double) row.get("min_ms")), format((double) row.get("max_ms")),
                    String.format(Locale.ROOT, "%+.0f ms", median - plain), String.format(Locale.ROOT, "%+.0f ms", median - noop));
        }
        System.out.print(table);
    }

    private static String format(double ms) {
        return String.format(Locale.ROOT, "%.0f", ms);
    }

    /** {@code public class Hello { public static void main(String[] args) {} }} */
    private static byte[] emptyMain() {
        return ClassFile.of().build(ClassDesc.of("Hello"), type -> type.withFlags(ClassFile.ACC_PUBLIC)
                .withMethodBody("main", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_String.arrayType()),
                        ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> code.return_()));
    }

    /** A jar whose Premain-Class has a premain that returns at once. */
    private static void writeDoNothingAgent(Path jar) throws IOException {
        byte[] agent = ClassFile.of().build(ClassDesc.of("DoNothingAgent"), type -> type.withFlags(ClassFile.ACC_PUBLIC)
                .withMethodBody("premain", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_String,
                                ClassDesc.of("java.lang.instrument.Instrumentation")),
                        ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> code.return_()));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), "DoNothingAgent");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.putNextEntry(new JarEntry("DoNothingAgent.class"));
            out.write(agent);
            out.closeEntry();
        }
    }
}
