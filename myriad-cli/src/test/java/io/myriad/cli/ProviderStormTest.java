package io.myriad.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.Faults;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.gateway.GatewayStats;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.gateway.RateLimiter;
import io.myriad.core.gateway.Resilience;
import io.myriad.core.journal.InMemoryJournal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.model.ModelRequest;
import io.myriad.core.model.ModelResponse;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.model.ToolDefinition;
import io.myriad.core.run.AgentRuntime;
import io.myriad.core.run.FleetRunner;
import io.myriad.core.run.RunLoop;
import io.myriad.core.run.RunState;
import io.myriad.core.tool.Effect;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolResult;
import io.myriad.models.SimulatedModel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against a provider in trouble, on simulated time: a storm of 429s on half the
 * requests for a minute, and a burst of 5xx. The whole engine (fleet runner, gateway with its
 * rate limiter, circuit breaker and retry budget, run loop, in-process simulated model with
 * injected faults) runs on one virtual clock that jumps to the next timer, so a minute of storm
 * takes a fraction of a second and every wait is the one the engine chose.
 */
class ProviderStormTest {
    private static final int RUNS = 200;

    @TempDir
    Path workspaces;

    @Test
    void aMinuteOfHalfTheRequestsRateLimitedEveryRunCompletesWithinTheRetryBudget() throws Exception {
        Faults storm = Faults.builder().rateLimited(0.25).rateLimitedNoRetryAfter(0.25)
                .retryAfter(Duration.ofSeconds(2)).from(Duration.ZERO).until(Duration.ofMinutes(1)).build();
        Outcome o = run(storm);
        assertThat(o.statuses).hasSize(RUNS).allSatisfy(s -> assertThat(s.state()).isEqualTo(RunState.SUCCEEDED));
        // The storm was real: many requests failed with 429, retries were needed and journaled.
        assertThat(o.retriesJournaled).isGreaterThan(RUNS / 2);
        assertThat(o.lastFinishMillis).as("runs outlasted the storm").isGreaterThan(30_000);
        assertWithinRetryBudget(o);
        // 429s tell the rate limiter, not the breaker: it never opened.
        assertThat(o.stats.breakerOpens()).isZero();
    }

    @Test
    void aBurstOfServerErrorsOpensTheBreakerAndEveryRunStillCompletes() throws Exception {
        Faults burst = Faults.builder().serverError(0.9).from(Duration.ZERO).until(Duration.ofSeconds(20)).build();
        Outcome o = run(burst);
        assertThat(o.statuses).hasSize(RUNS).allSatisfy(s -> assertThat(s.state()).isEqualTo(RunState.SUCCEEDED));
        assertThat(o.stats.breakerOpens()).as("the breaker opened during the burst").isPositive();
        assertThat(o.stats.timeOpen()).isPositive();
        assertWithinRetryBudget(o);
    }

    /** Every request the provider saw is accounted for in the journal, and retries stayed in the budget. */
    private static void assertWithinRetryBudget(Outcome o) {
        long firsts = o.stats.requestsSent() - o.stats.retriesSent();
        // The journal saw each request: one response or one retry (or one final failure) each.
        assertThat(o.stats.requestsSent()).isEqualTo(o.modelCallsJournaled + o.retriesJournaled);
        assertThat(o.providerRequests.get()).isEqualTo(o.stats.requestsSent());
        double seconds = o.lastFinishMillis / 1000.0;
        double allowed = RESILIENCE.retryRatio() * firsts + RESILIENCE.minRetriesPerSecond() * (seconds + 10) + 1;
        assertThat((double) o.stats.retriesSent()).as("retries %d for %d first attempts over %.0f s", o.stats.retriesSent(),
                firsts, seconds).isLessThanOrEqualTo(allowed);
        // And no step made more attempts than the configured maximum.
        assertThat(o.maxAttemptsSeen).isLessThanOrEqualTo(RESILIENCE.maxAttempts());
    }

