package io.forkline.cli;

import io.forkline.lab.Experiment;
import io.forkline.lab.ExperimentResult;
import io.forkline.lab.Finding;
import io.forkline.lab.HtmlReport;
import io.forkline.lab.Lab;
import io.forkline.lab.LabListener;
import io.forkline.lab.Measurement;
import io.forkline.lab.ResultTable;
import io.forkline.lab.Scale;
import io.forkline.lab.Skip;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code forkline lab}: the seeds' experiments on this host (module {@code io.forkline.lab}),
 * each also a subcommand of its own ({@code forkline lab fork-lock}, or by id, {@code lab e1}).
 * This class parses, shows progress and prints; the experiments and the report are the lab's.
 * Tables go to stdout as each experiment ends; progress and the plan go to stderr.
 */
@Command(
        name = "lab",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the seeds' experiments on this host with forkline's answer beside each, and ends each with a verdict: "
                    + "the claim, the seed's number, the number measured here, and holds / does not hold here / not applicable here.",
            "E1 fork-lock, E2 migration, E3 pid-alloc, E4 cgroup-burst, E5 parent-size; each is also a subcommand."
        })
final class LabCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Smaller counts: the whole lab in about 3 minutes on a 2-core machine.")
    boolean quick;

    @Option(names = "--scale", hidden = true, description = "full, quick or smoke (tests: every path at tiny counts).")
    Scale scale;

    @Option(names = "--report", paramLabel = "DIR", description = "Also write DIR/index.html: one self-contained page with every table, chart, verdict and host fact.")
    Path report;

    @Option(names = "--json", description = "Print one JSON array of {experiment, variant, metric, value, unit, seed_claim, verdict} instead of the tables.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final List<Experiment> experiments;

    /** The whole lab. */
    LabCommand() {
        this(Lab.experiments());
    }

    private LabCommand(List<Experiment> experiments) {
        this.experiments = experiments;
    }

    /** @return {@code lab} with a subcommand per experiment, named by name and by id */
    static CommandLine commandLine() {
        CommandLine lab = new CommandLine(new LabCommand());
        for (Experiment e : Lab.experiments()) {
            CommandLine one = new CommandLine(new LabCommand(List.of(e)));
            one.getCommandSpec().name(e.name()); // the annotation's name is the group's, "lab"
            one.getCommandSpec().usageMessage().description(e.id() + ": " + e.title() + ".");
            lab.addSubcommand(e.name(), one, e.id().toLowerCase(Locale.ROOT));
        }
        return lab;
    }

    @Override
    public Integer call() throws Exception {
        if (quick && scale != null && scale != Scale.QUICK) throw Errors.usage(spec, "--quick and --scale " + scale.name().toLowerCase(Locale.ROOT) + " disagree");
        Scale at = scale != null ? scale : quick ? Scale.QUICK : Scale.FULL;
        PrintStream err = System.err;
        err.printf(Locale.ROOT, "forkline lab: %s at %s scale, about %s on a 2-core machine%n", names(), at.name().toLowerCase(Locale.ROOT),
                words(Lab.estimate(experiments, at)));
        Thread lab = Thread.currentThread();
        SignalHandlers signals = new SignalHandlers("forkline lab");
        for (String name : List.of("INT", "TERM", "HUP")) {
            signals.on(name, () -> {
                err.println("forkline lab: SIG" + name + ": stopping; removing what the experiment started");
                lab.interrupt();
            });
        }
        Lab.Run run;
        try (Progress progress = new Progress(err, Terminal.isTerminal(2), json ? null : System.out)) {
            run = Lab.run(experiments, at, progress);
        } catch (InterruptedException e) {
            err.println("forkline lab: stopped; nothing of it is left running");
            return 130;
        } finally {
            signals.restore();
        }
        if (json) {
            System.out.println(Json.array(run.results().stream().flatMap(r -> r.measurements().stream()).map(LabCommand::json).toList()));
        } else {
            System.out.print(verdicts(run));
        }
        if (report != null) err.println("forkline lab: report written to " + HtmlReport.write(run, report));
        return 0;
    }

    private String names() {
        if (experiments.size() == 1) return experiments.getFirst().id() + " " + experiments.getFirst().name();
        return experiments.size() + " experiments";
    }

    static String words(Duration d) {
        long s = Math.max(1, d.toSeconds());
        return s < 90 ? s + " s" : (s + 30) / 60 + " min";
    }

    /** One experiment's tables, verdict lines, skips and notes, as the terminal shows them. */
    static String text(ExperimentResult r) {
        StringBuilder out = new StringBuilder();
        out.append('\n').append(r.id()).append(": ").append(r.title()).append('\n');
        for (ResultTable t : r.tables()) {
            out.append('\n').append(t.title()).append('\n');
            Table table = new Table(t.columns().toArray(String[]::new));
            for (List<String> row : t.rows()) table.row(row.toArray());
            out.append(table);
        }
        if (!r.findings().isEmpty() || !r.skips().isEmpty()) out.append('\n');
        for (Finding f : r.findings()) out.append("verdict: ").append(f.line()).append('\n');
        for (Skip s : r.skips()) out.append(s.line()).append('\n');
        for (String note : r.notes()) out.append("note: ").append(note).append('\n');
        return out.toString();
    }

    /** The closing table: every verdict of the run. */
    static String verdicts(Lab.Run run) {
        Table table = new Table("experiment", "claim", "seed", "here", "verdict");
        for (ExperimentResult r : run.results()) {
            for (Finding f : r.findings()) table.row(r.id(), f.claim(), f.seedNumber(), f.measured(), f.verdict().words());
            for (Skip s : r.skips()) table.row(r.id(), s.what(), "", "", "skipped: needs " + s.needs());
        }
        return "\nverdicts on " + run.host().kernel().text() + ", " + run.host().cores() + " cores, " + run.host().libc() + ":\n" + table;
    }

    /** The JSON object of {@code lab --json}'s contract: exactly these keys. */
    static Map<String, Object> json(Measurement m) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("experiment", m.experiment());
        fields.put("variant", m.variant());
        fields.put("metric", m.metric());
        fields.put("value", m.value());
        fields.put("unit", m.unit());
        fields.put("seed_claim", m.seedClaim());
        fields.put("verdict", m.verdict() == null ? null : m.verdict().words());
        return fields;
    }

    /** A progress bar per experiment on a terminal, a line per experiment elsewhere; each experiment's text as it ends. */
    private static final class Progress implements LabListener, AutoCloseable {
        private final PrintStream err;
        private final boolean terminal;
        private final PrintStream tables;
        private ProgressBar bar;

        Progress(PrintStream err, boolean terminal, PrintStream tables) {
            this.err = err;
            this.terminal = terminal;
            this.tables = tables;
        }

        @Override
        public void experimentStarted(Experiment experiment, Duration estimate) {
            String name = experiment.id() + " " + experiment.name();
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(100).setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                        .setConsumer(new ConsoleProgressBarConsumer(err)).setUpdateIntervalMillis(200).hideEta().build();
            } else {
                err.println("forkline lab: " + name + ": about " + words(estimate));
            }
        }

        @Override
        public void progress(String step, long done, long total) {
            if (bar == null) return;
            if (total > 0 && bar.getMax() != total) bar.maxHint(total);
            bar.stepTo(done);
            bar.setExtraMessage(" " + step);
        }

        @Override
        public void experimentFinished(ExperimentResult result) {
            closeBar();
            if (!terminal) err.println("forkline lab: " + result.id() + " done in " + ResultTable.number(result.took().toMillis() / 1000.0, 1) + " s");
            if (tables != null) {
                tables.print(text(result));
                tables.flush();
            }
        }

        private void closeBar() {
            if (bar == null) return;
            bar.stepTo(bar.getMax());
            bar.close();
            bar = null;
        }

        @Override
        public void close() {
            closeBar();
        }
    }
}
