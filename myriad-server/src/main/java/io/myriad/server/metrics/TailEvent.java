package io.myriad.server.metrics;

import io.myriad.core.journal.RunEvent;
import io.myriad.core.run.RunState;
import java.util.Objects;
import java.util.Optional;

/**
 * One journaled event as the {@link JournalTail} hands it to its listeners: the decoded event,
 * where it sits in the journal, and who its run belongs to.
 *
 * @param rowid     the event's position in the whole journal (the tail's cursor)
 * @param tenant    the tenant of the run's execution ({@code default} outside any)
 * @param fleet     the run's fleet; {@code ""} when the run has no summary row
 * @param execution the run's execution; {@code ""} when the run has no summary row
 * @param agent     the run's agent; {@code ""} when the run has no summary row
 */
public record TailEvent(long rowid, String runId, long seq, RunEvent event, String tenant, String fleet,
        String execution, String agent) {
    public TailEvent {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(agent, "agent");
    }

    /** The state the event ends its run in; empty when it does not end it. */
    public Optional<RunState> finalState() {
        return Optional.ofNullable(switch (event) {
            case RunEvent.RunSucceeded s -> RunState.SUCCEEDED;
            case RunEvent.RunFailed f -> RunState.FAILED;
            case RunEvent.RunCancelled c -> RunState.CANCELLED;
            case RunEvent.RunLimited l -> RunState.LIMITED;
            case RunEvent.RunStuck s -> RunState.STUCK;
            case RunEvent.RunBudgetExhausted b -> RunState.BUDGET_EXHAUSTED;
            default -> null;
        });
    }
}
