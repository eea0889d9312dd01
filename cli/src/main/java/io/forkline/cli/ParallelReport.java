package io.forkline.cli;

import io.forkline.cgroup.SkippedLimit;
import io.forkline.parallel.JobResult;
import io.forkline.parallel.ParallelRunner;
import io.forkline.parallel.Progress;
import io.forkline.parallel.RunListener;
import io.forkline.parallel.RunSummary;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What {@code forkline parallel} says of its own, always on stderr (stdout is the jobs'): on a
 * terminal a live progress bar (done, running, failed, jobs/s, ETA); elsewhere a log line every
 * few seconds and one per failed try; at the end a summary table. {@code --json} writes one
 * object per finished job and a summary object instead (on stderr, or in its file, in which case
 * the human report stays); {@code --quiet} says nothing.
 */
final class ParallelReport implements RunListener, AutoCloseable {
    /** How often the log lines say how far the run is, when stderr is not a terminal. */
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final String jsonTarget;
    private final boolean human;
    private final boolean terminal;
    private PrintStream json;
    private ParallelRunner runner;
    private ProgressBar bar;
    private Thread ticker;
    private volatile boolean done;

    /**
     * @param jsonTarget {@code -} for JSON on stderr, a file name, or null for none
     * @param quiet whether forkline says nothing of its own
     */
    ParallelReport(String jsonTarget, boolean quiet) {
        this.jsonTarget = jsonTarget;
        this.human = !quiet && !"-".equals(jsonTarget);
        this.terminal = human && Terminal.isTerminal(2);
    }

    /** Opens the JSON file, if any, and starts the progress view or the log lines. */
    void start(ParallelRunner run, boolean dryRun) throws IOException {
        this.runner = run;
        if (jsonTarget != null) {
            OutputStream out = jsonTarget.equals("-") ? System.err : openJsonFile(jsonTarget);
            json = new PrintStream(out, true, StandardCharsets.UTF_8);
        }
        if (!human || dryRun) return;
        if (terminal) {
            bar = new ProgressBarBuilder()
                    .setTaskName("forkline parallel")
                    .setInitialMax(-1)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err))
                    .setUpdateIntervalMillis(200)
                    .setUnit(" jobs", 1)
                    .showSpeed()
                    .setEtaFunction(state -> {
                        long eta = runner.progress().etaNanos();
                        return eta < 0 ? java.util.Optional.empty() : java.util.Optional.of(java.time.Duration.ofNanos(eta));
                    })
                    .build();
        }
        ticker = Thread.ofPlatform().daemon().name("forkline-parallel-progress").start(this::tick);
    }

    private static OutputStream openJsonFile(String path) throws IOException {
        try {
            return Files.newOutputStream(Path.of(path));
        } catch (IOException e) {
            throw new IOException("cannot open the --json file " + path + ": " + e.getMessage(), e);
        }
    }

    /** Feeds the bar (on a terminal) or writes a progress line now and then (elsewhere). */
    private void tick() {
        long lastLine = System.nanoTime();
        while (!done) {
            try {
                Thread.sleep(terminal ? 200 : 500);
            } catch (InterruptedException e) {
                return;
            }
            Progress p = runner.progress();
            if (terminal) {
                synchronized (this) {
                    if (done) return;
                    if (p.total() >= 0 && bar.getMax() != p.total()) bar.maxHint(p.total());
                    bar.stepTo(p.finished());
                    bar.setExtraMessage(String.format(Locale.ROOT, " %d running, %d failed%s", p.running(), p.failed(),
                            p.retries() > 0 ? ", " + p.retries() + " retries" : ""));
                }
            } else if (System.nanoTime() - lastLine >= LOG_EVERY_NANOS) {
                lastLine = System.nanoTime();
                log(progressLine(p));
            }
        }
    }

    static String progressLine(Progress p) {
        String of = p.total() >= 0 ? "/" + p.total() : "";
        long eta = p.etaNanos();
        return String.format(Locale.ROOT, "%d%s done, %d running, %d failed, %.0f jobs/s%s", p.finished(), of, p.running(), p.failed(),
                p.jobsPerSecond(), eta >= 0 ? ", ETA " + ParallelSummaryTable.duration(eta) : "");
    }

    private synchronized void log(String line) {
        if (!human) return;
        if (bar != null) {
            // Above the bar: clear its line, print, and let the bar draw itself again.
            System.err.print("\r\033[K");
        }
        System.err.println("forkline parallel: " + line);
        if (bar != null) bar.refresh();
    }

    /** A message from the signal handlers. */
    void said(String message) {
        log(message);
    }

    @Override
    public void jobFinished(JobResult job) {
        if (json != null) json.println(Json.object(jobJson(job)));
        if (!job.succeeded() && !terminal) log("job " + job.seq() + " failed: " + job.describe() + ": " + job.command());
    }

    @Override
    public void jobRetried(JobResult failedTry) {
        if (!terminal) log("job " + failedTry.seq() + " try " + failedTry.tries() + " failed (" + failedTry.describe() + "); trying again");
    }

    @Override
    public void stopping(String why) {
        if (!why.equals("interrupt")) log("stopping: " + why);
    }

    /** The run is over: the view stops, and the summary (table or JSON) is written. */
    void finish(RunSummary summary, boolean dryRun) {
        stopView(summary);
        if (json != null && !dryRun) json.println(Json.object(summaryJson(summary)));
        if (human && !dryRun) System.err.print(ParallelSummaryTable.render(summary));
    }

    private synchronized void stopView(RunSummary summary) {
        done = true;
        if (ticker != null) ticker.interrupt();
        if (bar != null) {
            bar.maxHint(summary.finished());
            bar.stepTo(summary.finished());
            bar.setExtraMessage(" " + summary.failed() + " failed");
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            done = true;
            if (ticker != null) ticker.interrupt();
            if (bar != null) bar.close();
        }
        if (json != null) {
            json.flush();
            if (json.checkError() && jsonTarget != null && !jsonTarget.equals("-")) {
                System.err.println("forkline parallel: cannot write the --json file " + jsonTarget);
            }
            if (!jsonTarget.equals("-")) json.close();
        }
    }

    static Map<String, Object> jobJson(JobResult job) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("seq", job.seq());
        f.put("command", job.command());
        f.put("values", job.values());
        f.put("slot", job.slot());
        f.put("succeeded", job.succeeded());
        f.put("exit_code", job.startFailure() == null && job.signal() == 0 ? job.exitCode() : null);
        f.put("signal", job.signal() == 0 ? null : job.signal());
        f.put("killed_by", job.killedBy());
        f.put("start_failure", job.startFailure());
        f.put("tries", job.tries());
        f.put("start_time", job.startEpochMillis() / 1000.0);
        f.put("wall_us", job.wallNanos() / 1000);
        f.put("cpu_us", job.cpuMicros() < 0 ? null : job.cpuMicros());
        f.put("peak_memory_bytes", job.peakMemoryBytes() < 0 ? null : job.peakMemoryBytes());
        f.put("memory_source", job.memorySource().name().toLowerCase(Locale.ROOT));
        f.put("fork_failures", job.forkFailures() < 0 ? null : job.forkFailures());
        f.put("strays_killed", job.straysKilled());
        f.put("oom_killed", job.oomKilled());
        f.put("stdout_bytes", job.receivedBytes());
        return f;
    }

    static Map<String, Object> summaryJson(RunSummary s) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("summary", true);
        f.put("jobs", s.finished());
        f.put("succeeded", s.succeeded());
        f.put("failed", s.failed());
        f.put("retries", s.retries());
        f.put("skipped", s.skipped());
        f.put("timed_out", s.timedOut());
        f.put("oom_killed", s.oomKilled());
        f.put("jobs_with_strays_killed", s.jobsWithStraysKilled());
        f.put("wall_s", s.wallNanos() / 1e9);
        f.put("jobs_per_sec", s.jobsPerSecond());
        percentiles(f, "wall_us", s.jobWall());
        percentiles(f, "cpu_us", s.jobCpu());
        percentiles(f, "peak_memory_bytes", s.jobMemory());
        f.put("memory_known", s.memoryKnown());
        f.put("top_memory", tops(s.topMemory()));
        f.put("top_cpu", tops(s.topCpu()));
        f.put("skipped_limits", s.skippedLimits().stream().map(SkippedLimit::toString).toList());
        f.put("stop_reason", s.stopReason());
        f.put("exit_status", s.exitStatus());
        return f;
    }

    private static void percentiles(Map<String, Object> f, String name, RunSummary.Percentiles p) {
        f.put(name + "_p50", p.p50() < 0 ? null : p.p50());
        f.put(name + "_p99", p.p99() < 0 ? null : p.p99());
        f.put(name + "_max", p.max() < 0 ? null : p.max());
    }

    private static List<Map<String, Object>> tops(List<RunSummary.Top> tops) {
        return tops.stream().map(t -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seq", t.seq());
            m.put("command", t.command());
            m.put("value", t.value());
            return m;
        }).toList();
    }
}
