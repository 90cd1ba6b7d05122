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
import io.myriad.core.tool.Effect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** A fleet with an intake runs the tasks submitted while it runs, each once, until drained. */
@org.junit.jupiter.api.Timeout(60)
class FleetRunnerIntakeTest {

    /** An intake fed by the test: everything submitted so far, from a cursor. */
    static final class ListIntake implements TaskIntake {
        final List<TaskSpec> submitted = new CopyOnWriteArrayList<>();
        private int cursor;

        void submit(String... ids) {
            for (String id : ids) {
                submitted.add(new TaskSpec(id, "a", "task " + id, 0));
            }
        }

        @Override
        public synchronized List<TaskSpec> poll() {
            List<TaskSpec> all = List.copyOf(submitted);
            List<TaskSpec> fresh = all.subList(cursor, all.size());
            cursor = all.size();
            return fresh;
        }
    }

    /** A runner over {@code journal}, its model answered continually until closed. */
    static final class Harness implements AutoCloseable {
        final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        final FleetRunnerTest.HeldModel model = new FleetRunnerTest.HeldModel();
        final FleetRunner runner;
        final AgentSpec spec = new AgentSpec("a", "count", ModelSpec.Simulated.DEFAULT, List.of("count"), Limits.DEFAULT, null, 0, null);

        Harness(InMemoryJournal journal, Path root) {
            var tool = new RunLoopTest.CountingTool("count", Effect.IDEMPOTENT);
            AgentRuntime agent = AgentRuntime.bind(spec, model, "held", ModelSpec.Pricing.FREE, List.of(tool));
            RunLoop loop = RunLoop.builder().journal(journal).validator(RunLoopTest.REQUIRED_ONLY).workspaceRoot(root).build();
            ModelGateway gateway = ModelGateway.builder().provider(model).maxConcurrency(100).executor(threads).timer(timer).build();
            runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal).agents(n -> agent)
                    .gateways(p -> gateway).executor(threads).timer(timer).build();
            timer.scheduleWithFixedDelay(model::releaseAll, 5, 5, TimeUnit.MILLISECONDS);
        }

        CompletableFuture<FleetRunner.Summary> start(List<String> fileTasks, int concurrency, TaskIntake intake) {
            List<TaskSpec> tasks = fileTasks.stream().map(id -> new TaskSpec(id, "a", "task " + id, 0)).toList();
            var fleet = new FleetSpec("f", concurrency, Map.of("a", spec), tasks, List.of(), "test", "d");
            var execution = new RunRepository.Execution("f-1", "f", "d", "test", 0, 0, tasks.size(), "default");
            return CompletableFuture.supplyAsync(() -> runner.run(fleet, execution, FleetRunner.Listener.NONE,
                    Optional.of(intake)), threads);
        }

