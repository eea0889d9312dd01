package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The lab contexts the experiments' tests run with, and the checks that nothing outlived a run. */
final class LabContexts {
    private static final HostFacts HOST;

    static {
        try {
            HOST = HostFacts.read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cgroup subtrees of these tests start with this, in every hierarchy. */
    static final String CGROUP_TREE = "forkline-lab-test-" + ProcessHandle.current().pid();

    private LabContexts() {}

    /** @return the directories under any cgroup mount whose name starts with the tests' tree */
    static List<Path> leftoverCgroups() throws IOException {
        List<Path> left = new java.util.ArrayList<>();
        for (Path mount : List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"), Path.of("/sys/fs/cgroup/pids"),
                Path.of("/sys/fs/cgroup/cpu"), Path.of("/sys/fs/cgroup/cpu,cpuacct"))) {
            if (!java.nio.file.Files.isDirectory(mount)) continue;
            try (var entries = java.nio.file.Files.list(mount)) {
                entries.filter(p -> p.getFileName().toString().startsWith(CGROUP_TREE)).forEach(left::add);
            }
        }
        return left;
    }

    static LabContext smoke(Path work) {
        return smoke(work, LabListener.NONE);
    }

    static LabContext smoke(Path work, LabListener listener) {
        return new LabContext(Scale.SMOKE, HOST, work, CGROUP_TREE, listener);
    }

    /** Records the progress an experiment reports. */
    static final class Progress implements LabListener {
        record Step(String step, long done, long total) {}

        private final List<Step> steps = new CopyOnWriteArrayList<>();

        @Override
        public void progress(String step, long done, long total) {
            steps.add(new Step(step, done, total));
        }

        List<Step> steps() {
            return List.copyOf(steps);
        }
    }

    /** No child of this JVM is left, and no thread whose name starts with {@code threadPrefix}. */
    static void assertNothingLeft(String threadPrefix) {
        assertThat(ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList())
                .as("children of the test JVM").isEmpty();
        assertThat(Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith(threadPrefix)).toList()).as("threads named " + threadPrefix + "*").isEmpty();
    }
}
