package io.myriad.core.gateway;

import io.myriad.core.model.ModelException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Stops requests to a model provider that keeps failing, and lets one request at a time find out
 * when it is back.
 *
 * <pre>
 *            failureThreshold consecutive trouble failures
 *   CLOSED ───────────────────────────────────────────────▶ OPEN ◀──┐
 *     ▲                                                       │      │ the probe fails: open again,
 *     │ the probe succeeds                     openFor passes │      │ openFor doubled (≤ maxOpenFor)
 *     │                                                       ▼      │
 *     └──────────────────────────────────────────────────── HALF_OPEN
 *                                               (one probe at a time)
 * </pre>
 *
 * <p>Ask {@link #tryAcquire()} before each request and report its outcome with
 * {@link #onSuccess}, {@link #onFailure} or {@link #onAbandoned}, saying whether it was the probe.
 *
 * <p>Notes. Trouble is {@code SERVER_ERROR}, {@code TIMEOUT}, {@code UNREACHABLE} and
 * {@code MALFORMED_RESPONSE}. {@code RATE_LIMITED} is neutral: it neither counts nor breaks a
 * streak of failures. A 429 is a provider that is up telling us its rate, and the
 * {@link RateLimiter} already cools down on it; counting it would open the breaker on a busy but
 * healthy provider and stack a second back-off on the limiter's, while letting it reset the streak
 * would keep a provider answering a mix of 5xx and 429 from ever tripping the breaker.
 * {@code REJECTED} and {@code CONTEXT_TOO_LONG} are answers from a working provider and count as
 * successes. Only outcomes seen while closed move the streak: calls sent before the breaker
 * opened and ending while it is open or half-open are ignored, so only the probe decides
 * whether it closes. A probe with a neutral outcome (a 429, or a request never sent) decides
 * nothing: the breaker stays half-open and the next request becomes the probe.
 *
 * <p>Until the provider has answered once (any HTTP answer: a response, a 4xx, a 429, a 5xx, a
 * malformed body), {@code UNREACHABLE} and {@code TIMEOUT} are neutral too. A provider never
 * reached is far more likely misconfigured (a wrong URL or port) than in an outage, and holding
 * calls for it would turn a failure reported in seconds into probes spaced up to
 * {@code maxOpenFor} apart, one attempt of one call each. The cost: a process started during a
 * network outage retries as if it had no breaker until the provider first answers.
 *
 * <p>The state moves from open to half-open with time alone, read from the injected clock
 * whenever the breaker is asked; nothing is scheduled. Thread-safe: {@code lock} guards every
 * mutable field and is never held while calling out.
 */
public final class CircuitBreaker {

    /** Where the breaker is in its cycle. */
    public enum State {
        /** Requests flow; consecutive trouble failures are counted. */
        CLOSED,
        /** No request is sent until the open time has passed. */
        OPEN,
        /** One request, the probe, may be sent; its outcome closes or reopens the breaker. */
        HALF_OPEN
    }

    /** The answer to {@link #tryAcquire()}. */
    public sealed interface Permit {
        /** The breaker is closed: send. */
        Permit SEND = new Send();
        /** Send this request as the probe, and report its outcome with {@code probe} true. */
        Permit PROBE = new Probe();
        /** The probe is in flight: ask again after its outcome is reported. */
        Permit AWAIT_PROBE = new AwaitProbe();

        record Send() implements Permit {}

        record Probe() implements Permit {}

        record AwaitProbe() implements Permit {}

        /** The breaker is open: ask again in {@code millis} (at least 1), when it becomes half-open. */
        record Wait(long millis) implements Permit {}
    }

    /**
     * The state of a breaker at one moment.
     *
     * @param state               where the breaker is
     * @param consecutiveFailures trouble failures in a row while closed
     * @param opens               times it opened, reopenings after a failed probe included
     * @param rejectedWhileOpen   permits refused while open or while a probe was in flight
     * @param probes              probes let through
     * @param openedAtMillis      when it last opened, or -1 when closed
     * @param halfOpenAtMillis    when it becomes (or became) half-open, or -1 when closed
     * @param openFor             how long it stays open this time; when closed, how long it will on the next trip
     * @param timeOpen            time spent open or half-open in all, up to now
     */
    public record Snapshot(State state, int consecutiveFailures, long opens, long rejectedWhileOpen, long probes,
                           long openedAtMillis, long halfOpenAtMillis, Duration openFor, Duration timeOpen) {}

    private static final long NEVER = -1;

    private final int failureThreshold;
    private final long openForMillis;
    private final long maxOpenForMillis;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();

    /** Guarded by {@link #lock}. */
    private State state = State.CLOSED;
    /** Guarded by {@link #lock}. */
    private int consecutiveFailures;
    /** The open time of the next opening. Guarded by {@link #lock}. */
    private long nextOpenForMillis;
    /** Guarded by {@link #lock}. */
    private long openedAtMillis = NEVER;
    /** Guarded by {@link #lock}. */
    private long halfOpenAtMillis = NEVER;
    /** When the current spell away from closed began. Guarded by {@link #lock}. */
    private long troubleSinceMillis = NEVER;
    /** Time away from closed in spells that ended. Guarded by {@link #lock}. */
    private long pastTroubleMillis;
    /** Guarded by {@link #lock}. */
    private boolean probeInFlight;
    /** The provider has answered once: connection failures and timeouts count from then on. Guarded by {@link #lock}. */
    private boolean answered;
    /** Guarded by {@link #lock}. */
    private long opens;
    /** Guarded by {@link #lock}. */
    private long rejected;
    /** Guarded by {@link #lock}. */
    private long probes;

    private CircuitBreaker(int failureThreshold, Duration openFor, Duration maxOpenFor, InstantSource clock) {
        this.failureThreshold = failureThreshold;
        this.openForMillis = openFor.toMillis();
        this.maxOpenForMillis = maxOpenFor.toMillis();
        this.clock = clock;
        this.nextOpenForMillis = openForMillis;
    }

    /**
     * A closed breaker.
     *
     * @param failureThreshold consecutive trouble failures that open it (at least 1)
     * @param openFor          how long it first stays open (at least 1 ms)
     * @param maxOpenFor       the longest it stays open as failed probes double the time
     * @param clock            where time is read
     * @throws IllegalArgumentException when a setting is out of range
     */
    public static CircuitBreaker create(int failureThreshold, Duration openFor, Duration maxOpenFor, InstantSource clock) {
        Objects.requireNonNull(openFor, "openFor");
        Objects.requireNonNull(maxOpenFor, "maxOpenFor");
        Objects.requireNonNull(clock, "clock");
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1, not " + failureThreshold + ".");
        }
        if (openFor.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("openFor must be at least 1 ms, not " + openFor + ".");
        }
        if (maxOpenFor.compareTo(openFor) < 0 || maxOpenFor.compareTo(Resilience.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("maxOpenFor must be from openFor (" + openFor + ") to "
                    + Resilience.MAX_DURATION + ", not " + maxOpenFor + ".");
        }
        return new CircuitBreaker(failureThreshold, openFor, maxOpenFor, clock);
    }

    /** A closed breaker with the settings of {@code resilience}. */
    public static CircuitBreaker create(Resilience resilience, InstantSource clock) {
        return create(resilience.failureThreshold(), resilience.openFor(), resilience.maxOpenFor(), clock);
    }

    /**
     * Asks to send one request. {@link Permit#PROBE} is given to one caller at a time while
     * half-open; that caller must report the outcome with {@code probe} true, or the breaker stays
     * half-open with no request let through.
     */
    public Permit tryAcquire() {
        lock.lock();
        try {
            long now = clock.millis();
            advance(now);
            return switch (state) {
                case CLOSED -> Permit.SEND;
                case HALF_OPEN -> {
                    if (probeInFlight) {
                        rejected++;
                        yield Permit.AWAIT_PROBE;
                    }
                    probeInFlight = true;
                    probes++;
                    yield Permit.PROBE;
                }
                case OPEN -> {
                    rejected++;
                    yield new Permit.Wait(Math.max(1, halfOpenAtMillis - now));
                }
            };
        } finally {
            lock.unlock();
        }
    }

    /** Records a response. The probe's closes the breaker; any other clears the streak while closed. */
    public void onSuccess(boolean probe) {
        lock.lock();
        try {
            long now = clock.millis();
            advance(now);
            answered = true;
            if (probe) {
                if (isProbeOutcome()) {
                    close(now);
                }
            } else if (state == State.CLOSED) {
                consecutiveFailures = 0;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records a failure. Trouble counts toward opening while closed, and reopens the breaker when
     * the probe fails; a 429 decides nothing; a refused request counts as a success. A connection
     * failure or timeout decides nothing until the provider has answered once.
     */
    public void onFailure(boolean probe, ModelException.Kind kind) {
        Objects.requireNonNull(kind, "kind");
        if (!isTrouble(kind)) {
            if (kind == ModelException.Kind.RATE_LIMITED) {
                markAnswered();
                onAbandoned(probe);
            } else {
                onSuccess(probe);
            }
            return;
        }
        lock.lock();
        try {
            boolean reached = kind != ModelException.Kind.UNREACHABLE && kind != ModelException.Kind.TIMEOUT;
            answered |= reached;
            if (!answered) {
                return; // never open yet, so there is no probe to release
            }
            long now = clock.millis();
            advance(now);
            if (probe) {
                if (isProbeOutcome()) {
                    probeInFlight = false;
                    nextOpenForMillis = Math.min(nextOpenForMillis * 2, maxOpenForMillis);
                    open(now);
                }
            } else if (state == State.CLOSED && ++consecutiveFailures >= failureThreshold) {
                troubleSinceMillis = now;
                open(now);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records a request that ended without a verdict on the provider; a probe's lets the next request probe. */
    public void onAbandoned(boolean probe) {
        lock.lock();
        try {
            if (probe && isProbeOutcome()) {
                probeInFlight = false;
            }
        } finally {
            lock.unlock();
        }
    }

    private void markAnswered() {
        lock.lock();
        try {
            answered = true;
        } finally {
            lock.unlock();
        }
    }

    /** True for the kinds of failure that say the provider is in trouble (not a 429, not a refused request). */
    public static boolean isTrouble(ModelException.Kind kind) {
        return switch (kind) {
            case SERVER_ERROR, TIMEOUT, UNREACHABLE, MALFORMED_RESPONSE -> true;
            case RATE_LIMITED, REJECTED, CONTEXT_TOO_LONG -> false;
        };
    }

    /** The state now: an open breaker whose time has passed reads half-open. */
    public State state() {
        return snapshot().state();
    }

    /** Times the breaker opened, reopenings after a failed probe included. */
    public long opens() {
        lock.lock();
        try {
            return opens;
        } finally {
            lock.unlock();
        }
    }

    /** Permits refused while open or while a probe was in flight. */
    public long rejectedWhileOpen() {
        lock.lock();
        try {
            return rejected;
        } finally {
            lock.unlock();
        }
    }

    /** When the breaker last opened, unless it is closed. */
    public Optional<Instant> openedAt() {
        long at = snapshot().openedAtMillis();
        return at == NEVER ? Optional.empty() : Optional.of(Instant.ofEpochMilli(at));
    }

    /** Time spent open or half-open in all, up to now. */
    public Duration timeOpen() {
        return snapshot().timeOpen();
    }

    /** Everything at once, at the clock's current time. */
    public Snapshot snapshot() {
        lock.lock();
        try {
            long now = clock.millis();
            advance(now);
            long trouble = pastTroubleMillis + (troubleSinceMillis == NEVER ? 0 : Math.max(0, now - troubleSinceMillis));
            return new Snapshot(state, consecutiveFailures, opens, rejected, probes, openedAtMillis, halfOpenAtMillis,
                    Duration.ofMillis(nextOpenForMillis), Duration.ofMillis(trouble));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "CircuitBreaker" + snapshot();
    }

    // Guarded by lock.
    private void advance(long now) {
        if (state == State.OPEN && now >= halfOpenAtMillis) {
            state = State.HALF_OPEN;
        }
    }

    // Guarded by lock.
    private boolean isProbeOutcome() {
        return state == State.HALF_OPEN && probeInFlight;
    }

    // Guarded by lock.
    private void open(long now) {
        state = State.OPEN;
        opens++;
        openedAtMillis = now;
        halfOpenAtMillis = now + nextOpenForMillis;
    }

    // Guarded by lock.
    private void close(long now) {
        state = State.CLOSED;
        probeInFlight = false;
        consecutiveFailures = 0;
        nextOpenForMillis = openForMillis;
        openedAtMillis = NEVER;
        halfOpenAtMillis = NEVER;
        pastTroubleMillis += Math.max(0, now - troubleSinceMillis);
        troubleSinceMillis = NEVER;
    }
}
