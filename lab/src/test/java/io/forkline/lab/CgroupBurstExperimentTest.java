package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.lab.CgroupBurstExperiment.Groups;
import io.forkline.lab.CgroupStarts.Mode;
import io.forkline.lab.CgroupStarts.Result;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupBurstExperimentTest {
    private static Result result(Mode mode, double maxMs) {
        long max = (long) (maxMs * 1e6);
        return new Result(mode, 400, 3, 1_000_000_000L, new long[] {max / 4, max / 2, max}, 0);
    }

    private static Map<Groups, Map<Mode, Result>> measured(Groups groups, double mkdirMaxMs, double poolMaxMs) {
        Map<Mode, Result> byMode = new LinkedHashMap<>();
        byMode.put(Mode.MKDIR, result(Mode.MKDIR, mkdirMaxMs));
        byMode.put(Mode.POOL, result(Mode.POOL, poolMaxMs));
        Map<Groups, Map<Mode, Result>> out = new LinkedHashMap<>();
        out.put(groups, byMode);
        return out;
    }

    @Test
    void aTailNearTheSeedsHoldsAndAPoolThatRemovesItHolds() {
        List<Finding> f = CgroupBurstExperiment.findings(measured(Groups.CONTROLLED, 700, 3), 400);
        assertThat(f.get(0).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(f.get(0).measured()).isEqualTo("700 ms");
        assertThat(f.get(1).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(f.get(1).reason()).contains("with controllers");
    }

    @Test
    void aShortTailDoesNotHoldAndAPoolNoFasterThanMkdirDoesNotRemoveIt() {
        List<Finding> f = CgroupBurstExperiment.findings(measured(Groups.BARE, 40, 30), 400);
        assertThat(f.get(0).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(f.get(0).reason()).contains("without controllers").contains("below the seed's");
        assertThat(f.get(1).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    @Test
    void theControlledBurstsDecideWhenBothRan() {
        Map<Groups, Map<Mode, Result>> both = measured(Groups.BARE, 5, 1);
        both.putAll(measured(Groups.CONTROLLED, 600, 2));
        assertThat(CgroupBurstExperiment.findings(both, 400).get(0).verdict()).isEqualTo(Verdict.HOLDS);
    }

    @Test
    void aSmallerBurstThanTheSeedsIsNotApplicableAndNoBurstAtAllIsToo() {
        assertThat(CgroupBurstExperiment.findings(measured(Groups.BARE, 900, 1), 20).get(0).verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(CgroupBurstExperiment.findings(Map.of(), 400)).allMatch(f -> f.verdict() == Verdict.NOT_APPLICABLE);
    }

    @Test
    void aSmokeRunOnThisHostMeasuresBothWaysAndLeavesNoCgroupOrChild(@TempDir Path work) throws Exception {
        ExperimentResult r = new CgroupBurstExperiment().run(LabContexts.smoke(work));
        assertThat(r.id()).isEqualTo("E4");
        assertThat(r.tables()).hasSize(1);
        assertThat(r.tables().getFirst().rows()).extracting(row -> row.get(1)).contains("mkdir", "pool");
        assertThat(r.findings()).hasSize(2);
        assertThat(r.measurements()).isNotEmpty().allMatch(m -> m.experiment().equals("E4") && m.value() >= 0);
        assertThat(r.charts()).hasSize(1);
        assertThat(LabContexts.leftoverCgroups()).isEmpty();
        assertThat(ProcessHandle.current().children().toList()).isEmpty();
    }
}
