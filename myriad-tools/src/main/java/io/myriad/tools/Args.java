package io.myriad.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.tool.ToolException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads tool arguments. The engine validates arguments against the schema first; these checks
 * repeat the essentials so that a tool invoked directly still fails with a message, not a
 * NullPointerException.
 */
final class Args {
    private Args() {}

    static String requiredString(JsonNode args, String name) {
        return optionalString(args, name).orElseThrow(
                () -> new ToolException("missing required argument '" + name + "'"));
    }

    static Optional<String> optionalString(JsonNode args, String name) {
        JsonNode node = args.get(name);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw wrongType(name, "a string", node);
        }
        return Optional.of(node.textValue());
    }

    static OptionalLong optionalLong(JsonNode args, String name, long min) {
        JsonNode node = args.get(name);
        if (node == null || node.isNull()) {
            return OptionalLong.empty();
        }
        if (!Json.isInteger(node) || !node.canConvertToLong()) {
            throw wrongType(name, "an integer", node);
        }
        long value = node.longValue();
        if (value < min) {
            throw new ToolException("argument '" + name + "' must be at least " + min
                    + ", got " + value);
        }
        return OptionalLong.of(value);
    }

    static boolean optionalBoolean(JsonNode args, String name, boolean fallback) {
        JsonNode node = args.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw wrongType(name, "true or false", node);
        }
        return node.booleanValue();
    }

    /** An object whose values are all strings, in the order given. */
    static Map<String, String> optionalStringMap(JsonNode args, String name) {
        JsonNode node = args.get(name);
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw wrongType(name, "an object of strings", node);
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw wrongType(name + "." + field.getKey(), "a string", field.getValue());
            }
            out.put(field.getKey(), field.getValue().textValue());
        }
        return out;
    }

    private static ToolException wrongType(String name, String expected, JsonNode got) {
        return new ToolException("argument '" + name + "' must be " + expected + ", got "
                + Json.typeOf(got));
    }
}
