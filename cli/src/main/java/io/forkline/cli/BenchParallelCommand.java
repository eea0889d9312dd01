package io.forkline.cli;

import io.forkline.sys.shim.NativeTool;
import io.forkline.Command;
import io.forkline.Exit;
import io.forkline.Launcher;
import io.forkline.Stdio;
import io.forkline.parallel.ParallelRunner;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * {@code forkline bench parallel} (issue 11): one job list through several job runners, each a
 * process of its own started as a user starts it, interleaved round by round so that the
 * machine's noise falls on all of them alike:
 * <ul>
 *   <li>{@code forkline}: {@code forkline parallel -j J -a LIST CMD}, in a JVM started as the
 *       {@code ./forkline} script starts it (start-up included: that is what a user pays);
 *   <li>{@code forkline-cgroup}: the same with {@code --pids 64}, a cgroup per job;
 *   <li>{@code xargs}: {@code xargs -a LIST -d '\n' -n 1 -P J CMD};
 *   <li>{@code gnu-parallel}: {@code parallel -j J -a LIST CMD}, skipped (and said so) when GNU
 *       parallel is not installed ({@code scripts/setup.sh} installs it).
 * </ul>
 * Two workloads: {@code /bin/true} n times, and {@code gzip -kf} of small generated files. Every
 * runner runs under {@code forkline-owncpu} (native/src/main/c/tools/owncpu.c), which reports the
 * runner's wall time and its own CPU time, apart from its jobs'. Each result is the median over
 * the rounds. Every run is checked: exit status 0, forkline's summary names every job as
 * succeeded, every file has its .gz, and no cgroup of a forkline runner is left behind.
 */
@picocli.CommandLine.Command(
        name = "parallel",
        mixinStandardHelpOptions = true,
        description = {
            "Runs one job list through job runners, each as its own process, interleaved over --rounds: forkline parallel, "
                    + "forkline parallel --pids 64 (a cgroup per job), xargs -P and GNU parallel (skipped when not installed; "
                    + "scripts/setup.sh installs it). Workloads: /bin/true --n times, and gzip -kf of --files generated files.",
            "Reports per runner and workload the median jobs/s (jobs / wall time of the whole runner process, start-up "
                    + "included), ratios to xargs and GNU parallel, and the runner's own CPU per job (its threads only, its jobs "
                    + "excluded), then the targets of issue 11 and whether each was met. Each runner first runs a 20-job list "
                    + "of each workload, untimed, so that its files are in the page cache."
        })
final class BenchParallelCommand implements Callable<Integer> {
    /** The JSON keys of the contract, in order. */
    static final List<String> JSON_KEYS = List.of("runner", "workload", "jobs", "jobs_per_sec", "runner_cpu_us_per_job");

