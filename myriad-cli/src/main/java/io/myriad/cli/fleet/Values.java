package io.myriad.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Typed reads of located values. Each returns empty after reporting a problem that says what was
 * expected and what was found, so callers carry on and collect every problem in one pass.
 */
final class Values {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String DURATION_HINT = "a duration like 30s or 5m";

    private Values() {}

    static Optional<String> string(Node node, Problems problems) {
        if (node instanceof Node.Scalar s && s.kind() == Node.Kind.STRING) {
            return Optional.of((String) s.value());
        }
        String hint = node instanceof Node.Scalar s && s.kind() != Node.Kind.NULL
                ? " (quote it to make it a string: \"" + s.text() + "\")"
                : "";
        problems.at(node, "expected a string, got " + node.describe() + hint);
        return Optional.empty();
    }

    /** A string with visible characters. */
    static Optional<String> nonBlank(Node node, String what, Problems problems) {
        return string(node, problems).filter(s -> {
            if (s.isBlank()) {
                problems.at(node, "expected " + what + ", got an empty string");
            }
            return !s.isBlank();
        });
    }

    static Optional<Node.Mapping> mapping(Node node, Problems problems) {
        if (node instanceof Node.Mapping m) {
            return Optional.of(m);
        }
        problems.at(node, "expected a mapping, got " + node.describe());
        return Optional.empty();
    }

    static Optional<Node.Sequence> list(Node node, Problems problems) {
        if (node instanceof Node.Sequence s) {
            return Optional.of(s);
        }
        problems.at(node, "expected a list, got " + node.describe());
        return Optional.empty();
    }

    /** A list of strings; reports every item that is not one. */
    static Optional<List<String>> strings(Node node, Problems problems) {
        Optional<Node.Sequence> list = list(node, problems);
        if (list.isEmpty()) {
            return Optional.empty();
        }
        List<String> result = new ArrayList<>();
        boolean ok = true;
        for (Node item : list.get().items()) {
            Optional<String> s = string(item, problems);
            s.ifPresent(result::add);
            ok &= s.isPresent();
        }
        return ok ? Optional.of(result) : Optional.empty();
    }

    /** An integer from {@code min} to {@code max} inclusive. */
    static Optional<Long> integer(Node node, long min, long max, Problems problems) {
        if (node instanceof Node.Scalar s && s.kind() == Node.Kind.INTEGER
                && (s.value() instanceof Integer || s.value() instanceof Long)) {
            long value = ((Number) s.value()).longValue();
            if (value >= min && value <= max) {
                return Optional.of(value);
            }
        }
        problems.at(node, "expected " + integerRange(min, max) + ", got " + node.describe());
        return Optional.empty();
    }

    private static String integerRange(long min, long max) {
        if ((min == Long.MIN_VALUE && max == Long.MAX_VALUE) || (min == Integer.MIN_VALUE && max == Integer.MAX_VALUE)) {
            return "an integer";
        }
        if (max == Long.MAX_VALUE) {
            return "an integer of at least " + min;
        }
        return "an integer from " + min + " to " + max;
    }

    /** A finite number (integer or decimal) from {@code min} to {@code max} inclusive. */
    static Optional<Double> number(Node node, double min, double max, Problems problems) {
        if (node instanceof Node.Scalar s && (s.kind() == Node.Kind.INTEGER || s.kind() == Node.Kind.FLOAT)) {
            double value = ((Number) s.value()).doubleValue();
            if (Double.isFinite(value) && value >= min && value <= max) {
                return Optional.of(value);
            }
        }
        String range = max == Double.MAX_VALUE ? "a number of at least " + plain(min) : "a number from " + plain(min)
                + " to " + plain(max);
        problems.at(node, "expected " + range + ", got " + node.describe());
        return Optional.empty();
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    static Optional<Boolean> bool(Node node, Problems problems) {
        if (node instanceof Node.Scalar s && s.kind() == Node.Kind.BOOLEAN) {
            return Optional.of((Boolean) s.value());
        }
        problems.at(node, "expected true or false, got " + node.describe());
        return Optional.empty();
    }

    /**
     * A duration ({@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, or a bare integer of
     * seconds); zero is accepted only when {@code zeroAllowed}.
     */
    static Optional<Duration> duration(Node node, boolean zeroAllowed, Problems problems) {
        Optional<Duration> parsed = Optional.empty();
        if (node instanceof Node.Scalar s && (s.kind() == Node.Kind.STRING || s.kind() == Node.Kind.INTEGER)) {
            parsed = Durations.tryParse(s.text());
        }
        if (parsed.isEmpty()) {
            problems.at(node, "expected " + DURATION_HINT + ", got " + node.describe());
        } else if (parsed.get().isZero() && !zeroAllowed) {
            problems.at(node, "expected a positive duration like 30s or 5m, got " + node.describe());
            return Optional.empty();
        }
        return parsed;
    }

    /** The JSON form of a value: mappings become objects, lists arrays, scalars their JSON type. */
    static JsonNode toJson(Node node) {
        return switch (node) {
            case Node.Mapping m -> {
                ObjectNode object = JSON.objectNode();
                m.entries().forEach((key, entry) -> object.set(key, toJson(entry.value())));
                yield object;
            }
            case Node.Sequence s -> {
                ArrayNode array = JSON.arrayNode(s.items().size());
                s.items().forEach(item -> array.add(toJson(item)));
                yield array;
            }
            case Node.Scalar s -> scalarJson(s);
        };
    }

    private static JsonNode scalarJson(Node.Scalar s) {
        return switch (s.value()) {
            case null -> JSON.nullNode();
            case String text -> JSON.textNode(text);
            case Boolean b -> JSON.booleanNode(b);
            case BigInteger big -> JSON.numberNode(big);
            case BigDecimal dec -> JSON.numberNode(dec);
            case Double d when Double.isFinite(d) -> JSON.numberNode(d);
            case Float f when Float.isFinite(f) -> JSON.numberNode(f);
            case Long l -> JSON.numberNode(l);
            case Integer i -> JSON.numberNode(i);
            case Number n -> JSON.textNode(s.text());
            default -> JSON.textNode(s.text());
        };
    }
}
