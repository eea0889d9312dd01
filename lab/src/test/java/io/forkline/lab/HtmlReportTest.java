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
    void aChartOnALogAxisWithValuesItCannotDrawIsStillDrawn() throws Exception {
        Chart chart = new Chart("c", "x", "ms", List.of("a", "b", "c"),
                List.of(new Chart.Series("one", Arrays.asList(0.0, 2.0, Double.NaN)), new Chart.Series("none", Arrays.asList(Double.NaN, -1.0, 0.0))), true);
        String svg = new String(HtmlReport.svg(chart), StandardCharsets.UTF_8);
        assertThat(svg).contains("<svg");
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

    /** Every image of the page, parsed: the page as XML, each chart's SVG out of its data URI. */
    @Test
    void theReportParsesWholeAndEveryChartIsAnSvgThatParses(@TempDir Path dir) throws Exception {
        Chart chart = new Chart("latency", "variant", "ms", List.of("x", "y"),
                List.of(new Chart.Series("p50", List.of(0.5, 2.0)), new Chart.Series("p99", List.of(1.5, 30.0))), true);
        Lab.Run run = new Lab.Run(HostFacts.read(), Scale.SMOKE, Instant.now(), List.of(result("E1", chart), result("E4", chart)));
        Path index = HtmlReport.write(run, dir);
        var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        org.w3c.dom.Document page = factory.newDocumentBuilder().parse(index.toFile());
        org.w3c.dom.NodeList images = page.getElementsByTagName("img");
        assertThat(images.getLength()).isEqualTo(2);
        for (int i = 0; i < images.getLength(); i++) {
            String src = ((org.w3c.dom.Element) images.item(i)).getAttribute("src");
            assertThat(src).startsWith("data:image/svg+xml;base64,");
            byte[] svg = java.util.Base64.getDecoder().decode(src.substring(src.indexOf(',') + 1));
            org.w3c.dom.Document drawing = factory.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(svg));
            assertThat(drawing.getDocumentElement().getTagName()).isEqualTo("svg");
            // VectorGraphics2D draws text as outlines: what can be checked is that there is a drawing.
            assertThat(drawing.getElementsByTagName("path").getLength()).as("shapes drawn").isGreaterThan(10);
        }
        assertThat(page.getElementsByTagName("section").getLength()).isEqualTo(4); // host, verdicts, E1, E4
    }

    /** The page as a browser draws it: not blank. */
    @Test
    void chromiumDrawsTheReport(@TempDir Path dir) throws Exception {
        Chart chart = new Chart("latency", "variant", "ms", List.of("x"), List.of(new Chart.Series("p99", List.of(1.5))), false);
        Path index = HtmlReport.write(new Lab.Run(HostFacts.read(), Scale.SMOKE, Instant.now(), List.of(result("E1", chart))), dir);
        java.awt.image.BufferedImage image = Chromium.screenshot(index, 1200, 1600, dir);
        assertThat(image.getWidth()).isEqualTo(1200);
        // Not a blank page: the page's dark title ink shows up among its pixels.
        boolean ink = false;
        for (int y = 0; y < 200 && !ink; y++) {
            for (int x = 0; x < 600 && !ink; x++) ink = (image.getRGB(x, y) & 0xff) < 0x40;
        }
        assertThat(ink).as("the screenshot shows text").isTrue();
    }

    /**
     * Every legend fits inside its chart as Chromium draws it. Each chart's SVG is put in a page
     * as it is, inline, at a known place, with its overflow visible: whatever the drawing puts
     * outside its own width and height (a legend running past the right edge, which an img
     * element would cut off) is then ink outside that box, and the test finds it. The charts are
     * those of the experiments with the longest legends, under their real series names (E2's
     * cases, E4's ways of getting a group), and one chart of a single very long name.
     */
    @Test
    void everyLegendFitsInsideItsChartAsChromiumDrawsIt(@TempDir Path dir) throws Exception {
        List<String> stats = List.of("p50", "p99", "max");
        List<Chart.Series> e2 = Arrays.stream(MigrationExperiment.Case.values())
                .map(c -> new Chart.Series(c.words, List.of(0.06, 0.5, 8.0))).toList();
        List<Chart.Series> e4 = new java.util.ArrayList<>();
        for (CgroupBurstExperiment.Groups groups : CgroupBurstExperiment.Groups.values()) {
            for (CgroupStarts.Mode mode : List.of(CgroupStarts.Mode.MKDIR, CgroupStarts.Mode.POOL)) {
                e4.add(new Chart.Series(CgroupBurstExperiment.seriesName(mode, groups), List.of(0.05, 30.0, 190.0)));
            }
        }
        List<Chart> charts = List.of(
                new Chart("E2", "statistic", "ms", stats, e2, true),
                new Chart("E4", "statistic", "ms", stats, e4, true),
                new Chart("one long name", "statistic", "ms", stats, List.of(new Chart.Series(
                        "a series whose name alone is wider than the chart it belongs to, as a person might write one "
                                + "when the legend is the only place that says what the bars are", List.of(1.0, 2.0, 3.0))), false));
        int margin = 100;
        for (Chart chart : charts) {
            String svg = new String(HtmlReport.svg(chart), StandardCharsets.UTF_8);
            var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            var root = factory.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
            int width = (int) Math.ceil(Double.parseDouble(root.getAttribute("width").replace("px", "")));
            int height = (int) Math.ceil(Double.parseDouble(root.getAttribute("height").replace("px", "")));
            String inline = svg.substring(svg.indexOf("<svg"));
            inline = "<svg style=\"overflow:visible;display:block\"" + inline.substring(4);
            Path page = dir.resolve(chart.title().replace(' ', '-') + ".html");
            Files.writeString(page, "<!DOCTYPE html><html><body style=\"margin:0;background:#fff\"><div style=\"position:absolute;left:"
                    + margin + "px;top:" + margin + "px;width:" + width + "px;height:" + height + "px\">" + inline + "</div></body></html>");
            java.awt.image.BufferedImage shot = Chromium.screenshot(page, width + 2 * margin + 600, height + 2 * margin + 300, dir);
            int outside = 0;
            int rightmost = -1;
            for (int y = 0; y < shot.getHeight(); y++) {
                for (int x = 0; x < shot.getWidth(); x++) {
                    boolean inBox = x >= margin && x < margin + width && y >= margin && y < margin + height;
                    if (!inBox && (shot.getRGB(x, y) & 0xffffff) != 0xffffff) {
                        outside++;
                        rightmost = Math.max(rightmost, x);
                    }
                }
            }
            assertThat(outside).as("chart '%s' (%d x %d) draws %d pixels outside itself, the rightmost %d px past its right edge; "
                    + "legend: %s", chart.title(), width, height, outside, rightmost - margin - width,
                    chart.series().stream().map(Chart.Series::name).toList()).isZero();
        }
    }
}
