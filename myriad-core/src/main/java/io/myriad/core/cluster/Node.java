package io.myriad.core.cluster;

import java.util.Objects;

/**
 * One incarnation of a node in the cluster: its id and the epoch {@link Ownership#join} gave it.
 * A node that restarts under the same id is a new incarnation with a higher epoch.
 */
public record Node(String id, long epoch, int capacity) {
    public Node {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("a node needs an id");
        }
        if (epoch < 1) {
            throw new IllegalArgumentException("a node epoch starts at 1, got " + epoch);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("a node's capacity must be at least 1, got " + capacity);
        }
    }
}
