package io.myriad.tools.swe;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A run's own checkout of its task's base.
 *
 * @param taskId     the task it was made for
 * @param runId      the run it belongs to
 * @param dir        the checkout's root, the agent's workspace
 * @param repository the task's repository as a local path
 * @param baseCommit the full commit id the checkout started from
 */
public record RunWorkspace(String taskId, String runId, Path dir, Path repository,
        String baseCommit) {
    public RunWorkspace {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(baseCommit, "baseCommit");
    }
}
