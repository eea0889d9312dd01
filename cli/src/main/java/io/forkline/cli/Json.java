package io.forkline.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The project's JSON writer: objects of strings, numbers, booleans, null, lists and nested
 * objects, keys in the map's order. Every command that prints JSON goes through it.
 */
final class Json {
    private Json() {}

    static String array(List<? extends Map<String, ?>> rows) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            if (i > 0) out.append(",");
            out.append("\n  ").append(object(rows.get(i)));
        }
        return out.append(rows.isEmpty() ? "]" : "\n]").toString();
    }

    static String object(Map<String, ?> fields) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, ?> field : fields.entrySet()) {
            if (!first) out.append(", ");
            first = false;
            out.append(string(field.getKey())).append(": ").append(value(field.getValue()));
        }
        return out.append("}").toString();
    }

    private static String value(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> string(s);
            case Double d -> Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null";
            case Float f -> value(f.doubleValue());
            case Number n -> n.toString();
            case Boolean b -> b.toString();
            case Map<?, ?> m -> object(stringKeys(m));
            case List<?> l -> {
                StringBuilder out = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) out.append(i == 0 ? "" : ", ").append(value(l.get(i)));
                yield out.append(']').toString();
            }
            default -> string(value.toString());
        };
    }

    private static Map<String, ?> stringKeys(Map<?, ?> m) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    static String string(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }
}
