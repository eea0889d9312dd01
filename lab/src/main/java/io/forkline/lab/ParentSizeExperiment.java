package io.forkline.lab;

import io.forkline.Command;
import io.forkline.Launcher;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * E5, seeds 000 and 001: the cost of a launch against the parent's size. fork copies the
 * parent's page tables, so its cost grows with the parent's resident memory; vfork, glibc's
 * posix_spawn (CLONE_VM|CLONE_VFORK since glibc 2.24) and forkline's clone3 (CLONE_VM) share the
 * parent's memory and should not grow. The C parent ({@code tools/parentsize.c}) runs fork,
 * vfork and posix_spawn from 16 MB, 256 MB, 1 GB and 4 GB of touched memory; this JVM runs
 * forkline's clone3 and the JDK's ProcessBuilder after growing itself to the same sizes with
 * native memory. Each reports the spawn rate and the parent's own CPU per spawn.
 *
 * <p>The seeds' "posix_spawn maps back to fork()" is settled two ways: strace shows which call
 * glibc makes, and the cost curve shows whether it grows like fork's.
 */
public final class ParentSizeExperiment implements Experiment {
    /** The parent sizes, in MiB. */
    static final List<Integer> SIZES_MB = List.of(16, 256, 1024, 4096);
    /** Free memory a size needs beyond itself, so that the experiment never pushes the host into reclaim. */
    static final long MARGIN_BYTES = 1L << 30;
    /** A launch grows with the parent when its CPU per spawn at the largest size is at least this many times the smallest's. */
    static final double GROWS_FACTOR = 3;
    /** And is flat when within this factor: the measurement's noise between sizes stays below it. */
    static final double FLAT_FACTOR = 1.5;

    /** The five launches. */
    enum Engine {
        FORK("fork+exec", true),
        VFORK("vfork+exec", true),
        POSIX_SPAWN("glibc posix_spawn", true),
        CLONE3("forkline clone3", false),
        PROCESS_BUILDER("JDK ProcessBuilder", false);

        final String words;
        /** Whether the C parent runs it (else this JVM does). */
        final boolean inC;

        Engine(String words, boolean inC) {
            this.words = words;
            this.inC = inC;
        }

        String toolMode() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One engine at one size.
     *
     * @param residentBytes the parent's resident memory as measured, which for the JVM is never below its own size
     */
    record Cell(Engine engine, int sizeMb, long residentBytes, int spawns, long elapsedNanos, long parentCpuNanos) {
        double spawnsPerSecond() {
            return spawns * 1e9 / elapsedNanos;
        }

        double cpuMicrosPerSpawn() {
            return parentCpuNanos / 1e3 / spawns;
        }
    }

    /** What strace saw glibc's posix_spawn call. */
    record Trace(String syscall, String flags) {
        boolean sharesMemory() {
            return syscall.equals("vfork") || flags.contains("CLONE_VM");
        }

        String words() {
            return syscall + (flags.isEmpty() ? "" : "(" + flags + ")");
        }
    }

    private final Supplier<Optional<Path>> strace;

    /** The experiment, tracing with strace from the PATH when it is installed. */
    public ParentSizeExperiment() {
        this(() -> onPath("strace"));
    }

    /** @param strace finds strace, or nothing when it is not installed (tests make it find nothing) */
    ParentSizeExperiment(Supplier<Optional<Path>> strace) {
        this.strace = strace;
    }

    @Override
    public String id() {
        return "E5";
    }

    @Override
    public String name() {
        return "parent-size";
    }

    @Override
    public String title() {
        return "fork, vfork, posix_spawn, clone3 and the JDK against the parent's size (seeds 000 and 001)";
    }

    static List<Integer> sizes(Scale scale) {
        return scale == Scale.SMOKE ? List.of(16, 64) : SIZES_MB;
    }

    /** Time a cell's spawns may take, beyond touching the memory. */
    static Duration budget(Scale scale) {
        return switch (scale) {
            case FULL -> Duration.ofSeconds(3);
            case QUICK -> Duration.ofMillis(700);
            case SMOKE -> Duration.ofMillis(30);
        };
    }

    /**
     * The spawns of a cell: as many as the budget holds by a model of the launch's cost (fork:
     * about 0.6 ms plus 20 ms per GiB of parent here; the others about 0.8 ms), at least 3.
     */
    static int spawns(Engine engine, int sizeMb, Scale scale) {
        double msEach = engine == Engine.FORK ? 0.6 + 20.0 * sizeMb / 1024 : engine == Engine.PROCESS_BUILDER ? 1.5 : 0.8;
        return (int) Math.max(3, Math.min(scale.count(3000, 3), budget(scale).toMillis() / msEach));
    }

