package io.forkline.lab;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.Styler;

/**
 * {@code forkline lab --report DIR}: one self-contained DIR/index.html with the host's facts,
 * every verdict in one table at the top, then each experiment's tables and charts. Charts are
 * drawn by XChart as SVG and embedded as data URIs, so the file opens anywhere, offline, and can
 * be mailed or attached to a bug as it is. The page is also well-formed XML (XHTML syntax), so
 * that a test can parse it whole.
 */
public final class HtmlReport {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
    /** The series colours: distinguishable, also in greyscale print. */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
    };

    private HtmlReport() {}

    /**
     * Writes {@code directory/index.html}, creating the directory; the file appears whole or not
     * at all (written beside it, then renamed).
     *
     * @return the file written
     */
    public static Path write(Lab.Run run, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path index = directory.resolve("index.html");
        Path partial = directory.resolve("index.html.partial");
        Files.writeString(partial, html(run), StandardCharsets.UTF_8);
        Files.move(partial, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return index;
    }

    static String html(Lab.Run run) throws IOException {
        StringBuilder out = new StringBuilder(64 * 1024);
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>forkline lab: ").append(escape(run.host().kernel().text())).append("</title>\n<style>")
                .append(CSS).append("</style></head><body>\n<main>\n");
        out.append("<header><h1>forkline lab</h1><p class=\"sub\">Each seed's claim, measured on this host, with forkline's answer beside it. ")
                .append(escape(WHEN.format(run.started()))).append(", ").append(run.scale().name().toLowerCase(java.util.Locale.ROOT))
                .append(" run.</p></header>\n");

        out.append("<section id=\"host\"><h2>Host</h2><table class=\"facts\">");
        for (Map.Entry<String, String> fact : run.host().asRows().entrySet()) {
            out.append("<tr><th>").append(escape(fact.getKey())).append("</th><td>").append(escape(fact.getValue())).append("</td></tr>");
        }
        out.append("</table></section>\n");

        out.append("<section id=\"verdicts\"><h2>Verdicts</h2><table class=\"verdicts\"><thead><tr>")
                .append("<th>id</th><th>claim</th><th>seed</th><th>here</th><th>verdict</th><th>why</th></tr></thead><tbody>");
        for (ExperimentResult r : run.results()) {
            for (Finding f : r.findings()) {
                out.append("<tr><td><a href=\"#").append(r.id()).append("\">").append(r.id()).append("</a></td><td>").append(escape(f.claim()))
                        .append("</td><td class=\"num\">").append(escape(f.seedNumber())).append("</td><td class=\"num\">").append(escape(f.measured()))
                        .append("</td><td>").append(badge(f.verdict())).append("</td><td class=\"why\">").append(escape(f.reason())).append("</td></tr>");
            }
            for (Skip s : r.skips()) {
                out.append("<tr class=\"skip\"><td><a href=\"#").append(r.id()).append("\">").append(r.id()).append("</a></td><td>")
                        .append(escape(s.what())).append("</td><td></td><td></td><td><span class=\"badge na\">skipped</span></td><td>needs ")
                        .append(escape(s.needs())).append("</td></tr>");
            }
        }
        out.append("</tbody></table></section>\n");

        for (ExperimentResult r : run.results()) experiment(out, r);
        out.append("<footer>Written by <code>forkline lab</code>. Every number above was measured in this run; the seeds' numbers are quoted from the seeds.</footer>\n");
        return out.append("</main></body></html>\n").toString();
    }

    private static void experiment(StringBuilder out, ExperimentResult r) throws IOException {
        out.append("<section class=\"experiment\" id=\"").append(r.id()).append("\"><h2><span class=\"id\">").append(r.id()).append("</span> ")
                .append(escape(r.title())).append("</h2>\n<p class=\"took\">ran ")
                .append(ResultTable.number(r.took().toMillis() / 1000.0, 1)).append(" s</p>\n");
        for (Finding f : r.findings()) {
            out.append("<div class=\"finding\">").append(badge(f.verdict())).append(" <b>").append(escape(f.claim())).append("</b>: seed ")
                    .append(escape(f.seedNumber())).append(", here ").append(escape(f.measured())).append(". <span class=\"why\">")
                    .append(escape(f.reason())).append("</span></div>\n");
        }
        for (Skip s : r.skips()) {
            out.append("<div class=\"finding\"><span class=\"badge na\">skipped</span> ").append(escape(s.what())).append(": needs ")
                    .append(escape(s.needs())).append("</div>\n");
        }
        for (String note : r.notes()) out.append("<p class=\"note\">").append(escape(note)).append("</p>\n");
        if (!r.charts().isEmpty()) {
            out.append("<div class=\"charts\">");
            for (Chart c : r.charts()) {
                out.append("<figure><img alt=\"").append(escape(c.title())).append("\" src=\"data:image/svg+xml;base64,")
                        .append(Base64.getEncoder().encodeToString(svg(c))).append("\"/><figcaption>").append(escape(c.title()))
                        .append("</figcaption></figure>");
            }
            out.append("</div>\n");
        }
        for (ResultTable t : r.tables()) {
            out.append("<table class=\"results\"><caption>").append(escape(t.title())).append("</caption><thead><tr>");
            for (String c : t.columns()) out.append("<th>").append(escape(c)).append("</th>");
            out.append("</tr></thead><tbody>");
            for (List<String> row : t.rows()) {
                out.append("<tr>");
                for (String cell : row) out.append(numeric(cell) ? "<td class=\"num\">" : "<td>").append(escape(cell)).append("</td>");
                out.append("</tr>");
            }
            out.append("</tbody></table>\n");
        }
        out.append("</section>\n");
    }

    /** Draws a chart as SVG with XChart. Values that cannot be drawn (NaN, or not above 0 on a log axis) are left out. */
    static byte[] svg(Chart c) throws IOException {
        LegendPlan legend = LegendPlan.of(c.series().stream().map(Chart.Series::name).toList());
        CategoryChart chart = new CategoryChartBuilder().width(CHART_WIDTH).height(CHART_HEIGHT + legend.extraHeight())
                .title(c.title()).xAxisTitle(c.categoryAxis()).yAxisTitle(c.valueAxis()).build();
        org.knowm.xchart.style.CategoryStyler styler = chart.getStyler();
        styler.setYAxisLogarithmic(c.logarithmic());
        styler.setYAxisLogarithmicDecadeOnly(true); // a gridline per decade, not nine
        styler.setPlotGridVerticalLinesVisible(false);
        styler.setPlotGridLinesColor(new Color(0xe3e6ec));
        styler.setAxisTickLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 12));
        styler.setAxisTitleFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 13));
        styler.setLegendFont(LEGEND_FONT);
        styler.setLegendBorderColor(Color.WHITE);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(legend.layout());
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBorderVisible(false);
        styler.setSeriesColors(PALETTE);
        styler.setChartTitleVisible(false); // the figure's caption says it, in the page's font
        chart.getStyler().setAvailableSpaceFill(0.8);
        // Long category names side by side run into each other: tilt them.
        int longest = c.categories().stream().mapToInt(String::length).max().orElse(0);
        if (longest * c.categories().size() > 70) styler.setXAxisLabelRotation(25);
        double smallest = Double.POSITIVE_INFINITY;
        for (Chart.Series s : c.series()) {
            for (Double v : s.values()) if (v != null && v > 0) smallest = Math.min(smallest, v);
        }
        // XChart counts a missing bar as 0 when it checks a log axis, so the axis is given its
        // lower end: a decade-aligned step below the smallest value drawn.
        if (c.logarithmic() && smallest < Double.POSITIVE_INFINITY) styler.setYAxisMin((Double) Math.pow(10, Math.floor(Math.log10(smallest))));
        for (Chart.Series s : c.series()) {
            List<Double> values = new ArrayList<>();
            for (Double v : s.values()) values.add(v == null || v.isNaN() || (c.logarithmic() && v <= 0) ? null : v);
            if (values.stream().allMatch(v -> v == null)) continue;
            chart.addSeries(legend.names().get(s.name()), c.categories(), values);
        }
        ByteArrayOutputStream svg = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, svg, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return svg.toByteArray();
    }

    private static final int CHART_WIDTH = 720;
    private static final int CHART_HEIGHT = 380;
    private static final java.awt.Font LEGEND_FONT = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 12);
    /**
     * What a legend entry takes besides its text, and the legend besides its entries: XChart's
     * series box, the gaps around it and the legend's padding (Legend_), with room to spare.
     */
    private static final int ENTRY_EXTRA = 44;
    private static final int LEGEND_EXTRA = 40;

    /**
     * How a chart's legend fits its width. XChart lays a horizontal legend out in one row and
     * never wraps it, so a row wider than the chart runs past its right edge, where the page's
     * img element cuts it off. So the entries are measured first (the SVG draws text as outlines
     * of this very font, so Java's measure is the drawing's): one row when they fit, else one
     * entry per line, a name that is too wide even alone broken at spaces, and the chart made
     * taller by what the extra lines take. HtmlReportTest checks the result as Chromium draws it.
     *
     * @param layout one row or one entry per line
     * @param names each series' name as the legend shows it (with line breaks where needed)
     * @param extraHeight what the legend takes beyond one row
     */
    record LegendPlan(Styler.LegendLayout layout, java.util.Map<String, String> names, int extraHeight) {
        static LegendPlan of(List<String> series) {
            var context = new java.awt.font.FontRenderContext(null, true, true);
            double lineHeight = LEGEND_FONT.getLineMetrics("Mg", context).getHeight();
            double row = LEGEND_EXTRA;
            for (String name : series) row += LEGEND_FONT.getStringBounds(name, context).getWidth() + ENTRY_EXTRA;
            java.util.Map<String, String> names = new java.util.LinkedHashMap<>();
            if (row <= CHART_WIDTH) {
                for (String name : series) names.put(name, name);
                return new LegendPlan(Styler.LegendLayout.Horizontal, names, 0);
            }
            double room = CHART_WIDTH - LEGEND_EXTRA - ENTRY_EXTRA;
            int lines = 0;
            for (String name : series) {
                StringBuilder shown = new StringBuilder();
                StringBuilder line = new StringBuilder();
                for (String word : name.split(" ")) {
                    String longer = line.isEmpty() ? word : line + " " + word;
                    if (!line.isEmpty() && LEGEND_FONT.getStringBounds(longer, context).getWidth() > room) {
                        shown.append(line).append('\n');
                        lines++;
                        line.setLength(0);
                        line.append(word);
                    } else {
                        line.setLength(0);
                        line.append(longer);
                    }
                }
                shown.append(line);
                lines++;
                names.put(name, shown.toString());
            }
            // Each further line: its text and the gap XChart leaves between entries.
            return new LegendPlan(Styler.LegendLayout.Vertical, names, (int) Math.ceil((lines - 1) * (lineHeight + 6)));
        }
    }

    private static String badge(Verdict v) {
        String kind = switch (v) {
            case HOLDS -> "holds";
            case DOES_NOT_HOLD -> "not";
            case NOT_APPLICABLE -> "na";
        };
        return "<span class=\"badge " + kind + "\">" + escape(v.words()) + "</span>";
    }

    private static boolean numeric(String cell) {
        return !cell.isEmpty() && (Character.isDigit(cell.charAt(0)) || (cell.length() > 1 && cell.charAt(0) == '-' && Character.isDigit(cell.charAt(1))));
    }

    /** Escapes text for HTML, and draws the plain-text "->" of the tables as an arrow. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString().replace("-&gt;", "\u2192");
    }

    private static final String CSS = """
            :root{--ink:#1d2330;--mute:#5b6475;--line:#e3e6ec;--bg:#f7f8fa;--holds:#1e7d3c;--not:#b34700;--na:#6b7280}
            *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
            main{max-width:1100px;margin:0 auto;padding:24px 28px 48px}
            header h1{margin:0;font-size:30px;letter-spacing:-.5px}.sub{color:var(--mute);margin:4px 0 18px}
            section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:18px 0}
            h2{font-size:20px;margin:0 0 10px}.id{display:inline-block;background:var(--ink);color:#fff;border-radius:6px;padding:0 8px;margin-right:6px;font-size:16px}
            table{border-collapse:collapse;width:100%;margin:10px 0}th,td{text-align:left;padding:6px 9px;border-bottom:1px solid var(--line);vertical-align:top}
            thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--mute);border-bottom:2px solid var(--line)}
            td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
            table.facts th{width:180px;color:var(--mute);font-weight:600}caption{text-align:left;font-weight:600;padding:6px 0;color:var(--ink)}
            .badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12.5px;font-weight:600;color:#fff;white-space:nowrap}
            .badge.holds{background:var(--holds)}.badge.not{background:var(--not)}.badge.na{background:var(--na)}
            .finding{margin:6px 0}.why{color:var(--mute)}.note{color:var(--mute);font-size:14px}.took{color:var(--mute);font-size:13px;margin:-6px 0 8px}
            .charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;flex:1 1 480px}figure img{width:100%;height:auto;border:1px solid var(--line);border-radius:8px}
            figcaption{font-size:13px;color:var(--mute);text-align:center}tr.skip td{color:var(--mute)}
            table.verdicts{table-layout:fixed}table.verdicts td,table.verdicts td.num{white-space:normal;overflow-wrap:anywhere;text-align:left;font-size:14px}
            table.verdicts th:nth-child(1){width:5%}table.verdicts th:nth-child(2){width:25%}table.verdicts th:nth-child(3){width:14%}
            table.verdicts th:nth-child(4){width:20%}table.verdicts th:nth-child(5){width:15%}table.verdicts th:nth-child(6){width:21%}
            table.verdicts .why{font-size:13px}table.verdicts .badge{white-space:normal;text-align:center}
            footer{color:var(--mute);font-size:13px;text-align:center;margin-top:24px}a{color:inherit}
            """;
}
