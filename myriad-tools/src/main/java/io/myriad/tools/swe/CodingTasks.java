package io.myriad.tools.swe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads coding tasks from JSONL: one JSON object per line, blank lines ignored. Fields:
 * {@code id}, {@code repository}, {@code base}, {@code goal}, {@code testCommand} (strings,
 * required), {@code setupCommand} (string) and {@code allowTestEdits} (boolean, false unless
 * given). Unknown fields and repeated ids are errors, reported with their line number.
 */
public final class CodingTasks {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("id", "repository", "base", "goal",
            "testCommand", "setupCommand", "allowTestEdits");

    private CodingTasks() {}

    /** The tasks of a JSONL file, in order. */
    public static List<CodingTask> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SweException("cannot read the task file " + file + ": " + e.getMessage(),
                    false, e);
        }
        return parse(file.toString(), text);
    }

    /** The tasks of JSONL text; {@code source} names it in error messages. */
    public static List<CodingTask> parse(String source, String text) {
        List<CodingTask> tasks = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            int line = i + 1;
            CodingTask task = parseLine(source, line, lines[i]);
            Integer first = seen.putIfAbsent(task.id(), line);
            if (first != null) {
                throw new SweException(source + ":" + line + ": task id '" + task.id()
                        + "' is already used on line " + first + "; ids must be unique", false);
            }
            tasks.add(task);
        }
        return List.copyOf(tasks);
    }

    private static CodingTask parseLine(String source, int line, String json) {
        String where = source + ":" + line + ": ";
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SweException(where + "not valid JSON: " + e.getOriginalMessage(), false, e);
        }
        if (node == null || !node.isObject()) {
            throw new SweException(where + "expected a JSON object with the task's fields", false);
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new SweException(where + "unknown field '" + name + "'; known fields: "
                        + FIELDS.stream().sorted().toList(), false);
            }
        }
        try {
            JsonNode allow = node.get("allowTestEdits");
            if (allow != null && !allow.isBoolean()) {
                throw new IllegalArgumentException("'allowTestEdits' must be true or false");
            }
            return new CodingTask(text(node, "id"), text(node, "repository"), text(node, "base"),
                    text(node, "goal"), text(node, "testCommand"),
                    Optional.ofNullable(text(node, "setupCommand")),
                    allow != null && allow.booleanValue());
        } catch (IllegalArgumentException e) {
            throw new SweException(where + e.getMessage(), false, e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be a string");
        }
        return value.textValue();
    }
}
