package io.myriad.core.journal;

import java.util.List;
import java.util.Optional;

/** Executions of fleets and the runs they hold, for resuming and for listing. */
public interface RunRepository {

    /** One execution of a fleet file: a set of runs that is resumed until all are final. */
    record Execution(String id, String fleet, String digest, String source, long startedAt, long finishedAt, int tasks,
                     String tenant) {
        /** An execution of the default tenant. */
        public Execution(String id, String fleet, String digest, String source, long startedAt, long finishedAt, int tasks) {
            this(id, fleet, digest, source, startedAt, finishedAt, tasks, io.myriad.core.auth.Principal.DEFAULT_TENANT);
        }

        public boolean finished() {
            return finishedAt > 0;
        }
    }

    /** A run's listing row. */
    record RunRow(String runId, String execution, String fleet, String task, String agent, long seq, RunStatus status,
                  String tenant) {
        /** A run of the default tenant. */
        public RunRow(String runId, String execution, String fleet, String task, String agent, long seq, RunStatus status) {
            this(runId, execution, fleet, task, agent, seq, status, io.myriad.core.auth.Principal.DEFAULT_TENANT);
        }
    }

    /** The newest execution of the tenant's fleet that has not finished, if any. */
    Optional<Execution> unfinishedExecution(String tenant, String fleet);

    /** The newest unfinished execution of the default tenant's fleet. */
    default Optional<Execution> unfinishedExecution(String fleet) {
        return unfinishedExecution(io.myriad.core.auth.Principal.DEFAULT_TENANT, fleet);
    }

    /**
     * Creates a new execution of the tenant's fleet with an id of the form {@code <fleet>-<n>}
     * ({@code n} counts the executions of fleets of that name in every tenant, so ids are unique).
     */
    Execution createExecution(String tenant, String fleet, String digest, String source, int tasks, long now);

    /** Creates an execution of the default tenant. */
    default Execution createExecution(String fleet, String digest, String source, int tasks, long now) {
        return createExecution(io.myriad.core.auth.Principal.DEFAULT_TENANT, fleet, digest, source, tasks, now);
    }

    void finishExecution(String executionId, long now);

    Optional<Execution> execution(String executionId);

    /** Runs of the execution, by run id. */
    List<RunRow> runs(String executionId);

    /** The runs of an execution whose id starts with {@code runIdPrefix} (a run's children: {@code <run id>~}). */
    default List<RunRow> runs(String executionId, String runIdPrefix) {
        return runs(executionId).stream().filter(r -> r.runId().startsWith(runIdPrefix)).toList();
    }

    /** The newest runs across executions, newest first, at most {@code limit}. */
    List<RunRow> recentRuns(int limit);

    Optional<RunRow> run(String runId);

    /** Executions, newest first, at most {@code limit}. */
    List<Execution> executions(int limit);
}
