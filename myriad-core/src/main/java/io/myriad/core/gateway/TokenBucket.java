package io.myriad.core.gateway;

/**
 * One continuously refilling bucket of a {@link RateLimiter}: capacity is the per-minute limit,
 * and it refills at that limit per 60 s. Not thread-safe; the limiter's lock guards every instance.
 *
 * <p>Notes. The level is kept in fixed point: one token is {@value #UNITS_PER_TOKEN} units (the
 * milliseconds in a minute) and the bucket gains {@code perMinute} units per millisecond, so
 * refill is exact integer arithmetic and the bucket never gains more than {@code perMinute}
 * tokens in any 60 s. The level may be negative, a debt: usage charged beyond an estimate, or a
 * request larger than the capacity (admitted once the bucket is full). Time that goes backwards
 * is ignored. An unlimited bucket ({@code perMinute == UNLIMITED}) keeps no level at all.
 */
final class TokenBucket {
    static final long UNLIMITED = -1;
    static final long UNITS_PER_TOKEN = 60_000;
    /** The largest limit or token count taken at face value; larger ones are clamped, so units never overflow. */
    static final long MAX_TOKENS = 1L << 40;

    private static final long NEVER_REFILLED = Long.MIN_VALUE;

    private long perMinute;
    private long units;
    private long refilledAt = NEVER_REFILLED;

    /** A full bucket of {@code perMinute} tokens, or an unlimited one. */
    TokenBucket(long perMinute) {
        this.perMinute = perMinute == UNLIMITED ? UNLIMITED : clamp(perMinute);
        this.units = this.perMinute == UNLIMITED ? 0 : capacityUnits();
    }

    boolean unlimited() {
        return perMinute == UNLIMITED;
    }

    long perMinute() {
        return perMinute;
    }

    /** Adds what accrued since the last refill; the first call only starts the clock. */
    void refill(long nowMillis) {
        if (refilledAt == NEVER_REFILLED) {
            refilledAt = nowMillis;
            return;
        }
        long elapsed = nowMillis - refilledAt;
        if (elapsed <= 0) {
            return;
        }
        refilledAt = nowMillis;
        if (unlimited()) {
            return;
        }
        long missing = capacityUnits() - units;
        if (missing > 0) {
            units += elapsed > missing / perMinute ? missing : elapsed * perMinute;
        }
    }

    /**
     * Milliseconds until {@code tokens} can be taken, 0 when they can be now. A request larger
     * than the capacity needs a full bucket.
     */
    long waitMillis(long tokens) {
        if (unlimited()) {
            return 0;
        }
        long need = Math.min(clamp(tokens), perMinute) * UNITS_PER_TOKEN;
        return units >= need ? 0 : Math.ceilDiv(need - units, perMinute);
    }

    /** Removes {@code tokens}, possibly into debt. */
    void take(long tokens) {
        if (!unlimited()) {
            units = Math.max(units - clamp(tokens) * UNITS_PER_TOKEN, -MAX_TOKENS * UNITS_PER_TOKEN);
        }
    }

    /** Returns {@code tokens}, never above the capacity. */
    void give(long tokens) {
        if (!unlimited()) {
            units = Math.min(units + clamp(tokens) * UNITS_PER_TOKEN, capacityUnits());
        }
    }

    /** Lowers the level to {@code tokens} when it is higher; never raises it. */
    void lowerTo(long tokens) {
        if (!unlimited()) {
            units = Math.min(units, clamp(tokens) * UNITS_PER_TOKEN);
        }
    }

    /** Empties the bucket, keeping any debt. */
    void drain() {
        lowerTo(0);
    }

    /**
     * Adopts a new per-minute limit (positive). A bucket that was unlimited starts full; a
     * limited one keeps its level, cut to the new capacity.
     */
    void adopt(long newPerMinute) {
        boolean wasUnlimited = unlimited();
        perMinute = clamp(newPerMinute);
        units = wasUnlimited ? capacityUnits() : Math.min(units, capacityUnits());
    }

    /** Whole tokens available now (negative when in debt); {@link Long#MAX_VALUE} when unlimited. */
    long available() {
        return unlimited() ? Long.MAX_VALUE : Math.floorDiv(units, UNITS_PER_TOKEN);
    }

    private long capacityUnits() {
        return perMinute * UNITS_PER_TOKEN;
    }

    private static long clamp(long tokens) {
        return Math.min(Math.max(tokens, 0), MAX_TOKENS);
    }
}
