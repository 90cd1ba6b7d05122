package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.RateLimits;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HttpFailuresTest {
    private static final String URL = "http://model.test/v1/chat/completions";
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2015-10-21T07:28:00Z"), ZoneOffset.UTC);
    private final ChatCompletionsCodec codec = new ChatCompletionsCodec();

    @Test
    void readsRetryAfterInEveryFormItComesIn() {
        assertThat(retryAfter(Map.of("retry-after-ms", "1500", "retry-after", "9"))).isEqualTo(1500);
        assertThat(retryAfter(Map.of("retry-after-ms", "12.6"))).isEqualTo(13);
        assertThat(retryAfter(Map.of("Retry-After", "3"))).isEqualTo(3000);
        assertThat(retryAfter(Map.of("Retry-After", "0.25"))).isEqualTo(250);
        assertThat(retryAfter(Map.of("Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"))).isEqualTo(30_000);
        assertThat(retryAfter(Map.of("Retry-After", "Wed, 21 Oct 2015 07:27:00 GMT"))).isZero();
        assertThat(retryAfter(Map.of("retry-after-ms", "soon", "Retry-After", "2"))).isEqualTo(2000);
        assertThat(retryAfter(Map.of("Retry-After", "later"))).isEqualTo(-1);
        assertThat(retryAfter(Map.of("Retry-After", "-5"))).isEqualTo(-1);
        assertThat(retryAfter(Map.of())).isEqualTo(-1);
    }

    @Test
    void mapsStatusesToKinds() {
        ModelException limited = forStatus(429, "{\"error\":{\"message\":\"Rate limit reached\"}}", Map.of("retry-after", "2"));
        assertThat(limited.kind()).isEqualTo(Kind.RATE_LIMITED);
        assertThat(limited.retryAfterMillis()).isEqualTo(2000);
        assertThat(limited.getMessage()).contains("Rate limit reached", URL);

        assertThat(forStatus(500, "oops", Map.of()).kind()).isEqualTo(Kind.SERVER_ERROR);
        ModelException unavailable = forStatus(503, "", Map.of("retry-after", "1"));
        assertThat(unavailable.kind()).isEqualTo(Kind.SERVER_ERROR);
        assertThat(unavailable.retryAfterMillis()).isEqualTo(1000);
        assertThat(unavailable.retriable()).isTrue();

        ModelException tooLong = forStatus(400, Wire.text("error-context-length.json"), Map.of());
        assertThat(tooLong.kind()).isEqualTo(Kind.CONTEXT_TOO_LONG);
        assertThat(tooLong.retriable()).isFalse();
        assertThat(forStatus(400, "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\"}}",
                Map.of()).kind()).isEqualTo(Kind.CONTEXT_TOO_LONG);

        ModelException badKey = forStatus(401, Wire.text("error-invalid-api-key.json"), Map.of());
        assertThat(badKey.kind()).isEqualTo(Kind.REJECTED);
        assertThat(badKey.retriable()).isFalse();
        assertThat(badKey.getMessage()).contains("Incorrect API key provided", "API key", "environment variable");

        ModelException badRequest = forStatus(400, "{\"error\":{\"message\":\"Invalid value for 'tool_choice'\"}}", Map.of());
        assertThat(badRequest.kind()).isEqualTo(Kind.REJECTED);
        assertThat(badRequest.getMessage()).contains("Invalid value for 'tool_choice'");
        assertThat(forStatus(404, "{\"error\":{\"message\":\"The model `x` does not exist\"}}", Map.of()).getMessage())
                .contains("does not exist", "model name");
    }

    @Test
    void statusFailuresCarryTheRateLimitsTheirHeadersReported() {
        ModelException limited = forStatus(429, "{\"error\":{\"message\":\"Rate limit reached for tokens\"}}", Map.of(
                "x-ratelimit-limit-requests", "500",
                "x-ratelimit-remaining-requests", "499",
                "x-ratelimit-reset-requests", "120ms",
                "x-ratelimit-limit-tokens", "30000",
                "x-ratelimit-remaining-tokens", "0",
                "x-ratelimit-reset-tokens", "1m2.946s",
                "retry-after", "20"));
        assertThat(limited.rateLimits()).isEqualTo(new RateLimits(500, 499, 120, 30_000, 0, 62_946, 20_000));
        assertThat(limited.retryAfterMillis()).isEqualTo(20_000);

        ModelException anthropic = forStatus(429, "{}", Map.of(
                "anthropic-ratelimit-requests-limit", "50",
                "anthropic-ratelimit-requests-remaining", "0",
                "anthropic-ratelimit-requests-reset", "2015-10-21T07:28:14Z"));
        assertThat(anthropic.rateLimits()).isEqualTo(new RateLimits(50, 0, 14_000, -1, -1, -1, -1));
        assertThat(anthropic.retryAfterMillis()).isEqualTo(-1);

        assertThat(forStatus(503, "", Map.of("x-ratelimit-remaining-requests", "7")).rateLimits().remainingRequests())
                .isEqualTo(7);
        assertThat(forStatus(401, "", Map.of("x-ratelimit-limit-requests", "60")).rateLimits().limitRequests())
                .isEqualTo(60);
        assertThat(forStatus(500, "", Map.of()).rateLimits()).isEqualTo(RateLimits.UNKNOWN);
    }

    @Test
    void mapsTransportFailuresToKinds() {
        Duration timeout = Duration.ofSeconds(3);
        ModelException refused = HttpFailures.forIo(new ConnectException(), URL, timeout);
        assertThat(refused.kind()).isEqualTo(Kind.UNREACHABLE);
        assertThat(refused.getMessage()).contains(URL, "connection refused", "server is running");

        ModelException reset = HttpFailures.forIo(new IOException("Connection reset"), URL, timeout);
        assertThat(reset.kind()).isEqualTo(Kind.UNREACHABLE);
        assertThat(reset.getMessage()).contains("Connection reset");

        ConnectException dns = new ConnectException();
        dns.initCause(new UnresolvedAddressException());
        ModelException unknownHost = HttpFailures.forIo(dns, URL, timeout);
        assertThat(unknownHost.kind()).isEqualTo(Kind.UNREACHABLE);
        assertThat(unknownHost.getMessage()).contains("unknown host");

        assertThat(HttpFailures.forIo(new HttpTimeoutException("t"), URL, timeout).kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(HttpFailures.forIo(new SocketTimeoutException("Read timed out"), URL, timeout).kind())
                .isEqualTo(Kind.TIMEOUT);
        assertThat(HttpFailures.forIo(new HttpConnectTimeoutException("t"), URL, timeout).kind()).isEqualTo(Kind.TIMEOUT);
    }

    @Test
    void readsTheHeadersOfTheLeanClientWhateverTheirCase() {
        HttpReply.Fields fields = new HttpReply.Fields();
        fields.add("Retry-After", "2");
        fields.add("X-RateLimit-Remaining-Requests", "3");
        fields.add("x-ratelimit-remaining-requests", "4");

        ModelException limited = HttpFailures.forStatus(429, "{}", fields, URL, CLOCK, codec);

        assertThat(limited.retryAfterMillis()).isEqualTo(2000);
        assertThat(limited.rateLimits().remainingRequests()).as("the first value wins").isEqualTo(3);
    }

    private ModelException forStatus(int status, String body, Map<String, String> headers) {
        return HttpFailures.forStatus(status, body, headers(headers), URL, CLOCK, codec);
    }

    private static long retryAfter(Map<String, String> headers) {
        return HttpFailures.retryAfterMillis(headers(headers), CLOCK);
    }

    private static HttpHeaders headers(Map<String, String> values) {
        return HttpHeaders.of(
                values.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> List.of(e.getValue()))),
                (name, value) -> true);
    }
}
