package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.RunState;
import io.myriad.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM mid-fleet: the process stops admitting steps, lets in-flight steps finish within the
 * grace period, journals the runs it stopped as interrupted, and exits 0; the next start resumes
 * everything and nothing is repeated.
 */
class GracefulShutdownIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TASKS = 300;

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void sigtermDrainsExitsZeroAndTheNextStartResumesEverything() throws Exception {
        String tasks = IntStream.rangeClosed(1, TASKS).mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"count " + i + "\"}")
                .collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("tasks.jsonl"), tasks + "\n");
        Path fleet = dir.resolve("drain.yaml");
        Files.writeString(fleet, """
                fleet: drain
                model: {sim: {scenario: tools, tool_calls: 3, latency: 80ms}}
                concurrency: 32
                tasks: tasks.jsonl
                agents:
                  counter:
                    instructions: Count.
                    tools: [test.count]
                """);
        Path countFile = dir.resolve("count.txt");
        Path data = dir.resolve("data");
        Map<String, String> env = Map.of("MYRIAD_TEST_COUNT_FILE", countFile.toString());
        Path log = dir.resolve("first.log");
        Process first = Cli.spawn(log, env, "run", fleet.toString(), "--data", data.toString(), "--grace", "20s", "--json");
        processes.add(first);
        Instant deadline = Instant.now().plusSeconds(60);
        while (lines(countFile) < 100) {
            assertThat(first.isAlive()).as("finished before the signal: " + Files.readString(log)).isTrue();
            assertThat(Instant.now()).isBefore(deadline);
            Thread.sleep(5);
        }
        first.destroy(); // SIGTERM
        assertThat(first.waitFor(40, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
        String out = Files.readString(log);
        assertThat(first.exitValue()).as(out).isZero();
        JsonNode summary = JSON.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(summary.path("interrupted").asInt()).as(out).isPositive();
        assertThat(summary.path("failed").asInt()).isZero();
        assertThat(summary.path("in_doubt").asInt()).as("a drain lets tool calls finish: nothing is left in doubt").isZero();
        assertThat(out).contains("resume");

        int interruptedEvents = 0;
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            for (RunRepository.RunRow row : store.runs("drain-1")) {
                assertThat(row.status().state()).isNotIn(RunState.FAILED, RunState.IN_DOUBT);
                List<JournalRecord> records = store.read(row.runId());
                // A run stopped by the drain is never left with a call started and not settled.
                if (!row.status().state().isFinal()) {
                    long started = records.stream().filter(r -> r.event() instanceof RunEvent.ToolCallStarted).count();
                    long settled = records.stream().filter(r -> r.event() instanceof RunEvent.ToolCallCompleted
                            || r.event() instanceof RunEvent.ToolCallFailed).count();
                    assertThat(settled).as(row.runId()).isEqualTo(started);
                }
                interruptedEvents += (int) records.stream().filter(r -> r.event() instanceof RunEvent.RunInterrupted).count();
            }
        }
        assertThat(interruptedEvents).isPositive();

        Path log2 = dir.resolve("second.log");
        Process second = Cli.spawn(log2, env, "run", fleet.toString(), "--data", data.toString(), "--json");
        processes.add(second);
        assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out2 = Files.readString(log2);
        assertThat(second.exitValue()).as(out2).isZero();
        JsonNode summary2 = JSON.readTree(out2.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(summary2.path("succeeded").asInt()).isEqualTo(TASKS);
        // Every irreversible call ran exactly once across the two processes.
        List<String> keys = Files.readAllLines(countFile);
        assertThat(keys).hasSize(TASKS * 3).doesNotHaveDuplicates();
    }

    private static long lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
