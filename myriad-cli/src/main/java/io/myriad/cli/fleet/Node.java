package io.myriad.cli.fleet;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A YAML or JSON value that remembers where it starts (1-based line and column), so every
 * problem can point at the offending token. Built by {@link NodeReader}.
 */
sealed interface Node permits Node.Scalar, Node.Mapping, Node.Sequence {

    int line();

    int column();

    /** How a value reads in a "got ..." message: {@code 'soon'}, {@code 42}, {@code a list}. */
    String describe();

    /** The kind of a scalar, as the YAML or JSON parser resolved it. */
    enum Kind { STRING, INTEGER, FLOAT, BOOLEAN, NULL }

    /**
     * A leaf value.
     *
     * @param kind  how the parser typed it (a quoted {@code "42"} is a string)
     * @param value a {@code String}, a {@code Number}, a {@code Boolean}, or null for {@link Kind#NULL}
     * @param text  the text as written
     */
    record Scalar(Kind kind, Object value, String text, int line, int column) implements Node {
        static Scalar empty(int line, int column) {
            return new Scalar(Kind.NULL, null, "", line, column);
        }

        @Override
        public String describe() {
            return switch (kind) {
                case STRING -> "'" + abbreviate(text) + "'";
                case NULL -> text.equals("null") || text.equals("~") ? "null" : "an empty value";
                default -> abbreviate(text);
            };
        }

        private static String abbreviate(String text) {
            String oneLine = text.replace("\n", "\\n");
            return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 57) + "...";
        }
    }

    /**
     * A key in a mapping, with the key's own location.
     */
    record Entry(String key, int line, int column, Node value) {}

    /** A mapping; keys are unique and keep their file order. */
    record Mapping(Map<String, Entry> entries, int line, int column) implements Node {
        public Mapping {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        Optional<Entry> entry(String key) {
            return Optional.ofNullable(entries.get(key));
        }

        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** A list. */
    record Sequence(List<Node> items, int line, int column) implements Node {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }
}