    @Override
    public Duration estimate(Scale scale) {
        long ms = 0;
        for (int size : sizes(scale)) {
            ms += 5L * budget(scale).toMillis(); // the five engines' spawns
            ms += 20L * size; // touching the memory, in three C parents and this JVM: about 4 ms per MB each, measured here (2026-12-07)
        }
        return Duration.ofMillis(ms + 2000); // the JVM engines' warm-up
    }

    @Override
    public ExperimentResult run(LabContext context) throws Exception {
        ExperimentResult.Builder out = ExperimentResult.builder(this);
        Scale scale = context.scale();
        List<Integer> sizes = sizes(scale);
        Map<Engine, Map<Integer, Cell>> cells = new LinkedHashMap<>();
        for (Engine e : Engine.values()) cells.put(e, new LinkedHashMap<>());
        Trace trace = null;
        Path tool = ProgramRun.extractTool("forkline-parentsize");
        try (Launcher launcher = Launcher.builder().name("forkline-lab-e5").build()) {
            warmUp(launcher, scale);
            int step = 0;
            for (int size : sizes) {
                long needed = ((long) size << 20) + MARGIN_BYTES;
                if (context.host().memoryAvailableBytes() >= 0 && context.host().memoryAvailableBytes() < needed) {
                    out.skip("the " + label(size) + " parent", ResultTable.number(needed / (double) (1L << 30), 1) + " GiB of free memory (MemAvailable)");
                    continue;
                }
                for (Engine e : Engine.values()) {
                    if (Thread.interrupted()) throw new InterruptedException("stopped in E5");
                    context.progress("E5: " + e.words + " from " + label(size), step++, (long) sizes.size() * Engine.values().length);
                    cells.get(e).put(size, e.inC ? inC(tool, context.workDirectory(), e, size, scale) : inJvm(launcher, e, size, scale));
                }
            }
            Optional<Path> straceBinary = strace.get();
            if (straceBinary.isEmpty()) {
                out.skip("the trace of glibc's posix_spawn", "strace (scripts/toolchains.sh lab)");
            } else {
                trace = tracePosixSpawn(tool, straceBinary.get(), context.workDirectory());
            }
        } finally {
            Files.deleteIfExists(tool);
        }

        ResultTable.Builder table = ResultTable.builder("Launches of /bin/true, one at a time, by parent size",
                "launch", "parent", "resident", "spawns", "spawns/s", "parent CPU us/spawn");
        for (Map<Integer, Cell> byEngine : cells.values()) {
            for (Cell c : byEngine.values()) {
                table.row(c.engine().words, label(c.sizeMb()), label((int) (c.residentBytes() >> 20)), c.spawns(),
                        ResultTable.number(c.spawnsPerSecond(), 0), ResultTable.number(c.cpuMicrosPerSpawn(), 1));
            }
        }
        out.table(table.build());
        if (trace != null) out.note("strace: glibc's posix_spawn made " + trace.words() + ".");
        out.note("The JVM's parent CPU is the whole process's (its JIT and GC threads too), after a warm-up; "
                + "the JVM's resident size cannot go below its own, so its smallest row is the JVM as it is.");

        Finding forkGrows = growsFinding(cells.get(Engine.FORK));
        Finding posixSpawn = posixSpawnFinding(cells.get(Engine.POSIX_SPAWN), trace);
        Finding clone3 = flatFinding(cells.get(Engine.CLONE3));
        out.finding(forkGrows).finding(posixSpawn).finding(clone3);
        for (Map<Integer, Cell> byEngine : cells.values()) {
            for (Cell c : byEngine.values()) {
                Finding about = switch (c.engine()) {
                    case FORK -> forkGrows;
                    case POSIX_SPAWN -> posixSpawn;
                    case CLONE3 -> clone3;
                    default -> null;
                };
                String variant = c.engine().words + " at " + label(c.sizeMb());
                out.measurement(variant, "spawns_per_sec", c.spawnsPerSecond(), "spawns/s", about);
                out.measurement(variant, "parent_cpu_per_spawn", c.cpuMicrosPerSpawn(), "us", about);
            }
        }
        List<String> categories = sizes.stream().map(ParentSizeExperiment::label).toList();
        out.chart(chart("Spawn rate by parent size", "spawns/s", cells, categories, Cell::spawnsPerSecond));
        out.chart(chart("The parent's own CPU per spawn, by parent size", "us per spawn", cells, categories, Cell::cpuMicrosPerSpawn));
        return out.build();
    }

