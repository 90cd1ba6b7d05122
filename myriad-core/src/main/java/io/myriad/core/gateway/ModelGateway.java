package io.myriad.core.gateway;

import io.myriad.core.metrics.LatencyHistogram;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.sched.FairQueue;
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
 * for the calls that wait.
 *
 * <p>Notes. A waiting call is a queue node and a future: no thread. The request itself is built
 * only when the call is dispatched (the supplier may reload a passivated run from the journal),
 * so queued calls hold no conversation. {@link #pump} is the only place that admits calls; it
 * runs after every submit and every completion, and after a rate-limit wait on the timer.
 * Guarded by {@code lock}: {@code queue}, {@code next}, {@code inFlight}, {@code pumpScheduled}.
 */
public final class ModelGateway {

    /** One model call waiting for admission. */
    public record Call(String tenant, String fleet, int priority, long estimatedTokens, Supplier<ModelRequest> request) {
        public Call {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(fleet, "fleet");
            Objects.requireNonNull(request, "request");
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

        Pending(Call call, long enqueuedNanos) {
            this.call = call;
            this.enqueuedNanos = enqueuedNanos;
        }
    }

    private final ModelProvider provider;
    private final int maxConcurrency;
    private final RateLimiter limiter;
    private final Executor executor;
    private final ScheduledExecutorService timer;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final FairQueue<Pending> queue = FairQueue.create();
    private Pending next;
    private int inFlight;
    private boolean pumpScheduled;
    private final Map<String, LatencyHistogram> queueWaitByTenant = new ConcurrentHashMap<>();
    private final LatencyHistogram queueWait = LatencyHistogram.create();

    private ModelGateway(Builder b) {
        this.provider = Objects.requireNonNull(b.provider, "provider");
        this.maxConcurrency = b.maxConcurrency;
        this.limiter = b.limiter;
        this.executor = Objects.requireNonNull(b.executor, "executor");
        this.timer = Objects.requireNonNull(b.timer, "timer");
        this.clock = b.clock;
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
        } finally {
            lock.unlock();
        }
    }

    /** Calls waiting for admission. */
    public int queued() {
        lock.lock();
        try {
            return queue.size() + (next == null ? 0 : 1);
        } finally {
            lock.unlock();
        }
    }

    /** Calls in flight. */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
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
                if (next == null) {
                    next = queue.poll().orElse(null);
                    if (next == null) {
                        return;
                    }
                }
                if (limiter != null) {
                    long wait = limiter.reserve(Math.max(1, next.call.estimatedTokens()), clock.millis());
                    if (wait > 0) {
                        if (!pumpScheduled) {
                            pumpScheduled = true;
                            timer.schedule(this::scheduledPump, wait, TimeUnit.MILLISECONDS);
                        }
                        return;
                    }
                }
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

    private void scheduledPump() {
        lock.lock();
        try {
            pumpScheduled = false;
        } finally {
            lock.unlock();
        }
        pump();
    }

    private void dispatch(Pending p, long queuedMicros) {
        long begin = System.nanoTime();
        CompletableFuture<ModelResponse> call;
        try {
            call = provider.completeAsync(p.call.request().get(), executor);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((response, error) -> finished(p, response, error, queuedMicros, (System.nanoTime() - begin) / 1_000));
    }

    private void finished(Pending p, ModelResponse response, Throwable error, long queuedMicros, long latencyMicros) {
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

        private Builder() {}

        public Builder provider(ModelProvider provider) {
            this.provider = provider;
            return this;
        }

        /** Calls in flight at most (default 64). */
        public Builder maxConcurrency(int maxConcurrency) {
            if (maxConcurrency < 1) {
                throw new IllegalArgumentException("maxConcurrency must be at least 1");
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

        public ModelGateway build() {
            return new ModelGateway(this);
        }
    }
}
