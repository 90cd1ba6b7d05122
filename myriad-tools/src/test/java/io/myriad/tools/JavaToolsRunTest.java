package io.myriad.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.Message;
import io.myriad.core.model.ToolCall;
import io.myriad.core.run.AgentRuntime;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunLoop;
import io.myriad.core.run.RunState;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Java tools through the run loop: a call that outlives its timeout, and a result over its cap. */
class JavaToolsRunTest {
    @TempDir
    Path workspaces;

    public static final class Slow {
        final CountDownLatch interrupted = new CountDownLatch(1);

        @ToolMethod(name = "slow.read", description = "reads slowly", effect = Effect.READ_ONLY, timeout = "200ms")
        public String read() throws InterruptedException {
            return sleep();
        }

        @ToolMethod(name = "slow.pay", description = "pays slowly", effect = Effect.IRREVERSIBLE, timeout = "200ms")
        public String pay() throws InterruptedException {
            return sleep();
        }

        @ToolMethod(name = "big.read", description = "says much", effect = Effect.READ_ONLY, maxOutputChars = 10)
        public String big() {
            return "x".repeat(25);
        }

        private String sleep() throws InterruptedException {
            try {
                Thread.sleep(60_000);
                return "slept";
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        }
    }

    private RunFold run(Slow slow, String runId, ToolCall call) {
        List<Tool> tools = JavaTools.from(slow);
        var model = new InvalidArgumentsRunTest.ScriptedModel(List.of(call));
        var spec = new AgentSpec("a", "be useful", ModelSpec.Simulated.DEFAULT,
                tools.stream().map(Tool::name).toList(), Limits.DEFAULT, null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, model, "scripted", ModelSpec.Pricing.FREE, tools);
        RunLoop loop = RunLoop.builder()
                .journal(new InMemoryJournal())
                .validator(JsonSchemaValidator.create())
                .workspaceRoot(workspaces)
                .clock(() -> Instant.ofEpochMilli(1_000_000))
                .sleeper(d -> { })
                .random(new java.util.Random(7))
                .build();
        RunFold fold = loop.start(runId, new RunEvent.RunStarted(1_000_000, "f", "f-1", "t1",
                "a", "do the thing", "scripted"), agent, () -> false);
        this.lastModel = model;
        return fold;
    }

    InvalidArgumentsRunTest.ScriptedModel lastModel;

    @Test
    void aReadOnlyCallThatTimesOutFailsAndTheModelReadsWhy() throws Exception {
        Slow slow = new Slow();
        long begin = System.nanoTime();
        RunFold fold = run(slow, "f-1:t1", new ToolCall("c1", "slow.read", "{}"));
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - begin)).isLessThan(java.time.Duration.ofSeconds(10));
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        Message.ToolResult result = (Message.ToolResult) lastModel.requests.get(1).messages().getLast();
        assertThat(result.content()).contains("slow.read timed out after 200 ms").contains("calling it again is safe");
        assertThat(slow.interrupted.await(5, TimeUnit.SECONDS)).as("the timed-out call was interrupted").isTrue();
    }

    @Test
    void anIrreversibleCallThatTimesOutGoesInDoubt() {
        Slow slow = new Slow();
        RunFold fold = run(slow, "f-1:t2", new ToolCall("c1", "slow.pay", "{}"));
        assertThat(fold.state()).isEqualTo(RunState.IN_DOUBT);
        assertThat(fold.inDoubtCall()).hasValueSatisfying(c -> assertThat(c.call().id()).isEqualTo("c1"));
        assertThat(fold.inDoubtCall().orElseThrow().status().name()).isEqualTo("STARTED");
        assertThat(lastModel.requests).hasSize(1);
    }

    @Test
    void aResultIsCappedAtTheToolsOwnLimit() {
        RunFold fold = run(new Slow(), "f-1:t3", new ToolCall("c1", "big.read", "{}"));
        assertThat(fold.state()).isEqualTo(RunState.SUCCEEDED);
        Message.ToolResult result = (Message.ToolResult) lastModel.requests.get(1).messages().getLast();
        assertThat(result.content()).isEqualTo("xxxxxxxxxx\n[truncated: 15 more characters]");
    }
}
