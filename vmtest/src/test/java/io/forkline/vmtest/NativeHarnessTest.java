package io.forkline.vmtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.vmtest.JUnitXml.TestCase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * The native library the jar carries, driven from C (native/src/test/c/harness.c) in the hosts
 * this build's JVM cannot be: a musl process, a process with Debian 11's glibc 2.31, and an
 * aarch64 Linux booted under qemu-system-aarch64. The harness writes a JUnit XML report; each of
 * its cases is replayed here as a dynamic test, as the full-cgroup-v2 tier replays its guest's.
 *
 * <p>The libraries are taken from the test classpath, {@code META-INF/native/linux-ARCH/}, so what
 * runs is what the jar carries. The aarch64 VM follows the VM tier's rules: a developer may skip
 * it with {@code -Dforkline.vm.skip=true} or {@code FORKLINE_VM=skip}, CI never.
 */
class NativeHarnessTest {
    /** Every case harness.c runs; a report with fewer means the harness stopped early. */
    private static final int HARNESS_CASES = 19;
    private static final Duration HOST_HARNESS_LIMIT = Duration.ofMinutes(5);
    private static final String REPORT_BEGIN = "----- forkline-harness report begin -----";
    private static final String REPORT_END = "----- forkline-harness report end -----";

    @TestFactory
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    Stream<DynamicNode> theX86LibraryUnderEachCLibrary() throws Exception {
        Path library = extract("x86_64");
        List<DynamicNode> nodes = new ArrayList<>();
        for (String kind : List.of("glibc", "musl", "glibc-2.31")) {
            Path work = workDir().resolve(kind);
            Exit exit;
            try (Launcher launcher = Launcher.create()) {
                exit = launcher.spawn(Command.of(harnessScript().toString(), kind, library.toString(), work.toString())
                        .stdin(Stdio.readFrom(Path.of("/dev/null")))
                        .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(HOST_HARNESS_LIMIT)).waitFor();
            }
            // What it was built with and against (toolchain and sysroot versions), every run.
            exit.stderr().text().lines().forEach(System.out::println);
            Path report = work.resolve(kind + ".xml");
            List<TestCase> cases = Files.exists(report) ? JUnitXml.read(report) : List.of();
            List<DynamicNode> children = new ArrayList<>();
            children.add(DynamicTest.dynamicTest("[" + kind + "] the harness ran every case", () -> {
                if (exit.statusCode() > 1 || !Files.exists(report)) {
                    fail("harness.sh " + kind + " " + exit.describe() + ":\n" + exit.stderr().text());
                }
                assertEquals(HARNESS_CASES, cases.size(), "cases in " + report + "\n" + exit.stderr().text());
            }));
            cases.stream().map(c -> JUnitXml.replay("[" + kind + "]", c)).forEach(children::add);
            nodes.add(DynamicContainer.dynamicContainer(kind, children));
        }
        return nodes.stream();
    }

    @TestFactory
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    Stream<DynamicNode> theAarch64LibraryInAnArm64Vm() throws Exception {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        boolean skip = Boolean.getBoolean("forkline.vm.skip") || "skip".equals(System.getenv("FORKLINE_VM"));
        if (skip && ci) fail("the arm64 VM is never skipped in CI (CI=true)");
        if (skip) {
            String why = "the arm64 VM was skipped on request (-Dforkline.vm.skip=true or FORKLINE_VM=skip): "
                    + "the aarch64 library is NOT tested in this build";
            System.out.println("forkline-vm: WARNING: " + why);
            Assumptions.abort(why);
        }
        Path work = workDir().resolve("aarch64");
        try (Launcher launcher = Launcher.create()) {
            Exit built = launcher.spawn(Command.of(harnessScript().toString(), "aarch64", extract("aarch64").toString(), work.toString())
                    .stdin(Stdio.readFrom(Path.of("/dev/null")))
                    .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(HOST_HARNESS_LIMIT)).waitFor();
            if (!built.success()) fail("harness.sh aarch64 " + built.describe() + ":\n" + built.stderr().text());
            built.stderr().text().lines().forEach(System.out::println);
        }
        Path console = work.resolve("console.log");
        long start = System.nanoTime();
        Exit qemu = VmRun.bootArm64(Path.of(required("forkline.vm.scripts")), work.resolve("payload"), console,
                Duration.parse(required("forkline.vm.arm64.timeout")));
        System.out.println("forkline-vm: the arm64 VM ran " + Duration.ofNanos(System.nanoTime() - start).toMillis()
                + " ms (qemu " + qemu.describe() + "); console: " + console);
        String log = Files.exists(console) ? Files.readString(console, StandardCharsets.ISO_8859_1) : "";
        int begin = log.indexOf(REPORT_BEGIN);
        int end = log.indexOf(REPORT_END, Math.max(begin, 0));
        List<TestCase> cases = new ArrayList<>();
        if (begin >= 0 && end > begin) {
            // The serial console ends its lines with CR LF.
            Path report = work.resolve("aarch64.xml");
            Files.writeString(report, log.substring(begin + REPORT_BEGIN.length(), end).replace("\r", "").strip(), StandardCharsets.UTF_8);
            cases.addAll(JUnitXml.read(report));
        }
        List<DynamicNode> nodes = new ArrayList<>();
        nodes.add(DynamicTest.dynamicTest("[aarch64 vm] booted, ran every case and powered off", () -> {
            String tail = tail(log, 60);
            if (qemu.timedOut()) fail("the arm64 VM did not power off within " + required("forkline.vm.arm64.timeout") + "\n" + tail);
            assertTrue(begin >= 0 && end > begin, "no harness report on the console\n" + tail);
            assertEquals(HARNESS_CASES, cases.size(), "cases in the report\n" + tail);
            assertTrue(cases.getFirst().className().startsWith("harness.aarch64."), "the report's host: " + cases.getFirst().className());
            assertTrue(qemu.success(), "qemu " + qemu.describe() + "\n" + tail);
        }));
        cases.stream().map(c -> JUnitXml.replay("[aarch64 vm]", c)).forEach(nodes::add);
        return nodes.stream();
    }

    /** The jar's library for {@code arch}, copied out of the classpath as the launcher would. */
    private static Path extract(String arch) throws IOException {
        String resource = "META-INF/native/linux-" + arch + "/libforkline.so";
        Path target = workDir().resolve("lib-" + arch).resolve("libforkline.so");
        Files.createDirectories(target.getParent());
        try (InputStream in = NativeHarnessTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) fail("the classpath carries no " + resource + ": the native build left out linux-" + arch);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static Path workDir() throws IOException {
        return Files.createDirectories(Path.of(required("forkline.vm.dir")).resolve("harness"));
    }

    private static Path harnessScript() {
        return Path.of(required("forkline.harness.script"));
    }

    private static String tail(String log, int lines) {
        String[] all = log.replace("\r", "").split("\n");
        return "--- last lines of the console ---\n" + String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: run this through Maven (vmtest/pom.xml sets it)");
        }
        return value;
    }
}
