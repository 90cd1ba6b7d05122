package io.myriad.core.budget;

/**
 * An amount of every counted resource, in the ledger's exact units: US dollars are counted in
 * whole nano-dollars, rounded up, so the sum of what the ledger counts is never below the sum of
 * the costs it was given.
 */
public record Amount(long tokens, long nanoUsd, long steps, long toolCalls) {
    static final double NANOS_PER_USD = 1e9;

    public static final Amount ZERO = new Amount(0, 0, 0, 0);

    /** One tool call (also one step). */
    public static final Amount TOOL_CALL = new Amount(0, 0, 1, 1);

    public Amount {
        if (tokens < 0 || nanoUsd < 0 || steps < 0 || toolCalls < 0) {
            throw new IllegalArgumentException("amounts must not be negative");
        }
    }

    /** A model call: its tokens, its cost in dollars (rounded up to the nano-dollar), one step. */
    /** The larger of each part of the two. */
    public Amount max(Amount o) {
        return new Amount(Math.max(tokens, o.tokens), Math.max(nanoUsd, o.nanoUsd), Math.max(steps, o.steps),
                Math.max(toolCalls, o.toolCalls));
    }

    public static Amount modelCall(long tokens, double usd) {
        return new Amount(tokens, nanos(usd), 1, 0);
    }

    /** Dollars as nano-dollars, rounded up. */
    public static long nanos(double usd) {
        if (!(usd >= 0) || Double.isInfinite(usd)) {
            throw new IllegalArgumentException("a cost must be a finite amount >= 0, not " + usd);
        }
        return (long) Math.ceil(usd * NANOS_PER_USD);
    }

    /** Nano-dollars as dollars. */
    public static double usd(long nanos) {
        return nanos / NANOS_PER_USD;
    }

    /** {@code n} tool calls (also {@code n} steps). */
    public static Amount toolCalls(int n) {
        return new Amount(0, 0, n, n);
    }

    long get(Resource r) {
        return switch (r) {
            case TOKENS -> tokens;
            case USD -> nanoUsd;
            case STEPS -> steps;
            case TOOL_CALLS -> toolCalls;
            case WALL -> 0;
        };
    }

    Amount plus(Amount o) {
        return new Amount(tokens + o.tokens, nanoUsd + o.nanoUsd, steps + o.steps, toolCalls + o.toolCalls);
    }

    /** The resource in display units: dollars for {@link Resource#USD}, counts otherwise. */
    public double display(Resource r) {
        return r == Resource.USD ? usd(nanoUsd) : get(r);
    }
}
