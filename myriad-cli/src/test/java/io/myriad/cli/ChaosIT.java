package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.RunState;
import io.myriad.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos: a fleet of 1,000 agents whose tools move money in an external ledger is killed with
 * SIGKILL at random moments, at least 20 times, and restarted after each kill. Then the
 * evidence kept outside the journal is checked: the ledger (every invocation and every effect,
 * by idempotency key) and the simulated model's own request log (a separate process).
 *
 * <p>Tools: {@code ledger.pay} (irreversible, cannot reconcile: a call in doubt waits for a
 * person, played here by the test, who looks the key up in the ledger), {@code ledger.transfer}
 * (irreversible, reconciles itself from the ledger) and {@code ledger.put} (idempotent).
 */
class ChaosIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TASKS = 1_000;
    private static final int KILLS = 20;
    private static final List<String> IRREVERSIBLE = List.of("ledger.pay", "ledger.transfer");

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void killedTwentyTimesNothingIsLostNothingIsRepeatedEveryDoubtSurfaces() throws Exception {
        Path requestLog = dir.resolve("requests.jsonl");
        Path ledger = dir.resolve("ledger.txt");
        Path data = dir.resolve("data");
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        Random random = new Random(seed);
        String url = "http://127.0.0.1:" + startSimServer(requestLog) + "/v1";
        Path fleet = writeFleet();
        Map<String, String> env = Map.of("MYRIAD_TEST_LEDGER", ledger.toString());
        String[] run = {"run", fleet.toString(), "--data", data.toString(), "--model-url", url, "--json"};

        // Kill at random moments: after a random number (20 to 200) of new model requests.
        int kills = 0;
        for (int i = 0; i < KILLS; i++) {
            long before = lines(requestLog);
            long threshold = before + 20 + random.nextInt(181);
            Process p = Cli.spawn(dir.resolve("run-" + i + ".log"), env, run);
            processes.add(p);
            Instant deadline = Instant.now().plusSeconds(120);
            while (p.isAlive() && lines(requestLog) < threshold && Instant.now().isBefore(deadline)) {
                Thread.sleep(2);
            }
            assertThat(p.isAlive()).as("seed " + seed + ": the fleet finished before kill " + (i + 1) + ": "
                    + Files.readString(dir.resolve("run-" + i + ".log"))).isTrue();
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("killed by SIGKILL").isEqualTo(137);
            kills++;
        }

        // Runs to the end; each time some runs wait in doubt, a person looks at the ledger and decides.
        int humanDecisions = 0;
        for (int round = 0; ; round++) {
            assertThat(round).as("seed " + seed + ": rounds of decisions").isLessThan(5);
            Path log = dir.resolve("final-" + round + ".log");
            Process p = Cli.spawn(log, env, run);
            processes.add(p);
            assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
            List<String[]> waiting = inDoubt(data);
            if (waiting.isEmpty()) {
                assertThat(p.exitValue()).as(Files.readString(log)).isEqualTo(Main.EXIT_OK);
                JsonNode summary = JSON.readTree(Files.readString(log).strip().lines().reduce((a, b) -> b).orElseThrow());
                assertThat(summary.path("succeeded").asInt()).isEqualTo(TASKS);
                break;
            }
            assertThat(p.exitValue()).as("runs wait for a decision: " + Files.readString(log)).isEqualTo(Main.EXIT_NEEDS_DECISION);
            for (String[] w : waiting) {
                String runId = w[0];
                String tool = w[1];
                String key = w[2];
                Cli.Result r = LedgerToolProvider.hasEffectIn(ledger, tool, key)
                        ? Cli.run("runs", "resolve", runId, "--done", tool + " done (seen in the ledger by a person)",
                                "--data", data.toString())
                        : Cli.run("runs", "resolve", runId, "--retry", "--comment", "no ledger line",
                                "--data", data.toString());
                assertThat(r.exit()).as(r.err()).isZero();
                humanDecisions++;
            }
        }

        // The evidence outside the journal.
        Map<String, Integer> effects = new HashMap<>();
        Map<String, Integer> invocations = new HashMap<>();
        for (String line : Files.readAllLines(ledger)) {
            String[] f = line.split(" ");
            (f[0].equals("effect") ? effects : invocations).merge(f[1] + " " + f[2], 1, Integer::sum);
        }
        // And the journal's account of every call.
        Map<String, String> settledBy = new HashMap<>();
        Map<String, Integer> clearedForRetry = new HashMap<>();
        int inDoubtSurfaced = 0;
        Map<String, Integer> journalActions = new java.util.TreeMap<>();
        Map<String, Integer> auditActions = new java.util.TreeMap<>();
        int[] auditedHumanDecisions = {0};
        int reconciled = 0;
        int idempotentReinvoked = 0;
        List<String> problems = new ArrayList<>();
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            List<RunRepository.RunRow> rows = store.runs("chaos-1");
            assertThat(rows).hasSize(TASKS).allSatisfy(r -> assertThat(r.status().state()).isEqualTo(RunState.SUCCEEDED));
            for (RunRepository.RunRow row : rows) {
                Map<String, String> toolOf = new HashMap<>();
                Map<String, String> keyOf = new HashMap<>();
                Map<Integer, Long> respondedAt = new HashMap<>();
                int step = 0;
                for (JournalRecord rec : store.read(row.runId())) {
                    String action = switch (rec.event()) {
                        case RunEvent.RunStarted x -> "run.started";
                        case RunEvent.ToolCallStarted x -> "tool.called";
                        case RunEvent.ToolCallCompleted x -> "tool.completed";
                        case RunEvent.ToolCallFailed x -> "tool.failed";
                        case RunEvent.ToolCallRejected x -> "tool.rejected";
                        case RunEvent.ToolCallInDoubt x -> "tool.in_doubt";
                        case RunEvent.ToolCallResolved x -> "decision.resolved";
                        case RunEvent.RunSucceeded x -> "run.finished";
                        case RunEvent.RunFailed x -> "run.finished";
                        case RunEvent.RunCancelled x -> "run.finished";
                        case RunEvent.RunLimited x -> "run.finished";
                        case RunEvent.RunStuck x -> "run.finished";
                        default -> "";
                    };
                    if (!action.isEmpty()) {
                        journalActions.merge(action, 1, Integer::sum);
                    }
                    switch (rec.event()) {
                        case RunEvent.ModelResponded m -> respondedAt.put(++step, m.at());
                        case RunEvent.ToolCallStarted s -> {
                            toolOf.put(s.callId(), s.tool());
                            keyOf.put(s.callId(), s.idempotencyKey());
                        }
                        case RunEvent.ToolCallInDoubt d -> {
                            inDoubtSurfaced++;
                            if (!d.tool().equals("ledger.pay")) {
                                problems.add("a call of " + d.tool() + " waited for a person: " + d.idempotencyKey());
                            }
                        }
                        case RunEvent.ToolCallResolved r -> {
                            String call = toolOf.get(r.callId()) + " " + keyOf.get(r.callId());
                            if (r.by().equals("reconcile")) {
                                reconciled++;
                            }
                            if (r.decision().equals("retry")) {
                                clearedForRetry.merge(call, 1, Integer::sum);
                            } else if (r.decision().equals("done")) {
                                settledBy.merge(call, r.by().equals("reconcile") ? "reconcile" : "person", (a, b) -> a + "+" + b);
                            }
                        }
                        case RunEvent.ToolCallCompleted c when keyOf.containsKey(c.callId()) ->
                                settledBy.merge(toolOf.get(c.callId()) + " " + keyOf.get(c.callId()), "tool", (a, b) -> a + "+" + b);
                        default -> { }
                    }
                }
                runRespondedAt.put(row.runId(), respondedAt);
            }
            store.forEachAudit(0, r -> {
                if (!r.entry().action().startsWith("fleet.")) {
                    auditActions.merge(r.entry().action(), 1, Integer::sum);
                }
                if (r.entry().action().equals("decision.resolved") && r.entry().actor().startsWith("local:")) {
                    auditedHumanDecisions[0]++;
                }
            });
        }
        for (var e : invocations.entrySet()) {
            if (e.getKey().startsWith("ledger.put") && e.getValue() > 1) {
                idempotentReinvoked++;
            }
        }
        // 1. No duplicate effect, for any tool; an irreversible call is invoked again only when a
        //    decision (its tool's reconcile, or a person) found it had no effect and cleared it.
        assertThat(effects).allSatisfy((k, n) -> assertThat(n).as("effects of " + k).isEqualTo(1));
        assertThat(invocations).allSatisfy((k, n) -> {
            if (IRREVERSIBLE.contains(k.split(" ")[0])) {
                assertThat(n).as("invocations of irreversible " + k).isLessThanOrEqualTo(1 + clearedForRetry.getOrDefault(k, 0));
            }
        });
        // 2. Every settled call has exactly one effect and every effect belongs to a settled call,
        //    settled once (by the tool or by a person, never both).
        assertThat(difference(settledBy.keySet(), effects.keySet())).as("settled calls without an effect").isEmpty();
        assertThat(difference(effects.keySet(), settledBy.keySet())).as("effects of calls never settled").isEmpty();
        assertThat(settledBy.values()).allSatisfy(v -> assertThat(v).isIn("tool", "person", "reconcile"));
        assertThat(settledBy).hasSize(3 * TASKS);
        // 3. Every doubt surfaced, and only where a person is needed.
        assertThat(problems).isEmpty();
        assertThat(humanDecisions).isEqualTo(inDoubtSurfaced);
        // 4. No journaled model response was requested again.
        List<String> repeated = new ArrayList<>();
        long requests = 0;
        for (String line : Files.readAllLines(requestLog)) {
            requests++;
            JsonNode req = JSON.readTree(line);
            Long at = runRespondedAt.getOrDefault(req.path("run").asText(), Map.of()).get(req.path("step").asInt());
            if (at != null && req.path("at_ms").asLong() > at) {
                repeated.add(line);
            }
        }
        assertThat(repeated).as("requests for responses already journaled").isEmpty();

        // 5. The audit log, written in the journal's transactions, agrees with the journal after every
        //    kill, names the person behind each decision, and its chain is intact.
        assertThat(auditActions).as("audit records by action against the journal").isEqualTo(journalActions);
        assertThat(auditedHumanDecisions[0]).isEqualTo(humanDecisions);
        Cli.Result verify = Cli.run("audit", "verify", "--data", data.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();

        System.out.printf("chaos (seed %d): %d kills, %d runs all succeeded, %d model requests, %d effects, %d duplicates;"
                        + " %d calls in doubt surfaced to a person, %d reconciled by their tool, %d idempotent calls re-invoked%n",
                seed, kills, TASKS, requests, effects.size(), 0, inDoubtSurfaced, reconciled, idempotentReinvoked);
    }

    private final Map<String, Map<Integer, Long>> runRespondedAt = new HashMap<>();

    private static java.util.Set<String> difference(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> d = new java.util.TreeSet<>(a);
        d.removeAll(b);
        return d;
    }

    /** Runs waiting in doubt: run id, tool, idempotency key. */
    private static List<String[]> inDoubt(Path data) {
        List<String[]> out = new ArrayList<>();
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            for (RunRepository.RunRow row : store.runsInState(RunState.IN_DOUBT, "chaos-1", TASKS)) {
                RunEvent last = store.read(row.runId()).getLast().event();
                if (last instanceof RunEvent.ToolCallInDoubt d) {
                    out.add(new String[] {row.runId(), d.tool(), d.idempotencyKey()});
                } else {
                    throw new AssertionError("run " + row.runId() + " is in doubt but its last event is " + last);
                }
            }
        }
        return out;
    }

    private int startSimServer(Path requestLog) throws Exception {
        Path log = dir.resolve("sim.log");
        Process sim = Cli.spawn(log, Map.of(), "sim-server", "--port", "0", "--tool-calls", "3", "--latency", "40ms",
                "--request-log", requestLog.toString());
        processes.add(sim);
        Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/v1");
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            assertThat(sim.isAlive()).as("sim-server died: " + (Files.exists(log) ? Files.readString(log) : "")).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("sim-server did not start: " + Files.readString(log));
    }

    private Path writeFleet() throws IOException {
        String tasks = IntStream.rangeClosed(1, TASKS).mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"settle invoice " + i + "\"}")
                .collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("tasks.jsonl"), tasks + "\n");
        Path fleet = dir.resolve("chaos.yaml");
        Files.writeString(fleet, """
                fleet: chaos
                model: sim
                concurrency: 16
                tasks: tasks.jsonl
                agents:
                  payer:
                    instructions: Pay, transfer, record.
                    tools: [ledger.pay, ledger.transfer, ledger.put]
                    limits: {max_steps: 30}
                """);
        return fleet;
    }

    private static long lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
