package io.forkline.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the lab's tests share: a context on the real host, and the check that nothing was left behind. */
final class LabTesting {
    /** The cgroup subtrees of these tests start with this, in every hierarchy. */
    static final String CGROUP_TREE = "forkline-test-lab-" + ProcessHandle.current().pid();

    private LabTesting() {}

    static LabContext smokeContext(Path work) throws IOException {
        return new LabContext(Scale.SMOKE, HostFacts.read(), work, CGROUP_TREE, LabListener.NONE);
    }

    /** @return the directories under any cgroup mount whose name starts with the tests' tree */
    static List<Path> leftoverCgroups() throws IOException {
        List<Path> left = new ArrayList<>();
        for (Path mount : List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"), Path.of("/sys/fs/cgroup/pids"),
                Path.of("/sys/fs/cgroup/cpu"), Path.of("/sys/fs/cgroup/cpu,cpuacct"))) {
            if (!Files.isDirectory(mount)) continue;
            try (var entries = Files.list(mount)) {
                entries.filter(p -> p.getFileName().toString().startsWith(CGROUP_TREE)).forEach(left::add);
            }
        }
        return left;
    }
}
