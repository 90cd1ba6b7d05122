package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the run state machine: whatever events arrive, in whatever order, the fold never
 * reaches an illegal state, refuses illegal events without changing, and replaying the accepted
 * events (also through the stored JSON form) rebuilds exactly the same state.
 */
class RunStateMachineProperties {

    @Property(tries = 1000)
    void anyEventSequenceEitherAppliesOrIsRefusedWithoutChange(@ForAll("events") @Size(max = 40) List<RunEvent> events) {
        RunFold fold = new RunFold();
        List<RunEvent> accepted = new ArrayList<>();
        for (RunEvent e : events) {
            RunFold.Snapshot before = fold.snapshot();
            boolean legalByTable = fold.state().next(RunState.EventKind.of(e)).isPresent();
            try {
                fold.apply(e);
                accepted.add(e);
                assertThat(legalByTable).as("applied an event the table forbids").isTrue();
            } catch (IllegalTransitionException refused) {
                assertThat(fold.snapshot()).as("a refused event changed the fold").isEqualTo(before);
            }
            assertInvariants(fold, accepted);
        }
        assertThat(RunFold.of(accepted).snapshot()).isEqualTo(fold.snapshot());
    }

    @Property(tries = 500)
    void replayingTheStoredJournalRebuildsTheSameState(@ForAll("plausibleRuns") List<RunEvent> events) {
        RunFold live = new RunFold();
        events.forEach(live::apply);
        List<RunEvent> stored = events.stream().map(EventCodec::encode).map(EventCodec::decode).toList();
        assertThat(stored).isEqualTo(events);
        assertThat(RunFold.of(stored).snapshot()).isEqualTo(live.snapshot());
        assertThat(RunFold.of(stored).status()).isEqualTo(live.status());
    }

    @Property(tries = 200)
    void finalStatesAcceptNothing(@ForAll("plausibleRuns") List<RunEvent> events, @ForAll("anyEvent") RunEvent extra) {
        RunFold fold = RunFold.of(events);
        if (fold.state().isFinal()) {
            assertThat(fold.state().accepted()).isEmpty();
            assertThatThrownBy(() -> fold.apply(extra)).isInstanceOf(IllegalTransitionException.class);
        }
    }

    private static void assertInvariants(RunFold fold, List<RunEvent> accepted) {
        RunState s = fold.state();
        assertThat(fold.seq()).isEqualTo(accepted.size());
        if (s == RunState.NEW) {
            assertThat(accepted).isEmpty();
        } else {
            assertThat(accepted.getFirst()).isInstanceOf(RunEvent.RunStarted.class);
            assertThat(accepted.stream().filter(e -> e instanceof RunEvent.RunStarted)).hasSize(1);
        }
        boolean unsettled = fold.calls().stream().anyMatch(c -> c.status() != RunFold.CallStatus.SETTLED);
        if (s == RunState.ACTING || s == RunState.IN_DOUBT) {
            assertThat(unsettled).as(s + " without pending calls").isTrue();
        }
        assertThat(fold.inDoubtCall().isPresent()).as("a call in doubt iff IN_DOUBT").isEqualTo(s == RunState.IN_DOUBT);
        assertThat(fold.awaitingApproval().isPresent()).as("an approval awaited iff AWAITING_APPROVAL")
                .isEqualTo(s == RunState.AWAITING_APPROVAL);
        if (s == RunState.AWAITING_APPROVAL) {
            assertThat(unsettled).as(s + " without pending calls").isTrue();
        }
        // A call sent for approval is invoked only after an approval of it: never when denied or expired.
        java.util.Map<String, Boolean> approval = new java.util.HashMap<>();
        for (RunEvent e : accepted) {
            switch (e) {
                case RunEvent.ApprovalRequested r -> approval.put(r.callId(), false);
                case RunEvent.ApprovalDecided d -> {
                    assertThat(approval).containsKey(d.callId());
                    assertThat(d.approved() && d.by().equals("expiry")).as("an expiry never approves").isFalse();
                    approval.put(d.callId(), d.approved());
                }
                case RunEvent.ToolCallStarted st -> assertThat(approval.getOrDefault(st.callId(), true))
                        .as("started without an approval: " + st.callId()).isTrue();
                case RunEvent.ToolCallCompleted c -> assertThat(approval.getOrDefault(c.callId(), true))
                        .as("completed without an approval: " + c.callId()).isTrue();
                default -> { }
            }
        }
        if (s == RunState.AWAITING_MODEL || s == RunState.ANSWERED) {
            assertThat(unsettled).as(s + " with pending calls").isFalse();
        }
        long responses = accepted.stream().filter(e -> e instanceof RunEvent.ModelResponded).count();
        long settled = accepted.stream().filter(e -> e instanceof RunEvent.ToolCallCompleted
                || e instanceof RunEvent.ToolCallFailed || e instanceof RunEvent.ToolCallRejected
                || e instanceof RunEvent.ToolCallResolved r && r.decision().equals("done")).count();
        assertThat(fold.steps()).isEqualTo(responses + settled);
        long finals = accepted.stream().filter(e -> e instanceof RunEvent.RunSucceeded || e instanceof RunEvent.RunFailed
                || e instanceof RunEvent.RunCancelled || e instanceof RunEvent.RunLimited || e instanceof RunEvent.RunStuck
                || e instanceof RunEvent.RunBudgetExhausted).count();
        assertThat(finals).isLessThanOrEqualTo(1);
        assertThat(s.isFinal()).isEqualTo(finals == 1);
    }

