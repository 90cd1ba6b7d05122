package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.gateway.CircuitBreaker.State;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The gateway with a circuit breaker and a retry budget: nothing is sent while the breaker is
 * open, one probe when half-open, retries wait for the budget without holding back first
 * attempts, and every call submitted ends. Time is a manual clock and timer: nothing sleeps.
 */
class ModelGatewayResilienceTest {
    /** Calls stay open until the test ends them; each arrival notes the breaker's state then. */
    static final class ScriptedProvider implements ModelProvider {
        record Arrival(String id, State breakerAtArrival, CompletableFuture<ModelResponse> answer) {}

        final ConcurrentLinkedQueue<Arrival> open = new ConcurrentLinkedQueue<>();
        final List<Arrival> arrived = Collections.synchronizedList(new ArrayList<>());
        final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        volatile ModelGateway gateway;

        @Override
        public ModelResponse complete(ModelRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ModelResponse> completeAsync(ModelRequest request, Executor executor) {
            State state = gateway == null ? State.CLOSED : gateway.stats().breakerState();
            if (state == State.OPEN) {
                violations.add(request.runId() + " sent while the breaker was open");
            }
            if (state == State.HALF_OPEN && open.stream().anyMatch(a -> a.breakerAtArrival() == State.HALF_OPEN)) {
                violations.add(request.runId() + " sent while another probe was in flight");
            }
            Arrival a = new Arrival(request.runId(), state, new CompletableFuture<>());
            arrived.add(a);
            open.add(a);
            return a.answer();
        }

        /** Answers the oldest open call; false when none is open. */
        boolean succeed() {
            Arrival a = open.poll();
            if (a == null) {
                return false;
            }
            a.answer().complete(new ModelResponse(new Message.Assistant("ok", List.of()), new Usage(1, 1), "stop", "m"));
            return true;
        }

        /** Fails the oldest open call; false when none is open. */
        boolean fail(Kind kind) {
            Arrival a = open.poll();
            if (a == null) {
                return false;
            }
            a.answer().completeExceptionally(new ModelException(kind, "simulated " + kind));
            return true;
        }

        int arrivals() {
            return arrived.size();
        }

        @Override
        public String describe() {
            return "scripted";
        }

        @Override
        public boolean simulated() {
            return true;
        }
    }

    final ManualClock clock = new ManualClock(0);
    final ManualTimer timer = new ManualTimer(clock);
    final ScriptedProvider provider = new ScriptedProvider();

    static Resilience resilience(int failures, Duration openFor, Duration maxOpenFor, double ratio, double floor) {
        return new Resilience(4, Duration.ofMillis(250), Duration.ofSeconds(20), failures, openFor, maxOpenFor, ratio, floor);
    }

    ModelGateway gateway(int slots, Resilience resilience) {
        ModelGateway.Builder b = ModelGateway.builder().provider(provider).maxConcurrency(slots)
                .executor(Runnable::run).timer(timer).clock(clock);
        if (resilience != null) {
            b.resilience(resilience);
        }
        ModelGateway g = b.build();
        provider.gateway = g;
        return g;
    }

    static Supplier<ModelRequest> request(String id, boolean retry) {
        return () -> new ModelRequest("m", List.of(new Message.User("hi")), List.of(), ModelRequest.ToolChoice.NONE,
                null, 0, null, id, 1, retry ? 2 : 1);
    }

    static CompletableFuture<ModelGateway.Outcome> first(ModelGateway g, String tenant, String id) {
        return g.submit(new ModelGateway.Call(tenant, "f", 0, 1, request(id, false)));
    }

    static CompletableFuture<ModelGateway.Outcome> retry(ModelGateway g, String tenant, String id) {
        return g.submit(new ModelGateway.Call(tenant, "f", 0, 1, request(id, true), true));
    }

    @Test
    void nothingIsSentWhileOpenThenOneProbeAtATime() {
        ModelGateway g = gateway(10, resilience(3, Duration.ofSeconds(5), Duration.ofSeconds(20), 0.5, 5));
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            outcomes.add(first(g, "t", "a" + i));
        }
        for (int i = 0; i < 3; i++) {
            provider.fail(Kind.SERVER_ERROR);
        }
        assertThat(g.stats().breakerState()).isEqualTo(State.OPEN);
        for (int i = 0; i < 10; i++) {
            outcomes.add(first(g, "t", "b" + i));
        }
        assertThat(provider.arrivals()).isEqualTo(3);
        assertThat(g.queued()).isEqualTo(10);
        assertThat(g.inFlight()).isZero();

