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
 * required), {@code setupCommand} (string), {@code allowTestEdits} and {@code allowNetwork}
 * (booleans, false unless given) and {@code simScript} (a list: what the simulated model does). Unknown fields and repeated ids are errors, reported with their line number.
 */
public final class CodingTasks {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("id", "repository", "base", "goal",
            "testCommand", "setupCommand", "allowTestEdits", "allowNetwork", "simScript");

    private CodingTasks() {}

    /**
     * The tasks of a JSONL file, in order; a relative repository path is taken relative to the
     * file's folder.
     */
    public static List<CodingTask> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SweException("cannot read the task file " + file + ": " + e.getMessage(),
                    false, e);
        }
        Path folder = file.toAbsolutePath().getParent();
        return parse(file.toString(), text).stream().map(t -> relativeTo(folder, t)).toList();
    }

    private static CodingTask relativeTo(Path folder, CodingTask t) {
        String repo = t.repository();
        if (repo.startsWith("file:") || repo.contains("://") || Path.of(repo).isAbsolute()) {
            return t;
        }
        return new CodingTask(t.id(), folder.resolve(repo).normalize().toString(), t.base(), t.goal(),
                t.testCommand(), t.setupCommand(), t.allowTestEdits(), t.allowNetwork(), t.simScript());
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
            JsonNode script = node.get("simScript");
            if (script != null && !script.isArray()) {
                throw new IllegalArgumentException("'simScript' must be a list of turns, e.g. "
                        + "[{\"tool\": \"run_tests\", \"args\": {}}, {\"answer\": \"done\"}]");
            }
            return new CodingTask(text(node, "id"), text(node, "repository"), text(node, "base"),
                    text(node, "goal"), text(node, "testCommand"),
                    Optional.ofNullable(text(node, "setupCommand")),
                    flag(node, "allowTestEdits"), flag(node, "allowNetwork"),
                    Optional.ofNullable(script).map(JsonNode::toString));
        } catch (IllegalArgumentException e) {
            throw new SweException(where + e.getMessage(), false, e);
        }
    }

    private static boolean flag(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value != null && !value.isBoolean()) {
            throw new IllegalArgumentException("'" + field + "' must be true or false");
        }
        return value != null && value.booleanValue();
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
