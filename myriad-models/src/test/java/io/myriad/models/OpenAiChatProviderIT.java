package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.RateLimits;
import io.myriad.core.model.Usage;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The provider against a real HTTP server that answers with canned statuses and bodies. */
class OpenAiChatProviderIT {
    private static final ModelRequest TRACED = new ModelRequest(
            "gpt-4o-mini", List.of(new Message.User("Hello!")), List.of(), ToolChoice.AUTO, null, 0, null, "run-1", 5);
    private static final ModelRequest UNTRACED = new ModelRequest(
            "", List.of(new Message.User("Hello!")), List.of(), ToolChoice.AUTO, null, 0, null, "", 0);

    private static CannedServer server;

    @BeforeAll
    static void start() throws IOException {
        server = new CannedServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void sendsTheKeyAndTheTracingHeadersAndDecodesTheAnswer() {
        String url = server.add("ok", 200, Wire.text("chat-response-plain.json"));

        ModelResponse response = provider(url + "/", "sk-test", Duration.ofSeconds(5)).complete(TRACED);

        assertThat(response.message().content()).isEqualTo("\n\nHello there, how may I assist you today?");
        assertThat(response.usage()).isEqualTo(new Usage(9, 12));
        CannedServer.Seen seen = server.seen("ok");
        assertThat(seen.headers().getFirst("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(seen.headers().getFirst("X-Myriad-Run")).isEqualTo("run-1");
        assertThat(seen.headers().getFirst("X-Myriad-Step")).isEqualTo("5");
        assertThat(seen.headers().getFirst("Content-Type")).isEqualTo("application/json");
        JsonNode body = Wire.parse(seen.body());
        assertThat(body.get("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(body.get("messages").get(0).get("content").asText()).isEqualTo("Hello!");
    }

    @Test
    void sendsNoKeyAndNoTracingWhenThereAreNone() {
        String url = server.add("anonymous", 200, Wire.text("chat-response-tool-calls.json"));

        ModelResponse response = provider(url, "", Duration.ofSeconds(5)).complete(UNTRACED);

        assertThat(response.message().toolCalls()).hasSize(1);
        CannedServer.Seen seen = server.seen("anonymous");
        assertThat(seen.headers().containsKey("Authorization")).isFalse();
        assertThat(seen.headers().containsKey("X-Myriad-Run")).isFalse();
        assertThat(seen.headers().containsKey("X-Myriad-Step")).isFalse();
        assertThat(Wire.parse(seen.body()).get("model").asText()).as("the configured model fills in").isEqualTo("test-model");
    }

    @Test
    void rateLimitsCarryTheServersRetryAfter() {
        String seconds = server.add("429s", 429, "{\"error\":{\"message\":\"Rate limit reached for requests\","
                + "\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", "Retry-After", "2");
        String millis = server.add("429ms", 429, "{}", "retry-after-ms", "750", "Retry-After", "1");

        ModelException limited = failure(seconds);
        assertThat(limited.kind()).isEqualTo(Kind.RATE_LIMITED);
        assertThat(limited.retryAfterMillis()).isEqualTo(2000);
        assertThat(limited.getMessage()).contains("Rate limit reached for requests");
        assertThat(failure(millis).retryAfterMillis()).isEqualTo(750);
    }

    @Test
    void theRateLimitHeadersReachTheResponse() {
        String url = server.add("limits", 200, Wire.text("chat-response-plain.json"),
                "x-ratelimit-limit-requests", "5000",
                "x-ratelimit-limit-tokens", "160000",
                "x-ratelimit-remaining-requests", "4999",
                "x-ratelimit-remaining-tokens", "159976",
                "x-ratelimit-reset-requests", "12ms",
                "x-ratelimit-reset-tokens", "6m0s");
        String anthropic = server.add("anthropic-limits", 200, Wire.text("chat-response-plain.json"),
                "anthropic-ratelimit-requests-limit", "1000",
                "anthropic-ratelimit-requests-remaining", "999",
                "anthropic-ratelimit-requests-reset", "2025-08-21T12:41:00.060Z",
                "anthropic-ratelimit-tokens-limit", "96000",
                "anthropic-ratelimit-tokens-remaining", "94000",
                "anthropic-ratelimit-tokens-reset", "2025-08-21T12:41:01.500Z");
        String silent = server.add("no-limits", 200, Wire.text("chat-response-plain.json"));

        assertThat(complete(url).rateLimits()).isEqualTo(new RateLimits(5000, 4999, 12, 160_000, 159_976, 360_000, -1));
        assertThat(complete(anthropic).rateLimits()).isEqualTo(new RateLimits(1000, 999, 60, 96_000, 94_000, 1500, -1));
        assertThat(complete(silent).rateLimits()).isEqualTo(RateLimits.UNKNOWN);
    }

    @Test
    void aRateLimitFailureCarriesTheLimitsItsHeadersReported() {
        String url = server.add("429-limits", 429,
                "{\"error\":{\"message\":\"Rate limit reached for requests\",\"code\":\"rate_limit_exceeded\"}}",
                "x-ratelimit-limit-requests", "60",
                "x-ratelimit-remaining-requests", "0",
                "x-ratelimit-reset-requests", "1s",
                "retry-after-ms", "950");

        ModelException limited = failure(url);

        assertThat(limited.kind()).isEqualTo(Kind.RATE_LIMITED);
        assertThat(limited.retryAfterMillis()).isEqualTo(950);
        assertThat(limited.rateLimits()).isEqualTo(new RateLimits(60, 0, 1000, -1, -1, -1, 950));
    }

    @Test
    void serverErrorsAreRetriable() {
        ModelException internal = failure(server.add("500", 500, "{\"error\":{\"message\":\"The server had an error\"}}"));
        assertThat(internal.kind()).isEqualTo(Kind.SERVER_ERROR);
        assertThat(internal.retriable()).isTrue();
        assertThat(internal.getMessage()).contains("The server had an error");

        ModelException unavailable = failure(server.add("503", 503, "<html>Service Unavailable</html>", "Retry-After", "4"));
        assertThat(unavailable.kind()).isEqualTo(Kind.SERVER_ERROR);
        assertThat(unavailable.retryAfterMillis()).isEqualTo(4000);
        assertThat(unavailable.getMessage()).contains("Service Unavailable");

        ModelException timedOut = failure(server.add("408", 408, "{\"error\":{\"message\":\"Request timed out\"}}"));
        assertThat(timedOut.kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(timedOut.retriable()).isTrue();
        ModelException conflict = failure(server.add("409", 409, "{\"error\":{\"message\":\"busy\"}}"));
        assertThat(conflict.retriable()).isTrue();
    }

    @Test
    void unusableBodiesAreMalformed() {
        ModelException html = failure(server.add("html", 200, "<html><body>" + "Welcome! ".repeat(100) + "</body></html>"));
        assertThat(html.kind()).isEqualTo(Kind.MALFORMED_RESPONSE);
        assertThat(html.getMessage()).contains("<html><body>Welcome!");

        ModelException truncated = failure(server.add("truncated", 200, "{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"Hel"));
        assertThat(truncated.kind()).isEqualTo(Kind.MALFORMED_RESPONSE);
        assertThat(truncated.getMessage()).contains("not valid JSON", "{\"id\":\"chatcmpl-1\"");

        ModelException empty = failure(server.add("empty", 200, "{\"id\":\"chatcmpl-2\",\"choices\":[]}"));
        assertThat(empty.kind()).isEqualTo(Kind.MALFORMED_RESPONSE);
        assertThat(empty.getMessage()).contains("empty");
    }

    @Test
    void aPromptThatDoesNotFitIsContextTooLong() {
        ModelException tooLong = failure(server.add("context", 400, Wire.text("error-context-length.json")));

        assertThat(tooLong.kind()).isEqualTo(Kind.CONTEXT_TOO_LONG);
        assertThat(tooLong.retriable()).isFalse();
        assertThat(tooLong.getMessage()).contains("maximum context length is 4097 tokens");
    }

    @Test
    void aWrongKeyIsRejectedWithAdviceAboutTheKey() {
        ModelException rejected = failure(server.add("401", 401, Wire.text("error-invalid-api-key.json")));

        assertThat(rejected.kind()).isEqualTo(Kind.REJECTED);
        assertThat(rejected.retriable()).isFalse();
        assertThat(rejected.getMessage()).contains("Incorrect API key provided", "API key", "environment variable");
    }

    @Test
    void aClosedPortIsUnreachable() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/v1";

        ModelException unreachable = failure(url);

        assertThat(unreachable.kind()).isEqualTo(Kind.UNREACHABLE);
        assertThat(unreachable.retriable()).isTrue();
        assertThat(unreachable.getMessage()).contains(url, "server is running");
    }

    @Test
    void aSilentServerTimesOut() {
        String url = server.add("silent", exchange -> Thread.sleep(10_000));

        long start = System.nanoTime();
        ModelException timeout = failure(provider(url, "", Duration.ofMillis(300)));

        assertThat(timeout.kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(timeout.getMessage()).contains("300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aBodyThatTricklesPastTheTimeoutTimesOut() {
        String url = server.add("trickle", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("{\"choices\":".getBytes());
            exchange.getResponseBody().flush();
            Thread.sleep(10_000);
        });

        assertThat(failure(provider(url, "", Duration.ofMillis(300))).kind()).isEqualTo(Kind.TIMEOUT);
    }

    @Test
    void aConnectionCutMidBodyIsUnreachable() {
        String url = server.add("cut", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            exchange.getResponseBody().write("{\"choices\":".getBytes());
            exchange.getResponseBody().flush();
            exchange.close();
        });

        ModelException cut = failure(url);

        assertThat(cut.kind()).isEqualTo(Kind.UNREACHABLE);
        assertThat(cut.retriable()).isTrue();
    }

    @Test
    void detectSimulatedIsFalseForOtherServersAndOnErrors() {
        String openAi = server.add("models", 200,
                "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1,\"owned_by\":\"system\"}]}");
        String broken = server.add("models-broken", 200, "not json");

        assertThat(OpenAiChatProvider.detectSimulated(openAi, Duration.ofSeconds(2))).isFalse();
        assertThat(OpenAiChatProvider.detectSimulated(broken, Duration.ofSeconds(2))).isFalse();
        assertThat(OpenAiChatProvider.detectSimulated("http://127.0.0.1:1/v1", Duration.ofSeconds(2))).isFalse();
    }

    private static OpenAiChatProvider provider(String url, String key, Duration timeout) {
        return OpenAiChatProvider.builder().baseUrl(url).model("test-model").apiKey(key).timeout(timeout).build();
    }

    private static ModelResponse complete(String url) {
        try (OpenAiChatProvider provider = OpenAiChatProvider.builder().baseUrl(url).model("test-model")
                .clock(Clock.fixed(Instant.parse("2025-08-21T12:41:00Z"), ZoneOffset.UTC)).build()) {
            return provider.complete(UNTRACED);
        }
    }

    private static ModelException failure(String url) {
        return failure(provider(url, "", Duration.ofSeconds(5)));
    }

    private static ModelException failure(OpenAiChatProvider provider) {
        try (provider) {
            Throwable thrown = catchThrowable(() -> provider.complete(TRACED));
            assertThat(thrown).isInstanceOf(ModelException.class);
            return (ModelException) thrown;
        }
    }
}
