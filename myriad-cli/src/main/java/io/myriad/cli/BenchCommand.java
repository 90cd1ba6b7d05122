package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.bench.macro.MacroBench;
import io.myriad.store.SqliteStore;
import io.myriad.store.Store;
import io.myriad.tools.JsonSchemaValidator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code myriad bench}: the whole engine under load, with the simulated model. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Runs N simulated agents of K tool-calling steps each through the real engine (journal on)",
                "and prints throughput, queue waits and memory. The model is SIMULATED unless --model-url says otherwise."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--agents", defaultValue = "10000", description = "Agents in all (default ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--steps", defaultValue = "4", description = "Tool-calling steps per agent (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--model-latency-ms", defaultValue = "0", description = "Mean simulated model latency (default ${DEFAULT-VALUE}).")
    long latency;

    @Option(names = "--concurrency", defaultValue = "64", description = "Provider slots: model calls in flight at most (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--tenants", defaultValue = "1",
            description = "Tenants; with more than one the split is skewed: the first gets the bulk, each other --small-tenant-agents (default ${DEFAULT-VALUE}).")
    int tenants;

    @Option(names = "--small-tenant-agents", defaultValue = "10", description = "Agents of each small tenant (default ${DEFAULT-VALUE}).")
    int small;

    @Option(names = "--compare-alone", description = "With several tenants, first run the small tenants alone and report both waits.")
    boolean compareAlone;

    @Option(names = "--active", defaultValue = "0", description = "Runs in progress at once per tenant; 0 means all (default ${DEFAULT-VALUE}).")
    int active;

    @Option(names = "--model-url", paramLabel = "URL", description = "An OpenAI-compatible endpoint (e.g. myriad sim-server) instead of the in-process simulator.")
    String modelUrl;

    @Option(names = "--data", paramLabel = "DIR", description = "Keep the journal in DIR (default: a temporary folder, deleted).")
    Path data;

    @Option(names = "--sync", defaultValue = "NORMAL", description = "SQLite synchronous level: NORMAL, FULL or OFF (default ${DEFAULT-VALUE}).")
    SqliteStore.Sync sync;

    @Option(names = "--passivate-after-ms", defaultValue = "2000", description = "A waiting run drops its history after this long (default ${DEFAULT-VALUE}).")
    long passivateAfterMs;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the simulated model (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "One JSON object on the last line.")
    boolean json;

    @Option(names = "--store", paramLabel = "URL",
            description = "With --nodes: the PostgreSQL store (jdbc:postgresql:…) the nodes share.")
    String store;

    @Option(names = "--nodes", defaultValue = "0",
            description = {"Run the agents on a cluster of this many nodes (separate myriad run processes) sharing --store;",
                    "--concurrency is then each node's runs in progress at once. 0: one process, no cluster (default)."})
    int nodes;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (nodes > 0 || store != null) {
            if (nodes < 1 || !io.myriad.store.Stores.isPostgres(store)) {
                err.println("myriad: bench: a cluster bench needs --nodes N (at least 1) and --store jdbc:postgresql:…");
                return Main.EXIT_BAD_INPUT;
            }
            Path work = data != null ? data : java.nio.file.Files.createTempDirectory("myriad-cluster-bench");
            err.printf("bench: %,d agents x %d tool steps on %d node(s), model latency %d ms, concurrency %d per node,"
                    + " SIMULATED model%n", agents, steps, nodes, latency, concurrency);
            err.flush();
            ClusterBench.Result r = ClusterBench.run(new ClusterBench.Options(store, nodes, agents, steps, latency, concurrency,
                    seed, work), err);
            ClusterBench.print(out, r);
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("nodes", r.nodes()).put("agents", r.agents()).put("final", r.finals()).put("succeeded", r.succeeded())
                        .put("events", r.events()).put("wall_s", r.wallSeconds()).put("runs_per_s", r.runsPerSecond())
                        .put("events_per_s", r.eventsPerSecond()).put("simulated", true);
                out.println(o);
            }
            return r.succeeded() == agents ? Main.EXIT_OK : Main.EXIT_TASKS_FAILED;
        }
        var options = new MacroBench.Options(agents, steps, latency, concurrency, tenants, small, modelUrl, active,
                compareAlone, data, Duration.ofMillis(passivateAfterMs), sync, seed);
        err.printf("bench: %,d agents x %d tool steps, model latency %d ms, %d provider slots, %d tenant(s)%s%n",
                agents, steps, latency, concurrency, tenants, modelUrl == null ? ", in-process SIMULATED model" : ", model at " + modelUrl);
        err.flush();
        MacroBench.Result r = MacroBench.run(options, JsonSchemaValidator.create(), err);
        print(out, r);
        return r.notSucceeded() == 0 ? Main.EXIT_OK : Main.EXIT_TASKS_FAILED;
    }

    private void print(PrintWriter out, MacroBench.Result r) {
        row(out, "model", r.model() + (r.simulated() ? "  [SIMULATED]" : ""));
        row(out, "agents", String.format(Locale.ROOT, "%,d   succeeded %,d   not succeeded %,d", agents, r.succeeded(), r.notSucceeded()));
        row(out, "wall", String.format(Locale.ROOT, "%.2f s", r.wallSeconds()));
        row(out, "model steps", String.format(Locale.ROOT, "%,d   (%,.0f /s)", r.modelSteps(), r.modelStepsPerSecond()));
        row(out, "tool steps", String.format(Locale.ROOT, "%,d   (%,.0f /s)", r.toolSteps(), r.toolStepsPerSecond()));
        row(out, "queue wait", String.format(Locale.ROOT, "p50 %.3f ms   p99 %.3f ms   max %.3f ms",
                r.p50QueueWaitMicros() / 1e3, r.p99QueueWaitMicros() / 1e3, r.maxQueueWaitMicros() / 1e3));
        for (var t : r.tenants()) {
            String alone = r.tenantsAlone().stream().filter(a -> a.tenant().equals(t.tenant())).findFirst()
                    .map(a -> String.format(Locale.ROOT, "   (alone: p50 %.3f ms, p99 %.3f ms)", a.p50Micros() / 1e3, a.p99Micros() / 1e3))
                    .orElse("");
            row(out, "  " + t.tenant(), String.format(Locale.ROOT, "%,d agents   p50 %.3f ms   p99 %.3f ms   max %.3f ms%s",
                    t.agents(), t.p50Micros() / 1e3, t.p99Micros() / 1e3, t.maxMicros() / 1e3, alone));
        }
        row(out, "heap", String.format(Locale.ROOT, "peak after GC %,d bytes", r.peakHeapBytes()));
        row(out, "rss", String.format(Locale.ROOT, "peak %,d bytes", r.peakRssBytes()));
        row(out, "waiting", r.bytesPerWaitingAgent() >= 0
                ? String.format(Locale.ROOT, "%,d bytes per waiting agent (at most %,d agents in progress at once)", r.bytesPerWaitingAgent(), r.maxWaiting())
                : String.format(Locale.ROOT, "at most %,d agents in progress at once (not all long enough to measure bytes per agent)", r.maxWaiting()));
        row(out, "journal", String.format(Locale.ROOT, "%,d events   (%,.0f /s)   %.0f bytes per step on disk",
                r.journalEvents(), r.journalEventsPerSecond(), r.journalBytesPerStep()));
        row(out, "passivated", String.format(Locale.ROOT, "%,d times", r.passivations()));
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("agents", agents);
            o.put("steps_per_agent", steps);
            o.put("model_latency_ms", latency);
            o.put("provider_concurrency", concurrency);
            o.put("tenants", tenants);
            o.put("model", r.model());
            o.put("simulated", r.simulated());
            o.put("succeeded", r.succeeded());
            o.put("not_succeeded", r.notSucceeded());
            o.put("wall_s", r.wallSeconds());
            o.put("model_steps", r.modelSteps());
            o.put("tool_steps", r.toolSteps());
            o.put("model_steps_per_s", r.modelStepsPerSecond());
            o.put("tool_steps_per_s", r.toolStepsPerSecond());
            o.put("p50_queue_wait_ms", r.p50QueueWaitMicros() / 1e3);
            o.put("p99_queue_wait_ms", r.p99QueueWaitMicros() / 1e3);
            o.put("max_queue_wait_ms", r.maxQueueWaitMicros() / 1e3);
            o.put("peak_heap_bytes", r.peakHeapBytes());
            o.put("peak_rss_bytes", r.peakRssBytes());
            o.put("max_waiting_agents", r.maxWaiting());
            o.put("bytes_per_waiting_agent", r.bytesPerWaitingAgent());
            o.put("journal_events", r.journalEvents());
            o.put("journal_events_per_s", r.journalEventsPerSecond());
            o.put("journal_bytes_per_step", r.journalBytesPerStep());
            o.put("passivations", r.passivations());
            ArrayNode ts = o.putArray("tenant_queue_waits");
            addTenants(ts, r.tenants(), false);
            addTenants(ts, r.tenantsAlone(), true);
            out.println(o);
        }
        out.flush();
    }

    private static void addTenants(ArrayNode ts, List<MacroBench.TenantFigures> figures, boolean alone) {
        for (var t : figures) {
            ObjectNode n = ts.addObject();
            n.put("tenant", t.tenant());
            n.put("alone", alone);
            n.put("agents", t.agents());
            n.put("p50_queue_wait_ms", t.p50Micros() / 1e3);
            n.put("p99_queue_wait_ms", t.p99Micros() / 1e3);
            n.put("max_queue_wait_ms", t.maxMicros() / 1e3);
        }
    }

    private static void row(PrintWriter out, String label, String value) {
        out.printf(Locale.ROOT, "%-12s %s%n", label, value);
    }
}
