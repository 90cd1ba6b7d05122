package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.Limits;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.policy.Decision;
import io.myriad.core.policy.Policy;
import io.myriad.core.policy.Rule;
import io.myriad.core.tool.Effect;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A call that needs approval: the durable wait, approval exactly once, denial, expiry, binding, throttling. */
class ApprovalsTest {
    private static final String RUN = "f-1:t1";

    @TempDir
    Path workspaces;

    final InMemoryJournal journal = new InMemoryJournal();
    final AtomicLong now = new AtomicLong(1_000_000);
    final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    final RunLoopTest.CountingTool pay = new RunLoopTest.CountingTool("pay", Effect.IRREVERSIBLE);
    final RunLoopTest.ScriptedModel model = new RunLoopTest.ScriptedModel(RunLoopTest.callThenAnswer("pay", 1));

    RunLoop loop() {
        return RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(workspaces)
                .clock(clock).sleeper(d -> { }).random(new java.util.Random(7)).build();
    }

    AgentRuntime agent() {
        var spec = new io.myriad.core.fleet.AgentSpec("a", "be useful", io.myriad.core.fleet.ModelSpec.Simulated.DEFAULT,
                List.of("pay"), Limits.DEFAULT, null, 0, null);
        return AgentRuntime.bind(spec, model, "scripted", io.myriad.core.fleet.ModelSpec.Pricing.FREE, List.of(pay))
                .withPolicy(Policy.of(List.of(Rule.of("big-payments", Decision.Effect.NEEDS_APPROVAL, "pay", List.of()))));
    }

    RunFold startAndWait() {
        RunFold fold = loop().start(RUN, new RunEvent.RunStarted(now.get(), "f", "f-1", "t1", "a", "pay", "scripted"), agent(),
                () -> false);
        assertThat(fold.state()).isEqualTo(RunState.AWAITING_APPROVAL);
        assertThat(pay.invocations).hasValue(0);
        return fold;
    }

    RunFold resume() {
        return loop().drive(RUN, RunFold.of(journal.events(RUN)), agent(), () -> false);
    }

