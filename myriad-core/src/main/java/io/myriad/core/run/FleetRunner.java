package io.myriad.core.run;

import io.myriad.core.budget.BudgetLedger;
import io.myriad.core.budget.BudgetRefusal;
import io.myriad.core.fleet.ApprovalSpec;
import io.myriad.core.control.Scope;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Runs every task of one fleet execution to a final state, at most {@code concurrency} runs in
 * progress at once. Runs already final are counted, not run again; unfinished runs resume from
 * their journals. Calling {@link #run} again on the same execution after a crash therefore
 * finishes what was left.
 *
 * <p>Notes. A run is a chain of steps, not a thread. A step runs on a virtual thread: it moves
 * the run forward (tool calls, limits, verdicts) until it needs the model, submits the call to
 * the provider's {@link ModelGateway} and ends. The gateway's completion starts the next step on
 * a new virtual thread. While it waits, a run is a {@link RunHandle}, a queue node and a future;
 * after {@code passivateAfter} of waiting it also drops its fold, which the next step reloads
 * from the journal. Retries wait on the timer, not on a thread.
 */
public final class FleetRunner {

    /** Told about progress; called from many threads at once. */
    public interface Listener {
        Listener NONE = new Listener() {};

        /** A run reached a final state (also for runs found final in the journal). */
        default void runFinished(String runId, RunStatus status) {}

        /** A run could not be driven (fenced, internal error); it is counted as failed. */
        default void runAbandoned(String runId, RuntimeException cause) {}

        /**
         * A run was let go unfinished at a step boundary (the runner drains, or a cluster node's
         * lease lapsed before its model call left): it resumes later, here or on another node.
         */
        default void runLetGo(String runId) {}

        /**
         * The first time in an execution that a run needed an approval and the queue of pending
         * approvals was full ({@code maxPending}): the run waits for a slot.
         */
        default void approvalsThrottled(String runId, int maxPending) {}
    }

    /**
     * The counts at the end of an execution. {@code inDoubt}: runs waiting for a person's
     * decision on a tool call whose outcome is unknown; {@code interrupted}: runs left unfinished
     * by a graceful shutdown (they resume on the next start); {@code awaitingApproval}: runs
     * waiting for an approval to be decided; {@code throttled}: runs that needed an approval
     * while the fleet's queue of pending approvals was full (they ask when the next run starts).
     */
    public record Summary(
            int tasks, int succeeded, int failed, int cancelled, int limited, int stuck, int inDoubt, int interrupted,
            int resumed, long steps, long modelCalls, long tokens, double costUsd, long wallMillis,
            Map<String, Integer> failureReasons, List<String> sampleFailures, List<String> sampleInDoubt,
            int awaitingApproval, int throttled, List<String> sampleAwaitingApproval) {

        /** A summary without approvals. */
        public Summary(int tasks, int succeeded, int failed, int cancelled, int limited, int stuck, int inDoubt,
                int interrupted, int resumed, long steps, long modelCalls, long tokens, double costUsd, long wallMillis,
                Map<String, Integer> failureReasons, List<String> sampleFailures, List<String> sampleInDoubt) {
            this(tasks, succeeded, failed, cancelled, limited, stuck, inDoubt, interrupted, resumed, steps, modelCalls,
                    tokens, costUsd, wallMillis, failureReasons, sampleFailures, sampleInDoubt, 0, 0, List.of());
        }

        /** Runs in a final state. */
        public int finals() {
            return succeeded + failed + cancelled + limited + stuck;
        }
    }

    private final RunLoop loop;
    private final Journal journal;
    private final RunRepository repository;
    private final Function<String, AgentRuntime> agents;
    private final Function<ModelProvider, ModelGateway> gateways;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final InstantSource clock;
    private final String tenant;
    private final Duration passivateAfter;
    private final RunWorkspaces workspaces;
    private final boolean awaitDecisions;
    /** Runs of the execution waiting for a person that this process does not hold (other nodes'), given its own. */
    private final java.util.function.ToIntFunction<Set<String>> approvalsElsewhere;
    /** False while this node may not act on its runs (a cluster node whose lease lapsed): no model call leaves. */
    private final java.util.function.BooleanSupplier lease;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** A kill covered the whole fleet: an intake admits nothing more. */
    private final AtomicBoolean killed = new AtomicBoolean();
    private volatile long drainDeadline = Long.MAX_VALUE;
    /** Runs in progress, with their bookkeeping (a kill ends them from outside their steps). */
    private final Map<RunHandle, Ending> active = new ConcurrentHashMap<>();
    /** Kills seen so far (operator controls); checked before every tool call and model dispatch. */
    private final List<Kill> kills = new CopyOnWriteArrayList<>();
    private final AtomicBoolean paused = new AtomicBoolean();
    /** Runs stopped by a pause at a step boundary, each with how to go on. */
    private final Map<RunHandle, Runnable> parked = new ConcurrentHashMap<>();
    private volatile String fleetName = "";

    private record Kill(Scope scope, String reason) {}

    /** A run waiting for its children: no thread, no slot; its last child to settle wakes it. */
    private record Waiting(RunHandle handle, AgentRuntime agent, Ending ending, java.util.concurrent.atomic.AtomicInteger remaining) {}

    /** Runs waiting for children, by run id. */
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    /** Waiting runs whose children all settled, to drive again when a slot frees. */
    private final java.util.Queue<Waiting> wakeQueue = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Children to admit when slots free, in order. */
    private final java.util.Queue<TaskSpec> spawnQueue = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The budget share of each child not yet started, by run id. */
    private final Map<String, RunLoop.ChildRun> childCaps = new ConcurrentHashMap<>();
    /** Children admitted by this runner (counted as tasks of the execution). */
    private final java.util.concurrent.atomic.AtomicInteger spawned = new java.util.concurrent.atomic.AtomicInteger();
    /** The execution running now: what admitting a child needs. */
    private volatile Outstanding outstanding;
    private final LongAdder passivations = new LongAdder();

    private FleetRunner(Builder b) {
        this.loop = Objects.requireNonNull(b.loop, "loop");
        this.journal = Objects.requireNonNull(b.journal, "journal");
        this.repository = Objects.requireNonNull(b.repository, "repository");
        this.agents = Objects.requireNonNull(b.agents, "agents");
        this.gateways = Objects.requireNonNull(b.gateways, "gateways");
        this.executor = Objects.requireNonNull(b.executor, "executor");
        this.timer = Objects.requireNonNull(b.timer, "timer");
        this.clock = b.clock;
        this.tenant = b.tenant;
        this.passivateAfter = b.passivateAfter;
        this.workspaces = b.workspaces;
        this.awaitDecisions = b.awaitDecisions;
        this.lease = b.lease;
        this.approvalsElsewhere = b.approvalsElsewhere;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Journals {@code run_started} for each task whose run does not exist yet, as its first step
     * would, through {@code to} (unowned: in a cluster any node may then claim it). A run another
     * node started first is skipped; the number of runs started here is returned.
     *
     * @throws RuntimeException when the journal fails for another reason (nothing is lost: the
     *                          next seed starts what is missing)
     */
    public int seed(FleetSpec fleet, RunRepository.Execution execution, java.util.Collection<TaskSpec> tasks, Journal to) {
        List<java.util.concurrent.CompletableFuture<Boolean>> writes = new java.util.ArrayList<>(tasks.size());
        for (TaskSpec task : tasks) {
            RunEvent.RunStarted started = new RunEvent.RunStarted(clock.millis(), fleet.name(), execution.id(), task.id(),
                    task.agent(), task.input(), agents.apply(task.agent()).modelName(), null, null);
            RunFold fold = new RunFold();
            fold.apply(started);
            writes.add(to.append(new Journal.Append(runId(execution.id(), task.id()), 0, List.of(started), fold.status()))
                    .handle((v, e) -> {
                        Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                        if (cause == null) {
                            return true;
                        }
                        if (cause instanceof JournalFenceException) {
                            return false; // another node started it first
                        }
                        throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
                    }));
        }
        int seeded = 0;
        for (var w : writes) {
            if (w.join()) {
                seeded++;
            }
        }
        return seeded;
    }

    /** The run id of a task in an execution. */
    public static String runId(String executionId, String taskId) {
        return executionId + ":" + taskId;
    }

    /**
     * Kills the runs {@code scope} covers, now and for the rest of this runner's life: none of
     * them starts another tool call or sends another model call; a tool call in flight is
     * cancelled (a sandboxed command's processes are killed) within {@link RunLoop}'s check
     * interval; a run waiting for the model or paused is cancelled at once and a response that
     * arrives later is ignored. Each run journals {@code run_cancelled} with {@code reason}.
     */
    public void kill(Scope scope, String reason) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(reason, "reason");
        kills.add(new Kill(scope, reason));
        if (!(scope instanceof Scope.Run) && scope.covers(tenant, fleetName, "")) {
            killed.set(true); // the whole fleet: an execution with an intake ends once its runs have
        }
        // Signals first (quick syscalls: sandboxed processes die), then interrupts and take-overs:
        // the threads those wake would otherwise compete with the signals still to send.
        List<Map.Entry<RunHandle, Ending>> covered = new ArrayList<>();
        List<Runnable> signals = new ArrayList<>();
        for (Map.Entry<RunHandle, Ending> e : active.entrySet()) {
            if (killReason(e.getKey().runId).isPresent()) {
                covered.add(e);
                Runnable signal = e.getKey().signalTool;
                if (signal != null) {
                    signals.add(signal);
                }
            }
        }
        signalAll(signals);
        for (Waiting w : List.copyOf(waiting.values())) {
            if (killReason(w.handle().runId).isPresent() && waiting.remove(w.handle().runId, w)) {
                Ending ending = w.ending();
                // It holds no slot while it waits: it takes none to end.
                submit(ending.fleet, w.handle().task, () -> cancelWaiting(w.handle(), ending));
            }
        }
        for (Map.Entry<RunHandle, Ending> e : covered) {
            RunHandle h = e.getKey();
            Runnable cancel = h.cancelTool;
            if (cancel != null) {
                cancel.run(); // the step journals the cancellation as soon as the call returns
            }
            if (h.enter()) {
                parked.remove(h);
                Ending ending = e.getValue();
                submit(ending.fleet, h.task, () -> cancelTaken(h, ending));
            }
        }
    }

    /**
     * Sends the signals from a few platform threads at once. One SIGKILL to a bubblewrap process
     * costs a quarter of a millisecond alone and over a millisecond while a thousand sandboxes
     * die around it; four senders took the signals of a 1,000-run kill from 1.6 s to 1.2 s here.
     */
    private static void signalAll(List<Runnable> signals) {
        if (signals.size() < 64) {
            signals.forEach(Runnable::run);
            return;
        }
        int threads = 4;
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads,
                Thread.ofPlatform().name("myriad-kill-", 0).daemon(true).factory())) {
            for (int t = 0; t < threads; t++) {
                List<Runnable> share = signals.subList(signals.size() * t / threads, signals.size() * (t + 1) / threads);
                pool.execute(() -> share.forEach(Runnable::run));
            }
        }
    }

    /** Cancels a run a kill took over while it waited (for the model, a timer or a resume). */
    private void cancelTaken(RunHandle h, Ending ending) {
        try {
            RunFold fold = h.fold(journal);
            if (!fold.state().isFinal()) {
                loop.cancel(h.runId, fold, killReason(h.runId).orElse("killed")
                        + (fold.state() == RunState.AWAITING_MODEL ? "; its model call was abandoned" : ""));
            }
            ending.finished(h, fold.status());
        } catch (RuntimeException e) {
            ending.abandoned(h, e);
        }
    }

    /** Cancels a run killed while it waited for its children (which the same kill covers). */
    private void cancelWaiting(RunHandle h, Ending ending) {
        try {
            RunFold fold = h.fold(journal);
            if (!fold.state().isFinal()) {
                loop.cancel(h.runId, fold, killReason(h.runId).orElse("killed") + "; its children are cancelled with it");
            }
            ending.finished(h, fold.status(), false);
        } catch (RuntimeException e) {
            ending.abandoned(h, e);
        }
    }

    /** The run loop's view of a run's kill: its reason, and where to register a tool call's canceller. */
    private RunLoop.Stop stopFor(RunHandle h) {
        return new RunLoop.Stop() {
            @Override
            public Optional<String> reason() {
                return killReason(h.runId);
            }

            @Override
            public Registration onKill(Runnable cancel) {
                h.cancelTool = cancel;
                return () -> h.cancelTool = null;
            }

            @Override
            public Registration onKill(Runnable signal, Runnable interrupt) {
                h.signalTool = signal;
                h.cancelTool = interrupt;
                return () -> {
                    h.cancelTool = null;
                    h.signalTool = null;
                };
            }
        };
    }

    /** Why the run must stop now, if it must: a kill that covers it, or {@link #stop()}. */
    Optional<String> killReason(String runId) {
        if (stopping.get()) {
            return Optional.of("stopped by the operator");
        }
        // A kill of a run covers its children, and theirs: their ids extend the parent's.
        for (String id = runId; id != null; id = RunLoop.parentOf(id).orElse(null)) {
            for (Kill k : kills) {
                if (k.scope().covers(tenant, fleetName, id)) {
                    return Optional.of(id.equals(runId) ? k.reason() : k.reason() + " (its parent " + id + " was killed)");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Pauses every run: each stops at its next step boundary (a tool call in flight finishes and
     * is journaled; a model call not yet sent stays unsent) and waits, holding no thread, until
     * {@link #resume()}. Nothing is cancelled.
     */
    public void pause() {
        paused.set(true);
    }

    /** Drives the paused runs again from where they stopped. */
    public void resume() {
        paused.set(false);
        parked.keySet().forEach(this::release);
    }

    /** True while paused. */
    public boolean paused() {
        return paused.get();
    }

    /** Runs waiting for a resume now. */
    public int parkedRuns() {
        return parked.size();
    }

    private void release(RunHandle h) {
        Runnable go = parked.remove(h);
        if (go != null) {
            go.run();
        }
    }

    /** Asks every run to stop at its next step; they finish as cancelled. */
    public void stop() {
        stopping.set(true);
    }

    /**
     * Graceful shutdown: admits no new run and no new step; a step in progress finishes (its tool
     * call completes and is journaled, a model response that arrives is journaled), then its run
     * journals {@code run_interrupted} and waits for the next start. {@link #run} returns when
     * every active run has stopped at such a boundary, or when {@code grace} has passed (a step
     * still running then is abandoned unjournaled; its run resumes from its last event).
     */
    public void drain(Duration grace) {
        drainDeadline = clock.millis() + grace.toMillis();
        draining.set(true);
        parked.keySet().forEach(this::release); // paused runs journal run_interrupted too
    }

    /** True once {@link #drain} was called. */
    public boolean draining() {
        return draining.get();
    }

    /** Runs in progress now (started, not final). */
    public int activeRuns() {
        return active.size();
    }

    /** How many times a waiting run dropped its fold. */
    public long passivations() {
        return passivations.sum();
    }

    /** Drives every task of the execution to a final state and returns the counts. */
    public Summary run(FleetSpec fleet, RunRepository.Execution execution, Listener listener) {
        return run(fleet, execution, listener, Optional.empty());
    }

    /**
     * Drives the file's tasks and, with an {@code intake}, every task submitted to it while the
     * execution runs: polled every {@link #INTAKE_POLL_NANOS}, admitted like the file's tasks (a
     * task id seen before is ignored). With an intake the run returns only on {@link #drain} or
     * {@link #stop()}; the summary's {@code tasks} counts every task admitted.
     */
    public Summary run(FleetSpec fleet, RunRepository.Execution execution, Listener listener,
            Optional<TaskIntake> intake) {
        Objects.requireNonNull(intake, "intake");
        long begin = clock.millis();
        fleetName = fleet.name();
        loop.openExecution(execution.tenant(), execution.id(), fleet.budget(), execution.startedAt());
        Map<String, RunStatus> known = new ConcurrentHashMap<>();
        for (RunRepository.RunRow row : repository.runs(execution.id())) {
            known.put(row.runId(), row.status());
        }
        Tally tally = new Tally();
        Semaphore slots = new Semaphore(fleet.concurrency());
        scaling = new Scaling(slots, fleet.concurrency());
        Parking parking = new Parking(fleet.approvals(), listener, tally);
        for (RunRepository.RunRow row : repository.runs(execution.id())) {
            if (row.status().state() == RunState.AWAITING_APPROVAL) {
                parking.holding.add(row.runId());
            }
        }
        Outstanding done = new Outstanding();
        outstanding = done;
        spawned.set(0);
        waiting.clear();
        wakeQueue.clear();
        spawnQueue.clear();
        childCaps.clear();
        Set<String> admitted = new java.util.HashSet<>(); // task ids; only this thread admits
        java.util.ArrayDeque<TaskSpec> pending = new java.util.ArrayDeque<>();
        int submitted = 0; // tasks admitted from the intake
        // Each sweep walks every active run: sweeping once per threshold keeps a million runs cheap.
        // A map-reduce fleet reduces its tasks' results once they are all final (never with an intake: it never ends).
        ReduceSteps reduce = intake.isEmpty() ? fleet.orchestration().reduce().map(r -> new ReduceSteps(r, execution.id(),
                fleet.tasks().stream().map(TaskSpec::id).toList(), journal, repository)).orElse(null) : null;
        var passivator = timer.scheduleWithFixedDelay(this::passivateIdle,
                passivateAfter.toMillis(), Math.max(10, passivateAfter.toMillis()), TimeUnit.MILLISECONDS);
        // A cluster node starts no task from the file: it runs the ones it claims (any node seeded them).
        boolean claims = intake.isPresent() && intake.get().claims();
        try {
            for (TaskSpec task : claims ? List.<TaskSpec>of() : fleet.tasks()) {
                admitted.add(task.id());
                done.add();
                if (!admit(fleet, execution, task, known, tally, listener, slots, done, parking, true)) {
                    break;
                }
            }
            long nextPoll = 0;
            long nextIntake = 0;
            while (true) {
                // With an intake the loop waits even when no run is outstanding: more tasks may come.
                if (done.await(50, intake.isPresent())
                        && (intake.isEmpty() || stopping.get() || killed.get() || intake.get().exhausted())) {
                    List<TaskSpec> reducers = reduce == null || stopping.get() || killed.get() || draining.get() ? List.of()
                            : reduce.next();
                    if (reducers.isEmpty()) {
                        break;
                    }
                    for (TaskSpec t : reducers) {
                        spawned.incrementAndGet();
                        done.add();
                        spawnQueue.add(t);
                    }
                    continue;
                }
                if (draining.get() && clock.millis() >= drainDeadline) {
                    break;
                }
                if (draining.get() && active.isEmpty() && inFlightBegins.sum() == 0) {
                    break;
                }
                if (intake.isEmpty() && !awaitDecisions && !waiting.isEmpty() && active.isEmpty() && inFlightBegins.sum() == 0
                        && wakeQueue.isEmpty() && spawnQueue.isEmpty()
                        && done.count() == parking.awaiting.size() + parking.throttled.size() + waiting.size()) {
                    break; // parents wait for children that wait for a person: the next start goes on
                }
                // Runs whose children all settled go first (they finish work), then the children waiting for a slot.
                Waiting w;
                while ((w = wakeQueue.peek()) != null && !draining.get() && slots.tryAcquire()) {
                    wakeQueue.poll();
                    Waiting woken = w;
                    woken.handle().childrenSettled = true;
                    active.put(woken.handle(), woken.ending());
                    // The waiting entry owned it (its handle stays taken): it steps on without taking it again.
                    submit(fleet, woken.handle().task, () -> stepTaken(woken.handle(), woken.agent(), fleet, woken.ending()));
                }
                TaskSpec child;
                while ((child = spawnQueue.peek()) != null
                        && admit(fleet, execution, child, known, tally, listener, slots, done, parking, false)) {
                    spawnQueue.poll();
                }
                if (intake.isPresent() && !draining.get() && !stopping.get() && !killed.get()) {
                    if (System.nanoTime() >= nextIntake) {
                        nextIntake = System.nanoTime() + INTAKE_POLL_NANOS;
                        for (TaskSpec task : pollQuietly(intake.get())) {
                            if (claims) {
                                // Claimed just now: its run may have moved on elsewhere since this node last saw it.
                                String claimed = runId(execution.id(), task.id());
                                known.remove(claimed);
                                repository.run(claimed).ifPresent(r -> known.put(claimed, r.status()));
                            }
                            if (claims || admitted.add(task.id())) {
                                submitted++;
                                done.add();
                                pending.add(task);
                            }
                        }
                    }
                    while (!pending.isEmpty()
                            && admit(fleet, execution, pending.peek(), known, tally, listener, slots, done, parking, false)) {
                        pending.poll();
                    }
                }
                if (parking.parked() && System.nanoTime() >= nextPoll) {
                    nextPoll = System.nanoTime() + POLL_NANOS;
                    if (!draining.get()) {
                        parking.poll(fleet, slots);
                    }
                    if (intake.isEmpty() && !awaitDecisions && wakeQueue.isEmpty() && spawnQueue.isEmpty()
                            && done.count() == parking.awaiting.size() + parking.throttled.size() + waiting.size()) {
                        break; // only parked runs (and their waiting parents) are left: nothing else will free a slot or decide
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
        } finally {
            passivator.cancel(false);
        }
        parking.countLeft();
        scaling = null;
        outstanding = null;
        waiting.clear();
        wakeQueue.clear();
        spawnQueue.clear();
        childCaps.clear();
        return tally.summary((claims ? 0 : fleet.tasks().size()) + submitted + spawned.get(), clock.millis() - begin);
    }

    /**
     * Counts a task whose run is already final, or starts (or resumes) its run when a slot is
     * free; false when it was not admitted: no slot ({@code block} false) or the runner drains.
     */
    private boolean admit(FleetSpec fleet, RunRepository.Execution execution, TaskSpec task, Map<String, RunStatus> known,
            Tally tally, Listener listener, Semaphore slots, Outstanding done, Parking parking, boolean block)
            throws InterruptedException {
        String runId = runId(execution.id(), task.id());
        RunStatus status = known.get(runId);
        // A run awaiting approval is driven: its step finds the decision, or journals the expiry, or parks it.
        if (status != null && (status.state().isFinal() || status.state() == RunState.IN_DOUBT)) {
            tally.count(runId, status);
            listener.runFinished(runId, status);
            done.countDown();
            if (status.state().isFinal()) {
                childSettled(runId); // a child in doubt keeps its parent waiting
            }
            return true;
        }
        if (block ? !acquire(slots) : draining.get() || !slots.tryAcquire()) {
            return false;
        }
        Ending ending = new Ending(fleet, tally, listener, slots, done, status != null, parking);
        submit(fleet, task, () -> begin(fleet, execution, task, runId, ending));
        return true;
    }

    /** The intake's new tasks; none this time when it cannot be read (the next poll tries again). */
    private static List<TaskSpec> pollQuietly(TaskIntake intake) {
        try {
            return intake.poll();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** How often an execution with an intake polls it for submitted tasks. */
    private static final long INTAKE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** Runs admitted and not yet ended (final, parked or interrupted); grows as tasks are admitted. */
    private static final class Outstanding {
        private int count; // guarded by this

        synchronized void add() {
            count++;
        }

        synchronized void countDown() {
            if (--count <= 0) {
                notifyAll();
            }
        }

        synchronized int count() {
            return count;
        }

        /** Wakes the execution's loop: a child or a woken parent waits for a slot. */
        synchronized void nudge() {
            notifyAll();
        }

        /**
         * Waits at most {@code millis} for no outstanding run ({@code always}: the whole time even
         * when none is); true when none is.
         */
        synchronized boolean await(long millis, boolean always) throws InterruptedException {
            if (count > 0 || always) {
                wait(millis);
            }
            return count <= 0;
        }
    }

    /**
     * The slots of the execution running now, how many of them are meant to exist, and the debt: slots
     * a scale-down still has to take back, each from the next run that ends (instead of freeing it).
     */
    private record Scaling(Semaphore slots, java.util.concurrent.atomic.AtomicInteger target,
            java.util.concurrent.atomic.AtomicInteger debt) {
        Scaling(Semaphore slots, int target) {
            this(slots, new java.util.concurrent.atomic.AtomicInteger(target), new java.util.concurrent.atomic.AtomicInteger());
        }
    }

    private volatile Scaling scaling;

    /**
     * Changes how many runs may be in progress at once, while the execution runs: more slots at
     * once; fewer as runs in progress finish (none is stopped for it: each run that ends pays back
     * a slot instead of freeing it, until the debt is paid). Takes effect for the execution running
     * now; the next start uses the fleet file's concurrency again.
     *
     * @return the concurrency before
     * @throws IllegalStateException when no execution is running
     */
    public synchronized int scale(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        Scaling s = scaling;
        if (s == null) {
            throw new IllegalStateException("no execution is running");
        }
        int before = s.target().getAndSet(concurrency);
        int delta = concurrency - before;
        if (delta > 0) {
            // A debt not yet paid is forgiven first; the rest are new slots.
            int forgiven = Math.min(delta, s.debt().getAndUpdate(d -> Math.max(0, d - delta)));
            s.slots().release(delta - forgiven);
        } else if (delta < 0) {
            int free = s.slots().drainPermits(); // free slots go at once
            int taken = Math.min(free, -delta);
            s.slots().release(free - taken);
            s.debt().addAndGet(-delta - taken);
        }
        return before;
    }

    /** A run gave its slot back: it pays a scale-down's debt, or frees the slot. */
    private void releaseSlot(Semaphore slots) {
        Scaling s = scaling;
        if (s != null && s.slots() == slots && s.debt().getAndUpdate(d -> d > 0 ? d - 1 : d) > 0) {
            return;
        }
        slots.release();
        Outstanding o = outstanding;
        if (o != null && (!wakeQueue.isEmpty() || !spawnQueue.isEmpty())) {
            o.nudge();
        }
    }

    /** The concurrency the running execution is meant to have now, or 0 when none runs. */
    public int concurrency() {
        Scaling s = scaling;
        return s == null ? 0 : s.target().get();
    }

    /** How often a running execution looks for decisions on its runs awaiting approval. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** A run parked without a thread: awaiting an approval, or a slot in the approval queue. */
    private record Parked(RunHandle handle, AgentRuntime agent, Ending ending, long expiresAt) {}

    /**
     * The approval gate of one execution and the runs it parked. A run holds a slot from its
     * request until the decision (or expiry) is seen; {@code holding} is guarded by itself.
     */
    private final class Parking implements ApprovalGate {
        final ApprovalSpec spec;
        final Listener listener;
        final Tally tally;
        final Set<String> holding = ConcurrentHashMap.newKeySet();
        private final Object reserving = new Object();
        final Map<String, Parked> awaiting = new ConcurrentHashMap<>();
        final Map<String, Parked> throttled = new ConcurrentHashMap<>();
        final AtomicBoolean told = new AtomicBoolean();

        Parking(ApprovalSpec spec, Listener listener, Tally tally) {
            this.spec = spec;
            this.listener = listener;
            this.tally = tally;
        }

        @Override
        public Duration expireAfter() {
            return spec.expireAfter();
        }

        @Override
        public boolean tryReserve(String runId) {
            synchronized (reserving) {
                if (holding.contains(runId) || holding.size() + approvalsElsewhere.applyAsInt(holding) < spec.maxPending()) {
                    holding.add(runId);
                    return true;
                }
            }
            if (told.compareAndSet(false, true)) {
                listener.approvalsThrottled(runId, spec.maxPending());
            }
            return false;
        }

        @Override
        public void release(String runId) {
            holding.remove(runId);
        }

        boolean hasRoom() {
            return holding.size() + approvalsElsewhere.applyAsInt(holding) < spec.maxPending();
        }

        boolean parked() {
            return !awaiting.isEmpty() || !throttled.isEmpty();
        }

        void awaitApproval(Parked p) {
            holding.add(p.handle().runId);
            awaiting.put(p.handle().runId, p);
        }

        /** Drives again the runs whose approval was decided (or expired) and, with room, the throttled ones. */
        void poll(FleetSpec fleet, Semaphore slots) {
            long now = clock.millis();
            for (Parked p : List.copyOf(awaiting.values())) {
                boolean due = now >= p.expiresAt() || repository.run(p.handle().runId)
                        .map(r -> r.status().state() != RunState.AWAITING_APPROVAL).orElse(false);
                if (due && slots.tryAcquire()) {
                    awaiting.remove(p.handle().runId);
                    release(p.handle().runId);
                    resume(fleet, p);
                }
            }
            for (Parked p : List.copyOf(throttled.values())) {
                if (hasRoom() && slots.tryAcquire()) {
                    throttled.remove(p.handle().runId);
                    resume(fleet, p);
                }
            }
        }

        private void resume(FleetSpec fleet, Parked p) {
            RunHandle h = p.handle();
            h.passivate();
            active.put(h, p.ending());
            submit(fleet, h.task, () -> step(h, p.agent(), fleet, p.ending()));
        }

        /** Counts the runs still parked when the execution stops. */
        void countLeft() {
            for (Parked p : awaiting.values()) {
                RunStatus status = repository.run(p.handle().runId).map(RunRepository.RunRow::status)
                        .orElse(p.handle().fold(journal).status());
                // Counted as awaiting even when decided in the last instant: the next start continues it.
                tally.countAwaiting(p.handle().runId, status);
                p.ending().listener.runFinished(p.handle().runId, status);
            }
            tally.throttled.add(throttled.size());
            awaiting.clear();
            throttled.clear();
        }
    }

    /** A slot for one more run, or false when the runner drains. */
    private boolean acquire(Semaphore slots) throws InterruptedException {
        while (!draining.get()) {
            if (slots.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                if (!draining.get()) {
                    return true;
                }
                releaseSlot(slots);
            }
        }
        return false;
    }

    /** Finishes the bookkeeping of one run, exactly once. */
    private final class Ending {
        final FleetSpec fleet;
        final Tally tally;
        final Listener listener;
        final Semaphore slots;
        final Outstanding done;
        final boolean resumed;
        final Parking parking;

        Ending(FleetSpec fleet, Tally tally, Listener listener, Semaphore slots, Outstanding done, boolean resumed,
               Parking parking) {
            this.fleet = fleet;
            this.tally = tally;
            this.listener = listener;
            this.slots = slots;
            this.done = done;
            this.resumed = resumed;
            this.parking = parking;
        }

        /**
         * The run waits for an approval ({@code throttled}: for a slot to ask one): it holds no
         * thread and no concurrency slot; the execution's poll drives it again.
         */
        void parkedForApproval(RunHandle h, AgentRuntime agent, RunFold fold, boolean throttled) {
            active.remove(h);
            h.passivate();
            h.leave(); // the poll's resume takes it again (a kill meanwhile is journaled by `myriad kill`)
            if (throttled) {
                parking.throttled.put(h.runId, new Parked(h, agent, this, Long.MAX_VALUE));
            } else {
                long expiresAt = fold.awaitingApproval().map(RunEvent.ApprovalRequested::expiresAt).orElse(Long.MAX_VALUE);
                parking.awaitApproval(new Parked(h, agent, this, expiresAt));
            }
            releaseSlot(slots);
        }

        void finished(RunHandle h, RunStatus status) {
            finished(h, status, true);
        }

        /** {@code holdsSlot} false: a run ended while it waited without one (for its children). */
        void finished(RunHandle h, RunStatus status, boolean holdsSlot) {
            h.end();
            active.remove(h);
            release(h.runId, status);
            if (resumed) {
                tally.resumed.increment();
            }
            tally.count(h.runId, status);
            listener.runFinished(h.runId, status);
            if (holdsSlot) {
                releaseSlot(slots);
            }
            done.countDown();
            childSettled(h.runId);
        }

        /**
         * The run waits for its children: it holds no thread and no slot; the last child to settle
         * puts it on the wake queue.
         */
        Waiting awaitingChildren(RunHandle h, AgentRuntime agent, int children) {
            Waiting w = new Waiting(h, agent, this, new java.util.concurrent.atomic.AtomicInteger(children));
            // The handle stays taken: the entry in `waiting` is the run now, and whoever removes it
            // (its last child, or a kill) drives it on without taking the handle again.
            active.remove(h);
            h.passivate();
            waiting.put(h.runId, w);
            releaseSlot(slots);
            return w;
        }

        /** The run stopped at a step boundary: waiting for a person, or the runner drains. */
        void parked(RunHandle h, RunStatus status, boolean interrupted) {
            h.end();
            active.remove(h);
            if (interrupted) {
                tally.interrupted.increment();
            } else {
                tally.count(h.runId, status);
            }
            if (status != null) {
                listener.runFinished(h.runId, status);
            } else if (interrupted) {
                listener.runLetGo(h.runId);
            }
            releaseSlot(slots);
            done.countDown();
            // A child in doubt keeps its parent waiting: once a person decides, the next start drives it on.
        }

        void abandoned(RunHandle h, RuntimeException e) {
            if (e instanceof JournalFenceException && killReason(h.runId).isPresent()) {
                // Killed, and `myriad kill` cancelled the run itself first: that is this run's end.
                RunStatus status = repository.run(h.runId).map(RunRepository.RunRow::status).orElse(null);
                if (status != null && status.state() == RunState.CANCELLED) {
                    finished(h, status);
                    return;
                }
            }
            h.end();
            active.remove(h);
            tally.abandoned(h.runId, e);
            listener.runAbandoned(h.runId, e);
            releaseSlot(slots);
            done.countDown();
            childSettled(h.runId);
        }
    }

    /** A child run settled (final, in doubt, or abandoned): its parent's last one wakes the parent. */
    private void childSettled(String runId) {
        Optional<String> parent = RunLoop.parentOf(runId);
        if (parent.isEmpty()) {
            return;
        }
        Waiting w = waiting.get(parent.get());
        if (w != null && w.remaining().decrementAndGet() == 0 && waiting.remove(parent.get(), w)) {
            wakeQueue.add(w);
            Outstanding o = outstanding;
            if (o != null) {
                o.nudge();
            }
        }
    }

    /**
     * The run waits for its children. Woken by its last child, it journals their results and goes
     * on; otherwise (it just delegated, or the process restarted) every child is admitted again:
     * those already final are counted as they are, the unfinished resume from their journals and
     * the missing are created. Ids are derived from the parent's journal, so none runs twice.
     */
    private void awaitChildren(RunHandle h, AgentRuntime agent, FleetSpec fleet, Ending ending, RunFold fold) {
        List<RunLoop.ChildRun> children = loop.children(fold, agent, h.task.priority());
        boolean settled = h.childrenSettled;
        h.childrenSettled = false;
        if (settled) {
            String execution = fold.started().orElseThrow().execution();
            Map<String, RunStatus> statuses = new java.util.HashMap<>();
            for (RunRepository.RunRow row : repository.runs(execution, h.runId + RunLoop.CHILD_SEPARATOR)) {
                statuses.put(row.task(), row.status());
            }
            loop.childrenFinished(h.runId, fold, agent, children, statuses);
            stepTaken(h, agent, fleet, ending);
            return;
        }
        Outstanding o = outstanding;
        // Counted before the parent shows as waiting: the execution never looks finished in between.
        for (RunLoop.ChildRun c : children) {
            childCaps.put(runId(fold.started().orElseThrow().execution(), c.task().id()), c);
            spawned.incrementAndGet();
            ending.done.add();
        }
        Waiting w = ending.awaitingChildren(h, agent, children.size());
        children.forEach(c -> spawnQueue.add(c.task()));
        if (o != null) {
            o.nudge();
        }
        // A kill that came while it parked, after the kill looked at the waiting runs.
        if (killReason(h.runId).isPresent() && waiting.remove(h.runId, w)) {
            submit(fleet, h.task, () -> cancelWaiting(h, ending));
        }
    }

    /** The runtime of the agent driving the run now (another one after a handoff). */
    private AgentRuntime current(RunFold fold, AgentRuntime agent) {
        String name = fold.agent();
        return name.isEmpty() || name.equals(agent.spec().name()) ? agent : agents.apply(name);
    }

    private final LongAdder inFlightBegins = new LongAdder();

    private void begin(FleetSpec fleet, RunRepository.Execution execution, TaskSpec task, String runId, Ending ending) {
        RunHandle h = null;
        inFlightBegins.increment();
        try {
            if (draining.get()) {
                h = new RunHandle(runId, task, null);
                ending.parked(h, null, true);
                return;
            }
            AgentRuntime agent = agents.apply(task.agent());
            RunFold fold = null;
            if (!ending.resumed) {
                fold = new RunFold();
                RunLoop.ChildRun caps = childCaps.remove(runId);
                loop.start(runId, new RunEvent.RunStarted(clock.millis(), fleet.name(), execution.id(), task.id(),
                        task.agent(), task.input(), agent.modelName(), caps == null ? null : caps.capTokens(),
                        caps == null ? null : caps.capUsd()), fold);
            }
            childCaps.remove(runId);
            // A resumed run starts out passivated: its first step loads the fold from the journal.
            h = new RunHandle(runId, task, fold);
            active.put(h, ending);
            if (!prepared(h, task, ending)) {
                return;
            }
            step(h, agent, fleet, ending);
        } catch (RuntimeException e) {
            ending.abandoned(h != null ? h : new RunHandle(runId, task, null), e);
        } finally {
            inFlightBegins.decrement();
        }
    }

    /**
     * Prepares the run's workspace; when that fails, the run fails with reason {@code workspace}
     * (journaled, fenced like any append) and false is returned.
     */
    private boolean prepared(RunHandle h, TaskSpec task, Ending ending) {
        try {
            workspaces.prepare(h.runId, task, ending.resumed);
            return true;
        } catch (RuntimeException e) {
            RunFold fold = h.fold(journal);
            if (!fold.state().isFinal()) {
                loop.fail(h.runId, fold, "workspace", "the run's workspace could not be prepared: " + e.getMessage());
            }
            ending.finished(h, fold.status());
            return false;
        }
    }

    private void release(String runId, RunStatus status) {
        try {
            workspaces.release(runId, status);
        } catch (RuntimeException e) {
            // The run's outcome is journaled; a workspace left behind is removed by the next bound sweep.
        }
    }

    /** Thrown by a queued model call's request supplier when the runner drains: the call is not sent. */
    private static final class Abandoned extends RuntimeException {
        Abandoned() {
            super("not sent: the runner is shutting down", null, false, false);
        }
    }

    /** Thrown by a queued model call's request supplier when its run was killed or paused: not sent. */
    private static final class Held extends RuntimeException {
        Held(String why) {
            super(why, null, false, false);
        }
    }

    /** Moves the run forward on this thread until it waits for the model or is final. */
    private void step(RunHandle h, AgentRuntime agent, FleetSpec fleet, Ending ending) {
        if (!h.enter()) {
            return; // a kill took the run over
        }
        stepTaken(h, agent, fleet, ending);
    }

    private void stepTaken(RunHandle h, AgentRuntime given, FleetSpec fleet, Ending ending) {
        try {
            h.working();
            RunFold fold = h.fold(journal);
            AgentRuntime before = current(fold, given);
            RunLoop.Next next = loop.next(h.runId, fold, before, stopFor(h), () -> draining.get() || paused.get(), ending.parking);
            AgentRuntime agent = current(fold, before); // a handoff in this step: the receiver drives from here
            switch (next) {
                case AWAITS_CHILDREN -> {
                    awaitChildren(h, agent, fleet, ending, fold);
                    return;
                }
                case FINAL -> {
                    ending.parking.release(h.runId);
                    ending.finished(h, fold.status());
                    return;
                }
                case AWAITS_HUMAN -> {
                    if (fold.state() == RunState.AWAITING_APPROVAL) {
                        ending.parkedForApproval(h, agent, fold, false);
                    } else {
                        ending.parked(h, fold.status(), false);
                    }
                    return;
                }
                case THROTTLED -> {
                    ending.parkedForApproval(h, agent, fold, true);
                    return;
                }
                case PAUSED -> {
                    if (draining.get()) {
                        interrupt(h, fold, ending);
                    } else {
                        park(h, agent, fleet, ending);
                    }
                    return;
                }
                case MODEL -> ending.parking.release(h.runId);
            }
            long estimate = h.lastPromptTokens + Math.max(256, agent.spec().maxOutputTokens());
            h.waiting(clock.millis());
            ModelGateway gateway = gateways.apply(loop.modelFor(fold, agent).provider());
            // A retry on this model: the gateway's retry budget decides when it may go.
            boolean retry = fold.retriesOnModel() > 0;
            h.leave(); // from here a kill may take the run over; the call below then never leaves
            gateway.submit(new ModelGateway.Call(tenant, fleet.name(), h.task.priority(), estimate,
                            () -> {
                                // Draining, or (in a cluster) this node's lease lapsed: another node may own the run now.
                                if (draining.get() || !lease.getAsBoolean()) {
                                    throw new Abandoned();
                                }
                                // The last check before the call leaves the process.
                                if (killReason(h.runId).isPresent()) {
                                    throw new Held("not sent: the run was killed");
                                }
                                if (paused.get()) {
                                    throw new Held("not sent: the fleet is paused");
                                }
                                RunFold f = h.fold(journal);
                                ModelRequest request = loop.request(h.runId, f, agent);
                                // Reserved at dispatch, not while queued: a waiting call holds no budget.
                                h.held = loop.reserve(h.runId, f, agent, request);
                                return request;
                            }, retry))
                    .thenAccept(outcome -> submit(fleet, h.task, () -> answered(h, agent, fleet, ending, outcome)));
        } catch (RuntimeException e) {
            ending.abandoned(h, e);
        }
    }

    /** Journals that the run stopped for a graceful shutdown; it resumes from here next time. */
    private void interrupt(RunHandle h, RunFold fold, Ending ending) {
        loop.interrupt(h.runId, fold, "the engine shut down gracefully; the run resumes on the next start");
        ending.parked(h, fold.status(), true);
    }

    /** Parks a run stopped by a pause until {@link #resume()} (or a drain or a kill). */
    private void park(RunHandle h, AgentRuntime agent, FleetSpec fleet, Ending ending) {
        h.waiting(clock.millis());
        parked.put(h, () -> submit(fleet, h.task, () -> step(h, agent, fleet, ending)));
        h.leave();
        if (!paused.get() || draining.get()) {
            release(h); // resumed (or draining) while it parked
        }
    }

    private void answered(RunHandle h, AgentRuntime agent, FleetSpec fleet, Ending ending, ModelGateway.Outcome outcome) {
        if (!h.enter()) {
            return; // killed while the call was out: its answer is ignored
        }
        try {
            h.working();
            RunFold fold = h.fold(journal);
            BudgetLedger.Reservation held = h.held;
            h.held = null;
            if (killReason(h.runId).isPresent()) {
                loop.release(held);
                stepTaken(h, agent, fleet, ending); // cancels before anything else; a response is ignored
                return;
            }
            if (outcome.response() == null && outcome.failure().getCause() instanceof Held) {
                loop.release(held);
                park(h, agent, fleet, ending); // paused before the call left; it goes on resume
                return;
            }
            if (outcome.response() != null) {
                loop.settle(held, fold, agent, outcome.response());
                h.lastPromptTokens = outcome.response().usage().promptTokens();
                loop.onModelResponse(h.runId, fold, agent, outcome.response(), outcome.latencyMicros() / 1_000);
            } else if (outcome.failure().getCause() instanceof Abandoned) {
                loop.release(held);
                interrupt(h, fold, ending);
                return;
            } else if (outcome.failure().getCause() instanceof BudgetRefusal refusal) {
                loop.exhausted(h.runId, fold, refusal.refused());
            } else {
                loop.release(held);
                long wait = loop.onModelFailure(h.runId, fold, agent, outcome.failure());
                if (wait > 0) {
                    h.waiting(clock.millis());
                    h.leave();
                    timer.schedule(() -> submit(fleet, h.task, () -> step(h, agent, fleet, ending)), wait, TimeUnit.MILLISECONDS);
                    return;
                }
            }
            stepTaken(h, agent, fleet, ending);
        } catch (RuntimeException e) {
            ending.abandoned(h, e);
        }
    }

    /** Queues a step under this runner's tenant, the fleet and the task's priority. */
    private void submit(FleetSpec fleet, TaskSpec task, Runnable step) {
        if (executor instanceof StepExecutor steps) {
            steps.execute(tenant, fleet.name(), task.priority(), step);
        } else {
            executor.execute(step);
        }
    }

    private void passivateIdle() {
        long threshold = clock.millis() - passivateAfter.toMillis();
        for (RunHandle h : active.keySet()) {
            if (h.passivateIfIdleSince(threshold)) {
                passivations.increment();
            }
        }
    }

    /** Thread-safe counters. */
    private static final class Tally {
        final LongAdder succeeded = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder cancelled = new LongAdder();
        final LongAdder limited = new LongAdder();
        final LongAdder stuck = new LongAdder();
        final LongAdder inDoubt = new LongAdder();
        final LongAdder interrupted = new LongAdder();
        final List<String> inDoubtSamples = Collections.synchronizedList(new ArrayList<>());
        final LongAdder awaitingApproval = new LongAdder();
        final LongAdder throttled = new LongAdder();
        final List<String> approvalSamples = Collections.synchronizedList(new ArrayList<>());
        final LongAdder resumed = new LongAdder();
        final LongAdder steps = new LongAdder();
        final LongAdder modelCalls = new LongAdder();
        final LongAdder tokens = new LongAdder();
        final DoubleAdder cost = new DoubleAdder();
        final Map<String, Integer> reasons = new ConcurrentHashMap<>();
        final List<String> samples = Collections.synchronizedList(new ArrayList<>());

        void count(String runId, RunStatus status) {
            steps.add(status.steps());
            modelCalls.add(status.modelCalls());
            tokens.add(status.tokens());
            cost.add(status.costUsd());
            switch (status.state()) {
                case SUCCEEDED -> succeeded.increment();
                case CANCELLED -> cancelled.increment();
                case LIMITED, BUDGET_EXHAUSTED -> {
                    limited.increment();
                    failure(runId, status.detail());
                }
                case STUCK -> {
                    stuck.increment();
                    failure(runId, status.detail());
                }
                case AWAITING_APPROVAL -> {
                    awaitingApproval.increment();
                    if (approvalSamples.size() < 5) {
                        approvalSamples.add(runId + " " + status.detail());
                    }
                }
                case IN_DOUBT -> {
                    inDoubt.increment();
                    if (inDoubtSamples.size() < 5) {
                        inDoubtSamples.add(runId + " " + status.detail());
                    }
                }
                default -> {
                    failed.increment();
                    failure(runId, status.detail());
                }
            }
        }

        void countAwaiting(String runId, RunStatus status) {
            steps.add(status.steps());
            modelCalls.add(status.modelCalls());
            tokens.add(status.tokens());
            cost.add(status.costUsd());
            awaitingApproval.increment();
            if (approvalSamples.size() < 5) {
                approvalSamples.add(runId + " " + status.detail());
            }
        }

        void abandoned(String runId, RuntimeException e) {
            failed.increment();
            String reason = e instanceof JournalFenceException ? "fenced" : "internal";
            failure(runId, reason + ": " + e.getMessage());
        }

        private void failure(String runId, String detail) {
            int colon = detail.indexOf(':');
            String reason = colon > 0 ? detail.substring(0, colon) : detail;
            reasons.merge(reason, 1, Integer::sum);
            if (samples.size() < 5) {
                samples.add(runId + " " + detail);
            }
        }

        Summary summary(int tasks, long wall) {
            int finals = succeeded.intValue() + failed.intValue() + cancelled.intValue() + limited.intValue() + stuck.intValue();
            // Runs neither final nor in doubt were interrupted (a graceful shutdown), started or not.
            int left = Math.max(interrupted.intValue(),
                    tasks - finals - inDoubt.intValue() - awaitingApproval.intValue() - throttled.intValue());
            return new Summary(tasks, succeeded.intValue(), failed.intValue(), cancelled.intValue(), limited.intValue(),
                    stuck.intValue(), inDoubt.intValue(), left, resumed.intValue(), steps.sum(), modelCalls.sum(), tokens.sum(),
                    cost.sum(), wall, Map.copyOf(reasons), List.copyOf(samples), List.copyOf(inDoubtSamples),
                    awaitingApproval.intValue(), throttled.intValue(), List.copyOf(approvalSamples));
        }
    }

    /** Builds a {@link FleetRunner}. */
    public static final class Builder {
        private RunLoop loop;
        private Journal journal;
        private RunRepository repository;
        private Function<String, AgentRuntime> agents;
        private Function<ModelProvider, ModelGateway> gateways;
        private Executor executor;
        private ScheduledExecutorService timer;
        private InstantSource clock = InstantSource.system();
        private String tenant = "default";
        private Duration passivateAfter = Duration.ofSeconds(5);
        private RunWorkspaces workspaces = RunWorkspaces.NONE;
        private boolean awaitDecisions;
        private java.util.function.BooleanSupplier lease = () -> true;
        private java.util.function.ToIntFunction<Set<String>> approvalsElsewhere = held -> 0;

        private Builder() {}

        public Builder loop(RunLoop loop) {
            this.loop = loop;
            return this;
        }

        public Builder journal(Journal journal) {
            this.journal = journal;
            return this;
        }

        public Builder repository(RunRepository repository) {
            this.repository = repository;
            return this;
        }

        /** The runtime of each agent of the fleet, by agent name. */
        public Builder agents(Function<String, AgentRuntime> agents) {
            this.agents = agents;
            return this;
        }

        /** The gateway in front of each provider. */
        public Builder gateways(Function<ModelProvider, ModelGateway> gateways) {
            this.gateways = gateways;
            return this;
        }

        /** Where steps run: a virtual-thread-per-task executor. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** Wakes runs after a retry back-off and passivates idle runs. */
        public Builder timer(ScheduledExecutorService timer) {
            this.timer = timer;
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** The tenant whose share of the providers these runs use (default "default"). */
        public Builder tenant(String tenant) {
            this.tenant = Objects.requireNonNull(tenant);
            return this;
        }

        /** How long a run waits before it drops its fold (default 5 s). */
        /**
         * Keep polling while only runs waiting for an approval are left, instead of returning: for a
         * fleet hosted by a node, where a person decides later and the run goes on then.
         */
        public Builder awaitDecisions(boolean await) {
            this.awaitDecisions = await;
            return this;
        }

        /**
         * A cluster node's lease on its runs, asked before every model call leaves: while false the
         * call is not sent and the run is let go in this process (always true by default).
         */
        public Builder lease(java.util.function.BooleanSupplier lease) {
            this.lease = Objects.requireNonNull(lease, "lease");
            return this;
        }

        /**
         * In a cluster: how many runs of the execution wait for a person on other nodes, given the
         * ones this process holds, so {@code approvals.max_pending} holds for the cluster (0 by default).
         */
        public Builder approvalsElsewhere(java.util.function.ToIntFunction<Set<String>> approvalsElsewhere) {
            this.approvalsElsewhere = Objects.requireNonNull(approvalsElsewhere, "approvalsElsewhere");
            return this;
        }

        /** Prepares each run's workspace before its first step and releases it when final; none by default. */
        public Builder workspaces(RunWorkspaces workspaces) {
            this.workspaces = Objects.requireNonNull(workspaces, "workspaces");
            return this;
        }

        public Builder passivateAfter(Duration passivateAfter) {
            if (passivateAfter.isNegative() || passivateAfter.isZero()) {
                throw new IllegalArgumentException("passivateAfter must be positive");
            }
            this.passivateAfter = passivateAfter;
            return this;
        }

        public FleetRunner build() {
            return new FleetRunner(this);
        }
    }
}
