package io.myriad.core.journal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.myriad.core.model.Message;
import io.myriad.core.model.Usage;
import java.util.List;
import java.util.Objects;

/**
 * Everything that happens to a run, as it is written to the journal. The journal of a run is the
 * sequence of these events; folding them (see {@code io.myriad.core.run.RunFold}) rebuilds the
 * run's state exactly, which is how a run resumes after a crash.
 *
 * <p>Events are facts: they are never edited or removed. Type names are part of the stored
 * format; renaming one breaks the replay of old journals.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = RunEvent.RunStarted.class, name = "run_started"),
    @JsonSubTypes.Type(value = RunEvent.ModelRetried.class, name = "model_retried"),
    @JsonSubTypes.Type(value = RunEvent.ModelResponded.class, name = "model_responded"),
    @JsonSubTypes.Type(value = RunEvent.OutputRejected.class, name = "output_rejected"),
    @JsonSubTypes.Type(value = RunEvent.ToolCallStarted.class, name = "tool_call_started"),
    @JsonSubTypes.Type(value = RunEvent.ToolCallCompleted.class, name = "tool_call_completed"),
    @JsonSubTypes.Type(value = RunEvent.ToolCallFailed.class, name = "tool_call_failed"),
    @JsonSubTypes.Type(value = RunEvent.ToolCallRejected.class, name = "tool_call_rejected"),
    @JsonSubTypes.Type(value = RunEvent.RunSucceeded.class, name = "run_succeeded"),
    @JsonSubTypes.Type(value = RunEvent.RunFailed.class, name = "run_failed"),
    @JsonSubTypes.Type(value = RunEvent.RunCancelled.class, name = "run_cancelled"),
    @JsonSubTypes.Type(value = RunEvent.RunLimited.class, name = "run_limited"),
    @JsonSubTypes.Type(value = RunEvent.ToolCallInDoubt.class, name = "tool_call_in_doubt"),
    @JsonSubTypes.Type(value = RunEvent.ToolCallResolved.class, name = "tool_call_resolved"),
    @JsonSubTypes.Type(value = RunEvent.RunStuck.class, name = "run_stuck"),
    @JsonSubTypes.Type(value = RunEvent.RunInterrupted.class, name = "run_interrupted"),
    @JsonSubTypes.Type(value = RunEvent.RunBudgetExhausted.class, name = "run_budget_exhausted"),
    @JsonSubTypes.Type(value = RunEvent.ApprovalRequested.class, name = "approval_requested"),
    @JsonSubTypes.Type(value = RunEvent.ApprovalDecided.class, name = "approval_decided"),
    @JsonSubTypes.Type(value = RunEvent.ChildrenStarted.class, name = "children_started"),
    @JsonSubTypes.Type(value = RunEvent.ChildrenFinished.class, name = "children_finished"),
    @JsonSubTypes.Type(value = RunEvent.HandedOff.class, name = "handed_off"),
})
public sealed interface RunEvent {

    /** Milliseconds since the epoch when the event happened. */
    long at();

    /**
     * A run began: who it is, what it works on. Always the first event.
     *
     * @param capTokens for a child run, its share of the parent's token budget (its
     *                  {@code max_tokens} is at most this); null otherwise and in older journals
     * @param capUsd    for a child run, its share of the parent's dollar budget; null otherwise
     */
    record RunStarted(long at, String fleet, String execution, String task, String agent, String input, String model,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long capTokens,
            @JsonInclude(JsonInclude.Include.NON_NULL) Double capUsd)
            implements RunEvent {
        public RunStarted {
            Objects.requireNonNull(fleet, "fleet");
            Objects.requireNonNull(execution, "execution");
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(model, "model");
        }

        /** A run without budget caps from a parent. */
        public RunStarted(long at, String fleet, String execution, String task, String agent, String input, String model) {
            this(at, fleet, execution, task, agent, input, model, null, null);
        }
    }

    /**
     * A model call failed and will be attempted again after {@code waitMillis}; with
     * {@code fallback}, the next attempts go to the agent's fallback model (until a response).
     */
    record ModelRetried(long at, int attempt, String error, long waitMillis, boolean fallback) implements RunEvent {
        public ModelRetried {
            Objects.requireNonNull(error, "error");
        }

        /** A retry on the same model. */
        public ModelRetried(long at, int attempt, String error, long waitMillis) {
            this(at, attempt, error, waitMillis, false);
        }
    }

    /**
     * The model answered. Once journaled, this response is never requested again: replay reads it.
     * Tool call ids in {@code message} are unique within the run.
     */
    record ModelResponded(long at, Message.Assistant message, Usage usage, double costUsd, long latencyMillis, String model)
            implements RunEvent {
        public ModelResponded {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(usage, "usage");
            Objects.requireNonNull(model, "model");
        }
    }

    /** The final answer did not satisfy the agent's output schema; the model is asked again. */
    record OutputRejected(long at, List<String> problems) implements RunEvent {
        public OutputRejected {
            problems = List.copyOf(problems);
        }
    }

    /**
     * A tool is about to be invoked. An intent: a crash after it leaves the call in doubt.
     *
     * @param rule the id of the policy rule that allowed the call; null when the fleet has no
     *             policy, and in journals written before policies (the field is then absent)
     */
    record ToolCallStarted(long at, String callId, String tool, String idempotencyKey,
            @JsonInclude(JsonInclude.Include.NON_NULL) String rule) implements RunEvent {
        public ToolCallStarted {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        }

        /** An intent no policy rule decided. */
        public ToolCallStarted(long at, String callId, String tool, String idempotencyKey) {
            this(at, callId, tool, idempotencyKey, null);
        }

        /** The rule that allowed the call, when a policy decided it. */
        public java.util.Optional<String> ruleIfAny() {
            return java.util.Optional.ofNullable(rule);
        }
    }

    /** The tool returned a result. A completed call is never invoked again. */
    record ToolCallCompleted(long at, String callId, String result, long durationMillis) implements RunEvent {
        public ToolCallCompleted {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(result, "result");
        }
    }

    /** The tool ran and reported an error; the error goes back to the model. */
    record ToolCallFailed(long at, String callId, String error, long durationMillis) implements RunEvent {
        public ToolCallFailed {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(error, "error");
        }
    }

    /** The call was refused before any invocation (unknown tool, invalid arguments); the reason goes back to the model. */
    record ToolCallRejected(long at, String callId, String reason) implements RunEvent {
        public ToolCallRejected {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The run finished with an answer. */
    record RunSucceeded(long at, String output) implements RunEvent {
        public RunSucceeded {
            Objects.requireNonNull(output, "output");
        }
    }

    /** The run cannot go on. {@code reason} is a stable code, {@code message} says what to do. */
    record RunFailed(long at, String reason, String message) implements RunEvent {
        public RunFailed {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    /** Someone stopped the run. */
    record RunCancelled(long at, String reason) implements RunEvent {
        public RunCancelled {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The run reached one of its limits: {@code max_steps}, {@code max_tokens} or {@code max_wall}. */
    record RunLimited(long at, String limit, String message) implements RunEvent {
        public RunLimited {
            Objects.requireNonNull(limit, "limit");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * On recovery, a call journaled as started but not settled belongs to a tool that may not be
     * invoked again blindly, and its tool could not say what happened. The run waits for a human
     * decision ({@link ToolCallResolved}); nothing is retried until then.
     */
    record ToolCallInDoubt(long at, String callId, String tool, String idempotencyKey, String reason) implements RunEvent {
        public ToolCallInDoubt {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(idempotencyKey, "idempotencyKey");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * What was decided about a call whose outcome was unknown, and by whom: the tool's own
     * reconciliation ({@code by = "reconcile"}) or a person ({@code by = "human:<name>"}).
     *
     * @param decision {@code done}: the call did happen, {@code result} is its result;
     *                 {@code retry}: invoke it again with the same idempotency key;
     *                 {@code fail}: the run fails (a {@link RunFailed} follows)
     */
    record ToolCallResolved(long at, String callId, String decision, String result, String by, String comment)
            implements RunEvent {
        /** The decisions, as stored. */
        public static final List<String> DECISIONS = List.of("done", "retry", "fail");

        public ToolCallResolved {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(decision, "decision");
            if (!DECISIONS.contains(decision)) {
                throw new IllegalArgumentException("decision must be one of " + DECISIONS + ", not " + decision);
            }
            result = result == null ? "" : result;
            Objects.requireNonNull(by, "by");
            comment = comment == null ? "" : comment;
        }
    }

    /**
     * The run was going nowhere: it repeated the same tool call ({@code repeated_call}) or made no
     * progress for too many steps ({@code no_progress}); ended before burning its step limit.
     */
    record RunStuck(long at, String reason, String message) implements RunEvent {
        public RunStuck {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * The process shut down gracefully while the run was unfinished; the run resumes from here on
     * the next start. Changes no state: it marks the gap in the transcript.
     */
    record RunInterrupted(long at, String reason) implements RunEvent {
        public RunInterrupted {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * A model call, tool call or step was not admitted because its worst case did not fit in a
     * budget: nothing was sent. The run ends here.
     *
     * @param scope    {@code tenant}, {@code fleet} or {@code run}
     * @param owner    the tenant, execution or run whose ceiling it is
     * @param resource {@code tokens}, {@code usd}, {@code steps}, {@code tool_calls} or {@code wall}
     * @param spent    spent (and reserved by calls in flight) in that scope when it was refused
     * @param ceiling  the ceiling
     * @param needed   the worst case of what was asked (tokens, USD, 1 step or call, elapsed ms)
     */
    record RunBudgetExhausted(long at, String scope, String owner, String resource, double spent, double ceiling,
            double needed, String message) implements RunEvent {
        public RunBudgetExhausted {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(resource, "resource");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * A policy rule said the call needs a person's approval: the run waits (no thread) until an
     * {@link ApprovalDecided} for this call and idempotency key, or until {@code expiresAt}, when
     * the wait ends as a denial.
     */
    record ApprovalRequested(long at, String callId, String tool, String idempotencyKey, String rule, long expiresAt)
            implements RunEvent {
        public ApprovalRequested {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(idempotencyKey, "idempotencyKey");
            Objects.requireNonNull(rule, "rule");
        }
    }

    /**
     * The decision on a requested approval, bound to the call and its idempotency key.
     *
     * @param by who decided: a principal's actor ({@code key:k_1}, {@code user:ana}) or
     *           {@link #EXPIRY} when the approval expired (always a denial)
     */
    record ApprovalDecided(long at, String callId, String idempotencyKey, boolean approved, String by, String comment)
            implements RunEvent {
        /** The {@code by} of a denial by expiry. */
        public static final String EXPIRY = "expiry";

        public ApprovalDecided {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(idempotencyKey, "idempotencyKey");
            Objects.requireNonNull(by, "by");
            comment = comment == null ? "" : comment;
            if (approved && by.equals(EXPIRY)) {
                throw new IllegalArgumentException("an expired approval is a denial, never an approval");
            }
        }
    }

    /**
     * The run delegated: {@code count} child runs, tasks {@code <task>~<first>} to
     * {@code <task>~<first + count - 1>} of the same execution, made from the arguments of the
     * {@code delegate} call {@code callId}. The intent: the children are created after it (a
     * crash in between creates the missing ones on recovery, never one twice) and the run waits.
     */
    record ChildrenStarted(long at, String callId, String idempotencyKey, int first, int count) implements RunEvent {
        public ChildrenStarted {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(idempotencyKey, "idempotencyKey");
            if (first < 1 || count < 1) {
                throw new IllegalArgumentException("children are numbered from 1 and at least one is started");
            }
        }
    }

    /**
     * Every child of the delegation was final: {@code result} (what the model reads, one entry
     * per child) settles the {@code delegate} call. {@code tokens} and {@code costUsd} are what the
     * children (and their own children) spent: they count against this run's limits.
     */
    record ChildrenFinished(long at, String callId, String result, int succeeded, int failed, long tokens, double costUsd)
            implements RunEvent {
        public ChildrenFinished {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(result, "result");
        }
    }

    /**
     * The run's conversation was handed from agent {@code from} to agent {@code to} by the
     * {@code handoff} call {@code callId}: from the next step on, {@code to}'s instructions, tools,
     * policy and limits drive the run.
     */
    record HandedOff(long at, String callId, String from, String to, String note) implements RunEvent {
        public HandedOff {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            note = note == null ? "" : note;
        }
    }
}
