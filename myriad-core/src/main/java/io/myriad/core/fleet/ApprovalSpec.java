package io.myriad.core.fleet;

import java.time.Duration;
import java.util.Objects;

/**
 * The fleet file's {@code approvals:} key: how long a pending approval stays open before it
 * expires as a denial, and how many approvals one execution of the fleet may have pending at
 * once (a run that would ask for more waits, journaling nothing, until one is decided).
 */
public record ApprovalSpec(Duration expireAfter, int maxPending) {
    /** 24 hours, at most 100 pending. */
    public static final ApprovalSpec DEFAULT = new ApprovalSpec(Duration.ofHours(24), 100);

    public ApprovalSpec {
        Objects.requireNonNull(expireAfter, "expireAfter");
        if (!expireAfter.isPositive()) {
            throw new IllegalArgumentException("approvals.expire_after must be positive, not " + expireAfter);
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("approvals.max_pending must be at least 1, not " + maxPending);
        }
    }
}
