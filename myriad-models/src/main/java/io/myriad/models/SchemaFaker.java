package io.myriad.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Makes up a plausible value that satisfies a JSON schema, the way a cooperative model would fill
 * in tool arguments or a structured answer.
 *
 * <p>Deterministic: the value depends only on the schema, the property name and the turn number.
 * Objects get their required properties (all properties when the schema lists none as required);
 * strings are derived from the property name (a {@code path} becomes {@code notes/step-<n>.txt}, a
 * {@code url} becomes {@code http://localhost/}); numbers are the turn number, kept within
 * {@code minimum}/{@code maximum}; booleans are true; enums and consts take their first value;
 * arrays are empty unless {@code minItems} asks for more; {@code anyOf}/{@code oneOf}/{@code allOf}
 * follow their first branch. {@code $ref} is not followed.
 */
final class SchemaFaker {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_DEPTH = 16;

    private SchemaFaker() {}

    /** A value for {@code schema}, named {@code name} in its parent (empty at the root), at turn {@code turn}. */
    static JsonNode value(JsonNode schema, String name, int turn) {
        return value(schema, name, turn, 0);
    }

    private static JsonNode value(JsonNode schema, String name, int turn, int depth) {
        if (schema == null || !schema.isObject()) {
            return NODES.textNode(text(name, "", turn));
        }
        if (schema.has("const")) {
            return schema.get("const").deepCopy();
        }
        if (schema.path("enum").isArray() && !schema.get("enum").isEmpty()) {
            return schema.get("enum").get(0).deepCopy();
        }
        for (String combinator : List.of("anyOf", "oneOf", "allOf")) {
            JsonNode branches = schema.path(combinator);
            if (branches.isArray() && !branches.isEmpty()) {
                return value(firstNonNull(branches), name, turn, depth + 1);
            }
        }
        return switch (type(schema)) {
            case "object" -> depth >= MAX_DEPTH ? NODES.objectNode() : object(schema, turn, depth);
            case "array" -> depth >= MAX_DEPTH ? NODES.arrayNode() : array(schema, name, turn, depth);
            case "integer", "number" -> NODES.numberNode(number(schema, turn));
            case "boolean" -> NODES.booleanNode(true);
            case "null" -> NODES.nullNode();
            default -> NODES.textNode(fit(text(name, schema.path("format").asText(""), turn), schema));
        };
    }

    private static String type(JsonNode schema) {
        JsonNode type = schema.path("type");
        if (type.isTextual()) {
            return type.asText();
        }
        if (type.isArray()) {
            for (JsonNode t : type) {
                if (!"null".equals(t.asText())) {
                    return t.asText();
                }
            }
            return "null";
        }
        if (schema.has("properties")) {
            return "object";
        }
        return schema.has("items") ? "array" : "string";
    }

    private static JsonNode firstNonNull(JsonNode branches) {
        for (JsonNode branch : branches) {
            if (!"null".equals(branch.path("type").asText())) {
                return branch;
            }
        }
        return branches.get(0);
    }

    private static ObjectNode object(JsonNode schema, int turn, int depth) {
        JsonNode properties = schema.path("properties");
        List<String> names = new ArrayList<>();
        if (schema.path("required").isArray()) {
            schema.get("required").forEach(required -> names.add(required.asText()));
        } else {
            properties.fieldNames().forEachRemaining(names::add);
        }
        ObjectNode object = NODES.objectNode();
        for (String property : names) {
            object.set(property, value(properties.get(property), property, turn, depth + 1));
        }
        return object;
    }

    private static ArrayNode array(JsonNode schema, String name, int turn, int depth) {
        ArrayNode array = NODES.arrayNode();
        int count = Math.min(schema.path("minItems").asInt(0), 100);
        for (int i = 0; i < count; i++) {
            array.add(value(schema.get("items"), name, turn, depth + 1));
        }
        return array;
    }

    private static long number(JsonNode schema, int turn) {
        long n = turn;
        if (schema.path("minimum").isNumber()) {
            n = Math.max(n, (long) Math.ceil(schema.get("minimum").asDouble()));
        }
        if (schema.path("exclusiveMinimum").isNumber()) {
            n = Math.max(n, (long) Math.floor(schema.get("exclusiveMinimum").asDouble()) + 1);
        }
        if (schema.path("maximum").isNumber()) {
            n = Math.min(n, (long) Math.floor(schema.get("maximum").asDouble()));
        }
        if (schema.path("exclusiveMaximum").isNumber()) {
            n = Math.min(n, (long) Math.ceil(schema.get("exclusiveMaximum").asDouble()) - 1);
        }
        return n;
    }

    /** A plausible string for a property, by its format first and its name second. */
    private static String text(String name, String format, int turn) {
        switch (format) {
            case "uri", "url", "iri" -> {
                return "http://localhost/";
            }
            case "email" -> {
                return "sim@example.com";
            }
            case "date-time" -> {
                return "2026-01-01T00:00:00Z";
            }
            case "date" -> {
                return "2026-01-01";
            }
            case "uuid" -> {
                return String.format("00000000-0000-4000-8000-%012x", turn);
            }
            default -> {
                // by name below
            }
        }
        String key = name.toLowerCase(Locale.ROOT);
        if (key.contains("url") || key.endsWith("uri") || key.contains("link") || key.contains("endpoint")
                || key.contains("href")) {
            return "http://localhost/";
        }
        if (key.contains("path") || key.contains("file")) {
            return "notes/step-" + turn + ".txt";
        }
        if (key.contains("dir") || key.contains("folder")) {
            return "notes";
        }
        if (key.contains("content") || key.contains("text") || key.contains("body") || key.contains("message")
                || key.contains("summary") || key.contains("answer") || key.contains("note")
                || key.contains("description")) {
            return "Simulated note for step " + turn + ", written by Myriad's simulated model.";
        }
        if (key.contains("command") || key.equals("cmd")) {
            return "echo step-" + turn;
        }
        if (key.contains("method")) {
            return "GET";
        }
        if (key.contains("query") || key.equals("q") || key.contains("pattern")) {
            return "step " + turn;
        }
        return (key.isEmpty() ? "value" : name) + "-" + turn;
    }

    private static String fit(String text, JsonNode schema) {
        int min = schema.path("minLength").asInt(0);
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        String fitted = text.length() < min ? text + ".".repeat(min - text.length()) : text;
        return fitted.length() > max ? fitted.substring(0, Math.max(0, max)) : fitted;
    }
}
