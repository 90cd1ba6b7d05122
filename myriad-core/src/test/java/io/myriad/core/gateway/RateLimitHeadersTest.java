package io.myriad.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.model.RateLimits;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {
    private static final Instant NOW = Instant.parse("2025-08-21T12:41:00Z");

    /** A Chat Completions success from OpenAI, headers as recorded (request ids and cookies removed). */
    private static final String OPENAI_OK = """
            HTTP/2 200
            date: Thu, 21 Aug 2025 12:41:00 GMT
            content-type: application/json
            openai-organization: user-abc123
            openai-processing-ms: 482
            openai-version: 2020-10-01
            x-ratelimit-limit-requests: 5000
            x-ratelimit-limit-tokens: 160000
            x-ratelimit-remaining-requests: 4999
            x-ratelimit-remaining-tokens: 159976
            x-ratelimit-reset-requests: 12ms
            x-ratelimit-reset-tokens: 9ms
            x-request-id: req_0123456789abcdef
            """;

    /** An OpenAI 429 on the token limit. */
    private static final String OPENAI_429 = """
            HTTP/2 429
            content-type: application/json; charset=utf-8
            retry-after: 20
            retry-after-ms: 19473
            X-RateLimit-Limit-Requests: 500
            X-RateLimit-Limit-Tokens: 30000
            X-RateLimit-Remaining-Requests: 499
            X-RateLimit-Remaining-Tokens: 0
            X-RateLimit-Reset-Requests: 120ms
            X-RateLimit-Reset-Tokens: 1m2.946s
            """;

    /** An Anthropic Messages success. */
    private static final String ANTHROPIC_OK = """
            HTTP/2 200
            date: Thu, 21 Aug 2025 12:41:00 GMT
            content-type: application/json
            anthropic-ratelimit-input-tokens-limit: 80000
            anthropic-ratelimit-input-tokens-remaining: 80000
            anthropic-ratelimit-input-tokens-reset: 2025-08-21T12:40:59Z
            anthropic-ratelimit-output-tokens-limit: 16000
            anthropic-ratelimit-output-tokens-remaining: 16000
            anthropic-ratelimit-output-tokens-reset: 2025-08-21T12:41:00Z
            anthropic-ratelimit-requests-limit: 1000
            anthropic-ratelimit-requests-remaining: 999
            anthropic-ratelimit-requests-reset: 2025-08-21T12:41:00.060Z
            anthropic-ratelimit-tokens-limit: 96000
            anthropic-ratelimit-tokens-remaining: 94000
            anthropic-ratelimit-tokens-reset: 2025-08-21T12:41:01.500Z
            request-id: req_011CSLsW7mFqvHHnzrKdKjAE
            """;

    /** An Anthropic 429: the request limit is spent. */
    private static final String ANTHROPIC_429 = """
            HTTP/2 429
            content-type: application/json
            retry-after: 14
            anthropic-ratelimit-requests-limit: 50
            anthropic-ratelimit-requests-remaining: 0
            anthropic-ratelimit-requests-reset: 2025-08-21T14:41:14+02:00
            anthropic-ratelimit-tokens-limit: 40000
            anthropic-ratelimit-tokens-remaining: 31000
            anthropic-ratelimit-tokens-reset: 2025-08-21T12:41:00Z
            x-should-retry: true
            """;

    @Test
    void readsARecordedOpenAiSuccess() {
        assertThat(parse(OPENAI_OK)).isEqualTo(new RateLimits(5000, 4999, 12, 160_000, 159_976, 9, -1));
    }

    @Test
    void readsARecordedOpenAiRateLimitWithMixedCaseNames() {
        assertThat(parse(OPENAI_429)).isEqualTo(new RateLimits(500, 499, 120, 30_000, 0, 62_946, 19_473));
    }

    @Test
    void readsARecordedAnthropicSuccessTurningResetTimestampsIntoDelays() {
        assertThat(parse(ANTHROPIC_OK)).isEqualTo(new RateLimits(1000, 999, 60, 96_000, 94_000, 1500, -1));
    }

    @Test
    void readsARecordedAnthropicRateLimitWithAnOffsetTimestamp() {
        assertThat(parse(ANTHROPIC_429)).isEqualTo(new RateLimits(50, 0, 14_000, 40_000, 31_000, 0, 14_000));
    }

    @Test
    void noHeadersMeanUnknown() {
        RateLimits none = RateLimitHeaders.parse(name -> Optional.empty(), NOW);
        assertThat(none).isEqualTo(RateLimits.UNKNOWN);
        assertThat(none.known()).isFalse();
        assertThat(RateLimitHeaders.parse(name -> null, NOW)).as("a careless lookup").isEqualTo(RateLimits.UNKNOWN);
    }

    @Test
    void readsGoDurations() {
        assertThat(RateLimitHeaders.durationMillis("1s")).isEqualTo(1000);
        assertThat(RateLimitHeaders.durationMillis("6m0s")).isEqualTo(360_000);
        assertThat(RateLimitHeaders.durationMillis("20ms")).isEqualTo(20);
        assertThat(RateLimitHeaders.durationMillis("1h2m3.5s")).isEqualTo(3_723_500);
        assertThat(RateLimitHeaders.durationMillis("2m59.56s")).isEqualTo(179_560);
        assertThat(RateLimitHeaders.durationMillis("0s")).isZero();
        assertThat(RateLimitHeaders.durationMillis("7.66s")).isEqualTo(7660);
        assertThat(RateLimitHeaders.durationMillis("1.0001s")).as("rounded up").isEqualTo(1001);
        assertThat(RateLimitHeaders.durationMillis("150us")).isEqualTo(1);
        assertThat(RateLimitHeaders.durationMillis("150µs")).isEqualTo(1);
        assertThat(RateLimitHeaders.durationMillis("999ns")).isEqualTo(1);
        assertThat(RateLimitHeaders.durationMillis(".5s")).isEqualTo(500);
        assertThat(RateLimitHeaders.durationMillis("24h")).isEqualTo(86_400_000);
    }

    @Test
    void refusesWhatIsNotADuration() {
        for (String garbage : new String[] {"", "s", "1", "-1s", "1x", "1s ", " 1s", "1s2", "1h 2m", "ms", "1.s.", "1e3s",
                "99999999999999999999999h", "1ss"}) {
            assertThat(RateLimitHeaders.durationMillis(garbage)).as("'%s'", garbage).isEqualTo(-1);
        }
    }

    @Test
    void readsResetsInEveryFormItComesIn() {
        assertThat(RateLimitHeaders.resetMillis("6m0s", NOW)).isEqualTo(360_000);
        assertThat(RateLimitHeaders.resetMillis("12", NOW)).as("Azure sends bare seconds").isEqualTo(12_000);
        assertThat(RateLimitHeaders.resetMillis("0.25", NOW)).isEqualTo(250);
        assertThat(RateLimitHeaders.resetMillis("2025-08-21T12:41:30Z", NOW)).isEqualTo(30_000);
        assertThat(RateLimitHeaders.resetMillis("2025-08-21T12:41:00.0001Z", NOW)).as("rounded up").isEqualTo(1);
        assertThat(RateLimitHeaders.resetMillis("2025-08-21t12:41:02z", NOW)).isEqualTo(2000);
        assertThat(RateLimitHeaders.resetMillis("2025-08-21 12:41:03+00:00", NOW)).isEqualTo(3000);
        assertThat(RateLimitHeaders.resetMillis("2025-08-21T10:41:04-02:00", NOW)).isEqualTo(4000);
        assertThat(RateLimitHeaders.resetMillis("2025-08-21T12:00:00Z", NOW)).as("in the past").isZero();
        assertThat(RateLimitHeaders.resetMillis("2025-08-21T12:41:30", NOW)).as("no offset").isEqualTo(-1);
        assertThat(RateLimitHeaders.resetMillis("tomorrow", NOW)).isEqualTo(-1);
    }

    @Test
    void readsRetryAfterInEveryFormItComesIn() {
        assertThat(retryAfter("retry-after-ms: 1500", "retry-after: 9")).isEqualTo(1500);
        assertThat(retryAfter("retry-after-ms: 12.6")).isEqualTo(13);
        assertThat(retryAfter("Retry-After: 3")).isEqualTo(3000);
        assertThat(retryAfter("Retry-After: 0.25")).isEqualTo(250);
        assertThat(retryAfter("Retry-After: Thu, 21 Aug 2025 12:41:30 GMT")).isEqualTo(30_000);
        assertThat(retryAfter("Retry-After: Thu, 21 Aug 2025 12:40:00 GMT")).isZero();
        assertThat(retryAfter("retry-after-ms: soon", "Retry-After: 2")).isEqualTo(2000);
        assertThat(retryAfter("Retry-After: later")).isEqualTo(-1);
        assertThat(retryAfter("Retry-After: -5")).isEqualTo(-1);
        assertThat(retryAfter("Retry-After: 99999999999999999999")).isEqualTo(-1);
    }

    @Test
    void ignoresGarbageFieldByFieldAndFallsBackToTheOtherFamily() {
        RateLimits limits = parse("""
                x-ratelimit-limit-requests: lots
                x-ratelimit-remaining-requests: -1
                x-ratelimit-reset-requests: whenever
                x-ratelimit-limit-tokens: 1.5e6
                x-ratelimit-remaining-tokens: 99999999999999999999999
                x-ratelimit-reset-tokens:
                anthropic-ratelimit-requests-limit: 60
                anthropic-ratelimit-requests-remaining:  59\s
                anthropic-ratelimit-requests-reset: not a date
                retry-after: Thursday
                """);

        assertThat(limits).isEqualTo(new RateLimits(60, 59, -1, -1, -1, -1, -1));
    }

    @Test
    void rejectsNullArguments() {
        assertThatThrownBy(() -> RateLimitHeaders.parse(null, NOW)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RateLimitHeaders.parse(name -> Optional.empty(), null))
                .isInstanceOf(NullPointerException.class);
    }

    private static long retryAfter(String... lines) {
        return parse(String.join("\n", lines)).retryAfterMillis();
    }

    /** Parses recorded header lines ({@code name: value}) as a case-insensitive header map. */
    private static RateLimits parse(String recorded) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        recorded.lines()
                .filter(line -> !line.startsWith("HTTP/"))
                .forEach(line -> {
                    int colon = line.indexOf(':');
                    headers.putIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1));
                });
        return RateLimitHeaders.parse(name -> Optional.ofNullable(headers.get(name)), NOW);
    }
}
