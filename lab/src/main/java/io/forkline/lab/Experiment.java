package io.forkline.lab;

import java.time.Duration;

/** One of the seeds' experiments, run on this host, with forkline's answer beside it. */
public interface Experiment {
    /** @return E1 ... E5 */
    String id();

    /** @return the subcommand that runs it alone ("fork-lock") */
    String name();

    /** @return the title of its table and report section */
    String title();

    /** @return about how long it runs at this scale on a 2-core machine, said before it starts */
    Duration estimate(Scale scale);

    /**
     * Runs the experiment. A part that cannot run here is recorded as a skip and the others go
     * on; whatever it starts (children, cgroups, threads, files) is gone when it returns or throws,
     * also when it is interrupted.
     *
     * @throws InterruptedException when the run is stopped (Ctrl-C)
     * @throws Exception when the experiment itself fails: a fault, not a skip
     */
    ExperimentResult run(LabContext context) throws Exception;
}
