package io.myriad.cli;

import io.myriad.core.delivery.Deliveries;
import io.myriad.core.delivery.Delivery;
import io.myriad.core.fleet.CodingSpec;
import io.myriad.core.fleet.FleetSpec;
import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.RunStatus;
import io.myriad.core.run.RunLoop;
import io.myriad.core.run.RunWorkspaces;
import io.myriad.core.tool.Tool;
import io.myriad.core.tool.ToolContext;
import io.myriad.core.tool.ToolException;
import io.myriad.tools.coding.RunTestsTool;
import io.myriad.tools.coding.Submissions;
import io.myriad.tools.coding.SubmitTool;
import io.myriad.tools.coding.TestSlots;
import io.myriad.tools.sandbox.Limits;
import io.myriad.tools.sandbox.Sandbox;
import io.myriad.tools.swe.CodingTask;
import io.myriad.tools.swe.CodingTasks;
import io.myriad.tools.swe.DeliveryResult;
import io.myriad.tools.swe.DeliveryVerifier;
import io.myriad.tools.swe.Evidence;
import io.myriad.tools.swe.GitWorkspaces;
import io.myriad.tools.swe.RunWorkspace;
import io.myriad.tools.swe.SampleProjects;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The parts of a fleet of software engineers ({@code coding} in the fleet file): each run's
 * checkout, the {@code run_tests} and {@code submit} tools, and the verification of submissions
 * into deliveries.
 *
 * <p>Notes: the checkouts live under {@code <workspaces>/coding-<tenant>-<fleet>}, which is the
 * run loop's workspace root for the fleet, so a run's checkout is the folder its tools work in.
 * One {@link TestSlots} bounds the agents' test runs and the platform's checks together. A
 * submission is verified on the calling run's tool thread, holding one test slot for both of its
 * test commands.
 */
final class CodingSetup implements RunWorkspaces {
    private final CodingSpec spec;
    private final Map<String, CodingTask> tasks;
    private final String execution;
    private final String tenant;
    private final Deliveries deliveries;
    private final Supplier<String> model;
    private final GitWorkspaces workspaces;
    private final Path workspaceRoot;
    private final TestSlots slots;
    private final Sandbox sandbox;
    private final Sandbox networked;
    private final Map<Boolean, DeliveryVerifier> verifiers = new ConcurrentHashMap<>();
    private final Path verifyRoot;
    private final Path patches;
    private final Map<String, RunWorkspace> live = new ConcurrentHashMap<>();
    private final io.myriad.tools.ShellTool.Settings shellSettings;

    private CodingSetup(CodingSpec spec, Map<String, CodingTask> tasks, Path data, Path workspacesDir, FleetSpec fleet,
            String execution, Deliveries deliveries, Supplier<String> model) {
        this.spec = spec;
        this.tasks = tasks;
        this.execution = execution;
        this.tenant = fleet.tenant();
        this.deliveries = deliveries;
        this.model = model;
        String name = "coding-" + fleet.tenant() + "-" + fleet.name();
        this.workspaceRoot = workspacesDir.resolve(name);
        this.workspaces = GitWorkspaces.builder(workspaceRoot).maxWorkspaces(spec.maxWorkspaces())
                .keep(spec.keepWorkspaces()).build();
        this.slots = TestSlots.of(spec.testSlots());
        Sandbox.Mode mode = io.myriad.tools.ShellTool.Settings.parseMode(fleet.shellSandbox());
        this.sandbox = sandbox(mode, spec, false);
        this.networked = sandbox(mode, spec, true);
        this.shellSettings = io.myriad.tools.ShellTool.Settings.DEFAULTS.withSandbox(mode);
        this.verifyRoot = data.resolve("verify").resolve(name);
        this.patches = data.resolve("deliveries").resolve(execution);
    }

    /** A sandbox for the fleet's commands: the caches shown read-only, the network if asked. */
    private static Sandbox sandbox(Sandbox.Mode mode, CodingSpec spec, boolean network) {
        Sandbox.Builder b = Sandbox.builder().mode(mode).limits(Limits.DEFAULTS).network(network);
        spec.caches().forEach(b::readOnly);
        return b.build();
    }

    /**
     * The coding parts of {@code fleet}: reads its tasks file again (the loader checked it), or
     * writes its sample projects under {@code <data>/samples}.
     */
    static CodingSetup start(FleetSpec fleet, CodingSpec spec, Path data, Path workspacesDir, String execution,
            Deliveries deliveries, Supplier<String> model, PrintWriter err) {
        Map<String, CodingTask> tasks = new LinkedHashMap<>();
        if (spec.tasksFile().isPresent()) {
            CodingTasks.read(spec.tasksFile().get()).forEach(t -> tasks.put(t.id(), t));
        } else {
            Path samples = data.resolve("samples");
            Optional<Path> jdk = SampleProjects.sandboxJdk();
            for (SampleProjects.Sample s : SampleProjects.samples(spec.samples(), jdk)) {
                tasks.put(s.id(), s.task(s.materialize(samples, Path.of("/usr/bin/git"))));
            }
            err.println("coding: " + spec.samples() + " sample projects in " + samples
                    + (jdk.isEmpty() ? " (Python only: no JDK under /usr for the sandbox)" : ""));
        }
        return new CodingSetup(spec, Map.copyOf(tasks), data, workspacesDir, fleet, execution, deliveries, model);
    }

