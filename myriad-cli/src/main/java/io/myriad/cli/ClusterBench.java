package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.RunState;
import io.myriad.store.PostgresStore;
import io.myriad.store.Store;
import io.myriad.store.Stores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code myriad bench --store jdbc:postgresql:… --nodes N}: the whole engine as a cluster. It
 * writes a fleet of simulated agents, starts N {@code myriad run} processes on it as the nodes of
 * one cluster (they share one execution and claim its runs), waits for them, and reads what was
 * done from the store: runs final, model and tool steps, events, and each node's share.
 *
 * <p>The figures include each node's JVM start (about a second) and the seeding of the runs by
 * the first node; the wall time is from the first process started to the last one exited.
 */
final class ClusterBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to run. */
    record Options(String store, int nodes, int agents, int steps, long latencyMillis, int concurrency, long seed, Path work) {}

    /** One node's share: its summary line, as {@code myriad run --json} printed it. */
    record NodeResult(String node, int exit, int succeeded, int runs, double wallSeconds) {}

    /** What the cluster did. */
    record Result(int nodes, int agents, long finals, long succeeded, long events, double wallSeconds, List<NodeResult> perNode) {
        double runsPerSecond() {
            return finals / wallSeconds;
        }

        double eventsPerSecond() {
            return events / wallSeconds;
        }
    }

    private ClusterBench() {}

    static Result run(Options o, PrintWriter err) throws IOException, InterruptedException {
        if (!Stores.isPostgres(o.store())) {
            throw new IllegalArgumentException("--nodes needs a PostgreSQL --store (jdbc:postgresql:…)");
        }
        Files.createDirectories(o.work());
        String fleetName = "bench-" + o.nodes() + "n-" + System.currentTimeMillis();
        Path fleet = o.work().resolve(fleetName + ".yaml");
        Files.writeString(fleet, fleetYaml(fleetName, o), StandardCharsets.UTF_8);
        List<Process> processes = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        long begin = System.nanoTime();
        for (int i = 1; i <= o.nodes(); i++) {
            Path log = o.work().resolve(fleetName + "-node" + i + ".log");
            logs.add(log);
            processes.add(spawn(log, "run", fleet.toString(), "--store", o.store(), "--node", fleetName + "-" + i,
                    "--data", o.work().resolve("node" + i).toString(), "--json"));
        }
        List<NodeResult> perNode = new ArrayList<>();
        for (int i = 0; i < processes.size(); i++) {
            Process p = processes.get(i);
            if (!p.waitFor(2, TimeUnit.HOURS)) {
                p.destroyForcibly();
            }
            perNode.add(nodeResult(fleetName + "-" + (i + 1), p.exitValue(), logs.get(i)));
        }
        double wall = (System.nanoTime() - begin) / 1e9;
        try (Store store = Stores.open(o.store(), null)) {
            RunRepository.Execution ex = store.executions(1_000).stream().filter(e -> e.fleet().equals(fleetName)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no execution of " + fleetName + " in the store: see " + logs));
            Map<RunState, Long> states = store.runStateCounts(ex.id());
            long finals = states.entrySet().stream().filter(e -> e.getKey().isFinal()).mapToLong(Map.Entry::getValue).sum();
            long succeeded = states.getOrDefault(RunState.SUCCEEDED, 0L);
            long events = store instanceof PostgresStore pg ? pg.eventsOf(ex.id()) : -1;
            err.flush();
            return new Result(o.nodes(), o.agents(), finals, succeeded, events, wall, perNode);
        }
    }

    private static String fleetYaml(String name, Options o) {
        StringBuilder y = new StringBuilder();
        y.append("# Written by myriad bench --nodes: SIMULATED model, no API key.\n");
        y.append("fleet: ").append(name).append('\n');
        y.append("model: {sim: {scenario: tools, tool_calls: ").append(o.steps()).append(", latency: ").append(o.latencyMillis())
                .append("ms, seed: ").append(o.seed()).append("}}\n");
        y.append("concurrency: ").append(o.concurrency()).append('\n');
        y.append("agents:\n  worker:\n    instructions: Write a note with fs.write, then answer.\n");
        y.append("    tools: [fs.write]\n");
        y.append("    limits: {max_steps: ").append(2 * o.steps() + 10).append(", max_tokens: 10000000, max_wall: 6h}\n");
        y.append("tasks:\n");
        for (int i = 0; i < o.agents(); i++) {
            y.append("  - {id: t").append(i).append(", input: \"note ").append(i).append("\"}\n");
        }
        return y.toString();
    }

    private static Process spawn(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseParallelGC");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
    }

    private static NodeResult nodeResult(String node, int exit, Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        Optional<JsonNode> summary = Optional.empty();
        for (int i = lines.size() - 1; i >= 0 && summary.isEmpty(); i--) {
            String l = lines.get(i).strip();
            if (l.startsWith("{")) {
                try {
                    summary = Optional.of(JSON.readTree(l));
                } catch (IOException e) {
                    // not the summary
                }
            }
        }
        return new NodeResult(node, exit, summary.map(s -> s.path("succeeded").asInt()).orElse(-1),
                summary.map(s -> s.path("tasks").asInt()).orElse(-1),
                summary.map(s -> s.path("wall_s").asDouble()).orElse(-1.0));
    }

    static void print(PrintWriter out, Result r) {
        out.printf(Locale.ROOT, "cluster   %d node%s (separate processes) on one PostgreSQL store%n", r.nodes(), r.nodes() == 1 ? "" : "s");
        out.printf(Locale.ROOT, "agents    %,d   final %,d   succeeded %,d%n", r.agents(), r.finals(), r.succeeded());
        out.printf(Locale.ROOT, "wall      %.2f s (first start to last exit, JVM starts included)%n", r.wallSeconds());
        out.printf(Locale.ROOT, "runs      %,.0f /s%n", r.runsPerSecond());
        out.printf(Locale.ROOT, "journal   %,d events   (%,.0f /s)%n", r.events(), r.eventsPerSecond());
        for (NodeResult n : r.perNode()) {
            out.printf(Locale.ROOT, "  %-24s exit %d   runs %,d   succeeded %,d   own wall %.2f s%n", n.node(), n.exit(), n.runs(),
                    n.succeeded(), n.wallSeconds());
        }
    }
}
