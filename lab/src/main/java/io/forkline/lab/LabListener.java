package io.forkline.lab;

import java.time.Duration;

/** What a lab run tells whoever shows it: the CLI draws progress bars from it. Called on the lab's thread. */
public interface LabListener {
    /** The experiment starts; it takes about {@code estimate}. */
    default void experimentStarted(Experiment experiment, Duration estimate) {}

    /** A step of the running experiment: {@code done} of {@code total} of what {@code step} names. */
    default void progress(String step, long done, long total) {}

    default void experimentFinished(ExperimentResult result) {}

    /** The listener that shows nothing. */
    LabListener NONE = new LabListener() {};
}
