package io.myriad.cli.fleet;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as fleet files and command options write them: {@code 250ms}, {@code 30s},
 * {@code 5m}, {@code 2h}, or a bare integer meaning seconds. {@link #format} writes the shortest
 * form that parses back to the same value.
 */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})(ms|s|m|h)?");

    private Durations() {}

    /**
     * The duration {@code text} denotes.
     *
     * @throws IllegalArgumentException if it is not a duration (the message says what is expected)
     */
    public static Duration parse(String text) {
        return tryParse(text).orElseThrow(() -> new IllegalArgumentException(
                "expected a duration like 250ms, 30s, 5m or 2h, got '" + text + "'"));
    }

    /** The duration {@code text} denotes, or empty if it is not one (or is too large). */
    public static Optional<Duration> tryParse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        try {
            return Optional.of(switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofSeconds(Math.multiplyExact(amount, 60L));
                case "h" -> Duration.ofSeconds(Math.multiplyExact(amount, 3600L));
                default -> throw new AssertionError(unit);
            });
        } catch (ArithmeticException e) {
            return Optional.empty();
        }
    }

    /**
     * The shortest text {@link #parse} reads back as {@code duration}.
     *
     * @throws IllegalArgumentException if it is negative or finer than a millisecond
     */
    public static String format(Duration duration) {
        if (duration.isNegative() || duration.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException("not a fleet-file duration: " + duration);
        }
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }
}
