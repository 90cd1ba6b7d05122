package io.myriad.core.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.budget.Amount;
import io.myriad.core.budget.BudgetLedger;
import io.myriad.core.budget.BudgetRefusal;
import io.myriad.core.budget.Budgets;
import io.myriad.core.fleet.Limits;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.policy.Decision;
import io.myriad.core.policy.Policy;
import io.myriad.core.policy.Request;
import io.myriad.core.secret.Redactor;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Reconciliation;
import io.myriad.core.tool.SchemaValidator;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.Cancellation;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;

/**
 * Drives one run from its journaled state to a final state.
 *
 * <p>The loop of DESIGN.md: check limits, ask the model (retrying what can be retried), journal
 * the response, settle each tool call (validate, journal the intent, invoke, journal the
 * outcome), until the model answers without tool calls. Every decision is journaled before it
 * has effects outside the process, so that {@link #drive} can be called again on the same run
 * after a crash and continue without repeating a completed tool call or a journaled model call.
 *
 * <p>Each valid call is decided by the agent's {@link Policy} before anything else: a denied call
 * is journaled as rejected with the rule that decided, and the model reads why; an allowed call's
 * intent names the rule that allowed it. A call that needs approval journals
 * {@code approval_requested} and the run waits in {@link RunState#AWAITING_APPROVAL} (no thread);
 * once approved it proceeds exactly as an allowed call, once denied or expired it is rejected.
 * Expiry is read from the injected clock whenever the run advances: an expired approval is a
 * denial, never an approval.
 *
 * <p>A read-only tool needs no durable intent: it is invoked first and only its outcome is
 * journaled, which saves an append and an event per read.
 */
public final class RunLoop {
    static final int MAX_RESULT_CHARS = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Journal journal;
    private final SchemaValidator validator;
    private final InstantSource clock;
    private final Sleeper sleeper;
    private final RandomGenerator random;
    private final Path workspaceRoot;
    /** The fleet's policy set while it runs ({@code myriad policy set}); null: each agent's own. */
    private final java.util.concurrent.atomic.AtomicReference<io.myriad.core.policy.Policy> policyOverride =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** A run's fence for its tool calls: its owner epoch in a cluster, else 0. */
    private final java.util.function.ToLongFunction<String> fences;
    private final RetryPolicy retry;
    private final ThreadFactory toolThreads;
    private final Redactor redactor;
    private final BudgetLedger budgets; // null: no budgets

    /** The tenant whose policy rules apply (rules may name a tenant). */
    private final String tenant;

    private RunLoop(Builder b) {
        this.journal = Objects.requireNonNull(b.journal, "journal");
        this.validator = Objects.requireNonNull(b.validator, "validator");
        this.tenant = Objects.requireNonNull(b.tenant, "tenant");
        this.clock = b.clock;
        this.sleeper = b.sleeper;
        this.random = b.random;
        this.workspaceRoot = Objects.requireNonNull(b.workspaceRoot, "workspaceRoot");
        this.fences = b.fences;
        this.retry = b.retry;
        this.toolThreads = b.toolThreads;
        this.redactor = b.redactor;
        this.budgets = b.budgets;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How model calls are retried: attempts in all, and the exponential back-off between them. */
    public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {
        public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(250), Duration.ofSeconds(20));

        public RetryPolicy {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
        }
    }

    /** Starts a new run: journals {@code RunStarted} at seq 0 and drives it. */
    public RunFold start(String runId, RunEvent.RunStarted started, AgentRuntime agent, BooleanSupplier cancelled) {
        RunFold fold = new RunFold();
        start(runId, started, fold);
        return drive(runId, fold, agent, cancelled);
    }

    /** Journals {@code RunStarted} at seq 0 into an empty fold. */
    public void start(String runId, RunEvent.RunStarted started, RunFold fold) {
        append(runId, fold, List.of(started));
    }

    /**
     * Continues a run from its folded journal until it is final, blocking the calling (virtual)
     * thread during model calls, and returns the final fold.
     *
     * @throws io.myriad.core.journal.JournalFenceException when another writer took the run over
     */
    public RunFold drive(String runId, RunFold fold, AgentRuntime agent, BooleanSupplier cancelled) {
        while (next(runId, fold, agent, cancelled, NEVER) == Next.MODEL) {
            ModelRequest request = request(runId, fold, agent);
            BudgetLedger.Reservation held;
            try {
                held = reserve(runId, fold, agent, request);
            } catch (BudgetRefusal refusal) {
                exhausted(runId, fold, refusal.refused());
                continue;
            }
            long begin = now();
            try {
                ModelResponse response = modelFor(fold, agent).provider().complete(request);
                settle(held, fold, agent, response);
                onModelResponse(runId, fold, agent, response, now() - begin);
            } catch (ModelException e) {
                release(held);
                long wait = onModelFailure(runId, fold, agent, e);
                if (wait > 0) {
                    sleeper.sleep(Duration.ofMillis(wait));
                }
            }
        }
        return fold;
    }

    private static final BooleanSupplier NEVER = () -> false;

    /** What a run needs after {@link #next}. */
    public enum Next {
        /** A model call: build it with {@link #request}, send it to {@link #modelFor}'s provider. */
        MODEL,
        /** Nothing: the run is final. */
        FINAL,
        /** A person's decision on a call in doubt ({@link RunState#IN_DOUBT}); nothing runs until then. */
        AWAITS_HUMAN,
        /** Nothing now: the engine is shutting down; the run resumes on the next start. */
        PAUSED,
        /**
         * Nothing now: a call needs an approval and the fleet's queue of pending approvals is full;
         * nothing was journaled for it. Drive the run again when a slot frees.
         */
        THROTTLED,
        /**
         * Nothing now: the run waits for its children ({@link RunState#AWAITING_CHILDREN}); start
         * those not final ({@link #children}), and once all are, {@link #childrenFinished}.
         */
        AWAITS_CHILDREN
    }

    /**
     * Journals the expiry of the approval a run waits for, when its time has passed: a denial
     * by {@code expiry}. Returns true when it did.
     */
    private boolean expire(String runId, RunFold fold) {
        RunEvent.ApprovalRequested request = fold.awaitingApproval().orElseThrow();
        long now = now();
        if (now < request.expiresAt()) {
            return false;
        }
        append(runId, fold, List.of(expiry(request, now)));
        return true;
    }

    /** The denial an expired approval becomes. */
    static RunEvent.ApprovalDecided expiry(RunEvent.ApprovalRequested request, long now) {
        return new RunEvent.ApprovalDecided(now, request.callId(), request.idempotencyKey(), false,
                RunEvent.ApprovalDecided.EXPIRY, "approval expired after " + describeWait(request.expiresAt() - request.at()));
    }

    /** A wait as people write it: 24h, 90m, 30s, 250ms. */
    static String describeWait(long millis) {
        Duration d = Duration.ofMillis(Math.max(0, millis));
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        if (d.toSeconds() % 60 != 0) {
            return d.toSeconds() + "s";
        }
        if (d.toMinutes() % 60 != 0) {
            return d.toMinutes() + "m";
        }
        return d.toHours() + "h";
    }

