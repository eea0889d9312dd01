package io.forkline;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh launcher per test, and a check after it that the test left nothing behind: fds,
 * threads, zombies, child stacks, native memory (see {@link ProcessResources}).
 */
abstract class LeakCheckedTest {
    protected Launcher launcher;
    private ProcessResources before;

    @BeforeEach
    final void openLauncher() throws Exception {
        before = ProcessResources.baseline();
        launcher = Launcher.create();
    }

    @AfterEach
    final void closeLauncherAndCheckForLeaks() throws Exception {
        beforeClose();
        launcher.close();
        ProcessResources.now().assertNothingLeakedSince(before);
    }

    /** Runs before the launcher closes; tests override it to check the launcher still works. */
    protected void beforeClose() throws Exception {}
}
