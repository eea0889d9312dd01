package io.forkline.lab;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What an experiment runs with.
 *
 * @param scale the size of its counts
 * @param host the host's facts, read once
 * @param workDirectory a directory of the run's own, removed when it ends
 * @param cgroupTree the name of the cgroup subtree the run may create (and must remove) in every hierarchy
 * @param listener where its progress goes
 */
public record LabContext(Scale scale, HostFacts host, Path workDirectory, String cgroupTree, LabListener listener) {
    public LabContext {
        Objects.requireNonNull(scale, "scale");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(workDirectory, "workDirectory");
        Objects.requireNonNull(cgroupTree, "cgroupTree");
        Objects.requireNonNull(listener, "listener");
    }

    /** Reports {@code done} of {@code total} of {@code step}. */
    public void progress(String step, long done, long total) {
        listener.progress(step, done, total);
    }
}