    /**
     * Moves a run forward without calling the model: checks cancellation and limits, settles the
     * tool calls of the last response, judges a final answer. Returns true when the run now needs
     * a model call (build it with {@link #request}), false when it is final or waits for a person.
     */
    public boolean advance(String runId, RunFold fold, AgentRuntime agent, BooleanSupplier cancelled) {
        return next(runId, fold, agent, cancelled, NEVER) == Next.MODEL;
    }

    /**
     * Moves a run forward without calling the model, as far as it goes: checks cancellation,
     * limits and loops, settles the tool calls of the last response (resolving calls in doubt),
     * judges a final answer. {@code pausing} is checked before each tool call: when it turns
     * true the run stops at that boundary, having journaled everything it did.
     */
    public Next next(String runId, RunFold fold, AgentRuntime agent, BooleanSupplier cancelled, BooleanSupplier pausing) {
        return next(runId, fold, agent, stopOf(cancelled), pausing, ApprovalGate.UNLIMITED);
    }

    /** As {@link #next(String, RunFold, AgentRuntime, Stop, BooleanSupplier, ApprovalGate)}, cancelled by a flag. */
    public Next next(String runId, RunFold fold, AgentRuntime agent, BooleanSupplier cancelled, BooleanSupplier pausing,
            ApprovalGate approvals) {
        return next(runId, fold, agent, stopOf(cancelled), pausing, approvals);
    }

    private static Stop stopOf(BooleanSupplier cancelled) {
        return () -> cancelled.getAsBoolean() ? Optional.of("stopped by the operator") : Optional.empty();
    }

    /**
     * Why a run must stop at once, when it must: checked before every tool call and again just
     * before the call leaves (after its intent is journaled). While a tool call runs, the
     * canceller registered with {@link #onKill} cancels it (its thread is interrupted: the
     * sandbox kills its processes); the run then journals {@code run_cancelled} with the reason.
     */
    @FunctionalInterface
    public interface Stop {
        /** Empty while the run may go on; the reason journaled in {@code run_cancelled} otherwise. */
        Optional<String> reason();

        /**
         * Registers {@code cancel} to run when the run is killed while a tool call is in flight
         * (from the killing thread); closing the registration removes it. The default ignores it.
         */
        default Registration onKill(Runnable cancel) {
            return () -> { };
        }

        /**
         * Registers a call's two ways to stop: {@code signal} stops its effect at once and does not
         * block (a sandbox kills its processes), {@code interrupt} ends the thread running it. A
         * kill of many runs signals them all before it interrupts any, so that a thousand woken
         * threads do not slow the signals down. The default runs both, in that order, as one.
         */
        default Registration onKill(Runnable signal, Runnable interrupt) {
            return onKill(() -> {
                signal.run();
                interrupt.run();
            });
        }

        /** A registered canceller; {@link #close} removes it. */
        @FunctionalInterface
        interface Registration extends AutoCloseable {
            @Override
            void close();
        }
    }

    /** Like {@link #next(String, RunFold, AgentRuntime, BooleanSupplier, BooleanSupplier)}, cancelled with a reason. */
    public Next next(String runId, RunFold fold, AgentRuntime agent, Stop stop, BooleanSupplier pausing) {
        return next(runId, fold, agent, stop, pausing, ApprovalGate.UNLIMITED);
    }

    /**
     * Moves a run forward, cancelled with {@code stop}'s reason, asking approvals through
     * {@code approvals}: returns {@link Next#THROTTLED} when a call needs an approval and the
     * gate has no slot (nothing was journaled for that call).
     */
    public Next next(String runId, RunFold fold, AgentRuntime agent, Stop stop, BooleanSupplier pausing,
            ApprovalGate approvals) {
        Limits limits = limits(fold, agent);
        while (!fold.state().isFinal()) {
            Optional<String> why = stop.reason();
            if (why.isPresent()) {
                cancel(runId, fold, why.get());
                return Next.FINAL;
            }
            if (fold.state() == RunState.AWAITING_CHILDREN) {
                return Next.AWAITS_CHILDREN;
            }
            if (fold.state() == RunState.AWAITING_APPROVAL && expire(runId, fold)) {
                continue;
            }
            if (fold.state().awaitsHuman()) {
                return Next.AWAITS_HUMAN;
            }
            if (pausing.getAsBoolean()) {
                return Next.PAUSED;
            }
            switch (fold.state()) {
                case AWAITING_MODEL -> {
                    if (!limitReached(runId, fold, limits) && !idle(runId, fold, limits)) {
                        return Next.MODEL;
                    }
                }
                case ACTING -> {
                    try {
                        if (settleCalls(runId, fold, agent, limits, stop, pausing, approvals)) {
                            return Next.THROTTLED;
                        }
                    } catch (Killed k) {
                        cancel(runId, fold, k.getMessage());
                        return Next.FINAL;
                    }
                }
                case ANSWERED -> judgeAnswer(runId, fold, agent, fold.lastAnswer().orElseThrow().content());
                default -> throw new IllegalTransitionException("run " + runId + " cannot be driven from " + fold.state());
            }
        }
        return Next.FINAL;
    }

    /** Ends a run whose last responses made no progress. */
    private boolean idle(String runId, RunFold fold, Limits limits) {
        if (fold.idleResponses() < limits.maxIdleResponses()) {
            return false;
        }
        append(runId, fold, List.of(new RunEvent.RunStuck(now(), "no_progress",
                "the last " + fold.idleResponses() + " responses only repeated earlier tool calls or made calls that failed;"
                        + " stopped before burning the step limit (limits.max_idle_steps)")));
        return true;
    }

    /** The model the next attempt of this run goes to: the fallback once the primary has failed every attempt. */
    public AgentRuntime.Model modelFor(RunFold fold, AgentRuntime agent) {
        return fold.onFallback() && agent.fallback() != null ? agent.fallback() : agent.primary();
    }

    private boolean limitReached(String runId, RunFold fold, Limits limits) {
        String limit = null;
        String message = null;
        // Time spent waiting for a person's approval is not the run's own wall time.
        long elapsed = now() - fold.started().map(RunEvent.RunStarted::at).orElse(now()) - fold.approvalWaitMillis();
        if (fold.steps() + fold.retries() >= limits.maxSteps()) {
            limit = "max_steps";
            message = "reached " + limits.maxSteps() + " steps (model calls, tool calls and retries) without a final answer;"
                    + " raise limits.max_steps if the task needs more";
        } else if (fold.treeTokens() >= limits.maxTokens()) {
            limit = "max_tokens";
            message = "used " + fold.treeTokens() + " tokens of " + limits.maxTokens()
                    + (fold.treeTokens() > fold.usage().total() ? " (its children's included)" : "")
                    + (fold.started().map(st -> st.capTokens() != null).orElse(false)
                            ? "; its share of its parent's budget" : "; raise limits.max_tokens if the task needs more");
        } else if (elapsed >= limits.maxWall().toMillis()) {
            limit = "max_wall";
            message = "ran for " + Duration.ofMillis(elapsed).toSeconds() + " s of " + limits.maxWall().toSeconds()
                    + " s allowed; raise limits.max_wall if the task needs more";
        }
        if (limit == null) {
            return false;
        }
        append(runId, fold, List.of(new RunEvent.RunLimited(now(), limit, message)));
        return true;
    }

