package io.myriad.core.gateway;

/**
 * Something that sends model calls under a limit of calls in flight that can be changed while it
 * runs: a {@link ModelGateway}, or a {@link GatewayGroup} of the gateways that share one
 * provider account. {@link ClusterConcurrency} sets the limit to the node's slice of the cluster's.
 */
public interface Throttle {

    /** Calls in flight now. */
    int inFlight();

    /** Calls waiting to be sent. */
    int queued();

    /** The limit of calls in flight. */
    int maxConcurrency();

    /** Changes the limit; lowering it never interrupts a call in flight (nothing new is sent until they fit). */
    void maxConcurrency(int n);

    /** The calls this throttle may have in flight until it next reports: its limit, or more when lowered calls are still out. */
    default int inUse() {
        return Math.max(maxConcurrency(), inFlight());
    }
}
