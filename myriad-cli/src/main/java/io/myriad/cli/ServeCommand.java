package io.myriad.cli;

import io.myriad.core.auth.Principal;
import io.myriad.server.ApiServer;
import io.myriad.server.DashboardResource;
import io.myriad.server.FleetsResource;
import io.myriad.server.metrics.JournalTail;
import io.myriad.server.metrics.MetricsResource;
import io.myriad.server.metrics.ServerMetrics;
import io.myriad.server.trace.RunTracer;
import io.myriad.server.trace.Tracing;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code myriad serve}: a long-running node with the HTTP API, the dashboard and the fleets it
 * hosts. Fleets named on the command line are deployed at start; fleets deployed before and
 * still running when the node stopped are resumed. SIGTERM or Ctrl-C drains the fleets (in-flight
 * steps finish), then the node exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Runs a node: the HTTP API and dashboard, hosting fleets (deploy, watch, steer).",
                "Listens on 127.0.0.1 unless --host says otherwise (which needs an API key to exist)."})
final class ServeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FLEET", arity = "0..*", description = "Fleet files to deploy at start.")
    List<Path> fleets = List.of();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "7070", description = "Port (default ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Option(names = "--max-body", defaultValue = "1048576", paramLabel = "BYTES",
            description = "Largest request body accepted (default ${DEFAULT-VALUE}).")
    long maxBody;

    @Option(names = "--rate", defaultValue = "200", paramLabel = "N",
            description = "Requests per second per caller before 429 (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = {"Export traces of finished runs over OTLP/HTTP to this collector (e.g. http://localhost:4318).",
                    "Default: $OTEL_EXPORTER_OTLP_ENDPOINT when set, else no traces."})
    String otlp;

    @Mixin
    DataDir data;

    @Option(names = "--model-url", paramLabel = "URL",
            description = "Send every hosted fleet's model calls to this OpenAI-compatible endpoint (up to /v1), e.g. a myriad sim-server.")
    String modelUrl;

    @Option(names = "--node", paramLabel = "ID",
            description = "On a PostgreSQL store: this node's id in the cluster (default: host name and process id).")
    String nodeId;

    @Option(names = "--lease", defaultValue = "10s", paramLabel = "DURATION",
            description = {"On a PostgreSQL store: how long this node may go without a heartbeat before the other nodes",
                    "take its runs over (default ${DEFAULT-VALUE}; it heart-beats five times per lease)."})
    String lease;

    @Spec
    CommandSpec spec;

    /** Extra resources (the dashboard, metrics, the rest of the API) added by other parts. */
    static final List<java.util.function.Function<ServeContext, io.myriad.server.ApiResource>> EXTRA =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** What extra resources may use. */
    record ServeContext(Store store, Hosting hosting, Path data) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        java.nio.file.Files.createDirectories(data.resolve());
        CountDownLatch stopped = new CountDownLatch(1);
        String endpoint = otlp != null ? otlp : System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
        try (Store store = data.openStore();
             Tracing tracing = endpoint == null || endpoint.isBlank() ? Tracing.off() : Tracing.otlp(java.net.URI.create(endpoint))) {
            Principal owner = Principal.implicitOwner(Caller.localUser());
            ServerMetrics metrics = ServerMetrics.create(store);
            JournalTail tail = JournalTail.builder(store).listener(metrics).listener(RunTracer.create(store, tracing))
                    .onError(e -> err.println("myriad serve: metrics: " + e.getMessage())).build().start();
            Hosting hosting = new Hosting(data.resolve().toAbsolutePath(), err, java.util.Optional.of(store));
            java.util.concurrent.ScheduledExecutorService clusterTimer = null;
            io.myriad.core.cluster.ClusterMember member = null;
            if (store instanceof io.myriad.store.PostgresStore pg) {
                clusterTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().name("myriad-cluster").daemon(true).factory());
                member = ClusterSetup.join(pg, nodeId, io.myriad.cli.fleet.Durations.parse(lease), clusterTimer, err);
                ClusterSetup.shareLimits(member, pg, err);
            }
            hosting.store(data.storeSpec(), member);
            hosting.modelUrl(modelUrl);
            io.myriad.core.cluster.ClusterMember node = member;
            hosting.gauges(metrics::gauge);
            ApiServer.Builder builder = ApiServer.builder(store).host(host).port(port).maxBodyBytes(maxBody)
                    .requestsPerSecond(rate).localUser(Caller.localUser())
                    .resource(new FleetsResource(hosting))
                    .resource(new io.myriad.server.A2aResource(hosting))
                    .resource(new MetricsResource(metrics))
                    .resource(new DashboardResource())
                    .resource(new io.myriad.server.AlertsResource(java.util.Optional.of(hosting)));
            io.myriad.server.ApiResources.all().forEach(builder::resource);
            ServeContext context = new ServeContext(store, hosting, data.resolve().toAbsolutePath());
            EXTRA.forEach(f -> builder.resource(f.apply(context)));
            ApiServer server;
            try {
                server = builder.build().start();
            } catch (IllegalStateException e) {
                err.println("myriad serve: " + e.getMessage());
                return Main.EXIT_BAD_INPUT;
            }
            Thread hook = Thread.ofPlatform().unstarted(() -> {
                err.println("myriad serve: stopping: no new requests; draining the hosted fleets");
                err.flush();
                // The API first (nothing new is deployed or steered), then the fleets finish their
                // steps, then the readers; the store is closed after this hook lets the command end.
                server.close();
                if (node != null) {
                    node.drain(); // claims nothing more while its fleets finish their steps
                }
                hosting.close();
                if (node != null) {
                    node.close(); // leaves: what it still owns is claimable by the others at once
                }
                tail.close();
                tracing.flush();
                stopped.countDown();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            for (var d : hosting.resume(owner)) {
                out.println("myriad serve: resumed fleet " + d.tenant() + "/" + d.fleet());
            }
            for (Path f : fleets) {
                try {
                    var d = hosting.deployFile(f, owner);
                    out.println("myriad serve: deployed fleet " + d.tenant() + "/" + d.fleet() + " from " + f);
                } catch (io.myriad.cli.fleet.FleetFileException e) {
                    err.println(e.getMessage());
                    err.println("myriad serve: " + f + " has errors; it was not deployed");
                }
            }
            String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port() + "/";
            out.println("myriad serve: listening on " + url + "  (API under " + url + "v1, OpenAPI at " + url
                    + "openapi.json, journal " + data.database() + ")");
            out.println("myriad serve: metrics at " + url + "metrics" + (tracing.enabled() ? "; traces to " + endpoint : ""));
            out.println(store.hasActiveKeys() ? "myriad serve: sign in with an API key"
                    : "myriad serve: no API keys yet: whoever reaches this address acts as the owner (loopback only)");
            out.flush();
            stopped.await();
            return Main.EXIT_OK;
        }
    }
}