    // ------------------------------------------------------------------ generators

    private static final List<String> CALL_IDS = List.of("c1", "c2", "c3", "c4");

    @Provide
    Arbitrary<List<RunEvent>> events() {
        return anyEvent().list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<RunEvent> anyEvent() {
        Arbitrary<String> id = Arbitraries.of(CALL_IDS);
        Arbitrary<Long> at = Arbitraries.longs().between(0, 1_000_000);
        return Arbitraries.oneOf(
                at.map(t -> new RunEvent.RunStarted(t, "f", "f-1", "t", "a", "in", "m")),
                at.map(t -> new RunEvent.ModelRetried(t, 1, "boom", 10)),
                Combinators.combine(at, id.list().ofMaxSize(3)).as((t, ids) -> new RunEvent.ModelResponded(t,
                        new Message.Assistant("x", ids.stream().map(i -> new ToolCall(i, "tool", "{}")).toList()),
                        new Usage(5, 1), 0.001, 2, "m")),
                at.map(t -> new RunEvent.OutputRejected(t, List.of("bad"))),
                Combinators.combine(at, id).as((t, i) -> new RunEvent.ToolCallStarted(t, i, "tool", "k-" + i)),
                Combinators.combine(at, id).as((t, i) -> new RunEvent.ToolCallCompleted(t, i, "ok", 1)),
                Combinators.combine(at, id).as((t, i) -> new RunEvent.ToolCallFailed(t, i, "err", 1)),
                Combinators.combine(at, id).as((t, i) -> new RunEvent.ToolCallRejected(t, i, "no")),
                at.map(t -> new RunEvent.RunSucceeded(t, "done")),
                at.map(t -> new RunEvent.RunFailed(t, "model_rejected", "no")),
                at.map(t -> new RunEvent.RunCancelled(t, "stop")),
                at.map(t -> new RunEvent.RunLimited(t, "max_steps", "too many")),
                at.map(t -> new RunEvent.ModelRetried(t, 2, "503", 0, true)),
                Combinators.combine(at, id).as((t, i) -> new RunEvent.ToolCallInDoubt(t, i, "tool", "k-" + i, "unknown")),
                Combinators.combine(at, id, Arbitraries.of(RunEvent.ToolCallResolved.DECISIONS))
                        .as((t, i, d) -> new RunEvent.ToolCallResolved(t, i, d, "r", "human:x", "")),
                at.map(t -> new RunEvent.RunStuck(t, "repeated_call", "loop")),
                at.map(t -> new RunEvent.RunInterrupted(t, "shutdown")),
                at.map(t -> new RunEvent.RunBudgetExhausted(t, "tenant", "acme", "usd", 4.99, 5, 0.02, "exhausted")),
                Combinators.combine(at, id, Arbitraries.of("k-", "f-1/t/m1/c0", "f-1/t/m2/c1"))
                        .as((t, i, k) -> new RunEvent.ApprovalRequested(t, i, "tool", k.equals("k-") ? k + i : k, "r", t + 100)),
                Combinators.combine(at, id, Arbitraries.of("k-", "f-1/t/m1/c0", "f-1/t/m2/c1"), Arbitraries.of(true, false))
                        .as((t, i, k, ok) -> new RunEvent.ApprovalDecided(t, i, k.equals("k-") ? k + i : k, ok, "key:k_1", "")),
                Combinators.combine(at, id).as((t, i) -> new RunEvent.ApprovalDecided(t, i, "f-1/t/m1/c0", false, "expiry", "")));
    }

    /** Runs as a well-behaved driver would journal them, with random choices at each point. */
    @Provide
    Arbitrary<List<RunEvent>> plausibleRuns() {
        return Arbitraries.integers().between(0, 1_000).list().ofMinSize(1).ofMaxSize(30).map(RunStateMachineProperties::drive);
    }

    private static List<RunEvent> drive(List<Integer> choices) {
        List<RunEvent> out = new ArrayList<>();
        RunFold fold = new RunFold();
        long t = 0;
        int callSeq = 0;
        add(out, fold, new RunEvent.RunStarted(t, "f", "f-1", "t", "a", "input", "m"));
        for (int choice : choices) {
            if (fold.state().isFinal()) {
                break;
            }
            t += choice;
            RunEvent next = switch (fold.state()) {
                case AWAITING_MODEL -> switch (choice % 9) {
                    case 0 -> new RunEvent.ModelRetried(t, 1, "429", 100);
                    case 6 -> new RunEvent.ModelRetried(t, 2, "503", 0, true);
                    case 7 -> new RunEvent.RunInterrupted(t, "shutdown");
                    case 8 -> choice % 2 == 0 ? new RunEvent.RunStuck(t, "no_progress", "idle") : new RunEvent.ModelRetried(t, 1, "500", 10);
                    case 1 -> new RunEvent.ModelResponded(t, new Message.Assistant("final " + choice, List.of()),
                            new Usage(choice, 3), 0.0001 * choice, choice, "m");
                    case 2 -> choice % 2 == 0 ? new RunEvent.RunLimited(t, "max_steps", "limit")
                            : new RunEvent.RunBudgetExhausted(t, "fleet", "f-1", "tokens", 990, 1000, 40, "exhausted");
                    default -> {
                        List<ToolCall> calls = new ArrayList<>();
                        for (int i = 0; i <= choice % 3; i++) {
                            calls.add(new ToolCall("call-" + (callSeq++), "tool" + i, "{\"n\":" + choice + "}"));
                        }
                        yield new RunEvent.ModelResponded(t, new Message.Assistant("", calls), new Usage(choice, 7), 0, 5, "m");
                    }
                };
                case ANSWERED -> choice % 4 == 0
                        ? new RunEvent.OutputRejected(t, List.of("$.x: missing"))
                        : new RunEvent.RunSucceeded(t, "out " + choice);
                case ACTING -> {
                    RunFold.Call call = fold.calls().stream()
                            .filter(c -> c.status() != RunFold.CallStatus.SETTLED).findFirst().orElseThrow();
                    String id = call.call().id();
                    if (call.status() == RunFold.CallStatus.PENDING && choice % 11 == 4 && fold.approval(id).isEmpty()) {
                        yield new RunEvent.ApprovalRequested(t, id, call.call().name(), call.idempotencyKey(), "needs-a-person", t + 500);
                    }
                    if (call.status() == RunFold.CallStatus.PENDING && fold.approval(id).isPresent()) {
                        yield fold.approval(id).get().approved()
                                ? new RunEvent.ToolCallStarted(t, id, call.call().name(), call.idempotencyKey(), "needs-a-person")
                                : new RunEvent.ToolCallRejected(t, id, "denied");
                    }
                    if (call.status() == RunFold.CallStatus.PENDING) {
                        yield choice % 5 == 0 ? new RunEvent.ToolCallRejected(t, id, "invalid")
                                : choice % 5 == 1 ? new RunEvent.ToolCallCompleted(t, id, "read-only result", choice)
                                : new RunEvent.ToolCallStarted(t, id, call.call().name(), call.idempotencyKey());
                    }
                    if (call.status() == RunFold.CallStatus.STARTED && choice % 4 == 0) {
                        yield choice % 8 == 0 ? new RunEvent.ToolCallInDoubt(t, id, call.call().name(), call.idempotencyKey(), "?")
                                : new RunEvent.ToolCallResolved(t, id, choice % 3 == 0 ? "done" : "retry", "found", "reconcile", "");
                    }
                    yield choice % 7 == 0 ? new RunEvent.RunFailed(t, "in_doubt", "unknown outcome")
                            : choice % 3 == 0 ? new RunEvent.ToolCallFailed(t, id, "boom", choice)
                            : new RunEvent.ToolCallCompleted(t, id, "result " + choice, choice);
                }
                case IN_DOUBT -> {
                    String id = fold.inDoubtCall().orElseThrow().call().id();
                    if (choice % 3 == 0) {
                        add(out, fold, new RunEvent.ToolCallResolved(t, id, "fail", "", "human:x", "no"));
                        yield new RunEvent.RunFailed(t, "in_doubt", "failed by a person");
                    }
                    yield choice % 5 == 0 ? new RunEvent.RunInterrupted(t, "shutdown")
                            : new RunEvent.ToolCallResolved(t, id, choice % 3 == 1 ? "done" : "retry", "paid", "human:x", "");
                }
                case AWAITING_APPROVAL -> {
                    RunEvent.ApprovalRequested r = fold.awaitingApproval().orElseThrow();
                    yield switch (choice % 5) {
                        case 0 -> new RunEvent.ApprovalDecided(t, r.callId(), r.idempotencyKey(), true, "key:k_1", "ok");
                        case 1 -> new RunEvent.ApprovalDecided(t, r.callId(), r.idempotencyKey(), false, "key:k_1", "no");
                        case 2 -> new RunEvent.ApprovalDecided(t, r.callId(), r.idempotencyKey(), false, "expiry", "expired");
                        case 3 -> new RunEvent.RunInterrupted(t, "shutdown");
                        default -> new RunEvent.RunCancelled(t, "stop");
                    };
                }
                default -> throw new IllegalStateException(fold.state().name());
            };
            add(out, fold, next);
        }
        return out;
    }

    private static void add(List<RunEvent> out, RunFold fold, RunEvent e) {
        fold.apply(e);
        out.add(e);
    }
}
