package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.control.Scope;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kill and pause on the fleet runner: nothing leaves after a kill; a pause keeps the work. */
@org.junit.jupiter.api.Timeout(60)
class FleetRunnerControlTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RUNS = 50;

    @TempDir
    Path workspaces;

    final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final InMemoryJournal journal = new InMemoryJournal();
    final FleetRunnerTest.HeldModel model = new FleetRunnerTest.HeldModel();

    @AfterEach
    void close() {
        // Interrupts a runner a failed test left waiting, instead of waiting for it forever.
        threads.shutdownNow();
        timer.shutdownNow();
    }

    /** A tool that blocks until interrupted (like a sandboxed {@code sleep 120}), counting starts and stops. */
    static final class BlockingTool implements Tool {
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger interrupted = new AtomicInteger();
        final boolean blocks;

        BlockingTool(boolean blocks) {
            this.blocks = blocks;
        }

        @Override
        public ToolDefinition definition() {
            return new ToolDefinition("count", "blocks", JSON.createObjectNode().put("type", "object"));
        }

        @Override
        public Effect effect() {
            return Effect.IRREVERSIBLE;
        }

        @Override
        public ToolResult invoke(JsonNode arguments, ToolContext context) {
            started.incrementAndGet();
            if (blocks) {
                try {
                    Thread.sleep(Duration.ofMinutes(2));
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    Thread.currentThread().interrupt();
                    return ToolResult.error("killed");
                }
            }
            return ToolResult.ok("counted");
        }
    }

    private record Started(FleetRunner runner, CompletableFuture<FleetRunner.Summary> summary) {}

    private Started start(Tool tool) {
        var spec = new AgentSpec("a", "count", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, model, "held", ModelSpec.Pricing.FREE, List.of(tool));
        RunLoop loop = RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(workspaces).build();
        ModelGateway gateway = ModelGateway.builder().provider(model).maxConcurrency(1_000).executor(threads).timer(timer).build();
        FleetRunner runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal).agents(n -> agent)
                .gateways(p -> gateway).executor(threads).timer(timer).tenant("acme").build();
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            tasks.add(new TaskSpec("t" + i, "a", "task " + i, 0));
        }
        var fleet = new FleetSpec("f", RUNS, Map.of("a", spec), tasks, List.of(), "test", "d");
        var execution = new RunRepository.Execution("f-1", "f", "d", "test", 0, 0, RUNS, "acme");
        return new Started(runner, CompletableFuture.supplyAsync(() -> runner.run(fleet, execution, FleetRunner.Listener.NONE), threads));
    }

    private List<RunEvent> events(int i) {
        return journal.events("f-1:t" + i);
    }

    @Test
    void aKillCancelsRunsWaitingForTheModelAndTheirAnswersAreIgnored() throws Exception {
        BlockingTool tool = new BlockingTool(false);
        Started s = start(tool);
        awaitCondition(() -> model.held.size() == RUNS);

        s.runner().kill(new Scope.Fleet("acme", "f"), "killed by local:alice: runaway");
        FleetRunner.Summary summary = s.summary().get(10, TimeUnit.SECONDS);
        assertThat(summary.cancelled()).isEqualTo(RUNS);
        int requests = model.requests.get();
        model.releaseAll(); // the answers come back after the kill: each asks for a tool call
        Thread.sleep(200);

        assertThat(tool.started).as("no tool call after the kill").hasValue(0);
        assertThat(model.requests).as("no model call after the kill").hasValue(requests);
        for (int i = 0; i < RUNS; i++) {
            List<RunEvent> events = events(i);
            assertThat(events.getLast()).isInstanceOfSatisfying(RunEvent.RunCancelled.class,
                    c -> assertThat(c.reason()).startsWith("killed by local:alice: runaway").contains("model call was abandoned"));
            assertThat(events).noneMatch(e -> e instanceof RunEvent.ModelResponded);
        }
    }

    @Test
    void aKillStopsToolCallsInFlightAndNoneStartsAfterwards() throws Exception {
        BlockingTool tool = new BlockingTool(true);
        Started s = start(tool);
        awaitCondition(() -> model.held.size() == RUNS);
        model.releaseAll();
        awaitCondition(() -> tool.started.get() == RUNS);

        s.runner().kill(new Scope.All(), "killed by local:bob");
        FleetRunner.Summary summary = s.summary().get(10, TimeUnit.SECONDS);
        assertThat(summary.cancelled()).isEqualTo(RUNS);
        awaitCondition(() -> tool.interrupted.get() == RUNS);
        assertThat(tool.started).hasValue(RUNS);
        for (int i = 0; i < RUNS; i++) {
            assertThat(events(i).getLast()).isInstanceOfSatisfying(RunEvent.RunCancelled.class,
                    c -> assertThat(c.reason()).startsWith("killed by local:bob").contains("was running and was stopped"));
        }
    }

    @Test
    void aKillOfOneRunLeavesTheOthersAndOtherScopesMatchNothing() throws Exception {
        BlockingTool tool = new BlockingTool(false);
        Started s = start(tool);
        awaitCondition(() -> model.held.size() == RUNS);
        s.runner().kill(new Scope.Run("f-1:t7"), "killed by local:alice");
        s.runner().kill(new Scope.Tenant("other"), "killed by local:alice");
        s.runner().kill(new Scope.Fleet("acme", "g"), "killed by local:alice");
        awaitCondition(() -> !events(7).isEmpty() && events(7).getLast() instanceof RunEvent.RunCancelled);
        while (!s.summary().isDone()) {
            model.releaseAll();
            Thread.sleep(5);
        }
        FleetRunner.Summary summary = s.summary().get();
        assertThat(summary.cancelled()).isEqualTo(1);
        assertThat(summary.succeeded()).isEqualTo(RUNS - 1);
        assertThat(tool.started).hasValue(RUNS - 1);
    }

    @Test
    void aPauseStopsRunsAtTheirStepBoundaryAndAResumeFinishesThemWithNothingLost() throws Exception {
        BlockingTool tool = new BlockingTool(false);
        Started s = start(tool);
        awaitCondition(() -> model.held.size() == RUNS);

        s.runner().pause();
        model.releaseAll(); // in-flight model calls finish and are journaled; the tool calls they ask for wait
        awaitCondition(() -> s.runner().parkedRuns() == RUNS);
        Thread.sleep(100);
        assertThat(tool.started).as("paused: no tool call").hasValue(0);
        assertThat(s.summary()).isNotDone();
        for (int i = 0; i < RUNS; i++) {
            assertThat(events(i)).anyMatch(e -> e instanceof RunEvent.ModelResponded);
        }

        s.runner().resume();
        while (!s.summary().isDone()) {
            model.releaseAll();
            Thread.sleep(5);
        }
        FleetRunner.Summary summary = s.summary().get();
        assertThat(summary.succeeded()).isEqualTo(RUNS);
        assertThat(summary.cancelled()).isZero();
        assertThat(tool.started).as("each tool call made once").hasValue(RUNS);
    }

    @Test
    void aModelCallQueuedWhilePausedIsNotSentUntilResumed() throws Exception {
        BlockingTool tool = new BlockingTool(false);
        Started s = start(tool);
        awaitCondition(() -> model.held.size() == RUNS);
        model.releaseAll();
        try {
            awaitCondition(() -> model.held.size() == RUNS); // second model call of every run, after its tool call
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + notFinal(s), e);
        }
        s.runner().pause();
        int requests = model.requests.get();
        model.releaseAll();
        try {
            s.summary().get(10, TimeUnit.SECONDS); // answers that end runs need no further step
        } catch (java.util.concurrent.TimeoutException e) {
            StringBuilder b = new StringBuilder("runs not final: parked=" + s.runner().parkedRuns() + ", held=" + model.held.size()
                    + ", requests=" + model.requests.get() + "\n");
            for (int i = 0; i < RUNS; i++) {
                var ev = events(i);
                if (!RunFold.of(ev).state().isFinal()) {
                    b.append("t").append(i).append(": ").append(ev.stream().map(x -> x.getClass().getSimpleName()).toList()).append("\n");
                }
            }
            System.out.println(b);
            throw e;
        }
        assertThat(model.requests).hasValue(requests);
        assertThat(s.summary().get().succeeded()).isEqualTo(RUNS);
    }

    @Test
    void aKillReachesPausedRuns() throws Exception {
        BlockingTool tool = new BlockingTool(false);
        Started s = start(tool);
        awaitCondition(() -> model.held.size() == RUNS);
        s.runner().pause();
        model.releaseAll();
        awaitCondition(() -> s.runner().parkedRuns() == RUNS);
        s.runner().kill(new Scope.All(), "killed by local:carol");
        assertThat(s.summary().get(10, TimeUnit.SECONDS).cancelled()).isEqualTo(RUNS);
        assertThat(tool.started).hasValue(0);
    }

    /** The runs that are not final, with their events: what a timed-out wait leaves behind. */
    private String notFinal(Started s) {
        StringBuilder b = new StringBuilder("held=" + model.held.size() + ", requests=" + model.requests.get() + ", parked="
                + s.runner().parkedRuns() + ", summary done=" + s.summary().isDone() + "\n");
        if (s.summary().isDone()) {
            b.append(s.summary().join()).append('\n');
        }
        for (int i = 0; i < RUNS; i++) {
            var ev = events(i);
            if (ev.isEmpty() || !RunFold.of(ev).state().isFinal()) {
                b.append("t").append(i).append(": ").append(ev.stream().map(x -> x.getClass().getSimpleName()).toList()).append('\n');
            }
        }
        return b.toString();
    }

    private static void awaitCondition(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 10_000; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(2);
        }
        assertThat(condition.getAsBoolean()).as("condition within 20 s").isTrue();
    }
}
