package io.forkline.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The lab's experiments, E1 to E5, each its own class; listed here so that Lab names them in one place. */
final class Experiments {
    private Experiments() {}

    static final Supplier<Experiment[]> ALL = () -> {
        List<Experiment> all = new ArrayList<>();
        // E1 ForkLockExperiment, E2 MigrationExperiment, E3 PidAllocationExperiment,
        // E4 CgroupBurstExperiment, E5 ParentSizeExperiment: added as each lands.
        return all.toArray(Experiment[]::new);
    };
}
