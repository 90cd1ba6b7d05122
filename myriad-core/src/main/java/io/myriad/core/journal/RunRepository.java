package io.myriad.core.journal;

import java.util.List;
import java.util.Optional;

/** Executions of fleets and the runs they hold, for resuming and for listing. */
public interface RunRepository {

    /** One execution of a fleet file: a set of runs that is resumed until all are final. */
    record Execution(String id, String fleet, String digest, String source, long startedAt, long finishedAt, int tasks) {
        public boolean finished() {
            return finishedAt > 0;
        }
    }

    /** A run's listing row. */
    record RunRow(String runId, String execution, String fleet, String task, String agent, long seq, RunStatus status) {}

    /** The newest execution of the fleet that has not finished, if any. */
    Optional<Execution> unfinishedExecution(String fleet);

    /** Creates a new execution with an id of the form {@code <fleet>-<n>}. */
    Execution createExecution(String fleet, String digest, String source, int tasks, long now);

    void finishExecution(String executionId, long now);

    Optional<Execution> execution(String executionId);

    /** Runs of the execution, by run id. */
    List<RunRow> runs(String executionId);

    /** The newest runs across executions, newest first, at most {@code limit}. */
    List<RunRow> recentRuns(int limit);

    Optional<RunRow> run(String runId);

    /** Executions, newest first, at most {@code limit}. */
    List<Execution> executions(int limit);
}
