package io.forkline.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    static ExperimentResult result(String id, Chart chart) {
        return new ExperimentResult(id, "title of " + id + " <&>",
                List.of(new ResultTable("a table", List.of("variant", "p99 ms"), List.of(List.of("x", "1.50")))),
                List.of(new Measurement(id, "x", "p99", 1.5, "ms", "claim", Verdict.HOLDS)),
                List.of(new Finding("claim of " + id, "100 ms", "1.5 ms", Verdict.DOES_NOT_HOLD, "2 cores")),
                chart == null ? List.of() : List.of(chart), List.of(new Skip("the Go part", "golang-1.19")), List.of("a note"), Duration.ofSeconds(2));
    }

    @Test
    void aChartOnALogAxisLeavesOutValuesItCannotDraw() throws Exception {
        Chart chart = new Chart("c", "x", "ms", List.of("a", "b", "c"),
                List.of(new Chart.Series("one", Arrays.asList(0.0, 2.0, Double.NaN)), new Chart.Series("none", Arrays.asList(Double.NaN, -1.0, 0.0))), true);
        String svg = new String(HtmlReport.svg(chart), StandardCharsets.UTF_8);
        assertThat(svg).contains("<svg").contains("one").doesNotContain(">none<");
    }

    @Test
    void theReportHoldsTheHostEveryVerdictSkipTableAndChartEscaped(@TempDir Path dir) throws Exception {
        Chart chart = new Chart("latency", "variant", "ms", List.of("x"), List.of(new Chart.Series("p99", List.of(1.5))), false);
        Lab.Run run = new Lab.Run(HostFacts.read(), Scale.SMOKE, Instant.now(), List.of(result("E1", chart), result("E2", null)));
        Path index = HtmlReport.write(run, dir.resolve("report"));
        String html = Files.readString(index);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n")
                .contains(run.host().kernel().text()).contains("favordynmods")
                .contains("id=\"E1\"").contains("id=\"E2\"").contains("claim of E1").contains("claim of E2")
                .contains("does not hold here").contains("needs golang-1.19").contains("title of E1 &lt;&amp;&gt;")
                .contains("data:image/svg+xml;base64,").doesNotContain("<script");
        assertThat(Files.list(dir.resolve("report")).map(p -> p.getFileName().toString()).toList()).containsExactly("index.html");
    }
}
