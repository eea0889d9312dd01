package io.forkline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.Child;
import io.forkline.Exit;
import io.forkline.Launcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C, as SIGINT sent to the CLI process the test started: the first stops starting jobs and
 * waits for the running ones, the second kills them; afterwards no job and no cgroup is left.
 */
class ParallelSignalsTest {
    private static final int SIGINT = 2;
    private static final int SIGTERM = 15;

    /** A sleep of about this long whose command line no other process has: the test's jobs, found by it. */
    private static String uniqueSleep(int seconds) {
        return String.format(java.util.Locale.ROOT, "sleep %d.%06d", seconds, System.nanoTime() % 1_000_000);
    }

    /** Starts a run of sleeps that say when they start, and waits until two are running. */
    private static Child startRun(Launcher launcher, Path dir, String marker, List<String> extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("parallel", "-j", "2", "--joblog", dir + "/joblog"));
        args.addAll(extra);
        // Each job writes its number when it starts, then becomes the marked sleep.
        args.addAll(List.of("sh", "-c", "echo $1 >> " + dir + "/started; exec " + marker, "sh", ":::", "1", "2", "3", "4"));
        Child cli = CliHarness.start(launcher, List.of(), args, null, Map.of());
        for (int i = 0; i < 500 && startedJobs(dir) < 2; i++) Thread.sleep(20);
        assertThat(startedJobs(dir)).as("two jobs started").isEqualTo(2);
        return cli;
    }

    private static long startedJobs(Path dir) throws java.io.IOException {
        Path started = dir.resolve("started");
        return Files.exists(started) ? Files.readAllLines(started).size() : 0;
    }

    @Test
    void theFirstCtrlCStopsStartingJobsAndWaitsForTheRunningOnes(@TempDir Path dir) throws Exception {
        try (Launcher launcher = Launcher.create()) {
            Child cli = startRun(launcher, dir, uniqueSleep(2), List.of());
            cli.signal(SIGINT);
            Exit exit = cli.waitFor();
            assertThat(exit.statusCode()).as(exit.stderr().text()).isEqualTo(255);
            assertThat(exit.stderr().text()).contains("interrupted: starting no more jobs, waiting for the 2 running")
                    .contains("2 jobs: 2 succeeded, 0 failed").contains("stopped early: interrupted");
            assertThat(startedJobs(dir)).as("no job started after the Ctrl-C").isEqualTo(2);
            List<String> log = Files.readAllLines(dir.resolve("joblog"));
            assertThat(log).hasSize(3);
            assertThat(log.subList(1, 3)).allSatisfy(line -> assertThat(line.split("\t")[6]).as("they ran to the end").isEqualTo("0"));
        }
    }

    @Test
    void theSecondCtrlCKillsThemAndWithCgroupsNothingIsLeft(@TempDir Path dir) throws Exception {
        String root = "forkline-test-cli-signals-" + ProcessHandle.current().pid();
        // Long sleeps: a run that did not kill them would hold the test for a minute.
        String marker = uniqueSleep(60);
        try (Launcher launcher = Launcher.create()) {
            Child cli = startRun(launcher, dir, marker, List.of("--pids", "64", "--cgroup-root", root));
            long start = System.nanoTime();
            cli.signal(SIGINT);
            Thread.sleep(200);
            cli.signal(SIGINT);
            Exit exit = cli.waitFor();
            assertThat((System.nanoTime() - start) / 1_000_000).as("did not wait for the sleeps").isLessThan(10_000);
            assertThat(exit.statusCode()).as(exit.stderr().text()).isEqualTo(255);
            assertThat(exit.stderr().text()).contains("interrupted again: killing the 2 running jobs").contains("killed by signal 9 (interrupt)");
            List<String> log = Files.readAllLines(dir.resolve("joblog"));
            assertThat(log.subList(1, log.size())).hasSize(2).allSatisfy(line -> {
                String[] f = line.split("\t");
                assertThat(f[6]).isEqualTo("-1");
                assertThat(f[7]).isEqualTo("9");
            });
        }
        assertThat(processesWith(marker)).isEmpty();
        assertThat(leftoverCgroupRoots(root)).isEmpty();
    }

    @Test
    void sigtermKillsTheRunningJobsAtOnce(@TempDir Path dir) throws Exception {
        try (Launcher launcher = Launcher.create()) {
            String marker = uniqueSleep(60);
            Child cli = startRun(launcher, dir, marker, List.of());
            long start = System.nanoTime();
            cli.signal(SIGTERM);
            Exit exit = cli.waitFor();
            assertThat(exit.statusCode()).as(exit.stderr().text()).isEqualTo(255);
            assertThat((System.nanoTime() - start) / 1_000_000).as("did not wait for the 3 s sleeps").isLessThan(10_000);
            assertThat(processesWith(marker)).isEmpty();
        }
    }

    /** Processes whose command line holds the marker (the test's own jobs, by a name no one else uses). */
    static List<Long> processesWith(String marker) throws Exception {
        List<Long> found = new ArrayList<>();
        for (int attempt = 0; attempt < 50; attempt++) {
            found.clear();
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String cmdline = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                        String stat = Files.readString(p.resolve("stat"));
                        boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                        if (cmdline.strip().equals(marker) && !zombie) found.add(Long.parseLong(p.getFileName().toString()));
                    } catch (java.io.IOException gone) {
                        // exited while we looked
                    }
                }
            }
            if (found.isEmpty()) return found;
            Thread.sleep(20);
        }
        return found;
    }

    static List<Path> leftoverCgroupRoots(String root) {
        List<Path> left = new ArrayList<>();
        for (String h : List.of("unified", "pids", "cpu")) {
            Path p = Path.of("/sys/fs/cgroup", h, root);
            if (Files.exists(p)) left.add(p);
        }
        return left;
    }
}
