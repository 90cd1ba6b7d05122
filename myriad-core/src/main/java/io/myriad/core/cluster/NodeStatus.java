package io.myriad.core.cluster;

import java.util.Objects;

/**
 * A node as the store sees it.
 *
 * @param node        the node's current incarnation
 * @param joinedAt    when it joined, epoch milliseconds of the store's clock
 * @param heartbeatAt its last heartbeat, same clock
 * @param lagMillis   how long ago that was
 * @param alive       whether its lease holds ({@code lagMillis} within the lease timeout)
 * @param runsOwned   the non-final runs it owns
 */
public record NodeStatus(Node node, long joinedAt, long heartbeatAt, long lagMillis, boolean alive, long runsOwned) {
    public NodeStatus {
        Objects.requireNonNull(node, "node");
    }
}
