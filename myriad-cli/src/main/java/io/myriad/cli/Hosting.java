package io.myriad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.myriad.cli.fleet.FleetFileException;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.server.ApiError;
import io.myriad.server.FleetHost;
import io.myriad.store.SqliteStore;
import io.myriad.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fleets {@code myriad serve} hosts. Each runs as {@code myriad run} would, on a thread of the
 * server, printing to {@code <data>/logs/<tenant>/<fleet>.log}; steering (pause, resume, kill,
 * approvals) goes through the store, which the running fleet watches.
 *
 * <p>Notes: the deployments are kept in {@code <data>/deployments.json}; a fleet still running when
 * the node stopped is started again on the next start, and {@code myriad run} resumes its
 * unfinished execution. A fleet deployed over the API is written to
 * {@code <data>/fleets/<tenant>/<fleet>.yaml}, so a relative tasks file would be looked for
 * there: such fleets carry their tasks inline or name absolute paths.
 */
final class Hosting implements FleetHost, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path data;
    private final PrintWriter err;
    private final Map<String, Hosted> fleets = new LinkedHashMap<>();
    private volatile EngineGauges gauges = EngineGauges.NONE;
    /** Set when the node stops: nothing new is deployed or resumed. */
    private volatile boolean closing;

    /** One deployment and, while it runs, its thread and stop. */
    private static final class Hosted {
        volatile Deployment deployment;
        Thread thread;
        GracefulStop stop;
        volatile boolean drainRequested;
        volatile io.myriad.core.run.FleetRunner runner;
        /** The fleet file as loaded for submitted tasks; cleared on each start. */
        volatile FleetSpec spec;

        Hosted(Deployment d) {
            this.deployment = d;
        }
    }

    /** The store tasks are submitted to; opened on first use when none was given. Guarded by this. */
    private Store store;
    private final boolean ownsStore;

    Hosting(Path data, PrintWriter err) {
        this(data, err, Optional.empty());
    }

    Hosting(Path data, PrintWriter err, Optional<Store> store) {
        this.data = data;
        this.err = err;
        this.store = store.orElse(null);
        this.ownsStore = store.isEmpty();
        load();
    }

    /** The node's {@code --store} (null: the data folder's SQLite file) and, on PostgreSQL, its cluster membership. */
    private String storeSpec;
    private io.myriad.core.cluster.ClusterMember member;

    /** Hosted fleets use this store and, in a cluster, this node's membership. */
    void store(String storeSpec, io.myriad.core.cluster.ClusterMember member) {
        this.storeSpec = storeSpec;
        this.member = member;
    }

    /** The node's {@code --model-url}: every hosted fleet's model calls go there (null: each fleet's own models). */
    private String modelUrl;

    void modelUrl(String modelUrl) {
        this.modelUrl = modelUrl;
    }

    /** Where hosted fleets report their engine figures: the node's metrics. */
    void gauges(EngineGauges gauges) {
        this.gauges = gauges;
    }

    private synchronized Store store() {
        if (store == null) {
            store = SqliteStore.open(data.resolve("myriad.db"));
        }
        return store;
    }

    private Path registry() {
        return data.resolve("deployments.json");
    }

    private void load() {
        if (!Files.exists(registry())) {
            return;
        }
        try {
            for (JsonNode n : JSON.readTree(registry().toFile())) {
                Deployment d = new Deployment(n.path("tenant").asText(), n.path("fleet").asText(), n.path("source").asText(),
                        n.path("state").asText(), Optional.ofNullable(n.path("execution").textValue()),
                        n.path("deployed_by").asText(), n.path("deployed_at").asLong(),
                        n.has("exit_code") ? Optional.of(n.path("exit_code").asInt()) : Optional.empty());
                fleets.put(key(d.tenant(), d.fleet()), new Hosted(d));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + registry() + ": " + e.getMessage(), e);
        }
    }

    private synchronized void save() {
        ArrayNode a = JSON.createArrayNode();
        for (Hosted h : fleets.values()) {
            Deployment d = h.deployment;
            var o = a.addObject().put("tenant", d.tenant()).put("fleet", d.fleet()).put("source", d.source())
                    .put("state", d.state()).put("deployed_by", d.deployedBy()).put("deployed_at", d.deployedAt());
            d.execution().ifPresent(e -> o.put("execution", e));
            d.exitCode().ifPresent(c -> o.put("exit_code", c));
        }
        try {
            Files.createDirectories(data);
            Path tmp = Files.createTempFile(data, "deployments", ".tmp");
            Files.writeString(tmp, a.toPrettyString());
            Files.move(tmp, registry(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            err.println("myriad serve: cannot write " + registry() + ": " + e.getMessage());
        }
    }

    private static String key(String tenant, String fleet) {
        return tenant + "/" + fleet;
    }

    /** Starts again every fleet that was running when the node stopped; as {@code owner}. */
    synchronized List<Deployment> resume(Principal owner) {
        List<Deployment> resumed = new ArrayList<>();
        for (Hosted h : fleets.values()) {
            boolean alive = h.thread != null && h.thread.isAlive();
            if (!alive && (h.deployment.state().equals("running") || h.deployment.state().equals("stopped"))) {
                start(h, Path.of(h.deployment.source()), owner);
                resumed.add(h.deployment);
            }
        }
        return resumed;
    }

    @Override
    public synchronized List<Deployment> deployments() {
        return fleets.values().stream().map(h -> h.deployment).toList();
    }

    @Override
    public Deployment deploy(Principal who, String yaml) {
        if (closing) {
            throw new ApiError(503, "stopping", "the node is stopping; deploy again once it is back");
        }
        DeployGuard.check(who, yaml);
        Path dir = data.resolve("fleets");
        Path tmp;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "deploy-", ".yaml");
            Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ApiError(500, "internal", "cannot store the fleet file: " + e.getMessage());
        }
        FleetSpec spec;
        try {
            spec = FleetLoader.load(tmp, Wiring.knownTools());
        } catch (FleetFileException e) {
            delete(tmp);
            throw new ApiError(400, "invalid_fleet", e.getMessage().replace(tmp.toString(), "the fleet file"));
        }
        try {
            who.require(Permission.RUN, spec.tenant());
        } catch (RuntimeException e) {
            delete(tmp);
            throw e;
        }
        // One folder per tenant: fleet and tenant names cannot contain '/', so no two fleets share a file.
        Path file = dir.resolve(spec.tenant()).resolve(spec.name() + ".yaml");
        synchronized (this) {
            Hosted existing = fleets.get(key(spec.tenant(), spec.name()));
            if (existing != null && (existing.deployment.state().equals("running")
                    || existing.thread != null && existing.thread.isAlive())) {
                delete(tmp);
                throw ApiError.conflict("fleet " + spec.name() + " of tenant " + spec.tenant() + " is running; stop it "
                        + "(kill or pause) or wait for it to finish before deploying it again");
            }
            try {
                Files.createDirectories(file.getParent());
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new ApiError(500, "internal", "cannot store the fleet file: " + e.getMessage());
            }
            return add(spec, file, who);
        }
    }

    /** Deploys a fleet file in place ({@code myriad serve FILE}). */
    synchronized Deployment deployFile(Path file, Principal who) {
        FleetSpec spec = FleetLoader.load(file, Wiring.knownTools());
        who.require(Permission.RUN, spec.tenant());
        Hosted existing = fleets.get(key(spec.tenant(), spec.name()));
        if (existing != null && existing.thread != null && existing.thread.isAlive()) {
            return existing.deployment;
        }
        return add(spec, file.toAbsolutePath().normalize(), who);
    }

    private Deployment add(FleetSpec spec, Path file, Principal who) {
        Hosted h = new Hosted(new Deployment(spec.tenant(), spec.name(), file.toString(), "running", Optional.empty(),
                who.actor(), System.currentTimeMillis(), Optional.empty()));
        fleets.put(key(spec.tenant(), spec.name()), h);
        start(h, file, who);
        return h.deployment;
    }

    private void start(Hosted h, Path file, Principal who) {
        Deployment d = h.deployment;
        h.deployment = new Deployment(d.tenant(), d.fleet(), d.source(), "running", d.execution(), d.deployedBy(),
                d.deployedAt(), Optional.empty());
        save();
        Path log = data.resolve("logs").resolve(d.tenant()).resolve(d.fleet() + ".log");
        PrintWriter out;
        try {
            Files.createDirectories(log.getParent());
            out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true);
        } catch (IOException e) {
            throw new ApiError(500, "internal", "cannot open the fleet's log " + log + ": " + e.getMessage());
        }
        GracefulStop stop = GracefulStop.manual(Duration.ofSeconds(30), out);
        h.stop = stop;
        h.spec = null;
        h.thread = Thread.ofPlatform().name("myriad-fleet-" + d.fleet()).start(() -> {
            int exit = Main.EXIT_PLATFORM;
            try {
                exit = RunCommand.hosted(file, data, who, stop, ex -> executionChosen(h, ex)).cluster(member, storeSpec).modelUrl(modelUrl).gauges(gauges).onRunner(r -> h.runner = r).execute(out, out);
            } catch (RuntimeException e) {
                out.println("myriad serve: the fleet stopped on an error: " + e);
            } finally {
                out.flush();
                finished(h, exit, stop.signalled());
            }
        });
    }

    /** The run chose its execution (new, or the unfinished one it resumes). */
    private synchronized void executionChosen(Hosted h, String execution) {
        Deployment d = h.deployment;
        h.deployment = new Deployment(d.tenant(), d.fleet(), d.source(), d.state(), Optional.of(execution), d.deployedBy(),
                d.deployedAt(), d.exitCode());
        save();
    }

    @Override
    public Deployment drain(Principal who, String tenant, String fleet) {
        Hosted h;
        synchronized (this) {
            h = fleets.get(key(tenant, fleet));
            if (h == null || !who.can(Permission.VIEW, tenant)) {
                throw ApiError.notFound("no hosted fleet " + tenant + "/" + fleet + " among those you may see");
            }
            who.require(Permission.CONTROL, tenant);
            if (!h.deployment.state().equals("running") || h.thread == null || !h.thread.isAlive()) {
                throw ApiError.conflict("fleet " + tenant + "/" + fleet + " is " + h.deployment.state() + ", not running");
            }
            h.drainRequested = true;
        }
        h.stop.signal();
        try {
            h.thread.join(Duration.ofSeconds(45));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return h.deployment;
    }

    @Override
    public Optional<io.myriad.core.fleet.A2aSpec> a2a(String tenant, String fleet) {
        Hosted h;
        synchronized (this) {
            h = fleets.get(key(tenant, fleet));
            if (h == null || !h.deployment.state().equals("running") || h.thread == null || !h.thread.isAlive()) {
                return Optional.empty();
            }
        }
        FleetSpec spec = h.spec;
        if (spec == null) {
            try {
                spec = FleetLoader.load(Path.of(h.deployment.source()), Wiring.knownTools());
            } catch (FleetFileException e) {
                return Optional.empty();
            }
            h.spec = spec;
        }
        boolean open = spec.intakeOpen();
        return Optional.of(spec.a2a()).filter(a -> a.expose() && open);
    }

    @Override
    public Submission submit(Principal who, String tenant, String fleet, List<NewTask> tasks) {
        Hosted h;
        synchronized (this) {
            h = fleets.get(key(tenant, fleet));
            if (h == null || !who.can(Permission.VIEW, tenant)) {
                throw ApiError.notFound("no hosted fleet " + tenant + "/" + fleet + " among those you may see");
            }
            who.require(Permission.RUN, tenant);
            if (!h.deployment.state().equals("running") || h.thread == null || !h.thread.isAlive()) {
                throw ApiError.conflict("fleet " + tenant + "/" + fleet + " is " + h.deployment.state()
                        + ", not running; deploy it again to submit tasks");
            }
        }
        FleetSpec spec = h.spec;
        if (spec == null) {
            try {
                spec = FleetLoader.load(Path.of(h.deployment.source()), Wiring.knownTools());
            } catch (FleetFileException e) {
                throw ApiError.conflict("the file of fleet " + tenant + "/" + fleet + " changed and has errors: " + e.getMessage());
            }
            h.spec = spec;
        }
        if (!spec.intakeOpen()) {
            throw ApiError.conflict("fleet " + tenant + "/" + fleet + " does not accept tasks while it runs; add "
                    + "'intake: open' to its file and deploy it again");
        }
        String execution = h.deployment.execution().orElseThrow(() -> ApiError.conflict("fleet " + tenant + "/" + fleet
                + " is starting; submit its tasks again in a moment"));
        List<String> problems = new ArrayList<>();
        List<io.myriad.core.fleet.TaskSpec> accepted = new ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        spec.tasks().forEach(t -> ids.add(t.id()));
        List<String> agents = List.copyOf(spec.agents().keySet());
        for (int i = 0; i < tasks.size(); i++) {
            NewTask t = tasks.get(i);
            String id = t.id().orElseGet(() -> "task-" + java.util.UUID.randomUUID());
            String at = "task " + i + " (" + id + "): ";
            int before = problems.size();
            FleetLoader.taskIdProblem(id).ifPresent(p -> problems.add(at + p));
            if (problems.size() == before && !ids.add(id)) {
                problems.add(at + "duplicate task id '" + id + "'; each task of an execution needs an id of its own");
            }
            String agent = t.agent().orElse(agents.size() == 1 ? agents.getFirst() : null);
            if (agent == null) {
                problems.add(at + "name its agent; the fleet has several (" + String.join(", ", agents) + ")");
            } else if (!agents.contains(agent)) {
                problems.add(at + "unknown agent '" + agent + "'; expected one of: " + String.join(", ", agents));
            }
            if (problems.size() == before) {
                accepted.add(new io.myriad.core.fleet.TaskSpec(id, agent, t.input(), t.priority()));
            }
        }
        if (!problems.isEmpty()) {
            throw ApiError.badRequest(String.join("\n", problems));
        }
        try {
            store().submitTasks(execution, accepted);
        } catch (io.myriad.core.run.DuplicateTaskException e) {
            throw ApiError.badRequest(e.ids().stream().map(id -> "duplicate task id '" + id + "'; execution " + execution
                    + " already has a task with this id").collect(java.util.stream.Collectors.joining("\n")));
        }
        return new Submission(execution, accepted.stream().map(io.myriad.core.fleet.TaskSpec::id).toList());
    }

    @Override
    public Deployment scale(Principal who, String tenant, String fleet, int concurrency) {
        Hosted h;
        synchronized (this) {
            h = fleets.get(key(tenant, fleet));
            if (h == null || !who.can(Permission.VIEW, tenant)) {
                throw ApiError.notFound("no hosted fleet " + tenant + "/" + fleet + " among those you may see");
            }
        }
        who.require(Permission.CONTROL, tenant);
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw ApiError.badRequest("concurrency must be from 1 to " + MAX_CONCURRENCY + ", got " + concurrency);
        }
        io.myriad.core.run.FleetRunner runner = h.runner;
        if (runner == null || h.thread == null || !h.thread.isAlive() || runner.concurrency() == 0) {
            throw ApiError.conflict("fleet " + tenant + "/" + fleet + " is " + h.deployment.state() + ", not running");
        }
        runner.scale(concurrency);
        return h.deployment;
    }

    @Override
    public java.util.OptionalInt concurrency(String tenant, String fleet) {
        Hosted h;
        synchronized (this) {
            h = fleets.get(key(tenant, fleet));
        }
        io.myriad.core.run.FleetRunner r = h == null ? null : h.runner;
        int c = r == null || h.thread == null || !h.thread.isAlive() ? 0 : r.concurrency();
        return c == 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(c);
    }

    private synchronized void finished(Hosted h, int exit, boolean stopped) {
        Deployment d = h.deployment;
        String state = !stopped ? "finished" : h.drainRequested ? "drained" : "stopped";
        h.drainRequested = false;
        h.deployment = new Deployment(d.tenant(), d.fleet(), d.source(), state, d.execution(),
                d.deployedBy(), d.deployedAt(), Optional.of(exit));
        save();
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a temporary file left in <data>/fleets: harmless
        }
    }

    /** Drains every running fleet (in-flight steps get their grace) and waits for them. */
    @Override
    public void close() {
        closing = true;
        List<Hosted> running;
        synchronized (this) {
            running = fleets.values().stream().filter(h -> h.thread != null && h.thread.isAlive()).toList();
        }
        running.forEach(h -> h.stop.signal());
        for (Hosted h : running) {
            try {
                h.thread.join(Duration.ofSeconds(45));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        synchronized (this) {
            if (ownsStore && store != null) {
                store.close();
                store = null;
            }
        }
    }
}
