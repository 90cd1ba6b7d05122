package io.myriad.core.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The faults the simulated model injects, so that retries, circuit breakers and fallbacks can be
 * tested against the failures real providers produce.
 *
 * <p>Each rate is the probability, per request, of one fault. The faults other than
 * {@code latencySpike} exclude each other (a request gets at most one of them), so their rates
 * must add up to at most 1; a latency spike is drawn on its own and may come on top of another
 * fault. Which fault a request gets is drawn from its run id, step and attempt: the same attempt
 * always gets the same fault, a retry gets a fresh draw.
 *
 * @param rateLimited             HTTP 429 with a Retry-After of {@code retryAfter}
 * @param rateLimitedNoRetryAfter HTTP 429 without Retry-After
 * @param serverError             HTTP 500, 502 or 503
 * @param timeout                 no answer for {@code hang}, longer than a client's timeout
 * @param reset                   the connection closed in the middle of the response
 * @param malformed               HTTP 200 whose body is not JSON
 * @param truncated               HTTP 200 whose JSON body is cut in the middle
 * @param emptyChoices            HTTP 200 with {@code "choices": []}
 * @param badToolArguments        a tool call whose arguments are not valid JSON (only when tools
 *                                are offered)
 * @param latencySpike            a normal answer after an extra {@code spike}
 * @param hostile                 a tool call meant to be refused: a tool that was not offered,
 *                                arguments that break the tool's schema, or paths such as
 *                                {@code ../../etc/passwd} (only when tools are offered)
 * @param retryAfter              the wait a rate-limited answer asks for
 * @param hang                    how long a timed-out request hangs
 * @param spike                   the extra latency of a spike
 * @param from                    faults apply from this long after the simulator started
 * @param until                   faults apply until this long after the simulator started;
 *                                {@link #NO_END} for ever
 */
public record Faults(
        double rateLimited,
        double rateLimitedNoRetryAfter,
        double serverError,
        double timeout,
        double reset,
        double malformed,
        double truncated,
        double emptyChoices,
        double badToolArguments,
        double latencySpike,
        double hostile,
        Duration retryAfter,
        Duration hang,
        Duration spike,
        Duration from,
        Duration until) {

    /** The {@code until} of a window that never closes. */
    public static final Duration NO_END = Duration.ofSeconds(Long.MAX_VALUE);
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);
    public static final Duration DEFAULT_HANG = Duration.ofSeconds(30);
    public static final Duration DEFAULT_SPIKE = Duration.ofSeconds(2);

    /** No faults at all. */
    public static final Faults NONE = builder().build();

    /** Rounding slack when checking that the exclusive rates add up to at most 1. */
    private static final double SUM_SLACK = 1e-9;

    public Faults {
        rate("rateLimited", rateLimited);
        rate("rateLimitedNoRetryAfter", rateLimitedNoRetryAfter);
        rate("serverError", serverError);
        rate("timeout", timeout);
        rate("reset", reset);
        rate("malformed", malformed);
        rate("truncated", truncated);
        rate("emptyChoices", emptyChoices);
        rate("badToolArguments", badToolArguments);
        rate("latencySpike", latencySpike);
        rate("hostile", hostile);
        double exclusive = rateLimited + rateLimitedNoRetryAfter + serverError + timeout + reset + malformed
                + truncated + emptyChoices + badToolArguments + hostile;
        if (exclusive > 1 + SUM_SLACK) {
            throw new IllegalArgumentException("The fault rates other than latencySpike add up to " + exclusive
                    + ", but a request gets at most one of those faults: lower them to a sum of at most 1.");
        }
        duration("retryAfter", retryAfter);
        duration("hang", hang);
        duration("spike", spike);
        duration("from", from);
        duration("until", until);
        if (until.compareTo(from) <= 0) {
            throw new IllegalArgumentException("The fault window must end after it starts, but until (" + until
                    + ") is not after from (" + from + ").");
        }
    }

    /** Starts a set of faults with every rate 0, the default durations and a window that never closes. */
    public static Builder builder() {
        return new Builder();
    }

    /** True when some fault has a rate above 0. */
    public boolean any() {
        return rateLimited > 0 || rateLimitedNoRetryAfter > 0 || serverError > 0 || timeout > 0 || reset > 0
                || malformed > 0 || truncated > 0 || emptyChoices > 0 || badToolArguments > 0 || latencySpike > 0
                || hostile > 0;
    }

    /** True when {@code elapsed}, the time since the simulator started, is inside the window. */
    public boolean activeAt(Duration elapsed) {
        Objects.requireNonNull(elapsed, "elapsed");
        return elapsed.compareTo(from) >= 0 && elapsed.compareTo(until) < 0;
    }

    /**
     * A short label for humans, such as {@code 429 10% (Retry-After 1s), 5xx 5%, from 0s until 1m};
     * {@code none} without faults.
     */
    public String describe() {
        if (!any()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        add(parts, "429", rateLimited, " (Retry-After " + text(retryAfter) + ")");
        add(parts, "429 without Retry-After", rateLimitedNoRetryAfter, "");
        add(parts, "5xx", serverError, "");
        add(parts, "timeout", timeout, " (hang " + text(hang) + ")");
        add(parts, "reset", reset, "");
        add(parts, "malformed", malformed, "");
        add(parts, "truncated", truncated, "");
        add(parts, "empty choices", emptyChoices, "");
        add(parts, "bad tool arguments", badToolArguments, "");
        add(parts, "latency spike", latencySpike, " (+" + text(spike) + ")");
        add(parts, "hostile", hostile, "");
        String faults = String.join(", ", parts);
        if (from.isZero() && until.equals(NO_END)) {
            return faults;
        }
        return faults + ", from " + text(from) + (until.equals(NO_END) ? "" : " until " + text(until));
    }

    private static void add(List<String> parts, String name, double rate, String detail) {
        if (rate > 0) {
            String percent = String.format(Locale.ROOT, "%.4f", rate * 100).replaceAll("\\.?0+$", "");
            parts.add(name + " " + percent + "%" + detail);
        }
    }

    private static String text(Duration d) {
        if (d.getSeconds() > 1_000_000_000_000L) {
            return d.toString();
        }
        long millis = d.toMillis();
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    private static void rate(String name, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("The fault rate " + name + " must be a probability from 0 to 1, not "
                    + rate + ".");
        }
    }

    private static void duration(String name, Duration duration) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative()) {
            throw new IllegalArgumentException("The fault duration " + name + " must not be negative, not " + duration + ".");
        }
    }

    /** Configuration of {@link Faults}; not thread-safe. Unset rates are 0. */
    public static final class Builder {
        private double rateLimited;
        private double rateLimitedNoRetryAfter;
        private double serverError;
        private double timeout;
        private double reset;
        private double malformed;
        private double truncated;
        private double emptyChoices;
        private double badToolArguments;
        private double latencySpike;
        private double hostile;
        private Duration retryAfter = DEFAULT_RETRY_AFTER;
        private Duration hang = DEFAULT_HANG;
        private Duration spike = DEFAULT_SPIKE;
        private Duration from = Duration.ZERO;
        private Duration until = NO_END;

        private Builder() {}

        public Builder rateLimited(double rate) {
            this.rateLimited = rate;
            return this;
        }

        public Builder rateLimitedNoRetryAfter(double rate) {
            this.rateLimitedNoRetryAfter = rate;
            return this;
        }

        public Builder serverError(double rate) {
            this.serverError = rate;
            return this;
        }

        public Builder timeout(double rate) {
            this.timeout = rate;
            return this;
        }

        public Builder reset(double rate) {
            this.reset = rate;
            return this;
        }

        public Builder malformed(double rate) {
            this.malformed = rate;
            return this;
        }

        public Builder truncated(double rate) {
            this.truncated = rate;
            return this;
        }

        public Builder emptyChoices(double rate) {
            this.emptyChoices = rate;
            return this;
        }

        public Builder badToolArguments(double rate) {
            this.badToolArguments = rate;
            return this;
        }

        public Builder latencySpike(double rate) {
            this.latencySpike = rate;
            return this;
        }

        public Builder hostile(double rate) {
            this.hostile = rate;
            return this;
        }

        public Builder retryAfter(Duration retryAfter) {
            this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
            return this;
        }

        public Builder hang(Duration hang) {
            this.hang = Objects.requireNonNull(hang, "hang");
            return this;
        }

        public Builder spike(Duration spike) {
            this.spike = Objects.requireNonNull(spike, "spike");
            return this;
        }

        /** The start of the window, measured from the simulator's start. */
        public Builder from(Duration from) {
            this.from = Objects.requireNonNull(from, "from");
            return this;
        }

        /** The end of the window, measured from the simulator's start; {@link #NO_END} by default. */
        public Builder until(Duration until) {
            this.until = Objects.requireNonNull(until, "until");
            return this;
        }

        /**
         * Builds the faults.
         *
         * @throws IllegalArgumentException when a rate is outside [0, 1], the exclusive rates add
         *     up to more than 1, a duration is negative or the window ends before it starts
         */
        public Faults build() {
            return new Faults(rateLimited, rateLimitedNoRetryAfter, serverError, timeout, reset, malformed, truncated,
                    emptyChoices, badToolArguments, latencySpike, hostile, retryAfter, hang, spike, from, until);
        }
    }
}
