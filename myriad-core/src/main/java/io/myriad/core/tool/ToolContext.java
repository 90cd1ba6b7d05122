package io.myriad.core.tool;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a tool is told about the call it serves.
 *
 * @param runId          the run making the call
 * @param callId         the model's id for this call
 * @param idempotencyKey stable across retries and recovery: the same call always has the same key
 * @param workspace      the run's private folder; file tools never leave it
 */
public record ToolContext(String runId, String callId, String idempotencyKey, Path workspace) {
    public ToolContext {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(workspace, "workspace");
    }
}
