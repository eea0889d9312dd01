package io.forkline.vmtest;

import static org.junit.jupiter.api.Assertions.fail;

import io.forkline.vmtest.JUnitXml.Outcome;
import io.forkline.vmtest.JUnitXml.TestCase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * The full-cgroup-v2 tier. This project's hosts are hybrid (memory, pids and cpu on cgroup v1,
 * and forkline never writes to the v1 memory hierarchy), so memory.max, OOM kills, cpu.max,
 * io.max and v2 pids.max are tested in a VM booted with every controller on v2: qemu (TCG) with
 * a Debian kernel ({@code forkline.vm.kernel}, 6.1 by default), the host's root shared read-only
 * and the host's JDK run in it ({@code scripts/vm/}). The VM is booted once for the tier, and once
 * more, briefly, with {@code forkline.vm.extra.kernel} (6.12) for the tests whose behaviour
 * depends on the kernel; every test case the guest reports becomes a dynamic test here, which
 * fails with the guest's failure message and stack trace or is skipped with the guest's reason,
 * so that Surefire's report shows each in-VM test and a failure fails the build. The raw reports
 * and the serial console stay in {@code target/vm/} (and {@code target/vm/6.12/}).
 *
 * <p>A developer may skip the tier with {@code -Dforkline.vm.skip=true} or
 * {@code FORKLINE_VM=skip}; with {@code CI=true} the tier is never skipped, and a VM that cannot
 * start fails the build.
 */
class FullV2TierTest {
    private static final int CONSOLE_LINES = 80;

    @TestFactory
    // Not the build's 10-minute default: this one boots the VM, and is bounded by its own limits
    // (prepare.sh 10 minutes, the quiet-file wait 10 minutes, the VM forkline.vm.timeout).
    @Timeout(value = 2, unit = TimeUnit.HOURS)
    Stream<DynamicNode> testsInAFullCgroupV2Vm() throws Exception {
        return boot(VmRun.Kernel.newest(required("forkline.vm.kernel")), required("forkline.vm.tests"), Path.of(required("forkline.vm.dir")),
                2, "[vm]", List.of());
    }

    /**
     * A second, short boot with the newest build of another series, for the tests whose
     * behaviour depends on the kernel: the per-fd reset of memory.peak that pooled groups use is
     * Linux 6.12's, and whether a child born into a killed group is SIGKILLed differs between
     * builds. Off when {@code forkline.vm.extra.kernel} is empty.
     */
    @TestFactory
    @Timeout(value = 2, unit = TimeUnit.HOURS)
    Stream<DynamicNode> kernelDependentTestsInAVmWithAnotherKernel() throws Exception {
        String kernel = System.getProperty("forkline.vm.extra.kernel", "");
        if (kernel.isBlank()) {
            Assumptions.abort("no extra kernel asked for (forkline.vm.extra.kernel is empty)");
        }
        if (kernel.equals(required("forkline.vm.kernel"))) {
            Assumptions.abort("the main tier runs on Linux " + kernel + " already (forkline.vm.kernel)");
        }
        // One CPU: on 2026-12-03 a 6.12 guest with two emulated CPUs died once in six boots of an
        // int3 Oops in set_next_task_fair, as a test's cpu.max flipped a static key (text_poke_bp)
        // while the other CPU ran that code. With one CPU nothing runs beside the patching, and
        // these tests need no second one.
        return boot(VmRun.Kernel.newest(kernel), required("forkline.vm.extra.tests"), Path.of(required("forkline.vm.dir")).resolve(kernel),
                1, "[vm " + kernel + "]", List.of());
    }

    /**
     * The tests that depend on one behaviour ({@code forkline.vm.pinned.tests}) once more, on one
     * exact, older build ({@code forkline.vm.pinned.kernel}) that behaves the other way from the
     * newest build of its series: Debian's 6.12 builds SIGKILLed a child born into a killed
     * group up to 6.12.113 and stopped at 6.12.115 (seen 2026-12-07), so this boot keeps the other
     * behaviour tested on the same series. The guest is told what the build was pinned for
     * ({@code forkline.vm.pinned.expect}, e.g. {@code birthAfterKill=KILLED}) and its probe must
     * find it, so the pin cannot go stale unnoticed. When the mirror no longer serves the build
     * and it is not cached, the boot is skipped and says so loudly: the mirror's archive, not this
     * project, decides how long an old build stays.
     */
    @TestFactory
    @Timeout(value = 2, unit = TimeUnit.HOURS)
    Stream<DynamicNode> kernelDependentTestsOnAPinnedBuildThatBehavesTheOtherWay() throws Exception {
        String pinned = System.getProperty("forkline.vm.pinned.kernel", "");
        if (pinned.isBlank()) Assumptions.abort("no pinned kernel asked for (forkline.vm.pinned.kernel is empty)");
        String expect = required("forkline.vm.pinned.expect");
        String release = pinned.replaceFirst("^linux-image-", "").replaceFirst("-unsigned$", "");
        return boot(new VmRun.Kernel(null, pinned), required("forkline.vm.pinned.tests"), Path.of(required("forkline.vm.dir")).resolve(release),
                1, "[vm " + release + ", pinned for " + expect + "]", List.of("-Dforkline.vm.expect." + expect));
    }

