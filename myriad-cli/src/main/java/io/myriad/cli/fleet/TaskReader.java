package io.myriad.cli.fleet;

import io.myriad.core.fleet.TaskSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the fleet's tasks, from the inline list or from a JSONL file streamed line by line.
 *
 * <p>A task is a string (its input) or a mapping {@code {id?, input, agent?, priority?}}; an
 * object input becomes its compact JSON text. Ids default to {@code t<n>}, n being the 1-based
 * position in the list or the line number in the JSONL file, and must be unique across the fleet.
 * The agent defaults to the fleet's only agent.
 */
final class TaskReader {
    private static final List<String> TASK_KEYS = List.of("id", "input", "agent", "priority");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");
    private static final int MAX_ID_LENGTH = 200;

    private final Problems fleetProblems;
    private final List<String> agents;
    /** The agent of tasks that name none when the fleet has several (a map-reduce fleet's one mapping agent), or null. */
    private String defaultAgent;
    private final Map<String, FirstUse> firstUse = new HashMap<>();
    private final List<TaskSpec> tasks = new ArrayList<>();
    private int seen;

    /**
     * @param agents the fleet's agent names in file order; empty when the agents could not be
     *               read (their problems are already reported, so agent checks are skipped)
     */
    TaskReader(Problems fleetProblems, List<String> agents) {
        this.fleetProblems = fleetProblems;
        this.agents = List.copyOf(agents);
    }

    /** The valid tasks read so far, in file order. */
    List<TaskSpec> tasks() {
        return tasks;
    }

    /** How many tasks were written, valid or not. */
    int seen() {
        return seen;
    }

    void inline(Node.Sequence list) {
        int index = 0;
        for (Node item : list.items()) {
            index++;
            seen++;
            task(item, index, fleetProblems, false);
        }
    }

