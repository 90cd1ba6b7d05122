package io.myriad.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** JSON helpers shared by the validator and the tools: types, equality, paths and wording. */
final class Json {
    static final Set<String> TYPE_NAMES =
            Set.of("string", "integer", "number", "boolean", "object", "array", "null");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");
    private static final int BRIEF_LIMIT = 60;

    private Json() {}

    /** Parses JSON written in the code (tool schemas); a failure is a programming error. */
    static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("invalid built-in JSON: " + e.getOriginalMessage(), e);
        }
    }

    static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "string" -> value.isTextual();
            case "integer" -> isInteger(value);
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "null" -> value.isNull();
            default -> false;
        };
    }

    /** True for integral numbers, including ones written with a zero fraction such as 1.0. */
    static boolean isInteger(JsonNode value) {
        if (value.isIntegralNumber()) {
            return true;
        }
        if (!value.isNumber()) {
            return false;
        }
        if (value.isDouble() || value.isFloat()) {
            double d = value.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return false;
            }
        }
        BigDecimal d = value.decimalValue();
        return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    }

    /** The JSON type name of a value, as used in problem messages. */
    static String typeOf(JsonNode value) {
        if (value.isMissingNode()) {
            return "nothing";
        }
        if (value.isIntegralNumber()) {
            return "integer";
        }
        if (value.isNumber()) {
            return "number";
        }
        if (value.isTextual()) {
            return "string";
        }
        if (value.isBoolean()) {
            return "boolean";
        }
        if (value.isNull()) {
            return "null";
        }
        return value.isArray() ? "array" : "object";
    }

    /** JSON equality as JSON Schema defines it: numbers compare by value, so 1 equals 1.0. */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!equal(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Map.Entry<String, JsonNode> field : a.properties()) {
                JsonNode other = b.get(field.getKey());
                if (other == null || !equal(field.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** A value as short JSON text for a message, cut to a readable length. */
    static String brief(JsonNode value) {
        String text = value.isMissingNode() ? "nothing" : value.toString();
        return text.length() <= BRIEF_LIMIT ? text : text.substring(0, BRIEF_LIMIT - 3) + "...";
    }

    static String plain(BigDecimal number) {
        return number.toString();
    }

    /** The path of a member: {@code $.name}, or {@code $['odd name']} when not an identifier. */
    static String member(String path, String name) {
        if (IDENTIFIER.matcher(name).matches()) {
            return path + "." + name;
        }
        return path + "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']";
    }

    static String index(String path, int index) {
        return path + "[" + index + "]";
    }

    /** A keyword's value when it is a non-negative integer, clamped to the int range. */
    static OptionalInt intKeyword(JsonNode schema, String keyword) {
        JsonNode node = schema.get(keyword);
        if (node == null || !isInteger(node) || node.decimalValue().signum() < 0) {
            return OptionalInt.empty();
        }
        BigDecimal value = node.decimalValue();
        return OptionalInt.of(value.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0
                ? Integer.MAX_VALUE : value.intValue());
    }

    static String plural(int count, String word) {
        if (count == 1) {
            return "1 " + word;
        }
        return count + " " + (word.endsWith("y") ? word.substring(0, word.length() - 1) + "ies"
                : word + "s");
    }

    /** "a", "a or b", "a, b or c". */
    static String orList(List<String> words) {
        if (words.size() <= 1) {
            return String.join("", words);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.getLast();
    }

    /** Whether the regular expression is found in the text; an invalid expression never is. */
    static boolean findsSafely(String regex, String text) {
        try {
            return Pattern.compile(regex).matcher(text).find();
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    static JsonNode text(String value) {
        return TextNode.valueOf(value);
    }
}
