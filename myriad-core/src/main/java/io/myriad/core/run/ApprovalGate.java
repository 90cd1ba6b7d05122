package io.myriad.core.run;

import java.time.Duration;
import java.util.Objects;

/**
 * How the run loop asks for approvals in one execution: how long an approval stays open, and
 * whether the fleet may put one more approval in the queue (the cap of pending approvals per
 * fleet execution). A run refused a slot journals nothing and is driven again later.
 */
public interface ApprovalGate {

    /** The default time an approval stays open before it expires as a denial. */
    Duration DEFAULT_EXPIRY = Duration.ofHours(24);

    /** Approvals expire after {@link #DEFAULT_EXPIRY}; the queue has no cap. */
    ApprovalGate UNLIMITED = unlimited(DEFAULT_EXPIRY);

    /** How long an approval stays open. */
    Duration expireAfter();

    /**
     * Reserves a slot in the queue of pending approvals for one request of {@code runId}; false
     * when the queue is full. A reserved slot frees when the approval is decided or expires.
     */
    boolean tryReserve(String runId);

    /** Gives back a slot reserved for a request that was not journaled. */
    default void release(String runId) {}

    /** A gate without a cap. */
    static ApprovalGate unlimited(Duration expireAfter) {
        Objects.requireNonNull(expireAfter, "expireAfter");
        return new ApprovalGate() {
            @Override
            public Duration expireAfter() {
                return expireAfter;
            }

            @Override
            public boolean tryReserve(String runId) {
                return true;
            }
        };
    }
}
