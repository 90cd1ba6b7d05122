package io.myriad.core.run;

import static io.myriad.core.run.RunLoopTest.REQUIRED_ONLY;
import static io.myriad.core.run.RunLoopTest.answer;
import static io.myriad.core.run.RunLoopTest.callThenAnswer;
import static io.myriad.core.run.RunLoopTest.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.EventCodec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelException;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.Usage;
import io.myriad.core.run.RunLoopTest.CountingTool;
import io.myriad.core.run.RunLoopTest.ScriptedModel;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Reconciliation;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden journals: recorded journals in {@code src/test/resources/golden} that every build
 * decodes from their stored JSON and folds, and whose final state must equal the one recorded
 * beside them ({@code <name>.expected.json}). A change to the event format or to the state
 * machine that would strand journals already on users' disks fails here.
 *
 * <p>{@code v1-*} journals were written by an earlier release (commit 8f4b378) through the CLI;
 * the others by the scenarios below. To record the scenarios again after an intended change,
 * run this class with {@code -Dgolden.record=true} and review the diff of the resources.
 */
class GoldenJournalsTest {
    private static final Path DIR = Path.of("src/test/resources/golden");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @TempDir
    Path workspaces;

    static Stream<String> journals() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsonl"))
                    .map(n -> n.substring(0, n.length() - ".jsonl".length())).sorted().toList().stream();
        }
    }

    @Test
    void thereAreGoldenJournalsForEveryKindOfEvent() throws IOException {
        List<String> names = journals().toList();
        assertThat(names).hasSizeGreaterThanOrEqualTo(12);
        java.util.Set<String> types = new java.util.TreeSet<>();
        for (String name : names) {
            for (String line : Files.readAllLines(DIR.resolve(name + ".jsonl"))) {
                types.add(JSON.readTree(line).path("type").asText());
            }
        }
        java.util.Set<String> all = new java.util.TreeSet<>();
        for (var t : RunEvent.class.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class).value()) {
            all.add(t.name());
        }
        assertThat(types).isEqualTo(all);
    }

    @ParameterizedTest
    @MethodSource("journals")
    void everyGoldenJournalReplaysToItsRecordedFinalState(String name) throws IOException {
        List<RunEvent> events = Files.readAllLines(DIR.resolve(name + ".jsonl")).stream()
                .filter(l -> !l.isBlank()).map(EventCodec::decode).toList();
        Path expectedFile = DIR.resolve(name + ".expected.json");
        if (!Files.exists(expectedFile) && Boolean.getBoolean("golden.record")) {
            // A journal recorded elsewhere (copied from a real run): its final state is recorded once, for review.
            Files.writeString(expectedFile, JSON.writeValueAsString(describe(RunFold.of(events))) + "\n");
        }
        JsonNode expected = JSON.readTree(expectedFile.toFile());
        assertThat(JSON.readTree(JSON.writeValueAsString(describe(RunFold.of(events))))).isEqualTo(expected);
        // Encoding again and decoding gives the same events (nothing dropped on the way).
        assertThat(events.stream().map(EventCodec::encode).map(EventCodec::decode).toList()).isEqualTo(events);
    }

    @Test
    void theJournalOfAnEarlierReleaseFoldsToWhatThatReleaseRecorded() throws IOException {
        // Recorded by 8f4b378 in its runs table: SUCCEEDED, 5 steps, 1,532 tokens, 8 events.
        RunFold fold = RunFold.of(Files.readAllLines(DIR.resolve("v1-hello-fleet-approvals.jsonl")).stream()
                .map(EventCodec::decode).toList());
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        assertThat(fold.steps()).isEqualTo(5);
        assertThat(fold.usage().total()).isEqualTo(1_532);
        assertThat(fold.seq()).isEqualTo(8);
    }

    @Test
    void aRetryJournaledBeforeFallbacksExistedStillDecodes() {
        // Journals written before the fallback field was added lack it: it reads as false.
        RunEvent e = EventCodec.decode("{\"type\":\"model_retried\",\"at\":1,\"attempt\":1,\"error\":\"429\",\"waitMillis\":250}");
        assertThat(e).isEqualTo(new RunEvent.ModelRetried(1, 1, "429", 250, false));
    }

    /** The final state of a fold, as stored in {@code .expected.json}. */
    static ObjectNode describe(RunFold fold) {
        ObjectNode o = JSON.createObjectNode();
        o.put("state", fold.state().label());
        o.put("seq", fold.seq());
        o.put("steps", fold.steps());
        o.put("model_calls", fold.modelCalls());
        o.put("retries", fold.retries());
        o.put("prompt_tokens", fold.usage().promptTokens());
        o.put("completion_tokens", fold.usage().completionTokens());
        o.put("cost_usd", fold.costUsd());
        o.put("detail", fold.detail());
        o.put("idle_responses", fold.idleResponses());
        o.put("interruptions", fold.interruptions());
        o.put("in_doubt_call", fold.inDoubtCall().map(c -> c.call().id()).orElse(""));
        o.put("messages", fold.conversation().size());
        o.put("conversation_sha256", sha256(fold.conversation().toString()));
        var calls = o.putArray("calls");
        fold.calls().forEach(c -> calls.addObject().put("id", c.call().id()).put("status", c.status().name())
                .put("key", c.idempotencyKey()));
        return o;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ recording

    @Test
    void record() throws IOException {
        if (!Boolean.getBoolean("golden.record")) {
            return; // recording is a deliberate act: -Dgolden.record=true
        }
        Map<String, Consumer<Recorder>> scenarios = new LinkedHashMap<>();
        scenarios.put("tools-then-answer", r -> r.drive(callThenAnswer("count", 3), Limits.DEFAULT,
                new CountingTool("count", Effect.IRREVERSIBLE)));
        scenarios.put("read-only-calls", r -> r.drive(callThenAnswer("look", 2), Limits.DEFAULT, new CountingTool("look", Effect.READ_ONLY)));
        scenarios.put("bad-tool-calls", r -> {
            List<ModelResponse> script = List.of(toolCall("nope", "{}"), toolCall("count", "{not json"), toolCall("count", "{\"m\":1}"),
                    answer("gave up"));
            r.drive(req -> script.get((int) req.messages().stream().filter(m -> m instanceof Message.Assistant).count()),
                    Limits.DEFAULT, new CountingTool("count", Effect.IDEMPOTENT));
        });
        scenarios.put("retried-then-answered", r -> {
            AtomicInteger n = new AtomicInteger();
            r.drive(req -> {
                if (n.incrementAndGet() <= 2) {
                    throw new ModelException(ModelException.Kind.RATE_LIMITED, "slow down", 1_500, null);
                }
                return answer("ok");
            }, Limits.DEFAULT);
        });
        scenarios.put("model-failed", r -> r.drive(req -> {
            throw new ModelException(ModelException.Kind.REJECTED, "HTTP 401: invalid api key");
        }, Limits.DEFAULT));
        scenarios.put("step-limit", r -> r.drive(callThenAnswer("count", 1_000), new Limits(5, 1_000_000, Duration.ofHours(1)),
                new CountingTool("count", Effect.READ_ONLY)));
        scenarios.put("cancelled", r -> r.cancelAfter(3, callThenAnswer("count", 5), new CountingTool("count", Effect.IDEMPOTENT)));
        scenarios.put("stuck-repeated-call", r -> r.drive(req -> toolCall("look", "{\"n\":1}"), Limits.DEFAULT,
                new CountingTool("look", Effect.IDEMPOTENT)));
        scenarios.put("fallback-answered", Recorder::fallback);
        scenarios.put("output-rejected-then-valid", Recorder::outputSchema);
        scenarios.put("in-doubt-decided-by-a-person", r -> r.inDoubt(null, "done"));
        scenarios.put("in-doubt-failed-by-a-person", r -> r.inDoubt(null, "fail"));
        scenarios.put("in-doubt-reconciled", r -> r.inDoubt(new Reconciliation.NotDone("no ledger line"), null));
        scenarios.put("interrupted-then-resumed", Recorder::interrupted);
        scenarios.put("budget-exhausted", Recorder::budgetExhausted);
        scenarios.put("approvals-granted-denied-expired", Recorder::approvals);
        for (var e : scenarios.entrySet()) {
            Recorder r = new Recorder(workspaces);
            e.getValue().accept(r);
            List<RunEvent> events = r.journal.events("f-1:t1");
            Files.write(DIR.resolve(e.getKey() + ".jsonl"), events.stream().map(EventCodec::encode).toList());
        }
        for (String name : journals().toList()) {
            List<RunEvent> events = Files.readAllLines(DIR.resolve(name + ".jsonl")).stream().map(EventCodec::decode).toList();
            Files.writeString(DIR.resolve(name + ".expected.json"), JSON.writeValueAsString(describe(RunFold.of(events))) + "\n");
        }
    }

    /** Plays one scenario against an in-memory journal with a clock that only moves when told. */
    static final class Recorder {
        final InMemoryJournal journal = new InMemoryJournal();
        final AtomicLong now = new AtomicLong(1_790_000_000_000L);
        final Path workspaces;

        Recorder(Path workspaces) {
            this.workspaces = workspaces;
        }

        RunLoop loop(Journal j) {
            return RunLoop.builder().journal(j).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                    .clock(() -> Instant.ofEpochMilli(now.addAndGet(7))).sleeper(d -> now.addAndGet(d.toMillis()))
                    .random(new java.util.Random(7)).build();
        }

        AgentRuntime agent(java.util.function.Function<io.myriad.core.model.ModelRequest, ModelResponse> script, Limits limits,
                Tool... tools) {
            var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT,
                    java.util.Arrays.stream(tools).map(Tool::name).toList(), limits, null, 0, null);
            return AgentRuntime.bind(spec, new ScriptedModel(script), "scripted", new ModelSpec.Pricing(0.5, 2), List.of(tools));
        }

        RunEvent.RunStarted started() {
            return new RunEvent.RunStarted(now.get(), "f", "f-1", "t1", "a", "do the thing", "scripted");
        }

        void drive(java.util.function.Function<io.myriad.core.model.ModelRequest, ModelResponse> script, Limits limits, Tool... tools) {
            loop(journal).start("f-1:t1", started(), agent(script, limits, tools), () -> false);
        }

        /** A run whose max_usd admits two tool-calling model calls, and not the third. */
        void budgetExhausted() {
            var ledger = io.myriad.core.budget.BudgetLedger.create(io.myriad.core.budget.BudgetLedger.Listener.NONE);
            RunLoop loop = RunLoop.builder().journal(journal).validator(REQUIRED_ONLY).workspaceRoot(workspaces)
                    .clock(() -> Instant.ofEpochMilli(now.addAndGet(7))).sleeper(d -> now.addAndGet(d.toMillis()))
                    .random(new java.util.Random(7)).budgets(ledger).build();
            Limits limits = new Limits(50, 200_000, Duration.ofMinutes(10), 1_000, 1_000,
                    java.util.OptionalDouble.of(0.0012), java.util.OptionalLong.empty());
            var tool = new CountingTool("count", Effect.IDEMPOTENT);
            var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT, List.of("count"), limits, null, 100, null);
            loop.start("f-1:t1", started(), AgentRuntime.bind(spec, new ScriptedModel(callThenAnswer("count", 1_000)), "scripted",
                    new ModelSpec.Pricing(0.5, 2), List.of(tool)), () -> false);
        }

        void cancelAfter(int appends, java.util.function.Function<io.myriad.core.model.ModelRequest, ModelResponse> script, Tool tool) {
            loop(journal).start("f-1:t1", started(), agent(script, Limits.DEFAULT, tool),
                    () -> journal.events("f-1:t1").size() >= appends);
        }

        void fallback() {
            AgentRuntime agent = agent(req -> {
                throw new ModelException(ModelException.Kind.SERVER_ERROR, "HTTP 503");
            }, Limits.DEFAULT).withFallback(new AgentRuntime.Model(new ScriptedModel(req -> answer("from the fallback")),
                    "backup", new ModelSpec.Pricing(1, 1)));
            loop(journal).start("f-1:t1", started(), agent, () -> false);
        }

        void outputSchema() {
            AtomicInteger n = new AtomicInteger();
            var base = agent(req -> n.incrementAndGet() == 1 ? answer("{\"x\":\"not a number\"}") : answer("{\"x\":1}"), Limits.DEFAULT);
            JsonNode schema;
            try {
                schema = JSON.readTree("{\"type\":\"object\",\"required\":[\"x\",\"y\"]}");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            var spec = new AgentSpec("a", "answer in JSON", ModelSpec.Simulated.DEFAULT, List.of(), Limits.DEFAULT, schema, 0, null);
            AtomicInteger m = new AtomicInteger();
            var agent = new AgentRuntime(spec, new ScriptedModel(req -> m.incrementAndGet() == 1 ? answer("{\"x\":1}")
                    : answer("{\"x\":1,\"y\":2}")), "scripted", base.pricing(), Map.of());
            loop(journal).start("f-1:t1", started(), agent, () -> false);
        }

        /** A crash during an irreversible call, then a reconcile answer or a person's decision. */
        void inDoubt(Reconciliation reconcile, String decision) {
            var first = new InMemoryJournal();
            loop(first).start("f-1:t1", started(), agent(callThenAnswer("pay", 1), Limits.DEFAULT,
                    new CountingTool("pay", Effect.IRREVERSIBLE)), () -> false);
            List<RunEvent> full = first.events("f-1:t1");
            int intent = 0;
            while (!(full.get(intent) instanceof RunEvent.ToolCallStarted)) {
                intent++;
            }
            List<RunEvent> prefix = new ArrayList<>(full.subList(0, intent + 1));
            journal.append(new Journal.Append("f-1:t1", 0, prefix, RunFold.of(prefix).status())).join();
            Tool tool = new CountingTool("pay", Effect.IRREVERSIBLE);
            if (reconcile != null) {
                CountingTool inner = new CountingTool("pay", Effect.IRREVERSIBLE);
                tool = new Tool() {
                    @Override
                    public io.myriad.core.model.ToolDefinition definition() {
                        return inner.definition();
                    }

                    @Override
                    public Effect effect() {
                        return inner.effect();
                    }

                    @Override
                    public ToolResult invoke(JsonNode arguments, ToolContext context) {
                        return inner.invoke(arguments, context);
                    }

                    @Override
                    public Reconciliation reconcile(JsonNode arguments, ToolContext context) {
                        return reconcile;
                    }
                };
            }
            AgentRuntime agent = agent(callThenAnswer("pay", 1), Limits.DEFAULT, tool);
            loop(journal).drive("f-1:t1", RunFold.of(journal.events("f-1:t1")), agent, () -> false);
            if (decision != null) {
                Decisions.resolve(journal, () -> Instant.ofEpochMilli(now.addAndGet(60_000)), "f-1:t1", null, decision,
                        "paid, receipt 7", "alice", "checked the bank");
                loop(journal).drive("f-1:t1", RunFold.of(journal.events("f-1:t1")), agent, () -> false);
            }
        }

        /** Three calls that need approval: one approved (made once), one denied, one expired. */
        void approvals() {
            var tool = new CountingTool("pay", Effect.IRREVERSIBLE);
            AgentRuntime agent = agent(callThenAnswer("pay", 3), Limits.DEFAULT, tool).withPolicy(io.myriad.core.policy.Policy.of(
                    List.of(io.myriad.core.policy.Rule.of("payments", io.myriad.core.policy.Decision.Effect.NEEDS_APPROVAL, "pay",
                            List.of()))));
            loop(journal).start("f-1:t1", started(), agent, () -> false);
            java.util.function.Supplier<String> waiting = () -> RunFold.of(journal.events("f-1:t1")).awaitingApproval()
                    .orElseThrow().callId();
            Approvals.decide(journal, () -> Instant.ofEpochMilli(now.addAndGet(60_000)), "f-1:t1", waiting.get(), true,
                    "key:k_1", "within budget");
            loop(journal).drive("f-1:t1", RunFold.of(journal.events("f-1:t1")), agent, () -> false);
            Approvals.decide(journal, () -> Instant.ofEpochMilli(now.addAndGet(60_000)), "f-1:t1", waiting.get(), false,
                    "key:k_1", "too expensive");
            loop(journal).drive("f-1:t1", RunFold.of(journal.events("f-1:t1")), agent, () -> false);
            now.addAndGet(java.time.Duration.ofHours(24).toMillis());
            loop(journal).drive("f-1:t1", RunFold.of(journal.events("f-1:t1")), agent, () -> false);
        }

        void interrupted() {
            var tool = new CountingTool("count", Effect.IDEMPOTENT);
            AgentRuntime agent = agent(callThenAnswer("count", 2), Limits.DEFAULT, tool);
            RunLoop loop = loop(journal);
            RunFold fold = new RunFold();
            loop.start("f-1:t1", started(), fold);
            AtomicInteger checks = new AtomicInteger();
            loop.next("f-1:t1", fold, agent, () -> false, () -> checks.incrementAndGet() > 1);
            loop.onModelResponse("f-1:t1", fold, agent, new ModelResponse(
                    new Message.Assistant("", List.of(new io.myriad.core.model.ToolCall("call_1", "count", "{\"n\":0}"))),
                    new Usage(100, 10), "tool_calls", "scripted"), 30);
            loop.interrupt("f-1:t1", fold, "the engine shut down gracefully; the run resumes on the next start");
            loop.drive("f-1:t1", RunFold.of(journal.events("f-1:t1")), agent, () -> false);
        }
    }
}
