package io.forkline.cli;

import io.forkline.cgroup.InvalidLimitException;
import io.forkline.cgroup.Limits;
import io.forkline.parallel.CommandTemplate;
import io.forkline.parallel.HaltPolicy;
import io.forkline.parallel.InputSource;
import io.forkline.parallel.JobSpecException;
import io.forkline.parallel.JoblogMerge;
import io.forkline.parallel.OutputMode;
import io.forkline.parallel.ParallelRunner;
import io.forkline.parallel.RunSummary;
import io.forkline.parallel.Shard;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code forkline parallel}: GNU parallel's job runner on forkline's launcher. This class reads
 * the command line and prints; the runner is {@link ParallelRunner} in the parallel module.
 * Option parsing stops at the command, as GNU parallel's does, so the command's own options
 * ({@code gzip -k}) are the command's.
 */
@CommandLine.Command(
        name = "parallel",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a command for every input, in parallel, as GNU parallel does: COMMAND ARGS... ::: VALUES... (several ::: groups "
                    + "combine as a product), :::: FILES... or -a FILE (one value per line), or standard input when none is given.",
            "Replacement strings: {} {.} {/} {//} {/.} {#} (job number) {%%} (slot) {1} {2} ... (input source N, with the same "
                    + "modifiers: {1.} {1/} ...); without any, the input is appended. No shell unless --shell.",
            "Exit status: 0 when every job succeeded, else the number of failed jobs (at most 101); 255 on an error; 2 on a usage error."
        })
final class ParallelCommand implements Callable<Integer> {
    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Jobs at once: N, N%% of the cores, or 0 for as many as the fd limit allows (at most 1024). Default: the cores.")
    String jobs;

    @Option(names = {"-a", "--arg-file"}, paramLabel = "FILE", description = "An input source: one value per line (- is standard input). Repeatable.")
    List<Path> argFiles = List.of();

