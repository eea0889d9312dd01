package io.forkline.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A table of an experiment's results, as cells of text: the CLI pads it, the report writes it
 * as HTML.
 *
 * @param title what the table shows
 * @param columns the column headers
 * @param rows the rows, each as long as the header
 */
public record ResultTable(String title, List<String> columns, List<List<String>> rows) {
    public ResultTable {
        columns = List.copyOf(columns);
        rows = rows.stream().map(List::copyOf).toList();
        for (List<String> row : rows) {
            if (row.size() != columns.size()) throw new IllegalArgumentException("a row of " + row.size() + " cells in a table of " + columns.size() + " columns");
        }
    }

    /** @return a builder of a table with these columns */
    public static Builder builder(String title, String... columns) {
        return new Builder(title, List.of(columns));
    }

    /** Formats a number with the given decimals, the same way in every table. */
    public static String number(double value, int decimals) {
        if (Double.isNaN(value)) return "-";
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** Builds a {@link ResultTable} row by row. */
    public static final class Builder {
        private final String title;
        private final List<String> columns;
        private final List<List<String>> rows = new ArrayList<>();

        private Builder(String title, List<String> columns) {
            this.title = title;
            this.columns = columns;
        }

        /** Adds a row; each cell is printed with {@link String#valueOf(Object)}. */
        public Builder row(Object... cells) {
            List<String> row = new ArrayList<>();
            for (Object cell : cells) row.add(String.valueOf(cell));
            rows.add(row);
            return this;
        }

        public ResultTable build() {
            return new ResultTable(title, columns, rows);
        }
    }
}
