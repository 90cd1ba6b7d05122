package io.myriad.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelRequest.ToolChoice;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.RateLimits;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.model.Usage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Chat Completions mapping, checked against the recorded examples of the public API reference. */
class ChatCompletionsCodecTest {
    private static final String SOURCE = "http://model.test/v1/chat/completions";
    private final ChatCompletionsCodec codec = new ChatCompletionsCodec();

    @Test
    void decodesThePlainChatResponseOfTheReference() {
        ModelResponse response = codec.decodeResponse(Wire.text("chat-response-plain.json"), SOURCE);

        assertThat(response.message().content()).isEqualTo("\n\nHello there, how may I assist you today?");
        assertThat(response.message().toolCalls()).isEmpty();
        assertThat(response.usage()).isEqualTo(new Usage(9, 12));
        assertThat(response.finishReason()).isEqualTo("stop");
        assertThat(response.model()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void decodesTheToolCallsResponseOfTheReference() {
        ModelResponse response = codec.decodeResponse(Wire.text("chat-response-tool-calls.json"), SOURCE);

        assertThat(response.message().content()).isEmpty();
        assertThat(response.message().toolCalls()).containsExactly(
                new ToolCall("call_abc123", "get_current_weather", "{\n\"location\": \"Boston, MA\"\n}"));
        assertThat(response.usage()).isEqualTo(new Usage(82, 17));
        assertThat(response.finishReason()).isEqualTo("tool_calls");
        assertThat(response.model()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void encodesAToolsRequestExactlyAsTheReferenceWritesIt() {
        JsonNode recorded = Wire.json("chat-request-tools.json");
        JsonNode function = recorded.get("tools").get(0).get("function");
        ModelRequest request = request(
                List.of(new Message.User("What's the weather like in Boston today?")),
                List.of(new ToolDefinition("get_current_weather",
                        function.get("description").asText(), function.get("parameters"))),
                ToolChoice.AUTO, null);

        JsonNode encoded = codec.encodeRequest(request, "unused");

        assertThat(encoded.get("model").asText()).isEqualTo("gpt-4o");
        assertThat(encoded.get("messages")).isEqualTo(recorded.get("messages"));
        assertThat(encoded.get("tools").get(0).get("type").asText()).isEqualTo("function");
        assertThat(encoded.get("tools").get(0).get("function").get("name").asText()).isEqualTo("get_current_weather");
        assertThat(encoded.get("tools").get(0).get("function").get("parameters")).isEqualTo(function.get("parameters"));
        assertThat(encoded.get("tool_choice").asText()).isEqualTo("auto");
        assertThat(encoded).isEqualTo(recorded);
    }

    @Test
    void encodesAStructuredOutputRequestLikeTheReference() {
        JsonNode recorded = Wire.json("chat-request-structured-output.json");
        JsonNode recordedFormat = recorded.get("response_format");
        ModelRequest request = request(
                List.of(new Message.System(recorded.get("messages").get(0).get("content").asText()),
                        new Message.User(recorded.get("messages").get(1).get("content").asText())),
                List.of(), ToolChoice.AUTO, recordedFormat.get("json_schema").get("schema"));

        JsonNode encoded = codec.encodeRequest(request, "unused");

        assertThat(encoded.get("model").asText()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(encoded.get("messages")).isEqualTo(recorded.get("messages"));
        JsonNode format = encoded.get("response_format");
        assertThat(format.get("type").asText()).isEqualTo("json_schema");
        assertThat(format.get("json_schema").get("schema")).isEqualTo(recordedFormat.get("json_schema").get("schema"));
        assertThat(format.get("json_schema").get("strict").asBoolean()).isTrue();
        // The reference names its schema "math_reasoning"; Myriad always names it "output".
        assertThat(format.get("json_schema").get("name").asText()).isEqualTo("output");
        assertThat(encoded.has("tools")).isFalse();
        assertThat(encoded.has("tool_choice")).isFalse();
        assertThat(encoded.has("max_tokens")).isFalse();
        assertThat(encoded.has("temperature")).isFalse();
    }

    @Test
    void decodesTheRecordedRequestsAsAServerWould() {
        ModelRequest tools = codec.decodeRequest(Wire.json("chat-request-tools.json"), "run-1", 3);
        assertThat(tools.model()).isEqualTo("gpt-4o");
        assertThat(tools.messages()).containsExactly(new Message.User("What's the weather like in Boston today?"));
        assertThat(tools.tools()).singleElement().satisfies(tool -> {
            assertThat(tool.name()).isEqualTo("get_current_weather");
            assertThat(tool.description()).isEqualTo("Get the current weather in a given location");
            assertThat(tool.parameters().get("required").get(0).asText()).isEqualTo("location");
        });
        assertThat(tools.toolChoice()).isEqualTo(ToolChoice.AUTO);
        assertThat(tools.runId()).isEqualTo("run-1");
        assertThat(tools.step()).isEqualTo(3);

        JsonNode structured = Wire.json("chat-request-structured-output.json");
        ModelRequest decoded = codec.decodeRequest(structured, "", -1);
        assertThat(decoded.messages().getFirst()).isInstanceOf(Message.System.class);
        assertThat(decoded.outputSchema()).isEqualTo(structured.at("/response_format/json_schema/schema"));
    }

    @Test
    void encodesAssistantToolCallsAndToolResults() {
        ModelRequest request = request(List.of(
                        new Message.User("go"),
                        new Message.Assistant("", List.of(new ToolCall("call_1", "fs.read", "{\"path\":\"a\"}"))),
                        new Message.ToolResult("call_1", "file text"),
                        new Message.Assistant("thinking", List.of(new ToolCall("call_2", "fs.read", "{}")))),
                List.of(), ToolChoice.AUTO, null);

        JsonNode messages = codec.encodeRequest(request, "m").get("messages");

        JsonNode assistant = messages.get(1);
        assertThat(assistant.get("role").asText()).isEqualTo("assistant");
        assertThat(assistant.get("content").isNull()).isTrue();
        JsonNode call = assistant.get("tool_calls").get(0);
        assertThat(call.get("id").asText()).isEqualTo("call_1");
        assertThat(call.get("type").asText()).isEqualTo("function");
        assertThat(call.get("function").get("name").asText()).as("a wire-safe name").isEqualTo("fs_read");
        assertThat(call.get("function").get("arguments").asText()).isEqualTo("{\"path\":\"a\"}");
        JsonNode tool = messages.get(2);
        assertThat(tool.get("role").asText()).isEqualTo("tool");
        assertThat(tool.get("tool_call_id").asText()).isEqualTo("call_1");
        assertThat(tool.get("content").asText()).isEqualTo("file text");
        assertThat(messages.get(3).get("content").asText()).isEqualTo("thinking");
    }

    @Test
    void encodesEveryToolChoiceAndTheOptionalLimits() {
        List<ToolDefinition> tools = List.of(new ToolDefinition("t", "d", Wire.parse("{\"type\":\"object\"}")));
        assertThat(codec.encodeRequest(request(List.of(), tools, ToolChoice.NONE, null), "m").get("tool_choice").asText())
                .isEqualTo("none");
        assertThat(codec.encodeRequest(request(List.of(), tools, ToolChoice.REQUIRED, null), "m").get("tool_choice").asText())
                .isEqualTo("required");
        assertThat(codec.encodeRequest(request(List.of(), tools, new ToolChoice.Named("t"), null), "m").get("tool_choice"))
                .isEqualTo(Wire.parse("{\"type\":\"function\",\"function\":{\"name\":\"t\"}}"));

        ModelRequest limited = new ModelRequest("", List.of(new Message.User("x")), List.of(), ToolChoice.REQUIRED,
                null, 256, 0.2, "", 0);
        JsonNode encoded = codec.encodeRequest(limited, "fallback-model");
        assertThat(encoded.get("model").asText()).isEqualTo("fallback-model");
        assertThat(encoded.get("max_tokens").asLong()).isEqualTo(256);
        assertThat(encoded.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(encoded.has("tool_choice")).isFalse();
    }

    @Test
    void aRequestSurvivesTheRoundTripThroughTheWire() {
        ModelRequest request = toolRequest("write_file");

        ModelRequest decoded = codec.decodeRequest(codec.encodeRequest(request, "x"), "run-9", 4);

        assertThat(decoded).isEqualTo(request);
    }

    @Test
    void theServerSeesDottedToolNamesAsTheirWireNames() {
        ModelRequest decoded = codec.decodeRequest(codec.encodeRequest(toolRequest("fs.write"), "x"), "run-9", 4);

        assertThat(decoded).isEqualTo(toolRequest("fs_write"));
    }

    @Test
    void encodesEveryToolNameAsAWireSafeName() {
        List<ToolDefinition> tools = List.of(tool("fs.read"), tool("fs.write"), tool("mcp.crm.lookup"), tool("plain_name-2"));
        ModelRequest request = request(List.of(new Message.User("go"),
                        new Message.Assistant("", List.of(new ToolCall("c1", "fs.read", "{}"),
                                new ToolCall("c2", "no.such.tool", "{}"))),
                        new Message.ToolResult("c1", "text"), new Message.ToolResult("c2", "unknown tool")),
                tools, new ToolChoice.Named("fs.read"), null);

        JsonNode encoded = codec.encodeRequest(request, "m");

        assertThat(encoded.get("tools")).extracting(t -> t.at("/function/name").asText())
                .containsExactly("fs_read", "fs_write", "mcp_crm_lookup", "plain_name-2");
        assertThat(encoded.at("/tool_choice/function/name").asText()).isEqualTo("fs_read");
        assertThat(encoded.at("/messages/1/tool_calls")).extracting(c -> c.at("/function/name").asText())
                .as("past calls, to offered tools and to unknown ones").containsExactly("fs_read", "no_such_tool");
    }

    @Test
    void decodesCallsToWireNamesAsCallsToTheOfferedTools() {
        ToolNames names = ToolNames.of(List.of(tool("fs.read"), tool("mcp.crm.lookup")));

        ModelResponse response = codec.decodeResponse(toolCalls("fs_read", "mcp_crm_lookup"), SOURCE, names);

        assertThat(response.message().toolCalls()).extracting(ToolCall::name).containsExactly("fs.read", "mcp.crm.lookup");
        assertThat(response.message().toolCalls()).extracting(ToolCall::id).containsExactly("call_0", "call_1");
        assertThat(codec.decodeResponse(toolCalls("fs_read"), SOURCE).message().toolCalls().getFirst().name())
                .as("without the request's names, the wire name").isEqualTo("fs_read");
    }

    @Test
    void givesCollidingToolsDistinctWireNamesAndMapsEachBack() {
        for (List<ToolDefinition> tools : List.of(List.of(tool("a.b"), tool("a_b")), List.of(tool("a_b"), tool("a.b")))) {
            JsonNode encoded = codec.encodeRequest(request(List.of(new Message.User("go")), tools, ToolChoice.AUTO, null), "m");
            List<String> wire = encoded.get("tools").valueStream().map(t -> t.at("/function/name").asText()).toList();
            String dottedWire = wire.get(tools.indexOf(tool("a.b")));

            assertThat(wire).as("offered as %s", tools).doesNotHaveDuplicates().contains("a_b");
            assertThat(dottedWire).matches("a_b_[0-9a-f]{8}");
            ModelResponse response = codec.decodeResponse(toolCalls(dottedWire, "a_b"), SOURCE, ToolNames.of(tools));
            assertThat(response.message().toolCalls()).extracting(ToolCall::name).containsExactly("a.b", "a_b");
        }
    }

    @Test
    void passesCallsToToolsThatWereNotOfferedThroughUnchanged() {
        ToolNames names = ToolNames.of(List.of(tool("fs.read")));

        ModelResponse response = codec.decodeResponse(toolCalls("no_such_tool", "fs.read", "fs_read_"), SOURCE, names);

        assertThat(response.message().toolCalls()).extracting(ToolCall::name)
                .containsExactly("no_such_tool", "fs.read", "fs_read_");
    }

    @Test
    void aResponseSurvivesTheRoundTripThroughTheWire() {
        ModelResponse response = new ModelResponse(
                new Message.Assistant("", List.of(new ToolCall("call_9", "fs.read", "{}"))),
                new Usage(10, 3), "tool_calls", "myriad-sim");

        JsonNode body = codec.encodeResponse(response, "chatcmpl-1", 5, "fp");

        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("usage").get("total_tokens").asLong()).isEqualTo(13);
        assertThat(codec.decodeResponse(body.toString(), SOURCE)).isEqualTo(response);
    }

    @Test
    void acceptsContentAsTextPartsAndRefusals() {
        ModelResponse parts = codec.decodeResponse(
                "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}",
                SOURCE);
        assertThat(parts.message().content()).isEqualTo("ab");
        assertThat(parts.usage()).isEqualTo(Usage.ZERO);

        ModelResponse refusal = codec.decodeResponse(
                "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"I can't help with that.\"}}]}", SOURCE);
        assertThat(refusal.message().content()).isEqualTo("I can't help with that.");
    }

    @Test
    void reportsEveryUnusableBodyAsMalformedWithAShortExcerpt() {
        String longHtml = "<html>" + "x".repeat(1000) + "</html>";
        for (String body : List.of(longHtml, "{\"id\":\"chatcmpl-1\",\"choices\":[{\"mess", "{\"id\":\"x\"}",
                "{\"choices\":[]}", "{\"choices\":[{}]}", "[1,2]", "",
                "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\"}]}}]}")) {
            assertThatThrownBy(() -> codec.decodeResponse(body, SOURCE))
                    .isInstanceOfSatisfying(ModelException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ModelException.Kind.MALFORMED_RESPONSE);
                        assertThat(e.retriable()).isTrue();
                        assertThat(e.getMessage()).contains(SOURCE);
                    });
        }
        assertThatThrownBy(() -> codec.decodeResponse(longHtml, SOURCE))
                .hasMessageContaining("not valid JSON")
                .hasMessageContaining("\"<html>xxx")
                .hasMessageNotContaining("x".repeat(ChatCompletionsCodec.EXCERPT_CHARS));
        assertThatThrownBy(() -> codec.decodeResponse("{\"choices\":[]}", SOURCE)).hasMessageContaining("empty");
    }

    @Test
    void decodesBytesExactlyAsItDecodesTheirText() {
        ToolNames names = ToolNames.of(List.of(tool("fs.read")));
        byte[] invalidUtf8 = "{\"choices\":[{\"message\":{\"content\":\"caf\u00e9 \"}}]}".getBytes(StandardCharsets.ISO_8859_1);
        List<byte[]> bodies = new java.util.ArrayList<>();
        for (String body : List.of(Wire.text("chat-response-plain.json"), Wire.text("chat-response-tool-calls.json"),
                toolCalls("fs_read", "other"), "<html>" + "x".repeat(1000) + "</html>",
                "{\"id\":\"chatcmpl-1\",\"choices\":[{\"mess", "{\"choices\":[]}", "[1,2]", "", "{} {}",
                "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"\u00e9\u4e2d\uD83D\uDE00\"}]}}]}",
                "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\"}]}}]}")) {
            bodies.add(body.getBytes(StandardCharsets.UTF_8));
        }
        bodies.add(invalidUtf8);
        for (byte[] body : bodies) {
            String text = new String(body, StandardCharsets.UTF_8);
            Object fromText;
            Object fromBytes;
            try {
                fromText = codec.decodeResponse(text, SOURCE, names, RateLimits.UNKNOWN);
            } catch (ModelException e) {
                fromText = e.kind() + ": " + e.getMessage();
            }
            try {
                fromBytes = codec.decodeResponse(body, SOURCE, names, RateLimits.UNKNOWN);
            } catch (ModelException e) {
                fromBytes = e.kind() + ": " + e.getMessage();
            }
            assertThat(fromBytes).as(text).isEqualTo(fromText);
        }
    }

    @Test
    void encodesToTheBytesOfTheTreesText() {
        ModelRequest request = toolRequest("fs.read");
        ToolNames names = ToolNames.of(request.tools());

        assertThat(new String(codec.encodeRequestBytes(request, "m", names), StandardCharsets.UTF_8))
                .isEqualTo(codec.encodeRequest(request, "m").toString());
    }

    @Test
    void decodesTheErrorObjectOfTheReference() {
        assertThat(codec.decodeError(Wire.text("error-context-length.json"))).hasValueSatisfying(error -> {
            assertThat(error.code()).isEqualTo("context_length_exceeded");
            assertThat(error.type()).isEqualTo("invalid_request_error");
            assertThat(error.message()).startsWith("This model's maximum context length is 4097 tokens.");
        });
        assertThat(codec.decodeError(Wire.text("error-invalid-api-key.json"))).hasValueSatisfying(error -> {
            assertThat(error.code()).isEqualTo("invalid_api_key");
            assertThat(error.message()).startsWith("Incorrect API key provided");
        });
        assertThat(codec.decodeError("<html>Bad gateway</html>")).isEmpty();
    }

    @Test
    void encodesErrorsInTheFormatOfTheReference() {
        JsonNode encoded = codec.encodeError("This model's maximum context length is 4097 tokens. However, your messages "
                + "resulted in 27770 tokens. Please reduce the length of the messages.",
                "invalid_request_error", "messages", "context_length_exceeded");

        assertThat(encoded).isEqualTo(Wire.json("error-context-length.json"));
    }

    @Test
    void rejectsRequestsAServerCannotUnderstand() {
        for (String body : List.of("[]", "{}", "{\"messages\":[]}", "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}",
                "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":42}]}")) {
            assertThatThrownBy(() -> codec.decodeRequest(Wire.parse(body), "", -1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageMatching(".*(messages|JSON object).*");
        }
    }

    private static ToolDefinition tool(String name) {
        return new ToolDefinition(name, "A tool.", Wire.parse("{\"type\":\"object\",\"properties\":{}}"));
    }

    /** A request that offers, names, and has already called the tool {@code name}. */
    private static ModelRequest toolRequest(String name) {
        return new ModelRequest("m",
                List.of(new Message.System("sys"), new Message.User("hi"),
                        new Message.Assistant("", List.of(new ToolCall("c1", name, "not json"))),
                        new Message.ToolResult("c1", "ok")),
                List.of(tool(name)), new ToolChoice.Named(name), Wire.parse("{\"type\":\"object\"}"), 100, 0.5, "run-9", 4);
    }

    /** A response body that calls {@code names}, in order, without call ids. */
    private static String toolCalls(String... names) {
        StringBuilder calls = new StringBuilder();
        for (String name : names) {
            calls.append(calls.isEmpty() ? "" : ",")
                    .append("{\"type\":\"function\",\"function\":{\"name\":\"").append(name).append("\",\"arguments\":\"{}\"}}");
        }
        return "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + calls
                + "]},\"finish_reason\":\"tool_calls\"}]}";
    }

    private static ModelRequest request(
            List<Message> messages, List<ToolDefinition> tools, ToolChoice choice, JsonNode outputSchema) {
        String model = outputSchema != null ? "gpt-4o-2024-08-06" : "gpt-4o";
        return new ModelRequest(model, messages, tools, choice, outputSchema, 0, null, "", 0);
    }
}
