package io.myriad.core.run;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;

/**
 * A person's decision on a run waiting in {@link RunState#AWAITING_APPROVAL}: approve or deny
 * the one call awaiting approval, with a comment.
 *
 * <p>Like {@link Decisions}, the decision is journaled fenced on the run's sequence number (two
 * approvers at once cannot both win) and binds to the call id and idempotency key of the
 * request, so it can never approve another call. A decision that arrives after the approval
 * expired is refused as such: the expiry is journaled as a denial instead (never an approval).
 * The run continues the next time its execution runs, or at once when a {@code myriad run} of
 * it is in progress.
 */
public final class Approvals {
    private Approvals() {}

    /** Why a decision was refused: no such run, not waiting for an approval, another call. */
    public static final class RefusedException extends io.myriad.core.MyriadException {
        public RefusedException(String message) {
            super(message, false, null);
        }
    }

    /**
     * What was journaled.
     *
     * @param decided the decision, whose {@code by} is {@link RunEvent.ApprovalDecided#EXPIRY} when the
     *                approval had expired (then it is a denial whatever was asked)
     * @param request the request it decided
     */
    public record Outcome(RunEvent.ApprovalRequested request, RunEvent.ApprovalDecided decided, RunFold fold) {
        /** True when the approval had expired before the decision: it was denied by expiry. */
        public boolean expired() {
            return decided.by().equals(RunEvent.ApprovalDecided.EXPIRY);
        }
    }

    /** The approval a run waits for, read from its journal. */
    public static RunEvent.ApprovalRequested pending(Journal journal, String runId) {
        return waiting(runId, fold(journal, runId));
    }

    /**
     * Journals a decision on the approval {@code runId} waits for and returns what was journaled.
     *
     * @param callId   the call decided on; the request must be for this call
     * @param approved true to approve, false to deny
     * @param by       who decides: the principal's actor ({@code key:k_1}); journaled as is
     * @throws RefusedException when the run does not exist, waits for no approval, or for another call
     */
    public static Outcome decide(Journal journal, InstantSource clock, String runId, String callId, boolean approved,
            String by, String comment) {
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(by, "by");
        if (by.isBlank() || by.equals(RunEvent.ApprovalDecided.EXPIRY)) {
            throw new RefusedException("an approval is decided by a principal, not '" + by + "'");
        }
        RunFold fold = fold(journal, runId);
        RunEvent.ApprovalRequested request = waiting(runId, fold);
        if (!request.callId().equals(callId)) {
            throw new RefusedException("run " + runId + " waits for an approval of call " + request.callId() + ", not " + callId);
        }
        long now = clock.millis();
        RunEvent.ApprovalDecided decided = now >= request.expiresAt()
                ? RunLoop.expiry(request, now)
                : new RunEvent.ApprovalDecided(now, request.callId(), request.idempotencyKey(), approved, by, comment);
        RunLoop.append(journal, runId, fold, List.of(decided));
        return new Outcome(request, decided, fold);
    }

    private static RunFold fold(Journal journal, String runId) {
        List<JournalRecord> records = journal.read(runId);
        if (records.isEmpty()) {
            throw new RefusedException("no run " + runId);
        }
        return RunFold.of(records.stream().map(JournalRecord::event).toList());
    }

    private static RunEvent.ApprovalRequested waiting(String runId, RunFold fold) {
        return fold.awaitingApproval().orElseThrow(() -> new RefusedException("run " + runId + " is " + fold.state().label()
                + ", not waiting for an approval" + (fold.state().isFinal() ? "" : " (already decided?)")));
    }
}
