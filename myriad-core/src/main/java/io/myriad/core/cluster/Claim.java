package io.myriad.core.cluster;

import io.myriad.core.journal.Journal;
import java.util.Objects;

/**
 * A run owned by a node: the node's id and the run's owner epoch, which the claim raised. The
 * node's appends carry {@link #owner()} and are fenced once another claim raises the epoch again.
 */
public record Claim(String runId, String node, long epoch) {
    public Claim {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(node, "node");
        if (epoch < 1) {
            throw new IllegalArgumentException("an owner epoch starts at 1, got " + epoch);
        }
    }

    /** The fence token for this run's appends ({@link Journal.Append#ownedBy}). */
    public Journal.Owner owner() {
        return new Journal.Owner(node, epoch);
    }
}
