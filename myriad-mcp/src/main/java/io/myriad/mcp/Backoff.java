package io.myriad.mcp;

import java.time.Duration;
import java.util.Objects;

/**
 * How long to wait before restarting a crashed MCP server: {@code base} after the first crash,
 * doubling with each start that fails in a row, never more than {@code max}.
 */
public record Backoff(Duration base, Duration max) {
    /** 200 ms, doubling up to 30 s. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));

    public Backoff {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(max, "max");
        if (base.isNegative() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("expected 0 <= base <= max, got " + base + " and " + max);
        }
    }

    /** The wait before restart attempt {@code attempt} (1 for the first). */
    Duration delay(int attempt) {
        int shift = Math.min(Math.max(attempt - 1, 0), 30);
        Duration d = base.multipliedBy(1L << shift);
        return d.compareTo(max) > 0 || d.isNegative() ? max : d;
    }
}
