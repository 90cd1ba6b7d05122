package io.myriad.core.gateway;

import io.myriad.core.run.RunLoop;
import java.time.Duration;
import java.util.Objects;

/**
 * How a fleet rides out a provider in trouble: how each model call is retried, when the gateway
 * stops sending to a failing provider ({@link CircuitBreaker}), and how many retries it lets
 * through in all (the retry budget).
 *
 * <p>The first three settings are the per-call policy the run loop applies ({@link #retryPolicy()});
 * the others configure the gateway ({@link ModelGateway.Builder#resilience}). A gateway built
 * without a {@code Resilience} has neither breaker nor budget.
 *
 * @param maxAttempts         attempts per model call in all, the first included (1 to 100)
 * @param baseDelay           the back-off before the first retry, doubling with each further one
 * @param maxDelay            the longest back-off, at least {@code baseDelay}
 * @param failureThreshold    consecutive provider failures (5xx, timeouts, unreachable, malformed
 *                            answers) that open the breaker (1 to 1,000); timeouts and connection
 *                            failures count once the provider has answered (see {@link CircuitBreaker})
 * @param openFor             how long the breaker stays open before it lets one probe through
 * @param maxOpenFor          the open time doubles with each failed probe up to this, at least {@code openFor}
 * @param retryRatio          retry tokens each first attempt earns (0 to 10): 0.5 lets retries add at
 *                            most half again to the requests sent, beyond the floor
 * @param minRetriesPerSecond retries always allowed per second whatever the ratio (0.001 to 1,000,000),
 *                            so retries are delayed by the budget, never starved
 */
public record Resilience(
        int maxAttempts,
        Duration baseDelay,
        Duration maxDelay,
        int failureThreshold,
        Duration openFor,
        Duration maxOpenFor,
        double retryRatio,
        double minRetriesPerSecond) {

    /** The longest delay or open time accepted: one day. */
    public static final Duration MAX_DURATION = Duration.ofDays(1);
    public static final int MAX_ATTEMPTS = 100;
    public static final int MAX_FAILURE_THRESHOLD = 1_000;
    public static final double MAX_RETRY_RATIO = 10;
    public static final double MIN_RETRIES_PER_SECOND = 0.001;
    public static final double MAX_RETRIES_PER_SECOND = 1_000_000;

    /**
     * The run loop's default retry policy; a breaker opening after 5 consecutive failures for 5 s,
     * doubling up to 2 min; retries up to half the first attempts plus 5 per second.
     */
    public static final Resilience DEFAULT = new Resilience(
            RunLoop.RetryPolicy.DEFAULT.maxAttempts(), RunLoop.RetryPolicy.DEFAULT.baseDelay(),
            RunLoop.RetryPolicy.DEFAULT.maxDelay(), 5, Duration.ofSeconds(5), Duration.ofMinutes(2), 0.5, 5);

    /**
     * @throws IllegalArgumentException when a setting is out of range; the message names it and the range
     * @throws NullPointerException     when a duration is null
     */
    public Resilience {
        Objects.requireNonNull(baseDelay, "baseDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(openFor, "openFor");
        Objects.requireNonNull(maxOpenFor, "maxOpenFor");
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException(
                    "maxAttempts must be from 1 (no retries) to " + MAX_ATTEMPTS + ", not " + maxAttempts + ".");
        }
        requireDuration(baseDelay, "baseDelay", true);
        requireDuration(maxDelay, "maxDelay", true);
        if (maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException(
                    "maxDelay (" + maxDelay + ") must not be shorter than baseDelay (" + baseDelay + ").");
        }
        if (failureThreshold < 1 || failureThreshold > MAX_FAILURE_THRESHOLD) {
            throw new IllegalArgumentException("failureThreshold must be from 1 to " + MAX_FAILURE_THRESHOLD
                    + ", not " + failureThreshold + ".");
        }
        requireDuration(openFor, "openFor", false);
        requireDuration(maxOpenFor, "maxOpenFor", false);
        if (maxOpenFor.compareTo(openFor) < 0) {
            throw new IllegalArgumentException(
                    "maxOpenFor (" + maxOpenFor + ") must not be shorter than openFor (" + openFor + ").");
        }
        if (!(retryRatio >= 0 && retryRatio <= MAX_RETRY_RATIO)) {
            throw new IllegalArgumentException("retryRatio must be from 0 to " + (int) MAX_RETRY_RATIO
                    + " (retry tokens earned per first attempt), not " + retryRatio + ".");
        }
        if (!(minRetriesPerSecond >= MIN_RETRIES_PER_SECOND && minRetriesPerSecond <= MAX_RETRIES_PER_SECOND)) {
            throw new IllegalArgumentException("minRetriesPerSecond must be from " + MIN_RETRIES_PER_SECOND + " to "
                    + (long) MAX_RETRIES_PER_SECOND + ", not " + minRetriesPerSecond
                    + "; it must be positive so that retries are delayed by the budget, never starved.");
        }
    }

    /** The per-call retry policy for {@link RunLoop.Builder#retry}. */
    public RunLoop.RetryPolicy retryPolicy() {
        return new RunLoop.RetryPolicy(maxAttempts, baseDelay, maxDelay);
    }

    private static void requireDuration(Duration d, String name, boolean zeroAllowed) {
        if (d.compareTo(zeroAllowed ? Duration.ZERO : Duration.ofMillis(1)) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? "from 0" : "from 1 ms")
                    + " to " + MAX_DURATION.toHours() + " hours, not " + d + ".");
        }
    }
}
