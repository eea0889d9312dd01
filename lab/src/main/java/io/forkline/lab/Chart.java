package io.forkline.lab;

import java.util.List;

/**
 * A bar chart of an experiment's results, drawn by the report (XChart): one group of bars per
 * category, one bar per series.
 *
 * @param title what it shows
 * @param categoryAxis the name of the categories ("parent RSS")
 * @param valueAxis the name and unit of the values ("spawns/s")
 * @param categories the groups along the axis
 * @param series the bars of each group
 * @param logarithmic whether the value axis is logarithmic (for values that span decades)
 */
public record Chart(String title, String categoryAxis, String valueAxis, List<String> categories, List<Series> series,
        boolean logarithmic) {
    public Chart {
        categories = List.copyOf(categories);
        series = List.copyOf(series);
        for (Series s : series) {
            if (s.values().size() != categories.size()) {
                throw new IllegalArgumentException("series " + s.name() + " has " + s.values().size() + " values for " + categories.size() + " categories");
            }
        }
    }

    /**
     * One series: a value per category, NaN where it was not measured.
     *
     * @param name the legend's entry
     * @param values one per category
     */
    public record Series(String name, List<Double> values) {
        public Series {
            values = List.copyOf(values);
        }
    }
}
