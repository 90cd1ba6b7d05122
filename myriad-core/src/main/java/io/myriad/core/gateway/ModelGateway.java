package io.myriad.core.gateway;

import io.myriad.core.metrics.LatencyHistogram;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.sched.FairQueue;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Admission control in front of one model provider: at most {@code maxConcurrency} calls in
 * flight, optional token buckets (requests and tokens per minute, adapted from the provider's
 * rate-limit headers and Retry-After), and a hierarchical fair queue (tenant, fleet, priority)
 * for the calls that wait. With {@link Resilience} it also has a {@link CircuitBreaker} and a
 * retry budget: while the breaker is open nothing is sent, and retries are sent only as the
 * budget allows.
 *
 * <p>Notes. A waiting call is a queue node and a future: no thread. The request itself is built
 * only when the call is dispatched (the supplier may reload a passivated run from the journal),
 * so queued calls hold no conversation. {@link #pump} is the only place that admits calls; it
 * runs after every submit and every completion, and on the timer after a wait. It takes the head
 * of the queue into {@code next} and sends it when, asked in this order, the breaker gives a
 * permit, the budget holds a token (retries only) and the rate limiter admits it. Otherwise the
 * head stays in {@code next}, holding back the calls behind it as before, and the pump sets the
 * timer for when the obstacle lifts (the breaker's half-open time, the budget's refill, the
 * limiter's wait) or, while the breaker's probe is in flight, waits for the probe's completion. Every wait therefore ends: the breaker always turns half-open
 * after its open time, the budget's floor always refills, and a completion always pumps. Nothing
 * is sent while the breaker is open, so a call waiting there spends none of its run's attempts.
 *
 * <p>A retry the budget cannot pay for when it reaches the head is moved to a second fair queue,
 * {@code retries}, so the first attempts behind it go on: a retry storm cannot hold back fresh
 * work, and retries among themselves keep the tenant, fleet and priority order. Waiting retries
 * go first whenever the budget holds a token (they are the older calls). A probe holds its permit
 * in {@code next} until it is sent; any other permit is asked for again at each pump.
 *
 * <p>The concurrency limit can change at runtime ({@link #maxConcurrency(int)}), as a node of a
 * cluster adjusts its slice of a cluster-wide limit: raising it pumps at once; lowering it never
 * interrupts a call in flight, the pump only stops admitting until fewer than the new limit are in
 * flight. A limit of 0 sends nothing new.
 *
 * <p>Guarded by {@code lock}: {@code maxConcurrency}, {@code queue}, {@code retries}, {@code next} (and the flags of its
 * {@code Pending}), {@code inFlight}, {@code wakeAt}, {@code budget} and the counters. Lock order:
 * {@code lock}, then the breaker's, the limiter's and the fair queues' own locks, which call out
 * to nothing.
 */
public final class ModelGateway implements Throttle {

    /**
     * One model call waiting for admission.
     *
     * @param retry true when the request is a retry of a failed one ({@link ModelRequest#isRetry()}): it is
     *              sent only as the retry budget allows. Given here because the request is built at dispatch.
     */
    public record Call(String tenant, String fleet, int priority, long estimatedTokens, Supplier<ModelRequest> request,
                       boolean retry) {
        public Call {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(fleet, "fleet");
            Objects.requireNonNull(request, "request");
        }

        /** A first attempt. */
        public Call(String tenant, String fleet, int priority, long estimatedTokens, Supplier<ModelRequest> request) {
            this(tenant, fleet, priority, estimatedTokens, request, false);
        }
    }

    /** How a call ended: a response or a failure, and how long it queued and took. */
    public record Outcome(ModelResponse response, ModelException failure, long queuedMicros, long latencyMicros) {
        public Optional<ModelResponse> responseIfAny() {
            return Optional.ofNullable(response);
        }
    }

    private static final class Pending {
        final Call call;
        final CompletableFuture<Outcome> done = new CompletableFuture<>();
        final long enqueuedNanos;
        /** Holds the breaker's half-open permit: its outcome decides. Guarded by lock. */
        boolean probe;
        /** Counted among the retries delayed by the budget. Guarded by lock. */
        boolean delayed;

        Pending(Call call, long enqueuedNanos) {
            this.call = call;
            this.enqueuedNanos = enqueuedNanos;
        }
    }

    private final ModelProvider provider;
    /** Calls in flight at most; changed at runtime by {@link #maxConcurrency(int)}. Guarded by lock. */
    private int maxConcurrency;
    private final RateLimiter limiter;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final InstantSource clock;
    private final CircuitBreaker breaker;
    private final RetryBudget budget;
    private final ReentrantLock lock = new ReentrantLock();
    private final FairQueue<Pending> queue = FairQueue.create();
    /** Retries waiting for the budget, in their own fair order. */
    private final FairQueue<Pending> retries = FairQueue.create();
    private Pending next;
    private int inFlight;
    /** When the timer will next pump (clock millis), or {@link Long#MAX_VALUE} when it will not. */
    private long wakeAt = Long.MAX_VALUE;
    private long requestsSent;
    private long retriesSent;
    private long retriesDelayed;
    private long probesSent;
    private final Map<String, LatencyHistogram> queueWaitByTenant = new ConcurrentHashMap<>();
    private final LatencyHistogram queueWait = LatencyHistogram.create();

    private ModelGateway(Builder b) {
        this.provider = Objects.requireNonNull(b.provider, "provider");
        this.maxConcurrency = b.maxConcurrency;
        this.limiter = b.limiter;
        this.executor = Objects.requireNonNull(b.executor, "executor");
        this.timer = Objects.requireNonNull(b.timer, "timer");
        this.clock = b.clock;
        this.breaker = b.resilience == null ? null : CircuitBreaker.create(b.resilience, b.clock);
        this.budget = b.resilience == null ? null
                : RetryBudget.create(b.resilience.retryRatio(), b.resilience.minRetriesPerSecond());
    }

    public static Builder builder() {
        return new Builder();
    }

    public ModelProvider provider() {
        return provider;
    }

    /** Queues a call; the future completes (never exceptionally for a model failure) when it ends. */
    public CompletableFuture<Outcome> submit(Call call) {
        Pending p = new Pending(call, System.nanoTime());
        lock.lock();
        try {
            queue.add(call.tenant(), call.fleet(), call.priority(), 1, p);
        } finally {
            lock.unlock();
        }
        pump();
        return p.done;
    }

    /** Sets a tenant's share of the provider when several tenants wait (default 1). */
    public void tenantWeight(String tenant, int weight) {
        lock.lock();
        try {
            queue.setTenantWeight(tenant, weight);
            retries.setTenantWeight(tenant, weight);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Changes the most calls in flight at once. Raising it admits waiting calls at once; lowering it
     * lets the calls in flight finish, and admits no more until fewer than {@code n} are in flight.
     *
     * @param n the new limit; 0 sends nothing new
     * @throws IllegalArgumentException when {@code n} is negative
     */
    @Override
    public void maxConcurrency(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("maxConcurrency must not be negative, got " + n);
        }
        lock.lock();
        try {
            maxConcurrency = n;
        } finally {
            lock.unlock();
        }
        pump();
    }

    /** The most calls in flight at once, as last set. */
    @Override
    public int maxConcurrency() {
        lock.lock();
        try {
            return maxConcurrency;
        } finally {
            lock.unlock();
        }
    }

    /** Calls waiting for admission (with {@link #inFlight()}, the gateway's demand). */
    @Override
    public int queued() {
        lock.lock();
        try {
            return queue.size() + retries.size() + (next == null ? 0 : 1);
        } finally {
            lock.unlock();
        }
    }

    /** Calls in flight. */
    @Override
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Counts of requests and retries sent, and the breaker's state; see {@link GatewayStats}. */
    public GatewayStats stats() {
        lock.lock();
        try {
            if (breaker == null) {
                return new GatewayStats(requestsSent, retriesSent, retriesDelayed, probesSent, CircuitBreaker.State.CLOSED,
                        0, Duration.ZERO);
            }
            CircuitBreaker.Snapshot b = breaker.snapshot();
            return new GatewayStats(requestsSent, retriesSent, retriesDelayed, probesSent, b.state(), b.opens(), b.timeOpen());
        } finally {
            lock.unlock();
        }
    }

    /** Queue wait of every admitted call, in microseconds. */
    public LatencyHistogram queueWait() {
        return queueWait;
    }

    /** Queue wait of one tenant's calls, in microseconds. */
    public LatencyHistogram queueWait(String tenant) {
        return queueWaitByTenant.computeIfAbsent(tenant, t -> LatencyHistogram.create());
    }

    private void pump() {
        while (true) {
            Pending admitted;
            lock.lock();
            try {
                if (inFlight >= maxConcurrency) {
                    return;
                }
                long now = clock.millis();
                if (next == null) {
                    next = choose(now);
                    if (next == null) {
                        return;
                    }
                }
                if (breaker != null && !next.probe) {
                    switch (breaker.tryAcquire()) {
                        case CircuitBreaker.Permit.Send _ -> { }
                        case CircuitBreaker.Permit.Probe _ -> next.probe = true;
                        case CircuitBreaker.Permit.AwaitProbe _ -> {
                            return; // the probe's completion pumps
                        }
                        case CircuitBreaker.Permit.Wait(long millis) -> {
                            wakeIn(millis, now);
                            return;
                        }
                    }
                }
                if (budget != null && next.call.retry()) {
                    // Only while the head waited for the breaker or the limiter; choose() parks the others.
                    long wait = budget.millisUntilAvailable(now);
                    if (wait > 0) {
                        delayed(next);
                        wakeIn(wait, now);
                        return;
                    }
                }
                if (limiter != null) {
                    long wait = limiter.reserve(Math.max(1, next.call.estimatedTokens()), now);
                    if (wait > 0) {
                        wakeIn(wait, now);
                        return;
                    }
                }
                sent(next, now);
                admitted = next;
                next = null;
                inFlight++;
            } finally {
                lock.unlock();
            }
            long queued = (System.nanoTime() - admitted.enqueuedNanos) / 1_000;
            queueWait.record(queued);
            queueWait(admitted.call.tenant()).record(queued);
            executor.execute(() -> dispatch(admitted, queued));
        }
    }

    // Guarded by lock. The call to admit next: a parked retry when the budget holds a token, else
    // the head of the queue; retries the budget cannot pay for now are parked on the way.
    private Pending choose(long now) {
        if (budget == null) {
            return queue.poll().orElse(null);
        }
        if (!retries.isEmpty() && budget.millisUntilAvailable(now) == 0) {
            return retries.poll().orElseThrow();
        }
        while (true) {
            Pending p = queue.poll().orElse(null);
            if (p == null) {
                if (!retries.isEmpty()) {
                    wakeIn(budget.millisUntilAvailable(now), now);
                }
                return null;
            }
            if (!p.call.retry() || budget.millisUntilAvailable(now) == 0) {
                return p;
            }
            delayed(p);
            retries.add(p.call.tenant(), p.call.fleet(), p.call.priority(), 1, p);
        }
    }

    // Guarded by lock.
    private void delayed(Pending p) {
        if (!p.delayed) {
            p.delayed = true;
            retriesDelayed++;
        }
    }

    // Guarded by lock.
    private void sent(Pending p, long now) {
        requestsSent++;
        if (p.probe) {
            probesSent++;
        }
        if (p.call.retry()) {
            retriesSent++;
            if (budget != null) {
                boolean paid = budget.tryWithdraw(now);
                assert paid : "pump admits a retry only when the budget holds a token";
            }
        } else if (budget != null) {
            budget.deposit(now);
        }
    }

    // Guarded by lock. Has the timer pump in {@code millis}, unless it will by then already.
    // Invariant: when wakeAt is set, a timer task due then is pending, or running and about to pump.
    private void wakeIn(long millis, long now) {
        long delay = Math.max(1, millis);
        long at = now > Long.MAX_VALUE - delay ? Long.MAX_VALUE - 1 : now + delay;
        if (at < wakeAt) {
            wakeAt = at;
            timer.schedule(() -> scheduledPump(at), delay, TimeUnit.MILLISECONDS);
        }
    }

    private void scheduledPump(long at) {
        lock.lock();
        try {
            if (wakeAt == at) {
                wakeAt = Long.MAX_VALUE;
            }
        } finally {
            lock.unlock();
        }
        pump();
    }

    private void dispatch(Pending p, long queuedMicros) {
        long begin = System.nanoTime();
        ModelRequest request;
        try {
            request = p.call.request().get();
        } catch (RuntimeException e) {
            // Not the provider's doing (say, the run's journal could not be read): no verdict for the breaker.
            finished(p, null, e, queuedMicros, (System.nanoTime() - begin) / 1_000, false);
            return;
        }
        CompletableFuture<ModelResponse> call;
        try {
            call = provider.completeAsync(request, executor);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((response, error) ->
                finished(p, response, error, queuedMicros, (System.nanoTime() - begin) / 1_000, true));
    }

    private void finished(Pending p, ModelResponse response, Throwable error, long queuedMicros, long latencyMicros,
                          boolean reachedProvider) {
        Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
        ModelException failure = null;
        if (cause instanceof ModelException me) {
            failure = me;
        } else if (cause != null) {
            failure = new ModelException(ModelException.Kind.MALFORMED_RESPONSE,
                    "the model provider failed unexpectedly: " + cause, -1, cause);
        }
        lock.lock();
        try {
            inFlight--;
            if (breaker != null) {
                if (!reachedProvider) {
                    breaker.onAbandoned(p.probe);
                } else if (failure == null) {
                    breaker.onSuccess(p.probe);
                } else {
                    breaker.onFailure(p.probe, failure.kind());
                }
            }
            if (limiter != null) {
                long now = clock.millis();
                if (response != null) {
                    long actual = response.usage().total();
                    long estimated = Math.max(1, p.call.estimatedTokens());
                    if (actual < estimated) {
                        limiter.refund(estimated - actual, now);
                    } else if (actual > estimated) {
                        limiter.charge(actual - estimated, now);
                    }
                    // After the correction, so the provider's own count of what remains wins.
                    limiter.observe(response.rateLimits(), now);
                    limiter.succeeded();
                } else if (failure != null) {
                    limiter.observe(failure.rateLimits(), now);
                    if (failure.kind() == ModelException.Kind.RATE_LIMITED) {
                        limiter.throttled(failure.retryAfterMillis(), now);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        p.done.complete(new Outcome(response, failure, queuedMicros, latencyMicros));
        pump();
    }

    /** Builds a {@link ModelGateway}. */
    public static final class Builder {
        private ModelProvider provider;
        private int maxConcurrency = 64;
        private RateLimiter limiter;
        private Executor executor;
        private ScheduledExecutorService timer;
        private InstantSource clock = InstantSource.system();
        private Resilience resilience;

        private Builder() {}

        public Builder provider(ModelProvider provider) {
            this.provider = provider;
            return this;
        }

        /**
         * Calls in flight at most (default 64). 0 sends nothing until {@link ModelGateway#maxConcurrency(int)}
         * raises it: a node of a cluster starts there until it holds a slice of the cluster's limit.
         */
        public Builder maxConcurrency(int maxConcurrency) {
            if (maxConcurrency < 0) {
                throw new IllegalArgumentException("maxConcurrency must not be negative, got " + maxConcurrency);
            }
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        /** Token buckets for requests and tokens per minute; none by default. */
        public Builder rateLimiter(RateLimiter limiter) {
            this.limiter = limiter;
            return this;
        }

        /** Where calls are dispatched and completions handed on (virtual threads). */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** Wakes the gateway when a rate-limit wait ends. */
        public Builder timer(ScheduledExecutorService timer) {
            this.timer = timer;
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /**
         * A circuit breaker and a retry budget with these settings (the gateway reads its clock for
         * both); none by default, and then the gateway never holds a call back for the provider's
         * health or for being a retry.
         */
        public Builder resilience(Resilience resilience) {
            this.resilience = Objects.requireNonNull(resilience, "resilience");
            return this;
        }

        public ModelGateway build() {
            return new ModelGateway(this);
        }
    }
}
