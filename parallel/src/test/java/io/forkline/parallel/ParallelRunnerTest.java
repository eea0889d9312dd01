package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner against real processes, and for limits real cgroups, on whatever layout the host has. */
class ParallelRunnerTest {
    /** The per-job cgroups of these tests live in a subtree of their own, removed by each run. */
    static final String CGROUP_ROOT = "forkline-test-parallel-" + ProcessHandle.current().pid();

    /** What a run printed and said. */
    record Ran(RunSummary summary, String stdout, String stderr, List<JobResult> jobs) {}

    static Ran run(ParallelRunner.Builder builder) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<JobResult> jobs = new ArrayList<>();
        RunSummary summary = builder.outputStreams(out, err).cgroupRoot(CGROUP_ROOT).listener(new RunListener() {
            @Override
            public void jobFinished(JobResult job) {
                jobs.add(job);
            }
        }).build().run();
        return new Ran(summary, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), jobs);
    }

    static ParallelRunner.Builder jobs(List<String> command, List<String> values) throws JobSpecException {
        return ParallelRunner.builder(CommandTemplate.parse(command, 1, false)).inputs(List.of(InputSource.arguments(values)));
    }

    static List<String> sh(String script) {
        return List.of("sh", "-c", script, "sh");
    }

    @Test
    void groupedOutputNeverInterleavesAndKeepOrderPrintsInInputOrder() throws Exception {
        List<String> values = List.of("d", "c", "b", "a");
        // Later inputs finish first; each job writes its lines slowly, so that jobs overlap.
        String script = "case $1 in d) sleep 0.3;; c) sleep 0.2;; b) sleep 0.1;; esac; for i in 1 2 3 4 5; do echo $1$i; sleep 0.01; done; echo err$1 >&2";
        Ran grouped = run(jobs(sh(script), values).jobs(4));
        List<String> lines = grouped.stdout().lines().toList();
        assertThat(lines).hasSize(20);
        for (int job = 0; job < 4; job++) {
            assertThat(lines.subList(job * 5, job * 5 + 5).stream().map(l -> l.substring(0, 1)).distinct()).as("one job's lines together").hasSize(1);
        }
        assertThat(lines.get(0)).as("without -k the first to finish prints first").isEqualTo("a1");
        assertThat(grouped.stderr().lines()).containsExactlyInAnyOrder("errd", "errc", "errb", "erra");

        Ran ordered = run(jobs(sh(script), values).jobs(4).keepOrder(true));
        assertThat(ordered.stdout().lines().map(l -> l.substring(0, 1)).distinct().toList()).containsExactly("d", "c", "b", "a");
        Ran orderedLines = run(jobs(sh(script), values).jobs(4).keepOrder(true).output(OutputMode.LINES));
        assertThat(orderedLines.stdout().lines().map(l -> l.substring(0, 1)).distinct().toList()).containsExactly("d", "c", "b", "a");
        assertThat(orderedLines.stdout().lines().toList()).hasSize(20);
    }

    @Test
    void linesComeWholeAndTaggedWithTheInput() throws Exception {
        Ran ran = run(jobs(sh("printf 'one\\ntwo'; sleep 0.05; printf ' halves\\n'"), List.of("x", "y")).jobs(2).output(OutputMode.LINES).tag(true));
        assertThat(ran.stdout().lines().toList()).containsExactlyInAnyOrder("x\tone", "x\ttwo halves", "y\tone", "y\ttwo halves");
    }

    @Test
    void noneDiscardsAndTheJoblogCountsStdoutBytes(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log");
        Ran ran = run(jobs(List.of("echo", "hello"), List.of("1")).output(OutputMode.NONE).joblog(log, false));
        assertThat(ran.stdout()).isEmpty();
        Ran grouped = run(jobs(List.of("echo", "hello"), List.of("1")).joblog(log, false));
        assertThat(grouped.stdout()).isEqualTo("hello 1\n");
        assertThat(Files.readAllLines(log).get(1).split("\t")[5]).isEqualTo("8");
    }

    @Test
    void aTimeoutEndsTheJobsWholeProcessGroupAndIsRecorded() throws Exception {
        Ran ran = run(jobs(sh("sleep 1000 & echo $!; sleep 1000"), List.of("1", "2"))
                .jobs(2).timeout(Duration.ofMillis(300)).killGrace(Duration.ofMillis(200)));
        assertThat(ran.summary().timedOut()).isEqualTo(2);
        assertThat(ran.summary().failed()).isEqualTo(2);
        for (JobResult job : ran.jobs()) {
            assertThat(job.killedBy()).isEqualTo("timeout");
            assertThat(job.joblogExitval()).isEqualTo(-1);
            assertThat(job.signal()).isEqualTo(15);
        }
        for (String pid : ran.stdout().lines().toList()) assertThat(gone(Long.parseLong(pid))).as("grandchild %s", pid).isTrue();
    }

    /** Dead, or a zombie that init reaps in a moment. */
    static boolean gone(long pid) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) return true;
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) return true;
            } catch (java.io.IOException e) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Test
    void aFailingJobIsTriedAgainUpToItsTries(@TempDir Path dir) throws Exception {
        String script = "n=$(cat " + dir + "/count-$1 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + dir + "/count-$1; [ $n -ge 3 ]";
        Ran enough = run(jobs(sh(script), List.of("a")).tries(3));
        assertThat(enough.summary().succeeded()).isEqualTo(1);
        assertThat(enough.summary().retries()).isEqualTo(2);
        assertThat(enough.jobs().get(0).tries()).isEqualTo(3);
        Ran tooFew = run(jobs(sh(script), List.of("b")).tries(2));
        assertThat(tooFew.summary().failed()).isEqualTo(1);
        assertThat(tooFew.summary().exitStatus()).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("count-b")).strip()).isEqualTo("2");
    }

    @Test
    void haltNowKillsTheRunningJobsAndExitsWithTheFailingJobsStatus() throws Exception {
        Ran ran = run(jobs(sh("sleep $1; exit 3"), List.of("0.1", "30", "30", "30")).jobs(2).halt(HaltPolicy.parse("now,fail=1")));
        assertThat(ran.summary().halted()).isTrue();
        assertThat(ran.summary().exitStatus()).isEqualTo(3);
        assertThat(ran.summary().finished()).as("the failing job and the one it killed; the rest never started").isEqualTo(2);
        assertThat(ran.jobs()).filteredOn(j -> j.seq() == 2).singleElement().satisfies(j -> {
            assertThat(j.killedBy()).startsWith("halt");
            assertThat(j.signal()).isEqualTo(9);
        });
    }

    @Test
    void haltSoonLetsTheRunningJobsFinish() throws Exception {
        Ran ran = run(jobs(sh("sleep $1; [ $1 != 0.1 ]"), List.of("0.1", "0.5", "30")).jobs(2).halt(HaltPolicy.parse("soon,fail=1")));
        assertThat(ran.summary().finished()).isEqualTo(2);
        assertThat(ran.summary().succeeded()).as("the running job finished").isEqualTo(1);
        assertThat(ran.summary().stopReason()).isEqualTo("halt soon,fail=1");
        Ran success = run(jobs(sh("exit 0"), List.of("1", "2", "3")).jobs(1).halt(HaltPolicy.parse("soon,success=1")));
        assertThat(success.summary().finished()).isEqualTo(1);
        assertThat(success.summary().exitStatus()).isZero();
    }

    @Test
    void exitStatusIsTheNumberOfFailedJobsUpTo101() throws Exception {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 120; i++) values.add(Integer.toString(i));
        assertThat(run(jobs(List.of("false"), values.subList(0, 3)).jobs(2)).summary().exitStatus()).isEqualTo(3);
        assertThat(run(jobs(List.of("false"), values).jobs(2)).summary().exitStatus()).isEqualTo(101);
        assertThat(run(jobs(List.of("true"), values).jobs(2)).summary().exitStatus()).isZero();
    }

    @Test
    void aCommandThatCannotStartFailsThatJobWithTheErrnoAndTheOthersRun(@TempDir Path dir) throws Exception {
        ParallelRunner.Builder b = ParallelRunner.builder(CommandTemplate.parse(List.of("{}"), 1, false))
                .inputs(List.of(InputSource.arguments(List.of("/no/such/program", "true", dir.toString(), "gzip -k"))));
        Ran ran = run(b.jobs(2));
        assertThat(ran.summary().succeeded()).isEqualTo(1);
        assertThat(ran.summary().failed()).isEqualTo(3);
        JobResult missing = ran.jobs().stream().filter(j -> j.seq() == 1).findFirst().orElseThrow();
        assertThat(missing.startFailure()).contains("execve").contains("ENOENT").contains("/no/such/program");
        assertThat(missing.joblogExitval()).isEqualTo(127);
        JobResult directory = ran.jobs().stream().filter(j -> j.seq() == 3).findFirst().orElseThrow();
        assertThat(directory.startFailure()).contains("EACCES");
        assertThat(directory.joblogExitval()).isEqualTo(126);
        JobResult spaced = ran.jobs().stream().filter(j -> j.seq() == 4).findFirst().orElseThrow();
        assertThat(spaced.startFailure()).contains("use --shell");
    }

    @Test
    void resumeSkipsWhatTheJoblogHasAndResumeFailedRunsTheFailedAgain(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("joblog");
        List<String> script = sh("echo $1 >> " + dir + "/ran; [ $1 != 2 ] || [ -e " + dir + "/fixed ]");
        List<String> values = List.of("1", "2", "3");
        Ran first = run(jobs(script, values).joblog(log, false));
        assertThat(first.summary().failed()).isEqualTo(1);
        assertThat(run(jobs(script, values).joblog(log, false).resume(ParallelRunner.Resume.ALL)).summary().skipped()).isEqualTo(3);
        assertThat(Files.readAllLines(dir.resolve("ran"))).hasSize(3);
        Files.createFile(dir.resolve("fixed"));
        Ran again = run(jobs(script, values).joblog(log, false).resume(ParallelRunner.Resume.FAILED));
        assertThat(again.summary().finished()).isEqualTo(1);
        assertThat(again.summary().skipped()).isEqualTo(2);
        assertThat(Files.readAllLines(dir.resolve("ran"))).containsExactlyInAnyOrder("1", "2", "3", "2");
        assertThat(JoblogHistory.read(log).failed(2)).as("its new line wins").isFalse();
        // New inputs after a resume run, numbered on from the old ones.
        Ran more = run(jobs(script, List.of("1", "2", "3", "4")).joblog(log, false).resume(ParallelRunner.Resume.ALL));
        assertThat(more.jobs()).extracting(JobResult::seq).containsExactly(4L);
    }

    @Test
    void aJoblogOfAnotherCommandStopsTheResumeBeforeAnythingRuns(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("joblog");
        run(jobs(List.of("true"), List.of("1", "2")).joblog(log, false));
        ParallelRunner.Builder other = jobs(sh("touch " + dir + "/ran-$1"), List.of("1", "2", "3")).joblog(log, false)
                .resume(ParallelRunner.Resume.ALL);
        assertThatThrownBy(() -> run(other)).isInstanceOf(JobSpecException.class).hasMessageContaining("belongs to a different command");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ran-")).toList()).isEmpty();
        }
    }

    @Test
    void resultsAreKeptInGnuParallelsLayout(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("res");
        ParallelRunner.Builder b = ParallelRunner.builder(CommandTemplate.parse(sh("echo out $1 $2; echo err >&2; exit $2"), 2, false))
                .inputs(List.of(InputSource.arguments(List.of("a/b", "c")), InputSource.arguments(List.of("0", "4"))));
        Ran ran = run(b.results(results));
        assertThat(ran.stdout()).as("nothing printed").isEmpty();
        Path job = results.resolve("1").resolve("a\\_b").resolve("2").resolve("4");
        assertThat(Files.readString(job.resolve("stdout"))).isEqualTo("out a/b 4\n");
        assertThat(Files.readString(job.resolve("stderr"))).isEqualTo("err\n");
        assertThat(Files.readString(job.resolve("seq"))).isEqualTo("2");
        assertThat(Files.readString(job.resolve("exitval"))).isEqualTo("4");
        assertThat(Files.readString(job.resolve("signal"))).isEqualTo("0");
        assertThat(Files.readString(results.resolve("1/c/2/0/seq"))).isEqualTo("3");
    }

    @Test
    void aDaemonThatAJobLeftWritingNeverWritesIntoALaterJobsOutput() throws Exception {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= 8; i++) values.add(Integer.toString(i));
        // Job 1 leaves a background writer holding its stdout and stderr; the later jobs run on
        // the one slot while it writes, so each would get job 1's files if they were reused.
        String script = "if [ $1 = 1 ]; then (sleep 0.2; echo late-out; echo late-err >&2) & exit 0; fi; sleep 0.1; echo job $1";
        Ran ran = run(jobs(sh(script), values).jobs(1));
        assertThat(ran.stdout()).doesNotContain("late");
        assertThat(ran.stderr()).doesNotContain("late");
        assertThat(ran.stdout().lines()).containsExactly("job 2", "job 3", "job 4", "job 5", "job 6", "job 7", "job 8");
    }

    /** The run removes its cgroup subtree, in every hierarchy, when it ends. */
    static List<Path> leftoverCgroupRoots() {
        List<Path> left = new ArrayList<>();
        for (String h : List.of("unified", "pids", "cpu", "")) {
            Path p = Path.of("/sys/fs/cgroup", h, CGROUP_ROOT);
            if (Files.exists(p)) left.add(p);
        }
        return left;
    }

    @Test
    void aRunLeavesNoThreadFdOrFileBehind(@TempDir Path dir) throws Exception {
        ParallelRunner.Builder warmUp = jobs(sh("echo $1; exit $(($1 % 3 == 0))"), List.of("1", "2", "3")).joblog(dir.resolve("w"), false);
        run(warmUp);
        Set<String> threadsBefore = forklineThreads();
        long fdsBefore = openFds();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 60; i++) values.add(Integer.toString(i));
        Ran ran = run(jobs(sh("echo $1; [ $1 != 7 ] || exec /no/such; [ $1 != 9 ] || sleep 5; exit $(($1 % 3 == 0))"), values)
                .jobs(4).timeout(Duration.ofMillis(400)).killGrace(Duration.ZERO).tries(2).joblog(dir.resolve("j"), false));
        assertThat(ran.summary().finished()).isEqualTo(60);
        assertThat(forklineThreads()).isEqualTo(threadsBefore);
        assertThat(openFds()).isEqualTo(fdsBefore);
        try (var spools = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(spools.filter(p -> p.getFileName().toString().startsWith("forkline-parallel-" + ProcessHandle.current().pid() + "-")).toList()).isEmpty();
        }
    }

    static Set<String> forklineThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("forkline")).collect(Collectors.toSet());
    }

    static long openFds() throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
