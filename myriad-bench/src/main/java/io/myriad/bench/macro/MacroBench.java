package io.myriad.bench.macro;

import io.myriad.core.fleet.AgentSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.Limits;
import io.myriad.core.fleet.ModelSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.gateway.RateLimiter;
import io.myriad.core.metrics.LatencyHistogram;
import io.myriad.core.model.ModelProvider;
import io.myriad.core.run.AgentRuntime;
import io.myriad.core.run.FleetRunner;
import io.myriad.core.run.RunLoop;
import io.myriad.core.run.StepExecutor;
import io.myriad.core.tool.SchemaValidator;
import io.myriad.models.OpenAiChatProvider;
import io.myriad.models.SimulatedModel;
import io.myriad.store.SqliteStore;
import io.myriad.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The macro benchmark behind {@code myriad bench}: N simulated agents of K tool-calling steps
 * each, through the real engine (fleet runner, run loop, model gateway with its fair queue,
 * SQLite journal with group commit), and the figures that say what it cost.
 */
public final class MacroBench {

    /**
     * What to run.
     *
     * @param agents            agents (tasks) in all
     * @param steps             tool-calling steps per agent (model calls are steps + 1)
     * @param modelLatencyMs    mean simulated latency per model call (in-process simulator)
     * @param concurrency       provider slots: model calls in flight at most
     * @param tenants           tenants; with more than one, the first gets the bulk and each
     *                          other gets {@code smallTenantAgents}
     * @param smallTenantAgents agents of each small tenant
     * @param modelUrl          an OpenAI-compatible endpoint instead of the in-process simulator, or null
     * @param active            runs in progress at once per tenant (0: all of them)
     * @param compareAlone      with several tenants, first run the small tenants alone for comparison
     * @param dataDir           where the journal goes, or null for a temporary folder deleted afterwards
     * @param passivateAfter    how long a waiting run keeps its fold
     * @param sync              SQLite synchronous level
     */
    public record Options(
            int agents, int steps, long modelLatencyMs, int concurrency, int tenants, int smallTenantAgents,
            String modelUrl, int active, boolean compareAlone, Path dataDir, Duration passivateAfter,
            SqliteStore.Sync sync, long seed) {
        public Options {
            if (agents < 1 || steps < 0 || modelLatencyMs < 0 || concurrency < 1 || tenants < 1 || smallTenantAgents < 1) {
                throw new IllegalArgumentException("agents, concurrency, tenants >= 1; steps, latency >= 0");
            }
            if (tenants > 1 && agents - (long) (tenants - 1) * smallTenantAgents < 1) {
                throw new IllegalArgumentException("too few agents for " + tenants + " tenants of which "
                        + (tenants - 1) + " get " + smallTenantAgents + " each");
            }
            Objects.requireNonNull(passivateAfter, "passivateAfter");
            Objects.requireNonNull(sync, "sync");
        }
    }

    /** Queue waits of one tenant, in microseconds. */
    public record TenantFigures(String tenant, int agents, long p50Micros, long p99Micros, long maxMicros) {}

    /** Everything measured. */
    public record Result(
            Options options, boolean simulated, String model, double wallSeconds, long succeeded, long notSucceeded,
            long modelSteps, long toolSteps, double modelStepsPerSecond, double toolStepsPerSecond,
            long p50QueueWaitMicros, long p99QueueWaitMicros, long maxQueueWaitMicros,
            long peakHeapBytes, long peakRssBytes, long maxWaiting, long bytesPerWaitingAgent,
            long journalEvents, double journalEventsPerSecond, double journalBytesPerStep, long passivations,
            List<TenantFigures> tenants, List<TenantFigures> tenantsAlone) {}

    private MacroBench() {}

