package io.myriad.core.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.RunEvent;
import io.myriad.core.journal.RunStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent actions of a journal append, as audit entries: a run started, a tool call made,
 * failed, rejected or left in doubt, a decision on it, a run finished (with its tokens and cost).
 * Model responses and retries are not audited one by one; their cost is in {@code run.finished}.
 * A journal adapter appends these in the transaction of the append itself.
 */
public final class JournalAudit {
    /** The tenant of runs outside any recorded execution. */
    public static final String DEFAULT_TENANT = io.myriad.core.auth.Principal.DEFAULT_TENANT;

    private static final ObjectMapper JSON = new ObjectMapper();

    private JournalAudit() {}

    /** The entries for {@code a} of a run of the default tenant. */
    public static List<AuditEntry> of(Journal.Append a) {
        return of(a, DEFAULT_TENANT);
    }

    /** The entries for {@code a}, a run of {@code tenant}, in event order; often none. */
    public static List<AuditEntry> of(Journal.Append a, String tenant) {
        List<AuditEntry> out = new ArrayList<>(2);
        String run = a.runId();
        String actor = "run:" + run;
        for (RunEvent e : a.events()) {
            ObjectNode d = JSON.createObjectNode();
            switch (e) {
                case RunEvent.RunStarted s -> {
                    d.put("fleet", s.fleet()).put("execution", s.execution()).put("task", s.task())
                            .put("agent", s.agent()).put("model", s.model());
                    out.add(entry(e, actor, "run.started", run, d));
                }
                case RunEvent.ToolCallStarted s -> {
                    d.put("tool", s.tool()).put("idempotency_key", s.idempotencyKey());
                    out.add(entry(e, actor, "tool.called", call(run, s.callId()), d));
                }
                case RunEvent.ToolCallCompleted c -> {
                    d.put("result_chars", c.result().length()).put("duration_ms", c.durationMillis());
                    out.add(entry(e, actor, "tool.completed", call(run, c.callId()), d));
                }
                case RunEvent.ToolCallFailed f -> {
                    d.put("error", f.error()).put("duration_ms", f.durationMillis());
                    out.add(entry(e, actor, "tool.failed", call(run, f.callId()), d));
                }
                case RunEvent.ToolCallRejected r -> {
                    d.put("reason", r.reason());
                    out.add(entry(e, actor, "tool.rejected", call(run, r.callId()), d));
                }
                case RunEvent.ToolCallInDoubt i -> {
                    d.put("tool", i.tool()).put("idempotency_key", i.idempotencyKey()).put("reason", i.reason());
                    out.add(entry(e, actor, "tool.in_doubt", call(run, i.callId()), d));
                }
                case RunEvent.ToolCallResolved r -> {
                    d.put("decision", r.decision()).put("comment", r.comment());
                    out.add(entry(e, r.by(), "decision.resolved", call(run, r.callId()), d));
                }
                case RunEvent.RunSucceeded s -> out.add(finished(e, actor, run, "succeeded", "", a.status(), d));
                case RunEvent.RunFailed f -> out.add(finished(e, actor, run, "failed", f.reason(), a.status(), d));
                case RunEvent.RunCancelled c -> out.add(finished(e, actor, run, "cancelled", c.reason(), a.status(), d));
                case RunEvent.RunLimited l -> out.add(finished(e, actor, run, "limited", l.limit(), a.status(), d));
                case RunEvent.RunStuck s -> out.add(finished(e, actor, run, "stuck", s.reason(), a.status(), d));
                case RunEvent.RunBudgetExhausted b -> {
                    d.put("scope", b.scope()).put("owner", b.owner()).put("resource", b.resource())
                            .put("spent", b.spent()).put("ceiling", b.ceiling()).put("needed", b.needed());
                    out.add(finished(e, actor, run, "budget_exhausted", b.scope() + "_" + b.resource(), a.status(), d));
                }
                case RunEvent.ApprovalRequested r -> {
                    d.put("tool", r.tool()).put("idempotency_key", r.idempotencyKey()).put("rule", r.rule())
                            .put("expires_at", r.expiresAt());
                    out.add(entry(e, actor, "approval.requested", call(run, r.callId()), d));
                }
                case RunEvent.ApprovalDecided r -> {
                    d.put("idempotency_key", r.idempotencyKey()).put("comment", r.comment());
                    boolean expired = r.by().equals(RunEvent.ApprovalDecided.EXPIRY);
                    String action = r.approved() ? "approval.granted" : expired ? "approval.expired" : "approval.denied";
                    out.add(entry(e, expired ? actor : r.by(), action, call(run, r.callId()), d));
                }
                case RunEvent.ChildrenStarted c -> {
                    d.put("children", c.count()).put("first", c.first()).put("idempotency_key", c.idempotencyKey());
                    out.add(entry(e, actor, "delegation.started", call(run, c.callId()), d));
                }
                case RunEvent.ChildrenFinished c -> {
                    d.put("succeeded", c.succeeded()).put("not_succeeded", c.failed()).put("tokens", c.tokens())
                            .put("cost_usd", c.costUsd());
                    out.add(entry(e, actor, "delegation.finished", call(run, c.callId()), d));
                }
                case RunEvent.HandedOff h -> {
                    d.put("from", h.from()).put("to", h.to());
                    out.add(entry(e, actor, "run.handed_off", call(run, h.callId()), d));
                }
                case RunEvent.ModelRetried ignored -> { }
                case RunEvent.ModelResponded ignored -> { }
                case RunEvent.OutputRejected ignored -> { }
                case RunEvent.RunInterrupted ignored -> { }
            }
        }
        if (!tenant.equals(DEFAULT_TENANT)) {
            out.replaceAll(x -> new AuditEntry(x.at(), tenant, x.actor(), x.action(), x.subject(), x.details()));
        }
        return out;
    }

    private static AuditEntry finished(RunEvent e, String actor, String run, String state, String reason, RunStatus st,
                                       ObjectNode d) {
        d.put("state", state);
        if (!reason.isEmpty()) {
            d.put("reason", reason);
        }
        d.put("steps", st.steps()).put("model_calls", st.modelCalls()).put("tokens", st.tokens()).put("cost_usd", st.costUsd());
        return entry(e, actor, "run.finished", run, d);
    }

    private static String call(String run, String callId) {
        return run + "#" + callId;
    }

    private static AuditEntry entry(RunEvent e, String actor, String action, String subject, ObjectNode details) {
        return new AuditEntry(e.at(), DEFAULT_TENANT, actor, action, subject, details.toString());
    }
}
