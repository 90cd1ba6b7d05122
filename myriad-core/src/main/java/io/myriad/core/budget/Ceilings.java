package io.myriad.core.budget;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The ceilings of one budget scope; each is optional (absent: no ceiling on that resource).
 *
 * @param tokens    prompt plus completion tokens
 * @param usd       US dollars
 * @param steps     model calls plus tool calls
 * @param toolCalls tool calls
 * @param wall      elapsed time since the scope started (fleet executions; ignored for tenants)
 * @param warnAt    the fraction of a ceiling at which a warning is given once, in (0, 1]
 */
public record Ceilings(OptionalLong tokens, OptionalDouble usd, OptionalLong steps, OptionalLong toolCalls,
        Optional<Duration> wall, double warnAt) {

    /** The fraction of a ceiling at which a warning is given unless configured. */
    public static final double DEFAULT_WARN_AT = 0.8;

    /** No ceiling at all. */
    public static final Ceilings NONE = new Ceilings(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(),
            OptionalLong.empty(), Optional.empty(), DEFAULT_WARN_AT);

    public Ceilings {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(usd, "usd");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(toolCalls, "toolCalls");
        Objects.requireNonNull(wall, "wall");
        if (tokens.isPresent() && tokens.getAsLong() < 0 || steps.isPresent() && steps.getAsLong() < 0
                || toolCalls.isPresent() && toolCalls.getAsLong() < 0) {
            throw new IllegalArgumentException("budget ceilings must not be negative");
        }
        if (usd.isPresent() && !(usd.getAsDouble() >= 0 && Double.isFinite(usd.getAsDouble()))) {
            throw new IllegalArgumentException("the usd ceiling must be a finite amount >= 0, not " + usd.getAsDouble());
        }
        if (wall.isPresent() && (wall.get().isNegative() || wall.get().isZero())) {
            throw new IllegalArgumentException("the wall ceiling must be positive");
        }
        if (!(warnAt > 0 && warnAt <= 1)) {
            throw new IllegalArgumentException("warn_at must be a fraction in (0, 1], not " + warnAt);
        }
    }

    /** True when no resource has a ceiling. */
    public boolean none() {
        return tokens.isEmpty() && usd.isEmpty() && steps.isEmpty() && toolCalls.isEmpty() && wall.isEmpty();
    }

    /** The ceiling on {@code r} in the ledger's units (tokens, nano-dollars, steps, calls, ms), or -1 for none. */
    long units(Resource r) {
        return switch (r) {
            case TOKENS -> tokens.orElse(-1);
            case USD -> usd.isPresent() ? Math.round(usd.getAsDouble() * Amount.NANOS_PER_USD) : -1;
            case STEPS -> steps.orElse(-1);
            case TOOL_CALLS -> toolCalls.orElse(-1);
            case WALL -> wall.map(Duration::toMillis).orElse(-1L);
        };
    }

    /** A one-line description, such as {@code usd 5.00, tokens 1000000, warn at 80%}. */
    public String describe() {
        if (none()) {
            return "no ceilings";
        }
        StringBuilder b = new StringBuilder();
        usd.ifPresent(v -> b.append("usd ").append(String.format(java.util.Locale.ROOT, "%.2f", v)).append(", "));
        tokens.ifPresent(v -> b.append("tokens ").append(v).append(", "));
        steps.ifPresent(v -> b.append("steps ").append(v).append(", "));
        toolCalls.ifPresent(v -> b.append("tool_calls ").append(v).append(", "));
        wall.ifPresent(v -> b.append("wall ").append(v.toSeconds()).append(" s, "));
        return b.append("warn at ").append(Math.round(warnAt * 100)).append('%').toString();
    }
}
