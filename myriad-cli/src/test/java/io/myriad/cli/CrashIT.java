package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the CLI with SIGKILL in the middle of a fleet, runs it again, and checks the durability
 * guarantees against evidence kept outside the journal: the simulated model's own request log
 * (a separate process) and a tool that records its invocations in its own file.
 */
class CrashIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TASKS = 200;

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void aKilledFleetResumesWithNothingLostAndNothingRepeated() throws Exception {
        Path requestLog = dir.resolve("requests.jsonl");
        Path countFile = dir.resolve("count.txt");
        Path data = dir.resolve("data");
        int port = startSimServer(requestLog);
        Path fleet = writeFleet();
        Map<String, String> env = Map.of("MYRIAD_TEST_COUNT_FILE", countFile.toString());
        String url = "http://127.0.0.1:" + port + "/v1";

        // First attempt: killed with SIGKILL once a good part of the fleet has made progress.
        Process first = Cli.spawn(dir.resolve("first.log"), env, "run", fleet.toString(), "--data", data.toString(), "--model-url", url, "--json");
        processes.add(first);
        waitFor(() -> lines(requestLog) >= TASKS * 3 / 2, first, Duration.ofSeconds(90));
        first.destroyForcibly();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(137);

        // What the journal held at the moment of the kill.
        Set<String> journaledSteps = new HashSet<>();
        int finalAtKill;
        int runsAtKill;
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            List<RunRepository.RunRow> rows = store.runs("crash-1");
            runsAtKill = rows.size();
            finalAtKill = (int) rows.stream().filter(r -> r.status().state().isFinal()).count();
            for (RunRepository.RunRow row : rows) {
                int step = 0;
                for (JournalRecord rec : store.read(row.runId())) {
                    if (rec.event() instanceof RunEvent.ModelResponded) {
                        journaledSteps.add(row.runId() + "#" + (++step));
                    }
                }
            }
        }
        assertThat(finalAtKill).as("the kill must land mid-fleet").isLessThan(TASKS);
        assertThat(runsAtKill).isPositive();
        long requestsBeforeRestart = lines(requestLog);

        // Second attempt: the same command, to completion.
        Process second = Cli.spawn(dir.resolve("second.log"), env, "run", fleet.toString(), "--data", data.toString(), "--model-url", url, "--json");
        processes.add(second);
        assertThat(second.waitFor(120, TimeUnit.SECONDS)).as(Files.readString(dir.resolve("second.log"))).isTrue();
        String secondOut = Files.readString(dir.resolve("second.log"));
        assertThat(secondOut).contains("resuming");
        JsonNode summary = JSON.readTree(secondOut.strip().lines().reduce((a, b) -> b).orElseThrow());

        // 1. Nothing lost: every task reached a final state.
        assertThat(summary.path("tasks").asInt()).isEqualTo(TASKS);
        assertThat(summary.path("succeeded").asInt() + summary.path("failed").asInt() + summary.path("limited").asInt()
                + summary.path("cancelled").asInt()).isEqualTo(TASKS);
        assertThat(summary.path("simulated").asBoolean()).isTrue();

        Map<String, Integer> invocationsByKey = new HashMap<>();
        for (String key : Files.readAllLines(countFile)) {
            invocationsByKey.merge(key, 1, Integer::sum);
        }
        Set<String> completedKeys = new HashSet<>();
        Set<String> startedKeys = new HashSet<>();
        int inDoubt = 0;
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            List<RunRepository.RunRow> rows = store.runs("crash-1");
            assertThat(rows).hasSize(TASKS).allSatisfy(r -> assertThat(r.status().state().isFinal()).isTrue());
            for (RunRepository.RunRow row : rows) {
                Map<String, String> keyOfCall = new HashMap<>();
                for (JournalRecord rec : store.read(row.runId())) {
                    switch (rec.event()) {
                        case RunEvent.ToolCallStarted s when s.tool().equals("test.count") -> {
                            keyOfCall.put(s.callId(), s.idempotencyKey());
                            startedKeys.add(s.idempotencyKey());
                        }
                        case RunEvent.ToolCallCompleted c when keyOfCall.containsKey(c.callId()) ->
                                completedKeys.add(keyOfCall.get(c.callId()));
                        case RunEvent.RunFailed f when f.reason().equals("in_doubt") -> inDoubt++;
                        default -> { }
                    }
                }
            }
        }
        // 2. No side effect repeated: the tool ran exactly once per journaled completion, and
        //    a call in flight at the kill was never re-invoked (its run failed as in doubt).
        assertThat(completedKeys).isNotEmpty();
        assertThat(invocationsByKey).allSatisfy((key, n) -> assertThat(n).as("invocations of " + key).isEqualTo(1));
        assertThat(invocationsByKey.keySet()).containsAll(completedKeys);
        assertThat(startedKeys).containsAll(invocationsByKey.keySet());
        assertThat(invocationsByKey.size() - completedKeys.size()).isLessThanOrEqualTo(inDoubt);

        // 3. No journaled model response was requested again after the restart.
        List<String> after = Files.readAllLines(requestLog).subList((int) requestsBeforeRestart, (int) lines(requestLog));
        assertThat(after).isNotEmpty();
        List<String> repeated = new ArrayList<>();
        for (String line : after) {
            JsonNode req = JSON.readTree(line);
            String step = req.path("run").asText() + "#" + req.path("step").asInt();
            if (journaledSteps.contains(step)) {
                repeated.add(step);
            }
        }
        assertThat(repeated).as("requests for steps already journaled").isEmpty();
    }

    private int startSimServer(Path requestLog) throws Exception {
        Path log = dir.resolve("sim.log");
        Process sim = Cli.spawn(log, Map.of(), "sim-server", "--port", "0", "--tool-calls", "6", "--latency", "4ms",
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
        String tasks = IntStream.rangeClosed(1, TASKS).mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"count for task " + i + "\"}")
                .collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("tasks.jsonl"), tasks + "\n");
        Path fleet = dir.resolve("crash.yaml");
        Files.writeString(fleet, """
                fleet: crash
                model: sim
                concurrency: 24
                tasks: tasks.jsonl
                agents:
                  counter:
                    instructions: Count, write, repeat.
                    tools: [fs.write, test.count]
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

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Condition condition, Process process, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.holds()) {
            assertThat(process.isAlive()).as("the fleet finished before it could be killed").isTrue();
            assertThat(Instant.now()).as("timed out waiting").isBefore(deadline);
            Thread.sleep(5);
        }
    }
}