    /**
     * Journals a failed model call: a retry (returns the milliseconds to wait before asking
     * again, 0 for at once) or, when the failure cannot be retried or the attempts are spent,
     * the run's failure (returns -1). When the primary model is spent and the agent has a
     * fallback, the next attempts go to the fallback (journaled as a retry that says so).
     * Attempts are counted from the journal, so they survive restarts.
     */
    public long onModelFailure(String runId, RunFold fold, AgentRuntime agent, ModelException e) {
        int attempt = fold.retriesSinceResponse() + 1;
        int onModel = fold.retriesOnModel() + 1;
        boolean spent = !e.retriable() || onModel >= retry.maxAttempts();
        String error = e.kind() + ": " + e.getMessage();
        if (spent && agent != null && agent.fallback() != null && !fold.onFallback()) {
            append(runId, fold, List.of(new RunEvent.ModelRetried(now(), attempt,
                    error + " (model " + agent.modelName() + " gave up after " + onModel + " attempt" + (onModel == 1 ? "" : "s")
                            + "; falling back to " + agent.fallback().name() + ")", 0, true)));
            return 0;
        }
        if (spent) {
            String reason = e.kind().name().toLowerCase(java.util.Locale.ROOT);
            String tries = attempt > 1 ? " (after " + attempt + " attempts" + (fold.onFallback() ? ", fallback model included" : "") + ")" : "";
            append(runId, fold, List.of(new RunEvent.RunFailed(now(), "model_" + reason, e.getMessage() + tries)));
            return -1;
        }
        long wait = backoff(onModel, e.retryAfterMillis());
        append(runId, fold, List.of(new RunEvent.ModelRetried(now(), attempt, error, wait, fold.onFallback())));
        return wait;
    }

    /** As {@link #onModelFailure(String, RunFold, AgentRuntime, ModelException)} for an agent without fallback. */
    public long onModelFailure(String runId, RunFold fold, ModelException e) {
        return onModelFailure(runId, fold, null, e);
    }

    private long backoff(int attempt, long retryAfterMillis) {
        long cap = Math.min(retry.maxDelay().toMillis(), retry.baseDelay().toMillis() << Math.min(attempt - 1, 20));
        long jittered = cap / 2 + (cap > 1 ? random.nextLong(cap / 2 + 1) : 0);
        return Math.max(jittered, Math.min(retryAfterMillis, retry.maxDelay().toMillis() * 3));
    }

    /** The next model request of a run that {@link #advance} said needs one. */
    public ModelRequest request(String runId, RunFold fold, AgentRuntime agent) {
        List<Message> messages = new ArrayList<>(fold.conversation().size() + 1);
        messages.add(new Message.System(agent.spec().instructions()));
        messages.addAll(fold.conversation());
        long remaining = limits(fold, agent).maxTokens() - fold.treeTokens();
        long maxOut = agent.spec().maxOutputTokens();
        if (maxOut == 0 && remaining < 16_384) {
            maxOut = remaining;
        } else if (maxOut > 0) {
            maxOut = Math.min(maxOut, remaining);
        }
        if (budgets != null && maxOut == 0) {
            // Under a budget every request carries its output bound: the worst case must be known.
            maxOut = Math.min(Budgets.DEFAULT_MAX_OUTPUT_TOKENS, remaining);
        }
        var tools = agent.toolDefinitions();
        return new ModelRequest(
                modelFor(fold, agent).name(), messages, tools,
                tools.isEmpty() ? ModelRequest.ToolChoice.NONE : ModelRequest.ToolChoice.AUTO,
                agent.spec().outputSchema(), Math.max(0, maxOut), agent.spec().temperature(),
                runId, (int) fold.modelCalls() + 1, fold.retriesOnModel() + 1);
    }

    /** Opens the budget scope of a fleet execution under its tenant (nothing without budgets). */
    public void openExecution(String tenant, String execution, io.myriad.core.budget.Ceilings ceilings, long startedAt) {
        if (budgets != null) {
            budgets.execution(tenant, execution, ceilings, startedAt);
        }
    }

    /**
     * Reserves the worst case of {@code request} (prompt bound plus its output bound, priced at the
     * model it goes to, one step) in the run, its execution and its tenant; null when the loop
     * has no budgets.
     *
     * @throws BudgetRefusal when it does not fit in one of them; nothing is held then
     */
    public BudgetLedger.Reservation reserve(String runId, RunFold fold, AgentRuntime agent, ModelRequest request) {
        if (budgets == null) {
            return null;
        }
        long prompt = Budgets.promptTokensBound(request);
        long out = request.maxOutputTokens();
        double usd = modelFor(fold, agent).pricing().cost(prompt, out);
        return admit(runId, fold, limits(fold, agent), Amount.modelCall(prompt + out, usd));
    }

    private BudgetLedger.Reservation admit(String runId, RunFold fold, Limits limits, Amount worst) {
        String execution = fold.started().map(RunEvent.RunStarted::execution).orElse("");
        long tools = fold.steps() - fold.modelCalls();
        Amount runSpent = new Amount(fold.treeTokens(), Amount.nanos(fold.costUsd() + fold.childCostUsd()), fold.steps(),
                Math.max(0, tools));
        return switch (budgets.admit(budgets.tenantOf(execution), execution, runId, limits.budget(), runSpent, worst, now())) {
            case BudgetLedger.Reservation r -> r;
            case BudgetLedger.Refused no -> throw new BudgetRefusal(no);
        };
    }

    /** Replaces a reservation by what the response used, priced as it is journaled. */
    public void settle(BudgetLedger.Reservation held, RunFold fold, AgentRuntime agent, ModelResponse response) {
        if (held != null) {
            double cost = modelFor(fold, agent).pricing().cost(response.usage().promptTokens(), response.usage().completionTokens());
            held.settle(Amount.modelCall(response.usage().total(), cost));
        }
    }

    /** Gives a reservation back: the call failed. */
    public void release(BudgetLedger.Reservation held) {
        if (held != null) {
            held.release();
        }
    }

    /** Journals that a run ends because a call did not fit in a budget. */
    public void exhausted(String runId, RunFold fold, BudgetLedger.Refused refused) {
        append(runId, fold, List.of(new RunEvent.RunBudgetExhausted(now(), refused.level().label(), refused.owner(),
                refused.resource().label(), refused.spent(), refused.ceiling(), refused.needed(), refused.message())));
    }

    /** Admits {@code n} tool calls; false (and the run journaled as budget_exhausted) when they do not fit. */
    private boolean admitTools(String runId, RunFold fold, Limits limits, int n) {
        if (budgets == null) {
            return true;
        }
        try {
            BudgetLedger.Reservation r = admit(runId, fold, limits, Amount.toolCalls(n));
            r.settle(r.held());
            return true;
        } catch (BudgetRefusal refusal) {
            exhausted(runId, fold, refusal.refused());
            return false;
        }
    }

