package io.myriad.core.run;

import io.myriad.core.journal.Journal;
import io.myriad.core.journal.JournalFenceException;
import io.myriad.core.journal.JournalRecord;
import io.myriad.core.journal.RunEvent;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Cancels a run from outside the process that drives it (a kill from the CLI or the API, for a
 * run waiting for a person or left unfinished): a fenced {@code run_cancelled}.
 */
public final class Cancellations {
    /** What became of the attempt. */
    public enum Outcome {
        /** {@code run_cancelled} is journaled. */
        CANCELLED,
        /** The run was final already (its own process got there first). */
        ALREADY_FINAL,
        /** Another writer kept appending to it; nothing was journaled. */
        CONTENDED
    }

    private static final int ATTEMPTS = 5;

    private Cancellations() {}

    /**
     * Journals {@code run_cancelled(reason)} fenced on the run's sequence number; when a live
     * writer appended first, reads the run again and retries, a few times.
     */
    public static Outcome cancel(Journal journal, InstantSource clock, String runId, String reason) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            RunFold fold = RunFold.of(journal.read(runId).stream().map(JournalRecord::event).toList());
            if (fold.state().isFinal()) {
                return Outcome.ALREADY_FINAL;
            }
            long expected = fold.seq();
            RunEvent.RunCancelled event = new RunEvent.RunCancelled(clock.millis(), reason);
            fold.apply(event);
            try {
                journal.append(new Journal.Append(runId, expected, List.of(event), fold.status())).join();
                return Outcome.CANCELLED;
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof JournalFenceException)) {
                    throw e;
                }
            }
        }
        return Outcome.CONTENDED;
    }
}
