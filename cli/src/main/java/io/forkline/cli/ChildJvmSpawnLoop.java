package io.forkline.cli;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The loop of the {@code processbuilder-jvm} and {@code processbuilder+agent} engines of
 * {@code bench spawn}, run as a JVM of its own so that the agent is the only difference between
 * the two: the same JVM, the same options, the same class path, the same loop. It holds the
 * extra fds, warms up ({@link #WARMUP} spawns, for the JIT), then times n spawns of
 * ProcessBuilder with inherited stdio and waitFor from {@code concurrency} platform threads, as
 * the in-process processbuilder engine does, and prints its result as the C loop does
 * (elapsed_ns=..., latencies_ns=...).
 *
 * <p>Compiled for Java 17 apart from the rest of the CLI (the cli pom says how), and using
 * nothing of it, so that {@code bench spawn --java} can run it on any JDK the agent serves.
 *
 * <p>Usage: {@code ChildJvmSpawnLoop N CONCURRENCY PATH OPEN_FDS}
 */
public final class ChildJvmSpawnLoop {
    /** Warm-up spawns in each child JVM: a new JVM each run, so the JIT starts cold every time. */
    static final int WARMUP = 1500;

    private ChildJvmSpawnLoop() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int concurrency = Integer.parseInt(args[1]);
        String path = args[2];
        int openFds = Integer.parseInt(args[3]);
        List<FileChannel> held = new ArrayList<>();
        for (int i = 0; i < openFds; i++) held.add(FileChannel.open(Path.of("/dev/null")));
        ProcessBuilder builder = new ProcessBuilder(path).inheritIO();
        for (int i = 0; i < WARMUP; i++) builder.start().waitFor();

        long[] latencies = new long[n];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            Thread thread = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    for (int i; (i = next.getAndIncrement()) < n && failure.get() == null; ) {
                        long begin = System.nanoTime();
                        Process process = builder.start();
                        latencies[i] = System.nanoTime() - begin;
                        process.waitFor();
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-processbuilder-" + t);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        long begin = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) thread.join();
        long elapsed = System.nanoTime() - begin;
        if (failure.get() != null) throw failure.get();
        Arrays.sort(latencies);
        StringBuilder joined = new StringBuilder();
        for (long latency : latencies) {
            if (joined.length() > 0) joined.append(',');
            joined.append(latency);
        }
        System.out.printf(Locale.ROOT, "concurrency=%d elapsed_ns=%d agent_spawns=%s%nlatencies_ns=%s%n", concurrency,
                elapsed, System.getProperty("forkline.agent.spawns", "0"), joined);
        for (FileChannel channel : held) channel.close();
    }

    /**
     * @param java the JVM to run the loop in ({@code bench spawn --java}), or null for this one's
     * @return the command that runs this loop in a new JVM with these extra options
     */
    static List<String> command(String java, List<String> jvmOptions, int n, int concurrency, String path, int openFds) {
        List<String> command = new ArrayList<>();
        command.add(java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseSerialGC");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ChildJvmSpawnLoop.class.getName());
        command.addAll(List.of(Integer.toString(n), Integer.toString(concurrency), path, Integer.toString(openFds)));
        return command;
    }

    /** @return the options that put the agent in: -javaagent with the jar built beside the CLI */
    static List<String> agentOptions() {
        return List.of("--enable-native-access=ALL-UNNAMED", "-javaagent:" + agentJar());
    }

    /** The agent jar: {@code -Dforkline.agent.jar}, else agent/target/forkline-agent.jar of the build the CLI comes from. */
    static Path agentJar() {
        String configured = System.getProperty("forkline.agent.jar");
        Path jar;
        if (configured != null) {
            jar = Path.of(configured);
        } else {
            try {
                Path cliJar = Path.of(ChildJvmSpawnLoop.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                jar = cliJar.getParent().getParent().getParent().resolve("agent/target/forkline-agent.jar");
            } catch (java.net.URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot tell where the CLI runs from; set -Dforkline.agent.jar", e);
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no agent jar at " + jar + " (built by the project's build); set -Dforkline.agent.jar");
        }
        return jar;
    }
}
