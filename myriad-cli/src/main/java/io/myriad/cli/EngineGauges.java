package io.myriad.cli;

import io.myriad.core.gateway.CircuitBreaker;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.run.FleetRunner;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Where a fleet run in a node reports what only the engine knows (runs in progress, calls queued
 * at the model gateway and their waits, the breaker, test slots), read on each metrics scrape.
 */
@FunctionalInterface
interface EngineGauges {
    EngineGauges NONE = (name, help, tags, value) -> { };

    void gauge(String name, String help, Map<String, String> tags, Supplier<Number> value);

    /** Registers the fleet's figures, tagged with its tenant and name. */
    default void register(String tenant, String fleet, FleetRunner runner, Map<ModelProvider, ModelGateway> gateways,
            CodingSetup coding) {
        Map<String, String> tags = Map.of("tenant", tenant, "fleet", fleet);
        Collection<ModelGateway> g = gateways.values();
        gauge("myriad_fleet_active_runs", "Runs of the fleet in progress in this node (not waiting for a person)", tags,
                runner::activeRuns);
        gauge("myriad_gateway_queued", "Model calls of the fleet waiting in the gateways' fair queues", tags,
                () -> sum(g, ModelGateway::queued));
        gauge("myriad_gateway_in_flight", "Model calls of the fleet sent and not yet answered", tags,
                () -> sum(g, ModelGateway::inFlight));
        gauge("myriad_gateway_queue_wait_p99_seconds", "99th percentile of the time a model call waited in the gateway "
                + "queue (fair queue, rate limiter and breaker together), since the fleet started", tags,
                () -> g.stream().mapToLong(x -> x.queueWait().percentile(0.99)).max().orElse(0) / 1e6);
        gauge("myriad_gateway_breaker_open", "Gateways of the fleet whose circuit breaker is open", tags,
                () -> g.stream().filter(x -> x.stats().breakerState() == CircuitBreaker.State.OPEN).count());
        gauge("myriad_gateway_retries_delayed", "Retries held back by the retry budget so far", tags,
                () -> sum(g, x -> x.stats().retriesDelayedByBudget()));
        if (coding != null) {
            gauge("myriad_test_slots_in_use", "Sandboxed test commands running (coding fleets)", tags,
                    () -> coding.slots().running());
            gauge("myriad_test_slots_waiting", "Test commands waiting for a slot (coding fleets)", tags,
                    () -> coding.slots().waiting());
        }
    }

    private static long sum(Collection<ModelGateway> gateways, ToLongFunction<ModelGateway> f) {
        return gateways.stream().mapToLong(f).sum();
    }
}
