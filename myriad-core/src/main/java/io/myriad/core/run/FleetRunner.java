package io.myriad.core.run;

import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Runs every task of one fleet execution to a final state, {@code concurrency} runs at a time,
 * each on its own virtual thread. Runs already final are counted, not run again; unfinished
 * runs resume from their journals. Calling {@link #run} again on the same execution after a
 * crash therefore finishes what was left.
 */
public final class FleetRunner {

    /** Told about progress; called from many threads at once. */
    public interface Listener {
        Listener NONE = new Listener() {};

        /** A run reached a final state (also for runs found final in the journal). */
        default void runFinished(String runId, RunStatus status) {}

        /** A run could not be driven (fenced, internal error); it is counted as failed. */
        default void runAbandoned(String runId, RuntimeException cause) {}
    }

    /** The counts at the end of an execution. */
    public record Summary(
            int tasks, int succeeded, int failed, int cancelled, int limited, int resumed,
            long steps, long tokens, double costUsd, long wallMillis, Map<String, Integer> failureReasons,
            List<String> sampleFailures) {}

    private final RunLoop loop;
    private final Journal journal;
    private final RunRepository repository;
    private final Function<String, AgentRuntime> agents;
    private final InstantSource clock;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private FleetRunner(RunLoop loop, Journal journal, RunRepository repository,
                        Function<String, AgentRuntime> agents, InstantSource clock) {
        this.loop = loop;
        this.journal = journal;
        this.repository = repository;
        this.agents = agents;
        this.clock = clock;
    }

    /**
     * @param agents the runtime of each agent of the fleet, by agent name
     */
    public static FleetRunner create(RunLoop loop, Journal journal, RunRepository repository,
                                     Function<String, AgentRuntime> agents, InstantSource clock) {
        return new FleetRunner(Objects.requireNonNull(loop), Objects.requireNonNull(journal),
                Objects.requireNonNull(repository), Objects.requireNonNull(agents), Objects.requireNonNull(clock));
    }

    /** The run id of a task in an execution. */
    public static String runId(String executionId, String taskId) {
        return executionId + ":" + taskId;
    }

    /** Asks every run to stop at its next step; they finish as cancelled. */
    public void stop() {
        stopping.set(true);
    }

    /** Drives every task of the execution to a final state and returns the counts. */
    public Summary run(FleetSpec fleet, RunRepository.Execution execution, Listener listener) {
        long begin = clock.millis();
        Map<String, RunStatus> known = new ConcurrentHashMap<>();
        for (RunRepository.RunRow row : repository.runs(execution.id())) {
            known.put(row.runId(), row.status());
        }
        Tally tally = new Tally();
        Semaphore slots = new Semaphore(fleet.concurrency());
        try (ExecutorService threads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("run-", 0).factory())) {
            for (TaskSpec task : fleet.tasks()) {
                String runId = runId(execution.id(), task.id());
                RunStatus status = known.get(runId);
                if (status != null && status.state().isFinal()) {
                    tally.count(runId, status, null);
                    listener.runFinished(runId, status);
                    continue;
                }
                slots.acquireUninterruptibly();
                threads.submit(() -> {
                    try {
                        RunFold fold = runOne(fleet, execution, task, runId, status != null);
                        if (status != null) {
                            tally.resumed.increment();
                        }
                        tally.count(runId, fold.status(), null);
                        listener.runFinished(runId, fold.status());
                    } catch (RuntimeException e) {
                        tally.abandoned(runId, e);
                        listener.runAbandoned(runId, e);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        return tally.summary(fleet.tasks().size(), clock.millis() - begin);
    }

    private RunFold runOne(FleetSpec fleet, RunRepository.Execution execution, TaskSpec task, String runId, boolean exists) {
        AgentRuntime agent = agents.apply(task.agent());
        if (!exists) {
            var started = new RunEvent.RunStarted(clock.millis(), fleet.name(), execution.id(), task.id(), task.agent(),
                    task.input(), agent.modelName());
            return loop.start(runId, started, agent, stopping::get);
        }
        List<RunEvent> events = journal.read(runId).stream().map(JournalRecord::event).toList();
        RunFold fold = RunFold.of(events);
        return loop.drive(runId, fold, agent, stopping::get);
    }

    /** Thread-safe counters. */
    private static final class Tally {
        final LongAdder succeeded = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder cancelled = new LongAdder();
        final LongAdder limited = new LongAdder();
        final LongAdder resumed = new LongAdder();
        final LongAdder steps = new LongAdder();
        final LongAdder tokens = new LongAdder();
        final java.util.concurrent.atomic.DoubleAdder cost = new java.util.concurrent.atomic.DoubleAdder();
        final Map<String, Integer> reasons = new ConcurrentHashMap<>();
        final List<String> samples = Collections.synchronizedList(new ArrayList<>());

        void count(String runId, RunStatus status, String ignored) {
            steps.add(status.steps());
            tokens.add(status.tokens());
            cost.add(status.costUsd());
            switch (status.state()) {
                case SUCCEEDED -> succeeded.increment();
                case CANCELLED -> cancelled.increment();
                case LIMITED -> {
                    limited.increment();
                    failure(runId, status.detail());
                }
                default -> {
                    failed.increment();
                    failure(runId, status.detail());
                }
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
            return new Summary(tasks, succeeded.intValue(), failed.intValue(), cancelled.intValue(), limited.intValue(),
                    resumed.intValue(), steps.sum(), tokens.sum(), cost.sum(), wall, Map.copyOf(reasons), List.copyOf(samples));
        }
    }
}
