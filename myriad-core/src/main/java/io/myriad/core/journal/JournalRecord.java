package io.myriad.core.journal;

import java.util.Objects;

/** One stored event: the run it belongs to and its position (0-based) in that run's journal. */
public record JournalRecord(String runId, long seq, RunEvent event) {
    public JournalRecord {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(event, "event");
        if (seq < 0) {
            throw new IllegalArgumentException("seq must not be negative");
        }
    }
}