    /** The fleet's test slots, for its metrics. */
    TestSlots slots() {
        return slots;
    }

    /** Where the fleet's runs work: the run loop's workspace root. */
    Path workspaceRoot() {
        return workspaceRoot;
    }

    /** {@code run_tests} and {@code submit}, bound to each run's task. */
    List<Tool> tools() {
        RunTestsTool.Settings settings = RunTestsTool.Settings.of("the task's test command")
                .withTimeout(spec.testTimeout());
        Tool runTests = RunTestsTool.perRun(settings, sandbox, slots, context -> {
            CodingTask task = task(context);
            return Optional.of(new RunTestsTool.RunTests(task.testCommand(), task.allowNetwork() ? networked : sandbox));
        });
        return List.of(runTests, SubmitTool.create(this::submit), shell());
    }

    /**
     * {@code shell} for coding runs: the guards against writing {@code .git}, deleting the
     * workspace and (unless the run's task allows it) reaching the network refuse a command
     * before it runs; a task that allows the network gets a sandbox that shares the host's.
     */
    private Tool shell() {
        Tool offline = io.myriad.tools.ShellTool.create(
                shellSettings.withGuard(io.myriad.tools.coding.CodingGuards.forCoding(false)), sandbox);
        Tool online = io.myriad.tools.ShellTool.create(
                shellSettings.withGuard(io.myriad.tools.coding.CodingGuards.forCoding(true)), networked);
        return new Tool() {
            @Override
            public io.myriad.core.model.ToolDefinition definition() {
                return offline.definition();
            }

            @Override
            public io.myriad.core.tool.Effect effect() {
                return offline.effect();
            }

            @Override
            public Duration timeout() {
                return offline.timeout();
            }

            @Override
            public int maxOutputChars() {
                return offline.maxOutputChars();
            }

            @Override
            public io.myriad.core.tool.ToolResult invoke(com.fasterxml.jackson.databind.JsonNode arguments, ToolContext context) {
                return (task(context).allowNetwork() ? online : offline).invoke(arguments, context);
            }
        };
    }

    @Override
    public void prepare(String runId, TaskSpec spec, boolean resumed) {
        CodingTask task = tasks.get(spec.id());
        if (task == null) {
            throw new IllegalStateException("task " + spec.id() + " is not a coding task of this fleet");
        }
        String name = RunLoop.workspaceName(runId);
        live.put(runId, resumed ? workspaces.open(task, runId, name) : workspaces.create(task, runId, name));
    }

    @Override
    public void release(String runId, RunStatus status) {
        RunWorkspace ws = live.remove(runId);
        if (ws != null) {
            workspaces.finish(ws);
        }
    }

    private CodingTask task(ToolContext context) {
        RunWorkspace ws = live.get(context.runId());
        CodingTask task = ws == null ? null : tasks.get(ws.taskId());
        if (task == null) {
            throw new ToolException("run " + context.runId() + " has no coding task in this process");
        }
        return task;
    }

    /** The deliveries of this execution: how many tasks have a verified one, and the newest verdicts of the rest. */
    record Tally(int verified, int unverified, int refused, int none) {
        String describe(int tasks, String execution) {
            return String.format(java.util.Locale.ROOT, "%d of %d tasks verified and delivered, %d unverified, "
                    + "%d refused, %d without a submission%s", verified, tasks, unverified, refused, none,
                    verified + unverified + refused > 0 ? "  (myriad deliveries ls --execution " + execution + ")" : "");
        }
    }

    Tally tally() {
        Map<String, Delivery.Verdict> best = new java.util.HashMap<>();
        // Newest first: a task's verdict is verified if any submission was, else its newest one.
        for (Delivery d : deliveries.deliveries(io.myriad.core.auth.TenantScope.only(java.util.Set.of(tenant)),
                Optional.of(execution), Optional.empty(), Integer.MAX_VALUE)) {
            best.merge(d.taskId(), d.verdict(), (a, b) -> a == Delivery.Verdict.VERIFIED || b == Delivery.Verdict.VERIFIED
                    ? Delivery.Verdict.VERIFIED : a);
        }
        int v = 0;
        int u = 0;
        int r = 0;
        for (Delivery.Verdict verdict : best.values()) {
            switch (verdict) {
                case VERIFIED -> v++;
                case UNVERIFIED -> u++;
                case REFUSED -> r++;
            }
        }
        return new Tally(v, u, r, tasks.size() - best.size());
    }

