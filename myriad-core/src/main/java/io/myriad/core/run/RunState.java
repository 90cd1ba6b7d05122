package io.myriad.core.run;

import io.myriad.core.journal.RunEvent;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The states of a run and the explicit table of legal transitions.
 *
 * <pre>
 *            run_started            model_responded (tool calls)
 *   NEW ─────────────────▶ AWAITING_MODEL ─────────────────────▶ ACTING ──┐ tool_call_*
 *                           ▲   │  ▲ model_retried                  │ ▲    │ (calls pending)
 *                           │   │  └──┘                             │ └────┘
 *                           │   │ model_responded (no calls)        │ last call settled
 *                           │   ▼                                   │
 *                           │ ANSWERED ──run_succeeded──▶ SUCCEEDED │
 *                           └──output_rejected─┘                    │
 *                           ◀───────────────────────────────────────┘
 *   any started, non-final state ── run_failed ▶ FAILED, run_cancelled ▶ CANCELLED, run_limited ▶ LIMITED,
 *                                   run_stuck ▶ STUCK; run_interrupted ▶ itself (a graceful shutdown)
 *   AWAITING_MODEL, ACTING, ANSWERED ── run_budget_exhausted ▶ BUDGET_EXHAUSTED (a call did not fit a budget)
 *
 *   ACTING ──tool_call_in_doubt──▶ IN_DOUBT ──tool_call_resolved (done | retry)──▶ ACTING or AWAITING_MODEL
 *   ACTING ──tool_call_resolved (by the tool's reconcile)──▶ ACTING or AWAITING_MODEL
 *   IN_DOUBT ──tool_call_resolved (fail), run_failed──▶ FAILED
 *   ACTING ──approval_requested──▶ AWAITING_APPROVAL ──approval_decided (approved | denied | expired)──▶ ACTING
 *   ACTING ──children_started──▶ AWAITING_CHILDREN ──children_finished──▶ ACTING or AWAITING_MODEL
 *   ACTING ──handed_off──▶ ACTING or AWAITING_MODEL (the receiving agent drives the run from then on)
 * </pre>
 *
 * <p>{@code IN_DOUBT} is a durable wait for a person: a call of a tool that may not be repeated
 * blindly was running when the process died, and its tool could not say what happened. No thread
 * and no step is spent on the run until someone decides.
 *
 * <p>A call is started (its intent journaled) before it completes or fails, except a read-only
 * call, which may complete or fail straight from pending: re-running it after a crash is
 * harmless, so it needs no intent.
 *
 * <p>Tool-call events keep a run in {@code ACTING} while calls of the last response are
 * unsettled and move it to {@code AWAITING_MODEL} when the last one settles; that choice is the
 * only one that depends on data, and {@link RunFold} makes it.
 */
public enum RunState {
    NEW,
    AWAITING_MODEL,
    ACTING,
    ANSWERED,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    LIMITED,
    IN_DOUBT,
    STUCK,
    BUDGET_EXHAUSTED,
    AWAITING_APPROVAL,
    /**
     * The run delegated work to child runs ({@code children_started}) and waits for all of them
     * to be final; no thread, no slot. {@code children_finished} brings their results back.
     */
    AWAITING_CHILDREN;

    /** The kinds of event, one per {@link RunEvent} record. */
    public enum EventKind {
        RUN_STARTED,
        MODEL_RETRIED,
        MODEL_RESPONDED,
        OUTPUT_REJECTED,
        TOOL_CALL_STARTED,
        TOOL_CALL_COMPLETED,
        TOOL_CALL_FAILED,
        TOOL_CALL_REJECTED,
        RUN_SUCCEEDED,
        RUN_FAILED,
        RUN_CANCELLED,
        RUN_LIMITED,
        TOOL_CALL_IN_DOUBT,
        TOOL_CALL_RESOLVED,
        RUN_STUCK,
        RUN_INTERRUPTED,
        RUN_BUDGET_EXHAUSTED,
        APPROVAL_REQUESTED,
        APPROVAL_DECIDED,
        CHILDREN_STARTED,
        CHILDREN_FINISHED,
        HANDED_OFF;

        public static EventKind of(RunEvent event) {
            return switch (event) {
                case RunEvent.RunStarted e -> RUN_STARTED;
                case RunEvent.ModelRetried e -> MODEL_RETRIED;
                case RunEvent.ModelResponded e -> MODEL_RESPONDED;
                case RunEvent.OutputRejected e -> OUTPUT_REJECTED;
                case RunEvent.ToolCallStarted e -> TOOL_CALL_STARTED;
                case RunEvent.ToolCallCompleted e -> TOOL_CALL_COMPLETED;
                case RunEvent.ToolCallFailed e -> TOOL_CALL_FAILED;
                case RunEvent.ToolCallRejected e -> TOOL_CALL_REJECTED;
                case RunEvent.RunSucceeded e -> RUN_SUCCEEDED;
                case RunEvent.RunFailed e -> RUN_FAILED;
                case RunEvent.RunCancelled e -> RUN_CANCELLED;
                case RunEvent.RunLimited e -> RUN_LIMITED;
                case RunEvent.ToolCallInDoubt e -> TOOL_CALL_IN_DOUBT;
                case RunEvent.ToolCallResolved e -> TOOL_CALL_RESOLVED;
                case RunEvent.RunStuck e -> RUN_STUCK;
                case RunEvent.RunInterrupted e -> RUN_INTERRUPTED;
                case RunEvent.RunBudgetExhausted e -> RUN_BUDGET_EXHAUSTED;
                case RunEvent.ApprovalRequested e -> APPROVAL_REQUESTED;
                case RunEvent.ApprovalDecided e -> APPROVAL_DECIDED;
                case RunEvent.ChildrenStarted e -> CHILDREN_STARTED;
                case RunEvent.ChildrenFinished e -> CHILDREN_FINISHED;
                case RunEvent.HandedOff e -> HANDED_OFF;
            };
        }
    }

    private static final Map<RunState, Map<EventKind, RunState>> TABLE = new EnumMap<>(RunState.class);

    static {
        for (RunState s : values()) {
            TABLE.put(s, new EnumMap<>(EventKind.class));
        }
        TABLE.get(NEW).put(EventKind.RUN_STARTED, AWAITING_MODEL);
        TABLE.get(AWAITING_MODEL).put(EventKind.MODEL_RETRIED, AWAITING_MODEL);
        // ModelResponded goes to ACTING or ANSWERED depending on whether it holds tool calls;
        // the table names ACTING and RunFold picks ANSWERED for a response without calls.
        TABLE.get(AWAITING_MODEL).put(EventKind.MODEL_RESPONDED, ACTING);
        TABLE.get(ANSWERED).put(EventKind.RUN_SUCCEEDED, SUCCEEDED);
        TABLE.get(ANSWERED).put(EventKind.OUTPUT_REJECTED, AWAITING_MODEL);
        // Tool events stay in ACTING until the last call of the response settles.
        TABLE.get(ACTING).put(EventKind.TOOL_CALL_STARTED, ACTING);
        TABLE.get(ACTING).put(EventKind.TOOL_CALL_COMPLETED, ACTING);
        TABLE.get(ACTING).put(EventKind.TOOL_CALL_FAILED, ACTING);
        TABLE.get(ACTING).put(EventKind.TOOL_CALL_REJECTED, ACTING);
        TABLE.get(ACTING).put(EventKind.TOOL_CALL_IN_DOUBT, IN_DOUBT);
        // A resolution settles the call (done) or clears it for another invocation (retry);
        // RunFold picks ACTING or AWAITING_MODEL. A failing resolution leaves the state for the
        // run_failed that follows it.
        TABLE.get(ACTING).put(EventKind.TOOL_CALL_RESOLVED, ACTING);
        TABLE.get(IN_DOUBT).put(EventKind.TOOL_CALL_RESOLVED, ACTING);
        // A call that needs approval waits in AWAITING_APPROVAL; the decision returns the run to
        // ACTING with the call still pending (approved: it proceeds; denied: it is rejected).
        TABLE.get(ACTING).put(EventKind.APPROVAL_REQUESTED, AWAITING_APPROVAL);
        TABLE.get(AWAITING_APPROVAL).put(EventKind.APPROVAL_DECIDED, ACTING);
        // A delegation waits in AWAITING_CHILDREN; the children's results settle the call and the
        // run goes on (RunFold picks ACTING or AWAITING_MODEL). A handoff settles its call at once.
        TABLE.get(ACTING).put(EventKind.CHILDREN_STARTED, AWAITING_CHILDREN);
        TABLE.get(AWAITING_CHILDREN).put(EventKind.CHILDREN_FINISHED, ACTING);
        TABLE.get(ACTING).put(EventKind.HANDED_OFF, ACTING);
        for (RunState s : EnumSet.of(AWAITING_MODEL, ACTING, ANSWERED, IN_DOUBT, AWAITING_APPROVAL, AWAITING_CHILDREN)) {
            TABLE.get(s).put(EventKind.RUN_FAILED, FAILED);
            TABLE.get(s).put(EventKind.RUN_CANCELLED, CANCELLED);
            TABLE.get(s).put(EventKind.RUN_INTERRUPTED, s);
        }
        for (RunState s : EnumSet.of(AWAITING_MODEL, ACTING, ANSWERED)) {
            TABLE.get(s).put(EventKind.RUN_LIMITED, LIMITED);
            TABLE.get(s).put(EventKind.RUN_STUCK, STUCK);
            TABLE.get(s).put(EventKind.RUN_BUDGET_EXHAUSTED, BUDGET_EXHAUSTED);
        }
    }

    /** The state an event of this kind leads to from this state, or empty when it is illegal. */
    public Optional<RunState> next(EventKind kind) {
        return Optional.ofNullable(TABLE.get(this).get(kind));
    }

    /** The kinds of event legal in this state. */
    public Set<EventKind> accepted() {
        Map<EventKind, RunState> row = TABLE.get(this);
        return row.isEmpty() ? EnumSet.noneOf(EventKind.class) : EnumSet.copyOf(row.keySet());
    }

    /** True for the states a run never leaves. */
    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == LIMITED || this == STUCK
                || this == BUDGET_EXHAUSTED;
    }

    /**
     * True for a run that cannot go on until a person decides (see {@link #IN_DOUBT}), or until
     * an approval is decided or expires ({@link #AWAITING_APPROVAL}).
     */
    public boolean awaitsHuman() {
        return this == IN_DOUBT || this == AWAITING_APPROVAL;
    }

    /** The lower-case name used in the CLI, the API and JSON. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
