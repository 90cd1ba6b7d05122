package io.myriad.cli;

import io.myriad.cli.fleet.FleetFileException;
import io.myriad.cli.fleet.FleetLoader;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.audit.JournalAudit;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.AgentRuntime;
import io.myriad.core.run.FleetRunner;
import io.myriad.core.run.RunLoop;
import io.myriad.core.run.StepExecutor;
import io.myriad.core.secret.SecretException;
import io.myriad.core.secret.Secrets;
import io.myriad.mcp.McpException;
import io.myriad.core.budget.PriceTable;
import io.myriad.store.Store;
import io.myriad.tools.JsonSchemaValidator;
import io.myriad.tools.secret.SecretResolver;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import io.myriad.core.gateway.ModelGateway;
import io.myriad.core.gateway.RateLimiter;
import io.myriad.core.model.ModelProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code myriad run FILE}: runs (or resumes) every task of a fleet file to a final state. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs every task of a fleet file and prints a summary.",
                "Running the same file again after a crash resumes the unfinished runs from the journal.",
                "With --server (or $MYRIAD_SERVER, or a profile) the file is deployed to that node and followed to its end."})
final class RunCommand implements Callable<Integer>, RemoteClient.Supported {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    /** Steps running at once; more runs than this wait as queue nodes, not threads. */
    static final int STEP_THREADS = 4_096;

    @Parameters(paramLabel = "FILE", description = "The fleet file (YAML).")
    Path file;

    @Mixin
    DataDir data;

    @Option(names = "--json", description = "Print a machine-readable summary as one JSON object on the last line.")
    boolean json;

    @Option(names = "--model-url", paramLabel = "URL",
            description = "Send every agent's model calls to this OpenAI-compatible endpoint (up to /v1), e.g. a myriad sim-server.")
    String modelUrl;

    @Option(names = "--new", description = "Start a new execution even if an unfinished one of this fleet exists.")
    boolean fresh;

    @Option(names = "--grace", defaultValue = "30s", paramLabel = "DURATION",
            description = {"On SIGTERM or Ctrl-C: how long in-flight steps may take to finish before the process exits",
                    "(default ${DEFAULT-VALUE}). Unfinished runs resume on the next start."})
    String grace;

    @Option(names = "--node", paramLabel = "ID",
            description = "On a PostgreSQL store: this node's id in the cluster (default: host name and process id).")
    String nodeId;

    @Option(names = "--lease", defaultValue = "10s", paramLabel = "DURATION",
            description = {"On a PostgreSQL store: how long this node may go without a heartbeat before other nodes",
                    "take its runs over (default ${DEFAULT-VALUE}; it heart-beats five times per lease)."})
    String lease;

    @Mixin
    Caller caller;

    /** A node of {@code myriad serve} in a cluster: its membership, shared by the fleets it hosts. */
    private io.myriad.core.cluster.ClusterMember hostedMember;

    /** This hosted run is part of the node's cluster membership {@code member}. */
    RunCommand cluster(io.myriad.core.cluster.ClusterMember member, String storeSpec) {
        this.hostedMember = member;
        this.data.store = storeSpec;
        return this;
    }

    @Spec
    CommandSpec spec;

    /** Set for a fleet hosted by {@code myriad serve}: the server drains it; no signal hook. */
    private GracefulStop hostedStop;

    /** A run of {@code file} for {@code myriad serve}, as {@code who}, stopped by {@code stop}. */
    private java.util.function.Consumer<String> executionChosen = ex -> { };
    /** Told the runner of a hosted fleet once it exists (the node scales it). */
    private java.util.function.Consumer<FleetRunner> runnerStarted = r -> { };

    /** This run hands its runner to {@code consumer} once built. */
    RunCommand onRunner(java.util.function.Consumer<FleetRunner> consumer) {
        this.runnerStarted = java.util.Objects.requireNonNull(consumer, "consumer");
        return this;
    }

    /** Where a hosted fleet reports its engine figures (the node's metrics). */
    private EngineGauges gauges = EngineGauges.NONE;

    static RunCommand hosted(Path file, Path dataDir, Principal who, GracefulStop stop,
            java.util.function.Consumer<String> executionChosen) {
        RunCommand c = new RunCommand();
        c.file = file;
        c.data = new DataDir();
        c.data.dir = dataDir;
        c.caller = new Caller();
        c.caller.preset = who;
        c.grace = "30s";
        c.hostedStop = stop;
        c.executionChosen = executionChosen;
        return c;
    }

    /** A hosted run sends its model calls to {@code url} (the node's {@code --model-url}; null: the fleet's models). */
    RunCommand modelUrl(String url) {
        this.modelUrl = url;
        return this;
    }

