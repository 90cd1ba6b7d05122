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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents that orchestrate agents, through the CLI in real processes: a manager fans out to
 * 10,000 children while the process is killed with SIGKILL twice; a kill of a parent cancels its
 * tree; a child that exhausts its share of the budget is reported to its parent, which goes on.
 */
class DelegationIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHILDREN = 10_000;

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private static final String FAN_OUT = """
            fleet: fan
            model: {sim: {scenario: team, tool_calls: 0, latency: 4ms, context_window: 100000000}}
            concurrency: 64
            delegation: {max_children: 10000, result_chars: 4000000}
            agents:
              manager:
                instructions: Split the question among workers, then reduce their answers into one report.
                delegates: [worker]
                limits: {max_tokens: 1000000000}
              worker:
                instructions: Answer your part in one sentence.
            tasks:
              - {id: m, agent: manager, input: '{"question": "Summarise the corpus", "parts": %d}'}
            """.formatted(CHILDREN);

    @Test
    void aManagerFansOutToTenThousandChildrenKilledTwiceAndEveryChildRunsOnce() throws Exception {
        Path fleet = dir.resolve("fan.yaml");
        Files.writeString(fleet, FAN_OUT);
        Path data = dir.resolve("data");
        Path db = data.resolve("myriad.db");
        String[] run = {"run", fleet.toString(), "--data", data.toString(), "--json"};

        // Two SIGKILLs during the fan-out: after 1,500 children are final, then 3,000 more.
        long[] killAt = {1_500, 4_500};
        for (int i = 0; i < killAt.length; i++) {
            Path log = dir.resolve("kill-" + i + ".log");
            Process p = Cli.spawn(log, Map.of(), run);
            processes.add(p);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (p.isAlive() && finalChildren(db) < killAt[i] && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(p.isAlive()).as("the fan-out finished before kill " + (i + 1) + ": " + Files.readString(log)).isTrue();
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("killed by SIGKILL").isEqualTo(137);
        }
        assertThat(finalChildren(db)).as("children final before the last start").isBetween(killAt[1], (long) CHILDREN - 1);

        Path last = dir.resolve("final.log");
        Process p = Cli.spawn(last, Map.of(), run);
        processes.add(p);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(Files.readString(last)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(last)).isEqualTo(Main.EXIT_OK);

        try (SqliteStore store = SqliteStore.open(db)) {
            List<RunRepository.RunRow> rows = store.runs("fan-1");
            assertThat(rows).as("the manager and its children, none twice").hasSize(CHILDREN + 1)
                    .allSatisfy(r -> assertThat(r.status().state()).as(r.runId()).isEqualTo(RunState.SUCCEEDED));
            long childTokens = 0;
            List<String> problems = new ArrayList<>();
            for (RunRepository.RunRow row : rows) {
                if (row.task().equals("m")) {
                    continue;
                }
                childTokens += row.status().tokens();
                List<JournalRecord> events = store.read(row.runId());
                long started = events.stream().filter(e -> e.event() instanceof RunEvent.RunStarted).count();
                long answered = events.stream().filter(e -> e.event() instanceof RunEvent.ModelResponded).count();
                long ended = events.stream().filter(e -> e.event().getClass() == RunEvent.RunSucceeded.class).count();
                if (started != 1 || answered != 1 || ended != 1) {
                    problems.add(row.runId() + " started " + started + ", answered " + answered + ", ended " + ended);
                }
            }
            assertThat(problems).as("every child ran exactly once").isEmpty();

            List<JournalRecord> manager = store.read("fan-1:m");
            List<RunEvent.ChildrenStarted> spawned = manager.stream().map(JournalRecord::event)
                    .filter(RunEvent.ChildrenStarted.class::isInstance).map(RunEvent.ChildrenStarted.class::cast).toList();
            List<RunEvent.ChildrenFinished> fanIn = manager.stream().map(JournalRecord::event)
                    .filter(RunEvent.ChildrenFinished.class::isInstance).map(RunEvent.ChildrenFinished.class::cast).toList();
            assertThat(spawned).singleElement().satisfies(s -> assertThat(s.count()).isEqualTo(CHILDREN));
            assertThat(fanIn).as("one fan-in, after all the kills").hasSize(1);
            RunEvent.ChildrenFinished in = fanIn.getFirst();
            assertThat(in.succeeded()).isEqualTo(CHILDREN);
            // The reduction (the fan-in the manager read) holds every child's result exactly once.
            JsonNode result = JSON.readTree(in.result());
            Map<String, Integer> seen = new HashMap<>();
            result.path("results").forEach(r -> seen.merge(r.path("task").asText(), 1, Integer::sum));
            assertThat(seen).hasSize(CHILDREN).allSatisfy((task, n) -> assertThat(n).as(task).isEqualTo(1));
            // And so does the manager's final report, which it wrote from that result.
            String report = manager.stream().map(JournalRecord::event).filter(RunEvent.RunSucceeded.class::isInstance)
                    .map(e -> ((RunEvent.RunSucceeded) e).output()).findFirst().orElseThrow();
            Matcher m = Pattern.compile("\\[(m~\\d+)]").matcher(report);
            Map<String, Integer> reported = new HashMap<>();
            while (m.find()) {
                reported.merge(m.group(1), 1, Integer::sum);
            }
            assertThat(reported).hasSize(CHILDREN).allSatisfy((task, n) -> assertThat(n).as(task).isEqualTo(1));
            // Tokens: the fan-in counts exactly the children's, and the execution's total is theirs plus the manager's.
            long managerTokens = rows.stream().filter(r -> r.task().equals("m")).findFirst().orElseThrow().status().tokens();
            long managerFromJournal = manager.stream().map(JournalRecord::event).filter(RunEvent.ModelResponded.class::isInstance)
                    .mapToLong(e -> ((RunEvent.ModelResponded) e).usage().total()).sum();
            assertThat(managerTokens).isEqualTo(managerFromJournal);
            assertThat(in.tokens()).isEqualTo(childTokens);
            assertThat(store.executionTally("fan-1").tokens()).isEqualTo(managerTokens + childTokens);
        }
    }

    /** Children (task {@code m~N}) in a final state, read from the journal another process writes. */
    private static long finalChildren(Path db) throws Exception {
        return count(db, "task LIKE 'm~%' AND state IN ('SUCCEEDED','FAILED','CANCELLED','LIMITED')");
    }

    private static final String TREE = """
            fleet: tree
            model: {sim: {scenario: team, tool_calls: 1, latency: 1500ms}}
            concurrency: 8
            agents:
              manager:
                instructions: Split the work among leads.
                delegates: [lead]
              lead:
                instructions: Split your part among workers.
                delegates: [worker]
              worker:
                instructions: Write your part.
                tools: [fs.write]
            tasks:
              - {id: top, agent: manager, input: '{"question": "Plan the launch", "parts": 3}'}
              - {id: other, agent: worker, input: "an unrelated task that must not be touched"}
            """;

    @Test
    void killingAParentCancelsItsWholeTreeAndNothingElse() throws Exception {
        Path fleet = dir.resolve("tree.yaml");
        Files.writeString(fleet, TREE);
        Path data = dir.resolve("data");
        Path db = data.resolve("myriad.db");
        Path log = dir.resolve("tree.log");
        Process p = Cli.spawn(log, Map.of(), "run", fleet.toString(), "--data", data.toString());
        processes.add(p);
        // Wait until grandchildren exist (top~1~1 ...), then kill the top run.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (count(db, "task LIKE 'top~%~%'") < 3 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(count(db, "task LIKE 'top~%~%'")).as(Files.readString(log)).isGreaterThanOrEqualTo(3);
        Cli.Result kill = Cli.run("kill", "tree-1:top", "--reason", "plan changed", "--data", data.toString());
        assertThat(kill.exit()).as(kill.out() + kill.err()).isZero();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();

        try (SqliteStore store = SqliteStore.open(db)) {
            Map<String, RunState> states = new HashMap<>();
            store.runs("tree-1").forEach(r -> states.put(r.task(), r.status().state()));
            assertThat(states.get("top")).isEqualTo(RunState.CANCELLED);
            assertThat(states.get("other")).as("not in the tree").isEqualTo(RunState.SUCCEEDED);
            states.forEach((task, state) -> {
                if (task.startsWith("top~")) {
                    assertThat(state).as(task).isEqualTo(RunState.CANCELLED);
                }
            });
            assertThat(states.keySet().stream().filter(t -> t.startsWith("top~")).count()).isGreaterThanOrEqualTo(6);
            String reason = store.run("tree-1:top~1~1").orElseThrow().status().detail();
            assertThat(reason).contains("plan changed").contains("tree-1:top");
        }
    }

    private static final String SHARES = """
            fleet: shares
            model: {sim: {scenario: team, tool_calls: 1}}
            concurrency: 4
            delegation: {share: 0.02}
            agents:
              manager:
                instructions: Split the question among researchers, then report.
                delegates: [researcher]
                limits: {max_tokens: 6000}
              researcher:
                instructions: Research your part, write notes, then answer.
                tools: [fs.write]
            tasks:
              - {id: q, agent: manager, input: '{"question": "What limits a fleet?", "parts": 4}'}
            """;

    @Test
    void aChildThatExhaustsItsShareIsReportedToItsParentWhichContinues() throws Exception {
        Path fleet = dir.resolve("shares.yaml");
        Files.writeString(fleet, SHARES);
        Path data = dir.resolve("data");
        Cli.Result r = Cli.run("run", fleet.toString(), "--data", data.toString());
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            Map<String, RunRepository.RunRow> rows = new HashMap<>();
            store.runs("shares-1").forEach(row -> rows.put(row.task(), row));
            assertThat(rows.get("q").status().state()).as(r.out() + r.err()).isEqualTo(RunState.SUCCEEDED);
            for (int i = 1; i <= 4; i++) {
                RunRepository.RunRow child = rows.get("q~" + i);
                assertThat(child.status().state()).as(child.status().detail()).isEqualTo(RunState.LIMITED);
                assertThat(child.status().detail()).contains("max_tokens").contains("share of its parent's budget");
                RunEvent.RunStarted started = (RunEvent.RunStarted) store.read(child.runId()).getFirst().event();
                assertThat(started.capTokens()).as("2% of what the manager had left").isPositive().isLessThan(300);
            }
            RunEvent.ChildrenFinished in = store.read("shares-1:q").stream().map(JournalRecord::event)
                    .filter(RunEvent.ChildrenFinished.class::isInstance).map(RunEvent.ChildrenFinished.class::cast)
                    .findFirst().orElseThrow();
            assertThat(in.failed()).isEqualTo(4);
            JsonNode result = JSON.readTree(in.result());
            assertThat(result.path("by_state").path("limited").asInt()).isEqualTo(4);
            assertThat(result.path("results").get(0).path("output").asText()).contains("max_tokens");
        }
    }

    /** Runs matching {@code where}, read from the journal another process writes; 0 until it exists or while busy. */
    private static long count(Path db, String where) throws Exception {
        if (!Files.exists(db)) {
            return 0;
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db + "?open_mode=1");
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM runs WHERE " + where)) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (java.sql.SQLException e) {
            return 0;
        }
    }

    @Test
    void mapReduceReducesEveryResultLevelByLevelIntoOneReport() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 1; i <= 230; i++) {
            jsonl.append("{\"id\": \"doc-").append(i).append("\", \"input\": \"document ").append(i).append(" says ").append(i * 7)
                    .append("\"}\n");
        }
        Files.writeString(dir.resolve("docs.jsonl"), jsonl);
        Path fleet = dir.resolve("mr.yaml");
        Files.writeString(fleet, """
                fleet: mr
                model: {sim: {scenario: team}}
                concurrency: 16
                agents:
                  summariser: {instructions: Summarise the document.}
                  editor: {instructions: Combine the summaries.}
                reduce: {agent: editor, batch: 100}
                tasks: docs.jsonl
                """);
        Path data = dir.resolve("data");
        Cli.Result r = Cli.run("run", fleet.toString(), "--data", data.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("result    succeeded: the reduction of every task's result is run mr-1:reduce");
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            Map<String, RunRepository.RunRow> rows = new HashMap<>();
            store.runs("mr-1").forEach(row -> rows.put(row.task(), row));
            // 230 documents, three reducers of at most 100 at level 1, then the final one.
            assertThat(rows.keySet()).contains("reduce-1-1", "reduce-1-2", "reduce-1-3", "reduce").doesNotContain("reduce-1-4", "reduce-2-1");
            assertThat(rows).hasSize(234);
            Map<String, Integer> seen = new HashMap<>();
            for (String reducer : List.of("reduce-1-1", "reduce-1-2", "reduce-1-3")) {
                RunEvent.RunStarted started = (RunEvent.RunStarted) store.read("mr-1:" + reducer).getFirst().event();
                assertThat(started.agent()).isEqualTo("editor");
                JSON.readTree(started.input()).path("results").forEach(x -> {
                    seen.merge(x.path("task").asText(), 1, Integer::sum);
                    assertThat(x.path("output").asText()).as("the whole answer of the map run").contains("document");
                });
            }
            assertThat(seen).as("every document reduced once").hasSize(230).allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
            String report = rows.get("reduce").status().detail();
            assertThat(report).contains("combining 3 map results").contains("[reduce-1-1]").contains("[reduce-1-3]");
        }
    }

    @Test
    void aHandoffGivesTheConversationToTheReceiverWhoseToolsAndPolicyApply() throws Exception {
        Path fleet = dir.resolve("desk.yaml");
        Files.writeString(fleet, """
                fleet: desk
                model: {sim: {scenario: team, tool_calls: 2}}
                policy:
                  - {id: billing-reads-only, effect: deny, agent: billing, tool: fs.write}
                  - {id: rest, effect: allow, tool: "*"}
                agents:
                  triage:
                    instructions: Route the ticket.
                    handoffs: [billing]
                  billing:
                    instructions: Settle billing questions.
                    tools: [fs.write]
                tasks:
                  - {id: t1, agent: triage, input: "I was charged twice"}
                """);
        Path data = dir.resolve("data");
        Cli.Result r = Cli.run("run", fleet.toString(), "--data", data.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        try (SqliteStore store = SqliteStore.open(data.resolve("myriad.db"))) {
            List<RunEvent> events = store.read("desk-1:t1").stream().map(JournalRecord::event).toList();
            RunEvent.HandedOff handoff = events.stream().filter(RunEvent.HandedOff.class::isInstance)
                    .map(RunEvent.HandedOff.class::cast).findFirst().orElseThrow();
            assertThat(handoff.from()).isEqualTo("triage");
            assertThat(handoff.to()).isEqualTo("billing");
            // After the handoff the model is offered billing's tools, and billing's policy refuses the write.
            RunEvent.ToolCallRejected refused = events.stream().filter(RunEvent.ToolCallRejected.class::isInstance)
                    .map(RunEvent.ToolCallRejected.class::cast).findFirst().orElseThrow();
            assertThat(refused.reason()).contains("billing-reads-only");
            assertThat(events.getLast()).isInstanceOf(RunEvent.RunSucceeded.class);
            assertThat(((RunEvent.RunSucceeded) events.getLast()).output()).contains("after a handoff");
            Cli.Result shown = Cli.run("runs", "show", "desk-1:t1", "--data", data.toString());
            assertThat(shown.out()).contains("HANDED OFF from triage to billing");
        }
    }
}
