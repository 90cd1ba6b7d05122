package io.myriad.core.run;

import io.myriad.core.MyriadException;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A person's decision on a run waiting in {@link RunState#IN_DOUBT}: the tool call whose outcome
 * is unknown did happen ({@code done}, with the result the model will read), may be invoked
 * again with the same idempotency key ({@code retry}), or the run fails ({@code fail}).
 *
 * <p>The decision is journaled like any event, fenced on the run's sequence number, so two people
 * deciding at once cannot both win, and it binds to the one call in doubt. The run continues the
 * next time its execution runs.
 */
public final class Decisions {
    private Decisions() {}

    /** Why a decision was refused: the run is not waiting, or the call is not the one in doubt. */
    public static final class RefusedException extends MyriadException {
        public RefusedException(String message) {
            super(message, false, null);
        }
    }

    /**
     * Journals a decision on the call in doubt of {@code runId} and returns the run's new fold.
     *
     * @param callId   the call decided on; null for "the call in doubt"
     * @param decision {@code done}, {@code retry} or {@code fail}
     * @param result   for {@code done}: what the call returned, as the model will read it
     * @param by       who decides: a principal's actor id ({@code key:k_…}, {@code local:alice}) is
     *                 journaled as it is, a bare name as {@code human:<by>}
     * @throws RefusedException when the run does not exist, is not in doubt, or names another call
     */
    public static RunFold resolve(Journal journal, InstantSource clock, String runId, String callId,
            String decision, String result, String by, String comment) {
        Objects.requireNonNull(decision, "decision");
        if (!RunEvent.ToolCallResolved.DECISIONS.contains(decision)) {
            throw new RefusedException("unknown decision '" + decision + "'; use done, retry or fail");
        }
        List<JournalRecord> records = journal.read(runId);
        if (records.isEmpty()) {
            throw new RefusedException("no run " + runId);
        }
        RunFold fold = RunFold.of(records.stream().map(JournalRecord::event).toList());
        if (fold.state() != RunState.IN_DOUBT) {
            throw new RefusedException("run " + runId + " is " + fold.state().label() + ", not waiting for a decision");
        }
        RunFold.Call call = fold.inDoubtCall().orElseThrow();
        if (callId != null && !callId.equals(call.call().id())) {
            throw new RefusedException("the call in doubt in run " + runId + " is " + call.call().id() + ", not " + callId);
        }
        if (decision.equals("done") && (result == null || result.isBlank())) {
            throw new RefusedException("a 'done' decision needs the result the call returned (the model will read it)");
        }
        long now = clock.millis();
        String who = by == null || by.isBlank() ? "human:unknown" : by.contains(":") ? by : "human:" + by;
        List<RunEvent> events = new ArrayList<>();
        events.add(new RunEvent.ToolCallResolved(now, call.call().id(), decision, result, who, comment));
        if (decision.equals("fail")) {
            events.add(new RunEvent.RunFailed(now, "in_doubt",
                    "tool call " + call.call().id() + " (" + call.call().name() + ", idempotency key " + call.idempotencyKey()
                            + ") had an unknown outcome; " + who + " failed the run"
                            + (comment == null || comment.isBlank() ? "" : ": " + comment)));
        }
        RunLoop.append(journal, runId, fold, events);
        return fold;
    }
}