    static final Resilience RESILIENCE = new Resilience(20, Duration.ofMillis(250), Duration.ofSeconds(20),
            5, Duration.ofSeconds(5), Duration.ofMinutes(2), 0.5, 1);

    record Outcome(List<RunStatus> statuses, GatewayStats stats, long retriesJournaled, long modelCallsJournaled,
                   long lastFinishMillis, AtomicLong providerRequests, int maxAttemptsSeen) {}

    private Outcome run(Faults faults) throws Exception {
        VirtualTime time = new VirtualTime();
        InMemoryJournal journal = new InMemoryJournal();
        SimulatedModel sim = SimulatedModel.create(
                new ModelSpec.Simulated("tools", 2, Duration.ZERO, 11, 128_000).withFaults(faults), d -> { }, time);
        AtomicLong requests = new AtomicLong();
        int[] maxAttempt = {0};
        ModelProvider counted = new ModelProvider() {
            @Override
            public ModelResponse complete(ModelRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CompletableFuture<ModelResponse> completeAsync(ModelRequest request, Executor executor) {
                requests.incrementAndGet();
                maxAttempt[0] = Math.max(maxAttempt[0], request.attempt());
                return sim.completeAsync(request, executor);
            }

            @Override
            public String describe() {
                return sim.describe();
            }

            @Override
            public boolean simulated() {
                return true;
            }
        };
        ModelGateway gateway = ModelGateway.builder().provider(counted).maxConcurrency(16).rateLimiter(RateLimiter.create())
                .resilience(RESILIENCE).executor(time).timer(time).clock(time).build();
        Tool look = new Tool() {
            @Override
            public ToolDefinition definition() {
                return ToolDefinition.of("look", "Looks.", "{\"type\":\"object\",\"properties\":{\"what\":{\"type\":\"string\"}}}");
            }

            @Override
            public Effect effect() {
                return Effect.READ_ONLY;
            }

            @Override
            public ToolResult invoke(JsonNode arguments, ToolContext context) {
                return ToolResult.ok("seen " + arguments);
            }
        };
        AgentSpec spec = new AgentSpec("a", "look twice", ModelSpec.Simulated.DEFAULT, List.of("look"),
                new Limits(200, 10_000_000, Duration.ofHours(2)), null, 0, null);
        AgentRuntime agent = AgentRuntime.bind(spec, counted, "sim", ModelSpec.Pricing.FREE, List.of(look));
        RunLoop loop = RunLoop.builder().journal(journal).validator((schema, value) -> List.of()).workspaceRoot(workspaces)
                .clock(time).random(new java.util.Random(5)).retry(RESILIENCE.retryPolicy()).build();
        List<TaskSpec> tasks = IntStream.range(0, RUNS).mapToObj(i -> new TaskSpec("t" + i, "a", "look at " + i, 0)).toList();
        FleetSpec fleet = new FleetSpec("storm", RUNS, Map.of("a", spec), tasks, List.of(), "test", "digest", RESILIENCE);
        var execution = journal.createExecution("storm", "digest", "test", RUNS, time.millis());
        FleetRunner runner = FleetRunner.builder().loop(loop).journal(journal).repository(journal).agents(n -> agent)
                .gateways(p -> gateway).executor(time).timer(time).clock(time).build();
        AtomicLong lastFinish = new AtomicLong();
        time.feeder(Thread.currentThread());
        Thread driver = Thread.ofPlatform().daemon().start(time::drive);
        FleetRunner.Summary summary;
        try {
            summary = runner.run(fleet, execution, new FleetRunner.Listener() {
                @Override
                public void runFinished(String runId, RunStatus status) {
                    lastFinish.accumulateAndGet(time.millis() - VirtualTime.START, Math::max);
                }
            });
        } finally {
            time.stop();
            driver.join();
        }
        assertThat(summary.tasks()).isEqualTo(RUNS);
        List<RunStatus> statuses = new ArrayList<>();
        long retries = 0;
        long modelCalls = 0;
        for (TaskSpec t : tasks) {
            List<JournalRecord> records = journal.read(FleetRunner.runId(execution.id(), t.id()));
            statuses.add(io.myriad.core.run.RunFold.of(records.stream().map(JournalRecord::event).toList()).status());
            for (JournalRecord r : records) {
                if (r.event() instanceof RunEvent.ModelRetried) {
                    retries++;
                } else if (r.event() instanceof RunEvent.ModelResponded) {
                    modelCalls++;
                } else if (r.event() instanceof RunEvent.RunFailed f && f.reason().startsWith("model_")) {
                    modelCalls++;
                }
            }
        }
        System.out.printf("storm: %d runs, %d requests (%d retries, %d delayed by the budget), breaker opened %d times,"
                        + " open %s, last run done at %.1f s of simulated time%n", RUNS, gateway.stats().requestsSent(),
                gateway.stats().retriesSent(), gateway.stats().retriesDelayedByBudget(), gateway.stats().breakerOpens(),
                gateway.stats().timeOpen(), lastFinish.get() / 1000.0);
        return new Outcome(statuses, gateway.stats(), retries, modelCalls, lastFinish.get(), requests, maxAttempt[0]);
    }

    /**
     * A clock and a scheduler in one: tasks run in order of their time on a single driver thread,
     * and the clock jumps to each task's time. {@code execute} queues a task for now.
     */
    static final class VirtualTime extends AbstractExecutorService implements ScheduledExecutorService, InstantSource {
        static final long START = 1_790_000_000_000L;

        private record Task(long due, long seq, Runnable body, long period) {}

        private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due != b.due
                ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
        private long now = START;
        private long seq;
        private volatile boolean stopped;
        /** The thread that feeds work in; time does not move on while it is busy. */
        private volatile Thread feeder;

        @Override
        public synchronized long millis() {
            return now;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        private synchronized void add(long delayMillis, Runnable body, long period) {
            queue.add(new Task(now + Math.max(0, delayMillis), seq++, body, period));
            notifyAll();
        }

        void drive() {
            while (!stopped) {
                Task t;
                synchronized (this) {
                    t = queue.peek();
                    Thread f = feeder;
                    boolean feederBusy = f != null && f.getState() == Thread.State.RUNNABLE;
                    if (t != null && t.due > now && feederBusy) {
                        t = null; // the feeder may still queue work for now
                    } else {
                        t = queue.poll();
                    }
                    if (t == null) {
                        try {
                            wait(5);
                        } catch (InterruptedException e) {
                            return;
                        }
                        continue;
                    }
                    now = Math.max(now, t.due);
                    if (t.period > 0) {
                        queue.add(new Task(now + t.period, seq++, t.body, t.period));
                    }
                }
                t.body.run();
            }
        }

        void feeder(Thread thread) {
            feeder = thread;
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void execute(Runnable command) {
            add(0, command, 0);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            add(unit.toMillis(delay), command, 0);
            return new Handle();
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            return scheduleWithFixedDelay(command, initialDelay, period, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            add(unit.toMillis(initialDelay), command, Math.max(1, unit.toMillis(delay)));
            return new Handle();
        }

        @Override
        public void shutdown() {
            stopped = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            stopped = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return stopped;
        }

        @Override
        public boolean isTerminated() {
            return stopped;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }

        /** The runner cancels only its passivator, at the end; nothing waits on these. */
        private static final class Handle implements ScheduledFuture<Object> {
            @Override
            public long getDelay(TimeUnit unit) {
                return 0;
            }

            @Override
            public int compareTo(Delayed o) {
                return 0;
            }

            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                return true;
            }

            @Override
            public boolean isCancelled() {
                return false;
            }

            @Override
            public boolean isDone() {
                return false;
            }

            @Override
            public Object get() {
                return null;
            }

            @Override
            public Object get(long timeout, TimeUnit unit) {
                return null;
            }
        }
    }
}
