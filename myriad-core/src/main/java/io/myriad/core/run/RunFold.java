package io.myriad.core.run;

import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
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

    /**
     * Where one tool call of the current response stands. {@code CLEARED}: it was started, its
     * outcome is unknown, and a decision (the tool's reconcile or a person) cleared it to be
     * invoked once more with the same idempotency key; that attempt journals its own
     * {@code tool_call_started}, so a crash during it leaves the call in doubt again.
     */
    public enum CallStatus { PENDING, STARTED, CLEARED, SETTLED }

    /** A tool call of the current response. */
    public record Call(ToolCall call, int index, CallStatus status, String idempotencyKey) {}

    private RunState state = RunState.NEW;
    private long seq;
    private RunEvent.RunStarted started;
    private long modelCalls;
    private long toolSteps;
    private long retries;
    private int retriesSinceResponse;
    private int retriesOnModel;
    private boolean onFallback;
    private Usage usage = Usage.ZERO;
    private double costUsd;
    private long lastAt;
    private final List<Message> conversation = new ArrayList<>();
    private final Map<String, Call> calls = new LinkedHashMap<>();
    private final Set<String> callIdsSeen = new HashSet<>();
    private String detail = "";
    /** How many times each (tool, arguments) signature was called in this run. */
    private final Map<Long, Integer> signatures = new HashMap<>();
    /** Per signature: the hash of its last result, and how many times in a row it returned that. */
    private final Map<Long, long[]> sameOutcomes = new HashMap<>();
    private boolean responseProductive;
    private int idleResponses;
    private String inDoubtCallId;
    private int interruptions;
    /** The approval the run waits for, while {@link RunState#AWAITING_APPROVAL}. */
    private RunEvent.ApprovalRequested awaitingApproval;
    /** Approval decisions on calls of the current response, by call id. */
    private final Map<String, RunEvent.ApprovalDecided> approvals = new LinkedHashMap<>();
    /** Approvals requested for calls of the current response (at most one per call). */
    private final Set<String> approvalsRequested = new HashSet<>();
    /** Milliseconds spent waiting for approvals: not counted against {@code max_wall}. */
    private long approvalWaitMillis;
    /** Children started so far (the next one is numbered this plus one). */
    private int childrenStarted;
    /** The delegation the run waits for, while {@link RunState#AWAITING_CHILDREN}. */
    private RunEvent.ChildrenStarted awaitingChildren;
    /** Tokens and dollars the run's finished children spent (counted against its limits). */
    private long childTokens;
    private double childCostUsd;
    /** The agent driving the run: the task's, or the last handoff's receiver. */
    private String agent;
    /** The agent that wrote the current response: calls it made after handing off are not the receiver's. */
    private String responseAgent;

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
                agent = e.agent();
                conversation.add(new Message.User(e.input()));
            }
            case RunEvent.ModelRetried e -> {
                retries++;
                retriesSinceResponse++;
                retriesOnModel++;
                if (e.fallback() && !onFallback) {
                    onFallback = true;
                    retriesOnModel = 0;
                }
            }
            case RunEvent.ModelResponded e -> {
                for (ToolCall c : e.message().toolCalls()) {
                    if (callIdsSeen.contains(c.id())) {
                        throw new IllegalTransitionException("tool call id " + c.id() + " repeats in run");
                    }
                }
                modelCalls++;
                retriesSinceResponse = 0;
                retriesOnModel = 0;
                onFallback = false;
                usage = usage.plus(e.usage());
                costUsd += e.costUsd();
                conversation.add(e.message());
                responseAgent = agent;
                calls.clear();
                approvals.clear();
                approvalsRequested.clear();
                responseProductive = false;
                List<ToolCall> toolCalls = e.message().toolCalls();
                for (int i = 0; i < toolCalls.size(); i++) {
                    ToolCall c = toolCalls.get(i);
                    callIdsSeen.add(c.id());
                    calls.put(c.id(), new Call(c, i, CallStatus.PENDING, idempotencyKey(modelCalls, i)));
                    signatures.merge(signature(c), 1, Integer::sum);
                }
                if (toolCalls.isEmpty()) {
                    target = RunState.ANSWERED;
                }
            }
            case RunEvent.OutputRejected e -> conversation.add(new Message.User(
                    "Your final answer does not match the required output schema: " + String.join("; ", e.problems())
                            + ". Answer again with JSON that matches the schema."));
            case RunEvent.ToolCallStarted e -> {
                // From PENDING, or again from CLEARED: a cleared call's new attempt is an intent too.
                Call c = calls.get(e.callId());
                if (c == null || c.status() != CallStatus.CLEARED) {
                    c = requireCall(e.callId(), CallStatus.PENDING, kind);
                }
                RunEvent.ApprovalDecided decided = approvals.get(e.callId());
                if (approvalsRequested.contains(e.callId()) && (decided == null || !decided.approved())) {
                    throw new IllegalTransitionException("tool_call_started for call " + e.callId()
                            + " whose approval was " + (decided == null ? "not decided" : "denied"));
                }
                calls.put(e.callId(), new Call(c.call(), c.index(), CallStatus.STARTED, c.idempotencyKey()));
            }
            // A read-only call settles without a journaled intent: PENDING is accepted too.
            case RunEvent.ToolCallCompleted e -> target = settle(e.callId(), null, kind, e.result(), true);
            case RunEvent.ToolCallFailed e -> target = settle(e.callId(), null, kind, "ERROR: " + e.error(), false);
            case RunEvent.ToolCallRejected e -> target = settle(e.callId(), CallStatus.PENDING, kind, "ERROR: " + e.reason(), false);
            case RunEvent.ToolCallInDoubt e -> {
                requireCall(e.callId(), CallStatus.STARTED, kind);
                inDoubtCallId = e.callId();
                detail = "in_doubt: " + e.reason();
            }
            case RunEvent.ToolCallResolved e -> {
                Call c = requireCall(e.callId(), CallStatus.STARTED, kind);
                if (state == RunState.IN_DOUBT && !e.callId().equals(inDoubtCallId)) {
                    throw new IllegalTransitionException("tool_call_resolved for call " + e.callId()
                            + " but the call in doubt is " + inDoubtCallId);
                }
                inDoubtCallId = null;
                detail = "";
                switch (e.decision()) {
                    case "done" -> target = settle(e.callId(), CallStatus.STARTED, kind, e.result(), true);
                    case "retry" -> calls.put(e.callId(), new Call(c.call(), c.index(), CallStatus.CLEARED, c.idempotencyKey()));
                    default -> target = state; // fail: the run_failed that follows ends the run
                }
            }
            case RunEvent.RunSucceeded e -> detail = e.output();
            case RunEvent.RunFailed e -> detail = e.reason() + ": " + e.message();
            case RunEvent.RunCancelled e -> detail = e.reason();
            case RunEvent.RunLimited e -> detail = e.limit() + ": " + e.message();
            case RunEvent.RunStuck e -> detail = e.reason() + ": " + e.message();
            case RunEvent.RunInterrupted e -> interruptions++;
            case RunEvent.RunBudgetExhausted e -> detail = e.scope() + "_" + e.resource() + ": " + e.message();
            case RunEvent.ApprovalRequested e -> {
                Call c = requireCall(e.callId(), CallStatus.PENDING, kind);
                if (!c.idempotencyKey().equals(e.idempotencyKey())) {
                    throw new IllegalTransitionException("approval_requested for call " + e.callId() + " with idempotency key "
                            + e.idempotencyKey() + ", but the call's key is " + c.idempotencyKey());
                }
                if (!approvalsRequested.add(e.callId())) {
                    throw new IllegalTransitionException("approval_requested twice for call " + e.callId());
                }
                awaitingApproval = e;
                detail = "awaiting_approval: " + e.tool() + " (call " + e.callId() + ", rule " + e.rule() + ")";
            }
            case RunEvent.ChildrenStarted e -> {
                Call c = requireCall(e.callId(), CallStatus.PENDING, kind);
                if (!c.call().name().equals(DelegateTool.NAME)) {
                    throw new IllegalTransitionException("children_started for call " + e.callId() + " of tool " + c.call().name());
                }
                if (!c.idempotencyKey().equals(e.idempotencyKey())) {
                    throw new IllegalTransitionException("children_started for call " + e.callId() + " with idempotency key "
                            + e.idempotencyKey() + ", but the call's key is " + c.idempotencyKey());
                }
                if (e.first() != childrenStarted + 1) {
                    throw new IllegalTransitionException("children_started numbers its first child " + e.first()
                            + " but " + childrenStarted + " children were started before");
                }
                calls.put(e.callId(), new Call(c.call(), c.index(), CallStatus.STARTED, c.idempotencyKey()));
                childrenStarted += e.count();
                awaitingChildren = e;
                detail = "awaiting_children: " + e.count() + " (call " + e.callId() + ")";
            }
            case RunEvent.ChildrenFinished e -> {
                if (!e.callId().equals(awaitingChildren.callId())) {
                    throw new IllegalTransitionException("children_finished for call " + e.callId()
                            + " but the delegation awaited is call " + awaitingChildren.callId());
                }
                if (e.succeeded() + e.failed() != awaitingChildren.count()) {
                    throw new IllegalTransitionException("children_finished counts " + (e.succeeded() + e.failed())
                            + " children but " + awaitingChildren.count() + " were started");
                }
                childTokens += e.tokens();
                childCostUsd += e.costUsd();
                awaitingChildren = null;
                detail = "";
                target = settle(e.callId(), CallStatus.STARTED, kind, e.result(), true);
            }
            case RunEvent.HandedOff e -> {
                if (!e.from().equals(agent) || e.to().equals(e.from())) {
                    throw new IllegalTransitionException("handed_off from " + e.from() + " to " + e.to() + " but agent " + agent
                            + " drives the run");
                }
                Call hc = requireCall(e.callId(), CallStatus.PENDING, kind);
                if (!hc.call().name().equals(HandoffTool.NAME)) {
                    throw new IllegalTransitionException("handed_off for call " + e.callId() + " of tool " + hc.call().name());
                }
                agent = e.to();
                target = settle(e.callId(), CallStatus.PENDING, kind, "Handed off to agent " + e.to()
                        + ". From now on you are " + e.to() + ": follow its instructions and use its tools.", true);
            }
            case RunEvent.ApprovalDecided e -> {
                if (!e.callId().equals(awaitingApproval.callId()) || !e.idempotencyKey().equals(awaitingApproval.idempotencyKey())) {
                    throw new IllegalTransitionException("approval_decided for call " + e.callId() + " (key " + e.idempotencyKey()
                            + ") but the approval awaited is for call " + awaitingApproval.callId() + " (key "
                            + awaitingApproval.idempotencyKey() + ")");
                }
                approvals.put(e.callId(), e);
                approvalWaitMillis += Math.max(0, e.at() - awaitingApproval.at());
                awaitingApproval = null;
                detail = "";
            }
        }
        if (target != RunState.AWAITING_APPROVAL) {
            awaitingApproval = null;
        }
        if (target != RunState.IN_DOUBT) {
            inDoubtCallId = null;
        }
        if (target != RunState.AWAITING_CHILDREN) {
            awaitingChildren = null;
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

    private RunState settle(String callId, CallStatus expected, RunState.EventKind kind, String content, boolean completed) {
        Call c = requireCall(callId, expected, kind);
        if (kind != RunState.EventKind.TOOL_CALL_REJECTED && c.status() == CallStatus.PENDING && approvalsRequested.contains(callId)
                && !approvals.get(callId).approved()) {
            throw new IllegalTransitionException(kind + " for call " + callId + " whose approval was denied");
        }
        calls.put(callId, new Call(c.call(), c.index(), CallStatus.SETTLED, c.idempotencyKey()));
        toolSteps++;
        conversation.add(new Message.ToolResult(callId, content));
        long sig = signature(c.call());
        long resultHash = hash(content);
        long[] same = sameOutcomes.computeIfAbsent(sig, k -> new long[] {resultHash, 0});
        if (same[0] != resultHash) {
            same[0] = resultHash;
            same[1] = 0;
        }
        same[1]++;
        // Progress: a call that completed and had not been made before in this run.
        if (completed && signatures.getOrDefault(signature(c.call()), 0) == 1) {
            responseProductive = true;
        }
        boolean allSettled = calls.values().stream().allMatch(x -> x.status() == CallStatus.SETTLED);
        if (allSettled) {
            idleResponses = responseProductive ? 0 : idleResponses + 1;
        }
        return allSettled ? RunState.AWAITING_MODEL : RunState.ACTING;
    }

    /** A 64-bit hash of the tool name and its arguments (whitespace at the ends ignored). */
    static long signature(ToolCall call) {
        return hash(call.name() + '\u0000' + call.arguments().strip());
    }

    /** 64-bit FNV-1a. */
    private static long hash(String text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    /**
     * How many times in a row an earlier call identical to this one (same tool, same arguments)
     * got the same result; 0 when it was never made. Calling again what already answered the
     * same thing {@code n} times is the loop that {@code max_repeats} stops.
     */
    public int sameOutcomes(ToolCall call) {
        long[] same = sameOutcomes.get(signature(call));
        return same == null ? 0 : (int) same[1];
    }

    /** How many times this run has made this call (same tool, same arguments), this one included. */
    public int timesCalled(ToolCall call) {
        return signatures.getOrDefault(signature(call), 0);
    }

    /** Consecutive tool-calling responses that made no progress (every call a repeat, failed or rejected). */
    public int idleResponses() {
        return idleResponses;
    }

    /** The call awaiting a human decision, when the run is {@link RunState#IN_DOUBT}. */
    public Optional<Call> inDoubtCall() {
        return inDoubtCallId == null ? Optional.empty() : Optional.ofNullable(calls.get(inDoubtCallId));
    }

    /** The approval the run waits for, when it is {@link RunState#AWAITING_APPROVAL}. */
    public Optional<RunEvent.ApprovalRequested> awaitingApproval() {
        return Optional.ofNullable(awaitingApproval);
    }

    /** The decision on the approval of a call of the current response, if one was made. */
    public Optional<RunEvent.ApprovalDecided> approval(String callId) {
        return Optional.ofNullable(approvals.get(callId));
    }

    /** Milliseconds the run spent waiting for decided approvals; a person's time is not the run's wall time. */
    public long approvalWaitMillis() {
        return approvalWaitMillis;
    }

    /** The delegation the run waits for, when it is {@link RunState#AWAITING_CHILDREN}. */
    public Optional<RunEvent.ChildrenStarted> awaitingChildren() {
        return Optional.ofNullable(awaitingChildren);
    }

    /** Children this run started, over all its delegations. */
    public int childrenStarted() {
        return childrenStarted;
    }

    /** Tokens of this run and of its finished children: what its {@code max_tokens} is checked against. */
    public long treeTokens() {
        return usage.total() + childTokens;
    }

    /** Dollars this run's finished children spent. */
    public double childCostUsd() {
        return childCostUsd;
    }

    /** The agent driving the run now: the task's, or the receiver of the last handoff. */
    public String agent() {
        return agent == null ? "" : agent;
    }

    /** The agent that wrote the current response (differs from {@link #agent()} after a handoff in it). */
    public String responseAgent() {
        return responseAgent == null ? agent() : responseAgent;
    }

    /** Graceful shutdowns this run went through. */
    public int interruptions() {
        return interruptions;
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

    /** Failed attempts on the model the next attempt goes to, since the last response. */
    public int retriesOnModel() {
        return retriesOnModel;
    }

    /** True when the next attempt goes to the agent's fallback model. */
    public boolean onFallback() {
        return onFallback;
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
        return new Snapshot(state, seq, steps(), retries, usage, costUsd, List.copyOf(conversation), calls(), detail,
                idleResponses, inDoubtCallId, interruptions,
                awaitingApproval == null ? null : awaitingApproval.callId(), List.copyOf(approvals.values()),
                agent(), childrenStarted, childTokens);
    }

    /** Everything derived from the events, as a value. */
    public record Snapshot(
            RunState state, long seq, long steps, long retries, Usage usage, double costUsd,
            List<Message> conversation, List<Call> calls, String detail,
            int idleResponses, String inDoubtCallId, int interruptions,
            String awaitingApprovalCallId, List<RunEvent.ApprovalDecided> approvals,
            String agent, int childrenStarted, long childTokens) {}
}
