package io.myriad.core.sched;

import java.util.HashMap;
import java.util.Map;

/**
 * The items of one tenant: its fleets, shared among them by weighted deficit round robin.
 * To the tenant-level schedule a tenant is one flow whose head is its fleets' next item.
 *
 * <p>Guarded by the lock of the owning {@link FairQueue}.
 */
final class TenantQueue extends Flow {
    final String name;
    /** Fleets that hold items or have a weight other than the default. */
    final Map<String, FleetQueue> fleets = new HashMap<>();
    final DeficitRoundRobin<FleetQueue> schedule = new DeficitRoundRobin<>();
    int size;

    TenantQueue(String name) {
        this.name = name;
    }

    FleetQueue fleet(String fleet) {
        return fleets.computeIfAbsent(fleet, FleetQueue::new);
    }

    @Override
    boolean isEmpty() {
        return size == 0;
    }

    @Override
    long headCost() {
        return schedule.peek().headCost();
    }
}