    <T extends RunEvent> List<T> events(Class<T> type) {
        return journal.events(RUN).stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void anApprovedCallIsMadeExactlyOnceWithItsKeyAndRule() {
        RunFold waiting = startAndWait();
        RunEvent.ApprovalRequested request = waiting.awaitingApproval().orElseThrow();
        assertThat(request.rule()).isEqualTo("big-payments");
        assertThat(request.expiresAt()).isEqualTo(now.get() + Duration.ofHours(24).toMillis());
        assertThat(resume().state()).as("nothing moves before a decision").isEqualTo(RunState.AWAITING_APPROVAL);

        var outcome = Approvals.decide(journal, clock, RUN, request.callId(), true, "key:k_1", "fine");
        assertThat(outcome.expired()).isFalse();
        RunFold done = resume();

        assertThat(done.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(pay.invocations).hasValue(1);
        assertThat(pay.keys).containsExactly(request.idempotencyKey());
        assertThat(events(RunEvent.ToolCallStarted.class)).singleElement()
                .satisfies(s -> assertThat(s.rule()).isEqualTo("big-payments"));
        assertThat(events(RunEvent.ApprovalRequested.class)).hasSize(1);
        resume();
        assertThat(pay.invocations).hasValue(1);
        assertThat(RunFold.of(journal.events(RUN)).snapshot()).isEqualTo(done.snapshot());
    }

    @Test
    void aDeniedCallIsRejectedWithWhoAndWhyAndTheRunGoesOn() {
        RunFold waiting = startAndWait();
        Approvals.decide(journal, clock, RUN, waiting.awaitingApproval().orElseThrow().callId(), false, "key:k_1",
                "too expensive");
        RunFold done = resume();

        assertThat(done.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(pay.invocations).hasValue(0);
        assertThat(events(RunEvent.ToolCallRejected.class)).singleElement()
                .satisfies(r -> assertThat(r.reason()).startsWith("denied by key:k_1: too expensive"));
    }

    @Test
    void anExpiredApprovalIsADenialEvenWhenTheApprovalArrivesLate() {
        RunFold waiting = startAndWait();
        String callId = waiting.awaitingApproval().orElseThrow().callId();
        now.addAndGet(Duration.ofHours(24).toMillis());

        var outcome = Approvals.decide(journal, clock, RUN, callId, true, "key:k_1", "sorry, was away");
        assertThat(outcome.expired()).isTrue();
        assertThat(outcome.decided().approved()).isFalse();
        assertThat(outcome.decided().by()).isEqualTo("expiry");
        RunFold done = resume();

        assertThat(pay.invocations).hasValue(0);
        assertThat(done.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(events(RunEvent.ToolCallRejected.class)).singleElement()
                .satisfies(r -> assertThat(r.reason()).startsWith("approval expired after 24h: denied"));
        assertThat(events(RunEvent.ApprovalDecided.class)).singleElement()
                .satisfies(d -> assertThat(d.approved()).isFalse());
    }

    @Test
    void theRunLoopItselfExpiresAnApprovalNobodyDecided() {
        startAndWait();
        now.addAndGet(Duration.ofHours(24).toMillis() - 1);
        assertThat(resume().state()).isEqualTo(RunState.AWAITING_APPROVAL);
        now.incrementAndGet();
        RunFold done = resume();

        assertThat(done.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(pay.invocations).hasValue(0);
        assertThat(events(RunEvent.ApprovalDecided.class)).singleElement()
                .satisfies(d -> assertThat(d.by()).isEqualTo("expiry"));
        assertThatThrownBy(() -> new RunEvent.ApprovalDecided(1, "c", "k", true, "expiry", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDecisionBindsToItsCallAndKeyAndIsMadeOnce() {
        RunFold waiting = startAndWait();
        RunEvent.ApprovalRequested request = waiting.awaitingApproval().orElseThrow();

        assertThatThrownBy(() -> Approvals.decide(journal, clock, RUN, "call_other", true, "key:k_1", ""))
                .isInstanceOf(Approvals.RefusedException.class).hasMessageContaining("not call_other");
        // A decision carrying another key cannot be folded: it could approve a different call.
        RunFold fold = RunFold.of(journal.events(RUN));
        assertThatThrownBy(() -> fold.apply(new RunEvent.ApprovalDecided(now.get(), request.callId(), "f-1/t1/m9/c0", true,
                "key:k_1", ""))).isInstanceOf(IllegalTransitionException.class);
        assertThat(fold.state()).isEqualTo(RunState.AWAITING_APPROVAL);

        Approvals.decide(journal, clock, RUN, request.callId(), true, "key:k_1", "ok");
        assertThatThrownBy(() -> Approvals.decide(journal, clock, RUN, request.callId(), false, "key:k_2", "no"))
                .isInstanceOf(Approvals.RefusedException.class).hasMessageContaining("not waiting for an approval");
        assertThatThrownBy(() -> Approvals.decide(journal, clock, "f-1:nope", "c", true, "key:k_1", ""))
                .isInstanceOf(Approvals.RefusedException.class).hasMessageContaining("no run");
        assertThat(events(RunEvent.ApprovalDecided.class)).hasSize(1);
    }

    @Test
    void aCrashAfterTheApprovalNeitherLosesNorRepeatsIt() {
        RunFold waiting = startAndWait();
        Approvals.decide(journal, clock, RUN, waiting.awaitingApproval().orElseThrow().callId(), true, "key:k_1", "ok");
        // The process died right after the decision was journaled: the next start makes the call once, asks nothing.
        RunFold done = resume();
        assertThat(done.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(pay.invocations).hasValue(1);
        assertThat(events(RunEvent.ApprovalRequested.class)).hasSize(1);

        // Every crash point after the decision: replaying the journal up to it never asks again
        // and makes the call at most once in all.
        List<RunEvent> full = journal.events(RUN);
        int decided = full.indexOf(events(RunEvent.ApprovalDecided.class).getFirst());
        int started = full.indexOf(events(RunEvent.ToolCallStarted.class).getFirst());
        for (int cut = decided + 1; cut <= started; cut++) {
            var j = new InMemoryJournal();
            List<RunEvent> prefix = full.subList(0, cut);
            j.append(new Journal.Append(RUN, 0, prefix, RunFold.of(prefix).status())).join();
            var tool = new RunLoopTest.CountingTool("pay", Effect.IRREVERSIBLE);
            var spec = new io.myriad.core.fleet.AgentSpec("a", "be useful", io.myriad.core.fleet.ModelSpec.Simulated.DEFAULT,
                    List.of("pay"), Limits.DEFAULT, null, 0, null);
            var agent = AgentRuntime.bind(spec, model, "scripted", io.myriad.core.fleet.ModelSpec.Pricing.FREE, List.of(tool))
                    .withPolicy(agent().policy());
            RunFold f = RunLoop.builder().journal(j).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(workspaces)
                    .clock(clock).build().drive(RUN, RunFold.of(prefix), agent, () -> false);
            boolean intentJournaled = cut > started;
            if (intentJournaled) {
                // Started, not settled, irreversible, no reconcile: in doubt, never invoked blindly.
                assertThat(f.state()).isEqualTo(RunState.IN_DOUBT);
                assertThat(tool.invocations).hasValue(0);
            } else {
                assertThat(f.state()).isEqualTo(RunState.SUCCEEDED);
                assertThat(tool.invocations).hasValue(1);
            }
            assertThat(j.events(RUN).stream().filter(RunEvent.ApprovalRequested.class::isInstance)).hasSize(1);
        }
    }

    @Test
    void aFullQueueJournalsNoRequestAndTheRunTriesAgainLater() {
        RunFold fold = new RunFold();
        RunLoop loop = loop();
        loop.start(RUN, new RunEvent.RunStarted(now.get(), "f", "f-1", "t1", "a", "pay", "scripted"), fold);
        var full = new ApprovalGate() {
            boolean room;

            @Override
            public Duration expireAfter() {
                return Duration.ofMinutes(90);
            }

            @Override
            public boolean tryReserve(String runId) {
                return room;
            }
        };
        assertThat(loop.next(RUN, fold, agent(), () -> false, () -> false, full)).isEqualTo(RunLoop.Next.MODEL);
        loop.onModelResponse(RUN, fold, agent(), RunLoopTest.toolCall("pay", "{\"n\":1}"), 5);
        long seq = fold.seq();

        assertThat(loop.next(RUN, fold, agent(), () -> false, () -> false, full)).isEqualTo(RunLoop.Next.THROTTLED);
        assertThat(fold.seq()).as("nothing journaled").isEqualTo(seq);
        assertThat(fold.state()).isEqualTo(RunState.ACTING);

        full.room = true;
        assertThat(loop.next(RUN, fold, agent(), () -> false, () -> false, full)).isEqualTo(RunLoop.Next.AWAITS_HUMAN);
        assertThat(fold.awaitingApproval().orElseThrow().expiresAt()).isEqualTo(now.get() + Duration.ofMinutes(90).toMillis());
        now.addAndGet(Duration.ofMinutes(90).toMillis());
        assertThat(loop.next(RUN, fold, agent(), () -> false, () -> false, full)).isEqualTo(RunLoop.Next.MODEL);
        assertThat(events(RunEvent.ToolCallRejected.class)).singleElement()
                .satisfies(r -> assertThat(r.reason()).startsWith("approval expired after 90m: denied"));
    }
}
