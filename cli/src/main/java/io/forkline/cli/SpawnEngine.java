package io.forkline.cli;

import io.forkline.sys.shim.NativeTool;
import io.forkline.lab.Latencies;
import io.forkline.Child;
import io.forkline.Command;
import io.forkline.Launcher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** The engines of {@code bench spawn}: each spawns {@code path} and waits for it, n times. */
enum SpawnEngine {
    /** forkline's launcher: clone3 from the calling thread, reaped through the pidfd. */
    FORKLINE {
        @Override
        SpawnResult run(int concurrency, int n, int warmup, String path) throws Exception {
            try (Launcher launcher = Launcher.builder().name("bench").build()) {
                Command command = Command.of(path);
                return timeJava(this, concurrency, n, warmup, () -> {
                    long begin = System.nanoTime();
                    Child child = launcher.spawn(command);
                    long started = System.nanoTime() - begin;
                    child.waitFor();
                    return started;
                });
            }
        }
    },
    /** The JDK's ProcessBuilder in this JVM, with inherited stdio so that it creates no pipes. */
    PROCESSBUILDER {
        @Override
        SpawnResult run(int concurrency, int n, int warmup, String path) throws Exception {
            ProcessBuilder builder = new ProcessBuilder(path).inheritIO();
            return timeJava(this, concurrency, n, warmup, () -> {
                long begin = System.nanoTime();
                Process process = builder.start();
                long started = System.nanoTime() - begin;
                process.waitFor();
                return started;
            });
        }
    },
    /** The C reference: glibc posix_spawn + waitpid from pthreads (tools/spawnloop.c). */
    C {
        @Override
        SpawnResult run(int concurrency, int n, int warmup, String path) throws Exception {
            Path binary = NativeTool.extract("forkline-spawnloop");
            try {
                return runLoop(List.of(binary.toString(), String.valueOf(n), String.valueOf(concurrency),
                        String.valueOf(warmup), path, String.valueOf(openFds)));
            } finally {
                Files.deleteIfExists(binary);
            }
        }
    },
    /**
     * ProcessBuilder in a JVM of its own ({@link ChildJvmSpawnLoop}): the fair partner of
     * {@link #PROCESSBUILDER_AGENT}, from which it differs only by the agent.
     */
    PROCESSBUILDER_JVM {
        @Override
        SpawnResult run(int concurrency, int n, int warmup, String path) throws Exception {
            return runLoop(ChildJvmSpawnLoop.command(childJava, List.of(), n, concurrency, path, openFds));
        }

        @Override
        String cliName() {
            return "processbuilder-jvm";
        }
    },
    /** ProcessBuilder in a JVM of its own under the drop-in agent ({@code -javaagent:forkline-agent.jar}). */
    PROCESSBUILDER_AGENT {
        @Override
        SpawnResult run(int concurrency, int n, int warmup, String path) throws Exception {
            return runLoop(ChildJvmSpawnLoop.command(childJava, ChildJvmSpawnLoop.agentOptions(), n, concurrency, path, openFds));
        }

        @Override
        String cliName() {
            return "processbuilder+agent";
        }
    };

    /**
     * Runs a loop in a process of its own (the C loop, or a child JVM) and reads its result:
     * {@code elapsed_ns=...} and {@code latencies_ns=a,b,...} among whitespace-separated pairs.
     */
    SpawnResult runLoop(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out;
        try (InputStream stdout = process.getInputStream()) {
            out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        if (process.waitFor() != 0) throw new IOException(command.get(0) + " failed: " + out);
        Map<String, String> values = new HashMap<>();
        for (String pair : out.split("\\s+")) {
            String[] kv = pair.split("=", 2);
            if (kv.length == 2) values.put(kv[0], kv[1]);
        }
        if (!values.containsKey("elapsed_ns") || !values.containsKey("latencies_ns") || !values.containsKey("concurrency")) {
            throw new IOException(command.get(0) + " printed no result: " + out);
        }
        if (this == PROCESSBUILDER_AGENT && "0".equals(values.get("agent_spawns"))) {
            throw new IOException("the agent was not active in the processbuilder+agent JVM (see its stderr)");
        }
        long[] latencies = java.util.Arrays.stream(values.get("latencies_ns").split(","))
                .mapToLong(Long::parseLong).sorted().toArray();
        return SpawnResult.of(cliName(), Integer.parseInt(values.get("concurrency")), Long.parseLong(values.get("elapsed_ns")),
                latencies);
    }

    /** One spawn and wait; returns the nanoseconds until the spawn call returned. */
    @FunctionalInterface
    interface Iteration {
        long run() throws Exception;
    }

    abstract SpawnResult run(int concurrency, int n, int warmup, String path) throws Exception;

    /** Extra fds the C loop opens in its own process, to match what the CLI holds open in the JVM. */
    static volatile int openFds;

    /** The java the child-JVM engines run ({@code bench spawn --java}), or null for this JVM's. */
    static volatile String childJava;

    String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** @return whether each run is a JVM of its own ({@link ChildJvmSpawnLoop}) */
    boolean inChildJvm() {
        return this == PROCESSBUILDER_JVM || this == PROCESSBUILDER_AGENT;
    }

    /**
     * The Java engines' harness, the same for both: warm-up on the calling thread, then
     * {@code concurrency} platform threads start together and share a counter of n spawns.
     */
    static SpawnResult timeJava(SpawnEngine engine, int concurrency, int n, int warmup, Iteration iteration)
            throws Exception {
        for (int i = 0; i < warmup; i++) iteration.run();
        Latencies latencies = new Latencies(n);
        AtomicInteger remaining = new AtomicInteger(n);
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            threads.add(Thread.ofPlatform().name("bench-" + engine.cliName() + "-" + t).start(() -> {
                ready.countDown();
                try {
                    go.await();
                    while (remaining.getAndDecrement() > 0 && failure.get() == null) latencies.record(iteration.run());
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        ready.await();
        long begin = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) thread.join();
        long elapsed = System.nanoTime() - begin;
        if (failure.get() != null) throw failure.get();
        return SpawnResult.of(engine.cliName(), concurrency, elapsed, latencies.sorted());
    }

    /**
     * The most {@code --open-fds} that leaves room below the soft fd limit for the JVM's own fds
     * and the benchmark's pipes and pidfds.
     */
    static int openFdsAllowed() {
        long limit = 1024;
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            limit = os.getMaxFileDescriptorCount();
        }
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, limit - 512));
    }

    static SpawnEngine parse(String name) {
        for (SpawnEngine engine : values()) {
            if (engine.cliName().equals(name.trim().toLowerCase(java.util.Locale.ROOT))) return engine;
        }
        throw new picocli.CommandLine.TypeConversionException("unknown engine '" + name
                + "': use forkline, processbuilder, c, processbuilder-jvm or processbuilder+agent");
    }

    /** For {@code --engines}: the engine's name in lower case. */
    static final class Converter implements picocli.CommandLine.ITypeConverter<SpawnEngine> {
        @Override
        public SpawnEngine convert(String name) {
            return parse(name);
        }
    }
}
