package io.myriad.core.sched;

import io.myriad.core.MyriadException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The hierarchical fair queue in front of the model gateway and the tool slots: a tenant with a
 * million queued items cannot hold back a tenant with ten beyond its fair share.
 *
 * <p>Each item is queued under a tenant, a fleet and a run priority, with a cost (one per
 * request, or estimated tokens). {@link #poll()} picks:
 * <ol>
 *   <li>the tenant, by weighted deficit round robin (DRR) over the tenants that hold items;
 *   <li>within it the fleet, by weighted DRR again;
 *   <li>within the fleet the highest priority, first in first out among equal priorities.
 * </ol>
 * Within a fleet priority is strict: lower priorities wait while higher ones are queued.
 *
 * <p>Notes. In each DRR round every tenant (and, within a tenant, every fleet) that holds items
 * is credited its weight in cost units, and is served while the cost of its next item fits its
 * credit; the item's cost is then charged. A tenant that empties leaves the round and loses its
 * credit, so idle time earns nothing; a tenant that arrives joins the next round. Hence, among
 * tenants that stay backlogged, the cost served to each divided by its weight never differs
 * from another's by {@code 1 + maxCost / minWeight} or more: with two tenants of equal weight
 * and unit costs they strictly alternate, and with weights 3:1 they are served 3:1. Rounds in which
 * nobody could afford anything are skipped arithmetically rather than visited (see
 * {@link DeficitRoundRobin}), so a fine quantum costs nothing: every operation is
 * O(log active tenants + log active fleets of the tenant + log priorities of the fleet), and a
 * queued item costs an array slot for itself and one for its cost, no node object.
 *
 * <p>Thread-safe: every method takes one lock, held briefly and never while calling out.
 * Tenants and fleets are forgotten when they hold no items and have the default weight.
 *
 * @param <T> the queued item, typically a pending model call or tool invocation
 */
public final class FairQueue<T> {
    /** The largest cost an item may have: about 10^12, keeping all credit arithmetic exact. */
    public static final long MAX_COST = 1L << 40;
    /** The most items the queue holds at once. */
    public static final int MAX_SIZE = 1 << 30;
    private static final int DEFAULT_WEIGHT = 1;

    private final ReentrantLock lock = new ReentrantLock();
    /** Tenants holding items or configured; guarded by lock. */
    private final Map<String, TenantQueue> tenants = new HashMap<>();
    /** Tenant-level round robin; guarded by lock. */
    private final DeficitRoundRobin<TenantQueue> schedule = new DeficitRoundRobin<>();
    /** Items queued; guarded by lock. */
    private int size;

    private FairQueue() {
    }

    /** An empty queue in which every tenant and fleet has weight 1. */
    public static <T> FairQueue<T> create() {
        return new FairQueue<>();
    }

    /**
     * Queues an item.
     *
     * @param tenant the tenant charged for the item
     * @param fleet the tenant's fleet the item belongs to
     * @param priority the run priority; higher is served first within the fleet
     * @param cost what serving the item uses up, from 1 to {@link #MAX_COST}: 1 per request, or
     *     estimated tokens
     * @param item the item
     * @throws NullPointerException if tenant, fleet or item is null
     * @throws IllegalArgumentException if the cost is out of range
     * @throws MyriadException (retriable) if the queue already holds {@link #MAX_SIZE} items
     */
    public void add(String tenant, String fleet, int priority, long cost, T item) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(item, "item");
        if (cost < 1 || cost > MAX_COST) {
            throw new IllegalArgumentException("cost must be between 1 and " + MAX_COST + ", was " + cost
                    + "; charge at least 1 per item (a request, or its estimated tokens)");
        }
        lock.lock();
        try {
            if (size == MAX_SIZE) {
                throw new MyriadException("the fair queue is full (" + MAX_SIZE
                        + " items); wait for items to be served before adding more", true);
            }
            TenantQueue t = tenants.computeIfAbsent(tenant, TenantQueue::new);
            FleetQueue f = t.fleet(fleet);
            f.add(priority, cost, item);
            t.size++;
            size++;
            t.schedule.update(f);
            schedule.update(t);
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the next item in fair order; empty when the queue is empty. */
    public Optional<T> poll() {
        lock.lock();
        try {
            TenantQueue t = schedule.next();
            if (t == null) {
                return Optional.empty();
            }
            FleetQueue f = t.schedule.next();
            long cost = f.headCost();
            @SuppressWarnings("unchecked")
            T item = (T) f.remove();
            t.size--;
            size--;
            t.schedule.served(f, cost);
            schedule.served(t, cost);
            forgetIfIdle(t, f);
            return Optional.of(item);
        } finally {
            lock.unlock();
        }
    }

    /** The number of items queued. */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** True when no item is queued. */
    public boolean isEmpty() {
        return size() == 0;
    }

    /**
     * The number of items the tenant has queued.
     *
     * @throws NullPointerException if tenant is null
     */
    public int size(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        lock.lock();
        try {
            TenantQueue t = tenants.get(tenant);
            return t == null ? 0 : t.size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the tenant's share relative to other tenants (default 1): while backlogged, a tenant
     * of weight 3 is served three times the cost of a tenant of weight 1. Takes effect from the
     * tenant's next turn; the setting is kept while the tenant is idle.
     *
     * @throws NullPointerException if tenant is null
     * @throws IllegalArgumentException if weight is not positive
     */
    public void setTenantWeight(String tenant, int weight) {
        Objects.requireNonNull(tenant, "tenant");
        checkWeight(weight);
        lock.lock();
        try {
            TenantQueue t = tenants.computeIfAbsent(tenant, TenantQueue::new);
            schedule.reweight(t, weight);
            forgetIfIdle(t, null);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the fleet's share relative to the tenant's other fleets (default 1). Takes effect from
     * the fleet's next turn; the setting is kept while the fleet is idle.
     *
     * @throws NullPointerException if tenant or fleet is null
     * @throws IllegalArgumentException if weight is not positive
     */
    public void setFleetWeight(String tenant, String fleet, int weight) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(fleet, "fleet");
        checkWeight(weight);
        lock.lock();
        try {
            TenantQueue t = tenants.computeIfAbsent(tenant, TenantQueue::new);
            FleetQueue f = t.fleet(fleet);
            t.schedule.reweight(f, weight);
            if (!t.isEmpty()) {
                schedule.update(t);
            }
            forgetIfIdle(t, f);
        } finally {
            lock.unlock();
        }
    }

    /** Tenants plus fleets whose state is kept; for tests that check idle ones are forgotten. */
    int tracked() {
        lock.lock();
        try {
            int n = tenants.size();
            for (TenantQueue t : tenants.values()) {
                n += t.fleets.size();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "FairQueue[size=" + size + ", tenants=" + tenants.size() + "]";
        } finally {
            lock.unlock();
        }
    }

    private static void checkWeight(int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be positive, was " + weight
                    + "; use 1 for the default share");
        }
    }

    /** Drops what an idle, unconfigured fleet and tenant would otherwise keep. Requires lock. */
    private void forgetIfIdle(TenantQueue t, FleetQueue f) {
        if (f != null && f.isEmpty() && f.weight == DEFAULT_WEIGHT) {
            t.fleets.remove(f.name);
        }
        if (t.isEmpty() && t.weight == DEFAULT_WEIGHT && t.fleets.isEmpty()) {
            tenants.remove(t.name);
        }
    }
}
