package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.model.Usage;
import io.myriad.core.run.AgentRuntime;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunLoop;
import io.myriad.core.run.RunState;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invalid arguments from the model, end to end through the run loop with the real validator
 * and the built-in tools' schemas: wrong types, missing and extra fields and a 10 MB path are
 * answered with the validator's explanation in the model's next request, and the tool is never
 * invoked.
 */
class InvalidArgumentsRunTest {
    @TempDir
    Path workspaces;

    /** A built-in tool's definition and effect, counting invocations instead of acting. */
    static final class CountingTool implements Tool {
        final Tool real;
        final AtomicInteger invocations = new AtomicInteger();

        CountingTool(Tool real) {
            this.real = real;
        }

        @Override
        public ToolDefinition definition() {
            return real.definition();
        }

        @Override
        public Effect effect() {
            return real.effect();
        }

        @Override
        public ToolResult invoke(JsonNode arguments, ToolContext context) {
            invocations.incrementAndGet();
            return ToolResult.ok("invoked");
        }
    }

    /** Plays the calls in order, then answers; records each request. */
    static final class ScriptedModel implements ModelProvider {
        final List<ToolCall> calls;
        final List<ModelRequest> requests = new CopyOnWriteArrayList<>();

        ScriptedModel(List<ToolCall> calls) {
            this.calls = calls;
        }

        @Override
        public ModelResponse complete(ModelRequest request) {
            requests.add(request);
            int made = requests.size() - 1;
            if (made < calls.size()) {
                return new ModelResponse(new Message.Assistant("", List.of(calls.get(made))),
                        new Usage(10, 10), "tool_calls", "scripted");
            }
            return new ModelResponse(new Message.Assistant("gave up", List.of()),
                    new Usage(10, 5), "stop", "scripted");
        }

        @Override
        public String describe() {
            return "scripted";
        }

        @Override
        public boolean simulated() {
            return true;
        }
    }

    private static String json(JsonNode node) {
        return node.toString();
    }

    @Test
    void invalidArgumentsNeverReachTheToolAndTheModelReadsWhy() throws java.io.IOException {
        Map<String, CountingTool> tools = BuiltinTools.create(BuiltinTools.Settings.DEFAULTS)
                .stream().collect(Collectors.toMap(Tool::name, CountingTool::new));
        var f = JsonNodeFactory.instance;
        String hugePath = "a".repeat(10 * 1024 * 1024);
        List<ToolCall> calls = List.of(
                new ToolCall("c1", "fs.write", json(f.objectNode().put("path", 5)
                        .put("content", "x"))),
                new ToolCall("c2", "fs.edit", json(f.objectNode().put("path", "a.txt")
                        .put("old_text", "x"))),
                new ToolCall("c3", "fs.read", json(f.objectNode().put("path", "a.txt")
                        .put("mode", "fast"))),
                new ToolCall("c4", "fs.read", json(f.objectNode().put("path", hugePath))),
                new ToolCall("c5", "fs.patch", json(f.objectNode().put("patch", 3))),
                new ToolCall("c6", "http_request", json(f.objectNode().put("method", "BREW")
                        .put("url", "https://example.com/"))),
                new ToolCall("c7", "fs.search", json(f.objectNode().put("pattern", "x")
                        .put("max_results", 5000))));
        List<String> expected = List.of(
                "$.path: expected string, got integer",
                "$: missing required property 'new_text'",
                "$: unexpected property 'mode'",
                "$.path: expected at most 4096 characters",
                "$.patch: expected string, got integer",
                "$.method: must be one of",
                "$.max_results: must be <= 1000");
        ScriptedModel model = new ScriptedModel(calls);
        var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT,
                List.copyOf(tools.keySet()), Limits.DEFAULT, null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, model, "scripted", ModelSpec.Pricing.FREE,
                List.copyOf(tools.values()));
        RunLoop loop = RunLoop.builder()
                .journal(new InMemoryJournal())
                .validator(JsonSchemaValidator.create())
                .workspaceRoot(workspaces)
                .clock(() -> Instant.ofEpochMilli(1_000_000))
                .sleeper(d -> { })
                .random(new java.util.Random(7))
                .build();

        RunFold fold = loop.start("f-1:t1", new RunEvent.RunStarted(1_000_000, "f", "f-1", "t1",
                "a", "do the thing", "scripted"), agent, () -> false);

        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        tools.values().forEach(t -> assertThat(t.invocations).as(t.name()).hasValue(0));
        assertThat(model.requests).hasSize(calls.size() + 1);
        for (int i = 0; i < calls.size(); i++) {
            List<Message> next = model.requests.get(i + 1).messages();
            Message.ToolResult result = (Message.ToolResult) next.getLast();
            assertThat(result.toolCallId()).isEqualTo(calls.get(i).id());
            assertThat(result.content()).as(calls.get(i).name())
                    .contains("invalid arguments for " + calls.get(i).name())
                    .contains(expected.get(i))
                    .hasSizeLessThan(2_000);
        }
        try (var files = java.nio.file.Files.walk(workspaces)) {
            assertThat(files.filter(java.nio.file.Files::isRegularFile)).as("files written")
                    .isEmpty();
        }
    }
}