    /** Journals that a run stopped at a step boundary for a graceful shutdown (state unchanged). */
    public void interrupt(String runId, RunFold fold, String reason) {
        append(runId, fold, List.of(new RunEvent.RunInterrupted(now(), reason)));
    }

    /** Journals a model response (with the verdict on a final answer). */
    public void onModelResponse(String runId, RunFold fold, AgentRuntime agent, ModelResponse response, long latency) {
        Message.Assistant message = uniqueCallIds(response.message(), fold);
        AgentRuntime.Model model = modelFor(fold, agent);
        double cost = model.pricing().cost(response.usage().promptTokens(), response.usage().completionTokens());
        var responded = new RunEvent.ModelResponded(
                now(), message, response.usage(), cost, latency, response.model().isEmpty() ? model.name() : response.model());
        if (message.hasToolCalls()) {
            append(runId, fold, List.of(responded));
            return;
        }
        append(runId, fold, List.of(responded, verdict(agent, message.content())));
    }

    /** A journaled answer whose verdict was not journaled (older journals, or a verdict append that failed). */
    private void judgeAnswer(String runId, RunFold fold, AgentRuntime agent, String content) {
        append(runId, fold, List.of(verdict(agent, content)));
    }

    private RunEvent verdict(AgentRuntime agent, String content) {
        List<String> problems = outputProblems(agent, content);
        return problems.isEmpty()
                ? new RunEvent.RunSucceeded(now(), content)
                : new RunEvent.OutputRejected(now(), problems);
    }

