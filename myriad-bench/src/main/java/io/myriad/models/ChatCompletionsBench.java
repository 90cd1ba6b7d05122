package io.myriad.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.RateLimits;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The CPU cost of one model call on Myriad's side of the wire, measured on the codec that
 * {@link OpenAiChatProvider} uses (this class lives in the provider's package to reach it).
 *
 * <p>The request is a run at step 4: system prompt, task, three rounds of one tool call and its
 * result, with three tools offered (two with dotted names, so the wire-name mapping does work).
 * The response is an OpenAI {@code chat.completion} asking for one more call, with the fields a
 * current server sends and the codec ignores.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ChatCompletionsBench {
    private static final String SOURCE = "http://127.0.0.1:8000/v1/chat/completions";
    private static final String MODEL = "gpt-4o-mini";

    private final ChatCompletionsCodec codec = new ChatCompletionsCodec();
    private final ModelRequest request = request(codec.json());
    private final ToolNames names = ToolNames.of(request.tools());
    private final byte[] responseBody = RESPONSE.getBytes(StandardCharsets.UTF_8);

    /** Fails the trial when the fixtures no longer say what the benchmark claims to measure. */
    @Setup(Level.Trial)
    public void check() {
        String body = new String(encodeRequest(), StandardCharsets.UTF_8);
        ModelResponse response = decodeResponse();
        if (!body.contains("\"name\":\"fs_read\"") || !response.message().hasToolCalls()
                || !response.message().toolCalls().getFirst().name().equals("fs.write")) {
            throw new IllegalStateException("the benchmark's request or response is not what it should be: " + body);
        }
    }

    /** The request body's bytes as the provider sends them, the tools' wire names included. */
    @Benchmark
    public byte[] encodeRequest() {
        return codec.encodeRequestBytes(request, MODEL, ToolNames.of(request.tools()));
    }

    /** The response body's bytes to a {@link ModelResponse}, tool names mapped back. */
    @Benchmark
    public ModelResponse decodeResponse() {
        return codec.decodeResponse(responseBody, SOURCE, names, RateLimits.UNKNOWN);
    }

    /** Everything {@link OpenAiChatProvider#complete} does besides the HTTP exchange. */
    @Benchmark
    public ModelResponse encodeAndDecode(Blackhole sent) {
        ToolNames callNames = ToolNames.of(request.tools());
        sent.consume(codec.encodeRequestBytes(request, MODEL, callNames));
        return codec.decodeResponse(responseBody, SOURCE, callNames, RateLimits.UNKNOWN);
    }

    static ModelRequest request(ObjectMapper json) {
        List<ToolDefinition> tools = List.of(
                new ToolDefinition("fs.read", "Reads a text file of the workspace and returns its content.",
                        schema(json, """
                                {"type":"object","properties":{
                                  "path":{"type":"string","description":"Path relative to the workspace root."},
                                  "offset":{"type":"integer","minimum":0,"description":"First line to read."},
                                  "limit":{"type":"integer","minimum":1,"maximum":2000,"description":"Lines to read at most."}},
                                 "required":["path"],"additionalProperties":false}""")),
                new ToolDefinition("fs.write", "Writes a text file of the workspace, replacing its content.",
                        schema(json, """
                                {"type":"object","properties":{
                                  "path":{"type":"string","description":"Path relative to the workspace root."},
                                  "content":{"type":"string","description":"The whole new content."},
                                  "create_dirs":{"type":"boolean","default":false}},
                                 "required":["path","content"],"additionalProperties":false}""")),
                new ToolDefinition("search_code", "Searches the workspace for a regular expression.",
                        schema(json, """
                                {"type":"object","properties":{
                                  "pattern":{"type":"string","description":"A Java regular expression."},
                                  "glob":{"type":"string","description":"Files to search, such as **/*.java."},
                                  "max_results":{"type":"integer","minimum":1,"maximum":200,"default":50},
                                  "case":{"type":"string","enum":["sensitive","insensitive","smart"]}},
                                 "required":["pattern"],"additionalProperties":false}""")));
        List<Message> messages = new ArrayList<>();
        messages.add(new Message.System("You are a careful software engineer working in a Java repository. "
                + "Use the tools to read before you write, keep changes small, and answer with a summary of "
                + "what you changed and why. Never invent file contents you have not read."));
        messages.add(new Message.User("The retry delay in HttpClientFactory ignores the Retry-After header. "
                + "Find where the delay is computed and make it honour the header, capped at 60 seconds."));
        String[][] rounds = {
                {"search_code", "{\"pattern\":\"Retry-After\",\"glob\":\"**/*.java\"}",
                        "src/main/java/com/acme/http/HttpClientFactory.java:88: // TODO honour Retry-After\n"
                                + "src/main/java/com/acme/http/Backoff.java:12: /** Exponential backoff, ignores Retry-After. */\n"},
                {"fs.read", "{\"path\":\"src/main/java/com/acme/http/Backoff.java\",\"limit\":60}",
                        ("package com.acme.http;\n\nimport java.time.Duration;\n\n"
                                + "/** Exponential backoff, ignores Retry-After. */\nfinal class Backoff {\n"
                                + "    Duration next(int attempt) {\n        long ms = 200L << Math.min(attempt, 8);\n"
                                + "        return Duration.ofMillis(ms);\n    }\n}\n").repeat(3)},
                {"fs.read", "{\"path\":\"src/main/java/com/acme/http/HttpClientFactory.java\",\"offset\":70,\"limit\":40}",
                        ("        HttpResponse<String> response = client.send(request, BodyHandlers.ofString());\n"
                                + "        if (response.statusCode() == 429) {\n"
                                + "            Thread.sleep(backoff.next(attempt).toMillis()); // TODO honour Retry-After\n"
                                + "        }\n").repeat(5)},
        };
        for (int i = 0; i < rounds.length; i++) {
            String id = "call_" + Integer.toHexString(0x5f3a0 + i) + "Xk2pQv7";
            messages.add(new Message.Assistant(i == 0 ? "Let me find where Retry-After is handled." : "",
                    List.of(new ToolCall(id, rounds[i][0], rounds[i][1]))));
            messages.add(new Message.ToolResult(id, rounds[i][2]));
        }
        return new ModelRequest("", messages, tools, ModelRequest.ToolChoice.AUTO, null, 4_096, 0.2,
                "bench-1:t1", 4);
    }

    private static JsonNode schema(ObjectMapper json, String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a current OpenAI server answers: one call, with fields the codec does not read. */
    static final String RESPONSE = """
            {
              "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
              "object": "chat.completion",
              "created": 1741570283,
              "model": "gpt-4o-mini-2024-07-18",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [
                      {
                        "id": "call_5f3a3Xk2pQv7",
                        "type": "function",
                        "function": {
                          "name": "fs_write",
                          "arguments": "{\\"path\\":\\"src/main/java/com/acme/http/Backoff.java\\",\\"content\\":\\"package com.acme.http;\\\\n\\\\nimport java.time.Duration;\\\\nimport java.util.Optional;\\\\n\\\\n/** Exponential backoff that honours Retry-After, capped at 60 s. */\\\\nfinal class Backoff {\\\\n    private static final Duration CAP = Duration.ofSeconds(60);\\\\n\\\\n    Duration next(int attempt, Optional<Duration> retryAfter) {\\\\n        long ms = 200L << Math.min(attempt, 8);\\\\n        Duration d = retryAfter.orElse(Duration.ofMillis(ms));\\\\n        return d.compareTo(CAP) > 0 ? CAP : d;\\\\n    }\\\\n}\\\\n\\"}"
                        }
                      }
                    ],
                    "refusal": null,
                    "annotations": []
                  },
                  "logprobs": null,
                  "finish_reason": "tool_calls"
                }
              ],
              "usage": {
                "prompt_tokens": 1187,
                "completion_tokens": 164,
                "total_tokens": 1351,
                "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                  "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
              },
              "service_tier": "default",
              "system_fingerprint": "fp_06737a9306"
            }
            """;
}
