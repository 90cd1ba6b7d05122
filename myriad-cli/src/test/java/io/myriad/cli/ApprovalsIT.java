package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.run.RunState;
import io.myriad.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approvals end to end: {@code myriad run} parks the runs whose calls need approval and exits 4;
 * {@code myriad approvals} lists and decides them; the next {@code myriad run} makes an approved
 * call exactly once (seen in an external ledger) and tells a denied one to the model. A process
 * killed right after an approved call started neither loses nor repeats it, and asks nothing again.
 */
class ApprovalsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    private Path fleet(String name, int tasks, String tool, String approvals) throws Exception {
        StringBuilder t = new StringBuilder();
        for (int i = 1; i <= tasks; i++) {
            t.append("  - {id: t").append(i).append(", input: \"settle invoice ").append(i).append("\"}\n");
        }
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                fleet: %s
                model: {sim: {scenario: tools, tool_calls: 1, seed: 3}}
                agents:
                  payer:
                    instructions: Pay the invoice.
                    tools: [%s]
                policy:
                  - {id: payments-need-a-person, effect: needs_approval, tool: "%s"}
                %s
                tasks:
                %s""".formatted(name, tool, tool, approvals, t));
        return file;
    }

    private Process spawn(String log, Path ledger, String... args) throws Exception {
        Process p = Cli.spawn(dir.resolve(log), Map.of("MYRIAD_TEST_LEDGER", ledger.toString()), args);
        processes.add(p);
        return p;
    }

    private String log(String name) throws Exception {
        return Files.readString(dir.resolve(name));
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    private List<RunEvent> journal(Path data, String runId) {
        try (SqliteStore s = SqliteStore.open(data.resolve("myriad.db"))) {
            return s.read(runId).stream().map(JournalRecord::event).toList();
        }
    }

    @Test
    void runListApproveDenyAndTheNextRunMakesTheApprovedCallOnce() throws Exception {
        Path ledger = dir.resolve("ledger.txt");
        Path data = dir.resolve("data");
        Path fleet = fleet("pay", 2, "ledger.pay", "approvals: {expire_after: 1h, max_pending: 10}");
        String[] run = {"run", fleet.toString(), "--data", data.toString()};

        Process first = spawn("run-1.log", ledger, run);
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).as(log("run-1.log")).isEqualTo(Main.EXIT_NEEDS_DECISION);
        assertThat(log("run-1.log")).contains("2 runs wait for an approval").contains("myriad approvals ls --execution pay-1");
        assertThat(lines(ledger)).as("nothing was paid before an approval").isEmpty();

        Cli.Result ls = Cli.run("approvals", "ls", "--json", "--data", data.toString());
        assertThat(ls.exit()).as(ls.err()).isZero();
        JsonNode pending = JSON.readTree(ls.lastLine());
        assertThat(pending).hasSize(2);
        assertThat(pending.get(0).path("tool").asText()).isEqualTo("ledger.pay");
        assertThat(pending.get(0).path("rule").asText()).isEqualTo("payments-need-a-person");
        String approveId = pending.get(0).path("id").asText();
        String denyId = pending.get(1).path("id").asText();

        Cli.Result show = Cli.run("approvals", "show", approveId, "--data", data.toString());
        assertThat(show.out()).contains("ledger.pay").contains("pending: myriad approvals approve|deny");
        Cli.Result ok = Cli.run("approvals", "approve", approveId, "--comment", "invoice checked", "--data", data.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("approved by ");
        // By unique prefix: the run id alone names its pending approval.
        Cli.Result no = Cli.run("approvals", "deny", denyId.substring(0, denyId.indexOf('#')), "--comment", "too expensive",
                "--data", data.toString());
        assertThat(no.exit()).as(no.err()).isZero();
        Cli.Result again = Cli.run("approvals", "deny", approveId, "--comment", "changed my mind", "--data", data.toString());
        assertThat(again.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(again.err()).contains("already decided: approved by");
        Cli.Result unknown = Cli.run("approvals", "approve", "nope", "--comment", "x", "--data", data.toString());
        assertThat(unknown.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(unknown.err()).contains("no pending approval starts with 'nope'");

        Process second = spawn("run-2.log", ledger, run);
        assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).as(log("run-2.log")).isEqualTo(Main.EXIT_OK);
        String approvedRun = approveId.substring(0, approveId.indexOf('#'));
        String deniedRun = denyId.substring(0, denyId.indexOf('#'));
        assertThat(lines(ledger).stream().filter(l -> l.startsWith("effect "))).singleElement()
                .satisfies(l -> assertThat(l).startsWith("effect ledger.pay pay-1/" + approvedRun.substring("pay-1:".length())));
        assertThat(journal(data, deniedRun).stream().filter(RunEvent.ToolCallRejected.class::isInstance)
                .map(e -> ((RunEvent.ToolCallRejected) e).reason())).singleElement()
                .satisfies(r -> assertThat(r).startsWith("denied by ").contains(": too expensive"));

        // Every decision is audited with the principal that made it.
        try (SqliteStore s = SqliteStore.open(data.resolve("myriad.db"))) {
            assertThat(s.runs("pay-1")).allSatisfy(r -> assertThat(r.status().state()).isEqualTo(RunState.SUCCEEDED));
        }
        Cli.Result audit = Cli.run("audit", "ls", "--data", data.toString(), "--limit", "100");
        assertThat(audit.out()).contains("approval.requested").contains("approval.granted").contains("approval.denied");
    }

    @Test
    void anApprovalGrantedBeforeACrashIsHonouredExactlyOnce() throws Exception {
        Path ledger = dir.resolve("ledger.txt");
        Path data = dir.resolve("data");
        Path fleet = fleet("crash", 1, "ledger.transfer", "");
        String[] run = {"run", fleet.toString(), "--data", data.toString()};

        Process first = spawn("run-1.log", ledger, run);
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).as(log("run-1.log")).isEqualTo(Main.EXIT_NEEDS_DECISION);
        Cli.Result ok = Cli.run("approvals", "approve", "crash-1:t1", "--comment", "go", "--data", data.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();

        // Killed (SIGKILL) as soon as the approved call reaches the tool.
        Process second = spawn("run-2.log", ledger, run);
        Instant deadline = Instant.now().plusSeconds(120);
        while (second.isAlive() && lines(ledger).stream().noneMatch(l -> l.startsWith("invoke ")) && Instant.now().isBefore(deadline)) {
            Thread.sleep(1);
        }
        second.destroyForcibly();
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Process third = spawn("run-3.log", ledger, run);
        assertThat(third.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(third.exitValue()).as(log("run-3.log")).isEqualTo(Main.EXIT_OK);
        assertThat(lines(ledger).stream().filter(l -> l.startsWith("effect "))).as(String.join("\n", lines(ledger)))
                .containsExactly("effect ledger.transfer crash-1/t1/m1/c0");
        List<RunEvent> events = journal(data, "crash-1:t1");
        assertThat(events.stream().filter(RunEvent.ApprovalRequested.class::isInstance)).as("asked once").hasSize(1);
        assertThat(events.stream().filter(RunEvent.ApprovalDecided.class::isInstance)).as("decided once").hasSize(1);
        assertThat(events.getLast()).isInstanceOf(RunEvent.RunSucceeded.class);
    }

    @Test
    void aFleetThatFloodsTheQueueIsThrottledAndTheOperatorIsTold() throws Exception {
        Path data = dir.resolve("data");
        Path fleet = fleet("flood", 5, "ledger.put", "approvals: {max_pending: 2}");
        String[] run = {"run", fleet.toString(), "--data", data.toString()};
        Path ledger = dir.resolve("ledger.txt");

        Process first = spawn("run-1.log", ledger, run);
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = log("run-1.log");
        assertThat(first.exitValue()).as(out).isEqualTo(Main.EXIT_NEEDS_DECISION);
        assertThat(out.lines().filter(l -> l.contains("approvals are pending in this execution (approvals.max_pending)")))
                .as(out).hasSize(1);
        assertThat(out).contains("2 runs wait for an approval; 3 more wait for a slot to ask one (approvals.max_pending 2)");
        JsonNode pending = JSON.readTree(Cli.run("approvals", "ls", "--json", "--data", data.toString()).lastLine());
        assertThat(pending).hasSize(2);

        for (JsonNode p : pending) {
            assertThat(Cli.run("approvals", "approve", p.path("id").asText(), "--comment", "ok", "--data", data.toString()).exit())
                    .isZero();
        }
        Process second = spawn("run-2.log", ledger, run);
        assertThat(second.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).as(log("run-2.log")).isEqualTo(Main.EXIT_NEEDS_DECISION);
        assertThat(log("run-2.log")).contains("2 runs wait for an approval; 1 more wait");
        assertThat(lines(ledger).stream().filter(l -> l.startsWith("effect "))).hasSize(2);
        assertThat(JSON.readTree(Cli.run("approvals", "ls", "--json", "--data", data.toString()).lastLine())).hasSize(2);
    }
}
