package io.myriad.core.fleet;

import java.time.Duration;
import java.util.Objects;

/**
 * Per-run ceilings. A run that reaches one ends in {@code LIMITED} with the limit named.
 *
 * @param maxSteps  model calls plus tool calls
 * @param maxTokens prompt plus completion tokens over the whole run
 * @param maxWall   elapsed time since the run started, across restarts
 */
public record Limits(int maxSteps, long maxTokens, Duration maxWall) {
    public static final Limits DEFAULT = new Limits(50, 200_000, Duration.ofMinutes(10));

    public Limits {
        Objects.requireNonNull(maxWall, "maxWall");
        if (maxSteps <= 0 || maxTokens <= 0 || maxWall.isNegative() || maxWall.isZero()) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
