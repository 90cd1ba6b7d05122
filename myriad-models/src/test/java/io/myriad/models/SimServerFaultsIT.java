package io.myriad.models;

import static io.myriad.models.SimulatedModelFaultsTest.request;
import static io.myriad.models.SimulatedModelTest.FS_READ;
import static io.myriad.models.SimulatedModelTest.FS_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.run.Sleeper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Faults on the wire: the simulated server produces them, the real provider classifies them. */
class SimServerFaultsIT {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_123L), ZoneOffset.UTC);
    private static final Sleeper NO_WAIT = d -> {};

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.myriad.models.SimulatedModelFaultsTest#failingFaults")
    void theProviderClassifiesEachWireFaultAsTheSimulatedModelRaisesIt(String name, UnaryOperator<Faults.Builder> faults,
            Kind kind, long retryAfterMillis) {
        ModelSpec.Simulated settings = settings(faults.apply(Faults.builder()).hang(Duration.ofSeconds(20)).build());
        // A timeout needs a server that really hangs; the others answer at once.
        Sleeper sleeper = kind == Kind.TIMEOUT ? Sleeper.SYSTEM : NO_WAIT;
        try (SimServer server = SimServer.start(0, settings, Optional.empty(), sleeper, CLOCK);
                OpenAiChatProvider provider = provider(server, Duration.ofMillis(300))) {
            ModelException e = catchThrowableOfType(ModelException.class, () -> provider.complete(request("run-1", 1, 1)));

            assertThat(e).as(name).isNotNull();
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
            assertThat(e.retriable()).isTrue();
            assertThat(e.retryAfterMillis()).isEqualTo(retryAfterMillis);
            assertThat(server.requests()).as("the provider sent the request once").isEqualTo(1);
            assertThat(server.faultCounts()).containsEntry(name, 1L);
            assertThat(server.faultCounts().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1);
        }
    }

    @Test
    void rateLimitsCarryRetryAfterInSecondsAndMilliseconds() throws IOException {
        ModelSpec.Simulated settings = settings(Faults.builder().rateLimited(1).retryAfter(Duration.ofMillis(1500)).build());
        try (SimServer server = SimServer.start(0, settings, Optional.empty(), NO_WAIT, CLOCK)) {
            String response = raw(server, "run-1", 1, 1);
            assertThat(response).startsWith("HTTP/1.1 429 ");
            assertThat(response.toLowerCase()).contains("retry-after: 2\r\n", "retry-after-ms: 1500\r\n");
        }
        ModelSpec.Simulated without = settings(Faults.builder().rateLimitedNoRetryAfter(1).build());
        try (SimServer server = SimServer.start(0, without, Optional.empty(), NO_WAIT, CLOCK)) {
            String response = raw(server, "run-1", 1, 1);
            assertThat(response).startsWith("HTTP/1.1 429 ");
            assertThat(response.toLowerCase()).doesNotContain("retry-after");
        }
    }

    @Test
    void aResetCutsTheResponseAndClosesTheConnection() throws IOException {
        try (SimServer server = SimServer.start(0, settings(Faults.builder().reset(1).build()), Optional.empty(), NO_WAIT,
                CLOCK)) {
            String response = raw(server, "run-1", 1, 1);
            assertThat(response).startsWith("HTTP/1.1 200 ");
            int length = Integer.parseInt(response.replaceAll("(?s).*[Cc]ontent-[Ll]ength: (\\d+)\r\n.*", "$1"));
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            assertThat(body.length()).isEqualTo(length / 2);
        }
    }

    @Test
    void malformedTruncatedAndEmptyAnswersAreCompleteHttpResponses() throws IOException {
        for (var fault : List.of(Faults.builder().malformed(1), Faults.builder().truncated(1), Faults.builder().emptyChoices(1))) {
            try (SimServer server = SimServer.start(0, settings(fault.build()), Optional.empty(), NO_WAIT, CLOCK)) {
                String response = raw(server, "run-1", 1, 1);
                assertThat(response).startsWith("HTTP/1.1 200 ");
                int length = Integer.parseInt(response.replaceAll("(?s).*[Cc]ontent-[Ll]ength: (\\d+)\r\n.*", "$1"));
                String body = response.substring(response.indexOf("\r\n\r\n") + 4);
                assertThat(body.getBytes(StandardCharsets.UTF_8)).hasSize(length);
                if (fault.build().emptyChoices() > 0) {
                    assertThat(Wire.parse(body).get("choices").isEmpty()).isTrue();
                    assertThat(Wire.parse(body).get("usage").isObject()).isTrue();
                }
            }
        }
    }

    @Test
    void aRetryGetsAFreshDrawAndTheSameAttemptTheSameFault() {
        ModelSpec.Simulated settings = settings(Faults.builder().serverError(0.5).build());
        SimulatedModel inProcess = SimulatedModel.create(settings, NO_WAIT, CLOCK);
        try (SimServer server = SimServer.start(0, settings, Optional.empty(), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server, Duration.ofSeconds(5))) {
            int failed = 0;
            int n = 200;
            for (int step = 1; step <= n; step++) {
                for (int attempt = 1; attempt <= 2; attempt++) {
                    ModelRequest request = request("run-" + step, step, attempt);
                    Kind overHttp = outcome(() -> provider.complete(request));
                    assertThat(overHttp).as("step %d attempt %d", step, attempt)
                            .isEqualTo(outcome(() -> inProcess.complete(request)))
                            .isEqualTo(outcome(() -> provider.complete(request)));
                    failed += overHttp == null ? 0 : 1;
                }
            }
            assertThat(server.requests()).isEqualTo(4L * n);
            assertThat(server.faultCounts().get("server_error")).isEqualTo(2L * failed);
            assertThat(failed).isBetween(2 * n * 40 / 100, 2 * n * 60 / 100);
        }
    }

    @Test
    void requestsWithoutARunIdCarryTheirAttemptWhenRetried() {
        ModelSpec.Simulated settings = settings(Faults.builder().rateLimited(0.5).build());
        SimulatedModel inProcess = SimulatedModel.create(settings, NO_WAIT, CLOCK);
        try (SimServer server = SimServer.start(0, settings, Optional.empty(), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server, Duration.ofSeconds(5))) {
            for (int i = 0; i < 30; i++) {
                for (int attempt = 1; attempt <= 3; attempt++) {
                    ModelRequest request = new ModelRequest("", List.of(new Message.User("task " + i)), List.of(FS_WRITE),
                            ToolChoice.AUTO, null, 0, null, "", 0, attempt);
                    assertThat(outcome(() -> provider.complete(request))).isEqualTo(outcome(() -> inProcess.complete(request)));
                }
            }
        }
    }

    @Test
    void badToolArgumentsAndHostileCallsArriveAsTheSimulatedModelMakesThem() {
        for (Faults faults : List.of(Faults.builder().badToolArguments(1).build(), Faults.builder().hostile(1).build())) {
            ModelSpec.Simulated settings = settings(faults);
            try (SimServer server = SimServer.start(0, settings, Optional.empty(), NO_WAIT, CLOCK);
                    OpenAiChatProvider provider = provider(server, Duration.ofSeconds(5))) {
                for (int step = 1; step <= 30; step++) {
                    ModelResponse response = provider.complete(request("run-t", step, 1));
                    ToolCall call = response.message().toolCalls().getFirst();
                    if (faults.badToolArguments() > 0) {
                        assertThat(call.name()).isIn("fs.write", "fs.read");
                        assertThat(isJson(call.arguments())).as(call.arguments()).isFalse();
                    } else {
                        boolean unknown = !List.of("fs.write", "fs.read").contains(call.name());
                        boolean hostile = unknown
                                || SimulatedModelFaultsTest.violatesSchema(call.name().equals("fs.write") ? FS_WRITE : FS_READ,
                                        call.arguments())
                                || call.arguments().contains("/etc/");
                        assertThat(hostile).as(call.toString()).isTrue();
                    }
                }
                assertThat(server.faultCounts()).containsEntry(faults.hostile() > 0 ? "hostile" : "bad_tool_arguments", 30L);
            }
        }
    }

    @Test
    void theRequestLogNamesTheInjectedFaults() throws IOException {
        Path log = dir.resolve("requests.jsonl");
        ModelSpec.Simulated settings = settings(Faults.builder().malformed(0.5).latencySpike(0.5).build());
        int injected = 0;
        try (SimServer server = SimServer.start(0, settings, Optional.of(log), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server, Duration.ofSeconds(5))) {
            for (int step = 1; step <= 40; step++) {
                int s = step;
                injected += outcome(() -> provider.complete(request("run-l", s, 1))) == null ? 0 : 1;
            }
            List<JsonNode> lines = Files.readAllLines(log).stream().map(Wire::parse).toList();
            assertThat(lines).hasSize(40);
            long malformed = lines.stream().filter(l -> l.path("fault").asText().contains("malformed")).count();
            long spikes = lines.stream().filter(l -> l.path("fault").asText().contains("latency_spike")).count();
            assertThat(malformed).isEqualTo(injected).isEqualTo(server.faultCounts().get("malformed"));
            assertThat(spikes).isPositive().isEqualTo(server.faultCounts().get("latency_spike"));
            assertThat(lines).filteredOn(l -> !l.has("fault")).isNotEmpty()
                    .allSatisfy(l -> assertThat(l.get("run").asText()).isEqualTo("run-l"));
            assertThat(lines).filteredOn(l -> l.has("fault"))
                    .allSatisfy(l -> assertThat(l.get("fault").asText()).matches("malformed|latency_spike|malformed,latency_spike"));
        }
    }

    @Test
    void faultCountsListEveryKind() {
        try (SimServer server = SimServer.start(0, ModelSpec.Simulated.DEFAULT, Optional.empty(), NO_WAIT, CLOCK)) {
            assertThat(server.faultCounts()).containsOnlyKeys("rate_limited", "rate_limited_no_retry_after", "server_error",
                    "timeout", "reset", "malformed", "truncated", "empty_choices", "bad_tool_arguments", "hostile",
                    "latency_spike");
            assertThat(server.faultCounts().values()).containsOnly(0L);
            assertThat(server.requests()).isZero();
        }
    }

    @Test
    void theProviderSendsTheAttempt() throws IOException {
        try (CannedServer canned = new CannedServer()) {
            String ok = Wire.text("chat-response-plain.json");
            String url = canned.add("attempt", 200, ok);
            try (OpenAiChatProvider provider = OpenAiChatProvider.builder().baseUrl(url).model("m").build()) {
                provider.complete(request("run-9", 4, 3));
                assertThat(canned.seen("attempt").headers().getFirst("X-Myriad-Attempt")).isEqualTo("3");
                assertThat(canned.seen("attempt").headers().getFirst("X-Myriad-Step")).isEqualTo("4");

                provider.complete(new ModelRequest("", List.of(new Message.User("hi")), List.of(), ToolChoice.AUTO, null, 0,
                        null, "", 0, 2));
                assertThat(canned.seen("attempt").headers().getFirst("X-Myriad-Attempt")).isEqualTo("2");
                assertThat(canned.seen("attempt").headers().containsKey("X-Myriad-Run")).isFalse();

                provider.complete(new ModelRequest("", List.of(new Message.User("hi")), List.of(), ToolChoice.AUTO, null, 0,
                        null, "", 0));
                assertThat(canned.seen("attempt").headers().containsKey("X-Myriad-Attempt")).isFalse();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static ModelSpec.Simulated settings(Faults faults) {
        return new ModelSpec.Simulated("tools", 2, Duration.ZERO, 42, 128_000, faults);
    }

    private static OpenAiChatProvider provider(SimServer server, Duration timeout) {
        return OpenAiChatProvider.builder().baseUrl(server.baseUrl()).model("myriad-sim").timeout(timeout).build();
    }

    /** The kind of the failure, or null for an answer. */
    private static Kind outcome(java.util.function.Supplier<ModelResponse> call) {
        try {
            call.get();
            return null;
        } catch (ModelException e) {
            return e.kind();
        }
    }

    private static boolean isJson(String text) {
        try {
            Wire.JSON.readTree(text);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The raw bytes a chat request gets, up to the end of the connection (the server closes it after the answer). */
    private static String raw(SimServer server, String run, int step, int attempt) throws IOException {
        byte[] body = new ChatCompletionsCodec().encodeRequestBytes(request(run, step, attempt), "m",
                ToolNames.of(List.of(FS_WRITE, FS_READ)));
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nX-Myriad-Run: " + run + "\r\nX-Myriad-Step: " + step
                    + "\r\nX-Myriad-Attempt: " + attempt + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
