package io.myriad.core.run;

import io.myriad.core.fleet.TaskSpec;
import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalRecord;
import java.util.List;

/**
 * What stays in memory of a run that is in progress: its id, its task, and its fold while it is
 * working. A run that has waited longer than the passivation threshold drops its fold; the next
 * step reloads it from the journal. A waiting run therefore costs this handle and the gateway's
 * queue node, not a thread and not its history.
 *
 * <p>{@code fold} and {@code waitingSince} are volatile: the passivator clears folds from its own
 * thread while steps run on virtual threads. A step that already holds the fold keeps using its
 * local reference; the journal is the source of truth, so a reload sees the same state.
 */
final class RunHandle {
    final String runId;
    final TaskSpec task;
    private volatile RunFold fold;
    private volatile long waitingSince;
    volatile long lastPromptTokens;
    /** The budget held for the model call in flight; set when it is dispatched, taken when it ends. */
    volatile io.myriad.core.budget.BudgetLedger.Reservation held;
    /** Cancels the tool call in flight, while one is (set and cleared by the step, run by a kill). */
    volatile Runnable cancelTool;
    /** Stops the tool call's effect at once (kills its processes) without waiting; run before {@link #cancelTool}. */
    volatile Runnable signalTool;
    /** Set when the run's last child settled: its next delegation check reports what it finds. */
    volatile boolean childrenSettled;
    /** IDLE, STEPPING or ENDED: who may touch the fold; a kill takes an idle run over. */
    private final java.util.concurrent.atomic.AtomicInteger owner = new java.util.concurrent.atomic.AtomicInteger(IDLE);
    private static final int IDLE = 0;
    private static final int STEPPING = 1;
    private static final int ENDED = 2;

    RunHandle(String runId, TaskSpec task, RunFold fold) {
        this.runId = runId;
        this.task = task;
        this.fold = fold;
    }

    /** The run's fold, reloaded from the journal if it was passivated. */
    RunFold fold(Journal journal) {
        RunFold f = fold;
        if (f == null) {
            List<JournalRecord> records = journal.read(runId);
            f = RunFold.of(records.stream().map(JournalRecord::event).toList());
            fold = f;
        }
        return f;
    }

    /** Drops the fold: the journal changed under the run (a decision from another process). */
    void passivate() {
        fold = null;
    }

    void waiting(long nowMillis) {
        waitingSince = nowMillis;
    }

    void working() {
        waitingSince = 0;
    }

    /** Takes the run for one step; false when another step or a kill holds it, or it ended. */
    boolean enter() {
        return owner.compareAndSet(IDLE, STEPPING);
    }

    /** Gives the run back before handing it to a model call, a timer or a pause. */
    void leave() {
        owner.compareAndSet(STEPPING, IDLE);
    }

    /** The run is done in this runner (final, parked or abandoned): nothing may take it again. */
    void end() {
        owner.set(ENDED);
    }

    /** Drops the fold if the run has been waiting since before {@code threshold}; true if it did. */
    boolean passivateIfIdleSince(long threshold) {
        long since = waitingSince;
        if (since > 0 && since < threshold && fold != null) {
            fold = null;
            return true;
        }
        return false;
    }
}
