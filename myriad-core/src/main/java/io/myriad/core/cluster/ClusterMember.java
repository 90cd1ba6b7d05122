package io.myriad.core.cluster;

import io.myriad.core.MyriadException;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * This process as a node of a cluster: it joins through {@link Ownership}, keeps its lease alive
 * with one heartbeat per interval, knows which runs it owns and at which owner epoch, and stamps
 * every append to them ({@link #journal}) so the store fences it once another node has taken the
 * run over.
 *
 * <p>Notes. The lease is also judged locally, on the monotonic clock: it holds until the start of
 * the last successful heartbeat plus the lease timeout, less one heartbeat interval. A process that
 * was paused (SIGSTOP, a long GC, a frozen VM) for longer than that finds its lease lapsed the
 * moment it runs again, before any heartbeat: {@link #valid()} is false, appends are refused here
 * without reaching the store, and no model call leaves ({@code FleetRunner.Builder#lease}). The
 * next heartbeat then fails with {@link LeaseLostException} (or succeeds, if no other node moved
 * meanwhile and the store still counts the lease); either way the node forgets every run it owned,
 * joins again with a new epoch and claims afresh. Runs it was driving are let go in this process;
 * their appends are fenced by the store if another node owns them now.
 *
 * <p>Thread-safe. Heartbeats run on the given timer.
 */
public final class ClusterMember implements AutoCloseable {
    private final Ownership ownership;
    private final String nodeId;
    private final int capacity;
    private final Duration heartbeat;
    private final Consumer<String> log;
    private final Map<String, Journal.Owner> owners = new ConcurrentHashMap<>();
    private final Set<Runnable> onLeaseLost = ConcurrentHashMap.newKeySet();
    private final AtomicLong validUntilNanos = new AtomicLong();
    private final AtomicLong rejoins = new AtomicLong();
    private volatile Node node;
    private volatile boolean draining;
    private volatile boolean closed;
    private final ScheduledFuture<?> beats;

    private ClusterMember(Ownership ownership, String nodeId, int capacity, Duration heartbeat, ScheduledExecutorService timer,
            Consumer<String> log) {
        this.ownership = Objects.requireNonNull(ownership, "ownership");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.capacity = capacity;
        this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
        this.log = Objects.requireNonNull(log, "log");
        if (heartbeat.compareTo(ownership.leaseTimeout()) >= 0) {
            throw new IllegalArgumentException("the heartbeat (" + heartbeat + ") must be shorter than the lease ("
                    + ownership.leaseTimeout() + ")");
        }
        long start = System.nanoTime();
        this.node = ownership.join(nodeId, capacity);
        validUntilNanos.set(start + margin());
        this.beats = timer.scheduleWithFixedDelay(this::beat, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Joins the cluster as {@code nodeId} and heart-beats every {@code heartbeat} on {@code timer}.
     *
     * @param capacity the most non-final runs the store lets this node own at once
     * @param log      where lease losses and store failures are told (one line each)
     */
    public static ClusterMember join(Ownership ownership, String nodeId, int capacity, Duration heartbeat,
            ScheduledExecutorService timer, Consumer<String> log) {
        return new ClusterMember(ownership, nodeId, capacity, heartbeat, timer, log);
    }

    /** How long after a heartbeat starts the lease is trusted locally: the timeout less one interval. */
    private long margin() {
        return ownership.leaseTimeout().minus(heartbeat).toNanos();
    }

    private void beat() {
        if (closed) {
            return;
        }
        long start = System.nanoTime();
        Node current = node;
        try {
            ownership.heartbeat(current);
            if (System.nanoTime() - start < margin()) { // a heartbeat slower than the lease proves nothing
                validUntilNanos.set(start + margin());
            }
            if (start - validUntilNanos.get() > 0) {
                lost(current, "the lease lapsed in this process (paused, or the store was slow)");
            }
        } catch (LeaseLostException e) {
            lost(current, e.getMessage());
        } catch (MyriadException | IllegalStateException e) {
            // The store cannot be reached: the lease runs out on its own (valid() turns false) and the next beat tells.
            if (!valid()) {
                log.accept("cluster: node " + nodeId + " cannot reach the store and its lease lapsed: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            log.accept("cluster: heartbeat of node " + nodeId + " failed: " + e);
        }
    }

    /** Forgets every run this incarnation owned and joins again under a new epoch. */
    private void lost(Node was, String why) {
        validUntilNanos.set(System.nanoTime() - 1);
        owners.clear();
        onLeaseLost.forEach(Runnable::run);
        log.accept("cluster: node " + nodeId + " (epoch " + was.epoch() + ") lost its lease: " + why
                + "; its runs are let go here and it joins again");
        if (closed) {
            return;
        }
        long start = System.nanoTime();
        node = ownership.join(nodeId, capacity);
        validUntilNanos.set(start + margin());
        rejoins.incrementAndGet();
        log.accept("cluster: node " + nodeId + " joined again (epoch " + node.epoch() + ")");
    }

    /** This node's current incarnation. */
    public Node node() {
        return node;
    }

    /** The store's view of ownership (for claims and status). */
    public Ownership ownership() {
        return ownership;
    }

    /** True while this node's lease holds, judged on the local monotonic clock. */
    public boolean valid() {
        return !closed && System.nanoTime() - validUntilNanos.get() < 0;
    }

    /** How many times the lease was lost and the node joined again. */
    public long rejoins() {
        return rejoins.get();
    }

    /** Called (on the heartbeat thread) each time the lease is lost, before the node joins again. */
    public void onLeaseLost(Runnable listener) {
        onLeaseLost.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The runs claimed: this node owns them at the claim's epoch from now on. */
    public void owned(List<Claim> claims) {
        for (Claim c : claims) {
            owners.put(c.runId(), c.owner());
        }
    }

    /** The run's owner epoch, the fence its tool calls carry; 0 when this node does not own it. */
    public long fence(String runId) {
        Journal.Owner o = owners.get(runId);
        return o == null ? 0 : o.epoch();
    }

    /**
     * The fence a tool call of the run carries, asked just before the call leaves: the run's
     * owner epoch.
     *
     * @throws JournalFenceException when this node may not act on the run now (its lease lapsed, or
     *                               it does not own the run): the call is not made, and the run is let go here
     */
    public long fenceToAct(String runId) {
        Journal.Owner o = owners.get(runId);
        if (o == null || !valid()) {
            Journal.Owner shown = o != null ? o : new Journal.Owner(nodeId, Math.max(1, node.epoch()));
            throw new JournalFenceException(runId, -1, shown);
        }
        return o.epoch();
    }

    /** True when this node owns the run now. */
    public boolean owns(String runId) {
        return owners.containsKey(runId);
    }

    /** How many runs this node owns now (final ones are forgotten as they end). */
    public int owned() {
        return owners.size();
    }

    /** Forgets a run that ended here (final) or was let go. */
    public void forget(String runId) {
        owners.remove(runId);
    }

    /** Gives a run back to the cluster at once (it was abandoned here): claimable by any node. */
    public void release(String runId) {
        Journal.Owner o = owners.remove(runId);
        if (o != null) {
            try {
                ownership.release(new Claim(runId, o.node(), o.epoch()));
            } catch (RuntimeException e) {
                // It is claimable anyway once this node leaves or its lease lapses.
            }
        }
    }

    /** Stops claiming (a graceful drain): runs in progress go on. */
    public void drain() {
        draining = true;
    }

    /** True once {@link #drain()} was called. */
    public boolean draining() {
        return draining;
    }

    /**
     * The journal as this node writes it: an append to a run it owns carries the owner (node and
     * epoch) and is fenced by the store once another node owns the run; a new run's first append
     * makes this node its owner; any other append, and every append while the lease has lapsed,
     * fails with {@link JournalFenceException} without reaching the store.
     */
    public Journal journal(Journal inner) {
        Objects.requireNonNull(inner, "inner");
        return new Journal() {
            @Override
            public CompletableFuture<Void> append(Append append) {
                Journal.Owner owner = owners.get(append.runId());
                if (owner == null && append.expectedSeq() == 0 && valid()) {
                    Node n = node;
                    owner = new Journal.Owner(n.id(), n.epoch());
                    owners.put(append.runId(), owner);
                }
                if (owner == null || !valid()) {
                    Journal.Owner shown = owner != null ? owner : new Journal.Owner(nodeId, Math.max(1, node.epoch()));
                    return CompletableFuture.failedFuture(new JournalFenceException(append.runId(), append.expectedSeq(), shown));
                }
                Journal.Owner stamped = owner;
                return inner.append(append.ownedBy(stamped)).whenComplete((v, e) -> {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                    if (cause instanceof JournalFenceException) {
                        owners.remove(append.runId(), stamped); // another node owns it now
                    }
                });
            }

            @Override
            public List<JournalRecord> read(String runId) {
                return inner.read(runId);
            }

            @Override
            public void close() {
                // The store is closed by whoever opened it.
            }
        };
    }

    /** Leaves the cluster: the runs this node still owns are claimable at once by the others. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        beats.cancel(false);
        owners.clear();
        try {
            ownership.leave(node);
        } catch (RuntimeException e) {
            log.accept("cluster: node " + nodeId + " could not leave cleanly (its runs are taken over after the lease): "
                    + e.getMessage());
        }
    }
}
