package io.myriad.core.gateway;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link ModelGateway} has done since it was built, at one moment. A gateway without
 * {@link Resilience} has no breaker and no budget: it reports the breaker closed, never opened,
 * and no retry delayed.
 *
 * @param requestsSent           requests handed to the provider, retries and probes included
 * @param retriesSent            of those, retries ({@link ModelGateway.Call#retry()})
 * @param retriesDelayedByBudget retries that had to wait for the retry budget (each counted once)
 * @param probesSent             requests sent as the circuit breaker's half-open probe
 * @param breakerState           the circuit breaker's state now
 * @param breakerOpens           times the breaker opened, reopenings after a failed probe included
 * @param timeOpen               time the breaker spent open or half-open, up to now
 */
public record GatewayStats(
        long requestsSent,
        long retriesSent,
        long retriesDelayedByBudget,
        long probesSent,
        CircuitBreaker.State breakerState,
        long breakerOpens,
        Duration timeOpen) {

    public GatewayStats {
        Objects.requireNonNull(breakerState, "breakerState");
        Objects.requireNonNull(timeOpen, "timeOpen");
    }
}
