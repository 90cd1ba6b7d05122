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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Budget: 100 looping agents under a tenant ceiling: total spend never exceeds the ceiling
 * (admission is worst case), and another tenant's work, running at the same time, proceeds
 * normally. Then a new execution of the same tenant (a new store and ledger, as after a restart)
 * finds the spend in the journal and sends nothing; and {@code myriad budgets} reports it.
 */
class BudgetFleetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double CEILING = 0.05;

    @TempDir
    Path dir;

    private Path fleet(String name, String tenant, int tasks, int toolCalls) throws Exception {
        String lines = IntStream.rangeClosed(1, tasks)
                .mapToObj(i -> "{\"id\":\"t" + i + "\",\"input\":\"Task " + i + " of " + name + "\"}").collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve(name + ".jsonl"), lines + "\n");
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                fleet: %s
                tenant: %s
                model: {sim: {scenario: tools, tool_calls: %d, seed: 5}}
                concurrency: 100
                tasks: %s.jsonl
                agents:
                  looper:
                    instructions: List the workspace again and again.
                    tools: [fs.list]
                    max_output_tokens: 64
                    limits: {max_steps: 100000, max_tokens: 100000000, max_repeats: 100000, max_idle_steps: 100000}
                """.formatted(name, tenant, toolCalls, name));
        return file;
    }

    @Test
    void aHundredLoopingAgentsStayUnderTheirTenantCeilingWhileAnotherTenantProceeds() throws Exception {
        String data = dir.resolve("data").toString();
        Cli.Result price = Cli.run("budgets", "prices", "set", "myriad-sim", "--input", "1", "--output", "2", "--data", data);
        assertThat(price.exit()).as(price.err()).isZero();
        Cli.Result set = Cli.run("budgets", "set", "--tenant", "acme", "--usd", String.valueOf(CEILING), "--data", data);
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).contains("tenant acme: usd 0.05, warn at 80%");

        Path loopers = fleet("loopers", "acme", 100, 10_000);
        Path others = fleet("others", "beta", 30, 2);
        var a = CompletableFuture.supplyAsync(() -> Cli.run("run", loopers.toString(), "--data", data, "--json"));
        var b = CompletableFuture.supplyAsync(() -> Cli.run("run", others.toString(), "--data", data, "--json"));
        Cli.Result ra = a.join();
        Cli.Result rb = b.join();

        assertThat(rb.exit()).as(rb.err() + rb.out()).isZero();
        assertThat(JSON.readTree(rb.lastLine()).path("succeeded").asInt()).isEqualTo(30);
        assertThat(ra.exit()).as(ra.err()).isEqualTo(Main.EXIT_TASKS_FAILED);
        assertThat(ra.err()).contains("budget: tenant acme usd 0.05", "myriad: budget warning: tenant acme has used");

        try (SqliteStore store = SqliteStore.open(dir.resolve("data/myriad.db"))) {
            double spent = journaledCost(store, "loopers-1");
            assertThat(spent).as("sum of journaled costs").isPositive().isLessThanOrEqualTo(CEILING);
            assertThat(spent).as("the ceiling was nearly used up").isGreaterThan(CEILING / 2);
            List<RunRepository.RunRow> runs = store.runs("loopers-1");
            assertThat(runs).hasSize(100).allSatisfy(r -> {
                assertThat(r.status().state()).isEqualTo(RunState.BUDGET_EXHAUSTED);
                assertThat(r.status().detail()).startsWith("tenant_usd: the tenant acme usd budget is exhausted");
            });
            assertThat(store.runs("others-1")).hasSize(30)
                    .allSatisfy(r -> assertThat(r.status().state()).isEqualTo(RunState.SUCCEEDED));
            assertThat(journaledCost(store, "others-1")).isPositive();
        }

        // A new execution, with a new store and ledger: the spend comes back from the journal, so only
        // calls whose worst case fits in what is left (short conversations) go out.
        Cli.Result again = Cli.run("run", loopers.toString(), "--data", data, "--new", "--json");
        assertThat(again.exit()).as(again.err()).isEqualTo(Main.EXIT_TASKS_FAILED);
        try (SqliteStore store = SqliteStore.open(dir.resolve("data/myriad.db"))) {
            assertThat(store.runs("loopers-2")).hasSize(100)
                    .allSatisfy(r -> assertThat(r.status().state()).isEqualTo(RunState.BUDGET_EXHAUSTED));
            assertThat(journaledCost(store, "loopers-2")).isLessThan(CEILING / 10);
            assertThat(journaledCost(store, "loopers-1") + journaledCost(store, "loopers-2")).isLessThanOrEqualTo(CEILING);
            assertThat(store.spendByTenant().get("acme").usd()).isLessThanOrEqualTo(CEILING);
        }

        // runs show prints the report.
        Cli.Result show = Cli.run("runs", "show", "loopers-2:t1", "--data", data);
        assertThat(show.out()).contains("BUDGET EXHAUSTED (tenant acme, usd): the tenant acme usd budget is exhausted",
                "myriad budgets set --tenant acme --usd N");

        // myriad budgets: spend against the ceiling, per tenant and execution.
        Cli.Result table = Cli.run("budgets", "--data", data);
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).contains("tenant acme  (usd 0.05, warn at 80%)", "tenant beta  (no ceilings)",
                "fleet loopers-1", "fleet others-1", "of $0.0500", "(no ceiling)");
        Cli.Result json = Cli.run("budgets", "--tenant", "acme", "--json", "--data", data);
        JsonNode acme = JSON.readTree(json.out()).get(0);
        assertThat(acme.path("tenant").asText()).isEqualTo("acme");
        JsonNode usd = acme.path("spend").get(0);
        assertThat(usd.path("resource").asText()).isEqualTo("usd");
        assertThat(usd.path("spent").asDouble()).isPositive().isLessThanOrEqualTo(CEILING);
        assertThat(usd.path("ceiling").asDouble()).isEqualTo(CEILING);
        assertThat(usd.path("warning").asBoolean()).isTrue();
        assertThat(acme.path("executions")).hasSize(2);

        // Control actions and warnings are audited.
        Path export = dir.resolve("audit.jsonl");
        assertThat(Cli.run("audit", "export", "--data", data, "--out", export.toString()).exit()).isZero();
        String audit = Files.readString(export);
        assertThat(audit).contains("\"price.set\"", "\"budget.set\"", "\"budget.warning\"", "budget_exhausted");
    }

    private static double journaledCost(SqliteStore store, String execution) {
        double sum = 0;
        for (RunRepository.RunRow row : store.runs(execution)) {
            for (JournalRecord r : store.read(row.runId())) {
                if (r.event() instanceof RunEvent.ModelResponded m) {
                    sum += m.costUsd();
                }
            }
        }
        return sum;
    }

    @Test
    void pricesListAndSetAndBadInput() {
        String data = dir.resolve("data").toString();
        Cli.Result list = Cli.run("budgets", "prices", "--data", data);
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("myriad-sim", "gpt-4o-mini", "built-in");
        assertThat(Cli.run("budgets", "prices", "set", "gpt-4o-mini", "--input", "0.2", "--output", "0.7", "--data", data).exit()).isZero();
        Cli.Result after = Cli.run("budgets", "prices", "--json", "--data", data);
        assertThat(after.out()).contains("\"model\" : \"gpt-4o-mini\"", "\"input_per_mtok\" : 0.2", "\"overridden\" : true");
        Cli.Result negative = Cli.run("budgets", "prices", "set", "x", "--input", "-1", "--output", "1", "--data", data);
        assertThat(negative.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(negative.err()).contains("prices must not be negative");
        Cli.Result badWarn = Cli.run("budgets", "set", "--tenant", "acme", "--tokens", "5", "--warn-at", "2", "--data", data);
        assertThat(badWarn.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(badWarn.err()).contains("warn_at must be a fraction in (0, 1]");
        Cli.Result badTenant = Cli.run("budgets", "set", "--tenant", "Bad Name", "--usd", "1", "--data", data);
        assertThat(badTenant.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        Cli.Result tokens = Cli.run("budgets", "set", "--tenant", "acme", "--tokens", "1000000", "--tool-calls", "50", "--data", data);
        assertThat(tokens.out()).contains("tenant acme: tokens 1000000, tool_calls 50, warn at 80%");
        Cli.Result shown = Cli.run("budgets", "--data", data);
        assertThat(shown.out()).contains("tenant acme", "0 tokens", "of 1,000,000 tokens", "0.0%");
    }
}
