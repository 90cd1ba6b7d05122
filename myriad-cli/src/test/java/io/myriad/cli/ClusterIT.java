package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.run.RunState;
import io.myriad.store.PgTestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode against real processes: three {@code myriad serve} nodes share one PostgreSQL
 * store (a throwaway server, {@link PgTestServer}), one simulated model ({@code myriad
 * sim-server}, a process of its own that counts the requests in flight) and one external ledger
 * ({@link ClusterLedger}, in this JVM, honouring fencing tokens). The nodes are killed with
 * SIGKILL, frozen with SIGSTOP past their lease, and stopped with one {@code myriad kill --all};
 * then the evidence kept outside the nodes is checked: the ledger, the journal's rows, the
 * simulated model's counts.
 */
class ClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FINAL = Arrays.stream(RunState.values()).filter(RunState::isFinal).map(Enum::name)
            .collect(Collectors.toUnmodifiableSet());
    private static final List<String> TERMINAL_EVENTS = List.of("run_succeeded", "run_failed", "run_cancelled", "run_limited",
            "run_stuck", "run_budget_exhausted");

    /**
     * {@code -Dcluster.nodes=run} makes each node a {@code myriad run --store … --node …} worker
     * (per fleet) instead of a {@code myriad serve} process, and {@code kill --all} then goes
     * through the store instead of node 1's API.
     */
    private static final boolean NODES_RUN = "run".equals(System.getProperty("cluster.nodes", "serve"));

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private ClusterLedger ledger;

    @AfterEach
    void cleanUp(org.junit.jupiter.api.TestInfo test) throws IOException {
        for (Process p : processes) {
            signal(p, "CONT"); // a stopped process dies of SIGKILL too, but leave nothing frozen behind
            p.destroyForcibly();
        }
        if (ledger != null) {
            ledger.close();
        }
        // The nodes' and the sim's output outlive the temporary folder, for a failure's post-mortem.
        Path keep = Path.of("target", "cluster-it-logs", test.getTestMethod().map(m -> m.getName()).orElse("test"));
        Files.createDirectories(keep);
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.copy(log, keep.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** One node process. */
    private record Node(String name, Process process, Path log, Path data, String url) {
        /** Everything the node wrote: its output and the logs in its data folder. */
        String output() throws IOException {
            StringBuilder all = new StringBuilder(Files.readString(log));
            if (Files.isDirectory(data)) {
                try (Stream<Path> files = Files.walk(data)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                        all.append('\n').append(Files.readString(f));
                    }
                }
            }
            return all.toString();
        }
    }

    // ------------------------------------------------------------------------------------ tests

    @Test
    void threeNodesTenThousandAgentsSurviveKillAndStop() throws Exception {
        final int tasks = 10_000;
        long begin = System.nanoTime();
        String store = PgTestServer.freshUrl();
        ledger = ClusterLedger.start();
        Path requestLog = dir.resolve("requests.jsonl");
        int sim = startSimServer(requestLog, "--tool-calls", "2", "--latency", "20ms");
        Path fleet = writeFleet("clustered", tasks, 200, "[cledger.transfer, cledger.put]", simModel(sim, "myriad-sim"), "");
        List<Node> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            nodes.add(startNode("node" + i, store, List.of(fleet)));
        }
        for (int i = 0; i < nodes.size(); i++) {
            nodes.set(i, awaitUrl(nodes.get(i)));
        }
        Node node1 = nodes.get(0);
        Node node2 = nodes.get(1);

        // SIGKILL node 1 once work is under way and it owns runs.
        await(() -> finalRuns(store, "clustered") >= 500 && owned(store, "node1").size() >= 10, 180,
                "500 runs final and node 1 owning runs", nodes);
        node1.process().destroyForcibly();
        assertThat(node1.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        Set<String> orphaned = owned(store, "node1");
        long finalAtKill = finalRuns(store, "clustered");
        assertThat(orphaned).as("runs node 1 owned, not final, when it was killed").isNotEmpty();

        // Once they are taken over, SIGSTOP node 2 past its lease (3 s), then SIGCONT it.
        await(() -> owned(store, "node1").isEmpty(), 60, "the runs of node 1 to be taken over", nodes);
        await(() -> owned(store, "node2").size() >= 10, 60, "node 2 to own runs", nodes);
        // Freeze it when few unowned runs are left, so node 3 runs out of them during the freeze and takes node 2's
        // runs over once its lease lapsed: the zombie then wakes up to find its runs moved on.
        await(() -> unowned(store, "clustered") <= 300, 120, "at most 300 runs left unclaimed", nodes);
        assertThat(owned(store, "node2")).as("runs node 2 owns before its pause").isNotEmpty();
        signal(node2.process(), "STOP");
        Set<String> frozen = owned(store, "node2");
        Thread.sleep(8_000);
        Set<String> stillOwnedByFrozen = owned(store, "node2");
        signal(node2.process(), "CONT");
        long finalAtCont = finalRuns(store, "clustered");

        // Every run of the execution ends.
        try {
            await(() -> finalRuns(store, "clustered") >= tasks, 150, "all " + tasks + " runs to be final", nodes);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nruns by state " + states(store, "clustered") + "\nnodes "
                    + sqlRows(store, "SELECT node_id, epoch, heartbeat_at FROM nodes ORDER BY node_id")
                    + "\nnot final, by owner " + sqlRows(store, "SELECT owner_node, owner_epoch, state, count(*) FROM runs"
                            + " WHERE fleet = 'clustered' AND state NOT IN ('SUCCEEDED','FAILED','CANCELLED') GROUP BY 1, 2, 3")
                    + "\nfrozen at the stop " + frozen.size() + ", still owned after 8 s " + stillOwnedByFrozen.size()
                    + journals(store, sqlRows(store, "SELECT run_id FROM runs WHERE fleet = 'clustered' AND state NOT IN"
                            + " ('SUCCEEDED','FAILED','CANCELLED') ORDER BY run_id LIMIT 2").stream().map(r -> r.split(" ")[0]).toList()), e);
        }
        long wallMs = (System.nanoTime() - begin) / 1_000_000;

        Map<String, Long> states = states(store, "clustered");
        assertThat(states).as("runs by state").isEqualTo(Map.of("SUCCEEDED", (long) tasks));
        // No duplicate effect; every call had its effect, exactly once, whatever node made it.
        Map<String, Integer> effects = ledger.effectCounts();
        assertThat(effects.entrySet().stream().filter(e -> e.getValue() != 1).limit(20).toList()).as("duplicate effects").isEmpty();
        // Every call the journals settle (completed by its tool, or resolved done) has its effect, and every effect
        // belongs to a settled call; no call failed but those the ledger fenced.
        Settled settled = settled(store, "clustered");
        Set<String> unsettledEffects = new java.util.TreeSet<>(effects.keySet());
        unsettledEffects.removeAll(settled.calls());
        Set<String> settledWithoutEffect = new java.util.TreeSet<>(settled.calls());
        settledWithoutEffect.removeAll(effects.keySet());
        assertThat(settledWithoutEffect.stream().limit(20).toList()).as("settled calls without an effect (of %d)",
                settledWithoutEffect.size()).isEmpty();
        assertThat(unsettledEffects.stream().limit(20).toList()).as("effects of calls never settled (of %d)",
                unsettledEffects.size()).isEmpty();
        List<String> failures = settled.failures().stream().filter(f -> !f.contains("fenced")).toList();
        assertThat(failures.stream().limit(10).toList()).as("tool calls failed, other than fenced ones (of %d); journals: %s",
                failures.size(), journals(store, failures.stream().limit(2).map(f -> f.split(" ")[0]).toList())).isEmpty();
        assertThat(settled.calls()).as("calls settled: a transfer and a put per run").hasSize(2 * tasks);
        List<String> unfenced = ledger.runsWithoutFenceDetail();
        assertThat(unfenced.stream().limit(5).toList()).as("runs whose tool calls carried no fence (0) in a cluster (of %d);"
                + " journals: %s", unfenced.size(), journals(store, unfenced.stream().limit(2).map(u -> u.split(" ")[0]).toList()))
                .isEmpty();
        // No forked history: each run's journal is one sequence without gaps, one start, one end.
        assertThat(forkedHistories(store, "clustered")).as("runs whose journal is not one unbroken history").isEmpty();
        // Node 1's runs were finished by the others.
        Map<String, String> after = ownerAndState(store, orphaned);
        assertThat(after).as("runs orphaned by node 1").hasSize(orphaned.size())
                .allSatisfy((run, s) -> assertThat(s).as(run).startsWith("SUCCEEDED").doesNotEndWith(" node1"));
        // The frozen node learnt it had lost its lease when it woke up.
        assertThat(node2.output()).as("node 2's log after SIGSTOP past its lease").contains("lost its lease");
        if (!NODES_RUN) {
            assertThat(node2.process().isAlive()).as("node 2 survived its pause: " + node2.output()).isTrue();
        }

        Cli.Result status = Cli.run("cluster", "status", "--store", store, "--json");
        assertThat(status.exit()).as(status.out() + status.err()).isZero();
        assertThat(status.out()).contains("node2", "node3");

        Set<String> takenFromFrozen = new HashSet<>(frozen);
        takenFromFrozen.removeAll(stillOwnedByFrozen);
        // Node 3 took runs of the frozen node over while it slept (their histories are checked unbroken above).
        assertThat(takenFromFrozen).as("runs of the frozen node taken over during its pause (frozen with %d)", frozen.size())
                .isNotEmpty();
        System.out.printf("ClusterIT a: %d runs succeeded on 3 nodes in %d ms; effects by node %s; final owners %s;"
                        + " node 1 killed at %d final with %d runs owned, all taken over; node 2 frozen 8 s owning %d runs,"
                        + " %d taken over meanwhile (%d final at SIGCONT); runs seen at several fences %d, from several nodes %d;"
                        + " refused stale effects %d %s; sim requests %s; fenced lines in node 2's log %d%n",
                tasks, wallMs, ledger.effectsByNode(), ownersCount(store, "clustered"), finalAtKill, orphaned.size(),
                frozen.size(), takenFromFrozen.size(), finalAtCont, ledger.runsSeenWithSeveralFences(),
                ledger.runsSeenFromSeveralNodes(), ledger.refusals().size(),
                ledger.refusals().stream().limit(3).toList(), simStats(sim).path("requests").asLong(),
                node2.output().lines().filter(l -> l.contains("fenced") || l.contains("lost its lease")).count());
    }

    @Test
    void providerLimitAndFairnessHoldAcrossNodes() throws Exception {
        final int limit = 12;
        final int tasksPerTenant = 400;
        String store = PgTestServer.freshUrl();
        ledger = ClusterLedger.start();
        Path requestLog = dir.resolve("requests.jsonl");
        int sim = startSimServer(requestLog, "--tool-calls", "3", "--latency", "50ms");
        List<Path> fleets = new ArrayList<>();
        for (String tenant : List.of("acme", "globex")) {
            fleets.add(writeFleet("work-" + tenant, tasksPerTenant, 100, "[cledger.put]", simModel(sim, "sim-" + tenant), """
                    tenant: %s
                    provider_limit: {name: sim-account, concurrency: %d}
                    """.formatted(tenant, limit)));
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            nodes.add(startNode("node" + i, store, fleets));
        }
        for (int i = 0; i < nodes.size(); i++) {
            nodes.set(i, awaitUrl(nodes.get(i)));
        }
        // Samples of the requests in flight, the highest per second: when an overshoot happens, if one does.
        Map<Long, Integer> sampled = new java.util.concurrent.ConcurrentSkipListMap<>();
        long sampling = System.nanoTime();
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    int now = simStats(sim).path("in_flight").asInt();
                    sampled.merge((System.nanoTime() - sampling) / 1_000_000_000L, now, Math::max);
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // the sim is gone: the test is ending
                }
            }
        });
        try {
            await(() -> finalRuns(store, "work-acme") + finalRuns(store, "work-globex") >= 2L * tasksPerTenant, 240,
                    "both tenants' runs to be final", nodes);
        } finally {
            sampler.interrupt();
        }
        assertThat(states(store, "work-acme")).isEqualTo(Map.of("SUCCEEDED", (long) tasksPerTenant));
        assertThat(states(store, "work-globex")).isEqualTo(Map.of("SUCCEEDED", (long) tasksPerTenant));

        // Fairness: in the middle 80% of the time both tenants were calling, each got 35% to 65% of the calls.
        List<JsonNode> requests = new ArrayList<>();
        for (String line : Files.readAllLines(requestLog)) {
            requests.add(JSON.readTree(line));
        }
        Map<String, long[]> span = new TreeMap<>();
        for (JsonNode r : requests) {
            long at = r.path("at_ms").asLong();
            span.merge(r.path("model").asText(), new long[] {at, at}, (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        assertThat(span).containsOnlyKeys("sim-acme", "sim-globex");
        long from = Math.max(span.get("sim-acme")[0], span.get("sim-globex")[0]);
        long to = Math.min(span.get("sim-acme")[1], span.get("sim-globex")[1]);
        long margin = (to - from) / 10;
        Map<String, Long> calls = requests.stream()
                .filter(r -> r.path("at_ms").asLong() >= from + margin && r.path("at_ms").asLong() <= to - margin)
                .collect(Collectors.groupingBy(r -> r.path("model").asText(), TreeMap::new, Collectors.counting()));
        long total = calls.values().stream().mapToLong(Long::longValue).sum();
        JsonNode stats = simStats(sim);
        System.out.printf("ClusterIT b: limit %d, peak in flight %d (%s); sampled per second %s; calls while both backlogged %s%n",
                limit, stats.path("peak_in_flight").asInt(), stats.path("models"), sampled, calls);
        assertThat(stats.path("peak_in_flight").asInt()).as("peak model requests in flight, all nodes: %s; the highest"
                        + " sampled in each second since the nodes started: %s", stats, sampled)
                .isLessThanOrEqualTo(limit);
        assertThat(total).as("calls while both tenants were backlogged").isGreaterThan(100);
        assertThat(calls).allSatisfy((model, n) -> assertThat((double) n / total).as("share of " + model + " in " + calls)
                .isBetween(0.35, 0.65));
    }

    @Test
    void killAllOnOneNodeStopsAllThree() throws Exception {
        final int tasks = 300;
        String store = PgTestServer.freshUrl();
        ledger = ClusterLedger.start();
        Path requestLog = dir.resolve("requests.jsonl");
        int sim = startSimServer(requestLog, "--tool-calls", "40", "--latency", "200ms");
        Path fleet = writeFleet("long", tasks, 40, "[cledger.put]", simModel(sim, "myriad-sim"), "");
        List<Node> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            nodes.add(startNode("node" + i, store, List.of(fleet)));
        }
        for (int i = 0; i < nodes.size(); i++) {
            nodes.set(i, awaitUrl(nodes.get(i)));
        }
        await(() -> ledger.effectsByNode().keySet().containsAll(List.of("node1", "node2", "node3"))
                        && ledger.effectCounts().size() >= 300, 120, "all three nodes to be at work", nodes);

        long killAt = System.currentTimeMillis();
        Cli.Result kill = NODES_RUN ? Cli.run("kill", "--all", "--reason", "cluster test", "--store", store)
                : Cli.run("kill", "--all", "--reason", "cluster test", "--server", nodes.get(0).url());
        long killReturned = System.currentTimeMillis();
        assertThat(kill.exit()).as(kill.out() + kill.err()).isZero();
        Thread.sleep(2_000);
        long requestsAfter2s = lines(requestLog);
        int effectsAfter2s = ledger.effectCounts().size();
        Thread.sleep(3_000);
        long requestsAfter5s = lines(requestLog);
        assertThat(requestsAfter5s).as("model requests 2 s and 5 s after `myriad kill --all` on node 1")
                .isEqualTo(requestsAfter2s);
        assertThat(ledger.effectCounts().size()).as("ledger effects 2 s and 5 s after the kill").isEqualTo(effectsAfter2s);
        // Measured from the kill as recorded (the command returns after waiting for the runs to end).
        long controlAt = killControlAt(store);
        List<Long> late = new ArrayList<>();
        long lastRequest = 0;
        for (String line : Files.readAllLines(requestLog)) {
            long at = JSON.readTree(line).path("at_ms").asLong();
            lastRequest = Math.max(lastRequest, at);
            if (at > controlAt + 2_000) {
                late.add(at - controlAt);
            }
        }
        assertThat(late).as("model requests later than 2 s after the kill was recorded (ms after it; the last "
                + (lastRequest - controlAt) + " ms after; the command took " + (killReturned - killAt) + " ms)").isEmpty();

        await(() -> finalRuns(store, "long") >= tasks, 30, "every run to end after the kill", nodes);
        Map<String, Long> states = states(store, "long");
        assertThat(states.keySet()).as("runs by state").allSatisfy(s -> assertThat(FINAL).contains(s));
        assertThat(states.getOrDefault("CANCELLED", 0L)).as("runs cancelled by the kill: " + states).isPositive();
        assertThat(states.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(tasks);
        assertThat(forkedHistories(store, "long")).isEmpty();
        System.out.printf("ClusterIT c: kill --all on node 1 stopped 3 nodes: %d model requests in all, the last %d ms after"
                        + " the kill was recorded; the command took %d ms; runs %s; effects by node %s; %s%n", requestsAfter5s,
                lastRequest - controlAt, killReturned - killAt, states, ledger.effectsByNode(), kill.out().strip());
    }

    // ---------------------------------------------------------------------------------- helpers

    /**
     * The fleet-file model of the sim-server at {@code port}, under {@code name} (the sim tells
     * tenants apart by it). {@code myriad serve} has no {@code --model-url}: the fleet names the endpoint.
     */
    private static String simModel(int port, String name) {
        return "{base_url: \"http://127.0.0.1:" + port + "/v1\", name: " + name + ", simulated: true}";
    }

    private Node startNode(String name, String store, List<Path> fleets) throws IOException {
        Path log = dir.resolve(name + ".log");
        Path data = dir.resolve(name);
        Map<String, String> env = Map.of("MYRIAD_TEST_CLEDGER_URL", ledger.url(), "MYRIAD_TEST_CLEDGER_NODE", name);
        List<String> common = List.of("--store", store, "--node", name, "--data", data.toString(), "--lease", "3s");
        List<Process> started = new ArrayList<>();
        if (NODES_RUN) {
            // One cluster worker per fleet, all under the node's name.
            for (Path f : fleets) {
                List<String> args = new ArrayList<>(List.of("run", f.toString(), "--json"));
                args.addAll(common);
                started.add(Cli.spawn(log, env, args.toArray(String[]::new)));
            }
        } else {
            List<String> args = new ArrayList<>(List.of("serve"));
            fleets.forEach(f -> args.add(f.toString()));
            args.addAll(List.of("--port", "0"));
            args.addAll(common);
            started.add(Cli.spawn(log, env, args.toArray(String[]::new)));
        }
        processes.addAll(started);
        return new Node(name, started.getFirst(), log, data, null);
    }

    /** Waits for the node's URL (serve only); the node with it. */
    private static Node awaitUrl(Node n) throws IOException, InterruptedException {
        if (NODES_RUN) {
            return n;
        }
        return new Node(n.name(), n.process(), n.log(), n.data(), Cli.awaitUrl(n.process(), n.log()));
    }

    private int startSimServer(Path requestLog, String... options) throws Exception {
        Path log = dir.resolve("sim.log");
        List<String> args = new ArrayList<>(List.of("sim-server", "--port", "0", "--request-log", requestLog.toString()));
        args.addAll(List.of(options));
        Process sim = Cli.spawn(log, Map.of(), args.toArray(String[]::new));
        processes.add(sim);
        Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/v1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            assertThat(sim.isAlive()).as("sim-server died: " + (Files.exists(log) ? Files.readString(log) : "")).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("sim-server did not start: " + Files.readString(log));
    }

    private JsonNode simStats(int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private Path writeFleet(String name, int tasks, int concurrency, String tools, String model, String extra)
            throws IOException {
        String lines = IntStream.rangeClosed(1, tasks).mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"settle invoice " + i + "\"}")
                .collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve(name + "-tasks.jsonl"), lines + "\n");
        Path fleet = dir.resolve(name + ".yaml");
        Files.writeString(fleet, """
                fleet: %s
                model: %s
                concurrency: %d
                tasks: %s-tasks.jsonl
                agents:
                  payer:
                    instructions: Transfer and record.
                    tools: %s
                    limits: {max_steps: 60}
                %s""".formatted(name, model, concurrency, name, tools, extra));
        return fleet;
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to {@code seconds} for {@code condition}; fails with the nodes' last lines if it never holds. */
    private static void await(Condition condition, int seconds, String what, List<Node> nodes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.holds()) {
            boolean allExited = nodes.stream().noneMatch(n -> n.process().isAlive());
            if (System.nanoTime() > deadline || allExited) {
                StringBuilder tails = new StringBuilder();
                for (Node n : nodes) {
                    List<String> out = n.output().lines().toList();
                    tails.append("\n--- ").append(n.name()).append(n.process().isAlive() ? "" : " (exited " + n.process().exitValue() + ")")
                            .append(":\n")
                            .append(String.join("\n", out.subList(Math.max(0, out.size() - 15), out.size())));
                }
                throw new AssertionError((allExited ? "every node exited" : "timed out after " + seconds + " s")
                        + " waiting for " + what + tails);
            }
            Thread.sleep(200);
        }
    }

    private static void signal(Process p, String signal) {
        if (!p.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new AssertionError("cannot send SIG" + signal + " to " + p.pid() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (Stream<String> s = Files.lines(file)) {
            return s.count();
        }
    }

    // -------------------------------------------------------------------------------- the store

    private static Connection connect(String store) throws SQLException {
        return DriverManager.getConnection(store);
    }

    /** The events (type and body) of these runs, for failure messages. */
    private static String journals(String store, List<String> runIds) throws SQLException {
        StringBuilder out = new StringBuilder();
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT e.run_id, e.seq, e.type, e.body, r.owner_node, r.owner_epoch FROM events e"
                     + " JOIN runs r ON r.run_id = e.run_id WHERE e.run_id = ? ORDER BY e.seq")) {
            for (String runId : runIds) {
                ps.setString(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String body = rs.getString(4);
                        out.append("\n  ").append(rs.getString(1)).append(" #").append(rs.getLong(2)).append(' ').append(rs.getString(3))
                                .append(" (owner ").append(rs.getString(5)).append('/').append(rs.getLong(6)).append(") ")
                                .append(body.length() > 300 ? body.substring(0, 300) + "..." : body);
                    }
                }
            }
        }
        return out.toString();
    }

    /** The calls the journals settle ({@code tool key}) and the failed calls ({@code run error}). */
    private record Settled(Set<String> calls, List<String> failures) {}

    private static Settled settled(String store, String fleet) throws SQLException, IOException {
        Set<String> calls = new HashSet<>();
        List<String> failures = new ArrayList<>();
        Map<String, String> callOf = new java.util.HashMap<>();
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT e.run_id, e.type, e.body FROM events e JOIN runs r ON r.run_id = e.run_id"
                     + " WHERE r.fleet = ? AND e.type IN ('tool_call_started', 'tool_call_completed', 'tool_call_failed',"
                     + " 'tool_call_resolved') ORDER BY e.run_id, e.seq")) {
            ps.setString(1, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String run = rs.getString(1);
                    JsonNode body = JSON.readTree(rs.getString(3));
                    String id = run + " " + body.path("callId").asText();
                    switch (rs.getString(2)) {
                        case "tool_call_started" -> callOf.put(id, body.path("tool").asText() + " " + body.path("idempotencyKey").asText());
                        case "tool_call_completed" -> calls.add(callOf.get(id));
                        case "tool_call_resolved" -> {
                            if (body.path("decision").asText().equals("done")) {
                                calls.add(callOf.get(id));
                            }
                        }
                        default -> failures.add(run + " " + body.path("error").asText());
                    }
                }
            }
        }
        return new Settled(calls, failures);
    }

    /** The rows of a query, each as its columns joined by spaces. */
    private static List<String> sqlRows(String store, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = connect(store); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? " " : "").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    /** When the last kill control was recorded (epoch ms). */
    private static long killControlAt(String store) throws SQLException {
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT at FROM controls WHERE upper(action) = 'KILL' ORDER BY seq DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).as("a kill control in the store").isTrue();
            return rs.getLong(1);
        }
    }

    private static Map<String, Long> states(String store, String fleet) throws SQLException {
        Map<String, Long> states = new TreeMap<>();
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT state, count(*) FROM runs WHERE fleet = ? GROUP BY state")) {
            ps.setString(1, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    states.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return states;
    }

    private static long finalRuns(String store, String fleet) throws SQLException {
        return states(store, fleet).entrySet().stream().filter(e -> FINAL.contains(e.getKey())).mapToLong(Map.Entry::getValue).sum();
    }

    /** How many runs of the fleet no node owns and are not final. */
    private static long unowned(String store, String fleet) throws SQLException {
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT state FROM runs WHERE fleet = ? AND owner_node IS NULL")) {
            ps.setString(1, fleet);
            long n = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n += FINAL.contains(rs.getString(1)) ? 0 : 1;
                }
            }
            return n;
        }
    }

    /** The runs {@code node} owns that are not final. */
    private static Set<String> owned(String store, String node) throws SQLException {
        Set<String> runs = new HashSet<>();
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT run_id, state FROM runs WHERE owner_node = ?")) {
            ps.setString(1, node);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!FINAL.contains(rs.getString(2))) {
                        runs.add(rs.getString(1));
                    }
                }
            }
        }
        return runs;
    }

    /** "STATE owner" of each run. */
    private static Map<String, String> ownerAndState(String store, Set<String> runs) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT run_id, state, owner_node FROM runs WHERE run_id = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", runs.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2) + " " + rs.getString(3));
                }
            }
        }
        return out;
    }

    private static Map<String, Long> ownersCount(String store, String fleet) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement(
                     "SELECT coalesce(owner_node, '-'), count(*) FROM runs WHERE fleet = ? GROUP BY owner_node")) {
            ps.setString(1, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /**
     * Runs of the fleet whose journal is not one history: seqs not one unbroken range from the
     * same first seq as every other run, or not exactly one start and at most one end. (The key
     * (run_id, seq) already rules out two events at one seq.)
     */
    private static List<String> forkedHistories(String store, String fleet) throws SQLException {
        List<String> forked = new ArrayList<>();
        String terminal = TERMINAL_EVENTS.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "));
        try (Connection c = connect(store);
             PreparedStatement ps = c.prepareStatement("SELECT e.run_id, min(e.seq), max(e.seq), count(*),"
                     + " count(*) FILTER (WHERE e.type = 'run_started'), count(*) FILTER (WHERE e.type IN (" + terminal + "))"
                     + " FROM events e JOIN runs r ON r.run_id = e.run_id WHERE r.fleet = ? GROUP BY e.run_id")) {
            ps.setString(1, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                Long first = null;
                while (rs.next()) {
                    long min = rs.getLong(2);
                    first = first == null ? min : first;
                    boolean unbroken = min == first && rs.getLong(3) - min + 1 == rs.getLong(4);
                    if (!unbroken || rs.getLong(5) != 1 || rs.getLong(6) > 1) {
                        forked.add(rs.getString(1) + " seq " + min + ".." + rs.getLong(3) + " (" + rs.getLong(4) + " events, "
                                + rs.getLong(5) + " starts, " + rs.getLong(6) + " ends)");
                    }
                }
            }
        }
        return forked;
    }
}
