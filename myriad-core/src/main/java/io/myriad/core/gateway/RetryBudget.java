package io.myriad.core.gateway;

/**
 * Bounds how much retries add to the requests sent to one provider, in the manner of Finagle's
 * retry budget: each first attempt deposits {@code ratio} tokens, each retry withdraws one, and a
 * floor of {@code minPerSecond} tokens a second flows in whatever the traffic, so a retry is
 * delayed by the budget but never starved. The balance is capped, by default at ten seconds of
 * the floor (at least one token), and starts full.
 *
 * <p>Over any span of {@code t} seconds in which {@code f} first attempts were sent, at most
 * {@code ratio × f + minPerSecond × t + cap} retries are admitted. With the default ratio of 0.5,
 * a provider failing every request receives at most 1.5 requests per first attempt (plus the
 * floor), however many attempts each call may make.
 *
 * <p>Notes. The balance is kept in fixed point, {@value #UNITS_PER_TOKEN} units a token; the
 * deposit and the floor's rate per millisecond are rounded down to whole units, so the bound
 * above holds exactly. Time is passed in, in milliseconds from any fixed origin; a time earlier
 * than one seen before counts as no time passing. Not thread-safe: the gateway's lock guards it.
 */
final class RetryBudget {
    static final long UNITS_PER_TOKEN = 1_000_000;
    /** The default cap, in seconds of the floor. */
    static final long DEFAULT_CAP_SECONDS = 10;

    private static final long NEVER = Long.MIN_VALUE;

    private final long depositUnits;
    private final long refillUnitsPerMilli;
    private final long capUnits;
    private long units;
    private long refilledAt = NEVER;

    private RetryBudget(long depositUnits, long refillUnitsPerMilli, long capUnits) {
        this.depositUnits = depositUnits;
        this.refillUnitsPerMilli = refillUnitsPerMilli;
        this.capUnits = capUnits;
        this.units = capUnits;
    }

    /** A full budget capped at ten seconds of the floor, or one token if that is less. */
    static RetryBudget create(double ratio, double minPerSecond) {
        requireFloor(minPerSecond);
        return create(ratio, minPerSecond, Math.max(1, minPerSecond * DEFAULT_CAP_SECONDS));
    }

    /**
     * A full budget.
     *
     * @param ratio        tokens each first attempt deposits (0 to {@link Resilience#MAX_RETRY_RATIO})
     * @param minPerSecond tokens flowing in each second ({@link Resilience#MIN_RETRIES_PER_SECOND} to
     *                     {@link Resilience#MAX_RETRIES_PER_SECOND})
     * @param cap          the most tokens held (1 to 10^7)
     * @throws IllegalArgumentException when a setting is out of range
     */
    static RetryBudget create(double ratio, double minPerSecond, double cap) {
        if (!(ratio >= 0 && ratio <= Resilience.MAX_RETRY_RATIO)) {
            throw new IllegalArgumentException("ratio must be from 0 to " + Resilience.MAX_RETRY_RATIO + ", not " + ratio + ".");
        }
        requireFloor(minPerSecond);
        if (!(cap >= 1 && cap <= 10_000_000)) {
            throw new IllegalArgumentException("cap must be from 1 to 10000000 tokens, not " + cap + ".");
        }
        return new RetryBudget((long) Math.floor(ratio * UNITS_PER_TOKEN),
                Math.max(1, (long) Math.floor(minPerSecond * UNITS_PER_TOKEN / 1000)), (long) Math.floor(cap * UNITS_PER_TOKEN));
    }

    /** Records a first attempt sent: deposits the ratio, up to the cap. */
    void deposit(long nowMillis) {
        refill(nowMillis);
        units = Math.min(capUnits, units + depositUnits);
    }

    /** Takes one token for a retry if the budget holds one. */
    boolean tryWithdraw(long nowMillis) {
        refill(nowMillis);
        if (units < UNITS_PER_TOKEN) {
            return false;
        }
        units -= UNITS_PER_TOKEN;
        return true;
    }

    /** Milliseconds until a retry can be withdrawn, 0 when it can be now; always finite. */
    long millisUntilAvailable(long nowMillis) {
        refill(nowMillis);
        return units >= UNITS_PER_TOKEN ? 0 : Math.ceilDiv(UNITS_PER_TOKEN - units, refillUnitsPerMilli);
    }

    /** Tokens held, fractions included. */
    double balance(long nowMillis) {
        refill(nowMillis);
        return (double) units / UNITS_PER_TOKEN;
    }

    private void refill(long nowMillis) {
        if (refilledAt == NEVER) {
            refilledAt = nowMillis;
            return;
        }
        long elapsed = nowMillis - refilledAt;
        if (elapsed <= 0) {
            return;
        }
        refilledAt = nowMillis;
        long missing = capUnits - units;
        if (missing > 0) {
            units += elapsed > missing / refillUnitsPerMilli ? missing : elapsed * refillUnitsPerMilli;
        }
    }

    private static void requireFloor(double minPerSecond) {
        if (!(minPerSecond >= Resilience.MIN_RETRIES_PER_SECOND && minPerSecond <= Resilience.MAX_RETRIES_PER_SECOND)) {
            throw new IllegalArgumentException("minPerSecond must be from " + Resilience.MIN_RETRIES_PER_SECOND + " to "
                    + (long) Resilience.MAX_RETRIES_PER_SECOND + ", not " + minPerSecond
                    + "; it must be positive so that retries are never starved.");
        }
    }
}
