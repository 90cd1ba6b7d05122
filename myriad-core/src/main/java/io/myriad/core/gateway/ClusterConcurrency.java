package io.myriad.core.gateway;

import io.myriad.core.MyriadException;
import io.myriad.core.cluster.LeaseLostException;
import io.myriad.core.cluster.LimitShares;
import io.myriad.core.cluster.Node;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps one gateway's concurrency limit at this node's slice of a cluster-wide limit. The node
 * calls {@link #tick()} once per heartbeat interval (say every 500 ms): it reads the gateway's
 * demand, asks {@link LimitShares#update} for the node's slice, and sets the gateway's limit to it.
 *
 * <p>Notes. Safety rests on the order of the steps (see {@link LimitShares}): the {@code inUse}
 * passed to the store is the larger of the gateway's current limit and its calls in flight, so a
 * lowered slice takes effect locally first and reaches the store one tick later, once the calls in
 * flight fit under it; a raised one is in the store before the gateway uses it. When the lease is
 * lost the limit drops to 0 for good: the node must join again and make a new instance for its new
 * incarnation. When the store cannot be reached the gateway keeps its slice until a lease timeout
 * has passed since the start of the last update that succeeded, and then drops to 0 as well, since
 * the others may by then count the node as gone.
 *
 * <p>Guarded by {@code lock}: {@code lost}, {@code lastOkAt}, {@code last}. Ticks are serialized.
 */
public final class ClusterConcurrency {
    private final LimitShares shares;
    private final Node node;
    private final String key;
    private final int limit;
    private final Throttle gateway;
    private final InstantSource clock;
    private final long leaseMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean lost;
    private long lastOkAt;
    private LimitShares.Slice last;

    private ClusterConcurrency(LimitShares shares, Node node, String key, int limit, Throttle gateway,
                               InstantSource clock) {
        this.shares = Objects.requireNonNull(shares, "shares");
        this.node = Objects.requireNonNull(node, "node");
        this.key = Objects.requireNonNull(key, "key");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (key.isBlank() || limit < 0) {
            throw new IllegalArgumentException("a cluster limit needs a key and a limit of at least 0, got "
                    + key + " = " + limit);
        }
        this.limit = limit;
        this.leaseMillis = shares.leaseTimeout().toMillis();
        this.lastOkAt = clock.millis();
    }

    /**
     * Shares {@code limit} for {@code gateway} under {@code key}. The gateway's limit is set to 0 at
     * once: the node holds no slice until its first {@link #tick()}.
     *
     * @param shares  the cluster's limit shares (on PostgreSQL: {@code PostgresStore.limitShares(leaseTimeout)})
     * @param node    this node's incarnation, from {@code Ownership.join}
     * @param key     the limit's key, usually {@link LimitShares#concurrencyKey(String)} of the provider
     * @param limit   the most calls in flight for the cluster as a whole
     * @param gateway the node's gateway in front of that provider, or the group of its gateways sharing it
     * @param clock   for the store-unreachable fallback
     */
    public static ClusterConcurrency create(LimitShares shares, Node node, String key, int limit, Throttle gateway,
                                            InstantSource clock) {
        ClusterConcurrency c = new ClusterConcurrency(shares, node, key, limit, gateway, clock);
        gateway.maxConcurrency(0);
        return c;
    }

    /**
     * One round of the protocol: reports demand, applies the slice the store gives. Returns the
     * slice, or nothing when the lease is lost or the store could not be reached this time.
     *
     * @throws MyriadException when the store failed in a way a retry cannot fix (the limit is 0 then)
     */
    public Optional<LimitShares.Slice> tick() {
        lock.lock();
        try {
            if (lost) {
                return Optional.empty();
            }
            long startedAt = clock.millis();
            int inFlight = gateway.inFlight();
            int demand = inFlight + gateway.queued();
            int inUse = gateway.inUse();
            LimitShares.Slice slice;
            try {
                slice = shares.update(node, key, limit, demand, inUse);
            } catch (LeaseLostException e) {
                leaseLost();
                return Optional.empty();
            } catch (MyriadException e) {
                if (!e.retriable()) {
                    gateway.maxConcurrency(0);
                    throw e;
                }
                if (clock.millis() - lastOkAt >= leaseMillis) {
                    gateway.maxConcurrency(0);
                }
                return Optional.empty();
            }
            gateway.maxConcurrency(slice.slice());
            lastOkAt = startedAt;
            last = slice;
            return Optional.of(slice);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The node's lease is lost (its heartbeat said so): the gateway's limit drops to 0 and stays
     * there; calls in flight finish.
     */
    public void leaseLost() {
        lock.lock();
        try {
            lost = true;
            gateway.maxConcurrency(0);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the lease was lost: this instance is done, the node must join again. */
    public boolean lost() {
        lock.lock();
        try {
            return lost;
        } finally {
            lock.unlock();
        }
    }

    /** The last slice the store gave, if any. */
    public Optional<LimitShares.Slice> last() {
        lock.lock();
        try {
            return Optional.ofNullable(last);
        } finally {
            lock.unlock();
        }
    }
}