    /** What every JVM that runs the CLI needs, whoever starts it: the native shim is loaded with System.load (JNI). */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    private static final int WARMUP_JOBS = 20;
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);
    private static final Pattern FORKLINE_SUMMARY =
            Pattern.compile("(?m)^forkline parallel: (\\d+) jobs: (\\d+) succeeded, (\\d+) failed");

    @Option(names = "--n", defaultValue = "5000", description = "/bin/true jobs per run (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--files", defaultValue = "2000", description = "Files to gzip per run (default ${DEFAULT-VALUE}).")
    int files;

    @Option(names = "--rounds", defaultValue = "3",
            description = "Runs of every runner on every workload, round-robin; the median counts (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--jobs", defaultValue = "2", description = "Jobs at once, for every runner (default ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--runners", split = ",", defaultValue = "forkline,forkline-cgroup,xargs,gnu-parallel",
            description = "Runners to compare (default ${DEFAULT-VALUE}).")
    List<String> runnerNames;

    @Option(names = "--json", description = "Print a JSON array of {runner, workload, jobs, jobs_per_sec, runner_cpu_us_per_job}; "
            + "the targets go to stderr.")
    boolean json;

    /** A job runner under test: how it is started on a job list. */
    enum Runner {
        FORKLINE("forkline") {
            @Override
            List<String> argv(Tools tools, int jobs, Path list, List<String> command) {
                List<String> argv = new ArrayList<>(tools.forkline());
                argv.addAll(List.of("parallel", "-j", String.valueOf(jobs), "-a", list.toString()));
                argv.addAll(command);
                return argv;
            }

            @Override
            String label(int jobs) {
                return "forkline parallel";
            }
        },
        FORKLINE_CGROUP("forkline-cgroup") {
            @Override
            List<String> argv(Tools tools, int jobs, Path list, List<String> command) {
                List<String> argv = new ArrayList<>(tools.forkline());
                argv.addAll(List.of("parallel", "--pids", "64", "-j", String.valueOf(jobs), "-a", list.toString()));
                argv.addAll(command);
                return argv;
            }

            @Override
            String label(int jobs) {
                return "forkline parallel --pids 64";
            }
        },
        XARGS("xargs") {
            @Override
            List<String> argv(Tools tools, int jobs, Path list, List<String> command) {
                List<String> argv = new ArrayList<>(List.of(tools.xargs().toString(), "-a", list.toString(), "-d", "\n", "-n", "1",
                        "-P", String.valueOf(jobs)));
                argv.addAll(command);
                return argv;
            }

            @Override
            String label(int jobs) {
                return "xargs -P " + jobs;
            }
        },
        GNU_PARALLEL("gnu-parallel") {
            @Override
            List<String> argv(Tools tools, int jobs, Path list, List<String> command) {
                List<String> argv = new ArrayList<>(List.of(tools.gnuParallel().orElseThrow().toString(), "-j", String.valueOf(jobs),
                        "-a", list.toString()));
                argv.addAll(command);
                return argv;
            }

            @Override
            String label(int jobs) {
                return "GNU parallel -j " + jobs;
            }
        };

        final String id;

        Runner(String id) {
            this.id = id;
        }

        abstract List<String> argv(Tools tools, int jobs, Path list, List<String> command);

        abstract String label(int jobs);

        boolean isForkline() {
            return this == FORKLINE || this == FORKLINE_CGROUP;
        }

        static Runner parse(String name) {
            for (Runner r : values()) {
                if (r.id.equals(name.trim().toLowerCase(Locale.ROOT))) return r;
            }
            throw new IllegalArgumentException("unknown runner '" + name + "': use forkline, forkline-cgroup, xargs or gnu-parallel");
        }
    }

    /** A workload: the command every runner runs once per line of the job list. */
    enum Workload {
        TRUE("true", "/bin/true"),
        GZIP("gzip", "gzip -kf");

        final String id;
        final String label;

        Workload(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    /** The programs the runners are made of, found once. */
    record Tools(List<String> forkline, Path xargs, Optional<Path> gnuParallel, Path gzip, Path ownCpu) {}

    /** What forkline-owncpu reported for one run of a runner. */
    record Measurement(int pid, long wallNanos, long ownCpuMicros, long childrenCpuMicros, long treeCpuMicros, int clockTicks,
            int exitCode, int signal, long otherCpuMicros) {
        static Measurement parse(String line) {
            Map<String, String> values = new HashMap<>();
            for (String pair : line.trim().split("\\s+")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2) values.put(kv[0], kv[1]);
            }
            try {
                return new Measurement(Integer.parseInt(values.get("pid")), Long.parseLong(values.get("wall_ns")),
                        Long.parseLong(values.get("own_user_us")) + Long.parseLong(values.get("own_sys_us")),
                        Long.parseLong(values.get("children_user_us")) + Long.parseLong(values.get("children_sys_us")),
                        Long.parseLong(values.get("tree_user_us")) + Long.parseLong(values.get("tree_sys_us")),
                        Integer.parseInt(values.get("clk_tck")), Integer.parseInt(values.get("exit_code")),
                        Integer.parseInt(values.get("signal")), -1);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("forkline-owncpu reported something unexpected: " + line, e);
            }
        }

        /**
         * @param busyTicks the host's busy CPU time over the run, from /proc/stat
         * @return this measurement with the CPU that other processes used meanwhile: the host's
         *     busy time less the runner's and its jobs'
         */
        Measurement withHostBusy(long busyTicks) {
            long others = Math.max(0, busyTicks * 1_000_000L / clockTicks - treeCpuMicros);
            return new Measurement(pid, wallNanos, ownCpuMicros, childrenCpuMicros, treeCpuMicros, clockTicks, exitCode, signal, others);
        }

        /** @return how many cores other processes kept busy on average during the run */
        double otherCores() {
            return otherCpuMicros * 1000.0 / wallNanos;
        }
    }

    /** One runner on one workload: the median of its rounds. */
    record Result(Runner runner, Workload workload, int jobs, long wallNanos, long ownCpuMicros, long childrenCpuMicros,
            long[] roundWallNanos) {
        double jobsPerSecond() {
            return jobs * 1e9 / wallNanos;
        }

        double runnerCpuMicrosPerJob() {
            return ownCpuMicros / (double) jobs;
        }

        Map<String, Object> json() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("runner", runner.id);
            fields.put("workload", workload.id);
            fields.put("jobs", jobs);
            fields.put("jobs_per_sec", jobsPerSecond());
            fields.put("runner_cpu_us_per_job", runnerCpuMicrosPerJob());
            return fields;
        }
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** For every timed run, the cores that other load (other processes, hypervisor steal) kept busy meanwhile. */
    private final List<Double> otherLoads = new ArrayList<>();

    /** A runner that failed or did not run every job: the measurement is void. */
    static final class RunFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        RunFailedException(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() throws Exception {
        Errors.requireAtLeast(spec, "--n", n, 1);
        Errors.requireAtLeast(spec, "--files", files, 1);
        Errors.requireAtLeast(spec, "--rounds", rounds, 1);
        Errors.requireAtLeast(spec, "--jobs", jobs, 1);
        List<Runner> runners = new ArrayList<>();
        for (String name : runnerNames) {
            Runner r;
            try {
                r = Runner.parse(name);
            } catch (IllegalArgumentException e) {
                throw Errors.usage(spec, e.getMessage());
            }
            if (!runners.contains(r)) runners.add(r);
        }
        Optional<Path> gnuParallel = findGnuParallel();
        if (runners.contains(Runner.GNU_PARALLEL) && gnuParallel.isEmpty()) {
            System.err.println("forkline bench parallel: GNU parallel is not installed (scripts/setup.sh installs it): "
                    + "skipping the gnu-parallel runner");
            runners.remove(Runner.GNU_PARALLEL);
        }
        if (runners.isEmpty()) throw Errors.usage(spec, "no runner left to measure");
        Path xargs = onPath("xargs").orElseThrow(() -> new IOException("xargs is not on the PATH (Debian: findutils)"));
        Path gzip = onPath("gzip").orElseThrow(() -> new IOException("gzip is not on the PATH"));

        List<String> forkline = forklineCommand();
        if (!json) System.err.println("forkline bench parallel: the forkline runners start as " + String.join(" ", forkline) + " parallel ...");
        Path work = Files.createTempDirectory("forkline-bench-parallel-");
        try {
            Path ownCpu = NativeTool.extract("forkline-owncpu");
            try (Launcher launcher = Launcher.builder().name("bench-parallel").build()) {
                Tools tools = new Tools(forkline, xargs, gnuParallel, gzip, ownCpu);
                List<Result> results = measure(launcher, tools, runners, work);
                report(results, runners);
            } catch (RunFailedException e) {
                System.err.println("forkline bench parallel: " + e.getMessage());
                return 1;
            } finally {
                Files.deleteIfExists(ownCpu);
            }
        } finally {
            deleteTree(work);
        }
        return 0;
    }

    /**
     * The command that starts the forkline CLI as {@code ./forkline parallel} does: this JVM's
     * java and JVM flags, and the jar this bench runs from. The script starts {@code bench} with
     * the flags it gives {@code parallel} (the native access, its AOT cache, the logging of that
     * cache off) except the compiler and GC, which it hands over in
     * {@code FORKLINE_PARALLEL_JVM_OPTIONS} and which come last, so that they win: the flags to
     * mirror are read from the one place they are written. Run from classes instead (the tests), the bench runs the CLI from
     * the same class path with the native access only: its own JVM's flags are the test runner's.
     */
    static List<String> forklineCommand() throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> argv = new ArrayList<>(List.of(java));
        Path codeSource;
        try {
            codeSource = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException("cannot tell where the forkline classes come from", e);
        }
        if (Files.isRegularFile(codeSource) && codeSource.toString().endsWith(".jar")) {
            List<String> flags = ManagementFactory.getRuntimeMXBean().getInputArguments();
            if (!flags.contains(NATIVE_ACCESS)) argv.add(NATIVE_ACCESS);
            argv.addAll(flags);
            String parallelOnly = System.getenv("FORKLINE_PARALLEL_JVM_OPTIONS");
            if (parallelOnly != null && !parallelOnly.isBlank()) argv.addAll(List.of(parallelOnly.strip().split("\\s+")));
            argv.addAll(List.of("-jar", codeSource.toString()));
        } else {
            argv.addAll(List.of(NATIVE_ACCESS, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        }
        return argv;
    }

    private List<Result> measure(Launcher launcher, Tools tools, List<Runner> runners, Path work) throws Exception {
        Path filesDir = Files.createDirectory(work.resolve("files"));
        List<Path> inputs = generateFiles(filesDir, files);
        Map<Workload, Path> lists = new EnumMap<>(Workload.class);
        Map<Workload, Path> warmupLists = new EnumMap<>(Workload.class);
        List<String> trueLines = new ArrayList<>();
        for (int i = 1; i <= n; i++) trueLines.add(String.valueOf(i));
        List<String> gzipLines = inputs.stream().map(Path::toString).toList();
        lists.put(Workload.TRUE, writeList(work.resolve("true.list"), trueLines));
        lists.put(Workload.GZIP, writeList(work.resolve("gzip.list"), gzipLines));
        warmupLists.put(Workload.TRUE, writeList(work.resolve("true-warmup.list"), trueLines.subList(0, Math.min(WARMUP_JOBS, n))));
        warmupLists.put(Workload.GZIP, writeList(work.resolve("gzip-warmup.list"), gzipLines.subList(0, Math.min(WARMUP_JOBS, files))));
        Map<Workload, Integer> jobCounts = Map.of(Workload.TRUE, n, Workload.GZIP, files);
        Map<Workload, Integer> warmupCounts = Map.of(Workload.TRUE, Math.min(WARMUP_JOBS, n), Workload.GZIP, Math.min(WARMUP_JOBS, files));

        for (Runner runner : runners) {
            for (Workload workload : Workload.values()) {
                if (!json) System.err.printf(Locale.ROOT, "warm-up: %s on %s (%d jobs)...%n", runner.label(jobs), workload.label,
                        warmupCounts.get(workload));
                run(launcher, tools, runner, workload, warmupLists.get(workload), warmupCounts.get(workload), filesDir, work);
            }
        }
        Map<String, List<Measurement>> runs = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (Workload workload : Workload.values()) {
                for (Runner runner : runners) {
                    if (!json) System.err.printf(Locale.ROOT, "round %d: %s on %s (%d jobs)...%n", round, runner.label(jobs), workload.label,
                            jobCounts.get(workload));
                    Measurement m = run(launcher, tools, runner, workload, lists.get(workload), jobCounts.get(workload), filesDir, work);
                    if (!json) System.err.printf(Locale.ROOT, "  %.0f jobs/s, runner CPU %.0f us/job; other load %.2f cores%n",
                            jobCounts.get(workload) * 1e9 / m.wallNanos(), m.ownCpuMicros() / (double) jobCounts.get(workload), m.otherCores());
                    runs.computeIfAbsent(runner.id + "/" + workload.id, k -> new ArrayList<>()).add(m);
                    otherLoads.add(m.otherCores());
                }
            }
        }
        List<Result> results = new ArrayList<>();
        for (Workload workload : Workload.values()) {
            for (Runner runner : runners) {
                List<Measurement> ms = runs.get(runner.id + "/" + workload.id);
                long[] walls = ms.stream().mapToLong(Measurement::wallNanos).toArray();
                results.add(new Result(runner, workload, jobCounts.get(workload), median(walls),
                        median(ms.stream().mapToLong(Measurement::ownCpuMicros).toArray()),
                        median(ms.stream().mapToLong(Measurement::childrenCpuMicros).toArray()), walls));
            }
        }
        return results;
    }

    /** One run of one runner on one job list, checked: every job ran, and nothing was left behind. */
    private Measurement run(Launcher launcher, Tools tools, Runner runner, Workload workload, Path list, int count, Path filesDir,
            Path work) throws Exception {
        if (workload == Workload.GZIP) deleteGzipped(filesDir);
        List<String> command = workload == Workload.TRUE ? List.of("/bin/true") : List.of(tools.gzip().toString(), "-kf");
        Path reportFile = work.resolve("owncpu.report");
        List<String> argv = new ArrayList<>(List.of(tools.ownCpu().toString(), reportFile.toString()));
        argv.addAll(runner.argv(tools, jobs, list, command));
        long busyBefore = hostBusyTicks();
        Exit exit = launcher.spawn(Command.of(argv)
                        .cwd(work)
                        .stdin(Stdio.readFrom(Path.of("/dev/null")))
                        .stdout(Stdio.capture(1 << 16))
                        .stderr(Stdio.capture(1 << 20))
                        .newProcessGroup()
                        .timeout(RUN_TIMEOUT))
                .waitFor();
        long busy = hostBusyTicks() - busyBefore;
        String what = runner.label(jobs) + " on " + workload.label;
        String output = tail(exit.stdout().text() + exit.stderr().text());
        if (!exit.success()) throw new RunFailedException("forkline-owncpu running " + what + " " + exit.describe() + ": " + output);
        Measurement m = Measurement.parse(Files.readString(reportFile)).withHostBusy(busy);
        Files.delete(reportFile);
        if (m.exitCode() != 0) {
            throw new RunFailedException(what + " " + (m.signal() != 0 ? "was killed by signal " + m.signal() : "exited " + m.exitCode())
                    + ": " + output);
        }
        if (runner.isForkline()) {
            Matcher summary = FORKLINE_SUMMARY.matcher(exit.stderr().text());
            if (!summary.find() || Integer.parseInt(summary.group(1)) != count || Integer.parseInt(summary.group(2)) != count) {
                throw new RunFailedException(what + " did not report " + count + " jobs succeeded: " + output);
            }
            List<Path> left = leftoverGroups(m.pid());
            if (!left.isEmpty()) throw new RunFailedException(what + " left cgroups behind: " + left);
        }
        if (workload == Workload.GZIP) {
            long gzipped = countGzipped(filesDir);
            if (gzipped != count) throw new RunFailedException(what + " made " + gzipped + " .gz files, not " + count + ": " + output);
        }
        return m;
    }

    private void report(List<Result> results, List<Runner> runners) {
        List<String> targets = targets(results);
        if (json) {
            System.out.println(Json.array(results.stream().map(Result::json).toList()));
            targets.forEach(System.err::println);
            return;
        }
        Table table = new Table("runner", "workload", "jobs", "jobs/s", "vs xargs", "vs GNU parallel", "runner CPU us/job",
                "jobs CPU us/job", "wall s", "jobs/s by round");
        for (Result r : results) {
            table.row(r.runner().label(jobs), r.workload().label, r.jobs(), String.format(Locale.ROOT, "%.0f", r.jobsPerSecond()),
                    ratio(r, results, Runner.XARGS), ratio(r, results, Runner.GNU_PARALLEL),
                    String.format(Locale.ROOT, "%.1f", r.runnerCpuMicrosPerJob()),
                    String.format(Locale.ROOT, "%.1f", r.childrenCpuMicros() / (double) r.jobs()),
                    String.format(Locale.ROOT, "%.3f", r.wallNanos() / 1e9),
                    String.join(" ", Arrays.stream(r.roundWallNanos()).mapToObj(w -> String.format(Locale.ROOT, "%.0f", r.jobs() * 1e9 / w))
                            .toList()));
        }
        System.out.print(table);
        System.out.printf(Locale.ROOT, "medians of %d round%s at -j %d; jobs/s counts the whole runner process, start-up included%n",
                rounds, rounds == 1 ? "" : "s", jobs);
        System.out.printf(Locale.ROOT, "other load during the timed runs (other processes, hypervisor steal): mean %.2f cores, max %.2f%n",
                otherLoads.stream().mapToDouble(Double::doubleValue).average().orElse(0),
                otherLoads.stream().mapToDouble(Double::doubleValue).max().orElse(0));
        if (!runners.contains(Runner.GNU_PARALLEL) && runnerNames.stream().anyMatch(s -> s.trim().equalsIgnoreCase("gnu-parallel"))) {
            System.out.println("GNU parallel: not installed, skipped (scripts/setup.sh installs it)");
        }
        targets.forEach(System.out::println);
    }

    /** The targets of issue 11, one line each, with the ratio measured and whether it was met. */
    private List<String> targets(List<Result> results) {
        List<String> lines = new ArrayList<>(List.of("targets:"));
        for (Workload w : Workload.values()) {
            target(lines, results, w, Runner.FORKLINE, Runner.XARGS, 1.0);
            target(lines, results, w, Runner.FORKLINE, Runner.GNU_PARALLEL, 5.0);
            target(lines, results, w, Runner.FORKLINE_CGROUP, Runner.FORKLINE, 0.85);
        }
        return lines;
    }

    private void target(List<String> lines, List<Result> results, Workload workload, Runner subject, Runner reference, double goal) {
        String name = String.format(Locale.ROOT, "  %s >= %.2fx %s on %s: ", subject.label(jobs), goal, reference.label(jobs), workload.label);
        Optional<Result> a = find(results, subject, workload);
        Optional<Result> b = find(results, reference, workload);
        if (a.isEmpty() || b.isEmpty()) {
            lines.add(name + "not measured");
            return;
        }
        double ratio = a.get().jobsPerSecond() / b.get().jobsPerSecond();
        lines.add(name + String.format(Locale.ROOT, "%.2fx, %s", ratio, ratio >= goal ? "met" : "MISSED"));
    }

    private static String ratio(Result r, List<Result> all, Runner reference) {
        return find(all, reference, r.workload())
                .map(o -> String.format(Locale.ROOT, "%.2fx", r.jobsPerSecond() / o.jobsPerSecond()))
                .orElse("-");
    }

    private static Optional<Result> find(List<Result> all, Runner runner, Workload workload) {
        return all.stream().filter(o -> o.runner() == runner && o.workload() == workload).findFirst();
    }

    /** The host's busy CPU time so far, in clock ticks: every CPU's time less idle and iowait (/proc/stat). */
    static long hostBusyTicks() throws IOException {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long busy = 0;
        // cpu user nice system idle iowait irq softirq steal [guest guest_nice, already inside user and nice]
        for (int i = 1; i <= 8 && i < fields.length; i++) {
            if (i != 4 && i != 5) busy += Long.parseLong(fields[i]);
        }
        return busy;
    }

    /** The end of a runner's output, for an error message: where it says what went wrong. */
    private static String tail(String output) {
        String trimmed = output.strip();
        return trimmed.length() <= 2000 ? trimmed : "..." + trimmed.substring(trimmed.length() - 2000);
    }

    static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /**
     * {@code count} files of a few KiB of pseudo-random words, the same every time (a fixed seed),
     * so that gzip has real text to compress.
     */
    static List<Path> generateFiles(Path dir, int count) throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        List<Path> out = new ArrayList<>(count);
        int digits = String.valueOf(count).length();
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            text.setLength(0);
            int size = 2048 + random.nextInt(4096);
            int column = 0;
            while (text.length() < size) {
                int length = 2 + random.nextInt(8);
                for (int c = 0; c < length; c++) text.append((char) ('a' + skewedLetter(random)));
                column += length + 1;
                if (column > 72) {
                    text.append('\n');
                    column = 0;
                } else {
                    text.append(' ');
                }
            }
            Path file = dir.resolve(String.format(Locale.ROOT, "f%0" + digits + "d.txt", i));
            Files.writeString(file, text);
            out.add(file);
        }
        return out;
    }

    /** A letter 0..25, the low ones more often, as in real text: gzip's Huffman stage then has work to do. */
    private static int skewedLetter(SplittableRandom random) {
        int a = random.nextInt(26);
        int b = random.nextInt(26);
        return Math.min(a, b);
    }

    private static Path writeList(Path file, List<String> lines) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String line : lines) out.append(line).append('\n');
        }
        return file;
    }

    private static void deleteGzipped(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().endsWith(".gz")).toList()) Files.delete(p);
        }
    }

    private static long countGzipped(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".gz")).filter(p -> p.toFile().length() > 0).count();
        }
    }

    /**
     * The groups that a forkline parallel with this pid may have left in its subtree of every
     * hierarchy (only read here): a {@code CgroupPool} names its groups
     * {@code <prefix>-<owner pid>-<owner start time>-<pool>-<n>}.
     */
    static List<Path> leftoverGroups(int pid) throws IOException {
        Path mount = Path.of("/sys/fs/cgroup");
        String root = ParallelRunner.DEFAULT_CGROUP_ROOT;
        List<Path> subtrees = new ArrayList<>(List.of(mount.resolve(root)));
        if (Files.isDirectory(mount)) {
            try (Stream<Path> hierarchies = Files.list(mount)) {
                hierarchies.filter(Files::isDirectory).forEach(h -> subtrees.add(h.resolve(root)));
            }
        }
        Pattern owned = Pattern.compile(".+-" + pid + "-\\d+-\\d+-\\d+");
        List<Path> left = new ArrayList<>();
        for (Path subtree : subtrees) {
            if (!Files.isDirectory(subtree)) continue;
            try (Stream<Path> groups = Files.list(subtree)) {
                groups.filter(g -> owned.matcher(g.getFileName().toString()).matches()).forEach(left::add);
            } catch (java.nio.file.NoSuchFileException gone) {
                // removed by its last user while we looked
            }
        }
        return left;
    }

    /** GNU parallel on the PATH, if it is GNU's (moreutils has a parallel of its own). */
    private static Optional<Path> findGnuParallel() throws IOException, InterruptedException {
        Optional<Path> found = onPath("parallel");
        if (found.isEmpty()) return found;
        try (Launcher launcher = Launcher.builder().name("bench-parallel-probe").build()) {
            Exit exit = launcher.spawn(Command.of(found.get().toString(), "--version")
                            .stdin(Stdio.readFrom(Path.of("/dev/null")))
                            .stdout(Stdio.capture(1 << 16)).stderr(Stdio.capture(1 << 16)).timeout(Duration.ofSeconds(30)))
                    .waitFor();
            return exit.success() && exit.stdout().text().startsWith("GNU parallel") ? found : Optional.empty();
        }
    }

    private static Optional<Path> onPath(String program) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
