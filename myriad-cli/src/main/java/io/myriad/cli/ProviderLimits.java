package io.myriad.cli;

import io.myriad.core.cluster.ClusterMember;
import io.myriad.core.cluster.LimitShares;
import io.myriad.core.cluster.Node;
import io.myriad.core.fleet.ProviderLimit;
import io.myriad.core.gateway.ClusterConcurrency;
import io.myriad.core.gateway.GatewayGroup;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.store.PostgresStore;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * This process's provider accounts with a shared limit ({@code provider_limit} in fleet files):
 * one {@link GatewayGroup} per account, holding the gateways of every fleet the process runs that
 * names it. Alone, a group's limit is the account's; in a cluster, it is the slice this node
 * leases from the store ({@link ClusterConcurrency}), so the account's limit holds for every node
 * together.
 *
 * <p>One per process (a process is one node): {@link #shared()}. A platform thread rebalances the
 * groups every {@value #REBALANCE_MILLIS} ms and, in a cluster, renews each slice once per
 * heartbeat interval.
 */
final class ProviderLimits {
    static final long REBALANCE_MILLIS = 200;
    private static final ProviderLimits SHARED = new ProviderLimits();

    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private volatile Cluster cluster;
    private ScheduledExecutorService timer; // guarded by this

    private record Cluster(ClusterMember member, LimitShares shares, long tickMillis, Consumer<String> log) {}

    /** One account: its group and, in a cluster, its current lease of a slice. */
    private static final class Account {
        final ProviderLimit limit;
        final GatewayGroup group;
        ClusterConcurrency slice; // guarded by this
        Node sliceNode; // the incarnation the slice was leased for; guarded by this
        long nextTick; // guarded by this

        /** {@code clustered}: the group sends nothing until the node's first slice (the others may hold the whole limit). */
        Account(ProviderLimit limit, boolean clustered) {
            this.limit = limit;
            this.group = new GatewayGroup(limit.name(), clustered ? 0 : limit.concurrency());
        }
    }

    static ProviderLimits shared() {
        return SHARED;
    }

    /** From now on the accounts' limits are shared with the cluster {@code member} belongs to. */
    void cluster(ClusterMember member, PostgresStore store, Consumer<String> log) {
        this.cluster = new Cluster(member, store.limitShares(member.ownership().leaseTimeout()),
                Math.max(100, member.ownership().leaseTimeout().toMillis() / 5), log);
        start();
    }

    /** Puts {@code gateway} under its account's limit until the returned handle is closed (its fleet ended). */
    AutoCloseable join(ProviderLimit limit, ModelGateway gateway) {
        Account a = accounts.computeIfAbsent(limit.name(), n -> new Account(limit, cluster != null));
        a.group.add(gateway);
        start();
        return () -> a.group.remove(gateway);
    }

    /** The group of an account, for figures and tests. */
    java.util.Optional<GatewayGroup> group(String name) {
        return java.util.Optional.ofNullable(accounts.get(name)).map(a -> a.group);
    }

    private synchronized void start() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("myriad-provider-limits").daemon(true).factory());
            timer.scheduleWithFixedDelay(this::tick, REBALANCE_MILLIS, REBALANCE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void tick() {
        Cluster c = cluster;
        long now = System.nanoTime();
        for (Account a : accounts.values()) {
            try {
                synchronized (a) {
                    if (c == null) {
                        a.group.maxConcurrency(a.limit.concurrency()); // rebalances
                        continue;
                    }
                    Node node = c.member().node();
                    if (a.slice == null || a.slice.lost() || !node.equals(a.sliceNode)) {
                        // First lease, or the node joined again after losing its lease: a new incarnation starts at 0.
                        a.slice = ClusterConcurrency.create(c.shares(), node, LimitShares.concurrencyKey(a.limit.name()),
                                a.limit.concurrency(), a.group, InstantSource.system());
                        a.sliceNode = node;
                        a.nextTick = now;
                    }
                    if (!c.member().valid()) {
                        a.slice.leaseLost(); // paused past the lease: no call leaves until the node joined again
                        continue;
                    }
                    if (now - a.nextTick >= 0) {
                        a.nextTick = now + TimeUnit.MILLISECONDS.toNanos(c.tickMillis());
                        a.slice.tick(); // sets the group's limit to the slice (rebalancing it)
                    } else {
                        a.group.rebalance();
                    }
                }
            } catch (RuntimeException e) {
                if (c != null) {
                    c.log().accept("cluster: provider limit " + a.limit.name() + ": " + e.getMessage());
                }
            }
        }
    }

    private ProviderLimits() {}
}
