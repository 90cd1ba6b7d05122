package io.myriad.core.gateway;

import io.myriad.core.cluster.FairSlices;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The gateways of one process that send to one provider account (several fleets, often of
 * several tenants), under one limit of calls in flight for them all. The limit is split among the
 * gateways by demand, water-filling ({@link FairSlices#targets}): a gateway with nothing to send
 * gets nothing, and gateways that all wait get equal shares, so tenants sharing the account share
 * it fairly.
 *
 * <p>Notes. The split is recomputed on {@link #rebalance()} (the owner calls it every few hundred
 * milliseconds) and whenever the limit changes. Lowering a gateway's share takes effect at once
 * for new calls; the share taken from it is given to another gateway only once its calls in flight
 * fit under its new share, and while calls out exceed the limit no gateway sends a new one: the
 * group's calls in flight never grow beyond the limit.
 *
 * <p>Thread-safe: every method holds this group's monitor, and calls out only to the gateways.
 */
public final class GatewayGroup implements Throttle {
    private final String name;
    private final List<Throttle> members = new ArrayList<>();
    private int limit;

    /** A group with no gateways and a limit of {@code limit} calls in flight. */
    public GatewayGroup(String name, int limit) {
        this.name = Objects.requireNonNull(name, "name");
        if (limit < 0) {
            throw new IllegalArgumentException("a limit is never negative, got " + limit);
        }
        this.limit = limit;
    }

    public String name() {
        return name;
    }

    /** Adds a gateway: it sends nothing until the next rebalance gives it a share. */
    public synchronized void add(Throttle gateway) {
        Objects.requireNonNull(gateway, "gateway");
        gateway.maxConcurrency(0);
        members.add(gateway);
        rebalance();
    }

    /** Removes a gateway (its fleet ended); its share goes to the others. */
    public synchronized void remove(Throttle gateway) {
        members.remove(gateway);
        rebalance();
    }

    public synchronized int size() {
        return members.size();
    }

    @Override
    public synchronized int inFlight() {
        return members.stream().mapToInt(Throttle::inFlight).sum();
    }

    @Override
    public synchronized int queued() {
        return members.stream().mapToInt(Throttle::queued).sum();
    }

    /** The group's limit (what the gateways' shares add up to once lowered ones drained). */
    @Override
    public synchronized int maxConcurrency() {
        return limit;
    }

    @Override
    public synchronized int inUse() {
        int used = 0;
        for (Throttle t : members) {
            used += t.inUse();
        }
        return Math.max(limit, used);
    }

    @Override
    public synchronized void maxConcurrency(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("a limit is never negative, got " + n);
        }
        limit = n;
        rebalance();
    }

    /** Splits the limit among the gateways again, by what each has in flight and waiting now. */
    public synchronized void rebalance() {
        Map<String, Integer> demands = new LinkedHashMap<>();
        for (int i = 0; i < members.size(); i++) {
            Throttle t = members.get(i);
            demands.put(key(i), t.inFlight() + t.queued());
        }
        Map<String, Integer> targets = FairSlices.targets(limit, demands);
        // Lower first: new calls stop at once; their calls in flight still count below.
        for (int i = 0; i < members.size(); i++) {
            Throttle t = members.get(i);
            int target = targets.getOrDefault(key(i), 0);
            if (target < t.maxConcurrency()) {
                t.maxConcurrency(target);
            }
        }
        int used = 0;
        for (Throttle t : members) {
            used += t.inUse();
        }
        // Calls of lowered gateways still out may leave no room: the others send nothing new until they end.
        for (int i = 0; i < members.size() && used > limit; i++) {
            Throttle t = members.get(i);
            int spare = t.maxConcurrency() - t.inFlight();
            if (spare > 0) {
                int cut = Math.min(spare, used - limit);
                t.maxConcurrency(t.maxConcurrency() - cut);
                used -= cut;
            }
        }
        int room = limit - used;
        for (int i = 0; i < members.size() && room > 0; i++) {
            Throttle t = members.get(i);
            int target = targets.getOrDefault(key(i), 0);
            int current = t.maxConcurrency();
            if (target > current) {
                // What it may add is bounded by the room and by its calls in flight above its old limit.
                int add = Math.min(target - current, room);
                int before = t.inUse();
                t.maxConcurrency(current + add);
                room -= t.inUse() - before;
            }
        }
    }

    private static String key(int i) {
        return String.format("g%06d", i);
    }
}
