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
 * @param cancellation   where a tool registers how to stop its effect at once when the run is killed
 */
public record ToolContext(String runId, String callId, String idempotencyKey, Path workspace, Cancellation cancellation) {
    public ToolContext {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(cancellation, "cancellation");
    }

    /** A context whose call is never cancelled by a kill (tests, tools called outside a run). */
    public ToolContext(String runId, String callId, String idempotencyKey, Path workspace) {
        this(runId, callId, idempotencyKey, workspace, new Cancellation());
    }
}
