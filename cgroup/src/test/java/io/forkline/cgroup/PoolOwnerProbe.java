package io.forkline.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM that owns a pool in a test's tree: it acquires a group, starts {@code sleep 1000}
 * in it, prints {@code ready <group> <pid>} and waits to be killed, as a launcher that crashes
 * with jobs running. It gives up by itself after five minutes, so it never outlives a broken test
 * for long.
 */
final class PoolOwnerProbe {
    private PoolOwnerProbe() {}

    public static void main(String[] args) throws Exception {
        CgroupRoot root = CgroupRoot.forThisHost(args[0]);
        CgroupPool pool = CgroupPool.builder(root).capacity(2).build();
        Cgroup group = pool.acquire();
        TestChild sleeper = TestChild.spawn(group, "/bin/sleep", "sleep", "1000");
        System.out.println("ready " + group.name() + " " + sleeper.pid);
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5));
        sleeper.close();
        pool.release(group);
        pool.close();
        root.close();
    }

    /** The probe as a child process of the test's JVM. */
    static final class Handle implements AutoCloseable {
        final Process process;
        final String group;
        final int sleeperPid;

        private Handle(Process process, String group, int sleeperPid) {
            this.process = process;
            this.group = group;
            this.sleeperPid = sleeperPid;
        }

        static Handle start(String treeName) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                            "-cp", System.getProperty("java.class.path"), PoolOwnerProbe.class.getName(), treeName))
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            p.getOutputStream().close();
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
            if (line == null || !line.startsWith("ready ")) {
                p.destroyForcibly();
                throw new AssertionError("the probe did not start: " + line);
            }
            String[] parts = line.split(" ");
            return new Handle(p, parts[1], Integer.parseInt(parts[2]));
        }

        /** SIGKILL to the probe JVM (the process this test started, by the handle it holds), and wait for it. */
        void crash() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the probe JVM did not die");
        }

        @Override
        public void close() {
            if (!process.isAlive()) return;
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
