package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code myriad policy set} replaces the policy of a fleet running in another process: its next
 * tool calls are decided by the new policy within the 2 s the cluster promises (the same control
 * every node of a cluster polls), and the change is audited.
 */
class PolicySetIT {
    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void aPolicySetWhileTheFleetRunsDecidesItsNextToolCalls() throws Exception {
        String script = IntStream.range(0, 25).mapToObj(i -> "{\"tool\":\"fs.write\",\"args\":{\"path\":\"note" + i
                + ".txt\",\"content\":\"line " + i + "\"}}").collect(Collectors.joining(","));
        String tasks = IntStream.rangeClosed(1, 10).mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":{\"script\":["
                + script + ",{\"answer\":\"done\"}]}}").collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("tasks.jsonl"), tasks + "\n");
        Path fleet = dir.resolve("writers.yaml");
        Files.writeString(fleet, """
                fleet: writers
                model: {sim: {scenario: script, latency: 200ms}}
                concurrency: 10
                tasks: tasks.jsonl
                agents:
                  worker:
                    instructions: Write.
                    tools: [fs.write]
                    limits: {max_steps: 100}
                """);
        Path policy = dir.resolve("no-writes.yaml");
        Files.writeString(policy, "- {id: no-writes, effect: deny, tool: fs.write}\n");
        Path data = dir.resolve("data");
        Path log = dir.resolve("run.log");
        Process run = Cli.spawn(log, Map.of(), "run", fleet.toString(), "--data", data.toString());
        processes.add(run);

        // Once writes are under way, replace the policy from another process.
        try (SqliteStore store = awaitStore(data.resolve("myriad.db"))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (completedWrites(store) < 20 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(completedWrites(store)).as("writes before the change: " + Files.readString(log)).isGreaterThanOrEqualTo(20);
        }
        long setAt = System.currentTimeMillis();
        Cli.Result set = Cli.run("policy", "set", "--fleet", "writers", policy.toString(), "--data", data.toString(),
                "--reason", "stop writing");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).contains("policy of fleet writers", "1 rule(s)");

        assertThat(run.waitFor(120, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
        assertThat(Files.readString(log)).contains("policy replaced by");
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            // From when the control was recorded (the command itself takes a moment to start).
            long recordedAt = store.since(0).stream().filter(c -> c.action() == io.myriad.core.control.Action.POLICY)
                    .findFirst().orElseThrow().at();
            assertThat(recordedAt).isGreaterThanOrEqualTo(setAt);
            List<Long> completedAfter = new ArrayList<>();
            int rejected = 0;
            for (RunRepository.RunRow row : store.runs(store.executions(10).getFirst().id())) {
                for (JournalRecord r : store.read(row.runId())) {
                    if (r.event() instanceof RunEvent.ToolCallCompleted c && c.at() > recordedAt + 2_000) {
                        completedAfter.add(c.at() - recordedAt);
                    }
                    if (r.event() instanceof RunEvent.ToolCallRejected x && x.reason().contains("no-writes")) {
                        rejected++;
                    }
                }
            }
            assertThat(completedAfter).as("writes completed more than 2 s after the policy was set (ms after)").isEmpty();
            assertThat(rejected).as("writes refused by the new policy's rule").isPositive();
            assertThat(store.latestAudit(10_000)).anyMatch(a -> a.entry().action().equals("control.policy")
                    && a.entry().details().contains("no-writes") && a.entry().details().contains("stop writing"));
        }
    }

    private static SqliteStore awaitStore(Path db) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(db) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return SqliteStore.open(db);
    }

    private static long completedWrites(SqliteStore store) {
        long n = 0;
        for (RunRepository.Execution ex : store.executions(10)) {
            for (RunRepository.RunRow row : store.runs(ex.id())) {
                n += store.read(row.runId()).stream().filter(r -> r.event() instanceof RunEvent.ToolCallCompleted).count();
            }
        }
        return n;
    }
}
