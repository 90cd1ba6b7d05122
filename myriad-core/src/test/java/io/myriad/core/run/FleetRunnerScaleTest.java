package io.myriad.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.FleetRunnerControlTest.BlockingTool;
import java.nio.file.Path;
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

/** Scaling a running execution: more runs at once straight away, fewer once runs in progress finish. */
@org.junit.jupiter.api.Timeout(60)
class FleetRunnerScaleTest {
    private static final int RUNS = 30;

    @TempDir
    Path root;

    final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final InMemoryJournal journal = new InMemoryJournal();
    final FleetRunnerTest.HeldModel model = new FleetRunnerTest.HeldModel();

    @AfterEach
    void close() {
        threads.shutdownNow();
        timer.shutdownNow();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void scalingUpAdmitsMoreRunsAtOnceAndScalingDownLetsRunsInProgressFinish() throws Exception {
        var spec = new AgentSpec("a", "count", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, model, "held", ModelSpec.Pricing.FREE, List.of(new BlockingTool(false)));
        RunLoop loop = RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(root).build();
        ModelGateway gateway = ModelGateway.builder().provider(model).maxConcurrency(1_000).executor(threads).timer(timer).build();
        FleetRunner runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal).agents(n -> agent)
                .gateways(p -> gateway).executor(threads).timer(timer).build();
        assertThatThrownBy(() -> runner.scale(4)).isInstanceOf(IllegalStateException.class);
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            tasks.add(new TaskSpec("t" + i, "a", "task " + i, 0));
        }
        var fleet = new FleetSpec("f", 2, Map.of("a", spec), tasks, List.of(), "test", "d");
        var execution = new RunRepository.Execution("f-1", "f", "d", "test", 0, 0, RUNS, "default");
        AtomicInteger finished = new AtomicInteger();
        var summary = CompletableFuture.supplyAsync(() -> runner.run(fleet, execution, new FleetRunner.Listener() {
            @Override
            public void runFinished(String runId, RunStatus status) {
                finished.incrementAndGet();
            }
        }), threads);

        await(() -> model.held.size() == 2, "two runs at the model");
        Thread.sleep(100);
        assertThat(model.held).as("concurrency 2").hasSize(2);
        assertThat(runner.scale(6)).isEqualTo(2);
        await(() -> model.held.size() == 6, "six runs at the model after scaling up");
        Thread.sleep(100);
        assertThat(model.held).as("concurrency 6").hasSize(6);

        assertThat(runner.scale(1)).isEqualTo(6);
        assertThat(runner.concurrency()).isEqualTo(1);
        // The six runs in progress go on to their end; from then on one run at a time.
        int max = 0;
        while (!summary.isDone()) {
            if (finished.get() >= 6) {
                max = Math.max(max, model.held.size());
            }
            model.releaseAll();
            Thread.sleep(5);
        }
        assertThat(summary.get(5, TimeUnit.SECONDS).succeeded()).isEqualTo(RUNS);
        assertThat(max).as("runs at the model at once after scaling down, once the six had finished").isLessThanOrEqualTo(1);
        assertThat(runner.concurrency()).as("no execution runs").isZero();
    }
}