    private static Chart chart(String title, String axis, Map<Engine, Map<Integer, Cell>> cells, List<String> categories,
            java.util.function.ToDoubleFunction<Cell> value) {
        List<Chart.Series> series = new ArrayList<>();
        for (var byEngine : cells.entrySet()) {
            List<Double> values = new ArrayList<>();
            for (String category : categories) {
                Cell c = byEngine.getValue().values().stream().filter(x -> label(x.sizeMb()).equals(category)).findFirst().orElse(null);
                values.add(c == null ? Double.NaN : value.applyAsDouble(c));
            }
            series.add(new Chart.Series(byEngine.getKey().words, values));
        }
        return new Chart(title, "parent's resident memory", axis, categories, series, true);
    }

    /**
     * JIT warm-up of the JVM engines, untimed, before any cell: otherwise the first size pays the
     * compiler (a count alone was not enough after the other experiments had run in this JVM: the
     * first size still came out at half the rate). A second of each at quick and full scale.
     */
    private static void warmUp(Launcher launcher, Scale scale) throws Exception {
        long each = scale == Scale.SMOKE ? 50_000_000L : 1_000_000_000L;
        Command command = Command.of("/bin/true");
        for (long end = System.nanoTime() + each; System.nanoTime() < end; ) launcher.spawn(command).waitFor();
        ProcessBuilder pb = new ProcessBuilder("/bin/true").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        for (long end = System.nanoTime() + each; System.nanoTime() < end; ) pb.start().waitFor();
    }

    private static Cell inC(Path tool, Path work, Engine e, int sizeMb, Scale scale) throws Exception {
        int n = spawns(e, sizeMb, scale);
        String out = ProgramRun.runToSuccess(List.of(tool.toString(), e.toolMode(), Integer.toString(sizeMb), Integer.toString(n)), null, work,
                Duration.ofMinutes(5));
        ProgramRun.KeyValues f = ProgramRun.KeyValues.parse(out.strip().lines().reduce((a, b) -> b).orElse(""));
        return new Cell(e, sizeMb, f.longValue("rss_kb") * 1024, n, f.longValue("elapsed_ns"), f.longValue("self_cpu_ns"));
    }

    /** Grows this JVM to the size with touched native memory, spawns, and gives the memory back. */
    private static Cell inJvm(Launcher launcher, Engine e, int sizeMb, Scale scale) throws Exception {
        int n = spawns(e, sizeMb, scale);
        long target = (long) sizeMb << 20;
        try (Arena arena = Arena.ofConfined()) {
            long grow = target - residentBytes();
            if (grow > 0) {
                MemorySegment memory = arena.allocate(grow, 4096);
                for (long at = 0; at < grow; at += 4096) memory.set(ValueLayout.JAVA_BYTE, at, (byte) 1);
            }
            long resident = residentBytes();
            Command command = Command.of("/bin/true");
            ProcessBuilder pb = new ProcessBuilder("/bin/true").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            long cpu0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                if (e == Engine.CLONE3) launcher.spawn(command).waitFor();
                else pb.start().waitFor();
            }
            long elapsed = System.nanoTime() - t0;
            return new Cell(e, sizeMb, resident, n, elapsed, ProcessCpu.nanos() - cpu0);
        }
    }

