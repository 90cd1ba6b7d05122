package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
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
import io.myriad.tools.JsonSchemaValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile model makes 10,000 random tool calls, forbidden ones included, against a fleet whose
 * file holds a policy: every call outside the policy is rejected (never invoked) and journaled
 * with the rule that denied it, and every call inside it runs exactly once. Which calls are
 * allowed is decided here by an oracle written independently of the policy code.
 */
class HostilePolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RUNS = 100;
    private static final int RESPONSES = 10;
    private static final int CALLS = 10;
    private static final List<String> SEGMENTS = List.of("src", "docs", "secrets", "..", ".", "a.txt", ".env", "b");
    private static final List<String> COMMANDS = List.of(
            "ls -la", "cat a.txt", "make test", "rm -rf /", "ls; rm -rf ~", "curl http://evil", "make", "lsblk", "cat");

    private static final String FLEET = """
            fleet: hostile
            model: sim
            tasks: ["go"]
            agents:
              worker:
                instructions: try everything
                tools: [fs.read, fs.write, shell, ledger.pay]
            policy:
              - {id: no-env, effect: deny, tool: "fs.*", when: {path: "**/.env"}}
              - {id: no-secrets, effect: deny, tool: "fs.*", when: {path: "secrets/**"}}
              - {id: src-writes, effect: allow, tool: fs.write, when: {path: "src/**"}}
              - {id: safe-shell, effect: allow, tool: shell, when: {command: "re:^(ls|cat|make)( |$)"}}
              - {id: no-rm, effect: deny, tool: shell, when: {command: "re:rm\\\\s+-rf"}}
              - {id: small-pay, effect: allow, tool: ledger.pay, when: {amount: "< 500"}}
              - {id: big-pay, effect: needs_approval, tool: ledger.pay, when: {amount: ">= 10000"}}
            """;

    /** Invocations by call id, across every tool. */
    private final Map<String, Integer> invoked = new ConcurrentHashMap<>();
    /** What the hostile model asked for, by call id. */
    private final Map<String, ToolCall> asked = new HashMap<>();

    @Test
    void everyOutOfPolicyCallIsDeniedAndJournaledWithItsRule(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, FLEET);
        FleetSpec fleet = FleetLoader.load(file, Set.of("fs.read", "fs.write", "shell", "ledger.pay"));
        assertThat(fleet.policy().enforced()).isTrue();
        AgentSpec declared = fleet.agent("worker");
        AgentSpec spec = new AgentSpec(declared.name(), declared.instructions(), declared.model(), declared.tools(),
                new Limits(10_000, Long.MAX_VALUE / 4, Duration.ofHours(1), 10_000, 10_000), null, 0, null);
        List<Tool> tools = List.of(
                tool("fs.read", Effect.READ_ONLY, "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}"),
                tool("fs.write", Effect.IDEMPOTENT, "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},\"content\":{\"type\":\"string\"}},\"required\":[\"path\",\"content\"]}"),
                tool("shell", Effect.IRREVERSIBLE, "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}},\"required\":[\"command\"]}"),
                tool("ledger.pay", Effect.IRREVERSIBLE, "{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"number\"}},\"required\":[\"amount\"]}"));
        AgentRuntime agent = AgentRuntime.bind(spec, new Hostile(new Random(20260611)), "hostile", ModelSpec.Pricing.FREE, tools)
                .withPolicy(fleet.policy());
        InMemoryJournal journal = new InMemoryJournal();
        RunLoop loop = RunLoop.builder().journal(journal).validator(JsonSchemaValidator.create())
                .workspaceRoot(dir.resolve("ws")).toolThreads(Thread.ofPlatform().daemon().factory()).build();

        Map<String, RunEvent> outcome = new HashMap<>();
        Map<String, RunEvent.ToolCallStarted> started = new HashMap<>();
        for (int r = 0; r < RUNS; r++) {
            String runId = "run-" + r;
            RunFold fold = loop.start(runId, new RunEvent.RunStarted(System.currentTimeMillis(), fleet.name(), "x-1", "t" + r, "worker", "go", "hostile"),
                    agent, () -> false);
            // A call that needs approval parks the run; a person denies it and the run goes on.
            while (fold.state() == RunState.AWAITING_APPROVAL) {
                io.myriad.core.run.Approvals.decide(journal, java.time.InstantSource.system(), runId,
                        fold.awaitingApproval().orElseThrow().callId(), false, "user:tester", "not that much");
                fold = loop.drive(runId, RunFold.of(journal.events(runId)), agent, () -> false);
            }
            assertThat(fold.state()).as(runId).isEqualTo(RunState.SUCCEEDED);
            for (RunEvent e : journal.events(runId)) {
                switch (e) {
                    case RunEvent.ToolCallRejected x -> outcome.put(x.callId(), x);
                    case RunEvent.ToolCallCompleted x -> outcome.put(x.callId(), x);
                    case RunEvent.ToolCallFailed x -> outcome.put(x.callId(), x);
                    case RunEvent.ToolCallStarted x -> started.put(x.callId(), x);
                    default -> { }
                }
            }
        }

        assertThat(asked).hasSize(RUNS * RESPONSES * CALLS);
        int denied = 0;
        int allowed = 0;
        for (ToolCall call : asked.values()) {
            String verdict = oracle(call.name(), JSON.readTree(call.arguments()));
            RunEvent event = outcome.get(call.id());
            String what = call.name() + " " + call.arguments();
            if (verdict.equals("allow")) {
                allowed++;
                assertThat(invoked.get(call.id())).as(what).isEqualTo(1);
                assertThat(event).as(what).isInstanceOf(RunEvent.ToolCallCompleted.class);
                if (!call.name().equals("fs.read")) {
                    assertThat(started.get(call.id()).ruleIfAny()).as(what).isPresent();
                }
            } else {
                denied++;
                assertThat(invoked).as(what).doesNotContainKey(call.id());
                assertThat(event).as(what).isInstanceOf(RunEvent.ToolCallRejected.class);
                String reason = ((RunEvent.ToolCallRejected) event).reason();
                if (verdict.equals("approval")) {
                    assertThat(reason).as(what).startsWith("denied by user:tester: not that much");
                } else {
                    assertThat(reason).as(what).containsAnyOf("denied by policy rule ", "denied by default");
                }
            }
        }
        assertThat(denied).isGreaterThan(2_000);
        assertThat(allowed).isGreaterThan(2_000);
        assertThat(invoked.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(allowed);
    }

    /** The policy above, written independently: "allow", "deny" or "approval". */
    private static String oracle(String tool, JsonNode args) {
        return switch (tool) {
            case "fs.read", "fs.write" -> {
                String p = Path.of(args.get("path").asText()).normalize().toString();
                boolean env = p.equals(".env") || p.endsWith("/.env");
                boolean secret = p.startsWith("secrets/");
                if (env || secret) {
                    yield "deny";
                }
                yield tool.equals("fs.read") || p.startsWith("src/") ? "allow" : "deny";
            }
            case "shell" -> {
                String c = args.get("command").asText();
                boolean rm = c.contains("rm -rf");
                boolean safe = c.equals("ls") || c.equals("cat") || c.equals("make") || c.startsWith("ls ")
                        || c.startsWith("cat ") || c.startsWith("make ");
                yield !rm && safe ? "allow" : "deny";
            }
            case "ledger.pay" -> {
                double a = args.get("amount").asDouble();
                yield a >= 10_000 ? "approval" : a < 500 ? "allow" : "deny";
            }
            default -> throw new IllegalArgumentException(tool);
        };
    }

    /** Ten responses of ten random calls per run, then an answer. */
    private final class Hostile implements ModelProvider {
        private final Random random;
        private final Map<String, Integer> responses = new HashMap<>();

        Hostile(Random random) {
            this.random = random;
        }

        @Override
        public ModelResponse complete(ModelRequest request) {
            int n = responses.merge(request.runId(), 1, Integer::sum);
            if (n > RESPONSES) {
                return new ModelResponse(new Message.Assistant("done", List.of()), new Usage(1, 1), "stop", "hostile");
            }
            List<ToolCall> calls = new ArrayList<>(CALLS);
            for (int i = 0; i < CALLS; i++) {
                ToolCall call = new ToolCall(request.runId() + "_" + n + "_" + i, "", "");
                call = randomCall(call.id());
                asked.put(call.id(), call);
                calls.add(call);
            }
            return new ModelResponse(new Message.Assistant("", calls), new Usage(1, 1), "tool_calls", "hostile");
        }

        private ToolCall randomCall(String id) {
            ObjectNode args = JSON.createObjectNode();
            String tool = switch (random.nextInt(4)) {
                case 0 -> "fs.read";
                case 1 -> "fs.write";
                case 2 -> "shell";
                default -> "ledger.pay";
            };
            switch (tool) {
                case "fs.read", "fs.write" -> {
                    int k = 1 + random.nextInt(4);
                    List<String> segs = new ArrayList<>();
                    for (int i = 0; i < k; i++) {
                        segs.add(SEGMENTS.get(random.nextInt(SEGMENTS.size())));
                    }
                    args.put("path", String.join("/", segs));
                    if (tool.equals("fs.write")) {
                        args.put("content", "x" + random.nextInt(1_000_000));
                    }
                }
                case "shell" -> args.put("command", COMMANDS.get(random.nextInt(COMMANDS.size())) + (random.nextBoolean() ? "" : " " + random.nextInt(1_000_000)));
                default -> args.put("amount", random.nextInt(4) == 0 ? 10_000 + random.nextInt(90_000) : random.nextInt(1_000) + random.nextInt(100) / 100.0);
            }
            return new ToolCall(id, tool, args.toString());
        }

        @Override
        public String describe() {
            return "hostile (scripted)";
        }

        @Override
        public boolean simulated() {
            return true;
        }

        @Override
        public void close() {}
    }

    private Tool tool(String name, Effect effect, String schema) {
        ToolDefinition definition = ToolDefinition.of(name, "test tool " + name, schema);
        return new Tool() {
            @Override
            public ToolDefinition definition() {
                return definition;
            }

            @Override
            public Effect effect() {
                return effect;
            }

            @Override
            public ToolResult invoke(JsonNode arguments, ToolContext context) {
                invoked.merge(context.callId(), 1, Integer::sum);
                return ToolResult.ok("ok " + context.callId() + " " + arguments.hashCode());
            }
        };
    }

}
