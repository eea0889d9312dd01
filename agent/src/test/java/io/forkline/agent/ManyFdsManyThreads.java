package io.forkline.agent;

import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run as a child JVM by AgentControlTest: holds 10,000 extra fds, as a busy service holds
 * sockets, and spawns from platform and virtual threads at once. Every child must see only its
 * stdio (plus the fd ls opens to list them), whatever the parent holds and however many spawns
 * run together; afterwards the parent holds no fd more than before.
 */
public final class ManyFdsManyThreads {
    private ManyFdsManyThreads() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int spawnsPerThread = Integer.parseInt(args[1]);
        List<FileInputStream> held = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) held.add(new FileInputStream("/dev/null"));
        long fdsBefore = openFds();
        AtomicInteger good = new AtomicInteger();
        List<String> bad = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService platform = Executors.newFixedThreadPool(threads);
                ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                for (ExecutorService pool : List.of(platform, virtual)) {
                    work.add(pool.submit(() -> {
                        for (int i = 0; i < spawnsPerThread; i++) {
                            Process p = new ProcessBuilder("ls", "/proc/self/fd").start();
                            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                            int exit = p.waitFor();
                            if (exit == 0 && out.equals("0\n1\n2\n3\n")) good.incrementAndGet();
                            else bad.add("exit " + exit + ": " + out.replace('\n', ' '));
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : work) f.get();
        }
        System.out.println("good=" + good.get() + " bad=" + bad.size() + (bad.isEmpty() ? "" : " first: " + bad.get(0)));
        // The JDK closes a child's pipes on its reaper thread just after waitFor returns.
        for (int i = 0; i < 100 && openFds() > fdsBefore; i++) Thread.sleep(50);
        System.out.println("fds more than before: " + (openFds() - fdsBefore));
        for (FileInputStream in : held) in.close();
        SpawnOnce.printAgent();
    }

    private static long openFds() throws Exception {
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            return entries.count();
        }
    }
}
