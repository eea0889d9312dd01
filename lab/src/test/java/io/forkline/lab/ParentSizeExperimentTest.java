package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.lab.ParentSizeExperiment.Cell;
import io.forkline.lab.ParentSizeExperiment.Engine;
import io.forkline.lab.ParentSizeExperiment.Trace;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParentSizeExperimentTest {
    static Map<Integer, Cell> curve(Engine e, double smallUs, double largeUs) {
        Map<Integer, Cell> out = new LinkedHashMap<>();
        out.put(16, new Cell(e, 16, 16L << 20, 100, 100_000_000L, (long) (smallUs * 1000 * 100)));
        out.put(4096, new Cell(e, 4096, 4096L << 20, 100, 100_000_000L, (long) (largeUs * 1000 * 100)));
        return out;
    }

    @Test
    void straceLinesGiveTheFirstLaunchCallAndItsFlags() {
        String log = """
                4242  clone3({flags=CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND, exit_signal=SIGCHLD, stack=0x7f0, stack_size=0x9000}, 88) = 4243
                4243  +++ exited with 0 +++
                4242  clone3({flags=CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND, exit_signal=SIGCHLD}, 88) = 4244
                """;
        Trace t = ParentSizeExperiment.parseTrace(log).orElseThrow();
        assertThat(t.syscall()).isEqualTo("clone3");
        assertThat(t.flags()).isEqualTo("CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND");
        assertThat(t.sharesMemory()).isTrue();
        Trace oldGlibc = ParentSizeExperiment.parseTrace("77 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 78\n").orElseThrow();
        assertThat(oldGlibc.sharesMemory()).as("a fork by another name").isFalse();
        assertThat(ParentSizeExperiment.parseTrace("99 vfork() = 100\n").orElseThrow().sharesMemory()).isTrue();
        assertThat(ParentSizeExperiment.parseTrace("1 execve(\"/bin/true\") = 0\n")).isEmpty();
    }

    @Test
    void forkGrowingAndClone3FlatAreJudgedByTheParentsCpuPerSpawn() {
        assertThat(ParentSizeExperiment.growsFinding(curve(Engine.FORK, 140, 42000)).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(ParentSizeExperiment.growsFinding(curve(Engine.FORK, 140, 200)).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(ParentSizeExperiment.growsFinding(Map.of()).verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(ParentSizeExperiment.flatFinding(curve(Engine.CLONE3, 70, 64)).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(ParentSizeExperiment.flatFinding(curve(Engine.CLONE3, 70, 400)).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    @Test
    void posixSpawnIsSettledByTheTraceAndWithoutOneByItsCurve() {
        Trace vforkLike = new Trace("clone3", "CLONE_VM|CLONE_VFORK");
        Trace forkLike = new Trace("clone", "CLONE_CHILD_SETTID|SIGCHLD");
        Finding shares = ParentSizeExperiment.posixSpawnFinding(curve(Engine.POSIX_SPAWN, 27, 30), vforkLike);
        assertThat(shares.verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(shares.measured()).startsWith("clone3(CLONE_VM|CLONE_VFORK)");
        assertThat(ParentSizeExperiment.posixSpawnFinding(curve(Engine.POSIX_SPAWN, 27, 9000), forkLike).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(ParentSizeExperiment.posixSpawnFinding(curve(Engine.POSIX_SPAWN, 27, 30), null).reason()).contains("strace missing");
        assertThat(ParentSizeExperiment.posixSpawnFinding(curve(Engine.POSIX_SPAWN, 27, 9000), null).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(ParentSizeExperiment.posixSpawnFinding(curve(Engine.POSIX_SPAWN, 27, 60), null).verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
    }

    @Test
    void aSmokeRunMeasuresEveryLaunchTracesPosixSpawnAndLeavesNoChild(@TempDir Path work) throws Exception {
        ExperimentResult r = new ParentSizeExperiment().run(LabContexts.smoke(work));
        assertThat(r.tables().getFirst().rows()).hasSize(Engine.values().length * 2);
        assertThat(r.findings()).hasSize(3);
        assertThat(r.measurements()).allMatch(m -> m.value() > 0);
        if (ParentSizeExperiment.onPath("strace").isPresent()) assertThat(r.notes()).anyMatch(n -> n.startsWith("strace: glibc's posix_spawn made "));
        assertThat(ProcessHandle.current().children().toList()).isEmpty();
        try (var left = java.nio.file.Files.list(work)) {
            assertThat(left.toList()).as("the trace's log is removed").isEmpty();
        }
    }

    @Test
    void withoutStraceOrMemoryThePartsAreSkippedWithWhatTheyNeed(@TempDir Path work) throws Exception {
        HostFacts real = HostFacts.read();
        HostFacts small = new HostFacts(real.kernel(), real.libc(), real.distribution(), real.architecture(), real.cgroupLayout(), real.v2Mount(),
                real.favordynmods(), real.v1Controllers(), real.cores(), real.memoryTotalBytes(), 512L << 20, real.jdk());
        ExperimentResult r = new ParentSizeExperiment(Optional::empty).run(new LabContext(Scale.SMOKE, small, work, LabContexts.CGROUP_TREE, LabListener.NONE));
        assertThat(r.skips()).extracting(Skip::needs).contains("strace (scripts/toolchains.sh lab)").anyMatch(n -> n.contains("GiB of free memory"));
        assertThat(r.skips()).extracting(Skip::what).contains("the 16 MB parent", "the 64 MB parent");
        assertThat(r.findings()).allMatch(f -> f.verdict() == Verdict.NOT_APPLICABLE);
    }
}
