package io.forkline.vmtest;

import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One boot of the full-cgroup-v2 VM ({@code scripts/vm/boot.sh}): writes the guest JVM's
 * arguments (the JUnit console launcher on the given classpath and selectors, reporting into
 * the output share), runs {@code prepare.sh}, then boots qemu with a time limit, and reads back
 * what the guest left in the output directory.
 *
 * <p>qemu is started with forkline's own {@link Launcher}, so it is killed through the pidfd
 * this run holds when it overruns ({@link Command#timeout(Duration)}: SIGTERM, then SIGKILL).
 */
final class VmRun {
    /** Other engineers' benchmarks create this file to ask for a quiet machine. */
    static final Path QUIET_FILE = Path.of("/tmp/forkline-quiet");
    private static final Duration QUIET_POLL = Duration.ofSeconds(10);
    /**
     * How long a boot defers to {@link #QUIET_FILE}: benchmarks stop by themselves well within
     * it, so a file still there after it was left behind, and must not hold the build (or CI,
     * which has its own time limit) for ever.
     */
    static final Duration QUIET_LIMIT = Duration.ofMinutes(10);
    private static final Duration PREPARE_LIMIT = Duration.ofMinutes(10);
    /** prepare.sh's exit status when the exact kernel build asked for is neither cached nor served. */
    private static final int NOT_SERVED = 3;
    /** Each in-VM test method's limit, in JUnit's format. */
    private static final String TEST_TIMEOUT = "3m";
    /** In the output share: {@link GuestProgress}'s log of each in-VM test's start and end. */
    private static final String PROGRESS_LOG = "progress.log";

    private final Path dir;
    private final Path scripts;
    private final Duration limit;
    private final Kernel kernel;
    private final int cpus;

    /**
     * @param kernel the guest kernel: a series (the newest build the mirror serves) or one exact build
     * @param cpus the guest's CPUs
     */
    VmRun(Path dir, Path scripts, Duration limit, Kernel kernel, int cpus) {
        this.dir = dir;
        this.scripts = scripts;
        this.limit = limit;
        this.kernel = kernel;
        this.cpus = cpus;
    }

    /**
     * Which guest kernel to boot.
     *
     * @param series as prepare.sh's FORKLINE_VM_KERNEL takes it: 6.1 or 6.12
     * @param exactPackage one exact build (FORKLINE_VM_KERNEL_PACKAGE, a linux-image package), or
     *     null for the newest build of the series that the mirror serves today
     */
    record Kernel(String series, String exactPackage) {
        static Kernel newest(String series) {
            return new Kernel(series, null);
        }
    }

    /** The exact kernel build asked for is not in the cache, and the mirror does not serve it (any more). */
    static final class KernelNotServedException extends IOException {
        private static final long serialVersionUID = 1L;

        KernelNotServedException(String message) {
            super(message);
        }
    }

    /**
     * What prepare.sh chose and made, from its {@code key=value} lines.
     *
     * @param packageName the kernel's linux-image package
     * @param debianVersion its Debian version
     * @param release the kernel's release (uname -r in the guest)
     */
    record Prepared(String packageName, String debianVersion, String release) {
        static Prepared parse(String lines) {
            java.util.Map<String, String> values = new java.util.HashMap<>();
            lines.lines().forEach(l -> {
                int eq = l.indexOf('=');
                if (eq > 0) values.put(l.substring(0, eq), l.substring(eq + 1));
            });
            for (String key : List.of("package", "debian_version", "version")) {
                if (!values.containsKey(key)) throw new IllegalStateException("prepare.sh printed no " + key + "=: " + lines);
            }
            return new Prepared(values.get("package"), values.get("debian_version"), values.get("version"));
        }

        @Override
        public String toString() {
            return packageName + " " + debianVersion;
        }
    }

    /**
     * What one boot left behind.
     *
     * @param image the kernel build that was booted
     * @param exit how qemu ended
     * @param wallTime from qemu's start to its end
     * @param quietWait how long the run waited for {@link #QUIET_FILE} to go
     * @param console the serial console's log
     * @param out the output share: reports/, progress.log, exit-status, init-error
     */
    record Result(Prepared image, Exit exit, Duration wallTime, Duration quietWait, Path console, Path out) {
        /** @return which in-VM tests ended and which were running when the log stopped */
        GuestProgress.Summary progress() throws IOException {
            return GuestProgress.read(out.resolve(PROGRESS_LOG));
        }

        /** @return the guest JVM's exit status, or -1 when it did not get that far */
        int guestStatus() throws IOException {
            Path status = out.resolve("exit-status");
            return Files.exists(status) ? Integer.parseInt(Files.readString(status).strip()) : -1;
        }

        /** @return what init reported before it gave up, or null */
        String initError() throws IOException {
            Path error = out.resolve("init-error");
            return Files.exists(error) ? Files.readString(error).strip() : null;
        }

        /** @return the XML reports the console launcher wrote */
        List<Path> reports() throws IOException {
            Path reports = out.resolve("reports");
            if (!Files.isDirectory(reports)) return List.of();
            try (Stream<Path> files = Files.list(reports)) {
                return files.filter(f -> f.getFileName().toString().endsWith(".xml")).sorted().toList();
            }
        }

        /** @return the console's last {@code lines} lines, for failure messages */
        String consoleTail(int lines) throws IOException {
            if (!Files.exists(console)) return "(no console log at " + console + ")";
            List<String> all = Files.readAllLines(console, java.nio.charset.StandardCharsets.ISO_8859_1);
            return "--- last " + Math.min(lines, all.size()) + " lines of " + console + " ---\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }
    }

    /**
     * Boots the VM once and runs the guest JVM with {@code jvmArgs} before the main class and
     * {@code launcherArgs} after {@code ConsoleLauncher execute}.
     */
    Result run(List<String> classpath, List<String> jvmArgs, List<String> launcherArgs)
            throws IOException, InterruptedException {
        Path out = dir.resolve("out");
        deleteTree(out);
        Files.createDirectories(out.resolve("reports"));
        Path console = dir.resolve("console.log");
        Files.deleteIfExists(console);

        List<String> args = new ArrayList<>(jvmArgs);
        args.add("-D" + GuestProgress.PROPERTY + "=" + out.resolve(PROGRESS_LOG));
        args.add("-cp");
        args.add(String.join(":", classpath));
        args.add("org.junit.platform.console.ConsoleLauncher");
        args.add("execute");
        args.add("--disable-banner");
        args.add("--disable-ansi-colors");
        args.add("--details=tree");
        args.add("--fail-if-no-tests");
        args.add("--reports-dir=" + out.resolve("reports"));
        // The longest in-VM test takes about 25 s: one that hangs fails with a thread dump on the
        // console, and the run goes on, rather than holding the VM until it is killed.
        args.add("--config=junit.jupiter.execution.timeout.default=" + TEST_TIMEOUT);
        args.add("--config=junit.jupiter.execution.timeout.threaddump.enabled=true");
        args.addAll(launcherArgs);
        List<String> lines = new ArrayList<>();
        for (String a : args) {
            // One argument per line: refuse what an @argfile would split or unescape, and quote a
            // '#' (a method selector's), which would begin a comment outside quotes.
            if (!a.matches("[^\\s\"'\\\\]+")) throw new IllegalArgumentException("cannot pass to the guest JVM: " + a);
            lines.add(a.contains("#") ? "\"" + a + "\"" : a);
        }
        Files.write(out.resolve("java.args"), lines);

        Duration quietWait = waitForQuiet();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (Launcher launcher = Launcher.create()) {
            Command prepare = Command.of(scripts.resolve("prepare.sh").toString());
            prepare = kernel.exactPackage() != null ? prepare.env("FORKLINE_VM_KERNEL_PACKAGE", kernel.exactPackage())
                    : prepare.env("FORKLINE_VM_KERNEL", kernel.series());
            Exit prepared = launcher.spawn(prepare.stdin(Stdio.readFrom(Path.of("/dev/null")))
                    .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(PREPARE_LIMIT)).waitFor();
            if (prepared.exitCode() == NOT_SERVED && kernel.exactPackage() != null) {
                throw new KernelNotServedException(prepared.stderr().text().strip());
            }
            if (!prepared.success()) {
                throw new IOException("scripts/vm/prepare.sh " + prepared.describe() + ":\n" + prepared.stderr().text());
            }
            // What the boot is made of (the kernel package, its Debian version, where it came
            // from and its digest; qemu's version): in the test output, every run.
            prepared.stderr().text().lines().forEach(System.out::println);
            Prepared image = Prepared.parse(prepared.stdout().text());
            long start = System.nanoTime();
            Exit exit = launcher.spawn(Command.of(scripts.resolve("boot.sh").toString(), "--out", out.toString(),
                            "--java", java, "--mem", "2G", "--smp", Integer.toString(cpus))
                    // The very build prepare.sh chose: boot.sh prepares again, and must not pick another.
                    .env("FORKLINE_VM_KERNEL_PACKAGE", image.packageName())
                    // qemu reads the serial console's input from stdin: give it none, never Surefire's channel.
                    .stdin(Stdio.readFrom(Path.of("/dev/null")))
                    .stdout(Stdio.writeTo(console)).stderr(Stdio.mergeIntoStdout())
                    .timeout(limit).killGrace(Duration.ofSeconds(5))).waitFor();
            return new Result(image, exit, Duration.ofNanos(System.nanoTime() - start), quietWait, console, out);
        }
    }

    /**
     * Boots the arm64 VM once ({@code boot.sh --arch arm64}) with {@code payload} as its
     * initramfs, whose {@code /init} runs and powers the VM off; the serial console goes to
     * {@code console}. Emulated, as the x86_64 tier is, and under the same time limit.
     */
    static Exit bootArm64(Path scripts, Path payload, Path console, Duration limit) throws IOException, InterruptedException {
        Files.deleteIfExists(console);
        waitForQuiet();
        try (Launcher launcher = Launcher.create()) {
            // The kernel download on first use is bounded apart, as the x86_64 tier's is.
            Exit prepared = launcher.spawn(Command.of(scripts.resolve("prepare.sh").toString())
                    .env("FORKLINE_VM_ARCH", "arm64").env("FORKLINE_VM_PAYLOAD", payload.toString())
                    .stdin(Stdio.readFrom(Path.of("/dev/null")))
                    .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(PREPARE_LIMIT)).waitFor();
            if (!prepared.success()) {
                throw new IOException("FORKLINE_VM_ARCH=arm64 scripts/vm/prepare.sh " + prepared.describe() + ":\n" + prepared.stderr().text());
            }
            prepared.stderr().text().lines().forEach(System.out::println); // the kernel build and qemu, every run
            return launcher.spawn(Command.of(scripts.resolve("boot.sh").toString(), "--arch", "arm64", "--payload", payload.toString())
                    .stdin(Stdio.readFrom(Path.of("/dev/null")))
                    .stdout(Stdio.writeTo(console)).stderr(Stdio.mergeIntoStdout())
                    .timeout(limit).killGrace(Duration.ofSeconds(5))).waitFor();
        }
    }

    private static Duration waitForQuiet() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + QUIET_LIMIT.toNanos();
        boolean said = false;
        while (Files.exists(QUIET_FILE)) {
            if (System.nanoTime() - deadline >= 0) {
                System.out.println("forkline-vm: WARNING: " + QUIET_FILE + " is still there after " + QUIET_LIMIT.toMinutes()
                        + " minutes: taken as left behind; booting the VM anyway");
                break;
            }
            if (!said) {
                System.out.println("forkline-vm: " + QUIET_FILE + " exists: waiting up to " + QUIET_LIMIT.toMinutes()
                        + " minutes for it to go before booting the VM");
                said = true;
            }
            Thread.sleep(QUIET_POLL); // a file another engineer removes; there is nothing to wait on but time
        }
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        if (said) System.out.println("forkline-vm: waited " + waited.toSeconds() + " s for " + QUIET_FILE);
        return waited;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
