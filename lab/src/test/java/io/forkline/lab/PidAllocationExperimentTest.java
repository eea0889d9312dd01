package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.lab.PidAllocationExperiment.ThreadspawnRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidAllocationExperimentTest {

    // ---- parsing -----------------------------------------------------------------------------

    @Test
    void threadspawnLineIsParsed() {
        ThreadspawnRun run = ThreadspawnRun.parse("n=2 cpus=2 seconds=1.000003 ops=160806 ops_per_sec=160805.5 cpu_seconds=1.9\n");

        assertThat(run).isEqualTo(new ThreadspawnRun(2, 2, 1.000003, 160806, 160805.5, 1.9));
    }

    @Test
    void threadspawnLineWithAMissingOrBadValueIsRejectedWithTheLine() {
        assertThatThrownBy(() -> ThreadspawnRun.parse("n=2 seconds=1.0 ops=10 ops_per_sec=10.0 cpu_seconds=1.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no cpus= in: n=2 seconds=1.0 ops=10 ops_per_sec=10.0 cpu_seconds=1.0");
        assertThatThrownBy(() -> ThreadspawnRun.parse("n=two cpus=2 seconds=1.0 ops=10 ops_per_sec=10.0 cpu_seconds=1.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("n is not an integer in: n=two");
        assertThatThrownBy(() -> ThreadspawnRun.parse("n=2 cpus=2 seconds=1.0 ops=10 ops_per_sec=10.0 cpu_seconds=lots"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cpu_seconds is not a number in: ");
        assertThatThrownBy(() -> ThreadspawnRun.parse("n=2 cpus=2 seconds=0.000000 ops=0 ops_per_sec=0.0 cpu_seconds=0.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a measurement: ");
        assertThatThrownBy(() -> ThreadspawnRun.parse(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no key=value pairs in an empty line");
    }

    // ---- the native tool ---------------------------------------------------------------------

    @Test
    void threadspawnCountsThreadsOfEveryProcess(@TempDir Path work) throws Exception {
        Path tool = ProgramRun.extractTool(PidAllocationExperiment.TOOL);
        try {
            ThreadspawnRun run = PidAllocationExperiment.runThreadspawn(tool, 3, Duration.ofMillis(50), work);

            assertThat(run.processes()).isEqualTo(3);
            assertThat(run.cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
            assertThat(run.ops()).isPositive();
            assertThat(run.opsPerSecond()).isCloseTo(run.ops() / run.seconds(), org.assertj.core.data.Percentage.withPercentage(0.1));
            assertThat(run.cpuSeconds()).as("the workers' threads ran on some CPU").isPositive();
        } finally {
            Files.delete(tool);
        }
        LabContexts.assertNothingLeft(PidAllocationExperiment.THREAD_PREFIX);
    }

    @Test
    void threadspawnRejectsBadArgumentsWithItsUsage(@TempDir Path work) throws Exception {
        Path tool = ProgramRun.extractTool(PidAllocationExperiment.TOOL);
        try {
            for (List<String> arguments : List.of(List.of("0", "100"), List.of("2", "0"), List.of("2", "10ms"), List.of("2"))) {
                List<String> command = new java.util.ArrayList<>(List.of(tool.toString()));
                command.addAll(arguments);
                ProgramRun.Output output = ProgramRun.run(command, null, work, Duration.ofSeconds(30));

                assertThat(output.exitCode()).as(arguments.toString()).isEqualTo(2);
                assertThat(output.stdout()).isEmpty();
                assertThat(output.stderr()).contains("usage: ").contains("PROCESSES MILLISECONDS");
            }
        } finally {
            Files.delete(tool);
        }
    }

    @Test
    void threadspawnNamesTheCallAndErrnoWhenThreadsCannotBeCreated(@TempDir Path work) throws Exception {
        Path tool = ProgramRun.extractTool(PidAllocationExperiment.TOOL);
        try {
            // A thread's stack (RLIMIT_STACK, 128 MB here) cannot fit in a 64 MB address space.
            ProgramRun.Output output = ProgramRun.run(List.of("/bin/sh", "-c", "ulimit -v 65536; ulimit -s 131072; exec \"$0\" 2 100",
                    tool.toString()), null, work, Duration.ofSeconds(30));

            assertThat(output.exitCode()).isEqualTo(2);
            assertThat(output.stdout()).isEmpty();
            assertThat(output.stderr()).contains("forkline-threadspawn: worker 0: pthread_create: EAGAIN (11, ")
                    .contains("forkline-threadspawn: worker 1: pthread_create: EAGAIN (11, ")
                    .contains("a worker failed");
        } finally {
            Files.delete(tool);
        }
    }

    // ---- the verdicts ------------------------------------------------------------------------

    @Test
    void onTwoCoresPidmapLockContentionIsNotApplicableAndOversubscriptionIsNamed() {
        Finding finding = PidAllocationExperiment.threadspawnFinding(Map.of(1, 96_000.0, 2, 145_000.0, 4, 139_000.0),
                Map.of(1, 1.0, 2, 1.88, 4, 1.7), 2);

        assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(finding.seedNumber()).isEqualTo("465k ops/s at 20 processes, unpatched");
        assertThat(finding.measured()).contains("N=2 145k ops/s (1.51x)");
        assertThat(finding.reason()).startsWith("2 cores: 2 processes scale 1.51x of 2x on 1.88 cores used, and below 8 CPUs")
                .endsWith("; N=4 oversubscribes the 2 cores (1.45x)");
    }

    @Test
    void withManyCoresPoorScalingHoldsAndNearLinearScalingDoesNot() {
        Map<Integer, Double> contended = new java.util.TreeMap<>(Map.of(1, 100_000.0, 2, 150_000.0, 4, 200_000.0));
        Map<Integer, Double> linear = new java.util.TreeMap<>(Map.of(1, 100_000.0, 2, 195_000.0, 4, 380_000.0));

        Map<Integer, Double> allCoresUsed = Map.of(1, 1.0, 2, 2.0, 4, 3.9);
        Finding holds = PidAllocationExperiment.threadspawnFinding(contended, allCoresUsed, 16);
        Finding doesNotHold = PidAllocationExperiment.threadspawnFinding(linear, allCoresUsed, 16);

        assertThat(holds.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(holds.reason()).startsWith("4 processes reach 50% of linear scaling (below 75%)").doesNotContain("oversubscribe");
        assertThat(doesNotHold.verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(doesNotHold.reason()).startsWith("4 processes reach 95% of linear scaling (at least 75%)");
    }

    @Test
    void aKernelBefore70IsNotKnownToHaveTheFix() {
        Finding finding = PidAllocationExperiment.fixFinding(KernelRelease.parse("6.18.44-fc-v1147"));

        assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(finding.measured()).isEqualTo("kernel 6.18.44-fc-v1147 is not known to have the fix");
        assertThat(finding.reason()).contains("predates 7.0").contains("backported");
        assertThat(finding.seedNumber()).isEqualTo("465k -> 510-560k ops/s at 20 processes");
    }

    @Test
    void aKernel70OrLaterHasTheFixButNoBaselineToCompare() {
        for (String release : List.of("7.0.0", "7.1-rc2", "8.2.1")) {
            Finding finding = PidAllocationExperiment.fixFinding(KernelRelease.parse(release));

            assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
            assertThat(finding.measured()).isEqualTo("kernel " + release + " has the fix");
        }
    }

    @Test
    void rangesBeatingTheGlobalLockAtTheCoreCountHold() {
        Finding finding = PidAllocationExperiment.allocatorFinding(Map.of(1, 26e6, 2, 44e6, 4, 38e6), Map.of(1, 19e6, 2, 14e6, 4, 19e6),
                Map.of(1, 1.0, 2, 1.9, 4, 1.9), 2);

        assertThat(finding.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(finding.measured()).isEqualTo("2 threads: 44.0M vs 14.0M ops/s (3.14x); 1 thread 1.37x");
        assertThat(finding.reason()).endsWith("; 4 threads oversubscribe the 2 cores (2.00x)");
    }

    @Test
    void rangesNoFasterThanTheGlobalLockDoNotHold() {
        Finding finding = PidAllocationExperiment.allocatorFinding(Map.of(1, 20e6, 2, 22e6, 4, 22e6), Map.of(1, 20e6, 2, 20e6, 4, 20e6),
                Map.of(1, 1.0, 2, 2.0, 4, 3.8), 4);

        assertThat(finding.verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(finding.reason()).isEqualTo("at 4 threads the ranges allocate only 1.10x as fast as the global lock (below 1.25x)");
    }

    @Test
    void whenOtherWorkTookTheCoresTheAllocatorComparisonIsNotApplicable() {
        Finding finding = PidAllocationExperiment.allocatorFinding(Map.of(1, 20e6, 2, 19e6, 4, 18e6), Map.of(1, 18e6, 2, 20e6, 4, 18e6),
                Map.of(1, 1.0, 2, 1.1, 4, 1.2), 2);

        assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(finding.reason()).isEqualTo("other work on this machine left the 2 threads 1.10 cores (below 1.50): they seldom"
                + " allocated at the same moment; 4 threads oversubscribe the 2 cores (1.00x)");
    }

    @Test
    void whenOtherWorkTookTheCoresThreadspawnScalingIsNotApplicable() {
        Map<Integer, Double> contended = new java.util.TreeMap<>(Map.of(1, 100_000.0, 2, 150_000.0, 4, 200_000.0));

        Finding finding = PidAllocationExperiment.threadspawnFinding(contended, Map.of(1, 1.0, 2, 2.0, 4, 2.5), 16);

        assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(finding.reason()).startsWith("other work on this machine left the 4 processes 2.50 cores (below 3.00)");
    }

    @Test
    void onOneCoreNoAllocatorIsContended() {
        Finding finding = PidAllocationExperiment.allocatorFinding(Map.of(1, 20e6, 2, 20e6, 4, 20e6), Map.of(1, 20e6, 2, 10e6, 4, 10e6),
                Map.of(1, 1.0, 2, 1.0, 4, 1.0), 1);

        assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(finding.measured()).startsWith("1 threads: ");
    }

    // ---- the skip and the smoke run ----------------------------------------------------------

    @Test
    void withoutTheNativeToolTheKernelPartIsSkippedAndTheAllocatorsStillRun(@TempDir Path work) throws Exception {
        PidAllocationExperiment experiment = new PidAllocationExperiment(() -> {
            throw new SkippedException("forkline-threadspawn from the native build (./mvnw package builds it): not in the jar");
        });

        ExperimentResult result = experiment.run(LabContexts.smoke(work));

        assertThat(result.skips()).singleElement().satisfies(skip -> {
            assertThat(skip.what()).isEqualTo("threadspawn (the kernel's pid allocation)");
            assertThat(skip.needs()).startsWith("forkline-threadspawn from the native build");
        });
        assertThat(result.tables()).extracting(ResultTable::title).singleElement().asString().startsWith("user space: ");
        assertThat(result.findings()).extracting(Finding::claim).containsExactly(
                "alloc_pid taking pidmap_lock once (Guzik, in Linux 7.0) gains at least 10%",
                "ids from per-CPU ranges (Guzik's sketch) scale where one global lock does not");
        LabContexts.assertNothingLeft(PidAllocationExperiment.THREAD_PREFIX);
    }

    @Test
    void smokeRunMeasuresTheKernelAndBothAllocatorsAtEveryWidth(@TempDir Path work) throws Exception {
        LabContexts.Progress progress = new LabContexts.Progress();

        ExperimentResult result = new PidAllocationExperiment().run(LabContexts.smoke(work, progress));

        assertThat(result.id()).isEqualTo("E3");
        assertThat(result.skips()).isEmpty();
        assertThat(result.tables()).hasSize(2);
        ResultTable kernel = result.tables().get(0);
        assertThat(kernel.columns()).containsExactly("N", "ops/s", "scaling vs N=1", "cores used", "note");
        assertThat(kernel.rows()).extracting(List::getFirst).containsExactly("1", "2", "4", "seed: 20");
        assertThat(kernel.rows().getFirst().get(2)).isEqualTo("1.00x");
        for (List<String> row : kernel.rows().subList(0, 3)) assertThat(Double.parseDouble(row.get(1))).as(row.toString()).isPositive();
        ResultTable user = result.tables().get(1);
        assertThat(user.columns()).containsExactly("threads", "RangeIdAllocator", "LockedCyclicIdAllocator", "ratio", "cores used", "note");
        assertThat(user.rows()).extracting(List::getFirst).containsExactly("1", "2", "4");
        for (List<String> row : user.rows()) {
            assertThat(Double.parseDouble(row.get(1))).as(row.toString()).isPositive();
            assertThat(Double.parseDouble(row.get(2))).as(row.toString()).isPositive();
        }
        if (Runtime.getRuntime().availableProcessors() < 4) {
            assertThat(user.rows().get(2).get(5)).startsWith("oversubscribed: 4 threads on ");
        }

        assertThat(result.findings()).extracting(Finding::claim).containsExactly(
                "pidmap_lock is the primary bottleneck when processes create and end threads in parallel",
                "alloc_pid taking pidmap_lock once (Guzik, in Linux 7.0) gains at least 10%",
                "ids from per-CPU ranges (Guzik's sketch) scale where one global lock does not");
        assertThat(result.measurements()).extracting(Measurement::variant).contains("threadspawn N=1", "threadspawn N=2",
                "threadspawn N=4", "RangeIdAllocator, 2 threads", "LockedCyclicIdAllocator, 4 threads");
        assertThat(result.measurements()).filteredOn(m -> m.metric().equals("throughput"))
                .hasSize(9).allSatisfy(m -> assertThat(m.value()).as(m.toString()).isPositive());
        assertThat(result.measurements()).allSatisfy(m -> assertThat(m.seedClaim()).as(m.toString()).isNotNull());
        assertThat(result.charts()).hasSize(2);
        assertThat(result.charts().get(0).categories()).containsExactly("N=1", "N=2", "N=4");
        assertThat(result.charts().get(1).series()).extracting(Chart.Series::name).containsExactly("RangeIdAllocator", "LockedCyclicIdAllocator");
        assertThat(progress.steps().getLast().done()).isEqualTo(progress.steps().getLast().total());
        LabContexts.assertNothingLeft(PidAllocationExperiment.THREAD_PREFIX);
    }
}