        timer.advance(4_999);
        assertThat(provider.arrivals()).as("still open").isEqualTo(3);
        timer.advance(1);
        assertThat(provider.arrivals()).as("the half-open probe").isEqualTo(4);
        assertThat(g.queued()).isEqualTo(9);
        timer.advance(60_000);
        assertThat(provider.arrivals()).as("nothing else while the probe is out").isEqualTo(4);

        provider.fail(Kind.TIMEOUT);
        assertThat(g.stats().breakerState()).isEqualTo(State.OPEN);
        timer.advance(9_999);
        assertThat(provider.arrivals()).as("open twice as long after a failed probe").isEqualTo(4);
        timer.advance(1);
        assertThat(provider.arrivals()).isEqualTo(5);

        provider.succeed();
        assertThat(g.stats().breakerState()).isEqualTo(State.CLOSED);
        assertThat(provider.arrivals()).as("closed: the rest go at once").isEqualTo(13);
        while (provider.succeed()) {
            // answer them all
        }
        assertThat(outcomes).allSatisfy(o -> assertThat(o).isCompleted());
        assertThat(outcomes.stream().filter(o -> o.join().failure() != null)).hasSize(4);
        assertThat(provider.violations).isEmpty();
        assertThat(g.stats()).isEqualTo(new GatewayStats(13, 0, 0, 2, State.CLOSED, 2, Duration.ofSeconds(75)));
    }

    @Test
    void retriesWaitForTheBudgetAndTheFloorLetsThemThrough() {
        // No ratio: only the floor of one retry a second, over a full budget of ten.
        ModelGateway g = gateway(100, resilience(5, Duration.ofSeconds(5), Duration.ofMinutes(2), 0, 1));
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            outcomes.add(retry(g, "t", "r" + i));
        }
        assertThat(provider.arrivals()).isEqualTo(10);
        assertThat(g.queued()).isEqualTo(20);
        assertThat(g.stats().retriesDelayedByBudget()).isEqualTo(20);

