package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkline.lab.ForkLockExperiment.GoToolchain;
import io.forkline.lab.ForkLockExperiment.GoVersion;
import io.forkline.lab.ForkLockExperiment.Variant;
import io.forkline.lab.ForkLockExperiment.VariantResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForkLockExperimentTest {
    private static final GoVersion GO_1_19 = new GoVersion(1, 19, "go1.19.8");

    // ---- parsing -----------------------------------------------------------------------------

    @Test
    void goVersionIsReadFromGoVersionOutput() {
        assertThat(GoVersion.parse("go version go1.19.8 linux/amd64\n")).contains(new GoVersion(1, 19, "go1.19.8"));
        assertThat(GoVersion.parse("go version go1.21 linux/arm64")).contains(new GoVersion(1, 21, "go1.21"));
        assertThat(GoVersion.parse("bash: go: command not found")).isEmpty();
    }

    @Test
    void onlyGoFrom19To120ForksUnderAnExclusiveForkLock() {
        assertThat(new GoVersion(1, 19, "go1.19.8").forkLockSerializesForks()).isTrue();
        assertThat(new GoVersion(1, 20, "go1.20.14").forkLockSerializesForks()).isTrue();
        assertThat(new GoVersion(1, 9, "go1.9").forkLockSerializesForks()).isTrue();
        assertThat(new GoVersion(1, 21, "go1.21.0").forkLockSerializesForks()).as("1.21 has the either-or lock").isFalse();
        assertThat(new GoVersion(1, 8, "go1.8.7").forkLockSerializesForks()).as("before 1.9 Go forks without CLONE_VFORK").isFalse();
    }

    @Test
    void goOutputGivesLatenciesInRoundOrderAndTheRoundsTime() {
        // 2 rounds of 3: round maxima 30 and 60 ms.
        String line = "goroutines=3 rounds=2 busy_ns=100000000 latencies_ns=10000000,30000000,20000000,60000000,40000000,50000000\n";

        VariantResult go = ForkLockExperiment.parseGoOutput(line, GO_1_19);

        assertThat(go.label()).isEqualTo("Go 1.19.8 exec.Command");
        assertThat(go.rounds()).isEqualTo(2);
        assertThat(go.maxMillis()).isEqualTo(60.0);
        assertThat(go.roundMaxMedianMillis()).as("nearest rank: the lower of two").isEqualTo(30.0);
        assertThat(go.percentileMillis(50)).isEqualTo(30.0);
        assertThat(go.spawnsPerSecond()).isEqualTo(60.0);
        assertThat(go.fdOpensPerSecond()).isNaN();
    }

    @Test
    void goOutputWithAMissingKeyOrTooFewLatenciesIsRejectedWithTheLine() {
        assertThatThrownBy(() -> ForkLockExperiment.parseGoOutput("goroutines=3 rounds=1 latencies_ns=1,2,3", GO_1_19))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no busy_ns=");
        assertThatThrownBy(() -> ForkLockExperiment.parseGoOutput("goroutines=3 rounds=2 busy_ns=5 latencies_ns=1,2,3", GO_1_19))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 latencies for 2 rounds of 3");
        assertThatThrownBy(() -> ForkLockExperiment.parseGoOutput("goroutines=3 rounds=1 busy_ns=5 latencies_ns=1,x,3", GO_1_19))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latencies_ns is not a list of integers");
        assertThatThrownBy(() -> ForkLockExperiment.parseGoOutput("panic: runtime error", GO_1_19))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not key=value: 'panic:'");
    }

    @Test
    void aVariantResultHoldsWholeRoundsOnly() {
        assertThatThrownBy(() -> new VariantResult("x", "y", 50, new long[49], 1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("49 latencies are not whole rounds of 50");
    }

    @Test
    void twoPassesOfAVariantPoolTheirRoundsAndTimes() {
        VariantResult first = new VariantResult("x", "y", 2, new long[] {1_000_000, 2_000_000}, 1_000_000_000, 10, 1_000_000_000);
        VariantResult second = new VariantResult("x", "y", 2, new long[] {5_000_000, 3_000_000}, 1_000_000_000, 30, 1_000_000_000);

        VariantResult both = first.plus(second);

        assertThat(both.rounds()).isEqualTo(2);
        assertThat(both.maxMillis()).isEqualTo(5.0);
        assertThat(both.spawnsPerSecond()).isEqualTo(2.0);
        assertThat(both.fdOpensPerSecond()).isEqualTo(20.0);
    }

    // ---- the verdict -------------------------------------------------------------------------

    @Test
    void whenEvenNoLockGainsNothingTheClaimCannotBeShownHere() {
        Finding finding = ForkLockExperiment.forkLockFinding(28.9, 26.5, 27.9, 2);

        assertThat(finding.verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(finding.seedNumber()).isEqualTo("100 ms -> 20 ms (5.0x)");
        assertThat(finding.measured()).startsWith("28.9 ms -> 26.5 ms (1.09x; no lock 27.9 ms, 1.04x)");
        assertThat(finding.reason()).startsWith("2 cores: even with no lock the slowest of 50 starts comes only 1.04x sooner (below 1.25x)");
    }

    @Test
    void xorLockGainingWhatNoLockGainsHoldsAndNamesTheCoreBound() {
        Finding finding = ForkLockExperiment.forkLockFinding(30, 16, 15, 2);

        assertThat(finding.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(finding.reason()).contains("1.88x of the 2.00x that no lock gives")
                .contains("2 cores let at most 2 spawns run at once, so the seed's 5x needs more cores");
    }

    @Test
    void withEnoughCoresTheReasonDoesNotBlameThem() {
        Finding finding = ForkLockExperiment.forkLockFinding(100, 20, 18, 16);

        assertThat(finding.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(finding.reason()).doesNotContain("cores");
    }

    @Test
    void xorLockGainingLessThanTheThresholdWhileNoLockGainsDoesNotHold() {
        Finding finding = ForkLockExperiment.forkLockFinding(30, 26, 15, 2);

        assertThat(finding.verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(finding.reason()).isEqualTo("XorLock gains 1.15x (below 1.25x) where no lock gains 2.00x: its fd phases keep the spawns apart");
    }

    @Test
    void theThresholdItselfCountsAsAGain() {
        assertThat(ForkLockExperiment.forkLockFinding(25, 20, 20, 2).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(ForkLockExperiment.forkLockFinding(24.9, 20, 20, 2).verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
    }

    // ---- the skips ---------------------------------------------------------------------------

    @Test
    void withoutGoTheGoPartIsSkippedNamingThePackage(@TempDir Path work) {
        ForkLockExperiment experiment = new ForkLockExperiment(Optional::empty);

        assertThatThrownBy(() -> experiment.measureGo(LabContexts.smoke(work), 1))
                .isInstanceOf(SkippedException.class)
                .extracting(e -> ((SkippedException) e).needs()).isEqualTo("golang-1.19 (scripts/toolchains.sh lab)");
    }

    @Test
    void aGoToolchainThatCannotBuildIsSkippedWithItsError(@TempDir Path work) throws Exception {
        Path fakeGo = work.resolve("go");
        Files.writeString(fakeGo, "#!/bin/sh\necho 'go: cannot find GOROOT directory' >&2\nexit 2\n");
        Files.setPosixFilePermissions(fakeGo, PosixFilePermissions.fromString("rwx------"));
        Path experimentWork = Files.createDirectory(work.resolve("E1"));
        ForkLockExperiment experiment = new ForkLockExperiment(() -> Optional.of(new GoToolchain(fakeGo, GO_1_19)));

        assertThatThrownBy(() -> experiment.measureGo(LabContexts.smoke(experimentWork), 1))
                .isInstanceOf(SkippedException.class)
                .extracting(e -> ((SkippedException) e).needs()).asString()
                .startsWith("a working Go toolchain (" + fakeGo + " build failed: go: cannot find GOROOT directory");
    }

    // ---- smoke runs against the real kernel --------------------------------------------------

    @Test
    void smokeRunWithoutGoMeasuresEveryVariantAndRecordsTheSkip(@TempDir Path work) throws Exception {
        LabContexts.Progress progress = new LabContexts.Progress();

        ExperimentResult result = new ForkLockExperiment(Optional::empty).run(LabContexts.smoke(work, progress));

        assertThat(result.skips()).containsExactly(new Skip("Go 1.19's ForkLock", "golang-1.19 (scripts/toolchains.sh lab)"));
        assertMeasuredEveryVariant(result, false);
        assertThat(progress.steps()).isNotEmpty().allSatisfy(step -> assertThat(step.done()).isBetween(0L, step.total()));
        assertThat(progress.steps().getLast().done()).isEqualTo(progress.steps().getLast().total());
        LabContexts.assertNothingLeft(ForkLockExperiment.THREAD_PREFIX);
    }

    @Test
    void smokeRunWithTheInstalledGo(@TempDir Path work) throws Exception {
        boolean goInstalled = ForkLockExperiment.findGo().isPresent();

        ExperimentResult result = new ForkLockExperiment().run(LabContexts.smoke(work));

        if (goInstalled) {
            assertThat(result.skips()).isEmpty();
        } else {
            assertThat(result.skips()).extracting(Skip::what).containsExactly("Go 1.19's ForkLock");
        }
        assertMeasuredEveryVariant(result, goInstalled);
        LabContexts.assertNothingLeft(ForkLockExperiment.THREAD_PREFIX);
    }

    private static void assertMeasuredEveryVariant(ExperimentResult result, boolean withGo) {
        List<String> variants = new ArrayList<>();
        for (Variant variant : Variant.values()) variants.add(variant.label);
        List<String> measuredRows = new ArrayList<>(variants);
        if (withGo) {
            String goRow = result.tables().getFirst().rows().get(variants.size()).getFirst();
            assertThat(goRow).matches("Go 1\\.(9|1\\d|20)(\\.\\d+)? exec\\.Command");
            measuredRows.add(goRow);
        }

        assertThat(result.id()).isEqualTo("E1");
        assertThat(result.tables()).hasSize(1);
        ResultTable table = result.tables().getFirst();
        assertThat(table.columns()).containsExactly("variant", "lock", "p50 ms", "p99 ms", "max ms", "round max ms", "spawns/s", "fd opens/s");
        List<String> expectedRows = new ArrayList<>(measuredRows);
        expectedRows.addAll(List.of("seed 002: Go ForkLock", "seed 002: either-or lock"));
        assertThat(table.rows()).extracting(List::getFirst).containsExactlyElementsOf(expectedRows);
        for (List<String> row : table.rows().subList(0, measuredRows.size())) {
            for (String cell : row.subList(2, 7)) assertThat(Double.parseDouble(cell)).as(row.getFirst() + " " + row).isPositive();
        }
        for (String variant : measuredRows) {
            assertThat(result.measurements()).filteredOn(m -> m.variant().equals(variant)).extracting(Measurement::metric)
                    .contains("start_p50", "start_p99", "start_max", "round_max_median", "throughput");
        }
        assertThat(result.measurements()).allSatisfy(m -> assertThat(m.value()).as(m.toString()).isPositive());
        assertThat(result.measurements()).filteredOn(m -> m.variant().equals("XorLock") && m.metric().equals("round_max_median"))
                .singleElement().satisfies(m -> assertThat(m.verdict()).isEqualTo(result.findings().getFirst().verdict()));
        assertThat(result.findings()).singleElement()
                .satisfies(f -> assertThat(f.claim()).startsWith("a global fork lock makes 50 concurrent forks take up to 100 ms"));
        assertThat(result.charts()).singleElement().satisfies(chart -> {
            assertThat(chart.categories()).containsExactlyElementsOf(measuredRows);
            assertThat(chart.series()).extracting(Chart.Series::name).containsExactly("p50", "p99", "round max (median)");
        });
    }
}