    @Option(names = "--shell", description = "Run each job as a /bin/sh -c script (values are shell-quoted), for pipes and redirections.")
    boolean shell;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "SIGTERM a try after this long (10s, 500ms, 2m, or seconds), then SIGKILL after --kill-grace; with a cgroup per job the kill is cgroup.kill.")
    Duration timeout;

    @Option(names = "--kill-grace", paramLabel = "DURATION", description = "Between SIGTERM and SIGKILL for a job that timed out. Default: 2s.")
    Duration killGrace;

    @Option(names = "--retries", paramLabel = "N", description = "Try a failing job up to N times in all, as GNU parallel does (0: until it succeeds).")
    Integer retries;

    @Option(names = "--halt", paramLabel = "WHEN,WHY=N", description = "Stop early: never, now|soon,fail=N, now|soon,success=N, now|soon,done=N, or N%% (now kills the running jobs).")
    String halt;

    @Option(names = {"-k", "--keep-order"}, description = "Print output in input order.")
    boolean keepOrder;

    @Option(names = "--output", paramLabel = "MODE", description = "grouped (each job's output whole; the default), lines (whole lines as they come), none.")
    OutputMode output;

    @Option(names = "--tag", description = "Start each output line with the job's input values and a tab.")
    boolean tag;

    @Option(names = "--results", paramLabel = "DIR", description = "Keep each job's stdout, stderr, seq, exitval and signal in DIR/1/<value>/2/<value>/... (GNU parallel's layout); nothing is printed.")
    Path results;

    @Option(names = "--joblog", paramLabel = "FILE", description = "A line per finished job: GNU parallel's columns, then PeakMem, CPU, ForkFails, Tries. +FILE appends.")
    String joblog;

    @Option(names = "--resume", description = "Skip the jobs the joblog has.")
    boolean resume;

    @Option(names = "--resume-failed", description = "Skip the jobs the joblog has as succeeded; run the failed ones again.")
    boolean resumeFailed;

    @Option(names = "--dry-run", description = "Print the commands; run nothing.")
    boolean dryRun;

    @Option(names = "--memory", paramLabel = "SIZE", description = "memory.max per job (bytes, or with K, M, G, T: 512M).")
    String memory;

    @Option(names = "--memory-high", paramLabel = "SIZE", description = "memory.high per job.")
    String memoryHigh;

    @Option(names = "--cpus", paramLabel = "FRACTION", description = "CPU per job, in cores (0.5: cpu.max 50000 100000).")
    Double cpus;

    @Option(names = "--pids", paramLabel = "N", description = "pids.max per job.")
    Long pids;

    @Option(names = "--limit", paramLabel = "FILE=VALUE", description = "Any other cgroup limit per job, in v2 syntax (cpu.weight=50, io.max=...). Repeatable.")
    List<String> limits = List.of();

    @Option(names = "--best-effort-limits", description = "Run without the limits this host cannot apply (the summary says which), instead of refusing to start.")
    boolean bestEffortLimits;

    @Option(names = "--cgroup-per-job", description = "A cgroup of its own for every job even without limits: per-job accounting, and kills that reach the whole tree.")
    boolean cgroupPerJob;

    @Option(names = "--cgroup-root", paramLabel = "NAME", description = "The cgroup subtree, under the host's cgroup2 mount, for the per-job groups. Default: forkline-parallel, shared by the runs on a host.")
    String cgroupRoot;

    @Option(names = "--json", paramLabel = "FILE", arity = "0..1", fallbackValue = "-", preprocessor = AttachedValueOnly.class,
            description = "One JSON object per finished job, then a summary object, on stderr (--json) or in FILE (--json=FILE).")
    String json;

    @Option(names = "--shard", paramLabel = "K/N|auto", description = "Run only shard K of N of the jobs (job numbers with (seq-1) mod N = K-1); auto reads a Kubernetes Indexed Job's or a Slurm array's environment.")
    String shard;

    @Option(names = "--shard-count", paramLabel = "N", description = "N for --shard auto under Kubernetes, instead of FORKLINE_SHARD_COUNT.")
    Integer shardCount;

    @Option(names = "--merge-joblogs", description = "Merge the joblogs given as arguments (one per shard) into one on stdout, by job number.")
    boolean mergeJoblogs;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing of forkline's own: no progress, no log lines, no summary.")
    boolean quiet;

    @Parameters(paramLabel = "COMMAND", description = "The command and its arguments, then the inputs.")
    List<String> words = List.of();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (mergeJoblogs) return merge();
        ParallelRunner runner;
        ParallelReport report = new ParallelReport(json, quiet);
        try {
            ParsedWords parsed = ParsedWords.of(words, argFiles);
            int sources = Math.max(1, parsed.sources().size());
            CommandTemplate template = CommandTemplate.parse(parsed.command(), sources, shell);
            runner = configure(ParallelRunner.builder(template).inputs(parsed.sources())).listener(report).build();
        } catch (JobSpecException | InvalidLimitException e) {
            throw usage(e.getMessage());
        }
        try (report) {
            report.start(runner, dryRun);
            ParallelSignals signals = ParallelSignals.install(runner, report::said);
            try {
                RunSummary summary = runner.run();
                report.finish(summary, dryRun);
                return summary.exitStatus();
            } finally {
                signals.uninstall();
            }
        } catch (JobSpecException e) {
            throw usage(e.getMessage());
        } catch (IOException e) {
            System.err.println("forkline parallel: " + e.getMessage() + hintFor(e));
            return 255;
        }
    }

    private ParallelRunner.Builder configure(ParallelRunner.Builder b) throws JobSpecException, InvalidLimitException {
        b.jobs(slots());
        if (timeout != null) {
            if (timeout.isNegative() || timeout.isZero()) throw new JobSpecException("--timeout must be positive, got " + timeout);
            b.timeout(timeout);
        }
        if (killGrace != null) {
            if (killGrace.isNegative()) throw new JobSpecException("--kill-grace must be 0 or more, got " + killGrace);
            b.killGrace(killGrace);
        }
        if (retries != null) {
            if (retries < 0) throw new JobSpecException("--retries must be 0 or more, got " + retries);
            b.tries(retries);
        }
        if (halt != null) b.halt(HaltPolicy.parse(halt));
        b.keepOrder(keepOrder).tag(tag);
        if (output != null) b.output(output);
        if (results != null) b.results(results);
        if (joblog != null) {
            boolean append = joblog.startsWith("+");
            b.joblog(Path.of(append ? joblog.substring(1) : joblog), append);
        }
        if (resume && resumeFailed) throw new JobSpecException("--resume and --resume-failed exclude each other");
        if (resume) b.resume(ParallelRunner.Resume.ALL);
        if (resumeFailed) b.resume(ParallelRunner.Resume.FAILED);
        b.dryRun(dryRun);
        Limits perJob = limits();
        if (perJob != null) b.limits(perJob, bestEffortLimits);
        if (cgroupRoot != null) {
            if (!cgroupRoot.matches("[A-Za-z0-9_.-]{1,200}") || cgroupRoot.matches("\\.{1,2}")) {
                throw new JobSpecException("--cgroup-root wants one directory name (letters, digits, . _ -), got '" + cgroupRoot + "'");
            }
            b.cgroupRoot(cgroupRoot);
        }
        else if (bestEffortLimits) throw new JobSpecException("--best-effort-limits goes with limits (--memory, --cpus, --pids, --limit)");
        if (shard != null) b.shard(Shard.parse(shard, System.getenv(), shardCount));
        else if (shardCount != null) throw new JobSpecException("--shard-count goes with --shard auto");
        return b;
    }

    /** -j: N, N% of the cores, or 0 for as many as the fd limit allows. */
    private int slots() throws JobSpecException {
        int cores = Runtime.getRuntime().availableProcessors();
        if (jobs == null) return cores;
        String j = jobs.strip();
        try {
            if (j.endsWith("%")) {
                double percent = Double.parseDouble(j.substring(0, j.length() - 1));
                if (!(percent > 0) || percent > 100_000) throw new NumberFormatException();
                return Math.max(1, (int) Math.round(cores * percent / 100));
            }
            if (!j.matches("[0-9]{1,7}")) throw new NumberFormatException();
            int n = Integer.parseInt(j);
            return n == 0 ? asManyAsPossible() : n;
        } catch (NumberFormatException e) {
            throw new JobSpecException("-j '" + jobs + "' is not a number of jobs: use N (1 or more), N% of the " + cores
                    + " cores, or 0 for as many as possible");
        }
    }

    /** Each running job holds about four fds (pidfd, two pipes, a spool); keep well inside the limit. */
    private static int asManyAsPossible() {
        long maxFds = 1024;
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            maxFds = os.getMaxFileDescriptorCount();
        }
        return (int) Math.max(1, Math.min(ParallelRunner.MAX_SLOTS, (maxFds - 64) / 4));
    }

    private Limits limits() throws JobSpecException, InvalidLimitException {
        boolean any = memory != null || memoryHigh != null || cpus != null || pids != null || !limits.isEmpty();
        if (!any) return cgroupPerJob ? Limits.NONE : null;
        Limits.Builder b = Limits.builder();
        if (memory != null) b.set("memory.max", memory);
        if (memoryHigh != null) b.set("memory.high", memoryHigh);
        if (cpus != null) {
            if (!(cpus > 0) || cpus > 10_000) throw new JobSpecException("--cpus wants a positive number of cores such as 0.5 or 2, got " + cpus);
            long quota = Math.max(1000, Math.round(cpus * 100_000));
            b.set("cpu.max", quota + " 100000");
        }
        if (pids != null) b.set("pids.max", Long.toString(pids));
        for (String pair : limits) {
            int eq = pair.indexOf('=');
            if (eq <= 0) throw new JobSpecException("--limit wants FILE=VALUE (e.g. cpu.weight=50), got '" + pair + "'");
            b.set(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return b.build();
    }

    private int merge() throws IOException {
        if (words.isEmpty()) throw usage("--merge-joblogs needs the joblogs to merge, e.g. forkline parallel --merge-joblogs joblog.*");
        List<Path> files = new ArrayList<>();
        for (String w : words) files.add(Path.of(w));
        Writer stdout = new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
        JoblogMerge.Report report;
        try {
            StringBuilder merged = new StringBuilder();
            report = JoblogMerge.merge(files, merged);
            stdout.write(merged.toString());
            stdout.flush();
        } catch (IOException e) {
            System.err.println("forkline parallel: " + e.getMessage());
            return 255;
        }
        if (!quiet) {
            System.err.println("forkline parallel: merged " + files.size() + " joblogs: " + report.jobs() + " jobs up to job "
                    + report.highestSeq() + ", " + report.failed() + " failed"
                    + (report.missingCount() == 0 ? "" : "; " + report.missingCount() + " job numbers missing: " + report.missing()
                            + (report.missingCount() > report.missing().size() ? " ..." : "")));
        }
        return report.failed() == 0 && report.missingCount() == 0 ? 0 : (int) Math.min(101, Math.max(1, report.failed()));
    }

    private CommandLine.ParameterException usage(String message) {
        return Errors.usage(spec, message);
    }

    private static String hintFor(Exception e) {
        if (e instanceof io.forkline.cgroup.ControllerUnavailableException) return " (--best-effort-limits runs the jobs without it)";
        return "";
    }

    /**
     * The positional words: the command, then {@code :::} groups and {@code ::::} files in the
     * order given, after the {@code -a} files.
     */
    record ParsedWords(List<String> command, List<InputSource> sources) {
        static ParsedWords of(List<String> words, List<Path> argFiles) throws JobSpecException {
            List<String> command = new ArrayList<>();
            List<InputSource> sources = new ArrayList<>();
            for (Path f : argFiles) sources.add(InputSource.file(f));
            int i = 0;
            while (i < words.size() && !isSeparator(words.get(i))) command.add(words.get(i++));
            while (i < words.size()) {
                String separator = words.get(i++);
                if (separator.startsWith(":::+") || separator.startsWith("::::+")) {
                    throw new JobSpecException("'" + separator + "' (linked input sources) is not supported; use separate ::: groups");
                }
                List<String> values = new ArrayList<>();
                while (i < words.size() && !isSeparator(words.get(i))) values.add(words.get(i++));
                if (values.isEmpty()) throw new JobSpecException("'" + separator + "' is followed by no " + (separator.equals(":::") ? "values" : "files"));
                if (separator.equals(":::")) sources.add(InputSource.arguments(values));
                else for (String file : values) sources.add(InputSource.file(Path.of(file)));
            }
            if (command.isEmpty()) throw new JobSpecException("no command to run: give it before the inputs, e.g. forkline parallel gzip -k ::: a b");
            return new ParsedWords(command, sources);
        }

        private static boolean isSeparator(String word) {
            return word.equals(":::") || word.equals("::::") || word.startsWith(":::+") || word.startsWith("::::+");
        }
    }

}
