package io.myriad.core.fleet;

import java.time.Duration;
import io.myriad.core.budget.Ceilings;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Per-run ceilings. A run that reaches one ends in {@code LIMITED} with the limit named.
 *
 * @param maxSteps  model calls plus tool calls
 * @param maxTokens prompt plus completion tokens over the whole run
 * @param maxWall   elapsed time since the run started, across restarts
 * @param maxRepeats the same tool call (same tool, same arguments) at most this many times;
 *                   the next one ends the run as {@code stuck}
 * @param maxIdleResponses tool-calling responses in a row that make no progress (every call a
 *                   repeat, a failure or a rejection) before the run ends as {@code stuck}
 * @param maxUsd     the run's budget in US dollars ({@code max_usd}): a model call whose worst
 *                   case does not fit ends the run as {@code budget_exhausted}; empty for none
 * @param maxToolCalls the run's budget of tool calls ({@code max_tool_calls}); empty for none
 */
public record Limits(int maxSteps, long maxTokens, Duration maxWall, int maxRepeats, int maxIdleResponses,
                     OptionalDouble maxUsd, OptionalLong maxToolCalls) {
    public static final int DEFAULT_MAX_REPEATS = 3;
    public static final int DEFAULT_MAX_IDLE_RESPONSES = 8;
    public static final Limits DEFAULT = new Limits(50, 200_000, Duration.ofMinutes(10));

    public Limits {
        Objects.requireNonNull(maxWall, "maxWall");
        if (maxSteps <= 0 || maxTokens <= 0 || maxWall.isNegative() || maxWall.isZero()) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (maxRepeats < 1 || maxIdleResponses < 1) {
            throw new IllegalArgumentException("max_repeats and max_idle_steps must be at least 1");
        }
        Objects.requireNonNull(maxUsd, "maxUsd");
        Objects.requireNonNull(maxToolCalls, "maxToolCalls");
        if (maxUsd.isPresent() && !(maxUsd.getAsDouble() >= 0) || maxToolCalls.isPresent() && maxToolCalls.getAsLong() < 0) {
            throw new IllegalArgumentException("max_usd and max_tool_calls must not be negative");
        }
    }

    /** Limits without a run budget in dollars or tool calls. */
    public Limits(int maxSteps, long maxTokens, Duration maxWall, int maxRepeats, int maxIdleResponses) {
        this(maxSteps, maxTokens, maxWall, maxRepeats, maxIdleResponses, OptionalDouble.empty(), OptionalLong.empty());
    }

    /** The run's budget ceilings: {@code max_usd} and {@code max_tool_calls} (the other limits end a run as limited). */
    public Ceilings budget() {
        return new Ceilings(OptionalLong.empty(), maxUsd, OptionalLong.empty(), maxToolCalls, Optional.empty(),
                Ceilings.DEFAULT_WARN_AT);
    }

    /** Limits with the default loop detection. */
    public Limits(int maxSteps, long maxTokens, Duration maxWall) {
        this(maxSteps, maxTokens, maxWall, DEFAULT_MAX_REPEATS, DEFAULT_MAX_IDLE_RESPONSES);
    }
}
