package io.myriad.cli.fleet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML documents and JSON lines into located {@link Node} trees with Jackson's streaming
 * parsers, reporting malformed input as one problem at the parser's location.
 *
 * <p>Notes: YAML anchors and aliases are resolved to shared nodes and {@code <<} merge keys are
 * applied; to keep "billion laughs" input harmless, the number of nodes an alias expands to is
 * counted and capped. Nesting is capped too, so hostile input never overflows the stack.
 */
final class NodeReader {
    private static final int MAX_DEPTH = 500;
    private static final long MAX_EXPANDED_NODES = 5_000_000;
    private static final String MERGE_KEY = "<<";

    /** YAML 1.2 style: an empty value is null, and yes/no/on/off stay strings. */
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .loaderOptions(loaderOptions())
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            .build();
    private static final JsonFactory JSON = new JsonFactory();

    private final JsonParser parser;
    private final Problems problems;
    private final int lineOffset;
    private final boolean yaml;
    private final Map<String, Anchored> anchors = new HashMap<>();
    private long expanded;

    private NodeReader(JsonParser parser, Problems problems, int lineOffset, boolean yaml) {
        this.parser = parser;
        this.problems = problems;
        this.lineOffset = lineOffset;
        this.yaml = yaml;
    }

    /**
     * The single document of a YAML file; an empty file reads as an empty scalar. Empty when the
     * YAML is malformed (the one problem is reported).
     */
    static Optional<Node> yaml(byte[] bytes, Problems problems) {
        try (JsonParser parser = YAML.createParser(bytes)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Optional.of(Node.Scalar.empty(1, 1));
            }
            NodeReader reader = new NodeReader(parser, problems, 0, true);
            Node root = reader.value(first, 0);
            if (parser.nextToken() != null) {
                JsonLocation at = parser.currentTokenLocation();
                problems.at(at.getLineNr(), at.getColumnNr(),
                        "expected one YAML document, found a second one; remove the '---' separator");
            }
            return Optional.of(root);
        } catch (TooBig e) {
            problems.at(e.line, e.column, e.getMessage());
        } catch (IOException | RuntimeException e) {
            reportMalformed(e, problems, 0, "YAML");
        }
        return Optional.empty();
    }

    /**
     * One JSON value written on line {@code lineNumber} of a JSONL file. Empty when the line is
     * not valid JSON (the one problem is reported).
     */
    static Optional<Node> jsonLine(String line, int lineNumber, Problems problems) {
        try (JsonParser parser = JSON.createParser(line)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                problems.at(lineNumber, 1, "expected a JSON value on this line");
                return Optional.empty();
            }
            NodeReader reader = new NodeReader(parser, problems, lineNumber - 1, false);
            Node root = reader.value(first, 0);
            if (parser.nextToken() != null) {
                problems.at(lineNumber, parser.currentTokenLocation().getColumnNr(),
                        "unexpected text after the JSON value; write one JSON value per line");
            }
            return Optional.of(root);
        } catch (TooBig e) {
            problems.at(e.line, e.column, e.getMessage());
        } catch (IOException | RuntimeException e) {
            reportMalformed(e, problems, lineNumber - 1, "JSON");
        }
        return Optional.empty();
    }

    private Node value(JsonToken token, int depth) throws IOException {
        JsonLocation at = parser.currentTokenLocation();
        int line = at.getLineNr() + lineOffset;
        int column = at.getColumnNr();
        if (depth > MAX_DEPTH) {
            throw new TooBig(line, column, "nesting deeper than " + MAX_DEPTH + " levels");
        }
        if (yaml && ((YAMLParser) parser).isCurrentAlias()) {
            return alias(parser.getText(), line, column);
        }
        String anchor = yaml ? ((YAMLParser) parser).getObjectId() : null;
        long before = expanded;
        Node node = switch (token) {
            case START_OBJECT -> mapping(line, column, depth);
            case START_ARRAY -> sequence(line, column, depth);
            default -> scalar(token, line, column);
        };
        if (++expanded > MAX_EXPANDED_NODES) {
            throw new TooBig(line, column, "more than " + MAX_EXPANDED_NODES + " values; use a JSONL tasks file");
        }
        if (anchor != null) {
            anchors.put(anchor, new Anchored(node, expanded - before));
        }
        return node;
    }

    private Node alias(String name, int line, int column) {
        Anchored target = anchors.get(name);
        if (target == null) {
            problems.at(line, column, "unknown alias '*" + name + "'; define '&" + name
                    + "' on a mapping or list before using it (anchors on single values are not supported)");
            return Node.Scalar.empty(line, column);
        }
        expanded += target.size;
        if (expanded > MAX_EXPANDED_NODES) {
            throw new TooBig(line, column, "aliases expand to more than " + MAX_EXPANDED_NODES + " values");
        }
        return target.node;
    }

    private Node mapping(int line, int column, int depth) throws IOException {
        Map<String, Node.Entry> entries = new LinkedHashMap<>();
        List<Node.Entry> merges = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            JsonLocation keyAt = parser.currentTokenLocation();
            String key = parser.currentName();
            Node value = value(parser.nextToken(), depth + 1);
            Node.Entry entry = new Node.Entry(key, keyAt.getLineNr() + lineOffset, keyAt.getColumnNr(), value);
            if (yaml && key.equals(MERGE_KEY)) {
                merges.add(entry);
                continue;
            }
            Node.Entry first = entries.putIfAbsent(key, entry);
            if (first != null) {
                problems.atKey(entry, "duplicate key '" + key + "'; first given at line " + first.line()
                        + ", column " + first.column());
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new IllegalStateException("unexpected " + token + " in a mapping");
        }
        for (Node.Entry merge : merges) {
            merge(merge, entries);
        }
        return new Node.Mapping(entries, line, column);
    }

    /** YAML merge keys: {@code <<: *base} or {@code <<: [*a, *b]}; explicit keys win. */
    private void merge(Node.Entry merge, Map<String, Node.Entry> entries) {
        List<Node> sources = merge.value() instanceof Node.Sequence list ? list.items() : List.of(merge.value());
        for (Node source : sources) {
            if (source instanceof Node.Mapping mapping) {
                mapping.entries().forEach(entries::putIfAbsent);
            } else {
                problems.at(source, "expected a mapping (or a list of mappings) to merge with '<<', got "
                        + source.describe());
            }
        }
    }

    private Node sequence(int line, int column, int depth) throws IOException {
        List<Node> items = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token == null) {
                throw new IllegalStateException("unexpected end of input in a list");
            }
            items.add(value(token, depth + 1));
        }
        return new Node.Sequence(items, line, column);
    }

    private Node scalar(JsonToken token, int line, int column) throws IOException {
        String text = parser.getText();
        return switch (token) {
            case VALUE_STRING -> new Node.Scalar(Node.Kind.STRING, text, text, line, column);
            case VALUE_NUMBER_INT -> number(Node.Kind.INTEGER, text, line, column);
            case VALUE_NUMBER_FLOAT -> number(Node.Kind.FLOAT, text, line, column);
            case VALUE_TRUE -> new Node.Scalar(Node.Kind.BOOLEAN, Boolean.TRUE, text, line, column);
            case VALUE_FALSE -> new Node.Scalar(Node.Kind.BOOLEAN, Boolean.FALSE, text, line, column);
            case VALUE_NULL -> new Node.Scalar(Node.Kind.NULL, null, text == null ? "" : text, line, column);
            default -> new Node.Scalar(Node.Kind.STRING, String.valueOf(text), String.valueOf(text), line, column);
        };
    }

    /** Numbers Jackson cannot convert (YAML's {@code .inf}, {@code .nan}) stay strings. */
    private Node number(Node.Kind kind, String text, int line, int column) {
        try {
            return new Node.Scalar(kind, parser.getNumberValue(), text, line, column);
        } catch (IOException | NumberFormatException e) {
            return new Node.Scalar(Node.Kind.STRING, text, text, line, column);
        }
    }

    private static void reportMalformed(Exception e, Problems problems, int lineOffset, String format) {
        MarkedYAMLException marked = causeOfType(e, MarkedYAMLException.class);
        if (marked != null && marked.getProblemMark() != null) {
            Mark mark = marked.getProblemMark();
            StringBuilder message = new StringBuilder("malformed YAML: ").append(plainWords(marked.getProblem()));
            Mark contextMark = marked.getContextMark();
            if (marked.getContext() != null && contextMark != null) {
                message.append(" (").append(marked.getContext()).append(" that starts at line ")
                        .append(contextMark.getLine() + 1).append(", column ").append(contextMark.getColumn() + 1)
                        .append(')');
            }
            message.append(hint(marked.getProblem()));
            problems.at(mark.getLine() + 1, mark.getColumn() + 1, message.toString());
            return;
        }
        int line = 1;
        int column = 1;
        String reason = e.getMessage();
        if (e instanceof JsonProcessingException jpe) {
            reason = jpe.getOriginalMessage();
            if (jpe.getLocation() != null) {
                line = Math.max(1, jpe.getLocation().getLineNr());
                column = Math.max(1, jpe.getLocation().getColumnNr());
            }
        }
        String firstLine = reason == null ? e.getClass().getSimpleName() : reason.lines().findFirst().orElse(reason);
        problems.at(line + lineOffset, column, "malformed " + format + ": " + plainWords(firstLine));
    }

    /** SnakeYAML names tokens like {@code <block end>}; say what they mean. */
    static String plainWords(String problem) {
        if (problem == null) {
            return "unreadable input";
        }
        return problem
                .replace("character '\\t(TAB)'", "a tab")
                .replace("(Do not use \\t(TAB) for indentation)", "(indent with spaces, not tabs)")
                .replace("'<block mapping start>'", "a mapping at a different indentation")
                .replace("'<block sequence start>'", "a list at a different indentation")
                .replace("'<block entry>'", "a list item ('-')")
                .replace("'<block end>'", "the end of an indented block")
                .replace("<block end>", "the end of an indented block")
                .replace("<stream end>", "the end of the file")
                .replace("'<scalar>'", "a value")
                .replace("<scalar>", "a value");
    }

    /** What usually causes a SnakeYAML problem, or nothing. */
    private static String hint(String problem) {
        if (problem == null) {
            return "";
        }
        if (problem.contains("mapping values are not allowed here")) {
            return "; a value containing ': ' must be quoted";
        }
        if (problem.contains("<block end>") || problem.contains("<block mapping start>")
                || problem.contains("<block sequence start>")) {
            return "; check the indentation";
        }
        return "";
    }

    private static <T extends Throwable> T causeOfType(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(256 * 1024 * 1024);
        return options;
    }

    private record Anchored(Node node, long size) {}

    /** Input too large or too deep to read safely; aborts the read. */
    private static final class TooBig extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int line;
        final int column;

        TooBig(int line, int column, String message) {
            super(message, null, false, false);
            this.line = line;
            this.column = column;
        }
    }
}
