package io.myriad.core.audit;

import java.util.Objects;

/**
 * One thing someone did, as it is appended to the audit log: a control action (who started a
 * fleet, who decided on a call in doubt) or an agent action (a tool call, a finished run).
 *
 * @param at      milliseconds since the epoch
 * @param tenant  whose fleet it concerns ({@code default} until tenants exist)
 * @param actor   a principal ({@code human:alice}) or a run ({@code run:<id>})
 * @param action  a dotted verb: {@code run.started}, {@code tool.called}, {@code decision.resolved}...
 * @param subject what it was done to: a run, a call ({@code <run>#<call>}), an execution
 * @param details a JSON object with the rest; hashed as stored, so it must not be re-encoded
 */
public record AuditEntry(long at, String tenant, String actor, String action, String subject, String details) {
    public AuditEntry {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(details, "details");
        if (action.isBlank()) {
            throw new IllegalArgumentException("an audit entry needs an action");
        }
    }
}