    private List<String> outputProblems(AgentRuntime agent, String content) {
        JsonNode schema = agent.spec().outputSchema();
        if (schema == null) {
            return List.of();
        }
        try {
            return validator.validate(schema, JSON.readTree(content));
        } catch (JsonProcessingException e) {
            return List.of("the answer is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    /** Model-chosen call ids may be blank or repeat across steps; ids in the journal are unique per run. */
    private static Message.Assistant uniqueCallIds(Message.Assistant message, RunFold fold) {
        if (!message.hasToolCalls()) {
            return message;
        }
        Set<String> taken = new HashSet<>();
        fold.conversation().forEach(m -> {
            if (m instanceof Message.Assistant a) {
                a.toolCalls().forEach(c -> taken.add(c.id()));
            }
        });
        List<ToolCall> calls = new ArrayList<>();
        boolean changed = false;
        for (int i = 0; i < message.toolCalls().size(); i++) {
            ToolCall c = message.toolCalls().get(i);
            String id = c.id();
            if (id.isBlank() || !taken.add(id)) {
                id = "call_m" + (fold.modelCalls() + 1) + "_" + i;
                taken.add(id);
                changed = true;
            }
            calls.add(new ToolCall(id, c.name(), c.arguments()));
        }
        return changed ? new Message.Assistant(message.content(), calls) : message;
    }

    /** Settles the calls of the last response in order; true when it stopped on a full approval queue. */
    private boolean settleCalls(String runId, RunFold fold, AgentRuntime agent, Limits limits,
            Stop stop, BooleanSupplier pausing, ApprovalGate approvals) {
        if (stop.reason().isEmpty() && !pausing.getAsBoolean() && settleTogether(runId, fold, agent, limits)) {
            return false;
        }
        for (RunFold.Call call : fold.calls()) {
            if (fold.state() != RunState.ACTING || stop.reason().isPresent() || pausing.getAsBoolean()) {
                return false;
            }
            // Decided from the journal alone: a call written by the agent that handed off is never the receiver's.
            if (call.status() == RunFold.CallStatus.PENDING && !fold.agent().equals(fold.responseAgent())) {
                reject(runId, fold, call.call(), "not made: the conversation was handed off to " + fold.agent()
                        + " before this call");
                continue;
            }
            switch (call.status()) {
                case SETTLED -> { }
                case PENDING -> {
                    if (!settlePending(runId, fold, agent, limits, call, approvals, stop)) {
                        return true;
                    }
                }
                case STARTED, CLEARED -> settleInDoubt(runId, fold, agent, call, stop);
            }
        }
        return false;
    }

    /**
     * Runs the calls of a response at once when every one of them is pending, valid, read-only
     * and declared {@code parallel()}: read-only calls need no intent, so their outcomes are
     * journaled together, in the order the model made the calls. Anything else (a write, an
     * invalid call, a limit or a loop about to be hit) goes the one-by-one way, which journals
     * each decision. Returns false when it did nothing.
     */
    private boolean settleTogether(String runId, RunFold fold, AgentRuntime agent, Limits limits) {
        List<RunFold.Call> calls = fold.calls();
        if (calls.size() < 2 || fold.steps() + fold.retries() + calls.size() > limits.maxSteps()) {
            return false;
        }
        List<JsonNode> args = new ArrayList<>(calls.size());
        for (RunFold.Call call : calls) {
            Tool tool = agent.tools().get(call.call().name());
            if (call.status() != RunFold.CallStatus.PENDING || tool == null || !tool.parallel()
                    || tool.effect() != Effect.READ_ONLY || fold.sameOutcomes(call.call()) >= limits.maxRepeats()) {
                return false;
            }
            try {
                JsonNode a = call.call().arguments().isBlank() ? JSON.createObjectNode() : JSON.readTree(call.call().arguments());
                if (!validator.validate(tool.definition().parameters(), a).isEmpty()
                        || !decide(fold, agent, tool, call.call(), a).allowed()) {
                    return false; // the one-by-one way journals the rejection
                }
                args.add(a);
            } catch (JsonProcessingException e) {
                return false;
            }
        }
        if (budgets != null) {
            try {
                BudgetLedger.Reservation r = admit(runId, fold, limits, Amount.toolCalls(calls.size()));
                r.settle(r.held());
            } catch (BudgetRefusal refusal) {
                return false; // the one-by-one way admits what fits and journals the refusal
            }
        }
        List<FutureTask<RunEvent>> running = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            RunFold.Call call = calls.get(i);
            JsonNode a = args.get(i);
            FutureTask<RunEvent> task = new FutureTask<>(() -> invoke(runId, agent.tools().get(call.call().name()), a, call.call(),
                    call, NOT_STOPPED));
            toolThreads.newThread(task).start();
            running.add(task);
        }
        List<RunEvent> outcomes = new ArrayList<>(calls.size());
        for (FutureTask<RunEvent> task : running) {
            try {
                outcomes.add(task.get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("a parallel tool call failed outside its tool", e.getCause());
            } catch (InterruptedException e) {
                running.forEach(t -> t.cancel(true));
                Thread.currentThread().interrupt();
                return false; // nothing journaled: the one-by-one way records each call as interrupted
            }
        }
        append(runId, fold, outcomes);
        return true;
    }

    /**
     * Decides, journals and invokes one pending call. Returns false only when the call needs an
     * approval and the gate has no slot for it (nothing journaled).
     */
    private boolean settlePending(String runId, RunFold fold, AgentRuntime agent, Limits limits, RunFold.Call call,
            ApprovalGate approvals, Stop stop) {
        ToolCall tc = call.call();
        Tool tool = agent.tools().get(tc.name());
        if (tool == null) {
            reject(runId, fold, tc, "unknown tool '" + tc.name() + "'; the tools you may call are: "
                    + String.join(", ", agent.tools().keySet().stream().sorted().toList()));
            return true;
        }
        JsonNode args;
        try {
            args = tc.arguments().isBlank() ? JSON.createObjectNode() : JSON.readTree(tc.arguments());
        } catch (JsonProcessingException e) {
            reject(runId, fold, tc, "arguments are not valid JSON: " + e.getOriginalMessage());
            return true;
        }
        List<String> problems = validator.validate(tool.definition().parameters(), args);
        if (!problems.isEmpty()) {
            reject(runId, fold, tc, "invalid arguments for " + tc.name() + ": " + String.join("; ", problems));
            return true;
        }
        Decision decision = decide(fold, agent, tool, tc, args);
        switch (decision.effect()) {
            case DENY -> {
                reject(runId, fold, tc, decision.explanation());
                return true;
            }
            case NEEDS_APPROVAL -> {
                var decided = fold.approval(tc.id());
                if (decided.isEmpty()) {
                    return requestApproval(runId, fold, tc, call, decision, approvals);
                }
                if (!decided.get().approved()) {
                    reject(runId, fold, tc, denialReason(decided.get()));
                    return true;
                }
                // Approved for this call and idempotency key: it proceeds as an allowed call.
            }
            case ALLOW -> { }
        }
        if (fold.steps() + fold.retries() >= limits.maxSteps()) {
            append(runId, fold, List.of(new RunEvent.RunLimited(now(), "max_steps",
                    "reached " + limits.maxSteps() + " steps (model calls, tool calls and retries) without a final answer;"
                            + " raise limits.max_steps if the task needs more")));
            return true;
        }
        int same = fold.sameOutcomes(tc);
        if (same >= limits.maxRepeats()) {
            append(runId, fold, List.of(new RunEvent.RunStuck(now(), "repeated_call",
                    "called " + tc.name() + " with the same arguments " + (same + 1) + " times and it answered the same "
                            + same + " times; stopped before repeating it again (limits.max_repeats is " + limits.maxRepeats() + ")")));
            return true;
        }
        if (stop.reason().isPresent()) {
            return true; // killed while deciding: no intent, no call; the loop journals the cancellation
        }
        if (!admitTools(runId, fold, limits, 1)) {
            return true; // the run ended: budget exhausted
        }
        if (tool instanceof DelegateTool delegate) {
            delegate(runId, fold, agent, delegate, tc, call, args);
            return true;
        }
        if (tool instanceof HandoffTool handoff) {
            String to = args.path("agent").asText("");
            if (!handoff.agents().contains(to) || to.equals(fold.agent())) {
                reject(runId, fold, tc, "cannot hand off to '" + to + "'; this agent may hand off to "
                        + String.join(", ", handoff.agents().stream().filter(a -> !a.equals(fold.agent())).toList()));
            } else {
                append(runId, fold, List.of(new RunEvent.HandedOff(now(), tc.id(), fold.agent(), to,
                        cap(args.path("note").asText(""), 4000))));
            }
            return true;
        }
        if (tool.effect() != Effect.READ_ONLY) {
            String rule = policyOf(agent).enforced() ? decision.ruleId() : null;
            append(runId, fold, List.of(new RunEvent.ToolCallStarted(now(), tc.id(), tc.name(), call.idempotencyKey(), rule)));
        }
        append(runId, fold, List.of(invoke(runId, tool, args, tc, call, stop)));
        return true;
    }

    /**
     * Journals the intent of a {@code delegate} call ({@code children_started}): the run then
     * waits for its children. A call that asks too much (too many children, too deep, an agent
     * it may not start) is rejected with the reason instead.
     */
    private void delegate(String runId, RunFold fold, AgentRuntime agent, DelegateTool delegate, ToolCall tc, RunFold.Call call,
            JsonNode args) {
        List<DelegateTool.Child> children;
        try {
            children = delegate.plan(args);
        } catch (IllegalArgumentException e) {
            reject(runId, fold, tc, "delegate: " + e.getMessage());
            return;
        }
        var settings = delegate.settings();
        int depth = depth(fold.started().map(RunEvent.RunStarted::task).orElse(""));
        if (depth >= settings.maxDepth()) {
            reject(runId, fold, tc, "delegate: this run is at depth " + depth + " and delegation.max_depth is "
                    + settings.maxDepth() + "; do the work yourself");
            return;
        }
        Limits limits = limits(fold, agent);
        if (fold.treeTokens() >= limits.maxTokens()) {
            reject(runId, fold, tc, "delegate: this run has used its " + limits.maxTokens() + " tokens; none are left to"
                    + " share with children");
            return;
        }
        if (fold.childrenStarted() + children.size() > settings.maxChildren()) {
            reject(runId, fold, tc, "delegate: " + children.size() + " more children would make " + (fold.childrenStarted()
                    + children.size()) + " for this run, over delegation.max_children (" + settings.maxChildren() + ")");
            return;
        }
        append(runId, fold, List.of(new RunEvent.ChildrenStarted(now(), tc.id(), call.idempotencyKey(),
                fold.childrenStarted() + 1, children.size())));
    }

    /** How deep a task is in a delegation tree: 0 for a task of the fleet, 1 for its children, ... */
    public static int depth(String task) {
        int d = 0;
        for (int i = 0; i < task.length(); i++) {
            if (task.charAt(i) == CHILD_SEPARATOR) {
                d++;
            }
        }
        return d;
    }

    /** Separates a child's number from its parent's task id: child 3 of task {@code t} is {@code t~3}. */
    public static final char CHILD_SEPARATOR = '~';

    /** The parent's run id of a child run, or empty for a run that is not a child. */
    public static Optional<String> parentOf(String runId) {
        int colon = runId.indexOf(':');
        int tilde = runId.lastIndexOf(CHILD_SEPARATOR);
        return tilde > colon && colon >= 0 ? Optional.of(runId.substring(0, tilde)) : Optional.empty();
    }

    /** A child run to start for a delegation: its task, and its share of the parent's budget. */
    public record ChildRun(io.myriad.core.fleet.TaskSpec task, Long capTokens, Double capUsd) {}

    /**
     * The children of the delegation the run waits for, in order, each with its task id
     * ({@code <task>~<n>}) and its budget share, derived from the journal alone: the same on every
     * recovery.
     */
    public List<ChildRun> children(RunFold fold, AgentRuntime agent, int priority) {
        RunEvent.ChildrenStarted started = fold.awaitingChildren().orElseThrow(
                () -> new IllegalStateException("the run does not wait for children"));
        RunFold.Call call = fold.calls().stream().filter(c -> c.call().id().equals(started.callId())).findFirst()
                .orElseThrow(() -> new IllegalTransitionException("delegation call " + started.callId() + " is not in the run"));
        if (!(agent.tools().get(call.call().name()) instanceof DelegateTool delegate)) {
            throw new IllegalStateException("agent " + agent.spec().name() + " has no delegate tool to read call "
                    + started.callId() + " with");
        }
        List<DelegateTool.Child> planned;
        try {
            planned = delegate.plan(JSON.readTree(call.call().arguments()));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalTransitionException("journaled delegation " + started.callId() + " no longer reads: " + e.getMessage());
        }
        if (planned.size() != started.count()) {
            throw new IllegalTransitionException("delegation " + started.callId() + " started " + started.count()
                    + " children but its arguments now ask for " + planned.size());
        }
        Limits limits = limits(fold, agent);
        var share = delegate.settings().share();
        // At most an even split: the children together never get more than the parent has left.
        double fraction = Math.min(share.isPresent() ? share.getAsDouble() : 1.0, 1.0 / planned.size());
        long leftTokens = Math.max(0, limits.maxTokens() - fold.treeTokens());
        Long capTokens = Math.max(1L, (long) Math.floor(leftTokens * fraction));
        Double capUsd = limits.maxUsd().isPresent()
                ? Math.max(0, limits.maxUsd().getAsDouble() - fold.costUsd() - fold.childCostUsd()) * fraction : null;
        String task = fold.started().orElseThrow().task();
        List<ChildRun> out = new ArrayList<>(planned.size());
        for (int i = 0; i < planned.size(); i++) {
            DelegateTool.Child c = planned.get(i);
            out.add(new ChildRun(new io.myriad.core.fleet.TaskSpec(task + CHILD_SEPARATOR + (started.first() + i), c.agent(),
                    c.input(), priority), capTokens, capUsd));
        }
        return out;
    }

    /**
     * Journals {@code children_finished}: the children's results (as the model reads them,
     * failures first when they do not all fit) settle the {@code delegate} call; what they spent
     * counts against this run's limits. {@code statuses} holds the status of each child and of its
     * descendants by task id (what they spent is summed); a child without one is reported as not finished.
     */
    public void childrenFinished(String runId, RunFold fold, AgentRuntime agent, List<ChildRun> children,
            java.util.Map<String, RunStatus> statuses) {
        RunEvent.ChildrenStarted started = fold.awaitingChildren().orElseThrow();
        int resultChars = agent.tools().get(DelegateTool.NAME) instanceof DelegateTool d ? d.settings().resultChars()
                : io.myriad.core.fleet.DelegationSpec.DEFAULT.resultChars();
        int succeeded = 0;
        long tokens = 0;
        double cost = 0;
        java.util.Map<String, Integer> byState = new java.util.TreeMap<>();
        for (ChildRun c : children) {
            RunStatus st = statuses.get(c.task().id());
            String state = st == null ? "not_finished" : st.state().label();
            byState.merge(state, 1, Integer::sum);
            if (st != null) {
                succeeded += st.state() == RunState.SUCCEEDED ? 1 : 0;
            }
        }
        // What the children spent, their own children's included: every run of their subtrees.
        java.util.Set<String> ids = new java.util.HashSet<>();
        children.forEach(c -> ids.add(c.task().id()));
        for (var e : statuses.entrySet()) {
            String task = e.getKey();
            String direct = directChild(task, children.getFirst().task().id());
            if (direct != null && ids.contains(direct)) {
                tokens += e.getValue().tokens();
                cost += e.getValue().costUsd();
            }
        }
        // Failures first, then successes in order; each output shortened so that the whole fits.
        List<ChildRun> ordered = new ArrayList<>(children.size());
        children.stream().filter(c -> !isSuccess(statuses.get(c.task().id()))).forEach(ordered::add);
        children.stream().filter(c -> isSuccess(statuses.get(c.task().id()))).forEach(ordered::add);
        int perChild = Math.max(40, resultChars / Math.max(1, children.size()) - 80);
        com.fasterxml.jackson.databind.node.ObjectNode result = JSON.createObjectNode();
        result.put("children", children.size()).put("succeeded", succeeded).put("not_succeeded", children.size() - succeeded);
        result.set("by_state", JSON.valueToTree(byState));
        result.put("tokens", tokens).put("cost_usd", cost);
        com.fasterxml.jackson.databind.node.ArrayNode results = result.putArray("results");
        int used = 200;
        int omitted = 0;
        for (ChildRun c : ordered) {
            RunStatus st = statuses.get(c.task().id());
            String output = st == null ? "the child did not finish" : st.detail();
            if (output.length() > perChild) {
                output = output.substring(0, perChild) + "…";
            }
            int size = c.task().id().length() + c.task().agent().length() + output.length() + 60;
            if (used + size > resultChars) {
                omitted++;
                continue;
            }
            used += size;
            results.addObject().put("task", c.task().id()).put("agent", c.task().agent())
                    .put("state", st == null ? "not_finished" : st.state().label()).put("output", output);
        }
        if (omitted > 0) {
            result.put("omitted", omitted).put("note", omitted + " results did not fit (delegation.result_chars); read them with"
                    + " myriad runs ls --execution " + fold.started().map(RunEvent.RunStarted::execution).orElse(""));
        }
        append(runId, fold, List.of(new RunEvent.ChildrenFinished(now(), started.callId(), result.toString(), succeeded,
                children.size() - succeeded, tokens, cost)));
    }

    /** The child of the delegating task that {@code task} is or descends from, given one child's id; null if none. */
    private static String directChild(String task, String aChild) {
        int parentLength = aChild.lastIndexOf(CHILD_SEPARATOR);
        if (task.length() <= parentLength + 1 || !task.regionMatches(0, aChild, 0, parentLength + 1)) {
            return null;
        }
        int next = task.indexOf(CHILD_SEPARATOR, parentLength + 1);
        return next < 0 ? task : task.substring(0, next);
    }

    private static boolean isSuccess(RunStatus st) {
        return st != null && st.state() == RunState.SUCCEEDED;
    }

    /**
     * The limits a run is held to: its agent's, within the share of its parent's budget it was
     * given when it is a child.
     */
    public static Limits limits(RunFold fold, AgentRuntime agent) {
        Limits base = agent.spec().limits();
        RunEvent.RunStarted st = fold.started().orElse(null);
        if (st == null || st.capTokens() == null && st.capUsd() == null) {
            return base;
        }
        long tokens = st.capTokens() == null ? base.maxTokens() : Math.max(1, Math.min(base.maxTokens(), st.capTokens()));
        java.util.OptionalDouble usd = st.capUsd() == null ? base.maxUsd()
                : java.util.OptionalDouble.of(base.maxUsd().isPresent() ? Math.min(base.maxUsd().getAsDouble(), st.capUsd()) : st.capUsd());
        return new Limits(base.maxSteps(), tokens, base.maxWall(), base.maxRepeats(), base.maxIdleResponses(), usd,
                base.maxToolCalls());
    }

    /** Journals an approval request when the gate has a slot; false (nothing journaled) when it has none. */
    private boolean requestApproval(String runId, RunFold fold, ToolCall tc, RunFold.Call call, Decision decision,
            ApprovalGate approvals) {
        if (!approvals.tryReserve(runId)) {
            return false;
        }
        long now = now();
        try {
            append(runId, fold, List.of(new RunEvent.ApprovalRequested(now, tc.id(), tc.name(), call.idempotencyKey(),
                    decision.ruleId(), now + approvals.expireAfter().toMillis())));
        } catch (RuntimeException e) {
            approvals.release(runId);
            throw e;
        }
        return true;
    }

    /** What the model reads about a denied or expired approval. */
    static String denialReason(RunEvent.ApprovalDecided d) {
        if (d.by().equals(RunEvent.ApprovalDecided.EXPIRY)) {
            return (d.comment().isBlank() ? "approval expired" : d.comment()) + ": denied; the call was not made";
        }
        return "denied by " + d.by() + (d.comment().isBlank() ? "" : ": " + d.comment()) + "; the call was not made";
    }

    /**
     * From now on every call of every run of this loop is decided by {@code policy} instead of its
     * agent's (an operator replaced the fleet's policy while it runs); the next tool call already is.
     */
    public void policy(io.myriad.core.policy.Policy policy) {
        policyOverride.set(Objects.requireNonNull(policy, "policy"));
    }

    /** The policy in force for an agent: the one set while the fleet runs, else the agent's. */
    private io.myriad.core.policy.Policy policyOf(AgentRuntime agent) {
        io.myriad.core.policy.Policy set = policyOverride.get();
        return set != null ? set : agent.policy();
    }

    /** The agent's policy on one validated call of a run of this loop's tenant. */
    private Decision decide(RunFold fold, AgentRuntime agent, Tool tool, ToolCall tc, JsonNode args) {
        io.myriad.core.policy.Policy policy = policyOf(agent);
        if (!policy.enforced()) {
            return NO_POLICY;
        }
        String fleet = fold.started().map(RunEvent.RunStarted::fleet).orElse("");
        return policy.decide(new Request(tenant, fleet, agent.spec().name(), tc.name(), tool.effect(), args));
    }

    private static final Decision NO_POLICY = Policy.NONE.decide(
            new Request(Request.DEFAULT_TENANT, "", "", "", Effect.READ_ONLY, JSON.createObjectNode()));

    /**
     * A call journaled as started but not settled: the process died while it ran. Invoked again
     * (same idempotency key) when the tool is read-only or idempotent, or when a decision cleared
     * it; otherwise the tool is asked to reconcile, and when it cannot tell, the run waits for a
     * person. Never a silent retry.
     */
    private void settleInDoubt(String runId, RunFold fold, AgentRuntime agent, RunFold.Call call, Stop stop) {
        ToolCall tc = call.call();
        Tool tool = agent.tools().get(tc.name());
        if (tool == null) {
            append(runId, fold, List.of(new RunEvent.ToolCallInDoubt(now(), tc.id(), tc.name(), call.idempotencyKey(),
                    "tool " + tc.name() + " was running when the process stopped and is no longer available to check it")));
            return;
        }
        JsonNode args;
        try {
            args = tc.arguments().isBlank() ? JSON.createObjectNode() : JSON.readTree(tc.arguments());
        } catch (JsonProcessingException e) {
            throw new IllegalTransitionException("journaled arguments of started call " + tc.id() + " do not parse");
        }
        if (call.status() == RunFold.CallStatus.CLEARED && !tool.effect().safeToRetry()) {
            // Cleared for one more attempt: journal the intent again, so a crash during this
            // attempt leaves the call in doubt again instead of invoking it a third time.
            append(runId, fold, List.of(new RunEvent.ToolCallStarted(now(), tc.id(), tc.name(), call.idempotencyKey())));
            append(runId, fold, List.of(invoke(runId, tool, args, tc, call, stop)));
            return;
        }
        if (call.status() == RunFold.CallStatus.CLEARED || tool.effect().safeToRetry()) {
            append(runId, fold, List.of(invoke(runId, tool, args, tc, call, stop)));
            return;
        }
        Reconciliation answer;
        try {
            answer = tool.reconcile(args, context(runId, tc, call));
        } catch (RuntimeException e) {
            answer = new Reconciliation.Unknown("reconcile failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        switch (answer) {
            case Reconciliation.Done d -> append(runId, fold, List.of(new RunEvent.ToolCallResolved(
                    now(), tc.id(), "done", cap((d.result().error() ? "ERROR: " : "") + d.result().content()), "reconcile",
                    "the tool found the call's effect under its idempotency key")));
            case Reconciliation.NotDone n -> append(runId, fold, List.of(new RunEvent.ToolCallResolved(
                    now(), tc.id(), "retry", "", "reconcile", cap(n.evidence()))));
            case Reconciliation.Unknown u -> {
                String effect = tool.effect().name().toLowerCase(java.util.Locale.ROOT);
                append(runId, fold, List.of(new RunEvent.ToolCallInDoubt(now(), tc.id(), tc.name(), call.idempotencyKey(),
                        "tool call " + tc.id() + " (" + tc.name() + ", " + effect + ") was running when the process stopped;"
                                + " its outcome is unknown (" + u.why() + "). Check its effect (idempotency key "
                                + call.idempotencyKey() + "), then decide: myriad runs resolve " + runId + " --retry | --done RESULT | --fail")));
            }
        }
    }

    private ToolContext context(String runId, ToolCall tc, RunFold.Call call) {
        return new ToolContext(runId, tc.id(), call.idempotencyKey(), workspaceRoot.resolve(workspaceName(runId)),
                new io.myriad.core.tool.Cancellation(), fences.applyAsLong(runId));
    }

    /**
     * Invokes the tool on a thread of its own and waits at most the tool's {@link Tool#timeout()}.
     * A call that does not return in time is interrupted and left behind: it may still take
     * effect. When invoking it again is safe (read-only, idempotent) that is a failure the model
     * reads; otherwise the call stays started and goes in doubt, so a person (or recovery)
     * decides, exactly as after a crash during the call.
     */
    private RunEvent invoke(String runId, Tool tool, JsonNode args, ToolCall tc, RunFold.Call call, Stop stop) {
        long begin = now();
        int max = tool.maxOutputChars() > 0 ? tool.maxOutputChars() : Tool.DEFAULT_MAX_OUTPUT_CHARS;
        ToolContext context = context(runId, tc, call);
        FutureTask<ToolResult> task = new FutureTask<>(() -> tool.invoke(args, context));
        Cancellation cancellation = context.cancellation();
        Duration timeout = tool.timeout() != null && tool.timeout().isPositive() ? tool.timeout() : Tool.DEFAULT_TIMEOUT;
        String stopped;
        try {
            // The last check before an effect leaves: a kill seen from here on cancels the call below.
            Optional<String> killed = stop.reason();
            if (killed.isPresent()) {
                throw new Killed(killed.get() + "; tool call " + tc.id() + " (" + tc.name() + ") was not made");
            }
            toolThreads.newThread(task).start();
            ToolResult result = awaitUnlessKilled(task, cancellation, timeout, stop, tc);
            if (result == null) {
                return new RunEvent.ToolCallFailed(now(), tc.id(), "tool " + tc.name() + " returned no result", now() - begin);
            }
            String content = cap(result.content(), max);
            return result.error()
                    ? new RunEvent.ToolCallFailed(now(), tc.id(), content, now() - begin)
                    : new RunEvent.ToolCallCompleted(now(), tc.id(), content, now() - begin);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ToolException te) {
                return new RunEvent.ToolCallFailed(now(), tc.id(), cap(te.getMessage(), max), now() - begin);
            }
            if (cause instanceof Error err) {
                throw err;
            }
            return new RunEvent.ToolCallFailed(now(), tc.id(), cap("tool " + tc.name() + " crashed: "
                    + cause.getClass().getSimpleName() + ": " + cause.getMessage(), max), now() - begin);
        } catch (TimeoutException e) {
            task.cancel(true);
            stopped = "timed out after " + describe(timeout);
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            stopped = "was interrupted while waiting for it";
        }
        String effect = tool.effect().name().toLowerCase(java.util.Locale.ROOT);
        if (tool.effect() == Effect.READ_ONLY) {
            return new RunEvent.ToolCallFailed(now(), tc.id(), "tool " + tc.name() + " " + stopped
                    + " and was stopped; it changes nothing, so calling it again is safe", now() - begin);
        }
        if (tool.effect() == Effect.IDEMPOTENT) {
            return new RunEvent.ToolCallFailed(now(), tc.id(), "tool " + tc.name() + " " + stopped
                    + " and was stopped; its outcome is unknown (it may still take effect), but it is idempotent,"
                    + " so calling it again with the same arguments is safe", now() - begin);
        }
        return new RunEvent.ToolCallInDoubt(now(), tc.id(), tc.name(), call.idempotencyKey(),
                "tool call " + tc.id() + " (" + tc.name() + ", " + effect + ") " + stopped
                        + " and was stopped, but it may still take effect; its outcome is unknown. Check its effect"
                        + " (idempotency key " + call.idempotencyKey() + "), then decide: myriad runs resolve "
                        + runId + " --retry | --done RESULT | --fail");
    }

    /** Waits for the call like {@code task.get(timeout)}; a kill meanwhile cancels it (and interrupts the tool). */
    private static ToolResult awaitUnlessKilled(FutureTask<ToolResult> task, Cancellation cancellation, Duration timeout,
            Stop stop, ToolCall tc) throws InterruptedException, ExecutionException, TimeoutException {
        // The tool's own hooks first, on the killing thread (a sandbox kills its processes there and
        // then), then the interrupt that ends the tool's thread.
        Runnable interrupt = () -> task.cancel(true);
        try (Stop.Registration registered = stop.onKill(cancellation::cancel, interrupt)) {
            if (stop.reason().isPresent()) {
                cancellation.cancel(); // killed between the last check and the registration
                interrupt.run();
            }
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.CancellationException e) {
            throw new Killed(stop.reason().orElse("stopped by the operator") + "; tool call " + tc.id() + " (" + tc.name()
                    + ") was running and was stopped, its effect may be partial");
        }
    }

    private static final Stop NOT_STOPPED = Optional::empty;

    /** A run was killed during a tool call, or just before one; the message is the cancel reason. */
    private static final class Killed extends RuntimeException {
        Killed(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Journals {@code run_cancelled} with {@code reason}: the run is final. */
    public void cancel(String runId, RunFold fold, String reason) {
        append(runId, fold, List.of(new RunEvent.RunCancelled(now(), reason)));
    }

    /** Journals {@code run_failed} with {@code reason} and {@code message}: the run is final. */
    public void fail(String runId, RunFold fold, String reason, String message) {
        append(runId, fold, List.of(new RunEvent.RunFailed(now(), reason, cap(message))));
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** The folder name of a run's workspace: the run id with characters unsafe in file names replaced. */
    public static String workspaceName(String runId) {
        return runId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private void reject(String runId, RunFold fold, ToolCall tc, String reason) {
        append(runId, fold, List.of(new RunEvent.ToolCallRejected(now(), tc.id(), reason)));
    }

    /** Tool output on its way to the journal, capped at the run loop's limit. */
    private String cap(String s) {
        return cap(s, MAX_RESULT_CHARS);
    }

    /**
     * Tool output on its way to the journal: secret values redacted (before the cut, which could
     * split one), then cut to {@code max} characters with a visible marker saying how much was cut.
     */
    private String cap(String text, int max) {
        String s = redactor.redact(text);
        if (s.length() <= max) {
            return s;
        }
        return s.substring(0, max) + "\n[truncated: " + (s.length() - max) + " more characters]";
    }

    private void append(String runId, RunFold fold, List<RunEvent> events) {
        append(journal, runId, fold, events);
        if (budgets != null && fold.state().isFinal()) {
            budgets.closeRun(budgets.tenantOf(fold.started().map(RunEvent.RunStarted::execution).orElse("")), runId);
        }
    }

    /**
     * Folds {@code events} and journals them at the fold's sequence number (fenced), waiting until
     * they are durable; a fence or storage failure is rethrown as itself.
     */
    static void append(Journal journal, String runId, RunFold fold, List<RunEvent> events) {
        long expected = fold.seq();
        events.forEach(fold::apply);
        try {
            journal.append(new Journal.Append(runId, expected, events, fold.status())).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    private long now() {
        return clock.millis();
    }

    /** Builds a {@link RunLoop}; journal, validator and workspace root are required. */
    public static final class Builder {
        private Journal journal;
        private SchemaValidator validator;
        private InstantSource clock = InstantSource.system();
        private Sleeper sleeper = Sleeper.SYSTEM;
        private RandomGenerator random = RandomGenerator.getDefault();
        private Path workspaceRoot;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private ThreadFactory toolThreads = Thread.ofVirtual().name("myriad-tool-", 0).factory();
        private Redactor redactor = Redactor.NONE;
        private BudgetLedger budgets;
        private java.util.function.ToLongFunction<String> fences = runId -> 0;

        private Builder() {}

        /** Where tool calls learn their run's fence ({@link ToolContext#fence()}): a cluster's owner epochs; 0 by default. */
        public Builder fences(java.util.function.ToLongFunction<String> fences) {
            this.fences = Objects.requireNonNull(fences, "fences");
            return this;
        }

        /** Admits every model call, tool call and step against the budgets of this ledger; none by default. */
        public Builder budgets(BudgetLedger budgets) {
            this.budgets = Objects.requireNonNull(budgets);
            return this;
        }

        public Builder journal(Journal journal) {
            this.journal = journal;
            return this;
        }

        private String tenant = Request.DEFAULT_TENANT;

        /** The tenant of the runs, matched by policy rules that name one (default {@code default}). */
        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public Builder validator(SchemaValidator validator) {
            this.validator = validator;
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper);
            return this;
        }

        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random);
            return this;
        }

        public Builder workspaceRoot(Path workspaceRoot) {
            this.workspaceRoot = workspaceRoot;
            return this;
        }

        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry);
            return this;
        }

        /** Makes the thread each tool call runs on; virtual threads unless set. */
        public Builder toolThreads(ThreadFactory toolThreads) {
            this.toolThreads = Objects.requireNonNull(toolThreads);
            return this;
        }

        /** Replaces secret values in every tool result and error before it is journaled; none by default. */
        public Builder redactor(Redactor redactor) {
            this.redactor = Objects.requireNonNull(redactor);
            return this;
        }

        public RunLoop build() {
            return new RunLoop(this);
        }
    }
}
