package io.myriad.core.gateway;

import io.myriad.core.model.RateLimits;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission control for one model provider: two token buckets, requests per minute (RPM) and
 * tokens per minute (TPM), that adapt to what the provider reports about its limits.
 *
 * <p>Each bucket holds at most its per-minute limit and refills continuously at that limit per
 * 60 s; it starts full, so a limiter admits a burst of one minute's worth at once and then the
 * steady rate. Either bucket may be unlimited. A call is {@linkplain #reserve admitted} when both
 * buckets hold enough and the provider has not asked us to wait; otherwise the caller learns
 * how long to wait and nothing is consumed.
 *
 * <p>The limiter adapts: {@link #observe} adopts the limits the provider reports and lowers a
 * bucket to the provider's "remaining" count when that is lower than the limiter believed (other
 * clients of the same key spend the same quota); a Retry-After or a 429 ({@link #throttled})
 * blocks admission until the provider's moment, and a 429 without Retry-After blocks for a
 * cool-down that doubles with each such 429 until a call {@linkplain #succeeded succeeds}.
 * Reset times are not used: the continuous refill already estimates them.
 *
 * <p>Time is passed in, in milliseconds from any fixed origin (for example
 * {@link java.time.InstantSource#millis()}); every call on one limiter must use the same clock.
 * A time earlier than one seen before counts as no time passing.
 *
 * <p>Thread-safe: one lock guards all state.
 */
public final class RateLimiter {
    private static final long NOT_BLOCKED = Long.MIN_VALUE;

    private final long initialCoolDownMillis;
    private final long maxCoolDownMillis;

    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private final TokenBucket requests;
    /** Guarded by {@link #lock}. */
    private final TokenBucket tokens;
    /** No admission before this moment. Guarded by {@link #lock}. */
    private long blockedUntilMillis = NOT_BLOCKED;
    /** The block applied by the next 429 without Retry-After. Guarded by {@link #lock}. */
    private long nextCoolDownMillis;

    private RateLimiter(Builder builder) {
        this.requests = new TokenBucket(builder.requestsPerMinute);
        this.tokens = new TokenBucket(builder.tokensPerMinute);
        this.initialCoolDownMillis = builder.initialCoolDown.toMillis();
        this.maxCoolDownMillis = builder.maxCoolDown.toMillis();
        this.nextCoolDownMillis = initialCoolDownMillis;
    }

    /** A limiter with unlimited buckets until the provider reports limits, and the default cool-down. */
    public static RateLimiter create() {
        return builder().build();
    }

    /** Starts the configuration of a limiter; every setting has a default. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Asks to send one request estimated to use {@code tokens} tokens (prompt and completion).
     *
     * <p>When admitted, one request and {@code tokens} tokens are taken from the buckets. A request
     * estimated at more tokens than the TPM limit is admitted when the token bucket is full, and
     * leaves it in debt.
     *
     * @return 0 when admitted now, else the milliseconds to wait before asking again (nothing is consumed)
     * @throws IllegalArgumentException when {@code tokens} is negative
     */
    public long reserve(long tokens, long nowMillis) {
        requireNonNegative(tokens, "tokens");
        lock.lock();
        try {
            refill(nowMillis);
            long wait = Math.max(blockedUntilMillis > nowMillis ? blockedUntilMillis - nowMillis : 0,
                    Math.max(requests.waitMillis(1), this.tokens.waitMillis(tokens)));
            if (wait > 0) {
                return wait;
            }
            requests.take(1);
            this.tokens.take(tokens);
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Learns from what the provider reported with a response (or a failure): a reported limit
     * becomes the bucket's per-minute capacity and refill rate; a reported remaining count lower
     * than the bucket's level becomes its level; a Retry-After blocks admission until then.
     * Unknown fields (-1) change nothing.
     */
    public void observe(RateLimits limits, long nowMillis) {
        Objects.requireNonNull(limits, "limits");
        lock.lock();
        try {
            refill(nowMillis);
            adapt(requests, limits.limitRequests(), limits.remainingRequests());
            adapt(tokens, limits.limitTokens(), limits.remainingTokens());
            if (limits.retryAfterMillis() >= 0) {
                blockUntil(nowMillis, limits.retryAfterMillis());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records a 429 (too many requests or tokens). Both buckets are emptied, since the provider
     * says it has nothing left for us, and admission is blocked for {@code retryAfterMillis} when
     * the provider said, or else for the current cool-down, which then doubles up to its maximum.
     *
     * @param retryAfterMillis the provider's Retry-After, or -1 when it gave none
     */
    public void throttled(long retryAfterMillis, long nowMillis) {
        lock.lock();
        try {
            refill(nowMillis);
            requests.drain();
            tokens.drain();
            if (retryAfterMillis >= 0) {
                blockUntil(nowMillis, retryAfterMillis);
            } else {
                blockUntil(nowMillis, nextCoolDownMillis);
                nextCoolDownMillis = nextCoolDownMillis > maxCoolDownMillis / 2 ? maxCoolDownMillis : nextCoolDownMillis * 2;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records a successful call: the next 429 without Retry-After starts the cool-down afresh.
     * A block already in force stays.
     */
    public void succeeded() {
        lock.lock();
        try {
            nextCoolDownMillis = initialCoolDownMillis;
        } finally {
            lock.unlock();
        }
    }

    /** Gives back tokens reserved but not used (the actual usage was below the estimate). */
    public void refund(long tokens, long nowMillis) {
        requireNonNegative(tokens, "tokens");
        lock.lock();
        try {
            refill(nowMillis);
            this.tokens.give(tokens);
        } finally {
            lock.unlock();
        }
    }

    /** Takes tokens used beyond the reservation (the actual usage was above the estimate), possibly into debt. */
    public void charge(long tokens, long nowMillis) {
        requireNonNegative(tokens, "tokens");
        lock.lock();
        try {
            refill(nowMillis);
            this.tokens.take(tokens);
        } finally {
            lock.unlock();
        }
    }

    /** What the limiter believes at {@code nowMillis}, for metrics and status displays. */
    public Snapshot snapshot(long nowMillis) {
        lock.lock();
        try {
            refill(nowMillis);
            return new Snapshot(requests.perMinute(), requests.available(), tokens.perMinute(), tokens.available(),
                    blockedUntilMillis > nowMillis ? blockedUntilMillis : -1, nextCoolDownMillis);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The state of a limiter at one moment.
     *
     * @param requestsPerMinute  the RPM limit, or -1 when unlimited
     * @param requestsAvailable  whole requests admissible now by the RPM bucket ({@link Long#MAX_VALUE} when unlimited)
     * @param tokensPerMinute    the TPM limit, or -1 when unlimited
     * @param tokensAvailable    whole tokens in the TPM bucket, negative when in debt ({@link Long#MAX_VALUE} when unlimited)
     * @param blockedUntilMillis no admission before this moment, or -1 when not blocked
     * @param nextCoolDownMillis how long the next 429 without Retry-After will block
     */
    public record Snapshot(long requestsPerMinute, long requestsAvailable, long tokensPerMinute, long tokensAvailable,
                           long blockedUntilMillis, long nextCoolDownMillis) {}

    // Guarded by lock.
    private void refill(long nowMillis) {
        requests.refill(nowMillis);
        tokens.refill(nowMillis);
    }

    // Guarded by lock.
    private static void adapt(TokenBucket bucket, long limit, long remaining) {
        if (limit > 0 && limit != bucket.perMinute()) {
            bucket.adopt(limit);
        }
        if (remaining >= 0) {
            bucket.lowerTo(remaining);
        }
    }

    // Guarded by lock.
    private void blockUntil(long nowMillis, long waitMillis) {
        long until = nowMillis > Long.MAX_VALUE - waitMillis ? Long.MAX_VALUE : nowMillis + waitMillis;
        blockedUntilMillis = Math.max(blockedUntilMillis, until);
    }

    private static void requireNonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, not " + value + ".");
        }
    }

    /** Configuration of a {@link RateLimiter}; not thread-safe. */
    public static final class Builder {
        private long requestsPerMinute = TokenBucket.UNLIMITED;
        private long tokensPerMinute = TokenBucket.UNLIMITED;
        private Duration initialCoolDown = Duration.ofSeconds(1);
        private Duration maxCoolDown = Duration.ofSeconds(60);

        private Builder() {}

        /** The RPM limit to assume until the provider reports one; unlimited by default. */
        public Builder requestsPerMinute(long requestsPerMinute) {
            this.requestsPerMinute = positive(requestsPerMinute, "requestsPerMinute");
            return this;
        }

        /** The TPM limit to assume until the provider reports one; unlimited by default. */
        public Builder tokensPerMinute(long tokensPerMinute) {
            this.tokensPerMinute = positive(tokensPerMinute, "tokensPerMinute");
            return this;
        }

        /**
         * The block after a 429 without Retry-After: {@code initial} for the first, doubling with
         * each further one up to {@code max}; 1 s doubling to 60 s by default.
         */
        public Builder coolDown(Duration initial, Duration max) {
            Objects.requireNonNull(initial, "initial");
            Objects.requireNonNull(max, "max");
            if (initial.toMillis() <= 0) {
                throw new IllegalArgumentException("The initial cool-down must be at least 1 ms, not " + initial + ".");
            }
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException(
                        "The maximum cool-down (" + max + ") must not be shorter than the initial one (" + initial + ").");
            }
            this.initialCoolDown = initial;
            this.maxCoolDown = max;
            return this;
        }

        public RateLimiter build() {
            return new RateLimiter(this);
        }

        private static long positive(long value, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, not " + value
                        + "; leave it unset for no limit.");
            }
            return value;
        }
    }
}
