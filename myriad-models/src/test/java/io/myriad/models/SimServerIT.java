package io.myriad.models;

import static io.myriad.models.SimulatedModelTest.FS_READ;
import static io.myriad.models.SimulatedModelTest.FS_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.MyriadException;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelException.Kind;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.run.Sleeper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider and the simulated server end to end, over real HTTP. */
class SimServerIT {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_123L), ZoneOffset.UTC);
    private static final Sleeper NO_WAIT = d -> {};

    @TempDir
    Path dir;

    @Test
    void runsAToolsConversationEndToEndAndLogsEveryCallFirst() throws IOException {
        Path log = dir.resolve("logs/requests.jsonl");
        SimulatedModel inProcess = SimulatedModel.create(ModelSpec.Simulated.DEFAULT, NO_WAIT);
        try (SimServer server = SimServer.start(0, ModelSpec.Simulated.DEFAULT, Optional.of(log), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server)) {
            assertThat(OpenAiChatProvider.detectSimulated(server.baseUrl(), Duration.ofSeconds(2))).isTrue();

            List<Message> conversation = new ArrayList<>(List.of(new Message.System("Be useful."), new Message.User("Keep notes.")));
            List<ModelResponse> responses = new ArrayList<>();
            for (int step = 1; step <= 3; step++) {
                ModelRequest request = new ModelRequest("", conversation, List.of(FS_WRITE, FS_READ), ToolChoice.AUTO,
                        null, 0, null, "run-7", step);
                ModelResponse response = provider.complete(request);
                ModelResponse expected = inProcess.complete(request);
                assertThat(response).as("over HTTP as in-process, step %d", step)
                        .usingRecursiveComparison().ignoringFields("message.content").isEqualTo(expected);
                // The server's model sees, and its final answer quotes, the tools' wire names.
                assertThat(response.message().content()).as("step %d", step)
                        .isEqualTo(expected.message().content().replace("fs.write", "fs_write").replace("fs.read", "fs_read"));
                responses.add(response);
                conversation.add(response.message());
                response.message().toolCalls().forEach(c -> conversation.add(new Message.ToolResult(c.id(), "done")));
            }

            assertThat(responses.get(0).message().toolCalls()).singleElement()
                    .satisfies(call -> assertThat(call.name()).isEqualTo("fs.write"));
            assertThat(responses.get(1).message().toolCalls()).singleElement()
                    .satisfies(call -> assertThat(call.name()).isEqualTo("fs.read"));
            assertThat(responses.get(2).message().hasToolCalls()).isFalse();
            assertThat(responses.get(2).finishReason()).isEqualTo("stop");
            assertThat(responses.get(2).message().content()).contains("simulated model", "(fs_write, fs_read)");
            assertThat(server.requestCount()).isEqualTo(3);
        }

        List<JsonNode> lines = Files.readAllLines(log).stream().map(Wire::parse).toList();
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(lines.get(i).get("run").asText()).isEqualTo("run-7");
            assertThat(lines.get(i).get("step").asInt()).isEqualTo(i + 1);
            assertThat(lines.get(i).get("at_ms").asLong()).isEqualTo(1_700_000_000_123L);
        }
    }

    @Test
    void answersLikeTheOpenAiApiOverRawHttp() throws Exception {
        Path log = dir.resolve("raw.jsonl");
        try (SimServer server = SimServer.start(0, ModelSpec.Simulated.DEFAULT, Optional.of(log), NO_WAIT, CLOCK);
                HttpClient http = HttpClient.newHttpClient()) {
            String base = server.baseUrl();

            HttpResponse<String> chat = post(http, base + "/chat/completions", Wire.text("chat-request-tools.json"));
            assertThat(chat.statusCode()).isEqualTo(200);
            assertThat(chat.headers().firstValue("X-Myriad-Simulated")).hasValue("true");
            JsonNode body = Wire.parse(chat.body());
            assertThat(body.get("id").asText()).startsWith("chatcmpl-");
            assertThat(body.get("object").asText()).isEqualTo("chat.completion");
            assertThat(body.get("created").asLong()).isEqualTo(SimServer.CREATED);
            assertThat(body.get("model").asText()).as("the requested model is echoed").isEqualTo("gpt-4o");
            assertThat(body.get("system_fingerprint").asText()).isEqualTo("myriad-sim");
            JsonNode choice = body.get("choices").get(0);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
            JsonNode call = choice.get("message").get("tool_calls").get(0);
            assertThat(call.get("function").get("name").asText()).isEqualTo("get_current_weather");
            assertThat(Wire.parse(call.get("function").get("arguments").asText()).get("location").isTextual()).isTrue();
            assertThat(body.get("usage").get("total_tokens").asLong())
                    .isEqualTo(body.get("usage").get("prompt_tokens").asLong() + body.get("usage").get("completion_tokens").asLong());
            assertThat(post(http, base + "/chat/completions", Wire.text("chat-request-tools.json")).body())
                    .as("the same request gets the same bytes").isEqualTo(chat.body());

            HttpResponse<String> bad = post(http, base + "/chat/completions", "{\"model\": ");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.headers().firstValue("X-Myriad-Simulated")).hasValue("true");
            assertThat(Wire.parse(bad.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");

            HttpResponse<String> streamed = post(http, base + "/chat/completions",
                    "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(streamed.statusCode()).isEqualTo(400);
            assertThat(Wire.parse(streamed.body()).at("/error/message").asText()).contains("does not stream");

            HttpResponse<String> models = get(http, base + "/models");
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(Wire.parse(models.body()).at("/data/0/id").asText()).isEqualTo("myriad-sim");
            assertThat(Wire.parse(models.body()).at("/data/0/owned_by").asText()).isEqualTo("myriad-simulated");

            HttpResponse<String> health = get(http, "http://127.0.0.1:" + server.port() + "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.headers().firstValue("X-Myriad-Simulated")).hasValue("true");
            assertThat(get(http, base + "/nowhere").statusCode()).isEqualTo(404);
            assertThat(get(http, base + "/chat/completions").statusCode()).isEqualTo(405);
            assertThat(server.requestCount()).isEqualTo(4);
        }
        List<JsonNode> lines = Files.readAllLines(log).stream().map(Wire::parse).toList();
        assertThat(lines).hasSize(4).allSatisfy(line -> {
            assertThat(line.get("run").asText()).isEmpty();
            assertThat(line.get("step").asInt()).isEqualTo(-1);
        });
    }

    @Test
    void toolsWhoseWireNamesCollideAreEachCalledByTheirOwnName() {
        ModelSpec.Simulated settings = new ModelSpec.Simulated("tools", 3, Duration.ZERO, 42, 128_000);
        List<ToolDefinition> tools = ToolNamesTest.tools("a.b", "a_b", "mcp.crm." + "lookup".repeat(12));
        SimulatedModel inProcess = SimulatedModel.create(settings, NO_WAIT);
        try (SimServer server = SimServer.start(0, settings, Optional.empty(), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server)) {
            List<Message> conversation = new ArrayList<>(List.of(new Message.User("Look it up.")));
            List<String> called = new ArrayList<>();
            for (int step = 1; step <= 3; step++) {
                ModelRequest request = new ModelRequest("", conversation, tools, ToolChoice.AUTO, null, 0, null, "", 0);
                ModelResponse response = provider.complete(request);
                assertThat(response.message().toolCalls()).as("step %d", step)
                        .isEqualTo(inProcess.complete(request).message().toolCalls());
                response.message().toolCalls().forEach(c -> called.add(c.name()));
                conversation.add(response.message());
                response.message().toolCalls().forEach(c -> conversation.add(new Message.ToolResult(c.id(), "ok")));
            }
            assertThat(called).containsExactly("a.b", "a_b", "mcp.crm." + "lookup".repeat(12));
        }
    }

    @Test
    void theScriptScenarioCallsTheSameToolsOverHttpAsInProcess() {
        ModelSpec.Simulated settings = new ModelSpec.Simulated("script", 0, Duration.ZERO, 42, 128_000);
        String script = """
                {"script": [
                  {"tool": "fs.write", "args": {"path": "a.txt", "content": "hi"}},
                  {"tool": "no.such.tool", "args": {}},
                  {"answer": "done"}
                ]}""";
        SimulatedModel inProcess = SimulatedModel.create(settings, NO_WAIT);
        try (SimServer server = SimServer.start(0, settings, Optional.empty(), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server)) {
            List<Message> conversation = new ArrayList<>(List.of(new Message.User(script)));
            List<String> called = new ArrayList<>();
            for (int step = 1; step <= 3; step++) {
                ModelRequest request = SimulatedModelTest.request(conversation, List.of(FS_WRITE, FS_READ), null);
                ModelResponse response = provider.complete(request);
                assertThat(response).as("step %d", step).isEqualTo(inProcess.complete(request));
                response.message().toolCalls().forEach(c -> called.add(c.name()));
                conversation.add(response.message());
                response.message().toolCalls().forEach(c -> conversation.add(new Message.ToolResult(c.id(), "ok")));
            }
            assertThat(called).as("an unknown tool keeps its name, for the engine to report").containsExactly("fs.write", "no.such.tool");
        }
    }

    @Test
    void refusalsTravelAsOpenAiErrorsAndComeBackAsTheSameKinds() {
        ModelSpec.Simulated small = new ModelSpec.Simulated("script", 0, Duration.ZERO, 42, 50);
        try (SimServer server = SimServer.start(0, small, Optional.empty(), NO_WAIT, CLOCK);
                OpenAiChatProvider provider = provider(server)) {
            ModelRequest tooLong = SimulatedModelTest.request(List.of(new Message.User("x".repeat(400))), List.of(), null);
            assertThatThrownBy(() -> provider.complete(tooLong)).isInstanceOfSatisfying(ModelException.class, e -> {
                assertThat(e.kind()).isEqualTo(Kind.CONTEXT_TOO_LONG);
                assertThat(e.getMessage()).contains("maximum context length is 50 tokens", "100 tokens");
            });

            ModelRequest noScript = SimulatedModelTest.request(List.of(new Message.User("hello")), List.of(), null);
            assertThatThrownBy(() -> provider.complete(noScript)).isInstanceOfSatisfying(ModelException.class, e -> {
                assertThat(e.kind()).isEqualTo(Kind.REJECTED);
                assertThat(e.getMessage()).contains("scenario 'script'");
            });
        }
    }

    @Test
    void aRestartedServerGivesTheSameAnswers() {
        ModelSpec.Simulated settings = new ModelSpec.Simulated("tools", 3, Duration.ZERO, 99, 128_000);
        ModelRequest request = SimulatedModelTest.request(
                List.of(new Message.User("Task 3"), new Message.Assistant("", List.of(
                        new ToolCall("call_x", "fs.write", "{}"))), new Message.ToolResult("call_x", "ok")),
                List.of(FS_WRITE, FS_READ), null);
        ModelResponse before;
        try (SimServer server = SimServer.start(0, settings, Optional.empty());
                OpenAiChatProvider provider = provider(server)) {
            before = provider.complete(request);
        }
        try (SimServer server = SimServer.start(0, settings, Optional.empty());
                OpenAiChatProvider provider = provider(server)) {
            assertThat(provider.complete(request)).isEqualTo(before);
        }
        assertThat(before.message().toolCalls()).singleElement()
                .satisfies(call -> assertThat(call.name()).isEqualTo("fs.read"));
    }

    @Test
    void failsFastWhenThePortIsTaken() {
        try (SimServer first = SimServer.start(0, ModelSpec.Simulated.DEFAULT, Optional.empty())) {
            assertThatThrownBy(() -> SimServer.start(first.port(), ModelSpec.Simulated.DEFAULT, Optional.empty()))
                    .isInstanceOf(MyriadException.class)
                    .hasMessageContaining(Integer.toString(first.port()));
        }
    }

    private static OpenAiChatProvider provider(SimServer server) {
        return OpenAiChatProvider.builder().baseUrl(server.baseUrl()).model("myriad-sim").simulated(true)
                .timeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void statsCountTheRequestsInFlightAndTheirPeakOverallAndByModelName() throws Exception {
        Path log = dir.resolve("requests.jsonl");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Sleeper held = d -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        ModelSpec.Simulated settings = new ModelSpec.Simulated("answer", 0, Duration.ofMillis(5), 42, 128_000);
        try (SimServer server = SimServer.start(0, settings, Optional.of(log), held, CLOCK);
                HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + server.port();
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (String model : List.of("tenant-a", "tenant-a", "tenant-a", "tenant-b", "tenant-b")) {
                calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            JsonNode during = Wire.parse(get(http, base + "/stats").body());
            while (during.path("in_flight").asInt() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(10);
                during = Wire.parse(get(http, base + "/stats").body());
            }
            assertThat(during.path("in_flight").asInt()).as(during.toString()).isEqualTo(5);
            assertThat(during.at("/models/tenant-a/in_flight").asInt()).isEqualTo(3);
            assertThat(during.at("/models/tenant-b/in_flight").asInt()).isEqualTo(2);
            release.countDown();
            for (var call : calls) {
                assertThat(call.get().statusCode()).isEqualTo(200);
            }
            JsonNode after = Wire.parse(get(http, base + "/stats").body());
            assertThat(after.path("requests").asLong()).isEqualTo(5);
            assertThat(after.path("in_flight").asInt()).isZero();
            assertThat(after.path("peak_in_flight").asInt()).isEqualTo(5);
            assertThat(after.at("/models/tenant-a/peak_in_flight").asInt()).isEqualTo(3);
            assertThat(after.at("/models/tenant-a/requests").asInt()).isEqualTo(3);
            assertThat(after.at("/models/tenant-b/peak_in_flight").asInt()).isEqualTo(2);
            assertThat(after.at("/models/tenant-b/in_flight").asInt()).isZero();
            assertThat(get(http, base + "/stats").statusCode()).isEqualTo(200);
        }
        assertThat(Files.readAllLines(log).stream().map(l -> Wire.parse(l).path("model").asText()).sorted().toList())
                .containsExactly("tenant-a", "tenant-a", "tenant-a", "tenant-b", "tenant-b");
    }

    private static HttpResponse<String> post(HttpClient http, String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
