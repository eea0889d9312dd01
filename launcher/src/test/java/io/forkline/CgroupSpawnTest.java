package io.forkline;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkline.sys.shim.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Children born in a cgroup v2 group (clone3 CLONE_INTO_CGROUP) and the migrate fallback, in a
 * subtree this test creates under the host's cgroup2 mount and always removes.
 */
class CgroupSpawnTest {
    private Launcher launcher;
    private ProcessResources before;
    private Path v2Root;
    private Path testGroup;
    private Path job;

    @BeforeEach
    void start() throws Exception {
        v2Root = cgroup2Mount();
        Assumptions.assumeTrue(v2Root != null && Files.isWritable(v2Root.resolve("cgroup.procs")),
                "needs a writable cgroup2 mount (root, with /sys/fs/cgroup/unified or /sys/fs/cgroup as cgroup2)");
        before = ProcessResources.baseline();
        launcher = Launcher.create();
        testGroup = Files.createDirectory(v2Root.resolve("forkline-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
        job = Files.createDirectory(testGroup.resolve("job"));
    }

    @AfterEach
    void stop() throws Exception {
        if (launcher == null) return;
        launcher.close();
        try {
            removeGroup(job);
        } finally {
            removeGroup(testGroup);
        }
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    @Test
    void childIsBornInTheGroup() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30").cgroup(job));
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.BORN_INTO);
        assertThat(v2CgroupOf(child.pid())).isEqualTo("/" + v2Root.relativize(job));
        assertThat(Files.readString(job.resolve("cgroup.procs")).trim()).isEqualTo(String.valueOf(child.pid()));
        child.kill();
        child.waitFor();
        assertThat(launcher.migratedSpawnCount()).isZero();
    }

    @Test
    void posixSpawnFallbackMigratesAndSaysSo() throws Exception {
        Child child = launcher.spawn(Command.of("sleep", "30").cgroup(job).usePosixSpawn());
        assertThat(child.cgroupPlacement()).isEqualTo(CgroupPlacement.MIGRATED);
        assertThat(v2CgroupOf(child.pid())).isEqualTo("/" + v2Root.relativize(job));
        assertThat(launcher.migratedSpawnCount()).isEqualTo(1);
        child.kill();
        child.waitFor();
    }

    @Test
    void aGroupThatDoesNotExistIsATypedError() {
        Path missing = testGroup.resolve("missing");
        SpawnException e = org.junit.jupiter.api.Assertions.assertThrows(SpawnException.class,
                () -> launcher.spawn(Command.of("/bin/true").cgroup(missing)));
        assertThat(e.syscall()).isEqualTo("open");
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.path()).isEqualTo(missing.toString());
    }

    @Test
    void aDirectoryThatIsNotACgroupIsATypedError(@TempDir Path plain) {
        SpawnException e = org.junit.jupiter.api.Assertions.assertThrows(SpawnException.class,
                () -> launcher.spawn(Command.of("/bin/true").cgroup(plain)));
        assertThat(e.syscall()).isEqualTo("clone3(CLONE_INTO_CGROUP)");
        assertThat(e.errno()).isEqualTo(Errno.EBADF);
        assertThat(e.path()).isEqualTo(plain.toString());
    }

    @Test
    void aChildThatCannotBeMigratedIsKilledAndReaped() {
        Path missing = testGroup.resolve("missing");
        SpawnException e = org.junit.jupiter.api.Assertions.assertThrows(SpawnException.class,
                () -> launcher.spawn(Command.of("sleep", "30").cgroup(missing).usePosixSpawn()));
        assertThat(e.syscall()).isEqualTo("open");
        assertThat(e.path()).isEqualTo(missing.resolve("cgroup.procs").toString());
        assertThat(launcher.liveChildren()).isZero(); // and @AfterEach finds no zombie
    }

    /** The cgroup2 mount: /sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on unified ones. */
    static Path cgroup2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] fields = line.split(" ");
            if (fields.length > 2 && fields[2].equals("cgroup2")) return Path.of(fields[1]);
        }
        return null;
    }

    private static String v2CgroupOf(int pid) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "cgroup"));
        return lines.stream().filter(l -> l.startsWith("0::")).findFirst().orElseThrow().substring(3);
    }

    /** rmdir, retried briefly: a killed child leaves its group a moment after it is reaped. */
    static void removeGroup(Path group) throws IOException, InterruptedException {
        if (group == null || !Files.exists(group)) return;
        for (int i = 0; i < 100; i++) {
            try {
                Files.delete(group);
                return;
            } catch (java.nio.file.FileSystemException busy) {
                Thread.sleep(20);
            }
        }
        Files.delete(group);
    }
}
