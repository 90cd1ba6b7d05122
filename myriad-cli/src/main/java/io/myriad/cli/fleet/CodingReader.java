package io.myriad.cli.fleet;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.CodingSpec;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.tools.swe.CodingTask;
import io.myriad.tools.swe.CodingTasks;
import io.myriad.tools.swe.SampleProjects;
import io.myriad.tools.swe.SweException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet file's {@code coding} key: coding tasks from a JSONL file (or generated samples)
 * become the fleet's tasks, all for one agent.
 *
 * <pre>{@code
 * coding:
 *   tasks: swe-tasks.jsonl     # coding tasks (id, repository, base, goal, testCommand, ...), or
 *   samples: 10                # generated sample projects with a bug and a failing test
 *   agent: engineer            # the agent that takes them (default: the fleet's only agent)
 *   test_slots: 2              # sandboxed test commands at once (default: the processors)
 *   workspaces: {keep: false, max: 64}
 *   max_diff_bytes: 262144
 *   max_submissions: 3
 *   test_timeout: 5m
 *   caches: [~/.cache/wheels]  # shown read-only in every sandbox, at the same place
 * }</pre>
 */
final class CodingReader {
    private static final List<String> KEYS = List.of("tasks", "samples", "agent", "test_slots", "workspaces",
            "max_diff_bytes", "max_submissions", "test_timeout", "caches");
    private static final List<String> WORKSPACE_KEYS = List.of("keep", "max");
    static final int MAX_SAMPLES = 1_000;
    private static final Duration MAX_TEST_TIMEOUT = Duration.ofMinutes(9);

    /** What the key gave: the settings and the fleet's tasks. */
    record Coding(CodingSpec spec, List<TaskSpec> tasks) {}

    private CodingReader() {}

