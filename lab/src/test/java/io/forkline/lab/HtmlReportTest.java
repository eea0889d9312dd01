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

    /** Where Chromium is installed (scripts/setup.sh), the page is also drawn by a browser, headless. */
    @Test
    void chromiumDrawsTheReport(@TempDir Path dir) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(chromium), "chromium is not installed (scripts/setup.sh)");
        Chart chart = new Chart("latency", "variant", "ms", List.of("x"), List.of(new Chart.Series("p99", List.of(1.5))), false);
        Path index = HtmlReport.write(new Lab.Run(HostFacts.read(), Scale.SMOKE, Instant.now(), List.of(result("E1", chart))), dir);
        Path shot = dir.resolve("shot.png");
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=" + dir.resolve("profile"), "--window-size=1200,1600", "--screenshot=" + shot, index.toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        boolean ended = p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly().waitFor();
        assertThat(ended).as("chromium ended").isTrue();
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(shot.toFile());
        assertThat(image.getWidth()).isEqualTo(1200);
        // Not a blank page: the page's dark title ink shows up among its pixels.
        boolean ink = false;
        for (int y = 0; y < 200 && !ink; y++) {
            for (int x = 0; x < 600 && !ink; x++) ink = (image.getRGB(x, y) & 0xff) < 0x40;
        }
        assertThat(ink).as("the screenshot shows text").isTrue();
    }
}
