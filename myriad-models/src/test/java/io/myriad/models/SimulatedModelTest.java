package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedModelTest {
    static final ToolDefinition FS_WRITE = new ToolDefinition("fs.write", "Writes a file in the workspace.", Wire.parse("""
            {"type": "object",
             "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
             "required": ["path", "content"], "additionalProperties": false}"""));
    static final ToolDefinition FS_READ = new ToolDefinition("fs.read", "Reads a file.", Wire.parse("""
            {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}"""));

    private final List<Duration> slept = new ArrayList<>();
    private final Sleeper recording = slept::add;

    @Test
    void theToolsScenarioCallsEachOfferedToolThenAnswers() {
        SimulatedModel model = SimulatedModel.create(spec("tools", 2, Duration.ZERO, 42), recording);
        List<Message> conversation = new ArrayList<>(List.of(new Message.System("Be useful."), new Message.User("Write notes.")));

        ModelResponse first = model.complete(request(conversation, List.of(FS_WRITE, FS_READ), null));
        assertThat(first.finishReason()).isEqualTo("tool_calls");
        ToolCall write = first.message().toolCalls().getFirst();
        assertThat(write.name()).isEqualTo("fs.write");
        assertThat(write.id()).matches("call_[0-9a-f]{24}");
        JsonNode args = Wire.parse(write.arguments());
        assertThat(args.get("path").asText()).isEqualTo("notes/step-1.txt");
        assertThat(args.get("content").asText()).isNotBlank();
        assertThat(args.properties()).hasSize(2);

        conversation.add(first.message());
        conversation.add(new Message.ToolResult(write.id(), "written"));
        ModelResponse second = model.complete(request(conversation, List.of(FS_WRITE, FS_READ), null));
        ToolCall read = second.message().toolCalls().getFirst();
        assertThat(read.name()).isEqualTo("fs.read");
        assertThat(Wire.parse(read.arguments()).get("path").asText()).isEqualTo("notes/step-2.txt");
        assertThat(read.id()).isNotEqualTo(write.id());

        conversation.add(second.message());
        conversation.add(new Message.ToolResult(read.id(), "notes"));
        ModelResponse third = model.complete(request(conversation, List.of(FS_WRITE, FS_READ), null));
        assertThat(third.finishReason()).isEqualTo("stop");
        assertThat(third.message().hasToolCalls()).isFalse();
        assertThat(third.message().content()).contains("imulated", "fs.write", "fs.read");
        assertThat(third.model()).isEqualTo("myriad-sim");
        assertThat(slept).isEmpty();
    }

    @Test
    void theToolsScenarioAnswersWhenNoToolIsOfferedOrAllowed() {
        SimulatedModel model = SimulatedModel.create(spec("tools", 2, Duration.ZERO, 42), recording);
        List<Message> conversation = List.of(new Message.User("Hi"));

        assertThat(model.complete(request(conversation, List.of(), null)).message().hasToolCalls()).isFalse();
        ModelRequest none = new ModelRequest("m", conversation, List.of(FS_WRITE), ToolChoice.NONE, null, 0, null, "", 0);
        assertThat(model.complete(none).message().hasToolCalls()).isFalse();
        ModelRequest named = new ModelRequest("m", conversation, List.of(FS_WRITE, FS_READ), new ToolChoice.Named("fs.read"),
                null, 0, null, "", 0);
        assertThat(model.complete(named).message().toolCalls().getFirst().name()).isEqualTo("fs.read");
    }

    @Test
    void theAnswerScenarioAnswersAtOnceAndFollowsTheOutputSchema() {
        SimulatedModel model = SimulatedModel.create(spec("answer", 2, Duration.ZERO, 42), recording);
        JsonNode schema = Wire.json("chat-request-structured-output.json").at("/response_format/json_schema/schema");

        ModelResponse text = model.complete(request(List.of(new Message.User("Hi")), List.of(FS_WRITE), null));
        assertThat(text.message().hasToolCalls()).isFalse();
        assertThat(text.message().content()).contains("simulated model");

        ModelResponse structured = model.complete(request(List.of(new Message.User("Hi")), List.of(), schema));
        JsonNode answer = Wire.parse(structured.message().content());
        assertThat(answer.get("steps").isArray()).isTrue();
        assertThat(answer.get("final_answer").isTextual()).isTrue();
    }

    @Test
    void theScriptScenarioPlaysTheScriptIncludingItsMistakes() {
        SimulatedModel model = SimulatedModel.create(spec("script", 0, Duration.ZERO, 42), recording);
        String script = """
                {"script": [
                  {"tool": "fs.write", "args": {"path": "a.txt", "content": "hi"}},
                  {"tool": "fs.write", "args_raw": "{not json"},
                  {"tool": "no.such.tool", "args": {}},
                  {"answer": "all done"}
                ]}""";
        List<Message> conversation = new ArrayList<>(List.of(new Message.User(script)));
        List<ModelResponse> responses = new ArrayList<>();
        for (int turn = 0; turn < 5; turn++) {
            ModelResponse response = model.complete(request(conversation, List.of(FS_WRITE), null));
            responses.add(response);
            conversation.add(response.message());
            response.message().toolCalls().forEach(call -> conversation.add(new Message.ToolResult(call.id(), "ok")));
        }

        assertThat(responses.get(0).message().toolCalls().getFirst().arguments()).isEqualTo("{\"path\":\"a.txt\",\"content\":\"hi\"}");
        assertThat(responses.get(1).message().toolCalls().getFirst().arguments()).isEqualTo("{not json");
        assertThat(responses.get(2).message().toolCalls().getFirst().name()).isEqualTo("no.such.tool");
        assertThat(responses.get(3).message().content()).isEqualTo("all done");
        assertThat(responses.get(3).finishReason()).isEqualTo("stop");
        assertThat(responses.get(4).message().content()).isEqualTo("script finished");
    }

    @Test
    void theScriptScenarioRejectsATaskWithoutAScript() {
        SimulatedModel model = SimulatedModel.create(spec("script", 0, Duration.ZERO, 42), recording);
        for (String input : List.of("just words", "{\"steps\": []}", "{\"script\": [{\"say\": 1}]}")) {
            assertThatThrownBy(() -> model.complete(request(List.of(new Message.User(input)), List.of(), null)))
                    .isInstanceOfSatisfying(ModelException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.REJECTED);
                        assertThat(e.getMessage()).contains("script", "{\"script\": [");
                    });
        }
    }

    @Test
    void isAPureFunctionOfSettingsAndRequest() {
        ModelSpec.Simulated settings = spec("tools", 3, Duration.ofMillis(200), 7);
        ModelRequest request = request(List.of(new Message.User("Task 17")), List.of(FS_WRITE), null);

        ModelResponse once = SimulatedModel.create(settings, recording).complete(request);
        ModelResponse again = SimulatedModel.create(settings, recording).complete(request);

        assertThat(again).isEqualTo(once);
        assertThat(slept).hasSize(2);
        assertThat(slept.get(1)).isEqualTo(slept.get(0));
        assertThat(slept.get(0)).isBetween(Duration.ofMillis(100), Duration.ofMillis(300));
    }

    @Test
    void anotherSeedGivesOtherIdsAndLatencies() {
        ModelRequest request = request(List.of(new Message.User("Task 17")), List.of(FS_WRITE), null);

        ModelResponse seven = SimulatedModel.create(spec("tools", 3, Duration.ofMillis(200), 7), recording).complete(request);
        ModelResponse eight = SimulatedModel.create(spec("tools", 3, Duration.ofMillis(200), 8), recording).complete(request);

        assertThat(eight.message().toolCalls().getFirst().id()).isNotEqualTo(seven.message().toolCalls().getFirst().id());
        assertThat(slept.get(1)).isNotEqualTo(slept.get(0));
        assertThat(slept).allSatisfy(d -> assertThat(d).isBetween(Duration.ofMillis(100), Duration.ofMillis(300)));
    }

    @Test
    void latenciesSpreadOverHalfToOneAndAHalfTimesTheMean() {
        SimulatedModel model = SimulatedModel.create(spec("answer", 0, Duration.ofSeconds(1), 42), recording);
        for (int i = 0; i < 200; i++) {
            model.complete(request(List.of(new Message.User("task " + i)), List.of(), null));
        }
        assertThat(slept).allSatisfy(d -> assertThat(d).isBetween(Duration.ofMillis(500), Duration.ofMillis(1500)));
        assertThat(slept).anySatisfy(d -> assertThat(d).isLessThan(Duration.ofMillis(700)));
        assertThat(slept).anySatisfy(d -> assertThat(d).isGreaterThan(Duration.ofMillis(1300)));
    }

    @Test
    void countsTokensFromCharacters() {
        SimulatedModel model = SimulatedModel.create(spec("answer", 0, Duration.ZERO, 42), recording);
        ModelResponse response = model.complete(request(List.of(new Message.User("123456789")), List.of(), null));

        assertThat(response.usage().promptTokens()).isEqualTo(3);
        assertThat(response.usage().completionTokens())
                .isEqualTo((response.message().content().length() + 3) / 4 + 1);

        long withTool = SimulatedModel.promptTokens(request(List.of(new Message.User("")), List.of(FS_READ), null));
        assertThat(withTool).isEqualTo((FS_READ.name().length() + FS_READ.description().length()
                + FS_READ.parameters().toString().length() + 3) / 4);
    }

    @Test
    void refusesAPromptLargerThanTheContextWindow() {
        SimulatedModel model = SimulatedModel.create(new ModelSpec.Simulated("answer", 0, Duration.ZERO, 42, 10), recording);

        assertThat(model.complete(request(List.of(new Message.User("x".repeat(40))), List.of(), null))
                .usage().promptTokens()).isEqualTo(10);
        assertThatThrownBy(() -> model.complete(request(List.of(new Message.User("x".repeat(41))), List.of(), null)))
                .isInstanceOfSatisfying(ModelException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.CONTEXT_TOO_LONG);
                    assertThat(e.getMessage()).contains("10 tokens", "11 tokens");
                });
    }

    @Test
    void anInterruptedWaitAbandonsTheCall() {
        // Sleeper.SYSTEM returns early with the interrupt flag set when the wait is interrupted.
        SimulatedModel model = SimulatedModel.create(spec("answer", 0, Duration.ofSeconds(1), 42),
                d -> Thread.currentThread().interrupt());
        try {
            assertThatThrownBy(() -> model.complete(request(List.of(new Message.User("x")), List.of(), null)))
                    .isInstanceOfSatisfying(ModelException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TIMEOUT));
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void failsFastOnBadSettings() {
        assertThatThrownBy(() -> SimulatedModel.create(spec("chatty", 1, Duration.ZERO, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chatty");
        assertThatThrownBy(() -> SimulatedModel.create(spec("tools", 1, Duration.ofMillis(-1), 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimulatedModel.create(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> SimulatedModel.create(ModelSpec.Simulated.DEFAULT, null)).isInstanceOf(NullPointerException.class);

        SimulatedModel model = SimulatedModel.create(ModelSpec.Simulated.DEFAULT);
        assertThat(model.simulated()).isTrue();
        assertThat(model.describe()).contains("simulated");
        assertThatThrownBy(() -> model.complete(null)).isInstanceOf(NullPointerException.class);
    }

    static ModelSpec.Simulated spec(String scenario, int toolCalls, Duration latency, long seed) {
        return new ModelSpec.Simulated(scenario, toolCalls, latency, seed, 128_000);
    }

    static ModelRequest request(List<Message> messages, List<ToolDefinition> tools, JsonNode outputSchema) {
        return new ModelRequest("", messages, tools, ToolChoice.AUTO, outputSchema, 0, null, "", 0);
    }
}
