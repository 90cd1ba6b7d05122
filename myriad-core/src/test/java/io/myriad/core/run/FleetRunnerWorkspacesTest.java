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
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.FleetRunnerControlTest.BlockingTool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner prepares each run's workspace before its first step and releases it once, when final. */
@org.junit.jupiter.api.Timeout(60)
class FleetRunnerWorkspacesTest {
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

    /** Fails to prepare task t3; records what it was asked. */
    static final class Recording implements RunWorkspaces {
        final Map<String, Boolean> prepared = new ConcurrentHashMap<>();
        final Map<String, List<RunStatus>> released = new ConcurrentHashMap<>();

        @Override
        public void prepare(String runId, TaskSpec task, boolean resumed) {
            if (task.id().equals("t3")) {
                throw new IllegalStateException("base 'nope' is not a commit of /repo");
            }
            prepared.put(runId, resumed);
        }

        @Override
        public void release(String runId, RunStatus status) {
            released.computeIfAbsent(runId, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(status);
        }
    }

    @Test
    void aWorkspaceIsPreparedBeforeTheFirstStepAndReleasedOnceAndAFailedPreparationFailsTheRun() throws Exception {
        BlockingTool tool = new BlockingTool(false);
        var spec = new AgentSpec("a", "count", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, model, "held", ModelSpec.Pricing.FREE, List.of(tool));
        RunLoop loop = RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(root).build();
        ModelGateway gateway = ModelGateway.builder().provider(model).maxConcurrency(100).executor(threads).timer(timer).build();
        Recording workspaces = new Recording();
        FleetRunner runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal).agents(n -> agent)
                .gateways(p -> gateway).executor(threads).timer(timer).workspaces(workspaces).build();
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tasks.add(new TaskSpec("t" + i, "a", "task " + i, 0));
        }
        var fleet = new FleetSpec("f", 5, Map.of("a", spec), tasks, List.of(), "test", "d");
        var execution = new RunRepository.Execution("f-1", "f", "d", "test", 0, 0, 5, "default");
        var summary = CompletableFuture.supplyAsync(() -> runner.run(fleet, execution, FleetRunner.Listener.NONE), threads);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!summary.isDone() && System.nanoTime() < deadline) {
            model.releaseAll();
            Thread.sleep(10);
        }
        FleetRunner.Summary s = summary.get(5, TimeUnit.SECONDS);

        assertThat(s.succeeded()).isEqualTo(4);
        assertThat(s.failed()).isEqualTo(1);
        assertThat(workspaces.prepared).containsOnlyKeys("f-1:t0", "f-1:t1", "f-1:t2", "f-1:t4");
        assertThat(workspaces.prepared.values()).as("new runs, not resumed").containsOnly(false);
        assertThat(workspaces.released).hasSize(5);
        workspaces.released.values().forEach(statuses -> assertThat(statuses).hasSize(1));
        List<RunEvent> failed = journal.events("f-1:t3");
        assertThat(failed).hasSize(2);
        assertThat(failed.getLast()).isInstanceOfSatisfying(RunEvent.RunFailed.class, f -> {
            assertThat(f.reason()).isEqualTo("workspace");
            assertThat(f.message()).contains("base 'nope' is not a commit");
        });
        assertThat(tool.started).as("one tool call per prepared run, none for the failed one").hasValue(4);
    }
}