        timer.advance(999);
        assertThat(provider.arrivals()).isEqualTo(10);
        timer.advance(1);
        assertThat(provider.arrivals()).isEqualTo(11);
        timer.advance(19_000);
        assertThat(provider.arrivals()).isEqualTo(30);
        while (provider.succeed()) {
            // answer them all
        }
        assertThat(outcomes).allSatisfy(o -> assertThat(o).isCompleted());
        GatewayStats stats = g.stats();
        assertThat(stats.requestsSent()).isEqualTo(30);
        assertThat(stats.retriesSent()).isEqualTo(30);
        assertThat(stats.retriesDelayedByBudget()).isEqualTo(20);
        assertThat(timer.pending()).as("no timer left once nothing waits").isLessThanOrEqualTo(1);
    }

    @Test
    void firstAttemptsGoPastRetriesWaitingForTheBudget() {
        ModelGateway g = gateway(100, resilience(5, Duration.ofSeconds(5), Duration.ofMinutes(2), 0.5, 1));
        for (int i = 0; i < 15; i++) {
            retry(g, "t", "r" + i);
        }
        assertThat(provider.arrivals()).isEqualTo(10);
        for (int i = 0; i < 3; i++) {
            first(g, "t", "f" + i);
        }
        List<String> ids = provider.arrived.stream().map(ScriptedProvider.Arrival::id).toList();
        // The budget is spent: the first attempts go at once, and the first two earn a waiting retry its token.
        assertThat(ids.subList(10, ids.size())).containsExactly("f0", "f1", "r10", "f2");
        assertThat(g.queued()).isEqualTo(4);
    }

    @Test
    void retriesWaitingForTheBudgetKeepTheirTenantsTurn() {
        ModelGateway g = gateway(1_000, resilience(5, Duration.ofSeconds(5), Duration.ofMinutes(2), 0, 1));
        for (int i = 0; i < 10; i++) {
            retry(g, "warm", "w" + i);
        }
        for (int i = 0; i < 50; i++) {
            retry(g, "big", "big-" + i);
        }
        for (int i = 0; i < 3; i++) {
            retry(g, "small", "small-" + i);
        }
        timer.advance(20_000);
        List<String> later = provider.arrived.stream().map(ScriptedProvider.Arrival::id).skip(10).toList();
        assertThat(later).hasSize(20);
        assertThat(later.subList(0, 6)).as("tenants alternate among waiting retries")
                .contains("small-0", "small-1", "small-2");
    }

    @Test
    void rateLimitedAnswersDoNotOpenTheBreaker() {
        ModelGateway g = gateway(1, resilience(3, Duration.ofSeconds(5), Duration.ofMinutes(2), 0.5, 5));
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            outcomes.add(first(g, "t", "r" + i));
        }
        while (provider.fail(Kind.RATE_LIMITED)) {
            // each 429 admits the next call
        }
        assertThat(provider.arrivals()).isEqualTo(20);
        assertThat(outcomes).allSatisfy(o -> assertThat(o.join().failure().kind()).isEqualTo(Kind.RATE_LIMITED));
        assertThat(g.stats().breakerState()).isEqualTo(State.CLOSED);
        assertThat(g.stats().breakerOpens()).isZero();
    }

    @Test
    void aProbeWhoseRequestCannotBeBuiltLetsTheNextCallProbe() {
        ModelGateway g = gateway(4, resilience(1, Duration.ofSeconds(1), Duration.ofSeconds(8), 0.5, 5));
        first(g, "t", "a");
        provider.fail(Kind.SERVER_ERROR);
        CompletableFuture<ModelGateway.Outcome> broken = g.submit(new ModelGateway.Call("t", "f", 0, 1, () -> {
            throw new IllegalStateException("the journal could not be read");
        }));
        CompletableFuture<ModelGateway.Outcome> next = first(g, "t", "b");
        timer.advance(1_000);
        assertThat(broken.join().failure().getMessage()).contains("the journal could not be read");
        assertThat(provider.arrivals()).as("the next call became the probe").isEqualTo(2);
        assertThat(g.stats().breakerState()).isEqualTo(State.HALF_OPEN);
        provider.succeed();
        assertThat(next.join().response()).isNotNull();
        assertThat(g.stats().breakerState()).isEqualTo(State.CLOSED);
        assertThat(g.stats().probesSent()).isEqualTo(2);
    }

    @Test
    void aProviderNeverReachedIsNotHeldBackSoItsCallsFailFast() {
        ModelGateway g = gateway(1, resilience(2, Duration.ofSeconds(5), Duration.ofMinutes(2), 0.5, 5));
        for (int i = 0; i < 10; i++) {
            first(g, "t", "r" + i);
            provider.fail(i % 2 == 0 ? Kind.UNREACHABLE : Kind.TIMEOUT);
        }
        assertThat(provider.arrivals()).isEqualTo(10);
        assertThat(g.stats().breakerState()).as("likely a wrong URL, not an outage").isEqualTo(State.CLOSED);

        first(g, "t", "answered");
        provider.fail(Kind.RATE_LIMITED);
        first(g, "t", "down-1");
        provider.fail(Kind.UNREACHABLE);
        first(g, "t", "down-2");
        provider.fail(Kind.TIMEOUT);
        assertThat(g.stats().breakerState()).as("once it has answered, it counts").isEqualTo(State.OPEN);
    }

    @Test
    void withoutResilienceNothingIsHeldBack() {
        ModelGateway g = gateway(4, null);
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            outcomes.add(i % 2 == 0 ? first(g, "t", "f" + i) : retry(g, "t", "r" + i));
            provider.fail(Kind.SERVER_ERROR);
        }
        assertThat(provider.arrivals()).isEqualTo(40);
        assertThat(outcomes).allSatisfy(o -> assertThat(o).isCompleted());
        assertThat(g.stats()).isEqualTo(new GatewayStats(40, 20, 0, 0, State.CLOSED, 0, Duration.ZERO));
        assertThat(timer.pending()).isZero();
    }

    /**
     * Whatever the provider does and whichever calls are retries, every call submitted ends, each
     * is sent exactly once, nothing is sent while the breaker is open, and no two probes overlap.
     */
    @Property(tries = 60)
    void everyCallEndsAndNoneIsSentWhileOpen(
            @ForAll @IntRange(min = 1, max = 8) int slots,
            @ForAll @IntRange(min = 1, max = 6) int failures,
            @ForAll @IntRange(min = 0, max = 300) int badAnswers,
            @ForAll long seed) {
        ManualClock clock = new ManualClock(0);
        ManualTimer timer = new ManualTimer(clock);
        ScriptedProvider provider = new ScriptedProvider();
        ModelGateway g = ModelGateway.builder().provider(provider).maxConcurrency(slots).executor(Runnable::run)
                .timer(timer).clock(clock).rateLimiter(RateLimiter.create())
                .resilience(new Resilience(4, Duration.ofMillis(250), Duration.ofSeconds(20), failures,
                        Duration.ofMillis(500), Duration.ofSeconds(8), 0.2, 2))
                .build();
        provider.gateway = g;
        Random random = new Random(seed);
        Kind[] kinds = Kind.values();
        List<CompletableFuture<ModelGateway.Outcome>> outcomes = new ArrayList<>();
        int calls = 150;
        int answered = 0;
        for (int step = 0; step < 100_000 && outcomes.stream().filter(CompletableFuture::isDone).count() < calls; step++) {
            if (outcomes.size() < calls && random.nextInt(3) == 0) {
                String tenant = "t" + random.nextInt(3);
                String id = "c" + outcomes.size();
                outcomes.add(random.nextInt(3) == 0 ? retry(g, tenant, id) : first(g, tenant, id));
            } else if (!provider.open.isEmpty() && random.nextBoolean()) {
                if (answered++ < badAnswers) {
                    provider.fail(kinds[random.nextInt(kinds.length)]);
                } else {
                    provider.succeed();
                }
            } else {
                timer.advance(1 + random.nextInt(300));
            }
        }
        assertThat(outcomes).hasSize(calls).allSatisfy(o -> assertThat(o).isCompleted());
        assertThat(provider.arrivals()).isEqualTo(calls);
        assertThat(g.stats().requestsSent()).isEqualTo(calls);
        assertThat(g.queued()).isZero();
        assertThat(provider.violations).isEmpty();
    }

    /** Real threads and time: a provider failing at random from many threads never strands a call. */
    @Test
    void underRealConcurrencyEveryCallEnds() throws Exception {
        AtomicInteger sent = new AtomicInteger();
        ModelProvider flaky = new ModelProvider() {
            final Random random = new Random(42);

            @Override
            public ModelResponse complete(ModelRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CompletableFuture<ModelResponse> completeAsync(ModelRequest request, Executor executor) {
                sent.incrementAndGet();
                boolean ok;
                synchronized (random) {
                    ok = random.nextInt(3) == 0;
                }
                return CompletableFuture.supplyAsync(() -> {
                    if (!ok) {
                        throw new ModelException(Kind.SERVER_ERROR, "502");
                    }
                    return new ModelResponse(new Message.Assistant("ok", List.of()), new Usage(1, 1), "stop", "m");
                }, executor);
            }

            @Override
            public String describe() {
                return "flaky";
            }

            @Override
            public boolean simulated() {
                return true;
            }
        };
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
             ScheduledExecutorService realTimer = Executors.newSingleThreadScheduledExecutor()) {
            ModelGateway g = ModelGateway.builder().provider(flaky).maxConcurrency(16).executor(executor).timer(realTimer)
                    .resilience(new Resilience(4, Duration.ofMillis(1), Duration.ofMillis(10), 3,
                            Duration.ofMillis(1), Duration.ofMillis(4), 0.5, 1_000))
                    .build();
            List<CompletableFuture<ModelGateway.Outcome>> outcomes = Collections.synchronizedList(new ArrayList<>());
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int tenant = t;
                submitters.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 250; i++) {
                        String id = tenant + "-" + i;
                        outcomes.add(i % 4 == 0 ? retry(g, "t" + tenant, id) : first(g, "t" + tenant, id));
                    }
                }));
            }
            for (Thread t : submitters) {
                t.join();
            }
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(sent.get()).isEqualTo(2_000);
            assertThat(g.stats().requestsSent()).isEqualTo(2_000);
            assertThat(g.queued()).isZero();
            assertThat(g.inFlight()).isZero();
        }
    }
}
