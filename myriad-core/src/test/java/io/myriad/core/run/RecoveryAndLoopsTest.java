package io.myriad.core.run;

import static io.myriad.core.run.RunLoopTest.REQUIRED_ONLY;
import static io.myriad.core.run.RunLoopTest.answer;
import static io.myriad.core.run.RunLoopTest.callThenAnswer;
import static io.myriad.core.run.RunLoopTest.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunLoopTest.CountingTool;
import io.myriad.core.run.RunLoopTest.ScriptedModel;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Reconciliation;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-doubt calls (reconcile, human decisions), loop detection, fallback models, pausing. */
class RecoveryAndLoopsTest {
    @TempDir
    Path workspaces;

    final AtomicLong now = new AtomicLong(1_000_000);
    final InstantSource clock = () -> Instant.ofEpochMilli(now.get());

    RunLoop loop(Journal journal) {
        return RunLoop.builder().journal(journal).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                .clock(clock).sleeper(d -> now.addAndGet(d.toMillis())).random(new java.util.Random(7)).build();
    }

    static AgentRuntime agent(ScriptedModel model, Limits limits, Tool... tools) {
        var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT,
                java.util.Arrays.stream(tools).map(Tool::name).toList(), limits, null, 0, null);
        return AgentRuntime.bind(spec, model, "primary", new ModelSpec.Pricing(1, 1), List.of(tools));
    }

    static RunEvent.RunStarted started() {
        return new RunEvent.RunStarted(1_000_000, "f", "f-1", "t1", "a", "do the thing", "primary");
    }

    /** A tool that can reconcile: it answers what the test tells it to. */
    static class ReconcilingTool extends CountingToolBase {
        Reconciliation answer;
        final List<String> askedKeys = new ArrayList<>();

        ReconcilingTool(Reconciliation answer) {
            super("pay", Effect.IRREVERSIBLE);
            this.answer = answer;
        }

        @Override
        public Reconciliation reconcile(JsonNode arguments, ToolContext context) {
            askedKeys.add(context.idempotencyKey());
            return answer;
        }
    }

    /** Like RunLoopTest.CountingTool, but open for subclasses. */
    static class CountingToolBase implements Tool {
        final CountingTool inner;

        CountingToolBase(String name, Effect effect) {
            inner = new CountingTool(name, effect);
        }

        @Override
        public io.myriad.core.model.ToolDefinition definition() {
            return inner.definition();
        }

        @Override
        public Effect effect() {
            return inner.effect();
        }

        @Override
        public ToolResult invoke(JsonNode arguments, ToolContext context) {
            return inner.invoke(arguments, context);
        }
    }

    /** The journal of a run that crashed while its (only) irreversible call ran: everything up to the intent. */
    InMemoryJournal crashedDuringCall() {
        var first = new InMemoryJournal();
        loop(first).start("f-1:t1", started(), agent(new ScriptedModel(callThenAnswer("pay", 1)), Limits.DEFAULT,
                new CountingTool("pay", Effect.IRREVERSIBLE)), () -> false);
        List<RunEvent> full = first.events("f-1:t1");
        int intent = 0;
        while (!(full.get(intent) instanceof RunEvent.ToolCallStarted)) {
            intent++;
        }
        List<RunEvent> prefix = full.subList(0, intent + 1);
        var j = new InMemoryJournal();
        j.append(new Journal.Append("f-1:t1", 0, prefix, RunFold.of(prefix).status())).join();
        return j;
    }

    RunFold resume(InMemoryJournal j, Tool tool) {
        return loop(j).drive("f-1:t1", RunFold.of(j.events("f-1:t1")), agent(new ScriptedModel(callThenAnswer("pay", 1)),
                Limits.DEFAULT, tool), () -> false);
    }

    @Test
    void anIrreversibleCallInDoubtWaitsForAPersonAndIsNeverRetriedSilently() {
        var j = crashedDuringCall();
        var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
        RunFold fold = resume(j, tool);
        assertThat(fold.state()).isEqualTo(RunState.IN_DOUBT);
        assertThat(tool.invocations).hasValue(0);
        RunEvent last = j.events("f-1:t1").getLast();
        assertThat(last).isInstanceOfSatisfying(RunEvent.ToolCallInDoubt.class, e -> {
            assertThat(e.idempotencyKey()).isEqualTo("f-1/t1/m1/c0");
            assertThat(e.reason()).contains("myriad runs resolve");
        });
        // Driving it again changes nothing: it still waits, nothing is invoked, nothing journaled.
        int size = j.events("f-1:t1").size();
        assertThat(resume(j, tool).state()).isEqualTo(RunState.IN_DOUBT);
        assertThat(j.events("f-1:t1")).hasSize(size);
        assertThat(tool.invocations).hasValue(0);
    }

    @Test
    void aPersonSaysTheCallHappenedAndTheRunGoesOnWithThatResult() {
        var j = crashedDuringCall();
        var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
        resume(j, tool);
        Decisions.resolve(j, clock, "f-1:t1", null, "done", "paid 42 EUR, receipt 7", "alice", "checked the bank");
        RunFold fold = resume(j, tool);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(tool.invocations).hasValue(0);
        assertThat(fold.conversation()).contains(new Message.ToolResult("call_1", "paid 42 EUR, receipt 7"));
        assertThat(j.events("f-1:t1")).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(RunEvent.ToolCallResolved.class,
                r -> assertThat(r.by()).isEqualTo("human:alice")));
    }

    @Test
    void aPersonClearsARetryAndTheCallRunsOnceWithTheSameKey() {
        var j = crashedDuringCall();
        var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
        resume(j, tool);
        Decisions.resolve(j, clock, "f-1:t1", "call_1", "retry", null, "bob", "");
        RunFold fold = resume(j, tool);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(tool.invocations).hasValue(1);
        assertThat(tool.keys).containsExactly("f-1/t1/m1/c0");
    }

    @Test
    void aClearedCallThatCrashesAgainIsInDoubtAgainNotInvokedAThirdTime() {
        var j = crashedDuringCall();
        resume(j, new CountingTool("pay", Effect.IRREVERSIBLE));
        Decisions.resolve(j, clock, "f-1:t1", null, "retry", null, "bob", "");
        var dying = new CountingToolBase("pay", Effect.IRREVERSIBLE) {
            @Override
            public ToolResult invoke(JsonNode arguments, ToolContext context) {
                throw new OutOfMemoryError("the process dies during the cleared attempt");
            }
        };
        assertThatThrownBy(() -> resume(j, dying)).isInstanceOf(OutOfMemoryError.class);
        // The cleared attempt journaled its intent before it ran.
        assertThat(j.events("f-1:t1").getLast()).isInstanceOf(RunEvent.ToolCallStarted.class);
        var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
        assertThat(resume(j, tool).state()).isEqualTo(RunState.IN_DOUBT);
        assertThat(tool.invocations).hasValue(0);
    }

    @Test
    void aPersonFailsTheRun() {
        var j = crashedDuringCall();
        var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
        resume(j, tool);
        RunFold fold = Decisions.resolve(j, clock, "f-1:t1", null, "fail", null, "carol", "cannot tell");
        assertThat(fold.state()).isEqualTo(RunState.FAILED);
        assertThat(fold.detail()).startsWith("in_doubt").contains("carol").contains("cannot tell");
        assertThat(RunFold.of(j.events("f-1:t1")).state()).isEqualTo(RunState.FAILED);
        assertThat(tool.invocations).hasValue(0);
    }

    @Test
    void decisionsAreRefusedWhenTheyDoNotBindToTheCallInDoubt() {
        var j = crashedDuringCall();
        var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
        // Not in doubt yet (nobody resumed it): refused.
        assertThatThrownBy(() -> Decisions.resolve(j, clock, "f-1:t1", null, "retry", null, "x", ""))
                .isInstanceOf(Decisions.RefusedException.class).hasMessageContaining("not waiting");
        resume(j, tool);
        assertThatThrownBy(() -> Decisions.resolve(j, clock, "f-1:t1", "call_9", "retry", null, "x", ""))
                .isInstanceOf(Decisions.RefusedException.class).hasMessageContaining("call_1");
        assertThatThrownBy(() -> Decisions.resolve(j, clock, "f-1:t1", null, "done", " ", "x", ""))
                .isInstanceOf(Decisions.RefusedException.class).hasMessageContaining("result");
        assertThatThrownBy(() -> Decisions.resolve(j, clock, "nope", null, "retry", null, "x", ""))
                .isInstanceOf(Decisions.RefusedException.class);
        Decisions.resolve(j, clock, "f-1:t1", null, "retry", null, "x", "");
        // A second decision on the same call is refused: the first one bound it.
        assertThatThrownBy(() -> Decisions.resolve(j, clock, "f-1:t1", null, "done", "r", "y", ""))
                .isInstanceOf(Decisions.RefusedException.class);
        // A stale fold cannot append a decision either: the journal fences it.
        assertThat(resume(j, tool).state()).isEqualTo(RunState.SUCCEEDED);
    }

    @Test
    void aToolThatFindsTheEffectSettlesTheCallWithoutInvokingIt() {
        var j = crashedDuringCall();
        var tool = new ReconcilingTool(new Reconciliation.Done(ToolResult.ok("already paid, receipt 7")));
        RunFold fold = resume(j, tool);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(tool.inner.invocations).hasValue(0);
        assertThat(tool.askedKeys).containsExactly("f-1/t1/m1/c0");
        assertThat(fold.conversation()).contains(new Message.ToolResult("call_1", "already paid, receipt 7"));
        assertThat(j.events("f-1:t1")).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(RunEvent.ToolCallResolved.class,
                r -> assertThat(r.by()).isEqualTo("reconcile")));
    }

    @Test
    void aToolThatFindsNoEffectIsInvokedOnceMore() {
        var j = crashedDuringCall();
        var tool = new ReconcilingTool(new Reconciliation.NotDone("no ledger line for the key"));
        RunFold fold = resume(j, tool);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(tool.inner.invocations).hasValue(1);
        assertThat(tool.inner.keys).containsExactly("f-1/t1/m1/c0");
    }

    @Test
    void aToolThatCannotTellOrCrashesWhileReconcilingLeavesTheRunInDoubt() {
        var j = crashedDuringCall();
        var tool = new ReconcilingTool(new Reconciliation.Unknown("the bank is down"));
        assertThat(resume(j, tool).state()).isEqualTo(RunState.IN_DOUBT);
        assertThat(RunFold.of(j.events("f-1:t1")).detail()).contains("the bank is down");

        var k = crashedDuringCall();
        var crashing = new ReconcilingTool(null) {
            @Override
            public Reconciliation reconcile(JsonNode arguments, ToolContext context) {
                throw new IllegalStateException("boom");
            }
        };
        assertThat(resume(k, crashing).state()).isEqualTo(RunState.IN_DOUBT);
        assertThat(crashing.inner.invocations).hasValue(0);
    }

    @Test
    void theSameCallAnsweredTheSameWayEndsTheRunAsStuckBeforeItIsMadeAgain() {
        var tool = new CountingTool("look", Effect.IDEMPOTENT);
        var model = new ScriptedModel(req -> toolCall("look", "{\"n\":1}"));
        var j = new InMemoryJournal();
        RunFold fold = loop(j).start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.STUCK);
        assertThat(fold.detail()).startsWith("repeated_call").contains("look");
        assertThat(tool.invocations).hasValue(Limits.DEFAULT_MAX_REPEATS);
        assertThat(model.requests).hasSize(Limits.DEFAULT_MAX_REPEATS + 1);
    }

    @Test
    void theSameCallWithChangingResultsIsNotALoop() {
        // Running the tests again after each edit is progress when the results change.
        AtomicInteger counter = new AtomicInteger();
        var tool = new CountingToolBase("test", Effect.READ_ONLY) {
            @Override
            public ToolResult invoke(JsonNode arguments, ToolContext context) {
                return ToolResult.ok("failures: " + (10 - counter.incrementAndGet()));
            }
        };
        var model = new ScriptedModel(req -> req.messages().size() < 14 ? toolCall("test", "{\"n\":0}") : answer("fixed"));
        RunFold fold = loop(new InMemoryJournal()).start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(counter.get()).isGreaterThan(Limits.DEFAULT_MAX_REPEATS);
    }

    @Test
    void responsesThatMakeNoProgressEndTheRunAsStuck() {
        // Always a different unknown tool: never a repeat, never a success.
        AtomicInteger n = new AtomicInteger();
        var model = new ScriptedModel(req -> toolCall("nope" + n.incrementAndGet(), "{}"));
        var limits = new Limits(1_000, 10_000_000, Duration.ofHours(1), 3, 5);
        RunFold fold = loop(new InMemoryJournal()).start("f-1:t1", started(),
                agent(model, limits, new CountingTool("count", Effect.READ_ONLY)), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.STUCK);
        assertThat(fold.detail()).startsWith("no_progress");
        assertThat(model.requests).hasSize(5);
    }

    @Test
    void whenThePrimaryModelIsSpentTheFallbackAnswers() {
        var primary = new ScriptedModel(req -> {
            throw new ModelException(ModelException.Kind.SERVER_ERROR, "HTTP 503");
        });
        var fallback = new ScriptedModel(req -> new ModelResponse(new Message.Assistant("from fallback", List.of()),
                new Usage(1_000_000, 0), "stop", ""));
        var j = new InMemoryJournal();
        AgentRuntime agent = agent(primary, Limits.DEFAULT)
                .withFallback(new AgentRuntime.Model(fallback, "backup-model", new ModelSpec.Pricing(2, 0)));
        RunFold fold = loop(j).start("f-1:t1", started(), agent, () -> false);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(fold.detail()).isEqualTo("from fallback");
        assertThat(primary.requests).hasSize(RunLoop.RetryPolicy.DEFAULT.maxAttempts());
        assertThat(fallback.requests).hasSize(1).allSatisfy(r -> {
            assertThat(r.model()).isEqualTo("backup-model");
            assertThat(r.attempt()).isEqualTo(1);
        });
        // Priced as the fallback model, named in the journal, the switch visible as a retry.
        assertThat(fold.costUsd()).isEqualTo(2.0);
        List<RunEvent> events = j.events("f-1:t1");
        assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(RunEvent.ModelResponded.class,
                r -> assertThat(r.model()).isEqualTo("backup-model")));
        assertThat(events.stream().filter(e -> e instanceof RunEvent.ModelRetried r && r.fallback()).count()).isEqualTo(1);
        // Replaying the journal rebuilds the same state.
        assertThat(RunFold.of(events).snapshot()).isEqualTo(fold.snapshot());
    }

    @Test
    void aRefusedRequestFallsBackAtOnceAndWhenBothAreSpentTheErrorSaysSo() {
        AtomicInteger primaryCalls = new AtomicInteger();
        var primary = new ScriptedModel(req -> {
            primaryCalls.incrementAndGet();
            throw new ModelException(ModelException.Kind.REJECTED, "HTTP 401: bad key");
        });
        var fallback = new ScriptedModel(req -> {
            throw new ModelException(ModelException.Kind.TIMEOUT, "no answer in 60 s");
        });
        AgentRuntime agent = agent(primary, Limits.DEFAULT)
                .withFallback(new AgentRuntime.Model(fallback, "backup-model", ModelSpec.Pricing.FREE));
        RunFold fold = loop(new InMemoryJournal()).start("f-1:t1", started(), agent, () -> false);
        assertThat(primaryCalls).hasValue(1);
        assertThat(fallback.requests).hasSize(RunLoop.RetryPolicy.DEFAULT.maxAttempts());
        assertThat(fold.state()).isEqualTo(RunState.FAILED);
        assertThat(fold.detail()).startsWith("model_timeout").contains("fallback model included");
    }

    @Test
    void retriesCountAgainstTheStepLimit() {
        var model = new ScriptedModel(req -> {
            throw new ModelException(ModelException.Kind.RATE_LIMITED, "slow down", 10, null);
        });
        RunLoop patient = RunLoop.builder().journal(new InMemoryJournal()).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                .clock(clock).sleeper(d -> { }).retry(new RunLoop.RetryPolicy(100, Duration.ofMillis(1), Duration.ofMillis(5))).build();
        RunFold fold = patient.start("f-1:t1", started(), agent(model, new Limits(6, 1_000_000, Duration.ofHours(1))), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.LIMITED);
        assertThat(fold.detail()).startsWith("max_steps");
        assertThat(model.requests).hasSize(6);
    }

    @Test
    void readOnlyParallelCallsOfOneResponseRunTogetherAndAreJournaledInCallOrder() {
        // Each invocation waits until all three are running: one at a time, the first would give up.
        java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(3);
        var tool = new CountingToolBase("look", Effect.READ_ONLY) {
            @Override
            public boolean parallel() {
                return true;
            }

            @Override
            public ToolResult invoke(JsonNode arguments, ToolContext context) {
                together.countDown();
                try {
                    boolean all = together.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    return ToolResult.ok((all ? "together " : "alone ") + arguments.get("n").asInt());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ToolResult.error("interrupted");
                }
            }
        };
        AtomicInteger responses = new AtomicInteger();
        var model = new ScriptedModel(req -> responses.getAndIncrement() == 0
                ? new ModelResponse(new Message.Assistant("", List.of(new ToolCall("a", "look", "{\"n\":1}"),
                        new ToolCall("b", "look", "{\"n\":2}"), new ToolCall("c", "look", "{\"n\":3}"))), new Usage(10, 10), "tool_calls", "m")
                : answer("seen"));
        var j = new InMemoryJournal();
        RunFold fold = loop(j).start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        List<Message.ToolResult> results = fold.conversation().stream()
                .filter(m -> m instanceof Message.ToolResult).map(m -> (Message.ToolResult) m).toList();
        assertThat(results).extracting(Message.ToolResult::content).containsExactly("together 1", "together 2", "together 3");
        assertThat(results).extracting(Message.ToolResult::toolCallId).containsExactly("a", "b", "c");
        assertThat(RunFold.of(j.events("f-1:t1")).snapshot()).isEqualTo(fold.snapshot());
    }

    @Test
    void aPausedRunStopsAtAStepBoundaryAndJournalsNothingUntilItIsInterrupted() {
        var tool = new CountingTool("count", Effect.IDEMPOTENT);
        var j = new InMemoryJournal();
        RunLoop loop = loop(j);
        RunFold fold = new RunFold();
        loop.start("f-1:t1", started(), fold);
        AgentRuntime agent = agent(new ScriptedModel(callThenAnswer("count", 2)), Limits.DEFAULT, tool);
        assertThat(loop.next("f-1:t1", fold, agent, () -> false, () -> true)).isEqualTo(RunLoop.Next.PAUSED);
        assertThat(j.events("f-1:t1")).hasSize(1);
        loop.interrupt("f-1:t1", fold, "shutting down");
        assertThat(fold.state()).isEqualTo(RunState.AWAITING_MODEL);
        assertThat(fold.interruptions()).isEqualTo(1);
        // And it resumes from there.
        RunFold resumed = loop.drive("f-1:t1", RunFold.of(j.events("f-1:t1")), agent, () -> false);
        assertThat(resumed.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(tool.invocations).hasValue(2);
    }

}