        @Override
        public void close() {
            threads.shutdownNow();
            timer.shutdownNow();
        }
    }

    static void awaitFinal(InMemoryJournal journal, List<String> taskIds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (taskIds.stream().allMatch(id -> journal.run(FleetRunner.runId("f-1", id))
                    .map(r -> r.status().state().isFinal()).orElse(false))) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("runs not final in time: " + taskIds);
    }

    static long starts(InMemoryJournal journal, String taskId) {
        return journal.events(FleetRunner.runId("f-1", taskId)).stream().filter(e -> e instanceof RunEvent.RunStarted).count();
    }

    @Test
    void tasksSubmittedWhileTheFleetRunsAreRunOnceCountedAndDrainReturns() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        Path root = Files.createTempDirectory("intake");
        try (Harness h = new Harness(journal, root)) {
            ListIntake intake = new ListIntake();
            var summary = h.start(List.of("t0", "t1"), 2, intake);
            awaitFinal(journal, List.of("t0", "t1"));
            Thread.sleep(300);
            assertThat(summary).as("an open fleet waits for more tasks").isNotDone();

            intake.submit("s1", "s2", "s3", "s4", "s5");
            intake.submit("s2", "t0"); // again, and a file task's id: ignored
            awaitFinal(journal, List.of("s1", "s2", "s3", "s4", "s5"));
            intake.submit("s6");
            awaitFinal(journal, List.of("s6"));

            h.runner.drain(Duration.ofSeconds(5));
            FleetRunner.Summary s = summary.get(10, TimeUnit.SECONDS);
            assertThat(s.tasks()).isEqualTo(8);
            assertThat(s.succeeded()).isEqualTo(8);
            for (String id : List.of("t0", "t1", "s1", "s2", "s3", "s4", "s5", "s6")) {
                assertThat(starts(journal, id)).as(id).isEqualTo(1);
            }
        }
    }

    @Test
    void anOpenFleetStartsWithoutTasksAndARestartCountsTheSubmittedRunsWithoutRunningThemAgain() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        Path root = Files.createTempDirectory("intake");
        ListIntake first = new ListIntake();
        try (Harness h = new Harness(journal, root)) {
            var summary = h.start(List.of(), 4, first);
            first.submit("a1", "a2", "a3");
            awaitFinal(journal, List.of("a1", "a2", "a3"));
            h.runner.drain(Duration.ofSeconds(5));
            assertThat(summary.get(10, TimeUnit.SECONDS).succeeded()).isEqualTo(3);
        }
        // The next start replays the intake from its beginning: the final runs are counted, not run.
        ListIntake replay = new ListIntake();
        replay.submitted.addAll(first.submitted);
        try (Harness h = new Harness(journal, root)) {
            var summary = h.start(List.of(), 4, replay);
            replay.submit("a4");
            awaitFinal(journal, List.of("a4"));
            h.runner.drain(Duration.ofSeconds(5));
            FleetRunner.Summary s = summary.get(10, TimeUnit.SECONDS);
            assertThat(s.tasks()).isEqualTo(4);
            assertThat(s.succeeded()).isEqualTo(4);
            assertThat(s.resumed()).isZero();
        }
        for (String id : List.of("a1", "a2", "a3", "a4")) {
            assertThat(starts(journal, id)).as(id).isEqualTo(1);
        }
    }

    @Test
    void stopEndsAnExecutionWithAnIntake() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        try (Harness h = new Harness(journal, Files.createTempDirectory("intake"))) {
            var summary = h.start(List.of("t0"), 1, new ListIntake());
            awaitFinal(journal, List.of("t0"));
            h.runner.stop();
            assertThat(summary.get(10, TimeUnit.SECONDS).tasks()).isEqualTo(1);
        }
    }

    /** However tasks arrive (in batches, repeated), each distinct id is run exactly once and counted. */
    @Property(tries = 15)
    void eachDistinctSubmittedTaskRunsOnce(@ForAll @Size(max = 12) List<@IntRange(min = 0, max = 9) Integer> ids,
            @ForAll @IntRange(min = 1, max = 4) int batches, @ForAll @IntRange(min = 1, max = 3) int concurrency)
            throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        try (Harness h = new Harness(journal, Files.createTempDirectory("intake"))) {
            ListIntake intake = new ListIntake();
            var summary = h.start(List.of("t0"), concurrency, intake);
            List<String> names = ids.stream().map(i -> "s" + i).toList();
            int per = Math.max(1, (names.size() + batches - 1) / batches);
            for (int from = 0; from < names.size(); from += per) {
                intake.submit(names.subList(from, Math.min(names.size(), from + per)).toArray(String[]::new));
                Thread.sleep(30);
            }
            List<String> distinct = new ArrayList<>(new LinkedHashSet<>(names));
            awaitFinal(journal, distinct);
            awaitFinal(journal, List.of("t0"));
            h.runner.drain(Duration.ofSeconds(5));
            FleetRunner.Summary s = summary.get(10, TimeUnit.SECONDS);
            assertThat(s.tasks()).isEqualTo(distinct.size() + 1);
            assertThat(s.succeeded()).isEqualTo(distinct.size() + 1);
            distinct.forEach(id -> assertThat(starts(journal, id)).as(id).isEqualTo(1));
        }
    }
}
