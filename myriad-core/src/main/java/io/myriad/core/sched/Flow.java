package io.myriad.core.sched;

/**
 * What {@link DeficitRoundRobin} keeps per flow (a tenant, or a fleet within a tenant).
 *
 * <p>A flow belongs to exactly one scheduler, which alone writes these fields. Fields are guarded
 * by the lock of the owning {@link FairQueue}.
 */
abstract class Flow {
    /** Share of service; the quantum added per visit, in cost units. At least 1. */
    int weight = 1;
    /** Cost the flow may still be charged; reset to 0 when the flow empties. */
    long deficit;
    /** While waiting: the round of the next visit whose quantum is not yet in {@link #deficit}. */
    long visitRound;
    /** While waiting: the round of the first visit at which the flow can afford its head. */
    long eligibleRound;
    /** While active: the order of the flow's visit within each round. */
    long position;
    /** Index in the scheduler's heap while waiting, otherwise -1. */
    int heapIndex = -1;

    /** True when the flow holds no items. */
    abstract boolean isEmpty();

    /** The cost of the item the flow would send next; only called when not empty. */
    abstract long headCost();
}
