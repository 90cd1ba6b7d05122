package io.myriad.core.run;

import static io.myriad.core.run.RunLoopTest.REQUIRED_ONLY;
import static io.myriad.core.run.RunLoopTest.callThenAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.budget.BudgetLedger;
import io.myriad.core.budget.Ceilings;
import io.myriad.core.budget.Level;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.tool.Effect;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs that end as budget_exhausted: tenant dollars, run tool calls; what was journaled stays under the ceiling. */
class RunLoopBudgetTest {
    @TempDir
    Path workspaces;

    final InMemoryJournal journal = new InMemoryJournal();
    final AtomicLong now = new AtomicLong(1_000_000);
    final List<BudgetLedger.Warning> warnings = new CopyOnWriteArrayList<>();
    final BudgetLedger ledger = BudgetLedger.create(warnings::add);
    final List<ModelRequest> requests = new CopyOnWriteArrayList<>();

    RunLoop loop() {
        return RunLoop.builder().journal(journal).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                .clock(() -> Instant.ofEpochMilli(now.addAndGet(5))).sleeper(d -> { }).budgets(ledger).build();
    }

    AgentRuntime looping(Limits limits, RunLoopTest.CountingTool tool) {
        var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT, List.of(tool.name), limits, null, 0, null);
        var model = new RunLoopTest.ScriptedModel(r -> {
            requests.add(r);
            return callThenAnswer(tool.name, 1_000_000).apply(r);
        });
        return AgentRuntime.bind(spec, model, "scripted", new ModelSpec.Pricing(1, 2), List.of(tool));
    }

    static Limits loose() {
        return new Limits(10_000, 100_000_000, Duration.ofHours(1), 1_000_000, 1_000_000);
    }

    RunFold run(String task, AgentRuntime agent) {
        return loop().start("f-1:" + task, new RunEvent.RunStarted(now.get(), "f", "f-1", task, "a", "loop", "scripted"),
                agent, () -> false);
    }

    @Test
    void aTenantCeilingEndsItsRunsWithAReportAndTheJournaledSpendStaysUnderIt() {
        double ceiling = 0.01;
        ledger.tenant("acme", new Ceilings(OptionalLong.empty(), OptionalDouble.of(ceiling), OptionalLong.empty(),
                OptionalLong.empty(), Optional.empty(), 0.5));
        ledger.execution("acme", "f-1", Ceilings.NONE, now.get());
        var tool = new RunLoopTest.CountingTool("count", Effect.READ_ONLY);
        RunFold first = run("t1", looping(loose(), tool));
        RunFold second = run("t2", looping(loose(), tool));

        for (RunFold fold : List.of(first, second)) {
            assertThat(fold.state()).isEqualTo(RunState.BUDGET_EXHAUSTED);
            assertThat(fold.detail()).startsWith("tenant_usd: the tenant acme usd budget is exhausted: the next call needed $")
                    .contains("(worst case)", "nothing was sent", "myriad budgets set --tenant acme --usd N");
        }
        var last = (RunEvent.RunBudgetExhausted) journal.events("f-1:t2").getLast();
        assertThat(last.scope()).isEqualTo("tenant");
        assertThat(last.resource()).isEqualTo("usd");
        assertThat(last.spent() + last.needed()).isGreaterThan(ceiling);
        double journaled = 0;
        for (String run : List.of("f-1:t1", "f-1:t2")) {
            journaled += journal.events(run).stream().filter(e -> e instanceof RunEvent.ModelResponded)
                    .mapToDouble(e -> ((RunEvent.ModelResponded) e).costUsd()).sum();
        }
        assertThat(journaled).isPositive().isLessThanOrEqualTo(ceiling);
        var tenant = ledger.snapshot("acme", Level.TENANT, "acme").orElseThrow();
        assertThat(tenant.spent().nanoUsd()).isLessThanOrEqualTo(10_000_000L);
        assertThat(tenant.reserved().nanoUsd()).isZero();
        // The second run, with a shorter conversation (a smaller worst case), fits a few calls more.
        assertThat(journal.events("f-1:t2").size()).isLessThan(journal.events("f-1:t1").size());
        // Every request under a budget carries its output bound.
        assertThat(requests).allSatisfy(r -> assertThat(r.maxOutputTokens()).isPositive());
        assertThat(warnings).extracting(BudgetLedger.Warning::level).containsExactly(Level.TENANT);
    }

    @Test
    void maxToolCallsEndsTheRunBeforeTheCallThatDoesNotFit() {
        Limits limits = new Limits(10_000, 100_000_000, Duration.ofHours(1), 1_000_000, 1_000_000,
                OptionalDouble.empty(), OptionalLong.of(3));
        var tool = new RunLoopTest.CountingTool("count", Effect.IDEMPOTENT);
        RunFold fold = run("t1", looping(limits, tool));
        assertThat(fold.state()).isEqualTo(RunState.BUDGET_EXHAUSTED);
        assertThat(tool.invocations).hasValue(3);
        assertThat(fold.detail()).startsWith("run_tool_calls: the run f-1:t1 tool_calls budget is exhausted")
                .contains("raise limits.max_tool_calls of the agent");
        // Replaying the journal gives the same final state.
        assertThat(RunFold.of(journal.events("f-1:t1")).snapshot()).isEqualTo(fold.snapshot());
    }

    @Test
    void aFleetWallCeilingStopsRunsOfAnOldExecution() {
        ledger.execution("default", "f-1", new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(),
                OptionalLong.empty(), Optional.of(Duration.ofMinutes(1)), 0.8), now.get() - 120_000);
        RunFold fold = run("t1", looping(loose(), new RunLoopTest.CountingTool("count", Effect.READ_ONLY)));
        assertThat(fold.state()).isEqualTo(RunState.BUDGET_EXHAUSTED);
        assertThat(fold.detail()).startsWith("fleet_wall: the fleet f-1 wall budget is exhausted: the next call ran for 120.0 s");
        assertThat(requests).isEmpty();
    }
}
