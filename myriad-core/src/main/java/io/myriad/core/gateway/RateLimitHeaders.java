package io.myriad.core.gateway;

import io.myriad.core.model.RateLimits;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a provider's HTTP response headers say about its rate limits.
 *
 * <p>Understood headers, the first present and readable one winning for each field:
 * <ul>
 *   <li>OpenAI and compatible servers (Groq, vLLM behind a gateway, Azure OpenAI):
 *       {@code x-ratelimit-limit-requests}, {@code x-ratelimit-remaining-requests},
 *       {@code x-ratelimit-reset-requests} and the same three for {@code -tokens}; resets are
 *       durations such as {@code 1s}, {@code 6m0s}, {@code 20ms} or {@code 1h2m3.5s}.</li>
 *   <li>Anthropic: {@code anthropic-ratelimit-requests-limit}, {@code -remaining},
 *       {@code -reset} and the same for {@code anthropic-ratelimit-tokens-} (the most restrictive
 *       token limit in force); resets are RFC 3339 timestamps, turned into a delay from
 *       {@code now}.</li>
 *   <li>{@code retry-after-ms} (OpenAI's precise form), then {@code Retry-After} in seconds or
 *       as an HTTP date.</li>
 * </ul>
 * A reset is read as a duration, a bare number of seconds, or an RFC 3339 timestamp, whichever
 * family it came from. Values that cannot be read, negative counts included, are ignored: the
 * field stays -1. A moment in the past is a delay of 0.
 */
public final class RateLimitHeaders {
    private static final Pattern COUNT = Pattern.compile("\\d{1,18}");
    private static final Pattern DECIMAL = Pattern.compile("\\d{1,18}(\\.\\d{1,18})?");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(h|ms|m|s|us|µs|μs|ns)");
    private static final BigDecimal MAX_MILLIS = BigDecimal.valueOf(Long.MAX_VALUE);

    private RateLimitHeaders() {}

    /**
     * Reads the rate limits from response headers.
     *
     * @param header the first value of the header with the given lower-case name, if any; header
     *               names are case-insensitive, so the lookup must be too ({@code
     *               java.net.http.HttpHeaders::firstValue} is)
     * @param now    the moment the response arrived, against which timestamps become delays
     * @return the limits, with -1 for each field the headers did not say or said unreadably;
     *         {@link RateLimits#UNKNOWN} when there were none
     */
    public static RateLimits parse(Function<String, Optional<String>> header, Instant now) {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(now, "now");
        Function<String, Optional<String>> lookup = name -> {
            Optional<String> value = header.apply(name);
            return value == null ? Optional.empty() : value.map(String::strip).filter(v -> !v.isEmpty());
        };
        return new RateLimits(
                first(lookup, RateLimitHeaders::count,
                        "x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit"),
                first(lookup, RateLimitHeaders::count,
                        "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining"),
                first(lookup, value -> resetMillis(value, now),
                        "x-ratelimit-reset-requests", "anthropic-ratelimit-requests-reset"),
                first(lookup, RateLimitHeaders::count,
                        "x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit"),
                first(lookup, RateLimitHeaders::count,
                        "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining"),
                first(lookup, value -> resetMillis(value, now),
                        "x-ratelimit-reset-tokens", "anthropic-ratelimit-tokens-reset"),
                retryAfterMillis(lookup, now));
    }

    private static long first(Function<String, Optional<String>> lookup, ToLongFunction<String> reader, String... names) {
        for (String name : names) {
            Optional<String> value = lookup.apply(name);
            if (value.isPresent()) {
                long parsed = reader.applyAsLong(value.get());
                if (parsed >= 0) {
                    return parsed;
                }
            }
        }
        return -1;
    }

    private static long retryAfterMillis(Function<String, Optional<String>> lookup, Instant now) {
        long millis = first(lookup, value -> decimalTimes(value, 1), "retry-after-ms");
        return millis >= 0 ? millis : first(lookup, value -> {
            long seconds = decimalTimes(value, 1000);
            return seconds >= 0 ? seconds : httpDateMillis(value, now);
        }, "retry-after");
    }

    /** A non-negative whole number, or -1. */
    static long count(String text) {
        return COUNT.matcher(text).matches() ? Long.parseLong(text) : -1;
    }

    /** A non-negative decimal number times {@code unit}, rounded half up, or -1. */
    static long decimalTimes(String text, long unit) {
        if (!DECIMAL.matcher(text).matches()) {
            return -1;
        }
        return toMillis(new BigDecimal(text).multiply(BigDecimal.valueOf(unit)), RoundingMode.HALF_UP);
    }

    /**
     * A reset as a delay in milliseconds: a Go-style duration ({@code 6m0s}), a bare number of
     * seconds, or an RFC 3339 timestamp relative to {@code now}; -1 when it is none of these.
     */
    static long resetMillis(String text, Instant now) {
        long duration = durationMillis(text);
        if (duration >= 0) {
            return duration;
        }
        long seconds = decimalTimes(text, 1000);
        if (seconds >= 0) {
            return seconds;
        }
        try {
            OffsetDateTime at = OffsetDateTime.parse(text.toUpperCase(Locale.ROOT).replace(' ', 'T'));
            return delayMillis(now, at.toInstant());
        } catch (DateTimeParseException notTimestamp) {
            return -1;
        }
    }

    /**
     * A Go-style duration ({@code 1h2m3.5s}, {@code 20ms}, {@code 150us}, {@code 0s}) in
     * milliseconds, rounded up; -1 when the text is not one.
     */
    static long durationMillis(String text) {
        Matcher part = DURATION_PART.matcher(text);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            BigDecimal amount = new BigDecimal(part.group(1).startsWith(".") ? "0" + part.group(1) : part.group(1));
            long unitNanos = switch (part.group(2)) {
                case "h" -> 3_600_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "s" -> 1_000_000_000L;
                case "ms" -> 1_000_000L;
                case "ns" -> 1L;
                default -> 1_000L;
            };
            nanos = nanos.add(amount.multiply(BigDecimal.valueOf(unitNanos)));
            end = part.end();
        }
        if (end == 0 || end != text.length()) {
            return -1;
        }
        return toMillis(nanos.movePointLeft(6), RoundingMode.CEILING);
    }

    private static long httpDateMillis(String text, Instant now) {
        try {
            return delayMillis(now, ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException notDate) {
            return -1;
        }
    }

    private static long delayMillis(Instant now, Instant at) {
        if (!at.isAfter(now)) {
            return 0;
        }
        Duration delay = Duration.between(now, at);
        return delay.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0
                ? Long.MAX_VALUE
                : delay.toMillis() + (delay.toNanosPart() % 1_000_000 == 0 ? 0 : 1);
    }

    private static long toMillis(BigDecimal millis, RoundingMode rounding) {
        BigDecimal whole = millis.setScale(0, rounding);
        return whole.compareTo(MAX_MILLIS) > 0 ? -1 : whole.longValueExact();
    }
}
