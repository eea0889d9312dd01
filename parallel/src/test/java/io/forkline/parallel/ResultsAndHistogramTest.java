package io.forkline.parallel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResultsAndHistogramTest {
    @Test
    void resultsPathComponentsAreSafe() {
        assertThat(ResultsDirectory.component("B/x")).isEqualTo("B\\_x");
        assertThat(ResultsDirectory.component("a\\b")).isEqualTo("a\\\\b");
        assertThat(ResultsDirectory.component("..")).isEqualTo("\\..");
        assertThat(ResultsDirectory.component(".")).isEqualTo("\\.");
        assertThat(ResultsDirectory.component("")).isEqualTo("\\");
        String longName = ResultsDirectory.component("é".repeat(300));
        assertThat(longName.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(longName).contains("\\~");
        assertThat(ResultsDirectory.component("é".repeat(300))).isEqualTo(longName);
        assertThat(ResultsDirectory.component("é".repeat(301))).isNotEqualTo(longName);
    }

    @Test
    void histogramPercentilesAreWithinABucket() {
        LogHistogram h = new LogHistogram();
        for (long v = 1; v <= 100_000; v++) h.record(v);
        assertThat(h.count()).isEqualTo(100_000);
        assertThat(h.max()).isEqualTo(100_000);
        assertThat((double) h.percentile(50)).isBetween(50_000 * 0.95, 50_000 * 1.05);
        assertThat((double) h.percentile(99)).isBetween(99_000 * 0.95, 99_000 * 1.05);
        assertThat(h.percentile(100)).isEqualTo(100_000);
        LogHistogram empty = new LogHistogram();
        assertThat(empty.percentile(50)).isEqualTo(-1);
        assertThat(empty.max()).isEqualTo(-1);
        LogHistogram zeros = new LogHistogram();
        zeros.record(0);
        assertThat(zeros.percentile(99)).isZero();
    }
}