    /** This run reports its engine figures to {@code gauges}. */
    RunCommand gauges(EngineGauges gauges) {
        this.gauges = java.util.Objects.requireNonNull(gauges, "gauges");
        return this;
    }

    @Override
    public Integer call() {
        var remote = caller.remote();
        if (remote.isPresent()) {
            return RemoteRun.run(remote.get(), file, json, spec.commandLine().getOut(), spec.commandLine().getErr());
        }
        return execute(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** Runs the fleet, printing to {@code out} and {@code err}; the exit code. */
    int execute(PrintWriter out, PrintWriter err) {
        Duration graceTime;
        try {
            graceTime = io.myriad.cli.fleet.Durations.parse(grace);
        } catch (IllegalArgumentException e) {
            err.println("myriad: --grace: " + e.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        FleetSpec fleet;
        try {
            fleet = FleetLoader.load(file, Wiring.knownTools());
        } catch (FleetFileException e) {
            err.println(e.getMessage());
            err.println("myriad: the fleet file has errors; nothing was run");
            return Main.EXIT_BAD_INPUT;
        }
        // Running a fleet spends its tenant's budget: the operator's permission, in that tenant.
        caller.principal(data).require(Permission.RUN, fleet.tenant());
        Secrets secrets;
        try {
            Map<String, String> env = System.getenv();
            secrets = SecretResolver.create(env, SecretResolver.defaultFile(env, Path.of(System.getProperty("user.home"))))
                    .resolve(fleet.secrets(), file.toAbsolutePath().getParent());
        } catch (SecretException e) {
            err.println("myriad: " + e.getMessage().replace("\n", "\nmyriad: "));
            err.println("myriad: the fleet's secrets could not be read; nothing was run");
            return Main.EXIT_BAD_INPUT;
        }
        secrets.warnings().forEach(w -> err.println("myriad: warning: " + w));
        Wiring started;
        try {
            started = Wiring.forFleet(fleet, modelUrl, secrets);
        } catch (McpException e) {
            err.println("myriad: " + secrets.redactor().redact(e.getMessage()).replace("\n", "\nmyriad: "));
            err.println("myriad: the fleet's MCP servers did not start; nothing was run");
            return Main.EXIT_PLATFORM;
        }
        List<String> missing = started.missingMcpTools(fleet);
        if (!missing.isEmpty()) {
            started.close();
            missing.forEach(m -> err.println(fleet.source() + ": " + m));
            err.println("myriad: agents name MCP tools their servers do not offer; nothing was run");
            return Main.EXIT_BAD_INPUT;
        }
        GracefulStop stop = hostedStop != null ? hostedStop : GracefulStop.install(graceTime, err);
        int exit = Main.EXIT_PLATFORM;
        try (Wiring wiring = started;
             Store store = data.openStore()) {
            // A full disk or a locked database stalls the journal: new work waits, nothing acknowledged is lost.
            store.onHealthChange(h -> {
                err.println(h.ok()
                        ? "myriad: journal writes again (after " + h.retries() + " retries); the fleet goes on"
                        : "myriad: " + h.problem());
                err.flush();
            });
            // Again on the store in use: a key may have been created since the check above.
            Principal who = caller.principal(store);
            who.require(Permission.RUN, fleet.tenant());
            Optional<RunRepository.Execution> execution;
            if (store instanceof io.myriad.store.PostgresStore pg) {
                if (fresh) {
                    err.println("myriad: --new is not for a cluster: the nodes share the fleet's unfinished execution;"
                            + " finish or kill it first");
                    return Main.EXIT_BAD_INPUT;
                }
                // The nodes of a cluster started at once agree on one execution.
                execution = pg.exclusively("execution " + fleet.tenant() + "/" + fleet.name(), () -> chooseExecution(store, fleet, err));
            } else {
                execution = chooseExecution(store, fleet, err);
            }
            if (execution.isEmpty()) {
                exit = Main.EXIT_BAD_INPUT;
                return exit;
            }
            RunRepository.Execution ex = execution.get();
            executionChosen.accept(ex.id());
            store.createTenant(fleet.tenant(), System.currentTimeMillis(), who.actor());
            // Controls recorded from here on apply to this process (read before the pause flag: none is missed).
            long controlsSeen = store.head();
            store.appendAudit(List.of(new AuditEntry(System.currentTimeMillis(), fleet.tenant(),
                    who.actor(), "fleet.started", ex.id(), JSON.createObjectNode().put("fleet", fleet.name())
                            .put("source", fleet.source()).put("digest", fleet.digest()).put("tasks", fleet.tasks().size())
                            .put("policy_rules", fleet.policy().rules().size()).put("policy_digest", fleet.policy().digest())
                            .toString()))).join();
            err.println("tenant " + fleet.tenant() + ", " + Access.describe(who));
            exit = run(fleet, ex, store, wiring, secrets, out, err, stop, controlsSeen);
            store.appendAudit(List.of(new AuditEntry(System.currentTimeMillis(), fleet.tenant(),
                    who.actor(), "fleet.finished", ex.id(), JSON.createObjectNode().put("fleet", fleet.name())
                            .put("exit", exit).put("interrupted", stop.signalled()).toString()))).join();
            return exit;
        } finally {
            // The journal is closed: everything acknowledged is on disk. A signal waits for this.
            stop.finished(exit);
        }
    }

    private Optional<RunRepository.Execution> chooseExecution(Store store, FleetSpec fleet, PrintWriter err) {
        Optional<RunRepository.Execution> unfinished = store.unfinishedExecution(fleet.tenant(), fleet.name());
        if (unfinished.isPresent() && !fresh) {
            RunRepository.Execution ex = unfinished.get();
            if (!ex.digest().equals(fleet.digest())) {
                err.println("myriad: fleet " + fleet.name() + " has an unfinished execution (" + ex.id()
                        + ") started from a different version of " + ex.source() + ".");
                err.println("        Restore that file to resume it, or pass --new to start a new execution.");
                return Optional.empty();
            }
            return unfinished;
        }
        long now = System.currentTimeMillis();
        unfinished.ifPresent(ex -> store.finishExecution(ex.id(), now));
        return Optional.of(store.createExecution(fleet.tenant(), fleet.name(), fleet.digest(), fleet.source(), fleet.tasks().size(), now));
    }

    private int run(FleetSpec fleet, RunRepository.Execution execution, Store store, Wiring wiring,
                    Secrets secrets, PrintWriter out, PrintWriter err, GracefulStop stop, long controlsSeen) {
        Map<String, AgentRuntime> runtimes = new LinkedHashMap<>();
        CodingSetup coding = null;
        if (fleet.coding().isPresent()) {
            var spec = fleet.coding().get();
            try {
                coding = CodingSetup.start(fleet, spec, data.resolve(), data.workspaces(), execution.id(), store,
                        () -> runtimes.get(spec.agent()).modelName(), err);
            } catch (io.myriad.tools.swe.SweException e) {
                err.println("myriad: coding: " + e.getMessage());
                err.println("myriad: the fleet's coding tasks could not be prepared; nothing was run");
                return Main.EXIT_PLATFORM;
            }
            wiring.addTools(coding.tools());
        }
        wiring.addMessaging(store.mailbox(io.myriad.core.message.MessageLimits.DEFAULTS, java.time.InstantSource.system()), fleet);
        wiring.prices(PriceTable.withOverrides(store.priceOverrides()));
        fleet.agents().forEach((name, agent) -> runtimes.put(name, wiring.runtime(agent).withPolicy(fleet.policy())));
        boolean simulated = wiring.anySimulated(fleet);
        String model = wiring.describeModels(fleet);
        for (String key : wiring.missingKeys(fleet)) {
            err.println("myriad: warning: environment variable " + key + " is not set; model calls will be sent without an API key");
        }

        Store.RunCounts known = store.runCounts(execution.id());
        err.println("fleet " + fleet.name() + ": " + fleet.tasks().size() + " tasks, concurrency " + fleet.concurrency()
                + ", execution " + execution.id()
                + (known.runs() > 0 ? " (resuming: " + known.finals() + " already final)" : ""));
        err.println("model " + model + (simulated ? "  [SIMULATED: answers do not come from a real LLM]" : ""));
        err.println(fleet.policy().enforced()
                ? "policy: " + fleet.policy().rules().size() + " rule" + (fleet.policy().rules().size() == 1 ? "" : "s")
                        + "; calls no rule allows run only when their tool is read-only"
                : "no policy: every listed tool allowed");

        Duration leaseTime = io.myriad.cli.fleet.Durations.parse(lease == null ? "10s" : lease);
        ScheduledExecutorService clusterTimer = null;
        io.myriad.core.cluster.ClusterMember member = hostedMember;
        if (member == null && store instanceof io.myriad.store.PostgresStore pg) {
            clusterTimer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("myriad-cluster").daemon(true).factory());
            member = ClusterSetup.join(pg, nodeId, leaseTime, clusterTimer, err);
            ClusterSetup.shareLimits(member, pg, err);
        }
        io.myriad.core.journal.Journal journal = member == null ? store : member.journal(store);
        RunLoop.Builder loopBuilder = RunLoop.builder()
                .journal(journal)
                .validator(JsonSchemaValidator.create())
                .workspaceRoot(coding != null ? coding.workspaceRoot() : data.workspaces())
                .retry(fleet.resilience().retryPolicy())
                .redactor(secrets.redactor())
                .tenant(fleet.tenant());
        Optional<io.myriad.core.budget.BudgetLedger> ledger = BudgetSetup.ledger(store, fleet, execution, err);
        ledger.ifPresent(loopBuilder::budgets);
        if (member != null) {
            loopBuilder.fences(member::fenceToAct);
        }
        RunLoop loop = loopBuilder.build();
        FleetRunner.Summary summary;
        Progress progress = null;
        ControlWatcher watcher = null;
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
             ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                     Thread.ofPlatform().name("myriad-timer").daemon(true).factory())) {
            Map<ModelProvider, ModelGateway> gateways = new ConcurrentHashMap<>();
            // A shared provider account: each gateway of this fleet joins the account's group (and, in a cluster, its slice).
            List<AutoCloseable> limitHandles = new java.util.concurrent.CopyOnWriteArrayList<>();
            FleetRunner runner = FleetRunner.builder()
                    .loop(loop).journal(journal).repository(store).agents(runtimes::get)
                    // The limiter starts unlimited and adopts the limits the provider reports in its headers.
                    .gateways(p -> gateways.computeIfAbsent(p, provider -> {
                        ModelGateway g = ModelGateway.builder().provider(provider)
                                // A hosted fleet may be scaled up while it runs: its runs, not the gateway, bound its calls.
                                .maxConcurrency(hostedStop != null ? Math.max(fleet.concurrency(), io.myriad.server.FleetHost.MAX_CONCURRENCY)
                                        : fleet.concurrency()).rateLimiter(RateLimiter.create())
                                .resilience(fleet.resilience()).executor(executor).timer(timer).build();
                        if (fleet.providerLimit().present()) {
                            limitHandles.add(ProviderLimits.shared().join(fleet.providerLimit(), g));
                        }
                        return g;
                    }))
                    .executor(StepExecutor.create(executor, STEP_THREADS)).timer(timer).tenant(fleet.tenant())
                    .workspaces(coding != null ? coding : io.myriad.core.run.RunWorkspaces.NONE)
                    .awaitDecisions(hostedStop != null)
                    .lease(member == null ? () -> true : member::valid)
                    .approvalsElsewhere(member == null ? held -> 0 : ClusterSetup.approvalsElsewhere(store, execution))
                    .build();
            stop.onSignal(runner::drain);
            if (member != null && ledger.isPresent()) {
                // Budgets hold for the cluster: each second this node catches up with what the others spent.
                io.myriad.core.budget.BudgetLedger l = ledger.get();
                timer.scheduleWithFixedDelay(() -> BudgetSetup.sync(store, l, execution), 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            }
            gauges.register(fleet.tenant(), fleet.name(), runner, gateways, coding);
            runnerStarted.accept(runner);
            store.pause(fleet.tenant(), fleet.name()).ifPresent(p -> {
                runner.pause();
                err.println("myriad: fleet " + fleet.name() + " is paused (by " + p.actor() + "); waiting for `myriad resume --fleet "
                        + fleet.name() + "` (Ctrl-C exits; the work is kept)");
            });
            // A policy set while the execution runs holds for this process too, from its start.
            PolicyUpdates policies = new PolicyUpdates(store, fleet, loop, err);
            policies.applyLatest(execution.startedAt());
            watcher = ControlWatcher.start(store, runner, fleet.tenant(), fleet.name(), execution.id(), controlsSeen, timer, err)
                    .onPolicy(policies::control);
            timer.scheduleWithFixedDelay(policies::retry, 200, 200, java.util.concurrent.TimeUnit.MILLISECONDS);
            progress = Progress.start(err, fleet.tasks().size(), System.console() != null && !json,
                    () -> String.format(java.util.Locale.ROOT, "%,d in progress, %,d waiting for the model%s",
                            runner.activeRuns(), gateways.values().stream().mapToInt(g -> g.queued() + g.inFlight()).sum(),
                            store.health().ok() ? "" : "; JOURNAL STALLED: " + store.health().problem()));
            Progress shown = progress;
            Optional<io.myriad.core.run.TaskIntake> intake = Optional.empty();
            io.myriad.core.cluster.ClusterIntake clustered = member == null ? null
                    : ClusterSetup.intake(member, (io.myriad.store.PostgresStore) store, runner, fleet, execution, err);
            if (clustered != null) {
                intake = Optional.of(clustered);
            } else if (fleet.intakeOpen()) {
                intake = Optional.of(new StoreIntake(store, execution.id()));
                err.println("intake open: waiting for tasks (Ctrl-C drains)");
                err.flush();
            }
            summary = runner.run(fleet, execution, new FleetRunner.Listener() {
                @Override
                public void runFinished(String runId, RunStatus status) {
                    shown.finished(runId, status.state().label());
                    if (clustered != null) {
                        clustered.settled(runId, status.state());
                    }
                }

                @Override
                public void runAbandoned(String runId, RuntimeException cause) {
                    shown.finished(runId, "failed");
                    if (clustered != null) {
                        clustered.abandoned(runId);
                    }
                }

                @Override
                public void runLetGo(String runId) {
                    if (clustered != null) {
                        clustered.abandoned(runId); // any node may take it on at once
                    }
                }

                @Override
                public void approvalsThrottled(String runId, int maxPending) {
                    err.println("myriad: " + maxPending + " approvals are pending in this execution (approvals.max_pending);"
                            + " runs that need another wait for one to be decided: myriad approvals ls --execution "
                            + execution.id());
                    err.flush();
                }
            }, intake);
            if (clustered != null) {
                clustered.releaseOutstanding(); // drained or stopped: what it claimed and did not finish goes back
            }
            for (AutoCloseable h : limitHandles) {
                try {
                    h.close();
                } catch (Exception e) {
                    // Leaving a group cannot fail.
                }
            }
        } finally {
            if (watcher != null) {
                watcher.close();
            }
            if (clusterTimer != null) {
                member.close(); // leaves the cluster: what it still owns is claimable at once
                clusterTimer.shutdownNow();
            }
            if (progress != null) {
                progress.stop();
            }
        }
        // A drained open fleet keeps its execution: tasks submitted to it resume with it on the next start.
        // A run in doubt ends this node's part but keeps the execution open: its next start goes on from the decision.
        boolean clusterDone = member != null && ClusterSetup.everyRunFinal(store, fleet, execution);
        if (member != null ? clusterDone : summary.finals() == summary.tasks() && !(fleet.intakeOpen() && stop.signalled())) {
            store.finishExecution(execution.id(), System.currentTimeMillis());
        }
        Store.Size size = store.size();
        Optional<CodingSetup.Tally> delivered = Optional.ofNullable(coding).map(CodingSetup::tally);
        if (member != null && !json) {
            Store.RunCounts all = store.runCounts(execution.id());
            out.printf(java.util.Locale.ROOT, "cluster   node %s ran %,d of the execution's %,d runs (the others ran the rest); %s%n",
                    member.node().id(), summary.tasks(), all.runs(), clusterDone ? "every run is final" : all.finals() + " final so far");
        }
        new SummaryPrinter(out).print(fleet, execution, summary, model, simulated, size, store.describe(), json, delivered);
        if (!json && fleet.orchestration().reduce().isPresent()) {
            String result = FleetRunner.runId(execution.id(), "reduce");
            store.run(result).ifPresent(r -> out.println("result    " + r.status().state().label() + ": the reduction of every task's result"
                    + " is run " + result + "   (myriad runs show " + result + ")"));
        }
        boolean allDelivered = delivered.map(d -> d.verified() == fleet.tasks().size()).orElse(true);
        if (summary.inDoubt() > 0 || summary.awaitingApproval() > 0 || summary.throttled() > 0) {
            return Main.EXIT_NEEDS_DECISION;
        }
        if (stop.signalled()) {
            return Main.EXIT_OK; // a graceful shutdown: the rest resumes on the next start
        }
        return summary.succeeded() == summary.tasks() && allDelivered ? Main.EXIT_OK : Main.EXIT_TASKS_FAILED;
    }

    /** The tasks submitted to an execution, from the store; the first poll replays them all. */
    private static final class StoreIntake implements io.myriad.core.run.TaskIntake {
        private final Store store;
        private final String execution;
        private long cursor; // only the runner's thread polls

        StoreIntake(Store store, String execution) {
            this.store = store;
            this.execution = execution;
        }

        @Override
        public List<io.myriad.core.fleet.TaskSpec> poll() {
            List<Store.SubmittedTask> fresh = store.submittedTasks(execution, cursor);
            if (!fresh.isEmpty()) {
                cursor = fresh.getLast().seq();
            }
            return fresh.stream().map(Store.SubmittedTask::task).toList();
        }
    }
}
