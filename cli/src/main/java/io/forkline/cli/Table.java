package io.forkline.cli;

import java.util.ArrayList;
import java.util.List;

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... header) {
        this.header = List.of(header);
    }

    Table row(Object... cells) {
        List<String> row = new ArrayList<>();
        for (Object cell : cells) row.add(String.valueOf(cell));
        rows.add(row);
        return this;
    }

    @Override
    public String toString() {
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = header.get(c).length();
            for (List<String> row : rows) widths[c] = Math.max(widths[c], row.get(c).length());
        }
        StringBuilder out = new StringBuilder();
        line(out, header, widths);
        for (int c = 0; c < widths.length; c++) out.append(c == 0 ? "" : "  ").append("-".repeat(widths[c]));
        out.append('\n');
        for (List<String> row : rows) line(out, row, widths);
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        for (int c = 0; c < widths.length; c++) {
            String cell = cells.get(c);
            boolean numeric = !cell.isEmpty() && (Character.isDigit(cell.charAt(0)) || cell.charAt(0) == '-');
            String pad = " ".repeat(widths[c] - cell.length());
            out.append(c == 0 ? "" : "  ").append(numeric ? pad + cell : cell + pad);
        }
        out.append('\n');
    }
}
