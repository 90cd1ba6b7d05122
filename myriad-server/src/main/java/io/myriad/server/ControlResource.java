package io.myriad.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.myriad.core.audit.AuditEntry;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.control.Action;
import io.myriad.core.control.Control;
import io.myriad.core.control.Scope;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.run.Cancellations;
import io.myriad.store.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's controls, as {@code myriad kill}, {@code pause} and {@code resume}: each records
 * a control and its audit record ({@code control.<action>}); live engines poll the controls and
 * act. A kill cancels at once the runs that wait for a person (no process drives them), and, as
 * the CLI does after its wait, cancels a moment later whatever no live process cancelled; the
 * answer does not wait for that.
 */
public final class ControlResource implements ApiResource {
    /** How long live processes get to cancel their runs before the server cancels what is left. */
    static final Duration KILL_GRACE = Duration.ofMillis(1500);

    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("POST", "/v1/kill", "Cancels runs: body {run | fleet (+ tenant) | tenant | all: true, reason?} (control permission)");
        routes.post("/v1/kill", ctx -> kill(api, ctx));
        api.describe("POST", "/v1/pause", "Pauses a fleet at its runs' next step boundary: body {fleet, tenant?, reason?} (control permission)");
        routes.post("/v1/pause", ctx -> pauseOrResume(api, ctx, true));
        api.describe("POST", "/v1/resume", "Resumes a paused fleet: body {fleet, tenant?} (control permission)");
        routes.post("/v1/resume", ctx -> pauseOrResume(api, ctx, false));
    }

    private static void kill(Api api, Context ctx) {
        ObjectNode body = api.body(ctx, Set.of("run", "fleet", "tenant", "all", "reason"));
        Principal who = api.principal(ctx);
        Store store = api.store();
        String runId = Params.text(body, "run").orElse(null);
        String fleet = Params.text(body, "fleet").orElse(null);
        String tenant = Params.text(body, "tenant").map(Params::tenantName).orElse(null);
        boolean all = body.path("all").asBoolean(false);
        String reason = Params.text(body, "reason").orElse("");
        int given = (runId != null ? 1 : 0) + (fleet != null ? 1 : 0) + (all ? 1 : 0) + (tenant != null && fleet == null ? 1 : 0);
        if (given != 1 || all && tenant != null || runId != null && tenant != null) {
            throw ApiError.badRequest("name exactly one of run, fleet (with tenant), tenant, all");
        }
        Scope scope = Scope.toKill(who, runId, fleet, tenant, r -> Params.run(store, who, r, Permission.CONTROL));
        api.json(ctx, kill(api, who, scope, reason));
    }

    /**
     * Kills the runs of {@code scope} as {@code who} (whose permission the caller has checked):
     * the control and its audit record, the runs waiting for a person cancelled at once, the rest
     * after {@link #KILL_GRACE} unless a live process cancelled them; answers what was done.
     */
    static ObjectNode kill(Api api, Principal who, Scope scope, String reason) {
        Store store = api.store();
        Control c = record(api, who, Action.KILL, scope, reason);
        List<RunRepository.RunRow> targets = store.unfinishedRuns(scope);
        List<String> cancelled = new ArrayList<>();
        for (RunRepository.RunRow row : targets) {
            if (row.status().state().awaitsHuman()) {
                cancel(store, row.runId(), c.cancelReason(), cancelled);
            }
        }
        if (cancelled.size() < targets.size()) {
            Thread.ofVirtual().name("myriad-kill-" + c.seq()).start(() -> cancelLeftovers(store, scope, c));
        }
        ObjectNode o = api.mapper().createObjectNode().put("control", c.seq()).put("scope", scope.describe())
                .put("by", who.actor()).put("runs", targets.size());
        ArrayNode now = o.putArray("cancelled");
        cancelled.forEach(now::add);
        return o;
    }

    /** After the grace, cancels the runs of the scope no live process cancelled. */
    private static void cancelLeftovers(Store store, Scope scope, Control c) {
        try {
            long deadline = System.nanoTime() + KILL_GRACE.toNanos();
            List<RunRepository.RunRow> left = store.unfinishedRuns(scope);
            while (!left.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
                left = store.unfinishedRuns(scope);
            }
            for (RunRepository.RunRow row : left) {
                cancel(store, row.runId(), c.cancelReason() + " (no live process was driving it)", new ArrayList<>());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the store closed meanwhile (the server is stopping): the next kill or run settles these runs
        }
    }

    private static void pauseOrResume(Api api, Context ctx, boolean pause) {
        ObjectNode body = api.body(ctx, pause ? Set.of("fleet", "tenant", "reason") : Set.of("fleet", "tenant"));
        Principal who = api.principal(ctx);
        String fleet = Params.required(body, "fleet");
        String tenant = Params.text(body, "tenant").map(Params::tenantName).orElse(Principal.DEFAULT_TENANT);
        who.require(Permission.CONTROL, tenant);
        Optional<Control> paused = api.store().pause(tenant, fleet);
        ObjectNode o = api.mapper().createObjectNode().put("fleet", fleet).put("tenant", tenant);
        if (pause == paused.isPresent()) {
            // Already paused: by whom, as `myriad pause` says.
            paused.ifPresent(p -> o.put("by", p.actor()));
            api.json(ctx, o.put("paused", pause).put("changed", false));
            return;
        }
        Control c = record(api, who, pause ? Action.PAUSE : Action.RESUME, new Scope.Fleet(tenant, fleet),
                pause ? Params.text(body, "reason").orElse("") : "");
        api.json(ctx, o.put("paused", pause).put("changed", true).put("control", c.seq()));
    }

    /** As {@code ControlCommands.record}: the control, then its audit record. */
    static Control record(Api api, Principal who, Action action, Scope scope, String reason) {
        Store store = api.store();
        long now = System.currentTimeMillis();
        Control c = store.record(now, who.actor(), action, scope, reason);
        String tenant = switch (scope) {
            case Scope.Fleet f -> f.tenant();
            case Scope.Tenant t -> t.tenant();
            case Scope.Run r -> store.run(r.runId()).map(RunRepository.RunRow::tenant).orElse(Principal.DEFAULT_TENANT);
            case Scope.All a -> Principal.ALL_TENANTS;
        };
        store.appendAudit(List.of(new AuditEntry(now, tenant, who.actor(), action.auditAction(), scope.describe(),
                api.mapper().createObjectNode().put("seq", c.seq()).put("scope", scope.kind()).put("value", scope.value())
                        .put("reason", reason).toString()))).join();
        return c;
    }

    /** Cancels a run with a fenced append; a live writer that appended first makes it read again and retry. */
    private static void cancel(Store store, String runId, String reason, List<String> done) {
        if (Cancellations.cancel(store, java.time.InstantSource.system(), runId, reason) == Cancellations.Outcome.CANCELLED) {
            done.add(runId);
        }
    }
}
