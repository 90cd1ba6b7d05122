package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.model.Message;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ToolCall;
import io.myriad.core.model.Usage;
import io.myriad.core.tool.Effect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet runner: runs as step chains that hold no thread while they wait, and passivate. */
class FleetRunnerTest {
    @TempDir
    Path workspaces;

    final ExecutorService virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        virtualThreads.shutdownNow(); // interrupts a runner a failed test left waiting
        timer.shutdownNow();
    }

    /** An executor that counts the steps running on it right now. */
    static final class CountingExecutor implements Executor {
        final Executor delegate;
        final AtomicInteger running = new AtomicInteger();

        CountingExecutor(Executor delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable command) {
            delegate.execute(() -> {
                running.incrementAndGet();
                try {
                    command.run();
                } finally {
                    running.decrementAndGet();
                }
            });
        }
    }

    /** Calls the tool once per run, then answers; every call stays open until released. */
    static final class HeldModel implements ModelProvider {
        final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
        final AtomicInteger requests = new AtomicInteger();

        @Override
        public ModelResponse complete(ModelRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ModelResponse> completeAsync(ModelRequest request, Executor executor) {
            requests.incrementAndGet();
            boolean answered = request.messages().stream().anyMatch(m -> m instanceof Message.ToolResult);
            ModelResponse r = answered
                    ? new ModelResponse(new Message.Assistant("done", List.of()), new Usage(10, 2), "stop", "held")
                    : new ModelResponse(new Message.Assistant("", List.of(new ToolCall("c1", "count", "{\"n\":1}"))),
                            new Usage(10, 2), "tool_calls", "held");
            var f = new CompletableFuture<ModelResponse>();
            held.add(() -> f.complete(r));
            return f;
        }

        /**
         * Answers the calls held now, not those the answers cause: a run answered here may make its
         * next call while this loops, and that call must wait for the next release.
         */
        int releaseAll() {
            int n = held.size();
            for (int i = 0; i < n; i++) {
                held.poll().run();
            }
            return n;
        }

        @Override
        public String describe() {
            return "held";
        }

        @Override
        public boolean simulated() {
            return true;
        }
    }

    @Test
    void waitingRunsHoldNoThreadAndPassivatedRunsReloadFromTheJournal() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        HeldModel model = new HeldModel();
        var tool = new RunLoopTest.CountingTool("count", Effect.IDEMPOTENT);
        var spec = new AgentSpec("a", "count", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, model, "held", ModelSpec.Pricing.FREE, List.of(tool));
        RunLoop loop = RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(workspaces).build();
        CountingExecutor steps = new CountingExecutor(virtualThreads);
        ModelGateway gateway = ModelGateway.builder().provider(model).maxConcurrency(1_000).executor(steps).timer(timer).build();
        FleetRunner runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal).agents(n -> agent)
                .gateways(p -> gateway).executor(steps).timer(timer).passivateAfter(Duration.ofMillis(20)).build();
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            tasks.add(new TaskSpec("t" + i, "a", "task " + i, 0));
        }
        var fleet = new FleetSpec("f", 200, Map.of("a", spec), tasks, List.of(), "test", "d");
        var execution = new RunRepository.Execution("f-1", "f", "d", "test", 0, 0, 200);

        CompletableFuture<FleetRunner.Summary> summary = CompletableFuture.supplyAsync(
                () -> runner.run(fleet, execution, FleetRunner.Listener.NONE), virtualThreads);

        // Every run reaches its first model call and waits: no step is running on any thread.
        awaitCondition(() -> gateway.inFlight() == 200 && steps.running.get() == 0);
        assertThat(runner.activeRuns()).isEqualTo(200);
        // Waiting longer than the threshold drops every run's fold.
        awaitCondition(() -> runner.passivations() >= 200);

        // The answers arrive; each run reloads its history from the journal and goes on.
        awaitCondition(() -> {
            model.releaseAll();
            return summary.isDone();
        });
        FleetRunner.Summary s = summary.join();
        assertThat(s.succeeded()).isEqualTo(200);
        assertThat(s.modelCalls()).isEqualTo(400);
        assertThat(model.requests.get()).isEqualTo(400);
        assertThat(tool.invocations).hasValue(200);
        for (int i = 0; i < 200; i++) {
            List<RunEvent> events = journal.events("f-1:t" + i);
            assertThat(RunFold.of(events).state()).isEqualTo(RunState.SUCCEEDED);
        }
    }

    @Test
    void aRunningExecutionContinuesARunAsSoonAsItsApprovalIsDecidedElsewhere() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        var tool = new RunLoopTest.CountingTool("count", Effect.IRREVERSIBLE);
        var approver = new AgentSpec("a", "count", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);
        AgentRuntime needsApproval = AgentRuntime.bind(approver, new RunLoopTest.ScriptedModel(RunLoopTest.callThenAnswer("count", 1)),
                "scripted", ModelSpec.Pricing.FREE, List.of(tool)).withPolicy(io.myriad.core.policy.Policy.of(List.of(
                io.myriad.core.policy.Rule.of("ask", io.myriad.core.policy.Decision.Effect.NEEDS_APPROVAL, "count", List.of()))));
        HeldModel held = new HeldModel();
        var slow = new AgentSpec("b", "count", ModelSpec.Simulated.DEFAULT, List.of(), Limits.DEFAULT, null, 0, null);
        AgentRuntime busy = AgentRuntime.bind(slow, held, "held", ModelSpec.Pricing.FREE, List.of());
        RunLoop loop = RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(workspaces).build();
        ModelGateway scripted = ModelGateway.builder().provider(needsApproval.provider()).maxConcurrency(10).executor(virtualThreads)
                .timer(timer).build();
        ModelGateway waiting = ModelGateway.builder().provider(held).maxConcurrency(10).executor(virtualThreads).timer(timer).build();
        FleetRunner runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal)
                .agents(n -> n.equals("a") ? needsApproval : busy).gateways(p -> p == held ? waiting : scripted)
                .executor(virtualThreads).timer(timer).build();
        var fleet = new FleetSpec("f", 4, Map.of("a", approver, "b", slow),
                List.of(new TaskSpec("pay", "a", "pay", 0), new TaskSpec("slow", "b", "wait", 0)), List.of(), "test", "d");
        var execution = new RunRepository.Execution("f-1", "f", "d", "test", 0, 0, 2);

        CompletableFuture<FleetRunner.Summary> summary = CompletableFuture.supplyAsync(
                () -> runner.run(fleet, execution, FleetRunner.Listener.NONE), virtualThreads);
        awaitCondition(() -> RunFold.of(journal.events("f-1:pay")).state() == RunState.AWAITING_APPROVAL);
        assertThat(tool.invocations).hasValue(0);

        // Another terminal approves; the running execution sees it and continues the run, no restart.
        String callId = RunFold.of(journal.events("f-1:pay")).awaitingApproval().orElseThrow().callId();
        Approvals.decide(journal, java.time.InstantSource.system(), "f-1:pay", callId, true, "key:k_1", "ok");
        awaitCondition(() -> RunFold.of(journal.events("f-1:pay")).state() == RunState.SUCCEEDED);
        assertThat(tool.invocations).hasValue(1);
        assertThat(summary).isNotDone();

        awaitCondition(() -> held.requests.get() == 1);
        held.releaseAll();
        awaitCondition(() -> held.requests.get() == 2);
        held.releaseAll();
        FleetRunner.Summary s = summary.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(s.succeeded()).isEqualTo(2);
        assertThat(s.awaitingApproval()).isZero();
        assertThat(tool.invocations).hasValue(1);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 10_000; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(2);
        }
        assertThat(condition.getAsBoolean()).as("condition within 20 s").isTrue();
    }
}
