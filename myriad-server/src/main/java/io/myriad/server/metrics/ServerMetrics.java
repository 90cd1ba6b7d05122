package io.myriad.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.model.ToolCall;
import io.myriad.core.run.RunState;
import io.myriad.store.Store;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The server's Prometheus metrics: what the journal says happened (model calls, tokens, cost,
 * tool calls, finished runs), counted from a {@link JournalTail} this is a listener of; the runs
 * in each state, read from the store when scraped; and gauges the engine registers with
 * {@link #gauge(String, String, Map, Supplier)}.
 *
 * <p>Notes: counters count what the tail has read since it started (the server's start, unless
 * the tail reads from the journal's start). A tool call's name is in the response that asked for
 * it and in its {@code tool_call_started}; its outcome event only has the call id, so each run
 * keeps its open calls' names until they settle, and the run is forgotten when it ends. At most
 * {@value #MAX_RUNS} runs are remembered (the least recently seen goes first): a call whose start
 * the tail never saw is labelled {@code tool="unknown"}, as is the model of a retry whose run's
 * start it never saw. {@code runs} is confined to the tail's thread; {@code storeLock} guards the
 * cached counts of runs by state.
 */
public final class ServerMetrics implements Consumer<TailEvent> {
    /** Runs whose open tool calls and current model are remembered at most. */
    static final int MAX_RUNS = 10_000;
    private static final String UNKNOWN = "unknown";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_.]*");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Store store;
    private final long cacheNanos;
    private final LongSupplier nanoTime;
    private final Counter events;
    /** Confined to the tail's thread. */
    private final Map<String, RunMemo> runs = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RunMemo> eldest) {
            return size() > MAX_RUNS;
        }
    };
    private final ReentrantLock storeLock = new ReentrantLock();
    /** Guarded by {@code storeLock}; read by the gauges. */
    private final Map<Store.TenantState, Long> runsByState = new ConcurrentHashMap<>();
    /** Guarded by {@code storeLock}. */
    private long readAt;
    /** Guarded by {@code storeLock}. */
    private boolean read;

    /** What is remembered of a run: its model now, and the names of its calls not settled yet. */
    private static final class RunMemo {
        String model = UNKNOWN;
        final Map<String, String> openCalls = new HashMap<>();
    }

    private ServerMetrics(Store store, Duration cacheFor, LongSupplier nanoTime) {
        this.store = store;
        this.cacheNanos = cacheFor.toNanos();
        this.nanoTime = nanoTime;
        this.events = Counter.builder("myriad.journal.events").description("Events read from the journal")
                .register(registry);
    }

    /** Metrics of {@code store}'s journal; counts of runs by state are read at most once a second. */
    public static ServerMetrics create(Store store) {
        return create(store, Duration.ofSeconds(1));
    }

    /** Metrics of {@code store}'s journal; counts of runs by state are read at most once per {@code cacheFor}. */
    public static ServerMetrics create(Store store, Duration cacheFor) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(cacheFor, "cacheFor");
        if (cacheFor.isNegative()) {
            throw new IllegalArgumentException("cacheFor must not be negative, got " + cacheFor);
        }
        return new ServerMetrics(store, cacheFor, System::nanoTime);
    }

    /**
     * Registers a gauge the engine keeps (queue waits, rate-limit waits, sandbox slots), read on
     * each scrape. Registering the same name and tags again replaces the value's source.
     *
     * @param name  a Prometheus name such as {@code myriad_sandbox_slots_busy} (dots become underscores)
     * @param value read on each scrape; null or a throw reads as NaN
     */
    public void gauge(String name, String help, Map<String, String> tags, Supplier<Number> value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(help, "help");
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(value, "value");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a metric name is letters, digits, '_' and '.', not starting with a "
                    + "digit; got '" + name + "'");
        }
        Tags t = Tags.empty();
        for (Map.Entry<String, String> e : tags.entrySet()) {
            if (!NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("a tag name is letters, digits and '_'; got '" + e.getKey() + "'");
            }
            t = t.and(Tag.of(e.getKey(), Objects.requireNonNull(e.getValue(), "tag value")));
        }
        Meter existing = registry.find(name).tags(t).gauge();
        if (existing != null) {
            registry.remove(existing);
        }
        Gauge.builder(name, () -> read(value)).description(help).tags(t).strongReference(true).register(registry);
    }

    private static Number read(Supplier<Number> value) {
        try {
            Number n = value.get();
            return n == null ? Double.NaN : n;
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The metrics in Prometheus's text format (0.0.4), the counts of runs by state refreshed when stale. */
    public String scrape() {
        refreshRuns();
        return registry.scrape();
    }

    /** The content type of {@link #scrape()}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    private void refreshRuns() {
        storeLock.lock();
        try {
            long now = nanoTime.getAsLong();
            if (read && now - readAt < cacheNanos) {
                return;
            }
            Map<Store.TenantState, Long> counts = store.runsByState();
            Set<String> tenants = new java.util.TreeSet<>();
            counts.keySet().forEach(k -> tenants.add(k.tenant()));
            runsByState.keySet().forEach(k -> tenants.add(k.tenant()));
            for (String tenant : tenants) {
                for (RunState state : RunState.values()) {
                    var key = new Store.TenantState(tenant, state);
                    if (runsByState.put(key, counts.getOrDefault(key, 0L)) == null) {
                        Gauge.builder("myriad.runs", () -> runsByState.getOrDefault(key, 0L))
                                .description("Runs in each state, from the journal's summary rows")
                                .tags("tenant", tenant, "state", state.label()).register(registry);
                    }
                }
            }
            readAt = now;
            read = true;
        } finally {
            storeLock.unlock();
        }
    }

    /** Counts one journaled event (the tail calls this on its thread). */
    @Override
    public void accept(TailEvent e) {
        events.increment();
        switch (e.event()) {
            case RunEvent.RunStarted s -> memo(e.runId()).model = s.model();
            case RunEvent.ModelResponded r -> modelResponded(e, r);
            case RunEvent.ModelRetried r -> Counter.builder("myriad.model.retries")
                    .description("Model calls attempted again").tag("model", memo(e.runId()).model)
                    .register(registry).increment();
            case RunEvent.ToolCallStarted s -> memo(e.runId()).openCalls.put(s.callId(), s.tool());
            case RunEvent.ToolCallCompleted c -> toolSettled(e.runId(), c.callId(), "completed", c.durationMillis());
            case RunEvent.ToolCallFailed f -> toolSettled(e.runId(), f.callId(), "failed", f.durationMillis());
            case RunEvent.ToolCallRejected r -> memo(e.runId()).openCalls.remove(r.callId());
            default -> { }
        }
        e.finalState().ifPresent(state -> {
            Counter.builder("myriad.runs.finished").description("Runs that reached a final state")
                    .tags("tenant", e.tenant(), "fleet", e.fleet(), "state", state.label()).register(registry)
                    .increment();
            runs.remove(e.runId());
        });
    }

    private void modelResponded(TailEvent e, RunEvent.ModelResponded r) {
        RunMemo memo = memo(e.runId());
        memo.model = r.model();
        for (ToolCall call : r.message().toolCalls()) {
            memo.openCalls.put(call.id(), call.name());
        }
        Tags tags = Tags.of("model", r.model(), "tenant", e.tenant());
        Counter.builder("myriad.model.calls").description("Model responses journaled").tags(tags).register(registry)
                .increment();
        Counter.builder("myriad.tokens").description("Tokens sent to (input) and received from (output) models")
                .tags(tags).tag("direction", "input").register(registry).increment(r.usage().promptTokens());
        Counter.builder("myriad.tokens").description("Tokens sent to (input) and received from (output) models")
                .tags(tags).tag("direction", "output").register(registry).increment(r.usage().completionTokens());
        Counter.builder("myriad.cost.usd").description("What model calls cost, in US dollars").tags(tags)
                .register(registry).increment(r.costUsd());
        Timer.builder("myriad.model.latency").description("How long model calls took")
                .tag("model", r.model()).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry).record(Duration.ofMillis(Math.max(0, r.latencyMillis())));
    }

    private void toolSettled(String runId, String callId, String outcome, long durationMillis) {
        RunMemo memo = runs.get(runId);
        String tool = memo == null ? null : memo.openCalls.remove(callId);
        tool = tool == null ? UNKNOWN : tool;
        Counter.builder("myriad.tool.calls").description("Tool calls settled, by outcome (completed or failed)")
                .tags("tool", tool, "outcome", outcome).register(registry).increment();
        Timer.builder("myriad.tool.duration").description("How long tool calls took").tag("tool", tool)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry).record(Duration.ofMillis(Math.max(0, durationMillis)));
    }

    private RunMemo memo(String runId) {
        return runs.computeIfAbsent(runId, k -> new RunMemo());
    }
}