    /** VmRSS of this process. */
    static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }

    private static Trace tracePosixSpawn(Path tool, Path strace, Path work) throws Exception {
        Path log = work.resolve("posix_spawn.strace");
        try {
            ProgramRun.runToSuccess(List.of(strace.toString(), "-f", "-e", "trace=clone,clone3,vfork,fork", "-o", log.toString(),
                    tool.toString(), "posix_spawn", "16", "2"), null, work, Duration.ofMinutes(1));
            return parseTrace(Files.readString(log)).orElseThrow(() -> new IOException("strace saw no clone, clone3, vfork or fork in " + log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static final Pattern TRACED = Pattern.compile("\\b(clone3|clone|vfork|fork)\\((.*)");
    private static final Pattern FLAGS = Pattern.compile("flags=([A-Z0-9_|]+)");

    /** @return the first launch call in an strace log, with its clone flags */
    static Optional<Trace> parseTrace(String log) {
        for (String line : log.split("\n")) {
            Matcher m = TRACED.matcher(line);
            if (!m.find()) continue;
            Matcher flags = FLAGS.matcher(m.group(2));
            return Optional.of(new Trace(m.group(1), flags.find() ? flags.group(1) : ""));
        }
        return Optional.empty();
    }

    private static Optional<Cell[]> smallestAndLargest(Map<Integer, Cell> byEngine) {
        if (byEngine == null || byEngine.size() < 2) return Optional.empty();
        List<Cell> list = new ArrayList<>(byEngine.values());
        return Optional.of(new Cell[] {list.getFirst(), list.getLast()});
    }

    private static String curve(Cell[] ends) {
        return ResultTable.number(ends[0].cpuMicrosPerSpawn(), 0) + " us at " + label(ends[0].sizeMb()) + " -> "
                + ResultTable.number(ends[1].cpuMicrosPerSpawn(), 0) + " us at " + label(ends[1].sizeMb()) + " ("
                + ResultTable.number(ratio(ends), 1) + "x)";
    }

    private static double ratio(Cell[] ends) {
        return ends[1].cpuMicrosPerSpawn() / ends[0].cpuMicrosPerSpawn();
    }

    /** The seeds' premise: fork+exec's cost grows with the parent, because fork copies its page tables. */
    static Finding growsFinding(Map<Integer, Cell> fork) {
        String claim = "fork+exec's cost grows with the parent's size";
        String seed = "grows with the parent (page tables copied)";
        Optional<Cell[]> ends = smallestAndLargest(fork);
        if (ends.isEmpty()) return new Finding(claim, seed, "not measured", Verdict.NOT_APPLICABLE, "fewer than two parent sizes could run");
        if (ratio(ends.get()) >= GROWS_FACTOR) {
            return new Finding(claim, seed, curve(ends.get()), Verdict.HOLDS, "the parent's CPU per fork grows " + (int) GROWS_FACTOR + "x or more");
        }
        return new Finding(claim, seed, curve(ends.get()), Verdict.DOES_NOT_HOLD, "the parent's CPU per fork grows less than " + (int) GROWS_FACTOR + "x");
    }

    /** The seeds' "glibc's posix_spawn maps back to fork()": by the trace when there is one, and by the cost curve. */
    static Finding posixSpawnFinding(Map<Integer, Cell> posixSpawn, Trace trace) {
        String claim = "glibc's posix_spawn maps back to fork()";
        String seed = "maps back to fork()";
        Optional<Cell[]> ends = smallestAndLargest(posixSpawn);
        String measured = (trace == null ? "" : trace.words() + "; ") + (ends.isEmpty() ? "no cost curve" : curve(ends.get()));
        boolean flat = ends.isPresent() && ratio(ends.get()) <= FLAT_FACTOR;
        boolean grows = ends.isPresent() && ratio(ends.get()) >= GROWS_FACTOR;
        if (trace != null) {
            if (trace.sharesMemory() && !grows) {
                return new Finding(claim, seed, measured, Verdict.DOES_NOT_HOLD, "it shares the parent's memory (" + trace.syscall()
                        + (trace.flags().contains("CLONE_VFORK") ? " with CLONE_VFORK" : "") + "), so no page table is copied"
                        + (flat ? ", and its cost stays flat with the parent's size" : ""));
            }
            if (!trace.sharesMemory()) {
                return new Finding(claim, seed, measured, Verdict.HOLDS, "it makes " + trace.syscall() + " without CLONE_VM: a fork");
            }
        }
        if (flat) return new Finding(claim, seed, measured, Verdict.DOES_NOT_HOLD, "its cost stays within " + FLAT_FACTOR + "x with the parent's size, unlike fork's (no trace: strace missing)");
        if (grows) return new Finding(claim, seed, measured, Verdict.HOLDS, "its cost grows with the parent's size, as fork's does");
        return new Finding(claim, seed, measured, Verdict.NOT_APPLICABLE, "neither traced nor clearly flat or growing");
    }

    /** forkline's answer: clone3 with CLONE_VM costs the same from any parent size. */
    static Finding flatFinding(Map<Integer, Cell> clone3) {
        String claim = "forkline's clone3 costs the same from any parent size";
        String seed = "fork's cost grows with the parent";
        Optional<Cell[]> ends = smallestAndLargest(clone3);
        if (ends.isEmpty()) return new Finding(claim, seed, "not measured", Verdict.NOT_APPLICABLE, "fewer than two parent sizes could run");
        if (ratio(ends.get()) <= FLAT_FACTOR) {
            return new Finding(claim, seed, curve(ends.get()), Verdict.HOLDS, "within " + FLAT_FACTOR + "x from the smallest parent to the largest");
        }
        return new Finding(claim, seed, curve(ends.get()), Verdict.DOES_NOT_HOLD, "over " + FLAT_FACTOR + "x from the smallest parent to the largest");
    }

    static String label(int mb) {
        return mb >= 1024 && mb % 1024 == 0 ? mb / 1024 + " GB" : mb + " MB";
    }

    static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) path = "/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }
}
