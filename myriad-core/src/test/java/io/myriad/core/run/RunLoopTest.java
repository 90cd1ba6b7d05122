package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.model.Usage;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.SchemaValidator;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run loop against a scripted model and counting tools, including crashes simulated by truncating the journal. */
class RunLoopTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workspaces;

    final InMemoryJournal journal = new InMemoryJournal();
    final AtomicLong now = new AtomicLong(1_000_000);
    final List<Duration> slept = new ArrayList<>();

    /** A model that plays a script of responses and records each request. */
    static final class ScriptedModel implements ModelProvider {
        final Function<ModelRequest, ModelResponse> script;
        final ConcurrentLinkedQueue<ModelRequest> requests = new ConcurrentLinkedQueue<>();

        ScriptedModel(Function<ModelRequest, ModelResponse> script) {
            this.script = script;
        }

        @Override
        public ModelResponse complete(ModelRequest request) {
            requests.add(request);
            return script.apply(request);
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

    /** A tool that counts its invocations, with a chosen effect class. */
    static final class CountingTool implements Tool {
        final String name;
        final Effect effect;
        final AtomicInteger invocations = new AtomicInteger();
        final List<String> keys = new ArrayList<>();

        CountingTool(String name, Effect effect) {
            this.name = name;
            this.effect = effect;
        }

        @Override
        public ToolDefinition definition() {
            try {
                return new ToolDefinition(name, "counts", JSON.readTree("{\"type\":\"object\",\"required\":[\"n\"]}"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Effect effect() {
            return effect;
        }

        @Override
        public synchronized ToolResult invoke(JsonNode arguments, ToolContext context) {
            invocations.incrementAndGet();
            keys.add(context.idempotencyKey());
            return ToolResult.ok("counted " + arguments.get("n").asInt());
        }
    }

    /** Checks only "required", enough for these tests. */
    static final SchemaValidator REQUIRED_ONLY = (schema, value) -> {
        List<String> problems = new ArrayList<>();
        schema.path("required").forEach(r -> {
            if (!value.has(r.asText())) {
                problems.add("$: missing required property '" + r.asText() + "'");
            }
        });
        return problems;
    };

    RunLoop loop() {
        return RunLoop.builder()
                .journal(journal)
                .validator(REQUIRED_ONLY)
                .workspaceRoot(workspaces)
                .clock(() -> Instant.ofEpochMilli(now.get()))
                .sleeper(slept::add)
                .random(new java.util.Random(7))
                .build();
    }

    static ModelResponse toolCall(String tool, String args) {
        return new ModelResponse(new Message.Assistant("", List.of(new ToolCall("call_1", tool, args))),
                new Usage(100, 10), "tool_calls", "scripted");
    }

    static ModelResponse answer(String text) {
        return new ModelResponse(new Message.Assistant(text, List.of()), new Usage(100, 5), "stop", "scripted");
    }

    /** Calls the tool {@code calls} times, then answers. */
    static Function<ModelRequest, ModelResponse> callThenAnswer(String tool, int calls) {
        return req -> {
            long done = req.messages().stream().filter(m -> m instanceof Message.Assistant).count();
            return done < calls ? toolCall(tool, "{\"n\":" + done + "}") : answer("all done");
        };
    }

    AgentRuntime agent(ModelProvider model, Limits limits, Tool... tools) {
        var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT,
                java.util.Arrays.stream(tools).map(Tool::name).toList(), limits, null, 0, null);
        return AgentRuntime.bind(spec, model, "scripted", ModelSpec.Pricing.FREE, List.of(tools));
    }

    RunEvent.RunStarted started() {
        return new RunEvent.RunStarted(now.get(), "f", "f-1", "t1", "a", "do the thing", "scripted");
    }

    @Test
    void aRunCallsToolsThenSucceedsAndJournalsEveryStep() {
        var tool = new CountingTool("count", Effect.IDEMPOTENT);
        var model = new ScriptedModel(callThenAnswer("count", 3));
        RunFold fold = loop().start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);

        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(fold.detail()).isEqualTo("all done");
        assertThat(tool.invocations).hasValue(3);
        assertThat(model.requests).hasSize(4);
        assertThat(fold.steps()).isEqualTo(7);
        assertThat(fold.usage().total()).isEqualTo(3 * 110 + 105);
        // The journal folds to the same state as the live run.
        var events = journal.events("f-1:t1");
        assertThat(RunFold.of(events).snapshot()).isEqualTo(fold.snapshot());
        // The last request carried the whole conversation: system, user, then 3 x (assistant, tool result).
        assertThat(model.requests.stream().reduce((a, b) -> b).orElseThrow().messages()).hasSize(8);
    }

    @Test
    void resumingAfterACrashRepeatsNoCompletedToolCallAndNoJournaledModelCall() {
        var tool = new CountingTool("count", Effect.IRREVERSIBLE);
        var model = new ScriptedModel(callThenAnswer("count", 3));
        loop().start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);
        List<RunEvent> full = journal.events("f-1:t1");

        // Every prefix of the journal that ends between appends is a possible crash point.
        for (int keep = 1; keep < full.size(); keep++) {
            var j = new InMemoryJournal();
            var replayTool = new CountingTool("count", Effect.IRREVERSIBLE);
            var replayModel = new ScriptedModel(callThenAnswer("count", 3));
            List<RunEvent> prefix = full.subList(0, keep);
            j.append(new io.myriad.core.journal.Journal.Append("f-1:t1", 0, prefix, RunFold.of(prefix).status())).join();
            RunLoop resumed = RunLoop.builder().journal(j).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                    .clock(() -> Instant.ofEpochMilli(now.get())).sleeper(d -> { }).build();
            RunFold fold = resumed.drive("f-1:t1", RunFold.of(prefix), agent(replayModel, Limits.DEFAULT, replayTool), () -> false);

            long completedBefore = prefix.stream().filter(e -> e instanceof RunEvent.ToolCallCompleted).count();
            long startedBefore = prefix.stream().filter(e -> e instanceof RunEvent.ToolCallStarted).count();
            long respondedBefore = prefix.stream().filter(e -> e instanceof RunEvent.ModelResponded).count();
            if (startedBefore > completedBefore) {
                // An irreversible call was in flight: it is not retried, the run waits for a person.
                assertThat(fold.state()).isEqualTo(RunState.IN_DOUBT);
                assertThat(fold.detail()).startsWith("in_doubt");
                assertThat(replayTool.invocations).hasValue(0);
            } else {
                assertThat(fold.state()).as("prefix " + keep).isEqualTo(RunState.SUCCEEDED);
                assertThat(replayTool.invocations).as("prefix " + keep).hasValue((int) (3 - completedBefore));
                // No request for a step whose response was journaled: every request is for a later step.
                assertThat(replayModel.requests).allSatisfy(r -> assertThat(r.step()).isGreaterThan((int) respondedBefore));
            }
        }
    }

    @Test
    void anIdempotentCallInDoubtIsReinvokedWithTheSameKey() {
        var tool = new CountingTool("count", Effect.IDEMPOTENT);
        var model = new ScriptedModel(callThenAnswer("count", 1));
        loop().start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);
        List<RunEvent> full = journal.events("f-1:t1");
        int startedAt = indexOf(full, RunEvent.ToolCallStarted.class);
        List<RunEvent> prefix = full.subList(0, startedAt + 1);

        var j = new InMemoryJournal();
        j.append(new io.myriad.core.journal.Journal.Append("f-1:t1", 0, prefix, RunFold.of(prefix).status())).join();
        var again = new CountingTool("count", Effect.IDEMPOTENT);
        RunFold fold = RunLoop.builder().journal(j).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                .clock(() -> Instant.ofEpochMilli(now.get())).build()
                .drive("f-1:t1", RunFold.of(prefix), agent(new ScriptedModel(callThenAnswer("count", 1)), Limits.DEFAULT, again), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(again.keys).containsExactlyElementsOf(tool.keys);
    }

    @Test
    void badToolCallsGoBackToTheModelAsErrors() {
        var tool = new CountingTool("count", Effect.IDEMPOTENT);
        List<ModelResponse> script = List.of(
                toolCall("nope", "{}"),
                toolCall("count", "{not json"),
                toolCall("count", "{\"m\":1}"),
                answer("gave up"));
        var model = new ScriptedModel(req -> script.get((int) req.messages().stream().filter(m -> m instanceof Message.Assistant).count()));
        RunFold fold = loop().start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> false);

        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(tool.invocations).hasValue(0);
        List<String> results = fold.conversation().stream().filter(m -> m instanceof Message.ToolResult)
                .map(m -> ((Message.ToolResult) m).content()).toList();
        assertThat(results).hasSize(3);
        assertThat(results.get(0)).contains("unknown tool 'nope'").contains("count");
        assertThat(results.get(1)).contains("not valid JSON");
        assertThat(results.get(2)).contains("missing required property 'n'");
    }

    @Test
    void stepLimitEndsTheRunAsLimited() {
        var tool = new CountingTool("count", Effect.READ_ONLY);
        var model = new ScriptedModel(callThenAnswer("count", 1_000));
        RunFold fold = loop().start("f-1:t1", started(), agent(model, new Limits(5, 1_000_000, Duration.ofHours(1)), tool), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.LIMITED);
        assertThat(fold.detail()).startsWith("max_steps");
        assertThat(fold.steps()).isEqualTo(5);
    }

    @Test
    void tokenAndWallLimitsEndTheRunAsLimited() {
        var tool = new CountingTool("count", Effect.READ_ONLY);
        RunFold tokens = loop().start("r-tokens", started(),
                agent(new ScriptedModel(callThenAnswer("count", 1_000)), new Limits(1_000, 250, Duration.ofHours(1)), tool), () -> false);
        assertThat(tokens.state()).isEqualTo(RunState.LIMITED);
        assertThat(tokens.detail()).startsWith("max_tokens");

        var slow = new ScriptedModel(req -> {
            now.addAndGet(40_000);
            return callThenAnswer("count", 1_000).apply(req);
        });
        RunFold wall = loop().start("r-wall", started(), agent(slow, new Limits(1_000, 10_000_000, Duration.ofMinutes(1)), tool), () -> false);
        assertThat(wall.state()).isEqualTo(RunState.LIMITED);
        assertThat(wall.detail()).startsWith("max_wall");
        assertThat(slow.requests).hasSize(2);
    }

    @Test
    void retriableModelErrorsAreRetriedWithBackoffAndJournaled() {
        AtomicInteger calls = new AtomicInteger();
        var model = new ScriptedModel(req -> {
            if (calls.incrementAndGet() <= 2) {
                throw new ModelException(ModelException.Kind.RATE_LIMITED, "slow down", 1_500, null);
            }
            return answer("ok");
        });
        RunFold fold = loop().start("f-1:t1", started(), agent(model, Limits.DEFAULT), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(fold.retries()).isEqualTo(2);
        assertThat(slept).hasSize(2).allSatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ofMillis(1_500)));
    }

    @Test
    void aModelThatKeepsFailingEndsTheRunWithItsReason() {
        var garbage = new ScriptedModel(req -> {
            throw new ModelException(ModelException.Kind.MALFORMED_RESPONSE, "not JSON: <html>");
        });
        RunFold fold = loop().start("r1", started(), agent(garbage, Limits.DEFAULT), () -> false);
        assertThat(fold.state()).isEqualTo(RunState.FAILED);
        assertThat(fold.detail()).contains("model_malformed_response").contains("not JSON").contains("4 attempts");

        var tooLong = new ScriptedModel(req -> {
            throw new ModelException(ModelException.Kind.CONTEXT_TOO_LONG, "prompt of 200000 tokens exceeds 128000");
        });
        RunFold fold2 = loop().start("r2", started(), agent(tooLong, Limits.DEFAULT), () -> false);
        assertThat(fold2.detail()).startsWith("model_context_too_long");
        assertThat(tooLong.requests).hasSize(1);
    }

    @Test
    void cancellationEndsTheRunAsCancelled() {
        var tool = new CountingTool("count", Effect.READ_ONLY);
        var model = new ScriptedModel(callThenAnswer("count", 1_000));
        RunFold fold = loop().start("f-1:t1", started(), agent(model, Limits.DEFAULT, tool), () -> tool.invocations.get() >= 2);
        assertThat(fold.state()).isEqualTo(RunState.CANCELLED);
        assertThat(tool.invocations).hasValue(2);
    }

    @Test
    void aReadOnlyCallJournalsOnlyItsOutcome() {
        var tool = new CountingTool("count", Effect.READ_ONLY);
        loop().start("f-1:t1", started(), agent(new ScriptedModel(callThenAnswer("count", 1)), Limits.DEFAULT, tool), () -> false);
        List<JournalRecord> records = journal.read("f-1:t1");
        assertThat(records).extracting(r -> r.event().getClass().getSimpleName()).containsExactly(
                "RunStarted", "ModelResponded", "ToolCallCompleted", "ModelResponded", "RunSucceeded");
    }

    private static int indexOf(List<RunEvent> events, Class<?> type) {
        for (int i = 0; i < events.size(); i++) {
            if (type.isInstance(events.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no " + type.getSimpleName());
    }
}