    /**
     * Streams the JSONL file at {@code path} (as the user wrote it: {@code display}), feeding its
     * bytes into {@code digest}. A missing or unreadable file is reported at {@code at}.
     */
    void jsonl(Path path, String display, Node at, MessageDigest digest) {
        if (Files.isDirectory(path)) {
            fleetProblems.at(at, "expected the path of a JSONL tasks file, but " + display + " is a folder");
            return;
        }
        Problems problems = fleetProblems.in(display);
        int lineNumber = 0;
        try (InputStream in = new DigestInputStream(Files.newInputStream(path), digest);
                BufferedReader reader = new BufferedReader(
                        new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()), 1 << 16)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                seen++;
                int n = lineNumber;
                NodeReader.jsonLine(line, n, problems).ifPresent(node -> task(node, n, problems, true));
            }
        } catch (NoSuchFileException e) {
            fleetProblems.at(at, "tasks file not found: " + display + " (looked for "
                    + path.toAbsolutePath().normalize() + ")");
        } catch (MalformedInputException e) {
            problems.at(lineNumber + 1, 1, "the tasks file is not valid UTF-8 text (at this line or soon after); "
                    + "save it as UTF-8");
        } catch (IOException e) {
            fleetProblems.at(at, "cannot read the tasks file " + display + ": " + e.getMessage());
        }
    }

    private void task(Node item, int index, Problems problems, boolean json) {
        String defaultId = "t" + index;
        switch (item) {
            case Node.Scalar s when s.kind() == Node.Kind.STRING ->
                    plain(defaultId, item, (String) s.value(), problems);
            case Node.Mapping m -> mapping(m, defaultId, json ? "the task on line " + index : "task " + index
                    + " of the list", problems, json);
            default -> problems.at(item, json
                    ? "expected a JSON object {\"input\": ...} or a JSON string, got " + item.describe()
                    : "expected a task: a string (its input) or a mapping with 'input', got " + item.describe());
        }
    }

    private void mapping(Node.Mapping m, String defaultId, String what, Problems problems, boolean json) {
        int before = problems.count();
        Fields f = Fields.of(m, what, Fields.Owner.of(m), problems, TASK_KEYS);
        Optional<Node> idNode = f.get("id");
        Optional<String> id = idNode.isPresent() ? idNode.flatMap(n -> id(n, problems)) : Optional.of(defaultId);
        Optional<String> input = f.required("input").flatMap(n -> input(n, problems, json));
        Optional<String> agent = f.string("agent");
        long priority = f.integer("priority", Integer.MIN_VALUE, Integer.MAX_VALUE).orElse(0L);
        if (id.isEmpty() || !claim(id.get(), idNode.orElse(m), problems) || problems.count() > before) {
            return;
        }
        Node agentAt = f.get("agent").orElse(m);
        resolveAgent(id.get(), agent, agentAt, problems)
                .ifPresent(name -> tasks.add(new TaskSpec(id.get(), name, input.orElseThrow(), (int) priority)));
    }

    private void plain(String id, Node at, String input, Problems problems) {
        if (claim(id, at, problems)) {
            resolveAgent(id, Optional.empty(), at, problems).ifPresent(name -> tasks.add(new TaskSpec(id, name, input, 0)));
        }
    }

    /** Records the first use of {@code id}; false (and a problem naming both places) if it was used. */
    private boolean claim(String id, Node at, Problems problems) {
        FirstUse previous = firstUse.putIfAbsent(id, new FirstUse(problems, at));
        if (previous != null) {
            problems.at(at, "duplicate task id '" + id + "'; first used at " + previous.problems.where(previous.at));
            return false;
        }
        return true;
    }

    /** Tasks that name no agent go to {@code agent} (a map-reduce fleet's only agent besides its reducer). */
    TaskReader defaultAgent(String agent) {
        this.defaultAgent = agent;
        return this;
    }

    /** Where an id was first used; rendered only for a duplicate. */
    private record FirstUse(Problems problems, Node at) {}

    private Optional<String> resolveAgent(String id, Optional<String> agent, Node at, Problems problems) {
        if (agents.isEmpty()) {
            return Optional.empty();
        }
        if (agent.isPresent()) {
            if (agents.contains(agent.get())) {
                return agent;
            }
            problems.at(at, "unknown agent '" + agent.get() + "'; expected one of: " + String.join(", ", agents)
                    + Suggestions.hint(agent.get(), agents));
            return Optional.empty();
        }
        if (agents.size() == 1) {
            return Optional.of(agents.getFirst());
        }
        if (defaultAgent != null) {
            return Optional.of(defaultAgent);
        }
        problems.at(at, "task '" + id + "' does not name its agent and the fleet has several ("
                + String.join(", ", agents) + "); add agent: <name>");
        return Optional.empty();
    }

    private static Optional<String> id(Node node, Problems problems) {
        String id;
        if (node instanceof Node.Scalar s && (s.kind() == Node.Kind.STRING || s.kind() == Node.Kind.INTEGER)) {
            id = s.kind() == Node.Kind.STRING ? (String) s.value() : s.value().toString();
        } else {
            problems.at(node, "expected a task id (a string), got " + node.describe());
            return Optional.empty();
        }
        Optional<String> problem = idProblem(id);
        if (problem.isPresent()) {
            problems.at(node, problem.get() + ", got " + node.describe());
            return Optional.empty();
        }
        return Optional.of(id);
    }

    /** Why {@code id} cannot name a task, or empty when it can. */
    static Optional<String> idProblem(String id) {
        if (id.isBlank() || id.length() > MAX_ID_LENGTH || CONTROL.matcher(id).find()) {
            return Optional.of("expected a task id of 1 to " + MAX_ID_LENGTH
                    + " characters without line breaks or control characters");
        }
        if (id.indexOf(io.myriad.core.run.RunLoop.CHILD_SEPARATOR) >= 0) {
            return Optional.of("expected a task id without '" + io.myriad.core.run.RunLoop.CHILD_SEPARATOR
                    + "', which numbers the children of delegating runs (task~1, task~2, ...)");
        }
        return Optional.empty();
    }

    private static Optional<String> input(Node node, Problems problems, boolean json) {
        return switch (node) {
            case Node.Scalar s when s.kind() == Node.Kind.STRING -> Optional.of((String) s.value());
            case Node.Scalar s when s.kind() == Node.Kind.NULL -> {
                problems.at(node, "expected the task's input (a string or " + (json ? "an object" : "a mapping")
                        + "), got " + node.describe());
                yield Optional.empty();
            }
            case Node.Scalar s -> Optional.of(s.text());
            default -> Optional.of(Values.toJson(node).toString());
        };
    }
}
