package io.myriad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.control.Scope;
import io.myriad.core.journal.RunRepository;
import io.myriad.store.Store;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code myriad kill}, {@code pause} and {@code resume}: the operator's controls over running work. */
final class ControlCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ControlCommands() {}

    /** Records a control and its audit record (action {@code control.<action>}, actor the principal). */
    static Control record(Store store, Principal who, Action action, Scope scope, String reason) {
        return record(store, who, action, scope, reason, null);
    }

    /**
     * Records a control and its audit record; {@code policy} (for {@link Action#POLICY}) is the new
     * policy document, kept in the audit record, where every process running the fleet reads it.
     */
    static Control record(Store store, Principal who, Action action, Scope scope, String reason, String policy) {
        long now = System.currentTimeMillis();
        Control c = store.record(now, who.actor(), action, scope, reason);
        String tenant = switch (scope) {
            case Scope.Fleet f -> f.tenant();
            case Scope.Tenant t -> t.tenant();
            case Scope.Run r -> store.run(r.runId()).map(RunRepository.RunRow::tenant).orElse(Principal.DEFAULT_TENANT);
            case Scope.All a -> Principal.ALL_TENANTS;
        };
        var details = JSON.createObjectNode().put("seq", c.seq()).put("scope", scope.kind()).put("value", scope.value())
                .put("reason", reason);
        if (policy != null) {
            details.put("policy", policy);
        }
        store.appendAudit(List.of(new AuditEntry(now, tenant, who.actor(), action.auditAction(), scope.describe(),
                details.toString()))).join();
        return c;
    }

    /** {@code myriad kill RUN | --fleet NAME [--tenant T] | --tenant T | --all}. */
    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = {"Cancels runs at once: a run, a fleet, a tenant or everything.",
                    "Queued work is dropped, model calls are abandoned, sandboxed commands are killed; each run journals",
                    "run_cancelled naming who killed it. Live `myriad run` processes apply it within a fraction of a second;",
                    "runs no process is driving are cancelled by this command. A kill is not a lock: new work can start",
                    "afterwards (pause a fleet to hold it)."})
    static final class Kill implements Callable<Integer>, RemoteClient.Supported {
        @Parameters(arity = "0..1", paramLabel = "RUN", description = "The run to kill.")
        String runId;

        @Option(names = "--fleet", paramLabel = "NAME", description = "Kill every run of this fleet (of --tenant, default: default).")
        String fleet;

        @Option(names = "--tenant", paramLabel = "T", description = "Alone: kill every run of this tenant. With --fleet: the fleet's tenant.")
        String tenant;

        @Option(names = "--all", description = "Kill every run of every tenant (needs the control permission everywhere).")
        boolean all;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "", description = "Why; journaled and audited.")
        String reason;

        @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "1500ms",
                description = "How long live processes get to cancel their runs before this command cancels what is left"
                        + " (default ${DEFAULT-VALUE}).")
        String wait;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            long waitMillis = io.myriad.cli.fleet.Durations.parse(wait).toMillis();
            int given = (runId != null ? 1 : 0) + (fleet != null ? 1 : 0) + (all ? 1 : 0) + (tenant != null && fleet == null ? 1 : 0);
            if (given != 1 || all && tenant != null || runId != null && tenant != null) {
                err.println("myriad: kill: name exactly one of RUN, --fleet NAME [--tenant T], --tenant T, --all");
                return Main.EXIT_BAD_INPUT;
            }
            var remote = caller.remote();
            if (remote.isPresent()) {
                return remote(remote.get(), out);
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                Scope scope = Scope.toKill(who, runId, fleet, tenant, r -> Access.run(store, who, r, Permission.CONTROL));
                long begin = System.nanoTime();
                Control c = record(store, who, Action.KILL, scope, reason);
                List<RunRepository.RunRow> targets = store.unfinishedRuns(scope);
                List<String> byCommand = new ArrayList<>();
                List<String> failed = new ArrayList<>();
                // Runs waiting for a person are driven by no process: cancel them now.
                for (RunRepository.RunRow row : targets) {
                    if (row.status().state().awaitsHuman()) {
                        cancel(store, row.runId(), c.cancelReason(), byCommand, failed);
                    }
                }
                long deadline = System.nanoTime() + waitMillis * 1_000_000;
                List<RunRepository.RunRow> left = store.unfinishedRuns(scope);
                while (!left.isEmpty() && System.nanoTime() < deadline) {
                    sleep(50);
                    left = store.unfinishedRuns(scope);
                }
                for (RunRepository.RunRow row : left) {
                    cancel(store, row.runId(), c.cancelReason() + " (no live process was driving it)", byCommand, failed);
                }
                long took = (System.nanoTime() - begin) / 1_000_000;
                int byProcesses = targets.size() - byCommand.size() - failed.size();
                out.printf("killed %s (control #%d by %s): %d run%s cancelled in %d ms (%d by their processes, %d by this command)%n",
                        scope.describe(), c.seq(), who.actor(), targets.size() - failed.size(), targets.size() == 1 ? "" : "s",
                        took, Math.max(0, byProcesses), byCommand.size());
                byCommand.stream().limit(10).forEach(r -> out.println("  cancelled " + r));
                failed.forEach(r -> err.println("myriad: kill: could not cancel " + r));
                return failed.isEmpty() ? Main.EXIT_OK : Main.EXIT_PLATFORM;
            }
        }

        /**
         * Kills on a node: it records the control and cancels the runs waiting for a person at
         * once; the rest are cancelled by their processes or, after its grace, by the node.
         */
        private int remote(RemoteClient remote, PrintWriter out) {
            long begin = System.nanoTime();
            var body = JSON.createObjectNode();
            if (runId != null) {
                body.put("run", runId);
            }
            if (fleet != null) {
                body.put("fleet", fleet);
            }
            if (tenant != null) {
                body.put("tenant", tenant);
            }
            if (all) {
                body.put("all", true);
            }
            body.put("reason", reason);
            var answer = remote.post("/v1/kill", body, "no run " + runId
                    + " among the runs you may see; list them with: myriad runs ls");
            List<String> byCommand = new ArrayList<>();
            answer.path("cancelled").forEach(r -> byCommand.add(r.asText()));
            int targets = answer.path("runs").asInt();
            long took = (System.nanoTime() - begin) / 1_000_000;
            out.printf("killed %s (control #%d by %s): %d run%s cancelled in %d ms (%d by their processes, %d by this command)%n",
                    answer.path("scope").asText(), answer.path("control").asLong(), answer.path("by").asText(), targets,
                    targets == 1 ? "" : "s", took, Math.max(0, targets - byCommand.size()), byCommand.size());
            byCommand.stream().limit(10).forEach(r -> out.println("  cancelled " + r));
            return Main.EXIT_OK;
        }

        /** Cancels a run with a fenced append; a live writer that appended first makes it read again and retry. */
        private static void cancel(Store store, String runId, String reason, List<String> done, List<String> failed) {
            switch (io.myriad.core.run.Cancellations.cancel(store, java.time.InstantSource.system(), runId, reason)) {
                case CANCELLED -> done.add(runId);
                case ALREADY_FINAL -> { } // its process got there first
                case CONTENDED -> failed.add(runId + ": another process kept appending to it");
            }
        }
    }

    /** The fleet a pause or resume names. */
    static final class FleetArg {
        @Option(names = "--fleet", required = true, paramLabel = "NAME", description = "The fleet.")
        String fleet;

        @Option(names = "--tenant", paramLabel = "T", defaultValue = Principal.DEFAULT_TENANT,
                description = "The fleet's tenant (default ${DEFAULT-VALUE}).")
        String tenant;
    }

    /** {@code myriad pause --fleet NAME [--tenant T]}. */
    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = {"Pauses a fleet: live processes stop its runs at their next step boundary (work in flight finishes",
                    "and is journaled, nothing is cancelled) and `myriad run` of it waits, until `myriad resume`."})
    static final class Pause implements Callable<Integer>, RemoteClient.Supported {
        @ArgGroup(exclusive = false, multiplicity = "1")
        FleetArg target;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "", description = "Why; audited.")
        String reason;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var remote = caller.remote();
            if (remote.isPresent()) {
                var answer = remote.get().post("/v1/pause", JSON.createObjectNode().put("fleet", target.fleet)
                        .put("tenant", target.tenant).put("reason", reason), null);
                return answer.path("changed").asBoolean() ? paused(answer.path("control").asLong())
                        : already(answer.path("by").asText());
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                who.require(Permission.CONTROL, target.tenant);
                Optional<Control> already = store.pause(target.tenant, target.fleet);
                if (already.isPresent()) {
                    return already(already.get().actor());
                }
                Control c = record(store, who, Action.PAUSE, new Scope.Fleet(target.tenant, target.fleet), reason);
                return paused(c.seq());
            }
        }

        private int already(String by) {
            spec.commandLine().getOut().println("fleet " + target.fleet + " (tenant " + target.tenant
                    + ") is already paused (by " + by + "); myriad resume --fleet " + target.fleet);
            return Main.EXIT_OK;
        }

        private int paused(long control) {
            spec.commandLine().getOut().println("paused fleet " + target.fleet + " (tenant " + target.tenant + ", control #"
                    + control + "): its runs stop at their next step boundary and keep their work;"
                    + " myriad resume --fleet " + target.fleet + " continues them");
            return Main.EXIT_OK;
        }
    }

    /** {@code myriad resume --fleet NAME [--tenant T]}. */
    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Resumes a paused fleet: live processes drive its runs again from where they stopped.")
    static final class Resume implements Callable<Integer>, RemoteClient.Supported {
        @ArgGroup(exclusive = false, multiplicity = "1")
        FleetArg target;

        @Mixin
        DataDir data;

        @Mixin
        Caller caller;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var remote = caller.remote();
            if (remote.isPresent()) {
                var answer = remote.get().post("/v1/resume", JSON.createObjectNode().put("fleet", target.fleet)
                        .put("tenant", target.tenant), null);
                return answer.path("changed").asBoolean() ? resumed(answer.path("control").asLong()) : notPaused();
            }
            try (Store store = data.openStore()) {
                Principal who = caller.principal(store);
                who.require(Permission.CONTROL, target.tenant);
                if (store.pause(target.tenant, target.fleet).isEmpty()) {
                    return notPaused();
                }
                Control c = record(store, who, Action.RESUME, new Scope.Fleet(target.tenant, target.fleet), "");
                return resumed(c.seq());
            }
        }

        private int notPaused() {
            spec.commandLine().getOut().println("fleet " + target.fleet + " (tenant " + target.tenant + ") is not paused");
            return Main.EXIT_OK;
        }

        private int resumed(long control) {
            spec.commandLine().getOut().println("resumed fleet " + target.fleet + " (tenant " + target.tenant + ", control #"
                    + control + ")");
            return Main.EXIT_OK;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.myriad.core.MyriadException("interrupted while waiting for the runs to stop", false, e);
        }
    }
}
