package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Admission through the gateway: the concurrency limit, fairness between tenants, failures. */
class ModelGatewayTest {
    /** A provider whose calls stay open until the test answers them, in the order they arrived. */
    static final class ManualProvider implements ModelProvider {
        final ConcurrentLinkedQueue<CompletableFuture<ModelResponse>> open = new ConcurrentLinkedQueue<>();
        final List<String> arrived = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();

        @Override
        public ModelResponse complete(ModelRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ModelResponse> completeAsync(ModelRequest request, Executor executor) {
            arrived.add(request.runId());
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            var f = new CompletableFuture<ModelResponse>();
            open.add(f);
            return f;
        }

        /** Answers the oldest open call; false when none is open. */
        boolean answerOne() {
            var f = open.poll();
            if (f == null) {
                return false;
            }
            inFlight.decrementAndGet();
            f.complete(new ModelResponse(new Message.Assistant("ok", List.of()), new Usage(1, 1), "stop", "m"));
            return true;
        }

        @Override
        public String describe() {
            return "manual";
        }

        @Override
        public boolean simulated() {
            return true;
        }
    }

    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    static ModelRequest request(String id) {
        return new ModelRequest("m", List.of(new Message.User("hi")), List.of(), ModelRequest.ToolChoice.NONE, null, 0, null, id, 1);
    }

    ModelGateway gateway(ModelProvider provider, int slots) {
        return ModelGateway.builder().provider(provider).maxConcurrency(slots).executor(Runnable::run).timer(timer).build();
    }

    static void awaitArrivals(ManualProvider p, int n) throws InterruptedException {
        for (int i = 0; i < 2_000 && p.arrived.size() < n; i++) {
            Thread.sleep(1);
        }
        assertThat(p.arrived).hasSizeGreaterThanOrEqualTo(n);
    }

    @Test
    void neverMoreCallsInFlightThanSlots() throws Exception {
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 4);
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String id = "r" + i;
            outcomes.add(g.submit(new ModelGateway.Call("t", "f", 0, 10, () -> request(id))));
        }
        awaitArrivals(p, 4);
        assertThat(g.inFlight()).isEqualTo(4);
        assertThat(g.queued()).isEqualTo(96);
        while (p.answerOne()) {
            // each answer admits the next call
        }
        assertThat(outcomes).allSatisfy(o -> assertThat(o).isCompleted());
        assertThat(p.maxInFlight.get()).isEqualTo(4);
        assertThat(p.arrived).hasSize(100);
        assertThat(g.queueWait().count()).isEqualTo(100);
    }

    @Test
    void aTenantWithTenCallsIsNotStuckBehindOneWithTenThousand() throws Exception {
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 1);
        for (int i = 0; i < 10_000; i++) {
            String id = "big-" + i;
            g.submit(new ModelGateway.Call("big", "f", 0, 10, () -> request(id)));
        }
        awaitArrivals(p, 1);
        for (int i = 0; i < 10; i++) {
            String id = "small-" + i;
            g.submit(new ModelGateway.Call("small", "f", 0, 10, () -> request(id)));
        }
        for (int i = 0; i < 25; i++) {
            p.answerOne();
        }
        // With one slot and equal weights the two tenants alternate: the small tenant's ten calls
        // are all admitted within the next ~20 dispatches, not after the big tenant's backlog.
        List<String> first = p.arrived.subList(0, Math.min(26, p.arrived.size()));
        assertThat(first.stream().filter(id -> id.startsWith("small-")).count()).isEqualTo(10);
        int lastSmall = first.lastIndexOf("small-9");
        assertThat(lastSmall).isBetween(1, 21);
    }

    @Test
    void weightsGiveTenantsProportionalShares() throws Exception {
        ManualProvider p = new ManualProvider();
        ModelGateway g = gateway(p, 1);
        g.tenantWeight("gold", 3);
        for (int i = 0; i < 400; i++) {
            String a = "gold-" + i;
            String b = "free-" + i;
            g.submit(new ModelGateway.Call("gold", "f", 0, 10, () -> request(a)));
            g.submit(new ModelGateway.Call("free", "f", 0, 10, () -> request(b)));
        }
        for (int i = 0; i < 200; i++) {
            p.answerOne();
        }
        List<String> window = new ArrayList<>(p.arrived.subList(1, 201));
        long gold = window.stream().filter(id -> id.startsWith("gold-")).count();
        assertThat(gold).isBetween(145L, 155L);
    }

    @Test
    void aProviderFailureIsAnOutcomeAndFreesTheSlot() {
        ModelProvider failing = new ModelProvider() {
            @Override
            public ModelResponse complete(ModelRequest request) {
                throw new ModelException(ModelException.Kind.SERVER_ERROR, "502 from upstream");
            }

            @Override
            public String describe() {
                return "failing";
            }

            @Override
            public boolean simulated() {
                return true;
            }
        };
        ModelGateway g = gateway(failing, 1);
        List<ModelGateway.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = "r" + i;
            outcomes.add(g.submit(new ModelGateway.Call("t", "f", 0, 1, () -> request(id))).join());
        }
        assertThat(outcomes).allSatisfy(o -> {
            assertThat(o.response()).isNull();
            assertThat(o.failure().kind()).isEqualTo(ModelException.Kind.SERVER_ERROR);
        });
        assertThat(g.inFlight()).isZero();
    }
}
