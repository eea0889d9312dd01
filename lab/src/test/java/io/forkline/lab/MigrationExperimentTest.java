package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.lab.MigrationExperiment.Case;
import io.forkline.lab.MigrationExperiment.Storm;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationExperimentTest {
    /** A storm whose latencies are {@code p50Us} for most spawns and {@code p99Us} for the slowest 2%. */
    static Storm storm(Case kase, double p50Us, double p99Us) {
        long[] nanos = new long[100];
        for (int i = 0; i < 100; i++) nanos[i] = (long) ((i < 98 ? p50Us : p99Us) * 1000);
        return new Storm(kase, nanos, 100_000_000L, kase == Case.MIGRATION_LOAD ? 1000 : 0);
    }

    static Map<Case, Storm> storms(double controlP50, double controlP99, double migratingP50, double migratingP99) {
        Map<Case, Storm> out = new EnumMap<>(Case.class);
        out.put(Case.NO_CGROUP_WORK, storm(Case.NO_CGROUP_WORK, 50, 200));
        out.put(Case.BUSY_THREAD, storm(Case.BUSY_THREAD, controlP50, controlP99));
        out.put(Case.MIGRATION_LOAD, storm(Case.MIGRATION_LOAD, migratingP50, migratingP99));
        out.put(Case.BORN_IN_GROUP, storm(Case.BORN_IN_GROUP, 60, 900));
        return out;
    }

    static HostFacts host(String kernel, boolean favordynmods) throws Exception {
        HostFacts real = HostFacts.read();
        return new HostFacts(KernelRelease.parse(kernel), real.libc(), real.distribution(), real.architecture(), real.cgroupLayout(),
                real.v2Mount(), favordynmods, real.v1Controllers(), real.cores(), real.memoryTotalBytes(), real.memoryAvailableBytes(), real.jdk());
    }

    @Test
    void aSlowerMedianThanTheBusyControlIsAStallAndTheControlNotTheIdleCaseIsTheYardstick() throws Exception {
        Finding stall = MigrationExperiment.stallFinding(storms(50, 1000, 95, 1100), host("6.18.4", false), 35);
        assertThat(stall.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(stall.reason()).contains("median").contains("45 us more").contains("35 us for one migration").contains("favordynmods off");
        // The tail alone, twice the control's, holds too.
        assertThat(MigrationExperiment.stallFinding(storms(50, 1000, 52, 2500), host("6.18.4", false), 35).verdict()).isEqualTo(Verdict.HOLDS);
        // As slow as the control, though four times the idle case: the third thread, not the rwsem.
        Finding none = MigrationExperiment.stallFinding(storms(200, 1000, 210, 1100), host("6.18.4", true), 35);
        assertThat(none.verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(none.reason()).contains("favordynmods is on");
    }

    @Test
    void bornInAGroupIsJudgedAtTheMedian() {
        assertThat(MigrationExperiment.bornFinding(storms(50, 1000, 95, 1100)).verdict()).isEqualTo(Verdict.HOLDS);
        Map<Case, Storm> slow = storms(50, 1000, 95, 1100);
        slow.put(Case.BORN_IN_GROUP, storm(Case.BORN_IN_GROUP, 120, 300));
        assertThat(MigrationExperiment.bornFinding(slow).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    @Test
    void theFixIsJudgedByReleaseAndMountOption() throws Exception {
        assertThat(MigrationExperiment.fixFinding(host("6.12.1", true)).verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(MigrationExperiment.fixFinding(host("6.12.1", true)).reason()).contains("older than 6.18");
        assertThat(MigrationExperiment.fixFinding(host("6.18.44-fc", false)).reason()).contains("without favordynmods");
        assertThat(MigrationExperiment.fixFinding(host("7.0.0", true)).verdict()).isEqualTo(Verdict.HOLDS);
    }

    @Test
    void withoutCgroupV2TheStormIsSkippedWithItsReason(@TempDir Path work) throws Exception {
        HostFacts real = HostFacts.read();
        HostFacts noV2 = new HostFacts(real.kernel(), real.libc(), real.distribution(), real.architecture(), HostFacts.CgroupLayout.LEGACY,
                null, false, real.v1Controllers(), real.cores(), real.memoryTotalBytes(), real.memoryAvailableBytes(), real.jdk());
        ExperimentResult r = new MigrationExperiment().run(new LabContext(Scale.SMOKE, noV2, work, LabContexts.CGROUP_TREE, LabListener.NONE));
        assertThat(r.skips()).extracting(Skip::needs).singleElement().asString().contains("cgroup v2");
        assertThat(r.tables()).isEmpty();
        assertThat(r.findings()).hasSize(1);
    }

    @Test
    void aSmokeRunOnThisHostMeasuresEveryCaseAndLeavesNoCgroupOrChild(@TempDir Path work) throws Exception {
        ExperimentResult r = new MigrationExperiment().run(LabContexts.smoke(work));
        assertThat(r.tables().getFirst().rows()).extracting(row -> row.getFirst())
                .containsExactly(Case.NO_CGROUP_WORK.words, Case.BUSY_THREAD.words, Case.MIGRATION_LOAD.words, Case.BORN_IN_GROUP.words);
        assertThat(r.findings()).hasSize(3);
        assertThat(r.measurements()).anyMatch(m -> m.metric().equals("migration_cost") && m.value() > 0);
        assertThat(LabContexts.leftoverCgroups()).isEmpty();
        assertThat(ProcessHandle.current().children().toList()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.isAlive() && t.getName().startsWith("forkline-lab-e2"));
    }
}