    public static Result run(Options o, SchemaValidator validator, PrintWriter progress) {
        Path dir = o.dataDir();
        boolean temporary = dir == null;
        try {
            if (temporary) {
                dir = Files.createTempDirectory("myriad-bench-");
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (MemoryProbe memory = new MemoryProbe();
             ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
             ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                     Thread.ofPlatform().name("myriad-timer").daemon(true).factory())) {
            ModelProvider provider = provider(o);
            List<TenantFigures> alone = List.of();
            if (o.compareAlone() && o.tenants() > 1) {
                progress.println("bench: first the small tenants alone, for comparison");
                Engine small = new Engine(o, provider, validator, executor, timer, dir.resolve("alone.db"), true);
                small.runAll(progress, memory, false);
                alone = small.tenantFigures();
                small.close();
            }
            Engine engine = new Engine(o, provider, validator, executor, timer, dir.resolve("bench.db"), false);
            Result r = engine.runAll(progress, memory, true);
            engine.close();
            provider.close();
            return new Result(o, provider.simulated(), provider.describe(), r.wallSeconds(), r.succeeded(), r.notSucceeded(),
                    r.modelSteps(), r.toolSteps(), r.modelStepsPerSecond(), r.toolStepsPerSecond(), r.p50QueueWaitMicros(),
                    r.p99QueueWaitMicros(), r.maxQueueWaitMicros(), memory.peakHeapAfterGc(), MemoryProbe.peakRss(),
                    r.maxWaiting(), r.bytesPerWaitingAgent(), r.journalEvents(), r.journalEventsPerSecond(),
                    r.journalBytesPerStep(), r.passivations(), r.tenants(), alone);
        } finally {
            if (temporary) {
                deleteQuietly(dir);
            }
        }
    }

    private static ModelProvider provider(Options o) {
        if (o.modelUrl() != null) {
            return OpenAiChatProvider.builder()
                    .baseUrl(o.modelUrl())
                    .model("myriad-sim")
                    .timeout(Duration.ofMinutes(5))
                    .simulated(OpenAiChatProvider.detectSimulated(o.modelUrl(), Duration.ofSeconds(5)))
                    .build();
        }
        return SimulatedModel.create(new ModelSpec.Simulated("tools", o.steps(), Duration.ofMillis(o.modelLatencyMs()),
                o.seed(), 1_000_000_000L));
    }

    /** One engine: a journal, a gateway, and a fleet runner per tenant. */
    private static final class Engine {
        final Options o;
        final Store store;
        final ModelGateway gateway;
        final List<FleetSpec> fleets = new ArrayList<>();
        final List<FleetRunner> runners = new ArrayList<>();
        final Path db;

        Engine(Options o, ModelProvider provider, SchemaValidator validator, ExecutorService executor,
               ScheduledExecutorService timer, Path db, boolean smallOnly) {
            this.o = o;
            this.db = db;
            this.store = SqliteStore.open(db, o.sync(), 16_384, 2_000);
            this.gateway = ModelGateway.builder().provider(provider).maxConcurrency(o.concurrency())
                    .rateLimiter(RateLimiter.create()).executor(executor).timer(timer).build();
            StepExecutor steps = StepExecutor.create(executor, 4_096);
            var spec = new AgentSpec("bench", "Call bench.echo as asked, then answer.", ModelSpec.Simulated.DEFAULT,
                    List.of(EchoTool.NAME), new Limits(2 * o.steps() + 10, 1_000_000_000L, Duration.ofHours(6)), null, 0, null);
            AgentRuntime agent = AgentRuntime.bind(spec, provider, "myriad-sim", ModelSpec.Pricing.FREE, List.of(new EchoTool()));
            RunLoop loop = RunLoop.builder().journal(store).validator(validator).workspaceRoot(db.resolveSibling("workspaces")).build();
            int big = o.agents() - (o.tenants() - 1) * o.smallTenantAgents();
            for (int t = 1; t <= o.tenants(); t++) {
                int n = t == 1 ? big : o.smallTenantAgents();
                if (smallOnly && t == 1) {
                    continue;
                }
                List<TaskSpec> tasks = new ArrayList<>(n);
                for (int i = 1; i <= n; i++) {
                    tasks.add(new TaskSpec("a" + i, "bench", "benchmark task " + i + " of tenant " + t, 0));
                }
                int active = o.active() > 0 ? Math.min(o.active(), n) : n;
                fleets.add(new FleetSpec("bench-t" + t, active, Map.of("bench", spec), tasks, List.of(), "bench", "bench"));
                runners.add(FleetRunner.builder().loop(loop).journal(store).repository(store).agents(name -> agent)
                        .gateways(p -> gateway).executor(steps).timer(timer).tenant("t" + t)
                        .passivateAfter(o.passivateAfter()).build());
            }
        }

        Result runAll(PrintWriter progress, MemoryProbe memory, boolean measureWaiting) {
            long baseline = MemoryProbe.heapAfterFullGc();
            memory.noteHeap(baseline);
            int total = fleets.stream().mapToInt(f -> f.tasks().size()).sum();
            AtomicLong maxWaiting = new AtomicLong();
            AtomicLong bytesPerWaiting = new AtomicLong(-1);
            List<FleetRunner.Summary> summaries = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            long begin = System.nanoTime();
            for (int i = 0; i < fleets.size(); i++) {
                FleetSpec fleet = fleets.get(i);
                FleetRunner runner = runners.get(i);
                var execution = store.createExecution(fleet.name(), "bench", "bench", fleet.tasks().size(), System.currentTimeMillis());
                threads.add(Thread.ofPlatform().name("bench-" + fleet.name()).start(() -> {
                    var s = runner.run(fleet, execution, FleetRunner.Listener.NONE);
                    synchronized (summaries) {
                        summaries.add(s);
                    }
                }));
            }
            long allWaitingSince = 0;
            while (threads.stream().anyMatch(Thread::isAlive)) {
                sleep(200);
                long waiting = gateway.queued() + gateway.inFlight();
                long inProgress = runners.stream().mapToLong(FleetRunner::activeRuns).sum();
                maxWaiting.accumulateAndGet(inProgress, Math::max);
                long now = System.nanoTime();
                // Every agent is in progress (waiting for the model, for a slot or for the journal).
                boolean allWaiting = inProgress >= total * 0.99 && inProgress > 0;
                allWaitingSince = allWaiting ? (allWaitingSince == 0 ? now : allWaitingSince) : 0;
                if (measureWaiting && allWaiting && bytesPerWaiting.get() < 0
                        && now - allWaitingSince > o.passivateAfter().toNanos() + 1_000_000_000L) {
                    long heap = MemoryProbe.heapAfterFullGc();
                    memory.noteHeap(heap);
                    long stillWaiting = runners.stream().mapToLong(FleetRunner::activeRuns).sum();
                    if (stillWaiting >= total * 0.99) {
                        bytesPerWaiting.set(Math.max(0, heap - baseline) / stillWaiting);
                        progress.printf("bench: %,d agents in progress (%,d of them waiting for the model); heap after GC"
                                        + " %,d bytes above baseline: %,d bytes per waiting agent%n",
                                stillWaiting, gateway.queued() + gateway.inFlight(), heap - baseline, bytesPerWaiting.get());
                    }
                }
                if ((now - begin) / 1_000_000_000L % 5 == 0 && (now - begin) % 1_000_000_000L < 200_000_000L) {
                    progress.printf("bench: %.0f s, %,d waiting for the model, %,d in progress%n", (now - begin) / 1e9,
                            waiting, runners.stream().mapToInt(FleetRunner::activeRuns).sum());
                    progress.flush();
                }
            }
            for (Thread t : threads) {
                join(t);
            }
            double wall = (System.nanoTime() - begin) / 1e9;
            long modelSteps = summaries.stream().mapToLong(FleetRunner.Summary::modelCalls).sum();
            long steps = summaries.stream().mapToLong(FleetRunner.Summary::steps).sum();
            long succeeded = summaries.stream().mapToLong(FleetRunner.Summary::succeeded).sum();
            long events = store.size().events();
            var ws = store.writerStats();
            progress.printf("bench: journal writer: %,d transactions, %.1f appends each, %.1f%% of the wall time committing%n",
                    ws.transactions(), ws.appendsPerTransaction(), ws.commitNanos() / 1e7 / wall);
            long bytes = fileSize(db) + fileSize(Path.of(db + "-wal"));
            LatencyHistogram all = gateway.queueWait();
            return new Result(o, true, "", wall, succeeded, total - succeeded, modelSteps, steps - modelSteps,
                    modelSteps / wall, (steps - modelSteps) / wall, all.percentile(0.5), all.percentile(0.99), all.max(),
                    memory.peakHeapAfterGc(), MemoryProbe.peakRss(), maxWaiting.get(), bytesPerWaiting.get(),
                    events, events / wall, steps == 0 ? 0 : (double) bytes / steps,
                    runners.stream().mapToLong(FleetRunner::passivations).sum(), tenantFigures(), List.of());
        }

        List<TenantFigures> tenantFigures() {
            List<TenantFigures> out = new ArrayList<>();
            for (FleetSpec f : fleets) {
                String tenant = "t" + f.name().substring(f.name().lastIndexOf('t') + 1);
                LatencyHistogram h = gateway.queueWait(tenant);
                out.add(new TenantFigures(tenant, f.tasks().size(), h.percentile(0.5), h.percentile(0.99), h.max()));
            }
            return out;
        }

        void close() {
            store.close();
        }
    }

    private static long fileSize(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder; the OS cleans it eventually
        }
    }
}
