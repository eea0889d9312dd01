package io.forkline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrimitivesReportTest {

    private final List<PrimitivesReport.Row> rows = PrimitivesReport.withRatios(List.of(
            new PrimitivesReport.Row("RwLock", "PerCpuRwLock", 2, 3000.0, Double.NaN),
            new PrimitivesReport.Row("RwLock", "StampedLock", 2, 1000.0, Double.NaN),
            new PrimitivesReport.Row("RwLock", "ReentrantReadWriteLock", 2, 500.0, Double.NaN),
            new PrimitivesReport.Row("XorLock \"uncontended\"", "XorLock", 1, 5e7, Double.NaN)));

    @Test
    void ratiosAreAgainstTheBestBaselineAtTheSameThreadCount() {
        assertThat(rows).extracting(PrimitivesReport.Row::baselineRatio)
                .containsExactly(3.0, 1.0, 0.5, Double.NaN);
    }

    @Test
    void jsonHasExactlyTheAgreedKeysAndEscapesStrings() {
        String json = PrimitivesReport.toJson(rows);
        assertThat(json).startsWith("[\n  {\"primitive\": \"RwLock\", \"impl\": \"PerCpuRwLock\", "
                + "\"threads\": 2, \"ops_per_sec\": 3000.000, \"baseline_ratio\": 3.000}");
        assertThat(json).contains("{\"primitive\": \"XorLock \\\"uncontended\\\"\", \"impl\": \"XorLock\", "
                + "\"threads\": 1, \"ops_per_sec\": 50000000.000, \"baseline_ratio\": null}");
        assertThat(json).endsWith("}\n]");
        assertThat(PrimitivesReport.toJson(List.of())).isEqualTo("[]");
    }

    @Test
    void tableLabelsOversubscribedThreadCounts() {
        int oversubscribed = Runtime.getRuntime().availableProcessors() + 1;
        String table = PrimitivesReport.toTable(List.of(
                new PrimitivesReport.Row("IdAllocator", "RangeIdAllocator", oversubscribed, 1.0, 2.0)));
        assertThat(table).contains(oversubscribed + " (oversubscribed)").contains("2.00x");
    }
}