    /**
     * Boots the VM with {@code kernel} (a series prepare.sh knows) and {@code cpus} CPUs, runs the
     * {@code tests} selectors in it with its console and reports under {@code runDir}, and
     * replays each in-VM test case as a dynamic test named {@code label CLASS > method()}.
     */
    private static Stream<DynamicNode> boot(VmRun.Kernel kernel, String tests, Path runDir, int cpus, String label,
            List<String> guestProperties) throws Exception {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        boolean skip = Boolean.getBoolean("forkline.vm.skip") || "skip".equals(System.getenv("FORKLINE_VM"));
        if (skip && ci) {
            fail("the full-cgroup-v2 VM tier is never skipped in CI (CI=true); -Dforkline.vm.skip=true and "
                    + "FORKLINE_VM=skip are for developer machines");
        }
        if (skip) {
            String why = "the full-cgroup-v2 VM tier was skipped on request (-Dforkline.vm.skip=true or FORKLINE_VM=skip): "
                    + "memory.max, OOM kills, cpu.max, io.max and v2 pids.max are NOT tested in this build";
            // Surefire counts an aborted factory as no test at all, so say it where the build log shows it.
            System.out.println("forkline-vm: WARNING: " + why);
            Assumptions.abort(why);
        }

        Path dir = Path.of(required("forkline.vm.dir"));
        List<String> classpath = new ArrayList<>();
        classpath.add(dir.resolve("junit-platform-console-standalone.jar").toString());
        classpath.add(required("forkline.vm.testClasses"));
        for (String extra : required("forkline.vm.extraClasspath").split(":")) {
            if (Files.isDirectory(Path.of(extra))) classpath.add(extra);
        }
        String deps = Files.readString(dir.resolve("classpath.txt")).strip();
        if (!deps.isEmpty()) classpath.addAll(Arrays.asList(deps.split(":")));

        List<String> jvmArgs = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED",
                // C1 only: under emulation the short tests are over before C2 would pay off.
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m", "-Djava.io.tmpdir=/tmp",
                "-Dforkline.vm.guest=true"));
        jvmArgs.addAll(guestProperties);
        List<String> selectors = new ArrayList<>();
        for (String s : tests.split(",")) {
            String[] kind = s.strip().split(":", 2);
            if (kind.length != 2 || !List.of("package", "class", "method").contains(kind[0])) {
                throw new IllegalArgumentException("forkline.vm.tests: expected package:NAME, class:NAME or "
                        + "method:CLASS#NAME, got " + s);
            }
            selectors.add("--select-" + kind[0] + "=" + kind[1]);
        }

        VmRun.Result result;
        try {
            result = new VmRun(runDir, Path.of(required("forkline.vm.scripts")),
                    Duration.parse(required("forkline.vm.timeout")), kernel, cpus).run(classpath, jvmArgs, selectors);
        } catch (VmRun.KernelNotServedException e) {
            String why = "the pinned kernel " + kernel.exactPackage() + " is neither cached nor served by the mirror today, "
                    + "so the behaviour it was pinned for is NOT tested in this run: " + e.getMessage();
            System.out.println("forkline-vm: WARNING: " + why);
            return Assumptions.abort(why);
        }
        System.out.println("forkline-vm: the VM (" + result.image() + ") ran "
                + result.wallTime().toMillis() + " ms (qemu " + result.exit().describe()
                + ")" + (result.quietWait().toSeconds() < 1 ? "" : ", after waiting " + result.quietWait().toSeconds()
                + " s for " + VmRun.QUIET_FILE) + "; console: " + result.console() + ", reports: " + result.out().resolve("reports"));

        List<TestCase> cases = new ArrayList<>();
        for (Path report : result.reports()) cases.addAll(JUnitXml.read(report));
        List<DynamicNode> nodes = new ArrayList<>();
        nodes.add(DynamicTest.dynamicTest("the VM (" + result.image() + ") booted and its JVM ran the tests to the end",
                () -> checkRun(result, cases)));
        cases.stream().sorted(Comparator.comparing(TestCase::className).thenComparing(TestCase::name))
                .map(c -> JUnitXml.replay(label, c)).forEach(nodes::add);
        return nodes.stream();
    }

    /** The VM itself: it booted, init got to Java, Java ended by itself, and the reports agree with its status. */
    private static void checkRun(VmRun.Result result, List<TestCase> cases) throws IOException {
        if (result.exit().timedOut()) {
            fail("the VM did not finish within " + System.getProperty("forkline.vm.timeout") + " and was killed. "
                    + result.progress().describe() + "\n" + result.consoleTail(CONSOLE_LINES));
        }
        String initError = result.initError();
        if (initError != null) fail("the VM's init gave up: " + initError + "\n" + result.consoleTail(CONSOLE_LINES));
        int status = result.guestStatus();
        if (status < 0) {
            fail("the VM ended (" + result.exit().describe() + ") without the guest JVM's exit status. "
                    + result.progress().describe() + "\n" + result.consoleTail(CONSOLE_LINES));
        }
        if (cases.isEmpty()) fail("the guest JVM (exit status " + status + ") reported no tests\n" + result.consoleTail(CONSOLE_LINES));
        boolean failed = cases.stream().anyMatch(c -> c.outcome() == Outcome.FAILED);
        // The console launcher exits 1 when a test failed; anything else means the JVM itself failed.
        if (status != 0 && !(status == 1 && failed)) {
            fail("the guest JVM exited " + status + (failed ? "" : " with no failed test") + "\n" + result.consoleTail(CONSOLE_LINES));
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: run this through Maven (vmtest/pom.xml sets it)");
        }
        return value;
    }
}
