package io.myriad.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.myriad.core.auth.Permission;
import io.myriad.core.auth.Principal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunRepository;
import io.myriad.core.model.ToolCall;
import io.myriad.core.run.Approvals;
import io.myriad.core.run.RunFold;
import io.myriad.core.run.RunState;
import io.myriad.store.Store;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Tool calls waiting for a person, and the decisions, as {@code myriad approvals}. A run waits
 * for at most one approval at a time, so an approval is named by its run id in paths; its full
 * id ({@code RUN#CALL}) is in the answers. Deciding journals the decision fenced on the run's
 * sequence ({@link Approvals#decide}), exactly as the CLI does.
 */
public final class ApprovalsResource implements ApiResource {
    @Override
    public void register(RoutesConfig routes, Api api) {
        api.describe("GET", "/v1/approvals", "Pending approvals the caller may view, by run id (execution, limit)");
        routes.get("/v1/approvals", ctx -> {
            Predicate<String> visible = api.principal(ctx).scope(Permission.VIEW);
            long now = System.currentTimeMillis();
            ArrayNode out = api.mapper().createArrayNode();
            Store s = api.store();
            // Tenants filtered in the query, before the limit: another tenant's backlog hides nothing.
            for (RunRepository.RunRow r : s.runsInState(RunState.AWAITING_APPROVAL, Params.query(ctx, "execution").orElse(null),
                    RunsResource.limit(ctx), api.principal(ctx).scopeOf(Permission.VIEW))) {
                if (visible.test(r.tenant())) {
                    RunFold fold = fold(s, r.runId());
                    fold.awaitingApproval().ifPresent(req -> out.add(json(api.mapper(), r, req, fold, now)));
                }
            }
            api.json(ctx, api.mapper().createObjectNode().set("approvals", out));
        });
        api.describe("GET", "/v1/approvals/{run}", "A run's latest approval, or with RUN#CALL that call's (a unique prefix of "
                + "the call id will do): the call, the rule, the decision if any");
        routes.get("/v1/approvals/{run}", ctx -> {
            String param = ctx.pathParam("run");
            int hash = param.lastIndexOf('#');
            RunRepository.RunRow row = Params.run(api.store(), api.principal(ctx), hash < 0 ? param : param.substring(0, hash),
                    Permission.VIEW);
            RunFold fold = fold(api.store(), row.runId());
            RunEvent.ApprovalRequested req = hash < 0 ? latest(api.store(), row.runId())
                    : ofCall(api.store(), row.runId(), param.substring(hash + 1));
            ObjectNode o = json(api.mapper(), row, req, fold, System.currentTimeMillis());
            o.put("run_state", fold.state().label());
            decided(api.store(), row.runId(), req.callId()).ifPresentOrElse(d -> o.set("decision", decision(api.mapper(), d)),
                    () -> o.putNull("decision"));
            api.json(ctx, o);
        });
        api.describe("POST", "/v1/approvals/{run}/approve", "Approves the call a run waits for ({run}: the run id, or RUN#CALL): body {comment?} (approve permission)");
        routes.post("/v1/approvals/{run}/approve", ctx -> decide(api, ctx, true));
        api.describe("POST", "/v1/approvals/{run}/deny", "Denies the call a run waits for: body {comment?} (approve permission)");
        routes.post("/v1/approvals/{run}/deny", ctx -> decide(api, ctx, false));
    }

    private static void decide(Api api, Context ctx, boolean approve) {
        ObjectNode body = api.body(ctx, Set.of("comment"));
        Principal who = api.principal(ctx);
        Store s = api.store();
        // The run id, or the approval's id RUN#CALL (the listing's id), which also binds the
        // decision to that call: a run that has moved on to another call is not decided by mistake.
        String param = ctx.pathParam("run");
        int hash = param.lastIndexOf('#');
        RunRepository.RunRow row = Params.run(s, who, hash < 0 ? param : param.substring(0, hash), Permission.VIEW);
        RunEvent.ApprovalRequested req = latest(s, row.runId());
        who.require(Permission.APPROVE, row.tenant());
        if (hash >= 0 && !param.substring(hash + 1).equals(req.callId())) {
            throw ApiError.conflict("run " + row.runId() + " waits for an approval of call " + req.callId() + ", not "
                    + param.substring(hash + 1));
        }
        String full = row.runId() + "#" + req.callId();
        Optional<RunEvent.ApprovalDecided> before = decided(s, row.runId(), req.callId());
        if (before.isPresent()) {
            throw ApiError.conflict("approval " + full + " was already decided (" + (before.get().approved() ? "approved" : "denied")
                    + " by " + before.get().by() + ")");
        }
        Approvals.Outcome outcome;
        try {
            outcome = Approvals.decide(s, InstantSource.system(), row.runId(), req.callId(), approve, who.actor(),
                    Params.text(body, "comment").orElse(""));
        } catch (Approvals.RefusedException e) {
            throw ApiError.conflict(e.getMessage());
        }
        if (outcome.expired()) {
            throw new ApiError(409, "expired", "approval " + full + " expired at " + Instant.ofEpochMilli(req.expiresAt())
                    + "; recorded as a denial, the call will not be made");
        }
        api.json(ctx, api.mapper().createObjectNode().put("id", full).put("run", row.runId())
                .put("approved", approve).put("by", who.actor()).put("tool", outcome.request().tool()));
    }

    private static RunFold fold(Store store, String runId) {
        return RunFold.of(store.read(runId).stream().map(JournalRecord::event).toList());
    }

    /** The run's latest approval request; a run without one is answered like a missing approval. */
    private static RunEvent.ApprovalRequested latest(Store store, String runId) {
        List<RunEvent.ApprovalRequested> all = store.read(runId).stream().map(JournalRecord::event)
                .filter(e -> e instanceof RunEvent.ApprovalRequested).map(RunEvent.ApprovalRequested.class::cast).toList();
        if (all.isEmpty()) {
            throw ApiError.notFound("run " + runId + " has asked for no approval");
        }
        return all.getLast();
    }

    /**
     * The run's approval request of the call {@code call} names, exactly or as the unique prefix
     * of one, as {@code myriad approvals show RUN#CALL} finds it.
     */
    private static RunEvent.ApprovalRequested ofCall(Store store, String runId, String call) {
        List<RunEvent.ApprovalRequested> all = store.read(runId).stream().map(JournalRecord::event)
                .filter(e -> e instanceof RunEvent.ApprovalRequested r && r.callId().startsWith(call))
                .map(RunEvent.ApprovalRequested.class::cast).toList();
        Optional<RunEvent.ApprovalRequested> exact = all.stream().filter(r -> r.callId().equals(call)).findFirst();
        if (exact.isPresent()) {
            return exact.get();
        }
        List<String> calls = all.stream().map(RunEvent.ApprovalRequested::callId).distinct().toList();
        if (calls.size() > 1) {
            throw ApiError.badRequest("approval id " + runId + "#" + call + " is ambiguous: " + calls.stream()
                    .map(c -> runId + "#" + c).toList());
        }
        if (calls.isEmpty()) {
            throw ApiError.notFound("no approval " + runId + "#" + call);
        }
        return all.getFirst();
    }

    private static Optional<RunEvent.ApprovalDecided> decided(Store store, String runId, String callId) {
        return store.read(runId).stream().map(JournalRecord::event)
                .filter(e -> e instanceof RunEvent.ApprovalDecided d && d.callId().equals(callId))
                .map(RunEvent.ApprovalDecided.class::cast).findFirst();
    }

    private static ObjectNode decision(ObjectMapper mapper, RunEvent.ApprovalDecided d) {
        boolean expired = d.by().equals(RunEvent.ApprovalDecided.EXPIRY);
        return mapper.createObjectNode().put("approved", d.approved()).put("expired", expired).put("by", d.by())
                .put("comment", d.comment()).put("at", Instant.ofEpochMilli(d.at()).toString());
    }

    /** The same fields as {@code myriad approvals ls --json}. */
    static ObjectNode json(ObjectMapper mapper, RunRepository.RunRow row, RunEvent.ApprovalRequested req, RunFold fold, long now) {
        String arguments = fold.calls().stream().map(RunFold.Call::call).filter(c -> c.id().equals(req.callId()))
                .map(ToolCall::arguments).findFirst().orElse("");
        return mapper.createObjectNode().put("id", row.runId() + "#" + req.callId()).put("run", row.runId())
                .put("execution", row.execution()).put("fleet", row.fleet()).put("tenant", row.tenant())
                .put("call", req.callId()).put("tool", req.tool()).put("arguments", arguments).put("rule", req.rule())
                .put("idempotency_key", req.idempotencyKey())
                .put("requested_at", Instant.ofEpochMilli(req.at()).toString())
                .put("expires_at", Instant.ofEpochMilli(req.expiresAt()).toString())
                .put("expired", now >= req.expiresAt());
    }
}
