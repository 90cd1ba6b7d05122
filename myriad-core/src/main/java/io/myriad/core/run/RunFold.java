package io.myriad.core.run;

import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A run's state rebuilt from its events: the state machine, the conversation to send to the
 * model next, the calls in flight, and the counters limits are checked against.
 *
 * <p>Folding the same events always gives the same result; the run loop folds each event it
 * journals and recovery folds the stored journal, so a resumed run continues exactly where the
 * journal says it was. Not thread-safe: one run is driven by one thread at a time.
 */
public final class RunFold {

    /** Where one tool call of the current response stands. */
    public enum CallStatus { PENDING, STARTED, SETTLED }

    /** A tool call of the current response. */
    public record Call(ToolCall call, int index, CallStatus status, String idempotencyKey) {}

    private RunState state = RunState.NEW;
    private long seq;
    private RunEvent.RunStarted started;
    private long modelCalls;
    private long toolSteps;
    private long retries;
    private int retriesSinceResponse;
    private Usage usage = Usage.ZERO;
    private double costUsd;
    private long lastAt;
    private final List<Message> conversation = new ArrayList<>();
    private final Map<String, Call> calls = new LinkedHashMap<>();
    private final Set<String> callIdsSeen = new HashSet<>();
    private String detail = "";

    /** Folds a whole journal. */
    public static RunFold of(List<RunEvent> events) {
        RunFold fold = new RunFold();
        events.forEach(fold::apply);
        return fold;
    }

    /**
     * Applies one event.
     *
     * @throws IllegalTransitionException when the event is not legal here; the fold is unchanged
     */
    public void apply(RunEvent event) {
        RunState.EventKind kind = RunState.EventKind.of(event);
        RunState target = state.next(kind).orElseThrow(() -> new IllegalTransitionException(
                "event " + kind + " is not allowed in state " + state + " (seq " + seq + ")"));
        switch (event) {
            case RunEvent.RunStarted e -> {
                started = e;
                conversation.add(new Message.User(e.input()));
            }
            case RunEvent.ModelRetried e -> {
                retries++;
                retriesSinceResponse++;
            }
            case RunEvent.ModelResponded e -> {
                for (ToolCall c : e.message().toolCalls()) {
                    if (callIdsSeen.contains(c.id())) {
                        throw new IllegalTransitionException("tool call id " + c.id() + " repeats in run");
                    }
                }
                modelCalls++;
                retriesSinceResponse = 0;
                usage = usage.plus(e.usage());
                costUsd += e.costUsd();
                conversation.add(e.message());
                calls.clear();
                List<ToolCall> toolCalls = e.message().toolCalls();
                for (int i = 0; i < toolCalls.size(); i++) {
                    ToolCall c = toolCalls.get(i);
                    callIdsSeen.add(c.id());
                    calls.put(c.id(), new Call(c, i, CallStatus.PENDING, idempotencyKey(modelCalls, i)));
                }
                if (toolCalls.isEmpty()) {
                    target = RunState.ANSWERED;
                }
            }
            case RunEvent.OutputRejected e -> conversation.add(new Message.User(
                    "Your final answer does not match the required output schema: " + String.join("; ", e.problems())
                            + ". Answer again with JSON that matches the schema."));
            case RunEvent.ToolCallStarted e -> {
                Call c = requireCall(e.callId(), CallStatus.PENDING, kind);
                calls.put(e.callId(), new Call(c.call(), c.index(), CallStatus.STARTED, c.idempotencyKey()));
            }
            // A read-only call settles without a journaled intent: PENDING is accepted too.
            case RunEvent.ToolCallCompleted e -> target = settle(e.callId(), null, kind, e.result());
            case RunEvent.ToolCallFailed e -> target = settle(e.callId(), null, kind, "ERROR: " + e.error());
            case RunEvent.ToolCallRejected e -> target = settle(e.callId(), CallStatus.PENDING, kind, "ERROR: " + e.reason());
            case RunEvent.RunSucceeded e -> detail = e.output();
            case RunEvent.RunFailed e -> detail = e.reason() + ": " + e.message();
            case RunEvent.RunCancelled e -> detail = e.reason();
            case RunEvent.RunLimited e -> detail = e.limit() + ": " + e.message();
        }
        state = target;
        lastAt = event.at();
        seq++;
    }

    /** The call, which must be in {@code expected} (or, when that is null, not yet settled). */
    private Call requireCall(String callId, CallStatus expected, RunState.EventKind kind) {
        Call c = calls.get(callId);
        boolean ok = c != null && (expected == null ? c.status() != CallStatus.SETTLED : c.status() == expected);
        if (!ok) {
            throw new IllegalTransitionException(kind + " for call " + callId + " which is "
                    + (c == null ? "not a call of the current response" : c.status()) + ", expected "
                    + (expected == null ? "PENDING or STARTED" : expected));
        }
        return c;
    }

    private RunState settle(String callId, CallStatus expected, RunState.EventKind kind, String content) {
        Call c = requireCall(callId, expected, kind);
        calls.put(callId, new Call(c.call(), c.index(), CallStatus.SETTLED, c.idempotencyKey()));
        toolSteps++;
        conversation.add(new Message.ToolResult(callId, content));
        boolean allSettled = calls.values().stream().allMatch(x -> x.status() == CallStatus.SETTLED);
        return allSettled ? RunState.AWAITING_MODEL : RunState.ACTING;
    }

    private String idempotencyKey(long modelCall, int index) {
        return (started == null ? "" : started.execution() + "/" + started.task()) + "/m" + modelCall + "/c" + index;
    }

    public RunState state() {
        return state;
    }

    /** The number of events folded, which is the sequence number of the next append. */
    public long seq() {
        return seq;
    }

    public Optional<RunEvent.RunStarted> started() {
        return Optional.ofNullable(started);
    }

    /** Model calls plus settled tool calls. */
    public long steps() {
        return modelCalls + toolSteps;
    }

    public long modelCalls() {
        return modelCalls;
    }

    public long retries() {
        return retries;
    }

    /** Failed model calls since the last response: the attempt number of the next call, minus one. */
    public int retriesSinceResponse() {
        return retriesSinceResponse;
    }

    public Usage usage() {
        return usage;
    }

    public double costUsd() {
        return costUsd;
    }

    /** The conversation after the system message: input, answers, tool results, in order. */
    public List<Message> conversation() {
        return Collections.unmodifiableList(conversation);
    }

    /** The calls of the latest response in the order the model made them. */
    public List<Call> calls() {
        return List.copyOf(calls.values());
    }

    /** The final answer, or the final state's reason; empty while running. */
    public String detail() {
        return detail;
    }

    /** The last assistant message, if any. */
    public Optional<Message.Assistant> lastAnswer() {
        for (int i = conversation.size() - 1; i >= 0; i--) {
            if (conversation.get(i) instanceof Message.Assistant a) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The summary row stored beside the journal. */
    public RunStatus status() {
        String shortDetail = detail.length() > 500 ? detail.substring(0, 500) + "…" : detail;
        return new RunStatus(state, steps(), modelCalls, usage.total(), costUsd, lastAt, shortDetail);
    }

    /** A comparable snapshot of everything the fold derived; used to prove replay equivalence. */
    public Snapshot snapshot() {
        return new Snapshot(state, seq, steps(), retries, usage, costUsd, List.copyOf(conversation), calls(), detail);
    }

    /** Everything derived from the events, as a value. */
    public record Snapshot(
            RunState state, long seq, long steps, long retries, Usage usage, double costUsd,
            List<Message> conversation, List<Call> calls, String detail) {}
}
