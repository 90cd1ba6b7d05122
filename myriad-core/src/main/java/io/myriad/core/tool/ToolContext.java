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
 * @param fence          the run's owner epoch in a cluster (0 outside one). It grows each time
 *                       another node takes the run over, so a resource that remembers the highest
 *                       fence it saw for a run can refuse the late effect of a node that lost it
 *                       (a paused process that wakes up after its lease lapsed)
 */
public record ToolContext(String runId, String callId, String idempotencyKey, Path workspace, Cancellation cancellation,
                          long fence) {
    public ToolContext {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(cancellation, "cancellation");
        if (fence < 0) {
            throw new IllegalArgumentException("a fence is never negative, got " + fence);
        }
    }

    /** Outside a cluster: no fence. */
    public ToolContext(String runId, String callId, String idempotencyKey, Path workspace, Cancellation cancellation) {
        this(runId, callId, idempotencyKey, workspace, cancellation, 0);
    }

    /** A context whose call is never cancelled by a kill (tests, tools called outside a run). */
    public ToolContext(String runId, String callId, String idempotencyKey, Path workspace) {
        this(runId, callId, idempotencyKey, workspace, new Cancellation());
    }
}
