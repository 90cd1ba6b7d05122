package io.myriad.core.run;

import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.RunStatus;

/**
 * Prepares the folder a run works in before the run takes a step in this process, and lets it
 * go when the run is final: a checkout of a repository for a coding task, nothing for most
 * fleets. The run's workspace is always {@code <workspace root>/<RunLoop.workspaceName(runId)>}.
 *
 * <p>Called from step workers, for many runs at once.
 */
public interface RunWorkspaces {
    /** Prepares nothing: tools create the folder when they first need it. */
    RunWorkspaces NONE = new RunWorkspaces() {};

    /**
     * Makes the run's workspace ready. Called once per process before the run's first step there:
     * for a new run after {@code run_started} is journaled, for a resumed run before it goes on
     * (its workspace may already hold its work, which must be kept).
     *
     * @throws RuntimeException when the workspace cannot be prepared; the run then fails with
     *                          reason {@code workspace} and the exception's message
     */
    default void prepare(String runId, TaskSpec task, boolean resumed) {}

    /** The run reached a final state in this process: its workspace may be removed or kept. */
    default void release(String runId, RunStatus status) {}
}
