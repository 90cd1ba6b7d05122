package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.run.RunState;
import io.myriad.store.SqliteStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Staying in control" walkthrough on {@code examples/control-fleet.yaml}: a policy
 * denial, an approval granted from another terminal while the fleet runs, the kill switch on the
 * long job, and an audit log that verifies and records all of it.
 */
class ExampleControlIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The run's state folded from its journal (the summary row lags for states a run passes through). */
    private static RunState state(Path db, String runId) {
        try (SqliteStore s = SqliteStore.open(db)) {
            var events = s.read(runId).stream().map(io.myriad.core.journal.JournalRecord::event).toList();
            return events.isEmpty() ? RunState.NEW : io.myriad.core.run.RunFold.of(events).state();
        }
    }

    @Test
    void policyApprovalKillAndAuditOnTheExampleFleet() throws Exception {
        Path example = Path.of("..", "examples", "control-fleet.yaml").toAbsolutePath().normalize();
        String data = dir.resolve("data").toString();
        Path db = dir.resolve("data/myriad.db");
        Path log = dir.resolve("run.log");
        Process run = Cli.spawn(log, Map.of(), "run", example.toString(), "--data", data);
        try {
            await(() -> Files.exists(db) && state(db, "payouts-1:release-to-prod") == RunState.AWAITING_APPROVAL,
                    "the release to ask for approval");

            var pending = Cli.run("approvals", "ls", "--json", "--data", data);
            JsonNode list = JSON.readTree(pending.lastLine());
            assertThat(list).hasSize(1);
            assertThat(list.get(0).path("rule").asText()).isEqualTo("prod-needs-a-person");
            var approved = Cli.run("approvals", "approve", "payouts-1:release-to-prod", "--comment", "release 4.2 signed off",
                    "--data", data);
            assertThat(approved.exit()).as(approved.err()).isZero();
            await(() -> state(db, "payouts-1:release-to-prod") == RunState.SUCCEEDED, "the running fleet to go on after the approval");

            await(() -> state(db, "payouts-1:nightly-reconcile") == RunState.ACTING, "the long job to run");
            var kill = Cli.run("kill", "--fleet", "payouts", "--tenant", "acme", "--reason", "wrong ledger", "--data", data);
            assertThat(kill.exit()).as(kill.err()).isZero();
            assertThat(run.waitFor(30, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
        } finally {
            run.destroyForcibly();
        }
        assertThat(state(db, "payouts-1:quarterly-report")).isEqualTo(RunState.SUCCEEDED);
        assertThat(state(db, "payouts-1:nightly-reconcile")).isEqualTo(RunState.CANCELLED);
        assertThat(Cli.run("runs", "show", "payouts-1:peek-at-secrets", "--data", data).out())
                .contains("rejected: denied by policy rule no-secrets: path config/.env matches '**/.env'");
        assertThat(Cli.run("runs", "show", "payouts-1:release-to-prod", "--data", data).out())
                .contains("releasing payouts 4.2 to prod");
        assertThat(Cli.run("runs", "show", "payouts-1:nightly-reconcile", "--data", data).out())
                .contains("killed by local:").contains("wrong ledger");

        var budgets = Cli.run("budgets", "--tenant", "acme", "--data", data);
        assertThat(budgets.exit()).as(budgets.err()).isZero();
        assertThat(budgets.out()).contains("fleet payouts-1").contains("of 200,000 tokens");

        var verify = Cli.run("audit", "verify", "--data", data);
        assertThat(verify.exit()).as(verify.err()).isZero();
        String audit = Cli.run("audit", "export", "--data", data).out();
        assertThat(audit).contains("\"action\":\"tool.rejected\"", "\"action\":\"approval.requested\"",
                "\"action\":\"approval.granted\"", "\"action\":\"control.kill\"", "\"tenant\":\"acme\"");
    }
}