    static Optional<Coding> read(Node node, Path fleetFile, Map<String, AgentSpec> agents, List<String> agentNames,
            int concurrency, MessageDigest digest, Problems problems) {
        Optional<Node.Mapping> mapping = Values.mapping(node, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        int mark = problems.count();
        Fields f = Fields.of(mapping.get(), "coding", Fields.Owner.of(node), problems, KEYS);
        Optional<Node> tasksNode = f.get("tasks");
        int samples = f.integer("samples", 1, MAX_SAMPLES).orElse(0L).intValue();
        if (tasksNode.isPresent() == f.get("samples").isPresent()) {
            problems.at(node, "coding needs either 'tasks' (the path of a JSONL file of coding tasks) or 'samples' "
                    + "(how many generated sample tasks to run), not " + (tasksNode.isPresent() ? "both" : "neither"));
        }
        Optional<String> agent = f.string("agent");
        String agentName = agent.orElse(agentNames.size() == 1 ? agentNames.getFirst() : "");
        if (agent.isEmpty() && agentNames.size() > 1) {
            problems.at(node, "coding needs 'agent': the fleet has several agents (" + String.join(", ", agentNames)
                    + ") and the coding tasks go to one of them");
        } else if (agent.isPresent() && !agentNames.isEmpty() && !agentNames.contains(agent.get())) {
            problems.at(f.get("agent").orElseThrow(), "coding names agent '" + agent.get() + "', which the fleet does not "
                    + "declare; agents: " + String.join(", ", agentNames));
        }
        int slots = f.integer("test_slots", 1, 1024).orElse((long) Runtime.getRuntime().availableProcessors()).intValue();
        boolean keep = false;
        int max = Math.max(64, concurrency);
        Optional<Node.Mapping> ws = f.mapping("workspaces");
        if (ws.isPresent()) {
            Fields w = Fields.of(ws.get(), "coding.workspaces", Fields.Owner.of(ws.get()), problems, WORKSPACE_KEYS);
            keep = w.bool("keep").orElse(false);
            Optional<Long> given = w.integer("max", 1, 1_000_000);
            if (given.isPresent() && given.get() < concurrency) {
                problems.at(w.get("max").orElseThrow(), "coding.workspaces.max (" + given.get() + ") must be at least the "
                        + "fleet's concurrency (" + concurrency + "): every run in progress needs its checkout");
            }
            max = given.orElse((long) max).intValue();
        }
        long maxDiff = f.integer("max_diff_bytes", 1, 64L * 1024 * 1024).orElse(CodingSpec.DEFAULT_MAX_DIFF_BYTES);
        int maxSubmissions = f.integer("max_submissions", 1, 100).orElse((long) CodingSpec.DEFAULT_MAX_SUBMISSIONS).intValue();
        Duration testTimeout = f.duration("test_timeout", false).orElse(CodingSpec.DEFAULT_TEST_TIMEOUT);
        if (testTimeout.compareTo(Duration.ofSeconds(1)) < 0 || testTimeout.compareTo(MAX_TEST_TIMEOUT) > 0) {
            problems.at(f.get("test_timeout").orElseThrow(), "coding.test_timeout must be between 1s and "
                    + Durations.format(MAX_TEST_TIMEOUT) + " (the sandbox stops any command after 10m)");
        }
        List<Path> caches = f.get("caches").map(n -> caches(n, fleetFile, problems)).orElse(List.of());
        Optional<Path> file = Optional.empty();
        List<CodingTask> tasks = List.of();
        if (tasksNode.isPresent() && samples == 0) {
            file = tasksFile(tasksNode.get(), fleetFile, problems);
            if (file.isPresent()) {
                tasks = codingTasks(file.get(), tasksNode.get(), digest, problems);
            }
        } else if (samples > 0) {
            tasks = SampleProjects.samples(samples, SampleProjects.sandboxJdk()).stream()
                    .map(s -> s.task(Path.of("samples", s.id())).withSimScript(s.script(SampleProjects.Script.FIX).toString()))
                    .toList();
            digest.update(("samples:" + samples).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (problems.count() > mark) {
            return Optional.empty();
        }
        AgentSpec taker = agents.get(agentName);
        boolean simulated = taker != null && taker.model() instanceof ModelSpec.Simulated;
        List<TaskSpec> specs = new ArrayList<>();
        for (CodingTask t : tasks) {
            specs.add(new TaskSpec(t.id(), agentName, t.agentInput(simulated), 0));
        }
        return Optional.of(new Coding(new CodingSpec(agentName, file.map(Path::toAbsolutePath), samples, slots, keep, max,
                maxDiff, maxSubmissions, testTimeout, caches), specs));
    }

    /** Existing folders, {@code ~} the user's home, relative paths from the fleet file's folder. */
    private static List<Path> caches(Node node, Path fleetFile, Problems problems) {
        List<Path> out = new ArrayList<>();
        Optional<List<String>> names = Values.strings(node, problems);
        for (String name : names.orElse(List.of())) {
            String expanded = name.equals("~") || name.startsWith("~/")
                    ? System.getProperty("user.home") + name.substring(1) : name;
            try {
                Path given = Path.of(expanded);
                Path p = (given.isAbsolute() || fleetFile.getParent() == null ? given
                        : fleetFile.toAbsolutePath().getParent().resolve(given)).toAbsolutePath().normalize();
                if (!Files.isDirectory(p)) {
                    problems.at(node, "coding.caches: " + name + " is not a folder (looked for " + p + ")");
                } else if (p.getNameCount() == 0) {
                    problems.at(node, "coding.caches: " + name + " is the root folder; name the cache folder itself");
                } else {
                    out.add(p);
                }
            } catch (InvalidPathException e) {
                problems.at(node, "coding.caches: '" + name + "' is not a path");
            }
        }
        return out;
    }

    private static Optional<Path> tasksFile(Node node, Path fleetFile, Problems problems) {
        if (!(node instanceof Node.Scalar s) || s.kind() != Node.Kind.STRING || ((String) s.value()).isBlank()) {
            problems.at(node, "expected the path of a JSONL file of coding tasks, got " + node.describe());
            return Optional.empty();
        }
        try {
            Path given = Path.of(((String) s.value()).strip());
            return Optional.of(fleetFile.getParent() == null ? given : fleetFile.getParent().resolve(given));
        } catch (InvalidPathException e) {
            problems.at(node, "expected the path of a JSONL file of coding tasks, got " + node.describe());
            return Optional.empty();
        }
    }

    private static List<CodingTask> codingTasks(Path file, Node at, MessageDigest digest, Problems problems) {
        try {
            digest.update(Files.readAllBytes(file));
            List<CodingTask> tasks = CodingTasks.read(file);
            if (tasks.isEmpty()) {
                problems.at(at, "the coding tasks file " + file + " has no tasks");
            }
            return tasks;
        } catch (IOException e) {
            problems.at(at, "cannot read the coding tasks file " + file + ": " + e.getMessage());
        } catch (SweException e) {
            problems.at(at, e.getMessage());
        }
        return List.of();
    }
}