    /** Verifies a submission and records the verdict; the agent reads the receipt. */
    private Submissions.Receipt submit(Submissions.Submission submission) {
        RunWorkspace ws = live.get(submission.runId());
        if (ws == null) {
            throw new ToolException("run " + submission.runId() + " has no checkout in this process");
        }
        CodingTask task = tasks.get(ws.taskId());
        // Counted from the recorded verdicts, so a restart does not reset it; the same call made
        // again by recovery (same id) replaces its own record and does not count twice.
        int n = 1 + (int) deliveries.deliveries(io.myriad.core.auth.TenantScope.only(java.util.Set.of(tenant)),
                        Optional.of(execution), Optional.empty(), Integer.MAX_VALUE).stream()
                .filter(d -> d.runId().equals(submission.runId()) && !d.id().equals(submission.idempotencyKey()))
                .count();
        if (n > spec.maxSubmissions()) {
            return new Submissions.Receipt(submission.idempotencyKey(), "Not checked: this run has already submitted "
                    + spec.maxSubmissions() + " times (coding.max_submissions); the last verdict stands.", false);
        }
        DeliveryVerifier verifier = verifiers.computeIfAbsent(task.allowNetwork(), net -> DeliveryVerifier.builder(
                        net ? networked : sandbox, verifyRoot.resolve(net ? "net" : "offline"), patches)
                .maxDiffBytes(spec.maxDiffBytes()).timeout(spec.testTimeout()).build());
        DeliveryResult result;
        Optional<TestSlots.Slot> slot;
        try {
            slot = slots.acquire(Duration.ofMinutes(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolException("cancelled while waiting for a test slot; nothing was verified", e);
        }
        if (slot.isEmpty()) {
            return new Submissions.Receipt(submission.idempotencyKey(), "Not checked: every test slot stayed busy for "
                    + "30 minutes. Submit again later.", false);
        }
        String patch;
        try (TestSlots.Slot held = slot.get()) {
            patch = verifier.diff(ws);
            result = verifier.verify(task, ws.baseCommit(), patch);
        }
        Delivery delivery = delivery(submission, task, patch, result);
        deliveries.record(delivery);
        return new Submissions.Receipt(submission.idempotencyKey(), receipt(delivery, spec.maxSubmissions() - n),
                delivery.verdict() == Delivery.Verdict.VERIFIED);
    }

    private Delivery delivery(Submissions.Submission s, CodingTask task, String patch, DeliveryResult result) {
        long now = System.currentTimeMillis();
        return switch (result) {
            case DeliveryResult.Verified v -> new Delivery(s.idempotencyKey(), s.runId(), execution, tenant, task.id(),
                    model.get(), Delivery.Verdict.VERIFIED, "the test command failed on the base and passes with the diff",
                    s.explanation(), Optional.of(v.branch()), Optional.of(v.commitSha()),
                    Optional.of(v.patchFile().toString()), patch, v.evidence().files(), checks(v.evidence()), now);
            case DeliveryResult.Unverified u -> new Delivery(s.idempotencyKey(), s.runId(), execution, tenant, task.id(),
                    model.get(), Delivery.Verdict.UNVERIFIED, u.reason(), s.explanation(), Optional.empty(),
                    Optional.empty(), Optional.empty(), patch, u.evidence().files(), checks(u.evidence()), now);
            case DeliveryResult.Refused r -> new Delivery(s.idempotencyKey(), s.runId(), execution, tenant, task.id(),
                    model.get(), Delivery.Verdict.REFUSED, r.reason(), s.explanation(), Optional.empty(),
                    Optional.empty(), Optional.empty(),
                    patch.length() > spec.maxDiffBytes() ? "" : patch, List.of(), List.of(), now);
        };
    }

    private static List<Delivery.Check> checks(Evidence evidence) {
        List<Delivery.Check> out = new ArrayList<>();
        for (Evidence.Step step : evidence.steps()) {
            out.add(new Delivery.Check(step.phase().name().toLowerCase(java.util.Locale.ROOT), step.command(),
                    step.exitCode(), step.duration().toMillis(), step.timedOut(), step.outputTail()));
        }
        return out;
    }

    private static String receipt(Delivery d, int left) {
        StringBuilder b = new StringBuilder();
        switch (d.verdict()) {
            case VERIFIED -> b.append("Verified and delivered: the tests fail on the base and pass with your change. ")
                    .append("Branch ").append(d.branch().orElseThrow()).append(", commit ")
                    .append(d.commit().orElseThrow(), 0, 12).append(". You are done; answer with a one-line summary.");
            case UNVERIFIED -> b.append("Not delivered: ").append(d.reason()).append('.');
            case REFUSED -> b.append("Refused, nothing was run: ").append(d.reason()).append('.');
        }
        for (Delivery.Check c : d.steps()) {
            b.append("\n- ").append(c.phase()).append(": exit ").append(c.exitCode()).append(c.timedOut() ? " (timed out)" : "")
                    .append(" in ").append(c.millis()).append(" ms");
        }
        if (d.verdict() != Delivery.Verdict.VERIFIED) {
            d.steps().stream().filter(c -> c.phase().equals("test_after")).findFirst().ifPresent(c -> b.append("\nOutput of the tests with your change:\n")
                    .append(c.outputTail().length() > 1500 ? c.outputTail().substring(c.outputTail().length() - 1500) : c.outputTail()));
            b.append(left > 0 ? "\nYou may fix it and submit again (" + left + " submission" + (left == 1 ? "" : "s") + " left)."
                    : "\nNo submissions are left; the verdict stands.");
        }
        return b.toString();
    }
}
