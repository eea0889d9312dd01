package io.forkline.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What one experiment found: its tables, the numbers behind them, its verdict lines, its
 * charts, and the parts that could not run here.
 *
 * @param id E1 ... E5
 * @param title the experiment's title
 * @param tables the tables, in the order they print
 * @param measurements every number, for {@code --json}
 * @param findings the verdict lines
 * @param charts the report's charts
 * @param skips the parts that did not run, and what they need
 * @param notes facts worth a line that are neither numbers nor verdicts ("posix_spawn makes clone3(CLONE_VM|CLONE_VFORK)")
 * @param took how long it ran
 */
public record ExperimentResult(String id, String title, List<ResultTable> tables, List<Measurement> measurements,
        List<Finding> findings, List<Chart> charts, List<Skip> skips, List<String> notes, Duration took) {
    public ExperimentResult {
        tables = List.copyOf(tables);
        measurements = List.copyOf(measurements);
        findings = List.copyOf(findings);
        charts = List.copyOf(charts);
        skips = List.copyOf(skips);
        notes = List.copyOf(notes);
    }

    /** @return a builder for the experiment's result; {@link Builder#build} stamps the time it took */
    public static Builder builder(Experiment experiment) {
        return new Builder(experiment.id(), experiment.title());
    }

    /** Collects an experiment's results while it runs. */
    public static final class Builder {
        private final String id;
        private final String title;
        private final long startNanos = System.nanoTime();
        private final List<ResultTable> tables = new ArrayList<>();
        private final List<Measurement> measurements = new ArrayList<>();
        private final List<Finding> findings = new ArrayList<>();
        private final List<Chart> charts = new ArrayList<>();
        private final List<Skip> skips = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        private Builder(String id, String title) {
            this.id = id;
            this.title = title;
        }

        public Builder table(ResultTable table) {
            tables.add(table);
            return this;
        }

        /** A number that bears on no claim. */
        public Builder measurement(String variant, String metric, double value, String unit) {
            return measurement(variant, metric, value, unit, null);
        }

        /** A number that bears on the claim of {@code finding} (which may come later: null for none). */
        public Builder measurement(String variant, String metric, double value, String unit, Finding finding) {
            measurements.add(new Measurement(id, variant, metric, value, unit, finding == null ? null : finding.claim(),
                    finding == null ? null : finding.verdict()));
            return this;
        }

        public Builder finding(Finding finding) {
            findings.add(finding);
            return this;
        }

        public Builder chart(Chart chart) {
            charts.add(chart);
            return this;
        }

        public Builder skip(String what, String needs) {
            skips.add(new Skip(what, needs));
            return this;
        }

        public Builder note(String note) {
            notes.add(note);
            return this;
        }

        public ExperimentResult build() {
            return new ExperimentResult(id, title, tables, measurements, findings, charts, skips, notes,
                    Duration.ofNanos(System.nanoTime() - startNanos));
        }
    }
}
