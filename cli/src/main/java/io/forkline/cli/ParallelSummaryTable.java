package io.forkline.cli;

import io.forkline.cgroup.SkippedLimit;
import io.forkline.parallel.JobResult;
import io.forkline.parallel.RunSummary;
import java.util.List;
import java.util.Locale;

/** The table {@code forkline parallel} prints at the end of a run, on stderr. */
final class ParallelSummaryTable {
    private ParallelSummaryTable() {}

    static String render(RunSummary s) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "forkline parallel: %d jobs: %d succeeded, %d failed, %d retries, in %s (%.0f jobs/s)%n",
                s.finished(), s.succeeded(), s.failed(), s.retries(), duration(s.wallNanos()), s.jobsPerSecond()));
        if (s.skipped() > 0) out.append("  ").append(s.skipped()).append(" jobs skipped: the joblog has them\n");
        if (s.timedOut() > 0) out.append("  ").append(s.timedOut()).append(" timed out\n");
        if (s.oomKilled() > 0) out.append("  ").append(s.oomKilled()).append(" killed by the OOM killer\n");
        if (s.jobsWithStraysKilled() > 0) {
            out.append("  ").append(s.jobsWithStraysKilled()).append(" left processes running in their cgroup, killed when they ended\n");
        }
        if (s.finished() > 0) {
            Table t = new Table("per job", "p50", "p99", "max");
            t.row("wall time", micros(s.jobWall().p50()), micros(s.jobWall().p99()), micros(s.jobWall().max()));
            t.row("CPU", micros(s.jobCpu().p50()), micros(s.jobCpu().p99()), micros(s.jobCpu().max()));
            t.row("peak memory", bytes(s.jobMemory().p50()), bytes(s.jobMemory().p99()), bytes(s.jobMemory().max()));
            out.append(indent(t.toString()));
            if (s.memoryKnown() < s.finished()) {
                out.append(String.format(Locale.ROOT, "  peak memory is known for %d of %d jobs: it needs a cgroup per job with the memory "
                        + "controller on cgroup v2, or a job bigger than the JVM itself (ru_maxrss)%n", s.memoryKnown(), s.finished()));
            }
            tops(out, "most memory", s.topMemory(), true);
            tops(out, "most CPU", s.topCpu(), false);
        }
        for (SkippedLimit skipped : s.skippedLimits()) out.append("  limit skipped (--best-effort-limits): ").append(skipped).append('\n');
        if (!s.firstFailures().isEmpty()) {
            out.append("  failed:\n");
            for (JobResult f : s.firstFailures()) {
                out.append("    job ").append(f.seq()).append(": ").append(f.describe()).append(": ").append(clip(f.command())).append('\n');
            }
            if (s.failed() > s.firstFailures().size()) out.append("    ... and ").append(s.failed() - s.firstFailures().size()).append(" more\n");
        }
        if (s.stopReason() != null) out.append("  stopped early: ").append(s.stopReason()).append('\n');
        return out.toString();
    }

    private static void tops(StringBuilder out, String title, List<RunSummary.Top> tops, boolean isBytes) {
        if (tops.isEmpty()) return;
        out.append("  ").append(title).append(":\n");
        for (RunSummary.Top t : tops.subList(0, Math.min(3, tops.size()))) {
            out.append(String.format(Locale.ROOT, "    job %-6d %10s  %s%n", t.seq(), isBytes ? bytes(t.value()) : micros(t.value()), clip(t.command())));
        }
    }

    private static String indent(String table) {
        return "  " + table.replace("\n", "\n  ").stripTrailing() + "\n";
    }

    private static String clip(String command) {
        return command.length() <= 100 ? command : command.substring(0, 97) + "...";
    }

    static String micros(long us) {
        return us < 0 ? "-" : duration(us * 1000);
    }

    static String duration(long nanos) {
        if (nanos < 0) return "-";
        if (nanos < 1_000_000) return String.format(Locale.ROOT, "%d us", nanos / 1000);
        if (nanos < 1_000_000_000) return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
        if (nanos < 120_000_000_000L) return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
        return String.format(Locale.ROOT, "%dm%02ds", nanos / 60_000_000_000L, (nanos / 1_000_000_000L) % 60);
    }

    static String bytes(long b) {
        if (b < 0) return "-";
        if (b < 1024) return b + " B";
        if (b < 1 << 20) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1 << 20));
        return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
    }
}
